//! The program for the release's platform: built for it (`cargo build --target`, or
//! `cargo zigbuild` when installed), and checked, built or given, by the machine its header
//! names, so that an x86-64 program is never shipped labelled arm64.

use std::path::{Path, PathBuf};
use std::process::Command;

use consign::core::{Os, Platform};

use crate::{Error, workspace_root};

/// Builds `consign-sums` with the release profile for `platform` and returns its path.
pub fn build_program(platform: &Platform) -> Result<PathBuf, Error> {
    let host = Platform::host()?;
    let cross = *platform != host;
    let triple = platform.rust_target();
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let zigbuild = cross && on_path("cargo-zigbuild");
    let mut command = Command::new(cargo);
    command.arg(if zigbuild { "zigbuild" } else { "build" });
    command.args(["--release", "--example", "consign-sums", "--manifest-path"]);
    command.arg(workspace_root().join("Cargo.toml"));
    if cross {
        command.args(["--target", &triple]);
    }
    let status = command
        .status()
        .map_err(|e| format!("cannot run cargo to build consign-sums: {e}"))?;
    if !status.success() {
        return Err(if cross {
            format!(
                "cannot build consign-sums for {triple} ({status}): add the target \
                 (`rustup target add {triple}`) and a linker for it (cargo-zigbuild, or \
                 `[target.{triple}] linker` in .cargo/config.toml), or pass a program built \
                 for it with --binary"
            )
        } else {
            format!("cargo build of consign-sums failed ({status})")
        }
        .into());
    }
    let target_dir = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("target"));
    let dir = if cross {
        target_dir.join(&triple)
    } else {
        target_dir
    };
    let exe = if platform.os() == Os::Windows {
        "consign-sums.exe"
    } else {
        "consign-sums"
    };
    Ok(dir.join("release/examples").join(exe))
}

fn on_path(program: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|paths| std::env::split_paths(&paths).any(|d| d.join(program).is_file()))
}

/// Refuses `program` when its header says it is an executable (ELF, Mach-O, PE) for another
/// operating system or machine than `platform`. Files that are none of these (scripts) pass.
pub fn check_program(program: &Path, platform: &Platform) -> Result<(), Error> {
    platform
        .check_executable(program)
        .map_err(|e| format!("{e} (or pass --target to match it)").into())
}
