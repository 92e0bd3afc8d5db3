//! cosign keys and blob signatures against OpenSSL: `openssl dgst -sha256 -verify cosign.pub`
//! accepts what `CosignSigner` writes (after `base64 -d`, as cosign's `.sig` is base64) and
//! rejects it for a tampered file; signatures and keys OpenSSL makes are read and checked by
//! `CosignVerifier`; keys OpenSSL makes on other curves or algorithms are refused with a typed
//! error. Sigstore bundles are verified offline by npm `@sigstore/verify`.

// Test code: an unwrap that fails is a failing test.
#![allow(clippy::unwrap_used)]

mod common;

use std::fs;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use common::{cmd_in, require_tool, run, run_ok, sigstore};
use consign::core::{Algorithm, hash_file};
use consign::sign::cosign::{
    Bundle, CosignKey, CosignPublicKey, CosignSigner, CosignVerifier, Passphrase, SimpleSigning,
};
use consign::sign::{
    Error, KeyAlgorithm, Signature, SignatureFormat, Signer, VerificationMaterial, Verifier,
};

fn openssl() {
    require_tool("openssl", "openssl");
}

/// A 3 MiB file of varied bytes, so hashing runs over many reads.
fn artifact(dir: &Path) -> PathBuf {
    let path = dir.join("app-1.0.tar.gz");
    let data: Vec<u8> = (0..3 * 1024 * 1024u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    fs::write(&path, data).unwrap();
    path
}

/// `openssl dgst -sha256 -verify pub -signature sig.der file`: (accepted, output).
fn openssl_verify(dir: &Path, public: &Path, sig_der: &Path, file: &Path) -> (bool, String) {
    let out = run(cmd_in(dir, "openssl")
        .args(["dgst", "-sha256", "-verify"])
        .arg(public)
        .arg("-signature")
        .arg(sig_der)
        .arg(file));
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success() && text.contains("Verified OK"), text)
}

#[test]
fn openssl_accepts_cosign_blob_signatures_and_rejects_a_tampered_file() {
    openssl();
    require_tool("base64", "coreutils");
    let dir = tempfile::tempdir().unwrap();
    let pass = Passphrase::new("correct horse battery staple");
    let (key_path, pub_path) = CosignKey::generate()
        .unwrap()
        .write_key_pair(dir.path(), "cosign", &pass)
        .unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = fs::metadata(&key_path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "cosign.key must be private");
    }
    assert!(
        fs::read_to_string(&key_path)
            .unwrap()
            .starts_with("-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\n")
    );

    let file = artifact(dir.path());
    let signer = CosignSigner::new(
        CosignKey::read(&key_path, Some(&pass)).unwrap(),
        "cosign.key",
    );
    assert_eq!(signer.key().algorithm, KeyAlgorithm::EcdsaP256);
    assert_eq!(signer.formats(), [SignatureFormat::CosignBlob]);
    let sig = signer
        .sign(
            &mut fs::File::open(&file).unwrap(),
            SignatureFormat::CosignBlob,
        )
        .unwrap();
    // The digest path gives the same (deterministic, RFC 6979) signature without rereading.
    let written = hash_file(&file, &[Algorithm::Sha256]).unwrap();
    assert_eq!(signer.sign_digest(written.sha256().unwrap()).unwrap(), sig);

    let sig_path = dir.path().join("app-1.0.tar.gz.sig");
    fs::write(&sig_path, sig.bytes()).unwrap();
    let der_path = dir.path().join("sig.der");
    let der = run_ok(cmd_in(dir.path(), "sh").args([
        "-c",
        "base64 -d app-1.0.tar.gz.sig > sig.der && echo decoded",
    ]));
    assert_eq!(der.trim(), "decoded");

    let (ok, out) = openssl_verify(dir.path(), &pub_path, &der_path, &file);
    assert!(ok, "openssl rejected our signature: {out}");

    let mut data = fs::read(&file).unwrap();
    data[1_000_000] ^= 1;
    let tampered = dir.path().join("tampered.tar.gz");
    fs::write(&tampered, &data).unwrap();
    let (ok, out) = openssl_verify(dir.path(), &pub_path, &der_path, &tampered);
    assert!(!ok, "openssl accepted a tampered file: {out}");
    assert!(out.contains("Verification failure"), "{out}");

    // And our own verifier agrees on both.
    let verifier = CosignVerifier::new(CosignPublicKey::read(&pub_path).unwrap());
    let verified = verifier
        .verify(&mut fs::File::open(&file).unwrap(), &sig)
        .unwrap();
    assert_eq!(verified.key, signer.key().id);
    let err = verifier
        .verify(&mut fs::File::open(&tampered).unwrap(), &sig)
        .unwrap_err();
    assert!(matches!(err, Error::BadSignature { .. }), "{err}");
}

