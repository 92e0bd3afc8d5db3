//! The file list: every explicit entry of the tree as rpm records it (header arrays), and the
//! cpio payload that carries the data, hashed file by file as it is written.
//!
//! Directories the tree only implies are not listed: rpm creates missing parents on install,
//! and a package owns only the directories it names (owning `/usr` would clash with the
//! distribution's `filesystem` package). Hard-linked files share an inode number; in the
//! payload their entries follow each other after the other files, the data travelling with
//! the last one, which is how rpm reads hard-link sets.

use std::collections::BTreeMap;
use std::io::{self, Read, Write};

use consign_core::{
    Algorithm, Entry, EntryKind, FileTree, Hasher, Monitor, Owner, RelPath, SourceDate,
};

use super::cpio::{CpioWriter, Stat};
use super::header::{Header, Value};
use super::spec::FileAttrs;
use super::{RpmError, check, tags};
use crate::Error;

const COPY_BUF: usize = 256 * 1024;

/// What a listed file is.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Kind {
    /// A regular file whose data comes from this entry.
    File,
    Dir,
    Symlink(String),
}

/// One file of the package.
#[derive(Debug)]
struct Record<'t> {
    /// Absolute path, `/usr/bin/app`.
    path: String,
    rel: &'t RelPath,
    /// Where the data, mode and owner come from (the target, for a hard link).
    source: &'t Entry,
    /// For a hard link, the file it links to.
    link_of: Option<&'t RelPath>,
    kind: Kind,
    mode: u32,
    size: u64,
    owner: &'t Owner,
    user: String,
    group: String,
    flags: u32,
    caps: Option<String>,
    /// Inode number: shared by a hard-link set, otherwise the file's position + 1.
    inode: u32,
    /// Members of the hard-link set, in list order (only `[self]` when not linked).
    links: Vec<usize>,
}

/// The files of a package, in path order.
#[derive(Debug)]
pub(crate) struct FileList<'t> {
    records: Vec<Record<'t>>,
    /// A file of 4 GiB or more: 64-bit size tags and the stripped payload format.
    large: bool,
    /// Sum of file and symlink sizes, hard-link sets counted once (`SIZE`).
    total: u64,
}

