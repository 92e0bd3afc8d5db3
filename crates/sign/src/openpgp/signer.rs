//! [`OpenPgpSigner`]: detached and cleartext signatures with an in-process secret key.

use std::fmt;
use std::io::Read;
use std::path::Path;

use consign_core::SourceDate;
use digest::DynDigest;
use pgp::composed::{ArmorOptions, DetachedSignature, PublicOrSecret, SignedSecretKey};
use pgp::crypto::hash::HashAlgorithm;
use pgp::packet::{self, PacketTrait, SignatureConfig, SignatureType, Subpacket, SubpacketData};
use pgp::types::{KeyDetails, KeyVersion, Password, SignatureBytes, SigningKey, Timestamp};

use super::{BACKEND, CHUNK, HASH, Passphrase, cleartext, fingerprint_id, key_algorithm};
use crate::{
    Error, KeyAlgorithm, KeyInfo, Signature, SignatureFormat, Signer, VerificationMaterial,
};

const FORMATS: [SignatureFormat; 3] = [
    SignatureFormat::OpenPgpArmored,
    SignatureFormat::OpenPgpBinary,
    SignatureFormat::OpenPgpCleartext,
];

/// Signs with an OpenPGP secret key held in memory (unlocked once, when loaded).
///
/// The key is an armored (or binary) transferable secret key, as `gpg --export-secret-keys
/// --armor` or [`OpenPgpKey::generate`](super::OpenPgpKey::generate) write it. When it has a
/// signing-capable subkey, the newest one signs (as gpg does); otherwise the primary key.
///
/// Signatures are version 4 over SHA-256. Their creation time is the [`SourceDate`] given
/// here — or the signing key's creation (or self-signature) time when that is later, because
/// verifiers reject signatures older than the key — so signing the same data with the same key
/// and date gives the same bytes.
///
/// ```
/// use consign_core::SourceDate;
/// use consign_sign::openpgp::{OpenPgpKey, OpenPgpSigner, Passphrase};
/// use consign_sign::{KeyAlgorithm, SignatureFormat, Signer};
///
/// let date = SourceDate::from_unix(1_700_000_000);
/// let key = OpenPgpKey::generate("Release <r@example.org>", KeyAlgorithm::Ed25519, date)?;
/// let signer = OpenPgpSigner::from_armored(key.secret_armored(), &Passphrase::none(), date)?;
/// let doc = signer.sign(&mut &b"Origin: example\n"[..], SignatureFormat::OpenPgpCleartext)?;
/// assert!(doc.bytes().starts_with(b"-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\n"));
/// # Ok::<(), consign_sign::Error>(())
/// ```
pub struct OpenPgpSigner {
    key: SigningPart,
    info: KeyInfo,
    created: Timestamp,
}

/// The component key that signs, with its secret unlocked.
enum SigningPart {
    Primary(packet::SecretKey),
    Sub(packet::SecretSubkey),
}

impl SigningPart {
    fn details(&self) -> &dyn KeyDetails {
        match self {
            SigningPart::Primary(k) => k,
            SigningPart::Sub(k) => k,
        }
    }

    fn is_encrypted(&self) -> bool {
        match self {
            SigningPart::Primary(k) => k.secret_params().is_encrypted(),
            SigningPart::Sub(k) => k.secret_params().is_encrypted(),
        }
    }

    fn remove_password(&mut self, pw: &Password) -> pgp::errors::Result<()> {
        match self {
            SigningPart::Primary(k) => k.remove_password(pw),
            SigningPart::Sub(k) => k.remove_password(pw),
        }
    }

    fn sign_digest(&self, digest: &[u8]) -> pgp::errors::Result<SignatureBytes> {
        let pw = Password::empty();
        match self {
            SigningPart::Primary(k) => SigningKey::sign(k, &pw, HASH, digest),
            SigningPart::Sub(k) => SigningKey::sign(k, &pw, HASH, digest),
        }
    }
}

impl OpenPgpSigner {
    /// A signer from an armored (or binary) secret key, unlocked with `passphrase`; signatures
    /// are dated `date` (see the type's documentation).
    ///
    /// Errors: [`Error::PublicKeyOnly`] for a public key, [`Error::PassphraseMissing`] or
    /// [`Error::WrongPassphrase`] for an encrypted key, [`Error::UnsupportedAlgorithm`] for a
    /// key that is neither Ed25519 nor RSA, [`Error::Malformed`] for anything unreadable.
    pub fn from_armored(
        key: &[u8],
        passphrase: &Passphrase,
        date: SourceDate,
    ) -> Result<OpenPgpSigner, Error> {
        OpenPgpSigner::load(key, "", passphrase, date)
    }

    /// A signer from a key file (armored or binary).
    pub fn from_file(
        path: impl AsRef<Path>,
        passphrase: &Passphrase,
        date: SourceDate,
    ) -> Result<OpenPgpSigner, Error> {
        let path = path.as_ref();
        let origin = path.display().to_string();
        let bytes = zeroize::Zeroizing::new(
            std::fs::read(path)
                .map_err(|e| Error::io("read", format!("OpenPGP secret key {origin}"), e))?,
        );
        OpenPgpSigner::load(&bytes, &origin, passphrase, date)
    }

