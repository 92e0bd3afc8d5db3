//! macOS disk images: [`Dmg`] writes a UDIF `.dmg` holding an HFS+ volume of a tree.
//!
//! - [`HfsVolume`]: the HFS+ (or case-sensitive HFSX) volume, planned in memory (the catalog)
//!   and streamed (the file data).
//! - [`AppBundle`]: the `.app` layout with its `Info.plist`, and the `/Applications` link.
//! - [`udif`]: the UDIF container: [`DmgFormat`] (zlib, bzip2 or raw chunks), and
//!   [`UdifImage`], which reads an image, checks every checksum and streams out the volume.
//! - [`Dmg`]: the [`consign_core::ArtifactWriter`] putting the volume in a UDIF container.

mod bundle;
mod error;
mod hfs;
pub mod udif;
mod writer;

pub use bundle::AppBundle;
pub use error::DmgError;
pub use hfs::{HfsOptions, HfsVolume};
pub use udif::{DmgFormat, UdifError, UdifImage, UdifPartition};
pub use writer::{Dmg, DmgOptions};
