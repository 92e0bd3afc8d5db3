//! cosign's "simple signing" payload for container images: [`SimpleSigning`], the JSON that
//! `cosign sign` signs (and stores as the layer of the signature image), naming the image by
//! its manifest digest.
//!
//! ```json
//! {"critical":{"identity":{"docker-reference":"ghcr.io/o/app"},
//!              "image":{"docker-manifest-digest":"sha256:…"},
//!              "type":"cosign container image signature"},
//!  "optional":null}
//! ```

use std::collections::BTreeMap;

use consign_core::Digest;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::{Error, Signature, SignatureFormat, Signer, Verified, Verifier};

/// The `critical.type` of a cosign image signature payload.
pub const SIMPLE_SIGNING_TYPE: &str = "cosign container image signature";

/// The payload naming an image by digest, with optional annotations.
///
/// ```
/// use consign_sign::cosign::{CosignKey, CosignSigner, CosignVerifier, SimpleSigning};
/// let digest = "sha256:87ef60f558bad79beea6425a3b28989f01dd417164150ab3baab98dcbf04def8".parse()?;
/// let payload = SimpleSigning::new("ghcr.io/user/demo", digest);
/// assert_eq!(payload.to_json(), concat!(
///     r#"{"critical":{"identity":{"docker-reference":"ghcr.io/user/demo"},"#,
///     r#""image":{"docker-manifest-digest":"sha256:87ef60f558bad79beea6425a3b28989f01dd417164150ab3baab98dcbf04def8"},"#,
///     r#""type":"cosign container image signature"},"optional":null}"#));
///
/// let key = CosignKey::generate()?;
/// let verifier = CosignVerifier::new(key.public_key().clone());
/// let (bytes, signature) = payload.sign(&CosignSigner::new(key, "release"))?;
/// let signed = SimpleSigning::verify(&bytes, &signature, &verifier)?;
/// assert_eq!(signed.payload.manifest_digest(), &digest);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SimpleSigning {
    docker_reference: String,
    manifest_digest: Digest,
    optional: BTreeMap<String, Value>,
}

/// A verified payload: what it says and which key signed it.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct SignedImage {
    /// The payload.
    pub payload: SimpleSigning,
    /// The key that signed it.
    pub verified: Verified,
}

impl SimpleSigning {
    /// The payload for the image `docker_reference` (repository, without tag or digest)
    /// whose manifest has `manifest_digest`.
    pub fn new(docker_reference: impl Into<String>, manifest_digest: Digest) -> SimpleSigning {
        SimpleSigning {
            docker_reference: docker_reference.into(),
            manifest_digest,
            optional: BTreeMap::new(),
        }
    }

    /// Adds an annotation (`cosign sign -a key=value`) to the `optional` section.
    #[must_use]
    pub fn annotation(mut self, key: impl Into<String>, value: impl Into<Value>) -> Self {
        self.optional.insert(key.into(), value.into());
        self
    }

    /// The image reference.
    pub fn docker_reference(&self) -> &str {
        &self.docker_reference
    }

    /// The signed manifest digest.
    pub fn manifest_digest(&self) -> &Digest {
        &self.manifest_digest
    }

    /// The annotations.
    pub fn annotations(&self) -> &BTreeMap<String, Value> {
        &self.optional
    }

    /// The payload's JSON bytes as cosign writes them (compact; `"optional":null` when there
    /// are no annotations).
    pub fn to_json(&self) -> String {
        let json = JsonPayload {
            critical: JsonCritical {
                identity: JsonIdentity {
                    docker_reference: self.docker_reference.clone(),
                },
                image: JsonImage {
                    docker_manifest_digest: self.manifest_digest.to_string(),
                },
                type_: SIMPLE_SIGNING_TYPE.to_owned(),
            },
            optional: (!self.optional.is_empty()).then(|| self.optional.clone()),
        };
        // Strings and JSON values only: serializing cannot fail.
        serde_json::to_string(&json).unwrap_or_default()
    }

    /// Reads a payload.
    pub fn from_json(bytes: &[u8]) -> Result<SimpleSigning, Error> {
        const WHAT: &str = "simple signing payload";
        let json: JsonPayload =
            serde_json::from_slice(bytes).map_err(|e| Error::malformed(WHAT, e))?;
        if json.critical.type_ != SIMPLE_SIGNING_TYPE {
            return Err(Error::malformed(
                WHAT,
                format_args!(
                    "critical.type {:?} is not {SIMPLE_SIGNING_TYPE:?}",
                    json.critical.type_
                ),
            ));
        }
        let manifest_digest = json
            .critical
            .image
            .docker_manifest_digest
            .parse()
            .map_err(|e| Error::malformed(WHAT, format_args!("docker-manifest-digest: {e}")))?;
        Ok(SimpleSigning {
            docker_reference: json.critical.identity.docker_reference,
            manifest_digest,
            optional: json.optional.unwrap_or_default(),
        })
    }

