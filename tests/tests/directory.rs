//! The tenant directory: one contract, met by the file directory and by the
//! table's directory on moto, each alone and behind the cache; the import of
//! many tenants over the wire, under throttling and through a failure.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use async_trait::async_trait;
use consent_app::embedded::clock::ManualClock;
use consent_app::embedded::directory::{
    CachedDirectory, FileProblem, StaticDirectory, parse_tenants, tenants_file,
};
use consent_app::ports::{DirectoryError, TenantDirectory};
use consent_aws::dynamodb::directory::{DynamoDirectory, WRITE_BATCH};
use consent_core::domain::{Domain, Email, Tenant, TenantId, TenantKind};
use consent_tests::moto::{self, Fault};
use consent_tests::start_time;
use time::Duration;

const FILE: &str = r#"{"tenants": [
  {"id": "partner-fabrikam", "name": "Fabrikam Consulting", "contacts": ["admins@fabrikam.example", "Admins@Fabrikam.example"]},
  {"id": "contoso", "name": "  Contoso Ltd ", "domains": ["Contoso.COM", "contoso.co.uk", "münchen.example"]},
  {"id": "adatum", "name": "Adatum Corporation"}
]}"#;

fn id(text: &str) -> TenantId {
    TenantId::parse(text).unwrap()
}

