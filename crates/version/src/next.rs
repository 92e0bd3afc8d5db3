//! [`Next`]: the version after the last release reachable from a revision, computed from the
//! commits since that release ([`Release`]), or nothing to release.
//!
//! The last release is the **highest** SemVer tag matching the [`TagPattern`] among the tags
//! reachable from the revision (not the nearest: a merged maintenance branch's `v1.1.5` does
//! not hide `v1.2.0`). The commits counted are those reachable from the revision and from no
//! stable release tag. Prerelease tags are not a base: `1.3.0-rc.2` followed by a fix still
//! releases `1.3.0` (or `1.3.0-rc.3` on the `rc` channel), counting every commit since `1.2.0`.
//!
//! [`TagPattern`]: crate::TagPattern

use std::collections::HashSet;

use gix::ObjectId;
use semver::Version;

use crate::commit::{Commit, CommitId, cancel_reverts};
use crate::error::{Error, Result};
use crate::repo::{Graph, RawTag, Repo};
use crate::rules::{Level, Options, bump, release_part};

/// A release tag: its name, the version it names and the commit it points at.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReleaseTag {
    name: String,
    version: Version,
    commit: CommitId,
}

impl ReleaseTag {
    /// The tag's name (`v1.2.3`).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The version it names.
    pub fn version(&self) -> &Version {
        &self.version
    }

    /// The commit it points at (annotated tags peeled).
    pub fn commit(&self) -> CommitId {
        self.commit
    }
}

/// A release to make: the next version, the tag to create, and the commits since the previous
/// release (newest first, reverts cancelled, merges kept but counting for nothing).
#[derive(Clone, Debug)]
pub struct Release {
    version: Version,
    tag: String,
    previous: Option<ReleaseTag>,
    level: Level,
    commits: Vec<Commit>,
    at: CommitId,
    time: i64,
}

impl Release {
    /// The version to release.
    pub fn version(&self) -> &Version {
        &self.version
    }

    /// The tag name for it (the tag pattern's first template).
    pub fn tag_name(&self) -> &str {
        &self.tag
    }

    /// The last stable release before it, if any.
    pub fn previous(&self) -> Option<&ReleaseTag> {
        self.previous.as_ref()
    }

    /// The highest level among the commits.
    pub fn level(&self) -> Level {
        self.level
    }

    /// The commits since the previous release, newest first.
    pub fn commits(&self) -> &[Commit] {
        &self.commits
    }

    /// The commit released.
    pub fn commit(&self) -> CommitId {
        self.at
    }

    /// The committer time of the commit released (seconds since the epoch): the release date
    /// that notes show, so that they do not depend on when they are made.
    pub fn time(&self) -> i64 {
        self.time
    }
}

/// What the history asks for: a release, or nothing to release.
#[derive(Clone, Debug)]
#[allow(clippy::large_enum_variant)]
pub enum Next {
    /// A release is due.
    Release(Release),
    /// No commit since the last release counts: no release is due.
    Nothing {
        /// The last release (stable, or on the channel asked for), if any.
        previous: Option<ReleaseTag>,
        /// The commits since then, none of which counts.
        commits: Vec<Commit>,
    },
}

impl Next {
    /// The version to release, if one is due.
    pub fn version(&self) -> Option<&Version> {
        match self {
            Next::Release(r) => Some(r.version()),
            Next::Nothing { .. } => None,
        }
    }

    /// The release, if one is due.
    pub fn release(&self) -> Option<&Release> {
        match self {
            Next::Release(r) => Some(r),
            Next::Nothing { .. } => None,
        }
    }
}

