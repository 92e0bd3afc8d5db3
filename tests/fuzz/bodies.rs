//! The bodies of the fuzz targets, shared by `fuzz/fuzz_targets/*.rs` (cargo-fuzz, libFuzzer)
//! and `tests/fuzz_corpus.rs` (the stable replay of `fuzz/corpus` and `fuzz/regressions`).
//!
//! Each body feeds the bytes to a public parser and checks what must hold for any input: no
//! panic, and where it is cheap a round trip (parse → serialize → parse gives the same value).
//! A parse error is a correct answer to bad input; only panics and broken invariants fail.

// Each fuzz target uses one body; the replay test uses them all.
#![allow(dead_code)]

use std::io::Write as _;
use std::str::FromStr;
use std::sync::OnceLock;
use std::time::{Duration, SystemTime};

use consign_core::sign::{
    KeyId, SignError, Signature, SignatureFormat, VerificationMaterial, Verified, Verifier,
};
use consign_core::{Algorithm, ChecksumFile, Digest, Style};
use consign_oci::registry::header::{Challenge, RetryAfter, next_link};
use consign_oci::registry::reqwest::Url;
use consign_oci::registry::{Credentials, DockerConfig, RetryPolicy};
use consign_oci::{Config, Index, Manifest, Reference};
use consign_package::deb::{DebVersion, Relation};
use consign_package::rpm::{RpmHeaders, RpmPackage, TagValue};
use consign_sbom::LockFile;
use consign_sign::attest::{Envelope, Statement};
use consign_sign::cosign::{Bundle, CosignKey, CosignPublicKey, Passphrase, SimpleSigning};
use consign_sign::openpgp::OpenPgpVerifier;

/// A fuzz body: takes any bytes, panics only on a broken invariant.
pub type Body = fn(&[u8]);

/// Every target, by name: what `tests/fuzz_corpus.rs` replays and `scripts/fuzz` runs.
pub const TARGETS: &[(&str, Body)] = &[
    ("checksum_file", checksum_file),
    ("digest", digest),
    ("oci_manifest", oci_manifest),
    ("oci_index", oci_index),
    ("oci_config", oci_config),
    ("oci_reference", oci_reference),
    ("cosign_public_key", cosign_public_key),
    ("cosign_private_key", cosign_private_key),
    ("openpgp_keys", openpgp_keys),
    ("openpgp_signature", openpgp_signature),
    ("dsse_envelope", dsse_envelope),
    ("sigstore_bundle", sigstore_bundle),
    ("intoto_statement", intoto_statement),
    ("simple_signing", simple_signing),
    ("deb_version", deb_version),
    ("deb_relations", deb_relations),
    ("deb_origin", deb_origin),
    ("www_authenticate", www_authenticate),
    ("link_header", link_header),
    ("retry_after", retry_after),
    ("docker_config", docker_config),
    ("cargo_lock", cargo_lock),
    ("rpm_reader", rpm_reader),
];

/// `SHA256SUMS`-style files (GNU and BSD lines), read as each algorithm; what parses writes
/// back in both styles and reads back with the same entries (BSD lines drop the binary marker).
pub fn checksum_file(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    for algorithm in Algorithm::ALL {
        let Ok(file) = ChecksumFile::parse(text, algorithm) else {
            continue;
        };
        for style in [Style::Gnu, Style::Bsd] {
            let written = file.to_text(style);
            let back = ChecksumFile::parse(&written, algorithm)
                .unwrap_or_else(|e| panic!("{style:?} output does not parse: {e}\n{written:?}"));
            // BSD lines have no binary-mode marker: they keep names and digests only.
            let key = |f: &ChecksumFile| -> Vec<(String, Digest, bool)> {
                f.entries()
                    .map(|e| (e.name.clone(), e.digest, e.binary && style == Style::Gnu))
                    .collect()
            };
            assert_eq!(
                key(&back),
                key(&file),
                "{style:?} round trip of {written:?}"
            );
        }
    }
}

