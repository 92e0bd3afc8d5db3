//! The registry's HTTP headers the client acts on, parsed: [`Challenge`] (`WWW-Authenticate`),
//! [`next_link`] (`Link`, tag list pagination) and [`RetryAfter`] (`Retry-After`).
//!
//! Every value comes from a server the client does not trust: the parsers never panic, never
//! allocate more than the header's own length, and answer `None` for what they cannot use.
//! [`Client`](super::Client) reads its responses with these same functions; a program that
//! talks to a registry (or its token service) through another HTTP client can use them too.
//!
//! ```
//! use std::time::{Duration, SystemTime};
//! use consign_oci::registry::header::{Challenge, RetryAfter, next_link};
//! use consign_oci::registry::reqwest::Url;
//!
//! let challenge = Challenge::parse(
//!     r#"Bearer realm="https://auth.example/token",service="registry.example",scope="repository:acme/tool:pull""#,
//! );
//! assert_eq!(challenge.as_ref().and_then(Challenge::realm), Some("https://auth.example/token"));
//!
//! let page = Url::parse("https://registry.example/v2/acme/tool/tags/list?n=100")?;
//! let next = next_link(r#"</v2/acme/tool/tags/list?last=v1.9&n=100>; rel="next""#, &page);
//! assert_eq!(next.unwrap().as_str(), "https://registry.example/v2/acme/tool/tags/list?last=v1.9&n=100");
//!
//! let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
//! assert_eq!(RetryAfter::parse("30").map(|r| r.wait(now)), Some(Duration::from_secs(30)));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::fmt;
use std::time::{Duration, SystemTime};

use reqwest::Url;

/// A `WWW-Authenticate` challenge the client can answer: HTTP Basic, or a bearer token from
/// the token service at `realm` (the distribution specification's token authentication).
///
/// [`Challenge::parse`] reads the first challenge of a header; `Display` writes it back as a
/// header value that parses to the same challenge.
///
/// ```
/// use consign_oci::registry::header::Challenge;
///
/// let header = r#"Bearer realm="https://ghcr.io/token",service="ghcr.io",scope="repository:acme/tool:pull,push""#;
/// let Some(Challenge::Bearer { realm, service, scope }) = Challenge::parse(header) else {
///     panic!("a bearer challenge");
/// };
/// assert_eq!(realm, "https://ghcr.io/token");
/// assert_eq!(service.as_deref(), Some("ghcr.io"));
/// // A quoted value keeps its commas.
/// assert_eq!(scope.as_deref(), Some("repository:acme/tool:pull,push"));
///
/// let basic = Challenge::parse(r#"Basic realm="Registry Realm""#).unwrap();
/// assert_eq!(basic.to_string(), r#"Basic realm="Registry Realm""#);
/// assert_eq!(Challenge::parse("Negotiate"), None);
/// assert_eq!(Challenge::parse("Bearer service=x"), None, "a bearer challenge needs a realm");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Challenge {
    /// `Basic`: send the user name and password with every request.
    Basic {
        /// The protection space the registry names, if any (informational).
        realm: Option<String>,
    },
    /// `Bearer`: get a token from `realm` and send it with every request.
    Bearer {
        /// The token service's URL.
        realm: String,
        /// The `service` parameter to pass to the token service.
        service: Option<String>,
        /// The scope the registry asked for (`repository:acme/tool:pull`), if it said.
        scope: Option<String>,
    },
}

impl Challenge {
    /// Parses the first challenge of a `WWW-Authenticate` header value: `None` when its scheme
    /// is neither Basic nor Bearer, or a bearer challenge has no realm. Scheme and parameter
    /// names are case-insensitive; quoted values may hold commas and `\"`; the first of
    /// repeated parameters counts.
    pub fn parse(header: &str) -> Option<Challenge> {
        let header = header.trim();
        let (scheme, rest) = header.split_once(' ').unwrap_or((header, ""));
        let params = parse_params(rest);
        let get = |k: &str| {
            params
                .iter()
                .find(|(key, _)| key.eq_ignore_ascii_case(k))
                .map(|(_, v)| v.clone())
        };
        if scheme.eq_ignore_ascii_case("basic") {
            Some(Challenge::Basic {
                realm: get("realm"),
            })
        } else if scheme.eq_ignore_ascii_case("bearer") {
            Some(Challenge::Bearer {
                realm: get("realm")?,
                service: get("service"),
                scope: get("scope"),
            })
        } else {
            None
        }
    }

