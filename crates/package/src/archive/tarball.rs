//! The tar stage: GNU-format headers for every entry of a [`FileTree`].

use std::io::{self, BufWriter, Write};

use consign_core::{Entry, EntryKind, FileTree, RelPath, SourceDate};
use tar::{EntryType, Header};

use super::ArchiveError;

const BUF: usize = 256 * 1024;

/// Writes `tree` as a tar stream into `out` and returns `out` (not flushed).
pub(crate) fn write<W: Write>(
    tree: &FileTree,
    date: SourceDate,
    out: W,
) -> Result<W, ArchiveError> {
    let mut builder = tar::Builder::new(BufWriter::with_capacity(BUF, out));
    for (path, entry) in tree.iter() {
        append(&mut builder, path, entry, date)?;
    }
    let output = |source| ArchiveError::Output { source };
    let buffered = builder.into_inner().map_err(output)?;
    buffered.into_inner().map_err(|e| output(e.into_error()))
}

fn append<W: Write>(
    builder: &mut tar::Builder<W>,
    path: &RelPath,
    entry: &Entry,
    date: SourceDate,
) -> Result<(), ArchiveError> {
    let entry_err = |source: io::Error| ArchiveError::Entry {
        path: path.clone(),
        source,
    };
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
            set(&mut h, name).map_err(|_| ArchiveError::OwnerName {
                path: path.clone(),
                name: name.clone(),
            })?;
        }
    }
    match entry.kind() {
        EntryKind::File { size, .. } => {
            h.set_entry_type(EntryType::Regular);
            h.set_size(*size);
            let data = entry.open().map_err(entry_err)?;
            builder
                .append_data(&mut h, path.as_str(), data)
                .map_err(entry_err)
        }
        EntryKind::Dir => {
            h.set_entry_type(EntryType::Directory);
            h.set_size(0);
            builder
                .append_data(&mut h, format!("{path}/"), io::empty())
                .map_err(entry_err)
        }
        EntryKind::Symlink { target } => {
            h.set_entry_type(EntryType::Symlink);
            h.set_size(0);
            builder
                .append_link(&mut h, path.as_str(), target)
                .map_err(entry_err)
        }
        EntryKind::Hardlink { target } => {
            h.set_entry_type(EntryType::Link);
            h.set_size(0);
            builder
                .append_link(&mut h, path.as_str(), target.as_str())
                .map_err(entry_err)
        }
        _ => Err(entry_err(io::Error::new(
            io::ErrorKind::Unsupported,
            "entry kind not supported in tar",
        ))),
    }
}
