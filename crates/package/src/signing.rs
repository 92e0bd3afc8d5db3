//! The signer a package writer holds (feature `sign`).

use std::fmt;
use std::io::Read;

use consign_sign::{KeyAlgorithm, SignatureFormat, Signer};

/// A borrowed [`Signer`] that makes binary OpenPGP signatures, as rpm and debsigs store them.
#[derive(Clone, Copy)]
pub(crate) struct PackageSigner<'a>(pub(crate) &'a dyn Signer);

impl PackageSigner<'_> {
    /// A detached binary OpenPGP signature over everything `data` yields.
    pub(crate) fn binary(&self, data: &mut dyn Read) -> Result<Vec<u8>, consign_sign::Error> {
        let format = SignatureFormat::OpenPgpBinary;
        if !self.0.formats().contains(&format) {
            return Err(consign_sign::Error::UnsupportedFormat {
                backend: "this signer (packages need OpenPGP signatures)",
                format,
            });
        }
        Ok(self.0.sign(data, format)?.bytes().to_vec())
    }

    /// The signing key's algorithm.
    pub(crate) fn algorithm(&self) -> KeyAlgorithm {
        self.0.key().algorithm
    }
}

impl fmt::Debug for PackageSigner<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Signer").field(&self.0.key().id).finish()
    }
}
