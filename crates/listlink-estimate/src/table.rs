//! Capture tables: how many people were seen on each combination of lists.

use crate::error::{Error, Place, Result};

/// The most lists a table may hold (patterns are bit masks; log-linear designs grow as 2^k).
pub const MAX_LISTS: usize = 16;

/// Counts per capture pattern. Pattern `p` is a bit mask: bit `i` set = on list `i`.
/// `counts[0]`, the unobserved cell, is always 0: it is what the methods estimate.
#[derive(Debug, Clone, PartialEq)]
pub struct CaptureTable {
    lists: Vec<String>,
    counts: Vec<u64>,
}

impl CaptureTable {
    /// An empty table over these lists.
    pub fn new(lists: Vec<String>) -> Result<Self> {
        if lists.len() < 2 || lists.len() > MAX_LISTS {
            return Err(Error::NotEstimable(format!(
                "{} lists: estimation needs between 2 and {MAX_LISTS}",
                lists.len()
            )));
        }
        let cells = 1usize << lists.len();
        Ok(CaptureTable {
            lists,
            counts: vec![0; cells],
        })
    }

    /// Adds `count` people seen on exactly the lists of `pattern` (0 is refused: nobody can be
    /// counted on no list).
    pub fn add(&mut self, pattern: usize, count: u64) {
        assert!(
            pattern != 0 && pattern < self.counts.len(),
            "pattern out of range"
        );
        self.counts[pattern] += count;
    }

    pub fn lists(&self) -> &[String] {
        &self.lists
    }

    pub fn k(&self) -> usize {
        self.lists.len()
    }

    /// Counts indexed by pattern; index 0 (the unobserved cell) is 0.
    pub fn counts(&self) -> &[u64] {
        &self.counts
    }

    /// People seen on at least one list.
    pub fn observed(&self) -> u64 {
        self.counts.iter().sum()
    }

    /// People on list `i`.
    pub fn on_list(&self, i: usize) -> u64 {
        self.cells_containing(1 << i)
    }

    /// People on every list of `mask` (and perhaps others): a term's sufficient statistic.
    pub fn cells_containing(&self, mask: usize) -> u64 {
        (1..self.counts.len())
            .filter(|p| p & mask == mask)
            .map(|p| self.counts[p])
            .sum()
    }

    /// The same people with the lists in another order: list `order[j]` of `self` becomes list
    /// `j` of the result.
    pub fn reordered(&self, order: &[usize]) -> CaptureTable {
        assert_eq!(order.len(), self.k());
        let lists = order.iter().map(|&i| self.lists[i].clone()).collect();
        let mut counts = vec![0; self.counts.len()];
        for (p, &c) in self.counts.iter().enumerate() {
            let mut q = 0;
            for (j, &i) in order.iter().enumerate() {
                if p >> i & 1 == 1 {
                    q |= 1 << j;
                }
            }
            counts[q] += c;
        }
        CaptureTable { lists, counts }
    }

    /// The pattern as 0/1 characters, list 0 first (the `--patterns` and published order).
    pub fn pattern_label(&self, pattern: usize) -> String {
        (0..self.k())
            .map(|i| if pattern >> i & 1 == 1 { '1' } else { '0' })
            .collect()
    }

    /// Parses the `patterns` map of a published table: each key a string of 0/1, character `i`
    /// from the left = on `lists[i]`; missing patterns count 0.
    pub fn from_pattern_strings<'a>(
        lists: Vec<String>,
        patterns: impl IntoIterator<Item = (&'a str, u64)>,
    ) -> Result<Self> {
        let mut t = CaptureTable::new(lists)?;
        for (key, count) in patterns {
            let p = parse_bits(key, t.k()).ok_or_else(|| Error::BadTable {
                file: "patterns".into(),
                reason: format!("pattern `{key}` is not {} characters of 0 and 1", t.k()),
            })?;
            if p == 0 {
                if count > 0 {
                    return Err(Error::BadTable {
                        file: "patterns".into(),
                        reason: "the all-zero pattern (people on no list) cannot be observed"
                            .into(),
                    });
                }
                continue;
            }
            t.add(p, count);
        }
        Ok(t)
    }

