//! Where the passphrase of an encrypted secret key comes from.

use std::fmt;
use std::sync::Arc;

use zeroize::Zeroizing;

type Callback = dyn Fn() -> Option<Zeroizing<Vec<u8>>> + Send + Sync;

/// The passphrase that unlocks a secret key: none, a value, an environment variable, or a
/// callback (a prompt, a secret manager).
///
/// The value is held in a buffer that is wiped when dropped, and it never appears in `Debug`
/// output or in error messages.
///
/// ```
/// use consign_sign::openpgp::Passphrase;
/// let p = Passphrase::new("correct horse");
/// assert_eq!(format!("{p:?}"), "Passphrase(value, redacted)");
/// let from_env = Passphrase::from_env("RELEASE_KEY_PASSPHRASE");
/// assert_eq!(format!("{from_env:?}"), "Passphrase(env RELEASE_KEY_PASSPHRASE)");
/// ```
#[derive(Clone, Default)]
pub struct Passphrase(Source);

#[derive(Clone, Default)]
enum Source {
    #[default]
    None,
    Value(Zeroizing<Vec<u8>>),
    Env(String),
    Callback(Arc<Callback>),
}

impl Passphrase {
    /// No passphrase: the key must be unencrypted.
    pub fn none() -> Passphrase {
        Passphrase(Source::None)
    }

    /// A passphrase given as a value.
    pub fn new(value: impl AsRef<[u8]>) -> Passphrase {
        Passphrase(Source::Value(Zeroizing::new(value.as_ref().to_vec())))
    }

    /// The passphrase is the value of the environment variable `name`, read when the key is
    /// unlocked. An unset variable counts as no passphrase.
    pub fn from_env(name: impl Into<String>) -> Passphrase {
        Passphrase(Source::Env(name.into()))
    }

    /// The passphrase is what `callback` returns when the key is unlocked (`None`: no
    /// passphrase available).
    pub fn from_fn(
        callback: impl Fn() -> Option<Zeroizing<Vec<u8>>> + Send + Sync + 'static,
    ) -> Passphrase {
        Passphrase(Source::Callback(Arc::new(callback)))
    }

    /// A hint for error messages on where a passphrase can be supplied (never the value).
    pub(crate) fn hint(&self) -> String {
        match &self.0 {
            Source::Env(name) => format!(": set the environment variable {name}"),
            _ => ": pass one with Passphrase::new, Passphrase::from_env or Passphrase::from_fn"
                .to_string(),
        }
    }

    /// The passphrase bytes, if one is available.
    pub(crate) fn resolve(&self) -> Option<Zeroizing<Vec<u8>>> {
        match &self.0 {
            Source::None => None,
            Source::Value(v) => Some(v.clone()),
            Source::Env(name) => {
                std::env::var_os(name).map(|v| Zeroizing::new(v.into_encoded_bytes()))
            }
            Source::Callback(f) => f(),
        }
    }
}

impl fmt::Debug for Passphrase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Source::None => f.write_str("Passphrase(none)"),
            Source::Value(_) => f.write_str("Passphrase(value, redacted)"),
            Source::Env(name) => write!(f, "Passphrase(env {name})"),
            Source::Callback(_) => f.write_str("Passphrase(callback)"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_value() {
        let p = Passphrase::new("s3cret-value");
        assert!(!format!("{p:?}").contains("s3cret"));
        let c = Passphrase::from_fn(|| Some(Zeroizing::new(b"s3cret-value".to_vec())));
        assert!(!format!("{c:?}").contains("s3cret"));
        assert_eq!(
            c.resolve().as_deref().map(|v| v.as_slice()),
            Some(&b"s3cret-value"[..])
        );
    }
}
