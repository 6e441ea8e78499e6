//! Logon and logoff: `POST {app}/API/auth/{type}/Logon` gives a session token (a bare JSON
//! string), sent raw as `Authorization: <token>`; `POST {app}/API/Auth/Logoff` ends it.

use async_trait::async_trait;
use incident_core::reqwest::header::{AUTHORIZATION, HeaderValue};
use incident_core::transport::{Credentials, Session, SessionProvider};
use incident_core::{ApiPath, ApiRequest, Error, Result, Secret, Transport};

use crate::client::VENDOR;
use crate::model::LogonBody;

pub use crate::model::AuthType;

/// The PVWA session: credentials, logon type, and the application path the calls go to
/// (the password shown redacted).
#[derive(Debug)]
pub(crate) struct PtaSession {
    pub(crate) app: ApiPath,
    pub(crate) auth_type: AuthType,
    pub(crate) username: String,
    pub(crate) password: Secret,
    pub(crate) concurrent_session: Option<bool>,
}

/// The token of a logon answer: the documented bare JSON string, or the
/// `{"CyberArkLogonResult": "..."}` object of the classic API. The body is never echoed into
/// an error: it holds the token.
fn token_of(body: &[u8]) -> Result<String> {
    let refused = |what: &str| {
        let why = format!("the logon answer is {what}, not the session token as a JSON string");
        Error::protocol(VENDOR, why)
    };
    let value: serde_json::Value = serde_json::from_slice(body).map_err(|_| refused("not JSON"))?;
    let token = match value {
        serde_json::Value::String(s) => s,
        serde_json::Value::Object(mut o) => match o.remove("CyberArkLogonResult") {
            Some(serde_json::Value::String(s)) => s,
            _ => return Err(refused("a JSON object")),
        },
        _ => return Err(refused("another JSON value")),
    };
    if token.trim().is_empty() {
        return Err(refused("an empty string"));
    }
    Ok(token)
}

#[async_trait]
impl SessionProvider for PtaSession {
    async fn log_on(&self, http: &Transport) -> Result<Session> {
        let path = self
            .app
            .clone()
            .then("API/auth")
            .segment(self.auth_type.as_str())?
            .then("Logon");
        let body = LogonBody {
            username: &self.username,
            password: self.password.expose(),
            concurrent_session: self.concurrent_session,
        };
        let resp = http.execute(ApiRequest::post(path).json(&body)?).await?;
        Ok(Session::new(token_of(resp.body())?))
    }

    async fn log_off(&self, http: &Transport, session: &Session) -> Result<()> {
        let mut value = HeaderValue::from_str(session.token().expose())
            .map_err(|_| Error::config("the session token cannot be sent in a header"))?;
        value.set_sensitive(true);
        let req =
            ApiRequest::post(self.app.clone().then("API/Auth/Logoff")).header(AUTHORIZATION, value);
        http.execute(req).await.map(|_| ())
    }

    fn attach(&self, token: &Secret) -> Result<Credentials> {
        // The raw token, no scheme: PVWA refuses `Bearer <token>`.
        Credentials::header(AUTHORIZATION, token.expose())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auth_types_parse_in_any_case() {
        assert_eq!("ldap".parse::<AuthType>().unwrap(), AuthType::Ldap);
        assert_eq!(
            " CYBERARK ".parse::<AuthType>().unwrap(),
            AuthType::CyberArk
        );
        assert_eq!("Radius".parse::<AuthType>().unwrap(), AuthType::Radius);
        assert_eq!("windows".parse::<AuthType>().unwrap(), AuthType::Windows);
        assert!("SAML".parse::<AuthType>().is_err());
        assert_eq!(AuthType::default().to_string(), "CyberArk");
    }

    #[test]
    fn tokens_of_logon_answers() {
        assert_eq!(token_of(br#""abc.def""#).unwrap(), "abc.def");
        assert_eq!(
            token_of(br#"{"CyberArkLogonResult":"classic"}"#).unwrap(),
            "classic"
        );
        for bad in [&br#""""#[..], b"{}", b"42", b"<html>secret-token</html>"] {
            let e = token_of(bad).unwrap_err();
            assert!(matches!(e, Error::Protocol { .. }), "{e:?}");
            assert!(!e.to_string().contains("secret-token"));
        }
    }
}
