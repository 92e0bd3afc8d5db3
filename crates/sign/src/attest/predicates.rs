//! The other predicates a release attests: an SBOM ([`SbomPredicate`], the document itself)
//! and a vulnerability scan ([`VulnScanPredicate`], cosign's `vuln/v1` or in-toto's
//! `vulns/v0.1`).

use serde_json::{Map, Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::statement::Predicate;
use crate::Error;

/// The predicate type of a CycloneDX SBOM.
pub const CYCLONEDX_BOM: &str = "https://cyclonedx.org/bom";
/// The predicate type of an SPDX SBOM.
pub const SPDX_DOCUMENT: &str = "https://spdx.dev/Document";
/// cosign's vulnerability-scan predicate (`cosign attest --type vuln`).
pub const COSIGN_VULN_V1: &str = "https://cosign.sigstore.dev/attestation/vuln/v1";
/// in-toto's vulnerability predicate.
pub const IN_TOTO_VULNS_V01: &str = "https://in-toto.io/attestation/vulns/v0.1";

/// Which SBOM format a document is in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SbomFormat {
    /// CycloneDX JSON.
    CycloneDx,
    /// SPDX JSON.
    Spdx,
}

/// An SBOM as a predicate: the whole JSON document is the predicate.
///
/// ```
/// use consign_sign::attest::{Predicate, SbomPredicate};
/// let sbom = SbomPredicate::from_json(br#"{"bomFormat":"CycloneDX","specVersion":"1.6"}"#)?;
/// assert_eq!(sbom.predicate_type(), "https://cyclonedx.org/bom");
/// # Ok::<(), consign_sign::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SbomPredicate {
    format: SbomFormat,
    document: Value,
}

impl SbomPredicate {
    /// An SBOM in `format` from its parsed document (a JSON object).
    pub fn new(format: SbomFormat, document: Value) -> Result<SbomPredicate, Error> {
        if !document.is_object() {
            return Err(Error::malformed(
                "SBOM predicate",
                "the document is not a JSON object",
            ));
        }
        Ok(SbomPredicate { format, document })
    }

    /// An SBOM from its JSON text, the format recognized by `bomFormat: CycloneDX` or
    /// `spdxVersion`.
    pub fn from_json(text: &[u8]) -> Result<SbomPredicate, Error> {
        let document: Value =
            serde_json::from_slice(text).map_err(|e| Error::malformed("SBOM", e))?;
        let format = if document.get("bomFormat").and_then(Value::as_str) == Some("CycloneDX") {
            SbomFormat::CycloneDx
        } else if document.get("spdxVersion").is_some() {
            SbomFormat::Spdx
        } else {
            return Err(Error::malformed(
                "SBOM",
                "neither CycloneDX (bomFormat) nor SPDX (spdxVersion) JSON",
            ));
        };
        SbomPredicate::new(format, document)
    }

    /// The format.
    pub fn format(&self) -> SbomFormat {
        self.format
    }
}

impl Predicate for SbomPredicate {
    fn predicate_type(&self) -> &str {
        match self.format {
            SbomFormat::CycloneDx => CYCLONEDX_BOM,
            SbomFormat::Spdx => SPDX_DOCUMENT,
        }
    }

    fn to_value(&self) -> Value {
        self.document.clone()
    }
}

/// Which vulnerability predicate to write.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum VulnFormat {
    /// `https://cosign.sigstore.dev/attestation/vuln/v1`: the scanner's report as `result`.
    Cosign,
    /// `https://in-toto.io/attestation/vulns/v0.1`: `result` is a list of
    /// `{id, severity: [{method, score}]}`.
    InToto,
}

