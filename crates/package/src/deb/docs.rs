//! The documentation every Debian package ships: `/usr/share/doc/<package>/copyright` in the
//! machine-readable DEP-5 format, and the changelog ([`ChangelogEntry`]), compressed with
//! `gzip -9n` semantics (no name, mtime 0) so it is reproducible.

use std::io::Write;

use consign_core::{IoError, PackageMeta, SourceDate};
use time::format_description::well_known::Rfc2822;

use super::control::{DebVersion, PackageName};
use crate::Error;

/// One entry of a Debian changelog.
///
/// ```
/// use consign_core::SourceDate;
/// use consign_package::deb::ChangelogEntry;
/// let entry = ChangelogEntry::new(
///     "1.0.0-1".parse()?,
///     "Jane Doe <jane@example.org>",
///     SourceDate::from_unix(1_700_000_000),
/// )
/// .change("First release.");
/// assert_eq!(
///     entry.to_text(&"hello".parse()?)?,
///     "hello (1.0.0-1) unstable; urgency=medium\n\n  * First release.\n\n \
///      -- Jane Doe <jane@example.org>  Tue, 14 Nov 2023 22:13:20 +0000\n"
/// );
/// # Ok::<(), consign_package::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ChangelogEntry {
    /// The version the entry describes.
    pub version: DebVersion,
    /// The distribution (`unstable`).
    pub distribution: String,
    /// The urgency (`medium`).
    pub urgency: String,
    /// The changes, one bullet each; a change may span several lines.
    pub changes: Vec<String>,
    /// Who made the release, `Name <email>`.
    pub maintainer: String,
    /// When.
    pub date: SourceDate,
}

impl ChangelogEntry {
    /// An entry for `version` in `unstable` with urgency `medium` and no change yet.
    pub fn new(version: DebVersion, maintainer: impl Into<String>, date: SourceDate) -> Self {
        ChangelogEntry {
            version,
            distribution: "unstable".into(),
            urgency: "medium".into(),
            changes: Vec::new(),
            maintainer: maintainer.into(),
            date,
        }
    }

    /// Adds a change.
    #[must_use]
    pub fn change(mut self, text: impl Into<String>) -> Self {
        self.changes.push(text.into());
        self
    }

    /// Sets the distribution.
    #[must_use]
    pub fn distribution(mut self, distribution: impl Into<String>) -> Self {
        self.distribution = distribution.into();
        self
    }

    /// The entry in changelog syntax (Debian policy 4.4).
    pub fn to_text(&self, package: &PackageName) -> Result<String, Error> {
        super::control::check_maintainer(&self.maintainer)?;
        let word = |field, value: &str| {
            let ok = !value.is_empty()
                && value
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-+._/".contains(c));
            if ok {
                Ok(())
            } else {
                Err(Error::Invalid {
                    field,
                    value: value.to_owned(),
                    reason: "use one word of letters, digits and -+._/",
                })
            }
        };
        word("changelog distribution", &self.distribution)?;
        word("changelog urgency", &self.urgency)?;
        if self.changes.iter().all(|c| c.trim().is_empty()) {
            return Err(Error::Missing {
                field: "changelog changes",
                hint: "give each changelog entry at least one change",
            });
        }
        let date = self
            .date
            .to_datetime()
            .format(&Rfc2822)
            .map_err(|_| Error::Invalid {
                field: "changelog date",
                value: self.date.to_string(),
                reason: "the date cannot be written in RFC 2822 (years 1900 to 9999)",
            })?;
        let mut text = format!(
            "{package} ({}) {}; urgency={}\n\n",
            self.version, self.distribution, self.urgency
        );
        for change in self.changes.iter().filter(|c| !c.trim().is_empty()) {
            for (i, line) in change.trim().lines().enumerate() {
                let lead = if i == 0 { "  * " } else { "    " };
                text.push_str(lead);
                text.push_str(line.trim());
                text.push('\n');
            }
        }
        text.push_str(&format!("\n -- {}  {date}\n", self.maintainer));
        Ok(text)
    }
}

/// Where the changelog comes from.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum Changelog {
    /// One entry for the package version, dated the source date, by the maintainer.
    #[default]
    Generated,
    /// These entries, newest first.
    Entries(Vec<ChangelogEntry>),
    /// A complete changelog in Debian syntax, shipped as it is.
    Text(String),
}

