//! Shared JSON reading and writing for manifests, indexes and configs.

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::Error;

/// Serializes `value` compactly. Field order is the struct's and every map is sorted, so the
/// same value always gives the same bytes.
pub(crate) fn to_vec<T: Serialize>(value: &T) -> Vec<u8> {
    // Cannot fail: every map these types hold has string keys.
    serde_json::to_vec(value).expect("OCI JSON types serialize")
}

/// Parses `bytes` as `T`, naming `what` in the error.
pub(crate) fn from_slice<T: DeserializeOwned>(bytes: &[u8], what: &str) -> Result<T, Error> {
    serde_json::from_slice(bytes).map_err(|source| Error::Json {
        what: what.to_owned(),
        source,
    })
}

/// Checks `schemaVersion` (2 for manifests and indexes).
pub(crate) fn check_schema_version(version: u32, what: &str) -> Result<(), Error> {
    if version == 2 {
        Ok(())
    } else {
        Err(Error::Invalid {
            what: what.to_owned(),
            reason: format!("schemaVersion is {version}, expected 2"),
        })
    }
}

/// The `schemaVersion` and `mediaType` of a manifest or index, read before the rest so that
/// a wrong kind of document gets an error that says so.
#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Head {
    pub(crate) schema_version: u32,
    pub(crate) media_type: Option<crate::MediaType>,
}

/// Checks the head of a manifest or index: `schemaVersion` 2 and a media type `accept`s.
pub(crate) fn check_head(
    bytes: &[u8],
    what: &str,
    accept: fn(&crate::MediaType) -> bool,
    expected: &'static str,
) -> Result<(), Error> {
    let head: Head = from_slice(bytes, what)?;
    check_schema_version(head.schema_version, what)?;
    match head.media_type {
        Some(t) if !accept(&t) => Err(Error::MediaType {
            what: what.to_owned(),
            media_type: t,
            expected,
        }),
        _ => Ok(()),
    }
}
