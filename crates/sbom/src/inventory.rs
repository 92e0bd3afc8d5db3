//! [`Inventory`]: what a release contains — the crates compiled into it (see
//! [`Inventory::from_cargo`](crate::Inventory::from_cargo)) and the files it ships
//! ([`Inventory::with_files`]).

use std::io::Read;

use consign_core::{Algorithm, Digest, EntryKind, FileTree, Hasher, PackageMeta};
use sha1::Digest as _;

use crate::error::SbomError;
use crate::license::License;
use crate::purl;

/// How a crate depends on another.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum DepKind {
    /// A normal dependency: compiled into the binary.
    Normal,
    /// A build-dependency: compiled into a build script and run at build time.
    Build,
    /// A dev-dependency: used by tests, examples and benchmarks.
    Dev,
}

/// Where a crate comes from.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Source {
    /// crates.io.
    CratesIo,
    /// Another registry, named by its index URL (`sparse+https://…` or `registry+https://…`).
    Registry {
        /// The index URL, as Cargo writes it in `Cargo.lock`.
        index: String,
    },
    /// A git repository.
    Git {
        /// The repository URL.
        url: String,
        /// The locked commit.
        rev: Option<String>,
    },
    /// A local directory.
    Path {
        /// The directory relative to the workspace root, `/`-separated (`.` for the root);
        /// absolute when it lies outside the workspace.
        path: String,
    },
}

impl Source {
    /// `registry`, `git` or `path`.
    pub fn kind(&self) -> &'static str {
        match self {
            Source::CratesIo | Source::Registry { .. } => "registry",
            Source::Git { .. } => "git",
            Source::Path { .. } => "path",
        }
    }

    /// Parses a Cargo source id (`registry+https://…`, `sparse+https://…`,
    /// `git+https://…?branch=x#rev`); `None` is a path source at `path`.
    pub fn from_cargo(source: Option<&str>, path: impl FnOnce() -> String) -> Source {
        match source {
            None => Source::Path { path: path() },
            Some(s) if is_crates_io(s) => Source::CratesIo,
            Some(s) if s.starts_with("git+") => {
                let rest = &s["git+".len()..];
                let (url, rev) = match rest.split_once('#') {
                    Some((u, r)) => (u, Some(r.to_owned())),
                    None => (rest, None),
                };
                let url = url.split_once('?').map_or(url, |(u, _)| u);
                Source::Git {
                    url: url.to_owned(),
                    rev,
                }
            }
            Some(s) => Source::Registry {
                index: s.to_owned(),
            },
        }
    }
}

fn is_crates_io(source: &str) -> bool {
    matches!(
        source,
        "registry+https://github.com/rust-lang/crates.io-index" | "sparse+https://index.crates.io/"
    )
}

/// An edge of the dependency graph: the index of the crate depended on in
/// [`Inventory::crates`] and the kind of dependency.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Edge {
    /// Index into [`Inventory::crates`].
    pub to: usize,
    /// The kind of dependency.
    pub kind: DepKind,
}

/// One crate of the inventory.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Crate {
    /// Package name.
    pub name: String,
    /// Version.
    pub version: String,
    /// Where it comes from.
    pub source: Source,
    /// Package URL (`pkg:cargo/name@version`, with `repository_url`, `vcs_url` or
    /// `download_url` for crates not from crates.io); unique within the inventory.
    pub purl: String,
    /// The declared license.
    pub license: License,
    /// The registry checksum from `Cargo.lock` (SHA-256 of the `.crate` file).
    pub checksum: Option<Digest>,
    /// Authors, `Name <email>` each.
    pub authors: Vec<String>,
    /// Description.
    pub description: Option<String>,
    /// Source repository URL.
    pub repository: Option<String>,
    /// Home page.
    pub homepage: Option<String>,
    /// True when it is reached from the root through normal dependencies only (it is in the
    /// shipped binary); false for crates present only for build scripts or tests.
    pub shipped: bool,
    /// Its dependencies within the inventory, sorted.
    pub dependencies: Vec<Edge>,
}

impl Crate {
    /// A crate with only a name, version and source; the purl is derived from them.
    pub fn new(name: impl Into<String>, version: impl Into<String>, source: Source) -> Crate {
        let name = name.into();
        let version = version.into();
        let purl = purl::cargo(&name, &version, &source);
        Crate {
            name,
            version,
            source,
            purl,
            license: License::NotDeclared,
            checksum: None,
            authors: Vec::new(),
            description: None,
            repository: None,
            homepage: None,
            shipped: true,
            dependencies: Vec::new(),
        }
    }
}

/// What a file of the shipped tree is.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum FileKind {
    /// A regular file.
    Regular,
    /// A symbolic link; its digests are those of the target text.
    Symlink {
        /// The link target.
        target: String,
    },
    /// A hard link to another file of the tree; its digests are that file's.
    Hardlink {
        /// The file it shares its data with.
        target: String,
    },
}

