//! Configuration from the environment: `PTA_URL`, `PTA_USERNAME`, `PTA_PASSWORD`,
//! `PTA_AUTH_TYPE`, `PTA_APP_PATH`, `PTA_CA_CERT` (see [`ENVIRONMENT`]).

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

impl PtaClient {
    /// A client for the PVWA the environment names: [`PtaClientBuilder::from_env`], then
    /// `build()`. No request is sent: the logon happens at the first call.
    pub fn from_env() -> Result<PtaClient> {
        PtaClientBuilder::from_env()?.build()
    }

    /// Whether the environment names a PVWA (`PTA_URL` is set), so that a program can fall
    /// back to something else, such as a simulator, when it does not.
    pub fn configured() -> bool {
        ENVIRONMENT.is_configured(&Env::process())
    }
}

impl PtaClientBuilder {
    /// A builder configured from the process environment, to change before `build()`:
    ///
    /// | variable | |
    /// |---|---|
    /// | `PTA_URL` | required: the PVWA base |
    /// | `PTA_USERNAME`, `PTA_PASSWORD` | required: who logs on |
    /// | `PTA_AUTH_TYPE` | optional: `CyberArk` (default), `LDAP`, `RADIUS`, `Windows` |
    /// | `PTA_APP_PATH` | optional: the application (default [`DEFAULT_APP_PATH`](crate::DEFAULT_APP_PATH)) |
    /// | `PTA_CA_CERT` | optional: path of a PEM file to trust |
    ///
    /// Fails with [`Error::Env`](incident_core::Error::Env), naming the variable, when one
    /// is missing or cannot be used.
    ///
    /// ```no_run
    /// # fn run() -> incident_core::Result<()> {
    /// use cyberark_pta_client::PtaClientBuilder;
    ///
    /// let client = PtaClientBuilder::from_env()?.concurrent_session(true).build()?;
    /// # Ok(()) }
    /// ```
    pub fn from_env() -> Result<PtaClientBuilder> {
        PtaClientBuilder::from_env_with(&Env::process())
    }

    /// Like [`from_env`](Self::from_env), reading `env` instead of the process environment.
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
