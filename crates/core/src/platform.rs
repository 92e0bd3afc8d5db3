//! [`Platform`]: one target, named the way each ecosystem names it.
//!
//! A platform is an operating system, a CPU architecture and, where it matters, a C library.
//! It converts between Rust target triples, Debian architectures, RPM architectures and OCI
//! (Go) platform names. A name with no mapping is an error, never a guess.
//!
//! | Rust arch | Debian | RPM | OCI arch/variant |
//! |---|---|---|---|
//! | `x86_64` | `amd64` | `x86_64` | `amd64` |
//! | `i686` | `i386` | `i686` | `386` |
//! | `aarch64` | `arm64` | `aarch64` | `arm64/v8` |
//! | `armv7` (`gnueabihf`) | `armhf` | `armv7hl` | `arm/v7` |
//! | `riscv64gc` | `riscv64` | `riscv64` | `riscv64` |
//! | `powerpc64le` | `ppc64el` | `ppc64le` | `ppc64le` |
//! | `s390x` | `s390x` | `s390x` | `s390x` |
//! | `loongarch64` | `loong64` | `loongarch64` | `loong64` |

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A CPU architecture.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Arch {
    /// x86-64.
    X86_64,
    /// 32-bit x86 (i686).
    X86,
    /// 64-bit ARM.
    Aarch64,
    /// 32-bit ARMv7 with hardware floating point.
    Armv7,
    /// 64-bit RISC-V (GC).
    Riscv64,
    /// 64-bit little-endian POWER.
    Powerpc64le,
    /// IBM Z.
    S390x,
    /// 64-bit LoongArch.
    Loongarch64,
}

/// An operating system.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Os {
    /// Linux.
    Linux,
    /// macOS.
    Macos,
    /// Windows.
    Windows,
    /// FreeBSD.
    Freebsd,
}

/// The C library / ABI environment of a target.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Libc {
    /// GNU libc (or the GNU toolchain on Windows).
    Gnu,
    /// musl (static binaries).
    Musl,
    /// The Microsoft toolchain on Windows.
    Msvc,
}

/// One row per architecture: (arch, rust, debian, rpm, oci arch, oci variant).
type ArchRow = (
    Arch,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    Option<&'static str>,
);

const ARCHES: [ArchRow; 8] = [
    (Arch::X86_64, "x86_64", "amd64", "x86_64", "amd64", None),
    (Arch::X86, "i686", "i386", "i686", "386", None),
    (
        Arch::Aarch64,
        "aarch64",
        "arm64",
        "aarch64",
        "arm64",
        Some("v8"),
    ),
    (Arch::Armv7, "armv7", "armhf", "armv7hl", "arm", Some("v7")),
    (
        Arch::Riscv64,
        "riscv64gc",
        "riscv64",
        "riscv64",
        "riscv64",
        None,
    ),
    (
        Arch::Powerpc64le,
        "powerpc64le",
        "ppc64el",
        "ppc64le",
        "ppc64le",
        None,
    ),
    (Arch::S390x, "s390x", "s390x", "s390x", "s390x", None),
    (
        Arch::Loongarch64,
        "loongarch64",
        "loong64",
        "loongarch64",
        "loong64",
        None,
    ),
];

fn row(arch: Arch) -> &'static ArchRow {
    ARCHES
        .iter()
        .find(|r| r.0 == arch)
        .expect("every Arch has a row")
}

/// A target platform.
///
/// ```
/// use consign_core::Platform;
/// let p: Platform = "aarch64-unknown-linux-musl".parse()?;
/// assert_eq!(p.debian_arch()?, "arm64");
/// assert_eq!(p.rpm_arch()?, "aarch64");
/// assert_eq!(p.oci_platform(), "linux/arm64/v8");
/// assert_eq!(p.rust_target(), "aarch64-unknown-linux-musl");
/// assert_eq!(Platform::from_oci("linux/arm64/v8")?.debian_arch()?, "arm64");
/// assert!("sparc-unknown-linux-gnu".parse::<Platform>().is_err());
/// # Ok::<(), consign_core::PlatformError>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(into = "PlatformRepr", try_from = "PlatformRepr")]
pub struct Platform {
    os: Os,
    arch: Arch,
    libc: Option<Libc>,
}

impl Platform {
    /// A platform from its parts; refuses combinations that have no Rust target.
    pub fn new(os: Os, arch: Arch, libc: Option<Libc>) -> Result<Platform, PlatformError> {
        let p = Platform { os, arch, libc };
        // Round-trip through the triple: the only combinations accepted are the ones we name.
        p.rust_target().parse()
    }

