//! [`MsiError`]: what only Windows Installer packages meet.

use std::io;

use consign_core::RelPath;

use super::names::NameProblem;

/// What only Windows Installer packages meet: carried by [`crate::Error::Msi`].
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MsiError {
    /// The platform is not one a Windows Installer package is made for.
    #[error(
        "{platform} is not a Windows platform an .msi is made for: use x86_64-pc-windows-msvc, \
         x86_64-pc-windows-gnu or aarch64-pc-windows-msvc"
    )]
    Platform {
        /// The platform asked for.
        platform: String,
    },
    /// A version that does not fit `major.minor.build` (255.255.65535 at most).
    #[error("version {version:?} cannot be an MSI ProductVersion: {reason}")]
    Version {
        /// The version as given.
        version: String,
        /// What does not fit.
        reason: &'static str,
    },
    /// A file or directory name Windows cannot hold.
    #[error("{path}: {name:?} cannot be a Windows file name: {problem}")]
    FileName {
        /// The entry of the tree.
        path: RelPath,
        /// The offending component.
        name: String,
        /// What is wrong with it.
        problem: NameProblem,
    },
    /// The manufacturer or product name, which name the installation directories, is not
    /// a Windows directory name.
    #[error("the {what} {name:?} cannot name a Windows directory: {problem}")]
    Name {
        /// `manufacturer` or `product name`.
        what: &'static str,
        /// The value.
        name: String,
        /// What is wrong with it.
        problem: NameProblem,
    },
    /// Two entries whose paths differ only in letter case: one path on Windows.
    #[error(
        "{first} and {second} differ only in letter case: Windows file names are not case-sensitive"
    )]
    CaseCollision {
        /// The first entry.
        first: RelPath,
        /// The entry that collides with it.
        second: RelPath,
    },
    /// An installed path longer than Windows Installer handles (`MAX_PATH`).
    #[error(
        "{path} would install as a {length}-character path ({example}); Windows Installer \
         handles at most {max}: shorten the tree's paths, the manufacturer or the product name"
    )]
    PathTooLong {
        /// The entry.
        path: RelPath,
        /// The length of the installed path.
        length: usize,
        /// The installed path, as an example.
        example: String,
        /// The longest path allowed.
        max: usize,
    },
    /// An entry an .msi cannot carry.
    #[error("{path} is a {kind}: Windows Installer packages hold files and directories only")]
    Unsupported {
        /// The entry.
        path: RelPath,
        /// What it is (`symbolic link`).
        kind: &'static str,
    },
    /// A file larger than a cabinet holds.
    #[error("{path} is {size} bytes: a file in an .msi cabinet holds at most {max}")]
    FileTooLarge {
        /// The entry.
        path: RelPath,
        /// Its size.
        size: u64,
        /// The largest size.
        max: u64,
    },
    /// The directory asked for on `PATH` is not a directory of the tree.
    #[error(
        "PATH entry {dir:?} is not a directory of the tree: name one, or \"\" for the installation directory"
    )]
    PathEntry {
        /// The directory asked for.
        dir: String,
    },
    /// The shortcut target is not a regular file of the tree.
    #[error("shortcut target {target:?} is not a file of the tree")]
    Shortcut {
        /// The target asked for.
        target: String,
    },
    /// The database could not be written (its temporary file failed, or the `msi` crate
    /// refused a row).
    #[error("cannot write the MSI database ({action}): {source}")]
    Database {
        /// What was being done.
        action: &'static str,
        /// The error.
        #[source]
        source: io::Error,
    },
}

impl MsiError {
    /// The error for a failed database step.
    pub(crate) fn database(action: &'static str) -> impl FnOnce(io::Error) -> crate::Error {
        move |source| MsiError::Database { action, source }.into()
    }
}
