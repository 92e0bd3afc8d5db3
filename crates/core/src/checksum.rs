//! Checksum files: [`ChecksumFile`] in GNU coreutils and BSD tag formats, verification of a
//! directory against one ([`VerifyReport`]), and merging files made on several CI runners.
//!
//! GNU lines are `<hex> <space|*><name>` (`*` marks binary mode); BSD tag lines are
//! `SHA256 (<name>) = <hex>`. Names holding a backslash, a newline or a carriage return are
//! escaped the way coreutils does it: the line starts with `\`, and the name has `\\`, `\n` and
//! `\r` in their place.
//!
//! [`ChecksumFile::verify_dir`] checks files without leaving the directory (symbolic links are
//! followed only inside it) or opening anything but regular files; its report prints like
//! `sha256sum -c` output, a name holding a newline escaped as coreutils does there.

mod verify;

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::path::Path;

pub use self::verify::{FileCheck, NodeKind, Status, VerifyReport};
use crate::digest::{Algorithm, Digest};
use crate::parallel::Jobs;

/// The text format of a checksum file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Style {
    /// `sha256sum` output: `<hex>  <name>` (binary entries: `<hex> *<name>`).
    #[default]
    Gnu,
    /// BSD tags, as `sha256sum --tag` and `shasum --tag` write them: `SHA256 (<name>) = <hex>`.
    Bsd,
}

/// One line of a checksum file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChecksumEntry {
    /// The file name, as written in the file (relative to the checksum file's directory).
    pub name: String,
    /// Its digest.
    pub digest: Digest,
    /// GNU binary-mode marker (`*`); no meaning on POSIX systems, kept for round trips.
    pub binary: bool,
}

impl ChecksumEntry {
    /// An entry for `name` (text mode).
    pub fn new(name: impl Into<String>, digest: Digest) -> ChecksumEntry {
        ChecksumEntry {
            name: name.into(),
            digest,
            binary: false,
        }
    }

    /// The entry as one line of a checksum file in `style`, newline included; names with a
    /// backslash, newline or carriage return are escaped as coreutils does.
    ///
    /// ```
    /// use consign_core::{Algorithm, ChecksumEntry, Digest, Style};
    /// let e = ChecksumEntry::new("a\\b", Digest::of(Algorithm::Sha256, b""));
    /// assert_eq!(
    ///     e.to_line(Style::Bsd),
    ///     "\\SHA256 (a\\\\b) = e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n"
    /// );
    /// ```
    pub fn to_line(&self, style: Style) -> String {
        let (escaped, name) = escape(&self.name);
        let prefix = if escaped { "\\" } else { "" };
        let hex = self.digest.hex();
        match style {
            Style::Gnu => {
                let mark = if self.binary { '*' } else { ' ' };
                format!("{prefix}{hex} {mark}{name}\n")
            }
            Style::Bsd => {
                let tag = self.digest.algorithm().bsd_tag();
                format!("{prefix}{tag} ({name}) = {hex}\n")
            }
        }
    }

    /// The one-entry checksum file that goes beside the file (`app.deb.sha256`, `.sha512`,
    /// `.b3`), as release pages publish one per package: its name and its text in `style`,
    /// naming the file by its base name, so `sha256sum -c app.deb.sha256` checks it in the
    /// directory both are in.
    ///
    /// ```
    /// use consign_core::{Algorithm, ChecksumEntry, Digest, Style};
    /// let e = ChecksumEntry::new("dist/app_1.0_amd64.deb", Digest::of(Algorithm::Sha256, b""));
    /// let (name, text) = e.sidecar(Style::Gnu);
    /// assert_eq!(name, "app_1.0_amd64.deb.sha256");
    /// assert_eq!(
    ///     text,
    ///     "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855  app_1.0_amd64.deb\n"
    /// );
    /// ```
    pub fn sidecar(&self, style: Style) -> (String, String) {
        let base = self.name.rsplit('/').next().unwrap_or(&self.name);
        let entry = ChecksumEntry {
            name: base.to_owned(),
            digest: self.digest,
            binary: self.binary,
        };
        let extension = match self.digest.algorithm() {
            Algorithm::Sha256 => "sha256",
            Algorithm::Sha512 => "sha512",
            Algorithm::Blake3 => "b3",
        };
        (format!("{base}.{extension}"), entry.to_line(style))
    }
}

/// A checksum file for one algorithm: entries keyed and sorted by name.
///
/// ```
/// use consign_core::{Algorithm, ChecksumFile, Digest, Style};
/// let mut sums = ChecksumFile::new(Algorithm::Sha256);
/// sums.insert("app.tar.gz", Digest::of(Algorithm::Sha256, b"archive bytes"))?;
/// let text = sums.to_text(Style::Gnu);
/// assert!(text.ends_with("  app.tar.gz\n"));
/// let back = ChecksumFile::parse(&text, Algorithm::Sha256)?;
/// assert_eq!(back, sums);
/// # Ok::<(), consign_core::ChecksumError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChecksumFile {
    algorithm: Algorithm,
    entries: BTreeMap<String, ChecksumEntry>,
}

