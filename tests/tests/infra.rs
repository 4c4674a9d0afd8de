//! Deployment files agree with the code: the table is defined once.

use serde_json::Value;

fn template() -> Value {
    serde_yaml_ng::from_str(include_str!("../../template.yaml")).expect("template.yaml is YAML")
}

#[test]
fn the_template_table_is_the_single_table_definition() {
    let definition: Value =
        serde_json::from_str(consent_aws::dynamodb::provision::TABLE_DEFINITION).unwrap();
    let template = template();
    let tables: Vec<(&String, &Value)> = template["Resources"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(_, r)| r["Type"] == "AWS::DynamoDB::Table")
        .collect();
    assert_eq!(tables.len(), 1, "one table");
    let properties = &tables[0].1["Properties"];
    assert_eq!(
        properties, &definition,
        "template.yaml and infra/table.json drifted apart"
    );
}

#[test]
fn the_code_uses_the_indexes_the_definition_declares() {
    use consent_aws::dynamodb::provision::TableDefinition;
    use consent_aws::dynamodb::store::{DUE_INDEX, PARTNER_INDEX};
    let def = TableDefinition::load();
    let names: Vec<&str> = def
        .global_secondary_indexes
        .iter()
        .map(|i| i.index_name.as_str())
        .collect();
    assert!(
        names.contains(&PARTNER_INDEX) && names.contains(&DUE_INDEX),
        "{names:?}"
    );
    assert!(
        def.point_in_time_recovery_specification
            .point_in_time_recovery_enabled
    );
    // The due index is sparse: its keys are never table keys, so only items that carry them appear.
    let table_keys: Vec<&str> = def
        .key_schema
        .iter()
        .map(|k| k.attribute_name.as_str())
        .collect();
    let due = def
        .global_secondary_indexes
        .iter()
        .find(|i| i.index_name == DUE_INDEX)
        .unwrap();
    assert!(
        due.key_schema
            .iter()
            .all(|k| !table_keys.contains(&k.attribute_name.as_str()))
    );
}

/// (METHOD, path) of every HttpApi event of the template, and the crate of each function.
fn template_routes() -> (std::collections::BTreeSet<(String, String)>, Vec<String>) {
    let template = template();
    let mut routes = std::collections::BTreeSet::new();
    let mut crates = Vec::new();
    let makefile = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../functions/Makefile"),
    )
    .unwrap();
    let makefile_functions: Vec<&str> = makefile
        .split_once("FUNCTIONS := ")
        .map(|(_, rest)| rest.split("\n\n").next().unwrap_or(""))
        .unwrap_or("")
        .split_whitespace()
        .filter(|w| *w != "\\")
        .collect();
    for (name, resource) in template["Resources"].as_object().unwrap() {
        if resource["Type"] != "AWS::Serverless::Function" {
            continue;
        }
        let props = &resource["Properties"];
        crates.push(props["CodeUri"].as_str().unwrap().to_owned());
        assert_eq!(resource["Metadata"]["BuildMethod"], "makefile");
        assert_eq!(resource["Metadata"]["ContextPath"], "functions");
        // The Makefile's target for this function copies its own crate's bootstrap.
        let code_uri = props["CodeUri"].as_str().unwrap();
        let crate_name = code_uri.trim_start_matches("functions/");
        let target = format!("build-{name}:\n\t$(call bootstrap,{crate_name})\n");
        assert!(
            makefile.contains(&target),
            "functions/Makefile has no {target:?}"
        );
        assert!(
            makefile_functions.contains(&crate_name),
            "{crate_name} is not among the Makefile's FUNCTIONS"
        );
        for (_, event) in props["Events"].as_object().into_iter().flatten() {
            if event["Type"] == "HttpApi" {
                routes.insert((
                    event["Properties"]["Method"].as_str().unwrap().to_owned(),
                    event["Properties"]["Path"].as_str().unwrap().to_owned(),
                ));
            }
        }
    }
    assert_eq!(
        makefile_functions.len(),
        crates.len(),
        "the Makefile builds exactly the template's functions: {makefile_functions:?}"
    );
    (routes, crates)
}

