//! What Sentinel accepts in a write: the fields it sets itself, and JSON text without `\u`
//! escapes.

/// Fields of an incident the server sets: never written back by an update.
pub const READ_ONLY_FIELDS: &[&str] = &["meta", "createdate", "moddate", "creator", "modifier"];

/// Removes the fields the server sets ([`READ_ONLY_FIELDS`]) from an incident to write.
pub(crate) fn strip_read_only(incident: &mut serde_json::Map<String, serde_json::Value>) {
    for field in READ_ONLY_FIELDS {
        incident.remove(*field);
    }
}

/// Whether serialized JSON holds a `\uXXXX` escape (an escaped backslash followed by `u`
/// is not one). Sentinel's JSON parser rejects them with a 400; `serde_json` writes
/// non-ASCII text as UTF-8, so only control characters other than `\n`, `\r`, `\t`, `\b`
/// and `\f` (which JSON can only write as `\u00XX`) make one.
pub fn has_unicode_escape(json: &[u8]) -> bool {
    let mut bytes = json.iter();
    while let Some(&b) = bytes.next() {
        if b == b'\\' {
            match bytes.next() {
                Some(b'u') => return true,
                Some(_) => {}
                None => return false,
            }
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unicode_escapes_are_found_exactly() {
        assert!(has_unicode_escape(
            br#"{"resolution":"Compte verrouill\u00e9"}"#
        ));
        assert!(has_unicode_escape(br#"{"a":"\u0007"}"#));
        assert!(!has_unicode_escape("{\"a\":\"é ✓ \\n \\t\"}".as_bytes()));
        // An escaped backslash followed by `u` is text, not an escape.
        assert!(!has_unicode_escape(br#"{"path":"C:\\users"}"#));
        assert!(has_unicode_escape(br#"{"path":"C:\\\u0041"}"#));
        assert!(!has_unicode_escape(br#"\"#));
    }
}
