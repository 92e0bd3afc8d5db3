//! The authoring layer's plan: the tree checked against Windows' rules and turned into the
//! rows of the `Directory`, `Component`, `File`, `CreateFolder`, `Environment` and
//! `Shortcut` tables, with the files cut into cabinets.
//!
//! Directories: `TARGETDIR` → `ProgramFiles64Folder` (per machine) or
//! `LocalAppDataFolder\Programs` (per user) → `MANUFACTURERFOLDER` (the manufacturer) →
//! `INSTALLDIR` (the product name) → the tree's directories. `INSTALLDIR` is a public
//! property: `msiexec /i pkg.msi INSTALLDIR=D:\Tools\hello` moves the installation.
//! Every file is its own component with itself as key path; an empty directory gets a
//! component that creates it. Identifiers and component GUIDs derive from the paths.

use std::collections::BTreeMap;
use std::ops::Range;

use consign_core::{Entry, EntryKind, FileTree, RelPath};

use super::cabinet::{MAX_FILE, MAX_FOLDER_BYTES};
use super::names::{ShortNames, check_name, identifier};
use super::{Guid, MsiError};
use crate::Error;

/// Directory ids of the fixed part of the tree.
pub(crate) const TARGETDIR: &str = "TARGETDIR";
pub(crate) const INSTALLDIR: &str = "INSTALLDIR";
const MANUFACTURERFOLDER: &str = "MANUFACTURERFOLDER";
pub(crate) const PROGRAM_MENU: &str = "ProgramMenuFolder";
pub(crate) const PATH_COMPONENT: &str = "PathComponent";

/// The longest installed path (`MAX_PATH` less its terminating NUL).
const MAX_PATH: usize = 259;

/// What the layout is made from.
pub(crate) struct Input<'a> {
    pub(crate) tree: &'a FileTree,
    pub(crate) manufacturer: &'a str,
    pub(crate) product: &'a str,
    pub(crate) per_user: bool,
    pub(crate) upgrade_code: Guid,
    pub(crate) path_entry: Option<&'a str>,
    pub(crate) shortcut: Option<&'a str>,
    pub(crate) cabinet_bytes: u64,
}

/// One `Directory` row.
pub(crate) struct DirRow {
    pub(crate) id: String,
    pub(crate) parent: Option<String>,
    pub(crate) default_dir: String,
}

/// One `Component` row.
pub(crate) struct ComponentRow {
    pub(crate) id: String,
    pub(crate) guid: Guid,
    pub(crate) dir: String,
    pub(crate) key_path: Option<String>,
}

/// One `File` row, with where its bytes come from.
pub(crate) struct FileRow<'a> {
    pub(crate) key: String,
    pub(crate) component: String,
    pub(crate) name: String,
    pub(crate) path: &'a RelPath,
    pub(crate) source: &'a Entry,
}

/// The Start-menu shortcut.
pub(crate) struct ShortcutRow {
    pub(crate) name: String,
    pub(crate) component: String,
    pub(crate) file_key: String,
    pub(crate) dir: String,
}

/// The plan of the tables that follow from the tree.
pub(crate) struct Layout<'a> {
    pub(crate) directories: Vec<DirRow>,
    pub(crate) components: Vec<ComponentRow>,
    /// In sequence order: `Sequence` is the index plus one.
    pub(crate) files: Vec<FileRow<'a>>,
    /// The files of each cabinet, in order.
    pub(crate) cabinets: Vec<Range<usize>>,
    /// `CreateFolder` rows: (directory, component).
    pub(crate) create_folders: Vec<(String, String)>,
    /// The directory put on `PATH`.
    pub(crate) path_dir: Option<String>,
    pub(crate) shortcut: Option<ShortcutRow>,
}

