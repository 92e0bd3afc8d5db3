//! [`AnnotatedTag`]: the release's annotated tag, written in-process, optionally OpenPGP-signed
//! through the [`Signer`] seam of consign-core; [`Tagger`] is who tags.
//!
//! The object is written byte for byte as `git tag -a` writes it — `object`, `type commit`,
//! `tag`, `tagger NAME <EMAIL> SECONDS +0000`, a blank line, the message — so the same tag,
//! tagger, date and message give the same object id as git. A signed tag is that object with
//! the armored detached OpenPGP signature of those bytes appended to the message, as `git tag
//! -s` does: `git verify-tag` checks it with the signer's public key. The date is a
//! [`SourceDate`] (the tagger line is in UTC), never the clock.
//!
//! ```no_run
//! use consign_core::SourceDate;
//! use consign_version::{AnnotatedTag, Next, Options, Repo, Tagger};
//!
//! let repo = Repo::open(".")?;
//! let Next::Release(release) = repo.next("HEAD", &Options::default())? else { return Ok(()) };
//! let tagger: Tagger = "Release Bot <release@example.org>".parse()?;
//! let date = SourceDate::from_unix(release.time().try_into().unwrap_or(0));
//! let tag = AnnotatedTag::for_release(&release, tagger, date);
//! let created = repo.create_tag(&tag, None)?; // Some(&signer) to sign
//! println!("tagged {} as {}", created.target(), created.name());
//! # Ok::<(), consign_version::Error>(())
//! ```

use std::fmt;
use std::str::FromStr;

use consign_core::SourceDate;
use consign_core::sign::{SignatureFormat, Signer};
use gix::bstr::ByteSlice;
use gix::objs::Write as _;
use gix::refs::transaction::PreviousValue;

use crate::commit::CommitId;
use crate::error::{Error, Result};
use crate::next::Release;
use crate::repo::Repo;

/// Lines git reads as the start of an in-body signature: a message line starting with one of
/// them would be taken for the signature.
const SIGNATURE_STARTS: [&str; 4] = [
    "-----BEGIN PGP SIGNATURE-----",
    "-----BEGIN PGP MESSAGE-----",
    "-----BEGIN SIGNED MESSAGE-----",
    "-----BEGIN SSH SIGNATURE-----",
];

/// Who makes a tag: a name and an email address, as git writes them (`Name <email>`).
///
/// ```
/// use consign_version::Tagger;
/// let t: Tagger = "Release Bot <release@example.org>".parse()?;
/// assert_eq!((t.name(), t.email()), ("Release Bot", "release@example.org"));
/// assert_eq!(t.to_string(), "Release Bot <release@example.org>");
/// assert!(Tagger::new("Bot <x>", "a@b").is_err());
/// # Ok::<(), consign_version::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tagger {
    name: String,
    email: String,
}

impl Tagger {
    /// Checks `name` and `email`: neither may hold `<`, `>` or a line break, and the name may
    /// not be empty (git refuses both). Spaces around them are trimmed.
    pub fn new(name: impl Into<String>, email: impl Into<String>) -> Result<Tagger> {
        let (name, email) = (name.into(), email.into());
        let bad = |s: &str| s.contains(['<', '>', '\n', '\r', '\0']);
        let reason = if name.trim().is_empty() {
            Some("the name is empty")
        } else if bad(&name) || bad(&email) {
            Some("names and email addresses cannot hold '<', '>' or line breaks")
        } else {
            None
        };
        match reason {
            Some(reason) => Err(Error::Tagger {
                text: format!("{name} <{email}>"),
                reason,
            }),
            None => Ok(Tagger {
                name: name.trim().to_string(),
                email: email.trim().to_string(),
            }),
        }
    }

    /// The name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The email address.
    pub fn email(&self) -> &str {
        &self.email
    }
}

impl FromStr for Tagger {
    type Err = Error;

    /// Reads `Name <email>`.
    fn from_str(text: &str) -> Result<Tagger> {
        let parsed = text
            .trim()
            .strip_suffix('>')
            .and_then(|rest| rest.rsplit_once('<'));
        match parsed {
            Some((name, email)) => Tagger::new(name, email),
            None => Err(Error::Tagger {
                text: text.to_string(),
                reason: "write it as `Name <email>`",
            }),
        }
    }
}

impl fmt::Display for Tagger {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} <{}>", self.name, self.email)
    }
}

/// An annotated tag to create: its name, the commit it names, who tags, when, and the message.
///
/// ```
/// use consign_core::SourceDate;
/// use consign_version::{AnnotatedTag, CommitId};
///
/// let commit = CommitId::from_hex("2c26b46b68ffc68ff99b453c1d30413413422d70")?;
/// let tag = AnnotatedTag::new("v1.2.0", commit, "Bot <bot@example.org>".parse()?,
///                             SourceDate::from_unix(1_700_000_000))
///     .message("Release v1.2.0\n\n- faster\n");
/// let object = String::from_utf8(tag.payload()?).unwrap();
/// assert_eq!(object, "object 2c26b46b68ffc68ff99b453c1d30413413422d70\ntype commit\n\
///                     tag v1.2.0\ntagger Bot <bot@example.org> 1700000000 +0000\n\n\
///                     Release v1.2.0\n\n- faster\n");
/// # Ok::<(), consign_version::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AnnotatedTag {
    name: String,
    target: CommitId,
    tagger: Tagger,
    date: SourceDate,
    message: String,
}

