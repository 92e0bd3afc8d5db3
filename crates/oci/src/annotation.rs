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

use consign_core::{PackageMeta, SourceDate};

use crate::Annotations;

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

/// The annotations a package's metadata gives: title, version, description (its first line),
/// licenses, url (homepage), source (repository) and authors.
///
/// ```
/// use consign_core::PackageMeta;
/// use consign_oci::annotation;
/// let meta = PackageMeta::new("tool", "1.2.3")?.license("MIT OR Apache-2.0");
/// let a = annotation::from_meta(&meta);
/// assert_eq!(a[annotation::VERSION], "1.2.3");
/// assert_eq!(a[annotation::LICENSES], "MIT OR Apache-2.0");
/// assert!(!a.contains_key(annotation::SOURCE));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn from_meta(meta: &PackageMeta) -> Annotations {
    let mut a = Annotations::new();
    let mut put = |key: &str, value: Option<&str>| {
        if let Some(v) = value.map(str::trim).filter(|v| !v.is_empty()) {
            a.insert(key.to_owned(), v.to_owned());
        }
    };
    put(TITLE, Some(meta.name()));
    put(VERSION, Some(meta.version().as_str()));
    put(
        DESCRIPTION,
        meta.description.as_deref().and_then(|d| d.lines().next()),
    );
    put(LICENSES, meta.license.as_deref());
    put(URL, meta.homepage.as_deref());
    put(SOURCE, meta.repository.as_deref());
    let authors = meta.authors.join(", ");
    put(AUTHORS, Some(&authors));
    a
}
