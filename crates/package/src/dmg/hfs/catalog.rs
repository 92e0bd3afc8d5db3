//! Catalog records (TN1150 "Catalog File"): folders, files and their thread records.

use super::btree::Record;

/// The parent of the root folder.
pub(crate) const ROOT_PARENT: u32 = 1;
/// The root folder.
pub(crate) const ROOT: u32 = 2;
/// The first identifier for user files and folders.
pub(crate) const FIRST_USER_ID: u32 = 16;

const FOLDER_RECORD: u16 = 1;
const FILE_RECORD: u16 = 2;
const FOLDER_THREAD: u16 = 3;
const FILE_THREAD: u16 = 4;

/// `kHFSThreadExistsMask`: every HFS+ file has a thread record.
const THREAD_EXISTS: u16 = 0x0002;

/// File type bits of `fileMode`.
pub(crate) const S_IFDIR: u16 = 0o040_000;
pub(crate) const S_IFREG: u16 = 0o100_000;
pub(crate) const S_IFLNK: u16 = 0o120_000;

/// One extent run of a fork: `blocks` allocation blocks from `start`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Extent {
    pub(crate) start: u32,
    pub(crate) blocks: u32,
}

/// A fork: its length in bytes and where it lives (one extent: data is laid out contiguous).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Fork {
    pub(crate) size: u64,
    pub(crate) extent: Extent,
}

impl Fork {
    /// `HFSPlusForkData`: 80 bytes.
    pub(crate) fn encode(&self, clump: u32, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.size.to_be_bytes());
        out.extend_from_slice(&clump.to_be_bytes());
        out.extend_from_slice(&self.extent.blocks.to_be_bytes());
        out.extend_from_slice(&self.extent.start.to_be_bytes());
        out.extend_from_slice(&self.extent.blocks.to_be_bytes());
        out.extend_from_slice(&[0u8; 56]);
    }
}

/// `HFSPlusBSDInfo` and the dates every record carries.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Common {
    pub(crate) id: u32,
    /// HFS+ time: seconds since 1904-01-01 UTC.
    pub(crate) date: u32,
    pub(crate) uid: u32,
    pub(crate) gid: u32,
    /// Type and permission bits.
    pub(crate) mode: u16,
    /// `special`: link count of an indirect node file, link reference of a hard link.
    pub(crate) special: u32,
}

impl Common {
    fn encode_dates_and_permissions(&self, out: &mut Vec<u8>) {
        // create, content mod, attribute mod, access, backup (never backed up).
        for date in [self.date, self.date, self.date, self.date, 0] {
            out.extend_from_slice(&date.to_be_bytes());
        }
        out.extend_from_slice(&self.uid.to_be_bytes());
        out.extend_from_slice(&self.gid.to_be_bytes());
        out.push(0); // admin flags
        out.push(0); // owner flags
        out.extend_from_slice(&self.mode.to_be_bytes());
        out.extend_from_slice(&self.special.to_be_bytes());
    }
}

/// Finder information of a file: type and creator codes, Finder flags.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct FinderFile {
    pub(crate) file_type: [u8; 4],
    pub(crate) creator: [u8; 4],
    pub(crate) flags: u16,
}

/// The key of a catalog record: parent identifier and name.
pub(crate) fn key(parent: u32, name: &[u16]) -> Vec<u8> {
    let mut key = Vec::with_capacity(8 + 2 * name.len());
    key.extend_from_slice(&((6 + 2 * name.len()) as u16).to_be_bytes());
    key.extend_from_slice(&parent.to_be_bytes());
    push_name(name, &mut key);
    key
}

fn push_name(name: &[u16], out: &mut Vec<u8>) {
    out.extend_from_slice(&(name.len() as u16).to_be_bytes());
    for unit in name {
        out.extend_from_slice(&unit.to_be_bytes());
    }
}

/// The thread record of `id` (keyed by the item's own identifier and an empty name), which
/// points back at its parent and name.
pub(crate) fn thread(id: u32, folder: bool, parent: u32, name: &[u16]) -> Record {
    let mut data = Vec::with_capacity(10 + 2 * name.len());
    let kind = if folder { FOLDER_THREAD } else { FILE_THREAD };
    data.extend_from_slice(&kind.to_be_bytes());
    data.extend_from_slice(&0u16.to_be_bytes());
    data.extend_from_slice(&parent.to_be_bytes());
    push_name(name, &mut data);
    Record {
        key: key(id, &[]),
        data,
    }
}

/// A folder record (88 bytes). `hidden` sets the Finder's invisible and name-locked flags.
pub(crate) fn folder(key: Vec<u8>, common: &Common, valence: u32, hidden: bool) -> Record {
    let mut data = Vec::with_capacity(88);
    data.extend_from_slice(&FOLDER_RECORD.to_be_bytes());
    data.extend_from_slice(&0u16.to_be_bytes()); // flags
    data.extend_from_slice(&valence.to_be_bytes());
    data.extend_from_slice(&common.id.to_be_bytes());
    common.encode_dates_and_permissions(&mut data);
    // FolderInfo: window rectangle, Finder flags, location, reserved.
    let mut info = [0u8; 16];
    if hidden {
        info[8..10].copy_from_slice(&0x5000u16.to_be_bytes());
    }
    data.extend_from_slice(&info);
    data.extend_from_slice(&[0u8; 16]); // ExtendedFolderInfo
    data.extend_from_slice(&0u32.to_be_bytes()); // text encoding: Mac Roman
    data.extend_from_slice(&0u32.to_be_bytes());
    Record { key, data }
}

/// A file record (248 bytes) with its data fork; resource forks stay empty.
pub(crate) fn file(key: Vec<u8>, common: &Common, finder: FinderFile, data_fork: Fork) -> Record {
    let mut data = Vec::with_capacity(248);
    data.extend_from_slice(&FILE_RECORD.to_be_bytes());
    data.extend_from_slice(&THREAD_EXISTS.to_be_bytes());
    data.extend_from_slice(&0u32.to_be_bytes());
    data.extend_from_slice(&common.id.to_be_bytes());
    common.encode_dates_and_permissions(&mut data);
    data.extend_from_slice(&finder.file_type);
    data.extend_from_slice(&finder.creator);
    data.extend_from_slice(&finder.flags.to_be_bytes());
    data.extend_from_slice(&[0u8; 6]); // location, reserved
    data.extend_from_slice(&[0u8; 16]); // ExtendedFileInfo
    data.extend_from_slice(&0u32.to_be_bytes()); // text encoding
    data.extend_from_slice(&0u32.to_be_bytes());
    data_fork.encode(0, &mut data);
    Fork::default().encode(0, &mut data);
    Record { key, data }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_have_their_fixed_sizes() {
        let common = Common {
            id: 16,
            date: 1,
            uid: 0,
            gid: 0,
            mode: S_IFREG | 0o644,
            special: 0,
        };
        let name: Vec<u16> = "a".encode_utf16().collect();
        assert_eq!(folder(key(2, &name), &common, 0, false).data.len(), 88);
        let f = file(
            key(2, &name),
            &common,
            FinderFile::default(),
            Fork::default(),
        );
        assert_eq!(f.data.len(), 248);
        assert_eq!(f.key, [0, 8, 0, 0, 0, 2, 0, 1, 0, b'a']);
        let t = thread(16, false, 2, &name);
        assert_eq!(t.key, [0, 6, 0, 0, 0, 16, 0, 0]);
        assert_eq!(t.data.len(), 12);
    }
}
