//! What an executable's header says it runs on: ELF, Mach-O or PE, and the machine.
//!
//! Release jobs label programs with a [`Platform`] in file names, package architectures, OCI
//! platforms and SBOMs; a program built for another machine must never go out under the wrong
//! label. [`Platform::check_executable`] reads the first bytes of a program and refuses one
//! whose header names another operating-system family or machine. Only the fixed header
//! fields are read (a few hundred bytes), so no object-file parser is needed.

use std::fmt;
use std::io::Read;
use std::path::Path;

use crate::platform::{Arch, Os, Platform, PlatformError};

/// An executable container format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ExecutableFormat {
    /// ELF (Linux and the other Unix systems).
    Elf,
    /// Mach-O (macOS), thin.
    MachO,
    /// PE/COFF (Windows).
    Pe,
}

impl fmt::Display for ExecutableFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ExecutableFormat::Elf => "ELF",
            ExecutableFormat::MachO => "Mach-O",
            ExecutableFormat::Pe => "PE",
        })
    }
}

/// The format and machine an executable's header names.
///
/// ```
/// use consign_core::{Arch, Executable, ExecutableFormat, Platform};
/// let mut header = vec![0u8; 64];
/// header[..4].copy_from_slice(b"\x7fELF");
/// header[5] = 1; // little-endian
/// header[18] = 183; // EM_AARCH64
/// let exe = Executable::from_header(&header).unwrap();
/// assert_eq!((exe.format, exe.arch), (ExecutableFormat::Elf, Some(Arch::Aarch64)));
/// assert!(exe.runs_on(&"aarch64-unknown-linux-musl".parse::<Platform>()?));
/// assert!(!exe.runs_on(&"x86_64-unknown-linux-gnu".parse::<Platform>()?));
/// assert_eq!(Executable::from_header(b"#!/bin/sh\n"), None);
/// # Ok::<(), consign_core::PlatformError>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct Executable {
    /// The container format.
    pub format: ExecutableFormat,
    /// The machine, when it is one consign names.
    pub arch: Option<Arch>,
}

/// How much of a file [`Executable::read`] looks at: enough for a PE header behind a long DOS
/// stub.
const HEADER_BYTES: usize = 4096;

impl Executable {
    /// The executable whose file starts with `head`, or `None` when it is not one (a script,
    /// a data file, a fat Mach-O).
    pub fn from_header(head: &[u8]) -> Option<Executable> {
        let u16_at = |at: usize, big: bool| -> Option<u16> {
            let b: [u8; 2] = head.get(at..at.checked_add(2)?)?.try_into().ok()?;
            Some(if big {
                u16::from_be_bytes(b)
            } else {
                u16::from_le_bytes(b)
            })
        };
        let u32_at = |at: usize| -> Option<u32> {
            let b: [u8; 4] = head.get(at..at.checked_add(4)?)?.try_into().ok()?;
            Some(u32::from_le_bytes(b))
        };
        if head.starts_with(b"\x7fELF") {
            let big = head.get(5) == Some(&2);
            let arch = match u16_at(18, big)? {
                62 => Some(Arch::X86_64),
                3 => Some(Arch::X86),
                183 => Some(Arch::Aarch64),
                40 => Some(Arch::Armv7),
                243 => Some(Arch::Riscv64),
                21 => Some(Arch::Powerpc64le),
                22 => Some(Arch::S390x),
                258 => Some(Arch::Loongarch64),
                _ => None,
            };
            return Some(Executable {
                format: ExecutableFormat::Elf,
                arch,
            });
        }
        if matches!(u32_at(0)?, 0xfeed_facf | 0xfeed_face) {
            let arch = match u32_at(4)? {
                0x0100_0007 => Some(Arch::X86_64),
                0x0100_000c => Some(Arch::Aarch64),
                _ => None,
            };
            return Some(Executable {
                format: ExecutableFormat::MachO,
                arch,
            });
        }
        if head.starts_with(b"MZ") {
            let pe = usize::try_from(u32_at(0x3c)?).ok()?;
            if head.get(pe..pe.checked_add(4)?)? != b"PE\0\0" {
                return None;
            }
            let arch = match u16_at(pe + 4, false)? {
                0x8664 => Some(Arch::X86_64),
                0xaa64 => Some(Arch::Aarch64),
                0x014c => Some(Arch::X86),
                _ => None,
            };
            return Some(Executable {
                format: ExecutableFormat::Pe,
                arch,
            });
        }
        None
    }

    /// Reads the header of the file at `path` (its first 4 KiB).
    pub fn read(path: &Path) -> Result<Option<Executable>, std::io::Error> {
        let mut head = Vec::with_capacity(HEADER_BYTES);
        std::fs::File::open(path)?
            .take(HEADER_BYTES as u64)
            .read_to_end(&mut head)?;
        Ok(Executable::from_header(&head))
    }

