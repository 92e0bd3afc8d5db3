//! `version`: the next version from Conventional Commits, workspace bumps and release notes.
//!
//! ```text
//! version next  [--repo DIR] [--at REV] [--since TAG] [OPTIONS]
//! version bump  [--repo DIR] [--at REV] [--per-crate] [--changelog] [OPTIONS]
//! version notes [--repo DIR] [--from TAG | --since TAG] [--to REV] [OPTIONS]
//! version tag   [--repo DIR] [--at REV] [--tagger 'NAME <EMAIL>'] [--date SECONDS]
//!               [--sign-key FILE [--passphrase-env VAR]] [OPTIONS]
//!
//! OPTIONS: [--tag-pattern 'v{version}'] [--package NAME] [--channel rc]
//!          [--unconventional ignore|patch] [--initial 0.1.0]
//! ```
//!
//! `next` prints the version to release, or says that there is nothing to release (exit 0
//! either way); `--since TAG` computes it as if TAG were the last release (later release tags
//! ignored), and `notes --since TAG` writes that release's notes. `bump` moves the workspace at DIR to that version (every member, or with
//! `--per-crate` each crate from its own `{name}-v{version}` tags) and, with `--changelog`,
//! adds the release's section to DIR/CHANGELOG.md. `notes` prints the Markdown notes of the
//! commits since the last release (or FROM..TO), linked when `origin` is GitHub or GitLab.
//! `tag` creates the release's annotated tag (`refs/tags/v1.2.3` at REV) in-process, its
//! message `Release VERSION` followed by the notes; `--sign-key` signs it with an armored
//! OpenPGP secret key (passphrase from the variable VAR), as `git tag -s` would, so that `git
//! verify-tag` accepts it. The tagger is `--tagger`, else the repository's `user.name` and
//! `user.email`; the date is `--date`, else `SOURCE_DATE_EPOCH`, else the commit time of REV —
//! never the clock, so the same release gives the same tag object.

use std::path::PathBuf;
use std::process::ExitCode;

use consign::core::SourceDate;
use consign::version::{
    AnnotatedTag, Dependents, Forge, Next, Options, ReleaseNotes, Repo, TagPattern, Tagger,
    Unconventional, Version, Workspace, plan_crates, update_changelog_file,
};

const USAGE: &str = "\
usage: version next  [--repo DIR] [--at REV] [--since TAG] [OPTIONS]
       version bump  [--repo DIR] [--at REV] [--per-crate] [--changelog] [OPTIONS]
       version notes [--repo DIR] [--from TAG | --since TAG] [--to REV] [OPTIONS]
       version tag   [--repo DIR] [--at REV] [--tagger 'NAME <EMAIL>'] [--date SECONDS]
                     [--sign-key FILE [--passphrase-env VAR]] [OPTIONS]
OPTIONS: [--tag-pattern 'v{version}'] [--package NAME] [--channel NAME]
         [--unconventional ignore|patch] [--initial VERSION]
";

struct Args {
    command: String,
    repo: PathBuf,
    at: String,
    from: Option<String>,
    since: Option<String>,
    per_crate: bool,
    changelog: bool,
    options: Options,
    tag_pattern: Option<TagPattern>,
    tagger: Option<Tagger>,
    date: Option<SourceDate>,
    sign_key: Option<PathBuf>,
    passphrase_env: Option<String>,
}

