//! Stored times: RFC 3339 UTC in whole seconds (`2026-11-30T05:00:00Z`). One fixed width, so
//! the stored times sort as text in time order.

use time::{OffsetDateTime, UtcOffset};

/// `t` as stored (`2026-11-30T05:00:00Z`), converted to UTC and cut to whole seconds.
///
/// Written digit by digit: every public query formats the staleness cutoff of its vacancy
/// clock, and `time`'s format descriptions took ~0.4 µs a call there (perf), more than the
/// rest of the parameters together.
pub fn utc_text(t: OffsetDateTime) -> String {
    let t = t.to_offset(UtcOffset::UTC);
    let Ok(year) = u16::try_from(t.year()) else { return described(t) };
    if year > 9999 {
        return described(t);
    }
    let mut out = String::with_capacity(20);
    let [century, rest] = [year / 100, year % 100].map(|n| u8::try_from(n).unwrap_or(0));
    push_two_digits(&mut out, century);
    push_two_digits(&mut out, rest);
    for (separator, n) in
        [('-', u8::from(t.month())), ('-', t.day()), ('T', t.hour()), (':', t.minute()), (':', t.second())]
    {
        out.push(separator);
        push_two_digits(&mut out, n);
    }
    out.push('Z');
    out
}

/// Appends `n` (below 100) as two decimal digits.
fn push_two_digits(out: &mut String, n: u8) {
    out.push(char::from(b'0' + n / 10));
    out.push(char::from(b'0' + n % 10));
}

/// [`utc_text`] through `time`'s format description, for years outside 0000–9999.
fn described(t: OffsetDateTime) -> String {
    let format = time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z");
    t.format(&format).unwrap_or_else(|_| "1970-01-01T00:00:00Z".into())
}

/// Now as stored (`2026-11-01T09:30:00Z`).
pub fn now_utc() -> String {
    utc_text(OffsetDateTime::now_utc())
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use time::{PrimitiveDateTime, UtcOffset};

    use super::*;

    #[test]
    fn a_time_is_written_in_utc_whole_seconds() {
        let t = time::macros::datetime!(2026-11-30 14:05:09.999 +09:00);
        assert_eq!(utc_text(t), "2026-11-30T05:05:09Z");
        assert_eq!(utc_text(time::macros::datetime!(0001-01-01 00:00:00 UTC)), "0001-01-01T00:00:00Z");
        assert_eq!(utc_text(time::macros::datetime!(9999-12-31 23:59:59 UTC)), "9999-12-31T23:59:59Z");
    }

    proptest! {
        #[test]
        fn the_digits_are_what_the_format_description_writes(
            // Every time `time` holds (years −9999 to 9999, so the fallback is run too), kept 14
            // hours from either end so that no offset moves it out of range.
            seconds in (PrimitiveDateTime::MIN.assume_utc().unix_timestamp() + 14 * 3600)
                ..(PrimitiveDateTime::MAX.assume_utc().unix_timestamp() - 14 * 3600),
            offset_h in -12i8..=14,
        ) {
            let t = OffsetDateTime::from_unix_timestamp(seconds).unwrap()
                .to_offset(UtcOffset::from_hms(offset_h, 0, 0).unwrap());
            prop_assert_eq!(utc_text(t), described(t.to_offset(UtcOffset::UTC)));
        }
    }
}
