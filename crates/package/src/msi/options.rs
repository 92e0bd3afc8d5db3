//! [`MsiOptions`]: what a [`Msi`](super::Msi) writes besides the tree and the metadata.

use std::num::NonZeroUsize;

use consign_core::{Algorithm, Monitor};

use super::{Guid, MsiVersion};
use crate::Error;

/// The default uncompressed bytes per cabinet before another cabinet (and `Media` row)
/// starts.
pub const DEFAULT_CABINET_BYTES: u64 = 1 << 30;

/// What a [`Msi`](super::Msi) writes besides the tree and the metadata: the manufacturer,
/// the install scope, a `PATH` entry, a Start-menu shortcut, codes and compression.
///
/// ```
/// use consign_package::msi::MsiOptions;
/// let options = MsiOptions::default()
///     .manufacturer("Acme Tools")
///     .path_entry("bin")
///     .shortcut("bin/hello.exe")
///     .level(9)?;
/// assert_eq!(options.manufacturer.as_deref(), Some("Acme Tools"));
/// assert!(MsiOptions::default().level(10).is_err());
/// # Ok::<(), consign_package::Error>(())
/// ```
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct MsiOptions {
    /// The manufacturer: the `Manufacturer` property, the summary's author and the directory
    /// under Program Files. `None` for the name part of [`consign_core::PackageMeta::maintainer`]
    /// (or of the first author).
    pub manufacturer: Option<String>,
    /// The product name (`ProductName`, the installation directory); `None` for
    /// [`consign_core::PackageMeta::name`].
    pub product_name: Option<String>,
    /// The product version; `None` for [`consign_core::PackageMeta::version`] mapped by
    /// [`MsiVersion::from_version`].
    pub version: Option<MsiVersion>,
    /// Installs for the current user only, under `%LOCALAPPDATA%\Programs`, without
    /// elevation; per machine under Program Files when false (the default).
    pub per_user: bool,
    /// A directory of the tree (`bin`; `""` for the installation directory) appended to
    /// `PATH` on install and taken out on removal (the system `PATH` per machine, the user's
    /// per user).
    pub path_entry: Option<String>,
    /// A file of the tree (`bin/app.exe`) given a shortcut in the Start menu, named after
    /// the product.
    pub shortcut: Option<String>,
    /// The UpgradeCode, which ties the versions of a product together; `None` derives it
    /// from the manufacturer and the product name. Keep it when either changes.
    pub upgrade_code: Option<Guid>,
    /// Deflate level of the MSZIP cabinets, 0 (stored) to 9 (default 6).
    pub level: u32,
    /// Compression threads; `None` for one per core. The bytes do not depend on it.
    pub threads: Option<NonZeroUsize>,
    /// Uncompressed bytes per cabinet before the next one starts (default 1 GiB; at most
    /// about 2 GiB, what one MSZIP folder holds).
    pub cabinet_bytes: u64,
    /// Digests computed over the `.msi` while it is written.
    pub algorithms: Vec<Algorithm>,
    /// Progress (bytes of file data read) and cancellation.
    pub monitor: Monitor,
}

impl Default for MsiOptions {
    fn default() -> Self {
        MsiOptions {
            manufacturer: None,
            product_name: None,
            version: None,
            per_user: false,
            path_entry: None,
            shortcut: None,
            upgrade_code: None,
            level: 6,
            threads: None,
            cabinet_bytes: DEFAULT_CABINET_BYTES,
            algorithms: vec![Algorithm::Sha256],
            monitor: Monitor::default(),
        }
    }
}

output_setters!(MsiOptions);

impl MsiOptions {
    /// Sets the manufacturer.
    #[must_use]
    pub fn manufacturer(mut self, manufacturer: impl Into<String>) -> Self {
        self.manufacturer = Some(manufacturer.into());
        self
    }

    /// Sets the product name.
    #[must_use]
    pub fn product_name(mut self, name: impl Into<String>) -> Self {
        self.product_name = Some(name.into());
        self
    }

    /// Sets the product version.
    #[must_use]
    pub fn version(mut self, version: MsiVersion) -> Self {
        self.version = Some(version);
        self
    }

    /// Installs per user instead of per machine.
    #[must_use]
    pub fn per_user(mut self, per_user: bool) -> Self {
        self.per_user = per_user;
        self
    }

    /// Appends a directory of the tree to `PATH`.
    #[must_use]
    pub fn path_entry(mut self, dir: impl Into<String>) -> Self {
        self.path_entry = Some(dir.into());
        self
    }

    /// Gives a file of the tree a Start-menu shortcut.
    #[must_use]
    pub fn shortcut(mut self, file: impl Into<String>) -> Self {
        self.shortcut = Some(file.into());
        self
    }

    /// Sets the UpgradeCode.
    #[must_use]
    pub fn upgrade_code(mut self, code: Guid) -> Self {
        self.upgrade_code = Some(code);
        self
    }

    /// Sets the deflate level (0 to 9).
    pub fn level(mut self, level: u32) -> Result<Self, Error> {
        if level > 9 {
            return Err(Error::Invalid {
                field: "MSZIP level",
                value: level.to_string(),
                reason: "use 0 (stored) to 9",
            });
        }
        self.level = level;
        Ok(self)
    }

    /// Sets the number of compression threads.
    #[must_use]
    pub fn threads(mut self, threads: NonZeroUsize) -> Self {
        self.threads = Some(threads);
        self
    }

    /// Sets the uncompressed bytes per cabinet (at least 1; capped at what one cabinet
    /// holds).
    #[must_use]
    pub fn cabinet_bytes(mut self, bytes: u64) -> Self {
        self.cabinet_bytes = bytes.max(1);
        self
    }
}