impl Changelog {
    /// The changelog text.
    pub(crate) fn to_text(
        &self,
        package: &PackageName,
        version: &DebVersion,
        maintainer: &str,
        date: SourceDate,
    ) -> Result<String, Error> {
        match self {
            Changelog::Generated => ChangelogEntry::new(version.clone(), maintainer, date)
                .change(format!("Release {}.", version.upstream()))
                .to_text(package),
            Changelog::Entries(entries) => {
                if entries.is_empty() {
                    return Err(Error::Missing {
                        field: "changelog entries",
                        hint: "give at least one entry, or use Changelog::Generated",
                    });
                }
                let texts = entries
                    .iter()
                    .map(|e| e.to_text(package))
                    .collect::<Result<Vec<_>, _>>()?;
                Ok(texts.join("\n"))
            }
            Changelog::Text(text) => Ok(text.clone()),
        }
    }
}

/// `bytes` compressed as `gzip -9n` does: best compression, no file name, mtime 0.
pub(crate) fn gzip_best(bytes: &[u8]) -> Result<Vec<u8>, Error> {
    let output = |source| Error::Output { source };
    let mut gz = flate2::GzBuilder::new()
        .mtime(0)
        .operating_system(3)
        .write(Vec::new(), flate2::Compression::best());
    gz.write_all(bytes).map_err(output)?;
    gz.finish().map_err(output)
}

/// What the copyright file is made from.
pub(crate) struct CopyrightInput<'a> {
    pub(crate) meta: &'a PackageMeta,
    pub(crate) maintainer: &'a str,
    pub(crate) notice: Option<&'a str>,
    pub(crate) license_text: Option<&'a str>,
    pub(crate) date: SourceDate,
}

/// The DEP-5 copyright file.
pub(crate) fn copyright(input: &CopyrightInput<'_>) -> Result<String, Error> {
    let meta = input.meta;
    let file_text;
    let license_text = match (input.license_text, &meta.license_file) {
        (Some(t), _) => Some(t),
        (None, Some(file)) => {
            let path = match &meta.manifest_dir {
                Some(dir) if file.is_relative() => dir.join(file),
                _ => file.clone(),
            };
            file_text = std::fs::read_to_string(&path)
                .map_err(|e| IoError::new("read the license file", &path, e))?;
            Some(file_text.as_str())
        }
        (None, None) => None,
    };
    let short = match (&meta.license, license_text) {
        (Some(spdx), _) => dep5_expression(spdx)?,
        (None, Some(_)) => format!("LicenseRef-{}", meta.name()),
        (None, None) => {
            return Err(Error::Missing {
                field: "license",
                hint: "set PackageMeta::license (SPDX) or license_file, or ship \
                       usr/share/doc/<package>/copyright in the tree",
            });
        }
    };
    let mut out = String::from(
        "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n",
    );
    out.push_str(&format!("Upstream-Name: {}\n", meta.name()));
    out.push_str(&format!("Upstream-Contact: {}\n", input.maintainer));
    if let Some(source) = meta.repository.as_ref().or(meta.homepage.as_ref()) {
        out.push_str(&format!("Source: {}\n", one_line("Source", source)?));
    }
    let year = input.date.to_datetime().year();
    let holders = if meta.authors.is_empty() {
        input.maintainer.to_owned()
    } else {
        meta.authors.join(", ")
    };
    let notice = match input.notice {
        Some(n) => n.to_owned(),
        None => format!("{year} {holders}"),
    };
    out.push_str("\nFiles: *\nCopyright:");
    push_continued(&mut out, &notice, false);
    out.push_str(&format!("License: {short}\n"));
    match license_text {
        Some(text) => push_continued(&mut out, text, true),
        None => {
            for id in license_ids(meta.license.as_deref().unwrap_or_default()) {
                out.push_str(&format!("\nLicense: {id}\n"));
                push_continued(&mut out, &license_paragraph(&id), true);
            }
        }
    }
    Ok(out)
}

fn one_line<'v>(field: &'static str, value: &'v str) -> Result<&'v str, Error> {
    if value.contains(['\n', '\r']) {
        return Err(Error::Invalid {
            field,
            value: value.to_owned(),
            reason: "it must be one line",
        });
    }
    Ok(value.trim())
}

/// Appends `text` as a field value: the first line after the field name (unless `body`), the
/// rest as continuation lines, blank lines as ` .`.
fn push_continued(out: &mut String, text: &str, body: bool) {
    let mut lines = text.trim_end().lines();
    if !body {
        out.push(' ');
        out.push_str(lines.next().unwrap_or_default().trim());
        out.push('\n');
    }
    for line in lines {
        let line = line.trim_end();
        if line.is_empty() {
            out.push_str(" .\n");
        } else {
            out.push(' ');
            out.push_str(line);
            out.push('\n');
        }
    }
}

