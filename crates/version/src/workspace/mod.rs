//! [`Workspace`]: a Cargo workspace's members and versions, and [`Edits`] that move them to
//! new versions — members' `version`, `workspace.package.version`, requirements on workspace
//! crates (members' dependency tables and `[workspace.dependencies]`) and `Cargo.lock` —
//! keeping every other byte (comments, order, spacing) as it was.

mod lock;
mod members;
mod requirement;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use consign_core::IoError;
use semver::Version;
use toml_edit::{DocumentMut, Item, TableLike, Value};

use crate::error::{Error, Result};

/// How a member's version is written.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum VersionSource {
    /// `version = "1.2.3"` in its own manifest.
    Own(Version),
    /// `version.workspace = true`: `workspace.package.version`.
    Workspace(Version),
    /// No version (Cargo reads `0.0.0`; such a package cannot be published): left alone.
    None,
}

/// The kind of a dependency between workspace members.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum DependencyKind {
    /// `[dependencies]`.
    Normal,
    /// `[build-dependencies]`.
    Build,
    /// `[dev-dependencies]`.
    Dev,
}

/// A workspace member.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Member {
    /// The package name.
    pub name: String,
    /// Its directory, relative to the workspace root (empty for the root package).
    pub dir: PathBuf,
    /// Its version and where it is written.
    pub version: VersionSource,
    /// The workspace members it depends on (by path, or through `workspace = true` on a
    /// `[workspace.dependencies]` entry with a path).
    pub dependencies: Vec<(String, DependencyKind)>,
}

impl Member {
    /// The version Cargo reads, if the member has one.
    pub fn current(&self) -> Option<&Version> {
        match &self.version {
            VersionSource::Own(v) | VersionSource::Workspace(v) => Some(v),
            VersionSource::None => None,
        }
    }
}

/// A Cargo workspace (or a single package), read without running Cargo.
///
/// ```no_run
/// use consign_version::Workspace;
/// use semver::Version;
///
/// let workspace = Workspace::open(".")?;
/// for member in workspace.members() {
///     println!("{} {:?}", member.name, member.current());
/// }
/// let edits = workspace.bump_all(&Version::new(0, 2, 0))?;
/// for (path, _text) in edits.files() {
///     println!("updates {}", path.display());
/// }
/// edits.write()?;
/// # Ok::<(), consign_version::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct Workspace {
    root: PathBuf,
    members: Vec<Member>,
    workspace_version: Option<Version>,
}

/// New text for the files a bump changes, in memory until [`Edits::write`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Edits {
    files: Vec<(PathBuf, String)>,
    versions: BTreeMap<String, (Version, Version)>,
}

impl Edits {
    /// The changed files (absolute paths) and their new text.
    pub fn files(&self) -> &[(PathBuf, String)] {
        &self.files
    }

    /// Each bumped package: (old version, new version).
    pub fn versions(&self) -> &BTreeMap<String, (Version, Version)> {
        &self.versions
    }

    /// Whether nothing changes.
    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    /// Writes every changed file (each atomically).
    pub fn write(&self) -> Result<()> {
        for (path, text) in &self.files {
            consign_core::write_atomic(path, text.as_bytes())?;
        }
        Ok(())
    }
}

const KINDS: [(&str, DependencyKind); 5] = [
    ("dependencies", DependencyKind::Normal),
    ("build-dependencies", DependencyKind::Build),
    ("build_dependencies", DependencyKind::Build),
    ("dev-dependencies", DependencyKind::Dev),
    ("dev_dependencies", DependencyKind::Dev),
];

