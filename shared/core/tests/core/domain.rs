//! Domain values exist only valid: deserializing goes through their `parse`,
//! and a refusal carries the message the API shows.

use consent_core::domain::{
    AccessPurpose, Comment, Domain, Email, EnvironmentId, EnvironmentName, Slot, Tenant, TenantId,
};
use serde_json::json;

fn from_json<T: serde::de::DeserializeOwned>(v: serde_json::Value) -> Result<T, String> {
    serde_json::from_value(v).map_err(|e| e.to_string())
}

#[test]
fn deserializing_refuses_what_parse_refuses_with_its_message() {
    let e = from_json::<Email>(json!("not-an-email")).unwrap_err();
    assert!(e.contains("not a valid email address"), "{e}");
    let e = from_json::<TenantId>(json!("../etc")).unwrap_err();
    assert!(e.contains("1 to 64 characters of A-Z"), "{e}");
    assert!(from_json::<EnvironmentId>(json!("")).is_err());
    let e = from_json::<EnvironmentName>(json!("a\r\nBcc: x@y.example")).unwrap_err();
    assert!(e.contains("no control characters"), "{e}");
    assert!(from_json::<Comment>(json!("bell\u{7}")).is_err());
    assert!(
        from_json::<Comment>(json!("   ")).is_err(),
        "a stored comment is never empty"
    );
    let e = from_json::<Slot>(json!(3)).unwrap_err();
    assert!(e.contains("1 or 2"), "{e}");
}

#[test]
fn valid_values_round_trip_as_plain_json() {
    // An address is kept in its one canonical form.
    let email = Email::parse(" Bob@Contoso.example ").unwrap();
    assert_eq!(
        serde_json::to_value(&email).unwrap(),
        json!("bob@contoso.example")
    );
    assert_eq!(
        from_json::<Email>(json!("Bob@Contoso.example")).unwrap(),
        email
    );
    let tenant = TenantId::parse("contoso").unwrap();
    assert_eq!(
        from_json::<TenantId>(serde_json::to_value(&tenant).unwrap()).unwrap(),
        tenant
    );
    assert_eq!(serde_json::to_value(Slot::Two).unwrap(), json!(2));
    assert_eq!(from_json::<Slot>(json!(1)).unwrap(), Slot::One);
    let comment = Comment::parse("fine\nby me").unwrap().unwrap();
    assert_eq!(
        from_json::<Comment>(serde_json::to_value(&comment).unwrap()).unwrap(),
        comment
    );
}

#[test]
fn parse_errors_say_what_is_allowed() {
    assert_eq!(
        TenantId::parse("a b").unwrap_err().message(),
        "1 to 64 characters of A-Z, a-z, 0-9, '.', '_' or '-'"
    );
    assert_eq!(
        EnvironmentName::parse(&"x".repeat(201))
            .unwrap_err()
            .message(),
        "1 to 200 characters, no control characters"
    );
}

#[test]
fn a_domain_is_a_dns_name_kept_in_one_form() {
    for (given, kept) in [
        ("contoso.com", "contoso.com"),
        (" Contoso.COM ", "contoso.com"),
        ("eu.contoso.co.uk", "eu.contoso.co.uk"),
        ("münchen.example", "xn--mnchen-3ya.example"),
        ("xn--mnchen-3ya.example", "xn--mnchen-3ya.example"),
        ("a-b.example", "a-b.example"),
    ] {
        assert_eq!(Domain::parse(given).unwrap().as_str(), kept, "{given:?}");
    }
    let long_label = format!("{}.example", "a".repeat(64));
    for bad in [
        "",
        "contoso",
        "10.0.0.1",
        "[::1]",
        "-contoso.com",
        "contoso-.com",
        "con toso.com",
        "contoso..com",
        "contoso.com.",
        "contoso.123",
        "a_b.example",
        "contoso.com/x",
        "user@contoso.com",
        long_label.as_str(),
    ] {
        assert!(Domain::parse(bad).is_err(), "{bad:?} is not a domain");
    }
}

#[test]
fn an_address_is_at_a_domain_only_exactly_in_any_case() {
    let domains = [
        Domain::parse("contoso.com").unwrap(),
        Domain::parse("eu.fabrikam.com").unwrap(),
    ];
    let at = |address: &str| {
        Email::parse(address)
            .unwrap()
            .at_one_of(&domains)
            .map(|d| d.as_str().to_owned())
    };
    assert_eq!(at("bob@contoso.com").as_deref(), Some("contoso.com"));
    assert_eq!(at("Bob@CONTOSO.com").as_deref(), Some("contoso.com"));
    assert_eq!(
        at("eve@eu.fabrikam.com").as_deref(),
        Some("eu.fabrikam.com")
    );
    for outside in [
        "bob@sales.contoso.com",
        "bob@contoso.com.evil.example",
        "bob@notcontoso.com",
        "bob@fabrikam.com",
        "bob@contoso.co",
    ] {
        assert_eq!(at(outside), None, "{outside}");
    }
}

#[test]
fn every_spelling_of_an_address_is_one_canonical_address() {
    for spelling in [
        "bob@contoso.example",
        "BOB@CONTOSO.EXAMPLE",
        "ｂｏｂ@ｃｏｎｔｏｓｏ.example",
        " bob@Contoso.Example ",
    ] {
        assert_eq!(
            Email::parse(spelling).unwrap().as_str(),
            "bob@contoso.example",
            "{spelling:?}"
        );
    }
    // An internationalized domain in its ASCII form.
    assert_eq!(
        Email::parse("anna@bücher.example").unwrap().as_str(),
        "anna@xn--bcher-kva.example"
    );
    let bob = Email::parse("bob@contoso.example").unwrap();
    assert!(bob.same_person(&Email::parse("Bob+reviews@contoso.example").unwrap()));
    assert!(!bob.same_person(&Email::parse("bobby@contoso.example").unwrap()));
    assert!(!bob.same_person(&Email::parse("bob@contoso2.example").unwrap()));
}

#[test]
fn nothing_hidden_or_direction_changing_is_accepted_in_what_people_read() {
    for hidden in [
        '\u{00ad}', '\u{200b}', '\u{200d}', '\u{202e}', '\u{2066}', '\u{feff}', '\u{3164}',
    ] {
        let address = format!("bob{hidden}@contoso.example");
        let e = Email::parse(&address).unwrap_err();
        assert!(
            e.message().contains("does not show as itself"),
            "{hidden:?}: {e}"
        );
        assert!(
            Domain::parse(&format!("contoso{hidden}.example")).is_err(),
            "{hidden:?}"
        );
        assert!(
            EnvironmentName::parse(&format!("Prod{hidden}")).is_err(),
            "{hidden:?}"
        );
        assert!(
            AccessPurpose::parse(&format!("Tune{hidden} alerting")).is_err(),
            "{hidden:?}"
        );
        assert!(
            Comment::parse(&format!("ok{hidden}")).is_err(),
            "{hidden:?}"
        );
        assert!(
            Tenant::parse_name(&format!("Contoso{hidden} Ltd")).is_err(),
            "{hidden:?}"
        );
    }
    // Line breaks and tabs stay where text may have them.
    assert!(AccessPurpose::parse("Tune alerting:\nerror rates").is_ok());
    assert!(Comment::parse("ok\n\tthanks").is_ok());
}
