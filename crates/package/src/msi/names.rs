//! Windows file names: what Windows refuses ([`check_name`]), the 8.3 short names Windows
//! Installer's `Filename` and `DefaultDir` columns pair with long names ([`ShortNames`]),
//! and the database identifiers made from paths ([`identifier`]).

use std::collections::BTreeSet;
use std::fmt;

use consign_core::{Algorithm, Digest};

/// Why a name cannot be a Windows file name.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum NameProblem {
    /// One of `<>:"/\|?*` or a control character.
    ForbiddenCharacter(char),
    /// A device name (`CON`, `PRN`, `AUX`, `NUL`, `COM1`–`COM9`, `LPT1`–`LPT9`), with or
    /// without an extension.
    Reserved,
    /// A name ending with a dot or a space, which Windows strips.
    TrailingDotOrSpace,
    /// An empty name.
    Empty,
    /// Longer than the database column holds.
    TooLong {
        /// Its length in characters.
        length: usize,
        /// The most allowed.
        max: usize,
    },
}

impl fmt::Display for NameProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NameProblem::ForbiddenCharacter(c) => {
                write!(f, "it contains {c:?}, which Windows forbids in file names")
            }
            NameProblem::Reserved => {
                f.write_str("it is a reserved device name (CON, NUL, COM1, …)")
            }
            NameProblem::TrailingDotOrSpace => {
                f.write_str("it ends with a dot or a space, which Windows strips")
            }
            NameProblem::Empty => f.write_str("it is empty"),
            NameProblem::TooLong { length, max } => {
                write!(f, "it is {length} characters long; at most {max} fit")
            }
        }
    }
}

/// The longest long name: `Filename` columns hold 255 characters, `short|long` together.
pub(crate) const MAX_NAME: usize = 255 - 13;

const RESERVED: [&str; 22] = [
    "CON", "PRN", "AUX", "NUL", "COM1", "COM2", "COM3", "COM4", "COM5", "COM6", "COM7", "COM8",
    "COM9", "LPT1", "LPT2", "LPT3", "LPT4", "LPT5", "LPT6", "LPT7", "LPT8", "LPT9",
];

/// Checks that `name` (one path component) can be a Windows file or directory name.
pub(crate) fn check_name(name: &str) -> Result<(), NameProblem> {
    if name.is_empty() {
        return Err(NameProblem::Empty);
    }
    if let Some(c) = name
        .chars()
        .find(|&c| c.is_control() || "<>:\"/\\|?*".contains(c))
    {
        return Err(NameProblem::ForbiddenCharacter(c));
    }
    if name.ends_with(['.', ' ']) {
        return Err(NameProblem::TrailingDotOrSpace);
    }
    let stem = name.split('.').next().unwrap_or(name).trim_end();
    if RESERVED.iter().any(|r| r.eq_ignore_ascii_case(stem)) {
        return Err(NameProblem::Reserved);
    }
    let length = name.chars().count();
    if length > MAX_NAME {
        return Err(NameProblem::TooLong {
            length,
            max: MAX_NAME,
        });
    }
    Ok(())
}

/// True when `name` is already a valid 8.3 name (then it stands alone in the column).
fn is_short(name: &str) -> bool {
    let ok = |part: &str, max: usize| {
        !part.is_empty()
            && part.len() <= max
            && part
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'()-@^_`{}~".contains(&b))
    };
    match name.split_once('.') {
        None => ok(name, 8),
        Some((stem, ext)) => ok(stem, 8) && ok(ext, 3),
    }
}

/// The short names given in one directory, so that each is unique there.
#[derive(Default)]
pub(crate) struct ShortNames {
    taken: BTreeSet<String>,
}

