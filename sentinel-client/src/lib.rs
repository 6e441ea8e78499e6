//! Typed async client for the NetIQ / OpenText Sentinel API — **in development**.
//!
//! This crate is reserved for the NetIQ / OpenText Sentinel client of the incident SDK workspace. It will hold
//! incidents: token login with `X-SAML`, get, update and delete (seed 003), page iteration, and `IncidentSource`, built on `incident-core` like `qradar-client`.
//!
//! It has no API yet: depend on it once a release says so.
