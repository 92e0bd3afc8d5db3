//! Semantic release of a Cargo workspace: the next version from the Conventional Commits since
//! the last release tag, every `Cargo.toml` (and `Cargo.lock`) of the workspace bumped to it,
//! the release notes and changelog written, and the image of the released program built and
//! published under the release's tags.
//!
//! ```text
//! semantic-release --repo DIR --bin NAME [--registry HOST/REPO] [--out DIR]
//! ```
//!
//! It does in-process what a manually triggered semantic-release job (commit analysis, a
//! script editing each `Cargo.toml`, the GitHub release) followed by an on-release image job
//! (`docker build`, `docker push`) does:
//!
//! 1. **Next version**: from the commits since the last `v*` tag reachable from `HEAD` in DIR
//!    (`feat` a minor release, `fix`/`perf` a patch, breaking changes a major one). Nothing to
//!    release is said, and the program stops there with success.
//! 2. **Bump**: every member's `version`, `workspace.package.version`, the requirements
//!    between members and `Cargo.lock`, formatting and comments kept.
//! 3. **Notes**: `OUT/RELEASE_NOTES.md` (the release body, grouped by change type, breaking
//!    changes first) and the release's section added to `DIR/CHANGELOG.md`.
//! 4. **Image**: the program `NAME` built from DIR (`cargo build --release`), in an image of
//!    this platform written to `OUT/oci` (an index, tagged with the version, naming the image)
//!    and, with `--registry`, pushed under `1.2.3`, `1.2`,
//!    `1`, and `latest` when no higher stable release is in the repository. The image's date
//!    is the release commit's, so a rebuild gives the same digest.
//!
//! `OUT` defaults to `DIR/dist`. Credentials come from the Docker config; plain HTTP is used
//! for loopback registries only.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use consign::core::{Platform, SourceDate};
use consign::oci::ops::push_layout;
use consign::oci::registry::{Client, ClientOptions};
use consign::oci::tags::{BuildRef, TagOptions};
use consign::oci::{OciLayout, ProgramImages, Reference, Tag, annotation};
use consign::version::{
    Forge, Next, Options, Release, ReleaseNotes, Repo, Workspace, update_changelog_file,
};

type Error = Box<dyn std::error::Error + Send + Sync>;

const USAGE: &str =
    "usage: semantic-release --repo DIR --bin NAME [--registry HOST/REPO] [--out DIR]";

struct Args {
    repo: PathBuf,
    bin: String,
    registry: Option<Reference>,
    out: Option<PathBuf>,
}

fn parse_args() -> Result<Args, Error> {
    let (mut repo, mut bin, mut registry, mut out) = (None, None, None, None);
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || args.next().ok_or(format!("{arg} needs a value"));
        match arg.as_str() {
            "--repo" => repo = Some(PathBuf::from(value()?)),
            "--bin" => bin = Some(value()?),
            "--registry" => {
                let text = value()?;
                let last = text.rsplit_once('/').map_or(text.as_str(), |(_, l)| l);
                if last.contains(':') || last.contains('@') {
                    return Err(format!("--registry {text:?}: give HOST[:PORT]/REPO").into());
                }
                registry = Some(text.parse::<Reference>()?);
            }
            "--out" => out = Some(PathBuf::from(value()?)),
            _ => return Err(format!("unexpected argument {arg:?}\n{USAGE}").into()),
        }
    }
    Ok(Args {
        repo: repo.ok_or(USAGE)?,
        bin: bin.ok_or("--bin NAME is required (the program the image runs)")?,
        registry,
        out,
    })
}

fn main() -> ExitCode {
    match parse_args().and_then(release) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("semantic-release: {e}");
            ExitCode::FAILURE
        }
    }
}

