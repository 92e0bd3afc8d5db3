//! macOS disk images checked by the tools that read them off a Mac: 7-Zip tests, lists and
//! extracts the image and the HFS+ volume inside it (bytes, modes, symlinks), `dmg2img`
//! unpacks it to exactly the volume we planned, and the `hfsplus` tools (`hpmount`, `hpls`,
//! `hpcopy`, `hpfsck`) read that volume. Corruption is caught by 7-Zip and by our reader.

// Test code: an unwrap that fails is a failing test.
#![allow(clippy::unwrap_used)]

mod common;

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::{require_tool, run, run_ok};
use consign::core::{Arch, Entry, FileTree, Os, PackageMeta, Platform, RelPath, SourceDate};
use consign::package::ArtifactWriter;
use consign::package::dmg::{
    AppBundle, Dmg, DmgFormat, DmgOptions, HfsOptions, HfsVolume, UdifImage,
};

const DATE: u64 = 1_700_000_000;

fn platform() -> Platform {
    Platform::new(Os::Macos, Arch::Aarch64, None).unwrap()
}

/// Bytes that compress somewhat and differ from block to block.
fn pattern(len: usize, seed: u32) -> Vec<u8> {
    let mut x = seed.wrapping_mul(2_654_435_761).max(1);
    (0..len)
        .map(|i| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            if i % 3 == 0 {
                (x & 0xff) as u8
            } else {
                (i % 251) as u8
            }
        })
        .collect()
}

/// A tree with what a volume must keep: modes, nested folders, a symlink, a hard link, an
/// empty file, a file over several chunks, names that are not ASCII or hold a colon.
fn tree() -> FileTree {
    let mut t = FileTree::new();
    t.insert("hello", Entry::bytes(pattern(10_000, 1)).mode(0o755))
        .unwrap();
    t.insert("README.md", Entry::bytes(b"# hello\n".to_vec()).mode(0o644))
        .unwrap();
    t.insert(
        "private/key",
        Entry::bytes(b"secret\n".to_vec()).mode(0o600),
    )
    .unwrap();
    t.insert("share/doc/big.bin", Entry::bytes(pattern(3 << 20, 2)))
        .unwrap();
    t.insert("share/doc/empty", Entry::bytes(Vec::new()))
        .unwrap();
    t.insert(
        "share/doc/caf\u{e9} \u{fc}ber.txt",
        Entry::bytes(b"unicode\n".to_vec()),
    )
    .unwrap();
    t.insert("share/doc/a:b", Entry::bytes(b"colon\n".to_vec()))
        .unwrap();
    t.insert("bin/hi", Entry::symlink("../hello")).unwrap();
    t
}

fn meta() -> PackageMeta {
    PackageMeta::new("hello", "1.0.0").unwrap()
}

fn write_dmg(dir: &Path, tree: &FileTree, options: DmgOptions) -> PathBuf {
    let meta = meta();
    let dmg = Dmg::new(tree, &meta, platform(), SourceDate::from_unix(DATE))
        .unwrap()
        .options(options);
    let path = dir.join(dmg.file_name().unwrap());
    dmg.write_to_path(&path).unwrap();
    path
}

fn raw_volume(tree: &FileTree, name: &str) -> Vec<u8> {
    let volume = HfsVolume::new(tree, SourceDate::from_unix(DATE), HfsOptions::new(name)).unwrap();
    let mut raw = Vec::new();
    volume.write_to(&mut raw, &Default::default()).unwrap();
    raw
}

/// `7zz` exits 0 with warnings: its whole output must be free of them.
fn seven_zip_clean(args: &[&str], path: &Path) -> String {
    require_tool("7zz", "7zip");
    let out = run(Command::new("7zz").args(args).arg(path));
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "7zz {args:?} failed:\n{text}");
    for bad in [
        "Warning",
        "WARNING",
        "ERROR",
        "Error",
        "Unexpected end",
        "Can't open",
    ] {
        assert!(!text.contains(bad), "7zz {args:?} reports {bad}:\n{text}");
    }
    text
}

/// Compares an extracted directory with the tree: bytes, permission bits, symlink targets.
fn assert_matches_tree(root: &Path, tree: &FileTree, modes: bool) {
    for (path, entry) in tree.iter() {
        let on_disk = root.join(path.as_str());
        let md =
            fs::symlink_metadata(&on_disk).unwrap_or_else(|e| panic!("{}: {e}", on_disk.display()));
        match entry.kind() {
            consign::core::EntryKind::File { .. } => {
                let mut want = Vec::new();
                std::io::Read::read_to_end(&mut entry.open().unwrap(), &mut want).unwrap();
                assert_eq!(fs::read(&on_disk).unwrap(), want, "{path}");
                if modes {
                    assert_eq!(
                        md.permissions().mode() & 0o7777,
                        entry.permissions(),
                        "{path}"
                    );
                }
            }
            consign::core::EntryKind::Symlink { target } => {
                assert!(md.file_type().is_symlink(), "{path} is not a symlink");
                assert_eq!(
                    fs::read_link(&on_disk).unwrap().to_str(),
                    Some(target.as_str())
                );
            }
            consign::core::EntryKind::Dir => assert!(md.is_dir(), "{path}"),
            _ => {}
        }
    }
}

