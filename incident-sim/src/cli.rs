//! The command line of the `incident-sim` binary: serve a simulator as a
//! process of its own, for manual testing against a local fake console and
//! for benchmarks that must not share a process with the client they measure.
//!
//! ```text
//! cargo run --release -p incident-sim -- qradar --offenses 100000
//! ```
//!
//! Once listening, the process prints shell assignments on standard output,
//! one per line, which the examples read from the environment:
//!
//! ```text
//! QRADAR_URL=http://127.0.0.1:40123
//! QRADAR_TOKEN=sim-sec-token
//! ```
//!
//! (with `--https`, also `QRADAR_CA_CERT=<path of the certificate PEM>`),
//! then the line `READY`. It serves until it is killed or reads `quit` on
//! standard input. Each `stats` line read on standard input is answered with
//! one JSON line of counters:
//! `{"connections_accepted":3,"requests_served":120}`. Reading the counters
//! this way opens no connection, so it does not disturb what it counts.

use std::io::{self, BufRead, Write};
use std::sync::Arc;

use crate::QRadarSim;
use crate::qradar::{DEFAULT_PASSWORD, DEFAULT_USER};

/// Usage text printed by `--help` and after an argument error.
pub const USAGE: &str = "\
usage: incident-sim qradar [options]

Serves a stateful QRadar offenses API on 127.0.0.1 until killed.

options:
  --offenses N      offenses to seed, ids 1..=N (default 25)
  --seed N          seed of the data generator (default fixed)
  --token T         accepted SEC token (default sim-sec-token)
  --user U          accepted Basic user name (default admin)
  --password P      accepted Basic password (default sim-password)
  --port P          port to listen on (default: any free port)
  --https           serve HTTPS with a fresh self-signed certificate
  --threads N       server worker threads (default: one per core)

On standard output: QRADAR_URL=..., QRADAR_TOKEN=..., [QRADAR_CA_CERT=...], READY.
On standard input: `stats` prints the connection and request counters as JSON;
`quit` stops the server.";

/// What the command line asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// Print [`USAGE`].
    Help,
    /// Serve a QRadar simulator.
    QRadar(QRadarArgs),
}

/// Options of `incident-sim qradar`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QRadarArgs {
    /// Offenses to seed.
    pub offenses: usize,
    /// Seed of the data generator; `None` keeps the builder's default.
    pub seed: Option<u64>,
    /// Accepted `SEC` token; `None` keeps the default.
    pub token: Option<String>,
    /// Accepted Basic user name; `None` keeps the default.
    pub user: Option<String>,
    /// Accepted Basic password; `None` keeps the default.
    pub password: Option<String>,
    /// Port to listen on; 0 picks a free one.
    pub port: u16,
    /// Serve HTTPS.
    pub https: bool,
    /// Worker threads of the server runtime; `None` uses one per core.
    pub threads: Option<usize>,
}

impl Default for QRadarArgs {
    fn default() -> Self {
        QRadarArgs {
            offenses: 25,
            seed: None,
            token: None,
            user: None,
            password: None,
            port: 0,
            https: false,
            threads: None,
        }
    }
}

/// Parses the arguments that follow the program name.
pub fn parse<I>(args: I) -> Result<Command, String>
where
    I: IntoIterator<Item = String>,
{
    let mut args = args.into_iter();
    match args.next().as_deref() {
        None | Some("-h" | "--help" | "help") => return Ok(Command::Help),
        Some("qradar") => {}
        Some(other) => return Err(format!("unknown simulator {other:?}; expected `qradar`")),
    }
    let mut out = QRadarArgs::default();
    while let Some(flag) = args.next() {
        let mut value = |name: &str| args.next().ok_or_else(|| format!("{name} needs a value"));
        match flag.as_str() {
            "-h" | "--help" => return Ok(Command::Help),
            "--offenses" => out.offenses = number(&flag, &value(&flag)?)?,
            "--seed" => out.seed = Some(number(&flag, &value(&flag)?)?),
            "--token" => out.token = Some(value(&flag)?),
            "--user" => out.user = Some(value(&flag)?),
            "--password" => out.password = Some(value(&flag)?),
            "--port" => out.port = number(&flag, &value(&flag)?)?,
            "--threads" => {
                let n: usize = number(&flag, &value(&flag)?)?;
                if n == 0 {
                    return Err("--threads must be at least 1".to_owned());
                }
                out.threads = Some(n);
            }
            "--https" => out.https = true,
            other => return Err(format!("unknown option {other:?}")),
        }
    }
    Ok(Command::QRadar(out))
}

