//! The graph from `Cargo.lock`, without asking Cargo to resolve again.
//!
//! `cargo metadata` spends most of its time loading the registry index to check a resolution
//! that `Cargo.lock` already records. When every locked package is either a workspace member
//! (read with `cargo metadata --no-deps`, which applies workspace inheritance) or a crates.io
//! crate already unpacked in Cargo's registry cache (whose published `Cargo.toml` is
//! self-contained), the graph is read from those files directly: the same packages,
//! declarations and locked edges, in a fraction of the time. Anything else — git or other
//! registries, path dependencies outside the workspace, a crate not unpacked, a manifest we do
//! not understand — returns `None`, and the caller asks `cargo metadata` for the full graph.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use cargo_metadata::cargo_platform::Platform;
use cargo_metadata::semver::{Version, VersionReq};
use cargo_metadata::{Metadata, Package};
use serde::Deserialize;

use super::graph::{Graph, PkgInfo, implicit_features, match_decl};
use super::lock::LockFile;
use super::metadata;
use super::resolve::{Decl, Node};
use crate::error::SbomError;
use crate::inventory::DepKind;

const CRATES_IO: [&str; 2] = [
    "registry+https://github.com/rust-lang/crates.io-index",
    "sparse+https://index.crates.io/",
];

/// The graph of `package` from `cargo metadata --no-deps` and the lock file, or `None` when
/// the lock holds packages this reader does not handle.
pub(crate) fn graph(
    md: &Metadata,
    lock: &LockFile,
    package: &str,
) -> Result<Option<Graph>, SbomError> {
    let root_pkg = metadata::member(md, package)?;
    let Some(cache) = registry_sources() else {
        return Ok(None);
    };
    let members: HashMap<(&str, String), &Package> = md
        .workspace_packages()
        .into_iter()
        .map(|p| ((p.name.as_str(), p.version.to_string()), p))
        .collect();
    let versions: Option<Vec<Version>> = lock
        .packages
        .iter()
        .map(|p| Version::parse(&p.version).ok())
        .collect();
    let Some(versions) = versions else {
        return Ok(None);
    };
    let mut nodes = Vec::with_capacity(lock.packages.len());
    let mut infos = Vec::with_capacity(lock.packages.len());
    let mut root = None;
    for (i, locked) in lock.packages.iter().enumerate() {
        let Some(deps) = lock.dependencies(i) else {
            return Ok(None);
        };
        let candidates: Vec<(usize, &str, &Version)> = deps
            .iter()
            .map(|&j| (j, lock.packages[j].name.as_str(), &versions[j]))
            .collect();
        match locked.source.as_deref() {
            None => {
                let Some(p) = members.get(&(locked.name.as_str(), locked.version.clone())) else {
                    // A path dependency outside the workspace.
                    return Ok(None);
                };
                if p.id == root_pkg.id {
                    root = Some(i);
                }
                nodes.push(metadata::node(p, &candidates));
                infos.push(metadata::info(p));
            }
            Some(source) if CRATES_IO.contains(&source) => {
                let Some(dir) = find_unpacked(&cache, &locked.name, &locked.version) else {
                    return Ok(None);
                };
                let Some((node, info)) = read_manifest(&dir, source, &candidates) else {
                    return Ok(None);
                };
                if node.name != locked.name || node.version != locked.version {
                    return Ok(None);
                }
                nodes.push(node);
                infos.push(info);
            }
            Some(_) => return Ok(None),
        }
    }
    Ok(root.map(|root| Graph { nodes, infos, root }))
}

/// The directories holding unpacked crates.io crates (`$CARGO_HOME/registry/src/*`, sparse
/// and git index alike: a crate's files are the same whichever index it came through).
fn registry_sources() -> Option<Vec<PathBuf>> {
    let home = match std::env::var_os("CARGO_HOME") {
        Some(h) => PathBuf::from(h),
        None => PathBuf::from(std::env::var_os("HOME")?).join(".cargo"),
    };
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(home.join("registry/src"))
        .ok()?
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("index.crates.io-") || n.starts_with("github.com-"))
        })
        .collect();
    dirs.sort();
    Some(dirs)
}

/// `<cache>/<name>-<version>`, when Cargo finished unpacking it (it writes `.cargo-ok` last).
fn find_unpacked(cache: &[PathBuf], name: &str, version: &str) -> Option<PathBuf> {
    cache
        .iter()
        .map(|d| d.join(format!("{name}-{version}")))
        .find(|d| d.join(".cargo-ok").is_file() && d.join("Cargo.toml").is_file())
}

#[derive(Deserialize)]
struct Manifest {
    package: ManifestPackage,
    #[serde(default)]
    lib: Option<LibTarget>,
    #[serde(default)]
    dependencies: BTreeMap<String, DepSpec>,
    #[serde(default, rename = "dev-dependencies", alias = "dev_dependencies")]
    dev_dependencies: BTreeMap<String, DepSpec>,
    #[serde(default, rename = "build-dependencies", alias = "build_dependencies")]
    build_dependencies: BTreeMap<String, DepSpec>,
    #[serde(default)]
    target: BTreeMap<String, TargetDeps>,
    #[serde(default)]
    features: BTreeMap<String, Vec<String>>,
}

