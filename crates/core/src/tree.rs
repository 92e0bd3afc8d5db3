//! [`FileTree`]: the staging model every package, archive and image writer consumes.
//!
//! A tree maps normalized relative paths ([`RelPath`]) to [`Entry`] values: regular files (read
//! from disk when written, or held as bytes), directories, symlinks and hardlinks, each with a
//! mode, an owner and package flags (config file, documentation). Entries iterate in byte order of
//! their paths, so every writer emits them in the same order. Parent directories are implied
//! when a deeper path is inserted; writers that record directory ownership (rpm) can tell
//! implied directories from explicit ones with [`Entry::is_implied`].
//!
//! Files on disk are only `stat`ed when added; their bytes are streamed when a writer asks for
//! them through [`Entry::open`], which also checks that the file still has the size it had.

use std::collections::BTreeMap;
use std::fmt;
use std::fs;
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// A normalized path relative to the root of a [`FileTree`].
///
/// Components are separated by `/`; `.` components, repeated and trailing slashes are removed.
/// Absolute paths, `..` components, NUL bytes, control characters (`\n`, `\r`, tab, escape,
/// DEL, the C1 controls: they would split or garble the line-based lists packages carry, such
/// as a .deb's `md5sums` and `conffiles`) and paths with no component are refused.
///
/// ```
/// use consign_core::{PathProblem, RelPath, TreeError};
/// assert_eq!(RelPath::new("./usr//bin/app/")?.as_str(), "usr/bin/app");
/// assert!(RelPath::new("/etc/passwd").is_err());
/// assert!(RelPath::new("a/../../b").is_err());
/// let err = RelPath::new("etc/app.conf\n/etc/passwd").unwrap_err();
/// assert!(matches!(err, TreeError::InvalidPath { problem: PathProblem::ControlCharacter, .. }));
/// // The message shows the path escaped, on one line.
/// assert!(err.to_string().contains(r#""etc/app.conf\n/etc/passwd""#));
/// # Ok::<(), consign_core::TreeError>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RelPath(String);

impl RelPath {
    /// Parses and normalizes a relative path.
    pub fn new(path: impl AsRef<str>) -> Result<RelPath, TreeError> {
        let raw = path.as_ref();
        let bad = |problem| TreeError::InvalidPath {
            path: raw.to_owned(),
            problem,
        };
        if raw.contains('\0') {
            return Err(bad(PathProblem::Nul));
        }
        if raw.contains(char::is_control) {
            return Err(bad(PathProblem::ControlCharacter));
        }
        if raw.starts_with('/') {
            return Err(bad(PathProblem::Absolute));
        }
        let mut parts = Vec::new();
        for c in raw.split('/') {
            match c {
                "" | "." => {}
                ".." => return Err(bad(PathProblem::ParentComponent)),
                c => parts.push(c),
            }
        }
        if parts.is_empty() {
            return Err(bad(PathProblem::Empty));
        }
        Ok(RelPath(parts.join("/")))
    }

    /// The path text, without leading `./` or `/`.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The last component.
    pub fn file_name(&self) -> &str {
        self.0.rsplit('/').next().unwrap_or(&self.0)
    }

    /// The parent path, `None` for a top-level entry.
    pub fn parent(&self) -> Option<RelPath> {
        self.0.rsplit_once('/').map(|(p, _)| RelPath(p.to_owned()))
    }

    /// Number of components.
    pub fn depth(&self) -> usize {
        self.0.split('/').count()
    }

    /// `prefix/self`.
    pub fn prefixed(&self, prefix: &RelPath) -> RelPath {
        RelPath(format!("{}/{}", prefix.0, self.0))
    }
}

impl fmt::Display for RelPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for RelPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

impl std::str::FromStr for RelPath {
    type Err = TreeError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        RelPath::new(s)
    }
}

/// Where a regular file's bytes come from.
#[derive(Clone, Debug)]
pub enum FileSource {
    /// A file on disk, streamed when written.
    Path(PathBuf),
    /// Bytes held in memory (small generated files: control files, scripts, configs).
    Bytes(Arc<[u8]>),
}