impl ChecksumFile {
    /// An empty file for `algorithm`.
    pub fn new(algorithm: Algorithm) -> ChecksumFile {
        ChecksumFile {
            algorithm,
            entries: BTreeMap::new(),
        }
    }

    /// The algorithm of every entry.
    pub fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    /// Entries sorted by name.
    pub fn entries(&self) -> impl ExactSizeIterator<Item = &ChecksumEntry> {
        self.entries.values()
    }

    /// The digest recorded for `name`.
    pub fn get(&self, name: &str) -> Option<&Digest> {
        self.entries.get(name).map(|e| &e.digest)
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when there is no entry.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Adds an entry; the same digest again is accepted, a different one is a conflict.
    pub fn insert(&mut self, name: impl Into<String>, digest: Digest) -> Result<(), ChecksumError> {
        self.insert_entry(
            ChecksumEntry {
                name: name.into(),
                digest,
                binary: false,
            },
            None,
        )
    }

    fn insert_entry(
        &mut self,
        entry: ChecksumEntry,
        line: Option<usize>,
    ) -> Result<(), ChecksumError> {
        if entry.digest.algorithm() != self.algorithm {
            return Err(ChecksumError::WrongAlgorithm {
                name: entry.name,
                expected: self.algorithm,
                found: entry.digest.algorithm(),
                line,
            });
        }
        if entry.name.is_empty() || entry.name.contains('\0') {
            return Err(ChecksumError::Malformed {
                line: line.unwrap_or(0),
                reason: "file name is empty or contains NUL".into(),
            });
        }
        match self.entries.get(&entry.name) {
            Some(old) if old.digest != entry.digest => Err(ChecksumError::Conflict {
                name: entry.name,
                first: Box::new(old.digest),
                second: Box::new(entry.digest),
            }),
            Some(_) => Ok(()),
            None => {
                self.entries.insert(entry.name.clone(), entry);
                Ok(())
            }
        }
    }

    /// Parses GNU and BSD lines (they may be mixed). GNU lines do not name their algorithm:
    /// they are read as `algorithm`, and BSD lines must be tagged with it. Blank lines are
    /// skipped; anything else that is not an entry is an error naming its line (from 1).
    pub fn parse(text: &str, algorithm: Algorithm) -> Result<ChecksumFile, ChecksumError> {
        let mut file = ChecksumFile::new(algorithm);
        for (i, raw) in text.split('\n').enumerate() {
            let n = i + 1;
            let line = raw.strip_suffix('\r').unwrap_or(raw);
            if line.trim().is_empty() {
                continue;
            }
            let entry = parse_line(line, algorithm)
                .map_err(|reason| ChecksumError::Malformed { line: n, reason })?;
            file.insert_entry(entry, Some(n))?;
        }
        Ok(file)
    }

    /// Writes the entries in `style`, sorted by name, one per line.
    pub fn write_to(&self, mut out: impl Write, style: Style) -> io::Result<()> {
        out.write_all(self.to_text(style).as_bytes())
    }

    /// The entries as text in `style`.
    pub fn to_text(&self, style: Style) -> String {
        self.entries.values().map(|e| e.to_line(style)).collect()
    }

    /// Adds every entry of `other`; refuses (and leaves `self` unchanged) when an entry names
    /// the same file with another digest, or when the algorithms differ.
    pub fn merge(&mut self, other: &ChecksumFile) -> Result<(), ChecksumError> {
        let mut merged = self.clone();
        for e in other.entries.values() {
            merged.insert_entry(e.clone(), None)?;
        }
        *self = merged;
        Ok(())
    }

    /// Hashes every listed file under `dir` (in parallel) and compares, like `sha256sum -c`,
    /// without ever reading outside `dir` or blocking:
    ///
    /// - a name that is absolute or climbs out with `..` is not opened: [`Status::Refused`];
    /// - a symbolic link on a name's path is followed only while what it names stays inside
    ///   `dir` (checked one component at a time, before anything is opened); one that leads
    ///   out gives [`Status::LinkOutside`], and nothing outside `dir` is opened or looked at,
    ///   so the answer does not even tell whether the outside file exists;
    /// - a name that leads to a directory, FIFO, socket or device is reported as
    ///   [`Status::NotRegular`] without being opened; files are opened non-blocking and without
    ///   following a final link, and checked again once open.
    ///
    /// These checks are against a hostile tree, not against one changed while it is checked:
    /// a directory on a name's path swapped for a link between the walk and the read can still
    /// redirect that read.
    ///
    /// ```
    /// # #[cfg(unix)] {
    /// use consign_core::{Algorithm, ChecksumFile, Digest, Jobs, Status};
    /// let dir = tempfile::tempdir()?;
    /// std::fs::write(dir.path().join("app.tar.gz"), b"archive")?;
    /// std::os::unix::fs::symlink("/etc", dir.path().join("d"))?;
    /// let mut sums = ChecksumFile::new(Algorithm::Sha256);
    /// sums.insert("app.tar.gz", Digest::of(Algorithm::Sha256, b"archive"))?;
    /// sums.insert("d/passwd", Digest::of(Algorithm::Sha256, b"root:x:0:0"))?;
    /// let report = sums.verify_dir(dir.path(), Jobs::All);
    /// assert_eq!(report.results[0].status, Status::Ok);
    /// assert_eq!(report.results[1].status, Status::LinkOutside);
    /// # }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn verify_dir(&self, dir: impl AsRef<Path>, jobs: Jobs) -> VerifyReport {
        verify::verify_dir(self, dir.as_ref(), jobs)
    }
}

