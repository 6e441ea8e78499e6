#![doc = include_str!("../README.md")]

pub mod cli;
#[cfg(feature = "eset")]
pub mod eset;
#[cfg(feature = "qradar")]
pub mod qradar;
pub mod server;

#[cfg(feature = "eset")]
pub use eset::{EsetSim, EsetSimBuilder};
#[cfg(feature = "qradar")]
pub use qradar::{QRadarSim, QRadarSimBuilder, seeded_offenses_json};
pub use server::{Fault, RecordedRequest, SimServer};
