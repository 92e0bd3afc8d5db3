//! [`HfsVolume`]: an HFS+ (or case-sensitive HFSX) volume written from a [`FileTree`].
//!
//! The volume is laid out before a byte is written: allocation blocks of 4096 bytes, the
//! first holding the volume header, then the allocation bitmap, the (empty) extents-overflow
//! B-tree, the catalog B-tree, every file's data in one contiguous extent, free space when a
//! larger volume is asked for, and the alternate volume header in the last block. Only the
//! catalog is held in memory (about 300 bytes per entry); file data is streamed from the
//! tree, so memory does not grow with the payload. Files larger than 4 GiB are one extent.
//!
//! Directories, regular files, symbolic links (a file of type `slnk`, creator `rhap`, whose
//! data is the target, as macOS writes them) and hard links (TN1150's indirect node files
//! `iNode<n>` in the hidden `\0\0\0\0HFS+ Private Data` folder, each link a file of type
//! `hlnk`, creator `hfs+`) keep their POSIX modes, owners and the source date. The volume is
//! journal-less: a read-only image needs no journal, and the unmounted bit is set. No
//! published Rust crate writes HFS+, hence this module.
//!
//! ```
//! use consign_core::{Entry, FileTree, SourceDate};
//! use consign_package::dmg::{HfsOptions, HfsVolume};
//!
//! let mut tree = FileTree::new();
//! tree.insert("hello", Entry::bytes(b"#!/bin/sh\necho hello\n".to_vec()).mode(0o755))?;
//! let volume = HfsVolume::new(&tree, SourceDate::from_unix(1_700_000_000), HfsOptions::new("Hello"))?;
//! let mut raw = Vec::new();
//! volume.write_to(&mut raw, &Default::default())?;
//! assert_eq!(raw.len() as u64, volume.size());
//! assert_eq!(&raw[1024..1026], b"H+");
//! # Ok::<(), consign_package::Error>(())
//! ```

mod btree;
mod catalog;
mod header;
mod unicode;

use std::collections::{BTreeMap, HashMap};
use std::io::{self, Read, Write};

use consign_core::{Entry, EntryKind, FileTree, Monitor, RelPath, SourceDate};

use self::btree::{BIG_KEYS, Record, TreeKind, VARIABLE_INDEX_KEYS};
use self::catalog::{Common, Extent, FinderFile, Fork, S_IFDIR, S_IFLNK, S_IFREG};
use self::header::VolumeHeader;
use super::DmgError;
use crate::Error;

/// The allocation block size.
pub(crate) const BLOCK: u64 = 4096;

/// Seconds from 1904-01-01 (HFS+ time) to 1970-01-01.
const HFS_EPOCH_OFFSET: u64 = 2_082_844_800;

/// The hidden folder holding the data of hard-linked files.
const PRIVATE_DIR: &str = "\0\0\0\0HFS+ Private Data";

/// How the volume is made.
#[derive(Clone, Debug)]
pub struct HfsOptions {
    name: String,
    case_sensitive: bool,
    size: Option<u64>,
}

impl HfsOptions {
    /// A case-insensitive HFS+ volume named `name`, just large enough for the tree.
    pub fn new(name: impl Into<String>) -> HfsOptions {
        HfsOptions {
            name: name.into(),
            case_sensitive: false,
            size: None,
        }
    }

    /// A case-sensitive HFSX volume instead (names compared by code unit).
    #[must_use]
    pub fn case_sensitive(mut self, yes: bool) -> HfsOptions {
        self.case_sensitive = yes;
        self
    }

    /// A volume of `bytes` (rounded down to whole 4096-byte blocks): free space beyond the
    /// tree, or [`DmgError::VolumeTooSmall`] when the tree does not fit.
    #[must_use]
    pub fn size(mut self, bytes: u64) -> HfsOptions {
        self.size = Some(bytes);
        self
    }

    /// The volume name.
    pub fn name(&self) -> &str {
        &self.name
    }
}

/// An HFS+ volume planned from a tree: see the [module documentation](self).
pub struct HfsVolume<'a> {
    items: Vec<Item<'a>>,
    catalog: Vec<u8>,
    extents: Vec<u8>,
    header: VolumeHeader,
    total_blocks: u64,
    /// The first block after the file data.
    data_end: u64,
}

/// One catalog entry besides the root.
struct Item<'a> {
    id: u32,
    parent: u32,
    name: Vec<u16>,
    uid: u32,
    gid: u32,
    mode: u16,
    kind: ItemKind<'a>,
    /// The tree path (`None` for the private folder; an indirect node file carries the path
    /// of the file whose data it holds).
    path: Option<RelPath>,
}

