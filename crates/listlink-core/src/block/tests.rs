use super::*;
use crate::prepare::prepare;
use crate::settings::infer;
use crate::settings::parse_rule;
use crate::table::{RecordTable, StrColumn};
use proptest::prelude::*;
use std::collections::BTreeSet;
use std::sync::Mutex;

fn table(source: &str, rows: &[(&str, &str, &str)]) -> RecordTable {
    let headers = ["given_name", "surname", "dob"];
    let mut t = RecordTable {
        path: format!("{source}.csv"),
        headers: headers.iter().map(|s| s.to_string()).collect(),
        ..Default::default()
    };
    t.columns = vec![StrColumn::default(); 3];
    for (i, r) in rows.iter().enumerate() {
        t.sources.push(source);
        t.ids.push(&i.to_string());
        t.lines.push(i as u64 + 2);
        t.columns[0].push(r.0);
        t.columns[1].push(r.1);
        t.columns[2].push(r.2);
    }
    t
}

/// The obvious blocking: every allowed pair, kept if any rule's keys agree.
fn reference(b: &Blocker, f: &Features) -> BTreeSet<(u32, u32)> {
    let mut out = BTreeSet::new();
    for x in 0..f.len() {
        for y in x + 1..f.len() {
            if f.allowed(x, y) && b.rules.iter().any(|r| r.first_shared(x, y).is_some()) {
                out.insert((x as u32, y as u32));
            }
        }
    }
    out
}

fn run(
    tables: &[RecordTable],
    link_type: LinkType,
    rules: &[&str],
    per_rule: Option<usize>,
) -> (Blocker, Features, Vec<(u32, u32)>) {
    let headers: Vec<&[String]> = tables.iter().map(|t| t.headers.as_slice()).collect();
    let (s, _) = infer(&headers).unwrap();
    let sides: Vec<u8> = (0..tables.len()).map(|i| (i > 0) as u8).collect();
    let f = prepare(tables, &sides, &s, link_type);
    let rules = rules.iter().map(|r| parse_rule(r, &s).unwrap()).collect();
    let b = match per_rule {
        None => Blocker::new(rules, &f),
        Some(k) => Blocker::with_groups_per_rule(Blocker::index(rules, &f), &f, k),
    };
    let pairs = b.for_each_pair(&f, &CollectPairs);
    (b, f, pairs)
}

#[test]
fn pairs_from_several_rules_come_once() {
    let t = table(
        "a",
        &[
            ("john", "smith", "1980"),
            ("john", "smith", "1980"),
            ("jon", "smith", "1980"),
            ("x", "y", ""),
        ],
    );
    let (b, f, pairs) = run(
        &[t],
        LinkType::Dedupe,
        &[
            "given_name & family_name",
            "family_name & year(date_of_birth)",
        ],
        None,
    );
    let set: BTreeSet<_> = pairs.iter().copied().collect();
    assert_eq!(set.len(), pairs.len(), "no pair twice");
    assert_eq!(set, [(0, 1), (0, 2), (1, 2)].into_iter().collect());
    // john/smith shares three keys (as written, and read the German and French way): the
    // per-rule count is an upper bound, counted once per shared key; new pairs are exact.
    assert_eq!(b.rules[0].pairs, 3);
    assert_eq!(b.rules[1].pairs, 3);
    assert_eq!(b.new_pairs_per_rule(&f), vec![1, 2]);
}

#[test]
fn sorted_names_catches_swaps_and_link_only_crosses_sources() {
    let a = table("a", &[("john", "smith", ""), ("smith", "john", "")]);
    let b = table("b", &[("Smith", "John", "")]);
    let (_, _, pairs) = run(
        &[a, b],
        LinkType::Link,
        &["sorted_names(given_name, family_name)"],
        None,
    );
    let set: BTreeSet<_> = pairs.into_iter().collect();
    assert_eq!(set, [(0, 2), (1, 2)].into_iter().collect());
}

/// A name of one word meets its rendering in another script whichever of the script's readings
/// comes first (נאני reads nani among others); names of two words key by first readings only.
#[test]
fn sorted_names_keys_a_one_word_name_by_every_reading() {
    let a = table("a", &[("", "Nani", ""), ("", "Jones", "")]);
    let b = table("b", &[("", "נאני", ""), ("", "ג'ונס", "")]);
    let (_, f, pairs) = run(
        &[a, b],
        LinkType::Link,
        &["sorted_names(given_name, family_name)"],
        None,
    );
    let person = f.person.as_ref().unwrap();
    let nani = person.readings[2][0].family[0] as usize;
    assert_ne!(
        person.forms[nani].renderings[0].key, "nani",
        "not the first reading"
    );
    assert!(pairs.contains(&(0, 2)), "{pairs:?}");
    assert!(
        !pairs.contains(&(0, 3)) && !pairs.contains(&(1, 2)),
        "{pairs:?}"
    );
}

#[test]
fn bad_rules_are_explained() {
    let t = table("a", &[]);
    let (s, _) = infer(&[&t.headers]).unwrap();
    assert!(
        parse_rule("nosuch", &s)
            .unwrap_err()
            .contains("no field named `nosuch`")
    );
    assert!(
        parse_rule("foo(surname)", &s)
            .unwrap_err()
            .contains("unknown function `foo`")
    );
    assert!(
        parse_rule("year(surname", &s)
            .unwrap_err()
            .contains("parenthesis")
    );
}

