//! Dates of birth as written, and one word per date for the hot loop: `Date` keeps what was
//! written (unknown or out-of-range parts included, an ambiguous day and month flagged),
//! `PackedDate` puts a date in a `u32` whose fields the comparisons read without unpacking.

/// A calendar date as written: components may be unknown (0) or out of range (kept as digits so a
/// typo like `19450493` can still be compared digit by digit).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Date {
    pub year: u16,
    pub month: u8,
    pub day: u8,
    /// Written as `03/04/1987`: day and month may be either way round. Kept as read day-first,
    /// and comparisons try both readings; never silently guessed.
    pub ambiguous: bool,
}

impl Date {
    /// Whether the components form a real calendar date.
    pub fn is_valid(self) -> bool {
        self.year > 0
            && (1..=12).contains(&self.month)
            && self.day >= 1
            && self.day <= days_in_month(self.year, self.month)
    }

    /// The other reading of an ambiguous date (day and month swapped).
    pub fn swapped(self) -> Date {
        Date {
            year: self.year,
            month: self.day,
            day: self.month,
            ambiguous: self.ambiguous,
        }
    }

    /// The readings of the date: one, or two when day and month are ambiguous.
    pub fn readings(self) -> impl Iterator<Item = Date> {
        std::iter::once(self).chain(self.ambiguous.then(|| self.swapped()))
    }

    /// The date as one number `YYYYMMDD`, for digit comparisons.
    pub fn digits(self) -> u32 {
        self.year as u32 * 10_000 + self.month as u32 * 100 + self.day as u32
    }

    /// Days since 0000-03-01 in the proleptic Gregorian calendar (valid dates only).
    pub fn day_number(self) -> i64 {
        let (y, m) = if self.month <= 2 {
            (self.year as i64 - 1, self.month as i64 + 9)
        } else {
            (self.year as i64, self.month as i64 - 3)
        };
        365 * y + y / 4 - y / 100 + y / 400 + (153 * m + 2) / 5 + self.day as i64 - 1
    }

    /// The date of a day number (the inverse of [`Date::day_number`]).
    pub fn from_day_number(n: i64) -> Date {
        // Civil-from-days over 400-year eras, counted from 0000-03-01.
        let era = n.div_euclid(146_097);
        let doe = n.rem_euclid(146_097);
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = (doy - (153 * mp + 2) / 5 + 1) as u8;
        let month = if mp < 10 { mp + 3 } else { mp - 9 } as u8;
        let year = (yoe + era * 400 + i64::from(month <= 2)) as u16;
        Date {
            year,
            month,
            day,
            ambiguous: false,
        }
    }

    /// The date `days` after 1970-01-01 (for turning a clock reading into a date).
    pub fn from_unix_days(days: i64) -> Date {
        Date::from_day_number(
            Date {
                year: 1970,
                month: 1,
                day: 1,
                ambiguous: false,
            }
            .day_number()
                + days,
        )
    }

    /// `YYYY-MM-DD`.
    pub fn iso(self) -> String {
        format!("{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }

    /// Whole years from `self` (a date of birth) to `at`.
    pub fn age_at(self, at: Date) -> i32 {
        let mut age = at.year as i32 - self.year as i32;
        if self.month != 0 && (at.month, at.day) < (self.month, self.day) {
            age -= 1;
        }
        age
    }
}

fn days_in_month(year: u16, month: u8) -> u8 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400) => {
            29
        }
        2 => 28,
        _ => 0,
    }
}

/// Parses `YYYY-MM-DD` (a settings value), valid dates only.
pub fn parse_iso_date(s: &str) -> Option<Date> {
    let d = parse_date(s)?;
    d.is_valid().then_some(d)
}

