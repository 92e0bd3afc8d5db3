//! Debian packages: [`Deb`] writes a `.deb` from a [`FileTree`], a [`PackageMeta`], a
//! [`Platform`] and a [`SourceDate`]; [`CargoDeb`] builds those inputs from Cargo metadata
//! and `[package.metadata.deb]`.
//!
//! A `.deb` is an `ar` archive of three members: `debian-binary` (`2.0`), `control.tar.*`
//! (the [`Control`] paragraph, `md5sums`, `conffiles`, maintainer scripts, `triggers`) and
//! `data.tar.*` (the files, named `./`, `./usr/`, `./usr/bin/app` as `dpkg-deb` names them,
//! every parent directory explicit). gzip, xz and zstd are selectable with their level
//! ([`DebOptions::compression`]); all three compress on several threads. dpkg in Debian 12
//! accepts all three; lintian 2.116 (Debian 12) still reports zstd members as
//! `malformed-deb-archive`, so xz (the default, as for `dpkg-deb`) is the choice for packages
//! meant for Debian's own archive.
//!
//! Unless the tree already has them, the writer adds `/usr/share/doc/<package>/copyright`
//! (machine-readable DEP-5, from the license, license file and authors) and
//! `changelog.Debian.gz` (`changelog.gz` for a native version), compressed as `gzip -9n`.
//!
//! **Streaming, bounded memory.** The data member is written once: its tar stream is
//! compressed into an anonymous temporary file while each file's MD5 is computed on the way
//! (for `md5sums`); then the small control member is built in memory, and the `ar` container
//! is written with the spooled payload copied into its last member. Nothing is read twice
//! from the tree and memory does not grow with the payload. The returned [`Written`] holds the
//! digests of the `.deb` computed while it was written.
//!
//! **Reproducible.** Entries in path order, every mtime (tar and `ar`) the source date, owners
//! from the tree (root by default), gzip headers without name or time, compressed output
//! independent of the thread count. Same inputs, same bytes.
//!
//! **Why our own code.** `cargo-deb`, nFPM's Go library and `debian-packaging` hold the
//! compressed package in memory, which our streaming rule forbids. The `ar` crate's builder
//! streams from a reader, but it switches silently to BSD `#1/` long names (which dpkg does
//! not read) and checks the size only after copying; the framing is one sixty-byte ASCII
//! header per member, written here with the limits checked before a byte goes out. Tar
//! headers reuse the archive writer with a `./` layout.
//!
//! ```
//! use consign_core::{ArtifactWriter, Entry, FileTree, PackageMeta, SourceDate};
//! use consign_package::deb::{Deb, DebOptions, RelationField};
//!
//! let meta = PackageMeta::new("hello", "1.0.0")?
//!     .description("Greets the world\nA longer text about greeting.")
//!     .maintainer("Jane Doe <jane@example.org>")
//!     .license("MIT");
//! let mut tree = FileTree::new();
//! tree.insert("usr/bin/hello", Entry::bytes(b"#!/bin/sh\necho hello\n".to_vec()).mode(0o755))?;
//! tree.insert("etc/hello.conf", Entry::bytes(b"greeting = hi\n".to_vec()).config())?;
//!
//! let deb = Deb::new(&tree, &meta, "x86_64-unknown-linux-gnu".parse()?, SourceDate::from_unix(0))
//!     .options(
//!         DebOptions::default()
//!             .revision("1")
//!             .section("utils")
//!             .relations(RelationField::Depends, "dash (>= 0.5)")?,
//!     );
//! assert_eq!(deb.file_name()?, "hello_1.0.0-1_amd64.deb");
//! let mut out = Vec::new();
//! let written = deb.write_to(&mut out)?;
//! assert!(out.starts_with(b"!<arch>\ndebian-binary   "));
//! assert_eq!(deb.write_to(Vec::new())?, written); // reproducible
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod ar;
#[cfg(feature = "cargo")]
pub mod cargo;
mod control;
mod debsig;
mod docs;
mod error;
mod options;
#[cfg(feature = "cargo")]
mod shlibs;

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;

use consign_core::{
    ArtifactKind, ArtifactWriter, Entry, EntryKind, FileTree, HashingWriter, Monitor, PackageMeta,
    Platform, RelPath, SourceDate, WriteReport, Written,
};
use md5::Digest as _;

use crate::Error;
use crate::archive::tarball::{self, FileTap, Layout, NoTap};
use crate::compress::Compression;
use crate::spool::SpoolWriter;

