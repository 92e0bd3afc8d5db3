//! The signing seam: [`Signer`], [`Verifier`], the [`Signature`] they exchange and the
//! [`SignError`] they report.
//!
//! The seam lives in consign-core so that producers (package writers embedding signatures) and
//! consumers (release jobs, attachment writers) meet without compiling any cryptography:
//! consign-sign implements it with OpenPGP and cosign keys, and a KMS or HSM backend can
//! implement it too.
//!
//! Both traits are object-safe and take the signed data as a stream (`&mut dyn Read`), so a
//! multi-GiB file is signed with memory flat in its size: a backend hashes what it reads and
//! signs the digest. A [`Signature`] carries, besides its bytes, the material a verifier needs
//! to trust the key — a public-key hint today, a certificate chain and transparency-log entries
//! once keyless signing is added — so bundles can be written without changing callers.

use std::fmt;
use std::io::Read;

mod error;

pub use error::SignError;

/// The encodings a signature can take.
///
/// ```
/// use consign_core::sign::SignatureFormat;
/// assert_eq!(SignatureFormat::OpenPgpArmored.to_string(), "OpenPGP armored detached");
/// assert_eq!(SignatureFormat::OpenPgpArmored.file_extension(), "asc");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SignatureFormat {
    /// A detached OpenPGP signature, ASCII-armored (`.asc`).
    OpenPgpArmored,
    /// A detached OpenPGP signature, binary (`.sig`, `.gpg`).
    OpenPgpBinary,
    /// An OpenPGP cleartext-signed document (the `InRelease` style): the data with the
    /// signature around it.
    OpenPgpCleartext,
    /// A raw signature over the SHA-256 of the data, base64 of the ASN.1 DER value, as
    /// `cosign sign-blob` writes it (`.sig`).
    CosignBlob,
}

impl SignatureFormat {
    /// The usual file extension of a signature in this format (without the dot).
    pub fn file_extension(self) -> &'static str {
        match self {
            SignatureFormat::OpenPgpArmored | SignatureFormat::OpenPgpCleartext => "asc",
            SignatureFormat::OpenPgpBinary | SignatureFormat::CosignBlob => "sig",
        }
    }

    /// Whether the signature is detached from the data (every format but cleartext).
    pub fn is_detached(self) -> bool {
        !matches!(self, SignatureFormat::OpenPgpCleartext)
    }
}

impl fmt::Display for SignatureFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SignatureFormat::OpenPgpArmored => "OpenPGP armored detached",
            SignatureFormat::OpenPgpBinary => "OpenPGP binary detached",
            SignatureFormat::OpenPgpCleartext => "OpenPGP cleartext",
            SignatureFormat::CosignBlob => "cosign blob",
        })
    }
}

/// The public-key algorithm of a key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum KeyAlgorithm {
    /// Ed25519 (EdDSA).
    Ed25519,
    /// RSA with a modulus of `bits` bits.
    Rsa {
        /// Modulus size.
        bits: u32,
    },
    /// ECDSA on NIST P-256 with SHA-256 (cosign's default).
    EcdsaP256,
}

impl fmt::Display for KeyAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeyAlgorithm::Ed25519 => f.write_str("Ed25519"),
            KeyAlgorithm::Rsa { bits } => write!(f, "RSA-{bits}"),
            KeyAlgorithm::EcdsaP256 => f.write_str("ECDSA P-256"),
        }
    }
}

/// How a key is named: an OpenPGP fingerprint, or the SHA-256 of a public key's DER encoding
/// (the Sigstore `keyid` hint), as lowercase hex.
///
/// ```
/// use consign_core::sign::KeyId;
/// let id = KeyId::new("0123ABCD");
/// assert_eq!(id.as_str(), "0123abcd");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KeyId(String);

impl KeyId {
    /// A key id from its hex text (stored lowercase).
    pub fn new(hex: impl AsRef<str>) -> KeyId {
        KeyId(hex.as_ref().to_ascii_lowercase())
    }

    /// The hex text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Who signs: the key's identity, algorithm and public half.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct KeyInfo {
    /// The key id (fingerprint for OpenPGP).
    pub id: KeyId,
    /// The algorithm.
    pub algorithm: KeyAlgorithm,
    /// A human-readable name (OpenPGP user id, or a file name).
    pub name: String,
    /// The public key as it is published: an armored OpenPGP certificate or a PEM
    /// `PUBLIC KEY` block.
    pub public_key: Vec<u8>,
}

impl KeyInfo {
    /// A key description.
    pub fn new(
        id: KeyId,
        algorithm: KeyAlgorithm,
        name: impl Into<String>,
        public_key: Vec<u8>,
    ) -> KeyInfo {
        KeyInfo {
            id,
            algorithm,
            name: name.into(),
            public_key,
        }
    }
}

/// One entry of a transparency log (Rekor) that records a signature, as a Sigstore bundle
/// carries it. Key-signed bundles have none; keyless signing adds them.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct TlogEntry {
    /// The entry's index in the log.
    pub log_index: u64,
    /// The log's id (SHA-256 of its public key), base64.
    pub log_id: String,
    /// The entry's kind and version, e.g. `hashedrekord` / `0.0.1`.
    pub kind: String,
    /// Version of the kind.
    pub kind_version: String,
    /// When the log integrated the entry (Unix seconds).
    pub integrated_time: i64,
    /// The signed entry timestamp of the inclusion promise, base64 (empty when absent).
    pub signed_entry_timestamp: String,
    /// The canonicalized entry body, base64.
    pub canonicalized_body: String,
}

