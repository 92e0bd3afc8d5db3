//! Properties of checksum-file parsing and writing over arbitrary names and inputs.

// Test code: an unwrap that fails is a failing test.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;

use consign_core::{Algorithm, ChecksumError, ChecksumFile, Digest, Style};
use proptest::prelude::*;

fn algorithm() -> impl Strategy<Value = Algorithm> {
    prop_oneof![
        Just(Algorithm::Sha256),
        Just(Algorithm::Sha512),
        Just(Algorithm::Blake3)
    ]
}

/// File names as hostile as checksum files meet: spaces, parentheses, `) = `, backslashes,
/// newlines, carriage returns, leading `*` and `\`, non-ASCII; never empty, never NUL.
fn name() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-zA-Z0-9._-]{1,24}",
        "[ -~]{1,24}",
        "[a-z\\\\\n\r ()=*]{1,16}",
        "\\PC{1,12}",
    ]
    .prop_filter("names are non-empty and NUL-free", |n| {
        !n.is_empty() && !n.contains('\0')
    })
}

fn sums() -> impl Strategy<Value = ChecksumFile> {
    (
        algorithm(),
        proptest::collection::btree_map(name(), any::<[u8; 16]>(), 0..12),
    )
        .prop_map(
            |(algorithm, entries): (Algorithm, BTreeMap<String, [u8; 16]>)| {
                let mut f = ChecksumFile::new(algorithm);
                for (name, seed) in entries {
                    f.insert(name, Digest::of(algorithm, &seed)).unwrap();
                }
                f
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn parsing_arbitrary_text_never_panics(text in "\\PC*", alg in algorithm()) {
        let _ = ChecksumFile::parse(&text, alg);
    }

    #[test]
    fn parsing_line_shaped_text_never_panics(
        lines in proptest::collection::vec("\\\\?([0-9a-f]{60,130}|SHA(256|512) \\(|BLAKE3 \\()[ *]?[ -~]{0,20}( = [0-9a-f]{0,130})?", 0..8),
        alg in algorithm(),
    ) {
        let _ = ChecksumFile::parse(&lines.join("\n"), alg);
    }

    #[test]
    fn gnu_and_bsd_text_round_trip(f in sums()) {
        for style in [Style::Gnu, Style::Bsd] {
            let text = f.to_text(style);
            prop_assert_eq!(text.lines().count(), f.len(), "one line per entry:\n{}", text);
            let back = ChecksumFile::parse(&text, f.algorithm()).unwrap();
            prop_assert_eq!(&back, &f);
        }
    }

    #[test]
    fn gnu_and_bsd_lines_mix_in_one_file(f in sums()) {
        // Every other line in the other style: a file assembled from both tools' outputs.
        let gnu = f.to_text(Style::Gnu);
        let bsd = f.to_text(Style::Bsd);
        let mixed: String = gnu
            .lines()
            .zip(bsd.lines())
            .enumerate()
            .map(|(i, (g, b))| format!("{}\n", if i % 2 == 0 { g } else { b }))
            .collect();
        prop_assert_eq!(ChecksumFile::parse(&mixed, f.algorithm()).unwrap(), f);
    }

    #[test]
    fn a_malformed_line_is_reported_with_its_number(
        f in sums(),
        junk in "[g-z][ -~]{0,30}",
        at in 0usize..16,
    ) {
        let mut lines: Vec<String> = f.to_text(Style::Gnu).lines().map(String::from).collect();
        let at = at.min(lines.len());
        lines.insert(at, junk);
        match ChecksumFile::parse(&lines.join("\n"), f.algorithm()) {
            Err(ChecksumError::Malformed { line, .. }) => prop_assert_eq!(line, at + 1),
            other => prop_assert!(false, "expected a malformed-line error, got {:?}", other),
        }
    }

    #[test]
    fn merging_keeps_everything_or_refuses_a_conflict(
        a in sums(),
        b in sums(),
        shared in any::<Option<bool>>(),
    ) {
        let mut b_same = ChecksumFile::new(a.algorithm());
        for e in b.entries() {
            b_same.insert(e.name.clone(), Digest::of(a.algorithm(), e.digest.as_bytes())).unwrap();
        }
        // Another runner reporting one of `a`'s files, with the same digest or another one.
        if let (Some(same), Some(e)) = (shared, a.entries().next()) {
            let digest = if same { e.digest } else { Digest::of(a.algorithm(), e.name.as_bytes()) };
            let _ = b_same.insert(e.name.clone(), digest);
        }
        let conflict = b_same.entries().any(|e| a.get(&e.name).is_some_and(|d| *d != e.digest));
        let mut merged = a.clone();
        match merged.merge(&b_same) {
            Ok(()) => {
                prop_assert!(!conflict);
                for e in a.entries().chain(b_same.entries()) {
                    prop_assert_eq!(merged.get(&e.name), Some(&e.digest));
                }
                let union: std::collections::BTreeSet<_> =
                    a.entries().chain(b_same.entries()).map(|e| e.name.clone()).collect();
                prop_assert_eq!(merged.len(), union.len());
            }
            Err(ChecksumError::Conflict { .. }) => {
                prop_assert!(conflict);
                prop_assert_eq!(&merged, &a, "a refused merge leaves the file unchanged");
            }
            Err(e) => prop_assert!(false, "unexpected error {}", e),
        }
    }
}
