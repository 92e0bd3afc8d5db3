//! Replays the fuzzing inputs on stable Rust: every file under `fuzz/seeds/<target>/`
//! (hand-written valid inputs), `fuzz/corpus/<target>/` (what the fuzzer kept) and
//! `fuzz/regressions/<target>/` (inputs that once crashed) goes through the same body the
//! cargo-fuzz target runs (`tests/fuzz/bodies.rs`). A missing or empty seed or corpus directory
//! fails: the replay never passes by finding nothing. `FUZZING.md` says how the corpus grows.

#![allow(clippy::unwrap_used)]

#[path = "fuzz/bodies.rs"]
mod bodies;

use std::fs;
use std::panic;
use std::path::{Path, PathBuf};

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz")
}

/// The files of `dir`, sorted; none when it does not exist.
fn inputs(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    files
}

/// Runs `body` on every input of `files`; returns the inputs that panicked.
fn replay(body: bodies::Body, files: &[PathBuf]) -> Vec<String> {
    let mut failed = Vec::new();
    for file in files {
        let data = fs::read(file).unwrap();
        if panic::catch_unwind(|| body(&data)).is_err() {
            failed.push(file.display().to_string());
        }
    }
    failed
}

#[test]
fn every_target_has_seeds_and_a_corpus_that_replay_cleanly() {
    let mut problems = Vec::new();
    let mut total = 0;
    for (name, body) in bodies::TARGETS {
        for (dir, required) in [("seeds", true), ("corpus", true), ("regressions", false)] {
            let files = inputs(&fuzz_dir().join(dir).join(name));
            if required && files.is_empty() {
                problems.push(format!("{name}: fuzz/{dir}/{name}/ is missing or empty"));
            }
            total += files.len();
            for file in replay(*body, &files) {
                problems.push(format!("{name}: {file} panicked"));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    assert!(total > 0);
}

#[test]
fn every_fuzz_target_is_replayed() {
    let mut targets: Vec<String> = inputs(&fuzz_dir().join("fuzz_targets"))
        .iter()
        .map(|p| p.file_stem().unwrap().to_string_lossy().into_owned())
        .collect();
    targets.sort();
    let mut replayed: Vec<String> = bodies::TARGETS
        .iter()
        .map(|(n, _)| (*n).to_owned())
        .collect();
    replayed.sort();
    assert_eq!(
        targets, replayed,
        "fuzz/fuzz_targets and bodies::TARGETS differ"
    );
}

#[test]
fn input_directories_name_known_targets() {
    for dir in ["seeds", "corpus", "regressions", "findings"] {
        for sub in fs::read_dir(fuzz_dir().join(dir)).into_iter().flatten() {
            let name = sub.unwrap().file_name().to_string_lossy().into_owned();
            assert!(
                bodies::TARGETS.iter().any(|(n, _)| *n == name),
                "fuzz/{dir}/{name} names no target in tests/fuzz/bodies.rs"
            );
        }
    }
}

/// The hand-written seeds are inputs the parsers accept (so the fuzzer starts from deep
/// inside each format, not from its first error).
#[test]
fn hand_written_seeds_parse() {
    use consign_core::{Algorithm, ChecksumFile, Digest};
    use consign_oci::{Config, Index, Manifest, Reference};
    use consign_package::deb::{DebVersion, Relation};
    use consign_sign::attest::{Envelope, Statement};
    use consign_sign::cosign::{Bundle, CosignKey, CosignPublicKey, SimpleSigning};
    use consign_sign::openpgp::OpenPgpVerifier;

    let seed = |target: &str, name: &str| {
        fs::read(fuzz_dir().join("seeds").join(target).join(name)).unwrap()
    };
    let text = |target: &str, name: &str| String::from_utf8(seed(target, name)).unwrap();
    for name in ["gnu", "bsd", "escaped"] {
        ChecksumFile::parse(&text("checksum_file", name), Algorithm::Sha256).unwrap();
    }
    ChecksumFile::parse(&text("checksum_file", "sha512"), Algorithm::Sha512).unwrap();
    for name in ["sha256", "sha512", "blake3"] {
        text("digest", name).parse::<Digest>().unwrap();
    }
    for name in ["oci", "docker", "artifact"] {
        Manifest::from_json(&seed("oci_manifest", name)).unwrap();
    }
    for name in ["oci", "docker", "empty"] {
        Index::from_json(&seed("oci_index", name)).unwrap();
    }
    for name in ["minimal", "full"] {
        Config::from_json(&seed("oci_config", name)).unwrap();
    }
    for name in ["tag", "short", "digest", "both", "ipv6"] {
        text("oci_reference", name).parse::<Reference>().unwrap();
    }
    CosignPublicKey::from_pem(&seed("cosign_public_key", "pem")).unwrap();
    CosignPublicKey::from_der(&seed("cosign_public_key", "der")).unwrap();
    CosignKey::from_pem(&seed("cosign_private_key", "pkcs8"), None).unwrap();
    for name in ["armored", "binary"] {
        OpenPgpVerifier::from_keys(&seed("openpgp_keys", name)).unwrap();
    }
    for name in ["intoto", "two"] {
        Envelope::from_json(&seed("dsse_envelope", name)).unwrap();
    }
    for name in ["message", "dsse"] {
        Bundle::from_json(&seed("sigstore_bundle", name)).unwrap();
    }
    for name in ["provenance", "sbom"] {
        Statement::from_json(&seed("intoto_statement", name)).unwrap();
    }
    for name in ["cosign", "optional"] {
        SimpleSigning::from_json(&seed("simple_signing", name)).unwrap();
    }
    for name in ["plain", "full", "revision"] {
        text("deb_version", name).parse::<DebVersion>().unwrap();
    }
    assert_eq!(
        Relation::parse_list(&text("deb_relations", "list"))
            .unwrap()
            .len(),
        5
    );
    text("deb_relations", "single").parse::<Relation>().unwrap();

    use consign_oci::registry::DockerConfig;
    use consign_oci::registry::header::{Challenge, RetryAfter, next_link};
    use consign_package::rpm::RpmPackage;
    use consign_sbom::LockFile;
    for name in ["bearer", "basic", "scope_with_comma"] {
        Challenge::parse(&text("www_authenticate", name)).unwrap();
    }
    let page = consign_oci::registry::reqwest::Url::parse("https://registry.example/v2/").unwrap();
    for name in ["next", "two_links"] {
        next_link(&text("link_header", name), &page).unwrap();
    }
    for name in ["seconds", "imf_date", "rfc850", "asctime"] {
        RetryAfter::parse(&text("retry_after", name)).unwrap();
    }
    for name in ["auths", "helpers"] {
        DockerConfig::from_json(&seed("docker_config", name)).unwrap();
    }
    for name in ["v1", "v4"] {
        let lock = LockFile::parse(&text("cargo_lock", name)).unwrap();
        assert!(lock.packages().iter().any(|p| p.checksum.is_some()));
        assert!(lock.dependencies(0).is_some());
    }
    for name in ["sha256", "longsize"] {
        let p = RpmPackage::read(&seed("rpm_reader", name)[..]).unwrap();
        assert!(p.headers.header_sha256().is_some() && p.payload.recorded.is_some());
    }
}
