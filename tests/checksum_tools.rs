//! Checksum files against the tools release engineers verify them with: GNU coreutils
//! (`sha256sum -c --strict`, `sha512sum`), Perl's `shasum`, and our own `consign-sums`.

// Test code: an unwrap that fails is a failing test.
#![allow(clippy::unwrap_used)]

mod common;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::{cmd_in, examples_dir, require_tool, run, run_ok};
use consign::core::{
    Algorithm, ChecksumError, ChecksumFile, Digest, Jobs, Status, Style, hash_file, hash_files,
};

/// Names that checksum tools must escape or take literally.
const NAMES: [&str; 7] = [
    "plain.tar.gz",
    "with space.zip",
    "back\\slash.txt",
    "new\nline.txt",
    "paren (1) = x.txt",
    "*star.bin",
    "ünïcödé.deb",
];

/// A directory holding a file for each of [`NAMES`], with distinct contents.
fn release_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (i, name) in NAMES.iter().enumerate() {
        let body: Vec<u8> = (0..(i * 4099 + 17)).map(|b| (b * 31 + i) as u8).collect();
        fs::write(dir.path().join(name), body).unwrap();
    }
    dir
}

fn sums_of(dir: &Path, algorithm: Algorithm) -> ChecksumFile {
    let paths: Vec<PathBuf> = NAMES.iter().map(|n| dir.join(n)).collect();
    let mut sums = ChecksumFile::new(algorithm);
    for (name, written) in NAMES
        .iter()
        .zip(hash_files(&paths, &[algorithm], Jobs::All))
    {
        sums.insert(*name, *written.unwrap().digest(algorithm).unwrap())
            .unwrap();
    }
    sums
}

#[test]
fn coreutils_accepts_our_gnu_and_bsd_files() {
    for (tool, algorithm) in [
        ("sha256sum", Algorithm::Sha256),
        ("sha512sum", Algorithm::Sha512),
    ] {
        require_tool(tool, "coreutils");
        let dir = release_dir();
        let sums = sums_of(dir.path(), algorithm);
        for style in [Style::Gnu, Style::Bsd] {
            fs::write(dir.path().join("SUMS"), sums.to_text(style)).unwrap();
            let out = run_ok(cmd_in(dir.path(), tool).args(["--check", "--strict", "SUMS"]));
            assert_eq!(out.lines().count(), NAMES.len(), "{tool} {style:?}:\n{out}");
            assert!(out.lines().all(|l| l.ends_with(": OK")), "{out}");
        }
    }
}

#[test]
fn shasum_accepts_our_bsd_files() {
    require_tool("shasum", "perl");
    let dir = release_dir();
    for (bits, algorithm) in [("256", Algorithm::Sha256), ("512", Algorithm::Sha512)] {
        // shasum has no escaping for newlines in names: leave that one out.
        let mut sums = sums_of(dir.path(), algorithm);
        let mut plain = ChecksumFile::new(algorithm);
        for e in sums.entries().filter(|e| !e.name.contains(['\n', '\\'])) {
            plain.insert(e.name.clone(), e.digest).unwrap();
        }
        sums = plain;
        fs::write(dir.path().join("SUMS"), sums.to_text(Style::Bsd)).unwrap();
        let out = run_ok(cmd_in(dir.path(), "shasum").args(["-a", bits, "-c", "SUMS"]));
        assert_eq!(
            out.lines().filter(|l| l.ends_with(": OK")).count(),
            sums.len(),
            "{out}"
        );
    }
}

#[test]
fn we_parse_what_coreutils_writes() {
    require_tool("sha256sum", "coreutils");
    require_tool("sha512sum", "coreutils");
    let dir = release_dir();
    for (tool, algorithm) in [
        ("sha256sum", Algorithm::Sha256),
        ("sha512sum", Algorithm::Sha512),
    ] {
        for extra in [&[][..], &["--tag"], &["--binary"]] {
            let text = run_ok(cmd_in(dir.path(), tool).args(extra).args(NAMES));
            let parsed = ChecksumFile::parse(&text, algorithm)
                .unwrap_or_else(|e| panic!("{tool} {extra:?} output: {e}\n{text}"));
            assert_eq!(parsed.len(), NAMES.len());
            for name in NAMES {
                let on_disk = hash_file(dir.path().join(name), &[algorithm]).unwrap();
                assert_eq!(
                    parsed.get(name),
                    on_disk.digest(algorithm),
                    "{tool} {extra:?} {name:?}"
                );
            }
            assert!(parsed.verify_dir(dir.path(), Jobs::All).is_ok());
        }
    }
}

#[test]
fn tampering_and_missing_files_are_reported_like_coreutils_does() {
    require_tool("sha256sum", "coreutils");
    let dir = release_dir();
    let sums = sums_of(dir.path(), Algorithm::Sha256);
    fs::write(dir.path().join("SHA256SUMS"), sums.to_text(Style::Gnu)).unwrap();
    fs::write(dir.path().join("plain.tar.gz"), b"replaced").unwrap();
    fs::remove_file(dir.path().join("with space.zip")).unwrap();

    let report = sums.verify_dir(dir.path(), Jobs::All);
    assert!(!report.is_ok());
    let status = |n: &str| &report.results.iter().find(|r| r.name == n).unwrap().status;
    assert_eq!(
        status("plain.tar.gz"),
        &Status::Mismatch {
            actual: Digest::of(Algorithm::Sha256, b"replaced")
        }
    );
    assert_eq!(status("with space.zip"), &Status::Missing);
    assert_eq!(report.failures().count(), 2);
    let text = report.to_string();
    assert!(text.contains("plain.tar.gz: FAILED"), "{text}");
    assert!(text.contains("back\\slash.txt: OK"), "{text}");

    // coreutils sees the same two failures.
    let o = run(cmd_in(dir.path(), "sha256sum").args(["-c", "SHA256SUMS"]));
    assert!(!o.status.success());
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert_eq!(
        stdout.lines().filter(|l| l.contains("FAILED")).count(),
        2,
        "{stdout}"
    );
}

