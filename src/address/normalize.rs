//! Address text normalization: the one canonical spelling that queries and the gazetteer's
//! names are both turned into before they are compared.
//!
//! The rules, in the order they apply (each has its own test below):
//! 1. **NFKC**: full-width digits, letters, hyphens and spaces become half-width
//!    (「１６－１６」→「16-16」), half-width katakana becomes full-width.
//! 2. **Common 旧字体** become the forms the official files use (「髙」→「高」, 「﨑」→「崎」,
//!    「邊」→「辺」 …, see [`OLD_FORMS`]).
//! 3. **Every hyphen form** (‐ ‑ ‒ – — ― − ﹣ －, and 「ー」 right after a digit) becomes `-`;
//!    a long-vowel mark inside katakana words stays.
//! 4. **Spaces** (any Unicode white space) disappear, except that a space between two digits
//!    separates numbers like a hyphen (「1 16 16」→「1-16-16」).
//! 5. **ケ / ヶ / ヵ / が / ガ between two kanji** become 「ケ」 (「松が丘」「松ヶ丘」→「松ケ丘」).
//! 6. **大字 / 字** are dropped: both are optional in how people write a town.
//! 7. **Kanji numerals** (〇 一 … 九, 十, 百, 千; 「一」…「九十九」 and beyond) become digits
//!    where they are a number of the address — next to 丁目 / 丁 / 番 / 番地 / 号 / 「の」 / a
//!    hyphen — and stay where they are part of a name (「三輪野山」「十太夫」 keep theirs).
//! 8. **丁目 / 番 / 番地 / 号 / 「の」**: after a number, 「丁目」 (and a bare 「丁」) is kept as
//!    「丁目」, the one marker that says the number is a 丁目; 「番」「番地」 and 「の」 between
//!    numbers become `-`, 「号」 ends a number (`-` when another number follows). Repeated
//!    hyphens collapse and a trailing one is dropped.
//!
//! So 「千葉県流山市南流山一丁目１６番１６号」, 「流山市南流山1-16-16」 and
//! 「南流山 1丁目16の16」 all become 「千葉県流山市南流山1丁目16-16」 or its tail.
//!
//! Nothing is thrown away that could matter: text the rules do not recognise is carried
//! through unchanged, so the matcher can return it as the unmatched remainder.

use unicode_normalization::UnicodeNormalization;

/// 旧字体 and variant forms seen in addresses, with the form the official files use.
pub const OLD_FORMS: &[(char, char)] = &[
    ('髙', '高'),
    ('﨑', '崎'),
    ('嵜', '崎'),
    ('邊', '辺'),
    ('邉', '辺'),
    ('濵', '浜'),
    ('濱', '浜'),
    ('嶋', '島'),
    ('嶌', '島'),
    ('齋', '斎'),
    ('齊', '斉'),
    ('澤', '沢'),
    ('德', '徳'),
    ('國', '国'),
    ('舘', '館'),
    ('櫻', '桜'),
    ('廣', '広'),
    ('圓', '円'),
    ('瀨', '瀬'),
    ('眞', '真'),
    ('藏', '蔵'),
    ('壽', '寿'),
    ('榮', '栄'),
    ('淺', '浅'),
    ('關', '関'),
    ('鐵', '鉄'),
    ('驛', '駅'),
    ('學', '学'),
    ('條', '条'),
    ('當', '当'),
    ('會', '会'),
    ('萬', '万'),
    ('寶', '宝'),
    ('佛', '仏'),
    ('龍', '竜'),
    ('籠', '篭'),
    ('檜', '桧'),
    ('槇', '槙'),
    ('冨', '富'),
    ('惠', '恵'),
    ('繩', '縄'),
    ('峯', '峰'),
    ('𠮷', '吉'),
];

