//! Shared-library dependencies of packaged ELF files, resolved by `dpkg-shlibdeps`: the
//! substitution behind `depends = "$auto"`.
//!
//! `dpkg-shlibdeps` maps each library a binary needs to the package that ships it and the
//! lowest version providing every symbol used, from dpkg's `symbols` and `shlibs` files: data
//! only an installed dpkg database has, so consign runs it rather than guessing. It runs in a
//! temporary directory holding the `debian/control` it insists on, prints
//! `shlibs:Depends=…` (`-O`), and resolves for the architecture given (`DEB_HOST_ARCH`), which
//! needs that architecture's libraries installed (multiarch) when it is not the host's.

use std::io::ErrorKind;
use std::path::PathBuf;
use std::process::Command;

use consign_core::IoError;

use super::{DebError, Relation};
use crate::Error;

/// The `shlibs:Depends` relations of `files` (ELF files on disk) for the Debian
/// architecture `arch`; no relation for no file.
pub(crate) fn depends(files: &[PathBuf], arch: &str) -> Result<Vec<Relation>, Error> {
    if files.is_empty() {
        return Ok(Vec::new());
    }
    let dir = tempfile::tempdir().map_err(|e| IoError::new("create", std::env::temp_dir(), e))?;
    let debian = dir.path().join("debian");
    std::fs::create_dir(&debian).map_err(|e| IoError::new("create", &debian, e))?;
    let control = debian.join("control");
    std::fs::write(&control, "").map_err(|e| IoError::new("write", &control, e))?;
    let output = Command::new("dpkg-shlibdeps")
        .arg("-O")
        .args(files)
        .current_dir(dir.path())
        .env("DEB_HOST_ARCH", arch)
        .output();
    let output = match output {
        Ok(o) => o,
        Err(e) if e.kind() == ErrorKind::NotFound => return Err(DebError::ShlibdepsMissing.into()),
        Err(e) => return Err(IoError::new("run", "dpkg-shlibdeps", e).into()),
    };
    let files_text = || {
        files
            .iter()
            .map(|f| f.display().to_string())
            .collect::<Vec<_>>()
            .join(" ")
    };
    if !output.status.success() {
        return Err(DebError::Shlibdeps {
            files: files_text(),
            reason: format!(
                "{}: {}",
                output.status,
                String::from_utf8_lossy(&output.stderr).trim()
            ),
        }
        .into());
    }
    parse(&String::from_utf8_lossy(&output.stdout)).map_err(|reason| {
        DebError::Shlibdeps {
            files: files_text(),
            reason,
        }
        .into()
    })
}

/// The relations of the `shlibs:Depends=` line of `dpkg-shlibdeps -O` output.
fn parse(stdout: &str) -> Result<Vec<Relation>, String> {
    let Some(list) = stdout
        .lines()
        .find_map(|l| l.strip_prefix("shlibs:Depends="))
    else {
        return Ok(Vec::new());
    };
    Relation::parse_list(list).map_err(|e| format!("unreadable output {list:?}: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_substitution_line() {
        let out = "shlibs:Depends=libc6 (>= 2.34), libgcc-s1 (>= 4.2)\n";
        let list: Vec<String> = parse(out)
            .expect("parsed")
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(list, ["libc6 (>= 2.34)", "libgcc-s1 (>= 4.2)"]);
        assert!(parse("").expect("nothing").is_empty());
        assert!(parse("shlibs:Depends=libc6 (>> )\n").is_err());
    }

    #[test]
    fn resolves_a_system_binary_to_libc6() {
        let arch = consign_core::Platform::host()
            .expect("host platform")
            .debian_arch()
            .expect("a Debian architecture");
        let found = depends(&[PathBuf::from("/bin/true")], arch).unwrap_or_else(|e| {
            panic!("dpkg-shlibdeps (Debian package dpkg-dev) must be installed: {e}")
        });
        let names: Vec<String> = found.iter().map(ToString::to_string).collect();
        assert!(
            names.iter().any(|n| n.starts_with("libc6 (>= ")),
            "{names:?}"
        );
        assert!(depends(&[], arch).expect("no file").is_empty());
    }
}
