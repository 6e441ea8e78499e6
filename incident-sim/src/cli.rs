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
//! A vendor's subcommand is a variant of `Simulator` whose flags are the
//! vendor's [`SimVendor::Options`]; what it prints comes from its
//! [`SimVendor`] implementation. The flags every simulator has (`--port`,
//! `--https`, `--threads`), the output, the certificate file and standard
//! input are handled here.

use std::io::{self, BufRead, Write};
use std::sync::Arc;

use clap::error::ErrorKind;
use clap::{Args, Parser, Subcommand};

use crate::server::SimServer;
use crate::sim::{SimBuilder, SimVendor};

const AFTER_HELP: &str = "\
On standard output: <PREFIX>_URL=..., the credentials (e.g. QRADAR_TOKEN=...),
[<PREFIX>_CA_CERT=... with --https], then READY.
On standard input: `stats` prints the connection and request counters as JSON;
`quit` stops the server.";

/// `incident-sim <simulator> [options]`.
#[derive(Debug, Parser)]
#[command(
    name = "incident-sim",
    about = "Serves a stateful simulator of a vendor incident API on 127.0.0.1 until killed.",
    after_help = AFTER_HELP,
    arg_required_else_help = true
)]
struct Cli {
    #[command(subcommand)]
    simulator: Simulator,
}

/// The simulators this build has, one per enabled vendor feature.
#[derive(Debug, Subcommand)]
enum Simulator {
    /// IBM QRadar SIEM offenses API
    #[cfg(feature = "qradar")]
    Qradar(Serve<crate::qradar::QRadarOptions>),
    /// NetIQ / OpenText Sentinel incidents REST API
    #[cfg(feature = "sentinel")]
    Sentinel(Serve<crate::sentinel::SentinelOptions>),
    /// CyberArk PTA security and risk events (PVWA)
    #[cfg(feature = "cyberark-pta")]
    CyberarkPta(Serve<crate::cyberark_pta::PtaOptions>),
    /// ESET Connect incident management (and its IAM token endpoint)
    #[cfg(feature = "eset")]
    Eset(Serve<crate::eset::EsetOptions>),
    /// Skyhigh Security Cloud incidents API
    #[cfg(feature = "skyhigh")]
    Skyhigh(Serve<crate::skyhigh::SkyhighOptions>),
}

/// A simulator's own flags, and those every simulator has.
#[derive(Debug, Args)]
#[command(after_help = AFTER_HELP)]
struct Serve<O: Args> {
    #[command(flatten)]
    options: O,
    #[command(flatten)]
    common: CommonArgs,
}

/// The flags every simulator has.
#[derive(Clone, Debug, Default, PartialEq, Eq, Args)]
#[command(next_help_heading = "Server")]
struct CommonArgs {
    /// Port to listen on (default: any free port)
    #[arg(long, value_name = "P", default_value_t = 0, hide_default_value = true)]
    port: u16,
    /// Serve HTTPS with a fresh self-signed certificate
    #[arg(long)]
    https: bool,
    /// Date answers this many seconds off the local clock (negative: behind)
    #[arg(
        long,
        value_name = "S",
        default_value_t = 0,
        hide_default_value = true,
        allow_negative_numbers = true
    )]
    clock_skew: i64,
    /// Server worker threads (default: one per core)
    #[arg(long, value_name = "N", value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..))]
    threads: Option<usize>,
}

