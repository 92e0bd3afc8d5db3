//! RPM packages: [`Rpm`] writes a [`FileTree`] and its [`PackageMeta`] as a binary `.rpm`;
//! [`RpmPackage`] reads one back (lead, headers by tag, identity) and checks the digests it
//! records against its bytes.
//!
//! The package is the v4 format every rpm from 4.14 to 6 installs: a lead, a signature header
//! (SHA-256 of the main header, sizes, space reserved for a signature), the main header, and
//! a compressed cpio payload (gzip, xz or zstd). The main header carries the digests current
//! rpm insists on: SHA-256 of every file (`FILEDIGESTALGO` 8), of the compressed payload
//! (`PAYLOADDIGEST`) and of the uncompressed one (`PAYLOADDIGESTALT`), so `rpm -Kv` reports
//! each digest OK and rpm 6 does not refuse the package for having none. Files of 4 GiB or
//! more switch the package to 64-bit size tags and rpm's stripped cpio format
//! (`rpmlib(LargeFiles)`).
//!
//! # Why consign writes its own
//!
//! The header must record digests and sizes of the payload, and it comes before the payload.
//! The `rpm` crate solves this by holding the whole compressed payload in memory (a 1 GiB
//! file costs a gigabyte of RAM); rpmbuild writes placeholders and seeks back, so it cannot
//! write to a pipe. [`Rpm`] compresses the payload once into an anonymous temporary file
//! while hashing the raw and compressed bytes and every file, builds the headers from those
//! digests, then writes lead, headers and the spooled payload to any `impl Write`: memory
//! stays flat, each input file is read once, and the output is never read back.
//!
//! # Reproducible
//!
//! Entries are in path order, every file time and the build time are the [`SourceDate`], the
//! build host is a fixed name, owners come from the tree, relations are sorted, and the
//! compressors are deterministic: the same inputs give the same bytes.
//!
//! ```
//! use consign_core::{
//!     ArtifactWriter, Dependency, Entry, FileTree, PackageMeta, Platform, SourceDate, VersionOp,
//! };
//! use consign_package::rpm::{Rpm, RpmSpec, Scriptlet, ScriptletKind};
//!
//! let mut tree = FileTree::new();
//! tree.insert("usr/bin/hello", Entry::bytes(b"#!/bin/sh\necho hello\n".to_vec()).mode(0o755))?;
//! tree.insert("etc/hello.conf", Entry::bytes(b"greeting = hello\n".to_vec()).config())?;
//! let meta = PackageMeta::new("hello", "1.0.0")?
//!     .description("Says hello\nA longer text about saying hello.")
//!     .license("MIT");
//! let spec = RpmSpec::default()
//!     .requires(Dependency::new("coreutils").version(VersionOp::GreaterEq, "8"))
//!     .scriptlet(Scriptlet::new(ScriptletKind::Post, "echo installed\n"));
//! let rpm = Rpm::new(&tree, &meta, "x86_64-unknown-linux-gnu".parse()?, SourceDate::from_unix(1_700_000_000))
//!     .spec(spec);
//! assert_eq!(rpm.file_name()?, "hello-1.0.0-1.x86_64.rpm");
//! let mut out = Vec::new();
//! let written = rpm.write_to(&mut out)?;
//! assert_eq!(written.written.size, out.len() as u64);
//! assert_eq!(&out[..4], &[0xed, 0xab, 0xee, 0xdb]);
//! // Same inputs, same bytes.
//! assert_eq!(rpm.write_to(Vec::new())?, written);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod assemble;
#[cfg(feature = "cargo")]
pub mod cargo;
mod check;
mod cpio;
mod deps;
mod error;
mod files;
mod header;
mod read;
mod spec;
mod tags;

use std::io::Write;

use consign_core::{
    Algorithm, ArtifactKind, ArtifactWriter, FileTree, HashingWriter, Monitor, PackageMeta,
    Platform, SourceDate, WriteReport, Written,
};

use crate::Error;
use crate::compress::{Codec, Compression};
use crate::spool::SpoolWriter;

#[cfg(feature = "cargo")]
pub use cargo::{CargoRpm, CargoTarget};
pub use error::RpmError;
pub use read::{
    HeaderEntry, RpmHeader, RpmHeaders, RpmLead, RpmPackage, RpmPayload, TagType, TagValue,
};
pub use spec::{ChangelogEntry, FileAttrs, RelationKind, RpmSpec, Scriptlet, ScriptletKind};

