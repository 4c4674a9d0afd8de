//! The local event log: each consent event appended to a file as one JSON
//! line (NDJSON) and logged, where the deployed service puts it on its bus.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use async_trait::async_trait;

use crate::ports::{BusError, EventBus};
use consent_core::events::ConsentEvent;

pub struct EventLog {
    path: PathBuf,
    file: Mutex<std::fs::File>,
}

impl EventLog {
    /// Opens (or creates) `path` for appending.
    pub fn open(path: &Path) -> Result<Self, String> {
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(|e| format!("cannot open the event log {}: {e}", path.display()))?;
        Ok(Self {
            path: path.to_owned(),
            file: Mutex::new(file),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

#[async_trait]
impl EventBus for EventLog {
    async fn put(&self, events: &[ConsentEvent]) -> Result<Vec<Result<(), String>>, BusError> {
        let mut lines = String::new();
        for event in events {
            let line = serde_json::to_string(event).map_err(|e| BusError(e.to_string()))?;
            tracing::info!(
                detail_type = event.detail_type(),
                request_id = %event.request_id,
                event = %line,
                "consent event"
            );
            lines.push_str(&line);
            lines.push('\n');
        }
        let mut file = self.file.lock().expect("event log lock");
        file.write_all(lines.as_bytes())
            .and_then(|()| file.flush())
            .map_err(|e| BusError(format!("cannot append to {}: {e}", self.path.display())))?;
        Ok(vec![Ok(()); events.len()])
    }
}
