//! Checking a directory against a checksum file ([`super::ChecksumFile::verify_dir`]) without
//! leaving it and without blocking, and the report it gives ([`VerifyReport`]).
//!
//! A name is walked one component at a time from the directory, each component looked at
//! with `lstat` (never followed blindly). A symbolic link is followed only while what it
//! names stays inside the directory: its target is resolved against the components walked so
//! far (`..` climbs the physical path, an absolute target must start with the directory's
//! canonical path), so a link that leads out is reported before anything outside is opened or
//! even looked at. What the name finally leads to must be a regular file: a directory, FIFO,
//! socket or device is reported, not opened. The file is then opened with `O_NONBLOCK` and
//! `O_NOFOLLOW` and checked again once open, so a FIFO or link swapped in after the walk
//! neither blocks the check nor redirects it.

use std::ffi::OsString;
use std::fmt;
use std::fs::{self, File};
use std::io;
use std::path::{Component, Path, PathBuf};

use super::{ChecksumEntry, ChecksumFile};
use crate::digest::{Algorithm, Digest};
use crate::hash::{hash_open_file_pipelined, hash_reader};
use crate::parallel::{Jobs, map_parallel};
use crate::progress::Monitor;

/// Symbolic links followed for one name before giving up (as the kernel's `ELOOP`).
const MAX_LINKS: usize = 40;

/// The outcome for one file of a [`ChecksumFile::verify_dir`] run.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Status {
    /// The digest matches.
    Ok,
    /// The file's digest differs.
    Mismatch {
        /// What the file hashes to now.
        actual: Digest,
    },
    /// The file does not exist (nor does a directory on its path, nor a symbolic link's target
    /// inside the directory).
    Missing,
    /// The file exists but could not be read.
    Unreadable {
        /// The I/O error text.
        message: String,
    },
    /// The name is absolute or climbs out of the directory; it was not opened.
    Refused,
    /// A symbolic link on the name's path leads outside the directory; it was not followed,
    /// and nothing outside the directory was opened or looked at.
    LinkOutside,
    /// The name leads to something other than a regular file; it was not read (a FIFO would
    /// block, a device could be endless).
    NotRegular {
        /// What it is.
        kind: NodeKind,
    },
}

/// What a name that is not a regular file leads to ([`Status::NotRegular`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum NodeKind {
    /// A directory.
    Directory,
    /// A named pipe.
    Fifo,
    /// A Unix socket.
    Socket,
    /// A character device.
    CharDevice,
    /// A block device.
    BlockDevice,
    /// Another kind of file system object.
    Other,
}

impl NodeKind {
    fn of(file_type: fs::FileType) -> NodeKind {
        if file_type.is_dir() {
            return NodeKind::Directory;
        }
        #[cfg(unix)]
        {
            use std::os::unix::fs::FileTypeExt;
            if file_type.is_fifo() {
                return NodeKind::Fifo;
            }
            if file_type.is_socket() {
                return NodeKind::Socket;
            }
            if file_type.is_char_device() {
                return NodeKind::CharDevice;
            }
            if file_type.is_block_device() {
                return NodeKind::BlockDevice;
            }
        }
        NodeKind::Other
    }
}

impl fmt::Display for NodeKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            NodeKind::Directory => "a directory",
            NodeKind::Fifo => "a FIFO",
            NodeKind::Socket => "a socket",
            NodeKind::CharDevice => "a character device",
            NodeKind::BlockDevice => "a block device",
            NodeKind::Other => "a special file",
        })
    }
}