/// Parses a date of birth as written: `YYYY-MM-DD`, `YYYYMMDD`, `YYYY/MM/DD`, `DD.MM.YYYY`,
/// `DD/MM/YYYY`, `YYYY-MM`, `YYYY`. Day-first is assumed for `DD/MM/YYYY`. Out-of-range
/// components are kept (they are typos to compare, not to discard); `None` means not a date at all.
pub fn parse_date(s: &str) -> Option<Date> {
    let s = s.trim();
    // A negative year, or a year of zeros (`0000-00-00`, a placeholder), is no date of birth.
    if s.starts_with('-') || s.bytes().take_while(|&b| b != b'-').all(|b| b == b'0') {
        return None;
    }
    let parts: Vec<&str> = s
        .split(['-', '/', '.', ' '])
        .filter(|p| !p.is_empty())
        .collect();
    let num = |p: &str| -> Option<u32> {
        if p.bytes().all(|b| b.is_ascii_digit()) && !p.is_empty() {
            p.parse().ok()
        } else {
            None
        }
    };
    match parts.as_slice() {
        [one] if one.len() == 8 => {
            let n = num(one)?;
            Some(Date {
                year: (n / 10_000) as u16,
                month: (n / 100 % 100) as u8,
                day: (n % 100) as u8,
                ambiguous: false,
            })
        }
        [one] if one.len() == 4 => Some(Date {
            year: num(one)? as u16,
            month: 0,
            day: 0,
            ambiguous: false,
        }),
        [y, m] if y.len() == 4 && m.len() <= 2 => Some(Date {
            year: num(y)? as u16,
            month: num(m)? as u8,
            day: 0,
            ambiguous: false,
        }),
        [a, b, c] if a.len() == 4 && b.len() <= 2 && c.len() <= 2 => Some(Date {
            year: num(a)? as u16,
            month: num(b)? as u8,
            day: num(c)? as u8,
            ambiguous: false,
        }),
        [a, b, c] if c.len() == 4 && a.len() <= 2 && b.len() <= 2 => {
            let (first, second, year) = (num(a)? as u8, num(b)? as u8, num(c)? as u16);
            // D.M.Y with dots is always day-first; with slashes or dashes, a number over 12 says
            // which is the day, else both readings stay possible.
            let dots = s.contains('.');
            Some(if !dots && first <= 12 && second > 12 {
                Date {
                    year,
                    month: first,
                    day: second,
                    ambiguous: false,
                }
            } else {
                Date {
                    year,
                    month: second,
                    day: first,
                    ambiguous: !dots && first <= 12 && second <= 12 && first != second,
                }
            })
        }
        _ => None,
    }
}

/// Parses an age in whole years (0–120).
pub fn parse_age(s: &str) -> Option<u8> {
    let n: u32 = s.trim().parse().ok()?;
    (n <= 120).then_some(n as u8)
}

/// A date in one word, as packed rows hold it: year in bits 14 and up,
/// month in 9–13, day in 4–8, bit 1 set when day and month may be either way round, bit 0
/// always set (0 is no packed date). Equal nonzero words ⇔ equal dates as read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PackedDate(pub u32);

impl PackedDate {
    /// No date, or a date whose month or day is out of range (kept for digit comparisons; the
    /// loop then reads the date itself).
    pub const NONE: PackedDate = PackedDate(0);
    const YEAR_SHIFT: u32 = 14;
    const MONTH_SHIFT: u32 = 9;
    const DAY_SHIFT: u32 = 4;
    const PART: u32 = 0x1F;
    const AMBIGUOUS: u32 = 2;

    /// The word of a date: [`PackedDate::NONE`] when its month or day is out of range.
    pub fn pack(d: Date) -> PackedDate {
        if d.month > 12 || d.day > 31 {
            return PackedDate::NONE;
        }
        PackedDate(
            (u32::from(d.year) << Self::YEAR_SHIFT
                | u32::from(d.month) << Self::MONTH_SHIFT
                | u32::from(d.day) << Self::DAY_SHIFT)
                | u32::from(d.ambiguous) << 1
                | 1,
        )
    }

    /// The date a nonzero word holds.
    pub fn unpack(self) -> Date {
        Date {
            year: self.year() as u16,
            month: self.month() as u8,
            day: self.day() as u8,
            ambiguous: self.ambiguous(),
        }
    }

    /// Whether the word holds a date.
    #[inline(always)]
    pub const fn is_some(self) -> bool {
        self.0 != 0
    }

    #[inline(always)]
    pub const fn year(self) -> u32 {
        self.0 >> Self::YEAR_SHIFT
    }

    /// The month (0: unknown).
    #[inline(always)]
    pub const fn month(self) -> u32 {
        (self.0 >> Self::MONTH_SHIFT) & Self::PART
    }

    /// The day (0: unknown).
    #[inline(always)]
    pub const fn day(self) -> u32 {
        (self.0 >> Self::DAY_SHIFT) & Self::PART
    }

    /// Day and month known.
    #[inline(always)]
    pub const fn is_full(self) -> bool {
        self.month() != 0 && self.day() != 0
    }

