//! [`Client`] and [`ClientOptions`]: one registry, its authentication, and the request loop
//! with retries.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use consign_core::Monitor;
use futures_util::StreamExt;
use reqwest::header::{AUTHORIZATION, HeaderMap, HeaderValue, RETRY_AFTER, WWW_AUTHENTICATE};
use reqwest::{RequestBuilder, Response, StatusCode, Url};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;

use super::auth::{AuthState, TokenAnswer, basic_header};
use super::code::{RegistryMessage, parse_messages};
use super::header::{Challenge, RetryAfter};
use super::limits::{MAX_TOKEN_BODY, no_downgrade, read_capped, same_origin};
use super::retry::{RetryPolicy, status_is_transient};
use super::{Credentials, RegistryError};
use crate::{Error, Reference, Repository, registry_is_loopback};

/// How a [`Client`] talks to its registry. Every field has a default.
///
/// ```
/// use std::time::Duration;
/// use consign_oci::registry::{ClientOptions, Credentials, RetryPolicy};
///
/// let options = ClientOptions::default()
///     .plain_http(true) // only honoured for loopback registries
///     .chunk_size(8 << 20)
///     .parallelism(4)
///     .credentials(Credentials::basic("ci", "token"))
///     .retry(RetryPolicy::default().deadline(Duration::from_secs(30)));
/// assert_eq!(options.chunk_size_bytes(), 8 << 20);
/// ```
///
/// HTTPS trusts the system's certificate store plus any roots added here, with the crypto
/// provider given (rustls' ring provider by default). Nothing is installed process-wide: two
/// clients in one program can use different providers and roots.
///
/// ```
/// use consign_oci::registry::{ClientOptions, rustls};
///
/// # fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let ca_pem = std::fs::read("private-ca.pem")?;
/// let options = ClientOptions::default()
///     .root_certificates_pem(&ca_pem)?
///     .tls_provider(std::sync::Arc::new(rustls::crypto::ring::default_provider()));
/// # let _ = options;
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct ClientOptions {
    pub(crate) plain_http: bool,
    pub(crate) chunk_size: u64,
    pub(crate) monolithic_max: u64,
    pub(crate) parallelism: usize,
    pub(crate) retry: RetryPolicy,
    pub(crate) user_agent: String,
    pub(crate) credentials: Option<Credentials>,
    pub(crate) read_timeout: Duration,
    pub(crate) page_size: u32,
    pub(crate) tls_provider: Option<Arc<CryptoProvider>>,
    pub(crate) extra_roots: Vec<CertificateDer<'static>>,
    pub(crate) http_client: Option<reqwest::Client>,
    pub(crate) monitor: Monitor,
}

impl Default for ClientOptions {
    /// HTTPS, 64 MiB chunks (blobs up to 64 MiB in one request), 4 blobs at a time, the
    /// default [`RetryPolicy`], credentials from the Docker config, a 60 s read timeout, tag
    /// pages of 1000.
    fn default() -> ClientOptions {
        ClientOptions {
            plain_http: false,
            chunk_size: 64 << 20,
            monolithic_max: 64 << 20,
            parallelism: 4,
            retry: RetryPolicy::default(),
            user_agent: concat!("consign/", env!("CARGO_PKG_VERSION")).to_owned(),
            credentials: None,
            read_timeout: Duration::from_secs(60),
            page_size: 1000,
            tls_provider: None,
            extra_roots: Vec::new(),
            http_client: None,
            monitor: Monitor::default(),
        }
    }
}

impl ClientOptions {
    /// Talk plain HTTP. Refused by [`Client::new`] (with [`RegistryError::PlainHttpRefused`])
    /// unless the registry is a loopback address.
    #[must_use]
    pub fn plain_http(mut self, on: bool) -> ClientOptions {
        self.plain_http = on;
        self
    }

