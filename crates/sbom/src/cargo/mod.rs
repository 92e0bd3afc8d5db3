//! [`Inventory::from_cargo`]: the crates a package's binary is built from, as Cargo resolves
//! them for one target and one feature set.
//!
//! Three processes run side by side: `cargo metadata --all-features` (every package the
//! workspace may use, with its declarations, and Cargo's locked resolve), and `rustc --print
//! cfg` for the target and for the host. The feature resolution of [`resolve`] then picks what
//! the requested build really compiles; checksums come from `Cargo.lock`.

mod lock;
pub(crate) mod resolve;

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::path::{Path, PathBuf};
use std::process::Command;

use cargo_metadata::cargo_platform::Cfg;
use cargo_metadata::{CargoOpt, DependencyKind, Metadata, MetadataCommand, Package};
use consign_core::Platform;

use crate::error::SbomError;
use crate::inventory::{Crate, DepKind, Edge, Inventory, Source};
use crate::license::License;
use resolve::{Cfgs, Decl, Node, Request};

/// A Rust target triple (`x86_64-unknown-linux-gnu`); whether rustc knows it is checked when
/// the inventory is made.
///
/// ```
/// use consign_sbom::TargetTriple;
/// let t: TargetTriple = "aarch64-unknown-linux-musl".parse()?;
/// assert_eq!(t.as_str(), "aarch64-unknown-linux-musl");
/// let p: consign_core::Platform = "x86_64-pc-windows-msvc".parse()?;
/// assert_eq!(TargetTriple::from(&p).as_str(), "x86_64-pc-windows-msvc");
/// assert!("x86 64".parse::<TargetTriple>().is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct TargetTriple(String);

impl TargetTriple {
    /// Checks the spelling of a triple (letters, digits, `-`, `_`, `.`).
    pub fn new(triple: impl Into<String>) -> Result<TargetTriple, SbomError> {
        let triple = triple.into();
        let ok = !triple.is_empty()
            && triple
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b));
        if ok {
            Ok(TargetTriple(triple))
        } else {
            Err(SbomError::UnknownTarget {
                triple,
                detail: "not a target triple".into(),
            })
        }
    }

    /// The triple.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for TargetTriple {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::str::FromStr for TargetTriple {
    type Err = SbomError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        TargetTriple::new(s)
    }
}

impl From<&Platform> for TargetTriple {
    fn from(p: &Platform) -> Self {
        TargetTriple(p.rust_target())
    }
}

impl From<Platform> for TargetTriple {
    fn from(p: Platform) -> Self {
        TargetTriple(p.rust_target())
    }
}

/// The features a build enables, as Cargo's `-F`, `--all-features` and
/// `--no-default-features` give them.
///
/// ```
/// use consign_sbom::Features;
/// let f = Features::default().with(["tls", "serde/derive"]).no_default_features();
/// assert_eq!(f.names(), ["tls", "serde/derive"]);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Features {
    names: Vec<String>,
    all: bool,
    default: bool,
}

impl Default for Features {
    /// The default features only.
    fn default() -> Self {
        Features {
            names: Vec::new(),
            all: false,
            default: true,
        }
    }
}

impl Features {
    /// Every feature of the package.
    pub fn all() -> Features {
        Features {
            all: true,
            ..Features::default()
        }
    }

    /// Adds features (`name`, `dep/name`, `dep?/name` or `dep:name`; commas and spaces
    /// separate several in one string, as with `-F`).
    #[must_use]
    pub fn with(mut self, names: impl IntoIterator<Item = impl Into<String>>) -> Features {
        self.names.extend(names.into_iter().map(Into::into));
        self
    }

    /// Leaves out the `default` feature.
    #[must_use]
    pub fn no_default_features(mut self) -> Features {
        self.default = false;
        self
    }

    /// The features named.
    pub fn names(&self) -> &[String] {
        &self.names
    }
}

/// What to do with a license field that is not an SPDX expression.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum LicensePolicy {
    /// Fail with [`SbomError::License`] naming the crate and the text.
    #[default]
    Error,
    /// Keep the text ([`License::Text`]): documents carry it as a `LicenseRef-…` with the text
    /// attached.
    Keep,
}

