//! Reading the tab-separated data tables in `data/`: `#` comment lines (sources), then a header
//! line, then rows. Columns are found by header name, so a table may grow columns.

/// A parsed table: the header and the rows, each cell trimmed.
pub(crate) struct Table {
    header: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

impl Table {
    /// Parses a bundled table. The tables ship inside the binary and are tested, so a malformed
    /// one is a bug: it panics with the table's name and line.
    pub fn parse(name: &str, text: &str) -> Table {
        Table::try_parse(name, text).unwrap_or_else(|e| panic!("{e}"))
    }

    /// Parses a table a user gave; the error names the table and the line.
    pub fn try_parse(name: &str, text: &str) -> Result<Table, String> {
        let mut lines = text
            .lines()
            .enumerate()
            .filter(|(_, l)| !l.trim_start().starts_with('#') && !l.trim().is_empty());
        let (_, header) = lines
            .next()
            .ok_or_else(|| format!("{name}: no header line"))?;
        let header: Vec<String> = header.split('\t').map(|h| h.trim().to_string()).collect();
        let mut rows = Vec::new();
        for (i, l) in lines {
            let mut cells: Vec<String> = l.split('\t').map(|c| c.trim().to_string()).collect();
            if cells.len() > header.len() {
                return Err(format!(
                    "{name}:{}: {} cells, the header has {}",
                    i + 1,
                    cells.len(),
                    header.len()
                ));
            }
            cells.resize(header.len(), String::new());
            rows.push(cells);
        }
        Ok(Table { header, rows })
    }

    /// The index of a column; panics naming the table if it is missing.
    pub fn col(&self, name: &str) -> usize {
        self.try_col(name, "table")
            .unwrap_or_else(|e| panic!("{e}"))
    }

    /// The index of a column, or an error naming the table and its columns.
    pub fn try_col(&self, name: &str, table: &str) -> Result<usize, String> {
        self.header.iter().position(|h| h == name).ok_or_else(|| {
            format!(
                "{table}: no column `{name}` (columns: {})",
                self.header.join(", ")
            )
        })
    }
}
