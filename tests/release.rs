//! The main job (`examples/release.rs`), run end to end and checked with the real tools.

// Test code: an unwrap that fails is a failing test.
#![allow(clippy::unwrap_used)]

mod common;
#[path = "release_checks/signatures.rs"]
mod signatures;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::{examples_dir, require_tool, run, run_ok};
use consign::core::{Algorithm, ArtifactKind, ChecksumFile, ReleaseManifest, hash_file};
use consign::sbom::CdxVersion;

const DATE: &str = "1700000000";

/// The program the job ships: the test build of consign-sums, stripped once per test run.
fn stripped_program(examples: &Path) -> PathBuf {
    static STRIPPED: std::sync::OnceLock<(tempfile::TempDir, PathBuf)> = std::sync::OnceLock::new();
    STRIPPED
        .get_or_init(|| {
            let dir = tempfile::tempdir().expect("a directory for the stripped program");
            let path = common::stripped_program(examples, dir.path());
            (dir, path)
        })
        .1
        .clone()
}

/// Runs the main job with the test keys (so two runs give the same bytes).
fn release(examples: &Path, out: &Path, extra: &[&str]) -> std::process::Output {
    let keys = signatures::test_keys();
    run(Command::new(examples.join("release"))
        .arg("--binary")
        .arg(stripped_program(examples))
        .arg("--pgp-key")
        .arg(&keys.pgp)
        .arg("--cosign-key")
        .arg(&keys.cosign)
        .arg("--out")
        .arg(out)
        .args(extra)
        .env("SOURCE_DATE_EPOCH", DATE))
}

/// Every file under `dir`, as paths relative to it, sorted.
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for e in fs::read_dir(&d).unwrap() {
            let path = e.unwrap().path();
            if path.is_dir() {
                todo.push(path);
            } else {
                out.push(path.strip_prefix(dir).unwrap().to_path_buf());
            }
        }
    }
    out.sort();
    out
}

/// The OCI layout: skopeo reads the index and the image, umoci unpacks the image, and the
/// program runs from the unpacked root file system (inside it with chroot when root: the
/// image carries the libraries it needs).
fn check_oci_layout(dist: &Path) {
    require_tool("skopeo", "skopeo");
    require_tool("umoci", "umoci");
    let version = env!("CARGO_PKG_VERSION");
    let host = consign::core::Platform::host().unwrap();
    let layout = dist.join("oci");
    let index = run_ok(
        Command::new("skopeo")
            .args(["inspect", "--raw"])
            .arg(format!("oci:{}:{version}", layout.display())),
    );
    let index: serde_json::Value = serde_json::from_str(&index).unwrap();
    assert_eq!(
        index["mediaType"], "application/vnd.oci.image.index.v1+json",
        "{index}"
    );
    let entry = &index["manifests"][0];
    assert_eq!(
        entry["platform"]["architecture"],
        host.oci_arch(),
        "{index}"
    );
    assert_eq!(entry["platform"]["os"], "linux", "{index}");
    let image_tag = format!("{version}-{}", host.oci_arch());
    let inspect = run_ok(
        Command::new("skopeo")
            .arg("inspect")
            .arg(format!("oci:{}:{image_tag}", layout.display())),
    );
    let inspect: serde_json::Value = serde_json::from_str(&inspect).unwrap();
    assert_eq!(inspect["Digest"], entry["digest"], "index names the image");
    assert_eq!(inspect["Created"], "2023-11-14T22:13:20Z");

    let bundle = tempfile::tempdir().unwrap();
    let unpacked = bundle.path().join("bundle");
    run_ok(
        Command::new("umoci")
            .args(["unpack", "--rootless", "--image"])
            .arg(format!("{}:{image_tag}", layout.display()))
            .arg(&unpacked),
    );
    let rootfs = unpacked.join("rootfs");
    let program = rootfs.join("usr/local/bin/consign-sums");
    let direct = run_ok(Command::new(&program).arg("--version"));
    assert_eq!(direct, format!("consign-sums {version}\n"));
    let is_root = run_ok(Command::new("id").arg("-u")).trim() == "0";
    if is_root {
        fs::write(rootfs.join("input"), b"hello\n").unwrap();
        let sum = run_ok(
            Command::new("chroot")
                .arg(&rootfs)
                .args(["/usr/local/bin/consign-sums", "/input"]),
        );
        assert_eq!(
            sum,
            "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03  /input\n"
        );
    }
}

