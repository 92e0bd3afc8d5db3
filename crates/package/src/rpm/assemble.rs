//! From inputs to bytes: [`Plan`] resolves and checks everything before anything is
//! written, then builds the main header, the signature header and the lead.

use consign_core::{
    Algorithm, Digest, FileTree, PackageMeta, Platform, SourceDate, Version, Written,
};

use super::deps::{Relations, op_flags};
use super::files::{FileList, date32};
use super::header::{EncodeError, Header, Value, padding_to_8};
use super::spec::{ChangelogEntry, RelationKind, RpmSpec, Scriptlet, ScriptletKind};
use super::{RpmError, RpmOptions, check, tags};
use crate::Error;
use crate::compress::Codec;

/// The most space reserved for signatures: rpm refuses signature headers past 64 MiB, and
/// signatures take a few kilobytes.
const MAX_RESERVED: u32 = 1 << 20;

/// An RPM architecture: its name, the `%{_isa}` suffix of its provides, its lead number.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Arch {
    pub(crate) name: &'static str,
    isa: &'static str,
    lead: u16,
}

/// rpm's names for a platform's architecture (`rpmrc` and `installplatform`).
fn arch(platform: &Platform) -> Result<Arch, Error> {
    let name = platform.rpm_arch()?;
    let (isa, lead) = match name {
        "x86_64" => ("x86-64", 1),
        "i686" => ("x86-32", 1),
        "aarch64" => ("aarch-64", 19),
        "armv7hl" => ("armv7hl-32", 12),
        "riscv64" => ("riscv-64", 22),
        "ppc64le" => ("ppc-64", 16),
        "s390x" => ("s390-64", 15),
        "loongarch64" => ("loongarch-64", 23),
        other => {
            return Err(RpmError::UnknownArch {
                arch: other.to_owned(),
            }
            .into());
        }
    };
    Ok(Arch { name, isa, lead })
}

/// Name, version, release and architecture, checked.
pub(crate) struct Identity {
    pub(crate) name: String,
    pub(crate) version: String,
    pub(crate) release: String,
    pub(crate) epoch: Option<u32>,
    pub(crate) arch: Arch,
}

impl Identity {
    /// `[epoch:]version-release`.
    fn evr(&self) -> String {
        match self.epoch {
            Some(e) => format!("{e}:{}-{}", self.version, self.release),
            None => format!("{}-{}", self.version, self.release),
        }
    }
}

/// The rpm version of `version`: a SemVer pre-release follows `~` (so `1.0.0-rc.1` sorts
/// before `1.0.0`), and `-`, which rpm reserves for the release, becomes `.` in the
/// pre-release and build parts. A version that is not SemVer is taken as written.
pub(crate) fn rpm_version(version: &Version) -> String {
    let mut v = version.release().to_owned();
    if let Some(pre) = version.pre_release() {
        v.push('~');
        v.push_str(&pre.replace('-', "."));
    }
    if let Some(build) = version.build() {
        v.push('+');
        v.push_str(&build.replace('-', "."));
    }
    v
}

pub(crate) fn identity(
    meta: &PackageMeta,
    spec: &RpmSpec,
    platform: &Platform,
) -> Result<Identity, Error> {
    let name = spec.name.clone().unwrap_or_else(|| meta.name().to_owned());
    let version = spec
        .version
        .clone()
        .unwrap_or_else(|| rpm_version(meta.version()));
    let release = spec.release.clone().unwrap_or_else(|| "1".into());
    check::name("name", &name)?;
    check::version("version", &version)?;
    check::version("release", &release)?;
    Ok(Identity {
        name,
        version,
        release,
        epoch: spec.epoch,
        arch: arch(platform)?,
    })
}

/// Everything the package says, checked, and the file list.
pub(crate) struct Plan<'a> {
    id: Identity,
    summary: String,
    description: String,
    license: String,
    url: Option<String>,
    group: String,
    vendor: Option<String>,
    packager: Option<String>,
    build_host: String,
    relations: Relations,
    scriptlets: Vec<&'a Scriptlet>,
    changelog: Vec<(u32, &'a ChangelogEntry)>,
    codec: Codec,
    level: u32,
    pub(crate) files: FileList<'a>,
    /// Build time and file times.
    pub(crate) date: u32,
}