#[derive(Deserialize)]
struct ManifestPackage {
    name: String,
    version: String,
    license: Option<String>,
    #[serde(rename = "license-file")]
    license_file: Option<String>,
    #[serde(default)]
    authors: Vec<String>,
    description: Option<String>,
    repository: Option<String>,
    homepage: Option<String>,
}

#[derive(Deserialize)]
struct LibTarget {
    #[serde(default, rename = "proc-macro", alias = "proc_macro")]
    proc_macro: bool,
}

#[derive(Deserialize)]
struct TargetDeps {
    #[serde(default)]
    dependencies: BTreeMap<String, DepSpec>,
    #[serde(default, rename = "dev-dependencies", alias = "dev_dependencies")]
    dev_dependencies: BTreeMap<String, DepSpec>,
    #[serde(default, rename = "build-dependencies", alias = "build_dependencies")]
    build_dependencies: BTreeMap<String, DepSpec>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum DepSpec {
    Version(String),
    Detailed(DetailedDep),
}

#[derive(Deserialize)]
struct DetailedDep {
    version: Option<String>,
    #[serde(default)]
    optional: bool,
    #[serde(rename = "default-features", alias = "default_features")]
    default_features: Option<bool>,
    #[serde(default)]
    features: Vec<String>,
    package: Option<String>,
    registry: Option<String>,
    #[serde(rename = "registry-index")]
    registry_index: Option<String>,
    git: Option<String>,
}

/// The node and description of the published crate in `dir`; `None` when its manifest is not
/// one this reader understands.
fn read_manifest(
    dir: &Path,
    source: &str,
    candidates: &[(usize, &str, &Version)],
) -> Option<(Node, PkgInfo)> {
    let text = std::fs::read_to_string(dir.join("Cargo.toml")).ok()?;
    let m: Manifest = toml::from_str(&text).ok()?;
    let mut decls = Vec::new();
    let sections = [
        (None, DepKind::Normal, &m.dependencies),
        (None, DepKind::Dev, &m.dev_dependencies),
        (None, DepKind::Build, &m.build_dependencies),
    ];
    let mut targeted = Vec::new();
    for (t, deps) in &m.target {
        let platform: Platform = t.parse().ok()?;
        targeted.push((Some(platform.clone()), DepKind::Normal, &deps.dependencies));
        targeted.push((Some(platform.clone()), DepKind::Dev, &deps.dev_dependencies));
        targeted.push((Some(platform), DepKind::Build, &deps.build_dependencies));
    }
    for (platform, kind, deps) in sections.into_iter().chain(targeted) {
        for (key, spec) in deps {
            decls.push(decl(key, spec, kind, platform.clone(), candidates)?);
        }
    }
    let mut features = m.features;
    implicit_features(
        &mut features,
        decls
            .iter()
            .filter(|d| d.optional)
            .map(|d| d.dep_name.as_str()),
    );
    let p = m.package;
    let node = Node {
        name: p.name.clone(),
        version: p.version.clone(),
        features,
        decls,
        proc_macro: m.lib.is_some_and(|l| l.proc_macro),
    };
    let info = PkgInfo {
        name: p.name,
        version: p.version,
        source_id: Some(source.to_owned()),
        dir: dir.to_path_buf(),
        license: p.license,
        license_file: p.license_file,
        authors: p.authors,
        description: p.description,
        repository: p.repository,
        homepage: p.homepage,
    };
    Some((node, info))
}

fn decl(
    key: &str,
    spec: &DepSpec,
    kind: DepKind,
    platform: Option<Platform>,
    candidates: &[(usize, &str, &Version)],
) -> Option<Decl> {
    let (d, version) = match spec {
        DepSpec::Version(v) => (None, Some(v.as_str())),
        DepSpec::Detailed(d) => (Some(d), d.version.as_deref()),
    };
    if d.is_some_and(|d| d.registry.is_some() || d.registry_index.is_some() || d.git.is_some()) {
        // Not a crates.io dependency: leave it to cargo metadata.
        return None;
    }
    let req = match version {
        Some(v) => VersionReq::parse(v).ok()?,
        None => VersionReq::STAR,
    };
    let package = d.and_then(|d| d.package.as_deref()).unwrap_or(key);
    Some(Decl {
        dep_name: key.to_owned(),
        kind,
        platform,
        optional: d.is_some_and(|d| d.optional),
        default_features: d.and_then(|d| d.default_features).unwrap_or(true),
        features: d.map(|d| d.features.clone()).unwrap_or_default(),
        resolved: match_decl(package, &req, candidates),
    })
}
