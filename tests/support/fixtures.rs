//! Writers of import fixtures in the official layouts (shared/reference/data-formats.md), with
//! invented rows: MHLW care CSVs, 医療情報ネット 施設票 CSVs, the 厚生局 Excel list. The
//! headers are spelled out here, not taken from caremap, so a change to the parser's idea of
//! the layout cannot silently change the fixtures too.

pub mod address;

/// The MHLW open-data header (24 columns; full-width brackets as published).
pub const MHLW_HEADER: [&str; 24] = [
    "都道府県コード又は市町村コード",
    "No",
    "都道府県名",
    "市区町村名",
    "事業所名",
    "事業所名カナ",
    "サービスの種類",
    "住所",
    "方書（ビル名等）",
    "緯度",
    "経度",
    "電話番号",
    "FAX番号",
    "法人番号",
    "法人の名称",
    "事業所番号",
    "利用可能曜日",
    "利用可能曜日特記事項",
    "定員",
    "URL",
    "高齢者の方と障害者の方が同時一体的に利用できるサービス",
    "介護保険の通常の指定基準を満たしている",
    "障害福祉の通常の指定基準を満たしている",
    "備考",
];

/// An invented care office (one row of an MHLW file).
#[derive(Debug, Clone)]
pub struct Office {
    pub city: String,
    pub code: String,
    pub name: String,
    pub service: String,
    pub address: String,
    pub lat: String,
    pub lon: String,
    pub phone: String,
    pub days: String,
    pub capacity: String,
}

impl Office {
    /// An office in Nagareyama (city code 122203) near the city hall.
    pub fn new(code: &str, name: &str) -> Self {
        Self {
            city: "122203".into(),
            code: code.into(),
            name: name.into(),
            service: "訪問介護".into(),
            address: "千葉県流山市平和台1-1-1".into(),
            lat: "35.856306".into(),
            lon: "139.902861".into(),
            phone: "04-7150-1234".into(),
            days: "平日,土曜日".into(),
            capacity: "0".into(),
        }
    }

    pub fn at(mut self, lat: &str, lon: &str) -> Self {
        self.lat = lat.into();
        self.lon = lon.into();
        self
    }

    pub fn in_city(mut self, city: &str) -> Self {
        self.city = city.into();
        self
    }

    pub fn service(mut self, text: &str) -> Self {
        self.service = text.into();
        self
    }

    /// The 24 cells of its row.
    pub fn cells(&self) -> Vec<String> {
        let mut row = vec![String::new(); 24];
        row[0] = self.city.clone();
        row[1] = self.code.clone();
        row[2] = "千葉県".into();
        row[3] = "流山市".into();
        row[4] = self.name.clone();
        row[5] = "テストジギョウショ".into();
        row[6] = self.service.clone();
        row[7] = self.address.clone();
        row[8] = "テストビル2階".into();
        row[9] = self.lat.clone();
        row[10] = self.lon.clone();
        row[11] = self.phone.clone();
        row[13] = "1234567890123".into();
        row[14] = "株式会社テスト".into();
        row[15] = self.code.clone();
        row[16] = self.days.clone();
        row[18] = self.capacity.clone();
        row[19] = "https://example.jp/".into();
        row[23] = "架空の事業所".into();
        row
    }
}

/// One CSV cell, quoted when it must be (or always, when `quote`).
fn cell(value: &str, quote: bool) -> String {
    if quote || value.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value.to_owned()
    }
}

/// A CSV text: header and rows, CRLF or LF line ends.
pub fn csv_text(header: &[&str], rows: &[Vec<String>], crlf: bool) -> String {
    let end = if crlf { "\r\n" } else { "\n" };
    let mut out = header.iter().map(|h| cell(h, false)).collect::<Vec<_>>().join(",") + end;
    for row in rows {
        out += &(row.iter().map(|c| cell(c, false)).collect::<Vec<_>>().join(",") + end);
    }
    out
}

/// How a fixture's text is encoded.
#[derive(Debug, Clone, Copy)]
pub enum Enc {
    Utf8Bom,
    Utf8,
    ShiftJis,
}

pub fn encode(text: &str, enc: Enc) -> Vec<u8> {
    match enc {
        Enc::Utf8Bom => [b"\xEF\xBB\xBF".as_slice(), text.as_bytes()].concat(),
        Enc::Utf8 => text.as_bytes().to_vec(),
        Enc::ShiftJis => {
            let (bytes, _, unmappable) = encoding_rs::SHIFT_JIS.encode(text);
            assert!(!unmappable, "the fixture has characters Shift_JIS cannot hold");
            bytes.into_owned()
        }
    }
}

/// An MHLW file of `offices`.
pub fn mhlw_csv(offices: &[Office], enc: Enc, crlf: bool) -> Vec<u8> {
    let rows: Vec<Vec<String>> = offices.iter().map(Office::cells).collect();
    encode(&csv_text(&MHLW_HEADER, &rows, crlf), enc)
}

