//! [`RpmSpec`]: what an rpm says beyond [`consign_core::PackageMeta`]: release, epoch, group,
//! relations to other packages, scriptlets, changelog and per-file attributes. The values a
//! spec file's preamble, `%pre`/`%post` sections, `%changelog` and `%files` qualifiers hold.

use std::collections::BTreeMap;

use consign_core::{Dependency, RelPath, SourceDate};

use crate::Error;

/// A kind of relation to other packages.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum RelationKind {
    /// `Requires:`: must be installed.
    Requires,
    /// `Provides:`: capabilities this package offers besides its own name.
    Provides,
    /// `Conflicts:`: cannot be installed together.
    Conflicts,
    /// `Obsoletes:`: replaces these packages on upgrade.
    Obsoletes,
    /// `Recommends:`: installed by default, may be left out (weak).
    Recommends,
    /// `Suggests:`: offered to the user (weak).
    Suggests,
    /// `Supplements:`: reverse of recommends (weak).
    Supplements,
    /// `Enhances:`: reverse of suggests (weak).
    Enhances,
}

/// When a scriptlet runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum ScriptletKind {
    /// `%pre`: before the files are installed.
    Pre,
    /// `%post`: after the files are installed.
    Post,
    /// `%preun`: before the files are removed.
    PreUn,
    /// `%postun`: after the files are removed.
    PostUn,
    /// `%pretrans`: before the transaction.
    PreTrans,
    /// `%posttrans`: after the transaction.
    PostTrans,
    /// `%preuntrans`: before a transaction that removes the package (rpm 4.20 and later;
    /// older rpm ignores it).
    PreUnTrans,
    /// `%postuntrans`: after a transaction that removes the package (rpm 4.20 and later;
    /// older rpm ignores it).
    PostUnTrans,
}

impl ScriptletKind {
    /// The spec-file section name (`%post`).
    pub fn section(self) -> &'static str {
        match self {
            ScriptletKind::Pre => "%pre",
            ScriptletKind::Post => "%post",
            ScriptletKind::PreUn => "%preun",
            ScriptletKind::PostUn => "%postun",
            ScriptletKind::PreTrans => "%pretrans",
            ScriptletKind::PostTrans => "%posttrans",
            ScriptletKind::PreUnTrans => "%preuntrans",
            ScriptletKind::PostUnTrans => "%postuntrans",
        }
    }
}

/// A script rpm runs at install or removal time.
///
/// ```
/// use consign_package::rpm::{Scriptlet, ScriptletKind};
/// let post = Scriptlet::new(ScriptletKind::Post, "mkdir -p /var/lib/app\n");
/// assert_eq!(post.interpreter, ["/bin/sh"]);
/// let lua = Scriptlet::new(ScriptletKind::PostTrans, "print('done')").interpreter(["<lua>"]);
/// assert_eq!(lua.interpreter, ["<lua>"]);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Scriptlet {
    /// When it runs.
    pub kind: ScriptletKind,
    /// The script text.
    pub body: String,
    /// Interpreter and its arguments; `/bin/sh` by default, `<lua>` for rpm's embedded Lua.
    /// The package requires the interpreter (except `<lua>`).
    pub interpreter: Vec<String>,
    /// rpm scriptlet flags: [`Scriptlet::EXPAND`], [`Scriptlet::QUERY_FORMAT`],
    /// [`Scriptlet::CRITICAL`].
    pub flags: u32,
}

impl Scriptlet {
    /// Expand rpm macros in the body at install time.
    pub const EXPAND: u32 = 1 << 0;
    /// Expand query-format tags in the body at install time.
    pub const QUERY_FORMAT: u32 = 1 << 1;
    /// A failure of the scriptlet fails the transaction element.
    pub const CRITICAL: u32 = 1 << 2;

    /// A `/bin/sh` scriptlet.
    pub fn new(kind: ScriptletKind, body: impl Into<String>) -> Scriptlet {
        Scriptlet {
            kind,
            body: body.into(),
            interpreter: vec!["/bin/sh".into()],
            flags: 0,
        }
    }

    /// Sets the interpreter and its arguments.
    #[must_use]
    pub fn interpreter<S: Into<String>>(mut self, argv: impl IntoIterator<Item = S>) -> Self {
        self.interpreter = argv.into_iter().map(Into::into).collect();
        self
    }

    /// Sets the flags.
    #[must_use]
    pub fn flags(mut self, flags: u32) -> Self {
        self.flags = flags;
        self
    }
}

