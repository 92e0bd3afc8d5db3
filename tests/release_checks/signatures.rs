//! The main job's keys and signatures, checked by the independent verifiers: gpgv, OpenSSL,
//! `@sigstore/verify`, rpmkeys, debsig-verify, securesystemslib/in-toto-attestation, and
//! skopeo + OpenSSL for the image signatures in the OCI layout.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use crate::common::{debsig, intoto, require_tool, run, run_ok, sigstore};

/// The keys the tests release with: an Ed25519 OpenPGP key made by gpg and a P-256 key made by
/// OpenSSL, so the job's key readers meet keys they did not write.
pub struct TestKeys {
    /// The GnuPG home holding the OpenPGP key.
    pub gnupg: PathBuf,
    /// The armored OpenPGP secret key.
    pub pgp: PathBuf,
    /// The OpenPGP key's fingerprint.
    pub fingerprint: String,
    /// The cosign (PKCS#8 P-256) private key.
    pub cosign: PathBuf,
    /// Its public key, as OpenSSL derives it.
    pub cosign_pub: PathBuf,
}

/// Made once per test process, under Cargo's temporary directory for tests.
pub fn test_keys() -> &'static TestKeys {
    static KEYS: OnceLock<TestKeys> = OnceLock::new();
    KEYS.get_or_init(|| {
        require_tool("gpg", "gpg");
        require_tool("openssl", "openssl");
        let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
            .join(format!("release-keys-{}", std::process::id()));
        let gnupg = dir.join("gnupg");
        fs::create_dir_all(&gnupg).unwrap();
        fs::set_permissions(&gnupg, std::os::unix::fs::PermissionsExt::from_mode(0o700)).unwrap();
        let gpg = |args: &[&str]| {
            run_ok(
                Command::new("gpg")
                    .env("GNUPGHOME", &gnupg)
                    .args(["--batch", "--quiet"])
                    .args(args),
            )
        };
        gpg(&[
            "--passphrase",
            "",
            "--quick-gen-key",
            "consign release test <release-test@example.org>",
            "ed25519",
            "sign",
            "never",
        ]);
        let pgp = dir.join("release.key");
        fs::write(&pgp, gpg(&["--armor", "--export-secret-keys"])).unwrap();
        let fingerprint = gpg(&["--with-colons", "--list-secret-keys"])
            .lines()
            .find_map(|l| l.strip_prefix("fpr:::::::::"))
            .map(|rest| rest.trim_end_matches(':').to_owned())
            .expect("gpg lists the fingerprint");
        // The agent gpg started is not needed again (dearmoring and listing keys need none).
        run(Command::new("gpgconf")
            .env("GNUPGHOME", &gnupg)
            .args(["--kill", "gpg-agent"]));
        let cosign = dir.join("cosign.key");
        run_ok(
            Command::new("openssl")
                .args(["genpkey", "-algorithm", "EC", "-pkeyopt"])
                .args(["ec_paramgen_curve:P-256", "-out"])
                .arg(&cosign),
        );
        let cosign_pub = dir.join("cosign-openssl.pub");
        run_ok(
            Command::new("openssl")
                .args(["pkey", "-pubout", "-in"])
                .arg(&cosign)
                .arg("-out")
                .arg(&cosign_pub),
        );
        TestKeys {
            gnupg,
            pgp,
            fingerprint,
            cosign,
            cosign_pub,
        }
    })
}

fn openssl_verifies(public: &Path, signature_base64: &[u8], data: &Path) -> (bool, String) {
    use base64::Engine;
    let der = base64::engine::general_purpose::STANDARD
        .decode(String::from_utf8_lossy(signature_base64).trim())
        .expect("a cosign signature is base64");
    let sig = data.with_extension("der-signature");
    fs::write(&sig, der).unwrap();
    let out = run(Command::new("openssl")
        .args(["dgst", "-sha256", "-verify"])
        .arg(public)
        .arg("-signature")
        .arg(&sig)
        .arg(data));
    fs::remove_file(&sig).unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr),
    )
}

