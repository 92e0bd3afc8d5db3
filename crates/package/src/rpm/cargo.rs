//! From Cargo: [`CargoRpm`] builds the [`PackageMeta`], [`FileTree`] and [`RpmSpec`] of a
//! workspace package from `cargo metadata` and its `[package.metadata.generate-rpm]` table,
//! the table `cargo-generate-rpm` reads, so existing manifests package unchanged.
//!
//! # Supported keys
//!
//! | key | meaning |
//! |---|---|
//! | `name`, `version`, `release`, `epoch` | package identity; default `package.name`, `package.version` (a SemVer pre-release `1.0.0-rc.1` becomes `1.0.0~rc.1`, which rpm sorts before `1.0.0`), release `1` |
//! | `license`, `summary`, `url`, `vendor` | default `package.license`, the first line of `package.description`, `package.homepage` or `package.repository`, none |
//! | `group`, `packager` | consign additions: default `Unspecified` (which rpmlint reports as a missing group) and the first author |
//! | `assets` | **required**: array of `{ source, dest, mode, config, doc, user, group, caps }` |
//! | `pre_install_script`, `post_install_script`, `pre_uninstall_script`, `post_uninstall_script`, `pre_trans_script`, `post_trans_script`, `pre_untrans_script`, `post_untrans_script` | scriptlet text, or the path of a file holding it (relative to the package directory, then the workspace root) |
//! | `<scriptlet>_flags`, `<scriptlet>_prog` | scriptlet flags (integer, see [`Scriptlet`]) and interpreter with arguments (array of strings, default `["/bin/sh"]`) |
//! | `requires`, `provides`, `conflicts`, `obsoletes`, `recommends`, `suggests`, `supplements`, `enhances` | tables `name = "*"`, `name = ">= 1.2"` or `name = ">= 1.2, < 2"`; operators `<`, `<=`, `=`, `>=`, `>` |
//! | `require-sh` | `false` to leave out the `Requires: /bin/sh` added by default |
//! | `auto-req` | `"auto"` (the default) or `"builtin"`: every ELF asset's `DT_NEEDED` libraries become requirements (`libc.so.6()(64bit)`, without the suffix for 32-bit files), as cargo-generate-rpm's built-in generator writes them (its `auto` runs rpm-build's `find-requires` when installed; consign always uses the built-in one, so the result does not depend on the host); `"no"` / `"disabled"`: none |
//! | `variants` | tables of overriding keys, applied in the order [`CargoTarget::variant`] names them |
//!
//! Assets: `source` is resolved against the workspace root, then the package directory; a
//! leading `target/release/` means Cargo's target directory for the chosen target triple and
//! profile. `*` and `?` match within one path component and `**` any number of directories;
//! a pattern's files keep their path below the pattern's first wildcard component, under
//! `dest`, which must then end with `/`. A `dest` ending with `/` otherwise receives the file
//! under its own name. `mode` is an octal string (`"755"`; default 0755 for executables,
//! 0644 otherwise); `config = true` is `%config`, `config = "noreplace"` is
//! `%config(noreplace)`; `doc = true` is `%doc`; `user` and `group` are owner names; `caps`
//! are file capabilities (`cap_net_bind_service=ep`).
//!
//! Any other key, or a value of the wrong shape, is an error naming the key.

use std::path::{Path, PathBuf};

use consign_core::{
    Dependency, Entry, FileTree, IoError, PackageMeta, Platform, RelPath, SourceDate, VersionOp,
};
use serde_json::{Map, Value};

use super::Rpm;
use super::spec::{FileAttrs, RelationKind, RpmSpec, Scriptlet, ScriptletKind};
use crate::Error;
pub use crate::cargo::CargoTarget;
use crate::cargo::{CargoError, elf, glob};

const TABLE: &str = "package.metadata.generate-rpm";

/// An rpm described by a Cargo package.
///
/// ```no_run
/// use consign_core::{ArtifactWriter, SourceDate};
/// use consign_package::rpm::{CargoRpm, CargoTarget};
/// let metadata = cargo_metadata::MetadataCommand::new().no_deps().exec()?;
/// let package = CargoRpm::from_metadata(&metadata, "hello", &CargoTarget::default())?;
/// let rpm = package.rpm(SourceDate::from_env()?.unwrap_or(SourceDate::from_unix(0)));
/// let (artifact, report) = rpm.write_into("target")?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct CargoRpm {
    /// Cargo's view of the package.
    pub meta: PackageMeta,
    /// The assets.
    pub tree: FileTree,
    /// Everything else the table says.
    pub spec: RpmSpec,
    /// The platform packaged for.
    pub platform: Platform,
}

