//! Person names read once per record: each reading's token ids per part, the token forms and
//! summaries, and the packed simple names the hot loop compares first.

use super::*;

/// One reading of a person's name: token ids (into [`PersonFeature::forms`]) per part.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PartIds {
    pub given: Vec<u32>,
    pub patronymic: Vec<u32>,
    pub family: Vec<u32>,
    /// Whether which part is given and which family was guessed (see
    /// `listlink_names::parts::order_guessed`).
    pub guessed_order: bool,
}

impl PartIds {
    pub fn part(&self, part: NamePart) -> &[u32] {
        match part {
            NamePart::Given => &self.given,
            NamePart::Family => &self.family,
            NamePart::Patronymic => &self.patronymic,
        }
    }
}

/// Persons' names for all rows. Each distinct token is analysed once (`forms`); a row holds one
/// or two readings of its name (from given/family columns, and from a full-name column).
#[derive(Debug, Clone, Default)]
pub struct PersonFeature {
    /// Distinguishes this feature from others built in the same process (for caches keyed by
    /// token ids).
    pub id: u64,
    /// The given-name variant groups in use (the bundled table, plus the user's files).
    pub variants: std::sync::Arc<listlink_names::variants::Variants>,
    pub forms: Vec<NameForms>,
    /// Per token, its one-line summary and its rendering keys (`TokenSigs`), which settle most
    /// pairs of tokens without their forms.
    pub sigs: listlink_names::forms::TokenSigs,
    pub readings: Vec<Vec<PartIds>>,
    /// Per part (given, patronymic, family): the share of rows whose first reading's first token
    /// is each token id (index = token id), for term-frequency adjustments.
    pub frequency: [Vec<f64>; 3],
    /// Per part, how many rows' first readings have it: the rows `frequency` shares are of.
    pub present: [usize; 3],
}

impl PersonFeature {
    /// The share of rows whose first token in this part is this name, in any script (tokens of
    /// one variant group, else of one consonant skeleton, count together).
    pub fn share(&self, part: NamePart, token: u32) -> f64 {
        self.frequency[part_index(part)]
            .get(token as usize)
            .copied()
            .unwrap_or(0.0)
    }

    /// How many rows' first readings have a name in this part.
    pub fn present(&self, part: NamePart) -> usize {
        self.present[part_index(part)]
    }
}

/// What a name token counts as in [`PersonFeature::share`]: its variant group, else its
/// consonant skeleton, else the token as written.
pub fn share_key(forms: &NameForms) -> String {
    match (
        forms.groups.first(),
        forms.skeletons.first().filter(|s| s.chars().count() >= 2),
    ) {
        (Some(g), _) => format!("g{g}"),
        (None, Some(sk)) => format!("s{sk}"),
        (None, None) => format!("w{}", forms.written),
    }
}

pub fn part_index(part: NamePart) -> usize {
    match part {
        NamePart::Given => 0,
        NamePart::Patronymic => 1,
        NamePart::Family => 2,
    }
}