/// One file's result.
///
/// `Display` gives its line of `sha256sum -c` output, without the newline: `NAME: OK` or
/// `NAME: FAILED …`. A name holding a newline is escaped as coreutils escapes it there (the
/// line starts with `\`, and the name has `\\`, `\n` and `\r` in place of a backslash, newline
/// and carriage return), so a file name can never print as a line of its own.
///
/// ```
/// use consign_core::{Algorithm, Digest, FileCheck, Status};
/// let check = FileCheck {
///     name: "x\nevil: OK".into(),
///     expected: Digest::of(Algorithm::Sha256, b""),
///     status: Status::Missing,
/// };
/// assert_eq!(check.to_string(), r"\x\nevil: OK: FAILED open or read (missing)");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileCheck {
    /// The name from the checksum file.
    pub name: String,
    /// The digest the checksum file records.
    pub expected: Digest,
    /// What was found.
    pub status: Status,
}

impl fmt::Display for FileCheck {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // coreutils (9.1) escapes a name in `-c` output only when it holds a newline.
        if self.name.contains('\n') {
            f.write_str("\\")?;
            f.write_str(&super::escape(&self.name).1)?;
        } else {
            f.write_str(&self.name)?;
        }
        match &self.status {
            Status::Ok => write!(f, ": OK"),
            Status::Mismatch { actual } => write!(f, ": FAILED (got {actual})"),
            Status::Missing => write!(f, ": FAILED open or read (missing)"),
            Status::Unreadable { message } => write!(f, ": FAILED open or read ({message})"),
            Status::Refused => write!(f, ": FAILED (name outside the directory)"),
            Status::LinkOutside => write!(
                f,
                ": FAILED (a symbolic link on its path leads outside the directory; not followed)"
            ),
            Status::NotRegular { kind } => {
                write!(
                    f,
                    ": FAILED open or read ({kind}, not a regular file; not opened)"
                )
            }
        }
    }
}

/// A per-file report, sorted by name; `Display` prints it the way `sha256sum -c` does, one
/// line per file (see [`FileCheck`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifyReport {
    /// One result per entry.
    pub results: Vec<FileCheck>,
}

impl VerifyReport {
    /// True when every file matched.
    pub fn is_ok(&self) -> bool {
        self.results.iter().all(|r| r.status == Status::Ok)
    }

    /// The files that did not match.
    pub fn failures(&self) -> impl Iterator<Item = &FileCheck> {
        self.results.iter().filter(|r| r.status != Status::Ok)
    }
}

impl fmt::Display for VerifyReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for r in &self.results {
            writeln!(f, "{r}")?;
        }
        Ok(())
    }
}

/// A name walked to a regular file inside the directory.
struct Found {
    /// Its physical path (symbolic links resolved).
    path: PathBuf,
    /// Its size when walked, to hand out the largest files first.
    size: u64,
}

/// [`ChecksumFile::verify_dir`].
pub(super) fn verify_dir(file: &ChecksumFile, dir: &Path, jobs: Jobs) -> VerifyReport {
    let algorithm = file.algorithm;
    let root = fs::canonicalize(dir);
    let entries: Vec<&ChecksumEntry> = file.entries.values().collect();
    // The walk: cheap `lstat`s, one name after the other.
    let walked: Vec<Result<Found, Status>> = entries
        .iter()
        .map(|e| match &root {
            _ if refused(&e.name) => Err(Status::Refused),
            Ok(root) => resolve(root, &e.name),
            Err(err) => Err(io_status(err)),
        })
        .collect();
    // The reads, on every core, largest file first.
    let to_hash: Vec<(usize, &Found)> = walked
        .iter()
        .enumerate()
        .filter_map(|(i, w)| w.as_ref().ok().map(|found| (i, found)))
        .collect();
    // One file and spare cores: read and hash on two threads, as `hash_files` does.
    let pipelined = to_hash.len() == 1 && jobs.count() > 1;
    let hashed = map_parallel(
        &to_hash,
        jobs,
        |(_, found)| found.size,
        |(_, found)| hash_one(&found.path, algorithm, pipelined),
    );
    let mut digests: Vec<Option<Result<Digest, Status>>> = walked.iter().map(|_| None).collect();
    for ((i, _), digest) in to_hash.iter().zip(hashed) {
        digests[*i] = Some(digest);
    }
    let mut results: Vec<FileCheck> = entries
        .iter()
        .zip(walked)
        .zip(digests)
        .map(|((entry, walked), digest)| FileCheck {
            name: entry.name.clone(),
            expected: entry.digest,
            status: match (walked, digest) {
                (Err(status), _) => status,
                (Ok(_), Some(Ok(digest))) if digest == entry.digest => Status::Ok,
                (Ok(_), Some(Ok(actual))) => Status::Mismatch { actual },
                (Ok(_), Some(Err(status))) => status,
                (Ok(_), None) => Status::Unreadable {
                    message: "not hashed".into(),
                },
            },
        })
        .collect();
    results.sort_by(|a, b| a.name.cmp(&b.name));
    VerifyReport { results }
}

