//! The files the fuzzing feeds the importers: the official layouts (header spelled out in
//! the fixtures) with mutated rows, damaged valid files, arbitrary bytes.

use proptest::prelude::*;

use crate::support::fixtures::{Clinic, IRYO_NET_HEADER, MHLW_HEADER, Notice, Office, kouseikyoku_xlsx};
use caremap::import::Source;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Mhlw,
    IryoNet,
    Kouseikyoku,
}

impl Format {
    pub fn source(self) -> Source {
        match self {
            Format::Mhlw => Source::MhlwCare,
            Format::IryoNet => Source::IryoNet,
            Format::Kouseikyoku => Source::Kouseikyoku,
        }
    }

    /// File names the format reads something from (a service code, a kind), and some it
    /// refuses or reads nothing from.
    pub fn names(self) -> Vec<&'static str> {
        match self {
            Format::Mhlw => {
                vec!["jigyosho_110.csv", "jigyosho_430_all_20260709180319.csv", "jigyosho_999.csv", "x.csv"]
            }
            Format::IryoNet => vec![
                "02-1_clinic_facility_info_20260601.csv",
                "01-1_hospital_facility_info_20260601.csv",
                "04-1_dental_facility_info_20260601.csv",
                "施設票.csv",
            ],
            Format::Kouseikyoku => vec!["12_kantoshinetsu_ika.xlsx", "list.xlsx"],
        }
    }
}

/// A file name for `format`, mostly the one it reads the most from.
pub fn file_name(format: Format) -> impl Strategy<Value = &'static str> {
    let names = format.names();
    prop_oneof![3 => Just(names[0]), 2 => prop::sample::select(names)]
}

pub fn format() -> impl Strategy<Value = Format> {
    prop::sample::select(vec![Format::Mhlw, Format::IryoNet, Format::Kouseikyoku])
}

/// Cell values that parsers get wrong.
fn hostile_cell() -> impl Strategy<Value = Vec<u8>> {
    let fixed = prop::sample::select(vec![
        "",
        " ",
        "\"",
        "\"\"",
        "a\"b",
        ",",
        ",,",
        "\r\n",
        "\n",
        "\r",
        "\0",
        "\t",
        "NaN",
        "nan",
        "inf",
        "-inf",
        "1e999",
        "-1e999",
        "1e-400",
        "0",
        "0.0",
        "-0",
        "00000",
        "35.85",
        "139.9",
        "-35.85",
        "9999999999999999999999999",
        "１２３４５６７８９０",
        "１２２２０３",
        "３５．８５６３",
        "１３９．９０２８",
        "①②③",
        "千葉県",
        "流山市",
        "12",
        "220",
        "12220",
        "122203",
        "13101",
        "訪問介護",
        "訪問看護（介護予防）",
        "支援診１",
        "支援病３",
        "在医総管",
        "http://",
        "https://example.jp/ x",
        "info@example.jp",
        "04-7150-1234",
        "０４－７１５０－１２３４",
        "\u{feff}",
        "\u{202e}",
        "𠀋",
        "ｶﾀｶﾅ",
        "=cmd|' /C calc'!A0",
        "<script>alert(1)</script>",
        "'; DROP TABLE providers; --",
    ])
    .prop_map(|s| s.as_bytes().to_vec());
    prop_oneof![
        18 => fixed,
        6 => "\\PC{0,16}".prop_map(String::into_bytes),
        3 => prop::collection::vec(any::<char>(), 0..6).prop_map(|c| c.into_iter().collect::<String>().into_bytes()),
        // Neither UTF-8 nor (often) Shift_JIS: lone lead bytes, 0x80, 0xFF.
        1 => prop::collection::vec(prop::sample::select(vec![0x80u8, 0x81, 0x82, 0x9f, 0xa0, 0xe0, 0xef, 0xfd, 0xff, b'a']), 1..5),
        3 => any::<f64>().prop_map(|v| v.to_string().into_bytes()),
        3 => any::<i64>().prop_map(|v| v.to_string().into_bytes()),
        2 => "\\PC{200,400}".prop_map(String::into_bytes),
    ]
}

