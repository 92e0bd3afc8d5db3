//! The cleartext signature framework (RFC 9580, section 7): the `InRelease` layout.
//!
//! ```text
//! -----BEGIN PGP SIGNED MESSAGE-----
//! Hash: SHA256
//!
//! the text, each line starting with '-' escaped as "- -…"
//! -----BEGIN PGP SIGNATURE-----
//! …
//! -----END PGP SIGNATURE-----
//! ```
//!
//! The signed data is the text with its lines joined by CR LF, trailing spaces, tabs and
//! carriage returns removed from each line, and no line ending after the last line (so the
//! line break before the signature belongs to the framing, not to the text). Written here
//! rather than taken from rpgp because rpgp hashes trailing whitespace when signing (which gpg
//! then rejects) and rescans the whole text for every line when parsing.

use std::io::{self, BufRead, BufReader, Read};

use digest::DynDigest;
use pgp::crypto::hash::HashAlgorithm;

const BEGIN_SIGNED: &[u8] = b"-----BEGIN PGP SIGNED MESSAGE-----";
const BEGIN_SIGNATURE: &[u8] = b"-----BEGIN PGP SIGNATURE-----";

/// Writes the framing header and the dash-escaped text of `data` to `out`, feeding the
/// canonical signed text to `hasher`. The caller appends the armored signature.
pub(crate) fn write_signed_text(
    data: &mut dyn Read,
    hasher: &mut dyn DynDigest,
    hash: HashAlgorithm,
    out: &mut Vec<u8>,
) -> io::Result<()> {
    out.extend_from_slice(BEGIN_SIGNED);
    out.extend_from_slice(format!("\nHash: {hash}\n\n").as_bytes());
    let mut reader = BufReader::new(data);
    let mut line = Vec::new();
    let mut first = true;
    loop {
        line.clear();
        if reader.read_until(b'\n', &mut line)? == 0 {
            break;
        }
        let content = line.strip_suffix(b"\n").unwrap_or(&line);
        if content.starts_with(b"-") {
            out.extend_from_slice(b"- ");
        }
        out.extend_from_slice(content);
        out.push(b'\n');
        if !first {
            hasher.update(b"\r\n");
        }
        first = false;
        hasher.update(trim_end(content));
    }
    Ok(())
}

/// A parsed cleartext-signed document.
pub(crate) struct Parsed<'a> {
    /// The canonical signed text (what the signature covers).
    pub(crate) text: Vec<u8>,
    /// The digests the `Hash:` headers announce (empty when there are none).
    pub(crate) hashes: Vec<HashAlgorithm>,
    /// The armored signature block.
    pub(crate) armored: &'a [u8],
}

/// Splits a cleartext-signed document; the error says what is wrong with it.
pub(crate) fn parse(doc: &[u8]) -> Result<Parsed<'_>, String> {
    let mut lines = Lines { doc, pos: 0 };
    let first = loop {
        match lines.next() {
            None => return Err("no '-----BEGIN PGP SIGNED MESSAGE-----' line".to_string()),
            Some((_, l)) if trim_end(l).is_empty() => continue,
            Some((_, l)) => break l,
        }
    };
    if trim_end(first) != BEGIN_SIGNED {
        return Err("it does not start with '-----BEGIN PGP SIGNED MESSAGE-----'".to_string());
    }
    let mut hashes = Vec::new();
    loop {
        let Some((_, line)) = lines.next() else {
            return Err("truncated inside the armor headers".to_string());
        };
        let line = trim_end(line);
        if line.is_empty() {
            break;
        }
        let Some(names) = line.strip_prefix(b"Hash:") else {
            return Err(format!(
                "unexpected armor header {:?} (only 'Hash:' is allowed)",
                String::from_utf8_lossy(line)
            ));
        };
        let names = std::str::from_utf8(names).map_err(|_| "a Hash header is not text")?;
        for name in names.split(',') {
            let name = name.trim();
            let hash: HashAlgorithm = name
                .parse()
                .map_err(|_| format!("unknown digest {name:?} in the Hash header"))?;
            hashes.push(hash);
        }
    }
    let mut text = Vec::new();
    let mut first = true;
    let mut number = 0usize;
    let armored = loop {
        let Some((start, line)) = lines.next() else {
            return Err("truncated: no '-----BEGIN PGP SIGNATURE-----' line".to_string());
        };
        number += 1;
        if line.starts_with(BEGIN_SIGNATURE) {
            break &doc[start..];
        }
        let content = match line.strip_prefix(b"- ") {
            Some(rest) => rest,
            None if line.starts_with(b"-") => {
                return Err(format!(
                    "text line {number} starts with '-' but is not dash-escaped"
                ));
            }
            None => line,
        };
        if !first {
            text.extend_from_slice(b"\r\n");
        }
        first = false;
        text.extend_from_slice(trim_end(content));
    };
    Ok(Parsed {
        text,
        hashes,
        armored,
    })
}