enum ItemKind<'a> {
    Folder {
        valence: u32,
        hidden: bool,
    },
    /// A regular file or an indirect node file (`links` > 0) with its data.
    File {
        entry: &'a Entry,
        fork: Fork,
        links: u32,
    },
    Symlink {
        target: &'a str,
        fork: Fork,
    },
    /// A hard link to the indirect node file `inode`.
    Link {
        inode: u32,
    },
}

impl ItemKind<'_> {
    fn fork_mut(&mut self) -> Option<&mut Fork> {
        match self {
            ItemKind::File { fork, .. } | ItemKind::Symlink { fork, .. } => Some(fork),
            _ => None,
        }
    }
}

impl<'a> HfsVolume<'a> {
    /// Plans the volume: names, identifiers, the catalog and where every file goes.
    pub fn new(
        tree: &'a FileTree,
        date: SourceDate,
        options: HfsOptions,
    ) -> Result<HfsVolume<'a>, Error> {
        let hfs_date = u32::try_from(date.unix() + HFS_EPOCH_OFFSET)
            .map_err(|_| DmgError::Date { unix: date.unix() })?;
        let volume_name = unicode::encode(&options.name).map_err(|p| name_error(".", p))?;
        let mut items = plan_items(tree)?;
        check_names(&items, options.case_sensitive)?;

