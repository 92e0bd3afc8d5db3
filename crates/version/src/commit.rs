//! [`Commit`]: one commit of a release range, its message read as a Conventional Commit, and
//! the [`Group`] it belongs to in release notes.
//!
//! Decisions, for inputs that are not plain conventional commits:
//!
//! - **Merge commits** (two parents or more) count for nothing and are left out of the notes:
//!   the commits they bring in are in the range themselves.
//! - **Reverts** (`Revert "…"` from `git revert`, or the `revert` type) are patch changes. A
//!   revert whose reverted commit is in the same range cancels it: neither counts nor appears
//!   (see [`cancel_reverts`]).
//! - **Messages that are not UTF-8** are decoded from the commit's `encoding` header when it
//!   names ISO-8859-1 (Latin-1) or Windows-1252; otherwise invalid bytes become U+FFFD.
//! - A message whose subject is conventional but whose body or footers the parser refuses is
//!   read from its subject. A line starting `BREAKING CHANGE:` (or `BREAKING-CHANGE:`) marks a
//!   breaking change wherever it is in the message, as conventional-changelog reads it.

use std::fmt;

use crate::rules::{Level, Options, Unconventional};

/// A commit's object id (SHA-1), shown as 40 hexadecimal digits.
///
/// ```
/// use consign_version::CommitId;
/// let id = CommitId::from_hex("2c26b46b68ffc68ff99b453c1d30413413422d70")?;
/// assert_eq!(id.short(), "2c26b46");
/// assert_eq!(id.to_string(), "2c26b46b68ffc68ff99b453c1d30413413422d70");
/// # Ok::<(), consign_version::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CommitId(pub(crate) gix::ObjectId);

impl CommitId {
    /// Parses a full hexadecimal object id.
    pub fn from_hex(hex: &str) -> crate::Result<CommitId> {
        gix::ObjectId::from_hex(hex.as_bytes())
            .map(CommitId)
            .map_err(|e| crate::Error::Revision {
                rev: hex.to_string(),
                detail: e.to_string(),
            })
    }

    /// The first seven hexadecimal digits, as `git log --oneline` shows them.
    pub fn short(&self) -> String {
        let mut hex = self.0.to_string();
        hex.truncate(7);
        hex
    }
}

impl fmt::Display for CommitId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

/// What a Conventional Commit message says: `type(scope)!: description`, footers.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Conventional {
    /// The type as written (`feat`, `fix`, `Docs`, …); compare it without regard to case.
    pub kind: String,
    /// The scope, if any.
    pub scope: Option<String>,
    /// The description after `: `.
    pub description: String,
    /// Whether the commit declares a breaking change (`!` or a breaking footer).
    pub breaking: bool,
    /// The text of a `BREAKING CHANGE:` / `BREAKING-CHANGE:` footer, if there is one.
    pub breaking_note: Option<String>,
}

/// One commit of a release range.
///
/// ```
/// use consign_version::{Commit, CommitId, Group, Level, Options};
/// let id = CommitId::from_hex("2c26b46b68ffc68ff99b453c1d30413413422d70")?;
/// let c = Commit::from_message(id, "feat(cli)!: drop --old\n\nBREAKING CHANGE: use --new\n", 0, 1);
/// let o = Options::default();
/// assert_eq!(c.level(&o), Some(Level::Major));
/// assert_eq!(c.group(&o), Some(Group::Breaking));
/// assert_eq!(c.conventional().unwrap().scope.as_deref(), Some("cli"));
/// # Ok::<(), consign_version::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Commit {
    id: CommitId,
    message: String,
    time: i64,
    parents: usize,
    conventional: Option<Conventional>,
    reverts: Option<String>,
}

impl Commit {
    /// Reads `message`, committed at `time` (seconds since the epoch) with `parents` parents.
    pub fn from_message(id: CommitId, message: &str, time: i64, parents: usize) -> Commit {
        let message = message.replace("\r\n", "\n");
        let conventional = parse_conventional(&message);
        let reverts = reverted_id(&message);
        Commit {
            id,
            message,
            time,
            parents,
            conventional,
            reverts,
        }
    }

