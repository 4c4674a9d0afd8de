//! Counts DynamoDB calls and the capacity units they would consume on demand:
//! 2 write units per KB of each item in a transaction, 1 read unit per 4 KB
//! read strongly consistent (as the store reads).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use aws_sdk_dynamodb::config::Intercept;
use aws_sdk_dynamodb::config::interceptors::{
    AfterDeserializationInterceptorContextRef, BeforeSerializationInterceptorContextRef,
};
use aws_sdk_dynamodb::operation::get_item::GetItemOutput;
use aws_sdk_dynamodb::operation::query::QueryOutput;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsInput;
use aws_sdk_dynamodb::types::AttributeValue;
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_types::config_bag::ConfigBag;

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Usage {
    pub calls: HashMap<String, u64>,
    pub write_units: f64,
    pub read_units: f64,
}

impl Usage {
    pub fn total_calls(&self) -> u64 {
        self.calls.values().sum()
    }
}

#[derive(Clone, Debug, Default)]
pub struct Capacity(Arc<Mutex<Usage>>);

impl Capacity {
    pub fn take(&self) -> Usage {
        std::mem::take(&mut *self.0.lock().unwrap())
    }
}

/// DynamoDB's item size: attribute names plus values.
fn item_size(item: &HashMap<String, AttributeValue>) -> usize {
    item.iter().map(|(k, v)| k.len() + value_size(v)).sum()
}

fn value_size(v: &AttributeValue) -> usize {
    match v {
        AttributeValue::S(s) | AttributeValue::N(s) => s.len(),
        AttributeValue::B(b) => b.as_ref().len(),
        AttributeValue::Bool(_) | AttributeValue::Null(_) => 1,
        AttributeValue::M(m) => 3 + item_size(m),
        AttributeValue::L(l) => 3 + l.iter().map(|v| 1 + value_size(v)).sum::<usize>(),
        AttributeValue::Ss(s) | AttributeValue::Ns(s) => s.iter().map(String::len).sum(),
        _ => 0,
    }
}

fn units(bytes: usize, unit: usize) -> f64 {
    bytes.div_ceil(unit).max(1) as f64
}

impl Intercept for Capacity {
    fn name(&self) -> &'static str {
        "Capacity"
    }

    fn read_before_serialization(
        &self,
        context: &BeforeSerializationInterceptorContextRef<'_>,
        _components: &aws_sdk_dynamodb::config::RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let name = cfg
            .load::<Metadata>()
            .map_or_else(|| "unknown".to_owned(), |m| m.name().to_owned());
        let mut usage = self.0.lock().unwrap();
        *usage.calls.entry(name).or_default() += 1;
        if let Some(input) = context.input().downcast_ref::<TransactWriteItemsInput>() {
            for item in input.transact_items() {
                let size = if let Some(put) = item.put() {
                    item_size(put.item())
                } else if let Some(update) = item.update() {
                    item_size(update.key()) + update.update_expression().len()
                } else if let Some(delete) = item.delete() {
                    item_size(delete.key())
                } else {
                    item.condition_check().map_or(0, |c| item_size(c.key()))
                };
                usage.write_units += 2.0 * units(size, 1024);
            }
        }
        Ok(())
    }

    fn read_after_deserialization(
        &self,
        context: &AfterDeserializationInterceptorContextRef<'_>,
        _components: &aws_sdk_dynamodb::config::RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if let Ok(output) = context.output_or_error() {
            let read = if let Some(q) = output.downcast_ref::<QueryOutput>() {
                Some(q.items().iter().map(item_size).sum::<usize>())
            } else {
                output
                    .downcast_ref::<GetItemOutput>()
                    .map(|g| g.item().map_or(0, item_size))
            };
            if let Some(bytes) = read {
                self.0.lock().unwrap().read_units += units(bytes, 4096);
            }
        }
        Ok(())
    }
}
