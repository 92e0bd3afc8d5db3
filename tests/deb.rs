//! `.deb` packages read back by the reference tools: `dpkg-deb`, `lintian`, and `dpkg` itself
//! installing into a temporary root.

// Test code: an unwrap that fails is a failing test.
#![allow(clippy::unwrap_used)]

mod common;
#[path = "deb/fixture.rs"]
mod fixture;

use std::fs;
use std::io::Read;
use std::path::Path;
use std::process::Command;

use common::{require_tool, run, run_ok};
use consign::core::{Entry, FileTree, PackageMeta, Platform, SourceDate, TreeError};
use consign::package::compress::{Codec, Compression};
use consign::package::deb::{
    CargoDeb, CargoTarget, Deb, DebError, DebOptions, RelationField, Script,
};
use consign::package::{ArtifactWriter, CargoError, Error};
use fixture::{
    DATE, MAINTAINER, VERSION, cargo_project, field, host, install_into_temporary_root, listing,
    long_target, peak_rss_kib, small_inputs, with_codec,
};

#[test]
fn complete_package_passes_dpkg_deb_lintian_and_installs() {
    require_tool("dpkg-deb", "dpkg");
    require_tool("dpkg", "dpkg");
    require_tool("lintian", "lintian");
    require_tool("busybox", "busybox-static");
    require_tool("ar", "binutils");
    require_tool("tar", "tar");
    require_tool("md5sum", "coreutils");
    let dir = tempfile::tempdir().unwrap();
    let inputs = cargo_project(dir.path());
    let arch = host().debian_arch().unwrap();

    for (codec, level) in [(Codec::Xz, 6), (Codec::Gzip, 9)] {
        let deb = inputs
            .deb(SourceDate::from_unix(DATE))
            .options(with_codec(&inputs, codec, level));
        let name = deb.file_name().unwrap();
        assert_eq!(name, format!("consign-sums_{VERSION}-1_{arch}.deb"));
        let out_dir = dir.path().join(codec.extension());
        fs::create_dir(&out_dir).unwrap();
        let path = out_dir.join(&name);
        let written = deb.write_to_path(&path).unwrap().written;
        assert_eq!(written.size, fs::metadata(&path).unwrap().len());
        assert_eq!(
            written.sha256(),
            consign::core::hash_file(&path, &[consign::core::Algorithm::Sha256])
                .unwrap()
                .sha256()
        );

        // Member order and names, as `ar` lists them.
        let members = run_ok(Command::new("ar").arg("t").arg(&path));
        let ext = codec.extension();
        assert_eq!(
            members,
            format!("debian-binary\ncontrol.tar.{ext}\ndata.tar.{ext}\n")
        );

        // dpkg-deb --info: every field.
        let info = run_ok(Command::new("dpkg-deb").arg("--info").arg(&path));
        let want = [
            ("Package", "consign-sums".to_owned()),
            ("Version", format!("{VERSION}-1")),
            ("Architecture", arch.to_owned()),
            ("Maintainer", MAINTAINER.to_owned()),
            ("Depends", "libc6 (>= 2.34), libgcc-s1 (>= 4.2)".to_owned()),
            ("Recommends", "sqv | gpgv".to_owned()),
            ("Suggests", "gnupg".to_owned()),
            ("Breaks", "consign (<< 0.1~)".to_owned()),
            ("Conflicts", "consign-sums-legacy".to_owned()),
            ("Replaces", "consign (<< 0.1~)".to_owned()),
            ("Provides", format!("sha256sum-parallel (= {VERSION})")),
            ("Section", "utils".to_owned()),
            ("Priority", "optional".to_owned()),
            (
                "Homepage",
                "https://github.com/consign-rs/consign".to_owned(),
            ),
            (
                "Description",
                "Checksum tool that hashes files on every core".to_owned(),
            ),
        ];
        for (name, value) in &want {
            assert_eq!(field(&info, name), Some(value.as_str()), "{name}:\n{info}");
        }
        assert!(
            info.contains(
                &[
                    " Description: Checksum tool that hashes files on every core",
                    "  consign-sums prints or checks SHA-256, SHA-512 or BLAKE3 checksums in the",
                    "  formats of sha256sum and of BSD tag files.",
                    "  .",
                    "  It hashes many files at once, one per core, and reads each file once.\n",
                ]
                .join("\n")
            ),
            "continuation lines:\n{info}"
        );
        let installed: u64 = field(&info, "Installed-Size").unwrap().parse().unwrap();
        let bin_kib = fs::metadata(dir.path().join("consign-sums"))
            .unwrap()
            .len()
            .div_ceil(1024);
        assert!(
            installed > bin_kib && installed < bin_kib + 40,
            "{installed}"
        );
        // The control members: `<size> bytes, <n> lines [*] <name> [interpreter]`.
        let members: Vec<&str> = info
            .lines()
            .filter(|l| l.contains(" bytes, "))
            .filter_map(|l| {
                let mut words = l.split_whitespace().skip_while(|w| *w != "lines").skip(1);
                words.find(|w| *w != "*")
            })
            .collect();
        assert_eq!(
            members,
            [
                "conffiles",
                "control",
                "md5sums",
                "postinst",
                "postrm",
                "triggers"
            ],
            "{info}"
        );
        assert!(
            info.lines()
                .any(|l| l.contains("*  postinst") && l.ends_with("#!/bin/sh")),
            "postinst is not executable:\n{info}"
        );
        let conffiles = run_ok(
            Command::new("dpkg-deb")
                .args(["--field"])
                .arg(&path)
                .arg("Package"),
        );
        assert_eq!(conffiles, "consign-sums\n");

        // dpkg-deb --contents: ./-prefixed names, explicit parents, modes, owners, mtime.
        let contents = run_ok(Command::new("dpkg-deb").arg("--contents").arg(&path));
        let rows: Vec<(String, String, String, String)> = contents
            .lines()
            .map(|l| {
                let cols: Vec<&str> = l.split_whitespace().collect();
                (
                    cols[0].to_owned(),
                    cols[1].to_owned(),
                    format!("{} {}", cols[3], cols[4]),
                    cols[5].to_owned(),
                )
            })
            .collect();
        let names: Vec<&str> = rows.iter().map(|r| r.3.as_str()).collect();
        assert_eq!(
            names,
            [
                "./",
                "./etc/",
                "./etc/consign-sums/",
                "./etc/consign-sums/consign-sums.conf",
                "./usr/",
                "./usr/bin/",
                "./usr/bin/consign-sums",
                "./usr/share/",
                "./usr/share/doc/",
                "./usr/share/doc/consign-sums/",
                "./usr/share/doc/consign-sums/changelog.Debian.gz",
                "./usr/share/doc/consign-sums/copyright",
                "./usr/share/man/",
                "./usr/share/man/man1/",
                "./usr/share/man/man1/consign-sums.1.gz",
            ]
        );
        for (mode, owner, time, name) in &rows {
            assert_eq!(owner, "root/root", "{name}");
            // dpkg-deb prints local time; the test runs with the container's UTC.
            assert_eq!(time, "2023-11-14 22:13", "{name}");
            let want = if name.ends_with('/') {
                "drwxr-xr-x"
            } else if name.ends_with("/consign-sums") {
                "-rwxr-xr-x"
            } else {
                "-rw-r--r--"
            };
            assert_eq!(mode, want, "{name}");
        }

        // lintian: no error, no warning.
        let out = run(Command::new("lintian")
            .args(["--tag-display-limit", "0", "--display-info"])
            // The one tag that is Debian-archive process, not package policy: a first
            // upload to Debian must close its ITP ("intent to package") bug. A package
            // built for a project's own releases has no ITP bug to close, and the tag's
            // explanation says it can be ignored for packages not intended for Debian.
            .args(["--suppress-tags", "initial-upload-closes-no-bugs"])
            .arg(&path));
        let report = String::from_utf8_lossy(&out.stdout);
        let bad: Vec<&str> = report
            .lines()
            .filter(|l| l.starts_with("E:") || l.starts_with("W:"))
            .collect();
        assert!(
            bad.is_empty(),
            "{codec:?}: lintian reported:\n{report}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            !String::from_utf8_lossy(&out.stderr).contains("error"),
            "lintian failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    // md5sums agree with the extracted files, checked by md5sum itself.
    let path = dir
        .path()
        .join("xz")
        .join(format!("consign-sums_{VERSION}-1_{arch}.deb"));
    let x = dir.path().join("x");
    run_ok(Command::new("dpkg-deb").arg("-x").arg(&path).arg(&x));
    run_ok(
        Command::new("dpkg-deb")
            .arg("-e")
            .arg(&path)
            .arg(x.join("DEBIAN")),
    );
    let md5sums = fs::read_to_string(x.join("DEBIAN/md5sums")).unwrap();
    assert_eq!(md5sums.lines().count(), 4, "{md5sums}");
    assert!(
        !md5sums.contains("etc/"),
        "conffiles stay out of md5sums:\n{md5sums}"
    );
    run_ok(
        Command::new("md5sum")
            .args(["--check", "--strict", "DEBIAN/md5sums"])
            .current_dir(&x),
    );
    assert_eq!(
        fs::read_to_string(x.join("DEBIAN/conffiles")).unwrap(),
        "/etc/consign-sums/consign-sums.conf\n"
    );
    let copyright = fs::read_to_string(x.join("usr/share/doc/consign-sums/copyright")).unwrap();
    assert!(
        copyright.contains("\nFiles: *\nCopyright: 2023 Consign Maintainers"),
        "{copyright}"
    );

    // dpkg-deb itself, building the extracted package again, names, orders and owns every
    // entry the same way, and frames the ar members alike.
    let reference = dir.path().join("reference.deb");
    run_ok(
        Command::new("dpkg-deb")
            .env("SOURCE_DATE_EPOCH", DATE.to_string())
            .args(["--root-owner-group", "-Zxz", "--build"])
            .arg(&x)
            .arg(&reference),
    );
    let listing_of = |deb: &Path| run_ok(Command::new("dpkg-deb").arg("--contents").arg(deb));
    assert_eq!(listing_of(&path), listing_of(&reference));
    let control_of = |deb: &Path| {
        run_ok(
            Command::new("sh")
                .arg("-c")
                .arg("dpkg-deb --ctrl-tarfile \"$0\" | tar -tv")
                .arg(deb),
        )
    };
    assert_eq!(control_of(&path), control_of(&reference));
    let ar_headers = |deb: &Path| -> Vec<String> {
        run_ok(Command::new("ar").arg("tvO").arg(deb))
            .lines()
            // `rw-r--r-- 0/0    1234 Nov 14 22:13 2023 data.tar.xz 0x…`: all but the size.
            .map(|l| {
                let w: Vec<&str> = l.split_whitespace().collect();
                format!("{} {}", w[..2].join(" "), w[3..8].join(" "))
            })
            .collect()
    };
    assert_eq!(ar_headers(&path), ar_headers(&reference));

    install_into_temporary_root(dir.path(), &path);
}

#[test]
fn every_codec_is_reproducible_and_read_by_dpkg_deb() {
    require_tool("dpkg-deb", "dpkg");
    require_tool("md5sum", "coreutils");
    let dir = tempfile::tempdir().unwrap();
    let (meta, tree) = small_inputs(dir.path());
    for codec in [Codec::Gzip, Codec::Xz, Codec::Zstd, Codec::None] {
        let build = |threads: usize, date: u64| {
            let options = DebOptions::default()
                .revision("2")
                .compression(Compression::new(codec).threads(threads.try_into().unwrap()))
                .script(Script::Postinst, "#!/bin/sh\nset -e\n")
                .relations(RelationField::Depends, "libgcc-s1")
                .unwrap();
            let mut out = Vec::new();
            let w = Deb::new(&tree, &meta, host(), SourceDate::from_unix(date))
                .options(options)
                .write_to(&mut out)
                .unwrap();
            (out, w)
        };
        let (one, w1) = build(1, DATE);
        let (two, w2) = build(2, DATE);
        assert_eq!(w1, w2, "{codec:?}");
        assert!(one == two, "{codec:?}: two builds differ");
        let (later, _) = build(1, DATE + 1);
        assert!(later != one, "{codec:?} ignores the source date");

        let path = dir.path().join(format!("demo-{codec:?}.deb"));
        fs::write(&path, &one).unwrap();
        let info = run_ok(Command::new("dpkg-deb").arg("--info").arg(&path));
        assert_eq!(field(&info, "Version"), Some("1.0.0-2"), "{info}");
        assert_eq!(
            field(&info, "Depends"),
            Some("libc6 (>= 2.34), libgcc-s1"),
            "{info}"
        );
        let contents = run_ok(Command::new("dpkg-deb").arg("--contents").arg(&path));
        assert!(
            contents.contains("./usr/bin/demo-link -> demo"),
            "{contents}"
        );
        assert!(
            contents.contains("./usr/lib/demo/hard link to ./usr/bin/demo"),
            "{contents}"
        );
        assert!(contents.contains(&"f".repeat(60)), "long name:\n{contents}");
        assert!(
            contents.contains(&format!("./usr/share/demo/long-link -> {}", long_target())),
            "long link target:\n{contents}"
        );

        let x = dir.path().join(format!("x-{codec:?}"));
        run_ok(Command::new("dpkg-deb").arg("-R").arg(&path).arg(&x));
        let sums = fs::read_to_string(x.join("DEBIAN/md5sums")).unwrap();
        assert_eq!(sums.lines().count(), 5, "{sums}");
        assert!(sums.contains("  usr/lib/demo/hard\n"), "{sums}");
        run_ok(
            Command::new("md5sum")
                .args(["--check", "--strict", "DEBIAN/md5sums"])
                .current_dir(&x),
        );
        let mut deep = Vec::new();
        fs::File::open(
            x.join("usr/share/demo")
                .join("d".repeat(90))
                .join("f".repeat(60)),
        )
        .unwrap()
        .read_to_end(&mut deep)
        .unwrap();
        assert_eq!(deep, b"deep\n");
    }
}

#[test]
fn bad_input_is_a_typed_error_naming_the_value_and_leaves_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let src = tempfile::tempdir().unwrap();
    let (meta, tree) = small_inputs(src.path());
    let out = dir.path().join("out.deb");
    let date = SourceDate::from_unix(DATE);
    let linux = host();
    let check = |deb: Deb<'_>, what: &str, matches: &dyn Fn(&Error) -> bool| {
        let err = deb.write_to_path(&out).unwrap_err();
        assert!(matches(&err), "{what}: unexpected {err:?}");
        assert!(!out.exists(), "{what}: partial package left behind");
        assert!(
            listing(dir.path()).is_empty(),
            "{what}: temporary files left"
        );
        err.to_string()
    };

    let mut bad = meta.clone();
    bad.set_name("Demo_Pkg").unwrap();
    let msg = check(
        Deb::new(&tree, &bad, linux, date),
        "name",
        &|e| matches!(e, Error::Deb(DebError::Name { name, .. }) if name == "Demo_Pkg"),
    );
    assert!(msg.contains("\"Demo_Pkg\""), "{msg}");

    let mut bad = meta.clone();
    bad.set_version("v1.0".parse().unwrap());
    check(
        Deb::new(&tree, &bad, linux, date),
        "version",
        &|e| matches!(e, Error::Deb(DebError::Version { version, .. }) if version == "v1.0"),
    );
    let opts = DebOptions::default().revision("1_2");
    check(
        Deb::new(&tree, &meta, linux, date).options(opts),
        "revision",
        &|e| matches!(e, Error::Deb(DebError::Version { version, .. }) if version == "1.0.0-1_2"),
    );

    let mac: Platform = "aarch64-apple-darwin".parse().unwrap();
    let msg = check(Deb::new(&tree, &meta, mac, date), "architecture", &|e| {
        matches!(e, Error::Platform(_))
    });
    assert!(msg.contains("aarch64-apple-darwin"), "{msg}");
    let unknown = "sparc64-unknown-linux-gnu".parse::<Platform>().unwrap_err();
    assert!(unknown.to_string().contains("sparc64-unknown-linux-gnu"));

    for (name, strip) in [
        (
            "maintainer",
            &(|m: &mut PackageMeta| m.maintainer = None) as &dyn Fn(&mut PackageMeta),
        ),
        ("description", &|m: &mut PackageMeta| m.description = None),
        ("license", &|m: &mut PackageMeta| m.license = None),
    ] {
        let mut bad = meta.clone();
        strip(&mut bad);
        check(
            Deb::new(&tree, &bad, linux, date),
            name,
            &|e| matches!(e, Error::Missing { field, .. } if *field == name),
        );
    }
    let bad = meta.clone().maintainer("nobody");
    check(
        Deb::new(&tree, &bad, linux, date),
        "maintainer format",
        &|e| matches!(e, Error::Invalid { field: "Maintainer", value, .. } if value == "nobody"),
    );
    let bad_rel = DebOptions::default().relations(RelationField::Depends, "libc6 (> 2)");
    assert!(matches!(
        bad_rel,
        Err(Error::Deb(DebError::Relation { ref relation, .. })) if relation == "libc6 (> 2)"
    ));
    let opts = DebOptions::default().script(Script::Postinst, "set -e\n");
    check(
        Deb::new(&tree, &meta, linux, date).options(opts),
        "script",
        &|e| {
            matches!(
                e,
                Error::Invalid {
                    field: "postinst",
                    ..
                }
            )
        },
    );
    let opts = DebOptions::default().triggers("interested /usr/share/x\n");
    check(
        Deb::new(&tree, &meta, linux, date).options(opts),
        "triggers",
        &|e| matches!(e, Error::Invalid { field: "triggers", value, .. } if value.starts_with("interested")),
    );

    // A file that shrinks after it was added: the error names it, nothing is left.
    let shrinking = src.path().join("shrinks");
    fs::write(&shrinking, vec![1u8; 10_000]).unwrap();
    let mut t = tree.clone();
    t.insert("usr/share/demo/shrinks", Entry::file(&shrinking).unwrap())
        .unwrap();
    fs::write(&shrinking, b"x").unwrap();
    check(
        Deb::new(&t, &meta, linux, date),
        "unreadable file",
        &|e| matches!(e, Error::Entry { path, .. } if path.as_str() == "usr/share/demo/shrinks"),
    );
    fs::remove_file(&shrinking).unwrap();
    check(
        Deb::new(&t, &meta, linux, date),
        "missing file",
        &|e| matches!(e, Error::Entry { path, .. } if path.as_str() == "usr/share/demo/shrinks"),
    );
    let mut t = tree.clone();
    t.insert("var/lib/demo", Entry::dir().config()).unwrap();
    check(
        Deb::new(&t, &meta, linux, date),
        "conffile",
        &|e| matches!(e, Error::Deb(DebError::Conffile { path }) if path.as_str() == "var/lib/demo"),
    );
}

