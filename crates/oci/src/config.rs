//! [`Config`]: the image configuration (OCI, or Docker's, which has the same shape), with its
//! runtime defaults in [`RunConfig`] and build steps in [`History`].
//!
//! Fields consign does not model are kept (in `extra` maps) and written back, so building on
//! top of a base image loses nothing of its config.

use std::collections::BTreeMap;

use consign_core::{Digest, SourceDate};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::{Error, ImagePlatform, annotation, json};

/// Fields of a JSON object that the typed fields do not hold, kept verbatim (sorted by key).
pub type Extra = BTreeMap<String, Value>;

/// An image configuration: platform, runtime defaults, root file system and history.
///
/// ```
/// use consign_core::SourceDate;
/// use consign_oci::{Config, ImagePlatform};
///
/// let config = Config::new(&ImagePlatform::new("linux", "amd64"))
///     .created(SourceDate::from_unix(1_700_000_000))
///     .entrypoint(["/usr/bin/tool"])
///     .cmd(["--help"])
///     .env("PATH", "/usr/bin:/bin")
///     .user("65532:65532")
///     .working_dir("/work")
///     .label("org.opencontainers.image.version", "1.2.3")
///     .expose("8080/tcp");
/// let json = String::from_utf8(config.to_json()).unwrap();
/// assert!(json.starts_with(r#"{"created":"2023-11-14T22:13:20Z","architecture":"amd64","os":"linux","config":{"User":"65532:65532","ExposedPorts":{"8080/tcp":{}},"Env":["PATH=/usr/bin:/bin"],"Entrypoint":["/usr/bin/tool"],"Cmd":["--help"],"WorkingDir":"/work","Labels":{"#));
/// assert_eq!(Config::from_json(json.as_bytes())?, config);
/// # Ok::<(), consign_oci::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Config {
    /// When the image was created (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
    /// Who created it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub author: Option<String>,
    /// CPU architecture.
    pub architecture: String,
    /// Operating system.
    pub os: String,
    /// Operating system version (Windows).
    #[serde(
        rename = "os.version",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub os_version: Option<String>,
    /// Operating system features.
    #[serde(rename = "os.features", default, skip_serializing_if = "Vec::is_empty")]
    pub os_features: Vec<String>,
    /// CPU variant.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variant: Option<String>,
    /// Defaults for running a container.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config: Option<RunConfig>,
    /// The layers' uncompressed digests.
    pub rootfs: RootFs,
    /// How each layer was made.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub history: Vec<History>,
    /// Other fields (Docker's `container_config`, `docker_version`, …), kept verbatim.
    #[serde(flatten)]
    pub extra: Extra,
}

/// The root file system: the diff_ids (SHA-256 of each uncompressed layer tar), base first.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct RootFs {
    /// Always `layers`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The uncompressed digests of the layers.
    #[serde(default)]
    pub diff_ids: Vec<Digest>,
}

/// Defaults for running a container from the image (the `config` object of the image config).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
#[non_exhaustive]
pub struct RunConfig {
    /// `user`, `uid`, `user:group` or `uid:gid`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// Exposed ports (`8080/tcp`); the values are empty objects.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exposed_ports: Option<BTreeMap<String, Value>>,
    /// Environment, `KEY=value`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub env: Option<Vec<String>>,
    /// The program to run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entrypoint: Option<Vec<String>>,
    /// Its default arguments.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cmd: Option<Vec<String>>,
    /// Volumes; the values are empty objects.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub volumes: Option<BTreeMap<String, Value>>,
    /// The working directory.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub working_dir: Option<String>,
    /// Labels.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub labels: Option<BTreeMap<String, String>>,
    /// The signal that stops the container.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stop_signal: Option<String>,
    /// Other fields (`ArgsEscaped`, `Healthcheck`, `OnBuild`, …), kept verbatim.
    #[serde(flatten)]
    pub extra: Extra,
}

/// One step of an image's history.
///
/// ```
/// use consign_core::SourceDate;
/// use consign_oci::History;
/// let h = History::new("consign: add release files").created(SourceDate::from_unix(0));
/// assert_eq!(h.created.as_deref(), Some("1970-01-01T00:00:00Z"));
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct History {
    /// When the step ran.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
    /// What made the layer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_by: Option<String>,
    /// Who made it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub author: Option<String>,
    /// A comment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// True when the step made no layer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub empty_layer: Option<bool>,
    /// Other fields, kept verbatim.
    #[serde(flatten)]
    pub extra: Extra,
}

impl History {
    /// A step described by `created_by`.
    pub fn new(created_by: impl Into<String>) -> History {
        History {
            created: None,
            created_by: Some(created_by.into()),
            author: None,
            comment: None,
            empty_layer: None,
            extra: Extra::new(),
        }
    }