impl<'a> Plan<'a> {
    pub(crate) fn new(
        tree: &'a FileTree,
        meta: &PackageMeta,
        spec: &'a RpmSpec,
        platform: &Platform,
        date: SourceDate,
        options: &RpmOptions,
    ) -> Result<Plan<'a>, Error> {
        let id = identity(meta, spec, platform)?;
        if options.reserved_space > MAX_RESERVED {
            return Err(RpmError::TooLarge {
                what: "reserved signature space",
                size: options.reserved_space.into(),
            }
            .into());
        }
        let codec = options.compression.codec();
        if !matches!(codec, Codec::Gzip | Codec::Xz | Codec::Zstd) {
            return Err(RpmError::Compression { codec }.into());
        }
        let summary = spec
            .summary
            .clone()
            .or_else(|| meta.summary().map(str::to_owned))
            .filter(|s| !s.is_empty())
            .ok_or(missing("summary"))?;
        check::line("summary", &summary)?;
        let description = spec
            .description
            .clone()
            .or_else(|| meta.description.as_deref().map(body_of_description))
            .filter(|d| !d.trim().is_empty())
            .ok_or(missing("description"))?;
        check::text("description", &description)?;
        let license = spec
            .license
            .clone()
            .or_else(|| meta.license.clone())
            .filter(|l| !l.is_empty())
            .ok_or(missing("license"))?;
        check::line("license", &license)?;
        let url = spec
            .url
            .clone()
            .or_else(|| meta.homepage.clone())
            .or_else(|| meta.repository.clone());
        let group = spec.group.clone().unwrap_or_else(|| "Unspecified".into());
        let packager = spec.packager.clone().or_else(|| meta.maintainer.clone());
        for (field, value) in [
            ("url", &url),
            ("vendor", &spec.vendor),
            ("packager", &packager),
        ] {
            if let Some(v) = value {
                check::line(field, v)?;
            }
        }
        check::line("group", &group)?;
        check::line("build host", &options.build_host)?;

        let files = FileList::new(tree, &spec.files)?;
        let date = date32(date)?;
        let mut changelog = Vec::new();
        for entry in &spec.changelog {
            check::line("changelog author", &entry.author)?;
            check::text("changelog text", &entry.text)?;
            changelog.push((date32(entry.time)?, entry));
        }
        // Newest first, as rpm lists them.
        changelog.sort_by_key(|(time, _)| std::cmp::Reverse(*time));

