//! Secret-leak assertions: no secret in the logs, in errors or in a client's `Debug`.
//!
//! Logs are captured by one global `tracing` subscriber at trace level, installed once per
//! test binary ([`trace_log`]) and writing to a shared buffer. A global subscriber is used
//! because `tracing::subscriber::set_default` is per thread (a multi-threaded runtime moves
//! the work elsewhere) and per-callsite interest, once cached as "never" by a test thread
//! without a subscriber, would silently drop events.
//!
//! ```no_run
//! # async fn f() {
//! # #[derive(Debug)] struct Client;
//! # impl Client { async fn get(&self) -> incident_core::Result<()> { Ok(()) } }
//! let client = Client;
//! let leaks = incident_testkit::LeakCheck::new(["sec-token-123"])
//!     .run(&client, client.get())
//!     .await;
//! assert!(leaks.result.is_ok());
//! # }
//! ```

use std::fmt;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use base64::Engine;
use tracing::Instrument;

/// The shared buffer every event of the test binary is written to.
#[derive(Clone, Default)]
struct Buffer(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Buffer {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

static LOG: OnceLock<Option<Buffer>> = OnceLock::new();

/// The buffer that receives every `tracing` event of this test binary at trace level, as
/// formatted text without colours; installs the global subscriber on the first call.
///
/// # Panics
///
/// Panics when another global subscriber was installed first: the capture would then be
/// empty, and assertions on it could pass without checking anything.
pub fn trace_log() -> Arc<Mutex<Vec<u8>>> {
    let buffer = LOG.get_or_init(|| {
        let buffer = Buffer::default();
        let writer = buffer.clone();
        tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_ansi(false)
            .with_writer(move || writer.clone())
            .try_init()
            .ok()
            .map(|()| buffer)
    });
    match buffer {
        Some(buffer) => buffer.0.clone(),
        None => panic!(
            "another global tracing subscriber was installed before incident_testkit::trace_log"
        ),
    }
}

fn log_len() -> usize {
    trace_log().lock().unwrap_or_else(|e| e.into_inner()).len()
}

fn log_since(start: usize) -> String {
    let log = trace_log();
    let log = log.lock().unwrap_or_else(|e| e.into_inner());
    String::from_utf8_lossy(&log[start.min(log.len())..]).into_owned()
}

/// Checks that secrets stay out of logs, errors and `Debug` output while an operation runs.
#[derive(Clone, Default)]
#[must_use = "a leak check does nothing until it runs"]
pub struct LeakCheck {
    secrets: Vec<String>,
}

impl fmt::Debug for LeakCheck {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The point of the type is to keep these out of output.
        f.debug_struct("LeakCheck")
            .field("secrets", &self.secrets.len())
            .finish()
    }
}

/// What [`LeakCheck::run`] saw.
#[derive(Debug)]
#[non_exhaustive]
pub struct Leaks<T> {
    /// What the operation returned.
    pub result: incident_core::Result<T>,
    /// The log lines written by the operation itself (inside its span).
    pub lines: Vec<String>,
    /// Everything logged while it ran, other tests' concurrent events included.
    pub log: String,
}

impl LeakCheck {
    /// Checks for these secrets.
    ///
    /// # Panics
    ///
    /// For an empty secret, which would be found everywhere.
    pub fn new<S: Into<String>>(secrets: impl IntoIterator<Item = S>) -> Self {
        let secrets: Vec<String> = secrets.into_iter().map(Into::into).collect();
        assert!(
            secrets.iter().all(|s| !s.is_empty()),
            "an empty secret would be found everywhere"
        );
        LeakCheck { secrets }
    }

    /// Adds a secret.
    ///
    /// # Panics
    ///
    /// For an empty secret, which would be found everywhere.
    pub fn secret(mut self, secret: impl Into<String>) -> Self {
        let secret = secret.into();
        assert!(
            !secret.is_empty(),
            "an empty secret would be found everywhere"
        );
        self.secrets.push(secret);
        self
    }

    /// Adds HTTP Basic credentials: the password and the header value
    /// `base64(user:password)` (the user name is not secret).
    pub fn basic_auth(self, user: &str, password: &str) -> Self {
        let header = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
        self.secret(password).secret(header)
    }

    /// The secrets `text` contains.
    pub fn found_in(&self, text: &str) -> Vec<&str> {
        self.secrets
            .iter()
            .filter(|s| text.contains(s.as_str()))
            .map(String::as_str)
            .collect()
    }

    /// Checks that `text` contains no secret.
    ///
    /// # Panics
    ///
    /// Naming `what`, with the secrets redacted, when `text` contains one.
    pub fn assert_clean(&self, what: &str, text: &str) {
        let found = self.found_in(text);
        assert!(
            found.is_empty(),
            "{} secret(s) leak into {what}: {}",
            found.len(),
            redacted(text, &found)
        );
    }

    /// Runs `op` inside a span of its own with trace-level logging captured, then asserts
    /// that no secret shows in the log written meanwhile, in the `Debug` of `client`, in
    /// the `Display` and `Debug` of the error (or the `Debug` of the value), and that the
    /// operation did log something (so that the check cannot pass on an empty log).
    ///
    /// # Panics
    ///
    /// When one of these checks fails, or as [`trace_log`] does.
    pub async fn run<T, C>(
        &self,
        client: &C,
        op: impl Future<Output = incident_core::Result<T>>,
    ) -> Leaks<T>
    where
        T: fmt::Debug,
        C: fmt::Debug + ?Sized,
    {
        static RUN: AtomicU64 = AtomicU64::new(0);
        let run = RUN.fetch_add(1, Ordering::Relaxed);
        let start = log_len();
        let result = op.instrument(tracing::info_span!("leak_check", run)).await;
        let log = log_since(start);
        let marker = format!("leak_check{{run={run}}}");
        let lines: Vec<String> = log
            .lines()
            .filter(|l| l.contains(&marker))
            .map(str::to_owned)
            .collect();
        assert!(
            !lines.is_empty(),
            "the operation logged nothing at trace level; a leak check on an empty log proves nothing"
        );
        self.assert_clean("the log", &log);
        self.assert_clean("the client's Debug", &format!("{client:?}"));
        match &result {
            Ok(value) => self.assert_clean("the result's Debug", &format!("{value:?}")),
            Err(err) => {
                self.assert_clean("the error's Display", &err.to_string());
                self.assert_clean("the error's Debug", &format!("{err:?}"));
            }
        }
        Leaks { result, lines, log }
    }
}

/// `text` with the found secrets masked, so that a failure message does not spread them.
fn redacted(text: &str, found: &[&str]) -> String {
    let mut out = text.to_owned();
    for secret in found {
        out = out.replace(secret, "<SECRET>");
    }
    out
}
