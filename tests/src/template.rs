//! CloudFormation templates as CloudFormation sees them: transformed by the
//! SAM translator, conditions evaluated for given parameter values, and the
//! dependency graph among resources (Ref, Fn::GetAtt, Fn::Sub, DependsOn).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

/// A pinned tool that tests/run.sh installs and names in `var`.
pub fn tool(var: &str, what: &str) -> PathBuf {
    match std::env::var_os(var) {
        Some(path) if Path::new(&path).is_file() => PathBuf::from(path),
        _ => panic!(
            "{var} does not name {what}. tests/run.sh installs the pinned tools into .tools/ \
             and sets it: run tests/run.sh, or set {var} to that file of an earlier run"
        ),
    }
}

/// The repository root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// `template` (a path from the repository root) as the SAM translator turns
/// it into plain CloudFormation, with the given parameter values.
/// The parameters without a default, as `sam deploy --guided` asks for them, and `extra`.
pub fn deployed_with(extra: &[(&'static str, &'static str)]) -> Vec<(&'static str, &'static str)> {
    let mut parameters = vec![
        ("JwtIssuer", "https://login.example.com/tenant/v2.0"),
        ("JwtAudience", "api://consent"),
        ("PortalOrigin", "https://portal.example.com"),
        ("SenderAddress", "Data Consent <consent@example.com>"),
        ("SenderIdentity", "example.com"),
    ];
    parameters.extend_from_slice(extra);
    parameters
}

