//! [`Guid`]: the codes Windows Installer keys products, packages and components by, and
//! their derivation from content.
//!
//! Every code consign writes is derived, never random: the SHA-256 of a purpose and the
//! values it stands for, cut to 128 bits and marked as an RFC 9562 version 8 (name-based,
//! custom hash) UUID. The same inputs give the same codes, so the same package bytes; a
//! change to what a code stands for gives another code.
//!
//! | code | derived from |
//! |---|---|
//! | UpgradeCode | manufacturer, product name (stable across versions) |
//! | ProductCode | UpgradeCode, the full version text, architecture, install scope |
//! | component GUID | UpgradeCode, install scope, the key path's installed path (stable across versions) |
//! | package code (summary revision number) | ProductCode, every table row and the cabinets' content |

use std::fmt;
use std::str::FromStr;

use consign_core::{Algorithm, Digest};

/// A GUID as Windows Installer writes it: `{8F5B3E40-…}`, upper case, in braces.
///
/// ```
/// use consign_package::msi::Guid;
/// let g: Guid = "{12345678-9abc-def0-1234-56789abcdef0}".parse()?;
/// assert_eq!(g.to_string(), "{12345678-9ABC-DEF0-1234-56789ABCDEF0}");
/// assert_eq!("12345678-9ABC-DEF0-1234-56789ABCDEF0".parse::<Guid>()?, g);
/// assert!("{1234}".parse::<Guid>().is_err());
/// # Ok::<(), consign_package::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Guid([u8; 16]);

impl Guid {
    /// The GUID derived from `purpose` and `parts` (see the [module documentation](self)).
    pub(crate) fn derive(purpose: &str, parts: &[&[u8]]) -> Guid {
        let mut input = Vec::with_capacity(64);
        input.extend_from_slice(b"consign msi\0");
        input.extend_from_slice(purpose.as_bytes());
        for p in parts {
            input.push(0);
            input.extend_from_slice(&(p.len() as u64).to_le_bytes());
            input.extend_from_slice(p);
        }
        let d = Digest::of(Algorithm::Sha256, &input);
        let mut b = [0u8; 16];
        b.copy_from_slice(&d.as_bytes()[..16]);
        b[6] = (b[6] & 0x0f) | 0x80; // version 8
        b[8] = (b[8] & 0x3f) | 0x80; // RFC 9562 variant
        Guid(b)
    }

    /// The 16 bytes in the order of the text form (big-endian fields).
    pub fn as_bytes(&self) -> &[u8; 16] {
        &self.0
    }

    pub(crate) fn to_uuid(self) -> uuid::Uuid {
        uuid::Uuid::from_bytes(self.0)
    }
}

impl fmt::Display for Guid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let h = |r: std::ops::Range<usize>| -> String {
            self.0[r].iter().map(|b| format!("{b:02X}")).collect()
        };
        write!(
            f,
            "{{{}-{}-{}-{}-{}}}",
            h(0..4),
            h(4..6),
            h(6..8),
            h(8..10),
            h(10..16)
        )
    }
}

impl FromStr for Guid {
    type Err = crate::Error;

    /// Parses `{XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX}`, braces optional, any letter case.
    fn from_str(text: &str) -> Result<Guid, crate::Error> {
        let bad = || crate::Error::Invalid {
            field: "GUID",
            value: text.to_owned(),
            reason: "use {XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX} (hexadecimal digits)",
        };
        let inner = text
            .strip_prefix('{')
            .and_then(|t| t.strip_suffix('}'))
            .unwrap_or(text);
        let groups: Vec<&str> = inner.split('-').collect();
        let lengths: Vec<usize> = groups.iter().map(|g| g.len()).collect();
        if lengths != [8, 4, 4, 4, 12] {
            return Err(bad());
        }
        let hex: String = groups.concat();
        let mut b = [0u8; 16];
        for (i, byte) in b.iter_mut().enumerate() {
            *byte = hex
                .get(2 * i..2 * i + 2)
                .and_then(|p| u8::from_str_radix(p, 16).ok())
                .ok_or_else(bad)?;
        }
        Ok(Guid(b))
    }
}

impl From<Guid> for String {
    fn from(g: Guid) -> String {
        g.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derived_codes_are_stable_valid_and_distinct() {
        let a = Guid::derive("product", &[b"hello", b"1.0.0"]);
        assert_eq!(a, Guid::derive("product", &[b"hello", b"1.0.0"]));
        assert_ne!(a, Guid::derive("product", &[b"hello", b"1.0.1"]));
        // Part boundaries count: ("ab", "c") is not ("a", "bc").
        assert_ne!(
            Guid::derive("x", &[b"ab", b"c"]),
            Guid::derive("x", &[b"a", b"bc"])
        );
        assert_ne!(a, Guid::derive("component", &[b"hello", b"1.0.0"]));
        let text = a.to_string();
        assert_eq!(text.len(), 38);
        assert_eq!(&text[15..16], "8");
        assert_eq!(text.parse::<Guid>().expect("round trip"), a);
        assert_eq!(a.to_uuid().get_version_num(), 8);
        assert!(
            "{12345678-1234-1234-1234-12345678901G}"
                .parse::<Guid>()
                .is_err()
        );
        assert!("12345678123412341234123456789012".parse::<Guid>().is_err());
    }
}
