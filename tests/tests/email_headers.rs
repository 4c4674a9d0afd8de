//! Subjects come back exactly as sent, however long, non-ASCII or quoted
//! the environment name: read with mail-parser and with Python's `email`
//! package, as mail programs read them.

use std::process::Command;
use std::sync::Arc;

use consent_app::embedded::clock::ManualClock;
use consent_app::embedded::memory::MemoryStore;
use consent_app::embedded::outbox::OutboxMailer;
use consent_app::ports::{EmailMessage, Mailer};
use consent_app::service::ConsentService;
use consent_app::settings::Settings;
use consent_core::domain::{Email, EnvironmentName};
use consent_core::links::LinkSigner;
use consent_tests::*;

fn names() -> Vec<String> {
    vec![
        "Production EU".to_owned(),
        "Production\u{a0}EU – Zürich 🇨🇭 «prod»".to_owned(),
        r#"The "main" production 'EU' environment = ?utf-8? =?not-encoded?="#.to_owned(),
        "Production EU West with a long name "
            .repeat(6)
            .trim()
            .chars()
            .take(200)
            .collect(),
        "Z".repeat(200),
        "Ünïcödé ".repeat(25).trim().to_owned(),
    ]
}

/// The subject of each `.eml` file as Python's `email` package reads it.
fn python_subjects(files: &[String]) -> Vec<String> {
    let script = r#"
import email, email.policy, json, sys
out = []
for path in sys.argv[1:]:
    with open(path, "rb") as f:
        out.append(str(email.message_from_binary_file(f, policy=email.policy.default)["subject"]))
print(json.dumps(out))
"#;
    let output = Command::new("python3")
        .arg("-c")
        .arg(script)
        .args(files)
        .output()
        .expect("python3 runs (tests/run.sh needs it too: install Python 3)");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

#[tokio::test]
async fn every_subject_comes_back_exactly_and_lines_stay_short() {
    let dir = temp_dir("subjects");
    let outbox = OutboxMailer::new(&dir, "Data Consent <consent@localhost>").unwrap();
    let subjects: Vec<String> = names()
        .into_iter()
        .map(|n| format!("Consent request canceled: Fabrikam Consulting / Contoso Ltd / {n}"))
        .collect();
    for subject in &subjects {
        outbox
            .send(&EmailMessage {
                to: Email::parse("bob@contoso.example").unwrap(),
                subject: subject.clone(),
                text: "text".into(),
                html: "<p>html</p>".into(),
                link: None,
                about: None,
            })
            .await
            .unwrap();
    }
    let read = read_outbox(&dir);
    assert_eq!(read.len(), subjects.len());
    let files: Vec<String> = read.iter().map(|e| e.file.clone()).collect();
    let from_python = python_subjects(&files);
    for ((email, python), sent) in read.iter().zip(&from_python).zip(&subjects) {
        assert_eq!(&email.subject, sent, "mail-parser");
        assert_eq!(python, sent, "Python's email");
        let raw = std::fs::read_to_string(&email.file).unwrap();
        let header_end = raw.find("\r\n\r\n").unwrap();
        let subject_lines = raw[..header_end]
            .split("\r\n")
            .skip_while(|l| !l.starts_with("Subject:"))
            .enumerate()
            .take_while(|(i, l)| *i == 0 || l.starts_with([' ', '\t']))
            .map(|(_, l)| l);
        for line in subject_lines {
            assert!(!line.starts_with('\t'), "folded with a tab: {line:?}");
            let long_word = line.split(' ').any(|w| w.len() > 70);
            assert!(
                line.len() <= 78 || long_word,
                "{} characters: {line:?}",
                line.len()
            );
        }
    }
}

#[tokio::test]
async fn a_long_non_ascii_environment_name_is_kept_whole_in_the_body() {
    let dir = temp_dir("receipt-subjects");
    let name = "Produktion – Zürich «EU» "
        .repeat(8)
        .trim()
        .chars()
        .take(200)
        .collect::<String>();
    let app = ConsentService::new(
        Arc::new(MemoryStore::new()),
        Arc::new(OutboxMailer::new(&dir, "Data Consent <consent@localhost>").unwrap()),
        Arc::new(directory()),
        Arc::new(ManualClock::new(start_time())),
        LinkSigner::from_spec(TEST_LINK_KEYS).unwrap(),
        Settings {
            public_base_url: Some("https://consent.test".into()),
            ..Settings::default()
        },
    )
    .with_identity_provider(std::sync::Arc::new(consent_tests::NamedIdentity));
    let mut input = create_input("prod");
    input.environment_name = EnvironmentName::parse(&name).unwrap();
    let created = app.create(&partner_caller(true), input).await.unwrap();
    app.cancel(&partner_caller(true), created.id, None)
        .await
        .unwrap();
    let read = read_outbox(&dir);
    assert_eq!(read.len(), 2 + 3, "two asks, three receipts");
    let files: Vec<String> = read.iter().map(|e| e.file.clone()).collect();
    for (email, python) in read.iter().zip(python_subjects(&files)) {
        assert!(
            email.subject.ends_with(", environment prod"),
            "the partner's name for it is not in the subject: {:?}",
            email.subject
        );
        assert_eq!(python, email.subject);
        let line = format!("> Environment name: {name}");
        assert!(
            email.text.lines().any(|l| l == line),
            "kept whole in the body: {}",
            email.text
        );
    }
}
