//! [`BlobSource`]: where the bytes of a blob to push come from, streamed into request bodies.

use std::io::{Read, SeekFrom};
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};

use bytes::Bytes;
use consign_core::{Algorithm, Digest, Monitor};
use futures_util::TryStreamExt;
use http_body::{Body, Frame, SizeHint};
use http_body_util::BodyExt;
use http_body_util::combinators::BoxBody;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncSeekExt};
use tokio::sync::Mutex;

use super::RegistryError;
use crate::{Error, Repository};

/// Read size when streaming a blob into a request.
const READ_BUF: usize = 256 << 10;

/// A blob to push: its digest and size, and where its bytes come from.
///
/// File sources are read only for the range being sent, so a failed request can be retried
/// and a chunked upload resumed from any offset. Reader sources are streamed once: a failure
/// after their first byte is final ([`RegistryError::NotRetryable`]).
///
/// ```
/// use consign_oci::registry::BlobSource;
/// use consign_oci::Repository;
///
/// let config = BlobSource::bytes(b"{}".to_vec())
///     .mount_from(Repository::new("acme/base")?);
/// assert_eq!(config.size(), 2);
/// assert_eq!(
///     config.digest().to_string(),
///     "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"
/// );
/// # Ok::<(), consign_oci::Error>(())
/// ```
pub struct BlobSource {
    pub(crate) digest: Digest,
    pub(crate) size: u64,
    pub(crate) data: Data,
    pub(crate) mount_from: Option<Repository>,
}

pub(crate) enum Data {
    File(PathBuf),
    Bytes(Bytes),
    Reader(Arc<Mutex<Option<ReaderBody>>>),
}

type ReaderBody = Pin<Box<dyn AsyncRead + Send + Sync>>;

impl std::fmt::Debug for BlobSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let from = match &self.data {
            Data::File(p) => format!("file {}", p.display()),
            Data::Bytes(_) => "memory".to_owned(),
            Data::Reader(_) => "reader".to_owned(),
        };
        f.debug_struct("BlobSource")
            .field("digest", &self.digest)
            .field("size", &self.size)
            .field("from", &from)
            .field("mount_from", &self.mount_from)
            .finish()
    }
}

impl BlobSource {
    /// A file whose digest and size are known (from a layer writer's [`consign_core::Written`]
    /// or a descriptor). The registry checks the digest when the upload completes.
    pub fn file(path: impl Into<PathBuf>, digest: Digest, size: u64) -> BlobSource {
        BlobSource {
            digest,
            size,
            data: Data::File(path.into()),
            mount_from: None,
        }
    }

    /// A file, hashed (SHA-256) now to learn its digest and size.
    pub fn file_hashed(path: impl AsRef<Path>) -> Result<BlobSource, Error> {
        let path = path.as_ref();
        let written =
            consign_core::hash_file(path, &[Algorithm::Sha256]).map_err(|e| RegistryError::Io {
                op: "hash",
                path: path.to_owned(),
                source: e.source,
            })?;
        let digest = *written.sha256().ok_or_else(|| RegistryError::Io {
            op: "hash",
            path: path.to_owned(),
            source: std::io::Error::other("no SHA-256 computed"),
        })?;
        Ok(BlobSource::file(path, digest, written.size))
    }

    /// Bytes in memory (configs, small blobs).
    pub fn bytes(bytes: impl Into<Bytes>) -> BlobSource {
        let bytes = bytes.into();
        BlobSource {
            digest: Digest::of(Algorithm::Sha256, &bytes),
            size: bytes.len() as u64,
            data: Data::Bytes(bytes),
            mount_from: None,
        }
    }

    /// An async reader yielding exactly `size` bytes hashing to `digest`; sent once.
    pub fn reader(
        reader: impl AsyncRead + Send + Sync + 'static,
        digest: Digest,
        size: u64,
    ) -> BlobSource {
        BlobSource {
            digest,
            size,
            data: Data::Reader(Arc::new(Mutex::new(Some(Box::pin(reader))))),
            mount_from: None,
        }
    }

