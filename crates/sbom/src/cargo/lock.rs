//! [`LockFile`]: `Cargo.lock` (lock file versions 1 to 4), its locked packages, their
//! dependencies and registry checksums.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use consign_core::{Algorithm, Digest};
use serde::Deserialize;

use crate::error::SbomError;

/// A `Cargo.lock`: every package Cargo resolved for a workspace, exactly as locked.
///
/// Versions 1 to 4 of the format are read. Checksums are SHA-256 digests of the `.crate`
/// files (registry packages only); version 1 kept them in a `[metadata]` table, which is read
/// into [`LockedPackage::checksum`] too (an entry there that names no package of the file is
/// not used). A checksum that is not SHA-256 hex, or two different checksums for one package,
/// is an error: the lock file is damaged. Packages keep the file's order (Cargo sorts them).
///
/// ```
/// use consign_sbom::LockFile;
///
/// let lock = LockFile::parse(r#"
/// version = 4
///
/// [[package]]
/// name = "app"
/// version = "0.1.0"
/// dependencies = ["itoa"]
///
/// [[package]]
/// name = "itoa"
/// version = "1.0.19"
/// source = "registry+https://github.com/rust-lang/crates.io-index"
/// checksum = "3bd1574e617a9a6c1f8f8181bd7e841e1f20e4277607ef28945765188d6284d4"
/// "#)?;
/// assert_eq!(lock.version(), Some(4));
/// let [app, itoa] = lock.packages() else { panic!("two packages") };
/// assert_eq!((app.name.as_str(), app.source.as_deref()), ("app", None));
/// assert_eq!(lock.dependencies(0), Some(vec![1]));
/// assert_eq!(
///     itoa.checksum.map(|d| d.to_string()).as_deref(),
///     Some("sha256:3bd1574e617a9a6c1f8f8181bd7e841e1f20e4277607ef28945765188d6284d4")
/// );
/// assert!(LockFile::parse("[[package]]\nname = 1\n").is_err());
/// # Ok::<(), consign_sbom::SbomError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LockFile {
    version: Option<u32>,
    pub(crate) packages: Vec<LockedPackage>,
}

/// One `[[package]]` of a [`LockFile`].
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct LockedPackage {
    /// The package name.
    pub name: String,
    /// The version, as written (Cargo writes semver).
    pub version: String,
    /// Where it comes from (`registry+https://…`, `sparse+https://…`, `git+https://…#rev`);
    /// `None` for workspace members and path dependencies.
    pub source: Option<String>,
    /// The SHA-256 of the `.crate` file, for registry packages.
    pub checksum: Option<Digest>,
    /// What it depends on, as written: `name`, `name version` or `name version (source)`,
    /// whichever tells the locked packages apart ([`LockFile::dependencies`] resolves them).
    pub dependencies: Vec<String>,
}

/// `Cargo.lock` as TOML holds it.
#[derive(Deserialize)]
struct RawLock {
    #[serde(default)]
    version: Option<u32>,
    #[serde(default)]
    package: Vec<RawPackage>,
    /// Version 1 kept checksums here: `"checksum name version (source)" = "hex"`.
    #[serde(default)]
    metadata: BTreeMap<String, String>,
}

#[derive(Deserialize)]
struct RawPackage {
    name: String,
    version: String,
    source: Option<String>,
    checksum: Option<String>,
    #[serde(default)]
    dependencies: Vec<String>,
}

