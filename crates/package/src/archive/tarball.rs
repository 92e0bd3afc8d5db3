//! The tar stage: GNU-format headers for every entry of a [`FileTree`].
//!
//! Two layouts share it: [`Layout::Plain`] (archives: `usr/bin/app`, names and long-name
//! records as the `tar` crate writes them) and [`Layout::DotSlash`] (the data member of a
//! `.deb`: a `./` root entry, then `./usr/`, `./usr/bin/app`, hard-link targets prefixed the
//! same way, as `dpkg-deb` writes them). A [`FileTap`] sees the bytes of every regular file as
//! they stream past, so per-file digests cost no second read.

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
    /// A regular file begins.
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
    for (path, entry) in tree.iter() {
        append(&mut builder, path, entry, date, layout, tap, monitor)?;
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

fn append<W: Write>(
    builder: &mut tar::Builder<W>,
    path: &RelPath,
    entry: &Entry,
    date: SourceDate,
    layout: Layout,
    tap: &mut impl FileTap,
    monitor: &Monitor,
) -> Result<(), Error> {
    let entry_err = |source: io::Error| Error::entry(path, source);
    let mut h = header(entry, date, path)?;
    let dotted = |p: &RelPath| format!("./{p}");
    match entry.kind() {
        EntryKind::File { size, .. } => {
            h.set_entry_type(EntryType::Regular);
            h.set_size(*size);
            tap.begin(path);
            // Large reads: the copy into the tar stream goes through `dyn Write`, where the
            // standard library would otherwise read 8 KiB at a time.
            let capacity = usize::try_from(*size).unwrap_or(BUF).clamp(1, BUF);
            let data = BufReader::with_capacity(
                capacity,
                Tap {
                    inner: monitor.reader(entry.open().map_err(entry_err)?),
                    tap: &mut *tap,
                },
            );
            match layout {
                Layout::Plain => builder.append_data(&mut h, path.as_str(), data),
                Layout::DotSlash => append_named(builder, h, &dotted(path), None, data),
            }
            .map_err(entry_err)?;
            tap.end();
            Ok(())
        }
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
        EntryKind::Hardlink { target } => {
            h.set_entry_type(EntryType::Link);
            h.set_size(0);
            match layout {
                Layout::Plain => builder.append_link(&mut h, path.as_str(), target.as_str()),
                Layout::DotSlash => append_named(
                    builder,
                    h,
                    &dotted(path),
                    Some(&dotted(target)),
                    io::empty(),
                ),
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
