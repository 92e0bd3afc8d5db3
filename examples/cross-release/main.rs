//! Cross-target release: a tarball with its SHA-256 per target, multi-arch images, and SLSA
//! provenance for the binaries and for the images, recorded in a draft release manifest.
//!
//! ```text
//! cross-release --version VERSION --target TRIPLE[=PROGRAM]... [--registry HOST/REPO]
//!               [--cosign-key FILE] [--out DIR]
//! ```
//!
//! It does in-process what a cross-build release workflow does with a build matrix, a
//! triple-to-architecture renaming script, `tar` + `sha256sum`, `docker buildx` for
//! `linux/amd64,linux/arm64` and a provenance generator:
//!
//! - **Programs**: for each `--target` (e.g. `x86_64-unknown-linux-musl`,
//!   `aarch64-unknown-linux-musl`), the given PROGRAM, or `consign-sums` built for it with
//!   `cargo zigbuild` when installed, else `cargo build --target` (which needs the target's
//!   standard library and a linker for it). A program whose header names another machine than
//!   its target is refused.
//! - **Tarballs**: `OUT/consign-sums-VERSION-TRIPLE.tar.gz` (the program, README and licenses
//!   under one directory) and `OUT/consign-sums-VERSION-TRIPLE.tar.gz.sha256` (sha256sum
//!   format, checked with `sha256sum -c`).
//! - **Images**: one image per target, named by its architecture (`x86_64-…` → `amd64`,
//!   `aarch64-…` → `arm64`), and the index naming them, in `OUT/oci` (tagged `VERSION`, each
//!   image `VERSION-<arch>`); with `--registry`, pushed under the release's tags (`1.2.3`,
//!   `1.2`, `1`).
//! - **Provenance**: `OUT/consign-sums-VERSION.intoto.jsonl`, one signed SLSA v1 statement
//!   whose subjects are the tarballs; and one whose subjects are the index and its images,
//!   attached to the index (in the registry with `--registry`, else in the layout).
//! - **Draft release**: `OUT/release.json` lists every file with its digests and the images
//!   with their tags, platforms and attachments.
//!
//! The provenance is signed with `--cosign-key` (or `$COSIGN_KEY`, passphrase in
//! `$COSIGN_PASSWORD`), else a throwaway key; its public key is `OUT/cosign.pub`.

#[path = "../release/target.rs"]
mod target;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use consign::core::{
    Algorithm, Artifact, ArtifactKind, ArtifactWriter, ChecksumEntry, Entry, FileTree, ImageRecord,
    Platform, ReleaseManifest, SourceDate, Style,
};
use consign::oci::attach::{Attachment, Attachments, Kind};
use consign::oci::ops::push_layout;
use consign::oci::registry::{Client, ClientOptions};
use consign::oci::store::RegistryStore;
use consign::oci::tags::{BuildRef, TagOptions};
use consign::oci::{OciLayout, ProgramImages, Reference, Tag, WrittenImages, annotation};
use consign::package::{Archive, ArchiveFormat, ArchiveOptions};
use consign::sign::attest::{
    Envelope, JsonlWriter, Provenance, SLSA_PROVENANCE_V1, Statement, Subject,
};
use consign::sign::cosign::{self, CosignKey, CosignSigner};

type Error = Box<dyn std::error::Error + Send + Sync>;

const NAME: &str = "consign-sums";

const BUILD_TYPE: &str = "https://github.com/consign-rs/consign/examples/cross-release/v1";

const USAGE: &str = "usage: cross-release --version VERSION --target TRIPLE[=PROGRAM]... \
                     [--registry HOST/REPO] [--cosign-key FILE] [--out DIR]";

fn workspace_root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

struct Args {
    version: String,
    targets: Vec<(Platform, Option<PathBuf>)>,
    registry: Option<Reference>,
    cosign_key: Option<PathBuf>,
    out: PathBuf,
}

