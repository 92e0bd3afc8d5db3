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
//! | `assets` | `[["source", "dest/", "mode"], …]`; a `dest` ending in `/` takes the source's file name. Default: every binary target to `usr/bin/`, mode 755 |
//! | `conf-files` | `["/etc/app.conf", …]`: assets that are configuration files |
//! | `maintainer-scripts` | a directory holding any of `preinst`, `postinst`, `prerm`, `postrm`, `triggers` |
//! | `triggers-file` | the `triggers` control file |
//! | `changelog` | a Debian changelog to ship (default: one generated entry) |
//!
//! Any other key is an error naming it: consign does not build the package (cargo-deb's
//! `features`, `default-features`, `profile`, `separate-debug-symbols`, … belong to the
//! build), `$auto` dependencies need `dpkg-shlibdeps` (list them instead), and glob patterns
//! in assets are not expanded (list each file).

use std::fs;
use std::path::{Path, PathBuf};

use consign_core::{Entry, FileTree, IoError, PackageMeta, Platform, RelPath, SourceDate};
use serde_json::{Map, Value};

use crate::Error;
use crate::cargo::CargoError;

pub use crate::cargo::CargoTarget;

use super::{Changelog, Deb, DebOptions, PackageName, Priority, Relation, RelationField, Script};

