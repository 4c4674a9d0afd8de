//! The tenants the development sign-in offers.

use consent_app::embedded::directory::CachedDirectory;
use consent_app::ports::TenantDirectory;
use consent_aws::dynamodb::directory::DynamoDirectory;
use consent_core::domain::{Tenant, TenantId};

/// The tenants the development sign-in offers.
pub enum SignInTenants {
    /// A directory file's tenants.
    Listed(Vec<Tenant>),
    /// The table's directory: its first page read at each sign-in; single
    /// tenants (the signed-in one, on every page) through the bounded cache.
    Table {
        directory: DynamoDirectory,
        cached: CachedDirectory,
    },
}

/// At most this many tenants are offered to choose from; with more, the
/// sign-in asks for the tenant's id.
pub const SIGN_IN_CHOICES: usize = 200;

impl SignInTenants {
    /// The tenants to choose from, and whether the directory holds more.
    pub async fn offered(&self) -> Result<(Vec<Tenant>, bool), String> {
        match self {
            SignInTenants::Listed(tenants) => Ok((
                tenants.iter().take(SIGN_IN_CHOICES).cloned().collect(),
                tenants.len() > SIGN_IN_CHOICES,
            )),
            SignInTenants::Table { directory, .. } => directory
                .first(SIGN_IN_CHOICES)
                .await
                .map_err(|e| e.to_string()),
        }
    }

    pub(super) async fn find(&self, id: &str) -> Option<Tenant> {
        let id = TenantId::parse(id).ok()?;
        match self {
            SignInTenants::Listed(tenants) => tenants.iter().find(|t| t.id == id).cloned(),
            SignInTenants::Table { cached, .. } => cached.tenant(&id).await.ok().flatten(),
        }
    }
}
