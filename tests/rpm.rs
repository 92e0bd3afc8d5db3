//! Binary rpms read back by the reference tools: rpm (`-qip`, `-qlp --dump`, `-K`, install
//! into a temporary root, `-V`, erase), rpmsign, rpmlint, rpm2cpio and cpio, and the `rpm`
//! crate as an independent reader.

// Test code: an unwrap that fails is a failing test.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeMap;
use std::fs;
use std::io::Read;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

use common::{require_tool, run, run_ok};
use consign::core::{
    Algorithm, Dependency, Digest, Entry, EntryKind, FileTree, PackageMeta, Platform, RelPath,
    SourceDate, VersionOp, hash_file,
};
use consign::package::compress::{Codec, Compression};
use consign::package::rpm::{
    ChangelogEntry, Rpm, RpmError, RpmOptions, RpmSpec, Scriptlet, ScriptletKind,
};

const DATE: u64 = 1_700_000_000; // 2023-11-14T22:13:20Z
const DAY: u64 = 86_400;
const VERSION: &str = env!("CARGO_PKG_VERSION");
const MAINTAINER: &str = "consign maintainers <maintainers@consign.invalid>";
const LOG: &str = "/var/log/consign-sums-scripts.log";

const MAN_PAGE: &str = r#".TH CONSIGN-SUMS 1 2023-11-14 consign "User Commands"
.SH NAME
consign-sums \- print or check SHA-256, SHA-512 or BLAKE3 checksums
.SH SYNOPSIS
.B consign-sums
[\fIOPTIONS\fR] [\fIFILE\fR...]
.SH DESCRIPTION
Prints one checksum line per file, as sha256sum does, hashing files on every core.
"#;

fn platform() -> Platform {
    "x86_64-unknown-linux-gnu".parse().unwrap()
}

/// The examples directory, built once per test binary.
fn examples() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(common::examples_dir)
}

/// A package of the real `consign-sums` program: binary (stripped, as distributions ship
/// them), a symlink and a hard link to it, a `%config(noreplace)` file, `%doc` files (readme
/// and man pages), an owned state directory, scriptlets for every install phase, relations
/// of every kind and a changelog.
struct Fixture {
    dir: tempfile::TempDir,
    tree: FileTree,
    meta: PackageMeta,
    spec: RpmSpec,
}

impl Fixture {
    fn new() -> Fixture {
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

    fn rpm(&self) -> Rpm<'_> {
        Rpm::new(
            &self.tree,
            &self.meta,
            platform(),
            SourceDate::from_unix(DATE),
        )
        .spec(self.spec.clone())
    }

    /// Writes the package with `codec` into its own directory under the conventional name.
    fn write(&self, codec: Codec) -> PathBuf {
        let rpm = self
            .rpm()
            .options(RpmOptions::default().compression(Compression::new(codec)));
        let dir = self.dir.path().join(codec.extension());
        fs::create_dir_all(&dir).unwrap();
        let path = dir.join(rpm.file_name().unwrap());
        let written = rpm.write_to_path(&path).unwrap();
        assert_eq!(written.size, fs::metadata(&path).unwrap().len());
        assert_eq!(
            written.sha256(),
            hash_file(&path, &[Algorithm::Sha256]).unwrap().sha256(),
            "Written digests are those of the file"
        );
        path
    }

