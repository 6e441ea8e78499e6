//! `incident-sim`: serve a vendor API simulator as a process of its own.
//! See [`incident_sim::cli`] for the options and the output.

use std::process::ExitCode;

fn main() -> ExitCode {
    match incident_sim::cli::run(std::env::args().skip(1)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("{}", message.trim_end());
            ExitCode::from(2)
        }
    }
}