impl Workspace {
    /// Reads the workspace whose root manifest is `root/Cargo.toml`.
    pub fn open(root: impl AsRef<Path>) -> Result<Workspace> {
        let root = root.as_ref().to_path_buf();
        let manifest = root.join("Cargo.toml");
        let doc = read(&manifest)?;
        let workspace_version = match doc
            .get("workspace")
            .and_then(|w| w.get("package"))
            .and_then(|p| p.get("version"))
        {
            Some(item) => Some(parse_version(item, &manifest, "workspace.package.version")?),
            None => None,
        };
        let strings = |key: &str| -> Vec<String> {
            doc.get("workspace")
                .and_then(|w| w.get(key))
                .and_then(Item::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(|v| v.as_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default()
        };
        let mut dirs = members::expand(&root, &strings("members"), &strings("exclude"))?;
        if doc.get("package").is_some() && !dirs.contains(&PathBuf::new()) {
            dirs.insert(0, PathBuf::new());
        }
        let path_deps = workspace_path_dependencies(&doc);
        let mut members = Vec::new();
        for dir in dirs {
            let path = root.join(&dir).join("Cargo.toml");
            let doc = if dir.as_os_str().is_empty() {
                doc.clone()
            } else {
                read(&path)?
            };
            let Some(package) = doc.get("package") else {
                continue; // a nested virtual manifest: not a package
            };
            let name = package
                .get("name")
                .and_then(Item::as_str)
                .ok_or_else(|| Error::Manifest {
                    path: path.clone(),
                    reason: "package.name is missing".into(),
                })?
                .to_string();
            let version = match package.get("version") {
                None => VersionSource::None,
                Some(item) if inherits(item) => match &workspace_version {
                    Some(v) => VersionSource::Workspace(v.clone()),
                    None => {
                        return Err(Error::Manifest {
                            path,
                            reason: "version.workspace = true but workspace.package.version is \
                                     missing"
                                .into(),
                        });
                    }
                },
                Some(item) => VersionSource::Own(parse_version(item, &path, "package.version")?),
            };
            let mut dependencies = Vec::new();
            for_each_dependency_table(&doc, &mut |kind, table| {
                for (key, item) in table.iter() {
                    let package = item.get("package").and_then(Item::as_str).unwrap_or(key);
                    let local = item.get("path").is_some()
                        || (inherits(item) && path_deps.iter().any(|d| d == key));
                    if local {
                        dependencies.push((package.to_string(), kind));
                    }
                }
            });
            dependencies.sort();
            dependencies.dedup();
            members.push(Member {
                name,
                dir,
                version,
                dependencies,
            });
        }
        Ok(Workspace {
            root,
            members,
            workspace_version,
        })
    }

    /// The workspace root.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The members, sorted by directory (the root package first).
    pub fn members(&self) -> &[Member] {
        &self.members
    }

    /// The member named `name`.
    pub fn member(&self, name: &str) -> Option<&Member> {
        self.members.iter().find(|m| m.name == name)
    }

    /// `workspace.package.version`, if set.
    pub fn workspace_version(&self) -> Option<&Version> {
        self.workspace_version.as_ref()
    }

    /// Every member with a version, and `workspace.package.version`, to `version`.
    pub fn bump_all(&self, version: &Version) -> Result<Edits> {
        let versions = self
            .members
            .iter()
            .filter(|m| m.current().is_some())
            .map(|m| (m.name.clone(), version.clone()))
            .collect();
        self.bump_inner(&versions, Some(version))
    }

    /// The named members to new versions; members that inherit `workspace.package.version`
    /// must all be named, with one version (else [`Error::SharedVersion`]).
    pub fn bump(&self, versions: &BTreeMap<String, Version>) -> Result<Edits> {
        for name in versions.keys() {
            if self.member(name).is_none_or(|m| m.current().is_none()) {
                return Err(Error::UnknownPackage {
                    name: name.clone(),
                    members: self.members.iter().map(|m| m.name.clone()).collect(),
                });
            }
        }
        let sharing: Vec<&Member> = self
            .members
            .iter()
            .filter(|m| matches!(m.version, VersionSource::Workspace(_)))
            .collect();
        let mut shared: Vec<Version> = sharing
            .iter()
            .map(|m| {
                versions
                    .get(&m.name)
                    .or(m.current())
                    .cloned()
                    .unwrap_or(Version::new(0, 0, 0))
            })
            .collect();
        shared.sort();
        shared.dedup();
        let workspace_version = match shared.as_slice() {
            [] => None,
            [one] if sharing.iter().any(|m| versions.contains_key(&m.name)) => Some(one.clone()),
            [_] => None,
            _ => {
                return Err(Error::SharedVersion {
                    crates: sharing.iter().map(|m| m.name.clone()).collect(),
                    versions: shared,
                });
            }
        };
        self.bump_inner(versions, workspace_version.as_ref())
    }

    fn bump_inner(
        &self,
        versions: &BTreeMap<String, Version>,
        workspace_version: Option<&Version>,
    ) -> Result<Edits> {
        let changes: BTreeMap<String, (Version, Version)> = versions
            .iter()
            .filter_map(|(name, new)| {
                let old = self.member(name)?.current()?.clone();
                (old != *new).then(|| (name.clone(), (old, new.clone())))
            })
            .collect();
        let mut edits = Edits {
            files: Vec::new(),
            versions: changes.clone(),
        };
        if changes.is_empty() {
            return Ok(edits);
        }
        let mut manifests: Vec<PathBuf> = vec![self.root.join("Cargo.toml")];
        manifests.extend(
            self.members
                .iter()
                .filter(|m| !m.dir.as_os_str().is_empty())
                .map(|m| self.root.join(&m.dir).join("Cargo.toml")),
        );
        for path in manifests {
            let original = read_text(&path)?;
            let mut doc = parse(&original, &path)?;
            let is_root = path == self.root.join("Cargo.toml");
            if is_root
                && let (Some(new), Some(item)) = (
                    workspace_version,
                    doc.get_mut("workspace")
                        .and_then(|w| child_mut(w, "package"))
                        .and_then(|p| child_mut(p, "version")),
                )
            {
                set_string(item, &new.to_string());
            }
            let own_name = doc
                .get("package")
                .and_then(|p| p.get("name"))
                .and_then(Item::as_str)
                .map(str::to_string);
            if let Some((_, new)) = own_name.as_deref().and_then(|n| changes.get(n))
                && let Some(item) = doc.get_mut("package").and_then(|p| child_mut(p, "version"))
                && !inherits(item)
            {
                set_string(item, &new.to_string());
            }
            let mut failure = None;
            for_each_dependency_table_mut(&mut doc, &mut |table| {
                for (key, item) in table.iter_mut() {
                    if failure.is_some() {
                        return;
                    }
                    if let Err(e) = update_requirement(&key, item, &changes, &path) {
                        failure = Some(e);
                    }
                }
            });
            if let Some(e) = failure {
                return Err(e);
            }
            let text = doc.to_string();
            if text != original {
                edits.files.push((path, text));
            }
        }
        let lock = self.root.join("Cargo.lock");
        if lock.is_file() {
            let original = read_text(&lock)?;
            let text = lock::update(&original, &changes, &lock)?;
            if text != original {
                edits.files.push((lock, text));
            }
        }
        Ok(edits)
    }
}

fn update_requirement(
    key: &str,
    item: &mut Item,
    changes: &BTreeMap<String, (Version, Version)>,
    path: &Path,
) -> Result<()> {
    let Some(table) = item.as_table_like_mut() else {
        return Ok(()); // `name = "1.0"`: a registry dependency
    };
    let package = table
        .get("package")
        .and_then(Item::as_str)
        .unwrap_or(key)
        .to_string();
    let Some((_, new)) = changes.get(&package) else {
        return Ok(());
    };
    if table.get("path").is_none() {
        return Ok(()); // from a registry or git, not this workspace
    }
    let Some(version) = table.get_mut("version") else {
        return Ok(());
    };
    let Some(req) = version.as_str().map(str::to_string) else {
        return Ok(());
    };
    match requirement::rewrite(&req, new) {
        Some(text) if text == req => Ok(()),
        Some(text) => {
            set_string(version, &text);
            Ok(())
        }
        None => Err(Error::Requirement {
            path: path.to_path_buf(),
            dependency: package,
            requirement: req,
            version: new.clone(),
        }),
    }
}

/// Replaces a string value, keeping its quotes and the comments and spaces around it.
fn set_string(item: &mut Item, text: &str) {
    if let Some(value) = item.as_value_mut() {
        replace_string(value, text);
    }
}

/// Replaces a string value with `text` written in the same kind of string as before — basic
/// (`"…"`), literal (`'…'`) or their multi-line forms — keeping the comments and spaces
/// around it. A literal string cannot hold `'` or a line break: such text is written as a
/// basic string.
pub(crate) fn replace_string(value: &mut Value, text: &str) {
    let decor = value.decor().clone();
    let raw = match &*value {
        Value::String(s) => s.as_repr().and_then(|r| r.as_raw().as_str()),
        _ => None,
    };
    let quote = [r#"""""#, "'''", "'"]
        .into_iter()
        .find(|q| raw.is_some_and(|r| r.starts_with(q)));
    let fits = |q: &str| !q.starts_with('\'') || !text.contains(['\'', '\n', '\r']);
    let same_kind = quote
        .filter(|q| fits(q))
        .and_then(|q| format!("{q}{text}{q}").parse::<Value>().ok());
    *value = same_kind.unwrap_or_else(|| Value::from(text));
    *value.decor_mut() = decor;
}

/// The entry `key` of a table, if there is one. (`Item::get_mut` would insert an empty entry,
/// and turn a missing table into `key = {}`.)
fn child_mut<'a>(item: &'a mut Item, key: &str) -> Option<&'a mut Item> {
    item.as_table_like_mut()?.get_mut(key)
}

fn inherits(item: &Item) -> bool {
    item.get("workspace").and_then(Item::as_bool) == Some(true)
}

fn parse_version(item: &Item, path: &Path, what: &str) -> Result<Version> {
    let text = item.as_str().ok_or_else(|| Error::Manifest {
        path: path.to_path_buf(),
        reason: format!("{what} is not a string"),
    })?;
    Version::parse(text).map_err(|source| Error::Version {
        what: format!("{what} in {}", path.display()),
        text: text.to_string(),
        source,
    })
}

/// The `[workspace.dependencies]` entries with a `path`.
fn workspace_path_dependencies(doc: &DocumentMut) -> Vec<String> {
    doc.get("workspace")
        .and_then(|w| w.get("dependencies"))
        .and_then(Item::as_table_like)
        .map(|t| {
            t.iter()
                .filter(|(_, item)| item.get("path").is_some())
                .map(|(key, _)| key.to_string())
                .collect()
        })
        .unwrap_or_default()
}

fn for_each_dependency_table(doc: &DocumentMut, f: &mut dyn FnMut(DependencyKind, &dyn TableLike)) {
    for (name, kind) in KINDS {
        if let Some(t) = doc.get(name).and_then(Item::as_table_like) {
            f(kind, t);
        }
    }
    if let Some(targets) = doc.get("target").and_then(Item::as_table_like) {
        for (_, target) in targets.iter() {
            for (name, kind) in KINDS {
                if let Some(t) = target.get(name).and_then(Item::as_table_like) {
                    f(kind, t);
                }
            }
        }
    }
}

fn for_each_dependency_table_mut(doc: &mut DocumentMut, f: &mut dyn FnMut(&mut dyn TableLike)) {
    for (name, _) in KINDS {
        if let Some(t) = doc.get_mut(name).and_then(Item::as_table_like_mut) {
            f(t);
        }
    }
    if let Some(targets) = doc.get_mut("target").and_then(Item::as_table_like_mut) {
        for (_, target) in targets.iter_mut() {
            for (name, _) in KINDS {
                if let Some(t) = child_mut(target, name).and_then(Item::as_table_like_mut) {
                    f(t);
                }
            }
        }
    }
    if let Some(t) = doc
        .get_mut("workspace")
        .and_then(|w| child_mut(w, "dependencies"))
        .and_then(Item::as_table_like_mut)
    {
        f(t);
    }
}

fn read_text(path: &Path) -> Result<String> {
    std::fs::read_to_string(path).map_err(|e| IoError::new("read", path, e).into())
}

fn parse(text: &str, path: &Path) -> Result<DocumentMut> {
    text.parse::<DocumentMut>().map_err(|e| Error::Toml {
        path: path.to_path_buf(),
        source: Box::new(e),
    })
}

fn read(path: &Path) -> Result<DocumentMut> {
    parse(&read_text(path)?, path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_single_package_is_its_own_workspace() {
        let dir = tempfile::tempdir().expect("temp dir");
        let manifest = "# one package\n[package]\nname = \"solo\"\nversion = \"1.0.0\" # here\n\n[dependencies]\nserde = { version = \"1\" }\n";
        std::fs::write(dir.path().join("Cargo.toml"), manifest).expect("write");
        let ws = Workspace::open(dir.path()).expect("open");
        assert_eq!(ws.members().len(), 1);
        assert_eq!(ws.members()[0].dir, PathBuf::new());
        assert_eq!(
            ws.members()[0].version,
            VersionSource::Own(Version::new(1, 0, 0))
        );
        let edits = ws.bump_all(&Version::new(1, 1, 0)).expect("bump");
        assert_eq!(edits.files().len(), 1);
        assert_eq!(
            edits.files()[0].1,
            manifest.replace("\"1.0.0\" # here", "\"1.1.0\" # here")
        );
        assert_eq!(
            edits.versions().get("solo"),
            Some(&(Version::new(1, 0, 0), Version::new(1, 1, 0)))
        );
    }

    #[test]
    fn manifests_that_cannot_be_read_are_typed_errors() {
        let dir = tempfile::tempdir().expect("temp dir");
        assert!(matches!(Workspace::open(dir.path()), Err(Error::Io(_))));
        std::fs::write(dir.path().join("Cargo.toml"), "[package\n").expect("write");
        assert!(matches!(
            Workspace::open(dir.path()),
            Err(Error::Toml { .. })
        ));
        std::fs::write(
            dir.path().join("Cargo.toml"),
            "[package]\nname = \"x\"\nversion = \"one\"\n",
        )
        .expect("write");
        assert!(matches!(
            Workspace::open(dir.path()),
            Err(Error::Version { .. })
        ));
        std::fs::write(
            dir.path().join("Cargo.toml"),
            "[workspace]\nmembers = [\"missing\"]\n",
        )
        .expect("write");
        assert!(matches!(
            Workspace::open(dir.path()),
            Err(Error::Manifest { .. })
        ));
    }
}