/// Switches for [`Inventory::from_cargo`].
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct CargoOptions {
    /// Also list build-dependencies (crates compiled into build scripts). Default: no.
    pub build_dependencies: bool,
    /// Also list the package's dev-dependencies. Default: no.
    pub dev_dependencies: bool,
    /// Pass `--locked`: fail rather than change `Cargo.lock`. Default: yes.
    pub locked: bool,
    /// Pass `--offline`. Default: no.
    pub offline: bool,
    /// License fields that are not SPDX expressions. Default: an error.
    pub licenses: LicensePolicy,
    /// The cargo program; default `$CARGO`, else `cargo`.
    pub cargo: Option<PathBuf>,
    /// The rustc program; default `$RUSTC`, else `rustc`.
    pub rustc: Option<PathBuf>,
}

impl Default for CargoOptions {
    fn default() -> Self {
        CargoOptions {
            build_dependencies: false,
            dev_dependencies: false,
            locked: true,
            offline: false,
            licenses: LicensePolicy::Error,
            cargo: None,
            rustc: None,
        }
    }
}

impl Inventory {
    /// The crates compiled into `package` (a member of the workspace of `manifest_path`) when
    /// it is built for `target` with `features`: the package itself and its normal
    /// dependencies for that target and those features (build- and dev-dependencies when
    /// `options` ask for them), with the dependency edges between them.
    ///
    /// ```no_run
    /// use consign_sbom::{CargoOptions, Features, Inventory};
    /// let inv = Inventory::from_cargo(
    ///     "Cargo.toml",
    ///     "consign",
    ///     &"x86_64-unknown-linux-gnu".parse()?,
    ///     &Features::default(),
    ///     &CargoOptions::default(),
    /// )?;
    /// for c in inv.crates() {
    ///     println!("{} {} {}", c.name, c.version, c.purl);
    /// }
    /// # Ok::<(), consign_sbom::SbomError>(())
    /// ```
    pub fn from_cargo(
        manifest_path: impl AsRef<Path>,
        package: &str,
        target: &TargetTriple,
        features: &Features,
        options: &CargoOptions,
    ) -> Result<Inventory, SbomError> {
        let manifest = manifest_path.as_ref();
        find_lockfile(manifest)?;
        let rustc = options
            .rustc
            .clone()
            .or_else(|| std::env::var_os("RUSTC").map(PathBuf::from))
            .unwrap_or_else(|| PathBuf::from("rustc"));
        let dir = manifest
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let (metadata, host, target_cfg) = std::thread::scope(|s| {
            let host = s.spawn(|| rustc_cfg(&rustc, dir, None));
            let target_cfg = s.spawn(|| rustc_cfg(&rustc, dir, Some(target.as_str())));
            let metadata = run_metadata(manifest, options);
            let join = |h: std::thread::ScopedJoinHandle<'_, _>| {
                h.join().unwrap_or_else(|_| {
                    Err(SbomError::Rustc {
                        rustc: rustc.display().to_string(),
                        source: std::io::Error::other("rustc reader thread panicked"),
                    })
                })
            };
            (metadata, join(host), join(target_cfg))
        });
        let metadata = metadata?;
        let (host_triple, host) = host?;
        let (_, target_cfg) = target_cfg?;
        let cfgs = Cfgs {
            target_triple: target.as_str().to_owned(),
            target: target_cfg,
            host_triple,
            host,
        };
        let lock = lock::checksums(metadata.workspace_root.join("Cargo.lock").as_std_path())?;
        from_metadata(&metadata, &lock, package, &cfgs, features, options)
    }
}

/// Looks for `Cargo.lock` beside the manifest and in the directories above it.
fn find_lockfile(manifest: &Path) -> Result<PathBuf, SbomError> {
    let abs = std::path::absolute(manifest).unwrap_or_else(|_| manifest.to_path_buf());
    abs.ancestors()
        .skip(1)
        .map(|d| d.join("Cargo.lock"))
        .find(|p| p.is_file())
        .ok_or_else(|| SbomError::MissingLockfile {
            manifest: manifest.to_path_buf(),
        })
}

fn run_metadata(manifest: &Path, options: &CargoOptions) -> Result<Metadata, SbomError> {
    let mut cmd = MetadataCommand::new();
    cmd.manifest_path(manifest).features(CargoOpt::AllFeatures);
    if let Some(cargo) = &options.cargo {
        cmd.cargo_path(cargo);
    }
    let mut other = Vec::new();
    if options.locked {
        other.push("--locked".to_owned());
    }
    if options.offline {
        other.push("--offline".to_owned());
    }
    cmd.other_options(other);
    cmd.exec().map_err(|source| SbomError::Cargo {
        manifest: manifest.to_path_buf(),
        source: Box::new(source),
    })
}