/// A vulnerability scan of the subjects.
///
/// ```
/// use consign_sign::attest::{Predicate, VulnFormat, VulnScanPredicate};
/// use time::macros::datetime;
/// let scan = VulnScanPredicate::new(VulnFormat::InToto, "pkg:github/aquasecurity/trivy@v0.58.1", "0.58.1")
///     .finding("CVE-2024-0001", "nvd", "7.5")
///     .scan_started_on(datetime!(2026-01-02 03:04:05 UTC))
///     .scan_finished_on(datetime!(2026-01-02 03:04:09 UTC));
/// let v = scan.to_value();
/// assert_eq!(v["scanner"]["result"][0]["id"], "CVE-2024-0001");
/// assert_eq!(scan.predicate_type(), "https://in-toto.io/attestation/vulns/v0.1");
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct VulnScanPredicate {
    format: VulnFormat,
    scanner_uri: String,
    scanner_version: String,
    db_uri: Option<String>,
    db_version: Option<String>,
    findings: Vec<Value>,
    report: Option<Value>,
    started: Option<OffsetDateTime>,
    finished: Option<OffsetDateTime>,
}

impl VulnScanPredicate {
    /// A scan by the scanner at `scanner_uri` (a purl or URL) of version `scanner_version`.
    pub fn new(
        format: VulnFormat,
        scanner_uri: impl Into<String>,
        scanner_version: impl Into<String>,
    ) -> Self {
        VulnScanPredicate {
            format,
            scanner_uri: scanner_uri.into(),
            scanner_version: scanner_version.into(),
            db_uri: None,
            db_version: None,
            findings: Vec::new(),
            report: None,
            started: None,
            finished: None,
        }
    }

    /// Names the vulnerability database.
    #[must_use]
    pub fn db(mut self, uri: impl Into<String>, version: impl Into<String>) -> Self {
        self.db_uri = Some(uri.into());
        self.db_version = Some(version.into());
        self
    }

    /// Adds a finding: a vulnerability id scored `score` by `method` (`nvd`, `cvss_v3`, …).
    #[must_use]
    pub fn finding(
        mut self,
        id: impl Into<String>,
        method: impl Into<String>,
        score: impl Into<String>,
    ) -> Self {
        self.findings.push(json!({
            "id": id.into(),
            "severity": [{"method": method.into(), "score": score.into()}],
        }));
        self
    }

    /// The scanner's own report (cosign's format carries it as `result`; without one, the
    /// findings are the result).
    #[must_use]
    pub fn report(mut self, report: Value) -> Self {
        self.report = Some(report);
        self
    }

    /// When the scan started.
    #[must_use]
    pub fn scan_started_on(mut self, at: OffsetDateTime) -> Self {
        self.started = Some(at);
        self
    }

    /// When the scan finished.
    #[must_use]
    pub fn scan_finished_on(mut self, at: OffsetDateTime) -> Self {
        self.finished = Some(at);
        self
    }
}

fn time_value(at: Option<OffsetDateTime>) -> Value {
    at.and_then(|t| t.to_offset(time::UtcOffset::UTC).format(&Rfc3339).ok())
        .map_or(Value::Null, Value::String)
}

impl Predicate for VulnScanPredicate {
    fn predicate_type(&self) -> &str {
        match self.format {
            VulnFormat::Cosign => COSIGN_VULN_V1,
            VulnFormat::InToto => IN_TOTO_VULNS_V01,
        }
    }

    fn to_value(&self) -> Value {
        let mut db = Map::new();
        if let Some(uri) = &self.db_uri {
            db.insert("uri".into(), uri.clone().into());
        }
        if let Some(version) = &self.db_version {
            db.insert("version".into(), version.clone().into());
        }
        let mut metadata = Map::new();
        for (key, at) in [
            ("scanStartedOn", self.started),
            ("scanFinishedOn", self.finished),
        ] {
            let v = time_value(at);
            if !v.is_null() {
                metadata.insert(key.into(), v);
            }
        }
        match self.format {
            VulnFormat::Cosign => json!({
                "invocation": {"parameters": null, "uri": "", "event_id": "", "builder.id": ""},
                "scanner": {
                    "uri": self.scanner_uri,
                    "version": self.scanner_version,
                    "db": db,
                    "result": self.report.clone().unwrap_or_else(|| json!({"findings": self.findings})),
                },
                "metadata": metadata,
            }),
            VulnFormat::InToto => json!({
                "scanner": {
                    "uri": self.scanner_uri,
                    "version": self.scanner_version,
                    "db": db,
                    "result": self.findings,
                },
                "metadata": metadata,
            }),
        }
    }
}