/// What an entry is.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum EntryKind {
    /// A regular file of `size` bytes.
    File {
        /// Where the bytes come from.
        source: FileSource,
        /// The size recorded when the entry was made.
        size: u64,
    },
    /// A directory.
    Dir,
    /// A symbolic link to `target` (relative to the link's directory, or absolute from the root
    /// of the installed tree).
    Symlink {
        /// The link target as stored.
        target: String,
    },
    /// A hard link to another regular file of the tree.
    Hardlink {
        /// The file it shares its data with.
        target: RelPath,
    },
}

/// The owner of an entry: numeric ids and optional names.
///
/// Defaults to root (0/0) with names `root`/`root`, which is what package managers expect when
/// no owner is given.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Owner {
    /// Numeric user id.
    pub uid: u32,
    /// Numeric group id.
    pub gid: u32,
    /// User name, if any.
    pub user: Option<String>,
    /// Group name, if any.
    pub group: Option<String>,
}

impl Default for Owner {
    fn default() -> Self {
        Owner {
            uid: 0,
            gid: 0,
            user: Some("root".into()),
            group: Some("root".into()),
        }
    }
}

/// One entry of a [`FileTree`].
///
/// ```
/// use consign_core::Entry;
/// let e = Entry::bytes(b"port = 80\n".to_vec()).mode(0o640).config();
/// assert_eq!(e.permissions(), 0o640);
/// assert!(e.is_config());
/// ```
#[derive(Clone, Debug)]
pub struct Entry {
    kind: EntryKind,
    mode: u32,
    owner: Owner,
    config: bool,
    doc: bool,
    implied: bool,
}

impl Entry {
    fn with_kind(kind: EntryKind, mode: u32) -> Entry {
        Entry {
            kind,
            mode,
            owner: Owner::default(),
            config: false,
            doc: false,
            implied: false,
        }
    }

    /// A regular file read from `path` when written. The file is `stat`ed now (it must exist
    /// and be a regular file, symlinks followed); its mode becomes 0755 when any execute bit is
    /// set, 0644 otherwise.
    pub fn file(path: impl Into<PathBuf>) -> Result<Entry, TreeError> {
        let path = path.into();
        let md = fs::metadata(&path).map_err(|source| TreeError::Unreadable {
            path: path.clone(),
            source,
        })?;
        if !md.is_file() {
            return Err(TreeError::NotRegularFile { path });
        }
        let mode = if executable(&md) { 0o755 } else { 0o644 };
        Ok(Entry::with_kind(
            EntryKind::File {
                source: FileSource::Path(path),
                size: md.len(),
            },
            mode,
        ))
    }

    /// A regular file with these bytes, mode 0644.
    pub fn bytes(data: impl Into<Arc<[u8]>>) -> Entry {
        let data: Arc<[u8]> = data.into();
        let size = data.len() as u64;
        Entry::with_kind(
            EntryKind::File {
                source: FileSource::Bytes(data),
                size,
            },
            0o644,
        )
    }

    /// A directory, mode 0755.
    pub fn dir() -> Entry {
        Entry::with_kind(EntryKind::Dir, 0o755)
    }

    /// A symbolic link, mode 0777.
    pub fn symlink(target: impl Into<String>) -> Entry {
        Entry::with_kind(
            EntryKind::Symlink {
                target: target.into(),
            },
            0o777,
        )
    }

    /// A hard link to `target`, which must already be a regular file of the tree when the link
    /// is inserted.
    pub fn hardlink(target: RelPath) -> Entry {
        Entry::with_kind(EntryKind::Hardlink { target }, 0o644)
    }

    /// Sets the permission bits (including setuid, setgid and sticky: `0o7777` at most).
    #[must_use]
    pub fn mode(mut self, mode: u32) -> Entry {
        self.mode = mode & 0o7777;
        self
    }

    /// Sets numeric owner ids.
    #[must_use]
    pub fn ids(mut self, uid: u32, gid: u32) -> Entry {
        self.owner.uid = uid;
        self.owner.gid = gid;
        self
    }

