//! A secret value (token, password) that never shows in `Debug`, `Display` or logs.

use std::fmt;

use secrecy::{ExposeSecret, SecretString};

/// A token or password.
///
/// The value is kept in a [`secrecy::SecretString`] (zeroed on drop) and is only reachable
/// through [`Secret::expose`]. `Debug` prints `Secret([REDACTED])`; there is deliberately no
/// `Display` and no `Serialize`, so a secret cannot end up in a log line or an error message
/// by accident.
///
/// ```
/// use incident_core::Secret;
/// let token = Secret::from("0f1e2d3c");
/// assert_eq!(format!("{token:?}"), "Secret([REDACTED])");
/// assert_eq!(token.expose(), "0f1e2d3c");
/// ```
#[derive(Clone)]
pub struct Secret(SecretString);

impl Secret {
    /// Wraps a value.
    pub fn new(value: impl Into<String>) -> Self {
        Secret(SecretString::from(value.into()))
    }

    /// The secret value itself. Call this only where the value is put on the wire.
    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }

    /// Whether the value is empty (an empty token is a configuration mistake).
    pub fn is_empty(&self) -> bool {
        self.0.expose_secret().is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret([REDACTED])")
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Secret::new(value)
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Self {
        Secret::new(value)
    }
}

impl From<SecretString> for Secret {
    fn from(value: SecretString) -> Self {
        Secret(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_is_redacted() {
        let s = Secret::new("hunter2");
        assert!(!format!("{s:?}").contains("hunter2"));
        assert!(!format!("{:#?}", Some(s.clone())).contains("hunter2"));
        assert_eq!(s.expose(), "hunter2");
        assert!(!s.is_empty());
        assert!(Secret::from("").is_empty());
    }
}
