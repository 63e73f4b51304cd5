//! Text encodings of the official files: UTF-8 with or without a BOM (what MHLW and
//! 医療情報ネット publish today) and Shift_JIS / cp932 (older snapshots, files re-saved in
//! Excel). Detected from the bytes, never guessed from the file name.

use std::borrow::Cow;

use serde::Serialize;

/// How a file's bytes were decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Encoding {
    /// UTF-8 starting with a byte-order mark (`EF BB BF`).
    #[serde(rename = "UTF-8 (BOM)")]
    Utf8Bom,
    /// UTF-8 without a BOM.
    #[serde(rename = "UTF-8")]
    Utf8,
    /// Shift_JIS as Windows writes it (cp932, the WHATWG `Shift_JIS` decoder).
    #[serde(rename = "Shift_JIS")]
    ShiftJis,
}

impl std::fmt::Display for Encoding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Encoding::Utf8Bom => "UTF-8 (BOM)",
            Encoding::Utf8 => "UTF-8",
            Encoding::ShiftJis => "Shift_JIS",
        })
    }
}

/// The bytes are neither UTF-8 nor Shift_JIS.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the text is neither UTF-8 nor Shift_JIS (cp932)")]
pub struct UnknownEncoding;

/// Decodes `bytes`: a UTF-8 BOM wins; otherwise valid UTF-8 is UTF-8 (borrowed, no copy);
/// otherwise Shift_JIS, which must decode without a single malformed sequence.
///
/// # Errors
/// [`UnknownEncoding`] when the bytes are not valid UTF-8 and not valid Shift_JIS either.
pub fn decode(bytes: &[u8]) -> Result<(Cow<'_, str>, Encoding), UnknownEncoding> {
    if let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
        return std::str::from_utf8(rest).map(|s| (Cow::Borrowed(s), Encoding::Utf8Bom)).map_err(|_| UnknownEncoding);
    }
    if let Ok(s) = std::str::from_utf8(bytes) {
        return Ok((Cow::Borrowed(s), Encoding::Utf8));
    }
    match encoding_rs::SHIFT_JIS.decode_without_bom_handling_and_without_replacement(bytes) {
        Some(text) => Ok((text, Encoding::ShiftJis)),
        None => Err(UnknownEncoding),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bom_marks_utf8_and_is_removed() {
        let (text, enc) = decode("\u{feff}事業所名".as_bytes()).unwrap();
        assert_eq!((text.as_ref(), enc), ("事業所名", Encoding::Utf8Bom));
    }

    #[test]
    fn utf8_without_a_bom_is_borrowed() {
        let (text, enc) = decode("事業所名".as_bytes()).unwrap();
        assert!(matches!(text, Cow::Borrowed(_)));
        assert_eq!(enc, Encoding::Utf8);
    }

    #[test]
    fn shift_jis_is_detected_and_decoded() {
        let (bytes, _, _) = encoding_rs::SHIFT_JIS.encode("方書（ビル名等）,№①");
        let (text, enc) = decode(&bytes).unwrap();
        assert_eq!((text.as_ref(), enc), ("方書（ビル名等）,№①", Encoding::ShiftJis));
    }

    #[test]
    fn bytes_that_are_neither_are_refused() {
        assert_eq!(decode(b"\x82\xff\xff\x80\x80").unwrap_err(), UnknownEncoding);
        assert_eq!(decode(b"\xEF\xBB\xBF\xff").unwrap_err(), UnknownEncoding);
    }
}
