//! [`LicenseExpression`]: SPDX license expressions, parsed and written in normal form, and
//! [`License`], what a package declares (an expression, a license file, or nothing).
//!
//! Parsing uses the `spdx` crate (the SPDX license list and the expression grammar) in its
//! lenient mode, which reads what crates.io has accepted over the years: `/` as `OR`,
//! lower-case operators, `+` on GNU licenses and a few well-known imprecise names
//! (`Apache2` → `Apache-2.0`). The normal form has canonical identifiers, upper-case operators,
//! GNU licenses as `-only`/`-or-later` and parentheses only where `AND` binds an `OR`.
//! Identifiers that are not on the list are kept as `LicenseRef-…` (the SPDX way to name an
//! unlisted license) and reported by [`LicenseExpression::license_refs`], never dropped.

use std::fmt;

use spdx::expression::{ExprNode, Operator};
use spdx::{AdditionItem, LicenseItem, ParseMode};

/// The version of the SPDX license list identifiers are checked against, as SPDX documents
/// write it (`3.29`: major and minor only).
pub fn license_list_version() -> String {
    spdx::license_version()
        .split('.')
        .take(2)
        .collect::<Vec<_>>()
        .join(".")
}

/// A valid SPDX license expression in normal form.
///
/// ```
/// use consign_sbom::LicenseExpression;
/// let e = LicenseExpression::parse("MIT/Apache-2.0")?;
/// assert_eq!(e.as_str(), "MIT OR Apache-2.0");
/// let e = LicenseExpression::parse("(mit or Apache-2.0) and GPL-2.0+")?;
/// assert_eq!(e.as_str(), "(MIT OR Apache-2.0) AND GPL-2.0-or-later");
/// let e = LicenseExpression::parse("MIT OR Proprietary")?;
/// assert_eq!(e.as_str(), "MIT OR LicenseRef-Proprietary");
/// assert_eq!(e.license_refs().collect::<Vec<_>>(), ["LicenseRef-Proprietary"]);
/// assert!(LicenseExpression::parse("MIT OR (Apache-2.0").is_err());
/// # Ok::<(), consign_sbom::LicenseError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LicenseExpression {
    text: String,
    /// `LicenseRef-…` / `AdditionRef-…` names used, sorted, with the text they came from.
    refs: Vec<(String, String)>,
}

impl LicenseExpression {
    /// Parses and normalizes an expression; unknown identifiers become `LicenseRef-…`.
    pub fn parse(text: &str) -> Result<LicenseExpression, LicenseError> {
        let mode = ParseMode {
            allow_unknown: true,
            ..ParseMode::LAX
        };
        let expr = spdx::Expression::parse_mode(text, mode).map_err(|e| LicenseError {
            value: text.to_owned(),
            reason: e.reason.to_string(),
        })?;
        let mut refs = Vec::new();
        // The expression is stored in postfix order: rebuild it with minimal parentheses.
        let mut stack: Vec<(String, u8)> = Vec::new();
        for node in expr.iter() {
            match node {
                ExprNode::Req(r) => {
                    let mut s = license_item(&r.req.license, &mut refs);
                    if let Some(a) = &r.req.addition {
                        s.push_str(" WITH ");
                        s.push_str(&addition_item(a, &mut refs));
                    }
                    stack.push((s, 3));
                }
                ExprNode::Op(op) => {
                    let (right, left) = match (stack.pop(), stack.pop()) {
                        (Some(r), Some(l)) => (r, l),
                        _ => {
                            return Err(LicenseError {
                                value: text.to_owned(),
                                reason: "operator without two operands".into(),
                            });
                        }
                    };
                    let (word, prec) = match op {
                        Operator::And => ("AND", 2),
                        Operator::Or => ("OR", 1),
                    };
                    let wrap = |(s, p): (String, u8)| if p < prec { format!("({s})") } else { s };
                    stack.push((format!("{} {word} {}", wrap(left), wrap(right)), prec));
                }
            }
        }
        let text_out = match (stack.pop(), stack.is_empty()) {
            (Some((s, _)), true) => s,
            _ => {
                return Err(LicenseError {
                    value: text.to_owned(),
                    reason: "not a single expression".into(),
                });
            }
        };
        refs.sort();
        refs.dedup();
        Ok(LicenseExpression {
            text: text_out,
            refs,
        })
    }

