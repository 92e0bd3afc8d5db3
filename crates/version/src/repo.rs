//! [`Repo`]: a git repository read in-process with gix — revisions, the commit graph, tags,
//! commit messages, which directories a commit changed, and the `origin` remote.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use gix::ObjectId;
use gix::bstr::ByteSlice;
use gix::revision::walk::Sorting;
use gix::traverse::commit::simple::CommitTimeOrder;

use crate::commit::{Commit, CommitId};
use crate::error::{Error, Result};

/// A git repository (working tree or bare), opened once and read in-process.
///
/// ```no_run
/// use consign_version::{Next, Options, Repo};
/// let repo = Repo::open(".")?;
/// match repo.next("HEAD", &Options::default())? {
///     Next::Release(release) => println!("next: {}", release.version()),
///     Next::Nothing { previous, .. } => println!("nothing to release since {previous:?}"),
/// }
/// # Ok::<(), consign_version::Error>(())
/// ```
pub struct Repo {
    pub(crate) git: gix::Repository,
    path: PathBuf,
}

impl std::fmt::Debug for Repo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Repo").field("path", &self.path).finish()
    }
}

/// The ancestry of one commit: every commit reachable from it, newest first by commit time.
pub(crate) struct Graph {
    pub(crate) ids: Vec<ObjectId>,
    pub(crate) parents: Vec<Vec<usize>>,
    pub(crate) index: HashMap<ObjectId, usize>,
}

impl Graph {
    /// Marks every commit reachable from `roots` (indices), the roots included.
    pub(crate) fn reachable(&self, roots: impl IntoIterator<Item = usize>) -> Vec<bool> {
        let mut seen = vec![false; self.ids.len()];
        let mut stack: Vec<usize> = roots.into_iter().collect();
        while let Some(i) = stack.pop() {
            if !std::mem::replace(&mut seen[i], true) {
                stack.extend(self.parents[i].iter().copied().filter(|&p| !seen[p]));
            }
        }
        seen
    }
}

/// A tag, peeled to the commit it names.
#[derive(Clone, Debug)]
pub(crate) struct RawTag {
    pub(crate) name: String,
    pub(crate) target: ObjectId,
}

impl Repo {
    /// Opens the repository at `dir` or in a directory above it.
    pub fn open(dir: impl AsRef<Path>) -> Result<Repo> {
        let path = dir.as_ref().to_path_buf();
        let mut git = gix::discover(&path).map_err(|e| Error::Open {
            path: path.clone(),
            source: Box::new(e),
        })?;
        git.object_cache_size_if_unset(16 * 1024 * 1024);
        let path = git.workdir().unwrap_or(git.git_dir()).to_path_buf();
        Ok(Repo { git, path })
    }

    /// The working tree, or the git directory of a bare repository.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The working tree, if the repository has one.
    pub fn workdir(&self) -> Option<&Path> {
        self.git.workdir()
    }

    /// The commit `rev` names (`HEAD`, a branch, a tag, an id, `HEAD~3`, …).
    pub fn resolve(&self, rev: &str) -> Result<CommitId> {
        let fail = |detail: String| Error::Revision {
            rev: rev.to_string(),
            detail,
        };
        let id = self
            .git
            .rev_parse_single(rev)
            .map_err(|e| fail(e.to_string()))?;
        let object = id.object().map_err(|e| fail(e.to_string()))?;
        let commit = object
            .peel_to_commit()
            .map_err(|e| fail(format!("it does not name a commit: {e}")))?;
        Ok(CommitId(commit.id))
    }

    /// The URL of the `origin` remote, if it has one.
    pub fn origin_url(&self) -> Option<String> {
        self.git
            .config_snapshot()
            .string("remote.origin.url")
            .map(|url| url.to_str_lossy().into_owned())
    }

    /// Whether the repository is a shallow clone.
    pub fn is_shallow(&self) -> bool {
        self.git.is_shallow().unwrap_or(false)
    }

    /// The commits at the edge of a shallow clone (their parents are missing).
    pub(crate) fn shallow_edge(&self) -> Result<Vec<ObjectId>> {
        let commits = self
            .git
            .shallow_commits()
            .map_err(|e| Error::git("read the shallow file", e))?;
        Ok(commits
            .map(|c| c.iter().copied().collect())
            .unwrap_or_default())
    }

    /// Every commit reachable from `at`.
    pub(crate) fn graph(&self, at: CommitId) -> Result<Graph> {
        let walk = self
            .git
            .rev_walk([at.0])
            .sorting(Sorting::ByCommitTime(CommitTimeOrder::NewestFirst))
            .all()
            .map_err(|e| Error::git("walk the history", e))?;
        let mut ids = Vec::new();
        let mut parent_ids = Vec::new();
        for info in walk {
            let info = info.map_err(|e| Error::git("walk the history", e))?;
            ids.push(info.id);
            parent_ids.push(info.parent_ids.to_vec());
        }
        let index: HashMap<ObjectId, usize> =
            ids.iter().enumerate().map(|(i, id)| (*id, i)).collect();
        let parents = parent_ids
            .into_iter()
            .map(|ps| ps.iter().filter_map(|p| index.get(p).copied()).collect())
            .collect();
        Ok(Graph {
            ids,
            parents,
            index,
        })
    }