        // Lay the data out after the metadata, whose size does not depend on where data goes.
        let catalog_kind = TreeKind {
            node_size: 4096,
            max_key_length: 516,
            attributes: BIG_KEYS | VARIABLE_INDEX_KEYS,
            key_compare: if options.case_sensitive { 0xBC } else { 0xCF },
        };
        let extents_kind = TreeKind {
            node_size: 4096,
            max_key_length: 10,
            attributes: BIG_KEYS,
            key_compare: 0,
        };
        let extents = btree::build(extents_kind, &[]);
        let catalog_len = btree::build(
            catalog_kind,
            &records(&items, &volume_name, hfs_date, options.case_sensitive),
        )
        .len() as u64;
        let data_blocks: u64 = items
            .iter()
            .map(|i| match &i.kind {
                ItemKind::File { entry, .. } => blocks(entry.size()),
                ItemKind::Symlink { target, .. } => blocks(target.len() as u64),
                _ => 0,
            })
            .sum();
        let meta_blocks = blocks(extents.len() as u64) + blocks(catalog_len);
        // Block 0 (boot blocks and header), bitmap, metadata, data, last block (alternate
        // header); the bitmap's own size depends on the total.
        let mut bitmap_blocks = 1;
        let needed = loop {
            let total = 1 + bitmap_blocks + meta_blocks + data_blocks + 1;
            let need = total.div_ceil(BLOCK * 8);
            if need <= bitmap_blocks {
                break total;
            }
            bitmap_blocks = need;
        };
        let total_blocks = match options.size {
            None => needed,
            Some(asked) => {
                let total = asked / BLOCK;
                if total < needed || total.div_ceil(BLOCK * 8) > bitmap_blocks {
                    // A larger volume needs a larger bitmap: recompute with room for it.
                    let bitmap = total.div_ceil(BLOCK * 8);
                    let need = 1 + bitmap + meta_blocks + data_blocks + 1;
                    if total < need {
                        return Err(DmgError::VolumeTooSmall {
                            needed: need.max(needed) * BLOCK,
                            asked,
                        }
                        .into());
                    }
                    bitmap_blocks = bitmap;
                }
                total
            }
        };
        if total_blocks > u64::from(u32::MAX) {
            return Err(DmgError::VolumeTooLarge {
                blocks: total_blocks,
            }
            .into());
        }
        let extents_start = 1 + bitmap_blocks;
        let catalog_start = extents_start + blocks(extents.len() as u64);
        let mut next = catalog_start + blocks(catalog_len);
        for item in &mut items {
            let len = match &item.kind {
                ItemKind::File { entry, .. } => entry.size(),
                ItemKind::Symlink { target, .. } => target.len() as u64,
                _ => continue,
            };
            let count = blocks(len);
            if let Some(fork) = item.kind.fork_mut() {
                *fork = Fork {
                    size: len,
                    extent: if count == 0 {
                        Extent::default()
                    } else {
                        Extent {
                            start: next as u32,
                            blocks: count as u32,
                        }
                    },
                };
            }
            next += count;
        }
        let data_end = next;
        let catalog = btree::build(
            catalog_kind,
            &records(&items, &volume_name, hfs_date, options.case_sensitive),
        );
        let used_blocks = data_end + 1;
        let header = VolumeHeader {
            case_sensitive: options.case_sensitive,
            date: hfs_date,
            files: items
                .iter()
                .filter(|i| !matches!(i.kind, ItemKind::Folder { .. }))
                .count() as u32,
            folders: items
                .iter()
                .filter(|i| matches!(i.kind, ItemKind::Folder { .. }))
                .count() as u32,
            total_blocks: total_blocks as u32,
            free_blocks: (total_blocks - used_blocks) as u32,
            next_id: items.last().map_or(catalog::FIRST_USER_ID, |i| i.id + 1),
            volume_id: volume_id(&catalog),
            bitmap: fork_at(1, bitmap_blocks, total_blocks.div_ceil(8)),
            extents: fork_at(
                extents_start,
                blocks(extents.len() as u64),
                extents.len() as u64,
            ),
            catalog: fork_at(catalog_start, blocks(catalog_len), catalog_len),
        };
        Ok(HfsVolume {
            items,
            catalog,
            extents,
            header,
            total_blocks,
            data_end,
        })
    }

    /// The volume's size in bytes.
    pub fn size(&self) -> u64 {
        self.total_blocks * BLOCK
    }

    /// Streams the volume into `out`, reading each file of the tree once; returns the bytes
    /// written ([`HfsVolume::size`]). The file data read is reported to `monitor`.
    pub fn write_to(&self, mut out: impl Write, monitor: &Monitor) -> Result<u64, Error> {
        let output = |source| Error::Output { source };
        let header = self.header.encode();
        let mut block0 = vec![0u8; BLOCK as usize];
        block0[1024..1536].copy_from_slice(&header);
        out.write_all(&block0).map_err(output)?;
        self.write_bitmap(&mut out).map_err(output)?;
        write_padded(&mut out, &self.extents).map_err(output)?;
        write_padded(&mut out, &self.catalog).map_err(output)?;
        let mut buf = vec![0u8; 256 * 1024];
        for item in &self.items {
            match &item.kind {
                ItemKind::File { entry, fork, .. } => {
                    monitor.check()?;
                    let path = item.path.clone();
                    copy_entry(entry, fork.size, &mut out, &mut buf, monitor, path)?;
                }
                ItemKind::Symlink { target, .. } => {
                    write_padded(&mut out, target.as_bytes()).map_err(output)?
                }
                _ => {}
            }
        }
        // Free space, then the last block with the alternate header 1024 bytes from the end.
        let free = self.total_blocks - self.data_end - 1;
        let zeros = vec![0u8; BLOCK as usize];
        for _ in 0..free {
            out.write_all(&zeros).map_err(output)?;
        }
        let mut last = vec![0u8; BLOCK as usize];
        last[3072..3584].copy_from_slice(&header);
        out.write_all(&last).map_err(output)?;
        Ok(self.size())
    }

    /// The allocation bitmap: every block up to the end of the data, and the last one.
    fn write_bitmap(&self, out: &mut impl Write) -> io::Result<()> {
        let len = self.header.bitmap.extent.blocks as usize * BLOCK as usize;
        let mut bitmap = vec![0u8; len];
        let mut set = |block: u64| bitmap[(block / 8) as usize] |= 0x80 >> (block % 8);
        for block in 0..self.data_end {
            set(block);
        }
        set(self.total_blocks - 1);
        out.write_all(&bitmap)
    }
}

