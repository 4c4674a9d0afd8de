//! The signed record of each request's life: a whole life downloaded and
//! checked by a third-party JOSE implementation (jwcrypto, through
//! infra/verify-record.py) and by our own check; each kind of tampering
//! caught and named by both; a story no request can have caught by ours; no
//! change written without its record; on the embedded store and on DynamoDB.

use consent_tests::AsReviewer;
use std::path::PathBuf;
use std::process::Command;
use std::sync::Arc;

use async_trait::async_trait;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use consent_app::embedded::record_key::LocalRecordKey;
use consent_app::ports::{RecordSigner, SignError};
use consent_app::record_verify::{Downloaded, verify};
use consent_core::domain::{RequestId, Verdict};
use consent_core::record::{PublicJwk, RecordPayload};
use consent_tests::customer::{self, contoso_admin};
use consent_tests::template::{root, tool};
use consent_tests::*;
use serde_json::{Value, json};

/// Alice asks, Bob and Carol approve, Contoso's admin withdraws: the record
/// as Alice downloads it from the API.
async fn a_whole_life(w: &World) -> (RequestId, Value) {
    let id = w.allowed("prod").await;
    let admin = customer::signed_in(&w.app, &contoso_admin()).await;
    w.app
        .customer_withdraw(&admin, id, None)
        .await
        .expect("the admin withdraws");
    (id, download(w, id).await)
}

async fn download(w: &World, id: RequestId) -> Value {
    let req = ApiRequest::new("GET", &format!("/consent-requests/{id}/record"))
        .route("GET /consent-requests/{id}/record")
        .claims(routes::alice())
        .param("id", &id.to_string())
        .build();
    let answer = Answer::from_lambda(consent_record::handle(&w.app, req).await);
    assert_eq!(answer.status, 200, "{}", answer.body);
    answer.json()
}

fn downloaded(record: &Value) -> Downloaded {
    serde_json::from_value(record.clone()).unwrap()
}

fn payload(jws: &str) -> RecordPayload {
    let part = jws.split('.').nth(1).unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).unwrap()).unwrap()
}

/// What jwcrypto (infra/verify-record.py) says of `record` against `keys`:
/// whether it passed, and its words.
fn third_party(record: &Value, keys: &Value) -> (bool, String) {
    let python = tool(
        "CONSENT_JOSE_PYTHON",
        "the Python of the venv that has jwcrypto",
    );
    let dir = temp_dir("records");
    let (file, key_file) = (dir.join("record.json"), dir.join("keys.json"));
    std::fs::write(&file, record.to_string()).unwrap();
    std::fs::write(&key_file, keys.to_string()).unwrap();
    let out = Command::new(python)
        .arg(root().join("infra/verify-record.py"))
        .args([&file, &key_file])
        .output()
        .expect("python runs");
    let words = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), words)
}

/// `record` with its records replaced by `records`.
fn with_records(record: &Value, records: Vec<Value>) -> Value {
    let mut changed = record.clone();
    changed["records"] = Value::Array(records);
    changed
}

fn records(record: &Value) -> Vec<Value> {
    record["records"].as_array().unwrap().clone()
}

#[tokio::test]
async fn a_whole_life_verifies_with_a_third_party_jose_library_and_with_ours() {
    let w = World::new();
    let (id, record) = a_whole_life(&w).await;
    let kinds: Vec<String> = records(&record)
        .iter()
        .map(|r| payload(r.as_str().unwrap()).kind)
        .collect();
    for kind in [
        "created",
        "emails_sent",
        "approved",
        "allowed",
        "withdrawn_by_customer",
    ] {
        assert!(kinds.iter().any(|k| k == kind), "{kind} in {kinds:?}");
    }
    assert_eq!(kinds[0], "created");
    let created = payload(record["records"][0].as_str().unwrap());
    assert_eq!(created.request_id, id);
    assert_eq!(created.facts["purpose"], PURPOSE);
    assert_eq!(
        created.facts["reviewers"][1]["email"],
        "carol@contoso.example"
    );
    assert!(created.prev.is_none());
    let allowed = records(&record)
        .iter()
        .map(|r| payload(r.as_str().unwrap()))
        .find(|p| p.kind == "allowed")
        .unwrap();
    assert!(allowed.facts["allowedUntil"].is_string() || allowed.facts["allowedUntil"].is_null());
    assert_eq!(allowed.facts["actor"]["signedIn"]["mfa"], true);

    let verdict = verify(&downloaded(&record), &record["keys"]);
    assert!(verdict.is_intact(), "{:?}", verdict.faults);
    let (passed, words) = third_party(&record, &record["keys"]);
    assert!(passed, "jwcrypto: {words}");
    assert!(
        words.contains(&format!("Intact: {} records", kinds.len())),
        "{words}"
    );
}

