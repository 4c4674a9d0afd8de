//! The access check: may a partner see a customer's environment, and its name?

use consent_core::domain::{
    ConsentRequest, EnvironmentId, RequestId, ScopeKey, Status, Tenant, TenantId,
};

use super::{ConsentService, ServiceError};
use crate::ports::{DirectoryError, TenantDirectory};

/// Answer to "may this partner see that environment's telemetry?".
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Access {
    /// No request was ever made for the environment.
    NoRequest,
    /// The partner's own tenant: no consent is needed. Its name, if the
    /// directory knows it.
    OwnTenant { name: Option<String> },
    /// The environment's newest request allows access now; the customer's
    /// name, if the directory knows it.
    Allowed {
        request_id: RequestId,
        customer_name: Option<String>,
    },
    /// The newest request does not (or no longer) give access: the partner
    /// sees neither name nor telemetry.
    Withheld {
        request_id: RequestId,
        status: Status,
    },
}

impl Access {
    /// The status the answer stands on: None without a request.
    pub fn status(&self) -> Option<Status> {
        match self {
            Access::NoRequest => None,
            Access::OwnTenant { .. } => Some(Status::NotApplicable),
            Access::Allowed { .. } => Some(Status::Allowed),
            Access::Withheld { status, .. } => Some(*status),
        }
    }

    pub fn request_id(&self) -> Option<RequestId> {
        match self {
            Access::Allowed { request_id, .. } | Access::Withheld { request_id, .. } => {
                Some(*request_id)
            }
            Access::NoRequest | Access::OwnTenant { .. } => None,
        }
    }

    /// The customer's name: only while access is given.
    pub fn customer_name(&self) -> Option<&str> {
        match self {
            Access::OwnTenant { name } => name.as_deref(),
            Access::Allowed { customer_name, .. } => customer_name.as_deref(),
            Access::NoRequest | Access::Withheld { .. } => None,
        }
    }
}

/// The access check and the directory lookups of the commands.
impl ConsentService {
    /// What `partner` may see of `target`'s environment: the same answer for
    /// a partner user (`/access`) and for a service acting for every partner
    /// (`/service/access`).
    pub async fn access(
        &self,
        partner: &TenantId,
        target: TenantId,
        environment: EnvironmentId,
    ) -> Result<Access, ServiceError> {
        if target == *partner {
            return Ok(Access::OwnTenant {
                name: self.tenant_name(&target).await?,
            });
        }
        let scope = ScopeKey {
            partner: partner.clone(),
            target: target.clone(),
            environment,
        };
        let Some(newest) = self.store.latest_in_scope(&scope).await? else {
            return Ok(Access::NoRequest);
        };
        // A term that ran out ends access at once, before the run records it.
        let status = newest.snapshot.status_at(self.now());
        Ok(if status.grants_access() {
            // The customer's name is resolved only once access is granted.
            Access::Allowed {
                request_id: newest.request_id,
                customer_name: self.tenant_name(&target).await?,
            }
        } else {
            Access::Withheld {
                request_id: newest.request_id,
                status,
            }
        })
    }

    async fn tenant_name(&self, id: &TenantId) -> Result<Option<String>, ServiceError> {
        Ok(self.directory.tenant(id).await?.map(|t| t.name))
    }

    /// Two tenants in one read of the directory.
    pub(super) async fn tenant_pair(
        &self,
        a: &TenantId,
        b: &TenantId,
    ) -> Result<[Option<Tenant>; 2], ServiceError> {
        let found = self.directory.tenants(&[a.clone(), b.clone()]).await?;
        let mut found = found.into_iter();
        Ok([found.next().flatten(), found.next().flatten()])
    }
}

/// The partner's and the customer's names for people, in one read of the directory.
pub(super) async fn names_of(
    directory: &dyn TenantDirectory,
    request: &ConsentRequest,
) -> Result<[String; 2], DirectoryError> {
    let ids = [
        request.partner_tenant_id.clone(),
        request.target_tenant_id.clone(),
    ];
    let mut names = directory.display_names(&ids).await?.into_iter();
    let partner = names.next().unwrap_or_else(|| ids[0].to_string());
    let customer = names.next().unwrap_or_else(|| ids[1].to_string());
    Ok([partner, customer])
}
