//! [`OpenPgpVerifier`]: checks detached and cleartext OpenPGP signatures.

use std::io::Read;
use std::path::Path;

use digest::DynDigest;
use pgp::composed::{Deserializable, DetachedSignature, PublicOrSecret, SignedPublicKey};
use pgp::crypto::hash::HashAlgorithm;
use pgp::packet::{self, SignatureType, SignatureVersionSpecific};
use pgp::types::{KeyDetails, VerifyingKey};

use super::signer::new_hasher;
use super::{BACKEND, CHUNK, cleartext, fingerprint_id, hash_is_strong};
use crate::{Error, KeyId, Signature, SignatureFormat, Verified, Verifier};

/// Checks OpenPGP signatures against the public keys it was given.
///
/// Keys come armored or binary (`gpg --export`, `gpg --export --armor`, a `gpg --dearmor`
/// keyring, a `release.asc`); several keys may be concatenated. A signature verifies when it
/// was made by a primary key or a signing-capable subkey of one of them over exactly the data.
/// Key expiry and revocation are not evaluated.
///
/// ```
/// use consign_core::SourceDate;
/// use consign_sign::openpgp::{OpenPgpKey, OpenPgpSigner, OpenPgpVerifier, Passphrase};
/// use consign_sign::{Error, KeyAlgorithm, SignatureFormat, Signer, Verifier};
///
/// let date = SourceDate::from_unix(1_700_000_000);
/// let ours = OpenPgpKey::generate("A <a@example.org>", KeyAlgorithm::Ed25519, date)?;
/// let theirs = OpenPgpKey::generate("B <b@example.org>", KeyAlgorithm::Ed25519, date)?;
/// let signer = OpenPgpSigner::from_armored(theirs.secret_armored(), &Passphrase::none(), date)?;
/// let sig = signer.sign(&mut &b"data"[..], SignatureFormat::OpenPgpBinary)?;
///
/// let verifier = OpenPgpVerifier::from_keys(ours.public_armored())?;
/// assert!(matches!(verifier.verify(&mut &b"data"[..], &sig), Err(Error::WrongKey { .. })));
/// # Ok::<(), Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct OpenPgpVerifier {
    certs: Vec<SignedPublicKey>,
    allow_sha1: bool,
}

/// A component key that may have made a signature.
enum Part<'a> {
    Primary(&'a packet::PublicKey),
    Sub(&'a packet::PublicSubkey),
}

impl Part<'_> {
    fn verify(
        &self,
        hash: pgp::crypto::hash::HashAlgorithm,
        digest: &[u8],
        sig: &pgp::types::SignatureBytes,
    ) -> bool {
        match self {
            Part::Primary(k) => k.verify(hash, digest, sig).is_ok(),
            Part::Sub(k) => k.verify(hash, digest, sig).is_ok(),
        }
    }
}

impl OpenPgpVerifier {
    /// A verifier trusting the keys in `keys` (armored or binary, one or several).
    pub fn from_keys(keys: &[u8]) -> Result<OpenPgpVerifier, Error> {
        Ok(OpenPgpVerifier {
            certs: parse_keys(keys, "OpenPGP public key")?,
            allow_sha1: false,
        })
    }

    /// A verifier trusting the keys in a file.
    pub fn from_file(path: impl AsRef<Path>) -> Result<OpenPgpVerifier, Error> {
        let path = path.as_ref();
        let what = format!("OpenPGP public key {}", path.display());
        let bytes = std::fs::read(path).map_err(|e| Error::io("read", what.clone(), e))?;
        Ok(OpenPgpVerifier {
            certs: parse_keys(&bytes, &what)?,
            allow_sha1: false,
        })
    }

    /// Also trusts the keys in `keys`.
    pub fn with_keys(mut self, keys: &[u8]) -> Result<OpenPgpVerifier, Error> {
        self.certs.extend(parse_keys(keys, "OpenPGP public key")?);
        Ok(self)
    }

    /// Whether to accept signatures over SHA-1 digests (off by default: SHA-1 collisions are
    /// practical, and Sequoia refuses such signatures too). `debsigs` on Debian 12 still
    /// makes them (it runs `gpg --openpgp`, whose default digest is SHA-1); turn this on only
    /// to check such packages.
    #[must_use]
    pub fn allow_sha1(mut self, allow: bool) -> OpenPgpVerifier {
        self.allow_sha1 = allow;
        self
    }

    /// The fingerprints of the trusted (primary) keys.
    pub fn keys(&self) -> Vec<KeyId> {
        self.certs
            .iter()
            .map(|c| fingerprint_id(&c.primary_key.fingerprint()))
            .collect()
    }

