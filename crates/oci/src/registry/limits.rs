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

/// Refuses to follow `next` (a `Location` or `Link`) from an HTTPS registry to plain HTTP.
pub(crate) fn no_downgrade(base: &Url, next: &Url, what: &str) -> Result<(), RegistryError> {
    if base.scheme() == "https" && next.scheme() != "https" {
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
        let plain = url("http://127.0.0.1:5000/v2/");
        assert!(no_downgrade(&plain, &url("http://127.0.0.1:5001/x"), "t").is_ok());
    }
}
