//! Binary rpms read back by the reference tools: rpm (`-qip`, `-qlp --dump`, `-K`, install
//! into a temporary root, `-V`, erase), rpmsign, rpmlint, rpm2cpio and cpio, and the `rpm`
//! crate as an independent reader.

// Test code: an unwrap that fails is a failing test.
#![allow(clippy::unwrap_used)]

mod common;
#[path = "rpm/inputs.rs"]
mod inputs;
#[path = "rpm/install.rs"]
mod install;
#[path = "rpm/support.rs"]
mod support;

use std::collections::BTreeMap;
use std::fs;
use std::io::Read;
use std::process::{Command, Stdio};

use common::{require_tool, run};
use consign::core::{Algorithm, Digest, EntryKind, SourceDate};
use consign::package::ArtifactWriter;
use consign::package::compress::{Codec, Compression};
use consign::package::rpm::{Rpm, RpmOptions};
use support::{DATE, Fixture, LOG, MAINTAINER, VERSION, check_digests, platform, rpm_query};

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

    // The check notices damage: one byte of the main header, one of the payload.
    let pkg = f.write(Codec::Gzip);
    let bytes = fs::read(&pkg).unwrap();
    let summary = b"Parallel sha256sum-compatible checksum tool";
    let in_header = bytes
        .windows(summary.len())
        .position(|w| w == summary)
        .unwrap();
    for (at, broken) in [
        (in_header, "Header SHA256 digest"),
        (bytes.len() - 10, "Payload SHA256 digest"),
    ] {
        let mut damaged = bytes.clone();
        damaged[at] ^= 0x20;
        let path = f.dir.path().join("damaged.rpm");
        fs::write(&path, &damaged).unwrap();
        let out = run(Command::new("rpmkeys").arg("-Kv").arg(&path));
        let text = String::from_utf8_lossy(&out.stdout);
        let line = text.lines().find(|l| l.contains(broken)).unwrap_or("");
        assert!(!line.ends_with(": OK"), "{broken} still OK:\n{text}");
        assert!(!out.status.success(), "{text}");
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
