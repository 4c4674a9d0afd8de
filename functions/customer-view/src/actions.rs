//! The view's forms: an admin's action on a request, a block and its lift,
//! signing out. Each answers with a redirect to the page that shows what
//! was done, or with the page that says why nothing was.

use consent_app::service::ServiceError;
use consent_core::domain::{RequestId, Slot, TenantId};
use consent_http::html::{see_other, with_cookies};
use consent_http::pages::customer;
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};

use crate::form::{Form, FormError};
use crate::{View, page, path_param};

impl View<'_> {
    pub(crate) async fn post(&self, route: &str, req: &Request) -> Response<Body> {
        let form = match Form::parse(req.body().as_ref(), &self.session.form_token) {
            Ok(form) => form,
            Err(FormError::Stale) => {
                return page(customer::message(
                    403,
                    "This form is from an earlier sign-in",
                    vec![
                        "Nothing was changed. Open the page again and repeat what you did."
                            .to_owned(),
                    ],
                    self.header(),
                    None,
                ));
            }
            Err(FormError::Bad(status, why)) => {
                return page(customer::message(
                    status,
                    "That could not be done",
                    vec![why.to_owned()],
                    self.header(),
                    None,
                ));
            }
        };
        let id = RequestId::parse(&path_param(req, "id"));
        match (route, id) {
            ("POST /customer/sign-out", _) => self.sign_out(),
            ("POST /customer/requests/{id}/reject", Some(id)) => {
                let done = self
                    .app
                    .customer_reject(self.session, id, form.reason())
                    .await;
                self.after(id, done.map(|_| "rejected")).await
            }
            ("POST /customer/requests/{id}/withdraw", Some(id)) => {
                let done = self
                    .app
                    .customer_withdraw(self.session, id, form.reason())
                    .await;
                self.after(id, done.map(|_| "withdrawn")).await
            }
            ("POST /customer/requests/{id}/reviewers/{slot}", Some(id)) => {
                let slot = path_param(req, "slot")
                    .parse()
                    .ok()
                    .and_then(Slot::from_number);
                let done = match (slot, form.email()) {
                    (Some(slot), Ok(email)) => {
                        self.app
                            .customer_replace(self.session, id, slot, email)
                            .await
                    }
                    (None, _) => Err(ServiceError::NotFound),
                    (_, Err(e)) => Err(ServiceError::Invalid(vec![e])),
                };
                self.after(id, done.map(|_| "replaced")).await
            }
            ("POST /customer/blocks", _) => self.block(&form).await,
            ("POST /customer/blocks/{partner}/lift", _) => {
                self.lift(&path_param(req, "partner")).await
            }
            _ => self.not_found(),
        }
    }

    fn sign_out(&self) -> Response<Body> {
        let gone = self.app.end_customer_session();
        let response = page(customer::message(
            200,
            "You are signed out",
            vec!["Your sign-in to this view has ended in this browser.".to_owned()],
            None,
            Some(customer::Action {
                id: "sign-in",
                href: format!("{}/customer/sign-in", self.root),
                label: "Sign in again",
            }),
        ));
        with_cookies(response, &[gone])
    }

    /// Blocks the form's partner; then the view lists its pending requests.
    async fn block(&self, form: &Form) -> Response<Body> {
        let (partner, until, reason) = match form.block() {
            Ok(block) => block,
            Err(errors) => return self.failed(&ServiceError::Invalid(errors)),
        };
        match (self.app)
            .block_partner(self.session, &partner, until, reason)
            .await
        {
            Ok(_) => {
                let q = format!("status=pending&partner={partner}&done=blocked");
                see_other(&format!("{}/customer?{q}", self.root), &[])
            }
            Err(e) => self.failed(&e),
        }
    }

    async fn lift(&self, partner: &str) -> Response<Body> {
        let Ok(partner) = TenantId::parse(partner) else {
            return self.not_found();
        };
        match self.app.lift_block(self.session, &partner).await {
            Ok(_) => see_other(&format!("{}/customer?done=lifted", self.root), &[]),
            Err(e) => self.failed(&e),
        }
    }

    /// After an action on a request: its page with what was done, or why not.
    async fn after(&self, id: RequestId, done: Result<&str, ServiceError>) -> Response<Body> {
        match done {
            Ok(code) => see_other(
                &format!("{}/customer/requests/{id}?done={code}", self.root),
                &[],
            ),
            Err(ServiceError::Invalid(errors)) => {
                let words = errors.iter().map(|e| e.message.clone()).collect();
                let mut response = self.request(id, None, None, words).await;
                if response.status() == StatusCode::OK {
                    *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
                }
                response
            }
            Err(e) => self.failed(&e),
        }
    }
}
