//! Session tokens: the tokens a simulator accepts, issued with a lifetime,
//! checked on every request, and expired or revoked on demand.

use std::collections::HashMap;
use std::hash::{BuildHasher, RandomState};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::{Duration, Instant};

use axum::http::HeaderMap;
use axum::http::header::AUTHORIZATION;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;

/// Most tokens a [`Sessions`] store keeps. Issuing one more first forgets
/// the expired tokens, then the oldest ones, so a client that logs on in a
/// loop cannot grow the store without bound.
pub const MAX_SESSIONS: usize = 10_000;

/// A fresh identifier that no earlier call returned and a client cannot
/// guess: 32 hexadecimal digits after `prefix`.
pub(crate) fn fresh_id(prefix: &str) -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    // `RandomState` is seeded randomly per process and per instance.
    let high = RandomState::new().hash_one(n);
    let low = RandomState::new().hash_one(n ^ high);
    format!("{prefix}{high:016x}{low:016x}")
}

/// Locks a mutex whose contents stay consistent even if a holder panicked
/// (queues, logs and maps updated in one step), so poisoning is not an error
/// for them.
pub(crate) fn relock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A value behind a read/write lock whose contents stay consistent even if a holder
/// panicked (as [`relock`]'s), so poisoning is not an error for it.
#[derive(Debug, Default)]
pub(crate) struct Locked<T>(RwLock<T>);

impl<T> Locked<T> {
    /// A lock holding `value`.
    pub(crate) fn new(value: T) -> Locked<T> {
        Locked(RwLock::new(value))
    }

    /// Reads the value.
    pub(crate) fn read(&self) -> RwLockReadGuard<'_, T> {
        self.0.read().unwrap_or_else(PoisonError::into_inner)
    }

    /// Changes the value.
    pub(crate) fn write(&self) -> RwLockWriteGuard<'_, T> {
        self.0.write().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Whether one of the `Authorization` headers carries HTTP Basic credentials (the scheme
/// in any case) for `user` and `password`.
pub(crate) fn basic_auth_is(headers: &HeaderMap, user: &str, password: &str) -> bool {
    headers.get_all(AUTHORIZATION).iter().any(|v| {
        let Some((scheme, cred)) = v.to_str().ok().and_then(|v| v.trim().split_once(' ')) else {
            return false;
        };
        scheme.eq_ignore_ascii_case("basic")
            && BASE64
                .decode(cred.trim())
                .ok()
                .and_then(|d| String::from_utf8(d).ok())
                .is_some_and(|d| d.split_once(':') == Some((user, password)))
    })
}

#[derive(Debug)]
struct Entry {
    /// `None` never expires.
    expires: Option<Instant>,
    /// Issue order, to forget the oldest first.
    serial: u64,
}

#[derive(Debug, Default)]
struct Store {
    tokens: HashMap<String, Entry>,
    next_serial: u64,
}

impl Store {
    fn make_room(&mut self, now: Instant) {
        if self.tokens.len() < MAX_SESSIONS {
            return;
        }
        self.tokens
            .retain(|_, e| e.expires.is_none_or(|at| at > now));
        while self.tokens.len() >= MAX_SESSIONS {
            let Some(oldest) = self
                .tokens
                .iter()
                .min_by_key(|(_, e)| e.serial)
                .map(|(k, _)| k.clone())
            else {
                return;
            };
            self.tokens.remove(&oldest);
        }
    }
}

/// The session tokens a simulator accepts, shared by the server (which
/// expires them all on [`Fault::ExpireSessions`](super::Fault::ExpireSessions)),
/// the vendor's logon handlers (which issue them) and its
/// [`Vendor::authorize`](super::Vendor::authorize) (which checks them).
///
/// Cloning gives another handle on the same store. Tests reach it through
/// [`SimServer::sessions`](super::SimServer::sessions) to force a `401` in
/// the middle of a run: [`expire_all`](Self::expire_all) or
/// [`revoke`](Self::revoke).
#[derive(Clone, Debug, Default)]
pub struct Sessions {
    store: Arc<Mutex<Store>>,
}

impl Sessions {
    /// An empty store.
    pub fn new() -> Self {
        Sessions::default()
    }

    /// Issues a new random token valid for `ttl` (`None`: until expired or
    /// revoked) and returns it.
    pub fn issue(&self, ttl: Option<Duration>) -> String {
        let token = fresh_id("sim-");
        self.insert(token.clone(), ttl);
        token
    }

    /// Accepts `token` for `ttl` (`None`: until expired or revoked), e.g. a
    /// token configured in advance. Re-inserting a token renews it.
    pub fn insert(&self, token: impl Into<String>, ttl: Option<Duration>) {
        let now = Instant::now();
        // A lifetime too long to represent never ends in practice.
        let expires = ttl.and_then(|ttl| now.checked_add(ttl));
        let mut store = relock(&self.store);
        store.make_room(now);
        let serial = store.next_serial;
        store.next_serial += 1;
        store.tokens.insert(token.into(), Entry { expires, serial });
    }

    /// Whether `token` is currently accepted: issued, not revoked, not
    /// expired. An expired token is forgotten.
    pub fn check(&self, token: &str) -> bool {
        let mut store = relock(&self.store);
        match store.tokens.get(token) {
            None => false,
            Some(e) if e.expires.is_none_or(|at| at > Instant::now()) => true,
            Some(_) => {
                store.tokens.remove(token);
                false
            }
        }
    }

    /// Stops accepting `token`. Returns whether it was accepted until now.
    pub fn revoke(&self, token: &str) -> bool {
        let mut store = relock(&self.store);
        let live = store
            .tokens
            .get(token)
            .is_some_and(|e| e.expires.is_none_or(|at| at > Instant::now()));
        store.tokens.remove(token);
        live
    }

    /// Stops accepting every token issued so far (a server restart, or the
    /// session timeout of the real product). Tokens issued later are
    /// accepted.
    pub fn expire_all(&self) {
        relock(&self.store).tokens.clear();
    }

    /// Tokens currently held, expired ones not yet forgotten included.
    pub fn len(&self) -> usize {
        relock(&self.store).tokens.len()
    }

    /// Whether no token is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issue_check_revoke_expire() {
        let s = Sessions::new();
        let a = s.issue(None);
        let b = s.issue(Some(Duration::from_secs(3600)));
        assert_ne!(a, b);
        assert!(a.starts_with("sim-") && a.len() == 4 + 32, "{a}");
        assert!(s.check(&a) && s.check(&b) && !s.check("nope"));
        assert!(s.revoke(&a));
        assert!(!s.revoke(&a));
        assert!(!s.check(&a) && s.check(&b));
        s.expire_all();
        assert!(!s.check(&b) && s.is_empty());
        s.insert("fixed", None);
        assert!(s.check("fixed"));
        let clone = s.clone();
        clone.revoke("fixed");
        assert!(!s.check("fixed"));
    }

    #[test]
    fn a_token_expires_after_its_ttl() {
        let s = Sessions::new();
        let short = s.issue(Some(Duration::ZERO));
        assert!(!s.check(&short));
        assert!(!s.revoke(&short));
        let huge = s.issue(Some(Duration::MAX));
        assert!(s.check(&huge));
    }

    #[test]
    fn the_store_is_bounded_and_forgets_the_oldest() {
        let s = Sessions::new();
        let first = s.issue(None);
        let second = s.issue(None);
        for _ in 0..MAX_SESSIONS {
            s.issue(None);
        }
        assert_eq!(s.len(), MAX_SESSIONS);
        assert!(!s.check(&first) && !s.check(&second));
    }
}
