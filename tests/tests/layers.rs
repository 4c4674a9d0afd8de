//! The layers as the compiler holds them: which crate may depend on which,
//! read from `cargo metadata`, and files, impls and functions small enough
//! to read (functions: clippy's `too_many_lines`, see clippy.toml).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value;

/// Each product crate's layer; a crate may depend only on crates of lower
/// layers (HTTP edge, AWS adapters and the sign-in's relying party, side by
/// side, not on each other).
fn layer(name: &str) -> Option<u8> {
    Some(match name {
        "consent-core" => 0,
        "consent-app" => 1,
        "consent-aws" | "consent-http" | "consent-oidc" => 2,
        "consent-runtime" => 3,
        "consent-local" => 5,
        "consent-tests" | "consent-bench" | "hello-lambda" => 6,
        _ => return None,
    })
}

/// The layer of a workspace package: a function crate (under `functions/`)
/// sits above the runtime.
fn layer_of(package: &Value) -> u8 {
    let name = package["name"].as_str().unwrap_or_default();
    let manifest = package["manifest_path"].as_str().unwrap_or_default();
    layer(name).unwrap_or(if manifest.contains("/functions/") {
        4
    } else {
        6
    })
}

/// Every dependency of a workspace crate on another that breaks the layers.
fn violations(metadata: &Value) -> Vec<String> {
    let packages = metadata["packages"].as_array().unwrap();
    let members: BTreeMap<&str, u8> = packages
        .iter()
        .map(|p| (p["name"].as_str().unwrap(), layer_of(p)))
        .collect();
    let mut found = Vec::new();
    for package in packages {
        let (name, own) = (package["name"].as_str().unwrap(), layer_of(package));
        for dep in package["dependencies"].as_array().unwrap() {
            let dep_name = dep["name"].as_str().unwrap();
            // Tests may use what they test.
            if dep["kind"] == "dev" {
                continue;
            }
            if let Some(&theirs) = members.get(dep_name)
                && theirs >= own
                && own < 6
            {
                found.push(format!(
                    "{name} (layer {own}) depends on {dep_name} (layer {theirs})"
                ));
            }
        }
    }
    found
}

fn metadata() -> Value {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let out = std::process::Command::new(cargo)
        .args([
            "metadata",
            "--format-version",
            "1",
            "--no-deps",
            "--offline",
        ])
        .current_dir(workspace())
        .output()
        .expect("cargo metadata runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

#[test]
fn no_crate_depends_on_a_crate_of_its_own_layer_or_above() {
    let metadata = metadata();
    let names: Vec<&str> = metadata["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    for crate_name in [
        "consent-core",
        "consent-app",
        "consent-aws",
        "consent-http",
        "consent-runtime",
    ] {
        assert!(
            names.contains(&crate_name),
            "{crate_name} is a workspace member"
        );
    }
    assert_eq!(violations(&metadata), Vec::<String>::new());
}

#[test]
fn a_core_that_depended_on_the_application_would_be_caught() {
    let mut metadata = metadata();
    let core = metadata["packages"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|p| p["name"] == "consent-core")
        .unwrap();
    core["dependencies"]
        .as_array_mut()
        .unwrap()
        .push(serde_json::json!({"name": "consent-app", "kind": null}));
    assert_eq!(
        violations(&metadata),
        ["consent-core (layer 0) depends on consent-app (layer 1)"]
    );
}

/// The crates the core and the application may never compile: no I/O
/// runtime, no Lambda, no AWS SDK in the core; no Lambda or AWS SDK in the
/// application; no HTTP edge in the functions no HTTP request invokes.
#[test]
fn lower_crates_compile_nothing_of_the_layers_above() {
    let forbidden: [(&str, &[&str]); 4] = [
        (
            "consent-core",
            &["tokio", "lambda_http", "lambda_runtime", "aws-config"],
        ),
        (
            "consent-app",
            &["lambda_http", "lambda_runtime", "aws-config", "hyper"],
        ),
        ("event-publisher", &["lambda_http", "consent-http"]),
        ("mail-events", &["lambda_http", "consent-http"]),
    ];
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    for (package, never) in forbidden {
        let out = std::process::Command::new(&cargo)
            .args([
                "tree",
                "--offline",
                "-e",
                "normal",
                "--prefix",
                "none",
                "-f",
                "{p}",
                "-p",
            ])
            .arg(package)
            .current_dir(workspace())
            .output()
            .expect("cargo tree runs");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let tree = String::from_utf8_lossy(&out.stdout);
        for crate_name in never {
            assert!(
                !tree
                    .lines()
                    .any(|l| l.split(' ').next() == Some(crate_name)),
                "{package} compiles {crate_name}"
            );
        }
    }
}

/// The product's source files: the shared crates and the functions.
fn product_sources() -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut dirs: Vec<PathBuf> = ["shared", "functions"]
        .iter()
        .flat_map(|top| std::fs::read_dir(workspace().join(top)).unwrap())
        .filter_map(|e| e.ok().map(|e| e.path().join("src")))
        .filter(|p| p.is_dir())
        .collect();
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap().filter_map(Result::ok) {
            let path = entry.path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                files.push(path);
            }
        }
    }
    files
}

/// Files over `max_file` lines, and `impl` blocks over `max_impl`.
fn too_long(source: &str, max_file: usize, max_impl: usize) -> Vec<String> {
    let lines: Vec<&str> = source.lines().collect();
    let mut found = Vec::new();
    if lines.len() > max_file {
        found.push(format!("{} lines", lines.len()));
    }
    for (start, line) in lines.iter().enumerate() {
        if line.starts_with("impl") && line.ends_with('{') {
            let end = lines[start..]
                .iter()
                .position(|l| *l == "}")
                .map_or(lines.len(), |n| start + n);
            if end - start + 1 > max_impl {
                found.push(format!(
                    "impl at line {} is {} lines",
                    start + 1,
                    end - start + 1
                ));
            }
        }
    }
    found
}

#[test]
fn every_product_file_and_impl_is_short_enough_to_read() {
    let sources = product_sources();
    assert!(sources.len() > 50, "{} files found", sources.len());
    let mut found = Vec::new();
    for path in sources {
        let source = std::fs::read_to_string(&path).unwrap();
        for problem in too_long(&source, 500, 250) {
            found.push(format!("{}: {problem}", path.display()));
        }
    }
    assert_eq!(found, Vec::<String>::new());
}

#[test]
fn a_long_file_or_impl_would_be_caught() {
    let impl_block = format!("impl A {{\n{}}}\n", "    fn f() {}\n".repeat(260));
    assert_eq!(
        too_long(&impl_block, 500, 250),
        ["impl at line 1 is 262 lines"]
    );
    let file = "// a line\n".repeat(501);
    assert_eq!(too_long(&file, 500, 250), ["501 lines"]);
    assert!(too_long(&"// a line\n".repeat(500), 500, 250).is_empty());
}
