//! The linkage schema (clkhash's v3 JSON): parsed once into types, every problem reported at once
//! with its path (`features[2].hashing.strategy: ...`).
//!
//! It accepts what clkhash 0.18's master schema accepts, with three deliberate differences, each
//! an error rather than a silent divergence: keys neither clkhash nor listlink reads are rejected
//! (a misspelt `positonal` would otherwise be ignored); `clkConfig.xorFolds` other than 0 is
//! rejected, because clkhash 0.18 reads `xor_folds` and ignores `xorFolds`; and versions 1 and 2
//! are not converted. The `listlink` key of a feature is this project's extension, which clkhash
//! does not know (see [`Extension`]).

use crate::dates::DateFormat;
use base64::Engine;
use serde_json::{Map, Value};
use std::fmt;

/// A parsed linkage schema.
#[derive(Debug, Clone)]
pub struct Schema {
    /// Length of a CLK in bits, after folding.
    pub l: usize,
    pub xor_folds: u32,
    pub kdf: Kdf,
    pub features: Vec<Feature>,
}

impl Schema {
    /// The length of the filter before XOR folding.
    pub fn hash_len(&self) -> usize {
        self.l << self.xor_folds
    }

    /// Whether any feature uses the listlink extension (so the CLKs are not clkhash's).
    pub fn uses_extension(&self) -> bool {
        self.features
            .iter()
            .any(|f| f.hashing.as_ref().is_some_and(|h| h.extension.is_some()))
    }
}

/// HKDF settings (RFC 5869), as clkhash derives its keys.
#[derive(Clone)]
pub struct Kdf {
    pub hash: KdfHash,
    pub salt: Option<Vec<u8>>,
    pub info: Option<Vec<u8>>,
    pub key_size: usize,
}

impl fmt::Debug for Kdf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Kdf")
            .field("hash", &self.hash)
            .field("salt_bytes", &self.salt.as_ref().map(Vec::len))
            .field("info_bytes", &self.info.as_ref().map(Vec::len))
            .field("key_size", &self.key_size)
            .finish()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KdfHash {
    Sha256,
    Sha512,
}

/// One column of the input, in order.
#[derive(Debug, Clone)]
pub struct Feature {
    pub identifier: String,
    /// `None` for an ignored feature.
    pub format: Option<Format>,
    /// `None` for an ignored feature.
    pub hashing: Option<Hashing>,
}

/// What a value must look like, and how it is rewritten before tokenising.
#[derive(Debug, Clone)]
pub enum Format {
    String {
        encoding: TextEncoding,
        rule: StringRule,
    },
    Integer {
        minimum: Option<i128>,
        maximum: Option<i128>,
    },
    Date(DateFormat),
    Enum {
        values: Vec<String>,
    },
}

