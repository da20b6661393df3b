//! Which writing system a name is written in.

/// A writing system, as far as name matching needs to tell them apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Script {
    Latin,
    Cyrillic,
    Hebrew,
    Arabic,
    Greek,
    Georgian,
    Armenian,
    Other,
}

impl Script {
    /// The script of one character, or `None` for digits, punctuation and marks.
    pub fn of(c: char) -> Option<Script> {
        let cp = c as u32;
        let script = match cp {
            0x41..=0x5A | 0x61..=0x7A | 0xC0..=0x24F | 0x1E00..=0x1EFF => Script::Latin,
            0x370..=0x3FF | 0x1F00..=0x1FFF => Script::Greek,
            0x400..=0x52F | 0x1C80..=0x1C8F | 0x2DE0..=0x2DFF | 0xA640..=0xA69F => Script::Cyrillic,
            0x530..=0x58F => Script::Armenian,
            0x590..=0x5FF | 0xFB1D..=0xFB4F => Script::Hebrew,
            0x600..=0x6FF | 0x750..=0x77F | 0x8A0..=0x8FF | 0xFB50..=0xFDFF | 0xFE70..=0xFEFF => {
                Script::Arabic
            }
            0x10A0..=0x10FF | 0x1C90..=0x1CBF => Script::Georgian,
            _ if c.is_alphabetic() => Script::Other,
            _ => return None,
        };
        Some(script)
    }

    /// A short lowercase name, as used in settings and explanations.
    pub fn name(self) -> &'static str {
        match self {
            Script::Latin => "latin",
            Script::Cyrillic => "cyrillic",
            Script::Hebrew => "hebrew",
            Script::Arabic => "arabic",
            Script::Greek => "greek",
            Script::Georgian => "georgian",
            Script::Armenian => "armenian",
            Script::Other => "other",
        }
    }
}

/// The script most letters of `s` are written in; `None` when `s` has no letters.
pub fn dominant_script(s: &str) -> Option<Script> {
    let mut counts = [0usize; 8];
    for c in s.chars() {
        if let Some(script) = Script::of(c) {
            counts[script as usize] += 1;
        }
    }
    let (best, n) = counts
        .iter()
        .enumerate()
        .max_by_key(|(i, n)| (**n, usize::MAX - i))?;
    if *n == 0 {
        return None;
    }
    Some(ALL[best])
}

const ALL: [Script; 8] = [
    Script::Latin,
    Script::Cyrillic,
    Script::Hebrew,
    Script::Arabic,
    Script::Greek,
    Script::Georgian,
    Script::Armenian,
    Script::Other,
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_scripts() {
        assert_eq!(dominant_script("Evgenii"), Some(Script::Latin));
        assert_eq!(dominant_script("Евгений"), Some(Script::Cyrillic));
        assert_eq!(dominant_script("יבגני"), Some(Script::Hebrew));
        assert_eq!(dominant_script("محمد"), Some(Script::Arabic));
        assert_eq!(dominant_script("Γιώργος"), Some(Script::Greek));
        assert_eq!(dominant_script("გიორგი"), Some(Script::Georgian));
        assert_eq!(dominant_script("Արամ"), Some(Script::Armenian));
        assert_eq!(dominant_script("12 - ,"), None);
    }
}
