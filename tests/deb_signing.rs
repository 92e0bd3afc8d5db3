//! Signed .debs: debsig-verify accepts the `_gpgorigin` signature our signer adds (and
//! rejects an altered package), dpkg-deb reads the signed package and lintian reports only the
//! extra member (as for any debsigs-signed package), and
//! our `verify_origin` checks packages signed by the `debsigs` tool itself.
#![allow(clippy::unwrap_used)]

mod common;

use std::fs;
use std::path::Path;
use std::process::Command;

use common::debsig::{debsig_dirs, debsig_verify};
use common::keys::{Inputs, date, signing_key, write_package};
use common::{require_tool, run, run_ok};
use consign::package::ArtifactWriter;
use consign::package::Error as PackageError;
use consign::package::deb::{Deb, DebError, verify_origin};
use consign::sign::openpgp::OpenPgpVerifier;
use consign::sign::{Error, KeyAlgorithm, Signer};

fn inputs() -> Inputs {
    Inputs::new(
        5000,
        "Signed test package\nA package carrying a debsigs origin signature.",
    )
}

fn write(inputs: &Inputs, signer: Option<&dyn Signer>, path: &Path) -> Vec<u8> {
    let mut deb = Deb::new(
        &inputs.tree,
        &inputs.meta,
        "x86_64-unknown-linux-gnu".parse().unwrap(),
        date(),
    );
    if let Some(signer) = signer {
        deb = deb.signer(signer);
    }
    write_package(&deb, path)
}

fn members(pkg: &Path) -> Vec<String> {
    run_ok(Command::new("ar").arg("t").arg(pkg))
        .lines()
        .map(str::to_owned)
        .collect()
}

#[test]
fn debsig_verify_accepts_our_origin_signatures() {
    require_tool("debsig-verify", "debsig-verify");
    require_tool("gpg", "gpg");
    require_tool("ar", "binutils");
    require_tool("dpkg-deb", "dpkg");
    let inputs = inputs();
    for algorithm in [KeyAlgorithm::Ed25519, KeyAlgorithm::Rsa { bits: 3072 }] {
        let dir = tempfile::tempdir().unwrap();
        let (key, signer) = signing_key("Release <release@consign.invalid>", algorithm);
        let (policies, keyrings) =
            debsig_dirs(dir.path(), key.public_armored(), key.fingerprint().as_str());
        let pkg = dir.path().join("consign-signed_1.0.0_amd64.deb");
        let bytes = write(&inputs, Some(&signer), &pkg);
        assert_eq!(
            members(&pkg),
            [
                "debian-binary",
                "control.tar.xz",
                "data.tar.xz",
                "_gpgorigin"
            ]
        );

        let (ok, report) = debsig_verify(&policies, &keyrings, &pkg);
        assert!(ok, "debsig-verify {algorithm}:\n{report}");
        run_ok(Command::new("dpkg-deb").arg("--info").arg(&pkg));
        run_ok(Command::new("dpkg-deb").arg("--contents").arg(&pkg));

        // Our own check agrees, and names the key.
        let verifier = OpenPgpVerifier::from_keys(key.public_armored()).unwrap();
        assert_eq!(
            &verify_origin(&pkg, &verifier).unwrap().key,
            key.fingerprint()
        );

        // Same key, same date: the same bytes.
        let again = write(&inputs, Some(&signer), &dir.path().join("again.deb"));
        assert_eq!(bytes, again, "{algorithm}");

        // A changed byte in the data member: debsig-verify and verify_origin refuse it.
        let mut tampered = bytes.clone();
        let data_at = tampered
            .windows(11)
            .position(|w| w == b"data.tar.xz")
            .unwrap();
        let i = data_at + 60 + 100;
        tampered[i] ^= 0x01;
        let tampered_path = dir.path().join("tampered.deb");
        fs::write(&tampered_path, &tampered).unwrap();
        let (ok, report) = debsig_verify(&policies, &keyrings, &tampered_path);
        assert!(!ok, "debsig-verify accepted a tampered package:\n{report}");
        assert!(matches!(
            verify_origin(&tampered_path, &verifier),
            Err(PackageError::Sign {
                source: Error::BadSignature { .. }
            })
        ));

        // Signed by another key: debsig-verify has no policy for it; we name the key.
        let (_, other_signer) = signing_key("Other <other@consign.invalid>", algorithm);
        let foreign = dir.path().join("foreign.deb");
        write(&inputs, Some(&other_signer), &foreign);
        let (ok, report) = debsig_verify(&policies, &keyrings, &foreign);
        assert!(!ok, "debsig-verify accepted another key:\n{report}");
        assert!(matches!(
            verify_origin(&foreign, &verifier),
            Err(PackageError::Sign {
                source: Error::WrongKey { .. }
            })
        ));

        // An unsigned package: no origin signature.
        let unsigned = dir.path().join("unsigned.deb");
        write(&inputs, None, &unsigned);
        assert!(!debsig_verify(&policies, &keyrings, &unsigned).0);
        assert!(matches!(
            verify_origin(&unsigned, &verifier),
            Err(PackageError::Deb(DebError::Unsigned { .. }))
        ));
    }
}