/// `rustc --print cfg` for `target` (the host when `None`), and the host triple.
fn rustc_cfg(
    rustc: &Path,
    dir: &Path,
    target: Option<&str>,
) -> Result<(String, Vec<Cfg>), SbomError> {
    let mut cmd = Command::new(rustc);
    cmd.current_dir(dir)
        .args(["--print", "host-tuple", "--print", "cfg"]);
    if let Some(t) = target {
        cmd.args(["--target", t]);
    }
    let out = cmd.output().map_err(|source| SbomError::Rustc {
        rustc: rustc.display().to_string(),
        source,
    })?;
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(&out.stderr);
        return Err(SbomError::UnknownTarget {
            triple: target.unwrap_or("host").to_owned(),
            detail: stderr
                .lines()
                .next()
                .unwrap_or("rustc failed")
                .trim()
                .to_owned(),
        });
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let mut lines = text.lines();
    let host = lines.next().unwrap_or_default().trim().to_owned();
    // Lines rustc prints that are not cfgs cannot be conditions: skip them.
    let cfgs = lines.filter_map(|l| l.parse::<Cfg>().ok()).collect();
    Ok((host, cfgs))
}

/// Builds the graph from Cargo's metadata and resolves it.
fn from_metadata(
    md: &Metadata,
    lock: &lock::Checksums,
    package: &str,
    cfgs: &Cfgs,
    features: &Features,
    options: &CargoOptions,
) -> Result<Inventory, SbomError> {
    let members = md.workspace_packages();
    let root_pkg = members
        .iter()
        .find(|p| p.name.as_str() == package)
        .ok_or_else(|| SbomError::PackageNotFound {
            name: package.to_owned(),
            available: members.iter().map(|p| p.name.to_string()).collect(),
        })?;
    let resolve = md.resolve.as_ref().ok_or_else(|| SbomError::Unresolved {
        package: package.to_owned(),
        dependency: "(cargo metadata returned no resolve)".into(),
    })?;
    let packages: HashMap<&cargo_metadata::PackageId, &Package> =
        md.packages.iter().map(|p| (&p.id, p)).collect();
    let order: Vec<&Package> = resolve
        .nodes
        .iter()
        .filter_map(|n| packages.get(&n.id).copied())
        .collect();
    let index: HashMap<&cargo_metadata::PackageId, usize> =
        order.iter().enumerate().map(|(i, p)| (&p.id, i)).collect();
    let nodes_by_id: HashMap<_, _> = resolve.nodes.iter().map(|n| (&n.id, n)).collect();

    let mut graph = Vec::with_capacity(order.len());
    for p in &order {
        let candidates: Vec<usize> = nodes_by_id
            .get(&p.id)
            .map(|n| {
                n.deps
                    .iter()
                    .filter_map(|d| index.get(&d.pkg).copied())
                    .collect()
            })
            .unwrap_or_default();
        graph.push(node(p, &candidates, &order));
    }
    let root = index
        .get(&root_pkg.id)
        .copied()
        .ok_or_else(|| SbomError::Unresolved {
            package: package.to_owned(),
            dependency: package.to_owned(),
        })?;
    let req = Request {
        root,
        features: &features.names,
        all_features: features.all,
        default_features: features.default,
        build: options.build_dependencies,
        dev: options.dev_dependencies,
    };
    let resolved = resolve::resolve(&graph, cfgs, &req)?;

    // Crates, sorted; graph index → inventory index.
    let ws_root = md.workspace_root.as_std_path();
    let mut crates: Vec<(usize, Crate)> = Vec::new();
    for (&g, reach) in &resolved.reached {
        let c = make_crate(order[g], ws_root, lock, options.licenses, reach.normal)?;
        crates.push((g, c));
    }
    crates.sort_by(|a, b| {
        (&a.1.name, &a.1.version, &a.1.purl).cmp(&(&b.1.name, &b.1.version, &b.1.purl))
    });
    let position: HashMap<usize, usize> = crates
        .iter()
        .enumerate()
        .map(|(i, (g, _))| (*g, i))
        .collect();
    let mut edges: BTreeMap<(usize, usize), DepKind> = BTreeMap::new();
    for &(from, to, kind) in &resolved.edges {
        if let (Some(&f), Some(&t)) = (position.get(&from), position.get(&to)) {
            let e = edges.entry((f, t)).or_insert(kind);
            *e = (*e).min(kind);
        }
    }
    let mut crates: Vec<Crate> = crates.into_iter().map(|(_, c)| c).collect();
    for ((f, t), kind) in edges {
        crates[f].dependencies.push(Edge { to: t, kind });
    }
    Ok(Inventory {
        root: position.get(&root).copied().unwrap_or_default(),
        crates,
        target: Some(cfgs.target_triple.clone()),
        features: resolved.root_features,
        files: Vec::new(),
    })
}

