//! Signing through the GnuPG agent (feature `gpgme`), so keys already imported into a keyring
//! or held on a smartcard sign releases.
//!
//! [`GpgAgentSigner`] finds a secret key in a GnuPG home directory (`GNUPGHOME`, `~/.gnupg`, or
//! [`GpgAgentOptions::with_home_dir`]) and has gpg sign through gpgme: detached armored and
//! binary signatures and cleartext-signed documents, over SHA-256 or a stronger digest. The
//! secret key never enters this process; passphrases come from the agent's pinentry, or from a
//! caller callback in loopback mode ([`GpgAgentOptions::with_passphrase`]).
//!
//! The data streams to gpg through a pipe: memory does not grow with its size. Signatures carry
//! the time they are made (gpg chooses it), so unlike [`OpenPgpSigner`](crate::openpgp::OpenPgpSigner)
//! the bytes are not reproducible; [`OpenPgpVerifier`](crate::openpgp::OpenPgpVerifier) and
//! `gpgv` check them alike.
//!
//! Building needs gpgme's headers (Debian `libgpgme-dev`); running needs `gpg` and `gpg-agent`.
//!
//! ```no_run
//! use consign_sign::gpgme::{GpgAgentOptions, GpgAgentSigner};
//! use consign_sign::{SignatureFormat, Signer};
//!
//! let signer = GpgAgentSigner::new("release@example.org", GpgAgentOptions::new())?;
//! let sums = signer.sign(&mut &b"..."[..], SignatureFormat::OpenPgpCleartext)?;
//! std::fs::write("SHA256SUMS.asc", sums.bytes()).ok();
//! # Ok::<(), consign_sign::Error>(())
//! ```

use std::fmt;
use std::io::{self, Read, Write};
use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use ::gpgme::{
    Context, Data, ExportMode, HashAlgorithm, Key, PassphraseRequest, PinentryMode, Protocol,
    SignMode,
};
pub use zeroize::Zeroizing;

use crate::{
    Error, KeyAlgorithm, KeyId, KeyInfo, Signature, SignatureFormat, Signer, VerificationMaterial,
};

const BACKEND: &str = "GnuPG agent";

const FORMATS: [SignatureFormat; 3] = [
    SignatureFormat::OpenPgpArmored,
    SignatureFormat::OpenPgpBinary,
    SignatureFormat::OpenPgpCleartext,
];

/// Read buffer for streaming the data to gpg.
const CHUNK: usize = 64 * 1024;

/// Gives the passphrase of a key, given gpg's description of it (user id and key id); `None`
/// cancels signing.
pub type PassphraseCallback = dyn Fn(&str) -> Option<Zeroizing<String>> + Send + Sync;

/// Where the keyring is and how passphrases are obtained.
///
/// ```
/// use consign_sign::gpgme::GpgAgentOptions;
/// use consign_sign::gpgme::Zeroizing;
///
/// let options = GpgAgentOptions::new()
///     .with_home_dir("/srv/release/gnupg")
///     .with_passphrase(|_key| std::env::var("RELEASE_PASSPHRASE").ok().map(Zeroizing::new));
/// # let _ = options;
/// ```
#[derive(Clone, Default)]
pub struct GpgAgentOptions {
    home: Option<PathBuf>,
    passphrase: Option<Arc<PassphraseCallback>>,
}

impl GpgAgentOptions {
    /// The defaults: the keyring of `GNUPGHOME` (else `~/.gnupg`), passphrases asked by the
    /// agent's pinentry (or cached by the agent).
    pub fn new() -> GpgAgentOptions {
        GpgAgentOptions::default()
    }

    /// Uses the GnuPG home directory `dir` instead of `GNUPGHOME`.
    #[must_use]
    pub fn with_home_dir(mut self, dir: impl Into<PathBuf>) -> GpgAgentOptions {
        self.home = Some(dir.into());
        self
    }

    /// Has gpg ask `callback` for passphrases (pinentry loopback mode) instead of the agent's
    /// pinentry. The agent must allow loopback (`allow-loopback-pinentry`, GnuPG's default).
    #[must_use]
    pub fn with_passphrase(
        mut self,
        callback: impl Fn(&str) -> Option<Zeroizing<String>> + Send + Sync + 'static,
    ) -> GpgAgentOptions {
        self.passphrase = Some(Arc::new(callback));
        self
    }