pub fn transformed(template: &str, parameters: &[(&str, &str)]) -> Value {
    let python = tool(
        "CONSENT_SAM_PYTHON",
        "the Python of the venv that has aws-sam-translator",
    );
    let root = root();
    let output = Command::new(python)
        .arg(root.join("tests/deploy/sam_transform.py"))
        .arg(root.join(template))
        .args(parameters.iter().map(|(k, v)| format!("{k}={v}")))
        .output()
        .expect("the SAM translator runs");
    assert!(
        output.status.success(),
        "the SAM translator refused {template}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("the translator prints JSON")
}

/// Parameter values (defaults, then the given ones) and the conditions they make true.
pub struct Evaluation {
    pub parameters: HashMap<String, String>,
    pub conditions: HashMap<String, bool>,
}

impl Evaluation {
    pub fn new(template: &Value, given: &[(&str, &str)]) -> Self {
        let mut parameters: HashMap<String, String> = template["Parameters"]
            .as_object()
            .into_iter()
            .flatten()
            .filter_map(|(name, p)| Some((name.clone(), scalar(&p["Default"])?)))
            .collect();
        for (k, v) in given {
            parameters.insert((*k).to_owned(), (*v).to_owned());
        }
        parameters.insert("AWS::Region".into(), "eu-west-1".into());
        parameters.insert("AWS::URLSuffix".into(), "amazonaws.com".into());
        parameters.insert("AWS::Partition".into(), "aws".into());
        parameters.insert("AWS::AccountId".into(), "123456789012".into());
        parameters
            .entry("AWS::StackName".into())
            .or_insert_with(|| "consent".into());
        let mut evaluation = Self {
            parameters,
            conditions: HashMap::new(),
        };
        let definitions = template["Conditions"]
            .as_object()
            .cloned()
            .unwrap_or_default();
        for name in definitions.keys() {
            let value = evaluation.condition_named(name, &definitions);
            evaluation.conditions.insert(name.clone(), value);
        }
        evaluation
    }

    fn condition_named(&self, name: &str, definitions: &serde_json::Map<String, Value>) -> bool {
        let definition = definitions
            .get(name)
            .unwrap_or_else(|| panic!("no condition {name}"));
        self.condition(definition, definitions)
    }

    fn condition(&self, expr: &Value, definitions: &serde_json::Map<String, Value>) -> bool {
        let (function, args) =
            single_key(expr).unwrap_or_else(|| panic!("not a condition: {expr}"));
        let list = || {
            args.as_array()
                .unwrap_or_else(|| panic!("{function} takes a list"))
        };
        match function {
            "Fn::Equals" => self.value(&list()[0]) == self.value(&list()[1]),
            "Fn::Not" => !self.condition(&list()[0], definitions),
            "Fn::And" => list().iter().all(|c| self.condition(c, definitions)),
            "Fn::Or" => list().iter().any(|c| self.condition(c, definitions)),
            "Condition" => self.condition_named(args.as_str().unwrap(), definitions),
            other => panic!("unknown condition function {other}"),
        }
    }

    fn value(&self, v: &Value) -> Option<String> {
        match single_key(v) {
            Some(("Ref", Value::String(name))) => self.parameters.get(name).cloned(),
            _ => scalar(v),
        }
    }

    /// Which branch of an `Fn::If` is taken.
    pub fn holds(&self, condition: &str) -> bool {
        *self
            .conditions
            .get(condition)
            .unwrap_or_else(|| panic!("no condition {condition}"))
    }

    /// A value with its intrinsics worked out: parameters and the given
    /// physical ids of resources substituted; None for `AWS::NoValue`.
    pub fn render(&self, v: &Value, resources: &HashMap<&str, &str>) -> Option<String> {
        let reference = |name: &str| -> Option<String> {
            if name == "AWS::NoValue" {
                return None;
            }
            Some(match resources.get(name) {
                Some(id) => (*id).to_owned(),
                None => self
                    .parameters
                    .get(name)
                    .cloned()
                    .unwrap_or_else(|| panic!("nothing to substitute for {name}")),
            })
        };
        match single_key(v) {
            Some(("Ref", Value::String(name))) => reference(name),
            Some(("Fn::If", Value::Array(args))) => {
                let branch = if self.holds(args[0].as_str().unwrap()) {
                    1
                } else {
                    2
                };
                self.render(&args[branch], resources)
            }
            Some(("Fn::Sub", Value::String(text))) => {
                let mut out = String::new();
                for piece in sub_pieces(text) {
                    match piece {
                        SubPiece::Text(t) => out.push_str(&t),
                        SubPiece::Name(name) => out.push_str(&reference(&name)?),
                    }
                }
                Some(out)
            }
            _ => scalar(v),
        }
    }
}

fn scalar(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn single_key(v: &Value) -> Option<(&str, &Value)> {
    let map = v.as_object()?;
    (map.len() == 1).then(|| map.iter().next().map(|(k, v)| (k.as_str(), v)))?
}

enum SubPiece {
    Text(String),
    Name(String),
}

/// `Fn::Sub` text in pieces: `${Name}` and `${Name.Attr}` name a parameter or
/// resource, `${!Literal}` is the text `${Literal}`.
fn sub_pieces(text: &str) -> Vec<SubPiece> {
    let mut pieces = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        pieces.push(SubPiece::Text(rest[..start].to_owned()));
        let after = &rest[start + 2..];
        let Some(end) = after.find('}') else {
            pieces.push(SubPiece::Text(rest[start..].to_owned()));
            return pieces;
        };
        let inner = &after[..end];
        pieces.push(match inner.strip_prefix('!') {
            Some(literal) => SubPiece::Text(format!("${{{literal}}}")),
            None => SubPiece::Name(inner.to_owned()),
        });
        rest = &after[end + 1..];
    }
    pieces.push(SubPiece::Text(rest.to_owned()));
    pieces
}

/// Which `Fn::If` branches a dependency walk follows.
#[derive(Clone, Copy)]
pub enum Branches<'a> {
    /// The ones the parameter values choose, as CloudFormation does.
    Taken(&'a Evaluation),
    /// Both, whatever the parameters: the strictest reading.
    Both,
}

/// Each resource's dependencies on other resources of the template.
pub fn dependency_graph(
    template: &Value,
    branches: Branches,
) -> BTreeMap<String, BTreeSet<String>> {
    let resources = template["Resources"].as_object().expect("Resources");
    let present = |r: &Value| match (branches, r["Condition"].as_str()) {
        (Branches::Taken(e), Some(c)) => e.holds(c),
        _ => true,
    };
    let names: BTreeSet<&str> = resources
        .iter()
        .filter(|(_, r)| present(r))
        .map(|(n, _)| n.as_str())
        .collect();
    let mut graph = BTreeMap::new();
    for (name, resource) in resources.iter().filter(|(_, r)| present(r)) {
        let mut found = BTreeSet::new();
        let depends_on = match &resource["DependsOn"] {
            Value::String(one) => vec![one.clone()],
            Value::Array(many) => many
                .iter()
                .filter_map(|d| d.as_str().map(str::to_owned))
                .collect(),
            _ => vec![],
        };
        found.extend(depends_on);
        for part in ["Properties", "Metadata"] {
            references(&resource[part], branches, &mut found);
        }
        found.retain(|d| names.contains(d.as_str()));
        graph.insert(name.clone(), found);
    }
    graph
}

fn references(v: &Value, branches: Branches, found: &mut BTreeSet<String>) {
    match v {
        Value::Array(items) => items.iter().for_each(|i| references(i, branches, found)),
        Value::Object(map) => match single_key(v) {
            Some(("Ref", Value::String(name))) => {
                found.insert(name.clone());
            }
            Some(("Fn::GetAtt", Value::Array(args))) => {
                if let Some(name) = args.first().and_then(Value::as_str) {
                    found.insert(name.to_owned());
                }
            }
            Some(("Fn::GetAtt", Value::String(dotted))) => {
                found.insert(dotted.split('.').next().unwrap_or_default().to_owned());
            }
            Some(("Fn::Sub", sub)) => {
                let (text, locals) = match sub {
                    Value::String(text) => (text.as_str(), None),
                    Value::Array(args) => (args[0].as_str().unwrap_or_default(), args.get(1)),
                    _ => ("", None),
                };
                let local_names: BTreeSet<&str> = locals
                    .and_then(Value::as_object)
                    .map(|m| m.keys().map(String::as_str).collect())
                    .unwrap_or_default();
                for piece in sub_pieces(text) {
                    if let SubPiece::Name(name) = piece {
                        let resource = name.split('.').next().unwrap_or_default();
                        if !local_names.contains(resource) {
                            found.insert(resource.to_owned());
                        }
                    }
                }
                if let Some(locals) = locals {
                    references(locals, branches, found);
                }
            }
            Some(("Fn::If", Value::Array(args))) if args.len() == 3 => match branches {
                Branches::Taken(e) => {
                    let branch = if e.holds(args[0].as_str().unwrap_or_default()) {
                        1
                    } else {
                        2
                    };
                    references(&args[branch], branches, found);
                }
                Branches::Both => {
                    references(&args[1], branches, found);
                    references(&args[2], branches, found);
                }
            },
            _ => map.values().for_each(|i| references(i, branches, found)),
        },
        _ => {}
    }
}

/// The dependency cycles: for each resource that is in one, a shortest
/// cycle through it (each cycle once), as a path that ends where it starts:
/// `[A, B, A]`.
pub fn cycles(graph: &BTreeMap<String, BTreeSet<String>>) -> Vec<Vec<String>> {
    let mut cycles: Vec<Vec<String>> = Vec::new();
    for group in strongly_connected(graph) {
        let first = group.iter().next().unwrap();
        if group.len() == 1 && !graph[first].contains(first) {
            continue;
        }
        for start in &group {
            let cycle = path_back(graph, &group, start);
            let mut members = cycle[1..].to_vec();
            members.sort();
            let known = cycles.iter().any(|c| {
                let mut m = c[1..].to_vec();
                m.sort();
                m == members
            });
            if !known {
                cycles.push(cycle);
            }
        }
    }
    cycles
}

/// Tarjan's algorithm, iterative enough for templates of a few hundred resources.
fn strongly_connected(graph: &BTreeMap<String, BTreeSet<String>>) -> Vec<BTreeSet<String>> {
    struct State<'g> {
        graph: &'g BTreeMap<String, BTreeSet<String>>,
        index: HashMap<&'g str, usize>,
        low: HashMap<&'g str, usize>,
        stack: Vec<&'g str>,
        on_stack: BTreeSet<&'g str>,
        groups: Vec<BTreeSet<String>>,
    }
    fn visit<'g>(s: &mut State<'g>, v: &'g str) {
        let i = s.index.len();
        s.index.insert(v, i);
        s.low.insert(v, i);
        s.stack.push(v);
        s.on_stack.insert(v);
        for w in &s.graph[v] {
            let w = w.as_str();
            if !s.index.contains_key(w) {
                visit(s, w);
                let low = s.low[v].min(s.low[w]);
                s.low.insert(v, low);
            } else if s.on_stack.contains(w) {
                let low = s.low[v].min(s.index[w]);
                s.low.insert(v, low);
            }
        }
        if s.low[v] == s.index[v] {
            let mut group = BTreeSet::new();
            while let Some(w) = s.stack.pop() {
                s.on_stack.remove(w);
                group.insert(w.to_owned());
                if w == v {
                    break;
                }
            }
            s.groups.push(group);
        }
    }
    let mut state = State {
        graph,
        index: HashMap::new(),
        low: HashMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        groups: Vec::new(),
    };
    for v in graph.keys() {
        if !state.index.contains_key(v.as_str()) {
            visit(&mut state, v);
        }
    }
    state.groups
}

/// A shortest path from `start` back to itself inside `group` (breadth first).
fn path_back(
    graph: &BTreeMap<String, BTreeSet<String>>,
    group: &BTreeSet<String>,
    start: &str,
) -> Vec<String> {
    let mut came_from: HashMap<&str, &str> = HashMap::new();
    let mut queue = std::collections::VecDeque::from([start]);
    while let Some(v) = queue.pop_front() {
        for w in graph[v].iter().filter(|w| group.contains(*w)) {
            if w == start {
                let mut path = vec![start.to_owned()];
                let mut at = v;
                while at != start {
                    path.push(at.to_owned());
                    at = came_from[at];
                }
                path.push(start.to_owned());
                path.reverse();
                return path;
            }
            if !came_from.contains_key(w.as_str()) {
                came_from.insert(w, v);
                queue.push_back(w);
            }
        }
    }
    unreachable!("{start} is in a cycle")
}

/// A cycle as CloudFormation would name it: `A -> B -> A`.
pub fn describe(cycles: &[Vec<String>]) -> String {
    cycles
        .iter()
        .map(|c| c.join(" -> "))
        .collect::<Vec<_>>()
        .join("\n")
}