/// Each way of tampering with a downloaded record, and the words both
/// checks must find for it.
#[tokio::test]
async fn each_kind_of_tampering_is_caught_and_named_by_both_checks() {
    let w = World::new();
    let (_, record) = a_whole_life(&w).await;
    let all = records(&record);
    let keys = record["keys"].clone();
    let n = all.len();
    assert!(n >= 6, "{n} records");

    // A field changed in a payload, the signature kept.
    let mut edited = all.clone();
    let jws = edited[0].as_str().unwrap().to_owned();
    let parts: Vec<&str> = jws.split('.').collect();
    let mut p: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
    p["facts"]["purpose"] = json!("Anything we like");
    let forged = format!(
        "{}.{}.{}",
        parts[0],
        URL_SAFE_NO_PAD.encode(p.to_string()),
        parts[2]
    );
    edited[0] = json!(forged);
    // One re-signed with another key.
    let other = LocalRecordKey::generate();
    let resigned = consent_app::record::sign(&other, &payload(all[2].as_str().unwrap()))
        .await
        .unwrap();
    let mut removed = all.clone();
    removed.remove(2);
    let mut swapped = all.clone();
    swapped.swap(2, 3);
    let mut with_other_key = all.clone();
    with_other_key[2] = json!(resigned);
    let cases: Vec<(&str, Value, Value, &str, &str)> = vec![
        (
            "a field changed",
            with_records(&record, edited),
            keys.clone(),
            "record 1: its signature does not verify",
            "record 1:",
        ),
        (
            "a record removed from the middle",
            with_records(&record, removed),
            keys.clone(),
            "record 3: numbered 4, where 3 follows",
            "record 3: numbered 4, where 3 follows",
        ),
        (
            "two swapped",
            with_records(&record, swapped),
            keys.clone(),
            "record 3: numbered 4, where 3 follows",
            "record 3: numbered 4, where 3 follows",
        ),
        (
            "one re-signed with another key",
            with_records(&record, with_other_key),
            keys.clone(),
            "record 3: signed with key",
            "record 3: signed with key",
        ),
        (
            "the last record dropped",
            with_records(&record, all[..n - 1].to_vec()),
            keys.clone(),
            "the chain is cut short",
            "cut short",
        ),
        (
            "a key removed from the set",
            record.clone(),
            json!({"keys": []}),
            "which the key set does not hold",
            "which the key set does not hold",
        ),
    ];
    for (what, tampered, keys, ours_says, theirs_says) in cases {
        let verdict = verify(&downloaded(&tampered), &keys);
        assert!(!verdict.is_intact(), "{what}: ours passed it");
        assert!(
            verdict.faults.iter().any(|f| f.contains(ours_says)),
            "{what}: ours said {:?}",
            verdict.faults
        );
        let (passed, words) = third_party(&tampered, &keys);
        assert!(!passed, "{what}: jwcrypto passed it: {words}");
        assert!(words.contains(theirs_says), "{what}: jwcrypto said {words}");
    }
}

