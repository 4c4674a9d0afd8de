//! ID token checks with a key of the test's own: each claim that must hold,
//! broken one at a time.

use consent_oidc::code_challenge;
use consent_oidc::token::{Expected, IssuerRule, algorithm_and_key_id, validate};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, encode};
use serde_json::{Value, json};
use time::OffsetDateTime;

/// A P-256 key made for these tests only: PKCS #8, and its public point.
const PRIVATE_PKCS8: &str = "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQguDxl8O+jBgLOHvuOZrLoRHFitWltXJ3JWh4f63ENDCuhRANCAARGT8psjhnko5s0wLaU0dQFtbQzqQCzfSMEkKMdzjs2qaUguQI4KYuC4FUCrobbbw6KeP8mL4OnnfmCHkMbjyzz";
const PUBLIC_X: &str = "Rk_KbI4Z5KObNMC2lNHUBbW0M6kAs30jBJCjHc47Nqk";
const PUBLIC_Y: &str = "pSC5Ajgpi4LgVQKuhttvDop4_yYvg6ed-YIeQxuPLPM";

const ISSUER: &str = "https://idp.example/tenant-1";

fn now() -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(1_796_000_000).unwrap()
}

fn claims() -> Value {
    let t = now().unix_timestamp();
    json!({
        "iss": ISSUER, "sub": "s-1", "aud": "client-1", "exp": t + 300, "iat": t - 5,
        "nonce": "n-1", "email": "carol@contoso.example", "email_verified": true,
        "amr": ["pwd", "mfa"],
    })
}

fn sign(claims: &Value) -> String {
    use base64::Engine;
    let der = base64::engine::general_purpose::STANDARD
        .decode(PRIVATE_PKCS8)
        .unwrap();
    let key = EncodingKey::from_ec_der(&der);
    encode(&Header::new(Algorithm::ES256), claims, &key).unwrap()
}

fn check(token: &str, rule: &IssuerRule) -> Result<consent_core::domain::Identity, String> {
    let (alg, _) = algorithm_and_key_id(token)?;
    let key = DecodingKey::from_ec_components(PUBLIC_X, PUBLIC_Y).unwrap();
    validate(
        token,
        alg,
        &key,
        &Expected {
            issuer: rule,
            client_id: "client-1",
            nonce: "n-1",
            now: now(),
            provider_algorithms: &[],
        },
    )
}

fn exact() -> IssuerRule {
    IssuerRule::of(ISSUER)
}

#[test]
fn the_pkce_challenge_is_rfc_7636s_example() {
    assert_eq!(
        code_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
        "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    );
}

#[test]
fn a_good_token_gives_its_identity() {
    let identity = check(&sign(&claims()), &exact()).unwrap();
    assert_eq!(identity.subject, "s-1");
    assert_eq!(identity.vouched_address(), Some("carol@contoso.example"));
    assert!(identity.used_mfa());
    assert_eq!(
        identity.signed_in_at.unix_timestamp(),
        now().unix_timestamp() - 5
    );
}

#[test]
fn each_broken_claim_is_refused() {
    let t = now().unix_timestamp();
    let cases: [(&str, Value); 7] = [
        ("iss", json!("https://idp.example/tenant-2")),
        ("aud", json!("client-2")),
        ("aud", json!(["client-1", "client-2"])),
        ("exp", json!(t - 200)),
        ("iat", json!(t + 600)),
        ("nonce", json!("n-2")),
        ("nonce", Value::Null),
    ];
    for (claim, value) in cases {
        let mut broken = claims();
        broken[claim] = value.clone();
        let result = check(&sign(&broken), &exact());
        assert!(result.is_err(), "{claim} = {value} was accepted");
    }
}

#[test]
fn an_altered_payload_fails_the_signature() {
    let token = sign(&claims());
    let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
    let mut altered = claims();
    altered["email"] = json!("mallory@contoso.example");
    parts[1] = base64_json(&altered);
    assert!(check(&parts.join("."), &exact()).is_err());
}

fn base64_json(value: &Value) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(value.to_string())
}

#[test]
fn alg_none_and_hmac_are_refused_before_any_key_is_used() {
    let payload = base64_json(&claims());
    let none = format!(
        "{}.{payload}.",
        base64_json(&json!({"alg": "none", "typ": "JWT"}))
    );
    assert!(algorithm_and_key_id(&none).is_err());
    let hmac = encode(
        &Header::new(Algorithm::HS256),
        &claims(),
        &EncodingKey::from_secret(PUBLIC_X.as_bytes()).unwrap(),
    )
    .unwrap();
    assert!(
        algorithm_and_key_id(&hmac)
            .unwrap_err()
            .contains("not accepted")
    );
}

#[test]
fn a_per_tenant_issuer_takes_the_tokens_tenant() {
    let rule = IssuerRule::of("https://login.microsoftonline.com/{tenantid}/v2.0");
    assert!(rule.allows("https://login.microsoftonline.com/t-1/v2.0", Some("t-1")));
    assert!(!rule.allows("https://login.microsoftonline.com/t-1/v2.0", Some("t-2")));
    assert!(!rule.allows("https://login.microsoftonline.com/t-1/v2.0", None));
    assert!(!rule.allows("https://evil.example/t-1/v2.0", Some("t-1")));
    let mut entra = claims();
    entra["iss"] = json!("https://login.microsoftonline.com/t-1/v2.0");
    entra["tid"] = json!("t-1");
    entra["oid"] = json!("o-1");
    entra.as_object_mut().unwrap().remove("email_verified");
    entra["xms_edov"] = json!(true);
    let identity = check(&sign(&entra), &rule).unwrap();
    assert_eq!(identity.tenant.as_deref(), Some("t-1"));
    assert_eq!(identity.subject, "o-1", "Entra's oid, not the pairwise sub");
    assert_eq!(
        identity.vouched_address(),
        Some("carol@contoso.example"),
        "Entra vouches for the address with xms_edov"
    );
}
