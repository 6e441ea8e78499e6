//! Typed async client for the Skyhigh Security Cloud (MVISION Cloud) API — **in development**.
//!
//! This crate is reserved for the Skyhigh Security Cloud (MVISION Cloud) client of the incident SDK workspace. It will hold
//! incidents: the Spring response envelope, `responseInfo.error` checked even on HTTP 200, `nextStartTime` pagination with de-duplication (seed 002), and `IncidentSource`, built on `incident-core` like `qradar-client`.
//!
//! It has no API yet: depend on it once a release says so.
