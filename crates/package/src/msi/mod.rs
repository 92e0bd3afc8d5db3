//! Windows Installer packages: [`Msi`] writes an `.msi` from a [`FileTree`], a
//! [`PackageMeta`], a Windows [`Platform`] and a [`SourceDate`], on any operating system,
//! with no WiX, `wixl` or Windows in the loop.
//!
//! An `.msi` is a compound file (OLE structured storage) holding a relational database,
//! the summary information and the cabinets of the files. The `msi` crate writes the first
//! two (tables, string pool, summary stream); the authoring layer that makes a database
//! Windows Installer can install is here:
//!
//! - [`MsiOptions`]: manufacturer, product name, per-user install, a `PATH` entry, a
//!   Start-menu shortcut, the UpgradeCode, the MSZIP level and threads.
//! - [`MsiVersion`]: `major.minor.build`, and the rule mapping SemVer to it (pre-releases
//!   and build metadata included); what does not fit is refused.
//! - [`Guid`]: ProductCode, UpgradeCode, component GUIDs and package code, all derived from
//!   content (see `guid`'s table), never random.
//! - [`MsiError`]: what only packages for Windows meet: names Windows cannot hold (`<>:"|?*`,
//!   `CON`, trailing dots), paths past `MAX_PATH`, names equal but for case, versions out of
//!   range, symbolic links.
//! - [`MsiReport`]: what writing reports: size and digests, and the product's codes.
//!
//! **The database.** `Directory` (`ProgramFiles64Folder\<Manufacturer>\<Product>`, or
//! `%LOCALAPPDATA%\Programs\…` per user; `INSTALLDIR` can be set on the `msiexec` command
//! line), one `Component` per file with the file as key path, one `Feature`, the `File`
//! table with sequence numbers, `Media` with one row per embedded cabinet, `Property`
//! (`ProductName`, `Manufacturer`, `ProductVersion`, `ProductLanguage` 1033, `ProductCode`,
//! `UpgradeCode`, `ALLUSERS`), the standard actions of the install, admin and advertise
//! sequences, a major upgrade through the `Upgrade` table (an older version is removed
//! before the new files go in; a newer one stops the install), and optionally
//! `Environment` and `Shortcut`. The summary information says `x64;1033` (or `Arm64;1033`),
//! Windows Installer 5.0, compressed long names (word count 2; 10 per user, no elevation).
//!
//! **Streaming, bounded memory.** The database is built in an anonymous temporary file (the
//! `msi` crate needs a read-write-seek handle); the cabinets are written straight into their
//! streams in that file, block by block as they are deflated on every core, so file data
//! is read once and never held whole. The finished file is copied to the output through the
//! digests. A file splits the cabinets past [`MsiOptions::cabinet_bytes`] (1 GiB), and past
//! 65535 files, with one `Media` row each.
//!
//! **Reproducible.** No clock and no randomness: the compound file's timestamps are zero
//! (the `msi` crate writes no storage times), the summary's creation and save times and
//! the cabinet entries' dates are the source date, tables are ordered by primary key, codes
//! are derived from content, and the cabinet bytes do not depend on the thread count.
//!
//! **Why the cabinet is our own code.** The `cab` crate (used here in tests, as an
//! independent reader) deflates MSZIP at the best level on one thread: on this project's
//! 2-core machine it is slower than `wixl`'s gcab, so no writer on it could be twice as
//! fast. Its format is three small headers and checksummed blocks (MS-CAB), written here.
//!
//! ```
//! use consign_core::{ArtifactWriter, Entry, FileTree, PackageMeta, SourceDate};
//! use consign_package::msi::{Msi, MsiOptions};
//!
//! let meta = PackageMeta::new("hello", "1.2.0")?.description("Greets the world");
//! let mut tree = FileTree::new();
//! tree.insert("bin/hello.exe", Entry::bytes(b"MZ not really a program".to_vec()))?;
//! tree.insert("README.txt", Entry::bytes(b"hello\r\n".to_vec()))?;
//!
//! let msi = Msi::new(&tree, &meta, "x86_64-pc-windows-msvc".parse()?, SourceDate::from_unix(0))
//!     .options(MsiOptions::default().manufacturer("Acme").path_entry("bin"));
//! assert_eq!(msi.file_name()?, "hello-1.2.0-x86_64.msi");
//! let mut out = Vec::new();
//! let report = msi.write_to(&mut out)?;
//! // A compound file: the OLE signature.
//! assert!(out.starts_with(&[0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]));
//! assert_eq!(report.written.size, out.len() as u64);
//! assert_eq!(msi.write_to(Vec::new())?, report); // reproducible
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod cabinet;
mod error;
mod guid;
mod layout;
mod names;
mod options;
mod sequences;
mod tables;
mod version;

