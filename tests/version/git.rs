//! Real git repositories for the consign-version tests, built with the `git` CLI: fixed
//! author, committer and dates, no user or system configuration.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common::{require_tool, run_ok};

/// A repository in a temporary directory; each commit is dated one minute after the last.
pub struct Git {
    _tmp: Option<tempfile::TempDir>,
    pub dir: PathBuf,
    clock: std::cell::Cell<i64>,
}

impl Git {
    /// `git init` on branch `main` in a new temporary directory.
    pub fn init() -> Git {
        require_tool("git", "git");
        let tmp = tempfile::tempdir().expect("temp dir");
        let dir = tmp.path().join("repo");
        std::fs::create_dir(&dir).expect("create repo dir");
        let git = Git {
            _tmp: Some(tmp),
            dir,
            clock: std::cell::Cell::new(1_704_067_200), // 2024-01-01T00:00:00Z
        };
        git.run(&["init", "-q", "-b", "main"]);
        git
    }

    /// A repository at `dir` (made by `git clone` in a test).
    pub fn at(dir: &Path) -> Git {
        Git {
            _tmp: None,
            dir: dir.to_path_buf(),
            clock: std::cell::Cell::new(1_800_000_000),
        }
    }

    /// A `git` command in the repository with the fixed identity and the next date.
    pub fn command(&self, args: &[&str]) -> Command {
        let now = self.clock.get() + 60;
        self.clock.set(now);
        let date = format!("@{now} +0000");
        let home = self.dir.parent().unwrap_or(&self.dir).to_path_buf();
        let mut c = Command::new("git");
        c.current_dir(&self.dir)
            .args(args)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("HOME", home)
            .env("GIT_AUTHOR_NAME", "Test Author")
            .env("GIT_AUTHOR_EMAIL", "author@example.invalid")
            .env("GIT_COMMITTER_NAME", "Test Committer")
            .env("GIT_COMMITTER_EMAIL", "committer@example.invalid")
            .env("GIT_AUTHOR_DATE", &date)
            .env("GIT_COMMITTER_DATE", &date)
            .env("TZ", "UTC")
            .env_remove("GIT_DIR")
            .env_remove("GIT_WORK_TREE");
        c
    }

    /// Runs `git args…`, requiring success; returns stdout, trimmed.
    pub fn run(&self, args: &[&str]) -> String {
        run_ok(&mut self.command(args)).trim().to_string()
    }

    /// Writes `path` (relative) with `content`, commits it with `message`, returns the id.
    pub fn commit_file(&self, path: &str, content: &str, message: &str) -> String {
        let full = self.dir.join(path);
        if let Some(parent) = full.parent() {
            std::fs::create_dir_all(parent).expect("create dirs");
        }
        std::fs::write(&full, content).expect("write file");
        self.run(&["add", "--", path]);
        self.run(&["commit", "-q", "-m", message]);
        self.head()
    }

    /// A commit that adds a file of its own (so that branches merge and commits revert
    /// without conflicts), with `message`.
    pub fn commit(&self, message: &str) -> String {
        let name = format!("changes/{}.txt", self.clock.get());
        self.commit_file(&name, message, message)
    }

    /// A commit whose object is written byte for byte (`git hash-object --literally`), for
    /// messages git itself would re-encode; HEAD moves to it.
    pub fn raw_commit(&self, header_extra: &str, message: &[u8]) -> String {
        let tree = self.run(&["rev-parse", "HEAD^{tree}"]);
        let parent = self.head();
        let now = self.clock.get() + 60;
        self.clock.set(now);
        let mut object = format!(
            "tree {tree}\nparent {parent}\nauthor Test Author <author@example.invalid> {now} +0000\n\
             committer Test Committer <committer@example.invalid> {now} +0000\n{header_extra}\n"
        )
        .into_bytes();
        object.extend_from_slice(message);
        let file = self.dir.join("../raw-commit");
        std::fs::write(&file, object).expect("write raw commit");
        let id = self.run(&[
            "hash-object",
            "-t",
            "commit",
            "-w",
            "--literally",
            file.to_str().expect("utf-8 path"),
        ]);
        self.run(&["update-ref", "HEAD", &id]);
        id
    }

    /// A lightweight tag at HEAD.
    pub fn tag(&self, name: &str) {
        self.run(&["tag", name]);
    }

    /// An annotated tag at HEAD.
    pub fn annotated_tag(&self, name: &str) {
        self.run(&["tag", "-a", "-m", &format!("release {name}"), name]);
    }

    /// The id of HEAD.
    pub fn head(&self) -> String {
        self.run(&["rev-parse", "HEAD"])
    }
}
