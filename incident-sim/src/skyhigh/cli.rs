//! `incident-sim skyhigh`: Skyhigh's subcommand of the binary.

use crate::cli::{Launched, StartFuture, VendorCommand, parse_number};
use crate::server::ServerOptions;

use super::{DEFAULT_PASSWORD, DEFAULT_USER, PageBoundary, ResponseShape, SkyhighSim};

/// Options of `incident-sim skyhigh`; prints `SKYHIGH_URL`, `SKYHIGH_USERNAME`,
/// `SKYHIGH_PASSWORD` (and `SKYHIGH_CA_CERT` with `--https`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SkyhighCommand {
    /// Incidents to seed.
    pub incidents: usize,
    /// Seed of the data generator; `None` keeps the default.
    pub seed: Option<u64>,
    /// Accepted user name; `None` keeps the default.
    pub user: Option<String>,
    /// Accepted password; `None` keeps the default.
    pub password: Option<String>,
    /// Answer without the Spring envelope.
    pub bare: bool,
    /// End pages at the limit and repeat the boundary incidents on the next page, as some
    /// tenants do, instead of keeping them in the page as documented.
    pub repeat_boundary: bool,
}

impl Default for SkyhighCommand {
    fn default() -> Self {
        SkyhighCommand {
            incidents: 60,
            seed: None,
            user: None,
            password: None,
            bare: false,
            repeat_boundary: false,
        }
    }
}

impl VendorCommand for SkyhighCommand {
    fn name(&self) -> &'static str {
        "skyhigh"
    }

    fn about(&self) -> &'static str {
        "Skyhigh Security Cloud incidents API"
    }

    fn env_prefix(&self) -> &'static str {
        "SKYHIGH"
    }

    fn options_usage(&self) -> &'static str {
        "  --incidents N     incidents to seed (default 60)
  --seed N          seed of the data generator (default fixed)
  --user U          accepted user name (default api-user@example.com)
  --password P      accepted password (default sim-skyhigh-password)
  --bare            answer without the Spring envelope
  --repeat-boundary end pages at the limit and repeat the incidents at the last
                    timestamp on the next page (default: keep them in the page,
                    as documented)"
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
            "--bare" => self.bare = true,
            "--repeat-boundary" => self.repeat_boundary = true,
            _ => return Ok(false),
        }
        Ok(true)
    }

    fn start(&self, options: ServerOptions) -> StartFuture<'_> {
        Box::pin(async move {
            let mut builder = SkyhighSim::builder()
                .incidents(self.incidents)
                .port(options.port_number())
                .https(options.is_https())
                .credentials(
                    self.user.as_deref().unwrap_or(DEFAULT_USER),
                    self.password.as_deref().unwrap_or(DEFAULT_PASSWORD),
                );
            if let Some(seed) = self.seed {
                builder = builder.seed(seed);
            }
            if self.bare {
                builder = builder.response_shape(ResponseShape::Bare);
            }
            if self.repeat_boundary {
                builder = builder.page_boundary(PageBoundary::RepeatBoundary);
            }
            let sim = builder.start().await?;
            let (user, password) = sim.credentials();
            let variables = vec![
                ("SKYHIGH_USERNAME".to_owned(), user.to_owned()),
                ("SKYHIGH_PASSWORD".to_owned(), password.to_owned()),
            ];
            Ok(Launched {
                sim: Box::new(sim),
                variables,
                summary: format!("Skyhigh simulator: {} incidents", self.incidents),
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
        let mut cmd = SkyhighCommand::default();
        let common = parse_options(
            &mut cmd,
            args(&[
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
                "--https",
            ]),
        )
        .unwrap()
        .unwrap();
        assert_eq!(
            cmd,
            SkyhighCommand {
                incidents: 5000,
                seed: Some(9),
                user: Some("u".into()),
                password: Some("p".into()),
                bare: true,
                repeat_boundary: true,
            }
        );
        assert!(common.https);
        assert!(matches!(parse(args(&["skyhigh"])), Ok(Command::Serve(_))));
        for bad in [
            &["skyhigh", "--incidents"][..],
            &["skyhigh", "--incidents", "x"],
            &["skyhigh", "--verbose"],
        ] {
            assert!(parse(args(bad)).is_err(), "{bad:?}");
        }
    }
}
