//! The workspace packages' entries in `Cargo.lock`.

use std::collections::BTreeMap;
use std::path::Path;

use semver::Version;
use toml_edit::DocumentMut;

use crate::error::{Error, Result};

/// `text` (a `Cargo.lock`) with the versions of the workspace packages in `changes` (those
/// entries without a `source`) and the `"name version"` references to them updated.
pub(crate) fn update(
    text: &str,
    changes: &BTreeMap<String, (Version, Version)>,
    path: &Path,
) -> Result<String> {
    let mut doc: DocumentMut = text.parse().map_err(|e| Error::Toml {
        path: path.to_path_buf(),
        source: Box::new(e),
    })?;
    let Some(packages) = doc
        .get_mut("package")
        .and_then(|p| p.as_array_of_tables_mut())
    else {
        return Ok(text.to_string());
    };
    for package in packages.iter_mut() {
        let local = package.get("source").is_none();
        let name = package
            .get("name")
            .and_then(|n| n.as_str())
            .map(str::to_string);
        if let (true, Some((old, new))) = (local, name.as_deref().and_then(|n| changes.get(n)))
            && let Some(value) = package.get_mut("version").and_then(|v| v.as_value_mut())
            && value.as_str() == Some(old.to_string().as_str())
        {
            super::replace_string(value, &new.to_string());
        }
        let Some(deps) = package
            .get_mut("dependencies")
            .and_then(|d| d.as_array_mut())
        else {
            continue;
        };
        for dep in deps.iter_mut() {
            let Some(text) = dep.as_str() else { continue };
            let mut parts = text.split(' ');
            let (Some(name), Some(version), None) = (parts.next(), parts.next(), parts.next())
            else {
                continue;
            };
            if let Some((old, new)) = changes.get(name)
                && version == old.to_string()
            {
                super::replace_string(dep, &format!("{name} {new}"));
            }
        }
    }
    Ok(doc.to_string())
}
