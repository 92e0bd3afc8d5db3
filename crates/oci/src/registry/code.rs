//! The distribution specification's error codes ([`ErrorCode`]) and the error entries a
//! registry sends with a failed request ([`RegistryMessage`]), parsed once from
//! `{"errors":[{"code","message","detail"}]}`.

use std::fmt;

use serde::Deserialize;

/// An error code of the OCI distribution specification (and the Docker registry's
/// `TOOMANYREQUESTS`); codes a registry invents are kept as [`ErrorCode::Other`].
///
/// ```
/// use consign_oci::registry::ErrorCode;
/// assert_eq!(ErrorCode::parse("MANIFEST_UNKNOWN"), ErrorCode::ManifestUnknown);
/// assert_eq!(ErrorCode::ManifestUnknown.to_string(), "MANIFEST_UNKNOWN");
/// assert_eq!(ErrorCode::parse("QUOTA_EXCEEDED"), ErrorCode::Other("QUOTA_EXCEEDED".into()));
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorCode {
    /// `BLOB_UNKNOWN`: the blob is not in the repository.
    BlobUnknown,
    /// `BLOB_UPLOAD_INVALID`: the upload failed and must be restarted.
    BlobUploadInvalid,
    /// `BLOB_UPLOAD_UNKNOWN`: the upload session is gone.
    BlobUploadUnknown,
    /// `DIGEST_INVALID`: the content does not match the digest given.
    DigestInvalid,
    /// `MANIFEST_BLOB_UNKNOWN`: a manifest names a blob the repository lacks.
    ManifestBlobUnknown,
    /// `MANIFEST_INVALID`: the manifest fails the registry's checks.
    ManifestInvalid,
    /// `MANIFEST_UNKNOWN`: no manifest under that tag or digest.
    ManifestUnknown,
    /// `NAME_INVALID`: the repository name is refused.
    NameInvalid,
    /// `NAME_UNKNOWN`: the repository does not exist.
    NameUnknown,
    /// `SIZE_INVALID`: the content length does not match.
    SizeInvalid,
    /// `UNAUTHORIZED`: authentication is needed.
    Unauthorized,
    /// `DENIED`: the credentials lack the permission.
    Denied,
    /// `UNSUPPORTED`: the operation is not supported.
    Unsupported,
    /// `TOOMANYREQUESTS`: rate limited.
    TooManyRequests,
    /// Any other code, verbatim.
    Other(String),
}

const CODES: [(&str, ErrorCode); 14] = [
    ("BLOB_UNKNOWN", ErrorCode::BlobUnknown),
    ("BLOB_UPLOAD_INVALID", ErrorCode::BlobUploadInvalid),
    ("BLOB_UPLOAD_UNKNOWN", ErrorCode::BlobUploadUnknown),
    ("DIGEST_INVALID", ErrorCode::DigestInvalid),
    ("MANIFEST_BLOB_UNKNOWN", ErrorCode::ManifestBlobUnknown),
    ("MANIFEST_INVALID", ErrorCode::ManifestInvalid),
    ("MANIFEST_UNKNOWN", ErrorCode::ManifestUnknown),
    ("NAME_INVALID", ErrorCode::NameInvalid),
    ("NAME_UNKNOWN", ErrorCode::NameUnknown),
    ("SIZE_INVALID", ErrorCode::SizeInvalid),
    ("UNAUTHORIZED", ErrorCode::Unauthorized),
    ("DENIED", ErrorCode::Denied),
    ("UNSUPPORTED", ErrorCode::Unsupported),
    ("TOOMANYREQUESTS", ErrorCode::TooManyRequests),
];

impl ErrorCode {
    /// The code for `text` (exact, upper case as the specification writes it).
    pub fn parse(text: &str) -> ErrorCode {
        CODES
            .iter()
            .find(|(name, _)| *name == text)
            .map_or_else(|| ErrorCode::Other(text.to_owned()), |(_, c)| c.clone())
    }

    /// The code as the registry sends it.
    pub fn as_str(&self) -> &str {
        match self {
            ErrorCode::Other(text) => text,
            known => CODES
                .iter()
                .find(|(_, c)| c == known)
                .map_or("", |(name, _)| name),
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One entry of a registry's error body.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct RegistryMessage {
    /// The code.
    pub code: ErrorCode,
    /// The registry's message (at most 512 characters are kept).
    pub message: String,
}

impl fmt::Display for RegistryMessage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.message.is_empty() {
            write!(f, "{}", self.code)
        } else {
            write!(f, "{}: {}", self.code, self.message)
        }
    }
}

/// The longest message kept from a registry's error entry.
const MAX_MESSAGE: usize = 512;
/// The most entries kept from one error body.
const MAX_ENTRIES: usize = 16;

#[derive(Deserialize)]
struct ErrorBody {
    #[serde(default)]
    errors: Vec<ErrorEntry>,
}

#[derive(Deserialize)]
struct ErrorEntry {
    #[serde(default)]
    code: String,
    #[serde(default)]
    message: String,
}

/// The entries of an error body; none when it is not the specification's JSON.
pub(crate) fn parse_messages(body: &[u8]) -> Vec<RegistryMessage> {
    let Ok(body) = serde_json::from_slice::<ErrorBody>(body) else {
        return Vec::new();
    };
    body.errors
        .into_iter()
        .take(MAX_ENTRIES)
        .map(|e| RegistryMessage {
            code: ErrorCode::parse(&e.code),
            message: e.message.chars().take(MAX_MESSAGE).collect(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_round_trips() {
        for (name, code) in CODES {
            assert_eq!(ErrorCode::parse(name), code);
            assert_eq!(code.as_str(), name);
        }
    }

    #[test]
    fn bodies_are_parsed_and_bounded() {
        let body = br#"{"errors":[{"code":"BLOB_UNKNOWN","message":"blob unknown to registry","detail":"sha256:00"},{"code":"X"}]}"#;
        let m = parse_messages(body);
        assert_eq!(m.len(), 2);
        assert_eq!(m[0].code, ErrorCode::BlobUnknown);
        assert_eq!(m[0].to_string(), "BLOB_UNKNOWN: blob unknown to registry");
        assert_eq!(m[1].to_string(), "X");
        assert!(parse_messages(b"<html>").is_empty());
        let long = format!(
            r#"{{"errors":[{{"code":"DENIED","message":"{}"}}]}}"#,
            "x".repeat(10_000)
        );
        assert_eq!(
            parse_messages(long.as_bytes())[0].message.len(),
            MAX_MESSAGE
        );
    }
}
