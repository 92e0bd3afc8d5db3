//! The package graph both ways of reading a workspace produce, and the inventory made from it
//! once [`resolve`](super::resolve) has picked what the build compiles.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use cargo_metadata::semver::{Version, VersionReq};

use super::lock::Checksums;
use super::resolve::{self, Cfgs, Node, Request};
use super::{CargoOptions, Features, LicensePolicy};
use crate::error::SbomError;
use crate::inventory::{Crate, DepKind, Edge, Inventory, Source};
use crate::license::License;

/// What a package says about itself, however it was read.
#[derive(Debug)]
pub(crate) struct PkgInfo {
    pub name: String,
    pub version: String,
    /// Cargo's source id (`registry+…`, `git+…`); `None` for a local package.
    pub source_id: Option<String>,
    /// The directory of its `Cargo.toml`.
    pub dir: PathBuf,
    pub license: Option<String>,
    pub license_file: Option<String>,
    pub authors: Vec<String>,
    pub description: Option<String>,
    pub repository: Option<String>,
    pub homepage: Option<String>,
}

/// Packages (`nodes[i]` is described by `infos[i]`) and the root's index.
pub(crate) struct Graph {
    pub nodes: Vec<Node>,
    pub infos: Vec<PkgInfo>,
    pub root: usize,
}

/// Adds `name = ["dep:name"]` for every optional dependency no feature names with `dep:`, as
/// Cargo does.
pub(crate) fn implicit_features<'a>(
    features: &mut BTreeMap<String, Vec<String>>,
    optional_deps: impl IntoIterator<Item = &'a str>,
) {
    for name in optional_deps {
        let explicit = format!("dep:{name}");
        if !features.values().flatten().any(|v| *v == explicit) {
            features
                .entry(name.to_owned())
                .or_insert_with(|| vec![explicit]);
        }
    }
}

/// The candidate (index, name, version) a declaration of package `name` with requirement `req`
/// resolves to: the one whose version meets the requirement, else the only one of that name.
pub(crate) fn match_decl(
    name: &str,
    req: &VersionReq,
    candidates: &[(usize, &str, &Version)],
) -> Option<usize> {
    let mut same = candidates.iter().filter(|c| c.1 == name);
    if let Some(c) = same.clone().find(|c| req.matches(c.2)) {
        return Some(c.0);
    }
    // Pre-releases that the requirement names exactly do not "match" in semver terms.
    match (same.next(), same.next()) {
        (Some(c), None) => Some(c.0),
        _ => None,
    }
}

/// Resolves the graph for the request and makes the inventory.
pub(crate) fn inventory(
    graph: &Graph,
    ws_root: &Path,
    lock: &Checksums,
    cfgs: &Cfgs,
    features: &Features,
    options: &CargoOptions,
) -> Result<Inventory, SbomError> {
    let req = Request {
        root: graph.root,
        features: &features.names,
        all_features: features.all,
        default_features: features.default,
        build: options.build_dependencies,
        dev: options.dev_dependencies,
    };
    let resolved = resolve::resolve(&graph.nodes, cfgs, &req)?;

    let mut crates: Vec<(usize, Crate)> = Vec::new();
    for (&g, reach) in &resolved.reached {
        let c = make_crate(
            &graph.infos[g],
            ws_root,
            lock,
            options.licenses,
            reach.normal,
        )?;
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
        root: position.get(&graph.root).copied().unwrap_or_default(),
        crates,
        target: Some(cfgs.target_triple.clone()),
        features: resolved.root_features,
        files: Vec::new(),
    })
}

fn make_crate(
    p: &PkgInfo,
    ws_root: &Path,
    lock: &Checksums,
    policy: LicensePolicy,
    shipped: bool,
) -> Result<Crate, SbomError> {
    let source = Source::from_cargo(p.source_id.as_deref(), || relative_dir(&p.dir, ws_root));
    let mut c = Crate::new(&p.name, &p.version, source);
    c.license = match License::from_cargo(p.license.as_deref(), p.license_file.as_deref()) {
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
    c.checksum = p.source_id.as_ref().and_then(|s| {
        lock.get(&(p.name.clone(), p.version.clone(), s.clone()))
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
