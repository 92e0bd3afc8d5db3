//! The dynamic dependencies of packaged ELF files (`DT_NEEDED`), read with `object` through
//! a read cache: only the headers, the dynamic section and its string table are read, never
//! the whole binary.

use std::fs::File;
use std::io::Read;
use std::path::Path;

use consign_core::{EntryKind, FileSource, FileTree, IoError, RelPath};
use object::elf::{FileHeader32, FileHeader64};
use object::read::elf::FileHeader;
use object::{Endianness, ReadCache};

use super::CargoError;
use crate::Error;

/// What an ELF file needs from the dynamic linker.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Needs {
    /// The `DT_NEEDED` entries (`libc.so.6`), in file order.
    pub needed: Vec<String>,
    /// A 64-bit ELF class.
    pub class64: bool,
}

/// The regular files of `tree` read from disk that are ELF files, with their needs, in path
/// order; `key` names the table key asking, in errors.
pub(crate) fn packaged(
    tree: &FileTree,
    key: &str,
) -> Result<Vec<(RelPath, std::path::PathBuf, Needs)>, Error> {
    let mut out = Vec::new();
    for (path, entry) in tree.iter() {
        let EntryKind::File {
            source: FileSource::Path(source),
            ..
        } = entry.kind()
        else {
            continue;
        };
        if let Some(needs) = read(source, key)? {
            out.push((path.clone(), source.clone(), needs));
        }
    }
    Ok(out)
}

/// The needs of the file at `path`: `None` when it is not an ELF file.
pub(crate) fn read(path: &Path, key: &str) -> Result<Option<Needs>, Error> {
    let io = |e| Error::Io(IoError::new("read", path, e));
    let mut file = File::open(path).map_err(io)?;
    let mut ident = [0u8; 5];
    match file.read_exact(&mut ident) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(None),
        Err(e) => return Err(io(e)),
    }
    if ident[..4] != *b"\x7fELF" {
        return Ok(None);
    }
    let cache = ReadCache::new(file);
    let parsed = match ident[4] {
        1 => needed::<FileHeader32<Endianness>>(&cache).map(|n| (n, false)),
        _ => needed::<FileHeader64<Endianness>>(&cache).map(|n| (n, true)),
    };
    let (needed, class64) = parsed.map_err(|source| CargoError::Elf {
        key: key.to_owned(),
        path: path.to_path_buf(),
        source,
    })?;
    Ok(Some(Needs { needed, class64 }))
}

fn needed<Elf: FileHeader<Endian = Endianness>>(
    data: &ReadCache<File>,
) -> object::read::Result<Vec<String>> {
    let header = Elf::parse(data)?;
    let endian = header.endian()?;
    let sections = header.sections(endian, data)?;
    let dynamic = sections.dynamic_table(endian, data)?;
    let mut out = Vec::new();
    for d in &dynamic {
        if d.tag == object::elf::DT_NEEDED {
            let name = dynamic.string(d)?;
            out.push(String::from_utf8_lossy(name).into_owned());
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_needs_of_a_system_binary_and_skips_other_files() {
        let needs = read(Path::new("/bin/true"), "k")
            .expect("readable")
            .expect("an ELF file");
        assert!(
            needs.needed.iter().any(|n| n.starts_with("libc.so")),
            "{needs:?}"
        );
        assert_eq!(needs.class64, cfg!(target_pointer_width = "64"));
        let dir = tempfile::tempdir().expect("tempdir");
        let text = dir.path().join("text");
        std::fs::write(&text, "#!/bin/sh\n").expect("write");
        assert_eq!(read(&text, "k").expect("readable"), None);
        std::fs::write(&text, "\x7fE").expect("write");
        assert_eq!(read(&text, "k").expect("short"), None);
        let mut broken = b"\x7fELF\x02\x01\x01".to_vec();
        broken.resize(40, 0xff);
        std::fs::write(&text, broken).expect("write");
        let err = read(&text, "the.key").expect_err("truncated ELF");
        assert!(
            matches!(&err, Error::Cargo(CargoError::Elf { key, .. }) if key == "the.key"),
            "{err}"
        );
    }

    /// Damaged copies of a real binary (truncated, bytes overwritten) are read or refused,
    /// never a panic.
    #[test]
    fn damaged_binaries_never_panic() {
        let real = std::fs::read("/bin/true").expect("read /bin/true");
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("damaged");
        let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = move || {
            seed = seed
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            usize::try_from(seed >> 33).expect("fits")
        };
        let (mut read_ok, mut refused) = (0, 0);
        for round in 0..300 {
            let mut bytes = real.clone();
            if round % 3 == 0 {
                bytes.truncate(5 + next() % real.len());
            }
            for _ in 0..(1 + round % 16) {
                let at = 5 + next() % (bytes.len() - 5).max(1);
                if let Some(b) = bytes.get_mut(at) {
                    *b = u8::try_from(next() % 256).expect("a byte");
                }
            }
            std::fs::write(&path, &bytes).expect("write");
            match read(&path, "k") {
                Ok(Some(_)) => read_ok += 1,
                Err(Error::Cargo(CargoError::Elf { .. })) => refused += 1,
                other => panic!("round {round}: {other:?}"),
            }
        }
        assert!(
            read_ok > 0 && refused > 0,
            "{read_ok} read, {refused} refused"
        );
    }
}
