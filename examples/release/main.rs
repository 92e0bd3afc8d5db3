//! The main job: a complete, reproducible release of `consign-sums` (this workspace's
//! checksum tool, `examples/consign-sums.rs`) into `dist/`.
//!
//! `cargo run --release --example release -- --help` lists the options (see [`USAGE`]).
//!
//! It writes `NAME-VERSION-TARGET.{tar.gz,tar.xz,tar.zst,zip}` (each with a top-level
//! directory holding the program, README and licenses), a CycloneDX 1.6 and an SPDX 2.3 SBOM
//! for each (`<archive>.cdx.json`, `<archive>.spdx.json`: the crates Cargo resolved for the
//! program and the files shipped), a `.deb` and an `.rpm`, a macOS disk image `.dmg` and a
//! Windows installer `.msi` (each with its SBOMs; see [`installers`]), an OCI image
//! layout `oci/` (the program's image for the platform and an index, see [`image`]),
//! `SHA256SUMS`, `SHA512SUMS` and `release.json`, every file
//! atomically, every byte a function of the inputs and the source
//! date. Digests are computed while each archive is written; nothing is read back.
//!
//! [`run`] reads as the job's stages, each a method of [`Release`]: build, archives,
//! packages, installers, SBOMs, images, sign, checksums, manifest. Progress goes to standard error (a bar
//! on a terminal, a line per task otherwise, nothing with `--quiet`).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

mod image;
mod installers;
mod progress;
mod publish;
mod signing;
mod target;

use consign::core::{
    Algorithm, Artifact, ArtifactKind, Entry, FileTree, Libc, Monitor, PackageMeta, Platform,
    ReleaseManifest, SourceDate, Style, write_atomic,
};
use consign::package::ArtifactWriter;
use consign::package::archive::release_stem;
use consign::package::compress::{Codec, Compression};
use consign::package::deb::{Deb, DebOptions, RelationField};
use consign::package::rpm::{ChangelogEntry, Rpm, RpmOptions, RpmSpec};
use consign::package::{Archive, ArchiveFormat, ArchiveOptions};
use consign::sbom::{CargoOptions, CdxVersion, Features, Inventory, Sbom, TargetTriple};
use consign::sign::attest::Subject;

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
  --macos-binary PATH   put this macOS program in the .dmg (default: the release's program,
                        to exercise the format)
  --macos-target TRIPLE its platform (default: aarch64-apple-darwin)
  --windows-binary PATH put this x86_64 Windows program in the .msi (default: the
                        release's program, to exercise the format)
  --registry HOST[:PORT]/REPO  also push the image and index there with the release tags
  --quiet             print nothing but errors (no progress, no summary)
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
    foreign: installers::Foreign,
    registry: Option<String>,
    quiet: bool,
}