    /// Every tag of a commit, peeled (tags of trees and blobs, and tags that cannot be peeled,
    /// such as tags of missing objects in a partial clone, are left out).
    pub(crate) fn tags(&self) -> Result<Vec<RawTag>> {
        let platform = self
            .git
            .references()
            .map_err(|e| Error::git("list references", e))?;
        let iter = platform.tags().map_err(|e| Error::git("list tags", e))?;
        let mut tags = Vec::new();
        for reference in iter {
            let mut reference = reference.map_err(|e| Error::git("read a tag", e))?;
            let name = reference.name().shorten().to_str_lossy().into_owned();
            let Ok(target) = reference.peel_to_id() else {
                continue;
            };
            let target = target.detach();
            let is_commit = self
                .git
                .try_find_header(target)
                .ok()
                .flatten()
                .is_some_and(|h| h.kind() == gix::objs::Kind::Commit);
            if is_commit {
                tags.push(RawTag { name, target });
            }
        }
        tags.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(tags)
    }

    /// The commit `id`, its message decoded.
    pub fn commit(&self, id: CommitId) -> Result<Commit> {
        let commit = self
            .git
            .find_commit(id.0)
            .map_err(|e| Error::git("read a commit", e))?;
        let decoded = commit
            .decode()
            .map_err(|e| Error::git("decode a commit", e))?;
        let time = decoded.committer().map(|c| c.seconds()).unwrap_or(0);
        Ok(Commit::from_bytes(
            id,
            decoded.message,
            decoded.encoding.map(|e| e.as_bytes()),
            time,
            decoded.parents().count(),
        ))
    }

    /// For each of `dirs` (paths relative to the repository root, `""` for the root), whether
    /// commit `id` changed a file that belongs to it compared with its first parent (every
    /// file, for a root commit). A file belongs to the deepest directory of `dirs` holding it.
    pub(crate) fn changed_dirs(&self, id: ObjectId, dirs: &[Vec<String>]) -> Result<Vec<bool>> {
        let commit = self
            .git
            .find_commit(id)
            .map_err(|e| Error::git("read a commit", e))?;
        let tree = commit
            .tree_id()
            .map_err(|e| Error::git("read a commit", e))?
            .detach();
        let parent = match commit.parent_ids().next() {
            Some(p) => Some(
                self.git
                    .find_commit(p.detach())
                    .and_then(|c| c.tree_id())
                    .map_err(|e| Error::git("read a parent commit", e))?
                    .detach(),
            ),
            None => None,
        };
        let mut out = vec![false; dirs.len()];
        self.diff_trees(parent, Some(tree), &mut Vec::new(), dirs, &mut out)?;
        Ok(out)
    }

    fn diff_trees(
        &self,
        old: Option<ObjectId>,
        new: Option<ObjectId>,
        path: &mut Vec<String>,
        dirs: &[Vec<String>],
        out: &mut [bool],
    ) -> Result<()> {
        if old == new {
            return Ok(());
        }
        let nested_below = dirs
            .iter()
            .any(|d| d.len() > path.len() && d.starts_with(path));
        if !nested_below {
            mark_owner(path, dirs, out);
            return Ok(());
        }
        let old_entries = self.entries(old)?;
        let new_entries = self.entries(new)?;
        let mut names: Vec<&String> = old_entries.keys().chain(new_entries.keys()).collect();
        names.sort();
        names.dedup();
        for name in names {
            let (a, b) = (old_entries.get(name), new_entries.get(name));
            if a == b {
                continue;
            }
            path.push(name.clone());
            let tree_of = |e: Option<&(bool, ObjectId)>| e.filter(|e| e.0).map(|e| e.1);
            if a.is_some_and(|e| !e.0) || b.is_some_and(|e| !e.0) {
                mark_owner(path, dirs, out);
            }
            if a.is_some_and(|e| e.0) || b.is_some_and(|e| e.0) {
                self.diff_trees(tree_of(a), tree_of(b), path, dirs, out)?;
            }
            path.pop();
        }
        Ok(())
    }

    /// The entries of tree `id`: name → (is a tree, object id).
    fn entries(&self, id: Option<ObjectId>) -> Result<HashMap<String, (bool, ObjectId)>> {
        let Some(id) = id else {
            return Ok(HashMap::new());
        };
        let tree = self
            .git
            .find_tree(id)
            .map_err(|e| Error::git("read a tree", e))?;
        let decoded = tree.decode().map_err(|e| Error::git("decode a tree", e))?;
        Ok(decoded
            .entries
            .iter()
            .map(|e| {
                (
                    e.filename.to_str_lossy().into_owned(),
                    (e.mode.is_tree(), e.oid.to_owned()),
                )
            })
            .collect())
    }
}

/// Marks the deepest directory of `dirs` that holds `path`.
fn mark_owner(path: &[String], dirs: &[Vec<String>], out: &mut [bool]) {
    let owner = dirs
        .iter()
        .enumerate()
        .filter(|(_, d)| path.starts_with(d))
        .max_by_key(|(_, d)| d.len());
    if let Some((i, _)) = owner {
        out[i] = true;
    }
}
