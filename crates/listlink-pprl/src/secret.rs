//! The linkage secret: bytes that are never printed, written or kept longer than needed.

use std::fmt;
use std::io::Read;

/// The shared secret. Its `Debug` does not show it; it is zeroed when dropped.
pub struct Secret(Vec<u8>);

impl Secret {
    /// The secret from raw bytes. One final line break (`\n` or `\r\n`) is dropped, as a key file
    /// written with `echo` ends with one; a secret cannot be empty.
    pub fn from_bytes(mut bytes: Vec<u8>) -> Result<Secret, SecretError> {
        if bytes.ends_with(b"\n") {
            bytes.pop();
            if bytes.ends_with(b"\r") {
                bytes.pop();
            }
        }
        if bytes.is_empty() {
            return Err(SecretError::Empty);
        }
        Ok(Secret(bytes))
    }

    /// Reads the whole secret from a reader (a key file or stdin).
    pub fn read(mut r: impl Read) -> Result<Secret, SecretError> {
        let mut bytes = Vec::new();
        r.read_to_end(&mut bytes).map_err(SecretError::Io)?;
        Secret::from_bytes(bytes)
    }

    pub(crate) fn bytes(&self) -> &[u8] {
        &self.0
    }
}

impl Drop for Secret {
    fn drop(&mut self) {
        self.0.fill(0);
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(hidden)")
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    #[error("the secret is empty")]
    Empty,
    #[error("cannot read the secret: {0}")]
    Io(std::io::Error),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_final_line_break_is_dropped_and_debug_hides_the_secret() {
        let s = Secret::from_bytes(b"hunter2\r\n".to_vec()).unwrap();
        assert_eq!(s.bytes(), b"hunter2");
        let s = Secret::from_bytes(b"a b\n\n".to_vec()).unwrap();
        assert_eq!(s.bytes(), b"a b\n");
        assert!(!format!("{s:?}").contains("a b"));
        assert!(matches!(
            Secret::from_bytes(b"\n".to_vec()),
            Err(SecretError::Empty)
        ));
    }
}
