//! The command line of the `incident-sim` binary: serve a simulator as a
//! process of its own, for manual testing against a local fake console and
//! for benchmarks that must not share a process with the client they measure.
//!
//! ```text
//! cargo run --release -p incident-sim -- qradar --offenses 100000
//! ```
//!
//! Once listening, the process prints shell assignments on standard output,
//! one per line, which the examples read from the environment: the base URL
//! as `<PREFIX>_URL`, then the simulator's credentials, e.g. for QRadar
//!
//! ```text
//! QRADAR_URL=http://127.0.0.1:40123
//! QRADAR_TOKEN=sim-sec-token
//! ```
//!
//! (with `--https`, also `<PREFIX>_CA_CERT=<path of the certificate PEM>`),
//! then the line `READY`. It serves until it is killed or reads `quit` on
//! standard input. Each `stats` line read on standard input is answered with
//! one JSON line of counters:
//! `{"connections_accepted":3,"requests_served":120}`. Reading the counters
//! this way opens no connection, so it does not disturb what it counts.
//!
//! # Adding a vendor
//!
//! A vendor's subcommand is a [`VendorCommand`]: its name, its options and
//! how to start its simulator. It is listed in [`vendors`]; the options
//! every simulator has (`--port`, `--https`, `--threads`), the output, the
//! certificate file and standard input are handled here.

use std::fmt;
use std::future::Future;
use std::io::{self, BufRead, Write};
use std::pin::Pin;
use std::str::FromStr;
use std::sync::Arc;

use crate::server::{ServerOptions, SimServer};

/// The future [`VendorCommand::start`] returns.
pub type StartFuture<'a> = Pin<Box<dyn Future<Output = io::Result<Launched>> + Send + 'a>>;

/// A vendor's subcommand of the `incident-sim` binary.
pub trait VendorCommand: fmt::Debug + Send + Sync {
    /// The subcommand, e.g. `qradar`.
    fn name(&self) -> &'static str;

    /// What it serves, in a few words, for the usage text.
    fn about(&self) -> &'static str;

    /// Prefix of the printed variables: `QRADAR` prints `QRADAR_URL=...`
    /// and, with `--https`, `QRADAR_CA_CERT=...`.
    fn env_prefix(&self) -> &'static str;

    /// Usage lines of the vendor's own options, each indented by two spaces.
    fn options_usage(&self) -> &'static str;

    /// Takes one vendor option. `value` returns the option's argument (or an
    /// error if there is none). Returns `Ok(false)` for an option this vendor
    /// does not have.
    fn parse_option(
        &mut self,
        flag: &str,
        value: &mut dyn FnMut() -> Result<String, String>,
    ) -> Result<bool, String>;

    /// Starts the simulator on the current tokio runtime, listening as
    /// `options` says.
    fn start(&self, options: ServerOptions) -> StartFuture<'_>;
}

/// A simulator started by [`VendorCommand::start`].
pub struct Launched {
    /// The running simulator; the server stops when it is dropped.
    pub sim: Box<dyn AsRef<SimServer> + Send + Sync>,
    /// Variables printed after `<PREFIX>_URL`, in order, with their full
    /// names, e.g. `("QRADAR_TOKEN", "sim-sec-token")`.
    pub variables: Vec<(String, String)>,
    /// One line for standard error, e.g. `QRadar simulator: 25 offenses`.
    pub summary: String,
}

impl fmt::Debug for Launched {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Launched")
            .field("sim", (*self.sim).as_ref())
            .field("summary", &self.summary)
            .finish_non_exhaustive()
    }
}

/// The subcommands this build has, one per enabled vendor feature.
pub fn vendors() -> Vec<Box<dyn VendorCommand>> {
    vec![
        #[cfg(feature = "qradar")]
        Box::new(crate::qradar::cli::QRadarCommand::default()),
        #[cfg(feature = "sentinel")]
        Box::new(crate::sentinel::cli::SentinelCommand::default()),
        #[cfg(feature = "cyberark-pta")]
        Box::new(crate::cyberark_pta::cli::PtaCommand::default()),
        #[cfg(feature = "eset")]
        Box::new(crate::eset::cli::EsetCommand::default()),
        #[cfg(feature = "skyhigh")]
        Box::new(crate::skyhigh::cli::SkyhighCommand::default()),
    ]
}

