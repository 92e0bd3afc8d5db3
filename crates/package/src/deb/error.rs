//! [`DebError`]: what only Debian packages meet.

use consign_core::RelPath;

/// What only Debian packages meet: carried by [`crate::Error::Deb`].
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DebError {
    /// The package name breaks Debian policy 5.6.1.
    #[error("invalid Debian package name {name:?}: {reason}")]
    Name {
        /// The name.
        name: String,
        /// What is wrong.
        reason: &'static str,
    },
    /// The version breaks Debian policy 5.6.12.
    #[error("invalid Debian version {version:?}: {reason}")]
    Version {
        /// The version.
        version: String,
        /// What is wrong.
        reason: &'static str,
    },
    /// A relation (`Depends`, …) that Debian cannot parse.
    #[error("invalid package relation {relation:?}: {reason}")]
    Relation {
        /// The relation as given.
        relation: String,
        /// What is wrong.
        reason: &'static str,
    },
    /// A configuration-file flag on something that is not a file.
    #[error("{path} is marked as a configuration file but is not a regular file")]
    Conffile {
        /// The entry.
        path: RelPath,
    },
    /// A member larger than an `ar` header can announce.
    #[error("{member} is {size} bytes compressed: an ar member holds at most 9999999999")]
    TooLarge {
        /// The member.
        member: String,
        /// Its size.
        size: u64,
    },
    /// The package has no origin signature (`_gpgorigin` member).
    #[error(
        "{path} has no origin signature (_gpgorigin member): sign it with Deb::signer or debsigs --sign=origin"
    )]
    Unsigned {
        /// The package.
        path: String,
    },
    /// `depends = "$auto"` needs `dpkg-shlibdeps`, which is not on `PATH`.
    #[error(
        "depends = \"$auto\" needs dpkg-shlibdeps, which is not on PATH: install dpkg-dev \
         (apt-get install dpkg-dev), or list the dependencies instead of $auto"
    )]
    ShlibdepsMissing,
    /// `dpkg-shlibdeps` failed, or printed what cannot be read.
    #[error("dpkg-shlibdeps could not resolve the libraries of {files}: {reason}")]
    Shlibdeps {
        /// The ELF files given to it.
        files: String,
        /// Its exit status and messages, or what is wrong with its output.
        reason: String,
    },
}
