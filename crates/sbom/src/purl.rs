//! Package URLs (`pkg:cargo/name@version?qualifiers`) as the purl specification writes them.
//!
//! crates.io crates have no qualifier. Crates from another registry carry `repository_url`
//! (the index URL), git crates `vcs_url` (`git+https://…@commit`) and local crates
//! `download_url` (`file://` and the path relative to the workspace root, so the same source
//! gives the same purl on every machine).

use crate::inventory::Source;

/// The purl of a Cargo crate.
///
/// ```
/// use consign_sbom::{Source, purl};
/// assert_eq!(purl::cargo("serde", "1.0.0", &Source::CratesIo), "pkg:cargo/serde@1.0.0");
/// let git = Source::Git { url: "https://github.com/a/b".into(), rev: Some("0a1b".into()) };
/// assert_eq!(
///     purl::cargo("b", "0.1.0", &git),
///     "pkg:cargo/b@0.1.0?vcs_url=git%2Bhttps://github.com/a/b%400a1b"
/// );
/// ```
pub fn cargo(name: &str, version: &str, source: &Source) -> String {
    let mut s = format!("pkg:cargo/{}@{}", encode(name), encode(version));
    let qualifier = match source {
        Source::CratesIo => None,
        Source::Registry { index } => Some(("repository_url", index.clone())),
        Source::Git { url, rev } => Some((
            "vcs_url",
            match rev {
                Some(r) => format!("git+{url}@{r}"),
                None => format!("git+{url}"),
            },
        )),
        Source::Path { path } => Some(("download_url", format!("file://{path}"))),
    };
    if let Some((key, value)) = qualifier {
        s.push('?');
        s.push_str(key);
        s.push('=');
        s.push_str(&encode_qualifier(&value));
    }
    s
}

/// Percent-encodes a name or version: everything but unreserved characters.
fn encode(text: &str) -> String {
    percent(text, |b| b.is_ascii_alphanumeric() || b"-._~".contains(&b))
}

/// Percent-encodes a qualifier value; `:` and `/` stay as they are.
fn encode_qualifier(text: &str) -> String {
    percent(text, |b| {
        b.is_ascii_alphanumeric() || b"-._~:/".contains(&b)
    })
}

fn percent(text: &str, keep: impl Fn(u8) -> bool) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if keep(b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn qualifiers() {
        let r = Source::Registry {
            index: "sparse+https://my.example/index/".into(),
        };
        assert_eq!(
            cargo("x", "1.0.0+meta", &r),
            "pkg:cargo/x@1.0.0%2Bmeta?repository_url=sparse%2Bhttps://my.example/index/"
        );
        let p = Source::Path {
            path: "crates/core".into(),
        };
        assert_eq!(
            cargo("consign-core", "0.1.0", &p),
            "pkg:cargo/consign-core@0.1.0?download_url=file://crates/core"
        );
        let g = Source::Git {
            url: "https://h.example/a b".into(),
            rev: None,
        };
        assert_eq!(
            cargo("a", "1", &g),
            "pkg:cargo/a@1?vcs_url=git%2Bhttps://h.example/a%20b"
        );
    }
}
