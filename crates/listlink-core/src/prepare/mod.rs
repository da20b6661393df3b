//! Per-record features, computed once per run: keys, interned codes, term frequencies, parsed
//! dates. The comparison and blocking loops read only these arrays.

mod names;
#[cfg(test)]
mod tests;
mod text;
mod warnings;

use names::person_feature;
pub use names::{PartIds, PersonFeature, part_index, share_key};
pub use text::{ValueLine, sex_key};
use text::{identifier_key, set_feature, text_feature};
pub use warnings::field_warnings;

use crate::date::{Date, PackedDate, parse_age, parse_date, parse_iso_date};
use crate::settings::{FieldKind, NamePart, PERSON_FIELDS, Settings};
use crate::table::{RecordTable, StrColumn};
use listlink_names::match_key;
use listlink_names::{NameForms, NameParts};
use rayon::prelude::*;
use rustc_hash::FxHashMap;

/// Features of one text-like field for all rows.
#[derive(Debug, Clone, Default)]
pub struct TextFeature {
    /// The distinct ASCII match keys, by code (code 0 is "", a missing value).
    pub values: StrColumn,
    /// Interned key per row; 0 when missing. Equal codes ⇔ equal keys.
    pub codes: Vec<u32>,
    /// Per code, the key's shape and, when short, the key itself, in 32 bytes: what comparing
    /// two values reads, one memory access each.
    pub lines: Vec<ValueLine>,
    /// Share of non-missing rows with each code (index 0 unused).
    pub frequency: Vec<f64>,
    /// The non-missing rows `frequency` shares are of (a store's whole roster when
    /// `frequency::reweigh` gave its shares).
    pub present: u64,
}

/// Features of one date or age field.
#[derive(Debug, Clone, Default)]
pub struct DateFeature {
    /// Parsed date per row, `None` when missing or unreadable.
    pub dates: Vec<Option<Date>>,
}

/// Features of one age field.
#[derive(Debug, Clone, Default)]
pub struct AgeFeature {
    pub ages: Vec<Option<u8>>,
}

/// Features of a multi-valued field: sorted interned codes per row.
#[derive(Debug, Clone, Default)]
pub struct SetFeature {
    pub ends: Vec<u32>,
    pub codes: Vec<u32>,
}

impl SetFeature {
    pub fn get(&self, row: usize) -> &[u32] {
        let start = if row == 0 {
            0
        } else {
            self.ends[row - 1] as usize
        };
        &self.codes[start..self.ends[row] as usize]
    }
}

#[derive(Debug, Clone)]
pub enum FieldFeature {
    Text(TextFeature),
    Date(DateFeature),
    Age(AgeFeature),
    Set(SetFeature),
}

/// Which records may be paired with which.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LinkType {
    /// Every pair of records, within and across sources.
    Dedupe,
    /// Only pairs of records from different sources.
    Link,
    /// Only pairs of a query record (side 0) and a roster record (side 1).
    Find,
}

/// Everything the comparison and blocking loops read, for all rows of a run.
#[derive(Debug, Clone)]
pub struct Features {
    /// Distinguishes these features from others built in the same process (for caches keyed
    /// by value codes).
    pub id: u64,
    pub link_type: LinkType,
    /// Source index per row (into `source_names`).
    pub source: Vec<u32>,
    pub source_names: Vec<String>,
    /// For find: 0 query, 1 roster. Otherwise 0.
    pub side: Vec<u8>,
    /// One entry per settings field, in settings order.
    pub fields: Vec<FieldFeature>,
    /// The date ages are counted at; without it a date of birth is not compared with an age.
    pub as_of: Option<Date>,
    /// Persons' names, parsed and analysed, when the settings have name fields.
    pub person: Option<PersonFeature>,
    /// Per row, the values the comparison loop reads first, in one cache line (when the
    /// settings have at most [`Packed::SLOTS`] − 2 fields).
    pub packed: Option<Packed>,
}

/// One cache line of a row's packed values.
#[derive(Debug, Clone, Copy, Default)]
#[repr(C, align(64))]
pub struct Line(pub [u32; Packed::SLOTS]);