    /// Sets the owner names (`None` to record ids only).
    #[must_use]
    pub fn names(mut self, user: Option<&str>, group: Option<&str>) -> Entry {
        self.owner.user = user.map(str::to_owned);
        self.owner.group = group.map(str::to_owned);
        self
    }

    /// Marks the file as a configuration file (dpkg conffile, rpm `%config(noreplace)`).
    #[must_use]
    pub fn config(mut self) -> Entry {
        self.config = true;
        self
    }

    /// Marks the file as documentation (rpm `%doc`).
    #[must_use]
    pub fn doc(mut self) -> Entry {
        self.doc = true;
        self
    }

    /// What the entry is.
    pub fn kind(&self) -> &EntryKind {
        &self.kind
    }

    /// Permission bits (`0o7777` at most), without the file-type bits.
    pub fn permissions(&self) -> u32 {
        self.mode
    }

    /// The owner.
    pub fn owner(&self) -> &Owner {
        &self.owner
    }

    /// True for a configuration file.
    pub fn is_config(&self) -> bool {
        self.config
    }

    /// True for a documentation file.
    pub fn is_doc(&self) -> bool {
        self.doc
    }

    /// True for a directory that was not inserted but implied by a deeper path.
    pub fn is_implied(&self) -> bool {
        self.implied
    }

    /// Size of the file data: the file's size for regular files, 0 otherwise.
    pub fn size(&self) -> u64 {
        match &self.kind {
            EntryKind::File { size, .. } => *size,
            _ => 0,
        }
    }

    /// Opens a regular file's data. The reader yields exactly [`Entry::size`] bytes, or fails
    /// with [`io::ErrorKind::InvalidData`] if the file on disk changed size since it was added.
    /// Other entries yield nothing.
    pub fn open(&self) -> io::Result<EntryReader> {
        let (inner, size): (Box<dyn Read + Send>, u64) = match &self.kind {
            EntryKind::File {
                source: FileSource::Path(p),
                size,
            } => (
                Box::new(fs::File::open(p).map_err(|e| {
                    io::Error::new(e.kind(), format!("cannot open {}: {e}", p.display()))
                })?),
                *size,
            ),
            EntryKind::File {
                source: FileSource::Bytes(b),
                size,
            } => (Box::new(io::Cursor::new(Arc::clone(b))), *size),
            _ => (Box::new(io::empty()), 0),
        };
        Ok(EntryReader {
            inner,
            remaining: size,
            size,
        })
    }
}

#[cfg(unix)]
fn executable(md: &fs::Metadata) -> bool {
    use std::os::unix::fs::PermissionsExt;
    md.permissions().mode() & 0o111 != 0
}

#[cfg(not(unix))]
fn executable(_: &fs::Metadata) -> bool {
    false
}

/// Reads exactly the size an [`Entry`] declared; see [`Entry::open`].
pub struct EntryReader {
    inner: Box<dyn Read + Send>,
    remaining: u64,
    size: u64,
}

impl Read for EntryReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.remaining == 0 {
            // The declared size is reached: the source must be at its end too.
            let mut probe = [0u8; 1];
            return match self.inner.read(&mut probe)? {
                0 => Ok(0),
                _ => Err(changed(self.size)),
            };
        }
        let want = buf
            .len()
            .min(usize::try_from(self.remaining).unwrap_or(usize::MAX));
        let n = self.inner.read(&mut buf[..want])?;
        if n == 0 && want > 0 {
            return Err(changed(self.size));
        }
        self.remaining -= n as u64;
        Ok(n)
    }
}

fn changed(size: u64) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!("file changed while being read: expected {size} bytes"),
    )
}

