//! Configuration from the environment: the variables of [`ENVIRONMENT`].

use incident_core::Result;
use incident_core::env::{Env, EnvError, EnvVar, VendorEnv};

use crate::client::{Region, SKYHIGH, SkyhighClient, SkyhighClientBuilder};

/// Every variable [`SkyhighClientBuilder::from_env`] reads; `SKYHIGH_URL` or
/// `SKYHIGH_REGION` set means a tenant is configured.
pub const ENVIRONMENT: VendorEnv = VendorEnv::new(
    SKYHIGH,
    &[
        EnvVar::new(
            "SKYHIGH_URL",
            "the tenant's host, e.g. `https://www.myshn.eu`, instead of `SKYHIGH_REGION`",
        ),
        EnvVar::new(
            "SKYHIGH_REGION",
            "the region of the tenant: `us`, `eu` or `ca`, instead of `SKYHIGH_URL`",
        ),
        EnvVar::new("SKYHIGH_USERNAME", "the API user (HTTP Basic)"),
        EnvVar::secret("SKYHIGH_PASSWORD", "the password of `SKYHIGH_USERNAME`"),
        EnvVar::new(
            "SKYHIGH_CA_CERT",
            "path of a PEM file to trust (a TLS-inspecting proxy, a test server)",
        ),
    ],
    &["SKYHIGH_URL", "SKYHIGH_REGION"],
);

incident_core::env_constructors!(SkyhighClient, SkyhighClientBuilder, ENVIRONMENT);

impl SkyhighClientBuilder {
    /// A builder from the variables of [`ENVIRONMENT`] as `env` holds them: the process
    /// environment for [`from_env`](Self::from_env), or fixed values
    /// ([`Env::from_pairs`]).
    ///
    /// # Errors
    ///
    /// [`Error::Env`](incident_core::Error::Env), naming the variable, when one is missing
    /// or cannot be used.
    pub fn from_env_with(env: &Env) -> Result<SkyhighClientBuilder> {
        let builder = match env.one_of("SKYHIGH_URL", "SKYHIGH_REGION")? {
            Some("SKYHIGH_URL") => {
                SkyhighClient::builder(env.url("SKYHIGH_URL")?.unwrap_or_default())
            }
            Some(_) => match env.parse::<Region>("SKYHIGH_REGION")? {
                Some(region) => SkyhighClient::for_region(region),
                None => return Err(EnvError::missing("SKYHIGH_REGION").into()),
            },
            None => {
                let e = EnvError::missing("SKYHIGH_URL").with_hint("or SKYHIGH_REGION");
                return Err(e.into());
            }
        };
        let username = env.required("SKYHIGH_USERNAME")?;
        let password = env.required_secret("SKYHIGH_PASSWORD")?;
        let mut builder = builder.basic_auth(username, password);
        if let Some(pem) = env.pem_file("SKYHIGH_CA_CERT")? {
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
    fn a_url_or_a_region() {
        let user = ("SKYHIGH_USERNAME", "api@example.com");
        let pw = ("SKYHIGH_PASSWORD", "pw");
        let c = SkyhighClientBuilder::from_env_with(&env(&[("SKYHIGH_REGION", "EU"), user, pw]))
            .unwrap()
            .build()
            .unwrap();
        assert!(
            c.transport()
                .base_url()
                .as_str()
                .starts_with("https://www.myshn.eu/")
        );
        let c = SkyhighClientBuilder::from_env_with(&env(&[
            ("SKYHIGH_URL", "https://tenant.example.com"),
            user,
            pw,
        ]))
        .unwrap()
        .build()
        .unwrap();
        assert!(
            c.transport()
                .base_url()
                .as_str()
                .starts_with("https://tenant.example.com/")
        );
    }

    #[test]
    fn each_mistake_names_its_variable() {
        let url = ("SKYHIGH_URL", "https://tenant.example.com");
        let user = ("SKYHIGH_USERNAME", "api@example.com");
        let pw = ("SKYHIGH_PASSWORD", "pw");
        let cases: &[(&[(&str, &str)], &str)] = &[
            (&[user, pw], "SKYHIGH_URL"),
            (&[url, ("SKYHIGH_REGION", "eu"), user, pw], "SKYHIGH_URL"),
            (&[("SKYHIGH_REGION", "mars"), user, pw], "SKYHIGH_REGION"),
            (&[("SKYHIGH_URL", "tenant"), user, pw], "SKYHIGH_URL"),
            (&[url, pw], "SKYHIGH_USERNAME"),
            (&[url, user], "SKYHIGH_PASSWORD"),
            (
                &[url, user, pw, ("SKYHIGH_CA_CERT", "/nonexistent/ca.pem")],
                "SKYHIGH_CA_CERT",
            ),
        ];
        for (pairs, expected) in cases {
            match SkyhighClientBuilder::from_env_with(&env(pairs)).unwrap_err() {
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
