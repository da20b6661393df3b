//! Levels of dates of birth and ages: as written, packed in one word, or as ages.

use crate::date::{Date, PackedDate};
use crate::settings::DATE_LEVELS;

pub(crate) const DATE_LABELS: [&str; DATE_LEVELS] = [
    "null",
    "exact",
    "day and month transposed",
    "one digit off",
    "same year and month",
    "same age",
    "age consistent (±1 year)",
    "within 1 year",
    "within 5 years",
    "within 10 years",
    "else",
];
pub(crate) const DATE_EXACT: u8 = 1;
pub(crate) const DATE_TRANSPOSED: u8 = 2;
pub(crate) const DATE_ONE_DIGIT: u8 = 3;
pub(crate) const DATE_YEAR_MONTH: u8 = 4;
pub(crate) const DATE_SAME_AGE: u8 = 5;
pub(crate) const DATE_AGE: u8 = 6;
pub(crate) const DATE_1Y: u8 = 7;
pub(crate) const DATE_5Y: u8 = 8;
/// Six to ten years apart: a typo rarely, another person often; more than ten years apart
/// (`DATE_ELSE`) is another person all but always, and weighs as such.
pub(crate) const DATE_10Y: u8 = 9;
pub(crate) const DATE_ELSE: u8 = 10;

pub(crate) fn age_level(p: i32, q: i32) -> u8 {
    match (p - q).abs() {
        0 => DATE_SAME_AGE,
        1 => DATE_AGE,
        2..=5 => DATE_5Y,
        6..=10 => DATE_10Y,
        _ => DATE_ELSE,
    }
}

/// The level of two dates of birth from their packed words ([`PackedDate`]), `None` unless
/// both are packed dates.
#[inline]
pub(crate) fn packed_date_level(x: u32, y: u32) -> Option<u8> {
    // Equal full dates (day and month known) agree exactly; other packed dates compare as read
    // from the word.
    let (px, py) = (PackedDate(x), PackedDate(y));
    if px.is_some() && x == y && px.is_full() {
        Some(DATE_EXACT)
    } else if px.is_some() && py.is_some() {
        Some(far_dates_level(x, y).unwrap_or_else(|| date_level(px.unpack(), py.unpack())))
    } else {
        None
    }
}

/// The level of two packed dates that differ in year (by two or more), month and day, read
/// without unpacking them: within five years, within ten, or else. `None` for any other pair, and for
/// ambiguous dates (which have two readings) and years past four digits. Most pairs of birth
/// dates are such pairs; [`date_level`] gives the same level for them.
#[inline]
pub(crate) fn far_dates_level(x: u32, y: u32) -> Option<u8> {
    let (x, y) = (PackedDate(x), PackedDate(y));
    let (year_x, year_y) = (x.year(), y.year());
    let far = !x.either_ambiguous(y)
        && year_x < 10_000
        && year_y < 10_000
        && year_x.abs_diff(year_y) >= 2
        && x.month_differs(y)
        && x.day_differs(y);
    far.then(|| {
        let apart = year_x.abs_diff(year_y);
        if year_x == 0 || year_y == 0 {
            DATE_ELSE
        } else if apart <= 5 {
            DATE_5Y
        } else if apart <= 10 {
            DATE_10Y
        } else {
            DATE_ELSE
        }
    })
}

/// Level of two dates of birth as written (either may be partial or impossible).
pub(crate) fn date_level(x: Date, y: Date) -> u8 {
    // An ambiguous date (03/04/1987) agrees as well as its better reading does.
    let mut best = DATE_ELSE;
    for a in x.readings() {
        for b in y.readings() {
            best = best.min(reading_level(a, b));
        }
    }
    best
}

pub(crate) fn reading_level(x: Date, y: Date) -> u8 {
    if (x.year, x.month, x.day) == (y.year, y.month, y.day) {
        return if x.month == 0 || x.day == 0 {
            DATE_1Y
        } else {
            DATE_EXACT
        };
    }
    let full = |d: Date| d.month != 0 && d.day != 0;
    // Year, month and day all different (each written in its own digits) are three digits
    // apart at least: not one edit. Most pairs of dates are.
    let own_digits = |d: Date| d.year < 10_000 && d.month < 100 && d.day < 100;
    let far =
        x.year != y.year && x.month != y.month && x.day != y.day && own_digits(x) && own_digits(y);
    if full(x) && full(y) {
        if x.year == y.year && x.month == y.day && x.day == y.month {
            return DATE_TRANSPOSED;
        }
        if !far && digits_one_edit(x.digits(), y.digits()) {
            return DATE_ONE_DIGIT;
        }
        if x.year == y.year && x.month == y.month {
            return DATE_YEAR_MONTH;
        }
        // Within 366 days only in the same or the next year.
        if x.year.abs_diff(y.year) <= 1
            && x.is_valid()
            && y.is_valid()
            && (x.day_number() - y.day_number()).abs() <= 366
        {
            return DATE_1Y;
        }
    }
    let years = (x.year as i32 - y.year as i32).abs();
    if x.year == 0 || y.year == 0 {
        DATE_ELSE
    } else if years == 0 && !(full(x) && full(y)) {
        DATE_1Y
    } else if years <= 5 {
        DATE_5Y
    } else if years <= 10 {
        DATE_10Y
    } else {
        DATE_ELSE
    }
}

/// Whether two 8-digit dates differ by one substituted digit or one swap of adjacent digits.
/// Digits are compared as nibbles of their decimal forms, without a list of differences: this
/// runs for most candidate pairs.
#[inline]
pub(crate) fn digits_one_edit(a: u32, b: u32) -> bool {
    let (x, y) = (decimal_nibbles(a), decimal_nibbles(b));
    let d = x ^ y;
    // One bit per differing digit, at the digit's lowest bit.
    let differing = (d | d >> 1 | d >> 2 | d >> 3) & 0x1111_1111;
    match differing.count_ones() {
        1 => true,
        2 => {
            let (i, j) = (differing.trailing_zeros(), 31 - differing.leading_zeros());
            let digit = |v: u32, at: u32| (v >> at) & 0xF;
            j == i + 4 && digit(x, i) == digit(y, j) && digit(x, j) == digit(y, i)
        }
        _ => false,
    }
}

/// The last eight decimal digits of `v`, one per nibble (the last digit in the lowest): two
/// halves of four digits, each split in two, so that the divisions do not wait on each other.
#[inline]
pub(crate) fn decimal_nibbles(v: u32) -> u32 {
    let four = |n: u32| {
        let (q, r) = (n / 100, n % 100);
        ((q / 10) << 12) | ((q % 10) << 8) | ((r / 10) << 4) | (r % 10)
    };
    let v = v % 100_000_000;
    four(v / 10_000) << 16 | four(v % 10_000)
}
