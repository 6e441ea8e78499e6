//! Session authentication: log on, use a token, refresh it or log on again, log off.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use async_trait::async_trait;
use tokio::time::Instant;

use super::Transport;
use super::auth::{Authenticator, Credentials};
use crate::error::Result;
use crate::secret::Secret;

/// How long before its announced expiry a session token is renewed, unless
/// [`SessionAuth::refresh_margin`] says otherwise.
pub const DEFAULT_REFRESH_MARGIN: Duration = Duration::from_secs(60);

/// An OAuth 2.0 access-token answer (RFC 6749, section 5.1), as token endpoints send it:
/// `access_token`, `expires_in` (seconds, a number or a digit string) and `refresh_token`;
/// other members (`token_type`, `scope`) are ignored.
///
/// [`read`](Self::read) never puts any part of the body into an error, since the body holds
/// the token: a body that does not decode gives only the line and column.
///
/// ```
/// use incident_core::{Vendor, transport::TokenAnswer};
///
/// const ACME: Vendor = Vendor::new("acme", "Acme");
/// let body = br#"{"access_token":"eyJ0","token_type":"bearer","expires_in":"3600"}"#;
/// let token = TokenAnswer::read(ACME, "token", body)?;
/// assert_eq!(token.access_token.expose(), "eyJ0");
/// assert_eq!(token.expires_in, Some(std::time::Duration::from_secs(3600)));
/// let err = TokenAnswer::read(ACME, "token", br#"{"access_token":123456}"#).unwrap_err();
/// assert!(!err.to_string().contains("123456"));
/// # Ok::<(), incident_core::Error>(())
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub struct TokenAnswer {
    /// The access token (never empty).
    pub access_token: Secret,
    /// The lifetime the server states; `None` when it states none (absent or zero).
    pub expires_in: Option<Duration>,
    /// The refresh token, when the server gives one (and it is not empty).
    pub refresh_token: Option<Secret>,
}

impl TokenAnswer {
    /// Reads the answer of `vendor`'s token endpoint; `what` names the exchange in errors
    /// ("token", "token exchange").
    ///
    /// # Errors
    ///
    /// [`Error::Protocol`](crate::Error::Protocol) when the body is not such an object or
    /// has no `access_token`, without the body.
    pub fn read(vendor: crate::Vendor, what: &str, body: &[u8]) -> Result<TokenAnswer> {
        #[derive(serde::Deserialize)]
        struct Wire {
            #[serde(default)]
            access_token: Option<String>,
            #[serde(default, with = "crate::serde_helpers::lenient_u64_option")]
            expires_in: Option<u64>,
            #[serde(default)]
            refresh_token: Option<String>,
        }
        let wire: Wire = serde_json::from_slice(body).map_err(|e| {
            let (line, column) = (e.line(), e.column());
            let message = format!("unreadable {what} answer (at line {line}, column {column})");
            crate::Error::protocol(vendor, message)
        })?;
        let non_empty = |t: Option<String>| t.filter(|t| !t.trim().is_empty()).map(Secret::from);
        let access_token = non_empty(wire.access_token).ok_or_else(|| {
            crate::Error::protocol(vendor, format!("the {what} answer has no access_token"))
        })?;
        Ok(TokenAnswer {
            access_token,
            expires_in: wire.expires_in.filter(|&s| s > 0).map(Duration::from_secs),
            refresh_token: non_empty(wire.refresh_token),
        })
    }
}

/// A session token obtained by a logon or a refresh.
#[derive(Clone)]
pub struct Session {
    token: Secret,
    expires_at: Option<Instant>,
    refresh_token: Option<Secret>,
}

impl fmt::Debug for Session {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Session")
            .field("token", &"[REDACTED]")
            .field("expires_at", &self.expires_at)
            .field(
                "refresh_token",
                &self.refresh_token.as_ref().map(|_| "[REDACTED]"),
            )
            .finish()
    }
}

impl Session {
    /// A session with this token and no known expiry (it is renewed only when the server
    /// refuses it).
    pub fn new(token: impl Into<Secret>) -> Self {
        Session {
            token: token.into(),
            expires_at: None,
            refresh_token: None,
        }
    }