/// How a row leaves the layout: as it is, short of columns, or with more.
fn width_change() -> impl Strategy<Value = i8> {
    prop_oneof![24 => Just(0i8), 1 => -3i8..0, 1 => 1i8..4]
}

/// How cells are written: quoted when needed, always quoted, or raw (quotes and line ends as is).
#[derive(Debug, Clone, Copy)]
enum Quoting {
    Needed,
    Always,
    Raw,
}

fn quoting() -> impl Strategy<Value = Quoting> {
    prop_oneof![12 => Just(Quoting::Needed), 4 => Just(Quoting::Always), 1 => Just(Quoting::Raw)]
}

fn cell(value: &[u8], quoting: Quoting) -> Vec<u8> {
    let needs = value.iter().any(|b| matches!(b, b',' | b'"' | b'\r' | b'\n'));
    match quoting {
        Quoting::Raw => value.to_vec(),
        Quoting::Needed if !needs => value.to_vec(),
        _ => {
            let mut out = vec![b'"'];
            for &b in value {
                if b == b'"' {
                    out.push(b'"');
                }
                out.push(b);
            }
            out.push(b'"');
            out
        }
    }
}

/// One row: the cells of a valid row with some replaced by other values, then made shorter
/// or longer.
#[derive(Debug, Clone)]
struct MutatedRow {
    replaced: Vec<(usize, Vec<u8>)>,
    width: i8,
    quoting: Quoting,
}

/// Values a real file could hold in the columns that matter (codes, coordinates, contact
/// fields), valid or just off, by column.
fn plausible_columns(format: Format) -> Vec<(usize, Vec<&'static str>)> {
    let lat = vec!["35.85", "３５．８５", "0", "0.0", "", "35.85N", "91", "-35.85", "NaN", "1e3"];
    let lon = vec!["139.9", "１３９．９", "0", "", "181", "-139.9", "inf", "139,9"];
    let url = vec!["https://example.jp/", "http://", "www.example.jp", "mailto:a@example.jp", "https://a b"];
    match format {
        Format::Mhlw => vec![
            (0, vec!["122203", "12220", "122173", "12000", "１２２２０３", "12", "千葉県流山市"]),
            (6, vec!["訪問介護", "訪問看護", "通所介護", "短期入所療養介護（療養病床を有する病院等）", "宇宙旅行", ""]),
            (9, lat),
            (10, lon),
            (11, vec!["04-7150-1234", "0471501234", "(04)7150-1234", "なし", "０４－７１５０－１２３４"]),
            (13, vec!["1234567890123", "123", "１２３４５６７８９０１２３"]),
            (15, vec!["1270000099", "127000009", "１２７００００００１", "12700000001", ""]),
            (18, vec!["10", "０", "-1", "4294967296", "1.5", "１０"]),
            (19, url),
        ],
        Format::IryoNet => vec![
            (0, vec!["1234567000001", "1234567890", "123", "", "１２３４５６７０００００１"]),
            (1, vec!["", "流山医院", "  "]),
            (7, vec!["12", "1", "01", "１２", "千葉県", "ｶﾀｶﾅ", ""]),
            (8, vec!["220", "12220", "122203", "0220", "2", "", "流山市"]),
            (10, lat),
            (11, lon),
            (12, url),
        ],
        Format::Kouseikyoku => vec![
            (0, vec!["0112345", "01,1234,5", "112345", "１２３", "", "12345678901"]),
            (1, vec!["", "流山医院"]),
            (2, vec!["千葉県流山市平和台一丁目1番1号", "流山市平和台1-1-1", ""]),
            (3, vec!["支援診１", "支援診２ア", "支援病３", "支援診４", "（支援診３）第12号", "在医総管", ""]),
        ],
    }
}

