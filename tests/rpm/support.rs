//! The package every rpm test reads: the real `consign-sums` program with every kind of
//! entry and metadata, and helpers running the reference tools.

use std::fs;
use std::io::Read;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use crate::common::{self, require_tool, run, run_ok};
use consign::core::{
    Algorithm, Dependency, Entry, EntryKind, FileTree, PackageMeta, Platform, RelPath, SourceDate,
    VersionOp, hash_file,
};
use consign::package::ArtifactWriter;
use consign::package::compress::{Codec, Compression};
use consign::package::rpm::{ChangelogEntry, Rpm, RpmOptions, RpmSpec, Scriptlet, ScriptletKind};

pub const DATE: u64 = 1_700_000_000; // 2023-11-14T22:13:20Z
const DAY: u64 = 86_400;
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
pub const MAINTAINER: &str = "consign maintainers <maintainers@consign.invalid>";
pub const LOG: &str = "/var/log/consign-sums-scripts.log";

const MAN_PAGE: &str = r#".TH CONSIGN-SUMS 1 2023-11-14 consign "User Commands"
.SH NAME
consign-sums \- print or check SHA-256, SHA-512 or BLAKE3 checksums
.SH SYNOPSIS
.B consign-sums
[\fIOPTIONS\fR] [\fIFILE\fR...]
.SH DESCRIPTION
Prints one checksum line per file, as sha256sum does, hashing files on every core.
"#;

pub fn platform() -> Platform {
    "x86_64-unknown-linux-gnu".parse().unwrap()
}

/// The examples directory, built once per test binary.
pub fn examples() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(common::examples_dir)
}

/// A package of the real `consign-sums` program: binary (stripped, as distributions ship
/// them), a symlink and a hard link to it, a `%config(noreplace)` file, `%doc` files (readme
/// and man pages), an owned state directory, scriptlets for every install phase, relations
/// of every kind and a changelog.
pub struct Fixture {
    pub dir: tempfile::TempDir,
    pub tree: FileTree,
    pub meta: PackageMeta,
    pub spec: RpmSpec,
}

impl Fixture {
    pub fn new() -> Fixture {
        require_tool("strip", "binutils");
        require_tool("gzip", "gzip");
        let dir = tempfile::tempdir().unwrap();
        let bin = dir.path().join("consign-sums");
        run_ok(
            Command::new("strip")
                .arg("-o")
                .arg(&bin)
                .arg(examples().join("consign-sums")),
        );
        let man = dir.path().join("consign-sums.1");
        fs::write(&man, MAN_PAGE).unwrap();
        run_ok(Command::new("gzip").args(["-n", "-9"]).arg(&man));
        let mut man_gz = man.into_os_string();
        man_gz.push(".gz");

        let mut t = FileTree::new();
        t.insert(
            "usr/bin/consign-sums",
            Entry::file(&bin).unwrap().mode(0o755),
        )
        .unwrap();
        t.insert("usr/bin/sums", Entry::symlink("consign-sums"))
            .unwrap();
        t.insert(
            "usr/bin/consign-sha256sum",
            Entry::hardlink(RelPath::new("usr/bin/consign-sums").unwrap()),
        )
        .unwrap();
        t.insert(
            "etc/consign-sums/sums.conf",
            Entry::bytes(b"algorithm = sha256\njobs = 0\n".to_vec()).config(),
        )
        .unwrap();
        t.insert(
            "usr/share/doc/consign-sums/README.md",
            Entry::bytes(b"# consign-sums\n\nParallel checksums.\n".to_vec()).doc(),
        )
        .unwrap();
        t.insert(
            "usr/share/man/man1/consign-sums.1.gz",
            Entry::file(&man_gz).unwrap().doc(),
        )
        .unwrap();
        for alias in ["sums", "consign-sha256sum"] {
            t.insert(
                format!("usr/share/man/man1/{alias}.1.gz"),
                Entry::symlink("consign-sums.1.gz"),
            )
            .unwrap();
        }
        t.insert(
            "var/lib/consign-sums",
            Entry::dir()
                .ids(65_534, 65_534)
                .names(Some("nobody"), Some("nobody")),
        )
        .unwrap();

        let meta = PackageMeta::new("consign-sums", VERSION)
            .unwrap()
            .description(
                "Parallel sha256sum-compatible checksum tool\n\
                 consign-sums prints and checks checksum files the way sha256sum does,\n\
                 hashing the files on every core.",
            )
            .license("MIT OR Apache-2.0")
            .maintainer(MAINTAINER)
            .homepage("https://github.com/consign-rs/consign");
        let log = |phase: &str| format!("echo \"{phase} $1\" >> {LOG}\n");
        let spec = RpmSpec::default()
            .group("Applications/System")
            .requires(Dependency::new("glibc").version(VersionOp::GreaterEq, "2.17"))
            .provides(Dependency::new("sha256sum-parallel").version(VersionOp::Eq, VERSION))
            .provides(Dependency::new("consign-sums-legacy").version(VersionOp::Eq, VERSION))
            .obsoletes(Dependency::new("consign-sums-legacy").version(VersionOp::Less, "0.1"))
            .conflicts(Dependency::new("sums-ng"))
            .recommends(Dependency::new("coreutils"))
            .suggests(Dependency::new("gnupg2"))
            .scriptlet(Scriptlet::new(ScriptletKind::Pre, log("pre")))
            .scriptlet(Scriptlet::new(ScriptletKind::Post, log("post")))
            .scriptlet(Scriptlet::new(ScriptletKind::PreUn, log("preun")))
            .scriptlet(Scriptlet::new(ScriptletKind::PostUn, log("postun")))
            .changelog(ChangelogEntry::new(
                SourceDate::from_unix(DATE - 30 * DAY),
                format!("{MAINTAINER} - 0.0.9-1"),
                "- Preview",
            ))
            .changelog(ChangelogEntry::new(
                SourceDate::from_unix(DATE - DAY),
                format!("{MAINTAINER} - {VERSION}-1"),
                "- First release",
            ));
        Fixture {
            dir,
            tree: t,
            meta,
            spec,
        }
    }