impl<'t> FileList<'t> {
    /// Lists the explicit entries of `tree` with their attributes.
    pub(crate) fn new(
        tree: &'t FileTree,
        attrs: &BTreeMap<RelPath, FileAttrs>,
    ) -> Result<FileList<'t>, Error> {
        let mut records = Vec::new();
        let mut positions: BTreeMap<&RelPath, usize> = BTreeMap::new();
        for (rel, entry) in tree.iter().filter(|(_, e)| !e.is_implied()) {
            positions.insert(rel, records.len());
            records.push(record(tree, rel, entry, attrs.get(rel))?);
        }
        if records.len() > u32::MAX as usize - 1 {
            return Err(RpmError::TooLarge {
                what: "file count",
                size: records.len() as u64,
            }
            .into());
        }
        if let Some((path, _)) = attrs.iter().find(|(p, _)| !positions.contains_key(p)) {
            return Err(RpmError::UnknownPath { path: path.clone() }.into());
        }
        // Hard-link sets: the target and every link to it (targets are regular files of
        // the tree, so explicit entries, listed).
        let mut sets: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
        for (i, r) in records.iter().enumerate() {
            if let Some(t) = r.link_of.and_then(|target| positions.get(target)) {
                sets.entry(*t).or_insert_with(|| vec![*t]).push(i);
            }
        }
        for (i, r) in records.iter_mut().enumerate() {
            r.inode = i as u32 + 1;
            r.links = vec![i];
        }
        for members in sets.into_values() {
            let mut members = members;
            members.sort_unstable();
            let inode = members[0] as u32 + 1;
            for &m in &members {
                records[m].inode = inode;
                records[m].links = members.clone();
            }
        }
        let large = records.iter().any(|r| r.size >= u64::from(u32::MAX));
        let total = records
            .iter()
            .enumerate()
            .filter(|(i, r)| r.kind != Kind::Dir && r.links[0] == *i)
            .map(|(_, r)| r.size)
            .sum();
        Ok(FileList {
            records,
            large,
            total,
        })
    }

    /// True when a file reaches 4 GiB.
    pub(crate) fn large(&self) -> bool {
        self.large
    }

    /// True when the package has no file.
    pub(crate) fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    /// True when a file is a configuration file.
    pub(crate) fn has_config(&self) -> bool {
        self.records
            .iter()
            .any(|r| r.flags & tags::FILE_CONFIG != 0)
    }

    /// True when a file has capabilities.
    pub(crate) fn has_caps(&self) -> bool {
        self.records.iter().any(|r| r.caps.is_some())
    }

    /// Writes the cpio payload to `out`; returns `out` and each file's SHA-256 (hex; empty
    /// for non-regular files), in list order.
    pub(crate) fn write_payload<W: Write>(
        &self,
        out: W,
        date: u32,
        monitor: &Monitor,
    ) -> Result<(W, Vec<String>), Error> {
        let output = |source| Error::Spool { source };
        let mut cpio = CpioWriter::new(out);
        let mut digests = vec![String::new(); self.records.len()];
        let mut buf = vec![0u8; COPY_BUF];
        for set in self.payload_order() {
            let last = set.len() - 1;
            for (n, &i) in set.iter().enumerate() {
                let r = &self.records[i];
                let carries_data = n == last;
                let size = match r.kind {
                    Kind::File if carries_data => r.size,
                    Kind::Symlink(ref t) => t.len() as u64,
                    _ => 0,
                };
                if self.large {
                    cpio.stripped(i as u32).map_err(output)?;
                } else {
                    let st = Stat {
                        ino: r.inode,
                        mode: r.mode,
                        uid: r.owner.uid,
                        gid: r.owner.gid,
                        nlink: set.len() as u32,
                        mtime: date,
                        // Below 4 GiB: `large` is set otherwise.
                        size: size as u32,
                    };
                    cpio.newc(&format!(".{}", r.path), &st).map_err(output)?;
                }
                match &r.kind {
                    Kind::File if carries_data => {
                        let digest = copy_hashed(r, &mut cpio, &mut buf, monitor)?;
                        for &m in set {
                            digests[m] = digest.clone();
                        }
                    }
                    Kind::Symlink(target) => cpio.write_all(target.as_bytes()).map_err(output)?,
                    _ => {}
                }
            }
        }
        let out = cpio.finish().map_err(output)?;
        Ok((out, digests))
    }

    /// Entries in the order rpm writes them: single files in list order, then each hard-link
    /// set (by first member) with its members together.
    fn payload_order(&self) -> Vec<&[usize]> {
        let singles = self.records.iter().filter(|r| r.links.len() == 1);
        let sets = self
            .records
            .iter()
            .enumerate()
            .filter(|(i, r)| r.links.len() > 1 && r.links[0] == *i)
            .map(|(_, r)| r);
        singles.chain(sets).map(|r| r.links.as_slice()).collect()
    }

    /// Puts the file arrays into the main header.
    pub(crate) fn put(&self, h: &mut Header, digests: Vec<String>, date: u32) {
        use tags::*;
        if self.records.is_empty() {
            return;
        }
        let rs = &self.records;
        let mut dirs: BTreeMap<&str, u32> = BTreeMap::new();
        let mut dirnames = Vec::new();
        let mut dirindexes = Vec::with_capacity(rs.len());
        let mut basenames = Vec::with_capacity(rs.len());
        for r in rs {
            let cut = r.path.rfind('/').map_or(0, |i| i + 1);
            let (dir, base) = r.path.split_at(cut);
            let next = dirnames.len() as u32;
            let index = *dirs.entry(dir).or_insert_with(|| {
                dirnames.push(dir.to_owned());
                next
            });
            dirindexes.push(index);
            basenames.push(base.to_owned());
        }
        if self.large {
            h.put(
                LONGFILESIZES,
                Value::Int64(rs.iter().map(|r| r.size).collect()),
            );
        } else {
            // Below 4 GiB each: `large` is set otherwise.
            h.put(
                FILESIZES,
                Value::Int32(rs.iter().map(|r| r.size as u32).collect()),
            );
        }
        if self.total >= u64::from(u32::MAX) {
            h.int64(LONGSIZE, self.total);
        } else {
            h.int32(SIZE, self.total as u32);
        }
        // A mode is the file type and permission bits: 16 bits.
        h.put(
            FILEMODES,
            Value::Int16(rs.iter().map(|r| r.mode as u16).collect()),
        );
        h.put(FILERDEVS, Value::Int16(vec![0; rs.len()]));
        h.put(FILEMTIMES, Value::Int32(vec![date; rs.len()]));
        h.strings(FILEDIGESTS, digests);
        let links = rs.iter().map(|r| match &r.kind {
            Kind::Symlink(t) => t.clone(),
            _ => String::new(),
        });
        h.strings(FILELINKTOS, links.collect());
        h.put(
            FILEFLAGS,
            Value::Int32(rs.iter().map(|r| r.flags).collect()),
        );
        h.strings(FILEUSERNAME, rs.iter().map(|r| r.user.clone()).collect());
        h.strings(FILEGROUPNAME, rs.iter().map(|r| r.group.clone()).collect());
        h.put(FILEVERIFYFLAGS, Value::Int32(vec![VERIFY_ALL; rs.len()]));
        h.put(FILEDEVICES, Value::Int32(vec![1; rs.len()]));
        h.put(
            FILEINODES,
            Value::Int32(rs.iter().map(|r| r.inode).collect()),
        );
        h.strings(FILELANGS, vec![String::new(); rs.len()]);
        h.strings(DIRNAMES, dirnames);
        h.put(DIRINDEXES, Value::Int32(dirindexes));
        h.strings(BASENAMES, basenames);
        if self.has_caps() {
            let caps = rs.iter().map(|r| r.caps.clone().unwrap_or_default());
            h.strings(FILECAPS, caps.collect());
        }
        h.int32(FILEDIGESTALGO, HASH_SHA256);
    }
}

