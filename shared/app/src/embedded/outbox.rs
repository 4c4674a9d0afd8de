//! A mailer for local use: each email becomes an RFC 5322 `.eml` file in a
//! folder, and its link is logged so a developer can click it.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use async_trait::async_trait;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use mail_builder::MessageBuilder;
use time::OffsetDateTime;
use time::macros::format_description;

use crate::ports::{EmailMessage, MailError, Mailer};

pub struct OutboxMailer {
    dir: PathBuf,
    from_name: String,
    from_address: String,
    sequence: AtomicU64,
}

impl OutboxMailer {
    /// Creates `dir` if needed. The sender is written `Name <address>` or `address`.
    pub fn new(dir: impl Into<PathBuf>, from: &str) -> std::io::Result<Self> {
        let dir = dir.into();
        std::fs::create_dir_all(&dir)?;
        let (from_name, from_address) = split_sender(from);
        Ok(Self {
            dir,
            from_name,
            from_address,
            sequence: AtomicU64::new(0),
        })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

#[async_trait]
impl Mailer for OutboxMailer {
    async fn send(&self, message: &EmailMessage) -> Result<(), MailError> {
        let now = OffsetDateTime::now_utc();
        let mut bytes = subject_header(&message.subject).into_bytes();
        MessageBuilder::new()
            .from((self.from_name.clone(), self.from_address.clone()))
            .to(message.to.as_str().to_owned())
            .date(now.unix_timestamp())
            .text_body(message.text.clone())
            .html_body(message.html.clone())
            .write_to(&mut bytes)
            .map_err(|e| MailError::Transient(e.to_string()))?;
        let stamp = now
            .format(format_description!(
                "[year][month][day]T[hour][minute][second].[subsecond digits:6]Z"
            ))
            .map_err(|e| MailError::Transient(e.to_string()))?;
        let seq = self.sequence.fetch_add(1, Ordering::Relaxed);
        let path = self.dir.join(format!("{stamp}-{seq:04}.eml"));
        // Written aside and renamed, so whoever watches the outbox never sees half an email.
        let partial = path.with_extension("eml.part");
        let io_error = |e: std::io::Error| MailError::Transient(format!("{}: {e}", path.display()));
        tokio::fs::write(&partial, bytes).await.map_err(io_error)?;
        tokio::fs::rename(&partial, &path).await.map_err(io_error)?;
        match &message.link {
            Some(link) => {
                tracing::info!(target: "outbox", to = %message.to, file = %path.display(), "email written; open {link}")
            }
            None => {
                tracing::info!(target: "outbox", to = %message.to, file = %path.display(), "email written")
            }
        }
        Ok(())
    }
}

/// The Subject header line, folded as RFC 5322 folds: a line break goes
/// before a space, so unfolding gives the text back. (mail-builder folds
/// with a tab added, which mail programs then show.) Text that is not plain
/// ASCII becomes RFC 2047 encoded words, one per line.
pub fn subject_header(subject: &str) -> String {
    const WIDTH: usize = 78;
    let plain = subject.bytes().all(|b| (0x20..0x7f).contains(&b)) && !subject.contains("=?");
    let mut header = String::from("Subject:");
    let mut line = header.len();
    let mut add = |piece: &str, header: &mut String| {
        if line + piece.len() > WIDTH && !header.ends_with(':') {
            header.push_str("\r\n");
            line = 0;
        }
        header.push_str(piece);
        line += piece.len();
    };
    if plain {
        for word in subject.split(' ') {
            add(&format!(" {word}"), &mut header);
        }
    } else {
        // 42 bytes make 56 base64 characters: a word of 68, a line under 78.
        let mut chunk = String::new();
        for ch in subject.chars() {
            if chunk.len() + ch.len_utf8() > 42 {
                add(
                    &format!(" =?utf-8?B?{}?=", STANDARD.encode(&chunk)),
                    &mut header,
                );
                chunk.clear();
            }
            chunk.push(ch);
        }
        if !chunk.is_empty() {
            add(
                &format!(" =?utf-8?B?{}?=", STANDARD.encode(&chunk)),
                &mut header,
            );
        }
    }
    header.push_str("\r\n");
    header
}

/// `Name <address>` → (name, address); a bare address has an empty name.
pub fn split_sender(from: &str) -> (String, String) {
    match from.trim().rsplit_once('<') {
        Some((name, rest)) => (
            name.trim().trim_matches('"').to_owned(),
            rest.trim_end_matches('>').trim().to_owned(),
        ),
        None => (String::new(), from.trim().to_owned()),
    }
}
