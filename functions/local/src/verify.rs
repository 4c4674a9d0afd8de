//! `consent-local verify FILE`: a downloaded consent record checked and
//! told in words, record by record, then what is wrong with it, if anything.

use std::path::Path;

use consent_app::record_verify::{Downloaded, actor_words, verify};
use consent_core::record::RecordPayload;
use consent_core::text::display_time;

fn read(path: &Path) -> Result<String, String> {
    std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))
}

/// One record in words: when, what, by whom.
fn line(p: &RecordPayload) -> String {
    format!(
        "{:>3}. {} {} by {}; status {}",
        p.seq,
        display_time(p.at),
        p.kind,
        actor_words(&p.facts["actor"]),
        p.status
    )
}

/// Checks the record in `file` against the key set in `keys` (or its own).
pub fn run(file: &Path, keys: Option<&Path>) -> Result<(), String> {
    let downloaded: Downloaded = serde_json::from_str(&read(file)?)
        .map_err(|e| format!("{}: not a downloaded consent record ({e})", file.display()))?;
    let (set, whose) = match keys {
        Some(path) => (
            serde_json::from_str(&read(path)?)
                .map_err(|e| format!("{}: not a JWK Set ({e})", path.display()))?,
            format!("the keys in {}", path.display()),
        ),
        None => (
            downloaded.keys.clone().unwrap_or_default(),
            "the keys the file carries (give --keys with the service's published set to trust those instead)".to_owned(),
        ),
    };
    let verdict = verify(&downloaded, &set);
    if let Some(first) = verdict.payloads.first() {
        println!("The record of consent request {}:", first.request_id);
    }
    for payload in &verdict.payloads {
        println!("{}", line(payload));
    }
    if verdict.is_intact() {
        let signed = verdict
            .head
            .as_ref()
            .map(|h| display_time(h.at))
            .unwrap_or_default();
        println!(
            "Intact: {} records, each signature valid with {whose}, each naming the one before, complete up to the head signed {signed}.",
            verdict.payloads.len()
        );
        Ok(())
    } else {
        for fault in &verdict.faults {
            println!("PROBLEM: {fault}");
        }
        Err(format!(
            "the record is not intact: {} problem(s)",
            verdict.faults.len()
        ))
    }
}
