//! CycloneDX 1.6 and 1.5 JSON, from a typed model of our own.
//!
//! Our own structs rather than `cyclonedx-bom`, which writes 1.3–1.5 only. The subject of the
//! BOM (`metadata.component`) is the single subject artifact, else the root crate (with several
//! subjects, the artifacts become components that depend on the root crate). Crates are
//! `library` components (the root an `application`) identified by their purl, shipped files
//! are `file` components, and `dependencies` has one entry for every component so every
//! reference resolves.

use serde::Serialize;

use consign_core::{Algorithm, Artifact, ArtifactKind};

use crate::document::{CdxVersion, Document, Format, Sbom, UniqueIds, content_uuid, to_json};
use crate::error::SbomError;
use crate::inventory::{Crate, FileKind};
use crate::license::License;

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Bom {
    #[serde(rename = "$schema")]
    schema: String,
    bom_format: &'static str,
    spec_version: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    serial_number: Option<String>,
    version: u32,
    metadata: Metadata,
    components: Vec<Component>,
    dependencies: Vec<Dependency>,
}

#[derive(Serialize)]
struct Metadata {
    timestamp: String,
    tools: Tools,
    component: Component,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    properties: Vec<Property>,
}

#[derive(Serialize)]
struct Tools {
    components: Vec<Component>,
}

#[derive(Serialize, Default)]
#[serde(rename_all = "camelCase")]
struct Component {
    #[serde(rename = "type")]
    kind: &'static str,
    #[serde(rename = "bom-ref", skip_serializing_if = "String::is_empty")]
    bom_ref: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    authors: Vec<Contact>,
    #[serde(skip_serializing_if = "Option::is_none")]
    author: Option<String>,
    name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    version: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    scope: Option<&'static str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    hashes: Vec<Hash>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    licenses: Vec<LicenseChoice>,
    #[serde(skip_serializing_if = "Option::is_none")]
    purl: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    external_references: Vec<ExternalReference>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    properties: Vec<Property>,
}

#[derive(Serialize)]
struct Contact {
    name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    email: Option<String>,
}

#[derive(Serialize)]
struct Hash {
    alg: &'static str,
    content: String,
}

#[derive(Serialize)]
#[serde(untagged)]
enum LicenseChoice {
    Expression {
        expression: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        acknowledgement: Option<&'static str>,
    },
    License {
        license: NamedLicense,
    },
}

#[derive(Serialize)]
struct NamedLicense {
    name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    acknowledgement: Option<&'static str>,
}

#[derive(Serialize)]
struct ExternalReference {
    #[serde(rename = "type")]
    kind: &'static str,
    url: String,
}

