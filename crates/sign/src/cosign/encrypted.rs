//! The encrypted container of a cosign private key: scrypt derives a key from the passphrase
//! and NaCl secretbox (XSalsa20-Poly1305) seals the PKCS#8 DER of the key. The PEM body is the
//! JSON document
//!
//! ```json
//! {"kdf":{"name":"scrypt","params":{"N":65536,"r":8,"p":1},"salt":"<base64>"},
//!  "cipher":{"name":"nacl/secretbox","nonce":"<base64>"},
//!  "ciphertext":"<base64>"}
//! ```
//!
//! as `go-securesystemslib/encrypted` (used by cosign) writes it.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use crypto_secretbox::aead::{Aead, KeyInit};
use crypto_secretbox::{Key, Nonce, XSalsa20Poly1305};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use super::key::Passphrase;
use crate::Error;

const KDF_NAME: &str = "scrypt";
const CIPHER_NAME: &str = "nacl/secretbox";
/// cosign's (go-securesystemslib's "standard") scrypt cost: N = 2^16, r = 8, p = 1.
const WRITE_LOG_N: u8 = 16;
const SCRYPT_R: u32 = 8;
const SCRYPT_P: u32 = 1;
/// The costs go-securesystemslib writes (legacy 2^15, standard 2^16, OWASP 2^17); anything
/// else is refused rather than letting a key file ask for gigabytes of memory.
const ACCEPTED_LOG_N: std::ops::RangeInclusive<u8> = 15..=17;
const SALT_LEN: usize = 32;
const NONCE_LEN: usize = 24;
const KEY_LEN: usize = 32;

#[derive(Serialize, Deserialize)]
struct Sealed {
    kdf: Kdf,
    cipher: Cipher,
    #[serde(with = "b64")]
    ciphertext: Vec<u8>,
}

#[derive(Serialize, Deserialize)]
struct Kdf {
    name: String,
    params: ScryptParams,
    #[serde(with = "b64")]
    salt: Vec<u8>,
}

#[derive(Serialize, Deserialize)]
struct ScryptParams {
    #[serde(rename = "N")]
    n: u64,
    r: u32,
    p: u32,
}

#[derive(Serialize, Deserialize)]
struct Cipher {
    name: String,
    #[serde(with = "b64")]
    nonce: Vec<u8>,
}

mod b64 {
    use base64::Engine as _;
    use base64::engine::general_purpose::STANDARD as BASE64;
    use serde::{Deserialize, Deserializer, Serializer};

    pub(super) fn serialize<S: Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&BASE64.encode(bytes))
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let text = <&str>::deserialize(d)?;
        BASE64.decode(text).map_err(serde::de::Error::custom)
    }
}

/// Seals `plaintext` (a PKCS#8 DER private key) under `passphrase`; returns the JSON body.
pub(super) fn seal(plaintext: &[u8], passphrase: &Passphrase) -> Result<Vec<u8>, Error> {
    let mut salt = vec![0u8; SALT_LEN];
    let mut nonce = vec![0u8; NONCE_LEN];
    random(&mut salt)?;
    random(&mut nonce)?;
    let key = derive(passphrase, &salt, WRITE_LOG_N, SCRYPT_R, SCRYPT_P)?;
    let cipher = XSalsa20Poly1305::new(&key_from(&key));
    let ciphertext = cipher
        .encrypt(&nonce_from(&nonce)?, plaintext)
        .map_err(|_| Error::malformed("cosign private key", "secretbox sealing failed"))?;
    let sealed = Sealed {
        kdf: Kdf {
            name: KDF_NAME.to_owned(),
            params: ScryptParams {
                n: 1 << WRITE_LOG_N,
                r: SCRYPT_R,
                p: SCRYPT_P,
            },
            salt,
        },
        cipher: Cipher {
            name: CIPHER_NAME.to_owned(),
            nonce,
        },
        ciphertext,
    };
    serde_json::to_vec(&sealed).map_err(|e| Error::malformed("cosign private key", e))
}