    /// Reads raw message bytes, decoded as the commit's `encoding` header says (see the
    /// module documentation).
    pub fn from_bytes(
        id: CommitId,
        message: &[u8],
        encoding: Option<&[u8]>,
        time: i64,
        parents: usize,
    ) -> Commit {
        Commit::from_message(id, &decode(message, encoding), time, parents)
    }

    /// The commit's id.
    pub fn id(&self) -> CommitId {
        self.id
    }

    /// The whole message, decoded.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The first line of the message.
    pub fn summary(&self) -> &str {
        self.message.lines().next().unwrap_or_default().trim()
    }

    /// Committer time, seconds since the Unix epoch.
    pub fn time(&self) -> i64 {
        self.time
    }

    /// Whether this is a merge commit (two parents or more).
    pub fn is_merge(&self) -> bool {
        self.parents > 1
    }

    /// The message read as a Conventional Commit, if it is one.
    pub fn conventional(&self) -> Option<&Conventional> {
        self.conventional.as_ref()
    }

    /// Whether the commit reverts another (`git revert` or the `revert` type).
    pub fn is_revert(&self) -> bool {
        self.reverts.is_some()
            || self.summary().starts_with("Revert \"")
            || self
                .conventional
                .as_ref()
                .is_some_and(|c| c.kind.eq_ignore_ascii_case("revert"))
    }

    /// The (possibly abbreviated) hexadecimal id of the commit this one reverts, from git's
    /// `This reverts commit <id>.` line.
    pub fn reverted(&self) -> Option<&str> {
        self.reverts.as_deref()
    }

    /// How far this commit moves the version under `options`, if at all.
    pub fn level(&self, options: &Options) -> Option<Level> {
        if self.is_merge() {
            return None;
        }
        match &self.conventional {
            Some(c) if c.breaking => Some(Level::Major),
            Some(c) => options
                .level_of_type(&c.kind)
                .or_else(|| self.is_revert().then_some(Level::Patch)),
            None if self.is_revert() => Some(Level::Patch),
            None => match options.unconventional {
                Unconventional::Ignore => None,
                Unconventional::Patch => Some(Level::Patch),
            },
        }
    }

    /// The section of the release notes this commit is listed in, if any.
    pub fn group(&self, options: &Options) -> Option<Group> {
        if self.is_merge() {
            return None;
        }
        let Some(c) = &self.conventional else {
            return if self.is_revert() {
                Some(Group::Reverts)
            } else {
                (options.unconventional == Unconventional::Patch).then_some(Group::Other)
            };
        };
        if c.breaking {
            return Some(Group::Breaking);
        }
        Some(match c.kind.to_ascii_lowercase().as_str() {
            "feat" => Group::Features,
            "fix" => Group::Fixes,
            "perf" => Group::Performance,
            "revert" => Group::Reverts,
            "docs" | "doc" => Group::Documentation,
            "refactor" => Group::Refactoring,
            "test" | "tests" => Group::Tests,
            "build" | "ci" => Group::Build,
            kind => match options.level_of_type(kind) {
                Some(Level::Major | Level::Minor) => Group::Features,
                Some(Level::Patch) => Group::Fixes,
                None => Group::Chores,
            },
        })
    }
}

/// A section of the release notes, in the order they are written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum Group {
    /// Any commit marked breaking (`!` or a `BREAKING CHANGE:` footer), whatever its type.
    Breaking,
    /// `feat`, and types configured to bump the minor version.
    Features,
    /// `fix`, and types configured to bump the patch version.
    Fixes,
    /// `perf`.
    Performance,
    /// `revert` and `git revert` commits.
    Reverts,
    /// `docs`.
    Documentation,
    /// `refactor`.
    Refactoring,
    /// `test`.
    Tests,
    /// `build` and `ci`.
    Build,
    /// `chore`, `style` and other types.
    Chores,
    /// Commits that are not conventional, when they count as patches.
    Other,
}

impl Group {
    /// Every group, in the order of the notes.
    pub const ALL: [Group; 11] = [
        Group::Breaking,
        Group::Features,
        Group::Fixes,
        Group::Performance,
        Group::Reverts,
        Group::Documentation,
        Group::Refactoring,
        Group::Tests,
        Group::Build,
        Group::Chores,
        Group::Other,
    ];