    /// Reads a pattern table: CSV with one 0/1 column per list and a `count` column, plus an
    /// optional stratum column (`by`). Returns one table per stratum (one, named "", without
    /// `by`), strata in order of first appearance. Every bad value is reported with its file,
    /// line and field.
    pub fn read_patterns_csv(
        text: &str,
        file: &str,
        by: Option<&str>,
    ) -> Result<Vec<(String, CaptureTable)>> {
        let mut lines = text
            .lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty());
        let Some((_, header)) = lines.next() else {
            return Err(Error::BadTable {
                file: file.into(),
                reason: "empty file: expected a header with one column per list and `count`".into(),
            });
        };
        let header: Vec<String> = split_csv(header)
            .into_iter()
            .map(|h| h.trim().trim_start_matches('\u{feff}').to_string())
            .collect();
        let count_col = header
            .iter()
            .position(|h| h.eq_ignore_ascii_case("count"))
            .ok_or_else(|| Error::BadTable {
                file: file.into(),
                // The header is not quoted: a list of people given here by mistake would put
                // its first row on the screen.
                reason: format!(
                    "no `count` column among the first line's {} field(s); expected a header with one 0/1 column per list and `count`",
                    header.len()
                ),
            })?;
        let by_col = match by {
            Some(b) => Some(
                header
                    .iter()
                    .position(|h| h == b)
                    .ok_or_else(|| Error::BadTable {
                        file: file.into(),
                        reason: format!(
                            "no column `{b}` for --by among the first line's {} field(s)",
                            header.len()
                        ),
                    })?,
            ),
            None => None,
        };
        let list_cols: Vec<usize> = (0..header.len())
            .filter(|&c| c != count_col && Some(c) != by_col)
            .collect();
        let lists: Vec<String> = list_cols.iter().map(|&c| header[c].clone()).collect();
        if lists.len() < 2 {
            return Err(Error::BadTable {
                file: file.into(),
                reason: format!("{} list column(s): at least 2 are needed", lists.len()),
            });
        }
        let mut strata: Vec<(String, CaptureTable)> = Vec::new();
        for (idx, line) in lines {
            let line_no = idx as u64 + 1;
            let cells = split_csv(line);
            let place = |c: usize| Place {
                file: file.into(),
                line: line_no,
                field: header[c].clone(),
            };
            if cells.len() != header.len() {
                return Err(Error::BadValue {
                    place: place(count_col),
                    reason: format!("{} fields, the header has {}", cells.len(), header.len()),
                });
            }
            let raw = cells[count_col].trim();
            let count: u64 = match raw.parse::<i64>() {
                Ok(c) if c >= 0 => c as u64,
                Ok(c) => {
                    return Err(Error::BadValue {
                        place: place(count_col),
                        reason: format!("negative count {c}"),
                    });
                }
                Err(_) => {
                    return Err(Error::BadValue {
                        place: place(count_col),
                        reason: "the count is not a whole number".into(),
                    });
                }
            };
            let mut pattern = 0usize;
            for (i, &c) in list_cols.iter().enumerate() {
                match cells[c].trim() {
                    "1" => pattern |= 1 << i,
                    "0" => {}
                    _ => {
                        return Err(Error::BadValue {
                            place: place(c),
                            reason: "the value is not 0 or 1".into(),
                        });
                    }
                }
            }
            if pattern == 0 {
                if count > 0 {
                    return Err(Error::BadValue {
                        place: place(count_col),
                        reason: "a row on no list: nobody can be counted there (it is what is estimated)".into(),
                    });
                }
                continue;
            }
            let stratum = by_col
                .map(|c| cells[c].trim().to_string())
                .unwrap_or_default();
            let pos = match strata.iter().position(|(s, _)| *s == stratum) {
                Some(p) => p,
                None => {
                    strata.push((stratum, CaptureTable::new(lists.clone())?));
                    strata.len() - 1
                }
            };
            strata[pos].1.add(pattern, count);
        }
        if strata.is_empty() {
            return Err(Error::BadTable {
                file: file.into(),
                reason: "no rows".into(),
            });
        }
        Ok(strata)
    }
}

fn parse_bits(key: &str, k: usize) -> Option<usize> {
    if key.len() != k {
        return None;
    }
    let mut p = 0;
    for (i, ch) in key.chars().enumerate() {
        match ch {
            '1' => p |= 1 << i,
            '0' => {}
            _ => return None,
        }
    }
    Some(p)
}

/// Splits one CSV line; quotes are honoured (pattern tables hold no line breaks in fields).
fn split_csv(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut chars = line.trim_end_matches('\r').chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                cur.push('"');
                chars.next();
            }
            '"' => quoted = !quoted,
            ',' if !quoted => out.push(std::mem::take(&mut cur)),
            _ => cur.push(c),
        }
    }
    out.push(cur);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_patterns_with_strata_and_sums_repeated_rows() {
        let csv = "a,b,sex,count\n1,0,F,3\n0,1,F,4\n1,1,F,2\n1,0,M,1\n1,0,F,1\n";
        let t = CaptureTable::read_patterns_csv(csv, "t.csv", Some("sex")).unwrap();
        assert_eq!(t.len(), 2);
        assert_eq!(t[0].0, "F");
        assert_eq!(t[0].1.counts(), &[0, 4, 4, 2]);
        assert_eq!(t[1].1.observed(), 1);
    }

    #[test]
    fn bad_values_name_file_line_and_field() {
        let e = CaptureTable::read_patterns_csv("a,b,count\n1,0,3\n1,2,4\n", "t.csv", None)
            .unwrap_err()
            .to_string();
        assert_eq!(e, "t.csv, line 3, field `b`: the value is not 0 or 1");
        let e = CaptureTable::read_patterns_csv("a,b,count\n1,0,-3\n", "t.csv", None)
            .unwrap_err()
            .to_string();
        assert_eq!(e, "t.csv, line 2, field `count`: negative count -3");
        let e = CaptureTable::read_patterns_csv("a,b,n\n1,0,3\n", "t.csv", None)
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("t.csv: no `count` column"), "{e}");
    }

    #[test]
    fn reordering_moves_counts_with_their_lists() {
        let t = CaptureTable::from_pattern_strings(
            vec!["a".into(), "b".into(), "c".into()],
            [("100", 5), ("011", 2), ("110", 1)],
        )
        .unwrap();
        let r = t.reordered(&[2, 0, 1]);
        assert_eq!(r.lists(), &["c", "a", "b"]);
        assert_eq!(r.cells_containing(0b010), 6); // a
        assert_eq!(r.cells_containing(0b101), 2); // c and b
        assert_eq!(r.observed(), t.observed());
    }
}