/// Checks every signature of the release in `dist`, made with [`test_keys`].
pub fn check(dist: &Path, deb: &Path, rpm: &Path) {
    let keys = test_keys();
    let work = tempfile::tempdir().unwrap();

    // The public keys published are the ones given.
    require_tool("gpgv", "gpgv");
    let keyring = work.path().join("release.gpg");
    run_ok(
        Command::new("gpg")
            .env("GNUPGHOME", &keys.gnupg)
            .args(["--batch", "--quiet", "--dearmor", "--output"])
            .arg(&keyring)
            .arg(dist.join("keys/release.asc")),
    );
    let shown = run_ok(
        Command::new("gpg")
            .env("GNUPGHOME", &keys.gnupg)
            .args(["--batch", "--with-colons", "--show-keys"])
            .arg(dist.join("keys/release.asc")),
    );
    assert!(shown.contains(&keys.fingerprint), "{shown}");

    // SHA256SUMS.asc: gpgv, with the key the test made.
    let out = run(Command::new("gpgv")
        .arg("--keyring")
        .arg(&keyring)
        .arg(dist.join("SHA256SUMS.asc"))
        .arg(dist.join("SHA256SUMS")));
    assert!(
        out.status.success(),
        "gpgv: {}",
        String::from_utf8_lossy(&out.stderr)
    );

    // SHA256SUMS.sig: OpenSSL, with the key OpenSSL derived and with the published one.
    let sig = fs::read(dist.join("SHA256SUMS.sig")).unwrap();
    for public in [keys.cosign_pub.clone(), dist.join("keys/cosign.pub")] {
        let (ok, text) = openssl_verifies(&public, &sig, &dist.join("SHA256SUMS"));
        assert!(ok, "openssl with {}: {text}", public.display());
    }
    // SHA256SUMS.sigstore.json: @sigstore/verify, offline, trusting the published key.
    let (ok, text) = sigstore::verify_bundle(
        &dist.join("SHA256SUMS.sigstore.json"),
        &dist.join("keys/cosign.pub"),
        Some(&dist.join("SHA256SUMS")),
    );
    assert!(ok, "@sigstore/verify: {text}");

    // The .rpm: rpmkeys with the published key imported.
    require_tool("rpmkeys", "rpm");
    let db = work.path().join("rpmdb");
    fs::create_dir_all(&db).unwrap();
    run_ok(
        Command::new("rpmkeys")
            .arg("--dbpath")
            .arg(&db)
            .arg("--import")
            .arg(dist.join("keys/release.asc")),
    );
    let checked = run_ok(
        Command::new("rpmkeys")
            .arg("--dbpath")
            .arg(&db)
            .arg("-Kv")
            .arg(rpm),
    );
    let short_id = keys.fingerprint[keys.fingerprint.len() - 8..].to_ascii_lowercase();
    assert!(
        checked.contains(&format!("Signature, key ID {short_id}: OK")),
        "{checked}"
    );
    assert!(
        !checked.contains("NOT OK") && !checked.contains("NOKEY"),
        "{checked}"
    );

    // The .deb: debsig-verify under a policy for the key.
    require_tool("debsig-verify", "debsig-verify");
    let public = fs::read(dist.join("keys/release.asc")).unwrap();
    let (policies, keyrings) =
        debsig::debsig_dirs(&work.path().join("debsig"), &public, &keys.fingerprint);
    let (ok, text) = debsig::debsig_verify(&policies, &keyrings, deb);
    assert!(ok, "debsig-verify: {text}");

    // The provenance: securesystemslib verifies the envelope, in-toto-attestation parses the
    // statement; it names every archive and package.
    let jsonl: Vec<PathBuf> = fs::read_dir(dist)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().ends_with(".intoto.jsonl"))
        .collect();
    assert_eq!(jsonl.len(), 1, "{jsonl:?}");
    let (ok, text) = intoto::check(&dist.join("keys/cosign.pub"), &[&jsonl[0]]);
    assert!(ok, "attestation check: {text}");
    let line = fs::read_to_string(&jsonl[0]).unwrap();
    let envelope: serde_json::Value = serde_json::from_str(line.trim()).unwrap();
    use base64::Engine;
    let statement: serde_json::Value = serde_json::from_slice(
        &base64::engine::general_purpose::STANDARD
            .decode(envelope["payload"].as_str().unwrap())
            .unwrap(),
    )
    .unwrap();
    assert_eq!(statement["predicateType"], "https://slsa.dev/provenance/v1");
    let names: Vec<&str> = statement["subject"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    for wanted in [deb, rpm] {
        let name = wanted.file_name().unwrap().to_str().unwrap();
        assert!(names.contains(&name), "{name} not in {names:?}");
    }
    assert!(names.iter().any(|n| n.ends_with(".tar.gz")), "{names:?}");

    // The image and the index in the OCI layout: the cosign signature tags, read with skopeo,
    // hold simple-signing payloads naming each digest, and OpenSSL verifies their signatures.
    require_tool("skopeo", "skopeo");
    let layout = dist.join("oci");
    let index: serde_json::Value =
        serde_json::from_slice(&fs::read(layout.join("index.json")).unwrap()).unwrap();
    let version = env!("CARGO_PKG_VERSION");
    let by_name = |name: &str| {
        index["manifests"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["annotations"]["org.opencontainers.image.ref.name"] == name)
            .unwrap_or_else(|| panic!("no {name} in {index}"))["digest"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let host = consign::core::Platform::host().unwrap();
    for digest in [
        by_name(version),
        by_name(&format!("{version}-{}", host.oci_arch())),
    ] {
        let hex = digest.strip_prefix("sha256:").unwrap();
        let raw = run_ok(
            Command::new("skopeo")
                .args(["inspect", "--raw"])
                .arg(format!("oci:{}:sha256-{hex}.sig", layout.display())),
        );
        let manifest: serde_json::Value = serde_json::from_str(&raw).unwrap();
        let layer = &manifest["layers"][0];
        assert_eq!(
            layer["mediaType"],
            "application/vnd.dev.cosign.simplesigning.v1+json"
        );
        let payload_path = layout.join("blobs/sha256").join(
            layer["digest"]
                .as_str()
                .unwrap()
                .strip_prefix("sha256:")
                .unwrap(),
        );
        let payload: serde_json::Value =
            serde_json::from_slice(&fs::read(&payload_path).unwrap()).unwrap();
        assert_eq!(
            payload["critical"]["image"]["docker-manifest-digest"],
            digest.as_str()
        );
        let signature = layer["annotations"]["dev.cosignproject.cosign/signature"]
            .as_str()
            .unwrap();
        let copy = work.path().join(format!("{hex}.payload"));
        fs::copy(&payload_path, &copy).unwrap();
        let (ok, text) = openssl_verifies(&keys.cosign_pub, signature.as_bytes(), &copy);
        assert!(ok, "image signature of {digest}: {text}");
        // The attestation tag holds the signed provenance for the same digest.
        let att = run_ok(
            Command::new("skopeo")
                .args(["inspect", "--raw"])
                .arg(format!("oci:{}:sha256-{hex}.att", layout.display())),
        );
        assert!(att.contains("https://slsa.dev/provenance/v1"), "{att}");
    }
}
