//! Registry checksums from `Cargo.lock` (lock file versions 1 to 4).

use std::collections::HashMap;
use std::path::Path;

use consign_core::{Algorithm, Digest};
use serde::Deserialize;

use crate::error::SbomError;

#[derive(Deserialize)]
struct LockFile {
    #[serde(default)]
    package: Vec<LockedPackage>,
    /// Version 1 kept checksums here: `"checksum name version (source)" = "hex"`.
    #[serde(default)]
    metadata: HashMap<String, String>,
}

#[derive(Deserialize)]
struct LockedPackage {
    name: String,
    version: String,
    source: Option<String>,
    checksum: Option<String>,
}

/// Checksums keyed by (name, version, source id).
pub(crate) type Checksums = HashMap<(String, String, String), Digest>;

/// Reads the checksums of a lock file. A checksum that is not SHA-256 hex is an error: the
/// lock file is damaged.
pub(crate) fn checksums(path: &Path) -> Result<Checksums, SbomError> {
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

fn parse(text: &str) -> Result<Checksums, toml::de::Error> {
    let lock: LockFile = toml::from_str(text)?;
    let bad = |value: &str| {
        <toml::de::Error as serde::de::Error>::custom(format!(
            "checksum {value:?} is not a SHA-256 hex digest"
        ))
    };
    let mut out = HashMap::new();
    for p in lock.package {
        if let (Some(source), Some(sum)) = (p.source, p.checksum) {
            let d = Digest::from_hex(Algorithm::Sha256, &sum).map_err(|_| bad(&sum))?;
            out.insert((p.name, p.version, source), d);
        }
    }
    for (key, sum) in lock.metadata {
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
    Ok(out)
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
        let c = parse(&v4).unwrap();
        assert_eq!(c.len(), 1);
        let key = (
            "b".to_owned(),
            "2.0.0".to_owned(),
            "registry+https://github.com/rust-lang/crates.io-index".to_owned(),
        );
        assert_eq!(c[&key].hex(), sum);
        let v1 = format!(
            "[[package]]\nname = \"b\"\nversion = \"2.0.0\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\n\n[metadata]\n\"checksum b 2.0.0 (registry+https://github.com/rust-lang/crates.io-index)\" = \"{sum}\"\n"
        );
        assert_eq!(parse(&v1).unwrap()[&key].hex(), sum);
        assert!(parse(&v4.replace(&sum, "zz")).is_err());
        assert!(parse("[[package]\n").is_err());
    }
}