#[test]
fn every_documented_route_has_its_event_in_the_template_and_the_reverse() {
    let doc: Value = serde_json::from_str(include_str!("../../openapi.json")).unwrap();
    let mut documented = std::collections::BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let local_only = op["tags"]
                .as_array()
                .is_some_and(|t| t.iter().any(|t| t == "local"));
            if !local_only {
                documented.insert((method.to_uppercase(), path.clone()));
            }
        }
    }
    let (mut deployed, _) = template_routes();
    // HEAD routes only mirror pages' GET routes, for mail scanners.
    let heads: Vec<_> = deployed
        .iter()
        .filter(|(m, _)| m == "HEAD")
        .cloned()
        .collect();
    for (_, path) in &heads {
        assert!(
            documented.contains(&("GET".to_owned(), path.clone())),
            "HEAD {path} without GET"
        );
        deployed.remove(&("HEAD".to_owned(), path.clone()));
    }
    let missing: Vec<_> = documented.difference(&deployed).collect();
    let extra: Vec<_> = deployed.difference(&documented).collect();
    assert!(
        missing.is_empty(),
        "documented routes without an event in template.yaml: {missing:?}"
    );
    assert!(
        extra.is_empty(),
        "template routes missing from openapi.json: {extra:?}"
    );
}

#[test]
fn every_function_crate_is_deployed_and_every_deployed_function_is_a_crate() {
    let (_, crates) = template_routes();
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut on_disk: Vec<String> = std::fs::read_dir(root.join("functions"))
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.path().is_dir())
        .map(|e| format!("functions/{}", e.file_name().to_string_lossy()))
        .filter(|dir| dir != "functions/local")
        .collect();
    on_disk.sort();
    let mut deployed = crates.clone();
    deployed.sort();
    assert_eq!(deployed, on_disk);
    let workspace = std::fs::read_to_string(root.join("Cargo.toml")).unwrap();
    for dir in crates {
        assert!(
            root.join(&dir).join("src/main.rs").is_file(),
            "{dir} has a bootstrap"
        );
        assert!(
            workspace.contains(&format!("\"{dir}\"")),
            "{dir} is a workspace member"
        );
    }
}

#[test]
fn each_function_may_do_only_what_it_needs() {
    let template = template();
    for (name, resource) in template["Resources"].as_object().unwrap() {
        if resource["Type"] != "AWS::Serverless::Function" {
            continue;
        }
        let statements = resource["Properties"]["Policies"][0]["Statement"]
            .as_array()
            .unwrap();
        let actions: Vec<&str> = statements
            .iter()
            .flat_map(|s| {
                s["Action"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|a| a.as_str().unwrap())
            })
            .collect();
        assert!(
            actions.iter().all(|a| !a.contains('*')),
            "{name}: no wildcard actions"
        );
        // Reads of the SES account (its suppression list, its sending
        // status) have no resource to name.
        let account_level = ["ses:GetSuppressedDestination", "ses:GetAccount"];
        for s in statements {
            assert_eq!(s["Effect"], "Allow");
            let only_account_level = s["Action"]
                .as_array()
                .unwrap()
                .iter()
                .all(|a| account_level.contains(&a.as_str().unwrap()));
            assert!(
                only_account_level || !s["Resource"].to_string().contains("\"*\""),
                "{name}: no wildcard resources"
            );
        }
        let crate_dir = resource["Properties"]["CodeUri"].as_str().unwrap();
        let read = |file: &str| {
            std::fs::read_to_string(
                std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                    .join("..")
                    .join(crate_dir)
                    .join(file),
            )
            .unwrap()
        };
        let (manifest, main) = (read("Cargo.toml"), read("src/main.rs"));
        // A service is compiled in (the crate's feature) and wired in (its
        // main's `Uses`) exactly where the policy allows calling it.
        let built_with = |feature: &str| {
            manifest
                .lines()
                .any(|l| l.starts_with("consent-runtime") && l.contains(&format!("\"{feature}\"")))
        };
        for (feature, wired, allowed) in [
            ("ses", main.contains(".ses()"), "ses:SendEmail"),
            (
                "secrets",
                main.contains(".secrets()"),
                "secretsmanager:GetSecretValue",
            ),
            (
                "eventbridge",
                main.contains("event_bus_from_env"),
                "events:PutEvents",
            ),
            ("dynamodb", main.contains(".dynamodb()"), "dynamodb:"),
            ("kms", main.contains(".kms()"), "kms:Sign"),
        ] {
            let allowed = actions.iter().any(|a| a.starts_with(allowed));
            assert_eq!(allowed, built_with(feature), "{name}: {feature} built");
            assert_eq!(allowed, wired, "{name}: {feature} wired");
        }
        let writes = actions.contains(&"dynamodb:PutItem");
        // No change without its signed record: whatever writes, signs.
        assert!(
            !writes || built_with("kms"),
            "{name}: writes without signing records"
        );
        let uses_table = built_with("dynamodb");
        let reads_only = [
            "list-requests",
            "get-request",
            "review-page",
            "revoke-page",
            "reviewer-sign-in",
            "access-check",
            "consent-record",
        ]
        .iter()
        .any(|c| crate_dir.ends_with(c));
        assert_eq!(writes, uses_table && !reads_only, "{name}: writes");
    }
}
