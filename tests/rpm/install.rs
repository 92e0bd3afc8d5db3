//! Signing with rpmsign, rpmlint, and a full install, verify and erase cycle in a
//! temporary root.

use std::fs;
use std::os::unix::fs::MetadataExt;
use std::process::Command;

use crate::common::{require_tool, run, run_ok};
use crate::support::{DATE, Fixture, Keyring, LOG, VERSION, complaints};
use consign::package::compress::Codec;

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

#[test]
fn installs_runs_verifies_and_erases_in_a_temporary_root() {
    require_tool("rpm", "rpm");
    require_tool("busybox", "busybox-static");
    assert_eq!(
        fs::metadata("/proc/self").unwrap().uid(),
        0,
        "installing into a temporary root needs root: rpm runs scriptlets chrooted"
    );
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