    /// The keyring's name in messages.
    fn keyring(&self) -> String {
        match &self.home {
            Some(home) => home.display().to_string(),
            None => ::gpgme::init()
                .get_dir_info("homedir")
                .map(str::to_string)
                .unwrap_or_else(|_| "of GNUPGHOME".to_string()),
        }
    }

    /// A fresh gpgme context on this keyring.
    fn context(&self) -> Result<Context, Error> {
        let mut ctx = Context::from_protocol(Protocol::OpenPgp).map_err(agent("start gpgme"))?;
        if let Some(home) = &self.home {
            ctx.set_engine_home_dir(home_str(home)?)
                .map_err(agent("select the GnuPG home directory"))?;
        }
        if self.passphrase.is_some() {
            ctx.set_pinentry_mode(PinentryMode::Loopback)
                .map_err(agent("select loopback pinentry"))?;
        }
        Ok(ctx)
    }
}

impl fmt::Debug for GpgAgentOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GpgAgentOptions")
            .field("home", &self.home)
            .field("passphrase_callback", &self.passphrase.is_some())
            .finish()
    }
}

/// Signs through gpg and its agent with a key from a GnuPG keyring or a smartcard.
///
/// ```no_run
/// use consign_sign::gpgme::{GpgAgentOptions, GpgAgentSigner};
/// use consign_sign::{SignatureFormat, Signer};
///
/// let options = GpgAgentOptions::new().with_home_dir("/home/release/.gnupg");
/// let signer = GpgAgentSigner::new("0123456789ABCDEF0123456789ABCDEF01234567", options)?;
/// let signature = signer.sign(&mut std::io::stdin(), SignatureFormat::OpenPgpArmored)?;
/// println!("{}", String::from_utf8_lossy(signature.bytes()));
/// # Ok::<(), consign_sign::Error>(())
/// ```
pub struct GpgAgentSigner {
    key: Key,
    info: KeyInfo,
    options: GpgAgentOptions,
}

impl GpgAgentSigner {
    /// The signer for the secret key that `key` names — a fingerprint, a key id or a user id
    /// (or part of one, as gpg matches them) — in the keyring of `options`.
    ///
    /// Errors: [`Error::KeyNotFound`] when nothing matches, [`Error::NoSecretKey`] when only the
    /// public key is there, [`Error::AmbiguousKey`] when several keys match,
    /// [`Error::KeyUnusable`] when the key has no valid signing (sub)key,
    /// [`Error::UnsupportedAlgorithm`] for a signing key that is neither Ed25519, RSA nor ECDSA
    /// P-256, [`Error::Agent`] when gpgme or gpg fail.
    pub fn new(key: &str, options: GpgAgentOptions) -> Result<GpgAgentSigner, Error> {
        let keyring = options.keyring();
        let mut ctx = options.context()?;
        let found = list(&mut ctx, key, true)?;
        let found = match found.len() {
            0 => {
                return Err(match list(&mut ctx, key, false)?.first() {
                    Some(public) => Error::NoSecretKey {
                        key: fingerprint(public),
                        keyring,
                    },
                    None => Error::KeyNotFound {
                        key: key.to_string(),
                        keyring,
                    },
                });
            }
            1 => found,
            _ => {
                return Err(Error::AmbiguousKey {
                    key: key.to_string(),
                    candidates: found.iter().map(fingerprint).collect::<Vec<_>>().join(", "),
                });
            }
        };
        let Some(found) = found.into_iter().next() else {
            return Err(Error::KeyNotFound {
                key: key.to_string(),
                keyring,
            });
        };
        let fpr = fingerprint(&found);
        let unusable = |reason: &str| Error::KeyUnusable {
            key: fpr.clone(),
            reason: reason.to_string(),
        };
        if found.is_revoked() {
            return Err(unusable("it is revoked"));
        }
        if found.is_expired() {
            return Err(unusable(
                "it has expired: extend it with `gpg --quick-set-expire`",
            ));
        }
        if found.is_disabled() {
            return Err(unusable("it is disabled in the keyring"));
        }
        let algorithm = signing_algorithm(&found, &fpr)?;
        let name = found
            .user_ids()
            .next()
            .and_then(|u| u.id().ok().map(str::to_string))
            .unwrap_or_default();
        let mut public = Vec::new();
        ctx.set_armor(true);
        ctx.export_keys([&found], ExportMode::empty(), &mut public)
            .map_err(agent("export the public key"))?;
        let info = KeyInfo::new(KeyId::new(&fpr), algorithm, name, public);
        Ok(GpgAgentSigner {
            key: found,
            info,
            options,
        })
    }