impl AnnotatedTag {
    /// A tag `name` (without `refs/tags/`) of commit `target`, made by `tagger` at `date`; the
    /// message is the name until [`AnnotatedTag::message`] sets it.
    pub fn new(
        name: impl Into<String>,
        target: CommitId,
        tagger: Tagger,
        date: SourceDate,
    ) -> AnnotatedTag {
        let name = name.into();
        AnnotatedTag {
            message: format!("{name}\n"),
            name,
            target,
            tagger,
            date,
        }
    }

    /// The tag of a planned release: its tag name and commit, the message `Release VERSION`.
    pub fn for_release(release: &Release, tagger: Tagger, date: SourceDate) -> AnnotatedTag {
        AnnotatedTag::new(release.tag_name(), release.commit(), tagger, date)
            .message(format!("Release {}\n", release.version()))
    }

    /// The message, cleaned as `git tag --cleanup=whitespace` cleans it: trailing spaces of
    /// each line, leading and trailing blank lines and runs of blank lines removed; one final
    /// line break. Lines starting with `#` are kept (Markdown headings of release notes).
    #[must_use]
    pub fn message(mut self, text: impl AsRef<str>) -> AnnotatedTag {
        self.message = clean_message(text.as_ref());
        self
    }

    /// The tag's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The commit it names.
    pub fn target(&self) -> CommitId {
        self.target
    }

    /// The object as git stores it, without a signature: the bytes a signature signs.
    ///
    /// Errors: a name git does not allow for a tag, or a message with a line git would read as
    /// the start of a signature ([`Error::TagObject`]).
    pub fn payload(&self) -> Result<Vec<u8>> {
        self.check()?;
        Ok(format!(
            "object {}\ntype commit\ntag {}\ntagger {} {} +0000\n\n{}",
            self.target,
            self.name,
            self.tagger,
            self.date.unix(),
            self.message
        )
        .into_bytes())
    }

    /// The complete object: [`AnnotatedTag::payload`], followed by the armored detached
    /// OpenPGP signature of it when `signer` is given.
    ///
    /// Errors: [`Error::TagSigner`] when the signer cannot make an armored OpenPGP signature
    /// (a cosign key, say); [`Error::Sign`] when signing fails.
    pub fn to_bytes(&self, signer: Option<&dyn Signer>) -> Result<Vec<u8>> {
        let mut object = self.payload()?;
        if let Some(signer) = signer {
            let signature = sign(signer, &object, &self.name)?;
            object.extend_from_slice(&signature);
        }
        Ok(object)
    }

    fn check(&self) -> Result<()> {
        let fail = |reason: String| {
            Err(Error::TagObject {
                name: self.name.clone(),
                reason,
            })
        };
        if let Err(e) = gix::validate::tag::name(self.name.as_bytes().as_bstr()) {
            return fail(format!("git does not allow this tag name: {e}"));
        }
        if self.name.starts_with('-') {
            return fail("git does not allow a tag name starting with '-'".into());
        }
        if let Some(line) = self
            .message
            .lines()
            .find(|l| SIGNATURE_STARTS.iter().any(|s| l.starts_with(s)))
        {
            return fail(format!(
                "the message line {line:?} would be read by git as the start of a signature"
            ));
        }
        Ok(())
    }
}

/// The armored detached OpenPGP signature of `payload`, with `\n` line ends and a final one.
fn sign(signer: &dyn Signer, payload: &[u8], tag: &str) -> Result<Vec<u8>> {
    let refuse = |found: Vec<SignatureFormat>| Error::TagSigner {
        key: signer.key().id.to_string(),
        formats: found,
    };
    if !signer.formats().contains(&SignatureFormat::OpenPgpArmored) {
        return Err(refuse(signer.formats().to_vec()));
    }
    let signature = signer
        .sign(&mut &payload[..], SignatureFormat::OpenPgpArmored)
        .map_err(|source| Error::Sign {
            tag: tag.to_string(),
            source,
        })?;
    // A signer that answers with something else is refused too: git would not find it.
    let text = std::str::from_utf8(signature.bytes()).ok();
    let armored = text.filter(|t| {
        signature.format() == SignatureFormat::OpenPgpArmored
            && t.starts_with(SIGNATURE_STARTS[0])
            && t.trim_end().ends_with("-----END PGP SIGNATURE-----")
    });
    let Some(text) = armored else {
        return Err(refuse(vec![signature.format()]));
    };
    let mut out = text.replace("\r\n", "\n");
    if !out.ends_with('\n') {
        out.push('\n');
    }
    Ok(out.into_bytes())
}

