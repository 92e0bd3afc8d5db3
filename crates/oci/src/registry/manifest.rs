//! Manifests (`PUT`/`GET`/`HEAD` with digest checks) and tag listing.

use consign_core::Digest;
use reqwest::StatusCode;
use reqwest::header::{ACCEPT, CONTENT_LENGTH, CONTENT_TYPE, LINK};
use serde::Deserialize;

use super::blob::{header_digest, sha256};
use super::client::Scope;
use super::header::next_link;
use super::limits::{MAX_LIST_BODY, no_downgrade, read_capped};
use super::{Client, RegistryError};
use crate::{Descriptor, Error, MediaType, Reference, Repository, Tag};

/// The largest manifest read from a registry (the size distribution accepts).
pub const MAX_MANIFEST_SIZE: u64 = 4 << 20;

/// Every manifest type the client asks for.
const ACCEPT_MANIFESTS: &str = "application/vnd.oci.image.manifest.v1+json, \
    application/vnd.oci.image.index.v1+json, \
    application/vnd.docker.distribution.manifest.v2+json, \
    application/vnd.docker.distribution.manifest.list.v2+json";

/// A manifest or index as the registry holds it: the bytes untouched, their media type and
/// their digest (verified).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct FetchedManifest {
    /// The bytes, exactly as served (their digest is `digest`).
    pub bytes: Vec<u8>,
    /// The media type (from `Content-Type`, else the document's `mediaType`).
    pub media_type: MediaType,
    /// The SHA-256 of `bytes`.
    pub digest: Digest,
}

impl FetchedManifest {
    /// A descriptor of this manifest.
    pub fn descriptor(&self) -> Descriptor {
        Descriptor::new(
            self.media_type.clone(),
            self.digest,
            self.bytes.len() as u64,
        )
    }
}

impl Client {
    /// Uploads a manifest or index under the reference's tag (or digest) and returns its
    /// digest, after checking it against the registry's `Docker-Content-Digest` (and the
    /// reference's digest, if it has one).
    ///
    /// A manifest with a `subject` is also listed in the subject's referrers: by the registry
    /// when it supports the referrers API (it answers with `OCI-Subject`), otherwise in the
    /// `sha256-<hex>` referrers tag this method updates.
    pub async fn push_manifest(
        &self,
        reference: &Reference,
        bytes: &[u8],
        media_type: &MediaType,
    ) -> Result<Digest, Error> {
        let digest = sha256(bytes);
        let repo = reference.repository();
        let what = format!("manifest {reference}");
        if let Some(wanted) = reference.digest()
            && *wanted != digest
        {
            return Err(RegistryError::DigestMismatch {
                what,
                expected: Box::new(*wanted),
                actual: Box::new(digest),
            }
            .into());
        }
        let target = match reference.tag() {
            Some(tag) => tag.to_string(),
            None => digest.to_string(),
        };
        let response = self.put_manifest(repo, &target, bytes, media_type).await?;
        if let Some(reported) = header_digest(response.headers())
            && reported != digest
        {
            return Err(RegistryError::DigestMismatch {
                what,
                expected: Box::new(digest),
                actual: Box::new(reported),
            }
            .into());
        }
        let registry_indexed = response.headers().contains_key("oci-subject");
        if !registry_indexed {
            self.index_referrer(repo, bytes, media_type, digest).await?;
        }
        Ok(digest)
    }

    /// `PUT /v2/<repo>/manifests/<target>`; the response of a success.
    pub(crate) async fn put_manifest(
        &self,
        repo: &Repository,
        target: &str,
        bytes: &[u8],
        media_type: &MediaType,
    ) -> Result<reqwest::Response, RegistryError> {
        let what = format!("manifest {}/{repo}:{target}", self.registry());
        let url = self.url(repo, &format!("manifests/{target}"))?;
        let http = self.inner.http.clone();
        let body = bytes::Bytes::copy_from_slice(bytes);
        let response = self
            .send(&what, &Scope::push(repo), &mut || {
                Ok(http
                    .put(url.clone())
                    .header(CONTENT_TYPE, media_type.as_str())
                    .header(CONTENT_LENGTH, body.len())
                    .body(body.clone()))
            })
            .await?;
        if response.status().is_success() {
            Ok(response)
        } else {
            Err(Client::status_error(
                &what,
                response,
                "; MANIFEST_BLOB_UNKNOWN means a blob it names was not pushed first",
            )
            .await)
        }
    }

    /// Downloads a manifest or index by tag or digest. The bytes are returned untouched; when
    /// fetched by digest they must hash to it, and they must match the registry's
    /// `Docker-Content-Digest`.
    pub async fn pull_manifest(&self, reference: &Reference) -> Result<FetchedManifest, Error> {
        let what = format!("manifest {reference}");
        let response = self
            .manifest_request(reference, reqwest::Method::GET)
            .await?;
        let reported = header_digest(response.headers());
        let content_type = response
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(MediaType::from);
        // The specification's limit, announced or not (a chunked answer is cut there too).
        let bytes = read_capped(response, MAX_MANIFEST_SIZE as usize, &what).await?;
        let digest = sha256(&bytes);
        let expected = reference.digest().copied().or(reported);
        if let Some(expected) = expected
            && expected != digest
        {
            return Err(RegistryError::DigestMismatch {
                what,
                expected: Box::new(expected),
                actual: Box::new(digest),
            }
            .into());
        }
        let media_type = match content_type {
            Some(m) if m.is_manifest() || m.is_index() => m,
            other => document_media_type(&bytes)
                .or(other)
                .unwrap_or(MediaType::ImageManifest),
        };
        Ok(FetchedManifest {
            bytes,
            media_type,
            digest,
        })
    }

