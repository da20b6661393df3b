//! A FEBRL-like generator at any size: one list of people with the ten FEBRL columns, where some
//! people appear several times, each duplicate corrupted as FEBRL's generator does (typing
//! errors, missing values, swapped name parts, changed digits). For scale benchmarks and tests.
//!
//! Values come from the generator's own pools: given names, surnames, street and suburb names
//! are built from syllables and drawn with Zipf-like frequencies, so that common names are
//! common and blocking on a name behaves as on a real register. Postcodes and states follow the
//! suburb. Every person's records are made from a generator seeded by the person's number, so a
//! file of ten million rows is written in a stream, the same on every machine.

use listlink_core::SplitMix64;
use std::io::{self, Write};

/// What to generate.
#[derive(Debug, Clone)]
pub struct FebrlConfig {
    pub seed: u64,
    /// Rows to write (originals and duplicates).
    pub records: usize,
    /// Share of people who have duplicates.
    pub duplicated_share: f64,
    /// Duplicates at most per person (at least one for a duplicated person).
    pub max_duplicates: usize,
    /// Corruptions at most per duplicate (at least one).
    pub max_modifications: usize,
}

impl Default for FebrlConfig {
    fn default() -> Self {
        FebrlConfig {
            seed: 7,
            records: 10_000,
            duplicated_share: 0.4,
            max_duplicates: 5,
            max_modifications: 3,
        }
    }
}

/// The columns written, in order. `truth` is the person's number, shared by an original and its
/// duplicates.
pub const FEBRL_COLUMNS: [&str; 12] = [
    "rec_id",
    "given_name",
    "surname",
    "street_number",
    "address_1",
    "address_2",
    "suburb",
    "postcode",
    "state",
    "date_of_birth",
    "soc_sec_id",
    "truth",
];

const ONSETS: &[&str] = &[
    "", "b", "br", "c", "ch", "d", "f", "g", "gr", "h", "j", "k", "l", "m", "n", "p", "r", "s",
    "sh", "st", "t", "tr", "v", "w", "z",
];
const VOWELS: &[&str] = &["a", "e", "i", "o", "u", "ai", "ea", "ie", "ou", "y"];
const CODAS: &[&str] = &["", "", "n", "r", "l", "s", "th", "nd", "ck", "m", "tt", "x"];
const GIVEN_ENDINGS: &[&str] = &["", "a", "e", "ie", "o", "y", "an", "el", "en", "ia", "ine"];
const SURNAME_ENDINGS: &[&str] = &[
    "", "son", "ton", "ley", "er", "man", "field", "well", "wood", "s", "ford", "ham", "by",
];
const STREET_TYPES: &[&str] = &[
    "street", "road", "avenue", "place", "crescent", "close", "drive", "circuit", "court", "way",
];
const STATES: &[&str] = &["nsw", "vic", "qld", "wa", "sa", "tas", "act", "nt"];
/// How often each state occurs (per thousand), roughly as populations do.
const STATE_WEIGHTS: &[u64] = &[320, 260, 200, 100, 70, 20, 17, 13];
const BUILDINGS: &[&str] = &[
    "villa", "court", "house", "lodge", "gardens", "manor", "park", "towers", "cottage",
];

/// Draws ranks 0..n with weight 1/(rank+1)^s, by binary search on the cumulative weights.
struct Zipf {
    cumulative: Vec<f64>,
}

impl Zipf {
    fn new(n: usize, s: f64) -> Zipf {
        let mut total = 0.0;
        let cumulative = (0..n)
            .map(|i| {
                total += 1.0 / ((i + 1) as f64).powf(s);
                total
            })
            .collect();
        Zipf { cumulative }
    }
    fn draw(&self, rng: &mut Rng) -> usize {
        let x = rng.unit() * self.cumulative.last().copied().unwrap_or(0.0);
        self.cumulative
            .partition_point(|c| *c < x)
            .min(self.cumulative.len() - 1)
    }
}

struct Rng(SplitMix64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0.below(n as u64) as usize
    }
    fn unit(&mut self) -> f64 {
        (self.0.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
    fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }
}

