//! The tables and aims of sections 1–2 (see `cold`).

use crate::cold::{
    Cold, Figures, HELLO_HTTP, HELLO_TLS, TEMPLATE_MEMORY_MB, at_memory, cold_cache_of, deployed,
    handshakes_text, mail_one_at_a_time, not_opened, plain, stand_ins_text, tls, warm_of,
};
use crate::process::{CpuLimit, MB_PER_VCPU, PERIOD_US};
use crate::verdict;

fn or_dash(v: Option<f64>, digits: usize) -> String {
    v.filter(|v| v.is_finite())
        .map_or("–".to_owned(), |v| format!("{v:.digits$}"))
}

/// Services a function opened connections to (with TLS, as deployed).
fn services(cold: &Cold) -> usize {
    cold.figures(tls())
        .map_or(0, |f| f.handshakes.iter().filter(|n| **n > 0).count())
}

fn sends_email(cold: &Cold) -> bool {
    cold.figures(tls())
        .is_some_and(|f| f.handshakes.get(1).is_some_and(|n| *n > 0))
}

/// A table's header row and its alignment row.
fn table(header: &str, alignment: &str) {
    println!("{header}");
    println!("{alignment}");
}

pub fn print(all: &[Cold], runs: usize, warm_events: usize, cpu_emulated: bool) {
    let find = |name: &str| all.iter().find(|c| c.name == name);
    let hello_tls = find(HELLO_TLS)
        .and_then(|c| c.figures(tls()))
        .map(|f| f.cpu);
    let hello_http = find(HELLO_HTTP)
        .and_then(|c| c.figures(plain()))
        .map(|f| f.cpu);
    println!("## 1–2. Cold start, size and memory");
    println!(
        "Each binary started {} times per mode (one more first, not counted) against a fake Lambda Runtime API serving one \
         realistic event; medians. CPU: the process's user + system time from `wait4`'s rusage (init and first invocation \
         apart from each thread's schedstat at the moment it asks for its first event); faults from the same rusage. Wall: exec → first \
         response, with every AWS call answered after a fixed stand-in latency ({}) and moto's time beyond it taken off. \
         AWS ms: time at least one stand-in call was under way. TLS: each service has its own HTTPS endpoint on loopback (a chain generated for the run: RSA 2048 root, \
         intermediate and server certificate; TLS 1.3 and 1.2 with the SDK's cipher suites); the functions and hello-tls trust the Amazon roots \
         compiled in plus that root. Baselines, all on tokio's current-thread runtime like the functions: hello-lambda (no call), hello-http \
         (one plain HTTP call during init), hello-tls (one HTTPS call during init). Warm: {warm_events} event(s) after the first in the same process, in a mode of its own (the cold figures come from processes that serve one event).\n",
        runs,
        stand_ins_text()
    );
    println!("### As deployed: TLS, warm page cache, a whole CPU\n");
    table(
        "| binary | calls | handshakes | CPU ms | init / invoke CPU ms | × hello-tls CPU | wall ms | AWS ms | wall − AWS ms | minor / major faults | warm CPU ms | warm wall − AWS ms | peak RSS MiB | zip MiB (arm64) |",
        "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    );
    for cold in all {
        let Some(f) = cold.figures(tls()) else {
            continue;
        };
        let warm = cold.figures(warm_of(&cold.name));
        println!(
            "| {} | {} | {} | {:.2} | {:.2} / {:.2} | {} | {:.1} | {:.1} | {:.1} | {:.0} / {:.0} | {} | {} | {:.1} | {} |",
            cold.name,
            f.calls,
            handshakes_text(&f.handshakes),
            f.cpu,
            f.init_cpu,
            f.invoke_cpu,
            or_dash(hello_tls.map(|h| f.cpu / h), 2),
            f.wall,
            f.aws,
            f.wall - f.aws,
            f.minor_faults,
            f.major_faults,
            or_dash(warm.and_then(|w| w.warm_cpu), 3),
            or_dash(warm.and_then(|w| w.warm_wall), 2),
            cold.rss_mib,
            or_dash(cold.zip_mib, 2),
        );
    }
    println!("\n### Plain HTTP, warm page cache, a whole CPU\n");
    table(
        "| binary | calls | CPU ms | × hello-http CPU | wall ms | AWS ms | wall − AWS ms | minor / major faults |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    );
    for cold in all {
        let Some(f) = cold.figures(plain()) else {
            continue;
        };
        println!(
            "| {} | {} | {:.2} | {} | {:.1} | {:.1} | {:.1} | {:.0} / {:.0} |",
            cold.name,
            f.calls,
            f.cpu,
            or_dash(hello_http.map(|h| f.cpu / h), 2),
            f.wall,
            f.aws,
            f.wall - f.aws,
            f.minor_faults,
            f.major_faults,
        );
    }
    println!(
        "\n### Cold page cache\n\nThe binary's pages dropped from the page cache before each start (`posix_fadvise` DONTNEED; the share still \
         resident is checked with `mincore`), as on a new micro-VM; shared libraries stay cached. Beside the same mode with a warm cache.\n"
    );
    table(
        "| binary | resident at exec | CPU ms | + over warm | wall − AWS ms | + over warm | major faults | minor faults |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    );
    for cold in all {
        let (Some(c), Some(w)) = (
            cold.figures(cold_cache_of(&cold.name)),
            cold.figures(deployed(&cold.name)),
        ) else {
            continue;
        };
        println!(
            "| {} | {:.0}% | {:.2} | {:+.2} | {:.1} | {:+.1} | {:.0} | {:.0} |",
            cold.name,
            c.resident_at_exec * 100.0,
            c.cpu,
            c.cpu - w.cpu,
            c.wall - c.aws,
            (c.wall - c.aws) - (w.wall - w.aws),
            c.major_faults,
            c.minor_faults,
        );
    }
    print_cpu_share(all, cpu_emulated);
    print_mail_at_once(all);
    print_signing(all);
    aims(all, hello_tls);
}

fn print_cpu_share(all: &[Cold], cpu_emulated: bool) {
    println!(
        "\n### The invoke phase at Lambda's CPU share\n\nInit on one whole CPU; from the moment the function asks for its first event, a \
         cgroup CPU quota of memory ÷ {MB_PER_VCPU} of a CPU per {} ms period ({} µs at 128 MB, {} µs at 256 MB, {} µs at 512 MB). First invocation: \
         wall − moto's excess, beside the stand-in AWS time within it. Not opened ahead: the same without the connections opened during init \
         (`CONSENT_OPEN_CONNECTIONS=off`). The template gives every function {TEMPLATE_MEMORY_MB} MB.\n",
        PERIOD_US / 1000,
        CpuLimit::quota_for(128),
        CpuLimit::quota_for(256),
        CpuLimit::quota_for(512),
    );
    if !cpu_emulated {
        println!("Not measured: this machine lets the benchmark set no CPU quota (see above).\n");
    }
    table(
        "| binary | AWS ms in the first invocation | first invocation wall ms at 128 MB | at 256 MB | at 512 MB | at 256 MB, not opened ahead | handshakes in it, not opened ahead | init wall ms at 256 MB | whole CPU: CPU / wall − AWS ms, opened ahead | not opened ahead |",
        "|---|---:|---:|---:|---:|---:|---|---:|---:|---:|",
    );
    for cold in all {
        let at = |mb| cold.figures(at_memory(&cold.name, mb));
        let invoke = |f: Option<&Figures>| or_dash(f.map(|f| f.invoke_wall), 1);
        let not_opened_at = cold.figures(not_opened(Some(TEMPLATE_MEMORY_MB)));
        let whole = |f: Option<&Figures>| {
            f.map_or("–".to_owned(), |f| {
                format!("{:.2} / {:.1}", f.cpu, f.wall - f.aws)
            })
        };
        let base = cold.figures(deployed(&cold.name));
        println!(
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            cold.name,
            or_dash(at(TEMPLATE_MEMORY_MB).map(|f| f.invoke_aws), 1),
            invoke(at(128)),
            invoke(at(256)),
            invoke(at(512)),
            invoke(not_opened_at),
            not_opened_at.map_or("–".to_owned(), |f| handshakes_text(&f.handshakes)),
            or_dash(at(TEMPLATE_MEMORY_MB).map(|f| f.wall - f.invoke_wall), 1),
            whole(base),
            whole(cold.figures(not_opened(None))),
        );
    }
}

fn print_mail_at_once(all: &[Cold]) {
    println!(
        "\n### The emails of a change: two at a time (as deployed) or one at a time\n\nThe functions whose event sends email, with \
         `CONSENT_MAIL_AT_ONCE=1` beside the default of 2: first invocation at {TEMPLATE_MEMORY_MB} MB (wall / AWS ms), and on a whole CPU \
         (CPU ms, wall − AWS ms, handshakes).\n"
    );
    table(
        &format!(
            "| function | at {TEMPLATE_MEMORY_MB} MB: two at a time | one at a time | whole CPU: two at a time | one at a time | handshakes: two at a time | one at a time |"
        ),
        "|---|---:|---:|---:|---:|---|---|",
    );
    for cold in all {
        let (Some(one), Some(one_at)) = (
            cold.figures(mail_one_at_a_time(None)),
            cold.figures(mail_one_at_a_time(Some(TEMPLATE_MEMORY_MB))),
        ) else {
            continue;
        };
        let (Some(two), Some(two_at)) = (
            cold.figures(tls()),
            cold.figures(at_memory(&cold.name, TEMPLATE_MEMORY_MB)),
        ) else {
            continue;
        };
        let at = |f: &Figures| format!("{:.1} / {:.1}", f.invoke_wall, f.invoke_aws);
        let whole = |f: &Figures| format!("{:.2} / {:.1}", f.cpu, f.wall - f.aws);
        println!(
            "| {} | {} | {} | {} | {} | {} | {} |",
            cold.name,
            at(two_at),
            at(one_at),
            whole(two),
            whole(one),
            handshakes_text(&two.handshakes),
            handshakes_text(&one.handshakes),
        );
    }
}

fn print_signing(all: &[Cold]) {
    println!(
        "\n### Signed records: KMS in the cold start\n\nThe writing functions sign each change's record with one KMS `Sign` (stand-in \
         latency as above). AWS ms added by KMS: the stand-in AWS time with the KMS calls less the same without them (zero where a \
         signature was made while another call was under way). As deployed (TLS, a whole CPU).\n"
    );
    table(
        "| function | KMS calls | AWS ms | added by KMS ms |",
        "|---|---:|---:|---:|",
    );
    for cold in all {
        let Some(f) = cold.figures(tls()) else {
            continue;
        };
        if f.kms_calls == 0 {
            continue;
        }
        println!(
            "| {} | {} | {:.1} | {:.1} |",
            cold.name, f.kms_calls, f.aws, f.kms_alone
        );
    }
}

fn aims(all: &[Cold], hello_tls: Option<f64>) {
    let hello_tls = hello_tls.unwrap_or(f64::NAN);
    let functions: Vec<&Cold> = all
        .iter()
        .filter(|c| !c.name.starts_with("hello"))
        .collect();
    println!("\n### Against the aims\n");
    table(
        "| function | services | cold CPU ms | aim ms | | first invocation at 256 MB: wall / AWS + 3 ms | | zip MiB / aim | |",
        "|---|---:|---:|---:|---|---:|---|---:|---|",
    );
    for cold in &functions {
        let n = services(cold).max(1);
        let aim = 1.25 * hello_tls + 0.5 * (n as f64 - 1.0);
        let cpu = cold.figures(tls()).map_or(f64::NAN, |f| f.cpu);
        let invoke = cold.figures(at_memory(&cold.name, TEMPLATE_MEMORY_MB));
        let zip_aim = if sends_email(cold) { 2.5 } else { 2.3 };
        println!(
            "| {} | {n} | {cpu:.2} | {aim:.2} | {} | {} | {} | {} / {zip_aim} | {} |",
            cold.name,
            verdict(cpu <= aim),
            invoke.map_or("–".to_owned(), |f| format!(
                "{:.1} / {:.1}",
                f.invoke_wall,
                f.invoke_aws + 3.0
            )),
            invoke.map_or("–", |f| verdict(f.invoke_wall <= f.invoke_aws + 3.0)),
            or_dash(cold.zip_mib, 2),
            verdict(cold.zip_mib.is_some_and(|z| z <= zip_aim)),
        );
    }
    let warm = |name: &str, aim: f64| {
        functions
            .iter()
            .find(|c| c.name == name)
            .and_then(|c| c.figures(warm_of(name)))
            .and_then(|f| f.warm_cpu)
            .map_or(format!("{name}: not measured"), |cpu| {
                format!("{name} {cpu:.3} ms ≤ {aim} ms ({})", verdict(cpu <= aim))
            })
    };
    println!(
        "\nAim for one service: cold CPU ≤ 1.25 × hello-tls ({hello_tls:.2} ms), plus 0.5 ms per further service (services: those \
         the cold start opened a connection to). Warm CPU per invocation: {}; {}.\n",
        warm("access-check", 0.4),
        warm("review-page", 0.5),
    );
}
