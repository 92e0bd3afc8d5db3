//! The control file and the values it is made of: [`PackageName`] (Debian policy 5.6.1),
//! [`DebVersion`] (policy 5.6.12), [`Relation`] (policy 7.1), [`Priority`] and [`Control`],
//! the paragraph itself.

use std::fmt;
use std::str::FromStr;

use consign_core::{Dependency, Version, VersionOp};

use super::DebError;
use crate::Error;

/// A Debian binary package name: lowercase letters, digits and `+-.`, at least two
/// characters, starting with a letter or digit (Debian policy 5.6.1).
///
/// ```
/// use consign_package::deb::PackageName;
/// assert_eq!(PackageName::new("consign-sums")?.as_str(), "consign-sums");
/// assert!(PackageName::new("Consign_Sums").is_err());
/// # Ok::<(), consign_package::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PackageName(String);

impl PackageName {
    /// Checks `name` against the policy.
    pub fn new(name: impl Into<String>) -> Result<PackageName, Error> {
        let name = name.into();
        let bad = |reason| -> Error {
            DebError::Name {
                name: name.clone(),
                reason,
            }
            .into()
        };
        if name.len() < 2 {
            return Err(bad("it must be at least two characters long"));
        }
        if !name.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit()) {
            return Err(bad("it must start with a lowercase letter or a digit"));
        }
        if !name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "+-.".contains(c))
        {
            return Err(bad("use only lowercase letters, digits and + - ."));
        }
        Ok(PackageName(name))
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for PackageName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for PackageName {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        PackageName::new(s)
    }
}

/// A Debian version, `[epoch:]upstream_version[-debian_revision]` (Debian policy 5.6.12).
///
/// ```
/// use consign_package::deb::DebVersion;
/// let v: DebVersion = "1:2.0~rc1-3".parse()?;
/// assert_eq!((v.epoch(), v.upstream(), v.revision()), (Some(1), "2.0~rc1", Some("3")));
/// assert!(!v.is_native());
/// // A Cargo (SemVer) version: the pre-release sorts before the release.
/// let cargo: consign_core::Version = "1.0.0-rc.1".parse()?;
/// assert_eq!(DebVersion::from_version(&cargo, Some("1"))?.to_string(), "1.0.0~rc.1-1");
/// assert!("v1.0".parse::<DebVersion>().is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct DebVersion {
    epoch: Option<u32>,
    upstream: String,
    revision: Option<String>,
}

impl DebVersion {
    /// A version from its parts, each checked.
    pub fn new(
        epoch: Option<u32>,
        upstream: impl Into<String>,
        revision: Option<&str>,
    ) -> Result<DebVersion, Error> {
        let upstream = upstream.into();
        let text = match (epoch, revision) {
            (Some(e), Some(r)) => format!("{e}:{upstream}-{r}"),
            (Some(e), None) => format!("{e}:{upstream}"),
            (None, Some(r)) => format!("{upstream}-{r}"),
            (None, None) => upstream,
        };
        let v: DebVersion = text.parse()?;
        // The upstream part may not hide a revision or an epoch of its own.
        if v.epoch != epoch || v.revision.as_deref() != revision {
            return Err(DebError::Version {
                version: text,
                reason: "the upstream part may contain `-` only with a revision and never `:`",
            }
            .into());
        }
        Ok(v)
    }

    /// A package version as the upstream version: for SemVer, the pre-release follows `~` so
    /// that `1.0.0-rc.1` sorts before `1.0.0`, and build metadata follows `+`; another version
    /// is taken as written.
    pub fn from_version(version: &Version, revision: Option<&str>) -> Result<DebVersion, Error> {
        let mut upstream = version.release().to_owned();
        if let Some(pre) = version.pre_release() {
            upstream.push('~');
            upstream.push_str(pre);
        }
        if let Some(build) = version.build() {
            upstream.push('+');
            upstream.push_str(build);
        }
        if version.semver().is_some() && upstream.contains('-') {
            return Err(DebError::Version {
                version: version.to_string(),
                reason: "a SemVer pre-release or build with `-` cannot be a Debian upstream version",
            }
            .into());
        }
        DebVersion::new(None, upstream, revision)
    }

    /// The epoch, if any.
    pub fn epoch(&self) -> Option<u32> {
        self.epoch
    }

    /// The upstream version.
    pub fn upstream(&self) -> &str {
        &self.upstream
    }

