//! OpenPGP signing and verification in pure Rust (rpgp).
//!
//! - [`OpenPgpSigner`] signs streams with a secret key: detached signatures (armored `.asc` or
//!   binary `.sig`) and cleartext-signed documents (the `InRelease` style). It hashes what it
//!   reads, so memory stays flat in the size of the data.
//! - [`OpenPgpVerifier`] checks detached and cleartext signatures against one or more public
//!   keys (armored or binary keyrings, as `gpg --export` or `gpg --dearmor` write them).
//! - [`OpenPgpKey`] generates throwaway release keys (Ed25519 or RSA) and gives their armored
//!   secret and public halves; the public half is what a release publishes (`release.asc`).
//! - [`Passphrase`] says where the passphrase of an encrypted key comes from.
//!
//! Signatures are version 4 with SHA-256, which gpg 2.2, gpgv, Sequoia's sqv and rpm 4.18
//! accept. Their creation time is given by the caller (a [`SourceDate`]), so the same key, data
//! and date give the same bytes (Ed25519 and RSA PKCS#1 v1.5 signatures are deterministic).
//!
//! ```
//! use consign_core::SourceDate;
//! use consign_sign::openpgp::{OpenPgpKey, OpenPgpSigner, OpenPgpVerifier, Passphrase};
//! use consign_sign::{KeyAlgorithm, SignatureFormat, Signer, Verifier};
//!
//! let date = SourceDate::from_unix(1_700_000_000);
//! let key = OpenPgpKey::generate("Release <release@example.org>", KeyAlgorithm::Ed25519, date)?;
//! let signer = OpenPgpSigner::from_armored(key.secret_armored(), &Passphrase::none(), date)?;
//! let signature = signer.sign(&mut &b"payload"[..], SignatureFormat::OpenPgpArmored)?;
//!
//! let verifier = OpenPgpVerifier::from_keys(key.public_armored())?;
//! let verified = verifier.verify(&mut &b"payload"[..], &signature)?;
//! assert_eq!(&verified.key, key.fingerprint());
//! assert!(verifier.verify(&mut &b"altered"[..], &signature).is_err());
//! # Ok::<(), consign_sign::Error>(())
//! ```
//!
//! [`SourceDate`]: consign_core::SourceDate

mod cleartext;
mod key;
mod passphrase;
mod signer;
mod verifier;

pub use key::OpenPgpKey;
pub use passphrase::Passphrase;
pub use signer::OpenPgpSigner;
pub use verifier::OpenPgpVerifier;

use consign_core::SourceDate;
use pgp::crypto::hash::HashAlgorithm;
use pgp::crypto::public_key::PublicKeyAlgorithm;
use pgp::types::{Fingerprint, PublicParams, Timestamp};
use rsa::traits::PublicKeyParts;

use crate::{Error, KeyAlgorithm, KeyId};

/// The backend name in errors.
const BACKEND: &str = "OpenPGP";

/// The digest every signature made here uses.
const HASH: HashAlgorithm = HashAlgorithm::Sha256;

/// Read buffer for hashing streams.
const CHUNK: usize = 64 * 1024;

/// A key id from an OpenPGP fingerprint.
fn fingerprint_id(fp: &Fingerprint) -> KeyId {
    KeyId::new(format!("{fp:x}"))
}

/// The [`KeyAlgorithm`] of a key, or `None` when it is not one we sign with.
fn key_algorithm(alg: PublicKeyAlgorithm, params: &PublicParams) -> Option<KeyAlgorithm> {
    match (alg, params) {
        (PublicKeyAlgorithm::RSA | PublicKeyAlgorithm::RSASign, PublicParams::RSA(p)) => {
            let bits = u32::try_from(p.key.size().saturating_mul(8)).ok()?;
            (bits >= 2048).then_some(KeyAlgorithm::Rsa { bits })
        }
        (PublicKeyAlgorithm::EdDSALegacy, PublicParams::EdDSALegacy(_))
        | (PublicKeyAlgorithm::Ed25519, PublicParams::Ed25519(_)) => Some(KeyAlgorithm::Ed25519),
        _ => None,
    }
}

/// An OpenPGP timestamp from a source date.
fn timestamp(date: SourceDate) -> Result<Timestamp, Error> {
    u32::try_from(date.unix())
        .map(Timestamp::from_secs)
        .map_err(|_| Error::TimeOutOfRange {
            seconds: date.unix(),
        })
}

/// The algorithms this backend signs with, for error messages.
const SUPPORTED: &str = "OpenPGP signing supports Ed25519 and RSA (2048 to 4096 bits) keys";

fn unsupported_algorithm(alg: PublicKeyAlgorithm, what: &str) -> Error {
    Error::UnsupportedAlgorithm {
        algorithm: format!("{alg:?}"),
        what: what.to_string(),
        supported: SUPPORTED.to_string(),
    }
}

/// Whether a signature digest is strong enough to trust.
fn hash_is_strong(hash: HashAlgorithm) -> bool {
    matches!(
        hash,
        HashAlgorithm::Sha224
            | HashAlgorithm::Sha256
            | HashAlgorithm::Sha384
            | HashAlgorithm::Sha512
            | HashAlgorithm::Sha3_256
            | HashAlgorithm::Sha3_512
    )
}
