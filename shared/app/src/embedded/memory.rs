//! The embedded store: everything in one process's memory, with the same
//! contract as the DynamoDB store (versions, atomic audit, uniqueness, due query).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use async_trait::async_trait;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use time::OffsetDateTime;
use uuid::Uuid;

use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender};

use crate::ports::{Charge, ConsentStore, History, Page, ScopeState, StoreError};
use consent_core::domain::{
    AuditEvent, ConsentRequest, Email, PartnerBlock, RequestId, ScopeKey, ScopeSnapshot, TenantId,
    Undeliverable,
};
use consent_core::events::{ConsentEvent, events_of};

/// Sort key of the partner listing: creation time, then id.
type ListKey = (TenantId, i128, RequestId);
/// Sort key of the due index.
type DueKey = (OffsetDateTime, RequestId);

#[derive(Default)]
struct Tables {
    requests: HashMap<RequestId, ConsentRequest>,
    events: HashMap<RequestId, Vec<AuditEvent>>,
    /// The newest request of each scope.
    scopes: HashMap<ScopeKey, RequestId>,
    by_partner: BTreeSet<ListKey>,
    /// The same keys by target (customer) tenant.
    by_target: BTreeSet<ListKey>,
    due: BTreeSet<DueKey>,
    /// Send budget counters: the count and when its window ends.
    counters: HashMap<String, (u32, OffsetDateTime)>,
    /// Held addresses, by mailbox.
    holds: HashMap<String, Undeliverable>,
    blocks: BTreeMap<(TenantId, TenantId), PartnerBlock>,
}

#[derive(Default)]
pub struct MemoryStore {
    tables: Mutex<Tables>,
    items_read: AtomicU64,
    /// Where the consent events of each committed change go, in commit order
    /// (what the table's stream is to the DynamoDB store).
    event_feed: Option<UnboundedSender<ConsentEvent>>,
}

impl MemoryStore {
    pub fn new() -> Self {
        Self::default()
    }

    /// A store that hands the consent events of every committed change to the receiver.
    pub fn with_event_feed() -> (Self, UnboundedReceiver<ConsentEvent>) {
        let (sender, receiver) = tokio::sync::mpsc::unbounded_channel();
        let store = Self {
            event_feed: Some(sender),
            ..Self::default()
        };
        (store, receiver)
    }

    /// Called under the tables' lock, so that the feed's order is the commit order.
    fn feed(&self, request: &ConsentRequest, event: &AuditEvent) {
        if let Some(feed) = &self.event_feed {
            for consent_event in events_of(request, event) {
                // A receiver that has gone away wants no more events.
                let _ = feed.send(consent_event);
            }
        }
    }

    /// Request items read so far (for cost checks).
    pub fn items_read(&self) -> u64 {
        self.items_read.load(Ordering::Relaxed)
    }

    fn count_reads(&self, n: usize) {
        self.items_read.fetch_add(n as u64, Ordering::Relaxed);
    }
}

fn due_key(request: &ConsentRequest) -> Option<DueKey> {
    Some((request.next_due_at()?, request.id))
}

impl Tables {
    /// The first of `charges` at its limit, once windows that ended before
    /// `now` are forgotten.
    fn over_budget(&mut self, charges: &[Charge], now: OffsetDateTime) -> Result<(), StoreError> {
        self.counters.retain(|_, (_, ends)| *ends > now);
        match charges.iter().find(|c| {
            self.counters
                .get(&c.counter)
                .is_some_and(|(n, _)| *n >= c.limit)
        }) {
            Some(over) => Err(StoreError::OverBudget(over.clone())),
            None => Ok(()),
        }
    }

    fn count(&mut self, charges: &[Charge]) {
        for c in charges {
            self.counters
                .entry(c.counter.clone())
                .or_insert((0, c.window_ends))
                .0 += 1;
        }
    }

    fn index(&mut self, request: &ConsentRequest) {
        self.due.extend(due_key(request));
    }

    fn unindex(&mut self, request: &ConsentRequest) {
        if let Some(key) = due_key(request) {
            self.due.remove(&key);
        }
    }
}