impl TlogEntry {
    /// An entry at `log_index` of the log `log_id` (base64 key id), of `kind` at
    /// `kind_version`, integrated at `integrated_time` (Unix seconds), with its canonicalized
    /// body (base64). The signed entry timestamp is empty until
    /// [`TlogEntry::with_signed_entry_timestamp`] sets it.
    pub fn new(
        log_index: u64,
        log_id: impl Into<String>,
        kind: impl Into<String>,
        kind_version: impl Into<String>,
        integrated_time: i64,
        canonicalized_body: impl Into<String>,
    ) -> TlogEntry {
        TlogEntry {
            log_index,
            log_id: log_id.into(),
            kind: kind.into(),
            kind_version: kind_version.into(),
            integrated_time,
            signed_entry_timestamp: String::new(),
            canonicalized_body: canonicalized_body.into(),
        }
    }

    /// Sets the signed entry timestamp of the inclusion promise (base64).
    #[must_use]
    pub fn with_signed_entry_timestamp(mut self, set: impl Into<String>) -> TlogEntry {
        self.signed_entry_timestamp = set.into();
        self
    }
}

/// What a verifier needs besides the signature to trust the signing key.
///
/// Exhaustive on purpose: a backend that meets a new kind of material must decide how to
/// check it, and the compiler points at every place that has to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum VerificationMaterial {
    /// The verifier already holds the public key; `hint` names it (a [`KeyId`]).
    PublicKey {
        /// The key's id.
        hint: KeyId,
    },
    /// A certificate chain, leaf first, each DER-encoded (keyless signing).
    Certificates(Vec<Vec<u8>>),
}

/// A signature and what travels with it.
///
/// ```
/// use consign_core::sign::{KeyId, Signature, SignatureFormat, VerificationMaterial};
/// let sig = Signature::new(
///     SignatureFormat::CosignBlob,
///     b"MEUCIQ...".to_vec(),
///     VerificationMaterial::PublicKey { hint: KeyId::new("ab12") },
/// );
/// assert_eq!(sig.format(), SignatureFormat::CosignBlob);
/// assert!(sig.tlog_entries().is_empty());
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Signature {
    format: SignatureFormat,
    bytes: Vec<u8>,
    material: VerificationMaterial,
    tlog_entries: Vec<TlogEntry>,
}

impl Signature {
    /// A signature in `format` with its encoded `bytes` (armored text, binary packets, or
    /// base64 text — exactly what would be written to the signature file).
    pub fn new(
        format: SignatureFormat,
        bytes: Vec<u8>,
        material: VerificationMaterial,
    ) -> Signature {
        Signature {
            format,
            bytes,
            material,
            tlog_entries: Vec::new(),
        }
    }

    /// Adds transparency-log entries.
    #[must_use]
    pub fn with_tlog_entries(mut self, entries: Vec<TlogEntry>) -> Signature {
        self.tlog_entries = entries;
        self
    }

    /// The format.
    pub fn format(&self) -> SignatureFormat {
        self.format
    }

    /// The encoded signature, as written to its file.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The verification material.
    pub fn material(&self) -> &VerificationMaterial {
        &self.material
    }

    /// The transparency-log entries (none for key-signed signatures).
    pub fn tlog_entries(&self) -> &[TlogEntry] {
        &self.tlog_entries
    }
}

/// A successful verification: which key vouched for the data.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Verified {
    /// The key that made the signature.
    pub key: KeyId,
    /// When the signature says it was made (Unix seconds), if it says.
    pub created: Option<i64>,
}

impl Verified {
    /// A verification result.
    pub fn new(key: KeyId, created: Option<i64>) -> Verified {
        Verified { key, created }
    }
}

/// Something that signs streams: an in-process key, an agent, a KMS.
///
/// Object-safe: hold it as `&dyn Signer` or `Box<dyn Signer>`.
pub trait Signer: Send + Sync {
    /// The signing key.
    fn key(&self) -> &KeyInfo;

    /// The formats this signer produces, preferred first.
    fn formats(&self) -> &[SignatureFormat];

    /// Signs everything `data` yields, in `format`. Memory does not grow with the data.
    ///
    /// For [`SignatureFormat::OpenPgpCleartext`] the returned bytes are the whole signed
    /// document.
    fn sign(&self, data: &mut dyn Read, format: SignatureFormat) -> Result<Signature, SignError>;
}

/// Something that checks signatures against keys it trusts.
pub trait Verifier: Send + Sync {
    /// Checks that `signature` is a valid signature over everything `data` yields, made by a
    /// trusted key. Any failure — other key, altered data, malformed signature — is an `Err`.
    ///
    /// For [`SignatureFormat::OpenPgpCleartext`], `data` is ignored (read to its end) and the
    /// document inside the signature is what is checked.
    fn verify(&self, data: &mut dyn Read, signature: &Signature) -> Result<Verified, SignError>;
}
