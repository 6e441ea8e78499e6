//! `incident-sim qradar`: QRadar's subcommand of the binary.

use crate::cli::{Launched, StartFuture, VendorCommand, parse_number};
use crate::server::ServerOptions;

use super::{DEFAULT_PASSWORD, DEFAULT_USER, QRadarSim};

/// Options of `incident-sim qradar`; prints `QRADAR_URL`, `QRADAR_TOKEN`
/// (and `QRADAR_CA_CERT` with `--https`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QRadarCommand {
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
    /// Lifetime in seconds of a session opened by a Basic request (its `SEC` cookie);
    /// `None` keeps 30 minutes.
    pub session_ttl_secs: Option<u64>,
}

impl Default for QRadarCommand {
    fn default() -> Self {
        QRadarCommand {
            offenses: 25,
            seed: None,
            token: None,
            user: None,
            password: None,
            session_ttl_secs: None,
        }
    }
}

impl VendorCommand for QRadarCommand {
    fn name(&self) -> &'static str {
        "qradar"
    }

    fn about(&self) -> &'static str {
        "IBM QRadar SIEM offenses API"
    }

    fn env_prefix(&self) -> &'static str {
        "QRADAR"
    }

    fn options_usage(&self) -> &'static str {
        "  --offenses N      offenses to seed, ids 1..=N (default 25)
  --seed N          seed of the data generator (default fixed)
  --token T         accepted SEC token (default sim-sec-token)
  --user U          accepted Basic user name (default admin)
  --password P      accepted Basic password (default sim-password)
  --session-ttl S   lifetime of a Basic request's SEC cookie session in seconds (default 1800)"
    }

    fn parse_option(
        &mut self,
        flag: &str,
        value: &mut dyn FnMut() -> Result<String, String>,
    ) -> Result<bool, String> {
        match flag {
            "--offenses" => self.offenses = parse_number(flag, &value()?)?,
            "--seed" => self.seed = Some(parse_number(flag, &value()?)?),
            "--token" => self.token = Some(value()?),
            "--user" => self.user = Some(value()?),
            "--password" => self.password = Some(value()?),
            "--session-ttl" => self.session_ttl_secs = Some(parse_number(flag, &value()?)?),
            _ => return Ok(false),
        }
        Ok(true)
    }

    fn start(&self, options: ServerOptions) -> StartFuture<'_> {
        Box::pin(async move {
            let mut builder = QRadarSim::builder()
                .offenses(self.offenses)
                .port(options.port_number())
                .https(options.is_https());
            if let Some(seed) = self.seed {
                builder = builder.seed(seed);
            }
            if let Some(token) = &self.token {
                builder = builder.token(token.clone());
            }
            if self.user.is_some() || self.password.is_some() {
                builder = builder.basic_auth(
                    self.user.as_deref().unwrap_or(DEFAULT_USER),
                    self.password.as_deref().unwrap_or(DEFAULT_PASSWORD),
                );
            }
            if let Some(secs) = self.session_ttl_secs {
                builder = builder.session_ttl(Some(std::time::Duration::from_secs(secs)));
            }
            let sim = builder.start().await?;
            let variables = vec![("QRADAR_TOKEN".to_owned(), sim.token().to_owned())];
            Ok(Launched {
                sim: Box::new(sim),
                variables,
                summary: format!("QRadar simulator: {} offenses", self.offenses),
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::{Command, CommonArgs, parse, parse_options};

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn parses_every_option() {
        let mut cmd = QRadarCommand::default();
        let common = parse_options(
            &mut cmd,
            args(&[
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
                "--port",
                "8443",
                "--https",
                "--threads",
                "3",
            ]),
        )
        .unwrap();
        assert_eq!(
            cmd,
            QRadarCommand {
                offenses: 100_000,
                seed: Some(7),
                token: Some("t".into()),
                user: Some("u".into()),
                password: Some("p".into()),
                session_ttl_secs: Some(90),
            }
        );
        assert_eq!(
            common,
            Some(CommonArgs {
                port: 8443,
                https: true,
                threads: Some(3),
            })
        );
        match parse(args(&["qradar"])).unwrap() {
            Command::Serve(inv) => {
                assert_eq!(inv.vendor.name(), "qradar");
                assert_eq!(inv.common, CommonArgs::default());
                assert_eq!(
                    format!("{:?}", inv.vendor),
                    format!("{:?}", QRadarCommand::default())
                );
            }
            Command::Help => panic!("expected a simulator"),
        }
        assert!(matches!(
            parse(args(&["qradar", "--help"])),
            Ok(Command::Help)
        ));
    }

    #[test]
    fn refuses_bad_arguments() {
        for bad in [
            &["nosuch"][..],
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