fn mutated_row(format: Format) -> impl Strategy<Value = MutatedRow> {
    let columns = match format {
        Format::Mhlw => MHLW_HEADER.len(),
        Format::IryoNet => IRYO_NET_HEADER.len(),
        Format::Kouseikyoku => 4,
    };
    let plausible: Vec<_> = plausible_columns(format)
        .into_iter()
        .map(|(column, values)| {
            prop::option::weighted(0.35, prop::sample::select(values))
                .prop_map(move |v| v.map(|v| (column, v.as_bytes().to_vec())))
        })
        .collect();
    (plausible, prop::collection::vec((0..columns, hostile_cell()), 0..3), width_change(), quoting()).prop_map(
        |(plausible, hostile, width, quoting)| {
            let replaced = plausible.into_iter().flatten().chain(hostile).collect();
            MutatedRow { replaced, width, quoting }
        },
    )
}

/// The valid cells of row `i` of a file of `format` (header quoted as published).
fn base_row(format: Format, i: usize) -> Vec<String> {
    match format {
        Format::Mhlw => Office::new(&format!("{}", 1_270_000_000 + i), &format!("さくら{i}")).cells(),
        Format::IryoNet => {
            let c = Clinic::new(&format!("{}", 1_234_567_000_000u64 + i as u64), &format!("医院{i}"), "流山市1-1");
            let mut row = vec![c.id, c.name, "テストクリニック".into(), String::new(), String::new(), String::new()];
            row.extend(["2".into(), "12".into(), c.city, c.address, c.lat, c.lon, "https://clinic.example.jp/".into()]);
            row.extend(["1".into(), "0".into(), "年末年始, 盆".into()]);
            row
        }
        Format::Kouseikyoku => unreachable!("the 厚生局 list is a workbook"),
    }
}

/// The text encodings and line ends a CSV file comes in.
#[derive(Debug, Clone, Copy)]
struct Layout {
    bom: bool,
    shift_jis: bool,
    line_end: &'static str,
}

fn layout() -> impl Strategy<Value = Layout> {
    (any::<bool>(), prop::bool::weighted(0.2), prop::sample::select(vec!["\r\n", "\n", "\r"]))
        .prop_map(|(bom, shift_jis, line_end)| Layout { bom, shift_jis, line_end })
}

/// A CSV file of `format`: the official header, then `rows`.
fn csv_file(format: Format, rows: &[MutatedRow], layout: Layout) -> Vec<u8> {
    let header: Vec<&str> = if format == Format::Mhlw { MHLW_HEADER.to_vec() } else { IRYO_NET_HEADER.to_vec() };
    let header_quoting = if format == Format::Mhlw { Quoting::Needed } else { Quoting::Always };
    let mut lines: Vec<Vec<u8>> =
        vec![header.iter().map(|h| cell(h.as_bytes(), header_quoting)).collect::<Vec<_>>().join(&b","[..])];
    for (i, row) in rows.iter().enumerate() {
        let mut cells: Vec<Vec<u8>> = base_row(format, i).into_iter().map(String::into_bytes).collect();
        for (at, value) in &row.replaced {
            cells[*at].clone_from(value);
        }
        match row.width {
            w if w < 0 => cells.truncate(cells.len().saturating_sub(w.unsigned_abs().into())),
            w => cells.extend((0..w).map(|_| b"extra".to_vec())),
        }
        lines.push(cells.iter().map(|c| cell(c, row.quoting)).collect::<Vec<_>>().join(&b","[..]));
    }
    let mut body = lines.join(layout.line_end.as_bytes());
    body.extend_from_slice(layout.line_end.as_bytes());
    let body = match (layout.shift_jis, String::from_utf8(body)) {
        (true, Ok(text)) => encoding_rs::SHIFT_JIS.encode(&text).0.into_owned(),
        (_, Ok(text)) => text.into_bytes(),
        (_, Err(e)) => e.into_bytes(),
    };
    if layout.bom && !layout.shift_jis { [b"\xEF\xBB\xBF".as_slice(), &body].concat() } else { body }
}

