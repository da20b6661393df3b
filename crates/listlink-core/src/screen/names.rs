//! Simple names told apart from their packed tokens and token summaries: no shared token
//! rules out exact ([`Unequal`]); summaries settle unlike tokens as else ([`add_unlike_names`]).

use super::columns::NameColumns;
use crate::prepare::Packed;
use listlink_names::forms::TokenSigs;

/// Adds to the sums of the pairs (i, j) for j from `from` what their names drop past not exact
/// (`else_drops`, given and family) when the tokens' summaries settle them as else
/// ([`TokenSigs::settle`], the first step of every token comparison): pairs of neighbours,
/// whom only their names tell apart. Simple names only (one token a part, both parts), read
/// in either order: given is else when row i's given token is unlike both of the other's;
/// family when both of row i's are unlike the other's family token and row i's family token
/// unlike the other's given one. Only for the pairs the names can still clear (not cleared
/// yet, cleared with both names else), gathered in columns and told without branches
/// ([`Unlike::unlike_all`]): in the large groups of one name there are none, as namesakes share
/// their tokens.
///
/// [`Unlike::unlike_all`]: listlink_names::forms::Unlike::unlike_all
#[inline(always)]
pub(crate) fn add_unlike_names(
    sigs: &TokenSigs,
    names: &mut NameColumns,
    (gs, fs): (&[u32], &[u32]),
    (i, from): (usize, usize),
    [given, family]: [f32; 2],
    limit: f32,
    sums: &mut [f32],
) {
    let simple = |t: u32| (t < Packed::COMPLEX).then_some(t);
    let (Some(ga), Some(fa)) = (simple(gs[i]), simple(fs[i])) else {
        return;
    };
    if given <= 0.0 && family <= 0.0 {
        return;
    }
    let (Some(ga), Some(fa)) = (sigs.unlike_from(ga), sigs.unlike_from(fa)) else {
        return;
    };
    let NameColumns {
        pairs,
        given: gb,
        family: fb,
        unlike,
    } = names;
    // The pairs not cleared yet that both names else would clear.
    pairs.clear();
    let open = sums
        .iter()
        .map(|&sum| sum <= limit && sum + given + family > limit);
    pairs.extend((0..).zip(open).filter(|&(_, open)| open).map(|(k, _)| k));
    if pairs.is_empty() {
        return;
    }
    let (gs, fs) = (&gs[from..], &fs[from..]);
    gb.gather(sigs, pairs.iter().map(|&k| simple(gs[k as usize])));
    fb.gather(sigs, pairs.iter().map(|&k| simple(fs[k as usize])));
    for flags in unlike.iter_mut() {
        flags.resize(pairs.len(), false);
    }
    let [gg, gf, ff, fg] = unlike;
    ga.unlike_all(gb, gg);
    ga.unlike_all(fb, gf);
    fa.unlike_all(fb, ff);
    fa.unlike_all(gb, fg);
    let flags = gg.iter().zip(gf.iter()).zip(ff.iter().zip(fg.iter()));
    for (&k, ((&gg, &gf), (&ff, &fg))) in pairs.iter().zip(flags) {
        let sum = &mut sums[k as usize];
        if gg & gf {
            *sum += given;
        }
        if gf & ff & fg {
            *sum += family;
        }
    }
}

/// Whether two simple names (given and family tokens, [`Packed::person`]) share no token: then
/// neither name part agrees exactly.
#[inline(always)]
pub(crate) fn names_unequal((ga, fa): (u32, u32), (gb, fb): (u32, u32)) -> bool {
    // Complex names are read from all their readings: nothing is ruled out. (`&` rather than
    // `&&`: no branches, so that a loop over many names vectorizes.)
    let shared = |t: u32| (t != Packed::NO_TOKEN) & ((t == gb) | (t == fb));
    (ga != Packed::COMPLEX) & (gb != Packed::COMPLEX) & !shared(ga) & !shared(fa)
}

/// How a pair's packed rows show that a comparison is not exact ([`super::unequal`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unequal {
    /// The codes in this slot differ.
    Codes(usize),
    /// The given- and family-name tokens (from this slot) of two simple names: no token of one
    /// name is a token of the other.
    Names(usize),
}

impl Unequal {
    /// Whether the pair with these packed rows surely does not agree exactly.
    #[inline]
    pub fn rules_out_exact(self, ra: &[u32; Packed::SLOTS], rb: &[u32; Packed::SLOTS]) -> bool {
        match self {
            Unequal::Codes(slot) => ra[slot] != rb[slot],
            Unequal::Names(slot) => {
                names_unequal((ra[slot], ra[slot + 1]), (rb[slot], rb[slot + 1]))
            }
        }
    }
}