/// Rows' values packed row by row, so that comparing a pair reads two cache lines rather than
/// one array per field: slot `i` holds field `i`'s value (text: its code; date: [`PackedDate`];
/// age: age + 1; 0: missing or not packed), and the two slots from [`Packed::person`] the
/// row's given and family name tokens when its name is simple (one reading, at most one token
/// per part, no patronymic) — else [`Packed::COMPLEX`].
#[derive(Debug, Clone, Default)]
pub struct Packed {
    pub rows: Vec<Line>,
    /// Slot of the given-name token (the family token is next), if there are names.
    pub person: Option<usize>,
}

impl Packed {
    pub const SLOTS: usize = 16;
    /// A name part the row does not have.
    pub const NO_TOKEN: u32 = u32::MAX;
    /// The row's name is not simple: compare its readings.
    pub const COMPLEX: u32 = u32::MAX - 1;

    #[inline]
    pub fn row(&self, row: usize) -> &[u32; Packed::SLOTS] {
        &self.rows[row].0
    }

    fn build(
        fields: &[FieldFeature],
        person: Option<&PersonFeature>,
        rows: usize,
    ) -> Option<Packed> {
        if fields.len() + 2 > Packed::SLOTS {
            return None;
        }
        let person_slot = person.map(|_| fields.len());
        let lines = (0..rows)
            .into_par_iter()
            .map(|r| {
                let mut line = Line::default();
                for (i, field) in fields.iter().enumerate() {
                    line.0[i] = match field {
                        FieldFeature::Text(t) => t.codes[r],
                        FieldFeature::Date(d) => d.dates[r].map_or(0, |d| PackedDate::pack(d).0),
                        FieldFeature::Age(a) => a.ages[r].map_or(0, |v| u32::from(v) + 1),
                        FieldFeature::Set(_) => 0,
                    };
                }
                if let (Some(slot), Some(p)) = (person_slot, person) {
                    let readings = &p.readings[r];
                    let one = |ids: &[u32]| match ids {
                        [] => Some(Packed::NO_TOKEN),
                        [t] if *t < Packed::COMPLEX => Some(*t),
                        _ => None,
                    };
                    let simple = match readings.as_slice() {
                        [only] if only.patronymic.is_empty() => {
                            one(&only.given).zip(one(&only.family))
                        }
                        _ => None,
                    };
                    let (g, f) = simple.unwrap_or((Packed::COMPLEX, Packed::COMPLEX));
                    line.0[slot] = g;
                    line.0[slot + 1] = f;
                }
                line
            })
            .collect();
        Some(Packed {
            rows: lines,
            person: person_slot,
        })
    }
}

/// A process-wide id, never 0.
fn next_id() -> u64 {
    static NEXT_ID: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    NEXT_ID.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

impl Features {
    pub fn len(&self) -> usize {
        self.source.len()
    }

    pub fn is_empty(&self) -> bool {
        self.source.is_empty()
    }

    /// Whether rows `a` and `b` (a ≠ b) may form a candidate pair.
    #[inline]
    pub fn allowed(&self, a: usize, b: usize) -> bool {
        match self.link_type {
            LinkType::Dedupe => true,
            LinkType::Link => self.source[a] != self.source[b],
            LinkType::Find => self.side[a] != self.side[b],
        }
    }

    pub fn text(&self, field: usize) -> &TextFeature {
        match &self.fields[field] {
            FieldFeature::Text(t) => t,
            _ => panic!("field {field} is not a text field"),
        }
    }
}

/// The raw value of a settings field for one row of the concatenated tables.
pub struct FieldValues<'a> {
    tables: &'a [RecordTable],
    /// Per table: the column index holding this field, if the table has one.
    columns: Vec<Option<usize>>,
}

impl<'a> FieldValues<'a> {
    pub fn new(tables: &'a [RecordTable], candidates: &[String]) -> Self {
        let columns = tables
            .iter()
            .map(|t| {
                candidates
                    .iter()
                    .find_map(|c| t.headers.iter().position(|h| h == c))
            })
            .collect();
        FieldValues { tables, columns }
    }