/// Opens the JSON body of an encrypted cosign key; returns the PKCS#8 DER.
pub(super) fn open(
    body: &[u8],
    passphrase: &Passphrase,
    what: &str,
) -> Result<Zeroizing<Vec<u8>>, Error> {
    let sealed: Sealed = serde_json::from_slice(body)
        .map_err(|e| Error::malformed(what, format_args!("the encrypted key JSON: {e}")))?;
    if sealed.kdf.name != KDF_NAME {
        return Err(Error::malformed(
            what,
            format_args!(
                "key derivation {:?}; only scrypt is used by cosign",
                sealed.kdf.name
            ),
        ));
    }
    if sealed.cipher.name != CIPHER_NAME {
        return Err(Error::malformed(
            what,
            format_args!(
                "cipher {:?}; only nacl/secretbox is used by cosign",
                sealed.cipher.name
            ),
        ));
    }
    let ScryptParams { n, r, p } = sealed.kdf.params;
    let log_n = if n.is_power_of_two() {
        u8::try_from(n.trailing_zeros()).ok()
    } else {
        None
    };
    let log_n = match log_n {
        Some(l) if ACCEPTED_LOG_N.contains(&l) && r == SCRYPT_R && p == SCRYPT_P => l,
        _ => {
            return Err(Error::malformed(
                what,
                format_args!(
                    "scrypt parameters N={n} r={r} p={p}; accepted are N=2^15..2^17, r=8, p=1"
                ),
            ));
        }
    };
    let key = derive(passphrase, &sealed.kdf.salt, log_n, r, p)?;
    let cipher = XSalsa20Poly1305::new(&key_from(&key));
    let nonce = nonce_from(&sealed.cipher.nonce)
        .map_err(|_| Error::malformed(what, "the secretbox nonce is not 24 bytes"))?;
    cipher
        .decrypt(&nonce, sealed.ciphertext.as_slice())
        .map(Zeroizing::new)
        .map_err(|_| Error::WrongPassphrase {
            what: format!("cosign ({what})"),
        })
}

fn derive(
    passphrase: &Passphrase,
    salt: &[u8],
    log_n: u8,
    r: u32,
    p: u32,
) -> Result<Zeroizing<[u8; KEY_LEN]>, Error> {
    let params = scrypt::Params::new(log_n, r, p)
        .map_err(|e| Error::malformed("cosign private key", format_args!("scrypt: {e}")))?;
    let mut key = Zeroizing::new([0u8; KEY_LEN]);
    scrypt::scrypt(passphrase.as_bytes(), salt, &params, key.as_mut())
        .map_err(|e| Error::malformed("cosign private key", format_args!("scrypt: {e}")))?;
    Ok(key)
}

fn key_from(bytes: &[u8; KEY_LEN]) -> Key {
    Key::from(*bytes)
}

fn nonce_from(bytes: &[u8]) -> Result<Nonce, Error> {
    let array: [u8; NONCE_LEN] = bytes
        .try_into()
        .map_err(|_| Error::malformed("cosign private key", "the nonce is not 24 bytes"))?;
    Ok(Nonce::from(array))
}

/// Fills `buf` from the operating system's random number generator.
pub(crate) fn random(buf: &mut [u8]) -> Result<(), Error> {
    getrandom::fill(buf).map_err(|e| {
        Error::io(
            "read",
            "the system random number generator",
            std::io::Error::other(e.to_string()),
        )
    })
}

/// Base64 (standard alphabet, padded), as used throughout Sigstore's JSON.
pub(crate) fn base64_encode(bytes: &[u8]) -> String {
    BASE64.encode(bytes)
}

/// Decodes standard base64, ignoring surrounding whitespace.
pub(crate) fn base64_decode(text: &[u8], what: &str) -> Result<Vec<u8>, Error> {
    BASE64
        .decode(text.trim_ascii())
        .map_err(|e| Error::malformed(what, format_args!("invalid base64: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seal_then_open_round_trips_and_wrong_passphrase_fails() {
        let pass = Passphrase::new("correct horse");
        let body = seal(b"secret key bytes", &pass).unwrap();
        let text = String::from_utf8(body.clone()).unwrap();
        assert!(text.starts_with(r#"{"kdf":{"name":"scrypt","params":{"N":65536,"r":8,"p":1}"#));
        assert_eq!(&open(&body, &pass, "t").unwrap()[..], b"secret key bytes");
        let err = open(&body, &Passphrase::new("wrong"), "t").unwrap_err();
        assert!(matches!(err, Error::WrongPassphrase { .. }), "{err}");
    }

    #[test]
    fn refuses_costly_scrypt_parameters() {
        let body = br#"{"kdf":{"name":"scrypt","params":{"N":1073741824,"r":8,"p":1},"salt":"AAAA"},"cipher":{"name":"nacl/secretbox","nonce":"AAAA"},"ciphertext":"AAAA"}"#;
        let err = open(body, &Passphrase::new(""), "t").unwrap_err();
        assert!(matches!(err, Error::Malformed { .. }), "{err}");
    }
}
