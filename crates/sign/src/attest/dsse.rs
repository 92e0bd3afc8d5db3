//! DSSE envelopes (Dead Simple Signing Envelope v1): [`Envelope`], signed and verified
//! through the [`Signer`] / [`Verifier`] seam over the pre-authentication encoding ([`pae`]).

use serde::{Deserialize, Serialize};

use super::statement::{IN_TOTO_PAYLOAD_TYPE, Statement};
use crate::cosign::{base64_decode, base64_encode};
use crate::{
    Error, KeyId, Signature, SignatureFormat, Signer, VerificationMaterial, Verified, Verifier,
};

/// The DSSE v1 pre-authentication encoding:
/// `"DSSEv1" SP len(type) SP type SP len(payload) SP payload`, lengths in ASCII decimal.
///
/// ```
/// use consign_sign::attest::pae;
/// assert_eq!(pae("http://example.com/HelloWorld", b"hello world"),
///            b"DSSEv1 29 http://example.com/HelloWorld 11 hello world".to_vec());
/// ```
pub fn pae(payload_type: &str, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(payload_type.len() + payload.len() + 32);
    out.extend_from_slice(b"DSSEv1 ");
    out.extend_from_slice(payload_type.len().to_string().as_bytes());
    out.push(b' ');
    out.extend_from_slice(payload_type.as_bytes());
    out.push(b' ');
    out.extend_from_slice(payload.len().to_string().as_bytes());
    out.push(b' ');
    out.extend_from_slice(payload);
    out
}

/// One signature of an envelope: the signing key's id and the raw signature bytes (for ECDSA
/// the ASN.1 DER signature over the PAE; for OpenPGP a binary detached signature).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EnvelopeSignature {
    /// The key id (may be empty: DSSE makes it optional).
    pub keyid: String,
    /// The signature.
    pub sig: Vec<u8>,
}

/// A DSSE envelope: a typed payload and its signatures.
///
/// ```
/// use consign_sign::attest::Envelope;
/// use consign_sign::cosign::{CosignKey, CosignSigner, CosignVerifier};
/// let key = CosignKey::generate()?;
/// let verifier = CosignVerifier::new(key.public_key().clone());
/// let signer = CosignSigner::new(key, "attestation key");
/// let env = Envelope::sign("application/vnd.in-toto+json", br#"{"_type":"x"}"#.to_vec(), &signer)?;
/// let json = env.to_json();
/// let read = Envelope::from_json(json.as_bytes())?;
/// assert_eq!(read.verify(&verifier)?.key, *signer.cosign_key().id());
/// # Ok::<(), consign_sign::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Envelope {
    payload_type: String,
    payload: Vec<u8>,
    signatures: Vec<EnvelopeSignature>,
}

impl Envelope {
    /// An envelope of `payload` (of media type `payload_type`) signed by `signer`.
    pub fn sign(
        payload_type: impl Into<String>,
        payload: Vec<u8>,
        signer: &dyn Signer,
    ) -> Result<Envelope, Error> {
        let mut env = Envelope {
            payload_type: payload_type.into(),
            payload,
            signatures: Vec::new(),
        };
        env.add_signature(signer)?;
        Ok(env)
    }

    /// An in-toto statement signed by `signer` (payload type `application/vnd.in-toto+json`).
    pub fn sign_statement(statement: &Statement, signer: &dyn Signer) -> Result<Envelope, Error> {
        Envelope::sign(
            IN_TOTO_PAYLOAD_TYPE,
            statement.to_json().into_bytes(),
            signer,
        )
    }

    /// Adds `signer`'s signature over the PAE (DSSE allows several signers).
    pub fn add_signature(&mut self, signer: &dyn Signer) -> Result<(), Error> {
        let format = dsse_format(signer.formats()).ok_or(Error::UnsupportedFormat {
            backend: "DSSE",
            format: signer
                .formats()
                .first()
                .copied()
                .unwrap_or(SignatureFormat::OpenPgpCleartext),
        })?;
        let encoded = pae(&self.payload_type, &self.payload);
        let signature = signer.sign(&mut encoded.as_slice(), format)?;
        let sig = match format {
            SignatureFormat::CosignBlob => base64_decode(signature.bytes(), "cosign signature")?,
            _ => signature.bytes().to_vec(),
        };
        self.signatures.push(EnvelopeSignature {
            keyid: signer.key().id.as_str().to_owned(),
            sig,
        });
        Ok(())
    }