#[test]
fn seven_zip_and_dmg2img_read_every_format() {
    require_tool("dmg2img", "dmg2img");
    let dir = tempfile::tempdir().unwrap();
    let tree = tree();
    let raw = raw_volume(&tree, "hello");
    for format in [DmgFormat::Udzo, DmgFormat::Udbz, DmgFormat::Udro] {
        let sub = dir.path().join(format!("{format:?}"));
        fs::create_dir(&sub).unwrap();
        let dmg = write_dmg(&sub, &tree, DmgOptions::default().format(format));
        // The container, then the volume inside it.
        seven_zip_clean(&["t", "-tdmg"], &dmg);
        seven_zip_clean(&["t"], &dmg);
        let listing = seven_zip_clean(&["l", "-slt", "-tdmg"], &dmg);
        assert!(listing.contains("Type = Dmg"), "{listing}");
        assert!(listing.contains("whole disk (Apple_HFS : 0)"), "{listing}");
        // dmg2img unpacks exactly the volume.
        let out = sub.join("volume.img");
        run_ok(
            Command::new("dmg2img")
                .arg("-i")
                .arg(&dmg)
                .arg("-o")
                .arg(&out),
        );
        assert!(
            fs::read(&out).unwrap() == raw,
            "{format:?}: dmg2img's volume differs"
        );
        // Our reader checks every checksum and gives the same bytes.
        let mut ours = Vec::new();
        let mut image = UdifImage::open(fs::File::open(&dmg).unwrap()).unwrap();
        image.copy_raw(&mut ours).unwrap();
        assert!(ours == raw);
    }
}

#[test]
fn seven_zip_extracts_the_volume_as_the_tree() {
    let dir = tempfile::tempdir().unwrap();
    let tree = tree();
    let dmg = write_dmg(dir.path(), &tree, DmgOptions::default());
    let out = dir.path().join("x");
    seven_zip_clean(&["x", "-snld", &format!("-o{}", out.display())], &dmg);
    let listing: Vec<_> = walk(&out);
    // 7-Zip puts the volume's files under a folder named after the volume.
    let root = out.join("hello");
    assert!(root.is_dir(), "{listing:?}");
    let mut expected = tree.clone();
    // A `:` is stored as `/` on disk; 7-Zip shows the stored name's `/` as `:` again? Check
    // the file came out under one of the two spellings and drop it from the comparison.
    let colon = ["a:b", "a/b", "a_b"]
        .iter()
        .map(|n| root.join("share/doc").join(n))
        .find(|p| p.is_file());
    assert!(colon.is_some(), "{listing:?}");
    expected = without(&expected, "share/doc/a:b");
    // Names are stored decomposed, and 7-Zip writes them as stored.
    let composed = "share/doc/caf\u{e9} \u{fc}ber.txt";
    expected = without(&expected, composed);
    assert_eq!(
        fs::read(root.join("share/doc/cafe\u{301} u\u{308}ber.txt")).unwrap(),
        b"unicode\n"
    );
    assert_matches_tree(&root, &expected, true);
}

fn without(tree: &FileTree, path: &str) -> FileTree {
    let mut t = FileTree::new();
    for (p, e) in tree.iter() {
        if p.as_str() != path && !e.is_implied() {
            t.insert_at(p.clone(), e.clone()).unwrap();
        }
    }
    t
}

fn walk(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    if let Ok(rd) = fs::read_dir(dir) {
        for e in rd.flatten() {
            out.push(e.path().display().to_string());
            if e.file_type().map(|t| t.is_dir()).unwrap_or(false) {
                out.extend(walk(&e.path()));
            }
        }
    }
    out
}

/// Debian 12's `hpmount` reads the alternate volume header from a fixed sector unless the
/// HFS+ volume sits in an HFS wrapper (TN1150 "HFS Wrapper"), where it takes the volume's
/// length from the wrapper. A wrapper's master directory block, pointing at the volume as its
/// embedded volume, is enough for it to open ours: `hpfsck` never gets that far (it reads the
/// alternate header at sector 1 on every volume), so it is not run.
fn wrapped_for_hpmount(volume: &[u8]) -> Vec<u8> {
    let blocks = u16::try_from(volume.len() / 4096).expect("a test volume under 256 MiB");
    let mut out = vec![0u8; 4096];
    let mdb = &mut out[1024..1536];
    mdb[0..2].copy_from_slice(b"BD");
    mdb[0x14..0x18].copy_from_slice(&4096u32.to_be_bytes()); // allocation block size
    mdb[0x1C..0x1E].copy_from_slice(&8u16.to_be_bytes()); // first block, in sectors
    mdb[0x7C..0x7E].copy_from_slice(b"H+"); // embedded volume signature
    mdb[0x7E..0x80].copy_from_slice(&0u16.to_be_bytes()); // its first block
    mdb[0x80..0x82].copy_from_slice(&blocks.to_be_bytes()); // its length in blocks
    out.extend_from_slice(volume);
    out
}

