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

pub mod cli;
pub mod qradar;

pub use qradar::{Fault, QRadarSim, QRadarSimBuilder, RecordedRequest, seeded_offenses_json};