/// Behaviour switches for [`Rpm`].
///
/// ```
/// use consign_package::compress::{Codec, Compression};
/// use consign_package::rpm::RpmOptions;
/// let fast = RpmOptions::default().compression(Compression::new(Codec::Zstd).level(3)?);
/// assert_eq!(fast.compression.get_level(), 3);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct RpmOptions {
    /// Payload compression: gzip, xz or zstd (zstd level 19 by default, as rpm 6 does).
    pub compression: Compression,
    /// Digests computed over the whole `.rpm` while it is written.
    pub algorithms: Vec<Algorithm>,
    /// The `BUILDHOST` recorded (`localhost` by default: the real host name would make
    /// builds differ).
    pub build_host: String,
    /// Zero bytes reserved in the signature header so that a signature can later be added
    /// in place (`rpmsign`); 4128 by default, as rpmbuild reserves; at most 1 MiB.
    pub reserved_space: u32,
    /// Progress (bytes of file data read) and cancellation.
    pub monitor: Monitor,
}

impl Default for RpmOptions {
    fn default() -> Self {
        RpmOptions {
            compression: Compression::new(Codec::Zstd),
            algorithms: vec![Algorithm::Sha256],
            build_host: "localhost".into(),
            reserved_space: 4128,
            monitor: Monitor::default(),
        }
    }
}

output_setters!(RpmOptions, compression);

impl RpmOptions {
    /// Sets the recorded build host.
    #[must_use]
    pub fn build_host(mut self, host: impl Into<String>) -> Self {
        self.build_host = host.into();
        self
    }

    /// Sets the space reserved for a signature.
    #[must_use]
    pub fn reserved_space(mut self, bytes: u32) -> Self {
        self.reserved_space = bytes;
        self
    }
}

/// A binary rpm of a [`FileTree`], ready to be written.
///
/// Required: the tree, the package metadata (name, version, a description and a license),
/// the target [`Platform`] (its RPM architecture) and the [`SourceDate`]. [`RpmSpec`] adds
/// what only rpm says; [`RpmOptions`] chooses compression and digests. Everything is checked
/// before the first byte is written.
///
/// ```
/// use consign_core::{ArtifactWriter, Entry, FileTree, PackageMeta, SourceDate};
/// use consign_package::Error;
/// use consign_package::rpm::{RelationKind, Rpm, RpmSpec};
///
/// let mut tree = FileTree::new();
/// tree.insert("usr/share/hello/greeting", Entry::bytes(b"hello\n".to_vec()))?;
/// let meta = PackageMeta::new("hello-data", "2.1")?
///     .description("Greetings\nData files for hello.")
///     .license("CC0-1.0");
/// let platform = "aarch64-unknown-linux-gnu".parse()?;
/// let rpm = Rpm::new(&tree, &meta, platform, SourceDate::from_unix(0))
///     .spec(RpmSpec::default().release("3").epoch(1));
/// let dir = tempfile::tempdir()?;
/// let path = dir.path().join(rpm.file_name()?);
/// let report = rpm.write_to_path(&path)?;
/// assert!(path.ends_with("hello-data-2.1-3.aarch64.rpm"));
/// assert_eq!(report.written.size, std::fs::metadata(&path)?.len());
/// // What repository metadata (`primary.xml`) needs besides the file's digests.
/// assert_eq!((report.epoch, report.release.as_str(), report.arch), (Some(1), "3", "aarch64"));
/// assert!(report.provides().any(|p| p.name == "hello-data" && p.version == "1:2.1-3"));
///
/// // Refused input names the value, and leaves nothing at the path.
/// let bad = rpm.clone().spec(RpmSpec::default().release("3-1"));
/// let err = bad.write_to_path(dir.path().join("bad.rpm")).unwrap_err();
/// assert!(matches!(err, Error::Invalid { field: "release", .. }));
/// assert!(!dir.path().join("bad.rpm").exists());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug)]
pub struct Rpm<'a> {
    tree: &'a FileTree,
    meta: &'a PackageMeta,
    platform: Platform,
    date: SourceDate,
    spec: RpmSpec,
    options: RpmOptions,
    signer: Option<crate::signing::PackageSigner<'a>>,
}

