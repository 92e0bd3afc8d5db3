//! Generated Cargo workspaces with comments and odd formatting, for the bump tests.
#![allow(dead_code)]

use std::path::Path;
use std::process::Command;

use crate::common::run_ok;

/// Writes `files` (relative path, text) under `root`.
pub fn write_files(root: &Path, files: &[(&str, &str)]) {
    for (path, text) in files {
        let full = root.join(path);
        std::fs::create_dir_all(full.parent().expect("parent")).expect("create dirs");
        std::fs::write(&full, text).expect("write file");
    }
}

/// Reads `path` under `root`.
pub fn read(root: &Path, path: &str) -> String {
    std::fs::read_to_string(root.join(path)).unwrap_or_else(|e| panic!("read {path}: {e}"))
}

/// `cargo generate-lockfile --offline` (the workspaces have no registry dependencies).
pub fn lock(root: &Path) {
    run_ok(
        Command::new(env!("CARGO"))
            .args(["generate-lockfile", "--offline", "--quiet"])
            .current_dir(root),
    );
}

/// `cargo metadata --offline --locked`: Cargo accepts the manifests, and the lock file needs
/// no change. Returns (name, version) of each workspace member, sorted.
pub fn members(root: &Path) -> Vec<(String, String)> {
    let out = run_ok(
        Command::new(env!("CARGO"))
            .args([
                "metadata",
                "--offline",
                "--locked",
                "--format-version",
                "1",
                "--no-deps",
            ])
            .current_dir(root),
    );
    let json: serde_json::Value = serde_json::from_str(&out).expect("cargo metadata JSON");
    let mut found: Vec<(String, String)> = json["packages"]
        .as_array()
        .expect("packages")
        .iter()
        .map(|p| {
            (
                p["name"].as_str().expect("name").to_string(),
                p["version"].as_str().expect("version").to_string(),
            )
        })
        .collect();
    found.sort();
    found
}

/// `cargo package --list --offline --allow-dirty -p NAME` succeeds; returns the listing.
pub fn package_list(root: &Path, name: &str) -> String {
    run_ok(
        Command::new(env!("CARGO"))
            .args([
                "package",
                "--list",
                "--offline",
                "--allow-dirty",
                "-p",
                name,
            ])
            .current_dir(root),
    )
}

/// A workspace whose members share `workspace.package.version` (alpha, beta) or have their
/// own (gamma), with requirements in every form the bump must follow.
pub const SHARED: &[(&str, &str)] = &[
    (
        "Cargo.toml",
        r#"# The workspace root: every comment must survive the bump.
[workspace]
members = [
    "crates/*",   # every crate
]
resolver = "2"

[workspace.package]
version   =   "0.4.1"  # shared version, odd spacing kept
edition = "2021"
license = "MIT"
description = "fixture"

[workspace.dependencies]
alpha = { path = "crates/alpha", version = "0.4.1" } # inline table
beta.path = "crates/beta"
beta.version = "=0.4.1"   # dotted keys, exact requirement
serde = "1"               # never touched: not a member
"#,
    ),
    (
        "crates/alpha/Cargo.toml",
        r#"[package]
name = "alpha"
version.workspace = true
edition.workspace = true
license.workspace = true
description.workspace = true
"#,
    ),
    ("crates/alpha/src/lib.rs", "//! alpha\npub fn alpha() {}\n"),
    (
        "crates/beta/Cargo.toml",
        r#"[package]
name = "beta"
version = { workspace = true }   # inline form
edition.workspace = true
license.workspace = true
description.workspace = true

[dependencies]
alpha = { workspace = true }
"#,
    ),
    (
        "crates/beta/src/lib.rs",
        "//! beta\npub use alpha::alpha;\n",
    ),
    (
        "crates/gamma/Cargo.toml",
        r#"[package]
name    = "gamma"
version = "0.4.1" # its own
edition = "2021"
license = "MIT"
description = "fixture"

[dependencies]
alpha = {path="../alpha",version="0.4"}

[dev-dependencies.beta]
path = "../beta"
version = "0.4.1"  # dev

[target.'cfg(unix)'.dependencies]
alpha-again = { package = "alpha", path = "../alpha", version = "~0.4.1" }
"#,
    ),
    (
        "crates/gamma/src/lib.rs",
        "//! gamma\npub use alpha::alpha;\n",
    ),
];