#[test]
fn main_job_writes_a_verifiable_reproducible_release() {
    require_tool("sha256sum", "coreutils");
    require_tool("sha512sum", "coreutils");
    require_tool("tar", "tar");
    require_tool("unzip", "unzip");
    let examples = examples_dir();
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    for out in [a.path(), b.path()] {
        let o = release(&examples, out, &[]);
        assert!(
            o.status.success(),
            "release failed: {}",
            String::from_utf8_lossy(&o.stderr)
        );
    }

    // Reproducible: byte-identical directories (the OCI layout included).
    assert_eq!(files_under(a.path()), files_under(b.path()));
    for n in files_under(a.path()) {
        assert_eq!(
            fs::read(a.path().join(&n)).unwrap(),
            fs::read(b.path().join(&n)).unwrap(),
            "{} differs between two runs",
            n.display()
        );
    }

    // Checksum files accepted by coreutils, covering every archive.
    let dist = a.path();
    for tool in ["sha256sum", "sha512sum"] {
        let out = run_ok(
            Command::new(tool)
                .args(["-c", "--strict"])
                .arg(if tool == "sha256sum" {
                    "SHA256SUMS"
                } else {
                    "SHA512SUMS"
                })
                .current_dir(dist),
        );
        assert!(
            out.lines().count() >= 15,
            "archives, .deb and SBOMs:\n{out}"
        );
        assert!(out.lines().all(|l| l.ends_with(": OK")), "{out}");
    }

    // release.json lists every file with the right size and digests.
    let manifest =
        ReleaseManifest::from_json(&fs::read_to_string(dist.join("release.json")).unwrap())
            .unwrap();
    assert_eq!(manifest.name, "consign-sums");
    assert_eq!(manifest.version, env!("CARGO_PKG_VERSION"));
    assert_eq!(manifest.source_date_epoch.unix().to_string(), DATE);
    let listed: Vec<&str> = manifest.artifacts().map(|a| a.name.as_str()).collect();
    // Every file is listed but the OCI layout's (checked below).
    let mut on_disk: Vec<String> = files_under(dist)
        .into_iter()
        .filter(|p| !p.starts_with("oci"))
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    on_disk.retain(|n| n != "release.json");
    assert_eq!(listed, on_disk);
    // Each artifact names what attaches to it, and every name is a listed file.
    for art in manifest.artifacts() {
        for attached in &art.attachments {
            assert!(
                manifest.get(attached).is_some(),
                "{} -> {attached}",
                art.name
            );
        }
    }
    let sums = manifest.get("SHA256SUMS").unwrap();
    assert!(
        sums.attachments.iter().any(|a| a.ends_with(".asc")),
        "{sums:?}"
    );
    let sboms = |kind: ArtifactKind| {
        manifest
            .artifacts()
            .filter(|a| a.kind == kind)
            .all(|a| a.attachments.iter().any(|n| n.ends_with(".cdx.json")))
    };
    assert!(sboms(ArtifactKind::Deb) && sboms(ArtifactKind::Rpm) && sboms(ArtifactKind::Archive));
    // The image and the index, with their tags, platform and attached manifests.
    let images: Vec<_> = manifest.images().collect();
    assert_eq!(images.len(), 2, "{images:?}");
    assert_eq!(images.iter().filter(|i| i.is_index).count(), 1);
    for image in &images {
        assert_eq!(image.repository, "oci");
        assert!(
            !image.tags.is_empty() && image.platforms.len() == 1,
            "{image:?}"
        );
        assert_eq!(image.attachments.len(), 4, "{image:?}");
    }
    for art in manifest.artifacts() {
        let w = hash_file(
            dist.join(&art.name),
            &[Algorithm::Sha256, Algorithm::Sha512],
        )
        .unwrap();
        assert_eq!(w, art.written(), "{}", art.name);
        if art.kind == ArtifactKind::Archive {
            assert!(art.platform.is_some(), "{} has no platform", art.name);
        }
    }
    let sums = ChecksumFile::parse(
        &fs::read_to_string(dist.join("SHA256SUMS")).unwrap(),
        Algorithm::Sha256,
    )
    .unwrap();
    assert!(sums.verify_dir(dist, consign::core::Jobs::All).is_ok());
    let checksummed = manifest
        .artifacts()
        .filter(|a| !matches!(a.kind, ArtifactKind::Checksums | ArtifactKind::Signature))
        .count();
    assert_eq!(
        sums.len(),
        checksummed,
        "SHA256SUMS lists every released file"
    );

    // Every archive and package has a CycloneDX and an SPDX SBOM naming it by its digests, and
    // the validators accept them.
    let mut sboms = Vec::new();
    let shipped: Vec<_> = manifest
        .artifacts()
        .filter(|a| {
            matches!(
                a.kind,
                ArtifactKind::Archive
                    | ArtifactKind::Deb
                    | ArtifactKind::Rpm
                    | ArtifactKind::Dmg
                    | ArtifactKind::Msi
            )
        })
        .collect();
    assert_eq!(
        shipped.len(),
        8,
        "four archives, a .deb, an .rpm, a .dmg and an .msi"
    );
    for art in shipped {
        let sha256 = art.digests.get(Algorithm::Sha256).unwrap().hex();
        for (ext, version) in [("cdx.json", Some(CdxVersion::V1_6)), ("spdx.json", None)] {
            let name = format!("{}.{ext}", art.name);
            let listed = manifest
                .get(&name)
                .unwrap_or_else(|| panic!("{name} not listed"));
            assert_eq!(listed.kind, ArtifactKind::Sbom);
            let text = fs::read_to_string(dist.join(&name)).unwrap();
            assert!(
                text.contains(&sha256),
                "{name} does not name its subject's digest"
            );
            // The SPDX document lists the files this artifact ships.
            let program = if matches!(art.kind, ArtifactKind::Deb | ArtifactKind::Rpm) {
                "\"./usr/bin/consign-sums\""
            } else {
                "\"./consign-sums\""
            };
            if version.is_none() {
                assert!(text.contains(program), "{name} does not list {program}");
            }
            sboms.push((dist.join(&name), version));
        }
    }
    common::sbom::validate(&sboms);

    // The .deb: dpkg-deb reads it, and the program it installs runs.
    require_tool("dpkg-deb", "dpkg");
    let deb = dist.join(format!(
        "consign-sums_{}_{}.deb",
        env!("CARGO_PKG_VERSION"),
        consign::core::Platform::host()
            .unwrap()
            .debian_arch()
            .unwrap()
    ));
    let info = run_ok(Command::new("dpkg-deb").arg("--info").arg(&deb));
    assert!(info.contains(" Package: consign-sums\n"), "{info}");
    assert!(
        info.contains(&format!(" Version: {}\n", env!("CARGO_PKG_VERSION"))),
        "{info}"
    );
    // lintian: no error and no warning on the package the job ships (the one tag left out
    // concerns uploads to the Debian archive: closing an "intent to package" bug).
    require_tool("lintian", "lintian");
    let lint = run(Command::new("lintian")
        .args(["--tag-display-limit", "0", "--display-info"])
        .args(["--suppress-tags", "initial-upload-closes-no-bugs"])
        .arg(&deb));
    let report = String::from_utf8_lossy(&lint.stdout);
    // Debian 12's lintian knows no debsigs signatures: it calls the `_gpgorigin` member
    // (checked with debsig-verify below) misplaced, whatever its content. Nothing else.
    assert!(
        !report
            .lines()
            .any(|l| (l.starts_with("E:") || l.starts_with("W:"))
                && !l.contains("misplaced-extra-member-in-deb _gpgorigin ")),
        "lintian reported:\n{report}\n{}",
        String::from_utf8_lossy(&lint.stderr)
    );
    let root = tempfile::tempdir().unwrap();
    run_ok(
        Command::new("dpkg-deb")
            .arg("-x")
            .arg(&deb)
            .arg(root.path()),
    );
    let version = run_ok(Command::new(root.path().join("usr/bin/consign-sums")).arg("--version"));
    assert_eq!(
        version,
        format!("consign-sums {}\n", env!("CARGO_PKG_VERSION"))
    );
    assert!(
        root.path()
            .join("usr/share/doc/consign-sums/copyright")
            .is_file()
    );
    // The manual page is installed and formats.
    let man = root.path().join("usr/share/man/man1/consign-sums.1.gz");
    let page = run_ok(Command::new("zcat").arg(&man));
    assert!(page.starts_with(".TH CONSIGN-SUMS 1"), "{page}");

    check_oci_layout(dist);
    let rpm = dist.join(format!(
        "consign-sums-{}-1.{}.rpm",
        env!("CARGO_PKG_VERSION"),
        consign::core::Platform::host().unwrap().rpm_arch().unwrap()
    ));
    signatures::check(dist, &deb, &rpm);

    // The shipped program runs from each archive and does its job.
    let host = consign::core::Platform::host().unwrap();
    let stem = format!("consign-sums-{}-{host}", env!("CARGO_PKG_VERSION"));
    for (ext, cmd) in [
        ("tar.gz", "tar"),
        ("tar.xz", "tar"),
        ("tar.zst", "tar"),
        ("zip", "unzip"),
    ] {
        let x = tempfile::tempdir().unwrap();
        let file = dist.join(format!("{stem}.{ext}"));
        if cmd == "tar" {
            run_ok(
                Command::new("tar")
                    .arg("-xf")
                    .arg(&file)
                    .arg("-C")
                    .arg(x.path()),
            );
        } else {
            run_ok(
                Command::new("unzip")
                    .arg("-q")
                    .arg(&file)
                    .arg("-d")
                    .arg(x.path()),
            );
        }
        let bin = x.path().join(&stem).join("consign-sums");
        for doc in ["README.md", "LICENSE-MIT", "LICENSE-APACHE"] {
            assert!(
                x.path().join(&stem).join(doc).is_file(),
                "{ext}: {doc} missing"
            );
        }
        let line = run_ok(
            Command::new(&bin)
                .arg("LICENSE-MIT")
                .current_dir(x.path().join(&stem)),
        );
        let expect = run_ok(
            Command::new("sha256sum")
                .arg("LICENSE-MIT")
                .current_dir(x.path().join(&stem)),
        );
        assert_eq!(
            line, expect,
            "{ext}: the shipped program disagrees with sha256sum"
        );
    }
    check_installers(dist, &stem);
}

