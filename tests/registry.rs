//! The registry client against a real registry: `docker-registry` (distribution 2.8) on a
//! loopback port, with `skopeo` reading back what was pushed, and a fault-injecting proxy in
//! between for the retry and resume paths.

// Test code: an unwrap that fails is a failing test.
#![allow(clippy::unwrap_used)]

mod common;
#[path = "registry/proxy.rs"]
mod proxy;
#[path = "registry/support.rs"]
mod support;

use std::process::Command;
use std::time::{Duration, Instant};

use common::run_ok;
use consign::core::{Algorithm, Digest, hash_file};
use consign::oci::registry::{
    BlobOutcome, BlobSource, ClientOptions, RegistryError, RetryPolicy, referrers_tag,
};
use consign::oci::{Descriptor, Error, MediaType, Reference, Repository};
use proxy::{Fault, Proxy, Rule};
use support::{Registry, client_for, manifest_json, noise, skopeo_raw, test_image};

fn repo(name: &str) -> Repository {
    Repository::new(name).unwrap()
}

fn reference(host: &str, path: &str) -> Reference {
    format!("{host}/{path}").parse().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pushed_image_is_read_by_skopeo_and_a_repush_sends_no_blob() {
    let registry = Registry::start();
    let dir = tempfile::tempdir().unwrap();
    let image = test_image(dir.path(), 300_000);
    let client = registry.client();
    let repo = repo("acme/tool");

    let pushed = client
        .push_blobs(&repo, image.blobs(dir.path()))
        .await
        .unwrap();
    assert!(pushed.iter().all(|p| p.outcome == BlobOutcome::Uploaded));
    let tagged = reference(&registry.host(), "acme/tool:1.0");
    let digest = client
        .push_manifest(&tagged, &image.manifest, &MediaType::ImageManifest)
        .await
        .unwrap();
    assert_eq!(digest, Digest::of(Algorithm::Sha256, &image.manifest));

    // skopeo sees our bytes exactly, and copies the image out verifying every blob.
    assert_eq!(skopeo_raw(&tagged.to_string()), image.manifest);
    let layout = dir.path().join("layout");
    run_ok(Command::new("skopeo").args([
        "copy",
        "--src-tls-verify=false",
        &format!("docker://{tagged}"),
        &format!("oci:{}:copied", layout.display()),
    ]));
    let copied_layer = layout.join("blobs/sha256").join(image.layer.digest.hex());
    let copied = hash_file(&copied_layer, &[Algorithm::Sha256]).unwrap();
    assert_eq!(copied.sha256(), Some(&image.layer.digest));
    let copied_manifest = layout.join("blobs/sha256").join(digest.hex());
    assert_eq!(std::fs::read(copied_manifest).unwrap(), image.manifest);

    // Our own reads: by tag, by digest, HEAD, a blob to a file.
    let fetched = client.pull_manifest(&tagged).await.unwrap();
    assert_eq!(fetched.bytes, image.manifest);
    assert_eq!(fetched.media_type, MediaType::ImageManifest);
    assert_eq!(fetched.digest, digest);
    let by_digest = client
        .pull_manifest(&tagged.at_digest(digest))
        .await
        .unwrap();
    assert_eq!(by_digest.bytes, image.manifest);
    let head = client.manifest_descriptor(&tagged).await.unwrap().unwrap();
    assert_eq!(head, fetched.descriptor());
    let missing = reference(&registry.host(), "acme/tool:nope");
    assert_eq!(client.manifest_descriptor(&missing).await.unwrap(), None);
    assert!(
        client
            .pull_manifest(&missing)
            .await
            .unwrap_err()
            .is_not_found()
    );
    let out = dir.path().join("pulled-layer");
    let n = client
        .pull_blob_to_file(&repo, &image.layer, &out)
        .await
        .unwrap();
    assert_eq!(n, image.layer.size);
    assert_eq!(
        std::fs::read(&out).unwrap(),
        std::fs::read(&image.layer_path).unwrap()
    );

    // A blob whose descriptor lies about its digest is refused and leaves no file behind.
    let mut lying = image.layer.clone();
    lying.digest = image.config.digest;
    lying.size = image.layer.size;
    let out2 = dir.path().join("bad");
    let err = client
        .pull_blob_to_file(&repo, &lying, &out2)
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::Registry(
                RegistryError::SizeMismatch { .. } | RegistryError::DigestMismatch { .. }
            )
        ),
        "{err}"
    );
    assert!(!out2.exists());

    // A re-push sends no blob bytes.
    let sent = client.stats().blob_bytes_sent;
    assert_eq!(sent, image.layer.size + image.config.size);
    let again = client
        .push_blobs(&repo, image.blobs(dir.path()))
        .await
        .unwrap();
    assert!(again.iter().all(|p| p.outcome == BlobOutcome::Existed));
    assert_eq!(client.stats().blob_bytes_sent, sent);
    assert_eq!(client.stats().blobs_skipped, 2);

    // Tags.
    let second = reference(&registry.host(), "acme/tool:1.1");
    client
        .push_manifest(&second, &image.manifest, &MediaType::ImageManifest)
        .await
        .unwrap();
    let mut tags: Vec<String> = client
        .list_tags(&repo)
        .await
        .unwrap()
        .iter()
        .map(|t| t.to_string())
        .collect();
    tags.sort();
    assert_eq!(tags, ["1.0", "1.1"]);
    assert!(
        client
            .list_tags(&self::repo("acme/none"))
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chunked_upload_and_cross_repository_mount() {
    let registry = Registry::start();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.bin");
    let bytes = noise(5 * 1024 * 1024 + 123, 3);
    std::fs::write(&path, &bytes).unwrap();
    let client = client_for(
        &registry.host(),
        ClientOptions::default()
            .chunk_size(1024 * 1024)
            .monolithic_max(0),
    );
    let source = BlobSource::file_hashed(&path).unwrap();
    let descriptor = Descriptor::new(MediaType::Layer, *source.digest(), source.size());
    let pushed = client.push_blob(&repo("base/big"), source).await.unwrap();
    assert_eq!(pushed.outcome, BlobOutcome::Uploaded);
    assert_eq!(client.stats().blob_bytes_sent, bytes.len() as u64);

    // The registry committed it under our digest: read it back.
    let mut back = Vec::new();
    client
        .pull_blob(&repo("base/big"), &descriptor, &mut back)
        .await
        .unwrap();
    assert_eq!(back, bytes);

    // Mounting into another repository sends nothing.
    let mount =
        BlobSource::file(&path, descriptor.digest, descriptor.size).mount_from(repo("base/big"));
    let mounted = client.push_blob(&repo("app/big"), mount).await.unwrap();
    assert_eq!(mounted.outcome, BlobOutcome::Mounted);
    assert_eq!(client.stats().blob_bytes_sent, bytes.len() as u64);
    assert!(
        client
            .blob_exists(&repo("app/big"), &descriptor.digest)
            .await
            .unwrap()
    );
    // Readers, blocking and async, streamed once in one request.
    let small = noise(200_000, 5);
    let small_digest = Digest::of(Algorithm::Sha256, &small);
    let from_sync = BlobSource::sync_reader(
        std::io::Cursor::new(small.clone()),
        small_digest,
        small.len() as u64,
    );
    let pushed = client
        .push_blob(&repo("app/readers"), from_sync)
        .await
        .unwrap();
    assert_eq!(pushed.outcome, BlobOutcome::Uploaded);
    let from_async = BlobSource::reader(
        tokio::fs::File::open(&path).await.unwrap(),
        descriptor.digest,
        descriptor.size,
    );
    let pushed = client
        .push_blob(&repo("app/readers"), from_async)
        .await
        .unwrap();
    assert_eq!(pushed.outcome, BlobOutcome::Uploaded);
    for d in [
        Descriptor::new(MediaType::Layer, small_digest, small.len() as u64),
        descriptor.clone(),
    ] {
        let mut back = Vec::new();
        client
            .pull_blob(&repo("app/readers"), &d, &mut back)
            .await
            .unwrap();
        assert_eq!(Digest::of(Algorithm::Sha256, &back), d.digest);
    }
    // A reader shorter than announced fails; the registry keeps nothing.
    let short = BlobSource::sync_reader(std::io::Cursor::new(vec![1u8; 10]), small_digest, 11);
    assert!(client.push_blob(&repo("app/short"), short).await.is_err());
    assert!(
        !client
            .blob_exists(&repo("app/short"), &small_digest)
            .await
            .unwrap()
    );

    // A source repository without the blob: the registry opens an upload instead.
    let fallback = BlobSource::bytes(b"not elsewhere".to_vec()).mount_from(repo("base/big"));
    let pushed = client.push_blob(&repo("app/big"), fallback).await.unwrap();
    assert_eq!(pushed.outcome, BlobOutcome::Uploaded);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn referrers_fall_back_to_the_tag_schema_on_registry_2_8() {
    let registry = Registry::start();
    let dir = tempfile::tempdir().unwrap();
    let image = test_image(dir.path(), 1000);
    let client = registry.client();
    let repo = repo("acme/signed");
    client
        .push_blobs(&repo, image.blobs(dir.path()))
        .await
        .unwrap();
    let tagged = reference(&registry.host(), "acme/signed:1.0");
    let subject_digest = client
        .push_manifest(&tagged, &image.manifest, &MediaType::ImageManifest)
        .await
        .unwrap();
    let subject = Descriptor::of(MediaType::ImageManifest, &image.manifest);
    assert_eq!(subject.digest, subject_digest);

    // Two artifacts about the image, pushed by digest (no tag of their own).
    let empty = BlobSource::bytes(b"{}".to_vec());
    let empty_d = Descriptor::new(MediaType::Empty, *empty.digest(), empty.size());
    client.push_blob(&repo, empty).await.unwrap();
    let mut digests = Vec::new();
    for (kind, payload) in [
        ("application/vnd.example.signature", b"sig".as_slice()),
        ("application/vnd.example.sbom", b"sbom".as_slice()),
    ] {
        let blob = BlobSource::bytes(payload.to_vec());
        let layer = Descriptor::new(MediaType::Other(kind.into()), *blob.digest(), blob.size());
        client.push_blob(&repo, blob).await.unwrap();
        let manifest = manifest_json(&empty_d, &[layer], Some(&subject), Some(kind));
        let digest = Digest::of(Algorithm::Sha256, &manifest);
        let pushed = client
            .push_manifest(
                &tagged.at_digest(digest),
                &manifest,
                &MediaType::ImageManifest,
            )
            .await
            .unwrap();
        assert_eq!(pushed, digest);
        digests.push(digest);
    }

    // skopeo reads the referrers tag: an index listing both, with their artifact types.
    let tag = referrers_tag(&subject_digest).unwrap();
    let raw = skopeo_raw(&format!("{}/acme/signed:{tag}", registry.host()));
    let index: serde_json::Value = serde_json::from_slice(&raw).unwrap();
    assert_eq!(index["mediaType"], MediaType::ImageIndex.as_str());
    let listed: Vec<&str> = index["manifests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["digest"].as_str().unwrap())
        .collect();
    assert_eq!(listed, [digests[0].to_string(), digests[1].to_string()]);
    assert_eq!(
        index["manifests"][0]["artifactType"],
        "application/vnd.example.signature"
    );

    // And the client reads them back (the registry has no referrers API: 404, then the tag).
    let all = client
        .referrers(&repo, &subject_digest, None)
        .await
        .unwrap();
    assert_eq!(
        all.iter().map(|d| d.digest).collect::<Vec<_>>(),
        digests.clone()
    );
    let sboms = client
        .referrers(
            &repo,
            &subject_digest,
            Some(&MediaType::from("application/vnd.example.sbom")),
        )
        .await
        .unwrap();
    assert_eq!(sboms.len(), 1);
    assert_eq!(sboms[0].digest, digests[1]);
    let none = client
        .referrers(&repo, &image.config.digest, None)
        .await
        .unwrap();
    assert!(none.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pushes_complete_through_resets_500s_and_429s() {
    let registry = Registry::start();
    let dir = tempfile::tempdir().unwrap();
    let image = test_image(dir.path(), 3 * 1024 * 1024);
    let proxy = Proxy::start(
        registry.addr,
        vec![
            // The first upload session request fails with 500.
            Rule::new(
                "POST",
                "/blobs/uploads/",
                Fault::Status {
                    code: 500,
                    retry_after: None,
                },
            ),
            // The third chunk drops before the registry sees it: resume from its range.
            Rule::new(
                "PATCH",
                "/blobs/uploads/",
                Fault::ResetBeforeForwarding {
                    body_bytes: 100_000,
                },
            )
            .nth(3),
            // The sixth chunk drops after the registry got part of it.
            Rule::new(
                "PATCH",
                "/blobs/uploads/",
                Fault::ResetAfterForwarding {
                    body_bytes: 200_000,
                },
            )
            .nth(6),
            // The manifest is throttled once, for a second.
            Rule::new(
                "PUT",
                "/manifests/",
                Fault::Status {
                    code: 429,
                    retry_after: Some("1".into()),
                },
            ),
            // A blob existence check is answered 503 twice.
            Rule::new(
                "HEAD",
                "/blobs/",
                Fault::Status {
                    code: 503,
                    retry_after: None,
                },
            )
            .times(2),
        ],
    )
    .await;
    let client = client_for(
        &proxy.host(),
        ClientOptions::default()
            .chunk_size(512 * 1024)
            .monolithic_max(0)
            .parallelism(2),
    );
    let repo = repo("acme/faulty");
    let pushed = client
        .push_blobs(&repo, image.blobs(dir.path()))
        .await
        .unwrap();
    assert!(pushed.iter().all(|p| p.outcome == BlobOutcome::Uploaded));
    let tagged = reference(&proxy.host(), "acme/faulty:1.0");
    let started = Instant::now();
    client
        .push_manifest(&tagged, &image.manifest, &MediaType::ImageManifest)
        .await
        .unwrap();
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "Retry-After ignored"
    );
    let stats = client.stats();
    assert!(proxy.faults() >= 6, "faults injected: {}", proxy.faults());
    assert!(stats.retries >= 5, "{stats:?}");
    assert!(stats.resumes + stats.restarts >= 2, "{stats:?}");

    // Straight from the registry: skopeo copies the image, verifying every digest.
    let direct = reference(&registry.host(), "acme/faulty:1.0");
    assert_eq!(skopeo_raw(&direct.to_string()), image.manifest);
    let layout = dir.path().join("layout");
    run_ok(Command::new("skopeo").args([
        "copy",
        "--src-tls-verify=false",
        &format!("docker://{direct}"),
        &format!("oci:{}:copied", layout.display()),
    ]));
    let copied = hash_file(
        layout.join("blobs/sha256").join(image.layer.digest.hex()),
        &[Algorithm::Sha256],
    )
    .unwrap();
    assert_eq!(copied.sha256(), Some(&image.layer.digest));

    // A re-push through the proxy sends no blob bytes.
    let forwarded = proxy.upload_bytes();
    proxy.set_rules(Vec::new());
    let again = client
        .push_blobs(&repo, image.blobs(dir.path()))
        .await
        .unwrap();
    assert!(again.iter().all(|p| p.outcome == BlobOutcome::Existed));
    assert_eq!(proxy.upload_bytes(), forwarded);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_chunk_reset_before_the_registry_sees_it_resumes_from_the_reported_range() {
    let registry = Registry::start();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("blob.bin");
    let bytes = noise(4 * 1024 * 1024, 11);
    std::fs::write(&path, &bytes).unwrap();
    let proxy = Proxy::start(
        registry.addr,
        vec![
            Rule::new(
                "PATCH",
                "/blobs/uploads/",
                Fault::ResetBeforeForwarding {
                    body_bytes: 64 * 1024,
                },
            )
            .nth(2),
        ],
    )
    .await;
    let client = client_for(
        &proxy.host(),
        ClientOptions::default()
            .chunk_size(1024 * 1024)
            .monolithic_max(0),
    );
    let source = BlobSource::file_hashed(&path).unwrap();
    let digest = *source.digest();
    client
        .push_blob(&repo("acme/resume"), source)
        .await
        .unwrap();
    let stats = client.stats();
    assert_eq!((stats.resumes, stats.restarts), (1, 0), "{stats:?}");
    // Every byte reached the registry once: the resumed chunk was not sent twice.
    assert_eq!(proxy.upload_bytes(), bytes.len() as u64);
    let requests = proxy.requests();
    assert!(
        requests
            .iter()
            .any(|r| r.starts_with("GET /v2/acme/resume/blobs/uploads/")),
        "no upload status request: {requests:?}"
    );
    let mut back = Vec::new();
    let d = Descriptor::new(MediaType::Layer, digest, bytes.len() as u64);
    registry
        .client()
        .pull_blob(&repo("acme/resume"), &d, &mut back)
        .await
        .unwrap();
    assert_eq!(back, bytes);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_deadline_names_the_blob_and_the_last_status() {
    let registry = Registry::start();
    let proxy = Proxy::start(
        registry.addr,
        vec![
            Rule::new(
                "HEAD",
                "/blobs/",
                Fault::Status {
                    code: 503,
                    retry_after: None,
                },
            )
            .times(u64::MAX / 2),
        ],
    )
    .await;
    let client = consign::oci::registry::Client::new(
        &proxy.host(),
        ClientOptions::default()
            .plain_http(true)
            .credentials(consign::oci::registry::Credentials::Anonymous)
            .retry(
                RetryPolicy::default()
                    .base_delay(Duration::from_millis(50))
                    .max_delay(Duration::from_millis(200))
                    .deadline(Duration::from_secs(1))
                    .max_attempts(100),
            ),
    )
    .unwrap();
    let blob = BlobSource::bytes(b"never arrives".to_vec());
    let digest = *blob.digest();
    let started = Instant::now();
    let err = client
        .push_blob(&repo("acme/slow"), blob)
        .await
        .unwrap_err();
    let text = err.to_string();
    assert!(
        matches!(err, Error::Registry(RegistryError::GaveUp { .. })),
        "{text}"
    );
    assert!(text.contains(&digest.to_string()), "{text}");
    assert!(text.contains("503"), "{text}");
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    assert!(proxy.faults() >= 4, "{}", proxy.faults());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_retry_budget_applies_per_chunk_not_per_blob() {
    let registry = Registry::start();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("blob.bin");
    std::fs::write(&path, noise(1024 * 1024, 13)).unwrap();
    // 16 chunks with 2 attempts each: a failure late in the upload is still retried.
    let proxy = Proxy::start(
        registry.addr,
        vec![
            Rule::new(
                "PATCH",
                "/blobs/uploads/",
                Fault::Status {
                    code: 502,
                    retry_after: None,
                },
            )
            .nth(12),
        ],
    )
    .await;
    let client = consign::oci::registry::Client::new(
        &proxy.host(),
        ClientOptions::default()
            .plain_http(true)
            .credentials(consign::oci::registry::Credentials::Anonymous)
            .chunk_size(64 * 1024)
            .monolithic_max(0)
            .retry(
                RetryPolicy::default()
                    .base_delay(Duration::from_millis(10))
                    .max_attempts(2),
            ),
    )
    .unwrap();
    let source = BlobSource::file_hashed(&path).unwrap();
    let pushed = client
        .push_blob(&repo("acme/budget"), source)
        .await
        .unwrap();
    assert_eq!(pushed.outcome, BlobOutcome::Uploaded);
    assert_eq!(proxy.faults(), 1);
    assert_eq!(client.stats().resumes, 1);
}