    /// The realm: the token service's URL for bearer, the protection space for Basic.
    pub fn realm(&self) -> Option<&str> {
        match self {
            Challenge::Basic { realm } => realm.as_deref(),
            Challenge::Bearer { realm, .. } => Some(realm),
        }
    }
}

impl fmt::Display for Challenge {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (scheme, params): (&str, [(&str, Option<&str>); 3]) = match self {
            Challenge::Basic { realm } => (
                "Basic",
                [("realm", realm.as_deref()), ("", None), ("", None)],
            ),
            Challenge::Bearer {
                realm,
                service,
                scope,
            } => (
                "Bearer",
                [
                    ("realm", Some(realm)),
                    ("service", service.as_deref()),
                    ("scope", scope.as_deref()),
                ],
            ),
        };
        f.write_str(scheme)?;
        let mut first = true;
        for (key, value) in params {
            let Some(value) = value else { continue };
            let quoted = value.replace('\\', "\\\\").replace('"', "\\\"");
            let sep = if first { " " } else { "," };
            write!(f, "{sep}{key}=\"{quoted}\"")?;
            first = false;
        }
        Ok(())
    }
}

/// `k="v, w",k2=token` → pairs (quoted values may hold commas and `\"`).
fn parse_params(text: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut chars = text.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| *c == ',' || c.is_whitespace()) {
            chars.next();
        }
        let key: String = std::iter::from_fn(|| chars.next_if(|c| *c != '=' && *c != ','))
            .collect::<String>()
            .trim()
            .to_owned();
        if key.is_empty() || chars.next() != Some('=') {
            return out;
        }
        let mut value = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            while let Some(c) = chars.next() {
                match c {
                    '\\' => value.extend(chars.next()),
                    '"' => break,
                    c => value.push(c),
                }
            }
        } else {
            value = std::iter::from_fn(|| chars.next_if(|c| *c != ','))
                .collect::<String>()
                .trim()
                .to_owned();
        }
        out.push((key, value));
    }
}

/// The `rel="next"` target of a `Link` header value (RFC 8288), resolved against `current`,
/// the URL of the page that carried it; `None` when no link has the relation `next` or its
/// target is not a URL.
///
/// Targets may hold commas and semicolons (they end at `>`); `rel` may list several relations
/// (`rel="next last"`). The answer can point anywhere: a client should check its scheme and
/// host before following it (the [`Client`](super::Client) refuses to leave HTTPS and sends
/// credentials only to the registry's own origin).
///
/// ```
/// use consign_oci::registry::header::next_link;
/// use consign_oci::registry::reqwest::Url;
///
/// let page = Url::parse("http://127.0.0.1:5000/v2/a/tags/list?n=2")?;
/// let header = r#"</v2/a/tags/list?n=2>; rel="prev", </v2/a/tags/list?last=b&n=2>; rel="next""#;
/// assert_eq!(
///     next_link(header, &page).unwrap().as_str(),
///     "http://127.0.0.1:5000/v2/a/tags/list?last=b&n=2"
/// );
/// assert_eq!(next_link(r#"</v2/a/tags/list>; rel="prev""#, &page), None);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn next_link(header: &str, current: &Url) -> Option<Url> {
    let mut rest = header;
    loop {
        rest = rest.trim_start_matches(|c: char| c == ',' || c.is_whitespace());
        let target;
        (target, rest) = rest.strip_prefix('<')?.split_once('>')?;
        let (params, after) = split_link_params(rest);
        rest = after;
        let is_next = params.split(';').any(|p| {
            let Some((key, value)) = p.split_once('=') else {
                return false;
            };
            let value = value.trim();
            let value = value
                .strip_prefix('"')
                .and_then(|v| v.strip_suffix('"'))
                .unwrap_or(value);
            key.trim().eq_ignore_ascii_case("rel")
                && value
                    .split_ascii_whitespace()
                    .any(|r| r.eq_ignore_ascii_case("next"))
        });
        if is_next {
            return current.join(target.trim()).ok();
        }
    }
}

