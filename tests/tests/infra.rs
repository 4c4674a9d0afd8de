//! Deployment files agree with the code: the table is defined once.

use serde_json::Value;

fn template() -> Value {
    serde_yaml_ng::from_str(include_str!("../../template.yaml")).expect("template.yaml is YAML")
}

#[test]
fn the_template_table_is_the_single_table_definition() {
    let definition: Value =
        serde_json::from_str(consent_shared::adapters::dynamo::TABLE_DEFINITION).unwrap();
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
    use consent_shared::adapters::dynamo::{DUE_INDEX, PARTNER_INDEX, TableDefinition};
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