impl CargoRpm {
    /// Reads the workspace package `package` of `metadata` and its
    /// `[package.metadata.generate-rpm]` table; asset files are `stat`ed now and read when
    /// the rpm is written.
    pub fn from_metadata(
        metadata: &cargo_metadata::Metadata,
        package: &str,
        target: &CargoTarget,
    ) -> Result<CargoRpm, Error> {
        let meta = PackageMeta::from_cargo(metadata, package)?;
        let platform = target.platform_or_host()?;
        let table = table(&meta, &target.variants)?;
        let dirs = Dirs {
            workspace: metadata.workspace_root.as_std_path().to_path_buf(),
            package: meta.manifest_dir.clone().unwrap_or_default(),
            build: target.build_dir(metadata.target_directory.as_std_path()),
        };
        let mut spec = RpmSpec::default();
        let mut tree = FileTree::new();
        let mut require_sh = true;
        let mut auto_req = true;
        let mut scripts: Vec<Scriptlet> = Vec::new();
        for (key, value) in &table {
            let k = format!("{TABLE}.{key}");
            match key.as_str() {
                "name" => spec.name = Some(string(&k, value)?),
                "version" => spec.version = Some(string(&k, value)?),
                "release" => spec.release = Some(string(&k, value)?),
                "license" => spec.license = Some(string(&k, value)?),
                "summary" => spec.summary = Some(string(&k, value)?),
                "url" => spec.url = Some(string(&k, value)?),
                "vendor" => spec.vendor = Some(string(&k, value)?),
                "group" => spec.group = Some(string(&k, value)?),
                "packager" => spec.packager = Some(string(&k, value)?),
                "epoch" => spec.epoch = Some(uint(&k, value)?),
                "assets" => assets(&k, value, &dirs, &mut tree, &mut spec)?,
                "require-sh" => require_sh = boolean(&k, value)?,
                "auto-req" => {
                    auto_req = match value.as_str() {
                        Some("auto" | "builtin") => true,
                        Some("no" | "disabled") => false,
                        _ => {
                            return Err(bad(
                                &k,
                                "\"auto\" or \"builtin\" (computed from the ELF files), \"no\" or \"disabled\"; \
                                 a find-requires script is not run: list its output in requires",
                                value,
                            ));
                        }
                    };
                }
                "variants" => {}
                k2 => {
                    if let Some(kind) = relation_kind(k2) {
                        relations(&k, value, kind, &mut spec)?;
                    } else if let Some((kind, part)) = script_key(k2) {
                        script(&k, value, kind, part, &dirs, &mut scripts)?;
                    } else {
                        return Err(unknown(k).into());
                    }
                }
            }
        }
        if !table.contains_key("assets") {
            return Err(CargoError::BadKey {
                key: format!("{TABLE}.assets"),
                expected: "an array of assets (required)",
                found: "nothing".into(),
            }
            .into());
        }
        for s in scripts {
            if s.body.is_empty() {
                let key = format!("{TABLE}.{}", script_name(s.kind));
                return Err(CargoError::BadKey {
                    key,
                    expected: "the scriptlet text, given with its _prog or _flags",
                    found: "nothing".into(),
                }
                .into());
            }
            spec.scriptlets.push(s);
        }
        if require_sh {
            spec = spec.requires(Dependency::new("/bin/sh"));
        }
        if auto_req {
            for name in auto_requires(&tree)? {
                spec = spec.requires(Dependency::new(name));
            }
        }
        Ok(CargoRpm {
            meta,
            tree,
            spec,
            platform,
        })
    }

    /// The rpm of this package, dated `date`.
    pub fn rpm(&self, date: SourceDate) -> Rpm<'_> {
        Rpm::new(&self.tree, &self.meta, self.platform, date).spec(self.spec.clone())
    }
}

