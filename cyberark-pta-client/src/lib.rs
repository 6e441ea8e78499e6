//! Typed async client for the CyberArk Privileged Threat Analytics (PTA) API — **in development**.
//!
//! This crate is reserved for the CyberArk Privileged Threat Analytics (PTA) client of the incident SDK workspace. It will hold
//! security events: logon, listing and `mStatus` updates (seed 001), with the PTA error body, ids with `+ & %` or spaces refused before sending, and `IncidentSource`, built on `incident-core` like `qradar-client`.
//!
//! It has no API yet: depend on it once a release says so.
