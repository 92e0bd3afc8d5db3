//! `Cargo.lock` (lock file versions 1 to 4): the locked packages, their dependencies and
//! registry checksums.

use std::collections::HashMap;
use std::path::Path;

use consign_core::{Algorithm, Digest};
use serde::Deserialize;

use crate::error::SbomError;

#[derive(Deserialize)]
pub(crate) struct LockFile {
    #[serde(default)]
    pub package: Vec<LockedPackage>,
    /// Version 1 kept checksums here: `"checksum name version (source)" = "hex"`.
    #[serde(default)]
    metadata: HashMap<String, String>,
}

#[derive(Deserialize)]
pub(crate) struct LockedPackage {
    pub name: String,
    pub version: String,
    pub source: Option<String>,
    checksum: Option<String>,
    /// `name`, `name version` or `name version (source)`.
    #[serde(default)]
    pub dependencies: Vec<String>,
}

impl LockFile {
    /// Indexes of the packages `self.package[i]` depends on; `None` when an entry names no
    /// package of the file.
    pub(crate) fn dependencies(&self, i: usize) -> Option<Vec<usize>> {
        self.package[i]
            .dependencies
            .iter()
            .map(|d| {
                let mut parts = d.splitn(3, ' ');
                let name = parts.next()?;
                let version = parts.next();
                let source = parts
                    .next()
                    .map(|s| s.trim_start_matches('(').trim_end_matches(')'));
                let mut found = self.package.iter().enumerate().filter(|(_, p)| {
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

/// Checksums keyed by (name, version, source id).
pub(crate) type Checksums = HashMap<(String, String, String), Digest>;

/// Reads a lock file and its checksums. A checksum that is not SHA-256 hex is an error: the
/// lock file is damaged.
pub(crate) fn read(path: &Path) -> Result<(LockFile, Checksums), SbomError> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            SbomError::MissingLockfile {
                manifest: path.to_path_buf(),
            }
        } else {
            SbomError::Io(consign_core::IoError::new("read", path, e))
        }
    })?;
    parse(&text).map_err(|source| SbomError::Lockfile {
        path: path.to_path_buf(),
        source: Box::new(source),
    })
}

fn parse(text: &str) -> Result<(LockFile, Checksums), toml::de::Error> {
    let mut lock: LockFile = toml::from_str(text)?;
    let bad = |value: &str| {
        <toml::de::Error as serde::de::Error>::custom(format!(
            "checksum {value:?} is not a SHA-256 hex digest"
        ))
    };
    let mut out = HashMap::new();
    for p in &lock.package {
        if let (Some(source), Some(sum)) = (&p.source, &p.checksum) {
            let d = Digest::from_hex(Algorithm::Sha256, sum).map_err(|_| bad(sum))?;
            out.insert((p.name.clone(), p.version.clone(), source.clone()), d);
        }
    }
    for (key, sum) in std::mem::take(&mut lock.metadata) {
        // "checksum serde 1.0.0 (registry+https://github.com/rust-lang/crates.io-index)"
        let Some(rest) = key.strip_prefix("checksum ") else {
            continue;
        };
        let mut parts = rest.splitn(3, ' ');
        if let (Some(name), Some(version), Some(source)) =
            (parts.next(), parts.next(), parts.next())
        {
            if sum == "<none>" {
                continue;
            }
            let source = source.trim_start_matches('(').trim_end_matches(')');
            let d = Digest::from_hex(Algorithm::Sha256, &sum).map_err(|_| bad(&sum))?;
            out.insert((name.to_owned(), version.to_owned(), source.to_owned()), d);
        }
    }
    Ok((lock, out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_1_and_4() {
        let sum = "a".repeat(64);
        let v4 = format!(
            "version = 4\n\n[[package]]\nname = \"a\"\nversion = \"1.0.0\"\n\n[[package]]\nname = \"b\"\nversion = \"2.0.0\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\nchecksum = \"{sum}\"\ndependencies = [\"a\"]\n"
        );
        let (lock, c) = parse(&v4).unwrap();
        assert_eq!(c.len(), 1);
        assert_eq!(lock.dependencies(1), Some(vec![0]));
        assert_eq!(lock.dependencies(0), Some(vec![]));
        let key = (
            "b".to_owned(),
            "2.0.0".to_owned(),
            "registry+https://github.com/rust-lang/crates.io-index".to_owned(),
        );
        assert_eq!(c[&key].hex(), sum);
        let v1 = format!(
            "[[package]]\nname = \"b\"\nversion = \"2.0.0\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\n\n[metadata]\n\"checksum b 2.0.0 (registry+https://github.com/rust-lang/crates.io-index)\" = \"{sum}\"\n"
        );
        assert_eq!(parse(&v1).unwrap().1[&key].hex(), sum);
        assert!(parse(&v4.replace(&sum, "zz")).is_err());
        assert!(parse("[[package]\n").is_err());
    }
}
