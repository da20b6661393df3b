//! A deterministic generator of synthetic person lists with known truth, across scripts: a
//! consular list (names in Cyrillic, or in passport Latin) and a roster from several sources, in
//! Hebrew, Arabic and ad-hoc Latin, holding some of the consular list's people again —
//! transliterated by rules of the generator's own, misspelt, reordered, with diminutives, dropped
//! patronymics and ages for dates of birth — among namesakes and relatives.
//!
//! Same configuration and seed → byte-identical files. No real person's data is involved: names
//! are drawn from tables of common names, dates at random. The rules vary with the seed (which
//! renderings a source prefers), so that no one generator is tuned to.

pub mod febrl;
pub mod origins;
mod render;

use listlink_core::SplitMix64;
use origins::{Foreign, MIXED, Pools};
use render::{Style, to_arabic, to_hebrew, to_latin};

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
    /// The date ages are counted at (year, month, day).
    pub as_of: (u16, u8, u8),
    /// People of several origins (Russian, Israeli Hebrew, Arabic, Western European, Ashkenazi,
    /// Georgian/Armenian: [`origins`]), each written natively in its own lists' script; else
    /// Russian names only.
    pub mixed_origins: bool,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            seed: 7,
            consular: 300,
            roster_only: 4500,
            overlap: 0.6,
            as_of: (2026, 1, 1),
            mixed_origins: false,
        }
    }
}

// Given names in Cyrillic with a diminutive each (the generator's own; the matcher's variant
// table is separate data).
const MALE: &[(&str, &str)] = &[
    ("Александр", "Саша"),
    ("Сергей", "Серёжа"),
    ("Дмитрий", "Дима"),
    ("Андрей", "Андрюша"),
    ("Алексей", "Лёша"),
    ("Максим", "Макс"),
    ("Евгений", "Женя"),
    ("Иван", "Ваня"),
    ("Михаил", "Миша"),
    ("Артём", "Тёма"),
    ("Николай", "Коля"),
    ("Владимир", "Володя"),
    ("Павел", "Паша"),
    ("Роман", "Рома"),
    ("Олег", "Олег"),
    ("Игорь", "Игорь"),
    ("Виктор", "Витя"),
    ("Юрий", "Юра"),
    ("Константин", "Костя"),
    ("Антон", "Антон"),
    ("Денис", "Денис"),
    ("Вадим", "Вадим"),
    ("Борис", "Боря"),
    ("Григорий", "Гриша"),
    ("Леонид", "Лёня"),
    ("Станислав", "Стас"),
    ("Егор", "Егор"),
    ("Кирилл", "Кирилл"),
    ("Фёдор", "Федя"),
    ("Илья", "Илья"),
    ("Пётр", "Петя"),
    ("Семён", "Сёма"),
    ("Яков", "Яша"),
    ("Лев", "Лёва"),
    ("Давид", "Давид"),
    ("Иосиф", "Ося"),
    ("Моисей", "Моисей"),
    ("Исаак", "Изя"),
    ("Абрам", "Абрам"),
    ("Марк", "Марк"),
    ("Эдуард", "Эдик"),
    ("Геннадий", "Гена"),
    ("Валерий", "Валера"),
    ("Вячеслав", "Слава"),
    ("Тимур", "Тимур"),
    ("Руслан", "Руслан"),
];
const FEMALE: &[(&str, &str)] = &[
    ("Елена", "Лена"),
    ("Ольга", "Оля"),
    ("Наталья", "Наташа"),
    ("Татьяна", "Таня"),
    ("Ирина", "Ира"),
    ("Светлана", "Света"),
    ("Анна", "Аня"),
    ("Мария", "Маша"),
    ("Екатерина", "Катя"),
    ("Юлия", "Юля"),
    ("Анастасия", "Настя"),
    ("Галина", "Галя"),
    ("Людмила", "Люда"),
    ("Валентина", "Валя"),
    ("Лариса", "Лара"),
    ("Нина", "Нина"),
    ("Вера", "Вера"),
    ("Софья", "Соня"),
    ("Полина", "Поля"),
    ("Дарья", "Даша"),
    ("Ксения", "Ксюша"),
    ("Алина", "Алина"),
    ("Виктория", "Вика"),
    ("Маргарита", "Рита"),
    ("Зоя", "Зоя"),
    ("Раиса", "Рая"),
    ("Инна", "Инна"),
    ("Алла", "Алла"),
    ("Сара", "Сара"),
    ("Рахиль", "Рахиль"),
    ("Мирьям", "Мирьям"),
    ("Эсфирь", "Фира"),
    ("Евгения", "Женя"),
    ("Александра", "Саша"),
    ("Любовь", "Люба"),
];
const FAMILY: &[&str] = &[
    "Иванов",
    "Смирнов",
    "Кузнецов",
    "Попов",
    "Васильев",
    "Петров",
    "Соколов",
    "Михайлов",
    "Новиков",
    "Фёдоров",
    "Морозов",
    "Волков",
    "Алексеев",
    "Лебедев",
    "Семёнов",
    "Егоров",
    "Павлов",
    "Козлов",
    "Степанов",
    "Николаев",
    "Орлов",
    "Андреев",
    "Макаров",
    "Никитин",
    "Захаров",
    "Зайцев",
    "Соловьёв",
    "Борисов",
    "Яковлев",
    "Григорьев",
    "Романов",
    "Воробьёв",
    "Сергеев",
    "Кузьмин",
    "Фролов",
    "Александров",
    "Дмитриев",
    "Королёв",
    "Гусев",
    "Киселёв",
    "Ильин",
    "Максимов",
    "Поляков",
    "Сорокин",
    "Виноградов",
    "Ковалёв",
    "Белов",
    "Медведев",
    "Антонов",
    "Тарасов",
    "Жуков",
    "Баранов",
    "Филиппов",
    "Комаров",
    "Давыдов",
    "Беляев",
    "Герасимов",
    "Богданов",
    "Осипов",
    "Сидоров",
    "Шуляпов",
    "Рабинович",
    "Коган",
    "Левин",
    "Фридман",
    "Кац",
    "Горбачёв",
    "Шапиро",
    "Гольдберг",
    "Кравченко",
    "Шевченко",
    "Бондаренко",
    "Ткаченко",
    "Мельник",
    "Лысенко",
    "Зильберман",
    "Хаимов",
    "Абрамов",
    "Юсупов",
    "Чернов",
    "Щукин",
    "Жданов",
    "Цветков",
    "Чайковский",
    "Шестаков",
    "Ершов",
    "Журавлёв",
    "Хохлов",
    "Уваров",
    "Быков",
    "Лазарев",
    "Гаврилов",
    "Тихонов",
    "Пономарёв",
    "Субботин",
    "Калинин",
    "Рябов",
    "Миронов",
    "Нестеров",
];
const CITIZENSHIPS: &[&str] = &["ru", "ru;il", "il", "ru;de", "ua", "by", "ru;us"];

