//! Reading `.rpm` files: [`RpmPackage`] reads the lead, the signature header, the main header
//! and the payload, and checks the digests the headers record against the bytes.
//!
//! The reader takes any `impl Read` and never holds the payload: it is hashed as it streams
//! past. Headers are bounded ([`RpmHeader`]), so a hostile file costs at most the bytes it
//! really holds.

mod header;

use std::io::{self, Read};
use std::path::Path;

use consign_core::{Algorithm, Digest, Written, hash_reader};

pub use header::{HeaderEntry, RpmHeader, TagType, TagValue};

use self::header::malformed;
use super::error::RpmError;
use super::tags;
use crate::Error;

/// Names of the parts of a package, in errors.
const LEAD: &str = "lead";
const SIGNATURE: &str = "signature header";
const MAIN: &str = "main header";

/// The 96-byte lead at the start of every `.rpm`: mostly historical (rpm reads the package's
/// identity from the main header), kept for what `file(1)` and old tools show.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct RpmLead {
    /// Format major version (3; rpm also reads 4).
    pub major: u8,
    /// Format minor version.
    pub minor: u8,
    /// 0 for a binary package, 1 for a source package.
    pub kind: u16,
    /// rpm's architecture number (1 for x86 and x86_64, 19 for aarch64).
    pub arch: u16,
    /// `name-version-release` as the lead holds it (at most 65 bytes).
    pub name: String,
    /// rpm's operating system number (1 for Linux).
    pub os: u16,
    /// The signature type: 5, a signature header follows.
    pub signature_type: u16,
}

impl RpmLead {
    fn read(reader: &mut impl Read) -> Result<RpmLead, Error> {
        let mut l = [0u8; 96];
        read_exact(reader, &mut l, LEAD)?;
        if l[..4] != [0xed, 0xab, 0xee, 0xdb] {
            return Err(RpmError::NotRpm.into());
        }
        let be16 = |at: usize| u16::from_be_bytes([l[at], l[at + 1]]);
        let name = &l[10..76];
        let name = &name[..name.iter().position(|&b| b == 0).unwrap_or(name.len())];
        let lead = RpmLead {
            major: l[4],
            minor: l[5],
            kind: be16(6),
            arch: be16(8),
            name: std::str::from_utf8(name)
                .map_err(|_| malformed(LEAD, "the package name is not UTF-8"))?
                .to_owned(),
            os: be16(76),
            signature_type: be16(78),
        };
        if !(3..=4).contains(&lead.major) {
            return Err(malformed(
                LEAD,
                &format!("format version {} (rpm reads 3 and 4)", lead.major),
            ));
        }
        if lead.signature_type != 5 {
            return Err(malformed(
                LEAD,
                &format!(
                    "signature type {} (only 5, a signature header, is used since rpm 2.1)",
                    lead.signature_type
                ),
            ));
        }
        Ok(lead)
    }
}

/// The lead and both headers of an `.rpm`, read and checked, before the payload.
///
/// [`RpmHeaders::read`] refuses a package whose main header does not hash to the SHA-256 the
/// signature header records for it, or that lacks a name, version, release or architecture.
/// It leaves the reader at the start of the payload: [`RpmHeaders::check_payload`] reads the
/// rest. [`RpmPackage::read`] does both.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RpmHeaders {
    lead: RpmLead,
    signature: RpmHeader,
    header: RpmHeader,
    header_sha256: Option<Digest>,
}

