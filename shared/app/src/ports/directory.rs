//! Who tenants are.

use async_trait::async_trait;
use consent_core::domain::{Tenant, TenantId};

use super::BoxError;

/// Why the directory did not answer.
#[derive(Debug, thiserror::Error)]
pub enum DirectoryError {
    /// It could not be reached; the caller may retry.
    #[error("the tenant directory is unavailable: {}", super::chain(.0.as_ref()))]
    Unavailable(#[source] BoxError),
    /// It holds a tenant this service cannot read.
    #[error("the tenant directory holds what this service cannot read: {what}")]
    Corrupt { what: String },
}

impl DirectoryError {
    pub fn unavailable(e: impl Into<BoxError>) -> Self {
        DirectoryError::Unavailable(e.into())
    }

    pub fn corrupt(what: impl Into<String>) -> Self {
        DirectoryError::Corrupt { what: what.into() }
    }
}

/// Who tenants are.
#[async_trait]
pub trait TenantDirectory: Send + Sync {
    /// A tenant, None when the directory does not know it.
    async fn tenant(&self, id: &TenantId) -> Result<Option<Tenant>, DirectoryError>;

    /// Several tenants at once, in the order asked (a store may read them in one call).
    async fn tenants(&self, ids: &[TenantId]) -> Result<Vec<Option<Tenant>>, DirectoryError> {
        let mut found = Vec::with_capacity(ids.len());
        for id in ids {
            found.push(self.tenant(id).await?);
        }
        Ok(found)
    }

    /// Names for people: each tenant's name, or its id when the directory no
    /// longer knows it.
    async fn display_names(&self, ids: &[TenantId]) -> Result<Vec<String>, DirectoryError> {
        Ok(self
            .tenants(ids)
            .await?
            .into_iter()
            .zip(ids)
            .map(|(tenant, id)| tenant.map_or_else(|| id.to_string(), |t| t.name))
            .collect())
    }
}
