//! Given-name variants: diminutives and cross-language equivalents (Aleksandr / Alexander / Sasha /
//! Александр / אלכסנדר), as groups in `data/names/given_names.tsv`; users may add a file of their
//! own in the same format.

use crate::tables::Table;
use std::collections::HashMap;
use std::sync::OnceLock;

/// Variant groups: a name's key → the groups it belongs to.
#[derive(Debug, Default, Clone)]
pub struct Variants {
    /// Group names, by id.
    groups: Vec<String>,
    /// ASCII key (for Latin and the renderings of other scripts) or folded native spelling →
    /// group ids.
    index: HashMap<String, Vec<u32>>,
    /// Skeleton → (Latin key, group) of the names with it, to read Hebrew and Arabic spellings
    /// against.
    by_skeleton: HashMap<String, Vec<(String, u32)>>,
}

impl Variants {
    /// Reads a table with columns `group` and `name` (others ignored).
    pub fn from_tsv(name: &str, text: &str) -> Variants {
        let mut v = Variants::default();
        v.add_tsv(name, text);
        v
    }

    /// Adds the groups of a bundled table.
    pub fn add_tsv(&mut self, name: &str, text: &str) {
        self.add_user_tsv(name, text)
            .unwrap_or_else(|e| panic!("{e}"));
    }

    /// Adds the groups of a user's own file (tab-separated, `#` comments, a header with at least
    /// `group` and `name`): a name joins every group it is listed in, bundled ones included.
    pub fn add_user_tsv(&mut self, name: &str, text: &str) -> Result<(), String> {
        let t = Table::try_parse(name, text)?;
        let (group, person_name) = (t.try_col("group", name)?, t.try_col("name", name)?);
        for row in &t.rows {
            let g = row[group].to_lowercase();
            let id = match self.groups.iter().position(|x| *x == g) {
                Some(i) => i as u32,
                None => {
                    self.groups.push(g);
                    (self.groups.len() - 1) as u32
                }
            };
            for key in name_keys(&row[person_name]) {
                if key.bytes().all(|b| b.is_ascii_lowercase()) {
                    for sk in crate::skeleton::skeletons(&key) {
                        let entry = self.by_skeleton.entry(sk).or_default();
                        if !entry.iter().any(|(k, g)| *k == key && *g == id) {
                            entry.push((key.clone(), id));
                        }
                    }
                }
                let ids = self.index.entry(key).or_default();
                if !ids.contains(&id) {
                    ids.push(id);
                }
            }
        }
        Ok(())
    }

    /// The groups of a folded token, looked up by its native spelling and by each rendering.
    pub fn groups_of(&self, folded: &str, rendering_keys: &[&str]) -> Vec<u32> {
        let mut out: Vec<u32> = Vec::new();
        for key in std::iter::once(folded).chain(rendering_keys.iter().copied()) {
            if let Some(ids) = self.index.get(key) {
                out.extend(ids);
            }
        }
        out.sort_unstable();
        out.dedup();
        out
    }

    /// The groups a Hebrew or Arabic spelling reads as: names of the same skeleton whose Latin
    /// spelling the letters render exactly.
    pub fn groups_of_abjad(
        &self,
        word: &crate::translit::AbjadWord,
        skeletons: &[String],
    ) -> Vec<u32> {
        let mut out = Vec::new();
        for sk in skeletons {
            for (key, group) in self.by_skeleton.get(sk).into_iter().flatten() {
                if !out.contains(group) && crate::translit::abjad_cost(word, key) == 0 {
                    out.push(*group);
                }
            }
        }
        out.sort_unstable();
        out
    }

    /// The name of a group.
    pub fn group_name(&self, id: u32) -> &str {
        &self.groups[id as usize]
    }
}

/// The keys a variant-table name is indexed under: its folded spelling, and for Latin its ASCII
/// key and for Cyrillic each standard's rendering.
fn name_keys(name: &str) -> Vec<String> {
    let folded = crate::normalize::fold(name).replace(' ', "");
    let mut keys = vec![folded.clone()];
    for r in crate::translit::renderings(&folded) {
        if !keys.contains(&r.key) {
            keys.push(r.key);
        }
    }
    keys
}

/// The bundled variant table.
pub fn bundled() -> &'static Variants {
    static VARIANTS: OnceLock<Variants> = OnceLock::new();
    VARIANTS.get_or_init(|| {
        Variants::from_tsv(
            "given_names.tsv",
            include_str!("../data/names/given_names.tsv"),
        )
    })
}
