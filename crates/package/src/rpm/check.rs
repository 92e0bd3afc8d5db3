//! The rules rpm (rpmbuild's spec parser) applies to names, versions and dependencies.

use crate::Error;

fn invalid(field: &'static str, value: &str, reason: &'static str) -> Error {
    Error::Invalid {
        field,
        value: value.to_owned(),
        reason,
    }
}

/// A package name: letters, digits and `._+-`, starting with a letter, digit or `_`, no `..`.
pub(crate) fn name(field: &'static str, value: &str) -> Result<(), Error> {
    let first_ok = value
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_');
    let rest_ok = value
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "._+-".contains(c));
    if !first_ok || !rest_ok || value.contains("..") {
        return Err(invalid(
            field,
            value,
            "use ASCII letters, digits and ._+-, starting with a letter, digit or _",
        ));
    }
    Ok(())
}

/// A version or release: letters, digits and `._+~^`, non-empty, no `..` (and so no `-`,
/// which separates version from release).
pub(crate) fn version(field: &'static str, value: &str) -> Result<(), Error> {
    if value.is_empty()
        || value.contains("..")
        || !value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._+~^".contains(c))
    {
        return Err(invalid(
            field,
            value,
            "use ASCII letters, digits and ._+~^ (no '-': write 1.0~rc1 for a pre-release)",
        ));
    }
    Ok(())
}

/// A dependency name: starts with a letter, digit, `_` or `/` (a file), no whitespace or
/// control characters; or a rich dependency in parentheses (`(a or b)`).
pub(crate) fn dependency_name(value: &str) -> Result<(), Error> {
    if is_rich(value) {
        let mut depth = 0i32;
        for c in value.chars() {
            match c {
                '(' => depth += 1,
                ')' => depth -= 1,
                c if c.is_control() => depth = -1,
                _ => {}
            }
            if depth < 0 {
                break;
            }
        }
        if depth != 0 {
            return Err(invalid(
                "dependency",
                value,
                "a rich dependency needs balanced parentheses",
            ));
        }
        return Ok(());
    }
    let first_ok = value
        .chars()
        .next()
        .is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '/');
    if !first_ok || value.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(invalid(
            "dependency",
            value,
            "start with a letter, digit, _ or /, and use no spaces",
        ));
    }
    Ok(())
}

/// True for a rich (boolean) dependency.
pub(crate) fn is_rich(name: &str) -> bool {
    name.starts_with('(') && name.ends_with(')')
}

/// An `[epoch:]version[-release]` in a dependency.
pub(crate) fn evr(value: &str) -> Result<(), Error> {
    let chars_ok = !value.is_empty()
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._+~^-:".contains(c))
        && !value.contains("..");
    let (epoch, rest) = match value.split_once(':') {
        Some((e, r)) => (Some(e), r),
        None => (None, value),
    };
    let epoch_ok = epoch.is_none_or(|e| !e.is_empty() && e.bytes().all(|b| b.is_ascii_digit()));
    let parts_ok = !rest.contains(':')
        && rest.matches('-').count() <= 1
        && rest.split('-').all(|p| !p.is_empty());
    if !(chars_ok && epoch_ok && parts_ok) {
        return Err(invalid(
            "dependency version",
            value,
            "write [epoch:]version[-release] with letters, digits and ._+~^",
        ));
    }
    Ok(())
}

/// Free text stored in the header: no NUL byte.
pub(crate) fn text(field: &'static str, value: &str) -> Result<(), Error> {
    if value.contains('\0') {
        return Err(invalid(field, value, "it contains a NUL byte"));
    }
    Ok(())
}

/// A one-line header value (summary, user and group names): no line breaks either.
pub(crate) fn line(field: &'static str, value: &str) -> Result<(), Error> {
    if value.is_empty() || value.contains(['\0', '\n', '\r']) {
        return Err(invalid(field, value, "give one non-empty line"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        for ok in ["hello", "lib_foo2.0+x", "_private", "a-b-c"] {
            assert!(name("name", ok).is_ok(), "{ok}");
        }
        for bad in ["", "-x", ".x", "a b", "a/b", "a..b", "é", "a:b"] {
            match name("name", bad) {
                Err(Error::Invalid { field, value, .. }) => {
                    assert_eq!((field, value.as_str()), ("name", bad));
                }
                other => panic!("{bad:?}: {other:?}"),
            }
        }
    }

    #[test]
    fn versions_and_releases() {
        for ok in ["1", "1.2.3", "1.0~rc1", "1.0^git1", "2+build.5", "1_2"] {
            assert!(version("version", ok).is_ok(), "{ok}");
        }
        for bad in ["", "1.0-1", "1:2", "1 2", "1..2", "v/1"] {
            let err = version("release", bad).unwrap_err().to_string();
            assert!(err.contains(&format!("{bad:?}")), "{err}");
        }
    }

    #[test]
    fn dependencies() {
        for ok in [
            "glibc",
            "/bin/sh",
            "rpmlib(FileDigests)",
            "(a or b)",
            "perl(Foo::Bar)",
        ] {
            assert!(dependency_name(ok).is_ok(), "{ok}");
        }
        for bad in ["", "a b", "-x", "(a or b", "a\nb"] {
            assert!(dependency_name(bad).is_err(), "{bad:?}");
        }
        for ok in ["1", "1.2-3", "2:1.0", "0:1.0~rc1-1.fc40"] {
            assert!(evr(ok).is_ok(), "{ok}");
        }
        for bad in ["", "1-2-3", "a:1", ":1", "1:2:3", "1.0-", "1 2"] {
            assert!(evr(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn lines_and_text() {
        assert!(line("summary", "One line").is_ok());
        assert!(line("summary", "two\nlines").is_err());
        assert!(line("summary", "").is_err());
        assert!(text("description", "many\nlines").is_ok());
        assert!(text("description", "nul\0").is_err());
    }
}