#[derive(Debug, Clone)]
struct Person {
    given: usize,
    sex: char,
    patronymic: String,
    family: String,
    dob: (u16, u8, u8),
    citizenship: &'static str,
    /// Names of another origin than Russian (no patronymic, no feminine surname).
    foreign: Option<Foreign>,
}

impl Person {
    fn given_name(&self) -> &'static str {
        if let Some(f) = &self.foreign {
            f.given.1
        } else if self.sex == 'M' {
            MALE[self.given].0
        } else {
            FEMALE[self.given].0
        }
    }
    fn diminutive(&self) -> &'static str {
        if self.foreign.is_some() {
            self.given_name()
        } else if self.sex == 'M' {
            MALE[self.given].1
        } else {
            FEMALE[self.given].1
        }
    }
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

    fn person(&mut self) -> Person {
        let sex = if self.chance(0.5) { 'M' } else { 'F' };
        let given = if sex == 'M' {
            self.below(MALE.len())
        } else {
            self.below(FEMALE.len())
        };
        let father = MALE[self.below(MALE.len())].0;
        let family = feminine(FAMILY[self.below(FAMILY.len())], sex);
        let dob = (
            1940 + self.below(66) as u16,
            1 + self.below(12) as u8,
            1 + self.below(28) as u8,
        );
        Person {
            given,
            sex,
            patronymic: patronymic(father, sex),
            family,
            dob,
            citizenship: CITIZENSHIPS[self.below(CITIZENSHIPS.len())],
            foreign: None,
        }
    }

    /// A person of an origin drawn by the [`MIXED`] shares (Russian for the rest).
    fn person_mixed(&mut self) -> Person {
        let mut at = self.below(100) as u32;
        for pools in MIXED {
            if at < pools.percent {
                return self.person_of(pools);
            }
            at -= pools.percent;
        }
        self.person()
    }

    /// A person whose names come from these pools.
    fn person_of(&mut self, pools: &'static Pools) -> Person {
        let mut p = self.person();
        let given = if p.sex == 'M' {
            pools.male[self.below(pools.male.len())]
        } else {
            pools.female[self.below(pools.female.len())]
        };
        let family = pools.family[self.below(pools.family.len())];
        p.patronymic = String::new();
        p.family = family.1.to_string();
        p.foreign = Some(Foreign {
            pools,
            given,
            family,
        });
        p
    }

    /// A relative: same family, another given name, birth date and maybe father (a hard negative).
    fn relative(&mut self, of: &Person) -> Person {
        if let Some(f) = of.foreign {
            let mut p = self.person_of(f.pools);
            p.family = of.family.clone();
            if let Some(pf) = &mut p.foreign {
                pf.family = f.family;
            }
            return p;
        }
        let mut p = self.person();
        p.family = feminine(&masculine(&of.family), p.sex);
        if self.chance(0.5) {
            p.patronymic = of.patronymic.clone();
        }
        p
    }

    /// A namesake: same names, another date of birth (a hard negative).
    fn namesake(&mut self, of: &Person) -> Person {
        if let Some(f) = of.foreign {
            let mut p = self.person_of(f.pools);
            p.sex = of.sex;
            p.family = of.family.clone();
            p.foreign = Some(f);
            return p;
        }
        let mut p = self.person();
        p.sex = of.sex;
        p.given = of.given;
        p.family = of.family.clone();
        p
    }

    fn typo(&mut self, s: &str) -> String {
        let mut chars: Vec<char> = s.chars().collect();
        if chars.len() < 4 {
            return s.to_string();
        }
        let i = 1 + self.below(chars.len() - 2);
        match self.below(4) {
            0 => {
                chars.remove(i);
            }
            1 => chars.insert(i, chars[i]),
            2 => chars.swap(i, i + 1),
            _ => chars[i] = chars[i - 1],
        }
        chars.into_iter().collect()
    }
}