impl ShortNames {
    /// Reserves the long names that are valid short names themselves: a generated short
    /// name must not take them.
    pub(crate) fn reserve<'a>(&mut self, names: impl IntoIterator<Item = &'a str>) {
        for n in names {
            if is_short(n) {
                self.taken.insert(n.to_ascii_uppercase());
            }
        }
    }

    /// The `Filename`/`DefaultDir` value for `long` under the directory `parent`: the long
    /// name alone when it is a valid 8.3 name, `SHORT~HASH.EXT|long` otherwise. The short
    /// name is 8 hexadecimal digits of a hash of the path (the same path, the same name),
    /// with the first three valid characters of the extension.
    pub(crate) fn column_value(&mut self, parent: &str, long: &str) -> String {
        if is_short(long) {
            return long.to_owned();
        }
        let ext: String = long
            .rsplit_once('.')
            .map(|(_, e)| e)
            .unwrap_or_default()
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .take(3)
            .collect::<String>()
            .to_ascii_uppercase();
        for salt in 0u32.. {
            let d = Digest::of(
                Algorithm::Sha256,
                format!("{parent}\0{long}\0{salt}").as_bytes(),
            );
            let stem: String = hex(&d.as_bytes()[..4]).to_ascii_uppercase();
            let short = if ext.is_empty() {
                stem
            } else {
                format!("{stem}.{ext}")
            };
            if self.taken.insert(short.clone()) {
                return format!("{short}|{long}");
            }
        }
        unreachable!("u32 salts give more names than a directory holds")
    }
}

/// A database identifier (`s72`, starting with a letter) for the path `path`: `prefix`
/// and 20 hexadecimal digits of its hash.
pub(crate) fn identifier(prefix: &str, path: &str) -> String {
    let d = Digest::of(Algorithm::Sha256, format!("{prefix}\0{path}").as_bytes());
    format!("{prefix}{}", hex(&d.as_bytes()[..10]))
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_what_windows_refuses() {
        for (name, problem) in [
            ("a<b", NameProblem::ForbiddenCharacter('<')),
            ("a>b", NameProblem::ForbiddenCharacter('>')),
            ("c:d", NameProblem::ForbiddenCharacter(':')),
            ("say\"hi\"", NameProblem::ForbiddenCharacter('"')),
            ("a|b", NameProblem::ForbiddenCharacter('|')),
            ("why?", NameProblem::ForbiddenCharacter('?')),
            ("*.txt", NameProblem::ForbiddenCharacter('*')),
            ("back\\slash", NameProblem::ForbiddenCharacter('\\')),
            ("tab\there", NameProblem::ForbiddenCharacter('\t')),
            ("CON", NameProblem::Reserved),
            ("con.txt", NameProblem::Reserved),
            ("Lpt9", NameProblem::Reserved),
            ("nul.tar.gz", NameProblem::Reserved),
            ("readme.", NameProblem::TrailingDotOrSpace),
            ("readme ", NameProblem::TrailingDotOrSpace),
            ("", NameProblem::Empty),
        ] {
            assert_eq!(check_name(name), Err(problem), "{name:?}");
        }
        let long = "x".repeat(MAX_NAME + 1);
        assert!(matches!(
            check_name(&long),
            Err(NameProblem::TooLong { .. })
        ));
        for good in [
            "README.md",
            "console",
            "COM10",
            "LPT",
            "con-fig",
            ".hidden",
            "é",
        ] {
            assert_eq!(check_name(good), Ok(()), "{good}");
        }
    }

    #[test]
    fn short_names_are_stable_and_unique() {
        let mut names = ShortNames::default();
        names.reserve(["app.exe", "README.md"]);
        assert_eq!(names.column_value("bin", "app.exe"), "app.exe");
        let long = names.column_value("bin", "my-long-program.exe");
        let (short, rest) = long.split_once('|').expect("short|long");
        assert_eq!(rest, "my-long-program.exe");
        assert!(is_short(short) && short.ends_with(".EXE"), "{short}");
        let again = ShortNames::default().column_value("bin", "my-long-program.exe");
        assert_eq!(again, long);
        // The same long name under another parent, or twice in one directory: other names.
        assert_ne!(names.column_value("lib", "my-long-program.exe"), long);
        let twice = names.column_value("bin", "my-long-program.exe");
        assert_ne!(twice, long);
        assert!(
            names
                .column_value("", "no extension at all")
                .split('|')
                .next()
                .is_some_and(|s| s.len() == 8)
        );
    }

    #[test]
    fn identifiers_are_valid_and_distinct() {
        let a = identifier("f", "bin/app.exe");
        assert_eq!(a.len(), 21);
        assert!(a.starts_with('f') && a[1..].bytes().all(|b| b.is_ascii_hexdigit()));
        assert_ne!(a, identifier("f", "bin/App.exe"));
        assert_ne!(a, identifier("c", "bin/app.exe"));
    }
}
