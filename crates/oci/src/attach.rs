//! Signatures, attestations and SBOMs attached to an image, the ways cosign and OCI 1.1 do it.
//!
//! Two schemes name what is attached to a manifest `sha256:<hex>`, and registries differ in
//! which they support, so [`Attachments`] writes and reads both:
//!
//! - the **tag scheme** cosign uses: an image manifest tagged `sha256-<hex>.sig` (`.att`,
//!   `.sbom`) whose layers are the attached items, one layer each — a simple-signing payload
//!   with its signature in the `dev.cosignproject.cosign/signature` annotation, or a DSSE
//!   envelope with its `predicateType`;
//! - **referrers** (OCI 1.1): a manifest with the same layers, an `artifactType`, the empty
//!   config, and a `subject` naming the signed manifest. In an image layout referrers are
//!   listed, unnamed, in `index.json`; a registry finds them through its referrers API (or the
//!   `sha256-<hex>` referrers tag where it has none).
//!
//! This module only arranges bytes: the payloads and signatures come from a signer (see
//! consign-sign), so the formats meet here through plain bytes and digests.

use consign_core::{Algorithm, Digest, Signature, SignatureFormat};

use crate::{Annotations, Descriptor, Error, Manifest, MediaType, OciLayout, Tag, annotation};

/// The annotation holding a simple-signing layer's base64 signature.
pub const SIGNATURE_ANNOTATION: &str = "dev.cosignproject.cosign/signature";
/// The annotation holding a Sigstore bundle for a signature (keyless signing).
pub const BUNDLE_ANNOTATION: &str = "dev.sigstore.cosign/bundle";
/// The annotation holding the PEM certificate of a keyless signature.
pub const CERTIFICATE_ANNOTATION: &str = "dev.sigstore.cosign/certificate";
/// The annotation holding the PEM certificate chain of a keyless signature.
pub const CHAIN_ANNOTATION: &str = "dev.sigstore.cosign/chain";
/// The annotation naming an attestation layer's in-toto predicate type.
pub const PREDICATE_TYPE_ANNOTATION: &str = "predicateType";

/// The media type of a cosign simple-signing payload layer.
pub const SIMPLE_SIGNING: &str = "application/vnd.dev.cosign.simplesigning.v1+json";
/// The media type of a DSSE envelope layer.
pub const DSSE_ENVELOPE: &str = "application/vnd.dsse.envelope.v1+json";

/// The content of the empty config of artifact manifests (`application/vnd.oci.empty.v1+json`).
const EMPTY_CONFIG: &[u8] = b"{}";

/// What is attached.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Kind {
    /// Signatures of the manifest (`.sig`).
    Signatures,
    /// Attestations about it (`.att`).
    Attestations,
    /// SBOMs of it (`.sbom`).
    Sboms,
}

impl Kind {
    /// The tag suffix: `sig`, `att`, `sbom`.
    pub fn suffix(self) -> &'static str {
        match self {
            Kind::Signatures => "sig",
            Kind::Attestations => "att",
            Kind::Sboms => "sbom",
        }
    }

    /// The `artifactType` of the referrer manifest.
    pub fn artifact_type(self) -> MediaType {
        MediaType::from(match self {
            Kind::Signatures => "application/vnd.dev.cosign.artifact.sig.v1+json",
            Kind::Attestations => "application/vnd.dev.cosign.artifact.att.v1+json",
            Kind::Sboms => "application/vnd.dev.cosign.artifact.sbom.v1+json",
        })
    }

    /// The cosign tag of the attachments of `subject`: `sha256-<hex>.sig`.
    ///
    /// ```
    /// use consign_core::{Algorithm, Digest};
    /// use consign_oci::attach::Kind;
    /// let d = Digest::of(Algorithm::Sha256, b"manifest");
    /// assert_eq!(Kind::Signatures.tag(&d).as_str(), format!("sha256-{}.sig", d.hex()));
    /// ```
    pub fn tag(self, subject: &Digest) -> Tag {
        Tag::sanitize(&format!(
            "{}-{}.{}",
            subject.algorithm(),
            subject.hex(),
            self.suffix()
        ))
    }
}

