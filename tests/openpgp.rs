//! OpenPGP signatures against the real verifiers and signers: gpgv, gpg and Sequoia's sqv
//! accept what `consign_sign::openpgp` signs (and reject it once tampered), and our verifier
//! accepts what gpg signs and rejects tampered, truncated and other-key signatures.
#![allow(clippy::unwrap_used)]

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{require_tool, run, run_ok};
use consign::core::SourceDate;
use consign::sign::openpgp::{OpenPgpKey, OpenPgpSigner, OpenPgpVerifier, Passphrase};
use consign::sign::{
    Error, KeyAlgorithm, KeyId, Signature, SignatureFormat, Signer, VerificationMaterial, Verifier,
};

const DATE: u64 = 1_700_000_000;

fn date() -> SourceDate {
    SourceDate::from_unix(DATE)
}

/// A data file with dash lines, trailing whitespace and CR LF lines (the cleartext traps).
const DATA: &[u8] = b"Origin: consign\nLabel: test  \n-----BEGIN not a signature\n- dash\nFrom the start\r\n\ttabbed\t\nlast line without newline";

/// A temporary GNUPGHOME with `public` imported, plus a dearmored keyring for gpgv.
struct Gpg {
    dir: tempfile::TempDir,
}

impl Gpg {
    fn new() -> Gpg {
        require_tool("gpg", "gpg");
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("home")).unwrap();
        let mut perms = std::fs::metadata(dir.path().join("home"))
            .unwrap()
            .permissions();
        std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o700);
        std::fs::set_permissions(dir.path().join("home"), perms).unwrap();
        Gpg { dir }
    }

    fn home(&self) -> PathBuf {
        self.dir.path().join("home")
    }

    fn gpg(&self) -> Command {
        let mut c = Command::new("gpg");
        c.arg("--homedir")
            .arg(self.home())
            .args(["--batch", "--no-tty", "--quiet"]);
        c
    }

    fn import(&self, public: &[u8]) {
        let path = self.dir.path().join("import.asc");
        std::fs::write(&path, public).unwrap();
        run_ok(self.gpg().arg("--import").arg(&path));
    }

    /// `public` dearmored with `gpg --dearmor` (what gpgv and sqv take as a keyring).
    fn keyring(&self, public: &[u8], name: &str) -> PathBuf {
        let asc = self.dir.path().join(format!("{name}.asc"));
        std::fs::write(&asc, public).unwrap();
        let out = self.dir.path().join(format!("{name}.gpg"));
        run_ok(
            self.gpg()
                .arg("--dearmor")
                .arg("--output")
                .arg(&out)
                .arg(&asc),
        );
        out
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// A key gpg generates itself (`--quick-gen-key`, no passphrase); returns its armored
    /// public key and fingerprint.
    fn generate(&self, uid: &str, algo: &str) -> (Vec<u8>, String) {
        run_ok(self.gpg().args([
            "--passphrase",
            "",
            "--quick-gen-key",
            uid,
            algo,
            "sign",
            "never",
        ]));
        let public = run(self.gpg().args(["--armor", "--export", uid])).stdout;
        let listing = run_ok(self.gpg().args(["--with-colons", "--fingerprint", uid]));
        let fpr = listing
            .lines()
            .find(|l| l.starts_with("fpr:"))
            .and_then(|l| l.split(':').nth(9))
            .unwrap()
            .to_ascii_lowercase();
        (public, fpr)
    }
}

fn write(path: &Path, bytes: &[u8]) -> PathBuf {
    std::fs::write(path, bytes).unwrap();
    path.to_path_buf()
}

fn tampered(data: &[u8]) -> Vec<u8> {
    let mut t = data.to_vec();
    t[3] ^= 0x20;
    t
}

fn gpgv(keyring: &Path, args: &[&Path]) -> bool {
    require_tool("gpgv", "gpgv");
    run(Command::new("gpgv")
        .arg("--keyring")
        .arg(keyring)
        .args(args))
    .status
    .success()
}

fn sqv(keyring: &Path, sig: &Path, data: &Path) -> bool {
    require_tool("sqv", "sqv");
    let out = run(Command::new("sqv")
        .arg("--keyring")
        .arg(keyring)
        .arg(sig)
        .arg(data));
    out.status.success()
}

