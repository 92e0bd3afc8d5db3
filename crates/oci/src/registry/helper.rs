//! Running a Docker credential helper (`docker-credential-<name> get`): a checked name, a
//! time limit and bounded output, since the name comes from a configuration file.

use std::io::{Read, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::RegistryError;

/// How long a helper may take (it may ask a keychain or a cloud API).
const TIMEOUT: Duration = Duration::from_secs(60);

/// The most of a helper's output that is read.
const MAX_OUTPUT: u64 = 64 << 10;

/// Runs the helper `name` for `server_url`: its standard output, or `None` when it says it
/// holds no credentials.
pub(crate) fn run(
    name: &str,
    server_url: &str,
    registry: &str,
) -> Result<Option<Vec<u8>>, RegistryError> {
    let fail = |detail: String| RegistryError::CredentialHelper {
        helper: name.to_owned(),
        registry: registry.to_owned(),
        detail,
    };
    if name.is_empty()
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
        || name.starts_with('.')
    {
        return Err(fail(
            "not a helper name: use letters, digits and -_. (the program run is \
             docker-credential-<name> on PATH)"
                .to_owned(),
        ));
    }
    run_program(
        Path::new(&format!("docker-credential-{name}")),
        server_url,
        TIMEOUT,
    )
    .map_err(fail)
}

/// Runs `program get` with `input` on its standard input, killed after `timeout`.
fn run_program(program: &Path, input: &str, timeout: Duration) -> Result<Option<Vec<u8>>, String> {
    let shown = program.display();
    let mut child = Command::new(program)
        .arg("get")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run {shown} (is it on PATH?): {e}"))?;
    if let Some(mut stdin) = child.stdin.take() {
        // A helper that exits without reading is answered by its status below.
        let _ = stdin.write_all(input.as_bytes());
    }
    let reader = |pipe: Option<Box<dyn Read + Send>>| {
        std::thread::spawn(move || {
            let mut out = Vec::new();
            if let Some(pipe) = pipe {
                let _ = pipe.take(MAX_OUTPUT).read_to_end(&mut out);
            }
            out
        })
    };
    let stdout = reader(
        child
            .stdout
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let stderr = reader(
        child
            .stderr
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let start = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if start.elapsed() < timeout => {
                std::thread::sleep(Duration::from_millis(10));
            }
            Ok(None) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("{shown} did not answer within {timeout:?}"));
            }
            Err(e) => return Err(format!("{shown} did not finish: {e}")),
        }
    };
    let out = stdout.join().unwrap_or_default();
    let err = stderr.join().unwrap_or_default();
    if !status.success() {
        let said = String::from_utf8_lossy(&out).to_string() + &String::from_utf8_lossy(&err);
        // The helper protocol's answer for "nothing stored".
        if said.contains("credentials not found") {
            return Ok(None);
        }
        let said: String = said.trim().chars().take(512).collect();
        return Err(format!("exited with {status}: {said}"));
    }
    Ok(Some(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn script(dir: &Path, name: &str, body: &str) -> std::path::PathBuf {
        use std::os::unix::fs::PermissionsExt;
        let path = dir.join(name);
        std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        path
    }

    #[test]
    fn names_are_checked_and_slow_helpers_stopped() {
        for bad in ["", "../evil", "a/b", ".hidden", "x y"] {
            let err = run(bad, "registry", "registry").unwrap_err();
            assert!(
                err.to_string().contains("not a helper name"),
                "{bad:?}: {err}"
            );
        }
        let dir = tempfile::tempdir().unwrap();
        let slow = script(dir.path(), "slow", "exec sleep 30");
        let start = Instant::now();
        let err = run_program(&slow, "r", Duration::from_millis(300)).unwrap_err();
        assert!(err.contains("did not answer"), "{err}");
        assert!(start.elapsed() < Duration::from_secs(10));

        let none = script(
            dir.path(),
            "none",
            "echo 'credentials not found in native keychain'; exit 1",
        );
        assert_eq!(run_program(&none, "r", TIMEOUT).unwrap(), None);
        let ok = script(
            dir.path(),
            "ok",
            r#"read url; printf '{"Username":"u","Secret":"%s"}' "$url""#,
        );
        let out = run_program(&ok, "ghcr.io\n", TIMEOUT).unwrap().unwrap();
        assert_eq!(out, br#"{"Username":"u","Secret":"ghcr.io"}"#);
        // Output past the cap is not read: the helper stops on a broken pipe, an error.
        let loud = script(dir.path(), "loud", "yes | head -c 100000000");
        let err = run_program(&loud, "r", TIMEOUT).unwrap_err();
        assert!(err.contains("exited") && err.len() < 700, "{err}");
    }
}
