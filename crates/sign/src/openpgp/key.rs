//! [`OpenPgpKey`]: throwaway release keys.

use std::fmt;

use consign_core::SourceDate;
use pgp::composed::{ArmorOptions, KeyType, SecretKeyParamsBuilder, SignedSecretKey};
use pgp::packet::{Subpacket, SubpacketData};
use pgp::types::{KeyDetails, Password, Tag};
use zeroize::Zeroizing;

use super::{Passphrase, fingerprint_id, timestamp};
use crate::{Error, KeyAlgorithm, KeyId};

/// A freshly generated OpenPGP key: its armored secret and public halves.
///
/// The key is a version 4 primary key that certifies and signs, with one user id and no
/// subkeys. Ed25519 keys use the EdDSA encoding (algorithm 22) that gpg 2.2, rpm 4.18 and
/// Sequoia read. The key and its self-signature are dated `created`, so signatures dated from
/// the same [`SourceDate`] verify with every tool.
///
/// ```
/// use consign_core::SourceDate;
/// use consign_sign::KeyAlgorithm;
/// use consign_sign::openpgp::OpenPgpKey;
///
/// let key = OpenPgpKey::generate(
///     "Example Release <release@example.org>",
///     KeyAlgorithm::Ed25519,
///     SourceDate::from_unix(1_700_000_000),
/// )?;
/// assert!(key.public_armored().starts_with(b"-----BEGIN PGP PUBLIC KEY BLOCK-----"));
/// assert_eq!(key.fingerprint().as_str().len(), 40);
/// # Ok::<(), consign_sign::Error>(())
/// ```
pub struct OpenPgpKey {
    secret: Zeroizing<Vec<u8>>,
    public: Vec<u8>,
    fingerprint: KeyId,
    algorithm: KeyAlgorithm,
}

impl OpenPgpKey {
    /// Generates an unencrypted key for `user_id` (`Name <email>`), created at `created`.
    ///
    /// `algorithm` is [`KeyAlgorithm::Ed25519`] or [`KeyAlgorithm::Rsa`] with 2048 to 4096
    /// bits (3072 is the usual choice); anything else is [`Error::UnsupportedAlgorithm`].
    pub fn generate(
        user_id: &str,
        algorithm: KeyAlgorithm,
        created: SourceDate,
    ) -> Result<OpenPgpKey, Error> {
        OpenPgpKey::generate_protected(user_id, algorithm, created, &Passphrase::none())
    }

    /// Like [`generate`](Self::generate), with the secret key encrypted under `passphrase`
    /// (iterated and salted S2K with AES, as gpg does). [`Passphrase::none`] leaves it
    /// unencrypted.
    pub fn generate_protected(
        user_id: &str,
        algorithm: KeyAlgorithm,
        created: SourceDate,
        passphrase: &Passphrase,
    ) -> Result<OpenPgpKey, Error> {
        let key_type = match algorithm {
            KeyAlgorithm::Ed25519 => KeyType::Ed25519Legacy,
            KeyAlgorithm::Rsa { bits } if (2048..=4096).contains(&bits) => KeyType::Rsa(bits),
            other => {
                return Err(Error::UnsupportedAlgorithm {
                    algorithm: other.to_string(),
                    what: "OpenPGP key generation".to_string(),
                    supported: super::SUPPORTED.to_string(),
                });
            }
        };
        let failed = |e: pgp::errors::Error| Error::malformed("generated OpenPGP key", e);
        let when = timestamp(created)?;
        let params = SecretKeyParamsBuilder::default()
            .key_type(key_type)
            .can_certify(true)
            .can_sign(true)
            .primary_user_id(user_id.to_string())
            .created_at(when)
            .build()
            .map_err(|e| Error::malformed("OpenPGP key parameters", e))?;
        let mut rng = rand08::thread_rng();
        let mut key = params.generate(&mut rng).map_err(failed)?;
        redate_self_signatures(&mut key, when)?;
        let mut secret_key = key.clone();
        if let Some(pw) = passphrase.resolve() {
            secret_key
                .primary_key
                .set_password(&mut rng, &Password::Static(pw))
                .map_err(failed)?;
        }
        let secret = Zeroizing::new(
            secret_key
                .to_armored_bytes(ArmorOptions::default())
                .map_err(failed)?,
        );
        let public = key
            .to_public_key()
            .to_armored_bytes(ArmorOptions::default())
            .map_err(failed)?;
        Ok(OpenPgpKey {
            secret,
            public,
            fingerprint: fingerprint_id(&key.primary_key.fingerprint()),
            algorithm,
        })
    }

    /// The armored secret key (keep it secret: it signs releases).
    pub fn secret_armored(&self) -> &[u8] {
        &self.secret
    }

    /// The armored public key, as a release publishes it (`release.asc`).
    pub fn public_armored(&self) -> &[u8] {
        &self.public
    }

    /// The key's fingerprint.
    pub fn fingerprint(&self) -> &KeyId {
        &self.fingerprint
    }

    /// The key's algorithm.
    pub fn algorithm(&self) -> KeyAlgorithm {
        self.algorithm
    }
}

impl fmt::Debug for OpenPgpKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OpenPgpKey")
            .field("fingerprint", &self.fingerprint)
            .field("algorithm", &self.algorithm)
            .finish_non_exhaustive()
    }
}

/// Remakes the user-id self-signatures with the key's creation time instead of the time of
/// generation, so that signatures dated at the key's creation find a valid binding
/// (Sequoia evaluates the key at the signature's time).
fn redate_self_signatures(
    key: &mut SignedSecretKey,
    when: pgp::types::Timestamp,
) -> Result<(), Error> {
    let failed = |e: pgp::errors::Error| Error::malformed("generated OpenPGP key", e);
    let primary = key.primary_key.clone();
    for user in &mut key.details.users {
        let mut redone = Vec::with_capacity(user.signatures.len());
        for sig in &user.signatures {
            let Some(config) = sig.config() else {
                continue;
            };
            let mut config = config.clone();
            for sub in &mut config.hashed_subpackets {
                if matches!(sub.data, SubpacketData::SignatureCreationTime(_)) {
                    *sub = Subpacket::regular(SubpacketData::SignatureCreationTime(when))
                        .map_err(failed)?;
                }
            }
            let sig = config
                .sign_certification(
                    &primary,
                    primary.public_key(),
                    &Password::empty(),
                    Tag::UserId,
                    &user.id,
                )
                .map_err(failed)?;
            redone.push(sig);
        }
        user.signatures = redone;
    }
    key.verify_bindings().map_err(failed)
}
