//! The URL rules of every PTA and PAS method page, enforced before a request is built:
//!
//! - "Make sure there are no spaces in the URL."
//! - "The following characters are not supported in URL values: + & %"
//! - "If the URL includes a dot (.), add a forward slash (/) at the end of the URL."
//!
//! Since `%` is not supported, a value cannot be percent-encoded either: a value with any
//! character outside the unreserved set of RFC 3986 (letters, digits, `-`, `.`, `_`, `~`) is
//! refused, naming the rule it breaks. PTA's own ids (24 hexadecimal digits for events,
//! `27_3` for accounts) pass.

use incident_core::{ApiPath, Error, Result};

/// Checks one value that goes into the URL (a path segment or a query value).
///
/// # Errors
///
/// [`Error::InvalidInput`] naming the rule an empty value, or one with another character
/// than the unreserved ones, breaks; also for `.` and `..`.
pub fn check_url_value(what: &'static str, value: &str) -> Result<()> {
    if value.is_empty() {
        return Err(Error::invalid_input(what, "the value is empty"));
    }
    if let Some(c) = value.chars().find(|c| matches!(c, ' ' | '+' | '&' | '%')) {
        let shown = if c == ' ' {
            "a space".to_owned()
        } else {
            format!("{c:?}")
        };
        return Err(Error::invalid_input(
            what,
            format!(
                "{value:?} contains {shown}; PVWA supports no spaces and none of + & % in URL values"
            ),
        ));
    }
    if let Some(c) = value
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_' | '~')))
    {
        return Err(Error::invalid_input(
            what,
            format!(
                "{value:?} contains {c:?}, which would need percent-encoding, and PVWA does not support % in URL values"
            ),
        ));
    }
    if value == "." || value == ".." {
        return Err(Error::invalid_input(
            what,
            format!("{value:?} would address another resource"),
        ));
    }
    Ok(())
}

/// `base/value`, with the trailing slash PVWA needs when the value holds a dot.
///
/// # Errors
///
/// As [`check_url_value`].
pub fn path_with(base: ApiPath, what: &'static str, value: &str) -> Result<ApiPath> {
    check_url_value(what, value)?;
    let path = base.segment(value)?;
    Ok(if value.contains('.') {
        path.trailing_slash()
    } else {
        path
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_seed_rules() {
        for ok in ["5f0ea000e4b0ba4baf5d1910", "27_3", "a-b~c"] {
            assert!(check_url_value("id", ok).is_ok(), "{ok}");
        }
        for (bad, says) in [
            ("a b", "a space"),
            ("a+b", "'+'"),
            ("a&b", "'&'"),
            ("a%20b", "'%'"),
            ("a/b", "percent-encoding"),
            ("a?b", "percent-encoding"),
            ("é", "percent-encoding"),
            ("", "empty"),
            ("..", "another resource"),
        ] {
            let e = check_url_value("id", bad).unwrap_err();
            assert!(matches!(e, Error::InvalidInput { what: "id", .. }), "{e:?}");
            assert!(e.to_string().contains(says), "{bad}: {e}");
        }
    }

    #[test]
    fn a_dot_gets_a_trailing_slash() {
        let base = || ApiPath::new("/PasswordVault/API/pta/API/Events");
        assert_eq!(
            path_with(base(), "id", "5f0b").unwrap().as_str(),
            "/PasswordVault/API/pta/API/Events/5f0b"
        );
        assert_eq!(
            path_with(base(), "id", "user.cyber.com").unwrap().as_str(),
            "/PasswordVault/API/pta/API/Events/user.cyber.com/"
        );
    }
}