/// Kanji digits and their values; 十 百 千 are multipliers.
fn kanji_digit(c: char) -> Option<u32> {
    Some(match c {
        '〇' | '零' => 0,
        '一' | '壱' => 1,
        '二' | '弐' => 2,
        '三' | '参' => 3,
        '四' => 4,
        '五' => 5,
        '六' => 6,
        '七' => 7,
        '八' => 8,
        '九' => 9,
        _ => return None,
    })
}

fn is_kanji_numeral(c: char) -> bool {
    kanji_digit(c).is_some() || matches!(c, '十' | '百' | '千')
}

/// Whether `c` is a kanji (CJK unified ideograph, extension A, compatibility, or 々).
pub fn is_kanji(c: char) -> bool {
    matches!(c, '\u{3400}'..='\u{4DBF}' | '\u{4E00}'..='\u{9FFF}' | '\u{F900}'..='\u{FAFF}' | '\u{20000}'..='\u{2FFFF}' | '々')
}

/// The value of a run of kanji numerals: positional (「一六」 = 16, 「二〇」 = 20) or with
/// multipliers (「十六」 = 16, 「九十九」 = 99, 「百二」 = 102). `None` for a run that is not a
/// number (「十十」).
pub fn kanji_number(run: &str) -> Option<u32> {
    if run.is_empty() {
        return None;
    }
    if !run.chars().any(|c| matches!(c, '十' | '百' | '千')) {
        let mut n: u32 = 0;
        for c in run.chars() {
            n = n.checked_mul(10)?.checked_add(kanji_digit(c)?)?;
        }
        return Some(n);
    }
    let (mut total, mut digit, mut last_unit) = (0u32, None::<u32>, u32::MAX);
    for c in run.chars() {
        if let Some(d) = kanji_digit(c) {
            if digit.is_some() {
                return None;
            }
            digit = Some(d);
            continue;
        }
        let unit = match c {
            '十' => 10,
            '百' => 100,
            '千' => 1000,
            _ => return None,
        };
        if unit >= last_unit {
            return None;
        }
        last_unit = unit;
        total += digit.take().unwrap_or(1) * unit;
    }
    Some(total + digit.unwrap_or(0))
}

/// One piece of the text between the rules.
#[derive(Debug, Clone, PartialEq)]
enum Token {
    /// Decimal digits.
    Digits(String),
    /// A run of kanji numerals (a number or part of a name, decided by its neighbours).
    Kanji(String),
    /// A hyphen of any form.
    Hyphen,
    /// 丁目, 丁, 番地, 番, 号 or の.
    Marker(&'static str),
    /// A space (kept until the digits on both sides are known).
    Space,
    /// Anything else.
    Other(char),
}

const MARKERS: [&str; 6] = ["丁目", "番地", "丁", "番", "号", "の"];

fn is_hyphen(c: char) -> bool {
    matches!(c, '-' | '‐' | '‑' | '‒' | '–' | '—' | '―' | '−' | '﹣' | '－' | '⁃')
}

fn tokenize(text: &str) -> Vec<Token> {
    let chars: Vec<char> = text.chars().collect();
    let mut tokens: Vec<Token> = Vec::with_capacity(chars.len());
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_ascii_digit() {
            let start = i;
            while i < chars.len() && chars[i].is_ascii_digit() {
                i += 1;
            }
            tokens.push(Token::Digits(chars[start..i].iter().collect()));
            continue;
        }
        if is_kanji_numeral(c) {
            let start = i;
            while i < chars.len() && is_kanji_numeral(chars[i]) {
                i += 1;
            }
            tokens.push(Token::Kanji(chars[start..i].iter().collect()));
            continue;
        }
        if let Some(m) = MARKERS.iter().find(|m| {
            let m: Vec<char> = m.chars().collect();
            chars[i..].starts_with(&m)
        }) {
            tokens.push(Token::Marker(m));
            i += m.chars().count();
            continue;
        }
        let after_digit = matches!(tokens.last(), Some(Token::Digits(_)));
        tokens.push(if is_hyphen(c) || (matches!(c, 'ー' | 'ｰ') && after_digit) {
            Token::Hyphen
        } else if c.is_whitespace() {
            // Only a space after a number or an address marker matters (it may separate two
            // numbers, or end the address before a floor or room number).
            if !after_digit && !matches!(tokens.last(), Some(Token::Marker(_))) {
                i += 1;
                continue;
            }
            Token::Space
        } else {
            Token::Other(c)
        });
        i += 1;
    }
    tokens
}

