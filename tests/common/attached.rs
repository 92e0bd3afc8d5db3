//! What is attached to an image in a registry, read back with the reference tools: the
//! cosign tag copied out with `skopeo`, its simple-signing signatures checked with OpenSSL.

use std::path::{Path, PathBuf};
use std::process::Command;

use consign::core::Digest;
use consign::oci::OciLayout;

use super::{run, run_ok};

/// Copies `repo:tag` out of a plain-HTTP registry into an OCI layout under `dir` with skopeo
/// and returns the layout's directory and the manifest (JSON).
pub fn copy_tag(repo: &str, tag: &str, dir: &Path) -> (PathBuf, serde_json::Value) {
    let out = dir.join(tag.replace([':', '/'], "_"));
    run_ok(Command::new("skopeo").args([
        "copy",
        "--src-tls-verify=false",
        &format!("docker://{repo}:{tag}"),
        &format!("oci:{}:copy", out.display()),
    ]));
    let (_, manifest) = OciLayout::open(&out).unwrap().manifest("copy").unwrap();
    (out, serde_json::from_slice(&manifest).unwrap())
}

/// The path of a layer's blob in a layout copied by [`copy_tag`].
pub fn layer_path(layout: &Path, layer: &serde_json::Value) -> PathBuf {
    layout
        .join("blobs/sha256")
        .join(&layer["digest"].as_str().unwrap()["sha256:".len()..])
}

/// Checks the cosign signatures attached to `digest` in `repo`: each payload names the digest
/// (and `docker_reference`), and OpenSSL verifies its signature with `public_key` (PEM).
/// Returns how many there are.
pub fn check_signatures(
    repo: &str,
    digest: &Digest,
    docker_reference: &str,
    public_key: &Path,
    dir: &Path,
) -> usize {
    use base64::Engine;
    let (layout, manifest) = copy_tag(repo, &format!("sha256-{}.sig", digest.hex()), dir);
    let layers = manifest["layers"].as_array().unwrap();
    for (i, layer) in layers.iter().enumerate() {
        let payload_path = layer_path(&layout, layer);
        let payload: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&payload_path).unwrap()).unwrap();
        assert_eq!(
            payload["critical"]["image"]["docker-manifest-digest"],
            digest.to_string()
        );
        assert_eq!(
            payload["critical"]["identity"]["docker-reference"],
            docker_reference
        );
        let der = base64::engine::general_purpose::STANDARD
            .decode(
                layer["annotations"]["dev.cosignproject.cosign/signature"]
                    .as_str()
                    .unwrap(),
            )
            .unwrap();
        let der_path = layout.join(format!("signature-{i}.der"));
        std::fs::write(&der_path, der).unwrap();
        let verified = run(Command::new("openssl")
            .args(["dgst", "-sha256", "-verify"])
            .arg(public_key)
            .arg("-signature")
            .arg(&der_path)
            .arg(&payload_path));
        assert!(
            verified.status.success(),
            "signature of {digest}: {}",
            String::from_utf8_lossy(&verified.stderr)
        );
    }
    layers.len()
}
