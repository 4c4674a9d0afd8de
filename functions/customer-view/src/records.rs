//! The signed records on the customer's view: one request's (a printable
//! page, or JSON to check with `consent-local verify` or any JOSE library),
//! and every request's over the tenant, for its admins.

use consent_core::domain::RequestId;
use consent_http::html::html_page;
use consent_http::pages::record::{RECORD_POLICY, record_page};
use lambda_http::http::{HeaderValue, header};
use lambda_http::{Body, Response};
use serde::Serialize;

use crate::View;

fn download(body: String, name: &str) -> Response<Body> {
    let mut response = Response::new(Body::Text(body));
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    if let Ok(value) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    response
}

/// Every request's chain over the tenant.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct TenantRecords<'a> {
    tenant_id: String,
    chains: &'a [consent_app::record::RecordChain],
}

impl View<'_> {
    pub(crate) async fn record(&self, id: RequestId, json: bool) -> Response<Body> {
        match self.app.customer_record_of(self.session, id).await {
            Ok(chain) if json => download(
                serde_json::to_string_pretty(&chain).expect("plain data"),
                &format!("consent-record-{id}.json"),
            ),
            Ok(chain) => {
                let page = record_page(&chain);
                html_page(page.status, page.html, &RECORD_POLICY)
            }
            Err(e) => self.failed(&e),
        }
    }

    pub(crate) async fn records(&self) -> Response<Body> {
        match self.app.customer_records(self.session).await {
            Ok(chains) => {
                let all = TenantRecords {
                    tenant_id: self.session.tenant_id.to_string(),
                    chains: &chains,
                };
                download(
                    serde_json::to_string_pretty(&all).expect("plain data"),
                    &format!("consent-records-{}.json", self.session.tenant_id),
                )
            }
            Err(e) => self.failed(&e),
        }
    }
}