    /// The token expires `lifetime` from now (OAuth's `expires_in`, a documented session
    /// length).
    #[must_use]
    pub fn expires_in(mut self, lifetime: Duration) -> Self {
        self.expires_at = Instant::now().checked_add(lifetime);
        self
    }

    /// A refresh token that [`SessionProvider::refresh`] can exchange for a new session.
    #[must_use]
    pub fn with_refresh_token(mut self, token: impl Into<Secret>) -> Self {
        self.refresh_token = Some(token.into());
        self
    }

    /// The session token.
    pub fn token(&self) -> &Secret {
        &self.token
    }

    /// The refresh token, if the server gave one.
    pub fn refresh_token(&self) -> Option<&Secret> {
        self.refresh_token.as_ref()
    }

    /// When the token expires, if known.
    pub fn expires_at(&self) -> Option<Instant> {
        self.expires_at
    }
}

/// The vendor-specific part of a session: how to log on, refresh, log off, and attach a token.
///
/// Calls are made through `http`, a transport without authenticator that shares the client's
/// connection pool and TLS settings (use [`Transport::with_base_url`] for a second host). On
/// the client's host they count against its rate limit but take the next slot ahead of the
/// requests waiting for the session; on another host they are not counted.
#[async_trait]
pub trait SessionProvider: Send + Sync + fmt::Debug + 'static {
    /// Logs on with the configured credentials.
    async fn log_on(&self, http: &Transport) -> Result<Session>;

    /// Exchanges a refresh token for a new session. The default has no refresh step; an
    /// error here makes the authenticator fall back to [`log_on`](Self::log_on).
    async fn refresh(&self, http: &Transport, refresh_token: &Secret) -> Result<Session> {
        let _ = refresh_token;
        self.log_on(http).await
    }

    /// Ends the session on the server (a logoff call, a token deletion).
    async fn log_off(&self, http: &Transport, session: &Session) -> Result<()> {
        let _ = (http, session);
        Ok(())
    }

    /// The headers that carry `token` on each request (`Authorization: <token>`,
    /// `Authorization: X-SAML <token>`, `Authorization: Bearer <token>`...).
    ///
    /// # Errors
    ///
    /// [`Error::Config`](crate::Error::Config) when the token holds characters a header
    /// cannot carry, as from [`Credentials::header`].
    fn attach(&self, token: &Secret) -> Result<Credentials>;
}

struct Current {
    session: Session,
    credentials: Credentials,
}

/// An [`Authenticator`] for "log on, use a token, refresh or log on again, log off", over a
/// vendor's [`SessionProvider`].
///
/// - **Single flight**: however many requests are waiting on a cold or expired session, one
///   logon (or refresh) is made and all of them use its token.
/// - **Expiry**: a token whose expiry is known is renewed [`refresh_margin`](Self::refresh_margin)
///   before it (default [`DEFAULT_REFRESH_MARGIN`]), through the refresh token when there is
///   one, falling back to a full logon when the refresh fails.
/// - **Refusal**: when the server refuses a token (401, or a vendor signal), the session is
///   dropped, unless a newer one already replaced it, and the transport replays the request
///   once with a new token.
/// - **Sign-out**: [`Transport::sign_out`] logs off and forgets the session; the next request
///   logs on again. Dropping the client does not log off (there is no asynchronous drop): the
///   server lets the session expire. Call `sign_out` when the work is done.
pub struct SessionAuth<P> {
    provider: P,
    margin: Duration,
    current: RwLock<Option<Arc<Current>>>,
    gate: tokio::sync::Mutex<()>,
    generation: AtomicU64,
    logons: AtomicU64,
}

impl<P: fmt::Debug> fmt::Debug for SessionAuth<P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SessionAuth")
            .field("provider", &self.provider)
            .field("margin", &self.margin)
            .field("logons", &self.logons.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}

impl<P: SessionProvider> SessionAuth<P> {
    /// Wraps a vendor's session provider.
    pub fn new(provider: P) -> Self {
        SessionAuth {
            provider,
            margin: DEFAULT_REFRESH_MARGIN,
            current: RwLock::new(None),
            gate: tokio::sync::Mutex::new(()),
            generation: AtomicU64::new(0),
            logons: AtomicU64::new(0),
        }
    }

