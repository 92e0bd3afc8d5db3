//! Which crates a build compiles: Cargo's feature resolution (resolver 2) over a locked graph.
//!
//! The graph is every package Cargo's resolve may use, each with its dependency declarations
//! (kind, platform, optional, features) already matched to the locked package they resolve
//! to. [`resolve`] activates the root with the requested features and follows declarations the
//! way Cargo's resolver 2 does: features flow along activated edges, optional dependencies are
//! activated by `dep:x` and `x/f` feature values, `x?/f` applies only once `x` is active,
//! dev-dependencies count only for the root and only when asked for, and build-dependencies,
//! proc-macros and everything below them are built for the host, so their platform conditions
//! are checked against the host and their features are kept apart from the target's.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use cargo_metadata::cargo_platform::{Cfg, Platform};

use crate::error::SbomError;
use crate::inventory::DepKind;

/// One package of the graph.
#[derive(Debug)]
pub(crate) struct Node {
    pub name: String,
    pub version: String,
    /// Feature table, implicit features of optional dependencies included.
    pub features: BTreeMap<String, Vec<String>>,
    pub decls: Vec<Decl>,
    pub proc_macro: bool,
}

/// One dependency declaration, matched to the package it resolves to.
#[derive(Debug)]
pub(crate) struct Decl {
    /// The name features use for it: the rename, or the package name.
    pub dep_name: String,
    pub kind: DepKind,
    pub platform: Option<Platform>,
    pub optional: bool,
    pub default_features: bool,
    pub features: Vec<String>,
    /// Index of the package it resolves to; `None` when Cargo's resolve has no package for it
    /// (an optional dependency no feature set enables, a dev-dependency of a dependency).
    pub resolved: Option<usize>,
}

/// The configuration of the target and of the host (`rustc --print cfg`).
pub(crate) struct Cfgs {
    pub target_triple: String,
    pub target: Vec<Cfg>,
    pub host_triple: String,
    pub host: Vec<Cfg>,
}

/// What to resolve.
pub(crate) struct Request<'a> {
    pub root: usize,
    pub features: &'a [String],
    pub all_features: bool,
    pub default_features: bool,
    pub build: bool,
    pub dev: bool,
}

/// The result: crates reached (by package index) with the kinds of path that reach them, the
/// edges walked, and the root's features.
pub(crate) struct Resolved {
    pub reached: BTreeMap<usize, Reach>,
    pub edges: BTreeSet<(usize, usize, DepKind)>,
    pub root_features: Vec<String>,
}

/// How a crate is reached from the root.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Reach {
    /// Through normal dependencies only: it is in the shipped binary (or is a proc-macro
    /// used to build it).
    pub normal: bool,
}

type Key = (usize, bool);

struct State<'g> {
    graph: &'g [Node],
    cfgs: &'g Cfgs,
    root: usize,
    dev: bool,
    features: HashMap<Key, BTreeSet<String>>,
    /// Optional declarations activated, per node: indexes into `decls`.
    active_optional: HashMap<Key, BTreeSet<usize>>,
    /// `dep?/feature` values waiting for `dep` to be activated.
    weak: HashMap<Key, Vec<(String, String)>>,
}

pub(crate) fn resolve(
    graph: &[Node],
    cfgs: &Cfgs,
    req: &Request<'_>,
) -> Result<Resolved, SbomError> {
    let root = &graph[req.root];
    let mut state = State {
        graph,
        cfgs,
        root: req.root,
        dev: req.dev,
        features: HashMap::new(),
        active_optional: HashMap::new(),
        weak: HashMap::new(),
    };
    let mut wanted: Vec<String> = Vec::new();
    if req.all_features {
        wanted.extend(root.features.keys().cloned());
    }
    for f in req.features {
        for f in f.split([',', ' ']).filter(|f| !f.is_empty()) {
            // `-F app/fast` names a feature of the package itself, as Cargo allows.
            let f = match f.split_once('/') {
                Some((pkg, feature))
                    if pkg == root.name && !root.decls.iter().any(|d| d.dep_name == pkg) =>
                {
                    feature
                }
                _ => f,
            };
            let known = if let Some((dep, _)) = f.split_once('/') {
                let dep = dep.trim_end_matches('?');
                root.decls.iter().any(|d| d.dep_name == dep)
            } else {
                let plain = f.strip_prefix("dep:").unwrap_or(f);
                root.features.contains_key(plain)
                    || (f.starts_with("dep:")
                        && root.decls.iter().any(|d| d.optional && d.dep_name == plain))
            };
            if !known {
                return Err(SbomError::UnknownFeature {
                    package: root.name.clone(),
                    feature: f.to_owned(),
                    available: root.features.keys().cloned().collect(),
                });
            }
            wanted.push(f.to_owned());
        }
    }
    let key = (req.root, false);
    state.activate(key, &wanted, req.default_features)?;
    let root_features = state
        .features
        .get(&key)
        .map(|s| s.iter().cloned().collect())
        .unwrap_or_default();

    // Walk: normal edges first (what is built into the target), then the kinds asked for.
    let mut reached: BTreeMap<usize, Reach> = BTreeMap::new();
    let mut edges = BTreeSet::new();
    for pass_normal_only in [true, false] {
        if !pass_normal_only && !req.build && !req.dev {
            break;
        }
        let mut seen: BTreeSet<Key> = BTreeSet::new();
        let mut stack = vec![key];
        while let Some(k) = stack.pop() {
            if !seen.insert(k) {
                continue;
            }
            let entry = reached.entry(k.0).or_default();
            entry.normal |= pass_normal_only;
            for (i, d) in state.graph[k.0].decls.iter().enumerate() {
                let walk = match d.kind {
                    DepKind::Normal => true,
                    DepKind::Build => !pass_normal_only && req.build,
                    DepKind::Dev => !pass_normal_only && req.dev && k == key,
                };
                if !walk || !state.decl_active(k, i) {
                    continue;
                }
                let Some(to) = d.resolved else {
                    return Err(state.unresolved(k.0, d));
                };
                edges.insert((k.0, to, d.kind));
                stack.push((to, state.dep_host(k, d, to)));
            }
        }
    }
    Ok(Resolved {
        reached,
        edges,
        root_features,
    })
}

