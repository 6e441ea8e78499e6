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
    /// Read `fromUpdateDate` and `lastUpdatedEventDate` as seconds since 1970, as the
    /// documentation says, instead of milliseconds, as psPAS sends them.
    pub dates_in_seconds: bool,
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
            dates_in_seconds: false,
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
  --session-ttl S   session lifetime in seconds (default 1200)
  --dates-in-seconds  read fromUpdateDate and lastUpdatedEventDate as seconds, as
                    documented (default: milliseconds, as psPAS sends them)"
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
            "--dates-in-seconds" => self.dates_in_seconds = true,
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
            if self.dates_in_seconds {
                builder = builder.dates_in_seconds(true);
            }
            let sim = builder.start().await?;
            let variables = vec![
                ("PTA_USERNAME".to_owned(), sim.username().to_owned()),
                ("PTA_PASSWORD".to_owned(), sim.password().to_owned()),
            ];
            let unit = if self.dates_in_seconds {
                "seconds"
            } else {
                "milliseconds"
            };
            Ok(Launched {
                summary: format!(
                    "CyberArk PTA simulator: {} security events, {} risk events under /{}, \
                     date filters in {unit}",
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
                "--dates-in-seconds",
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
                dates_in_seconds: true,
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
        assert!(launched.summary.ends_with("date filters in milliseconds"));
    }

    #[tokio::test]
    async fn dates_in_seconds_reach_the_simulator() {
        let cmd = PtaCommand {
            dates_in_seconds: true,
            ..PtaCommand::default()
        };
        let launched = cmd.start(ServerOptions::new()).await.unwrap();
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