    /// Written so that day and month may be either way round.
    #[inline(always)]
    pub const fn ambiguous(self) -> bool {
        self.0 & Self::AMBIGUOUS != 0
    }

    /// Whether either of two words is ambiguous (`|`: no branch, for loops that vectorize).
    #[inline(always)]
    pub const fn either_ambiguous(self, other: PackedDate) -> bool {
        (self.0 | other.0) & Self::AMBIGUOUS != 0
    }

    /// Whether the months differ (`^`: no branch).
    #[inline(always)]
    pub const fn month_differs(self, other: PackedDate) -> bool {
        (self.0 ^ other.0) & (Self::PART << Self::MONTH_SHIFT) != 0
    }

    /// Whether the days differ (`^`: no branch).
    #[inline(always)]
    pub const fn day_differs(self, other: PackedDate) -> bool {
        (self.0 ^ other.0) & (Self::PART << Self::DAY_SHIFT) != 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_date_forms() {
        let d = Date {
            year: 1987,
            month: 3,
            day: 14,
            ambiguous: false,
        };
        for s in [
            "1987-03-14",
            "19870314",
            "1987/3/14",
            "14.03.1987",
            "14/03/1987",
        ] {
            assert_eq!(parse_date(s), Some(d), "{s}");
        }
        assert_eq!(
            parse_date("1987"),
            Some(Date {
                year: 1987,
                month: 0,
                day: 0,
                ambiguous: false
            })
        );
        // An impossible date is kept as its digits, not dropped.
        let typo = parse_date("19450493").unwrap();
        assert!(!typo.is_valid());
        assert_eq!(typo.digits(), 19450493);
        assert_eq!(parse_date("soon"), None);
        assert_eq!(parse_date(""), None);
    }

    #[test]
    fn day_and_month_are_never_silently_guessed() {
        let d = parse_date("03/04/1987").unwrap();
        assert!(d.ambiguous, "both readings stay possible");
        let readings: Vec<(u8, u8)> = d.readings().map(|r| (r.month, r.day)).collect();
        assert_eq!(readings, vec![(4, 3), (3, 4)]);
        // A number over 12 says which is the day, either way round.
        let us = parse_date("04/13/1987").unwrap();
        assert_eq!((us.month, us.day, us.ambiguous), (4, 13, false));
        let eu = parse_date("13/04/1987").unwrap();
        assert_eq!((eu.month, eu.day, eu.ambiguous), (4, 13, false));
        // Dots are day-first by convention; the same day twice is no ambiguity.
        assert!(!parse_date("03.04.1987").unwrap().ambiguous);
        assert!(!parse_date("05/05/1987").unwrap().ambiguous);
    }

    #[test]
    fn ages_and_day_numbers() {
        let dob = Date {
            year: 1990,
            month: 6,
            day: 15,
            ambiguous: false,
        };
        assert_eq!(
            dob.age_at(Date {
                year: 2020,
                month: 6,
                day: 14,
                ambiguous: false
            }),
            29
        );
        assert_eq!(
            dob.age_at(Date {
                year: 2020,
                month: 6,
                day: 15,
                ambiguous: false
            }),
            30
        );
        let a = Date {
            year: 2000,
            month: 2,
            day: 28,
            ambiguous: false,
        };
        let b = Date {
            year: 2000,
            month: 3,
            day: 1,
            ambiguous: false,
        };
        assert_eq!(b.day_number() - a.day_number(), 2);
        assert!(
            !Date {
                year: 2001,
                month: 2,
                day: 29,
                ambiguous: false
            }
            .is_valid()
        );
        assert!(
            Date {
                year: 2000,
                month: 2,
                day: 29,
                ambiguous: false
            }
            .is_valid()
        );
    }

    #[test]
    fn packed_dates_read_back_as_written() {
        for s in ["1987-03-14", "03/04/1987", "1987", "1987-03", "2001-12-31"] {
            let d = parse_date(s).unwrap();
            let p = PackedDate::pack(d);
            assert!(p.is_some(), "{s}");
            assert_eq!(p.unpack(), d, "{s}");
            assert_eq!(p.is_full(), d.month != 0 && d.day != 0, "{s}");
        }
        let typo = parse_date("19450493").unwrap();
        assert_eq!(PackedDate::pack(typo), PackedDate::NONE);
    }
}