    /// The component keys that a signature names as its issuer (every signing key when it
    /// names none), each with the fingerprint of its certificate.
    fn candidates<'a>(&'a self, sig: &packet::Signature) -> Vec<(KeyId, Part<'a>)> {
        let ids = sig.issuer_key_id();
        let fps = sig.issuer_fingerprint();
        let anonymous = ids.is_empty() && fps.is_empty();
        let names = |k: &dyn KeyDetails| {
            anonymous
                || ids.iter().any(|id| **id == k.legacy_key_id())
                || fps.iter().any(|fp| **fp == k.fingerprint())
        };
        let mut out = Vec::new();
        for cert in &self.certs {
            let id = fingerprint_id(&cert.primary_key.fingerprint());
            if names(&cert.primary_key) {
                out.push((id.clone(), Part::Primary(&cert.primary_key)));
            }
            for sub in &cert.public_subkeys {
                let signs = sub.signatures.iter().any(|s| s.key_flags().sign());
                if signs && names(&sub.key) {
                    out.push((id.clone(), Part::Sub(&sub.key)));
                }
            }
        }
        out
    }

    fn check(
        &self,
        sigs: &[packet::Signature],
        data: &mut dyn Read,
        text_mode_input: bool,
    ) -> Result<Verified, Error> {
        let expected = self
            .keys()
            .into_iter()
            .next()
            .unwrap_or_else(|| KeyId::new(""));
        // Every signature we hold a key for, with a hasher of its own.
        let mut pending = Vec::new();
        for sig in sigs {
            let Some(config) = sig.config() else {
                continue;
            };
            let candidates = self.candidates(sig);
            if candidates.is_empty() {
                continue;
            }
            if !matches!(config.typ, SignatureType::Binary | SignatureType::Text) {
                return Err(Error::malformed(
                    "OpenPGP signature",
                    format!(
                        "it is a {:?} signature, not a signature over data",
                        config.typ
                    ),
                ));
            }
            let sha1_allowed = self.allow_sha1 && config.hash_alg == HashAlgorithm::Sha1;
            if !hash_is_strong(config.hash_alg) && !sha1_allowed {
                return Err(Error::UnsupportedAlgorithm {
                    algorithm: format!("{:?}", config.hash_alg),
                    what: "the OpenPGP signature's digest".to_string(),
                    supported: "SHA-224, SHA-256, SHA-384, SHA-512, SHA3-256 and SHA3-512 \
                                (SHA-1 only with OpenPgpVerifier::allow_sha1)"
                        .to_string(),
                });
            }
            let mut hasher = new_hasher(config.hash_alg)?;
            if let SignatureVersionSpecific::V6 { salt } = &config.version_specific {
                hasher.update(salt);
            }
            let text = config.typ == SignatureType::Text && !text_mode_input;
            pending.push((sig, config, candidates, hasher, text));
        }
        if pending.is_empty() {
            let found = sigs
                .first()
                .map(issuer)
                .unwrap_or_else(|| KeyId::new("unknown"));
            return Err(Error::WrongKey { expected, found });
        }
        hash_all(data, &mut pending)?;
        let mut first_key = None;
        for (sig, config, candidates, mut hasher, _) in pending {
            let failed = |e| Error::malformed("OpenPGP signature", e);
            let len = config.hash_signature_data(&mut hasher).map_err(failed)?;
            hasher.update(&config.trailer(len).map_err(failed)?);
            let digest = hasher.finalize();
            let prefix_ok = sig
                .signed_hash_value()
                .is_some_and(|p| digest.get(..2) == Some(&p[..]));
            for (id, part) in candidates {
                first_key.get_or_insert_with(|| id.clone());
                let good = prefix_ok
                    && sig
                        .signature()
                        .is_some_and(|bytes| part.verify(config.hash_alg, &digest, bytes));
                if good {
                    let created = sig.created().map(|t| i64::from(t.as_secs()));
                    return Ok(Verified::new(id, created));
                }
            }
        }
        Err(Error::BadSignature {
            key: first_key.unwrap_or(expected),
        })
    }
}