/// `algorithm:hex` digests; `Display` gives text that parses to the same digest.
pub fn digest(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(d) = Digest::from_str(text) {
        let shown = d.to_string();
        assert_eq!(Digest::from_str(&shown).ok(), Some(d), "{shown:?}");
    }
}

/// OCI image manifests: `to_json` reads back equal.
pub fn oci_manifest(data: &[u8]) {
    if let Ok(m) = Manifest::from_json(data) {
        let json = m.to_json();
        assert_eq!(Manifest::from_json(&json).ok(), Some(m), "{json:?}");
    }
}

/// OCI image indexes: `to_json` reads back equal.
pub fn oci_index(data: &[u8]) {
    if let Ok(i) = Index::from_json(data) {
        let json = i.to_json();
        assert_eq!(Index::from_json(&json).ok(), Some(i), "{json:?}");
    }
}

/// OCI image configurations: `to_json` reads back equal.
pub fn oci_config(data: &[u8]) {
    if let Ok(c) = Config::from_json(data) {
        let json = c.to_json();
        assert_eq!(Config::from_json(&json).ok(), Some(c), "{json:?}");
    }
}

/// Image references (`registry/repo:tag@digest`); `Display` parses to the same reference.
pub fn oci_reference(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(r) = Reference::from_str(text) {
        let shown = r.to_string();
        assert_eq!(Reference::from_str(&shown).ok(), Some(r), "{shown:?}");
    }
}

/// cosign public keys, PEM and DER; `to_der` reads back equal.
pub fn cosign_public_key(data: &[u8]) {
    for key in [
        CosignPublicKey::from_pem(data),
        CosignPublicKey::from_der(data),
    ]
    .into_iter()
    .flatten()
    {
        let der = key.to_der().to_vec();
        let back = CosignPublicKey::from_der(&der).ok();
        assert_eq!(back.as_ref().map(CosignPublicKey::to_der), Some(&der[..]));
    }
}

/// cosign private keys: PKCS#8 and encrypted (scrypt + secretbox) PEM files.
pub fn cosign_private_key(data: &[u8]) {
    let passphrase = Passphrase::new("fuzz");
    let _ = CosignKey::from_pem(data, Some(&passphrase));
    let _ = CosignKey::from_pem(data, None);
}

/// OpenPGP public keys (armored or binary), as a verifier loads them.
pub fn openpgp_keys(data: &[u8]) {
    if let Ok(verifier) = OpenPgpVerifier::from_keys(data) {
        let _ = verifier.keys();
    }
}

/// OpenPGP signatures (armored, binary, cleartext) checked by a verifier that holds
/// [`OPENPGP_KEY`], over the data `fuzz`.
pub fn openpgp_signature(data: &[u8]) {
    static VERIFIER: OnceLock<OpenPgpVerifier> = OnceLock::new();
    let verifier = VERIFIER.get_or_init(|| {
        OpenPgpVerifier::from_keys(OPENPGP_KEY.as_bytes()).expect("the fixed OpenPGP key loads")
    });
    for format in [
        SignatureFormat::OpenPgpArmored,
        SignatureFormat::OpenPgpBinary,
        SignatureFormat::OpenPgpCleartext,
    ] {
        let signature = Signature::new(format, data.to_vec(), material());
        let _ = verifier.verify(&mut &b"fuzz"[..], &signature);
    }
}

/// DSSE envelopes: `to_json` reads back equal.
pub fn dsse_envelope(data: &[u8]) {
    if let Ok(e) = Envelope::from_json(data) {
        let json = e.to_json();
        assert_eq!(
            Envelope::from_json(json.as_bytes()).ok(),
            Some(e),
            "{json:?}"
        );
    }
}

