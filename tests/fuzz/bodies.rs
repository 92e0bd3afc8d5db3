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

use consign_core::sign::{
    KeyId, SignError, Signature, SignatureFormat, VerificationMaterial, Verified, Verifier,
};
use consign_core::{Algorithm, ChecksumFile, Digest, Style};
use consign_oci::{Config, Index, Manifest, Reference};
use consign_package::deb::{DebVersion, Relation};
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
