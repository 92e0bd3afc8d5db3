//! Helpers for the registry tests: a `docker-registry` (distribution) on a free loopback port
//! and small images made here.
#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use consign::core::Digest;
use consign::oci::registry::{BlobSource, Client, ClientOptions, Credentials, RetryPolicy};
use consign::oci::{Descriptor, MediaType};

use crate::common::{require_tool, run, run_ok};

/// A running distribution registry, killed on drop.
pub struct Registry {
    child: Child,
    pub addr: SocketAddr,
    pub dir: tempfile::TempDir,
}

/// How the registry authenticates.
pub enum RegistryAuth {
    None,
    /// htpasswd with one user.
    Htpasswd {
        user: String,
        password: String,
    },
    /// Bearer tokens from `realm`, signed by the key of the certificate in `cert` (PEM).
    Token {
        realm: String,
        service: String,
        issuer: String,
        cert: PathBuf,
    },
}

impl Registry {
    pub fn start() -> Registry {
        Registry::start_with(RegistryAuth::None)
    }

    pub fn start_with(auth: RegistryAuth) -> Registry {
        Registry::start_configured(auth, None)
    }

    /// A registry serving HTTPS with the certificate chain `cert` and key `key` (PEM files).
    pub fn start_tls(cert: &Path, key: &Path) -> Registry {
        Registry::start_configured(RegistryAuth::None, Some((cert, key)))
    }

    fn start_configured(auth: RegistryAuth, tls: Option<(&Path, &Path)>) -> Registry {
        require_tool("docker-registry", "docker-registry");
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
        let auth_yaml = match &auth {
            RegistryAuth::None => String::new(),
            RegistryAuth::Htpasswd { user, password } => {
                require_tool("python3", "python3");
                let hash = run_ok(Command::new("python3").args([
                    "-c",
                    "import crypt,sys; print(crypt.crypt(sys.argv[1], crypt.mksalt(crypt.METHOD_BLOWFISH)))",
                    password,
                ]));
                let file = dir.path().join("htpasswd");
                std::fs::write(&file, format!("{user}:{}\n", hash.trim())).unwrap();
                format!(
                    "auth:\n  htpasswd:\n    realm: consign-test\n    path: {}\n",
                    file.display()
                )
            }
            RegistryAuth::Token {
                realm,
                service,
                issuer,
                cert,
            } => format!(
                "auth:\n  token:\n    realm: {realm}\n    service: {service}\n    \
                 issuer: {issuer}\n    rootcertbundle: {}\n",
                cert.display()
            ),
        };
        let tls_yaml = match tls {
            None => String::new(),
            Some((cert, key)) => format!(
                "  tls:\n    certificate: {}\n    key: {}\n",
                cert.display(),
                key.display()
            ),
        };
        let config = dir.path().join("config.yml");
        let storage = dir.path().join("storage");
        std::fs::write(
            &config,
            format!(
                "version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\n\
                 storage:\n  filesystem:\n    rootdirectory: {}\n  delete:\n    enabled: true\n\
                 http:\n  addr: {addr}\n{tls_yaml}{auth_yaml}",
                storage.display()
            ),
        )
        .unwrap();
        let log = std::fs::File::create(dir.path().join("registry.log")).unwrap();
        let child = Command::new("docker-registry")
            .arg("serve")
            .arg(&config)
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("start docker-registry");
        let registry = Registry { child, addr, dir };
        registry.wait_ready();
        registry
    }

    fn wait_ready(&self) {
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(15) {
            if let Ok(mut s) = TcpStream::connect(self.addr) {
                let _ = s.write_all(b"GET /v2/ HTTP/1.0\r\n\r\n");
                let mut answer = String::new();
                let _ = s.read_to_string(&mut answer);
                // An HTTPS registry answers a plain request with 400.
                if ["HTTP/1.0 200", "HTTP/1.0 401", "HTTP/1.0 400"]
                    .iter()
                    .any(|status| answer.starts_with(status))
                {
                    return;
                }
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!(
            "docker-registry did not answer on {}: {}",
            self.addr,
            self.log()
        );
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("registry.log")).unwrap_or_default()
    }

    /// `127.0.0.1:<port>`.
    pub fn host(&self) -> String {
        self.addr.to_string()
    }

    pub fn client(&self) -> Client {
        client_for(&self.host(), ClientOptions::default())
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A plain-HTTP client with fast retries and no credentials from the environment.
pub fn client_for(host: &str, options: ClientOptions) -> Client {
    let options = options
        .plain_http(true)
        .credentials(Credentials::Anonymous)
        .retry(
            RetryPolicy::default()
                .base_delay(Duration::from_millis(20))
                .max_delay(Duration::from_millis(200))
                .deadline(Duration::from_secs(20)),
        );
    Client::new(host, options).unwrap()
}

/// Pseudo-random, incompressible bytes (xorshift), reproducible from `seed`.
pub fn noise(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        out.extend_from_slice(&x.to_le_bytes());
    }
    out.truncate(len);
    out
}

/// A gzip tar layer holding `hello.txt` and a `noise.bin` of `noise_len` bytes, written to
/// `dir/layer.tar.gz`.
pub fn make_layer(dir: &Path, noise_len: usize) -> PathBuf {
    let path = dir.join("layer.tar.gz");
    let file = std::fs::File::create(&path).unwrap();
    let gz = flate2::write::GzEncoder::new(file, flate2::Compression::fast());
    let mut tar = tar::Builder::new(gz);
    for (name, data) in [
        ("hello.txt", b"hello from consign\n".to_vec()),
        ("noise.bin", noise(noise_len, 7)),
    ] {
        let mut header = tar::Header::new_gnu();
        header.set_size(data.len() as u64);
        header.set_mode(0o644);
        header.set_mtime(1_700_000_000);
        header.set_cksum();
        tar.append_data(&mut header, name, data.as_slice()).unwrap();
    }
    tar.into_inner().unwrap().finish().unwrap();
    path
}

/// An OCI image manifest for `config` and `layers`, with optional subject / artifactType.
pub fn manifest_json(
    config: &Descriptor,
    layers: &[Descriptor],
    subject: Option<&Descriptor>,
    artifact_type: Option<&str>,
) -> Vec<u8> {
    let mut doc = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": config,
        "layers": layers,
    });
    if let Some(s) = subject {
        doc["subject"] = serde_json::to_value(s).unwrap();
    }
    if let Some(t) = artifact_type {
        doc["artifactType"] = serde_json::Value::from(t);
    }
    serde_json::to_vec_pretty(&doc).unwrap()
}

