//! Blobs: existence checks, cross-repository mounts, monolithic and chunked uploads with
//! resume, parallel pushes, and verified downloads.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;

use consign_core::{Algorithm, Digest, Hasher};
use futures_util::{StreamExt, TryStreamExt};
use reqwest::header::{CONTENT_LENGTH, CONTENT_RANGE, CONTENT_TYPE, RANGE};
use reqwest::{StatusCode, Url};
use tokio::io::{AsyncWrite, AsyncWriteExt};

use super::client::{Attempts, Counters, Outcome, Scope};
use super::{BlobSource, Client, RegistryError};
use crate::{Descriptor, Error, Repository};

/// What [`Client::push_blob`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum BlobOutcome {
    /// The repository had it already: nothing sent.
    Existed,
    /// Mounted from another repository: nothing sent.
    Mounted,
    /// Uploaded.
    Uploaded,
}

/// A pushed blob.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct PushedBlob {
    /// Its digest.
    pub digest: Digest,
    /// Its size.
    pub size: u64,
    /// How it got there.
    pub outcome: BlobOutcome,
}

impl Client {
    /// Whether `repo` holds the blob (`HEAD`).
    pub async fn blob_exists(&self, repo: &Repository, digest: &Digest) -> Result<bool, Error> {
        Ok(self.has_blob(repo, digest).await?)
    }

    /// [`Client::blob_exists`], for the upload steps.
    async fn has_blob(&self, repo: &Repository, digest: &Digest) -> Result<bool, RegistryError> {
        let what = format!("blob {digest} in {repo}");
        let url = self.url(repo, &format!("blobs/{digest}"))?;
        let http = self.inner.http.clone();
        let response = self
            .send(
                &what,
                &Scope::pull(repo),
                &mut || Ok(http.head(url.clone())),
            )
            .await?;
        match response.status() {
            s if s.is_success() => Ok(true),
            StatusCode::NOT_FOUND => Ok(false),
            _ => Err(Client::status_error(&what, response, "").await),
        }
    }

    /// Pushes many blobs, [`ClientOptions::parallelism`](super::ClientOptions::parallelism) at
    /// a time. Stops at the first failure (the others are abandoned) and returns it.
    pub async fn push_blobs(
        &self,
        repo: &Repository,
        blobs: Vec<BlobSource>,
    ) -> Result<Vec<PushedBlob>, Error> {
        futures_util::stream::iter(blobs)
            .map(|blob| async move { self.push_blob(repo, blob).await })
            .buffer_unordered(self.inner.options.parallelism)
            .try_collect()
            .await
    }

    /// Pushes one blob: nothing when `repo` has it, a mount when the source names another
    /// repository that has it, otherwise an upload (one `PUT` up to
    /// [`ClientOptions::monolithic_max`](super::ClientOptions::monolithic_max), else chunks
    /// resumed from the registry's reported range after a failure).
    pub async fn push_blob(
        &self,
        repo: &Repository,
        blob: BlobSource,
    ) -> Result<PushedBlob, Error> {
        let counters = &self.inner.counters;
        let done = |outcome| PushedBlob {
            digest: blob.digest,
            size: blob.size,
            outcome,
        };
        if self.blob_exists(repo, &blob.digest).await? {
            Counters::bump(&counters.blobs_skipped);
            return Ok(done(BlobOutcome::Existed));
        }
        let what = format!("blob {} in {repo}", blob.digest);
        let location = match self.start_upload(repo, &blob, &what).await? {
            Started::Mounted => {
                Counters::bump(&counters.blobs_mounted);
                return Ok(done(BlobOutcome::Mounted));
            }
            Started::Upload(location) => location,
        };
        self.upload(repo, &blob, &what, location).await?;
        Counters::bump(&counters.blobs_uploaded);
        Ok(done(BlobOutcome::Uploaded))
    }