fn parse_line(line: &str, algorithm: Algorithm) -> Result<ChecksumEntry, String> {
    let (escaped, body) = match line.strip_prefix('\\') {
        Some(rest) => (true, rest),
        None => (false, line),
    };
    let hex_len = algorithm.output_len() * 2;
    if let Some(entry) = parse_bsd(body, escaped, algorithm)? {
        return Ok(entry);
    }
    // GNU: <hex><space><space|*><name>
    let (hex, rest) = body.split_at_checked(hex_len).ok_or_else(|| {
        format!("expected a {algorithm} line: {hex_len} hex digits, two characters, a name")
    })?;
    let digest = Digest::from_hex(algorithm, hex).map_err(|e| e.to_string())?;
    let mut chars = rest.chars();
    if chars.next() != Some(' ') {
        return Err(format!("expected a space after the {hex_len} hex digits"));
    }
    let binary = match chars.next() {
        Some('*') => true,
        Some(' ') => false,
        _ => return Err("expected ' ' or '*' before the file name".into()),
    };
    let name = unescape(chars.as_str(), escaped)?;
    Ok(ChecksumEntry {
        name,
        digest,
        binary,
    })
}

/// Parses `TAG (name) = hex`; `Ok(None)` when the line does not have that shape.
fn parse_bsd(
    body: &str,
    escaped: bool,
    algorithm: Algorithm,
) -> Result<Option<ChecksumEntry>, String> {
    let Some((tag, rest)) = body.split_once(" (") else {
        return Ok(None);
    };
    let Some(found) = Algorithm::from_bsd_tag(tag) else {
        return if tag.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
            && !tag.is_empty()
            && tag.len() < 16
        {
            Err(format!("unsupported checksum tag {tag:?}"))
        } else {
            Ok(None)
        };
    };
    if found != algorithm {
        return Err(format!(
            "{tag} entry in a {} checksum file",
            algorithm.bsd_tag()
        ));
    }
    let (name, hex) = rest
        .rsplit_once(") = ")
        .ok_or_else(|| "expected `) = <hex>` after the file name".to_string())?;
    let digest = Digest::from_hex(algorithm, hex).map_err(|e| e.to_string())?;
    Ok(Some(ChecksumEntry {
        name: unescape(name, escaped)?,
        digest,
        binary: false,
    }))
}

fn escape(name: &str) -> (bool, String) {
    if !name.contains(['\\', '\n', '\r']) {
        return (false, name.to_owned());
    }
    let mut s = String::with_capacity(name.len() + 4);
    for c in name.chars() {
        match c {
            '\\' => s.push_str("\\\\"),
            '\n' => s.push_str("\\n"),
            '\r' => s.push_str("\\r"),
            c => s.push(c),
        }
    }
    (true, s)
}

fn unescape(name: &str, escaped: bool) -> Result<String, String> {
    if name.is_empty() {
        return Err("missing file name".into());
    }
    if !escaped {
        return Ok(name.to_owned());
    }
    let mut s = String::with_capacity(name.len());
    let mut chars = name.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            s.push(c);
            continue;
        }
        match chars.next() {
            Some('\\') => s.push('\\'),
            Some('n') => s.push('\n'),
            Some('r') => s.push('\r'),
            other => {
                return Err(format!(
                    "invalid escape \\{} in file name",
                    other.map(String::from).unwrap_or_default()
                ));
            }
        }
    }
    Ok(s)
}

