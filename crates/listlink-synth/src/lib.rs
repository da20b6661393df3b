//! A deterministic generator of synthetic person lists with known truth: a consular list and a
//! roster from several sources, the roster holding some of the consular list's people again —
//! misspelt, reordered, with ages for dates of birth — among namesakes and relatives.
//!
//! Same configuration and seed → byte-identical files. No real person's data is involved: names
//! are drawn from tables of common names, dates at random.

use listlink_core::model::SplitMix64;

/// What to generate.
#[derive(Debug, Clone)]
pub struct Config {
    pub seed: u64,
    /// People on the consular list.
    pub consular: usize,
    /// Other people on the roster only.
    pub roster_only: usize,
    /// Share of consular people who appear on the roster.
    pub overlap: f64,
    /// Roster sources.
    pub sources: Vec<String>,
    /// The date ages are counted at (year, month, day).
    pub as_of: (u16, u8, u8),
}

impl Default for Config {
    fn default() -> Self {
        Config {
            seed: 7,
            consular: 300,
            roster_only: 900,
            overlap: 0.6,
            sources: vec!["hospital".into(), "police".into(), "ngo".into()],
            as_of: (2026, 1, 1),
        }
    }
}

const MALE: &[&str] = &[
    "Aleksandr",
    "Sergei",
    "Dmitrii",
    "Andrei",
    "Aleksei",
    "Maksim",
    "Evgenii",
    "Ivan",
    "Mikhail",
    "Artem",
    "Nikolai",
    "Vladimir",
    "Pavel",
    "Roman",
    "Oleg",
    "Igor",
    "Viktor",
    "Iurii",
    "Konstantin",
    "Anton",
    "Denis",
    "Vadim",
    "Boris",
    "Grigorii",
    "Leonid",
    "Stanislav",
    "Timur",
    "Egor",
    "Kirill",
    "Fedor",
    "Ilia",
    "Petr",
    "Semen",
    "Iakov",
    "Lev",
    "David",
    "Daniel",
    "Michael",
    "John",
    "James",
    "Robert",
    "William",
    "Thomas",
    "Joseph",
    "Yosef",
    "Moshe",
    "Avraham",
    "Yitzhak",
    "Muhammad",
    "Ahmad",
    "Omar",
    "Yusuf",
    "Ali",
    "Hassan",
    "Ibrahim",
    "Khalid",
];
const FEMALE: &[&str] = &[
    "Elena",
    "Olga",
    "Natalia",
    "Tatiana",
    "Irina",
    "Svetlana",
    "Anna",
    "Mariia",
    "Ekaterina",
    "Iuliia",
    "Anastasiia",
    "Galina",
    "Liudmila",
    "Valentina",
    "Larisa",
    "Nina",
    "Vera",
    "Sofia",
    "Polina",
    "Daria",
    "Kseniia",
    "Alina",
    "Viktoriia",
    "Margarita",
    "Zoia",
    "Raisa",
    "Inna",
    "Alla",
    "Sarah",
    "Rachel",
    "Miriam",
    "Leah",
    "Esther",
    "Mary",
    "Elizabeth",
    "Jennifer",
    "Linda",
    "Fatima",
    "Aisha",
    "Maryam",
    "Layla",
    "Noura",
];
const FAMILY: &[&str] = &[
    "Ivanov",
    "Smirnov",
    "Kuznetsov",
    "Popov",
    "Vasilev",
    "Petrov",
    "Sokolov",
    "Mikhailov",
    "Novikov",
    "Fedorov",
    "Morozov",
    "Volkov",
    "Alekseev",
    "Lebedev",
    "Semenov",
    "Egorov",
    "Pavlov",
    "Kozlov",
    "Stepanov",
    "Nikolaev",
    "Orlov",
    "Andreev",
    "Makarov",
    "Nikitin",
    "Zakharov",
    "Zaitsev",
    "Soloviev",
    "Borisov",
    "Iakovlev",
    "Grigorev",
    "Romanov",
    "Vorobev",
    "Sergeev",
    "Kuzmin",
    "Frolov",
    "Aleksandrov",
    "Dmitriev",
    "Korolev",
    "Gusev",
    "Kiselev",
    "Ilin",
    "Maksimov",
    "Poliakov",
    "Sorokin",
    "Vinogradov",
    "Kovalev",
    "Belov",
    "Medvedev",
    "Antonov",
    "Tarasov",
    "Zhukov",
    "Baranov",
    "Filippov",
    "Komarov",
    "Davydov",
    "Beliaev",
    "Gerasimov",
    "Bogdanov",
    "Osipov",
    "Sidorov",
    "Shuliapov",
    "Rabinovich",
    "Kogan",
    "Levin",
    "Friedman",
    "Katz",
    "Cohen",
    "Levi",
    "Mizrahi",
    "Peretz",
    "Biton",
    "Smith",
    "Johnson",
    "Brown",
    "Taylor",
    "Wilson",
    "Haddad",
    "Khoury",
    "Nasser",
    "Mansour",
    "Saleh",
    "Hamdan",
];
const PLACES: &[&str] = &[
    "Moscow",
    "Saint Petersburg",
    "Novosibirsk",
    "Yekaterinburg",
    "Kazan",
    "Tel Aviv",
    "Haifa",
    "Jerusalem",
    "Ashdod",
    "Netanya",
    "Beersheba",
    "Eilat",
    "Nazareth",
    "Amman",
    "Beirut",
    "London",
    "Paris",
    "Berlin",
];
const CITIZENSHIPS: &[&str] = &["ru", "ru;il", "il", "ru;de", "ua", "by", "ru;us"];