fn number<T: std::str::FromStr>(flag: &str, raw: &str) -> Result<T, String> {
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
    let args = match parse(args)? {
        Command::Help => {
            println!("{USAGE}");
            return Ok(());
        }
        Command::QRadar(args) => args,
    };
    let mut runtime = tokio::runtime::Builder::new_multi_thread();
    if let Some(n) = args.threads {
        runtime.worker_threads(n);
    }
    let runtime = runtime
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the runtime: {e}"))?;
    runtime.block_on(serve_qradar(args))
}

async fn serve_qradar(args: QRadarArgs) -> Result<(), String> {
    let mut builder = QRadarSim::builder()
        .offenses(args.offenses)
        .port(args.port)
        .https(args.https);
    if let Some(seed) = args.seed {
        builder = builder.seed(seed);
    }
    if let Some(token) = args.token {
        builder = builder.token(token);
    }
    if args.user.is_some() || args.password.is_some() {
        builder = builder.basic_auth(
            args.user.unwrap_or_else(|| DEFAULT_USER.to_owned()),
            args.password.unwrap_or_else(|| DEFAULT_PASSWORD.to_owned()),
        );
    }
    let sim = Arc::new(
        builder
            .start()
            .await
            .map_err(|e| format!("cannot listen: {e}"))?,
    );
    let ca_path = match sim.ca_cert_pem() {
        Some(pem) => {
            let port = sim.url().rsplit(':').next().unwrap_or("0").to_owned();
            let path = std::env::temp_dir().join(format!("incident-sim-qradar-{port}.pem"));
            std::fs::write(&path, pem)
                .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
            Some(path)
        }
        None => None,
    };
    {
        let mut out = io::stdout().lock();
        let mut lines = format!("QRADAR_URL={}\nQRADAR_TOKEN={}\n", sim.url(), sim.token());
        if let Some(path) = &ca_path {
            lines.push_str(&format!("QRADAR_CA_CERT={}\n", path.display()));
        }
        lines.push_str("READY\n");
        out.write_all(lines.as_bytes())
            .and_then(|()| out.flush())
            .map_err(|e| format!("cannot write to standard output: {e}"))?;
    }
    eprintln!(
        "QRadar simulator: {} offenses at {}; `stats` or `quit` on standard input, or Ctrl-C",
        args.offenses,
        sim.url()
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
                    let json = format!(
                        "{{\"connections_accepted\":{},\"requests_served\":{}}}\n",
                        reader_sim.connections_accepted(),
                        reader_sim.requests_served()
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
    fn parses_every_option() {
        let cmd = parse(args(&[
            "qradar",
            "--offenses",
            "100000",
            "--seed",
            "7",
            "--token",
            "t",
            "--user",
            "u",
            "--password",
            "p",
            "--port",
            "8443",
            "--https",
            "--threads",
            "3",
        ]))
        .unwrap();
        assert_eq!(
            cmd,
            Command::QRadar(QRadarArgs {
                offenses: 100_000,
                seed: Some(7),
                token: Some("t".into()),
                user: Some("u".into()),
                password: Some("p".into()),
                port: 8443,
                https: true,
                threads: Some(3),
            })
        );
        assert_eq!(
            parse(args(&["qradar"])).unwrap(),
            Command::QRadar(QRadarArgs::default())
        );
        assert_eq!(parse(args(&[])).unwrap(), Command::Help);
        assert_eq!(parse(args(&["qradar", "--help"])).unwrap(), Command::Help);
    }

    #[test]
    fn refuses_bad_arguments() {
        for bad in [
            &["sentinel"][..],
            &["qradar", "--offenses"],
            &["qradar", "--offenses", "-1"],
            &["qradar", "--port", "70000"],
            &["qradar", "--threads", "0"],
            &["qradar", "--verbose"],
        ] {
            assert!(parse(args(bad)).is_err(), "{bad:?}");
        }
    }
}
