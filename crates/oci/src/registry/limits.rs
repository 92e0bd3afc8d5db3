//! What the client accepts from a registry it does not trust: bounded bodies, credentials
//! only for their origin, no downgrade from HTTPS.

use futures_util::StreamExt;
use reqwest::{Response, Url};

use super::RegistryError;

/// The most of a token service's answer that is read.
pub(crate) const MAX_TOKEN_BODY: usize = 64 << 10;

/// The most of a tag list page or a referrers index that is read.
pub(crate) const MAX_LIST_BODY: usize = 4 << 20;

/// Reads `response`'s body, refusing one longer than `limit` bytes (announced or sent)
/// without reading further.
pub(crate) async fn read_capped(
    response: Response,
    limit: usize,
    what: &str,
) -> Result<Vec<u8>, RegistryError> {
    let too_large = || RegistryError::Protocol {
        what: what.to_owned(),
        detail: format!("the answer is larger than the {limit} bytes read"),
    };
    if response.content_length().is_some_and(|n| n > limit as u64) {
        return Err(too_large());
    }
    let mut body = Vec::new();
    let mut stream = response.bytes_stream();
    while let Some(piece) = stream.next().await {
        let piece = piece.map_err(|source| RegistryError::Dropped {
            what: what.to_owned(),
            source,
        })?;
        if body.len() + piece.len() > limit {
            return Err(too_large());
        }
        body.extend_from_slice(&piece);
    }
    Ok(body)
}

/// Whether `a` and `b` have the same origin: scheme, host and port.
pub(crate) fn same_origin(a: &Url, b: &Url) -> bool {
    a.scheme() == b.scheme()
        && a.host_str() == b.host_str()
        && a.port_or_known_default() == b.port_or_known_default()
}

/// The most redirects followed for one request.
const MAX_REDIRECTS: usize = 10;

/// How the client follows HTTP redirects (blob downloads are often sent to a CDN): at most
/// [`MAX_REDIRECTS`], never from HTTPS to plain HTTP. The HTTP client drops `Authorization`
/// when a redirect leaves the host, so the registry's credentials stay with it.
pub(crate) fn redirect_policy() -> reqwest::redirect::Policy {
    reqwest::redirect::Policy::custom(|attempt| {
        let downgrade = attempt
            .previous()
            .last()
            .is_some_and(|from| leaves_https(from, attempt.url()));
        if downgrade {
            let to = attempt.url().to_string();
            attempt.error(format!("refusing a redirect from HTTPS to {to}"))
        } else if attempt.previous().len() > MAX_REDIRECTS {
            attempt.error(format!("more than {MAX_REDIRECTS} redirects"))
        } else {
            attempt.follow()
        }
    })
}

/// Whether going from `from` to `to` leaves HTTPS.
fn leaves_https(from: &Url, to: &Url) -> bool {
    from.scheme() == "https" && to.scheme() != "https"
}

/// Refuses to follow `next` (a `Location` or `Link`) from an HTTPS registry to plain HTTP.
pub(crate) fn no_downgrade(base: &Url, next: &Url, what: &str) -> Result<(), RegistryError> {
    if leaves_https(base, next) {
        return Err(RegistryError::Protocol {
            what: what.to_owned(),
            detail: format!("the registry sent us to {next}: refusing to leave HTTPS"),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_are_scheme_host_and_port() {
        let url = |s: &str| Url::parse(s).unwrap();
        let base = url("https://registry.example/v2/");
        assert!(same_origin(
            &base,
            &url("https://registry.example:443/upload?x")
        ));
        assert!(!same_origin(&base, &url("http://registry.example/upload")));
        assert!(!same_origin(
            &base,
            &url("https://registry.example:8443/upload")
        ));
        assert!(!same_origin(&base, &url("https://other.example/upload")));
        assert!(no_downgrade(&base, &url("http://registry.example/x"), "t").is_err());
        assert!(no_downgrade(&base, &url("https://cdn.example/x"), "t").is_ok());
        assert!(leaves_https(&base, &url("http://registry.example/v2/x")));
        assert!(!leaves_https(&base, &url("https://cdn.example/x")));
        assert!(!leaves_https(
            &url("http://127.0.0.1/"),
            &url("http://127.0.0.2/")
        ));
        let plain = url("http://127.0.0.1:5000/v2/");
        assert!(no_downgrade(&plain, &url("http://127.0.0.1:5001/x"), "t").is_ok());
    }
}
