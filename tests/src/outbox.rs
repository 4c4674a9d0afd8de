//! Emails read back from `.eml` files, as a mail program reads them.

use std::path::Path;

/// An email as read back from an `.eml` file.
#[derive(Debug, Clone)]
pub struct OutboxEmail {
    pub file: String,
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
}

impl OutboxEmail {
    /// The review link in the plain-text body.
    pub fn review_link(&self) -> Option<String> {
        self.link_to("/review/")
    }

    /// The link to withdraw consent in the plain-text body.
    pub fn revoke_link(&self) -> Option<String> {
        self.link_to("/revoke/")
    }

    fn link_to(&self, path: &str) -> Option<String> {
        self.text
            .split_whitespace()
            .find(|word| word.starts_with("http") && word.contains(path))
            .map(str::to_owned)
    }
}

/// Every email in `dir`, oldest first (file names sort by time).
pub fn read_outbox(dir: &Path) -> Vec<OutboxEmail> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .map(|rd| rd.filter_map(|e| e.ok()).map(|e| e.path()).collect())
        .unwrap_or_default();
    files.retain(|p| p.extension().is_some_and(|e| e == "eml"));
    files.sort();
    files
        .into_iter()
        .map(|path| {
            let raw = std::fs::read(&path).unwrap();
            let message = mail_parser::MessageParser::default()
                .parse(&raw)
                .unwrap_or_else(|| panic!("{} is not an RFC 5322 message", path.display()));
            let to = message
                .to()
                .and_then(|a| a.first())
                .and_then(|a| a.address())
                .unwrap_or_default()
                .to_owned();
            OutboxEmail {
                file: path.display().to_string(),
                to,
                subject: message.subject().unwrap_or_default().to_owned(),
                text: message.body_text(0).unwrap_or_default().into_owned(),
                html: message.body_html(0).unwrap_or_default().into_owned(),
            }
        })
        .collect()
}
