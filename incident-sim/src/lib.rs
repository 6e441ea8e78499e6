//! Stateful loopback simulators of vendor incident APIs, for integration
//! tests, runnable examples and benchmarks.
//!
//! Each simulator binds `127.0.0.1` on a random port, keeps its own state
//! (seeded deterministically), records requests and can inject faults, so a
//! client can be exercised end to end without the real product.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use incident_sim::{Fault, QRadarSim};
//!
//! let sim = QRadarSim::builder().offenses(100).start().await?;
//! // Point a client at `sim.url()` with header `SEC: sim.token()`.
//! sim.inject(Fault::TooManyRequests { retry_after_secs: 1 }, 1);
//! assert_eq!(sim.offense(1).map(|o| o["id"].clone()), Some(1.into()));
//! # Ok(())
//! # }
//! ```
//!
//! The `incident-sim` binary serves a simulator as a process of its own (a
//! local fake console, or a server that does not share a process with the
//! client being measured); see [`cli`]:
//!
//! ```text
//! cargo run --release -p incident-sim -- qradar --offenses 100000
//! ```

pub mod cli;
#[cfg(feature = "qradar")]
pub mod qradar;
pub mod server;

#[cfg(feature = "qradar")]
pub use qradar::{QRadarSim, QRadarSimBuilder, seeded_offenses_json};
pub use server::{Fault, RecordedRequest, SimServer};