#[test]
fn verifies_signatures_and_reads_keys_made_by_openssl() {
    openssl();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    run_ok(cmd_in(d, "openssl").args([
        "ecparam",
        "-name",
        "prime256v1",
        "-genkey",
        "-noout",
        "-out",
        "sec1.pem",
    ]));
    run_ok(cmd_in(d, "openssl").args(["pkey", "-in", "sec1.pem", "-out", "pkcs8.pem"]));
    run_ok(cmd_in(d, "openssl").args(["pkey", "-in", "sec1.pem", "-pubout", "-out", "pub.pem"]));
    let file = artifact(d);
    run_ok(
        cmd_in(d, "openssl")
            .args([
                "dgst",
                "-sha256",
                "-sign",
                "sec1.pem",
                "-out",
                "openssl.sig",
            ])
            .arg(&file),
    );

    let public = CosignPublicKey::read(d.join("pub.pem")).unwrap();
    let verifier = CosignVerifier::new(public.clone());
    let raw = fs::read(d.join("openssl.sig")).unwrap();
    // OpenSSL's raw DER, and the same signature base64-encoded as cosign stores it.
    let b64 = run_ok(cmd_in(d, "openssl").args(["base64", "-A", "-in", "openssl.sig"]));
    for bytes in [raw.clone(), b64.trim().as_bytes().to_vec()] {
        let sig = Signature::new(
            SignatureFormat::CosignBlob,
            bytes,
            VerificationMaterial::PublicKey {
                hint: public.id().clone(),
            },
        );
        verifier
            .verify(&mut fs::File::open(&file).unwrap(), &sig)
            .unwrap();
        let err = verifier
            .verify(&mut &b"something else"[..], &sig)
            .unwrap_err();
        assert!(matches!(err, Error::BadSignature { .. }), "{err}");
    }

    // OpenSSL's unencrypted SEC1 and PKCS#8 private keys sign what OpenSSL verifies.
    for pem in ["sec1.pem", "pkcs8.pem"] {
        let key = CosignKey::read(d.join(pem), None).unwrap();
        assert_eq!(key.id(), public.id(), "{pem}");
        let sig = CosignSigner::new(key, pem)
            .sign(
                &mut fs::File::open(&file).unwrap(),
                SignatureFormat::CosignBlob,
            )
            .unwrap();
        let der_path = d.join(format!("{pem}.der"));
        fs::write(&der_path, BASE64.decode(sig.bytes()).unwrap()).unwrap();
        let (ok, out) = openssl_verify(d, &d.join("pub.pem"), &der_path, &file);
        assert!(ok, "{pem}: {out}");
    }
}

