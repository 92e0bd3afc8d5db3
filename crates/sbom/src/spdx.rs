//! SPDX 2.3 JSON, from a typed model of our own.
//!
//! The document describes the subject artifacts (or the root crate when there is none). Each
//! subject contains the shipped files (with SHA-1, which SPDX requires, and SHA-256) and the
//! root crate; crates are packages linked by `DEPENDS_ON`, `BUILD_DEPENDENCY_OF` and
//! `DEV_DEPENDENCY_OF`. Licenses that are not on the SPDX list (unknown identifiers, license
//! files, free text) are declared as `LicenseRef-…` with an extracted-licensing entry saying
//! where they come from.

use std::collections::BTreeMap;

use serde::Serialize;
use sha1::Digest as _;

use consign_core::{Algorithm, Artifact, ArtifactKind};

use crate::cyclonedx::{split_author, url};
use crate::document::{Document, Format, Sbom, UniqueIds, content_uuid, to_json};
use crate::error::SbomError;
use crate::inventory::{Crate, DepKind, FileKind, Source};
use crate::license::{License, license_list_version, ref_id};

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SpdxDocument {
    spdx_version: &'static str,
    data_license: &'static str,
    #[serde(rename = "SPDXID")]
    spdx_id: &'static str,
    name: String,
    document_namespace: String,
    creation_info: CreationInfo,
    packages: Vec<Package>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    files: Vec<File>,
    relationships: Vec<Relationship>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    has_extracted_licensing_infos: Vec<ExtractedLicense>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct CreationInfo {
    created: String,
    creators: Vec<String>,
    license_list_version: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Package {
    name: String,
    #[serde(rename = "SPDXID")]
    spdx_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    version_info: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    package_file_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    supplier: Option<String>,
    download_location: String,
    files_analyzed: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    package_verification_code: Option<VerificationCode>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    checksums: Vec<Checksum>,
    #[serde(skip_serializing_if = "Option::is_none")]
    homepage: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    source_info: Option<String>,
    license_concluded: &'static str,
    license_declared: String,
    copyright_text: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    comment: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    external_refs: Vec<ExternalRef>,
    primary_package_purpose: &'static str,
}

#[derive(Serialize, Clone)]
#[serde(rename_all = "camelCase")]
struct VerificationCode {
    package_verification_code_value: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Checksum {
    algorithm: &'static str,
    checksum_value: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ExternalRef {
    reference_category: &'static str,
    reference_type: &'static str,
    reference_locator: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct File {
    file_name: String,
    #[serde(rename = "SPDXID")]
    spdx_id: String,
    checksums: Vec<Checksum>,
    #[serde(skip_serializing_if = "Option::is_none")]
    comment: Option<String>,
}

#[derive(Serialize, PartialEq, Eq, PartialOrd, Ord)]
#[serde(rename_all = "camelCase")]
struct Relationship {
    spdx_element_id: String,
    relationship_type: &'static str,
    related_spdx_element: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ExtractedLicense {
    license_id: String,
    extracted_text: String,
    name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    comment: Option<String>,
}

/// License references used, keyed by id: (name, text, the crates that declare them).
type Refs = BTreeMap<String, (String, String, Vec<String>)>;

pub(crate) fn write(sbom: &Sbom<'_>) -> Result<Document, SbomError> {
    let inv = sbom.inventory;
    let mut ids = UniqueIds::default();
    ids.take("SPDXRef-DOCUMENT".into());
    let crate_ids: Vec<String> = inv
        .crates()
        .iter()
        .map(|c| {
            ids.take(format!(
                "SPDXRef-Package-{}-{}",
                ref_id(&c.name),
                ref_id(&c.version)
            ))
        })
        .collect();
    let artifact_ids: Vec<String> = sbom
        .subjects
        .iter()
        .map(|a| ids.take(format!("SPDXRef-Artifact-{}", ref_id(&a.name))))
        .collect();
    let file_ids: Vec<String> = inv
        .files()
        .iter()
        .map(|f| ids.take(format!("SPDXRef-File-{}", ref_id(&f.path))))
        .collect();

    let mut refs = Refs::new();
    let mut packages = Vec::new();
    let verification = (!inv.files().is_empty())
        .then(|| verification_code(inv.files().iter().map(|f| f.sha1.as_str())));
    for (a, id) in sbom.subjects.iter().zip(&artifact_ids) {
        packages.push(artifact_package(
            a,
            id,
            &inv.root().version,
            verification.clone(),
        ));
    }
    for (i, c) in inv.crates().iter().enumerate() {
        packages.push(crate_package(
            c,
            &crate_ids[i],
            i == inv.root_index(),
            &mut refs,
        ));
    }

    let files: Vec<File> = inv
        .files()
        .iter()
        .zip(&file_ids)
        .map(|(f, id)| File {
            file_name: format!("./{}", f.path),
            spdx_id: id.clone(),
            checksums: vec![
                Checksum {
                    algorithm: "SHA1",
                    checksum_value: f.sha1.clone(),
                },
                Checksum {
                    algorithm: "SHA256",
                    checksum_value: f.sha256.hex(),
                },
            ],
            comment: Some(match &f.kind {
                FileKind::Regular => format!("mode {:04o}", f.mode),
                FileKind::Symlink { target } => {
                    format!("symbolic link to {target}; checksums are of the link target text")
                }
                FileKind::Hardlink { target } => {
                    format!("mode {:04o}; hard link to {target}", f.mode)
                }
            }),
        })
        .collect();

    let root_id = &crate_ids[inv.root_index()];
    let mut relationships = Vec::new();
    let rel = |a: &str, t: &'static str, b: &str| Relationship {
        spdx_element_id: a.to_owned(),
        relationship_type: t,
        related_spdx_element: b.to_owned(),
    };
    if artifact_ids.is_empty() {
        relationships.push(rel("SPDXRef-DOCUMENT", "DESCRIBES", root_id));
        for f in &file_ids {
            relationships.push(rel(root_id, "CONTAINS", f));
        }
    }
    for a in &artifact_ids {
        relationships.push(rel("SPDXRef-DOCUMENT", "DESCRIBES", a));
        relationships.push(rel(a, "CONTAINS", root_id));
        for f in &file_ids {
            relationships.push(rel(a, "CONTAINS", f));
        }
    }
    for (i, c) in inv.crates().iter().enumerate() {
        for e in &c.dependencies {
            relationships.push(match e.kind {
                DepKind::Normal => rel(&crate_ids[i], "DEPENDS_ON", &crate_ids[e.to]),
                DepKind::Build => rel(&crate_ids[e.to], "BUILD_DEPENDENCY_OF", &crate_ids[i]),
                DepKind::Dev => rel(&crate_ids[e.to], "DEV_DEPENDENCY_OF", &crate_ids[i]),
            });
        }
    }
    relationships.sort();
    relationships.dedup();

    // With files but no artifact, the root crate package holds them.
    if artifact_ids.is_empty()
        && let (Some(code), Some(p)) = (
            verification,
            packages.iter_mut().find(|p| &p.spdx_id == root_id),
        )
    {
        p.files_analyzed = true;
        p.package_verification_code = Some(code);
    }

    let name = match sbom.subjects.first() {
        Some(a) => a.name.clone(),
        None => format!("{}-{}", inv.root().name, inv.root().version),
    };
    let mut creators = vec![format!("Tool: consign-sbom-{}", Sbom::tool_version())];
    creators.extend(sbom.options.creators.iter().cloned());
    let mut doc = SpdxDocument {
        spdx_version: "SPDX-2.3",
        data_license: "CC0-1.0",
        spdx_id: "SPDXRef-DOCUMENT",
        name: name.clone(),
        document_namespace: String::new(),
        creation_info: CreationInfo {
            created: sbom.date.to_rfc3339(),
            creators,
            license_list_version: license_list_version(),
        },
        packages,
        files,
        relationships,
        has_extracted_licensing_infos: refs
            .into_iter()
            .map(|(license_id, (name, text, users))| ExtractedLicense {
                license_id,
                extracted_text: text,
                name,
                comment: Some(format!("Declared by {}", users.join(", "))),
            })
            .collect(),
    };
    // The namespace names this content: derive it from the document without it.
    let unnamed = to_json(&doc)?;
    doc.document_namespace = format!(
        "{}{}-{}",
        sbom.options.namespace_prefix,
        ref_id(&name),
        content_uuid(&unnamed)
    );
    Ok(Document::new(Format::Spdx23, to_json(&doc)?))
}

/// SPDX 2.3 §7.9: SHA-1 of the sorted, concatenated SHA-1 hex digests of the files.
fn verification_code<'a>(sha1s: impl Iterator<Item = &'a str>) -> VerificationCode {
    let mut all: Vec<&str> = sha1s.collect();
    all.sort_unstable();
    let mut h = sha1::Sha1::new();
    for s in all {
        h.update(s.as_bytes());
    }
    VerificationCode {
        package_verification_code_value: hex::encode(h.finalize()),
    }
}

fn artifact_package(
    a: &Artifact,
    id: &str,
    version: &str,
    files: Option<VerificationCode>,
) -> Package {
    let purpose = match a.kind {
        ArtifactKind::Archive => "ARCHIVE",
        ArtifactKind::Deb | ArtifactKind::Rpm | ArtifactKind::Dmg | ArtifactKind::Msi => "INSTALL",
        ArtifactKind::OciImage | ArtifactKind::OciIndex => "CONTAINER",
        ArtifactKind::Binary => "APPLICATION",
        _ => "FILE",
    };
    Package {
        name: a.name.clone(),
        spdx_id: id.to_owned(),
        version_info: Some(version.to_owned()),
        package_file_name: Some(a.name.clone()),
        supplier: None,
        download_location: "NOASSERTION".into(),
        files_analyzed: files.is_some(),
        package_verification_code: files,
        checksums: a
            .digests
            .iter()
            .filter_map(|d| {
                // BLAKE3 goes into the comment: spdx-tools, the reference validator, wants
                // 256 hex digits for it where BLAKE3's default output has 64.
                let algorithm = match d.algorithm() {
                    Algorithm::Sha256 => "SHA256",
                    Algorithm::Sha512 => "SHA512",
                    _ => return None,
                };
                Some(Checksum {
                    algorithm,
                    checksum_value: d.hex(),
                })
            })
            .collect(),
        homepage: None,
        source_info: None,
        license_concluded: "NOASSERTION",
        license_declared: "NOASSERTION".into(),
        copyright_text: "NOASSERTION",
        description: None,
        comment: Some(format!(
            "{} bytes{}{}",
            a.size,
            a.platform.map(|p| format!(", for {p}")).unwrap_or_default(),
            a.digests
                .get(Algorithm::Blake3)
                .map(|d| format!(", BLAKE3 {}", d.hex()))
                .unwrap_or_default()
        )),
        external_refs: Vec::new(),
        primary_package_purpose: purpose,
    }
}

fn crate_package(c: &Crate, id: &str, root: bool, refs: &mut Refs) -> Package {
    let who = format!("{} {}", c.name, c.version);
    let license_declared = match &c.license {
        License::Expression(e) => {
            for (r, original) in e.refs_with_source() {
                let entry = refs.entry(r.clone()).or_insert_with(|| {
                    (
                        original.clone(),
                        format!(
                            "The license identifier \"{original}\" in Cargo metadata is not on the SPDX License List; no license text was supplied."
                        ),
                        Vec::new(),
                    )
                });
                entry.2.push(who.clone());
            }
            e.as_str().to_owned()
        }
        License::File(f) => {
            let r = format!(
                "LicenseRef-{}-{}-license-file",
                ref_id(&c.name),
                ref_id(&c.version)
            );
            refs.entry(r.clone()).or_insert_with(|| {
                (
                    format!("{f} of {who}"),
                    format!("The license of {who} is the text of its license file {f} (Cargo's license-file)."),
                    vec![who.clone()],
                )
            });
            r
        }
        License::Text(t) => {
            let r = format!("LicenseRef-{}", ref_id(t));
            let entry = refs
                .entry(r.clone())
                .or_insert_with(|| (t.clone(), t.clone(), Vec::new()));
            entry.2.push(who.clone());
            r
        }
        License::NotDeclared => "NOASSERTION".into(),
    };
    let (download_location, source_info) = match &c.source {
        Source::CratesIo => (
            format!(
                "https://crates.io/api/v1/crates/{}/{}/download",
                c.name, c.version
            ),
            None,
        ),
        Source::Registry { index } => (
            "NOASSERTION".into(),
            Some(format!("from the registry {index}")),
        ),
        Source::Git { url: u, rev } => (
            match rev {
                Some(r) => format!("git+{}@{r}", url(u)),
                None => format!("git+{}", url(u)),
            },
            None,
        ),
        Source::Path { path } => ("NOASSERTION".into(), Some(format!("local path {path}"))),
    };
    let supplier = c.authors.first().map(|a| {
        let (name, email) = split_author(a);
        let name = name.replace(['(', ')'], "");
        match email {
            Some(e) => format!("Person: {name} ({e})"),
            None => format!("Person: {name}"),
        }
    });
    let mut comment = Vec::new();
    if c.authors.len() > 1 {
        comment.push(format!("Authors: {}", c.authors.join(", ")));
    }
    if let Some(r) = &c.repository {
        comment.push(format!("Repository: {r}"));
    }
    if !c.shipped {
        comment.push("Used only to build or test; not part of the shipped binary.".to_owned());
    }
    let mut external_refs = vec![ExternalRef {
        reference_category: "PACKAGE-MANAGER",
        reference_type: "purl",
        reference_locator: c.purl.clone(),
    }];
    if let Some(r) = &c.repository {
        external_refs.push(ExternalRef {
            reference_category: "OTHER",
            reference_type: "vcs",
            reference_locator: url(r),
        });
    }
    Package {
        name: c.name.clone(),
        spdx_id: id.to_owned(),
        version_info: Some(c.version.clone()),
        package_file_name: None,
        supplier,
        download_location,
        files_analyzed: false,
        package_verification_code: None,
        checksums: c
            .checksum
            .iter()
            .map(|d| Checksum {
                algorithm: "SHA256",
                checksum_value: d.hex(),
            })
            .collect(),
        homepage: c.homepage.as_deref().map(url),
        source_info,
        license_concluded: "NOASSERTION",
        license_declared,
        copyright_text: "NOASSERTION",
        description: c.description.clone(),
        comment: (!comment.is_empty()).then(|| comment.join("\n")),
        external_refs,
        primary_package_purpose: if root { "APPLICATION" } else { "LIBRARY" },
    }
}