#[cfg(feature = "cargo")]
pub use cargo::{CargoDeb, CargoTarget};
pub use control::{Control, DebVersion, PackageName, Priority, Relation, relation_op};
pub use debsig::verify_origin;
pub use docs::{Changelog, ChangelogEntry};
pub use error::DebError;
pub use options::{DebOptions, RelationField, Script};

/// The largest member an `ar` header can announce (ten decimal digits).
const AR_MAX: u64 = 9_999_999_999;

/// A Debian binary package of a [`FileTree`], ready to be written.
///
/// ```
/// use consign_core::{ArtifactWriter, Entry, FileTree, PackageMeta, Platform, SourceDate};
/// use consign_package::Error;
/// use consign_package::deb::Deb;
///
/// let meta = PackageMeta::new("hello", "2.1.0")?
///     .description("Greets the world")
///     .maintainer("Jane Doe <jane@example.org>")
///     .license("Apache-2.0");
/// let mut tree = FileTree::new();
/// tree.insert("usr/bin/hello", Entry::bytes(b"#!/bin/sh\necho hello\n".to_vec()).mode(0o755))?;
/// let platform: Platform = "aarch64-unknown-linux-gnu".parse()?;
/// let deb = Deb::new(&tree, &meta, platform, SourceDate::from_unix(1_700_000_000));
///
/// let dir = tempfile::tempdir()?;
/// let path = dir.path().join(deb.file_name()?);
/// let report = deb.write_to_path(&path)?;
/// assert_eq!(report.written.size, std::fs::metadata(&path)?.len());
/// assert!(path.ends_with("hello_2.1.0_arm64.deb"));
/// // What an archive index (`Packages`) needs besides the file's digests.
/// assert_eq!(report.control.get("Architecture"), Some("arm64"));
///
/// // A platform without a Debian architecture is refused before anything is written.
/// let mac: Platform = "aarch64-apple-darwin".parse()?;
/// let err = Deb::new(&tree, &meta, mac, SourceDate::from_unix(0)).write_to(Vec::new());
/// assert!(matches!(err, Err(Error::Platform(_))));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug)]
pub struct Deb<'a> {
    tree: &'a FileTree,
    meta: &'a PackageMeta,
    platform: Platform,
    date: SourceDate,
    options: DebOptions,
    signer: Option<crate::signing::PackageSigner<'a>>,
}

/// What writing a [`Deb`] reports: the size and digests of the package and its control
/// paragraph, which an archive index (`Packages`) repeats.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct DebReport {
    /// The size and digests of the `.deb`.
    pub written: Written,
    /// The control paragraph the package carries.
    pub control: Control,
}

impl WriteReport for DebReport {
    fn written(&self) -> &Written {
        &self.written
    }
}

impl ArtifactWriter for Deb<'_> {
    type Report = DebReport;
    type Error = crate::Error;

    /// The conventional file name, `name_version_arch.deb` (the epoch left out, as in the
    /// Debian archive).
    fn file_name(&self) -> Result<String, Error> {
        let v = self.version()?;
        let version = DebVersion::new(None, v.upstream(), v.revision())?;
        Ok(format!(
            "{}_{version}_{}.deb",
            self.package_name()?,
            self.architecture()?
        ))
    }

    fn kind(&self) -> ArtifactKind {
        ArtifactKind::Deb
    }

    fn platform(&self) -> Option<Platform> {
        Some(self.platform)
    }

    /// Writes the package to `out`; the inputs are checked before a byte is written.
    fn write_to<W: Write>(&self, out: W) -> Result<DebReport, Error> {
        let plan = self.plan()?;
        let written = self.write_monitored(&plan, out)?;
        Ok(DebReport {
            written,
            control: plan.control,
        })
    }
}

/// Everything checked and computed before a byte is written.
struct Plan<'a> {
    control: Control,
    data: Cow<'a, FileTree>,
    conffiles: BTreeSet<RelPath>,
}

