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
///
/// A segment that is itself a secret (a session token in a logout URL) goes through
/// [`ApiPath::secret_segment`]: it is sent, but logs and errors show `[REDACTED]` in its
/// place ([`ApiPath::shown`]), and so does `Debug`.
///
/// ```
/// use incident_core::ApiPath;
/// let p = ApiPath::new("/auth/tokens").secret_segment("tok/123").unwrap();
/// assert_eq!(p.as_str(), "/auth/tokens/tok%2F123");
/// assert_eq!(p.shown(), "/auth/tokens/[REDACTED]");
/// assert!(!format!("{p:?}").contains("123"));
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct ApiPath {
    path: String,
    /// The path as logs and errors show it, when a segment is secret.
    shown: Option<String>,
}

impl fmt::Debug for ApiPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("ApiPath").field(&self.shown()).finish()
    }
}

impl ApiPath {
    /// Starts from a literal path such as `/siem/offenses` (trusted; not encoded).
    pub fn new(literal: &'static str) -> Self {
        let mut p = ApiPath {
            path: String::new(),
            shown: None,
        };
        p.push_literal(literal);
        p
    }

    /// Appends a literal part (trusted; not encoded).
    #[must_use]
    pub fn then(mut self, literal: &'static str) -> Self {
        self.push_literal(literal);
        self
    }

    /// Appends `text` to the path and to its shown form.
    fn push(&mut self, text: &str) {
        self.path.push_str(text);
        if let Some(shown) = &mut self.shown {
            shown.push_str(text);
        }
    }

    fn push_literal(&mut self, literal: &str) {
        let literal = literal.trim_matches('/');
        if !literal.is_empty() {
            self.push("/");
            self.push(literal);
        }
    }

    /// Appends one caller-supplied segment, percent-encoded.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] for an empty value, `.` or `..`.
    pub fn segment(mut self, value: impl fmt::Display) -> Result<Self> {
        let value = value.to_string();
        let encoded = encode_path_segment(&value)?;
        self.push("/");
        self.push(&encoded);
        Ok(self)
    }

    /// Appends one segment that is a secret (a token a logout URL carries), percent-encoded
    /// like [`segment`](Self::segment); logs, errors and `Debug` show `[REDACTED]` in its
    /// place.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`], without the value, for an empty value, `.` or `..`.
    pub fn secret_segment(mut self, value: &str) -> Result<Self> {
        let encoded = encode_path_segment(value)
            .map_err(|_| Error::invalid_input("path segment", "the secret is empty or a dot"))?;
        let shown = format!("{}/[REDACTED]", self.shown());
        self.path.push('/');
        self.path.push_str(&encoded);
        self.shown = Some(shown);
        Ok(self)
    }

    /// Ends the path with `/` (CyberArk's `/API/pta/API/Events/` must keep it).
    #[must_use]
    pub fn trailing_slash(mut self) -> Self {
        if !self.path.ends_with('/') {
            self.push("/");
        }
        self
    }

    /// Appends a custom method to the last segment, `:verb` (ESET's
    /// `/v2/incidents/{uuid}:close`). The verb is a literal: letters, digits, `-` and `_`
    /// only; the `:` is not encoded, while the segment before it was.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] for another character, an empty verb, or a path that is empty
    /// or ends with `/`.
    pub fn verb(mut self, verb: &'static str) -> Result<Self> {
        if verb.is_empty()
            || !verb
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
            || self.path.is_empty()
            || self.path.ends_with('/')
        {
            return Err(Error::invalid_input(
                "path verb",
                format!("{verb:?} cannot end this path"),
            ));
        }
        self.push(":");
        self.push(verb);
        Ok(self)
    }

    /// A path that is already percent-encoded, taken from a server's `next` link. Each
    /// segment is checked: `.` and `..` (also encoded) are refused, and characters that
    /// are not allowed in a path are encoded, so the path cannot climb above the base.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] for a `.` or `..` segment.
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
        Ok(ApiPath {
            path: out,
            shown: None,
        })
    }

    /// The encoded path.
    pub fn as_str(&self) -> &str {
        &self.path
    }

    /// The path as logs and errors show it: [`as_str`](Self::as_str), with `[REDACTED]` in
    /// place of each [`secret_segment`](Self::secret_segment).
    pub fn shown(&self) -> &str {
        self.shown.as_deref().unwrap_or(&self.path)
    }

    /// Whether a segment is secret.
    pub fn has_secret(&self) -> bool {
        self.shown.is_some()
    }
}

/// Percent-encodes `value` as exactly one URL path segment: everything but the RFC 3986
/// unreserved characters is encoded. Empty values, `.` and `..` are refused (URL parsers
/// resolve them, and their encoded forms, as relative paths).
///
/// # Errors
///
/// [`Error::InvalidInput`] for an empty value, `.` or `..`.
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
        let p = ApiPath::new("/vault/API/events/");
        assert_eq!(p.as_str(), "/vault/API/events");
        assert_eq!(
            p.trailing_slash().trailing_slash().as_str(),
            "/vault/API/events/"
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
    fn secret_segments_are_sent_but_not_shown() {
        let p = ApiPath::new("/auth/tokens")
            .secret_segment("a b/c")
            .unwrap()
            .then("x")
            .trailing_slash();
        assert_eq!(p.as_str(), "/auth/tokens/a%20b%2Fc/x/");
        assert_eq!(p.shown(), "/auth/tokens/[REDACTED]/x/");
        assert!(p.has_secret());
        assert!(!format!("{p:?}").contains("a%20b"));
        let plain = ApiPath::new("/a").segment("b").unwrap();
        assert_eq!(plain.shown(), "/a/b");
        assert!(!plain.has_secret());
        let e = ApiPath::new("/t").secret_segment("..").unwrap_err();
        assert!(!e.to_string().contains(".."), "{e}");
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