/// What every directory answers for [`FILE`].
async fn meets_the_contract(directory: &dyn TenantDirectory, what: &str) {
    let contoso = directory.tenant(&id("contoso")).await.unwrap().unwrap();
    assert_eq!(contoso.name, "Contoso Ltd", "{what}: names are trimmed");
    assert_eq!(
        contoso
            .domains
            .iter()
            .map(Domain::as_str)
            .collect::<Vec<_>>(),
        ["contoso.com", "contoso.co.uk", "xn--mnchen-3ya.example"],
        "{what}: domains lowercase, internationalized ones in their ASCII form"
    );
    assert!(contoso.contacts.is_empty(), "{what}");
    let partner = directory
        .tenant(&id("partner-fabrikam"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        partner.contacts,
        [Email::parse("admins@fabrikam.example").unwrap()],
        "{what}: contacts once each"
    );
    assert!(partner.domains.is_empty(), "{what}");
    assert_eq!(
        directory.tenant(&id("nobody")).await.unwrap(),
        None,
        "{what}: an unknown tenant is none"
    );
    let many = directory
        .tenants(&[id("adatum"), id("nobody"), id("contoso"), id("adatum")])
        .await
        .unwrap();
    let names: Vec<Option<&str>> = many
        .iter()
        .map(|t| t.as_ref().map(|t| t.name.as_str()))
        .collect();
    assert_eq!(
        names,
        [
            Some("Adatum Corporation"),
            None,
            Some("Contoso Ltd"),
            Some("Adatum Corporation")
        ],
        "{what}: several at once, in the order asked, repeats included"
    );
    assert_eq!(
        directory
            .display_names(&[id("contoso"), id("gone")])
            .await
            .unwrap(),
        ["Contoso Ltd", "gone"],
        "{what}: a tenant no longer known is named by its id"
    );
}

/// Counts the reads that reach the directory behind a cache.
struct Counting {
    inner: Arc<dyn TenantDirectory>,
    reads: AtomicUsize,
}

#[async_trait]
impl TenantDirectory for Counting {
    async fn tenant(&self, id: &TenantId) -> Result<Option<Tenant>, DirectoryError> {
        self.reads.fetch_add(1, Ordering::SeqCst);
        self.inner.tenant(id).await
    }

    async fn tenants(&self, ids: &[TenantId]) -> Result<Vec<Option<Tenant>>, DirectoryError> {
        self.reads.fetch_add(1, Ordering::SeqCst);
        self.inner.tenants(ids).await
    }
}

fn counting(inner: Arc<dyn TenantDirectory>) -> Arc<Counting> {
    Arc::new(Counting {
        inner,
        reads: AtomicUsize::new(0),
    })
}

/// The cache answers from memory within its age, reads again after it, never
/// keeps an unknown tenant, and holds at most its capacity.
async fn cache_meets_the_contract(inner: Arc<dyn TenantDirectory>, what: &str) {
    let clock = Arc::new(ManualClock::new(start_time()));
    let reads = counting(inner);
    let cached = CachedDirectory::new(reads.clone(), clock.clone(), Duration::minutes(5), 2);
    meets_the_contract(&cached, &format!("{what} behind the cache")).await;
    let before = reads.reads.load(Ordering::SeqCst);
    cached.tenant(&id("contoso")).await.unwrap().unwrap();
    cached
        .tenants(&[id("contoso"), id("adatum")])
        .await
        .unwrap();
    assert_eq!(
        reads.reads.load(Ordering::SeqCst),
        before,
        "{what}: warm lookups read nothing"
    );
    cached.tenant(&id("nobody")).await.unwrap();
    cached.tenant(&id("nobody")).await.unwrap();
    assert_eq!(
        reads.reads.load(Ordering::SeqCst),
        before + 2,
        "{what}: an unknown tenant is read each time (it may be added at any moment)"
    );
    clock.advance(Duration::minutes(5));
    cached.tenant(&id("contoso")).await.unwrap().unwrap();
    assert_eq!(
        reads.reads.load(Ordering::SeqCst),
        before + 3,
        "{what}: a tenant older than the cache's age is read again"
    );
    cached.tenant(&id("partner-fabrikam")).await.unwrap();
    assert!(cached.cached() <= 2, "{what}: at most the capacity");
}

#[tokio::test]
async fn the_file_directory_meets_the_contract() {
    let directory = StaticDirectory::from_json(FILE).unwrap();
    meets_the_contract(&directory, "file").await;
    cache_meets_the_contract(Arc::new(directory), "file").await;
}

async fn table_with(file: &str) -> (aws_sdk_dynamodb::Client, String) {
    let (client, _) = moto::dynamodb().await;
    let table = moto::fresh_table(&client, "directory").await;
    DynamoDirectory::new(client.clone(), table.clone())
        .import(&parse_tenants(file).unwrap(), &mut |_, _, _| {})
        .await
        .unwrap();
    (client, table)
}

#[tokio::test]
async fn the_tables_directory_meets_the_contract_on_moto() {
    let (client, table) = table_with(FILE).await;
    let directory = DynamoDirectory::new(client.clone(), table.clone());
    meets_the_contract(&directory, "table").await;
    cache_meets_the_contract(Arc::new(directory), "table").await;
}

#[tokio::test]
async fn a_cached_name_changes_once_the_cache_age_has_passed() {
    let (client, table) = table_with(FILE).await;
    let directory = DynamoDirectory::new(client.clone(), table.clone());
    let clock = Arc::new(ManualClock::new(start_time()));
    let cached = CachedDirectory::new(
        Arc::new(DynamoDirectory::new(client, table)),
        clock.clone(),
        Duration::minutes(5),
        100,
    );
    assert_eq!(
        cached.tenant(&id("adatum")).await.unwrap().unwrap().name,
        "Adatum Corporation"
    );
    let renamed =
        parse_tenants(r#"{"tenants": [{"id": "adatum", "name": "Adatum Group"}]}"#).unwrap();
    let report = directory.import(&renamed, &mut |_, _, _| {}).await.unwrap();
    assert_eq!(report.updated, [id("adatum")]);
    clock.advance(Duration::minutes(4));
    assert_eq!(
        cached.tenant(&id("adatum")).await.unwrap().unwrap().name,
        "Adatum Corporation",
        "within the cache's age the old name stands"
    );
    clock.advance(Duration::minutes(1));
    assert_eq!(
        cached.tenant(&id("adatum")).await.unwrap().unwrap().name,
        "Adatum Group"
    );
}

#[test]
fn a_bad_file_lists_every_bad_entry_with_its_index_and_reason() {
    let file = r#"{"tenants": [
      {"id": "ok", "name": "Fine"},
      {"id": "bad id!", "name": "Bad"},
      {"id": "ok", "name": "Twice"},
      {"id": "dom", "name": "D", "domains": ["not a domain"]},
      {"id": "ip", "name": "I", "domains": ["10.0.0.1"]},
      {"id": "mail", "name": "M", "contacts": ["nobody"]},
      {"id": "extra", "name": "E", "colour": "red"},
      {"name": "no id"},
      {"id": "blank", "name": "  "},
      {"id": "list", "name": "L", "contacts": "a@b.example"}
    ]}"#;
    let Err(FileProblem::Entries(problems)) = parse_tenants(file) else {
        panic!("the file is refused entry by entry");
    };
    let lines: Vec<String> = problems.iter().map(ToString::to_string).collect();
    let expect = [
        (1, "id: 1 to 64 characters"),
        (2, "the same id as tenants[0]"),
        (3, "domains[0] \"not a domain\": not a domain name"),
        (4, "domains[0] \"10.0.0.1\": not a domain name"),
        (5, "contacts[0] \"nobody\": not a valid email address"),
        (6, "unknown field `colour`"),
        (7, "missing field `id`"),
        (8, "name: 1 to 200 characters"),
        (
            9,
            "invalid type: string \"a@b.example\", expected a sequence",
        ),
    ];
    assert_eq!(problems.len(), expect.len(), "{lines:#?}");
    for ((index, reason), (problem, line)) in expect.iter().zip(problems.iter().zip(&lines)) {
        assert_eq!(problem.index, *index, "{line}");
        assert!(line.contains(reason), "{line} should say {reason:?}");
    }
    assert!(lines[1].starts_with("tenants[2] (\"ok\")"), "{}", lines[1]);
    for malformed in [
        "",
        "[]",
        "{\"tenants\": {}}",
        "{\"tenants\": [], \"more\": 1}",
    ] {
        assert!(
            matches!(parse_tenants(malformed), Err(FileProblem::Malformed(_))),
            "{malformed:?}"
        );
    }
}

