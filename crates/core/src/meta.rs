//! [`PackageMeta`]: what packages say about the software they carry.
//!
//! Filled by hand, or from Cargo's view of a package ([`PackageMeta::from_cargo`],
//! [`PackageMeta::from_manifest`]). Format writers read the common fields here and their own
//! tables from [`PackageMeta::metadata`] (`[package.metadata.deb]`, `[package.metadata.generate-rpm]`, …).

use std::fmt;
#[cfg(feature = "cargo")]
use std::path::Path;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::version::Version;

/// A version comparison in a dependency.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub enum VersionOp {
    /// Strictly earlier.
    #[serde(rename = "<<")]
    Less,
    /// Earlier or equal.
    #[serde(rename = "<=")]
    LessEq,
    /// Exactly.
    #[serde(rename = "=")]
    Eq,
    /// Later or equal.
    #[serde(rename = ">=")]
    GreaterEq,
    /// Strictly later.
    #[serde(rename = ">>")]
    Greater,
}

/// A runtime dependency on another package, optionally with a version constraint.
///
/// ```
/// use consign_core::{Dependency, VersionOp};
/// let d = Dependency::new("libc6").version(VersionOp::GreaterEq, "2.36");
/// assert_eq!(d.to_string(), "libc6 (>= 2.36)");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Dependency {
    /// Package name.
    pub name: String,
    /// Constraint, if any.
    pub constraint: Option<(VersionOp, String)>,
}

impl Dependency {
    /// A dependency on any version of `name`.
    pub fn new(name: impl Into<String>) -> Dependency {
        Dependency {
            name: name.into(),
            constraint: None,
        }
    }

    /// Adds a version constraint.
    #[must_use]
    pub fn version(mut self, op: VersionOp, version: impl Into<String>) -> Dependency {
        self.constraint = Some((op, version.into()));
        self
    }
}

impl fmt::Display for Dependency {
    /// Debian relation syntax.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.constraint {
            None => f.write_str(&self.name),
            Some((op, v)) => {
                let op = match op {
                    VersionOp::Less => "<<",
                    VersionOp::LessEq => "<=",
                    VersionOp::Eq => "=",
                    VersionOp::GreaterEq => ">=",
                    VersionOp::Greater => ">>",
                };
                write!(f, "{} ({op} {v})", self.name)
            }
        }
    }
}

/// Metadata of the software being packaged.
///
/// The name and version are checked when set and cannot be changed unchecked afterwards
/// ([`PackageMeta::set_name`], [`PackageMeta::set_version`]); the version is a [`Version`]
/// that formats convert from its parts.
///
/// ```
/// use consign_core::PackageMeta;
/// let mut meta = PackageMeta::new("hello", "1.2.3")?
///     .description("Says hello\nA longer text about saying hello.")
///     .license("MIT OR Apache-2.0")
///     .maintainer("Jane Doe <jane@example.org>");
/// assert_eq!(meta.summary(), Some("Says hello"));
/// assert_eq!(meta.version().release(), "1.2.3");
/// assert!(meta.set_name("not a name").is_err());
/// assert_eq!(meta.name(), "hello");
/// # Ok::<(), consign_core::MetaError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct PackageMeta {
    /// Package name (letters, digits and `-_.+`, starting with a letter or digit).
    name: Name,
    /// Version, as the project writes it (`1.2.3`, `1.2.3-rc.1`).
    version: Version,
    /// Description; the first line is the summary.
    pub description: Option<String>,
    /// SPDX license expression.
    pub license: Option<String>,
    /// A license file, relative to the manifest directory.
    pub license_file: Option<PathBuf>,
    /// `Name <email>` of the maintainer; defaults to the first author.
    pub maintainer: Option<String>,
    /// Authors, `Name <email>` each.
    pub authors: Vec<String>,
    /// Project home page.
    pub homepage: Option<String>,
    /// Source repository URL.
    pub repository: Option<String>,
    /// Runtime dependencies on other packages.
    pub dependencies: Vec<Dependency>,
    /// The directory holding the package's `Cargo.toml`, when it came from Cargo.
    pub manifest_dir: Option<PathBuf>,
    /// `[package.metadata]` as JSON (`null` when absent): per-format tables live here.
    pub metadata: serde_json::Value,
}

