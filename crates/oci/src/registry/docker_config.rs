//! [`DockerConfig`]: the Docker client's `config.json`, and the credentials it gives each
//! registry (stored entries, credential helpers, a credential store).

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde::Deserialize;

use super::{Credentials, RegistryError};
use crate::Error;

/// A Docker client configuration (`~/.docker/config.json`), parsed: which credentials it gives
/// each registry.
///
/// For a registry, in Docker's order: `credHelpers.<registry>` names a credential helper, then
/// `credsStore` names one for every registry (when it holds nothing, the stored entry still
/// counts), then `auths.<registry>` holds a base64 `user:password` (`auth`) or `username` and
/// `password`. Keys match by host: `https://index.docker.io/v1/`, `docker.io` and
/// `index.docker.io` are all Docker Hub. Identity tokens (OAuth refresh tokens) are refused
/// with an error that says so rather than skipped.
///
/// [`DockerConfig::credentials`] runs the helpers (`docker-credential-<name> get`, with a
/// time limit and bounded output); [`DockerConfig::credentials_with`] asks a function of the
/// caller's instead, which tests and programs with their own secret store use. `Debug` shows
/// registry names and helpers, never a stored secret.
///
/// ```
/// use consign_oci::registry::{Credentials, DockerConfig};
///
/// let config = DockerConfig::from_json(br#"{
///     "auths": {
///         "https://index.docker.io/v1/": {"auth": "Y2k6czNjcmV0"},
///         "127.0.0.1:5000": {"username": "test", "password": "test"}
///     },
///     "credHelpers": {"123456789012.dkr.ecr.eu-west-1.amazonaws.com": "ecr-login"}
/// }"#)?;
/// assert_eq!(config.credentials("docker.io")?, Credentials::basic("ci", "s3cret"));
/// assert_eq!(config.credentials("ghcr.io")?, Credentials::Anonymous);
/// // A helper answers for its registry; here a function stands in for docker-credential-ecr-login.
/// let ecr = "123456789012.dkr.ecr.eu-west-1.amazonaws.com";
/// let creds = config.credentials_with(ecr, &mut |helper| {
///     assert_eq!(helper, "ecr-login");
///     Ok(Credentials::basic("AWS", "token"))
/// })?;
/// assert_eq!(creds, Credentials::basic("AWS", "token"));
/// assert!(!format!("{config:?}").contains("Y2k6czNjcmV0"));
/// # Ok::<(), consign_oci::Error>(())
/// ```
#[derive(Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DockerConfig {
    /// Where it was read from, for error messages.
    #[serde(skip)]
    path: Option<PathBuf>,
    #[serde(default)]
    auths: BTreeMap<String, AuthEntry>,
    #[serde(default)]
    cred_helpers: BTreeMap<String, String>,
    #[serde(default)]
    creds_store: Option<String>,
}

#[derive(Clone, Default, Deserialize)]
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

impl fmt::Debug for DockerConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DockerConfig")
            .field("path", &self.path)
            .field("auths", &self.auths.keys().collect::<Vec<_>>())
            .field("cred_helpers", &self.cred_helpers)
            .field("creds_store", &self.creds_store)
            .finish()
    }
}

