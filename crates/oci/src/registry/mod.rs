//! An async client for OCI distribution registries: [`Client`].
//!
//! - [`Client`] with [`ClientOptions`] talks to one registry: blobs ([`Client::push_blob`],
//!   [`Client::push_blobs`], [`Client::pull_blob`]), manifests ([`Client::push_manifest`],
//!   [`Client::pull_manifest`], [`Client::manifest_descriptor`]), mounts ([`Client::mount_blob`]), tags
//!   ([`Client::list_tags`]) and referrers ([`Client::referrers`]).
//! - [`BlobSource`]: a file (read one chunk at a time, so uploads resume), bytes, or a reader.
//! - [`Credentials`]: anonymous, explicit, or from `~/.docker/config.json` ([`DockerConfig`])
//!   and credential helpers; Basic and Bearer-token challenges are answered, tokens cached per
//!   scope.
//! - [`header`]: the response headers the client acts on, parsed: [`header::Challenge`]
//!   (`WWW-Authenticate`), [`header::next_link`] (`Link`), [`header::RetryAfter`].
//! - [`RetryPolicy`]: deterministic exponential backoff on 5xx, 408, 429 (honouring
//!   `Retry-After`) and dropped connections, bounded by a deadline per request.
//!
//! Uploads follow the distribution specification: `HEAD` first (nothing is sent for a blob
//! the repository has), a cross-repository mount when the source names a repository, one
//! `PUT` for small blobs, `PATCH` chunks with `Content-Range` for large ones. When a chunk
//! fails, the client asks the upload session how much it holds (`GET`, `Range`) and goes on
//! from there; when the registry dropped the session, the upload starts over. Digests are
//! checked everywhere the registry reports one (`Docker-Content-Digest`) and on every
//! download.
//!
//! Plain HTTP is only for loopback registries ([`ClientOptions::plain_http`]). HTTPS uses
//! rustls with the crypto provider the options name (ring by default), trusting the system's
//! certificate store plus the options' extra roots ([`ClientOptions::root_certificates_pem`]);
//! nothing is installed process-wide. A caller with its own configured `reqwest::Client`
//! hands it in with [`ClientOptions::http_client`].
//!
//! Why a thin client on `reqwest` rather than `oci-client`: `oci-client` passes digests as
//! strings, buffers chunked uploads in memory, has no way to resume an upload from the
//! registry's reported range, does not retry, and does not check `Docker-Content-Digest`
//! against the bytes sent. Those are this module's whole point, and the distribution protocol
//! they need is a few hundred lines.
//!
//! ```no_run
//! use consign_oci::registry::{BlobSource, Client, ClientOptions};
//! use consign_oci::{Descriptor, MediaType, Reference};
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let image: Reference = "127.0.0.1:5000/acme/tool:1.0".parse()?;
//! let client = Client::for_reference(&image, ClientOptions::default().plain_http(true))?;
//! let repo = image.repository();
//! let layer = BlobSource::file_hashed("layer.tar.gz")?;
//! let config = BlobSource::bytes(br#"{"architecture":"amd64","os":"linux"}"#.to_vec());
//! let (layer_d, config_d) = (layer.digest().to_string(), config.digest().to_string());
//! client.push_blobs(repo, vec![layer, config]).await?;
//! let manifest = format!(
//!     r#"{{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",
//!        "config":{{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"{config_d}","size":37}},
//!        "layers":[{{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"{layer_d}","size":0}}]}}"#
//! );
//! let digest = client
//!     .push_manifest(&image, manifest.as_bytes(), &MediaType::ImageManifest)
//!     .await?;
//! let back = client.pull_manifest(&image.at_digest(digest)).await?;
//! assert_eq!(back.bytes, manifest.as_bytes());
//! # Ok(()) }
//! ```

mod auth;
mod blob;
pub(crate) mod client;
mod code;
mod docker_config;
mod error;
pub mod header;
mod helper;
mod limits;
mod manifest;
mod referrers;
mod retry;
mod source;

pub use auth::Credentials;
pub use blob::{BlobOutcome, PushedBlob};
pub use client::{Client, ClientOptions, TransferStats};
pub use code::{ErrorCode, RegistryMessage};
pub use docker_config::DockerConfig;
pub use error::RegistryError;
pub use manifest::{FetchedManifest, MAX_MANIFEST_SIZE};
pub use referrers::referrers_tag;
pub use retry::RetryPolicy;
pub use source::BlobSource;

/// The HTTP client crate, for callers that hand in their own client
/// ([`ClientOptions::http_client`]) built with the same version.
pub use reqwest;
/// The TLS crate, for callers that choose the crypto provider ([`ClientOptions::tls_provider`])
/// or build their own client configuration.
pub use rustls;
