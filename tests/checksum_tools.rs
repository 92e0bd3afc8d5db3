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

/// Runs `consign-sums` with `args` in `dir`, failing the test if it has not finished within
/// 60 s (a FIFO would block a reader forever).
fn consign_sums_within_a_minute(dir: &Path, args: &[&str]) -> std::process::Output {
    use std::time::{Duration, Instant};
    let mut child = Command::new(examples_dir().join("consign-sums"))
        .current_dir(dir)
        .args(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if start.elapsed() > Duration::from_secs(60) {
            child.kill().unwrap();
            panic!("consign-sums {args:?} did not finish: it blocks on something it opened");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

/// `consign-sums -c` prints what `sha256sum -c` prints for every name, newlines and
/// backslashes included, and a crafted name cannot forge a line.
#[test]
fn check_output_escapes_names_like_coreutils() {
    require_tool("sha256sum", "coreutils");
    let dir = release_dir();
    let sums = sums_of(dir.path(), Algorithm::Sha256);
    fs::write(dir.path().join("SUMS"), sums.to_text(Style::Gnu)).unwrap();
    let ours = consign_sums_within_a_minute(dir.path(), &["-c", "SUMS"]);
    let theirs = run_ok(cmd_in(dir.path(), "sha256sum").args(["-c", "SUMS"]));
    assert_eq!(String::from_utf8_lossy(&ours.stdout), theirs);
    assert!(theirs.contains("\\new\\nline.txt: OK\n"), "{theirs}");

    // A name made to print `plain.tar.gz: OK` on a line of its own, with a wrong digest.
    let forged = "x\nplain.tar.gz: OK\\";
    fs::write(dir.path().join(forged), b"not what the file says").unwrap();
    let mut evil = ChecksumFile::new(Algorithm::Sha256);
    evil.insert(forged, Digest::of(Algorithm::Sha256, b"expected"))
        .unwrap();
    fs::write(dir.path().join("EVIL"), evil.to_text(Style::Gnu)).unwrap();
    let theirs = run(cmd_in(dir.path(), "sha256sum").args(["-c", "EVIL"]));
    let theirs = String::from_utf8_lossy(&theirs.stdout).into_owned();
    assert_eq!(theirs, "\\x\\nplain.tar.gz: OK\\\\: FAILED\n");
    for quiet in [false, true] {
        let args: &[&str] = if quiet {
            &["-c", "--quiet", "EVIL"]
        } else {
            &["-c", "EVIL"]
        };
        let ours = consign_sums_within_a_minute(dir.path(), args);
        assert_eq!(ours.status.code(), Some(1));
        let text = String::from_utf8_lossy(&ours.stdout);
        assert_eq!(text.lines().count(), 1, "{text}");
        assert!(text.lines().all(|l| l != "plain.tar.gz: OK"), "{text}");
        // The same line as coreutils, which says only FAILED where we add the digest found.
        assert!(
            text.starts_with("\\x\\nplain.tar.gz: OK\\\\: FAILED ("),
            "{text}"
        );
    }
}

/// Symbolic links that lead out of the directory are not followed, whether they name a file
/// or a directory (`d -> /etc`, `d/passwd`); links inside it are.
#[test]
fn check_never_leaves_the_directory_through_a_link() {
    let outside = tempfile::tempdir().unwrap();
    fs::write(outside.path().join("passwd"), b"root:x:0:0\n").unwrap();
    let secret = Digest::of(Algorithm::Sha256, b"root:x:0:0\n");
    let dir = release_dir();
    std::os::unix::fs::symlink(outside.path(), dir.path().join("d")).unwrap();
    std::os::unix::fs::symlink(outside.path().join("passwd"), dir.path().join("f")).unwrap();
    std::os::unix::fs::symlink("plain.tar.gz", dir.path().join("latest.tar.gz")).unwrap();
    let plain = *hash_file(dir.path().join("plain.tar.gz"), &[Algorithm::Sha256])
        .unwrap()
        .sha256()
        .unwrap();
    let mut sums = ChecksumFile::new(Algorithm::Sha256);
    for name in ["d/passwd", "f"] {
        // Wrong on purpose: a followed link would print the outside file's digest.
        sums.insert(name, Digest::of(Algorithm::Sha256, b"guess"))
            .unwrap();
    }
    sums.insert("latest.tar.gz", plain).unwrap();

    let report = sums.verify_dir(dir.path(), Jobs::All);
    let status = |n: &str| &report.results.iter().find(|r| r.name == n).unwrap().status;
    assert_eq!(status("d/passwd"), &Status::LinkOutside);
    assert_eq!(status("f"), &Status::LinkOutside);
    assert_eq!(status("latest.tar.gz"), &Status::Ok);

    fs::write(dir.path().join("SUMS"), sums.to_text(Style::Gnu)).unwrap();
    let out = consign_sums_within_a_minute(dir.path(), &["-c", "SUMS"]);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        !text.contains(&secret.hex()),
        "outside digest printed:\n{text}"
    );
    assert!(
        text.contains("d/passwd: FAILED (a symbolic link on its path leads outside"),
        "{text}"
    );
    assert!(text.contains("\nlatest.tar.gz: OK\n"), "{text}");
}

/// A FIFO, a directory and a device are reported, not opened: the check does not block.
#[test]
fn check_reports_special_files_without_opening_them() {
    require_tool("mkfifo", "coreutils");
    let dir = tempfile::tempdir().unwrap();
    run_ok(cmd_in(dir.path(), "mkfifo").arg("pipe"));
    fs::create_dir(dir.path().join("folder")).unwrap();
    std::os::unix::fs::symlink("/dev/zero", dir.path().join("zero")).unwrap();
    std::os::unix::fs::symlink("pipe", dir.path().join("to-pipe")).unwrap();
    fs::write(dir.path().join("real"), b"real").unwrap();
    let mut sums = ChecksumFile::new(Algorithm::Sha256);
    for name in ["pipe", "folder", "zero", "to-pipe"] {
        sums.insert(name, Digest::of(Algorithm::Sha256, b""))
            .unwrap();
    }
    sums.insert("real", Digest::of(Algorithm::Sha256, b"real"))
        .unwrap();
    fs::write(dir.path().join("SUMS"), sums.to_text(Style::Gnu)).unwrap();

    let out = consign_sums_within_a_minute(dir.path(), &["-c", "SUMS"]);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    for want in [
        "pipe: FAILED open or read (a FIFO, not a regular file; not opened)",
        "to-pipe: FAILED open or read (a FIFO, not a regular file; not opened)",
        "folder: FAILED open or read (a directory, not a regular file; not opened)",
        // /dev/zero is outside the directory: the link is not even followed.
        "zero: FAILED (a symbolic link on its path leads outside the directory; not followed)",
        "real: OK",
    ] {
        assert!(text.lines().any(|l| l == want), "{want}\n{text}");
    }
    let report = sums.verify_dir(dir.path(), Jobs::All);
    assert_eq!(report.failures().count(), 4, "{report}");
}

#[test]
fn one_file_sidecars_are_checked_by_coreutils() {
    require_tool("sha256sum", "coreutils");
    let dir = tempfile::tempdir().unwrap();
    let name = "tool_1.0_amd64.deb";
    fs::write(dir.path().join(name), b"package bytes").unwrap();
    for (algorithm, tool) in [
        (Algorithm::Sha256, "sha256sum"),
        (Algorithm::Sha512, "sha512sum"),
    ] {
        let written = hash_file(dir.path().join(name), &[algorithm]).unwrap();
        let digest = *written.digest(algorithm).unwrap();
        let entry = consign::core::ChecksumEntry::new(format!("dist/{name}"), digest);
        let (sidecar, text) = entry.sidecar(Style::Gnu);
        assert_eq!(sidecar, format!("{name}.{}", &tool[..6]));
        fs::write(dir.path().join(&sidecar), text).unwrap();
        let said = run_ok(cmd_in(dir.path(), tool).args(["-c", &sidecar]));
        assert_eq!(said, format!("{name}: OK\n"));
        // A changed byte fails the check.
        fs::write(dir.path().join(name), b"package bytez").unwrap();
        let out = run(cmd_in(dir.path(), tool).args(["-c", &sidecar]));
        assert!(!out.status.success());
        fs::write(dir.path().join(name), b"package bytes").unwrap();
    }
}