fn encode_cursor(key: &ListKey) -> String {
    URL_SAFE_NO_PAD.encode(format!("{}|{}", key.1, key.2))
}

fn decode_cursor(partner: &TenantId, cursor: &str) -> Result<ListKey, StoreError> {
    let text = URL_SAFE_NO_PAD
        .decode(cursor)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .ok_or(StoreError::BadCursor)?;
    let (nanos, id) = text.split_once('|').ok_or(StoreError::BadCursor)?;
    let nanos = nanos.parse().map_err(|_| StoreError::BadCursor)?;
    let id = Uuid::try_parse(id).map_err(|_| StoreError::BadCursor)?;
    Ok((partner.clone(), nanos, RequestId(id)))
}

impl MemoryStore {
    /// A page of the listing `index` picks, at `tenant`, newest first.
    fn listing(
        &self,
        index: impl Fn(&Tables) -> &BTreeSet<ListKey>,
        tenant: &TenantId,
        limit: usize,
        cursor: Option<&str>,
    ) -> Result<Page, StoreError> {
        let upper = match cursor {
            Some(c) => std::ops::Bound::Excluded(decode_cursor(tenant, c)?),
            None => std::ops::Bound::Included((tenant.clone(), i128::MAX, RequestId(Uuid::max()))),
        };
        let lower = std::ops::Bound::Included((tenant.clone(), i128::MIN, RequestId(Uuid::nil())));
        let t = self.tables.lock().expect("store lock");
        let mut keys = index(&t).range((lower, upper)).rev();
        let page: Vec<&ListKey> = keys.by_ref().take(limit).collect();
        let more = keys.next().is_some();
        let items: Vec<ConsentRequest> = page.iter().map(|k| t.requests[&k.2].clone()).collect();
        self.count_reads(items.len());
        Ok(Page {
            next_cursor: (more && !page.is_empty()).then(|| encode_cursor(page[page.len() - 1])),
            items,
        })
    }
}

#[async_trait]
impl ConsentStore for MemoryStore {
    async fn insert_charged(
        &self,
        request: &ConsentRequest,
        event: &AuditEvent,
        charges: &[Charge],
    ) -> Result<(), StoreError> {
        let mut t = self.tables.lock().expect("store lock");
        if t.requests.contains_key(&request.id) {
            return Err(StoreError::VersionConflict);
        }
        // All or nothing: the budget first, then the scope, then the write.
        t.over_budget(charges, request.updated_at)?;
        let scope = request.scope_key();
        if let Some(existing) = t.scopes.get(&scope)
            && t.requests[existing].status().is_open()
        {
            return Err(StoreError::Duplicate {
                existing: *existing,
            });
        }
        t.count(charges);
        t.scopes.insert(scope, request.id);
        t.by_partner.insert((
            request.partner_tenant_id.clone(),
            request.created_at.unix_timestamp_nanos(),
            request.id,
        ));
        t.by_target.insert((
            request.target_tenant_id.clone(),
            request.created_at.unix_timestamp_nanos(),
            request.id,
        ));
        t.index(request);
        t.requests.insert(request.id, request.clone());
        t.events.insert(request.id, vec![event.clone()]);
        self.feed(request, event);
        Ok(())
    }

    async fn update_charged(
        &self,
        request: &ConsentRequest,
        event: &AuditEvent,
        charges: &[Charge],
    ) -> Result<(), StoreError> {
        let mut t = self.tables.lock().expect("store lock");
        t.over_budget(charges, request.updated_at)?;
        let old = match t.requests.get(&request.id) {
            Some(old) if old.version + 1 == request.version => old.clone(),
            _ => return Err(StoreError::VersionConflict),
        };
        // Only the newest request of a scope changes status (as the scope
        // item's condition holds on DynamoDB).
        let newest = t.scopes.get(&request.scope_key()) == Some(&request.id);
        if event.from_status != Some(event.to_status) && !newest {
            return Err(StoreError::VersionConflict);
        }
        t.count(charges);
        t.unindex(&old);
        t.index(request);
        t.requests.insert(request.id, request.clone());
        t.events.entry(request.id).or_default().push(event.clone());
        self.feed(request, event);
        Ok(())
    }