/// The disk image and the Windows installer hold the program, README and licenses: 7-Zip
/// extracts the image's HFS+ volume, msiextract the installer's cabinet, and both give the
/// bytes the tarball ships.
fn check_installers(dist: &Path, stem: &str) {
    require_tool("7zz", "7zip");
    require_tool("msiextract", "msitools");
    let x = tempfile::tempdir().unwrap();
    run_ok(
        Command::new("tar")
            .arg("-xf")
            .arg(dist.join(format!("{stem}.tar.gz")))
            .arg("-C")
            .arg(x.path()),
    );
    let shipped = x.path().join(stem);
    let version = env!("CARGO_PKG_VERSION");
    // Without --macos-binary the image is for aarch64-apple-darwin.
    let dmg = dist.join(format!("consign-sums-{version}-arm64.dmg"));
    let out = x.path().join("dmg");
    let text = run_ok(
        Command::new("7zz")
            .args(["x", "-snld"])
            .arg(format!("-o{}", out.display()))
            .arg(&dmg),
    );
    assert!(
        !text.contains("ERROR") && !text.contains("WARNING"),
        "{text}"
    );
    let msi = dist.join(format!("consign-sums-{version}-x86_64.msi"));
    let msi_out = x.path().join("msi");
    fs::create_dir(&msi_out).unwrap();
    let o = run(Command::new("msiextract").arg("-C").arg(&msi_out).arg(&msi));
    assert!(
        o.status.success() && o.stderr.is_empty(),
        "msiextract: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    let extracted = files_under(&msi_out);
    for file in ["consign-sums", "README.md", "LICENSE-MIT", "LICENSE-APACHE"] {
        let want = fs::read(shipped.join(file)).unwrap();
        let volume = out.join(format!("consign-sums {version}")).join(file);
        assert!(
            fs::read(&volume).unwrap() == want,
            "{file} differs in the .dmg"
        );
        let installed = extracted
            .iter()
            .find(|p| p.file_name().is_some_and(|n| n == file))
            .unwrap_or_else(|| panic!("{file} not in the .msi: {extracted:?}"));
        assert!(
            fs::read(msi_out.join(installed)).unwrap() == want,
            "{file} differs in the .msi"
        );
    }
    let mode = fs::metadata(out.join(format!("consign-sums {version}/consign-sums")))
        .unwrap()
        .permissions();
    assert_eq!(
        std::os::unix::fs::PermissionsExt::mode(&mode) & 0o777,
        0o755
    );
}

#[test]
fn main_job_refuses_bad_input_and_leaves_nothing_complete_looking() {
    let examples = examples_dir();
    let out = tempfile::tempdir().unwrap();
    let o = release(
        &examples,
        out.path(),
        &["--target", "sparc-unknown-linux-gnu"],
    );
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("sparc-unknown-linux-gnu"));
    let o = release(&examples, out.path(), &["--version", "1 0"]);
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("version"));
    let o = run(Command::new(examples.join("release"))
        .args(["--binary", "/nonexistent/prog", "--out"])
        .arg(out.path())
        .env("SOURCE_DATE_EPOCH", DATE));
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("/nonexistent/prog"));
    let o = release(&examples, out.path(), &["--source-date", "yesterday"]);
    assert!(!o.status.success());
    // The host's program is not shipped labelled for another machine.
    let arm = "aarch64-unknown-linux-gnu";
    if consign::core::Platform::host().unwrap().arch() != consign::core::Arch::Aarch64 {
        let o = release(&examples, out.path(), &["--target", arm]);
        assert!(!o.status.success());
        let said = String::from_utf8_lossy(&o.stderr);
        assert!(said.contains(&format!("not one for {arm}")), "{said}");
        // Without --binary the job builds for the target, or says what it lacks.
        let scratch = tempfile::tempdir().unwrap();
        let o = run(Command::new(examples.join("release"))
            .args(["--target", arm, "--out"])
            .arg(out.path())
            .env("CARGO_TARGET_DIR", scratch.path())
            .env("SOURCE_DATE_EPOCH", DATE));
        let said = String::from_utf8_lossy(&o.stderr);
        if o.status.success() {
            let deb = fs::read_dir(out.path())
                .unwrap()
                .map(|e| e.unwrap().path())
                .find(|p| p.to_string_lossy().ends_with("_arm64.deb"));
            assert!(deb.is_some(), "an arm64 package: {said}");
            fs::remove_dir_all(out.path()).unwrap();
            fs::create_dir(out.path()).unwrap();
        } else {
            assert!(said.contains(&format!("rustup target add {arm}")), "{said}");
        }
    }
    assert_eq!(
        fs::read_dir(out.path()).unwrap().count(),
        0,
        "files left after failures"
    );
}