/// A 厚生局 list whose cells are valid notices with some replaced by hostile text.
fn xlsx_file(rows: &[MutatedRow]) -> Vec<u8> {
    let texts: Vec<[String; 4]> = rows
        .iter()
        .enumerate()
        .map(|(i, row)| {
            let mut cells =
                [format!("01{:05}", i), format!("医院{i}"), "千葉県流山市1-1".to_owned(), "支援診１".to_owned()];
            for (at, value) in &row.replaced {
                // A workbook holds text, so invalid bytes arrive replaced.
                cells[at % 4] = String::from_utf8_lossy(value).into_owned();
            }
            cells
        })
        .collect();
    let notices: Vec<Notice<'_>> =
        texts.iter().map(|[number, name, address, code]| Notice { number, name, address, code }).collect();
    kouseikyoku_xlsx(&notices)
}

/// A file of `format` with its official header and mutated rows.
pub fn mutated_file(format: Format) -> impl Strategy<Value = Vec<u8>> {
    (prop::collection::vec(mutated_row(format), 0..8), layout()).prop_map(move |(rows, layout)| match format {
        Format::Kouseikyoku => xlsx_file(&rows),
        _ => csv_file(format, &rows, layout),
    })
}

/// A valid file of `format` cut at any byte (or not at all), or with a few bytes overwritten.
pub fn damaged_file(format: Format) -> impl Strategy<Value = Vec<u8>> {
    let valid = (1usize..12, layout()).prop_map(move |(n, layout)| {
        let rows = vec![MutatedRow { replaced: vec![], width: 0, quoting: Quoting::Needed }; n];
        match format {
            Format::Kouseikyoku => xlsx_file(&rows),
            _ => csv_file(format, &rows, layout),
        }
    });
    (valid, any::<prop::sample::Index>(), prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..3))
        .prop_map(|(mut bytes, cut, flips)| {
            if flips.is_empty() {
                bytes.truncate(cut.index(bytes.len() + 1));
            } else {
                for (at, b) in flips {
                    let i = at.index(bytes.len());
                    bytes[i] = b;
                }
            }
            bytes
        })
}

/// Any file a format may be given: arbitrary bytes, mutated rows, a damaged valid file.
pub fn any_file(format: Format) -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        1 => prop::collection::vec(any::<u8>(), 0..2000),
        3 => mutated_file(format),
        2 => damaged_file(format),
    ]
}

/// A valid UTF-8 file (with or without BOM) of `format`, and a cut inside one of its
/// characters after the first (the text before the cut is plainly UTF-8).
pub fn utf8_file_cut_inside_a_character() -> impl Strategy<Value = (Format, Vec<u8>, usize)> {
    let csv_format = prop::sample::select(vec![Format::Mhlw, Format::IryoNet]);
    (csv_format, 1usize..6, layout(), any::<prop::sample::Index>()).prop_filter_map(
        "a cut between two characters",
        |(format, n, layout, cut)| {
            let rows = vec![MutatedRow { replaced: vec![], width: 0, quoting: Quoting::Needed }; n];
            let bytes = csv_file(format, &rows, Layout { shift_jis: false, ..layout });
            let text_start = if bytes.starts_with(b"\xEF\xBB\xBF") { 3 } else { 0 };
            let cut = cut.index(bytes.len());
            let char_start = (0..=cut).rev().find(|&i| bytes[i] & 0xC0 != 0x80)?;
            let plainly_utf8 = char_start > text_start && !bytes[text_start..char_start].is_ascii();
            (char_start < cut && plainly_utf8).then_some((format, bytes, cut))
        },
    )
}