        let mut scriptlets: Vec<&Scriptlet> = spec.scriptlets.iter().collect();
        scriptlets.sort_by_key(|s| s.kind);
        if let Some(w) = scriptlets.windows(2).find(|w| w[0].kind == w[1].kind) {
            return Err(Error::Invalid {
                field: "scriptlet",
                value: w[0].kind.section().into(),
                reason: "a package has at most one scriptlet of each kind",
            });
        }
        let relations = relations(meta, spec, &id, &scriptlets, &files, codec)?;
        Ok(Plan {
            id,
            summary,
            description,
            license,
            url,
            group,
            vendor: spec.vendor.clone(),
            packager,
            build_host: options.build_host.clone(),
            relations,
            scriptlets,
            changelog,
            codec,
            level: options.compression.get_level(),
            files,
            date,
        })
    }

    /// What the package says about itself, for [`crate::rpm::RpmReport`]: name, epoch,
    /// version, release, arch and every relation except the `rpmlib(...)` features.
    pub(crate) fn report(&self, written: Written) -> crate::rpm::RpmReport {
        let mut relations: Vec<crate::rpm::RpmRelation> = self
            .relations
            .iter()
            .filter(|(_, rel)| !rel.name.starts_with("rpmlib("))
            .map(|(kind, rel)| crate::rpm::RpmRelation {
                kind,
                name: rel.name.clone(),
                flags: rel.flags,
                version: rel.version.clone(),
            })
            .collect();
        relations.sort_by(|a, b| {
            (a.kind, &a.name, &a.version, a.flags).cmp(&(b.kind, &b.name, &b.version, b.flags))
        });
        relations.dedup();
        crate::rpm::RpmReport {
            written,
            name: self.id.name.clone(),
            epoch: self.id.epoch,
            version: self.id.version.clone(),
            release: self.id.release.clone(),
            arch: self.id.arch.name,
            relations,
        }
    }

    /// The encoded main header.
    pub(crate) fn main_header(
        &self,
        file_digests: Vec<String>,
        raw: &Written,
        packed: &Written,
    ) -> Result<Vec<u8>, Error> {
        use tags::*;
        let id = &self.id;
        let mut h = Header::new(HEADER_IMMUTABLE);
        h.strings(HEADER_I18NTABLE, vec!["C".into()]);
        h.string(NAME, &id.name);
        h.string(VERSION, &id.version);
        h.string(RELEASE, &id.release);
        if let Some(e) = id.epoch {
            h.int32(EPOCH, e);
        }
        h.i18n(SUMMARY, &self.summary);
        h.i18n(DESCRIPTION, &self.description);
        h.int32(BUILDTIME, self.date);
        h.string(BUILDHOST, &self.build_host);
        if let Some(v) = &self.vendor {
            h.string(VENDOR, v);
        }
        h.string(LICENSE, &self.license);
        if let Some(p) = &self.packager {
            h.string(PACKAGER, p);
        }
        h.i18n(GROUP, &self.group);
        if let Some(u) = &self.url {
            h.string(URL, u);
        }
        h.string(OS, "linux");
        h.string(ARCH, id.arch.name);
        for s in &self.scriptlets {
            let (body, prog, flags) = scriptlet_tags(s.kind);
            h.string(body, &s.body);
            // A lone interpreter is a plain string, as rpmbuild writes it.
            match s.interpreter.as_slice() {
                [one] => h.string(prog, one),
                argv => h.strings(prog, argv.to_vec()),
            }
            if s.flags != 0 {
                h.int32(flags, s.flags);
            }
        }
        self.files.put(&mut h, file_digests, self.date);
        h.string(
            SOURCERPM,
            format!("{}-{}-{}.src.rpm", id.name, id.version, id.release),
        );
        self.relations.clone().put(&mut h);
        h.string(
            RPMVERSION,
            concat!("consign-package ", env!("CARGO_PKG_VERSION")),
        );
        if !self.changelog.is_empty() {
            let c = &self.changelog;
            h.put(
                CHANGELOGTIME,
                Value::Int32(c.iter().map(|(t, _)| *t).collect()),
            );
            h.strings(
                CHANGELOGNAME,
                c.iter().map(|(_, e)| e.author.clone()).collect(),
            );
            h.strings(
                CHANGELOGTEXT,
                c.iter().map(|(_, e)| e.text.clone()).collect(),
            );
        }
        h.string(PAYLOADFORMAT, "cpio");
        h.string(PAYLOADCOMPRESSOR, compressor_name(self.codec));
        h.string(PAYLOADFLAGS, self.level.to_string());
        h.string(ENCODING, "utf-8");
        h.strings(PAYLOADDIGEST, vec![sha256_hex(packed)]);
        h.int32(PAYLOADDIGESTALGO, HASH_SHA256);
        h.strings(PAYLOADDIGESTALT, vec![sha256_hex(raw)]);
        encode(&h)
    }

    /// The 96-byte lead: magic, format 3.0, binary, architecture number, `name-evr`, Linux,
    /// header-style signature.
    pub(crate) fn lead(&self) -> [u8; 96] {
        let mut l = [0u8; 96];
        l[..4].copy_from_slice(&[0xed, 0xab, 0xee, 0xdb]);
        l[4] = 3;
        l[8..10].copy_from_slice(&self.id.arch.lead.to_be_bytes());
        let nevr = format!("{}-{}", self.id.name, self.id.evr());
        // 65 bytes at most and a NUL, as rpm truncates it; the text is ASCII (checked).
        let n = nevr.len().min(65);
        l[10..10 + n].copy_from_slice(&nevr.as_bytes()[..n]);
        l[76..78].copy_from_slice(&1u16.to_be_bytes());
        l[78..80].copy_from_slice(&5u16.to_be_bytes());
        l
    }
}

/// The encoded signature header, padded to 8 bytes: SHA-256 of the main header, the sizes
/// of header + payload and of the uncompressed payload, reserved space.
pub(crate) fn signature_header(
    main: &[u8],
    payload: u64,
    archive: u64,
    reserved: u32,
    openpgp: Option<(u32, Vec<u8>)>,
) -> Result<Vec<u8>, Error> {
    use tags::*;
    let mut h = Header::new(HEADER_SIGNATURES);
    if let Some((tag, signature)) = openpgp {
        h.put(tag, Value::Bin(signature));
    }
    h.string(SIG_SHA256, Digest::of(Algorithm::Sha256, main).hex());
    let size = main.len() as u64 + payload;
    match (u32::try_from(size), u32::try_from(archive)) {
        (Ok(s), Ok(a)) if s < u32::MAX && a < u32::MAX => {
            h.int32(SIG_SIZE, s);
            h.int32(SIG_PAYLOADSIZE, a);
        }
        _ => {
            h.int64(SIG_LONGSIZE, size);
            h.int64(SIG_LONGARCHIVESIZE, archive);
        }
    }
    if reserved > 0 {
        h.put(SIG_RESERVEDSPACE, Value::Bin(vec![0; reserved as usize]));
    }
    let mut bytes = encode(&h)?;
    bytes.resize(bytes.len() + padding_to_8(bytes.len()), 0);
    Ok(bytes)
}