    /// The descriptor of a manifest (`HEAD`), or `None` when the registry has no such tag or
    /// digest.
    pub async fn manifest_descriptor(
        &self,
        reference: &Reference,
    ) -> Result<Option<Descriptor>, Error> {
        let what = format!("manifest {reference}");
        let response = match self
            .manifest_request(reference, reqwest::Method::HEAD)
            .await
        {
            Ok(r) => r,
            Err(e) if e.is_not_found() => return Ok(None),
            Err(e) => return Err(e.into()),
        };
        let headers = response.headers();
        let protocol = |detail: &str| RegistryError::Protocol {
            what: what.clone(),
            detail: detail.to_owned(),
        };
        let digest = header_digest(headers)
            .or_else(|| reference.digest().copied())
            .ok_or_else(|| protocol("no Docker-Content-Digest in the answer to HEAD"))?;
        if let Some(wanted) = reference.digest()
            && *wanted != digest
        {
            return Err(RegistryError::DigestMismatch {
                what,
                expected: Box::new(*wanted),
                actual: Box::new(digest),
            }
            .into());
        }
        let size = headers
            .get(CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse().ok())
            .ok_or_else(|| protocol("no Content-Length in the answer to HEAD"))?;
        let media_type = headers
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(MediaType::from)
            .ok_or_else(|| protocol("no Content-Type in the answer to HEAD"))?;
        Ok(Some(Descriptor::new(media_type, digest, size)))
    }

    async fn manifest_request(
        &self,
        reference: &Reference,
        method: reqwest::Method,
    ) -> Result<reqwest::Response, RegistryError> {
        let what = format!("manifest {reference}");
        let repo = reference.repository();
        let url = self.url(repo, &format!("manifests/{}", reference.target()))?;
        let http = self.inner.http.clone();
        let response = self
            .send(&what, &Scope::pull(repo), &mut || {
                Ok(http
                    .request(method.clone(), url.clone())
                    .header(ACCEPT, ACCEPT_MANIFESTS))
            })
            .await?;
        if response.status().is_success() {
            Ok(response)
        } else {
            Err(Client::status_error(&what, response, "").await)
        }
    }

    /// All tags of a repository, following `Link` pagination.
    pub async fn list_tags(&self, repo: &Repository) -> Result<Vec<Tag>, Error> {
        let what = format!("tag list of {}/{repo}", self.registry());
        let page = self.inner.options.page_size;
        let mut next = Some(self.url(repo, &format!("tags/list?n={page}"))?);
        let mut tags = Vec::new();
        let mut seen = std::collections::HashSet::new();
        let http = self.inner.http.clone();
        while let Some(url) = next.take() {
            // A `Link` back to a page already read would loop forever.
            if !seen.insert(url.clone()) {
                return Err(RegistryError::Protocol {
                    what,
                    detail: format!("the tag list links back to {url}, a page already read"),
                }
                .into());
            }
            let response = self
                .send(&what, &Scope::pull(repo), &mut || Ok(http.get(url.clone())))
                .await?;
            if response.status() == StatusCode::NOT_FOUND {
                return Ok(tags);
            }
            if !response.status().is_success() {
                return Err(Client::status_error(&what, response, "").await.into());
            }
            next = response
                .headers()
                .get(LINK)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| next_link(v, &url));
            if let Some(link) = &next {
                no_downgrade(&url, link, &what)?;
            }
            let body = read_capped(response, MAX_LIST_BODY, &what).await?;
            let page: TagPage =
                serde_json::from_slice(&body).map_err(|e| RegistryError::Protocol {
                    what: what.clone(),
                    detail: format!("unreadable tag list: {e}"),
                })?;
            for text in page.tags.unwrap_or_default() {
                tags.push(Tag::new(&text).map_err(|e| RegistryError::Protocol {
                    what: what.clone(),
                    detail: e.to_string(),
                })?);
            }
        }
        Ok(tags)
    }
}

#[derive(Deserialize)]
struct TagPage {
    #[serde(default)]
    tags: Option<Vec<String>>,
}

/// The `mediaType` field of a manifest document.
fn document_media_type(bytes: &[u8]) -> Option<MediaType> {
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Head {
        media_type: Option<MediaType>,
    }
    serde_json::from_slice::<Head>(bytes).ok()?.media_type
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn document_media_types() {
        assert_eq!(
            document_media_type(br#"{"mediaType":"application/vnd.oci.image.index.v1+json"}"#),
            Some(MediaType::ImageIndex)
        );
        assert_eq!(document_media_type(b"[]"), None);
    }
}