/// The files of a package or image, keyed by normalized relative path.
///
/// ```
/// use consign_core::{Entry, FileTree};
/// let mut tree = FileTree::new();
/// tree.insert("usr/bin/app", Entry::bytes(b"#!/bin/sh\necho hi\n".to_vec()).mode(0o755))?;
/// tree.insert("usr/bin/app-alias", Entry::symlink("app"))?;
/// tree.insert("etc/app.conf", Entry::bytes(b"x=1\n".to_vec()).config())?;
/// let paths: Vec<_> = tree.iter().map(|(p, _)| p.as_str()).collect();
/// assert_eq!(paths, ["etc", "etc/app.conf", "usr", "usr/bin", "usr/bin/app", "usr/bin/app-alias"]);
/// assert!(tree.insert("usr/bin/evil", Entry::symlink("../../../etc/shadow")).is_err());
/// # Ok::<(), consign_core::TreeError>(())
/// ```
#[derive(Clone, Debug, Default)]
pub struct FileTree {
    entries: BTreeMap<RelPath, Entry>,
}

impl FileTree {
    /// An empty tree.
    pub fn new() -> FileTree {
        FileTree::default()
    }

    /// Adds an entry at `path`, creating implied parent directories.
    ///
    /// Refused: an invalid path, a path already present (an implied directory may be replaced
    /// by an explicit one), a parent that is not a directory, a relative symlink that leaves the
    /// tree, a hard link whose target is not a regular file already in the tree.
    pub fn insert(&mut self, path: impl AsRef<str>, entry: Entry) -> Result<(), TreeError> {
        let path = RelPath::new(path)?;
        self.insert_at(path, entry)
    }

    /// [`FileTree::insert`] with a path parsed already.
    pub fn insert_at(&mut self, path: RelPath, mut entry: Entry) -> Result<(), TreeError> {
        match &entry.kind {
            EntryKind::Symlink { target } => check_symlink(&path, target)?,
            EntryKind::Hardlink { target } => match self.entries.get(target).map(|e| &e.kind) {
                Some(EntryKind::File { .. }) => {}
                _ => {
                    return Err(TreeError::HardlinkTarget {
                        path: path.clone(),
                        target: target.clone(),
                    });
                }
            },
            _ => {}
        }
        if let Some(existing) = self.entries.get(&path)
            && !(existing.implied && matches!(entry.kind, EntryKind::Dir))
        {
            return Err(TreeError::Duplicate { path });
        }
        let mut parent = path.parent();
        while let Some(p) = parent {
            match self.entries.get(&p) {
                Some(e) if matches!(e.kind, EntryKind::Dir) => break,
                Some(_) => {
                    return Err(TreeError::ParentNotDirectory { path, parent: p });
                }
                None => {}
            }
            parent = p.parent();
        }
        // Validated: now create the implied parents.
        let mut parent = path.parent();
        while let Some(p) = parent {
            if self.entries.contains_key(&p) {
                break;
            }
            let mut dir = Entry::dir();
            dir.implied = true;
            parent = p.parent();
            self.entries.insert(p, dir);
        }
        entry.implied = false;
        self.entries.insert(path, entry);
        Ok(())
    }

    /// Adds the contents of the directory `src` on disk under `dest` (`""` or `"."` for the
    /// root), recursively: files (streamed later; mode 0755 or 0644 as for [`Entry::file`]),
    /// directories (0755) and symlinks (targets as read). Other file types (sockets, devices)
    /// are refused.
    pub fn insert_dir_all(
        &mut self,
        dest: impl AsRef<str>,
        src: impl AsRef<Path>,
    ) -> Result<(), TreeError> {
        let dest = dest.as_ref().trim_matches('/');
        let dest = if dest.is_empty() || dest == "." {
            None
        } else {
            let d = RelPath::new(dest)?;
            if !self.entries.contains_key(&d) {
                self.insert_at(d.clone(), Entry::dir())?;
            }
            Some(d)
        };
        self.walk(dest.as_ref(), src.as_ref())
    }