    /// Checks that at least one signature verifies over the PAE with `verifier`, reading each
    /// signature as [`SignatureFormat::CosignBlob`] (ECDSA DER) or, when it is not DER, as a
    /// binary OpenPGP signature. Returns the key that vouched.
    pub fn verify(&self, verifier: &dyn Verifier) -> Result<Verified, Error> {
        let encoded = pae(&self.payload_type, &self.payload);
        let mut first_error = None;
        let mut wrong_key = None;
        for s in &self.signatures {
            let (format, bytes) = match s.sig.first() {
                Some(0x30) => (
                    SignatureFormat::CosignBlob,
                    base64_encode(&s.sig).into_bytes(),
                ),
                _ => (SignatureFormat::OpenPgpBinary, s.sig.clone()),
            };
            let signature = Signature::new(
                format,
                bytes,
                VerificationMaterial::PublicKey {
                    hint: KeyId::new(&s.keyid),
                },
            );
            match verifier.verify(&mut encoded.as_slice(), &signature) {
                Ok(v) => return Ok(v),
                Err(e @ Error::WrongKey { .. }) => {
                    wrong_key.get_or_insert(e);
                }
                Err(e) => {
                    first_error.get_or_insert(e);
                }
            }
        }
        // A signature by the trusted key that fails says more than one by another key.
        Err(first_error
            .or(wrong_key)
            .unwrap_or_else(|| Error::malformed("DSSE envelope", "it has no signatures")))
    }

    /// The payload's media type.
    pub fn payload_type(&self) -> &str {
        &self.payload_type
    }

    /// The payload (verify before trusting it).
    pub fn payload(&self) -> &[u8] {
        &self.payload
    }

    /// The signatures.
    pub fn signatures(&self) -> &[EnvelopeSignature] {
        &self.signatures
    }

    /// The payload as an in-toto statement (verify before trusting it).
    pub fn statement(&self) -> Result<Statement, Error> {
        if self.payload_type != IN_TOTO_PAYLOAD_TYPE {
            return Err(Error::malformed(
                "DSSE envelope",
                format_args!(
                    "payload type {:?} is not {IN_TOTO_PAYLOAD_TYPE}",
                    self.payload_type
                ),
            ));
        }
        Statement::from_json(&self.payload)
    }

    /// The envelope as compact JSON on one line (`payloadType`, base64 `payload`,
    /// `signatures[{keyid, sig}]` with base64 `sig`).
    pub fn to_json(&self) -> String {
        let json = JsonEnvelope {
            payload_type: self.payload_type.clone(),
            payload: base64_encode(&self.payload),
            signatures: self
                .signatures
                .iter()
                .map(|s| JsonSignature {
                    keyid: s.keyid.clone(),
                    sig: base64_encode(&s.sig),
                })
                .collect(),
        };
        // Strings only: serializing cannot fail.
        serde_json::to_string(&json).unwrap_or_default()
    }

    /// Reads an envelope from JSON.
    pub fn from_json(text: &[u8]) -> Result<Envelope, Error> {
        const WHAT: &str = "DSSE envelope";
        let json: JsonEnvelope =
            serde_json::from_slice(text).map_err(|e| Error::malformed(WHAT, e))?;
        if json.signatures.is_empty() {
            return Err(Error::malformed(WHAT, "it has no signatures"));
        }
        Ok(Envelope {
            payload_type: json.payload_type,
            payload: base64_decode(json.payload.as_bytes(), WHAT)?,
            signatures: json
                .signatures
                .into_iter()
                .map(|s| {
                    Ok(EnvelopeSignature {
                        keyid: s.keyid,
                        sig: base64_decode(s.sig.as_bytes(), WHAT)?,
                    })
                })
                .collect::<Result<_, Error>>()?,
        })
    }
}

/// The format a signer's DSSE signature is made in: ECDSA first, then binary OpenPGP.
fn dsse_format(formats: &[SignatureFormat]) -> Option<SignatureFormat> {
    [SignatureFormat::CosignBlob, SignatureFormat::OpenPgpBinary]
        .into_iter()
        .find(|f| formats.contains(f))
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct JsonEnvelope {
    payload_type: String,
    payload: String,
    signatures: Vec<JsonSignature>,
}

#[derive(Serialize, Deserialize)]
struct JsonSignature {
    #[serde(default)]
    keyid: String,
    sig: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cosign::{CosignKey, CosignSigner, CosignVerifier};

    #[test]
    fn tampered_payload_type_or_payload_fails_and_other_key_is_wrong_key() {
        let key = CosignKey::generate().unwrap();
        let verifier = CosignVerifier::new(key.public_key().clone());
        let signer = CosignSigner::new(key, "k");
        let env = Envelope::sign("text/plain", b"hello".to_vec(), &signer).unwrap();
        env.verify(&verifier).unwrap();

        let mut tampered = env.clone();
        tampered.payload = b"hellO".to_vec();
        assert!(matches!(
            tampered.verify(&verifier),
            Err(Error::BadSignature { .. })
        ));
        let mut retyped = env.clone();
        retyped.payload_type = "text/html".to_owned();
        assert!(matches!(
            retyped.verify(&verifier),
            Err(Error::BadSignature { .. })
        ));

        let other = CosignSigner::new(CosignKey::generate().unwrap(), "other");
        let foreign = Envelope::sign("text/plain", b"hello".to_vec(), &other).unwrap();
        assert!(matches!(
            foreign.verify(&verifier),
            Err(Error::WrongKey { .. })
        ));

        // Two signers: either key verifies.
        let mut both = foreign.clone();
        both.add_signature(&signer).unwrap();
        assert_eq!(both.signatures().len(), 2);
        assert_eq!(
            both.verify(&verifier).unwrap().key,
            *signer.cosign_key().id()
        );
    }
}
