//! Fault soak: images pushed and pulled through a proxy that injects about one fault in ten
//! requests (5xx, 429 with Retry-After, connection resets before and after the registry saw
//! part of a body, answers cut short), then every blob and manifest checked in the registry
//! itself by digest: nothing corrupt or missing, every failure a typed error. Bounded: a
//! fixed number of images, a few MiB each, fixed seeds.

// Test code: an unwrap that fails is a failing test.
#![allow(clippy::unwrap_used)]

mod common;
#[path = "registry/proxy.rs"]
mod proxy;
#[path = "registry/support.rs"]
mod support;

use std::time::Duration;

use consign::oci::registry::{BlobSource, Client, ClientOptions, Credentials, RetryPolicy};
use consign::oci::{Descriptor, Error, MediaType, Reference, Tag};
use proxy::{Fault, Proxy, Rule};
use support::{Registry, client_for, make_layer, manifest_json};

const IMAGES: usize = 24;

/// About one request in ten of every kind gets one of the faults.
fn rules() -> Vec<Rule> {
    let faults = [
        Fault::Status {
            code: 503,
            retry_after: None,
        },
        Fault::Status {
            code: 429,
            retry_after: Some("0".into()),
        },
        Fault::Status {
            code: 500,
            retry_after: None,
        },
        Fault::ResetBeforeForwarding { body_bytes: 4096 },
        Fault::ResetAfterForwarding { body_bytes: 65536 },
        Fault::TruncateAnswer { bytes: 40 },
        Fault::TruncateAnswer { bytes: 300 },
    ];
    let mut rules = Vec::new();
    for (m, method) in ["HEAD", "GET", "POST", "PATCH", "PUT"].iter().enumerate() {
        for (f, fault) in faults.iter().enumerate() {
            let seed = (m as u64 + 1) * 1_000 + f as u64;
            rules.push(Rule::new(method, "/v2/", fault.clone()).sometimes(70, seed));
        }
    }
    rules
}

fn patient(host: &str) -> Client {
    let options = ClientOptions::default()
        .plain_http(true)
        .credentials(Credentials::Anonymous)
        .chunk_size(256 << 10)
        .monolithic_max(256 << 10)
        .parallelism(3)
        .retry(
            RetryPolicy::default()
                .base_delay(Duration::from_millis(5))
                .max_delay(Duration::from_millis(50))
                .deadline(Duration::from_secs(60))
                .max_attempts(40),
        );
    Client::new(host, options).unwrap()
}

/// Pushes image `i` (one layer of a size that depends on `i`, its config, its manifest).
async fn push(client: &Client, dir: &std::path::Path, i: usize) -> Result<Descriptor, Error> {
    let dir = dir.join(format!("image-{i}"));
    std::fs::create_dir_all(&dir).unwrap();
    let layer_path = make_layer(&dir, (100 << 10) + i * (130 << 10));
    let layer_source = BlobSource::file_hashed(&layer_path)?;
    let layer = Descriptor::new(
        MediaType::LayerGzip,
        *layer_source.digest(),
        layer_source.size(),
    );
    let config_bytes = format!(r#"{{"architecture":"amd64","os":"linux","image":{i}}}"#);
    let config = Descriptor::of(MediaType::ImageConfig, config_bytes.as_bytes());
    let repo = consign::oci::Repository::new("soak/app")?;
    client
        .push_blobs(
            &repo,
            vec![layer_source, BlobSource::bytes(config_bytes.into_bytes())],
        )
        .await?;
    let manifest = manifest_json(&config, &[layer], None, None);
    let reference = Reference::with_tag(client.registry(), repo, Tag::new(&format!("v{i}"))?);
    let digest = client
        .push_manifest(&reference, &manifest, &MediaType::ImageManifest)
        .await?;
    Ok(Descriptor::new(
        MediaType::ImageManifest,
        digest,
        manifest.len() as u64,
    ))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pushes_and_pulls_through_injected_faults_leave_nothing_corrupt_or_missing() {
    let dir = tempfile::tempdir().unwrap();
    let registry = Registry::start();
    let proxy = Proxy::start(registry.addr, rules()).await;
    let faulty = patient(&proxy.host());

    let mut pushed = Vec::new();
    let mut failures = Vec::new();
    for i in 0..IMAGES {
        match push(&faulty, dir.path(), i).await {
            Ok(d) => pushed.push((i, d)),
            // Typed by construction; kept to be shown if too many.
            Err(e) => failures.push(format!("image {i}: {e}")),
        }
    }
    // Pulls through the proxy too: cut answers and resets are retried or typed errors.
    let mut pulled = 0;
    for (i, d) in &pushed {
        let reference: Reference = format!("{}/soak/app:v{i}", proxy.host()).parse().unwrap();
        match faulty.pull_manifest(&reference).await {
            Ok(m) => {
                assert_eq!(m.digest, d.digest, "image {i}");
                let target = dir.path().join(format!("pulled-{i}.json"));
                let manifest: consign::oci::Manifest = serde_json::from_slice(&m.bytes).unwrap();
                match faulty
                    .pull_blob_to_file(reference.repository(), &manifest.layers[0], &target)
                    .await
                {
                    Ok(_) => pulled += 1,
                    Err(e) => failures.push(format!("pull of layer {i}: {e}")),
                }
            }
            Err(e) => failures.push(format!("pull of image {i}: {e}")),
        }
    }
    let faults = proxy.faults();
    let requests = proxy.requests().len();
    eprintln!("{faults} faults injected in {requests} requests");
    assert!(
        faults * 20 >= requests as u64,
        "{faults} faults in {requests} requests"
    );
    assert!(faults >= 10, "only {faults} faults were injected");
    assert!(
        pushed.len() == IMAGES && pulled == IMAGES,
        "{faults} faults; failures: {failures:#?}"
    );

    // The registry itself, without the proxy: every manifest and blob by digest.
    let direct = client_for(&registry.host(), ClientOptions::default());
    for (i, d) in &pushed {
        let reference: Reference = format!("{}/soak/app:v{i}", registry.host())
            .parse()
            .unwrap();
        let m = direct.pull_manifest(&reference).await.unwrap();
        assert_eq!(m.digest, d.digest);
        let manifest: consign::oci::Manifest = serde_json::from_slice(&m.bytes).unwrap();
        for blob in std::iter::once(&manifest.config).chain(&manifest.layers) {
            let mut bytes = Vec::new();
            // Checks size and digest as it streams.
            direct
                .pull_blob(reference.repository(), blob, &mut bytes)
                .await
                .unwrap();
        }
    }
}