/// A generated person.
#[derive(Debug, Clone)]
struct Person {
    given: String,
    family: String,
    sex: char,
    dob: (u16, u8, u8),
    citizenship: &'static str,
    place: &'static str,
}

struct Gen {
    rng: SplitMix64,
}

impl Gen {
    fn below(&mut self, n: usize) -> usize {
        self.rng.below(n as u64) as usize
    }
    fn chance(&mut self, p: f64) -> bool {
        (self.rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64 <= p
    }
    fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[self.below(xs.len())]
    }

    fn person(&mut self) -> Person {
        let sex = if self.chance(0.5) { 'M' } else { 'F' };
        let given = if sex == 'M' {
            self.pick(MALE)
        } else {
            self.pick(FEMALE)
        }
        .to_string();
        let family = feminine(self.pick(FAMILY), sex);
        let dob = (
            1940 + self.below(66) as u16,
            1 + self.below(12) as u8,
            1 + self.below(28) as u8,
        );
        Person {
            given,
            family,
            sex,
            dob,
            citizenship: self.pick(CITIZENSHIPS),
            place: self.pick(PLACES),
        }
    }

    /// A relative: same family name, another given name and date of birth (a hard negative).
    fn relative(&mut self, of: &Person) -> Person {
        let mut p = self.person();
        p.family = feminine(&masculine(&of.family), p.sex);
        p.place = of.place;
        p.citizenship = of.citizenship;
        p
    }

    /// A namesake: same names, another date of birth (a hard negative).
    fn namesake(&mut self, of: &Person) -> Person {
        let mut p = self.person();
        p.given = of.given.clone();
        p.family = of.family.clone();
        p.sex = of.sex;
        p
    }

    fn typo(&mut self, s: &str) -> String {
        let mut chars: Vec<char> = s.chars().collect();
        if chars.len() < 3 {
            return s.to_string();
        }
        let i = 1 + self.below(chars.len() - 1);
        match self.below(4) {
            0 => {
                chars.remove(i);
            }
            1 => chars.insert(i, chars[i - 1]),
            2 => chars.swap(i - 1, i),
            _ => chars[i] = ['a', 'e', 'i', 'o', 'u', 'y'][self.below(6)],
        }
        chars.into_iter().collect()
    }
}

fn feminine(family: &str, sex: char) -> String {
    if sex == 'F' && (family.ends_with("ov") || family.ends_with("ev") || family.ends_with("in")) {
        format!("{family}a")
    } else {
        family.to_string()
    }
}

fn masculine(family: &str) -> String {
    family
        .strip_suffix('a')
        .filter(|f| f.ends_with("ov") || f.ends_with("ev") || f.ends_with("in"))
        .unwrap_or(family)
        .to_string()
}

fn date(d: (u16, u8, u8)) -> String {
    format!("{:04}-{:02}-{:02}", d.0, d.1, d.2)
}

fn age(dob: (u16, u8, u8), at: (u16, u8, u8)) -> u16 {
    let mut a = at.0 - dob.0;
    if (at.1, at.2) < (dob.1, dob.2) {
        a -= 1;
    }
    a
}

fn csv_line(fields: &[&str]) -> String {
    let quoted: Vec<String> = fields
        .iter()
        .map(|f| {
            if f.contains([',', '"', '\n']) {
                format!("\"{}\"", f.replace('"', "\"\""))
            } else {
                f.to_string()
            }
        })
        .collect();
    quoted.join(",") + "\n"
}

