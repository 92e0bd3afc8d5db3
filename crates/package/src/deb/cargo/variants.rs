//! `[package.metadata.deb.variants.<name>]`: tables of keys that replace the base table's, as
//! cargo-deb applies them, including its `merge-assets` and the package name it derives.

use serde_json::{Map, Value};

use super::TABLE;
use crate::Error;
use crate::cargo::CargoError;

/// `table` with `variants` applied in order. A variant's keys replace the table's, except
/// `merge-assets`, which merges with the assets so far: `append` adds its items, then
/// `by.src` or `by.dest` joins its items with the assets on their source or destination (as
/// written): an asset with the same key is replaced (the assets so far having been reduced to
/// one per key, the last), any other item is added. Unless a variant names the package, the
/// name becomes `<name>-<variant>` (`default_name` when the base table has no `name`).
pub(super) fn apply(
    mut table: Map<String, Value>,
    variants: &[String],
    default_name: &str,
) -> Result<Map<String, Value>, Error> {
    let mut name = match table.get("name") {
        Some(Value::String(n)) => n.clone(),
        _ => default_name.to_owned(),
    };
    let mut named = false;
    for variant in variants {
        let key = format!("{TABLE}.variants.{variant}");
        let over = match table.get("variants").and_then(|v| v.get(variant)) {
            Some(Value::Object(over)) => over.clone(),
            found => {
                return Err(CargoError::BadKey {
                    key,
                    expected: "a table",
                    found: found.map_or_else(|| "nothing".to_owned(), Value::to_string),
                }
                .into());
            }
        };
        if over.contains_key("assets") && over.contains_key("merge-assets") {
            return Err(CargoError::Invalid {
                key: format!("{key}.merge-assets"),
                reason: "set assets (replacing the list) or merge-assets, not both".into(),
            }
            .into());
        }
        for (k, v) in over {
            match k.as_str() {
                "merge-assets" => {
                    let merged = merge(&format!("{key}.merge-assets"), table.get("assets"), &v)?;
                    table.insert("assets".into(), Value::Array(merged));
                }
                "name" => {
                    named = true;
                    if let Value::String(n) = &v {
                        name.clone_from(n);
                    }
                    table.insert(k, v);
                }
                _ => {
                    table.insert(k, v);
                }
            }
        }
        if !named {
            name = format!("{name}-{variant}");
        }
    }
    if !variants.is_empty() && !named {
        table.insert("name".into(), Value::String(name));
    }
    Ok(table)
}

/// Which part of an asset item `by.*` joins on.
#[derive(Clone, Copy)]
enum By {
    Src = 0,
    Dest = 1,
}

/// The assets `parent` merged with a `merge-assets` table.
fn merge(key: &str, parent: Option<&Value>, spec: &Value) -> Result<Vec<Value>, Error> {
    let bad = |k: String, expected: &'static str, found: &Value| -> Error {
        CargoError::BadKey {
            key: k,
            expected,
            found: found.to_string(),
        }
        .into()
    };
    let Value::Object(spec) = spec else {
        return Err(bad(key.to_owned(), "a table with append or by", spec));
    };
    let mut assets: Vec<Value> = match parent {
        None => Vec::new(),
        Some(Value::Array(a)) => a.clone(),
        Some(other) => return Err(bad(format!("{TABLE}.assets"), "an array", other)),
    };
    let items = |k: String, v: &Value| -> Result<Vec<Value>, Error> {
        match v {
            Value::Array(a) => Ok(a.clone()),
            other => Err(bad(k, "an array of assets", other)),
        }
    };
    let mut by: Option<(By, Vec<Value>)> = None;
    for (k, v) in spec {
        match k.as_str() {
            "append" => assets.extend(items(format!("{key}.append"), v)?),
            "by" => {
                let Value::Object(by_table) = v else {
                    return Err(bad(format!("{key}.by"), "a table with src or dest", v));
                };
                for (b, list) in by_table {
                    let which = match b.as_str() {
                        "src" => By::Src,
                        "dest" => By::Dest,
                        _ => {
                            return Err(CargoError::UnknownKey {
                                key: format!("{key}.by.{b}"),
                                hint: "merge-assets.by reads src or dest".into(),
                            }
                            .into());
                        }
                    };
                    if by.is_some() {
                        return Err(CargoError::Invalid {
                            key: format!("{key}.by"),
                            reason: "join on src or on dest, not both".into(),
                        }
                        .into());
                    }
                    by = Some((which, items(format!("{key}.by.{b}"), list)?));
                }
            }
            _ => {
                return Err(CargoError::UnknownKey {
                    key: format!("{key}.{k}"),
                    hint: "merge-assets reads append and by (by.src, by.dest)".into(),
                }
                .into());
            }
        }
    }
    // `append` first, then `by.*`, as cargo-deb applies them.
    if let Some((which, list)) = by {
        assets = join(assets, list, which);
    }
    Ok(assets)
}

