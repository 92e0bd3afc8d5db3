//! consign-version against real git histories: repositories built with the `git` CLI (fixed
//! dates), then the next version, the commits counted and the notes checked.

// Test code: the shared helpers unwrap; an unwrap that fails is a failing test.
#![allow(clippy::unwrap_used)]

mod common;
#[path = "version/git.rs"]
mod git;

use consign::version::{
    Channel, Error, Forge, Group, Level, Next, Options, ReleaseNotes, Repo, TagPattern,
    Unconventional, Version,
};
use git::Git;

fn next(git: &Git, options: &Options) -> Next {
    Repo::open(&git.dir)
        .expect("open repository")
        .next("HEAD", options)
        .expect("next version")
}

fn next_version(git: &Git, options: &Options) -> Option<String> {
    next(git, options).version().map(Version::to_string)
}

fn v(text: &str) -> Option<String> {
    Some(text.to_string())
}

#[test]
fn conventional_commits_bump_by_their_level() {
    let git = Git::init();
    let o = Options::default();
    git.commit("chore: start");
    git.tag("v1.0.0");
    git.commit("fix: off by one");
    assert_eq!(next_version(&git, &o), v("1.0.1"));
    git.commit("perf: faster");
    assert_eq!(next_version(&git, &o), v("1.0.1"));
    git.commit("feat(cli): --json");
    assert_eq!(next_version(&git, &o), v("1.1.0"));
    git.tag("v1.1.0");
    git.commit("refactor!: rename everything");
    assert_eq!(next_version(&git, &o), v("2.0.0"));
    git.tag("v2.0.0");
    git.commit("fix: keep the old name\n\nBREAKING CHANGE: the old name is gone\n");
    assert_eq!(next_version(&git, &o), v("3.0.0"));
    git.tag("v3.0.0");
    git.commit("docs: typo\n\nBREAKING-CHANGE: none really\n");
    let Next::Release(release) = next(&git, &o) else {
        panic!("a BREAKING-CHANGE footer is a release")
    };
    assert_eq!(release.version().to_string(), "4.0.0");
    assert_eq!(release.level(), Level::Major);
    assert_eq!(release.previous().map(|p| p.name()), Some("v3.0.0"));
    assert_eq!(release.tag_name(), "v4.0.0");
    assert_eq!(release.commits().len(), 1);
}

#[test]
fn below_one_zero_breaking_bumps_minor_and_features_patch() {
    let git = Git::init();
    git.commit("feat: first");
    git.tag("v0.3.1");
    git.commit("feat: more");
    assert_eq!(next_version(&git, &Options::default()), v("0.3.2"));
    git.commit("feat!: break");
    assert_eq!(next_version(&git, &Options::default()), v("0.4.0"));
    let like_one = Options::default().below_1_0(Level::Major, Level::Minor);
    assert_eq!(next_version(&git, &like_one), v("1.0.0"));
}

#[test]
fn nothing_to_release_is_an_answer() {
    let git = Git::init();
    git.commit("feat: first");
    git.annotated_tag("v1.0.0");
    match next(&git, &Options::default()) {
        Next::Nothing { previous, commits } => {
            assert_eq!(previous.map(|p| p.name().to_string()), v("v1.0.0"));
            assert!(commits.is_empty(), "HEAD is the release: empty range");
        }
        Next::Release(r) => panic!("released {} with no commits", r.version()),
    }
    git.commit("docs: explain");
    git.commit("update the readme");
    match next(&git, &Options::default()) {
        Next::Nothing { commits, .. } => assert_eq!(commits.len(), 2),
        Next::Release(r) => panic!("docs and a plain message released {}", r.version()),
    }
    let patch = Options::default().unconventional(Unconventional::Patch);
    assert_eq!(next_version(&git, &patch), v("1.0.1"));
}

#[test]
fn first_release_without_tags() {
    let git = Git::init();
    git.commit("chore: init");
    assert!(next(&git, &Options::default()).version().is_none());
    git.commit("feat: something");
    assert_eq!(next_version(&git, &Options::default()), v("0.1.0"));
    let one = Options::default().initial_version(Version::new(1, 0, 0));
    assert_eq!(next_version(&git, &one), v("1.0.0"));
}