/// Streams a file's data into the payload, hashing it; returns its SHA-256 hex.
fn copy_hashed(
    r: &Record<'_>,
    out: &mut impl Write,
    buf: &mut [u8],
    monitor: &Monitor,
) -> Result<String, Error> {
    let entry_err = |source| Error::entry(r.rel, source);
    let mut reader = monitor.reader(r.source.open().map_err(entry_err)?);
    let mut hasher = Hasher::new(Algorithm::Sha256);
    loop {
        let n = match reader.read(buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(entry_err(e)),
        };
        hasher.update(&buf[..n]);
        out.write_all(&buf[..n])
            .map_err(|source| Error::Spool { source })?;
    }
    Ok(hasher.finish().hex())
}

/// Builds the record of one explicit tree entry.
fn record<'t>(
    tree: &'t FileTree,
    rel: &'t RelPath,
    entry: &'t Entry,
    attrs: Option<&FileAttrs>,
) -> Result<Record<'t>, Error> {
    let bad = |reason| Error::Invalid {
        field: "file",
        value: rel.to_string(),
        reason,
    };
    let mut link_of = None;
    let (source, kind) = match entry.kind() {
        EntryKind::File { .. } => (entry, Kind::File),
        EntryKind::Hardlink { target } => match tree.get(target.as_str()) {
            Some(t) if matches!(t.kind(), EntryKind::File { .. }) => {
                link_of = Some(target);
                (t, Kind::File)
            }
            _ => {
                return Err(Error::Tree(consign_core::TreeError::HardlinkTarget {
                    path: rel.clone(),
                    target: target.clone(),
                }));
            }
        },
        EntryKind::Dir => (entry, Kind::Dir),
        EntryKind::Symlink { target } => (entry, Kind::Symlink(target.clone())),
        _ => return Err(bad("this kind of entry has no rpm equivalent")),
    };
    let (type_bits, size) = match &kind {
        Kind::File => (tags::S_IFREG, source.size()),
        Kind::Dir => (tags::S_IFDIR, 0),
        Kind::Symlink(t) => (tags::S_IFLNK, t.len() as u64),
    };
    let mut flags = 0;
    if entry.is_config() {
        flags |= tags::FILE_CONFIG | tags::FILE_NOREPLACE;
    }
    if entry.is_doc() {
        flags |= tags::FILE_DOC;
    }
    if kind == Kind::Dir && flags != 0 {
        return Err(bad("a directory cannot be %config or %doc"));
    }
    let mut caps = None;
    if let Some(a) = attrs {
        if (a.replace || a.missing_ok) && !entry.is_config() {
            return Err(bad(
                "%config attributes on a file not marked as configuration",
            ));
        }
        if a.replace {
            flags &= !tags::FILE_NOREPLACE;
        }
        if a.missing_ok {
            flags |= tags::FILE_MISSINGOK;
        }
        if let Some(c) = &a.caps {
            if kind != Kind::File {
                return Err(bad("only regular files have capabilities"));
            }
            check::line("file capabilities", c)?;
            caps = Some(c.clone());
        }
    }
    let owner = source.owner();
    let user = owner_name(rel, "user", owner.user.as_deref(), owner.uid)?;
    let group = owner_name(rel, "group", owner.group.as_deref(), owner.gid)?;
    Ok(Record {
        path: format!("/{rel}"),
        rel,
        source,
        link_of,
        kind,
        mode: type_bits | source.permissions(),
        size,
        owner,
        user,
        group,
        flags,
        caps,
        inode: 0,
        links: Vec::new(),
    })
}

