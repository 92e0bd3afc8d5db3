//! A fault-injecting HTTP/1.1 proxy between the client and the registry.
//!
//! Each client connection carries one request (the proxy answers with `Connection: close`).
//! Rules pick requests by method and a path fragment and, for the chosen occurrences, answer
//! with a status (500, 429 + `Retry-After`, …) or drop the connection with a TCP reset, either
//! before the registry sees the request or after forwarding part of its body. The proxy counts
//! the blob bytes it forwards to upload URLs.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

/// What to do to a chosen request.
#[derive(Clone, Debug)]
pub enum Fault {
    /// Answer with this status (and `Retry-After` when given), without asking the registry.
    Status {
        code: u16,
        retry_after: Option<String>,
    },
    /// Read this many body bytes, then reset the connection; the registry never sees it.
    ResetBeforeForwarding { body_bytes: u64 },
    /// Forward the head and this many body bytes to the registry, then reset both sides.
    ResetAfterForwarding { body_bytes: u64 },
    /// Forward the request, then pass on only this many bytes of the answer (head included)
    /// and reset the connection.
    TruncateAnswer { bytes: u64 },
}

/// Which requests get a fault: the `nth..nth+times` requests (1-based) matching the method
/// and containing `path` in their target.
#[derive(Clone, Debug)]
pub struct Rule {
    pub method: &'static str,
    pub path: String,
    pub nth: u64,
    pub times: u64,
    pub fault: Fault,
    /// When set (`one_in`, `seed`): instead of `nth`/`times`, each matching request is chosen
    /// with probability 1/`one_in`, pseudo-randomly but reproducibly from `seed`.
    pub sometimes: Option<(u64, u64)>,
}

impl Rule {
    pub fn new(method: &'static str, path: impl Into<String>, fault: Fault) -> Rule {
        Rule {
            method,
            path: path.into(),
            nth: 1,
            times: 1,
            fault,
            sometimes: None,
        }
    }

    /// Chooses about one matching request in `one_in`, reproducibly from `seed`.
    pub fn sometimes(mut self, one_in: u64, seed: u64) -> Rule {
        self.sometimes = Some((one_in.max(1), seed));
        self
    }

    pub fn nth(mut self, nth: u64) -> Rule {
        self.nth = nth;
        self
    }

    pub fn times(mut self, times: u64) -> Rule {
        self.times = times;
        self
    }
}

struct RuleState {
    rule: Rule,
    seen: u64,
}

#[derive(Default)]
pub struct Stats {
    /// Body bytes forwarded to `/blobs/uploads/` URLs.
    pub upload_bytes: AtomicU64,
    /// Faults injected.
    pub faults: AtomicU64,
    /// Every request line seen, in order.
    pub requests: Mutex<Vec<String>>,
}

pub struct Proxy {
    pub addr: SocketAddr,
    pub stats: Arc<Stats>,
    rules: Arc<Mutex<Vec<RuleState>>>,
}

impl Proxy {
    /// Starts a proxy in front of `upstream` on the current tokio runtime.
    pub async fn start(upstream: SocketAddr, rules: Vec<Rule>) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let stats = Arc::new(Stats::default());
        let rules = Arc::new(Mutex::new(
            rules
                .into_iter()
                .map(|rule| RuleState { rule, seen: 0 })
                .collect(),
        ));
        let (s, r) = (stats.clone(), rules.clone());
        tokio::spawn(async move {
            while let Ok((conn, _)) = listener.accept().await {
                let (s, r) = (s.clone(), r.clone());
                tokio::spawn(async move {
                    let _ = serve(conn, upstream, s, r).await;
                });
            }
        });
        Proxy { addr, stats, rules }
    }

    /// `127.0.0.1:<port>`.
    pub fn host(&self) -> String {
        self.addr.to_string()
    }

    pub fn upload_bytes(&self) -> u64 {
        self.stats.upload_bytes.load(Ordering::SeqCst)
    }

    pub fn faults(&self) -> u64 {
        self.stats.faults.load(Ordering::SeqCst)
    }

    pub fn requests(&self) -> Vec<String> {
        self.stats.requests.lock().unwrap().clone()
    }

    /// Replaces the rules.
    pub fn set_rules(&self, rules: Vec<Rule>) {
        *self.rules.lock().unwrap() = rules
            .into_iter()
            .map(|rule| RuleState { rule, seen: 0 })
            .collect();
    }
}