fn feminine(family: &str, sex: char) -> String {
    if sex != 'F' {
        return family.to_string();
    }
    if let Some(stem) = family.strip_suffix("ский") {
        return format!("{stem}ская");
    }
    if ["ов", "ев", "ёв", "ин"].iter().any(|e| family.ends_with(e)) {
        format!("{family}а")
    } else {
        family.to_string()
    }
}

fn masculine(family: &str) -> String {
    if let Some(stem) = family.strip_suffix("ская") {
        return format!("{stem}ский");
    }
    match family.strip_suffix('а') {
        Some(stem) if ["ов", "ев", "ёв", "ин"].iter().any(|e| stem.ends_with(e)) => {
            stem.to_string()
        }
        _ => family.to_string(),
    }
}

fn patronymic(father: &str, sex: char) -> String {
    let (stem, soft) = match father {
        f if f.ends_with('й') => (f.trim_end_matches('й').to_string(), true),
        f if f.ends_with('ь') => (f.trim_end_matches('ь').to_string(), true),
        "Илья" => ("Иль".to_string(), true),
        "Яков" | "Лев" => (
            if father == "Лев" {
                "Льв".to_string()
            } else {
                father.to_string()
            },
            false,
        ),
        f => (f.to_string(), false),
    };
    match (sex, soft) {
        ('M', false) => format!("{stem}ович"),
        ('M', true) => format!("{stem}евич"),
        (_, false) => format!("{stem}овна"),
        (_, true) => format!("{stem}евна"),
    }
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
    /// `consular.csv`: id, full_name (Cyrillic) or given_name + surname (passport Latin), sex,
    /// date_of_birth, citizenship, script, truth.
    pub consular: String,
    /// `roster.csv`: record_id, source, full_name or first_name + last_name, gender, dob, age,
    /// script, truth.
    pub roster: String,
}

/// The roster's sources: name, script written in.
const SOURCES: [(&str, &str); 4] = [
    ("hospital", "hebrew"),
    ("police", "arabic"),
    ("ngo", "latin"),
    ("press", "cyrillic"),
];