/// Parses `args` (without the program name) and serves until killed or told
/// to quit; `--help` (or no argument) prints the usage on standard output.
///
/// # Errors
///
/// The message for bad arguments (clap's, with the usage), or for a failure to start the
/// runtime, to listen or to write the certificate file.
pub fn run<I>(args: I) -> Result<(), String>
where
    I: IntoIterator<Item = String>,
{
    let cli = match Cli::try_parse_from(std::iter::once("incident-sim".to_owned()).chain(args)) {
        Ok(cli) => cli,
        Err(e) => {
            return match e.kind() {
                ErrorKind::DisplayHelp
                | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
                | ErrorKind::DisplayVersion => {
                    print!("{e}");
                    Ok(())
                }
                _ => Err(e.render().to_string()),
            };
        }
    };
    let threads = cli.simulator.common().threads;
    let mut runtime = tokio::runtime::Builder::new_multi_thread();
    if let Some(n) = threads {
        runtime.worker_threads(n);
    }
    let runtime = runtime
        .enable_all()
        .build()
        .map_err(|e| format!("error: cannot start the runtime: {e}"))?;
    runtime.block_on(async {
        let launched: io::Result<Launched> = match cli.simulator {
            #[cfg(feature = "qradar")]
            Simulator::Qradar(serve) => launch::<crate::qradar::QRadar>(serve).await,
            #[cfg(feature = "sentinel")]
            Simulator::Sentinel(serve) => launch::<crate::sentinel::Sentinel>(serve).await,
            #[cfg(feature = "cyberark-pta")]
            Simulator::CyberarkPta(serve) => launch::<crate::cyberark_pta::Pta>(serve).await,
            #[cfg(feature = "eset")]
            Simulator::Eset(serve) => launch::<crate::eset::Eset>(serve).await,
            #[cfg(feature = "skyhigh")]
            Simulator::Skyhigh(serve) => launch::<crate::skyhigh::Skyhigh>(serve).await,
        };
        serve(launched.map_err(|e| format!("error: cannot listen: {e}"))?).await
    })
}

impl Simulator {
    fn common(&self) -> &CommonArgs {
        match *self {
            #[cfg(feature = "qradar")]
            Simulator::Qradar(ref serve) => &serve.common,
            #[cfg(feature = "sentinel")]
            Simulator::Sentinel(ref serve) => &serve.common,
            #[cfg(feature = "cyberark-pta")]
            Simulator::CyberarkPta(ref serve) => &serve.common,
            #[cfg(feature = "eset")]
            Simulator::Eset(ref serve) => &serve.common,
            #[cfg(feature = "skyhigh")]
            Simulator::Skyhigh(ref serve) => &serve.common,
        }
    }
}