/// A pushed image: its parts.
pub struct TestImage {
    pub config: Descriptor,
    pub layer: Descriptor,
    pub layer_path: PathBuf,
    pub manifest: Vec<u8>,
}

/// An image of one layer with `noise_len` bytes of noise (config `{}`-like JSON).
pub fn test_image(dir: &Path, noise_len: usize) -> TestImage {
    let layer_path = make_layer(dir, noise_len);
    let layer_source = BlobSource::file_hashed(&layer_path).unwrap();
    let layer = Descriptor::new(
        MediaType::LayerGzip,
        *layer_source.digest(),
        layer_source.size(),
    );
    let config_bytes = config_json(&layer_path);
    let config = Descriptor::of(MediaType::ImageConfig, &config_bytes);
    std::fs::write(dir.join("config.json"), &config_bytes).unwrap();
    let manifest = manifest_json(&config, std::slice::from_ref(&layer), None, None);
    TestImage {
        config,
        layer,
        layer_path,
        manifest,
    }
}

/// A minimal image config whose diff_id is the digest of the uncompressed layer.
fn config_json(layer: &Path) -> Vec<u8> {
    let mut raw = Vec::new();
    flate2::read::GzDecoder::new(std::fs::File::open(layer).unwrap())
        .read_to_end(&mut raw)
        .unwrap();
    let diff_id = Digest::of(consign::core::Algorithm::Sha256, &raw);
    serde_json::to_vec(&serde_json::json!({
        "architecture": "amd64",
        "os": "linux",
        "rootfs": {"type": "layers", "diff_ids": [diff_id.to_string()]},
        "config": {},
    }))
    .unwrap()
}

impl TestImage {
    pub fn blobs(&self, dir: &Path) -> Vec<BlobSource> {
        vec![
            BlobSource::file(&self.layer_path, self.layer.digest, self.layer.size),
            BlobSource::file(
                dir.join("config.json"),
                self.config.digest,
                self.config.size,
            ),
        ]
    }
}

/// `skopeo inspect --raw` of a reference on a plain-HTTP registry.
pub fn skopeo_raw(reference: &str) -> Vec<u8> {
    require_tool("skopeo", "skopeo");
    let out = run(Command::new("skopeo").args([
        "inspect",
        "--raw",
        "--tls-verify=false",
        &format!("docker://{reference}"),
    ]));
    assert!(
        out.status.success(),
        "skopeo inspect {reference}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// The request line and header lines of the next request on `conn`, without their line ends;
/// `None` when the peer closed first. For the mock registries of the tests.
pub async fn read_head<R>(conn: &mut R) -> Option<Vec<String>>
where
    R: tokio::io::AsyncBufRead + Unpin,
{
    use tokio::io::AsyncBufReadExt;
    let mut head = Vec::new();
    loop {
        let mut line = String::new();
        if conn.read_line(&mut line).await.unwrap_or(0) == 0 {
            return None;
        }
        if line == "\r\n" {
            return Some(head);
        }
        head.push(line.trim_end().to_owned());
    }
}

/// Writes chunks of `x` (64 KiB each, 256 MiB at most, so a mock stops by itself) until the
/// peer stops reading; counts the bytes sent in `sent`. For mocks that answer with a body that
/// never ends.
pub async fn write_endless_chunks<W>(conn: &mut W, sent: &std::sync::atomic::AtomicU64)
where
    W: tokio::io::AsyncWrite + Unpin,
{
    use tokio::io::AsyncWriteExt;
    let chunk = vec![b'x'; 64 << 10];
    for _ in 0..4096 {
        let frame = [
            format!("{:x}\r\n", chunk.len()).into_bytes(),
            chunk.clone(),
            b"\r\n".to_vec(),
        ]
        .concat();
        if conn.write_all(&frame).await.is_err() {
            return;
        }
        sent.fetch_add(chunk.len() as u64, std::sync::atomic::Ordering::Relaxed);
    }
}
