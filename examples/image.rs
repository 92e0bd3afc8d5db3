//! `image`: builds an OCI image from files into an OCI image layout, no registry needed.
//!
//! ```text
//! image --layout DIR --tag TAG [--platform linux/amd64] [--base TAG] [--prefix DIR]
//!       [--entrypoint PATH] [--zstd] [--level N] FILE...
//! ```
//!
//! Each FILE goes to `PREFIX/<its file name>` (default `usr/local/bin`; mode 0755 when it is
//! executable on disk, else 0644) in one layer, on top of the image `--base` names in the same
//! layout, or of nothing. The source date is `$SOURCE_DATE_EPOCH` or 0, so the same files give
//! the same digest. Prints the manifest digest.

use std::path::PathBuf;
use std::process::ExitCode;

use consign::core::{Entry, FileTree, Platform, SourceDate};
use consign::oci::{
    History, Image, ImagePlatform, LayerBuilder, LayerCompression, LayerOptions, OciLayout, Tag,
};

type Error = Box<dyn std::error::Error>;

const USAGE: &str = "\
usage: image --layout DIR --tag TAG [--platform linux/amd64] [--base TAG] [--prefix DIR]
             [--entrypoint PATH] [--zstd] [--level N] FILE...
";

struct Args {
    layout: PathBuf,
    tag: Option<Tag>,
    platform: Platform,
    base: Option<String>,
    prefix: String,
    entrypoint: Option<String>,
    options: LayerOptions,
    files: Vec<PathBuf>,
}

fn parse_args() -> Result<Args, Error> {
    let mut a = Args {
        layout: PathBuf::new(),
        tag: None,
        platform: Platform::from_oci("linux/amd64")?,
        base: None,
        prefix: "usr/local/bin".into(),
        entrypoint: None,
        options: LayerOptions::default(),
        files: Vec::new(),
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut value = || it.next().ok_or(format!("{arg} needs a value"));
        match arg.as_str() {
            "--layout" => a.layout = value()?.into(),
            "--tag" => a.tag = Some(Tag::new(&value()?)?),
            "--platform" => a.platform = Platform::from_oci(&value()?)?,
            "--base" => a.base = Some(value()?),
            "--prefix" => a.prefix = value()?.trim_matches('/').to_owned(),
            "--entrypoint" => a.entrypoint = Some(value()?),
            "--zstd" => a.options = a.options.compression(LayerCompression::Zstd),
            "--level" => a.options = a.options.level(value()?.parse()?),
            "-h" | "--help" => return Err(USAGE.into()),
            flag if flag.starts_with('-') => return Err(format!("unknown option {flag}").into()),
            _ => a.files.push(arg.into()),
        }
    }
    if a.layout.as_os_str().is_empty() || a.files.is_empty() {
        return Err(format!("--layout and at least one FILE are needed\n{USAGE}").into());
    }
    Ok(a)
}

fn run(a: Args) -> Result<(), Error> {
    let mut tree = FileTree::new();
    for file in &a.files {
        let name = file
            .file_name()
            .and_then(|n| n.to_str())
            .ok_or_else(|| format!("cannot name {}", file.display()))?;
        tree.insert(format!("{}/{name}", a.prefix), Entry::file(file)?)?;
    }
    let date = SourceDate::from_env()?.unwrap_or(SourceDate::from_unix(0));
    let layout = OciLayout::create(&a.layout)?;
    let platform = ImagePlatform::from(&a.platform);
    let base = match &a.base {
        Some(base) => Image::from_layout_for(&layout, base, &platform)?,
        None => Image::new(&platform),
    };
    let layer = LayerBuilder::new(&tree, date)
        .options(a.options)
        .write_into(&layout)?;
    let names: Vec<&str> = a.files.iter().filter_map(|f| f.to_str()).collect();
    let mut image = base
        .append_layer(
            layer,
            History::new(format!("image: {}", names.join(" "))).created(date),
        )
        .with_config(|c| c.env("PATH", "/usr/local/bin:/usr/bin:/bin"))
        .created(date);
    if let Some(entrypoint) = a.entrypoint {
        image = image.with_config(|c| c.entrypoint([entrypoint]));
    }
    let written = image.write_to(&layout, a.tag.as_ref())?;
    println!("{}", written.digest);
    Ok(())
}

fn main() -> ExitCode {
    match parse_args().and_then(run) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("image: {e}");
            ExitCode::from(2)
        }
    }
}