    /// The Debian revision, if any.
    pub fn revision(&self) -> Option<&str> {
        self.revision.as_deref()
    }

    /// True for a native version (no revision): its changelog is `changelog.gz`, not
    /// `changelog.Debian.gz`.
    pub fn is_native(&self) -> bool {
        self.revision.is_none()
    }
}

impl FromStr for DebVersion {
    type Err = Error;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let bad = |reason| -> Error {
            DebError::Version {
                version: text.to_owned(),
                reason,
            }
            .into()
        };
        let (epoch, rest) = match text.split_once(':') {
            Some((e, rest)) => {
                if e.is_empty() || !e.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(bad("the epoch (before `:`) must be a number"));
                }
                let e = e
                    .parse::<u32>()
                    .map_err(|_| bad("the epoch is too large"))?;
                (Some(e), rest)
            }
            None => (None, text),
        };
        let (upstream, revision) = match rest.rsplit_once('-') {
            Some((u, r)) => (u, Some(r)),
            None => (rest, None),
        };
        if !upstream.starts_with(|c: char| c.is_ascii_digit()) {
            return Err(bad("the upstream version must start with a digit"));
        }
        if !upstream
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || ".+~-".contains(c))
        {
            return Err(bad(
                "the upstream version may contain only letters, digits and . + ~ - \
                 (`:` only after an epoch)",
            ));
        }
        if let Some(r) = revision {
            if r.is_empty() {
                return Err(bad("the revision after the last `-` is empty"));
            }
            if !r
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || ".+~".contains(c))
            {
                return Err(bad(
                    "the revision may contain only letters, digits and . + ~",
                ));
            }
        }
        Ok(DebVersion {
            epoch,
            upstream: upstream.to_owned(),
            revision: revision.map(str::to_owned),
        })
    }
}

impl fmt::Display for DebVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(e) = self.epoch {
            write!(f, "{e}:")?;
        }
        f.write_str(&self.upstream)?;
        if let Some(r) = &self.revision {
            write!(f, "-{r}")?;
        }
        Ok(())
    }
}

/// The Debian spelling of a version comparison.
pub fn relation_op(op: VersionOp) -> Option<&'static str> {
    Some(match op {
        VersionOp::Less => "<<",
        VersionOp::LessEq => "<=",
        VersionOp::Eq => "=",
        VersionOp::GreaterEq => ">=",
        VersionOp::Greater => ">>",
        _ => return None,
    })
}

/// One relation: a package, or alternatives (`a (>= 1) | b`), each with an optional version
/// constraint (Debian policy 7.1). Package names may carry an architecture qualifier
/// (`python3:any`).
///
/// ```
/// use consign_core::{Dependency, Version, VersionOp};
/// use consign_package::deb::Relation;
/// let r: Relation = "libc6 (>= 2.36) | libc6.1".parse()?;
/// assert_eq!(r.to_string(), "libc6 (>= 2.36) | libc6.1");
/// let d = Relation::new(Dependency::new("libssl3").version(VersionOp::Less, "4"))?;
/// assert_eq!(d.to_string(), "libssl3 (<< 4)");
/// assert!("libc6 (>= two)".parse::<Relation>().is_err());
/// # Ok::<(), consign_package::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Relation {
    alternatives: Vec<Dependency>,
}

impl Relation {
    /// A relation on one package; the name and version are checked.
    pub fn new(dependency: Dependency) -> Result<Relation, Error> {
        Relation::any_of(vec![dependency])
    }

    /// A relation satisfied by any of `alternatives` (at least one).
    pub fn any_of(alternatives: Vec<Dependency>) -> Result<Relation, Error> {
        let text = alternatives
            .iter()
            .map(Dependency::to_string)
            .collect::<Vec<_>>()
            .join(" | ");
        let bad = |reason| -> Error {
            DebError::Relation {
                relation: text.clone(),
                reason,
            }
            .into()
        };
        if alternatives.is_empty() {
            return Err(bad("a relation needs at least one package"));
        }
        for d in &alternatives {
            let (name, arch) = match d.name.split_once(':') {
                Some((n, a)) => (n, Some(a)),
                None => (d.name.as_str(), None),
            };
            PackageName::new(name)
                .map_err(|_| bad("package names use lowercase letters, digits and + - ."))?;
            if arch.is_some_and(|a| {
                a.is_empty()
                    || !a
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
            }) {
                return Err(bad(
                    "an architecture qualifier is a Debian architecture name",
                ));
            }
            if let Some((op, v)) = &d.constraint {
                relation_op(*op).ok_or_else(|| bad("unknown version operator"))?;
                v.parse::<DebVersion>()
                    .map_err(|_| bad("the version is not a valid Debian version"))?;
            }
        }
        Ok(Relation { alternatives })
    }

