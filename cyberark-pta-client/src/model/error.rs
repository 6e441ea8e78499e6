//! The error body PVWA answers and the error codes seen from real servers; how they become
//! an [`incident_core::Error`] is [`crate::error`].

use incident_core::ErrorKind;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// The JSON body of a PVWA error answer.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct PtaErrorBody {
    /// The error code, e.g. `PASWS013E`; see [`PtaErrorCode`].
    #[serde(
        rename = "ErrorCode",
        alias = "errorCode",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub error_code: Option<String>,
    /// The message, e.g. `Failed to logon. Reason: Authentication failure for User admin`.
    #[serde(
        rename = "ErrorMessage",
        alias = "errorMessage",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub error_message: Option<String>,
    /// Other members (ASP.NET's `Message`, `Details`...), kept as sent.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl PtaErrorBody {
    /// Reads an error body, keeping what can be read; `None` when the value is not an object.
    pub fn from_value(value: &Value) -> Option<PtaErrorBody> {
        let object = value.as_object()?;
        let text = |keys: &[&str]| {
            keys.iter().find_map(|k| match object.get(*k)? {
                Value::String(s) => Some(s.clone()),
                Value::Number(n) => Some(n.to_string()),
                _ => None,
            })
        };
        let mut extra = object.clone();
        for key in ["ErrorCode", "errorCode", "ErrorMessage", "errorMessage"] {
            extra.remove(key);
        }
        Some(PtaErrorBody {
            error_code: text(&["ErrorCode", "errorCode"]),
            error_message: text(&["ErrorMessage", "errorMessage"]),
            extra,
        })
    }

    /// The code: `ErrorCode`, else one that starts the message (`ITATS955E You are ...`).
    pub fn code(&self) -> Option<&str> {
        self.error_code
            .as_deref()
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .or_else(|| self.message().and_then(code_in_text))
    }

    /// The typed code.
    pub fn typed_code(&self) -> Option<PtaErrorCode> {
        self.code().map(PtaErrorCode::from_code)
    }

    /// The message: `ErrorMessage`, else ASP.NET's `Message`.
    pub fn message(&self) -> Option<&str> {
        self.error_message
            .as_deref()
            .or_else(|| self.extra.get("Message")?.as_str())
            .map(str::trim)
            .filter(|m| !m.is_empty())
    }
}

/// A PVWA code at the start of `text`: letters, digits, ending in `E` (error), `W` or `I`,
/// such as `ITATS955E` or `PASWS013E`.
pub(crate) fn code_in_text(text: &str) -> Option<&str> {
    let word = text
        .trim_start()
        .split(|c: char| c.is_whitespace() || c == ':')
        .next()?;
    let letters = word.bytes().take_while(u8::is_ascii_uppercase).count();
    let digits = word[letters..]
        .bytes()
        .take_while(u8::is_ascii_digit)
        .count();
    let ok = (3..=8).contains(&letters)
        && (3..=6).contains(&digits)
        && word.len() == letters + digits + 1
        && matches!(word.as_bytes()[word.len() - 1], b'E' | b'W' | b'I');
    ok.then_some(word)
}

/// The PVWA error codes reported by users of real servers. Any other code is kept in
/// [`PtaErrorCode::Other`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum PtaErrorCode {
    /// `PASWS013E`: the logon failed ("Authentication failure for User ..."), answered with
    /// 403 by the servers reported (infamousjoeg/CyberArk-RESTAPI issue #2). Kind
    /// [`ErrorKind::Unauthorized`].
    LogonFailed,
    /// `CAIWS001E`: "Couldn't retrieve session token from request header" (psPAS issue
    /// #189). Kind [`ErrorKind::Unauthorized`].
    NoSessionToken,
    /// `ITATS955E`: "You are unauthorized ..." (psPAS issue #26): the Vault refused the
    /// user this action.
    Unauthorized,
    /// `CAWS00001E`: PVWA's generic web-service error (psPAS issue #90).
    WebService,
    /// `PASWS006E`: the session token is no longer valid (expired, logged off, or issued by
    /// another PVWA node behind a load balancer); CyberArk's own REST scripts
    /// (cyberark/epv-api-scripts) take it for the end of the session. Kind
    /// [`ErrorKind::Unauthorized`].
    SessionEnded,
    /// `PASWS041E`: "You are not authorized to perform this action." (shown as the last error
    /// of a session in the psPAS 6.2 release notes): the user is logged on but lacks the
    /// permission. Kind [`ErrorKind::Forbidden`].
    ActionNotAllowed,
    /// `PASWS167E`: "There are some invalid parameters", reported from real servers for
    /// values PVWA refuses. Kind [`ErrorKind::InvalidRequest`].
    InvalidParameters,
    /// `ITATS528E`: "Authentication failure for user ... from station ..." (psPAS issue
    /// #548): the Vault refused a logon (a RADIUS or LDAP one in the reports). Kind
    /// [`ErrorKind::Unauthorized`].
    VaultLogonFailed,
    /// Any other code, as sent.
    Other(String),
}

impl PtaErrorCode {
    /// The typed code of a code string (compared without regard to case).
    pub fn from_code(code: &str) -> PtaErrorCode {
        let code = code.trim();
        match code.to_ascii_uppercase().as_str() {
            "PASWS013E" => PtaErrorCode::LogonFailed,
            "CAIWS001E" => PtaErrorCode::NoSessionToken,
            "ITATS955E" => PtaErrorCode::Unauthorized,
            "CAWS00001E" => PtaErrorCode::WebService,
            "PASWS006E" => PtaErrorCode::SessionEnded,
            "PASWS041E" => PtaErrorCode::ActionNotAllowed,
            "PASWS167E" => PtaErrorCode::InvalidParameters,
            "ITATS528E" => PtaErrorCode::VaultLogonFailed,
            _ => PtaErrorCode::Other(code.to_owned()),
        }
    }

    /// The code as PVWA writes it.
    pub fn as_str(&self) -> &str {
        match self {
            PtaErrorCode::LogonFailed => "PASWS013E",
            PtaErrorCode::NoSessionToken => "CAIWS001E",
            PtaErrorCode::Unauthorized => "ITATS955E",
            PtaErrorCode::WebService => "CAWS00001E",
            PtaErrorCode::SessionEnded => "PASWS006E",
            PtaErrorCode::ActionNotAllowed => "PASWS041E",
            PtaErrorCode::InvalidParameters => "PASWS167E",
            PtaErrorCode::VaultLogonFailed => "ITATS528E",
            PtaErrorCode::Other(code) => code,
        }
    }

    /// The kind the code means when the status says less, or `None` (the status decides).
    pub fn kind(&self) -> Option<ErrorKind> {
        match self {
            PtaErrorCode::LogonFailed
            | PtaErrorCode::NoSessionToken
            | PtaErrorCode::SessionEnded
            | PtaErrorCode::VaultLogonFailed => Some(ErrorKind::Unauthorized),
            PtaErrorCode::ActionNotAllowed => Some(ErrorKind::Forbidden),
            PtaErrorCode::InvalidParameters => Some(ErrorKind::InvalidRequest),
            PtaErrorCode::Unauthorized | PtaErrorCode::WebService | PtaErrorCode::Other(_) => None,
        }
    }
}
