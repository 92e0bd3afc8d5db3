//! The OpenPGP verifier reads outside input: whatever it is given, it returns an error or a
//! verdict and never panics.
#![allow(clippy::unwrap_used)]

use std::sync::OnceLock;

use consign_core::SourceDate;
use consign_sign::openpgp::{OpenPgpKey, OpenPgpSigner, OpenPgpVerifier, Passphrase};
use consign_sign::{
    KeyAlgorithm, KeyId, Signature, SignatureFormat, Signer, VerificationMaterial, Verifier,
};
use proptest::prelude::*;

struct Fixture {
    verifier: OpenPgpVerifier,
    document: Vec<u8>,
}

fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let date = SourceDate::from_unix(1_700_000_000);
        let key =
            OpenPgpKey::generate("P <p@consign.invalid>", KeyAlgorithm::Ed25519, date).unwrap();
        let signer =
            OpenPgpSigner::from_armored(key.secret_armored(), &Passphrase::none(), date).unwrap();
        let document = signer
            .sign(
                &mut &b"Origin: x\n- y\n"[..],
                SignatureFormat::OpenPgpCleartext,
            )
            .unwrap()
            .bytes()
            .to_vec();
        Fixture {
            verifier: OpenPgpVerifier::from_keys(key.public_armored()).unwrap(),
            document,
        }
    })
}

fn verify(format: SignatureFormat, bytes: Vec<u8>) -> bool {
    let sig = Signature::new(
        format,
        bytes,
        VerificationMaterial::PublicKey {
            hint: KeyId::new(""),
        },
    );
    fixture().verifier.verify(&mut &b"data"[..], &sig).is_ok()
}

#[test]
fn the_fixture_verifies() {
    assert!(verify(
        SignatureFormat::OpenPgpCleartext,
        fixture().document.clone()
    ));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        for format in [SignatureFormat::OpenPgpCleartext, SignatureFormat::OpenPgpArmored, SignatureFormat::OpenPgpBinary] {
            verify(format, bytes.clone());
        }
    }

    #[test]
    fn framed_garbage_never_panics(
        body in "[-a-zA-Z :\\t\\r\\n]{0,200}",
        tail in proptest::collection::vec(any::<u8>(), 0..400),
    ) {
        let mut doc = b"-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\n".to_vec();
        doc.extend_from_slice(body.as_bytes());
        doc.extend_from_slice(b"\n-----BEGIN PGP SIGNATURE-----\n\n");
        doc.extend_from_slice(&tail);
        prop_assert!(!verify(SignatureFormat::OpenPgpCleartext, doc));
    }

    #[test]
    fn mutated_documents_never_panic_and_truncated_ones_never_verify(at in any::<prop::sample::Index>(), byte in any::<u8>(), cut in any::<prop::sample::Index>()) {
        let mut doc = fixture().document.clone();
        let i = at.index(doc.len());
        doc[i] = byte;
        // A changed byte may fall on whitespace the framework ignores, so the verdict is
        // free; what counts is that there is one.
        verify(SignatureFormat::OpenPgpCleartext, doc);
        // Cut before the END line: the signature block is incomplete.
        let len = cut.index(fixture().document.len() - 40);
        prop_assert!(!verify(SignatureFormat::OpenPgpCleartext, fixture().document[..len].to_vec()));
    }
}
