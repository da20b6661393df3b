//! Tidy check: each stage module uses only the modules ARCHITECTURE.md allows it. Module
//! boundaries inside a crate are not enforced by the compiler; this test keeps them visible.
//! Tests inside a module (after `#[cfg(test)]`) may use anything.

use std::collections::BTreeSet;
use std::path::Path;

/// The module table of `ARCHITECTURE.md` (section "Modules of `listlink-core`"): each module
/// with the modules it may use, read from the doc itself so that the two cannot drift apart.
fn allowed() -> Vec<(String, Vec<String>)> {
    let doc = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../ARCHITECTURE.md");
    let text = std::fs::read_to_string(&doc).unwrap();
    let section = text
        .split("\n## ")
        .find(|s| s.starts_with("Modules of `listlink-core`"))
        .expect("ARCHITECTURE.md has a section \"Modules of `listlink-core`\"");
    let ticked = |cell: &str| -> Vec<String> {
        cell.split('`')
            .skip(1)
            .step_by(2)
            .map(str::to_string)
            .collect()
    };
    section
        .lines()
        .filter(|l| l.starts_with("| `"))
        .map(|row| {
            let cells: Vec<&str> = row.trim_matches('|').split('|').map(str::trim).collect();
            let module = ticked(cells[0]).remove(0);
            (module, ticked(cells.last().expect("a may-use cell")))
        })
        .collect()
}

#[test]
fn stages_use_only_the_modules_they_are_allowed() {
    let allowed_table = allowed();
    assert!(allowed_table.len() >= 10, "{allowed_table:?}");
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut problems = Vec::new();
    let mut seen = BTreeSet::new();
    for entry in std::fs::read_dir(&src).unwrap() {
        let path = entry.unwrap().path();
        let module = path.file_stem().unwrap().to_str().unwrap().to_string();
        if module == "lib" {
            continue;
        }
        let Some((_, allowed)) = allowed_table.iter().find(|(m, _)| *m == module) else {
            problems.push(format!(
                "src/{module}.rs is not in the table: add it here and to ARCHITECTURE.md"
            ));
            continue;
        };
        seen.insert(module.clone());
        let text = std::fs::read_to_string(&path).unwrap();
        let code = text.split("#[cfg(test)]").next().unwrap();
        for (i, _) in code.match_indices("crate::") {
            let used: String = code[i + 7..]
                .chars()
                .take_while(|c| c.is_ascii_lowercase() || *c == '_')
                .collect();
            if !used.is_empty() && used != module && !allowed.contains(&used) {
                problems.push(format!(
                    "{module} uses crate::{used}, which ARCHITECTURE.md does not allow it"
                ));
            }
        }
    }
    problems.sort();
    problems.dedup();
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    assert_eq!(
        seen.len(),
        allowed_table.len(),
        "every module in the table exists"
    );
}

/// The map stays short enough to read in one sitting.
#[test]
fn the_architecture_map_is_at_most_1500_words() {
    let doc = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../ARCHITECTURE.md");
    let words = std::fs::read_to_string(doc)
        .unwrap()
        .split_whitespace()
        .count();
    assert!(words <= 1500, "ARCHITECTURE.md has {words} words");
}