    /// With a creation date.
    #[must_use]
    pub fn created(mut self, date: SourceDate) -> History {
        self.created = Some(annotation::created(date));
        self
    }

    /// With a comment.
    #[must_use]
    pub fn comment(mut self, comment: impl Into<String>) -> History {
        self.comment = Some(comment.into());
        self
    }

    /// Marked as a step that made no layer.
    #[must_use]
    pub fn empty_layer(mut self) -> History {
        self.empty_layer = Some(true);
        self
    }
}

impl Config {
    /// The config of an empty image (no layers) for `platform`.
    pub fn new(platform: &ImagePlatform) -> Config {
        Config {
            created: None,
            author: None,
            architecture: platform.architecture.clone(),
            os: platform.os.clone(),
            os_version: platform.os_version.clone(),
            os_features: platform.os_features.clone(),
            variant: platform.variant.clone(),
            config: None,
            rootfs: RootFs {
                kind: "layers".to_owned(),
                diff_ids: Vec::new(),
            },
            history: Vec::new(),
            extra: Extra::new(),
        }
    }

    /// Parses an OCI or Docker image config.
    ///
    /// Refused: JSON that does not parse or lacks `architecture`, `os` or `rootfs`, and a
    /// `rootfs.type` other than `layers`.
    pub fn from_json(bytes: &[u8]) -> Result<Config, Error> {
        let what = "image config";
        let config: Config = json::from_slice(bytes, what)?;
        if config.rootfs.kind != "layers" {
            return Err(Error::Invalid {
                what: what.to_owned(),
                reason: format!(
                    "rootfs.type is {:?}, expected \"layers\"",
                    config.rootfs.kind
                ),
            });
        }
        Ok(config)
    }

    /// The config's JSON: deterministic (fixed field order, sorted maps, no whitespace).
    pub fn to_json(&self) -> Vec<u8> {
        json::to_vec(self)
    }

    /// The platform the config names.
    pub fn platform(&self) -> ImagePlatform {
        let mut p = ImagePlatform::new(self.os.clone(), self.architecture.clone());
        p.variant = self.variant.clone();
        p.os_version = self.os_version.clone();
        p.os_features = self.os_features.clone();
        p
    }

    /// The runtime defaults (empty when the config has none).
    pub fn run_config(&self) -> RunConfig {
        self.config.clone().unwrap_or_default()
    }

    fn with_run(mut self, change: impl FnOnce(&mut RunConfig)) -> Config {
        change(self.config.get_or_insert_with(RunConfig::default));
        self
    }

    /// With `created` set to `date`.
    #[must_use]
    pub fn created(mut self, date: SourceDate) -> Config {
        self.created = Some(annotation::created(date));
        self
    }

    /// With an author.
    #[must_use]
    pub fn author(mut self, author: impl Into<String>) -> Config {
        self.author = Some(author.into());
        self
    }

    /// With an entrypoint.
    #[must_use]
    pub fn entrypoint<S: Into<String>>(self, args: impl IntoIterator<Item = S>) -> Config {
        let args = args.into_iter().map(Into::into).collect();
        self.with_run(|r| r.entrypoint = Some(args))
    }

    /// With default arguments.
    #[must_use]
    pub fn cmd<S: Into<String>>(self, args: impl IntoIterator<Item = S>) -> Config {
        let args = args.into_iter().map(Into::into).collect();
        self.with_run(|r| r.cmd = Some(args))
    }

    /// With the environment variable `key` set to `value` (replacing an earlier value).
    #[must_use]
    pub fn env(self, key: &str, value: &str) -> Config {
        let line = format!("{key}={value}");
        let prefix = format!("{key}=");
        self.with_run(|r| {
            let env = r.env.get_or_insert_with(Vec::new);
            match env.iter_mut().find(|e| e.starts_with(&prefix)) {
                Some(e) => *e = line,
                None => env.push(line),
            }
        })
    }

    /// With a user (`name`, `uid`, `uid:gid`).
    #[must_use]
    pub fn user(self, user: impl Into<String>) -> Config {
        let user = user.into();
        self.with_run(|r| r.user = Some(user))
    }

    /// With a working directory.
    #[must_use]
    pub fn working_dir(self, dir: impl Into<String>) -> Config {
        let dir = dir.into();
        self.with_run(|r| r.working_dir = Some(dir))
    }

    /// With a label (replacing a previous value of `key`).
    #[must_use]
    pub fn label(self, key: impl Into<String>, value: impl Into<String>) -> Config {
        let (key, value) = (key.into(), value.into());
        self.with_run(|r| {
            r.labels
                .get_or_insert_with(BTreeMap::new)
                .insert(key, value);
        })
    }