/// Opens the regular file at `path` (see [`open_regular`]) and hashes it.
fn hash_one(path: &Path, algorithm: Algorithm, pipelined: bool) -> Result<Digest, Status> {
    let file = open_regular(path)?;
    let written = if pipelined {
        hash_open_file_pipelined(file, path, &[algorithm], &Monitor::default())
            .map_err(|e| io_status(&e.source))?
    } else {
        hash_reader(file, &[algorithm]).map_err(|e| io_status(&e))?
    };
    written
        .digest(algorithm)
        .copied()
        .ok_or(Status::Unreadable {
            message: "no digest computed".into(),
        })
}

/// One step of a walk: a name to enter, or `..`.
enum Step {
    Enter(OsString),
    Up,
}

/// True for a name that is absolute or has a `..` component (or no component at all).
fn refused(name: &str) -> bool {
    name.starts_with('/')
        || name.split('/').any(|c| c == "..")
        || name.split('/').all(|c| c.is_empty() || c == ".")
}

/// Walks `name` (not [`refused`]) from `root` (canonical), following symbolic links only
/// inside `root`; returns the physical path of the regular file it names and its size.
fn resolve(root: &Path, name: &str) -> Result<Found, Status> {
    // A stack: the next step is at the end.
    let mut pending: Vec<Step> = name
        .split('/')
        .filter(|c| !c.is_empty() && *c != ".")
        .rev()
        .map(|c| Step::Enter(c.into()))
        .collect();
    let mut here = root.to_path_buf();
    let mut depth = 0usize;
    let mut links = 0usize;
    while let Some(step) = pending.pop() {
        let component = match step {
            Step::Up => {
                // Only a link's target climbs; above the root is outside.
                if depth == 0 {
                    return Err(Status::LinkOutside);
                }
                here.pop();
                depth -= 1;
                continue;
            }
            Step::Enter(c) => c,
        };
        let next = here.join(&component);
        let meta = fs::symlink_metadata(&next).map_err(|e| io_status(&e))?;
        if !meta.file_type().is_symlink() {
            here = next;
            depth += 1;
            continue;
        }
        links += 1;
        if links > MAX_LINKS {
            return Err(Status::Unreadable {
                message: format!("more than {MAX_LINKS} levels of symbolic links"),
            });
        }
        let target = fs::read_link(&next).map_err(|e| io_status(&e))?;
        let rest = if target.is_absolute() {
            // Absolute: it must name a path under the root as the root is spelled canonically.
            let Ok(rest) = target.strip_prefix(root) else {
                return Err(Status::LinkOutside);
            };
            here = root.to_path_buf();
            depth = 0;
            rest.to_path_buf()
        } else {
            target
        };
        for c in rest.components().rev() {
            match c {
                Component::Normal(c) => pending.push(Step::Enter(c.to_owned())),
                Component::ParentDir => pending.push(Step::Up),
                Component::CurDir => {}
                // A relative path has neither; an absolute one was stripped of its root.
                Component::RootDir | Component::Prefix(_) => return Err(Status::LinkOutside),
            }
        }
    }
    let meta = fs::symlink_metadata(&here).map_err(|e| io_status(&e))?;
    if !meta.is_file() {
        return Err(Status::NotRegular {
            kind: NodeKind::of(meta.file_type()),
        });
    }
    Ok(Found {
        path: here,
        size: meta.len(),
    })
}

