//! Tidy checks of `listlink-core`'s shape, which the compiler does not enforce: each stage
//! module uses only the modules ARCHITECTURE.md allows it, the modules' uses form no cycle,
//! files and functions stay short enough to read, and few modules are public. Tests (a
//! module's `tests.rs`, or its `#[cfg(test)] mod tests { … }`) may use anything.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

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

/// Every source file under `src`, with its path relative to `src`.
fn files() -> Vec<(String, String)> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    let mut paths = Vec::new();
    walk(&src(), &mut paths);
    paths.sort();
    paths
        .into_iter()
        .map(|p| {
            let name = p
                .strip_prefix(src())
                .unwrap()
                .to_string_lossy()
                .into_owned();
            (name, std::fs::read_to_string(&p).unwrap())
        })
        .collect()
}

/// Each module of the crate (a file `src/x.rs` or a folder `src/x/`) with its code, tests left
/// out.
fn modules() -> BTreeMap<String, String> {
    let mut modules: BTreeMap<String, String> = BTreeMap::new();
    for (name, text) in files() {
        let module = name.split(['/', '.']).next().unwrap().to_string();
        if module == "lib" || name.ends_with("/tests.rs") {
            continue;
        }
        let code = match text.find("#[cfg(test)]\nmod tests {") {
            Some(at) => &text[..at],
            None => &text[..],
        };
        modules.entry(module).or_default().push_str(code);
    }
    modules
}

/// The crate's modules each module's code names (`crate::x`), itself left out.
fn uses() -> BTreeMap<String, BTreeSet<String>> {
    modules()
        .into_iter()
        .map(|(module, code)| {
            let used = code
                .match_indices("crate::")
                .map(|(i, _)| {
                    code[i + 7..]
                        .chars()
                        .take_while(|c| c.is_ascii_lowercase() || *c == '_')
                        .collect::<String>()
                })
                .filter(|used| !used.is_empty() && *used != module)
                .collect();
            (module, used)
        })
        .collect()
}

#[test]
fn stages_use_only_the_modules_they_are_allowed() {
    let allowed_table = allowed();
    assert!(allowed_table.len() >= 10, "{allowed_table:?}");
    let mut problems = Vec::new();
    let uses = uses();
    for (module, used) in &uses {
        let Some((_, allowed)) = allowed_table.iter().find(|(m, _)| m == module) else {
            problems.push(format!(
                "module `{module}` is not in the table: add it to ARCHITECTURE.md"
            ));
            continue;
        };
        for u in used.iter().filter(|u| !allowed.contains(u)) {
            problems.push(format!(
                "{module} uses crate::{u}, which ARCHITECTURE.md does not allow it"
            ));
        }
    }
    for (module, _) in &allowed_table {
        if !uses.contains_key(module) {
            problems.push(format!("module `{module}` of the table does not exist"));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// The cycles of a graph of uses, each as its path of modules (empty: none).
fn cycles(uses: &BTreeMap<String, BTreeSet<String>>) -> Vec<Vec<String>> {
    fn visit(
        m: &str,
        uses: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
        found: &mut Vec<Vec<String>>,
    ) {
        if let Some(at) = path.iter().position(|p| p == m) {
            let mut cycle = path[at..].to_vec();
            cycle.push(m.to_string());
            found.push(cycle);
            return;
        }
        if !done.insert(m.to_string()) {
            return;
        }
        path.push(m.to_string());
        for u in uses.get(m).into_iter().flatten() {
            visit(u, uses, path, done, found);
        }
        path.pop();
    }
    let (mut done, mut found) = (BTreeSet::new(), Vec::new());
    for m in uses.keys() {
        visit(m, uses, &mut Vec::new(), &mut done, &mut found);
    }
    found
}

#[test]
fn modules_use_each_other_without_a_cycle() {
    let found = cycles(&uses());
    assert!(
        found.is_empty(),
        "modules that use each other: {}",
        found
            .iter()
            .map(|c| c.join(" → "))
            .collect::<Vec<_>>()
            .join("; ")
    );
}

/// The check itself finds a cycle where there is one.
#[test]
fn a_cycle_of_uses_is_found() {
    let graph = |edges: &[(&str, &str)]| {
        let mut uses: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for (a, b) in edges {
            uses.entry(a.to_string()).or_default().insert(b.to_string());
            uses.entry(b.to_string()).or_default();
        }
        uses
    };
    assert!(cycles(&graph(&[("a", "b"), ("b", "c"), ("a", "c")])).is_empty());
    let found = cycles(&graph(&[("a", "b"), ("b", "c"), ("c", "a")]));
    assert_eq!(found, vec![vec!["a", "b", "c", "a"]]);
}

#[test]
fn no_source_file_is_over_800_lines() {
    let long: Vec<String> = files()
        .into_iter()
        .map(|(name, text)| (name, text.lines().count()))
        .filter(|(_, lines)| *lines > 800)
        .map(|(name, lines)| format!("src/{name}: {lines} lines"))
        .collect();
    assert!(long.is_empty(), "{}", long.join("\n"));
}

/// Functions with their line counts: from the `fn` line to the closing brace at its indent
/// (sources are formatted by rustfmt, which puts it there).
fn function_lengths(text: &str) -> Vec<(String, usize)> {
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let trimmed = line.trim_start();
        let indent = line.len() - trimmed.len();
        let after_qualifiers = trimmed
            .trim_start_matches("pub(crate) ")
            .trim_start_matches("pub(super) ")
            .trim_start_matches("pub ")
            .trim_start_matches("const ")
            .trim_start_matches("unsafe ");
        let Some(rest) = after_qualifiers.strip_prefix("fn ") else {
            continue;
        };
        let name: String = rest
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        let close = format!("{}}}", " ".repeat(indent));
        // A declaration without a body (a trait's) ends in `;` before any `{`.
        let body = lines[i..]
            .iter()
            .position(|l| l.ends_with('{') || l.ends_with(';'))
            .is_some_and(|k| lines[i + k].ends_with('{'));
        if !body || line.ends_with('}') {
            continue;
        }
        if let Some(end) = lines[i + 1..].iter().position(|l| *l == close) {
            out.push((name, end + 2));
        }
    }
    out
}

#[test]
fn no_function_is_over_150_lines() {
    let mut long = Vec::new();
    for (name, text) in files() {
        for (function, lines) in function_lengths(&text) {
            if lines > 150 {
                long.push(format!("src/{name}: fn {function} is {lines} lines"));
            }
        }
    }
    assert!(long.is_empty(), "{}", long.join("\n"));
    // The measure itself counts a function's lines.
    let sample = "pub fn f() {\n    let x = 1;\n}\n\nimpl A {\n    fn g(&self) {}\n    fn h(\n        &self,\n    ) {\n        x();\n    }\n}\n";
    assert_eq!(
        function_lengths(sample),
        vec![("f".to_string(), 3), ("h".to_string(), 5)]
    );
}

/// What the crate shows the world: at most eight public modules (the bench feature's aside).
#[test]
fn at_most_eight_modules_are_public() {
    let lib = std::fs::read_to_string(src().join("lib.rs")).unwrap();
    let lines: Vec<&str> = lib.lines().collect();
    let public: Vec<&str> = lines
        .iter()
        .enumerate()
        .filter(|(i, l)| {
            let for_bench = *i > 0 && lines[i - 1].contains("feature = \"bench\"");
            l.starts_with("pub mod ") && !for_bench
        })
        .map(|(_, l)| *l)
        .collect();
    assert!(
        public.len() <= 8,
        "{} public modules: {public:?}",
        public.len()
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
