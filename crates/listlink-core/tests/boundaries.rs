//! Tidy check: each stage module uses only the modules ARCHITECTURE.md allows it. Module
//! boundaries inside a crate are not enforced by the compiler; this test keeps them visible.
//! Tests inside a module (after `#[cfg(test)]`) may use anything.

use std::collections::BTreeSet;
use std::path::Path;

const ALLOWED: &[(&str, &[&str])] = &[
    ("table", &[]),
    ("error", &[]),
    (
        "settings",
        &["error", "block", "compare", "prepare", "table"],
    ),
    ("delimited", &[]),
    ("ingest", &["table", "error", "delimited"]),
    ("prepare", &["table", "settings", "error"]),
    ("block", &["prepare", "settings"]),
    ("compare", &["prepare", "settings"]),
    ("model", &["compare", "prepare", "block", "error"]),
    ("score", &["model", "compare", "prepare", "settings"]),
    ("cluster", &["table"]),
    ("evaluate", &[]),
    (
        "export",
        &[
            "pipeline", "score", "ingest", "error", "prepare", "settings",
        ],
    ),
    (
        "pipeline",
        &[
            "block", "cluster", "compare", "error", "model", "prepare", "score", "settings",
            "table",
        ],
    ),
];

#[test]
fn stages_use_only_the_modules_they_are_allowed() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut problems = Vec::new();
    let mut seen = BTreeSet::new();
    for entry in std::fs::read_dir(&src).unwrap() {
        let path = entry.unwrap().path();
        let module = path.file_stem().unwrap().to_str().unwrap().to_string();
        if module == "lib" {
            continue;
        }
        let Some((_, allowed)) = ALLOWED.iter().find(|(m, _)| *m == module) else {
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
            if !used.is_empty() && used != module && !allowed.contains(&used.as_str()) {
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
        ALLOWED.len(),
        "every module in the table exists"
    );
}
