//! `incident-sim eset`: ESET Connect's subcommand of the binary.

use std::time::Duration;

use crate::cli::{Launched, StartFuture, VendorCommand, parse_number};
use crate::server::ServerOptions;

use super::{DEFAULT_PASSWORD, DEFAULT_USERNAME, EsetSim};

/// Options of `incident-sim eset`; prints `ESET_URL`, `ESET_IAM_URL`, `ESET_USERNAME`,
/// `ESET_PASSWORD` (and `ESET_CA_CERT` with `--https`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EsetCommand {
    /// Incidents to seed.
    pub incidents: usize,
    /// Seed of the data generator; `None` keeps the builder's default.
    pub seed: Option<u64>,
    /// Accepted API user name; `None` keeps the default.
    pub username: Option<String>,
    /// Accepted password; `None` keeps the default.
    pub password: Option<String>,
    /// Requests per second; `None` keeps the default of 10, `Some(0)` turns it off.
    pub rate_limit: Option<u32>,
    /// Token lifetime in seconds; `None` keeps the default of an hour.
    pub token_lifetime: Option<u64>,
    /// How long a pending (202) answer waits to be retrieved, in seconds; `None` keeps
    /// ESET's 10 minutes.
    pub pending_ttl: Option<u64>,
}

impl Default for EsetCommand {
    fn default() -> Self {
        EsetCommand {
            incidents: 60,
            seed: None,
            username: None,
            password: None,
            rate_limit: None,
            token_lifetime: None,
            pending_ttl: None,
        }
    }
}

impl VendorCommand for EsetCommand {
    fn name(&self) -> &'static str {
        "eset"
    }

    fn about(&self) -> &'static str {
        "ESET Connect incident management (and its IAM token endpoint)"
    }

    fn env_prefix(&self) -> &'static str {
        "ESET"
    }

    fn options_usage(&self) -> &'static str {
        "  --incidents N     incidents to seed (default 60)
  --seed N          seed of the data generator (default fixed)
  --username U      accepted API user (default api-user@example.com)
  --password P      accepted password (default sim-eset-password)
  --rate-limit N    requests per second, 0 for none (default 10)
  --token-lifetime S  access token lifetime in seconds (default 3600)
  --pending-ttl S   how long a pending (202) answer is kept, in seconds (default 600)"
    }

    fn parse_option(
        &mut self,
        flag: &str,
        value: &mut dyn FnMut() -> Result<String, String>,
    ) -> Result<bool, String> {
        match flag {
            "--incidents" => self.incidents = parse_number(flag, &value()?)?,
            "--seed" => self.seed = Some(parse_number(flag, &value()?)?),
            "--username" => self.username = Some(value()?),
            "--password" => self.password = Some(value()?),
            "--rate-limit" => self.rate_limit = Some(parse_number(flag, &value()?)?),
            "--token-lifetime" => {
                let secs: u64 = parse_number(flag, &value()?)?;
                if secs == 0 {
                    return Err("--token-lifetime must be at least 1".to_owned());
                }
                self.token_lifetime = Some(secs);
            }
            "--pending-ttl" => self.pending_ttl = Some(parse_number(flag, &value()?)?),
            _ => return Ok(false),
        }
        Ok(true)
    }

    fn start(&self, options: ServerOptions) -> StartFuture<'_> {
        Box::pin(async move {
            let mut builder = EsetSim::builder()
                .incidents(self.incidents)
                .port(options.port_number())
                .https(options.is_https())
                .credentials(
                    self.username.as_deref().unwrap_or(DEFAULT_USERNAME),
                    self.password.as_deref().unwrap_or(DEFAULT_PASSWORD),
                );
            if let Some(seed) = self.seed {
                builder = builder.seed(seed);
            }
            if let Some(limit) = self.rate_limit {
                builder = builder.rate_limit((limit > 0).then_some(limit));
            }
            if let Some(secs) = self.token_lifetime {
                builder = builder.token_lifetime(Duration::from_secs(secs));
            }
            if let Some(secs) = self.pending_ttl {
                builder = builder.pending_ttl(Duration::from_secs(secs));
            }
            let sim = builder.start().await?;
            let (user, password) = sim.credentials();
            let variables = vec![
                ("ESET_IAM_URL".to_owned(), sim.iam_url()),
                ("ESET_USERNAME".to_owned(), user.to_owned()),
                ("ESET_PASSWORD".to_owned(), password.to_owned()),
            ];
            Ok(Launched {
                sim: Box::new(sim),
                variables,
                summary: format!("ESET Connect simulator: {} incidents", self.incidents),
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
        let mut cmd = EsetCommand::default();
        parse_options(
            &mut cmd,
            args(&[
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
                "--https",
            ]),
        )
        .unwrap();
        assert_eq!(
            cmd,
            EsetCommand {
                incidents: 500,
                seed: Some(7),
                username: Some("u@x".into()),
                password: Some("p".into()),
                rate_limit: Some(0),
                token_lifetime: Some(5),
                pending_ttl: Some(2),
            }
        );
        match parse(args(&["eset"])).unwrap() {
            Command::Serve(inv) => assert_eq!(inv.vendor.name(), "eset"),
            Command::Help => panic!("expected a simulator"),
        }
        for bad in [
            &["eset", "--incidents", "x"][..],
            &["eset", "--token-lifetime", "0"],
            &["eset", "--offenses", "3"],
        ] {
            assert!(parse(args(bad)).is_err(), "{bad:?}");
        }
    }

    #[tokio::test]
    async fn start_prints_both_hosts_and_the_credentials() {
        let launched = EsetCommand::default()
            .start(ServerOptions::new())
            .await
            .unwrap();
        let names: Vec<&str> = launched.variables.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["ESET_IAM_URL", "ESET_USERNAME", "ESET_PASSWORD"]);
        let url = (*launched.sim).as_ref().url();
        assert_eq!(launched.variables[0].1, url);
    }
}