#[test]
fn keys_on_other_curves_and_algorithms_are_refused_with_their_name() {
    openssl();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    run_ok(cmd_in(d, "openssl").args([
        "ecparam",
        "-name",
        "secp384r1",
        "-genkey",
        "-noout",
        "-out",
        "p384-sec1.pem",
    ]));
    run_ok(cmd_in(d, "openssl").args(["pkey", "-in", "p384-sec1.pem", "-out", "p384.pem"]));
    run_ok(cmd_in(d, "openssl").args(["pkey", "-in", "p384.pem", "-pubout", "-out", "p384.pub"]));
    run_ok(cmd_in(d, "openssl").args(["genpkey", "-algorithm", "ed25519", "-out", "ed.pem"]));
    run_ok(cmd_in(d, "openssl").args(["pkey", "-in", "ed.pem", "-pubout", "-out", "ed.pub"]));
    run_ok(cmd_in(d, "openssl").args([
        "genpkey",
        "-algorithm",
        "RSA",
        "-pkeyopt",
        "rsa_keygen_bits:2048",
        "-out",
        "rsa.pem",
    ]));

    let expect = |result: Result<String, Error>, algorithm: &str| match result {
        Err(Error::UnsupportedAlgorithm {
            algorithm: found, ..
        }) => assert_eq!(found, algorithm),
        other => panic!("expected UnsupportedAlgorithm({algorithm}), got {other:?}"),
    };
    let private = |name: &str| CosignKey::read(d.join(name), None).map(|k| k.id().to_string());
    let public = |name: &str| CosignPublicKey::read(d.join(name)).map(|k| k.id().to_string());
    expect(private("p384-sec1.pem"), "ECDSA P-384");
    expect(private("p384.pem"), "ECDSA P-384");
    expect(public("p384.pub"), "ECDSA P-384");
    expect(private("ed.pem"), "Ed25519");
    expect(public("ed.pub"), "Ed25519");
    expect(private("rsa.pem"), "RSA");
}

#[test]
fn wrong_passphrase_public_key_and_foreign_signatures_are_typed_errors() {
    let dir = tempfile::tempdir().unwrap();
    let pass = Passphrase::new("right");
    let key = CosignKey::generate().unwrap();
    let (key_path, pub_path) = key.write_key_pair(dir.path(), "release", &pass).unwrap();

    let err = CosignKey::read(&key_path, Some(&Passphrase::new("hunter2-guess"))).unwrap_err();
    assert!(matches!(err, Error::WrongPassphrase { .. }), "{err}");
    assert!(
        !format!("{err} {err:?}").contains("hunter2"),
        "the passphrase leaked: {err}"
    );
    let err = CosignKey::read(&key_path, None).unwrap_err();
    assert!(
        matches!(err, Error::PassphraseMissing { ref hint, .. } if hint.contains("COSIGN_PASSWORD")),
        "{err}"
    );
    let err = CosignKey::read(&pub_path, Some(&pass)).unwrap_err();
    assert!(matches!(err, Error::PublicKeyOnly { .. }), "{err}");

    let verifier = CosignVerifier::new(CosignPublicKey::read(&pub_path).unwrap());
    let signer = CosignSigner::new(CosignKey::read(&key_path, Some(&pass)).unwrap(), "release");
    let good = signer
        .sign(&mut &b"data"[..], SignatureFormat::CosignBlob)
        .unwrap();

    let other = CosignSigner::new(CosignKey::generate().unwrap(), "other");
    let foreign = other
        .sign(&mut &b"data"[..], SignatureFormat::CosignBlob)
        .unwrap();
    let err = verifier.verify(&mut &b"data"[..], &foreign).unwrap_err();
    assert!(matches!(err, Error::WrongKey { .. }), "{err}");

    let text = String::from_utf8(good.bytes().to_vec()).unwrap();
    let with = |bytes: Vec<u8>| {
        Signature::new(SignatureFormat::CosignBlob, bytes, good.material().clone())
    };
    // Truncated base64, truncated DER, a flipped bit in r, and garbage.
    let truncated_text = with(text.as_bytes()[..text.len() - 8].to_vec());
    let err = verifier
        .verify(&mut &b"data"[..], &truncated_text)
        .unwrap_err();
    assert!(matches!(err, Error::Malformed { .. }), "{err}");
    let mut flipped = BASE64.decode(&text).unwrap();
    let last = flipped.len() - 1;
    flipped[last] ^= 0x01;
    let err = verifier
        .verify(&mut &b"data"[..], &with(flipped.clone()))
        .unwrap_err();
    assert!(matches!(err, Error::BadSignature { .. }), "{err}");
    let err = verifier
        .verify(
            &mut &b"data"[..],
            &with(flipped[..flipped.len() - 2].to_vec()),
        )
        .unwrap_err();
    assert!(matches!(err, Error::Malformed { .. }), "{err}");
    let err = verifier
        .verify(&mut &b"data"[..], &with(b"!!not base64!!".to_vec()))
        .unwrap_err();
    assert!(matches!(err, Error::Malformed { .. }), "{err}");
}