    /// Mounts a blob from `from` into `repo` on this registry without sending its bytes.
    /// Returns `true` when `repo` has the blob afterwards (it had it, or the mount worked),
    /// `false` when the registry could not mount it (then upload it, e.g. with
    /// [`Client::push_blob`]); the upload session the registry opened instead is cancelled.
    pub async fn mount_blob(
        &self,
        repo: &Repository,
        digest: &Digest,
        from: &Repository,
    ) -> Result<bool, Error> {
        let counters = &self.inner.counters;
        if self.blob_exists(repo, digest).await? {
            Counters::bump(&counters.blobs_skipped);
            return Ok(true);
        }
        let probe = BlobSource::bytes(bytes::Bytes::new()).mount_from(from.clone());
        let probe = BlobSource {
            digest: *digest,
            ..probe
        };
        let what = format!("blob {digest} in {repo}");
        match self.start_upload(repo, &probe, &what).await? {
            Started::Mounted => {
                Counters::bump(&counters.blobs_mounted);
                Ok(true)
            }
            Started::Upload(location) => {
                // Best effort: an abandoned session expires on its own.
                let _ = self.inner.http.delete(location).send().await;
                Ok(false)
            }
        }
    }

    /// `POST` a new upload session (or a mount when the source names a repository).
    async fn start_upload(
        &self,
        repo: &Repository,
        blob: &BlobSource,
        what: &str,
    ) -> Result<Started, RegistryError> {
        let mut url = self.url(repo, "blobs/uploads/")?;
        let mut scope = Scope::push(repo);
        if let Some(from) = blob.mount_from.as_ref().filter(|from| *from != repo) {
            url.query_pairs_mut()
                .append_pair("mount", &blob.digest.to_string())
                .append_pair("from", from.as_str());
            scope = scope.and_pull(from);
        }
        let http = self.inner.http.clone();
        let response = self
            .send(what, &scope, &mut || {
                Ok(http.post(url.clone()).header(CONTENT_LENGTH, 0))
            })
            .await?;
        match response.status() {
            StatusCode::CREATED => Ok(Started::Mounted),
            StatusCode::ACCEPTED => Ok(Started::Upload(self.location(what, response.headers())?)),
            _ => Err(Client::status_error(
                what,
                response,
                "; check that the repository name is right and that the credentials may push",
            )
            .await),
        }
    }

    /// Sends the bytes to an upload session, starting over in a new session when the
    /// registry drops one, and finishes with `PUT ?digest=`.
    async fn upload(
        &self,
        repo: &Repository,
        blob: &BlobSource,
        what: &str,
        mut location: Url,
    ) -> Result<(), RegistryError> {
        let options = &self.inner.options;
        let chunked = blob.rereadable() && blob.size > options.monolithic_max;
        // Sessions are counted apart from the requests within one: progress inside a session
        // (a chunk accepted) renews that session's budget, never this one, so a registry that
        // takes a chunk and then drops every session still ends the upload.
        let mut sessions = Attempts::new();
        loop {
            let mut attempts = Attempts::new();
            let result = if chunked {
                self.send_chunks(repo, blob, what, location, &mut attempts)
                    .await
            } else {
                self.put_whole(repo, blob, what, location, &mut attempts)
                    .await
            };
            match result? {
                Sent::Done => return Ok(()),
                Sent::SessionLost { last } => {
                    if !blob.rereadable() {
                        return Err(RegistryError::NotRetryable {
                            what: what.to_owned(),
                            last,
                        });
                    }
                    sessions.sent += 1;
                    sessions.backoff(self, what, last, None).await?;
                    Counters::bump(&self.inner.counters.restarts);
                    location = match self.start_upload(repo, blob, what).await? {
                        Started::Upload(l) => l,
                        Started::Mounted => return Ok(()),
                    };
                }
            }
        }
    }

    /// One `PUT ?digest=` carrying the whole blob.
    async fn put_whole(
        &self,
        repo: &Repository,
        blob: &BlobSource,
        what: &str,
        location: Url,
        attempts: &mut Attempts,
    ) -> Result<Sent, RegistryError> {
        let url = with_digest(location, &blob.digest);
        let body = blob
            .body(0, blob.size, self.sent_counter(), self.monitor())
            .await?;
        let mut body = Some(body);
        let http = self.inner.http.clone();
        let size = blob.size;
        let outcome = self
            .send_once(
                what,
                &Scope::push(repo),
                &mut || {
                    let body = body.take().ok_or_else(|| RegistryError::NotRetryable {
                        what: what.to_owned(),
                        last: "the registry asked for authentication after the upload began"
                            .to_owned(),
                    })?;
                    Ok(http
                        .put(url.clone())
                        .header(CONTENT_TYPE, "application/octet-stream")
                        .header(CONTENT_LENGTH, size)
                        .body(body))
                },
                attempts,
            )
            .await?;
        self.finish_answer(repo, blob, what, outcome).await
    }

