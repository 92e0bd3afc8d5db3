//! Signed rpms: rpmkeys checks the header signature our signer adds (Ed25519 and RSA keys),
//! refuses a package signed by a key it does not trust, rpmlint stops reporting
//! `no-signature`, and the rpm crate still reads the package.
#![allow(clippy::unwrap_used)]

mod common;

use std::fs;
use std::path::Path;
use std::process::Command;

use common::keys::{Inputs, date, signing_key, write_package};
use common::rpmkeys::{check, database};
use common::{require_tool, run};
use consign::package::rpm::Rpm;
use consign::sign::{KeyAlgorithm, Signer};

fn inputs() -> Inputs {
    Inputs::new(
        1,
        "Signed test package\nA package whose header carries an OpenPGP signature.",
    )
}

fn write(inputs: &Inputs, signer: Option<&dyn Signer>, path: &Path) -> Vec<u8> {
    let mut rpm = Rpm::new(
        &inputs.tree,
        &inputs.meta,
        "x86_64-unknown-linux-gnu".parse().unwrap(),
        date(),
    );
    if let Some(signer) = signer {
        rpm = rpm.signer(signer);
    }
    write_package(&rpm, path)
}

#[test]
fn rpmkeys_accepts_our_header_signatures() {
    require_tool("rpmkeys", "rpm");
    let inputs = inputs();
    for (algorithm, name) in [
        (KeyAlgorithm::Ed25519, "EdDSA"),
        (KeyAlgorithm::Rsa { bits: 3072 }, "RSA"),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let (key, signer) = signing_key("Release <release@consign.invalid>", algorithm);
        let (db, _) = database(dir.path(), key.public_armored());
        let pkg = dir.path().join("consign-signed-1.0.0-1.x86_64.rpm");
        let bytes = write(&inputs, Some(&signer), &pkg);

        let report = check(&db, &pkg);
        let short_id = &key.fingerprint().as_str()[32..];
        let want = format!("Header V4 {name}/SHA256 Signature, key ID {short_id}: OK");
        assert!(report.contains(&want), "{want} missing:\n{report}");
        assert!(report.contains("Header SHA256 digest: OK"), "{report}");
        assert!(report.contains("Payload SHA256 digest: OK"), "{report}");
        assert!(
            report
                .lines()
                .skip(1)
                .all(|l| l.trim_end().ends_with(": OK")),
            "{report}"
        );

        // Same key, same date: the same bytes.
        let again = write(&inputs, Some(&signer), &dir.path().join("again.rpm"));
        assert_eq!(bytes, again, "{algorithm}");

        // Signed by a key the database does not hold: not OK.
        let (_, other_signer) = signing_key("Other <other@consign.invalid>", algorithm);
        let foreign = dir.path().join("foreign.rpm");
        write(&inputs, Some(&other_signer), &foreign);
        let report = check(&db, &foreign);
        let line = report
            .lines()
            .find(|l| l.contains("Signature, key ID"))
            .unwrap_or_else(|| panic!("no signature line:\n{report}"));
        assert!(!line.trim_end().ends_with(": OK"), "{report}");
        assert!(line.contains("NOKEY"), "{report}");

        // A byte of the header changed: the signature no longer holds.
        let mut tampered = bytes.clone();
        let at = tampered
            .windows(b"Signed test package".len())
            .position(|w| w == b"Signed test package")
            .unwrap();
        tampered[at] = b's';
        let tampered_path = dir.path().join("tampered.rpm");
        fs::write(&tampered_path, &tampered).unwrap();
        let report = check(&db, &tampered_path);
        assert!(!report.contains(&want), "{report}");
        assert!(
            report.contains("BAD") || report.contains("NOT OK"),
            "{report}"
        );

        // The rpm crate reads the signed package and finds the signature where rpm does.
        let pkg = rpm::Package::open(&pkg).unwrap();
        pkg.verify_digests().unwrap();
        let tag = match algorithm {
            KeyAlgorithm::Rsa { .. } => rpm::IndexSignatureTag::RPMSIGTAG_RSA,
            _ => rpm::IndexSignatureTag::RPMSIGTAG_DSA,
        };
        assert!(pkg.metadata.signature.get_entry_data_as_binary(tag).is_ok());
        assert_eq!(pkg.metadata.get_name().unwrap(), "consign-signed");
    }
}

#[test]
fn rpmlint_no_longer_reports_no_signature() {
    require_tool("rpmlint", "rpmlint");
    require_tool("rpmkeys", "rpm");
    let inputs = inputs();
    let dir = tempfile::tempdir().unwrap();
    let (key, signer) = signing_key("Release <release@consign.invalid>", KeyAlgorithm::Ed25519);
    let (_, home) = database(dir.path(), key.public_armored());
    let lint = |pkg: &Path| {
        let out = run(Command::new("rpmlint").env("HOME", &home).arg(pkg));
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let unsigned = dir
        .path()
        .join("unsigned")
        .join("consign-signed-1.0.0-1.x86_64.rpm");
    let signed = dir
        .path()
        .join("signed")
        .join("consign-signed-1.0.0-1.x86_64.rpm");
    fs::create_dir_all(unsigned.parent().unwrap()).unwrap();
    fs::create_dir_all(signed.parent().unwrap()).unwrap();
    write(&inputs, None, &unsigned);
    write(&inputs, Some(&signer), &signed);
    let before = lint(&unsigned);
    assert!(
        before.contains("no-signature"),
        "rpmlint on the unsigned package:\n{before}"
    );
    let after = lint(&signed);
    assert!(
        !after.contains("no-signature"),
        "rpmlint on the signed package:\n{after}"
    );
    assert!(!after.contains("invalid-signature"), "{after}");
    assert!(!after.contains("unknown-key"), "{after}");
}
