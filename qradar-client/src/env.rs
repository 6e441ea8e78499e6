//! Configuration from the environment: the variables of [`ENVIRONMENT`].

use incident_core::Result;
use incident_core::env::{Env, EnvError, EnvVar, VendorEnv};

use crate::client::{QRADAR, QRadarClient, QRadarClientBuilder, version_header};

/// Every variable [`QRadarClientBuilder::from_env`] reads; `QRADAR_URL` set means a console
/// is configured.
pub const ENVIRONMENT: VendorEnv = VendorEnv::new(
    QRADAR,
    &[
        EnvVar::new(
            "QRADAR_URL",
            "the console, e.g. `https://qradar.example.com` (`/api` is added)",
        ),
        EnvVar::secret(
            "QRADAR_TOKEN",
            "an authorized-service token, sent as the `SEC` header",
        ),
        EnvVar::new(
            "QRADAR_USERNAME",
            "a user name for HTTP Basic, instead of `QRADAR_TOKEN`",
        ),
        EnvVar::secret("QRADAR_PASSWORD", "the password of `QRADAR_USERNAME`"),
        EnvVar::new(
            "QRADAR_API_VERSION",
            "the `Version` header, e.g. `26.0` (the default)",
        ),
        EnvVar::new(
            "QRADAR_CA_CERT",
            "path of a PEM file to trust (a self-signed console)",
        ),
    ],
    &["QRADAR_URL"],
);

incident_core::env_constructors!(QRadarClient, QRadarClientBuilder, ENVIRONMENT);

impl QRadarClientBuilder {
    /// A builder from the variables of [`ENVIRONMENT`] as `env` holds them: the process
    /// environment for [`from_env`](Self::from_env), or fixed values
    /// ([`Env::from_pairs`]).
    ///
    /// # Errors
    ///
    /// [`Error::Env`](incident_core::Error::Env), naming the variable, when one is missing
    /// or cannot be used.
    pub fn from_env_with(env: &Env) -> Result<QRadarClientBuilder> {
        let url = env
            .url("QRADAR_URL")?
            .ok_or_else(|| EnvError::missing("QRADAR_URL"))?;
        let mut builder = QRadarClient::builder(url);
        builder = match env.one_of("QRADAR_TOKEN", "QRADAR_USERNAME")? {
            Some("QRADAR_TOKEN") => builder.sec_token(env.required_secret("QRADAR_TOKEN")?),
            Some(_) => builder.basic_auth(
                env.required("QRADAR_USERNAME")?,
                env.required_secret("QRADAR_PASSWORD")
                    .map_err(|e| e.with_hint("QRADAR_USERNAME is set"))?,
            ),
            None => {
                let e = EnvError::missing("QRADAR_TOKEN")
                    .with_hint("or QRADAR_USERNAME and QRADAR_PASSWORD");
                return Err(e.into());
            }
        };
        let version = env.parse_with("QRADAR_API_VERSION", |v| {
            version_header(v).map(|_| v.to_owned())
        })?;
        if let Some(version) = version {
            builder = builder.api_version(version);
        }
        if let Some(pem) = env.pem_file("QRADAR_CA_CERT")? {
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

    fn variable(e: Error) -> &'static str {
        match e {
            Error::Env(e) => e.variable(),
            other => panic!("not an environment error: {other:?}"),
        }
    }

    #[test]
    fn token_or_user_and_password() {
        let c = QRadarClientBuilder::from_env_with(&env(&[
            ("QRADAR_URL", "https://q.example.com"),
            ("QRADAR_TOKEN", "sec-123"),
            ("QRADAR_API_VERSION", "20.0"),
        ]))
        .unwrap()
        .build()
        .unwrap();
        assert_eq!(c.api_version(), "20.0");
        assert_eq!(
            c.transport().base_url().as_str(),
            "https://q.example.com/api"
        );
        assert!(
            QRadarClientBuilder::from_env_with(&env(&[
                ("QRADAR_URL", "https://q.example.com"),
                ("QRADAR_USERNAME", "admin"),
                ("QRADAR_PASSWORD", "pw"),
            ]))
            .unwrap()
            .build()
            .is_ok()
        );
    }

    #[test]
    fn each_mistake_names_its_variable() {
        let url = ("QRADAR_URL", "https://q.example.com");
        let cases: &[(&[(&str, &str)], &str)] = &[
            (&[], "QRADAR_URL"),
            (
                &[("QRADAR_URL", "q.example.com"), ("QRADAR_TOKEN", "t")],
                "QRADAR_URL",
            ),
            (&[url], "QRADAR_TOKEN"),
            (&[url, ("QRADAR_USERNAME", "admin")], "QRADAR_PASSWORD"),
            (
                &[url, ("QRADAR_TOKEN", "t"), ("QRADAR_USERNAME", "a")],
                "QRADAR_TOKEN",
            ),
            (
                &[url, ("QRADAR_TOKEN", "t"), ("QRADAR_API_VERSION", "latest")],
                "QRADAR_API_VERSION",
            ),
            (
                &[
                    url,
                    ("QRADAR_TOKEN", "t"),
                    ("QRADAR_CA_CERT", "/nonexistent/ca.pem"),
                ],
                "QRADAR_CA_CERT",
            ),
        ];
        for (pairs, expected) in cases {
            let e = QRadarClientBuilder::from_env_with(&env(pairs)).unwrap_err();
            let text = e.to_string();
            assert!(text.contains(expected), "{text}");
            assert_eq!(variable(e), *expected, "{pairs:?}");
        }
    }

    #[test]
    fn secrets_are_never_echoed() {
        let e = QRadarClientBuilder::from_env_with(&env(&[
            ("QRADAR_URL", "https://admin:hunter2@q.example.com"),
            ("QRADAR_TOKEN", "sec-0123456789"),
        ]))
        .unwrap_err();
        let text = format!("{e} {e:?}");
        assert!(
            !text.contains("hunter2") && !text.contains("sec-0123456789"),
            "{text}"
        );
        let b = QRadarClientBuilder::from_env_with(&env(&[
            ("QRADAR_URL", "https://q.example.com"),
            ("QRADAR_TOKEN", "sec-0123456789"),
        ]))
        .unwrap();
        assert!(!format!("{b:?}").contains("sec-0123456789"));
    }

    #[test]
    fn the_readme_lists_every_variable() {
        let table = ENVIRONMENT.markdown_table();
        assert!(
            include_str!("../README.md").contains(&table),
            "README.md's environment section should hold:\n\n{table}"
        );
    }

    #[test]
    fn configured_by_the_url() {
        assert!(ENVIRONMENT.is_configured(&env(&[("QRADAR_URL", "https://q")])));
        assert!(!ENVIRONMENT.is_configured(&env(&[("QRADAR_TOKEN", "t")])));
    }
}
