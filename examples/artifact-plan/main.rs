//! The full artifact plan of a tagged release, then a verification step that checks
//! everything it published.
//!
//! ```text
//! artifact-plan publish --name NAME --version V --target TRIPLE=PROGRAM... --repo DIR
//!                       --man FILE [--pgp-key FILE] [--cosign-key FILE] [--out DIR]
//! artifact-plan verify  --dist DIR --pgp-public FILE --cosign-public FILE
//! ```
//!
//! **publish** does in-process what a release workflow does with `tar`/`zip`, `nfpm`,
//! `sha256sum`/`sha512sum`, `gpg --detach-sign`, `cosign sign-blob`, syft (SPDX and
//! CycloneDX), git-cliff and the SLSA generator, for the platform matrix given by `--target`:
//!
//! - archives: `NAME-V-TRIPLE.tar.gz` and `.zip` (program, README and licenses), and for Linux
//!   targets `NAME_V_<debarch>.deb` and `NAME-V-1.<rpmarch>.rpm` (OpenPGP-signed inside; the
//!   program with its manual page `--man`, and what lintian and rpmlint ask for: section,
//!   group, descriptions, changelog, and a lintian override declaring a static musl program);
//! - an SPDX 2.3 and a CycloneDX 1.6 SBOM of each;
//! - an OpenPGP signature (`<file>.asc`) and a cosign signature (`<file>.sig`) of each;
//! - `SHA256SUMS` and `SHA512SUMS` of everything, each signed both ways;
//! - `RELEASE_NOTES.md` from the Conventional Commits of DIR since its previous release tag;
//! - `NAME-V.intoto.jsonl`, signed SLSA provenance naming every file;
//! - `keys/release.asc`, `keys/cosign.pub` and `release.json` (every file with its digests and
//!   what attaches to it).
//!
//! Keys: `--pgp-key` (armored secret key, passphrase in `$CONSIGN_PGP_PASSPHRASE`) and
//! `--cosign-key` (passphrase in `$COSIGN_PASSWORD`); a throwaway key is made for what is not
//! given. Dates come from `SOURCE_DATE_EPOCH`. Not in the plan yet: `.msi` and `.dmg`
//! installers (consign does not write them) and keyless signatures.
//!
//! **verify** trusts only the two public keys given and checks the directory as a downloader
//! would: both checksum files against every file, their signatures, each file's `.asc` and
//! `.sig`, that every artifact has its two SBOMs and that they parse as SPDX and CycloneDX,
//! and that the provenance verifies and names every file with its digest. Every problem is
//! printed; the exit status is 1 when there is any.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use consign::core::{
    Algorithm, Artifact, ArtifactKind, ArtifactWriter, ChecksumFile, Entry, FileTree, Jobs, KeyId,
    PackageMeta, Platform, ReleaseManifest, Signature, SignatureFormat, Signer, SourceDate, Style,
    VerificationMaterial, Verifier,
};
use consign::package::compress::{Codec, Compression};
use consign::package::rpm::{ChangelogEntry, RpmSpec};
use consign::package::{Archive, ArchiveFormat, ArchiveOptions, Deb, DebOptions, Rpm, RpmOptions};
use consign::sbom::{CdxVersion, Inventory, Sbom};
use consign::sign::KeyAlgorithm;
use consign::sign::attest::{
    Envelope, JsonlWriter, Provenance, SbomPredicate, Statement, Subject, read_jsonl,
};
use consign::sign::cosign::{self, CosignKey, CosignPublicKey, CosignSigner, CosignVerifier};
use consign::sign::openpgp::{OpenPgpKey, OpenPgpSigner, OpenPgpVerifier, Passphrase};
use consign::version::{Next, Options, ReleaseNotes, Repo};

type Error = Box<dyn std::error::Error + Send + Sync>;

const ALGORITHMS: [Algorithm; 2] = [Algorithm::Sha256, Algorithm::Sha512];

const BUILD_TYPE: &str = "https://github.com/consign-rs/consign/examples/artifact-plan/v1";

const USAGE: &str = "usage: artifact-plan publish --name NAME --version V --target TRIPLE=PROGRAM... \
                     --repo DIR [--pgp-key FILE] [--cosign-key FILE] [--out DIR]\n\
                     \x20      artifact-plan verify --dist DIR --pgp-public FILE --cosign-public FILE";

fn workspace_root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