    /// With an exposed port (`8080/tcp`, `53/udp`).
    #[must_use]
    pub fn expose(self, port: impl Into<String>) -> Config {
        let port = port.into();
        self.with_run(|r| {
            r.exposed_ports
                .get_or_insert_with(BTreeMap::new)
                .insert(port, Value::Object(serde_json::Map::new()));
        })
    }

    /// With a stop signal (`SIGTERM`).
    #[must_use]
    pub fn stop_signal(self, signal: impl Into<String>) -> Config {
        let signal = signal.into();
        self.with_run(|r| r.stop_signal = Some(signal))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOCKER: &str = r##"{"architecture":"amd64","config":{"Hostname":"","Env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],"Cmd":["/bin/sh"],"Image":"sha256:5b8658701c96acefe1cd3a21b2a80220badf9124891ad440d95a7fa500d48765","Volumes":null,"WorkingDir":"","Entrypoint":null,"OnBuild":null,"Labels":null},"container":"ba","container_config":{"Cmd":["/bin/sh","-c","#(nop) ","CMD [\"/bin/sh\"]"]},"created":"2023-08-07T19:20:20.894140623Z","docker_version":"20.10.23","history":[{"created":"2023-08-07T19:20:20.71894984Z","created_by":"/bin/sh -c #(nop) ADD file:32ff5e7a78b890996ee4681cc0a26185d3e9acdb4eb1e2aaccb2411f922fed6b in / "},{"created":"2023-08-07T19:20:20.894140623Z","created_by":"/bin/sh -c #(nop)  CMD [\"/bin/sh\"]","empty_layer":true}],"os":"linux","rootfs":{"type":"layers","diff_ids":["sha256:4693057ce2364720d39e57e85a5b8e0bd9ac3573716237736d6470ec5b7b7230"]}}"##;

    #[test]
    fn docker_config_keeps_unknown_fields_through_a_change() {
        let c = Config::from_json(DOCKER.as_bytes()).unwrap();
        assert_eq!(c.platform().to_string(), "linux/amd64");
        assert_eq!(c.rootfs.diff_ids.len(), 1);
        assert_eq!(c.history[1].empty_layer, Some(true));
        let run = c.run_config();
        assert_eq!(run.cmd.as_deref(), Some(&["/bin/sh".to_owned()][..]));
        assert!(run.extra.contains_key("Hostname") && run.extra.contains_key("Image"));

        let changed = c.env("LANG", "C.UTF-8");
        let again = Config::from_json(&changed.to_json()).unwrap();
        assert_eq!(again, changed);
        assert_eq!(again.extra["docker_version"], "20.10.23");
        assert!(again.extra.contains_key("container_config"));
        assert_eq!(again.run_config().env.unwrap().len(), 2);
    }

    #[test]
    fn env_replaces_a_previous_value() {
        let c = Config::new(&ImagePlatform::new("linux", "arm64").variant("v8"))
            .env("A", "1")
            .env("AB", "2")
            .env("A", "3");
        assert_eq!(c.run_config().env.unwrap(), ["A=3", "AB=2"]);
        assert_eq!(c.platform().to_string(), "linux/arm64/v8");
    }

    #[test]
    fn rootfs_must_be_layers() {
        let text = r#"{"architecture":"amd64","os":"linux","rootfs":{"type":"zfs","diff_ids":[]}}"#;
        assert!(Config::from_json(text.as_bytes()).is_err());
        assert!(Config::from_json(br#"{"os":"linux"}"#).is_err());
    }

    #[test]
    fn deeply_nested_unknown_fields_are_refused_not_overflowed() {
        let deep = format!(
            r#"{{"architecture":"amd64","os":"linux","rootfs":{{"type":"layers","diff_ids":[]}},"x":{}{}}}"#,
            "[".repeat(100_000),
            "]".repeat(100_000)
        );
        assert!(Config::from_json(deep.as_bytes()).is_err());
        let manifest = format!(
            r#"{{"schemaVersion":2,"annotations":{}}}"#,
            "[".repeat(100_000)
        );
        assert!(crate::Manifest::from_json(manifest.as_bytes()).is_err());
    }

    proptest::proptest! {
        #[test]
        fn hostile_bytes_never_panic(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..512)) {
            let _ = Config::from_json(&bytes);
        }

        #[test]
        fn mutated_configs_never_panic(cut in 0usize..DOCKER.len(), byte in proptest::num::u8::ANY) {
            let mut bytes = DOCKER.as_bytes().to_vec();
            bytes[cut] = byte;
            let _ = Config::from_json(&bytes);
            let _ = Config::from_json(&bytes[..cut]);
        }
    }
}