/// Our signatures, with each key algorithm, pass gpgv, gpg --verify and sqv; altered data
/// fails them all.
#[test]
fn real_verifiers_accept_our_signatures_and_reject_tampering() {
    for algorithm in [KeyAlgorithm::Ed25519, KeyAlgorithm::Rsa { bits: 3072 }] {
        let gpg = Gpg::new();
        let key =
            OpenPgpKey::generate("Consign Test <test@consign.invalid>", algorithm, date()).unwrap();
        let signer =
            OpenPgpSigner::from_armored(key.secret_armored(), &Passphrase::none(), date()).unwrap();
        assert_eq!(signer.key().id, *key.fingerprint());
        assert_eq!(signer.key().algorithm, algorithm);
        gpg.import(key.public_armored());
        let keyring = gpg.keyring(key.public_armored(), "release");
        let data = write(&gpg.path("data"), DATA);
        let bad = write(&gpg.path("bad"), &tampered(DATA));

        for (format, name) in [
            (SignatureFormat::OpenPgpArmored, "data.asc"),
            (SignatureFormat::OpenPgpBinary, "data.sig"),
        ] {
            let sig = signer.sign(&mut &DATA[..], format).unwrap();
            let sig_path = write(&gpg.path(name), sig.bytes());
            assert!(
                gpgv(&keyring, &[&sig_path, &data]),
                "gpgv {algorithm} {format}"
            );
            assert!(
                !gpgv(&keyring, &[&sig_path, &bad]),
                "gpgv tampered {algorithm} {format}"
            );
            let verify = run(gpg.gpg().arg("--verify").arg(&sig_path).arg(&data));
            assert!(
                verify.status.success(),
                "gpg --verify {algorithm} {format}: {}",
                String::from_utf8_lossy(&verify.stderr)
            );
            assert!(
                !run(gpg.gpg().arg("--verify").arg(&sig_path).arg(&bad))
                    .status
                    .success()
            );
            assert!(sqv(&keyring, &sig_path, &data), "sqv {algorithm} {format}");
            assert!(
                !sqv(&keyring, &sig_path, &bad),
                "sqv tampered {algorithm} {format}"
            );
        }

        // Cleartext (InRelease style): gpgv and gpg verify it and give back the text.
        let doc = signer
            .sign(&mut &DATA[..], SignatureFormat::OpenPgpCleartext)
            .unwrap();
        let doc_path = write(&gpg.path("InRelease"), doc.bytes());
        assert!(gpgv(&keyring, &[&doc_path]), "gpgv cleartext {algorithm}");
        let out = gpg.path("extracted");
        run_ok(
            gpg.gpg()
                .arg("--output")
                .arg(&out)
                .arg("--decrypt")
                .arg(&doc_path),
        );
        let extracted = std::fs::read(&out).unwrap();
        let expected: Vec<u8> = String::from_utf8_lossy(DATA)
            .lines()
            .map(|l| format!("{}\n", l.trim_end_matches([' ', '\t', '\r'])))
            .collect::<String>()
            .into_bytes();
        assert_eq!(
            String::from_utf8_lossy(&extracted)
                .lines()
                .map(str::trim_end)
                .collect::<Vec<_>>(),
            String::from_utf8_lossy(&expected)
                .lines()
                .collect::<Vec<_>>(),
        );
        let mut altered = doc.bytes().to_vec();
        let at = altered.windows(7).position(|w| w == b"consign").unwrap();
        altered[at] = b'K';
        let altered_path = write(&gpg.path("InRelease.bad"), &altered);
        assert!(!gpgv(&keyring, &[&altered_path]), "gpgv tampered cleartext");

        // Our verifier agrees on all three.
        let verifier = OpenPgpVerifier::from_keys(key.public_armored()).unwrap();
        let verified = verifier.verify(&mut &b""[..], &doc).unwrap();
        assert_eq!(verified.key, *key.fingerprint());
        assert_eq!(verified.created, Some(DATE as i64));
    }
}

