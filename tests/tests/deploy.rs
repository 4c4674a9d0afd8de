//! The template as the tools users deploy with see it: the SAM translator's
//! output has no dependency cycle, cfn-lint and checkov pass it, and the links
//! the deployed functions email open the review page.

use std::collections::HashMap;
use std::process::Command;
use std::sync::Arc;

use consent_app::embedded::clock::ManualClock;
use consent_app::ports::ConsentStore;
use consent_app::service::ConsentService;
use consent_app::settings::Settings;
use consent_core::links::LinkSigner;
use consent_runtime::{Config, Env, vars};
use consent_tests::routes::*;
use consent_tests::template::{self, Branches, Evaluation, deployed_with};
use consent_tests::*;
use serde_json::Value;

const TEMPLATE: &str = "template.yaml";
const CYCLE_FIXTURE: &str = "tests/deploy/fixtures/api-cycle.yaml";
const CUSTOM_DOMAIN: &str = "https://consent.example.com";
/// The physical id CloudFormation gives the API, as in its execute-api host.
const API_ID: &str = "abc123defg";

fn with_custom_domain() -> Vec<(&'static str, &'static str)> {
    deployed_with(&[("PublicBaseUrl", CUSTOM_DOMAIN)])
}

/// The cycles CloudFormation would refuse, with these parameter values; also
/// read with both branches of every condition, the strictest way.
fn assert_no_cycle(path: &str, parameters: &[(&str, &str)]) {
    let transformed = template::transformed(path, parameters);
    let evaluation = Evaluation::new(&transformed, parameters);
    for (reading, branches) in [
        ("with these parameters", Branches::Taken(&evaluation)),
        ("with both branches of every condition", Branches::Both),
    ] {
        let graph = template::dependency_graph(&transformed, branches);
        assert!(
            graph.len() > 20,
            "the transformed template has its resources"
        );
        let cycles = template::cycles(&graph);
        assert!(
            cycles.is_empty(),
            "{path} {parameters:?}, {reading}: CloudFormation refuses a circular dependency:\n{}",
            template::describe(&cycles)
        );
    }
}

#[test]
fn the_transformed_template_has_no_dependency_cycle_without_a_custom_domain() {
    assert_no_cycle(TEMPLATE, &[("PublicBaseUrl", "")]);
}

#[test]
fn the_transformed_template_has_no_dependency_cycle_with_a_custom_domain() {
    assert_no_cycle(TEMPLATE, &with_custom_domain());
}

#[test]
fn the_cycle_check_finds_a_function_that_references_its_api() {
    let transformed = template::transformed(CYCLE_FIXTURE, &[]);
    let evaluation = Evaluation::new(&transformed, &[]);
    let graph = template::dependency_graph(&transformed, Branches::Taken(&evaluation));
    let cycles = template::cycles(&graph);
    assert_eq!(cycles.len(), 1, "{}", template::describe(&cycles));
    let cycle = &cycles[0];
    assert_eq!(cycle.first(), cycle.last(), "a cycle ends where it starts");
    assert!(
        cycle.contains(&"Api".to_owned()) && cycle.contains(&"PageFunction".to_owned()),
        "{cycle:?}"
    );
    // Each step is a real dependency of the transformed template.
    for pair in cycle.windows(2) {
        assert!(
            graph[&pair[0]].contains(&pair[1]),
            "{} -> {}",
            pair[0],
            pair[1]
        );
    }
}

fn cfn_lint(path: &std::path::Path) -> std::process::Output {
    Command::new(template::tool("CONSENT_CFN_LINT", "cfn-lint"))
        .arg(path)
        .output()
        .expect("cfn-lint runs")
}

/// The translator's output of `path`, in a file for the command-line tools.
fn transformed_file(path: &str, name: &str) -> std::path::PathBuf {
    let file = temp_dir(name).join("transformed.json");
    let transformed = template::transformed(path, &[]);
    std::fs::write(&file, serde_json::to_string_pretty(&transformed).unwrap()).unwrap();
    file
}