/// One `%changelog` entry.
///
/// ```
/// use consign_core::SourceDate;
/// use consign_package::rpm::ChangelogEntry;
/// let e = ChangelogEntry::new(
///     SourceDate::from_unix(1_700_000_000),
///     "Jane Doe <jane@example.org> - 1.2.0-1",
///     "- New upstream release",
/// );
/// assert!(e.author.ends_with("1.2.0-1"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ChangelogEntry {
    /// When the change was made (rpm shows the day).
    pub time: SourceDate,
    /// `Name <email> - version-release`.
    pub author: String,
    /// The text, usually `- ` items.
    pub text: String,
}

impl ChangelogEntry {
    /// An entry.
    pub fn new(time: SourceDate, author: impl Into<String>, text: impl Into<String>) -> Self {
        ChangelogEntry {
            time,
            author: author.into(),
            text: text.into(),
        }
    }
}

/// rpm attributes of one file beyond what [`consign_core::Entry`] records.
///
/// A file marked [`consign_core::Entry::config`] is `%config(noreplace)`: an administrator's
/// changes survive upgrades (the new file is saved as `.rpmnew`). `replace` makes it plain
/// `%config` (the old file is saved as `.rpmsave` and replaced).
///
/// ```
/// use consign_package::rpm::{FileAttrs, RpmSpec};
/// let spec = RpmSpec::default()
///     .file_attrs("etc/app/defaults.conf", FileAttrs::default().replace())?
///     .file_attrs("usr/bin/ping-ish", FileAttrs::default().caps("cap_net_raw=ep"))?;
/// assert_eq!(spec.files.len(), 2);
/// # Ok::<(), consign_package::Error>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct FileAttrs {
    /// For a configuration file: replace it on upgrade (`%config`), not `%config(noreplace)`.
    pub replace: bool,
    /// For a configuration file: a missing file is not an error (`%config(missingok)`).
    pub missing_ok: bool,
    /// File capabilities in `cap_from_text` form (`cap_net_bind_service=ep`).
    pub caps: Option<String>,
}

impl FileAttrs {
    /// Plain `%config`: replaced on upgrade.
    #[must_use]
    pub fn replace(mut self) -> Self {
        self.replace = true;
        self
    }

    /// `%config(missingok)`.
    #[must_use]
    pub fn missing_ok(mut self) -> Self {
        self.missing_ok = true;
        self
    }

    /// File capabilities.
    #[must_use]
    pub fn caps(mut self, caps: impl Into<String>) -> Self {
        self.caps = Some(caps.into());
        self
    }
}

/// What an rpm says beyond [`consign_core::PackageMeta`].
///
/// Every field is optional: the release defaults to `1`, the group to `Unspecified`, the
/// packager to the maintainer; `name`, `version`, `summary`, `description`, `license` and
/// `url` override what the package metadata says. Relations add to the dependencies of
/// the package metadata, which become `Requires`.
///
/// ```
/// use consign_core::{Dependency, SourceDate, VersionOp};
/// use consign_package::rpm::{ChangelogEntry, RpmSpec, Scriptlet, ScriptletKind};
/// let spec = RpmSpec::default()
///     .release("2")
///     .requires(Dependency::new("glibc").version(VersionOp::GreaterEq, "2.34"))
///     .conflicts(Dependency::new("hello-legacy"))
///     .scriptlet(Scriptlet::new(ScriptletKind::Post, "echo installed\n"))
///     .changelog(ChangelogEntry::new(
///         SourceDate::from_unix(1_700_000_000),
///         "Jane Doe <jane@example.org> - 1.0.0-2",
///         "- Rebuilt",
///     ))
///     .file_attrs("etc/hello.conf", Default::default())?;
/// assert_eq!(spec.release.as_deref(), Some("2"));
/// # Ok::<(), consign_package::Error>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct RpmSpec {
    /// Package name, instead of the metadata's.
    pub name: Option<String>,
    /// Version, instead of the metadata's (rpm versions have no `-`: write `1.0~rc1`).
    pub version: Option<String>,
    /// Release; `1` when unset.
    pub release: Option<String>,
    /// Epoch.
    pub epoch: Option<u32>,
    /// One-line summary, instead of the first line of the description.
    pub summary: Option<String>,
    /// Description, instead of the metadata's.
    pub description: Option<String>,
    /// License expression, instead of the metadata's.
    pub license: Option<String>,
    /// Home page, instead of the metadata's home page or repository.
    pub url: Option<String>,
    /// Group; `Unspecified` when unset.
    pub group: Option<String>,
    /// Vendor.
    pub vendor: Option<String>,
    /// Packager, instead of the metadata's maintainer.
    pub packager: Option<String>,
    /// Relations to other packages, in the order given.
    pub relations: Vec<(RelationKind, Dependency)>,
    /// Scriptlets, at most one of each kind.
    pub scriptlets: Vec<Scriptlet>,
    /// Changelog entries (written newest first).
    pub changelog: Vec<ChangelogEntry>,
    /// Attributes of files of the tree, by path.
    pub files: BTreeMap<RelPath, FileAttrs>,
}

