//! The payload archive: cpio "newc" (SVR4, magic `070701`) and rpm's stripped variant
//! (magic `07070X`) for packages with files of 4 GiB or more.
//!
//! A newc header is the magic and thirteen 8-digit hex fields (inode, mode, uid, gid, nlink,
//! mtime, file size, device major/minor, rdev major/minor, name size, checksum 0), then the
//! NUL-terminated name padded to a multiple of 4, then the data padded to a multiple of 4.
//! A stripped header is the magic and the 8-digit hex index of the file in the rpm header:
//! everything else is read from the header, so sizes are not limited to 32 bits. Both end
//! with a newc `TRAILER!!!` entry.

use std::io::{self, Write};

const NEWC: &[u8; 6] = b"070701";
const STRIPPED: &[u8; 6] = b"07070X";
const TRAILER: &str = "TRAILER!!!";

/// The fields of one newc header.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Stat {
    pub(crate) ino: u32,
    pub(crate) mode: u32,
    pub(crate) uid: u32,
    pub(crate) gid: u32,
    pub(crate) nlink: u32,
    pub(crate) mtime: u32,
    /// Bytes of data that follow; below 4 GiB in newc.
    pub(crate) size: u32,
}

/// Writes cpio entries to `out`, keeping the 4-byte alignment.
pub(crate) struct CpioWriter<W> {
    out: W,
    offset: u64,
}

impl<W: Write> CpioWriter<W> {
    pub(crate) fn new(out: W) -> CpioWriter<W> {
        CpioWriter { out, offset: 0 }
    }

    /// Starts a newc entry named `name`; its data follows through [`Write`].
    pub(crate) fn newc(&mut self, name: &str, st: &Stat) -> io::Result<()> {
        self.pad()?;
        let namesize = u32::try_from(name.len() + 1)
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "cpio name too long"))?;
        let mut h = Vec::with_capacity(110 + name.len() + 4);
        h.extend_from_slice(NEWC);
        for field in [
            st.ino, st.mode, st.uid, st.gid, st.nlink, st.mtime, st.size, 0, 0, 0, 0, namesize, 0,
        ] {
            h.extend_from_slice(format!("{field:08x}").as_bytes());
        }
        h.extend_from_slice(name.as_bytes());
        h.push(0);
        self.put(&h)?;
        self.pad()
    }

    /// Starts a stripped entry for file number `index` of the header.
    pub(crate) fn stripped(&mut self, index: u32) -> io::Result<()> {
        self.pad()?;
        let mut h = Vec::with_capacity(14);
        h.extend_from_slice(STRIPPED);
        h.extend_from_slice(format!("{index:08x}").as_bytes());
        self.put(&h)?;
        self.pad()
    }

    /// Ends the archive with the trailer entry and returns the output.
    pub(crate) fn finish(mut self) -> io::Result<W> {
        let st = Stat {
            nlink: 1,
            ..Stat::default()
        };
        self.newc(TRAILER, &st)?;
        Ok(self.out)
    }

    fn put(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.out.write_all(bytes)?;
        self.offset += bytes.len() as u64;
        Ok(())
    }

    fn pad(&mut self) -> io::Result<()> {
        let n = (4 - (self.offset % 4) as usize) % 4;
        self.put(&[0u8; 3][..n])
    }
}

impl<W: Write> Write for CpioWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.out.write(buf)?;
        self.offset += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(h: &[u8], i: usize) -> u32 {
        let s = std::str::from_utf8(&h[6 + 8 * i..14 + 8 * i]).unwrap();
        u32::from_str_radix(s, 16).unwrap()
    }

    #[test]
    fn newc_framing() {
        let mut w = CpioWriter::new(Vec::new());
        let st = Stat {
            ino: 1,
            mode: 0o100644,
            uid: 0,
            gid: 0,
            nlink: 1,
            mtime: 1_700_000_000,
            size: 5,
        };
        w.newc("./etc/a", &st).unwrap();
        w.write_all(b"hello").unwrap();
        w.newc("./b", &Stat { size: 0, ..st }).unwrap();
        let out = w.finish().unwrap();

        // First header: 110 bytes + "./etc/a\0" (8) = 118, padded to 120; 5 data bytes + 3.
        assert_eq!(&out[..6], b"070701");
        assert_eq!(field(&out, 1), 0o100644);
        assert_eq!(field(&out, 5), 1_700_000_000);
        assert_eq!(field(&out, 6), 5);
        assert_eq!(field(&out, 11), 8);
        assert_eq!(&out[110..118], b"./etc/a\0");
        assert_eq!(&out[118..120], &[0, 0]);
        assert_eq!(&out[120..125], b"hello");
        assert_eq!(&out[125..128], &[0, 0, 0]);
        // Second header at 128: 110 + "./b\0" = 114, padded to 116.
        let second = &out[128..];
        assert_eq!(&second[..6], b"070701");
        assert_eq!(&second[110..114], b"./b\0");
        // Trailer at 128 + 116 = 244: nlink 1, name size 11, everything else zero.
        let trailer = &out[244..];
        assert_eq!(&trailer[..6], b"070701");
        assert_eq!(field(trailer, 4), 1);
        assert_eq!(field(trailer, 11), 11);
        assert_eq!(field(trailer, 0) + field(trailer, 1) + field(trailer, 6), 0);
        assert_eq!(&trailer[110..121], b"TRAILER!!!\0");
        assert_eq!(out.len(), 244 + 124);
        assert_eq!(out.len() % 4, 0);
    }

    #[test]
    fn stripped_framing() {
        let mut w = CpioWriter::new(Vec::new());
        w.stripped(0x2a).unwrap();
        w.write_all(b"abc").unwrap();
        w.stripped(0x2b).unwrap();
        let out = w.finish().unwrap();
        assert_eq!(&out[..16], b"07070X0000002a\0\0");
        assert_eq!(&out[16..20], b"abc\0");
        assert_eq!(&out[20..36], b"07070X0000002b\0\0");
        assert_eq!(&out[36..42], b"070701");
    }
}
