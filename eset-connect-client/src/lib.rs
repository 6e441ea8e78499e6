//! Typed async client for the ESET Connect API — **in development**.
//!
//! This crate is reserved for the ESET Connect client of the incident SDK workspace. It will hold
//! incident management: regional hosts, OAuth token caching and refresh, the 202 `response-id` loop, `updateMask` derived from the fields set (seed 004), and `IncidentSource`, built on `incident-core` like `qradar-client`.
//!
//! It has no API yet: depend on it once a release says so.
