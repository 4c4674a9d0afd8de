//! Which SDK configuration a process gets: built from what Lambda sets, or
//! the SDK's defaults when something asks for more.

use std::collections::HashMap;

use consent_aws::sdk::{
    AMAZON_ROOTS, Anchors, EXTRA_CA_FILE, LambdaEnvironment, TrustAnchors, http_client,
    trust_anchors_in,
};

fn client() -> aws_smithy_runtime_api::client::http::SharedHttpClient {
    let trust = TrustAnchors {
        anchors: Anchors::AmazonRoots,
        extra: None,
    };
    http_client(trust.trust_store().unwrap()).unwrap()
}

fn lambda(extra: &[(&str, &str)]) -> HashMap<String, String> {
    [
        ("AWS_LAMBDA_FUNCTION_NAME", "consent-access-check"),
        ("AWS_REGION", "eu-west-1"),
        ("AWS_DEFAULT_REGION", "eu-west-1"),
        ("AWS_ACCESS_KEY_ID", "ASIAEXAMPLE"),
        ("AWS_SECRET_ACCESS_KEY", "secret"),
        ("AWS_SESSION_TOKEN", "token"),
        ("AWS_EXECUTION_ENV", "AWS_Lambda_provided.al2023"),
        ("SSL_CERT_FILE", "/etc/pki/tls/certs/ca-bundle.crt"),
    ]
    .iter()
    .chain(extra)
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect()
}

fn read(vars: &HashMap<String, String>) -> Option<LambdaEnvironment> {
    LambdaEnvironment::read(|name| vars.get(name).cloned())
}

#[test]
fn inside_lambda_the_configuration_comes_from_lambdas_variables() {
    let env = read(&lambda(&[])).expect("a Lambda environment");
    assert_eq!(env.region, "eu-west-1");
    assert_eq!(env.access_key_id, "ASIAEXAMPLE");
    assert_eq!(env.secret_access_key, "secret");
    assert_eq!(env.session_token.as_deref(), Some("token"));
    assert!(env.endpoint_urls.is_empty());
    let config = env.sdk_config(client());
    assert_eq!(config.region().map(|r| r.as_ref()), Some("eu-west-1"));
    assert!(config.credentials_provider().is_some());
    assert!(config.http_client().is_some());
    assert_eq!(config.endpoint_url(), None);
}

#[test]
fn outside_lambda_or_without_credentials_the_defaults_are_used() {
    let mut vars = lambda(&[]);
    vars.remove("AWS_LAMBDA_FUNCTION_NAME");
    assert_eq!(read(&vars), None, "not in Lambda");
    for missing in ["AWS_REGION", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"] {
        let mut vars = lambda(&[]);
        vars.remove(missing);
        assert_eq!(read(&vars), None, "without {missing}");
        vars.insert(missing.to_owned(), "  ".to_owned());
        assert_eq!(read(&vars), None, "with {missing} blank");
    }
    let mut vars = lambda(&[]);
    vars.remove("AWS_SESSION_TOKEN");
    assert_eq!(read(&vars).unwrap().session_token, None, "long-term keys");
}

#[test]
fn a_variable_the_default_chains_honour_selects_the_defaults() {
    for name in [
        "AWS_PROFILE",
        "AWS_USE_FIPS_ENDPOINT",
        "AWS_ROLE_ARN",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        "AWS_MAX_ATTEMPTS",
    ] {
        assert_eq!(read(&lambda(&[(name, "x")])), None, "{name} is set");
    }
}

#[test]
fn endpoint_overrides_are_kept_per_service() {
    let env = read(&lambda(&[
        ("AWS_ENDPOINT_URL", "http://127.0.0.1:1"),
        ("AWS_ENDPOINT_URL_SESV2", "https://127.0.0.1:2"),
        ("AWS_ENDPOINT_URL_SECRETS_MANAGER", "https://127.0.0.1:3"),
    ]))
    .unwrap();
    assert_eq!(
        env.endpoint_urls.keys().collect::<Vec<_>>(),
        [
            "AWS_ENDPOINT_URL",
            "AWS_ENDPOINT_URL_SECRETS_MANAGER",
            "AWS_ENDPOINT_URL_SESV2"
        ]
    );
    let config = env.sdk_config(client());
    assert_eq!(config.endpoint_url(), Some("http://127.0.0.1:1"));
}

