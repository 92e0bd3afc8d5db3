//! The release's annotated tag, written by consign-version and read back by git: the same
//! object `git tag -a` writes, and signed tags that `git verify-tag` accepts with the public
//! key (consign-sign's OpenPGP signer behind consign-core's `Signer` seam).

// Test code: an unwrap that fails is a failing test.
#![allow(clippy::unwrap_used)]

mod common;
#[path = "version/git.rs"]
mod git;

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::{require_tool, run, run_ok};
use consign::core::SourceDate;
use consign::core::sign::{KeyInfo, SignError, Signature, SignatureFormat, Signer};
use consign::sign::KeyAlgorithm;
use consign::sign::cosign::{CosignKey, CosignSigner};
use consign::sign::openpgp::{OpenPgpKey, OpenPgpSigner, Passphrase};
use consign::version::{AnnotatedTag, CommitId, Error, Next, Options, Release, Repo, Tagger};
use git::Git;

const DATE: u64 = 1_750_000_000;

fn tagger() -> Tagger {
    "Release Bot <release@example.invalid>".parse().unwrap()
}

/// A repository released as v1.0.0 with a feature since: the next release is 1.1.0.
fn repo_with_a_release_due() -> (Git, Release) {
    let git = Git::init();
    git.commit("feat: first");
    git.tag("v1.0.0");
    git.commit("feat(cli): --json");
    git.commit("fix: quoting");
    let Next::Release(release) = Repo::open(&git.dir)
        .unwrap()
        .next("HEAD", &Options::default())
        .unwrap()
    else {
        panic!("a feature since v1.0.0")
    };
    assert_eq!(release.tag_name(), "v1.1.0");
    (git, release)
}

/// A temporary GNUPGHOME holding only `public`.
struct Keyring {
    dir: tempfile::TempDir,
}

impl Keyring {
    fn with(public: &[u8]) -> Keyring {
        require_tool("gpg", "gpg");
        let dir = tempfile::tempdir().unwrap();
        let mut perms = std::fs::metadata(dir.path()).unwrap().permissions();
        std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o700);
        std::fs::set_permissions(dir.path(), perms).unwrap();
        let file = dir.path().join("public.asc");
        std::fs::write(&file, public).unwrap();
        run_ok(
            Command::new("gpg")
                .arg("--homedir")
                .arg(dir.path())
                .args(["--batch", "--no-tty", "--quiet", "--import"])
                .arg(&file),
        );
        Keyring { dir }
    }

    fn home(&self) -> &Path {
        self.dir.path()
    }
}