/// rpm records owners by name; id 0 without a name is `root`.
fn owner_name(
    path: &RelPath,
    kind: &'static str,
    name: Option<&str>,
    id: u32,
) -> Result<String, Error> {
    match name {
        Some(n) if !n.is_empty() && !n.contains(char::is_whitespace) && !n.contains('\0') => {
            Ok(n.to_owned())
        }
        Some(n) => Err(Error::Invalid {
            field: if kind == "user" {
                "user name"
            } else {
                "group name"
            },
            value: n.to_owned(),
            reason: "give a non-empty name without spaces",
        }),
        None if id == 0 => Ok("root".to_owned()),
        None => Err(RpmError::UnnamedOwner {
            path: path.clone(),
            kind,
            id,
        }
        .into()),
    }
}

/// The date as the 32-bit seconds rpm stores.
pub(crate) fn date32(date: SourceDate) -> Result<u32, Error> {
    u32::try_from(date.unix()).map_err(|_| RpmError::DateOutOfRange { date }.into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rpm::header::Value;

    fn tree() -> FileTree {
        let mut t = FileTree::new();
        t.insert("usr/bin/app", Entry::bytes(b"binary".to_vec()).mode(0o755))
            .unwrap();
        t.insert("usr/bin/app-alias", Entry::symlink("app"))
            .unwrap();
        t.insert(
            "usr/bin/app-hard",
            Entry::hardlink(RelPath::new("usr/bin/app").unwrap()),
        )
        .unwrap();
        t.insert("etc/app.conf", Entry::bytes(b"x=1\n".to_vec()).config())
            .unwrap();
        t.insert(
            "var/lib/app",
            Entry::dir().mode(0o750).names(Some("app"), Some("app")),
        )
        .unwrap();
        t
    }

    #[test]
    fn lists_explicit_entries_with_rpm_attributes() {
        let t = tree();
        let list = FileList::new(&t, &BTreeMap::new()).unwrap();
        let paths: Vec<&str> = list.records.iter().map(|r| r.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "/etc/app.conf",
                "/usr/bin/app",
                "/usr/bin/app-alias",
                "/usr/bin/app-hard",
                "/var/lib/app"
            ]
        );
        let by = |p: &str| list.records.iter().find(|r| r.path == p).unwrap();
        assert_eq!(
            by("/etc/app.conf").flags,
            tags::FILE_CONFIG | tags::FILE_NOREPLACE
        );
        assert_eq!(by("/usr/bin/app").mode, 0o100755);
        assert_eq!(
            by("/usr/bin/app-hard").mode,
            0o100755,
            "a hard link shares its inode"
        );
        assert_eq!(by("/usr/bin/app").inode, by("/usr/bin/app-hard").inode);
        assert_eq!(by("/usr/bin/app-alias").mode, 0o120777);
        assert_eq!(by("/usr/bin/app-alias").size, 3);
        assert_eq!(by("/var/lib/app").mode, 0o040750);
        assert_eq!(by("/var/lib/app").user, "app");
        // 4 (conf) + 6 (app, once for the set) + 3 (link target).
        assert_eq!(list.total, 13);
        assert!(!list.large());
    }

    #[test]
    fn payload_keeps_hard_link_sets_together_and_hashes_files() {
        let t = tree();
        let list = FileList::new(&t, &BTreeMap::new()).unwrap();
        let (payload, digests) = list
            .write_payload(Vec::new(), 1_700_000_000, &Monitor::default())
            .unwrap();
        let text = String::from_utf8_lossy(&payload);
        let order: Vec<usize> = [
            "./etc/app.conf",
            "./usr/bin/app-alias",
            "./var/lib/app",
            "./usr/bin/app\0",
            "./usr/bin/app-hard",
            "TRAILER!!!",
        ]
        .iter()
        .map(|n| text.find(n).unwrap_or_else(|| panic!("{n} missing")))
        .collect();
        assert!(order.windows(2).all(|w| w[0] < w[1]), "{order:?}");
        // Data travels with the last link only.
        let data_at = text.find("binary").unwrap();
        assert!(data_at > order[4] && data_at < order[5]);
        assert_eq!(text.matches("binary").count(), 1);
        let sha = consign_core::Digest::of(Algorithm::Sha256, b"binary").hex();
        assert_eq!(
            digests,
            [
                consign_core::Digest::of(Algorithm::Sha256, b"x=1\n").hex(),
                sha.clone(),
                String::new(),
                sha,
                String::new()
            ]
        );
        let mut h = Header::new(tags::HEADER_IMMUTABLE);
        list.put(&mut h, digests, 1_700_000_000);
        let got: BTreeMap<u32, Value> = h.entries().map(|(t, v)| (t, v.clone())).collect();
        let strings = |v: &[&str]| Value::StringArray(v.iter().map(|s| s.to_string()).collect());
        assert_eq!(
            got[&tags::DIRNAMES],
            strings(&["/etc/", "/usr/bin/", "/var/lib/"])
        );
        assert_eq!(got[&tags::DIRINDEXES], Value::Int32(vec![0, 1, 1, 1, 2]));
        assert_eq!(
            got[&tags::BASENAMES],
            strings(&["app.conf", "app", "app-alias", "app-hard", "app"])
        );
        assert_eq!(got[&tags::FILEINODES], Value::Int32(vec![1, 2, 3, 2, 5]));
        assert_eq!(got[&tags::SIZE], Value::Int32(vec![13]));
        assert!(!got.contains_key(&tags::LONGFILESIZES));
    }

    /// rpm reads a hard-link set as its members in header (path) order, the data with the
    /// last one (`rpmfiArchiveReadHeader`: content only for `links[nlink - 1]`), whichever
    /// member is the tree's file: a link sorting before its target changes nothing.
    #[test]
    fn a_link_sorting_before_its_target_follows_rpm_convention() {
        let mut t = FileTree::new();
        t.insert("usr/bin/zz", Entry::bytes(b"binary".to_vec()).mode(0o755))
            .unwrap();
        for link in ["usr/bin/aa", "usr/bin/mm"] {
            t.insert(link, Entry::hardlink(RelPath::new("usr/bin/zz").unwrap()))
                .unwrap();
        }
        let list = FileList::new(&t, &BTreeMap::new()).unwrap();
        let (payload, digests) = list
            .write_payload(Vec::new(), 1_700_000_000, &Monitor::default())
            .unwrap();
        let text = String::from_utf8_lossy(&payload);
        let at = |n: &str| text.find(n).unwrap_or_else(|| panic!("{n} missing"));
        let (aa, mm, zz) = (
            at("./usr/bin/aa\0"),
            at("./usr/bin/mm\0"),
            at("./usr/bin/zz\0"),
        );
        assert!(aa < mm && mm < zz);
        let data = at("binary");
        assert!(data > zz && text.matches("binary").count() == 1);
        // Every member: the file's mode, one inode, three links, the same digest.
        for r in &list.records {
            assert_eq!(r.mode, 0o100755, "{}", r.path);
            assert_eq!(r.inode, 1, "{}", r.path);
            assert_eq!(r.links, [0, 1, 2], "{}", r.path);
        }
        let sha = consign_core::Digest::of(Algorithm::Sha256, b"binary").hex();
        assert_eq!(digests, [sha.clone(), sha.clone(), sha]);
    }

    #[test]
    fn refuses_what_rpm_cannot_say() {
        let mut t = FileTree::new();
        t.insert("srv/data", Entry::dir().ids(1000, 1000).names(None, None))
            .unwrap();
        match FileList::new(&t, &BTreeMap::new()) {
            Err(Error::Rpm(RpmError::UnnamedOwner { path, kind, id })) => {
                assert_eq!((path.as_str(), kind, id), ("srv/data", "user", 1000));
            }
            other => panic!("{other:?}"),
        }
        let mut t = FileTree::new();
        t.insert("a", Entry::bytes(vec![1])).unwrap();
        let attrs = BTreeMap::from([(RelPath::new("b").unwrap(), FileAttrs::default())]);
        assert!(matches!(
            FileList::new(&t, &attrs),
            Err(Error::Rpm(RpmError::UnknownPath { path })) if path.as_str() == "b"
        ));
        let attrs = BTreeMap::from([(RelPath::new("a").unwrap(), FileAttrs::default().replace())]);
        assert!(matches!(
            FileList::new(&t, &attrs),
            Err(Error::Invalid { value, .. }) if value == "a"
        ));
    }
}
