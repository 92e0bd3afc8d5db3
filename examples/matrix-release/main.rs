//! Packages and images across runners: each runner (a separate process, as CI runs a build
//! matrix) writes the signed `.deb` and `.rpm` of one variant for one architecture, or pushes
//! one architecture's image; a fan-in job then checks that the whole matrix is there, refuses
//! to publish when anything is missing, assembles each variant's multi-arch index from the
//! pushed digests and signs it.
//!
//! ```text
//! matrix-release package --release NAME --package PKG --version V --target TRIPLE=PROGRAM
//!                        --summary TEXT --man FILE --pgp-key FILE --out DIR
//! matrix-release image   --release NAME --package PKG --version V --target TRIPLE=PROGRAM
//!                        --registry HOST/PATH --out DIR
//! matrix-release fan-in  --release NAME --version V --packages PKG,PKG --targets TRIPLE,TRIPLE
//!                        --in DIR... [--registry HOST/PATH] [--cosign-key FILE] --out DIR
//! ```
//!
//! It does in-process what a packaging matrix does with `dpkg-deb`, `rpmbuild`, `gpg`,
//! `sha256sum`, `docker build`/`docker push` with arch-suffixed tags, a shell count of the
//! downloaded packages, `docker manifest create` and `cosign sign`:
//!
//! - **package**: `PKG_V_<debarch>.deb` and `PKG-V-1.<rpmarch>.rpm` of PROGRAM (in
//!   `/usr/bin/PKG`, with its manual page `--man`, gzipped as Debian policy asks), both
//!   OpenPGP-signed with `--pgp-key` (an armored secret key; passphrase in
//!   `$CONSIGN_PGP_PASSPHRASE`: every runner signs with the same release key), each with a
//!   `<file>.sha256`; and `runner-PKG-<arch>.json`, the runner's part of the release manifest.
//!   The packages carry what lintian and rpmlint ask for (section, group, descriptions, a
//!   changelog, a copyright file); a statically linked program (musl targets) is declared with
//!   a lintian override, since static linking is the point of those builds.
//! - **image**: the image of PROGRAM for the target's platform, pushed to `HOST/PATH/PKG`
//!   tagged `V-<arch>` (`1.2.3-arm64`); `image-PKG-<arch>.json` records its digest.
//! - **fan-in**: merges every runner's manifest found in the `--in` directories and checks it
//!   against the matrix (`--packages` × `--targets`: one `.deb` and one `.rpm` per package and
//!   architecture, a `.sha256` for each, and with `--registry` an image per package and
//!   architecture). When anything is missing it names it and exits 1 having published nothing.
//!   Else it copies the files to OUT checking each against its recorded digest, and for each
//!   package assembles the index of its per-arch images from their digests in the registry
//!   (each checked to be an image of the platform it was pushed for), tags it `V` (and `1.2`,
//!   `1`), and signs it with the cosign key (`--cosign-key`, `$COSIGN_KEY`, else a throwaway
//!   key; public key in `OUT/cosign.pub`); then writes `OUT/SHA256SUMS` and `OUT/release.json`.
//!
//! Still missing from the matrix: the `.dmg` and `.msi` installers (consign does not write
//! them yet), and keyless signing of the indexes.

use std::path::PathBuf;
use std::process::ExitCode;

use consign::core::{
    Algorithm, Artifact, ArtifactKind, ArtifactWriter, ChecksumEntry, Entry, Expected, FileTree,
    ImageRecord, PackageMeta, Platform, ReleaseManifest, SourceDate, Style, hash_file,
};
use consign::oci::attach::{Attachment, Attachments, Kind};
use consign::oci::ops::{IndexEntry, assemble_index, push_layout};
use consign::oci::registry::{Client, ClientOptions};
use consign::oci::store::RegistryStore;
use consign::oci::tags::{BuildRef, TagOptions};
use consign::oci::{ImagePlatform, OciLayout, ProgramImages, Reference, Tag};
use consign::package::compress::{Codec, Compression};
use consign::package::deb::DebOptions;
use consign::package::rpm::{ChangelogEntry, RpmSpec};
use consign::package::{Deb, Rpm};
use consign::sign::cosign::{self, CosignKey, CosignSigner, SimpleSigning};
use consign::sign::openpgp::{OpenPgpSigner, Passphrase};

type Error = Box<dyn std::error::Error + Send + Sync>;

const USAGE: &str = "usage: matrix-release package|image|fan-in … (see the source's documentation)";

