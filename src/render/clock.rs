//! Wall-clock times in words, in UTC (rawlab carries no time-zone database, and
//! UTC reads the same on every machine, which tests and shared captures need).

use std::time::{SystemTime, UNIX_EPOCH};

/// Year, month, day of a day counted from 1970-01-01 (Howard Hinnant's `civil_from_days`).
fn civil(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
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

/// Seconds since the epoch and the fraction cut to `digits` digits (at most 9).
fn parts(t: SystemTime, digits: u8) -> (u64, String) {
    let since = t.duration_since(UNIX_EPOCH).unwrap_or_default();
    let mut frac = String::with_capacity(9);
    push_fraction(&mut frac, since.subsec_nanos(), digits);
    (since.as_secs(), frac)
}

/// `n` as exactly `width` decimal digits (zero-padded; the lowest kept if wider).
fn push_padded(out: &mut String, n: u64, width: usize) {
    let mut digits = [b'0'; 20];
    let mut n = n;
    for d in digits[..width].iter_mut().rev() {
        *d = b'0' + (n % 10) as u8;
        n /= 10;
    }
    out.extend(digits[..width].iter().map(|d| char::from(*d)));
}

/// The first `digits` (at most 9) digits of a second's nanoseconds.
fn push_fraction(out: &mut String, nanos: u32, digits: u8) {
    let digits = usize::from(digits.min(9));
    push_padded(out, u64::from(nanos) / 10u64.pow(9 - digits as u32), digits);
}

/// Writes `2024-05-01 12:34:56.123456` (with `date_time_sep` between date and time).
fn write_stamp(out: &mut String, t: SystemTime, digits: u8, date_time_sep: char) {
    let since = t.duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = since.as_secs();
    let (y, mo, d) = civil((secs / 86_400) as i64);
    let s = secs % 86_400;
    if (0..10_000).contains(&y) {
        push_padded(out, y as u64, 4);
    } else {
        out.push_str(&y.to_string());
    }
    out.push('-');
    push_padded(out, u64::from(mo), 2);
    out.push('-');
    push_padded(out, u64::from(d), 2);
    out.push(date_time_sep);
    push_padded(out, s / 3600, 2);
    out.push(':');
    push_padded(out, s / 60 % 60, 2);
    out.push(':');
    push_padded(out, s % 60, 2);
    if digits > 0 {
        out.push('.');
        push_fraction(out, since.subsec_nanos(), digits);
    }
}

fn stamp(t: SystemTime, digits: u8, date_time_sep: char) -> String {
    let mut out = String::with_capacity(32);
    write_stamp(&mut out, t, digits, date_time_sep);
    out
}

/// Appends `2024-05-01 12:34:56.123456 UTC` to `out`.
pub fn write_utc(out: &mut String, t: SystemTime, digits: u8) {
    write_stamp(out, t, digits, ' ');
    out.push_str(" UTC");
}

/// `2024-05-01 12:34:56.123456 UTC`, with `digits` digits after the second.
pub fn utc(t: SystemTime, digits: u8) -> String {
    let mut out = String::with_capacity(40);
    write_utc(&mut out, t, digits);
    out
}

/// RFC 3339: `2024-05-01T12:34:56.123456Z`.
pub fn rfc3339(t: SystemTime, digits: u8) -> String {
    format!("{}Z", stamp(t, digits, 'T'))
}

/// Seconds since the epoch with `digits` digits after the point, as Wireshark's
/// `frame.time_epoch` shows it: `1714566896.123456`.
pub fn epoch(t: SystemTime, digits: u8) -> String {
    let (secs, frac) = parts(t, digits);
    if frac.is_empty() {
        secs.to_string()
    } else {
        format!("{secs}.{frac}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn at(secs: u64, nanos: u32) -> SystemTime {
        UNIX_EPOCH + Duration::new(secs, nanos)
    }

    #[test]
    fn known_instants() {
        assert_eq!(utc(at(0, 0), 6), "1970-01-01 00:00:00.000000 UTC");
        // `date -u -d @1714566896` → Wed May  1 12:34:56 UTC 2024
        assert_eq!(
            utc(at(1_714_566_896, 123_456_789), 6),
            "2024-05-01 12:34:56.123456 UTC"
        );
        assert_eq!(
            rfc3339(at(1_714_566_896, 123_456_789), 9),
            "2024-05-01T12:34:56.123456789Z"
        );
        // A leap day, and the last second a pcap file can hold.
        assert_eq!(utc(at(951_782_400, 0), 0), "2000-02-29 00:00:00 UTC");
        assert_eq!(utc(at(u32::MAX as u64, 0), 0), "2106-02-07 06:28:15 UTC");
        assert_eq!(epoch(at(1_714_566_896, 5_000), 6), "1714566896.000005");
        assert_eq!(epoch(at(7, 0), 0), "7");
        assert_eq!(
            utc(at(1_714_566_896, 123_456_789), 3),
            "2024-05-01 12:34:56.123 UTC"
        );
    }

    #[test]
    fn every_day_of_four_centuries_follows_the_one_before() {
        let mut prev = civil(-1);
        for day in 0..146_097 {
            let (y, m, d) = civil(day);
            let next_day = (y, m, d) == (prev.0, prev.1, prev.2 + 1);
            let next_month =
                d == 1 && ((y, m) == (prev.0, prev.1 + 1) || (y, m) == (prev.0 + 1, 1));
            assert!(next_day || next_month, "{prev:?} then {:?}", (y, m, d));
            prev = (y, m, d);
        }
        assert_eq!(civil(-1), (1969, 12, 31));
    }
}
