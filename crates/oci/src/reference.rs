//! [`Reference`], [`Repository`] and [`Tag`]: image names parsed once.
//!
//! The grammar is the distribution specification's: a repository is path components of
//! `[a-z0-9]+(([._]|__|-+)[a-z0-9]+)*` joined by `/`; a tag is `[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`;
//! the registry is the first component when it holds a `.` or `:` or is `localhost`, and
//! `docker.io` otherwise (where single-component names live under `library/`).

use std::fmt;
use std::str::FromStr;

use consign_core::Digest;

use crate::Error;

/// Docker Hub's registry name in references.
pub const DOCKER_HUB: &str = "docker.io";

/// A repository name within a registry (`library/alpine`, `acme/tool`).
///
/// ```
/// use consign_oci::Repository;
/// let r = Repository::new("acme/release-tool")?;
/// assert_eq!(r.as_str(), "acme/release-tool");
/// assert!(Repository::new("Acme/Tool").is_err());
/// # Ok::<(), consign_oci::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Repository(String);

impl Repository {
    /// Checks `name` against the distribution grammar.
    pub fn new(name: &str) -> Result<Repository, Error> {
        let bad = |reason: &str| Error::InvalidName {
            kind: "repository",
            text: name.to_owned(),
            reason: reason.to_owned(),
        };
        if name.is_empty() || name.len() > 255 {
            return Err(bad("must be 1 to 255 characters"));
        }
        for component in name.split('/') {
            if !path_component_ok(component) {
                return Err(bad(
                    "each `/`-separated part must be lowercase letters and digits, \
                     joined by single `.`, `_`, `__` or runs of `-`",
                ));
            }
        }
        Ok(Repository(name.to_owned()))
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

fn path_component_ok(c: &str) -> bool {
    let b = c.as_bytes();
    let alnum = |x: u8| x.is_ascii_lowercase() || x.is_ascii_digit();
    if b.is_empty() || !alnum(b[0]) || !alnum(b[b.len() - 1]) {
        return false;
    }
    let mut i = 0;
    while i < b.len() {
        if alnum(b[i]) {
            i += 1;
            continue;
        }
        // A separator run: `.`, `_`, `__` or one or more `-`.
        let start = i;
        while i < b.len() && !alnum(b[i]) {
            i += 1;
        }
        let sep = &c[start..i];
        let ok = sep == "." || sep == "_" || sep == "__" || sep.bytes().all(|x| x == b'-');
        if !ok {
            return false;
        }
    }
    true
}

impl fmt::Display for Repository {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A tag (`1.2.3`, `latest`, `1.2.3-amd64`, `sha256-<hex>.sig`).
///
/// ```
/// use consign_oci::Tag;
/// assert_eq!(Tag::new("1.2.3-amd64")?.as_str(), "1.2.3-amd64");
/// assert!(Tag::new("feature/x").is_err());
/// assert_eq!(Tag::sanitize("feature/Add x").as_str(), "feature-Add-x");
/// # Ok::<(), consign_oci::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Tag(String);

impl Tag {
    /// Checks `text` against the tag grammar.
    pub fn new(text: &str) -> Result<Tag, Error> {
        let b = text.as_bytes();
        let word = |x: u8| x.is_ascii_alphanumeric() || x == b'_';
        let ok = !b.is_empty()
            && b.len() <= 128
            && word(b[0])
            && b[1..].iter().all(|&x| word(x) || x == b'.' || x == b'-');
        if ok {
            Ok(Tag(text.to_owned()))
        } else {
            Err(Error::InvalidName {
                kind: "tag",
                text: text.to_owned(),
                reason: "must be 1 to 128 of A-Z a-z 0-9 _ . -, not starting with . or -".into(),
            })
        }
    }

    /// A valid tag made from any text (a branch name, a PR title): characters outside the
    /// grammar become `-` (non-ASCII ones are dropped), runs of `-` collapse, leading `.`/`-`
    /// go, and the result is cut at 128 characters. Empty input gives `latest`.
    pub fn sanitize(text: &str) -> Tag {
        let mut out = String::with_capacity(text.len());
        for ch in text.chars() {
            let mapped = match ch {
                'A'..='Z' | 'a'..='z' | '0'..='9' | '_' | '.' => Some(ch),
                c if c.is_ascii() => Some('-'),
                _ => None,
            };
            if let Some(c) = mapped
                && !(c == '-' && out.ends_with('-'))
            {
                out.push(c);
            }
        }
        let trimmed = out.trim_start_matches(['.', '-']);
        let mut tag: String = trimmed.chars().take(128).collect();
        while tag.ends_with('-') {
            tag.pop();
        }
        if tag.is_empty() {
            tag.push_str("latest");
        }
        Tag(tag)
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Tag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A full image reference: registry, repository, and a tag, a digest or both.
///
/// ```
/// use consign_oci::Reference;
/// let r: Reference = "127.0.0.1:5000/acme/tool:1.2.3-amd64".parse()?;
/// assert_eq!(r.registry(), "127.0.0.1:5000");
/// assert_eq!(r.repository().as_str(), "acme/tool");
/// assert_eq!(r.tag().map(|t| t.as_str()), Some("1.2.3-amd64"));
/// assert_eq!(r.to_string(), "127.0.0.1:5000/acme/tool:1.2.3-amd64");
///
/// let hub: Reference = "alpine".parse()?;
/// assert_eq!(hub.to_string(), "docker.io/library/alpine:latest");
/// # Ok::<(), consign_oci::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Reference {
    registry: String,
    repository: Repository,
    tag: Option<Tag>,
    digest: Option<Digest>,
}

impl Reference {
    /// A reference by tag.
    pub fn with_tag(registry: impl Into<String>, repository: Repository, tag: Tag) -> Reference {
        Reference {
            registry: registry.into(),
            repository,
            tag: Some(tag),
            digest: None,
        }
    }

    /// A reference by digest.
    pub fn with_digest(
        registry: impl Into<String>,
        repository: Repository,
        digest: Digest,
    ) -> Reference {
        Reference {
            registry: registry.into(),
            repository,
            tag: None,
            digest: Some(digest),
        }
    }

    /// The registry host (and port): `docker.io`, `ghcr.io`, `127.0.0.1:5000`.
    pub fn registry(&self) -> &str {
        &self.registry
    }

    /// The repository.
    pub fn repository(&self) -> &Repository {
        &self.repository
    }

    /// The tag, if any.
    pub fn tag(&self) -> Option<&Tag> {
        self.tag.as_ref()
    }

    /// The digest, if any.
    pub fn digest(&self) -> Option<&Digest> {
        self.digest.as_ref()
    }

    /// What to ask the registry for: the digest when there is one, else the tag.
    pub fn target(&self) -> String {
        match (&self.digest, &self.tag) {
            (Some(d), _) => d.to_string(),
            (None, Some(t)) => t.to_string(),
            (None, None) => "latest".to_owned(),
        }
    }

    /// The same repository with another tag (and no digest).
    #[must_use]
    pub fn retag(&self, tag: Tag) -> Reference {
        Reference::with_tag(self.registry.clone(), self.repository.clone(), tag)
    }

    /// The same repository pinned to `digest` (and no tag).
    #[must_use]
    pub fn at_digest(&self, digest: Digest) -> Reference {
        Reference::with_digest(self.registry.clone(), self.repository.clone(), digest)
    }

    /// Whether the registry is a loopback address (`localhost`, `127.0.0.0/8`, `[::1]`), the
    /// only place plain HTTP is allowed.
    pub fn is_loopback(&self) -> bool {
        registry_is_loopback(&self.registry)
    }
}

/// Whether a registry `host[:port]` names a loopback address.
pub fn registry_is_loopback(registry: &str) -> bool {
    let host = if let Some(rest) = registry.strip_prefix('[') {
        rest.split(']').next().unwrap_or("")
    } else {
        registry.rsplit_once(':').map_or(registry, |(h, _)| h)
    };
    host == "localhost"
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

impl FromStr for Reference {
    type Err = Error;

    fn from_str(text: &str) -> Result<Reference, Error> {
        let bad = |reason: &str| Error::InvalidName {
            kind: "image reference",
            text: text.to_owned(),
            reason: reason.to_owned(),
        };
        let (rest, digest) = match text.split_once('@') {
            Some((rest, d)) => (
                rest,
                Some(d.parse::<Digest>().map_err(|e| bad(&e.to_string()))?),
            ),
            None => (text, None),
        };
        // A tag follows the last `:` after the last `/` (a registry port has a `/` after it).
        let (name, tag) = match rest.rsplit_once(':') {
            Some((name, tag)) if !tag.contains('/') => (name, Some(Tag::new(tag)?)),
            _ => (rest, None),
        };
        let (registry, path) = match name.split_once('/') {
            Some((first, path))
                if first.contains('.') || first.contains(':') || first == "localhost" =>
            {
                (first.to_owned(), path.to_owned())
            }
            _ => (DOCKER_HUB.to_owned(), name.to_owned()),
        };
        if registry.is_empty() {
            return Err(bad("the registry is empty"));
        }
        let path = if registry == DOCKER_HUB && !path.contains('/') {
            format!("library/{path}")
        } else {
            path
        };
        let repository = Repository::new(&path)?;
        let tag = match (&tag, &digest) {
            (None, None) => Some(Tag("latest".to_owned())),
            _ => tag,
        };
        Ok(Reference {
            registry,
            repository,
            tag,
            digest,
        })
    }
}

impl fmt::Display for Reference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.registry, self.repository)?;
        if let Some(t) = &self.tag {
            write!(f, ":{t}")?;
        }
        if let Some(d) = &self.digest {
            write!(f, "@{d}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_parse_the_distribution_way() {
        let d = "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
        let r: Reference = format!("localhost:5000/a/b@{d}").parse().unwrap();
        assert_eq!(r.registry(), "localhost:5000");
        assert_eq!(r.tag(), None);
        assert_eq!(r.target(), d);
        assert!(r.is_loopback());
        let r: Reference = format!("ghcr.io/acme/tool:v1@{d}").parse().unwrap();
        assert_eq!(r.to_string(), format!("ghcr.io/acme/tool:v1@{d}"));
        assert!(!r.is_loopback());
        let r: Reference = "acme/tool".parse().unwrap();
        assert_eq!(r.to_string(), "docker.io/acme/tool:latest");
        assert!("127.0.0.1:5000/Bad/name".parse::<Reference>().is_err());
        assert!("host/a//b".parse::<Reference>().is_err());
        assert!("host/a:b:c".parse::<Reference>().is_err());
        assert!("host/a@sha256:12".parse::<Reference>().is_err());
        assert!(registry_is_loopback("[::1]:5000"));
        assert!(registry_is_loopback("127.0.0.2"));
        assert!(!registry_is_loopback("10.0.0.1:5000"));
    }

    #[test]
    fn repository_grammar() {
        for ok in ["a", "a/b", "a.b/c__d", "a---b", "a_b.c-d/e"] {
            assert!(Repository::new(ok).is_ok(), "{ok}");
        }
        for bad in [
            "", "A", "a/", "/a", "a..b", "a___b", "a_-b", "-a", "a-", "a b",
        ] {
            assert!(Repository::new(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn tags_are_checked_and_sanitized() {
        assert!(Tag::new(&"a".repeat(128)).is_ok());
        assert!(Tag::new(&"a".repeat(129)).is_err());
        assert!(Tag::new(".a").is_err() && Tag::new("-a").is_err() && Tag::new("").is_err());
        assert_eq!(Tag::sanitize("refs/heads/main").as_str(), "refs-heads-main");
        assert_eq!(Tag::sanitize("--").as_str(), "latest");
        assert_eq!(Tag::sanitize(&"x".repeat(300)).as_str().len(), 128);
        for text in ["pr 596", "Feature/ABC_1.2", "..weird..", "ü"] {
            assert!(Tag::new(Tag::sanitize(text).as_str()).is_ok(), "{text}");
        }
    }
}