    /// `PATCH` chunks from the registry's offset, then `PUT ?digest=`.
    async fn send_chunks(
        &self,
        repo: &Repository,
        blob: &BlobSource,
        what: &str,
        mut location: Url,
        attempts: &mut Attempts,
    ) -> Result<Sent, RegistryError> {
        let chunk = self.inner.options.chunk_size;
        let http = self.inner.http.clone();
        let scope = Scope::push(repo);
        let mut offset = 0u64;
        while offset < blob.size {
            let len = chunk.min(blob.size - offset);
            let mut body = Some(
                blob.body(offset, len, self.sent_counter(), self.monitor())
                    .await?,
            );
            let url = location.clone();
            let range = format!("{}-{}", offset, offset + len - 1);
            let outcome = self
                .send_once(
                    what,
                    &scope,
                    &mut || {
                        let body = body.take().ok_or_else(|| RegistryError::NotRetryable {
                            what: what.to_owned(),
                            last: "the registry asked for authentication mid-upload".to_owned(),
                        })?;
                        Ok(http
                            .patch(url.clone())
                            .header(CONTENT_TYPE, "application/octet-stream")
                            .header(CONTENT_RANGE, range.as_str())
                            .header(CONTENT_LENGTH, len)
                            .body(body))
                    },
                    attempts,
                )
                .await?;
            let last = match outcome {
                Outcome::Answer(response) if response.status() == StatusCode::ACCEPTED => {
                    location = self.location(what, response.headers())?;
                    let sent = offset + len;
                    let held = match range_end(response.headers()) {
                        Some(end) => held_bytes(end, sent, what)?,
                        None => sent,
                    };
                    if held == sent {
                        attempts.progressed();
                    } else {
                        // The registry kept less than was sent: a failed attempt, so a
                        // registry that never advances ends the upload instead of looping.
                        attempts
                            .backoff(
                                self,
                                what,
                                format!("the registry kept {held} of the {sent} bytes sent"),
                                None,
                            )
                            .await?;
                        Counters::bump(&self.inner.counters.resumes);
                    }
                    offset = held;
                    continue;
                }
                Outcome::Answer(response)
                    if matches!(response.status().as_u16(), 404 | 416 | 400) =>
                {
                    // The session is gone or out of step: start a new one.
                    let status = response.status();
                    return Ok(Sent::SessionLost {
                        last: format!("HTTP {status} to a PATCH"),
                    });
                }
                Outcome::Answer(response) => {
                    return Err(Client::status_error(what, response, "").await);
                }
                Outcome::Transient { last, retry_after } => {
                    attempts
                        .backoff(self, what, last.clone(), retry_after)
                        .await?;
                    last
                }
            };
            // Ask the registry how much it kept, and go on from there.
            match self.upload_status(what, &scope, &location).await? {
                Some((l, end)) => {
                    location = l;
                    offset = end;
                    Counters::bump(&self.inner.counters.resumes);
                }
                None => return Ok(Sent::SessionLost { last }),
            }
        }
        let url = with_digest(location, &blob.digest);
        let outcome = self
            .send_once(
                what,
                &scope,
                &mut || Ok(http.put(url.clone()).header(CONTENT_LENGTH, 0)),
                attempts,
            )
            .await?;
        self.finish_answer(repo, blob, what, outcome).await
    }

    /// `GET` on an upload session: its next `Location` and how many bytes it holds, or `None`
    /// when the session is gone.
    async fn upload_status(
        &self,
        what: &str,
        scope: &Scope,
        location: &Url,
    ) -> Result<Option<(Url, u64)>, RegistryError> {
        let http = self.inner.http.clone();
        let response = self
            .send(what, scope, &mut || Ok(http.get(location.clone())))
            .await?;
        match response.status() {
            StatusCode::NO_CONTENT | StatusCode::OK | StatusCode::ACCEPTED => {
                let next = self
                    .location(what, response.headers())
                    .unwrap_or_else(|_| location.clone());
                // distribution reports `0-0` for an empty session as well as for one byte;
                // starting over at 0 is right for the first and harmless for the second
                // (the registry then rejects the session and the upload restarts).
                let held = match range_end(response.headers()) {
                    Some(0) | None => 0,
                    Some(end) => end.checked_add(1).ok_or_else(|| RegistryError::Protocol {
                        what: what.to_owned(),
                        detail: format!("the upload session reports the range 0-{end}"),
                    })?,
                };
                Ok(Some((next, held)))
            }
            StatusCode::NOT_FOUND | StatusCode::BAD_REQUEST => Ok(None),
            _ => Err(Client::status_error(what, response, "").await),
        }
    }

