//! The tar stage: GNU-format headers for every entry of a [`FileTree`].
//!
//! Two layouts share it: [`Layout::Plain`] (archives: `usr/bin/app`, names and long-name
//! records as the `tar` crate writes them) and [`Layout::DotSlash`] (the data member of a
//! `.deb`: a `./` root entry, then `./usr/`, `./usr/bin/app`, hard-link targets prefixed the
//! same way, as `dpkg-deb` writes them). A [`FileTap`] sees the bytes of every regular file as
//! they stream past, so per-file digests cost no second read.
//!
//! A hard-link set (a regular file and the [`EntryKind::Hardlink`] entries naming it) is
//! written the way extractors need it: the member that comes first in archive order carries
//! the data as a regular file, whether it is the file or one of its links, and every later
//! member is a link to that first name. GNU tar, bsdtar and dpkg resolve a link entry against
//! what they have already extracted, so a link written before its target would fail. Every
//! member carries the file's mode and owner: they share one inode.

use std::collections::BTreeMap;
use std::io::{self, BufReader, BufWriter, Read, Write};

use consign_core::{Entry, EntryKind, FileTree, Monitor, RelPath, SourceDate};
use tar::{EntryType, Header};

use crate::Error;

const BUF: usize = 256 * 1024;
/// Bytes a name or link name may take in the header itself before a GNU long-name record.
const NAME_FIELD: usize = 100;

/// How entry names are written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Layout {
    /// `usr/bin/app`, directories with a trailing `/`.
    Plain,
    /// `./`, `./usr/`, `./usr/bin/app`: the layout of a `.deb` data member.
    DotSlash,
}

/// Sees the data of each regular file while it is archived.
pub(crate) trait FileTap {
    /// The data of the tree's regular file `path` begins (written under `path`, or under the
    /// name of one of its hard links when that comes first in archive order).
    fn begin(&mut self, path: &RelPath);
    /// The next bytes of the current file.
    fn data(&mut self, chunk: &[u8]);
    /// The current file ended.
    fn end(&mut self);
}

/// A tap that looks at nothing.
pub(crate) struct NoTap;

impl FileTap for NoTap {
    fn begin(&mut self, _: &RelPath) {}
    fn data(&mut self, _: &[u8]) {}
    fn end(&mut self) {}
}

/// Writes `tree` as a tar stream into `out` and returns `out` (not flushed).
pub(crate) fn write<W: Write>(
    tree: &FileTree,
    date: SourceDate,
    monitor: &Monitor,
    out: W,
) -> Result<W, Error> {
    write_with(tree, date, Layout::Plain, &mut NoTap, monitor, out)
}

/// [`write`] with a layout and a tap.
pub(crate) fn write_with<W: Write>(
    tree: &FileTree,
    date: SourceDate,
    layout: Layout,
    tap: &mut impl FileTap,
    monitor: &Monitor,
    out: W,
) -> Result<W, Error> {
    let mut builder = tar::Builder::new(BufWriter::with_capacity(BUF, out));
    let output = |source| Error::Output { source };
    if layout == Layout::DotSlash {
        // The root directory, as dpkg-deb writes it: 0755 root/root.
        let mut h = Header::new_gnu();
        h.set_mtime(date.unix());
        h.set_mode(0o755);
        h.set_uid(0);
        h.set_gid(0);
        h.set_username("root").map_err(output)?;
        h.set_groupname("root").map_err(output)?;
        h.set_entry_type(EntryType::Directory);
        h.set_size(0);
        append_named(&mut builder, h, "./", None, io::empty()).map_err(output)?;
    }
    let links = LinkSets::of(tree);
    for (path, entry) in tree.iter() {
        let member = match entry.kind() {
            EntryKind::File { .. } | EntryKind::Hardlink { .. } => {
                let (file_path, file) = LinkSets::data_of(tree, path, entry)?;
                let first = links.first_name(file_path);
                if first == path {
                    Member::Data { file_path, file }
                } else {
                    Member::LinkTo { first, file }
                }
            }
            _ => Member::Other(entry),
        };
        append(&mut builder, path, member, date, layout, tap, monitor)?;
    }
    let buffered = builder.into_inner().map_err(output)?;
    buffered.into_inner().map_err(|e| output(e.into_error()))
}

