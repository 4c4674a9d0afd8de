//! The `consent-local` binary as its users run it.

// A test tells one story from start to end; its length is the story's.
#![allow(clippy::too_many_lines)]

mod cli;
mod directory_cli;
mod ses_check_cli;
mod verify_cli;
