#![doc = include_str!("../README.md")]

pub mod cli;
#[cfg(feature = "cyberark-pta")]
pub mod cyberark_pta;
#[cfg(feature = "qradar")]
pub mod qradar;
pub mod server;

#[cfg(feature = "cyberark-pta")]
pub use cyberark_pta::{PtaSim, PtaSimBuilder};
#[cfg(feature = "qradar")]
pub use qradar::{QRadarSim, QRadarSimBuilder, seeded_offenses_json};
pub use server::{Fault, RecordedRequest, SimServer};