#[test]
fn each_service_is_opened_ahead_where_its_calls_go() {
    use consent_aws::sdk::{DYNAMODB, EVENTBRIDGE, KMS, SECRETS_MANAGER, SESV2};
    let env = read(&lambda(&[])).unwrap();
    let urls: Vec<String> = [DYNAMODB, SESV2, SECRETS_MANAGER, EVENTBRIDGE, KMS]
        .iter()
        .map(|s| env.endpoint_of(s))
        .collect();
    assert_eq!(
        urls,
        [
            "https://dynamodb.eu-west-1.amazonaws.com/",
            "https://email.eu-west-1.amazonaws.com/",
            "https://secretsmanager.eu-west-1.amazonaws.com/",
            "https://events.eu-west-1.amazonaws.com/",
            "https://kms.eu-west-1.amazonaws.com/",
        ]
    );
    let china = read(&lambda(&[("AWS_REGION", "cn-north-1")])).unwrap();
    assert_eq!(
        china.endpoint_of(&DYNAMODB),
        "https://dynamodb.cn-north-1.amazonaws.com.cn/"
    );
    // A service's own override, then the common one.
    let overridden = read(&lambda(&[
        ("AWS_ENDPOINT_URL", "http://127.0.0.1:1"),
        ("AWS_ENDPOINT_URL_KMS", "https://127.0.0.1:5"),
    ]))
    .unwrap();
    assert_eq!(overridden.endpoint_of(&KMS), "https://127.0.0.1:5");
    assert_eq!(overridden.endpoint_of(&DYNAMODB), "http://127.0.0.1:1");
}

#[test]
fn inside_lambda_only_the_amazon_roots_are_trusted_unless_a_store_is_named() {
    let trust = |vars: &HashMap<String, String>| TrustAnchors::read(|name| vars.get(name).cloned());
    let mut vars = lambda(&[]);
    assert_eq!(
        trust(&vars).anchors,
        Anchors::System,
        "SSL_CERT_FILE is set"
    );
    vars.remove("SSL_CERT_FILE");
    assert_eq!(trust(&vars).anchors, Anchors::AmazonRoots);
    assert_eq!(trust(&vars).extra, None);
    vars.insert("SSL_CERT_DIR".into(), "/etc/ssl/certs".into());
    assert_eq!(trust(&vars).anchors, Anchors::System, "SSL_CERT_DIR is set");
    vars.remove("AWS_LAMBDA_FUNCTION_NAME");
    vars.remove("SSL_CERT_DIR");
    assert_eq!(trust(&vars).anchors, Anchors::System, "outside Lambda");
    vars.insert(EXTRA_CA_FILE.into(), "/opt/proxy-ca.pem".into());
    assert_eq!(
        trust(&vars).extra.as_deref(),
        Some(std::path::Path::new("/opt/proxy-ca.pem"))
    );
}

#[test]
fn the_compiled_in_roots_are_the_five_amazon_trust_services_roots() {
    assert_eq!(trust_anchors_in(AMAZON_ROOTS.as_bytes()), Ok(5));
    for name in [
        "Amazon Root CA 1",
        "Amazon Root CA 4",
        "Starfield Services Root Certificate Authority - G2",
    ] {
        assert!(AMAZON_ROOTS.contains(name), "{name}");
    }
}

#[test]
fn an_extra_ca_file_that_is_missing_or_not_certificates_is_a_configuration_error() {
    let dir = std::env::temp_dir().join(format!("extra-ca-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let cases = [
        ("missing.pem", None, "No such file"),
        ("empty.pem", Some(""), "holds no PEM certificate"),
        (
            "text.pem",
            Some("not a certificate"),
            "holds no PEM certificate",
        ),
        (
            "broken.pem",
            Some("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"),
            "certificate 1 is not a usable CA certificate",
        ),
    ];
    for (file, content, expected) in cases {
        let path = dir.join(file);
        if let Some(content) = content {
            std::fs::write(&path, content).unwrap();
        }
        let trust = TrustAnchors {
            anchors: Anchors::AmazonRoots,
            extra: Some(path.clone()),
        };
        let error = trust
            .trust_store()
            .err()
            .unwrap_or_else(|| panic!("{file} was accepted"));
        assert_eq!(error.setting, EXTRA_CA_FILE);
        assert!(
            error.problem.contains(expected),
            "{file}: {}",
            error.problem
        );
        assert!(
            error.problem.contains(&path.display().to_string()),
            "{}",
            error.problem
        );
    }
    let good = dir.join("good.pem");
    std::fs::write(&good, AMAZON_ROOTS).unwrap();
    let trust = TrustAnchors {
        anchors: Anchors::System,
        extra: Some(good),
    };
    assert!(trust.trust_store().is_ok());
    std::fs::remove_dir_all(&dir).unwrap();
}