fn parse_args() -> Result<Args, Error> {
    let (mut version, mut registry, mut cosign_key) = (None, None, None);
    let mut targets = Vec::new();
    let mut out = PathBuf::from("dist");
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || args.next().ok_or(format!("{arg} needs a value"));
        match arg.as_str() {
            "--version" => version = Some(value()?),
            "--target" => {
                let text = value()?;
                let (triple, program) = match text.split_once('=') {
                    Some((triple, path)) => (triple.to_owned(), Some(PathBuf::from(path))),
                    None => (text, None),
                };
                let platform: Platform = triple
                    .parse()
                    .map_err(|e| format!("--target {triple}: {e}"))?;
                targets.push((platform, program));
            }
            "--registry" => {
                let text = value()?;
                let last = text.rsplit_once('/').map_or(text.as_str(), |(_, l)| l);
                if last.contains(':') || last.contains('@') {
                    return Err(format!("--registry {text:?}: give HOST[:PORT]/REPO").into());
                }
                registry = Some(text.parse::<Reference>()?);
            }
            "--cosign-key" => cosign_key = Some(PathBuf::from(value()?)),
            "--out" => out = PathBuf::from(value()?),
            _ => return Err(format!("unexpected argument {arg:?}\n{USAGE}").into()),
        }
    }
    if targets.is_empty() {
        return Err(format!("give at least one --target\n{USAGE}").into());
    }
    Ok(Args {
        version: version.ok_or(USAGE)?,
        targets,
        registry,
        cosign_key: cosign_key.or_else(|| std::env::var_os("COSIGN_KEY").map(PathBuf::from)),
        out,
    })
}

fn main() -> ExitCode {
    match parse_args().and_then(release) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("cross-release: {e}");
            ExitCode::FAILURE
        }
    }
}

fn release(args: Args) -> Result<(), Error> {
    let date = match SourceDate::from_env()? {
        Some(date) => date,
        None => SourceDate::from_git(workspace_root(), "HEAD")?,
    };
    std::fs::create_dir_all(&args.out)?;
    let key = match &args.cosign_key {
        Some(path) => CosignKey::read(path, cosign::Passphrase::from_env().as_ref())?,
        None => {
            eprintln!("cross-release: no cosign key given: signing with a throwaway key");
            CosignKey::generate()?
        }
    };
    std::fs::write(args.out.join("cosign.pub"), key.public_key().to_pem())?;
    let signer = CosignSigner::new(key, "cosign");
    let mut manifest = ReleaseManifest::new(NAME, &args.version, date);

    // Programs and tarballs.
    let mut images = ProgramImages::new(NAME, date)
        .annotation(annotation::VERSION, args.version.as_str())
        .file(
            format!("usr/share/doc/{NAME}/LICENSE-MIT"),
            Entry::file(workspace_root().join("LICENSE-MIT"))?.mode(0o644),
        );
    let mut tarballs = Vec::new();
    for (platform, given) in &args.targets {
        let program = match given {
            Some(path) => path.clone(),
            None => target::build_program(platform)?,
        };
        target::check_program(&program, platform)?;
        let tarball = write_tarball(&args, &program, platform, date)?;
        let (sidecar, text) =
            ChecksumEntry::new(&tarball.name, sha256(&tarball)?).sidecar(Style::Gnu);
        std::fs::write(args.out.join(&sidecar), &text)?;
        manifest.add(Artifact::from_file(
            &args.out,
            &sidecar,
            ArtifactKind::Checksums,
            &[Algorithm::Sha256],
        )?)?;
        let tarball = tarball.with_attachment(sidecar.as_str());
        println!("{} ({} bytes), {sidecar}", tarball.name, tarball.size);
        tarballs.push(tarball);
        images = images.program(platform, &program)?;
    }

    // Provenance of the binaries.
    let subjects = tarballs
        .iter()
        .map(Subject::from_artifact)
        .collect::<Result<Vec<_>, _>>()?;
    let provenance = provenance(&args)?;
    let envelope = Envelope::sign_statement(&Statement::new(subjects, &provenance)?, &signer)?;
    let jsonl_name = format!("{NAME}-{}.intoto.jsonl", args.version);
    let mut jsonl = JsonlWriter::new(Vec::new());
    jsonl.write(&envelope)?;
    std::fs::write(args.out.join(&jsonl_name), jsonl.finish()?)?;
    manifest.add(Artifact::from_file(
        &args.out,
        &jsonl_name,
        ArtifactKind::Attestation,
        &[Algorithm::Sha256],
    )?)?;
    for tarball in tarballs {
        manifest.add(tarball.with_attachment(jsonl_name.as_str()))?;
    }

    // Images, their provenance, and the registry.
    let layout = OciLayout::create(args.out.join("oci"))?;
    let version_tag = Tag::new(&args.version)?;
    let written = images.write_to(&layout, &version_tag)?;
    let image_subjects: Vec<Subject> = std::iter::once(&written.index)
        .chain(&written.images)
        .map(|d| Subject::new(format!("{NAME}@{}", d.digest), &d.digest))
        .collect();
    let image_provenance =
        Envelope::sign_statement(&Statement::new(image_subjects, &provenance)?, &signer)?;
    let attestation = Attachments::new(Kind::Attestations).push(Attachment::attestation(
        image_provenance.to_json().into_bytes(),
        SLSA_PROVENANCE_V1,
    ));
    let record = match &args.registry {
        Some(registry) => publish(
            registry,
            &layout,
            &version_tag,
            &args.version,
            &written,
            attestation,
        )?,
        None => {
            let (attached, _) = attestation.write_to(&layout, &written.index)?;
            ImageRecord::new(
                args.out.join("oci").display().to_string(),
                written.index.digest,
            )
            .tag(version_tag.as_str())
            .attachment(attached.digest)
        }
    };
    let record = args
        .targets
        .iter()
        .fold(record.index(), |r, (p, _)| r.platform(p.oci_platform()));
    manifest.add_image(record);
    std::fs::write(args.out.join("release.json"), manifest.to_json())?;
    println!(
        "draft release {NAME} {}: {} files, index {}",
        args.version,
        manifest.artifacts().count(),
        written.index.digest
    );
    Ok(())
}