/// The requirements `auto-req` computes: for every ELF file of `tree`, each `DT_NEEDED`
/// library as rpm's ELF dependency generator names it (`libc.so.6()(64bit)` for a 64-bit
/// file, `libc.so.6` for a 32-bit one), once each, in the order met.
fn auto_requires(tree: &FileTree) -> Result<Vec<String>, Error> {
    let mut out: Vec<String> = Vec::new();
    for (_, _, needs) in elf::packaged(tree, &format!("{TABLE}.auto-req"))? {
        for lib in needs.needed {
            let name = if needs.class64 {
                format!("{lib}()(64bit)")
            } else {
                lib
            };
            if !out.contains(&name) {
                out.push(name);
            }
        }
    }
    Ok(out)
}

/// Directories asset paths are resolved against.
struct Dirs {
    workspace: PathBuf,
    package: PathBuf,
    /// `<target-dir>[/<triple>]/<profile-dir>`: what `target/release/` stands for.
    build: PathBuf,
}

/// The table with the variants applied.
fn table(meta: &PackageMeta, variants: &[String]) -> Result<Map<String, Value>, Error> {
    let table = match meta.metadata_table("generate-rpm") {
        Some(Value::Object(m)) => m.clone(),
        Some(other) => return Err(bad(TABLE, "a table", other)),
        None => {
            return Err(CargoError::BadKey {
                key: TABLE.into(),
                expected: "a table with at least `assets`",
                found: "nothing".into(),
            }
            .into());
        }
    };
    Ok(crate::cargo::apply_variants(table, TABLE, variants)?)
}

fn unknown(key: String) -> CargoError {
    CargoError::UnknownKey {
        key,
        hint: "see consign_package::rpm::cargo for the keys read".into(),
    }
}

fn bad(key: &str, expected: &'static str, found: &Value) -> Error {
    CargoError::BadKey {
        key: key.to_owned(),
        expected,
        found: found.to_string(),
    }
    .into()
}

fn string(key: &str, v: &Value) -> Result<String, Error> {
    v.as_str()
        .map(str::to_owned)
        .ok_or_else(|| bad(key, "a string", v))
}

fn boolean(key: &str, v: &Value) -> Result<bool, Error> {
    v.as_bool().ok_or_else(|| bad(key, "true or false", v))
}

fn uint(key: &str, v: &Value) -> Result<u32, Error> {
    v.as_u64()
        .and_then(|n| u32::try_from(n).ok())
        .ok_or_else(|| bad(key, "a non-negative integer", v))
}

/// SemVer to rpm: the pre-release separator becomes `~` (sorting before the release) and
/// later hyphens `.`; build metadata keeps its `+`.
fn relation_kind(key: &str) -> Option<RelationKind> {
    Some(match key {
        "requires" => RelationKind::Requires,
        "provides" => RelationKind::Provides,
        "conflicts" => RelationKind::Conflicts,
        "obsoletes" => RelationKind::Obsoletes,
        "recommends" => RelationKind::Recommends,
        "suggests" => RelationKind::Suggests,
        "supplements" => RelationKind::Supplements,
        "enhances" => RelationKind::Enhances,
        _ => return None,
    })
}

/// `name = "*"`, `name = ">= 1.2"` or `name = ">= 1.2, < 2"`.
fn relations(
    key: &str,
    value: &Value,
    kind: RelationKind,
    spec: &mut RpmSpec,
) -> Result<(), Error> {
    let table = value
        .as_object()
        .ok_or_else(|| bad(key, "a table", value))?;
    for (name, constraint) in table {
        let k = format!("{key}.{name}");
        let text = string(&k, constraint)?;
        if text.trim() == "*" {
            spec.relations.push((kind, Dependency::new(name)));
            continue;
        }
        for part in text.split(',') {
            let expected = "\"*\" or comparisons such as \">= 1.2\" or \">= 1.2, < 2\"";
            let (op, version) = part
                .trim()
                .split_once(' ')
                .ok_or_else(|| bad(&k, expected, constraint))?;
            let op = match op {
                "<" => VersionOp::Less,
                "<=" => VersionOp::LessEq,
                "=" => VersionOp::Eq,
                ">=" => VersionOp::GreaterEq,
                ">" => VersionOp::Greater,
                _ => return Err(bad(&k, expected, constraint)),
            };
            let version = version.trim();
            if version.is_empty() || version.contains(' ') {
                return Err(bad(&k, expected, constraint));
            }
            spec.relations
                .push((kind, Dependency::new(name).version(op, version)));
        }
    }
    Ok(())
}

