//! Expanding `workspace.members` globs (`crates/*`) the way Cargo does.

use std::path::{Path, PathBuf};

use consign_core::IoError;

use crate::error::{Error, Result};

/// The directories (relative to `root`, sorted) that `patterns` name and that hold a
/// `Cargo.toml`, less those under an `exclude` path.
pub(crate) fn expand(root: &Path, patterns: &[String], exclude: &[String]) -> Result<Vec<PathBuf>> {
    let mut found = Vec::new();
    for pattern in patterns {
        let mut current = vec![PathBuf::new()];
        for segment in pattern.trim_end_matches('/').split('/') {
            if segment == "**" {
                return Err(Error::Manifest {
                    path: root.join("Cargo.toml"),
                    reason: format!("workspace member pattern {pattern:?}: `**` is not supported"),
                });
            }
            let mut next = Vec::new();
            for dir in current {
                if segment.contains(['*', '?']) {
                    next.extend(matching_children(root, &dir, segment)?);
                } else if segment != "." && !segment.is_empty() {
                    next.push(dir.join(segment));
                } else {
                    next.push(dir);
                }
            }
            current = next;
        }
        for dir in current {
            let has_manifest = root.join(&dir).join("Cargo.toml").is_file();
            let is_glob = pattern.contains(['*', '?']);
            if !has_manifest && !is_glob {
                return Err(Error::Manifest {
                    path: root.join("Cargo.toml"),
                    reason: format!("workspace member {pattern:?} has no Cargo.toml"),
                });
            }
            let excluded = exclude
                .iter()
                .any(|e| dir.starts_with(e.trim_end_matches('/')));
            if has_manifest && !excluded {
                found.push(dir);
            }
        }
    }
    found.sort();
    found.dedup();
    Ok(found)
}

fn matching_children(root: &Path, dir: &Path, segment: &str) -> Result<Vec<PathBuf>> {
    let full = root.join(dir);
    let entries = std::fs::read_dir(&full).map_err(|e| IoError::new("read directory", &full, e))?;
    let mut out = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| IoError::new("read directory", &full, e))?;
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        if entry.path().is_dir() && glob_match(segment.as_bytes(), name.as_bytes()) {
            out.push(dir.join(name));
        }
    }
    Ok(out)
}

/// `*` and `?` within one path segment.
fn glob_match(pattern: &[u8], name: &[u8]) -> bool {
    match (pattern.first(), name.first()) {
        (None, None) => true,
        (Some(b'*'), _) => {
            glob_match(&pattern[1..], name) || (!name.is_empty() && glob_match(pattern, &name[1..]))
        }
        (Some(b'?'), Some(_)) => glob_match(&pattern[1..], &name[1..]),
        (Some(p), Some(n)) if p == n => glob_match(&pattern[1..], &name[1..]),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs() {
        assert!(glob_match(b"*", b"core"));
        assert!(glob_match(b"consign-*", b"consign-core"));
        assert!(!glob_match(b"consign-*", b"core"));
        assert!(glob_match(b"c?re", b"core"));
        assert!(!glob_match(b"c?re", b"cre"));
    }
}
