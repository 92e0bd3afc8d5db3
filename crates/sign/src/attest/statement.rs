//! in-toto Statement v1: [`Statement`], what is attested ([`Subject`]s, named by digest) and
//! the typed claim about them (a [`Predicate`]).

use std::collections::BTreeMap;

use consign_core::{Artifact, Digest};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::Error;

/// The `_type` of an in-toto Statement v1.
pub const STATEMENT_TYPE: &str = "https://in-toto.io/Statement/v1";
/// The DSSE payload type of in-toto statements.
pub const IN_TOTO_PAYLOAD_TYPE: &str = "application/vnd.in-toto+json";

/// A typed predicate: its type URI and its JSON body.
pub trait Predicate {
    /// The `predicateType` URI.
    fn predicate_type(&self) -> &str;
    /// The `predicate` object.
    fn to_value(&self) -> Value;
}

/// One attested artifact: a name and its digests (`{"sha256": "<hex>", …}`).
///
/// ```
/// use consign_core::{Algorithm, Digest};
/// use consign_sign::attest::Subject;
/// let s = Subject::new("app.tar.gz", &Digest::of(Algorithm::Sha256, b""));
/// assert_eq!(s.digest["sha256"], "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Subject {
    /// The artifact's name (its path in the release).
    pub name: String,
    /// Algorithm name → lowercase hex.
    pub digest: BTreeMap<String, String>,
}

impl Subject {
    /// A subject named `name` with one digest.
    pub fn new(name: impl Into<String>, digest: &Digest) -> Subject {
        Subject {
            name: name.into(),
            digest: BTreeMap::from([(digest.algorithm().name().to_owned(), digest.hex())]),
        }
    }

    /// Adds another digest.
    #[must_use]
    pub fn with_digest(mut self, digest: &Digest) -> Subject {
        self.digest
            .insert(digest.algorithm().name().to_owned(), digest.hex());
        self
    }

    /// The subject for an artifact: its name and every digest it records.
    pub fn from_artifact(artifact: &Artifact) -> Result<Subject, Error> {
        let digest: BTreeMap<String, String> = artifact
            .digests
            .iter()
            .map(|d| (d.algorithm().name().to_owned(), d.hex()))
            .collect();
        if digest.is_empty() {
            return Err(Error::malformed(
                "in-toto subject",
                format_args!("artifact {} has no digest: hash it first", artifact.name),
            ));
        }
        Ok(Subject {
            name: artifact.name.clone(),
            digest,
        })
    }

    /// Whether `digest` is one of this subject's digests.
    pub fn matches(&self, digest: &Digest) -> bool {
        self.digest.get(digest.algorithm().name()) == Some(&digest.hex())
    }
}

/// An in-toto Statement v1.
///
/// ```
/// use consign_core::{Algorithm, Digest};
/// use consign_sign::attest::{Statement, Subject};
/// let subject = Subject::new("app.tar.gz", &Digest::of(Algorithm::Sha256, b"app"));
/// let st = Statement::from_parts(vec![subject], "https://example.com/test/v1",
///                                serde_json::json!({"ok": true}))?;
/// let json = st.to_json();
/// assert!(json.starts_with(r#"{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"app.tar.gz""#));
/// assert_eq!(Statement::from_json(json.as_bytes())?, st);
/// # Ok::<(), consign_sign::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Statement {
    subjects: Vec<Subject>,
    predicate_type: String,
    predicate: Value,
}

impl Statement {
    /// A statement of `predicate` about `subjects` (at least one, each with a digest).
    pub fn new(subjects: Vec<Subject>, predicate: &dyn Predicate) -> Result<Statement, Error> {
        Statement::from_parts(subjects, predicate.predicate_type(), predicate.to_value())
    }

    /// A statement from an untyped predicate (must be a JSON object).
    pub fn from_parts(
        subjects: Vec<Subject>,
        predicate_type: impl Into<String>,
        predicate: Value,
    ) -> Result<Statement, Error> {
        let statement = Statement {
            subjects,
            predicate_type: predicate_type.into(),
            predicate,
        };
        statement.check()?;
        Ok(statement)
    }

    fn check(&self) -> Result<(), Error> {
        let bad = |reason: &str| Err(Error::malformed("in-toto statement", reason));
        if self.subjects.is_empty() {
            return bad("it has no subject");
        }
        if self.subjects.iter().any(|s| s.digest.is_empty()) {
            return bad("a subject has no digest");
        }
        if self.predicate_type.is_empty() {
            return bad("the predicate type is empty");
        }
        if !self.predicate.is_object() {
            return bad("the predicate is not a JSON object");
        }
        Ok(())
    }

    /// The subjects.
    pub fn subjects(&self) -> &[Subject] {
        &self.subjects
    }

    /// The subject with `digest`, if any.
    pub fn subject_for(&self, digest: &Digest) -> Option<&Subject> {
        self.subjects.iter().find(|s| s.matches(digest))
    }

    /// The predicate type URI.
    pub fn predicate_type(&self) -> &str {
        &self.predicate_type
    }

    /// The predicate.
    pub fn predicate(&self) -> &Value {
        &self.predicate
    }

    /// Compact JSON (`_type`, `subject`, `predicateType`, `predicate`).
    pub fn to_json(&self) -> String {
        let json = JsonStatement {
            type_: STATEMENT_TYPE.to_owned(),
            subject: self.subjects.clone(),
            predicate_type: self.predicate_type.clone(),
            predicate: self.predicate.clone(),
        };
        // Strings, maps and JSON values only: serializing cannot fail.
        serde_json::to_string(&json).unwrap_or_default()
    }

    /// Reads a Statement v1.
    pub fn from_json(text: &[u8]) -> Result<Statement, Error> {
        let json: JsonStatement =
            serde_json::from_slice(text).map_err(|e| Error::malformed("in-toto statement", e))?;
        if json.type_ != STATEMENT_TYPE {
            return Err(Error::malformed(
                "in-toto statement",
                format_args!("_type {:?} is not {STATEMENT_TYPE}", json.type_),
            ));
        }
        Statement::from_parts(json.subject, json.predicate_type, json.predicate)
    }
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct JsonStatement {
    #[serde(rename = "_type")]
    type_: String,
    subject: Vec<Subject>,
    predicate_type: String,
    predicate: Value,
}
