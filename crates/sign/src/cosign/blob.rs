//! Blob signatures as `cosign sign-blob --key` makes them: [`CosignSigner`] and
//! [`CosignVerifier`].

use std::io::Read;

use consign_core::{Algorithm, Digest};
use sha2::{Digest as _, Sha256};

use super::encrypted::{base64_decode, base64_encode};
use super::key::{CosignKey, CosignPublicKey};
use crate::{
    Error, KeyAlgorithm, KeyInfo, Signature, SignatureFormat, Signer, VerificationMaterial,
    Verified, Verifier,
};

const FORMATS: &[SignatureFormat] = &[SignatureFormat::CosignBlob];

/// Signs streams with a [`CosignKey`]: SHA-256 while reading, then ECDSA over the digest. The
/// signature's bytes are the base64 text `cosign sign-blob` writes to its `.sig` file, and its
/// material names the key ([`VerificationMaterial::PublicKey`]).
///
/// ```
/// use consign_sign::cosign::{CosignKey, CosignSigner, CosignVerifier};
/// use consign_sign::{SignatureFormat, Signer, Verifier};
/// let key = CosignKey::generate()?;
/// let verifier = CosignVerifier::new(key.public_key().clone());
/// let signer = CosignSigner::new(key, "release key");
/// let sig = signer.sign(&mut &b"release bytes"[..], SignatureFormat::CosignBlob)?;
/// assert!(sig.bytes().starts_with(b"ME"));
/// let ok = verifier.verify(&mut &b"release bytes"[..], &sig)?;
/// assert_eq!(ok.key, signer.key().id);
/// assert!(verifier.verify(&mut &b"other bytes"[..], &sig).is_err());
/// # Ok::<(), consign_sign::Error>(())
/// ```
pub struct CosignSigner {
    key: CosignKey,
    info: KeyInfo,
}

impl CosignSigner {
    /// A signer with `key`; `name` describes it (a file name, a purpose).
    pub fn new(key: CosignKey, name: impl Into<String>) -> CosignSigner {
        let public = key.public_key();
        let info = KeyInfo::new(
            public.id().clone(),
            KeyAlgorithm::EcdsaP256,
            name,
            public.to_pem().into_bytes(),
        );
        CosignSigner { key, info }
    }

    /// The key.
    pub fn cosign_key(&self) -> &CosignKey {
        &self.key
    }

    /// Signs data whose SHA-256 is already known (an [`consign_core::Artifact`]'s digest), so
    /// a file is never read twice. The result equals [`Signer::sign`] over the data.
    pub fn sign_digest(&self, digest: &Digest) -> Result<Signature, Error> {
        let prehash = sha256_bytes(digest)?;
        self.sign_prehash(&prehash)
    }

    fn sign_prehash(&self, prehash: &[u8; 32]) -> Result<Signature, Error> {
        let der = self.key.sign_prehash(prehash)?;
        Ok(Signature::new(
            SignatureFormat::CosignBlob,
            base64_encode(&der).into_bytes(),
            VerificationMaterial::PublicKey {
                hint: self.info.id.clone(),
            },
        ))
    }
}

impl std::fmt::Debug for CosignSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CosignSigner")
            .field("key", &self.info.id)
            .field("name", &self.info.name)
            .finish()
    }
}

impl Signer for CosignSigner {
    fn key(&self) -> &KeyInfo {
        &self.info
    }

    fn formats(&self) -> &[SignatureFormat] {
        FORMATS
    }

    fn sign(&self, data: &mut dyn Read, format: SignatureFormat) -> Result<Signature, Error> {
        if format != SignatureFormat::CosignBlob {
            return Err(Error::UnsupportedFormat {
                backend: "cosign",
                format,
            });
        }
        let prehash = sha256_stream(data, "the data to sign")?;
        self.sign_prehash(&prehash)
    }
}

/// Checks cosign blob signatures against one trusted [`CosignPublicKey`].
///
/// The signature bytes may be the base64 text cosign writes or the raw ASN.1 DER that
/// `openssl dgst -sha256 -sign key.pem` writes (base64 of a DER signature always starts with
/// `M`, raw DER with the byte `0x30`).
pub struct CosignVerifier {
    key: CosignPublicKey,
}

impl CosignVerifier {
    /// A verifier trusting `key`.
    pub fn new(key: CosignPublicKey) -> CosignVerifier {
        CosignVerifier { key }
    }

    /// The trusted key.
    pub fn public_key(&self) -> &CosignPublicKey {
        &self.key
    }

    /// Checks `signature` over data whose SHA-256 is `digest`.
    pub fn verify_digest(&self, digest: &Digest, signature: &Signature) -> Result<Verified, Error> {
        self.check_envelope(signature)?;
        let prehash = sha256_bytes(digest)?;
        self.verify_prehash(&prehash, signature.bytes())
    }

    /// Checks a DER or base64 signature over a SHA-256 digest.
    pub(crate) fn verify_prehash(&self, prehash: &[u8; 32], sig: &[u8]) -> Result<Verified, Error> {
        let der = decode_blob_signature(sig)?;
        self.key.verify_prehash(prehash, &der)?;
        Ok(Verified::new(self.key.id().clone(), None))
    }

