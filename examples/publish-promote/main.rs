//! Publish and promote: an image built and pushed under its commit, attested (SBOM, SLSA
//! provenance, vulnerability scan) and signed in the registry; then, on release, verified,
//! promoted by digest to the production registry with every signature and attestation and
//! the release's semantic-version tags, and verified again there.
//!
//! ```text
//! publish-promote publish --registry HOST/REPO --commit SHA --binary [PLATFORM=]PATH...
//!                         --scan REPORT.json [--branch NAME] [--cosign-key FILE] [--out DIR]
//! publish-promote verify  --key cosign.pub REFERENCE
//! publish-promote promote --key cosign.pub --from HOST/REPO:sha-<short> --to HOST/REPO
//!                         --version v1.2.3
//! ```
//!
//! **publish** writes one image per `--binary` (its platform given as `linux/arm64=PATH`, or
//! the host's; a program whose header names another machine is refused) and an index naming
//! them into `OUT/oci` (an OCI image layout; `OUT` defaults to `dist`), pushes the index
//! tagged `sha-<short commit>` and the branch name (docker/metadata-action's `type=sha` and
//! `type=ref,event=branch`), then works on the pushed digest only, as separate pipeline stages
//! would: it attaches an SPDX SBOM of the program's crates, SLSA provenance and the scanner's
//! report (a Trivy JSON report, as the cosign vulnerability predicate) as DSSE attestations,
//! signs the index (cosign simple signing), and verifies the result by policy. Without
//! `--registry` everything goes into the layout instead. The key is `--cosign-key` (or
//! `$COSIGN_KEY`, passphrase in `$COSIGN_PASSWORD`); without one a throwaway key is made for
//! the run. Its public key is written to `OUT/cosign.pub` either way.
//!
//! **verify** applies the release policy to an image in a registry: a valid signature by the
//! key over a payload naming the image's digest, and valid attestations of the three types
//! naming it. Every unmet requirement is printed, and the exit status is 1.
//!
//! **promote** resolves `--from` to its digest, verifies it, copies the index with its images,
//! blobs, signatures and attestations to `--to` (the same bytes: the digest does not change),
//! tags it `1.2.3`, `v1.2.3`, `1.2`, `1`, and `latest` when it is the highest stable release
//! the destination has, and verifies it again at the destination.
//!
//! Credentials come from the Docker config; plain HTTP is used for loopback registries only.
//! Signing is with a key: keyless (Fulcio and Rekor) signing and identity-based verification
//! are not part of consign yet, so `verify` checks the key instead of an OIDC identity.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use consign::core::{Platform, SourceDate};
use consign::oci::attach::{Attachment, Attachments, Kind};
use consign::oci::ops::{promote, pull_attachments, push_layout};
use consign::oci::registry::{Client, ClientOptions};
use consign::oci::store::RegistryStore;
use consign::oci::tags::{BuildRef, TagOptions};
use consign::oci::{Descriptor, OciLayout, ProgramImages, Reference, Tag, annotation};
use consign::sbom::{CargoOptions, Features, Inventory, Sbom, TargetTriple};
use consign::sign::Signer;
use consign::sign::attest::{
    COSIGN_VULN_V1, Envelope, Provenance, ResourceDescriptor, SLSA_PROVENANCE_V1, SPDX_DOCUMENT,
    SbomPredicate, Statement, Subject, VulnFormat, VulnScanPredicate,
};
use consign::sign::cosign::{
    self, CosignKey, CosignPublicKey, CosignSigner, CosignVerifier, SimpleSigning,
};
use consign::sign::policy::{Evidence, ImagePolicy, Verdict};

type Error = Box<dyn std::error::Error + Send + Sync>;

/// The build type of the provenance written outside GitHub Actions.
const BUILD_TYPE: &str = "https://github.com/consign-rs/consign/examples/publish-promote/v1";

/// The attestations the release policy requires.
const REQUIRED: [&str; 3] = [SLSA_PROVENANCE_V1, SPDX_DOCUMENT, COSIGN_VULN_V1];

fn workspace_root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let run = || -> Result<(), Error> {
        let (command, rest) = args.split_first().ok_or(USAGE)?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()?;
        match command.as_str() {
            "publish" => runtime.block_on(publish(PublishArgs::parse(rest)?)),
            "verify" => {
                let (key, reference) = verify_args(rest)?;
                runtime.block_on(verify_command(&key, &reference))
            }
            "promote" => runtime.block_on(promote_command(PromoteArgs::parse(rest)?)),
            _ => Err(USAGE.into()),
        }
    };
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("publish-promote: {e}");
            ExitCode::FAILURE
        }
    }
}

