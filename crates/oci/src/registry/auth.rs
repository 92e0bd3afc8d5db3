//! Authentication: [`Credentials`] (explicit, or from `~/.docker/config.json` and its credential
//! helpers), `WWW-Authenticate` challenges, and bearer tokens cached per scope.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde::Deserialize;

use super::RegistryError;
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
        match docker_config_path() {
            Some(path) if path.is_file() => Credentials::from_docker_config_file(&path, registry),
            _ => Ok(Credentials::Anonymous),
        }
    }

    /// The credentials a Docker config file gives `registry`: `credHelpers.<registry>`, then
    /// `credsStore` (both run `docker-credential-<name> get`), then `auths.<registry>.auth`.
    pub fn from_docker_config_file(path: &Path, registry: &str) -> Result<Credentials, Error> {
        let bad = |detail: String| {
            Error::from(RegistryError::DockerConfig {
                path: path.to_owned(),
                detail,
            })
        };
        let text = std::fs::read_to_string(path).map_err(|e| bad(e.to_string()))?;
        let config: DockerConfig = serde_json::from_str(&text).map_err(|e| bad(e.to_string()))?;
        if let Some(helper) = entry_for(&config.cred_helpers, registry) {
            return Ok(run_credential_helper(helper, registry)?);
        }
        let entry = entry_for(&config.auths, registry);
        if let Some(store) = &config.creds_store {
            let found = run_credential_helper(store, registry)?;
            if found != Credentials::Anonymous || entry.is_none() {
                return Ok(found);
            }
        }
        let Some(entry) = entry else {
            return Ok(Credentials::Anonymous);
        };
        if entry.identity_token.is_some() {
            return Err(bad(format!(
                "the entry for {registry} holds an identity token, which consign does not \
                 exchange; log in with a user name and password or access token"
            )));
        }
        match (&entry.auth, &entry.username, &entry.password) {
            (Some(auth), _, _) if !auth.is_empty() => {
                let raw = BASE64
                    .decode(auth.trim())
                    .map_err(|e| bad(format!("auths.{registry}.auth is not base64: {e}")))?;
                let text = String::from_utf8(raw)
                    .map_err(|_| bad(format!("auths.{registry}.auth is not UTF-8")))?;
                let (user, pass) = text.split_once(':').ok_or_else(|| {
                    bad(format!(
                        "auths.{registry}.auth does not decode to user:password"
                    ))
                })?;
                Ok(Credentials::basic(user, pass))
            }
            (_, Some(user), Some(pass)) => Ok(Credentials::basic(user.as_str(), pass.as_str())),
            _ => Ok(Credentials::Anonymous),
        }
    }
}

fn docker_config_path() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("DOCKER_CONFIG") {
        return Some(PathBuf::from(dir).join("config.json"));
    }
    std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".docker/config.json"))
}

/// `https://index.docker.io/v1/` → `index.docker.io`; `docker.io` → `index.docker.io`.
fn normalize_host(key: &str) -> String {
    let no_scheme = key
        .strip_prefix("https://")
        .or_else(|| key.strip_prefix("http://"))
        .unwrap_or(key);
    let host = no_scheme.split('/').next().unwrap_or(no_scheme);
    match host {
        "docker.io" | "registry-1.docker.io" => "index.docker.io".to_owned(),
        other => other.to_owned(),
    }
}

/// The server URL Docker passes to helpers: Docker Hub's legacy URL, else the host.
fn helper_server_url(registry: &str) -> String {
    if normalize_host(registry) == "index.docker.io" {
        "https://index.docker.io/v1/".to_owned()
    } else {
        registry.to_owned()
    }
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct DockerConfig {
    #[serde(default)]
    auths: BTreeMap<String, AuthEntry>,
    #[serde(default)]
    cred_helpers: BTreeMap<String, String>,
    #[serde(default)]
    creds_store: Option<String>,
}

#[derive(Deserialize, Default)]
struct AuthEntry {
    #[serde(default)]
    auth: Option<String>,
    #[serde(default)]
    username: Option<String>,
    #[serde(default)]
    password: Option<String>,
    #[serde(default, rename = "identitytoken")]
    identity_token: Option<String>,
}

#[derive(Deserialize)]
struct HelperAnswer {
    #[serde(rename = "Username")]
    username: String,
    #[serde(rename = "Secret")]
    secret: String,
}

fn run_credential_helper(helper: &str, registry: &str) -> Result<Credentials, RegistryError> {
    let answer = super::helper::run(helper, &helper_server_url(registry), registry)?;
    let Some(answer) = answer else {
        return Ok(Credentials::Anonymous);
    };
    let answer: HelperAnswer =
        serde_json::from_slice(&answer).map_err(|e| RegistryError::CredentialHelper {
            helper: helper.to_owned(),
            registry: registry.to_owned(),
            detail: format!("printed something other than credentials JSON: {e}"),
        })?;
    if answer.username == "<token>" {
        return Err(RegistryError::CredentialHelper {
            helper: helper.to_owned(),
            registry: registry.to_owned(),
            detail: "returned an identity token, which consign does not exchange; store a user \
                     name and password or access token instead"
                .to_owned(),
        });
    }
    Ok(Credentials::basic(answer.username, answer.secret))
}

/// The entry of `map` for `registry`: among the keys naming the same host, the key written
/// exactly as `registry`, else Docker's own form of it, else the first in order, so that the
/// answer never depends on the map's order.
fn entry_for<'m, V>(map: &'m BTreeMap<String, V>, registry: &str) -> Option<&'m V> {
    let host = normalize_host(registry);
    let canonical = helper_server_url(registry);
    let mut matching: Vec<(&String, &V)> = map
        .iter()
        .filter(|(k, _)| normalize_host(k) == host)
        .collect();
    matching.sort_by_key(|(k, _)| (k.as_str() != registry, **k != canonical));
    matching.first().map(|(_, v)| *v)
}

