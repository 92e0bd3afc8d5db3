//! `version-replay`: checks the next-version rules against a real history. For each of the
//! last N stable release tags of a repository, the version is computed again from the commits
//! before it (the tag itself ignored) and compared with the version the project released.
//!
//! ```text
//! version-replay --git-dir DIR [--last N] [--tag-pattern 'v{version}'] [--package NAME] [--path DIR]
//!                [--below-1-0 cargo|semver] [--unconventional ignore|patch] [--initial V]
//!                [--verbose] [--groups]
//! ```
//!
//! `--below-1-0 cargo` (the default) bumps the minor for a breaking change and the patch for
//! a feature below 1.0.0; `semver` treats 0.x like any major version. Prints one line per
//! release (`tag previous computed level commits verdict`) and a summary; `--verbose` lists
//! the counted commits of each disagreement; `--initial` is the first release when no earlier
//! release is reachable (default 0.1.0; semantic-release starts at 1.0.0). Exits 0 whatever
//! the agreement. `--path DIR` (repeatable) counts only the commits that change files under
//! DIR, for a package of a monorepo.
//!
//! `--groups` prints, instead of the verdicts, one tab-separated line per commit of each
//! replayed range `PREVIOUS..TAG` (as `git log PREVIOUS..TAG` lists it, reverts cancelled):
//! `TAG PREVIOUS COMMIT GROUP`, GROUP being the release-notes section the commit is listed in
//! or `-` (merges, and commits the notes leave out). `scripts/compare-git-cliff.sh` compares
//! these with git-cliff's groups for the same ranges.

use std::path::PathBuf;
use std::process::ExitCode;

use consign::version::{Level, Next, Options, Repo, TagPattern, Unconventional};

const USAGE: &str = "\
usage: version-replay --git-dir DIR [--last N] [--tag-pattern PATTERN] [--package NAME] [--path DIR]
                      [--below-1-0 cargo|semver] [--unconventional ignore|patch]
                      [--initial VERSION] [--verbose] [--groups]
";

struct Args {
    git_dir: PathBuf,
    last: usize,
    options: Options,
    verbose: bool,
    groups: bool,
}

fn parse_args() -> Result<Args, String> {
    let mut a = Args {
        git_dir: PathBuf::new(),
        last: 20,
        options: Options::default(),
        verbose: false,
        groups: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut value = |name: &str| it.next().ok_or(format!("{name} needs a value"));
        match arg.as_str() {
            "--git-dir" => a.git_dir = value(&arg)?.into(),
            "--last" => a.last = value(&arg)?.parse().map_err(|e| format!("--last: {e}"))?,
            "--tag-pattern" => {
                let p = TagPattern::new(value(&arg)?).map_err(|e| e.to_string())?;
                a.options = a.options.tag_pattern(p);
            }
            "--package" => a.options = a.options.package(value(&arg)?),
            "--path" => a.options = a.options.paths([value(&arg)?]),
            "--below-1-0" => {
                a.options = match value(&arg)?.as_str() {
                    "cargo" => a.options.below_1_0(Level::Minor, Level::Patch),
                    "semver" => a.options.below_1_0(Level::Major, Level::Minor),
                    other => return Err(format!("--below-1-0 {other}: use cargo or semver")),
                }
            }
            "--unconventional" => {
                a.options = a.options.unconventional(match value(&arg)?.as_str() {
                    "ignore" => Unconventional::Ignore,
                    "patch" => Unconventional::Patch,
                    other => return Err(format!("--unconventional {other}: use ignore or patch")),
                })
            }
            "--initial" => {
                let v = value(&arg)?
                    .parse()
                    .map_err(|e| format!("--initial: {e}"))?;
                a.options = a.options.initial_version(v);
            }
            "--verbose" => a.verbose = true,
            "--groups" => a.groups = true,
            "-h" | "--help" => return Err(String::new()),
            other => return Err(format!("unknown argument {other}")),
        }
    }
    if a.git_dir.as_os_str().is_empty() {
        return Err("--git-dir is required".into());
    }
    Ok(a)
}

fn run(a: &Args) -> Result<(), Box<dyn std::error::Error>> {
    let repo = Repo::open(&a.git_dir)?;
    let stable: Vec<_> = repo
        .release_tags(&a.options)?
        .into_iter()
        .filter(|t| t.version().pre.is_empty())
        .collect();
    let start = stable.len().saturating_sub(a.last);
    let (mut agree, mut total) = (0, 0);
    for tag in &stable[start..] {
        // Compute the release again as it was made: without it (nor its other spellings,
        // `1.2.3` and `v1.2.3`) and without any later release (a later tag on the same commit
        // would otherwise be its base).
        let same: Vec<String> = stable
            .iter()
            .filter(|t| t.version() >= tag.version())
            .map(|t| t.name().to_string())
            .collect();
        let options = a.options.clone().skip_tags(same);
        let next = repo.next(tag.name(), &options)?;
        if a.groups {
            let previous = match &next {
                Next::Release(r) => r.previous(),
                Next::Nothing { previous, .. } => previous.as_ref(),
            };
            if let Some(previous) = previous {
                for c in repo.commits_between(Some(previous.name()), tag.name())? {
                    let group = c.group(&options).map_or("-", |g| g.title());
                    println!("{}\t{}\t{}\t{group}", tag.name(), previous.name(), c.id());
                }
            }
            continue;
        }
        let (previous, level, count) = match &next {
            Next::Release(r) => (
                r.previous()
                    .map_or("-".to_string(), |p| p.name().to_string()),
                r.level().to_string(),
                r.commits().len(),
            ),
            Next::Nothing { previous, commits } => (
                previous
                    .as_ref()
                    .map_or("-".to_string(), |p| p.name().to_string()),
                "none".to_string(),
                commits.len(),
            ),
        };
        let computed = next
            .version()
            .map_or("nothing".to_string(), |v| v.to_string());
        let ok = next.version() == Some(tag.version());
        total += 1;
        agree += usize::from(ok);
        println!(
            "{:<22} {:<22} {:<14} {:<6} {:>5}  {}",
            tag.name(),
            previous,
            computed,
            level,
            count,
            if ok { "agree" } else { "DISAGREE" }
        );
        if a.verbose && !ok {
            let commits = match &next {
                Next::Release(r) => r.commits(),
                Next::Nothing { commits, .. } => commits,
            };
            for c in commits {
                let level = c.level(&options).map_or("-".to_string(), |l| l.to_string());
                println!("    {} {:<6} {}", c.id().short(), level, c.summary());
            }
        }
    }
    if !a.groups {
        println!("{agree} of {total} releases agree");
    }
    Ok(())
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            if !e.is_empty() {
                eprintln!("version-replay: {e}");
            }
            eprint!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("version-replay: {e}");
            ExitCode::FAILURE
        }
    }
}