impl RpmHeaders {
    /// Reads the lead, the signature header (and its padding) and the main header.
    pub fn read(reader: &mut impl Read) -> Result<RpmHeaders, Error> {
        let lead = RpmLead::read(reader)?;
        let signature = RpmHeader::read(reader, SIGNATURE)?;
        let padding = signature.as_bytes().len().next_multiple_of(8) - signature.as_bytes().len();
        read_exact(reader, &mut [0u8; 8][..padding], SIGNATURE)?;
        let header = RpmHeader::read(reader, MAIN)?;

        let header_sha256 = match signature.string(tags::SIG_SHA256) {
            Some(hex) => {
                let recorded = Digest::from_hex(Algorithm::Sha256, hex).map_err(|_| {
                    malformed(SIGNATURE, "its SHA-256 of the main header is not a digest")
                })?;
                let actual = Digest::of(Algorithm::Sha256, header.as_bytes());
                if actual != recorded {
                    return Err(RpmError::DigestMismatch {
                        what: "main header",
                        recorded: Box::new(recorded),
                        actual: Box::new(actual),
                    }
                    .into());
                }
                Some(recorded)
            }
            None => None,
        };
        for (tag, name) in [
            (tags::NAME, "name"),
            (tags::VERSION, "version"),
            (tags::RELEASE, "release"),
            (tags::ARCH, "architecture"),
        ] {
            if header.string(tag).is_none() {
                return Err(RpmError::MissingTag { tag, name }.into());
            }
        }
        Ok(RpmHeaders {
            lead,
            signature,
            header,
            header_sha256,
        })
    }

    /// The lead.
    pub fn lead(&self) -> &RpmLead {
        &self.lead
    }

    /// The signature header: digests and sizes of the main header and payload, signatures.
    pub fn signature(&self) -> &RpmHeader {
        &self.signature
    }

    /// The main header: everything rpm knows about the package.
    pub fn header(&self) -> &RpmHeader {
        &self.header
    }

    /// The package name (`RPMTAG_NAME`).
    pub fn name(&self) -> &str {
        self.header.string(tags::NAME).unwrap_or_default()
    }

    /// The version (`RPMTAG_VERSION`).
    pub fn version(&self) -> &str {
        self.header.string(tags::VERSION).unwrap_or_default()
    }

    /// The release (`RPMTAG_RELEASE`).
    pub fn release(&self) -> &str {
        self.header.string(tags::RELEASE).unwrap_or_default()
    }

    /// The architecture (`x86_64`, `noarch`; `RPMTAG_ARCH`).
    pub fn arch(&self) -> &str {
        self.header.string(tags::ARCH).unwrap_or_default()
    }

    /// The epoch, when the package has one (`RPMTAG_EPOCH`).
    pub fn epoch(&self) -> Option<u32> {
        self.header.int32(tags::EPOCH)
    }

    /// The SHA-256 of the main header the signature header records, which
    /// [`RpmHeaders::read`] checked against the header's bytes; `None` for packages from
    /// before rpm 4.14 recorded one.
    pub fn header_sha256(&self) -> Option<&Digest> {
        self.header_sha256.as_ref()
    }

    /// The SHA-256 of the compressed payload the main header records (`PAYLOADDIGEST`);
    /// `None` when it records none, or records its algorithm (`PAYLOADDIGESTALGO`) as other
    /// than SHA-256. [`RpmHeaders::check_payload`] checks it.
    pub fn payload_digest(&self) -> Result<Option<Digest>, Error> {
        let Some(hex) = self.header.string(tags::PAYLOADDIGEST) else {
            return Ok(None);
        };
        // rpm 4.18 checks this digest as SHA-256 whatever the algorithm tag says; a package
        // that says otherwise is left unchecked here rather than refused.
        if !matches!(
            self.header.int32(tags::PAYLOADDIGESTALGO),
            None | Some(tags::HASH_SHA256)
        ) {
            return Ok(None);
        }
        Digest::from_hex(Algorithm::Sha256, hex)
            .map(Some)
            .map_err(|_| malformed(MAIN, "its payload digest is not a digest"))
    }

    /// The size of main header plus payload the signature header records (`SIZE` or
    /// `LONGSIZE`).
    pub fn recorded_size(&self) -> Option<u64> {
        self.signature
            .int64(tags::SIG_LONGSIZE)
            .or_else(|| self.signature.int64(tags::SIG_SIZE))
    }