/// `n` invented offices spread over Nagareyama (codes 1290000000 + i).
pub fn many_offices(n: usize) -> Vec<Office> {
    (0..n)
        .map(|i| {
            let lon = 139.8745 + 0.08 * ((i * 7919) % n) as f64 / n as f64;
            let lat = 35.8275 + 0.09 * ((i * 104_729) % n) as f64 / n as f64;
            let mut o = Office::new(&format!("{}", 1_290_000_000 + i), &format!("事業所{i}"));
            o.lat = format!("{lat:.6}");
            o.lon = format!("{lon:.6}");
            o
        })
        .collect()
}

/// The leading columns of the 医療情報ネット 施設票 header, then a few of the rest.
pub const IRYO_NET_HEADER: [&str; 16] = [
    "ID",
    "正式名称",
    "正式名称（フリガナ）",
    "略称",
    "略称（フリガナ）",
    "英語表記（ローマ字表記）",
    "機関区分",
    "都道府県コード",
    "市区町村コード",
    "所在地",
    "所在地座標（緯度）",
    "所在地座標（経度）",
    "案内用ホームページアドレス",
    "毎週決まった曜日に休診（月）",
    "毎週決まった曜日に休診（火）",
    "その他の休診日（gw、お盆等）",
];

/// An invented clinic or hospital.
#[derive(Debug, Clone)]
pub struct Clinic {
    pub id: String,
    pub name: String,
    pub city: String,
    pub address: String,
    pub lat: String,
    pub lon: String,
}

impl Clinic {
    pub fn new(id: &str, name: &str, address: &str) -> Self {
        Self {
            id: id.into(),
            name: name.into(),
            city: "12220".into(),
            address: address.into(),
            lat: "35.8601".into(),
            lon: "139.9101".into(),
        }
    }
}

/// A 施設票 file as published: BOM, every header field quoted, data quoted except the two
/// coordinates, CRLF.
pub fn iryo_net_csv(clinics: &[Clinic]) -> Vec<u8> {
    let mut out = IRYO_NET_HEADER.iter().map(|h| cell(h, true)).collect::<Vec<_>>().join(",") + "\r\n";
    for c in clinics {
        let quoted = |v: &str| cell(v, true);
        let fields = [
            quoted(&c.id),
            quoted(&c.name),
            quoted("テストクリニック"),
            quoted(""),
            quoted(""),
            quoted(""),
            quoted("2"),
            quoted("12"),
            quoted(&c.city),
            quoted(&c.address),
            c.lat.clone(),
            c.lon.clone(),
            quoted("https://clinic.example.jp/"),
            quoted("1"),
            quoted("0"),
            quoted("年末年始, 盆"),
        ];
        out += &(fields.join(",") + "\r\n");
    }
    encode(&out, Enc::Utf8Bom)
}

/// The 厚生局 list's header (4th row of the sheet).
pub const KOUSEIKYOKU_HEADER: [&str; 16] = [
    "項番",
    "都道府県名",
    "区分",
    "医療機関番号",
    "併設医療機関番号",
    "医療機関記号番号",
    "医療機関名称",
    "医療機関所在地（郵便番号）",
    "医療機関所在地（住所）",
    "電話番号",
    "FAX番号",
    "病床数",
    "受理届出名称",
    "受理記号",
    "受理番号",
    "算定開始年月日",
];

/// One notification row: 医療機関番号, 名称, 住所, 受理記号.
pub struct Notice<'a> {
    pub number: &'a str,
    pub name: &'a str,
    pub address: &'a str,
    pub code: &'a str,
}

/// An .xlsx in the 厚生局 layout: three title rows, the header on row 4, one row per notice.
pub fn kouseikyoku_xlsx(notices: &[Notice<'_>]) -> Vec<u8> {
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let sheet = workbook.add_worksheet();
    sheet.write_string(0, 0, "施設基準の届出受理状況（医科）").unwrap();
    sheet.write_string(1, 0, "令和8年10月1日現在").unwrap();
    sheet.write_string(2, 0, "関東信越厚生局").unwrap();
    for (c, h) in KOUSEIKYOKU_HEADER.iter().enumerate() {
        sheet.write_string(3, c as u16, *h).unwrap();
    }
    for (i, n) in notices.iter().enumerate() {
        let r = 4 + i as u32;
        let values = [
            (i + 1).to_string(),
            "千葉県".into(),
            "医科".into(),
            n.number.into(),
            String::new(),
            String::new(),
            n.name.into(),
            "270-0192".into(),
            n.address.into(),
            "04-7150-0000".into(),
            String::new(),
            String::new(),
            "在宅療養支援診療所".into(),
            n.code.into(),
            format!("（{}）第{}号", n.code, i + 1),
            "令和8年4月1日".into(),
        ];
        for (c, v) in values.iter().enumerate() {
            if !v.is_empty() {
                sheet.write_string(r, c as u16, v.as_str()).unwrap();
            }
        }
    }
    workbook.save_to_buffer().unwrap()
}
