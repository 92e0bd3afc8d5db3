//! The images against the reference readers: 7-Zip (`7zz`, Debian package `7zip`) and
//! `dmg2img` (Debian package `dmg2img`). A missing tool fails the test, naming its package.
#![allow(clippy::unwrap_used)]

use std::path::Path;
use std::process::{Command, Output};

use super::tests::{fix_fork_crc, sample, write_image};
use super::*;

/// Runs `tool` with `args`; panics (naming the Debian package) when it is not installed.
fn run(tool: &str, package: &str, args: &[&str], dir: &Path) -> (Output, String) {
    let output = Command::new(tool)
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap_or_else(|e| {
            panic!("cannot run `{tool}` ({e}): install the Debian package `{package}`")
        });
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output, text)
}

fn seven_zip(args: &[&str], dir: &Path) -> (Output, String) {
    run("7zz", "7zip", args, dir)
}

/// Fails on anything 7-Zip reports as wrong (it can exit 0 with warnings).
fn assert_clean(what: &str, output: &Output, text: &str) {
    assert!(output.status.success(), "{what} failed:\n{text}");
    for bad in [
        "Warning",
        "WARNING",
        "ERROR",
        "Error",
        "Unexpected end",
        "CRC Failed",
    ] {
        assert!(!text.contains(bad), "{what} reports {bad:?}:\n{text}");
    }
}

#[test]
fn seven_zip_and_dmg2img_read_every_format() {
    let dir = tempfile::tempdir().unwrap();
    let raw = sample(3 * CHUNK_BYTES + 5 * 512);
    std::fs::write(dir.path().join("volume.raw"), &raw).unwrap();
    for format in [DmgFormat::Udzo, DmgFormat::Udbz, DmgFormat::Udro] {
        let name = format!("{}.dmg", format.name());
        std::fs::write(
            dir.path().join(&name),
            write_image(&raw, format, 2, 1 << 20),
        )
        .unwrap();

        let (out, text) = seven_zip(&["t", "-tdmg", &name], dir.path());
        assert_clean("7zz t", &out, &text);
        assert!(text.contains("Everything is Ok"), "7zz t:\n{text}");

        let (out, text) = seven_zip(&["l", "-slt", "-tdmg", &name], dir.path());
        assert_clean("7zz l", &out, &text);
        // 7-Zip names a partition by its number and the kind inside the parentheses.
        assert!(text.contains("Path = 0.hfs"), "7zz l:\n{text}");
        assert!(
            text.contains(&format!("Size = {}", raw.len())),
            "7zz l:\n{text}"
        );
        assert!(text.contains(WHOLE_DISK_HFS), "7zz l:\n{text}");

        let into = format!("-o{}", format.name());
        let (out, text) = seven_zip(&["x", "-y", "-tdmg", &into, &name], dir.path());
        assert_clean("7zz x", &out, &text);
        let extracted = std::fs::read(dir.path().join(format.name()).join("0.hfs")).unwrap();
        assert!(extracted == raw, "7zz x gave other bytes for {name}");

        let img = format!("{}.img", format.name());
        let (out, text) = run("dmg2img", "dmg2img", &["-i", &name, "-o", &img], dir.path());
        assert!(out.status.success(), "dmg2img failed:\n{text}");
        for bad in ["Warning", "ERROR", "failed", "Unsupported"] {
            assert!(!text.contains(bad), "dmg2img reports {bad:?}:\n{text}");
        }
        let back = std::fs::read(dir.path().join(&img)).unwrap();
        assert!(back == raw, "dmg2img gave other bytes for {name}");
    }
}

#[test]
fn seven_zip_catches_a_corrupt_chunk_and_trailer() {
    let dir = tempfile::tempdir().unwrap();
    let raw = sample(2 * CHUNK_BYTES);
    let image = write_image(&raw, DmgFormat::Udzo, 2, 1 << 20);

    // A flipped byte in a compressed chunk: the data fork CRC, then the chunk itself.
    let mut bad = image.clone();
    bad[100] ^= 0x20;
    std::fs::write(dir.path().join("chunk.dmg"), &bad).unwrap();
    fix_fork_crc(&mut bad);
    std::fs::write(dir.path().join("chunk-fixed.dmg"), &bad).unwrap();
    for name in ["chunk.dmg", "chunk-fixed.dmg"] {
        let (out, text) = seven_zip(&["t", "-tdmg", name], dir.path());
        assert!(
            !out.status.success() && text.contains("Error"),
            "7zz t {name} passed:\n{text}"
        );
    }
    let args = ["-i", "chunk-fixed.dmg", "-o", "chunk-fixed.img"];
    let (out, text) = run("dmg2img", "dmg2img", &args, dir.path());
    assert!(
        !out.status.success() && text.contains("Inflation failed"),
        "dmg2img chunk-fixed.dmg passed:\n{text}"
    );

    // A flipped master checksum: 7-Zip warns.
    let mut bad = image.clone();
    let master = bad.len() - 512 + 0x16B;
    bad[master] ^= 1;
    std::fs::write(dir.path().join("master.dmg"), &bad).unwrap();
    let (_, text) = seven_zip(&["t", "-tdmg", "master.dmg"], dir.path());
    assert!(
        text.contains("Master CRC error"),
        "7zz t master.dmg:\n{text}"
    );

    // A cut trailer: not an image at all.
    std::fs::write(dir.path().join("cut.dmg"), &image[..image.len() - 1]).unwrap();
    let (out, text) = seven_zip(&["t", "-tdmg", "cut.dmg"], dir.path());
    assert!(!out.status.success(), "7zz t cut.dmg passed:\n{text}");
}