    fn walk(&mut self, dest: Option<&RelPath>, dir: &Path) -> Result<(), TreeError> {
        let unreadable = |source| TreeError::Unreadable {
            path: dir.to_path_buf(),
            source,
        };
        let mut children = fs::read_dir(dir)
            .map_err(unreadable)?
            .collect::<Result<Vec<_>, _>>()
            .map_err(unreadable)?;
        children.sort_by_key(|c| c.file_name());
        for child in children {
            let name = child.file_name();
            let name = name.to_str().ok_or_else(|| TreeError::InvalidPath {
                path: child.path().display().to_string(),
                problem: PathProblem::NotUtf8,
            })?;
            let rel = match dest {
                Some(d) => RelPath::new(format!("{d}/{name}"))?,
                None => RelPath::new(name)?,
            };
            let path = child.path();
            let ft = child.file_type().map_err(|source| TreeError::Unreadable {
                path: path.clone(),
                source,
            })?;
            if ft.is_symlink() {
                let target = fs::read_link(&path).map_err(|source| TreeError::Unreadable {
                    path: path.clone(),
                    source,
                })?;
                let target = target.to_str().ok_or_else(|| TreeError::InvalidPath {
                    path: path.display().to_string(),
                    problem: PathProblem::NotUtf8,
                })?;
                self.insert_at(rel, Entry::symlink(target))?;
            } else if ft.is_dir() {
                // Directories get 0755 whatever the umask made of them on disk.
                self.insert_at(rel.clone(), Entry::dir())?;
                self.walk(Some(&rel), &path)?;
            } else if ft.is_file() {
                self.insert_at(rel, Entry::file(path)?)?;
            } else {
                return Err(TreeError::NotRegularFile { path });
            }
        }
        Ok(())
    }

    /// The entry at `path`.
    pub fn get(&self, path: &str) -> Option<&Entry> {
        RelPath::new(path).ok().and_then(|p| self.entries.get(&p))
    }

    /// All entries, in byte order of their paths (parents before children).
    pub fn iter(&self) -> impl ExactSizeIterator<Item = (&RelPath, &Entry)> {
        self.entries.iter()
    }

    /// Number of entries, implied directories included.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when the tree has no entry.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Sum of the sizes of the regular files (hard links counted once).
    pub fn total_size(&self) -> u64 {
        self.entries.values().map(Entry::size).sum()
    }

    /// The same tree moved under the directory `prefix` (for an archive's top-level
    /// directory). Hard-link targets move with it; symlinks keep their targets.
    pub fn with_prefix(&self, prefix: &RelPath) -> FileTree {
        let mut entries = BTreeMap::new();
        let mut parent = Some(prefix.clone());
        while let Some(p) = parent {
            parent = p.parent();
            entries.insert(p, Entry::dir());
        }
        for (path, entry) in &self.entries {
            let mut entry = entry.clone();
            if let EntryKind::Hardlink { target } = &mut entry.kind {
                *target = target.prefixed(prefix);
            }
            entries.insert(path.prefixed(prefix), entry);
        }
        FileTree { entries }
    }
}

/// Refuses symlink targets that are empty, contain NUL, or climb above the tree root.
fn check_symlink(path: &RelPath, target: &str) -> Result<(), TreeError> {
    let escapes = || TreeError::SymlinkEscapes {
        path: path.clone(),
        target: target.to_owned(),
    };
    if target.is_empty() || target.contains('\0') {
        return Err(escapes());
    }
    if target.starts_with('/') {
        // Absolute targets resolve from the root of the installed tree.
        return Ok(());
    }
    let mut depth = path.depth() - 1;
    for c in target.split('/') {
        match c {
            "" | "." => {}
            ".." => depth = depth.checked_sub(1).ok_or_else(escapes)?,
            _ => depth += 1,
        }
    }
    Ok(())
}

/// Why a path was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum PathProblem {
    /// No component left after normalization.
    Empty,
    /// Starts with `/`.
    Absolute,
    /// Has a `..` component.
    ParentComponent,
    /// Contains a NUL byte.
    Nul,
    /// Contains a control character other than NUL (`\n`, `\r`, tab, escape, DEL, the C1
    /// controls).
    ControlCharacter,
    /// Not valid UTF-8.
    NotUtf8,
}