    /// Signs the payload; returns its bytes (the signature image's layer) and the signature
    /// (for cosign keys: base64 DER, the `dev.cosignproject.cosign/signature` annotation).
    pub fn sign(&self, signer: &dyn Signer) -> Result<(Vec<u8>, Signature), Error> {
        let bytes = self.to_json().into_bytes();
        let format = if signer.formats().contains(&SignatureFormat::CosignBlob) {
            SignatureFormat::CosignBlob
        } else {
            signer
                .formats()
                .iter()
                .copied()
                .find(|f| f.is_detached())
                .ok_or(Error::UnsupportedFormat {
                    backend: "simple signing",
                    format: SignatureFormat::OpenPgpCleartext,
                })?
        };
        let signature = signer.sign(&mut bytes.as_slice(), format)?;
        Ok((bytes, signature))
    }

    /// Verifies `signature` over the payload `bytes` and returns what it signs. Check the
    /// digest with [`SignedImage::require_digest`] before trusting the image.
    pub fn verify(
        bytes: &[u8],
        signature: &Signature,
        verifier: &dyn Verifier,
    ) -> Result<SignedImage, Error> {
        let verified = verifier.verify(&mut &bytes[..], signature)?;
        Ok(SignedImage {
            payload: SimpleSigning::from_json(bytes)?,
            verified,
        })
    }
}

impl SignedImage {
    /// Refuses a payload that signs another manifest than `expected`.
    pub fn require_digest(&self, expected: &Digest) -> Result<&Digest, Error> {
        let found = self.payload.manifest_digest();
        if found != expected {
            return Err(Error::SignedOtherDigest {
                expected: Box::new(*expected),
                found: Box::new(*found),
            });
        }
        Ok(found)
    }
}

#[derive(Serialize, Deserialize)]
struct JsonPayload {
    critical: JsonCritical,
    optional: Option<BTreeMap<String, Value>>,
}

#[derive(Serialize, Deserialize)]
struct JsonCritical {
    identity: JsonIdentity,
    image: JsonImage,
    #[serde(rename = "type")]
    type_: String,
}

#[derive(Serialize, Deserialize)]
struct JsonIdentity {
    #[serde(rename = "docker-reference")]
    docker_reference: String,
}

#[derive(Serialize, Deserialize)]
struct JsonImage {
    #[serde(rename = "docker-manifest-digest")]
    docker_manifest_digest: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cosign::{CosignKey, CosignSigner, CosignVerifier};
    use consign_core::Algorithm;

    #[test]
    fn tampered_payload_and_other_digest_are_refused() {
        let key = CosignKey::generate().unwrap();
        let verifier = CosignVerifier::new(key.public_key().clone());
        let signer = CosignSigner::new(key, "k");
        let digest = Digest::of(Algorithm::Sha256, b"manifest");
        let payload = SimpleSigning::new("registry.example/app", digest).annotation("tag", "v1");
        let (bytes, sig) = payload.sign(&signer).unwrap();
        let signed = SimpleSigning::verify(&bytes, &sig, &verifier).unwrap();
        assert_eq!(signed.payload, payload);
        assert_eq!(signed.require_digest(&digest).unwrap(), &digest);

        let other = Digest::of(Algorithm::Sha256, b"other manifest");
        let err = signed.require_digest(&other).unwrap_err();
        assert!(matches!(err, Error::SignedOtherDigest { .. }), "{err}");

        let forged = String::from_utf8(bytes)
            .unwrap()
            .replace(&digest.hex(), &other.hex());
        let err = SimpleSigning::verify(forged.as_bytes(), &sig, &verifier).unwrap_err();
        assert!(matches!(err, Error::BadSignature { .. }), "{err}");

        let wrong_type = br#"{"critical":{"identity":{"docker-reference":"a"},"image":{"docker-manifest-digest":"sha256:00"},"type":"atomic container signature"},"optional":null}"#;
        assert!(matches!(
            SimpleSigning::from_json(wrong_type),
            Err(Error::Malformed { .. })
        ));
    }
}
