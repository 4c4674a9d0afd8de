//! Send budget counters in the consent table: one item per counter and
//! window (`BUDGET#<counter>` / `COUNT`), incremented in the transaction of
//! the write that spends it, and refused at its limit.

use aws_sdk_dynamodb::types::{AttributeValue, CancellationReason, TransactWriteItem, Update};
use consent_app::ports::{Charge, StoreError};

use super::items::s;
use super::store::{DynamoStore, built, failed_condition};

impl DynamoStore {
    /// The increment of a send budget's counter, refused at its limit. The
    /// item expires (TTL) a day after its window ends.
    pub(super) fn charge_item(&self, charge: &Charge) -> Result<TransactWriteItem, StoreError> {
        let expires = charge.window_ends.unix_timestamp() + 86_400;
        Ok(TransactWriteItem::builder()
            .update(built(
                Update::builder()
                    .table_name(&self.table)
                    .key("pk", s(format!("BUDGET#{}", charge.counter)))
                    .key("sk", s("COUNT"))
                    .update_expression("ADD #n :one SET expires_at = :expires")
                    .condition_expression("attribute_not_exists(#n) OR #n < :limit")
                    .expression_attribute_names("#n", "n")
                    .expression_attribute_values(":one", AttributeValue::N("1".to_owned()))
                    .expression_attribute_values(
                        ":limit",
                        AttributeValue::N(charge.limit.to_string()),
                    )
                    .expression_attribute_values(":expires", AttributeValue::N(expires.to_string()))
                    .build(),
            )?)
            .build())
    }

    /// Writes `items` and the increments of `charges` in one transaction; a
    /// charge at its limit is [`StoreError::OverBudget`], other refusals are
    /// the per-item reasons.
    pub(super) async fn transact_charged(
        &self,
        mut items: Vec<TransactWriteItem>,
        charges: &[Charge],
    ) -> Result<Result<(), Vec<CancellationReason>>, StoreError> {
        for charge in charges {
            items.push(self.charge_item(charge)?);
        }
        match self.transact(items).await? {
            Err(reasons) => match Self::over_budget(charges, &reasons) {
                Some(over) => Err(over),
                None => Ok(Err(reasons)),
            },
            Ok(()) => Ok(Ok(())),
        }
    }

    /// The first of `charges` whose increment failed its condition, when
    /// they are the last items of a canceled transaction.
    fn over_budget(charges: &[Charge], reasons: &[CancellationReason]) -> Option<StoreError> {
        let first = reasons.len().checked_sub(charges.len())?;
        charges
            .iter()
            .zip(&reasons[first..])
            .find(|(_, reason)| failed_condition(Some(reason)))
            .map(|(charge, _)| StoreError::OverBudget(charge.clone()))
    }
}
