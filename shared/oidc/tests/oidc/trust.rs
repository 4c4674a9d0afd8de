//! What the identity provider's client trusts, by where it runs.

use std::collections::HashMap;

use consent_oidc::http::{EXTRA_CA_FILE, ProviderRoots, ProviderTrust};

fn trust_of(vars: &[(&str, &str)]) -> ProviderTrust {
    let vars: HashMap<String, String> = vars
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    ProviderTrust::read(|name| vars.get(name).cloned())
}

#[test]
fn a_function_trusts_the_compiled_in_roots_unless_a_store_is_named() {
    let lambda = ("AWS_LAMBDA_FUNCTION_NAME", "consent-customer-view");
    assert_eq!(trust_of(&[lambda]).roots, ProviderRoots::CompiledIn);
    for store in ["SSL_CERT_FILE", "SSL_CERT_DIR"] {
        assert_eq!(
            trust_of(&[lambda, (store, "/etc/pki/tls/certs")]).roots,
            ProviderRoots::System,
            "{store}"
        );
    }
    // A blank variable names nothing.
    assert_eq!(
        trust_of(&[lambda, ("SSL_CERT_FILE", " ")]).roots,
        ProviderRoots::CompiledIn
    );
    // Outside Lambda (consent-local, the tests): the system's store.
    assert_eq!(trust_of(&[]).roots, ProviderRoots::System);
    assert_eq!(
        trust_of(&[(EXTRA_CA_FILE, "/opt/proxy-ca.pem")]).extra,
        Some("/opt/proxy-ca.pem".into())
    );
}

#[test]
fn the_compiled_in_roots_anchor_entra_ids_sign_in() {
    let store = trust_of(&[("AWS_LAMBDA_FUNCTION_NAME", "f")])
        .root_store()
        .unwrap();
    assert!(store.len() > 100, "{} roots", store.len());
    // login.microsoftonline.com chains to DigiCert Global Root G2.
    let anchors_entra = store.roots.iter().any(|anchor| {
        anchor
            .subject
            .as_ref()
            .windows(b"DigiCert Global Root G2".len())
            .any(|w| w == b"DigiCert Global Root G2")
    });
    assert!(anchors_entra);
}

#[test]
fn an_unusable_extra_ca_file_is_an_error_that_names_it() {
    let dir = std::env::temp_dir().join(format!("consent-oidc-trust-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let not_pem = dir.join("not.pem");
    std::fs::write(&not_pem, "no certificate here\n").unwrap();
    for path in [not_pem.clone(), dir.join("missing.pem")] {
        let trust = trust_of(&[
            ("AWS_LAMBDA_FUNCTION_NAME", "f"),
            (EXTRA_CA_FILE, path.to_str().unwrap()),
        ]);
        let error = trust
            .root_store()
            .expect_err("an unusable file was accepted");
        assert!(error.to_string().contains(EXTRA_CA_FILE), "{error}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