/// Splits the parameters of one link (up to a `,` outside quotes) from the links after it.
fn split_link_params(text: &str) -> (&str, &str) {
    let mut quoted = false;
    for (i, c) in text.char_indices() {
        match c {
            '"' => quoted = !quoted,
            ',' if !quoted => return (&text[..i], &text[i + 1..]),
            _ => {}
        }
    }
    (text, "")
}

/// A `Retry-After` value: a delay in seconds, or the date after which to retry.
///
/// The [`Client`](super::Client) waits for it before retrying a 429 or 5xx answer when it is
/// longer than its own backoff, never past the retry deadline ([`RetryPolicy::delay`]).
///
/// ```
/// use std::time::{Duration, SystemTime};
/// use consign_oci::registry::RetryPolicy;
/// use consign_oci::registry::header::RetryAfter;
///
/// let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_445_412_480);
/// let date = RetryAfter::parse("Wed, 21 Oct 2015 07:28:30 GMT").unwrap();
/// assert_eq!(date.wait(now), Duration::from_secs(30));
/// assert_eq!(date.to_string(), "Wed, 21 Oct 2015 07:28:30 GMT");
/// // A date already past: retry at once.
/// assert_eq!(date.wait(now + Duration::from_secs(60)), Duration::ZERO);
///
/// // A registry asking for a day is waited for no longer than the policy's deadline.
/// let policy = RetryPolicy::default().deadline(Duration::from_secs(120));
/// let day = RetryAfter::parse("86400").unwrap();
/// assert_eq!(policy.delay(0, Some(day.wait(now))), Duration::from_secs(120));
/// assert_eq!(RetryAfter::parse("soon"), None);
/// ```
///
/// [`RetryPolicy::delay`]: super::RetryPolicy::delay
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RetryAfter {
    /// Retry after this long.
    Delay(Duration),
    /// Retry after this time.
    Date(SystemTime),
}

impl RetryAfter {
    /// Parses delay seconds (`120`) or an HTTP date (`Wed, 21 Oct 2015 07:28:30 GMT`, and the
    /// obsolete RFC 850 and asctime forms); surrounding whitespace is ignored.
    pub fn parse(value: &str) -> Option<RetryAfter> {
        let value = value.trim();
        if value.bytes().all(|b| b.is_ascii_digit()) {
            // All digits: seconds, saturating (a delay that long is a deadline's business).
            let seconds = value.parse::<u64>().unwrap_or(u64::MAX);
            return (!value.is_empty()).then(|| RetryAfter::Delay(Duration::from_secs(seconds)));
        }
        httpdate::parse_http_date(value).ok().map(RetryAfter::Date)
    }

    /// How long to wait from `now` (zero for a date already past).
    pub fn wait(&self, now: SystemTime) -> Duration {
        match self {
            RetryAfter::Delay(d) => *d,
            RetryAfter::Date(when) => when.duration_since(now).unwrap_or(Duration::ZERO),
        }
    }
}

