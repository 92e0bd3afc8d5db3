//! The release's keys and signatures.
//!
//! Keys come from flags or the environment: `--pgp-key FILE` or `$CONSIGN_PGP_KEY` (an armored
//! OpenPGP secret key, Ed25519 or RSA; passphrase in `$CONSIGN_PGP_PASSPHRASE`) and
//! `--cosign-key FILE` or `$COSIGN_KEY` (a cosign key file, passphrase in `$COSIGN_PASSWORD`).
//! A key not given is generated for this run, said so on standard error, and thrown away; the
//! public keys used are always written to `keys/release.asc` and `keys/cosign.pub`.
//!
//! The OpenPGP key signs the checksum file (`SHA256SUMS.asc`) and the `.deb` and `.rpm`; the
//! cosign key signs the checksum file (`SHA256SUMS.sig`, `SHA256SUMS.sigstore.json`), the
//! image and index in `oci/`, and the provenance attestation.

use std::collections::BTreeMap;
use std::path::PathBuf;

use consign::core::{Algorithm, Artifact, Digest, PackageMeta, ReleaseManifest, SourceDate};
use consign::oci::attach::{Attachment, Attachments, Kind};
use consign::oci::{Descriptor, OciLayout};
use consign::sign::attest::{
    Envelope, JsonlWriter, Provenance, ResourceDescriptor, SLSA_PROVENANCE_V1, Statement, Subject,
};
use consign::sign::cosign::{self, Bundle, CosignKey, CosignSigner, SimpleSigning};
use consign::sign::openpgp::{self, OpenPgpKey, OpenPgpSigner};
use consign::sign::{KeyAlgorithm, SignatureFormat, Signer};

use crate::{Error, workspace_root};

/// Where the keys come from (flags; the environment fills what they leave out).
#[derive(Default)]
pub struct KeySources {
    /// `--pgp-key`.
    pub pgp: Option<PathBuf>,
    /// `--cosign-key`.
    pub cosign: Option<PathBuf>,
}

/// The build type of provenance written outside GitHub Actions: this program, run by hand or
/// by any CI system, with the parameters recorded in `externalParameters`.
const BUILD_TYPE: &str = "https://github.com/consign-rs/consign/examples/release/v1";

/// The release's two signers, held through the signing seam: any backend (a KMS, an agent)
/// could stand in for either.
pub struct Keys {
    /// Signs checksums and packages (OpenPGP).
    pub pgp: Box<dyn Signer>,
    /// Signs blobs, images and attestations (cosign, ECDSA P-256).
    pub cosign: Box<dyn Signer>,
}

impl Keys {
    /// Loads or generates the keys.
    pub fn load(sources: KeySources, date: SourceDate, meta: &PackageMeta) -> Result<Keys, Error> {
        let pgp_passphrase = openpgp::Passphrase::from_env("CONSIGN_PGP_PASSPHRASE");
        let pgp_path = sources
            .pgp
            .or_else(|| std::env::var_os("CONSIGN_PGP_KEY").map(PathBuf::from));
        let pgp = match pgp_path {
            Some(path) => OpenPgpSigner::from_file(&path, &pgp_passphrase, date)?,
            None => {
                eprintln!(
                    "release: no OpenPGP key given (--pgp-key or CONSIGN_PGP_KEY): signing with \
                     a throwaway Ed25519 key made for this run; its public key is keys/release.asc"
                );
                let key = OpenPgpKey::generate(
                    &format!("{} release (throwaway) <release@invalid>", meta.name()),
                    KeyAlgorithm::Ed25519,
                    date,
                )?;
                OpenPgpSigner::from_armored(
                    key.secret_armored(),
                    &openpgp::Passphrase::none(),
                    date,
                )?
            }
        };
        let cosign_path = sources
            .cosign
            .or_else(|| std::env::var_os("COSIGN_KEY").map(PathBuf::from));
        let cosign_key = match cosign_path {
            Some(path) => CosignKey::read(&path, cosign::Passphrase::from_env().as_ref())?,
            None => {
                eprintln!(
                    "release: no cosign key given (--cosign-key or COSIGN_KEY): signing with a \
                     throwaway ECDSA P-256 key made for this run; its public key is keys/cosign.pub"
                );
                CosignKey::generate()?
            }
        };
        Ok(Keys {
            pgp: Box::new(pgp),
            cosign: Box::new(CosignSigner::new(cosign_key, "cosign")),
        })
    }

    /// The public keys as published: `keys/release.asc` and `keys/cosign.pub`, as (name,
    /// bytes) relative to the output directory.
    pub fn public_files(&self) -> Vec<(&'static str, &[u8])> {
        vec![
            ("keys/release.asc", &self.pgp.key().public_key),
            ("keys/cosign.pub", &self.cosign.key().public_key),
        ]
    }