/// The usage text printed by `--help` and after an argument error.
pub fn usage() -> String {
    let vendors = vendors();
    let mut text = String::from(
        "usage: incident-sim <simulator> [options]\n\n\
         Serves a stateful simulator of a vendor incident API on 127.0.0.1 until killed.\n\n\
         simulators:\n",
    );
    for v in &vendors {
        text.push_str(&format!("  {:<12}{}\n", v.name(), v.about()));
    }
    text.push_str(
        "\noptions of every simulator:\n\
         \x20 --port P          port to listen on (default: any free port)\n\
         \x20 --https           serve HTTPS with a fresh self-signed certificate\n\
         \x20 --threads N       server worker threads (default: one per core)\n",
    );
    for v in &vendors {
        text.push_str(&format!(
            "\nusage: incident-sim {} [options]\n{}\n",
            v.name(),
            v.options_usage().trim_end()
        ));
    }
    text.push_str(
        "\nOn standard output: <PREFIX>_URL=..., the credentials (e.g. QRADAR_TOKEN=...),\n\
         [<PREFIX>_CA_CERT=... with --https], then READY.\n\
         On standard input: `stats` prints the connection and request counters as JSON;\n\
         `quit` stops the server.",
    );
    text
}

/// What the command line asked for.
#[derive(Debug)]
pub enum Command {
    /// Print [`usage`].
    Help,
    /// Serve a simulator.
    Serve(Invocation),
}

/// A simulator to serve, with its options.
#[derive(Debug)]
pub struct Invocation {
    /// The vendor, with its own options parsed.
    pub vendor: Box<dyn VendorCommand>,
    /// The options every simulator has.
    pub common: CommonArgs,
}

/// The options every simulator has.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CommonArgs {
    /// Port to listen on; 0 picks a free one.
    pub port: u16,
    /// Serve HTTPS.
    pub https: bool,
    /// Worker threads of the server runtime; `None` uses one per core.
    pub threads: Option<usize>,
}

/// Parses the arguments that follow the program name.
pub fn parse<I>(args: I) -> Result<Command, String>
where
    I: IntoIterator<Item = String>,
{
    let mut args = args.into_iter();
    let name = match args.next() {
        None => return Ok(Command::Help),
        Some(name) if matches!(name.as_str(), "-h" | "--help" | "help") => {
            return Ok(Command::Help);
        }
        Some(name) => name,
    };
    let all = vendors();
    let names: Vec<&str> = all.iter().map(|v| v.name()).collect();
    let expected = match names.as_slice() {
        [] => "none: this build has no simulator feature (such as `qradar`)".to_owned(),
        names => format!("one of `{}`", names.join("`, `")),
    };
    let Some(mut vendor) = all.into_iter().find(|v| v.name() == name) else {
        return Err(format!("unknown simulator {name:?}; expected {expected}"));
    };
    match parse_options(vendor.as_mut(), args)? {
        Some(common) => Ok(Command::Serve(Invocation { vendor, common })),
        None => Ok(Command::Help),
    }
}

/// Parses the options after the subcommand: the common ones, and the
/// vendor's through [`VendorCommand::parse_option`]. `None` means help was
/// asked for.
pub fn parse_options<I>(
    vendor: &mut dyn VendorCommand,
    args: I,
) -> Result<Option<CommonArgs>, String>
where
    I: IntoIterator<Item = String>,
{
    let mut args = args.into_iter();
    let mut common = CommonArgs::default();
    while let Some(flag) = args.next() {
        let mut value = || args.next().ok_or_else(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "-h" | "--help" => return Ok(None),
            "--port" => common.port = parse_number(&flag, &value()?)?,
            "--https" => common.https = true,
            "--threads" => {
                let n: usize = parse_number(&flag, &value()?)?;
                if n == 0 {
                    return Err("--threads must be at least 1".to_owned());
                }
                common.threads = Some(n);
            }
            _ => {
                if !vendor.parse_option(&flag, &mut value)? {
                    return Err(format!("unknown option {flag:?}"));
                }
            }
        }
    }
    Ok(Some(common))
}

/// Parses the non-negative integer argument of `flag`, with an error
/// message that names the flag.
pub fn parse_number<T: FromStr>(flag: &str, raw: &str) -> Result<T, String> {
    raw.parse()
        .map_err(|_| format!("{flag} expects a non-negative integer, got {raw:?}"))
}