fn is_number(t: Option<&Token>) -> bool {
    matches!(t, Some(Token::Digits(_)))
}

/// Applies rules 1–8 (see the module doc) to `text`.
pub fn normalize(text: &str) -> String {
    // Rules 1 and 2.
    let mapped: String = text
        .nfkc()
        .map(|c| OLD_FORMS.iter().find(|(old, _)| *old == c).map_or(c, |(_, new)| *new))
        .filter(|c| !c.is_control())
        .collect();
    let mut tokens = tokenize(&mapped);
    // Rule 7: a kanji run is a number when a neighbour is an address marker or a hyphen, or
    // 「の」 with a number beyond it. Two passes so 「一丁目二番三号」 and 「1-二-三」 both settle.
    for _ in 0..2 {
        for i in 0..tokens.len() {
            let Token::Kanji(run) = &tokens[i] else { continue };
            let next = tokens.get(i + 1);
            let prev = i.checked_sub(1).and_then(|p| tokens.get(p));
            let marker_next = matches!(next, Some(Token::Marker(m)) if *m != "の")
                || matches!(next, Some(Token::Hyphen))
                || (matches!(next, Some(Token::Marker("の"))) && is_number(tokens.get(i + 2)));
            let marker_prev = matches!(prev, Some(Token::Hyphen | Token::Marker("番" | "番地" | "丁目" | "号")))
                || (matches!(prev, Some(Token::Marker("の"))) && i >= 2 && is_number(tokens.get(i - 2)));
            if (marker_next || marker_prev)
                && let Some(n) = kanji_number(run)
            {
                tokens[i] = Token::Digits(n.to_string());
            }
        }
    }
    let mut out = String::with_capacity(mapped.len());
    let n = tokens.len();
    // The next token that is not a space.
    let next_solid = |i: usize| tokens[i + 1..].iter().find(|t| !matches!(t, Token::Space));
    for i in 0..n {
        let prev_number = out.chars().next_back().is_some_and(|c: char| c.is_ascii_digit());
        match &tokens[i] {
            Token::Digits(d) => {
                // Leading zeros of a number are not part of it (「016」 is 16).
                let trimmed = d.trim_start_matches('0');
                out.push_str(if trimmed.is_empty() { "0" } else { trimmed });
            }
            Token::Kanji(run) => out.push_str(run),
            Token::Other(c) => push_other(&mut out, *c, tokens.get(i + 1)),
            Token::Space => {
                let next_number = matches!(next_solid(i), Some(Token::Digits(_)));
                // Rule 4: a space between digits separates two numbers; after 「号」 (the end of
                // an address) it is kept, so 「16号 2階」 does not read as 16-2.
                if next_number && matches!(tokens[..i].last(), Some(Token::Marker("号"))) {
                    out.push(' ');
                } else if prev_number && next_number {
                    push_hyphen(&mut out);
                }
            }
            Token::Hyphen => {
                if prev_number && matches!(next_solid(i), Some(Token::Digits(_))) {
                    push_hyphen(&mut out);
                } else if !prev_number {
                    out.push('-');
                }
            }
            Token::Marker(m) => {
                let next_number = matches!(next_solid(i), Some(Token::Digits(_)));
                match *m {
                    "丁目" | "丁" if prev_number => out.push_str("丁目"),
                    "番" | "番地" | "号" if prev_number => {
                        // 「16番地の3」: the の that follows is the separator. Before a kanji
                        // (「101号室」「1番町」) the marker is part of what follows and stays.
                        // Only a number right after 「号」 continues it (「16号2」 is rare; 「16号 2階」
                        // is a floor).
                        let next_number =
                            if *m == "号" { matches!(tokens.get(i + 1), Some(Token::Digits(_))) } else { next_number };
                        if next_number {
                            push_hyphen(&mut out);
                        } else if matches!(tokens.get(i + 1), Some(Token::Other(c)) if is_kanji(*c)) {
                            out.push_str(m);
                        }
                    }
                    "の" if prev_number && next_number => push_hyphen(&mut out),
                    "の" if out.ends_with('-') && next_number => {}
                    other => out.push_str(other),
                }
            }
        }
    }
    while out.ends_with('-') && out.len() > 1 && out[..out.len() - 1].ends_with(|c: char| c.is_ascii_digit()) {
        out.pop();
    }
    drop_aza(&out)
}

