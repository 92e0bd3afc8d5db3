//! Release keys and signed packages for the signing tests: an OpenPGP key generated for the
//! test, a small package's files and metadata, and a writer run that returns the bytes.

use std::path::Path;

use consign::core::{ArtifactWriter, Entry, FileTree, PackageMeta, SourceDate, WriteReport};
use consign::sign::KeyAlgorithm;
use consign::sign::openpgp::{OpenPgpKey, OpenPgpSigner, Passphrase};

/// The source date of the signing tests.
pub const DATE: u64 = 1_700_000_000;

/// [`DATE`] as a `SourceDate`.
pub fn date() -> SourceDate {
    SourceDate::from_unix(DATE)
}

/// A key of `algorithm` for the user id `uid`, made for the test, and a signer dated [`DATE`].
pub fn signing_key(uid: &str, algorithm: KeyAlgorithm) -> (OpenPgpKey, OpenPgpSigner) {
    let key = OpenPgpKey::generate(uid, algorithm, date()).expect("generate a key");
    let signer = OpenPgpSigner::from_armored(key.secret_armored(), &Passphrase::none(), date())
        .expect("a signer from the generated key");
    (key, signer)
}

/// The files and metadata of the package `consign-signed` 1.0.0: one text file of
/// `greeting_lines` lines, described by `description` (summary, newline, extended text).
pub struct Inputs {
    pub tree: FileTree,
    pub meta: PackageMeta,
}

impl Inputs {
    pub fn new(greeting_lines: usize, description: &str) -> Inputs {
        let mut tree = FileTree::new();
        tree.insert(
            "usr/share/consign-signed/greeting.txt",
            Entry::bytes(b"hello, signed world\n".repeat(greeting_lines)),
        )
        .expect("insert the greeting");
        let meta = PackageMeta::new("consign-signed", "1.0.0")
            .expect("valid name and version")
            .description(description)
            .license("MIT")
            .homepage("https://consign.invalid/")
            .maintainer("Consign Test <test@consign.invalid>");
        Inputs { tree, meta }
    }
}

/// Writes `writer` to `path` and returns the bytes, checking the reported size against them.
pub fn write_package<W: ArtifactWriter>(writer: &W, path: &Path) -> Vec<u8>
where
    W::Error: std::fmt::Debug,
{
    let report = writer.write_to_path(path).expect("write the package");
    let bytes = std::fs::read(path).expect("read the package back");
    assert_eq!(report.written().size, bytes.len() as u64);
    bytes
}