#[test]
fn an_interrupted_release_leaves_no_complete_looking_file() {
    let examples = examples_dir();
    let work = tempfile::tempdir().unwrap();
    // A large (sparse) program, so the job is still writing its first archive when killed.
    let big = work.path().join("big-program");
    fs::File::create(&big).unwrap().set_len(6 << 30).unwrap();
    let out = work.path().join("dist");
    let mut child = Command::new(examples.join("release"))
        .arg("--binary")
        .arg(&big)
        .arg("--out")
        .arg(&out)
        .env("SOURCE_DATE_EPOCH", DATE)
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(300);
    let partial = loop {
        let names: Vec<String> = fs::read_dir(&out)
            .map(|d| {
                d.map(|e| e.unwrap().file_name().into_string().unwrap())
                    .collect()
            })
            .unwrap_or_default();
        if let Some(p) = names.iter().find(|n| n.ends_with(".partial")) {
            break p.clone();
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no archive started: {names:?}"
        );
        assert!(
            child.try_wait().unwrap().is_none(),
            "release ended before it could be interrupted"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    child.kill().unwrap();
    child.wait().unwrap();
    let names: Vec<String> = fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert!(
        partial.starts_with('.'),
        "temporary file {partial} is not hidden"
    );
    for n in &names {
        assert!(
            n.starts_with('.') && n.ends_with(".partial"),
            "complete-looking file {n} after an interrupted run: {names:?}"
        );
    }
}

/// Every file under `dir` with its bytes, by relative path.
fn contents(dir: &Path) -> std::collections::BTreeMap<PathBuf, Vec<u8>> {
    if !dir.exists() {
        return Default::default();
    }
    files_under(dir)
        .into_iter()
        .map(|p| {
            let bytes = fs::read(dir.join(&p)).unwrap();
            (p, bytes)
        })
        .collect()
}

#[test]
fn killed_at_any_point_the_job_leaves_only_right_files_and_a_rerun_cleans_up() {
    let examples = examples_dir();
    let work = tempfile::tempdir().unwrap();
    let reference = work.path().join("reference");
    let start = std::time::Instant::now();
    let o = release(&examples, &reference, &["--quiet"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let took = start.elapsed();
    let expected = contents(&reference);

    let keys = signatures::test_keys();
    let dist = work.path().join("dist");
    let mut killed = 0;
    for k in 0..30u64 {
        // Spread over the whole run, reproducibly.
        let at = took.mul_f64(((k * 7919) % 1000) as f64 / 1000.0);
        let mut child = Command::new(examples.join("release"))
            .arg("--binary")
            .arg(stripped_program(&examples))
            .arg("--pgp-key")
            .arg(&keys.pgp)
            .arg("--cosign-key")
            .arg(&keys.cosign)
            .arg("--out")
            .arg(&dist)
            .arg("--quiet")
            .env("SOURCE_DATE_EPOCH", DATE)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(at);
        if child.try_wait().unwrap().is_none() {
            killed += 1;
        }
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        for (path, bytes) in contents(&dist) {
            let temporary = path.components().any(|c| {
                let c = c.as_os_str().to_string_lossy();
                c.starts_with('.') && c.ends_with(".partial")
            });
            if temporary {
                continue;
            }
            let want = expected.get(&path);
            assert!(
                want == Some(&bytes),
                "kill {k} after {at:?}: {} is a finished name with {}",
                path.display(),
                if want.is_some() {
                    "other bytes"
                } else {
                    "no place in the release"
                }
            );
        }
    }
    assert!(
        killed >= 20,
        "only {killed} runs were still going when killed"
    );

    // A full run over what the killed ones left: exactly the release, no temporaries.
    let o = release(&examples, &dist, &["--quiet"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let after = contents(&dist);
    assert_eq!(
        after.keys().collect::<Vec<_>>(),
        expected.keys().collect::<Vec<_>>()
    );
    assert!(after == expected, "the rerun differs from a clean run");
}