    fn material(&self) -> VerificationMaterial {
        VerificationMaterial::PublicKey {
            hint: self.info.id.clone(),
        }
    }

    /// Runs gpg on what `data` yields: a thread drives gpgme reading one end of a pipe while
    /// this thread copies `data` into the other, so only a buffer's worth is held at a time.
    fn run(&self, data: &mut dyn Read, format: SignatureFormat) -> Result<Vec<u8>, Error> {
        let (reader, mut writer) = io::pipe().map_err(|e| Error::io("open", "a pipe to gpg", e))?;
        std::thread::scope(|scope| {
            let gpg = scope.spawn(move || self.sign_from(reader, format));
            let copied = copy(data, &mut writer);
            drop(writer);
            let signed = gpg.join().unwrap_or_else(|_| {
                Err(Error::Agent {
                    op: "sign",
                    reason: "the gpgme thread panicked".to_string(),
                })
            });
            // gpg's own failure explains a broken pipe better than the pipe does.
            match (signed, copied) {
                (Err(e), _) => Err(e),
                (Ok(_), Err(e)) => Err(e),
                (Ok(bytes), Ok(())) => Ok(bytes),
            }
        })
    }

    fn sign_from(&self, input: io::PipeReader, format: SignatureFormat) -> Result<Vec<u8>, Error> {
        let mut ctx = self.options.context()?;
        let mode = match format {
            SignatureFormat::OpenPgpArmored => {
                ctx.set_armor(true);
                SignMode::Detached
            }
            SignatureFormat::OpenPgpBinary => SignMode::Detached,
            SignatureFormat::OpenPgpCleartext => SignMode::Clear,
            format => {
                return Err(Error::UnsupportedFormat {
                    backend: BACKEND,
                    format,
                });
            }
        };
        ctx.add_signer(&self.key)
            .map_err(agent("select the signing key"))?;
        let input = Data::from_reader(input).map_err(|e| Error::Agent {
            op: "read the data",
            reason: e.error().to_string(),
        })?;
        let mut out = Vec::new();
        let result = match &self.options.passphrase {
            Some(callback) => {
                let callback = AssertUnwindSafe(Arc::clone(callback));
                let provider = move |request: PassphraseRequest<'_>, out: &mut dyn Write| {
                    let hint = request.user_id_hint().unwrap_or_default();
                    // The whole wrapper is captured, not its (unwind-unsafe) field.
                    let AssertUnwindSafe(callback) = &callback;
                    match callback(hint) {
                        Some(pass) => {
                            out.write_all(pass.as_bytes())?;
                            out.write_all(b"\n")?;
                            Ok(())
                        }
                        None => Err(::gpgme::Error::CANCELED),
                    }
                };
                ctx.with_passphrase_provider(provider, |ctx| ctx.sign(mode, input, &mut out))
            }
            None => ctx.sign(mode, input, &mut out),
        };
        let result = result.map_err(|e| self.sign_error(e))?;
        if let Some(invalid) = result.invalid_signers().next() {
            return Err(Error::Agent {
                op: "sign",
                reason: invalid
                    .reason()
                    .map_or_else(|| "the key was rejected".to_string(), |e| e.to_string()),
            });
        }
        let Some(made) = result.new_signatures().next() else {
            return Err(Error::Agent {
                op: "sign",
                reason: "gpg made no signature".to_string(),
            });
        };
        let hash = made.hash_algorithm();
        if !matches!(
            hash,
            HashAlgorithm::Sha256 | HashAlgorithm::Sha384 | HashAlgorithm::Sha512
        ) {
            return Err(Error::Agent {
                op: "sign",
                reason: format!(
                    "gpg signed with the weak digest {hash:?}: set `personal-digest-preferences \
                     SHA512 SHA384 SHA256` in gpg.conf"
                ),
            });
        }
        Ok(out)
    }

    fn sign_error(&self, e: ::gpgme::Error) -> Error {
        let what = format!("GnuPG ({})", self.info.id);
        match e.code() {
            c if c == ::gpgme::Error::BAD_PASSPHRASE.code() => Error::WrongPassphrase { what },
            c if c == ::gpgme::Error::CANCELED.code() && self.options.passphrase.is_some() => {
                Error::PassphraseMissing {
                    what,
                    hint: ": the passphrase callback gave none".to_string(),
                }
            }
            _ => Error::Agent {
                op: "sign",
                reason: e.to_string(),
            },
        }
    }
}