#[test]
fn tag_formats_and_tags_that_are_not_semver() {
    let git = Git::init();
    git.commit("feat: a");
    git.tag("1.4.0"); // bare
    git.commit("fix: b");
    git.tag("v1.5"); // not SemVer: skipped
    git.tag("nightly");
    git.tag("v01.0.0");
    let Next::Release(r) = next(&git, &Options::default()) else {
        panic!("a fix after 1.4.0")
    };
    assert_eq!(r.version().to_string(), "1.4.1");
    assert_eq!(r.previous().map(|p| p.name()), Some("1.4.0"));

    // Per-package tags name the package; other packages' tags are not releases.
    git.tag("other-v9.0.0");
    git.tag("mine-v2.0.0");
    git.commit("feat: c");
    let mine = Options::default()
        .tag_pattern(TagPattern::new("{name}-v{version}").expect("pattern"))
        .package("mine");
    assert_eq!(next_version(&git, &mine), v("2.1.0"));
    let only_v = Options::default().tag_pattern(TagPattern::new("v{version}").expect("pattern"));
    assert_eq!(
        next_version(&git, &only_v),
        v("0.1.0"),
        "no v-tag is SemVer"
    );
    // A {name} pattern without a package is a typed error, not a guess.
    let unnamed =
        Options::default().tag_pattern(TagPattern::new("{name}-v{version}").expect("pattern"));
    let err = Repo::open(&git.dir)
        .expect("open")
        .next("HEAD", &unnamed)
        .expect_err("no package");
    assert!(matches!(err, Error::TagPattern { .. }), "{err}");
}

#[test]
fn highest_reachable_release_wins_over_the_nearest() {
    let git = Git::init();
    git.commit("feat: a");
    git.tag("v1.1.0");
    git.run(&["checkout", "-q", "-b", "maint-1.1"]);
    git.commit("fix: backport");
    git.tag("v1.1.1");
    git.run(&["checkout", "-q", "main"]);
    git.commit("feat: b");
    git.tag("v1.2.0");
    git.commit("fix: c");
    git.run(&[
        "merge",
        "-q",
        "--no-ff",
        "-m",
        "Merge branch 'maint-1.1'",
        "maint-1.1",
    ]);
    let Next::Release(r) = next(&git, &Options::default()) else {
        panic!("a fix after 1.2.0")
    };
    assert_eq!(r.version().to_string(), "1.2.1");
    assert_eq!(r.previous().map(|p| p.name()), Some("v1.2.0"));
    // The backport was released as 1.1.1: not counted again; the merge counts for nothing.
    let summaries: Vec<&str> = r.commits().iter().map(|c| c.summary()).collect();
    assert_eq!(summaries, ["Merge branch 'maint-1.1'", "fix: c"]);
}

#[test]
fn prerelease_channels_count_and_graduate() {
    let git = Git::init();
    git.commit("feat: a");
    git.tag("v1.2.0");
    git.commit("feat: b");
    let rc = Options::default().channel(Channel::new("rc").expect("channel"));
    let beta = Options::default().channel(Channel::new("beta").expect("channel"));
    assert_eq!(next_version(&git, &rc), v("1.3.0-rc.1"));
    git.tag("v1.3.0-rc.1");
    match next(&git, &rc) {
        Next::Nothing { previous, .. } => {
            assert_eq!(previous.map(|p| p.name().to_string()), v("v1.3.0-rc.1"))
        }
        Next::Release(r) => panic!("rc.1 is HEAD, yet {}", r.version()),
    }
    // HEAD is the release candidate: the stable release graduates it.
    assert_eq!(next_version(&git, &Options::default()), v("1.3.0"));
    git.commit("fix: c");
    assert_eq!(next_version(&git, &rc), v("1.3.0-rc.2"));
    assert_eq!(next_version(&git, &beta), v("1.3.0-beta.1"));
    git.tag("v1.3.0-rc.2");
    git.commit("docs: d");
    assert!(next(&git, &rc).version().is_none(), "docs since rc.2");
    git.commit("feat!: e");
    assert_eq!(next_version(&git, &rc), v("2.0.0-rc.1"));
    assert_eq!(next_version(&git, &Options::default()), v("2.0.0"));
    // A release candidate tagged by hand above what the commits ask for also graduates.
    let git = Git::init();
    git.commit("feat: a");
    git.tag("v1.0.0");
    git.commit("fix: b");
    git.tag("v2.0.0-rc.1");
    git.commit("fix: c");
    assert_eq!(next_version(&git, &Options::default()), v("2.0.0"));
    assert_eq!(next_version(&git, &rc), v("2.0.0-rc.2"));
    // An abandoned prerelease that a later stable release contains does not graduate.
    git.tag("v1.0.1");
    git.commit("fix: d");
    assert_eq!(next_version(&git, &Options::default()), v("1.0.2"));
}

