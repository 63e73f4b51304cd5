//! Text folding for search and matching: one notion of "the same text" for the catalog's
//! search and the importers' name matching.

use unicode_normalization::{IsNormalized, UnicodeNormalization, is_nfkc_quick};

/// Folds text for search: NFKC (full-width to half-width), lower case, hiragana to katakana,
/// and no spaces, so 「さくら」 finds 「サクラ」 and 「１丁目」 finds 「1丁目」.
pub fn normalize_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    normalize_into(&mut out, s);
    out
}

/// [`normalize_text`] of `s`, appended to `out`.
///
/// Start-up folds the name, kana and address of every provider (a million at national scale),
/// so the common case is kept cheap: text Unicode's quick check already finds in NFKC (most
/// names and addresses: kanji, katakana, ASCII) skips the decomposing and recomposing, and
/// characters without case (kana, kanji, ASCII other than A–Z) skip the case tables.
pub fn normalize_into(out: &mut String, s: &str) {
    if is_nfkc_quick(s.chars()) == IsNormalized::Yes {
        fold(out, s.chars());
    } else {
        fold(out, s.nfkc());
    }
}

fn fold(out: &mut String, chars: impl Iterator<Item = char>) {
    for c in chars {
        if c.is_ascii() {
            if !c.is_ascii_whitespace() {
                out.push(c.to_ascii_lowercase());
            }
        } else if is_caseless(c) {
            out.push(katakana_of(c));
        } else {
            for lower in c.to_lowercase() {
                if !lower.is_whitespace() {
                    out.push(katakana_of(lower));
                }
            }
        }
    }
}

/// Hiragana to katakana; anything else as it is.
fn katakana_of(c: char) -> char {
    match c {
        'ぁ'..='ゖ' => char::from_u32(c as u32 + 0x60).unwrap_or(c),
        _ => c,
    }
}

/// Kana and CJK ideographs: no case, and no white space among them (U+3000 is before the range).
fn is_caseless(c: char) -> bool {
    matches!(c, '\u{3041}'..='\u{30ff}' | '\u{3400}'..='\u{4dbf}' | '\u{4e00}'..='\u{9fff}')
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The definition: NFKC, then lower case, no white space, hiragana to katakana.
    fn reference(s: &str) -> String {
        s.nfkc().flat_map(char::to_lowercase).filter(|c| !c.is_whitespace()).map(katakana_of).collect()
    }

    #[test]
    fn folds_width_case_kana_and_spaces() {
        assert_eq!(normalize_text("さくら 訪問看護"), "サクラ訪問看護");
        assert_eq!(normalize_text("１丁目\u{3000}ＡＢＣ"), "1丁目abc");
        assert_eq!(normalize_text("ｻｸﾗ Clinic"), "サクラclinic");
        assert_eq!(normalize_text("ÅNGSTRÖM ǅ"), "ångströmdž");
    }

    proptest! {
        #[test]
        fn the_fast_paths_fold_as_the_definition(s in "(\\PC|[ぁ-ゖァ-ヺｦ-ﾟ０-ｚ\u{3000}\u{3099}\u{309a}\u{0301}])*") {
            prop_assert_eq!(normalize_text(&s), reference(&s));
        }
    }
}
