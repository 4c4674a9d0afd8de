//! Builds compared: some functions from other builds (bench/run.sh makes a
//! static musl build with packed relative relocations, and one that links
//! the SDK's default provider chains) and with the SDK's partition table
//! cut to one partition, timed in the same run and modes as the build that
//! is deployed.

use std::path::{Path, PathBuf};

use crate::harness::Harness;

use crate::cold::{
    Cold, Figures, TEMPLATE_MEMORY_MB, at_memory, cold_cache_of, deployed, file_mib,
};

/// One service, one service without DynamoDB, four services, four services
/// and three emails; the two that call the identity provider. A build that
/// lacks one of them is skipped for it.
const FUNCTIONS: [&str; 6] = [
    "access-check",
    "event-publisher",
    "review-decision",
    "create-request",
    "reviewer-sign-in",
    "customer-view",
];

/// Another way of running a function: another build's binaries (`dir`
/// holds `NAME` and the arm64 `NAME.zip`), or the deployed build with more
/// variables set.
struct Variant {
    label: String,
    dir: Option<PathBuf>,
    env: Vec<(String, String)>,
}

/// The SDK's partition table cut to the `aws` partition without its list
/// of regions (which the regular expression matches): read by every SDK
/// crate from `SMITHY_CLIENT_SDK_CUSTOM_PARTITION` instead of the whole
/// table it parses from JSON when a client is built.
const ONE_PARTITION: &str = r#"{"partitions":[{"id":"aws","outputs":{"dnsSuffix":"amazonaws.com","dualStackDnsSuffix":"api.aws","implicitGlobalRegion":"us-east-1","name":"aws","supportsDualStack":true,"supportsFIPS":true},"regionRegex":"^(us|eu|ap|sa|ca|me|af|il|mx)\\-\\w+\\-\\d+$","regions":{}}],"version":"1.1"}"#;

/// `CONSENT_BENCH_BUILDS` (`label=folder` pairs, separated by commas), then
/// the deployed build reading the one-partition table.
fn variants(root: &Path) -> Result<Vec<Variant>, String> {
    let listed = std::env::var("CONSENT_BENCH_BUILDS").unwrap_or_default();
    let mut variants = listed
        .split(',')
        .filter(|b| !b.trim().is_empty())
        .map(|pair| match pair.split_once('=') {
            Some((label, dir)) => Ok(Variant {
                label: label.trim().to_owned(),
                dir: Some(PathBuf::from(dir.trim())),
                env: Vec::new(),
            }),
            None => Err(format!(
                "CONSENT_BENCH_BUILDS: `{pair}` is not label=folder"
            )),
        })
        .collect::<Result<Vec<_>, _>>()?;
    let partitions = root.join("target/bench/partition-aws.json");
    std::fs::write(&partitions, ONE_PARTITION).map_err(|e| e.to_string())?;
    variants.push(Variant {
        label: "one-partition table".to_owned(),
        dir: None,
        env: vec![(
            "SMITHY_CLIENT_SDK_CUSTOM_PARTITION".to_owned(),
            partitions.display().to_string(),
        )],
    });
    Ok(variants)
}

/// Times the variants of some functions beside `deployed_build` (the build measured first).
pub async fn compare(harness: &mut Harness, root: &Path, deployed_build: &[Cold], runs: usize) {
    let variants = variants(root).unwrap_or_else(|e| panic!("{e}"));
    let only = std::env::var("CONSENT_BENCH_BUILD_FUNCTIONS").unwrap_or_default();
    let functions: Vec<&Cold> = deployed_build
        .iter()
        .filter(|c| {
            if only.is_empty() {
                FUNCTIONS.contains(&c.name.as_str())
            } else {
                only.split(',').any(|o| o == c.name)
            }
        })
        .collect();
    let released = std::env::var_os("CONSENT_BENCH_BINARIES")
        .map_or_else(|| root.join("target/release"), PathBuf::from);
    let mut rows = Vec::new();
    for cold in &functions {
        let name = cold.name.as_str();
        let modes = [
            deployed(name),
            cold_cache_of(name),
            at_memory(name, TEMPLATE_MEMORY_MB),
        ];
        rows.push(Row::of(
            name,
            "as deployed",
            file_mib(&released.join(name)),
            cold.zip_mib,
            &cold.by_mode,
        ));
        for variant in &variants {
            let binary = variant.dir.as_ref().unwrap_or(&released).join(name);
            if !binary.exists() {
                continue;
            }
            let by_mode = harness
                .measure((name, &binary), &modes, (runs, 0), &variant.env)
                .await;
            let zip = match &variant.dir {
                Some(dir) => file_mib(&dir.join(format!("{name}.zip"))),
                None => cold.zip_mib,
            };
            rows.push(Row::of(
                name,
                &variant.label,
                file_mib(&binary),
                zip,
                &by_mode,
            ));
            eprintln!("cold starts of {name} ({}) measured", variant.label);
        }
    }
    print(&variants, &rows, root);
}