/// What part of a scriptlet a key sets.
#[derive(Clone, Copy, PartialEq, Eq)]
enum ScriptPart {
    Body,
    Flags,
    Prog,
}

const SCRIPTS: [(&str, ScriptletKind); 8] = [
    ("pre_install_script", ScriptletKind::Pre),
    ("post_install_script", ScriptletKind::Post),
    ("pre_uninstall_script", ScriptletKind::PreUn),
    ("post_uninstall_script", ScriptletKind::PostUn),
    ("pre_trans_script", ScriptletKind::PreTrans),
    ("post_trans_script", ScriptletKind::PostTrans),
    ("pre_untrans_script", ScriptletKind::PreUnTrans),
    ("post_untrans_script", ScriptletKind::PostUnTrans),
];

fn script_name(kind: ScriptletKind) -> &'static str {
    SCRIPTS
        .iter()
        .find(|(_, k)| *k == kind)
        .map_or("script", |(n, _)| n)
}

fn script_key(key: &str) -> Option<(ScriptletKind, ScriptPart)> {
    SCRIPTS.iter().find_map(|(name, kind)| {
        let part = match key.strip_prefix(name)? {
            "" => ScriptPart::Body,
            "_flags" => ScriptPart::Flags,
            "_prog" => ScriptPart::Prog,
            _ => return None,
        };
        Some((*kind, part))
    })
}

fn script(
    key: &str,
    value: &Value,
    kind: ScriptletKind,
    part: ScriptPart,
    dirs: &Dirs,
    scripts: &mut Vec<Scriptlet>,
) -> Result<(), Error> {
    let i = match scripts.iter().position(|s| s.kind == kind) {
        Some(i) => i,
        None => {
            scripts.push(Scriptlet::new(kind, ""));
            scripts.len() - 1
        }
    };
    let s = &mut scripts[i];
    match part {
        ScriptPart::Body => {
            let text = string(key, value)?;
            s.body = script_body(&text, dirs)?;
        }
        ScriptPart::Flags => s.flags = uint(key, value)?,
        ScriptPart::Prog => {
            let argv = value
                .as_array()
                .and_then(|a| a.iter().map(Value::as_str).collect::<Option<Vec<_>>>())
                .filter(|a| !a.is_empty())
                .ok_or_else(|| {
                    bad(
                        key,
                        "an array of strings (interpreter and arguments)",
                        value,
                    )
                })?;
            s.interpreter = argv.into_iter().map(str::to_owned).collect();
        }
    }
    Ok(())
}

/// A one-line value naming an existing file is read from it; anything else is the script.
fn script_body(text: &str, dirs: &Dirs) -> Result<String, Error> {
    if !text.contains('\n') && !text.is_empty() {
        for dir in [&dirs.package, &dirs.workspace] {
            let p = dir.join(text);
            if p.is_file() {
                return std::fs::read_to_string(&p)
                    .map_err(|e| Error::Io(IoError::new("read the scriptlet", &p, e)));
            }
        }
    }
    Ok(text.to_owned())
}

