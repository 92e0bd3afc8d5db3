//! cosign key pairs: [`CosignKey`] (the private half, read from and written to cosign's
//! encrypted PEM) and [`CosignPublicKey`] (`cosign.pub`, a PEM `PUBLIC KEY`).

use std::fmt;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use p256::ecdsa::signature::hazmat::{PrehashSigner, PrehashVerifier};
use p256::ecdsa::{DerSignature, SigningKey, VerifyingKey};
use p256::elliptic_curve::Generate as _;
use p256::pkcs8::der::pem::{self, LineEnding};
use p256::pkcs8::der::{Decode as _, asn1::ObjectIdentifier};
use p256::pkcs8::spki::SubjectPublicKeyInfoRef;
use p256::pkcs8::{DecodePrivateKey as _, EncodePrivateKey as _, EncodePublicKey as _};
use p256::pkcs8::{DecodePublicKey as _, PrivateKeyInfoRef};
use sha2::{Digest as _, Sha256};
use zeroize::Zeroizing;

use super::encrypted;
use crate::{Error, KeyId};

/// The environment variable cosign reads the key passphrase from.
pub const COSIGN_PASSWORD: &str = "COSIGN_PASSWORD";

/// The PEM label cosign (2.x) writes for encrypted private keys.
pub const SIGSTORE_PRIVATE_KEY_LABEL: &str = "ENCRYPTED SIGSTORE PRIVATE KEY";
/// The PEM label older cosign releases wrote; still read.
pub const COSIGN_PRIVATE_KEY_LABEL: &str = "ENCRYPTED COSIGN PRIVATE KEY";

const SUPPORTED: &str = "cosign keys here are ECDSA P-256 (create one with `cosign generate-key-pair` or CosignKey::generate)";

/// The passphrase of an encrypted cosign key. Never printed: `Debug` shows `<redacted>`, and
/// the memory is wiped on drop.
///
/// ```
/// use consign_sign::cosign::Passphrase;
/// let p = Passphrase::new("s3cret");
/// assert_eq!(format!("{p:?}"), "Passphrase(<redacted>)");
/// ```
#[derive(Clone)]
pub struct Passphrase(Zeroizing<String>);

impl Passphrase {
    /// A passphrase from text (may be empty: cosign allows unprotected keys that way).
    pub fn new(text: impl Into<String>) -> Passphrase {
        Passphrase(Zeroizing::new(text.into()))
    }

    /// The passphrase in [`COSIGN_PASSWORD`], if that variable is set. Call it at the edge of
    /// a program and pass the result down; nothing in this crate reads the environment itself.
    pub fn from_env() -> Option<Passphrase> {
        std::env::var(COSIGN_PASSWORD).ok().map(Passphrase::new)
    }

    pub(super) fn as_bytes(&self) -> &[u8] {
        self.0.as_bytes()
    }
}

impl fmt::Debug for Passphrase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Passphrase(<redacted>)")
    }
}

/// A cosign signing key: ECDSA on P-256, signing SHA-256 digests.
///
/// Reads the encrypted PEM that `cosign generate-key-pair` writes (labels
/// `ENCRYPTED SIGSTORE PRIVATE KEY` and the older `ENCRYPTED COSIGN PRIVATE KEY`), and
/// unencrypted PKCS#8 `PRIVATE KEY` / SEC1 `EC PRIVATE KEY` files as OpenSSL writes them.
///
/// ```
/// use consign_sign::cosign::{CosignKey, Passphrase};
/// let key = CosignKey::generate()?;
/// let pass = Passphrase::new("s3cret");
/// let pem = key.to_encrypted_pem(&pass)?;
/// assert!(pem.starts_with("-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----"));
/// let again = CosignKey::from_pem(pem.as_bytes(), Some(&pass))?;
/// assert_eq!(again.id(), key.id());
/// assert!(key.public_key().to_pem().starts_with("-----BEGIN PUBLIC KEY-----"));
/// # Ok::<(), consign_sign::Error>(())
/// ```
pub struct CosignKey {
    signing: SigningKey,
    public: CosignPublicKey,
}

impl CosignKey {
    /// A new random key from the operating system's generator.
    pub fn generate() -> Result<CosignKey, Error> {
        let signing = SigningKey::try_generate().map_err(|e| {
            Error::io(
                "read",
                "the system random number generator",
                std::io::Error::other(e.to_string()),
            )
        })?;
        CosignKey::from_signing_key(signing)
    }

    fn from_signing_key(signing: SigningKey) -> Result<CosignKey, Error> {
        let public = CosignPublicKey::from_verifying_key(*signing.verifying_key())?;
        Ok(CosignKey { signing, public })
    }

