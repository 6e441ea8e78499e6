#![doc = include_str!("../README.md")]
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod conformance;
pub mod doc_table;
pub mod errors;
pub mod hostile;
pub mod mock;
pub mod mutate;
pub mod secrets;

pub use conformance::{Failure, Fixture, Report, run_conformance, try_conformance};
pub use doc_table::{doc_table, int_range};
pub use errors::{ErrorCase, assert_error_cases};
pub use mock::{MockApi, exact_query, html, json_reply, mock_api, text};
pub use mutate::mutations;
pub use secrets::{LeakCheck, Leaks, trace_log};
