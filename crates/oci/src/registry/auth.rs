//! Authentication: [`Credentials`] (explicit, or from `~/.docker/config.json` and its credential
//! helpers, see [`DockerConfig`]) and bearer tokens cached per scope.

use std::collections::HashMap;
use std::fmt;
use std::path::Path;
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde::Deserialize;

use super::DockerConfig;
use super::header::Challenge;
use crate::Error;

/// Who the client says it is to a registry.
///
/// The password never appears in `Debug` output.
///
/// ```
/// use consign_oci::registry::Credentials;
/// let c = Credentials::basic("ci", "s3cret");
/// assert!(!format!("{c:?}").contains("s3cret"));
/// ```
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Credentials {
    /// No credentials: anonymous access (bearer tokens are still fetched when asked).
    Anonymous,
    /// A user name and password (or personal access token), sent as HTTP Basic to the registry
    /// or to its token service.
    Basic {
        /// The user name.
        username: String,
        /// The password or access token.
        password: String,
    },
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Credentials::Anonymous => f.write_str("Anonymous"),
            Credentials::Basic { username, .. } => f
                .debug_struct("Basic")
                .field("username", username)
                .field("password", &"<redacted>")
                .finish(),
        }
    }
}

impl Credentials {
    /// User name and password.
    pub fn basic(username: impl Into<String>, password: impl Into<String>) -> Credentials {
        Credentials::Basic {
            username: username.into(),
            password: password.into(),
        }
    }

    /// The credentials Docker would use for `registry` (`host[:port]`): from
    /// `$DOCKER_CONFIG/config.json`, else `~/.docker/config.json`. Anonymous when there is no
    /// such file or it names nothing for the registry.
    pub fn from_docker_config(registry: &str) -> Result<Credentials, Error> {
        match DockerConfig::default_path() {
            Some(path) if path.is_file() => Credentials::from_docker_config_file(&path, registry),
            _ => Ok(Credentials::Anonymous),
        }
    }

    /// The credentials a Docker config file gives `registry`
    /// ([`DockerConfig::read`], then [`DockerConfig::credentials`]).
    pub fn from_docker_config_file(path: &Path, registry: &str) -> Result<Credentials, Error> {
        DockerConfig::read(path)?.credentials(registry)
    }
}

/// What the client knows about a registry's authentication, shared by all requests.
#[derive(Default)]
pub(crate) struct AuthState {
    /// The challenge the registry answered with, once seen.
    pub(crate) challenge: Option<Challenge>,
    /// Bearer tokens by scope set, with the instant they stop being used.
    pub(crate) tokens: HashMap<String, (String, Instant)>,
}

impl AuthState {
    pub(crate) fn token(&self, scope_key: &str) -> Option<String> {
        self.tokens
            .get(scope_key)
            .filter(|(_, until)| Instant::now() < *until)
            .map(|(t, _)| t.clone())
    }
}

/// The token service's answer.
#[derive(Deserialize)]
pub(crate) struct TokenAnswer {
    #[serde(default)]
    pub(crate) token: Option<String>,
    #[serde(default)]
    pub(crate) access_token: Option<String>,
    #[serde(default)]
    pub(crate) expires_in: Option<u64>,
}

impl TokenAnswer {
    /// The token and how long to use it (its lifetime less a margin; 60 s when unsaid).
    pub(crate) fn into_token(self) -> Option<(String, Duration)> {
        // Clamped: an `expires_in` near u64::MAX must not overflow a clock.
        let lifetime = self.expires_in.unwrap_or(60).clamp(10, 24 * 60 * 60);
        let token = self.token.or(self.access_token)?;
        (!token.is_empty()).then(|| (token, Duration::from_secs(lifetime - 5)))
    }
}

/// `Basic <base64(user:password)>`.
pub(crate) fn basic_header(username: &str, password: &str) -> String {
    format!("Basic {}", BASE64.encode(format!("{username}:{password}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_expire() {
        let answer: TokenAnswer =
            serde_json::from_str(r#"{"access_token":"t","expires_in":300}"#).unwrap();
        assert_eq!(
            answer.into_token(),
            Some(("t".to_owned(), Duration::from_secs(295)))
        );
        let empty: TokenAnswer = serde_json::from_str(r#"{"token":""}"#).unwrap();
        assert_eq!(empty.into_token(), None);
        let mut state = AuthState::default();
        state
            .tokens
            .insert("s".into(), ("old".into(), Instant::now()));
        assert_eq!(state.token("s"), None);
    }
}
