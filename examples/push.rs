//! Push an image from an OCI image layout to a registry.
//!
//! ```text
//! push [--plain-http] [--chunk-size BYTES] [--parallelism N] --layout DIR REFERENCE
//! ```
//!
//! The image is the first manifest in `DIR/index.json`. Blobs the repository already has are
//! skipped, so a second push sends no blob bytes; the program prints what it sent. Credentials
//! come from the Docker config (`~/.docker/config.json`, `$DOCKER_CONFIG`). Plain HTTP is only
//! allowed for loopback registries (`127.0.0.1:5000/...`).

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use consign::core::Digest;
use consign::oci::registry::{BlobSource, Client, ClientOptions};
use consign::oci::{MediaType, Reference};
use serde_json::Value;

type Error = Box<dyn std::error::Error + Send + Sync>;

struct Args {
    layout: PathBuf,
    reference: Reference,
    options: ClientOptions,
}

fn parse_args() -> Result<Args, Error> {
    let mut layout = None;
    let mut reference = None;
    let mut options = ClientOptions::default();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = |name: &str| args.next().ok_or(format!("{name} needs a value"));
        match arg.as_str() {
            "--layout" => layout = Some(PathBuf::from(value("--layout")?)),
            "--plain-http" => options = options.plain_http(true),
            "--chunk-size" => options = options.chunk_size(value("--chunk-size")?.parse()?),
            "--parallelism" => options = options.parallelism(value("--parallelism")?.parse()?),
            "-h" | "--help" => {
                return Err("usage: push [--plain-http] [--chunk-size BYTES] \
                            [--parallelism N] --layout DIR REFERENCE"
                    .into());
            }
            other if reference.is_none() && !other.starts_with('-') => {
                reference = Some(other.parse::<Reference>()?)
            }
            other => return Err(format!("unexpected argument {other:?}").into()),
        }
    }
    Ok(Args {
        layout: layout.ok_or("--layout DIR is required")?,
        reference: reference.ok_or("a REFERENCE (registry/repository:tag) is required")?,
        options,
    })
}

fn blob_path(layout: &Path, digest: &Digest) -> PathBuf {
    layout
        .join("blobs")
        .join(digest.algorithm().name())
        .join(digest.hex())
}

/// A descriptor's digest and size from JSON.
fn digest_and_size(d: &Value) -> Result<(Digest, u64), Error> {
    let digest = d["digest"].as_str().ok_or("descriptor without digest")?;
    let size = d["size"].as_u64().ok_or("descriptor without size")?;
    Ok((digest.parse()?, size))
}

async fn push(args: Args) -> Result<(), Error> {
    let index: Value = serde_json::from_slice(&std::fs::read(args.layout.join("index.json"))?)?;
    let entry = index["manifests"]
        .get(0)
        .ok_or("index.json lists no manifest")?;
    let (manifest_digest, _) = digest_and_size(entry)?;
    let media_type = MediaType::from(entry["mediaType"].as_str().unwrap_or_default());
    let manifest = std::fs::read(blob_path(&args.layout, &manifest_digest))?;
    let doc: Value = serde_json::from_slice(&manifest)?;
    let mut blobs = Vec::new();
    let layers = doc["layers"].as_array().cloned().unwrap_or_default();
    for d in std::iter::once(&doc["config"]).chain(layers.iter()) {
        let (digest, size) = digest_and_size(d)?;
        blobs.push(BlobSource::file(
            blob_path(&args.layout, &digest),
            digest,
            size,
        ));
    }

    let started = Instant::now();
    let client = Client::for_reference(&args.reference, args.options)?;
    let repo = args.reference.repository();
    client.push_blobs(repo, blobs).await?;
    let digest = client
        .push_manifest(&args.reference, &manifest, &media_type)
        .await?;
    let elapsed = started.elapsed();
    let stats = client.stats();
    println!("pushed {}@{digest}", args.reference);
    println!(
        "{} blob bytes sent, {} blobs uploaded, {} skipped, {} mounted, {} retries in {:.3} s",
        stats.blob_bytes_sent,
        stats.blobs_uploaded,
        stats.blobs_skipped,
        stats.blobs_mounted,
        stats.retries,
        elapsed.as_secs_f64()
    );
    Ok(())
}

fn main() -> ExitCode {
    let result = parse_args().and_then(|args| {
        tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()?
            .block_on(push(args))
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("push: {e}");
            ExitCode::FAILURE
        }
    }
}