impl Verifier for OpenPgpVerifier {
    fn verify(&self, data: &mut dyn Read, signature: &Signature) -> Result<Verified, Error> {
        let bytes = signature.bytes();
        match signature.format() {
            SignatureFormat::OpenPgpArmored => {
                let sigs = armored_signatures(bytes, "armored OpenPGP signature")?;
                self.check(&sigs, data, false)
            }
            SignatureFormat::OpenPgpBinary => {
                let what = "binary OpenPGP signature";
                let sigs = collect(DetachedSignature::from_bytes_many(bytes), what)?;
                self.check(&sigs, data, false)
            }
            SignatureFormat::OpenPgpCleartext => {
                std::io::copy(data, &mut std::io::sink())
                    .map_err(|e| Error::io("read", "the data", e))?;
                let what = "cleartext-signed OpenPGP document";
                let parsed = cleartext::parse(bytes).map_err(|r| Error::malformed(what, r))?;
                let sigs = armored_signatures(parsed.armored, what)?;
                for sig in &sigs {
                    let hash = sig.hash_alg();
                    if !parsed.hashes.is_empty()
                        && !hash.is_some_and(|h| parsed.hashes.contains(&h))
                    {
                        return Err(Error::malformed(
                            what,
                            "a signature's digest is not the one its Hash header announces",
                        ));
                    }
                }
                self.check(&sigs, &mut &parsed.text[..], true)
            }
            format => Err(Error::UnsupportedFormat {
                backend: BACKEND,
                format,
            }),
        }
    }
}

type Pending<'a> = (
    &'a packet::Signature,
    &'a packet::SignatureConfig,
    Vec<(KeyId, Part<'a>)>,
    Box<dyn DynDigest + Send>,
    bool,
);

/// Feeds `data` to every pending signature's hasher (text-mode ones with line ends as CR LF).
fn hash_all(data: &mut dyn Read, pending: &mut [Pending<'_>]) -> Result<(), Error> {
    let mut buf = vec![0u8; CHUNK];
    let mut crlf = Vec::new();
    let mut last_cr = false;
    loop {
        let n = match data.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(Error::io("read", "the signed data", e)),
        };
        let chunk = &buf[..n];
        if pending.iter().any(|p| p.4) {
            crlf.clear();
            for &b in chunk {
                if b == b'\n' && !last_cr {
                    crlf.push(b'\r');
                }
                crlf.push(b);
                last_cr = b == b'\r';
            }
        }
        for (_, _, _, hasher, text) in pending.iter_mut() {
            hasher.update(if *text { &crlf } else { chunk });
        }
    }
    Ok(())
}

/// The key a signature names: its issuer fingerprint, else its key id.
fn issuer(sig: &packet::Signature) -> KeyId {
    if let Some(fp) = sig.issuer_fingerprint().first() {
        return fingerprint_id(fp);
    }
    match sig.issuer_key_id().first() {
        Some(id) => KeyId::new(
            id.as_ref()
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect::<String>(),
        ),
        None => KeyId::new("unknown"),
    }
}

fn armored_signatures(bytes: &[u8], what: &str) -> Result<Vec<packet::Signature>, Error> {
    let (sigs, _) =
        DetachedSignature::from_armor_many(bytes).map_err(|e| Error::malformed(what, e))?;
    collect(Ok(sigs), what)
}

fn collect<'a>(
    sigs: pgp::errors::Result<
        Box<dyn Iterator<Item = pgp::errors::Result<DetachedSignature>> + 'a>,
    >,
    what: &str,
) -> Result<Vec<packet::Signature>, Error> {
    let mut out = Vec::new();
    for sig in sigs.map_err(|e| Error::malformed(what, e))? {
        out.push(sig.map_err(|e| Error::malformed(what, e))?.signature);
    }
    if out.is_empty() {
        return Err(Error::malformed(what, "it holds no signature packet"));
    }
    Ok(out)
}

/// Every key in `bytes`: binary packets or one or more armored blocks.
fn parse_keys(bytes: &[u8], what: &str) -> Result<Vec<SignedPublicKey>, Error> {
    let mut certs = Vec::new();
    let starts: Vec<usize> = if bytes.first().is_some_and(|b| b & 0x80 != 0) {
        vec![0]
    } else {
        let marker = b"-----BEGIN PGP ";
        (0..bytes.len())
            .filter(|&i| bytes[i..].starts_with(marker))
            .collect()
    };
    for (n, &start) in starts.iter().enumerate() {
        let end = starts.get(n + 1).copied().unwrap_or(bytes.len());
        let (keys, _) = PublicOrSecret::from_reader_many(&bytes[start..end])
            .map_err(|e| Error::malformed(what, e))?;
        for key in keys {
            let cert = match key.map_err(|e| Error::malformed(what, e))? {
                PublicOrSecret::Public(k) => k,
                PublicOrSecret::Secret(k) => k.to_public_key(),
            };
            cert.verify_bindings().map_err(|e| {
                Error::malformed(what, format!("its self-signatures do not verify: {e}"))
            })?;
            certs.push(cert);
        }
    }
    if certs.is_empty() {
        return Err(Error::malformed(what, "no OpenPGP key found"));
    }
    Ok(certs)
}
