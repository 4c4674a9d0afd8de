//! A tenant directory loaded from a JSON file:
//! `{"tenants": [{"id": "contoso", "name": "Contoso Ltd", "contacts": ["admin@…"]}, …]}`
//! (`contacts`, optional: who to tell when consent given to a partner is withdrawn).

use std::collections::HashMap;
use std::path::Path;

use async_trait::async_trait;
use serde::Deserialize;

use crate::domain::{Email, TenantId};
use crate::ports::{DirectoryError, TenantDirectory};

#[derive(Clone, Debug, Default)]
pub struct StaticDirectory {
    names: HashMap<TenantId, String>,
    contacts: HashMap<TenantId, Vec<Email>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DirectoryFile {
    tenants: Vec<TenantEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TenantEntry {
    id: String,
    name: String,
    #[serde(default)]
    contacts: Vec<String>,
}

impl StaticDirectory {
    pub fn from_entries<I, S>(entries: I) -> Self
    where
        I: IntoIterator<Item = (TenantId, S)>,
        S: Into<String>,
    {
        Self {
            names: entries.into_iter().map(|(id, n)| (id, n.into())).collect(),
            contacts: HashMap::new(),
        }
    }

    /// Adds the contacts of a tenant.
    pub fn with_contacts(mut self, id: TenantId, contacts: Vec<Email>) -> Self {
        self.contacts.insert(id, contacts);
        self
    }

    pub fn from_json(text: &str) -> Result<Self, String> {
        let file: DirectoryFile =
            serde_json::from_str(text).map_err(|e| format!("tenant directory: {e}"))?;
        let mut names = HashMap::new();
        let mut contacts = HashMap::new();
        for entry in file.tenants {
            let id = TenantId::parse(&entry.id)
                .map_err(|e| format!("tenant directory: bad tenant id {:?}: {e}", entry.id))?;
            let name = entry.name.trim();
            if name.is_empty() {
                return Err(format!("tenant directory: tenant {id} has no name"));
            }
            if names.insert(id.clone(), name.to_owned()).is_some() {
                return Err(format!("tenant directory: tenant {id} is listed twice"));
            }
            let emails = entry
                .contacts
                .iter()
                .map(|c| {
                    Email::parse(c).map_err(|e| {
                        format!("tenant directory: tenant {id} has a bad contact {c:?}: {e}")
                    })
                })
                .collect::<Result<Vec<_>, _>>()?;
            contacts.insert(id, emails);
        }
        Ok(Self { names, contacts })
    }

    pub fn from_file(path: &Path) -> Result<Self, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("tenant directory {}: {e}", path.display()))?;
        Self::from_json(&text).map_err(|e| format!("{} ({})", e, path.display()))
    }
}

#[async_trait]
impl TenantDirectory for StaticDirectory {
    async fn tenant_name(&self, id: &TenantId) -> Result<Option<String>, DirectoryError> {
        Ok(self.names.get(id).cloned())
    }

    async fn partner_contacts(&self, id: &TenantId) -> Result<Vec<Email>, DirectoryError> {
        Ok(self.contacts.get(id).cloned().unwrap_or_default())
    }
}
