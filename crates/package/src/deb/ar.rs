//! The `ar` container of a `.deb`: the global header, then one 60-byte header per member and
//! its data, padded to an even length. Each member's size is known before its data is
//! written, so members stream straight to the output. Headers are deterministic: mtime the
//! source date, uid and gid 0, mode 100644, names without the GNU `/` terminator (as
//! `dpkg-deb` writes them).

use std::io::{self, Write};

/// The global header.
pub(crate) const MAGIC: &[u8; 8] = b"!<arch>\n";

/// Writes `ar` members to `out`.
pub(crate) struct ArWriter<W> {
    out: W,
    mtime: u64,
}

impl<W: Write> ArWriter<W> {
    /// Writes the global header; members get `mtime` (seconds since the epoch).
    pub(crate) fn new(mut out: W, mtime: u64) -> io::Result<ArWriter<W>> {
        out.write_all(MAGIC)?;
        Ok(ArWriter { out, mtime })
    }

    /// Writes a member header for `size` bytes of data, then `data` (which must yield exactly
    /// `size` bytes) and the padding.
    pub(crate) fn member(
        &mut self,
        name: &str,
        size: u64,
        data: impl FnOnce(&mut W) -> io::Result<u64>,
    ) -> io::Result<()> {
        self.out.write_all(&header(name, self.mtime, size)?)?;
        let written = data(&mut self.out)?;
        if written != size {
            return Err(io::Error::other(format!(
                "ar member {name}: announced {size} bytes, wrote {written}"
            )));
        }
        if size % 2 == 1 {
            self.out.write_all(b"\n")?;
        }
        Ok(())
    }

    /// A member held in memory.
    pub(crate) fn member_bytes(&mut self, name: &str, bytes: &[u8]) -> io::Result<()> {
        self.member(name, bytes.len() as u64, |out| {
            out.write_all(bytes)?;
            Ok(bytes.len() as u64)
        })
    }

    /// The output.
    pub(crate) fn into_inner(self) -> W {
        self.out
    }
}

/// A 60-byte member header.
fn header(name: &str, mtime: u64, size: u64) -> io::Result<[u8; 60]> {
    let fields = [
        (name.to_owned(), 16),
        (mtime.to_string(), 12),
        ("0".to_owned(), 6),
        ("0".to_owned(), 6),
        ("100644".to_owned(), 8),
        (size.to_string(), 10),
    ];
    let mut h = [b' '; 60];
    let mut at = 0;
    for (text, width) in fields {
        if text.len() > width || (width == 16 && text.contains(['/', ' ', '\n'])) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("ar member field {text:?} does not fit in {width} bytes"),
            ));
        }
        h[at..at + text.len()].copy_from_slice(text.as_bytes());
        at += width;
    }
    h[58..60].copy_from_slice(b"`\n");
    Ok(h)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn framing() {
        let mut ar = ArWriter::new(Vec::new(), 1_700_000_000).unwrap();
        ar.member_bytes("debian-binary", b"2.0\n").unwrap();
        ar.member_bytes("data.tar.xz", b"odd").unwrap();
        let out = ar.into_inner();
        let want: Vec<u8> = [
            &b"!<arch>\n"[..],
            b"debian-binary   1700000000  0     0     100644  4         `\n2.0\n",
            b"data.tar.xz     1700000000  0     0     100644  3         `\nodd\n",
        ]
        .concat();
        assert_eq!(
            String::from_utf8_lossy(&out),
            String::from_utf8_lossy(&want)
        );
        assert_eq!(out.len() % 2, 0);
    }

    #[test]
    fn refuses_what_does_not_fit() {
        let mut ar = ArWriter::new(Vec::new(), 0).unwrap();
        assert!(ar.member_bytes("a-name-longer-than-16", b"").is_err());
        assert!(ar.member("x", 10_000_000_000, |_| Ok(0)).is_err());
        let mut ar = ArWriter::new(Vec::new(), 0).unwrap();
        assert!(ar.member("x", 5, |_| Ok(4)).is_err());
    }

    #[test]
    fn header_fields() {
        let mut ar = ArWriter::new(Vec::new(), 42).unwrap();
        ar.member_bytes("control.tar.zst", &[7u8; 1001]).unwrap();
        let out = ar.into_inner();
        let h = std::str::from_utf8(&out[8..68]).unwrap();
        let field = |a: usize, b: usize| h[a..b].trim_end();
        assert_eq!(field(0, 16), "control.tar.zst");
        assert_eq!(field(16, 28), "42");
        assert_eq!((field(28, 34), field(34, 40)), ("0", "0"));
        assert_eq!(field(40, 48), "100644");
        assert_eq!(field(48, 58), "1001");
        assert_eq!(out.len(), 8 + 60 + 1001 + 1);
    }
}