    /// Iterates the values of all rows of all tables, in order ("" when the table lacks the field).
    pub fn iter(&self) -> impl Iterator<Item = &'a str> + '_ {
        self.tables.iter().zip(&self.columns).flat_map(|(t, c)| {
            let col = c.map(|i| &t.columns[i]);
            (0..t.len()).map(move |r| col.map_or("", |c| c.get(r)))
        })
    }
}

/// Computes the features of all rows: `tables` concatenated in order; `sides` gives, per table,
/// the side for find (ignored otherwise).
#[cfg(any(test, feature = "bench"))]
pub fn prepare(
    tables: &[RecordTable],
    sides: &[u8],
    settings: &Settings,
    link_type: LinkType,
) -> Features {
    prepare_with(tables, sides, settings, link_type, bundled_variants())
}

/// The bundled given-name variants, shared (not copied) by every run that uses them.
pub fn bundled_variants() -> std::sync::Arc<listlink_names::variants::Variants> {
    static SHARED: std::sync::OnceLock<std::sync::Arc<listlink_names::variants::Variants>> =
        std::sync::OnceLock::new();
    SHARED
        .get_or_init(|| std::sync::Arc::new(listlink_names::variants::bundled().clone()))
        .clone()
}

/// [`prepare`] with the given-name variants to use (the bundled table and a user's own files).
pub fn prepare_with(
    tables: &[RecordTable],
    sides: &[u8],
    settings: &Settings,
    link_type: LinkType,
    variants: std::sync::Arc<listlink_names::variants::Variants>,
) -> Features {
    let mut source_names: Vec<String> = Vec::new();
    let mut source = Vec::new();
    let mut side = Vec::new();
    let mut index: FxHashMap<&str, u32> = FxHashMap::default();
    for (t, &s) in tables.iter().zip(sides) {
        for name in t.sources.iter() {
            let id = *index.entry(name).or_insert_with(|| {
                source_names.push(name.to_string());
                (source_names.len() - 1) as u32
            });
            source.push(id);
            side.push(s);
        }
    }
    let as_of = settings.as_of.as_deref().and_then(parse_iso_date);
    // The fields and the names side by side: the names' sequential steps (interning, counting)
    // overlap the fields' parallel ones.
    let (fields, person) = rayon::join(
        || -> Vec<FieldFeature> {
            settings
                .fields
                .par_iter()
                .map(|field| {
                    let values = FieldValues::new(tables, &field.columns);
                    let raw: Vec<&str> = values.iter().collect();
                    match field.kind {
                        FieldKind::Date => FieldFeature::Date(DateFeature {
                            dates: raw.par_iter().map(|v| parse_date(v)).collect(),
                        }),
                        FieldKind::Age => FieldFeature::Age(AgeFeature {
                            ages: raw.par_iter().map(|v| parse_age(v)).collect(),
                        }),
                        FieldKind::Set => FieldFeature::Set(set_feature(&raw)),
                        FieldKind::Sex => FieldFeature::Text(text_feature(&raw, sex_key)),
                        FieldKind::Identifier => {
                            FieldFeature::Text(text_feature(&raw, identifier_key))
                        }
                        FieldKind::Name | FieldKind::Text => {
                            FieldFeature::Text(text_feature(&raw, match_key))
                        }
                    }
                })
                .collect::<Vec<FieldFeature>>()
        },
        || person_feature(tables, settings, variants),
    );
    let packed = Packed::build(&fields, person.as_ref(), source.len());
    Features {
        id: next_id(),
        person,
        packed,
        link_type,
        source,
        source_names,
        side,
        fields,
        as_of,
    }
}
/// Asks the processor to bring `line` into cache (a hint: no effect on results).
#[inline(always)]
pub fn prefetch<T>(line: &T) {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
        // SAFETY: a prefetch never faults and reads nothing into the program; the pointer is
        // valid anyway (it comes from a reference).
        unsafe { _mm_prefetch::<_MM_HINT_T0>((line as *const T).cast::<i8>()) };
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = line;
}
