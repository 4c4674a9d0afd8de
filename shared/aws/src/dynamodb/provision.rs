//! Creating the consent table from its one definition, `infra/table.json`
//! (for emulators and a first set-up; the template creates it in AWS).

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::DisplayErrorContext;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType,
    PointInTimeRecoverySpecification, Projection, ProjectionType, ScalarAttributeType,
    SseSpecification, StreamSpecification, StreamViewType, TimeToLiveSpecification,
};
use serde::Deserialize;

/// The table's definition, shared with `template.yaml` (a test keeps them equal).
pub const TABLE_DEFINITION: &str = include_str!("../../../../infra/table.json");

/// The table definition of `infra/table.json` (CloudFormation property names).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TableDefinition {
    pub attribute_definitions: Vec<AttributeDef>,
    pub key_schema: Vec<KeyDef>,
    pub billing_mode: String,
    pub global_secondary_indexes: Vec<IndexDef>,
    pub point_in_time_recovery_specification: PitrDef,
    #[serde(rename = "SSESpecification")]
    pub sse_specification: SseDef,
    pub stream_specification: StreamDef,
    pub deletion_protection_enabled: bool,
    pub time_to_live_specification: TtlDef,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TtlDef {
    pub attribute_name: String,
    pub enabled: bool,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AttributeDef {
    pub attribute_name: String,
    pub attribute_type: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct KeyDef {
    pub attribute_name: String,
    pub key_type: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct IndexDef {
    pub index_name: String,
    pub key_schema: Vec<KeyDef>,
    pub projection: ProjectionDef,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ProjectionDef {
    pub projection_type: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PitrDef {
    pub point_in_time_recovery_enabled: bool,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct StreamDef {
    pub stream_view_type: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SseDef {
    #[serde(rename = "SSEEnabled")]
    pub sse_enabled: bool,
}

impl TableDefinition {
    pub fn load() -> Self {
        serde_json::from_str(TABLE_DEFINITION).expect("infra/table.json is a table definition")
    }
}

fn keys(defs: &[KeyDef]) -> Result<Vec<KeySchemaElement>, String> {
    defs.iter()
        .map(|k| {
            KeySchemaElement::builder()
                .attribute_name(&k.attribute_name)
                .key_type(KeyType::from(k.key_type.as_str()))
                .build()
                .map_err(|e| e.to_string())
        })
        .collect()
}

/// Creates the table (and turns on point-in-time recovery) from the single definition.
pub async fn create_table(client: &Client, name: &str) -> Result<(), String> {
    let def = TableDefinition::load();
    let attributes = def
        .attribute_definitions
        .iter()
        .map(|a| {
            AttributeDefinition::builder()
                .attribute_name(&a.attribute_name)
                .attribute_type(ScalarAttributeType::from(a.attribute_type.as_str()))
                .build()
                .map_err(|e| e.to_string())
        })
        .collect::<Result<Vec<_>, _>>()?;
    let indexes = def
        .global_secondary_indexes
        .iter()
        .map(|i| {
            GlobalSecondaryIndex::builder()
                .index_name(&i.index_name)
                .set_key_schema(Some(keys(&i.key_schema)?))
                .projection(
                    Projection::builder()
                        .projection_type(ProjectionType::from(
                            i.projection.projection_type.as_str(),
                        ))
                        .build(),
                )
                .build()
                .map_err(|e| e.to_string())
        })
        .collect::<Result<Vec<_>, String>>()?;
    client
        .create_table()
        .table_name(name)
        .set_attribute_definitions(Some(attributes))
        .set_key_schema(Some(keys(&def.key_schema)?))
        .set_global_secondary_indexes(Some(indexes))
        .billing_mode(BillingMode::from(def.billing_mode.as_str()))
        .sse_specification(
            SseSpecification::builder()
                .enabled(def.sse_specification.sse_enabled)
                .build(),
        )
        .deletion_protection_enabled(def.deletion_protection_enabled)
        .stream_specification(
            StreamSpecification::builder()
                .stream_enabled(true)
                .stream_view_type(StreamViewType::from(
                    def.stream_specification.stream_view_type.as_str(),
                ))
                .build()
                .map_err(|e| e.to_string())?,
        )
        .send()
        .await
        .map_err(|e| format!("create table {name}: {}", DisplayErrorContext(e)))?;
    apply_table_settings(client, name, &def).await
}

/// What a table takes only once created: point-in-time recovery and its TTL.
async fn apply_table_settings(
    client: &Client,
    name: &str,
    def: &TableDefinition,
) -> Result<(), String> {
    if def
        .point_in_time_recovery_specification
        .point_in_time_recovery_enabled
    {
        let spec = PointInTimeRecoverySpecification::builder()
            .point_in_time_recovery_enabled(true)
            .build()
            .map_err(|e| e.to_string())?;
        client
            .update_continuous_backups()
            .table_name(name)
            .point_in_time_recovery_specification(spec)
            .send()
            .await
            .map_err(|e| {
                format!(
                    "point-in-time recovery on {name}: {}",
                    DisplayErrorContext(e)
                )
            })?;
    }
    let ttl = &def.time_to_live_specification;
    if ttl.enabled {
        let spec = TimeToLiveSpecification::builder()
            .attribute_name(&ttl.attribute_name)
            .enabled(true)
            .build()
            .map_err(|e| e.to_string())?;
        client
            .update_time_to_live()
            .table_name(name)
            .time_to_live_specification(spec)
            .send()
            .await
            .map_err(|e| format!("time to live on {name}: {}", DisplayErrorContext(e)))?;
    }
    Ok(())
}