/// The flags of every command, parsed alike.
#[derive(Default)]
struct Args {
    release: Option<String>,
    package: Option<String>,
    version: Option<String>,
    target: Option<(Platform, PathBuf)>,
    pgp_key: Option<PathBuf>,
    summary: Option<String>,
    man: Option<PathBuf>,
    cosign_key: Option<PathBuf>,
    registry: Option<String>,
    packages: Vec<String>,
    targets: Vec<Platform>,
    inputs: Vec<PathBuf>,
    out: Option<PathBuf>,
}

fn parse(args: &[String]) -> Result<Args, Error> {
    let mut a = Args::default();
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let mut value = || it.next().cloned().ok_or(format!("{arg} needs a value"));
        match arg.as_str() {
            "--release" => a.release = Some(value()?),
            "--package" => a.package = Some(value()?),
            "--version" => a.version = Some(value()?),
            "--target" => {
                let text = value()?;
                let (triple, path) = text
                    .split_once('=')
                    .ok_or("--target TRIPLE=PROGRAM: give the program built for the target")?;
                a.target = Some((triple.parse()?, PathBuf::from(path)));
            }
            "--pgp-key" => a.pgp_key = Some(PathBuf::from(value()?)),
            "--summary" => a.summary = Some(value()?),
            "--man" => a.man = Some(PathBuf::from(value()?)),
            "--cosign-key" => a.cosign_key = Some(PathBuf::from(value()?)),
            "--registry" => a.registry = Some(value()?),
            "--packages" => a.packages = value()?.split(',').map(str::to_owned).collect(),
            "--targets" => {
                a.targets = value()?
                    .split(',')
                    .map(str::parse)
                    .collect::<Result<_, _>>()?
            }
            "--in" => a.inputs.push(PathBuf::from(value()?)),
            "--out" => a.out = Some(PathBuf::from(value()?)),
            _ => return Err(format!("unexpected argument {arg:?}\n{USAGE}").into()),
        }
    }
    Ok(a)
}

fn required<'a, T>(value: &'a Option<T>, flag: &str) -> Result<&'a T, Error> {
    value
        .as_ref()
        .ok_or_else(|| format!("{flag} is required").into())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.split_first() {
        Some((command, rest)) => parse(rest).and_then(|a| match command.as_str() {
            "package" => package(&a),
            "image" => image(&a),
            "fan-in" => fan_in(&a),
            _ => Err(USAGE.into()),
        }),
        None => Err(USAGE.into()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("matrix-release: {e}");
            ExitCode::FAILURE
        }
    }
}

fn date() -> Result<SourceDate, Error> {
    Ok(SourceDate::from_env()?.ok_or("set SOURCE_DATE_EPOCH: every runner must use one date")?)
}

/// One runner: the signed .deb and .rpm of one package for one architecture.
fn package(a: &Args) -> Result<(), Error> {
    let (platform, program) = required(&a.target, "--target")?;
    let (name, version) = (
        required(&a.package, "--package")?,
        required(&a.version, "--version")?,
    );
    let out = required(&a.out, "--out")?;
    let date = date()?;
    platform.check_executable(program)?;
    let passphrase = Passphrase::from_env("CONSIGN_PGP_PASSPHRASE");
    let signer = OpenPgpSigner::from_file(required(&a.pgp_key, "--pgp-key")?, &passphrase, date)?;
    let summary = required(&a.summary, "--summary")?;
    let release = required(&a.release, "--release")?;
    // Debian wants description lines of at most 80 characters.
    let extended = format!(
        "{summary}: the {name} package of the {release} {version} release,\nbuilt for {platform}."
    );
    let meta = PackageMeta::new(name.as_str(), version.as_str())?
        .description(summary.as_str())
        .license("MIT")
        .homepage("https://example.invalid/kms")
        .maintainer("Release Engineering <release@example.invalid>");
    let mut tree = FileTree::new();
    tree.insert(format!("usr/bin/{name}"), Entry::file(program)?.mode(0o755))?;
    let man = std::fs::read(required(&a.man, "--man")?)?;
    tree.insert(
        format!("usr/share/man/man1/{name}.1.gz"),
        Entry::bytes(Compression::new(Codec::Gzip).level(9)?.compress(&man)?)
            .mode(0o644)
            .doc(),
    )?;
    let static_program = consign::core::Executable::read(program)?
        .is_some_and(|_| platform.libc() == Some(consign::core::Libc::Musl));
    let mut deb_tree = tree.clone();
    if static_program {
        deb_tree.insert(
            format!("usr/share/lintian/overrides/{name}"),
            Entry::bytes(
                format!("{name}: statically-linked-binary [usr/bin/{name}]\n").into_bytes(),
            )
            .mode(0o644),
        )?;
    }
    std::fs::create_dir_all(out)?;

    let mut manifest = ReleaseManifest::new(release, version, date);
    let (deb, _) = Deb::new(&deb_tree, &meta, *platform, date)
        .signer(&signer)
        .options(
            DebOptions::default()
                .section("admin")
                .extended_description(extended.as_str()),
        )
        .write_into(out)?;
    let (rpm, _) = Rpm::new(&tree, &meta, *platform, date)
        .spec(
            RpmSpec::default()
                .group("System Environment/Daemons")
                .description(extended.as_str())
                .changelog(ChangelogEntry::new(
                    date,
                    format!("Release Engineering <release@example.invalid> - {version}-1"),
                    format!("- Release {version}"),
                )),
        )
        .signer(&signer)
        .write_into(out)?;
    for artifact in [deb, rpm] {
        let digest = *artifact
            .digests
            .get(Algorithm::Sha256)
            .ok_or("no SHA-256")?;
        let (sidecar, text) = ChecksumEntry::new(&artifact.name, digest).sidecar(Style::Gnu);
        std::fs::write(out.join(&sidecar), text)?;
        manifest.add(
            Artifact::from_file(out, &sidecar, ArtifactKind::Checksums, &[Algorithm::Sha256])?
                .with_platform(*platform),
        )?;
        println!("{} ({} bytes), {sidecar}", artifact.name, artifact.size);
        manifest.add(artifact.with_attachment(sidecar))?;
    }
    let arch = ImagePlatform::from(platform).architecture;
    std::fs::write(
        out.join(format!("runner-{name}-{arch}.json")),
        manifest.to_json(),
    )?;
    Ok(())
}