use std::io::{self, BufReader, Seek, Write};
use std::num::NonZeroUsize;
use std::time::{Duration, UNIX_EPOCH};

use ::msi::{CodePage, LanguageId, Package, PackageType};
use consign_core::{
    Arch, ArtifactKind, ArtifactWriter, FileTree, HashingWriter, Os, PackageMeta, Platform,
    SourceDate, WriteReport, Written,
};

use crate::Error;
use cabinet::{CabEntry, Mszip};
use layout::{Input, Layout};
use tables::Product;

pub use error::MsiError;
pub use guid::Guid;
pub use names::NameProblem;
pub use options::{DEFAULT_CABINET_BYTES, MsiOptions};
pub use version::MsiVersion;

/// A Windows Installer package of a [`FileTree`], ready to be written.
///
/// ```
/// use consign_core::{ArtifactWriter, Entry, FileTree, PackageMeta, Platform, SourceDate};
/// use consign_package::Error;
/// use consign_package::msi::{Msi, MsiError, MsiOptions};
///
/// let meta = PackageMeta::new("hello", "2.0.0-rc.1")?.maintainer("Jane Doe <jane@example.org>");
/// let mut tree = FileTree::new();
/// tree.insert("hello.exe", Entry::bytes(b"MZ".to_vec()))?;
/// let arm: Platform = "aarch64-pc-windows-msvc".parse()?;
/// let msi = Msi::new(&tree, &meta, arm, SourceDate::from_unix(1_700_000_000));
/// assert_eq!(msi.file_name()?, "hello-2.0.0-rc.1-aarch64.msi");
/// // The manufacturer defaults to the maintainer's name; the pre-release is the 4th field.
/// assert_eq!(msi.manufacturer()?, "Jane Doe");
/// assert_eq!(msi.version()?.to_string(), "2.0.0.1");
///
/// let dir = tempfile::tempdir()?;
/// let report = msi.write_into(dir.path())?.1;
/// assert_eq!(report.product_code, msi.product_code()?);
///
/// // Names Windows cannot hold are refused before anything is written.
/// tree.insert("bin/CON.txt", Entry::bytes(Vec::new()))?;
/// let err = Msi::new(&tree, &meta, arm, SourceDate::from_unix(0)).write_to(Vec::new());
/// assert!(matches!(err, Err(Error::Msi(MsiError::FileName { .. }))));
/// // So are platforms other than 64-bit Windows.
/// let linux = "x86_64-unknown-linux-gnu".parse()?;
/// assert!(Msi::new(&FileTree::new(), &meta, linux, SourceDate::from_unix(0)).file_name().is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug)]
pub struct Msi<'a> {
    tree: &'a FileTree,
    meta: &'a PackageMeta,
    platform: Platform,
    date: SourceDate,
    options: MsiOptions,
}

/// What writing a [`Msi`] reports: the size and digests of the package, and the codes a
/// release records (the ProductCode uninstalls it: `msiexec /x {…}`).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct MsiReport {
    /// The size and digests of the `.msi`.
    pub written: Written,
    /// The ProductCode.
    pub product_code: Guid,
    /// The UpgradeCode.
    pub upgrade_code: Guid,
    /// The package code (the summary's revision number), derived from all the content.
    pub package_code: Guid,
    /// The `ProductVersion`.
    pub version: MsiVersion,
}

impl WriteReport for MsiReport {
    fn written(&self) -> &Written {
        &self.written
    }
}