/// One shipped file: its path in the package or image, size, mode and digests.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct FileRecord {
    /// Path relative to the root of the tree.
    pub path: String,
    /// What it is.
    pub kind: FileKind,
    /// Permission bits.
    pub mode: u32,
    /// Size in bytes.
    pub size: u64,
    /// SHA-256 of the contents.
    pub sha256: Digest,
    /// SHA-1 of the contents, lowercase hex (SPDX requires it for files).
    pub sha1: String,
}

/// What a release contains: the root crate, the crates it is built from with their dependency
/// edges, and the files it ships.
///
/// ```
/// use consign_core::{Entry, FileTree, PackageMeta};
/// use consign_sbom::Inventory;
/// let meta = PackageMeta::new("hello", "1.0.0")?.license("MIT");
/// let mut tree = FileTree::new();
/// tree.insert("usr/bin/hello", Entry::bytes(b"\x7fELF...".to_vec()).mode(0o755))?;
/// let inv = Inventory::from_meta(&meta)?.with_files(&tree)?;
/// assert_eq!(inv.root().purl, "pkg:cargo/hello@1.0.0?download_url=file://.");
/// assert_eq!(inv.files()[0].path, "usr/bin/hello");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Inventory {
    pub(crate) crates: Vec<Crate>,
    pub(crate) root: usize,
    pub(crate) target: Option<String>,
    pub(crate) features: Vec<String>,
    pub(crate) files: Vec<FileRecord>,
}

impl Inventory {
    /// An inventory of one package described by hand (no dependency graph).
    pub fn from_meta(meta: &PackageMeta) -> Result<Inventory, SbomError> {
        let mut c = Crate::new(
            meta.name(),
            meta.version().as_str(),
            Source::Path { path: ".".into() },
        );
        c.license = License::from_cargo(
            meta.license.as_deref(),
            meta.license_file.as_ref().and_then(|p| p.to_str()),
        )
        .map_err(|source| SbomError::License {
            package: format!("{}@{}", meta.name(), meta.version()),
            value: meta.license.clone().unwrap_or_default(),
            source,
        })?;
        c.authors = meta.authors.clone();
        c.description = meta.description.clone();
        c.repository = meta.repository.clone();
        c.homepage = meta.homepage.clone();
        Ok(Inventory {
            crates: vec![c],
            root: 0,
            target: None,
            features: Vec::new(),
            files: Vec::new(),
        })
    }

    /// The crate the release is built from.
    pub fn root(&self) -> &Crate {
        &self.crates[self.root]
    }

    /// Index of the root crate in [`Inventory::crates`].
    pub fn root_index(&self) -> usize {
        self.root
    }

    /// Every crate, the root included, sorted by name, version and purl.
    pub fn crates(&self) -> &[Crate] {
        &self.crates
    }

    /// The Rust target triple the graph was resolved for, if it came from Cargo.
    pub fn target(&self) -> Option<&str> {
        self.target.as_deref()
    }

    /// The root's features in effect, sorted.
    pub fn features(&self) -> &[String] {
        &self.features
    }

    /// The shipped files, sorted by path.
    pub fn files(&self) -> &[FileRecord] {
        &self.files
    }

    /// Adds the files of `tree` (a package's or an image's contents), hashing each regular
    /// file once (SHA-256 and SHA-1) on every core. Directories carry no content and are not
    /// listed; symlinks and hard links are.
    pub fn with_files(mut self, tree: &FileTree) -> Result<Inventory, SbomError> {
        let entries: Vec<_> = tree.iter().collect();
        let regular: Vec<usize> = (0..entries.len())
            .filter(|&i| matches!(entries[i].1.kind(), EntryKind::File { .. }))
            .collect();
        let hashed = hash_entries(&entries, &regular)?;
        let mut by_path: std::collections::HashMap<&str, (u64, Digest, String)> =
            std::collections::HashMap::new();
        for (&i, h) in regular.iter().zip(&hashed) {
            by_path.insert(entries[i].0.as_str(), h.clone());
        }
        let mut files = Vec::new();
        for (path, entry) in &entries {
            let (kind, (size, sha256, sha1)) = match entry.kind() {
                EntryKind::Dir => continue,
                EntryKind::File { .. } => (
                    FileKind::Regular,
                    by_path
                        .get(path.as_str())
                        .cloned()
                        .ok_or_else(|| missing(path.as_str()))?,
                ),
                EntryKind::Symlink { target } => (
                    FileKind::Symlink {
                        target: target.clone(),
                    },
                    digests_of(target.as_bytes()),
                ),
                EntryKind::Hardlink { target } => (
                    FileKind::Hardlink {
                        target: target.as_str().to_owned(),
                    },
                    by_path
                        .get(target.as_str())
                        .cloned()
                        .ok_or_else(|| missing(target.as_str()))?,
                ),
                _ => continue,
            };
            files.push(FileRecord {
                path: path.as_str().to_owned(),
                kind,
                mode: entry.permissions(),
                size,
                sha256,
                sha1,
            });
        }
        self.files = files;
        Ok(self)
    }
}

