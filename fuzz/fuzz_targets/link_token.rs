//! Link tokens: any string given to `verify` is refused or is exactly a token
//! this signer issued; any claims survive sign → verify; any one-character
//! change of a token is refused. Never a panic.
#![no_main]

use std::sync::OnceLock;

use consent_core::domain::{AskId, RequestId, Slot};
use consent_core::links::{LinkClaims, LinkSigner, Purpose};
use libfuzzer_sys::fuzz_target;
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

const KEYS: &str = "k2:ZnV6ei1saW5rLWtleS1mdXp6LWxpbmsta2V5LWZ1enotbGluay1rZXk";
const BASE64URL: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

fn signer() -> &'static LinkSigner {
    static SIGNER: OnceLock<LinkSigner> = OnceLock::new();
    SIGNER.get_or_init(|| LinkSigner::from_spec(KEYS).expect("the fuzz key is valid"))
}

fn claims_from(data: &[u8], now: OffsetDateTime) -> Option<LinkClaims> {
    let bytes: &[u8; 40] = data.get(..40)?.try_into().ok()?;
    let uuid = |range: std::ops::Range<usize>| Uuid::from_slice(&bytes[range]).ok();
    let offset = i64::from(u32::from_be_bytes(bytes[36..40].try_into().ok()?));
    Some(LinkClaims {
        purpose: if bytes[0] % 2 == 0 { Purpose::Review } else { Purpose::Revoke },
        request_id: RequestId(uuid(1..17)?),
        slot: if bytes[17] % 2 == 0 { Slot::One } else { Slot::Two },
        ask_id: AskId(uuid(18..34)?),
        expires_at: now + Duration::seconds(1 + offset),
    })
}

fuzz_target!(|data: &[u8]| {
    let signer = signer();
    let now = OffsetDateTime::from_unix_timestamp(1_780_000_000).unwrap();
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(claims) = signer.verify(text, now) {
            assert_eq!(signer.sign(&claims).as_str(), text, "only issued tokens verify");
        }
    }
    if let Some(claims) = claims_from(data, now) {
        let token = signer.sign(&claims);
        assert_eq!(signer.verify(token.as_str(), now), Ok(claims));
        let mut altered = token.as_str().as_bytes().to_vec();
        let at = usize::from(data.get(40).copied().unwrap_or(0)) % altered.len();
        let step = 1 + usize::from(data.get(41).copied().unwrap_or(0)) % (BASE64URL.len() - 1);
        let current = BASE64URL.iter().position(|c| *c == altered[at]).unwrap();
        altered[at] = BASE64URL[(current + step) % BASE64URL.len()];
        let altered = String::from_utf8(altered).unwrap();
        assert!(signer.verify(&altered, now).is_err(), "a changed token was accepted: {altered}");
    }
});