impl LockFile {
    /// Parses the text of a `Cargo.lock`.
    ///
    /// Errors: [`SbomError::Lockfile`] when it is not TOML of the lock file's shape,
    /// [`SbomError::LockfileChecksum`] for a damaged checksum.
    pub fn parse(text: &str) -> Result<LockFile, SbomError> {
        let raw: RawLock = toml::from_str(text).map_err(|source| SbomError::Lockfile {
            path: None,
            source: Box::new(source),
        })?;
        let mut packages = Vec::with_capacity(raw.package.len());
        for p in raw.package {
            let checksum = p
                .checksum
                .as_deref()
                .map(|sum| sha256(&p.name, &p.version, sum))
                .transpose()?;
            packages.push(LockedPackage {
                name: p.name,
                version: p.version,
                source: p.source,
                checksum,
                dependencies: p.dependencies,
            });
        }
        for (key, sum) in &raw.metadata {
            // "checksum serde 1.0.0 (registry+https://github.com/rust-lang/crates.io-index)"
            let Some(rest) = key.strip_prefix("checksum ") else {
                continue;
            };
            let mut parts = rest.splitn(3, ' ');
            let (Some(name), Some(version), Some(source)) =
                (parts.next(), parts.next(), parts.next())
            else {
                continue;
            };
            if sum == "<none>" {
                continue;
            }
            let source = source.trim_start_matches('(').trim_end_matches(')');
            let digest = sha256(name, version, sum)?;
            let named = packages.iter_mut().find(|p| {
                p.name == name && p.version == version && p.source.as_deref() == Some(source)
            });
            if let Some(p) = named {
                if p.checksum.is_some_and(|d| d != digest) {
                    return Err(SbomError::LockfileChecksum {
                        path: None,
                        package: name.to_owned(),
                        version: version.to_owned(),
                        value: sum.clone(),
                        reason: "the package already has a different checksum",
                    });
                }
                p.checksum = Some(digest);
            }
        }
        Ok(LockFile {
            version: raw.version,
            packages,
        })
    }

    /// Reads and parses the lock file at `path`.
    ///
    /// Errors: [`SbomError::MissingLockfile`] when there is no such file, [`SbomError::Io`]
    /// when it cannot be read, and the errors of [`LockFile::parse`] (naming the file).
    pub fn read(path: impl AsRef<Path>) -> Result<LockFile, SbomError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                SbomError::MissingLockfile {
                    manifest: path.to_path_buf(),
                }
            } else {
                SbomError::Io(consign_core::IoError::new("read", path, e))
            }
        })?;
        LockFile::parse(&text).map_err(|e| match e {
            SbomError::Lockfile { source, .. } => SbomError::Lockfile {
                path: Some(path.to_path_buf()),
                source,
            },
            SbomError::LockfileChecksum {
                package,
                version,
                value,
                reason,
                ..
            } => SbomError::LockfileChecksum {
                path: Some(path.to_path_buf()),
                package,
                version,
                value,
                reason,
            },
            other => other,
        })
    }

    /// The format version (`version = 4`); `None` for files from before Cargo wrote one
    /// (versions 1 and 2).
    pub fn version(&self) -> Option<u32> {
        self.version
    }

    /// Every locked package, in the file's order.
    pub fn packages(&self) -> &[LockedPackage] {
        &self.packages
    }

    /// The packages `packages()[index]` depends on, as indexes into [`LockFile::packages`] in
    /// the order of its `dependencies`; `None` when `index` is out of range or an entry names
    /// no package of the file, or more than one.
    pub fn dependencies(&self, index: usize) -> Option<Vec<usize>> {
        self.packages
            .get(index)?
            .dependencies
            .iter()
            .map(|d| {
                let mut parts = d.splitn(3, ' ');
                let name = parts.next()?;
                let version = parts.next();
                let source = parts
                    .next()
                    .map(|s| s.trim_start_matches('(').trim_end_matches(')'));
                let mut found = self.packages.iter().enumerate().filter(|(_, p)| {
                    p.name == name
                        && version.is_none_or(|v| p.version == v)
                        && source.is_none_or(|s| p.source.as_deref() == Some(s))
                });
                match (found.next(), found.next()) {
                    (Some((j, _)), None) => Some(j),
                    _ => None,
                }
            })
            .collect()
    }
}

/// A checksum as a SHA-256 digest.
fn sha256(package: &str, version: &str, value: &str) -> Result<Digest, SbomError> {
    Digest::from_hex(Algorithm::Sha256, value).map_err(|_| SbomError::LockfileChecksum {
        path: None,
        package: package.to_owned(),
        version: version.to_owned(),
        value: value.to_owned(),
        reason: "it is not a SHA-256 hex digest",
    })
}

/// Checksums keyed by (name, version, source id).
pub(crate) type Checksums = HashMap<(String, String, String), Digest>;

