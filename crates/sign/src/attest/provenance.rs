//! SLSA provenance v1 (`https://slsa.dev/provenance/v1`): [`Provenance`], how an artifact was
//! built, filled by hand or from a GitHub Actions environment ([`Provenance::from_github_actions`]).

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::{Map, Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::statement::Predicate;
use crate::Error;

/// The predicate type of SLSA provenance v1.
pub const SLSA_PROVENANCE_V1: &str = "https://slsa.dev/provenance/v1";
/// The build type GitHub uses for Actions workflows.
pub const GITHUB_WORKFLOW_BUILD_TYPE: &str = "https://actions.github.io/buildtypes/workflow/v1";

/// The environment variables [`Provenance::from_github_actions`] reads. A caller gathers them
/// (`std::env::vars().collect()` will do) and passes the map.
pub const GITHUB_ACTIONS_VARIABLES: &[&str] = &[
    "GITHUB_ACTIONS",
    "GITHUB_SERVER_URL",
    "GITHUB_REPOSITORY",
    "GITHUB_REPOSITORY_ID",
    "GITHUB_REPOSITORY_OWNER_ID",
    "GITHUB_WORKFLOW_REF",
    "GITHUB_SHA",
    "GITHUB_REF",
    "GITHUB_EVENT_NAME",
    "GITHUB_RUN_ID",
    "GITHUB_RUN_ATTEMPT",
    "RUNNER_ENVIRONMENT",
    "RUNNER_OS",
    "RUNNER_ARCH",
];

/// An artifact or input named by URI and digest (in-toto ResourceDescriptor).
///
/// ```
/// use consign_sign::attest::ResourceDescriptor;
/// let src = ResourceDescriptor::new("git+https://github.com/o/r@refs/tags/v1")
///     .with_digest("gitCommit", "7fd1a60b01f91b314f59955a4e4d4e80d8edf11d");
/// assert_eq!(src.digest["gitCommit"].len(), 40);
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct ResourceDescriptor {
    /// Where the resource is (`git+https://…@ref`, `pkg:cargo/serde@1.0.0`, …).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub uri: String,
    /// Algorithm → hex (`sha256`, `gitCommit`, …).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub digest: BTreeMap<String, String>,
    /// A name.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub name: String,
    /// Where it can be downloaded from.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub download_location: String,
    /// Its media type.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub media_type: String,
}

impl ResourceDescriptor {
    /// A resource at `uri`.
    pub fn new(uri: impl Into<String>) -> ResourceDescriptor {
        ResourceDescriptor {
            uri: uri.into(),
            ..ResourceDescriptor::default()
        }
    }

    /// Adds a digest.
    #[must_use]
    pub fn with_digest(mut self, algorithm: impl Into<String>, hex: impl Into<String>) -> Self {
        self.digest.insert(algorithm.into(), hex.into());
        self
    }

    /// Sets the name.
    #[must_use]
    pub fn with_name(mut self, name: impl Into<String>) -> Self {
        self.name = name.into();
        self
    }
}

/// SLSA provenance v1: `buildDefinition` (build type, external and internal parameters,
/// resolved dependencies) and `runDetails` (builder id, invocation id, start and finish times).
/// Times are given by the caller; nothing here reads a clock or the environment.
///
/// ```
/// use consign_sign::attest::{Predicate, Provenance, ResourceDescriptor};
/// use time::macros::datetime;
/// let p = Provenance::new("https://consign.invalid/release/v1", "https://ci.example.com/runner")
///     .external_parameter("tag", "v1.0.0")
///     .resolved_dependency(ResourceDescriptor::new("git+https://example.com/app@v1.0.0")
///         .with_digest("gitCommit", "7fd1a60b01f91b314f59955a4e4d4e80d8edf11d"))
///     .invocation_id("run-42")
///     .started_on(datetime!(2026-01-02 03:04:05 UTC))
///     .finished_on(datetime!(2026-01-02 03:09:00 UTC));
/// let v = p.to_value();
/// assert_eq!(v["runDetails"]["metadata"]["startedOn"], "2026-01-02T03:04:05Z");
/// assert_eq!(p.predicate_type(), "https://slsa.dev/provenance/v1");
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Provenance {
    build_type: String,
    external_parameters: Map<String, Value>,
    internal_parameters: Map<String, Value>,
    resolved_dependencies: Vec<ResourceDescriptor>,
    builder_id: String,
    invocation_id: Option<String>,
    started_on: Option<OffsetDateTime>,
    finished_on: Option<OffsetDateTime>,
    byproducts: Vec<ResourceDescriptor>,
}

impl Provenance {
    /// Provenance of a build of type `build_type` (a URI defining the parameters) run by the
    /// builder `builder_id` (a URI naming the trusted build platform).
    pub fn new(build_type: impl Into<String>, builder_id: impl Into<String>) -> Provenance {
        Provenance {
            build_type: build_type.into(),
            external_parameters: Map::new(),
            internal_parameters: Map::new(),
            resolved_dependencies: Vec::new(),
            builder_id: builder_id.into(),
            invocation_id: None,
            started_on: None,
            finished_on: None,
            byproducts: Vec::new(),
        }
    }

    /// Provenance of the GitHub Actions run described by `env` (the variables in
    /// [`GITHUB_ACTIONS_VARIABLES`]), in GitHub's `workflow/v1` build type, as
    /// `actions/attest-build-provenance` fills it. `Ok(None)` when `GITHUB_ACTIONS` is not
    /// `true`; an error names a required variable that is missing.
    pub fn from_github_actions(
        env: &BTreeMap<String, String>,
    ) -> Result<Option<Provenance>, Error> {
        if env.get("GITHUB_ACTIONS").map(String::as_str) != Some("true") {
            return Ok(None);
        }
        let get = |name: &str| {
            env.get(name)
                .filter(|v| !v.is_empty())
                .cloned()
                .ok_or_else(|| {
                    Error::malformed(
                        "GitHub Actions environment",
                        format_args!("{name} is not set (GITHUB_ACTIONS is true)"),
                    )
                })
        };
        let server = get("GITHUB_SERVER_URL")?;
        let repository = get("GITHUB_REPOSITORY")?;
        let workflow_ref = get("GITHUB_WORKFLOW_REF")?;
        let sha = get("GITHUB_SHA")?;
        let git_ref = get("GITHUB_REF")?;
        let run_id = get("GITHUB_RUN_ID")?;
        let attempt = get("GITHUB_RUN_ATTEMPT")?;
        // owner/repo/.github/workflows/release.yml@refs/tags/v1 → .github/workflows/release.yml
        let path = workflow_ref
            .split_once('@')
            .map_or(workflow_ref.as_str(), |(p, _)| p)
            .strip_prefix(&format!("{repository}/"))
            .ok_or_else(|| {
                Error::malformed(
                    "GitHub Actions environment",
                    format_args!("GITHUB_WORKFLOW_REF {workflow_ref:?} is not in {repository}"),
                )
            })?
            .to_owned();
        let mut github = Map::new();
        for (key, var) in [
            ("event_name", "GITHUB_EVENT_NAME"),
            ("repository_id", "GITHUB_REPOSITORY_ID"),
            ("repository_owner_id", "GITHUB_REPOSITORY_OWNER_ID"),
            ("runner_environment", "RUNNER_ENVIRONMENT"),
            ("runner_os", "RUNNER_OS"),
            ("runner_arch", "RUNNER_ARCH"),
        ] {
            if let Some(v) = env.get(var).filter(|v| !v.is_empty()) {
                github.insert(key.to_owned(), Value::String(v.clone()));
            }
        }
        let server = server.trim_end_matches('/');
        let mut provenance = Provenance::new(
            GITHUB_WORKFLOW_BUILD_TYPE,
            format!("{server}/{workflow_ref}"),
        )
        .external_parameter(
            "workflow",
            json!({"ref": git_ref, "repository": format!("{server}/{repository}"), "path": path}),
        )
        .resolved_dependency(
            ResourceDescriptor::new(format!("git+{server}/{repository}@{git_ref}"))
                .with_digest("gitCommit", sha),
        )
        .invocation_id(format!(
            "{server}/{repository}/actions/runs/{run_id}/attempts/{attempt}"
        ));
        if !github.is_empty() {
            provenance = provenance.internal_parameter("github", Value::Object(github));
        }
        Ok(Some(provenance))
    }

    /// Sets an external parameter (an input the build's caller controls).
    #[must_use]
    pub fn external_parameter(mut self, key: impl Into<String>, value: impl Into<Value>) -> Self {
        self.external_parameters.insert(key.into(), value.into());
        self
    }

    /// Sets an internal parameter (set by the build platform).
    #[must_use]
    pub fn internal_parameter(mut self, key: impl Into<String>, value: impl Into<Value>) -> Self {
        self.internal_parameters.insert(key.into(), value.into());
        self
    }

    /// Adds a resolved dependency (sources, toolchains, base images).
    #[must_use]
    pub fn resolved_dependency(mut self, dependency: ResourceDescriptor) -> Self {
        self.resolved_dependencies.push(dependency);
        self
    }

    /// Adds a byproduct (a log, an SBOM).
    #[must_use]
    pub fn byproduct(mut self, byproduct: ResourceDescriptor) -> Self {
        self.byproducts.push(byproduct);
        self
    }

    /// Sets the invocation id (unique per run).
    #[must_use]
    pub fn invocation_id(mut self, id: impl Into<String>) -> Self {
        self.invocation_id = Some(id.into());
        self
    }

    /// Sets when the build started.
    #[must_use]
    pub fn started_on(mut self, at: OffsetDateTime) -> Self {
        self.started_on = Some(at);
        self
    }

    /// Sets when the build finished.
    #[must_use]
    pub fn finished_on(mut self, at: OffsetDateTime) -> Self {
        self.finished_on = Some(at);
        self
    }
}

fn rfc3339(at: OffsetDateTime) -> Value {
    // Whole seconds in UTC, as SLSA examples and protobuf Timestamps expect.
    let utc = at
        .to_offset(time::UtcOffset::UTC)
        .replace_nanosecond(0)
        .unwrap_or(at);
    utc.format(&Rfc3339)
        .map(Value::String)
        .unwrap_or(Value::Null)
}

impl Predicate for Provenance {
    fn predicate_type(&self) -> &str {
        SLSA_PROVENANCE_V1
    }

    fn to_value(&self) -> Value {
        let mut build = Map::new();
        build.insert("buildType".into(), self.build_type.clone().into());
        build.insert(
            "externalParameters".into(),
            Value::Object(self.external_parameters.clone()),
        );
        if !self.internal_parameters.is_empty() {
            build.insert(
                "internalParameters".into(),
                Value::Object(self.internal_parameters.clone()),
            );
        }
        if !self.resolved_dependencies.is_empty() {
            build.insert(
                "resolvedDependencies".into(),
                json!(self.resolved_dependencies),
            );
        }
        let mut metadata = Map::new();
        if let Some(id) = &self.invocation_id {
            metadata.insert("invocationId".into(), id.clone().into());
        }
        if let Some(at) = self.started_on {
            metadata.insert("startedOn".into(), rfc3339(at));
        }
        if let Some(at) = self.finished_on {
            metadata.insert("finishedOn".into(), rfc3339(at));
        }
        let mut run = Map::new();
        run.insert("builder".into(), json!({"id": self.builder_id}));
        if !metadata.is_empty() {
            run.insert("metadata".into(), Value::Object(metadata));
        }
        if !self.byproducts.is_empty() {
            run.insert("byproducts".into(), json!(self.byproducts));
        }
        json!({"buildDefinition": build, "runDetails": run})
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The variables of a GitHub Actions run (shared with the facade's attestation tests).
    fn github_env() -> BTreeMap<String, String> {
        include_str!("../../testdata/github-actions.env")
            .lines()
            .filter_map(|line| line.split_once('='))
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect()
    }

    #[test]
    fn github_actions_environment_fills_the_workflow_build_type() {
        let p = Provenance::from_github_actions(&github_env())
            .unwrap()
            .unwrap();
        let v = p.to_value();
        assert_eq!(
            v["buildDefinition"]["buildType"],
            GITHUB_WORKFLOW_BUILD_TYPE
        );
        assert_eq!(
            v["buildDefinition"]["externalParameters"]["workflow"],
            json!({"ref": "refs/tags/v1.0.0", "repository": "https://github.com/consign-rs/consign",
                   "path": ".github/workflows/release.yml"})
        );
        assert_eq!(
            v["buildDefinition"]["resolvedDependencies"][0],
            json!({"uri": "git+https://github.com/consign-rs/consign@refs/tags/v1.0.0",
                   "digest": {"gitCommit": "7fd1a60b01f91b314f59955a4e4d4e80d8edf11d"}})
        );
        assert_eq!(
            v["buildDefinition"]["internalParameters"]["github"]["event_name"],
            "push"
        );
        assert_eq!(
            v["runDetails"]["builder"]["id"],
            "https://github.com/consign-rs/consign/.github/workflows/release.yml@refs/tags/v1.0.0"
        );
        assert_eq!(
            v["runDetails"]["metadata"]["invocationId"],
            "https://github.com/consign-rs/consign/actions/runs/4242/attempts/2"
        );
    }

    #[test]
    fn outside_actions_is_none_and_a_missing_variable_is_named() {
        let mut env = github_env();
        env.insert("GITHUB_ACTIONS".into(), "false".into());
        assert!(Provenance::from_github_actions(&env).unwrap().is_none());
        let mut env = github_env();
        env.remove("GITHUB_SHA");
        let err = Provenance::from_github_actions(&env).unwrap_err();
        assert!(err.to_string().contains("GITHUB_SHA"), "{err}");
    }
}
