//! A partner's words shown in the service's email: no working links.

use consent_core::text::defanged;
use proptest::prelude::*;

#[test]
fn links_hosts_addresses_and_ips_are_made_unclickable() {
    for (written, shown) in [
        (
            "approve here instead: https://evil.example/approve?x=1",
            "approve here instead: hxxps[:]//evil[.]example/approve?x=1",
        ),
        ("HTTP://Evil.Example", "HXXP[:]//Evil[.]Example"),
        ("see www.evil.example.", "see www[.]evil[.]example."),
        ("mail approve@evil.example", "mail approve@evil[.]example"),
        ("ftp://files.evil.example", "ftp[:]//files[.]evil[.]example"),
        ("call 10.0.0.1 now", "call 10[.]0[.]0[.]1 now"),
        ("evil.example/x", "evil[.]example/x"),
    ] {
        assert_eq!(defanged(written), shown, "{written}");
    }
}

#[test]
fn ordinary_sentences_keep_their_dots() {
    for text in [
        "Tune alerting for the EU rollout: error rates and latency only.",
        "Upgrade from 2.1.3 to 2.2, e.g. for the fix. I.e. soon.",
        "Ratio 3:1 and path a/b",
        "Production EU",
    ] {
        assert_eq!(defanged(text), text);
    }
}

/// Mail clients make a link of a scheme, or of a dot between a label and
/// letters (a host name); IPv4 addresses are checked by example above.
fn clickable(text: &str) -> bool {
    let chars: Vec<char> = text.chars().collect();
    let label = |c: char| c.is_alphanumeric() || c == '-' || c == '_';
    text.contains("://")
        || chars
            .windows(4)
            .any(|w| label(w[0]) && w[1] == '.' && w[2].is_alphabetic() && label(w[3]))
}

proptest! {
    #[test]
    fn nothing_clickable_remains_and_nothing_is_lost(
        text in "[a-wyzA-WYZ0-9./:@ _-]{0,80}"
    ) {
        let shown = defanged(&text);
        prop_assert!(!clickable(&shown), "{shown}");
        // The text has no x: every x is a t that "http" lost.
        let restored = shown
            .replace("[.]", ".")
            .replace("[:]", ":")
            .replace('x', "t")
            .replace('X', "T");
        prop_assert_eq!(restored, text);
    }
}