    /// The size of each `PATCH` of a chunked upload (at least 1 KiB). Blobs no larger than
    /// one chunk go in one `PUT`; see also [`ClientOptions::monolithic_max`].
    #[must_use]
    pub fn chunk_size(mut self, bytes: u64) -> ClientOptions {
        self.chunk_size = bytes.max(1024);
        self.monolithic_max = self.monolithic_max.min(self.chunk_size);
        self
    }

    /// Blobs up to this size are sent in one `PUT` instead of chunks (0: always chunked).
    #[must_use]
    pub fn monolithic_max(mut self, bytes: u64) -> ClientOptions {
        self.monolithic_max = bytes;
        self
    }

    /// How many blobs [`Client::push_blobs`] sends at once (at least 1).
    #[must_use]
    pub fn parallelism(mut self, blobs: usize) -> ClientOptions {
        self.parallelism = blobs.max(1);
        self
    }

    /// The retry policy.
    #[must_use]
    pub fn retry(mut self, policy: RetryPolicy) -> ClientOptions {
        self.retry = policy;
        self
    }

    /// The `User-Agent` header.
    #[must_use]
    pub fn user_agent(mut self, agent: impl Into<String>) -> ClientOptions {
        self.user_agent = agent.into();
        self
    }

    /// Explicit credentials instead of the Docker config's.
    #[must_use]
    pub fn credentials(mut self, credentials: Credentials) -> ClientOptions {
        self.credentials = Some(credentials);
        self
    }

    /// How long a read from the registry may stall before the request counts as dropped.
    #[must_use]
    pub fn read_timeout(mut self, timeout: Duration) -> ClientOptions {
        self.read_timeout = timeout;
        self
    }

    /// How many entries to ask for per page of a listing (tags), at least 1.
    #[must_use]
    pub fn page_size(mut self, entries: u32) -> ClientOptions {
        self.page_size = entries.max(1);
        self
    }

    /// The rustls crypto provider for HTTPS (default: ring). It is used by this client only;
    /// the process-wide default provider is neither read nor installed.
    #[must_use]
    pub fn tls_provider(mut self, provider: Arc<CryptoProvider>) -> ClientOptions {
        self.tls_provider = Some(provider);
        self
    }

    /// Trusts `certificate` (DER) as a root for HTTPS, besides the system's store: a private
    /// registry's CA.
    #[must_use]
    pub fn root_certificate(mut self, certificate: CertificateDer<'static>) -> ClientOptions {
        self.extra_roots.push(certificate);
        self
    }

    /// Trusts every `CERTIFICATE` block of a PEM bundle as a root, besides the system's store.
    /// A bundle with no certificate, or one that does not parse, is an error.
    pub fn root_certificates_pem(mut self, pem: &[u8]) -> Result<ClientOptions, Error> {
        let before = self.extra_roots.len();
        for cert in CertificateDer::pem_slice_iter(pem) {
            let cert = cert.map_err(|e| RegistryError::Tls {
                detail: format!("cannot read a root certificate from the PEM bundle: {e}"),
            })?;
            self.extra_roots.push(cert);
        }
        if self.extra_roots.len() == before {
            return Err(RegistryError::Tls {
                detail: "the PEM bundle holds no CERTIFICATE block".to_owned(),
            }
            .into());
        }
        Ok(self)
    }

    /// Sends every request through `client`, configured by the caller (proxies, TLS, client
    /// certificates). The TLS settings of these options (provider, roots) are then unused, and
    /// so are the user agent, timeouts and redirect policy, which belong to `client`: give it
    /// one that never follows a redirect from HTTPS to HTTP (the client's own does not).
    #[must_use]
    pub fn http_client(mut self, client: reqwest::Client) -> ClientOptions {
        self.http_client = Some(client);
        self
    }

    /// Reports the blob bytes sent and received to `monitor`, and stops every request of the
    /// client once its interrupt flag is set ([`RegistryError::Interrupted`]). Operations on
    /// several blobs ([`crate::ops`]) begin and end one task each on it.
    #[must_use]
    pub fn monitor(mut self, monitor: Monitor) -> ClientOptions {
        self.monitor = monitor;
        self
    }