    /// Signs the checksum file `text` (named `file_name`): `<file>.asc` (OpenPGP, armored),
    /// `<file>.sig` (cosign) and `<file>.sigstore.json` (Sigstore bundle). Returns the files
    /// written, as (name, bytes).
    pub fn sign_checksums(
        &self,
        file_name: &str,
        text: &[u8],
    ) -> Result<Vec<(String, Vec<u8>)>, Error> {
        let asc = self
            .pgp
            .sign(&mut &text[..], SignatureFormat::OpenPgpArmored)?;
        let digest = Digest::of(Algorithm::Sha256, text);
        let sig = self
            .cosign
            .sign(&mut &text[..], SignatureFormat::CosignBlob)?;
        let bundle = Bundle::message_signature(&digest, &sig)?;
        Ok(vec![
            (format!("{file_name}.asc"), asc.bytes().to_vec()),
            (format!("{file_name}.sig"), sig.bytes().to_vec()),
            (
                format!("{file_name}.sigstore.json"),
                bundle.to_json().into_bytes(),
            ),
        ])
    }

    /// A signed SLSA provenance v1 statement about `subjects`.
    pub fn provenance(
        &self,
        subjects: Vec<Subject>,
        meta: &PackageMeta,
        target: &str,
        date: SourceDate,
    ) -> Result<Envelope, Error> {
        let env: BTreeMap<String, String> = std::env::vars().collect();
        let provenance = match Provenance::from_github_actions(&env)? {
            Some(p) => p,
            None => Provenance::new(BUILD_TYPE, local_builder_id()),
        };
        let mut provenance = provenance
            .external_parameter("name", meta.name())
            .external_parameter("version", meta.version().as_str())
            .external_parameter("target", target)
            .external_parameter("sourceDateEpoch", date.unix());
        if let Some(source) = source_revision(meta) {
            provenance = provenance.resolved_dependency(source);
        }
        let statement = Statement::new(subjects, &provenance)?;
        Ok(Envelope::sign_statement(&statement, self.cosign.as_ref())?)
    }

    /// Signs the manifests `subjects` (the image and the index) in `layout` with the cosign
    /// key (simple-signing payloads naming `reference`), and attaches the provenance
    /// `attestation` to each; both as cosign tags and OCI referrers.
    pub fn sign_layout(
        &self,
        layout: &OciLayout,
        reference: &str,
        subjects: &[&Descriptor],
        attestation: &Envelope,
    ) -> Result<Vec<Vec<consign::core::Digest>>, Error> {
        let mut attached = Vec::new();
        for subject in subjects {
            let (payload, signature) =
                SimpleSigning::new(reference, subject.digest).sign(self.cosign.as_ref())?;
            let signed = Attachments::new(Kind::Signatures)
                .push(Attachment::simple_signing(payload, &signature)?)
                .write_to(layout, subject)?;
            let attested = Attachments::new(Kind::Attestations)
                .push(Attachment::attestation(
                    attestation.to_json().into_bytes(),
                    SLSA_PROVENANCE_V1,
                ))
                .write_to(layout, subject)?;
            attached.push(
                [signed.0, signed.1, attested.0, attested.1]
                    .iter()
                    .map(|d| d.digest)
                    .collect(),
            );
        }
        Ok(attached)
    }
}

/// Writes `envelopes` as `.intoto.jsonl` (one DSSE envelope per line).
pub fn jsonl(envelopes: &[&Envelope]) -> Result<Vec<u8>, Error> {
    let mut w = JsonlWriter::new(Vec::new());
    for e in envelopes {
        w.write(e)?;
    }
    Ok(w.finish()?)
}

/// The in-toto subjects of the recorded artifacts.
pub fn subjects(manifest: &ReleaseManifest) -> Result<Vec<Subject>, Error> {
    manifest
        .artifacts()
        .map(|a: &Artifact| Subject::from_artifact(a).map_err(Error::from))
        .collect()
}

/// Who ran the build outside GitHub Actions: this program, at this version.
fn local_builder_id() -> String {
    format!(
        "https://github.com/consign-rs/consign/examples/release@{}",
        env!("CARGO_PKG_VERSION")
    )
}

/// The checked-out commit of the workspace, as a resolved dependency.
fn source_revision(meta: &PackageMeta) -> Option<ResourceDescriptor> {
    let out = std::process::Command::new("git")
        .args(["rev-parse", "HEAD"])
        .current_dir(workspace_root())
        .output()
        .ok()?;
    let commit = String::from_utf8(out.stdout).ok()?.trim().to_owned();
    if !out.status.success() || commit.len() != 40 {
        return None;
    }
    let repo = meta
        .repository
        .clone()
        .unwrap_or_else(|| "https://github.com/consign-rs/consign".to_owned());
    Some(ResourceDescriptor::new(format!("git+{repo}@{commit}")).with_digest("gitCommit", commit))
}
