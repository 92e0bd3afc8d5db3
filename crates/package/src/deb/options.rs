//! [`DebOptions`]: what a package says besides its files and [`consign_core::PackageMeta`]: compression,
//! Debian fields ([`RelationField`] relations, section, priority), maintainer [`Script`]s,
//! triggers, changelog and copyright.

use std::collections::BTreeMap;

use consign_core::{Algorithm, Monitor};

use super::{Changelog, DebVersion, PackageName, Priority, Relation};
use crate::Error;
use crate::compress::{Codec, Compression};

/// A relation field of the control file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum RelationField {
    /// `Pre-Depends`.
    PreDepends,
    /// `Depends`.
    Depends,
    /// `Recommends`.
    Recommends,
    /// `Suggests`.
    Suggests,
    /// `Enhances`.
    Enhances,
    /// `Breaks`.
    Breaks,
    /// `Conflicts`.
    Conflicts,
    /// `Replaces`.
    Replaces,
    /// `Provides`.
    Provides,
}

impl RelationField {
    /// Every field, in control-file order.
    pub const ALL: [RelationField; 9] = [
        RelationField::PreDepends,
        RelationField::Depends,
        RelationField::Recommends,
        RelationField::Suggests,
        RelationField::Enhances,
        RelationField::Breaks,
        RelationField::Conflicts,
        RelationField::Replaces,
        RelationField::Provides,
    ];

    /// The field name (`Pre-Depends`).
    pub fn name(self) -> &'static str {
        match self {
            RelationField::PreDepends => "Pre-Depends",
            RelationField::Depends => "Depends",
            RelationField::Recommends => "Recommends",
            RelationField::Suggests => "Suggests",
            RelationField::Enhances => "Enhances",
            RelationField::Breaks => "Breaks",
            RelationField::Conflicts => "Conflicts",
            RelationField::Replaces => "Replaces",
            RelationField::Provides => "Provides",
        }
    }
}

/// A maintainer script.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Script {
    /// Runs before the package is unpacked.
    Preinst,
    /// Runs after the package is unpacked (`configure`, `triggered`, …).
    Postinst,
    /// Runs before the package is removed.
    Prerm,
    /// Runs after the package is removed or purged.
    Postrm,
}

impl Script {
    /// Every script.
    pub const ALL: [Script; 4] = [
        Script::Preinst,
        Script::Postinst,
        Script::Prerm,
        Script::Postrm,
    ];

    /// The control member name (`postinst`).
    pub fn name(self) -> &'static str {
        match self {
            Script::Preinst => "preinst",
            Script::Postinst => "postinst",
            Script::Prerm => "prerm",
            Script::Postrm => "postrm",
        }
    }
}

/// What a [`Deb`](super::Deb) writes besides the tree and the metadata: compression, Debian fields,
/// maintainer scripts, triggers, changelog and copyright.
///
/// ```
/// use consign_package::compress::{Codec, Compression};
/// use consign_package::deb::{DebOptions, Priority, RelationField, Script};
/// let options = DebOptions::default()
///     .compression(Compression::new(Codec::Zstd).level(9)?)
///     .section("net")
///     .priority(Priority::Optional)
///     .relations(RelationField::Recommends, "ca-certificates")?
///     .script(Script::Postinst, "#!/bin/sh\nset -e\n");
/// assert_eq!(options.relations.len(), 1);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct DebOptions {
    /// Compression of both tar members (default: xz level 6, as `dpkg-deb`).
    pub compression: Compression,
    /// Digests computed over the `.deb` while it is written.
    pub algorithms: Vec<Algorithm>,
    /// The package name; `None` for [`consign_core::PackageMeta::name`].
    pub name: Option<PackageName>,
    /// The full version; `None` for [`consign_core::PackageMeta::version`] read as SemVer
    /// ([`DebVersion::from_version`]) with [`DebOptions::revision`].
    pub version: Option<DebVersion>,
    /// The Debian revision appended to the upstream version; `None` for a native version.
    pub revision: Option<String>,
    /// The maintainer; `None` for [`consign_core::PackageMeta::maintainer`].
    pub maintainer: Option<String>,
    /// `Section` (`utils`, `net`, …); omitted when `None`.
    pub section: Option<String>,
    /// `Priority`.
    pub priority: Priority,
    /// `Essential: yes`.
    pub essential: bool,
    /// The extended description; `None` for the lines of [`consign_core::PackageMeta::description`] after
    /// the first.
    pub extended_description: Option<String>,
    /// Relations, besides the `Depends` made from [`consign_core::PackageMeta::dependencies`].
    pub relations: Vec<(RelationField, Relation)>,
    /// Maintainer scripts.
    pub scripts: BTreeMap<Script, String>,
    /// The `triggers` control file.
    pub triggers: Option<String>,
    /// The changelog.
    pub changelog: Changelog,
    /// The copyright notice (`2023 Jane Doe`); `None` for the source date's year and the
    /// authors.
    pub copyright: Option<String>,
    /// The license text for the copyright file; `None` to read [`consign_core::PackageMeta::license_file`].
    pub license_text: Option<String>,
    /// Progress (bytes of file data read) and cancellation.
    pub monitor: Monitor,
}

