//! Annotation keys of the OCI image specification (`org.opencontainers.image.*`).
//!
//! ```
//! use consign_core::SourceDate;
//! use consign_oci::{Annotations, annotation};
//!
//! let mut a = Annotations::new();
//! a.insert(annotation::VERSION.into(), "1.2.3".into());
//! a.insert(annotation::CREATED.into(), annotation::created(SourceDate::from_unix(1_700_000_000)));
//! assert_eq!(a[annotation::CREATED], "2023-11-14T22:13:20Z");
//! ```

use consign_core::SourceDate;

/// When the image was built (RFC 3339); consign writes the [`SourceDate`].
pub const CREATED: &str = "org.opencontainers.image.created";
/// Who made the image.
pub const AUTHORS: &str = "org.opencontainers.image.authors";
/// Where to find more about the image.
pub const URL: &str = "org.opencontainers.image.url";
/// Where its documentation is.
pub const DOCUMENTATION: &str = "org.opencontainers.image.documentation";
/// Where its source code is.
pub const SOURCE: &str = "org.opencontainers.image.source";
/// The version of the packaged software.
pub const VERSION: &str = "org.opencontainers.image.version";
/// The source control revision it was built from.
pub const REVISION: &str = "org.opencontainers.image.revision";
/// Who distributes it.
pub const VENDOR: &str = "org.opencontainers.image.vendor";
/// Its licenses, as an SPDX expression.
pub const LICENSES: &str = "org.opencontainers.image.licenses";
/// A human-readable title.
pub const TITLE: &str = "org.opencontainers.image.title";
/// A human-readable description.
pub const DESCRIPTION: &str = "org.opencontainers.image.description";
/// The name of a manifest in an image layout's `index.json` (the tag).
pub const REF_NAME: &str = "org.opencontainers.image.ref.name";
/// The digest of the image this one was built on.
pub const BASE_DIGEST: &str = "org.opencontainers.image.base.digest";
/// The name of the image this one was built on.
pub const BASE_NAME: &str = "org.opencontainers.image.base.name";

/// The value of [`CREATED`] for `date` (`2023-11-14T22:13:20Z`).
pub fn created(date: SourceDate) -> String {
    date.to_rfc3339()
}