/// A checked package name; deserializing checks it too.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
struct Name(String);

impl TryFrom<String> for Name {
    type Error = MetaError;

    fn try_from(name: String) -> Result<Name, MetaError> {
        let ok = name
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphanumeric())
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.+".contains(c));
        if ok {
            Ok(Name(name))
        } else {
            Err(MetaError::Invalid {
                field: "name",
                value: name,
                reason: "use letters, digits and -_.+, starting with a letter or digit",
            })
        }
    }
}

impl From<Name> for String {
    fn from(name: Name) -> String {
        name.0
    }
}

impl PackageMeta {
    /// Metadata with a checked name and version; everything else empty.
    pub fn new(
        name: impl Into<String>,
        version: impl Into<String>,
    ) -> Result<PackageMeta, MetaError> {
        let name = Name::try_from(name.into())?;
        let version = Version::new(version)?;
        Ok(PackageMeta {
            name,
            version,
            description: None,
            license: None,
            license_file: None,
            maintainer: None,
            authors: Vec::new(),
            homepage: None,
            repository: None,
            dependencies: Vec::new(),
            manifest_dir: None,
            metadata: serde_json::Value::Null,
        })
    }

    /// The package name.
    pub fn name(&self) -> &str {
        &self.name.0
    }

    /// The version.
    pub fn version(&self) -> &Version {
        &self.version
    }

    /// Changes the name, checked as [`PackageMeta::new`] checks it; on error the name is kept.
    pub fn set_name(&mut self, name: impl Into<String>) -> Result<(), MetaError> {
        self.name = Name::try_from(name.into())?;
        Ok(())
    }

    /// Changes the version (a [`Version`] is checked when made).
    pub fn set_version(&mut self, version: Version) {
        self.version = version;
    }

    /// Reads the package `package` (or the root package when `None`) of the Cargo project at
    /// `manifest_path` by running `cargo metadata --no-deps` (feature `cargo`).
    #[cfg(feature = "cargo")]
    pub fn from_manifest(
        manifest_path: impl AsRef<Path>,
        package: Option<&str>,
    ) -> Result<PackageMeta, MetaError> {
        let md = cargo_metadata::MetadataCommand::new()
            .manifest_path(manifest_path.as_ref())
            .no_deps()
            .exec()
            .map_err(|source| MetaError::Cargo {
                source: Box::new(source),
            })?;
        let name = match package {
            Some(n) => n.to_owned(),
            None => {
                // The package whose manifest was named; for a virtual manifest there is none.
                let wanted = std::fs::canonicalize(manifest_path.as_ref()).ok();
                md.packages
                    .iter()
                    .find(|p| wanted.as_deref() == Some(p.manifest_path.as_std_path()))
                    .map(|p| p.name.to_string())
                    .ok_or_else(|| MetaError::NoRootPackage {
                        manifest: manifest_path.as_ref().to_path_buf(),
                    })?
            }
        };
        PackageMeta::from_cargo(&md, &name)
    }

    /// Takes the package named `package` from Cargo metadata (feature `cargo`).
    #[cfg(feature = "cargo")]
    pub fn from_cargo(
        metadata: &cargo_metadata::Metadata,
        package: &str,
    ) -> Result<PackageMeta, MetaError> {
        let members: Vec<&cargo_metadata::Package> = metadata.workspace_packages();
        let p = members
            .iter()
            .find(|p| p.name.as_str() == package)
            .ok_or_else(|| MetaError::PackageNotFound {
                name: package.to_owned(),
                available: members.iter().map(|p| p.name.to_string()).collect(),
            })?;
        let mut meta = PackageMeta::new(p.name.as_str(), p.version.to_string())?;
        meta.description = p.description.clone();
        meta.license = p.license.clone();
        meta.license_file = p.license_file.clone().map(Into::into);
        meta.authors = p.authors.clone();
        meta.maintainer = p.authors.first().cloned();
        meta.homepage = p.homepage.clone();
        meta.repository = p.repository.clone();
        meta.manifest_dir = p.manifest_path.parent().map(|d| d.to_path_buf().into());
        meta.metadata = p.metadata.clone();
        Ok(meta)
    }

