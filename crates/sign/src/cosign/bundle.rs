//! Sigstore bundles (`application/vnd.dev.sigstore.bundle.v0.3+json`): [`Bundle`], a signature
//! with the material to verify it in one JSON file, as `cosign sign-blob --bundle` writes it.
//!
//! Key-signed bundles name the key with `verificationMaterial.publicKey.hint` (the
//! [`crate::KeyId`], hex of the SHA-256 of the public key's DER) and carry no transparency-log
//! entries. The verification material and log entries come from the [`Signature`], so a keyless
//! signature (certificate + Rekor entries) is written by the same code.

use std::io::{Read, Write};

use consign_core::{Algorithm, Digest};
use serde::{Deserialize, Serialize};

use super::blob::{CosignVerifier, check_hint, decode_blob_signature, sha256_bytes, sha256_stream};
use super::encrypted::{base64_decode, base64_encode};
use crate::attest::Envelope;
use crate::{Error, KeyId, Signature, SignatureFormat, TlogEntry, VerificationMaterial, Verified};

/// The media type of the bundles written here.
pub const BUNDLE_MEDIA_TYPE: &str = "application/vnd.dev.sigstore.bundle.v0.3+json";

/// What a bundle signs.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum BundleContent {
    /// A signature over the SHA-256 digest of an artifact (`messageSignature`).
    MessageSignature {
        /// The artifact's digest.
        digest: Digest,
        /// The ASN.1 DER ECDSA signature.
        signature: Vec<u8>,
    },
    /// A DSSE envelope with one signature (an attestation, `dsseEnvelope`).
    Dsse(Envelope),
}

/// A Sigstore bundle: the content (a message signature), the verification material and the
/// transparency-log entries.
///
/// ```
/// use consign_core::{Algorithm, Digest};
/// use consign_sign::cosign::{Bundle, CosignKey, CosignSigner, CosignVerifier};
/// let key = CosignKey::generate()?;
/// let verifier = CosignVerifier::new(key.public_key().clone());
/// let signer = CosignSigner::new(key, "release");
/// let digest = Digest::of(Algorithm::Sha256, b"artifact");
/// let bundle = Bundle::message_signature(&digest, &signer.sign_digest(&digest)?)?;
/// let json = bundle.to_json();
/// assert!(json.contains(r#""mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json""#));
/// let read = Bundle::from_json(json.as_bytes())?;
/// read.verify(&verifier, &mut &b"artifact"[..])?;
/// assert!(read.verify(&verifier, &mut &b"other"[..]).is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bundle {
    material: VerificationMaterial,
    tlog_entries: Vec<TlogEntry>,
    content: BundleContent,
}

impl Bundle {
    /// A bundle for a [`SignatureFormat::CosignBlob`] signature over the data whose SHA-256 is
    /// `digest`, with the signature's verification material and log entries.
    pub fn message_signature(digest: &Digest, signature: &Signature) -> Result<Bundle, Error> {
        if signature.format() != SignatureFormat::CosignBlob {
            return Err(Error::UnsupportedFormat {
                backend: "Sigstore bundle",
                format: signature.format(),
            });
        }
        sha256_bytes(digest)?;
        Ok(Bundle {
            material: signature.material().clone(),
            tlog_entries: signature.tlog_entries().to_vec(),
            content: BundleContent::MessageSignature {
                digest: *digest,
                signature: decode_blob_signature(signature.bytes())?,
            },
        })
    }

    /// A bundle for a DSSE envelope (an attestation) with exactly one signature, whose key
    /// `material` describes (for a cosign key: [`VerificationMaterial::PublicKey`] with its id).
    pub fn dsse(envelope: Envelope, material: VerificationMaterial) -> Result<Bundle, Error> {
        if envelope.signatures().len() != 1 {
            return Err(Error::malformed(
                "Sigstore bundle",
                format_args!(
                    "a bundle holds a DSSE envelope with one signature, not {}",
                    envelope.signatures().len()
                ),
            ));
        }
        Ok(Bundle {
            material,
            tlog_entries: Vec::new(),
            content: BundleContent::Dsse(envelope),
        })
    }

    /// Adds transparency-log entries (keyless signing).
    #[must_use]
    pub fn with_tlog_entries(mut self, entries: Vec<TlogEntry>) -> Bundle {
        self.tlog_entries = entries;
        self
    }

    /// The DSSE envelope, for a DSSE bundle.
    pub fn envelope(&self) -> Option<&Envelope> {
        match &self.content {
            BundleContent::Dsse(envelope) => Some(envelope),
            BundleContent::MessageSignature { .. } => None,
        }
    }

