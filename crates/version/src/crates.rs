//! [`plan_crates`]: per-crate releases — each workspace member released from its own tags
//! (`{name}-v{version}`) and the commits that changed its files, its dependents following.

use std::collections::{BTreeMap, HashMap};
use std::path::{Component, Path};

use gix::ObjectId;
use semver::Version;

use crate::commit::Commit;
use crate::error::{Error, Result};
use crate::next::{Next, ReleaseTag, Scan};
use crate::repo::Repo;
use crate::rules::{Level, Options, bump};
use crate::workspace::{DependencyKind, VersionSource, Workspace};

/// Why a crate is released.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Reason {
    /// Commits that changed its files count for this level.
    Commits(Level),
    /// A crate it depends on (normal or build dependency) is released.
    Dependency(String),
    /// It shares `workspace.package.version` with a crate that is released.
    SharedVersion(String),
}

/// One crate's plan.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct CratePlan {
    /// The package.
    pub name: String,
    /// Its version in the manifest.
    pub current: Version,
    /// The version to release, if any, and why.
    pub next: Option<(Version, Reason)>,
    /// Its last release tag, if any.
    pub previous: Option<ReleaseTag>,
    /// The commits since then that changed its files (newest first).
    pub commits: Vec<Commit>,
}

/// What to do with the crates that depend on a released crate.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Dependents {
    /// Only their requirement is updated (by the bump); their version stays.
    RequirementOnly,
    /// They are released too, with a patch bump (the default: their published requirement
    /// changes).
    #[default]
    Patch,
}

/// Plans a release of each member of `workspace` from `at`.
///
/// A crate's releases are the tags `options` names for it (the pattern must contain `{name}`,
/// e.g. `{name}-v{version}`); its commits are those since its last release that changed a
/// file in its directory (a file belongs to the deepest member directory holding it, so the
/// root package owns what no other member does). A crate with no release tag releases its
/// manifest version when it has commits that count. Crates that depend on a released crate
/// follow `dependents`; crates sharing `workspace.package.version` are released together at
/// the highest version any of them needs.
///
/// ```no_run
/// use consign_version::{plan_crates, Dependents, Options, Repo, TagPattern, Workspace};
/// let repo = Repo::open(".")?;
/// let workspace = Workspace::open(".")?;
/// let options = Options::default().tag_pattern(TagPattern::new("{name}-v{version}")?);
/// let plans = plan_crates(&repo, &workspace, "HEAD", &options, Dependents::Patch)?;
/// let versions = plans
///     .iter()
///     .filter_map(|p| Some((p.name.clone(), p.next.as_ref()?.0.clone())))
///     .collect();
/// workspace.bump(&versions)?.write()?;
/// # Ok::<(), consign_version::Error>(())
/// ```
pub fn plan_crates(
    repo: &Repo,
    workspace: &Workspace,
    at: &str,
    options: &Options,
    dependents: Dependents,
) -> Result<Vec<CratePlan>> {
    if !options.tags.is_per_package() {
        return Err(Error::TagPattern {
            pattern: options.tags.to_string(),
            reason: "per-crate tags must name the package, e.g. {name}-v{version}",
        });
    }
    let at = repo.resolve(at)?;
    let scan = Scan::new(repo, at)?;
    let prefix = workspace_prefix(repo, workspace.root())?;
    let dirs: Vec<Vec<String>> = workspace
        .members()
        .iter()
        .map(|m| {
            let mut d = prefix.clone();
            d.extend(components(&m.dir));
            d
        })
        .collect();
    let mut changed: HashMap<ObjectId, Vec<bool>> = HashMap::new();
    let mut plans = Vec::new();
    for (i, member) in workspace.members().iter().enumerate() {
        let Some(current) = member.current().cloned() else {
            continue;
        };
        let mut keep = |id: ObjectId| -> Result<bool> {
            if let Some(hit) = changed.get(&id) {
                return Ok(hit[i]);
            }
            let hit = repo.changed_dirs(id, &dirs)?;
            let mine = hit[i];
            changed.insert(id, hit);
            Ok(mine)
        };
        let next = scan.next(options, Some(&member.name), &current, &mut keep)?;
        plans.push(match next {
            Next::Release(r) => CratePlan {
                name: member.name.clone(),
                current,
                next: Some((r.version().clone(), Reason::Commits(r.level()))),
                previous: r.previous().cloned(),
                commits: r.commits().to_vec(),
            },
            Next::Nothing { previous, commits } => CratePlan {
                name: member.name.clone(),
                current,
                next: None,
                previous,
                commits,
            },
        });
    }
    follow_dependencies(workspace, &mut plans, options, dependents);
    Ok(plans)
}

fn follow_dependencies(
    workspace: &Workspace,
    plans: &mut [CratePlan],
    options: &Options,
    dependents: Dependents,
) {
    loop {
        let released: BTreeMap<String, Version> = plans
            .iter()
            .filter_map(|p| Some((p.name.clone(), p.next.as_ref()?.0.clone())))
            .collect();
        let mut changed = false;
        // Shared workspace version: one version for all, the highest needed.
        let sharing: Vec<&str> = workspace
            .members()
            .iter()
            .filter(|m| matches!(m.version, VersionSource::Workspace(_)))
            .map(|m| m.name.as_str())
            .collect();
        let highest = released
            .iter()
            .filter(|(n, _)| sharing.contains(&n.as_str()))
            .max_by(|a, b| a.1.cmp(b.1));
        if let Some((leader, version)) = highest {
            for plan in plans
                .iter_mut()
                .filter(|p| sharing.contains(&p.name.as_str()))
            {
                if plan.next.as_ref().is_none_or(|n| n.0 != *version) {
                    let reason = match &plan.next {
                        Some((_, reason)) if plan.name == *leader => reason.clone(),
                        _ => Reason::SharedVersion(leader.clone()),
                    };
                    plan.next = Some((version.clone(), reason));
                    changed = true;
                }
            }
        }
        if dependents == Dependents::Patch {
            for plan in plans.iter_mut().filter(|p| p.next.is_none()) {
                let Some(member) = workspace.member(&plan.name) else {
                    continue;
                };
                let cause = member.dependencies.iter().find(|(name, kind)| {
                    *kind != DependencyKind::Dev && released.contains_key(name)
                });
                if let Some((name, _)) = cause {
                    let base = plan
                        .previous
                        .as_ref()
                        .map_or(&plan.current, |p| p.version());
                    plan.next = Some((
                        bump(base, Level::Patch, options),
                        Reason::Dependency(name.clone()),
                    ));
                    changed = true;
                }
            }
        }
        if !changed {
            break;
        }
    }
}

/// The workspace root's path inside the repository, as components.
fn workspace_prefix(repo: &Repo, root: &Path) -> Result<Vec<String>> {
    let Some(workdir) = repo.workdir() else {
        return Ok(Vec::new());
    };
    let canon = |p: &Path| {
        p.canonicalize()
            .map_err(|e| consign_core::IoError::new("resolve", p, e))
    };
    let (workdir, root) = (canon(workdir)?, canon(root)?);
    Ok(root
        .strip_prefix(&workdir)
        .map(components)
        .unwrap_or_default())
}

fn components(path: &Path) -> Vec<String> {
    path.components()
        .filter_map(|c| match c {
            Component::Normal(s) => Some(s.to_string_lossy().into_owned()),
            _ => None,
        })
        .collect()
}