/// Every entry of the tree as a catalog item, identifiers given in path order; hard-linked
/// files become links to indirect node files in the private folder.
fn plan_items(tree: &FileTree) -> Result<Vec<Item<'_>>, Error> {
    let mut ids: HashMap<&RelPath, u32> = HashMap::new();
    let mut next = catalog::FIRST_USER_ID;
    for (path, _) in tree.iter() {
        ids.insert(path, next);
        next += 1;
    }
    // Files that hard links point at, with every path naming them.
    let mut linked: BTreeMap<RelPath, u32> = BTreeMap::new();
    for (path, entry) in tree.iter() {
        if let EntryKind::Hardlink { target } = entry.kind() {
            match tree.get(target.as_str()).map(Entry::kind) {
                Some(EntryKind::File { .. }) => *linked.entry(target.clone()).or_insert(1) += 1,
                _ => {
                    return Err(DmgError::HardLink {
                        path: path.clone(),
                        target: target.clone(),
                    }
                    .into());
                }
            }
        }
    }
    let mut items = Vec::with_capacity(tree.len() + linked.len() + 1);
    for (path, entry) in tree.iter() {
        let name = unicode::encode(path.file_name()).map_err(|p| name_error(path.as_str(), p))?;
        let parent = path.parent().map_or(catalog::ROOT, |p| ids[&p]);
        let perms = (entry.permissions() & 0o7777) as u16;
        let kind = match entry.kind() {
            EntryKind::Dir => ItemKind::Folder {
                valence: 0,
                hidden: false,
            },
            EntryKind::Symlink { target } => ItemKind::Symlink {
                target,
                fork: Fork::default(),
            },
            EntryKind::File { .. } if linked.contains_key(path) => ItemKind::Link { inode: 0 },
            EntryKind::Hardlink { .. } => ItemKind::Link { inode: 0 },
            _ => ItemKind::File {
                entry,
                fork: Fork::default(),
                links: 0,
            },
        };
        let type_bits = match kind {
            ItemKind::Folder { .. } => S_IFDIR,
            ItemKind::Symlink { .. } => S_IFLNK,
            _ => S_IFREG,
        };
        let mode = if matches!(kind, ItemKind::Symlink { .. }) {
            S_IFLNK | 0o755
        } else {
            type_bits | perms
        };
        items.push(Item {
            id: ids[path],
            parent,
            name,
            uid: entry.owner().uid,
            gid: entry.owner().gid,
            mode,
            kind,
            path: Some(path.clone()),
        });
    }
    if !linked.is_empty() {
        let private = next;
        next += 1;
        items.push(Item {
            id: private,
            parent: catalog::ROOT,
            name: PRIVATE_DIR.encode_utf16().collect(),
            uid: 0,
            gid: 0,
            mode: S_IFDIR,
            kind: ItemKind::Folder {
                valence: 0,
                hidden: true,
            },
            path: None,
        });
        let mut inodes: HashMap<RelPath, u32> = HashMap::new();
        for (target, &links) in &linked {
            let id = next;
            next += 1;
            inodes.insert(target.clone(), id);
            let entry = tree
                .get(target.as_str())
                .ok_or_else(|| DmgError::HardLink {
                    path: target.clone(),
                    target: target.clone(),
                })?;
            items.push(Item {
                id,
                parent: private,
                name: format!("iNode{id}").encode_utf16().collect(),
                uid: entry.owner().uid,
                gid: entry.owner().gid,
                mode: S_IFREG | (entry.permissions() & 0o7777) as u16,
                kind: ItemKind::File {
                    entry,
                    fork: Fork::default(),
                    links,
                },
                path: Some(target.clone()),
            });
        }
        for item in &mut items {
            let Some(path) = &item.path else { continue };
            if let ItemKind::Link { inode } = &mut item.kind {
                let target = match tree.get(path.as_str()).map(Entry::kind) {
                    Some(EntryKind::Hardlink { target }) => target,
                    _ => path,
                };
                *inode = inodes.get(target).copied().unwrap_or_default();
            }
        }
    }
    // Folder valences: the number of direct children.
    let mut valence: HashMap<u32, u32> = HashMap::new();
    for item in &items {
        *valence.entry(item.parent).or_default() += 1;
    }
    for item in &mut items {
        if let ItemKind::Folder { valence: v, .. } = &mut item.kind {
            *v = valence.get(&item.id).copied().unwrap_or(0);
        }
    }
    Ok(items)
}

