//! What the Cargo readers of `.deb` ([`crate::deb::CargoDeb`]) and `.rpm`
//! ([`crate::rpm::CargoRpm`]) share: the input shape [`CargoTarget`] (platform, profile,
//! variants) and the mapping from a profile and target to Cargo's build directory.

use std::path::{Path, PathBuf};

use consign_core::{Platform, PlatformError};
use serde_json::{Map, Value};

/// What to package from a Cargo workspace member: the platform built for, the Cargo profile,
/// and the `variants.<name>` tables of the format's metadata to apply, in order.
///
/// ```
/// use consign_package::cargo::CargoTarget;
/// use std::path::Path;
///
/// let t = CargoTarget::default()
///     .platform("aarch64-unknown-linux-gnu".parse()?)
///     .profile("dev")
///     .variant("el9");
/// assert_eq!(
///     t.build_dir(Path::new("/w/target")),
///     Path::new("/w/target/aarch64-unknown-linux-gnu/debug")
/// );
/// # Ok::<(), consign_core::PlatformError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct CargoTarget {
    /// The platform built for (`cargo build --target`); `None` for the host, built without
    /// `--target`.
    pub platform: Option<Platform>,
    /// The Cargo profile (`release` by default; `dev` and `test` build into `debug`).
    pub profile: String,
    /// `variants.<name>` tables to apply over the format's table, in order.
    pub variants: Vec<String>,
}

impl Default for CargoTarget {
    fn default() -> Self {
        CargoTarget {
            platform: None,
            profile: "release".into(),
            variants: Vec::new(),
        }
    }
}

impl CargoTarget {
    /// Sets the target platform.
    #[must_use]
    pub fn platform(mut self, platform: Platform) -> Self {
        self.platform = Some(platform);
        self
    }

    /// Sets the profile.
    #[must_use]
    pub fn profile(mut self, profile: impl Into<String>) -> Self {
        self.profile = profile.into();
        self
    }

    /// Adds a variant.
    #[must_use]
    pub fn variant(mut self, name: impl Into<String>) -> Self {
        self.variants.push(name.into());
        self
    }

    /// The platform packaged for: the one given, else this host.
    pub fn platform_or_host(&self) -> Result<Platform, PlatformError> {
        match self.platform {
            Some(p) => Ok(p),
            None => Platform::host(),
        }
    }

    /// Where Cargo puts the binaries under `target_dir` (Cargo's `target-directory`):
    /// `<target_dir>[/<triple>]/<dir>`, the triple only when a platform was given (a build
    /// with `--target`), `<dir>` `debug` for the `dev` and `test` profiles, `release` for
    /// `release` and `bench`, the profile's own name for a custom profile.
    pub fn build_dir(&self, target_dir: &Path) -> PathBuf {
        let mut dir = target_dir.to_path_buf();
        if let Some(platform) = &self.platform {
            dir.push(platform.rust_target());
        }
        dir.push(match self.profile.as_str() {
            "dev" | "test" => "debug",
            "bench" => "release",
            other => other,
        });
        dir
    }
}

/// A `[package.metadata.deb]` or `[package.metadata.generate-rpm]` table the Cargo readers
/// refuse: carried by [`crate::Error::Cargo`]. Every `key` is the full path of the key
/// (`package.metadata.deb.assets[2]`).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CargoError {
    /// A key the reader does not take.
    #[error("unsupported key {key}: {hint}")]
    UnknownKey {
        /// The key.
        key: String,
        /// Why, and what to write instead.
        hint: String,
    },
    /// A key with a value of the wrong shape.
    #[error("bad value for {key}: expected {expected}, found {found}")]
    BadKey {
        /// The key.
        key: String,
        /// What was expected.
        expected: &'static str,
        /// What was found.
        found: String,
    },
    /// A key whose value has the right shape but is refused.
    #[error("{key}: {reason}")]
    Invalid {
        /// The key.
        key: String,
        /// What is wrong and what to write instead.
        reason: String,
    },
    /// An asset whose source matches no file.
    #[error("{key}: no file matches {pattern}")]
    AssetNotFound {
        /// The asset key (`…assets[2].source`).
        key: String,
        /// The path or pattern, resolved.
        pattern: String,
    },
}

impl CargoError {
    /// The full path of the key concerned.
    pub fn key(&self) -> &str {
        match self {
            CargoError::UnknownKey { key, .. }
            | CargoError::BadKey { key, .. }
            | CargoError::Invalid { key, .. }
            | CargoError::AssetNotFound { key, .. } => key,
        }
    }
}

/// `table` with each of `variants` (`table.variants.<name>`, keys replacing the table's)
/// applied in order; `table_name` names the table in errors.
#[cfg(any(feature = "deb", feature = "rpm"))]
pub(crate) fn apply_variants(
    mut table: Map<String, Value>,
    table_name: &str,
    variants: &[String],
) -> Result<Map<String, Value>, CargoError> {
    for name in variants {
        let key = format!("{table_name}.variants.{name}");
        match table.get("variants").and_then(|v| v.get(name)) {
            Some(Value::Object(over)) => {
                for (k, v) in over.clone() {
                    table.insert(k, v);
                }
            }
            found => {
                return Err(CargoError::BadKey {
                    key,
                    expected: "a table",
                    found: found.map_or_else(|| "nothing".to_owned(), Value::to_string),
                });
            }
        }
    }
    Ok(table)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn build_directories() {
        let t = Path::new("/w/target");
        let host = CargoTarget::default();
        assert_eq!(host.build_dir(t), Path::new("/w/target/release"));
        assert_eq!(
            host.clone().profile("test").build_dir(t),
            Path::new("/w/target/debug")
        );
        assert_eq!(
            host.clone().profile("bench").build_dir(t),
            Path::new("/w/target/release")
        );
        let cross = host
            .platform("x86_64-unknown-linux-musl".parse().expect("a platform"))
            .profile("dist");
        assert_eq!(
            cross.build_dir(t),
            Path::new("/w/target/x86_64-unknown-linux-musl/dist")
        );
    }

    #[test]
    fn variants_override_in_order_and_missing_ones_are_named() {
        let table: Map<String, Value> = serde_json::from_str(
            r#"{"a": 1, "b": 1, "variants": {"x": {"a": 2}, "y": {"a": 3, "b": 3}, "z": 5}}"#,
        )
        .expect("json");
        let out = apply_variants(table.clone(), "t", &["y".into(), "x".into()]).ok();
        let out = out.expect("applied");
        assert_eq!((out["a"].clone(), out["b"].clone()), (2.into(), 3.into()));
        let missing = apply_variants(table.clone(), "t", &["nope".into()]).err();
        assert!(missing.is_some_and(|e| matches!(e,
            CargoError::BadKey { key, found, .. } if key == "t.variants.nope" && found == "nothing")));
        let bad = apply_variants(table, "t", &["z".into()]).err();
        assert!(bad.is_some_and(|e| matches!(e, CargoError::BadKey { found, .. } if found == "5")));
    }
}