    /// Reads the payload (everything after the main header) to its end and checks it against
    /// the headers: its digest against [`RpmHeaders::payload_digest`], the size of header and
    /// payload against [`RpmHeaders::recorded_size`]. The payload is hashed as it streams,
    /// never held. It is not decompressed: the uncompressed digest (`PAYLOADDIGESTALT`) and
    /// the files' digests are not checked here.
    pub fn check_payload(&self, reader: impl Read) -> Result<RpmPayload, Error> {
        let recorded = self.payload_digest()?;
        let written = hash_reader(reader, &[Algorithm::Sha256])
            .map_err(|source| RpmError::Read { source })?;
        if let (Some(recorded), Some(&actual)) = (recorded, written.sha256())
            && actual != recorded
        {
            return Err(RpmError::DigestMismatch {
                what: "payload",
                recorded: Box::new(recorded),
                actual: Box::new(actual),
            }
            .into());
        }
        if let Some(size) = self.recorded_size() {
            let actual = self.header.as_bytes().len() as u64 + written.size;
            if actual != size {
                return Err(RpmError::SizeMismatch {
                    what: "main header and payload",
                    recorded: size,
                    actual,
                }
                .into());
            }
        }
        Ok(RpmPayload { written, recorded })
    }
}

/// The payload of an `.rpm` as read: its size and digests, and the digest the main header
/// records for it, which matched.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct RpmPayload {
    /// The compressed payload's size and SHA-256.
    pub written: Written,
    /// The digest the main header records (`PAYLOADDIGEST`), checked; `None` when it records
    /// none, or one that is not SHA-256.
    pub recorded: Option<Digest>,
}

/// An `.rpm` read from start to end, every digest it records over its own bytes checked.
///
/// ```
/// use consign_core::{ArtifactWriter, Entry, FileTree, PackageMeta, SourceDate};
/// use consign_package::Error;
/// use consign_package::rpm::{Rpm, RpmError, RpmPackage};
///
/// let mut tree = FileTree::new();
/// tree.insert("usr/bin/hello", Entry::bytes(b"#!/bin/sh\necho hello\n".to_vec()).mode(0o755))?;
/// let meta = PackageMeta::new("hello", "1.0")?.description("Hello\nSays hello.").license("MIT");
/// let rpm = Rpm::new(&tree, &meta, "aarch64-unknown-linux-gnu".parse()?, SourceDate::from_unix(0));
/// let mut bytes = Vec::new();
/// rpm.write_to(&mut bytes)?;
///
/// let package = RpmPackage::read(&bytes[..])?;
/// let h = &package.headers;
/// assert_eq!((h.name(), h.version(), h.release(), h.arch()), ("hello", "1.0", "1", "aarch64"));
/// assert!(h.header_sha256().is_some());
/// assert_eq!(package.payload.recorded.as_ref(), package.payload.written.sha256());
///
/// // One changed payload byte, and the package is refused.
/// let last = bytes.len() - 1;
/// bytes[last] ^= 1;
/// let err = RpmPackage::read(&bytes[..]).unwrap_err();
/// assert!(matches!(err, Error::Rpm(RpmError::DigestMismatch { what: "payload", .. })));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct RpmPackage {
    /// The lead and headers.
    pub headers: RpmHeaders,
    /// The payload, checked.
    pub payload: RpmPayload,
}

impl RpmPackage {
    /// Reads a package from `reader` to its end ([`RpmHeaders::read`], then
    /// [`RpmHeaders::check_payload`]).
    pub fn read(mut reader: impl Read) -> Result<RpmPackage, Error> {
        let headers = RpmHeaders::read(&mut reader)?;
        let payload = headers.check_payload(reader)?;
        Ok(RpmPackage { headers, payload })
    }

    /// Reads the package at `path`.
    pub fn open(path: impl AsRef<Path>) -> Result<RpmPackage, Error> {
        let path = path.as_ref();
        let file = std::fs::File::open(path)
            .map_err(|e| Error::Io(consign_core::IoError::new("open", path, e)))?;
        RpmPackage::read(io::BufReader::new(file))
    }
}

/// Fills `buf` from `reader`; the end of the input inside `part` is [`RpmError::Truncated`].
fn read_exact(reader: &mut impl Read, buf: &mut [u8], part: &'static str) -> Result<(), Error> {
    reader.read_exact(buf).map_err(|source| {
        if source.kind() == io::ErrorKind::UnexpectedEof {
            RpmError::Truncated { part }.into()
        } else {
            RpmError::Read { source }.into()
        }
    })
}