    /// Reads a private key PEM. An encrypted cosign key needs `passphrase`
    /// ([`Passphrase::from_env`] gives cosign's `COSIGN_PASSWORD`).
    pub fn from_pem(pem_text: &[u8], passphrase: Option<&Passphrase>) -> Result<CosignKey, Error> {
        CosignKey::from_pem_named(pem_text, passphrase, "cosign private key")
    }

    /// Reads the private key file at `path` (see [`CosignKey::from_pem`]).
    pub fn read(
        path: impl AsRef<Path>,
        passphrase: Option<&Passphrase>,
    ) -> Result<CosignKey, Error> {
        let path = path.as_ref();
        let text =
            std::fs::read(path).map_err(|e| Error::io("read", path.display().to_string(), e))?;
        CosignKey::from_pem_named(&text, passphrase, &path.display().to_string())
    }

    fn from_pem_named(
        pem_text: &[u8],
        passphrase: Option<&Passphrase>,
        what: &str,
    ) -> Result<CosignKey, Error> {
        let (label, body) = decode_pem(pem_text, what)?;
        let body = Zeroizing::new(body);
        match label.as_str() {
            SIGSTORE_PRIVATE_KEY_LABEL | COSIGN_PRIVATE_KEY_LABEL => {
                let passphrase = passphrase.ok_or_else(|| Error::PassphraseMissing {
                    what: format!("cosign ({what})"),
                    hint: format!(": set {COSIGN_PASSWORD} or pass a Passphrase"),
                })?;
                let der = encrypted::open(&body, passphrase, what)?;
                CosignKey::from_pkcs8_der(&der, what)
            }
            "PRIVATE KEY" => CosignKey::from_pkcs8_der(&body, what),
            "EC PRIVATE KEY" => CosignKey::from_sec1_der(&body, what),
            "PUBLIC KEY" => Err(Error::PublicKeyOnly {
                what: what.to_owned(),
            }),
            "ENCRYPTED PRIVATE KEY" => Err(Error::malformed(
                what,
                "PKCS#8-encrypted keys are not read; convert with \
                 `openssl pkcs8 -in KEY -out plain.pem` or `cosign import-key-pair --key KEY`",
            )),
            other => Err(Error::malformed(
                what,
                format_args!("PEM block {other:?} is not a private key"),
            )),
        }
    }

    fn from_pkcs8_der(der: &[u8], what: &str) -> Result<CosignKey, Error> {
        let info = PrivateKeyInfoRef::from_der(der)
            .map_err(|e| Error::malformed(what, format_args!("PKCS#8 private key: {e}")))?;
        let (oid, params) = info
            .algorithm
            .oids()
            .map_err(|e| Error::malformed(what, format_args!("PKCS#8 algorithm: {e}")))?;
        check_p256(oid, params, what)?;
        let signing = SigningKey::from_pkcs8_der(der)
            .map_err(|e| Error::malformed(what, format_args!("P-256 private key: {e}")))?;
        CosignKey::from_signing_key(signing)
    }

    fn from_sec1_der(der: &[u8], what: &str) -> Result<CosignKey, Error> {
        let parsed = sec1::EcPrivateKey::try_from(der)
            .map_err(|e| Error::malformed(what, format_args!("SEC1 EC private key: {e}")))?;
        let curve = parsed.parameters.and_then(|p| p.named_curve());
        if let Some(curve) = curve {
            check_p256(ID_EC_PUBLIC_KEY, Some(curve), what)?;
        }
        let secret = p256::SecretKey::from_sec1_der(der)
            .map_err(|e| Error::malformed(what, format_args!("P-256 private key: {e}")))?;
        CosignKey::from_signing_key(SigningKey::from(secret))
    }

    /// The key encrypted under `passphrase` as cosign writes `cosign.key`
    /// (`ENCRYPTED SIGSTORE PRIVATE KEY`, scrypt N=2^16 + secretbox).
    pub fn to_encrypted_pem(&self, passphrase: &Passphrase) -> Result<Zeroizing<String>, Error> {
        let der = self
            .signing
            .to_pkcs8_der()
            .map_err(|e| Error::malformed("cosign private key", e))?;
        let body = encrypted::seal(der.as_bytes(), passphrase)?;
        pem::encode_string(SIGSTORE_PRIVATE_KEY_LABEL, LineEnding::LF, &body)
            .map(Zeroizing::new)
            .map_err(|e| Error::malformed("cosign private key", e))
    }

    /// Writes `<dir>/<prefix>.key` (encrypted, mode 0600) and `<dir>/<prefix>.pub`, each
    /// atomically, as `cosign generate-key-pair --output-key-prefix <prefix>` does; returns the
    /// two paths.
    pub fn write_key_pair(
        &self,
        dir: impl AsRef<Path>,
        prefix: &str,
        passphrase: &Passphrase,
    ) -> Result<(PathBuf, PathBuf), Error> {
        let dir = dir.as_ref();
        let key_path = dir.join(format!("{prefix}.key"));
        let pub_path = dir.join(format!("{prefix}.pub"));
        let pem = self.to_encrypted_pem(passphrase)?;
        write_private(&key_path, pem.as_bytes())?;
        consign_core::write_atomic(&pub_path, self.public.to_pem().as_bytes())
            .map_err(|e| Error::io(e.op, pub_path.display().to_string(), e.source))?;
        Ok((key_path, pub_path))
    }

