//! `incident-sim cyberark-pta`: PTA's subcommand of the binary.

use std::time::Duration;

use crate::cli::{Launched, StartFuture, VendorCommand, parse_number};
use crate::server::ServerOptions;

use super::{DEFAULT_PASSWORD, DEFAULT_USER, PtaSim};

/// Options of `incident-sim cyberark-pta`; prints `PTA_URL` (the PVWA base URL, without
/// the application path), `PTA_USERNAME`, `PTA_PASSWORD` (and `PTA_CA_CERT` with
/// `--https`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PtaCommand {
    /// Security events to seed.
    pub events: usize,
    /// Risk events to seed.
    pub risk_events: usize,
    /// Seed of the data generator; `None` keeps the builder's default.
    pub seed: Option<u64>,
    /// Accepted user name; `None` keeps the default.
    pub user: Option<String>,
    /// Accepted password; `None` keeps the default.
    pub password: Option<String>,
    /// Application path; `None` keeps `PasswordVault`.
    pub app_path: Option<String>,
    /// Session lifetime in seconds; `None` keeps 20 minutes.
    pub session_ttl_secs: Option<u64>,
}

impl Default for PtaCommand {
    fn default() -> Self {
        PtaCommand {
            events: 40,
            risk_events: 30,
            seed: None,
            user: None,
            password: None,
            app_path: None,
            session_ttl_secs: None,
        }
    }
}

impl VendorCommand for PtaCommand {
    fn name(&self) -> &'static str {
        "cyberark-pta"
    }

    fn about(&self) -> &'static str {
        "CyberArk PTA security and risk events (PVWA)"
    }

    fn env_prefix(&self) -> &'static str {
        "PTA"
    }

    fn options_usage(&self) -> &'static str {
        "  --events N        security events to seed (default 40)
  --risk-events N   risk events to seed (default 30)
  --seed N          seed of the data generator (default fixed)
  --user U          accepted user name (default pta-admin)
  --password P      accepted password (default sim-password)
  --app-path A      PVWA application path (default PasswordVault)
  --session-ttl S   session lifetime in seconds (default 1200)"
    }

    fn parse_option(
        &mut self,
        flag: &str,
        value: &mut dyn FnMut() -> Result<String, String>,
    ) -> Result<bool, String> {
        match flag {
            "--events" => self.events = parse_number(flag, &value()?)?,
            "--risk-events" => self.risk_events = parse_number(flag, &value()?)?,
            "--seed" => self.seed = Some(parse_number(flag, &value()?)?),
            "--user" => self.user = Some(value()?),
            "--password" => self.password = Some(value()?),
            "--app-path" => self.app_path = Some(value()?),
            "--session-ttl" => self.session_ttl_secs = Some(parse_number(flag, &value()?)?),
            _ => return Ok(false),
        }
        Ok(true)
    }

    fn start(&self, options: ServerOptions) -> StartFuture<'_> {
        Box::pin(async move {
            let mut builder = PtaSim::builder()
                .events(self.events)
                .risk_events(self.risk_events)
                .port(options.port_number())
                .https(options.is_https())
                .credentials(
                    self.user.as_deref().unwrap_or(DEFAULT_USER),
                    self.password.as_deref().unwrap_or(DEFAULT_PASSWORD),
                );
            if let Some(seed) = self.seed {
                builder = builder.seed(seed);
            }
            if let Some(app) = &self.app_path {
                builder = builder.app_path(app.clone());
            }
            if let Some(secs) = self.session_ttl_secs {
                builder = builder.session_ttl(Some(Duration::from_secs(secs)));
            }
            let sim = builder.start().await?;
            let variables = vec![
                ("PTA_USERNAME".to_owned(), sim.username().to_owned()),
                ("PTA_PASSWORD".to_owned(), sim.password().to_owned()),
            ];
            Ok(Launched {
                summary: format!(
                    "CyberArk PTA simulator: {} security events, {} risk events under /{}",
                    self.events,
                    self.risk_events,
                    sim.app_path()
                ),
                sim: Box::new(sim),
                variables,
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::{Command, parse, parse_options};

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn parses_every_option() {
        let mut cmd = PtaCommand::default();
        let common = parse_options(
            &mut cmd,
            args(&[
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
                "--https",
            ]),
        )
        .unwrap()
        .unwrap();
        assert_eq!(
            cmd,
            PtaCommand {
                events: 5000,
                risk_events: 7,
                seed: Some(3),
                user: Some("u".into()),
                password: Some("p".into()),
                app_path: Some("PV".into()),
                session_ttl_secs: Some(60),
            }
        );
        assert!(common.https);
        match parse(args(&["cyberark-pta"])).unwrap() {
            Command::Serve(inv) => assert_eq!(inv.vendor.env_prefix(), "PTA"),
            Command::Help => panic!("expected a simulator"),
        }
        for bad in [
            &["cyberark-pta", "--events"][..],
            &["cyberark-pta", "--events", "x"],
            &["cyberark-pta", "--token", "t"],
        ] {
            assert!(parse(args(bad)).is_err(), "{bad:?}");
        }
    }

    #[tokio::test]
    async fn prints_the_variables_the_example_reads() {
        let launched = PtaCommand::default()
            .start(ServerOptions::new())
            .await
            .unwrap();
        let names: Vec<&str> = launched.variables.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["PTA_USERNAME", "PTA_PASSWORD"]);
        assert!(launched.summary.contains("40 security events"));
    }
}
