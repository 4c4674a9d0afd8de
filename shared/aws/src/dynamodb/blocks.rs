//! Customers' blocks on partners in the consent table: one item per
//! customer and partner (`BLOCK#<customer>` / `PARTNER#<partner>`), kept
//! after it is lifted or runs out, for the customer's record.

use consent_app::ports::StoreError;
use consent_core::domain::{PartnerBlock, TenantId};

use super::items::{body_of, s};
use super::store::DynamoStore;

fn block_key(customer: &TenantId) -> String {
    format!("BLOCK#{customer}")
}

fn partner_key(partner: &TenantId) -> String {
    format!("PARTNER#{partner}")
}

impl DynamoStore {
    pub(super) async fn write_block(&self, block: &PartnerBlock) -> Result<(), StoreError> {
        let body = serde_json::to_string(block).map_err(|e| StoreError::corrupt(e.to_string()))?;
        self.client
            .put_item()
            .table_name(&self.table)
            .item("pk", s(block_key(&block.customer)))
            .item("sk", s(partner_key(&block.partner)))
            .item("body", s(body))
            .send()
            .await
            .map_err(StoreError::unavailable)?;
        Ok(())
    }

    pub(super) async fn read_block(
        &self,
        customer: &TenantId,
        partner: &TenantId,
    ) -> Result<Option<PartnerBlock>, StoreError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("pk", s(block_key(customer)))
            .key("sk", s(partner_key(partner)))
            .consistent_read(true)
            .send()
            .await
            .map_err(StoreError::unavailable)?;
        out.item().map(body_of).transpose()
    }

    /// Every page of the customer's blocks (one per partner it ever blocked).
    pub(super) async fn read_blocks(
        &self,
        customer: &TenantId,
    ) -> Result<Vec<PartnerBlock>, StoreError> {
        let items = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("pk = :pk AND begins_with(sk, :partner)")
            .expression_attribute_values(":pk", s(block_key(customer)))
            .expression_attribute_values(":partner", s("PARTNER#"))
            .consistent_read(true)
            .into_paginator()
            .items()
            .send()
            .collect::<Result<Vec<_>, _>>()
            .await
            .map_err(StoreError::unavailable)?;
        items.iter().map(body_of).collect()
    }
}