async fn serve(
    conn: TcpStream,
    upstream: SocketAddr,
    stats: Arc<Stats>,
    rules: Arc<Mutex<Vec<RuleState>>>,
) -> std::io::Result<()> {
    let mut client = BufReader::new(conn);
    // The request head.
    let mut head = Vec::new();
    loop {
        let mut line = Vec::new();
        if client.read_until(b'\n', &mut line).await? == 0 {
            return Ok(());
        }
        let end = line == b"\r\n";
        head.push(String::from_utf8_lossy(&line).trim_end().to_owned());
        if end {
            break;
        }
    }
    let request_line = head[0].clone();
    let mut parts = request_line.split(' ');
    let method = parts.next().unwrap_or("").to_owned();
    let target = parts.next().unwrap_or("").to_owned();
    let mut length = 0u64;
    for h in &head[1..] {
        let lower = h.to_ascii_lowercase();
        if let Some(v) = lower.strip_prefix("content-length:") {
            length = v.trim().parse().unwrap_or(0);
        }
        assert!(
            !lower.starts_with("transfer-encoding:"),
            "the test proxy needs Content-Length bodies: {request_line}"
        );
    }
    stats.requests.lock().unwrap().push(request_line.clone());
    let fault = {
        let mut rules = rules.lock().unwrap();
        rules.iter_mut().find_map(|state| {
            if state.rule.method != method || !target.contains(&state.rule.path) {
                return None;
            }
            state.seen += 1;
            let hit = match state.rule.sometimes {
                Some((one_in, seed)) => {
                    let mut x = (seed ^ state.seen.wrapping_mul(0x9e37_79b9_7f4a_7c15)) | 1;
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    x % one_in == 0
                }
                None => {
                    state.seen >= state.rule.nth
                        && state.seen < state.rule.nth.saturating_add(state.rule.times)
                }
            };
            hit.then(|| state.rule.fault.clone())
        })
    };
    if fault.is_some() {
        stats.faults.fetch_add(1, Ordering::SeqCst);
    }
    let is_upload = (method == "PATCH" || method == "PUT") && target.contains("/blobs/uploads/");
    match fault {
        Some(Fault::Status { code, retry_after }) => {
            drain(&mut client, length).await?;
            let mut answer =
                format!("HTTP/1.1 {code} Injected\r\nContent-Length: 0\r\nConnection: close\r\n");
            if let Some(r) = retry_after {
                answer.push_str(&format!("Retry-After: {r}\r\n"));
            }
            answer.push_str("\r\n");
            client.get_mut().write_all(answer.as_bytes()).await?;
            client.get_mut().shutdown().await?;
            Ok(())
        }
        Some(Fault::ResetBeforeForwarding { body_bytes }) => {
            drain(&mut client, body_bytes.min(length)).await?;
            reset(client.into_inner());
            Ok(())
        }
        Some(Fault::ResetAfterForwarding { body_bytes }) => {
            let mut up = TcpStream::connect(upstream).await?;
            up.write_all(rewrite_head(&head).as_bytes()).await?;
            let n = body_bytes.min(length);
            let mut part = (&mut client).take(n);
            tokio::io::copy(&mut part, &mut up).await?;
            if is_upload {
                stats.upload_bytes.fetch_add(n, Ordering::SeqCst);
            }
            up.flush().await?;
            // Give the registry a moment to consume what it got before the reset.
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            reset(up);
            reset(client.into_inner());
            Ok(())
        }
        Some(Fault::TruncateAnswer { bytes }) => {
            let mut up = TcpStream::connect(upstream).await?;
            up.write_all(rewrite_head(&head).as_bytes()).await?;
            let mut body = (&mut client).take(length);
            tokio::io::copy(&mut body, &mut up).await?;
            let mut conn = client.into_inner();
            let mut answer = (&mut up).take(bytes);
            tokio::io::copy(&mut answer, &mut conn).await?;
            conn.flush().await?;
            reset(conn);
            Ok(())
        }
        None => {
            let mut up = TcpStream::connect(upstream).await?;
            up.write_all(rewrite_head(&head).as_bytes()).await?;
            let mut body = (&mut client).take(length);
            let copied = tokio::io::copy(&mut body, &mut up).await?;
            if is_upload {
                stats.upload_bytes.fetch_add(copied, Ordering::SeqCst);
            }
            let mut conn = client.into_inner();
            tokio::io::copy(&mut up, &mut conn).await?;
            conn.shutdown().await?;
            Ok(())
        }
    }
}

/// The head with `Connection: close` (one request per upstream connection).
fn rewrite_head(head: &[String]) -> String {
    let mut out = String::new();
    for line in &head[..head.len() - 1] {
        if line.to_ascii_lowercase().starts_with("connection:") {
            continue;
        }
        out.push_str(line);
        out.push_str("\r\n");
    }
    out.push_str("Connection: close\r\n\r\n");
    out
}

async fn drain(client: &mut BufReader<TcpStream>, n: u64) -> std::io::Result<()> {
    let mut part = client.take(n);
    tokio::io::copy(&mut part, &mut tokio::io::sink()).await?;
    Ok(())
}

/// Closes with a TCP reset (linger 0) instead of a clean FIN.
fn reset(conn: TcpStream) {
    let _ = conn.set_zero_linger();
    drop(conn);
}