    /// A signer from an environment variable holding the armored secret key (as CI systems
    /// provide secrets).
    pub fn from_env(
        variable: &str,
        passphrase: &Passphrase,
        date: SourceDate,
    ) -> Result<OpenPgpSigner, Error> {
        let origin = format!("${variable}");
        let value = std::env::var_os(variable).ok_or_else(|| {
            Error::io(
                "read",
                format!("the environment variable {variable}"),
                std::io::Error::new(std::io::ErrorKind::NotFound, "it is not set"),
            )
        })?;
        let bytes = zeroize::Zeroizing::new(value.into_encoded_bytes());
        OpenPgpSigner::load(&bytes, &origin, passphrase, date)
    }

    /// `origin` names where the key came from (a path, `$VARIABLE`, or empty), for errors.
    fn load(
        bytes: &[u8],
        origin: &str,
        passphrase: &Passphrase,
        date: SourceDate,
    ) -> Result<OpenPgpSigner, Error> {
        // "OpenPGP secret key in key.asc", and "OpenPGP (key.asc)" for the messages that
        // read "the … secret key".
        let (what, short) = if origin.is_empty() {
            ("OpenPGP secret key".to_string(), "OpenPGP".to_string())
        } else {
            (
                format!("OpenPGP secret key in {origin}"),
                format!("OpenPGP ({origin})"),
            )
        };
        let what = what.as_str();
        let secret = parse_secret_key(bytes, what)?;
        let (mut part, algorithm, binding_time) = choose_signing_part(&secret, what)?;
        if part.details().version() != KeyVersion::V4 {
            return Err(Error::UnsupportedAlgorithm {
                algorithm: format!("{:?} key", part.details().version()),
                what: what.to_string(),
                supported: "OpenPGP signing supports version 4 keys (what gpg 2.2 and rpm 4.18 \
                            read)"
                    .to_string(),
            });
        }
        if part.is_encrypted() {
            let Some(value) = passphrase.resolve() else {
                return Err(Error::PassphraseMissing {
                    what: short,
                    hint: passphrase.hint(),
                });
            };
            part.remove_password(&Password::Static(value))
                .map_err(|_| Error::WrongPassphrase { what: short })?;
        }
        let public = secret
            .to_public_key()
            .to_armored_bytes(ArmorOptions::default())
            .map_err(|e| Error::malformed(what, e))?;
        let name = secret
            .details
            .users
            .first()
            .map(|u| String::from_utf8_lossy(u.id.id()).into_owned())
            .unwrap_or_default();
        let info = KeyInfo::new(
            fingerprint_id(&secret.primary_key.fingerprint()),
            algorithm,
            name,
            public,
        );
        let wanted = super::timestamp(date)?;
        let created = wanted
            .max(part.details().created_at())
            .max(secret.primary_key.created_at())
            .max(binding_time);
        Ok(OpenPgpSigner {
            key: part,
            info,
            created,
        })
    }

    /// When the signatures say they were made (Unix seconds).
    pub fn signature_time(&self) -> u32 {
        self.created.as_secs()
    }

    fn config(&self, typ: SignatureType) -> Result<SignatureConfig, Error> {
        let key = self.key.details();
        let mut config = SignatureConfig::v4(typ, key.algorithm(), HASH);
        let subpacket =
            |data| Subpacket::regular(data).map_err(|e| Error::malformed("signature subpacket", e));
        // All three in the hashed area: rpm reads the issuer only from there.
        config.hashed_subpackets = vec![
            subpacket(SubpacketData::SignatureCreationTime(self.created))?,
            subpacket(SubpacketData::IssuerFingerprint(key.fingerprint()))?,
            subpacket(SubpacketData::IssuerKeyId(key.legacy_key_id()))?,
        ];
        Ok(config)
    }

    /// Finishes a signature whose data is already in `hasher`.
    fn finish(
        &self,
        config: SignatureConfig,
        mut hasher: Box<dyn DynDigest + Send>,
    ) -> Result<packet::Signature, Error> {
        let failed = |e: pgp::errors::Error| Error::malformed("OpenPGP signature", e);
        let len = config.hash_signature_data(&mut hasher).map_err(failed)?;
        hasher.update(&config.trailer(len).map_err(failed)?);
        let digest = hasher.finalize();
        let bytes = self.key.sign_digest(&digest).map_err(failed)?;
        let prefix = [
            digest.first().copied().unwrap_or_default(),
            digest.get(1).copied().unwrap_or_default(),
        ];
        packet::Signature::from_config(config, prefix, bytes).map_err(failed)
    }

