//! What the Cargo readers of `.deb` ([`crate::deb::CargoDeb`]) and `.rpm`
//! ([`crate::rpm::CargoRpm`]) share: the input shape [`CargoTarget`] (platform, profile,
//! variants), the mapping from a profile and target to Cargo's build directory, and the
//! build keys both tables may carry ([`BuildSettings`]).

#[cfg(any(feature = "deb", feature = "rpm"))]
pub(crate) mod elf;
#[cfg(any(feature = "deb", feature = "rpm"))]
pub(crate) mod glob;

use std::path::{Path, PathBuf};

use consign_core::{Platform, PlatformError};
#[cfg(any(feature = "deb", feature = "rpm"))]
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
    /// A packaged file that starts like an ELF file but whose headers or dynamic section
    /// cannot be read, met while computing automatic dependencies.
    #[error(
        "{key}: {path} looks like an ELF file but cannot be read ({source}): \
         fix or leave out the file, or list the dependencies instead of computing them"
    )]
    Elf {
        /// The key asking for automatic dependencies.
        key: String,
        /// The file on disk.
        path: PathBuf,
        /// What the ELF reader found.
        #[source]
        source: object::read::Error,
    },
}

impl CargoError {
    /// The full path of the key concerned.
    pub fn key(&self) -> &str {
        match self {
            CargoError::UnknownKey { key, .. }
            | CargoError::BadKey { key, .. }
            | CargoError::Invalid { key, .. }
            | CargoError::AssetNotFound { key, .. }
            | CargoError::Elf { key, .. } => key,
        }
    }
}

/// The keys of a packaging table that concern building rather than packaging (cargo-deb's
/// `features`, `default-features`, `profile`, `separate-debug-symbols`,
/// `compress-debug-symbols`, `dbgsym`, `strip`): consign packages what was built, so it
/// records them for the caller, which builds (or checks its build) accordingly.
///
/// ```
/// use consign_package::cargo::BuildSettings;
///
/// let settings = BuildSettings::default();
/// assert!(settings.default_features && settings.features.is_empty());
/// assert_eq!(settings.cargo_args(), Vec::<String>::new());
/// let mut settings = BuildSettings::default();
/// settings.features = vec!["tls".into(), "zstd".into()];
/// settings.default_features = false;
/// settings.profile = Some("dist".into());
/// assert_eq!(
///     settings.cargo_args(),
///     ["--no-default-features", "--features", "tls,zstd", "--profile", "dist"]
/// );
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct BuildSettings {
    /// Cargo features to enable (`features`).
    pub features: Vec<String>,
    /// Whether the default features are enabled (`default-features`, default `true`).
    pub default_features: bool,
    /// The Cargo profile to build with (`profile`), when the table names one.
    pub profile: Option<String>,
    /// Whether debug symbols go to separate files (`separate-debug-symbols`).
    pub separate_debug_symbols: Option<bool>,
    /// Whether separate debug symbols are compressed (`compress-debug-symbols`), as written:
    /// `true`, `false`, or the method (`zlib`, `zstd`, `auto`).
    pub compress_debug_symbols: Option<String>,
    /// Whether debug symbols go into a `-dbgsym` package (`dbgsym`).
    pub dbgsym: Option<bool>,
    /// Whether binaries are stripped (`strip`).
    pub strip: Option<bool>,
}

impl Default for BuildSettings {
    fn default() -> Self {
        BuildSettings {
            features: Vec::new(),
            default_features: true,
            profile: None,
            separate_debug_symbols: None,
            compress_debug_symbols: None,
            dbgsym: None,
            strip: None,
        }
    }
}

impl BuildSettings {
    /// The build keys of a packaging table.
    pub const KEYS: [&'static str; 7] = [
        "features",
        "default-features",
        "profile",
        "separate-debug-symbols",
        "compress-debug-symbols",
        "dbgsym",
        "strip",
    ];

    /// The `cargo build` arguments these settings stand for (features and profile; the
    /// debug-symbol keys concern what is done with the binaries after the build).
    pub fn cargo_args(&self) -> Vec<String> {
        let mut args = Vec::new();
        if !self.default_features {
            args.push("--no-default-features".to_owned());
        }
        if !self.features.is_empty() {
            args.push("--features".to_owned());
            args.push(self.features.join(","));
        }
        if let Some(profile) = &self.profile {
            args.push("--profile".to_owned());
            args.push(profile.clone());
        }
        args
    }

    /// Reads the build keys of `table` (named `table_name` in errors); other keys are left
    /// alone.
    #[cfg(feature = "deb")]
    pub(crate) fn from_table(
        table: &Map<String, Value>,
        table_name: &str,
    ) -> Result<BuildSettings, CargoError> {
        let mut s = BuildSettings::default();
        for (key, value) in table {
            let bad = |expected| CargoError::BadKey {
                key: format!("{table_name}.{key}"),
                expected,
                found: value.to_string(),
            };
            let flag = || value.as_bool().ok_or_else(|| bad("true or false"));
            match key.as_str() {
                "features" => {
                    s.features = value
                        .as_array()
                        .and_then(|a| {
                            a.iter()
                                .map(|f| f.as_str().map(str::to_owned))
                                .collect::<Option<Vec<_>>>()
                        })
                        .ok_or_else(|| bad("an array of feature names"))?;
                }
                "default-features" => s.default_features = flag()?,
                "profile" => {
                    s.profile = Some(
                        value
                            .as_str()
                            .ok_or_else(|| bad("a profile name"))?
                            .to_owned(),
                    );
                }
                "separate-debug-symbols" => s.separate_debug_symbols = Some(flag()?),
                "dbgsym" => s.dbgsym = Some(flag()?),
                "strip" => s.strip = Some(flag()?),
                "compress-debug-symbols" => {
                    s.compress_debug_symbols = Some(match value {
                        Value::Bool(b) => b.to_string(),
                        Value::String(m) => m.clone(),
                        _ => return Err(bad("true, false or a method such as \"zstd\"")),
                    });
                }
                _ => {}
            }
        }
        Ok(s)
    }
}

/// `table` with each of `variants` (`table.variants.<name>`, keys replacing the table's)
/// applied in order; `table_name` names the table in errors.
#[cfg(feature = "rpm")]
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

    #[cfg(feature = "deb")]
    #[test]
    fn build_keys_are_read_and_bad_shapes_named() {
        let table: Map<String, Value> = serde_json::from_str(
            r#"{"features": ["a"], "compress-debug-symbols": true, "dbgsym": true, "name": "x"}"#,
        )
        .expect("json");
        let s = BuildSettings::from_table(&table, "t").expect("read");
        assert_eq!(s.features, ["a"]);
        assert_eq!(s.compress_debug_symbols.as_deref(), Some("true"));
        assert_eq!(s.dbgsym, Some(true));
        assert!(s.default_features);
        for (json, key) in [
            (r#"{"features": "a"}"#, "t.features"),
            (r#"{"features": [1]}"#, "t.features"),
            (r#"{"default-features": "no"}"#, "t.default-features"),
            (r#"{"profile": 1}"#, "t.profile"),
            (
                r#"{"compress-debug-symbols": 1}"#,
                "t.compress-debug-symbols",
            ),
        ] {
            let table: Map<String, Value> = serde_json::from_str(json).expect("json");
            let err = BuildSettings::from_table(&table, "t").expect_err(json);
            assert_eq!(err.key(), key);
        }
    }

    #[cfg(feature = "rpm")]
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