/// An SPDX expression in DEP-5 spelling: `MIT OR Apache-2.0` becomes `MIT or Apache-2.0`.
fn dep5_expression(spdx: &str) -> Result<String, Error> {
    let ok = !spdx.trim().is_empty()
        && spdx
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || " .-+()/:".contains(c));
    if !ok {
        return Err(Error::Invalid {
            field: "license",
            value: spdx.to_owned(),
            reason: "give an SPDX license expression such as `MIT OR Apache-2.0`",
        });
    }
    let words: Vec<String> = spdx
        .split_whitespace()
        .map(|w| match w {
            "OR" | "AND" | "WITH" => w.to_ascii_lowercase(),
            other => other.to_owned(),
        })
        .collect();
    Ok(words.join(" "))
}

/// The license identifiers of an SPDX expression, each once, exceptions left out.
fn license_ids(spdx: &str) -> Vec<String> {
    let spaced = spdx.replace(['(', ')'], " ");
    let mut ids: Vec<String> = Vec::new();
    let mut after_with = false;
    for word in spaced.split_whitespace() {
        match word {
            "OR" | "AND" | "or" | "and" => after_with = false,
            "WITH" | "with" => after_with = true,
            id if !after_with => {
                if !ids.iter().any(|i| i == id) {
                    ids.push(id.to_owned());
                }
            }
            _ => after_with = false,
        }
    }
    ids
}

/// The body of a stand-alone `License:` paragraph for `id`.
fn license_paragraph(id: &str) -> String {
    if let Some(file) = common_license(id) {
        return format!(
            "On Debian systems, the complete text of the {id} license can be found in\n\
             \"/usr/share/common-licenses/{file}\"."
        );
    }
    match id {
        "MIT" => MIT.to_owned(),
        _ => {
            format!("The full text of the {id} license is at\nhttps://spdx.org/licenses/{id}.html")
        }
    }
}

/// The file under `/usr/share/common-licenses` holding an SPDX license, if Debian ships it.
fn common_license(id: &str) -> Option<&'static str> {
    let base = id
        .trim_end_matches('+')
        .trim_end_matches("-only")
        .trim_end_matches("-or-later");
    Some(match base {
        "Apache-2.0" => "Apache-2.0",
        "Artistic-1.0" | "Artistic-1.0-Perl" => "Artistic",
        "CC0-1.0" => "CC0-1.0",
        "GFDL-1.2" => "GFDL-1.2",
        "GFDL-1.3" => "GFDL-1.3",
        "GPL-1.0" => "GPL-1",
        "GPL-2.0" => "GPL-2",
        "GPL-3.0" => "GPL-3",
        "LGPL-2.0" => "LGPL-2",
        "LGPL-2.1" => "LGPL-2.1",
        "LGPL-3.0" => "LGPL-3",
        "MPL-1.1" => "MPL-1.1",
        "MPL-2.0" => "MPL-2.0",
        _ => return None,
    })
}