fn encode(h: &Header) -> Result<Vec<u8>, Error> {
    h.encode().map_err(|e| match e {
        EncodeError::Nul { value, .. } => Error::Invalid {
            field: "header text",
            value,
            reason: "it contains a NUL byte",
        },
        EncodeError::TooLarge { data, .. } => RpmError::TooLarge {
            what: "header",
            size: data as u64,
        }
        .into(),
    })
}

/// An [`Error::Missing`] for an rpm tag.
fn missing(field: &'static str) -> Error {
    Error::Missing {
        field,
        hint: "set it in the package metadata or the RpmSpec",
    }
}

fn sha256_hex(w: &Written) -> String {
    w.sha256().map(Digest::hex).unwrap_or_default()
}

/// The description without its summary line, when it has more than one line.
fn body_of_description(text: &str) -> String {
    let rest = text.split_once('\n').map_or("", |(_, r)| r).trim();
    if rest.is_empty() {
        text.trim().to_owned()
    } else {
        rest.to_owned()
    }
}

fn compressor_name(codec: Codec) -> &'static str {
    match codec {
        Codec::Xz => "xz",
        Codec::Zstd => "zstd",
        _ => "gzip",
    }
}

fn scriptlet_tags(kind: ScriptletKind) -> (u32, u32, u32) {
    use tags::*;
    match kind {
        ScriptletKind::Pre => PREIN,
        ScriptletKind::Post => POSTIN,
        ScriptletKind::PreUn => PREUN,
        ScriptletKind::PostUn => POSTUN,
        ScriptletKind::PreTrans => PRETRANS,
        ScriptletKind::PostTrans => POSTTRANS,
        ScriptletKind::PreUnTrans => PREUNTRANS,
        ScriptletKind::PostUnTrans => POSTUNTRANS,
    }
}

fn scriptlet_sense(kind: ScriptletKind) -> u32 {
    use tags::*;
    match kind {
        ScriptletKind::Pre => SENSE_SCRIPT_PRE,
        ScriptletKind::Post => SENSE_SCRIPT_POST,
        ScriptletKind::PreUn => SENSE_SCRIPT_PREUN,
        ScriptletKind::PostUn => SENSE_SCRIPT_POSTUN,
        ScriptletKind::PreTrans => SENSE_PRETRANS,
        ScriptletKind::PostTrans => SENSE_POSTTRANS,
        ScriptletKind::PreUnTrans => SENSE_PREUNTRANS,
        ScriptletKind::PostUnTrans => SENSE_POSTUNTRANS,
    }
}