/// Records signed with a key the check trusts, telling a life no request can
/// have: the signatures hold, the story does not.
#[tokio::test]
async fn a_story_no_request_can_have_is_caught() {
    let key = LocalRecordKey::generate();
    let keys = json!({"keys": key.public_keys().await.unwrap()});
    let id = RequestId(uuid::Uuid::new_v4());
    let reviewer = |slot: u8, subject: &str| {
        json!({"actor": {"kind": "reviewer", "slot": slot, "email": "bob@contoso.example",
            "signedIn": {"issuer": "https://idp", "subject": subject, "mfa": true}}, "slot": slot})
    };
    let story = [
        (
            "created",
            "pending",
            json!({"actor": {"kind": "partner_admin"}}),
        ),
        ("approved", "pending", reviewer(1, "bob")),
        ("allowed", "allowed", reviewer(2, "bob")),
        ("rejected", "not_allowed", reviewer(2, "carol")),
        ("approved", "not_allowed", reviewer(1, "bob")),
    ];
    let mut chain: Vec<String> = Vec::new();
    for (i, (kind, status, facts)) in story.into_iter().enumerate() {
        let p = RecordPayload {
            request_id: id,
            seq: i as u64 + 1,
            at: time::OffsetDateTime::now_utc(),
            kind: kind.into(),
            version: i as u64 + 1,
            status: status.into(),
            facts,
            prev: chain.last().map(|l| consent_core::record::hash_of(l)),
        };
        chain.push(consent_app::record::sign(&key, &p).await.unwrap());
    }
    let head = consent_core::record::HeadPayload {
        request_id: id,
        kind: "head".into(),
        seq: chain.len() as u64,
        hash: consent_core::record::hash_of(chain.last().unwrap()),
        at: time::OffsetDateTime::now_utc(),
    };
    let downloaded = Downloaded {
        head: consent_app::record::sign(&key, &head).await.unwrap(),
        records: chain,
        keys: None,
    };
    let faults = verify(&downloaded, &keys).faults;
    assert!(
        faults.iter().any(|f| f.contains(
            "record 3: allowed without approvals of both reviewers by two different people"
        )),
        "{faults:?}"
    );
    assert!(
        faults
            .iter()
            .any(|f| f.contains("record 5: a decision (approved) after the request was closed")),
        "{faults:?}"
    );
}

/// A signer that cannot sign (KMS unreachable).
struct Broken;

#[async_trait]
impl RecordSigner for Broken {
    fn key_id(&self) -> &str {
        "broken"
    }
    async fn sign(&self, _: &[u8]) -> Result<Vec<u8>, SignError> {
        Err(SignError::unavailable("KMS is unreachable"))
    }
    async fn public_keys(&self) -> Result<Vec<PublicJwk>, SignError> {
        Ok(Vec::new())
    }
}

#[tokio::test]
async fn no_change_is_written_without_its_record() {
    let w = World::builder().record_key(Arc::new(Broken)).build();
    let refused = w
        .app
        .create(&partner_caller(true), create_input("prod"))
        .await;
    assert!(
        matches!(
            refused,
            Err(consent_app::service::ServiceError::Unavailable(_))
        ),
        "{refused:?}"
    );
    let page = w.app.list(&partner_caller(true), 10, None).await.unwrap();
    assert!(page.items.is_empty(), "nothing was written");
    assert!(w.mailer.messages().is_empty(), "nobody was emailed");
}