/// One attached item: a layer with its content and annotations.
///
/// ```
/// use consign_core::{KeyId, Signature, SignatureFormat, VerificationMaterial};
/// use consign_oci::attach::{Attachment, SIGNATURE_ANNOTATION};
///
/// // What a cosign signer returns for a simple-signing payload.
/// let signature = Signature::new(
///     SignatureFormat::CosignBlob,
///     b"MEUCIQ...".to_vec(),
///     VerificationMaterial::PublicKey { hint: KeyId::new("ab12") },
/// );
/// let sig = Attachment::simple_signing(br#"{"critical":{}}"#.to_vec(), &signature)?;
/// assert_eq!(sig.signature(), Some("MEUCIQ..."));
/// assert_eq!(sig.annotations()[SIGNATURE_ANNOTATION], "MEUCIQ...");
///
/// // An OpenPGP signature is not what cosign verifiers read from a `.sig` layer.
/// let pgp = Signature::new(
///     SignatureFormat::OpenPgpArmored,
///     b"-----BEGIN PGP SIGNATURE-----".to_vec(),
///     VerificationMaterial::PublicKey { hint: KeyId::new("ab12") },
/// );
/// assert!(Attachment::simple_signing(b"{}".to_vec(), &pgp).is_err());
/// let att = Attachment::attestation(br#"{"payloadType":"application/vnd.in-toto+json"}"#.to_vec(),
///                                   "https://slsa.dev/provenance/v1");
/// assert_eq!(att.predicate_type(), Some("https://slsa.dev/provenance/v1"));
/// # Ok::<(), consign_oci::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Attachment {
    media_type: MediaType,
    content: Vec<u8>,
    annotations: Annotations,
}

impl Attachment {
    /// A simple-signing `payload` and its `signature` (what cosign's `.sig` layers hold): the
    /// signature must be a cosign signature (base64 text, [`SignatureFormat::CosignBlob`]);
    /// any other format is refused with [`crate::Error::Invalid`].
    pub fn simple_signing(payload: Vec<u8>, signature: &Signature) -> Result<Attachment, Error> {
        let refuse = |reason: String| Error::Invalid {
            what: "simple-signing attachment".to_owned(),
            reason,
        };
        if signature.format() != SignatureFormat::CosignBlob {
            return Err(refuse(format!(
                "a cosign `.sig` layer holds a cosign signature, not an {} one",
                signature.format()
            )));
        }
        let text = std::str::from_utf8(signature.bytes())
            .map_err(|_| refuse("the cosign signature is not base64 text".to_owned()))?;
        Ok(Attachment::new(MediaType::from(SIMPLE_SIGNING), payload)
            .annotation(SIGNATURE_ANNOTATION, text))
    }

    /// A DSSE `envelope` (JSON) holding an in-toto statement of `predicate_type`.
    pub fn attestation(envelope: Vec<u8>, predicate_type: &str) -> Attachment {
        // cosign marks attestation layers with an empty signature annotation: the signature is
        // inside the envelope.
        Attachment::new(MediaType::from(DSSE_ENVELOPE), envelope)
            .annotation(SIGNATURE_ANNOTATION, "")
            .annotation(PREDICATE_TYPE_ANNOTATION, predicate_type)
    }

    /// Any content of `media_type` (an SBOM document, for instance).
    pub fn new(media_type: MediaType, content: Vec<u8>) -> Attachment {
        Attachment {
            media_type,
            content,
            annotations: Annotations::new(),
        }
    }

    /// With one more annotation.
    #[must_use]
    pub fn annotation(mut self, key: impl Into<String>, value: impl Into<String>) -> Attachment {
        self.annotations.insert(key.into(), value.into());
        self
    }

    /// The media type.
    pub fn media_type(&self) -> &MediaType {
        &self.media_type
    }

    /// The content (payload, envelope or document).
    pub fn content(&self) -> &[u8] {
        &self.content
    }

    /// The annotations.
    pub fn annotations(&self) -> &Annotations {
        &self.annotations
    }

    /// The base64 signature of a simple-signing layer, if it has a non-empty one.
    pub fn signature(&self) -> Option<&str> {
        self.annotations
            .get(SIGNATURE_ANNOTATION)
            .map(String::as_str)
            .filter(|s| !s.is_empty())
    }

