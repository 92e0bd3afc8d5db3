//! The rpm reader (`RpmPackage`) against the reference tool: on packages consign writes (each
//! payload codec, signed and unsigned) and on one `rpmbuild` makes, it reads the identity,
//! tags and digests `rpm -qp --queryformat` reports; it refuses every damaged or cut copy.
#![allow(clippy::unwrap_used)]

mod common;

use std::fs;
use std::path::Path;
use std::process::Command;

use common::keys::{Inputs, date, signing_key, write_package};
use common::{require_tool, run_ok};
use consign::core::{Algorithm, Digest};
use consign::package::Error;
use consign::package::compress::{Codec, Compression};
use consign::package::rpm::{Rpm, RpmError, RpmOptions, RpmPackage, RpmSpec, TagValue};
use consign::sign::KeyAlgorithm;

/// `rpm -qp --queryformat FORMAT pkg`.
fn query(pkg: &Path, format: &str) -> String {
    run_ok(
        Command::new("rpm")
            .env("TZ", "UTC")
            .args([
                "-qp",
                "--nosignature",
                "--nodigest",
                "--queryformat",
                format,
            ])
            .arg(pkg),
    )
}

/// Checks what the reader says about `pkg` against rpm's own reading of it.
fn agrees_with_rpm(pkg: &Path) -> RpmPackage {
    let p = RpmPackage::open(pkg).unwrap();
    let h = &p.headers;
    let identity = format!(
        "{} {} {} {} {}",
        h.name(),
        h.epoch().map_or("(none)".to_owned(), |e| e.to_string()),
        h.version(),
        h.release(),
        h.arch()
    );
    assert_eq!(
        identity,
        query(pkg, "%{NAME} %{EPOCH} %{VERSION} %{RELEASE} %{ARCH}")
    );
    let sha256 = h.header_sha256().expect("rpm 4.14 and later record it");
    assert_eq!(sha256.hex(), query(pkg, "%{SHA256HEADER}"));
    let payload = p.payload.recorded.expect("a payload digest");
    assert_eq!(payload.hex(), query(pkg, "%{PAYLOADDIGEST}"));
    assert_eq!(Some(&payload), p.payload.written.sha256());
    let header = h.header();
    for (tag, name) in [
        (1004, "SUMMARY"),
        (1014, "LICENSE"),
        (1124, "PAYLOADFORMAT"),
        (1125, "PAYLOADCOMPRESSOR"),
    ] {
        assert_eq!(
            header.string(tag).unwrap(),
            query(pkg, &format!("%{{{name}}}")),
            "{name}"
        );
    }
    assert_eq!(
        header.int32(1006).unwrap().to_string(),
        query(pkg, "%{BUILDTIME}")
    );
    let basenames = header.strings(1117).unwrap_or_default().join("\n");
    assert_eq!(
        basenames,
        query(pkg, "[%{BASENAMES}\n]").trim_end_matches('\n')
    );
    // The file modes, an Int16 array, in file order.
    let modes = match header.value(1030) {
        Some(TagValue::Int16(m)) => m.iter().map(|m| format!("{m:o}\n")).collect::<String>(),
        other => panic!("FILEMODES: {other:?}"),
    };
    assert_eq!(modes, query(pkg, "[%{FILEMODES:octal}\n]"));
    // The signature header: size of main header and payload.
    assert_eq!(
        h.recorded_size().map(|n| n.to_string()),
        Some(query(pkg, "%{SIGSIZE}"))
    );
    assert_eq!(h.lead().signature_type, 5);
    p
}

#[test]
fn reads_what_consign_writes_as_rpm_does() {
    require_tool("rpm", "rpm");
    let dir = tempfile::tempdir().unwrap();
    let inputs = Inputs::new(3, "Read back\nA package the reader reads back.");
    let platform = "x86_64-unknown-linux-gnu".parse().unwrap();
    for codec in [Codec::Gzip, Codec::Xz, Codec::Zstd] {
        let path = dir.path().join(format!("{codec:?}.rpm"));
        let rpm = Rpm::new(&inputs.tree, &inputs.meta, platform, date())
            .spec(RpmSpec::default().release("4").epoch(2))
            .options(RpmOptions::default().compression(Compression::new(codec)));
        write_package(&rpm, &path);
        let p = agrees_with_rpm(&path);
        assert_eq!(p.headers.lead().name, "consign-signed-2:1.0.0-4");
        assert_eq!(p.headers.lead().arch, 1);
    }
    // Signed: the signature header holds the OpenPGP signature of the main header.
    let (_, signer) = signing_key("Release <release@consign.invalid>", KeyAlgorithm::Ed25519);
    let path = dir.path().join("signed.rpm");
    let rpm = Rpm::new(&inputs.tree, &inputs.meta, platform, date()).signer(&signer);
    write_package(&rpm, &path);
    let p = agrees_with_rpm(&path);
    let signature = p.headers.signature().bin(267).expect("RPMSIGTAG_DSA");
    assert_eq!(signature[0] & 0x80, 0x80, "an OpenPGP packet");
}

