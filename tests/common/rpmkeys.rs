//! `rpmkeys` with a database of its own trusting one key, in a temporary directory.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use super::{run, run_ok};

/// An rpm database trusting `public`, and a HOME whose `.rpmmacros` points rpm at it.
pub fn database(dir: &Path, public: &[u8]) -> (PathBuf, PathBuf) {
    let db = dir.join("rpmdb");
    let home = dir.join("home");
    fs::create_dir_all(&db).unwrap();
    fs::create_dir_all(&home).unwrap();
    let asc = dir.join("release.asc");
    fs::write(&asc, public).unwrap();
    run_ok(
        Command::new("rpmkeys")
            .arg("--dbpath")
            .arg(&db)
            .arg("--import")
            .arg(&asc),
    );
    fs::write(
        home.join(".rpmmacros"),
        format!("%_dbpath {}\n", db.display()),
    )
    .unwrap();
    (db, home)
}

/// `rpmkeys -Kv` of `pkg` against the database `db`: what it printed.
pub fn check(db: &Path, pkg: &Path) -> String {
    // rpm 4.18 exits 0 even for unsigned packages: the output is what counts.
    let out = run(Command::new("rpmkeys")
        .arg("--dbpath")
        .arg(db)
        .arg("-Kv")
        .arg(pkg));
    String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr)
}
