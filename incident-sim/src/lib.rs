#![doc = include_str!("../README.md")]
#![cfg_attr(docsrs, feature(doc_cfg))]
// A build with only some of the vendors leaves some of the shared helpers unused.
#![cfg_attr(
    not(all(
        feature = "qradar",
        feature = "sentinel",
        feature = "cyberark-pta",
        feature = "eset",
        feature = "skyhigh"
    )),
    allow(
        dead_code,
        unused_imports,
        unused_macros,
        unused_variables,
        unreachable_code
    )
)]

mod cached;
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