#[derive(Debug, Clone)]
pub enum StringRule {
    Pattern(regex::Regex),
    Plain {
        case: Case,
        min_length: Option<usize>,
        max_length: Option<usize>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Case {
    Upper,
    Lower,
    Mixed,
}

/// The encoding tokens are turned into bytes with, as Python's codecs do it (`utf-16` and
/// `utf-32` write a byte-order mark before every token, little-endian).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextEncoding {
    Ascii,
    Utf8,
    Utf16,
    Utf32,
}

#[derive(Debug, Clone)]
pub struct Hashing {
    pub comparison: Comparison,
    pub strategy: Strategy,
    pub hash: HashKind,
    pub missing: Option<MissingValue>,
    pub extension: Option<Extension>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Comparison {
    Ngram {
        n: usize,
        positional: bool,
    },
    Exact,
    Numeric {
        /// `round(thresholdDistance × 10^fractional_precision)`.
        distance_interval: i128,
        resolution: i128,
        fractional_precision: u32,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Strategy {
    BitsPerToken(u32),
    BitsPerFeature(u32),
}

impl Strategy {
    /// How many bits each of `tokens` tokens sets, as clkhash spreads them.
    pub fn bits_per_token(self, tokens: usize) -> impl Iterator<Item = u32> {
        (0..tokens).map(move |i| match self {
            Strategy::BitsPerToken(k) => k,
            Strategy::BitsPerFeature(total) => {
                let k = total as usize / tokens;
                let residue = total as usize % tokens;
                (k + usize::from(i < residue)) as u32
            }
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HashKind {
    Double { prevent_singularity: bool },
    Blake,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MissingValue {
    pub sentinel: String,
    /// The sentinel itself when the schema gives no `replaceWith` (clkhash's rule).
    pub replace_with: String,
}

/// listlink's extension of a feature (`"listlink": {...}`): not clkhash-compatible.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Extension {
    /// Normalise the name and read each token into Latin (`listlink-names`), then tokenise each
    /// name token on its own (so the order of the parts does not matter).
    pub transliterate: bool,
    /// Also insert each token's consonant skeleton (shared across scripts), whole and as
    /// bigrams.
    pub skeleton: bool,
    /// Leave out patronymics (when two other tokens remain): one list writes them, most do not.
    pub drop_patronymics: bool,
}

/// Every problem found in a schema, each with its path.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", .problems.iter().map(|p| format!("{}: {p}", .file)).collect::<Vec<_>>().join("\n"))]
pub struct SchemaError {
    pub file: String,
    pub problems: Vec<String>,
}

/// Parses a schema's JSON text; `file` names it in errors.
pub fn parse(text: &str, file: &str) -> Result<Schema, SchemaError> {
    let mut p = Problems::default();
    let value: Value = match serde_json::from_str(text) {
        Ok(v) => v,
        Err(e) => {
            return Err(SchemaError {
                file: file.to_string(),
                problems: vec![format!(
                    "not valid JSON (line {}, column {}): {}",
                    e.line(),
                    e.column(),
                    json_error_kind(&e)
                )],
            });
        }
    };
    let schema = schema_from(&value, &mut p);
    match schema {
        Some(s) if p.0.is_empty() => Ok(s),
        _ => Err(SchemaError {
            file: file.to_string(),
            problems: p.0,
        }),
    }
}

fn json_error_kind(e: &serde_json::Error) -> &'static str {
    match e.classify() {
        serde_json::error::Category::Io => "read error",
        serde_json::error::Category::Syntax => "syntax error",
        serde_json::error::Category::Data => "unexpected data",
        serde_json::error::Category::Eof => "unexpected end of file",
    }
}

#[derive(Default)]
struct Problems(Vec<String>);

impl Problems {
    fn add(&mut self, path: &str, msg: impl fmt::Display) {
        self.0.push(format!("{path}: {msg}"));
    }
}

fn object<'a>(v: &'a Value, path: &str, p: &mut Problems) -> Option<&'a Map<String, Value>> {
    match v {
        Value::Object(m) => Some(m),
        _ => {
            p.add(path, format!("expected an object, found {}", kind(v)));
            None
        }
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn known_keys(m: &Map<String, Value>, path: &str, known: &[&str], p: &mut Problems) {
    for key in m.keys() {
        if !known.contains(&key.as_str()) {
            p.add(
                &join(path, key),
                format!("unknown key (expected one of: {})", known.join(", ")),
            );
        }
    }
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

/// An integer as JSON Schema's `integer` type takes it (3 and 3.0 alike).
fn integer(v: &Value) -> Option<i128> {
    if let Some(i) = v.as_i64() {
        return Some(i128::from(i));
    }
    if let Some(u) = v.as_u64() {
        return Some(i128::from(u));
    }
    match v.as_f64() {
        Some(f) if f.fract() == 0.0 && f.abs() < 1e30 => Some(f as i128),
        _ => None,
    }
}

fn get_integer(
    m: &Map<String, Value>,
    path: &str,
    key: &str,
    min: i128,
    p: &mut Problems,
) -> Option<i128> {
    let v = m.get(key)?;
    match integer(v) {
        Some(i) if i >= min => Some(i),
        Some(i) => {
            p.add(
                &join(path, key),
                format!("must be at least {min}, found {i}"),
            );
            None
        }
        None => {
            p.add(
                &join(path, key),
                format!("expected an integer, found {}", kind(v)),
            );
            None
        }
    }
}

fn get_str<'a>(
    m: &'a Map<String, Value>,
    path: &str,
    key: &str,
    p: &mut Problems,
) -> Option<&'a str> {
    let v = m.get(key)?;
    match v.as_str() {
        Some(s) => Some(s),
        None => {
            p.add(
                &join(path, key),
                format!("expected a string, found {}", kind(v)),
            );
            None
        }
    }
}

fn get_bool(m: &Map<String, Value>, path: &str, key: &str, p: &mut Problems) -> Option<bool> {
    let v = m.get(key)?;
    match v.as_bool() {
        Some(b) => Some(b),
        None => {
            p.add(
                &join(path, key),
                format!("expected true or false, found {}", kind(v)),
            );
            None
        }
    }
}

fn required<'a>(
    m: &'a Map<String, Value>,
    path: &str,
    key: &str,
    p: &mut Problems,
) -> Option<&'a Value> {
    let v = m.get(key);
    if v.is_none() {
        p.add(&join(path, key), "missing (required)");
    }
    v
}

fn base64_bytes(
    m: &Map<String, Value>,
    path: &str,
    key: &str,
    p: &mut Problems,
) -> Option<Vec<u8>> {
    let s = get_str(m, path, key, p)?;
    match base64::engine::general_purpose::STANDARD.decode(s) {
        Ok(b) => Some(b),
        Err(e) => {
            p.add(&join(path, key), format!("not base64: {e}"));
            None
        }
    }
}

fn schema_from(v: &Value, p: &mut Problems) -> Option<Schema> {
    let m = object(v, "(top level)", p)?;
    known_keys(m, "", &["version", "clkConfig", "features"], p);
    match m.get("version") {
        None => p.add("version", "missing (required): this reads linkage schema version 3"),
        Some(v) if integer(v) == Some(3) => {}
        Some(v) => p.add(
            "version",
            format!("{v} is not supported: this reads linkage schema version 3 (clkhash converts older schemas with clkhash.schema.convert_to_latest_version)"),
        ),
    }
    let clk = required(m, "", "clkConfig", p).and_then(|c| object(c, "clkConfig", p));
    let (l, xor_folds, kdf) = match clk {
        Some(c) => clk_config(c, p),
        None => (None, 0, None),
    };
    let features = required(m, "", "features", p).and_then(|f| match f {
        Value::Array(items) => Some(
            items
                .iter()
                .enumerate()
                .filter_map(|(i, f)| feature(f, &format!("features[{i}]"), p))
                .collect::<Vec<_>>(),
        ),
        other => {
            p.add(
                "features",
                format!("expected an array, found {}", kind(other)),
            );
            None
        }
    });
    let (l, kdf, features) = (l?, kdf?, features?);
    let schema = Schema {
        l,
        xor_folds,
        kdf,
        features,
    };
    cross_checks(&schema, p);
    Some(schema)
}

fn clk_config(c: &Map<String, Value>, p: &mut Problems) -> (Option<usize>, u32, Option<Kdf>) {
    let path = "clkConfig";
    known_keys(c, path, &["l", "kdf", "xor_folds", "xorFolds"], p);
    let l = required(c, path, "l", p).and_then(|_| get_integer(c, path, "l", 1, p));
    let l = match l {
        Some(l) if l <= 1 << 24 => Some(l as usize),
        Some(l) => {
            p.add(
                "clkConfig.l",
                format!("{l} bits is more than this reads (16777216)"),
            );
            None
        }
        None => None,
    };
    let folds = get_integer(c, path, "xor_folds", 0, p).unwrap_or(0);
    if folds > 16 {
        p.add(
            "clkConfig.xor_folds",
            format!("{folds} folds is more than this reads (16)"),
        );
    }
    if let Some(camel) = get_integer(c, path, "xorFolds", 0, p)
        && camel != 0
    {
        p.add(
            "clkConfig.xorFolds",
            "clkhash 0.18 ignores `xorFolds` (it reads `xor_folds`), so its CLKs would not be folded; write `xor_folds` to fold, or 0",
        );
    }
    let kdf = required(c, path, "kdf", p)
        .and_then(|k| object(k, "clkConfig.kdf", p))
        .and_then(|k| kdf(k, p));
    (l, folds.min(16) as u32, kdf)
}

fn kdf(k: &Map<String, Value>, p: &mut Problems) -> Option<Kdf> {
    let path = "clkConfig.kdf";
    known_keys(k, path, &["type", "hash", "salt", "info", "keySize"], p);
    match required(k, path, "type", p) {
        Some(Value::String(s)) if s == "HKDF" => {}
        Some(other) => p.add(
            "clkConfig.kdf.type",
            format!("must be \"HKDF\", found {other}"),
        ),
        None => {}
    }
    let hash = match get_str(k, path, "hash", p) {
        None | Some("SHA256") => KdfHash::Sha256,
        Some("SHA512") => KdfHash::Sha512,
        Some(other) => {
            p.add(
                "clkConfig.kdf.hash",
                format!("\"{other}\" is not one of \"SHA256\", \"SHA512\""),
            );
            KdfHash::Sha256
        }
    };
    let salt = base64_bytes(k, path, "salt", p);
    let info = base64_bytes(k, path, "info", p);
    let key_size = get_integer(k, path, "keySize", 1, p).unwrap_or(64);
    if key_size > 1 << 16 {
        p.add("clkConfig.kdf.keySize", "too large");
    }
    Some(Kdf {
        hash,
        salt,
        info,
        key_size: key_size.min(1 << 16) as usize,
    })
}

fn feature(v: &Value, path: &str, p: &mut Problems) -> Option<Feature> {
    let m = object(v, path, p)?;
    let identifier =
        required(m, path, "identifier", p).and_then(|_| get_str(m, path, "identifier", p));
    let ignored = get_bool(m, path, "ignored", p).unwrap_or(false);
    if ignored {
        known_keys(
            m,
            path,
            &["identifier", "ignored", "description", "format", "hashing"],
            p,
        );
        return Some(Feature {
            identifier: identifier?.to_string(),
            format: None,
            hashing: None,
        });
    }
    known_keys(
        m,
        path,
        &[
            "identifier",
            "ignored",
            "description",
            "format",
            "hashing",
            "listlink",
        ],
        p,
    );
    if let Some(d) = m.get("description")
        && !d.is_string()
    {
        p.add(&join(path, "description"), "expected a string");
    }
    let fpath = join(path, "format");
    let format = required(m, path, "format", p)
        .and_then(|f| object(f, &fpath, p))
        .and_then(|f| format(f, &fpath, p));
    let hpath = join(path, "hashing");
    let mut hashing = required(m, path, "hashing", p)
        .and_then(|h| object(h, &hpath, p))
        .and_then(|h| hashing(h, &hpath, p));
    if let Some(ext) = m.get("listlink") {
        let epath = join(path, "listlink");
        if let Some(e) = object(ext, &epath, p) {
            known_keys(
                e,
                &epath,
                &["transliterate", "skeleton", "drop_patronymics"],
                p,
            );
            let extension = Extension {
                transliterate: get_bool(e, &epath, "transliterate", p).unwrap_or(false),
                skeleton: get_bool(e, &epath, "skeleton", p).unwrap_or(false),
                drop_patronymics: get_bool(e, &epath, "drop_patronymics", p).unwrap_or(false),
            };
            for (on, key) in [
                (extension.skeleton, "skeleton"),
                (extension.drop_patronymics, "drop_patronymics"),
            ] {
                if on && !extension.transliterate {
                    p.add(&join(&epath, key), "needs \"transliterate\": true");
                }
            }
            if !matches!(format, Some(Format::String { .. })) && extension != Extension::default() {
                p.add(&epath, "applies to string features only");
            }
            if let Some(h) = hashing.as_mut() {
                h.extension = Some(extension);
            }
        }
    }
    Some(Feature {
        identifier: identifier?.to_string(),
        format: Some(format?),
        hashing: Some(hashing?),
    })
}

fn format(f: &Map<String, Value>, path: &str, p: &mut Problems) -> Option<Format> {
    let ty = required(f, path, "type", p).and_then(|_| get_str(f, path, "type", p))?;
    if let Some(d) = f.get("description")
        && !d.is_string()
    {
        p.add(&join(path, "description"), "expected a string");
    }
    match ty {
        "string" => {
            let encoding = match get_str(f, path, "encoding", p) {
                None | Some("utf-8") => TextEncoding::Utf8,
                Some("ascii") => TextEncoding::Ascii,
                Some("utf-16") => TextEncoding::Utf16,
                Some("utf-32") => TextEncoding::Utf32,
                Some(other) => {
                    p.add(
                        &join(path, "encoding"),
                        format!(
                            "\"{other}\" is not one of \"ascii\", \"utf-8\", \"utf-16\", \"utf-32\""
                        ),
                    );
                    TextEncoding::Utf8
                }
            };
            if let Some(pattern) = f.get("pattern") {
                known_keys(f, path, &["type", "encoding", "pattern", "description"], p);
                let pattern = pattern.as_str().or_else(|| {
                    p.add(&join(path, "pattern"), "expected a string");
                    None
                })?;
                // clkhash uses Python's re.fullmatch; the same syntax minus look-around and
                // back-references compiles here, anchored at both ends.
                match regex::Regex::new(&format!("^(?:{pattern})$")) {
                    Ok(re) => Some(Format::String {
                        encoding,
                        rule: StringRule::Pattern(re),
                    }),
                    Err(e) => {
                        p.add(
                            &join(path, "pattern"),
                            format!(
                                "not a regular expression this reads: {}",
                                last_line(&e.to_string())
                            ),
                        );
                        None
                    }
                }
            } else {
                known_keys(
                    f,
                    path,
                    &[
                        "type",
                        "encoding",
                        "case",
                        "minLength",
                        "maxLength",
                        "description",
                    ],
                    p,
                );
                let case = match get_str(f, path, "case", p) {
                    None | Some("mixed") => Case::Mixed,
                    Some("upper") => Case::Upper,
                    Some("lower") => Case::Lower,
                    Some(other) => {
                        p.add(
                            &join(path, "case"),
                            format!("\"{other}\" is not one of \"upper\", \"lower\", \"mixed\""),
                        );
                        Case::Mixed
                    }
                };
                let min_length = get_integer(f, path, "minLength", 0, p).map(|v| v as usize);
                let max_length = get_integer(f, path, "maxLength", 1, p).map(|v| v as usize);
                Some(Format::String {
                    encoding,
                    rule: StringRule::Plain {
                        case,
                        min_length,
                        max_length,
                    },
                })
            }
        }
        "integer" => {
            known_keys(f, path, &["type", "minimum", "maximum", "description"], p);
            Some(Format::Integer {
                minimum: get_integer(f, path, "minimum", i128::MIN, p),
                maximum: get_integer(f, path, "maximum", i128::MIN, p),
            })
        }
        "date" => {
            known_keys(f, path, &["type", "format", "description"], p);
            let fmt = required(f, path, "format", p).and_then(|_| get_str(f, path, "format", p))?;
            match DateFormat::parse(fmt) {
                Ok(d) => Some(Format::Date(d)),
                Err(e) => {
                    p.add(&join(path, "format"), e);
                    None
                }
            }
        }
        "enum" => {
            known_keys(f, path, &["type", "values", "description"], p);
            let values = required(f, path, "values", p)?;
            match values.as_array() {
                Some(items) if items.iter().all(Value::is_string) => Some(Format::Enum {
                    values: items
                        .iter()
                        .filter_map(|v| v.as_str().map(str::to_string))
                        .collect(),
                }),
                _ => {
                    p.add(&join(path, "values"), "expected an array of strings");
                    None
                }
            }
        }
        other => {
            p.add(
                &join(path, "type"),
                format!("\"{other}\" is not one of \"string\", \"integer\", \"date\", \"enum\""),
            );
            None
        }
    }
}

fn last_line(s: &str) -> String {
    s.lines()
        .rfind(|l| !l.trim().is_empty())
        .unwrap_or("")
        .trim()
        .to_string()
}

fn hashing(h: &Map<String, Value>, path: &str, p: &mut Problems) -> Option<Hashing> {
    known_keys(
        h,
        path,
        &["comparison", "strategy", "hash", "missingValue"],
        p,
    );
    let cpath = join(path, "comparison");
    let comparison = required(h, path, "comparison", p)
        .and_then(|c| object(c, &cpath, p))
        .and_then(|c| comparison(c, &cpath, p));
    let spath = join(path, "strategy");
    let strategy = required(h, path, "strategy", p)
        .and_then(|s| object(s, &spath, p))
        .and_then(|s| strategy(s, &spath, p));
    let hpath = join(path, "hash");
    let hash = match h.get("hash") {
        None => Some(HashKind::Blake),
        Some(v) => object(v, &hpath, p).and_then(|m| hash_kind(m, &hpath, p)),
    };
    let mpath = join(path, "missingValue");
    let missing = match h.get("missingValue") {
        None => None,
        Some(v) => object(v, &mpath, p).and_then(|m| {
            known_keys(m, &mpath, &["sentinel", "replaceWith"], p);
            let sentinel = required(m, &mpath, "sentinel", p)
                .and_then(|_| get_str(m, &mpath, "sentinel", p))?;
            let replace_with = get_str(m, &mpath, "replaceWith", p).unwrap_or(sentinel);
            Some(MissingValue {
                sentinel: sentinel.to_string(),
                replace_with: replace_with.to_string(),
            })
        }),
    };
    Some(Hashing {
        comparison: comparison?,
        strategy: strategy?,
        hash: hash?,
        missing,
        extension: None,
    })
}

fn comparison(c: &Map<String, Value>, path: &str, p: &mut Problems) -> Option<Comparison> {
    let ty = required(c, path, "type", p).and_then(|_| get_str(c, path, "type", p))?;
    match ty {
        "ngram" => {
            known_keys(c, path, &["type", "n", "positional"], p);
            let n = required(c, path, "n", p).and_then(|_| get_integer(c, path, "n", 1, p))?;
            if n > 64 {
                p.add(
                    &join(path, "n"),
                    format!("{n} is more than this reads (64)"),
                );
                return None;
            }
            let positional = get_bool(c, path, "positional", p).unwrap_or(false);
            Some(Comparison::Ngram {
                n: n as usize,
                positional,
            })
        }
        "exact" => {
            known_keys(c, path, &["type"], p);
            Some(Comparison::Exact)
        }
        "numeric" => {
            known_keys(
                c,
                path,
                &[
                    "type",
                    "thresholdDistance",
                    "resolution",
                    "fractional_precision",
                ],
                p,
            );
            let distance =
                required(c, path, "thresholdDistance", p).and_then(|v| match v.as_f64() {
                    Some(d) if d > 0.0 && d.is_finite() => Some(d),
                    _ => {
                        p.add(
                            &join(path, "thresholdDistance"),
                            "expected a number greater than 0",
                        );
                        None
                    }
                });
            let resolution = required(c, path, "resolution", p)
                .and_then(|_| get_integer(c, path, "resolution", 1, p));
            let precision = get_integer(c, path, "fractional_precision", 0, p).unwrap_or(0);
            if precision > 18 {
                p.add(
                    &join(path, "fractional_precision"),
                    "more than this reads (18)",
                );
                return None;
            }
            let (distance, resolution) = (distance?, resolution?);
            if resolution > 1 << 20 {
                p.add(&join(path, "resolution"), "more than this reads (1048576)");
                return None;
            }
            // clkhash: int(round(threshold_distance * pow(10, fractional_precision))), where
            // round is Python's (half to even) and the product is a float.
            let scaled = (distance * 10f64.powi(precision as i32)).round_ties_even();
            if scaled == 0.0 {
                p.add(
                    &join(path, "thresholdDistance"),
                    "not enough fractional_precision to encode it (it rounds to 0)",
                );
                return None;
            }
            if scaled > 1e30 {
                p.add(&join(path, "thresholdDistance"), "too large");
                return None;
            }
            Some(Comparison::Numeric {
                distance_interval: scaled as i128,
                resolution,
                fractional_precision: precision as u32,
            })
        }
        other => {
            p.add(
                &join(path, "type"),
                format!("\"{other}\" is not one of \"ngram\", \"exact\", \"numeric\""),
            );
            None
        }
    }
}

fn strategy(s: &Map<String, Value>, path: &str, p: &mut Problems) -> Option<Strategy> {
    let token = s.contains_key("bitsPerToken");
    let feature = s.contains_key("bitsPerFeature");
    if token == feature {
        p.add(
            path,
            "expected exactly one of \"bitsPerToken\", \"bitsPerFeature\"",
        );
        return None;
    }
    known_keys(s, path, &["bitsPerToken", "bitsPerFeature"], p);
    let key = if token {
        "bitsPerToken"
    } else {
        "bitsPerFeature"
    };
    let k = get_integer(s, path, key, 1, p)?;
    if k > 1 << 20 {
        p.add(&join(path, key), "more than this reads (1048576)");
        return None;
    }
    Some(if token {
        Strategy::BitsPerToken(k as u32)
    } else {
        Strategy::BitsPerFeature(k as u32)
    })
}

fn hash_kind(h: &Map<String, Value>, path: &str, p: &mut Problems) -> Option<HashKind> {
    let ty = required(h, path, "type", p).and_then(|_| get_str(h, path, "type", p))?;
    match ty {
        "doubleHash" => {
            known_keys(h, path, &["type", "prevent_singularity"], p);
            Some(HashKind::Double {
                prevent_singularity: get_bool(h, path, "prevent_singularity", p).unwrap_or(false),
            })
        }
        "blakeHash" => {
            known_keys(h, path, &["type"], p);
            Some(HashKind::Blake)
        }
        other => {
            p.add(
                &join(path, "type"),
                format!("\"{other}\" is not one of \"doubleHash\", \"blakeHash\""),
            );
            None
        }
    }
}

/// Checks that need the whole schema: what clkhash would only find out while hashing.
fn cross_checks(s: &Schema, p: &mut Problems) {
    let hash_len = s.hash_len();
    for (i, f) in s.features.iter().enumerate() {
        let Some(h) = &f.hashing else { continue };
        if h.hash == HashKind::Blake {
            if !hash_len.is_power_of_two() {
                p.add(
                    &format!("features[{i}].hashing.hash"),
                    format!("blakeHash needs a filter length that is a power of two; l × 2^xor_folds is {hash_len}"),
                );
            }
            if s.kdf.key_size > 64 {
                p.add(
                    "clkConfig.kdf.keySize",
                    format!("blakeHash (features[{i}]) takes keys of at most 64 bytes"),
                );
            }
        }
    }
    let digest = match s.kdf.hash {
        KdfHash::Sha256 => 32,
        KdfHash::Sha512 => 64,
    };
    let needed = 2 * s.features.len() * s.kdf.key_size;
    if needed > 255 * digest {
        p.add(
            "clkConfig.kdf",
            format!(
                "HKDF cannot derive {needed} bytes (2 keys of keySize bytes for each of {} features) with this hash: at most {}",
                s.features.len(),
                255 * digest
            ),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problems(text: &str) -> Vec<String> {
        parse(text, "s.json").unwrap_err().problems
    }

    const GOOD: &str = r#"{"version": 3, "clkConfig": {"l": 1024, "kdf": {"type": "HKDF"}},
        "features": [{"identifier": "id", "ignored": true},
          {"identifier": "name", "format": {"type": "string"},
           "hashing": {"comparison": {"type": "ngram", "n": 2}, "strategy": {"bitsPerToken": 20}}}]}"#;

    #[test]
    fn a_good_schema_parses_with_clkhash_defaults() {
        let s = parse(GOOD, "s.json").unwrap();
        assert_eq!(s.l, 1024);
        assert_eq!(s.xor_folds, 0);
        assert_eq!(s.kdf.key_size, 64);
        assert_eq!(s.kdf.hash, KdfHash::Sha256);
        let h = s.features[1].hashing.as_ref().unwrap();
        assert_eq!(h.hash, HashKind::Blake);
        assert_eq!(
            h.comparison,
            Comparison::Ngram {
                n: 2,
                positional: false
            }
        );
        assert!(s.features[0].hashing.is_none());
    }

    #[test]
    fn every_problem_is_reported_with_its_path() {
        let text = GOOD
            .replace(r#""n": 2"#, r#""n": 0, "positonal": true"#)
            .replace(r#""bitsPerToken": 20"#, r#""bitsPerTokens": 20"#)
            .replace(r#""type": "HKDF""#, r#""type": "PBKDF2""#);
        let p = problems(&text);
        assert!(
            p.contains(
                &"s.json: clkConfig.kdf.type: must be \"HKDF\", found \"PBKDF2\"".to_string()
            ) || p.iter().any(|x| x.starts_with("clkConfig.kdf.type")),
            "{p:?}"
        );
        assert!(
            p.iter()
                .any(|x| x.starts_with("features[1].hashing.comparison.n: must be at least 1")),
            "{p:?}"
        );
        assert!(
            p.iter()
                .any(|x| x.starts_with("features[1].hashing.comparison.positonal: unknown key")),
            "{p:?}"
        );
        assert!(
            p.iter()
                .any(|x| x.starts_with("features[1].hashing.strategy: expected exactly one")),
            "{p:?}"
        );
        let e = parse(&text, "s.json").unwrap_err().to_string();
        assert!(e.lines().all(|l| l.starts_with("s.json: ")), "{e}");
    }

    #[test]
    fn xor_folds_in_camel_case_is_refused_as_clkhash_ignores_it() {
        let text = GOOD.replace(r#""l": 1024,"#, r#""l": 1024, "xorFolds": 1,"#);
        assert!(problems(&text)[0].starts_with("clkConfig.xorFolds: clkhash 0.18 ignores"));
        let text = GOOD.replace(r#""l": 1024,"#, r#""l": 512, "xor_folds": 1,"#);
        assert_eq!(parse(&text, "s").unwrap().hash_len(), 1024);
    }

    #[test]
    fn blake_needs_a_power_of_two() {
        let text = GOOD.replace(r#""l": 1024"#, r#""l": 1000"#);
        assert!(problems(&text)[0].starts_with("features[1].hashing.hash: blakeHash needs"));
    }

    #[test]
    fn bad_json_names_line_and_column() {
        let p = problems("{\"version\": 3,\n  oops}");
        assert!(
            p[0].starts_with("not valid JSON (line 2, column 3)"),
            "{p:?}"
        );
    }

    #[test]
    fn old_versions_and_bad_formats_are_named() {
        let text = GOOD.replace(r#""version": 3"#, r#""version": 2"#).replace(
            r#"{"type": "string"}"#,
            r#"{"type": "date", "format": "%Y-%q"}"#,
        );
        let p = problems(&text);
        assert!(p[0].starts_with("version: 2 is not supported"), "{p:?}");
        assert!(p[1].starts_with("features[1].format.format: "), "{p:?}");
    }

    #[test]
    fn bits_per_feature_spreads_the_residue_over_the_first_tokens() {
        let k: Vec<u32> = Strategy::BitsPerFeature(10).bits_per_token(4).collect();
        assert_eq!(k, [3, 3, 2, 2]);
        let k: Vec<u32> = Strategy::BitsPerFeature(3).bits_per_token(5).collect();
        assert_eq!(k, [1, 1, 1, 0, 0]);
    }
}