    /// The expression in normal form.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The `LicenseRef-…` and `AdditionRef-…` identifiers used, sorted.
    pub fn license_refs(&self) -> impl Iterator<Item = &str> {
        self.refs.iter().map(|(r, _)| r.as_str())
    }

    /// The `LicenseRef-…`/`AdditionRef-…` identifiers with the text each was made from.
    pub(crate) fn refs_with_source(&self) -> &[(String, String)] {
        &self.refs
    }
}

impl fmt::Display for LicenseExpression {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl std::str::FromStr for LicenseExpression {
    type Err = LicenseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        LicenseExpression::parse(s)
    }
}

fn license_item(item: &LicenseItem, refs: &mut Vec<(String, String)>) -> String {
    match item {
        LicenseItem::Spdx { id, or_later } => {
            let name = id.name;
            if id.is_gnu() && !name.ends_with("-only") && !name.ends_with("-or-later") {
                // Deprecated bare GNU identifiers: GPL-2.0 → GPL-2.0-only, GPL-2.0+ →
                // GPL-2.0-or-later, where the list has them.
                if let Some(g) = spdx::gnu_license_id(name, *or_later) {
                    return g.name.to_owned();
                }
            }
            if *or_later && !id.is_gnu() {
                format!("{name}+")
            } else {
                name.to_owned()
            }
        }
        LicenseItem::Other(r) => {
            let prefix = match &r.doc_ref {
                Some(d) => format!("DocumentRef-{}:", ref_id(d)),
                None => String::new(),
            };
            let id = format!("{prefix}LicenseRef-{}", ref_id(&r.lic_ref));
            refs.push((id.clone(), r.lic_ref.clone()));
            id
        }
    }
}

fn addition_item(item: &AdditionItem, refs: &mut Vec<(String, String)>) -> String {
    match item {
        AdditionItem::Spdx(id) => id.name.to_owned(),
        AdditionItem::Other(r) => {
            let prefix = match &r.doc_ref {
                Some(d) => format!("DocumentRef-{}:", ref_id(d)),
                None => String::new(),
            };
            let id = format!("{prefix}AdditionRef-{}", ref_id(&r.add_ref));
            refs.push((id.clone(), r.add_ref.clone()));
            id
        }
    }
}

/// An idstring as SPDX allows it (`[A-Za-z0-9.-]+`): other characters become `-`.
pub(crate) fn ref_id(text: &str) -> String {
    let s: String = text
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '-'
            }
        })
        .collect();
    if s.is_empty() { "unknown".into() } else { s }
}

/// What a package says about its license.
///
/// ```
/// use consign_sbom::License;
/// let l = License::from_cargo(Some("MIT/Apache-2.0"), None)?;
/// assert_eq!(l.expression().map(|e| e.as_str()), Some("MIT OR Apache-2.0"));
/// let f = License::from_cargo(None, Some("LICENSE.txt"))?;
/// assert_eq!(f, License::File("LICENSE.txt".into()));
/// assert_eq!(License::from_cargo(None, None)?, License::NotDeclared);
/// # Ok::<(), consign_sbom::LicenseError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum License {
    /// An SPDX expression (Cargo's `license`).
    Expression(LicenseExpression),
    /// A license file and no expression (Cargo's `license-file`), relative to the package root.
    File(String),
    /// A license text that is not an SPDX expression, kept verbatim (only with
    /// [`LicensePolicy::Keep`](crate::LicensePolicy::Keep)).
    Text(String),
    /// Nothing declared.
    NotDeclared,
}

impl License {
    /// From Cargo's `license` and `license-file` fields; the expression wins when both are
    /// given, as on crates.io.
    pub fn from_cargo(
        license: Option<&str>,
        license_file: Option<&str>,
    ) -> Result<License, LicenseError> {
        match (
            license.map(str::trim).filter(|l| !l.is_empty()),
            license_file,
        ) {
            (Some(l), _) => LicenseExpression::parse(l).map(License::Expression),
            (None, Some(f)) => Ok(License::File(f.replace('\\', "/"))),
            (None, None) => Ok(License::NotDeclared),
        }
    }