/// The same key, data and date give the same signature bytes.
#[test]
fn signing_is_reproducible() {
    for algorithm in [KeyAlgorithm::Ed25519, KeyAlgorithm::Rsa { bits: 2048 }] {
        let key = OpenPgpKey::generate("R <r@consign.invalid>", algorithm, date()).unwrap();
        let sign = || {
            OpenPgpSigner::from_armored(key.secret_armored(), &Passphrase::none(), date())
                .unwrap()
                .sign(&mut &DATA[..], SignatureFormat::OpenPgpArmored)
                .unwrap()
        };
        assert_eq!(sign().bytes(), sign().bytes(), "{algorithm}");
    }
}

fn sig(format: SignatureFormat, bytes: Vec<u8>) -> Signature {
    Signature::new(
        format,
        bytes,
        VerificationMaterial::PublicKey {
            hint: KeyId::new(""),
        },
    )
}

/// Signatures gpg makes with a key gpg generated verify with our verifier; tampered data,
/// truncated signatures and another key's signatures are rejected with the right error.
#[test]
fn our_verifier_accepts_gpg_signatures_and_rejects_bad_ones() {
    for algo in ["ed25519", "rsa3072"] {
        let gpg = Gpg::new();
        let uid = format!("Gpg Made {algo} <gpg@consign.invalid>");
        let (public, fpr) = gpg.generate(&uid, algo);
        let data = write(&gpg.path("data"), DATA);
        let verifier = OpenPgpVerifier::from_keys(&public).unwrap();

        let detached = |armor: bool| {
            let out = gpg.path(if armor { "d.asc" } else { "d.sig" });
            let mut c = gpg.gpg();
            c.args(["--local-user", &uid, "--output"]).arg(&out);
            if armor {
                c.arg("--armor");
            }
            run_ok(c.arg("--detach-sign").arg(&data));
            std::fs::read(out).unwrap()
        };
        for (format, bytes) in [
            (SignatureFormat::OpenPgpArmored, detached(true)),
            (SignatureFormat::OpenPgpBinary, detached(false)),
        ] {
            let signature = sig(format, bytes.clone());
            let verified = verifier.verify(&mut &DATA[..], &signature).unwrap();
            assert_eq!(verified.key.as_str(), fpr);
            let err = verifier
                .verify(&mut &tampered(DATA)[..], &signature)
                .unwrap_err();
            assert!(
                matches!(err, Error::BadSignature { .. }),
                "{algo} {format}: {err}"
            );
            let cut = sig(format, bytes[..bytes.len() / 2].to_vec());
            let err = verifier.verify(&mut &DATA[..], &cut).unwrap_err();
            assert!(
                matches!(err, Error::Malformed { .. }),
                "{algo} {format} truncated: {err}"
            );
        }

        // gpg --clearsign.
        let out = gpg.path("clear.asc");
        run_ok(
            gpg.gpg()
                .args(["--local-user", &uid, "--output"])
                .arg(&out)
                .arg("--clearsign")
                .arg(&data),
        );
        let doc = std::fs::read(&out).unwrap();
        let verified = verifier
            .verify(
                &mut &b""[..],
                &sig(SignatureFormat::OpenPgpCleartext, doc.clone()),
            )
            .unwrap();
        assert_eq!(verified.key.as_str(), fpr);
        let mut altered = doc.clone();
        let at = altered.windows(7).position(|w| w == b"consign").unwrap();
        altered[at] = b'K';
        let err = verifier
            .verify(
                &mut &b""[..],
                &sig(SignatureFormat::OpenPgpCleartext, altered),
            )
            .unwrap_err();
        assert!(
            matches!(err, Error::BadSignature { .. }),
            "{algo} cleartext: {err}"
        );
        let cut = doc[..doc.len() - 60].to_vec();
        let err = verifier
            .verify(&mut &b""[..], &sig(SignatureFormat::OpenPgpCleartext, cut))
            .unwrap_err();
        assert!(
            matches!(err, Error::Malformed { .. }),
            "{algo} cleartext truncated: {err}"
        );

        // A signature by another key (ours) names that key.
        let other =
            OpenPgpKey::generate("Other <o@consign.invalid>", KeyAlgorithm::Ed25519, date())
                .unwrap();
        let other_sig =
            OpenPgpSigner::from_armored(other.secret_armored(), &Passphrase::none(), date())
                .unwrap()
                .sign(&mut &DATA[..], SignatureFormat::OpenPgpBinary)
                .unwrap();
        match verifier.verify(&mut &DATA[..], &other_sig).unwrap_err() {
            Error::WrongKey { expected, found } => {
                assert_eq!(expected.as_str(), fpr);
                assert_eq!(&found, other.fingerprint());
            }
            e => panic!("expected WrongKey, got {e}"),
        }

        // gpg's binary keyring (as gpgv reads it) works as well as the armored key.
        let keyring = gpg.keyring(&public, "gpgmade");
        let from_binary = OpenPgpVerifier::from_file(&keyring).unwrap();
        assert_eq!(from_binary.keys(), verifier.keys());
    }
}

