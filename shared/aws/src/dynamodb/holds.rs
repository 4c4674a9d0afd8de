//! Held addresses in the consent table: one item per mailbox that bounced or
//! complained (`HOLD#<mailbox>` / `HOLD`), expiring (TTL) when the hold ends.

use consent_app::ports::StoreError;
use consent_core::domain::{Email, Undeliverable};
use time::OffsetDateTime;

use super::items::{body_of, s};
use super::store::DynamoStore;

fn hold_key(email: &Email) -> String {
    format!("HOLD#{}", email.mailbox())
}

impl DynamoStore {
    pub(super) async fn put_hold(&self, hold: &Undeliverable) -> Result<(), StoreError> {
        let body = serde_json::to_string(hold).map_err(|e| StoreError::corrupt(e.to_string()))?;
        self.client
            .put_item()
            .table_name(&self.table)
            .item("pk", s(hold_key(&hold.email)))
            .item("sk", s("HOLD"))
            .item("body", s(body))
            .item(
                "expires_at",
                aws_sdk_dynamodb::types::AttributeValue::N(hold.until.unix_timestamp().to_string()),
            )
            .send()
            .await
            .map_err(StoreError::unavailable)?;
        Ok(())
    }

    /// TTL deletes an ended hold some time after it ends: one still stored
    /// may have ended.
    pub(super) async fn get_hold(
        &self,
        email: &Email,
        now: OffsetDateTime,
    ) -> Result<Option<Undeliverable>, StoreError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("pk", s(hold_key(email)))
            .key("sk", s("HOLD"))
            .consistent_read(true)
            .send()
            .await
            .map_err(StoreError::unavailable)?;
        let hold: Option<Undeliverable> = out.item().map(body_of).transpose()?;
        Ok(hold.filter(|h| h.until > now))
    }
}
