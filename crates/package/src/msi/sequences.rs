//! The sequence tables: the standard actions at their standard numbers (Windows Installer
//! SDK, "Suggested InstallExecuteSequence"), with the shortcut and environment actions when
//! the package has a shortcut or a `PATH` entry.

use ::msi::{Category, Column};

use super::tables::{Table, int, opt, s};

/// One sequence table of `actions` (action, condition, number).
fn sequence(name: &'static str, actions: &[(&str, Option<&str>, i32)]) -> Table {
    Table {
        name,
        columns: vec![
            Column::build("Action").primary_key().id_string(72),
            Column::build("Condition")
                .nullable()
                .category(Category::Condition)
                .string(255),
            Column::build("Sequence")
                .nullable()
                .range(-4, 32767)
                .int16(),
        ],
        rows: actions
            .iter()
            .map(|(a, c, n)| vec![s(*a), opt(*c), int(*n)])
            .collect(),
    }
}

/// `InstallExecuteSequence`, `InstallUISequence`, `AdminExecuteSequence`,
/// `AdminUISequence` and `AdvtExecuteSequence`.
pub(crate) fn tables(shortcut: bool, env: bool) -> Vec<Table> {
    let mut t = Vec::new();
    let mut execute: Vec<(&str, Option<&str>, i32)> = vec![
        ("FindRelatedProducts", None, 25),
        ("LaunchConditions", None, 100),
        ("ValidateProductID", None, 700),
        ("CostInitialize", None, 800),
        ("FileCost", None, 900),
        ("CostFinalize", None, 1000),
        ("MigrateFeatureStates", None, 1200),
        ("InstallValidate", None, 1400),
        ("RemoveExistingProducts", None, 1401),
        ("InstallInitialize", None, 1500),
        ("ProcessComponents", None, 1600),
        ("UnpublishFeatures", None, 1800),
        ("RemoveFiles", None, 3500),
        ("RemoveFolders", None, 3600),
        ("CreateFolders", None, 3700),
        ("InstallFiles", None, 4000),
        ("RegisterUser", None, 6000),
        ("RegisterProduct", None, 6100),
        ("PublishFeatures", None, 6300),
        ("PublishProduct", None, 6400),
        ("InstallFinalize", None, 6600),
    ];
    if shortcut {
        execute.push(("RemoveShortcuts", None, 3200));
        execute.push(("CreateShortcuts", None, 4500));
    }
    if env {
        execute.push(("RemoveEnvironmentStrings", None, 3300));
        execute.push(("WriteEnvironmentStrings", None, 5200));
    }
    t.push(sequence("InstallExecuteSequence", &execute));
    t.push(sequence(
        "InstallUISequence",
        &[
            ("FindRelatedProducts", None, 25),
            ("LaunchConditions", None, 100),
            ("ValidateProductID", None, 700),
            ("CostInitialize", None, 800),
            ("FileCost", None, 900),
            ("CostFinalize", None, 1000),
            ("MigrateFeatureStates", None, 1200),
            ("ExecuteAction", None, 1300),
        ],
    ));
    t.push(sequence(
        "AdminExecuteSequence",
        &[
            ("CostInitialize", None, 800),
            ("FileCost", None, 900),
            ("CostFinalize", None, 1000),
            ("InstallValidate", None, 1400),
            ("InstallInitialize", None, 1500),
            ("InstallAdminPackage", None, 3900),
            ("InstallFiles", None, 4000),
            ("InstallFinalize", None, 6600),
        ],
    ));
    t.push(sequence(
        "AdminUISequence",
        &[
            ("CostInitialize", None, 800),
            ("FileCost", None, 900),
            ("CostFinalize", None, 1000),
            ("ExecuteAction", None, 1300),
        ],
    ));
    let mut advertise = vec![
        ("CostInitialize", None, 800),
        ("CostFinalize", None, 1000),
        ("InstallValidate", None, 1400),
        ("InstallInitialize", None, 1500),
        ("PublishFeatures", None, 6300),
        ("PublishProduct", None, 6400),
        ("InstallFinalize", None, 6600),
    ];
    if shortcut {
        advertise.push(("CreateShortcuts", None, 4500));
    }
    t.push(sequence("AdvtExecuteSequence", &advertise));
    t
}
