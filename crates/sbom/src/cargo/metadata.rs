//! The graph from `cargo metadata`: every package of Cargo's resolve, declarations matched
//! against the dependencies of its resolve node.

use std::collections::{BTreeMap, HashMap};

use cargo_metadata::{DependencyKind, Metadata, Package, PackageId};

use super::graph::{Graph, PkgInfo, implicit_features, match_decl};
use super::resolve::{Decl, Node};
use crate::error::SbomError;
use crate::inventory::DepKind;

/// The graph of a full `cargo metadata` (with its resolve).
pub(crate) fn graph(md: &Metadata, package: &str) -> Result<Graph, SbomError> {
    let root_pkg = member(md, package)?;
    let resolve = md.resolve.as_ref().ok_or_else(|| SbomError::Unresolved {
        package: package.to_owned(),
        dependency: "(cargo metadata returned no resolve)".into(),
    })?;
    let packages: HashMap<&PackageId, &Package> = md.packages.iter().map(|p| (&p.id, p)).collect();
    let order: Vec<&Package> = resolve
        .nodes
        .iter()
        .filter_map(|n| packages.get(&n.id).copied())
        .collect();
    let index: HashMap<&PackageId, usize> =
        order.iter().enumerate().map(|(i, p)| (&p.id, i)).collect();
    let mut nodes = Vec::with_capacity(order.len());
    for n in &resolve.nodes {
        let Some(p) = packages.get(&n.id) else {
            continue;
        };
        let candidates: Vec<(usize, &str, &cargo_metadata::semver::Version)> = n
            .deps
            .iter()
            .filter_map(|d| index.get(&d.pkg))
            .map(|&i| (i, order[i].name.as_str(), &order[i].version))
            .collect();
        nodes.push(node(p, &candidates));
    }
    let root = index
        .get(&root_pkg.id)
        .copied()
        .ok_or_else(|| SbomError::Unresolved {
            package: package.to_owned(),
            dependency: package.to_owned(),
        })?;
    Ok(Graph {
        nodes,
        infos: order.iter().map(|p| info(p)).collect(),
        root,
    })
}

/// The workspace member named `package`.
pub(crate) fn member<'m>(md: &'m Metadata, package: &str) -> Result<&'m Package, SbomError> {
    let members = md.workspace_packages();
    members
        .iter()
        .find(|p| p.name.as_str() == package)
        .copied()
        .ok_or_else(|| SbomError::PackageNotFound {
            name: package.to_owned(),
            available: members.iter().map(|p| p.name.to_string()).collect(),
        })
}

/// The graph node of a package, its declarations matched against `candidates`.
pub(crate) fn node(
    p: &Package,
    candidates: &[(usize, &str, &cargo_metadata::semver::Version)],
) -> Node {
    let mut features: BTreeMap<String, Vec<String>> = p
        .features
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    implicit_features(
        &mut features,
        p.dependencies
            .iter()
            .filter(|d| d.optional)
            .map(|d| d.rename.as_deref().unwrap_or(&d.name)),
    );
    let decls = p
        .dependencies
        .iter()
        .map(|d| Decl {
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
            resolved: match_decl(&d.name, &d.req, candidates),
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

/// What a package of the metadata says about itself.
pub(crate) fn info(p: &Package) -> PkgInfo {
    PkgInfo {
        name: p.name.to_string(),
        version: p.version.to_string(),
        source_id: p.source.as_ref().map(|s| s.repr.clone()),
        dir: p
            .manifest_path
            .parent()
            .map(|d| d.as_std_path().to_path_buf())
            .unwrap_or_default(),
        license: p.license.clone(),
        license_file: p.license_file.as_ref().map(|f| f.to_string()),
        authors: p.authors.clone(),
        description: p.description.clone(),
        repository: p.repository.clone(),
        homepage: p.homepage.clone(),
    }
}