impl ArtifactWriter for Msi<'_> {
    type Report = MsiReport;
    type Error = crate::Error;

    /// `<name>-<version>-<arch>.msi`, the version as the project writes it and the
    /// architecture `x86_64` or `aarch64`.
    fn file_name(&self) -> Result<String, Error> {
        Ok(format!(
            "{}-{}-{}.msi",
            self.meta.name(),
            self.meta.version(),
            self.arch()?.0
        ))
    }

    fn kind(&self) -> ArtifactKind {
        ArtifactKind::Msi
    }

    fn platform(&self) -> Option<Platform> {
        Some(self.platform)
    }

    /// Writes the package to `out`; the inputs are checked before a byte is written.
    fn write_to<W: Write>(&self, out: W) -> Result<MsiReport, Error> {
        let plan = self.plan()?;
        let monitor = &self.options.monitor;
        monitor.check()?;
        let task = self.file_name().unwrap_or_else(|_| "msi".to_owned());
        let total = plan.layout.files.iter().map(|f| f.source.size()).sum();
        monitor.begin(&task, Some(total));
        let written = self.write_plan(&plan, out);
        monitor.end();
        let (written, package_code) = written?;
        Ok(MsiReport {
            written,
            product_code: plan.product.product_code,
            upgrade_code: plan.product.upgrade_code,
            package_code,
            version: plan.product.version,
        })
    }
}

/// Everything checked and computed before a byte is written.
struct Plan<'a> {
    product: Product<'a>,
    layout: Layout<'a>,
    template: &'static str,
}

