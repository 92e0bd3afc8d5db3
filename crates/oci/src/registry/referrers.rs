//! Referrers: the OCI 1.1 referrers API, and the referrers tag schema (`sha256-<hex>` tags
//! holding an index) for registries without it.

use consign_core::Digest;
use reqwest::StatusCode;
use reqwest::header::ACCEPT;
use serde_json::{Map, Value};

use super::client::Scope;
use super::limits::{MAX_LIST_BODY, read_capped};
use super::{Client, RegistryError};
use crate::{Descriptor, Error, MediaType, Reference, Repository, Tag};

impl Client {
    /// The manifests that name `subject` as their subject, optionally only those of
    /// `artifact_type`. Uses `GET /v2/<repo>/referrers/<digest>`; when the registry lacks the
    /// API (404), reads the referrers tag instead (none when it does not exist).
    pub async fn referrers(
        &self,
        repo: &Repository,
        subject: &Digest,
        artifact_type: Option<&MediaType>,
    ) -> Result<Vec<Descriptor>, Error> {
        let what = format!("referrers of {subject} in {repo}");
        let mut url = self.url(repo, &format!("referrers/{subject}"))?;
        if let Some(t) = artifact_type {
            url.query_pairs_mut()
                .append_pair("artifactType", t.as_str());
        }
        let http = self.inner.http.clone();
        let response = self
            .send(&what, &Scope::pull(repo), &mut || {
                Ok(http
                    .get(url.clone())
                    .header(ACCEPT, MediaType::ImageIndex.as_str()))
            })
            .await?;
        let index_bytes = match response.status() {
            s if s.is_success() => read_capped(response, MAX_LIST_BODY, &what).await?,
            StatusCode::NOT_FOUND => match self.fallback_index(repo, subject).await? {
                Some(bytes) => bytes,
                None => return Ok(Vec::new()),
            },
            _ => return Err(Client::status_error(&what, response, "").await.into()),
        };
        let manifests = index_entries(&index_bytes).map_err(|detail| RegistryError::Protocol {
            what: what.clone(),
            detail,
        })?;
        let mut out = Vec::with_capacity(manifests.len());
        for entry in manifests {
            let d: Descriptor =
                serde_json::from_value(entry).map_err(|e| RegistryError::Protocol {
                    what: what.clone(),
                    detail: format!("bad descriptor in the referrers index: {e}"),
                })?;
            if artifact_type.is_none_or(|t| d.artifact_type.as_ref() == Some(t)) {
                out.push(d);
            }
        }
        Ok(out)
    }

    /// The bytes of the referrers-tag index of `subject`, if the tag exists.
    async fn fallback_index(
        &self,
        repo: &Repository,
        subject: &Digest,
    ) -> Result<Option<Vec<u8>>, Error> {
        let reference = Reference::with_tag(self.registry(), repo.clone(), referrers_tag(subject)?);
        match self.pull_manifest(&reference).await {
            Ok(m) => Ok(Some(m.bytes)),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// After pushing `manifest` (digest `digest`) to a registry without the referrers API:
    /// when it has a `subject`, adds it to the subject's referrers-tag index.
    pub(crate) async fn index_referrer(
        &self,
        repo: &Repository,
        manifest: &[u8],
        media_type: &MediaType,
        digest: Digest,
    ) -> Result<(), Error> {
        let Ok(doc) = serde_json::from_slice::<Value>(manifest) else {
            return Ok(());
        };
        let Some(subject) = doc.get("subject") else {
            return Ok(());
        };
        let what = format!("referrers tag for manifest {digest} in {repo}");
        let subject: Descriptor =
            serde_json::from_value(subject.clone()).map_err(|e| RegistryError::Protocol {
                what: what.clone(),
                detail: format!("the manifest's subject is not a descriptor: {e}"),
            })?;
        let mut entry = Descriptor::new(media_type.clone(), digest, manifest.len() as u64);
        let artifact_type = doc
            .get("artifactType")
            .or_else(|| doc.pointer("/config/mediaType"))
            .and_then(Value::as_str);
        if let Some(t) = artifact_type {
            entry = entry.artifact_type(MediaType::from(t));
        }
        if let Some(Value::Object(annotations)) = doc.get("annotations") {
            for (k, v) in annotations {
                if let Some(v) = v.as_str() {
                    entry = entry.annotation(k.as_str(), v);
                }
            }
        }
        let existing = self.fallback_index(repo, &subject.digest).await?;
        let mut manifests = match &existing {
            Some(bytes) => index_entries(bytes).map_err(|detail| RegistryError::Protocol {
                what: what.clone(),
                detail,
            })?,
            None => Vec::new(),
        };
        let digest_text = digest.to_string();
        if manifests
            .iter()
            .any(|m| m.get("digest").and_then(Value::as_str) == Some(&digest_text))
        {
            return Ok(());
        }
        manifests.push(
            serde_json::to_value(&entry).map_err(|e| RegistryError::Protocol {
                what: what.clone(),
                detail: e.to_string(),
            })?,
        );
        let mut index = Map::new();
        index.insert("schemaVersion".into(), Value::from(2));
        index.insert(
            "mediaType".into(),
            Value::from(MediaType::ImageIndex.as_str()),
        );
        index.insert("manifests".into(), Value::Array(manifests));
        let bytes =
            serde_json::to_vec(&Value::Object(index)).map_err(|e| RegistryError::Protocol {
                what: what.clone(),
                detail: e.to_string(),
            })?;
        let tag = referrers_tag(&subject.digest)?;
        self.put_manifest(repo, tag.as_str(), &bytes, &MediaType::ImageIndex)
            .await?;
        Ok(())
    }
}

/// The referrers tag of a digest: `<algorithm>-<hex>`, cut to 128 characters.
pub fn referrers_tag(subject: &Digest) -> Result<Tag, Error> {
    let text = format!("{}-{}", subject.algorithm(), subject.hex());
    let cut: String = text.chars().take(128).collect();
    Ok(Tag::new(&cut).map_err(|e| RegistryError::Protocol {
        what: format!("referrers tag of {subject}"),
        detail: e.to_string(),
    })?)
}

/// The `manifests` array of an index document.
fn index_entries(bytes: &[u8]) -> Result<Vec<Value>, String> {
    let doc: Value =
        serde_json::from_slice(bytes).map_err(|e| format!("the index is not JSON: {e}"))?;
    match doc.get("manifests") {
        Some(Value::Array(entries)) => Ok(entries.clone()),
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(_) => Err("the index's `manifests` is not an array".to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use consign_core::Algorithm;

    #[test]
    fn referrers_tags() {
        let d = Digest::of(Algorithm::Sha256, b"");
        assert_eq!(
            referrers_tag(&d).unwrap().as_str(),
            "sha256-e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        let long = Digest::of(Algorithm::Sha512, b"");
        assert_eq!(referrers_tag(&long).unwrap().as_str().len(), 128);
        assert_eq!(index_entries(br#"{"manifests":null}"#).unwrap().len(), 0);
        assert!(index_entries(br#"{"manifests":{}}"#).is_err());
    }
}