    /// The alternatives.
    pub fn alternatives(&self) -> &[Dependency] {
        &self.alternatives
    }

    /// Parses a comma-separated relation field (`a (>= 1), b | c`); empty text gives none.
    pub fn parse_list(text: &str) -> Result<Vec<Relation>, Error> {
        text.split(',')
            .map(str::trim)
            .filter(|r| !r.is_empty())
            .map(str::parse)
            .collect()
    }
}

impl FromStr for Relation {
    type Err = Error;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let bad = |reason| -> Error {
            DebError::Relation {
                relation: text.trim().to_owned(),
                reason,
            }
            .into()
        };
        let mut alternatives = Vec::new();
        for alt in text.split('|').map(str::trim) {
            if alt.contains('[') || alt.contains('<') && !alt.contains('(') {
                return Err(bad(
                    "architecture restrictions and build profiles are for source packages",
                ));
            }
            let (name, constraint) = match alt.split_once('(') {
                None => (alt, None),
                Some((name, rest)) => {
                    let inner = rest
                        .trim_end()
                        .strip_suffix(')')
                        .ok_or_else(|| bad("a version constraint must end with `)`"))?
                        .trim();
                    let split = inner
                        .find(|c: char| !"<=>".contains(c))
                        .ok_or_else(|| bad("a version constraint needs a version"))?;
                    let op = match &inner[..split] {
                        "<<" => VersionOp::Less,
                        "<=" => VersionOp::LessEq,
                        "=" => VersionOp::Eq,
                        ">=" => VersionOp::GreaterEq,
                        ">>" => VersionOp::Greater,
                        "<" | ">" => return Err(bad("`<` and `>` are obsolete: write << or >>")),
                        _ => return Err(bad("the operator must be one of << <= = >= >>")),
                    };
                    (name.trim(), Some((op, inner[split..].trim().to_owned())))
                }
            };
            if name.contains(char::is_whitespace) {
                return Err(bad("separate relations with `,` and alternatives with `|`"));
            }
            alternatives.push(Dependency {
                name: name.to_owned(),
                constraint,
            });
        }
        Relation::any_of(alternatives).map_err(|e| match e {
            Error::Deb(DebError::Relation { reason, .. }) => bad(reason),
            other => other,
        })
    }
}

impl fmt::Display for Relation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, d) in self.alternatives.iter().enumerate() {
            if i > 0 {
                f.write_str(" | ")?;
            }
            f.write_str(&d.name)?;
            if let Some((op, v)) = &d.constraint {
                // Checked in `any_of`.
                let op = relation_op(*op).unwrap_or("=");
                write!(f, " ({op} {v})")?;
            }
        }
        Ok(())
    }
}

/// The `Priority` field.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Priority {
    /// Necessary for the proper functioning of the system.
    Required,
    /// Expected on any Unix-like system.
    Important,
    /// A reasonably small but not too limited character-mode system.
    Standard,
    /// The default for everything else.
    #[default]
    Optional,
}

impl Priority {
    /// The field value.
    pub fn as_str(self) -> &'static str {
        match self {
            Priority::Required => "required",
            Priority::Important => "important",
            Priority::Standard => "standard",
            Priority::Optional => "optional",
        }
    }
}

impl FromStr for Priority {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s {
            "required" => Priority::Required,
            "important" => Priority::Important,
            "standard" => Priority::Standard,
            "optional" => Priority::Optional,
            _ => {
                return Err(Error::Invalid {
                    field: "Priority",
                    value: s.to_owned(),
                    reason: "use required, important, standard or optional",
                });
            }
        })
    }
}

/// A binary package's control paragraph: fields in the order `dpkg-gencontrol` writes them.
///
/// [`super::Deb::control`] builds it; its `Display` text is the `control` file.
///
/// ```
/// use consign_core::{Entry, FileTree, PackageMeta, SourceDate};
/// use consign_package::deb::Deb;
/// let meta = PackageMeta::new("hello", "1.0.0")?
///     .maintainer("Jane Doe <jane@example.org>")
///     .license("MIT")
///     .description("Greets the world\nPrints a greeting.\n\nThat is all.");
/// let mut tree = FileTree::new();
/// tree.insert("usr/bin/hello", Entry::bytes(vec![0u8; 3000]).mode(0o755))?;
/// let deb = Deb::new(&tree, &meta, "x86_64-unknown-linux-gnu".parse()?, SourceDate::from_unix(0));
/// let control = deb.control()?;
/// assert_eq!(control.get("Architecture"), Some("amd64"));
/// assert!(control.to_string().ends_with(
///     "Description: Greets the world\n Prints a greeting.\n .\n That is all.\n"
/// ));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Control {
    fields: Vec<(&'static str, String)>,
}