/// The graph node of one package: its feature table (with implicit features) and its
/// declarations matched against the packages its resolve node depends on.
fn node(p: &Package, candidates: &[usize], order: &[&Package]) -> Node {
    let mut features: BTreeMap<String, Vec<String>> = p
        .features
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    for d in p.dependencies.iter().filter(|d| d.optional) {
        let name = d.rename.as_deref().unwrap_or(&d.name);
        let explicit = format!("dep:{name}");
        if !features.values().flatten().any(|v| *v == explicit) {
            features
                .entry(name.to_owned())
                .or_insert_with(|| vec![explicit]);
        }
    }
    let decls = p
        .dependencies
        .iter()
        .map(|d| {
            let resolved = candidates
                .iter()
                .copied()
                .filter(|&c| order[c].name.as_str() == d.name)
                .find(|&c| d.req.matches(&order[c].version) || d.req.to_string() == "*")
                .or_else(|| {
                    // Pre-releases and unusual requirements: one candidate of that name is it.
                    let mut same = candidates
                        .iter()
                        .copied()
                        .filter(|&c| order[c].name.as_str() == d.name);
                    match (same.next(), same.next()) {
                        (Some(c), None) => Some(c),
                        _ => None,
                    }
                });
            Decl {
                dep_name: d.rename.clone().unwrap_or_else(|| d.name.clone()),
                kind: match d.kind {
                    DependencyKind::Build => DepKind::Build,
                    DependencyKind::Development => DepKind::Dev,
                    _ => DepKind::Normal,
                },
                platform: d.target.clone(),
                optional: d.optional,
                default_features: d.uses_default_features,
                features: d.features.clone(),
                resolved,
            }
        })
        .collect();
    Node {
        name: p.name.to_string(),
        version: p.version.to_string(),
        features,
        decls,
        proc_macro: p
            .targets
            .iter()
            .any(|t| t.kind.iter().any(|k| k.to_string() == "proc-macro")),
    }
}

fn make_crate(
    p: &Package,
    ws_root: &Path,
    lock: &lock::Checksums,
    policy: LicensePolicy,
    shipped: bool,
) -> Result<Crate, SbomError> {
    let source_id = p.source.as_ref().map(|s| s.repr.clone());
    let source = Source::from_cargo(source_id.as_deref(), || {
        let dir = p
            .manifest_path
            .parent()
            .map(|d| d.as_std_path())
            .unwrap_or(Path::new(""));
        relative_dir(dir, ws_root)
    });
    let mut c = Crate::new(p.name.as_str(), p.version.to_string(), source);
    let license_file = p.license_file.as_ref().map(|f| f.as_str());
    c.license = match License::from_cargo(p.license.as_deref(), license_file) {
        Ok(l) => l,
        Err(e) if policy == LicensePolicy::Keep => License::Text(e.value),
        Err(source) => {
            return Err(SbomError::License {
                package: format!("{}@{}", p.name, p.version),
                value: p.license.clone().unwrap_or_default(),
                source,
            });
        }
    };
    c.checksum = source_id.and_then(|s| {
        lock.get(&(p.name.to_string(), p.version.to_string(), s))
            .copied()
    });
    c.authors = p.authors.clone();
    c.description = p.description.as_ref().map(|d| d.trim().to_owned());
    c.repository = p.repository.clone();
    c.homepage = p.homepage.clone();
    c.shipped = shipped;
    Ok(c)
}

/// `dir` relative to the workspace root, `/`-separated; absolute when outside it.
fn relative_dir(dir: &Path, ws_root: &Path) -> String {
    match dir.strip_prefix(ws_root) {
        Ok(rel) if rel.as_os_str().is_empty() => ".".into(),
        Ok(rel) => rel
            .components()
            .map(|c| c.as_os_str().to_string_lossy())
            .collect::<Vec<_>>()
            .join("/"),
        Err(_) => dir.to_string_lossy().replace('\\', "/"),
    }
}