#[derive(Serialize)]
struct Property {
    name: String,
    value: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Dependency {
    #[serde(rename = "ref")]
    reference: String,
    depends_on: Vec<String>,
}

pub(crate) fn write(sbom: &Sbom<'_>, version: CdxVersion) -> Result<Document, SbomError> {
    let inv = sbom.inventory;
    let mut ids = UniqueIds::default();
    let crate_refs: Vec<String> = inv
        .crates()
        .iter()
        .map(|c| ids.take(c.purl.clone()))
        .collect();
    let artifact_refs: Vec<String> = sbom
        .subjects
        .iter()
        .map(|a| ids.take(format!("artifact:{}", a.name)))
        .collect();
    let file_refs: Vec<String> = inv
        .files()
        .iter()
        .map(|f| ids.take(format!("file:{}", f.path)))
        .collect();

    let root = inv.root_index();
    let mut root_component = crate_component(&inv.crates()[root], &crate_refs[root], version, true);
    if let Some(t) = inv.target() {
        root_component
            .properties
            .push(prop("consign:cargo:target", t));
    }
    if !inv.features().is_empty() {
        root_component
            .properties
            .push(prop("consign:cargo:features", &inv.features().join(",")));
    }
    let mut components = Vec::new();
    let mut dependencies = Vec::new();
    let meta_component = match sbom.subjects.as_slice() {
        [one] => {
            components.push(root_component);
            artifact_component(one, &artifact_refs[0], &inv.root().version)
        }
        many => {
            for (a, r) in many.iter().zip(&artifact_refs) {
                components.push(artifact_component(a, r, &inv.root().version));
            }
            root_component
        }
    };
    for r in &artifact_refs {
        dependencies.push(Dependency {
            reference: r.clone(),
            depends_on: vec![crate_refs[root].clone()],
        });
    }
    for (i, c) in inv.crates().iter().enumerate() {
        if i != root {
            components.push(crate_component(c, &crate_refs[i], version, false));
        }
        let mut depends_on: Vec<String> = c
            .dependencies
            .iter()
            .map(|e| crate_refs[e.to].clone())
            .collect();
        depends_on.sort();
        depends_on.dedup();
        dependencies.push(Dependency {
            reference: crate_refs[i].clone(),
            depends_on,
        });
    }
    for (f, r) in inv.files().iter().zip(&file_refs) {
        let mut properties = vec![prop("consign:file:mode", &format!("{:04o}", f.mode))];
        match &f.kind {
            FileKind::Regular => {}
            FileKind::Symlink { target } => {
                properties.push(prop("consign:file:symlink-target", target))
            }
            FileKind::Hardlink { target } => {
                properties.push(prop("consign:file:hardlink-target", target))
            }
        }
        components.push(Component {
            kind: "file",
            bom_ref: r.clone(),
            name: f.path.clone(),
            hashes: vec![
                Hash {
                    alg: "SHA-1",
                    content: f.sha1.clone(),
                },
                Hash {
                    alg: "SHA-256",
                    content: f.sha256.hex(),
                },
            ],
            properties,
            ..Component::default()
        });
        dependencies.push(Dependency {
            reference: r.clone(),
            depends_on: Vec::new(),
        });
    }
    dependencies.sort_by(|a, b| a.reference.cmp(&b.reference));

    let mut bom = Bom {
        schema: format!(
            "http://cyclonedx.org/schema/bom-{}.schema.json",
            version.as_str()
        ),
        bom_format: "CycloneDX",
        spec_version: version.as_str(),
        serial_number: None,
        version: 1,
        metadata: Metadata {
            timestamp: sbom.date.to_rfc3339(),
            tools: Tools {
                components: vec![Component {
                    kind: "application",
                    name: "consign-sbom".into(),
                    version: Some(Sbom::tool_version().into()),
                    ..Component::default()
                }],
            },
            component: meta_component,
            properties: Vec::new(),
        },
        components,
        dependencies,
    };
    // The serial number names this content: derive it from the document without it.
    let unnumbered = to_json(&bom)?;
    bom.serial_number = Some(format!("urn:uuid:{}", content_uuid(&unnumbered)));
    Ok(Document::new(Format::CycloneDx(version), to_json(&bom)?))
}

fn prop(name: &str, value: &str) -> Property {
    Property {
        name: name.into(),
        value: value.into(),
    }
}

fn crate_component(c: &Crate, bom_ref: &str, version: CdxVersion, root: bool) -> Component {
    let ack = (version >= CdxVersion::V1_6).then_some("declared");
    let licenses = match &c.license {
        License::Expression(e) => vec![LicenseChoice::Expression {
            expression: e.as_str().to_owned(),
            acknowledgement: ack,
        }],
        License::File(f) => vec![LicenseChoice::License {
            license: NamedLicense {
                name: format!("License file {f}"),
                acknowledgement: ack,
            },
        }],
        License::Text(t) => vec![LicenseChoice::License {
            license: NamedLicense {
                name: t.clone(),
                acknowledgement: ack,
            },
        }],
        License::NotDeclared => Vec::new(),
    };
    let (authors, author) = match version {
        _ if c.authors.is_empty() => (Vec::new(), None),
        CdxVersion::V1_5 => (Vec::new(), Some(c.authors.join(", "))),
        _ => (
            c.authors
                .iter()
                .map(|a| {
                    let (name, email) = split_author(a);
                    Contact { name, email }
                })
                .collect(),
            None,
        ),
    };
    let mut external_references = Vec::new();
    if let Some(r) = &c.repository {
        external_references.push(ExternalReference {
            kind: "vcs",
            url: url(r),
        });
    }
    if let Some(h) = &c.homepage {
        external_references.push(ExternalReference {
            kind: "website",
            url: url(h),
        });
    }
    Component {
        kind: if root { "application" } else { "library" },
        bom_ref: bom_ref.into(),
        authors,
        author,
        name: c.name.clone(),
        version: Some(c.version.clone()),
        description: c.description.clone(),
        scope: Some(if c.shipped { "required" } else { "excluded" }),
        hashes: c
            .checksum
            .iter()
            .map(|d| Hash {
                alg: "SHA-256",
                content: d.hex(),
            })
            .collect(),
        licenses,
        purl: Some(c.purl.clone()),
        external_references,
        properties: vec![prop("consign:cargo:source", c.source.kind())],
    }
}

fn artifact_component(a: &Artifact, bom_ref: &str, version: &str) -> Component {
    let kind = match a.kind {
        ArtifactKind::OciImage | ArtifactKind::OciIndex => "container",
        ArtifactKind::Binary
        | ArtifactKind::Archive
        | ArtifactKind::Deb
        | ArtifactKind::Rpm
        | ArtifactKind::Dmg
        | ArtifactKind::Msi => "application",
        _ => "file",
    };
    let mut properties = vec![prop("consign:artifact:size", &a.size.to_string())];
    if let Some(p) = &a.platform {
        properties.push(prop("consign:artifact:platform", &p.rust_target()));
    }
    Component {
        kind,
        bom_ref: bom_ref.into(),
        name: a.name.clone(),
        version: Some(version.into()),
        hashes: a
            .digests
            .iter()
            .filter_map(|d| {
                let alg = match d.algorithm() {
                    Algorithm::Sha256 => "SHA-256",
                    Algorithm::Sha512 => "SHA-512",
                    Algorithm::Blake3 => "BLAKE3",
                    _ => return None,
                };
                Some(Hash {
                    alg,
                    content: d.hex(),
                })
            })
            .collect(),
        properties,
        ..Component::default()
    }
}

/// `Name <email>` → (name, email); a bare address is its own name.
pub(crate) fn split_author(a: &str) -> (String, Option<String>) {
    match (a.find('<'), a.rfind('>')) {
        (Some(l), Some(r)) if l < r => {
            let name = a[..l].trim();
            let email = a[l + 1..r].trim().to_owned();
            let name = if name.is_empty() {
                email.clone()
            } else {
                name.to_owned()
            };
            (name, Some(email).filter(|e| !e.is_empty()))
        }
        _ => (a.trim().to_owned(), None),
    }
}

/// A URL as an IRI reference: characters that cannot appear in one are percent-encoded.
pub(crate) fn url(u: &str) -> String {
    let mut out = String::with_capacity(u.len());
    for c in u.trim().chars() {
        if c.is_whitespace() || c.is_control() || "\"<>\\^`{|}".contains(c) {
            let mut buf = [0u8; 4];
            for b in c.encode_utf8(&mut buf).bytes() {
                out.push_str(&format!("%{b:02X}"));
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn authors_and_urls() {
        assert_eq!(
            split_author("Jane Doe <jane@example.org>"),
            ("Jane Doe".into(), Some("jane@example.org".into()))
        );
        assert_eq!(split_author("<x@y>"), ("x@y".into(), Some("x@y".into())));
        assert_eq!(split_author("The Team"), ("The Team".into(), None));
        assert_eq!(url(" https://a.example/b c "), "https://a.example/b%20c");
    }
}
