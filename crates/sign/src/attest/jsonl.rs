//! `.intoto.jsonl` files: one DSSE envelope per line, as SLSA generators publish provenance.
//! [`JsonlWriter`] appends envelopes to any writer; [`read_jsonl`] yields them back one line at
//! a time.

use std::io::{BufRead, Write};

use super::dsse::Envelope;
use crate::Error;

/// Writes envelopes, one JSON line each.
///
/// ```
/// use consign_sign::attest::{Envelope, JsonlWriter, read_jsonl};
/// use consign_sign::cosign::{CosignKey, CosignSigner};
/// let signer = CosignSigner::new(CosignKey::generate()?, "k");
/// let mut out = JsonlWriter::new(Vec::new());
/// out.write(&Envelope::sign("text/plain", b"one".to_vec(), &signer)?)?;
/// out.write(&Envelope::sign("text/plain", b"two".to_vec(), &signer)?)?;
/// let bytes = out.finish()?;
/// let read: Vec<Envelope> = read_jsonl(&bytes[..]).collect::<Result<_, _>>()?;
/// assert_eq!(read[1].payload(), b"two");
/// # Ok::<(), consign_sign::Error>(())
/// ```
#[derive(Debug)]
pub struct JsonlWriter<W: Write> {
    out: W,
    lines: usize,
}

impl<W: Write> JsonlWriter<W> {
    /// A writer appending to `out`.
    pub fn new(out: W) -> JsonlWriter<W> {
        JsonlWriter { out, lines: 0 }
    }

    /// Appends one envelope as a line.
    pub fn write(&mut self, envelope: &Envelope) -> Result<(), Error> {
        let mut line = envelope.to_json();
        line.push('\n');
        self.out
            .write_all(line.as_bytes())
            .map_err(|e| Error::io("write", ".intoto.jsonl", e))?;
        self.lines += 1;
        Ok(())
    }

    /// How many envelopes were written.
    pub fn len(&self) -> usize {
        self.lines
    }

    /// Whether nothing was written yet.
    pub fn is_empty(&self) -> bool {
        self.lines == 0
    }

    /// Flushes and returns the writer.
    pub fn finish(mut self) -> Result<W, Error> {
        self.out
            .flush()
            .map_err(|e| Error::io("write", ".intoto.jsonl", e))?;
        Ok(self.out)
    }
}

/// The envelopes of an `.intoto.jsonl` stream, in order; blank lines are skipped, a bad line
/// is an error naming its line number.
pub fn read_jsonl<R: BufRead>(input: R) -> impl Iterator<Item = Result<Envelope, Error>> {
    input
        .lines()
        .enumerate()
        .filter_map(|(i, line)| match line {
            Err(e) => Some(Err(Error::io("read", ".intoto.jsonl", e))),
            Ok(l) if l.trim().is_empty() => None,
            Ok(l) => Some(
                Envelope::from_json(l.as_bytes())
                    .map_err(|e| Error::malformed(format!(".intoto.jsonl line {}", i + 1), e)),
            ),
        })
}
