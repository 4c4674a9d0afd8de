//! The scope item of the consent table (`SCOPE#…` / `SCOPE`): a scope's
//! newest request and where it stands, which the access check reads.

use consent_app::ports::{ScopeState, StoreError};
use consent_core::domain::{RequestId, ScopeKey, ScopeSnapshot};

use super::items::{corrupt, s, scope_key};
use super::store::DynamoStore;

impl DynamoStore {
    pub(super) async fn read_scope(
        &self,
        scope: &ScopeKey,
    ) -> Result<Option<ScopeState>, StoreError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("pk", s(scope_key(scope)))
            .key("sk", s("SCOPE"))
            .consistent_read(true)
            .send()
            .await
            .map_err(StoreError::unavailable)?;
        let Some(item) = out.item() else {
            return Ok(None);
        };
        let text = |k: &str| item.get(k).and_then(|v| v.as_s().ok());
        let request_id = text("request_id")
            .and_then(|id| RequestId::parse(id))
            .ok_or_else(|| corrupt("scope without request id"))?;
        let snapshot: ScopeSnapshot = text("state")
            .and_then(|st| serde_json::from_str(st).ok())
            .ok_or_else(|| corrupt("scope without status"))?;
        Ok(Some(ScopeState {
            request_id,
            snapshot,
        }))
    }
}
