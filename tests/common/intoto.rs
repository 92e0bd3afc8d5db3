//! The in-toto attestation checker: `tests/tools/check_attestation.py`, run with the PyPI
//! packages `securesystemslib` (DSSE signature verification) and `in-toto-attestation`
//! (Statement v1 and SLSA provenance v1 protobufs) from the validators' virtual environment
//! (`$CONSIGN_VALIDATORS` or `target/validators/bin`, which `scripts/test` fills).

use std::path::{Path, PathBuf};
use std::process::Command;

use super::run;

const INSTALL: &str = "target/validators/bin/pip install in-toto-attestation 'securesystemslib[crypto]' \
     (or run scripts/test, which does)";

fn python() -> PathBuf {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let bin = std::env::var_os("CONSIGN_VALIDATORS")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target/validators/bin"));
    let python = bin.join("python");
    let ok = python.is_file()
        && run(Command::new(&python).args([
            "-c",
            "import in_toto_attestation.v1.statement, securesystemslib.dsse, cryptography",
        ]))
        .status
        .success();
    assert!(
        ok,
        "the PyPI packages in-toto-attestation and securesystemslib[crypto] are not installed in {}; run: {INSTALL}",
        bin.display()
    );
    python
}

/// Checks every envelope in `files` with `public_key` (PEM). Returns (accepted, output).
pub fn check(public_key: &Path, files: &[&Path]) -> (bool, String) {
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/tools/check_attestation.py");
    let out = run(Command::new(python())
        .arg(script)
        .arg(public_key)
        .args(files));
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}
