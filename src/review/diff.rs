//! `socform diff`: two blueprints compared offline, resource by resource, attribute by
//! attribute, with the security review on top. Multi-line values (policies, user data,
//! long patterns) get unified text diffs made with `similar`.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use serde_json::Value;
use similar::TextDiff;

use super::security::{self, Pair};
use super::{Concern, Finding};
use crate::address::Address;
use crate::model::{is_sensitive, Attrs, Kind, Model, SENSITIVE};

#[derive(Debug, Clone, Serialize)]
pub struct BlueprintDiff {
    pub format_version: &'static str,
    pub old: String,
    pub new: String,
    /// Inputs added, removed, or whose default, type or sensitivity changed.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub inputs: Vec<InputDiff>,
    /// Every environment variable the new blueprint reads (`from_env`): on CI, the runner's
    /// environment, where its own credentials live.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub environment: Vec<EnvRead>,
    /// USD a month the new blueprint adds to fixed charges (negative: saves), on-demand.
    pub cost_monthly_delta: f64,
    pub changes: Vec<ResourceDiff>,
    pub review: Vec<Finding>,
    pub summary: DiffSummary,
    /// The change as a graph, for the pull-request diagram (not in the JSON contract).
    #[serde(skip)]
    pub graph: ChangeGraph,
}

/// The change drawn for a reviewer: each changed resource (those with findings first), the
/// unchanged resources next to one (what it needs and what needs it) as context, and the
/// dependency edges among them; bounded, the rest counted.
#[derive(Debug, Clone, Default)]
pub struct ChangeGraph {
    pub nodes: Vec<ChangeNode>,
    /// `(needs, needed)` as indices into `nodes`: the first needs the second.
    pub edges: Vec<(usize, usize)>,
    /// Changed resources not drawn, and context resources not drawn.
    pub changes_left_out: usize,
    pub context_left_out: usize,
}

#[derive(Debug, Clone)]
pub struct ChangeNode {
    pub address: Address,
    /// `added`, `removed`, `changed`, or `context` (unchanged, next to a change).
    pub change: &'static str,
    /// The review's findings on it: how it cuts and the check's id.
    pub findings: Vec<(Concern, String)>,
}

/// Most changed resources a diagram draws, and most unchanged neighbours beside them.
pub const DIAGRAM_CHANGES: usize = 40;
pub const DIAGRAM_CONTEXT: usize = 20;

/// The dependency edges of a resource on either side: what it needs.
fn needs<'a>(old: &'a Model, new: &'a Model, a: &Address) -> BTreeSet<&'a Address> {
    new.get(a).or_else(|| old.get(a)).map(|r| r.depends_on.iter().collect()).unwrap_or_default()
}

