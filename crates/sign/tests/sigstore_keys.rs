//! cosign key files and signatures against an independent implementation: the `sigstore`
//! crate (sigstore-rs, OpenSSL backend) writes an encrypted cosign key that we read, reads the
//! one we write, and each side verifies the other's blob signatures.

// Test code: an unwrap that fails is a failing test.
#![allow(clippy::unwrap_used)]

use consign_sign::cosign::{CosignKey, CosignPublicKey, CosignSigner, CosignVerifier, Passphrase};
use consign_sign::{Error, Signature, SignatureFormat, Signer, VerificationMaterial, Verifier};
use sigstore::crypto::signing_key::SigStoreKeyPair;
use sigstore::crypto::signing_key::ecdsa::{ECDSAKeys, EllipticCurve};
use sigstore::crypto::{CosignVerificationKey, SigningScheme};

const DATA: &[u8] = b"release artifact bytes\n";

#[test]
fn we_read_a_key_sigstore_wrote_and_it_verifies_our_signature() {
    let theirs = SigStoreKeyPair::ECDSA(ECDSAKeys::new(EllipticCurve::P256).unwrap());
    let pem = theirs.private_key_to_encrypted_pem(b"pa55").unwrap();
    assert!(pem.starts_with("-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----"));

    let err = CosignKey::from_pem(pem.as_bytes(), Some(&Passphrase::new("nope"))).unwrap_err();
    assert!(matches!(err, Error::WrongPassphrase { .. }), "{err}");
    let key = CosignKey::from_pem(pem.as_bytes(), Some(&Passphrase::new("pa55"))).unwrap();
    assert_eq!(
        key.public_key().to_der(),
        theirs.public_key_to_der().unwrap()
    );
    let public = CosignPublicKey::from_pem(theirs.public_key_to_pem().unwrap().as_bytes()).unwrap();
    assert_eq!(&public, key.public_key());

    let sig = CosignSigner::new(key, "sigstore-made")
        .sign(&mut &DATA[..], SignatureFormat::CosignBlob)
        .unwrap();
    let verification = theirs
        .to_verification_key(&SigningScheme::ECDSA_P256_SHA256_ASN1)
        .unwrap();
    verification
        .verify_signature(
            sigstore::crypto::Signature::Base64Encoded(sig.bytes()),
            DATA,
        )
        .unwrap();
    assert!(
        verification
            .verify_signature(
                sigstore::crypto::Signature::Base64Encoded(sig.bytes()),
                b"other"
            )
            .is_err()
    );
}

#[test]
fn sigstore_reads_a_key_we_wrote_and_we_verify_its_signature() {
    let ours = CosignKey::generate().unwrap();
    let pem = ours.to_encrypted_pem(&Passphrase::new("pa55")).unwrap();
    let theirs = SigStoreKeyPair::from_encrypted_pem(pem.as_bytes(), b"pa55").unwrap();
    assert_eq!(
        theirs.public_key_to_der().unwrap(),
        ours.public_key().to_der()
    );
    assert!(SigStoreKeyPair::from_encrypted_pem(pem.as_bytes(), b"wrong").is_err());

    // cosign.pub as we write it is what sigstore reads as a verification key.
    let their_view = CosignVerificationKey::from_pem(
        ours.public_key().to_pem().as_bytes(),
        &SigningScheme::ECDSA_P256_SHA256_ASN1,
    )
    .unwrap();
    let signer = theirs
        .to_sigstore_signer(&SigningScheme::ECDSA_P256_SHA256_ASN1)
        .unwrap();
    let der = signer.sign(DATA).unwrap();
    their_view
        .verify_signature(sigstore::crypto::Signature::Raw(&der), DATA)
        .unwrap();

    let verifier = CosignVerifier::new(ours.public_key().clone());
    let sig = Signature::new(
        SignatureFormat::CosignBlob,
        der,
        VerificationMaterial::PublicKey {
            hint: ours.id().clone(),
        },
    );
    verifier.verify(&mut &DATA[..], &sig).unwrap();
    let err = verifier.verify(&mut &b"other"[..], &sig).unwrap_err();
    assert!(matches!(err, Error::BadSignature { .. }), "{err}");
}