    /// The chunk size in bytes.
    pub fn chunk_size_bytes(&self) -> u64 {
        self.chunk_size
    }
}

/// What a client has sent, counted as it went (retried bytes count again).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct TransferStats {
    /// Blob bytes sent in request bodies.
    pub blob_bytes_sent: u64,
    /// Blobs uploaded.
    pub blobs_uploaded: u64,
    /// Blobs skipped because the registry had them.
    pub blobs_skipped: u64,
    /// Blobs mounted from another repository.
    pub blobs_mounted: u64,
    /// Requests sent again after a failure.
    pub retries: u64,
    /// Chunked uploads continued from the registry's reported range.
    pub resumes: u64,
    /// Uploads started over because the registry dropped the upload session.
    pub restarts: u64,
}

#[derive(Default)]
pub(crate) struct Counters {
    pub(crate) blob_bytes_sent: Arc<AtomicU64>,
    pub(crate) blobs_uploaded: AtomicU64,
    pub(crate) blobs_skipped: AtomicU64,
    pub(crate) blobs_mounted: AtomicU64,
    pub(crate) retries: AtomicU64,
    pub(crate) resumes: AtomicU64,
    pub(crate) restarts: AtomicU64,
}

impl Counters {
    pub(crate) fn bump(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }
}

/// An async client for one registry (`host[:port]`), cheap to clone (clones share the
/// connection pool, tokens and statistics).
///
/// ```no_run
/// use consign_oci::registry::{BlobSource, Client, ClientOptions};
/// use consign_oci::{MediaType, Reference};
///
/// # async fn push() -> Result<(), Box<dyn std::error::Error>> {
/// let image: Reference = "127.0.0.1:5000/acme/tool:1.0".parse()?;
/// let client = Client::for_reference(&image, ClientOptions::default().plain_http(true))?;
/// let config = BlobSource::bytes(b"{}".to_vec());
/// client.push_blob(image.repository(), config).await?;
/// # let manifest: Vec<u8> = Vec::new();
/// let digest = client
///     .push_manifest(&image, &manifest, &MediaType::ImageManifest)
///     .await?;
/// println!("pushed {digest}");
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Client {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub(crate) http: reqwest::Client,
    pub(crate) registry: String,
    pub(crate) base: Url,
    pub(crate) options: ClientOptions,
    pub(crate) credentials: Credentials,
    pub(crate) auth: Mutex<AuthState>,
    pub(crate) counters: Counters,
}

/// The rustls configuration of a client: the options' provider (ring by default), the
/// system's roots plus the options' extra roots, HTTP/2 and HTTP/1.1 offered by ALPN.
pub(crate) fn tls_config(options: &ClientOptions) -> Result<rustls::ClientConfig, RegistryError> {
    let provider = options
        .tls_provider
        .clone()
        .unwrap_or_else(|| Arc::new(rustls::crypto::ring::default_provider()));
    let tls = |detail: String| RegistryError::Tls { detail };
    let verifier = if options.extra_roots.is_empty() {
        rustls_platform_verifier::Verifier::new(provider.clone())
    } else {
        rustls_platform_verifier::Verifier::new_with_extra_roots(
            options.extra_roots.iter().cloned(),
            provider.clone(),
        )
    }
    .map_err(|e| tls(format!("cannot load the trusted roots: {e}")))?;
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| tls(format!("the crypto provider cannot do TLS 1.2 or 1.3: {e}")))?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(verifier))
        .with_no_client_auth();
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(config)
}

/// The repositories and actions a request needs a token for.
#[derive(Clone, Debug)]
pub(crate) struct Scope(Vec<String>);

impl Scope {
    pub(crate) fn pull(repo: &Repository) -> Scope {
        Scope(vec![format!("repository:{repo}:pull")])
    }

