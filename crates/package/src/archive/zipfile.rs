//! The zip writer: deflated entries with Unix modes, symlinks and exact mtimes.
//!
//! Built on the `zip` crate's streaming writer (data descriptors, no seeking), so the output
//! may go to a pipe or a hashing writer. Zip has no hard links: a hard link is stored as a copy
//! of its target's data, so extraction gives the same files.

use std::io::{self, BufWriter, Write};

use consign_core::{Entry, EntryKind, FileTree, Monitor, RelPath, SourceDate};
use zip::write::{FullFileOptions, SimpleFileOptions, ZipWriter};
use zip::{CompressionMethod, DateTime, System};

use super::ArchiveError;
use crate::Error;

const S_IFREG: u32 = 0o100000;
const S_IFDIR: u32 = 0o040000;
const S_IFLNK: u32 = 0o120000;
const DOS_DIR: u32 = 0x10;

/// Writes `tree` as a zip archive into `out` and returns `out` (not flushed).
pub(crate) fn write<W: Write>(
    tree: &FileTree,
    date: SourceDate,
    level: u32,
    monitor: &Monitor,
    out: W,
) -> Result<W, Error> {
    let mut zip = ZipWriter::new_stream(BufWriter::with_capacity(256 * 1024, out));
    let base = base_options(date, level);
    for (path, entry) in tree.iter() {
        append(&mut zip, tree, path, entry, &base, monitor)?;
    }
    let stream = zip.finish().map_err(|source| ArchiveError::Zip {
        path: "(central directory)".into(),
        source,
    })?;
    stream.into_inner().into_inner().map_err(|e| Error::Output {
        source: e.into_error(),
    })
}

fn base_options(date: SourceDate, level: u32) -> FullFileOptions<'static, 'static> {
    let dt = date.to_datetime();
    // DOS dates cover 1980..=2107 with two-second steps; the extended timestamp holds the exact
    // second for every reader that knows it (Info-ZIP, libarchive, 7-Zip).
    let dos = if dt.year() < 1980 {
        DateTime::default()
    } else {
        DateTime::from_date_and_time(
            u16::try_from(dt.year()).unwrap_or(2107).min(2107),
            dt.month().into(),
            dt.day(),
            dt.hour(),
            dt.minute(),
            dt.second(),
        )
        .unwrap_or_default()
    };
    let simple = SimpleFileOptions::default()
        .compression_method(CompressionMethod::Deflated)
        .compression_level(Some(i64::from(level)))
        .last_modified_time(dos)
        .system(System::Unix);
    match u32::try_from(date.unix()) {
        Ok(mtime) => simple
            .with_extended_timestamp(Some(mtime), None, None)
            .unwrap_or_else(|_| simple.into_full_options()),
        Err(_) => simple.into_full_options(),
    }
}

fn append<W: Write>(
    zip: &mut ZipWriter<zip::write::StreamWriter<W>>,
    tree: &FileTree,
    path: &RelPath,
    entry: &Entry,
    base: &FullFileOptions<'static, 'static>,
    monitor: &Monitor,
) -> Result<(), Error> {
    let zip_err = |source| -> Error {
        ArchiveError::Zip {
            path: path.to_string(),
            source,
        }
        .into()
    };
    let perms = entry.permissions();
    let options = |kind_bits: u32| base.clone().external_attributes((kind_bits | perms) << 16);
    match entry.kind() {
        EntryKind::File { .. } => write_file(zip, path, entry, options(S_IFREG), monitor),
        EntryKind::Hardlink { target } => {
            let target_entry = tree.get(target.as_str()).ok_or_else(|| Error::Entry {
                path: path.clone(),
                source: io::Error::new(io::ErrorKind::NotFound, "hard-link target missing"),
            })?;
            // The copy takes the target's mode: a hard link shares its target's inode.
            let opts = base
                .clone()
                .external_attributes((S_IFREG | target_entry.permissions()) << 16);
            write_file(zip, path, target_entry, opts, monitor)
        }
        EntryKind::Dir => zip
            .add_directory(
                format!("{path}/"),
                options(S_IFDIR).external_attributes(((S_IFDIR | perms) << 16) | DOS_DIR),
            )
            .map_err(zip_err),
        EntryKind::Symlink { target } => zip
            .add_symlink(path.as_str(), target, options(S_IFLNK))
            .map_err(zip_err),
        _ => Err(Error::Entry {
            path: path.clone(),
            source: io::Error::new(
                io::ErrorKind::Unsupported,
                "entry kind not supported in zip",
            ),
        }),
    }
}

fn write_file<W: Write>(
    zip: &mut ZipWriter<zip::write::StreamWriter<W>>,
    path: &RelPath,
    data: &Entry,
    options: FullFileOptions<'static, 'static>,
    monitor: &Monitor,
) -> Result<(), Error> {
    let size = data.size();
    // ZIP64 when the entry (or its deflated form, which can be slightly larger) may pass 4 GiB.
    let large = size.saturating_add(size / 1000 + 1024) >= u64::from(u32::MAX);
    zip.start_file(path.as_str(), options.large_file(large))
        .map_err(|source| ArchiveError::Zip {
            path: path.to_string(),
            source,
        })?;
    let entry_err = |source| Error::entry(path, source);
    let mut reader = monitor.reader(data.open().map_err(entry_err)?);
    io::copy(&mut reader, zip).map_err(entry_err)?;
    Ok(())
}