/// Reads a lock file and its checksums, keyed for lookups by package.
pub(crate) fn read(path: &Path) -> Result<(LockFile, Checksums), SbomError> {
    let lock = LockFile::read(path)?;
    let checksums = lock
        .packages
        .iter()
        .filter_map(|p| {
            let key = (p.name.clone(), p.version.clone(), p.source.clone()?);
            Some((key, p.checksum?))
        })
        .collect();
    Ok((lock, checksums))
}

#[cfg(test)]
mod tests {
    use super::*;

    const CRATES_IO: &str = "registry+https://github.com/rust-lang/crates.io-index";

    #[test]
    fn versions_1_and_4() {
        let sum = "a".repeat(64);
        let v4 = format!(
            "version = 4\n\n[[package]]\nname = \"a\"\nversion = \"1.0.0\"\n\n[[package]]\nname = \"b\"\nversion = \"2.0.0\"\nsource = \"{CRATES_IO}\"\nchecksum = \"{sum}\"\ndependencies = [\"a\"]\n"
        );
        let lock = LockFile::parse(&v4).unwrap();
        assert_eq!(lock.version(), Some(4));
        assert_eq!(lock.dependencies(1), Some(vec![0]));
        assert_eq!(lock.dependencies(0), Some(vec![]));
        assert_eq!(lock.dependencies(2), None);
        assert_eq!(lock.packages()[1].checksum.unwrap().hex(), sum);
        let v1 = format!(
            "[[package]]\nname = \"b\"\nversion = \"2.0.0\"\nsource = \"{CRATES_IO}\"\n\n[metadata]\n\"checksum b 2.0.0 ({CRATES_IO})\" = \"{sum}\"\n\"checksum gone 1.0.0 ({CRATES_IO})\" = \"{sum}\"\n"
        );
        let lock = LockFile::parse(&v1).unwrap();
        assert_eq!(lock.version(), None);
        assert_eq!(lock.packages()[0].checksum.unwrap().hex(), sum);

        let err = LockFile::parse(&v4.replace(&sum, "zz")).unwrap_err();
        assert!(
            matches!(&err, SbomError::LockfileChecksum { package, value, .. } if package == "b" && value == "zz"),
            "{err}"
        );
        assert!(matches!(
            LockFile::parse("[[package]\n"),
            Err(SbomError::Lockfile { path: None, .. })
        ));
        // Version 1 metadata contradicting the package's own checksum.
        let both = v4.replace("version = 4\n", "")
            + &format!(
                "\n[metadata]\n\"checksum b 2.0.0 ({CRATES_IO})\" = \"{}\"\n",
                "b".repeat(64)
            );
        assert!(matches!(
            LockFile::parse(&both),
            Err(SbomError::LockfileChecksum { .. })
        ));
    }

    #[test]
    fn ambiguous_dependencies_resolve_by_version_and_source() {
        let text = format!(
            "[[package]]\nname = \"x\"\nversion = \"1.0.0\"\nsource = \"{CRATES_IO}\"\n\n\
             [[package]]\nname = \"x\"\nversion = \"2.0.0\"\nsource = \"{CRATES_IO}\"\n\n\
             [[package]]\nname = \"app\"\nversion = \"0.1.0\"\n\
             dependencies = [\"x 1.0.0\", \"x 2.0.0 ({CRATES_IO})\"]\n\n\
             [[package]]\nname = \"bad\"\nversion = \"0.1.0\"\ndependencies = [\"x\"]\n"
        );
        let lock = LockFile::parse(&text).unwrap();
        assert_eq!(lock.dependencies(2), Some(vec![0, 1]));
        assert_eq!(lock.dependencies(3), None, "`x` names two packages");
    }

    #[test]
    fn read_names_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("Cargo.lock");
        assert!(matches!(
            LockFile::read(&path),
            Err(SbomError::MissingLockfile { .. })
        ));
        std::fs::write(
            &path,
            "[[package]]\nname = \"a\"\nversion = \"1\"\nchecksum = \"no\"\n",
        )
        .unwrap();
        let err = LockFile::read(&path).unwrap_err();
        assert!(err.to_string().contains("Cargo.lock"), "{err}");
        let (lock, checksums) =
            read(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../../Cargo.lock")).unwrap();
        assert!(lock.packages().iter().any(|p| p.name == "serde"));
        assert!(checksums.len() > 50);
    }
}