/// Sigstore bundles: `to_json` reads back equal.
pub fn sigstore_bundle(data: &[u8]) {
    if let Ok(b) = Bundle::from_json(data) {
        let json = b.to_json();
        assert_eq!(Bundle::from_json(json.as_bytes()).ok(), Some(b), "{json:?}");
    }
}

/// in-toto statements (the payload of attestations): `to_json` reads back equal.
pub fn intoto_statement(data: &[u8]) {
    if let Ok(s) = Statement::from_json(data) {
        let json = s.to_json();
        assert_eq!(
            Statement::from_json(json.as_bytes()).ok(),
            Some(s),
            "{json:?}"
        );
    }
}

/// cosign simple-signing payloads: `to_json` reads back equal.
pub fn simple_signing(data: &[u8]) {
    if let Ok(s) = SimpleSigning::from_json(data) {
        let json = s.to_json();
        assert_eq!(
            SimpleSigning::from_json(json.as_bytes()).ok(),
            Some(s),
            "{json:?}"
        );
    }
}

/// Debian versions (`epoch:upstream-revision`); `Display` parses to the same version.
pub fn deb_version(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(v) = DebVersion::from_str(text) {
        let shown = v.to_string();
        assert_eq!(DebVersion::from_str(&shown).ok(), Some(v), "{shown:?}");
    }
}

/// Debian relation fields (`Depends:` lists with alternatives); each relation's `Display`
/// parses to the same relation.
pub fn deb_relations(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(r) = Relation::from_str(text) {
        let shown = r.to_string();
        assert_eq!(Relation::from_str(&shown).ok(), Some(r), "{shown:?}");
    }
    if let Ok(list) = Relation::parse_list(text) {
        for r in list {
            let shown = r.to_string();
            assert_eq!(Relation::from_str(&shown).ok(), Some(r), "{shown:?}");
        }
    }
}

/// `.deb` files (ar archives) read by the origin-signature check. The reader takes a path:
/// the bytes go to a temporary file, and the verifier accepts any signature it is handed so
/// that the whole reading path runs.
pub fn deb_origin(data: &[u8]) {
    struct AcceptAll;
    impl Verifier for AcceptAll {
        fn verify(
            &self,
            data: &mut dyn std::io::Read,
            _signature: &Signature,
        ) -> Result<Verified, SignError> {
            std::io::copy(data, &mut std::io::sink())
                .map_err(|e| SignError::io("read", "signed data", e))?;
            Ok(Verified::new(KeyId::new("00"), None))
        }
    }
    let mut file = tempfile::NamedTempFile::new().expect("a temporary file");
    file.write_all(data).expect("write the temporary file");
    let _ = consign_package::deb::verify_origin(file.path(), &AcceptAll);
}

/// `WWW-Authenticate` values: a parsed challenge writes back (`Display`) to a header that
/// parses to the same challenge; and realm, service and scope taken from the input (split at
/// NUL bytes), quoted into a header in two parameter orders, are what the parser reads back.
pub fn www_authenticate(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Some(c) = Challenge::parse(text) {
        let shown = c.to_string();
        assert_eq!(Challenge::parse(&shown), Some(c), "{shown:?}");
    }
    let mut parts = text.splitn(3, '\0');
    let (realm, service, scope) = (
        parts.next().unwrap_or_default(),
        parts.next().unwrap_or_default(),
        parts.next().unwrap_or_default(),
    );
    let q = |v: &str| v.replace('\\', "\\\\").replace('"', "\\\"");
    let want = Some(Challenge::Bearer {
        realm: realm.to_owned(),
        service: Some(service.to_owned()),
        scope: Some(scope.to_owned()),
    });
    for header in [
        format!(
            r#"Bearer realm="{}",service="{}",scope="{}""#,
            q(realm),
            q(service),
            q(scope)
        ),
        format!(
            r#"bearer  scope="{}", Service="{}" ,REALM="{}""#,
            q(scope),
            q(service),
            q(realm)
        ),
    ] {
        assert_eq!(Challenge::parse(&header), want, "{header:?}");
    }
}