#[test]
fn the_hfsplus_tools_read_the_volume() {
    for tool in ["hpmount", "hpls", "hpcd", "hpcopy", "hpumount"] {
        require_tool(tool, "hfsplus");
    }
    let dir = tempfile::tempdir().unwrap();
    let tree = tree();
    let image = dir.path().join("volume.img");
    fs::write(&image, wrapped_for_hpmount(&raw_volume(&tree, "hello"))).unwrap();
    // The hp* tools keep the mounted volume in $HOME/.hfsplusvolume.
    let hp = |program: &str| {
        let mut c = Command::new(program);
        c.env("HOME", dir.path()).current_dir(dir.path());
        c
    };
    run_ok(hp("hpmount").arg("-r").arg(&image));
    let root = run_ok(hp("hpls").arg("-l"));
    for name in ["hello", "README.md", "private", "share", "bin"] {
        assert!(root.contains(name), "{name} missing:\n{root}");
    }
    // Looked up by name: the catalog's order is the one libhfsp searches by.
    let copy = dir.path().join("copy");
    run_ok(hp("hpcopy").args(["-r", "README.md"]).arg(&copy));
    assert_eq!(fs::read(&copy).unwrap(), b"# hello\n");
    run_ok(hp("hpcopy").args(["-r", "hello"]).arg(&copy));
    assert_eq!(fs::read(&copy).unwrap(), pattern(10_000, 1));
    assert!(run_ok(hp("hpls").args(["-l", "bin"])).contains("hi"));
    run_ok(hp("hpcd").arg("share"));
    run_ok(hp("hpcd").arg("doc"));
    let doc = run_ok(hp("hpls").arg("-l"));
    for name in ["big.bin", "empty", "a/b", "uber.txt"] {
        assert!(doc.contains(name), "{name} missing:\n{doc}");
    }
    run_ok(hp("hpcopy").args(["-r", "big.bin"]).arg(&copy));
    assert!(fs::read(&copy).unwrap() == pattern(3 << 20, 2));
    run_ok(&mut hp("hpumount"));
}

#[test]
fn same_inputs_same_bytes_whatever_the_thread_count() {
    let dir = tempfile::tempdir().unwrap();
    let tree = tree();
    let one = fs::read(write_dmg(
        dir.path(),
        &tree,
        DmgOptions::default().threads(1.try_into().unwrap()),
    ))
    .unwrap();
    let four = fs::read(write_dmg(
        dir.path(),
        &tree,
        DmgOptions::default().threads(4.try_into().unwrap()),
    ))
    .unwrap();
    assert!(one == four);
}

#[test]
fn a_corrupted_chunk_is_caught_by_seven_zip_and_our_reader() {
    require_tool("7zz", "7zip");
    let dir = tempfile::tempdir().unwrap();
    let dmg = write_dmg(dir.path(), &tree(), DmgOptions::default());
    let mut bytes = fs::read(&dmg).unwrap();
    // Inside the first compressed chunk (the data fork starts the file).
    bytes[200] ^= 0x55;
    let bad = dir.path().join("bad.dmg");
    fs::write(&bad, &bytes).unwrap();
    let out = run(Command::new("7zz").args(["t", "-tdmg"]).arg(&bad));
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        !out.status.success() || text.contains("Error") || text.contains("ERROR"),
        "7zz did not notice:\n{text}"
    );
    let result = UdifImage::open(fs::File::open(&bad).unwrap())
        .and_then(|mut image| image.copy_raw(std::io::sink()));
    assert!(result.is_err());
    // A damaged trailer.
    let mut bytes = fs::read(&dmg).unwrap();
    let at = bytes.len() - 512;
    bytes[at] = b'X';
    assert!(UdifImage::open(std::io::Cursor::new(bytes)).is_err());
}