const MIT: &str = "\
Permission is hereby granted, free of charge, to any person obtaining a copy
of this software and associated documentation files (the \"Software\"), to deal
in the Software without restriction, including without limitation the rights
to use, copy, modify, merge, publish, distribute, sublicense, and/or sell
copies of the Software, and to permit persons to whom the Software is
furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all
copies or substantial portions of the Software.

THE SOFTWARE IS PROVIDED \"AS IS\", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER
LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE
SOFTWARE.";

#[cfg(test)]
mod tests {
    use super::*;

    fn meta() -> PackageMeta {
        let mut m = PackageMeta::new("demo", "1.0.0")
            .unwrap()
            .license("MIT OR Apache-2.0");
        m.authors = vec!["Jane Doe <jane@example.org>".into()];
        m.repository = Some("https://example.org/demo".into());
        m
    }

    #[test]
    fn copyright_is_dep5_with_license_paragraphs() {
        let m = meta();
        let text = copyright(&CopyrightInput {
            meta: &m,
            maintainer: "Jane Doe <jane@example.org>",
            notice: None,
            license_text: None,
            date: SourceDate::from_unix(1_700_000_000),
        })
        .unwrap();
        assert!(
            text.starts_with(
                "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n\
             Upstream-Name: demo\nUpstream-Contact: Jane Doe <jane@example.org>\n\
             Source: https://example.org/demo\n\n\
             Files: *\nCopyright: 2023 Jane Doe <jane@example.org>\nLicense: MIT or Apache-2.0\n\n\
             License: MIT\n Permission is hereby granted"
            ),
            "{text}"
        );
        assert!(text.contains("\n .\n The above copyright notice"), "{text}");
        assert!(
            text.ends_with(
                "License: Apache-2.0\n On Debian systems, the complete text of the Apache-2.0 \
             license can be found in\n \"/usr/share/common-licenses/Apache-2.0\".\n"
            ),
            "{text}"
        );
    }

    #[test]
    fn license_text_and_errors() {
        let mut m = meta();
        m.license = None;
        let text = copyright(&CopyrightInput {
            meta: &m,
            maintainer: "J <j@example.org>",
            notice: Some("2020-2023 Jane Doe\n2021 John Roe"),
            license_text: Some("Custom terms.\n\nNo warranty.\n"),
            date: SourceDate::from_unix(0),
        })
        .unwrap();
        assert!(
            text.ends_with(
                "Copyright: 2020-2023 Jane Doe\n 2021 John Roe\nLicense: LicenseRef-demo\n \
             Custom terms.\n .\n No warranty.\n"
            ),
            "{text}"
        );
        m.license_file = Some("/nonexistent/LICENSE".into());
        let err = copyright(&CopyrightInput {
            meta: &m,
            maintainer: "J <j@example.org>",
            notice: None,
            license_text: None,
            date: SourceDate::from_unix(0),
        })
        .unwrap_err();
        assert!(
            matches!(err, Error::Io(ref e) if e.path.ends_with("LICENSE")),
            "{err}"
        );
        m.license_file = None;
        let err = copyright(&CopyrightInput {
            meta: &m,
            maintainer: "J <j@example.org>",
            notice: None,
            license_text: None,
            date: SourceDate::from_unix(0),
        })
        .unwrap_err();
        assert!(matches!(
            err,
            Error::Missing {
                field: "license",
                ..
            }
        ));
        assert_eq!(
            license_ids(
                "(MIT OR Apache-2.0) AND GPL-2.0-or-later WITH Classpath-exception-2.0 OR MIT"
            ),
            ["MIT", "Apache-2.0", "GPL-2.0-or-later"]
        );
        assert_eq!(common_license("GPL-2.0-or-later"), Some("GPL-2"));
        assert!(dep5_expression("MIT\nX").is_err());
    }

    #[test]
    fn changelog_entries_and_gzip() {
        let name = PackageName::new("demo").unwrap();
        let v: DebVersion = "1.0.0-1".parse().unwrap();
        let date = SourceDate::from_unix(1_700_000_000);
        let generated = Changelog::Generated
            .to_text(&name, &v, "Jane Doe <jane@example.org>", date)
            .unwrap();
        assert_eq!(
            generated,
            "demo (1.0.0-1) unstable; urgency=medium\n\n  * Release 1.0.0.\n\n \
             -- Jane Doe <jane@example.org>  Tue, 14 Nov 2023 22:13:20 +0000\n"
        );
        let two = Changelog::Entries(vec![
            ChangelogEntry::new(v.clone(), "A <a@example.org>", date)
                .change("Fix a bug\nin two lines.")
                .change("Another."),
            ChangelogEntry::new(
                "0.9-1".parse().unwrap(),
                "A <a@example.org>",
                SourceDate::from_unix(0),
            )
            .change("First."),
        ])
        .to_text(&name, &v, "unused <u@example.org>", date)
        .unwrap();
        assert!(
            two.contains("  * Fix a bug\n    in two lines.\n  * Another.\n"),
            "{two}"
        );
        assert!(
            two.contains("\n\ndemo (0.9-1) unstable; urgency=medium\n"),
            "{two}"
        );
        assert!(two.ends_with("Thu, 01 Jan 1970 00:00:00 +0000\n"), "{two}");
        let empty = ChangelogEntry::new(v.clone(), "A <a@example.org>", date);
        assert!(matches!(empty.to_text(&name), Err(Error::Missing { .. })));
        let bad = ChangelogEntry::new(v, "A <a@example.org>", date)
            .change("x")
            .distribution("a b");
        assert!(matches!(bad.to_text(&name), Err(Error::Invalid { .. })));

        let gz = gzip_best(generated.as_bytes()).unwrap();
        assert_eq!(gz, gzip_best(generated.as_bytes()).unwrap());
        // Header: magic, deflate, no flags, mtime 0, XFL 2 (best), OS Unix.
        assert_eq!(&gz[..10], &[0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 2, 3]);
    }
}