    pub(crate) fn push(repo: &Repository) -> Scope {
        Scope(vec![format!("repository:{repo}:pull,push")])
    }

    pub(crate) fn and_pull(mut self, repo: &Repository) -> Scope {
        self.0.push(format!("repository:{repo}:pull"));
        self
    }

    fn key(&self) -> String {
        self.0.join(" ")
    }
}

/// One request's retry bookkeeping.
pub(crate) struct Attempts {
    start: Instant,
    pub(crate) sent: u32,
    retries: u32,
}

impl Attempts {
    pub(crate) fn new() -> Attempts {
        Attempts {
            start: Instant::now(),
            sent: 0,
            retries: 0,
        }
    }

    /// Starts counting afresh: the request made progress (a chunk was accepted), so the
    /// deadline and the attempt budget apply to what follows.
    pub(crate) fn progressed(&mut self) {
        *self = Attempts::new();
    }

    /// Waits before the next retry, or gives up naming `what` and the last failure.
    pub(crate) async fn backoff(
        &mut self,
        client: &Client,
        what: &str,
        last: String,
        retry_after: Option<Duration>,
    ) -> Result<(), RegistryError> {
        let policy = &client.inner.options.retry;
        let delay = policy.delay(self.retries, retry_after);
        let elapsed = self.start.elapsed();
        client.inner.options.monitor.check()?;
        if self.sent >= policy.max_attempts || elapsed.saturating_add(delay) > policy.deadline {
            return Err(RegistryError::GaveUp {
                what: what.to_owned(),
                attempts: self.sent,
                elapsed,
                last,
            });
        }
        tokio::time::sleep(delay).await;
        self.retries += 1;
        Counters::bump(&client.inner.counters.retries);
        Ok(())
    }
}

/// The result of one attempt: a response to act on, or a failure worth retrying.
pub(crate) enum Outcome {
    Answer(Response),
    Transient {
        last: String,
        retry_after: Option<Duration>,
    },
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("registry", &self.registry())
            .finish_non_exhaustive()
    }
}

impl Client {
    /// A client for the registry of `reference`.
    pub fn for_reference(reference: &Reference, options: ClientOptions) -> Result<Client, Error> {
        Client::new(reference.registry(), options)
    }

    /// A client for `registry` (`host[:port]`, as in a reference). Credentials come from the
    /// options, else from the Docker config (see [`Credentials::from_docker_config`]).
    pub fn new(registry: &str, options: ClientOptions) -> Result<Client, Error> {
        let loopback = registry_is_loopback(registry);
        if options.plain_http && !loopback {
            return Err(RegistryError::PlainHttpRefused {
                registry: registry.to_owned(),
            }
            .into());
        }
        let what = format!("client for {registry}");
        let http = match &options.http_client {
            Some(http) => http.clone(),
            None => {
                let mut builder = reqwest::Client::builder()
                    .user_agent(options.user_agent.clone())
                    .read_timeout(options.read_timeout)
                    .connect_timeout(Duration::from_secs(30))
                    .redirect(super::limits::redirect_policy())
                    .tls_backend_preconfigured(tls_config(&options)?);
                if loopback {
                    builder = builder.no_proxy();
                }
                builder.build().map_err(|source| RegistryError::Transport {
                    what: what.clone(),
                    source,
                })?
            }
        };
        let scheme = if options.plain_http { "http" } else { "https" };
        let api_host = if registry == crate::DOCKER_HUB {
            "registry-1.docker.io"
        } else {
            registry
        };
        let base = Url::parse(&format!("{scheme}://{api_host}/v2/")).map_err(|e| {
            RegistryError::Protocol {
                what,
                detail: format!("registry name {registry:?} does not make a URL: {e}"),
            }
        })?;
        let credentials = match &options.credentials {
            Some(c) => c.clone(),
            None => Credentials::from_docker_config(registry)?,
        };
        Ok(Client {
            inner: Arc::new(Inner {
                http,
                registry: registry.to_owned(),
                base,
                options,
                credentials,
                auth: Mutex::new(AuthState::default()),
                counters: Counters::default(),
            }),
        })
    }