/// A workspace whose members each have their own version, for per-crate releases: beta
/// depends on alpha, gamma has alpha as a dev-dependency, delta stands alone.
pub const SEPARATE: &[(&str, &str)] = &[
    (
        "Cargo.toml",
        "[workspace]\nmembers = [\"crates/alpha\", \"crates/beta\", \"crates/gamma\", \"crates/delta\"]\nresolver = \"2\"\n",
    ),
    ("README.md", "# fixture\n"),
    (
        "crates/alpha/Cargo.toml",
        "[package]\nname = \"alpha\"\nversion = \"0.4.1\"\nedition = \"2021\"\nlicense = \"MIT\"\ndescription = \"a\"\n",
    ),
    ("crates/alpha/src/lib.rs", "pub fn alpha() {}\n"),
    (
        "crates/beta/Cargo.toml",
        "[package]\nname = \"beta\"\nversion = \"0.2.0\"\nedition = \"2021\"\nlicense = \"MIT\"\ndescription = \"b\"\n\n[dependencies]\nalpha = { path = \"../alpha\", version = \"0.4.1\" }\n",
    ),
    ("crates/beta/src/lib.rs", "pub use alpha::alpha;\n"),
    (
        "crates/gamma/Cargo.toml",
        "[package]\nname = \"gamma\"\nversion = \"1.2.0\"\nedition = \"2021\"\nlicense = \"MIT\"\ndescription = \"c\"\n\n[dev-dependencies]\nalpha = { path = \"../alpha\", version = \"0.4.1\" }\n",
    ),
    ("crates/gamma/src/lib.rs", "pub fn gamma() {}\n"),
    (
        "crates/delta/Cargo.toml",
        "[package]\nname = \"delta\"\nversion = \"0.1.0\"\nedition = \"2021\"\nlicense = \"MIT\"\ndescription = \"d\"\n",
    ),
    ("crates/delta/src/lib.rs", "pub fn delta() {}\n"),
];

/// A workspace whose version literals are written in every form TOML allows: single-quoted
/// (literal) strings, multi-line strings, requirements with spaces after the operator, inline
/// tables, dotted keys and dependency tables. `quoted` moves from 1.2.3; `user` depends on it.
pub const QUOTED: &[(&str, &str)] = &[
    (
        "Cargo.toml",
        r#"[workspace]
members = ['quoted', 'user']
resolver = '2'

[workspace.dependencies]
quoted = { path = 'quoted', version = '1.2.3' } # literal string in an inline table
"#,
    ),
    (
        "quoted/Cargo.toml",
        r#"[package]
name = 'quoted'
version = '1.2.3'   # a literal string
edition = '2021'
license = 'MIT'
description = 'q'
"#,
    ),
    ("quoted/src/lib.rs", "pub fn quoted() {}\n"),
    (
        "user/Cargo.toml",
        r#"[package]
name = "user"
version = """0.1.0"""
edition = "2021"
license = "MIT"
description = "u"

[dependencies]
quoted = { version = "=1.2.3", path = "../quoted" }

[dev-dependencies.quoted]
path = '../quoted'
version = '= 1.2.3' # exact, spaced

[build-dependencies]
quoted.path = "../quoted"
quoted.version = '''~1.2.3'''

[target.'cfg(unix)'.dependencies]
quoted = { path = "../quoted", version = ">= 1.2" }
"#,
    ),
    ("user/build.rs", "fn main() {}\n"),
    ("user/src/lib.rs", "pub use quoted::quoted;\n"),
];