    /// Verifies a DSSE bundle's envelope with `verifier` (see [`Envelope::verify`]); read the
    /// statement from [`Bundle::envelope`] afterwards.
    pub fn verify_envelope(&self, verifier: &dyn crate::Verifier) -> Result<Verified, Error> {
        match &self.content {
            BundleContent::Dsse(envelope) => envelope.verify(verifier),
            BundleContent::MessageSignature { .. } => Err(Error::malformed(
                "Sigstore bundle",
                "it holds a message signature: verify it with Bundle::verify and the artifact",
            )),
        }
    }

    /// What is signed.
    pub fn content(&self) -> &BundleContent {
        &self.content
    }

    /// The verification material.
    pub fn material(&self) -> &VerificationMaterial {
        &self.material
    }

    /// The transparency-log entries.
    pub fn tlog_entries(&self) -> &[TlogEntry] {
        &self.tlog_entries
    }

    /// A message signature as a [`Signature`] ([`SignatureFormat::CosignBlob`]); `None` for
    /// a DSSE bundle.
    pub fn signature(&self) -> Option<Signature> {
        match &self.content {
            BundleContent::MessageSignature { signature, .. } => Some(
                Signature::new(
                    SignatureFormat::CosignBlob,
                    base64_encode(signature).into_bytes(),
                    self.material.clone(),
                )
                .with_tlog_entries(self.tlog_entries.clone()),
            ),
            BundleContent::Dsse(_) => None,
        }
    }

    /// Checks the bundle's signature over everything `data` yields, with `verifier`'s key.
    /// The data's digest must equal the bundle's `messageDigest` too.
    pub fn verify(
        &self,
        verifier: &CosignVerifier,
        data: &mut dyn Read,
    ) -> Result<Verified, Error> {
        let prehash = sha256_stream(data, "the signed data")?;
        self.verify_prehash(verifier, &prehash)
    }

    /// Checks the bundle's signature for data whose SHA-256 is `digest`.
    pub fn verify_digest(
        &self,
        verifier: &CosignVerifier,
        digest: &Digest,
    ) -> Result<Verified, Error> {
        let prehash = sha256_bytes(digest)?;
        self.verify_prehash(verifier, &prehash)
    }

    fn verify_prehash(
        &self,
        verifier: &CosignVerifier,
        prehash: &[u8; 32],
    ) -> Result<Verified, Error> {
        let key = verifier.public_key().id();
        check_hint(key, &self.material)?;
        match &self.content {
            BundleContent::MessageSignature { digest, signature } => {
                let verified = verifier.verify_prehash(prehash, signature)?;
                if digest.as_bytes() != prehash {
                    return Err(Error::BadSignature { key: key.clone() });
                }
                Ok(verified)
            }
            BundleContent::Dsse(_) => Err(Error::malformed(
                "Sigstore bundle",
                "it holds a DSSE envelope: verify it with Bundle::verify_envelope",
            )),
        }
    }

    /// The bundle as compact JSON (protobuf JSON mapping: camelCase names, base64 bytes,
    /// 64-bit integers as strings), as cosign writes it.
    pub fn to_json(&self) -> String {
        let (certificate, public_key) = match &self.material {
            VerificationMaterial::PublicKey { hint } => (
                None,
                Some(JsonPublicKey {
                    hint: hint.as_str().to_owned(),
                }),
            ),
            // Bundle v0.3 carries the leaf certificate only; the chain comes from the trust root.
            VerificationMaterial::Certificates(chain) => (
                chain.first().map(|leaf| JsonCertificate {
                    raw_bytes: base64_encode(leaf),
                }),
                None,
            ),
        };
        let (message_signature, dsse_envelope) = match &self.content {
            BundleContent::MessageSignature { digest, signature } => (
                Some(JsonMessageSignature {
                    message_digest: JsonHashOutput {
                        algorithm: "SHA2_256".to_owned(),
                        digest: base64_encode(digest.as_bytes()),
                    },
                    signature: base64_encode(signature),
                }),
                None,
            ),
            BundleContent::Dsse(envelope) => (
                None,
                serde_json::from_str::<serde_json::Value>(&envelope.to_json()).ok(),
            ),
        };
        let json = JsonBundle {
            media_type: BUNDLE_MEDIA_TYPE.to_owned(),
            verification_material: JsonMaterial {
                public_key,
                certificate,
                x509_certificate_chain: None,
                tlog_entries: self.tlog_entries.iter().map(JsonTlogEntry::from).collect(),
            },
            message_signature,
            dsse_envelope,
        };
        // Plain strings and vectors: serializing cannot fail.
        serde_json::to_string(&json).unwrap_or_default()
    }