    /// The registry host.
    pub fn registry(&self) -> &str {
        &self.inner.registry
    }

    /// What this client has sent so far.
    pub fn stats(&self) -> TransferStats {
        let c = &self.inner.counters;
        let get = |a: &AtomicU64| a.load(Ordering::Relaxed);
        TransferStats {
            blob_bytes_sent: get(&c.blob_bytes_sent),
            blobs_uploaded: get(&c.blobs_uploaded),
            blobs_skipped: get(&c.blobs_skipped),
            blobs_mounted: get(&c.blobs_mounted),
            retries: get(&c.retries),
            resumes: get(&c.resumes),
            restarts: get(&c.restarts),
        }
    }

    /// `<base>/v2/<repo>/<path>`.
    pub(crate) fn url(&self, repo: &Repository, path: &str) -> Result<Url, RegistryError> {
        self.inner
            .base
            .join(&format!("{repo}/{path}"))
            .map_err(|e| RegistryError::Protocol {
                what: format!("{repo}/{path}"),
                detail: format!("cannot make a URL: {e}"),
            })
    }

    /// Resolves a `Location` header (absolute or relative to the registry).
    pub(crate) fn location(&self, what: &str, headers: &HeaderMap) -> Result<Url, RegistryError> {
        let value = headers
            .get(reqwest::header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .ok_or_else(|| RegistryError::Protocol {
                what: what.to_owned(),
                detail: "no Location header in an upload answer".to_owned(),
            })?;
        let next = self
            .inner
            .base
            .join(value)
            .map_err(|e| RegistryError::Protocol {
                what: what.to_owned(),
                detail: format!("bad Location {value:?}: {e}"),
            })?;
        no_downgrade(&self.inner.base, &next, what)?;
        Ok(next)
    }

    /// Sends requests made by `make` until one gets an answer that is not transient (returned
    /// whatever its status), retrying per the policy.
    pub(crate) async fn send(
        &self,
        what: &str,
        scope: &Scope,
        make: &mut (dyn FnMut() -> Result<RequestBuilder, RegistryError> + Send),
    ) -> Result<Response, RegistryError> {
        let mut attempts = Attempts::new();
        loop {
            self.inner.options.monitor.check()?;
            match self.send_once(what, scope, make, &mut attempts).await? {
                Outcome::Answer(response) => return Ok(response),
                Outcome::Transient { last, retry_after } => {
                    attempts.backoff(self, what, last, retry_after).await?;
                }
            }
        }
    }

    /// One attempt (two when the registry asks for authentication first).
    pub(crate) async fn send_once(
        &self,
        what: &str,
        scope: &Scope,
        make: &mut (dyn FnMut() -> Result<RequestBuilder, RegistryError> + Send),
        attempts: &mut Attempts,
    ) -> Result<Outcome, RegistryError> {
        let mut authenticated = false;
        loop {
            let mut request = make()?.build().map_err(|e| RegistryError::Transport {
                what: what.to_owned(),
                source: e,
            })?;
            // Credentials go only to the registry's own origin: an upload location or a
            // page link on another host (a CDN, or a hostile redirect) gets none.
            let own_origin = same_origin(request.url(), &self.inner.base);
            if own_origin && let Some(header) = self.authorization(scope).await? {
                let mut value = HeaderValue::try_from(header).map_err(|e| RegistryError::Auth {
                    registry: self.inner.registry.clone(),
                    detail: format!("the credentials cannot be sent in a header: {e}"),
                })?;
                value.set_sensitive(true);
                request.headers_mut().insert(AUTHORIZATION, value);
            }
            attempts.sent += 1;
            let response = match self.inner.http.execute(request).await {
                Ok(r) => r,
                Err(e) if e.is_builder() => {
                    return Err(RegistryError::Transport {
                        what: what.to_owned(),
                        source: e,
                    });
                }
                Err(e) => {
                    return Ok(Outcome::Transient {
                        last: error_chain(&e),
                        retry_after: None,
                    });
                }
            };
            let status = response.status();
            if status == StatusCode::UNAUTHORIZED && !authenticated && own_origin {
                authenticated = true;
                self.answer_challenge(what, scope, response.headers())
                    .await?;
                continue;
            }
            if status_is_transient(status.as_u16()) {
                let retry_after = response
                    .headers()
                    .get(RETRY_AFTER)
                    .and_then(|v| v.to_str().ok())
                    .and_then(RetryAfter::parse)
                    .map(|r| r.wait(SystemTime::now()));
                let messages = error_messages(response).await;
                let last = if messages.is_empty() {
                    format!("HTTP {status}")
                } else {
                    let text: Vec<String> = messages.iter().map(ToString::to_string).collect();
                    format!("HTTP {status} ({})", text.join("; "))
                };
                return Ok(Outcome::Transient { last, retry_after });
            }
            return Ok(Outcome::Answer(response));
        }
    }

    /// The `Authorization` header for `scope`, when the registry's scheme is known.
    async fn authorization(&self, scope: &Scope) -> Result<Option<String>, RegistryError> {
        let (challenge, token) = {
            let state = self.lock_auth();
            (state.challenge.clone(), state.token(&scope.key()))
        };
        match (challenge, &self.inner.credentials) {
            (Some(Challenge::Basic { .. }), Credentials::Basic { username, password }) => {
                Ok(Some(basic_header(username, password)))
            }
            (Some(Challenge::Bearer { .. }), _) => match token {
                Some(t) => Ok(Some(format!("Bearer {t}"))),
                None => Ok(self
                    .fetch_token(scope)
                    .await?
                    .map(|t| format!("Bearer {t}"))),
            },
            _ => Ok(None),
        }
    }

    fn lock_auth(&self) -> std::sync::MutexGuard<'_, AuthState> {
        // A panic while holding the lock leaves only a cache behind: keep using it.
        self.inner
            .auth
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Records the registry's challenge after a 401, fetching a token for bearer.
    async fn answer_challenge(
        &self,
        what: &str,
        scope: &Scope,
        headers: &HeaderMap,
    ) -> Result<(), RegistryError> {
        let registry = self.inner.registry.clone();
        let header = headers
            .get(WWW_AUTHENTICATE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        let challenge = Challenge::parse(header).ok_or_else(|| RegistryError::Auth {
            registry: registry.clone(),
            detail: format!("{what}: 401 with an unusable WWW-Authenticate {header:?}"),
        })?;
        // A second 401 to the same request is returned to the caller (send_once answers
        // one challenge per attempt), so a refused password ends as a 401 status error.
        self.lock_auth().challenge = Some(challenge.clone());
        match challenge {
            Challenge::Basic { .. } => {
                if matches!(self.inner.credentials, Credentials::Anonymous) {
                    return Err(RegistryError::Auth {
                        registry,
                        detail: format!(
                            "{what}: the registry wants a user name and password; pass \
                             credentials in ClientOptions or `docker login {}`",
                            self.inner.registry
                        ),
                    });
                }
                Ok(())
            }
            Challenge::Bearer { .. } => {
                // A cached token was refused (expired or too narrow): drop it and ask again.
                self.lock_auth().tokens.remove(&scope.key());
                self.fetch_token(scope).await.map(|_| ())
            }
        }
    }

    /// Fetches (and caches) a bearer token for `scope` from the challenge's realm.
    async fn fetch_token(&self, scope: &Scope) -> Result<Option<String>, RegistryError> {
        let registry = self.inner.registry.clone();
        let Some(Challenge::Bearer { realm, service, .. }) = self.lock_auth().challenge.clone()
        else {
            return Ok(None);
        };
        let auth_error = |detail: String| RegistryError::Auth {
            registry: registry.clone(),
            detail,
        };
        let mut url = Url::parse(&realm)
            .map_err(|e| auth_error(format!("the token realm {realm:?} is not a URL: {e}")))?;
        let realm_host = url.host_str().unwrap_or("");
        if url.scheme() != "https" && !registry_is_loopback(realm_host) {
            return Err(auth_error(format!(
                "the token realm {realm} is plain HTTP on a non-loopback host; refusing to \
                 send credentials there"
            )));
        }
        {
            let mut query = url.query_pairs_mut();
            if let Some(service) = &service {
                query.append_pair("service", service);
            }
            for s in &scope.0 {
                query.append_pair("scope", s);
            }
        }
        let mut request = self.inner.http.get(url);
        if let Credentials::Basic { username, password } = &self.inner.credentials {
            request = request.header(AUTHORIZATION, basic_header(username, password));
        }
        let response = request
            .send()
            .await
            .map_err(|e| auth_error(format!("token service {realm}: {}", error_chain(&e))))?;
        let status = response.status();
        if !status.is_success() {
            let hint = if status == StatusCode::UNAUTHORIZED {
                "; check the user name and password"
            } else {
                ""
            };
            return Err(auth_error(format!(
                "token service {realm} answered {status}{hint}"
            )));
        }
        let body = read_capped(response, MAX_TOKEN_BODY, &format!("token service {realm}"))
            .await
            .map_err(|e| auth_error(e.to_string()))?;
        let answer: TokenAnswer = serde_json::from_slice(&body)
            .map_err(|e| auth_error(format!("token service {realm}: unreadable answer: {e}")))?;
        let (token, lifetime) = answer
            .into_token()
            .ok_or_else(|| auth_error(format!("token service {realm} returned no token")))?;
        self.lock_auth().tokens.insert(
            scope.key(),
            (token.clone(), Instant::now() + lifetime.min(MAX_TOKEN_LIFE)),
        );
        Ok(Some(token))
    }

    /// Turns a final non-success answer into [`RegistryError::Status`].
    pub(crate) async fn status_error(
        what: &str,
        response: Response,
        hint: &'static str,
    ) -> RegistryError {
        let status = response.status().as_u16();
        let errors = error_messages(response).await;
        RegistryError::Status {
            what: what.to_owned(),
            status,
            errors,
            hint,
        }
    }
}

/// The error text and its sources (`error sending request: connection reset by peer`).
pub(crate) fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let more = s.to_string();
        if !text.contains(&more) {
            text.push_str(": ");
            text.push_str(&more);
        }
        source = s.source();
    }
    text
}

/// The longest a token is cached, whatever the token service says (its `expires_in` may be
/// any number).
const MAX_TOKEN_LIFE: Duration = Duration::from_secs(24 * 60 * 60);

/// The most of an error body that is read: the specification's JSON is small, and an
/// endless or huge body must not fill memory.
const MAX_ERROR_BODY: usize = 64 << 10;

/// The registry's `{"errors":[…]}` entries (at most [`MAX_ERROR_BODY`] bytes are read; a
/// body that is not the specification's JSON gives none).
pub(crate) async fn error_messages(response: Response) -> Vec<RegistryMessage> {
    if response
        .content_length()
        .is_some_and(|n| n > MAX_ERROR_BODY as u64)
    {
        return Vec::new();
    }
    let mut body = Vec::new();
    let mut stream = response.bytes_stream();
    while let Some(Ok(piece)) = stream.next().await {
        let room = MAX_ERROR_BODY - body.len();
        if piece.len() > room {
            // Cut: not the specification's (small) JSON.
            return Vec::new();
        }
        body.extend_from_slice(&piece);
    }
    parse_messages(&body)
}