impl<'a> Deb<'a> {
    /// A package of `tree` described by `meta`, for `platform`, every mtime set to `date`.
    pub fn new(
        tree: &'a FileTree,
        meta: &'a PackageMeta,
        platform: Platform,
        date: SourceDate,
    ) -> Deb<'a> {
        Deb {
            tree,
            meta,
            platform,
            date,
            options: DebOptions::default(),
            signer: None,
        }
    }

    /// Signs the package with `signer`, as `debsigs --sign=origin` does: an
    /// `_gpgorigin` member after the others holds a binary OpenPGP signature over the
    /// contents of `debian-binary`, `control.tar.*` and `data.tar.*`. `debsig-verify` checks
    /// it (given a policy for the key); dpkg ignores it. [`verify_origin`] checks it here.
    ///
    /// The signer dates its signatures itself (consign-sign's `OpenPgpSigner` from a `SourceDate`), so the
    /// same key and date give the same package bytes.
    ///
    /// ```
    /// use consign_core::{ArtifactWriter, Entry, FileTree, PackageMeta, SourceDate};
    /// use consign_package::deb::{Deb, verify_origin};
    /// use consign_sign::KeyAlgorithm;
    /// use consign_sign::openpgp::{OpenPgpKey, OpenPgpSigner, OpenPgpVerifier, Passphrase};
    ///
    /// let date = SourceDate::from_unix(1_700_000_000);
    /// let key = OpenPgpKey::generate("Release <r@example.org>", KeyAlgorithm::Ed25519, date)?;
    /// let signer = OpenPgpSigner::from_armored(key.secret_armored(), &Passphrase::none(), date)?;
    ///
    /// let meta = PackageMeta::new("hello", "2.1.0")?
    ///     .description("Greets the world")
    ///     .maintainer("Jane Doe <jane@example.org>")
    ///     .license("Apache-2.0");
    /// let mut tree = FileTree::new();
    /// tree.insert("usr/share/hello/greeting", Entry::bytes(b"hello\n".to_vec()))?;
    /// let deb = Deb::new(&tree, &meta, "x86_64-unknown-linux-gnu".parse()?, date).signer(&signer);
    /// let dir = tempfile::tempdir()?;
    /// let path = dir.path().join(deb.file_name()?);
    /// deb.write_to_path(&path)?;
    ///
    /// let verified = verify_origin(&path, &OpenPgpVerifier::from_keys(key.public_armored())?)?;
    /// assert_eq!(&verified.key, key.fingerprint());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn signer(mut self, signer: &'a dyn consign_core::Signer) -> Deb<'a> {
        self.signer = Some(crate::signing::PackageSigner(signer));
        self
    }

    /// Sets the options.
    #[must_use]
    pub fn options(mut self, options: DebOptions) -> Deb<'a> {
        self.options = options;
        self
    }

    /// The package name, checked.
    pub fn package_name(&self) -> Result<PackageName, Error> {
        match &self.options.name {
            Some(n) => Ok(n.clone()),
            None => PackageName::new(self.meta.name()),
        }
    }

    /// The version, checked.
    pub fn version(&self) -> Result<DebVersion, Error> {
        match &self.options.version {
            Some(v) => Ok(v.clone()),
            None => DebVersion::from_version(self.meta.version(), self.options.revision.as_deref()),
        }
    }

    /// The Debian architecture (`amd64`).
    pub fn architecture(&self) -> Result<&'static str, Error> {
        Ok(self.platform.debian_arch()?)
    }

    /// The control paragraph the package will carry (`Installed-Size` included).
    pub fn control(&self) -> Result<Control, Error> {
        Ok(self.plan()?.control)
    }

    fn plan(&self) -> Result<Plan<'a>, Error> {
        let o = &self.options;
        let meta = self.meta;
        let name = self.package_name()?;
        let version = self.version()?;
        let arch = self.architecture()?;
        let maintainer = o
            .maintainer
            .as_deref()
            .or(meta.maintainer.as_deref())
            .ok_or(Error::Missing {
                field: "maintainer",
                hint: "set PackageMeta::maintainer or DebOptions::maintainer (`Name <email>`)",
            })?;
        control::check_maintainer(maintainer)?;
        let synopsis = meta
            .summary()
            .filter(|s| !s.is_empty())
            .ok_or(Error::Missing {
                field: "description",
                hint: "set PackageMeta::description; its first line is the synopsis",
            })?;
        let rest;
        let extended = match &o.extended_description {
            Some(e) => Some(e.as_str()),
            None => {
                rest = meta
                    .description
                    .as_deref()
                    .unwrap_or_default()
                    .lines()
                    .skip(1)
                    .collect::<Vec<_>>()
                    .join("\n");
                Some(rest.as_str())
            }
        };

        // The documentation Debian expects in every package.
        let mut data = Cow::Borrowed(self.tree);
        let doc = format!("usr/share/doc/{name}");
        let copyright_path = format!("{doc}/copyright");
        if self.tree.get(&copyright_path).is_none() {
            let text = docs::copyright(&docs::CopyrightInput {
                meta,
                maintainer,
                notice: o.copyright.as_deref(),
                license_text: o.license_text.as_deref(),
                date: self.date,
            })?;
            data.to_mut()
                .insert(&copyright_path, Entry::bytes(text.into_bytes()))?;
        }
        let changelog_name = if version.is_native() {
            "changelog.gz"
        } else {
            "changelog.Debian.gz"
        };
        let changelog_path = format!("{doc}/{changelog_name}");
        if self.tree.get(&changelog_path).is_none() {
            let text = o
                .changelog
                .to_text(&name, &version, maintainer, self.date)?;
            data.to_mut().insert(
                &changelog_path,
                Entry::bytes(docs::gzip_best(text.as_bytes())?),
            )?;
        }

        let mut conffiles = BTreeSet::new();
        let mut installed_kib: u64 = 0;
        for (path, entry) in data.iter() {
            match entry.kind() {
                EntryKind::File { size, .. } => installed_kib += size.div_ceil(1024),
                EntryKind::Hardlink { .. } => {}
                _ => installed_kib += 1,
            }
            if entry.is_config() {
                if !matches!(
                    entry.kind(),
                    EntryKind::File { .. } | EntryKind::Hardlink { .. }
                ) {
                    return Err(DebError::Conffile { path: path.clone() }.into());
                }
                conffiles.insert(path.clone());
            }
        }

        let mut c = Control::new();
        c.push("Package", name.to_string())?;
        c.push("Version", version.to_string())?;
        c.push("Architecture", arch.to_owned())?;
        if o.essential {
            c.push("Essential", "yes".into())?;
        }
        c.push("Maintainer", maintainer.to_owned())?;
        c.push("Installed-Size", installed_kib.to_string())?;
        for field in RelationField::ALL {
            let mut relations = Vec::new();
            if field == RelationField::Depends {
                for d in &meta.dependencies {
                    relations.push(Relation::new(d.clone())?);
                }
            }
            relations.extend(
                o.relations
                    .iter()
                    .filter(|(f, _)| *f == field)
                    .map(|(_, r)| r.clone()),
            );
            c.push_relations(field.name(), &relations);
        }
        if let Some(section) = &o.section {
            control::check_section(section)?;
            c.push("Section", section.clone())?;
        }
        c.push("Priority", o.priority.as_str().into())?;
        if let Some(home) = &meta.homepage {
            c.push("Homepage", home.clone())?;
        }
        c.push_description(synopsis, extended)?;

        for (script, text) in &o.scripts {
            if !text.starts_with("#!") {
                return Err(Error::Invalid {
                    field: script.name(),
                    value: text.lines().next().unwrap_or_default().to_owned(),
                    reason: "a maintainer script must start with `#!` (an interpreter line)",
                });
            }
        }
        if let Some(t) = &o.triggers {
            check_triggers(t)?;
        }
        Ok(Plan {
            control: c,
            data,
            conffiles,
        })
    }

    /// [`Deb::write_plan`] between the monitor's `begin` and `end`.
    fn write_monitored(&self, plan: &Plan<'_>, out: impl Write) -> Result<Written, Error> {
        let monitor = &self.options.monitor;
        monitor.check()?;
        let task = self.file_name().unwrap_or_else(|_| "deb".to_owned());
        monitor.begin(&task, Some(plan.data.total_size()));
        let written = self.write_plan(plan, out);
        monitor.end();
        written
    }

    fn write_plan(&self, plan: &Plan<'_>, out: impl Write) -> Result<Written, Error> {
        let output = |source| Error::Output { source };
        let compression = self.options.compression;
        let ext = match compression.codec().extension() {
            "" => String::new(),
            e => format!(".{e}"),
        };

        // 1. The payload, spooled compressed while every file's MD5 is taken.
        let spool = SpoolWriter::new(&compression, &[], &[]).map_err(output)?;
        let mut md5 = Md5Tap::default();
        let monitor = &self.options.monitor;
        let spool = tarball::write_with(
            &plan.data,
            self.date,
            Layout::DotSlash,
            &mut md5,
            monitor,
            spool,
        )?;
        let spool = spool.finish().map_err(output)?;
        if spool.packed.size > AR_MAX {
            return Err(DebError::TooLarge {
                member: format!("data.tar{ext}"),
                size: spool.packed.size,
            }
            .into());
        }

        // 2. The control member, small enough to build in memory.
        let control = self.control_tar(plan, &md5.sums, &compression)?;

        // 3. The ar container.
        let hashing = HashingWriter::new(out, &self.options.algorithms);
        let mut ar = ar::ArWriter::new(hashing, self.date.unix()).map_err(output)?;
        if let Some(signer) = self.signer {
            debsig::write_signed(
                &mut ar,
                signer,
                (&format!("control.tar{ext}"), &control),
                (&format!("data.tar{ext}"), spool),
            )?;
            let (mut out, written) = ar.into_inner().finish();
            out.flush().map_err(output)?;
            return Ok(written);
        }
        ar.member_bytes("debian-binary", b"2.0\n").map_err(output)?;
        ar.member_bytes(&format!("control.tar{ext}"), &control)
            .map_err(output)?;
        ar.member(&format!("data.tar{ext}"), spool.packed.size, |out| {
            spool.copy_to(out)
        })
        .map_err(output)?;
        let (mut out, written) = ar.into_inner().finish();
        out.flush().map_err(output)?;
        Ok(written)
    }

    /// The compressed control tar: `control`, `md5sums`, `conffiles`, scripts, `triggers`.
    fn control_tar(
        &self,
        plan: &Plan<'_>,
        sums: &BTreeMap<RelPath, [u8; 16]>,
        compression: &Compression,
    ) -> Result<Vec<u8>, Error> {
        let output = |source| Error::Output { source };
        let mut md5sums = String::new();
        for (path, entry) in plan.data.iter() {
            let digest = match entry.kind() {
                EntryKind::File { .. } => sums.get(path),
                EntryKind::Hardlink { target } => sums.get(target),
                _ => continue,
            };
            // Conffiles are checked by dpkg through `conffiles`; md5sums leaves them out.
            if plan.conffiles.contains(path) {
                continue;
            }
            if let Some(d) = digest {
                md5sums.push_str(&format!("{}  {path}\n", hex(d)));
            }
        }
        let mut files = FileTree::new();
        files.insert(
            "control",
            Entry::bytes(plan.control.to_string().into_bytes()),
        )?;
        files.insert("md5sums", Entry::bytes(md5sums.into_bytes()))?;
        if !plan.conffiles.is_empty() {
            let list: String = plan.conffiles.iter().map(|p| format!("/{p}\n")).collect();
            files.insert("conffiles", Entry::bytes(list.into_bytes()))?;
        }
        for (script, text) in &self.options.scripts {
            files.insert(
                script.name(),
                Entry::bytes(text.clone().into_bytes()).mode(0o755),
            )?;
        }
        if let Some(t) = &self.options.triggers {
            files.insert("triggers", Entry::bytes(t.clone().into_bytes()))?;
        }
        let sink = compression.writer(Vec::new()).map_err(output)?;
        let quiet = Monitor::default();
        let sink = tarball::write_with(
            &files,
            self.date,
            Layout::DotSlash,
            &mut NoTap,
            &quiet,
            sink,
        )?;
        sink.finish().map_err(output)
    }
}

