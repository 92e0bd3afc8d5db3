//! [`CargoDeb`]: the [`PackageMeta`], [`FileTree`] and [`DebOptions`] of a Cargo package,
//! from `cargo metadata` and its `[package.metadata.deb]` table (cargo-deb's key names).
//!
//! Supported keys (paths are relative to the package's directory; an asset source starting
//! with `target/release/` is taken from the build directory given instead):
//!
//! | key | value |
//! |---|---|
//! | `name` | package name (default: the Cargo name, lowercased, `_` → `-`) |
//! | `maintainer` | `Name <email>` (default: the first author) |
//! | `copyright` | the copyright notice (default: the year and the authors) |
//! | `license-file` | `"LICENSE"` or `["LICENSE", lines_to_skip]`: the license text |
//! | `depends`, `pre-depends`, `recommends`, `suggests`, `enhances`, `conflicts`, `breaks`, `replaces`, `provides` | a relation list, as a string (`"a (>= 1), b \| c"`) or an array of strings; no default (a binary linked against glibc needs `depends = "libc6 (>= …)"`) |
//! | `section` | `utils`, `net`, … |
//! | `priority` | `required`, `important`, `standard`, `optional` |
//! | `essential` | `true` or `false` |
//! | `extended-description`, `extended-description-file` | the extended description (default: the Cargo description's lines after the first) |
//! | `revision` | the Debian revision (default `"1"`; `""` for a native version) |
//! | `assets` | `[["source", "dest", "mode"], …]` and `"$auto"` (below). Default: `["$auto"]` |
//! | `conf-files` | `["/etc/app.conf", …]`: assets that are configuration files |
//! | `maintainer-scripts` | a directory holding any of `preinst`, `postinst`, `prerm`, `postrm`, `triggers` |
//! | `triggers-file` | the `triggers` control file |
//! | `changelog` | a Debian changelog to ship (default: one generated entry) |
//! | `variants` | `variants.<name>` tables of keys replacing these, applied in the order [`CargoTarget::variant`] names them; `merge-assets` (`append`, `by.src`, `by.dest`) merges with the assets instead, and the package is named `<name>-<variant>` unless the variant sets `name` |
//! | `features`, `default-features`, `profile`, `separate-debug-symbols`, `compress-debug-symbols`, `dbgsym`, `strip` | build keys: recorded in [`CargoDeb::build`] ([`BuildSettings`]); consign packages what was built |
//!
//! **Assets.** A source is a path or a glob pattern (`*` and `?` within a component, `**`
//! across directories; relative to the package directory, `target/release/` standing for the
//! build directory). A `dest` ending in `/` receives a file under its file name. A pattern's
//! files go into `dest` as a directory, following cargo-deb: under their file name, or, when
//! a directory of the pattern is a wildcard and so is its last component
//! (`assets/**/*.txt`), under their path below the pattern's fixed prefix. Every match gets
//! the item's mode; a pattern that matches no file is an error naming it. The item `"$auto"`
//! stands for every binary target of the package: `target/release/<name>` to
//! `usr/bin/<name>`, mode 0755.
//!
//! **`$auto` dependencies.** In `depends`, the item `$auto` stands for the shared-library
//! dependencies of the packaged ELF files that need any (their `DT_NEEDED` entries), as
//! `dpkg-shlibdeps` resolves them ([`DebError::ShlibdepsMissing`](super::DebError) when it is
//! not installed: it comes with dpkg-dev), merged with the other items in place, each
//! relation once. Unlike cargo-deb, `depends` has no default: write `depends = "$auto"`.
//!
//! Any other key is an error naming it; `systemd-units` is not read yet (install the unit as
//! an asset and enable it from `maintainer-scripts`), nor are other `$` variables.

use std::fs;
use std::path::{Path, PathBuf};

use consign_core::{FileTree, IoError, PackageMeta, Platform, SourceDate};
use serde_json::{Map, Value};

use crate::Error;
use crate::cargo::{BuildSettings, CargoError, elf};

pub use crate::cargo::CargoTarget;

use super::{Changelog, Deb, DebOptions, PackageName, Priority, Relation, RelationField, Script};