#[test]
fn reads_what_rpmbuild_builds() {
    require_tool("rpmbuild", "rpm");
    let dir = tempfile::tempdir().unwrap();
    let top = dir.path();
    fs::create_dir_all(top.join("SPECS")).unwrap();
    let spec = top.join("SPECS/hello.spec");
    fs::write(
        &spec,
        "Name: hello-rpmbuild\nVersion: 2.5\nRelease: 7\nEpoch: 3\nSummary: Built by rpmbuild\n\
         License: MIT\nBuildArch: noarch\n\n%description\nA package rpmbuild makes.\n\n\
         %install\nmkdir -p %{buildroot}/usr/share/hello\n\
         printf 'hello\\n' > %{buildroot}/usr/share/hello/greeting\n\
         ln -s greeting %{buildroot}/usr/share/hello/link\n\n\
         %files\n/usr/share/hello\n",
    )
    .unwrap();
    run_ok(
        Command::new("rpmbuild")
            .env("HOME", top)
            .arg("--define")
            .arg(format!("_topdir {}", top.display()))
            .args(["--define", "_build_id_links none", "-bb"])
            .arg(&spec),
    );
    let pkg = top.join("RPMS/noarch/hello-rpmbuild-2.5-7.noarch.rpm");
    let p = agrees_with_rpm(&pkg);
    assert_eq!(p.headers.epoch(), Some(3));
    assert_eq!(
        p.headers.header().strings(1117),
        Some(vec!["hello", "greeting", "link"])
    );
    refuses_damage(&fs::read(&pkg).unwrap());
}

/// A package with one byte changed in its main header or payload, cut short, or with bytes
/// appended is refused with the error that names the damage; no cut or change panics.
fn refuses_damage(bytes: &[u8]) {
    let p = RpmPackage::read(bytes).unwrap();
    let main = p.headers.header().as_bytes().len();
    let payload = p.payload.written.size as usize;
    let header_at = bytes.len() - payload - main;
    let read = |b: &[u8]| RpmPackage::read(b).err().map(|e| e.to_string());
    let mut changed = bytes.to_vec();
    changed[header_at + main - 20] ^= 0x01;
    assert!(matches!(
        RpmPackage::read(&changed[..]),
        Err(Error::Rpm(RpmError::DigestMismatch {
            what: "main header",
            ..
        }))
    ));
    let mut changed = bytes.to_vec();
    changed[header_at + main + payload / 2] ^= 0x01;
    assert!(matches!(
        RpmPackage::read(&changed[..]),
        Err(Error::Rpm(RpmError::DigestMismatch {
            what: "payload",
            ..
        }))
    ));
    let mut longer = bytes.to_vec();
    longer.push(0);
    assert!(read(&longer).unwrap().contains("digest"));
    let mut not_rpm = bytes.to_vec();
    not_rpm[0] = b'P';
    assert!(matches!(
        RpmPackage::read(&not_rpm[..]),
        Err(Error::Rpm(RpmError::NotRpm))
    ));
    for cut in (0..bytes.len()).step_by(7) {
        let err = read(&bytes[..cut]);
        assert!(
            err.is_some(),
            "a package cut at {cut} of {} read",
            bytes.len()
        );
    }
    // A byte changed anywhere in lead and headers: refused or read, never a panic.
    for at in (0..header_at + main).step_by(3) {
        let mut changed = bytes.to_vec();
        changed[at] = changed[at].wrapping_add(0x41);
        let _ = RpmPackage::read(&changed[..]);
    }
}

#[test]
fn refuses_damaged_packages() {
    let inputs = Inputs::new(50, "Damaged\nA package that is damaged on purpose.");
    let rpm = Rpm::new(
        &inputs.tree,
        &inputs.meta,
        "aarch64-unknown-linux-gnu".parse().unwrap(),
        date(),
    )
    .options(RpmOptions::default().compression(Compression::new(Codec::Gzip)));
    let mut bytes = Vec::new();
    consign::package::ArtifactWriter::write_to(&rpm, &mut bytes).unwrap();
    let p = RpmPackage::read(&bytes[..]).unwrap();
    assert_eq!(p.headers.arch(), "aarch64");
    assert_eq!(
        p.payload.written.sha256(),
        Some(&Digest::of(
            Algorithm::Sha256,
            &bytes[bytes.len() - p.payload.written.size as usize..]
        ))
    );
    refuses_damage(&bytes);
}
