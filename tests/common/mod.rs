//! Helpers shared by the integration tests: finding the real tools and running them.
#![allow(dead_code)]

pub mod attached;
pub mod debsig;
pub mod intoto;
pub mod keys;
pub mod lint;
pub mod rpmkeys;
pub mod sbom;
pub mod sigstore;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Fails the test, naming the Debian package to install, when `tool` is not on PATH.
pub fn require_tool(tool: &str, debian_package: &str) {
    let found = std::env::var_os("PATH")
        .map(|paths| std::env::split_paths(&paths).any(|d| d.join(tool).is_file()))
        .unwrap_or(false);
    assert!(
        found,
        "`{tool}` is not installed: run `apt-get install {debian_package}` (or scripts/test, which installs it)"
    );
}

/// Runs `cmd`, returning its output; panics with the command line when it cannot start.
pub fn run(cmd: &mut Command) -> Output {
    cmd.output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"))
}

/// Runs `cmd` and requires exit status 0; returns stdout as text.
pub fn run_ok(cmd: &mut Command) -> String {
    let out = run(cmd);
    assert!(
        out.status.success(),
        "{cmd:?} failed with {}\nstdout:\n{}\nstderr:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A command running in `dir`.
pub fn cmd_in(dir: &Path, program: &str) -> Command {
    let mut c = Command::new(program);
    c.current_dir(dir);
    c
}

/// Peak resident set size of this process so far, in bytes (`VmHWM`). Memory tests run in
/// their own test binaries: peak RSS is per process.
pub fn peak_rss() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("read /proc/self/status");
    let kib: u64 = status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .expect("VmHWM in /proc/self/status");
    kib * 1024
}

/// The test build of consign-sums in `examples`, stripped as a release build is (Debian
/// policy and lintian require it), written to `dir`.
pub fn stripped_program(examples: &Path, dir: &Path) -> PathBuf {
    require_tool("strip", "binutils");
    let path = dir.join("consign-sums");
    run_ok(
        Command::new("strip")
            .arg("-o")
            .arg(&path)
            .arg(examples.join("consign-sums")),
    );
    path
}

/// Builds the two examples of the main job (debug profile) and returns the directory
/// holding them.
pub fn examples_dir() -> PathBuf {
    build_examples(&["release", "consign-sums"])
}

/// Builds the examples `names` (debug profile) and returns the directory holding them.
pub fn build_examples(names: &[&str]) -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml");
    let mut build = Command::new(env!("CARGO"));
    build.args(["build", "--quiet"]);
    for name in names {
        build.args(["--example", name]);
    }
    run_ok(build.arg("--manifest-path").arg(&manifest));
    let exe = std::env::current_exe().expect("path of the test binary");
    // target/<profile>/deps/<test>-<hash> -> target/<profile>/examples
    exe.ancestors()
        .nth(2)
        .expect("test binary lives in target/<profile>/deps")
        .join("examples")
}

/// A static, stripped hello program built from C with `compiler` (`musl-gcc`, `aarch64-linux-gnu-gcc`,
/// from the Debian package `package`), written to `dir/name`: a real program for a target
/// that no Rust standard library is installed for.
pub fn static_program(compiler: &str, package: &str, dir: &Path, name: &str) -> PathBuf {
    require_tool(compiler, package);
    let source = dir.join(format!("{name}.c"));
    std::fs::write(
        &source,
        "#include <stdio.h>\nint main(void) { puts(\"hello from a static program\"); return 0; }\n",
    )
    .unwrap();
    let out = dir.join(name);
    let built = run(Command::new(compiler)
        .args(["-static", "-Os", "-s", "-o"])
        .arg(&out)
        .arg(&source));
    assert!(
        built.status.success(),
        "{compiler} cannot build a static program: install the Debian packages {package} \
         (scripts/test does)\n{}",
        String::from_utf8_lossy(&built.stderr)
    );
    out
}
