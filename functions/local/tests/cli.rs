//! The `consent-local` binary as a user runs it.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_consent-local");

#[test]
fn token_prints_a_verifiable_token_alone_on_stdout() {
    let out = Command::new(BIN)
        .args([
            "token",
            "--tenant",
            "partner-fabrikam",
            "--user",
            "alice",
            "--email",
            "alice@fabrikam.example",
            "--admin",
        ])
        .env_remove("CONSENT_DEV_JWT_SECRET")
        .output()
        .unwrap();
    assert!(out.status.success());
    let stdout = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 1, "{stdout}");
    let claims = consent_local::auth::DevAuth::new(consent_local::auth::DEFAULT_DEV_SECRET)
        .unwrap()
        .verify(lines[0])
        .unwrap();
    assert_eq!(claims["tid"], "partner-fabrikam");
    assert_eq!(claims["oid"], "alice");
    assert_eq!(claims["email"], "alice@fabrikam.example");
    assert_eq!(claims["roles"], "[ConsentAdmin]");
}

#[test]
fn token_without_required_flags_fails_with_usage() {
    let out = Command::new(BIN)
        .args(["token", "--tenant", "t"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--user"));
}

/// Starts the server with `args` and returns it with its start-up banner.
fn start(args: &[&str]) -> (std::process::Child, String) {
    let mut child = Command::new(BIN)
        // Its events.ndjson goes there, not into the repository.
        .current_dir(std::env::temp_dir())
        .args(["--port", "0"])
        .args(args)
        .env_remove("CONSENT_TABLE")
        .env_remove("CONSENT_SENDER")
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
    (child, banner)
}

#[test]
fn schedule_settings_come_from_flags_over_the_config_file() {
    let file = std::env::temp_dir().join(format!("consent-cli-config-{}.json", std::process::id()));
    std::fs::write(
        &file,
        r#"{"tick": "2s", "expireAfter": "45s", "maxReminders": 5}"#,
    )
    .unwrap();
    let outbox = std::env::temp_dir().join(format!("consent-cli-outbox-s-{}", std::process::id()));
    let outbox = outbox.to_str().unwrap();
    let (mut child, banner) = start(&[
        "--outbox",
        outbox,
        "--config",
        file.to_str().unwrap(),
        "--remind-after",
        "5s,10s",
        "--max-reminders",
        "2",
    ]);
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(
        banner.contains("Scheduled run every 2s; reminders after 5s, 10s (at most 2); pending requests expire after 45s."),
        "{banner}"
    );
    let (mut child, banner) = start(&["--outbox", outbox]);
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(
        banner.contains(
            "reminders after 2days, 4days, 7days (at most 3); pending requests expire after 30days."
        ),
        "the defaults are the production ones: {banner}"
    );
    for (args, says) in [
        (vec!["--remind-after", "soon"], "--remind-after"),
        (vec!["--remind-after", "5s,,10s"], "--remind-after"),
        (vec!["--tick", "0s"], "--tick"),
        (vec!["--expire-after", "0s"], "--expire-after"),
        (vec!["--base-url", "not-a-url"], "--base-url"),
        (vec!["--base-url", "ftp://consent.example"], "--base-url"),
        (vec!["--base-url", "https://"], "--base-url"),
    ] {
        let out = Command::new(BIN)
            .args(["--port", "0", "--outbox", outbox])
            .args(&args)
            .output()
            .unwrap();
        assert!(!out.status.success(), "{args:?}");
        assert!(
            String::from_utf8_lossy(&out.stderr).contains(says),
            "{args:?}"
        );
    }
    for (config, says) in [
        (r#"{"expireAfter": "0s"}"#, "expireAfter"),
        (r#"{"remindAfter": "5s,,10s"}"#, "remindAfter"),
        (r#"{"tick": "never"}"#, "tick (--config)"),
    ] {
        std::fs::write(&file, config).unwrap();
        let out = Command::new(BIN)
            .args([
                "--port",
                "0",
                "--outbox",
                outbox,
                "--config",
                file.to_str().unwrap(),
            ])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{config}");
        assert!(
            stderr.contains(says) && stderr.contains("--config"),
            "{config}: {stderr}"
        );
        assert!(
            !stderr.contains("CONSENT_"),
            "{config} names no variable: {stderr}"
        );
    }
    std::fs::write(&file, r#"{"expireAfter": "45s", "colour": "blue"}"#).unwrap();
    let out = Command::new(BIN)
        .args([
            "--port",
            "0",
            "--outbox",
            outbox,
            "--config",
            file.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("colour"));
    let _ = std::fs::remove_file(file);
}

#[test]
fn the_server_starts_prints_how_to_use_it_and_answers_health() {
    let outbox = std::env::temp_dir().join(format!("consent-cli-outbox-{}", std::process::id()));
    let (mut child, banner) = start(&["--outbox", outbox.to_str().unwrap()]);
    let url = banner
        .split_whitespace()
        .find(|w| w.starts_with("http://127.0.0.1:"))
        .unwrap_or_else(|| panic!("no URL in {banner}"))
        .to_owned();
    assert!(banner.contains("token --tenant"), "{banner}");
    assert!(banner.contains(&outbox.display().to_string()), "{banner}");
    let addr = url.trim_start_matches("http://");
    let response = health_as(addr, addr);
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    assert!(outbox.is_dir(), "the outbox folder is created");
    let _ = std::fs::remove_dir_all(outbox);
}

#[test]
fn a_bad_setting_stops_the_start_with_a_message_naming_it() {
    for (args, setting) in [
        (vec!["--sender", "not an address"], "CONSENT_SENDER"),
        (vec!["--table", "x"], "CONSENT_TABLE"),
        (vec!["--reply-to", "nope"], "CONSENT_REPLY_TO"),
    ] {
        let out = Command::new(BIN)
            .args(["--port", "0"])
            .args(&args)
            .env_remove("CONSENT_TABLE")
            .env_remove("CONSENT_SENDER")
            .output()
            .unwrap();
        assert!(!out.status.success(), "{args:?} started");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(setting), "{args:?}: {stderr}");
    }
}

/// Own keys, and the development link key kept as an older key.
const OWN_LINK_KEYS: &str = "own:b3duLWxpbmsta2V5LW9mLXRoaXMtb3BlcmF0b3ItMzItYnl0ZXM";

#[test]
fn with_a_table_or_a_sender_the_development_keys_are_refused() {
    let dev_as_older = format!("{OWN_LINK_KEYS},{}", consent_local::DEV_LINK_KEYS);
    let dev_under_another_id = consent_local::DEV_LINK_KEYS.replacen("dev:", "mine:", 1);
    for (args, secret, keys, named) in [
        (
            vec!["--table", "consent-prod"],
            None,
            None,
            vec!["CONSENT_DEV_JWT_SECRET", "CONSENT_LINK_KEYS"],
        ),
        (
            vec!["--sender", "consent@example.com"],
            Some("an operator's own secret, not the published one"),
            None,
            vec!["CONSENT_LINK_KEYS"],
        ),
        (
            vec!["--table", "consent-prod"],
            Some(consent_local::auth::DEFAULT_DEV_SECRET),
            Some(OWN_LINK_KEYS.to_owned()),
            vec!["CONSENT_DEV_JWT_SECRET"],
        ),
        (
            vec!["--table", "consent-prod"],
            Some("an operator's own secret, not the published one"),
            Some(dev_as_older),
            vec!["CONSENT_LINK_KEYS"],
        ),
        (
            vec!["--table", "consent-prod"],
            Some("an operator's own secret, not the published one"),
            Some(dev_under_another_id),
            vec!["CONSENT_LINK_KEYS"],
        ),
    ] {
        let mut command = Command::new(BIN);
        command
            .current_dir(std::env::temp_dir())
            .args(["--port", "0"])
            .args(&args)
            .env_remove("CONSENT_TABLE")
            .env_remove("CONSENT_SENDER")
            .env_remove("CONSENT_DEV_JWT_SECRET")
            .env_remove("CONSENT_LINK_KEYS");
        if let Some(secret) = secret {
            command.env("CONSENT_DEV_JWT_SECRET", secret);
        }
        if let Some(keys) = &keys {
            command.env("CONSENT_LINK_KEYS", keys);
        }
        let out = command.output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{args:?} {keys:?} started");
        assert!(stderr.contains("development keys"), "{stderr}");
        for var in ["CONSENT_DEV_JWT_SECRET", "CONSENT_LINK_KEYS"] {
            assert_eq!(
                stderr.contains(var),
                named.contains(&var),
                "{args:?} {keys:?}: {stderr}"
            );
        }
    }
}

/// The status line and body of `GET /health` sent to `addr` as `host`.
fn health_as(addr: &str, host: &str) -> String {
    let mut stream = TcpStream::connect(addr).unwrap();
    write!(
        stream,
        "GET /health HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    response
}

#[test]
fn only_its_own_host_names_are_answered() {
    let (mut child, banner) = start(&["--base-url", "http://localhost:8080"]);
    let addr = banner
        .split_whitespace()
        .find_map(|w| w.strip_prefix("http://127.0.0.1:"))
        .map(|port| format!("127.0.0.1:{port}"))
        .unwrap_or_else(|| panic!("no URL in {banner}"));
    let port = addr.rsplit(':').next().unwrap().to_owned();
    let answers: Vec<(String, String)> = [
        addr.clone(),
        format!("LOCALHOST:{port}"),
        "localhost:8080".to_owned(),
        format!("evil.example:{port}"),
        format!("127.0.0.1.evil.example:{port}"),
        "localhost".to_owned(),
        String::new(),
    ]
    .into_iter()
    .map(|host| {
        let response = health_as(&addr, &host);
        (host, response)
    })
    .collect();
    child.kill().unwrap();
    child.wait().unwrap();
    for (host, response) in &answers[..3] {
        assert!(response.starts_with("HTTP/1.1 200"), "{host}: {response}");
    }
    for (host, response) in &answers[3..] {
        assert!(response.starts_with("HTTP/1.1 421"), "{host}: {response}");
        assert!(
            response.contains("application/problem+json")
                && response.contains("consent-local answers only at"),
            "{host}: {response}"
        );
    }
}

#[test]
fn without_the_schedule_it_says_so() {
    let (mut child, banner) = start(&["--no-schedule", "--tick", "1s"]);
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(
        banner.contains("No scheduled run (--no-schedule)"),
        "{banner}"
    );
    assert!(!banner.contains("Scheduled run every"), "{banner}");
}

#[test]
fn create_table_builds_the_table_from_the_single_definition() {
    let endpoint = std::env::var("CONSENT_MOTO_ENDPOINT").unwrap_or_else(|_| {
        panic!("CONSENT_MOTO_ENDPOINT is not set: run tests/run.sh, which installs and starts moto")
    });
    let table = format!("cli-{}", std::process::id());
    let out = Command::new(BIN)
        .args(["create-table", "--table", &table])
        .env("AWS_ENDPOINT_URL", &endpoint)
        .env("AWS_REGION", "us-east-1")
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        format!("created table {table}")
    );
    let again = Command::new(BIN)
        .args(["create-table", "--table", &table])
        .env("AWS_ENDPOINT_URL", &endpoint)
        .env("AWS_REGION", "us-east-1")
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .output()
        .unwrap();
    assert!(!again.status.success(), "creating it twice fails");
    assert!(String::from_utf8_lossy(&again.stderr).contains(&table));

    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let config = aws_config::defaults(aws_config::BehaviorVersion::latest())
            .endpoint_url(&endpoint)
            .region(aws_config::Region::new("us-east-1"))
            .credentials_provider(aws_sdk_dynamodb::config::Credentials::new(
                "t", "t", None, None, "t",
            ))
            .load()
            .await;
        let client = aws_sdk_dynamodb::Client::new(&config);
        let described = client
            .describe_table()
            .table_name(&table)
            .send()
            .await
            .unwrap();
        let t = described.table().unwrap();
        let mut indexes: Vec<&str> = t
            .global_secondary_indexes()
            .iter()
            .filter_map(|i| i.index_name())
            .collect();
        indexes.sort();
        assert_eq!(indexes, vec!["by-partner", "by-target", "due-emails"]);
        let backups = client
            .describe_continuous_backups()
            .table_name(&table)
            .send()
            .await
            .unwrap();
        let pitr = backups
            .continuous_backups_description()
            .and_then(|d| d.point_in_time_recovery_description())
            .and_then(|p| p.point_in_time_recovery_status())
            .map(|s| s.as_str().to_owned());
        assert_eq!(pitr.as_deref(), Some("ENABLED"));
        // Send budget counters expire through the table's TTL.
        let ttl = client
            .describe_time_to_live()
            .table_name(&table)
            .send()
            .await
            .unwrap();
        let ttl = ttl.time_to_live_description().unwrap();
        assert_eq!(ttl.attribute_name(), Some("expires_at"));
        assert_eq!(
            ttl.time_to_live_status().map(|s| s.as_str()),
            Some("ENABLED")
        );
    });
}
