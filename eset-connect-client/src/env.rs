//! Configuration from the environment: the variables of [`ENVIRONMENT`].

use incident_core::Result;
use incident_core::env::{Env, EnvError, EnvVar, VendorEnv};

use crate::client::{ESET_CONNECT, EsetClient, EsetClientBuilder};
use crate::model::Region;

/// Every variable [`EsetClientBuilder::from_env`] reads; `ESET_REGION` or `ESET_URL` set
/// means a tenant is configured.
pub const ENVIRONMENT: VendorEnv = VendorEnv::new(
    ESET_CONNECT,
    &[
        EnvVar::new(
            "ESET_REGION",
            "the data centre of the tenant: `eu`, `de`, `us`, `ca` or `jpn`, instead of `ESET_URL`",
        ),
        EnvVar::new(
            "ESET_URL",
            "the incident management host (a proxy, a test server), with `ESET_IAM_URL`, instead of `ESET_REGION`",
        ),
        EnvVar::new(
            "ESET_IAM_URL",
            "the OAuth (IAM) host that goes with `ESET_URL`",
        ),
        EnvVar::new("ESET_USERNAME", "the API user (an e-mail address)"),
        EnvVar::secret("ESET_PASSWORD", "the password of `ESET_USERNAME`"),
        EnvVar::new(
            "ESET_CA_CERT",
            "path of a PEM file to trust (a TLS-inspecting proxy, a test server)",
        ),
    ],
    &["ESET_REGION", "ESET_URL"],
);

incident_core::env_constructors!(EsetClient, EsetClientBuilder, ENVIRONMENT);

impl EsetClientBuilder {
    /// A builder from the variables of [`ENVIRONMENT`] as `env` holds them: the process
    /// environment for [`from_env`](Self::from_env), or fixed values
    /// ([`Env::from_pairs`]).
    ///
    /// # Errors
    ///
    /// [`Error::Env`](incident_core::Error::Env), naming the variable, when one is missing
    /// or cannot be used.
    pub fn from_env_with(env: &Env) -> Result<EsetClientBuilder> {
        let builder = match env.one_of("ESET_REGION", "ESET_URL")? {
            Some("ESET_REGION") => {
                env.one_of("ESET_REGION", "ESET_IAM_URL")?;
                match env.parse::<Region>("ESET_REGION")? {
                    Some(region) => EsetClient::builder(region),
                    None => return Err(EnvError::missing("ESET_REGION").into()),
                }
            }
            Some(_) => {
                let url = env.url("ESET_URL")?.unwrap_or_default();
                let iam = env.url("ESET_IAM_URL")?.ok_or_else(|| {
                    EnvError::missing("ESET_IAM_URL").with_hint("ESET_URL is set")
                })?;
                EsetClient::builder_with_urls(url, iam)
            }
            None => {
                let e = EnvError::missing("ESET_REGION").with_hint("or ESET_URL and ESET_IAM_URL");
                return Err(e.into());
            }
        };
        let username = env.required("ESET_USERNAME")?;
        let password = env.required_secret("ESET_PASSWORD")?;
        let mut builder = builder.credentials(username, password);
        if let Some(pem) = env.pem_file("ESET_CA_CERT")? {
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
    fn a_region_or_two_urls() {
        let user = ("ESET_USERNAME", "api@example.com");
        let pw = ("ESET_PASSWORD", "pw");
        let c = EsetClientBuilder::from_env_with(&env(&[("ESET_REGION", "de"), user, pw]))
            .unwrap()
            .build()
            .unwrap();
        assert_eq!(c.iam_url(), "https://de.business-account.iam.eset.systems");
        let c = EsetClientBuilder::from_env_with(&env(&[
            ("ESET_URL", "https://im.example.com"),
            ("ESET_IAM_URL", "https://iam.example.com"),
            user,
            pw,
        ]))
        .unwrap()
        .build()
        .unwrap();
        assert_eq!(c.iam_url(), "https://iam.example.com");
    }

    #[test]
    fn each_mistake_names_its_variable() {
        let region = ("ESET_REGION", "eu");
        let user = ("ESET_USERNAME", "api@example.com");
        let pw = ("ESET_PASSWORD", "pw");
        let url = ("ESET_URL", "https://im.example.com");
        let iam = ("ESET_IAM_URL", "https://iam.example.com");
        let cases: &[(&[(&str, &str)], &str)] = &[
            (&[user, pw], "ESET_REGION"),
            (&[region, url, iam, user, pw], "ESET_REGION"),
            (&[region, iam, user, pw], "ESET_REGION"),
            (&[("ESET_REGION", "mars"), user, pw], "ESET_REGION"),
            (&[url, user, pw], "ESET_IAM_URL"),
            (&[url, ("ESET_IAM_URL", "iam"), user, pw], "ESET_IAM_URL"),
            (&[region, pw], "ESET_USERNAME"),
            (&[region, user], "ESET_PASSWORD"),
            (
                &[region, user, pw, ("ESET_CA_CERT", "/nonexistent/ca.pem")],
                "ESET_CA_CERT",
            ),
        ];
        for (pairs, expected) in cases {
            match EsetClientBuilder::from_env_with(&env(pairs)).unwrap_err() {
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