impl<'a> Rpm<'a> {
    /// An rpm of `tree` described by `meta`, for `platform`, dated `date`.
    pub fn new(
        tree: &'a FileTree,
        meta: &'a PackageMeta,
        platform: Platform,
        date: SourceDate,
    ) -> Rpm<'a> {
        Rpm {
            tree,
            meta,
            platform,
            date,
            spec: RpmSpec::default(),
            options: RpmOptions::default(),
            signer: None,
        }
    }

    /// Signs the package with `signer`: an OpenPGP signature of the main
    /// header goes into the signature header (`RPMSIGTAG_RSA` for RSA keys, `RPMSIGTAG_DSA`
    /// for EdDSA and ECDSA keys), as `rpmsign --addsign` puts it. The header holds the
    /// payload's digests, so the signature covers the whole package while the payload is
    /// still streamed.
    ///
    /// rpm 4.18 (Debian 12) checks RSA and Ed25519 signatures. The signer dates its
    /// signatures itself (consign-sign's `OpenPgpSigner` from a `SourceDate`), so the same key and date
    /// give the same package bytes.
    ///
    /// ```
    /// use consign_core::{ArtifactWriter, Entry, FileTree, PackageMeta, SourceDate};
    /// use consign_package::rpm::Rpm;
    /// use consign_sign::KeyAlgorithm;
    /// use consign_sign::openpgp::{OpenPgpKey, OpenPgpSigner, Passphrase};
    ///
    /// let date = SourceDate::from_unix(1_700_000_000);
    /// let key = OpenPgpKey::generate("Release <r@example.org>", KeyAlgorithm::Ed25519, date)?;
    /// let signer = OpenPgpSigner::from_armored(key.secret_armored(), &Passphrase::none(), date)?;
    ///
    /// let mut tree = FileTree::new();
    /// tree.insert("usr/share/hello/greeting", Entry::bytes(b"hello\n".to_vec()))?;
    /// let meta = PackageMeta::new("hello-data", "2.1")?
    ///     .description("Greetings\nData files for hello.")
    ///     .license("CC0-1.0");
    /// let rpm = Rpm::new(&tree, &meta, "x86_64-unknown-linux-gnu".parse()?, date).signer(&signer);
    /// let mut bytes = Vec::new();
    /// rpm.write_to(&mut bytes)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn signer(mut self, signer: &'a dyn consign_core::Signer) -> Rpm<'a> {
        self.signer = Some(crate::signing::PackageSigner(signer));
        self
    }

    /// The header signature and its signature-header tag, when the package is signed.
    fn header_signature(&self, main: &[u8]) -> Result<Option<(u32, Vec<u8>)>, Error> {
        let Some(signer) = self.signer else {
            return Ok(None);
        };
        let tag = match signer.algorithm() {
            consign_core::KeyAlgorithm::Rsa { .. } => tags::SIG_RSA,
            _ => tags::SIG_DSA,
        };
        let signature = signer
            .binary(&mut &main[..])
            .map_err(|source| Error::Sign { source })?;
        Ok(Some((tag, signature)))
    }

    /// Sets the rpm-specific metadata.
    #[must_use]
    pub fn spec(mut self, spec: RpmSpec) -> Rpm<'a> {
        self.spec = spec;
        self
    }

    /// Sets the options.
    #[must_use]
    pub fn options(mut self, options: RpmOptions) -> Rpm<'a> {
        self.options = options;
        self
    }
}

/// One relation of an rpm (`Provides`, `Requires`, …) as its header stores it.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct RpmRelation {
    /// Which list it is in.
    pub kind: RelationKind,
    /// The name (`libc.so.6()(64bit)`, `/bin/sh`, `config(hello)`).
    pub name: String,
    /// rpm's sense flags (`RPMSENSE_*`): the comparison and, for requires, when it applies.
    pub flags: u32,
    /// The `[epoch:]version[-release]` compared against; empty when any version does.
    pub version: String,
}