fn parse_args() -> Result<Args, String> {
    let mut it = std::env::args().skip(1);
    let command = it.next().ok_or_else(String::new)?;
    if !matches!(command.as_str(), "next" | "bump" | "notes" | "tag") {
        return Err(if command == "-h" || command == "--help" {
            String::new()
        } else {
            format!("unknown command {command}")
        });
    }
    let mut a = Args {
        command,
        repo: PathBuf::from("."),
        at: "HEAD".into(),
        from: None,
        since: None,
        per_crate: false,
        changelog: false,
        options: Options::default(),
        tag_pattern: None,
        tagger: None,
        date: None,
        sign_key: None,
        passphrase_env: None,
    };
    while let Some(arg) = it.next() {
        let mut value = |name: &str| it.next().ok_or(format!("{name} needs a value"));
        match arg.as_str() {
            "--repo" => a.repo = value(&arg)?.into(),
            "--at" | "--to" => a.at = value(&arg)?,
            "--from" => a.from = Some(value(&arg)?),
            "--since" => a.since = Some(value(&arg)?),
            "--per-crate" => a.per_crate = true,
            "--changelog" => a.changelog = true,
            "--tagger" => {
                let text = value(&arg)?;
                a.tagger = Some(
                    text.parse()
                        .map_err(|e: consign::version::Error| e.to_string())?,
                );
            }
            "--date" => {
                let text = value(&arg)?;
                a.date = Some(text.parse().map_err(|e| format!("--date {text}: {e}"))?);
            }
            "--sign-key" => a.sign_key = Some(value(&arg)?.into()),
            "--passphrase-env" => a.passphrase_env = Some(value(&arg)?),
            "--tag-pattern" => {
                a.tag_pattern = Some(TagPattern::new(value(&arg)?).map_err(|e| e.to_string())?)
            }
            "--package" => a.options = a.options.package(value(&arg)?),
            "--channel" => {
                let channel = value(&arg)?
                    .parse()
                    .map_err(|e: consign::version::Error| e.to_string())?;
                a.options = a.options.channel(channel);
            }
            "--unconventional" => {
                a.options = a.options.unconventional(match value(&arg)?.as_str() {
                    "ignore" => Unconventional::Ignore,
                    "patch" => Unconventional::Patch,
                    other => return Err(format!("--unconventional {other}: use ignore or patch")),
                })
            }
            "--initial" => {
                let v = Version::parse(&value(&arg)?).map_err(|e| format!("--initial: {e}"))?;
                a.options = a.options.initial_version(v);
            }
            "-h" | "--help" => return Err(String::new()),
            other => return Err(format!("unknown argument {other}")),
        }
    }
    let per_crate_default = a.per_crate && a.tag_pattern.is_none();
    if per_crate_default {
        a.tag_pattern = Some(TagPattern::new("{name}-v{version}").map_err(|e| e.to_string())?);
    }
    if let Some(p) = a.tag_pattern.take() {
        a.options = a.options.tag_pattern(p);
    }
    Ok(a)
}

fn run(a: &Args) -> Result<(), Box<dyn std::error::Error>> {
    let repo = Repo::open(&a.repo)?;
    let mut a = a;
    let since;
    if let Some(tag) = &a.since {
        since = since_tag(&repo, a, tag)?;
        a = &since;
    }
    let forge = repo
        .origin_url()
        .as_deref()
        .and_then(Forge::from_remote_url);
    match a.command.as_str() {
        "next" => match repo.next(&a.at, &a.options)? {
            Next::Release(r) => println!("{}", r.version()),
            Next::Nothing { previous, .. } => match previous {
                Some(tag) => println!("nothing to release since {}", tag.name()),
                None => println!("nothing to release"),
            },
        },
        "tag" => tag(&repo, a, forge)?,
        "bump" if a.per_crate => {
            let workspace = Workspace::open(&a.repo)?;
            let plans = plan_crates(&repo, &workspace, &a.at, &a.options, Dependents::Patch)?;
            let versions = plans
                .iter()
                .filter_map(|p| Some((p.name.clone(), p.next.as_ref()?.0.clone())))
                .collect();
            for plan in &plans {
                match &plan.next {
                    Some((v, why)) => println!("{} {} -> {v} ({why:?})", plan.name, plan.current),
                    None => println!("{} {} (nothing to release)", plan.name, plan.current),
                }
            }
            workspace.bump(&versions)?.write()?;
        }
        "bump" => {
            let Next::Release(release) = repo.next(&a.at, &a.options)? else {
                println!("nothing to release");
                return Ok(());
            };
            let edits = Workspace::open(&a.repo)?.bump_all(release.version())?;
            edits.write()?;
            println!("{}", release.version());
            for (path, _) in edits.files() {
                eprintln!("updated {}", path.display());
            }
            if a.changelog {
                let notes = ReleaseNotes::from_release(&release, &a.options).forge(forge);
                update_changelog_file(a.repo.join("CHANGELOG.md"), &notes)?;
                eprintln!("updated {}", a.repo.join("CHANGELOG.md").display());
            }
        }
        _ => {
            let text = match &a.from {
                None => match repo.next(&a.at, &a.options)? {
                    Next::Release(release) => ReleaseNotes::from_release(&release, &a.options)
                        .forge(forge)
                        .section(),
                    Next::Nothing { previous, commits } => {
                        ReleaseNotes::new("Unreleased", &commits, &a.options)
                            .previous_tag(previous.map(|p| p.name().to_string()))
                            .forge(forge)
                            .section()
                    }
                },
                Some(from) => {
                    let commits = repo.commits_between(Some(from), &a.at)?;
                    let package = None;
                    let title = a
                        .options
                        .tags()
                        .version_of(&a.at, package)
                        .map_or("Unreleased".to_string(), |v| v.to_string());
                    let at = repo.commit(repo.resolve(&a.at)?)?;
                    ReleaseNotes::new(title, &commits, &a.options)
                        .date(at.time())
                        .previous_tag(Some(from.clone()))
                        .tag(a.at.clone())
                        .forge(forge)
                        .section()
                }
            };
            print!("{text}");
        }
    }
    Ok(())
}