impl State<'_> {
    fn cfg_for(&self, host: bool) -> (&str, &[Cfg]) {
        if host {
            (&self.cfgs.host_triple, &self.cfgs.host)
        } else {
            (&self.cfgs.target_triple, &self.cfgs.target)
        }
    }

    /// Whether the declaration `i` of node `k` is part of the build.
    fn decl_active(&self, k: Key, i: usize) -> bool {
        let d = &self.graph[k.0].decls[i];
        if d.kind == DepKind::Dev && !(self.dev && k == (self.root, false)) {
            return false;
        }
        let host = k.1 || d.kind == DepKind::Build;
        if let Some(p) = &d.platform {
            let (triple, cfg) = self.cfg_for(host);
            if !p.matches(triple, cfg) {
                return false;
            }
        }
        !d.optional || self.active_optional.get(&k).is_some_and(|s| s.contains(&i))
    }

    fn dep_host(&self, k: Key, d: &Decl, to: usize) -> bool {
        k.1 || d.kind == DepKind::Build || self.graph[to].proc_macro
    }

    fn unresolved(&self, pkg: usize, d: &Decl) -> SbomError {
        let n = &self.graph[pkg];
        SbomError::Unresolved {
            package: format!("{}@{}", n.name, n.version),
            dependency: d.dep_name.clone(),
        }
    }

    /// Activates node `k` (once) and the given feature values on it.
    fn activate(&mut self, k: Key, values: &[String], default: bool) -> Result<(), SbomError> {
        if let std::collections::hash_map::Entry::Vacant(e) = self.features.entry(k) {
            e.insert(BTreeSet::new());
            // Non-optional declarations are active as soon as the package is.
            for i in 0..self.graph[k.0].decls.len() {
                if !self.graph[k.0].decls[i].optional {
                    self.activate_decl(k, i)?;
                }
            }
        }
        if default && self.graph[k.0].features.contains_key("default") {
            self.feature_value(k, "default")?;
        }
        for v in values {
            self.feature_value(k, v)?;
        }
        Ok(())
    }

    /// Enables declaration `i` of node `k` (an optional one is marked active) and activates the
    /// package it resolves to with the features it asks for.
    fn activate_decl(&mut self, k: Key, i: usize) -> Result<(), SbomError> {
        let g = self.graph;
        let d = &g[k.0].decls[i];
        if d.optional && !self.active_optional.entry(k).or_default().insert(i) {
            return Ok(());
        }
        if !self.decl_active(k, i) {
            return Ok(());
        }
        let Some(to) = d.resolved else {
            return Err(self.unresolved(k.0, d));
        };
        let dk = (to, self.dep_host(k, d, to));
        self.activate(dk, &d.features, d.default_features)?;
        // Weak features waiting for this dependency.
        let waiting: Vec<String> = self
            .weak
            .get(&k)
            .map(|w| {
                w.iter()
                    .filter(|(n, _)| *n == d.dep_name)
                    .map(|(_, f)| f.clone())
                    .collect()
            })
            .unwrap_or_default();
        if !waiting.is_empty() {
            self.activate(dk, &waiting, false)?;
        }
        Ok(())
    }

    fn feature_value(&mut self, k: Key, value: &str) -> Result<(), SbomError> {
        let g = self.graph;
        let node = &g[k.0];
        if let Some(dep) = value.strip_prefix("dep:") {
            for i in 0..node.decls.len() {
                if node.decls[i].optional && node.decls[i].dep_name == dep {
                    self.activate_decl(k, i)?;
                }
            }
        } else if let Some((dep, feature)) = value.split_once('/') {
            let (dep, weak) = match dep.strip_suffix('?') {
                Some(d) => (d, true),
                None => (dep, false),
            };
            if weak {
                self.weak
                    .entry(k)
                    .or_default()
                    .push((dep.to_owned(), feature.to_owned()));
            } else if node
                .features
                .get(dep)
                .is_some_and(|v| matches!(v.as_slice(), [x] if x.strip_prefix("dep:") == Some(dep)))
            {
                // `dep/feature` on an optional dependency also enables its implicit feature.
                self.feature_value(k, dep)?;
            }
            for i in 0..node.decls.len() {
                let d = &node.decls[i];
                if d.dep_name != dep {
                    continue;
                }
                if d.optional && !weak {
                    self.activate_decl(k, i)?;
                }
                if self.decl_active(k, i) {
                    let Some(to) = d.resolved else {
                        return Err(self.unresolved(k.0, d));
                    };
                    let dk = (to, self.dep_host(k, d, to));
                    self.activate(dk, &[feature.to_owned()], false)?;
                }
            }
        } else {
            let set = self.features.entry(k).or_default();
            if !set.insert(value.to_owned()) {
                return Ok(());
            }
            if let Some(values) = node.features.get(value) {
                for v in values {
                    self.feature_value(k, v)?;
                }
            }
        }
        Ok(())
    }
}