    /// Content of a regular file (or hard link) of the tree.
    fn content(&self, path: &str) -> Vec<u8> {
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
fn rpm_query(pkg: &Path, args: &[&str]) -> String {
    run_ok(Command::new("rpm").env("TZ", "UTC").args(args).arg(pkg))
}

#[test]
fn rpm_reads_every_field() {
    require_tool("rpm", "rpm");
    let f = Fixture::new();
    let pkg = f.write(Codec::Zstd);
    assert_eq!(
        pkg.file_name().unwrap().to_str(),
        Some(format!("consign-sums-{VERSION}-1.x86_64.rpm").as_str())
    );

    let info = rpm_query(&pkg, &["-qip"]);
    let field = |name: &str| -> String {
        let line = info
            .lines()
            .find(|l| l.starts_with(name) && l[name.len()..].trim_start().starts_with(':'))
            .unwrap_or_else(|| panic!("no {name} in\n{info}"));
        line.split_once(':').unwrap().1.trim().to_owned()
    };
    let binary_size = f.content("usr/bin/consign-sums").len() as u64;
    let man_size = f.content("usr/share/man/man1/consign-sums.1.gz").len() as u64;
    // Files once (the hard link shares its data), plus symlink targets.
    let conf_size = f.content("etc/consign-sums/sums.conf").len();
    let readme_size = f.content("usr/share/doc/consign-sums/README.md").len();
    let size = binary_size
        + (conf_size + readme_size) as u64
        + man_size
        + "consign-sums".len() as u64
        + 2 * "consign-sums.1.gz".len() as u64;
    for (name, want) in [
        ("Name", "consign-sums".to_owned()),
        ("Version", VERSION.to_owned()),
        ("Release", "1".to_owned()),
        ("Architecture", "x86_64".to_owned()),
        ("Group", "Applications/System".to_owned()),
        ("Size", size.to_string()),
        ("License", "MIT OR Apache-2.0".to_owned()),
        ("Signature", "(none)".to_owned()),
        ("Source RPM", format!("consign-sums-{VERSION}-1.src.rpm")),
        ("Build Date", "Tue Nov 14 22:13:20 2023".to_owned()),
        ("Build Host", "localhost".to_owned()),
        ("Packager", MAINTAINER.to_owned()),
        ("URL", "https://github.com/consign-rs/consign".to_owned()),
        (
            "Summary",
            "Parallel sha256sum-compatible checksum tool".to_owned(),
        ),
    ] {
        assert_eq!(field(name), want, "{name}");
    }
    assert!(
        info.ends_with(
            "Description :\nconsign-sums prints and checks checksum files the way sha256sum does,\n\
             hashing the files on every core.\n"
        ),
        "{info}"
    );

    // Every file: path size mtime digest mode owner group config doc rdev link.
    let dump = rpm_query(&pkg, &["-qlp", "--dump"]);
    let mut listed = BTreeMap::new();
    for line in dump.lines() {
        let cols: Vec<&str> = line.split(' ').collect();
        assert_eq!(cols.len(), 11, "{line}");
        listed.insert(cols[0].to_owned(), cols[1..].join(" "));
    }
    let zero = "0".repeat(64);
    let sha = |p: &str| Digest::of(Algorithm::Sha256, &f.content(p)).hex();
    let bin = format!(
        "{binary_size} {DATE} {} 0100755 root root 0 0 0 X",
        sha("usr/bin/consign-sums")
    );
    let mut want = BTreeMap::from([
        (
            "/etc/consign-sums/sums.conf",
            format!(
                "{conf_size} {DATE} {} 0100644 root root 1 0 0 X",
                sha("etc/consign-sums/sums.conf")
            ),
        ),
        ("/usr/bin/consign-sums", bin.clone()),
        ("/usr/bin/consign-sha256sum", bin),
        (
            "/usr/bin/sums",
            format!("12 {DATE} {zero} 0120777 root root 0 0 0 consign-sums"),
        ),
        (
            "/usr/share/doc/consign-sums/README.md",
            format!(
                "{readme_size} {DATE} {} 0100644 root root 0 1 0 X",
                sha("usr/share/doc/consign-sums/README.md")
            ),
        ),
        (
            "/usr/share/man/man1/consign-sums.1.gz",
            format!(
                "{man_size} {DATE} {} 0100644 root root 0 1 0 X",
                sha("usr/share/man/man1/consign-sums.1.gz")
            ),
        ),
        (
            "/var/lib/consign-sums",
            format!("0 {DATE} {zero} 040755 nobody nobody 0 0 0 X"),
        ),
    ]);
    for alias in ["sums", "consign-sha256sum"] {
        want.insert(
            if alias == "sums" {
                "/usr/share/man/man1/sums.1.gz"
            } else {
                "/usr/share/man/man1/consign-sha256sum.1.gz"
            },
            format!("17 {DATE} {zero} 0120777 root root 0 0 0 consign-sums.1.gz"),
        );
    }
    let want: BTreeMap<String, String> = want.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
    assert_eq!(listed, want);

    // File flags: %config(noreplace) and %doc; hard links share an inode.
    let flags = rpm_query(
        &pkg,
        &[
            "-qp",
            "--qf",
            "[%{FILEFLAGS:fflags} %{FILEINODES} %{FILENAMES}\n]",
        ],
    );
    let flag_of = |p: &str| {
        let l = flags
            .lines()
            .find(|l| l.ends_with(&format!(" {p}")))
            .unwrap();
        l.split(' ').take(2).collect::<Vec<_>>().join(" ")
    };
    assert!(flag_of("/etc/consign-sums/sums.conf").starts_with("cn "));
    assert!(flag_of("/usr/share/doc/consign-sums/README.md").starts_with("d "));
    assert_eq!(
        flag_of("/usr/bin/consign-sums").split(' ').nth(1),
        flag_of("/usr/bin/consign-sha256sum").split(' ').nth(1)
    );
    assert_eq!(
        rpm_query(
            &pkg,
            &[
                "-qp",
                "--qf",
                "%{FILEDIGESTALGO} %{PAYLOADDIGESTALGO} %{PAYLOADCOMPRESSOR} %{PAYLOADFLAGS} %{ENCODING}"
            ]
        ),
        "8 8 zstd 19 utf-8"
    );

    let lines = |args: &[&str]| -> Vec<String> {
        rpm_query(&pkg, args).lines().map(str::to_owned).collect()
    };
    assert_eq!(
        lines(&["-qp", "--requires"]),
        [
            "/bin/sh".to_owned(),
            "/bin/sh".to_owned(),
            "/bin/sh".to_owned(),
            "/bin/sh".to_owned(),
            format!("config(consign-sums) = {VERSION}-1"),
            "glibc >= 2.17".to_owned(),
            "rpmlib(CompressedFileNames) <= 3.0.4-1".to_owned(),
            "rpmlib(FileDigests) <= 4.6.0-1".to_owned(),
            "rpmlib(PayloadFilesHavePrefix) <= 4.0-1".to_owned(),
            "rpmlib(PayloadIsZstd) <= 5.4.18-1".to_owned(),
        ]
    );
    // The interpreter requirements are tied to their scriptlets.
    assert_eq!(
        lines(&["-qp", "--qf", "[%{REQUIRENAME} %{REQUIREFLAGS:deptype}\n]"])[..4],
        [
            "/bin/sh pre,interp",
            "/bin/sh post,interp",
            "/bin/sh preun,interp",
            "/bin/sh postun,interp"
        ]
    );
    assert_eq!(
        lines(&["-qp", "--provides"]),
        [
            format!("config(consign-sums) = {VERSION}-1"),
            format!("consign-sums = {VERSION}-1"),
            format!("consign-sums(x86-64) = {VERSION}-1"),
            format!("consign-sums-legacy = {VERSION}"),
            format!("sha256sum-parallel = {VERSION}"),
        ]
    );
    assert_eq!(lines(&["-qp", "--conflicts"]), ["sums-ng"]);
    assert_eq!(
        lines(&["-qp", "--obsoletes"]),
        ["consign-sums-legacy < 0.1"]
    );
    assert_eq!(lines(&["-qp", "--recommends"]), ["coreutils"]);
    assert_eq!(lines(&["-qp", "--suggests"]), ["gnupg2"]);

    let scripts = rpm_query(&pkg, &["-qp", "--scripts"]);
    for (title, phase) in [
        ("preinstall", "pre"),
        ("postinstall", "post"),
        ("preuninstall", "preun"),
        ("postuninstall", "postun"),
    ] {
        let expect = format!("{title} scriptlet (using /bin/sh):\necho \"{phase} $1\" >> {LOG}\n");
        assert!(scripts.contains(&expect), "{expect} missing in\n{scripts}");
    }
    assert_eq!(
        rpm_query(&pkg, &["-qp", "--changelog"]),
        format!(
            "* Mon Nov 13 2023 {MAINTAINER} - {VERSION}-1\n- First release\n\n\
             * Sun Oct 15 2023 {MAINTAINER} - 0.0.9-1\n- Preview\n\n"
        )
    );
}

/// Runs `rpmkeys -Kv` and returns its report, requiring every digest to be OK.
fn check_digests(pkg: &Path) -> String {
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

#[test]
fn every_digest_verifies_for_every_codec() {
    require_tool("rpmkeys", "rpm");
    require_tool("rpm2cpio", "rpm2cpio");
    require_tool("cpio", "cpio");
    let f = Fixture::new();
    for codec in [Codec::Gzip, Codec::Xz, Codec::Zstd] {
        let pkg = f.write(codec);
        check_digests(&pkg);

        // The alternative digest is the SHA-256 of the uncompressed payload rpm2cpio gives.
        let mut child = Command::new("rpm2cpio")
            .arg(&pkg)
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut cpio = Vec::new();
        child.stdout.take().unwrap().read_to_end(&mut cpio).unwrap();
        assert!(child.wait().unwrap().success());
        let alt = rpm_query(&pkg, &["-qp", "--qf", "%{PAYLOADDIGESTALT}"]);
        assert_eq!(alt, Digest::of(Algorithm::Sha256, &cpio).hex(), "{codec:?}");

        // cpio lists every packaged path, with rpm's ./ prefix.
        let mut child = Command::new("cpio")
            .args(["-it", "--quiet"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdin = child.stdin.take().unwrap();
        std::io::Write::write_all(&mut stdin, &cpio).unwrap();
        drop(stdin);
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success());
        let mut names: Vec<String> = String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .map(str::to_owned)
            .collect();
        names.sort();
        let mut want: Vec<String> = f
            .tree
            .iter()
            .filter(|(_, e)| !e.is_implied())
            .map(|(p, _)| format!("./{p}"))
            .collect();
        want.sort();
        assert_eq!(names, want, "{codec:?}");
    }
}

#[test]
fn the_rpm_crate_reads_it_independently() {
    let f = Fixture::new();
    for codec in [Codec::Gzip, Codec::Xz, Codec::Zstd] {
        let path = f.write(codec);
        let mut pkg = rpm::Package::open(&path).unwrap();
        pkg.verify_digests().unwrap();
        let report = pkg.check_digests().unwrap();
        assert!(report.header_sha256.is_verified(), "{codec:?}");
        assert!(report.payload_sha256.is_verified(), "{codec:?}");
        let md = &pkg.metadata;
        assert_eq!(md.get_name().unwrap(), "consign-sums");
        assert_eq!(md.get_version().unwrap(), VERSION);
        assert_eq!(md.get_release().unwrap(), "1");
        assert_eq!(md.get_arch().unwrap(), "x86_64");
        assert_eq!(md.get_license().unwrap(), "MIT OR Apache-2.0");
        assert_eq!(md.get_group().unwrap(), "Applications/System");
        assert_eq!(md.get_build_time().unwrap(), DATE);
        assert!(!md.is_source_package());
        let changelog = md.get_changelog_entries().unwrap();
        assert_eq!(changelog.len(), 2);
        assert_eq!(changelog[0].description, "- First release");
        let entries = md.get_file_entries().unwrap();
        assert_eq!(
            entries.len(),
            f.tree.iter().filter(|(_, e)| !e.is_implied()).count()
        );
        for e in &entries {
            assert_eq!(e.modified_at(), rpm::Timestamp::from(DATE as u32));
        }
        // The payload, unpacked by the crate, has every file's bytes (a hard-link set's
        // data travels once).
        let mut with_data = Vec::new();
        for file in pkg.files().unwrap() {
            let file = file.unwrap();
            let path = file.metadata.path();
            let rel = path.to_str().unwrap().trim_start_matches('/');
            let regular = !matches!(f.tree.get(rel).unwrap().kind(), EntryKind::Symlink { .. });
            if let Some(data) = file.content()
                && regular
                && !data.is_empty()
            {
                assert_eq!(data, f.content(rel), "{codec:?} {rel}");
                with_data.push(rel.to_owned());
            }
        }
        with_data.sort();
        assert_eq!(
            with_data,
            [
                "etc/consign-sums/sums.conf",
                "usr/bin/consign-sums",
                "usr/share/doc/consign-sums/README.md",
                "usr/share/man/man1/consign-sums.1.gz"
            ],
            "{codec:?}"
        );
        // Decompressed, the payload matches the alternative digest.
        pkg.decompress_payload().unwrap();
        assert!(
            pkg.check_digests()
                .unwrap()
                .payload_sha256_alt
                .is_verified()
        );
    }
}

#[test]
fn builds_are_reproducible() {
    let f = Fixture::new();
    for codec in [Codec::Gzip, Codec::Xz, Codec::Zstd] {
        let build = |threads: usize, date: u64| {
            let c = Compression::new(codec).threads(threads.try_into().unwrap());
            let mut out = Vec::new();
            let rpm = Rpm::new(&f.tree, &f.meta, platform(), SourceDate::from_unix(date))
                .spec(f.spec.clone())
                .options(RpmOptions::default().compression(c));
            let w = rpm.write_to(&mut out).unwrap();
            (out, w)
        };
        let (one, w1) = build(1, DATE);
        let (two, w2) = build(2, DATE);
        assert_eq!(w1, w2, "{codec:?}");
        assert!(one == two, "{codec:?}: two builds differ");
        let (later, _) = build(1, DATE + 1);
        assert_ne!(later, one, "{codec:?} ignores the source date");
    }
}

/// A throwaway OpenPGP key, an rpm database trusting it, and a `HOME` whose `.rpmmacros`
/// points rpm (and so rpmlint, which runs `rpm -Kv`) at that database.
struct Keyring {
    gnupg: PathBuf,
    home: PathBuf,
}

impl Keyring {
    fn new(dir: &Path) -> Keyring {
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
    fn sign(&self, pkg: &Path) {
        run_ok(
            Command::new("rpmsign")
                .env("HOME", &self.home)
                .env("GNUPGHOME", &self.gnupg)
                .args(["--define", "_gpg_name test@consign.invalid", "--addsign"])
                .arg(pkg),
        );
    }
}

#[test]
fn rpmsign_signs_in_place_and_rpmlint_finds_no_error() {
    require_tool("rpmlint", "rpmlint");
    require_tool("rpmsign", "rpm");
    require_tool("rpmkeys", "rpm");
    require_tool("gpg", "gpg");
    let f = Fixture::new();
    let pkg = f.write(Codec::Zstd);
    let size = fs::metadata(&pkg).unwrap().len();
    let keys = Keyring::new(f.dir.path());
    keys.sign(&pkg);
    // The signature went into the space reserved in the signature header.
    assert_eq!(fs::metadata(&pkg).unwrap().len(), size);
    let report = run_ok(
        Command::new("rpmkeys")
            .env("HOME", &keys.home)
            .arg("-Kv")
            .arg(&pkg),
    );
    for want in [
        "Signature, key ID",
        "Header SHA256 digest: OK",
        "Payload SHA256 digest: OK",
    ] {
        assert!(report.contains(want), "{want} missing:\n{report}");
    }
    assert!(
        report
            .lines()
            .skip(1)
            .all(|l| l.trim_end().ends_with(": OK")),
        "{report}"
    );

    // rpmlint has no distribution configuration here: give it what a distribution's gives,
    // the license list (without one it flags even MIT as invalid-license) and the man page
    // compression (gzip, as Debian and Fedora use; its default expects bzip2).
    let config = f.dir.path().join("rpmlint.toml");
    fs::write(
        &config,
        "ValidLicenses = [\"MIT\", \"Apache-2.0\"]\nCompressExtension = \"gz\"\n",
    )
    .unwrap();
    let out = run(Command::new("rpmlint")
        .env("HOME", &keys.home)
        .arg("-c")
        .arg(&config)
        .arg(&pkg));
    let text = String::from_utf8_lossy(&out.stdout);
    let mut findings: Vec<&str> = text
        .lines()
        .filter(|l| l.contains(": E: ") || l.contains(": W: "))
        .collect();
    findings.sort();
    // rpmlint 2.4 records the section of each man page (`1`) where it means the page's
    // name, so it reports every program in /usr/bin as lacking a manual page even though
    // the package ships one for each. That warning, for exactly these programs, is all.
    assert_eq!(
        findings,
        [
            "consign-sums.x86_64: W: no-manual-page-for-binary consign-sha256sum",
            "consign-sums.x86_64: W: no-manual-page-for-binary consign-sums",
            "consign-sums.x86_64: W: no-manual-page-for-binary sums",
        ],
        "rpmlint:\n{text}"
    );
    assert!(
        text.contains("1 packages and 0 specfiles checked; 0 errors, 3 warnings"),
        "{text}"
    );
    assert!(out.status.success(), "{text}");
}

/// The lines of `stderr` that are not the banner Debian's rpm prints on every install.
fn complaints(stderr: &[u8]) -> Vec<String> {
    String::from_utf8_lossy(stderr)
        .lines()
        .filter(|l| !l.contains("use Alien instead") && !l.contains("assuming you know"))
        .map(str::to_owned)
        .collect()
}

#[test]
fn installs_runs_verifies_and_erases_in_a_temporary_root() {
    require_tool("rpm", "rpm");
    require_tool("busybox", "busybox-static");
    let f = Fixture::new();
    let pkg = f.write(Codec::Xz);
    let root = f.dir.path().join("root");
    // Scriptlets run chrooted: the root needs a shell, and the accounts owning files.
    fs::create_dir_all(root.join("bin")).unwrap();
    fs::create_dir_all(root.join("etc")).unwrap();
    fs::create_dir_all(root.join("var/log")).unwrap();
    let busybox = std::env::split_paths(&std::env::var_os("PATH").unwrap())
        .map(|d| d.join("busybox"))
        .find(|p| p.is_file())
        .unwrap();
    fs::copy(busybox, root.join("bin/busybox")).unwrap();
    std::os::unix::fs::symlink("busybox", root.join("bin/sh")).unwrap();
    fs::write(
        root.join("etc/passwd"),
        "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/sh\n",
    )
    .unwrap();
    fs::write(root.join("etc/group"), "root:x:0:\nnobody:x:65534:\n").unwrap();
    let rpm_in_root = |args: &[&str]| run(Command::new("rpm").arg("--root").arg(&root).args(args));
    assert!(rpm_in_root(&["--initdb"]).status.success());

    // Dependencies on the distribution (glibc, /bin/sh) have no package in an empty root.
    let out = rpm_in_root(&["-i", "--nodeps", pkg.to_str().unwrap()]);
    assert!(out.status.success());
    assert_eq!(
        complaints(&out.stderr),
        Vec::<String>::new(),
        "rpm -i complained"
    );
    let log = root.join(LOG.trim_start_matches('/'));
    assert_eq!(fs::read_to_string(&log).unwrap(), "pre 1\npost 1\n");

    // The installed program runs, under each of its names.
    for name in ["consign-sums", "sums", "consign-sha256sum"] {
        let version = run_ok(Command::new(root.join("usr/bin").join(name)).arg("--version"));
        assert_eq!(version, format!("consign-sums {VERSION}\n"), "{name}");
    }
    let md = |p: &str| fs::symlink_metadata(root.join(p)).unwrap();
    assert_eq!(
        md("usr/bin/consign-sums").ino(),
        md("usr/bin/consign-sha256sum").ino()
    );
    assert_eq!(md("usr/bin/consign-sums").mode() & 0o7777, 0o755);
    assert_eq!(md("usr/bin/consign-sums").mtime() as u64, DATE);
    assert!(md("usr/bin/sums").file_type().is_symlink());
    assert_eq!(
        (
            md("var/lib/consign-sums").uid(),
            md("var/lib/consign-sums").gid()
        ),
        (65_534, 65_534)
    );
    assert_eq!(
        fs::read(root.join("etc/consign-sums/sums.conf")).unwrap(),
        f.content("etc/consign-sums/sums.conf")
    );

    // rpm -V checks every installed file against the header: digests, sizes, modes,
    // owners, times, link targets.
    let out = rpm_in_root(&["-V", "--nodeps", "consign-sums"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(
        out.stdout.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let q = rpm_in_root(&["-q", "consign-sums"]);
    assert_eq!(
        String::from_utf8_lossy(&q.stdout),
        format!("consign-sums-{VERSION}-1.x86_64\n")
    );

    // A changed %config file is reported as such, and kept on removal.
    fs::write(
        root.join("etc/consign-sums/sums.conf"),
        "algorithm = blake3\n",
    )
    .unwrap();
    let out = rpm_in_root(&["-V", "--nodeps", "consign-sums"]);
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(
        report.contains(" c /etc/consign-sums/sums.conf"),
        "{report}"
    );
    assert!(report.starts_with("S.5"), "{report}");

    let out = rpm_in_root(&["-e", "consign-sums"]);
    assert!(out.status.success());
    assert_eq!(
        complaints(&out.stderr),
        ["warning: /etc/consign-sums/sums.conf saved as /etc/consign-sums/sums.conf.rpmsave"]
    );
    assert_eq!(
        fs::read_to_string(&log).unwrap(),
        "pre 1\npost 1\npreun 0\npostun 0\n"
    );
    assert_eq!(
        fs::read_to_string(root.join("etc/consign-sums/sums.conf.rpmsave")).unwrap(),
        "algorithm = blake3\n"
    );
    for gone in [
        "usr/bin/consign-sums",
        "usr/bin/sums",
        "var/lib/consign-sums",
    ] {
        assert!(
            fs::symlink_metadata(root.join(gone)).is_err(),
            "{gone} left"
        );
    }
}

#[test]
fn files_of_4_gib_and_more_use_the_large_file_format() {
    require_tool("rpm", "rpm");
    require_tool("rpmkeys", "rpm");
    let dir = tempfile::tempdir().unwrap();
    let size: u64 = 5 << 30;
    let sparse = dir.path().join("disk.img");
    fs::File::create(&sparse).unwrap().set_len(size).unwrap();
    let mut tree = FileTree::new();
    tree.insert("var/lib/images/disk.img", Entry::file(&sparse).unwrap())
        .unwrap();
    tree.insert(
        "var/lib/images/README",
        Entry::bytes(b"disk images\n".to_vec()),
    )
    .unwrap();
    let meta = PackageMeta::new("disk-images", "1.0")
        .unwrap()
        .description("Disk images\nOne large sparse image.")
        .license("MIT");
    let rpm = Rpm::new(&tree, &meta, platform(), SourceDate::from_unix(DATE)).options(
        RpmOptions::default().compression(Compression::new(Codec::Zstd).level(1).unwrap()),
    );
    let pkg = dir.path().join(rpm.file_name().unwrap());
    rpm.write_to_path(&pkg).unwrap();
    assert!(
        fs::metadata(&pkg).unwrap().len() < 1 << 20,
        "zeros compress"
    );

    check_digests(&pkg);
    let mut zeros = consign::core::Hasher::new(Algorithm::Sha256);
    let block = vec![0u8; 1 << 20];
    for _ in 0..size >> 20 {
        zeros.update(&block);
    }
    let dump = rpm_query(&pkg, &["-qlp", "--dump"]);
    assert!(
        dump.contains(&format!(
            "/var/lib/images/disk.img {size} {DATE} {} 0100644 root root 0 0 0 X\n",
            zeros.finish().hex()
        )),
        "{dump}"
    );
    let requires = rpm_query(&pkg, &["-qp", "--requires"]);
    assert!(
        requires.contains("rpmlib(LargeFiles) <= 4.12.0-1"),
        "{requires}"
    );
    assert_eq!(
        rpm_query(&pkg, &["-qp", "--qf", "%{LONGSIZE} %{SIZE}"]),
        format!("{} (none)", size + 12)
    );
}

/// Writes `rpm` to a fresh path, expecting an error; nothing may be left there.
fn refused(rpm: &Rpm<'_>, dir: &Path) -> RpmError {
    let out = dir.join("out.rpm");
    let before: Vec<_> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    let err = rpm.write_to_path(&out).unwrap_err();
    assert!(!out.exists(), "{err}: partial package left behind");
    let after: Vec<_> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(before, after, "{err}: temporary files left behind");
    err
}

#[test]
fn bad_input_is_a_typed_error_naming_the_value() {
    let dir = tempfile::tempdir().unwrap();
    let date = SourceDate::from_unix(DATE);
    let mut tree = FileTree::new();
    tree.insert(
        "usr/bin/tool",
        Entry::bytes(b"#!/bin/sh\n".to_vec()).mode(0o755),
    )
    .unwrap();
    let meta = PackageMeta::new("tool", "1.0")
        .unwrap()
        .description("A tool\nIt does things.")
        .license("MIT");
    let ok = || Rpm::new(&tree, &meta, platform(), date);
    ok().write_to(Vec::new()).unwrap();

    let invalid = |err: RpmError, field: &str, value: &str| match &err {
        RpmError::Invalid {
            field: f, value: v, ..
        } if *f == field && v == value => {
            assert!(err.to_string().contains(&format!("{value:?}")), "{err}");
        }
        other => panic!("expected invalid {field} {value:?}, got {other:?}"),
    };
    let mut spec = RpmSpec::default();
    spec.name = Some("-tool".into());
    invalid(refused(&ok().spec(spec), dir.path()), "name", "-tool");
    let dashed = PackageMeta::new("tool", "1.0-rc1")
        .unwrap()
        .description("A\nB")
        .license("MIT");
    invalid(
        refused(&Rpm::new(&tree, &dashed, platform(), date), dir.path()),
        "version",
        "1.0-rc1",
    );
    invalid(
        refused(&ok().spec(RpmSpec::default().release("1-2")), dir.path()),
        "release",
        "1-2",
    );
    invalid(
        refused(
            &ok().spec(RpmSpec::default().requires(Dependency::new("glibc >= 2"))),
            dir.path(),
        ),
        "dependency",
        "glibc >= 2",
    );
    let twice = RpmSpec::default()
        .scriptlet(Scriptlet::new(ScriptletKind::Post, "true"))
        .scriptlet(Scriptlet::new(ScriptletKind::Post, "false"));
    invalid(refused(&ok().spec(twice), dir.path()), "scriptlet", "%post");

    // Architectures: only Linux platforms have one, and unknown CPUs never parse.
    let windows: Platform = "x86_64-pc-windows-msvc".parse().unwrap();
    let err = refused(&Rpm::new(&tree, &meta, windows, date), dir.path());
    assert!(
        matches!(err, RpmError::Platform(_)) && err.to_string().contains("windows"),
        "{err}"
    );
    let sparc = "sparc64-unknown-linux-gnu".parse::<Platform>().unwrap_err();
    assert!(RpmError::from(sparc).to_string().contains("sparc64"));

    // Required metadata.
    for (meta, field) in [
        (
            PackageMeta::new("tool", "1.0").unwrap().description("A\nB"),
            "license",
        ),
        (
            PackageMeta::new("tool", "1.0").unwrap().license("MIT"),
            "summary",
        ),
    ] {
        match refused(&Rpm::new(&tree, &meta, platform(), date), dir.path()) {
            RpmError::Missing { field: f } => assert_eq!(f, field),
            other => panic!("{other:?}"),
        }
    }

    // Files that change or vanish after they were added.
    let src = dir.path().join("inputs");
    fs::create_dir(&src).unwrap();
    let shrinks = src.join("shrinks");
    let vanishes = src.join("vanishes");
    fs::write(&shrinks, vec![1u8; 10_000]).unwrap();
    fs::write(&vanishes, b"soon gone").unwrap();
    let mut changing = FileTree::new();
    changing
        .insert("usr/lib/tool/a", Entry::file(&shrinks).unwrap())
        .unwrap();
    fs::write(&shrinks, b"short").unwrap();
    let mut missing = FileTree::new();
    missing
        .insert("usr/lib/tool/b", Entry::file(&vanishes).unwrap())
        .unwrap();
    fs::remove_file(&vanishes).unwrap();
    for (t, path) in [(&changing, "usr/lib/tool/a"), (&missing, "usr/lib/tool/b")] {
        match refused(&Rpm::new(t, &meta, platform(), date), dir.path()) {
            RpmError::Entry { path: p, .. } => assert_eq!(p.as_str(), path),
            other => panic!("{other:?}"),
        }
    }

    // Attributes for a path the tree lacks; an owner rpm cannot name; no payload codec.
    let spec = RpmSpec::default()
        .file_attrs("etc/none.conf", Default::default())
        .unwrap();
    match refused(&ok().spec(spec), dir.path()) {
        RpmError::UnknownPath { path } => assert_eq!(path.as_str(), "etc/none.conf"),
        other => panic!("{other:?}"),
    }
    let mut anonymous = FileTree::new();
    anonymous
        .insert("srv/tool", Entry::dir().ids(1234, 1234).names(None, None))
        .unwrap();
    match refused(&Rpm::new(&anonymous, &meta, platform(), date), dir.path()) {
        RpmError::OwnerName { path, id, .. } => assert_eq!((path.as_str(), id), ("srv/tool", 1234)),
        other => panic!("{other:?}"),
    }
    let plain = RpmOptions::default().compression(Compression::new(Codec::None));
    assert!(matches!(
        refused(&ok().options(plain), dir.path()),
        RpmError::Compression { codec: Codec::None }
    ));

    // Duplicate paths, paths outside the tree and unreadable sources are refused by the
    // tree, with the path named; they reach callers as RpmError::Tree.
    let mut t = FileTree::new();
    t.insert("etc/a", Entry::bytes(vec![1])).unwrap();
    for err in [
        t.insert("etc/a", Entry::bytes(vec![2])).unwrap_err(),
        t.insert("../etc/shadow", Entry::bytes(vec![2]))
            .unwrap_err(),
        t.insert("etc/b", Entry::symlink("../../root")).unwrap_err(),
        Entry::file(dir.path().join("no-such-file")).unwrap_err(),
    ] {
        let text = err.to_string();
        assert!(matches!(RpmError::from(err), RpmError::Tree(_)));
        assert!(
            ["etc/a", "../etc/shadow", "etc/b", "no-such-file"]
                .iter()
                .any(|p| text.contains(p)),
            "{text}"
        );
    }
}

#[test]
fn a_cargo_package_described_for_cargo_generate_rpm_packages_unchanged() {
    require_tool("rpm", "rpm");
    require_tool("rpmkeys", "rpm");
    require_tool("strip", "binutils");
    let dir = tempfile::tempdir().unwrap();
    let project = dir.path().join("consign-sums");
    let build = project.join("target/x86_64-unknown-linux-gnu/release");
    fs::create_dir_all(&build).unwrap();
    fs::create_dir_all(project.join("src")).unwrap();
    fs::create_dir_all(project.join("packaging")).unwrap();
    fs::write(project.join("src/main.rs"), "fn main() {}\n").unwrap();
    run_ok(
        Command::new("strip")
            .arg("-o")
            .arg(build.join("consign-sums"))
            .arg(examples().join("consign-sums")),
    );
    fs::write(project.join("packaging/sums.conf"), "algorithm = sha256\n").unwrap();
    fs::write(project.join("README.md"), "# consign-sums\n").unwrap();
    fs::write(
        project.join("Cargo.toml"),
        format!(
            r#"[package]
name = "consign-sums"
version = "{VERSION}"
edition = "2024"
license = "MIT OR Apache-2.0"
description = "Parallel sha256sum-compatible checksum tool"
repository = "https://github.com/consign-rs/consign"
authors = ["{MAINTAINER}"]

[workspace]

[package.metadata.generate-rpm]
release = "2"
group = "Applications/System"
assets = [
  {{ source = "target/release/consign-sums", dest = "/usr/bin/consign-sums", mode = "755" }},
  {{ source = "packaging/sums.conf", dest = "/etc/consign-sums/", config = "noreplace" }},
  {{ source = "README.md", dest = "/usr/share/doc/consign-sums/README.md", doc = true }},
]
post_install_script = "echo installed"

[package.metadata.generate-rpm.requires]
glibc = ">= 2.17"
"#
        ),
    )
    .unwrap();
    let metadata = cargo_metadata::MetadataCommand::new()
        .manifest_path(project.join("Cargo.toml"))
        .no_deps()
        .exec()
        .unwrap();
    let target = consign::package::rpm::CargoTarget::default().platform(platform());
    let package =
        consign::package::rpm::CargoRpm::from_metadata(&metadata, "consign-sums", &target).unwrap();
    let rpm = package.rpm(SourceDate::from_unix(DATE));
    let pkg = dir.path().join(rpm.file_name().unwrap());
    assert!(pkg.ends_with(format!("consign-sums-{VERSION}-2.x86_64.rpm")));
    rpm.write_to_path(&pkg).unwrap();

    check_digests(&pkg);
    let dump = rpm_query(&pkg, &["-qlp", "--dump"]);
    let paths: Vec<(&str, &str)> = dump
        .lines()
        .map(|l| {
            let cols: Vec<&str> = l.split(' ').collect();
            (cols[0], cols[4])
        })
        .collect();
    assert_eq!(
        paths,
        [
            ("/etc/consign-sums/sums.conf", "0100644"),
            ("/usr/bin/consign-sums", "0100755"),
            ("/usr/share/doc/consign-sums/README.md", "0100644"),
        ]
    );
    let flags = rpm_query(&pkg, &["-qp", "--qf", "[%{FILEFLAGS:fflags},]"]);
    assert_eq!(flags, "cn,,d,");
    let requires = rpm_query(&pkg, &["-qp", "--requires"]);
    for want in ["/bin/sh\n", "glibc >= 2.17\n", "config(consign-sums) = "] {
        assert!(requires.contains(want), "{want} missing:\n{requires}");
    }
    let info = rpm_query(&pkg, &["-qip"]);
    for want in [
        "Release     : 2\n",
        "Group       : Applications/System\n",
        "Packager    : consign maintainers <maintainers@consign.invalid>\n",
        "URL         : https://github.com/consign-rs/consign\n",
        "Summary     : Parallel sha256sum-compatible checksum tool\n",
    ] {
        assert!(info.contains(want), "{want} missing:\n{info}");
    }
    assert!(rpm_query(&pkg, &["-qp", "--scripts"]).contains("echo installed"));
}
