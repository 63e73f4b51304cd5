//! Text folding for search and matching: one notion of "the same text" for the catalog's
//! search and the importers' name matching.

use unicode_normalization::UnicodeNormalization;

/// Folds text for search: NFKC (full-width to half-width), lower case, hiragana to katakana,
/// and no spaces, so 「さくら」 finds 「サクラ」 and 「１丁目」 finds 「1丁目」.
pub fn normalize_text(s: &str) -> String {
    s.nfkc()
        .flat_map(char::to_lowercase)
        .filter(|c| !c.is_whitespace())
        .map(|c| match c {
            'ぁ'..='ゖ' => char::from_u32(c as u32 + 0x60).unwrap_or(c),
            _ => c,
        })
        .collect()
}
