//! Requests as API Gateway's HTTP API (payload 2.0) hands them to a function.

use std::collections::HashMap;

use lambda_http::aws_lambda_events::apigw::{
    ApiGatewayRequestAuthorizerIamDescription, ApiGatewayRequestAuthorizerJwtDescription,
    ApiGatewayV2httpRequestContext,
};
use lambda_http::request::RequestContext;
use lambda_http::{Body, Request, RequestExt};

/// A request as API Gateway's HTTP API (payload 2.0) hands it to a function:
/// the route, the endpoint it reached, the JWT authorizer's claims, and the
/// path and query parameters. consent-local's gateway builds every request
/// with it, and so do the tests; [`caller`] and [`api_origin`] read it.
#[derive(Debug, Default)]
pub struct GatewayRequest {
    route_key: Option<String>,
    request_id: Option<String>,
    endpoint: Option<(String, String)>,
    claims: Option<HashMap<String, String>>,
    iam_principal: Option<String>,
    path_params: HashMap<String, String>,
    query: HashMap<String, Vec<String>>,
    source_ip: Option<String>,
}

impl GatewayRequest {
    pub fn new() -> Self {
        Self::default()
    }

    /// The route template that matched, as in `POST /consent-requests`.
    pub fn route(mut self, route_key: impl Into<String>) -> Self {
        self.route_key = Some(route_key.into());
        self
    }

    pub fn request_id(mut self, id: impl Into<String>) -> Self {
        self.request_id = Some(id.into());
        self
    }

    /// The API's host name and stage the request reached (`$default` unless given).
    pub fn endpoint(mut self, domain_name: impl Into<String>, stage: impl Into<String>) -> Self {
        self.endpoint = Some((domain_name.into(), stage.into()));
        self
    }

    /// The claims of a bearer token the JWT authorizer accepted.
    pub fn claims(mut self, claims: HashMap<String, String>) -> Self {
        self.claims = Some(claims);
        self
    }

    /// The ARN of the IAM principal whose SigV4 signature the IAM authorizer accepted.
    pub fn iam_principal(mut self, arn: impl Into<String>) -> Self {
        self.iam_principal = Some(arn.into());
        self
    }

    pub fn path_params(mut self, params: HashMap<String, String>) -> Self {
        self.path_params = params;
        self
    }

    pub fn query(mut self, query: HashMap<String, Vec<String>>) -> Self {
        self.query = query;
        self
    }

    /// The address the request came from, as API Gateway saw it.
    pub fn source_ip(mut self, ip: impl Into<String>) -> Self {
        self.source_ip = Some(ip.into());
        self
    }

    /// `http` (method, URI, headers, body) with this context.
    pub fn wrap(self, http: lambda_http::http::Request<Body>) -> Request {
        let mut ctx = ApiGatewayV2httpRequestContext::default();
        ctx.route_key = self.route_key;
        ctx.request_id = self.request_id;
        ctx.http.method = http.method().clone();
        ctx.http.path = Some(http.uri().path().to_owned());
        ctx.http.source_ip = self.source_ip;
        let (domain_name, stage) = match self.endpoint {
            Some((domain, stage)) => (Some(domain), stage),
            None => (None, "$default".to_owned()),
        };
        ctx.domain_name = domain_name;
        ctx.stage = Some(stage);
        if let Some(claims) = self.claims {
            let mut jwt = ApiGatewayRequestAuthorizerJwtDescription::default();
            jwt.claims = claims;
            ctx.authorizer.get_or_insert_with(Default::default).jwt = Some(jwt);
        }
        if let Some(arn) = self.iam_principal {
            let mut iam = ApiGatewayRequestAuthorizerIamDescription::default();
            iam.account_id = arn.split(':').nth(4).map(str::to_owned);
            iam.user_arn = Some(arn);
            ctx.authorizer.get_or_insert_with(Default::default).iam = Some(iam);
        }
        http.with_path_parameters(self.path_params)
            .with_query_string_parameters(self.query)
            .with_request_context(RequestContext::ApiGatewayV2(ctx))
    }
}
