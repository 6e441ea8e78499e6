//! The environment variables, as the vendor crates read them, against what the repository says
//! of them: the root README's table, the proxy variables, the variables CI clears so that the
//! examples use the simulators, and the examples themselves, which read none by hand.

use incident_core::env::{PROXY_VARIABLES, VendorEnv};

const ROOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/..");

fn vendors() -> [VendorEnv; 5] {
    [
        qradar_client::ENVIRONMENT,
        cyberark_pta_client::ENVIRONMENT,
        sentinel_client::ENVIRONMENT,
        skyhigh_client::ENVIRONMENT,
        eset_connect_client::ENVIRONMENT,
    ]
}

fn read(path: &str) -> String {
    std::fs::read_to_string(format!("{ROOT}/{path}")).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The table the root README holds: every variable of every vendor, in the crates' order.
fn table() -> String {
    let mut out = String::from("| variable | vendor | what it holds |\n|---|---|---|\n");
    for vendor in vendors() {
        for v in vendor.variables() {
            out.push_str(&format!(
                "| `{}` | {} | {} |\n",
                v.name(),
                vendor.vendor(),
                v.description()
            ));
        }
    }
    out
}

#[test]
fn the_readme_table_is_the_crates_variables() {
    let readme = read("README.md");
    let table = table();
    assert!(
        readme.contains(&table),
        "the environment table in README.md differs from the variables the crates read; \
         replace it with:\n\n{table}"
    );
    for proxy in PROXY_VARIABLES {
        assert!(readme.contains(&format!("`{proxy}`")), "README.md: {proxy}");
    }
}

#[test]
fn ci_clears_every_variable_so_that_the_examples_use_the_simulators() {
    let ci = read(".ci/run");
    let start = ci.find("\nunset ").expect(".ci/run has an unset line");
    let end = ci[start..]
        .find(" RUST_LOG")
        .expect("unset ends with RUST_LOG")
        + start;
    let cleared: Vec<&str> = ci[start..end]
        .split_whitespace()
        .filter(|w| *w != "unset" && *w != "\\")
        .collect();
    for vendor in vendors() {
        for v in vendor.variables() {
            assert!(
                cleared.contains(&v.name()),
                ".ci/run does not clear {}",
                v.name()
            );
        }
    }
}

#[test]
fn no_example_reads_the_environment_by_hand() {
    let mut files = Vec::new();
    for dir in ["examples", "examples/support"] {
        for entry in std::fs::read_dir(format!("{ROOT}/{dir}")).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "rs") {
                files.push(path);
            }
        }
    }
    assert!(files.len() > 10, "{files:?}");
    for path in files {
        let text = std::fs::read_to_string(&path).unwrap();
        for call in ["env::var(", "env::var_os(", "env::vars("] {
            assert!(
                !text.contains(call),
                "{} reads the environment with {call}: use the vendor crate's from_env()",
                path.display()
            );
        }
    }
}

#[test]
fn every_vendor_is_configured_by_its_own_variables() {
    for vendor in vendors() {
        assert!(!vendor.configured_by().is_empty(), "{}", vendor.vendor());
        for name in vendor.configured_by() {
            assert!(
                vendor.variable(name).is_some(),
                "{}: {name} configures it but is not listed",
                vendor.vendor()
            );
        }
    }
}
