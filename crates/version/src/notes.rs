//! [`ReleaseNotes`]: Markdown release notes, one section per [`Group`], breaking changes
//! first; the same text every time for the same commits.

use std::fmt::Write as _;

use crate::commit::{Commit, Group};
use crate::forge::Forge;
use crate::next::Release;
use crate::rules::Options;

/// Release notes for a range of commits.
///
/// Entries read `- **scope:** description (abc1234)`, the short hash linked to the commit when
/// a [`Forge`] is known; they are listed oldest first within each group. Breaking changes are
/// listed once, under "Breaking changes", with their `BREAKING CHANGE:` text below. Merge
/// commits and commits that count for nothing and are not conventional are left out.
///
/// ```
/// use consign_version::{Commit, CommitId, Forge, Options, ReleaseNotes};
/// let id = |n: u8| CommitId::from_hex(&format!("{n:02x}").repeat(20));
/// let commits = vec![
///     Commit::from_message(id(2)?, "fix(cli): exit 1 on bad input", 20, 1),
///     Commit::from_message(id(1)?, "feat!: new config format\n\nBREAKING CHANGE: convert with `x migrate`", 10, 1),
/// ];
/// let options = Options::default();
/// let notes = ReleaseNotes::new("2.0.0", &commits, &options)
///     .date(1_714_521_600)
///     .forge(Forge::from_remote_url("https://github.com/o/r"));
/// let expected = [
///     "## [2.0.0] - 2024-05-01",
///     "",
///     "### Breaking changes",
///     "",
///     "- new config format ([0101010](https://github.com/o/r/commit/0101010101010101010101010101010101010101))",
///     "",
///     "  convert with `x migrate`",
///     "",
///     "### Bug fixes",
///     "",
///     "- **cli:** exit 1 on bad input ([0202020](https://github.com/o/r/commit/0202020202020202020202020202020202020202))",
/// ];
/// assert_eq!(notes.section(), expected.join("\n") + "\n");
/// # Ok::<(), consign_version::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct ReleaseNotes<'a> {
    title: String,
    commits: &'a [Commit],
    options: &'a Options,
    date: Option<i64>,
    tag: Option<String>,
    previous_tag: Option<String>,
    forge: Option<Forge>,
}

impl<'a> ReleaseNotes<'a> {
    /// Notes titled `title` (a version, or `Unreleased`) for `commits`, grouped by the rules
    /// of `options`.
    pub fn new(title: impl Into<String>, commits: &'a [Commit], options: &'a Options) -> Self {
        ReleaseNotes {
            title: title.into(),
            commits,
            options,
            date: None,
            tag: None,
            previous_tag: None,
            forge: None,
        }
    }

    /// Notes for a planned release: its version, tag, previous tag, commits and the commit
    /// time of the released commit as the date.
    pub fn from_release(release: &'a Release, options: &'a Options) -> Self {
        ReleaseNotes::new(release.version().to_string(), release.commits(), options)
            .date(release.time())
            .tag(release.tag_name())
            .previous_tag(release.previous().map(|p| p.name().to_string()))
    }

    /// The release date (seconds since the epoch, shown as a UTC date).
    #[must_use]
    pub fn date(mut self, seconds: i64) -> Self {
        self.date = Some(seconds);
        self
    }

    /// The release's tag, for links.
    #[must_use]
    pub fn tag(mut self, tag: impl Into<String>) -> Self {
        self.tag = Some(tag.into());
        self
    }

    /// The previous release's tag, for the comparison link.
    #[must_use]
    pub fn previous_tag(mut self, tag: Option<String>) -> Self {
        self.previous_tag = tag;
        self
    }

    /// Link commits and comparisons on this forge (see [`Forge::from_remote_url`]).
    #[must_use]
    pub fn forge(mut self, forge: Option<Forge>) -> Self {
        self.forge = forge;
        self
    }

    /// The title (version).
    pub fn title(&self) -> &str {
        &self.title
    }

    /// The release tag, if given.
    pub fn tag_name(&self) -> Option<&str> {
        self.tag.as_deref()
    }

    /// The previous release tag, if given.
    pub fn previous_tag_name(&self) -> Option<&str> {
        self.previous_tag.as_deref()
    }

    /// The forge, if given.
    pub fn linked_forge(&self) -> Option<&Forge> {
        self.forge.as_ref()
    }

    /// The date as `YYYY-MM-DD` (UTC), if given.
    pub fn date_text(&self) -> Option<String> {
        let date = time::OffsetDateTime::from_unix_timestamp(self.date?)
            .ok()?
            .date();
        Some(format!(
            "{:04}-{:02}-{:02}",
            date.year(),
            u8::from(date.month()),
            date.day()
        ))
    }

    /// The commits listed in `group`, oldest first.
    pub fn entries(&self, group: Group) -> impl Iterator<Item = &'a Commit> + '_ {
        self.commits
            .iter()
            .rev()
            .filter(move |c| c.group(self.options) == Some(group))
    }

    /// Whether no commit is listed.
    pub fn is_empty(&self) -> bool {
        Group::ALL.iter().all(|&g| self.entries(g).next().is_none())
    }

    /// The groups with their entries (`### Features` …), and a comparison link when the forge
    /// and both tags are known: the body of a release page.
    pub fn body(&self) -> String {
        let mut out = String::new();
        for group in Group::ALL {
            let mut entries = self.entries(group).peekable();
            if entries.peek().is_none() {
                continue;
            }
            if !out.is_empty() && !out.ends_with("\n\n") {
                out.push('\n');
            }
            let _ = writeln!(out, "### {}\n", group.title());
            for commit in entries {
                self.entry(&mut out, commit, group);
            }
        }
        if out.ends_with("\n\n") {
            out.pop();
        }
        if out.is_empty() {
            out.push_str("No notable changes.\n");
        }
        if let (Some(forge), Some(from), Some(to)) = (&self.forge, &self.previous_tag, &self.tag) {
            let _ = write!(
                out,
                "\n**Full changelog**: {}\n",
                forge.compare_url(from, to)
            );
        }
        out
    }

    /// `## [version] - date` and the body: a Keep a Changelog section.
    pub fn section(&self) -> String {
        let mut out = format!("## [{}]", self.title);
        if let Some(date) = self.date_text() {
            let _ = write!(out, " - {date}");
        }
        out.push_str("\n\n");
        out.push_str(&self.body());
        out
    }

    fn entry(&self, out: &mut String, commit: &Commit, group: Group) {
        out.push_str("- ");
        let description = match commit.conventional() {
            Some(c) => {
                if let Some(scope) = &c.scope {
                    let _ = write!(out, "**{scope}:** ");
                }
                c.description.as_str()
            }
            None => commit.summary(),
        };
        out.push_str(description);
        let short = commit.id().short();
        match &self.forge {
            Some(forge) => {
                let _ = writeln!(out, " ([{short}]({}))", forge.commit_url(commit.id()));
            }
            None => {
                let _ = writeln!(out, " ({short})");
            }
        }
        let note = commit
            .conventional()
            .and_then(|c| c.breaking_note.as_deref());
        if let (Group::Breaking, Some(note)) = (group, note) {
            out.push('\n');
            for line in note.lines() {
                if line.trim().is_empty() {
                    out.push('\n');
                } else {
                    let _ = writeln!(out, "  {}", line.trim_end());
                }
            }
            out.push('\n');
        }
    }
}
