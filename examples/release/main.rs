//! The main job: a complete, reproducible release of `consign-sums` (this workspace's
//! checksum tool, `examples/consign-sums.rs`) into `dist/`.
//!
//! `cargo run --release --example release -- --help` lists the options (see [`USAGE`]).
//!
//! It writes `NAME-VERSION-TARGET.{tar.gz,tar.xz,tar.zst,zip}` (each with a top-level
//! directory holding the program, README and licenses), a CycloneDX 1.6 and an SPDX 2.3 SBOM
//! for each (`<archive>.cdx.json`, `<archive>.spdx.json`: the crates Cargo resolved for the
//! program and the files shipped), a `.deb` and an `.rpm` (each with its SBOMs), an OCI image
//! layout `oci/` (the program's image for the platform and an index, see [`image`]),
//! `SHA256SUMS`, `SHA512SUMS` and `release.json`, every file
//! atomically, every byte a function of the inputs and the source
//! date. Digests are computed while each archive is written; nothing is read back.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

mod image;
mod publish;
mod signing;

use consign::core::{
    Algorithm, Artifact, ArtifactKind, Entry, FileTree, Libc, PackageMeta, Platform,
    ReleaseManifest, SourceDate, Style, Written, write_atomic,
};
use consign::package::ArtifactWriter;
use consign::package::archive::release_stem;
use consign::package::deb::{Deb, DebOptions, RelationField};
use consign::package::rpm::{ChangelogEntry, Rpm, RpmOptions, RpmSpec};
use consign::package::{Archive, ArchiveFormat, ArchiveOptions};
use consign::sbom::{CargoOptions, CdxVersion, Features, Inventory, Sbom, TargetTriple};

type Error = Box<dyn std::error::Error>;

/// Command-line help.
const USAGE: &str = "\
usage: cargo run --release --example release [-- OPTIONS]

  --binary PATH       ship this executable instead of building consign-sums
  --target TRIPLE     the platform the binary is for (default: this host)
  --name NAME         release name (default: consign-sums)
  --version VERSION   release version (default: the workspace version)
  --out DIR           output directory (default: dist)
  --source-date SECS  source date (default: $SOURCE_DATE_EPOCH, else the HEAD commit time)
  --pgp-key FILE      armored OpenPGP secret key (default: $CONSIGN_PGP_KEY; passphrase in
                      $CONSIGN_PGP_PASSPHRASE); without one, a throwaway key is made
  --cosign-key FILE   cosign key file (default: $COSIGN_KEY; passphrase in $COSIGN_PASSWORD);
                      without one, a throwaway key is made
  --registry HOST[:PORT]/REPO  also push the image and index there with the release tags
";

const ALGORITHMS: [Algorithm; 2] = [Algorithm::Sha256, Algorithm::Sha512];
const FORMATS: [ArchiveFormat; 4] = [
    ArchiveFormat::TarGz,
    ArchiveFormat::TarXz,
    ArchiveFormat::TarZst,
    ArchiveFormat::Zip,
];

#[derive(Default)]
struct Args {
    binary: Option<PathBuf>,
    target: Option<String>,
    name: Option<String>,
    version: Option<String>,
    out: Option<PathBuf>,
    source_date: Option<String>,
    keys: signing::KeySources,
    registry: Option<String>,
}

fn parse_args() -> Result<Args, Error> {
    let mut args = Args::default();
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        if flag == "--help" || flag == "-h" {
            print!("{USAGE}");
            std::process::exit(0);
        }
        let value = it.next().ok_or_else(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--binary" => args.binary = Some(value.into()),
            "--target" => args.target = Some(value),
            "--name" => args.name = Some(value),
            "--version" => args.version = Some(value),
            "--out" => args.out = Some(value.into()),
            "--source-date" => args.source_date = Some(value),
            "--pgp-key" => args.keys.pgp = Some(value.into()),
            "--cosign-key" => args.keys.cosign = Some(value.into()),
            "--registry" => args.registry = Some(value),
            other => return Err(format!("unknown option {other} (see --help)").into()),
        }
    }
    Ok(args)
}

fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `--source-date`, else `SOURCE_DATE_EPOCH`, else the commit time of the checked-out HEAD.
fn source_date(flag: Option<&str>) -> Result<SourceDate, Error> {
    if let Some(v) = flag {
        return Ok(v.parse()?);
    }
    if let Some(d) = SourceDate::from_env()? {
        return Ok(d);
    }
    SourceDate::from_git(workspace_root(), "HEAD").map_err(|e| {
        format!(
            "{e}; set SOURCE_DATE_EPOCH or pass --source-date to release outside a git checkout"
        )
        .into()
    })
}

/// Builds `consign-sums` with the release profile and returns its path.
fn build_program() -> Result<PathBuf, Error> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let status = Command::new(cargo)
        .args([
            "build",
            "--release",
            "--example",
            "consign-sums",
            "--manifest-path",
        ])
        .arg(workspace_root().join("Cargo.toml"))
        .status()
        .map_err(|e| format!("cannot run cargo to build consign-sums: {e}"))?;
    if !status.success() {
        return Err(format!("cargo build of consign-sums failed ({status})").into());
    }
    let target_dir = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("target"));
    Ok(target_dir.join("release/examples/consign-sums"))
}

/// The archive contents: the program, the README and the licenses.
fn staging_tree(program: &Path, name: &str) -> Result<FileTree, Error> {
    let mut tree = FileTree::new();
    tree.insert(name, Entry::file(program)?.mode(0o755))?;
    for doc in ["README.md", "LICENSE-MIT", "LICENSE-APACHE"] {
        tree.insert(doc, Entry::file(workspace_root().join(doc))?.mode(0o644))?;
    }
    Ok(tree)
}

/// The Linux packages' contents: the program in `/usr/bin`, its manual page (when the release
/// is of consign-sums) compressed as `gzip -9n` would, the README in the doc directory.
fn linux_package_tree(program: &Path, name: &str, man_page: bool) -> Result<FileTree, Error> {
    let mut tree = FileTree::new();
    tree.insert(format!("usr/bin/{name}"), Entry::file(program)?.mode(0o755))?;
    if man_page {
        let source = workspace_root().join("docs/man/consign-sums.1");
        let text =
            std::fs::read(&source).map_err(|e| format!("cannot read {}: {e}", source.display()))?;
        let mut gz = flate2::GzBuilder::new()
            .mtime(0)
            .write(Vec::new(), flate2::Compression::best());
        std::io::Write::write_all(&mut gz, &text)?;
        tree.insert(
            format!("usr/share/man/man1/{name}.1.gz"),
            Entry::bytes(gz.finish()?).mode(0o644).doc(),
        )?;
    }
    tree.insert(
        format!("usr/share/doc/{name}/README.md"),
        Entry::file(workspace_root().join("README.md"))?
            .mode(0o644)
            .doc(),
    )?;
    Ok(tree)
}

/// What the job has released so far, and what it needs to describe each file.
struct Release<'a> {
    manifest: ReleaseManifest,
    out: &'a Path,
    date: SourceDate,
    platform: Platform,
}

impl Release<'_> {
    /// Records a released file, writes its CycloneDX and SPDX SBOMs (`<file>.cdx.json`,
    /// `<file>.spdx.json`) and records them too.
    fn add(
        &mut self,
        file_name: &str,
        kind: ArtifactKind,
        written: &Written,
        inventory: &Inventory,
    ) -> Result<(), Error> {
        let artifact = Artifact::new(file_name, kind, written)?.with_platform(self.platform);
        println!(
            "{file_name}: {} bytes, {}",
            written.size,
            written.sha256().ok_or("no sha256")?
        );
        self.manifest.add(artifact.clone())?;
        let sbom = Sbom::new(inventory, self.date).subject(artifact);
        for doc in [sbom.cyclonedx(CdxVersion::V1_6)?, sbom.spdx()?] {
            let name = sbom.file_name(doc.format());
            write_atomic(self.out.join(&name), doc.as_bytes())?;
            let written = consign::core::hash_reader(doc.as_bytes(), &ALGORITHMS)?;
            self.manifest
                .add(Artifact::new(&name, ArtifactKind::Sbom, &written)?)?;
        }
        Ok(())
    }
}