    /// The public half.
    pub fn public_key(&self) -> &CosignPublicKey {
        &self.public
    }

    /// The key id: SHA-256 of the public key's DER, hex.
    pub fn id(&self) -> &KeyId {
        self.public.id()
    }

    /// Signs a SHA-256 digest; returns the ASN.1 DER signature.
    pub(crate) fn sign_prehash(&self, prehash: &[u8; 32]) -> Result<Vec<u8>, Error> {
        let sig: DerSignature = self
            .signing
            .sign_prehash(prehash)
            .map_err(|e| Error::malformed("ECDSA signing input", e))?;
        Ok(sig.as_bytes().to_vec())
    }
}

impl fmt::Debug for CosignKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CosignKey")
            .field("id", self.id())
            .finish_non_exhaustive()
    }
}

/// A cosign verification key (`cosign.pub`): an ECDSA P-256 public key in a PEM `PUBLIC KEY`
/// (SubjectPublicKeyInfo) block.
///
/// ```
/// use consign_sign::cosign::{CosignKey, CosignPublicKey};
/// let key = CosignKey::generate()?;
/// let public = CosignPublicKey::from_pem(key.public_key().to_pem().as_bytes())?;
/// assert_eq!(public.id(), key.id());
/// assert_eq!(public.id().as_str().len(), 64);
/// # Ok::<(), consign_sign::Error>(())
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct CosignPublicKey {
    key: VerifyingKey,
    der: Vec<u8>,
    id: KeyId,
}

impl CosignPublicKey {
    fn from_verifying_key(key: VerifyingKey) -> Result<CosignPublicKey, Error> {
        let der = key
            .to_public_key_der()
            .map_err(|e| Error::malformed("cosign public key", e))?
            .into_vec();
        let id = KeyId::new(hex::encode(Sha256::digest(&der)));
        Ok(CosignPublicKey { key, der, id })
    }

    /// Reads a PEM `PUBLIC KEY` block (`cosign.pub`, or `openssl ec -pubout` output).
    pub fn from_pem(pem_text: &[u8]) -> Result<CosignPublicKey, Error> {
        CosignPublicKey::from_pem_named(pem_text, "cosign public key")
    }

    /// Reads the public key file at `path`.
    pub fn read(path: impl AsRef<Path>) -> Result<CosignPublicKey, Error> {
        let path = path.as_ref();
        let text =
            std::fs::read(path).map_err(|e| Error::io("read", path.display().to_string(), e))?;
        CosignPublicKey::from_pem_named(&text, &path.display().to_string())
    }

    fn from_pem_named(pem_text: &[u8], what: &str) -> Result<CosignPublicKey, Error> {
        let (label, body) = decode_pem(pem_text, what)?;
        if label != "PUBLIC KEY" {
            return Err(Error::malformed(
                what,
                format_args!("PEM block {label:?} is not a PUBLIC KEY (pass cosign.pub)"),
            ));
        }
        CosignPublicKey::from_der_named(&body, what)
    }

    /// Reads a DER SubjectPublicKeyInfo.
    pub fn from_der(der: &[u8]) -> Result<CosignPublicKey, Error> {
        CosignPublicKey::from_der_named(der, "cosign public key")
    }

    fn from_der_named(der: &[u8], what: &str) -> Result<CosignPublicKey, Error> {
        let spki = SubjectPublicKeyInfoRef::from_der(der)
            .map_err(|e| Error::malformed(what, format_args!("SubjectPublicKeyInfo: {e}")))?;
        let (oid, params) = spki
            .algorithm
            .oids()
            .map_err(|e| Error::malformed(what, format_args!("key algorithm: {e}")))?;
        check_p256(oid, params, what)?;
        let key = VerifyingKey::from_public_key_der(der)
            .map_err(|e| Error::malformed(what, format_args!("P-256 public key: {e}")))?;
        CosignPublicKey::from_verifying_key(key)
    }

    /// The PEM text, as `cosign.pub` holds it.
    pub fn to_pem(&self) -> String {
        // Encoding a few dozen bytes cannot fail; an empty string would be refused by readers.
        pem::encode_string("PUBLIC KEY", LineEnding::LF, &self.der).unwrap_or_default()
    }

    /// The DER SubjectPublicKeyInfo.
    pub fn to_der(&self) -> &[u8] {
        &self.der
    }

