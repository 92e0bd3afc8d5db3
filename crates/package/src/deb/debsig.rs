//! debsigs-style origin signatures: an `_gpgorigin` ar member holding a
//! detached binary OpenPGP signature over the contents of `debian-binary`, `control.tar.*`
//! and `data.tar.*`, concatenated in that order — what `debsigs --sign=origin` adds and
//! `debsig-verify` checks.
//!
//! The members stream to the output while a second thread signs a copy of their bytes, so
//! the payload is read once and memory stays bounded (a few buffers in flight).

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::Path;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};

use consign_core::{KeyId, Signature, SignatureFormat, VerificationMaterial, Verified, Verifier};

use super::DebError;
use super::ar::ArWriter;
use crate::Error;
use crate::signing::PackageSigner;
use crate::spool::Spool;

/// The member name debsigs gives an origin signature.
pub(crate) const ORIGIN: &str = "_gpgorigin";

/// Bytes batched per message to the signing thread.
const BATCH: usize = 256 * 1024;

/// Writes the three package members and, after them, their origin signature.
pub(crate) fn write_signed<W: Write>(
    ar: &mut ArWriter<W>,
    signer: PackageSigner<'_>,
    control: (&str, &[u8]),
    data: (&str, Spool),
) -> Result<(), Error> {
    let output = |source| Error::Output { source };
    let (signature, written) = std::thread::scope(|scope| {
        let (tx, rx) = sync_channel::<Vec<u8>>(4);
        let worker = scope.spawn(move || signer.binary(&mut ChannelReader::new(rx)));
        let written = (|| -> io::Result<()> {
            let mut feed = Feed::new(tx);
            ar.member("debian-binary", 4, |out| {
                out.write_all(b"2.0\n")?;
                feed.write_all(b"2.0\n")?;
                Ok(4)
            })?;
            let (name, bytes) = control;
            ar.member(name, bytes.len() as u64, |out| {
                out.write_all(bytes)?;
                feed.write_all(bytes)?;
                Ok(bytes.len() as u64)
            })?;
            let (name, spool) = data;
            ar.member(name, spool.packed.size, |out| {
                spool.copy_to(&mut Tee {
                    out,
                    feed: &mut feed,
                })
            })?;
            feed.flush()
            // `feed` dropped here: the signer sees the end of the data.
        })();
        let signature = worker.join().map_err(|_| Error::Output {
            source: io::Error::other("the signing thread panicked"),
        });
        (signature, written)
    });
    // A signer failure explains a closed channel better than the write error it causes.
    let signature = signature?.map_err(|source| Error::Sign { source })?;
    written.map_err(output)?;
    ar.member_bytes(ORIGIN, &signature).map_err(output)
}

/// Checks the origin signature of the `.deb` at `path` with `verifier`: the `_gpgorigin`
/// member must be a valid signature, by a key the verifier trusts, over the package's
/// `debian-binary`, `control.tar.*` and `data.tar.*` members. Works for packages signed
/// here and by `debsigs --sign=origin`.
///
/// The package is read twice from disk (once to find the signature, which comes last, once
/// to check it), never held in memory.
///
/// Errors: [`DebError::Unsigned`] when there is no origin signature, [`Error::Sign`] with
/// the verifier's error when the signature does not hold, [`Error::Output`] when the file
/// cannot be read or is not an ar archive.
pub fn verify_origin(path: impl AsRef<Path>, verifier: &dyn Verifier) -> Result<Verified, Error> {
    let path = path.as_ref();
    let bad = |source| Error::Output { source };
    let mut file = File::open(path).map_err(bad)?;
    let members = read_members(&mut file).map_err(bad)?;
    let find = |prefix: &str| {
        members
            .iter()
            .find(|m| m.name == prefix || m.name.starts_with(&format!("{prefix}.")))
    };
    let Some(origin) = find(ORIGIN) else {
        return Err(DebError::Unsigned {
            path: path.display().to_string(),
        }
        .into());
    };
    let mut signature =
        vec![0u8; usize::try_from(origin.size).map_err(|_| bad(invalid("signature too large")))?];
    file.seek(SeekFrom::Start(origin.offset)).map_err(bad)?;
    file.read_exact(&mut signature).map_err(bad)?;
    let signed: Vec<Member> = ["debian-binary", "control.tar", "data.tar"]
        .iter()
        .map(|n| {
            find(n)
                .cloned()
                .ok_or_else(|| bad(invalid(&format!("no {n} member"))))
        })
        .collect::<Result<_, _>>()?;
    let mut data = MembersReader {
        file,
        members: signed,
        at: 0,
        left: None,
    };
    let signature = Signature::new(
        SignatureFormat::OpenPgpBinary,
        signature,
        VerificationMaterial::PublicKey {
            hint: KeyId::new(""),
        },
    );
    verifier
        .verify(&mut data, &signature)
        .map_err(|source| Error::Sign { source })
}