impl RpmSpec {
    /// Sets the package name (instead of the metadata's).
    #[must_use]
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// Sets the version (instead of the metadata's).
    #[must_use]
    pub fn version(mut self, version: impl Into<String>) -> Self {
        self.version = Some(version.into());
        self
    }

    /// Sets the description (instead of the metadata's).
    #[must_use]
    pub fn description(mut self, text: impl Into<String>) -> Self {
        self.description = Some(text.into());
        self
    }

    /// Sets the license expression (instead of the metadata's).
    #[must_use]
    pub fn license(mut self, spdx: impl Into<String>) -> Self {
        self.license = Some(spdx.into());
        self
    }

    /// Sets the release.
    #[must_use]
    pub fn release(mut self, release: impl Into<String>) -> Self {
        self.release = Some(release.into());
        self
    }

    /// Sets the epoch.
    #[must_use]
    pub fn epoch(mut self, epoch: u32) -> Self {
        self.epoch = Some(epoch);
        self
    }

    /// Sets the group.
    #[must_use]
    pub fn group(mut self, group: impl Into<String>) -> Self {
        self.group = Some(group.into());
        self
    }

    /// Sets the vendor.
    #[must_use]
    pub fn vendor(mut self, vendor: impl Into<String>) -> Self {
        self.vendor = Some(vendor.into());
        self
    }

    /// Sets the packager.
    #[must_use]
    pub fn packager(mut self, packager: impl Into<String>) -> Self {
        self.packager = Some(packager.into());
        self
    }

    /// Sets the summary.
    #[must_use]
    pub fn summary(mut self, summary: impl Into<String>) -> Self {
        self.summary = Some(summary.into());
        self
    }

    /// Sets the home page.
    #[must_use]
    pub fn url(mut self, url: impl Into<String>) -> Self {
        self.url = Some(url.into());
        self
    }

    /// Adds a relation.
    #[must_use]
    pub fn relation(mut self, kind: RelationKind, dep: Dependency) -> Self {
        self.relations.push((kind, dep));
        self
    }

    /// Adds a `Requires`.
    #[must_use]
    pub fn requires(self, dep: Dependency) -> Self {
        self.relation(RelationKind::Requires, dep)
    }

    /// Adds a `Provides`.
    #[must_use]
    pub fn provides(self, dep: Dependency) -> Self {
        self.relation(RelationKind::Provides, dep)
    }

    /// Adds a `Conflicts`.
    #[must_use]
    pub fn conflicts(self, dep: Dependency) -> Self {
        self.relation(RelationKind::Conflicts, dep)
    }

    /// Adds an `Obsoletes`.
    #[must_use]
    pub fn obsoletes(self, dep: Dependency) -> Self {
        self.relation(RelationKind::Obsoletes, dep)
    }

    /// Adds a `Recommends`.
    #[must_use]
    pub fn recommends(self, dep: Dependency) -> Self {
        self.relation(RelationKind::Recommends, dep)
    }

    /// Adds a `Suggests`.
    #[must_use]
    pub fn suggests(self, dep: Dependency) -> Self {
        self.relation(RelationKind::Suggests, dep)
    }

    /// Adds a scriptlet.
    #[must_use]
    pub fn scriptlet(mut self, scriptlet: Scriptlet) -> Self {
        self.scriptlets.push(scriptlet);
        self
    }

    /// Adds a changelog entry.
    #[must_use]
    pub fn changelog(mut self, entry: ChangelogEntry) -> Self {
        self.changelog.push(entry);
        self
    }

    /// Sets the rpm attributes of the file at `path` (relative to the tree root, like the
    /// tree's own paths). The path must name a file of the tree when the rpm is written.
    pub fn file_attrs(mut self, path: impl AsRef<str>, attrs: FileAttrs) -> Result<Self, Error> {
        self.files.insert(RelPath::new(path)?, attrs);
        Ok(self)
    }
}