#[test]
fn an_app_bundle_image_has_the_layout_macos_expects() {
    let dir = tempfile::tempdir().unwrap();
    let meta = meta();
    let tree = AppBundle::new(
        &meta,
        "org.example.hello",
        Entry::bytes(pattern(1000, 3)).mode(0o755),
    )
    .unwrap()
    .display_name("Hello")
    .tree()
    .unwrap();
    let dmg = write_dmg(
        dir.path(),
        &tree,
        DmgOptions::default().volume_name("Hello 1.0"),
    );
    let out = dir.path().join("x");
    seven_zip_clean(&["x", "-snld", &format!("-o{}", out.display())], &dmg);
    let root = out.join("Hello 1.0");
    // 7-Zip points absolute links into its output directory: the link's stored target is
    // read on its own below.
    let applications = RelPath::new("Applications").unwrap();
    assert_matches_tree(&root, &without(&tree, applications.as_str()), true);
    let plist = fs::read_to_string(root.join("Hello.app/Contents/Info.plist")).unwrap();
    assert!(plist.contains("<string>org.example.hello</string>"));
    let listing = seven_zip_clean(&["l", "-slt"], &dmg);
    let link = listing
        .split("\n\n")
        .find(|item| item.contains("Path = Hello 1.0/Applications\n"))
        .unwrap_or_else(|| panic!("no Applications entry:\n{listing}"));
    assert!(link.contains("Mode = lrwxr-xr-x"), "{link}");
    let target = run(Command::new("7zz")
        .args(["e", "-so"])
        .arg(&dmg)
        .arg("Hello 1.0/Applications"));
    assert_eq!(target.stdout, b"/Applications");
}

/// 7-Zip and libhfsp show hard links as they are stored (macOS resolves them): each link a
/// `hlnk`/`hfs+` file record, the data once in the private folder's indirect node file.
#[test]
fn a_hard_link_is_stored_once_behind_link_records() {
    let dir = tempfile::tempdir().unwrap();
    let mut tree = tree();
    tree.insert(
        "hello-again",
        Entry::hardlink(RelPath::new("hello").unwrap()),
    )
    .unwrap();
    let dmg = write_dmg(dir.path(), &tree, DmgOptions::default());
    seven_zip_clean(&["t"], &dmg);
    let listing = seven_zip_clean(&["l", "-slt"], &dmg);
    let items: Vec<&str> = listing.split("\n\n").collect();
    let item = |path: &str| {
        items
            .iter()
            .find(|i| i.contains(&format!("Path = {path}\n")))
            .unwrap_or_else(|| panic!("no {path}:\n{listing}"))
            .to_string()
    };
    for link in ["hello/hello", "hello/hello-again"] {
        assert!(item(link).contains("Size = 0\n"), "{}", item(link));
    }
    let inode = items
        .iter()
        .find(|i| i.contains("Path = hello/[HFS+ Private Data]/iNode"))
        .unwrap_or_else(|| panic!("no indirect node file:\n{listing}"));
    assert!(inode.contains("Size = 10000\n"), "{inode}");
    assert!(inode.contains("Mode = -rwxr-xr-x"), "{inode}");
    let name = inode
        .lines()
        .find_map(|l| l.strip_prefix("Path = "))
        .unwrap();
    let data = run(Command::new("7zz").args(["e", "-so"]).arg(&dmg).arg(name));
    assert!(data.stdout == pattern(10_000, 1));
    // libhfsp reads both names as link records (type `hlnk`, creator `hfs+`).
    let image = dir.path().join("volume.img");
    fs::write(&image, wrapped_for_hpmount(&raw_volume(&tree, "hello"))).unwrap();
    let hp = |program: &str| {
        let mut c = Command::new(program);
        c.env("HOME", dir.path()).current_dir(dir.path());
        c
    };
    run_ok(hp("hpmount").arg("-r").arg(&image));
    let root = run_ok(hp("hpls").arg("-l"));
    run_ok(&mut hp("hpumount"));
    for name in ["hello", "hello-again"] {
        let line = root
            .lines()
            .find(|l| l.ends_with(&format!(" {name}")))
            .unwrap_or_else(|| panic!("{name}:\n{root}"));
        // hpls prints the four-character codes byte-swapped.
        assert!(line.contains("knlh/+sfh"), "{line}");
    }
}

#[test]
fn files_over_4_gib_keep_their_size() {
    let dir = tempfile::tempdir().unwrap();
    // A sparse file: cheap to make, read back as zeros.
    let path = dir.path().join("big");
    let file = fs::File::create(&path).unwrap();
    let size = (4u64 << 30) + 12_345;
    file.set_len(size).unwrap();
    let mut tree = FileTree::new();
    tree.insert("big", Entry::file(&path).unwrap()).unwrap();
    tree.insert("small", Entry::bytes(b"after\n".to_vec()))
        .unwrap();
    let dmg = write_dmg(dir.path(), &tree, DmgOptions::default());
    // Zero chunks are stored as such: the image stays small.
    assert!(fs::metadata(&dmg).unwrap().len() < 4 << 20);
    let listing = seven_zip_clean(&["l", "-slt"], &dmg);
    assert!(listing.contains(&format!("Size = {size}")), "{listing}");
}
