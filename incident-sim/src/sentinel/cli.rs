//! `incident-sim sentinel`: Sentinel's subcommand of the binary.

use crate::cli::{Launched, StartFuture, VendorCommand, parse_number};
use crate::server::ServerOptions;

use super::{DEFAULT_PASSWORD, DEFAULT_USER, SentinelSim};

/// Options of `incident-sim sentinel`; prints `SENTINEL_URL`, `SENTINEL_USERNAME`,
/// `SENTINEL_PASSWORD` (and `SENTINEL_CA_CERT` with `--https`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SentinelCommand {
    /// Incidents to seed.
    pub incidents: usize,
    /// Seed of the data generator; `None` keeps the builder's default.
    pub seed: Option<u64>,
    /// Accepted user name; `None` keeps the default.
    pub user: Option<String>,
    /// Accepted password; `None` keeps the default.
    pub password: Option<String>,
    /// Token lifetime in seconds; `None`: tokens do not expire by themselves.
    pub token_ttl: Option<u64>,
}

impl Default for SentinelCommand {
    fn default() -> Self {
        SentinelCommand {
            incidents: 60,
            seed: None,
            user: None,
            password: None,
            token_ttl: None,
        }
    }
}

impl VendorCommand for SentinelCommand {
    fn name(&self) -> &'static str {
        "sentinel"
    }

    fn about(&self) -> &'static str {
        "NetIQ / OpenText Sentinel incidents REST API"
    }

    fn env_prefix(&self) -> &'static str {
        "SENTINEL"
    }

    fn options_usage(&self) -> &'static str {
        "  --incidents N     incidents to seed, ids 1..=N (default 60)
  --seed N          seed of the data generator (default fixed)
  --user U          accepted user name (default admin)
  --password P      accepted password (default sim-password)
  --token-ttl S     token lifetime in seconds (default: no expiry)"
    }

    fn parse_option(
        &mut self,
        flag: &str,
        value: &mut dyn FnMut() -> Result<String, String>,
    ) -> Result<bool, String> {
        match flag {
            "--incidents" => self.incidents = parse_number(flag, &value()?)?,
            "--seed" => self.seed = Some(parse_number(flag, &value()?)?),
            "--user" => self.user = Some(value()?),
            "--password" => self.password = Some(value()?),
            "--token-ttl" => self.token_ttl = Some(parse_number(flag, &value()?)?),
            _ => return Ok(false),
        }
        Ok(true)
    }

    fn start(&self, options: ServerOptions) -> StartFuture<'_> {
        Box::pin(async move {
            let mut builder = SentinelSim::builder()
                .incidents(self.incidents)
                .port(options.port_number())
                .https(options.is_https());
            if let Some(seed) = self.seed {
                builder = builder.seed(seed);
            }
            if self.user.is_some() || self.password.is_some() {
                builder = builder.credentials(
                    self.user.as_deref().unwrap_or(DEFAULT_USER),
                    self.password.as_deref().unwrap_or(DEFAULT_PASSWORD),
                );
            }
            if let Some(secs) = self.token_ttl {
                builder = builder.token_ttl(std::time::Duration::from_secs(secs));
            }
            let sim = builder.start().await?;
            let (user, password) = sim.credentials();
            let variables = vec![
                ("SENTINEL_USERNAME".to_owned(), user.to_owned()),
                ("SENTINEL_PASSWORD".to_owned(), password.to_owned()),
            ];
            Ok(Launched {
                sim: Box::new(sim),
                variables,
                summary: format!("Sentinel simulator: {} incidents", self.incidents),
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
        let mut cmd = SentinelCommand::default();
        let common = parse_options(
            &mut cmd,
            args(&[
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
                "--https",
            ]),
        )
        .unwrap()
        .unwrap();
        assert_eq!(
            cmd,
            SentinelCommand {
                incidents: 5000,
                seed: Some(7),
                user: Some("u".into()),
                password: Some("p".into()),
                token_ttl: Some(30),
            }
        );
        assert!(common.https);
        match parse(args(&["sentinel"])).unwrap() {
            Command::Serve(inv) => assert_eq!(inv.vendor.name(), "sentinel"),
            Command::Help => panic!("expected a simulator"),
        }
        for bad in [
            &["sentinel", "--incidents"][..],
            &["sentinel", "--incidents", "-1"],
            &["sentinel", "--token"],
        ] {
            assert!(parse(args(bad)).is_err(), "{bad:?}");
        }
    }
}