#[test]
fn sigstore_verify_accepts_our_bundle_offline_and_rejects_tampering() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let key = CosignKey::generate().unwrap();
    let (_, pub_path) = key
        .write_key_pair(d, "cosign", &Passphrase::new(""))
        .unwrap();
    let key_id = key.id().clone();
    let signer = CosignSigner::new(key, "cosign.key");
    let file = artifact(d);
    let written = hash_file(&file, &[Algorithm::Sha256]).unwrap();
    let digest = written.sha256().unwrap();
    let bundle = Bundle::message_signature(digest, &signer.sign_digest(digest).unwrap()).unwrap();
    let bundle_path = d.join("app-1.0.tar.gz.sigstore.json");
    fs::write(&bundle_path, bundle.to_json()).unwrap();

    let (ok, out) = sigstore::verify_bundle(&bundle_path, &pub_path, Some(&file));
    assert!(ok, "@sigstore/verify rejected our bundle: {out}");
    assert_eq!(
        out.trim(),
        format!("verified {key_id}"),
        "the hint is the key id"
    );

    // Our reader gives back the same bundle, and verifies it.
    let read = Bundle::from_json(&fs::read(&bundle_path).unwrap()).unwrap();
    assert_eq!(read, bundle);
    let verifier = CosignVerifier::new(CosignPublicKey::read(&pub_path).unwrap());
    read.verify(&verifier, &mut fs::File::open(&file).unwrap())
        .unwrap();
    assert_eq!(
        read.signature().unwrap().material(),
        &VerificationMaterial::PublicKey { hint: key_id }
    );

    // A tampered artifact.
    let mut data = fs::read(&file).unwrap();
    data[7] ^= 0x80;
    let tampered = d.join("tampered.tar.gz");
    fs::write(&tampered, &data).unwrap();
    let (ok, out) = sigstore::verify_bundle(&bundle_path, &pub_path, Some(&tampered));
    assert!(!ok && out.contains("SIGNATURE_ERROR"), "{out}");
    let err = read.verify(&verifier, &mut &data[..]).unwrap_err();
    assert!(matches!(err, Error::BadSignature { .. }), "{err}");

    // A tampered signature inside the bundle (r's last byte).
    let mut json: serde_json::Value =
        serde_json::from_slice(&fs::read(&bundle_path).unwrap()).unwrap();
    let sig_b64 = json["messageSignature"]["signature"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut der = BASE64.decode(&sig_b64).unwrap();
    let r_len = usize::from(der[3]);
    der[3 + r_len] ^= 0x01;
    json["messageSignature"]["signature"] = BASE64.encode(&der).into();
    let bad_path = d.join("bad.sigstore.json");
    fs::write(&bad_path, json.to_string()).unwrap();
    let (ok, out) = sigstore::verify_bundle(&bad_path, &pub_path, Some(&file));
    assert!(!ok, "@sigstore/verify accepted a tampered signature: {out}");
    let err = Bundle::from_json(&fs::read(&bad_path).unwrap())
        .unwrap()
        .verify(&verifier, &mut fs::File::open(&file).unwrap())
        .unwrap_err();
    assert!(matches!(err, Error::BadSignature { .. }), "{err}");

    // Another key: @sigstore/verify finds no key by the hint, ours names both keys.
    let other = CosignKey::generate().unwrap();
    let (_, other_pub) = other
        .write_key_pair(d, "other", &Passphrase::new(""))
        .unwrap();
    let (ok, out) = sigstore::verify_bundle(&bundle_path, &other_pub, Some(&file));
    assert!(!ok && out.contains("key not found"), "{out}");
    let err = read
        .verify(
            &CosignVerifier::new(other.public_key().clone()),
            &mut fs::File::open(&file).unwrap(),
        )
        .unwrap_err();
    assert!(matches!(err, Error::WrongKey { .. }), "{err}");
}

