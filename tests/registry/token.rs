//! A token service for `docker-registry`'s `auth: token` mode: RS256 JWTs carrying the
//! signing certificate in `x5c`, signed with `openssl dgst`, granting what each request's
//! scopes ask for to one user.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use tokio::io::{AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

use crate::common::{require_tool, run_ok};

pub const SERVICE: &str = "consign-test-registry";
pub const ISSUER: &str = "consign-test-issuer";

pub struct TokenService {
    pub realm: String,
    pub cert: PathBuf,
    pub issued: Arc<AtomicU64>,
    pub scopes: Arc<Mutex<Vec<String>>>,
}

/// Starts the service for `user`/`password`; its key and certificate go into `dir`.
pub async fn start(dir: &Path, user: &str, password: &str) -> TokenService {
    require_tool("openssl", "openssl");
    let key = dir.join("token.key");
    let cert = dir.join("token.pem");
    run_ok(Command::new("openssl").args([
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-days",
        "2",
        "-subj",
        "/CN=consign test token signer",
        "-keyout",
        key.to_str().unwrap(),
        "-out",
        cert.to_str().unwrap(),
    ]));
    let der = Command::new("openssl")
        .args(["x509", "-outform", "DER", "-in", cert.to_str().unwrap()])
        .output()
        .unwrap()
        .stdout;
    let x5c = STANDARD.encode(der);
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let realm = format!("http://{}/token", listener.local_addr().unwrap());
    let issued = Arc::new(AtomicU64::new(0));
    let scopes = Arc::new(Mutex::new(Vec::new()));
    let basic = format!("Basic {}", STANDARD.encode(format!("{user}:{password}")));
    let (i, s, k) = (issued.clone(), scopes.clone(), key.clone());
    let user = user.to_owned();
    tokio::spawn(async move {
        while let Ok((conn, _)) = listener.accept().await {
            let (issued, scopes, key, x5c, basic, user) = (
                i.clone(),
                s.clone(),
                k.clone(),
                x5c.clone(),
                basic.clone(),
                user.clone(),
            );
            tokio::spawn(async move {
                let mut conn = BufReader::new(conn);
                let Some(head) = crate::support::read_head(&mut conn).await else {
                    return;
                };
                let target = head[0].split(' ').nth(1).unwrap_or("").to_owned();
                let authorized = head.iter().any(|h| {
                    h.to_ascii_lowercase().starts_with("authorization:")
                        && h["authorization:".len()..].trim() == basic
                });
                let (status, body) = if authorized {
                    let url = query_pairs(&target);
                    let requested: Vec<String> = url
                        .iter()
                        .filter(|(k, _)| k == "scope")
                        .map(|(_, v)| v.clone())
                        .collect();
                    scopes.lock().unwrap().extend(requested.iter().cloned());
                    issued.fetch_add(1, Ordering::SeqCst);
                    let token = tokio::task::spawn_blocking(move || {
                        sign_token(&key, &x5c, &user, &requested)
                    })
                    .await
                    .unwrap();
                    (
                        "200 OK",
                        format!(
                            r#"{{"token":"{token}","access_token":"{token}","expires_in":300}}"#
                        ),
                    )
                } else {
                    ("401 Unauthorized", "{}".to_owned())
                };
                let answer = format!(
                    "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = conn.get_mut().write_all(answer.as_bytes()).await;
                let _ = conn.get_mut().shutdown().await;
            });
        }
    });
    TokenService {
        realm,
        cert,
        issued,
        scopes,
    }
}

/// `?a=b&c=d` of a request target, percent-decoded.
fn query_pairs(target: &str) -> Vec<(String, String)> {
    let query = target.split_once('?').map_or("", |(_, q)| q);
    query
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .map(|(k, v)| (decode(k), decode(v)))
        .collect()
}

fn decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap();
                out.push(u8::from_str_radix(hex, 16).unwrap());
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).unwrap()
}

/// A JWT granting `scopes` (`repository:<name>:<actions>`), signed RS256 by `key`.
fn sign_token(key: &Path, x5c: &str, user: &str, scopes: &[String]) -> String {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let access: Vec<serde_json::Value> = scopes
        .iter()
        .flat_map(|s| s.split(' '))
        .filter_map(|s| {
            let mut parts = s.splitn(3, ':');
            let (kind, name, actions) = (parts.next()?, parts.next()?, parts.next()?);
            Some(serde_json::json!({
                "type": kind,
                "name": name,
                "actions": actions.split(',').collect::<Vec<_>>(),
            }))
        })
        .collect();
    let header = serde_json::json!({"typ": "JWT", "alg": "RS256", "x5c": [x5c]});
    let claims = serde_json::json!({
        "iss": ISSUER,
        "sub": user,
        "aud": SERVICE,
        "exp": now + 300,
        "nbf": now - 10,
        "iat": now,
        "jti": format!("{now}-{}", scopes.join(" ").len()),
        "access": access,
    });
    let input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    );
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("input");
    std::fs::write(&data, &input).unwrap();
    let signature = Command::new("openssl")
        .args(["dgst", "-sha256", "-sign", key.to_str().unwrap()])
        .arg(&data)
        .output()
        .unwrap();
    assert!(signature.status.success(), "openssl dgst -sign failed");
    format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature.stdout))
}