    /// Checks the answer to the final `PUT`.
    async fn finish_answer(
        &self,
        repo: &Repository,
        blob: &BlobSource,
        what: &str,
        outcome: Outcome,
    ) -> Result<Sent, RegistryError> {
        let response = match outcome {
            Outcome::Answer(r) => r,
            Outcome::Transient { last, .. } => return Ok(Sent::SessionLost { last }),
        };
        let status = response.status();
        if status == StatusCode::CREATED || status == StatusCode::NO_CONTENT {
            if let Some(reported) = header_digest(response.headers())
                && reported != blob.digest
            {
                return Err(RegistryError::DigestMismatch {
                    what: what.to_owned(),
                    expected: Box::new(blob.digest),
                    actual: Box::new(reported),
                });
            }
            return Ok(Sent::Done);
        }
        if matches!(status.as_u16(), 404 | 416) {
            // A retried PUT may find its session already committed.
            if self.has_blob(repo, &blob.digest).await? {
                return Ok(Sent::Done);
            }
            return Ok(Sent::SessionLost {
                last: format!("HTTP {status} to the final PUT"),
            });
        }
        Err(Client::status_error(
            what,
            response,
            "; a DIGEST_INVALID code means the source bytes do not match the digest given",
        )
        .await)
    }

    fn sent_counter(&self) -> Arc<AtomicU64> {
        self.inner.counters.blob_bytes_sent.clone()
    }

    fn monitor(&self) -> consign_core::Monitor {
        self.inner.options.monitor.clone()
    }

    /// Downloads a blob into `out`, checking its size and digest as it streams. Returns the
    /// number of bytes written. On a digest or size mismatch, `out` holds the bad bytes: write
    /// to a temporary place (as [`Client::pull_blob_to_file`] does).
    pub async fn pull_blob(
        &self,
        repo: &Repository,
        descriptor: &Descriptor,
        out: &mut (impl AsyncWrite + Unpin),
    ) -> Result<u64, Error> {
        let digest = descriptor.digest;
        let what = format!("blob {digest} in {repo}");
        let url = self.url(repo, &format!("blobs/{digest}"))?;
        let http = self.inner.http.clone();
        let response = self
            .send(&what, &Scope::pull(repo), &mut || Ok(http.get(url.clone())))
            .await?;
        if !response.status().is_success() {
            return Err(Client::status_error(&what, response, "").await.into());
        }
        let mut hasher = Hasher::new(digest.algorithm());
        let mut size = 0u64;
        let mut stream = response.bytes_stream();
        let monitor = &self.inner.options.monitor;
        while let Some(piece) = stream.next().await {
            monitor.check().map_err(RegistryError::from)?;
            let piece = piece.map_err(|source| RegistryError::Dropped {
                what: what.clone(),
                source,
            })?;
            size += piece.len() as u64;
            if size > descriptor.size {
                return Err(RegistryError::SizeMismatch {
                    what,
                    expected: descriptor.size,
                    actual: size,
                }
                .into());
            }
            hasher.update(&piece);
            monitor.advance(piece.len() as u64);
            out.write_all(&piece).await.map_err(|e| RegistryError::Io {
                op: "write",
                path: what.clone().into(),
                source: e,
            })?;
        }
        out.flush().await.map_err(|e| RegistryError::Io {
            op: "write",
            path: what.clone().into(),
            source: e,
        })?;
        if size != descriptor.size {
            return Err(RegistryError::SizeMismatch {
                what,
                expected: descriptor.size,
                actual: size,
            }
            .into());
        }
        let actual = hasher.finish();
        if actual != digest {
            return Err(RegistryError::DigestMismatch {
                what,
                expected: Box::new(digest),
                actual: Box::new(actual),
            }
            .into());
        }
        Ok(size)
    }