impl<'a> Msi<'a> {
    /// A package of `tree` described by `meta`, for `platform` (64-bit Windows: x86_64 or
    /// aarch64), dated `date`.
    pub fn new(
        tree: &'a FileTree,
        meta: &'a PackageMeta,
        platform: Platform,
        date: SourceDate,
    ) -> Msi<'a> {
        Msi {
            tree,
            meta,
            platform,
            date,
            options: MsiOptions::default(),
        }
    }

    /// Sets the options.
    #[must_use]
    pub fn options(mut self, options: MsiOptions) -> Msi<'a> {
        self.options = options;
        self
    }

    /// The architecture as file names say it and as the summary's template says it.
    fn arch(&self) -> Result<(&'static str, &'static str), Error> {
        match (self.platform.os(), self.platform.arch()) {
            (Os::Windows, Arch::X86_64) => Ok(("x86_64", "x64")),
            (Os::Windows, Arch::Aarch64) => Ok(("aarch64", "Arm64")),
            _ => Err(MsiError::Platform {
                platform: self.platform.to_string(),
            }
            .into()),
        }
    }

    /// The product version, checked.
    pub fn version(&self) -> Result<MsiVersion, Error> {
        match self.options.version {
            Some(v) => Ok(v),
            None => Ok(MsiVersion::from_version(self.meta.version())?),
        }
    }

    /// The manufacturer: the option, else the name part of the maintainer or first author.
    pub fn manufacturer(&self) -> Result<&str, Error> {
        let person = |who: &'a str| who.split('<').next().unwrap_or(who).trim();
        self.options
            .manufacturer
            .as_deref()
            .or_else(|| self.meta.maintainer.as_deref().map(person))
            .or_else(|| self.meta.authors.first().map(|a| person(a)))
            .filter(|m| !m.is_empty())
            .ok_or(Error::Missing {
                field: "manufacturer",
                hint: "set MsiOptions::manufacturer, or PackageMeta::maintainer or authors",
            })
    }

    /// The product name: the option, else the package name.
    pub fn product_name(&self) -> &str {
        self.options
            .product_name
            .as_deref()
            .unwrap_or(self.meta.name())
    }

    /// The UpgradeCode: the option, else derived from the manufacturer and product name.
    pub fn upgrade_code(&self) -> Result<Guid, Error> {
        match self.options.upgrade_code {
            Some(code) => Ok(code),
            None => Ok(Guid::derive(
                "upgrade",
                &[
                    self.manufacturer()?.as_bytes(),
                    self.product_name().as_bytes(),
                ],
            )),
        }
    }

    /// The ProductCode: derived from the UpgradeCode, the full version text, the
    /// architecture and the install scope.
    pub fn product_code(&self) -> Result<Guid, Error> {
        let scope: &[u8] = if self.options.per_user {
            b"user"
        } else {
            b"machine"
        };
        Ok(Guid::derive(
            "product",
            &[
                self.upgrade_code()?.as_bytes(),
                self.meta.version().as_str().as_bytes(),
                self.version()?.to_string().as_bytes(),
                self.arch()?.0.as_bytes(),
                scope,
            ],
        ))
    }

    fn plan(&self) -> Result<Plan<'_>, Error> {
        let template = self.arch()?.1;
        let o = &self.options;
        let product = Product {
            name: self.product_name(),
            manufacturer: self.manufacturer()?,
            summary: self.meta.summary().filter(|s| !s.is_empty()),
            version: self.version()?,
            product_code: self.product_code()?,
            upgrade_code: self.upgrade_code()?,
            per_user: o.per_user,
        };
        let layout = Layout::new(&Input {
            tree: self.tree,
            manufacturer: product.manufacturer,
            product: product.name,
            per_user: o.per_user,
            upgrade_code: product.upgrade_code,
            path_entry: o.path_entry.as_deref(),
            shortcut: o.shortcut.as_deref(),
            cabinet_bytes: o.cabinet_bytes,
        })?;
        Ok(Plan {
            product,
            layout,
            template,
        })
    }

    fn write_plan(&self, plan: &Plan<'_>, out: impl Write) -> Result<(Written, Guid), Error> {
        let db = MsiError::database;
        let o = &self.options;
        let file = tempfile::tempfile().map_err(|source| Error::Spool { source })?;
        let mut package = Package::create(PackageType::Installer, file).map_err(db("create"))?;

        // 1. The cabinets, each straight into its stream.
        let mszip = Mszip {
            level: o.level,
            threads: o
                .threads
                .or_else(|| std::thread::available_parallelism().ok())
                .unwrap_or(NonZeroUsize::MIN),
        };
        let mut fingerprint = Vec::new();
        for (i, range) in plan.layout.cabinets.iter().enumerate() {
            let files: Vec<CabEntry<'_>> = plan.layout.files[range.clone()]
                .iter()
                .map(|f| CabEntry {
                    key: &f.key,
                    path: f.path,
                    source: f.source,
                })
                .collect();
            let mut stream = package
                .write_stream(&tables::cabinet_name(i))
                .map_err(db("create a cabinet stream"))?;
            cabinet::write(
                &mut stream,
                &files,
                self.date,
                mszip,
                &o.monitor,
                &mut fingerprint,
            )?;
            stream.flush().map_err(db("write a cabinet"))?;
        }

        // 2. The tables; the package code covers them and the cabinets' content.
        let p = &plan.product;
        let tables = tables::tables(p, &plan.layout);
        let rendering = tables::rendering(&tables);
        let package_code = Guid::derive(
            "package",
            &[p.product_code.as_bytes(), &rendering, &fingerprint],
        );
        let comments = format!(
            "This installer database contains the logic and data required to install {}.",
            p.name
        );
        // Windows-1252, as Windows Installer expects, when every string is ASCII; UTF-8
        // (which Windows Installer reads, without guarantees for its UI) otherwise.
        let codepage = if rendering.is_ascii() && comments.is_ascii() && p.manufacturer.is_ascii() {
            CodePage::Windows1252
        } else {
            CodePage::Utf8
        };
        package.set_database_codepage(codepage);
        tables::insert(&mut package, tables)?;

        // 3. The summary information.
        let when = UNIX_EPOCH + Duration::from_secs(self.date.unix());
        let summary = package.summary_info_mut();
        summary.set_codepage(codepage);
        summary.set_title("Installation Database");
        summary.set_subject(p.name);
        summary.set_author(p.manufacturer);
        summary.set_keywords(&["Installer".to_owned()]);
        summary.set_comments(comments);
        summary.set_arch(plan.template);
        summary.set_languages(&[LanguageId::from_id(1033)]);
        summary.set_uuid(package_code.to_uuid());
        summary.set_creation_time(when);
        summary.set_last_save_time(when);
        summary.set_creating_application("consign");
        // Windows Installer 5.0; compressed, long file names (+8: no elevation, per user).
        summary.set_page_count(500);
        summary.set_word_count(if p.per_user { 10 } else { 2 });
        summary.set_doc_security(2);
        package.flush().map_err(db("flush"))?;

        // 4. The finished file, copied out through the digests.
        let mut file = package.into_inner().map_err(db("finish"))?;
        file.rewind().map_err(|source| Error::Spool { source })?;
        let mut out = HashingWriter::new(out, &o.algorithms);
        io::copy(&mut BufReader::with_capacity(1 << 20, file), &mut out)
            .map_err(|source| Error::Output { source })?;
        out.flush().map_err(|source| Error::Output { source })?;
        Ok((out.finish().1, package_code))
    }
}
