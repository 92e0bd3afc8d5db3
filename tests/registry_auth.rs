//! Registry authentication: HTTP Basic against `docker-registry` with htpasswd, bearer tokens
//! against `docker-registry` in `auth: token` mode with a token service made here (RS256 JWTs
//! signed with openssl), credentials from a Docker config through a `docker-credential-*`
//! helper, and the challenge flow's edge cases against an emulated registry.

// Test code: an unwrap that fails is a failing test.
#![allow(clippy::unwrap_used)]

mod common;
#[path = "registry/support.rs"]
mod support;
#[path = "registry/token.rs"]
mod token;

use std::os::unix::fs::PermissionsExt;
use std::process::Command;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use base64::Engine;
use common::{require_tool, run};
use consign::oci::registry::{
    BlobOutcome, BlobSource, Client, ClientOptions, Credentials, RegistryError,
};
use consign::oci::{Error, MediaType, Reference, Repository};
use support::{Registry, RegistryAuth, test_image};
use tokio::io::{AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

const USER: &str = "ci";
const PASSWORD: &str = "s3cret-pass";

fn htpasswd_registry() -> Registry {
    Registry::start_with(RegistryAuth::Htpasswd {
        user: USER.into(),
        password: PASSWORD.into(),
    })
}

fn client(host: &str, credentials: Credentials) -> Client {
    Client::new(
        host,
        ClientOptions::default()
            .plain_http(true)
            .credentials(credentials),
    )
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn basic_auth_against_htpasswd() {
    let registry = htpasswd_registry();
    let dir = tempfile::tempdir().unwrap();
    let image = test_image(dir.path(), 1000);
    let repo = Repository::new("acme/private").unwrap();
    let ok = client(&registry.host(), Credentials::basic(USER, PASSWORD));
    ok.push_blobs(&repo, image.blobs(dir.path())).await.unwrap();
    let tagged: Reference = format!("{}/acme/private:1", registry.host())
        .parse()
        .unwrap();
    ok.push_manifest(&tagged, &image.manifest, &MediaType::ImageManifest)
        .await
        .unwrap();

    // skopeo needs the same credentials to read it back.
    require_tool("skopeo", "skopeo");
    let out = run(Command::new("skopeo").args([
        "inspect",
        "--raw",
        "--tls-verify=false",
        &format!("--creds={USER}:{PASSWORD}"),
        &format!("docker://{tagged}"),
    ]));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(out.stdout, image.manifest);

    let anonymous = client(&registry.host(), Credentials::Anonymous);
    let err = anonymous.pull_manifest(&tagged).await.unwrap_err();
    assert!(
        matches!(err, Error::Registry(RegistryError::Auth { .. })),
        "{err}"
    );
    assert!(err.to_string().contains("user name and password"), "{err}");

    let wrong = client(&registry.host(), Credentials::basic(USER, "wrong"));
    let err = wrong.pull_manifest(&tagged).await.unwrap_err();
    assert_eq!(err.status(), Some(401), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bearer_tokens_from_a_token_service_against_docker_registry() {
    let dir = tempfile::tempdir().unwrap();
    let tokens = token::start(dir.path(), USER, PASSWORD).await;
    let registry = Registry::start_with(RegistryAuth::Token {
        realm: tokens.realm.clone(),
        service: token::SERVICE.into(),
        issuer: token::ISSUER.into(),
        cert: tokens.cert.clone(),
    });
    let image = test_image(dir.path(), 1000);
    let repo = Repository::new("acme/tokens").unwrap();
    let client = client(&registry.host(), Credentials::basic(USER, PASSWORD));
    client
        .push_blobs(&repo, image.blobs(dir.path()))
        .await
        .unwrap();
    let tagged: Reference = format!("{}/acme/tokens:1", registry.host())
        .parse()
        .unwrap();
    client
        .push_manifest(&tagged, &image.manifest, &MediaType::ImageManifest)
        .await
        .unwrap();
    assert_eq!(
        client.pull_manifest(&tagged).await.unwrap().bytes,
        image.manifest
    );
    let scopes = tokens.scopes.lock().unwrap().clone();
    assert!(
        scopes.contains(&"repository:acme/tokens:pull,push".to_owned()),
        "{scopes:?}"
    );
    // Tokens are cached per scope: pushing again asks for none.
    let issued = tokens.issued.load(Ordering::SeqCst);
    assert!(issued <= 4, "{issued} tokens for two scopes");
    let again = client
        .push_blobs(&repo, image.blobs(dir.path()))
        .await
        .unwrap();
    assert!(again.iter().all(|p| p.outcome == BlobOutcome::Existed));
    assert_eq!(tokens.issued.load(Ordering::SeqCst), issued);

    // skopeo goes through the same token service.
    require_tool("skopeo", "skopeo");
    let out = run(Command::new("skopeo").args([
        "inspect",
        "--raw",
        "--tls-verify=false",
        &format!("--creds={USER}:{PASSWORD}"),
        &format!("docker://{tagged}"),
    ]));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(out.stdout, image.manifest);

    // Without credentials the token service refuses.
    let anonymous = self::client(&registry.host(), Credentials::Anonymous);
    let err = anonymous.pull_manifest(&tagged).await.unwrap_err();
    assert!(
        matches!(err, Error::Registry(RegistryError::Auth { .. })),
        "{err}"
    );
    assert!(err.to_string().contains("answered 401"), "{err}");
}

/// Runs itself again in a child process whose PATH holds a `docker-credential-consigntest`
/// script and whose DOCKER_CONFIG names it (the environment of this process is left alone);
/// the child, seeing `CONSIGN_TEST_REGISTRY`, pushes with the helper's credentials.
#[test]
fn credentials_come_from_a_docker_credential_helper() {
    if let Ok(host) = std::env::var("CONSIGN_TEST_REGISTRY") {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap()
            .block_on(push_with_helper_credentials(&host));
        return;
    }
    let registry = htpasswd_registry();
    let dir = tempfile::tempdir().unwrap();
    let bin = dir.path().join("bin");
    std::fs::create_dir(&bin).unwrap();
    let helper = bin.join("docker-credential-consigntest");
    let log = dir.path().join("helper.log");
    std::fs::write(
        &helper,
        format!(
            "#!/bin/sh\nread -r server\necho \"$1 $server\" >> {log}\n\
             if [ \"$server\" = \"{host}\" ]; then\n\
             printf '{{\"ServerURL\":\"%s\",\"Username\":\"{USER}\",\"Secret\":\"{PASSWORD}\"}}' \"$server\"\n\
             else echo 'credentials not found in native keychain'; exit 1; fi\n",
            log = log.display(),
            host = registry.host()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&helper, std::fs::Permissions::from_mode(0o755)).unwrap();
    let config = dir.path().join("docker");
    std::fs::create_dir(&config).unwrap();
    std::fs::write(
        config.join("config.json"),
        format!(
            r#"{{"credHelpers":{{"{}":"consigntest"}}}}"#,
            registry.host()
        ),
    )
    .unwrap();
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let out = run(Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "credentials_come_from_a_docker_credential_helper",
            "--nocapture",
        ])
        .env("PATH", path)
        .env("DOCKER_CONFIG", &config)
        .env("CONSIGN_TEST_REGISTRY", registry.host()));
    let said =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{said}");
    assert!(said.contains("1 passed"), "{said}");
    let asked = std::fs::read_to_string(&log).unwrap();
    assert_eq!(asked.trim(), format!("get {}", registry.host()));
}

/// The child's part: no credentials in the options, they come from DOCKER_CONFIG and the
/// helper.
async fn push_with_helper_credentials(host: &str) {
    let client = Client::new(host, ClientOptions::default().plain_http(true)).unwrap();
    let repo = Repository::new("acme/helped").unwrap();
    let pushed = client
        .push_blob(&repo, BlobSource::bytes(b"helped".to_vec()))
        .await
        .unwrap();
    assert_eq!(pushed.outcome, BlobOutcome::Uploaded);
    // A registry the helper knows nothing about: anonymous.
    assert_eq!(
        Credentials::from_docker_config("127.0.0.1:1").unwrap(),
        Credentials::Anonymous
    );
}

/// What the emulated registry and token service saw.
#[derive(Default)]
struct Seen {
    token_requests: AtomicU64,
    tag_pages: AtomicU64,
    token_queries: Mutex<Vec<String>>,
}

/// A registry that wants bearer tokens and its token service, on one loopback port: tags of
/// `acme/tool` (in pages of one when asked) for `Bearer tok-pull`, tokens from `/token` for
/// `ci` / `s3cret-pass`.
async fn bearer_server() -> (String, Arc<Seen>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let host = listener.local_addr().unwrap().to_string();
    let seen = Arc::new(Seen::default());
    let (h, s) = (host.clone(), seen.clone());
    tokio::spawn(async move {
        while let Ok((conn, _)) = listener.accept().await {
            let (host, seen) = (h.clone(), s.clone());
            tokio::spawn(async move {
                let mut conn = BufReader::new(conn);
                let Some(head) = crate::support::read_head(&mut conn).await else {
                    return;
                };
                let target = head[0].split(' ').nth(1).unwrap_or("").to_owned();
                let auth = head
                    .iter()
                    .find_map(|h| {
                        h.to_ascii_lowercase()
                            .starts_with("authorization:")
                            .then(|| h["authorization:".len()..].trim().to_owned())
                    })
                    .unwrap_or_default();
                let basic = format!(
                    "Basic {}",
                    base64::engine::general_purpose::STANDARD.encode(format!("{USER}:{PASSWORD}"))
                );
                let (status, extra, body) = if target.starts_with("/token") {
                    seen.token_requests.fetch_add(1, Ordering::SeqCst);
                    seen.token_queries.lock().unwrap().push(target.clone());
                    if auth == basic {
                        (
                            "200 OK",
                            String::new(),
                            r#"{"token":"tok-pull","expires_in":300}"#,
                        )
                    } else {
                        ("401 Unauthorized", String::new(), "{}")
                    }
                } else if auth == "Bearer tok-pull" && target.starts_with("/v2/acme/tool/tags/list")
                {
                    // Pages of one tag when asked for them (n=1), linked with `Link`.
                    seen.tag_pages.fetch_add(1, Ordering::SeqCst);
                    if target.contains("last=a") {
                        (
                            "200 OK",
                            String::new(),
                            r#"{"name":"acme/tool","tags":["b"]}"#,
                        )
                    } else if target.contains("n=1&") || target.ends_with("n=1") {
                        (
                            "200 OK",
                            "Link: </v2/acme/tool/tags/list?n=1&last=a>; rel=\"next\"\r\n"
                                .to_owned(),
                            r#"{"name":"acme/tool","tags":["a"]}"#,
                        )
                    } else {
                        (
                            "200 OK",
                            String::new(),
                            r#"{"name":"acme/tool","tags":["a","b"]}"#,
                        )
                    }
                } else {
                    (
                        "401 Unauthorized",
                        format!(
                            "WWW-Authenticate: Bearer realm=\"http://{host}/token\",service=\"emulated\",scope=\"repository:acme/tool:pull\"\r\n"
                        ),
                        r#"{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}"#,
                    )
                };
                let answer = format!(
                    "HTTP/1.1 {status}\r\n{extra}Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = conn.get_mut().write_all(answer.as_bytes()).await;
                let _ = conn.get_mut().shutdown().await;
            });
        }
    });
    (host, seen)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bearer_tokens_are_cached_per_scope_and_tag_pages_followed() {
    let (host, seen) = bearer_server().await;
    let repo = Repository::new("acme/tool").unwrap();
    let client = Client::new(
        &host,
        ClientOptions::default()
            .plain_http(true)
            .credentials(Credentials::basic(USER, PASSWORD))
            .page_size(1),
    )
    .unwrap();
    for _ in 0..3 {
        let tags: Vec<String> = client
            .list_tags(&repo)
            .await
            .unwrap()
            .iter()
            .map(|t| t.to_string())
            .collect();
        assert_eq!(tags, ["a", "b"]);
    }
    assert_eq!(seen.token_requests.load(Ordering::SeqCst), 1);
    assert_eq!(seen.tag_pages.load(Ordering::SeqCst), 6);
    let query = seen.token_queries.lock().unwrap()[0].clone();
    assert!(query.contains("service=emulated"), "{query}");
    assert!(
        query.contains("scope=repository%3Aacme%2Ftool%3Apull"),
        "{query}"
    );

    let wrong = self::client(&host, Credentials::basic(USER, "nope"));
    let err = wrong.list_tags(&repo).await.unwrap_err();
    assert!(
        matches!(err, Error::Registry(RegistryError::Auth { .. })),
        "{err}"
    );
    assert!(
        err.to_string().contains("check the user name and password"),
        "{err}"
    );
}

#[test]
fn plain_http_is_refused_for_other_hosts() {
    let err = Client::new(
        "registry.example:5000",
        ClientOptions::default().plain_http(true),
    )
    .err()
    .unwrap();
    assert!(
        matches!(err, Error::Registry(RegistryError::PlainHttpRefused { .. })),
        "{err}"
    );
    assert!(err.to_string().contains("loopback"), "{err}");
    assert!(
        Client::new(
            "localhost:5000",
            ClientOptions::default()
                .plain_http(true)
                .credentials(Credentials::Anonymous)
        )
        .is_ok()
    );
}
