//! `debsig-verify` with a policy for one key, in a temporary directory.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use super::{run, run_ok};

/// debsig-verify's layout for one key: `policies/<ID>/origin.pol` and
/// `keyrings/<ID>/pubring.gpg` (a binary keyring), `<ID>` the long key id in capitals.
pub fn debsig_dirs(dir: &Path, public: &[u8], fingerprint: &str) -> (PathBuf, PathBuf) {
    let id = fingerprint[fingerprint.len() - 16..].to_ascii_uppercase();
    let policies = dir.join("policies");
    let keyrings = dir.join("keyrings");
    fs::create_dir_all(policies.join(&id)).unwrap();
    fs::create_dir_all(keyrings.join(&id)).unwrap();
    let home = dir.join("gnupg");
    fs::create_dir_all(&home).unwrap();
    fs::set_permissions(&home, std::os::unix::fs::PermissionsExt::from_mode(0o700)).unwrap();
    let asc = dir.join("release.asc");
    fs::write(&asc, public).unwrap();
    run_ok(
        Command::new("gpg")
            .env("GNUPGHOME", &home)
            .args(["--batch", "--quiet", "--dearmor", "--output"])
            .arg(keyrings.join(&id).join("pubring.gpg"))
            .arg(&asc),
    );
    fs::write(
        policies.join(&id).join("origin.pol"),
        format!(
            r#"<?xml version="1.0"?>
<!DOCTYPE Policy SYSTEM "https://www.debian.org/debsig/1.0/policy.dtd">
<Policy xmlns="https://www.debian.org/debsig/1.0/">
  <Origin Name="consign-test" id="{id}" Description="consign test key"/>
  <Selection>
    <Required Type="origin" File="pubring.gpg" id="{id}"/>
  </Selection>
  <Verification MinOptional="0">
    <Required Type="origin" File="pubring.gpg" id="{id}"/>
  </Verification>
</Policy>
"#
        ),
    )
    .unwrap();
    (policies, keyrings)
}

pub fn debsig_verify(policies: &Path, keyrings: &Path, pkg: &Path) -> (bool, String) {
    let out = run(Command::new("debsig-verify")
        .arg("--policies-dir")
        .arg(policies)
        .arg("--keyrings-dir")
        .arg(keyrings)
        .arg(pkg));
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr),
    )
}
