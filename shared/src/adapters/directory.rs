//! A tenant directory loaded from a JSON file:
//! `{"tenants": [{"id": "contoso", "name": "Contoso Ltd"}, …]}`.

use std::collections::HashMap;
use std::path::Path;

use async_trait::async_trait;
use serde::Deserialize;

use crate::domain::TenantId;
use crate::ports::{DirectoryError, TenantDirectory};

#[derive(Clone, Debug, Default)]
pub struct StaticDirectory {
    names: HashMap<TenantId, String>,
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
}

impl StaticDirectory {
    pub fn from_entries<I, S>(entries: I) -> Self
    where
        I: IntoIterator<Item = (TenantId, S)>,
        S: Into<String>,
    {
        Self {
            names: entries.into_iter().map(|(id, n)| (id, n.into())).collect(),
        }
    }

    pub fn from_json(text: &str) -> Result<Self, String> {
        let file: DirectoryFile =
            serde_json::from_str(text).map_err(|e| format!("tenant directory: {e}"))?;
        let mut names = HashMap::new();
        for entry in file.tenants {
            let id = TenantId::parse(&entry.id)
                .ok_or_else(|| format!("tenant directory: bad tenant id {:?}", entry.id))?;
            let name = entry.name.trim();
            if name.is_empty() {
                return Err(format!("tenant directory: tenant {id} has no name"));
            }
            if names.insert(id.clone(), name.to_owned()).is_some() {
                return Err(format!("tenant directory: tenant {id} is listed twice"));
            }
        }
        Ok(Self { names })
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
}