const USAGE: &str = "usage: publish-promote publish --registry HOST/REPO --commit SHA \
    --binary [PLATFORM=]PATH... --scan REPORT.json [--branch NAME] [--cosign-key FILE] [--out DIR]\n\
    \x20      publish-promote verify --key cosign.pub REFERENCE\n\
    \x20      publish-promote promote --key cosign.pub --from REFERENCE --to HOST/REPO --version VERSION";

struct PublishArgs {
    registry: Option<Reference>,
    commit: String,
    branch: String,
    binaries: Vec<(Platform, PathBuf)>,
    scan: PathBuf,
    cosign_key: Option<PathBuf>,
    out: PathBuf,
}

impl PublishArgs {
    fn parse(args: &[String]) -> Result<PublishArgs, Error> {
        let (mut registry, mut commit, mut scan, mut cosign_key) = (None, None, None, None);
        let mut branch = "main".to_owned();
        let mut binaries = Vec::new();
        let mut out = PathBuf::from("dist");
        let mut args = args.iter();
        while let Some(arg) = args.next() {
            let mut value = || args.next().ok_or(format!("{arg} needs a value"));
            match arg.as_str() {
                "--registry" => registry = Some(repository_reference(value()?)?),
                "--commit" => commit = Some(value()?.clone()),
                "--branch" => branch = value()?.clone(),
                "--binary" => binaries.push(binary_arg(value()?)?),
                "--scan" => scan = Some(PathBuf::from(value()?)),
                "--cosign-key" => cosign_key = Some(PathBuf::from(value()?)),
                "--out" => out = PathBuf::from(value()?),
                other => return Err(format!("unexpected argument {other:?}\n{USAGE}").into()),
            }
        }
        if binaries.is_empty() {
            return Err("give the program to ship with --binary [PLATFORM=]PATH".into());
        }
        Ok(PublishArgs {
            registry,
            commit: commit.ok_or("--commit SHA is required (the built commit)")?,
            branch,
            binaries,
            scan: scan.ok_or("--scan REPORT.json is required (the scanner's JSON report)")?,
            cosign_key: cosign_key.or_else(|| std::env::var_os("COSIGN_KEY").map(PathBuf::from)),
            out,
        })
    }
}

/// `linux/arm64=PATH` or `PATH` (the host's platform).
fn binary_arg(text: &str) -> Result<(Platform, PathBuf), Error> {
    let (platform, path) = match text.split_once('=') {
        Some((platform, path)) => (Platform::from_oci(platform)?, path),
        None => (Platform::host()?, text),
    };
    Ok((platform, PathBuf::from(path)))
}

/// `HOST[:PORT]/REPO`, without tag or digest.
fn repository_reference(text: &str) -> Result<Reference, Error> {
    let reference: Reference = text
        .parse()
        .map_err(|e| format!("{text:?}: {e}; expected HOST[:PORT]/REPO"))?;
    let last = text.rsplit_once('/').map_or(text, |(_, last)| last);
    if last.contains(':') || last.contains('@') {
        return Err(format!("{text:?} names a tag or digest; give HOST[:PORT]/REPO").into());
    }
    Ok(reference)
}

fn client(reference: &Reference) -> Result<Client, Error> {
    let options = ClientOptions::default().plain_http(reference.is_loopback());
    Ok(Client::for_reference(reference, options)?)
}

