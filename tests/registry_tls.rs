//! HTTPS registries: `docker-registry` serving a certificate from a test CA made here with
//! openssl. The client trusts it only when given the CA (as an extra root, or through a
//! `reqwest::Client` the caller configured), and never installs a process-wide crypto provider.

// Test code: an unwrap that fails is a failing test.
#![allow(clippy::unwrap_used)]

mod common;
#[path = "registry/support.rs"]
mod support;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use common::{require_tool, run_ok};
use consign::oci::registry::{Client, ClientOptions, Credentials, RetryPolicy, reqwest, rustls};
use consign::oci::{MediaType, Reference};
use support::{Registry, test_image};

/// A CA and a server certificate for 127.0.0.1 signed by it.
struct Pki {
    dir: tempfile::TempDir,
}

impl Pki {
    fn new() -> Pki {
        require_tool("openssl", "openssl");
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let openssl = |args: &[&str]| {
            run_ok(Command::new("openssl").current_dir(d).args(args));
        };
        // A new P-256 key, unencrypted, with the request.
        let new_key = |rest: &[&str]| {
            let key = [
                "req",
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:P-256",
                "-nodes",
            ];
            openssl(&[&key[..], rest].concat());
        };
        // `-x509`: a self-signed CA certificate instead of a request.
        new_key(&[
            "-x509",
            "-keyout",
            "ca.key",
            "-out",
            "ca.pem",
            "-days",
            "2",
            "-subj",
            "/CN=consign test CA",
            "-addext",
            "basicConstraints=critical,CA:TRUE",
            "-addext",
            "keyUsage=critical,keyCertSign,cRLSign",
        ]);
        new_key(&[
            "-keyout",
            "server.key",
            "-out",
            "server.csr",
            "-subj",
            "/CN=127.0.0.1",
        ]);
        std::fs::write(
            d.join("server.ext"),
            "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n\
             keyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n",
        )
        .unwrap();
        openssl(&[
            "x509",
            "-req",
            "-in",
            "server.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            "server.pem",
            "-days",
            "2",
            "-extfile",
            "server.ext",
        ]);
        Pki { dir }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn ca_pem(&self) -> Vec<u8> {
        std::fs::read(self.path("ca.pem")).unwrap()
    }
}

fn fast_retries() -> RetryPolicy {
    RetryPolicy::default()
        .base_delay(Duration::from_millis(20))
        .max_delay(Duration::from_millis(100))
        .deadline(Duration::from_secs(3))
}

fn https_options() -> ClientOptions {
    ClientOptions::default()
        .credentials(Credentials::Anonymous)
        .retry(fast_retries())
}

/// Pushes the test image through `client` and reads it back by tag.
async fn push_and_pull(client: &Client, host: &str, dir: &Path, tag: &str) -> Reference {
    let image = test_image(dir, 50_000);
    let reference: Reference = format!("{host}/acme/tls:{tag}").parse().unwrap();
    client
        .push_blobs(reference.repository(), image.blobs(dir))
        .await
        .unwrap();
    client
        .push_manifest(&reference, &image.manifest, &MediaType::ImageManifest)
        .await
        .unwrap();
    let back = client.pull_manifest(&reference).await.unwrap();
    assert_eq!(back.bytes, image.manifest);
    reference
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn https_registry_with_a_private_ca_given_as_extra_root() {
    let pki = Pki::new();
    let registry = Registry::start_tls(&pki.path("server.pem"), &pki.path("server.key"));
    let host = registry.host();
    let dir = tempfile::tempdir().unwrap();

    let options = https_options()
        .root_certificates_pem(&pki.ca_pem())
        .unwrap();
    let client = Client::new(&host, options).unwrap();
    let reference = push_and_pull(&client, &host, dir.path(), "1.0").await;

    // skopeo, trusting the same CA, reads what we pushed over TLS.
    require_tool("skopeo", "skopeo");
    let certs = dir.path().join("certs.d");
    std::fs::create_dir(&certs).unwrap();
    std::fs::copy(pki.path("ca.pem"), certs.join("ca.crt")).unwrap();
    let raw = run_ok(
        Command::new("skopeo")
            .args(["inspect", "--raw", "--cert-dir"])
            .arg(&certs)
            .arg(format!("docker://{reference}")),
    );
    assert!(
        raw.contains("application/vnd.oci.image.manifest.v1+json"),
        "{raw}"
    );

    // The library installed no process-wide crypto provider.
    assert!(
        rustls::crypto::CryptoProvider::get_default().is_none(),
        "a registry client installed a process-wide rustls provider"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn https_registry_is_refused_without_the_ca() {
    let pki = Pki::new();
    let registry = Registry::start_tls(&pki.path("server.pem"), &pki.path("server.key"));
    let reference: Reference = format!("{}/acme/tls:any", registry.host()).parse().unwrap();

    let client = Client::new(&registry.host(), https_options()).unwrap();
    let err = client.pull_manifest(&reference).await.unwrap_err();
    let text = format!("{err:?} {err}").to_lowercase();
    assert!(
        text.contains("certificate") || text.contains("unknownissuer"),
        "expected a certificate error, got {err}"
    );

    // Plain HTTP to a loopback registry is allowed, but the server speaks TLS: an error too.
    let plain = Client::new(&registry.host(), https_options().plain_http(true)).unwrap();
    assert!(plain.pull_manifest(&reference).await.is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn caller_configured_http_client_is_used() {
    let pki = Pki::new();
    let registry = Registry::start_tls(&pki.path("server.pem"), &pki.path("server.key"));
    let host = registry.host();
    let dir = tempfile::tempdir().unwrap();

    // The caller's own rustls configuration: ring, and only the test CA as a root.
    let mut roots = rustls::RootCertStore::empty();
    let ca = rustls::pki_types::CertificateDer::from(openssl_der(&pki.path("ca.pem")));
    roots.add(ca).unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let tls = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let http = reqwest::Client::builder()
        .tls_backend_preconfigured(tls)
        .no_proxy()
        .build()
        .unwrap();

    let client = Client::new(&host, https_options().http_client(http)).unwrap();
    push_and_pull(&client, &host, dir.path(), "custom").await;
}

/// The DER bytes of a PEM certificate file.
fn openssl_der(pem: &Path) -> Vec<u8> {
    let out = Command::new("openssl")
        .args(["x509", "-outform", "DER", "-in"])
        .arg(pem)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

#[test]
fn root_bundle_without_certificates_is_refused() {
    let err = ClientOptions::default()
        .root_certificates_pem(b"not a certificate\n")
        .unwrap_err();
    assert!(err.to_string().contains("no CERTIFICATE"), "{err}");
}
