//! Signed review links: tampering, expiry, keys and rotation.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use consent_core::domain::{AskId, RequestId, Slot};
use consent_core::links::{LinkClaims, LinkError, LinkKey, LinkSigner, Purpose};
use proptest::prelude::*;
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

fn now() -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(1_780_000_000).unwrap()
}

fn key(id: &str, fill: u8) -> LinkKey {
    LinkKey::new(id, vec![fill; 32]).unwrap()
}

fn claims() -> LinkClaims {
    LinkClaims {
        purpose: Purpose::Review,
        request_id: RequestId(Uuid::new_v4()),
        slot: Slot::Two,
        ask_id: AskId(Uuid::new_v4()),
        expires_at: now() + Duration::days(30),
    }
}

#[test]
fn a_signed_link_verifies_to_its_claims_and_is_url_safe() {
    let signer = LinkSigner::new(key("k1", 7), vec![]);
    let c = claims();
    let token = signer.sign(&c);
    assert!(
        token
            .as_str()
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    );
    assert!(token.as_str().len() <= consent_core::links::MAX_TOKEN_LEN);
    assert_eq!(signer.verify(token.as_str(), now()), Ok(c));
    assert_eq!(format!("{token:?}"), "LinkToken(<redacted>)");
}

#[test]
fn every_byte_tampered_is_refused() {
    let signer = LinkSigner::new(key("k1", 7), vec![]);
    let token = signer.sign(&claims());
    let bytes = URL_SAFE_NO_PAD.decode(token.as_str()).unwrap();
    for i in 0..bytes.len() {
        for flip in [0x01u8, 0x80] {
            let mut altered = bytes.clone();
            altered[i] ^= flip;
            let text = URL_SAFE_NO_PAD.encode(&altered);
            let r = signer.verify(&text, now());
            assert!(
                matches!(r, Err(LinkError::Invalid | LinkError::UnknownKey)),
                "byte {i} flipped by {flip:#x} gave {r:?}"
            );
        }
    }
}

#[test]
fn truncated_extended_and_garbage_tokens_are_refused() {
    let signer = LinkSigner::new(key("k1", 7), vec![]);
    let token = signer.sign(&claims()).as_str().to_owned();
    for bad in [
        String::new(),
        token[..token.len() - 1].to_owned(),
        token[..10].to_owned(),
        format!("{token}A"),
        format!("{token}AAAA"),
        format!("+{}", &token[1..]),
        format!("{}=", &token[..token.len() - 1]),
        "not a token".to_owned(),
        "A".repeat(5000),
    ] {
        assert!(signer.verify(&bad, now()).is_err(), "{bad:?} accepted");
    }
}

#[test]
fn an_expired_link_says_so_and_a_live_one_does_not() {
    let signer = LinkSigner::new(key("k1", 7), vec![]);
    let c = claims();
    let token = signer.sign(&c);
    assert!(
        signer
            .verify(token.as_str(), c.expires_at - Duration::seconds(1))
            .is_ok()
    );
    assert_eq!(
        signer.verify(token.as_str(), c.expires_at),
        Err(LinkError::Expired {
            expired_at: c.expires_at
        })
    );
}

#[test]
fn a_key_id_we_do_not_hold_is_unknown() {
    let old = LinkSigner::new(key("old", 1), vec![]);
    let current = LinkSigner::new(key("new", 2), vec![]);
    let token = old.sign(&claims());
    assert_eq!(
        current.verify(token.as_str(), now()),
        Err(LinkError::UnknownKey)
    );
}

#[test]
fn the_same_key_id_with_another_secret_is_invalid() {
    let a = LinkSigner::new(key("k1", 1), vec![]);
    let b = LinkSigner::new(key("k1", 2), vec![]);
    assert_eq!(
        b.verify(a.sign(&claims()).as_str(), now()),
        Err(LinkError::Invalid)
    );
}