#[test]
fn merged_branches_count_their_commits_once() {
    let git = Git::init();
    git.commit("chore: init");
    git.tag("v0.9.0");
    git.run(&["checkout", "-q", "-b", "topic"]);
    git.commit("feat(api): new endpoint");
    git.commit("test: endpoint");
    git.run(&["checkout", "-q", "main"]);
    git.commit("fix: on main");
    git.run(&["merge", "-q", "--no-ff", "-m", "feat: merge topic", "topic"]);
    let o = Options::default().below_1_0(Level::Major, Level::Minor);
    let Next::Release(r) = next(&git, &o) else {
        panic!("a feature was merged")
    };
    assert_eq!(r.version().to_string(), "0.10.0");
    assert_eq!(r.commits().len(), 4, "three commits and the merge");
    let notes = ReleaseNotes::from_release(&r, &o);
    let features: Vec<&str> = notes
        .entries(Group::Features)
        .map(|c| c.summary())
        .collect();
    assert_eq!(
        features,
        ["feat(api): new endpoint"],
        "the merge itself is not listed"
    );
}

#[test]
fn reverts_cancel_within_the_range_and_count_as_fixes_otherwise() {
    let git = Git::init();
    git.commit("feat: released feature");
    let released = git.head();
    git.tag("v1.0.0");
    let feat = git.commit("feat: short-lived");
    git.run(&["revert", "--no-edit", &feat]);
    git.commit("docs: words");
    assert!(
        next(&git, &Options::default()).version().is_none(),
        "a feature and its revert cancel out"
    );
    git.run(&["revert", "--no-edit", &released]);
    let Next::Release(r) = next(&git, &Options::default()) else {
        panic!("reverting a released feature is a change")
    };
    assert_eq!(r.version().to_string(), "1.0.1");
    let o = Options::default();
    let notes = ReleaseNotes::from_release(&r, &o);
    let reverts: Vec<&str> = notes.entries(Group::Reverts).map(|c| c.summary()).collect();
    assert_eq!(reverts, ["Revert \"feat: released feature\""]);
    assert!(!notes.section().contains("short-lived"));
}

#[test]
fn a_shallow_clone_without_the_last_tag_names_the_fix() {
    let git = Git::init();
    git.commit("feat: a");
    git.tag("v1.0.0");
    for i in 0..3 {
        git.commit(&format!("fix: {i}"));
    }
    let full = next_version(&git, &Options::default());
    assert_eq!(full, v("1.0.1"));

    let clones = tempfile::tempdir().expect("temp dir");
    let url = format!("file://{}", git.dir.display());
    let shallow = clones.path().join("shallow");
    git.run(&[
        "clone",
        "-q",
        "--depth",
        "1",
        &url,
        shallow.to_str().expect("utf-8 path"),
    ]);
    let repo = Repo::open(&shallow).expect("open the clone");
    assert!(repo.is_shallow());
    let err = repo
        .next("HEAD", &Options::default())
        .expect_err("history is cut");
    assert!(matches!(err, Error::Shallow { .. }), "{err:?}");
    assert!(
        err.to_string().contains("git fetch --unshallow --tags"),
        "the message names the fix: {err}"
    );

    // Deep enough to reach the tag: the same answer as the full history.
    let deeper = clones.path().join("deeper");
    git.run(&[
        "clone",
        "-q",
        "--depth",
        "4",
        &url,
        deeper.to_str().expect("utf-8 path"),
    ]);
    let repo = Repo::open(&deeper).expect("open the clone");
    assert!(repo.is_shallow());
    let answer = repo
        .next("HEAD", &Options::default())
        .expect("the tag is in reach");
    assert_eq!(answer.version().map(Version::to_string), full);

    // The fix the message names works.
    Git::at(&shallow).run(&["fetch", "-q", "--unshallow", "--tags"]);
    let repo = Repo::open(&shallow).expect("open the clone");
    let answer = repo
        .next("HEAD", &Options::default())
        .expect("full history now");
    assert_eq!(answer.version().map(Version::to_string), full);
}