/// A checksum file that cannot be read or combined.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ChecksumError {
    /// A line is not a checksum entry.
    #[error("line {line}: {reason}")]
    Malformed {
        /// The line number, from 1.
        line: usize,
        /// What is wrong.
        reason: String,
    },
    /// The same file with two digests.
    #[error("conflicting checksums for {name}: {first} and {second}")]
    Conflict {
        /// The file.
        name: String,
        /// The digest recorded first.
        first: Box<Digest>,
        /// The other digest.
        second: Box<Digest>,
    },
    /// An entry of another algorithm.
    #[error("{name}: {found} digest in a {expected} checksum file{}", line.map(|l| format!(" (line {l})")).unwrap_or_default())]
    WrongAlgorithm {
        /// The file.
        name: String,
        /// The file's algorithm.
        expected: Algorithm,
        /// The entry's algorithm.
        found: Algorithm,
        /// The line, when parsing.
        line: Option<usize>,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    const ABC: &str = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

    #[test]
    fn parses_gnu_bsd_and_escapes() {
        let text = format!(
            "{ABC}  plain\n{ABC} *bin\nSHA256 (tagged) = {ABC}\n\\{ABC}  new\\nline\\\\x\n\n"
        );
        let f = ChecksumFile::parse(&text, Algorithm::Sha256).unwrap();
        let names: Vec<_> = f.entries().map(|e| e.name.as_str()).collect();
        assert_eq!(names, ["bin", "new\nline\\x", "plain", "tagged"]);
        assert!(f.entries().next().unwrap().binary);
        let again = ChecksumFile::parse(&f.to_text(Style::Bsd), Algorithm::Sha256).unwrap();
        assert_eq!(again.get("new\nline\\x"), f.get("new\nline\\x"));
        assert_eq!(
            f.to_text(Style::Gnu).lines().nth(1).unwrap(),
            format!("\\{ABC}  new\\nline\\\\x")
        );
    }

    #[test]
    fn malformed_lines_name_their_number() {
        for (text, line) in [
            (format!("{ABC}  ok\nnot a line\n"), 2),
            (format!("\n\n{}  short\n", &ABC[1..]), 3),
            (format!("{ABC}x name\n"), 1),
            (format!("{ABC}  \n"), 1),
            (format!("MD5 (x) = {ABC}\n"), 1),
            (format!("SHA512 (x) = {ABC}\n"), 1),
            (format!("SHA256 (x) = {}\n", &ABC[2..]), 1),
            (format!("\\{ABC}  bad\\q\n"), 1),
        ] {
            match ChecksumFile::parse(&text, Algorithm::Sha256) {
                Err(ChecksumError::Malformed { line: l, .. }) => assert_eq!(l, line, "{text:?}"),
                other => panic!("{text:?}: {other:?}"),
            }
        }
    }

    #[test]
    fn merge_refuses_conflicts() {
        let a = Digest::of(Algorithm::Sha256, b"a");
        let b = Digest::of(Algorithm::Sha256, b"b");
        let mut x = ChecksumFile::new(Algorithm::Sha256);
        x.insert("one", a).unwrap();
        let mut y = ChecksumFile::new(Algorithm::Sha256);
        y.insert("one", a).unwrap();
        y.insert("two", b).unwrap();
        x.merge(&y).unwrap();
        assert_eq!(x.len(), 2);
        let mut z = ChecksumFile::new(Algorithm::Sha256);
        z.insert("two", a).unwrap();
        z.insert("three", a).unwrap();
        let err = x.merge(&z).unwrap_err();
        assert!(matches!(err, ChecksumError::Conflict { ref name, .. } if name == "two"));
        assert_eq!(x.len(), 2, "a refused merge changes nothing");
        let w = ChecksumFile::new(Algorithm::Sha512);
        let mut w2 = w.clone();
        assert!(w2.merge(&x).is_err());
    }

    #[test]
    fn verify_reports_each_file() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("good"), b"abc").unwrap();
        std::fs::write(dir.path().join("bad"), b"abd").unwrap();
        let d = Digest::of(Algorithm::Sha256, b"abc");
        let mut f = ChecksumFile::new(Algorithm::Sha256);
        for n in ["good", "bad", "gone", "../etc/passwd"] {
            f.insert(n, d).unwrap();
        }
        let r = f.verify_dir(dir.path(), Jobs::All);
        assert!(!r.is_ok());
        let st: Vec<_> = r
            .results
            .iter()
            .map(|c| (c.name.as_str(), &c.status))
            .collect();
        assert_eq!(st[0], ("../etc/passwd", &Status::Refused));
        assert!(matches!(st[1], ("bad", Status::Mismatch { .. })));
        assert_eq!(st[2], ("gone", &Status::Missing));
        assert_eq!(st[3], ("good", &Status::Ok));
        assert!(r.to_string().contains("bad: FAILED"));
    }
}