#[test]
fn after_rotation_old_links_still_verify_and_new_ones_use_the_new_key() {
    let before = LinkSigner::new(key("k1", 1), vec![]);
    let old_token = before.sign(&claims());
    let rotated = LinkSigner::new(key("k2", 2), vec![key("k1", 1)]);
    assert!(rotated.verify(old_token.as_str(), now()).is_ok());
    let new_token = rotated.sign(&claims());
    // A service that only knows the old key cannot verify the new link.
    assert_eq!(
        before.verify(new_token.as_str(), now()),
        Err(LinkError::UnknownKey)
    );
    // And once k1 is retired, its links die.
    let retired = LinkSigner::new(key("k2", 2), vec![]);
    assert_eq!(
        retired.verify(old_token.as_str(), now()),
        Err(LinkError::UnknownKey)
    );
}

#[test]
fn key_specs_are_parsed_and_weak_keys_refused() {
    let secret = URL_SAFE_NO_PAD.encode([9u8; 32]);
    let signer = LinkSigner::from_spec(&format!("k2:{secret}, k1:{secret}")).unwrap();
    assert!(
        signer
            .verify(signer.sign(&claims()).as_str(), now())
            .is_ok()
    );
    let short = URL_SAFE_NO_PAD.encode([9u8; 16]);
    for bad in [
        "",
        "k1",
        &format!("k1:{short}"),
        "k1:***",
        &format!("bad id:{secret}"),
    ] {
        assert!(LinkSigner::from_spec(bad).is_err(), "{bad:?} accepted");
    }
}

proptest! {
    #[test]
    fn arbitrary_text_never_panics_and_never_verifies(text in "[A-Za-z0-9_-]{0,200}") {
        let signer = LinkSigner::new(key("k1", 7), vec![]);
        prop_assert!(signer.verify(&text, now()).is_err());
    }
}

#[test]
fn a_sealed_value_opens_only_for_its_label_and_unaltered() {
    let signer = LinkSigner::new(key("k1", 7), vec![]);
    let sealed = signer.seal("sign-in", b"{\"state\":\"s\"}");
    assert_eq!(
        signer.open("sign-in", &sealed).as_deref(),
        Some(&b"{\"state\":\"s\"}"[..])
    );
    assert_eq!(signer.open("reviewer", &sealed), None, "another label");
    let (body, tag) = sealed.split_once('.').unwrap();
    let mut bytes = URL_SAFE_NO_PAD.decode(body).unwrap();
    for i in 0..bytes.len() {
        bytes[i] ^= 1;
        let altered = format!("{}.{tag}", URL_SAFE_NO_PAD.encode(&bytes));
        assert_eq!(signer.open("sign-in", &altered), None, "byte {i} altered");
        bytes[i] ^= 1;
    }
    let other = LinkSigner::new(key("k1", 8), vec![]);
    assert_eq!(other.open("sign-in", &sealed), None, "another secret");
    assert_eq!(signer.open("sign-in", "garbage"), None);
}

#[test]
fn a_sealed_value_still_opens_after_rotation() {
    let old = LinkSigner::new(key("k1", 7), vec![]);
    let sealed = old.seal("sign-in", b"x");
    let rotated = LinkSigner::new(key("k2", 9), vec![key("k1", 7)]);
    assert_eq!(rotated.open("sign-in", &sealed).as_deref(), Some(&b"x"[..]));
}

#[test]
fn a_link_is_not_a_sealed_value() {
    let signer = LinkSigner::new(key("k1", 7), vec![]);
    let token = signer.sign(&claims());
    assert_eq!(signer.open("", token.as_str()), None);
}

#[test]
fn a_shared_secret_is_found_under_any_id_active_or_older() {
    let published = LinkSigner::new(key("dev", 7), vec![]);
    for (signer, shares) in [
        (LinkSigner::new(key("dev", 7), vec![]), true),
        (LinkSigner::new(key("own", 7), vec![]), true),
        (LinkSigner::new(key("own", 8), vec![key("old", 7)]), true),
        (LinkSigner::new(key("dev", 8), vec![]), false),
        (LinkSigner::new(key("own", 8), vec![key("old", 9)]), false),
    ] {
        assert_eq!(
            signer.shares_a_secret_with(&published),
            shares,
            "{signer:?}"
        );
        assert_eq!(
            published.shares_a_secret_with(&signer),
            shares,
            "{signer:?}"
        );
    }
}