#[test]
fn detached_head_and_other_revisions() {
    let git = Git::init();
    git.commit("feat: a");
    git.tag("v1.0.0");
    git.commit("fix: b");
    let fix = git.head();
    git.commit("feat: c");
    git.run(&["checkout", "-q", "--detach", &fix]);
    assert_eq!(next_version(&git, &Options::default()), v("1.0.1"));
    let repo = Repo::open(&git.dir).expect("open");
    let at_main = repo
        .next("main", &Options::default())
        .expect("next at main");
    assert_eq!(at_main.version().map(Version::to_string), v("1.1.0"));
    let at_tag = repo
        .next("v1.0.0", &Options::default())
        .expect("next at the tag");
    assert!(at_tag.version().is_none());
    let err = repo
        .next("no-such-branch", &Options::default())
        .expect_err("unknown rev");
    assert!(matches!(err, Error::Revision { .. }), "{err:?}");
}

#[test]
fn an_empty_repository_is_a_typed_error() {
    let git = Git::init();
    let err = Repo::open(&git.dir)
        .expect("open")
        .next("HEAD", &Options::default())
        .expect_err("no commits");
    assert!(matches!(err, Error::Revision { .. }), "{err:?}");
    let nowhere = tempfile::tempdir().expect("temp dir");
    assert!(matches!(
        Repo::open(nowhere.path()),
        Err(Error::Open { .. })
    ));
}

#[test]
fn messages_that_are_not_utf8_are_decoded_from_their_encoding() {
    let git = Git::init();
    git.commit("feat: a");
    git.tag("v1.0.0");
    std::fs::write(git.dir.join("file.txt"), "changed\n").expect("write");
    git.run(&["add", "file.txt"]);
    let message = git.dir.join("../message");
    std::fs::write(&message, b"fix(\xe9t\xe9): caf\xe9 cr\xe8me\n").expect("write message");
    git.run(&[
        "-c",
        "i18n.commitEncoding=ISO-8859-1",
        "commit",
        "-q",
        "-F",
        message.to_str().expect("utf-8 path"),
    ]);
    let raw = git.run(&["cat-file", "commit", "HEAD"]);
    assert!(raw.contains("encoding ISO-8859-1"), "{raw}");
    let Next::Release(r) = next(&git, &Options::default()) else {
        panic!("a fix")
    };
    assert_eq!(r.version().to_string(), "1.0.1");
    let commit = &r.commits()[0];
    assert_eq!(commit.summary(), "fix(été): café crème");
    let c = commit.conventional().expect("conventional");
    assert_eq!(c.scope.as_deref(), Some("été"));

    // Without an encoding header (git itself would re-encode such a message: the object is
    // written by hand), invalid bytes become U+FFFD and the message still counts.
    git.raw_commit("", b"feat: na\xefve\n");
    let Next::Release(r) = next(&git, &Options::default()) else {
        panic!("a feature")
    };
    assert_eq!(r.version().to_string(), "1.1.0");
    assert_eq!(r.commits()[0].summary(), "feat: na\u{fffd}ve");
    // An encoding this crate does not decode is read the same way.
    git.raw_commit("encoding KOI8-R\n", b"fix: \xf0\xd2\xc9\xd7\xc5\xd4\n");
    let Next::Release(r) = next(&git, &Options::default()) else {
        panic!("a feature and a fix")
    };
    assert_eq!(
        r.commits()[0].summary(),
        "fix: \u{fffd}\u{fffd}\u{fffd}\u{fffd}\u{fffd}\u{fffd}"
    );
}

