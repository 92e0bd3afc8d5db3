//! [`update_changelog`]: a new version section in a Keep a Changelog `CHANGELOG.md`, the rest
//! of the file kept byte for byte.

use std::path::Path;

use consign_core::IoError;

use crate::error::{Error, Result};
use crate::notes::ReleaseNotes;

/// The start of a new changelog.
pub const CHANGELOG_HEADER: &str = "\
# Changelog

All notable changes to this project are documented in this file.

The format is based on [Keep a Changelog](https://keepachangelog.com/en/1.1.0/),
and this project adheres to [Semantic Versioning](https://semver.org/spec/v2.0.0.html).

## [Unreleased]
";

/// `existing` (a `CHANGELOG.md`, or `None` for a new one) with the section of `notes`
/// inserted:
///
/// - below `## [Unreleased]` when there is one; what was written by hand under it moves into
///   the new section, above the generated groups, and `## [Unreleased]` stays, empty;
/// - otherwise above the first `## ` section, or at the end;
/// - link definitions at the bottom (`[unreleased]: …/compare/v1.2.0...HEAD`) are updated and
///   one added for the new version when the notes know their forge and tag.
///
/// Line endings (LF or CRLF) follow the file. A file that already has a section for the
/// version is refused ([`Error::AlreadyReleased`]).
///
/// ```
/// use consign_version::{update_changelog, Commit, CommitId, Options, ReleaseNotes};
/// let commits = [Commit::from_message(CommitId::from_hex(&"ab".repeat(20))?, "feat: export", 0, 1)];
/// let options = Options::default();
/// let notes = ReleaseNotes::new("0.2.0", &commits, &options).date(0);
/// let before = ["# Changelog", "", "## [Unreleased]", "", "## [0.1.0] - 1969-12-31", "", "- first"];
/// let after = update_changelog(Some(&before.join("\n")), &notes, "CHANGELOG.md")?;
/// let expected = [
///     "# Changelog",
///     "",
///     "## [Unreleased]",
///     "",
///     "## [0.2.0] - 1970-01-01",
///     "",
///     "### Features",
///     "",
///     "- export (abababa)",
///     "",
///     "## [0.1.0] - 1969-12-31",
///     "",
///     "- first",
/// ];
/// assert_eq!(after, expected.join("\n") + "\n");
/// # Ok::<(), consign_version::Error>(())
/// ```
pub fn update_changelog(
    existing: Option<&str>,
    notes: &ReleaseNotes<'_>,
    path: impl AsRef<Path>,
) -> Result<String> {
    let existing = existing.unwrap_or(CHANGELOG_HEADER);
    let crlf = existing.contains("\r\n");
    let text = existing.replace("\r\n", "\n");
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();

    if lines
        .iter()
        .any(|l| heading_version(l) == Some(notes.title()))
    {
        return Err(Error::AlreadyReleased {
            path: path.as_ref().to_path_buf(),
            version: notes.title().to_string(),
        });
    }

    let is_section = |l: &String| l.starts_with("## ");
    let unreleased = lines
        .iter()
        .position(|l| heading_version(l).is_some_and(|v| v.eq_ignore_ascii_case("unreleased")));
    let mut section: Vec<String> = Vec::new();
    let heading_and_body = notes.section();
    let (heading, body) = heading_and_body
        .split_once("\n\n")
        .unwrap_or((heading_and_body.as_str(), ""));
    section.push(heading.to_string());
    section.push(String::new());

    let at = match unreleased {
        Some(u) => {
            let end = (u + 1..lines.len())
                .find(|&i| is_section(&lines[i]) || is_link_definition(&lines[i]))
                .unwrap_or(lines.len());
            let by_hand: Vec<String> = lines.drain(u + 1..end).collect();
            let first = by_hand.iter().position(|l| !l.trim().is_empty());
            let last = by_hand.iter().rposition(|l| !l.trim().is_empty());
            if let (Some(first), Some(last)) = (first, last) {
                section.extend(by_hand[first..=last].iter().cloned());
                section.push(String::new());
            }
            lines.insert(u + 1, String::new());
            u + 2
        }
        None => lines
            .iter()
            .position(is_section)
            .or_else(|| lines.iter().position(|l| is_link_definition(l)))
            .unwrap_or(lines.len()),
    };
    section.extend(body.lines().map(str::to_string));
    if at < lines.len() {
        section.push(String::new());
    } else if lines.last().is_some_and(|l| !l.trim().is_empty()) {
        section.insert(0, String::new());
    }
    lines.splice(at..at, section);
    update_links(&mut lines, notes);

    let mut out = lines.join("\n");
    out.push('\n');
    if crlf {
        out = out.replace('\n', "\r\n");
    }
    Ok(out)
}

/// [`update_changelog`] on a file, written atomically; the file is created when missing.
pub fn update_changelog_file(path: impl AsRef<Path>, notes: &ReleaseNotes<'_>) -> Result<()> {
    let path = path.as_ref();
    let existing = match std::fs::read_to_string(path) {
        Ok(text) => Some(text),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(IoError::new("read", path, e).into()),
    };
    let text = update_changelog(existing.as_deref(), notes, path)?;
    consign_core::write_atomic(path, text.as_bytes())?;
    Ok(())
}

/// The version a `## [1.2.3] - date` / `## 1.2.3` heading names.
fn heading_version(line: &str) -> Option<&str> {
    let rest = line.strip_prefix("## ")?.trim();
    let name = match rest.strip_prefix('[') {
        Some(r) => r.split(']').next()?,
        None => rest.split_whitespace().next()?,
    };
    Some(name.trim())
}

fn is_link_definition(line: &str) -> bool {
    line.starts_with('[') && line.contains("]: ")
}

fn update_links(lines: &mut Vec<String>, notes: &ReleaseNotes<'_>) {
    let (Some(forge), Some(tag)) = (notes.linked_forge(), notes.tag_name()) else {
        return;
    };
    let first = lines.iter().position(|l| is_link_definition(l));
    let Some(first) = first else {
        return;
    };
    let new = match notes.previous_tag_name() {
        Some(previous) => forge.compare_url(previous, tag),
        None => forge.tag_url(tag),
    };
    let definition = format!("[{}]: {new}", notes.title());
    let unreleased = lines
        .iter()
        .position(|l| l.to_ascii_lowercase().starts_with("[unreleased]: "));
    match unreleased {
        Some(u) => {
            let label = &lines[u][1.."unreleased".len() + 1];
            lines[u] = format!("[{label}]: {}", forge.compare_url(tag, "HEAD"));
            lines.insert(u + 1, definition);
        }
        None => lines.insert(first, definition),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commit::{Commit, CommitId};
    use crate::forge::Forge;
    use crate::rules::Options;
    use proptest::prelude::*;

    fn commits() -> Vec<Commit> {
        let id = CommitId::from_hex(&"cd".repeat(20)).unwrap();
        vec![Commit::from_message(id, "fix: a bug", 0, 1)]
    }

    #[test]
    fn new_changelog_and_hand_written_unreleased_notes() {
        let (c, o) = (commits(), Options::default());
        let notes = ReleaseNotes::new("1.0.1", &c, &o).date(86_400);
        let fresh = update_changelog(None, &notes, "CHANGELOG.md").unwrap();
        assert!(fresh.starts_with(CHANGELOG_HEADER));
        assert!(fresh.ends_with(
            "## [Unreleased]\n\n## [1.0.1] - 1970-01-02\n\n### Bug fixes\n\n- a bug (cdcdcdc)\n"
        ));

        let by_hand = "# Changelog\r\n\r\n## [Unreleased]\r\n\r\nNote: read this.\r\n\r\n## [1.0.0]\r\n\r\n- x\r\n\r\n[unreleased]: https://github.com/o/r/compare/v1.0.0...HEAD\r\n[1.0.0]: https://github.com/o/r/tree/v1.0.0\r\n";
        let notes = notes
            .tag("v1.0.1")
            .previous_tag(Some("v1.0.0".into()))
            .forge(Forge::from_remote_url("https://github.com/o/r"));
        let out = update_changelog(Some(by_hand), &notes, "CHANGELOG.md").unwrap();
        assert_eq!(
            out,
            "# Changelog\r\n\r\n## [Unreleased]\r\n\r\n## [1.0.1] - 1970-01-02\r\n\r\nNote: read this.\r\n\r\n\
             ### Bug fixes\r\n\r\n- a bug ([cdcdcdc](https://github.com/o/r/commit/cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd))\r\n\r\n\
             **Full changelog**: https://github.com/o/r/compare/v1.0.0...v1.0.1\r\n\r\n\
             ## [1.0.0]\r\n\r\n- x\r\n\r\n\
             [unreleased]: https://github.com/o/r/compare/v1.0.1...HEAD\r\n\
             [1.0.1]: https://github.com/o/r/compare/v1.0.0...v1.0.1\r\n\
             [1.0.0]: https://github.com/o/r/tree/v1.0.0\r\n"
        );
        assert!(matches!(
            update_changelog(Some(&out), &notes, "CHANGELOG.md"),
            Err(Error::AlreadyReleased { .. })
        ));
    }

    #[test]
    fn without_unreleased_the_section_goes_first() {
        let (c, o) = (commits(), Options::default());
        let notes = ReleaseNotes::new("0.2.0", &c, &o);
        let out = update_changelog(Some("# Changes\n\n## 0.1.0\n- x\n"), &notes, "C").unwrap();
        assert_eq!(
            out,
            "# Changes\n\n## [0.2.0]\n\n### Bug fixes\n\n- a bug (cdcdcdc)\n\n## 0.1.0\n- x\n"
        );
        let out = update_changelog(Some("# Changes"), &notes, "C").unwrap();
        assert_eq!(
            out,
            "# Changes\n\n## [0.2.0]\n\n### Bug fixes\n\n- a bug (cdcdcdc)\n"
        );
    }

    proptest! {
        #[test]
        fn any_changelog_keeps_its_text(text in "[#\\[\\]a-z0-9: \n.-]{0,200}") {
            let (c, o) = (commits(), Options::default());
            let notes = ReleaseNotes::new("9.9.9", &c, &o);
            if let Ok(out) = update_changelog(Some(&text), &notes, "C") {
                // Every non-blank line of the input is still there, in order.
                let mut rest = out.lines();
                for line in text.lines().filter(|l| !l.trim().is_empty()) {
                    prop_assert!(rest.any(|o| o == line), "lost {line:?} in {out:?}");
                }
            }
        }
    }
}
