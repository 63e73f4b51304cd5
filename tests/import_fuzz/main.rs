//! Property-based fuzzing of the importers of the three official file formats (MHLW care CSV,
//! 医療情報ネット CSV, 厚生局 Excel list): arbitrary bytes, a valid header followed by mutated
//! rows (hostile cell text, raw quotes and line ends, NUL, huge numbers, NaN, full-width digits,
//! bytes that are neither UTF-8 nor Shift_JIS, missing and extra columns), and valid files cut
//! at any byte.
//!
//! Properties: the parser never panics, and every refusal names the file (and the line, when
//! it is about one); every skipped row names a line of the file. Through
//! `POST /api/admin/imports` (the real router, called in-process): the answer is 200 or a 4xx
//! problem+json that names the file or the field, never a 5xx; a refused commit changes
//! nothing; the catalog always serves what the database holds.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod files;
#[path = "../import_fixtures/mod.rs"]
mod import_fixtures;

#[path = "../in_process/mod.rs"]
mod in_process;

use axum::body::Body;
use axum::http::{Request, header};
use caremap::access::Role;
use caremap::import::{CityCode, ImportError, ImportOptions, InputFile};
use caremap::store::LAST_IMPORT_META;
use files::{Format, any_file, damaged_file, file_name, format, mutated_file, utf8_file_cut_inside_a_character};
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;
use serde_json::Value;

use in_process::App;

/// Import options for `format`: `--city` sometimes (the sources that take it).
fn options(format: Format, city: bool, dry_run: bool) -> ImportOptions {
    let mut options = ImportOptions::new(format.source(), "fuzz");
    options.dry_run = dry_run;
    if city && format != Format::Kouseikyoku {
        options.city = Some(CityCode::parse("12220").unwrap());
    }
    options
}

/// Line breaks (CRLF, LF or CR) in `bytes`, plus one: the last line a message may name.
fn last_line(bytes: &[u8]) -> u64 {
    let breaks =
        bytes.iter().enumerate().filter(|&(i, &b)| b == b'\n' || (b == b'\r' && bytes.get(i + 1) != Some(&b'\n')));
    breaks.count() as u64 + 1
}