impl Control {
    pub(crate) fn new() -> Control {
        Control { fields: Vec::new() }
    }

    /// Appends a one-line field; refuses a value with a line break or nothing in it.
    pub(crate) fn push(&mut self, field: &'static str, value: String) -> Result<(), Error> {
        if value.trim().is_empty() || value.contains(['\n', '\r']) {
            return Err(Error::Invalid {
                field,
                value,
                reason: "it must be one non-empty line",
            });
        }
        self.fields.push((field, value.trim().to_owned()));
        Ok(())
    }

    /// Appends a relation field unless `relations` is empty.
    pub(crate) fn push_relations(&mut self, field: &'static str, relations: &[Relation]) {
        if !relations.is_empty() {
            let text = relations
                .iter()
                .map(Relation::to_string)
                .collect::<Vec<_>>()
                .join(", ");
            self.fields.push((field, text));
        }
    }

    /// Appends the description: the synopsis, then the extended text as continuation lines
    /// (one leading space; a blank line becomes ` .`).
    pub(crate) fn push_description(
        &mut self,
        synopsis: &str,
        extended: Option<&str>,
    ) -> Result<(), Error> {
        let bad = |value: &str, reason| Error::Invalid {
            field: "Description",
            value: value.to_owned(),
            reason,
        };
        let synopsis = synopsis.trim();
        if synopsis.is_empty() || synopsis.contains(['\n', '\r']) {
            return Err(bad(synopsis, "the synopsis must be one non-empty line"));
        }
        let mut text = synopsis.to_owned();
        let lines: Vec<&str> = extended
            .unwrap_or("")
            .lines()
            .map(str::trim_end)
            .skip_while(|l| l.is_empty())
            .collect();
        let end = lines
            .iter()
            .rposition(|l| !l.is_empty())
            .map_or(0, |i| i + 1);
        for line in &lines[..end] {
            if line.is_empty() {
                text.push_str("\n .");
            } else if line.starts_with('.') {
                return Err(bad(
                    line,
                    "an extended description line may not start with `.`",
                ));
            } else {
                text.push_str("\n ");
                text.push_str(line);
            }
        }
        self.fields.push(("Description", text));
        Ok(())
    }

    /// The value of `field` (continuation lines included, as written).
    pub fn get(&self, field: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(f, _)| f.eq_ignore_ascii_case(field))
            .map(|(_, v)| v.as_str())
    }

    /// The fields in file order.
    pub fn fields(&self) -> impl Iterator<Item = (&'static str, &str)> {
        self.fields.iter().map(|(f, v)| (*f, v.as_str()))
    }
}

impl fmt::Display for Control {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (field, value) in &self.fields {
            writeln!(f, "{field}: {value}")?;
        }
        Ok(())
    }
}

/// Checks a `Name <email>` maintainer.
pub(crate) fn check_maintainer(value: &str) -> Result<(), Error> {
    let ok = value
        .split_once('<')
        .and_then(|(name, rest)| Some((name.trim(), rest.strip_suffix('>')?)))
        .is_some_and(|(name, email)| {
            !name.is_empty()
                && email.contains('@')
                && !email.contains(['<', '>', ' '])
                && !name.contains(['<', '>', ',', '\n'])
        });
    if ok {
        Ok(())
    } else {
        Err(Error::Invalid {
            field: "Maintainer",
            value: value.to_owned(),
            reason: "write it as `Full Name <email@address>`",
        })
    }
}

