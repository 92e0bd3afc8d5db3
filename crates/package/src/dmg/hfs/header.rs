//! The volume header (TN1150 "Volume Header"), written at byte 1024 and again 1024 bytes
//! before the end of the volume.

use super::catalog::Fork;

/// `kHFSVolumeUnmountedBit`: the volume was cleanly unmounted (nothing to check or replay).
const UNMOUNTED: u32 = 1 << 8;

/// `lastMountedVersion` of a volume written by a non-journaling implementation.
const LAST_MOUNTED: &[u8; 4] = b"10.0";

/// What the header says about the volume.
pub(crate) struct VolumeHeader {
    pub(crate) case_sensitive: bool,
    pub(crate) date: u32,
    pub(crate) files: u32,
    pub(crate) folders: u32,
    pub(crate) total_blocks: u32,
    pub(crate) free_blocks: u32,
    pub(crate) next_id: u32,
    pub(crate) volume_id: u64,
    pub(crate) bitmap: Fork,
    pub(crate) extents: Fork,
    pub(crate) catalog: Fork,
}

impl VolumeHeader {
    /// The 512 header bytes.
    pub(crate) fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(512);
        let (signature, version): (&[u8; 2], u16) = if self.case_sensitive {
            (b"HX", 5)
        } else {
            (b"H+", 4)
        };
        out.extend_from_slice(signature);
        out.extend_from_slice(&version.to_be_bytes());
        out.extend_from_slice(&UNMOUNTED.to_be_bytes());
        out.extend_from_slice(LAST_MOUNTED);
        out.extend_from_slice(&0u32.to_be_bytes()); // journal info block
        // create (local time: the source date is taken as it is), modify, backup, checked.
        for date in [self.date, self.date, 0, self.date] {
            out.extend_from_slice(&date.to_be_bytes());
        }
        out.extend_from_slice(&self.files.to_be_bytes());
        out.extend_from_slice(&self.folders.to_be_bytes());
        out.extend_from_slice(&(super::BLOCK as u32).to_be_bytes());
        out.extend_from_slice(&self.total_blocks.to_be_bytes());
        out.extend_from_slice(&self.free_blocks.to_be_bytes());
        // Next allocation: after the used blocks.
        let next_allocation = self.total_blocks - self.free_blocks - 1;
        out.extend_from_slice(&next_allocation.to_be_bytes());
        out.extend_from_slice(&(super::BLOCK as u32 * 16).to_be_bytes()); // rsrc clump
        out.extend_from_slice(&(super::BLOCK as u32 * 16).to_be_bytes()); // data clump
        out.extend_from_slice(&self.next_id.to_be_bytes());
        out.extend_from_slice(&0u32.to_be_bytes()); // write count
        out.extend_from_slice(&1u64.to_be_bytes()); // encodings: Mac Roman
        // Finder info: nothing blessed; words 6 and 7 are the volume identifier.
        out.extend_from_slice(&[0u8; 24]);
        out.extend_from_slice(&self.volume_id.to_be_bytes());
        self.bitmap
            .encode(self.bitmap.extent.blocks * super::BLOCK as u32, &mut out);
        self.extents.encode(self.extents.size as u32, &mut out);
        self.catalog.encode(self.catalog.size as u32, &mut out);
        Fork::default().encode(0, &mut out); // attributes file
        Fork::default().encode(0, &mut out); // startup file
        debug_assert_eq!(out.len(), 512);
        out
    }
}
