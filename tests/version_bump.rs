//! consign-version's workspace bumps on generated workspaces with comments and odd
//! formatting: every byte kept but the versions, and Cargo (`cargo metadata --locked`,
//! `cargo package --list`) accepts the result. Also the `version` example end to end.

// Test code: the shared helpers unwrap; an unwrap that fails is a failing test.
#![allow(clippy::unwrap_used)]

mod common;
#[path = "version/git.rs"]
mod git;
#[path = "version/workspace.rs"]
mod workspace;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use consign::version::{
    Dependents, Error, Level, Options, Reason, Repo, TagPattern, Version, VersionSource, Workspace,
    plan_crates,
};
use git::Git;
use workspace::{QUOTED, SEPARATE, SHARED, lock, members, package_list, read, write_files};

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

#[test]
fn whole_workspace_bump_keeps_every_other_byte() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let root = tmp.path();
    write_files(root, SHARED);
    lock(root);
    let before: BTreeMap<&str, String> = [
        "Cargo.toml",
        "crates/alpha/Cargo.toml",
        "crates/beta/Cargo.toml",
        "crates/gamma/Cargo.toml",
        "Cargo.lock",
    ]
    .into_iter()
    .map(|p| (p, read(root, p)))
    .collect();
    assert_eq!(
        members(root),
        pairs(&[("alpha", "0.4.1"), ("beta", "0.4.1"), ("gamma", "0.4.1")])
    );

    let ws = Workspace::open(root).expect("open workspace");
    let found: Vec<(&str, &VersionSource)> = ws
        .members()
        .iter()
        .map(|m| (m.name.as_str(), &m.version))
        .collect();
    let old = Version::new(0, 4, 1);
    assert_eq!(
        found,
        [
            ("alpha", &VersionSource::Workspace(old.clone())),
            ("beta", &VersionSource::Workspace(old.clone())),
            ("gamma", &VersionSource::Own(old.clone())),
        ]
    );
    let new = Version::new(0, 5, 0);
    let edits = ws.bump_all(&new).expect("bump");
    let changed: Vec<PathBuf> = edits.files().iter().map(|(p, _)| p.clone()).collect();
    assert_eq!(
        changed,
        [
            root.join("Cargo.toml"),
            root.join("crates/gamma/Cargo.toml"),
            root.join("Cargo.lock")
        ]
    );
    edits.write().expect("write");

    let expect = |path: &str, replacements: &[(&str, &str)]| {
        let mut text = before[path].clone();
        for (from, to) in replacements {
            assert!(text.contains(from), "{path} has {from:?}");
            text = text.replace(from, to);
        }
        assert_eq!(read(root, path), text, "{path}: only the versions change");
    };
    expect(
        "Cargo.toml",
        &[
            (r#"version   =   "0.4.1""#, r#"version   =   "0.5.0""#),
            (r#"version = "0.4.1" }"#, r#"version = "0.5.0" }"#),
            (r#"beta.version = "=0.4.1""#, r#"beta.version = "=0.5.0""#),
        ],
    );
    expect(
        "crates/gamma/Cargo.toml",
        &[
            (
                r#"version = "0.4.1" # its own"#,
                r#"version = "0.5.0" # its own"#,
            ),
            (r#"version="0.4"}"#, r#"version="0.5.0"}"#),
            (r#"version = "0.4.1"  # dev"#, r#"version = "0.5.0"  # dev"#),
            (r#"version = "~0.4.1" }"#, r#"version = "~0.5.0" }"#),
        ],
    );
    expect("crates/alpha/Cargo.toml", &[]);
    expect("crates/beta/Cargo.toml", &[]);
    expect(
        "Cargo.lock",
        &[(r#"version = "0.4.1""#, r#"version = "0.5.0""#)],
    );

    // Cargo reads it, and the lock file needs no change (`--locked`).
    assert_eq!(
        members(root),
        pairs(&[("alpha", "0.5.0"), ("beta", "0.5.0"), ("gamma", "0.5.0")])
    );
    for name in ["alpha", "beta", "gamma"] {
        let list = package_list(root, name);
        assert!(list.lines().any(|l| l == "Cargo.toml"), "{name}: {list}");
        assert!(list.lines().any(|l| l == "src/lib.rs"), "{name}: {list}");
    }
    // Bumping again to the same version changes nothing.
    let again = Workspace::open(root)
        .expect("open")
        .bump_all(&new)
        .expect("bump");
    assert!(again.is_empty());
}

#[test]
fn bumps_keep_the_quotes_and_operators_of_each_literal() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let root = tmp.path();
    write_files(root, QUOTED);
    lock(root);
    assert_eq!(
        members(root),
        pairs(&[("quoted", "1.2.3"), ("user", "0.1.0")])
    );
    let before: BTreeMap<&str, String> = [
        "Cargo.toml",
        "quoted/Cargo.toml",
        "user/Cargo.toml",
        "Cargo.lock",
    ]
    .into_iter()
    .map(|p| (p, read(root, p)))
    .collect();
    let versions = BTreeMap::from([
        ("quoted".to_string(), Version::new(1, 3, 0)),
        ("user".to_string(), Version::new(0, 2, 0)),
    ]);
    Workspace::open(root)
        .expect("open workspace")
        .bump(&versions)
        .expect("bump")
        .write()
        .expect("write");

    // Each literal keeps its kind of string, its operator and its spacing; nothing else moves.
    let expect = |path: &str, replacements: &[(&str, &str)]| {
        let mut text = before[path].clone();
        for (from, to) in replacements {
            assert_eq!(text.matches(from).count(), 1, "{from:?} once in {path}");
            text = text.replace(from, to);
        }
        assert_eq!(read(root, path), text, "{path}");
    };
    expect(
        "Cargo.toml",
        &[("version = '1.2.3' }", "version = '1.3.0' }")],
    );
    expect(
        "quoted/Cargo.toml",
        &[("version = '1.2.3'   #", "version = '1.3.0'   #")],
    );
    expect(
        "user/Cargo.toml",
        &[
            (r#"version = """0.1.0""""#, r#"version = """0.2.0""""#),
            (
                r#"{ version = "=1.2.3", path"#,
                r#"{ version = "=1.3.0", path"#,
            ),
            ("version = '= 1.2.3' # exact", "version = '= 1.3.0' # exact"),
            (
                "quoted.version = '''~1.2.3'''",
                "quoted.version = '''~1.3.0'''",
            ),
            (r#"version = ">= 1.2" }"#, r#"version = ">= 1.3.0" }"#),
        ],
    );
    expect(
        "Cargo.lock",
        &[
            (
                "name = \"quoted\"\nversion = \"1.2.3\"",
                "name = \"quoted\"\nversion = \"1.3.0\"",
            ),
            (
                "name = \"user\"\nversion = \"0.1.0\"",
                "name = \"user\"\nversion = \"0.2.0\"",
            ),
        ],
    );
    // Cargo reads every literal, and the lock file needs no change.
    assert_eq!(
        members(root),
        pairs(&[("quoted", "1.3.0"), ("user", "0.2.0")])
    );
    package_list(root, "user");
}

#[test]
fn bumps_that_would_change_meaning_are_refused() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let root = tmp.path();
    write_files(root, SHARED);
    let ws = Workspace::open(root).expect("open workspace");
    // alpha and beta share a version: alpha alone cannot move.
    let alone = BTreeMap::from([("alpha".to_string(), Version::new(0, 5, 0))]);
    let err = ws.bump(&alone).expect_err("shared version");
    assert!(matches!(err, Error::SharedVersion { .. }), "{err}");
    let unknown = BTreeMap::from([("nope".to_string(), Version::new(1, 0, 0))]);
    assert!(matches!(
        ws.bump(&unknown),
        Err(Error::UnknownPackage { .. })
    ));

    // A range that the new version leaves: an error naming the manifest, nothing written.
    let gamma = read(root, "crates/gamma/Cargo.toml")
        .replace(r#"version="0.4"}"#, r#"version=">=0.4, <0.5"}"#);
    std::fs::write(root.join("crates/gamma/Cargo.toml"), &gamma).expect("write");
    let ws = Workspace::open(root).expect("open workspace");
    let err = ws.bump_all(&Version::new(0, 5, 0)).expect_err("range");
    match &err {
        Error::Requirement {
            path,
            dependency,
            requirement,
            ..
        } => {
            assert_eq!(path, &root.join("crates/gamma/Cargo.toml"));
            assert_eq!(dependency, "alpha");
            assert_eq!(requirement, ">=0.4, <0.5");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(read(root, "crates/gamma/Cargo.toml"), gamma);
    // Still inside the range: kept as written.
    let edits = ws
        .bump_all(&Version::new(0, 4, 2))
        .expect("bump within range");
    let text = &edits
        .files()
        .iter()
        .find(|(p, _)| p.ends_with("gamma/Cargo.toml"))
        .expect("gamma")
        .1;
    assert!(text.contains(r#"version=">=0.4, <0.5"}"#), "{text}");
}

fn per_crate_repo() -> Git {
    let git = Git::init();
    write_files(&git.dir, SEPARATE);
    lock(&git.dir);
    git.run(&["add", "-A"]);
    git.run(&["commit", "-q", "-m", "chore: initial import"]);
    for tag in [
        "alpha-v0.4.1",
        "beta-v0.2.0",
        "gamma-v1.2.0",
        "delta-v0.1.0",
    ] {
        git.tag(tag);
    }
    git.commit_file(
        "crates/alpha/src/lib.rs",
        "pub fn alpha() {}\npub fn more() {}\n",
        "feat(alpha): more",
    );
    git.commit_file(
        "README.md",
        "# fixture\n\nmore words\n",
        "fix: readme wording",
    );
    git.commit_file(
        "crates/gamma/src/lib.rs",
        "pub fn gamma() -> u8 { 1 }\n",
        "fix(gamma): return one",
    );
    git.commit_file(
        "crates/delta/src/lib.rs",
        "/// Delta.\npub fn delta() {}\n",
        "docs(delta): document",
    );
    git
}

#[test]
fn per_crate_releases_follow_each_crates_tags_and_files() {
    let git = per_crate_repo();
    let root = git.dir.clone();
    let repo = Repo::open(&root).expect("open repo");
    let ws = Workspace::open(&root).expect("open workspace");
    let options =
        Options::default().tag_pattern(TagPattern::new("{name}-v{version}").expect("pattern"));
    let plans = plan_crates(&repo, &ws, "HEAD", &options, Dependents::Patch).expect("plan");
    type Planned = (String, Option<(String, Reason)>, usize);
    let summary: Vec<Planned> = plans
        .iter()
        .map(|p| {
            let next = p.next.as_ref().map(|(v, r)| (v.to_string(), r.clone()));
            (p.name.clone(), next, p.commits.len())
        })
        .collect();
    assert_eq!(
        summary,
        [
            (
                "alpha".to_string(),
                Some(("0.4.2".to_string(), Reason::Commits(Level::Minor))),
                1
            ),
            (
                "beta".to_string(),
                Some(("0.2.1".to_string(), Reason::Dependency("alpha".into()))),
                0
            ),
            ("delta".to_string(), None, 1),
            (
                "gamma".to_string(),
                Some(("1.2.1".to_string(), Reason::Commits(Level::Patch))),
                1
            ),
        ]
    );
    let only_requirements =
        plan_crates(&repo, &ws, "HEAD", &options, Dependents::RequirementOnly).expect("plan");
    assert!(
        only_requirements
            .iter()
            .find(|p| p.name == "beta")
            .expect("beta")
            .next
            .is_none()
    );

    let versions: BTreeMap<String, Version> = plans
        .iter()
        .filter_map(|p| Some((p.name.clone(), p.next.as_ref()?.0.clone())))
        .collect();
    let delta_before = read(&root, "crates/delta/Cargo.toml");
    let beta_before = read(&root, "crates/beta/Cargo.toml");
    ws.bump(&versions).expect("bump").write().expect("write");
    assert_eq!(
        read(&root, "crates/delta/Cargo.toml"),
        delta_before,
        "delta is not released"
    );
    assert_eq!(
        read(&root, "crates/beta/Cargo.toml"),
        beta_before
            .replace(r#"version = "0.2.0""#, r#"version = "0.2.1""#)
            .replace(r#"version = "0.4.1" }"#, r#"version = "0.4.2" }"#)
    );
    assert!(
        read(&root, "crates/gamma/Cargo.toml")
            .contains(r#"alpha = { path = "../alpha", version = "0.4.2" }"#)
    );
    assert_eq!(
        members(&root),
        pairs(&[
            ("alpha", "0.4.2"),
            ("beta", "0.2.1"),
            ("delta", "0.1.0"),
            ("gamma", "1.2.1")
        ])
    );

    // A pattern without {name} cannot tell the crates apart.
    let err = plan_crates(&repo, &ws, "HEAD", &Options::default(), Dependents::Patch)
        .expect_err("pattern");
    assert!(matches!(err, Error::TagPattern { .. }));
}

/// Builds the `version` and `version-replay` examples and returns the path of `name`.
fn example(name: &str) -> PathBuf {
    common::build_examples(&["version", "version-replay"]).join(name)
}

fn run_example(exe: &Path, args: &[&str]) -> (bool, String, String) {
    let out = common::run(Command::new(exe).args(args));
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn the_version_example_plans_bumps_and_writes_notes() {
    let exe = example("version");
    let git = Git::init();
    write_files(&git.dir, SHARED);
    lock(&git.dir);
    git.run(&["add", "-A"]);
    git.run(&["commit", "-q", "-m", "feat: initial import"]);
    git.tag("v0.4.1");
    git.run(&[
        "remote",
        "add",
        "origin",
        "https://gitlab.com/group/fixture.git",
    ]);
    let dir = git.dir.to_str().expect("utf-8 path");

    let (ok, out, err) = run_example(&exe, &["next", "--repo", dir]);
    assert!(ok, "{err}");
    assert_eq!(out, "nothing to release since v0.4.1\n");

    let fix = git.commit_file(
        "crates/alpha/src/lib.rs",
        "//! alpha\npub fn alpha() -> u8 { 0 }\n",
        "fix(alpha): return a value",
    );
    let (ok, out, err) = run_example(&exe, &["next", "--repo", dir]);
    assert!(ok, "{err}");
    assert_eq!(out, "0.4.2\n");
    let (ok, out, _) = run_example(&exe, &["next", "--repo", dir, "--at", "v0.4.1"]);
    assert!(ok);
    assert_eq!(out, "nothing to release since v0.4.1\n");

    let (ok, out, err) = run_example(
        &exe,
        &["notes", "--repo", dir, "--from", "v0.4.1", "--to", "HEAD"],
    );
    assert!(ok, "{err}");
    let link = format!(
        "([{}](https://gitlab.com/group/fixture/-/commit/{fix}))",
        &fix[..7]
    );
    assert!(
        out.contains(&format!(
            "### Bug fixes\n\n- **alpha:** return a value {link}\n"
        )),
        "{out}"
    );

    let (ok, out, err) = run_example(&exe, &["bump", "--repo", dir, "--changelog"]);
    assert!(ok, "{err}");
    assert_eq!(out, "0.4.2\n");
    assert_eq!(
        members(&git.dir),
        pairs(&[("alpha", "0.4.2"), ("beta", "0.4.2"), ("gamma", "0.4.2")])
    );
    let changelog = read(&git.dir, "CHANGELOG.md");
    assert!(
        changelog.starts_with(consign::version::CHANGELOG_HEADER),
        "{changelog}"
    );
    assert!(changelog.contains("\n## [0.4.2] - "), "{changelog}");
    assert!(
        changelog.contains(&format!("- **alpha:** return a value {link}")),
        "{changelog}"
    );

    git.run(&["commit", "-q", "-a", "-m", "chore(release): 0.4.2"]);
    git.tag("v0.4.2");
    let (ok, out, _) = run_example(&exe, &["next", "--repo", dir]);
    assert!(ok);
    assert_eq!(out, "nothing to release since v0.4.2\n");
    let (ok, _, err) = run_example(&exe, &["next", "--repo", dir, "--at", "nope"]);
    assert!(!ok);
    assert!(err.contains("nope"), "{err}");
}

#[test]
fn the_replay_example_recomputes_each_release() {
    let exe = example("version-replay");
    let git = Git::init();
    git.commit("feat: first");
    git.tag("v1.0.0");
    git.commit("fix: a");
    git.tag("v1.0.1");
    git.commit("feat: b");
    git.tag("1.1.0"); // another spelling
    git.commit("docs: c");
    git.tag("v1.1.1"); // released without a releasing commit
    git.commit("feat!: d");
    git.annotated_tag("v2.0.0");
    let dir = git.dir.to_str().expect("utf-8 path");
    let (ok, out, err) = run_example(&exe, &["--git-dir", dir, "--initial", "1.0.0", "--verbose"]);
    assert!(ok, "{err}");
    let verdicts: Vec<(String, String, String)> = out
        .lines()
        .filter(|l| !l.starts_with(' ') && !l.contains(" of "))
        .map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            (
                f[0].to_string(),
                f[2].to_string(),
                f[f.len() - 1].to_string(),
            )
        })
        .collect();
    let want =
        |t: &str, v: &str, verdict: &str| (t.to_string(), v.to_string(), verdict.to_string());
    assert_eq!(
        verdicts,
        [
            want("v1.0.0", "1.0.0", "agree"),
            want("v1.0.1", "1.0.1", "agree"),
            want("1.1.0", "1.1.0", "agree"),
            want("v1.1.1", "nothing", "DISAGREE"),
            want("v2.0.0", "2.0.0", "agree"),
        ],
        "{out}"
    );
    assert!(
        out.contains("    "),
        "the disagreement lists its commits: {out}"
    );
    assert!(out.ends_with("4 of 5 releases agree\n"), "{out}");
    let (ok, _, err) = run_example(&exe, &["--git-dir", dir, "--last", "x"]);
    assert!(!ok && err.contains("--last"), "{err}");
}