fn parse_args() -> Result<Args, Error> {
    let mut args = Args::default();
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        if flag == "--help" || flag == "-h" {
            print!("{USAGE}");
            std::process::exit(0);
        }
        if flag == "--quiet" || flag == "-q" {
            args.quiet = true;
            continue;
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
            "--macos-binary" => args.foreign.macos = Some(value.into()),
            "--macos-target" => args.foreign.macos_target = Some(value),
            "--windows-binary" => args.foreign.windows = Some(value.into()),
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

/// Removes the hidden temporaries (`.<name>.<random>.partial`, `.blob-….partial`, the
/// `.oci.partial` layout) that an earlier, killed run left under `dir`.
fn remove_temporaries(dir: &Path) -> Result<(), Error> {
    let entries =
        std::fs::read_dir(dir).map_err(|e| format!("cannot list {}: {e}", dir.display()))?;
    for entry in entries {
        let entry = entry.map_err(|e| format!("cannot list {}: {e}", dir.display()))?;
        let path = entry.path();
        let name = entry.file_name();
        let name = name.to_string_lossy();
        let kind = entry
            .file_type()
            .map_err(|e| format!("cannot inspect {}: {e}", path.display()))?;
        let temporary = name.starts_with('.') && name.ends_with(".partial");
        if kind.is_dir() && temporary {
            std::fs::remove_dir_all(&path)
                .map_err(|e| format!("cannot remove {}: {e}", path.display()))?;
        } else if kind.is_dir() {
            remove_temporaries(&path)?;
        } else if kind.is_file() && temporary {
            std::fs::remove_file(&path)
                .map_err(|e| format!("cannot remove {}: {e}", path.display()))?;
        }
    }
    Ok(())
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
/// is of consign-sums) gzipped at the highest level without name or time, the README in the
/// doc directory.
fn linux_package_tree(program: &Path, name: &str, man_page: bool) -> Result<FileTree, Error> {
    let mut tree = FileTree::new();
    tree.insert(format!("usr/bin/{name}"), Entry::file(program)?.mode(0o755))?;
    if man_page {
        let source = workspace_root().join("docs/man/consign-sums.1");
        let text =
            std::fs::read(&source).map_err(|e| format!("cannot read {}: {e}", source.display()))?;
        // gzip at the highest level, no name and no time stamp (what lintian asks of manuals).
        let gz = Compression::new(Codec::Gzip).level(9)?.compress(&text)?;
        tree.insert(
            format!("usr/share/man/man1/{name}.1.gz"),
            Entry::bytes(gz).mode(0o644).doc(),
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

/// The release as it is made: what every stage reads (metadata, platform, source date, the
/// program, the keys) and what the stages have recorded so far. Each stage is one method.
struct Release {
    meta: PackageMeta,
    platform: Platform,
    date: SourceDate,
    out: PathBuf,
    program: PathBuf,
    /// The crates the program is built from (an SBOM's components before the files).
    crates: Inventory,
    keys: signing::Keys,
    /// `<name>-<version>-<target>`: the archives' stem and top-level directory.
    stem: String,
    /// Every file written so far.
    manifest: ReleaseManifest,
    /// Released files still waiting for their SBOMs, with what each ships.
    pending_sboms: Vec<(Artifact, Inventory)>,
    /// The image and index, once written.
    oci: Option<image::ImageRelease>,
    registry: Option<String>,
    /// Programs for macOS and Windows given on the command line.
    foreign: installers::Foreign,
    monitor: Monitor,
    quiet: bool,
}

impl Release {
    /// The build stage: reads the metadata, builds (or takes) the program, loads the keys.
    fn build(args: Args) -> Result<Release, Error> {
        let date = source_date(args.source_date.as_deref())?;
        let platform: Platform = match &args.target {
            Some(t) => t.parse()?,
            None => Platform::host()?,
        };
        let mut meta =
            PackageMeta::from_manifest(workspace_root().join("Cargo.toml"), Some("consign"))?;
        if args.name.is_none() {
            meta.description = Some(
                "Print or check SHA-256, SHA-512 and BLAKE3 checksums, hashing on every core"
                    .into(),
            );
        }
        meta.set_name(args.name.as_deref().unwrap_or("consign-sums"))?;
        if let Some(v) = args.version {
            meta.set_version(v.parse()?);
        }
        // What the program is built from: Cargo's resolved graph for the built program; for a
        // program given with --binary, only what the metadata says.
        let (program, crates) = match args.binary {
            Some(p) => (p, Inventory::from_meta(&meta)?),
            None => (
                target::build_program(&platform)?,
                Inventory::from_cargo(
                    workspace_root().join("Cargo.toml"),
                    "consign",
                    &TargetTriple::from(platform),
                    &Features::default(),
                    &CargoOptions::default(),
                )?,
            ),
        };
        // Never an x86-64 program labelled arm64: its header must name the platform.
        target::check_program(&program, &platform)?;
        let keys = signing::Keys::load(args.keys, date, &meta)?;
        let out = args.out.unwrap_or_else(|| PathBuf::from("dist"));
        std::fs::create_dir_all(&out)
            .map_err(|e| format!("cannot create {}: {e}", out.display()))?;
        // What a killed run left: its hidden `.….partial` temporaries (never a finished name).
        remove_temporaries(&out)?;
        let reporter = progress::Reporter::new(args.quiet);
        Ok(Release {
            stem: release_stem(&meta, &platform),
            manifest: ReleaseManifest::new(meta.name(), meta.version().as_str(), date),
            meta,
            platform,
            date,
            out,
            program,
            crates,
            keys,
            pending_sboms: Vec::new(),
            oci: None,
            registry: args.registry,
            foreign: args.foreign,
            monitor: reporter.monitor(),
            quiet: args.quiet,
        })
    }

    /// A line about the release on standard output, unless `--quiet`.
    fn say(&self, line: std::fmt::Arguments<'_>) {
        if !self.quiet {
            println!("{line}");
        }
    }

    /// Writes `writer`'s artifact into the output directory, records it and queues its SBOMs
    /// (the crates plus the files in `files`).
    fn release<W: ArtifactWriter>(
        &mut self,
        writer: &W,
        files: &FileTree,
    ) -> Result<W::Report, Error>
    where
        W::Error: 'static,
    {
        let (artifact, report) = writer.write_into(&self.out)?;
        self.record_release(artifact, files)?;
        Ok(report)
    }

    /// The archives: `.tar.gz`, `.tar.xz`, `.tar.zst` and `.zip` of the program, the README
    /// and the licenses under one top-level directory.
    fn archives(&mut self) -> Result<(), Error> {
        let tree = staging_tree(&self.program, self.meta.name())?;
        for format in FORMATS {
            let archive = Archive::new(format, &tree, self.date)
                .top_level_dir(&self.stem)?
                .platform(self.platform)
                .options(
                    ArchiveOptions::default()
                        .algorithms(&ALGORITHMS)
                        .monitor(self.monitor.clone()),
                );
            self.release(&archive, &tree)?;
        }
        Ok(())
    }

    /// The Linux packages, OpenPGP-signed: the program in /usr/bin, its manual page, the
    /// README as documentation (the .deb adds a generated copyright file and changelog).
    fn packages(&mut self) -> Result<(), Error> {
        let (meta, platform, date) = (self.meta.clone(), self.platform, self.date);
        let tree = linux_package_tree(&self.program, meta.name(), meta.name() == "consign-sums")?;
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
        let pgp = self.keys.pgp.as_ref();
        let deb = Deb::new(&tree, &deb_meta, platform, date)
            .signer(pgp)
            .options(
                deb_options
                    .algorithms(&ALGORITHMS)
                    .monitor(self.monitor.clone())
                    .section("utils")
                    .extended_description(
                        "consign-sums prints what sha256sum, sha512sum and b3sum print, byte for byte,\n\
                         and checks GNU and BSD checksum files, reading and hashing on every core.",
                    ),
            );
        let (deb_artifact, _) = deb.write_into(&self.out)?;

        // The RPM package: the same files; the README is %doc.
        let rpm = Rpm::new(&tree, &meta, platform, date)
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
                            meta.version()
                        ),
                        format!("- Release {}", meta.version()),
                    )),
            )
            .options(
                RpmOptions::default()
                    .algorithms(&ALGORITHMS)
                    .monitor(self.monitor.clone()),
            )
            .signer(pgp);
        let (rpm_artifact, _) = rpm.write_into(&self.out)?;
        self.record_release(deb_artifact, &tree)?;
        self.record_release(rpm_artifact, &tree)
    }

    /// Records a released file and queues its SBOMs (the crates plus `files`). The packages
    /// call it directly: their writers borrow the signer from the keys, so they cannot go
    /// through [`Release::release`].
    fn record_release(&mut self, artifact: Artifact, files: &FileTree) -> Result<(), Error> {
        self.say(format_args!(
            "{}: {} bytes, {}",
            artifact.name,
            artifact.size,
            artifact.digests.get(Algorithm::Sha256).ok_or("no sha256")?
        ));
        self.manifest.add(artifact.clone())?;
        let inventory = self.crates.clone().with_files(files)?;
        self.pending_sboms.push((artifact, inventory));
        Ok(())
    }

    /// The SBOMs: a CycloneDX 1.6 and an SPDX 2.3 document for every archive and package
    /// (`<file>.cdx.json`, `<file>.spdx.json`).
    fn sboms(&mut self) -> Result<(), Error> {
        for (artifact, inventory) in std::mem::take(&mut self.pending_sboms) {
            let mut described = artifact.clone();
            let sbom = Sbom::new(&inventory, self.date).subject(artifact);
            for doc in [sbom.cyclonedx(CdxVersion::V1_6)?, sbom.spdx()?] {
                let name = sbom.file_name(doc.format());
                self.record(&name, ArtifactKind::Sbom, doc.as_bytes())?;
                described = described.with_attachment(name);
            }
            // release.json names each artifact's SBOMs beside it.
            self.manifest.add(described)?;
        }
        Ok(())
    }

    /// The container image: an OCI layout with the image for this platform and an index.
    fn images(&mut self) -> Result<(), Error> {
        // Built under a temporary name and renamed once signed: a killed run never leaves an
        // `oci/` whose index lacks the signatures.
        let staging = self.staged_layout();
        if staging.exists() {
            std::fs::remove_dir_all(&staging)
                .map_err(|e| format!("cannot remove {}: {e}", staging.display()))?;
        }
        let oci = image::write_layout(
            &staging,
            &self.program,
            &self.meta,
            &self.platform,
            self.date,
            &self.monitor,
        )?;
        self.say(format_args!(
            "oci: image {} ({}), index {} ({})",
            oci.image_tag, oci.image.digest, oci.index_tag, oci.index.digest
        ));
        self.oci = Some(oci);
        Ok(())
    }

    /// Signing: the public keys, a provenance attestation naming every file so far, the image
    /// and the index signed and attested in the layout (and pushed with `--registry`).
    fn sign(&mut self) -> Result<(), Error> {
        let oci = self
            .oci
            .take()
            .ok_or("the image stage comes before signing")?;
        std::fs::create_dir_all(self.out.join("keys"))
            .map_err(|e| format!("cannot create {}: {e}", self.out.join("keys").display()))?;
        let public: Vec<(&str, Vec<u8>)> = self
            .keys
            .public_files()
            .into_iter()
            .map(|(name, bytes)| (name, bytes.to_vec()))
            .collect();
        for (name, bytes) in public {
            self.record(name, ArtifactKind::PublicKey, &bytes)?;
        }
        let target = self.platform.to_string();
        let provenance = self.keys.provenance(
            signing::subjects(&self.manifest)?,
            &self.meta,
            &target,
            self.date,
        )?;
        let attestation_name = format!("{}.intoto.jsonl", self.stem);
        self.record(
            &attestation_name,
            ArtifactKind::Attestation,
            &signing::jsonl(&[&provenance])?,
        )?;
        let image_provenance = self.keys.provenance(
            vec![
                Subject::new(oci.image_tag.to_string(), &oci.image.digest),
                Subject::new(oci.index_tag.to_string(), &oci.index.digest),
            ],
            &self.meta,
            &target,
            self.date,
        )?;
        let attached = self.keys.sign_layout(
            &consign::oci::OciLayout::open(self.staged_layout())?,
            self.registry.as_deref().unwrap_or(self.meta.name()),
            &[&oci.image, &oci.index],
            &image_provenance,
        )?;
        // release.json records both, with their tags, platform and attached manifests.
        let repository = match &self.registry {
            Some(r) => format!("{r}/{}", self.meta.name()),
            None => "oci".to_owned(),
        };
        let platform = self.platform.oci_platform().to_string();
        for ((descriptor, tag), attachments) in
            [(&oci.image, &oci.image_tag), (&oci.index, &oci.index_tag)]
                .into_iter()
                .zip(attached)
        {
            let mut record = consign::core::ImageRecord::new(repository.clone(), descriptor.digest)
                .tag(tag.as_str())
                .platform(platform.clone());
            if descriptor.media_type.is_index() {
                record = record.index();
            }
            for digest in attachments {
                record = record.attachment(digest);
            }
            self.manifest.add_image(record);
        }
        if let Some(registry) = &self.registry {
            publish::publish(
                &self.staged_layout(),
                registry,
                &oci.image_tag,
                &oci.index_tag,
                self.meta.version().as_str(),
                &self.monitor,
            )?;
        }
        let done = self.out.join("oci");
        if done.exists() {
            std::fs::remove_dir_all(&done)
                .map_err(|e| format!("cannot remove the old {}: {e}", done.display()))?;
        }
        std::fs::rename(self.staged_layout(), &done)
            .map_err(|e| format!("cannot move the layout to {}: {e}", done.display()))?;
        Ok(())
    }

    /// Where the image layout is built before it is signed and named `oci/`.
    fn staged_layout(&self) -> PathBuf {
        self.out.join(".oci.partial")
    }

    /// The checksum files (`SHA256SUMS`, `SHA512SUMS`) and SHA256SUMS's signatures: OpenPGP
    /// (`.asc`) and cosign (`.sig`, `.sigstore.json`).
    fn checksums(&mut self) -> Result<(), Error> {
        let mut sha256sums = String::new();
        for algorithm in ALGORITHMS {
            let sums = self.manifest.checksums(algorithm)?;
            let text = sums.to_text(Style::Gnu);
            if algorithm == Algorithm::Sha256 {
                sha256sums.clone_from(&text);
            }
            let file_name = algorithm.sums_file_name();
            self.record(file_name, ArtifactKind::Checksums, text.as_bytes())?;
            self.say(format_args!("{file_name}: {} entries", sums.len()));
        }
        let signatures = self
            .keys
            .sign_checksums(Algorithm::Sha256.sums_file_name(), sha256sums.as_bytes())?;
        let sums_name = Algorithm::Sha256.sums_file_name();
        let mut sums = self
            .manifest
            .get(sums_name)
            .cloned()
            .ok_or("no SHA256SUMS")?;
        for (name, bytes) in signatures {
            self.record(&name, ArtifactKind::Signature, &bytes)?;
            sums = sums.with_attachment(name);
        }
        self.manifest.add(sums)?;
        Ok(())
    }

    /// The manifest stage: `release.json`, naming every file with its digests.
    fn manifest(self) -> Result<(), Error> {
        write_atomic(
            self.out.join("release.json"),
            self.manifest.to_json().as_bytes(),
        )?;
        self.say(format_args!(
            "release.json: {} {} for {} (source date {}) in {}",
            self.meta.name(),
            self.meta.version(),
            self.platform,
            self.date,
            self.out.display()
        ));
        Ok(())
    }

    /// Writes `bytes` to `out/name` atomically and records it.
    fn record(&mut self, name: &str, kind: ArtifactKind, bytes: &[u8]) -> Result<(), Error> {
        write_atomic(self.out.join(name), bytes)?;
        let written = consign::core::hash_reader(bytes, &ALGORITHMS)?;
        self.manifest.add(Artifact::new(name, kind, &written)?)?;
        Ok(())
    }
}

fn run() -> Result<(), Error> {
    let mut release = Release::build(parse_args()?)?;
    release.archives()?;
    release.packages()?;
    release.installers()?;
    release.sboms()?;
    release.images()?;
    release.sign()?;
    release.checksums()?;
    release.manifest()
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