    /// The first line of the description.
    pub fn summary(&self) -> Option<&str> {
        self.description
            .as_deref()
            .and_then(|d| d.lines().next())
            .map(str::trim)
    }

    /// Sets the description.
    #[must_use]
    pub fn description(mut self, text: impl Into<String>) -> PackageMeta {
        self.description = Some(text.into());
        self
    }

    /// Sets the license expression.
    #[must_use]
    pub fn license(mut self, spdx: impl Into<String>) -> PackageMeta {
        self.license = Some(spdx.into());
        self
    }

    /// Sets the maintainer.
    #[must_use]
    pub fn maintainer(mut self, who: impl Into<String>) -> PackageMeta {
        self.maintainer = Some(who.into());
        self
    }

    /// Sets the home page.
    #[must_use]
    pub fn homepage(mut self, url: impl Into<String>) -> PackageMeta {
        self.homepage = Some(url.into());
        self
    }

    /// Adds a runtime dependency.
    #[must_use]
    pub fn depends(mut self, dep: Dependency) -> PackageMeta {
        self.dependencies.push(dep);
        self
    }

    /// The `[package.metadata.<table>]` table, if present.
    pub fn metadata_table(&self, table: &str) -> Option<&serde_json::Value> {
        self.metadata.get(table)
    }
}

/// Package metadata that cannot be determined.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MetaError {
    /// A field has a value the formats cannot carry.
    #[error("invalid package {field} {value:?}: {reason}")]
    Invalid {
        /// The field.
        field: &'static str,
        /// The value found.
        value: String,
        /// What is allowed.
        reason: &'static str,
    },
    /// `cargo metadata` failed.
    #[cfg(feature = "cargo")]
    #[error("cargo metadata failed: {source}")]
    Cargo {
        /// Cargo's error.
        #[source]
        source: Box<cargo_metadata::Error>,
    },
    /// No workspace member has that name.
    #[error("package {name:?} is not in the workspace (members: {})", available.join(", "))]
    PackageNotFound {
        /// The name asked for.
        name: String,
        /// The members found.
        available: Vec<String>,
    },
    /// A virtual manifest and no package named.
    #[error("{} has no root package: name one", manifest.display())]
    NoRootPackage {
        /// The manifest.
        manifest: PathBuf,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checks_names_and_versions() {
        assert!(PackageMeta::new("", "1").is_err());
        assert!(PackageMeta::new("-x", "1").is_err());
        assert!(PackageMeta::new("a b", "1").is_err());
        assert!(PackageMeta::new("a", "").is_err());
        assert!(PackageMeta::new("a", "1 2").is_err());
        assert!(PackageMeta::new("libfoo2.0+x", "1:2.0~rc1-3").is_ok());
        let mut meta = PackageMeta::new("a", "1.0.0").unwrap();
        assert!(meta.set_name("-b").is_err());
        assert_eq!(meta.name(), "a");
        meta.set_name("b").unwrap();
        meta.set_version("2.0.0-rc.1".parse().unwrap());
        assert_eq!(meta.version().pre_release(), Some("rc.1"));
        let json = serde_json::to_value(&meta).unwrap();
        assert_eq!(json["name"], "b");
        assert_eq!(json["version"], "2.0.0-rc.1");
        assert_eq!(
            serde_json::from_value::<PackageMeta>(json.clone()).unwrap(),
            meta
        );
        let mut bad = json;
        bad["name"] = "a b".into();
        assert!(serde_json::from_value::<PackageMeta>(bad).is_err());
    }

    #[cfg(feature = "cargo")]
    #[test]
    fn reads_this_workspace() {
        let manifest = Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml");
        let meta = PackageMeta::from_manifest(&manifest, None).unwrap();
        assert_eq!(meta.name(), "consign-core");
        assert_eq!(meta.version().as_str(), env!("CARGO_PKG_VERSION"));
        assert_eq!(meta.license.as_deref(), Some("MIT OR Apache-2.0"));
        assert!(meta.maintainer.is_some());
        match PackageMeta::from_manifest(&manifest, Some("no-such-package")) {
            Err(MetaError::PackageNotFound { available, .. }) => {
                assert!(available.contains(&"consign".to_string()));
            }
            other => panic!("{other:?}"),
        }
    }
}