impl Repo {
    /// The next release from the commits reachable from `at` since the last release tag.
    ///
    /// `at` may be any revision: a detached `HEAD` is read like a branch. With
    /// [`Options::paths`], only commits changing files under those directories count.
    ///
    /// Errors: `at` does not name a commit ([`Error::Revision`], also for a repository with no
    /// commit yet); the clone is shallow and its history does not reach back to the last
    /// release ([`Error::Shallow`], which names the fix); the repository cannot be read.
    pub fn next(&self, at: &str, options: &Options) -> Result<Next> {
        let package = options.package.as_deref();
        if package.is_none() && options.tags.is_per_package() {
            return Err(Error::TagPattern {
                pattern: options.tags.to_string(),
                reason: "it names the package ({name}): set Options::package",
            });
        }
        let at = self.resolve(at)?;
        let scan = Scan::new(self, at)?;
        if options.paths.is_empty() {
            return scan.next(options, package, &options.initial, &mut |_| Ok(true));
        }
        let dirs: Vec<Vec<String>> = options
            .paths
            .iter()
            .map(|p| {
                p.split('/')
                    .filter(|c| !c.is_empty() && *c != ".")
                    .map(str::to_string)
                    .collect()
            })
            .collect();
        scan.next(options, package, &options.initial, &mut |id| {
            Ok(self.changed_dirs(id, &dirs)?.contains(&true))
        })
    }

    /// Every release tag of the repository (or of `options`' package), reachable or not,
    /// sorted by version (then name); tags that are not SemVer or skipped are left out.
    pub fn release_tags(&self, options: &Options) -> Result<Vec<ReleaseTag>> {
        let package = options.package.as_deref();
        let mut tags: Vec<ReleaseTag> = self
            .tags()?
            .into_iter()
            .filter(|t| !options.skip.contains(&t.name))
            .filter_map(|t| {
                Some(ReleaseTag {
                    version: options.tags.version_of(&t.name, package)?,
                    name: t.name,
                    commit: CommitId(t.target),
                })
            })
            .collect();
        tags.sort_by(|a, b| a.version.cmp(&b.version).then_with(|| a.name.cmp(&b.name)));
        Ok(tags)
    }

    /// The commits reachable from `to` and not from `from` (newest first, reverts cancelled),
    /// as `git log from..to` lists them; `from = None` lists the whole history.
    pub fn commits_between(&self, from: Option<&str>, to: &str) -> Result<Vec<Commit>> {
        let to = self.resolve(to)?;
        let scan = Scan::new(self, to)?;
        let hidden = match from {
            Some(rev) => {
                let from = self.resolve(rev)?;
                // `from` need not be an ancestor of `to`: hide what both reach.
                let other = self.graph(from)?;
                let mut hidden = vec![false; scan.graph.ids.len()];
                for id in &other.ids {
                    if let Some(&i) = scan.graph.index.get(id) {
                        hidden[i] = true;
                    }
                }
                hidden
            }
            None => vec![false; scan.graph.ids.len()],
        };
        scan.check_shallow(&hidden, from)?;
        scan.load(&hidden, &mut |_| Ok(true))
    }
}

/// One revision's history and the tags reachable from it, shared by the whole-repository and
/// the per-crate plans.
pub(crate) struct Scan<'r> {
    pub(crate) repo: &'r Repo,
    pub(crate) graph: Graph,
    tags: Vec<RawTag>,
    at: CommitId,
    edge: HashSet<ObjectId>,
}

