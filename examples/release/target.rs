//! The program for the release's platform: built for it (`cargo build --target`, or
//! `cargo zigbuild` when installed), and checked, built or given, by the machine its header
//! names, so that an x86-64 program is never shipped labelled arm64.

use std::path::{Path, PathBuf};
use std::process::Command;

use consign::core::{Arch, Os, Platform};

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
    let mut head = vec![0u8; 4096];
    let n = {
        use std::io::Read;
        let mut file = std::fs::File::open(program)
            .map_err(|e| format!("cannot read the program {}: {e}", program.display()))?;
        let mut n = 0;
        while n < head.len() {
            match file.read(&mut head[n..]) {
                Ok(0) => break,
                Ok(k) => n += k,
                Err(e) => return Err(format!("cannot read {}: {e}", program.display()).into()),
            }
        }
        n
    };
    head.truncate(n);
    let Some((os, arch)) = executable_kind(&head) else {
        return Ok(());
    };
    let fits = arch == Some(platform.arch())
        && match os {
            Kind::Elf => !matches!(platform.os(), Os::Macos | Os::Windows),
            Kind::MachO => platform.os() == Os::Macos,
            Kind::Pe => platform.os() == Os::Windows,
        };
    if fits {
        return Ok(());
    }
    let machine = arch.map_or_else(|| "unknown".to_owned(), |a| format!("{a:?}"));
    Err(format!(
        "{} is a {os:?} executable for {machine}, not one for {platform}: build it for \
         {platform} or pass --target to match it",
        program.display(),
    )
    .into())
}

/// An executable container format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Elf,
    MachO,
    Pe,
}

/// The format and machine of an executable header; `None` when it is not an executable.
fn executable_kind(head: &[u8]) -> Option<(Kind, Option<Arch>)> {
    let u16_at = |at: usize, big: bool| -> Option<u16> {
        let b: [u8; 2] = head.get(at..at + 2)?.try_into().ok()?;
        Some(if big {
            u16::from_be_bytes(b)
        } else {
            u16::from_le_bytes(b)
        })
    };
    let u32_at = |at: usize, big: bool| -> Option<u32> {
        let b: [u8; 4] = head.get(at..at + 4)?.try_into().ok()?;
        Some(if big {
            u32::from_be_bytes(b)
        } else {
            u32::from_le_bytes(b)
        })
    };
    if head.starts_with(b"\x7fELF") {
        let big = head.get(5) == Some(&2);
        let arch = match u16_at(18, big)? {
            62 => Some(Arch::X86_64),
            3 => Some(Arch::X86),
            183 => Some(Arch::Aarch64),
            40 => Some(Arch::Armv7),
            243 => Some(Arch::Riscv64),
            21 => Some(Arch::Powerpc64le),
            22 => Some(Arch::S390x),
            258 => Some(Arch::Loongarch64),
            _ => None,
        };
        return Some((Kind::Elf, arch));
    }
    if matches!(u32_at(0, false)?, 0xfeed_facf | 0xfeed_face) {
        let arch = match u32_at(4, false)? {
            0x0100_0007 => Some(Arch::X86_64),
            0x0100_000c => Some(Arch::Aarch64),
            _ => None,
        };
        return Some((Kind::MachO, arch));
    }
    if head.starts_with(b"MZ") {
        let pe = u32_at(0x3c, false)? as usize;
        if head.get(pe..pe + 4)? != b"PE\0\0" {
            return None;
        }
        let arch = match u16_at(pe + 4, false)? {
            0x8664 => Some(Arch::X86_64),
            0xaa64 => Some(Arch::Aarch64),
            0x014c => Some(Arch::X86),
            _ => None,
        };
        return Some((Kind::Pe, arch));
    }
    None
}