/// A header with the entry's mode and owner and the source date as mtime.
fn header(entry: &Entry, date: SourceDate, path: &RelPath) -> Result<Header, Error> {
    let mut h = Header::new_gnu();
    h.set_mtime(date.unix());
    h.set_mode(entry.permissions());
    let owner = entry.owner();
    h.set_uid(owner.uid.into());
    h.set_gid(owner.gid.into());
    for (name, set) in [
        (
            &owner.user,
            Header::set_username as fn(&mut Header, &str) -> io::Result<()>,
        ),
        (&owner.group, Header::set_groupname),
    ] {
        if let Some(name) = name {
            set(&mut h, name).map_err(|_| Error::OwnerName {
                path: path.clone(),
                name: name.clone(),
            })?;
        }
    }
    Ok(h)
}

/// The hard-link sets of a tree: for each regular file that has hard links, the member of
/// its set that comes first in path order (the archive's order).
struct LinkSets<'t> {
    first: BTreeMap<&'t RelPath, &'t RelPath>,
}

impl<'t> LinkSets<'t> {
    fn of(tree: &'t FileTree) -> LinkSets<'t> {
        let mut first: BTreeMap<&RelPath, &RelPath> = BTreeMap::new();
        for (path, entry) in tree.iter() {
            if let EntryKind::Hardlink { target } = entry.kind() {
                let f = first.entry(target).or_insert(target);
                if path < *f {
                    *f = path;
                }
            }
        }
        LinkSets { first }
    }

    /// The first name of the set of the regular file `file_path` (itself when unlinked).
    fn first_name(&self, file_path: &'t RelPath) -> &'t RelPath {
        self.first.get(file_path).copied().unwrap_or(file_path)
    }

    /// The regular file whose data `entry` (a file or a hard link) stands for.
    fn data_of(
        tree: &'t FileTree,
        path: &'t RelPath,
        entry: &'t Entry,
    ) -> Result<(&'t RelPath, &'t Entry), Error> {
        match entry.kind() {
            EntryKind::Hardlink { target } => match tree.get(target.as_str()) {
                Some(file) if matches!(file.kind(), EntryKind::File { .. }) => Ok((target, file)),
                _ => Err(Error::entry(
                    path,
                    io::Error::new(
                        io::ErrorKind::NotFound,
                        format!("hard-link target {target} is not a regular file of the tree"),
                    ),
                )),
            },
            _ => Ok((path, entry)),
        }
    }
}

/// How one entry of the tree is written.
enum Member<'t> {
    /// The data of the regular file `file_path` (`file`), under this entry's name.
    Data {
        file_path: &'t RelPath,
        file: &'t Entry,
    },
    /// A hard link to `first`, the name that carried the data of `file`.
    LinkTo { first: &'t RelPath, file: &'t Entry },
    /// A directory or symlink.
    Other(&'t Entry),
}

fn append<W: Write>(
    builder: &mut tar::Builder<W>,
    path: &RelPath,
    member: Member<'_>,
    date: SourceDate,
    layout: Layout,
    tap: &mut impl FileTap,
    monitor: &Monitor,
) -> Result<(), Error> {
    let entry_err = |source: io::Error| Error::entry(path, source);
    let dotted = |p: &RelPath| format!("./{p}");
    let entry = match member {
        Member::Data { file_path, file } => {
            let mut h = header(file, date, path)?;
            let size = file.size();
            h.set_entry_type(EntryType::Regular);
            h.set_size(size);
            tap.begin(file_path);
            // Large reads: the copy into the tar stream goes through `dyn Write`, where the
            // standard library would otherwise read 8 KiB at a time.
            let capacity = usize::try_from(size).unwrap_or(BUF).clamp(1, BUF);
            let data = BufReader::with_capacity(
                capacity,
                Tap {
                    inner: monitor.reader(file.open().map_err(entry_err)?),
                    tap: &mut *tap,
                },
            );
            match layout {
                Layout::Plain => builder.append_data(&mut h, path.as_str(), data),
                Layout::DotSlash => append_named(builder, h, &dotted(path), None, data),
            }
            .map_err(entry_err)?;
            tap.end();
            return Ok(());
        }
        Member::LinkTo { first, file } => {
            let mut h = header(file, date, path)?;
            h.set_entry_type(EntryType::Link);
            h.set_size(0);
            return match layout {
                Layout::Plain => builder.append_link(&mut h, path.as_str(), first.as_str()),
                Layout::DotSlash => {
                    append_named(builder, h, &dotted(path), Some(&dotted(first)), io::empty())
                }
            }
            .map_err(entry_err);
        }
        Member::Other(entry) => entry,
    };
    let mut h = header(entry, date, path)?;
    match entry.kind() {
        EntryKind::Dir => {
            h.set_entry_type(EntryType::Directory);
            h.set_size(0);
            match layout {
                Layout::Plain => builder.append_data(&mut h, format!("{path}/"), io::empty()),
                Layout::DotSlash => {
                    append_named(builder, h, &format!("./{path}/"), None, io::empty())
                }
            }
            .map_err(entry_err)
        }
        EntryKind::Symlink { target } => {
            h.set_entry_type(EntryType::Symlink);
            h.set_size(0);
            match layout {
                Layout::Plain => builder.append_link(&mut h, path.as_str(), target),
                Layout::DotSlash => {
                    append_named(builder, h, &dotted(path), Some(target), io::empty())
                }
            }
            .map_err(entry_err)
        }
        _ => Err(entry_err(io::Error::new(
            io::ErrorKind::Unsupported,
            "entry kind not supported in tar",
        ))),
    }
}

/// Appends `h` under `name` (and `link`) written byte for byte, with GNU long-name (`L`) and
/// long-link (`K`) records for what does not fit in the 100-byte fields.
fn append_named<W: Write>(
    builder: &mut tar::Builder<W>,
    mut h: Header,
    name: &str,
    link: Option<&str>,
    data: impl Read,
) -> io::Result<()> {
    for (text, kind) in [(Some(name), b'L'), (link, b'K')] {
        let Some(text) = text else { continue };
        let bytes = text.as_bytes();
        let field = match kind {
            b'L' => &mut h.as_old_mut().name,
            _ => &mut h.as_old_mut().linkname,
        };
        if bytes.len() <= NAME_FIELD {
            field[..bytes.len()].copy_from_slice(bytes);
        } else {
            // The header keeps the first 100 bytes, as GNU tar does; readers take the record.
            field.copy_from_slice(&bytes[..NAME_FIELD]);
            let mut long = Header::new_gnu();
            let marker = b"././@LongLink";
            long.as_old_mut().name[..marker.len()].copy_from_slice(marker);
            long.set_mode(0o644);
            long.set_uid(0);
            long.set_gid(0);
            long.set_mtime(0);
            long.set_size(bytes.len() as u64 + 1);
            long.set_entry_type(EntryType::new(kind));
            long.set_cksum();
            builder.append(&long, bytes.chain(&[0u8][..]))?;
        }
    }
    h.set_cksum();
    builder.append(&h, data)
}

/// A reader that shows every byte it yields to a [`FileTap`].
struct Tap<'t, R, T: FileTap> {
    inner: R,
    tap: &'t mut T,
}

impl<R: Read, T: FileTap> Read for Tap<'_, R, T> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.tap.data(&buf[..n]);
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Records which file's data begins, and how many bytes pass.
    #[derive(Default)]
    struct Seen(Vec<(String, usize)>);