    /// The platform this program was compiled for.
    pub fn host() -> Result<Platform, PlatformError> {
        let arch = match std::env::consts::ARCH {
            "x86_64" => "x86_64",
            "x86" => "i686",
            "aarch64" => "aarch64",
            "arm" => "armv7",
            "riscv64" => "riscv64gc",
            "powerpc64" if cfg!(target_endian = "little") => "powerpc64le",
            "s390x" => "s390x",
            "loongarch64" => "loongarch64",
            other => {
                return Err(PlatformError::Unknown {
                    kind: "host architecture",
                    name: other.to_owned(),
                });
            }
        };
        let rest = match std::env::consts::OS {
            "linux" if cfg!(target_env = "musl") => "unknown-linux-musl",
            "linux" if arch == "armv7" => "unknown-linux-gnueabihf",
            "linux" => "unknown-linux-gnu",
            "macos" => "apple-darwin",
            "windows" if cfg!(target_env = "gnu") => "pc-windows-gnu",
            "windows" => "pc-windows-msvc",
            "freebsd" => "unknown-freebsd",
            other => {
                return Err(PlatformError::Unknown {
                    kind: "host operating system",
                    name: other.to_owned(),
                });
            }
        };
        format!("{arch}-{rest}").parse()
    }

    /// Parses an OCI platform `os/arch[/variant]` (`linux/arm64/v8`, `linux/amd64`).
    /// Linux platforms get [`Libc::Gnu`].
    pub fn from_oci(text: &str) -> Result<Platform, PlatformError> {
        let unknown = || PlatformError::Unknown {
            kind: "OCI platform",
            name: text.to_owned(),
        };
        let mut parts = text.split('/');
        let os = match parts.next() {
            Some("linux") => Os::Linux,
            Some("darwin") => Os::Macos,
            Some("windows") => Os::Windows,
            Some("freebsd") => Os::Freebsd,
            _ => return Err(unknown()),
        };
        let arch = parts.next().ok_or_else(unknown)?;
        let variant = parts.next();
        if parts.next().is_some() {
            return Err(unknown());
        }
        let r = ARCHES
            .iter()
            .find(|r| r.4 == arch && (variant.is_none() || variant == r.5))
            .ok_or_else(unknown)?;
        let libc = match os {
            Os::Linux => Some(Libc::Gnu),
            Os::Windows => Some(Libc::Msvc),
            _ => None,
        };
        Platform::new(os, r.0, libc).map_err(|_| unknown())
    }

    /// Parses a Debian architecture (`amd64`, `arm64`, `armhf`, …) as a Linux/glibc platform.
    pub fn from_debian_arch(name: &str) -> Result<Platform, PlatformError> {
        Platform::linux_from(name, "Debian architecture", |r| r.2)
    }

    /// Parses an RPM architecture (`x86_64`, `aarch64`, `armv7hl`, …) as a Linux/glibc platform.
    pub fn from_rpm_arch(name: &str) -> Result<Platform, PlatformError> {
        Platform::linux_from(name, "RPM architecture", |r| r.3)
    }

    fn linux_from(
        name: &str,
        kind: &'static str,
        column: fn(&ArchRow) -> &'static str,
    ) -> Result<Platform, PlatformError> {
        let r =
            ARCHES
                .iter()
                .find(|r| column(r) == name)
                .ok_or_else(|| PlatformError::Unknown {
                    kind,
                    name: name.to_owned(),
                })?;
        Platform::new(Os::Linux, r.0, Some(Libc::Gnu))
    }

    /// The operating system.
    pub fn os(&self) -> Os {
        self.os
    }

    /// The CPU architecture.
    pub fn arch(&self) -> Arch {
        self.arch
    }

    /// The C library, where the target names one.
    pub fn libc(&self) -> Option<Libc> {
        self.libc
    }

    /// The Rust target triple (`x86_64-unknown-linux-gnu`).
    pub fn rust_target(&self) -> String {
        let arch = row(self.arch).1;
        let (vendor, os) = match self.os {
            Os::Linux => ("unknown", "linux"),
            Os::Macos => ("apple", "darwin"),
            Os::Windows => ("pc", "windows"),
            Os::Freebsd => ("unknown", "freebsd"),
        };
        let env = match (self.libc, self.arch) {
            (None, _) => String::new(),
            (Some(Libc::Gnu), Arch::Armv7) => "-gnueabihf".into(),
            (Some(Libc::Musl), Arch::Armv7) => "-musleabihf".into(),
            (Some(Libc::Gnu), _) => "-gnu".into(),
            (Some(Libc::Musl), _) => "-musl".into(),
            (Some(Libc::Msvc), _) => "-msvc".into(),
        };
        format!("{arch}-{vendor}-{os}{env}")
    }