/// Parses `args` (without the program name) and serves until killed or told
/// to quit. Returns an error message for bad arguments or a failure to
/// listen.
pub fn run<I>(args: I) -> Result<(), String>
where
    I: IntoIterator<Item = String>,
{
    let invocation = match parse(args)? {
        Command::Help => {
            println!("{}", usage());
            return Ok(());
        }
        Command::Serve(invocation) => invocation,
    };
    let mut runtime = tokio::runtime::Builder::new_multi_thread();
    if let Some(n) = invocation.common.threads {
        runtime.worker_threads(n);
    }
    let runtime = runtime
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the runtime: {e}"))?;
    runtime.block_on(serve(invocation))
}

async fn serve(invocation: Invocation) -> Result<(), String> {
    let Invocation { vendor, common } = invocation;
    let options = ServerOptions::new().port(common.port).https(common.https);
    let launched = vendor
        .start(options)
        .await
        .map_err(|e| format!("cannot listen: {e}"))?;
    let sim: Arc<dyn AsRef<SimServer> + Send + Sync> = Arc::from(launched.sim);
    let server = (*sim).as_ref();
    let prefix = vendor.env_prefix();
    let ca_path = match server.ca_cert_pem() {
        Some(pem) => {
            let path = std::env::temp_dir().join(format!(
                "incident-sim-{}-{}.pem",
                vendor.name(),
                server.local_addr().port()
            ));
            std::fs::write(&path, pem)
                .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
            Some(path)
        }
        None => None,
    };
    {
        let mut lines = format!("{prefix}_URL={}\n", server.url());
        for (name, value) in &launched.variables {
            lines.push_str(&format!("{name}={value}\n"));
        }
        if let Some(path) = &ca_path {
            lines.push_str(&format!("{prefix}_CA_CERT={}\n", path.display()));
        }
        lines.push_str("READY\n");
        let mut out = io::stdout().lock();
        out.write_all(lines.as_bytes())
            .and_then(|()| out.flush())
            .map_err(|e| format!("cannot write to standard output: {e}"))?;
    }
    eprintln!(
        "{} at {}; `stats` or `quit` on standard input, or Ctrl-C",
        launched.summary,
        server.url()
    );
    let (quit_tx, quit_rx) = tokio::sync::oneshot::channel::<()>();
    let reader_sim = Arc::clone(&sim);
    // A plain thread: standard input blocks, and the counters are atomics.
    std::thread::spawn(move || {
        let stdin = io::stdin();
        for line in stdin.lock().lines() {
            let Ok(line) = line else { break };
            match line.trim() {
                "stats" => {
                    let server = (*reader_sim).as_ref();
                    let json = format!(
                        "{{\"connections_accepted\":{},\"requests_served\":{}}}\n",
                        server.connections_accepted(),
                        server.requests_served()
                    );
                    let mut out = io::stdout().lock();
                    if out
                        .write_all(json.as_bytes())
                        .and_then(|()| out.flush())
                        .is_err()
                    {
                        break;
                    }
                }
                "quit" => {
                    let _ = quit_tx.send(());
                    return;
                }
                "" => {}
                other => eprintln!("unknown command {other:?}; expected `stats` or `quit`"),
            }
        }
        // End of input: keep serving (the process may run in the background
        // with standard input closed). Dropping the sender would end the
        // wait, so park it.
        std::mem::forget(quit_tx);
    });
    let _ = quit_rx.await;
    drop(sim);
    if let Some(path) = ca_path {
        let _ = std::fs::remove_file(path);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn help_and_unknown_simulators() {
        assert!(matches!(parse(args(&[])), Ok(Command::Help)));
        assert!(matches!(parse(args(&["--help"])), Ok(Command::Help)));
        let err = parse(args(&["nosuch"])).map(|_| ()).unwrap_err();
        assert!(err.starts_with("unknown simulator \"nosuch\""), "{err}");
        let text = usage();
        assert!(text.starts_with("usage: incident-sim <simulator> [options]"));
        for v in vendors() {
            assert!(
                text.contains(&format!("usage: incident-sim {} [options]", v.name())),
                "{text}"
            );
        }
    }
}
