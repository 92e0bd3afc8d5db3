//! Parsers of outside input never panic and never accept what they cannot vouch for: keys,
//! signatures, bundles, envelopes, statements and simple-signing payloads, fed arbitrary bytes
//! and single-byte mutations of valid documents.

// Test code: an unwrap that fails is a failing test.
#![allow(clippy::unwrap_used)]

use std::sync::OnceLock;

use consign_core::{Algorithm, Digest};
use consign_sign::attest::{Envelope, Statement, Subject, read_jsonl};
use consign_sign::cosign::{
    Bundle, CosignKey, CosignPublicKey, CosignSigner, CosignVerifier, Passphrase, SimpleSigning,
};
use consign_sign::{Signature, SignatureFormat, Signer, VerificationMaterial, Verifier};
use proptest::prelude::*;

const DATA: &[u8] = b"the signed artifact";

struct Fixture {
    verifier: CosignVerifier,
    public_pem: String,
    signature: Signature,
    bundle: String,
    envelope: String,
    payload: Vec<u8>,
    payload_sig: Signature,
}

fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let key = CosignKey::generate().unwrap();
        let verifier = CosignVerifier::new(key.public_key().clone());
        let public_pem = key.public_key().to_pem();
        let signer = CosignSigner::new(key, "k");
        let signature = signer
            .sign(&mut &DATA[..], SignatureFormat::CosignBlob)
            .unwrap();
        let digest = Digest::of(Algorithm::Sha256, DATA);
        let bundle = Bundle::message_signature(&digest, &signature)
            .unwrap()
            .to_json();
        let statement = Statement::from_parts(
            vec![Subject::new("a", &digest)],
            "https://example.com/p",
            serde_json::json!({"k": "v"}),
        )
        .unwrap();
        let envelope = Envelope::sign_statement(&statement, &signer)
            .unwrap()
            .to_json();
        let (payload, payload_sig) = SimpleSigning::new("r.example/app", digest)
            .sign(&signer)
            .unwrap();
        Fixture {
            verifier,
            public_pem,
            signature,
            bundle,
            envelope,
            payload,
            payload_sig,
        }
    })
}

fn mutate(bytes: &[u8], at: usize, xor: u8) -> Vec<u8> {
    let mut out = bytes.to_vec();
    let i = at % out.len();
    out[i] ^= xor;
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let f = fixture();
        let _ = CosignKey::from_pem(&bytes, Some(&Passphrase::new("")));
        let _ = CosignPublicKey::from_pem(&bytes);
        let _ = CosignPublicKey::from_der(&bytes);
        let _ = Bundle::from_json(&bytes);
        let _ = Envelope::from_json(&bytes);
        let _ = Statement::from_json(&bytes);
        let _ = SimpleSigning::from_json(&bytes);
        let _: Vec<_> = read_jsonl(&bytes[..]).collect();
        let sig = Signature::new(
            SignatureFormat::CosignBlob,
            bytes.clone(),
            VerificationMaterial::PublicKey { hint: f.signature_hint() },
        );
        prop_assert!(f.verifier.verify(&mut &DATA[..], &sig).is_err());
    }

    #[test]
    fn a_flipped_bit_in_a_signed_document_is_never_accepted(at in any::<usize>(), bit in 0u8..8) {
        let f = fixture();
        let xor = 1u8 << bit;

        let sig = Signature::new(
            SignatureFormat::CosignBlob,
            mutate(f.signature.bytes(), at, xor),
            f.signature.material().clone(),
        );
        prop_assert!(f.verifier.verify(&mut &DATA[..], &sig).is_err());

        // A mutation that reads back as the same bundle (a hint's letter case) changes nothing.
        if let Ok(bundle) = Bundle::from_json(&mutate(f.bundle.as_bytes(), at, xor))
            && bundle.to_json() != f.bundle
        {
            prop_assert!(bundle.verify(&f.verifier, &mut &DATA[..]).is_err());
        }
        if let Ok(env) = Envelope::from_json(&mutate(f.envelope.as_bytes(), at, xor)) {
            let original = Envelope::from_json(f.envelope.as_bytes()).unwrap();
            // DSSE does not sign the keyid (an unauthenticated hint, compared case-blind).
            let signed_part = |e: &Envelope| {
                (e.payload_type().to_owned(), e.payload().to_vec(),
                 e.signatures().iter().map(|s| s.sig.clone()).collect::<Vec<_>>())
            };
            if signed_part(&env) != signed_part(&original) {
                prop_assert!(env.verify(&f.verifier).is_err(), "{}", env.to_json());
            }
        }
        let payload = mutate(&f.payload, at, xor);
        prop_assert!(SimpleSigning::verify(&payload, &f.payload_sig, &f.verifier).is_err());
    }

    #[test]
    fn mutated_public_keys_are_refused_or_are_another_key(at in any::<usize>(), bit in 0u8..8) {
        let f = fixture();
        let pem = mutate(f.public_pem.as_bytes(), at, 1 << bit);
        if let Ok(key) = CosignPublicKey::from_pem(&pem)
            && key.to_pem() != f.public_pem
        {
            let verifier = CosignVerifier::new(key);
            let sig = Signature::new(
                SignatureFormat::CosignBlob,
                f.signature.bytes().to_vec(),
                VerificationMaterial::PublicKey { hint: verifier.public_key().id().clone() },
            );
            prop_assert!(verifier.verify(&mut &DATA[..], &sig).is_err());
        }
    }
}

impl Fixture {
    fn signature_hint(&self) -> consign_sign::KeyId {
        match self.signature.material() {
            VerificationMaterial::PublicKey { hint } => hint.clone(),
            other => panic!("unexpected material {other:?}"),
        }
    }
}
