//! The database tables: their columns (as the Windows Installer SDK defines them) and the
//! rows a package of a [`Layout`] holds.
//!
//! | table | rows |
//! |---|---|
//! | `Property` | `ProductName`, `Manufacturer`, `ProductVersion`, `ProductLanguage`, `ProductCode`, `UpgradeCode`, `ALLUSERS` (per machine), `SecureCustomProperties`, `ARPNOMODIFY` |
//! | `Directory`, `Component`, `File`, `CreateFolder` | from the [`Layout`] |
//! | `Feature`, `FeatureComponents` | one feature, `Complete`, holding every component |
//! | `Media` | one row per embedded cabinet (`#consign1.cab`, …) with its last sequence |
//! | `Upgrade`, `LaunchCondition` | the major upgrade: older versions (and this version's other builds) are found and removed before the files go in; a newer one stops the install |
//! | `InstallExecuteSequence`, `InstallUISequence`, `AdminExecuteSequence`, `AdminUISequence`, `AdvtExecuteSequence` | the standard actions at their standard numbers |
//! | `Environment`, `Shortcut` | the `PATH` entry and the Start-menu shortcut, when asked for |
//!
//! The `msi` crate keeps each table's rows ordered by primary key, so insertion order does
//! not matter; tables are created in the order of this list.

use std::io::{Read, Seek, Write};

use ::msi::{Category, Column, Insert, Package, Value};

use super::layout::{INSTALLDIR, Layout, PATH_COMPONENT, PROGRAM_MENU, TARGETDIR};
use super::{Guid, MsiError, MsiVersion};
use crate::Error;

/// The name of cabinet `index` (from 0), as a stream and in the `Media` table (with `#`).
pub(crate) fn cabinet_name(index: usize) -> String {
    format!("consign{}.cab", index + 1)
}

/// Properties the upgrade search sets.
const UPGRADE_FOUND: &str = "UPGRADEFOUND";
const NEWER_FOUND: &str = "NEWERVERSIONFOUND";

/// `msidbComponentAttributes64bit`.
const COMPONENT_64BIT: i32 = 256;
/// `msidbUpgradeAttributesMigrateFeatures`, `…OnlyDetect`, `…VersionMaxInclusive`.
const MIGRATE_FEATURES: i32 = 0x1;
const ONLY_DETECT: i32 = 0x2;
const MAX_INCLUSIVE: i32 = 0x200;

/// What the tables say beside the layout.
pub(crate) struct Product<'a> {
    pub(crate) name: &'a str,
    pub(crate) manufacturer: &'a str,
    pub(crate) summary: Option<&'a str>,
    pub(crate) version: MsiVersion,
    pub(crate) product_code: Guid,
    pub(crate) upgrade_code: Guid,
    pub(crate) per_user: bool,
}

/// One table: its name, columns and rows.
pub(crate) struct Table {
    pub(crate) name: &'static str,
    pub(crate) columns: Vec<Column>,
    pub(crate) rows: Vec<Vec<Value>>,
}

pub(crate) fn s(text: impl Into<String>) -> Value {
    Value::Str(text.into())
}

pub(crate) fn opt(text: Option<impl Into<String>>) -> Value {
    text.map_or(Value::Null, |t| Value::Str(t.into()))
}

pub(crate) fn int(n: impl Into<i64>) -> Value {
    Value::Int(i32::try_from(n.into()).unwrap_or(i32::MAX))
}

