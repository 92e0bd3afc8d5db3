//! The files of a [`CargoDeb`](super::CargoDeb): `assets` (paths, glob patterns and
//! `$auto`) and the `conf-files` among them, with cargo-deb's placement rules.

use consign_core::{Entry, FileTree, RelPath};
use serde_json::Value;

use super::{Reader, TABLE, malformed};
use crate::Error;
use crate::cargo::{CargoError, glob};

impl Reader<'_> {
    /// The assets (every binary target when the table lists none) and their `conf-files`.
    pub(super) fn tree(&self, bins: &[String]) -> Result<FileTree, Error> {
        let mut assets: Vec<(RelPath, Entry)> = Vec::new();
        match self.table.get("assets") {
            None => self.auto_assets("assets", bins, &mut assets)?,
            Some(Value::Array(items)) => {
                for (i, item) in items.iter().enumerate() {
                    let key = format!("assets[{i}]");
                    if item.as_str() == Some("$auto") {
                        self.auto_assets(&key, bins, &mut assets)?;
                    } else {
                        self.asset(&key, item, &mut assets)?;
                    }
                }
            }
            Some(_) => {
                return Err(malformed(
                    "assets",
                    "write [[\"source\", \"dest\", \"mode\"], …]",
                ));
            }
        }
        match self.table.get("conf-files") {
            None => {}
            Some(Value::Array(items)) => {
                for (i, item) in items.iter().enumerate() {
                    let key = format!("conf-files[{i}]");
                    let path = item
                        .as_str()
                        .ok_or_else(|| malformed(&key, "it must be a string"))?;
                    let rel = RelPath::new(path.trim_start_matches('/'))?;
                    let slot = assets
                        .iter_mut()
                        .find(|(p, _)| *p == rel)
                        .ok_or_else(|| malformed(&key, format!("no asset installs {path}")))?;
                    slot.1 = slot.1.clone().config();
                }
            }
            Some(_) => return Err(malformed("conf-files", "write an array of paths")),
        }
        let mut tree = FileTree::new();
        for (path, entry) in assets {
            tree.insert_at(path, entry)?;
        }
        Ok(tree)
    }

    /// `$auto`: every binary target, from the build directory to `usr/bin/`, mode 0755.
    fn auto_assets(
        &self,
        key: &str,
        bins: &[String],
        assets: &mut Vec<(RelPath, Entry)>,
    ) -> Result<(), Error> {
        if bins.is_empty() {
            return Err(malformed(
                key,
                "the package has no binary target: list its files in assets",
            ));
        }
        for bin in bins {
            let entry = Entry::file(self.build_dir.join(bin))?.mode(0o755);
            assets.push((RelPath::new(format!("usr/bin/{bin}"))?, entry));
        }
        Ok(())
    }

    /// One `["source", "dest", "mode"]` item: a file, or a pattern whose every match is
    /// installed with `mode`.
    fn asset(
        &self,
        key: &str,
        item: &Value,
        assets: &mut Vec<(RelPath, Entry)>,
    ) -> Result<(), Error> {
        let shape = "write [\"source\", \"dest\", \"mode\"] (mode in octal, such as \"644\"), \
                     or \"$auto\" for the binary targets";
        let [source, dest, mode] = item
            .as_array()
            .and_then(|a| <&[Value; 3]>::try_from(a.as_slice()).ok())
            .and_then(|[s, d, m]| Some([s.as_str()?, d.as_str()?, m.as_str()?]))
            .ok_or_else(|| malformed(key, shape))?;
        if source.starts_with('$') {
            return Err(malformed(
                key,
                format!("{source} is not a file: \"$auto\" is written as a whole item"),
            ));
        }
        let mode = u32::from_str_radix(mode, 8)
            .ok()
            .filter(|m| *m <= 0o7777)
            .ok_or_else(|| malformed(key, format!("mode {mode:?} is not an octal mode")))?;
        let (base, rest) = match source.strip_prefix("target/release/") {
            Some(rest) => (self.build_dir.as_path(), rest),
            None if source.starts_with('/') => (std::path::Path::new("/"), source),
            None => (self.root.as_path(), source),
        };
        let dest = dest.trim_start_matches('/');
        if !glob::is_pattern(rest) {
            let from = base.join(rest.trim_start_matches('/'));
            let path = if dest.ends_with('/') || dest.is_empty() {
                let file = from
                    .file_name()
                    .and_then(|f| f.to_str())
                    .ok_or_else(|| malformed(key, format!("{source} has no file name")))?;
                format!("{dest}{file}")
            } else {
                dest.to_owned()
            };
            assets.push((RelPath::new(&path)?, Entry::file(from)?.mode(mode)));
            return Ok(());
        }
        let matches = glob::glob(base, rest);
        if matches.is_empty() {
            return Err(CargoError::AssetNotFound {
                key: format!("{TABLE}.{key}"),
                pattern: base
                    .join(rest.trim_start_matches('/'))
                    .display()
                    .to_string(),
            }
            .into());
        }
        let skip = kept_from(rest);
        let dir = dest.trim_end_matches('/');
        for (from, below) in matches {
            let kept: Vec<&str> = below.split('/').skip(skip).collect();
            let kept = if kept.is_empty() {
                from.file_name()
                    .and_then(|f| f.to_str())
                    .ok_or_else(|| malformed(key, format!("{} has no file name", from.display())))?
                    .to_owned()
            } else {
                kept.join("/")
            };
            let path = if dir.is_empty() {
                kept
            } else {
                format!("{dir}/{kept}")
            };
            assets.push((RelPath::new(&path)?, Entry::file(from)?.mode(mode)));
        }
        Ok(())
    }
}

/// How many leading components of a match's path below the pattern's fixed prefix cargo-deb
/// drops before placing it under the destination directory: a pattern whose last component
/// is a wildcard keeps the path from its first wildcard directory on (`assets/**/*.txt`
/// keeps `a/b.txt`), or only the file name when no directory is a wildcard (`assets/*`);
/// a pattern ending with a plain name keeps only the file name (`assets/*/x.txt`).
fn kept_from(pattern: &str) -> usize {
    let parts = glob::components(pattern);
    let n = parts.len();
    let first = parts.iter().position(|c| glob::is_pattern(c)).unwrap_or(n);
    let last_is_wild = parts.last().is_some_and(|c| glob::is_pattern(c));
    let keep = if last_is_wild {
        parts[..n.saturating_sub(1)]
            .iter()
            .position(|c| glob::is_pattern(c))
            .unwrap_or(n)
    } else {
        n.saturating_sub(1)
    };
    keep.saturating_sub(first)
}

#[cfg(test)]
mod tests {
    use super::kept_from;

    #[test]
    fn cargo_deb_keeps_the_path_below_a_wildcard_directory() {
        // (pattern, components dropped from the path below the first wildcard)
        for (pattern, skip) in [
            ("assets/*", 1),
            ("a/b/*.txt", 1),
            ("a/*/x.txt", 1),
            ("a/*/*", 0),
            ("a/**/*.rs", 0),
            ("a/**/src/*", 0),
            ("*/*/main.rs", 2),
        ] {
            assert_eq!(kept_from(pattern), skip, "{pattern}");
        }
    }
}