async fn publish(args: PublishArgs) -> Result<(), Error> {
    let date = match SourceDate::from_env()? {
        Some(date) => date,
        None => SourceDate::from_git(workspace_root(), "HEAD")?,
    };
    std::fs::create_dir_all(&args.out)?;
    let key = match &args.cosign_key {
        Some(path) => CosignKey::read(path, cosign::Passphrase::from_env().as_ref())?,
        None => {
            eprintln!(
                "publish-promote: no cosign key given (--cosign-key or COSIGN_KEY): signing with \
                 a throwaway key made for this run"
            );
            CosignKey::generate()?
        }
    };
    std::fs::write(args.out.join("cosign.pub"), key.public_key().to_pem())?;
    let public_key = key.public_key().clone();
    let signer = CosignSigner::new(key, "cosign");

    // Stage 1: build and push.
    let tags =
        BuildRef::Branch(args.branch.clone()).tags(&TagOptions::default().sha(&args.commit)?);
    let sha_tag = tags
        .iter()
        .find(|t| t.as_str().starts_with("sha-"))
        .ok_or("no sha- tag for the commit")?
        .clone();
    let layout = OciLayout::create(args.out.join("oci"))?;
    let index = build_images(&layout, &args, &sha_tag, date)?;
    let subject_name = match &args.registry {
        Some(r) => r.repository().to_string(),
        None => "oci".to_owned(),
    };
    let target = match &args.registry {
        Some(registry) => {
            let client = client(registry)?;
            let pushed = push_layout(&client, &layout, sha_tag.as_str(), registry, &tags).await?;
            let shown: Vec<&str> = pushed.tags.iter().map(Tag::as_str).collect();
            println!(
                "pushed {}@{} as {}",
                registry.repository(),
                pushed.descriptor.digest,
                shown.join(", ")
            );
            Some((client, registry.clone()))
        }
        None => None,
    };

    // Stages 2 and 3: attest and sign the pushed digest.
    let subject = Subject::new(&subject_name, &index.digest);
    let attestations = [
        sbom_attestation(&args, &subject, date, &signer)?,
        provenance_attestation(&args, &subject, &signer)?,
        scan_attestation(&args.scan, &subject, &signer)?,
    ];
    let mut attested = Attachments::new(Kind::Attestations);
    for (envelope, predicate_type) in &attestations {
        attested = attested.push(Attachment::attestation(
            envelope.to_json().into_bytes(),
            predicate_type,
        ));
    }
    let docker_reference = match &args.registry {
        Some(r) => format!("{}/{}", r.registry(), r.repository()),
        None => subject_name.clone(),
    };
    let (payload, signature) = SimpleSigning::new(docker_reference, index.digest).sign(&signer)?;
    let signed =
        Attachments::new(Kind::Signatures).push(Attachment::simple_signing(payload, &signature)?);

    let verifier = CosignVerifier::new(public_key);
    let verdict = match &target {
        Some((client, registry)) => {
            let store = RegistryStore::new(client.clone(), registry.repository().clone());
            attested.write_to_store(&store, &index).await?;
            signed.write_to_store(&store, &index).await?;
            verify_in_registry(client, &registry.at_digest(index.digest), verifier).await?
        }
        None => {
            attested.write_to(&layout, &index)?;
            signed.write_to(&layout, &index)?;
            let signatures = Attachments::read(&layout, &index.digest, Kind::Signatures)?;
            let attestations = Attachments::read(&layout, &index.digest, Kind::Attestations)?;
            check_policy(&index.digest, &signatures, &attestations, verifier)?
        }
    };
    report("verified", &subject_name, &verdict);
    Ok(())
}

/// Writes one image per binary and the index naming them; tags the index `sha_tag` and each
/// image `<sha_tag>-<arch>` in the layout.
fn build_images(
    layout: &OciLayout,
    args: &PublishArgs,
    sha_tag: &Tag,
    date: SourceDate,
) -> Result<Descriptor, Error> {
    let name = args.binaries[0]
        .1
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or("the program has no file name")?;
    let mut images = ProgramImages::new(name, date).annotation(annotation::REVISION, &args.commit);
    for (platform, path) in &args.binaries {
        images = images.program(platform, path)?;
    }
    Ok(images.write_to(layout, sha_tag)?.index)
}

fn sbom_attestation(
    args: &PublishArgs,
    subject: &Subject,
    date: SourceDate,
    signer: &dyn Signer,
) -> Result<(Envelope, &'static str), Error> {
    let (platform, _) = &args.binaries[0];
    let inventory = Inventory::from_cargo(
        workspace_root().join("Cargo.toml"),
        "consign",
        &TargetTriple::from(*platform),
        &Features::default(),
        &CargoOptions::default(),
    )?;
    let document = Sbom::new(&inventory, date).spdx()?;
    let predicate = SbomPredicate::from_json(document.as_bytes())?;
    let statement = Statement::new(vec![subject.clone()], &predicate)?;
    Ok((Envelope::sign_statement(&statement, signer)?, SPDX_DOCUMENT))
}