fn client(reference: &Reference) -> Result<Client, Error> {
    Ok(Client::for_reference(
        reference,
        ClientOptions::default().plain_http(reference.is_loopback()),
    )?)
}

fn runtime() -> Result<tokio::runtime::Runtime, Error> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?)
}

/// `HOST/PATH/PKG`.
fn repository(registry: &str, package: &str) -> Result<Reference, Error> {
    Ok(format!("{}/{package}", registry.trim_end_matches('/')).parse()?)
}

/// One runner: one architecture's image, pushed with an arch-suffixed tag.
fn image(a: &Args) -> Result<(), Error> {
    let (platform, program) = required(&a.target, "--target")?;
    let (name, version) = (
        required(&a.package, "--package")?,
        required(&a.version, "--version")?,
    );
    let out = required(&a.out, "--out")?;
    let date = date()?;
    let target = repository(required(&a.registry, "--registry")?, name)?;
    std::fs::create_dir_all(out)?;
    let image_platform = ImagePlatform::from(platform);
    let arch = &image_platform.architecture;
    let layout = OciLayout::create(out.join(format!("oci-{name}-{arch}")))?;
    let written = ProgramImages::new(name.as_str(), date)
        .program(platform, program)?
        .write_to(&layout, &Tag::new(version)?)?;
    let tag = Tag::new(&format!("{version}-{arch}"))?;
    let client = client(&target)?;
    let pushed = runtime()?.block_on(push_layout(
        &client,
        &layout,
        &written.images[0].digest.to_string(),
        &target,
        std::slice::from_ref(&tag),
    ))?;
    println!(
        "pushed {}@{} as {tag}",
        target.repository(),
        pushed.descriptor.digest
    );
    let mut manifest = ReleaseManifest::new(required(&a.release, "--release")?, version, date);
    manifest.add_image(
        ImageRecord::new(target.repository().to_string(), pushed.descriptor.digest)
            .tag(tag.as_str())
            .platform(image_platform.to_string()),
    );
    std::fs::write(
        out.join(format!("image-{name}-{arch}.json")),
        manifest.to_json(),
    )?;
    Ok(())
}

