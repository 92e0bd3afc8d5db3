//! Asset patterns of the Cargo readers: `*` and `?` match within one path component, `**`
//! any number of directories (none included).
//!
//! **Why our own code.** Neither `glob` nor `globset` is in the dependency tree, and the
//! readers need more than a yes/no match: each file's path below the pattern's fixed prefix
//! (cargo-deb and cargo-generate-rpm both place files by it). A component-wise walk gives
//! that directly, visits only directories the pattern can reach, and is sorted, so the
//! packages do not depend on the order `read_dir` returns.

use std::path::{Path, PathBuf};

/// Whether `source` is a pattern rather than a path.
pub(crate) fn is_pattern(source: &str) -> bool {
    source.contains(['*', '?'])
}

/// The components of `pattern` (separated by `/`), without empty and `.` ones.
pub(crate) fn components(pattern: &str) -> Vec<&str> {
    pattern
        .split('/')
        .filter(|c| !c.is_empty() && *c != ".")
        .collect()
}

/// Matches `pattern` below `base`: (path on disk, its path below the pattern's fixed prefix,
/// the components before the first one with a wildcard), sorted. Only regular files (and
/// symlinks to them) match a pattern. A pattern without wildcards yields the path itself
/// when something exists there (a directory is refused later, when the entry is made), so
/// that a missing or unreadable file is reported as such.
pub(crate) fn glob(base: &Path, pattern: &str) -> Vec<(PathBuf, String)> {
    let parts = components(pattern);
    let Some(w) = parts.iter().position(|c| is_pattern(c)) else {
        let p = base.join(pattern.trim_start_matches('/'));
        return if p.symlink_metadata().is_ok() {
            vec![(p, String::new())]
        } else {
            Vec::new()
        };
    };
    let root: PathBuf = parts[..w].iter().fold(base.to_path_buf(), |p, c| p.join(c));
    let mut out = Vec::new();
    walk(&root, &parts[w..], String::new(), &mut out);
    out.sort();
    out.dedup();
    out
}

fn walk(dir: &Path, parts: &[&str], below: String, out: &mut Vec<(PathBuf, String)>) {
    let Some((first, rest)) = parts.split_first() else {
        if dir.is_file() {
            out.push((dir.to_path_buf(), below));
        }
        return;
    };
    let join = |below: &str, name: &str| {
        if below.is_empty() {
            name.to_owned()
        } else {
            format!("{below}/{name}")
        }
    };
    if *first == "**" {
        walk(dir, rest, below.clone(), out);
    }
    let Ok(children) = std::fs::read_dir(dir) else {
        return;
    };
    let mut names: Vec<String> = children
        .filter_map(|c| c.ok()?.file_name().into_string().ok())
        .collect();
    names.sort();
    for name in names {
        let path = dir.join(&name);
        if *first == "**" {
            if path.is_dir() {
                walk(&path, parts, join(&below, &name), out);
            }
        } else if wildcard(first, &name) {
            walk(&path, rest, join(&below, &name), out);
        }
    }
}

/// `*` matches any run of characters, `?` one character.
fn wildcard(pattern: &str, name: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let n: Vec<char> = name.chars().collect();
    let (mut pi, mut ni) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ni < n.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == n[ni]) {
            pi += 1;
            ni += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some((pi, ni));
            pi += 1;
        } else if let Some((sp, sn)) = star {
            pi = sp + 1;
            ni = sn + 1;
            star = Some((sp, sn + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards_match_within_a_component() {
        for (p, n, want) in [
            ("*", "a.txt", true),
            ("*.rs", "main.rs", true),
            ("*.rs", "main.rsx", false),
            ("m?in.*", "main.rs", true),
            ("a*b*c", "aXXbYYc", true),
            ("a*b*c", "aXXbYY", false),
            ("", "", true),
            ("?", "", false),
        ] {
            assert_eq!(wildcard(p, n), want, "{p} vs {n}");
        }
    }

    #[test]
    fn globs_walk_below_the_fixed_prefix() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path();
        for f in ["a/x.txt", "a/b/y.txt", "a/b/c/z.rs", "a/b/c/w.txt"] {
            let p = root.join(f);
            std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
            std::fs::write(&p, f).expect("write");
        }
        let below = |pattern: &str| -> Vec<String> {
            glob(root, pattern).into_iter().map(|(_, b)| b).collect()
        };
        assert_eq!(below("a/*"), ["x.txt"]);
        assert_eq!(below("a/*/*.txt"), ["b/y.txt"]);
        assert_eq!(
            below("a/**/*.txt"),
            ["b/c/w.txt", "b/y.txt", "x.txt"],
            "** matches no directory too"
        );
        assert_eq!(
            below("a/**"),
            Vec::<String>::new(),
            "directories never match"
        );
        assert_eq!(
            below("a/**/*"),
            ["b/c/w.txt", "b/c/z.rs", "b/y.txt", "x.txt"]
        );
        assert!(below("nope/*").is_empty());
        assert_eq!(
            glob(root, "a/x.txt"),
            [(root.join("a/x.txt"), String::new())]
        );
    }
}
