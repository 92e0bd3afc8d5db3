//! [`Inventory::from_cargo`]: the crates a package's binary is built from, as Cargo resolves
//! them for one target and one feature set.
//!
//! The package graph comes from `Cargo.lock` and `cargo metadata --no-deps` when the lock
//! holds only workspace members and unpacked crates.io crates ([`lockgraph`]), else from a
//! full `cargo metadata --all-features` ([`metadata`]); `rustc --print cfg` for the target and
//! the host runs alongside. The feature resolution of [`resolve`] then picks what the
//! requested build really compiles; checksums come from `Cargo.lock`.

mod graph;
pub(crate) mod lock;
mod lockgraph;
mod metadata;
pub(crate) mod resolve;

use std::fmt;
use std::path::{Path, PathBuf};
use std::process::Command;

use cargo_metadata::cargo_platform::Cfg;
use cargo_metadata::{CargoOpt, Metadata, MetadataCommand};
use consign_core::Platform;

use crate::error::SbomError;
use crate::inventory::Inventory;
use resolve::Cfgs;

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
    /// Keep the text ([`License::Text`](crate::License::Text)): documents carry it as a `LicenseRef-…` with the text
    /// attached.
    Keep,
}

/// Where [`Inventory::from_cargo`] reads the package graph.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum GraphSource {
    /// `Cargo.lock` with `cargo metadata --no-deps` when every locked package is a workspace
    /// member or a crates.io crate unpacked in Cargo's registry cache; otherwise as
    /// [`GraphSource::Metadata`]. The lock is taken as it is: Cargo does not check it against
    /// the manifests.
    #[default]
    Auto,
    /// A full `cargo metadata`: Cargo resolves the workspace again (and with
    /// [`CargoOptions::locked`] refuses a lock file that does not match the manifests).
    Metadata,
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
    /// Where the package graph is read. Default: [`GraphSource::Auto`].
    pub graph: GraphSource,
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
            graph: GraphSource::Auto,
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
        let fast = options.graph == GraphSource::Auto;
        let (metadata, host, target_cfg) = std::thread::scope(|s| {
            let host = s.spawn(|| rustc_cfg(&rustc, dir, None));
            let target_cfg = s.spawn(|| rustc_cfg(&rustc, dir, Some(target.as_str())));
            let metadata = run_metadata(manifest, options, fast);
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
        let ws_root = metadata.workspace_root.as_std_path();
        let (lock, checksums) = lock::read(&ws_root.join("Cargo.lock"))?;
        let from_lock = if fast {
            lockgraph::graph(&metadata, &lock, package)?
        } else {
            None
        };
        let graph = match from_lock {
            Some(g) => g,
            None if fast => {
                let full = run_metadata(manifest, options, false)?;
                metadata::graph(&full, package)?
            }
            None => metadata::graph(&metadata, package)?,
        };
        graph::inventory(&graph, ws_root, &checksums, &cfgs, features, options)
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

/// `cargo metadata --all-features`, or with `--no-deps` only the workspace members.
fn run_metadata(
    manifest: &Path,
    options: &CargoOptions,
    no_deps: bool,
) -> Result<Metadata, SbomError> {
    let mut cmd = MetadataCommand::new();
    cmd.manifest_path(manifest);
    if no_deps {
        cmd.no_deps();
    } else {
        cmd.features(CargoOpt::AllFeatures);
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The graph read from Cargo.lock gives the inventory cargo metadata's graph gives, for
    /// every package of the workspace, targets and dependency kinds.
    #[test]
    fn lock_graph_equals_metadata_graph() {
        let ws = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let manifest = ws.join("Cargo.toml");
        let options = CargoOptions::default();
        let no_deps = run_metadata(&manifest, &options, true).unwrap();
        let full = run_metadata(&manifest, &options, false).unwrap();
        let root = no_deps.workspace_root.as_std_path();
        let (lock, checksums) = lock::read(&root.join("Cargo.lock")).unwrap();
        let rustc = PathBuf::from("rustc");
        let (host_triple, host) = rustc_cfg(&rustc, &ws, None).unwrap();
        for triple in [
            "x86_64-unknown-linux-gnu",
            "x86_64-pc-windows-msvc",
            "aarch64-apple-darwin",
        ] {
            let cfgs = Cfgs {
                target_triple: triple.into(),
                target: rustc_cfg(&rustc, &ws, Some(triple)).unwrap().1,
                host_triple: host_triple.clone(),
                host: host.clone(),
            };
            for member in no_deps.workspace_packages() {
                let name = member.name.as_str();
                let fast = lockgraph::graph(&no_deps, &lock, name)
                    .unwrap()
                    .expect("this workspace's lock holds members and crates.io crates only");
                let slow = metadata::graph(&full, name).unwrap();
                for (build, dev) in [(false, false), (true, true)] {
                    let o = CargoOptions {
                        build_dependencies: build,
                        dev_dependencies: dev,
                        ..CargoOptions::default()
                    };
                    for f in [Features::default(), Features::all()] {
                        let a = graph::inventory(&fast, root, &checksums, &cfgs, &f, &o).unwrap();
                        let b = graph::inventory(&slow, root, &checksums, &cfgs, &f, &o).unwrap();
                        assert_eq!(a, b, "{name} {triple} build/dev {build} {f:?}");
                    }
                }
            }
        }
    }
}
