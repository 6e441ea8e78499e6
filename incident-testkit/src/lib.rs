//! Test helpers shared by the vendor crates of this workspace (not published).
//!
//! - [`mock`]: an httpmock server with a client built against it, exact query matching and
//!   JSON, HTML and text answers.
//! - [`errors`]: table-driven tests of error statuses: one operation against a list of
//!   answers, each checked for the typed [`incident_core::Error`] it must give.
//! - [`secrets`]: trace-level log capture and the assertion that no secret shows in the
//!   logs, in an error's `Display`/`Debug` or in a client's `Debug`.
//! - [`conformance`]: the [`IncidentSource`](incident_core::IncidentSource) conformance
//!   suite, checking through the trait alone that a vendor client behaves as its
//!   [`Capabilities`](incident_core::Capabilities) say.
//!
//! - [`hostile`]: a loopback server that lies (oversized pages, huge bodies, repeated,
//!   cycling and ever-new cursors) and the bounds every walk is held to over it.
//! - [`doc_table`](mod@doc_table): the rows of a Markdown table in documentation, for tests
//!   that check each documented mapping row against the code.
//!
//! Everything that makes requests talks real HTTP: to httpmock or to `incident-sim`.

pub mod conformance;
pub mod doc_table;
pub mod errors;
pub mod hostile;
pub mod mock;
pub mod secrets;

pub use conformance::{Fixture, Report, run_conformance, try_conformance};
pub use doc_table::{doc_table, int_range};
pub use errors::{ErrorCase, assert_error_cases};
pub use mock::{MockApi, exact_query, html, json_reply, mock_api, text};
pub use secrets::{LeakCheck, Leaks, trace_log};