    /// Downloads a blob to `path` (through a hidden `.pull-….partial` file beside it), which
    /// appears only once the digest verified, its directory synced. A dropped transfer is
    /// retried from the start per the retry policy.
    pub async fn pull_blob_to_file(
        &self,
        repo: &Repository,
        descriptor: &Descriptor,
        path: &Path,
    ) -> Result<u64, Error> {
        let io = |op, source| RegistryError::Io {
            op,
            path: path.to_owned(),
            source,
        };
        // A short hidden name beside the target (whatever the target's length), unique to
        // this pull.
        let unique = {
            // A fresh RandomState has fresh random keys: hashed with the process id and this
            // process's pull count, two pulls (here or in another process) never share a name
            // but by a 64-bit collision.
            use std::hash::{BuildHasher, Hasher};
            static PULLS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
            let mut h = std::collections::hash_map::RandomState::new().build_hasher();
            h.write_u32(std::process::id());
            h.write_u64(PULLS.fetch_add(1, std::sync::atomic::Ordering::Relaxed));
            h.finish()
        };
        let hex = descriptor.digest.hex();
        let partial = path.with_file_name(format!(
            ".pull-{}-{unique:016x}.partial",
            &hex[..hex.len().min(16)]
        ));
        let what = format!("blob {} in {repo}", descriptor.digest);
        let mut attempts = Attempts::new();
        loop {
            let mut file = tokio::fs::File::create(&partial)
                .await
                .map_err(|e| io("create", e))?;
            attempts.sent += 1;
            match self.pull_blob(repo, descriptor, &mut file).await {
                Ok(size) => {
                    file.sync_all().await.map_err(|e| io("sync", e))?;
                    drop(file);
                    tokio::fs::rename(&partial, path)
                        .await
                        .map_err(|e| io("rename", e))?;
                    // The new name is durable before anyone (an index.json) points at it.
                    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                        let dir = tokio::fs::File::open(dir)
                            .await
                            .map_err(|e| io("open the directory of", e))?;
                        dir.sync_all()
                            .await
                            .map_err(|e| io("sync the directory of", e))?;
                    }
                    return Ok(size);
                }
                Err(e) if e.is_transient() => {
                    if let Err(e) = attempts.backoff(self, &what, e.to_string(), None).await {
                        let _ = tokio::fs::remove_file(&partial).await;
                        return Err(e.into());
                    }
                }
                Err(e) => {
                    let _ = tokio::fs::remove_file(&partial).await;
                    return Err(e);
                }
            }
        }
    }
}

enum Started {
    Mounted,
    Upload(Url),
}

enum Sent {
    Done,
    SessionLost { last: String },
}

/// The upload URL with `digest=<digest>` added to its query.
fn with_digest(mut url: Url, digest: &Digest) -> Url {
    url.query_pairs_mut()
        .append_pair("digest", &digest.to_string());
    url
}

/// The end of a `Range: 0-<end>` header (distribution omits `bytes=`; accept both).
/// How many bytes a session holds after a `PATCH` that sent up to `sent`, from the end of
/// the range it reports: never more than was sent.
fn held_bytes(end: u64, sent: u64, what: &str) -> Result<u64, RegistryError> {
    match end.checked_add(1) {
        Some(held) if held <= sent => Ok(held),
        _ => Err(RegistryError::Protocol {
            what: what.to_owned(),
            detail: format!("the registry reports bytes 0-{end} received, but {sent} were sent"),
        }),
    }
}

fn range_end(headers: &reqwest::header::HeaderMap) -> Option<u64> {
    let value = headers.get(RANGE)?.to_str().ok()?;
    let value = value.trim().trim_start_matches("bytes=");
    let (_, end) = value.split_once('-')?;
    end.trim().parse().ok()
}

/// `Docker-Content-Digest`, when present and parseable.
pub(crate) fn header_digest(headers: &reqwest::header::HeaderMap) -> Option<Digest> {
    headers
        .get("docker-content-digest")?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()
}

/// SHA-256 of bytes, the digest registries use.
pub(crate) fn sha256(bytes: &[u8]) -> Digest {
    Digest::of(Algorithm::Sha256, bytes)
}