impl Default for DebOptions {
    fn default() -> Self {
        DebOptions {
            compression: Compression::new(Codec::Xz),
            algorithms: vec![Algorithm::Sha256],
            name: None,
            version: None,
            revision: None,
            maintainer: None,
            section: None,
            priority: Priority::Optional,
            essential: false,
            extended_description: None,
            relations: Vec::new(),
            scripts: BTreeMap::new(),
            triggers: None,
            changelog: Changelog::Generated,
            copyright: None,
            license_text: None,
            monitor: Monitor::default(),
        }
    }
}

output_setters!(DebOptions, compression);

impl DebOptions {
    /// Sets the package name.
    #[must_use]
    pub fn name(mut self, name: PackageName) -> Self {
        self.name = Some(name);
        self
    }

    /// Sets the full version.
    #[must_use]
    pub fn version(mut self, version: DebVersion) -> Self {
        self.version = Some(version);
        self
    }

    /// Sets the Debian revision.
    #[must_use]
    pub fn revision(mut self, revision: impl Into<String>) -> Self {
        self.revision = Some(revision.into());
        self
    }

    /// Sets the maintainer.
    #[must_use]
    pub fn maintainer(mut self, maintainer: impl Into<String>) -> Self {
        self.maintainer = Some(maintainer.into());
        self
    }

    /// Sets the section.
    #[must_use]
    pub fn section(mut self, section: impl Into<String>) -> Self {
        self.section = Some(section.into());
        self
    }

    /// Sets the priority.
    #[must_use]
    pub fn priority(mut self, priority: Priority) -> Self {
        self.priority = priority;
        self
    }

    /// Marks the package essential.
    #[must_use]
    pub fn essential(mut self, essential: bool) -> Self {
        self.essential = essential;
        self
    }

    /// Sets the extended description.
    #[must_use]
    pub fn extended_description(mut self, text: impl Into<String>) -> Self {
        self.extended_description = Some(text.into());
        self
    }

    /// Adds one relation.
    #[must_use]
    pub fn relation(mut self, field: RelationField, relation: Relation) -> Self {
        self.relations.push((field, relation));
        self
    }

    /// Adds the relations of a comma-separated list (`a (>= 1), b | c`).
    pub fn relations(mut self, field: RelationField, list: &str) -> Result<Self, Error> {
        for r in Relation::parse_list(list)? {
            self.relations.push((field, r));
        }
        Ok(self)
    }

    /// Sets a maintainer script (it must start with `#!`).
    #[must_use]
    pub fn script(mut self, script: Script, text: impl Into<String>) -> Self {
        self.scripts.insert(script, text.into());
        self
    }

    /// Sets the `triggers` control file.
    #[must_use]
    pub fn triggers(mut self, text: impl Into<String>) -> Self {
        self.triggers = Some(text.into());
        self
    }

    /// Sets the changelog.
    #[must_use]
    pub fn changelog(mut self, changelog: Changelog) -> Self {
        self.changelog = changelog;
        self
    }

    /// Sets the copyright notice.
    #[must_use]
    pub fn copyright(mut self, notice: impl Into<String>) -> Self {
        self.copyright = Some(notice.into());
        self
    }

    /// Sets the license text.
    #[must_use]
    pub fn license_text(mut self, text: impl Into<String>) -> Self {
        self.license_text = Some(text.into());
        self
    }
}