/// Refuses two names of one folder that the volume takes as the same.
fn check_names(items: &[Item<'_>], case_sensitive: bool) -> Result<(), Error> {
    let mut by_parent: BTreeMap<u32, Vec<&Item<'_>>> = BTreeMap::new();
    for item in items {
        by_parent.entry(item.parent).or_default().push(item);
    }
    for siblings in by_parent.values_mut() {
        siblings.sort_by(|a, b| unicode::compare(&a.name, &b.name, case_sensitive));
        for pair in siblings.windows(2) {
            if unicode::compare(&pair[0].name, &pair[1].name, case_sensitive).is_eq() {
                let path = |i: &Item<'_>| i.path.clone();
                if let (Some(path), Some(other)) = (path(pair[1]), path(pair[0])) {
                    return Err(DmgError::NameClash { path, other }.into());
                }
            }
        }
    }
    Ok(())
}

/// The catalog's records in key order: the root folder, then every item, each with its
/// thread record.
fn records(items: &[Item<'_>], volume: &[u16], date: u32, case_sensitive: bool) -> Vec<Record> {
    let root_valence = items.iter().filter(|i| i.parent == catalog::ROOT).count() as u32;
    let root = Common {
        id: catalog::ROOT,
        date,
        uid: 0,
        gid: 0,
        mode: S_IFDIR | 0o755,
        special: 0,
    };
    let mut keyed: Vec<(u32, &[u16], Record)> = Vec::with_capacity(2 * items.len() + 2);
    keyed.push((
        catalog::ROOT_PARENT,
        volume,
        catalog::folder(
            catalog::key(catalog::ROOT_PARENT, volume),
            &root,
            root_valence,
            false,
        ),
    ));
    keyed.push((
        catalog::ROOT,
        &[],
        catalog::thread(catalog::ROOT, true, catalog::ROOT_PARENT, volume),
    ));
    for item in items {
        let mut common = Common {
            id: item.id,
            date,
            uid: item.uid,
            gid: item.gid,
            mode: item.mode,
            special: 0,
        };
        let key = catalog::key(item.parent, &item.name);
        let record = match &item.kind {
            ItemKind::Folder { valence, hidden } => {
                catalog::folder(key, &common, *valence, *hidden)
            }
            ItemKind::File { fork, links, .. } => {
                common.special = *links;
                catalog::file(key, &common, FinderFile::default(), *fork)
            }
            ItemKind::Symlink { fork, .. } => {
                let finder = FinderFile {
                    file_type: *b"slnk",
                    creator: *b"rhap",
                    flags: 0,
                };
                catalog::file(key, &common, finder, *fork)
            }
            ItemKind::Link { inode } => {
                common.special = *inode;
                let finder = FinderFile {
                    file_type: *b"hlnk",
                    creator: *b"hfs+",
                    // kIsAlias is not set; kHasBeenInited keeps the Finder from rewriting it.
                    flags: 0x0100,
                };
                catalog::file(key, &common, finder, Fork::default())
            }
        };
        let folder = matches!(item.kind, ItemKind::Folder { .. });
        keyed.push((item.parent, &item.name, record));
        keyed.push((
            item.id,
            &[],
            catalog::thread(item.id, folder, item.parent, &item.name),
        ));
    }
    keyed.sort_by(|a, b| {
        a.0.cmp(&b.0)
            .then_with(|| unicode::compare(a.1, b.1, case_sensitive))
    });
    keyed.into_iter().map(|(_, _, r)| r).collect()
}

fn name_error(path: &str, problem: unicode::NameProblem) -> Error {
    let unicode::NameProblem::TooLong(units) = problem;
    DmgError::NameTooLong {
        path: path.to_owned(),
        units,
    }
    .into()
}

fn blocks(bytes: u64) -> u64 {
    bytes.div_ceil(BLOCK)
}

fn fork_at(start: u64, count: u64, size: u64) -> Fork {
    Fork {
        size,
        extent: Extent {
            start: start as u32,
            blocks: count as u32,
        },
    }
}

/// A 64-bit volume identifier derived from the catalog (so from the tree and the date).
fn volume_id(catalog: &[u8]) -> u64 {
    let digest = consign_core::Digest::of(consign_core::Algorithm::Sha256, catalog);
    let mut id = [0u8; 8];
    id.copy_from_slice(&digest.as_bytes()[..8]);
    u64::from_be_bytes(id)
}

/// Writes `bytes` and zeros up to the next block boundary.
fn write_padded(out: &mut impl Write, bytes: &[u8]) -> io::Result<()> {
    out.write_all(bytes)?;
    let pad = (BLOCK - bytes.len() as u64 % BLOCK) % BLOCK;
    out.write_all(&vec![0u8; pad as usize])
}

/// Streams one file's data (exactly `size` bytes) and pads it to a whole block.
fn copy_entry(
    entry: &Entry,
    size: u64,
    out: &mut impl Write,
    buf: &mut [u8],
    monitor: &Monitor,
    path: Option<RelPath>,
) -> Result<(), Error> {
    let entry_error = |source| match &path {
        Some(path) => Error::Entry {
            path: path.clone(),
            source,
        },
        None => Error::Output { source },
    };
    let mut reader = entry.open().map_err(entry_error)?;
    let mut left = size;
    loop {
        let n = reader.read(buf).map_err(entry_error)?;
        if n == 0 {
            break;
        }
        out.write_all(&buf[..n])
            .map_err(|source| Error::Output { source })?;
        monitor.advance(n as u64);
        left = left.saturating_sub(n as u64);
    }
    if left != 0 {
        return Err(entry_error(io::Error::new(
            io::ErrorKind::InvalidData,
            "file shorter than recorded",
        )));
    }
    let pad = (BLOCK - size % BLOCK) % BLOCK;
    out.write_all(&vec![0u8; pad as usize])
        .map_err(|source| Error::Output { source })
}

#[cfg(test)]
mod tests;