#[test]
fn simple_signing_payloads_verify_with_openssl_both_ways() {
    openssl();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let digest: consign::core::Digest =
        "sha256:87ef60f558bad79beea6425a3b28989f01dd417164150ab3baab98dcbf04def8"
            .parse()
            .unwrap();

    // Ours, checked by OpenSSL: the signature is over the payload bytes.
    let key = CosignKey::generate().unwrap();
    let (_, pub_path) = key
        .write_key_pair(d, "cosign", &Passphrase::new(""))
        .unwrap();
    let payload = SimpleSigning::new("ghcr.io/user/demo", digest);
    let (bytes, sig) = payload.sign(&CosignSigner::new(key, "cosign.key")).unwrap();
    // The payload format of cosign's SIGNATURE_SPEC, byte for byte.
    assert_eq!(
        String::from_utf8(bytes.clone()).unwrap(),
        r#"{"critical":{"identity":{"docker-reference":"ghcr.io/user/demo"},"image":{"docker-manifest-digest":"sha256:87ef60f558bad79beea6425a3b28989f01dd417164150ab3baab98dcbf04def8"},"type":"cosign container image signature"},"optional":null}"#
    );
    fs::write(d.join("payload.json"), &bytes).unwrap();
    fs::write(d.join("payload.sig"), BASE64.decode(sig.bytes()).unwrap()).unwrap();
    let (ok, out) = openssl_verify(
        d,
        &pub_path,
        &d.join("payload.sig"),
        &d.join("payload.json"),
    );
    assert!(ok, "{out}");

    // OpenSSL's, over a payload written by hand with an annotation, checked by us.
    run_ok(cmd_in(d, "openssl").args([
        "ecparam",
        "-name",
        "prime256v1",
        "-genkey",
        "-noout",
        "-out",
        "ec.pem",
    ]));
    run_ok(cmd_in(d, "openssl").args(["pkey", "-in", "ec.pem", "-pubout", "-out", "ec.pub"]));
    let theirs = r#"{"critical":{"identity":{"docker-reference":"registry.example/app"},"image":{"docker-manifest-digest":"sha256:87ef60f558bad79beea6425a3b28989f01dd417164150ab3baab98dcbf04def8"},"type":"cosign container image signature"},"optional":{"git-sha":"7fd1a60"}}"#;
    fs::write(d.join("theirs.json"), theirs).unwrap();
    run_ok(cmd_in(d, "openssl").args([
        "dgst",
        "-sha256",
        "-sign",
        "ec.pem",
        "-out",
        "theirs.sig",
        "theirs.json",
    ]));
    let public = CosignPublicKey::read(d.join("ec.pub")).unwrap();
    let signature = Signature::new(
        SignatureFormat::CosignBlob,
        BASE64
            .encode(fs::read(d.join("theirs.sig")).unwrap())
            .into_bytes(),
        VerificationMaterial::PublicKey {
            hint: public.id().clone(),
        },
    );
    let verifier = CosignVerifier::new(public);
    let signed = SimpleSigning::verify(theirs.as_bytes(), &signature, &verifier).unwrap();
    assert_eq!(signed.require_digest(&digest).unwrap(), &digest);
    assert_eq!(signed.payload.docker_reference(), "registry.example/app");
    assert_eq!(signed.payload.annotations()["git-sha"], "7fd1a60");
    let other = consign::core::Digest::of(Algorithm::Sha256, b"another manifest");
    let err = signed.require_digest(&other).unwrap_err();
    assert!(matches!(err, Error::SignedOtherDigest { .. }), "{err}");
    let forged = theirs.replace("registry.example/app", "evil.example/app");
    let err = SimpleSigning::verify(forged.as_bytes(), &signature, &verifier).unwrap_err();
    assert!(matches!(err, Error::BadSignature { .. }), "{err}");
}
