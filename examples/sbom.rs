//! `sbom`: writes the CycloneDX and SPDX documents of a workspace package.
//!
//! ```text
//! sbom [--manifest-path Cargo.toml] [-p PACKAGE] [--target TRIPLE] [-F FEATURES]
//!      [--all-features] [--no-default-features] [--build-deps] [--spec-version 1.5|1.6]
//!      [--subject FILE]... [-o DIR]
//! ```
//!
//! The graph is the one Cargo resolves for PACKAGE (default: the manifest's package) built for
//! TRIPLE (default: the host) with FEATURES. Each `--subject` file is hashed and described as a
//! released artifact. Documents go to DIR (default `.`) as `<subject>.cdx.json` and
//! `<subject>.spdx.json` (`<package>-<version>.…` without a subject), dated
//! `SOURCE_DATE_EPOCH`, else the commit time of the manifest's git `HEAD`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use consign::core::{Algorithm, Artifact, ArtifactKind, PackageMeta, Platform, SourceDate};
use consign::sbom::{CargoOptions, CdxVersion, Features, Inventory, Sbom, TargetTriple};

const USAGE: &str = "\
usage: sbom [--manifest-path PATH] [-p PACKAGE] [--target TRIPLE] [-F FEATURES]
            [--all-features] [--no-default-features] [--build-deps] [--spec-version 1.5|1.6]
            [--subject FILE]... [-o DIR]
";

struct Args {
    manifest: PathBuf,
    package: Option<String>,
    target: Option<String>,
    features: Features,
    options: CargoOptions,
    version: CdxVersion,
    subjects: Vec<PathBuf>,
    out: PathBuf,
}

fn parse_args() -> Result<Args, String> {
    let mut a = Args {
        manifest: PathBuf::from("Cargo.toml"),
        package: None,
        target: None,
        features: Features::default(),
        options: CargoOptions::default(),
        version: CdxVersion::V1_6,
        subjects: Vec::new(),
        out: PathBuf::from("."),
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut value = |name: &str| it.next().ok_or(format!("{name} needs a value"));
        match arg.as_str() {
            "--manifest-path" => a.manifest = value(&arg)?.into(),
            "-p" | "--package" => a.package = Some(value(&arg)?),
            "--target" => a.target = Some(value(&arg)?),
            "-F" | "--features" => a.features = a.features.with([value(&arg)?]),
            "--all-features" => a.features = Features::all().with(a.features.names().to_vec()),
            "--no-default-features" => a.features = a.features.no_default_features(),
            "--build-deps" => a.options.build_dependencies = true,
            "--spec-version" => {
                a.version = match value(&arg)?.as_str() {
                    "1.5" => CdxVersion::V1_5,
                    "1.6" => CdxVersion::V1_6,
                    v => return Err(format!("unsupported CycloneDX version {v}")),
                }
            }
            "--subject" => a.subjects.push(value(&arg)?.into()),
            "-o" | "--out" => a.out = value(&arg)?.into(),
            "-h" | "--help" => return Err(String::new()),
            other => return Err(format!("unknown argument {other}")),
        }
    }
    Ok(a)
}

fn run(a: Args) -> Result<(), Box<dyn std::error::Error>> {
    let package = match &a.package {
        Some(p) => p.clone(),
        None => PackageMeta::from_manifest(&a.manifest, None)?
            .name()
            .to_owned(),
    };
    let target: TargetTriple = match &a.target {
        Some(t) => t.parse()?,
        None => TargetTriple::from(Platform::host()?),
    };
    let inventory = Inventory::from_cargo(&a.manifest, &package, &target, &a.features, &a.options)?;
    let dir = a
        .manifest
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let date = match SourceDate::from_env()? {
        Some(d) => d,
        None => SourceDate::from_git(dir, "HEAD")?,
    };
    let mut sbom = Sbom::new(&inventory, date);
    for s in &a.subjects {
        let (parent, name) = match (s.parent(), s.file_name().and_then(|n| n.to_str())) {
            (Some(p), Some(n)) => (p, n),
            _ => return Err(format!("cannot name the subject {}", s.display()).into()),
        };
        let kind = if name.ends_with(".deb") {
            ArtifactKind::Deb
        } else if name.ends_with(".rpm") {
            ArtifactKind::Rpm
        } else if name.contains(".tar") || name.ends_with(".zip") {
            ArtifactKind::Archive
        } else {
            ArtifactKind::Binary
        };
        sbom = sbom.subject(Artifact::from_file(
            parent,
            name,
            kind,
            &[Algorithm::Sha256],
        )?);
    }
    for artifact in sbom.write_all(&a.out, a.version)? {
        println!(
            "{}  {}",
            artifact
                .digests
                .get(Algorithm::Sha256)
                .map(|d| d.to_string())
                .unwrap_or_default(),
            artifact.name
        );
    }
    Ok(())
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            if !e.is_empty() {
                eprintln!("sbom: {e}");
            }
            eprint!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    match run(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("sbom: {e}");
            ExitCode::FAILURE
        }
    }
}
