//! Helpers shared by the runnable examples.

#[path = "support/connect.rs"]
pub mod connect;
#[path = "support/doctor.rs"]
pub mod doctor;
#[path = "support/mirror.rs"]
pub mod mirror;
#[path = "support/skyhigh.rs"]
pub mod skyhigh;
#[path = "support/tickets.rs"]
pub mod tickets;
#[path = "support/triage.rs"]
pub mod triage;

/// Installs a tracing subscriber on standard error that honours `RUST_LOG` (for instance
/// `RUST_LOG=debug` shows each request's method, path, status, attempt and latency). Nothing
/// is logged when `RUST_LOG` is unset. Credentials are never logged, at any level.
pub fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("off"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .try_init();
}
