//! The tenant directory's file format, the directory read from such a file,
//! and the bounded cache in front of a directory held in a store.
//!
//! The file (the embedded default and the import format):
//! `{"tenants": [{"id": "contoso", "name": "Contoso Ltd", "domains": ["contoso.com"],
//! "contacts": ["admin@…"]}, {"id": "partner-fabrikam", "kind": "partner", …}, …]}`.
//! `kind` (optional): `partner` for a tenant that asks for consent, else
//! `customer`; `domains` (optional): the organization's verified email
//! domains (a customer's reviewers must be at one, a partner's people may be
//! no reviewer); `contacts` (optional): who to tell of the tenant's consents;
//! `signIn` (optional): `{"issuer": "https://…", "requireMfa": true}`, the
//! tenant's own OpenID Connect issuer (for providers without a tenant claim)
//! and whether its reviewers must sign in with multi-factor authentication.

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::path::Path;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use time::{Duration, OffsetDateTime};

use crate::ports::{Clock, DirectoryError, TenantDirectory};
use consent_core::domain::{Domain, Email, Tenant, TenantId, TenantKind, TenantSignIn};

/// One entry of the file as written, before it is checked.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    id: String,
    name: String,
    /// `partner` or `customer` (the default).
    #[serde(default)]
    kind: TenantKind,
    #[serde(default)]
    domains: Vec<String>,
    #[serde(default)]
    contacts: Vec<String>,
    #[serde(default, rename = "signIn")]
    sign_in: SignInEntry,
}

/// `signIn` (optional): `{"issuer": "https://…", "requireMfa": true}`.
#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct SignInEntry {
    issuer: Option<String>,
    #[serde(default)]
    require_mfa: bool,
}

/// The file as written by `tenants export`.
#[derive(Serialize)]
struct FileOut<'a> {
    tenants: &'a [Tenant],
}

/// What is wrong with a directory file: the file as a whole, or its entries
/// (each by index, every one of them).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FileProblem {
    Malformed(String),
    Entries(Vec<EntryProblem>),
}

/// A bad entry: its index in `tenants` (from 0), its id if it has one, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EntryProblem {
    pub index: usize,
    pub id: Option<String>,
    pub problem: String,
}

impl fmt::Display for EntryProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.id {
            Some(id) => write!(f, "tenants[{}] ({id:?}): {}", self.index, self.problem),
            None => write!(f, "tenants[{}]: {}", self.index, self.problem),
        }
    }
}

impl fmt::Display for FileProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Malformed(why) => write!(f, "not a tenant directory file: {why}"),
            Self::Entries(problems) => {
                match problems.len() {
                    1 => write!(f, "1 bad entry:")?,
                    n => write!(f, "{n} bad entries:")?,
                }
                for p in problems {
                    write!(f, "\n  {p}")?;
                }
                Ok(())
            }
        }
    }
}

/// Reads a directory file, checking every entry; all problems are reported at once.
pub fn parse_tenants(text: &str) -> Result<Vec<Tenant>, FileProblem> {
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct File {
        tenants: Vec<serde_json::Value>,
    }
    let file: File =
        serde_json::from_str(text).map_err(|e| FileProblem::Malformed(e.to_string()))?;
    let mut problems = Vec::new();
    let mut tenants = Vec::with_capacity(file.tenants.len());
    let mut first_index: HashMap<TenantId, usize> = HashMap::new();
    for (index, value) in file.tenants.into_iter().enumerate() {
        let id = value.get("id").and_then(|v| v.as_str()).map(str::to_owned);
        let problem = |problem: String| EntryProblem {
            index,
            id: id.clone(),
            problem,
        };
        let entry = match Entry::deserialize(value) {
            Ok(entry) => entry,
            Err(e) => {
                problems.push(problem(e.to_string()));
                continue;
            }
        };
        match tenant_of(entry) {
            Err(why) => problems.push(problem(why)),
            Ok(tenant) => match first_index.get(&tenant.id) {
                Some(first) => {
                    problems.push(problem(format!("the same id as tenants[{first}]")));
                }
                None => {
                    first_index.insert(tenant.id.clone(), index);
                    tenants.push(tenant);
                }
            },
        }
    }
    if problems.is_empty() {
        Ok(tenants)
    } else {
        Err(FileProblem::Entries(problems))
    }
}

/// The directory file of `tenants`, sorted by id, as `parse_tenants` reads it.
pub fn tenants_file(tenants: &[Tenant]) -> String {
    let mut sorted = tenants.to_vec();
    sorted.sort_by(|a, b| a.id.cmp(&b.id));
    serde_json::to_string_pretty(&FileOut { tenants: &sorted }).unwrap_or_default()
}

/// Checks one entry; the first problem found is its reason.
fn tenant_of(entry: Entry) -> Result<Tenant, String> {
    let id = TenantId::parse(&entry.id).map_err(|e| format!("id: {}", e.message()))?;
    let name = Tenant::parse_name(&entry.name).map_err(|e| format!("name: {}", e.message()))?;
    let domains = listed(&entry.domains, "domains", Domain::parse, |a, b| a == b)?;
    let contacts = listed(
        &entry.contacts,
        "contacts",
        Email::parse,
        Email::same_person,
    )?;
    let issuer = entry
        .sign_in
        .issuer
        .as_deref()
        .map(TenantSignIn::parse_issuer)
        .transpose()
        .map_err(|e| format!("signIn.issuer: {}", e.message()))?;
    Ok(Tenant {
        id,
        name,
        kind: entry.kind,
        domains,
        contacts,
        sign_in: TenantSignIn {
            issuer,
            require_mfa: entry.sign_in.require_mfa,
        },
    })
}