/// The generated lists as CSV text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lists {
    /// `consular.csv`: id, given_name, surname, sex, date_of_birth, citizenship, truth.
    pub consular: String,
    /// `roster.csv`: record_id, source, first_name, last_name, gender, dob, age, city, truth.
    pub roster: String,
}

/// Generates the two lists.
pub fn generate(config: &Config) -> Lists {
    let mut g = Gen {
        rng: SplitMix64::new(config.seed),
    };
    let people: Vec<Person> = (0..config.consular).map(|_| g.person()).collect();
    let mut consular = csv_line(&[
        "id",
        "given_name",
        "surname",
        "sex",
        "date_of_birth",
        "citizenship",
        "truth",
    ]);
    for (i, p) in people.iter().enumerate() {
        let id = format!("C{:05}", i + 1);
        let truth = format!("P{:05}", i + 1);
        consular.push_str(&csv_line(&[
            &id,
            &p.given,
            &p.family,
            &p.sex.to_string(),
            &date(p.dob),
            p.citizenship,
            &truth,
        ]));
    }
    // The roster: overlapping people (1–2 records each, noisy), their relatives and namesakes,
    // and people of its own.
    let mut roster_people: Vec<(Person, String)> = Vec::new();
    for (i, p) in people.iter().enumerate() {
        let truth = format!("P{:05}", i + 1);
        if g.chance(config.overlap) {
            let copies = if g.chance(0.3) { 2 } else { 1 };
            for _ in 0..copies {
                roster_people.push((p.clone(), truth.clone()));
            }
        }
        if g.chance(0.15) {
            roster_people.push((g.relative(p), format!("R{:05}", roster_people.len() + 1)));
        }
        if g.chance(0.05) {
            roster_people.push((g.namesake(p), format!("N{:05}", roster_people.len() + 1)));
        }
    }
    for i in 0..config.roster_only {
        roster_people.push((g.person(), format!("O{:05}", i + 1)));
    }
    // Shuffle deterministically so the roster's order says nothing.
    for i in (1..roster_people.len()).rev() {
        let j = g.below(i + 1);
        roster_people.swap(i, j);
    }
    let mut roster = csv_line(&[
        "record_id",
        "source",
        "first_name",
        "last_name",
        "gender",
        "dob",
        "age",
        "city",
        "truth",
    ]);
    for (n, (p, truth)) in roster_people.iter().enumerate() {
        let source = &config.sources[g.below(config.sources.len())];
        let mut given = p.given.clone();
        let mut family = p.family.clone();
        if g.chance(0.2) {
            given = g.typo(&given);
        }
        if g.chance(0.2) {
            family = g.typo(&family);
        }
        if g.chance(0.1) {
            family = family.to_uppercase();
        }
        if g.chance(0.05) {
            std::mem::swap(&mut given, &mut family);
        }
        if g.chance(0.05) {
            given.clear();
        }
        let mut dob = p.dob;
        if g.chance(0.05) && dob.2 <= 12 {
            dob = (dob.0, dob.2, dob.1);
        } else if g.chance(0.05) {
            dob.2 = 1 + ((dob.2 + 1 + g.below(3) as u8) % 28);
        }
        let (dob_text, age_text) = if g.chance(0.25) {
            (String::new(), age(p.dob, config.as_of).to_string())
        } else {
            (date(dob), String::new())
        };
        let sex = if g.chance(0.1) {
            String::new()
        } else {
            p.sex.to_string()
        };
        let place = if g.chance(0.3) { "" } else { p.place };
        let id = format!("{}-{:05}", &source[..1].to_uppercase(), n + 1);
        roster.push_str(&csv_line(&[
            &id, source, &given, &family, &sex, &dob_text, &age_text, place, truth,
        ]));
    }
    Lists { consular, roster }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_lists_other_seed_other_lists() {
        let a = generate(&Config::default());
        assert_eq!(a, generate(&Config::default()));
        let b = generate(&Config {
            seed: 8,
            ..Config::default()
        });
        assert_ne!(a, b);
        assert_eq!(a.consular.lines().count(), 301);
        assert!(a.roster.lines().count() > 1000);
    }

    #[test]
    fn roster_shares_people_with_the_consular_list() {
        let lists = generate(&Config::default());
        let truth = |text: &str| -> std::collections::BTreeSet<String> {
            text.lines()
                .skip(1)
                .map(|l| l.rsplit(',').next().unwrap().to_string())
                .collect()
        };
        let shared = truth(&lists.consular)
            .intersection(&truth(&lists.roster))
            .count();
        assert!((150..=210).contains(&shared), "{shared}");
    }
}
