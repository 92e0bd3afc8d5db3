//! [`RegistryError`]: what went wrong talking to a registry.

use std::path::PathBuf;
use std::time::Duration;

use consign_core::Digest;

use super::code::{ErrorCode, RegistryMessage};

/// What went wrong talking to a registry. Each variant names the object concerned (a blob,
/// a manifest, a tag list) as `what`, so a failure in a parallel push says which blob it was.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RegistryError {
    /// Plain HTTP was asked for a registry that is not a loopback address.
    #[error(
        "refusing plain HTTP to {registry}: it is not a loopback address; use HTTPS, or run the \
         registry on 127.0.0.1/localhost for plain-HTTP tests"
    )]
    PlainHttpRefused {
        /// The registry host.
        registry: String,
    },
    /// The registry answered with a status the operation cannot continue from.
    #[error(
        "{what}: the registry answered {status}{}{hint}",
        registry_messages(errors)
    )]
    Status {
        /// The object concerned (`blob sha256:… in acme/tool`).
        what: String,
        /// The HTTP status.
        status: u16,
        /// The registry's error entries (code and message), when it sent the
        /// specification's error body.
        errors: Vec<RegistryMessage>,
        /// What to do about it.
        hint: &'static str,
    },
    /// The connection dropped while a response body was being read. Retrying may succeed.
    #[error(
        "{what}: the connection dropped while reading the answer: {}",
        super::client::error_chain(source)
    )]
    Dropped {
        /// The object concerned.
        what: String,
        /// The transport's error.
        #[source]
        source: reqwest::Error,
    },
    /// Retries did not succeed before the deadline (or the attempt budget) ran out.
    #[error(
        "{what}: gave up after {attempts} attempts in {elapsed:?}; last: {last}. \
         Raise the retry deadline in ClientOptions or check the registry"
    )]
    GaveUp {
        /// The object concerned.
        what: String,
        /// How many requests were sent.
        attempts: u32,
        /// Time spent.
        elapsed: Duration,
        /// The last status or connection error.
        last: String,
    },
    /// A request could not be built or sent for a reason retrying cannot fix.
    #[error("{what}: {source}")]
    Transport {
        /// The object concerned.
        what: String,
        /// The HTTP client's error.
        #[source]
        source: reqwest::Error,
    },
    /// Content did not hash to the digest it was asked for or announced under.
    #[error(
        "{what}: expected digest {expected}, got {actual}; the content was changed or corrupted"
    )]
    DigestMismatch {
        /// The object concerned.
        what: String,
        /// The digest we asked for or computed from our bytes.
        expected: Box<Digest>,
        /// The digest of what was received or what the registry reported.
        actual: Box<Digest>,
    },
    /// Content was larger or smaller than its descriptor says.
    #[error("{what}: expected {expected} bytes, got {actual}")]
    SizeMismatch {
        /// The object concerned.
        what: String,
        /// Size from the descriptor.
        expected: u64,
        /// Size seen.
        actual: u64,
    },
    /// The registry's answer breaks the distribution specification.
    #[error("{what}: unexpected answer from the registry: {detail}")]
    Protocol {
        /// The object concerned.
        what: String,
        /// What was wrong.
        detail: String,
    },
    /// Authentication failed: bad credentials, a token service that refused, or a challenge
    /// that cannot be answered.
    #[error("authentication with {registry} failed: {detail}")]
    Auth {
        /// The registry host.
        registry: String,
        /// What failed, and what to do.
        detail: String,
    },
    /// The Docker configuration cannot be read or parsed, or names credentials consign cannot
    /// use.
    #[error("cannot use Docker config {}: {detail}", config_name(path.as_deref()))]
    DockerConfig {
        /// The file, when it was read from one ([`DockerConfig::from_json`] has none).
        ///
        /// [`DockerConfig::from_json`]: super::DockerConfig::from_json
        path: Option<PathBuf>,
        /// What is wrong with it.
        detail: String,
    },
    /// A `docker-credential-*` helper failed.
    #[error("credential helper docker-credential-{helper} failed for {registry}: {detail}")]
    CredentialHelper {
        /// The helper's name (the part after `docker-credential-`).
        helper: String,
        /// The registry asked about.
        registry: String,
        /// Its error output or the reason it could not run.
        detail: String,
    },
    /// The TLS configuration cannot be built: an unreadable root certificate, or a crypto
    /// provider that offers no usable protocol version.
    #[error("TLS setup for registry clients failed: {detail}")]
    Tls {
        /// What was wrong.
        detail: String,
    },
    /// The client's monitor was interrupted; files being downloaded were removed.
    #[error(transparent)]
    Interrupted(#[from] consign_core::Interrupted),
    /// A local file could not be read or written.
    #[error("cannot {op} {}: {source}", path.display())]
    Io {
        /// What was being done.
        op: &'static str,
        /// The file.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// A blob source that can be read only once failed mid-transfer; it cannot be retried.
    #[error(
        "{what}: the transfer failed after the stream was consumed ({last}); pass a file \
         source (BlobSource::file) to allow retries and resuming"
    )]
    NotRetryable {
        /// The object concerned.
        what: String,
        /// The failure.
        last: String,
    },
}

fn config_name(path: Option<&std::path::Path>) -> String {
    path.map_or_else(|| "(JSON)".to_owned(), |p| p.display().to_string())
}

fn registry_messages(errors: &[RegistryMessage]) -> String {
    if errors.is_empty() {
        return String::new();
    }
    let text: Vec<String> = errors.iter().map(ToString::to_string).collect();
    format!(" ({})", text.join("; "))
}

impl RegistryError {
    /// The HTTP status behind the error, when the registry answered.
    pub fn status(&self) -> Option<u16> {
        match self {
            RegistryError::Status { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// Whether the registry said the object does not exist (404).
    pub fn is_not_found(&self) -> bool {
        self.status() == Some(404)
    }

    /// The registry's error entries, when it answered with the specification's error body.
    pub fn registry_errors(&self) -> &[RegistryMessage] {
        match self {
            RegistryError::Status { errors, .. } => errors,
            _ => &[],
        }
    }

    /// Whether the registry answered with the error code `code`.
    pub fn has_code(&self, code: &ErrorCode) -> bool {
        self.registry_errors().iter().any(|e| &e.code == code)
    }

    /// Whether the same request may succeed if sent again later: a status the registry uses
    /// for overload or outages (408, 429, 5xx) or a dropped connection. [`RegistryError::GaveUp`]
    /// is not: its retries are spent.
    pub fn is_transient(&self) -> bool {
        match self {
            RegistryError::Status { status, .. } => super::retry::status_is_transient(*status),
            RegistryError::Dropped { .. } => true,
            _ => false,
        }
    }
}
