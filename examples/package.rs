//! `package`: packs files into a `.deb`, an `.rpm`, an `.msi` or a `.dmg` with
//! consign-package, streaming.
//!
//! ```text
//! package deb|rpm|msi|dmg --out FILE [--name NAME] [--version VERSION] [--codec gzip|xz|zstd]
//!                     [--format udzo|udbz|udro] [--level N] [--prefix DIR] FILE...
//! ```
//!
//! Each FILE goes to `PREFIX/<its file name>` (default prefix `usr/share/NAME`), mode 0644,
//! owned by root; the source date is `$SOURCE_DATE_EPOCH` or 0. `scripts/bench-packages.sh`
//! times it against dpkg-deb, cargo-deb, rpmbuild and cargo-generate-rpm;
//! `scripts/bench-msi.sh` against msitools' `wixl` (an `.msi` is for x86_64 Windows,
//! manufacturer `consign`, files under `bin` unless `--prefix` is given, MSZIP at `--level`,
//! default 6); `scripts/bench-dmg.sh` times the `.dmg` writer against the zlib codec alone. A `.dmg`
//! holds the files at the volume's root unless `--prefix` is given; `--codec` is for the
//! Linux packages, `--format` (default udzo) for disk images.

use std::path::PathBuf;
use std::process::ExitCode;

use consign::core::{Arch, Entry, FileTree, Os, PackageMeta, Platform, SourceDate};
use consign::package::ArtifactWriter;
use consign::package::compress::{Codec, Compression};
use consign::package::deb::{Deb, DebOptions};
use consign::package::dmg::{Dmg, DmgFormat, DmgOptions};
use consign::package::msi::{Msi, MsiOptions};
use consign::package::rpm::{Rpm, RpmOptions, RpmSpec};

type Error = Box<dyn std::error::Error>;

const USAGE: &str = "\
usage: package deb|rpm|msi|dmg --out FILE [--name NAME] [--version VERSION]
                               [--codec gzip|xz|zstd] [--format udzo|udbz|udro] [--level N]
                               [--prefix DIR] FILE...
";

struct Args {
    kind: String,
    out: PathBuf,
    name: String,
    version: String,
    compression: Option<Compression>,
    codec: Option<Codec>,
    level: Option<u32>,
    format: DmgFormat,
    prefix: Option<String>,
    files: Vec<PathBuf>,
}

fn parse_args() -> Result<Args, Error> {
    let mut it = std::env::args().skip(1);
    let kind = it.next().ok_or(USAGE)?;
    if !["deb", "rpm", "msi", "dmg"].contains(&kind.as_str()) {
        return Err(format!("expected deb, rpm, msi or dmg, not {kind:?}\n{USAGE}").into());
    }
    let mut a = Args {
        kind,
        out: PathBuf::new(),
        name: "payload".into(),
        version: "1.0.0".into(),
        compression: None,
        codec: None,
        level: None,
        format: DmgFormat::Udzo,
        prefix: None,
        files: Vec::new(),
    };
    while let Some(arg) = it.next() {
        let mut value = || it.next().ok_or(format!("{arg} needs a value"));
        match arg.as_str() {
            "--out" => a.out = value()?.into(),
            "--name" => a.name = value()?,
            "--version" => a.version = value()?,
            "--prefix" => a.prefix = Some(value()?),
            "--codec" => {
                a.codec = Some(match value()?.as_str() {
                    "gzip" => Codec::Gzip,
                    "xz" => Codec::Xz,
                    "zstd" => Codec::Zstd,
                    other => return Err(format!("unknown codec {other:?}").into()),
                })
            }
            "--level" => a.level = Some(value()?.parse()?),
            "--format" => {
                a.format = match value()?.as_str() {
                    "udzo" => DmgFormat::Udzo,
                    "udbz" => DmgFormat::Udbz,
                    "udro" => DmgFormat::Udro,
                    other => return Err(format!("unknown disk image format {other:?}").into()),
                }
            }
            "-h" | "--help" => return Err(USAGE.into()),
            flag if flag.starts_with('-') => return Err(format!("unknown option {flag}").into()),
            _ => a.files.push(arg.into()),
        }
    }
    if a.out.as_os_str().is_empty() || a.files.is_empty() {
        return Err(format!("--out and at least one FILE are needed\n{USAGE}").into());
    }
    if let Some(codec) = a.codec {
        let c = Compression::new(codec);
        a.compression = Some(match a.level {
            Some(level) => c.level(level)?,
            None => c,
        });
    }
    Ok(a)
}

fn tree(a: &Args) -> Result<FileTree, Error> {
    let prefix = match (&a.prefix, a.kind.as_str()) {
        (Some(p), _) => format!("{p}/"),
        (None, "dmg") => String::new(),
        (None, "msi") => "bin/".to_owned(),
        (None, _) => format!("usr/share/{}/", a.name),
    };
    let mut tree = FileTree::new();
    for file in &a.files {
        let name = file
            .file_name()
            .and_then(|n| n.to_str())
            .ok_or_else(|| format!("cannot name {}", file.display()))?;
        tree.insert(format!("{prefix}{name}"), Entry::file(file)?.mode(0o644))?;
    }
    Ok(tree)
}

fn run(a: &Args) -> Result<(), Error> {
    let tree = tree(a)?;
    let mut meta = PackageMeta::new(&a.name, &a.version)?;
    meta.description = Some(format!("{} packed by consign", a.name));
    meta.license = Some("MIT".into());
    meta.maintainer = Some("consign <consign@example.org>".into());
    let date = SourceDate::from_env()?.unwrap_or(SourceDate::from_unix(0));
    let platform = Platform::host()?;
    let written = if a.kind == "msi" {
        let mut options = MsiOptions::default().manufacturer("consign");
        if let Some(level) = a.level {
            options = options.level(level)?;
        }
        Msi::new(&tree, &meta, "x86_64-pc-windows-msvc".parse()?, date)
            .options(options)
            .write_to_path(&a.out)?
            .written
    } else if a.kind == "dmg" {
        let mut options = DmgOptions::default().format(a.format);
        if let Some(level) = a.level {
            options = options.level(level);
        }
        let macos = Platform::new(Os::Macos, Arch::Aarch64, None)?;
        Dmg::new(&tree, &meta, macos, date)?
            .options(options)
            .write_to_path(&a.out)?
    } else if a.kind == "deb" {
        let mut options = DebOptions::default();
        if let Some(c) = a.compression {
            options = options.compression(c);
        }
        Deb::new(&tree, &meta, platform, date)
            .options(options)
            .write_to_path(&a.out)?
            .written
    } else {
        let mut options = RpmOptions::default();
        if let Some(c) = a.compression {
            options = options.compression(c);
        }
        Rpm::new(&tree, &meta, platform, date)
            .spec(RpmSpec::default().group("Applications/System"))
            .options(options)
            .write_to_path(&a.out)?
            .written
    };
    println!(
        "{}: {} bytes, {}",
        a.out.display(),
        written.size,
        written.sha256().ok_or("no sha256")?
    );
    Ok(())
}

fn main() -> ExitCode {
    match parse_args().and_then(|a| run(&a)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("package: {e}");
            ExitCode::from(2)
        }
    }
}