/// `Link` values: a found next page is a URL that reads back equal; a target taken from the
/// input (without `>`), after a `prev` link, is found and resolved against the current page.
pub fn link_header(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let current =
        Url::parse("https://registry.example/v2/acme/tool/tags/list?n=100").expect("a fixed URL");
    if let Some(next) = next_link(text, &current) {
        assert_eq!(Url::parse(next.as_str()).ok(), Some(next));
    }
    let target = text.replace('>', "");
    let header = format!(r#"</v2/acme/tool/tags/list?n=100>; rel="prev", <{target}>; rel="next""#);
    assert_eq!(
        next_link(&header, &current),
        current.join(target.trim()).ok(),
        "{header:?}"
    );
}

/// `Retry-After` values: what parses writes back (`Display`) to the same value, and the
/// client's delay for it never exceeds the retry deadline (nor falls below its own backoff).
pub fn retry_after(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Some(r) = RetryAfter::parse(text) else {
        return;
    };
    let shown = r.to_string();
    assert_eq!(RetryAfter::parse(&shown), Some(r), "{shown:?}");
    let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    let wait = r.wait(now);
    let (max_delay, deadline) = (Duration::from_secs(10), Duration::from_secs(120));
    let policy = RetryPolicy::default()
        .max_delay(max_delay)
        .deadline(deadline);
    for retry in [0, 1, 5, 31, u32::MAX] {
        let delay = policy.delay(retry, Some(wait));
        assert!(delay <= deadline.max(max_delay), "{delay:?} for {text:?}");
        assert!(delay >= policy.delay(retry, None), "{delay:?} for {text:?}");
        assert!(delay >= wait.min(deadline), "{delay:?} for {text:?}");
    }
}

/// Docker `config.json` files: for each registry the file names and a few others, the answer
/// is the same twice, asks at most one credential helper, never shows a password in `Debug`,
/// and, when no helper was asked, equals what reading the same bytes from a file gives.
pub fn docker_config(data: &[u8]) {
    let Ok(config) = DockerConfig::from_json(data) else {
        return;
    };
    let mut registries: Vec<String> = config.registries().map(str::to_owned).collect();
    registries.extend(["docker.io", "index.docker.io", "127.0.0.1:5000"].map(String::from));
    let shown = |r: &Result<Credentials, consign_oci::Error>| match r {
        Ok(c) => format!("{c:?}"),
        Err(e) => format!("error: {e}"),
    };
    let mut file = None;
    for registry in registries {
        let mut asked = Vec::new();
        let first = config.credentials_with(&registry, &mut |helper| {
            asked.push(helper.to_owned());
            Ok(Credentials::Anonymous)
        });
        let second = config.credentials_with(&registry, &mut |_| Ok(Credentials::Anonymous));
        assert_eq!(shown(&first), shown(&second), "{registry}");
        assert!(asked.len() <= 1, "{registry}: asked {asked:?}");
        if let Ok(Credentials::Basic { username, .. }) = &first {
            let redacted = format!("Basic {{ username: {username:?}, password: \"<redacted>\" }}");
            assert_eq!(shown(&first), redacted);
        }
        if asked.is_empty() {
            let file = file.get_or_insert_with(|| {
                let mut f = tempfile::NamedTempFile::new().expect("a temporary file");
                f.write_all(data).expect("write the temporary file");
                f
            });
            let from_file = Credentials::from_docker_config_file(file.path(), &registry);
            assert_eq!(
                shown(&first).replace("(JSON)", ""),
                shown(&from_file).replace(&file.path().display().to_string(), ""),
                "{registry}"
            );
        }
    }
}

/// `Cargo.lock` files: parsing is deterministic, checksums are SHA-256, and each package's
/// resolved dependencies are in range, one per entry, and carry the entry's name.
pub fn cargo_lock(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(lock) = LockFile::parse(text) else {
        return;
    };
    assert_eq!(LockFile::parse(text).ok().as_ref(), Some(&lock));
    let packages = lock.packages();
    for (i, p) in packages.iter().enumerate() {
        if let Some(sum) = p.checksum {
            assert_eq!(sum.algorithm(), consign_core::Algorithm::Sha256);
        }
        if let Some(deps) = lock.dependencies(i) {
            assert_eq!(deps.len(), p.dependencies.len());
            for (&j, entry) in deps.iter().zip(&p.dependencies) {
                assert!(j < packages.len());
                assert_eq!(entry.split(' ').next(), Some(packages[j].name.as_str()));
            }
        }
    }
    assert_eq!(lock.dependencies(packages.len()), None);
}

/// `.rpm` files: what reads has every value decode to its entry's count, a checked header
/// digest equal to the header's SHA-256, and a payload that is exactly the bytes after the
/// main header; reading headers and payload in two steps gives the same package.
pub fn rpm_reader(data: &[u8]) {
    let whole = RpmPackage::read(data);
    let mut rest = data;
    let Ok(headers) = RpmHeaders::read(&mut rest) else {
        assert!(whole.is_err());
        return;
    };
    let payload = headers.check_payload(rest);
    assert_eq!(
        whole.as_ref().ok().map(|p| &p.payload),
        payload.as_ref().ok()
    );
    for h in [headers.signature(), headers.header()] {
        for (entry, value) in h.values() {
            let n = match value {
                TagValue::Char(v) | TagValue::Int8(v) | TagValue::Bin(v) => v.len(),
                TagValue::Int16(v) => v.len(),
                TagValue::Int32(v) => v.len(),
                TagValue::Int64(v) => v.len(),
                TagValue::String(_) => 1,
                TagValue::StringArray(v) | TagValue::I18nString(v) => v.len(),
                _ => continue,
            };
            assert_eq!(n, entry.count as usize, "tag {}", entry.tag);
        }
    }
    if let Some(d) = headers.header_sha256() {
        let actual =
            consign_core::Digest::of(consign_core::Algorithm::Sha256, headers.header().as_bytes());
        assert_eq!(*d, actual);
    }
    if let Ok(payload) = payload {
        let sig = headers.signature().as_bytes().len();
        let before = 96 + sig.next_multiple_of(8) + headers.header().as_bytes().len();
        assert_eq!(payload.written.size as usize, data.len() - before);
        assert_eq!(
            payload.written.sha256().copied(),
            Some(consign_core::Digest::of(
                consign_core::Algorithm::Sha256,
                &data[before..]
            ))
        );
    }
}

fn material() -> VerificationMaterial {
    VerificationMaterial::PublicKey {
        hint: KeyId::new("96F9BC09838AAFC02E3834142182DACC0452C374"),
    }
}

/// An Ed25519 key made by `gpg --quick-gen-key` for the seeds of `openpgp_signature`.
const OPENPGP_KEY: &str = "-----BEGIN PGP PUBLIC KEY BLOCK-----

mDMEaw/PtBYJKwYBBAHaRw8BAQdAQa0hdxrKNtGX63CYNae4L4MmP9zPv+guiqrZ
oesc6Te0IEZ1enogU2VlZCA8ZnV6ekBjb25zaWduLmludmFsaWQ+iJAEExYIADgW
IQSW+bwJg4qvwC44NBQhgtrMBFLDdAUCaw/PtAIbAwULCQgHAgYVCgkICwIEFgID
AQIeAQIXgAAKCRAhgtrMBFLDdKA7AQDosPsFYn1FJAsctvtbzRL03ToyUhXnKA3D
JnLK7b+gNgD/cCV6AiLWFerkfMiNmsUS21P8EKABK8Bx4VUtdddtEQ4=
=WY6D
-----END PGP PUBLIC KEY BLOCK-----
";
