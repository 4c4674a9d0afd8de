//! What a customer's people do on its view: see the requests over their
//! tenant (an admin all of them, anyone else those that name them), and,
//! as an admin, reject, withdraw, name another reviewer, block a partner,
//! and take the record away for an auditor.

use std::collections::BTreeMap;

use consent_core::domain::{
    Actor, AuditEvent, Comment, ConsentRequest, Email, Lifted, PartnerBlock, RequestId, Slot,
    Status, TenantId, TenantKind,
};
use consent_core::text::display_time;
use consent_core::workflow::{self, Command, FieldError, Transition};
use time::OffsetDateTime;

use super::partner::fresh_ask_ids;
use super::{ConsentService, CustomerSession, ServiceError};
use crate::notify::{BlockEmail, BlockReader, block_notice};
use crate::ports::{Charge, History};

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

fn admin(session: &CustomerSession) -> Result<(), ServiceError> {
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

    /// A customer admin's command on one request over its tenant.
    async fn command_as_customer(
        &self,
        session: &CustomerSession,
        id: RequestId,
        command: impl Fn(&ConsentRequest) -> Command,
        charges: impl Fn(&Transition) -> Vec<Charge>,
    ) -> Result<ConsentRequest, ServiceError> {
        admin(session)?;
        let actor = Actor::Customer {
            signed_in: session.sign_in.clone(),
        };
        let transition = self
            .apply_charged_with_retry(
                id,
                None,
                |request| {
                    if request.target_tenant_id != session.tenant_id {
                        return Err(ServiceError::NotFound);
                    }
                    Ok(workflow::apply(
                        request,
                        command(request),
                        actor.clone(),
                        self.now(),
                        &self.settings.policy,
                    )?)
                },
                charges,
            )
            .await?;
        tracing::info!(request_id = %id, action = ?transition.audit.action, "a customer admin acted");
        Ok(self.carry_out(transition).await)
    }

    /// Rejects a pending request: Not Allowed, rejected by the customer.
    pub async fn customer_reject(
        &self,
        session: &CustomerSession,
        id: RequestId,
        reason: Option<Comment>,
    ) -> Result<ConsentRequest, ServiceError> {
        self.command_as_customer(
            session,
            id,
            |_| Command::CustomerReject {
                reason: reason.clone(),
            },
            |_| Vec::new(),
        )
        .await
    }

    /// Withdraws an allowed request's consent, as a reviewer's withdrawal does.
    pub async fn customer_withdraw(
        &self,
        session: &CustomerSession,
        id: RequestId,
        reason: Option<Comment>,
    ) -> Result<ConsentRequest, ServiceError> {
        admin(session)?;
        let request = self.customer_request(session, id, None).await?.0.request;
        let partner_contacts = self.partner_contacts(&request.partner_tenant_id).await?;
        self.command_as_customer(
            session,
            id,
            |_| Command::CustomerWithdraw {
                reason: reason.clone(),
                partner_contacts: partner_contacts.clone(),
            },
            |_| Vec::new(),
        )
        .await
    }

    /// Names another person of the organization as a pending request's
    /// reviewer: the new one is asked, the partner told.
    pub async fn customer_replace(
        &self,
        session: &CustomerSession,
        id: RequestId,
        slot: Slot,
        email: Email,
    ) -> Result<ConsentRequest, ServiceError> {
        admin(session)?;
        let request = self.customer_request(session, id, None).await?.0.request;
        let (partner, customer) = self
            .sides(&request.partner_tenant_id, &request.target_tenant_id)
            .await?;
        let unreachable = self
            .refuse_unreachable(&[("/email".to_owned(), email.clone())])
            .await?;
        if !unreachable.is_empty() {
            return Err(ServiceError::Invalid(unreachable));
        }
        self.command_as_customer(
            session,
            id,
            |_| Command::ReplaceReviewer {
                slot,
                email: email.clone(),
                confirmed_in_target_tenant: true,
                customer_domains: customer.domains.clone(),
                partner: partner.clone(),
                ask_ids: fresh_ask_ids(),
            },
            |transition| self.ask_charges(transition),
        )
        .await
    }

    async fn partner_contacts(&self, partner: &TenantId) -> Result<Vec<Email>, ServiceError> {
        Ok((self.directory.tenant(partner).await?)
            .map(|t| t.contacts)
            .unwrap_or_default())
    }

    /// Blocks a partner from asking again for the tenant, until `until` or
    /// until lifted; its partner admins and the tenant's contacts are told.
    pub async fn block_partner(
        &self,
        session: &CustomerSession,
        partner: &TenantId,
        until: Option<OffsetDateTime>,
        reason: Option<Comment>,
    ) -> Result<PartnerBlock, ServiceError> {
        admin(session)?;
        let now = self.now();
        let mut errors = Vec::new();
        let found = self.directory.tenant(partner).await?;
        if !found.is_some_and(|t| t.kind == TenantKind::Partner) {
            errors.push(FieldError::new(
                "/partner",
                "no partner tenant of this service has this id",
            ));
        }
        if until.is_some_and(|until| until <= now) {
            errors.push(FieldError::new("/until", "a date after today, or none"));
        }
        if !errors.is_empty() {
            return Err(ServiceError::Invalid(errors));
        }
        let block = PartnerBlock {
            customer: session.tenant_id.clone(),
            partner: partner.clone(),
            at: now,
            until,
            by: session.sign_in.clone(),
            reason,
            lifted: None,
        };
        self.store.put_block(&block).await?;
        tracing::info!(customer = %block.customer, partner = %block.partner, "a customer blocked a partner");
        self.tell_of_block(&block).await;
        Ok(block)
    }

    /// Lifts the tenant's block on `partner`; kept, lifted, for the record.
    pub async fn lift_block(
        &self,
        session: &CustomerSession,
        partner: &TenantId,
    ) -> Result<PartnerBlock, ServiceError> {
        admin(session)?;
        let now = self.now();
        let mut block = (self.store.block_of(&session.tenant_id, partner).await?)
            .filter(|b| b.in_force(now))
            .ok_or(ServiceError::NotFound)?;
        block.lifted = Some(Lifted {
            at: now,
            by: session.sign_in.clone(),
        });
        self.store.put_block(&block).await?;
        tracing::info!(customer = %block.customer, partner = %block.partner, "a customer lifted a block");
        self.tell_of_block(&block).await;
        Ok(block)
    }

    /// Tells the partner's admins and the tenant's contacts of a block or
    /// its lift; a failed send is logged (the block stands either way).
    async fn tell_of_block(&self, block: &PartnerBlock) {
        let Some(dispatcher) = &self.dispatcher else {
            return;
        };
        let ids = [block.partner.clone(), block.customer.clone()];
        let Ok(found) = self.directory.tenants(&ids).await else {
            tracing::warn!("the directory could not be read: nobody was told of a block");
            return;
        };
        let [partner, customer] = [&found[0], &found[1]];
        let name = |t: &Option<consent_core::domain::Tenant>, id: &TenantId| {
            t.as_ref()
                .map_or_else(|| id.to_string(), |t| t.name.clone())
        };
        let (partner_name, customer_name) = (name(partner, &ids[0]), name(customer, &ids[1]));
        let view_link = self.customer_view_link(None);
        let readers = [
            (partner, BlockReader::Partner),
            (customer, BlockReader::Customer),
        ];
        for (tenant, reader) in readers {
            let email = BlockEmail {
                block,
                partner_name: &partner_name,
                customer_name: &customer_name,
                reader,
                view_link: view_link.as_deref(),
            };
            for to in tenant.iter().flat_map(|t| t.contacts.iter()) {
                let outcome = dispatcher.send(block_notice(&email, to)).await;
                if !matches!(outcome, super::Outcome::Sent) {
                    tracing::warn!(outcome = ?outcome, "an email about a block was not sent");
                }
            }
        }
    }

    /// The customer's view, or one request on it, where links may point.
    pub fn customer_view_link(&self, request: Option<RequestId>) -> Option<String> {
        let base = self.settings.public_base_url.as_deref()?;
        Some(match request {
            Some(id) => format!("{base}{}/requests/{id}", super::CUSTOMER_PATH),
            None => format!("{base}{}", super::CUSTOMER_PATH),
        })
    }

    /// Every block the tenant has made, standing ones first.
    pub async fn customer_blocks(
        &self,
        session: &CustomerSession,
    ) -> Result<Vec<PartnerBlock>, ServiceError> {
        let now = self.now();
        let mut blocks = self.store.blocks_of(&session.tenant_id).await?;
        blocks.sort_by_key(|b| (!b.in_force(now), std::cmp::Reverse(b.at)));
        Ok(blocks)
    }

    /// Refuses a partner's new request (or new reviewer) while the customer blocks it.
    pub(super) async fn unless_blocked(
        &self,
        customer: &TenantId,
        partner: &TenantId,
    ) -> Result<(), ServiceError> {
        let now = self.now();
        match self.store.block_of(customer, partner).await? {
            Some(block) if block.in_force(now) => {
                let until = block.until.map_or_else(
                    || "until it lifts the block".to_owned(),
                    |until| format!("until {}", display_time(until)),
                );
                Err(ServiceError::Blocked(format!(
                    "the customer's organization ({customer}) has blocked consent requests from your tenant {until}; nobody of it is asked or emailed. Talk to the customer if you need access"
                )))
            }
            _ => Ok(()),
        }
    }
}