/// The fan-in job: count, copy, assemble, sign, publish.
fn fan_in(a: &Args) -> Result<(), Error> {
    let (release, version) = (
        required(&a.release, "--release")?,
        required(&a.version, "--version")?,
    );
    let out = required(&a.out, "--out")?;
    if a.packages.is_empty() || a.targets.is_empty() {
        return Err("give the matrix: --packages PKG,… --targets TRIPLE,…".into());
    }
    // Every runner's part, merged (same release, version and date; no name twice).
    let mut manifest: Option<ReleaseManifest> = None;
    let mut found_in = Vec::new();
    for dir in &a.inputs {
        for entry in std::fs::read_dir(dir)? {
            let path = entry?.path();
            let file = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
            if !(file.starts_with("runner-") || file.starts_with("image-"))
                || !file.ends_with(".json")
            {
                continue;
            }
            let part = ReleaseManifest::from_json(&std::fs::read_to_string(&path)?)?;
            match &mut manifest {
                Some(m) => m.merge(&part)?,
                None => manifest = Some(part),
            }
            if file.starts_with("runner-") {
                found_in.push(dir.clone());
            }
        }
    }
    let mut manifest = manifest.ok_or("no runner output in the --in directories")?;
    if &manifest.name != release || &manifest.version != version {
        return Err(format!(
            "the runners built {} {}, not {release} {version}",
            manifest.name, manifest.version
        )
        .into());
    }

    // The count check: nothing is published unless the whole matrix is there.
    let platforms = &a.targets;
    let per_platform = a.packages.len();
    let mut expected = Vec::new();
    for platform in platforms {
        for kind in [ArtifactKind::Deb, ArtifactKind::Rpm] {
            expected.push(Expected {
                kind,
                platform: Some(*platform),
                count: per_platform,
            });
        }
        expected.push(Expected {
            kind: ArtifactKind::Checksums,
            platform: Some(*platform),
            count: 2 * per_platform,
        });
    }
    manifest.check_complete(&expected)?;
    let registry = a.registry.as_deref();
    let mut indexes = Vec::new();
    if let Some(registry) = registry {
        for package in &a.packages {
            let repo = repository(registry, package)?;
            let mut entries = Vec::new();
            for platform in platforms {
                let image_platform = ImagePlatform::from(platform);
                let name = image_platform.to_string();
                let image = manifest
                    .images()
                    .find(|i| {
                        i.repository == repo.repository().as_str() && i.platforms.contains(&name)
                    })
                    .ok_or_else(|| {
                        format!("no {name} image of {package} was pushed: nothing published")
                    })?;
                entries.push(IndexEntry::remote(image.digest, image_platform));
            }
            indexes.push((repo, entries));
        }
    }

    // Publish: the files, checked on the way; then the indexes, signed.
    std::fs::create_dir_all(out)?;
    for artifact in manifest.artifacts() {
        let source = found_in
            .iter()
            .map(|d| d.join(&artifact.name))
            .find(|p| p.is_file())
            .ok_or_else(|| format!("{} is recorded but in no --in directory", artifact.name))?;
        let written = hash_file(&source, &[Algorithm::Sha256])?;
        if written.digests.get(Algorithm::Sha256) != artifact.digests.get(Algorithm::Sha256) {
            return Err(format!("{} does not match its recorded digest", source.display()).into());
        }
        std::fs::copy(&source, out.join(&artifact.name))?;
    }
    if !indexes.is_empty() {
        let key = match a
            .cosign_key
            .clone()
            .or_else(|| std::env::var_os("COSIGN_KEY").map(PathBuf::from))
        {
            Some(path) => CosignKey::read(&path, cosign::Passphrase::from_env().as_ref())?,
            None => CosignKey::generate()?,
        };
        std::fs::write(out.join("cosign.pub"), key.public_key().to_pem())?;
        let signer = CosignSigner::new(key, "cosign");
        let tags = BuildRef::release(version)?.tags(&TagOptions::default());
        let runtime = runtime()?;
        for (repo, entries) in indexes {
            let client = client(&repo)?;
            let record = runtime.block_on(async {
                let index = assemble_index(&client, &repo, entries, &tags).await?;
                let (payload, signature) = SimpleSigning::new(
                    format!("{}/{}", repo.registry(), repo.repository()),
                    index.digest,
                )
                .sign(&signer)?;
                let store = RegistryStore::new(client.clone(), repo.repository().clone());
                let (signed, _) = Attachments::new(Kind::Signatures)
                    .push(Attachment::simple_signing(payload, &signature)?)
                    .write_to_store(&store, &index.descriptor)
                    .await?;
                let shown: Vec<&str> = index.tags.iter().map(Tag::as_str).collect();
                println!(
                    "index {}@{} as {}, signed",
                    repo.repository(),
                    index.digest,
                    shown.join(", ")
                );
                let record = ImageRecord::new(repo.repository().to_string(), index.digest)
                    .index()
                    .attachment(signed.digest);
                let record = index
                    .index
                    .manifests
                    .iter()
                    .fold(record, |r, m| match &m.platform {
                        Some(p) => r.platform(p.to_string()),
                        None => r,
                    });
                Ok::<_, Error>(index.tags.iter().fold(record, |r, t| r.tag(t.as_str())))
            })?;
            manifest.add_image(record);
        }
    }
    std::fs::write(
        out.join("SHA256SUMS"),
        manifest.checksums(Algorithm::Sha256)?.to_text(Style::Gnu),
    )?;
    std::fs::write(out.join("release.json"), manifest.to_json())?;
    println!(
        "published {release} {version}: {} files from {} runners",
        manifest.artifacts().count(),
        found_in.len()
    );
    Ok(())
}