impl RpmRelation {
    /// The comparison as repository metadata writes it (`EQ`, `LT`, `LE`, `GT`, `GE`), or
    /// `None` when any version does.
    pub fn comparison(&self) -> Option<&'static str> {
        let (less, greater, equal) = (
            self.flags & tags::SENSE_LESS != 0,
            self.flags & tags::SENSE_GREATER != 0,
            self.flags & tags::SENSE_EQUAL != 0,
        );
        match (less, greater, equal) {
            (true, false, false) => Some("LT"),
            (true, false, true) => Some("LE"),
            (false, true, false) => Some("GT"),
            (false, true, true) => Some("GE"),
            (false, false, true) => Some("EQ"),
            _ => None,
        }
    }
}

/// What writing an [`Rpm`] reports: the size and digests of the package and what repository
/// metadata (`primary.xml`) repeats about it.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct RpmReport {
    /// The size and digests of the `.rpm`.
    pub written: Written,
    /// The package name.
    pub name: String,
    /// The epoch, when the package has one.
    pub epoch: Option<u32>,
    /// The version.
    pub version: String,
    /// The release.
    pub release: String,
    /// The RPM architecture (`x86_64`, `aarch64`, `noarch`).
    pub arch: &'static str,
    /// Every relation, sorted, without the `rpmlib(...)` features.
    pub relations: Vec<RpmRelation>,
}

impl RpmReport {
    /// The relations of one kind.
    pub fn of_kind(&self, kind: RelationKind) -> impl Iterator<Item = &RpmRelation> {
        self.relations.iter().filter(move |r| r.kind == kind)
    }

    /// What the package provides.
    pub fn provides(&self) -> impl Iterator<Item = &RpmRelation> {
        self.of_kind(RelationKind::Provides)
    }

    /// What the package requires.
    pub fn requires(&self) -> impl Iterator<Item = &RpmRelation> {
        self.of_kind(RelationKind::Requires)
    }
}

impl WriteReport for RpmReport {
    fn written(&self) -> &Written {
        &self.written
    }
}

impl ArtifactWriter for Rpm<'_> {
    type Report = RpmReport;
    type Error = crate::Error;

    /// The conventional file name, `name-version-release.arch.rpm` (what rpmlint expects).
    fn file_name(&self) -> Result<String, Error> {
        let p = assemble::identity(self.meta, &self.spec, &self.platform)?;
        Ok(format!(
            "{}-{}-{}.{}.rpm",
            p.name, p.version, p.release, p.arch.name
        ))
    }

    fn kind(&self) -> ArtifactKind {
        ArtifactKind::Rpm
    }

    fn platform(&self) -> Option<Platform> {
        Some(self.platform)
    }

    /// Writes the package to `out` and reports it.
    ///
    /// The payload is compressed into a temporary file first (its digests go into the
    /// header, which precedes it); nothing is written to `out` when the input is refused.
    fn write_to<W: Write>(&self, out: W) -> Result<RpmReport, Error> {
        let plan = assemble::Plan::new(
            self.tree,
            self.meta,
            &self.spec,
            &self.platform,
            self.date,
            &self.options,
        )?;
        let spool = SpoolWriter::new(
            &self.options.compression,
            &[Algorithm::Sha256],
            &[Algorithm::Sha256],
        )
        .map_err(|source| Error::Spool { source })?;
        let monitor = &self.options.monitor;
        monitor.check()?;
        monitor.begin(
            &self.file_name().unwrap_or_else(|_| "rpm".to_owned()),
            Some(self.tree.total_size()),
        );
        let payload = plan.files.write_payload(spool, plan.date, monitor);
        monitor.end();
        let (spool, file_digests) = payload?;
        let spool = spool.finish().map_err(|source| Error::Spool { source })?;
        let lead = plan.lead();
        let main = plan.main_header(file_digests, &spool.raw, &spool.packed)?;
        let signature = assemble::signature_header(
            &main,
            spool.packed.size,
            spool.raw.size,
            self.options.reserved_space,
            self.header_signature(&main)?,
        )?;

        let output = |source| Error::Output { source };
        let mut out = HashingWriter::new(out, &self.options.algorithms);
        out.write_all(&lead).map_err(output)?;
        out.write_all(&signature).map_err(output)?;
        out.write_all(&main).map_err(output)?;
        spool.copy_to(&mut out).map_err(output)?;
        let (mut out, written) = out.finish();
        out.flush().map_err(output)?;
        Ok(plan.report(written))
    }
}