/// A parsed `WWW-Authenticate` challenge.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Challenge {
    Basic,
    Bearer {
        realm: String,
        service: Option<String>,
    },
}

/// Parses the first challenge of a `WWW-Authenticate` header.
pub(crate) fn parse_challenge(header: &str) -> Option<Challenge> {
    let header = header.trim();
    let (scheme, rest) = header.split_once(' ').unwrap_or((header, ""));
    let params = parse_params(rest);
    let get = |k: &str| {
        params
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(k))
            .map(|(_, v)| v.clone())
    };
    if scheme.eq_ignore_ascii_case("basic") {
        Some(Challenge::Basic)
    } else if scheme.eq_ignore_ascii_case("bearer") {
        Some(Challenge::Bearer {
            realm: get("realm")?,
            service: get("service"),
        })
    } else {
        None
    }
}

/// `k="v, w",k2=token` → pairs (quoted values may hold commas and `\"`).
fn parse_params(text: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut chars = text.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| *c == ',' || c.is_whitespace()) {
            chars.next();
        }
        let key: String = std::iter::from_fn(|| chars.next_if(|c| *c != '=' && *c != ','))
            .collect::<String>()
            .trim()
            .to_owned();
        if key.is_empty() || chars.next() != Some('=') {
            return out;
        }
        let mut value = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            while let Some(c) = chars.next() {
                match c {
                    '\\' => value.extend(chars.next()),
                    '"' => break,
                    c => value.push(c),
                }
            }
        } else {
            value = std::iter::from_fn(|| chars.next_if(|c| *c != ','))
                .collect::<String>()
                .trim()
                .to_owned();
        }
        out.push((key, value));
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
    fn challenges_parse_with_quoted_commas() {
        let c = parse_challenge(
            r#"Bearer realm="https://auth.example/token",service="registry.example",scope="repository:a/b:pull,push""#,
        );
        assert_eq!(
            c,
            Some(Challenge::Bearer {
                realm: "https://auth.example/token".into(),
                service: Some("registry.example".into())
            })
        );
        assert_eq!(
            parse_challenge(r#"Basic realm="Registry Realm""#),
            Some(Challenge::Basic)
        );
        assert_eq!(parse_challenge("Bearer service=x"), None);
        assert_eq!(parse_challenge("Negotiate"), None);
        let p = parse_params(r#"a="x\"y", b = tok ,c="1,2""#);
        assert_eq!(
            p,
            [
                ("a".into(), "x\"y".into()),
                ("b".into(), "tok".into()),
                ("c".into(), "1,2".into())
            ]
        );
    }

    proptest::proptest! {
        #[test]
        fn challenge_parsing_never_panics(header in "\\PC{0,80}") {
            let _ = parse_challenge(&header);
        }

        #[test]
        fn quoted_values_round_trip(
            key in "[a-z]{1,8}",
            value in "[ -~]{0,24}",
            other in "[a-z0-9]{1,8}",
        ) {
            let quoted = value.replace('\\', "\\\\").replace('"', "\\\"");
            let parsed = parse_params(&format!("{key}=\"{quoted}\", next={other}"));
            proptest::prop_assert_eq!(
                parsed,
                vec![(key, value), ("next".to_owned(), other)]
            );
        }
    }

    #[test]
    fn docker_config_auths_and_hosts() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.json");
        let auth = BASE64.encode("ci:pa:ss");
        std::fs::write(
            &path,
            format!(
                r#"{{"auths":{{"https://index.docker.io/v1/":{{"auth":"{auth}"}},
                   "127.0.0.1:5000":{{"username":"u","password":"p"}},
                   "bad.example":{{"auth":"!!"}}}}}}"#
            ),
        )
        .unwrap();
        let hub = Credentials::from_docker_config_file(&path, "docker.io").unwrap();
        assert_eq!(hub, Credentials::basic("ci", "pa:ss"));
        let local = Credentials::from_docker_config_file(&path, "127.0.0.1:5000").unwrap();
        assert_eq!(local, Credentials::basic("u", "p"));
        let none = Credentials::from_docker_config_file(&path, "ghcr.io").unwrap();
        assert_eq!(none, Credentials::Anonymous);
        let err = Credentials::from_docker_config_file(&path, "bad.example").unwrap_err();
        assert!(err.to_string().contains("not base64"), "{err}");

        // Two keys for Docker Hub: the one written as asked wins, whatever the file's order.
        for order in [
            ["docker.io", "https://index.docker.io/v1/"],
            ["https://index.docker.io/v1/", "docker.io"],
        ] {
            let a = BASE64.encode("short:1");
            let b = BASE64.encode("legacy:2");
            let auth = |k: &str| {
                if k == "docker.io" {
                    a.clone()
                } else {
                    b.clone()
                }
            };
            std::fs::write(
                &path,
                format!(
                    r#"{{"auths":{{"{}":{{"auth":"{}"}},"{}":{{"auth":"{}"}}}}}}"#,
                    order[0],
                    auth(order[0]),
                    order[1],
                    auth(order[1])
                ),
            )
            .unwrap();
            let short = Credentials::from_docker_config_file(&path, "docker.io").unwrap();
            assert_eq!(short, Credentials::basic("short", "1"));
            let legacy = Credentials::from_docker_config_file(&path, "index.docker.io").unwrap();
            assert_eq!(
                legacy,
                Credentials::basic("legacy", "2"),
                "Docker's own key"
            );
        }
    }

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
