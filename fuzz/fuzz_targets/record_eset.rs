#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| incident_fuzz::record_eset(data));
