//! Reading the tab-separated data tables in `data/`: `#` comment lines (sources), then a header
//! line, then rows. Columns are found by header name, so a table may grow columns.

/// A parsed table: the header and the rows, each cell trimmed.
pub(crate) struct Table {
    header: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

impl Table {
    /// Parses a table. The tables ship inside the binary and are tested, so a malformed one is a
    /// bug: it panics with the table's name and line.
    pub fn parse(name: &str, text: &str) -> Table {
        let mut lines = text
            .lines()
            .enumerate()
            .filter(|(_, l)| !l.trim_start().starts_with('#') && !l.trim().is_empty());
        let (_, header) = lines
            .next()
            .unwrap_or_else(|| panic!("{name}: no header line"));
        let header: Vec<String> = header.split('\t').map(|h| h.trim().to_string()).collect();
        let rows = lines
            .map(|(i, l)| {
                let mut cells: Vec<String> = l.split('\t').map(|c| c.trim().to_string()).collect();
                assert!(
                    cells.len() <= header.len(),
                    "{name}:{}: {} cells, header has {}",
                    i + 1,
                    cells.len(),
                    header.len()
                );
                cells.resize(header.len(), String::new());
                cells
            })
            .collect();
        Table { header, rows }
    }

    /// The index of a column; panics naming the table if it is missing.
    pub fn col(&self, name: &str) -> usize {
        self.header
            .iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("table has no column `{name}` (has {:?})", self.header))
    }
}