/// One function of one build.
struct Row {
    function: String,
    build: String,
    binary_mib: Option<f64>,
    zip_mib: Option<f64>,
    warm_cache: Option<Figures>,
    cold_cache: Option<Figures>,
    at_template: Option<Figures>,
}

impl Row {
    fn of(
        function: &str,
        build: &str,
        binary_mib: Option<f64>,
        zip_mib: Option<f64>,
        by_mode: &[(crate::cold::Mode, Figures)],
    ) -> Self {
        let find = |mode| {
            by_mode
                .iter()
                .find(|(m, _)| *m == mode)
                .map(|(_, f)| f.clone())
        };
        Self {
            function: function.to_owned(),
            build: build.to_owned(),
            binary_mib,
            zip_mib,
            warm_cache: find(deployed(function)),
            cold_cache: find(cold_cache_of(function)),
            at_template: find(at_memory(function, TEMPLATE_MEMORY_MB)),
        }
    }
}

/// `path` as the report shows it: below the repository, relative to it.
fn shown(path: &Path, root: &Path) -> String {
    let root = root.canonicalize().unwrap_or_else(|_| root.to_owned());
    let path = path.canonicalize().unwrap_or_else(|_| path.to_owned());
    path.strip_prefix(&root)
        .unwrap_or(&path)
        .display()
        .to_string()
}

fn print(variants: &[Variant], rows: &[Row], root: &Path) {
    let dash = |v: Option<f64>, digits: usize| {
        v.filter(|v| v.is_finite())
            .map_or("–".to_owned(), |v| format!("{v:.digits$}"))
    };
    println!("### Builds compared\n");
    println!(
        "Some functions run other ways, in the same run and modes (TLS): {}. Binary: the x86_64 file timed; \
         zip: the arm64 one deployed.\n",
        variants
            .iter()
            .map(|v| match &v.dir {
                Some(dir) => format!("{} (the build in {})", v.label, shown(dir, root)),
                None => format!(
                    "{} (the deployed build with {})",
                    v.label,
                    v.env
                        .iter()
                        .map(|(k, v)| format!("`{k}={}`", shown(Path::new(v), root)))
                        .collect::<Vec<_>>()
                        .join(" ")
                ),
            })
            .collect::<Vec<_>>()
            .join(", ")
    );
    println!(
        "| function | build | binary MiB | zip MiB (arm64) | CPU ms | init / invoke CPU ms | wall − AWS ms | cold cache: CPU ms | wall − AWS ms | minor / major faults | first invocation at 256 MB ms |"
    );
    println!("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for row in rows {
        let warm = row.warm_cache.as_ref();
        let cold = row.cold_cache.as_ref();
        println!(
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            row.function,
            row.build,
            dash(row.binary_mib, 2),
            dash(row.zip_mib, 2),
            dash(warm.map(|f| f.cpu), 2),
            warm.map_or("–".to_owned(), |f| format!(
                "{:.2} / {:.2}",
                f.init_cpu, f.invoke_cpu
            )),
            dash(warm.map(|f| f.wall - f.aws), 1),
            dash(cold.map(|f| f.cpu), 2),
            dash(cold.map(|f| f.wall - f.aws), 1),
            cold.map_or("–".to_owned(), |f| format!(
                "{:.0} / {:.0}",
                f.minor_faults, f.major_faults
            )),
            dash(row.at_template.as_ref().map(|f| f.invoke_wall), 1),
        );
    }
    println!();
}