/// A simulator started from the command line, with what the binary prints about it.
struct Launched {
    sim: Arc<dyn AsRef<SimServer> + Send + Sync>,
    command: &'static str,
    prefix: &'static str,
    variables: Vec<(&'static str, String)>,
    summary: String,
}

/// Starts `V`'s simulator on the current runtime as `serve` says.
async fn launch<V: SimVendor>(serve: Serve<V::Options>) -> io::Result<Launched> {
    let sim = SimBuilder::<V>::from_options(serve.options)
        .port(serve.common.port)
        .https(serve.common.https)
        .clock_skew(serve.common.clock_skew)
        .start()
        .await?;
    Ok(Launched {
        variables: V::variables(&sim),
        summary: V::summary(&sim),
        command: V::COMMAND,
        prefix: V::ENV_PREFIX,
        sim: Arc::new(sim),
    })
}

/// Serves a started simulator until `quit` on standard input, printing its variables first.
async fn serve(launched: Launched) -> Result<(), String> {
    let Launched {
        sim,
        command,
        prefix,
        variables,
        summary,
    } = launched;
    let server = (*sim).as_ref();
    let ca_path = match server.ca_cert_pem() {
        Some(pem) => {
            let path = std::env::temp_dir().join(format!(
                "incident-sim-{command}-{}.pem",
                server.local_addr().port()
            ));
            std::fs::write(&path, pem)
                .map_err(|e| format!("error: cannot write {}: {e}", path.display()))?;
            Some(path)
        }
        None => None,
    };
    {
        let mut lines = format!("{prefix}_URL={}\n", server.url());
        for (name, value) in &variables {
            lines.push_str(&format!("{prefix}_{name}={value}\n"));
        }
        if let Some(path) = &ca_path {
            lines.push_str(&format!("{prefix}_CA_CERT={}\n", path.display()));
        }
        lines.push_str("READY\n");
        let mut out = io::stdout().lock();
        out.write_all(lines.as_bytes())
            .and_then(|()| out.flush())
            .map_err(|e| format!("error: cannot write to standard output: {e}"))?;
    }
    eprintln!(
        "{summary} at {}; `stats` or `quit` on standard input, or Ctrl-C",
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
    use std::time::Duration;

    use super::*;

    fn parse(args: &[&str]) -> Result<Cli, clap::Error> {
        Cli::try_parse_from(std::iter::once("incident-sim").chain(args.iter().copied()))
    }

    #[test]
    fn help_and_unknown_simulators() {
        let kind = |args: &[&str]| parse(args).map(|_| ()).unwrap_err().kind();
        assert_eq!(
            kind(&[]),
            ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
        );
        assert_eq!(kind(&["--help"]), ErrorKind::DisplayHelp);
        assert_eq!(kind(&["qradar", "--help"]), ErrorKind::DisplayHelp);
        assert_eq!(kind(&["nosuch"]), ErrorKind::InvalidSubcommand);
        assert!(run(["--help".to_owned()]).is_ok());
        let help = Cli::command_for_test().render_help().to_string();
        for name in ["qradar", "sentinel", "cyberark-pta", "eset", "skyhigh"] {
            assert!(help.contains(name), "{help}");
        }
    }

    impl Cli {
        fn command_for_test() -> clap::Command {
            <Cli as clap::CommandFactory>::command()
        }
    }

    #[test]
    fn refuses_bad_arguments() {
        for bad in [
            &["qradar", "--offenses"][..],
            &["qradar", "--offenses", "-1"],
            &["qradar", "--offenses", "many"],
            &["qradar", "--port", "70000"],
            &["qradar", "--threads", "0"],
            &["qradar", "--verbose"],
            &["sentinel", "--token"],
            &["cyberark-pta", "--token", "t"],
            &["eset", "--token-lifetime", "0"],
            &["eset", "--offenses", "3"],
            &["skyhigh", "--incidents", "x"],
        ] {
            assert!(parse(bad).is_err(), "{bad:?}");
            assert!(run(bad.iter().map(|s| (*s).to_owned())).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn the_common_flags_follow_any_simulator() {
        let cli = parse(&[
            "qradar",
            "--port",
            "8443",
            "--https",
            "--threads",
            "3",
            "--clock-skew",
            "-600",
        ])
        .unwrap();
        let expected = CommonArgs {
            port: 8443,
            https: true,
            clock_skew: -600,
            threads: Some(3),
        };
        assert_eq!(cli.simulator.common(), &expected);
        let cli = parse(&["skyhigh"]).unwrap();
        assert_eq!(cli.simulator.common(), &CommonArgs::default());
    }

    #[test]
    fn parses_every_vendor_option() {
        let Simulator::Qradar(q) = parse(&[
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
            "--session-ttl",
            "90",
        ])
        .unwrap()
        .simulator
        else {
            panic!("qradar")
        };
        let q = q.options;
        assert_eq!(
            (q.offenses, q.common.seed(), q.common.user.as_str()),
            (100_000, 7, "u")
        );
        assert_eq!((q.token.as_str(), q.common.password.as_str()), ("t", "p"));
        assert_eq!(q.session_ttl, Some(Duration::from_secs(90)));

        let Simulator::CyberarkPta(p) = parse(&[
            "cyberark-pta",
            "--events",
            "5000",
            "--risk-events",
            "7",
            "--seed",
            "3",
            "--user",
            "u",
            "--password",
            "p",
            "--app-path",
            "PV",
            "--session-ttl",
            "60",
            "--dates-in-seconds",
        ])
        .unwrap()
        .simulator
        else {
            panic!("cyberark-pta")
        };
        let p = p.options;
        assert_eq!((p.events, p.risk_events, p.common.seed()), (5000, 7, 3));
        assert_eq!(
            (p.common.user.as_str(), p.common.password.as_str()),
            ("u", "p")
        );
        assert_eq!(p.app_path, "PV");
        assert_eq!(p.session_ttl, Some(Duration::from_secs(60)));
        assert!(p.dates_in_seconds);

        let Simulator::Eset(e) = parse(&[
            "eset",
            "--incidents",
            "500",
            "--seed",
            "7",
            "--username",
            "u@x",
            "--password",
            "p",
            "--rate-limit",
            "0",
            "--token-lifetime",
            "5",
            "--pending-ttl",
            "2",
        ])
        .unwrap()
        .simulator
        else {
            panic!("eset")
        };
        let e = e.options;
        assert_eq!((e.incidents, e.common.seed(), e.rate_limit), (500, 7, None));
        assert_eq!(
            (e.common.user.as_str(), e.common.password.as_str()),
            ("u@x", "p")
        );
        assert_eq!(e.token_lifetime, Duration::from_secs(5));
        assert_eq!(e.pending_ttl, Duration::from_secs(2));

        let Simulator::Sentinel(s) = parse(&[
            "sentinel",
            "--incidents",
            "5000",
            "--seed",
            "7",
            "--user",
            "u",
            "--password",
            "p",
            "--token-ttl",
            "30",
        ])
        .unwrap()
        .simulator
        else {
            panic!("sentinel")
        };
        let s = s.options;
        assert_eq!(
            (s.incidents, s.common.seed(), s.common.user.as_str()),
            (5000, 7, "u")
        );
        assert_eq!(s.common.password.as_str(), "p");
        assert_eq!(s.token_ttl, Some(Duration::from_secs(30)));

        let Simulator::Skyhigh(k) = parse(&[
            "skyhigh",
            "--incidents",
            "5000",
            "--seed",
            "9",
            "--user",
            "u",
            "--password",
            "p",
            "--bare",
            "--repeat-boundary",
        ])
        .unwrap()
        .simulator
        else {
            panic!("skyhigh")
        };
        let k = k.options;
        assert_eq!(
            (k.incidents, k.common.seed(), k.common.user.as_str()),
            (5000, 9, "u")
        );
        assert_eq!(k.common.password.as_str(), "p");
        assert!(k.bare && k.repeat_boundary);
    }

    /// The defaults of the flags are those of the builders, which the constants name.
    #[test]
    fn the_flag_defaults_are_the_builder_defaults() {
        let seeds = [
            crate::QRadarSim::builder().options.common.seed(),
            crate::PtaSim::builder().options.common.seed(),
            crate::EsetSim::builder().options.common.seed(),
            crate::SentinelSim::builder().options.common.seed(),
            crate::SkyhighSim::builder().options.common.seed(),
        ];
        let expected = [
            crate::qradar::DEFAULT_SEED,
            crate::cyberark_pta::DEFAULT_SEED,
            crate::eset::DEFAULT_SEED,
            crate::sentinel::DEFAULT_SEED,
            crate::skyhigh::DEFAULT_SEED,
        ];
        assert_eq!(seeds, expected);
        let users = [
            crate::QRadarSim::builder().options.common.user,
            crate::EsetSim::builder().options.common.user,
            crate::SkyhighSim::builder().options.common.user,
        ];
        let expected = [
            crate::qradar::DEFAULT_USER,
            crate::eset::DEFAULT_USERNAME,
            crate::skyhigh::DEFAULT_USER,
        ];
        assert_eq!(users, expected);
        let q = crate::QRadarSim::builder().options;
        assert_eq!(q.session_ttl, Some(crate::qradar::DEFAULT_SESSION_TTL));
        let p = crate::PtaSim::builder().options;
        assert_eq!(
            p.session_ttl,
            Some(crate::cyberark_pta::DEFAULT_SESSION_TTL)
        );
        let e = crate::EsetSim::builder().options;
        assert_eq!(e.rate_limit, Some(crate::eset::DEFAULT_RATE_LIMIT));
        assert_eq!(e.token_lifetime, crate::eset::DEFAULT_TOKEN_LIFETIME);
        assert_eq!(e.pending_ttl, crate::server::DEFAULT_PENDING_TTL);
        let s = crate::SentinelSim::builder().options;
        assert_eq!((s.incidents, s.token_ttl), (60, None));
        let k = crate::SkyhighSim::builder().options;
        assert_eq!(k.token_ttl, Duration::from_secs(600));
        assert!(!k.bare && !k.repeat_boundary);
    }

    #[tokio::test]
    async fn what_the_binary_prints() {
        let serve = |args: &[&str]| match parse(args).unwrap().simulator {
            Simulator::Qradar(s) => launch::<crate::qradar::QRadar>(s),
            _ => unreachable!(),
        };
        let launched = serve(&["qradar", "--token", "t"]).await.unwrap();
        assert_eq!(launched.variables, [("TOKEN", "t".to_owned())]);
        assert_eq!(launched.summary, "QRadar simulator: 25 offenses");
        assert_eq!((launched.command, launched.prefix), ("qradar", "QRADAR"));

        let Simulator::Eset(e) = parse(&["eset"]).unwrap().simulator else {
            unreachable!()
        };
        let launched = launch::<crate::eset::Eset>(e).await.unwrap();
        let names: Vec<&str> = launched.variables.iter().map(|(n, _)| *n).collect();
        assert_eq!(names, ["IAM_URL", "USERNAME", "PASSWORD"]);
        assert_eq!(launched.variables[0].1, (*launched.sim).as_ref().url());

        let Simulator::CyberarkPta(p) = parse(&["cyberark-pta"]).unwrap().simulator else {
            unreachable!()
        };
        let launched = launch::<crate::cyberark_pta::Pta>(p).await.unwrap();
        let names: Vec<&str> = launched.variables.iter().map(|(n, _)| *n).collect();
        assert_eq!(names, ["USERNAME", "PASSWORD"]);
        assert!(launched.summary.contains("40 security events"));
        assert!(launched.summary.ends_with("date filters in milliseconds"));
    }

    #[tokio::test]
    async fn dates_in_seconds_reach_the_simulator() {
        let Simulator::CyberarkPta(p) = parse(&["cyberark-pta", "--dates-in-seconds"])
            .unwrap()
            .simulator
        else {
            unreachable!()
        };
        let launched = launch::<crate::cyberark_pta::Pta>(p).await.unwrap();
        assert!(launched.summary.ends_with("date filters in seconds"));
        let sim = (*launched.sim).as_ref();
        let url = format!("{}/PasswordVault/API/auth/CyberArk/Logon", sim.url());
        let http = reqwest::Client::new();
        let token: String = serde_json::from_str(
            &http
                .post(url)
                .header("content-type", "application/json")
                .body(r#"{"username":"pta-admin","password":"sim-password"}"#)
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap(),
        )
        .unwrap();
        let events = |from: u64| {
            let req = http
                .get(format!(
                    "{}/PasswordVault/API/pta/API/Events/?fromUpdateDate={from}",
                    sim.url()
                ))
                .header("authorization", &token);
            async move {
                let text = req.send().await.unwrap().text().await.unwrap();
                serde_json::from_str::<serde_json::Value>(&text)
                    .unwrap()
                    .as_array()
                    .map_or(0, Vec::len)
            }
        };
        // 4,102,444,800 is 2100 in seconds (no event changed since) but February 1970 in
        // milliseconds (every event did): nothing comes back, so it was read as seconds.
        assert_eq!(events(4_102_444_800).await, 0);
        assert_eq!(events(4_102_444).await, 40);
    }
}