fn assets(
    key: &str,
    value: &Value,
    dirs: &Dirs,
    tree: &mut FileTree,
    spec: &mut RpmSpec,
) -> Result<(), Error> {
    let list = value
        .as_array()
        .ok_or_else(|| bad(key, "an array of assets", value))?;
    for (i, asset) in list.iter().enumerate() {
        let k = format!("{key}[{i}]");
        let fields = asset
            .as_object()
            .ok_or_else(|| bad(&k, "a table { source, dest, ... }", asset))?;
        let field = |name: &str| fields.get(name).map(|v| (format!("{k}.{name}"), v));
        for name in fields.keys() {
            if ![
                "source", "dest", "mode", "config", "doc", "user", "group", "caps",
            ]
            .contains(&name.as_str())
            {
                return Err(unknown(format!("{k}.{name}")).into());
            }
        }
        let required = |name: &'static str| -> Result<String, Error> {
            match field(name) {
                Some((fk, v)) => string(&fk, v),
                None => Err(CargoError::BadKey {
                    key: format!("{k}.{name}"),
                    expected: "a string (required)",
                    found: "nothing".into(),
                }
                .into()),
            }
        };
        let source = required("source")?;
        let dest = required("dest")?;
        let dest_key = format!("{k}.dest");
        let dest_rel = dest
            .strip_prefix('/')
            .ok_or_else(|| bad(&dest_key, "an absolute path", &Value::String(dest.clone())))?;
        let dest_is_dir = dest.ends_with('/');
        let wild = glob::is_pattern(&source);
        if wild && !dest_is_dir {
            return Err(bad(
                &dest_key,
                "a directory ending with / (the source is a pattern)",
                &Value::String(dest.clone()),
            ));
        }
        let mode = match field("mode") {
            Some((fk, v)) => Some(mode(&fk, v)?),
            None => None,
        };
        let (config, replace) = match field("config") {
            None | Some((_, Value::Bool(false))) => (false, false),
            Some((_, Value::Bool(true))) => (true, true),
            Some((_, Value::String(s))) if s == "noreplace" => (true, false),
            Some((fk, v)) => return Err(bad(&fk, "true, false or \"noreplace\"", v)),
        };
        let doc = match field("doc") {
            Some((fk, v)) => boolean(&fk, v)?,
            None => false,
        };
        let user = field("user").map(|(fk, v)| string(&fk, v)).transpose()?;
        let group = field("group").map(|(fk, v)| string(&fk, v)).transpose()?;
        let caps = field("caps").map(|(fk, v)| string(&fk, v)).transpose()?;

        let matches = resolve(&format!("{k}.source"), &source, dirs)?;
        for (path, below) in matches {
            let target = match (wild, dest_is_dir) {
                (true, _) => format!("{dest_rel}{below}"),
                (false, true) => format!("{dest_rel}{}", file_name(&path)),
                (false, false) => dest_rel.to_owned(),
            };
            let rel = RelPath::new(&target)?;
            let mut entry = Entry::file(&path)?;
            if let Some(m) = mode {
                entry = entry.mode(m);
            }
            if config {
                entry = entry.config();
            }
            if doc {
                entry = entry.doc();
            }
            if user.is_some() || group.is_some() {
                let owner = entry.owner().clone();
                let u = user.as_deref().or(owner.user.as_deref()).map(str::to_owned);
                let g = group
                    .as_deref()
                    .or(owner.group.as_deref())
                    .map(str::to_owned);
                entry = entry.names(u.as_deref(), g.as_deref());
            }
            tree.insert_at(rel.clone(), entry)?;
            if replace || caps.is_some() {
                let attrs = FileAttrs {
                    replace,
                    caps: caps.clone(),
                    ..FileAttrs::default()
                };
                spec.files.insert(rel, attrs);
            }
        }
    }
    Ok(())
}

fn mode(key: &str, v: &Value) -> Result<u32, Error> {
    v.as_str()
        .and_then(|s| u32::from_str_radix(s, 8).ok())
        .filter(|m| *m <= 0o7777)
        .ok_or_else(|| bad(key, "an octal mode string such as \"755\"", v))
}

fn file_name(p: &Path) -> String {
    p.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// The files a source names: (path on disk, its path below the first wildcard component).
fn resolve(key: &str, source: &str, dirs: &Dirs) -> Result<Vec<(PathBuf, String)>, Error> {
    let (bases, rest): (Vec<&Path>, &str) = match source.strip_prefix("target/release/") {
        Some(rest) => (vec![dirs.build.as_path()], rest),
        None if Path::new(source).is_absolute() => (vec![Path::new("/")], source),
        None => (
            vec![dirs.workspace.as_path(), dirs.package.as_path()],
            source,
        ),
    };
    for base in &bases {
        let found = glob::glob(base, rest);
        if !found.is_empty() {
            return Ok(found);
        }
    }
    Err(CargoError::AssetNotFound {
        key: key.to_owned(),
        pattern: bases
            .iter()
            .map(|b| b.join(rest).display().to_string())
            .collect::<Vec<_>>()
            .join(" or "),
    }
    .into())
}

#[cfg(test)]
mod tests;