/// Builds the person feature from the name fields, if there are any.
pub(crate) fn person_feature(
    tables: &[RecordTable],
    settings: &Settings,
    variants: std::sync::Arc<listlink_names::variants::Variants>,
) -> Option<PersonFeature> {
    let column = |name: &str| -> Option<Vec<&str>> {
        let (_, field) = settings
            .field(name)
            .filter(|(_, f)| f.kind == FieldKind::Name)?;
        Some(FieldValues::new(tables, &field.columns).iter().collect())
    };
    let [given, family, patronymic, full, maiden] = PERSON_FIELDS.map(column);
    if given.is_none() && family.is_none() && patronymic.is_none() && full.is_none() {
        return None;
    }
    let rows = tables.iter().map(RecordTable::len).sum::<usize>();
    pub(crate) fn cell<'a>(c: &Option<Vec<&'a str>>, r: usize) -> &'a str {
        c.as_ref().map_or("", |v| v[r])
    }
    let parse = |r: usize| {
        let (g, f, p, full_name) = (
            cell(&given, r),
            cell(&family, r),
            cell(&patronymic, r),
            cell(&full, r),
        );
        let mut readings: Vec<(NameParts, bool)> = Vec::with_capacity(1);
        // An Arabic family name's attached article is taken off (الهاشمي ~ Hashimi), and the
        // name as written is one more reading, last (الكسيف ~ Alekseev).
        let mut kept_article = Vec::new();
        if !g.trim().is_empty() || !f.trim().is_empty() {
            let (parts, kept) = listlink_names::parts::from_columns_readings(g, f, p, "");
            readings.push((parts, false));
            kept_article.extend(kept.map(|k| (k, false)));
        }
        if !full_name.trim().is_empty() {
            let (mut parts, mut kept) = listlink_names::parts::parse_full_name_readings(full_name);
            if readings.is_empty() {
                for parts in std::iter::once(&mut parts).chain(kept.as_mut()) {
                    parts
                        .patronymic
                        .extend(listlink_names::parts::name_tokens(p));
                }
            }
            let guessed = listlink_names::parts::order_guessed(full_name);
            readings.push((parts, guessed));
            kept_article.extend(kept.map(|k| (k, guessed)));
        }
        // A maiden name is one more reading: the same person under her family name at birth.
        let maiden_name = cell(&maiden, r);
        if !maiden_name.trim().is_empty()
            && let Some((first, _)) = readings.first()
        {
            let mut born = first.clone();
            born.family = listlink_names::parts::name_tokens(maiden_name);
            readings.push((born, false));
        }
        readings.extend(kept_article);
        readings.retain(|(r, _)| !r.is_empty());
        readings
    };
    // Rows are parsed in parallel a chunk at a time and their tokens interned in row order
    // (ids by first appearance), so the parsed strings of one chunk only are held at once.
    const ROWS: usize = 65_536;
    let mut index: FxHashMap<Box<str>, u32> = FxHashMap::default();
    let mut tokens = StrColumn::default();
    let mut readings: Vec<Vec<PartIds>> = Vec::with_capacity(rows);
    let mut intern = |list: &[String]| -> Vec<u32> {
        list.iter()
            .map(|t| match index.get(t.as_str()) {
                Some(&id) => id,
                None => {
                    let id = tokens.len() as u32;
                    tokens.push(t);
                    index.insert(t.as_str().into(), id);
                    id
                }
            })
            .collect()
    };
    for start in (0..rows).step_by(ROWS) {
        let parsed: Vec<Vec<(NameParts, bool)>> = (start..(start + ROWS).min(rows))
            .into_par_iter()
            .map(parse)
            .collect();
        for row in &parsed {
            let mut ids = Vec::with_capacity(row.len());
            for (parts, guessed_order) in row {
                ids.push(PartIds {
                    given: intern(&parts.given),
                    patronymic: intern(&parts.patronymic),
                    family: intern(&parts.family),
                    guessed_order: *guessed_order,
                });
            }
            readings.push(ids);
        }
    }
    drop(index);
    let tokens: Vec<&str> = tokens.iter().collect();
    let forms: Vec<NameForms> = tokens
        .par_iter()
        .map(|t| listlink_names::analyse(t, &variants))
        .collect();
    let mut frequency = [
        vec![0.0; forms.len()],
        vec![0.0; forms.len()],
        vec![0.0; forms.len()],
    ];
    // How common a name is, across scripts: tokens count together when they share a variant
    // group, else a consonant skeleton (Alina, Алина and אלינה are one name).
    let mut key_index: FxHashMap<String, usize> = FxHashMap::default();
    let token_key: Vec<usize> = forms
        .iter()
        .map(|f| {
            let key = share_key(f);
            let next = key_index.len();
            *key_index.entry(key).or_insert(next)
        })
        .collect();
    // One pass over the rows for the three parts: each row's first reading is read once.
    let parts = [NamePart::Given, NamePart::Patronymic, NamePart::Family];
    let mut counts = vec![vec![0.0; key_index.len()]; 3];
    let mut present = [0usize; 3];
    for first in readings.iter().filter_map(|row| row.first()) {
        for part in parts {
            if let Some(&token) = first.part(part).first() {
                counts[part_index(part)][token_key[token as usize]] += 1.0;
                present[part_index(part)] += 1;
            }
        }
    }
    for part in parts {
        let (counts, present) = (&counts[part_index(part)], present[part_index(part)]);
        for (token, share) in frequency[part_index(part)].iter_mut().enumerate() {
            *share = counts[token_key[token]] / present.max(1) as f64;
        }
    }
    let id = next_id();
    let sigs = listlink_names::forms::TokenSigs::new(&forms);
    Some(PersonFeature {
        id,
        variants,
        sigs,
        forms,
        readings,
        frequency,
        present,
    })
}