/// Generates the two lists.
pub fn generate(config: &Config) -> Lists {
    let mut g = Gen {
        rng: SplitMix64::new(config.seed),
    };
    // Each source's preferred Latin style varies with the seed.
    let latin_styles = [
        Style::Bgn,
        Style::German,
        Style::French,
        Style::Icao,
        Style::Loose,
    ];
    let ngo_style = latin_styles[g.below(latin_styles.len())];

    let draw = |g: &mut Gen| {
        if config.mixed_origins {
            g.person_mixed()
        } else {
            g.person()
        }
    };
    let people: Vec<Person> = (0..config.consular).map(|_| draw(&mut g)).collect();
    let mut consular = csv_line(&[
        "id",
        "full_name",
        "given_name",
        "surname",
        "sex",
        "date_of_birth",
        "citizenship",
        "script",
        "truth",
    ]);
    for (i, p) in people.iter().enumerate() {
        let id = format!("C{:05}", i + 1);
        let truth = format!("P{:05}", i + 1);
        let (full, given, family, script) = if g.chance(0.5) {
            (
                join(&[p.given_name(), &p.patronymic, &p.family]),
                String::new(),
                String::new(),
                "cyrillic",
            )
        } else {
            // A Western passport spells the names as they are; others are transliterated.
            let latin = |native: &str, cyrillic: &str| match p.foreign {
                Some(f) if f.pools.script == "latin" => native.to_uppercase(),
                _ => to_latin(cyrillic, Style::Icao).to_uppercase(),
            };
            let (given, family) = match p.foreign {
                Some(f) => (latin(f.given.0, f.given.1), latin(f.family.0, f.family.1)),
                None => (latin("", p.given_name()), latin("", &p.family)),
            };
            (String::new(), given, family, "latin")
        };
        consular.push_str(&csv_line(&[
            &id,
            &full,
            &given,
            &family,
            &p.sex.to_string(),
            &date(p.dob),
            p.citizenship,
            script,
            &truth,
        ]));
    }
    let mut roster_people: Vec<(Person, String)> = Vec::new();
    for (i, p) in people.iter().enumerate() {
        let truth = format!("P{:05}", i + 1);
        if g.chance(config.overlap) {
            let copies = 1 + usize::from(g.chance(0.4)) + usize::from(g.chance(0.2));
            for _ in 0..copies {
                roster_people.push((p.clone(), truth.clone()));
            }
        }
        if g.chance(0.2) {
            roster_people.push((g.relative(p), format!("R{:05}", roster_people.len() + 1)));
        }
        if g.chance(0.08) {
            roster_people.push((g.namesake(p), format!("N{:05}", roster_people.len() + 1)));
        }
    }
    for i in 0..config.roster_only {
        let p = draw(&mut g);
        roster_people.push((p, format!("O{:05}", i + 1)));
    }
    for i in (1..roster_people.len()).rev() {
        let j = g.below(i + 1);
        roster_people.swap(i, j);
    }
    let mut roster = csv_line(&[
        "record_id",
        "source",
        "full_name",
        "first_name",
        "last_name",
        "gender",
        "dob",
        "age",
        "script",
        "truth",
    ]);
    for (n, (p, truth)) in roster_people.iter().enumerate() {
        let (source, script) = SOURCES[g.below(SOURCES.len())];
        let mut given = if g.chance(0.1) {
            p.diminutive().to_string()
        } else {
            p.given_name().to_string()
        };
        let mut family = p.family.clone();
        // A list in the script a name is written in natively writes it so, not rendered.
        let native = p.foreign.filter(|f| f.pools.script == script);
        if let Some(f) = native {
            given = f.given.0.to_string();
            family = f.family.0.to_string();
        }
        if g.chance(0.15) {
            given = g.typo(&given);
        }
        if g.chance(0.15) {
            family = g.typo(&family);
        }
        let with_patronymic = script == "cyrillic" && g.chance(0.5);
        let render = |s: &str, g: &mut Gen| -> String {
            if native.is_some() {
                return s.to_string();
            }
            match script {
                "hebrew" => to_hebrew(s, g.chance(0.3)),
                "arabic" => to_arabic(s, g.chance(0.3)),
                "latin" => {
                    let style = if g.chance(0.7) {
                        ngo_style
                    } else {
                        latin_styles[g.below(latin_styles.len())]
                    };
                    to_latin(s, style)
                }
                _ => s.to_string(),
            }
        };
        let given_r = render(&given, &mut g);
        let family_r = render(&family, &mut g);
        let patronymic_r = if with_patronymic {
            render(&p.patronymic, &mut g)
        } else {
            String::new()
        };
        let (full, first, last) = match (script, g.below(4)) {
            ("latin", 0) => (
                format!("{}, {}", family_r.to_uppercase(), given_r),
                String::new(),
                String::new(),
            ),
            ("latin", 1) => (String::new(), given_r, family_r),
            (_, 0) if script != "latin" => {
                // family name first
                (
                    join(&[&family_r, &given_r, &patronymic_r]),
                    String::new(),
                    String::new(),
                )
            }
            _ => (
                join(&[&given_r, &patronymic_r, &family_r]),
                String::new(),
                String::new(),
            ),
        };
        let (dob_text, age_text) = if script == "hebrew" && g.chance(0.6) || g.chance(0.15) {
            (String::new(), age(p.dob, config.as_of).to_string())
        } else {
            let mut dob = p.dob;
            if g.chance(0.05) && dob.2 <= 12 {
                dob = (dob.0, dob.2, dob.1);
            } else if g.chance(0.05) {
                dob.2 = 1 + ((dob.2 + g.below(3) as u8) % 28);
            }
            (date(dob), String::new())
        };
        let sex = if g.chance(0.2) {
            String::new()
        } else {
            p.sex.to_string()
        };
        let id = format!("{}-{:06}", &source[..1].to_uppercase(), n + 1);
        roster.push_str(&csv_line(&[
            &id, source, &full, &first, &last, &sex, &dob_text, &age_text, script, truth,
        ]));
    }
    Lists { consular, roster }
}

