//! Typed content digests: [`Algorithm`] and [`Digest`].
//!
//! A digest is parsed once from its `algorithm:hex` text and carried as a value; `Display` gives
//! the same text back and serde uses that text, so JSON documents (release manifests, OCI
//! descriptors, SBOMs) hold the usual `sha256:…` strings.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::DigestError;

/// A hash algorithm consign computes.
///
/// ```
/// use consign_core::Algorithm;
/// let a: Algorithm = "sha512".parse()?;
/// assert_eq!(a, Algorithm::Sha512);
/// assert_eq!(a.output_len(), 64);
/// assert_eq!(a.to_string(), "sha512");
/// # Ok::<(), consign_core::DigestError>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Algorithm {
    /// SHA-256 (FIPS 180-4); the digest of OCI blobs and `SHA256SUMS`.
    Sha256,
    /// SHA-512 (FIPS 180-4); `SHA512SUMS`.
    Sha512,
    /// BLAKE3 with its default 32-byte output.
    Blake3,
}

impl Algorithm {
    /// Every algorithm, in a fixed order.
    pub const ALL: [Algorithm; 3] = [Algorithm::Sha256, Algorithm::Sha512, Algorithm::Blake3];

    /// The lowercase name used in `name:hex` digests (`sha256`).
    pub fn name(self) -> &'static str {
        match self {
            Algorithm::Sha256 => "sha256",
            Algorithm::Sha512 => "sha512",
            Algorithm::Blake3 => "blake3",
        }
    }

    /// The tag used by BSD-style checksum files (`SHA256 (file) = …`).
    pub fn bsd_tag(self) -> &'static str {
        match self {
            Algorithm::Sha256 => "SHA256",
            Algorithm::Sha512 => "SHA512",
            Algorithm::Blake3 => "BLAKE3",
        }
    }

    /// The conventional checksum file name for this algorithm (`SHA256SUMS`).
    pub fn sums_file_name(self) -> &'static str {
        match self {
            Algorithm::Sha256 => "SHA256SUMS",
            Algorithm::Sha512 => "SHA512SUMS",
            Algorithm::Blake3 => "B3SUMS",
        }
    }

    /// Length of the raw digest in bytes.
    pub fn output_len(self) -> usize {
        match self {
            Algorithm::Sha256 | Algorithm::Blake3 => 32,
            Algorithm::Sha512 => 64,
        }
    }

    /// Parses a BSD tag (`SHA256`, case-insensitive, `SHA2-256` accepted).
    pub fn from_bsd_tag(tag: &str) -> Option<Algorithm> {
        match tag.to_ascii_uppercase().as_str() {
            "SHA256" | "SHA2-256" => Some(Algorithm::Sha256),
            "SHA512" | "SHA2-512" => Some(Algorithm::Sha512),
            "BLAKE3" => Some(Algorithm::Blake3),
            _ => None,
        }
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Algorithm {
    type Err = DigestError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Algorithm::ALL
            .into_iter()
            .find(|a| a.name() == s)
            .ok_or_else(|| DigestError::UnknownAlgorithm { name: s.to_owned() })
    }
}

const MAX_LEN: usize = 64;

/// A digest: an [`Algorithm`] and the raw bytes it produced.
///
/// `Digest` is `Copy`, compares by value, and round-trips through its `algorithm:hex` text.
///
/// ```
/// use consign_core::{Algorithm, Digest};
/// let d = Digest::of(Algorithm::Sha256, b"");
/// assert_eq!(
///     d.to_string(),
///     "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
/// );
/// let parsed: Digest = d.to_string().parse()?;
/// assert_eq!(parsed, d);
/// # Ok::<(), consign_core::DigestError>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Digest {
    algorithm: Algorithm,
    bytes: [u8; MAX_LEN],
}