    /// The predicate type of an attestation layer.
    pub fn predicate_type(&self) -> Option<&str> {
        self.annotations
            .get(PREDICATE_TYPE_ANNOTATION)
            .map(String::as_str)
    }

    /// The layer descriptor of the item: its media type, digest, size and annotations.
    pub fn descriptor(&self) -> Descriptor {
        let mut d = Descriptor::of(self.media_type.clone(), &self.content);
        d.annotations = self.annotations.clone();
        d
    }
}

/// The items of one [`Kind`] attached to one manifest, written and read in both schemes.
///
/// ```
/// use consign_core::{Entry, FileTree, SourceDate, Platform};
/// use consign_oci::attach::{Attachment, Attachments, Kind};
/// use consign_oci::{Image, ImagePlatform, LayerBuilder, OciLayout};
///
/// let dir = tempfile::tempdir()?;
/// let layout = OciLayout::create(dir.path())?;
/// let mut tree = FileTree::new();
/// tree.insert("hello", Entry::bytes(b"hi\n".to_vec()))?;
/// let date = SourceDate::from_unix(1_700_000_000);
/// let image = Image::new(&ImagePlatform::from(&Platform::from_oci("linux/amd64")?))
///     .append_layer(LayerBuilder::new(&tree, date).write_into(&layout)?,
///                   consign_oci::History::new("files"))
///     .created(date);
/// let subject = image.write_to(&layout, None)?;
///
/// let signature = consign_core::Signature::new(
///     consign_core::SignatureFormat::CosignBlob,
///     b"c2lnbmF0dXJl".to_vec(),
///     consign_core::VerificationMaterial::PublicKey { hint: consign_core::KeyId::new("ab12") },
/// );
/// let sigs = Attachments::new(Kind::Signatures)
///     .push(Attachment::simple_signing(b"payload".to_vec(), &signature)?);
/// sigs.write_to(&layout, &subject)?;
/// let back = Attachments::read(&layout, &subject.digest, Kind::Signatures)?;
/// assert_eq!(back, sigs);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Attachments {
    kind: Kind,
    items: Vec<Attachment>,
}

impl Attachments {
    /// No items yet.
    pub fn new(kind: Kind) -> Attachments {
        Attachments {
            kind,
            items: Vec::new(),
        }
    }

    /// With one more item (an item equal to one already there is not added twice).
    #[must_use]
    pub fn push(mut self, item: Attachment) -> Attachments {
        if !self.items.contains(&item) {
            self.items.push(item);
        }
        self
    }

    /// The kind.
    pub fn kind(&self) -> Kind {
        self.kind
    }

    /// The items, in the order they were attached.
    pub fn items(&self) -> &[Attachment] {
        &self.items
    }

    /// The tag-scheme manifest and its config: an image manifest with one layer per item and a
    /// config whose `rootfs.diff_ids` are the layers' digests (as cosign writes it).
    pub fn tag_manifest(&self) -> (Manifest, Vec<u8>) {
        let layers: Vec<Descriptor> = self.items.iter().map(Attachment::descriptor).collect();
        let diff_ids: Vec<String> = layers.iter().map(|d| d.digest.to_string()).collect();
        let config = serde_json::json!({
            "architecture": "",
            "config": {},
            "created": "0001-01-01T00:00:00Z",
            "history": [{"created": "0001-01-01T00:00:00Z"}],
            "os": "",
            "rootfs": {"type": "layers", "diff_ids": diff_ids},
        });
        let config = serde_json::to_vec(&config).unwrap_or_default();
        let mut manifest = Manifest::new(Descriptor::of(MediaType::ImageConfig, &config));
        for layer in layers {
            manifest = manifest.layer(layer);
        }
        (manifest, config)
    }

    /// The referrer manifest for `subject`: the same layers, the kind's `artifactType`, the
    /// empty config and `subject`.
    pub fn referrer_manifest(&self, subject: &Descriptor) -> Manifest {
        let mut manifest = Manifest::new(Descriptor::of(MediaType::Empty, EMPTY_CONFIG))
            .artifact_type(self.kind.artifact_type())
            .subject(Descriptor::new(
                subject.media_type.clone(),
                subject.digest,
                subject.size,
            ));
        for item in &self.items {
            manifest = manifest.layer(item.descriptor());
        }
        manifest
    }