impl fmt::Display for RetryAfter {
    /// Seconds, or an IMF-fixdate (`Wed, 21 Oct 2015 07:28:30 GMT`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RetryAfter::Delay(d) => write!(f, "{}", d.as_secs()),
            RetryAfter::Date(when) => f.write_str(&httpdate::fmt_http_date(*when)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bearer(realm: &str, service: Option<&str>, scope: Option<&str>) -> Challenge {
        Challenge::Bearer {
            realm: realm.into(),
            service: service.map(Into::into),
            scope: scope.map(Into::into),
        }
    }

    #[test]
    fn challenges_parse_with_quoted_commas() {
        let c = Challenge::parse(
            r#"Bearer realm="https://auth.example/token",service="registry.example",scope="repository:a/b:pull,push""#,
        );
        assert_eq!(
            c,
            Some(bearer(
                "https://auth.example/token",
                Some("registry.example"),
                Some("repository:a/b:pull,push")
            ))
        );
        assert_eq!(
            Challenge::parse(r#"basic REALM="Registry Realm""#),
            Some(Challenge::Basic {
                realm: Some("Registry Realm".into())
            })
        );
        assert_eq!(
            Challenge::parse("Basic"),
            Some(Challenge::Basic { realm: None })
        );
        assert_eq!(Challenge::parse("Bearer service=x"), None);
        assert_eq!(Challenge::parse("Negotiate"), None);
        let p = parse_params(r#"a="x\"y", b = tok ,c="1,2""#);
        assert_eq!(
            p,
            [
                ("a".into(), "x\"y".into()),
                ("b".into(), "tok".into()),
                ("c".into(), "1,2".into())
            ]
        );
    }

    proptest::proptest! {
        #[test]
        fn challenge_parsing_never_panics(header in "\\PC{0,80}") {
            if let Some(c) = Challenge::parse(&header) {
                proptest::prop_assert_eq!(Challenge::parse(&c.to_string()), Some(c));
            }
        }

        #[test]
        fn challenges_read_back_what_they_write(
            realm in "\\PC{0,24}",
            service in proptest::option::of("\\PC{0,24}"),
            scope in proptest::option::of("\\PC{0,24}"),
        ) {
            let c = bearer(&realm, service.as_deref(), scope.as_deref());
            proptest::prop_assert_eq!(Challenge::parse(&c.to_string()), Some(c));
        }

        #[test]
        fn quoted_values_round_trip(
            key in "[a-z]{1,8}",
            value in "[ -~]{0,24}",
            other in "[a-z0-9]{1,8}",
        ) {
            let quoted = value.replace('\\', "\\\\").replace('"', "\\\"");
            let parsed = parse_params(&format!("{key}=\"{quoted}\", next={other}"));
            proptest::prop_assert_eq!(
                parsed,
                vec![(key, value), ("next".to_owned(), other)]
            );
        }
    }

    #[test]
    fn link_headers() {
        let current = Url::parse("http://127.0.0.1:5000/v2/a/tags/list?n=2").unwrap();
        let next = |h: &str| next_link(h, &current).map(String::from);
        assert_eq!(
            next(r#"</v2/a/tags/list?last=b&n=2>; rel="next""#).as_deref(),
            Some("http://127.0.0.1:5000/v2/a/tags/list?last=b&n=2")
        );
        assert_eq!(next(r#"</v2/a/tags/list?last=b>; rel="prev""#), None);
        // Commas inside the target and inside quoted parameters; several relations.
        assert_eq!(
            next(r#"</x?a=1,2>; title="a, b"; rel=prev, </y?c=3,4>; REL="last next""#).as_deref(),
            Some("http://127.0.0.1:5000/y?c=3,4")
        );
        assert_eq!(
            next("<https://other.example/p>;rel=next").as_deref(),
            Some("https://other.example/p")
        );
        for bad in [
            "",
            "garbage",
            "<unclosed; rel=next",
            "/x; rel=next",
            "<x>; rel=nextish",
        ] {
            assert_eq!(next(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn retry_after_as_seconds_and_dates() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let wait = |v: &str| RetryAfter::parse(v).map(|r| r.wait(now));
        assert_eq!(wait(" 3 "), Some(Duration::from_secs(3)));
        let later = httpdate::fmt_http_date(now + Duration::from_secs(5));
        assert_eq!(wait(&later), Some(Duration::from_secs(5)));
        let earlier = httpdate::fmt_http_date(now - Duration::from_secs(5));
        assert_eq!(wait(&earlier), Some(Duration::ZERO));
        assert_eq!(
            wait("99999999999999999999999"),
            Some(Duration::from_secs(u64::MAX))
        );
        for bad in ["soon", "", "-1", "+5", "1.5"] {
            assert_eq!(RetryAfter::parse(bad), None, "{bad:?}");
        }
    }

    proptest::proptest! {
        #[test]
        fn retry_after_never_panics_and_reads_seconds(text in "\\PC{0,40}", secs in 0u64..1_000_000) {
            let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
            if let Some(r) = RetryAfter::parse(&text) {
                let _ = r.wait(now);
                proptest::prop_assert_eq!(RetryAfter::parse(&r.to_string()), Some(r));
            }
            proptest::prop_assert_eq!(
                RetryAfter::parse(&secs.to_string()).map(|r| r.wait(now)),
                Some(Duration::from_secs(secs))
            );
        }
    }
}