impl<'r> Scan<'r> {
    pub(crate) fn new(repo: &'r Repo, at: CommitId) -> Result<Scan<'r>> {
        let graph = repo.graph(at)?;
        let tags = repo
            .tags()?
            .into_iter()
            .filter(|t| graph.index.contains_key(&t.target))
            .collect();
        let edge = if repo.is_shallow() {
            repo.shallow_edge()?.into_iter().collect()
        } else {
            HashSet::new()
        };
        Ok(Scan {
            repo,
            graph,
            tags,
            at,
            edge,
        })
    }

    /// The reachable release tags of `package` (or of the repository), with their graph nodes.
    fn releases(&self, options: &Options, package: Option<&str>) -> Vec<(ReleaseTag, usize)> {
        self.tags
            .iter()
            .filter(|t| !options.skip.contains(&t.name))
            .filter_map(|t| {
                let version = options.tags.version_of(&t.name, package)?;
                let node = *self.graph.index.get(&t.target)?;
                let tag = ReleaseTag {
                    name: t.name.clone(),
                    version,
                    commit: CommitId(t.target),
                };
                Some((tag, node))
            })
            .collect()
    }

    /// The next release of `package` (or of the repository), counting the commits `keep`
    /// accepts; `initial` is the first release when no release tag is reachable.
    pub(crate) fn next(
        &self,
        options: &Options,
        package: Option<&str>,
        initial: &Version,
        keep: &mut dyn FnMut(ObjectId) -> Result<bool>,
    ) -> Result<Next> {
        let releases = self.releases(options, package);
        let highest = |it: &mut dyn Iterator<Item = &(ReleaseTag, usize)>| {
            it.max_by(|a, b| (a.0.version.cmp(&b.0.version)).then_with(|| b.0.name.cmp(&a.0.name)))
                .cloned()
        };
        let stable: Vec<&(ReleaseTag, usize)> = releases
            .iter()
            .filter(|r| r.0.version.pre.is_empty())
            .collect();
        let base = highest(&mut stable.iter().copied());
        let hidden = self.graph.reachable(stable.iter().map(|r| r.1));
        self.check_shallow(&hidden, base.as_ref().map(|b| b.0.name.as_str()))?;
        let commits = self.load(&hidden, keep)?;
        let Some(level) = commits.iter().filter_map(|c| c.level(options)).max() else {
            return Ok(Next::Nothing {
                previous: base.map(|b| b.0),
                commits,
            });
        };
        let mut version = match &base {
            Some((tag, _)) => bump(&tag.version, level, options),
            None => initial.clone(),
        };
        // A prerelease made since the last stable release, above it, graduates: 1.3.0-rc.2 →
        // 1.3.0 (one the stable releases already contain is an abandoned one).
        let floor = base.as_ref().map(|b| release_part(&b.0.version));
        let pending = releases
            .iter()
            .filter(|r| !r.0.version.pre.is_empty() && !hidden[r.1])
            .map(|r| release_part(&r.0.version))
            .filter(|v| floor.as_ref().is_none_or(|f| v > f))
            .max();
        if let Some(pending) = pending {
            version = version.max(pending);
        }
        if let Some(channel) = &options.channel {
            let on_channel = highest(
                &mut releases
                    .iter()
                    .filter(|r| release_part(&r.0.version) == version)
                    .filter(|r| channel.counter(&r.0.version.pre).is_some()),
            );
            let n = match on_channel {
                Some((tag, node)) => {
                    let mut hidden = hidden.clone();
                    let since = self.graph.reachable([node]);
                    hidden.iter_mut().zip(since).for_each(|(h, s)| *h |= s);
                    let newer = self.load(&hidden, keep)?;
                    if newer.iter().all(|c| c.level(options).is_none()) {
                        return Ok(Next::Nothing {
                            previous: Some(tag),
                            commits: newer,
                        });
                    }
                    channel.counter(&tag.version.pre).unwrap_or(0) + 1
                }
                None => 1,
            };
            version.pre = channel.prerelease(n);
        }
        let tag = options.tags.tag_name(&version, package);
        let time = self.repo.commit(self.at)?.time();
        Ok(Next::Release(Release {
            version,
            tag,
            previous: base.map(|b| b.0),
            level,
            commits,
            at: self.at,
            time,
        }))
    }

    /// A shallow clone whose edge is in the range cannot show every commit of it.
    fn check_shallow(&self, hidden: &[bool], tag: Option<&str>) -> Result<()> {
        let cut = self
            .graph
            .ids
            .iter()
            .zip(hidden)
            .any(|(id, &h)| !h && self.edge.contains(id));
        if cut {
            return Err(Error::Shallow {
                path: self.repo.path().to_path_buf(),
                tag: tag.map(str::to_string),
            });
        }
        Ok(())
    }

    /// The commits not `hidden` that `keep` accepts, newest first, reverts cancelled.
    fn load(
        &self,
        hidden: &[bool],
        keep: &mut dyn FnMut(ObjectId) -> Result<bool>,
    ) -> Result<Vec<Commit>> {
        let mut commits = Vec::new();
        for (id, _) in self.graph.ids.iter().zip(hidden).filter(|(_, h)| !**h) {
            if keep(*id)? {
                commits.push(self.repo.commit(CommitId(*id))?);
            }
        }
        cancel_reverts(&mut commits);
        Ok(commits)
    }
}
