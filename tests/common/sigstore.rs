//! The Sigstore bundle verifier: npm `@sigstore/verify` (with `@sigstore/bundle` and
//! `@sigstore/protobuf-specs`) run by `tests/tools/sigstore-verify.js` offline, with an empty
//! trusted root and one trusted public key.
//!
//! The packages live in `$CONSIGN_NPM` (a `node_modules` directory) or
//! `target/npm/node_modules`, which `scripts/test` fills.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::{require_tool, run};

const INSTALL: &str = "npm install --prefix target/npm @sigstore/verify @sigstore/bundle \
     @sigstore/protobuf-specs (or run scripts/test, which does)";

fn node_modules() -> PathBuf {
    let dir = std::env::var_os("CONSIGN_NPM")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/npm/node_modules")
        });
    for package in [
        "@sigstore/verify",
        "@sigstore/bundle",
        "@sigstore/protobuf-specs",
    ] {
        assert!(
            dir.join(package).join("package.json").is_file(),
            "npm package {package} is not installed in {}; run: {INSTALL}",
            dir.display()
        );
    }
    dir
}

/// Runs `@sigstore/verify` on `bundle` with `public_key` (PEM) trusted under the SHA-256 hex of
/// its DER; `artifact` for message-signature bundles. Returns (accepted, output).
pub fn verify_bundle(bundle: &Path, public_key: &Path, artifact: Option<&Path>) -> (bool, String) {
    require_tool("node", "nodejs");
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/tools/sigstore-verify.js");
    let mut cmd = Command::new("node");
    cmd.env("NODE_PATH", node_modules())
        .arg(script)
        .arg(bundle)
        .arg(public_key);
    if let Some(a) = artifact {
        cmd.arg(a);
    }
    let out = run(&mut cmd);
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success() && text.starts_with("verified "), text)
}