    /// The section heading.
    pub fn title(self) -> &'static str {
        match self {
            Group::Breaking => "Breaking changes",
            Group::Features => "Features",
            Group::Fixes => "Bug fixes",
            Group::Performance => "Performance",
            Group::Reverts => "Reverts",
            Group::Documentation => "Documentation",
            Group::Refactoring => "Refactoring",
            Group::Tests => "Tests",
            Group::Build => "Build and CI",
            Group::Chores => "Chores",
            Group::Other => "Other changes",
        }
    }
}

/// Removes each revert whose reverted commit is also in `commits`, and that commit: the range
/// as a whole does not contain the change. `commits` may be in any order; a revert of a revert
/// cancels the revert and leaves the original.
pub fn cancel_reverts(commits: &mut Vec<Commit>) {
    // Newest reverts first: "Revert "Revert X"" cancels "Revert X" before that one can
    // cancel X, which then stays.
    let mut order: Vec<usize> = (0..commits.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(commits[i].time));
    let mut removed = vec![false; commits.len()];
    for &i in &order {
        if removed[i] {
            continue;
        }
        let Some(target) = commits[i].reverts.as_deref() else {
            continue;
        };
        let hit = (0..commits.len())
            .find(|&j| j != i && !removed[j] && commits[j].id.to_string().starts_with(target));
        if let Some(j) = hit {
            removed[i] = true;
            removed[j] = true;
        }
    }
    let mut index = 0;
    commits.retain(|_| {
        let keep = !removed[index];
        index += 1;
        keep
    });
}

fn parse_conventional(message: &str) -> Option<Conventional> {
    let trimmed = message.trim_end();
    // A `BREAKING CHANGE:` line anywhere after the subject counts, as conventional-changelog
    // reads it, not only in the last paragraph.
    let scanned = trimmed.lines().skip(1).find_map(|line| {
        [
            "BREAKING CHANGE:",
            "BREAKING-CHANGE:",
            "BREAKING CHANGE #",
            "BREAKING-CHANGE #",
        ]
        .iter()
        .find_map(|token| line.strip_prefix(token))
        .map(|rest| rest.trim().to_string())
    });
    let (c, footer) = match git_conventional::Commit::parse(trimmed) {
        Ok(c) => {
            let footer = c
                .footers()
                .iter()
                .find(|f| f.breaking())
                .map(|f| f.value().trim().to_string());
            (c, footer)
        }
        // The subject alone: bodies the parser refuses are common in real histories.
        Err(_) => (
            git_conventional::Commit::parse(trimmed.lines().next()?.trim()).ok()?,
            None,
        ),
    };
    let note = footer.or(scanned);
    Some(Conventional {
        kind: c.type_().as_str().to_string(),
        scope: c.scope().map(|s| s.as_str().to_string()),
        description: c.description().trim().to_string(),
        breaking: c.breaking() || note.is_some(),
        breaking_note: note,
    })
}

/// The id in git's `This reverts commit <id>.` line.
fn reverted_id(message: &str) -> Option<String> {
    message.lines().find_map(|line| {
        let rest = line.trim().strip_prefix("This reverts commit ")?;
        let hex: String = rest.chars().take_while(char::is_ascii_hexdigit).collect();
        (hex.len() >= 7).then(|| hex.to_ascii_lowercase())
    })
}

/// Decodes a message: UTF-8 as is, Latin-1 and Windows-1252 when the header says so, and
/// anything else with U+FFFD for invalid bytes.
pub(crate) fn decode(bytes: &[u8], encoding: Option<&[u8]>) -> String {
    if let Ok(text) = std::str::from_utf8(bytes) {
        return text.to_string();
    }
    let encoding = encoding
        .map(|e| String::from_utf8_lossy(e).trim().to_ascii_lowercase())
        .unwrap_or_default();
    match encoding.as_str() {
        "iso-8859-1" | "iso8859-1" | "latin1" | "latin-1" | "l1" => {
            bytes.iter().map(|&b| char::from(b)).collect()
        }
        "windows-1252" | "cp1252" => bytes.iter().map(|&b| cp1252(b)).collect(),
        _ => String::from_utf8_lossy(bytes).into_owned(),
    }
}

