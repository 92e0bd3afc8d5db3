//! Archives read back by the reference tools: GNU tar, bsdtar (libarchive), unzip and zipinfo.

// Test code: an unwrap that fails is a failing test.
#![allow(clippy::unwrap_used)]

mod common;

use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;
use std::process::{Command, Stdio};

use common::{require_tool, run, run_ok};
use consign::core::{Entry, FileTree, RelPath, SourceDate};
use consign::package::ArtifactWriter;
use consign::package::{Archive, ArchiveError, ArchiveFormat, ArchiveOptions, Error};

const DATE: u64 = 1_700_000_000; // 2023-11-14T22:13:20Z
const TOP: &str = "demo-1.0.0-x86_64-unknown-linux-gnu";

fn long_name() -> String {
    // 3 × 60-byte directories and a 120-byte file name: past ustar's 100/155 limits.
    let dir = "d".repeat(60);
    format!("{dir}/{dir}/{dir}/{}", "f".repeat(120))
}

/// A tree exercising every entry kind and the header edge cases.
fn sample_tree(disk: &Path) -> FileTree {
    let big = disk.join("payload.bin");
    let data: Vec<u8> = (0..300_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    fs::write(&big, &data).unwrap();
    fs::set_permissions(&big, fs::Permissions::from_mode(0o755)).unwrap();
    let mut t = FileTree::new();
    t.insert("bin/demo", Entry::file(&big).unwrap()).unwrap();
    t.insert("bin/demo-link", Entry::symlink("demo")).unwrap();
    t.insert(
        "bin/demo-hard",
        Entry::hardlink(RelPath::new("bin/demo").unwrap()),
    )
    .unwrap();
    t.insert(
        "etc/demo.conf",
        Entry::bytes(b"level = 3\n".to_vec()).mode(0o600).config(),
    )
    .unwrap();
    t.insert("share/empty", Entry::bytes(Vec::new())).unwrap();
    t.insert(
        "share/üñí code.txt",
        Entry::bytes("ünïcödé\n".as_bytes().to_vec()),
    )
    .unwrap();
    t.insert(long_name(), Entry::bytes(b"deep\n".to_vec()))
        .unwrap();
    t.insert(
        "share/long-link",
        Entry::symlink(format!("../{}", long_name())),
    )
    .unwrap();
    t.insert(
        "var/lib/demo",
        Entry::dir()
            .mode(0o750)
            .ids(1000, 1000)
            .names(Some("demo"), Some("demo")),
    )
    .unwrap();
    t.insert(
        "var/lib/demo/state",
        Entry::bytes(b"s".to_vec())
            .mode(0o640)
            .ids(1000, 1000)
            .names(Some("demo"), Some("demo")),
    )
    .unwrap();
    t
}

fn write(format: ArchiveFormat, tree: &FileTree, path: &Path) -> consign::core::Written {
    Archive::new(format, tree, SourceDate::from_unix(DATE))
        .top_level_dir(TOP)
        .unwrap()
        .write_to_path(path)
        .unwrap()
}

/// Checks an extracted copy of `sample_tree` against the source tree.
fn check_extracted(root: &Path, tree: &FileTree, format: &str) {
    let top = root.join(TOP);
    for (path, entry) in tree.iter() {
        let p = top.join(path.as_str());
        let md = fs::symlink_metadata(&p).unwrap_or_else(|e| panic!("{format}: {path}: {e}"));
        match entry.kind() {
            consign::core::EntryKind::Symlink { target } => {
                assert!(
                    md.file_type().is_symlink(),
                    "{format}: {path} is not a symlink"
                );
                assert_eq!(fs::read_link(&p).unwrap().to_str(), Some(target.as_str()));
            }
            consign::core::EntryKind::Dir => {
                assert!(md.is_dir(), "{format}: {path} is not a directory");
                assert_eq!(
                    md.mode() & 0o7777,
                    entry.permissions(),
                    "{format}: mode of {path}"
                );
            }
            _ => {
                assert!(md.is_file(), "{format}: {path} is not a file");
                let mut want = Vec::new();
                let source = match entry.kind() {
                    consign::core::EntryKind::Hardlink { target } => {
                        tree.get(target.as_str()).unwrap()
                    }
                    _ => entry,
                };
                std::io::Read::read_to_end(&mut source.open().unwrap(), &mut want).unwrap();
                assert_eq!(fs::read(&p).unwrap(), want, "{format}: content of {path}");
                assert_eq!(
                    md.mode() & 0o7777,
                    source.permissions(),
                    "{format}: mode of {path}"
                );
                assert_eq!(md.mtime() as u64, DATE, "{format}: mtime of {path}");
            }
        }
    }
}

#[test]
fn tar_formats_are_read_by_gnu_tar_and_bsdtar() {
    require_tool("tar", "tar");
    require_tool("bsdtar", "libarchive-tools");
    require_tool("xz", "xz-utils");
    require_tool("zstd", "zstd");
    let dir = tempfile::tempdir().unwrap();
    let tree = sample_tree(dir.path());
    for format in [
        ArchiveFormat::Tar,
        ArchiveFormat::TarGz,
        ArchiveFormat::TarXz,
        ArchiveFormat::TarZst,
    ] {
        let file = dir.path().join(format!("demo.{}", format.extension()));
        let written = write(format, &tree, &file);
        assert_eq!(written.size, fs::metadata(&file).unwrap().len());
        assert_eq!(
            written.sha256(),
            consign::core::hash_file(&file, &[consign::core::Algorithm::Sha256])
                .unwrap()
                .sha256()
        );

        // GNU tar: listing with numeric owners and full times, then extraction.
        let listing = run_ok(
            Command::new("tar")
                .args(["--numeric-owner", "--full-time", "-tvf"])
                .arg(&file),
        );
        assert!(
            listing.contains(&long_name()),
            "{format:?}: long name missing:\n{listing}"
        );
        assert!(
            listing.contains("2023-11-14 22:13:20"),
            "{format:?}: mtime:\n{listing}"
        );
        assert!(
            listing.contains("1000/1000"),
            "{format:?}: numeric owner:\n{listing}"
        );
        assert!(
            listing.contains("bin/demo-link -> demo"),
            "{format:?}: symlink:\n{listing}"
        );
        assert!(
            listing.contains("bin/demo-hard link to"),
            "{format:?}: hard link:\n{listing}"
        );
        let names = run_ok(Command::new("tar").args(["-tvf"]).arg(&file));
        assert!(
            names.contains("demo/demo"),
            "{format:?}: owner names:\n{names}"
        );
        assert!(
            names.contains("root/root"),
            "{format:?}: owner names:\n{names}"
        );
        let out = tempfile::tempdir().unwrap();
        run_ok(
            Command::new("tar")
                .arg("-xpf")
                .arg(&file)
                .arg("-C")
                .arg(out.path()),
        );
        check_extracted(out.path(), &tree, &format!("GNU tar {format:?}"));

        // bsdtar (libarchive).
        let out = tempfile::tempdir().unwrap();
        run_ok(
            Command::new("bsdtar")
                .arg("-xpf")
                .arg(&file)
                .arg("-C")
                .arg(out.path()),
        );
        check_extracted(out.path(), &tree, &format!("bsdtar {format:?}"));
    }
}

#[test]
fn zip_is_read_by_unzip_and_zipinfo() {
    require_tool("unzip", "unzip");
    require_tool("zipinfo", "unzip");
    require_tool("bsdtar", "libarchive-tools");
    let dir = tempfile::tempdir().unwrap();
    let tree = sample_tree(dir.path());
    let file = dir.path().join("demo.zip");
    write(ArchiveFormat::Zip, &tree, &file);

    run_ok(Command::new("unzip").arg("-tq").arg(&file));
    let info = run_ok(Command::new("zipinfo").arg(&file));
    for line in info.lines().filter(|l| l.starts_with('-')) {
        // Regular files: Unix attributes and deflate ("defX"/"defN"/"defF"/"defS"), never stored.
        assert!(line.contains(" unx "), "not a Unix entry: {line}");
        let empty = line.contains("share/empty");
        assert!(empty || line.contains(" def"), "not deflated: {line}");
    }
    assert!(
        info.lines()
            .any(|l| l.starts_with("lrwxrwxrwx") && l.ends_with("bin/demo-link")),
        "{info}"
    );
    assert!(
        info.lines()
            .any(|l| l.starts_with("-rwxr-xr-x") && l.ends_with("bin/demo")),
        "{info}"
    );
    assert!(
        info.lines()
            .any(|l| l.starts_with("drwxr-x---") && l.ends_with("var/lib/demo/")),
        "{info}"
    );

    let out = tempfile::tempdir().unwrap();
    run_ok(
        Command::new("unzip")
            .arg("-q")
            .arg(&file)
            .arg("-d")
            .arg(out.path()),
    );
    check_extracted(out.path(), &tree, "unzip");
    let out = tempfile::tempdir().unwrap();
    run_ok(
        Command::new("bsdtar")
            .arg("-xpf")
            .arg(&file)
            .arg("-C")
            .arg(out.path()),
    );
    check_extracted(out.path(), &tree, "bsdtar zip");
}

#[test]
fn every_format_is_reproducible_whatever_the_thread_count() {
    let dir = tempfile::tempdir().unwrap();
    let tree = sample_tree(dir.path());
    for format in ArchiveFormat::ALL {
        let build = |threads: usize| {
            let opts = ArchiveOptions::default().threads(threads.try_into().unwrap());
            let mut out = Vec::new();
            let w = Archive::new(format, &tree, SourceDate::from_unix(DATE))
                .options(opts)
                .write_to(&mut out)
                .unwrap();
            (out, w)
        };
        let (one, w1) = build(1);
        let (two, w2) = build(2);
        let (three, _) = build(3);
        assert_eq!(w1, w2, "{format:?}");
        assert!(
            one == two && two == three,
            "{format:?} differs with the thread count"
        );
        let later = Archive::new(format, &tree, SourceDate::from_unix(DATE + 1))
            .write_to(Vec::new())
            .unwrap();
        assert_ne!(later, w1, "{format:?} ignores the source date");
    }
}

#[test]
fn block_parallel_gzip_is_one_stream_for_gzip_whatever_the_thread_count() {
    require_tool("gzip", "gzip");
    let dir = tempfile::tempdir().unwrap();
    let mut tree = sample_tree(dir.path());
    // Several 128 KiB compression blocks of text-like data, ending mid-block.
    let text: Vec<u8> = (0..1_234_567u32)
        .flat_map(|i| format!("line {} of {}\n", i % 9973, i / 4099).into_bytes())
        .take(1_234_567)
        .collect();
    tree.insert("share/log.txt", Entry::bytes(text)).unwrap();
    let mut plain = Vec::new();
    Archive::new(ArchiveFormat::Tar, &tree, SourceDate::from_unix(DATE))
        .write_to(&mut plain)
        .unwrap();
    let mut outputs = Vec::new();
    for threads in [1usize, 2, 8] {
        let file = dir.path().join(format!("demo-{threads}.tar.gz"));
        Archive::new(ArchiveFormat::TarGz, &tree, SourceDate::from_unix(DATE))
            .options(ArchiveOptions::default().threads(threads.try_into().unwrap()))
            .write_to_path(&file)
            .unwrap();
        run_ok(Command::new("gzip").arg("-t").arg(&file));
        let out = run(Command::new("gzip").arg("-dc").arg(&file));
        assert!(out.status.success(), "gzip -dc {threads} threads: {out:?}");
        assert!(
            out.stdout == plain,
            "gzip -dc of {threads} threads is not the tar"
        );
        outputs.push(fs::read(&file).unwrap());
    }
    assert!(
        outputs.windows(2).all(|w| w[0] == w[1]),
        "tar.gz bytes differ with the thread count"
    );
}

/// A tree holding one sparse file of `size` zero bytes (no disk space used).
fn sparse_tree(dir: &Path, name: &str, size: u64) -> FileTree {
    let sparse = dir.join(name);
    let f = fs::File::create(&sparse).expect("create sparse file");
    f.set_len(size).expect("extend sparse file");
    let mut tree = FileTree::new();
    tree.insert(name, Entry::file(&sparse).expect("stat sparse file"))
        .expect("valid name");
    tree
}

#[test]
fn files_past_8_gib_use_big_size_fields() {
    require_tool("tar", "tar");
    require_tool("bsdtar", "libarchive-tools");
    let dir = tempfile::tempdir().unwrap();
    let size: u64 = (8 << 30) + 12_345;
    let tree = sparse_tree(dir.path(), "disk.img", size);
    let archive = Archive::new(ArchiveFormat::Tar, &tree, SourceDate::from_unix(DATE))
        .options(ArchiveOptions::default().algorithms(&[]));
    for tool in ["tar", "bsdtar"] {
        let mut child = Command::new(tool)
            .args(["-tvf", "-"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let written = archive.write_to(child.stdin.take().unwrap()).unwrap();
        let out = child.wait_with_output().unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{tool}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            stdout.contains(&size.to_string()) && stdout.contains("disk.img"),
            "{tool}: {stdout}"
        );
        assert_eq!(written.size, 512 + size.div_ceil(512) * 512 + 1024);
    }
}

#[test]
fn zip_past_4_gib_uses_zip64() {
    require_tool("unzip", "unzip");
    let dir = tempfile::tempdir().unwrap();
    let size: u64 = (4 << 30) + 4_321;
    let tree = sparse_tree(dir.path(), "zeros.img", size);
    let zip = dir.path().join("big.zip");
    Archive::new(ArchiveFormat::Zip, &tree, SourceDate::from_unix(DATE))
        .options(ArchiveOptions::default().level(1).algorithms(&[]))
        .write_to_path(&zip)
        .unwrap();
    let listing = run_ok(Command::new("unzip").arg("-l").arg(&zip));
    assert!(listing.contains(&size.to_string()), "{listing}");
    let test = run(Command::new("unzip").arg("-tq").arg(&zip));
    assert!(
        test.status.success(),
        "{}",
        String::from_utf8_lossy(&test.stdout)
    );
}

#[test]
fn bad_input_is_a_typed_error_and_leaves_no_file() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("shrinks");
    fs::write(&src, vec![1u8; 10_000]).unwrap();
    let mut tree = FileTree::new();
    tree.insert("a", Entry::file(&src).unwrap()).unwrap();
    fs::write(&src, vec![1u8; 10]).unwrap();
    for format in ArchiveFormat::ALL {
        let out = dir.path().join(format!("x.{}", format.extension()));
        let err = Archive::new(format, &tree, SourceDate::from_unix(DATE))
            .write_to_path(&out)
            .unwrap_err();
        assert!(
            matches!(err, Error::Entry { ref path, .. } if path.as_str() == "a"),
            "{format:?}: {err}"
        );
        assert!(!out.exists(), "{format:?}: partial archive left behind");
    }
    let leftovers: Vec<_> = fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(leftovers.len(), 1, "temporary files left: {leftovers:?}");
    assert!(matches!(
        Archive::new(ArchiveFormat::TarGz, &tree, SourceDate::from_unix(0)).top_level_dir("../x"),
        Err(Error::Tree(_))
    ));
    let err = Archive::new(ArchiveFormat::TarGz, &tree, SourceDate::from_unix(0))
        .options(ArchiveOptions::default().level(10))
        .write_to(Vec::new())
        .unwrap_err();
    assert!(matches!(
        err,
        Error::Archive(ArchiveError::Level { level: 10, .. })
    ));
    let mut named = FileTree::new();
    named
        .insert("f", Entry::bytes(vec![]).names(Some(&"u".repeat(40)), None))
        .unwrap();
    let err = Archive::new(ArchiveFormat::Tar, &named, SourceDate::from_unix(0))
        .write_to(Vec::new())
        .unwrap_err();
    assert!(matches!(err, Error::OwnerName { .. }), "{err}");
}
