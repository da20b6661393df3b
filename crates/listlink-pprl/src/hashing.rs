//! Keys and bits: HKDF key derivation from the secret, and the two ways clkhash sets a token's
//! bits — double hashing (HMAC-SHA1 and HMAC-MD5, Schnell et al.) and keyed BLAKE2b — then XOR
//! folding.

use crate::schema::{HashKind, KdfHash, Schema};
use crate::secret::Secret;
use blake2::Blake2bMac512;
use hmac::{Hmac, Mac};

/// The two keys of one feature (`key_sha1`/`key_md5` for double hashing; blake uses the first).
pub struct FeatureKeys {
    first: Vec<u8>,
    second: Vec<u8>,
}

impl Drop for FeatureKeys {
    fn drop(&mut self) {
        self.first.fill(0);
        self.second.fill(0);
    }
}

/// clkhash's `generate_key_lists`: HKDF over the secret, `2 × features × keySize` bytes, cut
/// into two keys per feature (ignored features included), in feature order.
pub fn derive_keys(secret: &Secret, schema: &Schema) -> Vec<FeatureKeys> {
    let n = schema.features.len() * 2;
    let size = schema.kdf.key_size;
    let mut okm = vec![0u8; n * size];
    let salt = schema.kdf.salt.as_deref();
    let info = schema.kdf.info.as_deref().unwrap_or(&[]);
    // The schema checked that HKDF can give this many bytes.
    match schema.kdf.hash {
        KdfHash::Sha256 => hkdf::Hkdf::<sha2::Sha256>::new(salt, secret.bytes())
            .expand(info, &mut okm)
            .expect("length checked by the schema"),
        KdfHash::Sha512 => hkdf::Hkdf::<sha2::Sha512>::new(salt, secret.bytes())
            .expand(info, &mut okm)
            .expect("length checked by the schema"),
    }
    let keys = okm
        .chunks(2 * size.max(1))
        .map(|pair| FeatureKeys {
            first: pair[..size].to_vec(),
            second: pair[size..].to_vec(),
        })
        .collect();
    okm.fill(0);
    keys
}

/// A Bloom filter of `len` bits; bit `i` is the `(i % 64)`-th most significant bit of word
/// `i / 64`, so the words written big-endian are clkhash's bytes (bitarray's default order).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filter {
    pub len: usize,
    pub words: Vec<u64>,
}

impl Filter {
    pub fn new(len: usize) -> Filter {
        Filter {
            len,
            words: vec![0; len.div_ceil(64)],
        }
    }

    #[inline]
    pub fn set(&mut self, i: usize) {
        debug_assert!(i < self.len);
        self.words[i / 64] |= 1u64 << (63 - i % 64);
    }

    #[inline]
    pub fn get(&self, i: usize) -> bool {
        self.words[i / 64] >> (63 - i % 64) & 1 == 1
    }

    /// clkhash's `fold_xor`: the first half XOR the second half, `folds` times.
    pub fn fold(self, folds: u32) -> Filter {
        let mut f = self;
        for _ in 0..folds {
            let half = f.len / 2;
            let mut out = Filter::new(half);
            if half.is_multiple_of(64) {
                let w = half / 64;
                for i in 0..w {
                    out.words[i] = f.words[i] ^ f.words[w + i];
                }
            } else {
                for i in 0..half {
                    if f.get(i) ^ f.get(half + i) {
                        out.set(i);
                    }
                }
            }
            f = out;
        }
        f
    }
}

/// A digest as a big-endian integer, modulo `l` (Python's `int(hexdigest, 16) % l`).
fn digest_mod(digest: &[u8], l: u64) -> u64 {
    let l = u128::from(l);
    let mut r: u128 = 0;
    for &b in digest {
        r = (r << 8 | u128::from(b)) % l;
    }
    r as u64
}

fn hmac_sha1(key: &[u8], msg: &[u8]) -> [u8; 20] {
    let mut m = <Hmac<sha1::Sha1> as Mac>::new_from_slice(key).expect("HMAC takes any key");
    m.update(msg);
    m.finalize().into_bytes().into()
}

fn hmac_md5(key: &[u8], msg: &[u8]) -> [u8; 16] {
    let mut m = <Hmac<md5::Md5> as Mac>::new_from_slice(key).expect("HMAC takes any key");
    m.update(msg);
    m.finalize().into_bytes().into()
}

/// Sets the `k` bits of one token (its bytes in the feature's encoding) in `filter`.
pub fn insert(filter: &mut Filter, token: &[u8], k: u32, kind: HashKind, keys: &FeatureKeys) {
    if k == 0 {
        return;
    }
    let l = filter.len as u64;
    match kind {
        HashKind::Double {
            prevent_singularity,
        } => {
            let h1 = digest_mod(&hmac_sha1(&keys.first, token), l);
            let mut h2 = digest_mod(&hmac_md5(&keys.second, token), l);
            if prevent_singularity {
                // clkhash rehashes `token + chr(i).encode()` (UTF-8) until h2 is not 0 mod l.
                let mut i: u32 = 0;
                let mut msg = Vec::with_capacity(token.len() + 4);
                while h2 == 0 {
                    msg.clear();
                    msg.extend_from_slice(token);
                    let c = char::from_u32(i).unwrap_or('\u{FFFD}');
                    let mut buf = [0u8; 4];
                    msg.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
                    h2 = digest_mod(&hmac_md5(&keys.second, &msg), l);
                    i += 1;
                }
            }
            for i in 0..u64::from(k) {
                let gi = (u128::from(h1) + u128::from(i) * u128::from(h2)) % u128::from(l);
                filter.set(gi as usize);
            }
        }
        HashKind::Blake => {
            let macs = k.div_ceil(32);
            let mut set = 0u32;
            for i in 0..macs {
                let salt = i.to_string();
                let mut mac =
                    Blake2bMac512::new_with_salt_and_personal(&keys.first, salt.as_bytes(), &[])
                        .expect("key of at most 64 bytes (checked by the schema) and a short salt");
                mac.update(token);
                let digest = mac.finalize().into_bytes();
                for pair in digest.chunks_exact(2) {
                    if set == k {
                        break;
                    }
                    let short = u16::from_le_bytes([pair[0], pair[1]]);
                    filter.set((u64::from(short) % l) as usize);
                    set += 1;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digest_mod_is_big_integer_remainder() {
        assert_eq!(digest_mod(&[1, 0], 7), 256 % 7);
        assert_eq!(digest_mod(&[0xFF; 20], 1000), {
            // (2^160 - 1) mod 1000
            let mut r = 1u128;
            for _ in 0..160 {
                r = r * 2 % 1000;
            }
            ((r + 999) % 1000) as u64
        });
    }

    #[test]
    fn folding_xors_halves_at_any_length() {
        let mut f = Filter::new(12);
        f.set(0);
        f.set(6);
        f.set(1);
        f.set(11);
        let g = f.fold(1);
        assert_eq!(g.len, 6);
        let bits: Vec<bool> = (0..6).map(|i| g.get(i)).collect();
        assert_eq!(bits, [false, true, false, false, false, true]);
        let mut f = Filter::new(256);
        f.set(3);
        f.set(131);
        f.set(200);
        let g = f.fold(1);
        assert!(!g.get(3) && g.get(72));
    }
}
