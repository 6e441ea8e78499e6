//! The bodies of the fuzz targets: one plain function per target, taking the fuzzer's bytes.
//!
//! The cargo-fuzz package in `fuzz/` (outside the workspace, built with nightly) wraps each
//! function in a `fuzz_target!`; this crate's `tests/replay.rs` feeds every file of
//! `fuzz/corpus/<target>/` through the same function on stable, so that `cargo test`
//! replays the corpora (and every crash once fixed and added to them) without nightly.
//! [`TARGETS`] lists them all. See `FUZZING.md` at the root of the repository.
//!
//! A target panics only on a bug: a panic of the code under test, or an invariant of its
//! documentation that the answer broke (a page longer than asked, a walk past its page
//! ceiling, an error message carrying control characters).

mod helpers;
mod paging;
mod sim;
mod vendors;
mod wire;

pub use helpers::{content_range, serde_helpers};
pub use paging::paginator;
pub use sim::{sim_eset_filter, sim_pta_filter, sim_qradar_filter, sim_sentinel_query};
pub use vendors::{
    answer_eset, answer_pta, answer_qradar, answer_sentinel, answer_skyhigh, page_eset, page_pta,
    page_qradar, page_sentinel, page_skyhigh, record_eset, record_pta, record_qradar,
    record_sentinel, record_skyhigh,
};

/// A fuzz target's body.
pub type Target = fn(&[u8]);

/// Every target, by the name of its cargo-fuzz binary and of its corpus directory.
pub const TARGETS: &[(&str, Target)] = &[
    ("page_qradar", page_qradar),
    ("page_pta", page_pta),
    ("page_sentinel", page_sentinel),
    ("page_skyhigh", page_skyhigh),
    ("page_eset", page_eset),
    ("record_qradar", record_qradar),
    ("record_pta", record_pta),
    ("record_sentinel", record_sentinel),
    ("record_skyhigh", record_skyhigh),
    ("record_eset", record_eset),
    ("answer_qradar", answer_qradar),
    ("answer_pta", answer_pta),
    ("answer_sentinel", answer_sentinel),
    ("answer_skyhigh", answer_skyhigh),
    ("answer_eset", answer_eset),
    ("paginator", paginator),
    ("serde_helpers", serde_helpers),
    ("content_range", content_range),
    ("sim_qradar_filter", sim_qradar_filter),
    ("sim_eset_filter", sim_eset_filter),
    ("sim_pta_filter", sim_pta_filter),
    ("sim_sentinel_query", sim_sentinel_query),
];