    /// A blocking reader (read on a blocking thread) yielding exactly `size` bytes hashing to
    /// `digest`; sent once.
    pub fn sync_reader(
        reader: impl Read + Send + 'static,
        digest: Digest,
        size: u64,
    ) -> BlobSource {
        let (tx, rx) = tokio::sync::mpsc::channel::<std::io::Result<Bytes>>(4);
        let pump = move || {
            let mut reader = reader;
            loop {
                let mut buf = vec![0u8; READ_BUF];
                let item = match reader.read(&mut buf) {
                    Ok(0) => return,
                    Ok(n) => {
                        buf.truncate(n);
                        Ok(Bytes::from(buf))
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                    Err(e) => Err(e),
                };
                let stop = item.is_err();
                if tx.blocking_send(item).is_err() || stop {
                    return;
                }
            }
        };
        // The blocking thread starts with the first read, inside the runtime.
        let stream = futures_util::stream::unfold((rx, Some(pump)), |(mut rx, pump)| async {
            if let Some(pump) = pump {
                tokio::task::spawn_blocking(pump);
            }
            let item = rx.recv().await?;
            Some((item, (rx, None)))
        });
        let reader = tokio_util::io::StreamReader::new(stream);
        BlobSource::reader(
            SyncStream(std::sync::Mutex::new(Box::pin(reader))),
            digest,
            size,
        )
    }

    /// Mount the blob from `repository` on the same registry when the target lacks it,
    /// instead of uploading it (falls back to an upload when the registry cannot mount).
    #[must_use]
    pub fn mount_from(mut self, repository: Repository) -> BlobSource {
        self.mount_from = Some(repository);
        self
    }

    /// The blob's digest.
    pub fn digest(&self) -> &Digest {
        &self.digest
    }

    /// The blob's size.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Whether the bytes can be read again (files and memory).
    pub(crate) fn rereadable(&self) -> bool {
        !matches!(self.data, Data::Reader(_))
    }

    /// A request body for bytes `offset..offset + len`, counting what is sent into `sent`.
    pub(crate) async fn body(
        &self,
        offset: u64,
        len: u64,
        sent: Arc<AtomicU64>,
        monitor: Monitor,
    ) -> Result<reqwest::Body, RegistryError> {
        let inner: BoxBody<Bytes, std::io::Error> = match &self.data {
            Data::Bytes(b) => {
                let start = usize::try_from(offset).unwrap_or(usize::MAX).min(b.len());
                let end = usize::try_from(offset.saturating_add(len))
                    .unwrap_or(usize::MAX)
                    .min(b.len());
                http_body_util::Full::new(b.slice(start..end))
                    .map_err(|never| match never {})
                    .boxed()
            }
            Data::File(path) => {
                let io = |op, source| RegistryError::Io {
                    op,
                    path: path.clone(),
                    source,
                };
                let mut file = tokio::fs::File::open(path)
                    .await
                    .map_err(|e| io("open", e))?;
                file.seek(SeekFrom::Start(offset))
                    .await
                    .map_err(|e| io("seek", e))?;
                stream_body(file.take(len))
            }
            Data::Reader(slot) => {
                let reader =
                    slot.lock()
                        .await
                        .take()
                        .ok_or_else(|| RegistryError::NotRetryable {
                            what: format!("blob {}", self.digest),
                            last: "the reader was already consumed by an earlier attempt"
                                .to_owned(),
                        })?;
                stream_body(reader.take(len))
            }
        };
        Ok(reqwest::Body::wrap(Counted {
            inner,
            remaining: len,
            sent,
            monitor,
        }))
    }
}

fn stream_body(reader: impl AsyncRead + Send + Sync + 'static) -> BoxBody<Bytes, std::io::Error> {
    let stream = tokio_util::io::ReaderStream::with_capacity(reader, READ_BUF);
    http_body_util::StreamBody::new(stream.map_ok(Frame::data)).boxed()
}

/// Makes a `Send` reader `Sync` (the request body must be), locking around each read.
struct SyncStream(std::sync::Mutex<Pin<Box<dyn AsyncRead + Send>>>);

impl AsyncRead for SyncStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let mut inner = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        inner.as_mut().poll_read(cx, buf)
    }
}

/// A body of exactly `remaining` bytes (so the request carries `Content-Length`), counting
/// what it yields and reporting it to the monitor. A source shorter than announced, or an
/// interrupted monitor, ends the body with an error.
struct Counted {
    inner: BoxBody<Bytes, std::io::Error>,
    remaining: u64,
    sent: Arc<AtomicU64>,
    monitor: Monitor,
}

impl Body for Counted {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, std::io::Error>>> {
        if let Err(stop) = self.monitor.check() {
            return Poll::Ready(Some(Err(stop.into())));
        }
        let polled = Pin::new(&mut self.inner).poll_frame(cx);
        match polled {
            Poll::Ready(Some(Ok(frame))) => {
                if let Some(data) = frame.data_ref() {
                    let n = data.len() as u64;
                    self.remaining = self.remaining.saturating_sub(n);
                    self.sent.fetch_add(n, Ordering::Relaxed);
                    self.monitor.advance(n);
                }
                Poll::Ready(Some(Ok(frame)))
            }
            Poll::Ready(None) if self.remaining > 0 => Poll::Ready(Some(Err(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                format!("the blob source ended {} bytes early", self.remaining),
            )))),
            other => other,
        }
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.remaining)
    }

    fn is_end_stream(&self) -> bool {
        self.remaining == 0 && self.inner.is_end_stream()
    }
}
