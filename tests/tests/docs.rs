//! The docs cite only what exists: every relative link of every Markdown
//! file (and the heading it points at), and every repository path written
//! in backticks.

use std::path::{Path, PathBuf};

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .canonicalize()
        .unwrap()
}

/// The repository's Markdown files (not the tools', builds' or packages').
fn markdown_files() -> Vec<PathBuf> {
    let skip = [
        "target",
        ".tools",
        ".git",
        "node_modules",
        ".aws-sam",
        "outbox",
    ];
    let mut found = Vec::new();
    let mut dirs = vec![workspace()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap().filter_map(Result::ok) {
            let path = entry.path();
            let name = entry.file_name().to_string_lossy().into_owned();
            if path.is_dir() {
                if !skip.contains(&name.as_str()) {
                    dirs.push(path);
                }
            } else if name.ends_with(".md") {
                found.push(path);
            }
        }
    }
    found
}

/// GitHub's anchor of a heading.
fn anchor(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric() || *c == ' ' || *c == '-' || *c == '_')
        .map(|c| if c == ' ' { '-' } else { c })
        .collect()
}

fn anchors(markdown: &str) -> Vec<String> {
    markdown
        .lines()
        .filter(|l| l.starts_with('#'))
        .map(|l| anchor(l.trim_start_matches('#')))
        .collect()
}

/// What `markdown` (the file at `path`) cites that does not exist.
fn broken(path: &Path, markdown: &str) -> Vec<String> {
    let root = workspace();
    let dir = path.parent().unwrap();
    let mut found = Vec::new();
    for (at, _) in markdown.match_indices("](") {
        let target: String = markdown[at + 2..]
            .chars()
            .take_while(|c| *c != ')' && !c.is_whitespace())
            .collect();
        if target.contains("://") || target.starts_with("mailto:") {
            continue;
        }
        let (file, fragment) = target.split_once('#').unwrap_or((&target, ""));
        let linked = if file.is_empty() {
            path.to_path_buf()
        } else {
            dir.join(file)
        };
        if !linked.exists() {
            found.push(format!("link {target}"));
        } else if !fragment.is_empty() && linked.extension().is_some_and(|e| e == "md") {
            let text = std::fs::read_to_string(&linked).unwrap();
            if !anchors(&text).contains(&fragment.to_owned()) {
                found.push(format!("link {target}: no such heading"));
            }
        }
    }
    for quoted in markdown.split('`').skip(1).step_by(2) {
        let top = [
            "shared/",
            "functions/",
            "infra/",
            "tests/",
            "bench/",
            "fuzz/",
            ".ci/",
        ];
        let plain = !quoted.contains(['<', '*', ' ', '…', '{', '$']);
        if plain && top.iter().any(|t| quoted.starts_with(t)) && !root.join(quoted).exists() {
            found.push(format!("path {quoted}"));
        }
    }
    found
}

#[test]
fn every_file_and_heading_the_docs_cite_exists() {
    let files = markdown_files();
    assert!(files.len() >= 8, "{files:?}");
    let mut found = Vec::new();
    for path in files {
        let text = std::fs::read_to_string(&path).unwrap();
        for problem in broken(&path, &text) {
            found.push(format!("{}: {problem}", path.display()));
        }
    }
    assert_eq!(found, Vec::<String>::new());
}

#[test]
fn a_dead_link_a_missing_heading_or_a_missing_path_would_be_caught() {
    let readme = workspace().join("README.md");
    let text = "See [the guide](infra/README.md), [nothing](infra/NOTHING.md), \
        [a heading](infra/README.md#no-such-heading), `shared/core/src/lib.rs` and \
        `shared/core/src/nothing.rs`.";
    assert_eq!(
        broken(&readme, text),
        [
            "link infra/NOTHING.md",
            "link infra/README.md#no-such-heading: no such heading",
            "path shared/core/src/nothing.rs",
        ]
    );
}