fn provenance_attestation(
    args: &PublishArgs,
    subject: &Subject,
    signer: &dyn Signer,
) -> Result<(Envelope, &'static str), Error> {
    let env: BTreeMap<String, String> = std::env::vars().collect();
    let provenance = match Provenance::from_github_actions(&env)? {
        Some(p) => p,
        None => Provenance::new(
            BUILD_TYPE,
            format!(
                "https://github.com/consign-rs/consign/examples/publish-promote@{}",
                env!("CARGO_PKG_VERSION")
            ),
        ),
    };
    let platforms: Vec<String> = args
        .binaries
        .iter()
        .map(|(p, _)| p.oci_platform())
        .collect();
    let provenance = provenance
        .external_parameter("commit", args.commit.as_str())
        .external_parameter("branch", args.branch.as_str())
        .external_parameter("platforms", platforms)
        .resolved_dependency(
            ResourceDescriptor::new(format!(
                "git+https://github.com/consign-rs/consign@{}",
                args.commit
            ))
            .with_digest("gitCommit", args.commit.as_str()),
        );
    let statement = Statement::new(vec![subject.clone()], &provenance)?;
    Ok((
        Envelope::sign_statement(&statement, signer)?,
        SLSA_PROVENANCE_V1,
    ))
}

/// The scanner's JSON report (Trivy's format: `Trivy.Version`, `CreatedAt`) as the cosign
/// vulnerability predicate.
fn scan_attestation(
    report: &Path,
    subject: &Subject,
    signer: &dyn Signer,
) -> Result<(Envelope, &'static str), Error> {
    let text = std::fs::read(report)
        .map_err(|e| format!("cannot read the scan report {}: {e}", report.display()))?;
    let report_json: serde_json::Value = serde_json::from_slice(&text)
        .map_err(|e| format!("the scan report {} is not JSON: {e}", report.display()))?;
    let version = report_json
        .pointer("/Trivy/Version")
        .and_then(|v| v.as_str())
        .unwrap_or("unknown")
        .to_owned();
    let mut predicate = VulnScanPredicate::new(
        VulnFormat::Cosign,
        format!("pkg:github/aquasecurity/trivy@{version}"),
        version,
    );
    if let Some(at) = report_json
        .get("CreatedAt")
        .and_then(|v| v.as_str())
        .and_then(|t| {
            time::OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339).ok()
        })
    {
        predicate = predicate.scan_started_on(at).scan_finished_on(at);
    }
    let predicate = predicate.report(report_json);
    let statement = Statement::new(vec![subject.clone()], &predicate)?;
    Ok((
        Envelope::sign_statement(&statement, signer)?,
        COSIGN_VULN_V1,
    ))
}

fn policy(verifier: CosignVerifier) -> ImagePolicy {
    REQUIRED
        .iter()
        .fold(ImagePolicy::new(Box::new(verifier)), |p, t| {
            p.require_attestation(*t)
        })
}

fn check_policy(
    digest: &consign::core::Digest,
    signatures: &Attachments,
    attestations: &Attachments,
    verifier: CosignVerifier,
) -> Result<Verdict, Error> {
    let mut evidence = Evidence::new();
    for item in signatures.items() {
        evidence = evidence.signature(item.content(), item.signature().unwrap_or(""));
    }
    for item in attestations.items() {
        evidence = evidence.attestation(item.content());
    }
    Ok(policy(verifier).check(digest, &evidence).require()?)
}

/// Pulls what is attached to `reference` (a reference with a digest) and applies the policy.
async fn verify_in_registry(
    client: &Client,
    reference: &Reference,
    verifier: CosignVerifier,
) -> Result<Verdict, Error> {
    let digest = reference.digest().ok_or("a digest is needed")?;
    let signatures = pull_attachments(client, reference, digest, Kind::Signatures).await?;
    let attestations = pull_attachments(client, reference, digest, Kind::Attestations).await?;
    check_policy(digest, &signatures, &attestations, verifier)
}

fn report(what: &str, name: &str, verdict: &Verdict) {
    let keys: Vec<&str> = verdict
        .signatures()
        .iter()
        .map(|v| v.key.as_str())
        .collect();
    let attested: Vec<String> = verdict
        .attestations()
        .map(|(t, n)| format!("{t} ×{n}"))
        .collect();
    println!(
        "{what} {name}@{}: signed by {}; attested {}",
        verdict.subject(),
        keys.join(", "),
        attested.join(", ")
    );
}