/// A name made of syllables from the rank's digits, so each rank has its own name and the same
/// one on every run. Adjacent ranks differ in their first syllable.
fn syllable_name(mut rank: usize, syllables: usize, endings: &[&str], salt: usize) -> String {
    let mut name = String::new();
    // Mix the rank so that frequent names do not all start alike.
    rank = rank.wrapping_mul(2_654_435_761).wrapping_add(salt) % 1_000_000_007;
    for _ in 0..syllables {
        name.push_str(ONSETS[rank % ONSETS.len()]);
        rank /= ONSETS.len();
        name.push_str(VOWELS[rank % VOWELS.len()]);
        rank /= VOWELS.len();
        name.push_str(CODAS[rank % CODAS.len()]);
        rank /= CODAS.len();
    }
    name.push_str(endings[rank % endings.len()]);
    name
}

struct Pools {
    given: Vec<String>,
    given_zipf: Zipf,
    surname: Vec<String>,
    surname_zipf: Zipf,
    street: Vec<String>,
    street_zipf: Zipf,
    suburb: Vec<String>,
    suburb_zipf: Zipf,
    /// Per suburb: its postcode and state.
    suburb_place: Vec<(u16, usize)>,
}

/// A pool of distinct names: ranks that would repeat a name are skipped.
fn distinct(n: usize, make: impl Fn(usize) -> String) -> Vec<String> {
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::with_capacity(n);
    let mut rank = 0;
    while out.len() < n {
        let name = make(rank);
        rank += 1;
        if name.len() >= 3 && seen.insert(name.clone()) {
            out.push(name);
        }
    }
    out
}

impl Pools {
    fn new(seed: u64) -> Pools {
        let salt = (seed % 1_000_003) as usize;
        let given = distinct(6_000, |r| syllable_name(r, 1 + r % 2, GIVEN_ENDINGS, salt));
        let surname = distinct(150_000, |r| {
            syllable_name(r, 1 + (r % 3).min(1), SURNAME_ENDINGS, salt + 1)
        });
        let street = distinct(30_000, |r| {
            format!(
                "{} {}",
                syllable_name(r, 1 + r % 2, SURNAME_ENDINGS, salt + 2),
                STREET_TYPES[r % STREET_TYPES.len()]
            )
        });
        let suburb = distinct(8_000, |r| syllable_name(r, 2, SURNAME_ENDINGS, salt + 3));
        let mut rng = Rng(SplitMix64::new(seed ^ 0x5EED_F00D));
        let state_total: u64 = STATE_WEIGHTS.iter().sum();
        let suburb_place = (0..suburb.len())
            .map(|_| {
                let mut x = rng.0.below(state_total);
                let mut state = 0;
                while x >= STATE_WEIGHTS[state] {
                    x -= STATE_WEIGHTS[state];
                    state += 1;
                }
                // Postcodes by state, as in Australia: first digit follows the state.
                let first = [2, 3, 4, 6, 5, 7, 2, 0][state] as u16;
                (first * 1000 + rng.below(1000) as u16, state)
            })
            .collect();
        Pools {
            given_zipf: Zipf::new(given.len(), 0.9),
            given,
            surname_zipf: Zipf::new(surname.len(), 0.8),
            surname,
            street_zipf: Zipf::new(street.len(), 0.7),
            street,
            suburb_zipf: Zipf::new(suburb.len(), 0.8),
            suburb,
            suburb_place,
        }
    }
}

/// One record's fields (without rec_id and truth), FEBRL order.
#[derive(Clone)]
struct Fields([String; 10]);

const GIVEN: usize = 0;
const SURNAME: usize = 1;
const STREET_NUMBER: usize = 2;
const ADDRESS_1: usize = 3;
const STATE: usize = 7;
const DOB: usize = 8;

