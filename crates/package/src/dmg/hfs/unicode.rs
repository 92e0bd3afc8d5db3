//! HFS+ file names: UTF-16 in canonical decomposition, ordered as the catalog orders them.
//!
//! HFS+ stores names as at most 255 UTF-16 code units, canonically decomposed (NFD) except for
//! the ranges Apple leaves composed (U+2000–U+2FFF, U+F900–U+FAFF, U+2F800–U+2FAFF), with the
//! POSIX `:` stored as `/` (the Finder's separator swap: a `/` cannot occur in a tree path,
//! and macOS shows the name with its `:` again). Case-insensitive volumes order names with
//! TN1150's `FastUnicodeCompare`: each code unit is folded through Apple's lower-case table
//! (reproduced below as runs, with its ignorable code units) and the folded strings compared;
//! case-sensitive HFSX volumes compare the code units as numbers. No published crate carries
//! Apple's table, so it is kept here as data.

use std::cmp::Ordering;

use unicode_normalization::UnicodeNormalization;

/// The longest name HFS+ holds, in UTF-16 code units.
pub(crate) const MAX_NAME: usize = 255;

/// Why a name cannot be stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NameProblem {
    /// Longer than [`MAX_NAME`] UTF-16 code units once decomposed.
    TooLong(usize),
}

/// `name` as HFS+ stores it: `:` as `/`, decomposed, in UTF-16.
pub(crate) fn encode(name: &str) -> Result<Vec<u16>, NameProblem> {
    let mut decomposed = String::with_capacity(name.len());
    let mut run = String::new();
    for c in name.chars() {
        let c = if c == ':' { '/' } else { c };
        if kept_composed(c) {
            decomposed.extend(run.nfd());
            run.clear();
            decomposed.push(c);
        } else {
            run.push(c);
        }
    }
    decomposed.extend(run.nfd());
    let units: Vec<u16> = decomposed.encode_utf16().collect();
    if units.len() > MAX_NAME {
        return Err(NameProblem::TooLong(units.len()));
    }
    Ok(units)
}

/// The ranges HFS+ does not decompose.
fn kept_composed(c: char) -> bool {
    matches!(c as u32, 0x2000..=0x2FFF | 0xF900..=0xFAFF | 0x2F800..=0x2FAFF)
}

/// Orders two stored names as the catalog does: folded (`case_sensitive == false`, HFS+) or
/// by code unit (HFSX binary comparison).
pub(crate) fn compare(a: &[u16], b: &[u16], case_sensitive: bool) -> Ordering {
    if case_sensitive {
        return a.cmp(b);
    }
    let mut a = a.iter().map(|&c| fold(c)).filter(|&c| c != 0);
    let mut b = b.iter().map(|&c| fold(c)).filter(|&c| c != 0);
    loop {
        match (a.next(), b.next()) {
            (None, None) => return Ordering::Equal,
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(x), Some(y)) if x != y => return x.cmp(&y),
            _ => {}
        }
    }
}

/// One code unit through TN1150's lower-case table: 0 for an ignorable unit, 0xFFFF for NUL
/// (so that it sorts last), the lower-case form for the letters the table folds.
pub(crate) fn fold(c: u16) -> u16 {
    if c == 0 {
        return 0xFFFF;
    }
    if IGNORABLE.iter().any(|&(lo, hi)| (lo..=hi).contains(&c)) {
        return 0;
    }
    for &(start, count, delta, stride) in FOLDS {
        if c < start {
            break;
        }
        let offset = c - start;
        if offset.is_multiple_of(stride) && offset / stride < count {
            return c.wrapping_add_signed(delta);
        }
    }
    c
}

/// Code units the comparison skips: joiners, directional marks, the byte-order mark.
const IGNORABLE: &[(u16, u16)] = &[
    (0x200C, 0x200F),
    (0x202A, 0x202E),
    (0x206A, 0x206F),
    (0xFEFF, 0xFEFF),
];