    /// Writes the items into `layout` for `subject` in both schemes, merged with what is
    /// already attached there under the tag: the tag-scheme manifest tagged
    /// `sha256-<hex>.<suffix>`, and the referrer manifest listed in `index.json`. Returns the
    /// two manifests' descriptors (tag scheme, referrer).
    pub fn write_to(
        &self,
        layout: &OciLayout,
        subject: &Descriptor,
    ) -> Result<(Descriptor, Descriptor), Error> {
        let mut all = match Attachments::read_tag(layout, &subject.digest, self.kind) {
            Ok(existing) => existing,
            Err(Error::NotFound { .. }) => Attachments::new(self.kind),
            Err(e) => return Err(e),
        };
        for item in &self.items {
            all = all.push(item.clone());
        }
        for item in &all.items {
            layout.write_blob(&item.content)?;
        }
        let (manifest, config) = all.tag_manifest();
        layout.write_blob(&config)?;
        let tagged = layout.put_manifest(&manifest.to_json(), MediaType::ImageManifest)?;
        layout.tag(&tagged, &self.kind.tag(&subject.digest))?;

        layout.write_blob(EMPTY_CONFIG)?;
        let referrer = all.referrer_manifest(subject);
        let bytes = referrer.to_json();
        let referrer = layout
            .put_manifest(&bytes, MediaType::ImageManifest)?
            .artifact_type(self.kind.artifact_type());
        layout.add_untagged(&referrer)?;
        Ok((tagged, referrer))
    }

    /// Reads what is attached to `subject` in `layout`: from the tag-scheme manifest when there
    /// is one, else from the referrers listed in `index.json`. Each layer's content is checked
    /// against its digest.
    pub fn read(layout: &OciLayout, subject: &Digest, kind: Kind) -> Result<Attachments, Error> {
        match Attachments::read_tag(layout, subject, kind) {
            Err(Error::NotFound { .. }) => Attachments::read_referrers(layout, subject, kind),
            other => other,
        }
    }

    fn read_tag(layout: &OciLayout, subject: &Digest, kind: Kind) -> Result<Attachments, Error> {
        let (_, bytes) = layout.manifest(kind.tag(subject).as_str())?;
        Attachments::from_manifest(layout, &Manifest::from_json(&bytes)?, kind)
    }

    fn read_referrers(
        layout: &OciLayout,
        subject: &Digest,
        kind: Kind,
    ) -> Result<Attachments, Error> {
        let mut all = Attachments::new(kind);
        let mut found = false;
        for entry in layout.index()?.manifests {
            if entry.artifact_type != Some(kind.artifact_type()) {
                continue;
            }
            let bytes = layout.manifest_bytes(&entry)?;
            let manifest = Manifest::from_json(&bytes)?;
            if manifest.subject.as_ref().map(|s| &s.digest) != Some(subject) {
                continue;
            }
            found = true;
            for item in Attachments::from_manifest(layout, &manifest, kind)?.items {
                all = all.push(item);
            }
        }
        if found {
            Ok(all)
        } else {
            Err(Error::NotFound {
                what: format!("{} of {subject}", kind.suffix()),
                layout: layout.path().to_path_buf(),
                hint: "nothing is attached to this manifest: sign or attest it first",
            })
        }
    }

    /// The items a tag-scheme or referrer manifest lists, read from `layout`.
    pub fn from_manifest(
        layout: &OciLayout,
        manifest: &Manifest,
        kind: Kind,
    ) -> Result<Attachments, Error> {
        let mut out = Attachments::new(kind);
        for layer in &manifest.layers {
            check_layer(layer)?;
            out = out.push(Attachment::from_layer(layer, layout.read_blob(layer)?));
        }
        Ok(out)
    }
}

/// Refuses an attached layer not addressed by SHA-256, before its content is read.
pub(crate) fn check_layer(layer: &Descriptor) -> Result<(), Error> {
    if layer.digest.algorithm() != Algorithm::Sha256 {
        return Err(Error::Invalid {
            what: format!("attached layer {}", layer.digest),
            reason: "attached layers are addressed by SHA-256".to_owned(),
        });
    }
    Ok(())
}