impl<'a> Layout<'a> {
    /// Checks the tree and plans the rows.
    pub(crate) fn new(input: &Input<'a>) -> Result<Layout<'a>, Error> {
        for (what, name) in [
            ("manufacturer", input.manufacturer),
            ("product name", input.product),
        ] {
            check_name(name).map_err(|problem| MsiError::Name {
                what,
                name: name.to_owned(),
                problem,
            })?;
        }
        let scope: &[u8] = if input.per_user { b"user" } else { b"machine" };
        let prefix = if input.per_user {
            // The longest user name Windows allows is 20 characters.
            format!(r"C:\Users\{}\AppData\Local\Programs", "u".repeat(20))
        } else {
            r"C:\Program Files".to_owned()
        };
        let root = format!(r"{prefix}\{}\{}", input.manufacturer, input.product);

        // Pass 1: check every entry; note children of each directory.
        let mut folded: BTreeMap<String, &RelPath> = BTreeMap::new();
        let mut children: BTreeMap<String, Vec<&str>> = BTreeMap::new();
        let mut dirs: Vec<&RelPath> = Vec::new();
        let mut files: Vec<(&RelPath, &Entry)> = Vec::new();
        for (path, entry) in input.tree.iter() {
            let name = path.file_name();
            check_name(name).map_err(|problem| MsiError::FileName {
                path: path.clone(),
                name: name.to_owned(),
                problem,
            })?;
            if let Some(first) = folded.insert(path.as_str().to_lowercase(), path) {
                return Err(MsiError::CaseCollision {
                    first: first.clone(),
                    second: path.clone(),
                }
                .into());
            }
            let installed = format!(r"{root}\{}", path.as_str().replace('/', "\\"));
            let length = installed.chars().count();
            if length > MAX_PATH {
                return Err(MsiError::PathTooLong {
                    path: path.clone(),
                    length,
                    example: installed,
                    max: MAX_PATH,
                }
                .into());
            }
            let parent = path
                .parent()
                .map(|p| p.as_str().to_owned())
                .unwrap_or_default();
            children.entry(parent).or_default().push(name);
            match entry.kind() {
                EntryKind::Dir => dirs.push(path),
                EntryKind::File { size, .. } => {
                    if *size > MAX_FILE {
                        return Err(MsiError::FileTooLarge {
                            path: path.clone(),
                            size: *size,
                            max: MAX_FILE,
                        }
                        .into());
                    }
                    files.push((path, entry));
                }
                EntryKind::Hardlink { target } => {
                    let source = input
                        .tree
                        .get(target.as_str())
                        .filter(|t| matches!(t.kind(), EntryKind::File { .. }))
                        .ok_or_else(|| MsiError::Unsupported {
                            path: path.clone(),
                            kind: "hard link to no regular file",
                        })?;
                    files.push((path, source));
                }
                EntryKind::Symlink { .. } => {
                    return Err(MsiError::Unsupported {
                        path: path.clone(),
                        kind: "symbolic link",
                    }
                    .into());
                }
                _ => {
                    return Err(MsiError::Unsupported {
                        path: path.clone(),
                        kind: "special file",
                    }
                    .into());
                }
            }
        }

        // Pass 2: short names per directory, then the rows.
        let mut short: BTreeMap<String, ShortNames> = BTreeMap::new();
        for (parent, names) in &children {
            short
                .entry(parent.clone())
                .or_default()
                .reserve(names.iter().copied());
        }
        let mut column = |path: &RelPath| {
            let parent = path
                .parent()
                .map(|p| p.as_str().to_owned())
                .unwrap_or_default();
            let names = short.entry(parent.clone()).or_default();
            names.column_value(&parent, path.file_name())
        };
        let dir_id = |path: Option<RelPath>| match path {
            None => INSTALLDIR.to_owned(),
            Some(p) => identifier("d", p.as_str()),
        };

        let mut directories = fixed_directories(input, &mut ShortNames::default());
        let mut components = Vec::new();
        let mut create_folders = Vec::new();
        for &path in &dirs {
            let id = dir_id(Some(path.clone()));
            directories.push(DirRow {
                id: id.clone(),
                parent: Some(dir_id(path.parent())),
                default_dir: column(path),
            });
            if !children.contains_key(path.as_str()) {
                let component = identifier("c", path.as_str());
                components.push(ComponentRow {
                    id: component.clone(),
                    guid: Guid::derive(
                        "folder",
                        &[
                            input.upgrade_code.as_bytes(),
                            scope,
                            path.as_str().as_bytes(),
                        ],
                    ),
                    dir: id.clone(),
                    key_path: None,
                });
                create_folders.push((id, component));
            }
        }
        let mut rows = Vec::with_capacity(files.len());
        for (path, source) in files {
            let key = identifier("f", path.as_str());
            let component = identifier("c", path.as_str());
            components.push(ComponentRow {
                id: component.clone(),
                guid: Guid::derive(
                    "component",
                    &[
                        input.upgrade_code.as_bytes(),
                        scope,
                        path.as_str().as_bytes(),
                    ],
                ),
                dir: dir_id(path.parent()),
                key_path: Some(key.clone()),
            });
            rows.push(FileRow {
                key,
                component,
                name: column(path),
                path,
                source,
            });
        }

        let path_dir = match input.path_entry {
            None => None,
            Some("") => Some(INSTALLDIR.to_owned()),
            Some(dir) => {
                let found = RelPath::new(dir)
                    .ok()
                    .filter(|p| dirs.contains(&p))
                    .ok_or_else(|| MsiError::PathEntry {
                        dir: dir.to_owned(),
                    })?;
                Some(dir_id(Some(found)))
            }
        };
        if let Some(dir) = &path_dir {
            components.push(ComponentRow {
                id: PATH_COMPONENT.to_owned(),
                guid: Guid::derive("path", &[input.upgrade_code.as_bytes(), scope]),
                dir: dir.clone(),
                key_path: None,
            });
        }
        let shortcut = match input.shortcut {
            None => None,
            Some(target) => {
                let file = RelPath::new(target)
                    .ok()
                    .and_then(|p| rows.iter().find(|r| *r.path == p))
                    .ok_or_else(|| MsiError::Shortcut {
                        target: target.to_owned(),
                    })?;
                directories.push(DirRow {
                    id: PROGRAM_MENU.to_owned(),
                    parent: Some(TARGETDIR.to_owned()),
                    default_dir: ".".to_owned(),
                });
                Some(ShortcutRow {
                    name: ShortNames::default().column_value("\0shortcut", input.product),
                    component: file.component.clone(),
                    file_key: file.key.clone(),
                    dir: dir_id(file.path.parent()),
                })
            }
        };

        let cabinets = cut(&rows, input.cabinet_bytes.min(MAX_FOLDER_BYTES));
        Ok(Layout {
            directories,
            components,
            files: rows,
            cabinets,
            create_folders,
            path_dir,
            shortcut,
        })
    }
}

/// `TARGETDIR` down to `INSTALLDIR`.
fn fixed_directories(input: &Input<'_>, names: &mut ShortNames) -> Vec<DirRow> {
    let row = |id: &str, parent: Option<&str>, default_dir: String| DirRow {
        id: id.to_owned(),
        parent: parent.map(str::to_owned),
        default_dir,
    };
    let mut rows = vec![row(TARGETDIR, None, "SourceDir".to_owned())];
    let base = if input.per_user {
        rows.push(row("LocalAppDataFolder", Some(TARGETDIR), ".".to_owned()));
        rows.push(row(
            "ProgramsFolder",
            Some("LocalAppDataFolder"),
            "Programs".to_owned(),
        ));
        "ProgramsFolder"
    } else {
        rows.push(row("ProgramFiles64Folder", Some(TARGETDIR), ".".to_owned()));
        "ProgramFiles64Folder"
    };
    rows.push(row(
        MANUFACTURERFOLDER,
        Some(base),
        names.column_value("\0manufacturer", input.manufacturer),
    ));
    rows.push(row(
        INSTALLDIR,
        Some(MANUFACTURERFOLDER),
        names.column_value("\0product", input.product),
    ));
    rows
}

/// Cuts the files, in order, into cabinets of at most `limit` bytes (a larger file alone)
/// and 65535 files.
fn cut(files: &[FileRow<'_>], limit: u64) -> Vec<Range<usize>> {
    let mut cabinets = Vec::new();
    let (mut start, mut bytes) = (0, 0u64);
    for (i, f) in files.iter().enumerate() {
        let size = f.source.size();
        if i > start && (bytes + size > limit || i - start == 0xffff) {
            cabinets.push(start..i);
            (start, bytes) = (i, 0);
        }
        bytes += size;
    }
    if start < files.len() {
        cabinets.push(start..files.len());
    }
    cabinets
}

#[cfg(test)]
mod tests {
    use super::*;
    use consign_core::Entry;
    use std::collections::BTreeSet;

    fn input(tree: &FileTree) -> Input<'_> {
        Input {
            tree,
            manufacturer: "Acme",
            product: "hello",
            per_user: false,
            upgrade_code: Guid::derive("test", &[]),
            path_entry: None,
            shortcut: None,
            cabinet_bytes: 100,
        }
    }

    #[test]
    fn rows_follow_the_tree() {
        let mut tree = FileTree::new();
        tree.insert("bin/hello.exe", Entry::bytes(vec![1u8; 60]))
            .expect("insert");
        tree.insert("bin/helper-program.dll", Entry::bytes(vec![2u8; 60]))
            .expect("insert");
        tree.insert("README.md", Entry::bytes(b"hi".to_vec()))
            .expect("insert");
        tree.insert("empty", Entry::dir()).expect("insert");
        tree.insert(
            "bin/again.exe",
            Entry::hardlink(RelPath::new("bin/hello.exe").expect("path")),
        )
        .expect("insert");
        let mut i = input(&tree);
        i.path_entry = Some("bin");
        i.shortcut = Some("bin/hello.exe");
        let layout = Layout::new(&i).expect("a layout");
        let names: Vec<&str> = layout.files.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(names[0], "README.md");
        assert!(names[1].ends_with("|again.exe") || names[1] == "again.exe");
        assert!(
            names.iter().any(|n| n.ends_with(".DLL|helper-program.dll")),
            "{names:?}"
        );
        // README.md and again.exe (62 bytes), then one file each: 100 bytes at most per cabinet.
        assert_eq!(layout.cabinets, vec![0..2, 2..3, 3..4]);
        assert_eq!(layout.create_folders.len(), 1);
        assert!(layout.directories.iter().any(|d| d.default_dir == "empty"));
        assert_eq!(
            layout.path_dir.as_deref(),
            Some(identifier("d", "bin").as_str())
        );
        assert_eq!(
            layout.shortcut.as_ref().map(|s| s.file_key.clone()),
            Some(identifier("f", "bin/hello.exe"))
        );
        // 5 file or folder components and the PATH one.
        assert_eq!(layout.components.len(), 6);
        let guids: BTreeSet<Guid> = layout.components.iter().map(|c| c.guid).collect();
        assert_eq!(guids.len(), 6);
    }

    #[test]
    fn bad_trees_get_typed_errors() {
        let check = |path: &str, entry: Entry| {
            let mut tree = FileTree::new();
            tree.insert(path, entry).expect("insert");
            Layout::new(&input(&tree))
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default()
        };
        assert!(check("bin/a?b", Entry::bytes(vec![])).contains("'?'"));
        assert!(check("aux.txt", Entry::bytes(vec![])).contains("reserved"));
        assert!(check("doc./x", Entry::bytes(vec![])).contains("dot"));
        assert!(check("link", Entry::symlink("x")).contains("symbolic link"));
        let deep = vec!["abcdefghij"; 30].join("/");
        assert!(check(&deep, Entry::bytes(vec![])).contains("-character path"));

        let mut tree = FileTree::new();
        tree.insert("Readme", Entry::bytes(vec![])).expect("insert");
        tree.insert("README", Entry::bytes(vec![])).expect("insert");
        assert!(matches!(
            Layout::new(&input(&tree)),
            Err(Error::Msi(MsiError::CaseCollision { .. }))
        ));
        let mut tree = FileTree::new();
        tree.insert("Readme", Entry::bytes(vec![])).expect("insert");
        let mut i = input(&tree);
        i.manufacturer = "Acme: Inc";
        assert!(matches!(
            Layout::new(&i),
            Err(Error::Msi(MsiError::Name { .. }))
        ));
        let mut i = input(&tree);
        i.path_entry = Some("nowhere");
        assert!(matches!(
            Layout::new(&i),
            Err(Error::Msi(MsiError::PathEntry { .. }))
        ));
        let mut i = input(&tree);
        i.shortcut = Some("nothing.exe");
        assert!(matches!(
            Layout::new(&i),
            Err(Error::Msi(MsiError::Shortcut { .. }))
        ));
    }
}