fn missing(path: &str) -> SbomError {
    SbomError::File {
        path: path.to_owned(),
        source: std::io::Error::new(
            std::io::ErrorKind::NotFound,
            "not a regular file of the tree",
        ),
    }
}

fn digests_of(data: &[u8]) -> (u64, Digest, String) {
    (
        data.len() as u64,
        Digest::of(Algorithm::Sha256, data),
        hex::encode(sha1::Sha1::digest(data)),
    )
}

type Hashed = (u64, Digest, String);

/// Hashes the regular files `which` of `entries` on every core, each read once.
fn hash_entries(
    entries: &[(&consign_core::RelPath, &consign_core::Entry)],
    which: &[usize],
) -> Result<Vec<Hashed>, SbomError> {
    consign_core::map_parallel(
        which,
        consign_core::Jobs::All,
        |&i| entries[i].1.size(),
        |&i| {
            let (path, entry) = entries[i];
            hash_entry(entry).map_err(|source| SbomError::File {
                path: path.as_str().to_owned(),
                source,
            })
        },
    )
    .into_iter()
    .collect()
}

fn hash_entry(entry: &consign_core::Entry) -> std::io::Result<Hashed> {
    let mut reader = entry.open()?;
    let mut sha256 = Hasher::new(Algorithm::Sha256);
    let mut sha1 = sha1::Sha1::new();
    let mut buf = vec![0u8; 256 * 1024];
    let mut size = 0u64;
    loop {
        let n = reader.read(&mut buf)?;
        if n == 0 {
            break;
        }
        sha256.update(&buf[..n]);
        sha1.update(&buf[..n]);
        size += n as u64;
    }
    Ok((size, sha256.finish(), hex::encode(sha1.finalize())))
}

#[cfg(test)]
mod tests {
    use super::*;
    use consign_core::Entry;

    #[test]
    fn files_are_hashed_and_links_kept() {
        let mut tree = FileTree::new();
        tree.insert("usr/bin/app", Entry::bytes(b"abc".to_vec()).mode(0o755))
            .unwrap();
        tree.insert("usr/bin/alias", Entry::symlink("app")).unwrap();
        let target = consign_core::RelPath::new("usr/bin/app").unwrap();
        tree.insert("usr/bin/hard", Entry::hardlink(target))
            .unwrap();
        for i in 0..20 {
            tree.insert(
                format!("share/f{i:02}"),
                Entry::bytes(vec![i as u8; i * 1000]),
            )
            .unwrap();
        }
        let meta = PackageMeta::new("app", "1").unwrap();
        let inv = Inventory::from_meta(&meta)
            .unwrap()
            .with_files(&tree)
            .unwrap();
        let f = |p: &str| inv.files().iter().find(|f| f.path == p).unwrap();
        assert_eq!(inv.files().len(), 23);
        assert_eq!(
            f("usr/bin/app").sha1,
            "a9993e364706816aba3e25717850c26c9cd0d89d"
        );
        assert_eq!(
            f("usr/bin/app").sha256,
            Digest::of(Algorithm::Sha256, b"abc")
        );
        assert_eq!(f("usr/bin/app").mode, 0o755);
        assert_eq!(f("usr/bin/hard").sha256, f("usr/bin/app").sha256);
        assert_eq!(
            f("usr/bin/alias").sha256,
            Digest::of(Algorithm::Sha256, b"app")
        );
        assert_eq!(f("share/f07").size, 7000);
        assert_eq!(
            f("share/f07").sha256,
            Digest::of(Algorithm::Sha256, &[7u8; 7000])
        );
        let paths: Vec<_> = inv.files().iter().map(|f| f.path.as_str()).collect();
        let mut sorted = paths.clone();
        sorted.sort();
        assert_eq!(paths, sorted);
    }

    #[test]
    fn a_file_that_changed_is_an_error_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x");
        std::fs::write(&p, b"1234").unwrap();
        let mut tree = FileTree::new();
        tree.insert("x", Entry::file(&p).unwrap()).unwrap();
        std::fs::write(&p, b"12345678").unwrap();
        let meta = PackageMeta::new("app", "1").unwrap();
        match Inventory::from_meta(&meta).unwrap().with_files(&tree) {
            Err(SbomError::File { path, .. }) => assert_eq!(path, "x"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn sources() {
        let s = Source::from_cargo(
            Some("git+https://github.com/a/b?branch=main#0123abc"),
            String::new,
        );
        assert_eq!(
            s,
            Source::Git {
                url: "https://github.com/a/b".into(),
                rev: Some("0123abc".into())
            }
        );
        assert_eq!(
            Source::from_cargo(Some("sparse+https://index.crates.io/"), String::new),
            Source::CratesIo
        );
        assert_eq!(Source::from_cargo(None, || "x".into()).kind(), "path");
    }
}
