//! The installers stage: a macOS disk image and a Windows installer of the program.
//!
//! `--macos-binary PATH` (with `--macos-target`, default `aarch64-apple-darwin`) and
//! `--windows-binary PATH` (for `x86_64-pc-windows-msvc`) ship builds for those systems; each
//! is checked to be a Mach-O or PE program for its platform first. Without them, both carry
//! the program of this release, so that every run exercises the formats, and the job says
//! so: such an image is a test of the writers, not something to publish.

use std::path::{Path, PathBuf};

use consign::core::{FileTree, Platform};
use consign::package::dmg::{Dmg, DmgOptions};
use consign::package::msi::{Msi, MsiOptions};

use crate::{ALGORITHMS, Error, Release, staging_tree, target};

/// A program for another system, given on the command line.
#[derive(Default)]
pub struct Foreign {
    /// `--macos-binary`.
    pub macos: Option<PathBuf>,
    /// `--macos-target`.
    pub macos_target: Option<String>,
    /// `--windows-binary`.
    pub windows: Option<PathBuf>,
}

impl Foreign {
    /// The macOS program and its platform (the release's program and the default macOS
    /// platform of the host's architecture when none is given).
    fn macos(&self, fallback: &Path) -> Result<(PathBuf, Platform, bool), Error> {
        let target = self
            .macos_target
            .as_deref()
            .unwrap_or("aarch64-apple-darwin");
        let platform: Platform = target.parse()?;
        match &self.macos {
            Some(path) => {
                target::check_program(path, &platform)?;
                Ok((path.clone(), platform, true))
            }
            None => Ok((fallback.to_path_buf(), platform, false)),
        }
    }

    /// The Windows program and its platform.
    fn windows(&self, fallback: &Path) -> Result<(PathBuf, Platform, bool), Error> {
        let platform: Platform = "x86_64-pc-windows-msvc".parse()?;
        match &self.windows {
            Some(path) => {
                target::check_program(path, &platform)?;
                Ok((path.clone(), platform, true))
            }
            None => Ok((fallback.to_path_buf(), platform, false)),
        }
    }
}

impl Release {
    /// The installers: `<name>-<version>-<arch>.dmg` (an HFS+ volume holding the program,
    /// README and licenses) and `<name>-<version>-x86_64.msi` (the same files under
    /// `Program Files\<manufacturer>\<name>`, which goes on the PATH).
    pub(crate) fn installers(&mut self) -> Result<(), Error> {
        let meta = self.meta.clone();
        let name = meta.name().to_owned();
        let (program, platform, real) = self.foreign.macos(&self.program)?;
        let tree = staging_tree(&program, &name)?;
        let volume = format!("{name} {}", meta.version());
        let dmg = Dmg::new(&tree, &meta, platform, self.date)?.options(
            DmgOptions::default()
                .volume_name(volume)
                .algorithms(&ALGORITHMS)
                .monitor(self.monitor.clone()),
        );
        self.release(&dmg, &tree)?;
        self.note_stand_in("dmg", real);

        let (program, platform, real) = self.foreign.windows(&self.program)?;
        let tree: FileTree = staging_tree(&program, &name)?;
        let manufacturer = meta
            .maintainer
            .as_deref()
            .or(meta.authors.first().map(String::as_str))
            .map(|who| who.split(" <").next().unwrap_or(who).trim().to_owned())
            .filter(|who| !who.is_empty())
            .unwrap_or_else(|| "consign".to_owned());
        let msi = Msi::new(&tree, &meta, platform, self.date).options(
            MsiOptions::default()
                .manufacturer(manufacturer)
                .path_entry("")
                .algorithms(&ALGORITHMS)
                .monitor(self.monitor.clone()),
        );
        self.release(&msi, &tree)?;
        self.note_stand_in("msi", real);
        Ok(())
    }

    fn note_stand_in(&self, format: &str, real: bool) {
        if !real {
            self.say(format_args!(
                "{format}: carries this release's program to exercise the format; pass \
                 --{} for a build of that system",
                if format == "dmg" {
                    "macos-binary"
                } else {
                    "windows-binary"
                }
            ));
        }
    }
}