#[derive(Clone, Debug)]
struct Member {
    name: String,
    offset: u64,
    size: u64,
}

fn invalid(what: &str) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!("not a Debian package: {what}"),
    )
}

/// The members of an ar archive: names, data offsets and sizes.
fn read_members(file: &mut File) -> io::Result<Vec<Member>> {
    let mut magic = [0u8; 8];
    file.read_exact(&mut magic)
        .map_err(|_| invalid("no ar header"))?;
    if &magic != super::ar::MAGIC {
        return Err(invalid("no ar header"));
    }
    let len = file.metadata()?.len();
    let mut at = 8u64;
    let mut members = Vec::new();
    while at < len {
        let mut header = [0u8; 60];
        file.seek(SeekFrom::Start(at))?;
        file.read_exact(&mut header)
            .map_err(|_| invalid("truncated member header"))?;
        if &header[58..60] != b"`\n" {
            return Err(invalid("bad member header"));
        }
        let text = |a: usize, b: usize| {
            String::from_utf8_lossy(&header[a..b])
                .trim_end()
                .to_string()
        };
        let name = text(0, 16).trim_end_matches('/').to_string();
        let size: u64 = text(48, 58)
            .parse()
            .map_err(|_| invalid("bad member size"))?;
        let offset = at + 60;
        if offset.checked_add(size).is_none_or(|end| end > len) {
            return Err(invalid("truncated member"));
        }
        members.push(Member { name, offset, size });
        at = offset + size + size % 2;
    }
    Ok(members)
}

/// Reads the given members' data one after the other.
struct MembersReader {
    file: File,
    members: Vec<Member>,
    at: usize,
    left: Option<u64>,
}

impl Read for MembersReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            let Some(member) = self.members.get(self.at) else {
                return Ok(0);
            };
            let left = match self.left {
                Some(l) => l,
                None => {
                    self.file.seek(SeekFrom::Start(member.offset))?;
                    member.size
                }
            };
            if left == 0 {
                self.at += 1;
                self.left = None;
                continue;
            }
            let want = buf.len().min(usize::try_from(left).unwrap_or(usize::MAX));
            let n = self.file.read(&mut buf[..want])?;
            if n == 0 {
                return Err(invalid("truncated member"));
            }
            self.left = Some(left - n as u64);
            return Ok(n);
        }
    }
}

/// Batches bytes to the signing thread.
struct Feed {
    tx: SyncSender<Vec<u8>>,
    buf: Vec<u8>,
}

impl Feed {
    fn new(tx: SyncSender<Vec<u8>>) -> Feed {
        Feed {
            tx,
            buf: Vec::with_capacity(BATCH),
        }
    }
}

impl Write for Feed {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.buf.extend_from_slice(data);
        if self.buf.len() >= BATCH {
            self.flush()?;
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let full = std::mem::replace(&mut self.buf, Vec::with_capacity(BATCH));
        self.tx
            .send(full)
            .map_err(|_| io::Error::new(io::ErrorKind::BrokenPipe, "the signer stopped reading"))
    }
}

/// Writes to `out` and copies what was written to the signer.
struct Tee<'a, W> {
    out: &'a mut W,
    feed: &'a mut Feed,
}

impl<W: Write> Write for Tee<'_, W> {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        let n = self.out.write(data)?;
        self.feed.write_all(&data[..n])?;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

/// The signing thread's view of the batches: a `Read` that ends when the sender is dropped.
struct ChannelReader {
    rx: Receiver<Vec<u8>>,
    chunk: Vec<u8>,
    pos: usize,
}

impl ChannelReader {
    fn new(rx: Receiver<Vec<u8>>) -> ChannelReader {
        ChannelReader {
            rx,
            chunk: Vec::new(),
            pos: 0,
        }
    }
}

impl Read for ChannelReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.pos == self.chunk.len() {
            match self.rx.recv() {
                Ok(next) => {
                    self.chunk = next;
                    self.pos = 0;
                }
                Err(_) => return Ok(0),
            }
        }
        let n = buf.len().min(self.chunk.len() - self.pos);
        buf[..n].copy_from_slice(&self.chunk[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}