/// `a` with every release tag above `tag` skipped: `tag` is the last release.
fn since_tag(repo: &Repo, a: &Args, tag: &str) -> Result<Args, Box<dyn std::error::Error>> {
    let tags = repo.release_tags(&a.options)?;
    let base = tags.iter().find(|t| t.name() == tag).ok_or_else(|| {
        format!(
            "--since {tag}: not a release tag of the pattern {}",
            a.options.tags()
        )
    })?;
    let later: Vec<String> = tags
        .iter()
        .filter(|t| t.version() > base.version())
        .map(|t| t.name().to_string())
        .collect();
    Ok(Args {
        command: a.command.clone(),
        repo: a.repo.clone(),
        at: a.at.clone(),
        from: None,
        since: None,
        per_crate: a.per_crate,
        changelog: a.changelog,
        options: a.options.clone().skip_tags(later),
        tag_pattern: None,
        tagger: a.tagger.clone(),
        date: a.date,
        sign_key: a.sign_key.clone(),
        passphrase_env: a.passphrase_env.clone(),
    })
}

/// `version tag`: the release's annotated tag, signed with `--sign-key`.
fn tag(repo: &Repo, a: &Args, forge: Option<Forge>) -> Result<(), Box<dyn std::error::Error>> {
    let Next::Release(release) = repo.next(&a.at, &a.options)? else {
        println!("nothing to release: no tag created");
        return Ok(());
    };
    let tagger = match &a.tagger {
        Some(t) => t.clone(),
        None => repo
            .tagger()
            .ok_or("no tagger: pass --tagger 'NAME <EMAIL>' or set user.name and user.email")?,
    };
    let date = match (a.date, SourceDate::from_env()?) {
        (Some(date), _) | (None, Some(date)) => date,
        (None, None) => SourceDate::from_unix(u64::try_from(release.time()).unwrap_or(0)),
    };
    let body = ReleaseNotes::from_release(&release, &a.options)
        .forge(forge)
        .body();
    let message = format!("Release {}\n\n{body}", release.version());
    let tag = AnnotatedTag::for_release(&release, tagger, date).message(message);
    let signer = signer(a, date)?;
    let created = repo.create_tag(&tag, signer.as_deref())?;
    println!(
        "{} {} -> {}{}",
        created.name(),
        created.id(),
        created.target(),
        if created.is_signed() { " (signed)" } else { "" }
    );
    Ok(())
}

#[cfg(feature = "sign")]
fn signer(
    a: &Args,
    date: SourceDate,
) -> Result<Option<Box<dyn consign::core::sign::Signer>>, Box<dyn std::error::Error>> {
    use consign::sign::openpgp::{OpenPgpSigner, Passphrase};
    let Some(key) = &a.sign_key else {
        return Ok(None);
    };
    let passphrase = match &a.passphrase_env {
        Some(var) => Passphrase::from_env(var.clone()),
        None => Passphrase::none(),
    };
    Ok(Some(Box::new(OpenPgpSigner::from_file(
        key,
        &passphrase,
        date,
    )?)))
}

#[cfg(not(feature = "sign"))]
fn signer(
    a: &Args,
    _: SourceDate,
) -> Result<Option<Box<dyn consign::core::sign::Signer>>, Box<dyn std::error::Error>> {
    match &a.sign_key {
        Some(_) => Err("--sign-key needs the `sign` feature of consign".into()),
        None => Ok(None),
    }
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            if !e.is_empty() {
                eprintln!("version: {e}");
            }
            eprint!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("version: {e}");
            ExitCode::FAILURE
        }
    }
}