fn cp1252(b: u8) -> char {
    const HIGH: [char; 32] = [
        '€', '\u{81}', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', '\u{8d}', 'Ž',
        '\u{8f}', '\u{90}', '‘', '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', '\u{9d}',
        'ž', 'Ÿ',
    ];
    match b {
        0x80..=0x9f => HIGH[usize::from(b - 0x80)],
        _ => char::from(b),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(n: u8) -> CommitId {
        CommitId(gix::ObjectId::from_bytes_or_panic(&[n; 20]))
    }

    fn commit(n: u8, message: &str) -> Commit {
        Commit::from_message(id(n), message, i64::from(n), 1)
    }

    #[test]
    fn levels_follow_the_rules() {
        let o = Options::default();
        assert_eq!(commit(1, "feat: a").level(&o), Some(Level::Minor));
        assert_eq!(commit(1, "Feat(x): a").level(&o), Some(Level::Minor));
        assert_eq!(commit(1, "fix: a").level(&o), Some(Level::Patch));
        assert_eq!(commit(1, "perf: a").level(&o), Some(Level::Patch));
        assert_eq!(commit(1, "docs: a").level(&o), None);
        assert_eq!(commit(1, "docs!: a").level(&o), Some(Level::Major));
        assert_eq!(
            commit(1, "fix: a\n\nBREAKING-CHANGE: b\n").level(&o),
            Some(Level::Major)
        );
        assert_eq!(commit(1, "update things").level(&o), None);
        let patch = Options::default().unconventional(Unconventional::Patch);
        assert_eq!(commit(1, "update things").level(&patch), Some(Level::Patch));
        assert_eq!(commit(1, "update things").group(&patch), Some(Group::Other));
        let merge = Commit::from_message(id(1), "feat: merged", 0, 2);
        assert_eq!(merge.level(&o), None);
        assert_eq!(merge.group(&o), None);
    }

    #[test]
    fn subject_is_read_when_the_body_is_refused() {
        let c = commit(
            1,
            "feat(api): x\n\nbody\nBREAKING CHANGE: gone\n\n  trailing: junk :\n",
        );
        let conv = c.conventional().unwrap();
        assert!(conv.breaking);
        assert_eq!(conv.breaking_note.as_deref(), Some("gone"));
    }

    #[test]
    fn reverts_cancel_within_a_range() {
        let feat = commit(1, "feat: a");
        let revert = commit(
            2,
            &format!("Revert \"feat: a\"\n\nThis reverts commit {}.\n", id(1)),
        );
        let fix = commit(3, "fix: b");
        assert!(revert.is_revert());
        assert_eq!(revert.level(&Options::default()), Some(Level::Patch));
        let mut all = vec![fix.clone(), revert.clone(), feat.clone()];
        cancel_reverts(&mut all);
        assert_eq!(all, vec![fix.clone()]);

        // Reverting the revert brings the feature back.
        let again = commit(
            4,
            &format!("Revert \"Revert ...\"\n\nThis reverts commit {}.\n", id(2)),
        );
        let mut all = vec![again, revert.clone(), feat.clone(), fix];
        cancel_reverts(&mut all);
        assert_eq!(
            all.iter().map(|c| c.id()).collect::<Vec<_>>(),
            vec![id(1), id(3)]
        );

        // A revert of something released earlier stays.
        let mut all = vec![revert];
        cancel_reverts(&mut all);
        assert_eq!(all.len(), 1);
    }

    #[test]
    fn messages_are_decoded() {
        assert_eq!(decode(b"fix: caf\xe9", Some(b"ISO-8859-1")), "fix: café");
        assert_eq!(decode(b"fix: \x80", Some(b"cp1252")), "fix: €");
        assert_eq!(decode(b"fix: caf\xe9", None), "fix: caf\u{fffd}");
        assert_eq!(
            decode("fix: café".as_bytes(), Some(b"ISO-8859-1")),
            "fix: café"
        );
    }
}
