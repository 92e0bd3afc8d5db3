//! Moving a dependency requirement on a workspace crate to that crate's new version.

use semver::{Op, Version, VersionReq};

/// The requirement `req` rewritten for `new`: a single `=`, `^`, `~`, `>=` or bare comparator
/// keeps its operator (spacing included) and names the whole new version (`"0.1"` → `"0.2.0"`, `"=0.1.0"` →
/// `"=0.2.0"`); any other requirement is kept when it already accepts `new`. `None` when it
/// cannot be rewritten without changing its meaning.
pub(crate) fn rewrite(req: &str, new: &Version) -> Option<String> {
    let trimmed = req.trim();
    let parsed = VersionReq::parse(trimmed).ok()?;
    let simple = match parsed.comparators.as_slice() {
        [c] => {
            matches!(c.op, Op::Exact | Op::Caret | Op::Tilde | Op::GreaterEq)
                && !trimmed.contains('*')
                && !trimmed.contains(['x', 'X'])
        }
        _ => false,
    };
    if simple {
        // The operator as written, with its spacing (`= 1.2.3` stays `= …`), and the spaces
        // around the requirement.
        let op_len = trimmed.find(|c: char| c.is_ascii_digit())?;
        let op = &trimmed[..op_len];
        let lead = &req[..req.len() - req.trim_start().len()];
        let trail = &req[req.trim_end().len()..];
        return Some(format!("{lead}{op}{new}{trail}"));
    }
    parsed.matches(new).then(|| req.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn operators_are_kept() {
        let v = Version::parse("0.2.0").unwrap();
        assert_eq!(rewrite("0.1.0", &v).as_deref(), Some("0.2.0"));
        assert_eq!(rewrite("0.1", &v).as_deref(), Some("0.2.0"));
        assert_eq!(rewrite("=0.1.0", &v).as_deref(), Some("=0.2.0"));
        assert_eq!(rewrite("^0.1.0", &v).as_deref(), Some("^0.2.0"));
        assert_eq!(rewrite("~0.1.0", &v).as_deref(), Some("~0.2.0"));
        assert_eq!(rewrite(">=0.1.0", &v).as_deref(), Some(">=0.2.0"));
        assert_eq!(rewrite("= 0.1.0", &v).as_deref(), Some("= 0.2.0"));
        assert_eq!(rewrite(" ^0.1 ", &v).as_deref(), Some(" ^0.2.0 "));
        assert_eq!(rewrite(">= 0.1", &v).as_deref(), Some(">= 0.2.0"));
        assert_eq!(rewrite(">=0.1, <0.3", &v).as_deref(), Some(">=0.1, <0.3"));
        assert_eq!(rewrite(">=0.1, <0.2", &v), None);
        assert_eq!(rewrite("*", &v).as_deref(), Some("*"));
        assert_eq!(rewrite("0.1.*", &v), None);
        assert_eq!(rewrite("not a req", &v), None);
        let rc = Version::parse("1.0.0-rc.1").unwrap();
        assert_eq!(rewrite("0.9", &rc).as_deref(), Some("1.0.0-rc.1"));
    }

    proptest! {
        #[test]
        fn rewritten_requirements_accept_the_new_version(req in "\\PC{0,24}", major in 0u64..5, minor in 0u64..5) {
            let v = Version::new(major, minor, 1);
            if let Some(out) = rewrite(&req, &v) {
                prop_assert!(VersionReq::parse(&out).unwrap().matches(&v), "{req:?} -> {out:?}");
            }
        }
    }
}