    /// Writes [`Bundle::to_json`] to `out`.
    pub fn write_to(&self, mut out: impl Write) -> Result<(), Error> {
        out.write_all(self.to_json().as_bytes())
            .map_err(|e| Error::io("write", "Sigstore bundle", e))
    }

    /// Reads a bundle (media types v0.1 to v0.3; message signatures or DSSE envelopes).
    pub fn from_json(text: &[u8]) -> Result<Bundle, Error> {
        const WHAT: &str = "Sigstore bundle";
        let json: JsonBundle =
            serde_json::from_slice(text).map_err(|e| Error::malformed(WHAT, e))?;
        let known = [
            BUNDLE_MEDIA_TYPE,
            "application/vnd.dev.sigstore.bundle+json;version=0.1",
            "application/vnd.dev.sigstore.bundle+json;version=0.2",
            "application/vnd.dev.sigstore.bundle+json;version=0.3",
        ];
        if !known.contains(&json.media_type.as_str()) {
            return Err(Error::malformed(
                WHAT,
                format_args!("media type {:?} is not a bundle v0.1-v0.3", json.media_type),
            ));
        }
        let vm = json.verification_material;
        let material = match (vm.public_key, vm.certificate, vm.x509_certificate_chain) {
            (Some(key), None, None) => VerificationMaterial::PublicKey {
                hint: KeyId::new(key.hint),
            },
            (None, Some(cert), None) => VerificationMaterial::Certificates(vec![base64_decode(
                cert.raw_bytes.as_bytes(),
                WHAT,
            )?]),
            (None, None, Some(chain)) => VerificationMaterial::Certificates(
                chain
                    .certificates
                    .iter()
                    .map(|c| base64_decode(c.raw_bytes.as_bytes(), WHAT))
                    .collect::<Result<_, _>>()?,
            ),
            _ => {
                return Err(Error::malformed(
                    WHAT,
                    "verificationMaterial needs exactly one of publicKey, certificate, x509CertificateChain",
                ));
            }
        };
        let tlog_entries = vm
            .tlog_entries
            .into_iter()
            .map(TlogEntry::try_from)
            .collect::<Result<_, _>>()?;
        let message = match (json.message_signature, json.dsse_envelope) {
            (Some(message), None) => message,
            (None, Some(envelope)) => {
                let envelope = Envelope::from_json(envelope.to_string().as_bytes())?;
                return Ok(Bundle::dsse(envelope, material)?.with_tlog_entries(tlog_entries));
            }
            _ => {
                return Err(Error::malformed(
                    WHAT,
                    "a bundle needs exactly one of messageSignature and dsseEnvelope",
                ));
            }
        };
        if message.message_digest.algorithm != "SHA2_256" {
            return Err(Error::malformed(
                WHAT,
                format_args!(
                    "digest algorithm {} (cosign bundles use SHA2_256)",
                    message.message_digest.algorithm
                ),
            ));
        }
        let raw = base64_decode(message.message_digest.digest.as_bytes(), WHAT)?;
        let digest =
            Digest::from_bytes(Algorithm::Sha256, &raw).map_err(|e| Error::malformed(WHAT, e))?;
        let signature = base64_decode(message.signature.as_bytes(), WHAT)?;
        Ok(Bundle {
            material,
            tlog_entries,
            content: BundleContent::MessageSignature { digest, signature },
        })
    }
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct JsonBundle {
    media_type: String,
    verification_material: JsonMaterial,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    message_signature: Option<JsonMessageSignature>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    dsse_envelope: Option<serde_json::Value>,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct JsonMaterial {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    public_key: Option<JsonPublicKey>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    certificate: Option<JsonCertificate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    x509_certificate_chain: Option<JsonChain>,
    #[serde(default)]
    tlog_entries: Vec<JsonTlogEntry>,
}

#[derive(Serialize, Deserialize)]
struct JsonPublicKey {
    hint: String,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct JsonCertificate {
    raw_bytes: String,
}

#[derive(Serialize, Deserialize)]
struct JsonChain {
    certificates: Vec<JsonCertificate>,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct JsonMessageSignature {
    message_digest: JsonHashOutput,
    signature: String,
}

#[derive(Serialize, Deserialize)]
struct JsonHashOutput {
    algorithm: String,
    digest: String,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct JsonTlogEntry {
    log_index: String,
    log_id: JsonLogId,
    kind_version: JsonKindVersion,
    integrated_time: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    inclusion_promise: Option<JsonPromise>,
    canonicalized_body: String,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct JsonLogId {
    key_id: String,
}

#[derive(Serialize, Deserialize)]
struct JsonKindVersion {
    kind: String,
    version: String,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct JsonPromise {
    signed_entry_timestamp: String,
}

impl From<&TlogEntry> for JsonTlogEntry {
    fn from(e: &TlogEntry) -> JsonTlogEntry {
        JsonTlogEntry {
            log_index: e.log_index.to_string(),
            log_id: JsonLogId {
                key_id: e.log_id.clone(),
            },
            kind_version: JsonKindVersion {
                kind: e.kind.clone(),
                version: e.kind_version.clone(),
            },
            integrated_time: e.integrated_time.to_string(),
            inclusion_promise: (!e.signed_entry_timestamp.is_empty()).then(|| JsonPromise {
                signed_entry_timestamp: e.signed_entry_timestamp.clone(),
            }),
            canonicalized_body: e.canonicalized_body.clone(),
        }
    }
}

impl TryFrom<JsonTlogEntry> for TlogEntry {
    type Error = Error;

    fn try_from(e: JsonTlogEntry) -> Result<TlogEntry, Error> {
        let number = |field: &str, text: &str| {
            text.parse::<i64>().map_err(|err| {
                Error::malformed(
                    "Sigstore bundle",
                    format_args!("tlog entry {field} {text:?}: {err}"),
                )
            })
        };
        let log_index = u64::try_from(number("logIndex", &e.log_index)?).map_err(|err| {
            Error::malformed(
                "Sigstore bundle",
                format_args!("tlog entry logIndex: {err}"),
            )
        })?;
        let entry = TlogEntry::new(
            log_index,
            e.log_id.key_id,
            e.kind_version.kind,
            e.kind_version.version,
            number("integratedTime", &e.integrated_time)?,
            e.canonicalized_body,
        );
        Ok(match e.inclusion_promise {
            Some(p) => entry.with_signed_entry_timestamp(p.signed_entry_timestamp),
            None => entry,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keyless_material_and_tlog_entries_round_trip() {
        let digest = Digest::of(Algorithm::Sha256, b"x");
        let entry = TlogEntry::new(
            25_579,
            "wNI9atQGlz+VWfO6LRygH4QUfY/8W4RFwiT5i5WRgB0=",
            "hashedrekord",
            "0.0.1",
            1_700_000_000,
            "eyJhIjoxfQ==",
        )
        .with_signed_entry_timestamp("MEUCIQ==");
        let sig = Signature::new(
            SignatureFormat::CosignBlob,
            b"MAYCAQECAQE=".to_vec(),
            VerificationMaterial::Certificates(vec![vec![0x30, 0x03, 0x02, 0x01, 0x01]]),
        )
        .with_tlog_entries(vec![entry]);
        let bundle = Bundle::message_signature(&digest, &sig).unwrap();
        let json = bundle.to_json();
        assert!(
            json.contains(r#""certificate":{"rawBytes":"MAMCAQE="}"#),
            "{json}"
        );
        assert!(json.contains(r#""logIndex":"25579""#), "{json}");
        assert!(json.contains(r#""integratedTime":"1700000000""#), "{json}");
        assert!(json.contains(r#""inclusionPromise":{"signedEntryTimestamp":"MEUCIQ=="}"#));
        let read = Bundle::from_json(json.as_bytes()).unwrap();
        assert_eq!(read, bundle);
        assert_eq!(read.signature(), Some(sig));
    }

    #[test]
    fn refuses_unknown_media_types_and_ambiguous_material() {
        let bad = br#"{"mediaType":"application/json","verificationMaterial":{"publicKey":{"hint":"a"},"tlogEntries":[]},"messageSignature":{"messageDigest":{"algorithm":"SHA2_256","digest":"AA=="},"signature":"AA=="}}"#;
        assert!(matches!(
            Bundle::from_json(bad),
            Err(Error::Malformed { .. })
        ));
        let both = br#"{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json","verificationMaterial":{"publicKey":{"hint":"a"},"certificate":{"rawBytes":"AA=="},"tlogEntries":[]},"messageSignature":{"messageDigest":{"algorithm":"SHA2_256","digest":"AA=="},"signature":"AA=="}}"#;
        assert!(matches!(
            Bundle::from_json(both),
            Err(Error::Malformed { .. })
        ));
    }
}