    pub fn rpm(&self) -> Rpm<'_> {
        Rpm::new(
            &self.tree,
            &self.meta,
            platform(),
            SourceDate::from_unix(DATE),
        )
        .spec(self.spec.clone())
    }

    /// Writes the package with `codec` into its own directory under the conventional name.
    pub fn write(&self, codec: Codec) -> PathBuf {
        let rpm = self
            .rpm()
            .options(RpmOptions::default().compression(Compression::new(codec)));
        let dir = self.dir.path().join(codec.extension());
        fs::create_dir_all(&dir).unwrap();
        let path = dir.join(rpm.file_name().unwrap());
        let written = rpm.write_to_path(&path).unwrap().written;
        assert_eq!(written.size, fs::metadata(&path).unwrap().len());
        assert_eq!(
            written.sha256(),
            hash_file(&path, &[Algorithm::Sha256]).unwrap().sha256(),
            "Written digests are those of the file"
        );
        path
    }

    /// Content of a regular file (or hard link) of the tree.
    pub fn content(&self, path: &str) -> Vec<u8> {
        let entry = self.tree.get(path).unwrap();
        let entry = match entry.kind() {
            EntryKind::Hardlink { target } => self.tree.get(target.as_str()).unwrap(),
            _ => entry,
        };
        let mut data = Vec::new();
        entry.open().unwrap().read_to_end(&mut data).unwrap();
        data
    }
}

/// What `rpm -q` prints, with the time zone fixed.
pub fn rpm_query(pkg: &Path, args: &[&str]) -> String {
    run_ok(Command::new("rpm").env("TZ", "UTC").args(args).arg(pkg))
}

/// Runs `rpmkeys -Kv` and returns its report, requiring every digest to be OK.
pub fn check_digests(pkg: &Path) -> String {
    let out = run(Command::new("rpmkeys")
        .args(["--define", "__gpg /usr/bin/gpg", "-Kv"])
        .arg(pkg));
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    // rpm 4.18 exits 0 for unsigned packages: the report is what counts.
    assert!(out.status.success(), "{text}");
    for want in ["Header SHA256 digest: OK", "Payload SHA256 digest: OK"] {
        assert!(text.contains(want), "{want} missing:\n{text}");
    }
    for line in text.lines().skip(1) {
        assert!(line.trim_end().ends_with(": OK"), "{line}\n{text}");
    }
    text
}
/// A throwaway OpenPGP key, an rpm database trusting it, and a `HOME` whose `.rpmmacros`
/// points rpm (and so rpmlint, which runs `rpm -Kv`) at that database.
pub struct Keyring {
    gnupg: PathBuf,
    pub home: PathBuf,
}

impl Keyring {
    pub fn new(dir: &Path) -> Keyring {
        let gnupg = dir.join("gnupg");
        let home = dir.join("home");
        let db = dir.join("rpmdb");
        for d in [&gnupg, &home, &db] {
            fs::create_dir_all(d).unwrap();
        }
        fs::set_permissions(&gnupg, fs::Permissions::from_mode(0o700)).unwrap();
        let gpg = |args: &[&str]| {
            run_ok(
                Command::new("gpg")
                    .env("GNUPGHOME", &gnupg)
                    .args(["--batch", "--quiet"])
                    .args(args),
            )
        };
        gpg(&[
            "--passphrase",
            "",
            "--quick-gen-key",
            "consign test <test@consign.invalid>",
            "ed25519",
            "sign",
            "never",
        ]);
        let public = dir.join("public.asc");
        fs::write(
            &public,
            gpg(&["--armor", "--export", "test@consign.invalid"]),
        )
        .unwrap();
        run_ok(
            Command::new("rpmkeys")
                .arg("--dbpath")
                .arg(&db)
                .arg("--import")
                .arg(&public),
        );
        fs::write(
            home.join(".rpmmacros"),
            format!("%_dbpath {}\n%__gpg /usr/bin/gpg\n", db.display()),
        )
        .unwrap();
        Keyring { gnupg, home }
    }

    /// Signs `pkg` with rpmsign.
    pub fn sign(&self, pkg: &Path) {
        run_ok(
            Command::new("rpmsign")
                .env("HOME", &self.home)
                .env("GNUPGHOME", &self.gnupg)
                .args(["--define", "_gpg_name test@consign.invalid", "--addsign"])
                .arg(pkg),
        );
    }
}
/// The lines of `stderr` that are not the banner Debian's rpm prints on every install.
pub fn complaints(stderr: &[u8]) -> Vec<String> {
    String::from_utf8_lossy(stderr)
        .lines()
        .filter(|l| !l.contains("use Alien instead") && !l.contains("assuming you know"))
        .map(str::to_owned)
        .collect()
}