impl Attachment {
    /// The item a layer of an attachment manifest holds: its media type and annotations (less
    /// the layout's tag name), with `content` read for it.
    pub(crate) fn from_layer(layer: &Descriptor, content: Vec<u8>) -> Attachment {
        let mut item = Attachment::new(layer.media_type.clone(), content);
        item.annotations = layer.annotations.clone();
        item.annotations.remove(annotation::REF_NAME);
        item
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{History, Image, ImagePlatform, LayerBuilder};
    use consign_core::{Entry, FileTree, Platform, SourceDate};

    fn layout_with_image() -> (tempfile::TempDir, OciLayout, Descriptor) {
        let dir = tempfile::tempdir().unwrap();
        let layout = OciLayout::create(dir.path()).unwrap();
        let mut tree = FileTree::new();
        tree.insert("a", Entry::bytes(b"a".to_vec())).unwrap();
        let date = SourceDate::from_unix(0);
        let platform = ImagePlatform::from(&Platform::from_oci("linux/arm64").unwrap());
        let image = Image::new(&platform)
            .append_layer(
                LayerBuilder::new(&tree, date).write_into(&layout).unwrap(),
                History::new("a"),
            )
            .created(date);
        let d = image.write_to(&layout, None).unwrap();
        (dir, layout, d)
    }

    fn cosign_signature(base64: &str) -> consign_core::Signature {
        consign_core::Signature::new(
            SignatureFormat::CosignBlob,
            base64.as_bytes().to_vec(),
            consign_core::VerificationMaterial::PublicKey {
                hint: consign_core::KeyId::new(""),
            },
        )
    }

    #[test]
    fn signatures_accumulate_under_the_tag_and_as_referrers() {
        let (_dir, layout, subject) = layout_with_image();
        let first = Attachment::simple_signing(b"p1".to_vec(), &cosign_signature("czE=")).unwrap();
        let second = Attachment::simple_signing(b"p2".to_vec(), &cosign_signature("czI=")).unwrap();
        Attachments::new(Kind::Signatures)
            .push(first.clone())
            .write_to(&layout, &subject)
            .unwrap();
        let (tagged, referrer) = Attachments::new(Kind::Signatures)
            .push(second.clone())
            .push(first.clone())
            .write_to(&layout, &subject)
            .unwrap();
        let back = Attachments::read(&layout, &subject.digest, Kind::Signatures).unwrap();
        assert_eq!(back.items(), [first.clone(), second.clone()]);
        let m = Manifest::from_json(&layout.manifest_bytes(&tagged).unwrap()).unwrap();
        assert_eq!(m.layers.len(), 2);
        assert_eq!(m.layers[0].media_type.as_str(), SIMPLE_SIGNING);
        let r = Manifest::from_json(&layout.manifest_bytes(&referrer).unwrap()).unwrap();
        assert_eq!(r.subject.unwrap().digest, subject.digest);
        assert_eq!(r.config.media_type, MediaType::Empty);
        // Without the tag, the referrers are read.
        let all = Attachments::read_referrers(&layout, &subject.digest, Kind::Signatures).unwrap();
        assert_eq!(all.items(), [first, second]);
        // Nothing of another kind.
        assert!(matches!(
            Attachments::read(&layout, &subject.digest, Kind::Attestations),
            Err(Error::NotFound { .. })
        ));
    }

    #[test]
    fn tampered_attachment_content_is_refused() {
        let (_dir, layout, subject) = layout_with_image();
        let att = Attachment::attestation(b"{\"payload\":\"\"}".to_vec(), "https://x/y");
        Attachments::new(Kind::Attestations)
            .push(att.clone())
            .write_to(&layout, &subject)
            .unwrap();
        let path = layout.blob_path(&Digest::of(Algorithm::Sha256, att.content()));
        std::fs::write(&path, b"{\"payload\":\"x\"}").unwrap();
        let e = Attachments::read(&layout, &subject.digest, Kind::Attestations).unwrap_err();
        assert!(matches!(e, Error::DigestMismatch(_)), "{e}");
    }
}