/// Opens a regular file for reading without blocking on a FIFO or following a final link,
/// and checks that what was opened is a regular file.
fn open_regular(path: &Path) -> Result<File, Status> {
    let mut options = fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        // Non-blocking: opening a FIFO swapped in after the walk returns at once (reads of a
        // regular file are unaffected). No-follow: nor is a link swapped in followed.
        options.custom_flags(libc::O_NONBLOCK | libc::O_NOFOLLOW);
    }
    let file = options.open(path).map_err(|e| io_status(&e))?;
    let meta = file.metadata().map_err(|e| io_status(&e))?;
    if !meta.is_file() {
        return Err(Status::NotRegular {
            kind: NodeKind::of(meta.file_type()),
        });
    }
    Ok(file)
}

fn io_status(e: &io::Error) -> Status {
    match e.kind() {
        io::ErrorKind::NotFound | io::ErrorKind::NotADirectory => Status::Missing,
        _ => Status::Unreadable {
            message: e.to_string(),
        },
    }
}

#[cfg(test)]
#[cfg(unix)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    fn sha256(bytes: &[u8]) -> Digest {
        Digest::of(Algorithm::Sha256, bytes)
    }

    fn check(dir: &Path, names: &[(&str, &[u8])]) -> VerifyReport {
        let mut f = ChecksumFile::new(Algorithm::Sha256);
        for (name, body) in names {
            f.insert(*name, sha256(body)).unwrap();
        }
        f.verify_dir(dir, Jobs::All)
    }

    fn status<'r>(r: &'r VerifyReport, name: &str) -> &'r Status {
        &r.results.iter().find(|c| c.name == name).unwrap().status
    }

    #[test]
    fn links_are_followed_only_inside_the_directory() {
        let outside = tempfile::tempdir().unwrap();
        fs::write(outside.path().join("secret"), b"secret").unwrap();
        let top = tempfile::tempdir().unwrap();
        let dir = top.path().join("release");
        fs::create_dir_all(dir.join("sub")).unwrap();
        fs::write(dir.join("sub/app.tar"), b"app").unwrap();
        fs::write(top.path().join("sibling"), b"sibling").unwrap();
        symlink("sub/app.tar", dir.join("inside")).unwrap();
        symlink("sub", dir.join("subdir")).unwrap();
        symlink("../sub/app.tar", dir.join("sub/up-and-back")).unwrap();
        symlink(dir.join("sub/app.tar"), dir.join("absolute-inside")).unwrap();
        symlink(outside.path(), dir.join("d")).unwrap();
        symlink(outside.path().join("secret"), dir.join("abs-out")).unwrap();
        symlink("../sibling", dir.join("rel-out")).unwrap();
        symlink("sub/../../sibling", dir.join("climb-out")).unwrap();
        symlink("nowhere", dir.join("dangling")).unwrap();
        symlink(outside.path().join("nowhere"), dir.join("dangling-out")).unwrap();
        symlink("loop", dir.join("loop")).unwrap();
        let r = check(
            &dir,
            &[
                ("inside", b"app"),
                ("subdir/app.tar", b"app"),
                ("sub/up-and-back", b"app"),
                ("absolute-inside", b"app"),
                ("d/secret", b"secret"),
                ("d/nowhere", b"secret"),
                ("abs-out", b"secret"),
                ("rel-out", b"sibling"),
                ("climb-out", b"sibling"),
                ("dangling", b""),
                ("dangling-out", b""),
                ("loop", b""),
            ],
        );
        for ok in [
            "inside",
            "subdir/app.tar",
            "sub/up-and-back",
            "absolute-inside",
        ] {
            assert_eq!(status(&r, ok), &Status::Ok, "{ok}\n{r}");
        }
        // Whether or not the outside file exists: the answer does not tell.
        for out in [
            "d/secret",
            "d/nowhere",
            "abs-out",
            "rel-out",
            "climb-out",
            "dangling-out",
        ] {
            assert_eq!(status(&r, out), &Status::LinkOutside, "{out}\n{r}");
        }
        assert_eq!(status(&r, "dangling"), &Status::Missing);
        assert!(
            matches!(status(&r, "loop"), Status::Unreadable { message } if message.contains("symbolic links")),
            "{r}"
        );
        let text = r.to_string();
        assert!(!text.contains("secret: OK"), "{text}");
        assert!(text.contains("d/secret: FAILED (a symbolic link"), "{text}");
    }

    #[test]
    fn special_files_are_reported_not_opened() {
        let dir = tempfile::tempdir().unwrap();
        let made = std::process::Command::new("mkfifo")
            .arg(dir.path().join("fifo"))
            .status()
            .expect("`mkfifo` (coreutils) runs");
        assert!(made.success());
        symlink("fifo", dir.path().join("to-fifo")).unwrap();
        fs::create_dir(dir.path().join("dir")).unwrap();
        let r = check(
            dir.path(),
            &[
                ("fifo", b""),
                ("to-fifo", b""),
                ("dir", b""),
                ("/dev/null", b""),
            ],
        );
        let fifo = Status::NotRegular {
            kind: NodeKind::Fifo,
        };
        assert_eq!(status(&r, "fifo"), &fifo);
        assert_eq!(status(&r, "to-fifo"), &fifo);
        assert_eq!(
            status(&r, "dir"),
            &Status::NotRegular {
                kind: NodeKind::Directory
            }
        );
        assert_eq!(status(&r, "/dev/null"), &Status::Refused);
        assert!(r.to_string().contains("fifo: FAILED open or read (a FIFO"));
        // Opening refuses what the walk would have: a FIFO does not block it.
        assert_eq!(open_regular(&dir.path().join("fifo")).unwrap_err(), fifo);
        assert_eq!(
            open_regular(&dir.path().join("to-fifo")).unwrap_err(),
            Status::Unreadable {
                message: io::Error::from_raw_os_error(libc::ELOOP).to_string()
            }
        );
    }

    #[test]
    fn names_with_newlines_print_on_one_escaped_line() {
        let dir = tempfile::tempdir().unwrap();
        let forged = "x\nreal.tar.gz: OK";
        fs::write(dir.path().join(forged), b"other").unwrap();
        fs::write(dir.path().join("back\\slash"), b"b").unwrap();
        let r = check(dir.path(), &[(forged, b"expected"), ("back\\slash", b"b")]);
        let text = r.to_string();
        assert_eq!(text.lines().count(), 2, "{text}");
        assert!(text.lines().all(|l| l != "real.tar.gz: OK"), "{text}");
        assert!(
            text.contains("\\x\\nreal.tar.gz: OK: FAILED (got sha256:"),
            "{text}"
        );
        // As coreutils: a backslash alone is not escaped in `-c` output.
        assert!(text.lines().any(|l| l == "back\\slash: OK"), "{text}");
    }

    #[test]
    fn one_file_and_many_agree() {
        let dir = tempfile::tempdir().unwrap();
        let body = vec![7u8; 3 << 20];
        fs::write(dir.path().join("big"), &body).unwrap();
        fs::write(dir.path().join("small"), b"s").unwrap();
        for jobs in [Jobs::All, Jobs::Exactly(std::num::NonZeroUsize::MIN)] {
            let mut one = ChecksumFile::new(Algorithm::Sha256);
            one.insert("big", sha256(&body)).unwrap();
            assert!(one.verify_dir(dir.path(), jobs).is_ok());
            let mut two = one.clone();
            two.insert("small", sha256(b"not s")).unwrap();
            let r = two.verify_dir(dir.path(), jobs);
            assert_eq!(status(&r, "big"), &Status::Ok);
            assert_eq!(
                status(&r, "small"),
                &Status::Mismatch {
                    actual: sha256(b"s")
                }
            );
        }
    }
}