fn verify_args(args: &[String]) -> Result<(PathBuf, Reference), Error> {
    let (mut key, mut reference) = (None, None);
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--key" => key = Some(PathBuf::from(args.next().ok_or("--key needs a value")?)),
            other if reference.is_none() && !other.starts_with('-') => {
                reference = Some(other.parse::<Reference>()?);
            }
            other => return Err(format!("unexpected argument {other:?}\n{USAGE}").into()),
        }
    }
    Ok((
        key.ok_or("--key cosign.pub is required")?,
        reference.ok_or("a REFERENCE is required")?,
    ))
}

fn verifier(key: &Path) -> Result<CosignVerifier, Error> {
    Ok(CosignVerifier::new(CosignPublicKey::read(key)?))
}

/// The reference at its digest (resolving a tag through the registry).
async fn resolve(client: &Client, reference: &Reference) -> Result<Reference, Error> {
    if reference.digest().is_some() {
        return Ok(reference.clone());
    }
    let fetched = client.pull_manifest(reference).await?;
    Ok(reference.at_digest(fetched.digest))
}

async fn verify_command(key: &Path, reference: &Reference) -> Result<(), Error> {
    let client = client(reference)?;
    let at = resolve(&client, reference).await?;
    let verdict = verify_in_registry(&client, &at, verifier(key)?).await?;
    report("verified", &reference.repository().to_string(), &verdict);
    Ok(())
}

struct PromoteArgs {
    key: PathBuf,
    from: Reference,
    to: Reference,
    version: String,
}

impl PromoteArgs {
    fn parse(args: &[String]) -> Result<PromoteArgs, Error> {
        let (mut key, mut from, mut to, mut version) = (None, None, None, None);
        let mut args = args.iter();
        while let Some(arg) = args.next() {
            let mut value = || args.next().ok_or(format!("{arg} needs a value"));
            match arg.as_str() {
                "--key" => key = Some(PathBuf::from(value()?)),
                "--from" => from = Some(value()?.parse::<Reference>()?),
                "--to" => to = Some(repository_reference(value()?)?),
                "--version" => version = Some(value()?.clone()),
                other => return Err(format!("unexpected argument {other:?}\n{USAGE}").into()),
            }
        }
        Ok(PromoteArgs {
            key: key.ok_or("--key cosign.pub is required")?,
            from: from.ok_or("--from REFERENCE is required")?,
            to: to.ok_or("--to HOST/REPO is required")?,
            version: version.ok_or("--version is required (the release, e.g. v1.2.3)")?,
        })
    }
}

async fn promote_command(args: PromoteArgs) -> Result<(), Error> {
    let from_client = client(&args.from)?;
    let to_client = client(&args.to)?;
    let build = BuildRef::release(&args.version)?;

    // 1-2: the source by digest, verified before anything is copied.
    let source = resolve(&from_client, &args.from).await?;
    let verdict = verify_in_registry(&from_client, &source, verifier(&args.key)?).await?;
    report("verified", &args.from.repository().to_string(), &verdict);

    // 3-4: copy with every attachment, then the release tags.
    let existing = match to_client.list_tags(args.to.repository()).await {
        Ok(tags) => tags,
        Err(e) if e.is_not_found() => Vec::new(),
        Err(e) => return Err(e.into()),
    };
    let tags = build.tags(
        &TagOptions::default()
            .v_prefixed(true)
            .latest(true)
            .published(&existing),
    );
    let summary = promote(&from_client, &source, &to_client, &args.to, &tags).await?;
    let shown: Vec<&str> = summary.tags.iter().map(Tag::as_str).collect();
    println!(
        "promoted {}@{} to {} as {} ({} manifests, {} attachments, {} blobs copied, {} already there)",
        args.from.repository(),
        summary.descriptor.digest,
        args.to.repository(),
        shown.join(", "),
        summary.manifests,
        summary.attachments.len(),
        summary.blobs_copied + summary.blobs_mounted,
        summary.blobs_skipped,
    );

    // 5: verified again where it now lives.
    let promoted = args.to.at_digest(summary.descriptor.digest);
    let verdict = verify_in_registry(&to_client, &promoted, verifier(&args.key)?).await?;
    report("verified", &args.to.repository().to_string(), &verdict);
    Ok(())
}
