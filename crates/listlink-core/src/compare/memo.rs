//! `Memo`: levels of value and token pairs already compared, shared by a run's threads.

use std::sync::atomic::{AtomicU64, Ordering};

/// log2 of a memo's slots: 2^21 slots of 8 bytes, 16 MiB.
pub(crate) const MEMO_BITS: u32 = 21;
/// Token ids and value codes a memo can hold (a key of two of them and a small level pack into
/// one word).
pub(crate) const MEMO_MAX_ID: u32 = 1 << 27;

/// Levels of pairs of values already compared, shared by all threads of a run: names, streets
/// and places repeat, so most pairs compare values already seen. A direct-mapped table of atomic
/// words, each holding a key (which comparison, which two values) and the level: a lookup is one
/// memory read, a clash overwrites, and a torn read cannot happen because a slot is one word. It
/// serves the features it first sees (by id); another's values are compared without it.
#[derive(Debug)]
pub struct Memo {
    owner: AtomicU64,
    /// log2 of the slots to make at first use ([`Memo::size_for`]).
    bits: std::sync::atomic::AtomicU32,
    /// Made at first use: a run over a few records (a look-up) does not clear megabytes.
    slots: std::sync::OnceLock<Box<[AtomicU64]>>,
}

impl Default for Memo {
    fn default() -> Self {
        Memo {
            owner: AtomicU64::new(0),
            bits: MEMO_BITS.into(),
            slots: std::sync::OnceLock::new(),
        }
    }
}

impl Memo {
    /// Sizes the memo, before its first use, for the values of this many rows.
    pub(crate) fn size_for(&self, rows: usize) {
        let bits = (usize::BITS - rows.leading_zeros() + 4).clamp(12, MEMO_BITS);
        self.bits.store(bits, Ordering::Relaxed);
    }

    pub(crate) fn slots(&self) -> &[AtomicU64] {
        self.slots.get_or_init(|| {
            (0..1usize << self.bits.load(Ordering::Relaxed))
                .map(|_| AtomicU64::new(0))
                .collect()
        })
    }

    pub(crate) fn serves(&self, id: u64) -> bool {
        let owner = self.owner.load(Ordering::Relaxed);
        owner == id
            || (owner == 0
                && self
                    .owner
                    .compare_exchange(0, id, Ordering::Relaxed, Ordering::Relaxed)
                    .map_or_else(|current| current == id, |_| true))
    }

    /// The level of the distinct values `lo` < `hi` under comparison `c`, computed by `compute`
    /// unless remembered. `owner` identifies the features the values come from.
    #[inline]
    pub(crate) fn level(
        &self,
        owner: u64,
        c: usize,
        lo: u32,
        hi: u32,
        compute: impl FnOnce() -> u8,
    ) -> u8 {
        debug_assert!(lo < hi);
        if hi >= MEMO_MAX_ID || c >= 31 || !self.serves(owner) {
            return compute();
        }
        // Never 0: the comparison's number starts at 1.
        let key = ((c as u64 + 1) << 54) | (u64::from(lo) << 27) | u64::from(hi);
        let slots = self.slots();
        let bits = slots.len().trailing_zeros();
        let index = (key.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> (64 - bits)) as usize;
        let slot = &slots[index];
        let entry = slot.load(Ordering::Relaxed);
        if entry >> 4 == key {
            return (entry & 0xF) as u8;
        }
        let level = compute();
        debug_assert!(level < 16);
        slot.store((key << 4) | u64::from(level), Ordering::Relaxed);
        level
    }
}
