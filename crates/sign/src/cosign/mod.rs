//! cosign-compatible keys and blob signatures.
//!
//! - [`CosignKey`]: an ECDSA P-256 key, generated here or read from the encrypted PEM that
//!   `cosign generate-key-pair` writes (`ENCRYPTED SIGSTORE PRIVATE KEY`, or the older
//!   `ENCRYPTED COSIGN PRIVATE KEY`: scrypt-derived key, NaCl secretbox, JSON body), and written
//!   back in that format. The passphrase is a [`Passphrase`] the caller supplies — from
//!   [`Passphrase::from_env`] (`COSIGN_PASSWORD`) or elsewhere; it is never printed.
//! - [`CosignPublicKey`]: `cosign.pub`, a PEM `PUBLIC KEY`; its [`crate::KeyId`] is the SHA-256
//!   of the DER, hex.
//! - [`CosignSigner`] / [`CosignVerifier`]: the [`crate::Signer`] / [`crate::Verifier`]
//!   implementations for [`crate::SignatureFormat::CosignBlob`] — base64 of the DER ECDSA
//!   signature over the SHA-256 of the data, streamed. `openssl dgst -sha256 -verify cosign.pub`
//!   accepts them, and the verifier accepts OpenSSL's raw DER signatures too.
//! - [`Bundle`]: a Sigstore bundle v0.3 (`cosign sign-blob --bundle`), the signature with its
//!   digest, verification material and transparency-log entries in one JSON file; or an
//!   attestation's DSSE envelope with its material (`cosign attest --new-bundle-format`).
//! - [`SimpleSigning`]: the payload `cosign sign` signs for a container image (its manifest
//!   digest), signed through any [`crate::Signer`]; verifying it returns the signed digest.
//!
//! ```
//! use consign_sign::cosign::{CosignKey, CosignPublicKey, CosignSigner, CosignVerifier, Passphrase};
//! use consign_sign::{SignatureFormat, Signer, Verifier};
//!
//! let dir = tempfile::tempdir()?;
//! let pass = Passphrase::new("s3cret");
//! let (key_path, pub_path) = CosignKey::generate()?.write_key_pair(dir.path(), "cosign", &pass)?;
//!
//! let signer = CosignSigner::new(CosignKey::read(&key_path, Some(&pass))?, "cosign.key");
//! let sig = signer.sign(&mut &b"artifact"[..], SignatureFormat::CosignBlob)?;
//! std::fs::write(dir.path().join("artifact.sig"), sig.bytes())?;
//!
//! let verifier = CosignVerifier::new(CosignPublicKey::read(&pub_path)?);
//! verifier.verify(&mut &b"artifact"[..], &sig)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Built on the RustCrypto crates (`p256`, `scrypt`, `crypto_secretbox`, `pkcs8`) rather than
//! the `sigstore` crate: sigstore 0.15 cannot be built without one of its TLS crypto backends
//! (`native-tls` links the system OpenSSL, `rustls-tls` builds aws-lc), about 160 crates
//! including tokio and an X.509 stack, for what is here a few hundred lines. The tests use
//! `sigstore` (with OpenSSL) as an independent producer and reader of key files.

mod blob;
mod bundle;
mod encrypted;
mod key;
mod simple_signing;

pub use blob::{CosignSigner, CosignVerifier};
pub use bundle::{BUNDLE_MEDIA_TYPE, Bundle, BundleContent};
pub(crate) use encrypted::{base64_decode, base64_encode};
pub use key::{
    COSIGN_PASSWORD, COSIGN_PRIVATE_KEY_LABEL, CosignKey, CosignPublicKey, Passphrase,
    SIGSTORE_PRIVATE_KEY_LABEL,
};
pub use simple_signing::{SIMPLE_SIGNING_TYPE, SignedImage, SimpleSigning};
