//! Registry error answers, from a mock registry on loopback: the specification's error body
//! becomes typed codes, an endless chunked error body is cut after 64 KiB instead of being
//! read whole, and a blob download whose connection always drops mid-body is retried a
//! bounded number of times and leaves no file.

// Test code: an unwrap that fails is a failing test.
#![allow(clippy::unwrap_used)]

mod common;
#[path = "registry/support.rs"]
mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use consign::core::{Algorithm, Digest};
use consign::oci::registry::{
    Client, ClientOptions, Credentials, ErrorCode, RegistryError, RetryPolicy,
};
use consign::oci::{Descriptor, Error, MediaType, Reference, Repository};
use tokio::io::{AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

/// How the mock answers every request.
#[derive(Clone, Copy)]
enum Answer {
    /// 404 with `MANIFEST_UNKNOWN` in the specification's JSON.
    ManifestUnknown,
    /// 400 whose chunked body never ends (a JSON prefix, then `x` forever).
    Endless,
    /// 200 announcing 1 MiB, then the connection closed after 10 bytes.
    Truncated,
}

/// A registry on 127.0.0.1 answering every request with `answer`; its `host:port` and the
/// count of body bytes it managed to send.
async fn mock(answer: Answer) -> (String, Arc<AtomicU64>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let host = listener.local_addr().unwrap().to_string();
    let sent = Arc::new(AtomicU64::new(0));
    let counter = sent.clone();
    tokio::spawn(async move {
        while let Ok((conn, _)) = listener.accept().await {
            let sent = counter.clone();
            tokio::spawn(async move {
                let mut conn = BufReader::new(conn);
                if support::read_head(&mut conn).await.is_none() {
                    return;
                }
                let conn = conn.get_mut();
                sent.fetch_add(
                    u64::from(matches!(answer, Answer::Truncated)),
                    Ordering::Relaxed,
                );
                match answer {
                    Answer::Truncated => {
                        let head = "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n\
                                    Content-Length: 1048576\r\nConnection: close\r\n\r\n";
                        let _ = conn.write_all(head.as_bytes()).await;
                        let _ = conn.write_all(&[0u8; 10]).await;
                        // Dropping the connection here cuts the body.
                    }
                    Answer::ManifestUnknown => {
                        let body = br#"{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown","detail":{"Tag":"1.0"}}]}"#;
                        let head = format!(
                            "HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\n\
                             Content-Length: {}\r\nConnection: close\r\n\r\n",
                            body.len()
                        );
                        let _ = conn.write_all(head.as_bytes()).await;
                        let _ = conn.write_all(body).await;
                    }
                    Answer::Endless => {
                        let head = "HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\n\
                                    Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n";
                        let _ = conn.write_all(head.as_bytes()).await;
                        let prefix = br#"{"errors":[{"code":"DENIED","message":""#;
                        let _ = conn
                            .write_all(format!("{:x}\r\n", prefix.len()).as_bytes())
                            .await;
                        let _ = conn.write_all(prefix).await;
                        let _ = conn.write_all(b"\r\n").await;
                        support::write_endless_chunks(conn, &sent).await;
                    }
                }
            });
        }
    });
    (host, sent)
}

fn client(host: &str) -> Client {
    let options = ClientOptions::default()
        .plain_http(true)
        .credentials(Credentials::Anonymous)
        .retry(RetryPolicy::default().deadline(Duration::from_secs(5)));
    Client::new(host, options).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn error_bodies_become_typed_codes() {
    let (host, _) = mock(Answer::ManifestUnknown).await;
    let reference: Reference = format!("{host}/acme/tool:1.0").parse().unwrap();
    let err = client(&host).pull_manifest(&reference).await.unwrap_err();
    assert!(err.is_not_found(), "{err}");
    assert!(err.has_code(&ErrorCode::ManifestUnknown), "{err}");
    assert!(!err.is_transient());
    assert_eq!(err.registry_errors()[0].message, "manifest unknown");
    assert!(
        err.to_string()
            .contains("MANIFEST_UNKNOWN: manifest unknown"),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_endless_error_body_is_cut_not_read_whole() {
    let (host, sent) = mock(Answer::Endless).await;
    let reference: Reference = format!("{host}/acme/tool:1.0").parse().unwrap();
    let start = Instant::now();
    let err = client(&host).pull_manifest(&reference).await.unwrap_err();
    // Read up to the cap, then given up: no codes from a body that was cut, a short message.
    assert_eq!(err.status(), Some(400), "{err}");
    assert!(err.registry_errors().is_empty(), "{err}");
    assert!(
        err.to_string().len() < 1024,
        "{} bytes of message",
        err.to_string().len()
    );
    assert!(
        start.elapsed() < Duration::from_secs(10),
        "took {:?}",
        start.elapsed()
    );
    // The client hung up: the mock could send no more than the cap and the socket buffers,
    // far from the 256 MiB it offers.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let sent = sent.load(Ordering::Relaxed);
    assert!(
        sent < 32 << 20,
        "the client read {sent} bytes of an error body"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_download_that_always_drops_is_retried_a_bounded_number_of_times() {
    let (host, requests) = mock(Answer::Truncated).await;
    let options = ClientOptions::default()
        .plain_http(true)
        .credentials(Credentials::Anonymous)
        .retry(
            RetryPolicy::default()
                .base_delay(Duration::from_millis(10))
                .max_delay(Duration::from_millis(50))
                .max_attempts(4)
                .deadline(Duration::from_secs(10)),
        );
    let client = Client::new(&host, options).unwrap();
    let repo = Repository::new("acme/tool").unwrap();
    let blob = Descriptor::new(
        MediaType::LayerGzip,
        Digest::of(Algorithm::Sha256, b"never sent"),
        1 << 20,
    );
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("blob");
    let start = Instant::now();
    let err = client
        .pull_blob_to_file(&repo, &blob, &path)
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::Registry(RegistryError::GaveUp { .. })),
        "{err}"
    );
    let requests = requests.load(Ordering::Relaxed);
    assert!((2..=4).contains(&requests), "{requests} requests");
    assert!(start.elapsed() < Duration::from_secs(10));
    // Neither the blob nor its partial file is left.
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}
