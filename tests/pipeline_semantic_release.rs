//! The semantic-release pipeline (`examples/semantic-release`) on a generated Cargo workspace
//! with a Conventional Commits history: the next version, every manifest and the lock file
//! bumped (Cargo accepts them), the notes and changelog, and the image pushed to a
//! docker-registry under the release tags, copied back with skopeo, unpacked with umoci, and
//! its program run.

// Test code: an unwrap that fails is a failing test.
#![allow(clippy::unwrap_used)]

mod common;
#[path = "version/git.rs"]
mod git;
#[path = "registry/support.rs"]
mod support;
#[path = "version/workspace.rs"]
mod workspace;

use std::path::Path;
use std::process::Command;

use common::{build_examples, require_tool, run, run_ok};
use git::Git;
use support::Registry;
use workspace::{lock, members, read, write_files};

const APP_MAIN: &str = r#"fn main() {
    println!("app {} ({})", env!("CARGO_PKG_VERSION"), greet::greeting());
}
"#;

/// A workspace of two crates at 1.4.2, released as `v1.4.2`, then a fix and a feature.
fn history() -> Git {
    let git = Git::init();
    write_files(
        &git.dir,
        &[
            (
                "Cargo.toml",
                "[workspace]\nmembers = [\"app\", \"greet\"]\nresolver = \"2\"\n\n\
                 [workspace.package]\nversion = \"1.4.2\" # the release\nedition = \"2021\"\n\
                 license = \"MIT\"\n",
            ),
            (
                "app/Cargo.toml",
                "[package]\nname = \"app\"\nversion.workspace = true\nedition.workspace = true\n\n\
                 [dependencies]\ngreet = { path = \"../greet\", version = \"1.4.2\" }\n",
            ),
            ("app/src/main.rs", APP_MAIN),
            (
                "greet/Cargo.toml",
                "[package]\nname = \"greet\"\nversion.workspace = true\nedition.workspace = true\n",
            ),
            (
                "greet/src/lib.rs",
                "pub fn greeting() -> &'static str {\n    \"hello\"\n}\n",
            ),
            (".gitignore", "/target\n/dist\n"),
        ],
    );
    lock(&git.dir);
    git.run(&["add", "-A"]);
    git.run(&["commit", "-q", "-m", "feat: first release"]);
    git.run(&["tag", "-a", "v1.4.2", "-m", "v1.4.2"]);
    git.commit_file(
        "greet/src/lib.rs",
        "pub fn greeting() -> &'static str {\n    \"hello, world\"\n}\n",
        "fix(greet): greet the whole world",
    );
    git.commit_file("app/README.md", "app\n", "docs: say what the app is");
    git.commit_file(
        "app/src/main.rs",
        &APP_MAIN.replace("({})", "[{}]"),
        "feat(app): bracket the greeting",
    );
    git
}

