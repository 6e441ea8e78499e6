#![doc = include_str!("../README.md")]

pub mod cli;
mod clock;
#[cfg(feature = "cyberark-pta")]
pub mod cyberark_pta;
#[cfg(feature = "eset")]
pub mod eset;
#[cfg(feature = "qradar")]
pub mod qradar;
mod rng;
#[cfg(feature = "sentinel")]
pub mod sentinel;
pub mod server;
pub mod sim;
#[cfg(feature = "skyhigh")]
pub mod skyhigh;

#[cfg(feature = "cyberark-pta")]
pub use cyberark_pta::{PtaSim, PtaSimBuilder};
#[cfg(feature = "eset")]
pub use eset::{EsetSim, EsetSimBuilder};
#[cfg(feature = "qradar")]
pub use qradar::{QRadarSim, QRadarSimBuilder, seeded_offenses_json};
#[cfg(feature = "sentinel")]
pub use sentinel::{SentinelSim, SentinelSimBuilder};
pub use server::{Fault, RecordedRequest, SimServer};
pub use sim::{Sim, SimBuilder, SimVendor};
#[cfg(feature = "skyhigh")]
pub use skyhigh::{SkyhighSim, SkyhighSimBuilder};
