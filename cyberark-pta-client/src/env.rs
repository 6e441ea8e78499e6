//! Configuration from the environment: the variables of [`ENVIRONMENT`].

use incident_core::Result;
use incident_core::env::{Env, EnvError, EnvVar, VendorEnv};

use crate::client::{CYBERARK_PTA, PtaClient, PtaClientBuilder, app_name};
use crate::session::AuthType;

/// Every variable [`PtaClientBuilder::from_env`] reads; `PTA_URL` set means a PVWA is
/// configured.
pub const ENVIRONMENT: VendorEnv = VendorEnv::new(
    CYBERARK_PTA,
    &[
        EnvVar::new(
            "PTA_URL",
            "the PVWA base, e.g. `https://pvwa.example.com` (`/PasswordVault` is added unless `PTA_APP_PATH` names another)",
        ),
        EnvVar::new("PTA_USERNAME", "the user who logs on"),
        EnvVar::secret("PTA_PASSWORD", "the password of `PTA_USERNAME`"),
        EnvVar::new(
            "PTA_AUTH_TYPE",
            "`CyberArk` (the default), `LDAP`, `RADIUS` or `Windows`",
        ),
        EnvVar::new(
            "PTA_APP_PATH",
            "the PVWA application, e.g. `PasswordVault` (the default)",
        ),
        EnvVar::new(
            "PTA_CA_CERT",
            "path of a PEM file to trust (a self-signed PVWA)",
        ),
    ],
    &["PTA_URL"],
);

incident_core::env_constructors!(PtaClient, PtaClientBuilder, ENVIRONMENT);

impl PtaClientBuilder {
    /// A builder from the variables of [`ENVIRONMENT`] as `env` holds them: the process
    /// environment for [`from_env`](Self::from_env), or fixed values
    /// ([`Env::from_pairs`]).
    ///
    /// # Errors
    ///
    /// [`Error::Env`](incident_core::Error::Env), naming the variable, when one is missing
    /// or cannot be used.
    pub fn from_env_with(env: &Env) -> Result<PtaClientBuilder> {
        let url = env
            .url("PTA_URL")?
            .ok_or_else(|| EnvError::missing("PTA_URL"))?;
        let username = env.required("PTA_USERNAME")?;
        let password = env.required_secret("PTA_PASSWORD")?;
        let mut builder = PtaClient::builder(url).credentials(username, password);
        if let Some(kind) = env.parse::<AuthType>("PTA_AUTH_TYPE")? {
            builder = builder.auth_type(kind);
        }
        if let Some(app) = env.parse_with("PTA_APP_PATH", app_name)? {
            builder = builder.app_path(app);
        }
        if let Some(pem) = env.pem_file("PTA_CA_CERT")? {
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
        let c = PtaClientBuilder::from_env_with(&env(&[
            ("PTA_URL", "https://pvwa.example.com"),
            ("PTA_USERNAME", "soc-bot"),
            ("PTA_PASSWORD", "pw"),
            ("PTA_AUTH_TYPE", "ldap"),
            ("PTA_APP_PATH", "/pam/PasswordVault/"),
        ]))
        .unwrap()
        .build()
        .unwrap();
        assert_eq!(c.app_path(), "pam/PasswordVault");
    }

    #[test]
    fn each_mistake_names_its_variable() {
        let url = ("PTA_URL", "https://pvwa.example.com");
        let user = ("PTA_USERNAME", "soc-bot");
        let pw = ("PTA_PASSWORD", "pw");
        let cases: &[(&[(&str, &str)], &str)] = &[
            (&[user, pw], "PTA_URL"),
            (&[url, pw], "PTA_USERNAME"),
            (&[url, user], "PTA_PASSWORD"),
            (&[url, user, pw, ("PTA_AUTH_TYPE", "SAML")], "PTA_AUTH_TYPE"),
            (&[url, user, pw, ("PTA_APP_PATH", "../x")], "PTA_APP_PATH"),
            (
                &[url, user, pw, ("PTA_CA_CERT", "/nonexistent/ca.pem")],
                "PTA_CA_CERT",
            ),
        ];
        for (pairs, expected) in cases {
            match PtaClientBuilder::from_env_with(&env(pairs)).unwrap_err() {
                Error::Env(e) => assert_eq!(e.variable(), *expected, "{e}"),
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
