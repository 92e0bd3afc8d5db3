//! A hostile registry, mocked on loopback: it sends uploads to another origin, answers with
//! numbers that overflow clocks, bodies that never end, upload ranges that never advance and
//! tag pages that link back to themselves. The client keeps credentials at their origin,
//! never panics, reads bounded bodies and ends every loop with a typed error.

// Test code: an unwrap that fails is a failing test.
#![allow(clippy::unwrap_used)]

mod common;
#[path = "registry/support.rs"]
mod support;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use consign::oci::registry::{
    BlobSource, Client, ClientOptions, Credentials, RegistryError, RetryPolicy,
};
use consign::oci::{Error, Reference, Repository};
use tokio::io::{AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

/// A request as the mock saw it: method, path and query, headers (names lowercased).
#[derive(Clone, Debug)]
struct Seen {
    method: String,
    target: String,
    headers: Vec<(String, String)>,
}

impl Seen {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// What the mock answers.
enum Reply {
    /// A status line's code and reason, headers, and a body sent with its length.
    Full(&'static str, Vec<(String, String)>, Vec<u8>),
    /// `200 OK`, chunked, a body of `x` that stops only after 256 MiB.
    Endless,
}

fn reply(status: &'static str, headers: &[(&str, String)], body: &[u8]) -> Reply {
    let headers = headers
        .iter()
        .map(|(n, v)| ((*n).to_owned(), v.clone()))
        .collect();
    Reply::Full(status, headers, body.to_vec())
}

type Handler = dyn Fn(&Seen) -> Reply + Send + Sync;

/// A server on 127.0.0.1 answering with `handler`; its `host:port`, what it saw, and how
/// many body bytes it sent.
async fn serve(handler: Arc<Handler>) -> (String, Arc<Mutex<Vec<Seen>>>, Arc<AtomicU64>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let host = listener.local_addr().unwrap().to_string();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let sent = Arc::new(AtomicU64::new(0));
    let (log, counter) = (seen.clone(), sent.clone());
    tokio::spawn(async move {
        while let Ok((conn, _)) = listener.accept().await {
            let (handler, log, sent) = (handler.clone(), log.clone(), counter.clone());
            tokio::spawn(async move {
                let mut conn = BufReader::new(conn);
                let Some(head) = support::read_head(&mut conn).await else {
                    return;
                };
                let mut words = head[0].split_whitespace();
                let method = words.next().unwrap_or_default().to_owned();
                let target = words.next().unwrap_or_default().to_owned();
                let headers: Vec<(String, String)> = head[1..]
                    .iter()
                    .filter_map(|l| l.split_once(':'))
                    .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
                    .collect();
                let request = Seen {
                    method,
                    target,
                    headers,
                };
                let length: usize = request
                    .header("content-length")
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(0);
                let mut body = vec![0u8; length];
                if conn.read_exact(&mut body).await.is_err() {
                    return;
                }
                log.lock().unwrap().push(request.clone());
                let conn = conn.get_mut();
                match handler(&request) {
                    Reply::Full(status, headers, body) => {
                        let mut text = format!("HTTP/1.1 {status}\r\n");
                        for (n, v) in headers {
                            text.push_str(&format!("{n}: {v}\r\n"));
                        }
                        text.push_str(&format!(
                            "Content-Length: {}\r\nConnection: close\r\n\r\n",
                            body.len()
                        ));
                        let _ = conn.write_all(text.as_bytes()).await;
                        let _ = conn.write_all(&body).await;
                    }
                    Reply::Endless => {
                        let head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\
                                    Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n";
                        let _ = conn.write_all(head.as_bytes()).await;
                        support::write_endless_chunks(conn, &sent).await;
                    }
                }
            });
        }
    });
    (host, seen, sent)
}

fn client(host: &str, credentials: Credentials, retry: RetryPolicy) -> Client {
    let options = ClientOptions::default()
        .plain_http(true)
        .credentials(credentials)
        .monolithic_max(1 << 10)
        .chunk_size(1 << 10)
        .retry(retry);
    Client::new(host, options).unwrap()
}

fn quick_retries() -> RetryPolicy {
    RetryPolicy::default()
        .base_delay(Duration::from_millis(1))
        .max_delay(Duration::from_millis(5))
        .deadline(Duration::from_secs(5))
        .max_attempts(8)
}

fn repo() -> Repository {
    Repository::new("acme/tool").unwrap()
}

/// The registry: requires `challenge` (Basic or a Bearer token it serves at `/token`, with an
/// `expires_in` of u64::MAX), lacks every blob, and sends uploads to `elsewhere`.
fn redirecting_registry(challenge: &'static str, elsewhere: String) -> Arc<Handler> {
    Arc::new(move |req: &Seen| {
        if req.target.starts_with("/token") {
            return reply(
                "200 OK",
                &[("Content-Type", "application/json".into())],
                br#"{"token":"secret-token","expires_in":18446744073709551615}"#,
            );
        }
        if req.header("authorization").is_none() {
            let value = match challenge {
                "basic" => r#"Basic realm="mock""#.to_owned(),
                _ => format!(
                    r#"Bearer realm="http://{}/token",service="mock""#,
                    req_host(req)
                ),
            };
            return reply("401 Unauthorized", &[("WWW-Authenticate", value)], b"");
        }
        match req.method.as_str() {
            "HEAD" => reply("404 Not Found", &[], b""),
            "POST" => reply(
                "202 Accepted",
                &[("Location", format!("http://{elsewhere}/upload/1"))],
                b"",
            ),
            _ => reply("400 Bad Request", &[], b""),
        }
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn credentials_never_leave_their_origin() {
    // The other origin accepts whatever it is sent.
    let (elsewhere, other_seen, _) =
        serve(Arc::new(|_: &Seen| reply("201 Created", &[], b""))).await;
    for (challenge, credentials) in [
        ("basic", Credentials::basic("user", "password")),
        ("bearer", Credentials::Anonymous),
    ] {
        other_seen.lock().unwrap().clear();
        let (host, seen, _) = serve(redirecting_registry(challenge, elsewhere.clone())).await;
        let client = client(&host, credentials, quick_retries());
        client
            .push_blob(&repo(), BlobSource::bytes(b"hello".to_vec()))
            .await
            .unwrap();
        let ours = seen.lock().unwrap().clone();
        assert!(
            ours.iter().any(|r| r.header("authorization").is_some()),
            "{challenge}: the registry itself gets the credentials: {ours:?}"
        );
        let theirs = other_seen.lock().unwrap().clone();
        assert!(!theirs.is_empty(), "{challenge}: the upload went elsewhere");
        assert!(
            theirs.iter().all(|r| r.header("authorization").is_none()),
            "{challenge}: credentials reached another origin: {theirs:?}"
        );
    }
}

/// The `Host` a request was sent to.
fn req_host(req: &Seen) -> String {
    req.header("host").unwrap_or_default().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn overflowing_retry_after_gives_up_without_panicking() {
    let (host, seen, _) = serve(Arc::new(|_: &Seen| {
        reply(
            "503 Service Unavailable",
            &[("Retry-After", "18446744073709551615".into())],
            b"",
        )
    }))
    .await;
    let reference: Reference = format!("{host}/acme/tool:1.0").parse().unwrap();
    let start = Instant::now();
    let err = client(&host, Credentials::Anonymous, quick_retries())
        .pull_manifest(&reference)
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::Registry(RegistryError::GaveUp { .. })),
        "{err}"
    );
    assert!(start.elapsed() < Duration::from_secs(3), "{err}");
    assert_eq!(seen.lock().unwrap().len(), 1, "no sleep past the deadline");
}

/// A registry taking chunked uploads whose PATCH answers report `range`.
fn chunk_registry(range: &'static str) -> Arc<Handler> {
    Arc::new(move |req: &Seen| match req.method.as_str() {
        "HEAD" => reply("404 Not Found", &[], b""),
        "POST" | "PATCH" => reply(
            "202 Accepted",
            &[
                ("Location", "/v2/acme/tool/blobs/uploads/1".into()),
                ("Range", range.into()),
            ],
            b"",
        ),
        _ => reply("404 Not Found", &[], b""),
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uploads_whose_range_never_advances_or_overflows_end() {
    let blob = || BlobSource::bytes(vec![7u8; 10 << 10]);
    // `0-0` forever: each PATCH is a failed attempt, and attempts are bounded.
    let (host, seen, _) = serve(chunk_registry("0-0")).await;
    let start = Instant::now();
    let stuck = client(&host, Credentials::Anonymous, quick_retries());
    let repository = repo();
    let push = stuck.push_blob(&repository, blob());
    let err = tokio::time::timeout(Duration::from_secs(30), push)
        .await
        .expect("the upload loops")
        .unwrap_err();
    assert!(
        matches!(err, Error::Registry(RegistryError::GaveUp { .. })),
        "{err}"
    );
    let patches = seen
        .lock()
        .unwrap()
        .iter()
        .filter(|r| r.method == "PATCH")
        .count();
    assert!(patches <= 8, "{patches} PATCH requests");
    assert!(start.elapsed() < Duration::from_secs(5));

    // A range past what was sent (and past u64) is the registry breaking the protocol.
    let (host, _, _) = serve(chunk_registry("0-18446744073709551615")).await;
    let err = client(&host, Credentials::Anonymous, quick_retries())
        .push_blob(&repo(), blob())
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::Registry(RegistryError::Protocol { .. })),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn endless_bodies_are_cut_and_looping_pages_stop() {
    let (host, _, sent) = serve(Arc::new(|req: &Seen| {
        if req.target.contains("/tags/list") {
            let link = format!("<{}>; rel=\"next\"", req.target);
            return reply(
                "200 OK",
                &[("Content-Type", "application/json".into()), ("Link", link)],
                br#"{"name":"acme/tool","tags":["1.0"]}"#,
            );
        }
        Reply::Endless
    }))
    .await;
    let client = client(&host, Credentials::Anonymous, quick_retries());

    // A manifest with no length that never ends: refused at the specification's 4 MiB.
    let reference: Reference = format!("{host}/acme/tool:1.0").parse().unwrap();
    let err = client.pull_manifest(&reference).await.unwrap_err();
    assert!(
        matches!(err, Error::Registry(RegistryError::Protocol { .. })),
        "{err}"
    );
    assert!(err.to_string().contains("larger than"), "{err}");
    // Referrers likewise.
    let subject = consign::core::Digest::of(consign::core::Algorithm::Sha256, b"x");
    let err = client.referrers(&repo(), &subject, None).await.unwrap_err();
    assert!(err.to_string().contains("larger than"), "{err}");
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(
        sent.load(Ordering::Relaxed) < 64 << 20,
        "read {} bytes",
        sent.load(Ordering::Relaxed)
    );

    // A tag list whose next page is itself.
    let err = client.list_tags(&repo()).await.unwrap_err();
    assert!(err.to_string().contains("links back"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_endless_token_answer_is_an_auth_error() {
    let (host, _, _) = serve(Arc::new(|req: &Seen| {
        if req.target.starts_with("/token") {
            return Reply::Endless;
        }
        let realm = format!(
            r#"Bearer realm="http://{}/token",service="mock""#,
            req_host(req)
        );
        reply("401 Unauthorized", &[("WWW-Authenticate", realm)], b"")
    }))
    .await;
    let reference: Reference = format!("{host}/acme/tool:1.0").parse().unwrap();
    let err = client(&host, Credentials::Anonymous, quick_retries())
        .pull_manifest(&reference)
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::Registry(RegistryError::Auth { .. })),
        "{err}"
    );
    assert!(err.to_string().contains("larger than"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_attachment_manifest_with_too_many_layers_is_refused_before_any_pull() {
    use consign::oci::attach::Kind;
    use consign::oci::{Descriptor, Manifest, MediaType};
    let config = Descriptor::of(MediaType::ImageConfig, b"{}");
    let mut manifest = Manifest::new(config);
    for i in 0..2000u32 {
        manifest = manifest.layer(Descriptor::of(
            MediaType::from("application/vnd.dev.cosign.simplesigning.v1+json"),
            &i.to_be_bytes(),
        ));
    }
    let body = manifest.to_json();
    let (host, seen, _) = serve(Arc::new(move |req: &Seen| {
        if req.target.contains("/manifests/") {
            return reply(
                "200 OK",
                &[("Content-Type", MediaType::ImageManifest.as_str().to_owned())],
                &body,
            );
        }
        reply("404 Not Found", &[], b"")
    }))
    .await;
    let target: Reference = format!("{host}/acme/tool:1.0").parse().unwrap();
    let subject = consign::core::Digest::of(consign::core::Algorithm::Sha256, b"image");
    let client = client(&host, Credentials::Anonymous, quick_retries());
    let err = consign::oci::ops::pull_attachments(&client, &target, &subject, Kind::Signatures)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::TooLarge { size: 2000, .. }), "{err}");
    let blob_reads = seen
        .lock()
        .unwrap()
        .iter()
        .filter(|r| r.target.contains("/blobs/"))
        .count();
    assert_eq!(blob_reads, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_registry_that_drops_every_session_after_a_chunk_ends_the_upload() {
    // Each session takes its first chunk (progress), then forgets the upload: a loop that
    // "makes progress" forever unless sessions are counted on their own.
    let (host, seen, _) = serve(Arc::new(|req: &Seen| match req.method.as_str() {
        "HEAD" => reply("404 Not Found", &[], b""),
        "POST" => reply(
            "202 Accepted",
            &[("Location", "/v2/acme/tool/blobs/uploads/1".into())],
            b"",
        ),
        "PATCH"
            if req
                .header("content-range")
                .is_some_and(|r| r.starts_with("0-")) =>
        {
            let end = req
                .header("content-range")
                .unwrap()
                .split('-')
                .nth(1)
                .unwrap();
            reply(
                "202 Accepted",
                &[
                    ("Location", "/v2/acme/tool/blobs/uploads/1".into()),
                    ("Range", format!("0-{end}")),
                ],
                b"",
            )
        }
        _ => reply("404 Not Found", &[], b""),
    }))
    .await;
    let client = client(&host, Credentials::Anonymous, quick_retries());
    let repository = repo();
    let push = client.push_blob(&repository, BlobSource::bytes(vec![7u8; 10 << 10]));
    let err = tokio::time::timeout(Duration::from_secs(30), push)
        .await
        .expect("the upload loops")
        .unwrap_err();
    assert!(
        matches!(err, Error::Registry(RegistryError::GaveUp { .. })),
        "{err}"
    );
    let sessions = seen
        .lock()
        .unwrap()
        .iter()
        .filter(|r| r.method == "POST")
        .count();
    assert!(sessions <= 9, "{sessions} upload sessions");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redirect_to_another_origin_carries_no_credentials() {
    let (elsewhere, other_seen, _) =
        serve(Arc::new(|_: &Seen| reply("404 Not Found", &[], b""))).await;
    let (host, seen, _) = serve(Arc::new(move |req: &Seen| {
        if req.header("authorization").is_none() {
            return reply(
                "401 Unauthorized",
                &[("WWW-Authenticate", r#"Basic realm="mock""#.into())],
                b"",
            );
        }
        reply(
            "307 Temporary Redirect",
            &[("Location", format!("http://{elsewhere}/cdn/manifest"))],
            b"",
        )
    }))
    .await;
    let reference: Reference = format!("{host}/acme/tool:1.0").parse().unwrap();
    let err = client(
        &host,
        Credentials::basic("user", "password"),
        quick_retries(),
    )
    .pull_manifest(&reference)
    .await
    .unwrap_err();
    assert!(err.is_not_found(), "{err}");
    assert!(
        seen.lock()
            .unwrap()
            .iter()
            .any(|r| r.header("authorization").is_some())
    );
    let theirs = other_seen.lock().unwrap().clone();
    assert!(!theirs.is_empty(), "the redirect was followed");
    assert!(
        theirs.iter().all(|r| r.header("authorization").is_none()),
        "credentials followed the redirect: {theirs:?}"
    );
}