    /// The key id: SHA-256 of [`CosignPublicKey::to_der`], hex.
    pub fn id(&self) -> &KeyId {
        &self.id
    }

    /// Checks an ASN.1 DER ECDSA signature over a SHA-256 digest.
    pub(crate) fn verify_prehash(&self, prehash: &[u8; 32], der_sig: &[u8]) -> Result<(), Error> {
        let sig = DerSignature::from_bytes(der_sig)
            .map_err(|e| Error::malformed("ECDSA signature", format_args!("ASN.1 DER: {e}")))?;
        self.key
            .verify_prehash(prehash, &sig)
            .map_err(|_| Error::BadSignature {
                key: self.id.clone(),
            })
    }
}

impl fmt::Debug for CosignPublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CosignPublicKey")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

const ID_EC_PUBLIC_KEY: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
const SECP256R1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.7");

/// Refuses every key algorithm but ECDSA on P-256, naming what was found.
fn check_p256(
    oid: ObjectIdentifier,
    params: Option<ObjectIdentifier>,
    what: &str,
) -> Result<(), Error> {
    if oid == ID_EC_PUBLIC_KEY && params == Some(SECP256R1) {
        return Ok(());
    }
    let algorithm = match (oid.to_string().as_str(), params.map(|p| p.to_string())) {
        ("1.2.840.10045.2.1", Some(curve)) => match curve.as_str() {
            "1.3.132.0.34" => "ECDSA P-384".to_owned(),
            "1.3.132.0.35" => "ECDSA P-521".to_owned(),
            "1.3.132.0.10" => "ECDSA secp256k1".to_owned(),
            other => format!("ECDSA on curve {other}"),
        },
        ("1.2.840.10045.2.1", None) => "ECDSA with explicit curve parameters".to_owned(),
        ("1.3.101.112", _) => "Ed25519".to_owned(),
        ("1.3.101.113", _) => "Ed448".to_owned(),
        ("1.2.840.113549.1.1.1", _) => "RSA".to_owned(),
        ("1.2.840.113549.1.1.10", _) => "RSA-PSS".to_owned(),
        (other, _) => format!("algorithm {other}"),
    };
    Err(Error::UnsupportedAlgorithm {
        algorithm,
        what: what.to_owned(),
        supported: SUPPORTED.to_owned(),
    })
}

/// Decodes one PEM block, returning its label and body.
fn decode_pem(text: &[u8], what: &str) -> Result<(String, Vec<u8>), Error> {
    let trimmed = text.trim_ascii();
    let (label, body) = pem::decode_vec(trimmed)
        .map_err(|e| Error::malformed(what, format_args!("not a PEM block: {e}")))?;
    Ok((label.to_owned(), body))
}

/// Writes a secret file atomically with mode 0600 from the start.
fn write_private(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    let what = || path.display().to_string();
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let mut builder = tempfile::Builder::new();
    builder.prefix(".cosign-key.").suffix(".partial");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(std::fs::Permissions::from_mode(0o600));
    }
    let mut tmp = builder
        .tempfile_in(dir)
        .map_err(|e| Error::io("create a temporary file for", what(), e))?;
    tmp.write_all(bytes)
        .and_then(|()| tmp.as_file().sync_all())
        .map_err(|e| Error::io("write", what(), e))?;
    tmp.persist(path)
        .map_err(|e| Error::io("rename into place", what(), e.error))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_older_cosign_label() {
        let key = CosignKey::generate().unwrap();
        let pass = Passphrase::new("");
        let pem = key.to_encrypted_pem(&pass).unwrap();
        let old = pem.replace(SIGSTORE_PRIVATE_KEY_LABEL, COSIGN_PRIVATE_KEY_LABEL);
        assert_eq!(
            CosignKey::from_pem(old.as_bytes(), Some(&pass))
                .unwrap()
                .id(),
            key.id()
        );
    }

    #[test]
    fn missing_passphrase_and_public_key_are_typed_errors() {
        let key = CosignKey::generate().unwrap();
        let pem = key.to_encrypted_pem(&Passphrase::new("x")).unwrap();
        let err = CosignKey::from_pem(pem.as_bytes(), None).unwrap_err();
        assert!(matches!(err, Error::PassphraseMissing { .. }), "{err}");
        let err = CosignKey::from_pem(key.public_key().to_pem().as_bytes(), None).unwrap_err();
        assert!(matches!(err, Error::PublicKeyOnly { .. }), "{err}");
        let err = CosignKey::from_pem(b"not pem", None).unwrap_err();
        assert!(matches!(err, Error::Malformed { .. }), "{err}");
    }

    #[test]
    fn key_id_is_sha256_of_spki_der() {
        let key = CosignKey::generate().unwrap();
        let der = key.public_key().to_der();
        assert_eq!(der.len(), 91);
        assert_eq!(key.id().as_str(), hex::encode(Sha256::digest(der)));
    }
}
