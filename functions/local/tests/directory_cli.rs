//! The directory as an operator runs it: `consent-local tenants …` against a
//! table on moto (`tests/run.sh` starts it and exports its address), then
//! `consent-local --table` serving a request to the last of 10,000 tenants.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_consent-local");
const TENANTS: usize = 10_000;

fn moto() -> String {
    std::env::var("CONSENT_MOTO_ENDPOINT").unwrap_or_else(|_| {
        panic!("CONSENT_MOTO_ENDPOINT is not set: run tests/run.sh, which installs and starts moto, or start `moto_server` and export its URL")
    })
}

/// consent-local with the SDK pointed at moto, and keys of its own: on a
/// table it refuses the development keys.
fn consent_local() -> Command {
    let mut command = Command::new(BIN);
    command
        .env(
            "CONSENT_DEV_JWT_SECRET",
            "directory-test-secret-of-its-own-32-bytes",
        )
        .env(
            "CONSENT_LINK_KEYS",
            "t1:ZGlyZWN0b3J5LXRlc3QtbGluay1rZXktb2YtaXRzLW93bi0zMg",
        )
        .env("AWS_ENDPOINT_URL", moto())
        .env("AWS_REGION", "eu-west-1")
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env_remove("CONSENT_TABLE")
        .env_remove("CONSENT_SENDER");
    command
}

fn run(args: &[&str]) -> Output {
    consent_local().args(args).output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn temp(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("consent-directory-{name}-{}", std::process::id()))
}

/// A directory file: the partner, then customers 1.. with a domain each.
fn write_directory(path: &Path, customers: usize) {
    let mut tenants = vec![serde_json::json!({
        "id": "partner-fabrikam", "name": "Fabrikam Consulting", "kind": "partner", "contacts": ["admins@fabrikam.example"]
    })];
    tenants.extend((1..=customers).map(|i| {
        serde_json::json!({"id": format!("customer-{i:05}"), "name": format!("Customer {i:05} Ltd"), "domains": [format!("customer-{i:05}.example")]})
    }));
    std::fs::write(path, serde_json::json!({ "tenants": tenants }).to_string()).unwrap();
}

/// One HTTP/1.1 exchange: the status and the body.
fn http(
    addr: &str,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<(&str, &str)>,
) -> (u16, String) {
    let auth = token
        .map(|t| format!("Authorization: Bearer {t}\r\n"))
        .unwrap_or_default();
    let (status, _, body) = exchange(addr, method, path, &auth, body);
    (status, body)
}

/// One request with `headers` (each ending in CRLF): status, head, body.
fn exchange(
    addr: &str,
    method: &str,
    path: &str,
    headers: &str,
    body: Option<(&str, &str)>,
) -> (u16, String, String) {
    let mut stream = TcpStream::connect(addr).unwrap();
    let (content_type, body) = body.unwrap_or(("text/plain", ""));
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n{headers}Content-Type: {content_type}\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let status = response[9..12].parse().unwrap();
    let (head, body) = response.split_once("\r\n\r\n").unwrap_or((&response, ""));
    (status, head.to_owned(), body.to_owned())
}

/// A header of a response's head, the first of its name.
fn header<'h>(head: &'h str, name: &str) -> &'h str {
    head.lines()
        .find_map(|l| {
            l.split_once(':')
                .filter(|(n, _)| n.eq_ignore_ascii_case(name))
        })
        .map(|(_, v)| v.trim())
        .unwrap_or_default()
}

/// The path (with query) of a URL on consent-local.
fn path_of(url: &str) -> &str {
    url.split_once("://")
        .and_then(|(_, rest)| rest.find('/').map(|i| &rest[i..]))
        .unwrap_or(url)
}

/// Signs in for the review link `path` at the development provider as the
/// link's reviewer (the address it fills in), of `tenant`; the proof cookie.
fn sign_in(addr: &str, path: &str, tenant: &str) -> String {
    let (status, head, _) = exchange(addr, "GET", &format!("{path}/sign-in"), "", None);
    assert_eq!(status, 303, "{head}");
    let flow = header(&head, "set-cookie")
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let authorize = path_of(header(&head, "location")).to_owned();
    let (status, _, page) = exchange(addr, "GET", &authorize, "", None);
    assert_eq!(status, 200, "{page}");
    let (endpoint, query) = authorize.split_once('?').unwrap();
    let hint = query
        .split('&')
        .find_map(|p| p.strip_prefix("login_hint="))
        .unwrap();
    let form = format!("{query}&email={hint}&tenant={tenant}&mfa=yes&action=sign-in");
    let (status, head, _) = exchange(
        addr,
        "POST",
        endpoint,
        "",
        Some(("application/x-www-form-urlencoded", &form)),
    );
    assert_eq!(status, 303, "{head}");
    let callback = path_of(header(&head, "location")).to_owned();
    let (status, head, page) =
        exchange(addr, "GET", &callback, &format!("Cookie: {flow}\r\n"), None);
    assert_eq!(status, 303, "{page}");
    head.lines()
        .filter_map(|l| l.split_once(':'))
        .filter(|(n, _)| n.eq_ignore_ascii_case("set-cookie"))
        .find_map(|(_, v)| v.trim().strip_prefix("consent-reviewer="))
        .map(|v| format!("consent-reviewer={}", v.split(';').next().unwrap()))
        .unwrap()
}