    fn detached(&self, data: &mut dyn Read) -> Result<packet::Signature, Error> {
        let config = self.config(SignatureType::Binary)?;
        let mut hasher = new_hasher(HASH)?;
        let mut buf = vec![0u8; CHUNK];
        loop {
            let n = match data.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(Error::io("read", "the data to sign", e)),
            };
            hasher.update(&buf[..n]);
        }
        self.finish(config, hasher)
    }

    fn material(&self) -> VerificationMaterial {
        VerificationMaterial::PublicKey {
            hint: self.info.id.clone(),
        }
    }
}

impl Signer for OpenPgpSigner {
    fn key(&self) -> &KeyInfo {
        &self.info
    }

    fn formats(&self) -> &[SignatureFormat] {
        &FORMATS
    }

    fn sign(&self, data: &mut dyn Read, format: SignatureFormat) -> Result<Signature, Error> {
        let bytes = match format {
            SignatureFormat::OpenPgpBinary => {
                let sig = self.detached(data)?;
                let mut out = Vec::with_capacity(sig.write_len_with_header());
                sig.to_writer_with_header(&mut out)
                    .map_err(|e| Error::malformed("OpenPGP signature", e))?;
                out
            }
            SignatureFormat::OpenPgpArmored => armor(self.detached(data)?)?,
            SignatureFormat::OpenPgpCleartext => {
                let config = self.config(SignatureType::Text)?;
                let mut hasher = new_hasher(HASH)?;
                let mut out = Vec::new();
                cleartext::write_signed_text(data, &mut *hasher, HASH, &mut out)
                    .map_err(|e| Error::io("read", "the text to sign", e))?;
                let sig = self.finish(config, hasher)?;
                out.extend_from_slice(&armor(sig)?);
                out
            }
            format => {
                return Err(Error::UnsupportedFormat {
                    backend: BACKEND,
                    format,
                });
            }
        };
        Ok(Signature::new(format, bytes, self.material()))
    }
}

impl fmt::Debug for OpenPgpSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OpenPgpSigner")
            .field("key", &self.info.id)
            .field("name", &self.info.name)
            .field("algorithm", &self.info.algorithm)
            .field("signature_time", &self.created.as_secs())
            .finish_non_exhaustive()
    }
}

fn armor(sig: packet::Signature) -> Result<Vec<u8>, Error> {
    DetachedSignature::new(sig)
        .to_armored_bytes(ArmorOptions::default())
        .map_err(|e| Error::malformed("OpenPGP signature", e))
}

pub(super) fn new_hasher(hash: HashAlgorithm) -> Result<Box<dyn DynDigest + Send>, Error> {
    hash.new_hasher()
        .map_err(|e| Error::malformed("OpenPGP digest", e))
}

/// The first secret key in `bytes`; a public key is [`Error::PublicKeyOnly`].
fn parse_secret_key(bytes: &[u8], what: &str) -> Result<SignedSecretKey, Error> {
    let (mut keys, _) =
        PublicOrSecret::from_reader_many(bytes).map_err(|e| Error::malformed(what, e))?;
    match keys.next() {
        Some(Ok(PublicOrSecret::Secret(key))) => Ok(key),
        Some(Ok(PublicOrSecret::Public(_))) => Err(Error::PublicKeyOnly {
            what: format!("the {}", what.replacen("secret key", "key", 1)),
        }),
        Some(Err(e)) => Err(Error::malformed(what, e)),
        None => Err(Error::malformed(what, "no OpenPGP key found")),
    }
}

/// The component that signs: the newest signing-capable subkey with an algorithm we support,
/// else the primary key. Returns it with its algorithm and the time its self-signature (or
/// binding signature) was made.
fn choose_signing_part(
    key: &SignedSecretKey,
    what: &str,
) -> Result<(SigningPart, KeyAlgorithm, Timestamp), Error> {
    let sub = key
        .secret_subkeys
        .iter()
        .filter(|s| s.signatures.iter().any(|sig| sig.key_flags().sign()))
        .filter_map(|s| {
            let alg = key_algorithm(s.key.algorithm(), s.key.public_params())?;
            let bound = earliest(s.signatures.iter().filter_map(|sig| sig.created()));
            Some((s, alg, bound))
        })
        .max_by_key(|(s, _, _)| s.key.created_at());
    let primary_bound = earliest(
        key.details
            .users
            .iter()
            .flat_map(|u| u.signatures.iter())
            .chain(key.details.direct_signatures.iter())
            .filter_map(|sig| sig.created()),
    );
    if let Some((s, alg, bound)) = sub {
        return Ok((
            SigningPart::Sub(s.key.clone()),
            alg,
            bound.max(primary_bound),
        ));
    }
    let primary = &key.primary_key;
    let alg = key_algorithm(primary.algorithm(), primary.public_params())
        .ok_or_else(|| super::unsupported_algorithm(primary.algorithm(), what))?;
    Ok((SigningPart::Primary(primary.clone()), alg, primary_bound))
}

fn earliest(times: impl Iterator<Item = Timestamp>) -> Timestamp {
    times.min().unwrap_or(Timestamp::from_secs(0))
}