/// Checks a section name (`utils`, `contrib/net`).
pub(crate) fn check_section(value: &str) -> Result<(), Error> {
    let ok = !value.is_empty()
        && value
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "+-./".contains(c));
    if ok {
        Ok(())
    } else {
        Err(Error::Invalid {
            field: "Section",
            value: value.to_owned(),
            reason: "use a Debian section such as utils, net or contrib/devel",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn package_names() {
        for ok in ["ab", "consign-sums", "libfoo2.0+x", "0ad", "g++"] {
            assert_eq!(PackageName::new(ok).unwrap().as_str(), ok);
        }
        for bad in ["", "a", "Ab", "a_b", "-ab", ".ab", "a b", "ab/c", "äb"] {
            match PackageName::new(bad) {
                Err(Error::Deb(DebError::Name { name, .. })) => assert_eq!(name, bad),
                other => panic!("{bad:?}: {other:?}"),
            }
        }
    }

    #[test]
    fn versions() {
        for (text, epoch, upstream, revision) in [
            ("1.0", None, "1.0", None),
            ("1:2.0~rc1-3", Some(1), "2.0~rc1", Some("3")),
            ("2.0-1-2", None, "2.0-1", Some("2")),
            (
                "0+git20230101.abc-0ubuntu1~22.04",
                None,
                "0+git20230101.abc",
                Some("0ubuntu1~22.04"),
            ),
        ] {
            let v: DebVersion = text.parse().unwrap();
            assert_eq!(
                (v.epoch(), v.upstream(), v.revision()),
                (epoch, upstream, revision)
            );
            assert_eq!(v.to_string(), text);
        }
        for bad in [
            "", "a1.0", "1.0-", "1:", ":1.0", "x:1.0", "1.0_1", "1.0-a_b", "1:2:3", "1 0",
        ] {
            match bad.parse::<DebVersion>() {
                Err(Error::Deb(DebError::Version { version, .. })) => assert_eq!(version, bad),
                other => panic!("{bad:?}: {other:?}"),
            }
        }
        assert!(DebVersion::new(None, "1.0-1", None).is_err());
        assert!(DebVersion::new(Some(2), "1.0", Some("1")).is_ok());
        assert_eq!(
            DebVersion::from_version(&"1.2.3-beta.2+build.5".parse().unwrap(), None)
                .unwrap()
                .to_string(),
            "1.2.3~beta.2+build.5"
        );
        assert!(DebVersion::from_version(&"1.2.3-rc-1".parse().unwrap(), None).is_err());
    }

    #[test]
    fn relations() {
        let list =
            Relation::parse_list("libc6 (>= 2.34), libssl3 | libssl1.1 (<<1.2) ,, python3:any")
                .unwrap();
        let texts: Vec<String> = list.iter().map(Relation::to_string).collect();
        assert_eq!(
            texts,
            [
                "libc6 (>= 2.34)",
                "libssl3 | libssl1.1 (<< 1.2)",
                "python3:any"
            ]
        );
        for bad in [
            "libc6 (> 2)",
            "libc6 (>= )",
            "Libc6",
            "libc6 (>= 2",
            "a b",
            "foo [amd64]",
            "libc6 (~= 1)",
        ] {
            match bad.parse::<Relation>() {
                Err(Error::Deb(DebError::Relation { relation, .. })) => assert_eq!(relation, bad),
                other => panic!("{bad:?}: {other:?}"),
            }
        }
    }

    #[test]
    fn description_continuation_lines() {
        let mut c = Control::new();
        c.push_description(
            "Short summary",
            Some("\n\nFirst paragraph\nstill first.\n\n   indented verbatim\n\nLast.\n\n"),
        )
        .unwrap();
        assert_eq!(
            c.to_string(),
            "Description: Short summary\n First paragraph\n still first.\n .\n    indented verbatim\n .\n Last.\n"
        );
        let mut c = Control::new();
        c.push_description("Only a synopsis", None).unwrap();
        assert_eq!(c.to_string(), "Description: Only a synopsis\n");
        assert!(Control::new().push_description("", None).is_err());
        assert!(
            Control::new()
                .push_description("x", Some(".hidden"))
                .is_err()
        );
        assert!(Control::new().push("Section", "a\nb".into()).is_err());
    }

    #[test]
    fn maintainers_and_sections() {
        check_maintainer("Jane Doe <jane@example.org>").unwrap();
        for bad in [
            "Jane Doe",
            "<jane@example.org>",
            "Jane <jane>",
            "Jane <a@b> x",
        ] {
            assert!(
                matches!(check_maintainer(bad), Err(Error::Invalid { value, .. }) if value == bad)
            );
        }
        check_section("contrib/net").unwrap();
        assert!(check_section("Utils").is_err());
        assert_eq!("optional".parse::<Priority>().unwrap(), Priority::Optional);
        assert!("extra".parse::<Priority>().is_err());
    }
}
