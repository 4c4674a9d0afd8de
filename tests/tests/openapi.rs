//! The OpenAPI document and the code agree on the routes.

use std::collections::BTreeSet;

use consent_local::gateway::Auth;
use serde_json::Value;

fn document() -> Value {
    serde_json::from_str(include_str!("../../openapi.json")).expect("openapi.json is JSON")
}

#[test]
fn every_route_in_the_code_is_documented_and_the_reverse() {
    let doc = document();
    let documented: BTreeSet<(String, String)> = doc["paths"]
        .as_object()
        .unwrap()
        .iter()
        .flat_map(|(path, item)| {
            item.as_object()
                .unwrap()
                .keys()
                .filter(|k| {
                    ["get", "put", "post", "delete", "patch", "head", "options"]
                        .contains(&k.as_str())
                })
                .map(move |m| (m.to_uppercase(), path.clone()))
        })
        .collect();
    let served: BTreeSet<(String, String)> = consent_local::gateway::routes()
        .iter()
        .map(|r| (r.method.to_string(), r.path.to_owned()))
        .collect();
    let undocumented: Vec<_> = served.difference(&documented).collect();
    let unserved: Vec<_> = documented.difference(&served).collect();
    assert!(
        undocumented.is_empty(),
        "routes missing from openapi.json: {undocumented:?}"
    );
    assert!(
        unserved.is_empty(),
        "documented routes no handler serves: {unserved:?}"
    );
}

#[test]
fn authenticated_routes_are_exactly_those_the_document_secures() {
    let doc = document();
    for route in consent_local::gateway::routes() {
        let op = &doc["paths"][route.path][route.method.as_str().to_lowercase()];
        // An operation without its own `security` inherits the global bearer requirement.
        let documented = match op["security"].as_array() {
            Some(s) if s.is_empty() => Auth::None,
            Some(s) if s.iter().any(|r| r.get("sigv4").is_some()) => Auth::Service,
            _ => Auth::User,
        };
        assert_eq!(documented, route.auth, "{} {}", route.method, route.path);
        if route.auth != Auth::None {
            assert!(
                op["responses"]["401"].is_object(),
                "{} {} documents 401",
                route.method,
                route.path
            );
        }
    }
}

#[test]
fn every_operation_has_an_id_and_responses_and_every_ref_resolves() {
    let doc = document();
    let text = doc.to_string();
    let mut ids = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let id = op["operationId"]
                .as_str()
                .unwrap_or_else(|| panic!("{method} {path} has no operationId"));
            assert!(ids.insert(id.to_owned()), "duplicate operationId {id}");
            assert!(op["responses"].as_object().is_some_and(|r| !r.is_empty()));
        }
    }
    for piece in text.split("\"$ref\":\"#/components/schemas/").skip(1) {
        let name = &piece[..piece.find('"').unwrap()];
        assert!(
            doc["components"]["schemas"][name].is_object(),
            "unresolved $ref {name}"
        );
    }
}
