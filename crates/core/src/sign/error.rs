//! The one error type of the signing seam: what every backend reports.

use super::{KeyId, SignatureFormat};
use crate::digest::Digest;

/// What went wrong while reading keys, signing or verifying.
///
/// Verification never reports success on any of these: a caller that gets `Err` must treat the
/// data as unsigned.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SignError {
    /// The passphrase does not decrypt the secret key.
    #[error("wrong passphrase for the {what} secret key")]
    WrongPassphrase {
        /// Which key (`OpenPGP`, `cosign`, …) and where it came from.
        what: String,
    },
    /// A passphrase is needed and none was given.
    #[error("the {what} secret key is encrypted and no passphrase was given{hint}")]
    PassphraseMissing {
        /// Which key.
        what: String,
        /// Where the passphrase may be supplied from (e.g. `: set COSIGN_PASSWORD`).
        hint: String,
    },
    /// A public key was given where a secret key is needed.
    #[error("{what} is a public key; signing needs the secret key")]
    PublicKeyOnly {
        /// Where the key came from.
        what: String,
    },
    /// The key's algorithm is not one this backend signs or verifies with.
    #[error("unsupported key algorithm {algorithm} in {what}: {supported}")]
    UnsupportedAlgorithm {
        /// The algorithm found.
        algorithm: String,
        /// Where the key came from.
        what: String,
        /// The algorithms that are supported.
        supported: String,
    },
    /// The backend cannot produce or check this signature format.
    #[error("{backend} cannot handle {format} signatures")]
    UnsupportedFormat {
        /// The backend.
        backend: &'static str,
        /// The format asked for.
        format: SignatureFormat,
    },
    /// A key, signature, certificate or envelope could not be parsed.
    #[error("malformed {what}: {reason}")]
    Malformed {
        /// What was being read (`armored signature`, `cosign private key`, `DSSE envelope`, …).
        what: String,
        /// Why it was rejected.
        reason: String,
    },
    /// The signature was made by a key other than the one verifying it.
    #[error("signature was made by key {found}, not by {expected}")]
    WrongKey {
        /// The verifying key.
        expected: KeyId,
        /// The key named by the signature.
        found: KeyId,
    },
    /// The signature does not match the data (tampered data or signature).
    #[error("bad signature by key {key}: the data or the signature was altered")]
    BadSignature {
        /// The key that checked it.
        key: KeyId,
    },
    /// A valid signature that signs other data than the data asked about (another image
    /// digest, another artifact).
    #[error("the signature is valid but signs {found}, not {expected}: it is for other data")]
    SignedOtherDigest {
        /// The digest the caller expected.
        expected: Box<Digest>,
        /// The digest the signed payload names.
        found: Box<Digest>,
    },
    /// A signature time does not fit OpenPGP's 32-bit timestamps.
    #[error(
        "time {seconds} (Unix seconds) is after 2106-02-07, the last time OpenPGP can record: pass an earlier source date"
    )]
    TimeOutOfRange {
        /// The time given.
        seconds: u64,
    },
    /// No key in the keyring matches what the caller named.
    #[error(
        "no OpenPGP key matches `{key}` in the keyring {keyring}: import it (`gpg --import`) or set GNUPGHOME to the keyring that holds it"
    )]
    KeyNotFound {
        /// The fingerprint, key id or user id asked for.
        key: String,
        /// The GnuPG home directory searched.
        keyring: String,
    },
    /// The key is in the keyring, but its secret half is neither there nor on a smartcard.
    #[error(
        "the keyring {keyring} has the public key {key} but not its secret key: import the secret key (`gpg --import`) or insert the smartcard that holds it"
    )]
    NoSecretKey {
        /// The key's fingerprint.
        key: String,
        /// The GnuPG home directory searched.
        keyring: String,
    },
    /// More than one key matches what the caller named.
    #[error("`{key}` matches several keys ({candidates}): name one by its fingerprint")]
    AmbiguousKey {
        /// What was asked for.
        key: String,
        /// The fingerprints of the matching keys, comma-separated.
        candidates: String,
    },
    /// The key exists but cannot sign (expired, revoked, disabled, or no signing subkey).
    #[error("key {key} cannot sign: {reason}")]
    KeyUnusable {
        /// The key's fingerprint.
        key: String,
        /// Why.
        reason: String,
    },
    /// GnuPG (gpgme, gpg or gpg-agent) failed.
    #[error(
        "GnuPG failed to {op}: {reason}: check that gpg and gpg-agent work (`gpgconf --launch gpg-agent`) and that the agent can ask for the passphrase"
    )]
    Agent {
        /// What was being done (`list keys`, `sign`, …).
        op: &'static str,
        /// gpgme's error.
        reason: String,
    },
    /// An image or artifact does not meet a verification policy: each unmet requirement is
    /// listed (a missing or invalid signature, a required attestation absent or not
    /// verifiable), so one run says everything that is wrong.
    #[error("{subject} does not meet the policy: {}", unmet.join("; "))]
    PolicyUnmet {
        /// The digest checked.
        subject: Box<Digest>,
        /// What is missing, one sentence each.
        unmet: Vec<String>,
    },
    /// Reading the data or a key failed.
    #[error("cannot {op} {what}: {source}")]
    Io {
        /// The operation (`read`, `write`, `open`).
        op: &'static str,
        /// What was being read or written.
        what: String,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
}

impl SignError {
    /// An I/O failure while `op`-ing `what`.
    pub fn io(op: &'static str, what: impl Into<String>, source: std::io::Error) -> SignError {
        SignError::Io {
            op,
            what: what.into(),
            source,
        }
    }

    /// A parse failure of `what`.
    pub fn malformed(what: impl Into<String>, reason: impl std::fmt::Display) -> SignError {
        SignError::Malformed {
            what: what.into(),
            reason: reason.to_string(),
        }
    }
}