/// Checks the `triggers` control file: one directive and one name per line, `#` comments.
fn check_triggers(text: &str) -> Result<(), Error> {
    const DIRECTIVES: [&str; 6] = [
        "interest",
        "interest-await",
        "interest-noawait",
        "activate",
        "activate-await",
        "activate-noawait",
    ];
    for line in text.lines().map(str::trim) {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let mut words = line.split_whitespace();
        let ok = matches!(
            (words.next(), words.next(), words.next()),
            (Some(d), Some(_), None) if DIRECTIVES.contains(&d)
        );
        if !ok {
            return Err(Error::Invalid {
                field: "triggers",
                value: line.to_owned(),
                reason: "write `<interest|activate>[-await|-noawait] <trigger-name>` per line",
            });
        }
    }
    Ok(())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Takes the MD5 of each regular file as the data tar streams it.
#[derive(Default)]
struct Md5Tap {
    current: Option<(RelPath, md5::Md5)>,
    sums: BTreeMap<RelPath, [u8; 16]>,
}

impl FileTap for Md5Tap {
    fn begin(&mut self, path: &RelPath) {
        self.current = Some((path.clone(), md5::Md5::new()));
    }

    fn data(&mut self, chunk: &[u8]) {
        if let Some((_, h)) = &mut self.current {
            h.update(chunk);
        }
    }

    fn end(&mut self) {
        if let Some((path, h)) = self.current.take() {
            self.sums.insert(path, h.finalize().into());
        }
    }
}