#[test]
fn cargo_metadata_errors_name_the_key_and_the_path() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    fs::create_dir_all(root.join("src")).unwrap();
    fs::write(root.join("src/main.rs"), "fn main() {}\n").unwrap();
    fs::write(root.join("a.txt"), "a\n").unwrap();
    let load = |deb: &str| {
        fs::write(
            root.join("Cargo.toml"),
            format!(
                "[package]\nname = \"demo\"\nversion = \"1.0.0\"\nedition = \"2024\"\n\
                 description = \"Demo\"\nlicense = \"MIT\"\n\n[workspace]\n\n\
                 [package.metadata.deb]\nmaintainer = \"{MAINTAINER}\"\n{deb}\n"
            ),
        )
        .unwrap();
        let md = cargo_metadata::MetadataCommand::new()
            .cargo_path(env!("CARGO"))
            .manifest_path(root.join("Cargo.toml"))
            .no_deps()
            .other_options(vec!["--offline".to_owned()])
            .exec()
            .unwrap();
        CargoDeb::from_metadata(&md, "demo", &CargoTarget::default())
    };
    // Two assets to one path.
    let err = load(r#"assets = [["a.txt", "usr/share/demo/", "644"], ["a.txt", "usr/share/demo/a.txt", "644"]]"#)
        .unwrap_err();
    assert!(
        matches!(err, Error::Tree(TreeError::Duplicate { ref path }) if path.as_str() == "usr/share/demo/a.txt"),
        "{err}"
    );
    // A destination outside the tree.
    let err = load(r#"assets = [["a.txt", "usr/../../etc/passwd", "644"]]"#).unwrap_err();
    assert!(
        matches!(err, Error::Tree(TreeError::InvalidPath { ref path, .. }) if path == "usr/../../etc/passwd"),
        "{err}"
    );
    // An asset that cannot be read.
    let err = load(r#"assets = [["missing.txt", "usr/share/demo/", "644"]]"#).unwrap_err();
    assert!(
        matches!(err, Error::Tree(TreeError::Unreadable { ref path, .. }) if path.ends_with("missing.txt")),
        "{err}"
    );
    // An unknown key and a malformed one.
    let err = load("colour = \"blue\"").unwrap_err();
    assert!(
        matches!(err, Error::Cargo(CargoError::UnknownKey { ref key, .. }) if key == "package.metadata.deb.colour"),
        "{err}"
    );
    assert!(err.to_string().contains("colour"), "{err}");
    let err = load("depends = 42").unwrap_err();
    assert!(
        matches!(err, Error::Cargo(ref e) if e.key() == "package.metadata.deb.depends"),
        "{err}"
    );
    // A well-formed table still builds.
    let ok = load(r#"assets = [["a.txt", "usr/share/demo/", "644"]]"#).unwrap();
    assert!(ok.tree.get("usr/share/demo/a.txt").is_some());
}

#[test]
fn five_gib_payload_streams_with_flat_memory() {
    require_tool("dpkg-deb", "dpkg");
    let dir = tempfile::tempdir().unwrap();
    let size: u64 = 5 << 30;
    let sparse = dir.path().join("disk.img");
    fs::File::create(&sparse).unwrap().set_len(size).unwrap();
    let meta = PackageMeta::new("bigdemo", "1.0.0")
        .unwrap()
        .description("Carries a large image")
        .maintainer(MAINTAINER)
        .license("MIT");
    let mut tree = FileTree::new();
    tree.insert("usr/share/bigdemo/disk.img", Entry::file(&sparse).unwrap())
        .unwrap();
    let out = dir.path().join("big.deb");
    let before = peak_rss_kib();
    let written = Deb::new(&tree, &meta, host(), SourceDate::from_unix(DATE))
        .options(DebOptions::default().compression(Compression::new(Codec::Zstd).level(1).unwrap()))
        .write_to_path(&out)
        .unwrap()
        .written;
    let grown_mib = peak_rss_kib().saturating_sub(before) / 1024;
    assert!(grown_mib < 256, "peak memory grew by {grown_mib} MiB");
    assert_eq!(written.size, fs::metadata(&out).unwrap().len());
    assert!(written.size < 10 << 20, "{} bytes", written.size);

    let info = run_ok(Command::new("dpkg-deb").arg("--info").arg(&out));
    // The image, three directories for it, two for the documentation and the documents.
    let installed: u64 = field(&info, "Installed-Size").unwrap().parse().unwrap();
    assert!(
        (size / 1024 + 5..size / 1024 + 16).contains(&installed),
        "{installed}\n{info}"
    );
    let contents = run_ok(Command::new("dpkg-deb").arg("--contents").arg(&out));
    let line = contents
        .lines()
        .find(|l| l.ends_with("./usr/share/bigdemo/disk.img"))
        .unwrap_or_else(|| panic!("{contents}"));
    assert_eq!(
        line.split_whitespace().nth(2),
        Some(size.to_string().as_str())
    );
}