    /// Whether the executable runs on `platform`: the same machine, and ELF for Linux and the
    /// other Unix systems, Mach-O for macOS, PE for Windows.
    pub fn runs_on(&self, platform: &Platform) -> bool {
        self.arch == Some(platform.arch())
            && match self.format {
                ExecutableFormat::Elf => !matches!(platform.os(), Os::Macos | Os::Windows),
                ExecutableFormat::MachO => platform.os() == Os::Macos,
                ExecutableFormat::Pe => platform.os() == Os::Windows,
            }
    }
}

impl fmt::Display for Executable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.arch {
            Some(arch) => write!(f, "{} executable for {arch:?}", self.format),
            None => write!(f, "{} executable for an unknown machine", self.format),
        }
    }
}

impl Platform {
    /// Refuses the program at `path` when its header says it is an executable (ELF, Mach-O,
    /// PE) for another operating system or machine than this platform. Files that are none of
    /// these (scripts) pass.
    pub fn check_executable(&self, path: &Path) -> Result<(), PlatformError> {
        let found = Executable::read(path).map_err(|source| PlatformError::Unreadable {
            path: path.to_owned(),
            source,
        })?;
        match found {
            Some(exe) if !exe.runs_on(self) => Err(PlatformError::WrongExecutable {
                path: path.to_owned(),
                found: exe.to_string(),
                platform: self.to_string(),
            }),
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn elf(machine: u16, big: bool) -> Vec<u8> {
        let mut h = vec![0u8; 64];
        h[..4].copy_from_slice(b"\x7fELF");
        h[5] = if big { 2 } else { 1 };
        let m = if big {
            machine.to_be_bytes()
        } else {
            machine.to_le_bytes()
        };
        h[18..20].copy_from_slice(&m);
        h
    }

    #[test]
    fn headers_name_their_machine() {
        assert_eq!(
            Executable::from_header(&elf(62, false)).map(|e| e.arch),
            Some(Some(Arch::X86_64))
        );
        assert_eq!(
            Executable::from_header(&elf(22, true)).map(|e| e.arch),
            Some(Some(Arch::S390x))
        );
        assert_eq!(
            Executable::from_header(&elf(9999, false)).map(|e| e.arch),
            Some(None)
        );
        let mut macho = vec![0u8; 32];
        macho[..4].copy_from_slice(&0xfeed_facf_u32.to_le_bytes());
        macho[4..8].copy_from_slice(&0x0100_000c_u32.to_le_bytes());
        let exe = Executable::from_header(&macho).unwrap();
        assert_eq!(exe.format, ExecutableFormat::MachO);
        assert!(exe.runs_on(&"aarch64-apple-darwin".parse().unwrap()));
        assert!(!exe.runs_on(&"aarch64-unknown-linux-gnu".parse().unwrap()));
        let mut pe = vec![0u8; 256];
        pe[..2].copy_from_slice(b"MZ");
        pe[0x3c..0x40].copy_from_slice(&128u32.to_le_bytes());
        pe[128..132].copy_from_slice(b"PE\0\0");
        pe[132..134].copy_from_slice(&0x8664u16.to_le_bytes());
        let exe = Executable::from_header(&pe).unwrap();
        assert_eq!(exe.to_string(), "PE executable for X86_64");
        assert!(exe.runs_on(&"x86_64-pc-windows-msvc".parse().unwrap()));
    }

    #[test]
    fn truncated_or_hostile_headers_are_not_executables() {
        assert_eq!(Executable::from_header(b"\x7fELF"), None);
        assert_eq!(Executable::from_header(b"MZ"), None);
        let mut pe = vec![0u8; 64];
        pe[..2].copy_from_slice(b"MZ");
        pe[0x3c..0x40].copy_from_slice(&u32::MAX.to_le_bytes());
        assert_eq!(Executable::from_header(&pe), None);
    }

    #[test]
    fn check_executable_refuses_another_machine() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("prog");
        std::fs::write(&path, elf(183, false)).unwrap();
        let arm: Platform = "aarch64-unknown-linux-gnu".parse().unwrap();
        let x86: Platform = "x86_64-unknown-linux-gnu".parse().unwrap();
        arm.check_executable(&path).unwrap();
        let err = x86.check_executable(&path).unwrap_err().to_string();
        assert!(err.contains("ELF executable for Aarch64"), "{err}");
        std::fs::write(&path, "#!/bin/sh\n").unwrap();
        x86.check_executable(&path).unwrap();
        let missing = x86.check_executable(&dir.path().join("none")).unwrap_err();
        assert!(matches!(missing, PlatformError::Unreadable { .. }));
    }
}