fn release(args: Args) -> Result<(), Error> {
    let options = Options::default();
    let repo = Repo::open(&args.repo)?;
    let release = match repo.next("HEAD", &options)? {
        Next::Release(release) => release,
        Next::Nothing { previous, .. } => {
            match previous {
                Some(tag) => println!("nothing to release since {}", tag.name()),
                None => println!("nothing to release"),
            }
            return Ok(());
        }
    };
    let version = release.version().to_string();
    println!(
        "next version {version} ({:?}, {} commits since {})",
        release.level(),
        release.commits().len(),
        release.previous().map_or("the first commit", |p| p.name())
    );

    // Every Cargo.toml and Cargo.lock of the workspace.
    let edits = Workspace::open(&args.repo)?.bump_all(release.version())?;
    edits.write()?;
    for (path, _) in edits.files() {
        println!("bumped {}", path.display());
    }

    // The release body and the changelog.
    let out = args.out.clone().unwrap_or_else(|| args.repo.join("dist"));
    std::fs::create_dir_all(&out)?;
    let forge = repo
        .origin_url()
        .as_deref()
        .and_then(Forge::from_remote_url);
    let notes = ReleaseNotes::from_release(&release, &options).forge(forge);
    std::fs::write(out.join("RELEASE_NOTES.md"), notes.section())?;
    update_changelog_file(args.repo.join("CHANGELOG.md"), &notes)?;
    println!(
        "wrote {} and CHANGELOG.md",
        out.join("RELEASE_NOTES.md").display()
    );

    // The image on release.
    let program = build(&args.repo, &args.bin)?;
    let tags = publish_image(&args, &repo, &release, &program, &out)?;
    let shown: Vec<&str> = tags.iter().map(Tag::as_str).collect();
    println!("image {} tagged {}", args.bin, shown.join(", "));
    Ok(())
}

/// `cargo build --release --bin NAME` in the workspace; the built program's path.
fn build(repo: &Path, bin: &str) -> Result<PathBuf, Error> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let target_dir = repo.join("target");
    let status = Command::new(cargo)
        .args([
            "build",
            "--quiet",
            "--release",
            "--bin",
            bin,
            "--manifest-path",
        ])
        .arg(repo.join("Cargo.toml"))
        .arg("--target-dir")
        .arg(&target_dir)
        .status()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if !status.success() {
        return Err(format!("cargo build --bin {bin} failed ({status})").into());
    }
    Ok(target_dir.join("release").join(bin))
}

/// Writes the image to `out/oci` and, with a registry, pushes it; returns its tags.
fn publish_image(
    args: &Args,
    repo: &Repo,
    release: &Release,
    program: &Path,
    out: &Path,
) -> Result<Vec<Tag>, Error> {
    let date = SourceDate::from_unix(u64::try_from(release.time()).unwrap_or(0));
    let version = release.version().to_string();
    let layout = OciLayout::create(out.join("oci"))?;
    let version_tag = Tag::new(&version)?;
    ProgramImages::new(&args.bin, date)
        .program(&Platform::host()?, program)?
        .annotation(annotation::VERSION, version.as_str())
        .annotation(annotation::REVISION, release.commit().to_string())
        .write_to(&layout, &version_tag)?;

    // `latest` only when no higher stable release is tagged in the repository.
    let released: Vec<Tag> = repo
        .release_tags(&Options::default())?
        .iter()
        .filter_map(|t| Tag::new(&t.version().to_string()).ok())
        .collect();
    let tags =
        BuildRef::release(&version)?.tags(&TagOptions::default().latest(true).published(&released));
    let Some(registry) = &args.registry else {
        return Ok(vec![version_tag]);
    };
    let client = Client::for_reference(
        registry,
        ClientOptions::default().plain_http(registry.is_loopback()),
    )?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let pushed = runtime.block_on(push_layout(
        &client,
        &layout,
        version_tag.as_str(),
        registry,
        &tags,
    ))?;
    println!(
        "pushed {}@{}",
        registry.repository(),
        pushed.descriptor.digest
    );
    Ok(pushed.tags)
}