/// Every relation: the user's, the metadata's dependencies (as requires), the package's own
/// provides, scriptlet interpreters, and the `rpmlib(...)` features the package uses.
fn relations(
    meta: &PackageMeta,
    spec: &RpmSpec,
    id: &Identity,
    scriptlets: &[&Scriptlet],
    files: &FileList<'_>,
    codec: Codec,
) -> Result<Relations, Error> {
    let mut r = Relations::default();
    for dep in &meta.dependencies {
        r.dependency(RelationKind::Requires, dep)?;
    }
    for (kind, dep) in &spec.relations {
        r.dependency(*kind, dep)?;
    }
    let evr = id.evr();
    let eq = op_flags(consign_core::VersionOp::Eq);
    r.add(RelationKind::Provides, &id.name, eq, &evr);
    r.add(
        RelationKind::Provides,
        &format!("{}({})", id.name, id.arch.isa),
        eq,
        &evr,
    );
    if files.has_config() {
        // As rpmbuild does: upgrades of packages sharing configuration stay in step.
        let config = format!("config({})", id.name);
        let flags = eq | tags::SENSE_CONFIG;
        r.add(RelationKind::Provides, &config, flags, &evr);
        r.add(RelationKind::Requires, &config, flags, &evr);
    }
    for s in scriptlets {
        check::text("scriptlet", &s.body)?;
        let bad = |reason| Error::Invalid {
            field: "scriptlet interpreter",
            value: s.interpreter.join(" "),
            reason,
        };
        match s.interpreter.as_slice() {
            [] => return Err(bad("give an interpreter (/bin/sh)")),
            [lua] if lua == "<lua>" => r.rpmlib("BuiltinLuaScripts", "4.2.2-1"),
            [prog, args @ ..] => {
                if !prog.starts_with('/') || s.interpreter.iter().any(|a| a.contains('\0')) {
                    return Err(bad("give an absolute path, or <lua>"));
                }
                check::dependency_name(prog)?;
                let flags = tags::SENSE_INTERP | scriptlet_sense(s.kind);
                r.add(RelationKind::Requires, prog, flags, "");
                if !args.is_empty() {
                    r.rpmlib("ScriptletInterpreterArgs", "4.0.3-1");
                }
            }
        }
        if s.flags & !(Scriptlet::EXPAND | Scriptlet::QUERY_FORMAT | Scriptlet::CRITICAL) != 0 {
            return Err(Error::Invalid {
                field: "scriptlet flags",
                value: s.flags.to_string(),
                reason: "known flags: EXPAND (1), QUERY_FORMAT (2), CRITICAL (4)",
            });
        }
        if s.flags != 0 {
            r.rpmlib("ScriptletExpansion", "4.9.0-1");
        }
    }
    if !files.is_empty() {
        r.rpmlib("CompressedFileNames", "3.0.4-1");
        r.rpmlib("FileDigests", "4.6.0-1");
        r.rpmlib("PayloadFilesHavePrefix", "4.0-1");
    }
    if files.large() {
        r.rpmlib("LargeFiles", "4.12.0-1");
    }
    if files.has_caps() {
        r.rpmlib("FileCaps", "4.6.1-1");
    }
    match codec {
        Codec::Xz => r.rpmlib("PayloadIsXz", "5.2-1"),
        Codec::Zstd => r.rpmlib("PayloadIsZstd", "5.4.18-1"),
        _ => {}
    }
    let rels: Vec<_> = r.iter().map(|(_, rel)| rel.clone()).collect();
    if rels.iter().any(|d| d.version.contains('~')) {
        r.rpmlib("TildeInVersions", "4.10.0-1");
    }
    if rels.iter().any(|d| d.version.contains('^')) {
        r.rpmlib("CaretInVersions", "4.15.0-1");
    }
    if rels.iter().any(|d| check::is_rich(&d.name)) {
        r.rpmlib("RichDependencies", "4.12.0-1");
    }
    Ok(r)
}

#[cfg(test)]
mod tests {
    use super::*;
    use consign_core::{Entry, Hasher};

    fn be32(b: &[u8], at: usize) -> u32 {
        u32::from_be_bytes(b[at..at + 4].try_into().unwrap())
    }

    #[test]
    fn architectures() {
        let p: Platform = "aarch64-unknown-linux-gnu".parse().unwrap();
        assert_eq!(
            arch(&p).unwrap(),
            Arch {
                name: "aarch64",
                isa: "aarch-64",
                lead: 19
            }
        );
        let win: Platform = "x86_64-pc-windows-msvc".parse().unwrap();
        assert!(matches!(arch(&win), Err(Error::Platform(_))));
    }

    #[test]
    fn signature_sizes_switch_to_64_bits() {
        let main = vec![1u8; 100];
        let small = signature_header(&main, 1000, 5000, 0, None).unwrap();
        assert_eq!(small.len() % 8, 0);
        let tags_of = |b: &[u8]| -> Vec<u32> {
            (0..be32(b, 8) as usize)
                .map(|i| be32(b, 16 + 16 * i))
                .collect()
        };
        assert_eq!(tags_of(&small), [62, 273, 1000, 1007]);
        let large = signature_header(&main, 1000, 5 << 30, 32, None).unwrap();
        assert_eq!(tags_of(&large), [62, 270, 271, 273, 1008]);
        let mut h = Hasher::new(Algorithm::Sha256);
        h.update(&main);
        let hex = h.finish().hex();
        assert!(small.windows(64).any(|w| w == hex.as_bytes()));
    }

    #[test]
    fn lead_layout() {
        let mut tree = FileTree::new();
        tree.insert("a", Entry::bytes(vec![1])).unwrap();
        let meta = PackageMeta::new("n".repeat(70), "1.0")
            .unwrap()
            .description("d")
            .license("MIT");
        let spec = RpmSpec::default().epoch(2);
        let p: Platform = "x86_64-unknown-linux-gnu".parse().unwrap();
        let plan = Plan::new(
            &tree,
            &meta,
            &spec,
            &p,
            SourceDate::from_unix(0),
            &RpmOptions::default(),
        )
        .unwrap();
        let lead = plan.lead();
        assert_eq!(&lead[..6], &[0xed, 0xab, 0xee, 0xdb, 3, 0]);
        assert_eq!(&lead[6..10], &[0, 0, 0, 1]);
        assert_eq!(&lead[10..75], "n".repeat(65).as_bytes());
        assert_eq!(lead[75], 0);
        assert_eq!(&lead[76..80], &[0, 1, 0, 5]);
    }