#[test]
fn notes_are_grouped_linked_and_deterministic() {
    let build = || {
        let git = Git::init();
        git.commit("feat: first");
        git.tag("v1.0.0");
        git.commit("fix(parser): accept tabs");
        git.commit("feat(cli)!: drop --old\n\nBREAKING CHANGE: use --new instead\n");
        git.commit("docs: usage");
        git.commit("feat: colour output");
        git.commit("chore: tidy");
        git.commit("not conventional at all");
        git.run(&[
            "remote",
            "add",
            "origin",
            "git@github.com:example/project.git",
        ]);
        git
    };
    let (a, b) = (build(), build());
    let o = Options::default();
    let render = |git: &Git| {
        let repo = Repo::open(&git.dir).expect("open");
        let Next::Release(r) = repo.next("HEAD", &o).expect("next") else {
            panic!("changes since v1.0.0")
        };
        let forge = repo
            .origin_url()
            .as_deref()
            .and_then(Forge::from_remote_url);
        ReleaseNotes::from_release(&r, &o).forge(forge).section()
    };
    let (text_a, text_b) = (render(&a), render(&b));
    assert_eq!(text_a, text_b, "same history, same notes");
    assert_eq!(text_a, render(&a), "same repository, same notes");

    let id = |rev: &str| a.run(&["rev-parse", rev]);
    let link = |rev: &str| {
        let full = id(rev);
        format!(
            "([{}](https://github.com/example/project/commit/{full}))",
            &full[..7]
        )
    };
    // HEAD~5 is the fix, HEAD~4 the breaking feature, HEAD~3 docs, HEAD~2 colour, HEAD~1 chore.
    let date = a.run(&["log", "-1", "--format=%cd", "--date=format-local:%Y-%m-%d"]);
    let expected = [
        format!("## [2.0.0] - {date}"),
        String::new(),
        "### Breaking changes".into(),
        String::new(),
        format!("- **cli:** drop --old {}", link("HEAD~4")),
        String::new(),
        "  use --new instead".into(),
        String::new(),
        "### Features".into(),
        String::new(),
        format!("- colour output {}", link("HEAD~2")),
        String::new(),
        "### Bug fixes".into(),
        String::new(),
        format!("- **parser:** accept tabs {}", link("HEAD~5")),
        String::new(),
        "### Documentation".into(),
        String::new(),
        format!("- usage {}", link("HEAD~3")),
        String::new(),
        "### Chores".into(),
        String::new(),
        format!("- tidy {}", link("HEAD~1")),
        String::new(),
        "**Full changelog**: https://github.com/example/project/compare/v1.0.0...v2.0.0".into(),
    ];
    assert_eq!(text_a, expected.join("\n") + "\n");
}

#[test]
fn paths_count_only_the_commits_that_change_them() {
    let git = Git::init();
    git.commit_file("app/main.rs", "fn main() {}\n", "feat: app");
    git.tag("v1.0.0");
    git.commit_file("docs/guide.md", "# guide\n", "feat(docs): a guide");
    git.commit_file("app/main.rs", "fn main() { run() }\n", "fix(app): run");
    git.commit_file(
        "application/x.rs",
        "\n",
        "feat: a sibling whose name starts the same",
    );
    let app = Options::default().paths(["app"]);
    let Next::Release(r) = next(&git, &app) else {
        panic!("a fix in app/")
    };
    assert_eq!(r.version().to_string(), "1.0.1");
    let counted: Vec<&str> = r.commits().iter().map(|c| c.summary()).collect();
    assert_eq!(counted, ["fix(app): run"]);
    assert_eq!(
        next_version(&git, &Options::default().paths(["docs/", "app"])),
        v("1.1.0")
    );
    assert!(
        next(&git, &Options::default().paths(["nowhere"]))
            .version()
            .is_none()
    );
    assert_eq!(next_version(&git, &Options::default()), v("1.1.0"));
}