/// TN1150's lower-case table as runs `(first, count, delta, stride)`: the units
/// `first + i * stride` for `i < count` fold to themselves plus `delta`. Sorted by `first`.
const FOLDS: &[(u16, u16, i16, u16)] = &[
    (0x0041, 26, 32, 1),
    (0x00C6, 1, 32, 1),
    (0x00D0, 1, 32, 1),
    (0x00D8, 1, 32, 1),
    (0x00DE, 1, 32, 1),
    (0x0110, 1, 1, 1),
    (0x0126, 1, 1, 1),
    (0x0132, 1, 1, 1),
    (0x013F, 2, 1, 2),
    (0x014A, 1, 1, 1),
    (0x0152, 1, 1, 1),
    (0x0166, 1, 1, 1),
    (0x0181, 1, 210, 1),
    (0x0182, 2, 1, 2),
    (0x0186, 1, 206, 1),
    (0x0187, 1, 1, 1),
    (0x0189, 2, 205, 1),
    (0x018B, 1, 1, 1),
    (0x018E, 1, 79, 1),
    (0x018F, 1, 202, 1),
    (0x0190, 1, 203, 1),
    (0x0191, 1, 1, 1),
    (0x0193, 1, 205, 1),
    (0x0194, 1, 207, 1),
    (0x0196, 1, 211, 1),
    (0x0197, 1, 209, 1),
    (0x0198, 1, 1, 1),
    (0x019C, 1, 211, 1),
    (0x019D, 1, 213, 1),
    (0x019F, 1, 214, 1),
    (0x01A2, 2, 1, 2),
    (0x01A7, 1, 1, 1),
    (0x01A9, 1, 218, 1),
    (0x01AC, 1, 1, 1),
    (0x01AE, 1, 218, 1),
    (0x01B1, 2, 217, 1),
    (0x01B3, 2, 1, 2),
    (0x01B7, 1, 219, 1),
    (0x01B8, 1, 1, 1),
    (0x01BC, 1, 1, 1),
    (0x01C4, 1, 2, 1),
    (0x01C5, 1, 1, 1),
    (0x01C7, 1, 2, 1),
    (0x01C8, 1, 1, 1),
    (0x01CA, 1, 2, 1),
    (0x01CB, 1, 1, 1),
    (0x01E4, 1, 1, 1),
    (0x01F1, 1, 2, 1),
    (0x01F2, 1, 1, 1),
    (0x0391, 17, 32, 1),
    (0x03A3, 7, 32, 1),
    (0x03E2, 7, 1, 2),
    (0x0402, 2, 80, 2),
    (0x0405, 2, 80, 1),
    (0x0408, 4, 80, 1),
    (0x040F, 1, 80, 1),
    (0x0410, 9, 32, 1),
    (0x041A, 22, 32, 1),
    (0x0460, 11, 1, 2),
    (0x0478, 5, 1, 2),
    (0x0490, 24, 1, 2),
    (0x04C3, 1, 1, 1),
    (0x04C7, 1, 1, 1),
    (0x04CB, 1, 1, 1),
    (0x0531, 38, 48, 1),
    (0x10A0, 38, 48, 1),
    (0x2160, 16, 16, 1),
    (0xFF21, 26, 32, 1),
];

#[cfg(test)]
mod tests {
    use super::*;

    fn units(s: &str) -> Vec<u16> {
        s.encode_utf16().collect()
    }

    #[test]
    fn names_are_decomposed_with_colons_swapped() {
        assert_eq!(encode("caf\u{e9}").unwrap(), units("cafe\u{301}"));
        assert_eq!(encode("a:b").unwrap(), units("a/b"));
        // Kept composed: a CJK compatibility ideograph.
        assert_eq!(encode("\u{f900}").unwrap(), units("\u{f900}"));
        assert_eq!(encode(&"x".repeat(255)).unwrap().len(), 255);
        assert_eq!(encode(&"x".repeat(256)), Err(NameProblem::TooLong(256)));
        // Counted after decomposition: 128 é are 256 units.
        assert_eq!(
            encode(&"\u{e9}".repeat(128)),
            Err(NameProblem::TooLong(256))
        );
    }

    #[test]
    fn folding_follows_the_table() {
        assert_eq!(fold(u16::from(b'A')), u16::from(b'a'));
        assert_eq!(fold(u16::from(b'a')), u16::from(b'a'));
        assert_eq!(fold(0), 0xFFFF);
        assert_eq!(fold(0x200D), 0);
        // Precomposed Latin-1 capitals do not occur in decomposed names and are not folded;
        // the ones without a decomposition are.
        assert_eq!(fold(0xC0), 0xC0);
        assert_eq!(fold(0xC6), 0xE6);
        // Alternating pairs (stride 2), Greek, Cyrillic, Georgian, Roman numerals, full width.
        assert_eq!(fold(0x0182), 0x0183);
        assert_eq!(fold(0x0184), 0x0185);
        assert_eq!(fold(0x0183), 0x0183);
        assert_eq!(fold(0x0391), 0x03B1);
        assert_eq!(fold(0x0410), 0x0430);
        assert_eq!(fold(0x0402), 0x0452);
        assert_eq!(fold(0x10A0), 0x10D0);
        assert_eq!(fold(0x2160), 0x2170);
        assert_eq!(fold(0xFF21), 0xFF41);
        // Letters outside the table are left alone.
        assert_eq!(fold(0x0200), 0x0200);
        assert!(FOLDS.windows(2).all(|w| w[0].0 < w[1].0));
    }

    #[test]
    fn comparison_is_case_insensitive_unless_asked() {
        let (a, b) = (units("README"), units("readme"));
        assert_eq!(compare(&a, &b, false), Ordering::Equal);
        assert_eq!(compare(&a, &b, true), Ordering::Less);
        assert_eq!(compare(&units("a"), &units("B"), false), Ordering::Less);
        assert_eq!(compare(&units("a"), &units("ab"), false), Ordering::Less);
        // Ignorable units do not count; NUL sorts after every other unit.
        assert_eq!(
            compare(&units("a\u{200d}b"), &units("ab"), false),
            Ordering::Equal
        );
        assert_eq!(
            compare(&units("\0x"), &units("zz"), false),
            Ordering::Greater
        );
    }
}
