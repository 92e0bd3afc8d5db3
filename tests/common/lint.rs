//! The packaging policy checkers: lintian and rpmlint, as the pipeline tests run them on the
//! packages the examples ship.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::{require_tool, run};

/// A manual page for the program `name` (section 1), written to `dir/<name>.1`.
pub fn man_page(dir: &Path, name: &str, what: &str) -> PathBuf {
    let path = dir.join(format!("{name}.1"));
    std::fs::write(
        &path,
        format!(
            ".TH {} 1 2023-11-14 \"{name}\" \"User Commands\"\n.SH NAME\n{name} \\- {what}\n\
             .SH SYNOPSIS\n.B {name}\n.SH DESCRIPTION\n{name} is a {what}.\n",
            name.to_uppercase()
        ),
    )
    .unwrap();
    path
}

/// lintian: no error and no warning but the one Debian 12's lintian gives every debsigs
/// signature (it calls the `_gpgorigin` member misplaced; debsig-verify checks it).
pub fn lintian_finds_nothing(deb: &Path) {
    require_tool("lintian", "lintian");
    let out = run(Command::new("lintian")
        .args(["--tag-display-limit", "0"])
        .args(["--suppress-tags", "initial-upload-closes-no-bugs"])
        .arg(deb));
    let report = String::from_utf8_lossy(&out.stdout);
    let findings: Vec<&str> = report
        .lines()
        .filter(|l| l.starts_with("E:") || l.starts_with("W:"))
        .filter(|l| !l.contains("misplaced-extra-member-in-deb _gpgorigin "))
        .collect();
    assert!(
        findings.is_empty(),
        "lintian on {}:\n{report}",
        deb.display()
    );
}

/// rpmlint with what a distribution's configuration gives it (the license list, gzip man
/// pages), and a filter for `statically-linked-binary`, the rpm side of the package's lintian
/// override (static musl programs are what these packages ship): no error. Its warnings are
/// shown when it fails.
pub fn rpmlint_finds_no_error(dir: &Path, home: &Path, rpm: &Path) {
    require_tool("rpmlint", "rpmlint");
    let config = dir.join("rpmlint.toml");
    std::fs::write(
        &config,
        "ValidLicenses = [\"MIT\", \"Apache-2.0\"]\nCompressExtension = \"gz\"\n\
         Filters = [\"statically-linked-binary\"]\n",
    )
    .unwrap();
    let out = run(Command::new("rpmlint")
        .env("HOME", home)
        .arg("-c")
        .arg(&config)
        .arg(rpm));
    let report = String::from_utf8_lossy(&out.stdout);
    let errors: Vec<&str> = report.lines().filter(|l| l.contains(": E: ")).collect();
    assert!(errors.is_empty(), "rpmlint on {}:\n{report}", rpm.display());
}