/// Every table of the package, in creation order.
pub(crate) fn tables(p: &Product<'_>, layout: &Layout<'_>) -> Vec<Table> {
    let mut t = Vec::new();
    let version = p.version.to_string();

    let mut properties = vec![
        ("ProductName", p.name.to_owned()),
        ("Manufacturer", p.manufacturer.to_owned()),
        ("ProductVersion", version.clone()),
        ("ProductLanguage", "1033".to_owned()),
        ("ProductCode", p.product_code.to_string()),
        ("UpgradeCode", p.upgrade_code.to_string()),
        (
            "SecureCustomProperties",
            format!("{NEWER_FOUND};{UPGRADE_FOUND}"),
        ),
        ("ARPNOMODIFY", "1".to_owned()),
    ];
    if !p.per_user {
        properties.push(("ALLUSERS", "1".to_owned()));
    }
    t.push(Table {
        name: "Property",
        columns: vec![
            Column::build("Property").primary_key().id_string(72),
            Column::build("Value").localizable().text_string(0),
        ],
        rows: properties
            .into_iter()
            .map(|(k, v)| vec![s(k), s(v)])
            .collect(),
    });

    t.push(Table {
        name: "Directory",
        columns: vec![
            Column::build("Directory").primary_key().id_string(72),
            Column::build("Directory_Parent")
                .nullable()
                .foreign_key("Directory", 1)
                .id_string(72),
            Column::build("DefaultDir")
                .localizable()
                .category(Category::DefaultDir)
                .string(255),
        ],
        rows: layout
            .directories
            .iter()
            .map(|d| vec![s(&d.id), opt(d.parent.as_deref()), s(&d.default_dir)])
            .collect(),
    });

    t.push(Table {
        name: "Component",
        columns: vec![
            Column::build("Component").primary_key().id_string(72),
            Column::build("ComponentId")
                .nullable()
                .category(Category::Guid)
                .string(38),
            Column::build("Directory_")
                .foreign_key("Directory", 1)
                .id_string(72),
            Column::build("Attributes").int16(),
            Column::build("Condition")
                .nullable()
                .category(Category::Condition)
                .string(255),
            Column::build("KeyPath").nullable().id_string(72),
        ],
        rows: layout
            .components
            .iter()
            .map(|c| {
                vec![
                    s(&c.id),
                    s(c.guid.to_string()),
                    s(&c.dir),
                    int(COMPONENT_64BIT),
                    Value::Null,
                    opt(c.key_path.as_deref()),
                ]
            })
            .collect(),
    });

    t.push(Table {
        name: "Feature",
        columns: vec![
            Column::build("Feature").primary_key().id_string(38),
            Column::build("Feature_Parent").nullable().id_string(38),
            Column::build("Title")
                .nullable()
                .localizable()
                .text_string(64),
            Column::build("Description")
                .nullable()
                .localizable()
                .text_string(255),
            Column::build("Display").nullable().range(0, 32767).int16(),
            Column::build("Level").range(0, 32767).int16(),
            Column::build("Directory_")
                .nullable()
                .foreign_key("Directory", 1)
                .id_string(72),
            Column::build("Attributes").int16(),
        ],
        rows: vec![vec![
            s("Complete"),
            Value::Null,
            s(p.name),
            opt(p.summary),
            int(1),
            int(1),
            s(INSTALLDIR),
            int(0),
        ]],
    });
    t.push(Table {
        name: "FeatureComponents",
        columns: vec![
            Column::build("Feature_")
                .primary_key()
                .foreign_key("Feature", 1)
                .id_string(38),
            Column::build("Component_")
                .primary_key()
                .foreign_key("Component", 1)
                .id_string(72),
        ],
        rows: layout
            .components
            .iter()
            .map(|c| vec![s("Complete"), s(&c.id)])
            .collect(),
    });

    t.push(Table {
        name: "File",
        columns: vec![
            Column::build("File").primary_key().id_string(72),
            Column::build("Component_")
                .foreign_key("Component", 1)
                .id_string(72),
            Column::build("FileName")
                .localizable()
                .category(Category::Filename)
                .string(255),
            Column::build("FileSize").range(0, i32::MAX).int32(),
            Column::build("Version")
                .nullable()
                .category(Category::Version)
                .string(72),
            Column::build("Language")
                .nullable()
                .category(Category::Language)
                .string(20),
            Column::build("Attributes")
                .nullable()
                .range(0, 32767)
                .int16(),
            Column::build("Sequence").range(1, i32::MAX).int32(),
        ],
        rows: layout
            .files
            .iter()
            .enumerate()
            .map(|(i, f)| {
                vec![
                    s(&f.key),
                    s(&f.component),
                    s(&f.name),
                    int(i64::try_from(f.source.size()).unwrap_or(i64::MAX)),
                    Value::Null,
                    Value::Null,
                    // msidbFileAttributesVital: a file that fails to install fails the install.
                    int(512),
                    int(i64::try_from(i + 1).unwrap_or(i64::MAX)),
                ]
            })
            .collect(),
    });

    if !layout.create_folders.is_empty() {
        t.push(Table {
            name: "CreateFolder",
            columns: vec![
                Column::build("Directory_")
                    .primary_key()
                    .foreign_key("Directory", 1)
                    .id_string(72),
                Column::build("Component_")
                    .primary_key()
                    .foreign_key("Component", 1)
                    .id_string(72),
            ],
            rows: layout
                .create_folders
                .iter()
                .map(|(d, c)| vec![s(d), s(c)])
                .collect(),
        });
    }

    let mut media: Vec<Vec<Value>> = layout
        .cabinets
        .iter()
        .enumerate()
        .map(|(i, r)| {
            vec![
                int(i64::try_from(i + 1).unwrap_or(i64::MAX)),
                int(i64::try_from(r.end).unwrap_or(i64::MAX)),
                Value::Null,
                s(format!("#{}", cabinet_name(i))),
                Value::Null,
                Value::Null,
            ]
        })
        .collect();
    if media.is_empty() {
        media.push(vec![
            int(1),
            int(0),
            Value::Null,
            Value::Null,
            Value::Null,
            Value::Null,
        ]);
    }
    t.push(Table {
        name: "Media",
        columns: vec![
            Column::build("DiskId")
                .primary_key()
                .range(1, 32767)
                .int16(),
            Column::build("LastSequence").range(0, i32::MAX).int32(),
            Column::build("DiskPrompt")
                .nullable()
                .localizable()
                .text_string(64),
            Column::build("Cabinet")
                .nullable()
                .category(Category::Cabinet)
                .string(255),
            Column::build("VolumeLabel").nullable().text_string(32),
            Column::build("Source")
                .nullable()
                .category(Category::Property)
                .string(72),
        ],
        rows: media,
    });

    t.push(Table {
        name: "Upgrade",
        columns: vec![
            Column::build("UpgradeCode")
                .primary_key()
                .category(Category::Guid)
                .string(38),
            Column::build("VersionMin")
                .primary_key()
                .nullable()
                .category(Category::Text)
                .string(20),
            Column::build("VersionMax")
                .primary_key()
                .nullable()
                .category(Category::Text)
                .string(20),
            Column::build("Language")
                .primary_key()
                .nullable()
                .category(Category::Language)
                .string(255),
            Column::build("Attributes").primary_key().int32(),
            Column::build("Remove")
                .nullable()
                .category(Category::Formatted)
                .string(255),
            Column::build("ActionProperty")
                .category(Category::UpperCase)
                .string(72),
        ],
        rows: vec![
            // Every earlier version, and this version's other builds (pre-releases, other
            // build metadata: the same three fields), is removed.
            vec![
                s(p.upgrade_code.to_string()),
                Value::Null,
                s(p.version.upgrade_key()),
                Value::Null,
                int(MIGRATE_FEATURES | MAX_INCLUSIVE),
                Value::Null,
                s(UPGRADE_FOUND),
            ],
            // A later version stops the install (LaunchCondition).
            vec![
                s(p.upgrade_code.to_string()),
                s(p.version.upgrade_key()),
                Value::Null,
                Value::Null,
                int(ONLY_DETECT),
                Value::Null,
                s(NEWER_FOUND),
            ],
        ],
    });
    t.push(Table {
        name: "LaunchCondition",
        columns: vec![
            Column::build("Condition")
                .primary_key()
                .category(Category::Condition)
                .string(255),
            Column::build("Description")
                .localizable()
                .category(Category::Formatted)
                .string(255),
        ],
        rows: vec![vec![
            s(format!("NOT {NEWER_FOUND}")),
            s("A newer version of [ProductName] is already installed."),
        ]],
    });

    t.extend(super::sequences::tables(
        layout.shortcut.is_some(),
        layout.path_dir.is_some(),
    ));

    if let Some(dir) = &layout.path_dir {
        // `=` set on install, `-` removed on uninstall, `*` the system variable;
        // `[~];` appends to the value already there.
        let name = if p.per_user { "=-PATH" } else { "=-*PATH" };
        t.push(Table {
            name: "Environment",
            columns: vec![
                Column::build("Environment").primary_key().id_string(72),
                Column::build("Name").localizable().text_string(255),
                Column::build("Value")
                    .nullable()
                    .localizable()
                    .formatted_string(255),
                Column::build("Component_")
                    .foreign_key("Component", 1)
                    .id_string(72),
            ],
            rows: vec![vec![
                s("PathEntry"),
                s(name),
                s(format!("[~];[{dir}]")),
                s(PATH_COMPONENT),
            ]],
        });
    }
    if let Some(sc) = &layout.shortcut {
        t.push(Table {
            name: "Shortcut",
            columns: vec![
                Column::build("Shortcut").primary_key().id_string(72),
                Column::build("Directory_")
                    .foreign_key("Directory", 1)
                    .id_string(72),
                Column::build("Name")
                    .localizable()
                    .category(Category::Filename)
                    .string(128),
                Column::build("Component_")
                    .foreign_key("Component", 1)
                    .id_string(72),
                Column::build("Target")
                    .category(Category::Shortcut)
                    .string(72),
                Column::build("Arguments")
                    .nullable()
                    .category(Category::Formatted)
                    .string(255),
                Column::build("Description")
                    .nullable()
                    .localizable()
                    .text_string(255),
                Column::build("Hotkey").nullable().range(0, 32767).int16(),
                Column::build("Icon_").nullable().id_string(72),
                Column::build("IconIndex")
                    .nullable()
                    .range(-32767, 32767)
                    .int16(),
                Column::build("ShowCmd").nullable().int16(),
                Column::build("WkDir").nullable().id_string(72),
            ],
            rows: vec![vec![
                s("StartMenuShortcut"),
                s(PROGRAM_MENU),
                s(&sc.name),
                s(&sc.component),
                s(format!("[#{}]", sc.file_key)),
                Value::Null,
                opt(p.summary),
                Value::Null,
                Value::Null,
                Value::Null,
                Value::Null,
                s(&sc.dir),
            ]],
        });
    }
    debug_assert!(layout.directories.iter().any(|d| d.id == TARGETDIR));
    t
}

/// A text rendering of every row (one line per row, tab-separated), the input of the
/// package code.
pub(crate) fn rendering(tables: &[Table]) -> Vec<u8> {
    let mut out = Vec::new();
    for t in tables {
        for row in &t.rows {
            out.extend_from_slice(t.name.as_bytes());
            for v in row {
                out.push(b'\t');
                out.extend_from_slice(v.to_string().as_bytes());
            }
            out.push(b'\n');
        }
    }
    out
}

/// Creates the tables and inserts their rows, one insert per table.
pub(crate) fn insert<F: Read + Write + Seek>(
    package: &mut Package<F>,
    tables: Vec<Table>,
) -> Result<(), Error> {
    for t in tables {
        package
            .create_table(t.name, t.columns)
            .map_err(MsiError::database("create a table"))?;
        package
            .insert_rows(Insert::into(t.name).rows(t.rows))
            .map_err(MsiError::database("insert rows"))?;
    }
    Ok(())
}
