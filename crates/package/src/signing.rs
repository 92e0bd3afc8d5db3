//! The signer a package writer holds: any [`Signer`] of the seam in consign-core that makes
//! binary OpenPGP signatures (cosign keys cannot sign packages and are refused with
//! [`SignError::UnsupportedFormat`]).

use std::fmt;
use std::io::Read;

use consign_core::{SignError, SignatureFormat, Signer};

/// A borrowed [`Signer`] that makes binary OpenPGP signatures, as rpm and debsigs store them.
#[derive(Clone, Copy)]
pub(crate) struct PackageSigner<'a>(pub(crate) &'a dyn Signer);

impl PackageSigner<'_> {
    /// A detached binary OpenPGP signature over everything `data` yields.
    pub(crate) fn binary(&self, data: &mut dyn Read) -> Result<Vec<u8>, SignError> {
        let format = SignatureFormat::OpenPgpBinary;
        if !self.0.formats().contains(&format) {
            return Err(SignError::UnsupportedFormat {
                backend: "this signer (packages need OpenPGP signatures)",
                format,
            });
        }
        Ok(self.0.sign(data, format)?.bytes().to_vec())
    }

    /// The signing key's algorithm (rpm stores RSA and other signatures under different tags).
    #[cfg(feature = "rpm")]
    pub(crate) fn algorithm(&self) -> consign_core::KeyAlgorithm {
        self.0.key().algorithm
    }
}

impl fmt::Debug for PackageSigner<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Signer").field(&self.0.key().id).finish()
    }
}