proptest! {
    #[test]
    fn group_lines_tell_shared_keys_exactly(
        rows in proptest::collection::vec(("(john|yohn|[ab]{1,2})", "(smith|schmidt|[xy]{0,2})", "(19[0-1][0-9])?"), 0..30),
        per_rule in 1usize..4,
    ) {
        let refs: Vec<(&str, &str, &str)> = rows.iter().map(|(a, b, c)| (a.as_str(), b.as_str(), c.as_str())).collect();
        let (b, f, _) = run(&[table("a", &refs)], LinkType::Dedupe, &["given_name", "metaphone(given_name) & family_name", "year(date_of_birth)"], Some(per_rule));
        let k = b.groups.per_rule;
        for x in 0..f.len() {
            for y in 0..f.len() {
                if x == y {
                    continue;
                }
                let (lx, ly) = (b.groups.line(x), b.groups.line(y));
                for (r, (gx, gy)) in b.rules.iter().zip(lx.chunks_exact(k).zip(ly.chunks_exact(k))) {
                    let shared = r.first_shared(x, y).is_some();
                    // Without overflow the lines alone tell it, and must tell it right.
                    if let Some(said) = share_group(gx, gy) {
                        prop_assert_eq!(said, shared, "rule {} rows {} {}", r.rule.text, x, y);
                    }
                }
            }
        }
    }

    #[test]
    fn streamed_pairs_equal_the_reference(
        // Names read several ways (john: also yohn, zhohn) give rows several keys, groups
        // with the same rows and rows in several groups.
        rows in proptest::collection::vec(("(john|yohn|[ab]{1,2})", "(smith|schmidt|[xy]{0,2})", "(19[0-1][0-9])?"), 0..40),
        link in 0u8..3,
        threads in 1usize..4,
        // 0: as many groups per rule as a cache line allows; 1 and 2: rows in more groups
        // than that take the key lists' way.
        per_rule in 0usize..3,
    ) {
        let refs: Vec<(&str, &str, &str)> = rows.iter().map(|(a, b, c)| (a.as_str(), b.as_str(), c.as_str())).collect();
        let half = refs.len() / 2;
        let tables = vec![table("a", &refs[..half]), table("b", &refs[half..])];
        let link_type = [LinkType::Dedupe, LinkType::Link, LinkType::Find][link as usize];
        let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
        let out = Mutex::new(None);
        pool.install(|| {
            *out.lock().unwrap() = Some(run(&tables, link_type, &["given_name", "family_name & year(date_of_birth)", "metaphone(given_name)"], (per_rule > 0).then_some(per_rule)));
        });
        let (b, f, pairs) = out.into_inner().unwrap().unwrap();
        let set: BTreeSet<_> = pairs.iter().copied().collect();
        prop_assert_eq!(set.len(), pairs.len());
        prop_assert_eq!(&set, &reference(&b, &f));
        let counted: u64 = b.new_pairs_per_rule(&f).iter().sum();
        prop_assert_eq!(counted as usize, pairs.len());
        // A walk over some first rows gives exactly their candidates; a sample, the
        // candidates of the rows it takes.
        let third = |a: u32| a.is_multiple_of(3);
        let some = FirstRows::Where(&third);
        let sample = FirstRows::Sample { every: 2, seed: 5 };
        for first_rows in [some, sample] {
            let walked = pool.install(|| b.walk(&f, &CollectPairs, first_rows));
            let walked_set: BTreeSet<_> = walked.iter().copied().collect();
            prop_assert_eq!(walked_set.len(), walked.len());
            let expected: BTreeSet<_> = set.iter().copied().filter(|&(a, _)| first_rows.takes(a)).collect();
            prop_assert_eq!(walked_set, expected);
        }
    }

    #[test]
    fn narrowed_indexes_equal_indexing_the_narrowed_rule(
        rows in proptest::collection::vec(("(john|yohn|[ab]{1,2})", "(smith|schmidt|[xy]{0,2})", "(19[0-1][0-9])?"), 0..40),
        rule in 0usize..3,
        key in 0usize..3,
    ) {
        let refs: Vec<(&str, &str, &str)> = rows.iter().map(|(a, b, c)| (a.as_str(), b.as_str(), c.as_str())).collect();
        let rules = ["given_name", "metaphone(given_name) & family_name", "sorted_names(given_name, family_name)"];
        let keys = ["year(date_of_birth)", "initial(family_name)", "metaphone(family_name)"];
        let (b, f, _) = run(&[table("a", &refs)], LinkType::Dedupe, &[rules[rule]], None);
        let headers: Vec<String> = ["given_name", "surname", "dob"].iter().map(|h| h.to_string()).collect();
        let (settings, _) = infer(&[headers.as_slice()]).unwrap();
        let text = format!("{} & {}", rules[rule], keys[key]);
        let whole = Blocker::index(vec![parse_rule(&text, &settings).unwrap()], &f);
        let more = RowKeys::of(&parse_rule(keys[key], &settings).unwrap(), &f);
        let narrowed = Blocker::index_narrowed(vec![(parse_rule(&text, &settings).unwrap(), &b.rules[0], &more)], &f);
        for row in 0..f.len() {
            prop_assert_eq!(whole[0].keys(row), narrowed[0].keys(row), "row {}", row);
        }
        prop_assert_eq!(whole[0].pairs, narrowed[0].pairs);
        prop_assert_eq!(&whole[0].group_starts, &narrowed[0].group_starts);
        prop_assert_eq!(&whole[0].rows, &narrowed[0].rows);
    }
}
