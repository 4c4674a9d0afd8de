//! `consent-local ses-check` against SES on moto (`tests/run.sh` starts it
//! and exports its address): each problem of the set-up named with its fix.

use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_consent-local");

fn moto_ses() -> String {
    std::env::var("CONSENT_MOTO_SES_ENDPOINT").unwrap_or_else(|_| {
        panic!("CONSENT_MOTO_SES_ENDPOINT is not set: run tests/run.sh, which installs and starts moto, or start `moto_server` and export its URL")
    })
}

fn ses_check(args: &[&str]) -> (bool, String) {
    let out: Output = Command::new(BIN)
        .arg("ses-check")
        .args(args)
        .env("AWS_ENDPOINT_URL", moto_ses())
        .env("AWS_REGION", "eu-west-1")
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env_remove("CONSENT_SENDER")
        .env_remove("CONSENT_SES_CONFIGURATION_SET")
        .output()
        .unwrap();
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

async fn ses() -> aws_sdk_sesv2::Client {
    let config = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .endpoint_url(moto_ses())
        .region(aws_config::Region::new("eu-west-1"))
        .credentials_provider(aws_sdk_sesv2::config::Credentials::for_tests())
        .load()
        .await;
    aws_sdk_sesv2::Client::new(&config)
}

#[test]
fn a_missing_identity_and_a_missing_configuration_set_are_named_with_their_fix() {
    let domain = format!("missing-{}.test", std::process::id());
    let sender = format!("Data Consent <consent@{domain}>");
    let (ok, out) = ses_check(&["--sender", &sender, "--configuration-set", "no-such-set"]);
    assert!(!ok, "a problem fails the check:\n{out}");
    assert!(
        out.contains(&format!(
            "PROBLEM sender identity: neither {domain} nor consent@{domain} is an SES identity in this region"
        )) && out.contains(&format!("create and verify the identity {domain} in SES")),
        "{out}"
    );
    assert!(
        out.contains("PROBLEM configuration set: no-such-set does not exist in this region")
            && out.contains("SesConfigurationSet empty (it creates one)"),
        "{out}"
    );
    assert!(out.contains("2 problem(s)"), "{out}");

    let (ok, out) = ses_check(&["--sender", &sender]);
    assert!(!ok);
    assert!(
        out.contains("PROBLEM configuration set: none is named"),
        "{out}"
    );
}

#[tokio::test]
async fn an_identity_that_is_not_verified_is_a_problem_and_a_set_that_exists_is_none() {
    let domain = format!("pending-{}.test", std::process::id());
    let client = ses().await;
    client
        .create_email_identity()
        .email_identity(&domain)
        .send()
        .await
        .unwrap();
    let set = format!("consent-{}", std::process::id());
    client
        .create_configuration_set()
        .configuration_set_name(&set)
        .send()
        .await
        .unwrap();
    let sender = format!("consent@{domain}");
    let (ok, out) = ses_check(&["--sender", &sender, "--configuration-set", &set]);
    assert!(!ok, "{out}");
    assert!(
        out.contains(&format!(
            "PROBLEM sender identity: {domain} exists in SES but is not verified yet"
        )),
        "{out}"
    );
    assert!(!out.contains("does not exist"), "the set exists:\n{out}");
    assert!(out.contains("1 problem(s)"), "{out}");
}