impl DockerConfig {
    /// Where Docker reads its configuration: `$DOCKER_CONFIG/config.json`, else
    /// `~/.docker/config.json`.
    pub fn default_path() -> Option<PathBuf> {
        if let Some(dir) = std::env::var_os("DOCKER_CONFIG") {
            return Some(PathBuf::from(dir).join("config.json"));
        }
        std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".docker/config.json"))
    }

    /// Parses a configuration (JSON; unknown fields are ignored, as Docker ignores them).
    pub fn from_json(json: &[u8]) -> Result<DockerConfig, Error> {
        serde_json::from_slice(json).map_err(|e| {
            Error::from(RegistryError::DockerConfig {
                path: None,
                detail: e.to_string(),
            })
        })
    }

    /// Reads and parses the configuration file at `path`.
    pub fn read(path: &Path) -> Result<DockerConfig, Error> {
        let with_path = |e: Error| match e {
            Error::Registry(RegistryError::DockerConfig { detail, .. }) => {
                Error::from(RegistryError::DockerConfig {
                    path: Some(path.to_owned()),
                    detail,
                })
            }
            other => other,
        };
        let bytes = std::fs::read(path).map_err(|e| {
            with_path(
                RegistryError::DockerConfig {
                    path: None,
                    detail: e.to_string(),
                }
                .into(),
            )
        })?;
        let mut config = DockerConfig::from_json(&bytes).map_err(with_path)?;
        config.path = Some(path.to_owned());
        Ok(config)
    }

    /// The registries the file names, as written (the keys of `auths` and `credHelpers`,
    /// sorted, each once).
    pub fn registries(&self) -> impl Iterator<Item = &str> {
        let mut keys: Vec<&str> = self
            .auths
            .keys()
            .chain(self.cred_helpers.keys())
            .map(String::as_str)
            .collect();
        keys.sort_unstable();
        keys.dedup();
        keys.into_iter()
    }

    /// The credentials for `registry` (`host[:port]`), running the credential helper the
    /// file names for it, if any. Anonymous when the file names nothing for the registry.
    pub fn credentials(&self, registry: &str) -> Result<Credentials, Error> {
        self.credentials_with(registry, &mut |helper| {
            Ok(run_credential_helper(helper, registry)?)
        })
    }

    /// The credentials for `registry`, asking `helper` (given a helper's name, the part after
    /// `docker-credential-`) where [`DockerConfig::credentials`] would run that helper.
    /// `helper` answers [`Credentials::Anonymous`] when it holds nothing for the registry.
    pub fn credentials_with(
        &self,
        registry: &str,
        helper: &mut dyn FnMut(&str) -> Result<Credentials, Error>,
    ) -> Result<Credentials, Error> {
        let bad = |detail: String| {
            Error::from(RegistryError::DockerConfig {
                path: self.path.clone(),
                detail,
            })
        };
        if let Some(name) = entry_for(&self.cred_helpers, registry) {
            return helper(name);
        }
        let entry = entry_for(&self.auths, registry);
        if let Some(store) = &self.creds_store {
            let found = helper(store)?;
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

#[cfg(test)]
mod tests {
    use super::*;

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
        assert!(err.to_string().contains("config.json"), "{err}");
        let config = DockerConfig::read(&path).unwrap();
        assert_eq!(
            config.registries().collect::<Vec<_>>(),
            [
                "127.0.0.1:5000",
                "bad.example",
                "https://index.docker.io/v1/"
            ]
        );

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
        let err = DockerConfig::read(&dir.path().join("missing.json")).unwrap_err();
        assert!(err.to_string().contains("missing.json"), "{err}");
    }

    #[test]
    fn helpers_come_first_and_the_store_falls_back_to_entries() {
        let config = DockerConfig::from_json(
            br#"{"auths":{"a.example":{"username":"u","password":"p"},
                          "t.example":{"identitytoken":"x"}},
                 "credHelpers":{"a.example":"special"},
                 "credsStore":"desktop"}"#,
        )
        .unwrap();
        let mut asked = Vec::new();
        let mut store_is_empty = |h: &str| {
            asked.push(h.to_owned());
            Ok(Credentials::Anonymous)
        };
        assert_eq!(
            config
                .credentials_with("a.example", &mut store_is_empty)
                .unwrap(),
            Credentials::Anonymous
        );
        assert_eq!(
            config
                .credentials_with("b.example", &mut store_is_empty)
                .unwrap(),
            Credentials::Anonymous
        );
        let err = config
            .credentials_with("t.example", &mut store_is_empty)
            .unwrap_err();
        assert!(err.to_string().contains("identity token"), "{err}");
        assert_eq!(asked, ["special", "desktop", "desktop"]);
        // The store's answer wins over a stored entry; the entry counts when it has nothing.
        let config = DockerConfig::from_json(
            br#"{"auths":{"c.example":{"username":"u","password":"p"}},"credsStore":"desktop"}"#,
        )
        .unwrap();
        let from_store = config
            .credentials_with("c.example", &mut |_| Ok(Credentials::basic("s", "t")))
            .unwrap();
        assert_eq!(from_store, Credentials::basic("s", "t"));
        let fallback = config
            .credentials_with("c.example", &mut |_| Ok(Credentials::Anonymous))
            .unwrap();
        assert_eq!(fallback, Credentials::basic("u", "p"));
        assert!(DockerConfig::from_json(b"\"auths\"").is_err());
    }
}
