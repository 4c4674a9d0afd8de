//! `consent-local tenants …`: the operator's commands on the directory in a table.

use std::io::IsTerminal;
use std::path::Path;

use consent_app::embedded::directory::{parse_tenants, tenants_file};
use consent_app::ports::TenantDirectory;
use consent_aws::dynamodb::directory::{DynamoDirectory, ImportFailure, ImportPhase, ImportReport};
use consent_core::domain::{Tenant, TenantId};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Ids listed in full up to this many; beyond, the first and last.
const IDS_SHOWN: usize = 20;

pub async fn directory(table: &str) -> Result<DynamoDirectory, String> {
    let sdk = consent_aws::sdk::sdk_config()
        .await
        .map_err(|e| e.to_string())?;
    Ok(DynamoDirectory::new(
        aws_sdk_dynamodb::Client::new(&sdk),
        table,
    ))
}

fn tenant_id(text: &str) -> Result<TenantId, String> {
    TenantId::parse(text).map_err(|e| format!("{text:?} is not a tenant id: {}", e.message()))
}

/// Validates the whole file, then upserts it; prints what changed.
pub async fn import(file: &Path, table: &str) -> Result<(), String> {
    let text = std::fs::read_to_string(file).map_err(|e| format!("{}: {e}", file.display()))?;
    let tenants = parse_tenants(&text)
        .map_err(|e| format!("{}: {e}\nNothing was written.", file.display()))?;
    let bar = progress_bar();
    let mut progress = |phase: ImportPhase, done: usize, total: usize| {
        bar.set_message(match phase {
            ImportPhase::Reading => "reading stored tenants",
            ImportPhase::Writing => "writing new and changed tenants",
        });
        bar.set_length(total as u64);
        bar.set_position(done as u64);
    };
    let imported = directory(table)
        .await?
        .import(&tenants, &mut progress)
        .await;
    bar.finish_and_clear();
    match imported {
        Ok(report) => {
            println!("{}", summary(file, table, &report));
            Ok(())
        }
        Err(failure) => Err(stopped(&failure)),
    }
}

/// A bar on a terminal (stderr), nothing otherwise.
fn progress_bar() -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr());
    if let Ok(style) = ProgressStyle::with_template("{msg:32} {bar:40} {pos}/{len} ({eta} left)") {
        bar.set_style(style);
    }
    bar
}

pub fn summary(file: &Path, table: &str, report: &ImportReport) -> String {
    let calls = match report.write_calls {
        1 => "1 write call".to_owned(),
        n => format!("{n} write calls"),
    };
    let retried = match report.retried_items {
        0 => "none left unprocessed".to_owned(),
        1 => "1 item DynamoDB left unprocessed was sent again".to_owned(),
        n => format!("{n} items DynamoDB left unprocessed were sent again"),
    };
    format!(
        "imported {} into {table}: {} created, {} updated, {} unchanged ({calls}; {retried})",
        file.display(),
        report.created.len(),
        report.updated.len(),
        report.unchanged,
    )
}

fn listed(ids: &[TenantId]) -> String {
    match ids {
        [] => "none".to_owned(),
        few if few.len() <= IDS_SHOWN => few
            .iter()
            .map(TenantId::as_str)
            .collect::<Vec<_>>()
            .join(", "),
        many => format!(
            "{} entries, from {} to {} in file order",
            many.len(),
            many[0],
            many[many.len() - 1]
        ),
    }
}

fn stopped(failure: &ImportFailure) -> String {
    format!(
        "the import stopped: {}\n  written: {}\n  not written: {}\nRun the same import again to finish it: entries already written are left as they are.",
        failure.error,
        listed(&failure.written),
        listed(&failure.not_written),
    )
}

pub async fn show(id: &str, table: &str) -> Result<(), String> {
    let id = tenant_id(id)?;
    match directory(table)
        .await?
        .tenant(&id)
        .await
        .map_err(|e| e.to_string())?
    {
        Some(tenant) => {
            println!(
                "{}",
                serde_json::to_string_pretty(&tenant).unwrap_or_default()
            );
            Ok(())
        }
        None => Err(format!("no tenant {id} in {table}")),
    }
}

pub async fn remove(id: &str, table: &str) -> Result<(), String> {
    let id = tenant_id(id)?;
    match directory(table)
        .await?
        .remove(&id)
        .await
        .map_err(|e| e.to_string())?
    {
        Some(Tenant { name, .. }) => {
            println!("removed {id} ({name}) from {table}");
            Ok(())
        }
        None => Err(format!("no tenant {id} in {table}: nothing was removed")),
    }
}

/// Prints the directory as an import file.
pub async fn export(table: &str) -> Result<(), String> {
    let tenants = directory(table)
        .await?
        .export()
        .await
        .map_err(|e| e.to_string())?;
    println!("{}", tenants_file(&tenants));
    Ok(())
}