const TABLE: &str = "package.metadata.deb";

mod assets;
mod variants;

const KEYS: [&str; 25] = [
    "name",
    "maintainer",
    "copyright",
    "license-file",
    "depends",
    "pre-depends",
    "recommends",
    "suggests",
    "enhances",
    "conflicts",
    "breaks",
    "replaces",
    "provides",
    "section",
    "priority",
    "essential",
    "extended-description",
    "extended-description-file",
    "revision",
    "assets",
    "conf-files",
    "maintainer-scripts",
    "triggers-file",
    "changelog",
    "variants",
];

/// The inputs of a [`Deb`] for one Cargo package: metadata, files and Debian options.
///
/// ```no_run
/// use consign_core::{ArtifactWriter, SourceDate};
/// use consign_package::cargo::CargoTarget;
/// use consign_package::deb::CargoDeb;
///
/// let metadata = cargo_metadata::MetadataCommand::new().no_deps().exec()?;
/// let target = CargoTarget::default().platform("x86_64-unknown-linux-gnu".parse()?);
/// let inputs = CargoDeb::from_metadata(&metadata, "hello", &target)?;
/// let deb = inputs.deb(SourceDate::from_unix(1_700_000_000));
/// let (artifact, report) = deb.write_into("dist")?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct CargoDeb {
    /// The package metadata.
    pub meta: PackageMeta,
    /// The files: the assets.
    pub tree: FileTree,
    /// The Debian options from `[package.metadata.deb]`.
    pub options: DebOptions,
    /// The platform packaged for.
    pub platform: Platform,
    /// The table's build keys, for the caller that builds the binaries.
    pub build: BuildSettings,
}

impl CargoDeb {
    /// Reads the workspace member `package` from `metadata` and its `[package.metadata.deb]`
    /// table with `target`'s variants applied; its built binaries are in Cargo's build
    /// directory for `target` ([`CargoTarget::build_dir`]).
    pub fn from_metadata(
        metadata: &cargo_metadata::Metadata,
        package: &str,
        target: &CargoTarget,
    ) -> Result<CargoDeb, Error> {
        let meta = PackageMeta::from_cargo(metadata, package)?;
        let platform = target.platform_or_host()?;
        let bins: Vec<String> = metadata
            .workspace_packages()
            .into_iter()
            .filter(|p| p.name.as_str() == package)
            .flat_map(|p| p.targets.iter())
            .filter(|t| t.is_bin())
            .map(|t| t.name.clone())
            .collect();
        let table = match meta.metadata.get("deb") {
            None | Some(Value::Null) => Map::new(),
            Some(Value::Object(m)) => m.clone(),
            Some(other) => {
                return Err(CargoError::BadKey {
                    key: TABLE.into(),
                    expected: "a table",
                    found: other.to_string(),
                }
                .into());
            }
        };
        let default_name = meta.name().to_ascii_lowercase().replace('_', "-");
        let table = variants::apply(table, &target.variants, &default_name)?;
        let reader = Reader {
            table: &table,
            root: meta.manifest_dir.clone().unwrap_or_default(),
            build_dir: target.build_dir(metadata.target_directory.as_std_path()),
        };
        reader.check_keys()?;
        let build = BuildSettings::from_table(&table, TABLE)?;
        let (mut options, auto_at) = reader.options(&meta)?;
        let tree = reader.tree(&bins)?;
        if let Some(at) = auto_at {
            let auto = reader.auto_depends(&tree, platform)?;
            let listed: Vec<Relation> = options
                .relations
                .iter()
                .filter(|(f, _)| *f == RelationField::Depends)
                .map(|(_, r)| r.clone())
                .collect();
            let new = auto
                .into_iter()
                .filter(|r| !listed.contains(r))
                .map(|r| (RelationField::Depends, r));
            options.relations.splice(at..at, new);
        }
        Ok(CargoDeb {
            meta,
            tree,
            options,
            platform,
            build,
        })
    }

    /// The package, every mtime set to `date`.
    pub fn deb(&self, date: SourceDate) -> Deb<'_> {
        Deb::new(&self.tree, &self.meta, self.platform, date).options(self.options.clone())
    }
}

