//! Configuration from the environment: the variables of [`ENVIRONMENT`].

use incident_core::Result;
use incident_core::env::{Env, EnvError, EnvVar, VendorEnv};

use crate::client::{SENTINEL, SentinelClient, SentinelClientBuilder};

/// Every variable [`SentinelClientBuilder::from_env`] reads; `SENTINEL_URL` set means a
/// server is configured.
pub const ENVIRONMENT: VendorEnv = VendorEnv::new(
    SENTINEL,
    &[
        EnvVar::new(
            "SENTINEL_URL",
            "the server, e.g. `https://sentinel.example.com:8443`",
        ),
        EnvVar::new("SENTINEL_USERNAME", "the user the token is requested for"),
        EnvVar::secret("SENTINEL_PASSWORD", "the password of `SENTINEL_USERNAME`"),
        EnvVar::new(
            "SENTINEL_CA_CERT",
            "path of a PEM file to trust (a self-signed server)",
        ),
    ],
    &["SENTINEL_URL"],
);

incident_core::env_constructors!(SentinelClient, SentinelClientBuilder, ENVIRONMENT);

impl SentinelClientBuilder {
    /// A builder from the variables of [`ENVIRONMENT`] as `env` holds them: the process
    /// environment for [`from_env`](Self::from_env), or fixed values
    /// ([`Env::from_pairs`]).
    ///
    /// # Errors
    ///
    /// [`Error::Env`](incident_core::Error::Env), naming the variable, when one is missing
    /// or cannot be used.
    pub fn from_env_with(env: &Env) -> Result<SentinelClientBuilder> {
        let url = env
            .url("SENTINEL_URL")?
            .ok_or_else(|| EnvError::missing("SENTINEL_URL"))?;
        let username = env.required("SENTINEL_USERNAME")?;
        let password = env.required_secret("SENTINEL_PASSWORD")?;
        let mut builder = SentinelClient::builder(url).credentials(username, password);
        if let Some(pem) = env.pem_file("SENTINEL_CA_CERT")? {
            builder = builder.add_root_certificate_pem(&pem);
        }
        Ok(builder)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use incident_core::Error;

    fn env(pairs: &[(&str, &str)]) -> Env {
        Env::from_pairs(pairs.iter().copied())
    }

    #[test]
    fn a_complete_environment() {
        assert!(
            SentinelClientBuilder::from_env_with(&env(&[
                ("SENTINEL_URL", "https://sentinel.example.com:8443"),
                ("SENTINEL_USERNAME", "admin"),
                ("SENTINEL_PASSWORD", "pw"),
            ]))
            .unwrap()
            .build()
            .is_ok()
        );
    }

    #[test]
    fn each_mistake_names_its_variable() {
        let url = ("SENTINEL_URL", "https://sentinel.example.com:8443");
        let user = ("SENTINEL_USERNAME", "admin");
        let pw = ("SENTINEL_PASSWORD", "s3cret-pw");
        let cases: &[(&[(&str, &str)], &str)] = &[
            (&[user, pw], "SENTINEL_URL"),
            (
                &[("SENTINEL_URL", "sentinel:8443"), user, pw],
                "SENTINEL_URL",
            ),
            (&[url, pw], "SENTINEL_USERNAME"),
            (&[url, user], "SENTINEL_PASSWORD"),
            (
                &[url, user, pw, ("SENTINEL_CA_CERT", "/nonexistent/ca.pem")],
                "SENTINEL_CA_CERT",
            ),
        ];
        for (pairs, expected) in cases {
            match SentinelClientBuilder::from_env_with(&env(pairs)).unwrap_err() {
                Error::Env(e) => {
                    assert_eq!(e.variable(), *expected, "{e}");
                    assert!(!format!("{e} {e:?}").contains("s3cret-pw"));
                }
                other => panic!("{other:?}"),
            }
        }
    }

    #[test]
    fn the_readme_lists_every_variable() {
        let table = ENVIRONMENT.markdown_table();
        assert!(
            include_str!("../README.md").contains(&table),
            "README.md's environment section should hold:\n\n{table}"
        );
    }
}