/// `git verify-tag --raw NAME` with `keyring`: (success, gpg's status lines).
fn verify_tag(git: &Git, keyring: &Keyring, name: &str) -> (bool, String) {
    let out = run(git
        .command(&["verify-tag", "--raw", name])
        .env("GNUPGHOME", keyring.home()));
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn an_unsigned_tag_is_the_object_git_writes() {
    let (git, release) = repo_with_a_release_due();
    let repo = Repo::open(&git.dir).unwrap();
    let tag = AnnotatedTag::for_release(&release, tagger(), SourceDate::from_unix(DATE))
        .message("Release 1.1.0\n\n### Features\n\n- **cli:** --json\n");
    let created = repo.create_tag(&tag, None).unwrap();
    assert_eq!(created.name(), "v1.1.0");
    assert!(!created.is_signed());
    assert_eq!(created.target().to_string(), git.head());
    assert_eq!(git.run(&["rev-parse", "v1.1.0"]), created.id().to_string());
    assert_eq!(git.run(&["cat-file", "-t", "v1.1.0"]), "tag");
    let shown = git.run(&["cat-file", "-p", "v1.1.0"]);
    assert_eq!(
        shown,
        format!(
            "object {}\ntype commit\ntag v1.1.0\n\
             tagger Release Bot <release@example.invalid> {DATE} +0000\n\n\
             Release 1.1.0\n\n### Features\n\n- **cli:** --json",
            git.head()
        )
    );
    git.run(&["fsck", "--strict", "--no-dangling"]);

    // git makes the same object from the same tag, tagger, date and message (kept whole:
    // git's default cleanup would drop the `###` headings as comments).
    git.run(&["tag", "-d", "v1.1.0"]);
    let message = git.dir.join("../tag-message");
    std::fs::write(
        &message,
        "Release 1.1.0\n\n### Features\n\n- **cli:** --json\n",
    )
    .unwrap();
    run_ok(
        git.command(&[
            "tag",
            "-a",
            "--cleanup=whitespace",
            "-F",
            message.to_str().unwrap(),
            "v1.1.0",
        ])
        .env("GIT_COMMITTER_NAME", "Release Bot")
        .env("GIT_COMMITTER_EMAIL", "release@example.invalid")
        .env("GIT_COMMITTER_DATE", format!("@{DATE} +0000")),
    );
    assert_eq!(git.run(&["rev-parse", "v1.1.0"]), created.id().to_string());

    // The release is now made: nothing more to release, and the same tag again is no error.
    let repo = Repo::open(&git.dir).unwrap();
    match repo.next("HEAD", &Options::default()).unwrap() {
        Next::Nothing { previous, commits } => {
            assert_eq!(previous.unwrap().name(), "v1.1.0");
            assert!(commits.is_empty());
        }
        Next::Release(r) => panic!("released {} again", r.version()),
    }
    assert_eq!(repo.create_tag(&tag, None).unwrap(), created);
    // Another message under the same name is refused with the way out.
    let other = tag.clone().message("Release 1.1.0, again");
    let err = repo.create_tag(&other, None).unwrap_err();
    assert!(matches!(err, Error::TagExists { .. }), "{err:?}");
    assert!(err.to_string().contains("git tag -d v1.1.0"), "{err}");
    assert_eq!(git.run(&["rev-parse", "v1.1.0"]), created.id().to_string());
}

#[test]
fn a_signed_tag_is_accepted_by_git_verify_tag() {
    let (git, release) = repo_with_a_release_due();
    let date = SourceDate::from_unix(DATE);
    let key = OpenPgpKey::generate(
        "Release Bot <release@example.invalid>",
        KeyAlgorithm::Ed25519,
        SourceDate::from_unix(DATE - 86_400),
    )
    .unwrap();
    let signer =
        OpenPgpSigner::from_armored(key.secret_armored(), &Passphrase::none(), date).unwrap();
    let repo = Repo::open(&git.dir).unwrap();
    let tag = AnnotatedTag::for_release(&release, tagger(), date);
    let created = repo.create_tag(&tag, Some(&signer)).unwrap();
    assert!(created.is_signed());

    // The signature follows the message, as `git tag -s` writes it.
    let raw = run_ok(&mut git.command(&["cat-file", "tag", "v1.1.0"]));
    let payload = String::from_utf8(tag.payload().unwrap()).unwrap();
    let signature = raw.strip_prefix(payload.as_str()).expect("payload first");
    assert!(
        signature.starts_with("-----BEGIN PGP SIGNATURE-----\n"),
        "{raw}"
    );
    assert!(
        signature.ends_with("-----END PGP SIGNATURE-----\n"),
        "{raw}"
    );
    let shown = git.run(&["cat-file", "-p", "v1.1.0"]);
    assert!(
        shown.contains(&format!(
            "\ntagger Release Bot <release@example.invalid> {DATE} +0000\n\nRelease 1.1.0\n"
        )),
        "{shown}"
    );
    git.run(&["fsck", "--strict", "--no-dangling"]);

    let keyring = Keyring::with(key.public_armored());
    let (ok, status) = verify_tag(&git, &keyring, "v1.1.0");
    assert!(ok, "git verify-tag: {status}");
    let fingerprint = key.fingerprint().as_str().to_ascii_uppercase();
    assert!(
        status.contains(&format!("[GNUPG:] VALIDSIG {fingerprint}")),
        "{status}"
    );
    // gpg reports the signature's date: the source date, not the clock.
    assert!(status.contains(&format!(" {DATE} ")), "{status}");

    // Without the key, or with the message changed under the signature, git refuses it.
    let strangers = Keyring::with(
        OpenPgpKey::generate("Other <o@example.invalid>", KeyAlgorithm::Ed25519, date)
            .unwrap()
            .public_armored(),
    );
    assert!(!verify_tag(&git, &strangers, "v1.1.0").0);
    let forged = raw.replacen("Release 1.1.0", "Release 9.9.9", 1);
    let file = git.dir.join("../forged-tag");
    std::fs::write(&file, forged).unwrap();
    let id = git.run(&["hash-object", "-t", "tag", "-w", file.to_str().unwrap()]);
    git.run(&["update-ref", "refs/tags/forged", &id]);
    let (ok, status) = verify_tag(&git, &keyring, "forged");
    assert!(!ok, "a changed message must not verify: {status}");
    assert!(status.contains("BADSIG"), "{status}");

    // Signing is deterministic: the same key, date and tag give the same object.
    let again = AnnotatedTag::for_release(&release, tagger(), date)
        .to_bytes(Some(&signer))
        .unwrap();
    assert_eq!(String::from_utf8(again).unwrap(), raw);
}

/// A signer that says it makes armored OpenPGP signatures and answers with something else.
struct Pretender(KeyInfo);

impl Signer for Pretender {
    fn key(&self) -> &KeyInfo {
        &self.0
    }

    fn formats(&self) -> &[SignatureFormat] {
        &[SignatureFormat::OpenPgpArmored]
    }

    fn sign(&self, data: &mut dyn Read, _: SignatureFormat) -> Result<Signature, SignError> {
        std::io::copy(data, &mut std::io::sink()).unwrap();
        Ok(Signature::new(
            SignatureFormat::CosignBlob,
            b"MEUCIQDfake".to_vec(),
            consign::core::sign::VerificationMaterial::PublicKey {
                hint: self.0.id.clone(),
            },
        ))
    }
}

#[test]
fn signers_that_cannot_sign_git_tags_are_refused() {
    let (git, release) = repo_with_a_release_due();
    let repo = Repo::open(&git.dir).unwrap();
    let tag = AnnotatedTag::for_release(&release, tagger(), SourceDate::from_unix(DATE));

    let cosign = CosignSigner::new(CosignKey::generate().unwrap(), "cosign.key");
    let err = repo.create_tag(&tag, Some(&cosign)).unwrap_err();
    match &err {
        Error::TagSigner { formats, .. } => assert_eq!(formats, &[SignatureFormat::CosignBlob]),
        other => panic!("{other:?}"),
    }
    assert!(err.to_string().contains("OpenPGP"), "{err}");

    let pretender = Pretender(cosign.key().clone());
    let err = repo.create_tag(&tag, Some(&pretender)).unwrap_err();
    assert!(matches!(err, Error::TagSigner { .. }), "{err:?}");

    // Nothing was written.
    assert_eq!(git.run(&["tag", "--list"]), "v1.0.0");
    // A target that is not a commit of the repository is a typed error too.
    let nowhere = CommitId::from_hex(&"ab".repeat(20)).unwrap();
    let stranger = AnnotatedTag::new("v9.0.0", nowhere, tagger(), SourceDate::from_unix(DATE));
    let err = repo.create_tag(&stranger, None).unwrap_err();
    assert!(matches!(err, Error::Revision { .. }), "{err:?}");
    assert_eq!(git.run(&["tag", "--list"]), "v1.0.0");
}

fn example() -> PathBuf {
    common::build_examples(&["version"]).join("version")
}

#[test]
fn the_version_example_tags_and_signs() {
    let exe = example();
    let (git, release) = repo_with_a_release_due();
    let dir = git.dir.to_str().unwrap();
    let key = OpenPgpKey::generate(
        "Release Bot <release@example.invalid>",
        KeyAlgorithm::Ed25519,
        SourceDate::from_unix(DATE - 86_400),
    )
    .unwrap();
    let key_file = git.dir.join("../release.key");
    std::fs::write(&key_file, key.secret_armored()).unwrap();
    let out = run(Command::new(&exe)
        .args([
            "tag",
            "--repo",
            dir,
            "--tagger",
            "Release Bot <release@example.invalid>",
        ])
        .args(["--date", &DATE.to_string(), "--sign-key"])
        .arg(&key_file)
        .env_remove("SOURCE_DATE_EPOCH"));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.starts_with("v1.1.0 "), "{stdout}");
    assert!(
        stdout
            .trim_end()
            .ends_with(&format!("{} (signed)", release.commit())),
        "{stdout}"
    );
    let keyring = Keyring::with(key.public_armored());
    let (ok, status) = verify_tag(&git, &keyring, "v1.1.0");
    assert!(ok, "{status}");
    let shown = git.run(&["cat-file", "-p", "v1.1.0"]);
    assert!(
        shown.contains(&format!(
            "tagger Release Bot <release@example.invalid> {DATE} +0000\n\nRelease 1.1.0\n\n### Features\n\n- **cli:** --json ("
        )),
        "{shown}"
    );

    // `--since` computes the release as if the older tag were the last one.
    let out = run(Command::new(&exe).args(["next", "--repo", dir, "--since", "v1.0.0"]));
    assert_eq!(String::from_utf8_lossy(&out.stdout), "1.1.0\n");
    let out = run(Command::new(&exe).args(["notes", "--repo", dir, "--since", "v1.0.0"]));
    let notes = String::from_utf8_lossy(&out.stdout);
    assert!(notes.starts_with("## [1.1.0] - "), "{notes}");
    assert!(notes.contains("- **cli:** --json ("), "{notes}");
    let out = run(Command::new(&exe).args(["next", "--repo", dir, "--since", "v0.9.0"]));
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--since v0.9.0"));

    // Run again: nothing to release at the tag, and no tag is created.
    let out = run(Command::new(&exe).args(["tag", "--repo", dir]));
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "nothing to release: no tag created\n"
    );

    // Without a tagger and without user.name/user.email, the error says what to pass.
    git.commit("fix: more");
    let out = run(Command::new(&exe)
        .args(["tag", "--repo", dir])
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("HOME", git.dir.join(".."))
        .env_remove("GIT_COMMITTER_NAME")
        .env_remove("GIT_COMMITTER_EMAIL"));
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("--tagger"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
