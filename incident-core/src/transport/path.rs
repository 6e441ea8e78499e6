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
///
/// // CyberArk PTA keeps a trailing slash; ESET puts a custom verb after an encoded id.
/// assert_eq!(ApiPath::new("/API/pta/API/Events").trailing_slash().as_str(), "/API/pta/API/Events/");
/// let close = ApiPath::new("/v2/incidents").segment("a:b").unwrap().verb("close").unwrap();
/// assert_eq!(close.as_str(), "/v2/incidents/a%3Ab:close");
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

    /// Ends the path with `/` (CyberArk's `/API/pta/API/Events/` must keep it).
    pub fn trailing_slash(mut self) -> Self {
        if !self.0.ends_with('/') {
            self.0.push('/');
        }
        self
    }

    /// Appends a custom method to the last segment, `:verb` (ESET's
    /// `/v2/incidents/{uuid}:close`). The verb is a literal: letters, digits, `-` and `_`
    /// only; the `:` is not encoded, while the segment before it was.
    pub fn verb(mut self, verb: &'static str) -> Result<Self> {
        if verb.is_empty()
            || !verb
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
            || self.0.is_empty()
            || self.0.ends_with('/')
        {
            return Err(Error::invalid_input(
                "path verb",
                format!("{verb:?} cannot end this path"),
            ));
        }
        self.0.push(':');
        self.0.push_str(verb);
        Ok(self)
    }

    /// A path that is already percent-encoded, taken from a server's `next` link. Each
    /// segment is checked: `.` and `..` (also encoded) are refused, and characters that
    /// are not allowed in a path are encoded, so the path cannot climb above the base.
    pub fn from_encoded(path: &str) -> Result<Self> {
        let mut out = String::with_capacity(path.len());
        let trailing = path.ends_with('/') && path.len() > 1;
        for seg in path.split('/').filter(|s| !s.is_empty()) {
            let decoded_dot = seg.replace("%2e", ".").replace("%2E", ".");
            if decoded_dot == "." || decoded_dot == ".." {
                return Err(Error::invalid_input(
                    "link path",
                    "a link must not contain `.` or `..` segments",
                ));
            }
            out.push('/');
            for c in seg.chars() {
                if c.is_ascii_alphanumeric() || "-._~!$&'()*+,;=:@%".contains(c) {
                    out.push(c);
                } else {
                    let mut buf = [0u8; 4];
                    for b in c.encode_utf8(&mut buf).bytes() {
                        out.push_str(&format!("%{b:02X}"));
                    }
                }
            }
        }
        if trailing {
            out.push('/');
        }
        Ok(ApiPath(out))
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

    #[test]
    fn trailing_slash_and_verbs() {
        let p = ApiPath::new("/PasswordVault/API/pta/API/Events/");
        assert_eq!(p.as_str(), "/PasswordVault/API/pta/API/Events");
        assert_eq!(
            p.trailing_slash().trailing_slash().as_str(),
            "/PasswordVault/API/pta/API/Events/"
        );
        let p = ApiPath::new("/v2/incidents")
            .segment("7d1f/../x:y")
            .unwrap()
            .verb("reopen")
            .unwrap();
        assert_eq!(p.as_str(), "/v2/incidents/7d1f%2F..%2Fx%3Ay:reopen");
        assert!(ApiPath::new("/v2").verb("a/b").is_err());
        assert!(ApiPath::new("/v2").verb("").is_err());
        assert!(ApiPath::new("/v2").trailing_slash().verb("x").is_err());
    }

    #[test]
    fn encoded_link_paths_stay_below_the_base() {
        assert_eq!(
            ApiPath::from_encoded("/a/b%20c/").unwrap().as_str(),
            "/a/b%20c/"
        );
        assert_eq!(ApiPath::from_encoded("/a b").unwrap().as_str(), "/a%20b");
        for bad in ["/a/../b", "/a/%2e%2E/b", "/./x", "/x/.."] {
            assert!(ApiPath::from_encoded(bad).is_err(), "{bad}");
        }
    }
}
