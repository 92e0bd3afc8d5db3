//! Push an image from an OCI image layout to a registry.
//!
//! ```text
//! push [--plain-http] [--chunk-size BYTES] [--parallelism N] --layout DIR REFERENCE
//! ```
//!
//! The image (or index, with its child manifests) is the first entry of `DIR/index.json`, pushed
//! with what the layout attaches to it (`sha256-<hex>.sig` tags, referrers). Blobs the repository already has are
//! skipped, so a second push sends no blob bytes; the program prints what it sent. Credentials
//! come from the Docker config (`~/.docker/config.json`, `$DOCKER_CONFIG`). Plain HTTP is only
//! allowed for loopback registries (`127.0.0.1:5000/...`).

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use consign::oci::ops::push_layout;
use consign::oci::registry::{Client, ClientOptions};
use consign::oci::{OciLayout, Reference, Tag};

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

async fn push(args: Args) -> Result<(), Error> {
    let layout = OciLayout::open(&args.layout)?;
    let first = layout
        .index()?
        .manifests
        .into_iter()
        .next()
        .ok_or("index.json lists no manifest")?;
    let tags: Vec<Tag> = args.reference.tag().cloned().into_iter().collect();

    let started = Instant::now();
    let client = Client::for_reference(&args.reference, args.options)?;
    let summary = push_layout(
        &client,
        &layout,
        &first.digest.to_string(),
        &args.reference,
        &tags,
    )
    .await?;
    let elapsed = started.elapsed();
    let stats = client.stats();
    println!(
        "pushed {}/{}@{}",
        args.reference.registry(),
        args.reference.repository(),
        summary.descriptor.digest
    );
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