/// Runs the parser on one file and checks what it says.
fn check_read(format: Format, name: &str, bytes: Vec<u8>, city: bool) -> Result<(), TestCaseError> {
    let lines = last_line(&bytes);
    let csv = format != Format::Kouseikyoku;
    let file = InputFile { name: name.to_owned(), bytes };
    match caremap::import::read(&options(format, city, true), std::slice::from_ref(&file)) {
        Ok(parsed) => {
            for s in &parsed.report.skipped {
                let line = s.line.unwrap_or(0);
                prop_assert_eq!(&s.file, name);
                // The header is line 1; an Excel row number is bounded only by the sheet.
                prop_assert!(line >= 2 && (!csv || line <= lines), "skipped line {} of {}: {}", line, lines, s);
            }
            if csv {
                prop_assert!(parsed.report.rows_read < lines, "{} rows in {} lines", parsed.report.rows_read, lines);
            }
        }
        Err(e) => {
            let message = e.to_string();
            prop_assert!(message.contains(name), "the refusal does not name the file: {}", message);
            if let ImportError::Malformed { line, .. } = e {
                prop_assert!(line >= 1 && (!csv || line <= lines), "line {} of {}: {}", line, lines, message);
            }
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 384, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_are_read_or_refused_naming_the_file(
        (format, name) in format().prop_flat_map(|f| (Just(f), file_name(f))),
        bytes in prop::collection::vec(any::<u8>(), 0..3000),
        city in any::<bool>(),
    ) {
        check_read(format, name, bytes, city)?;
    }

    #[test]
    fn a_valid_header_with_mutated_rows_is_read_or_refused_naming_the_file_and_line(
        (format, name, bytes) in format().prop_flat_map(|f| (Just(f), file_name(f), mutated_file(f))),
        city in any::<bool>(),
    ) {
        check_read(format, name, bytes, city)?;
    }

    #[test]
    fn a_valid_file_cut_or_overwritten_anywhere_is_read_or_refused_naming_the_file(
        (format, name, bytes) in format().prop_flat_map(|f| (Just(f), file_name(f), damaged_file(f))),
        city in any::<bool>(),
    ) {
        check_read(format, name, bytes, city)?;
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn a_utf8_file_cut_inside_a_character_is_refused_as_truncated_at_that_line(
        (format, bytes, cut) in utf8_file_cut_inside_a_character(),
    ) {
        let text_start = if bytes.starts_with(b"\xEF\xBB\xBF") { 3 } else { 0 };
        let line = last_line(&bytes[text_start..cut]);
        let name = format.names()[0];
        let file = InputFile { name: name.to_owned(), bytes: bytes[..cut].to_vec() };
        match caremap::import::read(&options(format, false, true), &[file]) {
            Err(ImportError::Malformed { line: at, reason, .. }) => {
                prop_assert_eq!(at, line, "{}", reason);
                prop_assert!(reason.contains("truncated"), "{}", reason);
            }
            other => prop_assert!(false, "not refused as truncated: {:?}", other.map(|p| p.report.rows_read)),
        }
    }
}

fn app() -> App {
    in_process::app(Role::Editor)
}

impl App {
    fn state(&self) -> (u64, usize, Option<String>) {
        (
            self.store.count_providers().unwrap(),
            self.catalog.snapshot().len(),
            self.store.meta(LAST_IMPORT_META).unwrap(),
        )
    }

    /// Posts `bytes` as file `name` and checks the answer and what it changed.
    fn import(
        &self,
        format: Format,
        name: &str,
        bytes: Vec<u8>,
        city: bool,
        dry_run: bool,
    ) -> Result<(), TestCaseError> {
        let mut query = format!("source={}&dry_run={dry_run}&name=", format.source().as_str());
        query.extend(form_urlencoded::byte_serialize(name.as_bytes()));
        if city && format != Format::Kouseikyoku {
            query.push_str("&city=12220");
        }
        let request = Request::post(format!("/api/admin/imports?{query}"))
            .header(header::CONTENT_TYPE, "text/csv")
            .header(header::AUTHORIZATION, format!("Bearer {}", self.token))
            .body(Body::from(bytes))
            .unwrap();
        let before = self.state();
        let (status, content_type, body) = self.send(request);
        let text = String::from_utf8_lossy(&body);
        let after = self.state();
        prop_assert!(!status.is_server_error(), "{} {} → {}: {}", format.source().as_str(), name, status, text);
        prop_assert_eq!(after.0 as usize, after.1, "the catalog serves what the database holds");
        if status.is_success() {
            let report: Value = serde_json::from_slice(&body).map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(report["dry_run"].as_bool(), Some(dry_run), "{}", text);
            if dry_run {
                prop_assert_eq!(&after, &before, "a dry run writes nothing");
            } else {
                prop_assert_eq!(after.2.as_deref(), report["imported_at"].as_str(), "{}", text);
            }
            return Ok(());
        }
        prop_assert!(status.is_client_error(), "{} → {}", name, status);
        prop_assert_eq!(&content_type, "application/problem+json", "{} → {}: {}", name, status, text);
        let problem: Value = serde_json::from_slice(&body).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(problem["status"].as_u64(), Some(u64::from(status.as_u16())));
        let detail = problem["detail"].as_str().unwrap_or("");
        let fields: Vec<&str> =
            problem["invalid_params"].as_array().into_iter().flatten().filter_map(|p| p["name"].as_str()).collect();
        prop_assert!(
            detail.contains(name) || (status != 422 && !fields.is_empty()),
            "{} → {}: neither the file nor a field is named: {}",
            name,
            status,
            text
        );
        prop_assert_eq!(&after, &before, "a refused import changes nothing");
        Ok(())
    }
}

proptest! {
    // Some cases commit (an fsynced transaction each), so fewer cases.
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn any_upload_is_imported_or_refused_with_a_4xx_problem_naming_the_file(
        (format, name, bytes) in format().prop_flat_map(|f| (Just(f), file_name(f), any_file(f))),
        city in any::<bool>(),
        dry_run in any::<bool>(),
    ) {
        thread_local!(static APP: App = app());
        APP.with(|app| app.import(format, name, bytes, city, dry_run))?;
    }
}
