#![doc = include_str!("../README.md")]

pub mod cli;
#[cfg(feature = "qradar")]
pub mod qradar;
pub mod server;
#[cfg(feature = "skyhigh")]
pub mod skyhigh;

#[cfg(feature = "qradar")]
pub use qradar::{QRadarSim, QRadarSimBuilder, seeded_offenses_json};
pub use server::{Fault, RecordedRequest, SimServer};
#[cfg(feature = "skyhigh")]
pub use skyhigh::{SkyhighSim, SkyhighSimBuilder, seeded_incidents_json};