/// A key gpg made and exported (secret, with a passphrase) signs with our signer; each bad
/// input is its own error.
#[test]
fn bad_inputs_are_typed_errors() {
    let gpg = Gpg::new();
    let uid = "Locked <locked@consign.invalid>";
    run_ok(gpg.gpg().args([
        "--pinentry-mode",
        "loopback",
        "--passphrase",
        "open sesame",
        "--quick-gen-key",
        uid,
        "ed25519",
        "sign",
        "never",
    ]));
    let secret = run(gpg.gpg().args([
        "--pinentry-mode",
        "loopback",
        "--passphrase",
        "open sesame",
        "--armor",
        "--export-secret-keys",
        uid,
    ]))
    .stdout;
    let public = run(gpg.gpg().args(["--armor", "--export", uid])).stdout;

    let signer =
        OpenPgpSigner::from_armored(&secret, &Passphrase::new("open sesame"), date()).unwrap();
    let s = signer
        .sign(&mut &DATA[..], SignatureFormat::OpenPgpArmored)
        .unwrap();
    let keyring = gpg.keyring(&public, "locked");
    let data = write(&gpg.path("data"), DATA);
    let sig_path = write(&gpg.path("data.asc"), s.bytes());
    assert!(gpgv(&keyring, &[&sig_path, &data]));

    match OpenPgpSigner::from_armored(&secret, &Passphrase::new("hunter2-guess"), date()) {
        Err(e @ Error::WrongPassphrase { .. }) => {
            assert_eq!(e.to_string(), "wrong passphrase for the OpenPGP secret key")
        }
        other => panic!("expected WrongPassphrase, got {other:?}"),
    }
    match OpenPgpSigner::from_armored(
        &secret,
        &Passphrase::from_env("CONSIGN_TEST_UNSET_PASSPHRASE"),
        date(),
    ) {
        Err(e @ Error::PassphraseMissing { .. }) => {
            assert_eq!(
                e.to_string(),
                "the OpenPGP secret key is encrypted and no passphrase was given: \
                 set the environment variable CONSIGN_TEST_UNSET_PASSPHRASE"
            )
        }
        other => panic!("expected PassphraseMissing, got {other:?}"),
    }
    match OpenPgpSigner::from_armored(&public, &Passphrase::none(), date()) {
        Err(e @ Error::PublicKeyOnly { .. }) => assert_eq!(
            e.to_string(),
            "the OpenPGP key is a public key; signing needs the secret key"
        ),
        other => panic!("expected PublicKeyOnly, got {other:?}"),
    }
    assert!(matches!(
        OpenPgpSigner::from_armored(b"not a key", &Passphrase::none(), date()),
        Err(Error::Malformed { .. })
    ));
    assert!(matches!(
        OpenPgpKey::generate("x", KeyAlgorithm::EcdsaP256, date()),
        Err(Error::UnsupportedAlgorithm { .. })
    ));
    // An ECDSA (NIST P-256) key from gpg: readable, but not one we sign with.
    let ecdsa = "Nist <nist@consign.invalid>";
    run_ok(gpg.gpg().args([
        "--passphrase",
        "",
        "--quick-gen-key",
        ecdsa,
        "nistp256",
        "sign",
        "never",
    ]));
    let ecdsa_secret = run(gpg.gpg().args(["--armor", "--export-secret-keys", ecdsa])).stdout;
    assert!(matches!(
        OpenPgpSigner::from_armored(&ecdsa_secret, &Passphrase::none(), date()),
        Err(Error::UnsupportedAlgorithm { .. })
    ));
    // Our own protected keys behave the same way.
    let protected = OpenPgpKey::generate_protected(
        "P <p@consign.invalid>",
        KeyAlgorithm::Ed25519,
        date(),
        &Passphrase::new("pw"),
    )
    .unwrap();
    assert!(matches!(
        OpenPgpSigner::from_armored(protected.secret_armored(), &Passphrase::none(), date()),
        Err(Error::PassphraseMissing { .. })
    ));
    OpenPgpSigner::from_armored(protected.secret_armored(), &Passphrase::new("pw"), date())
        .unwrap();
}