fn change_graph(old: &Model, new: &Model, changes: &[ResourceDiff], review: &[Finding]) -> ChangeGraph {
    let findings_on = |a: &Address| -> Vec<(Concern, String)> {
        review.iter().filter(|f| f.address == *a).map(|f| (f.concern, f.check.clone())).collect()
    };
    let flagged: BTreeSet<&Address> = review
        .iter()
        .filter_map(|f| match &f.address {
            super::Subject::Resource(a) => Some(a),
            super::Subject::Input(_) => None,
        })
        .collect();
    // Changed resources, and resources with a finding though unchanged in themselves.
    let mut changed: Vec<(&Address, &'static str)> = changes.iter().map(|c| (&c.address, c.change)).collect();
    for a in &flagged {
        if !changed.iter().any(|(c, _)| c == a) && (new.get(a).is_some() || old.get(a).is_some()) {
            changed.push((a, "context"));
        }
    }
    changed.sort_by_key(|(a, _)| (!flagged.contains(a), *a));
    // A change left out is counted as one, never drawn as an unchanged neighbour.
    let all: BTreeSet<&Address> = changed.iter().map(|(a, _)| *a).collect();
    let changes_left_out = changed.len().saturating_sub(DIAGRAM_CHANGES);
    changed.truncate(DIAGRAM_CHANGES);
    let drawn: BTreeSet<&Address> = changed.iter().map(|(a, _)| *a).collect();
    // Unchanged neighbours, both ways.
    let mut context: BTreeSet<&Address> = BTreeSet::new();
    for (a, _) in &changed {
        context.extend(needs(old, new, a).into_iter().filter(|n| !all.contains(n)));
    }
    for r in new.resources.iter().chain(&old.resources) {
        if !all.contains(&r.address) && r.depends_on.iter().any(|d| drawn.contains(d)) {
            context.insert(&r.address);
        }
    }
    let context_left_out = context.len().saturating_sub(DIAGRAM_CONTEXT);
    let mut nodes: Vec<ChangeNode> = changed
        .iter()
        .map(|(a, change)| ChangeNode { address: (*a).clone(), change, findings: findings_on(a) })
        .collect();
    nodes.extend(context.into_iter().take(DIAGRAM_CONTEXT).map(|a| ChangeNode {
        address: a.clone(),
        change: "context",
        findings: vec![],
    }));
    let index: BTreeMap<&Address, usize> = nodes.iter().enumerate().map(|(i, n)| (&n.address, i)).collect();
    let mut edges = vec![];
    for (i, n) in nodes.iter().enumerate() {
        for d in needs(old, new, &n.address) {
            if let Some(&j) = index.get(d) {
                edges.push((i, j));
            }
        }
    }
    ChangeGraph { nodes, edges, changes_left_out, context_left_out }
}

/// An input whose declaration changed: what people applying the blueprint get by default.
#[derive(Debug, Clone, Serialize)]
pub struct InputDiff {
    pub name: String,
    /// `added`, `removed` or `changed`.
    pub change: &'static str,
    /// The old default (`None`: no default, the input had to be set).
    pub before: Option<Value>,
    pub after: Option<Value>,
    /// Type or sensitivity, when they changed too: `string -> cidr`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

fn input_diffs(old: &Model, new: &Model) -> Vec<InputDiff> {
    let names: BTreeSet<&str> = old.inputs.iter().chain(&new.inputs).map(|i| i.name.as_str()).collect();
    names
        .into_iter()
        .filter_map(|n| {
            let (o, w) = (old.inputs.iter().find(|i| i.name == n), new.inputs.iter().find(|i| i.name == n));
            let mut notes = Vec::new();
            if let (Some(o), Some(w)) = (o, w) {
                if o.kind != w.kind {
                    notes.push(format!("type {} -> {}", o.kind, w.kind));
                }
                if o.sensitive != w.sensitive {
                    notes.push(if w.sensitive { "now sensitive".into() } else { "no longer sensitive".to_string() });
                }
            }
            let change = match (o, w) {
                (None, Some(_)) => "added",
                (Some(_), None) => "removed",
                (Some(o), Some(w)) if o.default == w.default && notes.is_empty() => return None,
                _ => "changed",
            };
            Some(InputDiff {
                name: n.to_string(),
                change,
                before: o.and_then(|i| i.default.clone()),
                after: w.and_then(|i| i.default.clone()),
                note: (!notes.is_empty()).then(|| notes.join(", ")),
            })
        })
        .collect()
}

impl InputDiff {
    pub fn line(&self) -> String {
        let shown = |v: &Option<Value>| match v {
            None => "(no default)".to_string(),
            // Values come from the blueprint under review: no backtick may end a code span.
            Some(v) => short(&Some(v.clone())).replace('`', "'"),
        };
        let mut l = match self.change {
            "added" => format!("input `{}` added, default {}", self.name, shown(&self.after)),
            "removed" => format!("input `{}` removed (its default was {})", self.name, shown(&self.before)),
            _ => format!("input `{}` default {} -> {}", self.name, shown(&self.before), shown(&self.after)),
        };
        if let Some(n) = &self.note {
            l.push_str(&format!(" ({n})"));
        }
        l
    }
}

/// One environment variable a resource reads its value from.
#[derive(Debug, Clone, Serialize)]
pub struct EnvRead {
    pub variable: String,
    pub address: Address,
    /// Whether the old blueprint did not read it there.
    pub new: bool,
}

impl EnvRead {
    pub fn line(&self) -> String {
        format!(
            "`{}` reads `{}` from the environment of whoever applies{}",
            self.address,
            self.variable,
            if self.new { " (new)" } else { "" }
        )
    }
}

/// The `from_env` variable of a secret or SecureString (inputs, read as `SOCFORM_VAR_*`,
/// are shown as inputs).
fn env_variable(a: &Attrs) -> Option<&str> {
    a.get("value")?
        .get("from_env")?
        .get("variable")?
        .as_str()
        .filter(|v| !v.starts_with(crate::model::spec::INPUT_VARIABLE_PREFIX))
}

fn environment_reads(old: &Model, new: &Model) -> Vec<EnvRead> {
    new.resources
        .iter()
        .filter_map(|r| {
            let variable = env_variable(&r.attrs)?;
            let before = old.get(&r.address).and_then(|o| env_variable(&o.attrs));
            Some(EnvRead { variable: variable.to_string(), address: r.address.clone(), new: before != Some(variable) })
        })
        .collect()
}

#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct DiffSummary {
    pub added: usize,
    pub removed: usize,
    pub changed: usize,
    pub broadens_access: usize,
    pub weakens_monitoring: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct ResourceDiff {
    pub address: Address,
    pub kind: Kind,
    /// `added`, `removed` or `changed`.
    pub change: &'static str,
    pub attributes: Vec<AttrDiff>,
}

#[derive(Debug, Clone, Serialize)]
pub struct AttrDiff {
    pub name: String,
    pub before: Option<Value>,
    pub after: Option<Value>,
    /// A unified diff, for values that span lines.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text_diff: Option<String>,
}

/// Compares two models.
pub fn diff(old: &Model, new: &Model) -> BlueprintDiff {
    let addresses: BTreeSet<&Address> = old.resources.iter().chain(&new.resources).map(|r| &r.address).collect();
    let mut changes = Vec::new();
    let mut pairs = Vec::new();
    for a in addresses {
        let (b, n) = (old.get(a).map(|r| &r.attrs), new.get(a).map(|r| &r.attrs));
        // Unchanged pairs too: the review reads them as context.
        pairs.push(Pair { address: a, before: b, after: n });
        if b == n {
            continue;
        }
        let change = match (b, n) {
            (None, Some(_)) => "added",
            (Some(_), None) => "removed",
            _ => "changed",
        };
        changes.push(ResourceDiff {
            address: a.clone(),
            kind: a.kind(),
            change,
            attributes: attr_diffs(a.kind(), b, n),
        });
    }
    // The blueprint's own accounts are the old one's when it names them: a change cannot
    // vouch for an account it adds itself.
    let accounts = if old.allowed_accounts.is_empty() { &new.allowed_accounts } else { &old.allowed_accounts };
    // Which roles are socform's own is decided by socform's lowering, never by the blueprint:
    // the new side's set is the one whose content is reviewed.
    let cx = security::Context { accounts: accounts.iter().cloned().collect(), fixed: new.fixed.clone() };
    let mut review = security::review(&pairs, &cx);
    inputs_review(old, new, &mut review);
    severity_changes(old, new, &mut changes, &mut review);
    lint_parity(old, new, &mut review);
    review.sort();
    review.dedup();
    let summary = DiffSummary {
        added: changes.iter().filter(|c| c.change == "added").count(),
        removed: changes.iter().filter(|c| c.change == "removed").count(),
        changed: changes.iter().filter(|c| c.change == "changed").count(),
        broadens_access: review.iter().filter(|f| f.concern == Concern::BroadensAccess).count(),
        weakens_monitoring: review.iter().filter(|f| f.concern == Concern::WeakensMonitoring).count(),
    };
    BlueprintDiff {
        format_version: "1",
        old: old.blueprint.clone(),
        new: new.blueprint.clone(),
        inputs: input_diffs(old, new),
        environment: environment_reads(old, new),
        cost_monthly_delta: {
            let a = crate::cost::Assumptions::default();
            let d = crate::cost::of_model(new, &a).fixed_monthly - crate::cost::of_model(old, &a).fixed_monthly;
            (d * 100.0).round() / 100.0
        },
        graph: change_graph(old, new, &changes, &review),
        changes,
        review,
        summary,
    }
}

/// An input that was `sensitive` and is no longer: whatever sets it (a CI secret, a
/// `--var`) is then printed in plans and stored in state.
fn inputs_review(old: &Model, new: &Model, review: &mut Vec<Finding>) {
    for w in &new.inputs {
        if !w.sensitive && old.inputs.iter().any(|o| o.name == w.name && o.sensitive) {
            review.push(Finding {
                concern: Concern::BroadensAccess,
                check: "broaden.input-not-sensitive".into(),
                address: super::Subject::Input(w.name.clone()),
                message: "the input is no longer sensitive: its value is printed in plans and kept in state".into(),
            });
        }
    }
}

fn severity_rank(s: &str) -> u8 {
    match s {
        "critical" => 4,
        "high" => 3,
        "medium" => 2,
        "low" => 1,
        _ => 0,
    }
}

/// A detection's severity lives in the blueprint, not in AWS: a change is shown on its
/// alarm, and a lower severity (alerts routed and triaged as less urgent) is a finding.
fn severity_changes(old: &Model, new: &Model, changes: &mut Vec<ResourceDiff>, review: &mut Vec<Finding>) {
    for d in &new.detections {
        let Some(o) = old.detections.iter().find(|o| o.name == d.name) else { continue };
        if o.severity == d.severity {
            continue;
        }
        let attr = AttrDiff {
            name: "severity".into(),
            before: Some(Value::String(o.severity.clone())),
            after: Some(Value::String(d.severity.clone())),
            text_diff: None,
        };
        match changes.iter_mut().find(|c| c.address == d.alarm) {
            Some(c) => c.attributes.push(attr),
            None => {
                changes.push(ResourceDiff {
                    address: d.alarm.clone(),
                    kind: d.alarm.kind(),
                    change: "changed",
                    attributes: vec![attr],
                });
                changes.sort_by(|a, b| a.address.cmp(&b.address));
            }
        }
        if severity_rank(&d.severity) < severity_rank(&o.severity) {
            review.push(Finding {
                concern: Concern::WeakensMonitoring,
                check: "weaken.severity-lowered".into(),
                address: d.alarm.clone().into(),
                message: format!(
                    "the detection `{}` is lowered from {} to {}: its alerts are routed and triaged as less urgent",
                    d.name, o.severity, d.severity
                ),
            });
        }
    }
}

/// The concern of each lint rule, and the review check that already reports the same
/// thing (so that one change is not reported twice). `None`: not a security concern.
fn lint_concern(rule: &str) -> Option<(Concern, Option<&'static str>)> {
    use Concern::*;
    Some(match rule {
        "SOC001" => (BroadensAccess, Some("broaden.admin-port")),
        "SOC002" | "SOC003" => (BroadensAccess, Some("broaden.iam-wildcard")),
        "SOC004" => (BroadensAccess, Some("broaden.public-access-block")),
        "SOC005" => (WeakensMonitoring, None),
        "SOC006" => (WeakensMonitoring, Some("weaken.trail-single-region")),
        "SOC007" => (WeakensMonitoring, Some("weaken.trail-validation-off")),
        "SOC008" => (WeakensMonitoring, Some("weaken.trail-cloudwatch-off")),
        "SOC009" => (WeakensMonitoring, Some("weaken.trail-logging-off")),
        "SOC010" => (WeakensMonitoring, Some("weaken.flow-logs-removed")),
        "SOC011" => (BroadensAccess, Some("broaden.public-ip")),
        "SOC012" => (WeakensMonitoring, Some("weaken.detection-removed")),
        "SOC013" => (WeakensMonitoring, Some("weaken.trail-removed")),
        "SOC014" => (BroadensAccess, Some("broaden.imdsv1")),
        "SOC015" => (BroadensAccess, None),
        "SOC016" => (WeakensMonitoring, Some("weaken.notification-dropped")),
        "SOC018" => (WeakensMonitoring, Some("weaken.retention-shortened")),
        "SOC025" => (BroadensAccess, Some("broaden.admin-port")),
        // SOC017 and SOC026 are notes; SOC019 is about quotas, not security.
        _ => return None,
    })
}

/// Review and lint never disagree: an error or warning `lint` reports for the new blueprint
/// and not for the old one is a finding (check id `lint.SOCnnn`), unless a review check
/// already reported the same thing.
fn lint_parity(old: &Model, new: &Model, review: &mut Vec<Finding>) {
    use super::lint::{lint, Level};
    let before = lint(old, &old.suppressions);
    let was: BTreeSet<(&str, Option<&Address>)> = before.active().map(|f| (f.rule, f.address.as_ref())).collect();
    let after = lint(new, &new.suppressions);
    let mut extra = Vec::new();
    for f in after.active().filter(|f| matches!(f.level, Level::Error | Level::Warning)) {
        if was.contains(&(f.rule, f.address.as_ref())) {
            continue;
        }
        let Some((concern, native)) = lint_concern(f.rule) else { continue };
        if native.is_some_and(|c| review.iter().any(|r| r.check == c)) {
            continue;
        }
        // A finding about the blueprint as a whole that no review check covers has no
        // resource to name; none exists among today's rules.
        let Some(address) = f.address.clone() else { continue };
        extra.push(Finding {
            concern,
            check: format!("lint.{}", f.rule),
            address: address.into(),
            message: f.message.clone(),
        });
    }
    review.extend(extra);
}

fn attr_diffs(kind: Kind, b: Option<&Attrs>, n: Option<&Attrs>) -> Vec<AttrDiff> {
    let empty = Attrs::new();
    let (bb, nn) = (b.unwrap_or(&empty), n.unwrap_or(&empty));
    let keys: BTreeSet<&String> = bb.keys().chain(nn.keys()).collect();
    keys.into_iter()
        .filter(|k| bb.get(*k) != nn.get(*k))
        .map(|k| {
            let sensitive = is_sensitive(kind, k, bb) || is_sensitive(kind, k, nn);
            let mask =
                |v: Option<&Value>| v.map(|v| if sensitive { Value::String(SENSITIVE.into()) } else { v.clone() });
            let (before, after) = (mask(bb.get(k)), mask(nn.get(k)));
            let text_diff =
                (!sensitive && b.is_some() && n.is_some()).then(|| text_diff(bb.get(k), nn.get(k))).flatten();
            AttrDiff { name: k.clone(), before, after, text_diff }
        })
        .collect()
}

fn as_text(v: Option<&Value>) -> String {
    match v {
        None => String::new(),
        Some(Value::String(s)) => s.clone(),
        // A list of records (a network ACL's entries, a route table's routes): one record a
        // line, so that a changed record is one changed line.
        Some(Value::Array(items)) if !items.is_empty() && items.iter().all(Value::is_object) => {
            let lines: Vec<String> = items.iter().map(|i| format!("  {i}")).collect();
            format!("[\n{}\n]", lines.join(",\n"))
        }
        Some(other) => serde_json::to_string_pretty(other).unwrap_or_default(),
    }
}

/// A unified diff when either side spans lines or is long.
pub fn text_diff(b: Option<&Value>, n: Option<&Value>) -> Option<String> {
    let (bt, nt) = (as_text(b), as_text(n));
    let wide = |v: Option<&Value>, t: &str| t.contains('\n') || t.len() > 80 || matches!(v, Some(Value::Object(_)));
    if !wide(b, &bt) && !wide(n, &nt) {
        return None;
    }
    let (bt, nt) = (format!("{bt}\n"), format!("{nt}\n"));
    let d = TextDiff::from_lines(&bt, &nt);
    Some(d.unified_diff().context_radius(3).header("before", "after").to_string())
}

/// A value in a few words: strings quoted, long or multi-line values by their size.
pub fn short(v: &Option<Value>) -> String {
    match v {
        None => "(none)".into(),
        Some(Value::String(s)) if s.contains('\n') => format!("({} lines)", s.lines().count()),
        Some(Value::String(s)) => format!("{s:?}"),
        Some(other) => {
            let t = other.to_string();
            if t.len() > 80 {
                format!("({} characters of JSON)", t.len())
            } else {
                t
            }
        }
    }
}

impl BlueprintDiff {
    pub fn has_changes(&self) -> bool {
        !self.changes.is_empty() || !self.inputs.is_empty()
    }

    /// 0 no changes, 2 changes, 3 changes that broaden access or weaken monitoring.
    pub fn exit_code(&self) -> u8 {
        if !self.review.is_empty() {
            3
        } else if self.has_changes() {
            2
        } else {
            0
        }
    }
}