#[test]
fn an_export_reads_back_as_the_same_directory() {
    let tenants = parse_tenants(FILE).unwrap();
    let mut again = parse_tenants(&tenants_file(&tenants)).unwrap();
    again.sort_by(|a, b| a.id.cmp(&b.id));
    let mut sorted = tenants.clone();
    sorted.sort_by(|a, b| a.id.cmp(&b.id));
    assert_eq!(again, sorted);
}

/// `n` customers, each with a domain of its own.
fn customers(n: usize) -> Vec<Tenant> {
    (0..n)
        .map(|i| Tenant {
            id: id(&format!("customer-{i:05}")),
            name: format!("Customer {i:05} Ltd"),
            kind: TenantKind::Customer,
            domains: vec![Domain::parse(&format!("customer-{i:05}.example")).unwrap()],
            contacts: Vec::new(),
            sign_in: Default::default(),
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_tenants_import_in_batches_of_25_sending_unprocessed_items_again() {
    const TENANTS: usize = 10_000;
    let (client, unprocessed, counter) = moto::dynamodb_leaving_unprocessed().await;
    let table = moto::fresh_table(&client, "import").await;
    let directory = DynamoDirectory::new(client.clone(), table.clone());
    let tenants = customers(TENANTS);
    // The first 40 batches each get 5 items back unprocessed.
    unprocessed.set(40, 5);
    counter.take();
    let mut last_progress = (0, 0);
    let started = std::time::Instant::now();
    let report = directory
        .import(&tenants, &mut |_, done, total| {
            last_progress = (done, total)
        })
        .await
        .unwrap();
    let took = started.elapsed();
    let calls = counter.take();
    println!(
        "imported {TENANTS} tenants on moto in {took:.1?}: {calls:?}, {} items sent again",
        report.retried_items
    );
    assert_eq!(report.created.len(), TENANTS);
    assert_eq!(unprocessed.withheld(), 200);
    assert_eq!(
        report.retried_items, 200,
        "every unprocessed item was sent again"
    );
    let batches = TENANTS.div_ceil(WRITE_BATCH);
    assert_eq!(
        calls.get("BatchWriteItem").copied().unwrap_or(0),
        batches + 40,
        "one write call per 25 tenants, plus one retry for each batch left unprocessed"
    );
    assert_eq!(report.write_calls, batches + 40);
    assert_eq!(last_progress, (TENANTS, TENANTS));
    let stored = DynamoDirectory::new(client.clone(), table.clone())
        .export()
        .await
        .unwrap();
    assert_eq!(stored.len(), TENANTS, "nothing lost");
    assert_eq!(stored, tenants, "each as imported, in id order");

    // The same file again changes nothing and writes nothing.
    let again = directory.import(&tenants, &mut |_, _, _| {}).await.unwrap();
    assert_eq!(
        (again.created.len(), again.updated.len(), again.unchanged),
        (0, 0, TENANTS)
    );
    assert_eq!(counter.take().get("BatchWriteItem"), None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_import_cut_off_by_dynamodb_says_what_was_written_and_a_rerun_completes_it() {
    const TENANTS: usize = 1_000;
    let (client, faults) = moto::faulty_dynamodb().await;
    let table = moto::fresh_table(&client, "import-cut").await;
    let directory = DynamoDirectory::new(client.clone(), table.clone());
    let tenants = customers(TENANTS);
    // Ten batches get through, then DynamoDB cannot be reached.
    faults.set_after("BatchWriteItem", 10, Fault::Unreachable);
    let failure = directory
        .import(&tenants, &mut |_, _, _| {})
        .await
        .expect_err("the import stops");
    assert_eq!(failure.written.len(), 10 * WRITE_BATCH);
    assert_eq!(failure.written.len() + failure.not_written.len(), TENANTS);
    assert_eq!(
        failure.written[..],
        tenants[..250]
            .iter()
            .map(|t| t.id.clone())
            .collect::<Vec<_>>()[..]
    );
    faults.heal();
    let stored = directory.export().await.unwrap();
    assert_eq!(
        stored.iter().map(|t| t.id.clone()).collect::<Vec<_>>(),
        failure.written,
        "exactly the entries reported written are in the table"
    );
    let rerun = directory.import(&tenants, &mut |_, _, _| {}).await.unwrap();
    assert_eq!(rerun.unchanged, 250);
    assert_eq!(rerun.created, failure.not_written);
    assert_eq!(directory.export().await.unwrap(), tenants);
}

#[tokio::test]
async fn removing_a_tenant_says_what_it_was_and_the_directory_forgets_it() {
    let (client, table) = table_with(FILE).await;
    let directory = DynamoDirectory::new(client, table);
    let removed = directory.remove(&id("adatum")).await.unwrap();
    assert_eq!(
        removed.map(|t| t.name).as_deref(),
        Some("Adatum Corporation")
    );
    assert_eq!(directory.tenant(&id("adatum")).await.unwrap(), None);
    assert_eq!(directory.remove(&id("adatum")).await.unwrap(), None);
    assert_eq!(directory.export().await.unwrap().len(), 2);
}
