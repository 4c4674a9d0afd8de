//! A customer's people on the customer's view: signed in through the
//! service's own sign-in with [`NamedIdentity`](crate::NamedIdentity), and
//! the view's routes called as the Lambda runtime calls them.

use consent_app::service::{CUSTOMER_COOKIE, Callback, ConsentService, CustomerSession, SignedIn};

use crate::lambda::{Answer, ApiRequest};
use crate::reviewer::Person;

/// A person of `tenant` with `roles` in the token, signed in with MFA.
pub fn person(email: &str, tenant: &str, roles: &[&str]) -> Person {
    Person {
        subject: format!("subject-of-{email}"),
        email: email.to_owned(),
        tenant: tenant.to_owned(),
        mfa: true,
        roles: roles.iter().map(|r| (*r).to_owned()).collect(),
    }
}

/// Contoso's security officer, with the customer admin role.
pub fn contoso_admin() -> Person {
    person(
        "sec@contoso.example",
        crate::CUSTOMER,
        &["ConsentCustomerAdmin"],
    )
}

/// The session cookie `person` gets by signing in to the view, or what
/// the sign-in came to instead.
pub async fn view_cookie(app: &ConsentService, person: &Person) -> Result<String, SignedIn> {
    let start = app
        .start_customer_sign_in(Some(&person.tenant), (None, false))
        .await
        .map_err(|p| SignedIn::Failed(consent_app::service::SignInProblem::Link(p)))?;
    let callback = Callback {
        state: Some(crate::param_of(&start.location, "state")),
        code: Some(person.code()),
        ..Callback::default()
    };
    match app
        .finish_sign_in(&callback, Some(&start.cookie.value))
        .await
    {
        SignedIn::Customer { session, .. } => Ok(session.value),
        other => Err(other),
    }
}

/// The session `person` has on the view once signed in.
pub async fn signed_in(app: &ConsentService, person: &Person) -> CustomerSession {
    let cookie = view_cookie(app, person)
        .await
        .unwrap_or_else(|e| panic!("{} signs in: {e:?}", person.email));
    app.customer_session(Some(&cookie))
        .expect("the cookie holds the session")
}

/// A route of the view (`route` as API Gateway names it, e.g. `POST
/// /customer/requests/{id}/reject`) at `path`, with the session's cookie,
/// path parameters and, for a POST, the form `fields`.
pub async fn call(
    app: &ConsentService,
    cookie: Option<&str>,
    (route, path): (&str, &str),
    params: &[(&str, &str)],
    fields: &[(&str, &str)],
) -> Answer {
    let method = if route.starts_with("POST ") {
        "POST"
    } else {
        "GET"
    };
    let (path, query) = path.split_once('?').unwrap_or((path, ""));
    let mut req = ApiRequest::new(method, path).route(route);
    if let Some(cookie) = cookie {
        req = req.cookie(CUSTOMER_COOKIE, cookie);
    }
    for (name, value) in params {
        req = req.param(name, value);
    }
    for (name, value) in serde_urlencoded::from_str::<Vec<(String, String)>>(query).unwrap() {
        req = req.query(&name, &value);
    }
    if method == "POST" {
        let body = serde_urlencoded::to_string(fields).unwrap();
        req = req.body("application/x-www-form-urlencoded", &body);
    }
    Answer::from_lambda(consent_http::lambda::answer(app, req.build(), customer_view::handle).await)
}
