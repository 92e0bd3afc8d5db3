#![allow(clippy::unwrap_used)]

use std::io::{Cursor, Write};

use super::blkx::{ENTRY_LEN, HEADER_LEN, Table, parse_plist};
use super::koly::{KOLY_LEN, be32, be64};
use super::*;

/// A deterministic generator (xorshift64*), for data and for corruption.
pub(super) struct Rng(u64);

impl Rng {
    pub(super) fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    pub(super) fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    pub(super) fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// `len` bytes (a multiple of 512) mixing, per MiB: text-like runs, a whole zero chunk,
/// random bytes, and half text half zeros.
pub(super) fn sample(len: usize) -> Vec<u8> {
    let mut rng = Rng::new(len as u64);
    (0..len)
        .map(|i| match (i / CHUNK_BYTES) % 4 {
            0 => b"the quick brown fox jumps"[(i / 3 + i / 977) % 25],
            1 => 0,
            2 => rng.next() as u8,
            _ if i % CHUNK_BYTES < CHUNK_BYTES / 2 => b"abc def"[(i / 11) % 7],
            _ => 0,
        })
        .collect()
}

pub(super) fn write_image(raw: &[u8], format: DmgFormat, threads: usize, piece: usize) -> Vec<u8> {
    let sectors = raw.len() as u64 / SECTOR;
    let mut w =
        UdifWriter::new(Vec::new(), format, None, threads, sectors, WHOLE_DISK_HFS).unwrap();
    for part in raw.chunks(piece.max(1)) {
        w.write_all(part).unwrap();
    }
    w.finish().unwrap()
}

pub(super) fn read_raw(image: &[u8]) -> Result<Vec<u8>, UdifError> {
    let mut img = UdifImage::open(Cursor::new(image))?;
    let mut out = Vec::new();
    let n = img.copy_raw(&mut out)?;
    assert_eq!(n, out.len() as u64);
    Ok(out)
}

const FORMATS: [DmgFormat; 3] = [DmgFormat::Udzo, DmgFormat::Udbz, DmgFormat::Udro];

#[test]
fn every_format_round_trips_and_threads_do_not_change_a_byte() {
    // 4 MiB and 7 sectors: every kind of chunk, and a short last one.
    let raw = sample(4 * CHUNK_BYTES + 7 * 512);
    for format in FORMATS {
        let one = write_image(&raw, format, 1, 1 << 20);
        for (threads, piece) in [(2, 4096), (8, 77_777), (3, CHUNK_BYTES + 512)] {
            assert_eq!(
                write_image(&raw, format, threads, piece),
                one,
                "{format:?}, {threads} threads, writes of {piece}"
            );
        }
        assert_eq!(read_raw(&one).unwrap(), raw, "{format:?}");
        let img = UdifImage::open(Cursor::new(&one)).unwrap();
        assert_eq!(img.format(), Some(format));
        assert_eq!(img.sectors(), raw.len() as u64 / 512);
        let parts = img.partitions();
        assert_eq!(parts.len(), 1);
        assert_eq!(parts[0].name, WHOLE_DISK_HFS);
        assert_eq!(
            (parts[0].first_sector, parts[0].sectors),
            (0, img.sectors())
        );
    }
}

#[test]
fn edge_sizes_round_trip() {
    for sectors in [0, 1, 2047, 2048, 2049, 4096] {
        let raw = sample(sectors * 512);
        for format in FORMATS {
            let image = write_image(&raw, format, 2, 10_000);
            assert_eq!(
                read_raw(&image).unwrap(),
                raw,
                "{sectors} sectors, {format:?}"
            );
        }
    }
}

#[test]
fn levels_are_checked_and_change_the_output() {
    let raw = sample(CHUNK_BYTES);
    for (format, bad) in [(DmgFormat::Udzo, 10), (DmgFormat::Udbz, 0)] {
        let err = UdifWriter::new(Vec::new(), format, Some(bad), 1, 2048, "x").err();
        assert_eq!(err.unwrap().kind(), io::ErrorKind::InvalidInput);
    }
    let image = |level| {
        let mut w =
            UdifWriter::new(Vec::new(), DmgFormat::Udzo, Some(level), 1, 2048, "x").unwrap();
        w.write_all(&raw).unwrap();
        w.finish().unwrap()
    };
    let (fast, best) = (image(1), image(9));
    assert_ne!(fast, best);
    assert_eq!(read_raw(&fast).unwrap(), raw);
    let mut default = UdifWriter::new(Vec::new(), DmgFormat::Udzo, None, 1, 2048, "x").unwrap();
    default.write_all(&raw).unwrap();
    assert_eq!(
        default.finish().unwrap(),
        best,
        "the default zlib level is 9"
    );
}

#[test]
fn the_byte_count_must_match_the_sectors() {
    let mut w = UdifWriter::new(Vec::new(), DmgFormat::Udzo, None, 2, 4, "x").unwrap();
    w.write_all(&[1; 1024]).unwrap();
    let err = w.finish().err().unwrap();
    assert_eq!(err.kind(), io::ErrorKind::InvalidInput);

    let mut w = UdifWriter::new(Vec::new(), DmgFormat::Udzo, None, 2, 1, "x").unwrap();
    let err = w.write_all(&[1; 513]).err().unwrap();
    assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
    assert!(UdifWriter::new(Vec::new(), DmgFormat::Udzo, None, 1, u64::MAX, "x").is_err());
}

#[test]
fn trailer_table_and_plist_hold_the_documented_values() {
    let raw = sample(3 * CHUNK_BYTES + 1024);
    let image = write_image(&raw, DmgFormat::Udzo, 2, 1 << 16);
    let k = &image[image.len() - KOLY_LEN..];
    assert_eq!(&k[..4], b"koly");
    assert_eq!(
        (be32(k, 4), be32(k, 8), be32(k, 12)),
        (4, 512, 1),
        "version, header size, flags"
    );
    let (fork_off, fork_len) = (be64(k, 0x18), be64(k, 0x20));
    let (xml_off, xml_len) = (be64(k, 0xD8), be64(k, 0xE0));
    assert_eq!((fork_off, xml_off), (0, fork_len));
    assert_eq!(xml_off + xml_len, (image.len() - KOLY_LEN) as u64);
    assert_eq!((be32(k, 0x38), be32(k, 0x3C)), (1, 1), "segment 1 of 1");
    assert_eq!(k[0x46] >> 4, 8, "segment ID is a version 8 UUID");
    assert_eq!((be32(k, 0x50), be32(k, 0x54)), (2, 32), "data fork CRC-32");
    let fork_crc = crc32fast::hash(&image[..fork_len as usize]);
    assert_eq!(be32(k, 0x58), fork_crc);
    assert_eq!(
        (be32(k, 0x1E8), be64(k, 0x1EC)),
        (2, raw.len() as u64 / 512)
    );

    let xml = &image[xml_off as usize..(xml_off + xml_len) as usize];
    let text = std::str::from_utf8(xml).unwrap();
    assert!(text.ends_with("</plist>\n"));
    let data_at = text.find("<key>Data</key>").unwrap();
    assert!(
        text[data_at..].contains("<key>Name</key>"),
        "dmg2img reads Name after Data"
    );
    assert!(text.contains("<string>0x0050</string>") && text.contains("<key>ID</key>"));
    let resources = parse_plist(xml).unwrap();
    assert_eq!(resources.len(), 1);
    let mish = &resources[0].data;
    assert_eq!(be32(mish, 0x20), 2056, "buffers needed");
    assert_eq!(be32(mish, 0x24), 0xFFFF_FFFE, "whole-device descriptor");
    let table = Table::parse(mish, 0, fork_len).unwrap();
    let kinds: Vec<_> = table.entries.iter().map(|e| (e.kind, e.sectors)).collect();
    assert_eq!(
        kinds,
        [
            (kind::ZLIB, 2048),
            (kind::IGNORE, 2048),
            (kind::RAW, 2048),
            (kind::ZLIB, 2)
        ]
    );
    assert_eq!(
        mish.len(),
        HEADER_LEN + 5 * ENTRY_LEN,
        "four chunks and a terminator"
    );
    // The partition's CRC skips the ignore run; the master CRC is over its 4 bytes.
    let mut counted = raw.clone();
    counted.drain(CHUNK_BYTES..2 * CHUNK_BYTES);
    let partition_crc = crc32fast::hash(&counted);
    assert_eq!(table.checksum.as_crc32(), Some(partition_crc));
    assert_eq!(
        be32(k, 0x168),
        crc32fast::hash(&partition_crc.to_be_bytes())
    );
}

/// Recomputes the trailer's data fork CRC, so a corrupt chunk meets the later checks.
pub(super) fn fix_fork_crc(image: &mut [u8]) {
    let k = image.len() - KOLY_LEN;
    let len = be64(&image[k..], 0x20) as usize;
    let crc = crc32fast::hash(&image[..len]);
    image[k + 0x58..k + 0x5C].copy_from_slice(&crc.to_be_bytes());
}

#[test]
fn a_corrupt_chunk_is_caught() {
    let raw = sample(CHUNK_BYTES + 4096);
    for (format, at) in [
        (DmgFormat::Udzo, 100),
        (DmgFormat::Udbz, 100),
        (DmgFormat::Udro, 7),
    ] {
        let mut image = write_image(&raw, format, 2, 1 << 20);
        image[at] ^= 0x20;
        let err = read_raw(&image).unwrap_err();
        assert!(
            matches!(&err, UdifError::Checksum { what, .. } if what == "data fork"),
            "{format:?}: {err}"
        );
        // With the fork's CRC patched, the chunk itself (or the partition's CRC) fails.
        fix_fork_crc(&mut image);
        let err = read_raw(&image).unwrap_err();
        match &err {
            UdifError::Decode {
                partition: 0,
                index: 0,
                ..
            }
            | UdifError::Chunk {
                partition: 0,
                index: 0,
                ..
            } => {}
            UdifError::Checksum { what, .. } if what == "partition 0" => {}
            other => panic!("{format:?}: {other}"),
        }
    }
}

#[test]
fn a_corrupt_or_cut_trailer_is_caught() {
    let raw = sample(CHUNK_BYTES);
    let image = write_image(&raw, DmgFormat::Udzo, 1, 1 << 20);
    let k = image.len() - KOLY_LEN;
    let flipped = |at: usize| {
        let mut bad = image.clone();
        bad[k + at] ^= 0x01;
        // (Offsets 0x20 and 0xE0 are the high bytes of the fork's and the plist's lengths.)
        read_raw(&bad).unwrap_err()
    };
    assert!(matches!(flipped(0), UdifError::NotUdif { .. }));
    assert!(matches!(
        flipped(7),
        UdifError::Trailer {
            field: "version",
            ..
        }
    ));
    assert!(matches!(
        flipped(0x1F3),
        UdifError::Trailer {
            field: "sector count",
            ..
        }
    ));
    assert!(matches!(
        flipped(0xE0),
        UdifError::Trailer {
            field: "XML length",
            ..
        }
    ));
    assert!(matches!(
        flipped(0x20),
        UdifError::Trailer {
            field: "data fork length",
            ..
        }
    ));
    assert!(matches!(flipped(0x5B), UdifError::Checksum { .. }));
    assert!(matches!(flipped(0x16B), UdifError::Checksum { what, .. } if what == "master"));
    for cut in [1, 511, 513, image.len() - 100] {
        let err = read_raw(&image[..image.len() - cut]).unwrap_err();
        assert!(matches!(err, UdifError::NotUdif { .. }), "cut {cut}: {err}");
    }
    assert!(matches!(
        read_raw(&[]).unwrap_err(),
        UdifError::NotUdif { .. }
    ));
}

#[test]
fn a_corrupt_table_is_caught() {
    let raw = sample(2 * CHUNK_BYTES);
    let image = write_image(&raw, DmgFormat::Udzo, 1, 1 << 20);
    let img = UdifImage::open(Cursor::new(&image)).unwrap();
    let mut table = img.tables[0].clone();
    let fork_len = img.koly.data_fork_length;
    table.entries.push(super::blkx::Entry {
        kind: kind::TERMINATOR,
        sector: 4096,
        sectors: 0,
        offset: 0,
        length: 0,
    });
    let mut gap = table.clone();
    gap.entries[1].sector += 1;
    let mut outside = table.clone();
    outside.entries[0].length = fork_len + 1;
    let mut short = table.clone();
    short.sectors += 1;
    let mut no_end = table.clone();
    no_end.entries.pop();
    for (bad, name) in [
        (gap, "gap"),
        (outside, "outside"),
        (short, "short"),
        (no_end, "end"),
    ] {
        let err = Table::parse(&bad.to_bytes(), 0, fork_len).unwrap_err();
        assert!(
            matches!(err, UdifError::Table { .. } | UdifError::Chunk { .. }),
            "{name}: {err}"
        );
    }
    assert!(Table::parse(&table.to_bytes()[..HEADER_LEN + 3], 0, fork_len).is_err());
}

#[test]
fn random_flips_never_panic_and_never_pass_wrong_bytes() {
    // Two chunks and a short one: zlib, ignore, random (raw), small enough to run often.
    let raw = sample(2 * CHUNK_BYTES + 64 * 1024);
    for format in [DmgFormat::Udzo, DmgFormat::Udbz] {
        let image = write_image(&raw, format, 2, 1 << 20);
        let tail = image.len() - be64(&image[image.len() - KOLY_LEN..], 0xE0) as usize - 512;
        let mut rng = Rng::new(format as u64 + 7);
        for round in 0..200 {
            let mut bad = image.clone();
            for _ in 0..1 + rng.below(3) {
                // Mostly the plist and trailer, where the structure is.
                let at = if rng.below(4) == 0 {
                    rng.below(bad.len())
                } else {
                    tail + rng.below(bad.len() - tail)
                };
                bad[at] ^= 1 << rng.below(8);
            }
            if let Ok(out) = read_raw(&bad) {
                assert!(out == raw, "{format:?} round {round}: wrong bytes passed");
            }
            if rng.below(8) == 0 {
                let cut = rng.below(bad.len());
                let _ = read_raw(&bad[..cut]);
            }
        }
    }
}
