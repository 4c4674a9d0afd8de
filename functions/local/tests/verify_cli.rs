//! `consent-local verify FILE`: a record it can trust is told in words and
//! passes; a tampered one fails, saying what and where; `--keys` checks
//! against a key set other than the file's own.

use std::process::Command;

use consent_app::embedded::record_key::LocalRecordKey;
use consent_app::ports::RecordSigner;
use consent_app::record::sign;
use consent_core::domain::RequestId;
use consent_core::record::{HeadPayload, RecordPayload, hash_of, key_set};
use serde_json::json;

const BIN: &str = env!("CARGO_BIN_EXE_consent-local");

/// A request created and allowed by two different people, signed by `key`.
async fn a_record(key: &LocalRecordKey) -> serde_json::Value {
    let id = RequestId(uuid::Uuid::new_v4());
    let at = time::OffsetDateTime::now_utc();
    let reviewer = |slot: u8, who: &str| {
        json!({"actor": {"kind": "reviewer", "slot": slot, "email": format!("{who}@contoso.example"),
            "signedIn": {"issuer": "https://idp", "subject": who, "email": format!("{who}@contoso.example"), "mfa": true}}, "slot": slot})
    };
    let story = [
        (
            "created",
            "pending",
            json!({"actor": {"kind": "partner_admin", "email": "alice@fabrikam.example"}}),
        ),
        ("approved", "pending", reviewer(1, "bob")),
        ("allowed", "allowed", reviewer(2, "carol")),
    ];
    let mut records: Vec<String> = Vec::new();
    for (i, (kind, status, facts)) in story.into_iter().enumerate() {
        let payload = RecordPayload {
            request_id: id,
            seq: i as u64 + 1,
            at,
            kind: kind.into(),
            version: i as u64 + 1,
            status: status.into(),
            facts,
            prev: records.last().map(|r| hash_of(r)),
        };
        records.push(sign(key, &payload).await.unwrap());
    }
    let head = HeadPayload {
        request_id: id,
        kind: "head".into(),
        seq: 3,
        hash: hash_of(records.last().unwrap()),
        at,
    };
    json!({"records": records, "head": sign(key, &head).await.unwrap(),
        "keys": key_set(&key.public_keys().await.unwrap())})
}

fn verify(record: &serde_json::Value, keys: Option<&serde_json::Value>) -> (bool, String) {
    let dir = std::env::temp_dir().join(format!("consent-verify-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("record.json");
    std::fs::write(&file, record.to_string()).unwrap();
    let mut command = Command::new(BIN);
    command.arg("verify").arg(&file);
    if let Some(keys) = keys {
        let key_file = dir.join("keys.json");
        std::fs::write(&key_file, keys.to_string()).unwrap();
        command.arg("--keys").arg(key_file);
    }
    let out = command.output().unwrap();
    let words = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), words)
}

#[tokio::test]
async fn verify_tells_an_intact_record_and_names_what_is_wrong_with_a_tampered_one() {
    let key = LocalRecordKey::generate();
    let record = a_record(&key).await;
    let (passed, words) = verify(&record, None);
    assert!(passed, "{words}");
    for shown in [
        "1. ",
        "created by alice@fabrikam.example",
        "allowed by carol@contoso.example (reviewer 2), signed in with MFA; status allowed",
        "Intact: 3 records",
        "the keys the file carries (give --keys",
    ] {
        assert!(words.contains(shown), "{shown:?} in {words}");
    }

    let mut cut = record.clone();
    cut["records"].as_array_mut().unwrap().pop();
    let (passed, words) = verify(&cut, None);
    assert!(!passed);
    assert!(words.contains("PROBLEM: the head"), "{words}");
    assert!(words.contains("the chain is cut short"), "{words}");
    assert!(
        words.contains("consent-local: the record is not intact"),
        "{words}"
    );

    // Against the service's published keys, which did not sign this file.
    let other = key_set(&LocalRecordKey::generate().public_keys().await.unwrap());
    let (passed, words) = verify(&record, Some(&other));
    assert!(!passed);
    assert!(words.contains("which the key set does not hold"), "{words}");

    let (passed, words) = verify(&json!({"not": "a record"}), None);
    assert!(!passed);
    assert!(words.contains("not a downloaded consent record"), "{words}");
}