impl Signer for GpgAgentSigner {
    fn key(&self) -> &KeyInfo {
        &self.info
    }

    fn formats(&self) -> &[SignatureFormat] {
        &FORMATS
    }

    fn sign(&self, data: &mut dyn Read, format: SignatureFormat) -> Result<Signature, Error> {
        if !FORMATS.contains(&format) {
            return Err(Error::UnsupportedFormat {
                backend: BACKEND,
                format,
            });
        }
        let bytes = self.run(data, format)?;
        Ok(Signature::new(format, bytes, self.material()))
    }
}

impl fmt::Debug for GpgAgentSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GpgAgentSigner")
            .field("key", &self.info.id)
            .field("name", &self.info.name)
            .field("algorithm", &self.info.algorithm)
            .field("options", &self.options)
            .finish()
    }
}

fn agent(op: &'static str) -> impl Fn(::gpgme::Error) -> Error {
    move |e| Error::Agent {
        op,
        reason: e.to_string(),
    }
}

fn home_str(home: &Path) -> Result<String, Error> {
    home.to_str()
        .map(str::to_string)
        .ok_or_else(|| Error::malformed("GnuPG home directory", "the path is not UTF-8"))
}

fn fingerprint(key: &Key) -> String {
    key.fingerprint().unwrap_or_default().to_ascii_lowercase()
}

/// The keys matching `pattern`, secret ones when `secret`.
fn list(ctx: &mut Context, pattern: &str, secret: bool) -> Result<Vec<Key>, Error> {
    let keys = if secret {
        ctx.find_secret_keys([pattern])
    } else {
        ctx.find_keys([pattern])
    };
    let mut found = Vec::new();
    for key in keys.map_err(agent("list keys"))? {
        match key {
            Ok(key) => found.push(key),
            // A pattern that matches nothing ends the listing with EOF.
            Err(e) if e.code() == ::gpgme::Error::EOF.code() => break,
            Err(e) => return Err(agent("list keys")(e)),
        }
    }
    Ok(found)
}

/// The algorithm of the (sub)key gpg signs with: the newest valid signing subkey whose secret
/// is present (in the keyring or on a card), as gpg picks it.
fn signing_algorithm(key: &Key, fpr: &str) -> Result<KeyAlgorithm, Error> {
    let signing = key
        .subkeys()
        .filter(|s| {
            s.can_sign()
                && s.is_secret()
                && !s.is_revoked()
                && !s.is_expired()
                && !s.is_disabled()
                && !s.is_invalid()
        })
        .max_by_key(|s| s.creation_time());
    let Some(sub) = signing else {
        return Err(Error::KeyUnusable {
            key: fpr.to_string(),
            reason: "it has no valid signing key whose secret is in the keyring or on a card: \
                     add one with `gpg --quick-add-key FPR ed25519 sign`"
                .to_string(),
        });
    };
    let curve = sub.curve().unwrap_or_default();
    let bits = u32::try_from(sub.length()).unwrap_or(0);
    match sub.algorithm() {
        ::gpgme::KeyAlgorithm::Eddsa if curve.eq_ignore_ascii_case("ed25519") => {
            Ok(KeyAlgorithm::Ed25519)
        }
        ::gpgme::KeyAlgorithm::Rsa | ::gpgme::KeyAlgorithm::RsaSign if bits >= 2048 => {
            Ok(KeyAlgorithm::Rsa { bits })
        }
        ::gpgme::KeyAlgorithm::Ecdsa if curve == "nistp256" => Ok(KeyAlgorithm::EcdsaP256),
        other => Err(Error::UnsupportedAlgorithm {
            algorithm: format!(
                "{} {curve} ({bits} bits)",
                other.name().unwrap_or("unknown")
            ),
            what: format!("GnuPG key {fpr}"),
            supported: "the GnuPG agent backend signs with Ed25519, RSA (2048 bits or more) \
                        and ECDSA P-256 keys"
                .to_string(),
        }),
    }
}

/// Copies `data` into gpg's pipe.
fn copy(data: &mut dyn Read, pipe: &mut io::PipeWriter) -> Result<(), Error> {
    let mut buf = vec![0u8; CHUNK];
    loop {
        let n = match data.read(&mut buf) {
            Ok(0) => return Ok(()),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(Error::io("read", "the data to sign", e)),
        };
        pipe.write_all(&buf[..n])
            .map_err(|e| Error::io("write", "the data to gpg", e))?;
    }
}