/// What `git stripspace` does to a tag message.
fn clean_message(text: &str) -> String {
    let mut out = String::new();
    let mut blank = false;
    for line in text.lines().map(str::trim_end) {
        if line.is_empty() {
            blank = !out.is_empty();
            continue;
        }
        if blank {
            out.push('\n');
            blank = false;
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

/// The id of a git object that is not a commit (a tag object), shown as hexadecimal.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ObjectId(pub(crate) gix::ObjectId);

impl fmt::Display for ObjectId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

/// A tag [`Repo::create_tag`] made (or found already made, identical).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CreatedTag {
    name: String,
    id: ObjectId,
    target: CommitId,
    signed: bool,
}

impl CreatedTag {
    /// The tag's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The tag object's id.
    pub fn id(&self) -> ObjectId {
        self.id
    }

    /// The commit it names.
    pub fn target(&self) -> CommitId {
        self.target
    }

    /// Whether it carries a signature.
    pub fn is_signed(&self) -> bool {
        self.signed
    }
}

impl Repo {
    /// Writes `tag` as an annotated tag object (signed by `signer` if given) and points
    /// `refs/tags/NAME` at it.
    ///
    /// Creating the same tag again is not an error: the same name, commit, tagger, date,
    /// message and key give the same object, and the existing reference is kept.
    ///
    /// Errors: [`Error::TagExists`] when `refs/tags/NAME` names another object (delete it
    /// first, or release under another name); [`Error::Revision`] when the target is not a
    /// commit of this repository; the errors of [`AnnotatedTag::to_bytes`].
    pub fn create_tag(
        &self,
        tag: &AnnotatedTag,
        signer: Option<&dyn Signer>,
    ) -> Result<CreatedTag> {
        let target = tag.target.0;
        self.git.find_commit(target).map_err(|e| Error::Revision {
            rev: target.to_string(),
            detail: format!("the tag's target is not a commit of this repository: {e}"),
        })?;
        let object = tag.to_bytes(signer)?;
        let id = gix::objs::compute_hash(self.git.object_hash(), gix::objs::Kind::Tag, &object)
            .map_err(|e| Error::git("hash the tag object", e))?;
        let full = format!("refs/tags/{}", tag.name);
        let existing = self
            .git
            .try_find_reference(full.as_str())
            .map_err(|e| Error::git("read a tag reference", e))?;
        if let Some(existing) = existing {
            let existing = existing.target().try_id().map(|i| i.to_owned());
            if existing == Some(id) {
                return Ok(self.created(tag, id, signer.is_some()));
            }
            return Err(Error::TagExists {
                name: tag.name.clone(),
                existing: existing.map_or_else(|| "a symbolic reference".into(), |i| i.to_string()),
            });
        }
        self.git
            .objects
            .write_buf(gix::objs::Kind::Tag, &object)
            .map_err(|e| Error::git("write the tag object", e))?;
        self.git
            .tag_reference(&tag.name, id, PreviousValue::MustNotExist)
            .map_err(|e| Error::git("create the tag reference", e))?;
        Ok(self.created(tag, id, signer.is_some()))
    }

    /// The identity git would tag as: `user.name` and `user.email` of the repository's
    /// configuration (or `GIT_COMMITTER_NAME` / `GIT_COMMITTER_EMAIL`), if set and valid.
    pub fn tagger(&self) -> Option<Tagger> {
        let who = self.git.committer()?.ok()?;
        Tagger::new(who.name.to_str_lossy(), who.email.to_str_lossy()).ok()
    }

    fn created(&self, tag: &AnnotatedTag, id: gix::ObjectId, signed: bool) -> CreatedTag {
        CreatedTag {
            name: tag.name.clone(),
            id: ObjectId(id),
            target: tag.target,
            signed,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_cleaned_like_git() {
        assert_eq!(
            clean_message("\n\nRelease  \n\n\n\nbody\t\n\n"),
            "Release\n\nbody\n"
        );
        assert_eq!(clean_message("one"), "one\n");
        assert_eq!(clean_message("  \n"), "");
    }

    #[test]
    fn taggers_are_checked() {
        assert!("no email".parse::<Tagger>().is_err());
        assert!(" <a@b>".parse::<Tagger>().is_err());
        assert!(Tagger::new("a\nb", "a@b").is_err());
        let t: Tagger = "  A  B <a@b> ".parse().unwrap();
        assert_eq!(t.to_string(), "A  B <a@b>");
    }

    #[test]
    fn names_and_messages_git_would_misread_are_refused() {
        let id = CommitId(gix::ObjectId::from_bytes_or_panic(&[7; 20]));
        let who: Tagger = "A <a@b>".parse().unwrap();
        let date = SourceDate::from_unix(0);
        for bad in ["v1..0", "-v1", "v1 0", "v1.lock", "a~b", ""] {
            let tag = AnnotatedTag::new(bad, id, who.clone(), date);
            assert!(
                matches!(tag.payload(), Err(Error::TagObject { .. })),
                "{bad:?}"
            );
        }
        let tag = AnnotatedTag::new("v1.0.0", id, who, date)
            .message("notes\n-----BEGIN PGP SIGNATURE-----\nfake\n");
        assert!(matches!(tag.payload(), Err(Error::TagObject { .. })));
    }
}
