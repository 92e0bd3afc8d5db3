#![allow(clippy::unwrap_used)]

use super::*;

fn date() -> SourceDate {
    SourceDate::from_unix(1_700_000_000)
}

fn sample() -> FileTree {
    let mut tree = FileTree::new();
    tree.insert("bin/hello", Entry::bytes(vec![7u8; 5000]).mode(0o755))
        .unwrap();
    tree.insert("README", Entry::bytes(b"hi\n".to_vec()))
        .unwrap();
    tree.insert("bin/hi", Entry::symlink("hello")).unwrap();
    tree.insert("empty", Entry::bytes(Vec::new())).unwrap();
    tree
}

fn be32(b: &[u8], at: usize) -> u32 {
    u32::from_be_bytes(b[at..at + 4].try_into().unwrap())
}

fn raw(tree: &FileTree, options: HfsOptions) -> Vec<u8> {
    let volume = HfsVolume::new(tree, date(), options).unwrap();
    let mut out = Vec::new();
    assert_eq!(
        volume.write_to(&mut out, &Monitor::default()).unwrap(),
        volume.size()
    );
    assert_eq!(out.len() as u64, volume.size());
    out
}

#[test]
fn header_counts_and_alternate_copy() {
    let out = raw(&sample(), HfsOptions::new("Sample"));
    let header = &out[1024..1536];
    assert_eq!(&header[..4], b"H+\0\x04");
    assert_eq!(be32(header, 32), 4); // files: hello, README, hi, empty
    assert_eq!(be32(header, 36), 1); // folders: bin
    assert_eq!(be32(header, 40), 4096);
    let total = be32(header, 44) as usize;
    assert_eq!(out.len(), total * 4096);
    assert_eq!(&out[out.len() - 1024..out.len() - 512], header);
    // hello's 5000 bytes take two blocks: blocks 0, bitmap, extents, catalog, 2 + 1 + 1
    // data blocks (README, hi's target; empty has none), last block.
    assert_eq!(be32(header, 48), 0);
    // The date is HFS+ time.
    assert_eq!(
        be32(header, 16),
        (1_700_000_000u64 + HFS_EPOCH_OFFSET) as u32
    );
}

#[test]
fn same_tree_same_bytes_and_hfsx_on_request() {
    let tree = sample();
    assert_eq!(
        raw(&tree, HfsOptions::new("A")),
        raw(&tree, HfsOptions::new("A"))
    );
    let hfsx = raw(&tree, HfsOptions::new("A").case_sensitive(true));
    assert_eq!(&hfsx[1024..1028], b"HX\0\x05");
}

#[test]
fn a_larger_volume_has_free_blocks_and_a_small_one_is_refused() {
    let tree = sample();
    let out = raw(&tree, HfsOptions::new("A").size(4 << 20));
    assert_eq!(out.len(), 4 << 20);
    let free = be32(&out[1024..], 48);
    assert!(free > 1000, "{free}");
    match HfsVolume::new(&tree, date(), HfsOptions::new("A").size(16 * 1024)) {
        Err(Error::Dmg(DmgError::VolumeTooSmall { needed, asked })) => {
            assert_eq!(asked, 16 * 1024);
            assert!(needed > asked);
        }
        other => panic!("{:?}", other.err()),
    }
    // Large enough to need a second bitmap block (more than 32768 blocks).
    let out = raw(&tree, HfsOptions::new("A").size(200 << 20));
    assert_eq!(out.len(), 200 << 20);
}

#[test]
fn names_hfs_cannot_hold_are_refused() {
    let mut tree = FileTree::new();
    tree.insert("x".repeat(256), Entry::bytes(Vec::new()))
        .unwrap();
    assert!(matches!(
        HfsVolume::new(&tree, date(), HfsOptions::new("A")),
        Err(Error::Dmg(DmgError::NameTooLong { units: 256, .. }))
    ));
    let tree = sample();
    assert!(matches!(
        HfsVolume::new(&tree, date(), HfsOptions::new("v".repeat(300))),
        Err(Error::Dmg(DmgError::NameTooLong { .. }))
    ));
    let mut tree = FileTree::new();
    tree.insert("README", Entry::bytes(Vec::new())).unwrap();
    tree.insert("readme", Entry::bytes(Vec::new())).unwrap();
    match HfsVolume::new(&tree, date(), HfsOptions::new("A")) {
        Err(Error::Dmg(DmgError::NameClash { path, other })) => {
            assert_eq!((path.as_str(), other.as_str()), ("readme", "README"));
        }
        other => panic!("{:?}", other.err()),
    }
    // A case-sensitive volume holds both.
    raw(&tree, HfsOptions::new("A").case_sensitive(true));
}

#[test]
fn dates_after_2040_are_refused() {
    let tree = sample();
    assert!(matches!(
        HfsVolume::new(&tree, SourceDate::from_unix(1 << 32), HfsOptions::new("A")),
        Err(Error::Dmg(DmgError::Date { .. }))
    ));
}

#[test]
fn hard_links_share_an_indirect_node_file() {
    let mut tree = sample();
    let target = RelPath::new("bin/hello").unwrap();
    tree.insert("bin/hello2", Entry::hardlink(target)).unwrap();
    let volume = HfsVolume::new(&tree, date(), HfsOptions::new("A")).unwrap();
    let inode = volume
        .items
        .iter()
        .find(|i| matches!(i.kind, ItemKind::File { links: 2, .. }))
        .unwrap();
    assert_eq!(
        String::from_utf16(&inode.name).unwrap(),
        format!("iNode{}", inode.id)
    );
    let links: Vec<_> = volume
        .items
        .iter()
        .filter_map(|i| match i.kind {
            ItemKind::Link { inode } => Some((i.path.clone().unwrap(), inode)),
            _ => None,
        })
        .collect();
    assert_eq!(links.len(), 2);
    assert!(links.iter().all(|(_, n)| *n == inode.id));
    // The data is written once.
    let plain = raw(&sample(), HfsOptions::new("A"));
    let mut linked = Vec::new();
    volume.write_to(&mut linked, &Monitor::default()).unwrap();
    assert_eq!(
        linked
            .windows(5000)
            .filter(|w| w.iter().all(|&b| b == 7))
            .count(),
        plain
            .windows(5000)
            .filter(|w| w.iter().all(|&b| b == 7))
            .count()
    );
}

#[test]
fn a_file_that_changed_size_is_an_entry_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("f");
    std::fs::write(&path, b"12345").unwrap();
    let mut tree = FileTree::new();
    tree.insert("f", Entry::file(&path).unwrap()).unwrap();
    let volume = HfsVolume::new(&tree, date(), HfsOptions::new("A")).unwrap();
    std::fs::write(&path, b"123").unwrap();
    assert!(matches!(
        volume.write_to(Vec::new(), &Monitor::default()),
        Err(Error::Entry { .. })
    ));
}
