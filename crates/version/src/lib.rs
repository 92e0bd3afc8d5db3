//! consign-version: releases from git history — the next version from Conventional Commits,
//! workspace version bumps, changelogs and release notes.
//!
//! A tour, one main type per module:
//!
//! - [`repo`]: [`Repo`], a git repository read in-process with gix (no `git` process, no
//!   network); [`Repo::next`] answers with a [`Next`].
//! - [`next`]: [`Next`] — a [`Release`] (version, tag, previous [`ReleaseTag`], commits) or
//!   nothing to release.
//! - [`rules`]: [`Options`] — which commit types bump what ([`Level`]), the 0.x rules, what
//!   non-conventional commits count for ([`Unconventional`]), prerelease [`Channel`]s.
//! - [`tag`]: [`TagPattern`] — `v1.2.3`, `1.2.3`, `name-v1.2.3`; tags that are not SemVer are
//!   not releases.
//! - [`commit`]: [`Commit`] — a message read as a Conventional Commit, its [`Group`] in the
//!   notes; merges, reverts and non-UTF-8 messages handled as documented there.
//! - [`workspace`]: [`Workspace`] — members and versions; [`Edits`] move them (manifests,
//!   `[workspace.dependencies]`, `Cargo.lock`) keeping comments and formatting.
//! - [`annotated`]: [`AnnotatedTag`] — the release's annotated tag, written in-process
//!   ([`Repo::create_tag`]) and optionally OpenPGP-signed through consign-core's [`Signer`]
//!   seam, so that `git verify-tag` accepts it.
//! - [`crates`]: [`plan_crates`] — per-crate releases from per-crate tags.
//! - [`notes`]: [`ReleaseNotes`] — Markdown grouped by type, breaking changes first, with
//!   links on a known [`Forge`] ([`forge`]); [`changelog`]: [`update_changelog`] for a Keep a
//!   Changelog `CHANGELOG.md`.
//!
//! The rules and the notes work on commits from anywhere:
//!
//! ```
//! use consign_version::{bump, Commit, CommitId, Level, Options, ReleaseNotes, Version};
//!
//! let options = Options::default();
//! let commits: Vec<Commit> = ["fix(cli): quote paths", "feat: --json output", "docs: usage"]
//!     .iter()
//!     .zip(1u8..)
//!     .map(|(msg, n)| Ok(Commit::from_message(CommitId::from_hex(&format!("{n:02x}").repeat(20))?, msg, 0, 1)))
//!     .collect::<Result<_, consign_version::Error>>()?;
//! let level = commits.iter().filter_map(|c| c.level(&options)).max();
//! assert_eq!(level, Some(Level::Minor));
//! let next = bump(&Version::new(1, 4, 2), Level::Minor, &options);
//! assert_eq!(next.to_string(), "1.5.0");
//! let notes = ReleaseNotes::new(next.to_string(), &commits, &options).section();
//! assert!(notes.starts_with("## [1.5.0]\n\n### Features\n\n- --json output (0202020)\n"));
//! # Ok::<(), consign_version::Error>(())
//! ```
//!
//! A release from a repository: next version, workspace bump, changelog.
//!
//! ```no_run
//! use consign_version::{Forge, Next, Options, ReleaseNotes, Repo, Workspace, update_changelog_file};
//!
//! let repo = Repo::open(".")?;
//! let options = Options::default();
//! let Next::Release(release) = repo.next("HEAD", &options)? else {
//!     println!("nothing to release");
//!     return Ok(());
//! };
//! println!("{} ({} since {:?})", release.version(), release.level(),
//!          release.previous().map(|p| p.name()));
//! Workspace::open(".")?.bump_all(release.version())?.write()?;
//! let notes = ReleaseNotes::from_release(&release, &options)
//!     .forge(repo.origin_url().as_deref().and_then(Forge::from_remote_url));
//! update_changelog_file("CHANGELOG.md", &notes)?;
//! # Ok::<(), consign_version::Error>(())
//! ```
//!
//! [`Signer`]: consign_core::sign::Signer
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod annotated;
pub mod changelog;
pub mod commit;
pub mod crates;
mod error;
pub mod forge;
pub mod next;
pub mod notes;
pub mod repo;
pub mod rules;
pub mod tag;
pub mod workspace;

pub use annotated::{AnnotatedTag, CreatedTag, ObjectId, Tagger};
pub use changelog::{CHANGELOG_HEADER, update_changelog, update_changelog_file};
pub use commit::{Commit, CommitId, Conventional, Group, cancel_reverts};
pub use crates::{CratePlan, Dependents, Reason, plan_crates};
pub use error::{Error, Result};
pub use forge::{Forge, ForgeKind};
pub use next::{Next, Release, ReleaseTag};
pub use notes::ReleaseNotes;
pub use repo::Repo;
pub use rules::{Channel, Level, Options, Unconventional, bump};
pub use semver::Version;
pub use tag::TagPattern;
pub use workspace::{DependencyKind, Edits, Member, VersionSource, Workspace};
