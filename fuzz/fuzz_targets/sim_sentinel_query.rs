#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| incident_fuzz::sim_sentinel_query(data));
