//! A customer admin's blocks on partners: while one stands, the partner's
//! new requests (and reviewer changes) for the tenant are refused, and its
//! admins and the customer's contacts are told of it and of its lifting.

use consent_core::domain::{Comment, Lifted, PartnerBlock, RequestId, TenantId, TenantKind};
use consent_core::text::display_time;
use consent_core::workflow::FieldError;
use time::OffsetDateTime;

use super::customer::admin;
use super::{ConsentService, CustomerSession, ServiceError};
use crate::notify::{BlockEmail, BlockReader, block_notice};

impl ConsentService {
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