fn original(pools: &Pools, rng: &mut Rng) -> Fields {
    let suburb = pools.suburb_zipf.draw(rng);
    let (postcode, state) = pools.suburb_place[suburb];
    let street_number = if rng.chance(0.7) {
        1 + rng.below(60)
    } else {
        1 + rng.below(2000)
    };
    let address_2 = if rng.chance(0.6) {
        String::new()
    } else if rng.chance(0.5) {
        format!(
            "{} {}",
            pools.surname[rng.below(2_000)],
            BUILDINGS[rng.below(BUILDINGS.len())]
        )
    } else {
        format!("unit {}", 1 + rng.below(40))
    };
    let dob = format!(
        "{}{:02}{:02}",
        1920 + rng.below(90),
        1 + rng.below(12),
        1 + rng.below(28)
    );
    let mut f = Fields([
        pools.given[pools.given_zipf.draw(rng)].clone(),
        pools.surname[pools.surname_zipf.draw(rng)].clone(),
        street_number.to_string(),
        pools.street[pools.street_zipf.draw(rng)].clone(),
        address_2,
        pools.suburb[suburb].clone(),
        format!("{postcode:04}"),
        STATES[state].to_string(),
        dob,
        format!("{:07}", rng.below(10_000_000)),
    ]);
    // Originals have a few missing values too, as in FEBRL.
    for (field, p) in [
        (GIVEN, 0.02),
        (STREET_NUMBER, 0.03),
        (ADDRESS_1, 0.02),
        (DOB, 0.02),
    ] {
        if rng.chance(p) {
            f.0[field].clear();
        }
    }
    f
}

/// One typing error: insert, delete, substitute or transpose a character (letters for words,
/// digits for numbers).
fn typo(value: &mut String, rng: &mut Rng) {
    let digits = !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit());
    let mut bytes: Vec<u8> = value.bytes().collect();
    if bytes.is_empty() {
        return;
    }
    let alphabet: &[u8] = if digits {
        b"0123456789"
    } else {
        b"abcdefghijklmnopqrstuvwxyz"
    };
    let at = rng.below(bytes.len());
    match rng.below(4) {
        0 if !digits => bytes.insert(at, alphabet[rng.below(alphabet.len())]),
        1 if bytes.len() > 2 && !digits => {
            bytes.remove(at);
        }
        2 if bytes.len() > 1 => {
            let at = at.min(bytes.len() - 2);
            bytes.swap(at, at + 1);
        }
        _ => bytes[at] = alphabet[rng.below(alphabet.len())],
    }
    *value = String::from_utf8(bytes).expect("ASCII in, ASCII out");
}

fn duplicate(of: &Fields, pools: &Pools, rng: &mut Rng, max_modifications: usize) -> Fields {
    let mut f = of.clone();
    let n = 1 + rng.below(max_modifications.max(1));
    // A duplicate always differs: a change that changed nothing (a value cleared that was
    // empty, two equal letters swapped) is followed by another.
    let mut done = 0;
    while done < n || f.0 == of.0 {
        done += 1;
        let field = rng.below(10);
        match rng.below(10) {
            // Missing value.
            0 => f.0[field].clear(),
            // Given and surname swapped.
            1 if field <= SURNAME => f.0.swap(GIVEN, SURNAME),
            // Another street number or address line, as after a move within the suburb.
            2 if field == ADDRESS_1 => {
                f.0[ADDRESS_1] = pools.street[pools.street_zipf.draw(rng)].clone()
            }
            // A state field left empty rather than mistyped.
            _ if field == STATE => f.0[STATE].clear(),
            _ => typo(&mut f.0[field], rng),
        }
    }
    f
}