    async fn get(&self, id: RequestId) -> Result<Option<ConsentRequest>, StoreError> {
        let found = self
            .tables
            .lock()
            .expect("store lock")
            .requests
            .get(&id)
            .cloned();
        self.count_reads(usize::from(found.is_some()));
        Ok(found)
    }

    async fn history_page(
        &self,
        id: RequestId,
        limit: usize,
        before: Option<u64>,
    ) -> Result<Option<(ConsentRequest, History)>, StoreError> {
        let t = self.tables.lock().expect("store lock");
        let found = t.requests.get(&id).map(|r| {
            let all = t.events.get(&id).map(Vec::as_slice).unwrap_or_default();
            let below: Vec<&AuditEvent> = all
                .iter()
                .filter(|e| before.is_none_or(|b| e.version < b))
                .collect();
            let first = below.len().saturating_sub(limit);
            let events: Vec<AuditEvent> = below[first..].iter().map(|e| (*e).clone()).collect();
            let older = (first > 0)
                .then(|| events.first().map(|e| e.version))
                .flatten();
            (r.clone(), History { events, older })
        });
        self.count_reads(found.as_ref().map_or(0, |(_, h)| 1 + h.events.len()));
        Ok(found)
    }

    async fn list_by_partner(
        &self,
        partner: &TenantId,
        limit: usize,
        cursor: Option<&str>,
    ) -> Result<Page, StoreError> {
        self.listing(|t| &t.by_partner, partner, limit, cursor)
    }

    async fn list_by_target(
        &self,
        target: &TenantId,
        limit: usize,
        cursor: Option<&str>,
    ) -> Result<Page, StoreError> {
        self.listing(|t| &t.by_target, target, limit, cursor)
    }

    async fn latest_in_scope(&self, scope: &ScopeKey) -> Result<Option<ScopeState>, StoreError> {
        let t = self.tables.lock().expect("store lock");
        let found = t.scopes.get(scope).map(|id| ScopeState {
            request_id: *id,
            snapshot: ScopeSnapshot::of(&t.requests[id]),
        });
        self.count_reads(usize::from(found.is_some()));
        Ok(found)
    }

    async fn hold_address(&self, hold: &Undeliverable) -> Result<(), StoreError> {
        let mut t = self.tables.lock().expect("store lock");
        t.holds.insert(hold.email.mailbox(), hold.clone());
        Ok(())
    }

    async fn address_hold(
        &self,
        email: &Email,
        now: OffsetDateTime,
    ) -> Result<Option<Undeliverable>, StoreError> {
        let t = self.tables.lock().expect("store lock");
        Ok(t.holds
            .get(&email.mailbox())
            .filter(|hold| hold.until > now)
            .cloned())
    }

    async fn put_block(&self, block: &PartnerBlock) -> Result<(), StoreError> {
        let mut t = self.tables.lock().expect("store lock");
        let key = (block.customer.clone(), block.partner.clone());
        t.blocks.insert(key, block.clone());
        Ok(())
    }

    async fn block_of(
        &self,
        customer: &TenantId,
        partner: &TenantId,
    ) -> Result<Option<PartnerBlock>, StoreError> {
        let t = self.tables.lock().expect("store lock");
        Ok(t.blocks.get(&(customer.clone(), partner.clone())).cloned())
    }

    async fn blocks_of(&self, customer: &TenantId) -> Result<Vec<PartnerBlock>, StoreError> {
        let t = self.tables.lock().expect("store lock");
        Ok((t.blocks.iter())
            .filter(|((c, _), _)| c == customer)
            .map(|(_, b)| b.clone())
            .collect())
    }

    async fn due_requests(
        &self,
        now: OffsetDateTime,
        limit: usize,
    ) -> Result<Vec<ConsentRequest>, StoreError> {
        let t = self.tables.lock().expect("store lock");
        let due: Vec<ConsentRequest> = t
            .due
            .iter()
            .take_while(|(at, _)| *at <= now)
            .take(limit)
            .map(|(_, id)| t.requests[id].clone())
            .collect();
        self.count_reads(due.len());
        Ok(due)
    }
}