/// `line` without trailing spaces, tabs and carriage returns.
fn trim_end(line: &[u8]) -> &[u8] {
    let end = line
        .iter()
        .rposition(|b| !matches!(b, b' ' | b'\t' | b'\r'))
        .map_or(0, |i| i + 1);
    &line[..end]
}

/// Lines of a document split at LF, each with its start offset.
struct Lines<'a> {
    doc: &'a [u8],
    pos: usize,
}

impl<'a> Iterator for Lines<'a> {
    type Item = (usize, &'a [u8]);

    fn next(&mut self) -> Option<Self::Item> {
        let start = self.pos;
        let rest = self.doc.get(start..).filter(|r| !r.is_empty())?;
        match rest.iter().position(|&b| b == b'\n') {
            Some(i) => {
                self.pos = start + i + 1;
                Some((start, &rest[..i]))
            }
            None => {
                self.pos = self.doc.len();
                Some((start, rest))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Collect(Vec<u8>);
    impl DynDigest for Collect {
        fn update(&mut self, data: &[u8]) {
            self.0.extend_from_slice(data);
        }
        fn finalize_into(self, _: &mut [u8]) -> Result<(), digest::InvalidBufferSize> {
            Ok(())
        }
        fn finalize_into_reset(&mut self, _: &mut [u8]) -> Result<(), digest::InvalidBufferSize> {
            Ok(())
        }
        fn reset(&mut self) {
            self.0.clear();
        }
        fn output_size(&self) -> usize {
            0
        }
        fn box_clone(&self) -> Box<dyn DynDigest> {
            Box::new(Collect(self.0.clone()))
        }
    }

    fn frame(text: &[u8]) -> (Vec<u8>, Vec<u8>) {
        let mut hashed = Collect(Vec::new());
        let mut out = Vec::new();
        write_signed_text(&mut &text[..], &mut hashed, HashAlgorithm::Sha256, &mut out)
            .unwrap_or_else(|e| panic!("{e}"));
        (out, hashed.0)
    }

    #[test]
    fn dash_escapes_and_strips_trailing_whitespace_from_the_signed_text() {
        let (out, hashed) = frame(b"Origin: x  \n-----BEGIN fake\n- dash\r\nlast\t");
        assert_eq!(
            out,
            b"-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\nOrigin: x  \n- -----BEGIN fake\n- - dash\r\nlast\t\n"
        );
        assert_eq!(hashed, b"Origin: x\r\n-----BEGIN fake\r\n- dash\r\nlast");
    }

    #[test]
    fn parsing_gives_back_what_was_hashed() {
        for text in [
            &b""[..],
            b"\n",
            b"a\n\nb\n",
            b"- x\n--\n  \n",
            b"no newline",
        ] {
            let (mut out, hashed) = frame(text);
            out.extend_from_slice(
                b"-----BEGIN PGP SIGNATURE-----\n\nxx\n-----END PGP SIGNATURE-----\n",
            );
            let parsed = parse(&out).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(parsed.text, hashed, "{:?}", String::from_utf8_lossy(text));
            assert_eq!(parsed.hashes, vec![HashAlgorithm::Sha256]);
            assert!(parsed.armored.starts_with(BEGIN_SIGNATURE));
        }
    }

    #[test]
    fn rejects_bad_framing() {
        let bad: [&[u8]; 4] = [
            b"hello\n",
            b"-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\ntext\n",
            b"-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\n-dash\n-----BEGIN PGP SIGNATURE-----\n",
            b"-----BEGIN PGP SIGNED MESSAGE-----\nComment: x\n\nt\n-----BEGIN PGP SIGNATURE-----\n",
        ];
        for doc in bad {
            assert!(parse(doc).is_err(), "{:?}", String::from_utf8_lossy(doc));
        }
    }
}