fn push_hyphen(out: &mut String) {
    if !out.ends_with('-') {
        out.push('-');
    }
}

/// Rule 5 (ケ between kanji) for one character of text.
fn push_other(out: &mut String, c: char, next: Option<&Token>) {
    let prev_kanji = out.chars().next_back().is_some_and(is_kanji);
    let next_kanji = match next {
        Some(Token::Other(n)) => is_kanji(*n),
        Some(Token::Kanji(_)) => true,
        _ => false,
    };
    if matches!(c, 'ケ' | 'ヶ' | 'ヵ' | 'が' | 'ガ') && prev_kanji && next_kanji {
        out.push('ケ');
    } else {
        out.push(c);
    }
}

/// Rule 6: 「大字」 and 「字」 are optional, so neither side keeps them.
fn drop_aza(text: &str) -> String {
    text.replace("大字", "").replace('字', "")
}

/// A town's name split into its canonical base and its 丁目 number: 「南流山一丁目」 →
/// (「南流山」, Some(1)); 「加」 → (「加」, None).
pub fn town_key(name: &str) -> (String, Option<u32>) {
    let canonical = normalize(name);
    if let Some(head) = canonical.strip_suffix("丁目") {
        let digits_at = head.trim_end_matches(|c: char| c.is_ascii_digit()).len();
        if digits_at < head.len()
            && let Ok(n) = head[digits_at..].parse::<u32>()
        {
            return (head[..digits_at].to_owned(), Some(n));
        }
    }
    (canonical, None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nfkc_folds_full_width_digits_letters_and_hyphens() {
        assert_eq!(normalize("南流山１－１６－１６"), "南流山1-16-16");
        assert_eq!(normalize("ＡＢＣビル"), "ABCビル");
        assert_eq!(normalize("ﾅｶﾞﾚﾔﾏ"), "ナガレヤマ");
    }

    #[test]
    fn old_character_forms_become_the_official_ones() {
        assert_eq!(normalize("髙田"), "高田");
        assert_eq!(normalize("鰭ケ﨑"), "鰭ケ崎");
        assert_eq!(normalize("渡邊"), "渡辺");
        assert_eq!(normalize("櫻台"), "桜台");
    }

    #[test]
    fn every_hyphen_form_becomes_one_hyphen() {
        for h in ['ー', '－', '‐', '−', '―', '‑', '-', '–', '—', 'ｰ'] {
            assert_eq!(normalize(&format!("南流山1{h}16{h}16")), "南流山1-16-16", "{h:?}");
        }
    }

    #[test]
    fn a_long_vowel_mark_inside_a_katakana_word_stays() {
        assert_eq!(normalize("センター南1-2"), "センター南1-2");
    }

    #[test]
    fn spaces_disappear_but_separate_two_numbers() {
        assert_eq!(normalize("千葉県 流山市　南流山 1 丁目"), "千葉県流山市南流山1丁目");
        assert_eq!(normalize("南流山1 16 16"), "南流山1-16-16");
        assert_eq!(normalize("南 流 山"), "南流山");
    }

    #[test]
    fn ke_between_kanji_is_one_form() {
        for s in ["松ケ丘", "松ヶ丘", "松が丘", "松ガ丘", "松ヵ丘"] {
            assert_eq!(normalize(s), "松ケ丘", "{s}");
        }
        assert_eq!(normalize("ケアホーム"), "ケアホーム");
        assert_eq!(normalize("おおたかの森"), "おおたかの森");
    }

    #[test]
    fn oaza_and_aza_are_optional() {
        assert_eq!(normalize("大字三輪野山"), "三輪野山");
        assert_eq!(normalize("大字木字下"), "木下");
    }

    #[test]
    fn kanji_numerals_of_the_address_become_digits() {
        assert_eq!(normalize("南流山一丁目十六番十六号"), "南流山1丁目16-16");
        assert_eq!(normalize("三丁目二十番"), "3丁目20");
        assert_eq!(normalize("九十九丁目"), "99丁目");
        assert_eq!(normalize("1-二-三"), "1-2-3");
        assert_eq!(normalize("一六番"), "16");
    }

    #[test]
    fn kanji_numerals_of_a_name_stay() {
        assert_eq!(normalize("三輪野山三丁目"), "三輪野山3丁目");
        assert_eq!(normalize("十太夫"), "十太夫");
        assert_eq!(normalize("九十九里"), "九十九里");
    }

    #[test]
    fn kanji_numbers_are_read_positionally_or_with_multipliers() {
        assert_eq!(kanji_number("一"), Some(1));
        assert_eq!(kanji_number("十"), Some(10));
        assert_eq!(kanji_number("十六"), Some(16));
        assert_eq!(kanji_number("二十"), Some(20));
        assert_eq!(kanji_number("九十九"), Some(99));
        assert_eq!(kanji_number("百二"), Some(102));
        assert_eq!(kanji_number("一六"), Some(16));
        assert_eq!(kanji_number("二〇"), Some(20));
        assert_eq!(kanji_number("十十"), None);
    }

    #[test]
    fn chome_ban_banchi_go_and_no_become_the_canonical_separators() {
        assert_eq!(normalize("南流山1丁目16番16号"), "南流山1丁目16-16");
        assert_eq!(normalize("南流山1丁16-16"), "南流山1丁目16-16");
        assert_eq!(normalize("木16番地の3"), "木16-3");
        assert_eq!(normalize("木16番地3"), "木16-3");
        assert_eq!(normalize("南流山1の16の16"), "南流山1-16-16");
        assert_eq!(normalize("南流山1-16-16-"), "南流山1-16-16");
        assert_eq!(normalize("16番16号"), "16-16");
    }

    #[test]
    fn leading_zeros_are_not_part_of_a_number() {
        assert_eq!(normalize("南流山1-016-016"), "南流山1-16-16");
    }

    #[test]
    fn a_number_after_go_and_a_space_is_not_part_of_the_address() {
        assert_eq!(normalize("南流山1丁目16番16号　２階"), "南流山1丁目16-16 2階");
        assert_eq!(normalize("16番 16号"), "16-16");
    }

    #[test]
    fn what_no_rule_knows_is_carried_through() {
        assert_eq!(normalize("南流山1-16-16 ABCマンション101号室"), "南流山1-16-16ABCマンション101号室");
        assert_eq!(normalize("<script>"), "<script>");
    }

    #[test]
    fn control_characters_are_removed() {
        assert_eq!(normalize("南流山\u{0}\u{7}1"), "南流山1");
    }

    #[test]
    fn a_town_name_splits_into_its_base_and_its_chome() {
        assert_eq!(town_key("南流山一丁目"), ("南流山".into(), Some(1)));
        assert_eq!(town_key("南流山１丁目"), ("南流山".into(), Some(1)));
        assert_eq!(town_key("加"), ("加".into(), None));
        assert_eq!(town_key("大字三輪野山"), ("三輪野山".into(), None));
        assert_eq!(town_key("鰭ヶ崎"), ("鰭ケ崎".into(), None));
    }
}