fn malformed(key: &str, reason: impl Into<String>) -> Error {
    CargoError::Invalid {
        key: format!("{TABLE}.{key}"),
        reason: reason.into(),
    }
    .into()
}

struct Reader<'t> {
    table: &'t Map<String, Value>,
    root: PathBuf,
    build_dir: PathBuf,
}

impl Reader<'_> {
    fn check_keys(&self) -> Result<(), Error> {
        for key in self.table.keys() {
            if KEYS.contains(&key.as_str()) || BuildSettings::KEYS.contains(&key.as_str()) {
                continue;
            }
            let hint = match key.as_str() {
                "systemd-units" => {
                    "install the unit as an asset and enable it from maintainer-scripts".to_owned()
                }
                _ => format!("the keys read are {}", KEYS.join(", ")),
            };
            return Err(CargoError::UnknownKey {
                key: format!("{TABLE}.{key}"),
                hint,
            }
            .into());
        }
        Ok(())
    }

    fn string(&self, key: &str) -> Result<Option<&str>, Error> {
        match self.table.get(key) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(_) => Err(malformed(key, "it must be a string")),
        }
    }

    fn path(&self, key: &str) -> Result<Option<PathBuf>, Error> {
        Ok(self.string(key)?.map(|p| self.root.join(p)))
    }

    fn read(&self, key: &str) -> Result<Option<String>, Error> {
        match self.path(key)? {
            None => Ok(None),
            Some(p) => Ok(Some(read_text(&p, key)?)),
        }
    }

    /// The options, and where in their relations the `$auto` dependencies go, if asked for.
    fn options(&self, meta: &PackageMeta) -> Result<(DebOptions, Option<usize>), Error> {
        let mut auto_at = None;
        let mut o = DebOptions::default();
        let default_name = meta.name().to_ascii_lowercase().replace('_', "-");
        let name = self.string("name")?.unwrap_or(&default_name);
        o.name = Some(PackageName::new(name).map_err(|e| malformed("name", e.to_string()))?);
        o.maintainer = self.string("maintainer")?.map(str::to_owned);
        o.copyright = self.string("copyright")?.map(str::to_owned);
        o.section = self.string("section")?.map(str::to_owned);
        if let Some(p) = self.string("priority")? {
            o.priority = p
                .parse::<Priority>()
                .map_err(|e| malformed("priority", e.to_string()))?;
        }
        o.essential = match self.table.get("essential") {
            None => false,
            Some(Value::Bool(b)) => *b,
            Some(_) => return Err(malformed("essential", "it must be true or false")),
        };
        o.revision = match self.string("revision")? {
            None => Some("1".to_owned()),
            Some("") => None,
            Some(r) => Some(r.to_owned()),
        };
        // Checked now, so that the error names the key.
        super::DebVersion::from_version(meta.version(), o.revision.as_deref())
            .map_err(|e| malformed("revision", e.to_string()))?;
        o.extended_description = match self.string("extended-description")? {
            Some(t) => Some(t.to_owned()),
            None => self.read("extended-description-file")?,
        };
        o.license_text = self.license_text()?;
        if let Some(text) = self.read("changelog")? {
            o.changelog = Changelog::Text(text);
        }
        for (key, field) in [
            ("pre-depends", RelationField::PreDepends),
            ("depends", RelationField::Depends),
            ("recommends", RelationField::Recommends),
            ("suggests", RelationField::Suggests),
            ("enhances", RelationField::Enhances),
            ("breaks", RelationField::Breaks),
            ("conflicts", RelationField::Conflicts),
            ("replaces", RelationField::Replaces),
            ("provides", RelationField::Provides),
        ] {
            for r in self.relations(key)? {
                match r {
                    Some(r) => o.relations.push((field, r)),
                    None => auto_at = Some(o.relations.len()),
                }
            }
        }
        if let Some(dir) = self.path("maintainer-scripts")? {
            if !dir.is_dir() {
                return Err(malformed(
                    "maintainer-scripts",
                    format!("{} is not a directory", dir.display()),
                ));
            }
            for script in Script::ALL {
                let p = dir.join(script.name());
                if p.exists() {
                    o.scripts
                        .insert(script, read_text(&p, "maintainer-scripts")?);
                }
            }
            let t = dir.join("triggers");
            if t.exists() {
                o.triggers = Some(read_text(&t, "maintainer-scripts")?);
            }
        }
        if let Some(t) = self.read("triggers-file")? {
            o.triggers = Some(t);
        }
        Ok((o, auto_at))
    }

    fn license_text(&self) -> Result<Option<String>, Error> {
        let key = "license-file";
        let (file, skip) = match self.table.get(key) {
            None => return Ok(None),
            Some(Value::String(f)) => (f.as_str(), 0),
            Some(Value::Array(a)) => match a.as_slice() {
                [Value::String(f)] => (f.as_str(), 0),
                [Value::String(f), skip] => {
                    let n = match skip {
                        Value::Number(n) => n.as_u64(),
                        Value::String(s) => s.parse().ok(),
                        _ => None,
                    };
                    let n = n.ok_or_else(|| {
                        malformed(key, "the second item is the number of lines to skip")
                    })?;
                    (f.as_str(), usize::try_from(n).unwrap_or(usize::MAX))
                }
                _ => {
                    return Err(malformed(
                        key,
                        "write \"FILE\" or [\"FILE\", LINES_TO_SKIP]",
                    ));
                }
            },
            Some(_) => {
                return Err(malformed(
                    key,
                    "write \"FILE\" or [\"FILE\", LINES_TO_SKIP]",
                ));
            }
        };
        let text = read_text(&self.root.join(file), key)?;
        Ok(Some(
            text.lines().skip(skip).collect::<Vec<_>>().join("\n") + "\n",
        ))
    }

    /// The relations of `key`; `None` stands for `$auto` (read in `depends` only), and with
    /// it each relation is listed once.
    fn relations(&self, key: &str) -> Result<Vec<Option<Relation>>, Error> {
        let text = match self.table.get(key) {
            None => return Ok(Vec::new()),
            Some(Value::String(s)) => s.clone(),
            Some(Value::Array(items)) => items
                .iter()
                .map(|v| {
                    v.as_str()
                        .ok_or_else(|| malformed(key, "every item must be a string"))
                })
                .collect::<Result<Vec<_>, _>>()?
                .join(", "),
            Some(_) => return Err(malformed(key, "write a string or an array of strings")),
        };
        let parse = |t: &str| Relation::parse_list(t).map_err(|e| malformed(key, e.to_string()));
        if !text.contains('$') {
            return Ok(parse(&text)?.into_iter().map(Some).collect());
        }
        let mut out: Vec<Option<Relation>> = Vec::new();
        for item in text.split(',').map(str::trim) {
            if item == "$auto" && key == "depends" {
                if !out.contains(&None) {
                    out.push(None);
                }
            } else if item.contains('$') {
                return Err(malformed(
                    key,
                    format!("{item} is not supported: only depends reads $auto, as a whole item"),
                ));
            } else {
                for r in parse(item)? {
                    if !out.contains(&Some(r.clone())) {
                        out.push(Some(r));
                    }
                }
            }
        }
        Ok(out)
    }

    /// What `$auto` stands for: the `dpkg-shlibdeps` relations of the packaged ELF files
    /// that need shared libraries.
    fn auto_depends(&self, tree: &FileTree, platform: Platform) -> Result<Vec<Relation>, Error> {
        let key = format!("{TABLE}.depends");
        let files: Vec<PathBuf> = elf::packaged(tree, &key)?
            .into_iter()
            .filter(|(_, _, needs)| !needs.needed.is_empty())
            .map(|(_, source, _)| source)
            .collect();
        super::shlibs::depends(&files, platform.debian_arch()?)
    }
}

fn read_text(path: &Path, key: &str) -> Result<String, Error> {
    let bytes = fs::read(path).map_err(|e| IoError::new("read", path, e))?;
    String::from_utf8(bytes)
        .map_err(|_| malformed(key, format!("{} is not UTF-8 text", path.display())))
}

#[cfg(test)]
mod tests;