impl fmt::Display for PathProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            PathProblem::Empty => "it is empty",
            PathProblem::Absolute => "it is absolute; give it relative to the tree root",
            PathProblem::ParentComponent => "it contains a `..` component",
            PathProblem::Nul => "it contains a NUL byte",
            PathProblem::ControlCharacter => {
                "it contains a control character (a newline, carriage return, tab, …): rename the file"
            }
            PathProblem::NotUtf8 => "it is not valid UTF-8",
        })
    }
}

/// A [`FileTree`] entry that was refused.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TreeError {
    /// The path is not a safe relative path. The message shows it escaped (as a Rust string
    /// literal), so a control character in it cannot split or forge a line.
    #[error("invalid path {path:?}: {problem}")]
    InvalidPath {
        /// The path as given.
        path: String,
        /// What is wrong with it.
        problem: PathProblem,
    },
    /// The path is already in the tree.
    #[error("duplicate path {path}: it is already in the tree")]
    Duplicate {
        /// The path.
        path: RelPath,
    },
    /// A parent of the path is a file or link.
    #[error("cannot add {path}: its parent {parent} is not a directory")]
    ParentNotDirectory {
        /// The path.
        path: RelPath,
        /// The parent that is not a directory.
        parent: RelPath,
    },
    /// A relative symlink target climbs out of the tree (or is empty).
    #[error("symlink {path} -> {target:?} points outside the tree")]
    SymlinkEscapes {
        /// The link.
        path: RelPath,
        /// Its target.
        target: String,
    },
    /// A hard link's target is not a regular file of the tree.
    #[error(
        "hard link {path} -> {target}: the target must be a regular file added before the link"
    )]
    HardlinkTarget {
        /// The link.
        path: RelPath,
        /// Its target.
        target: RelPath,
    },
    /// A source file could not be read.
    #[error("cannot read {}: {source}", path.display())]
    Unreadable {
        /// The file on disk.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: io::Error,
    },
    /// A source path is not a regular file (or directory, when walking).
    #[error("{} is not a regular file", path.display())]
    NotRegularFile {
        /// The path on disk.
        path: PathBuf,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_rules() {
        for bad in ["", ".", "/", "/a", "a/../b", "..", "a\0b", "./"] {
            assert!(RelPath::new(bad).is_err(), "{bad:?} accepted");
        }
        assert_eq!(RelPath::new("a/./b//c/").unwrap().as_str(), "a/b/c");
        assert_eq!(RelPath::new("a..b").unwrap().as_str(), "a..b");
        assert_eq!(RelPath::new("ünï cödé").unwrap().as_str(), "ünï cödé");
    }

    #[test]
    fn control_characters_are_refused_from_every_source() {
        for bad in [
            "etc/app.conf\n/etc/passwd",
            "a\rb",
            "tab\there",
            "esc\u{1b}[31m",
            "del\u{7f}",
            "c1\u{85}next-line",
        ] {
            match RelPath::new(bad) {
                Err(e @ TreeError::InvalidPath { .. }) => {
                    assert!(
                        matches!(
                            e,
                            TreeError::InvalidPath {
                                problem: PathProblem::ControlCharacter,
                                ..
                            }
                        ),
                        "{e:?}"
                    );
                    let message = e.to_string();
                    assert_eq!(message.lines().count(), 1, "{message}");
                    assert!(message.contains(&format!("{bad:?}")), "{message}");
                }
                other => panic!("{bad:?}: {other:?}"),
            }
            let mut t = FileTree::new();
            assert!(t.insert(bad, Entry::bytes(vec![1]).config()).is_err());
            assert!(t.is_empty(), "{bad:?} left entries behind");
        }

        // A file on disk whose name holds a newline: insert_dir_all refuses it too.
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir(dir.path().join("etc")).unwrap();
        fs::write(dir.path().join("etc/ok.conf"), b"x").unwrap();
        fs::write(dir.path().join("etc/evil.conf\nforged"), b"x").unwrap();
        let mut t = FileTree::new();
        match t.insert_dir_all("", dir.path()) {
            Err(TreeError::InvalidPath { path, problem }) => {
                assert_eq!(problem, PathProblem::ControlCharacter);
                assert_eq!(path, "etc/evil.conf\nforged");
            }
            other => panic!("{other:?}"),
        }
        // And as the destination of a walk.
        let mut t = FileTree::new();
        assert!(matches!(
            t.insert_dir_all("opt/a\nb", dir.path().join("etc")),
            Err(TreeError::InvalidPath {
                problem: PathProblem::ControlCharacter,
                ..
            })
        ));
    }

    #[test]
    fn duplicates_and_parents() {
        let mut t = FileTree::new();
        t.insert("a/b", Entry::bytes(vec![1])).unwrap();
        assert!(t.get("a").unwrap().is_implied());
        t.insert("a", Entry::dir().mode(0o700)).unwrap();
        assert!(!t.get("a").unwrap().is_implied());
        assert!(matches!(
            t.insert("a", Entry::dir()),
            Err(TreeError::Duplicate { .. })
        ));
        assert!(matches!(
            t.insert("a/b/c", Entry::dir()),
            Err(TreeError::ParentNotDirectory { .. })
        ));
        assert!(matches!(
            t.insert("a/b", Entry::bytes(vec![2])),
            Err(TreeError::Duplicate { .. })
        ));
        // A failed insert leaves no implied directory behind.
        assert!(t.insert("x/y/../z", Entry::dir()).is_err());
        assert!(t.get("x").is_none());
    }

    #[test]
    fn symlinks_and_hardlinks() {
        let mut t = FileTree::new();
        t.insert("usr/bin/a", Entry::bytes(vec![1])).unwrap();
        t.insert("usr/bin/b", Entry::symlink("../../usr/bin/a"))
            .unwrap();
        t.insert("usr/bin/c", Entry::symlink("/usr/bin/a")).unwrap();
        assert!(t.insert("usr/bin/d", Entry::symlink("../../../a")).is_err());
        assert!(t.insert("usr/bin/e", Entry::symlink("")).is_err());
        let target = RelPath::new("usr/bin/a").unwrap();
        t.insert("usr/bin/f", Entry::hardlink(target)).unwrap();
        let dir = RelPath::new("usr/bin").unwrap();
        assert!(matches!(
            t.insert("usr/bin/g", Entry::hardlink(dir)),
            Err(TreeError::HardlinkTarget { .. })
        ));
        let p = t.with_prefix(&RelPath::new("app-1.0").unwrap());
        match p.get("app-1.0/usr/bin/f").unwrap().kind() {
            EntryKind::Hardlink { target } => assert_eq!(target.as_str(), "app-1.0/usr/bin/a"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn entry_reader_detects_changed_files() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("f");
        fs::write(&p, b"hello").unwrap();
        let e = Entry::file(&p).unwrap();
        fs::write(&p, b"hello world").unwrap();
        let mut out = Vec::new();
        let err = e.open().unwrap().read_to_end(&mut out).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidData);
        fs::write(&p, b"hi").unwrap();
        let err = e.open().unwrap().read_to_end(&mut out).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidData);
        assert!(matches!(
            Entry::file(dir.path().join("missing")),
            Err(TreeError::Unreadable { .. })
        ));
        assert!(matches!(
            Entry::file(dir.path()),
            Err(TreeError::NotRegularFile { .. })
        ));
    }

    #[test]
    fn walks_directories() {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir_all(dir.path().join("bin")).unwrap();
        fs::write(dir.path().join("bin/app"), b"x").unwrap();
        std::os::unix::fs::symlink("app", dir.path().join("bin/link")).unwrap();
        let mut t = FileTree::new();
        t.insert_dir_all("opt/app", dir.path()).unwrap();
        let paths: Vec<_> = t.iter().map(|(p, _)| p.as_str()).collect();
        assert_eq!(
            paths,
            [
                "opt",
                "opt/app",
                "opt/app/bin",
                "opt/app/bin/app",
                "opt/app/bin/link"
            ]
        );
    }
}