    /// Refuses signatures in another format or naming another key.
    fn check_envelope(&self, signature: &Signature) -> Result<(), Error> {
        if signature.format() != SignatureFormat::CosignBlob {
            return Err(Error::UnsupportedFormat {
                backend: "cosign",
                format: signature.format(),
            });
        }
        check_hint(self.key.id(), signature.material())
    }
}

impl std::fmt::Debug for CosignVerifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CosignVerifier")
            .field("key", self.key.id())
            .finish()
    }
}

impl Verifier for CosignVerifier {
    fn verify(&self, data: &mut dyn Read, signature: &Signature) -> Result<Verified, Error> {
        self.check_envelope(signature)?;
        let prehash = sha256_stream(data, "the signed data")?;
        self.verify_prehash(&prehash, signature.bytes())
    }
}

/// A public-key hint that names another key is a [`Error::WrongKey`]; certificates are not
/// checked by a key verifier.
pub(crate) fn check_hint(
    expected: &crate::KeyId,
    material: &VerificationMaterial,
) -> Result<(), Error> {
    match material {
        VerificationMaterial::PublicKey { hint }
            if !hint.as_str().is_empty() && hint != expected =>
        {
            Err(Error::WrongKey {
                expected: expected.clone(),
                found: hint.clone(),
            })
        }
        VerificationMaterial::PublicKey { .. } => Ok(()),
        VerificationMaterial::Certificates(_) => Err(Error::malformed(
            "cosign signature",
            "it carries a certificate (keyless signing), which a key verifier does not check",
        )),
    }
}

/// The DER signature inside cosign's base64 text, or raw DER as OpenSSL writes it.
pub(crate) fn decode_blob_signature(bytes: &[u8]) -> Result<Vec<u8>, Error> {
    match bytes.first() {
        Some(0x30) => Ok(bytes.to_vec()),
        Some(_) => base64_decode(bytes, "cosign signature"),
        None => Err(Error::malformed("cosign signature", "it is empty")),
    }
}

/// SHA-256 of everything `data` yields, in 64 KiB reads.
pub(crate) fn sha256_stream(data: &mut dyn Read, what: &str) -> Result<[u8; 32], Error> {
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        match data.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => hasher.update(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(Error::io("read", what, e)),
        }
    }
    Ok(hasher.finalize().into())
}

/// The 32 bytes of a SHA-256 [`Digest`]; other algorithms are refused.
pub(crate) fn sha256_bytes(digest: &Digest) -> Result<[u8; 32], Error> {
    if digest.algorithm() != Algorithm::Sha256 {
        return Err(Error::malformed(
            "digest to sign",
            format_args!(
                "cosign signs SHA-256 digests, not {}: hash the data with sha256",
                digest.algorithm()
            ),
        ));
    }
    digest
        .as_bytes()
        .try_into()
        .map_err(|_| Error::malformed("digest to sign", "a SHA-256 digest is 32 bytes"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pair() -> (CosignSigner, CosignVerifier) {
        let key = CosignKey::generate().unwrap();
        let verifier = CosignVerifier::new(key.public_key().clone());
        (CosignSigner::new(key, "test"), verifier)
    }

    #[test]
    fn sign_digest_equals_sign_stream() {
        let (signer, verifier) = pair();
        let data = b"some artifact".repeat(10_000);
        let digest = Digest::of(Algorithm::Sha256, &data);
        let by_digest = signer.sign_digest(&digest).unwrap();
        // RFC 6979 signatures are deterministic.
        let by_stream = signer
            .sign(&mut &data[..], SignatureFormat::CosignBlob)
            .unwrap();
        assert_eq!(by_digest, by_stream);
        verifier.verify(&mut &data[..], &by_digest).unwrap();
        verifier.verify_digest(&digest, &by_stream).unwrap();
    }

    #[test]
    fn wrong_key_tampered_and_truncated_signatures_are_typed_errors() {
        let (signer, verifier) = pair();
        let (other, _) = pair();
        let sig = other
            .sign(&mut &b"x"[..], SignatureFormat::CosignBlob)
            .unwrap();
        let err = verifier.verify(&mut &b"x"[..], &sig).unwrap_err();
        assert!(matches!(err, Error::WrongKey { .. }), "{err}");

        // Another key's signature presented under our key's name.
        let disguised = Signature::new(
            SignatureFormat::CosignBlob,
            sig.bytes().to_vec(),
            VerificationMaterial::PublicKey {
                hint: signer.key().id.clone(),
            },
        );
        let err = verifier.verify(&mut &b"x"[..], &disguised).unwrap_err();
        assert!(matches!(err, Error::BadSignature { .. }), "{err}");

        let good = signer
            .sign(&mut &b"x"[..], SignatureFormat::CosignBlob)
            .unwrap();
        let der = decode_blob_signature(good.bytes()).unwrap();
        let truncated = Signature::new(
            SignatureFormat::CosignBlob,
            base64_encode(&der[..der.len() - 3]).into_bytes(),
            good.material().clone(),
        );
        let err = verifier.verify(&mut &b"x"[..], &truncated).unwrap_err();
        assert!(matches!(err, Error::Malformed { .. }), "{err}");

        let err = verifier.verify(&mut &b"y"[..], &good).unwrap_err();
        assert!(matches!(err, Error::BadSignature { .. }), "{err}");

        let err = signer
            .sign(&mut &b"x"[..], SignatureFormat::OpenPgpArmored)
            .unwrap_err();
        assert!(matches!(err, Error::UnsupportedFormat { .. }), "{err}");
    }
}