/// Writes the list as CSV; returns (rows, true pairs).
pub fn write_febrl(config: &FebrlConfig, out: &mut impl Write) -> io::Result<(u64, u64)> {
    let pools = Pools::new(config.seed);
    let mut line = String::new();
    line.push_str(&FEBRL_COLUMNS.join(","));
    line.push('\n');
    out.write_all(line.as_bytes())?;
    // Rows are shuffled within windows of this many, so duplicates do not sit together.
    const WINDOW: usize = 65_536;
    let mut window: Vec<String> = Vec::with_capacity(WINDOW + 8);
    let mut shuffle = Rng(SplitMix64::new(config.seed ^ 0xD1CE));
    let (mut rows, mut true_pairs) = (0u64, 0u64);
    let mut person = 0usize;
    let flush = |window: &mut Vec<String>, shuffle: &mut Rng, out: &mut dyn Write| {
        for i in (1..window.len()).rev() {
            window.swap(i, shuffle.below(i + 1));
        }
        for row in window.drain(..) {
            out.write_all(row.as_bytes())?;
        }
        io::Result::Ok(())
    };
    while (rows as usize) < config.records {
        let mut rng = Rng(SplitMix64::new(
            config.seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ person as u64,
        ));
        let org = original(&pools, &mut rng);
        let left = config.records - rows as usize;
        let dups = if rng.chance(config.duplicated_share) {
            (1 + rng.below(config.max_duplicates.max(1))).min(left - 1)
        } else {
            0
        };
        let mut push = |label: String, f: &Fields| {
            let mut row = String::with_capacity(128);
            row.push_str(&label);
            for value in &f.0 {
                row.push(',');
                row.push_str(value);
            }
            row.push(',');
            row.push_str(&person.to_string());
            row.push('\n');
            window.push(row);
        };
        push(format!("rec-{person}-org"), &org);
        for d in 0..dups {
            let dup = duplicate(&org, &pools, &mut rng, config.max_modifications);
            push(format!("rec-{person}-dup-{d}"), &dup);
        }
        let size = 1 + dups as u64;
        rows += size;
        true_pairs += size * (size - 1) / 2;
        person += 1;
        if window.len() >= WINDOW {
            flush(&mut window, &mut shuffle, out)?;
        }
    }
    flush(&mut window, &mut shuffle, out)?;
    Ok((rows, true_pairs))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn generate(config: &FebrlConfig) -> (String, u64, u64) {
        let mut out = Vec::new();
        let (rows, pairs) = write_febrl(config, &mut out).unwrap();
        (String::from_utf8(out).unwrap(), rows, pairs)
    }

    #[test]
    fn same_seed_same_bytes_and_exact_row_count() {
        let config = FebrlConfig {
            records: 3_000,
            ..Default::default()
        };
        let (a, rows, pairs) = generate(&config);
        assert_eq!(a, generate(&config).0);
        assert_eq!(rows, 3_000);
        assert_eq!(a.lines().count(), 3_001);
        let other = generate(&FebrlConfig {
            seed: 8,
            ..config.clone()
        });
        assert_ne!(a, other.0);
        // Truth pairs reconcile with the truth column.
        let mut sizes = std::collections::HashMap::<&str, u64>::new();
        for line in a.lines().skip(1) {
            let fields: Vec<&str> = line.split(',').collect();
            assert_eq!(fields.len(), FEBRL_COLUMNS.len(), "{line}");
            *sizes.entry(fields[11]).or_default() += 1;
        }
        let counted: u64 = sizes.values().map(|n| n * (n - 1) / 2).sum();
        assert_eq!(counted, pairs);
        // About 40% of people are duplicated, 1–5 times each (3 on average): 2.2 rows a person.
        let people = sizes.len() as f64;
        assert!((1_150.0..1_600.0).contains(&people), "{people} people");
    }

    #[test]
    fn duplicates_differ_from_their_original_but_not_by_much() {
        let (text, _, _) = generate(&FebrlConfig {
            records: 2_000,
            ..Default::default()
        });
        let mut by_person = std::collections::HashMap::<String, Vec<Vec<String>>>::new();
        for line in text.lines().skip(1) {
            let f: Vec<String> = line.split(',').map(str::to_string).collect();
            by_person.entry(f[11].clone()).or_default().push(f);
        }
        let mut compared = 0;
        for records in by_person.values() {
            let org = records.iter().find(|r| r[0].ends_with("-org")).unwrap();
            for dup in records.iter().filter(|r| r[0].contains("-dup-")) {
                let differing = (1..11).filter(|&i| org[i] != dup[i]).count();
                assert!((1..=6).contains(&differing), "{org:?} vs {dup:?}");
                compared += 1;
            }
        }
        assert!(compared > 500, "{compared} duplicates");
    }

    #[test]
    fn names_have_skewed_frequencies() {
        let (text, _, _) = generate(&FebrlConfig {
            records: 20_000,
            duplicated_share: 0.0,
            ..Default::default()
        });
        let mut counts = std::collections::HashMap::<&str, usize>::new();
        for line in text.lines().skip(1) {
            *counts.entry(line.split(',').nth(1).unwrap()).or_default() += 1;
        }
        let mut freq: Vec<usize> = counts.values().copied().collect();
        freq.sort_unstable_by(|a, b| b.cmp(a));
        // The commonest given name is common, yet no single name dominates, and many are rare.
        assert!(freq[0] > 500 && freq[0] < 4_000, "top {}", freq[0]);
        assert!(freq.len() > 1_500, "{} distinct", freq.len());
    }
}
