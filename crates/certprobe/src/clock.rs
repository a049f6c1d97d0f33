//! Time as Unix seconds, and the one date format every output uses.
//! Analysis takes the time as a parameter; the system clock is read only by
//! [`Checker::check`](crate::Checker::check) and for a capture's `observed_at`.

use std::time::{SystemTime, UNIX_EPOCH};

/// Seconds since the Unix epoch, now.
pub fn now_unix() -> i64 {
    match SystemTime::now().duration_since(UNIX_EPOCH) {
        Ok(d) => d.as_secs() as i64,
        Err(e) => -(e.duration().as_secs() as i64),
    }
}

/// `2026-12-31 23:59:59 UTC`: unambiguous, sortable and locale-free.
pub fn format_utc(unix: i64) -> String {
    let days = unix.div_euclid(86_400);
    let secs = unix.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    // Digit by digit, not `format!`: a listing formats a date for each of thousands of rows.
    let mut out = String::with_capacity(24);
    let parts = [
        (y, 4, ""),
        (i64::from(m), 2, "-"),
        (i64::from(d), 2, "-"),
        (secs / 3600, 2, " "),
        (secs % 3600 / 60, 2, ":"),
        (secs % 60, 2, ":"),
    ];
    for (value, width, before) in parts {
        out.push_str(before);
        push_padded(&mut out, value, width);
    }
    out.push_str(" UTC");
    out
}

/// `value` in decimal, zero-padded to `width` digits (a sign first when negative).
fn push_padded(out: &mut String, value: i64, width: usize) {
    if value < 0 {
        out.push('-');
    }
    let mut digits = [b'0'; 20];
    let mut rest = value.unsigned_abs();
    let mut start = digits.len();
    while rest > 0 || start == digits.len() {
        start -= 1;
        digits[start] = b'0' + (rest % 10) as u8;
        rest /= 10;
    }
    let start = start.min(digits.len().saturating_sub(width));
    out.extend(digits[start..].iter().map(|&b| char::from(b)));
}

/// The instant a [`format_utc`] text names (`2026-12-31 23:59:59 UTC`), for dates kept as
/// text; `None` for anything else.
pub fn parse_utc(text: &str) -> Option<i64> {
    let rest = text.strip_suffix(" UTC")?;
    let (date, time) = rest.split_once(' ')?;
    let number = |part: &str, digits: usize| -> Option<i64> {
        (part.len() == digits && part.bytes().all(|b| b.is_ascii_digit()))
            .then(|| part.parse().ok())
            .flatten()
    };
    let mut date = date.splitn(3, '-');
    let (y, m, d) = (
        number(date.next()?, 4)?,
        number(date.next()?, 2)?,
        number(date.next()?, 2)?,
    );
    let mut time = time.splitn(3, ':');
    let (h, min, s) = (
        number(time.next()?, 2)?,
        number(time.next()?, 2)?,
        number(time.next()?, 2)?,
    );
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) || h > 23 || min > 59 || s > 59 {
        return None;
    }
    let unix = days_from_civil(y, m as u32, d as u32) * 86_400 + h * 3600 + min * 60 + s;
    // 2026-02-31 is no date: it must come back as written.
    (format_utc(unix) == text).then_some(unix)
}

/// `Jan 02 15:04:05 2006 GMT`: the form Go (and so Zabbix agent 2) prints certificate dates in.
pub fn format_go_gmt(unix: i64) -> String {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let (y, m, d) = civil_from_days(unix.div_euclid(86_400));
    let secs = unix.rem_euclid(86_400);
    format!(
        "{} {d:02} {:02}:{:02}:{:02} {y} GMT",
        MONTHS[(m as usize - 1) % 12],
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

/// Proleptic Gregorian date of a day count since 1970-01-01 (Howard Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = i64::from((m + 9) % 12);
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_known_instants() {
        assert_eq!(format_utc(0), "1970-01-01 00:00:00 UTC");
        assert_eq!(format_utc(951_782_400), "2000-02-29 00:00:00 UTC");
        assert_eq!(format_utc(1_798_761_599), "2026-12-31 23:59:59 UTC");
        assert_eq!(format_utc(-1), "1969-12-31 23:59:59 UTC");
        assert_eq!(format_utc(253_402_300_800), "10000-01-01 00:00:00 UTC");
        assert_eq!(format_utc(1_796_225_563), "2026-12-02 15:32:43 UTC");
        assert_eq!(format_go_gmt(1_136_214_245), "Jan 02 15:04:05 2006 GMT");
    }

    #[test]
    fn parses_what_it_formats() {
        for unix in [
            0,
            951_782_400,
            1_798_761_599,
            -1,
            1_136_214_245,
            4_102_444_800,
        ] {
            assert_eq!(parse_utc(&format_utc(unix)), Some(unix), "{unix}");
        }
        for bad in [
            "",
            "2026-12-31 23:59:59",
            "2026-02-31 00:00:00 UTC",
            "2026-13-01 00:00:00 UTC",
            "2026-1-01 00:00:00 UTC",
            "2026-01-01 24:00:00 UTC",
            "2026-01-01T00:00:00 UTC",
            "+026-01-01 00:00:00 UTC",
        ] {
            assert_eq!(parse_utc(bad), None, "{bad}");
        }
    }
}