#[test]
fn names_outside_the_directory_are_refused_not_opened() {
    let dir = release_dir();
    let outside = tempfile::NamedTempFile::new().unwrap();
    let digest = *hash_file(outside.path(), &[Algorithm::Sha256])
        .unwrap()
        .sha256()
        .unwrap();
    let mut sums = ChecksumFile::new(Algorithm::Sha256);
    sums.insert(outside.path().to_str().unwrap(), digest)
        .unwrap();
    sums.insert("../etc/passwd", digest).unwrap();
    let report = sums.verify_dir(dir.path(), Jobs::All);
    assert!(
        report.results.iter().all(|r| r.status == Status::Refused),
        "{report}"
    );
}

#[test]
fn runners_sums_merge_and_conflicts_are_refused() {
    let dir = release_dir();
    let all = sums_of(dir.path(), Algorithm::Sha256);
    let (mut amd64, mut arm64) = (
        ChecksumFile::new(Algorithm::Sha256),
        ChecksumFile::new(Algorithm::Sha256),
    );
    for (i, e) in all.entries().enumerate() {
        let runner = if i % 2 == 0 { &mut amd64 } else { &mut arm64 };
        runner.insert(e.name.clone(), e.digest).unwrap();
    }
    // Each runner writes its own file; the release job reads them back and merges.
    let mut merged = ChecksumFile::parse(&amd64.to_text(Style::Gnu), Algorithm::Sha256).unwrap();
    merged
        .merge(&ChecksumFile::parse(&arm64.to_text(Style::Bsd), Algorithm::Sha256).unwrap())
        .unwrap();
    assert_eq!(merged, all);
    // The same entry from two runners is fine; a different digest for it is not.
    merged.merge(&amd64).unwrap();
    let mut rebuilt = ChecksumFile::new(Algorithm::Sha256);
    rebuilt
        .insert("plain.tar.gz", Digest::of(Algorithm::Sha256, b"rebuilt"))
        .unwrap();
    let err = merged.merge(&rebuilt).unwrap_err();
    assert!(matches!(err, ChecksumError::Conflict { ref name, .. } if name == "plain.tar.gz"));
    assert!(err.to_string().contains("plain.tar.gz"), "{err}");
    assert_eq!(merged, all, "a refused merge changes nothing");
    // Files of different algorithms do not merge.
    let sha512 = sums_of(dir.path(), Algorithm::Sha512);
    assert!(matches!(
        merged.merge(&sha512),
        Err(ChecksumError::WrongAlgorithm { .. })
    ));
}

/// `consign-sums` prints what `sha256sum`/`sha512sum` print, byte for byte, with and without
/// `--tag`, and checks what they write.
#[test]
fn consign_sums_matches_coreutils_byte_for_byte() {
    require_tool("sha256sum", "coreutils");
    require_tool("sha512sum", "coreutils");
    let sums_bin = examples_dir().join("consign-sums");
    let dir = release_dir();
    for (tool, alg) in [("sha256sum", "sha256"), ("sha512sum", "sha512")] {
        for extra in [&[][..], &["--tag"]] {
            let ours = run_ok(
                Command::new(&sums_bin)
                    .current_dir(dir.path())
                    .args(["-a", alg])
                    .args(extra)
                    .args(NAMES),
            );
            let theirs = run_ok(cmd_in(dir.path(), tool).args(extra).args(NAMES));
            assert_eq!(ours, theirs, "{tool} {extra:?}");
            // And each checks the other's file.
            fs::write(dir.path().join("SUMS"), &theirs).unwrap();
            let checked = run_ok(
                Command::new(&sums_bin)
                    .current_dir(dir.path())
                    .args(["--check", "SUMS"]),
            );
            assert_eq!(
                checked.lines().filter(|l| l.ends_with(": OK")).count(),
                NAMES.len()
            );
            run_ok(cmd_in(dir.path(), tool).args(["--check", "--strict", "SUMS"]));
        }
    }
    // A failed check exits 1; a malformed file or unknown option exits 2.
    fs::write(dir.path().join("plain.tar.gz"), b"tampered").unwrap();
    let failed = run(Command::new(&sums_bin)
        .current_dir(dir.path())
        .args(["--check", "SUMS"]));
    assert_eq!(failed.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&failed.stdout).contains("plain.tar.gz: FAILED"));
    fs::write(dir.path().join("BAD"), "not a checksum line\n").unwrap();
    let bad = run(Command::new(&sums_bin)
        .current_dir(dir.path())
        .args(["--check", "BAD"]));
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("line 1"));
    let usage = run(Command::new(&sums_bin).arg("--frobnicate"));
    assert_eq!(usage.status.code(), Some(2));
}
