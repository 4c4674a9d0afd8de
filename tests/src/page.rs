//! The Data Consent page over plain HTTP: a session's cookie and form token.

use consent_local::portal::session;

use crate::{Answer, Client, PARTNER};

/// A form post with `cookie`.
pub async fn post_form(client: &Client, path: &str, cookie: &str, form: &str) -> Answer {
    client
        .send_with(
            "POST",
            path,
            &[("cookie", cookie)],
            Some(("application/x-www-form-urlencoded", form)),
        )
        .await
}

/// A GET with `cookie`.
pub async fn get_with(client: &Client, path: String, cookie: &str) -> Answer {
    client
        .send_with("GET", &path, &[("cookie", cookie)], None)
        .await
}

/// The value of the first hidden form token on a page.
pub fn form_token_on(page: &str) -> String {
    let at = page
        .find("name=\"csrf\" value=\"")
        .expect("the page has a form")
        + 19;
    page[at..at + page[at..].find('"').unwrap()].to_owned()
}

/// The `name=value` of a `Set-Cookie` header that sets `name`.
pub fn set_cookie<'a>(answer: &'a Answer, name: &str) -> Option<&'a str> {
    answer
        .headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
}

/// The `name=value` pair that a `Set-Cookie` header of `answer` sets.
pub fn cookie_set_by(answer: &Answer, name: &str) -> Option<String> {
    set_cookie(answer, name).and_then(|set| set.split(';').next().map(str::to_owned))
}

/// Signs in over plain HTTP; returns the session's cookie pair and its form token.
pub async fn http_sign_in(client: &Client, email: &str, admin: bool) -> (String, String) {
    let form = client.get("/sign-in", None).await;
    assert_eq!(form.status, 200);
    let pre = cookie_set_by(&form, session::PRE_SESSION_COOKIE).unwrap();
    let body = format!(
        "csrf={}&tenant={PARTNER}&email={}{}",
        form_token_on(&form.body),
        email.replace('@', "%40"),
        if admin { "&admin=yes" } else { "" }
    );
    let signed_in = post_form(client, "/sign-in", &pre, &body).await;
    assert_eq!(signed_in.status, 303, "{}", signed_in.body);
    assert_eq!(signed_in.header("location"), "/data-consent");
    let set = set_cookie(&signed_in, session::SESSION_COOKIE).unwrap();
    for flag in ["HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(set.contains(flag), "the session cookie is {flag}: {set}");
    }
    let cookie = cookie_set_by(&signed_in, session::SESSION_COOKIE).unwrap();
    // The cookie carries the dev token the API itself accepts.
    let bearer = &cookie[session::SESSION_COOKIE.len() + 1..];
    assert_eq!(
        client.get("/consent-requests", Some(bearer)).await.status,
        200
    );
    let view = client
        .send_with("GET", "/data-consent", &[("cookie", &cookie)], None)
        .await;
    assert_eq!(view.status, 200, "{}", view.body);
    (cookie.clone(), form_token_on(&view.body))
}