    /// The Debian architecture; only Linux platforms have one.
    pub fn debian_arch(&self) -> Result<&'static str, PlatformError> {
        self.linux_only("Debian architecture")?;
        Ok(row(self.arch).2)
    }

    /// The RPM architecture; only Linux platforms have one.
    pub fn rpm_arch(&self) -> Result<&'static str, PlatformError> {
        self.linux_only("RPM architecture")?;
        Ok(row(self.arch).3)
    }

    /// The OCI / Go operating system name (`linux`, `darwin`, `windows`, `freebsd`).
    pub fn oci_os(&self) -> &'static str {
        match self.os {
            Os::Linux => "linux",
            Os::Macos => "darwin",
            Os::Windows => "windows",
            Os::Freebsd => "freebsd",
        }
    }

    /// The OCI / Go architecture name (`amd64`, `arm64`, `arm`, …).
    pub fn oci_arch(&self) -> &'static str {
        row(self.arch).4
    }

    /// The OCI architecture variant (`v8` for arm64, `v7` for arm), if any.
    pub fn oci_variant(&self) -> Option<&'static str> {
        row(self.arch).5
    }

    /// `os/arch[/variant]` as OCI tools print it (`linux/arm64/v8`).
    pub fn oci_platform(&self) -> String {
        match self.oci_variant() {
            Some(v) => format!("{}/{}/{v}", self.oci_os(), self.oci_arch()),
            None => format!("{}/{}", self.oci_os(), self.oci_arch()),
        }
    }

    fn linux_only(&self, kind: &'static str) -> Result<(), PlatformError> {
        if self.os == Os::Linux {
            Ok(())
        } else {
            Err(PlatformError::NoMapping {
                kind,
                platform: self.rust_target(),
            })
        }
    }
}

impl FromStr for Platform {
    type Err = PlatformError;

    /// Parses a Rust target triple.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let unknown = || PlatformError::Unknown {
            kind: "Rust target triple",
            name: s.to_owned(),
        };
        let (arch_name, rest) = s.split_once('-').ok_or_else(unknown)?;
        let arch = ARCHES
            .iter()
            .find(|r| r.1 == arch_name)
            .ok_or_else(unknown)?
            .0;
        let armv7 = arch == Arch::Armv7;
        let (os, libc) = match rest {
            "unknown-linux-gnu" if !armv7 => (Os::Linux, Some(Libc::Gnu)),
            "unknown-linux-musl" if !armv7 => (Os::Linux, Some(Libc::Musl)),
            "unknown-linux-gnueabihf" if armv7 => (Os::Linux, Some(Libc::Gnu)),
            "unknown-linux-musleabihf" if armv7 => (Os::Linux, Some(Libc::Musl)),
            "apple-darwin" if matches!(arch, Arch::X86_64 | Arch::Aarch64) => (Os::Macos, None),
            "pc-windows-msvc" if matches!(arch, Arch::X86_64 | Arch::X86 | Arch::Aarch64) => {
                (Os::Windows, Some(Libc::Msvc))
            }
            "pc-windows-gnu" if matches!(arch, Arch::X86_64 | Arch::X86) => {
                (Os::Windows, Some(Libc::Gnu))
            }
            "unknown-freebsd" if matches!(arch, Arch::X86_64 | Arch::X86 | Arch::Aarch64) => {
                (Os::Freebsd, None)
            }
            _ => return Err(unknown()),
        };
        Ok(Platform { os, arch, libc })
    }
}

impl fmt::Display for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.rust_target())
    }
}

/// The JSON form: the target triple plus the OCI names for readers that do not parse triples.
#[derive(Serialize, Deserialize)]
struct PlatformRepr {
    target: String,
    os: String,
    architecture: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    variant: Option<String>,
}

impl From<Platform> for PlatformRepr {
    fn from(p: Platform) -> Self {
        PlatformRepr {
            target: p.rust_target(),
            os: p.oci_os().into(),
            architecture: p.oci_arch().into(),
            variant: p.oci_variant().map(Into::into),
        }
    }
}

impl TryFrom<PlatformRepr> for Platform {
    type Error = PlatformError;
    fn try_from(r: PlatformRepr) -> Result<Self, Self::Error> {
        let p: Platform = r.target.parse()?;
        if p.oci_os() != r.os || p.oci_arch() != r.architecture {
            return Err(PlatformError::Inconsistent {
                target: r.target,
                oci: format!("{}/{}", r.os, r.architecture),
            });
        }
        Ok(p)
    }
}