/// The values of a list, parsed and without repeats, or which one is bad.
fn listed<T>(
    raw: &[String],
    field: &str,
    parse: impl Fn(&str) -> Result<T, consent_core::domain::InvalidValue>,
    same: impl Fn(&T, &T) -> bool,
) -> Result<Vec<T>, String> {
    if raw.len() > Tenant::MAX_LIST_LEN {
        return Err(format!("{field}: at most {}", Tenant::MAX_LIST_LEN));
    }
    let mut values = Vec::with_capacity(raw.len());
    for (i, text) in raw.iter().enumerate() {
        let value = parse(text).map_err(|e| format!("{field}[{i}] {text:?}: {}", e.message()))?;
        if !values.iter().any(|v| same(v, &value)) {
            values.push(value);
        }
    }
    Ok(values)
}

/// A directory held in memory, read from a file.
#[derive(Clone, Debug, Default)]
pub struct StaticDirectory {
    tenants: HashMap<TenantId, Tenant>,
}

impl StaticDirectory {
    pub fn new(tenants: impl IntoIterator<Item = Tenant>) -> Self {
        Self {
            tenants: tenants.into_iter().map(|t| (t.id.clone(), t)).collect(),
        }
    }

    /// Sets the contacts of a tenant it holds.
    pub fn with_contacts(mut self, id: TenantId, contacts: Vec<Email>) -> Self {
        if let Some(tenant) = self.tenants.get_mut(&id) {
            tenant.contacts = contacts;
        }
        self
    }

    pub fn from_json(text: &str) -> Result<Self, String> {
        parse_tenants(text)
            .map(Self::new)
            .map_err(|e| format!("tenant directory: {e}"))
    }

    pub fn from_file(path: &Path) -> Result<Self, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("tenant directory {}: {e}", path.display()))?;
        Self::from_json(&text).map_err(|e| format!("{} ({})", e, path.display()))
    }
}

#[async_trait]
impl TenantDirectory for StaticDirectory {
    async fn tenant(&self, id: &TenantId) -> Result<Option<Tenant>, DirectoryError> {
        Ok(self.tenants.get(id).cloned())
    }
}

/// A directory read through a cache of at most `capacity` tenants, each kept
/// for at most `max_age`: a warm function does not read the directory per
/// request, and a change to the directory is seen within `max_age`. Unknown
/// tenants are not cached, so a newly added one is found at once.
pub struct CachedDirectory {
    inner: Arc<dyn TenantDirectory>,
    clock: Arc<dyn Clock>,
    max_age: Duration,
    capacity: usize,
    cache: Mutex<Cache>,
}

#[derive(Default)]
struct Cache {
    entries: HashMap<TenantId, (OffsetDateTime, Tenant)>,
    /// Insertion order, oldest first: the first to go when the cache is full.
    order: VecDeque<TenantId>,
}

impl CachedDirectory {
    pub const DEFAULT_MAX_AGE: Duration = Duration::minutes(5);
    pub const DEFAULT_CAPACITY: usize = 1_000;

    pub fn new(
        inner: Arc<dyn TenantDirectory>,
        clock: Arc<dyn Clock>,
        max_age: Duration,
        capacity: usize,
    ) -> Self {
        Self {
            inner,
            clock,
            max_age,
            capacity: capacity.max(1),
            cache: Mutex::new(Cache::default()),
        }
    }

    /// How many tenants are cached now.
    pub fn cached(&self) -> usize {
        self.lock().entries.len()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Cache> {
        self.cache
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn fresh(&self, id: &TenantId, now: OffsetDateTime) -> Option<Tenant> {
        let cache = self.lock();
        let (at, tenant) = cache.entries.get(id)?;
        (now - *at < self.max_age).then(|| tenant.clone())
    }

    fn keep(&self, tenant: &Tenant, now: OffsetDateTime) {
        let mut cache = self.lock();
        if cache
            .entries
            .insert(tenant.id.clone(), (now, tenant.clone()))
            .is_none()
        {
            cache.order.push_back(tenant.id.clone());
        }
        while cache.entries.len() > self.capacity {
            match cache.order.pop_front() {
                Some(oldest) => {
                    cache.entries.remove(&oldest);
                }
                None => break,
            }
        }
    }
}

#[async_trait]
impl TenantDirectory for CachedDirectory {
    async fn tenant(&self, id: &TenantId) -> Result<Option<Tenant>, DirectoryError> {
        Ok(self
            .tenants(std::slice::from_ref(id))
            .await?
            .pop()
            .flatten())
    }

    async fn tenants(&self, ids: &[TenantId]) -> Result<Vec<Option<Tenant>>, DirectoryError> {
        let now = self.clock.now();
        let mut found: Vec<Option<Tenant>> = ids.iter().map(|id| self.fresh(id, now)).collect();
        let missing: Vec<TenantId> = ids
            .iter()
            .zip(&found)
            .filter(|(_, hit)| hit.is_none())
            .map(|(id, _)| id.clone())
            .collect();
        if missing.is_empty() {
            return Ok(found);
        }
        let read = self.inner.tenants(&missing).await?;
        let read: HashMap<&TenantId, Tenant> = missing
            .iter()
            .zip(read)
            .filter_map(|(id, tenant)| tenant.map(|t| (id, t)))
            .collect();
        for tenant in read.values() {
            self.keep(tenant, now);
        }
        for (id, slot) in ids.iter().zip(found.iter_mut()) {
            if slot.is_none() {
                *slot = read.get(id).cloned();
            }
        }
        Ok(found)
    }
}