    impl FileTap for Seen {
        fn begin(&mut self, path: &RelPath) {
            self.0.push((path.to_string(), 0));
        }
        fn data(&mut self, chunk: &[u8]) {
            if let Some(last) = self.0.last_mut() {
                last.1 += chunk.len();
            }
        }
        fn end(&mut self) {}
    }

    /// (name, type, link name, mode, data) of every entry.
    fn entries(tar: &[u8]) -> Vec<(String, EntryType, String, u32, Vec<u8>)> {
        let mut archive = tar::Archive::new(tar);
        archive
            .entries()
            .unwrap()
            .map(|e| {
                let mut e = e.unwrap();
                let name = e.path().unwrap().to_string_lossy().into_owned();
                let link = e
                    .link_name()
                    .unwrap()
                    .map(|l| l.to_string_lossy().into_owned())
                    .unwrap_or_default();
                let kind = e.header().entry_type();
                let mode = e.header().mode().unwrap();
                let mut data = Vec::new();
                e.read_to_end(&mut data).unwrap();
                (name, kind, link, mode, data)
            })
            .collect()
    }

    #[test]
    fn the_first_member_of_a_hard_link_set_carries_the_data() {
        let mut tree = FileTree::new();
        tree.insert("bin/tool", Entry::bytes(b"program".to_vec()).mode(0o755))
            .unwrap();
        // Links on both sides of their target, one in a directory that sorts first.
        let target = RelPath::new("bin/tool").unwrap();
        for link in ["bin/alias", "bin/zz", "a/early"] {
            tree.insert(link, Entry::hardlink(target.clone())).unwrap();
        }
        tree.insert("bin/plain", Entry::bytes(b"p".to_vec()))
            .unwrap();

        let tar = write(
            &tree,
            SourceDate::from_unix(0),
            &Monitor::default(),
            Vec::new(),
        )
        .unwrap();
        let got = entries(&tar);
        let files: Vec<_> = got
            .iter()
            .filter(|e| e.1 != EntryType::Directory)
            .map(|(n, k, l, m, d)| (n.as_str(), *k, l.as_str(), *m, d.as_slice()))
            .collect();
        assert_eq!(
            files,
            [
                ("a/early", EntryType::Regular, "", 0o755, &b"program"[..]),
                ("bin/alias", EntryType::Link, "a/early", 0o755, &b""[..]),
                ("bin/plain", EntryType::Regular, "", 0o644, &b"p"[..]),
                ("bin/tool", EntryType::Link, "a/early", 0o755, &b""[..]),
                ("bin/zz", EntryType::Link, "a/early", 0o755, &b""[..]),
            ]
        );

        // The .deb layout: `./` names, and the tap sees the data once, as the file's.
        let mut seen = Seen::default();
        let tar = write_with(
            &tree,
            SourceDate::from_unix(0),
            Layout::DotSlash,
            &mut seen,
            &Monitor::default(),
            Vec::new(),
        )
        .unwrap();
        assert_eq!(
            seen.0,
            [("bin/tool".to_owned(), 7), ("bin/plain".to_owned(), 1)]
        );
        let got = entries(&tar);
        let early = got.iter().find(|e| e.0 == "./a/early").unwrap();
        assert_eq!(
            (early.1, early.4.as_slice()),
            (EntryType::Regular, &b"program"[..])
        );
        let tool = got.iter().find(|e| e.0 == "./bin/tool").unwrap();
        assert_eq!((tool.1, tool.2.as_str()), (EntryType::Link, "./a/early"));
    }

    #[test]
    fn a_file_before_its_links_stays_the_file() {
        let mut tree = FileTree::new();
        tree.insert("a", Entry::bytes(b"data".to_vec())).unwrap();
        tree.insert("b", Entry::hardlink(RelPath::new("a").unwrap()))
            .unwrap();
        let tar = write(
            &tree,
            SourceDate::from_unix(0),
            &Monitor::default(),
            Vec::new(),
        )
        .unwrap();
        let got = entries(&tar);
        assert_eq!((got[0].0.as_str(), got[0].1), ("a", EntryType::Regular));
        assert_eq!(got[0].4, b"data");
        assert_eq!(
            (got[1].0.as_str(), got[1].1, got[1].2.as_str()),
            ("b", EntryType::Link, "a")
        );
    }
}