fn run() -> Result<(), Error> {
    let args = parse_args()?;
    let date = source_date(args.source_date.as_deref())?;
    let platform: Platform = match &args.target {
        Some(t) => t.parse()?,
        None => Platform::host()?,
    };
    let mut meta =
        PackageMeta::from_manifest(workspace_root().join("Cargo.toml"), Some("consign"))?;
    if args.name.is_none() {
        meta.description = Some(
            "Print or check SHA-256, SHA-512 and BLAKE3 checksums, hashing on every core".into(),
        );
    }
    meta.name = args.name.unwrap_or_else(|| "consign-sums".into());
    if let Some(v) = args.version {
        meta.version = v;
    }
    let meta = PackageMeta::new(meta.name.clone(), meta.version.clone()).map(|_| meta)?;
    let built_here = args.binary.is_none();
    let program = match args.binary {
        Some(p) => p,
        None => build_program()?,
    };
    let keys = signing::Keys::load(args.keys, date, &meta)?;
    let out = args.out.unwrap_or_else(|| PathBuf::from("dist"));
    std::fs::create_dir_all(&out).map_err(|e| format!("cannot create {}: {e}", out.display()))?;

    let tree = staging_tree(&program, &meta.name)?;
    // What the program is built from: Cargo's resolved graph for the built program; for a
    // program given with --binary, only what the metadata says.
    let crates = if built_here {
        Inventory::from_cargo(
            workspace_root().join("Cargo.toml"),
            "consign",
            &TargetTriple::from(platform),
            &Features::default(),
            &CargoOptions::default(),
        )?
    } else {
        Inventory::from_meta(&meta)?
    };
    let archive_inventory = crates.clone().with_files(&tree)?;
    let stem = release_stem(&meta, &platform);
    let mut release = Release {
        manifest: ReleaseManifest::new(&meta.name, &meta.version, date),
        out: &out,
        date,
        platform,
    };
    for format in FORMATS {
        let file_name = format!("{stem}.{}", format.extension());
        let written = Archive::new(format, &tree, date)
            .top_level_dir(&stem)?
            .options(ArchiveOptions::default().algorithms(&ALGORITHMS))
            .write_to_path(out.join(&file_name))?;
        release.add(
            &file_name,
            ArtifactKind::Archive,
            &written,
            &archive_inventory,
        )?;
    }

    // The Linux packages: the program in /usr/bin, the README as documentation (the .deb adds
    // a generated copyright file and changelog).
    let deb_tree = linux_package_tree(&program, &meta.name, meta.name == "consign-sums")?;
    let package_inventory = crates.with_files(&deb_tree)?;
    // Debian's copyright file names the licenses and points at /usr/share/common-licenses.
    let mut deb_meta = meta.clone();
    deb_meta.license_file = None;
    let mut deb_options = DebOptions::default();
    if platform.libc() == Some(Libc::Gnu) {
        // What a Rust program linked against glibc 2.34+ needs (dpkg-shlibdeps would say so).
        deb_options = deb_options.relations(
            RelationField::Depends,
            "libc6 (>= 2.34), libgcc-s1 (>= 4.2)",
        )?;
    }
    let deb = Deb::new(&deb_tree, &deb_meta, platform, date)
        .signer(&keys.pgp)
        .options(
        deb_options
            .algorithms(&ALGORITHMS)
            .section("utils")
            .extended_description(
                "consign-sums prints what sha256sum, sha512sum and b3sum print, byte for byte,\n\
                 and checks GNU and BSD checksum files, reading and hashing on every core.",
            ),
    );
    let deb_name = deb.file_name()?;
    let written = deb.write_to_path(out.join(&deb_name))?.written;
    release.add(&deb_name, ArtifactKind::Deb, &written, &package_inventory)?;

    // The RPM package: the same files; the README is %doc.
    let rpm = Rpm::new(&deb_tree, &meta, platform, date)
        .spec(
            RpmSpec::default()
                .group("Applications/System")
                .description(
                    "consign-sums prints what sha256sum, sha512sum and b3sum print, byte for\n\
                     byte, and checks GNU and BSD checksum files, reading and hashing on\n\
                     every core.",
                )
                .changelog(ChangelogEntry::new(
                    date,
                    format!(
                        "{} - {}-1",
                        meta.maintainer.as_deref().unwrap_or("consign"),
                        meta.version
                    ),
                    format!("- Release {}", meta.version),
                )),
        )
        .options(RpmOptions::default().algorithms(&ALGORITHMS))
        .signer(&keys.pgp);
    let rpm_name = rpm.file_name()?;
    let written = rpm.write_to_path(out.join(&rpm_name))?.written;
    release.add(&rpm_name, ArtifactKind::Rpm, &written, &package_inventory)?;

    // The container image: an OCI layout with the image for this platform and an index.
    let oci = image::write_layout(&out.join("oci"), &program, &meta, &platform, date)?;
    println!(
        "oci: image {} ({}), index {} ({})",
        oci.image_tag, oci.image.digest, oci.index_tag, oci.index.digest
    );

    let mut manifest = release.manifest;
    // The public keys, and a provenance attestation naming every file so far.
    std::fs::create_dir_all(out.join("keys"))
        .map_err(|e| format!("cannot create {}: {e}", out.join("keys").display()))?;
    for (name, bytes) in keys.public_files() {
        record(&mut manifest, &out, name, ArtifactKind::PublicKey, bytes)?;
    }
    let provenance = keys.provenance(
        signing::subjects(&manifest)?,
        &meta,
        &platform.to_string(),
        date,
    )?;
    let attestation_name = format!("{stem}.intoto.jsonl");
    record(
        &mut manifest,
        &out,
        &attestation_name,
        ArtifactKind::Attestation,
        &signing::jsonl(&[&provenance])?,
    )?;
    // The image and the index, signed and attested in the layout.
    let image_provenance = keys.provenance(
        vec![
            consign::sign::attest::Subject::new(oci.image_tag.to_string(), &oci.image.digest),
            consign::sign::attest::Subject::new(oci.index_tag.to_string(), &oci.index.digest),
        ],
        &meta,
        &platform.to_string(),
        date,
    )?;
    keys.sign_layout(
        &consign::oci::OciLayout::open(out.join("oci"))?,
        args.registry.as_deref().unwrap_or(&meta.name),
        &[&oci.image, &oci.index],
        &image_provenance,
    )?;
    // With --registry: the image, the index, their signatures and attestations, pushed and
    // tagged.
    if let Some(registry) = &args.registry {
        let out_oci = out.join("oci");
        publish::publish(
            &out_oci,
            registry,
            &oci.image_tag,
            &oci.index_tag,
            &meta.version,
        )?;
    }

    let mut sha256sums = String::new();
    for algorithm in ALGORITHMS {
        let sums = manifest.checksums(algorithm)?;
        let text = sums.to_text(Style::Gnu);
        if algorithm == Algorithm::Sha256 {
            sha256sums.clone_from(&text);
        }
        let file_name = algorithm.sums_file_name();
        record(
            &mut manifest,
            &out,
            file_name,
            ArtifactKind::Checksums,
            text.as_bytes(),
        )?;
        println!("{file_name}: {} entries", sums.len());
    }
    // SHA256SUMS signed both ways (both checksum files list the same files).
    let signatures =
        keys.sign_checksums(Algorithm::Sha256.sums_file_name(), sha256sums.as_bytes())?;
    for (name, bytes) in signatures {
        record(&mut manifest, &out, &name, ArtifactKind::Signature, &bytes)?;
    }

    write_atomic(out.join("release.json"), manifest.to_json().as_bytes())?;
    println!(
        "release.json: {} {} for {platform} (source date {date}) in {}",
        meta.name,
        meta.version,
        out.display()
    );
    Ok(())
}

/// Writes `bytes` to `out/name` atomically and records it.
fn record(
    manifest: &mut ReleaseManifest,
    out: &Path,
    name: &str,
    kind: ArtifactKind,
    bytes: &[u8],
) -> Result<(), Error> {
    write_atomic(out.join(name), bytes)?;
    let written = consign::core::hash_reader(bytes, &ALGORITHMS)?;
    manifest.add(Artifact::new(name, kind, &written)?)?;
    Ok(())
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("release: {e}");
            ExitCode::FAILURE
        }
    }
}
