//! The identity provider's side of a sign-in start: its discovery document,
//! served on loopback over plain HTTP (which the relying party allows only
//! to this machine), answered after the stand-in latency of a call to
//! Entra ID.

use std::time::{Duration, Instant};

use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;

use crate::proxy::{Call, Upstream};

/// The stand-in latency of a call to the identity provider.
pub const STAND_IN: Duration = Duration::from_millis(20);

/// The name its calls are recorded under.
pub const NAME: &str = "oidc";

/// Starts the provider, recording its calls into `upstream`; returns its issuer URL.
pub async fn start(upstream: Upstream) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let issuer = format!("http://{}", listener.local_addr().unwrap());
    let document = Bytes::from(
        serde_json::json!({
            "issuer": issuer,
            "authorization_endpoint": format!("{issuer}/authorize"),
            "token_endpoint": format!("{issuer}/token"),
            "jwks_uri": format!("{issuer}/keys"),
            "id_token_signing_alg_values_supported": ["RS256"],
        })
        .to_string(),
    );
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let (document, upstream) = (document.clone(), upstream.clone());
            tokio::spawn(async move {
                let service = service_fn(move |req: Request<Incoming>| {
                    let (document, upstream) = (document.clone(), upstream.clone());
                    async move {
                        let start = Instant::now();
                        upstream.record(Call {
                            start,
                            stand_in_end: start + STAND_IN,
                            moto_end: start,
                            signed_for: Some(NAME),
                        });
                        tokio::time::sleep(STAND_IN).await;
                        let found = req.uri().path() == "/.well-known/openid-configuration";
                        Ok::<_, hyper::Error>(
                            Response::builder()
                                .status(if found { 200 } else { 404 })
                                .header("content-type", "application/json")
                                .body(Full::new(if found { document } else { Bytes::new() }))
                                .unwrap(),
                        )
                    }
                });
                let _ = http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    issuer
}