/// A date before the key existed is moved up to the key's creation: gpg and sqv reject
/// signatures older than their key.
#[test]
fn signatures_are_never_older_than_the_key() {
    let key =
        OpenPgpKey::generate("Old <old@consign.invalid>", KeyAlgorithm::Ed25519, date()).unwrap();
    let early = SourceDate::from_unix(DATE - 86_400);
    let signer =
        OpenPgpSigner::from_armored(key.secret_armored(), &Passphrase::none(), early).unwrap();
    assert_eq!(u64::from(signer.signature_time()), DATE);
    let later = SourceDate::from_unix(DATE + 60);
    let signer =
        OpenPgpSigner::from_armored(key.secret_armored(), &Passphrase::none(), later).unwrap();
    assert_eq!(u64::from(signer.signature_time()), DATE + 60);
    let gpg = Gpg::new();
    let keyring = gpg.keyring(key.public_armored(), "old");
    let data = write(&gpg.path("data"), DATA);
    let sig = signer
        .sign(&mut &DATA[..], SignatureFormat::OpenPgpBinary)
        .unwrap();
    let sig_path = write(&gpg.path("data.sig"), sig.bytes());
    assert!(sqv(&keyring, &sig_path, &data));
}

/// The `sign` example: a protected key from a file, its passphrase from an environment
/// variable, the date from SOURCE_DATE_EPOCH; gpgv accepts what it writes.
#[test]
fn sign_example_signs_with_a_protected_key_file() {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml");
    run_ok(
        Command::new(env!("CARGO"))
            .args(["build", "--quiet", "--example", "sign", "--manifest-path"])
            .arg(&manifest),
    );
    let exe = std::env::current_exe().unwrap();
    let sign = exe
        .ancestors()
        .nth(2)
        .unwrap()
        .join("examples")
        .join("sign");

    let gpg = Gpg::new();
    let key = OpenPgpKey::generate_protected(
        "Env <env@consign.invalid>",
        KeyAlgorithm::Ed25519,
        date(),
        &Passphrase::new("from the environment"),
    )
    .unwrap();
    let key_path = write(&gpg.path("key.asc"), key.secret_armored());
    let keyring = gpg.keyring(key.public_armored(), "env");
    let data = write(&gpg.path("data"), DATA);
    let out = run(Command::new(&sign)
        .env("SOURCE_DATE_EPOCH", DATE.to_string())
        .env("CONSIGN_TEST_PASSPHRASE", "from the environment")
        .args([
            "--armor",
            "--passphrase-env",
            "CONSIGN_TEST_PASSPHRASE",
            "--key",
        ])
        .arg(&key_path)
        .arg(&data));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(gpgv(&keyring, &[&gpg.path("data.asc"), &data]));

    // Without the variable: the error names it, exit status 1, no signature written.
    std::fs::remove_file(gpg.path("data.asc")).unwrap();
    let out = run(Command::new(&sign)
        .env_remove("CONSIGN_TEST_PASSPHRASE")
        .args(["--passphrase-env", "CONSIGN_TEST_PASSPHRASE", "--key"])
        .arg(&key_path)
        .arg(&data));
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("CONSIGN_TEST_PASSPHRASE"), "{stderr}");
    assert!(!gpg.path("data.sig").exists());
}