impl Digest {
    /// Builds a digest from raw bytes, checking their length against the algorithm.
    pub fn from_bytes(algorithm: Algorithm, raw: &[u8]) -> Result<Digest, DigestError> {
        if raw.len() != algorithm.output_len() {
            return Err(DigestError::Length {
                algorithm,
                expected: algorithm.output_len() * 2,
                found: raw.len() * 2,
            });
        }
        let mut bytes = [0u8; MAX_LEN];
        bytes[..raw.len()].copy_from_slice(raw);
        Ok(Digest { algorithm, bytes })
    }

    /// Parses the hex part of a digest of a known algorithm (lowercase or uppercase hex).
    pub fn from_hex(algorithm: Algorithm, text: &str) -> Result<Digest, DigestError> {
        if text.len() != algorithm.output_len() * 2 {
            return Err(DigestError::Length {
                algorithm,
                expected: algorithm.output_len() * 2,
                found: text.len(),
            });
        }
        let mut bytes = [0u8; MAX_LEN];
        hex::decode_to_slice(text, &mut bytes[..algorithm.output_len()]).map_err(|_| {
            DigestError::Hex {
                text: text.to_owned(),
            }
        })?;
        Ok(Digest { algorithm, bytes })
    }

    /// Hashes a byte slice in memory.
    pub fn of(algorithm: Algorithm, data: &[u8]) -> Digest {
        let mut h = crate::hash::Hasher::new(algorithm);
        h.update(data);
        h.finish()
    }

    /// The algorithm that produced this digest.
    pub fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    /// The raw digest bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes[..self.algorithm.output_len()]
    }

    /// The digest as lowercase hex, without the algorithm prefix.
    pub fn hex(&self) -> String {
        hex::encode(self.as_bytes())
    }
}

impl fmt::Display for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.algorithm, self.hex())
    }
}

impl fmt::Debug for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Digest({self})")
    }
}

impl FromStr for Digest {
    type Err = DigestError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (alg, hex) = s
            .split_once(':')
            .ok_or_else(|| DigestError::MissingAlgorithm { text: s.to_owned() })?;
        let algorithm: Algorithm = alg.parse()?;
        if hex.bytes().any(|b| b.is_ascii_uppercase()) {
            // OCI and our own output use lowercase only; accepting both would make two texts
            // for one value.
            return Err(DigestError::Hex {
                text: hex.to_owned(),
            });
        }
        Digest::from_hex(algorithm, hex)
    }
}

impl Serialize for Digest {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Digest {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_vectors() {
        assert_eq!(
            Digest::of(Algorithm::Sha256, b"abc").hex(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(
            Digest::of(Algorithm::Sha512, b"abc").hex(),
            "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a\
             2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f"
        );
        assert_eq!(
            Digest::of(Algorithm::Blake3, b"").hex(),
            "af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262"
        );
    }

    #[test]
    fn parse_errors_are_typed() {
        assert!(matches!(
            "abc".parse::<Digest>(),
            Err(DigestError::MissingAlgorithm { .. })
        ));
        assert!(matches!(
            "md5:00".parse::<Digest>(),
            Err(DigestError::UnknownAlgorithm { .. })
        ));
        assert!(matches!(
            "sha256:00".parse::<Digest>(),
            Err(DigestError::Length {
                expected: 64,
                found: 2,
                ..
            })
        ));
        let upper = format!("sha256:{}", "A".repeat(64));
        assert!(matches!(
            upper.parse::<Digest>(),
            Err(DigestError::Hex { .. })
        ));
        let bad = format!("sha256:{}", "g".repeat(64));
        assert!(matches!(
            bad.parse::<Digest>(),
            Err(DigestError::Hex { .. })
        ));
    }

    #[test]
    fn serde_is_the_text_form() {
        let d = Digest::of(Algorithm::Sha256, b"x");
        let json = serde_json::to_string(&d).unwrap();
        assert_eq!(json, format!("\"{d}\""));
        let back: Digest = serde_json::from_str(&json).unwrap();
        assert_eq!(back, d);
    }
}
