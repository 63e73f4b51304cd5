//! Text encodings of the official files: UTF-8 with or without a BOM (what MHLW and
//! 医療情報ネット publish today) and Shift_JIS / cp932 (older snapshots, files re-saved in
//! Excel). Detected from the bytes, never guessed from the file name.

use std::borrow::Cow;

use serde::Serialize;

use super::{ImportError, InputFile};

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

/// Why bytes could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// The bytes are neither UTF-8 nor Shift_JIS.
    #[error("the text is neither UTF-8 nor Shift_JIS (cp932)")]
    Unknown,
    /// The text ends in the middle of a character: the file was cut short (an interrupted
    /// download or upload).
    #[error("line {line}: the file ends in the middle of a character (it is truncated)")]
    Truncated {
        /// The line the cut is on (1-based).
        line: u64,
    },
}

/// Decodes `bytes`: a UTF-8 BOM wins; otherwise valid UTF-8 is UTF-8 (borrowed, no copy);
/// otherwise Shift_JIS, which must decode without a single malformed sequence.
///
/// # Errors
/// [`DecodeError::Truncated`] for UTF-8 or Shift_JIS text that is valid up to a character
/// cut off at the end; [`DecodeError::Unknown`] for bytes that are neither.
pub fn decode(bytes: &[u8]) -> Result<(Cow<'_, str>, Encoding), DecodeError> {
    if let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
        return match std::str::from_utf8(rest) {
            Ok(s) => Ok((Cow::Borrowed(s), Encoding::Utf8Bom)),
            Err(e) if e.error_len().is_none() => Err(truncated(&rest[..e.valid_up_to()])),
            Err(_) => Err(DecodeError::Unknown),
        };
    }
    let utf8_error = match std::str::from_utf8(bytes) {
        Ok(s) => return Ok((Cow::Borrowed(s), Encoding::Utf8)),
        Err(e) => e,
    };
    // Japanese UTF-8 text cut inside its last character. (Shift_JIS text is practically never
    // valid UTF-8 up to its end once it has non-ASCII characters.)
    let valid = &bytes[..utf8_error.valid_up_to()];
    if utf8_error.error_len().is_none() && !valid.is_ascii() {
        return Err(truncated(valid));
    }
    let sjis = encoding_rs::SHIFT_JIS;
    if let Some(text) = sjis.decode_without_bom_handling_and_without_replacement(bytes) {
        return Ok((text, Encoding::ShiftJis));
    }
    // Shift_JIS cut after the lead byte of a double-byte character.
    if let Some((&last, head)) = bytes.split_last()
        && matches!(last, 0x81..=0x9F | 0xE0..=0xFC)
        && sjis.decode_without_bom_handling_and_without_replacement(head).is_some()
    {
        return Err(truncated(head));
    }
    Err(DecodeError::Unknown)
}

fn truncated(valid: &[u8]) -> DecodeError {
    DecodeError::Truncated { line: 1 + super::table::line_breaks(valid, 0..valid.len()) }
}

/// Decodes the bytes of `file`.
///
/// # Errors
/// [`ImportError::Malformed`] naming the line of a truncated file; [`ImportError::Encoding`].
pub(super) fn decode_file(file: &InputFile) -> Result<(Cow<'_, str>, Encoding), ImportError> {
    decode(&file.bytes).map_err(|e| match e {
        DecodeError::Truncated { line } => ImportError::Malformed {
            file: file.name.clone(),
            line,
            reason: "the file ends in the middle of a character (it is truncated: download or upload it again)".into(),
        },
        DecodeError::Unknown => ImportError::Encoding { file: file.name.clone() },
    })
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
        assert_eq!(decode(b"\x82\xff\xff\x80\x80").unwrap_err(), DecodeError::Unknown);
        assert_eq!(decode(b"\xEF\xBB\xBF\xff").unwrap_err(), DecodeError::Unknown);
    }

    #[test]
    fn text_cut_inside_its_last_character_is_truncated_at_that_line() {
        let utf8 = "名前\r\n流山\r\n平和台".as_bytes();
        for bytes in [&utf8[..utf8.len() - 1], &[b"\xEF\xBB\xBF", &utf8[..utf8.len() - 2]].concat()[..]] {
            assert_eq!(decode(bytes).unwrap_err(), DecodeError::Truncated { line: 3 });
        }
        let (sjis, _, _) = encoding_rs::SHIFT_JIS.encode("名前\n流山");
        assert_eq!(decode(&sjis[..sjis.len() - 1]).unwrap_err(), DecodeError::Truncated { line: 2 });
    }
}