#[test]
fn a_release_bumps_the_workspace_writes_notes_and_publishes_the_image() {
    require_tool("skopeo", "skopeo");
    require_tool("umoci", "umoci");
    let registry = Registry::start();
    let examples = build_examples(&["semantic-release"]);
    let git = history();
    let repo = format!("{}/acme/app", registry.host());
    let out = run(Command::new(examples.join("semantic-release"))
        .arg("--repo")
        .arg(&git.dir)
        .args(["--bin", "app", "--registry", &repo])
        .env("DOCKER_CONFIG", git.dir.join("no-docker-config")));
    let said = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "semantic-release failed: {said}{}\n{}",
        String::from_utf8_lossy(&out.stderr),
        registry.log()
    );
    assert!(said.contains("next version 1.5.0"), "{said}");

    // Cargo accepts the bumped manifests with the lock file as written (`--locked`).
    assert_eq!(
        members(&git.dir),
        [
            ("app".to_owned(), "1.5.0".to_owned()),
            ("greet".to_owned(), "1.5.0".to_owned())
        ]
    );
    let root = read(&git.dir, "Cargo.toml");
    assert!(root.contains("version = \"1.5.0\" # the release"), "{root}");
    assert!(read(&git.dir, "app/Cargo.toml").contains("version = \"1.5.0\" }"));

    // Notes: features, then fixes, then documentation; the changelog has the section.
    let notes = read(&git.dir, "dist/RELEASE_NOTES.md");
    let feature = notes
        .find("bracket the greeting")
        .expect("feature in notes");
    let fix = notes.find("greet the whole world").expect("fix in notes");
    let docs = notes.find("say what the app is").expect("docs in notes");
    assert!(notes.starts_with("## [1.5.0]"), "{notes}");
    assert!(feature < fix && fix < docs, "{notes}");
    assert!(read(&git.dir, "CHANGELOG.md").contains("1.5.0"));

    // The image: release tags, and the program in it is the bumped build.
    let listed = run_ok(Command::new("skopeo").args([
        "list-tags",
        "--tls-verify=false",
        &format!("docker://{repo}"),
    ]));
    let listed: serde_json::Value = serde_json::from_str(&listed).unwrap();
    let mut tags: Vec<&str> = listed["Tags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap())
        .collect();
    tags.sort_unstable();
    assert_eq!(tags, ["1", "1.5", "1.5.0", "latest"]);
    let copy = git.dir.join("copy");
    run_ok(Command::new("skopeo").args([
        "copy",
        "--src-tls-verify=false",
        &format!("docker://{repo}:latest"),
        &format!("oci:{}:latest", copy.display()),
    ]));
    let bundle = git.dir.join("bundle");
    run_ok(
        Command::new("umoci")
            .args(["unpack", "--rootless", "--image"])
            .arg(format!("{}:latest", copy.display()))
            .arg(&bundle),
    );
    let program = bundle.join("rootfs/usr/local/bin/app");
    assert_eq!(
        run_ok(&mut Command::new(&program)).trim(),
        "app 1.5.0 [hello, world]"
    );

    // The same release again gives the same image bytes (its date is the commit's).
    let first = std::fs::read(git.dir.join("dist/oci/index.json")).unwrap();
    let again = git.dir.join("again");
    std::fs::create_dir_all(&again).unwrap();
    ok_rebuild(&examples, &git.dir, &again);
    let second_layout = consign::oci::OciLayout::open(again.join("oci")).unwrap();
    let first_layout = consign::oci::OciLayout::open(git.dir.join("dist/oci")).unwrap();
    assert_eq!(
        second_layout.resolve("1.5.0").unwrap().digest,
        first_layout.resolve("1.5.0").unwrap().digest,
        "{}",
        String::from_utf8_lossy(&first)
    );
}

/// Reruns the example on the checkout with the bump undone (so it releases 1.5.0 again),
/// writing to `out`, without a registry.
fn ok_rebuild(examples: &Path, repo: &Path, out: &Path) {
    let git = Git::at(repo);
    git.run(&["checkout", "--", "."]);
    std::fs::remove_file(repo.join("CHANGELOG.md")).unwrap();
    let out = run(Command::new(examples.join("semantic-release"))
        .arg("--repo")
        .arg(repo)
        .args(["--bin", "app", "--out"])
        .arg(out));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn nothing_to_release_is_said_and_changes_nothing() {
    let examples = build_examples(&["semantic-release"]);
    let git = history();
    git.run(&["tag", "-a", "v1.5.0", "-m", "v1.5.0"]);
    let before = read(&git.dir, "Cargo.toml");
    let out = run(Command::new(examples.join("semantic-release"))
        .arg("--repo")
        .arg(&git.dir)
        .args(["--bin", "app"]));
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "nothing to release since v1.5.0"
    );
    assert_eq!(read(&git.dir, "Cargo.toml"), before);
    assert!(!git.dir.join("dist").exists());
}