fn serve(table: &str, outbox: &Path) -> (Child, String) {
    let mut child = consent_local()
        .args([
            "--port",
            "0",
            "--table",
            table,
            "--outbox",
            outbox.to_str().unwrap(),
            "--events",
            outbox.with_extension("ndjson").to_str().unwrap(),
            "--tick",
            "1s",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut banner = String::new();
    while !banner.contains("Stop with Ctrl-C") {
        if stdout.read_line(&mut banner).unwrap() == 0 {
            panic!("the server stopped: {banner}");
        }
    }
    assert!(
        banner.contains(&format!("Tenants are read from table {table}")),
        "{banner}"
    );
    let addr = banner
        .split_whitespace()
        .find_map(|w| w.strip_prefix("http://127.0.0.1:"))
        .map(|port| format!("127.0.0.1:{port}"))
        .unwrap_or_else(|| panic!("no address in {banner}"));
    (child, addr)
}

fn token(admin: bool) -> String {
    let mut args = vec![
        "token",
        "--tenant",
        "partner-fabrikam",
        "--user",
        "alice",
        "--email",
        "alice@fabrikam.example",
    ];
    if admin {
        args.push("--admin");
    }
    text(&run(&args).stdout).trim().to_owned()
}

/// The review path emailed to `to` (from the outbox's .eml files).
fn review_path(outbox: &Path, to: &str) -> String {
    for _ in 0..100 {
        for entry in std::fs::read_dir(outbox).into_iter().flatten().flatten() {
            // Quoted-printable: undo its soft line breaks.
            let eml = std::fs::read_to_string(entry.path())
                .unwrap_or_default()
                .replace("=\r\n", "")
                .replace("=\n", "");
            let to_them =
                eml.contains(&format!("To: <{to}>")) || eml.contains(&format!("To: {to}"));
            if to_them && let Some(at) = eml.find("/review/") {
                return eml[at..]
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || "/-_.~".contains(*c))
                    .collect();
            }
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    panic!("no review email to {to} in {}", outbox.display());
}

#[test]
fn ten_thousand_tenants_imported_then_served_from_the_table() {
    let table = format!("directory-cli-{}", std::process::id());
    let file = temp("tenants.json");
    write_directory(&file, TENANTS - 1);
    let created = run(&["create-table", "--table", &table]);
    assert!(created.status.success(), "{}", text(&created.stderr));

    let started = std::time::Instant::now();
    let imported = run(&[
        "tenants",
        "import",
        file.to_str().unwrap(),
        "--table",
        &table,
    ]);
    let took = started.elapsed();
    let said = text(&imported.stdout);
    println!("{said} in {took:.1?}");
    assert!(imported.status.success(), "{}", text(&imported.stderr));
    assert!(
        said.contains(&format!("{TENANTS} created, 0 updated, 0 unchanged")),
        "{said}"
    );
    assert!(
        said.contains("(400 write calls; none left unprocessed)"),
        "{said}"
    );

    let again = run(&[
        "tenants",
        "import",
        file.to_str().unwrap(),
        "--table",
        &table,
    ]);
    assert!(
        text(&again.stdout).contains(&format!(
            "0 created, 0 updated, {TENANTS} unchanged (0 write calls"
        )),
        "{}",
        text(&again.stdout)
    );

    // One bad entry among good ones: every problem is listed, nothing is written.
    let bad = temp("bad.json");
    std::fs::write(&bad, r#"{"tenants": [{"id": "new-one", "name": "New"}, {"id": "customer-00001", "name": "Renamed", "domains": ["x..example"]}, {"id": "x y", "name": "Bad"}]}"#).unwrap();
    let refused = run(&[
        "tenants",
        "import",
        bad.to_str().unwrap(),
        "--table",
        &table,
    ]);
    let stderr = text(&refused.stderr);
    assert!(!refused.status.success());
    assert!(
        stderr.contains("2 bad entries")
            && stderr.contains("tenants[1] (\"customer-00001\"): domains[0]")
            && stderr.contains("tenants[2] (\"x y\"): id"),
        "{stderr}"
    );
    assert!(stderr.contains("Nothing was written."), "{stderr}");
    let shown = run(&["tenants", "show", "customer-00001", "--table", &table]);
    assert!(
        text(&shown.stdout).contains("Customer 00001 Ltd"),
        "unchanged: {}",
        text(&shown.stdout)
    );
    assert!(
        !run(&["tenants", "show", "new-one", "--table", &table])
            .status
            .success()
    );

    let exported = run(&["tenants", "export", "--table", &table]);
    let export: serde_json::Value = serde_json::from_slice(&exported.stdout).unwrap();
    assert_eq!(export["tenants"].as_array().unwrap().len(), TENANTS);

    // consent-local on that table: a request to the last tenant, reviewed, allowed.
    let outbox = temp("outbox");
    let (mut server, addr) = serve(&table, &outbox);
    let last = format!("customer-{:05}", TENANTS - 1);
    let reviewers = [
        format!("bob@{last}.example"),
        format!("carol@{last}.example"),
    ];
    let body = serde_json::json!({"targetTenantId": last, "environmentId": "prod", "environmentName": "Production", "purpose": "Tune alerting for the EU rollout", "reviewers": reviewers}).to_string();
    let (status, created) = http(
        &addr,
        "POST",
        "/consent-requests",
        Some(&token(false)),
        Some(("application/json", &body)),
    );
    assert_eq!(status, 201, "{created}");
    assert!(
        created.contains(&format!("\"verifiedDomain\":\"{last}.example\"")),
        "{created}"
    );
    let outside = body
        .replace(&format!("carol@{last}.example"), "carol@elsewhere.example")
        .replace("prod", "test");
    let (status, refused) = http(
        &addr,
        "POST",
        "/consent-requests",
        Some(&token(false)),
        Some(("application/json", &outside)),
    );
    assert_eq!(status, 422, "{refused}");
    assert!(
        refused.contains("/reviewers/1") && refused.contains("verified domains"),
        "{refused}"
    );
    assert!(
        !refused.contains(&format!("{last}.example")),
        "the customer's domains are not named: {refused}"
    );
    for reviewer in &reviewers {
        let path = review_path(&outbox, reviewer);
        let (status, page) = http(&addr, "GET", &path, None, None);
        assert_eq!(status, 200, "{page}");
        assert!(
            page.contains(&format!("Customer {:05} Ltd", TENANTS - 1)),
            "the page names the organization: {page}"
        );
        let proof = sign_in(&addr, &path, &last);
        let (status, _, done) = exchange(
            &addr,
            "POST",
            &path,
            &format!("Cookie: {proof}\r\n"),
            Some(("application/x-www-form-urlencoded", "decision=approve")),
        );
        assert_eq!(status, 200, "{done}");
    }
    let (status, access) = http(
        &addr,
        "GET",
        &format!("/access?tenantId={last}&environmentId=prod"),
        Some(&token(false)),
        None,
    );
    // The table's stream carried the request's events to the event log.
    let events = outbox.with_extension("ndjson");
    let wanted = [
        "request_created",
        "reviewer_approved",
        "reviewer_approved",
        "allowed",
    ];
    let mut logged = Vec::new();
    for _ in 0..50 {
        logged = std::fs::read_to_string(&events)
            .unwrap_or_default()
            .lines()
            .map(|l| {
                serde_json::from_str::<serde_json::Value>(l).unwrap()["type"]
                    .as_str()
                    .unwrap()
                    .to_owned()
            })
            .collect();
        if logged.len() >= wanted.len() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    server.kill().unwrap();
    server.wait().unwrap();
    assert_eq!(status, 200, "{access}");
    assert!(access.contains("\"status\":\"allowed\""), "{access}");
    assert_eq!(logged, wanted, "the events the stream carried");
    assert!(
        access.contains(&format!(
            "\"customerName\":\"Customer {:05} Ltd\"",
            TENANTS - 1
        )),
        "{access}"
    );

    let removed = run(&["tenants", "remove", &last, "--table", &table]);
    assert!(
        text(&removed.stdout)
            .contains(&format!("removed {last} (Customer {:05} Ltd)", TENANTS - 1)),
        "{}",
        text(&removed.stdout)
    );
    let again = run(&["tenants", "remove", &last, "--table", &table]);
    assert!(!again.status.success() && text(&again.stderr).contains("nothing was removed"));
    let _ = std::fs::remove_file(file);
    let _ = std::fs::remove_file(bad);
    let _ = std::fs::remove_dir_all(outbox);
}

#[test]
fn tenants_commands_need_a_table_and_a_valid_id() {
    let out = run(&["tenants", "export"]);
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("--table NAME"),
        "{}",
        text(&out.stderr)
    );
    let out = run(&["tenants", "show", "not an id", "--table", "whatever"]);
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("is not a tenant id"),
        "{}",
        text(&out.stderr)
    );
    let out = run(&[
        "tenants",
        "import",
        "/nonexistent/tenants.json",
        "--table",
        "whatever",
    ]);
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("/nonexistent/tenants.json"),
        "{}",
        text(&out.stderr)
    );
}