    /// A plan using every optional part of the header.
    fn full_header() -> Vec<u8> {
        let mut tree = FileTree::new();
        tree.insert("usr/bin/app", Entry::bytes(b"app".to_vec()).mode(0o755))
            .unwrap();
        tree.insert("etc/app.conf", Entry::bytes(b"x".to_vec()).config())
            .unwrap();
        let meta = PackageMeta::new("app", "1.0~rc1")
            .unwrap()
            .description("App\nDoes things.")
            .license("MIT")
            .maintainer("Jane <jane@example.org>")
            .homepage("https://example.org");
        let spec = RpmSpec::default()
            .epoch(1)
            .vendor("Example")
            .requires(consign_core::Dependency::new("(a or b)"))
            .recommends(consign_core::Dependency::new("c"))
            .scriptlet(Scriptlet::new(ScriptletKind::Pre, "true").flags(Scriptlet::EXPAND))
            .scriptlet(Scriptlet::new(ScriptletKind::Post, "true").interpreter(["/bin/sh", "-e"]))
            .changelog(ChangelogEntry::new(
                SourceDate::from_unix(10),
                "J - 1",
                "- a",
            ))
            .changelog(ChangelogEntry::new(
                SourceDate::from_unix(20),
                "J - 2",
                "- b",
            ))
            .file_attrs(
                "usr/bin/app",
                crate::rpm::FileAttrs::default().caps("cap_net_raw=ep"),
            )
            .unwrap();
        let p: Platform = "x86_64-unknown-linux-gnu".parse().unwrap();
        let options = RpmOptions::default();
        let plan = Plan::new(&tree, &meta, &spec, &p, SourceDate::from_unix(30), &options).unwrap();
        let (_, digests) = plan
            .files
            .write_payload(Vec::new(), plan.date, &consign_core::Monitor::default())
            .unwrap();
        let w = consign_core::hash_reader(&b""[..], &[Algorithm::Sha256]).unwrap();
        plan.main_header(digests, &w, &w).unwrap()
    }

    #[test]
    fn main_header_types_match_rpm_tag_table() {
        let b = full_header();
        let n = be32(&b, 8) as usize;
        let mut seen = Vec::new();
        for i in 1..n {
            let tag = be32(&b, 16 + 16 * i);
            let ty = be32(&b, 20 + 16 * i);
            let expected = tags::expected_type(tag).unwrap_or_else(|| panic!("tag {tag}"));
            let found = match ty {
                3 => tags::Type::Int16,
                4 => tags::Type::Int32,
                5 => tags::Type::Int64,
                6 => tags::Type::String,
                7 => tags::Type::Bin,
                8 => tags::Type::StringArray,
                9 => tags::Type::I18nString,
                other => panic!("type {other}"),
            };
            assert!(tags::type_accepted(expected, found), "tag {tag}: {found:?}");
            seen.push(tag);
        }
        assert!(seen.windows(2).all(|w| w[0] < w[1]), "index sorted by tag");
        for tag in [
            tags::EPOCH,
            tags::VENDOR,
            tags::FILECAPS,
            tags::RECOMMENDNAME,
            5020,
        ] {
            assert!(seen.contains(&tag), "tag {tag} missing");
        }
        let text = String::from_utf8_lossy(&b);
        for feature in [
            "rpmlib(RichDependencies)",
            "rpmlib(TildeInVersions)",
            "rpmlib(ScriptletExpansion)",
            "rpmlib(ScriptletInterpreterArgs)",
            "rpmlib(FileCaps)",
            "rpmlib(PayloadIsZstd)",
            "app(x86-64)",
            "config(app)",
        ] {
            assert!(text.contains(feature), "{feature} missing");
        }
        // Changelog newest first.
        assert!(text.find("J - 2").unwrap() < text.find("J - 1").unwrap());
    }

    #[test]
    fn description_body() {
        assert_eq!(body_of_description("Sum\n\nLong text.\n"), "Long text.");
        assert_eq!(body_of_description("Only a summary"), "Only a summary");
    }
}