const TABLE: &str = "package.metadata.deb";

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
        let table = crate::cargo::apply_variants(table, TABLE, &target.variants)?;
        let reader = Reader {
            table: &table,
            root: meta.manifest_dir.clone().unwrap_or_default(),
            build_dir: target.build_dir(metadata.target_directory.as_std_path()),
        };
        reader.check_keys()?;
        let options = reader.options(&meta)?;
        let tree = reader.tree(&bins)?;
        Ok(CargoDeb {
            meta,
            tree,
            options,
            platform,
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
            if KEYS.contains(&key.as_str()) {
                continue;
            }
            let hint = match key.as_str() {
                "features"
                | "default-features"
                | "profile"
                | "separate-debug-symbols"
                | "compress-debug-symbols"
                | "dbgsym"
                | "strip" => "it concerns the build; build with cargo and name the profile and \
                     target in CargoTarget"
                    .to_owned(),
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

    fn options(&self, meta: &PackageMeta) -> Result<DebOptions, Error> {
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
                o.relations.push((field, r));
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
        Ok(o)
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

    fn relations(&self, key: &str) -> Result<Vec<Relation>, Error> {
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
        if text.contains('$') {
            return Err(malformed(
                key,
                "substitution variables such as $auto are not supported: list the packages",
            ));
        }
        Relation::parse_list(&text).map_err(|e| malformed(key, e.to_string()))
    }

    fn tree(&self, bins: &[String]) -> Result<FileTree, Error> {
        let mut assets: Vec<(RelPath, Entry)> = Vec::new();
        match self.table.get("assets") {
            None => {
                if bins.is_empty() {
                    return Err(malformed(
                        "assets",
                        "the package has no binary target: list its files in assets",
                    ));
                }
                for bin in bins {
                    let entry = Entry::file(self.build_dir.join(bin))?.mode(0o755);
                    assets.push((RelPath::new(format!("usr/bin/{bin}"))?, entry));
                }
            }
            Some(Value::Array(items)) => {
                for (i, item) in items.iter().enumerate() {
                    assets.push(self.asset(&format!("assets[{i}]"), item)?);
                }
            }
            Some(_) => {
                return Err(malformed(
                    "assets",
                    "write [[\"source\", \"dest\", \"mode\"], …]",
                ));
            }
        }
        match self.table.get("conf-files") {
            None => {}
            Some(Value::Array(items)) => {
                for (i, item) in items.iter().enumerate() {
                    let key = format!("conf-files[{i}]");
                    let path = item
                        .as_str()
                        .ok_or_else(|| malformed(&key, "it must be a string"))?;
                    let rel = RelPath::new(path.trim_start_matches('/'))?;
                    let slot = assets
                        .iter_mut()
                        .find(|(p, _)| *p == rel)
                        .ok_or_else(|| malformed(&key, format!("no asset installs {path}")))?;
                    slot.1 = slot.1.clone().config();
                }
            }
            Some(_) => return Err(malformed("conf-files", "write an array of paths")),
        }
        let mut tree = FileTree::new();
        for (path, entry) in assets {
            tree.insert_at(path, entry)?;
        }
        Ok(tree)
    }

    fn asset(&self, key: &str, item: &Value) -> Result<(RelPath, Entry), Error> {
        let shape = "write [\"source\", \"dest\", \"mode\"] (mode in octal, such as \"644\")";
        let [source, dest, mode] = item
            .as_array()
            .and_then(|a| <&[Value; 3]>::try_from(a.as_slice()).ok())
            .and_then(|[s, d, m]| Some([s.as_str()?, d.as_str()?, m.as_str()?]))
            .ok_or_else(|| malformed(key, shape))?;
        if source.starts_with('$') {
            return Err(malformed(
                key,
                format!("{source} is not supported: list the files"),
            ));
        }
        if source.contains(['*', '?', '[']) {
            return Err(malformed(
                key,
                format!("glob patterns are not expanded ({source}): list each file"),
            ));
        }
        let mode = u32::from_str_radix(mode, 8)
            .ok()
            .filter(|m| *m <= 0o7777)
            .ok_or_else(|| malformed(key, format!("mode {mode:?} is not an octal mode")))?;
        let from = match source.strip_prefix("target/release/") {
            Some(rest) => self.build_dir.join(rest),
            None => self.root.join(source),
        };
        let dest = dest.trim_start_matches('/');
        let dest = if dest.ends_with('/') || dest.is_empty() {
            let file = from
                .file_name()
                .and_then(|f| f.to_str())
                .ok_or_else(|| malformed(key, format!("{source} has no file name")))?;
            format!("{dest}{file}")
        } else {
            dest.to_owned()
        };
        let path = RelPath::new(&dest)?;
        Ok((path, Entry::file(from)?.mode(mode)))
    }
}

fn read_text(path: &Path, key: &str) -> Result<String, Error> {
    let bytes = fs::read(path).map_err(|e| IoError::new("read", path, e))?;
    String::from_utf8(bytes)
        .map_err(|_| malformed(key, format!("{} is not UTF-8 text", path.display())))
}

#[cfg(test)]
mod tests {
    use super::*;
    use consign_core::ArtifactWriter;

    /// A Cargo project on disk with `[package.metadata.deb]` set to `deb`.
    fn project(deb: &str) -> (tempfile::TempDir, cargo_metadata::Metadata) {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        fs::create_dir_all(root.join("src")).unwrap();
        fs::create_dir_all(root.join("debian")).unwrap();
        fs::write(root.join("src/main.rs"), "fn main() {}\n").unwrap();
        fs::write(root.join("tool.conf"), "x = 1\n").unwrap();
        fs::write(root.join("LICENSE"), "Copyright line\n\nTerms.\n").unwrap();
        fs::write(root.join("debian/postinst"), "#!/bin/sh\nset -e\n").unwrap();
        fs::write(
            root.join("debian/triggers"),
            "interest-noawait /usr/share/x\n",
        )
        .unwrap();
        fs::write(
            root.join("Cargo.toml"),
            format!(
                "[package]\nname = \"my_tool\"\nversion = \"1.2.0-rc.1\"\nedition = \"2021\"\n\
                 authors = [\"Jane Doe <jane@example.org>\"]\ndescription = \"A tool\"\n\
                 license = \"MIT\"\n\n[workspace]\n\n[package.metadata.deb]\n{deb}\n"
            ),
        )
        .unwrap();
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let md = cargo_metadata::MetadataCommand::new()
            .cargo_path(cargo)
            .manifest_path(root.join("Cargo.toml"))
            .no_deps()
            .other_options(vec!["--offline".into()])
            .exec()
            .unwrap();
        put_binary(&md, &CargoTarget::default(), b"\x7fELF");
        (dir, md)
    }

    /// Writes `my_tool` into Cargo's build directory for `target`.
    fn put_binary(md: &cargo_metadata::Metadata, target: &CargoTarget, bytes: &[u8]) {
        let dir = target.build_dir(md.target_directory.as_std_path());
        fs::create_dir_all(&dir).unwrap();
        fs::write(dir.join("my_tool"), bytes).unwrap();
    }

    #[test]
    fn reads_cargo_deb_keys() {
        let (dir, md) = project(
            r#"section = "utils"
priority = "optional"
depends = "libc6 (>= 2.34)"
recommends = ["ca-certificates", "curl | wget"]
conflicts = "old-tool (<< 1.0)"
extended-description = "Line one.\n\nLine two."
license-file = ["LICENSE", 2]
maintainer-scripts = "debian"
assets = [["target/release/my_tool", "usr/bin/", "755"], ["tool.conf", "/etc/my-tool/tool.conf", "644"]]
conf-files = ["/etc/my-tool/tool.conf"]"#,
        );
        let platform: Platform = "aarch64-unknown-linux-gnu".parse().unwrap();
        let target = CargoTarget::default().platform(platform);
        put_binary(&md, &target, b"\x7fELF");
        let inputs = CargoDeb::from_metadata(&md, "my_tool", &target).unwrap();
        let o = &inputs.options;
        assert_eq!(o.name.as_ref().unwrap().as_str(), "my-tool");
        assert_eq!(o.revision.as_deref(), Some("1"));
        assert_eq!(o.license_text.as_deref(), Some("Terms.\n"));
        assert!(o.scripts.contains_key(&Script::Postinst));
        assert_eq!(
            o.triggers.as_deref(),
            Some("interest-noawait /usr/share/x\n")
        );
        assert!(
            inputs
                .tree
                .get("etc/my-tool/tool.conf")
                .unwrap()
                .is_config()
        );
        assert_eq!(
            inputs.tree.get("usr/bin/my_tool").unwrap().permissions(),
            0o755
        );
        let deb = inputs.deb(SourceDate::from_unix(0));
        assert_eq!(deb.file_name().unwrap(), "my-tool_1.2.0~rc.1-1_arm64.deb");
        let control = deb.control().unwrap().to_string();
        for line in [
            "Package: my-tool\n",
            "Version: 1.2.0~rc.1-1\n",
            "Maintainer: Jane Doe <jane@example.org>\n",
            "Depends: libc6 (>= 2.34)\n",
            "Recommends: ca-certificates, curl | wget\n",
            "Conflicts: old-tool (<< 1.0)\n",
            "Section: utils\n",
            "Description: A tool\n Line one.\n .\n Line two.\n",
        ] {
            assert!(control.contains(line), "{line:?} missing from\n{control}");
        }
        assert_eq!(
            dir.path().join("Cargo.toml"),
            md.workspace_root.join("Cargo.toml")
        );
    }

    #[test]
    fn default_assets_are_the_binaries() {
        let (_dir, md) = project("");
        put_binary(&md, &CargoTarget::default(), b"bin");
        let inputs = CargoDeb::from_metadata(&md, "my_tool", &CargoTarget::default()).unwrap();
        let paths: Vec<_> = inputs.tree.iter().map(|(p, _)| p.as_str()).collect();
        assert_eq!(paths, ["usr", "usr/bin", "usr/bin/my_tool"]);
        let nowhere = CargoTarget::default().profile("nowhere");
        let err = CargoDeb::from_metadata(&md, "my_tool", &nowhere).unwrap_err();
        assert!(matches!(err, Error::Tree(_)), "{err}");
    }

    #[test]
    fn bad_keys_are_named() {
        for (deb, key) in [
            ("systemd-units = {}", "systemd-units"),
            ("frobnicate = 1", "frobnicate"),
            ("depends = \"$auto\"", "depends"),
            ("depends = \"libc6 (> 2)\"", "depends"),
            ("section = 3", "section"),
            ("priority = \"extra\"", "priority"),
            ("name = \"Bad_Name\"", "name"),
            (
                "assets = [[\"src/*.rs\", \"usr/share/\", \"644\"]]",
                "assets[0]",
            ),
            ("assets = [[\"tool.conf\", \"etc/\", \"999\"]]", "assets[0]"),
            ("assets = [[\"tool.conf\", \"etc/\"]]", "assets[0]"),
            (
                "assets = [[\"tool.conf\", \"etc/\", \"644\"]]\nconf-files = [\"/etc/other\"]",
                "conf-files[0]",
            ),
            ("license-file = [\"LICENSE\", \"x\"]", "license-file"),
            ("maintainer-scripts = \"nope\"", "maintainer-scripts"),
        ] {
            let (_dir, md) = project(deb);
            match CargoDeb::from_metadata(&md, "my_tool", &CargoTarget::default()) {
                Err(Error::Cargo(e)) => assert_eq!(e.key(), format!("{TABLE}.{key}"), "{deb}"),
                other => panic!("{deb}: {other:?}"),
            }
        }
        let (_dir, md) = project("assets = [[\"tool.conf\", \"../etc/x\", \"644\"]]");
        let err = CargoDeb::from_metadata(&md, "my_tool", &CargoTarget::default()).unwrap_err();
        assert!(matches!(err, Error::Tree(_)), "{err}");
        let (_dir, md) = project("assets = [[\"missing.txt\", \"usr/share/\", \"644\"]]");
        let err = CargoDeb::from_metadata(&md, "my_tool", &CargoTarget::default()).unwrap_err();
        assert!(err.to_string().contains("missing.txt"), "{err}");
    }
}