/// `OUT/consign-sums-VERSION-TRIPLE.tar.gz`: the program, README and licenses.
fn write_tarball(
    args: &Args,
    program: &Path,
    platform: &Platform,
    date: SourceDate,
) -> Result<Artifact, Error> {
    let mut tree = FileTree::new();
    tree.insert(NAME, Entry::file(program)?.mode(0o755))?;
    for doc in ["README.md", "LICENSE-MIT", "LICENSE-APACHE"] {
        tree.insert(doc, Entry::file(workspace_root().join(doc))?.mode(0o644))?;
    }
    let stem = format!("{NAME}-{}-{}", args.version, platform.rust_target());
    let archive = Archive::new(ArchiveFormat::TarGz, &tree, date)
        .top_level_dir(&stem)?
        .platform(*platform)
        .options(ArchiveOptions::default().algorithms(&[Algorithm::Sha256]));
    let (artifact, _) = archive.write_into(&args.out)?;
    Ok(artifact)
}

fn sha256(artifact: &Artifact) -> Result<consign::core::Digest, Error> {
    Ok(*artifact
        .digests
        .get(Algorithm::Sha256)
        .ok_or("the tarball's SHA-256 was not computed")?)
}

/// SLSA provenance of this run: GitHub Actions' when run there, else this program's.
fn provenance(args: &Args) -> Result<Provenance, Error> {
    let env: BTreeMap<String, String> = std::env::vars().collect();
    let provenance = match Provenance::from_github_actions(&env)? {
        Some(p) => p,
        None => Provenance::new(
            BUILD_TYPE,
            format!(
                "https://github.com/consign-rs/consign/examples/cross-release@{}",
                env!("CARGO_PKG_VERSION")
            ),
        ),
    };
    let targets: Vec<String> = args.targets.iter().map(|(p, _)| p.rust_target()).collect();
    Ok(provenance
        .external_parameter("version", args.version.as_str())
        .external_parameter("targets", targets))
}

/// Pushes the index (with its images) under the release tags and attaches the image
/// provenance to it in the registry.
fn publish(
    registry: &Reference,
    layout: &OciLayout,
    version_tag: &Tag,
    version: &str,
    written: &WrittenImages,
    attestation: Attachments,
) -> Result<ImageRecord, Error> {
    let tags = match BuildRef::release(version) {
        Ok(build) => build.tags(&TagOptions::default()),
        Err(_) => vec![version_tag.clone()],
    };
    let client = Client::for_reference(
        registry,
        ClientOptions::default().plain_http(registry.is_loopback()),
    )?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let pushed = push_layout(&client, layout, version_tag.as_str(), registry, &tags).await?;
        let store = RegistryStore::new(client.clone(), registry.repository().clone());
        let (attached, _) = attestation.write_to_store(&store, &written.index).await?;
        let shown: Vec<&str> = pushed.tags.iter().map(Tag::as_str).collect();
        println!(
            "pushed {}@{} as {}",
            registry.repository(),
            pushed.descriptor.digest,
            shown.join(", ")
        );
        let record = ImageRecord::new(
            format!("{}/{}", registry.registry(), registry.repository()),
            pushed.descriptor.digest,
        )
        .attachment(attached.digest);
        Ok(pushed.tags.iter().fold(record, |r, t| r.tag(t.as_str())))
    })
}