#[tokio::test]
async fn a_rotated_key_keeps_old_records_verifiable_from_the_published_set() {
    let dir = temp_dir("record-key");
    let path: PathBuf = dir.join("record-key.json");
    let first = LocalRecordKey::load_or_create(&path).unwrap();
    let old_kid = first.key_id().to_owned();
    let w = World::builder().record_key(Arc::new(first)).build();
    let id = w.created("prod").await;
    let old = download(&w, id).await;
    let rotated = LocalRecordKey::rotate(&path).unwrap();
    assert_ne!(rotated.key_id(), old_kid);
    let w2 = World::builder().record_key(Arc::new(rotated)).build();
    let req = ApiRequest::new("GET", "/.well-known/consent-record-keys.json")
        .route("GET /.well-known/consent-record-keys.json")
        .build();
    let published = Answer::from_lambda(consent_record::handle(&w2.app, req).await);
    assert_eq!(published.status, 200);
    let set = published.json();
    let kids: Vec<&str> = set["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].as_str().unwrap())
        .collect();
    assert_eq!(kids.len(), 2, "the current key and the retired one");
    assert_eq!(kids[1], old_kid);
    let (passed, words) = third_party(&old, &set);
    assert!(
        passed,
        "an old record checks with the published set: {words}"
    );
    let mode = std::fs::metadata(&path).unwrap().permissions();
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(mode.mode() & 0o077, 0, "the key file is its owner's alone");
}

#[tokio::test]
async fn on_dynamodb_every_change_is_stored_with_its_record() {
    let (client, _) = consent_tests::moto::dynamodb().await;
    let table = consent_tests::moto::fresh_table(&client, "records").await;
    let store = Arc::new(consent_aws::dynamodb::store::DynamoStore::new(
        client, table,
    ));
    let w = World::on(store);
    let (_, record) = a_whole_life(&w).await;
    let verdict = verify(&downloaded(&record), &record["keys"]);
    assert!(verdict.is_intact(), "{:?}", verdict.faults);
    assert!(verdict.payloads.len() >= 6);
    let (passed, words) = third_party(&record, &record["keys"]);
    assert!(passed, "{words}");
}

/// The KMS signer against moto's KMS (a real asymmetric P-256 key, signing
/// with ECDSA_SHA_256): its records and head verify with jwcrypto against
/// the key set it publishes from KMS, current and retired.
#[tokio::test]
async fn on_kms_records_are_signed_by_a_key_that_never_leaves_it() {
    let sdk = consent_tests::moto::sdk_config().await;
    let kms = aws_sdk_kms::Client::new(&sdk);
    let new_key = || async {
        kms.create_key()
            .key_spec(aws_sdk_kms::types::KeySpec::EccNistP256)
            .key_usage(aws_sdk_kms::types::KeyUsageType::SignVerify)
            .send()
            .await
            .expect("moto's KMS makes a P-256 key")
            .key_metadata
            .unwrap()
    };
    let (old, current) = (new_key().await, new_key().await);
    let signer = consent_aws::kms::KmsSigner::new(
        kms.clone(),
        current.key_id(),
        vec![old.arn().unwrap().to_owned()],
    );
    assert_eq!(signer.key_id(), current.key_id());
    let w = World::builder().record_key(Arc::new(signer)).build();
    let (_, record) = a_whole_life(&w).await;
    let kids: Vec<&str> = record["keys"]["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].as_str().unwrap())
        .collect();
    assert_eq!(
        kids,
        [current.key_id(), old.key_id()],
        "current first, then retired"
    );
    let verdict = verify(&downloaded(&record), &record["keys"]);
    assert!(verdict.is_intact(), "{:?}", verdict.faults);
    let (passed, words) = third_party(&record, &record["keys"]);
    assert!(passed, "jwcrypto: {words}");
}

#[test]
fn a_der_signature_becomes_r_and_s_of_32_bytes_each() {
    use consent_aws::kms::raw_signature;
    // r with a leading zero (its high bit set), s short.
    let mut der = vec![0x30, 0x27, 0x02, 0x21, 0x00];
    der.extend([0x80; 32]);
    der.extend([0x02, 0x02, 0x01, 0x02]);
    let raw = raw_signature(&der).unwrap();
    assert_eq!(raw.len(), 64);
    assert_eq!(&raw[..32], &[0x80; 32]);
    assert_eq!(&raw[32..62], &[0; 30]);
    assert_eq!(&raw[62..], &[1, 2]);
    assert!(raw_signature(&der[..der.len() - 1]).is_none(), "cut short");
    assert!(raw_signature(&[0x31, 0]).is_none(), "not a SEQUENCE");
}

/// The printable page says each record in words beside its signature, and
/// escapes the partner's words.
#[tokio::test]
async fn the_printable_record_says_each_change_in_words_and_escapes_the_partners() {
    let w = World::new();
    let mut input = create_input("prod");
    input.purpose =
        consent_core::domain::AccessPurpose::parse("<script>window.pwned = 1</script>").unwrap();
    let id = w.app.create(&partner_caller(true), input).await.unwrap().id;
    w.app
        .decide_signed_in(&w.token_for("bob@contoso.example"), Verdict::Approved, None)
        .await
        .unwrap();
    let req = ApiRequest::new("GET", &format!("/consent-requests/{id}/record"))
        .route("GET /consent-requests/{id}/record")
        .claims(routes::alice())
        .param("id", &id.to_string())
        .query("format", "html")
        .build();
    let page = Answer::from_lambda(consent_record::handle(&w.app, req).await);
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(
        page.header("content-security-policy")
            .contains("default-src 'none'")
    );
    for shown in [
        "created by alice@fabrikam.example",
        "approved by bob@contoso.example (reviewer 1), signed in with MFA",
        "bob@contoso.example at https://idp.test (subject subject-of-bob@contoso.example, tenant contoso)",
        "every signature valid",
    ] {
        assert!(page.body.contains(shown), "{shown:?} in {}", page.body);
    }
    assert!(!page.body.contains("<script>window.pwned"), "escaped");
    assert!(
        page.body.contains("&lt;script&gt;window.pwned")
            || page.body.contains("&#60;script&#62;window.pwned"),
        "{}",
        page.body
    );
}
