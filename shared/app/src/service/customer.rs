//! What a customer's people do on its view: see the requests over their
//! tenant (an admin all of them, anyone else those that name them), and,
//! as an admin, reject, withdraw, name another reviewer, block a partner,
//! and take the record away for an auditor.

use std::collections::BTreeMap;

use consent_core::domain::{AuditEvent, ConsentRequest, PartnerBlock, RequestId, Status, TenantId};

use super::{ConsentService, CustomerSession, ServiceError};
use crate::ports::History;

/// Requests one page of the view shows (about; a filtered page may hold fewer).
pub const CUSTOMER_PAGE: usize = 20;
/// Reads of the index one page makes at most, however few requests match.
const READS_PER_PAGE: usize = 5;

/// The view's status filter, as a customer thinks of a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StatusGroup {
    Pending,
    Allowed,
    /// Not allowed or canceled: nothing is asked and nothing is given.
    Ended,
}

impl StatusGroup {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "pending" => Some(Self::Pending),
            "allowed" => Some(Self::Allowed),
            "ended" => Some(Self::Ended),
            _ => None,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Allowed => "allowed",
            Self::Ended => "ended",
        }
    }

    pub fn holds(self, status: Status) -> bool {
        match self {
            Self::Pending => status == Status::Pending,
            Self::Allowed => status == Status::Allowed,
            Self::Ended => !status.is_open(),
        }
    }
}

/// What the view is narrowed to.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CustomerFilter {
    pub status: Option<StatusGroup>,
    pub partner: Option<TenantId>,
}

impl CustomerFilter {
    fn holds(&self, request: &ConsentRequest) -> bool {
        self.status.is_none_or(|s| s.holds(request.status()))
            && (self.partner.as_ref()).is_none_or(|p| *p == request.partner_tenant_id)
    }
}

/// A request as the customer sees it: with the partner's name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CustomerItem {
    pub request: ConsentRequest,
    pub partner_name: String,
}

/// One page of the view, newest first.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CustomerPage {
    pub items: Vec<CustomerItem>,
    /// Pass back for the next page; None on the last.
    pub next_cursor: Option<String>,
}

/// One request of the record, with its whole history.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordedRequest {
    pub item: CustomerItem,
    pub history: Vec<AuditEvent>,
}

pub(super) fn admin(session: &CustomerSession) -> Result<(), ServiceError> {
    if session.admin {
        Ok(())
    } else {
        Err(ServiceError::Forbidden(
            "only an admin of your organization may do this: someone with the customer admin role, or a contact the tenant directory lists",
        ))
    }
}

impl ConsentService {
    /// A page of the requests `session` may see, narrowed by `filter`.
    pub async fn customer_requests(
        &self,
        session: &CustomerSession,
        filter: &CustomerFilter,
        cursor: Option<&str>,
    ) -> Result<CustomerPage, ServiceError> {
        let person = session.person();
        let mut found = Vec::new();
        let mut cursor = cursor.map(str::to_owned);
        for _ in 0..READS_PER_PAGE {
            let page = (self.store)
                .list_by_target(&session.tenant_id, CUSTOMER_PAGE, cursor.as_deref())
                .await?;
            found.extend((page.items.into_iter()).filter(|r| person.may_see(r) && filter.holds(r)));
            cursor = page.next_cursor;
            if found.len() >= CUSTOMER_PAGE || cursor.is_none() {
                break;
            }
        }
        Ok(CustomerPage {
            items: self.with_partner_names(found).await?,
            next_cursor: cursor,
        })
    }

    async fn with_partner_names(
        &self,
        requests: Vec<ConsentRequest>,
    ) -> Result<Vec<CustomerItem>, ServiceError> {
        let mut ids: Vec<TenantId> = requests
            .iter()
            .map(|r| r.partner_tenant_id.clone())
            .collect();
        ids.sort();
        ids.dedup();
        let names: BTreeMap<TenantId, String> = ids
            .iter()
            .cloned()
            .zip(self.directory.display_names(&ids).await?)
            .collect();
        Ok(requests
            .into_iter()
            .map(|request| CustomerItem {
                partner_name: (names.get(&request.partner_tenant_id).cloned())
                    .unwrap_or_else(|| request.partner_tenant_id.to_string()),
                request,
            })
            .collect())
    }

    /// One request `session` may see, with a page of its history; another
    /// tenant's, or one not naming a plain member, is not found.
    pub async fn customer_request(
        &self,
        session: &CustomerSession,
        id: RequestId,
        before: Option<u64>,
    ) -> Result<(CustomerItem, History), ServiceError> {
        let (request, history) = match self.store.history_page(id, 200, before).await? {
            Some((request, history)) if session.person().may_see(&request) => (request, history),
            _ => return Err(ServiceError::NotFound),
        };
        let item = self.with_partner_names(vec![request]).await?.remove(0);
        Ok((item, history))
    }

    /// Every request over the tenant with its whole history, and the
    /// tenant's blocks: the record an auditor takes away.
    pub async fn customer_record(
        &self,
        session: &CustomerSession,
    ) -> Result<(Vec<RecordedRequest>, Vec<PartnerBlock>), ServiceError> {
        admin(session)?;
        let mut requests = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let page = (self.store)
                .list_by_target(&session.tenant_id, 100, cursor.as_deref())
                .await?;
            requests.extend(page.items);
            cursor = page.next_cursor;
            if cursor.is_none() {
                break;
            }
        }
        let mut recorded = Vec::with_capacity(requests.len());
        for item in self.with_partner_names(requests).await? {
            let history = (self.store.get_with_history(item.request.id).await?)
                .map(|(_, events)| events)
                .unwrap_or_default();
            recorded.push(RecordedRequest { item, history });
        }
        let blocks = self.store.blocks_of(&session.tenant_id).await?;
        Ok((recorded, blocks))
    }
}