fn join(parts: &[&str]) -> String {
    parts
        .iter()
        .filter(|p| !p.is_empty())
        .copied()
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_lists_other_seed_other_lists() {
        let small = Config {
            consular: 50,
            roster_only: 200,
            ..Config::default()
        };
        let a = generate(&small);
        assert_eq!(a, generate(&small));
        assert_ne!(
            a,
            generate(&Config {
                seed: 8,
                ..small.clone()
            })
        );
        assert_eq!(a.consular.lines().count(), 51);
    }

    #[test]
    fn roster_shares_people_and_scripts() {
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
        for script in ["hebrew", "arabic", "latin", "cyrillic"] {
            assert!(lists.roster.contains(&format!(",{script},")), "{script}");
        }
        assert!(lists.roster.lines().count() > 4800);
    }

    /// With several origins, each origin's lists write its names natively (a Hebrew name in
    /// the hospital's Hebrew as spelt, not rendered from Cyrillic; a Western name in the NGO's
    /// Latin with its letters), and every origin is drawn.
    #[test]
    fn mixed_origins_write_names_natively() {
        let lists = generate(&Config {
            mixed_origins: true,
            ..Config::default()
        });
        let natives = |script: &str| -> Vec<&str> {
            MIXED
                .iter()
                .filter(|p| p.script == script)
                .flat_map(|p| p.family.iter().map(|f| f.0))
                .collect()
        };
        for (script, marker) in [
            ("hebrew", ",hebrew,"),
            ("arabic", ",arabic,"),
            ("latin", ",latin,"),
        ] {
            let written = natives(script)
                .into_iter()
                .filter(|name| {
                    lists
                        .roster
                        .lines()
                        .any(|l| l.contains(marker) && l.contains(name))
                })
                .count();
            assert!(written >= 8, "{script}: {written} native family names");
        }
        // Every origin's Cyrillic form reaches the consular list.
        for pools in MIXED {
            assert!(
                pools.family.iter().any(|f| lists.consular.contains(f.1)
                    || lists
                        .consular
                        .contains(&to_latin(f.1, Style::Icao).to_uppercase())
                    || lists.consular.contains(&f.0.to_uppercase())),
                "{:?}",
                pools.origin
            );
        }
        // The Russian-only lists are as they were: no draw of the mixed origins reaches them.
        assert!(!generate(&Config::default()).roster.contains("Коэн"));
    }

    #[test]
    fn patronymics_and_feminine_forms() {
        assert_eq!(patronymic("Семён", 'M'), "Семёнович");
        assert_eq!(patronymic("Сергей", 'F'), "Сергеевна");
        assert_eq!(feminine("Иванов", 'F'), "Иванова");
        assert_eq!(masculine("Чайковская"), "Чайковский");
    }
}