#[test]
fn empty_ranges_are_answers_not_errors() {
    let git = Git::init();
    git.commit("feat: a");
    git.tag("v1.0.0");
    git.commit("fix: b");
    let repo = Repo::open(&git.dir).expect("open");
    // The same revision at both ends, and a `from` that already contains `to`.
    assert!(
        repo.commits_between(Some("HEAD"), "HEAD")
            .expect("HEAD..HEAD")
            .is_empty()
    );
    assert!(
        repo.commits_between(Some("HEAD"), "v1.0.0")
            .expect("HEAD..v1.0.0")
            .is_empty()
    );
    let o = Options::default();
    let notes = ReleaseNotes::new("Unreleased", &[], &o).section();
    assert_eq!(notes, "## [Unreleased]\n\nNo notable changes.\n");
    // A range of commits that all count for nothing: listed, no release.
    git.run(&["checkout", "-q", "--detach", "v1.0.0"]);
    git.commit("docs: only words");
    match next(&git, &o) {
        Next::Nothing { previous, commits } => {
            assert_eq!(previous.map(|p| p.name().to_string()), v("v1.0.0"));
            assert_eq!(commits.len(), 1);
        }
        Next::Release(r) => panic!("released {}", r.version()),
    }
}

#[test]
fn tags_of_other_objects_and_versions_that_are_not_semver_are_not_releases() {
    let git = Git::init();
    git.commit("feat: a");
    git.tag("v1.0.0");
    git.commit("fix: b");
    // A version-looking tag of a tree and of a blob, a tag of a tag, and SemVer look-alikes.
    git.run(&["tag", "v8.0.0", "HEAD^{tree}"]);
    let blob = git.run(&["rev-parse", "HEAD:changes"]);
    git.run(&["tag", "v9.0.0", &blob]);
    git.run(&["tag", "-a", "-m", "tag of a tag", "nightly", "v1.0.0"]);
    for name in [
        "v1.0.1.0", "v1.0", "v 1.0.2", "v1.0.2-", "v1.0.2+", "V1.0.3",
    ] {
        // git refuses some of these names itself; those that exist must not count.
        let _ = git.command(&["tag", name]).output();
    }
    let Next::Release(r) = next(&git, &Options::default()) else {
        panic!("a fix since v1.0.0")
    };
    assert_eq!(r.version().to_string(), "1.0.1");
    assert_eq!(r.previous().map(|p| p.name()), Some("v1.0.0"));
    let names: Vec<String> = Repo::open(&git.dir)
        .expect("open")
        .release_tags(&Options::default())
        .expect("tags")
        .iter()
        .map(|t| t.name().to_string())
        .collect();
    assert_eq!(names, ["v1.0.0"]);
}

#[test]
fn notes_of_a_shallow_history_name_the_fix() {
    let git = Git::init();
    git.commit("feat: a");
    git.tag("v1.0.0");
    git.commit("fix: b");
    git.commit("fix: c");
    let clones = tempfile::tempdir().expect("temp dir");
    let shallow = clones.path().join("shallow");
    git.run(&[
        "clone",
        "-q",
        "--depth",
        "1",
        &format!("file://{}", git.dir.display()),
        shallow.to_str().expect("utf-8 path"),
    ]);
    let repo = Repo::open(&shallow).expect("open the clone");
    let err = repo
        .commits_between(None, "HEAD")
        .expect_err("the whole history is not there");
    assert!(matches!(err, Error::Shallow { .. }), "{err:?}");
    assert!(err.to_string().contains("--unshallow"), "{err}");
    // The tag itself was not fetched: naming it is a revision error that names it.
    let err = repo
        .commits_between(Some("v1.0.0"), "HEAD")
        .expect_err("no tag in the clone");
    assert!(err.to_string().contains("v1.0.0"), "{err}");
}