    /// Renews a token this long before its announced expiry.
    #[must_use]
    pub fn refresh_margin(mut self, margin: Duration) -> Self {
        self.margin = margin;
        self
    }

    /// The vendor's provider.
    pub fn provider(&self) -> &P {
        &self.provider
    }

    /// How many sessions were obtained so far, by logon or refresh.
    pub fn sessions_obtained(&self) -> u64 {
        self.logons.load(Ordering::Relaxed)
    }

    fn fresh(&self) -> Option<Arc<Current>> {
        let current = self.current.read().unwrap_or_else(|e| e.into_inner());
        let cur = current.as_ref()?;
        let usable = match cur.session.expires_at {
            None => true,
            // A margin too long for the clock renews every time rather than overflowing.
            Some(at) => Instant::now()
                .checked_add(self.margin)
                .is_some_and(|renew_at| renew_at < at),
        };
        usable.then(|| Arc::clone(cur))
    }

    fn store(&self, value: Option<Arc<Current>>) -> Option<Arc<Current>> {
        let mut current = self.current.write().unwrap_or_else(|e| e.into_inner());
        std::mem::replace(&mut *current, value)
    }

    async fn renew(&self, http: &Transport) -> Result<Arc<Current>> {
        let stale = self.store(None);
        let refreshed = match stale.as_ref().and_then(|c| c.session.refresh_token.clone()) {
            Some(refresh) => match self.provider.refresh(http, &refresh).await {
                Ok(session) => Some(session),
                Err(e) => {
                    tracing::debug!(error = %e, "session refresh refused; logging on again");
                    None
                }
            },
            None => None,
        };
        let session = match refreshed {
            Some(s) => s,
            None => self.provider.log_on(http).await?,
        };
        let generation = self.generation.fetch_add(1, Ordering::Relaxed) + 1;
        self.logons.fetch_add(1, Ordering::Relaxed);
        let credentials = self
            .provider
            .attach(&session.token)?
            .with_generation(generation);
        let current = Arc::new(Current {
            session,
            credentials,
        });
        self.store(Some(Arc::clone(&current)));
        tracing::debug!(generation, "session obtained");
        Ok(current)
    }
}

#[async_trait]
impl<P: SessionProvider> Authenticator for SessionAuth<P> {
    async fn credentials(&self, http: &Transport) -> Result<Credentials> {
        if let Some(cur) = self.fresh() {
            return Ok(cur.credentials.clone());
        }
        let _gate = self.gate.lock().await;
        // Another request may have renewed the session while this one waited.
        if let Some(cur) = self.fresh() {
            return Ok(cur.credentials.clone());
        }
        Ok(self.renew(http).await?.credentials.clone())
    }

    /// The current session's credentials if they are still fresh by the same rule as
    /// [`credentials`](Authenticator::credentials) (newer ones than `obtained` if a renewal
    /// happened meanwhile), `None` when the session expired or was refused while the request
    /// waited for its slot.
    fn revalidate(&self, obtained: &Credentials) -> Option<Credentials> {
        let _ = obtained;
        self.fresh().map(|cur| cur.credentials.clone())
    }

    async fn invalidate(&self, used: &Credentials) -> bool {
        let mut current = self.current.write().unwrap_or_else(|e| e.into_inner());
        if current
            .as_ref()
            .is_some_and(|c| c.credentials.generation() == used.generation())
        {
            // Keep the refresh token for the renewal: a refused access token does not mean
            // a refused refresh token. Forgetting the credentials makes the next call renew.
            if let Some(cur) = current.as_ref() {
                let session = Session {
                    expires_at: Some(Instant::now()),
                    ..cur.session.clone()
                };
                *current = Some(Arc::new(Current {
                    session,
                    credentials: cur.credentials.clone(),
                }));
            }
        }
        true
    }

    async fn sign_out(&self, http: &Transport) -> Result<()> {
        let _gate = self.gate.lock().await;
        match self.store(None) {
            Some(cur) => self.provider.log_off(http, &cur.session).await,
            None => Ok(()),
        }
    }
}