#[derive(Default)]
struct Args {
    name: Option<String>,
    version: Option<String>,
    targets: Vec<(Platform, PathBuf)>,
    repo: Option<PathBuf>,
    pgp_key: Option<PathBuf>,
    cosign_key: Option<PathBuf>,
    man: Option<PathBuf>,
    out: Option<PathBuf>,
    pgp_public: Option<PathBuf>,
    cosign_public: Option<PathBuf>,
}

fn parse(args: &[String]) -> Result<Args, Error> {
    let mut a = Args::default();
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let mut value = || it.next().cloned().ok_or(format!("{arg} needs a value"));
        match arg.as_str() {
            "--name" => a.name = Some(value()?),
            "--version" => a.version = Some(value()?),
            "--target" => {
                let text = value()?;
                let (triple, path) = text
                    .split_once('=')
                    .ok_or("--target TRIPLE=PROGRAM: give the program built for the target")?;
                a.targets.push((triple.parse()?, PathBuf::from(path)));
            }
            "--repo" => a.repo = Some(PathBuf::from(value()?)),
            "--pgp-key" => a.pgp_key = Some(PathBuf::from(value()?)),
            "--man" => a.man = Some(PathBuf::from(value()?)),
            "--cosign-key" => a.cosign_key = Some(PathBuf::from(value()?)),
            "--out" | "--dist" => a.out = Some(PathBuf::from(value()?)),
            "--pgp-public" => a.pgp_public = Some(PathBuf::from(value()?)),
            "--cosign-public" => a.cosign_public = Some(PathBuf::from(value()?)),
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
            "publish" => publish(&a),
            "verify" => verify(&a),
            _ => Err(USAGE.into()),
        }),
        None => Err(USAGE.into()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("artifact-plan: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The two signers: OpenPGP and cosign.
struct Keys {
    pgp: OpenPgpSigner,
    pgp_public: Vec<u8>,
    cosign: CosignSigner,
    cosign_public: String,
}

fn keys(a: &Args, name: &str, date: SourceDate) -> Result<Keys, Error> {
    let (pgp, pgp_public) = match &a.pgp_key {
        Some(path) => {
            let signer = OpenPgpSigner::from_file(
                path,
                &Passphrase::from_env("CONSIGN_PGP_PASSPHRASE"),
                date,
            )?;
            let public = signer.key().public_key.clone();
            (signer, public)
        }
        None => {
            let key = OpenPgpKey::generate(
                &format!("{name} release (throwaway) <release@invalid>"),
                KeyAlgorithm::Ed25519,
                date,
            )?;
            let signer =
                OpenPgpSigner::from_armored(key.secret_armored(), &Passphrase::none(), date)?;
            (signer, key.public_armored().to_vec())
        }
    };
    let cosign_key = match &a.cosign_key {
        Some(path) => CosignKey::read(path, cosign::Passphrase::from_env().as_ref())?,
        None => CosignKey::generate()?,
    };
    Ok(Keys {
        pgp,
        pgp_public,
        cosign_public: cosign_key.public_key().to_pem(),
        cosign: CosignSigner::new(cosign_key, "cosign"),
    })
}

impl Keys {
    /// `<file>.asc` and `<file>.sig` of the file `name` in `out`; recorded as attached to it.
    fn sign_file(&self, out: &Path, name: &str) -> Result<Vec<String>, Error> {
        let mut written = Vec::new();
        let signers: [(&dyn Signer, SignatureFormat, &str); 2] = [
            (&self.pgp, SignatureFormat::OpenPgpArmored, "asc"),
            (&self.cosign, SignatureFormat::CosignBlob, "sig"),
        ];
        for (signer, format, extension) in signers {
            let mut file = std::fs::File::open(out.join(name))?;
            let signature = signer.sign(&mut file, format)?;
            let file_name = format!("{name}.{extension}");
            std::fs::write(out.join(&file_name), signature.bytes())?;
            written.push(file_name);
        }
        Ok(written)
    }
}

fn publish(a: &Args) -> Result<(), Error> {
    let (name, version) = (
        required(&a.name, "--name")?,
        required(&a.version, "--version")?,
    );
    let out = a.out.clone().unwrap_or_else(|| PathBuf::from("dist"));
    if a.targets.is_empty() {
        return Err("give the platform matrix with --target TRIPLE=PROGRAM".into());
    }
    let date = SourceDate::from_env()?.ok_or("set SOURCE_DATE_EPOCH")?;
    let keys = keys(a, name, date)?;
    std::fs::create_dir_all(out.join("keys"))?;
    std::fs::write(out.join("keys/release.asc"), &keys.pgp_public)?;
    std::fs::write(out.join("keys/cosign.pub"), &keys.cosign_public)?;
    let meta = PackageMeta::new(name.as_str(), version.as_str())?
        .description("Checksum tool released by the artifact plan")
        .license("MIT OR Apache-2.0")
        .maintainer("Release Engineering <release@example.invalid>");
    let inventory = Inventory::from_meta(&meta)?;
    let mut manifest = ReleaseManifest::new(name, version, date);

    // The matrix: archives everywhere, packages for Linux.
    let mut artifacts = Vec::new();
    for (platform, program) in &a.targets {
        platform.check_executable(program)?;
        let exe = if platform.os() == consign::core::Os::Windows {
            format!("{name}.exe")
        } else {
            name.clone()
        };
        let mut tree = FileTree::new();
        tree.insert(&exe, Entry::file(program)?.mode(0o755))?;
        for doc in ["README.md", "LICENSE-MIT", "LICENSE-APACHE"] {
            tree.insert(doc, Entry::file(workspace_root().join(doc))?.mode(0o644))?;
        }
        let stem = format!("{name}-{version}-{}", platform.rust_target());
        for format in [ArchiveFormat::TarGz, ArchiveFormat::Zip] {
            let archive = Archive::new(format, &tree, date)
                .top_level_dir(&stem)?
                .platform(*platform)
                .options(ArchiveOptions::default().algorithms(&ALGORITHMS));
            artifacts.push((archive.write_into(&out)?.0, tree.clone()));
        }
        if platform.os() == consign::core::Os::Linux {
            let man = std::fs::read(required(&a.man, "--man")?)?;
            artifacts.extend(linux_packages(
                &meta, platform, program, &man, &keys, date, &out,
            )?);
        }
    }

    // Per artifact: SBOMs and signatures.
    let mut subjects = Vec::new();
    for (artifact, files) in artifacts {
        let mut artifact = artifact;
        let contents = inventory.clone().with_files(&files)?;
        let sbom = Sbom::new(&contents, date).subject(artifact.clone());
        for document in sbom.write_all(&out, CdxVersion::V1_6)? {
            artifact = artifact.with_attachment(document.name.as_str());
            // Recorded with both digests, like every file of the release.
            manifest.add(Artifact::from_file(
                &out,
                &document.name,
                ArtifactKind::Sbom,
                &ALGORITHMS,
            )?)?;
        }
        for signature in keys.sign_file(&out, &artifact.name)? {
            manifest.add(Artifact::from_file(
                &out,
                &signature,
                ArtifactKind::Signature,
                &ALGORITHMS,
            )?)?;
            artifact = artifact.with_attachment(signature);
        }
        println!("{} ({} bytes)", artifact.name, artifact.size);
        subjects.push(Subject::from_artifact(&artifact)?);
        manifest.add(artifact)?;
    }

    // Release notes from the history.
    let repo = Repo::open(required(&a.repo, "--repo")?)?;
    let options = Options::default();
    let notes = match repo.next("HEAD", &options)? {
        Next::Release(release) => ReleaseNotes::from_release(&release, &options).section(),
        Next::Nothing { previous, commits } => {
            ReleaseNotes::new(version.as_str(), &commits, &options)
                .previous_tag(previous.map(|p| p.name().to_string()))
                .section()
        }
    };
    std::fs::write(out.join("RELEASE_NOTES.md"), notes)?;
    manifest.add(Artifact::from_file(
        &out,
        "RELEASE_NOTES.md",
        ArtifactKind::Metadata,
        &ALGORITHMS,
    )?)?;

    // Provenance of everything so far.
    let env: BTreeMap<String, String> = std::env::vars().collect();
    let provenance = Provenance::from_github_actions(&env)?
        .unwrap_or_else(|| Provenance::new(BUILD_TYPE, format!("{BUILD_TYPE}@local")))
        .external_parameter("name", name.as_str())
        .external_parameter("version", version.as_str());
    let subjects = manifest
        .artifacts()
        .map(Subject::from_artifact)
        .collect::<Result<Vec<_>, _>>()?;
    let envelope = Envelope::sign_statement(&Statement::new(subjects, &provenance)?, &keys.cosign)?;
    let jsonl_name = format!("{name}-{version}.intoto.jsonl");
    let mut jsonl = JsonlWriter::new(Vec::new());
    jsonl.write(&envelope)?;
    std::fs::write(out.join(&jsonl_name), jsonl.finish()?)?;
    manifest.add(Artifact::from_file(
        &out,
        &jsonl_name,
        ArtifactKind::Attestation,
        &ALGORITHMS,
    )?)?;

    // The checksum files, of the same files, then each signed both ways.
    let sums = [
        (Algorithm::Sha256, "SHA256SUMS"),
        (Algorithm::Sha512, "SHA512SUMS"),
    ];
    let texts = sums
        .iter()
        .map(|(algorithm, _)| Ok(manifest.checksums(*algorithm)?.to_text(Style::Gnu)))
        .collect::<Result<Vec<_>, Error>>()?;
    for ((_, file), text) in sums.iter().zip(texts) {
        std::fs::write(out.join(file), text)?;
        let mut artifact = Artifact::from_file(&out, file, ArtifactKind::Checksums, &ALGORITHMS)?;
        for signature in keys.sign_file(&out, file)? {
            manifest.add(Artifact::from_file(
                &out,
                &signature,
                ArtifactKind::Signature,
                &ALGORITHMS,
            )?)?;
            artifact = artifact.with_attachment(signature);
        }
        manifest.add(artifact)?;
    }
    std::fs::write(out.join("release.json"), manifest.to_json())?;
    println!(
        "{} files in {}",
        manifest.artifacts().count(),
        out.display()
    );
    Ok(())
}

/// The .deb and .rpm of `program` for a Linux `platform`, with their file trees.
fn linux_packages(
    meta: &PackageMeta,
    platform: &Platform,
    program: &Path,
    man: &[u8],
    keys: &Keys,
    date: SourceDate,
    out: &Path,
) -> Result<Vec<(Artifact, FileTree)>, Error> {
    let name = meta.name();
    let mut files = FileTree::new();
    files.insert(format!("usr/bin/{name}"), Entry::file(program)?.mode(0o755))?;
    files.insert(
        format!("usr/share/man/man1/{name}.1.gz"),
        Entry::bytes(Compression::new(Codec::Gzip).level(9)?.compress(man)?)
            .mode(0o644)
            .doc(),
    )?;
    let mut deb_files = files.clone();
    if platform.libc() == Some(consign::core::Libc::Musl) {
        // Static linking is the point of a musl build: say so to lintian.
        deb_files.insert(
            format!("usr/share/lintian/overrides/{name}"),
            Entry::bytes(
                format!("{name}: statically-linked-binary [usr/bin/{name}]\n").into_bytes(),
            )
            .mode(0o644),
        )?;
    }
    // Debian wants description lines of at most 80 characters.
    let extended = format!(
        "The {name} {} release for {platform},\nwith its checksums, signatures, SBOMs and provenance.",
        meta.version()
    );
    let deb = Deb::new(&deb_files, meta, *platform, date)
        .signer(&keys.pgp)
        .options(
            DebOptions::default()
                .algorithms(&ALGORITHMS)
                .section("utils")
                .extended_description(extended.as_str()),
        );
    let rpm = Rpm::new(&files, meta, *platform, date)
        .spec(
            RpmSpec::default()
                .group("Applications/System")
                .description(extended.as_str())
                .changelog(ChangelogEntry::new(
                    date,
                    format!(
                        "Release Engineering <release@example.invalid> - {}-1",
                        meta.version()
                    ),
                    format!("- Release {}", meta.version()),
                )),
        )
        .signer(&keys.pgp)
        .options(RpmOptions::default().algorithms(&ALGORITHMS));
    Ok(vec![
        (deb.write_into(out)?.0, deb_files.clone()),
        (rpm.write_into(out)?.0, files),
    ])
}

/// The verification step: trusts only the public keys given.
fn verify(a: &Args) -> Result<(), Error> {
    let dist = required(&a.out, "--dist")?;
    let pgp = OpenPgpVerifier::from_file(required(&a.pgp_public, "--pgp-public")?)?;
    let cosign = CosignVerifier::new(CosignPublicKey::read(required(
        &a.cosign_public,
        "--cosign-public",
    )?)?);
    let mut problems: Vec<String> = Vec::new();
    let mut checked = 0usize;

    // The checksum files: signed by both keys, and every file they list matches.
    let mut listed = Vec::new();
    for (algorithm, file) in [
        (Algorithm::Sha256, "SHA256SUMS"),
        (Algorithm::Sha512, "SHA512SUMS"),
    ] {
        problems.extend(check_signatures(dist, file, &pgp, &cosign));
        let sums = ChecksumFile::parse(&std::fs::read_to_string(dist.join(file))?, algorithm)?;
        let report = sums.verify_dir(dist, Jobs::All);
        checked += sums.entries().count();
        problems.extend(report.failures().map(|f| format!("{file}: {f}")));
        listed.extend(sums.entries().map(|e| e.name.clone()));
    }

    // The manifest: each release artifact has its signatures and two SBOMs.
    let manifest =
        ReleaseManifest::from_json(&std::fs::read_to_string(dist.join("release.json"))?)?;
    // The checksum files and their signatures are checked above, not listed.
    let unlisted: Vec<&String> = manifest
        .artifacts()
        .filter(|a| a.kind == ArtifactKind::Checksums)
        .flat_map(|a| std::iter::once(&a.name).chain(&a.attachments))
        .collect();
    for artifact in manifest.artifacts() {
        if !listed.contains(&artifact.name) && !unlisted.contains(&&artifact.name) {
            problems.push(format!("{} is not in the checksum files", artifact.name));
        }
        if !matches!(
            artifact.kind,
            ArtifactKind::Archive | ArtifactKind::Deb | ArtifactKind::Rpm
        ) {
            continue;
        }
        problems.extend(check_signatures(dist, &artifact.name, &pgp, &cosign));
        let sboms: Vec<&String> = artifact
            .attachments
            .iter()
            .filter(|n| n.ends_with(".spdx.json") || n.ends_with(".cdx.json"))
            .collect();
        if sboms.len() != 2 {
            problems.push(format!(
                "{} has {} SBOMs, not 2",
                artifact.name,
                sboms.len()
            ));
        }
        for sbom in sboms {
            if let Err(e) = std::fs::read(dist.join(sbom))
                .map_err(Error::from)
                .and_then(|b| SbomPredicate::from_json(&b).map_err(Error::from))
            {
                problems.push(format!("{sbom}: {e}"));
            }
        }
    }

    // The provenance: verifies, and names every file with its digest.
    let jsonl = dist.join(format!(
        "{}-{}.intoto.jsonl",
        manifest.name, manifest.version
    ));
    let envelopes = read_jsonl(std::io::BufReader::new(std::fs::File::open(&jsonl)?))
        .collect::<Result<Vec<_>, _>>()?;
    let mut named = Vec::new();
    for envelope in &envelopes {
        match envelope.verify(&cosign).and_then(|_| envelope.statement()) {
            Ok(statement) => named.extend(statement.subjects().to_vec()),
            Err(e) => problems.push(format!("{}: {e}", jsonl.display())),
        }
    }
    for artifact in manifest.artifacts() {
        if artifact.kind == ArtifactKind::Attestation || unlisted.contains(&&artifact.name) {
            continue;
        }
        let digest = artifact
            .digests
            .get(Algorithm::Sha256)
            .ok_or("no SHA-256 recorded")?;
        if !named.iter().any(|s| s.matches(digest)) {
            problems.push(format!("the provenance does not name {}", artifact.name));
        }
    }

    if problems.is_empty() {
        println!(
            "verified {} {}: {checked} checksums, {} artifacts, provenance",
            manifest.name,
            manifest.version,
            manifest.artifacts().count()
        );
        return Ok(());
    }
    for problem in &problems {
        eprintln!("artifact-plan: {problem}");
    }
    Err(format!("{} problems found", problems.len()).into())
}

/// The problems with `<file>.asc` and `<file>.sig`.
fn check_signatures(
    dist: &Path,
    file: &str,
    pgp: &OpenPgpVerifier,
    cosign: &CosignVerifier,
) -> Vec<String> {
    let mut problems = Vec::new();
    let checks: [(&dyn Verifier, SignatureFormat, &str); 2] = [
        (pgp, SignatureFormat::OpenPgpArmored, "asc"),
        (cosign, SignatureFormat::CosignBlob, "sig"),
    ];
    for (verifier, format, extension) in checks {
        let name = format!("{file}.{extension}");
        let result = std::fs::read(dist.join(&name))
            .map_err(Error::from)
            .and_then(|bytes| {
                let signature = Signature::new(
                    format,
                    bytes,
                    VerificationMaterial::PublicKey {
                        hint: KeyId::new(""),
                    },
                );
                let mut data = std::fs::File::open(dist.join(file))?;
                verifier.verify(&mut data, &signature).map_err(Error::from)
            });
        if let Err(e) = result {
            problems.push(format!("{name}: {e}"));
        }
    }
    problems
}