/// `parent` reduced to one asset per key (the last), then each of `list` replacing the asset
/// with its key or added; items without the key's part (`"$auto"`) are kept as they are.
fn join(parent: Vec<Value>, list: Vec<Value>, by: By) -> Vec<Value> {
    let key_of = |v: &Value| -> Option<String> {
        v.as_array()?.get(by as usize)?.as_str().map(str::to_owned)
    };
    let mut out: Vec<(Option<String>, Value)> = Vec::new();
    for item in parent.into_iter().chain(list) {
        let k = key_of(&item);
        match out.iter_mut().find(|(o, _)| k.is_some() && *o == k) {
            Some(slot) => slot.1 = item,
            None => out.push((k, item)),
        }
    }
    out.into_iter().map(|(_, v)| v).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(json: &str) -> Map<String, Value> {
        serde_json::from_str(json).expect("json")
    }

    fn assets(t: &Map<String, Value>) -> String {
        t["assets"].to_string()
    }

    const BASE: &str = r#"{"assets": [
        ["bin", "usr/bin/", "755"],
        ["3.txt", "var/lib/ex/3.txt", "644"],
        ["3.txt", "var/lib/ex/merged.txt", "644"]],
      "variants": {
        "app": {"merge-assets": {"append": [["4.txt", "var/lib/ex/4.txt", "644"]]}},
        "src": {"merge-assets": {"by": {"src": [["3.txt", "var/lib/ex/other.txt", "600"]]}}},
        "dest": {"merge-assets": {"append": [["5.txt", "var/5", "644"]],
                                  "by": {"dest": [["new", "usr/bin/", "700"]]}}},
        "named": {"name": "special"},
        "both": {"assets": [], "merge-assets": {}},
        "bad": {"merge-assets": {"by": {"size": []}}}
      }}"#;

    #[test]
    fn merge_assets_follows_cargo_deb() {
        let t = apply(table(BASE), &["app".into()], "ex").expect("applied");
        assert_eq!(
            assets(&t),
            r#"[["bin","usr/bin/","755"],["3.txt","var/lib/ex/3.txt","644"],["3.txt","var/lib/ex/merged.txt","644"],["4.txt","var/lib/ex/4.txt","644"]]"#
        );
        assert_eq!(t["name"], "ex-app");
        let t = apply(table(BASE), &["src".into()], "ex").expect("applied");
        assert_eq!(
            assets(&t),
            r#"[["bin","usr/bin/","755"],["3.txt","var/lib/ex/other.txt","600"]]"#
        );
        let t = apply(table(BASE), &["dest".into()], "ex").expect("applied");
        assert_eq!(
            assets(&t),
            r#"[["new","usr/bin/","700"],["3.txt","var/lib/ex/3.txt","644"],["3.txt","var/lib/ex/merged.txt","644"],["5.txt","var/5","644"]]"#
        );
        let t = apply(table(BASE), &["named".into(), "app".into()], "ex").expect("applied");
        assert_eq!(t["name"], "special");
        let t = apply(table(BASE), &[], "ex").expect("nothing applied");
        assert!(!t.contains_key("name"));
    }

    #[test]
    fn bad_variants_are_named() {
        for (variant, key) in [
            ("both", "package.metadata.deb.variants.both.merge-assets"),
            (
                "bad",
                "package.metadata.deb.variants.bad.merge-assets.by.size",
            ),
            ("missing", "package.metadata.deb.variants.missing"),
        ] {
            match apply(table(BASE), &[variant.into()], "ex") {
                Err(Error::Cargo(e)) => assert_eq!(e.key(), key),
                other => panic!("{variant}: {other:?}"),
            }
        }
    }
}
