//! Dates as clkhash reads them: Python's `datetime.strptime` with a format, then written
//! `%Y%m%d` for hashing.
//!
//! The format becomes the regular expression CPython's `_strptime` builds (the same alternatives
//! per directive, tried in the same order, case-insensitive, white space in the format matching
//! any run of white space), matched from the start; text left over is an error, as in Python.
//! Directives: `%d %m %Y %y %H %M %S %b %B %%` (English month names, as in the C locale). Digits
//! are ASCII only: where Python would also take other scripts' digits, this refuses the value
//! rather than encode it differently.

use regex::Regex;

/// A parsed `strptime` format.
#[derive(Debug, Clone)]
pub struct DateFormat {
    source: String,
    regex: Regex,
}

const MONTHS: [&str; 12] = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
];

fn directive(c: char) -> Option<String> {
    Some(match c {
        'd' => r"(?P<d>3[0-1]|[1-2][0-9]|0[1-9]|[1-9]| [1-9])".to_string(),
        'm' => r"(?P<m>1[0-2]|0[1-9]|[1-9])".to_string(),
        'y' => r"(?P<y>[0-9][0-9])".to_string(),
        'Y' => r"(?P<Y>[0-9][0-9][0-9][0-9])".to_string(),
        'H' => r"(?P<H>2[0-3]|[0-1][0-9]|[0-9])".to_string(),
        'M' => r"(?P<M>[0-5][0-9]|[0-9])".to_string(),
        'S' => r"(?P<S>6[0-1]|[0-5][0-9]|[0-9])".to_string(),
        // CPython sorts the names longest first so that no name is cut short by a prefix.
        'B' => {
            let mut names = MONTHS.to_vec();
            names.sort_by_key(|n| std::cmp::Reverse(n.len()));
            format!("(?P<B>{})", names.join("|"))
        }
        'b' => {
            let names: Vec<&str> = MONTHS.iter().map(|m| &m[..3]).collect();
            format!("(?P<b>{})", names.join("|"))
        }
        '%' => "%".to_string(),
        _ => return None,
    })
}

impl DateFormat {
    /// Parses a `strptime` format; the error says which directive is not read.
    pub fn parse(format: &str) -> Result<DateFormat, String> {
        let mut re = String::from("^(?i:");
        let mut chars = format.chars().peekable();
        let mut seen = String::new();
        while let Some(c) = chars.next() {
            if c == '%' {
                let Some(d) = chars.next() else {
                    return Err(format!("stray % at the end of \"{format}\""));
                };
                let Some(piece) = directive(d) else {
                    return Err(format!(
                        "%{d} is not a directive this reads (it reads %d %m %Y %y %H %M %S %b %B %%)"
                    ));
                };
                if d != '%' {
                    if seen.contains(d) {
                        return Err(format!("%{d} appears twice in \"{format}\""));
                    }
                    seen.push(d);
                }
                re.push_str(&piece);
            } else if c.is_whitespace() {
                while chars.peek().is_some_and(|c| c.is_whitespace()) {
                    chars.next();
                }
                re.push_str(r"\s+");
            } else {
                re.push_str(&regex::escape(&c.to_string()));
            }
        }
        re.push(')');
        let regex = Regex::new(&re).map_err(|e| format!("cannot be read: {e}"))?;
        Ok(DateFormat {
            source: format.to_string(),
            regex,
        })
    }

    /// The format as written in the schema.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// The date as clkhash hashes it (`%Y%m%d`), or why the value is not a date in this format.
    pub fn reformat(&self, value: &str) -> Result<String, String> {
        let caps = self
            .regex
            .captures(value)
            .ok_or_else(|| format!("does not match the date format \"{}\"", self.source))?;
        if caps.get(0).map_or(0, |m| m.end()) != value.len() {
            return Err(format!(
                "has text left over after the date format \"{}\"",
                self.source
            ));
        }
        let num = |name: &str| {
            caps.name(name).map(|m| {
                m.as_str()
                    .trim()
                    .parse::<u32>()
                    .expect("digits by the regex")
            })
        };
        let mut year = 1900;
        if let Some(y) = num("y") {
            // POSIX: 69-99 are 1969-1999, 00-68 are 2000-2068.
            year = if y <= 68 { 2000 + y } else { 1900 + y };
        }
        if let Some(y) = num("Y") {
            year = y;
        }
        let mut month = num("m").unwrap_or(1);
        for key in ["B", "b"] {
            if let Some(m) = caps.name(key) {
                let name = m.as_str().to_lowercase();
                month = MONTHS
                    .iter()
                    .position(|full| full.starts_with(&name))
                    .expect("a month name by the regex") as u32
                    + 1;
            }
        }
        let day = num("d").unwrap_or(1);
        if year == 0 {
            return Err("year 0 is out of range".to_string());
        }
        if day > days_in_month(year, month) {
            return Err("day is out of range for month".to_string());
        }
        // Python's strftime %Y (glibc) does not pad years below 1000.
        Ok(format!("{year}{month:02}{day:02}"))
    }
}

fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        4 | 6 | 9 | 11 => 30,
        2 if year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400)) => {
            29
        }
        2 => 28,
        _ => 31,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn re(fmt: &str, v: &str) -> Result<String, String> {
        DateFormat::parse(fmt).unwrap().reformat(v)
    }

    #[test]
    fn dates_read_as_python_reads_them() {
        assert_eq!(re("%d/%m/%Y", "5/3/2001").unwrap(), "20010305");
        assert_eq!(re("%d/%m/%Y", "05/03/2001").unwrap(), "20010305");
        assert_eq!(re("%Y-%m-%d", "1999-12-31").unwrap(), "19991231");
        assert_eq!(re("%d %B %Y", "1  MARCH 1950").unwrap(), "19500301");
        assert_eq!(re("%d %b %y", "29 feb 68").unwrap(), "20680229");
        assert_eq!(re("%d %b %y", "1 feb 69").unwrap(), "19690201");
        assert_eq!(re("%Y%m%d", "00050101").unwrap(), "50101");
        // the leftmost-first alternative wins and leftover text is an error, as in Python
        assert!(re("%m%d", "1231").is_ok());
        assert!(
            re("%Y-%m-%d", "1999-02-29")
                .unwrap_err()
                .contains("out of range")
        );
        assert!(
            re("%Y-%m-%d", "1999-2-3x")
                .unwrap_err()
                .contains("left over")
        );
        assert!(
            re("%Y-%m-%d", "99-2-3")
                .unwrap_err()
                .contains("does not match")
        );
        assert!(re("%Y", "٢٠٠٠").is_err());
    }

    #[test]
    fn unknown_directives_are_named() {
        assert!(DateFormat::parse("%Y-%q").unwrap_err().contains("%q"));
        assert!(DateFormat::parse("%Y-%").unwrap_err().contains("stray"));
        assert!(DateFormat::parse("%Y %Y").unwrap_err().contains("twice"));
    }
}