#[test]
fn lintian_reports_only_the_debsigs_member() {
    require_tool("lintian", "lintian");
    let inputs = inputs();
    let dir = tempfile::tempdir().unwrap();
    let (_, signer) = signing_key("Release <release@consign.invalid>", KeyAlgorithm::Ed25519);
    let lint = |signer: Option<&dyn Signer>, name: &str| {
        let sub = dir.path().join(name);
        fs::create_dir_all(&sub).unwrap();
        let pkg = sub.join("consign-signed_1.0.0_amd64.deb");
        write(&inputs, signer, &pkg);
        let out = run(Command::new("lintian")
            .args(["--tag-display-limit", "0"])
            .arg(&pkg));
        let mut tags: Vec<String> = String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter(|l| l.len() > 2 && l.as_bytes()[1] == b':')
            .map(str::to_owned)
            .collect();
        tags.sort();
        (tags, String::from_utf8_lossy(&out.stderr).into_owned())
    };
    let (unsigned, _) = lint(None, "unsigned");
    let (signed, stderr) = lint(Some(&signer), "signed");
    // Debian's profile allows no extra ar member, so lintian reports the debsigs member
    // (as for any debsigs-signed package; its `deb-format/extra-members` list cannot allow
    // one, being read without values) and nothing else.
    assert!(
        !unsigned.is_empty(),
        "lintian found nothing to say: is it working?"
    );
    let mut expected = unsigned.clone();
    expected.push(
        "E: consign-signed: misplaced-extra-member-in-deb _gpgorigin (unexpected _member at position 3)"
            .to_owned(),
    );
    expected.sort();
    assert_eq!(signed, expected, "lintian stderr:\n{stderr}");
}

#[test]
fn verify_origin_checks_packages_signed_by_debsigs() {
    require_tool("debsigs", "debsigs");
    require_tool("gpg", "gpg");
    let inputs = inputs();
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("gnupg");
    fs::create_dir_all(&home).unwrap();
    fs::set_permissions(&home, std::os::unix::fs::PermissionsExt::from_mode(0o700)).unwrap();
    let gpg = |args: &[&str]| {
        run_ok(
            Command::new("gpg")
                .env("GNUPGHOME", &home)
                .args(["--batch", "--quiet"])
                .args(args),
        )
    };
    let uid = "Debsigs Made <debsigs@consign.invalid>";
    gpg(&[
        "--passphrase",
        "",
        "--quick-gen-key",
        uid,
        "rsa3072",
        "sign",
        "never",
    ]);
    let public = gpg(&["--armor", "--export", uid]);
    let fpr = gpg(&["--with-colons", "--fingerprint", uid])
        .lines()
        .find(|l| l.starts_with("fpr:"))
        .and_then(|l| l.split(':').nth(9))
        .unwrap()
        .to_ascii_lowercase();

    let pkg = dir.path().join("consign-signed_1.0.0_amd64.deb");
    write(&inputs, None, &pkg);
    run_ok(
        Command::new("debsigs")
            .env("GNUPGHOME", &home)
            .arg("--sign=origin")
            .arg(format!("--default-key={fpr}"))
            .arg(&pkg),
    );
    assert!(members(&pkg).contains(&"_gpgorigin".to_owned()));
    // debsigs runs `gpg --openpgp`, whose default digest is SHA-1: refused by default, with
    // an error that says so, and accepted when SHA-1 is allowed explicitly.
    let verifier = OpenPgpVerifier::from_keys(public.as_bytes()).unwrap();
    match verify_origin(&pkg, &verifier) {
        Err(PackageError::Sign {
            source: Error::UnsupportedAlgorithm { algorithm, .. },
        }) => assert_eq!(algorithm, "Sha1"),
        other => panic!("expected a refused SHA-1 signature, got {other:?}"),
    }
    let verifier = verifier.allow_sha1(true);
    assert_eq!(verify_origin(&pkg, &verifier).unwrap().key.as_str(), fpr);

    // debsig-verify refuses the same SHA-1 signature too (its gpg rejects SHA-1 data
    // signatures): our default agrees with it.
    require_tool("debsig-verify", "debsig-verify");
    let (policies, keyrings) = debsig_dirs(&dir.path().join("debsig"), public.as_bytes(), &fpr);
    let (ok, report) = debsig_verify(&policies, &keyrings, &pkg);
    assert!(!ok, "debsig-verify accepted a SHA-1 signature:\n{report}");
}

#[test]
fn a_signer_whose_format_a_package_cannot_embed_is_refused() {
    use consign::package::rpm::Rpm;
    use consign::sign::SignatureFormat;
    use consign::sign::cosign::{CosignKey, CosignSigner};

    // A cosign key signs blobs, not OpenPGP packets: neither package format can hold it.
    let cosign = CosignSigner::new(CosignKey::generate().unwrap(), "cosign");
    let inputs = inputs();
    let dir = tempfile::tempdir().unwrap();
    let platform = "x86_64-unknown-linux-gnu".parse().unwrap();
    let deb = Deb::new(&inputs.tree, &inputs.meta, platform, date()).signer(&cosign);
    let err = deb.write_into(dir.path()).unwrap_err();
    assert!(
        matches!(
            &err,
            PackageError::Sign {
                source: Error::UnsupportedFormat {
                    format: SignatureFormat::OpenPgpBinary,
                    ..
                }
            }
        ),
        "{err}"
    );
    let rpm = Rpm::new(&inputs.tree, &inputs.meta, platform, date()).signer(&cosign);
    let err = rpm.write_into(dir.path()).unwrap_err();
    assert!(
        matches!(
            &err,
            PackageError::Sign {
                source: Error::UnsupportedFormat { .. }
            }
        ),
        "{err}"
    );
    // Nothing was left behind.
    assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 0);
}