/// A platform name that consign cannot map, or a program that does not fit a platform.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PlatformError {
    /// The name is not one consign knows.
    #[error("unknown {kind} {name:?}")]
    Unknown {
        /// Which naming scheme.
        kind: &'static str,
        /// The name found.
        name: String,
    },
    /// The platform has no name in that scheme (a Debian architecture for Windows, say).
    #[error("{platform} has no {kind}: only Linux platforms do")]
    NoMapping {
        /// Which naming scheme.
        kind: &'static str,
        /// The platform.
        platform: String,
    },
    /// A program's header names another operating system or machine than the platform it is
    /// released for.
    #[error(
        "{} is a {found}, not one for {platform}: build it for {platform}, or release it for the platform it was built for",
        path.display()
    )]
    WrongExecutable {
        /// The program.
        path: std::path::PathBuf,
        /// What its header says (`ELF executable for X86_64`).
        found: String,
        /// The platform it was to be released for.
        platform: String,
    },
    /// A program whose header could not be read.
    #[error("cannot read the program {}: {source}", path.display())]
    Unreadable {
        /// The program.
        path: std::path::PathBuf,
        /// The error.
        #[source]
        source: std::io::Error,
    },
    /// A serialized platform whose parts disagree.
    #[error("platform {target} does not match OCI platform {oci}")]
    Inconsistent {
        /// The target triple.
        target: String,
        /// The OCI os/arch found beside it.
        oci: String,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mappings() {
        let cases = [
            (
                "x86_64-unknown-linux-musl",
                "amd64",
                "x86_64",
                "linux/amd64",
            ),
            ("x86_64-unknown-linux-gnu", "amd64", "x86_64", "linux/amd64"),
            (
                "aarch64-unknown-linux-gnu",
                "arm64",
                "aarch64",
                "linux/arm64/v8",
            ),
            (
                "armv7-unknown-linux-gnueabihf",
                "armhf",
                "armv7hl",
                "linux/arm/v7",
            ),
            ("i686-unknown-linux-gnu", "i386", "i686", "linux/386"),
            (
                "riscv64gc-unknown-linux-gnu",
                "riscv64",
                "riscv64",
                "linux/riscv64",
            ),
            (
                "powerpc64le-unknown-linux-gnu",
                "ppc64el",
                "ppc64le",
                "linux/ppc64le",
            ),
            ("s390x-unknown-linux-gnu", "s390x", "s390x", "linux/s390x"),
            (
                "loongarch64-unknown-linux-gnu",
                "loong64",
                "loongarch64",
                "linux/loong64",
            ),
        ];
        for (triple, deb, rpm, oci) in cases {
            let p: Platform = triple.parse().unwrap();
            assert_eq!(p.to_string(), triple);
            assert_eq!(p.debian_arch().unwrap(), deb);
            assert_eq!(p.rpm_arch().unwrap(), rpm);
            assert_eq!(p.oci_platform(), oci);
            assert_eq!(Platform::from_debian_arch(deb).unwrap().arch(), p.arch());
            assert_eq!(Platform::from_rpm_arch(rpm).unwrap().arch(), p.arch());
            assert_eq!(Platform::from_oci(oci).unwrap().arch(), p.arch());
            let json = serde_json::to_string(&p).unwrap();
            assert_eq!(serde_json::from_str::<Platform>(&json).unwrap(), p);
        }
    }

    #[test]
    fn non_linux_and_unknown() {
        let mac: Platform = "aarch64-apple-darwin".parse().unwrap();
        assert_eq!(mac.oci_platform(), "darwin/arm64/v8");
        assert!(matches!(
            mac.debian_arch(),
            Err(PlatformError::NoMapping { .. })
        ));
        let win: Platform = "x86_64-pc-windows-msvc".parse().unwrap();
        assert_eq!(win.oci_os(), "windows");
        for bad in [
            "x86_64",
            "x86_64-unknown-linux-gnueabihf",
            "armv7-unknown-linux-gnu",
            "mips-unknown-linux-gnu",
            "x86_64-unknown-haiku",
        ] {
            assert!(bad.parse::<Platform>().is_err(), "{bad}");
        }
        assert!(Platform::from_oci("linux/arm/v5").is_err());
        assert!(Platform::from_debian_arch("sparc64").is_err());
        assert!(Platform::host().is_ok());
        let bad = r#"{"target":"x86_64-unknown-linux-gnu","os":"linux","architecture":"arm64"}"#;
        assert!(serde_json::from_str::<Platform>(bad).is_err());
    }
}