    /// The expression, when one was declared.
    pub fn expression(&self) -> Option<&LicenseExpression> {
        match self {
            License::Expression(e) => Some(e),
            _ => None,
        }
    }
}

/// A license field that is not an SPDX expression.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{value:?} is not an SPDX license expression: {reason}")]
pub struct LicenseError {
    /// The text given.
    pub value: String,
    /// What is wrong with it.
    pub reason: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn norm(s: &str) -> String {
        LicenseExpression::parse(s).unwrap().as_str().to_owned()
    }

    #[test]
    fn normal_forms() {
        assert_eq!(norm("MIT"), "MIT");
        assert_eq!(norm("MIT OR Apache-2.0"), "MIT OR Apache-2.0");
        assert_eq!(norm("MIT/Apache-2.0"), "MIT OR Apache-2.0");
        assert_eq!(norm("Apache-2.0 / MIT"), "Apache-2.0 OR MIT");
        assert_eq!(norm("MIT and BSD-3-Clause"), "MIT AND BSD-3-Clause");
        assert_eq!(norm("Apache2"), "Apache-2.0");
        assert_eq!(
            norm("Apache-2.0 WITH LLVM-exception OR Apache-2.0 OR MIT"),
            "Apache-2.0 WITH LLVM-exception OR Apache-2.0 OR MIT"
        );
        assert_eq!(
            norm("(MIT OR Apache-2.0) AND Unicode-3.0"),
            "(MIT OR Apache-2.0) AND Unicode-3.0"
        );
        assert_eq!(
            norm("MIT AND (Apache-2.0 AND BSD-2-Clause)"),
            "MIT AND Apache-2.0 AND BSD-2-Clause"
        );
        assert_eq!(norm("((MIT))"), "MIT");
        assert_eq!(norm("GPL-2.0"), "GPL-2.0-only");
        assert_eq!(norm("GPL-3.0+"), "GPL-3.0-or-later");
        assert_eq!(norm("LGPL-2.1-or-later"), "LGPL-2.1-or-later");
        assert_eq!(norm("Apache-1.0+"), "Apache-1.0+");
        assert_eq!(norm("MIT OR LicenseRef-Custom"), "MIT OR LicenseRef-Custom");
    }

    #[test]
    fn unknown_identifiers_become_refs() {
        let e = LicenseExpression::parse("Proprietary AND MIT").unwrap();
        assert_eq!(e.as_str(), "LicenseRef-Proprietary AND MIT");
        assert_eq!(
            e.refs_with_source(),
            [(
                "LicenseRef-Proprietary".to_owned(),
                "Proprietary".to_owned()
            )]
        );
        let e = LicenseExpression::parse("MIT WITH Foo-exception").unwrap();
        assert_eq!(e.as_str(), "MIT WITH AdditionRef-Foo-exception");
    }

    #[test]
    fn unparseable_is_an_error_naming_the_value() {
        for bad in [
            "",
            "MIT OR",
            "(MIT",
            "MIT)",
            "MIT Apache-2.0",
            "MIT AND OR BSD-3-Clause",
            "Some license, see file",
        ] {
            let e = LicenseExpression::parse(bad).unwrap_err();
            assert_eq!(e.value, bad);
            assert!(
                e.to_string().contains("is not an SPDX license expression"),
                "{e}"
            );
        }
        assert!(License::from_cargo(Some("MIT OR"), None).is_err());
    }

    #[test]
    fn normal_form_is_a_fixed_point() {
        for s in [
            "MIT/Apache-2.0",
            "(MIT OR Apache-2.0) AND GPL-2.0+",
            "A AND (B OR C)",
            "Zlib OR (MIT AND ISC)",
        ] {
            let once = norm(s);
            assert_eq!(norm(&once), once, "{s}");
        }
    }
}