#[test]
fn cfn_lint_passes_the_template_and_its_transformed_form() {
    for file in [
        template::root().join(TEMPLATE),
        transformed_file(TEMPLATE, "lint"),
    ] {
        let out = cfn_lint(&file);
        assert!(
            out.status.success(),
            "cfn-lint {}:\n{}{}",
            file.display(),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn cfn_lint_of_the_transformed_form_reports_the_cycle_of_the_fixture() {
    let out = cfn_lint(&transformed_file(CYCLE_FIXTURE, "lint-cycle"));
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(!out.status.success(), "{report}");
    assert!(report.contains("E3004"), "{report}");
}

fn checkov(extra: &[&str]) -> (bool, String) {
    let out = Command::new(template::tool("CONSENT_CHECKOV", "checkov"))
        .current_dir(template::root())
        .args(["--config-file", "infra/checkov.yaml"])
        .args(extra)
        .output()
        .expect("checkov runs");
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

#[test]
fn checkov_passes_the_template_with_the_documented_skips() {
    let (ok, report) = checkov(&[]);
    assert!(ok, "{report}");
    assert!(report.contains("Failed checks: 0"), "{report}");
}

#[test]
fn checkov_with_the_same_settings_still_reports_a_fault() {
    let (ok, report) = checkov(&["-f", "tests/deploy/fixtures/unencrypted-queue.yaml"]);
    assert!(!ok, "{report}");
    assert!(report.contains("CKV_AWS_27"), "{report}");
}

#[test]
fn every_skipped_checkov_check_is_in_the_deploy_guide_with_its_reason() {
    let root = template::root();
    let settings = std::fs::read_to_string(root.join("infra/checkov.yaml")).unwrap();
    let settings: Value = serde_yaml_ng::from_str(&settings).unwrap();
    let mut skipped: Vec<String> = settings["skip-check"]
        .as_array()
        .unwrap()
        .iter()
        .map(|id| id.as_str().unwrap().to_owned())
        .collect();
    let template: Value =
        serde_yaml_ng::from_str(&std::fs::read_to_string(root.join(TEMPLATE)).unwrap()).unwrap();
    for resource in template["Resources"].as_object().unwrap().values() {
        for skip in resource["Metadata"]["checkov"]["skip"]
            .as_array()
            .into_iter()
            .flatten()
        {
            assert!(
                skip["comment"].as_str().is_some_and(|c| c.len() > 20),
                "{skip}"
            );
            skipped.push(skip["id"].as_str().unwrap().to_owned());
        }
    }
    assert!(skipped.len() >= 5, "{skipped:?}");
    let guide = std::fs::read_to_string(root.join("infra/README.md")).unwrap();
    for id in skipped {
        let line = guide
            .lines()
            .find(|l| l.contains(&format!("`{id}`")))
            .unwrap_or_else(|| panic!("infra/README.md does not list {id}"));
        assert!(
            line.split('|')
                .filter(|cell| cell.trim().len() > 20)
                .count()
                >= 1,
            "{line}"
        );
    }
}

/// The transformed Lambda function `name` of the template.
fn function<'t>(transformed: &'t Value, name: &str) -> &'t Value {
    let f = &transformed["Resources"][name];
    assert_eq!(f["Type"], "AWS::Lambda::Function", "{name}");
    f
}

/// A function's environment as deployed, with the API's physical id (other
/// resources' ids are their logical ids).
fn environment(transformed: &Value, e: &Evaluation, name: &str) -> HashMap<String, String> {
    let mut ids: HashMap<&str, &str> = transformed["Resources"]
        .as_object()
        .unwrap()
        .keys()
        .map(|k| (k.as_str(), k.as_str()))
        .collect();
    ids.insert("ConsentApi", API_ID);
    function(transformed, name)["Properties"]["Environment"]["Variables"]
        .as_object()
        .unwrap()
        .iter()
        .filter_map(|(k, v)| Some((k.clone(), e.render(v, &ids)?)))
        .collect()
}

fn all_functions(transformed: &Value) -> Vec<String> {
    transformed["Resources"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(_, r)| r["Type"] == "AWS::Lambda::Function")
        .map(|(name, _)| name.clone())
        .collect()
}

/// Lambda allows 4 KB for all of a function's variables together.
const LAMBDA_ENVIRONMENT_LIMIT: usize = 4096;

#[test]
fn every_functions_environment_is_far_below_the_lambda_limit() {
    let parameters = with_custom_domain();
    let transformed = template::transformed(TEMPLATE, &parameters);
    let e = Evaluation::new(&transformed, &parameters);
    let functions = all_functions(&transformed);
    assert_eq!(functions.len(), 16, "{functions:?}");
    for name in functions {
        let env = environment(&transformed, &e, &name);
        let size: usize = env.iter().map(|(k, v)| k.len() + v.len()).sum();
        println!("{name}: {} variables, {size} bytes", env.len());
        assert!(
            size < LAMBDA_ENVIRONMENT_LIMIT / 4,
            "{name}: {size} bytes of environment: {env:?}"
        );
        assert!(
            !env.contains_key(consent_runtime::vars::TENANT_DIRECTORY),
            "{name}: the directory lives in the table, not in the environment"
        );
    }
}

/// Every function's environment, as deployed, is one its configuration
/// reads: a start does not fail on a value the template gives it.
#[test]
fn every_functions_deployed_environment_reads_as_its_configuration() {
    let parameters = deployed_with(&[("AlarmTopicArn", "arn:aws:sns:eu-west-1:123456789012:ops")]);
    let transformed = template::transformed(TEMPLATE, &parameters);
    let e = Evaluation::new(&transformed, &parameters);
    for name in all_functions(&transformed) {
        let env = environment(&transformed, &e, &name);
        let config = Config::read(
            Config::default(),
            &[&Env(move |var: &str| env.get(var).cloned())],
        )
        .unwrap_or_else(|error| panic!("{name}: {error}"));
        consent_runtime::lambda::require_sender(&config)
            .unwrap_or_else(|error| panic!("{name}: {error}"));
        assert_eq!(
            config.service.portal_url.as_deref(),
            Some("https://portal.example.com/data-consent"),
            "{name}: the notices' Edit link"
        );
    }
}

/// Where a role's policy lets a function write tenant items, read them
/// other than by key, or read them not at all though it needs to.
fn tenant_access_faults(transformed: &Value) -> Vec<String> {
    const WRITES: [&str; 4] = [
        "dynamodb:PutItem",
        "dynamodb:UpdateItem",
        "dynamodb:DeleteItem",
        "dynamodb:BatchWriteItem",
    ];
    // Functions that name tenants or check reviewers' domains.
    const READERS: [&str; 11] = [
        "CreateRequestFunction",
        "CustomerViewFunction",
        "ReviewerSignInFunction",
        "CancelRequestFunction",
        "ReplaceReviewerFunction",
        "ReviewPageFunction",
        "ReviewDecisionFunction",
        "AccessCheckFunction",
        "RevokePageFunction",
        "RevokeDecisionFunction",
        "ReminderFunction",
    ];
    let tenant_keys = serde_json::json!([format!(
        "{}*",
        consent_aws::dynamodb::directory::TENANT_KEY_PREFIX
    )]);
    let mut faults = Vec::new();
    for name in all_functions(transformed) {
        let role = function(transformed, &name)["Properties"]["Role"]["Fn::GetAtt"][0]
            .as_str()
            .unwrap()
            .to_owned();
        let statements: Vec<&Value> = transformed["Resources"][&role]["Properties"]["Policies"]
            .as_array()
            .into_iter()
            .flatten()
            .flat_map(|p| p["PolicyDocument"]["Statement"].as_array().unwrap())
            .collect();
        let actions = |s: &Value| -> Vec<String> {
            match &s["Action"] {
                Value::String(a) => vec![a.clone()],
                Value::Array(a) => a
                    .iter()
                    .filter_map(|a| a.as_str().map(str::to_owned))
                    .collect(),
                _ => Vec::new(),
            }
        };
        let mut reads_by_key = false;
        for statement in &statements {
            let actions = actions(statement);
            let leading = &statement["Condition"];
            let only_tenants =
                leading["ForAllValues:StringLike"]["dynamodb:LeadingKeys"] == tenant_keys;
            let never_tenants =
                leading["ForAllValues:StringNotLike"]["dynamodb:LeadingKeys"] == tenant_keys;
            for action in &actions {
                let writes = WRITES.contains(&action.as_str()) || action == "dynamodb:*";
                if writes && !never_tenants {
                    faults.push(format!("{name} may {action} tenant items"));
                }
                if action == "dynamodb:BatchGetItem" && !only_tenants {
                    faults.push(format!("{name} may batch-read more than tenant items"));
                }
                if matches!(action.as_str(), "dynamodb:Scan" | "dynamodb:*") {
                    faults.push(format!("{name} may {action} the table"));
                }
            }
            reads_by_key |= actions.iter().any(|a| a == "dynamodb:GetItem") && !never_tenants;
        }
        if READERS.contains(&name.as_str()) && !reads_by_key {
            faults.push(format!("{name} cannot read tenant items"));
        }
    }
    faults
}

#[test]
fn functions_read_tenant_items_by_key_and_never_write_them() {
    let transformed = template::transformed(TEMPLATE, &with_custom_domain());
    let faults = tenant_access_faults(&transformed);
    assert!(faults.is_empty(), "{faults:#?}");
}

#[test]
fn the_tenant_access_check_finds_a_function_that_may_write_tenants() {
    let mut transformed = template::transformed(TEMPLATE, &with_custom_domain());
    let role = function(&transformed, "CreateRequestFunction")["Properties"]["Role"]["Fn::GetAtt"]
        [0]
    .as_str()
    .unwrap()
    .to_owned();
    let statements = transformed["Resources"][&role]["Properties"]["Policies"][0]["PolicyDocument"]
        ["Statement"]
        .as_array_mut()
        .unwrap();
    for statement in statements.iter_mut() {
        if let Some(condition) = statement
            .as_object_mut()
            .and_then(|s| s.get_mut("Condition"))
        {
            condition
                .as_object_mut()
                .unwrap()
                .remove("ForAllValues:StringNotLike");
        }
    }
    let faults = tenant_access_faults(&transformed);
    assert!(
        faults.contains(&"CreateRequestFunction may dynamodb:PutItem tenant items".to_owned()),
        "{faults:#?}"
    );
}

fn api_functions(transformed: &Value) -> Vec<String> {
    let names: Vec<String> = transformed["Resources"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(_, r)| r["Type"] == "AWS::Lambda::Permission")
        .filter(|(_, r)| r["Properties"]["Principal"] == "apigateway.amazonaws.com")
        .map(|(_, r)| {
            r["Properties"]["FunctionName"]["Ref"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    assert_eq!(names.len(), 13, "{names:?}");
    names
}

/// The service as the template configures function `name`, on a shared store, mailer and clock.
fn deployed_service(
    transformed: &Value,
    e: &Evaluation,
    name: &str,
    world: &(
        Arc<dyn ConsentStore>,
        Arc<RecordingMailer>,
        Arc<ManualClock>,
    ),
) -> ConsentService {
    let env = environment(transformed, e, name);
    // Where links point is all this reads of the function's environment.
    let urls = |var: &str| {
        [vars::PUBLIC_BASE_URL, vars::API_URL]
            .contains(&var)
            .then(|| env.get(var).cloned())
            .flatten()
    };
    let settings = Config::read(Config::default(), &[&Env(urls)])
        .expect("the template's URLs are valid")
        .service;
    ConsentService::new(
        world.0.clone(),
        world.1.clone(),
        Arc::new(directory()),
        world.2.clone(),
        LinkSigner::from_spec(TEST_LINK_KEYS).unwrap(),
        settings,
    )
    .with_identity_provider(std::sync::Arc::new(consent_tests::NamedIdentity))
}

/// The review page that `link` opens, requested as a reviewer's browser
/// would: on the API's host (or the custom domain), through the template's route.
async fn open(link: &str, expected_origin: &str, transformed: &Value, world: &World) -> Answer {
    let path = link
        .strip_prefix(expected_origin)
        .unwrap_or_else(|| panic!("{link} is not on {expected_origin}"));
    let token = path
        .strip_prefix("/review/")
        .unwrap_or_else(|| panic!("{link} is not a review link"));
    let routes: Vec<&Value> = transformed["Resources"]
        .as_object()
        .unwrap()
        .values()
        .filter(|r| r["Type"] == "AWS::ApiGatewayV2::Api")
        .collect();
    assert_eq!(routes.len(), 1);
    let body = routes[0]["Properties"]["Body"].to_string();
    assert!(
        body.contains("\"/review/{token}\""),
        "the API routes /review/{{token}}"
    );
    review_get(world, token).await
}

async fn links_open_the_review_page(parameters: &[(&str, &str)], origin: &str) {
    let transformed = template::transformed(TEMPLATE, parameters);
    let e = Evaluation::new(&transformed, parameters);
    let world = World::new();
    let shared = (
        world.store.clone(),
        world.mailer.clone(),
        world.clock.clone(),
    );
    let api_host = format!("{API_ID}.execute-api.eu-west-1.amazonaws.com");

    // An API function, reached on the API's own endpoint.
    let create_function = deployed_service(&transformed, &e, "CreateRequestFunction", &shared);
    let req = ApiRequest::new("POST", "/consent-requests")
        .claims(alice())
        .json(&create_body("prod"))
        .endpoint(&api_host, "$default")
        .build();
    // As the Lambda runtime calls it: through the bootstrap, which scopes
    // the service to the endpoint the request came in on.
    let created = Answer::from_lambda(
        consent_http::lambda::answer(&create_function, req, create_request::handle).await,
    );
    assert_eq!(created.status, 201, "{}", created.body);
    let ask = world.mailer.links_to("bob@contoso.example").pop().unwrap();
    let page = open(&ask, origin, &transformed, &world).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(
        page.body.contains("Sign in to answer") && page.body.contains("/sign-in\""),
        "the page leads to the reviewer's sign-in: {}",
        page.body
    );

    // The scheduled function, which no request invokes, sends the reminder.
    let reminder_function = deployed_service(&transformed, &e, "ReminderFunction", &shared);
    world.clock.advance(time::Duration::days(3));
    let mut event = aws_lambda_events::event::eventbridge::EventBridgeEvent::<Value>::default();
    event.source = "aws.events".into();
    event.detail_type = "Scheduled Event".into();
    let report = reminder::handle(&reminder_function, event).await.unwrap();
    assert_eq!(report.sent, 2, "{report:?}");
    let reminder = world.mailer.links_to("bob@contoso.example").pop().unwrap();
    assert_eq!(
        world.mailer.links_to("bob@contoso.example").len(),
        2,
        "ask and reminder"
    );
    let page = open(&reminder, origin, &transformed, &world).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("Sign in to answer"), "{}", page.body);
}

#[tokio::test]
async fn without_a_custom_domain_emailed_links_open_the_page_on_the_api_url() {
    let parameters = deployed_with(&[("PublicBaseUrl", "")]);
    let transformed = template::transformed(TEMPLATE, &parameters);
    let e = Evaluation::new(&transformed, &parameters);
    // Where the deployed API answers: the stack's ApiUrl output.
    let api_url = e
        .render(
            &transformed["Outputs"]["ApiUrl"]["Value"],
            &HashMap::from([("ConsentApi", API_ID)]),
        )
        .unwrap();
    assert_eq!(
        api_url,
        format!("https://{API_ID}.execute-api.eu-west-1.amazonaws.com")
    );
    for name in api_functions(&transformed) {
        let env = environment(&transformed, &e, &name);
        assert!(
            !env.contains_key("CONSENT_PUBLIC_BASE_URL"),
            "{name}: {env:?}"
        );
        assert!(
            !env.contains_key("CONSENT_API_URL"),
            "{name} must not reference the API"
        );
    }
    links_open_the_review_page(&parameters, &api_url).await;
}

#[tokio::test]
async fn with_a_custom_domain_emailed_links_open_the_page_there() {
    let transformed = template::transformed(TEMPLATE, &with_custom_domain());
    let e = Evaluation::new(&transformed, &with_custom_domain());
    for name in api_functions(&transformed)
        .iter()
        .map(String::as_str)
        .chain(["ReminderFunction"])
    {
        let env = environment(&transformed, &e, name);
        assert_eq!(
            env.get("CONSENT_PUBLIC_BASE_URL").map(String::as_str),
            Some(CUSTOM_DOMAIN),
            "{name}"
        );
    }
    links_open_the_review_page(&with_custom_domain(), CUSTOM_DOMAIN).await;
}

#[test]
fn a_failing_scheduled_run_lands_in_a_dead_letter_queue_with_an_alarm() {
    let t = template::transformed(TEMPLATE, &[]);
    let queue_arn = serde_json::json!({"Fn::GetAtt": ["ScheduleDeadLetterQueue", "Arn"]});
    let reminder = function(&t, "ReminderFunction");
    assert_eq!(
        reminder["Properties"]["DeadLetterConfig"]["TargetArn"],
        queue_arn
    );
    let schedules: Vec<&Value> = t["Resources"]
        .as_object()
        .unwrap()
        .values()
        .filter(|r| r["Type"] == "AWS::Scheduler::Schedule")
        .collect();
    assert_eq!(schedules.len(), 1);
    assert_eq!(
        schedules[0]["Properties"]["Target"]["DeadLetterConfig"]["Arn"],
        queue_arn
    );
    let invoke_config: Vec<&Value> = t["Resources"]
        .as_object()
        .unwrap()
        .values()
        .filter(|r| r["Type"] == "AWS::Lambda::EventInvokeConfig")
        .collect();
    assert_eq!(invoke_config.len(), 1);
    assert_eq!(invoke_config[0]["Properties"]["MaximumRetryAttempts"], 0);
    let queue = &t["Resources"]["ScheduleDeadLetterQueue"]["Properties"];
    assert_eq!(queue["SqsManagedSseEnabled"], true);
    let alarm = &t["Resources"]["ScheduleDeadLetters"]["Properties"];
    assert_eq!(alarm["Namespace"], "AWS/SQS");
    assert_eq!(
        alarm["Dimensions"][0]["Value"],
        serde_json::json!({"Fn::GetAtt": ["ScheduleDeadLetterQueue", "QueueName"]})
    );
    // Only the scheduled function is invoked asynchronously; the API's are not.
    for name in api_functions(&t) {
        assert!(
            function(&t, &name)["Properties"]["DeadLetterConfig"].is_null(),
            "{name}"
        );
    }
}

#[test]
fn the_api_is_throttled_and_page_concurrency_can_be_reserved() {
    let pages = [
        "ReviewPageFunction",
        "ReviewDecisionFunction",
        "ReviewerSignInFunction",
        "RevokePageFunction",
        "RevokeDecisionFunction",
        "CustomerViewFunction",
    ];
    let reserved = |parameters: &[(&str, &str)]| -> Vec<(String, Option<String>)> {
        let t = template::transformed(TEMPLATE, parameters);
        let e = Evaluation::new(&t, parameters);
        t["Resources"]
            .as_object()
            .unwrap()
            .iter()
            .filter(|(_, r)| r["Type"] == "AWS::Lambda::Function")
            .map(|(name, r)| {
                let value = &r["Properties"]["ReservedConcurrentExecutions"];
                let n = (!value.is_null())
                    .then(|| e.render(value, &HashMap::new()))
                    .flatten();
                (name.clone(), n)
            })
            .collect()
    };
    // Off by default: a new account may have only 10 concurrent executions.
    assert!(
        reserved(&[]).iter().all(|(_, n)| n.is_none()),
        "{:?}",
        reserved(&[])
    );
    for (name, n) in reserved(&[("PageReservedConcurrency", "20")]) {
        let expected = pages.contains(&name.as_str()).then(|| "20".to_owned());
        assert_eq!(n, expected, "{name}");
    }

    let parameters = [
        ("ApiThrottlingRateLimit", "7"),
        ("ApiThrottlingBurstLimit", "9"),
    ];
    let t = template::transformed(TEMPLATE, &parameters);
    let e = Evaluation::new(&t, &parameters);
    let stages: Vec<&Value> = t["Resources"]
        .as_object()
        .unwrap()
        .values()
        .filter(|r| r["Type"] == "AWS::ApiGatewayV2::Stage")
        .collect();
    assert_eq!(stages.len(), 1);
    let limits = &stages[0]["Properties"]["DefaultRouteSettings"];
    let none = HashMap::new();
    assert_eq!(
        e.render(&limits["ThrottlingRateLimit"], &none).as_deref(),
        Some("7")
    );
    assert_eq!(
        e.render(&limits["ThrottlingBurstLimit"], &none).as_deref(),
        Some("9")
    );
    let defaults = Evaluation::new(&t, &[]);
    assert_eq!(defaults.parameters["ApiThrottlingRateLimit"], "50");
    assert_eq!(defaults.parameters["ApiThrottlingBurstLimit"], "100");
}

/// Why the routes of the template at `template_path` are not each throttled by the limits
/// of their audience, if they are not: the reviewers' and the customers' pages, the partners'
/// API, the telemetry pipeline's `/service/access`.
fn route_throttle_faults(template_path: &str) -> Vec<String> {
    let parameters = [
        ("PageThrottlingRateLimit", "3"),
        ("PageThrottlingBurstLimit", "4"),
        ("PartnerApiThrottlingRateLimit", "5"),
        ("PartnerApiThrottlingBurstLimit", "6"),
        ("ServiceThrottlingRateLimit", "7"),
        ("ServiceThrottlingBurstLimit", "8"),
    ];
    let t = template::transformed(template_path, &parameters);
    let e = Evaluation::new(&t, &parameters);
    let resources = t["Resources"].as_object().unwrap();
    let of_type =
        |kind: &str| -> Vec<&Value> { resources.values().filter(|r| r["Type"] == kind).collect() };
    let mut routes = Vec::new();
    for api in of_type("AWS::ApiGatewayV2::Api") {
        for (path, item) in api["Properties"]["Body"]["paths"]
            .as_object()
            .into_iter()
            .flatten()
        {
            for method in item.as_object().unwrap().keys() {
                routes.push(format!("{} {path}", method.to_uppercase()));
            }
        }
    }
    let settings = &of_type("AWS::ApiGatewayV2::Stage")[0]["Properties"]["RouteSettings"];
    let none = HashMap::new();
    let mut faults = Vec::new();
    if routes.len() < 16 {
        faults.push(format!("only {} routes found: {routes:?}", routes.len()));
    }
    for route in &routes {
        let path = route.split_once(' ').unwrap().1;
        let expected = match path {
            "/service/access" => ("7", "8"),
            _ if path.starts_with("/review")
                || path.starts_with("/revoke")
                || path.starts_with("/customer")
                || path == "/signed-in" =>
            {
                ("3", "4")
            }
            _ => ("5", "6"),
        };
        let limits = &settings[route.as_str()];
        let found = (
            e.render(&limits["ThrottlingRateLimit"], &none),
            e.render(&limits["ThrottlingBurstLimit"], &none),
        );
        if found != (Some(expected.0.to_owned()), Some(expected.1.to_owned())) {
            faults.push(format!("{route}: {found:?}, not {expected:?}"));
        }
    }
    faults
}

#[test]
fn each_route_is_throttled_by_the_limits_of_its_audience() {
    assert_eq!(route_throttle_faults(TEMPLATE), Vec::<String>::new());
    // A page route given the partners' limits is found.
    let text = std::fs::read_to_string(template::root().join(TEMPLATE)).unwrap();
    let doctored = text.replacen(
        "Ref: PageThrottlingRateLimit",
        "Ref: PartnerApiThrottlingRateLimit",
        1,
    );
    assert_ne!(doctored, text);
    let path = temp_dir("doctored-throttles").join("template.yaml");
    std::fs::write(&path, doctored).unwrap();
    let faults = route_throttle_faults(path.to_str().unwrap());
    assert_eq!(faults.len(), 1, "{faults:?}");
    let defaults = Evaluation::new(&template::transformed(TEMPLATE, &[]), &[]);
    for (parameter, value) in [
        ("PageThrottlingRateLimit", "20"),
        ("PartnerApiThrottlingRateLimit", "50"),
        ("ServiceThrottlingRateLimit", "100"),
    ] {
        assert_eq!(defaults.parameters[parameter], value, "{parameter}");
    }
}

/// Why `sam deploy --guided` could take a required parameter empty, or two
/// stacks of the template at `template_path` could not share one account.
fn deploy_guard_faults(template_path: &str) -> Vec<String> {
    let parameters = deployed_with(&[]);
    let t = template::transformed(template_path, &parameters);
    let mut faults = Vec::new();
    for (name, p) in t["Parameters"].as_object().unwrap() {
        let required = p["Default"].is_null() && p["Type"] == "String";
        if required && p["MinLength"].as_u64().unwrap_or(0) < 1 {
            faults.push(format!("{name} may be left empty"));
        }
    }
    // A name that is the same for two stacks collides in one account.
    const NAMES: [&str; 6] = [
        "Name",
        "QueueName",
        "TableName",
        "TopicName",
        "AlarmName",
        "FunctionName",
    ];
    let mut stacks = parameters.clone();
    stacks.push(("AWS::StackName", "first"));
    let first = Evaluation::new(&t, &stacks);
    stacks.pop();
    stacks.push(("AWS::StackName", "second"));
    let second = Evaluation::new(&t, &stacks);
    // Resources the stack creates have physical ids of that stack.
    let physical = |stack: &str| -> Vec<(String, String)> {
        t["Resources"]
            .as_object()
            .unwrap()
            .keys()
            .map(|id| (id.clone(), format!("{stack}-{id}-ABC123")))
            .collect()
    };
    let (ids_a, ids_b) = (physical("first"), physical("second"));
    let in_first: HashMap<&str, &str> = ids_a
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let in_second: HashMap<&str, &str> = ids_b
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    for (resource, r) in t["Resources"].as_object().unwrap() {
        for property in NAMES {
            let value = &r["Properties"][property];
            if value.is_null() {
                continue;
            }
            let (a, b) = (
                first.render(value, &in_first),
                second.render(value, &in_second),
            );
            if a.is_some() && a == b {
                faults.push(format!("{resource}.{property} is {a:?} in every stack"));
            }
        }
    }
    faults
}

#[test]
fn required_parameters_refuse_empty_and_two_stacks_fit_one_account() {
    assert_eq!(deploy_guard_faults(TEMPLATE), Vec::<String>::new());
    let text = std::fs::read_to_string(template::root().join(TEMPLATE)).unwrap();
    let doctored = text
        .replacen(
            "        - Ref: EventBusName\n        - Fn::Sub: ${AWS::StackName}-consent-events",
            "        - Ref: EventBusName\n        - data-consent",
            1,
        )
        .replacen(
            "            OmitName: true\n",
            "            Name: consent-reminders\n",
            1,
        )
        .replacen("    MinLength: 3\n", "", 1);
    assert_ne!(doctored, text);
    let path = temp_dir("doctored-names").join("template.yaml");
    std::fs::write(&path, doctored).unwrap();
    let mut faults = deploy_guard_faults(path.to_str().unwrap());
    faults.sort();
    assert_eq!(faults.len(), 3, "{faults:?}");
    assert!(faults[0].starts_with("ConsentEventBus.Name"), "{faults:?}");
    assert!(
        faults[1].starts_with("ReminderFunctionSchedule.Name"),
        "{faults:?}"
    );
    assert_eq!(faults[2], "SenderAddress may be left empty");
}

#[test]
fn a_function_without_a_sender_does_not_start_and_names_the_parameter() {
    let read = |sender: Option<&str>| {
        let sender = sender.map(str::to_owned);
        Config::read(
            Config::default(),
            &[&Env(move |name: &str| {
                (name == vars::SENDER).then(|| sender.clone()).flatten()
            })],
        )
        .unwrap()
    };
    let refused = consent_runtime::lambda::require_sender(&read(None)).unwrap_err();
    assert_eq!(refused.setting, vars::SENDER);
    assert!(refused.problem.contains("SenderAddress"), "{refused}");
    assert!(refused.problem.contains("lost"), "{refused}");
    consent_runtime::lambda::require_sender(&read(Some("Data Consent <consent@example.com>")))
        .unwrap();
}

/// A service as an API function runs it without a configured public base URL.
fn unconfigured_api_function(world: &World) -> ConsentService {
    ConsentService::new(
        world.store.clone(),
        world.mailer.clone(),
        Arc::new(directory()),
        world.clock.clone(),
        LinkSigner::from_spec(TEST_LINK_KEYS).unwrap(),
        Settings::default(),
    )
    .with_identity_provider(std::sync::Arc::new(consent_tests::NamedIdentity))
}

async fn create_on(app: &ConsentService, domain_name: &str, stage: &str) -> Answer {
    let req = ApiRequest::new("POST", "/consent-requests")
        .claims(alice())
        .json(&create_body("prod"))
        .endpoint(domain_name, stage)
        .build();
    Answer::from_lambda(consent_http::lambda::answer(app, req, create_request::handle).await)
}

#[tokio::test]
async fn on_a_named_stage_links_carry_the_stage() {
    let world = World::new();
    let app = unconfigured_api_function(&world);
    let created = create_on(
        &app,
        "abc123defg.execute-api.eu-west-1.amazonaws.com",
        "prod",
    )
    .await;
    assert_eq!(created.status, 201, "{}", created.body);
    let link = world.mailer.links_to("bob@contoso.example").pop().unwrap();
    assert!(
        link.starts_with("https://abc123defg.execute-api.eu-west-1.amazonaws.com/prod/review/"),
        "{link}"
    );
}

#[tokio::test]
async fn an_endpoint_that_is_no_host_name_sends_no_link_and_leaves_the_email_due() {
    let world = World::new();
    let app = unconfigured_api_function(&world);
    let created = create_on(&app, "evil.example/phish?x=", "$default").await;
    assert_eq!(created.status, 201, "{}", created.body);
    assert!(
        world.mailer.messages().is_empty(),
        "no link is built on that address"
    );
    // The scheduled function, which knows the API's URL, sends it after the send lease.
    let id =
        consent_core::domain::RequestId::parse(created.json()["id"].as_str().unwrap()).unwrap();
    let stored = world.store.get(id).await.unwrap().unwrap();
    assert!(stored.next_due_at().is_some(), "{stored:?}");
}

#[test]
fn consent_events_flow_from_the_table_stream_to_a_bus_with_an_archive_and_a_dead_letter_queue() {
    let t = template::transformed(TEMPLATE, &deployed_with(&[]));
    let r = &t["Resources"];
    let getatt = |name: &str, attribute: &str| serde_json::json!({"Fn::GetAtt": [name, attribute]});
    assert_eq!(
        r["ConsentTable"]["Properties"]["StreamSpecification"]["StreamViewType"],
        "NEW_IMAGE"
    );
    let mappings: Vec<&Value> = r
        .as_object()
        .unwrap()
        .values()
        .filter(|r| r["Type"] == "AWS::Lambda::EventSourceMapping")
        .collect();
    assert_eq!(mappings.len(), 1);
    let m = &mappings[0]["Properties"];
    assert_eq!(
        m["FunctionName"],
        serde_json::json!({"Ref": "EventPublisherFunction"})
    );
    assert_eq!(m["EventSourceArn"], getatt("ConsentTable", "StreamArn"));
    assert_eq!(
        m["FunctionResponseTypes"],
        serde_json::json!(["ReportBatchItemFailures"])
    );
    assert_eq!(m["BisectBatchOnFunctionError"], true);
    assert_eq!(
        m["DestinationConfig"]["OnFailure"]["Destination"],
        getatt("EventDeadLetterQueue", "Arn")
    );
    assert!(m["MaximumRetryAttempts"].as_i64().is_some_and(|n| n > 0));
    // The filter passes exactly the items that carry consent events.
    let filter: Value = serde_json::from_str(
        m["FilterCriteria"]["Filters"][0]["Pattern"]
            .as_str()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(filter["eventName"], serde_json::json!(["INSERT"]));
    assert_eq!(
        filter["dynamodb"]["Keys"]["sk"]["S"][0]["prefix"],
        consent_aws::table::EVENT_KEY_PREFIX
    );
    assert!(
        filter["dynamodb"]["NewImage"][consent_aws::table::CONSENT_EVENTS_ATTRIBUTE].is_object()
    );

    // The bus, its archive of every consent event, and where the publisher puts them.
    assert_eq!(r["ConsentEventBus"]["Type"], "AWS::Events::EventBus");
    let archive = &r["ConsentEventArchive"]["Properties"];
    assert_eq!(archive["SourceArn"], getatt("ConsentEventBus", "Arn"));
    assert_eq!(
        archive["EventPattern"]["source"],
        serde_json::json!([consent_core::events::EVENT_SOURCE])
    );
    let publisher = function(&t, "EventPublisherFunction");
    assert_eq!(
        publisher["Properties"]["Environment"]["Variables"][consent_runtime::vars::EVENT_BUS],
        serde_json::json!({"Ref": "ConsentEventBus"})
    );

    // Least privilege: put events on this bus, send failures to this queue, nothing of the table.
    let role = &r["EventPublisherFunctionRole"]["Properties"];
    let statements: Vec<&Value> = role["Policies"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|p| p["PolicyDocument"]["Statement"].as_array().unwrap())
        .collect();
    for s in &statements {
        let actions = s["Action"].to_string();
        assert!(!actions.contains("dynamodb:"), "no table access: {s}");
        let resource = s["Resource"].to_string();
        if actions.contains("events:PutEvents") {
            assert_eq!(
                s["Resource"],
                serde_json::json!([getatt("ConsentEventBus", "Arn")])
            );
        } else {
            assert!(actions.contains("sqs:SendMessage"), "{s}");
            assert!(resource.contains("EventDeadLetterQueue"), "{s}");
        }
    }
    // Records that still fail land in the queue, and an alarm tells.
    assert_eq!(
        r["EventDeadLetterQueue"]["Properties"]["SqsManagedSseEnabled"],
        true
    );
    let alarm = &r["EventDeadLetters"]["Properties"];
    assert_eq!(
        alarm["Dimensions"][0]["Value"],
        getatt("EventDeadLetterQueue", "QueueName")
    );
    assert_eq!(
        r["EventPublisherIteratorAge"]["Properties"]["MetricName"],
        "IteratorAge"
    );
}

#[test]
fn the_service_access_route_takes_iam_signatures_only() {
    let t = template::transformed(TEMPLATE, &deployed_with(&[]));
    let paths = &t["Resources"]["ConsentApi"]["Properties"]["Body"]["paths"];
    assert_eq!(
        paths["/service/access"]["get"]["security"],
        serde_json::json!([{"AWS_IAM": []}])
    );
    assert_eq!(
        paths["/access"]["get"]["security"],
        serde_json::json!([{"PortalJwt": []}])
    );
    let access = function(&t, "AccessCheckFunction");
    assert_eq!(
        access["Properties"]["Environment"]["Variables"][consent_runtime::vars::SERVICE_PRINCIPALS],
        serde_json::json!({"Ref": "ServiceAccessPrincipals"})
    );
    let policy =
        &t["Resources"]["ServiceAccessPolicy"]["Properties"]["PolicyDocument"]["Statement"];
    assert_eq!(
        policy[0]["Action"],
        serde_json::json!(["execute-api:Invoke"])
    );
    assert!(
        policy[0]["Resource"][0]["Fn::Sub"]
            .as_str()
            .unwrap()
            .ends_with("${ConsentApi}/*/GET/service/access")
    );
}
