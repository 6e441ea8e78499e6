//! URL paths below the base URL, with caller-supplied segments encoded.

use std::fmt;

use crate::error::{Error, Result};

/// A URL path below the base URL, built from literal parts and caller-supplied segments.
///
/// Literal parts come from the vendor crate (`"/siem/offenses"`); every caller-supplied value
/// goes through [`ApiPath::segment`], which percent-encodes it as exactly one segment and
/// refuses values that no encoding can keep in place (empty, `.` and `..`), so an id can never
/// change which resource is addressed.
///
/// ```
/// use incident_core::ApiPath;
/// let p = ApiPath::new("/siem/offenses").segment("a/../b?x#y").unwrap().then("notes");
/// assert_eq!(p.as_str(), "/siem/offenses/a%2F..%2Fb%3Fx%23y/notes");
/// assert!(ApiPath::new("/siem/offenses").segment("..").is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiPath(String);

impl ApiPath {
    /// Starts from a literal path such as `/siem/offenses` (trusted; not encoded).
    pub fn new(literal: &'static str) -> Self {
        let mut p = ApiPath(String::new());
        p.push_literal(literal);
        p
    }

    /// Appends a literal part (trusted; not encoded).
    pub fn then(mut self, literal: &'static str) -> Self {
        self.push_literal(literal);
        self
    }

    fn push_literal(&mut self, literal: &str) {
        let literal = literal.trim_matches('/');
        if !literal.is_empty() {
            self.0.push('/');
            self.0.push_str(literal);
        }
    }

    /// Appends one caller-supplied segment, percent-encoded.
    pub fn segment(mut self, value: impl fmt::Display) -> Result<Self> {
        let value = value.to_string();
        self.0.push('/');
        self.0.push_str(&encode_path_segment(&value)?);
        Ok(self)
    }

    /// The encoded path.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Percent-encodes `value` as exactly one URL path segment: everything but the RFC 3986
/// unreserved characters is encoded. Empty values, `.` and `..` are refused (URL parsers
/// resolve them, and their encoded forms, as relative paths).
pub fn encode_path_segment(value: &str) -> Result<String> {
    if value.is_empty() {
        return Err(Error::invalid_input(
            "path segment",
            "an id must not be empty",
        ));
    }
    if value == "." || value == ".." {
        return Err(Error::invalid_input(
            "path segment",
            format!("{value:?} would address another resource"),
        ));
    }
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_are_encoded_as_one() {
        assert_eq!(encode_path_segment("42").unwrap(), "42");
        assert_eq!(encode_path_segment("a b+c&d%").unwrap(), "a%20b%2Bc%26d%25");
        assert_eq!(encode_path_segment("../admin").unwrap(), "..%2Fadmin");
        assert_eq!(encode_path_segment("...").unwrap(), "...");
        assert_eq!(encode_path_segment("é").unwrap(), "%C3%A9");
        assert!(encode_path_segment("").is_err());
        assert!(encode_path_segment(".").is_err());
        assert!(matches!(
            encode_path_segment(".."),
            Err(Error::InvalidInput { .. })
        ));
    }
}
