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
/// so the common case is kept cheap: text of ASCII, kana and kanji only (most names and
/// addresses) is folded in one pass, since each of those characters is its own NFKC form with
/// combining class 0; other text goes through Unicode's quick check, and is decomposed and
/// recomposed only when that does not settle it.
pub fn normalize_into(out: &mut String, s: &str) {
    let start = out.len();
    for c in s.chars() {
        if !fold_plain(out, c, is_own_nfkc_and_caseless) {
            out.truncate(start);
            return normalize_slowly(out, s);
        }
    }
}

/// [`normalize_into`] for any text: Unicode's quick check, NFKC when it is not settled.
fn normalize_slowly(out: &mut String, s: &str) {
    if is_nfkc_quick(s.chars()) == IsNormalized::Yes {
        fold(out, s.chars());
    } else {
        fold(out, s.nfkc());
    }
}

fn fold(out: &mut String, chars: impl Iterator<Item = char>) {
    for c in chars {
        if !fold_plain(out, c, is_caseless) {
            for lower in c.to_lowercase() {
                if !lower.is_whitespace() {
                    out.push(katakana_of(lower));
                }
            }
        }
    }
}

/// Folds `c` onto `out` when it needs no case table: ASCII, or a character `caseless` takes
/// (kana to katakana). False, with nothing written, for any other character.
#[inline]
fn fold_plain(out: &mut String, c: char, caseless: fn(char) -> bool) -> bool {
    if c.is_ascii() {
        if !c.is_ascii_whitespace() {
            out.push(c.to_ascii_lowercase());
        }
        true
    } else if caseless(c) {
        out.push(katakana_of(c));
        true
    } else {
        false
    }
}

/// Hiragana to katakana; anything else as it is.
fn katakana_of(c: char) -> char {
    match c {
        'ぁ'..='ゖ' => char::from_u32(c as u32 + 0x60).unwrap_or(c),
        _ => c,
    }
}

/// Hiragana and katakana letters, the prolonged sound mark ー, and CJK unified ideographs
/// (and extension A): NFKC leaves each as it is (the letters with dakuten are the composed
/// forms NFKC gives), their combining class is 0, and they have no case. The voiced sound
/// marks (U+3099–U+309C) and ヿ are left out: NFKC changes them.
fn is_own_nfkc_and_caseless(c: char) -> bool {
    matches!(c, '\u{3041}'..='\u{3096}' | '\u{30a1}'..='\u{30fa}' | 'ー' | '\u{3400}'..='\u{4dbf}' | '\u{4e00}'..='\u{9fff}')
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

    #[test]
    fn the_one_pass_characters_are_their_own_nfkc_with_combining_class_0() {
        // Every character the predicate takes, not a copy of its ranges: a range widened by
        // mistake fails here.
        let taken: Vec<char> = (char::MIN..=char::MAX).filter(|c| is_own_nfkc_and_caseless(*c)).collect();
        assert!(taken.len() > 27_000, "kana and the ideographs of both blocks: {}", taken.len());
        for &c in &taken {
            assert_eq!(c.to_string().nfkc().collect::<String>(), c.to_string(), "{c}");
            assert_eq!(unicode_normalization::char::canonical_combining_class(c), 0, "{c}");
            assert_eq!(c.to_lowercase().collect::<String>(), c.to_string(), "{c}");
        }
        for left_out in ['\u{3099}', '\u{309b}', '\u{30fb}', '\u{30ff}', '\u{3000}', 'ｱ', 'Ａ', '\u{f900}'] {
            assert!(!is_own_nfkc_and_caseless(left_out), "{left_out:?}");
        }
        // What a one-pass character composes with later in the text goes the slow way.
        assert_eq!(normalize_text("か\u{3099}e\u{301}"), "ガé");
        assert_eq!(normalize_text("訪問看護ステーション\u{309b}"), reference("訪問看護ステーション\u{309b}"));
    }

    proptest! {
        #[test]
        fn the_fast_paths_fold_as_the_definition(s in "(\\PC|[ぁ-ゖァ-ヺｦ-ﾟ０-ｚ\u{3000}\u{3099}\u{309a}\u{0301}])*") {
            prop_assert_eq!(normalize_text(&s), reference(&s));
        }
    }
}
