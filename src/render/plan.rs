//! Rendering a plan: human (coloured, Terraform's `+ ~ -/+ -`), JSON (the versioned
//! contract) and Markdown (one pull-request comment). All three render the same [`Plan`];
//! sensitive values are shown as `(sensitive)` in every one.

use std::collections::BTreeMap;
use std::fmt::Write;

use owo_colors::OwoColorize;
use serde::Serialize;
use serde_json::Value;

use super::{fit_markdown, review_section};
use crate::model::{is_sensitive, Attrs, SENSITIVE};
use crate::plan::{Action, AttrChange, Change, Drift, Plan, Summary};

pub use super::MARKDOWN_LIMIT;

fn mask_attrs(change: &Change, attrs: &Option<Attrs>) -> Option<Attrs> {
    let after = change.after.as_ref().or(change.before.as_ref());
    attrs.as_ref().map(|a| {
        a.iter()
            .map(|(k, v)| {
                let sensitive =
                    after.is_some_and(|x| is_sensitive(change.kind, k, x)) || is_sensitive(change.kind, k, a);
                (k.clone(), if sensitive { Value::String(SENSITIVE.into()) } else { v.clone() })
            })
            .collect()
    })
}

/// The JSON contract (format version "1"): see the README.
#[derive(Serialize)]
pub struct JsonPlan<'a> {
    pub format_version: &'a str,
    pub blueprint: &'a str,
    pub region: &'a str,
    /// The AWS account planned against, when known (refreshed, or recorded in state).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account_id: Option<&'a str>,
    pub destroy: bool,
    pub refreshed: bool,
    pub changes: Vec<JsonChange<'a>>,
    pub drift: &'a [Drift],
    /// Found by this state's tags, in neither state nor the blueprint: left alone.
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    pub untracked: &'a [crate::plan::Untracked],
    /// Changes that broaden access or weaken monitoring.
    pub review: &'a [crate::review::Finding],
    pub summary: Summary,
    /// USD a month the plan adds to fixed charges (negative: saves), on-demand prices.
    pub cost_monthly_delta: f64,
    /// The inputs the plan was made with; sensitive values read `(sensitive)`.
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    pub inputs: &'a [crate::model::Input],
    /// Renames from `moved:` that apply records.
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    pub moved: &'a [crate::model::Moved],
    /// `--target` addresses (empty: the whole blueprint).
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    pub targets: &'a [crate::address::Address],
    /// `--refresh-only`: no change to AWS.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub refresh_only: bool,
}

#[derive(Serialize)]
pub struct JsonChange<'a> {
    pub address: String,
    pub kind: &'a str,
    pub action: &'a str,
    pub reasons: &'a [String],
    pub before: Option<Attrs>,
    pub after: Option<Attrs>,
    /// Attributes whose value is known only after apply.
    pub after_unknown: Vec<&'a str>,
    pub replace_paths: Vec<&'a str>,
    pub depends_on: Vec<String>,
    /// For `use`: the id of what the account has (a detector id, a hub's ARN, a log group).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<&'a str>,
}

pub fn json(plan: &Plan) -> String {
    let changes = plan
        .changes
        .iter()
        .map(|c| JsonChange {
            address: c.address.to_string(),
            kind: c.kind.as_str(),
            action: c.action.as_str(),
            reasons: &c.reasons,
            before: mask_attrs(c, &c.before),
            after: mask_attrs(c, &c.after),
            after_unknown: unknown_attrs(c),
            replace_paths: c.attributes.iter().filter(|a| a.forces_replacement).map(|a| a.name.as_str()).collect(),
            depends_on: c.depends_on.iter().map(|a| a.to_string()).collect(),
            id: if c.action == Action::Use { c.id.as_deref() } else { None },
        })
        .collect();
    let doc = JsonPlan {
        format_version: &plan.format_version,
        blueprint: &plan.blueprint,
        region: &plan.region,
        account_id: plan.globals.get("account_id").map(String::as_str),
        destroy: plan.destroy,
        refreshed: plan.refreshed,
        changes,
        drift: &plan.drift,
        untracked: &plan.untracked,
        review: &plan.review,
        summary: plan.summary,
        cost_monthly_delta: monthly_delta(plan),
        inputs: &plan.inputs,
        moved: &plan.moved,
        targets: &plan.targets,
        refresh_only: plan.refresh_only,
    };
    let mut s = serde_json::to_string_pretty(&doc).expect("plans serialise");
    s.push('\n');
    s
}

fn unknown_attrs(c: &Change) -> Vec<&str> {
    match c.action {
        Action::Create => c.after.iter().flatten().filter(|(_, v)| has_template(v)).map(|(k, _)| k.as_str()).collect(),
        _ => c.attributes.iter().filter(|a| a.unknown).map(|a| a.name.as_str()).collect(),
    }
}

fn has_template(v: &Value) -> bool {
    match v {
        Value::String(s) => crate::model::template::refs_in(s).next().is_some(),
        Value::Array(a) => a.iter().any(has_template),
        Value::Object(o) => o.values().any(has_template),
        _ => false,
    }
}

/// A value on one line; long text is shortened to its first line and a count.
fn inline(v: &Value) -> String {
    match v {
        Value::String(s) if s.contains('\n') => {
            let lines = s.lines().count();
            let first = s.lines().next().unwrap_or("");
            format!("{:?} (+{} more lines)", first, lines.saturating_sub(1))
        }
        Value::String(s) => format!("{s:?}"),
        other => other.to_string(),
    }
}

fn shown(v: Option<&Value>, sensitive: bool) -> String {
    match v {
        None | Some(Value::Null) => "null".into(),
        Some(_) if sensitive => SENSITIVE.into(),
        Some(v) if has_template(v) => format!("{} (known after apply)", inline(v)),
        Some(v) => inline(v),
    }
}

struct Style {
    color: bool,
}

impl Style {
    fn action(&self, a: Action, text: &str) -> String {
        if !self.color {
            return text.to_string();
        }
        match a {
            Action::Create => text.green().to_string(),
            Action::Update => text.yellow().to_string(),
            Action::Replace => text.magenta().to_string(),
            Action::Delete => text.red().to_string(),
            Action::NoOp => text.dimmed().to_string(),
            Action::Use => text.cyan().to_string(),
        }
    }

    fn bold(&self, text: &str) -> String {
        if self.color {
            text.bold().to_string()
        } else {
            text.to_string()
        }
    }

    fn dim(&self, text: &str) -> String {
        if self.color {
            text.dimmed().to_string()
        } else {
            text.to_string()
        }
    }
}

/// Where a plan acts: the region, and the account when it is known.
fn target(plan: &Plan) -> String {
    let mut t = match plan.globals.get("account_id") {
        Some(a) => format!("account {a}, {}", plan.region),
        None => plan.region.clone(),
    };
    // A blueprint that spans accounts: each named one with its id.
    let named: Vec<String> = plan
        .provenance
        .accounts
        .keys()
        .map(|n| match plan.globals.get(&crate::model::template::account_global(n)) {
            Some(id) => format!("{n} {id}"),
            None => n.clone(),
        })
        .collect();
    if !named.is_empty() {
        let _ = write!(t, "; accounts: {}", named.join(", "));
    }
    t
}

/// ` in account NAME` for a change placed in a named account.
fn placed(c: &Change) -> String {
    c.account().map(|a| format!(" in account {a}")).unwrap_or_default()
}

/// The plan for a terminal. `color` turns ANSI colours on.
pub fn human(plan: &Plan, color: bool) -> String {
    let st = Style { color };
    let mut out = String::new();
    let verb = if plan.destroy { "destroy plan" } else { "plan" };
    let _ = writeln!(out, "{}", st.bold(&format!("socform {verb} for `{}` ({})", plan.blueprint, target(plan))));
    if !plan.refreshed {
        let _ = writeln!(out, "{}", st.dim("(live state not read: compared with the state file only)"));
    }
    if let Some(at) = plan.labels.get(crate::model::TAG_EXPIRES_AT) {
        let owner = plan.labels.get(crate::model::TAG_OWNER).map(|o| format!(", owner {o}")).unwrap_or_default();
        let line = if at == "never" {
            format!("Lab: no longer expires (apply writes `never` on every resource){owner}")
        } else {
            format!("Lab: expires at {at} (apply writes it on every resource; `socform reap --expired` removes the lab after that){owner}")
        };
        let _ = writeln!(out, "{}", st.dim(&line));
    }
    out.push('\n');

    if !plan.drift.is_empty() {
        let _ = writeln!(out, "{}", st.bold("Changed outside socform:"));
        for d in &plan.drift {
            if d.attribute == "(resource)" {
                let _ = writeln!(out, "  {} {}: deleted outside socform", st.action(Action::Delete, "!"), d.address);
            } else {
                let _ = writeln!(
                    out,
                    "  {} {}.{}: {} -> {}",
                    st.action(Action::Update, "!"),
                    d.address,
                    d.attribute,
                    inline(&d.state),
                    inline(&d.live)
                );
            }
        }
        out.push('\n');
    }

    if plan.refresh_only {
        if plan.drift.is_empty() {
            let _ = writeln!(out, "No changes outside socform: state matches AWS.");
        } else {
            let _ = writeln!(out, "Refresh only: nothing in AWS changes. `apply --refresh-only` records what changed outside socform in state.");
        }
        return out;
    }

    if !plan.targets.is_empty() {
        let list: Vec<String> = plan.targets.iter().map(|t| t.to_string()).collect();
        let _ = writeln!(
            out,
            "{}",
            st.dim(&format!(
                "Targeted: only {} and what {} need{}; the rest is left as it is. Run a full plan afterwards.",
                list.join(", "),
                if list.len() == 1 { "it" } else { "they" },
                if list.len() == 1 { "s" } else { "" }
            ))
        );
        out.push('\n');
    }

    if !plan.moved.is_empty() {
        let _ = writeln!(out, "{}", st.bold("Renamed in the blueprint (kept, not replaced):"));
        for m in &plan.moved {
            let _ = writeln!(out, "  {} {} -> {}", st.action(Action::Update, ">"), m.from, m.to);
        }
        out.push('\n');
    }

    if !plan.untracked.is_empty() {
        let _ = writeln!(out, "{}", st.bold("Tagged as made by this state, but in neither state nor the blueprint (left alone; `destroy` removes them):"));
        for u in &plan.untracked {
            let _ = writeln!(out, "  {} {} ({})", st.action(Action::Update, "?"), u.address, u.id);
        }
        out.push('\n');
    }

    let used: Vec<&Change> = plan.changes.iter().filter(|c| c.action == Action::Use).collect();
    if !used.is_empty() {
        let _ = writeln!(
            out,
            "{}",
            st.bold("Uses what the account has already (not managed by socform: never changed or deleted):")
        );
        for c in &used {
            let _ = writeln!(
                out,
                "  {} {}",
                st.action(c.action, &format!("{} {}", c.action.symbol(), c.address)),
                c.id.as_deref().unwrap_or("")
            );
            for r in c.reasons.iter().skip(1) {
                let _ = writeln!(out, "      {}", st.dim(r));
            }
        }
        out.push('\n');
    }

    let changing: Vec<&Change> = plan.changes.iter().filter(|c| c.action.is_change() || c.adopted).collect();
    if changing.is_empty() {
        if plan.moved.is_empty() {
            let _ = writeln!(out, "No changes. AWS matches the blueprint.");
        } else {
            let _ = writeln!(out, "No changes in AWS; apply records the new addresses in state.");
        }
        return out;
    }
    if !plan.review.is_empty() {
        review_section(&mut out, &plan.review, false);
    }
    for c in changing {
        let head = format!("{} {}", c.action.symbol(), c.address);
        let mut line = format!("  {}{}", st.action(c.action, &head), st.dim(&placed(c)));
        if !c.reasons.is_empty() {
            let _ = write!(line, " {}", st.dim(&format!("({})", c.reasons.join("; "))));
        }
        let _ = writeln!(out, "{line}");
        match c.action {
            Action::Create => {
                let attrs = c.after.as_ref().expect("creates have attributes");
                let width = attrs.keys().map(|k| k.len()).max().unwrap_or(0);
                for (k, v) in attrs {
                    let sensitive = is_sensitive(c.kind, k, attrs);
                    let long =
                        !sensitive && matches!(v, Value::Object(_) | Value::Array(_)) && v.to_string().len() > 80;
                    if long {
                        // Policies and other documents: pretty, aligned under the name.
                        let pad = " ".repeat(6 + width + 3);
                        let pretty =
                            serde_json::to_string_pretty(v).unwrap_or_default().replace('\n', &format!("\n{pad}"));
                        let note = if has_template(v) { " (known after apply)" } else { "" };
                        let _ = writeln!(out, "      {k:<width$} = {pretty}{note}");
                    } else {
                        // A create in place of the account's own (a replaced password
                        // policy): what it had, where it differs.
                        let was = c.before.as_ref().and_then(|b| b.get(k)).filter(|b| *b != v && !sensitive);
                        match was {
                            Some(b) => {
                                let _ = writeln!(
                                    out,
                                    "      {k:<width$} = {} -> {}",
                                    shown(Some(b), false),
                                    shown(Some(v), false)
                                );
                            }
                            None => {
                                let _ = writeln!(out, "      {k:<width$} = {}", shown(Some(v), sensitive));
                            }
                        }
                    }
                }
            }
            Action::Update | Action::Replace => {
                let width = c.attributes.iter().map(|a| a.name.len()).max().unwrap_or(0);
                for a in &c.attributes {
                    let forces = if a.forces_replacement { st.dim("  # forces replacement") } else { String::new() };
                    let document = (!a.sensitive && !a.unknown)
                        .then(|| crate::review::diff::text_diff(a.before.as_ref(), a.after.as_ref()))
                        .flatten();
                    match document {
                        // A document (a policy, user data): a unified diff of it.
                        Some(d) => {
                            let _ = writeln!(out, "    {} {}:{forces}", st.action(Action::Update, "~"), a.name);
                            for line in d.lines() {
                                let _ = writeln!(out, "        {line}");
                            }
                        }
                        None => {
                            let _ = writeln!(
                                out,
                                "    {} {:<width$} = {}{forces}",
                                st.action(Action::Update, "~"),
                                a.name,
                                attr_transition(a),
                            );
                        }
                    }
                }
            }
            _ => {}
        }
    }
    out.push('\n');
    let _ = writeln!(out, "{}", summary_line(&plan.summary));
    if let Some(line) = cost_line(plan) {
        let _ = writeln!(out, "{line}");
    }
    out
}

fn attr_transition(a: &AttrChange) -> String {
    let before = shown(a.before.as_ref(), a.sensitive);
    let after = if a.unknown && !a.sensitive {
        format!("{} (known after apply)", a.after.as_ref().map(inline).unwrap_or_default())
    } else {
        shown(a.after.as_ref(), a.sensitive)
    };
    format!("{before} -> {after}")
}

/// What a plan changes in fixed monthly charges: the fixed lines of every resource after,
/// minus before (usage-based charges depend on traffic; `socform cost` shows them).
pub fn monthly_delta(plan: &Plan) -> f64 {
    let none = BTreeMap::new();
    let fixed = |c: &Change, attrs: &Option<crate::model::Attrs>| -> f64 {
        attrs
            .as_ref()
            .map(|a| crate::cost::items(c.kind, a, &none).iter().map(|i| i.hourly).sum::<f64>())
            .unwrap_or(0.0)
    };
    let delta: f64 =
        plan.changes.iter().filter(|c| c.action.is_change()).map(|c| fixed(c, &c.after) - fixed(c, &c.before)).sum();
    (delta * crate::cost::HOURS_PER_MONTH * 100.0).round() / 100.0
}

/// "Cost: +$121.47/month in fixed charges", when the plan changes them.
fn cost_line(plan: &Plan) -> Option<String> {
    let d = monthly_delta(plan);
    (d != 0.0).then(|| {
        format!(
            "Cost: {} in fixed charges (on-demand prices; `socform cost` adds usage-based lines).",
            crate::cost::signed_month(d)
        )
    })
}

pub fn summary_line(s: &Summary) -> String {
    let adopt = if s.adopt > 0 {
        format!(", {} to adopt (found by this state's tags, recorded)", s.adopt)
    } else {
        String::new()
    };
    let uses = if s.uses > 0 { format!(", {} used as the account has it", s.uses) } else { String::new() };
    format!(
        "Plan: {} to create, {} to update, {} to replace, {} to delete{adopt}{uses}.",
        s.create, s.update, s.replace, s.delete
    )
}

/// The plan as one pull-request comment: summary first, details collapsed, at most
/// [`MARKDOWN_LIMIT`] characters (with a note saying what was left out).
pub fn markdown(plan: &Plan) -> String {
    let mut head = String::new();
    let verb = if plan.destroy { "destroy plan" } else { "plan" };
    let _ = writeln!(head, "### socform {verb}: `{}` ({})\n", plan.blueprint, target(plan));
    let s = plan.summary;
    if s.total() == 0 {
        let _ = writeln!(head, "**No changes.** AWS matches the blueprint.");
    } else {
        let _ = writeln!(
            head,
            "**{} to create, {} to update, {} to replace, {} to delete**",
            s.create, s.update, s.replace, s.delete
        );
        let d = monthly_delta(plan);
        if d != 0.0 {
            let _ = writeln!(head, "\n:moneybag: **{}** in fixed charges (on-demand)", crate::cost::signed_month(d));
        }
    }
    if !plan.drift.is_empty() {
        let _ = writeln!(
            head,
            "\n:warning: **{} attribute(s) changed outside socform** (apply puts them back)\n",
            plan.drift.len()
        );
        let _ = writeln!(head, "| Resource | Attribute | State | Live |\n|---|---|---|---|");
        for d in &plan.drift {
            let _ = writeln!(
                head,
                "| `{}` | `{}` | `{}` | `{}` |",
                d.address,
                d.attribute,
                super::md_escape(&inline(&d.state)),
                super::md_escape(&inline(&d.live))
            );
        }
    }
    let changing: Vec<&Change> =
        plan.changes.iter().filter(|c| c.action.is_change() || c.adopted || c.action == Action::Use).collect();
    if changing.is_empty() {
        return head;
    }
    head.push('\n');
    review_section(&mut head, &plan.review, true);
    let rows: Vec<String> = changing
        .iter()
        .map(|c| {
            format!(
                "| {} {} | `{}` | {} |",
                md_icon(c.action),
                c.action.as_str(),
                c.address,
                super::md_escape(&c.reasons.join("; "))
            )
        })
        .collect();
    let details: Vec<String> = changing.iter().map(|c| md_details(c)).collect();

    // Fit: full table and details; else full table and as many details as fit; else as many
    // rows as fit. Each cut is said.
    let table_head = "\n| Action | Resource | Why |\n|---|---|---|\n";
    let build = |rows_n: usize, details_n: usize| -> String {
        let mut out = head.clone();
        out.push_str(table_head);
        for r in &rows[..rows_n] {
            out.push_str(r);
            out.push('\n');
        }
        if rows_n < rows.len() {
            let _ = writeln!(
                out,
                "\n> :scissors: Truncated: {} more changes are not listed. Run `socform plan` for the full plan.",
                rows.len() - rows_n
            );
        }
        if details_n > 0 {
            out.push_str("\n<details><summary>Attribute changes</summary>\n\n```diff\n");
            for d in &details[..details_n] {
                out.push_str(d);
            }
            out.push_str("```\n\n</details>\n");
        }
        if details_n < details.len() && rows_n == rows.len() {
            let _ = writeln!(out, "\n> :scissors: Truncated: attribute details of {} changes are left out to fit one comment. Run `socform plan` for all of them.", details.len() - details_n);
        }
        out
    };
    // As many details as fit beside the whole table; if not even the table fits, as many
    // rows as fit.
    let with_table = fit_markdown(details.len(), |k| build(rows.len(), k));
    if with_table.chars().count() <= MARKDOWN_LIMIT {
        return with_table;
    }
    fit_markdown(rows.len(), |k| build(k, 0))
}

fn md_icon(a: Action) -> &'static str {
    match a {
        Action::Create => ":heavy_plus_sign:",
        Action::Update => ":pencil2:",
        Action::Replace => ":recycle:",
        Action::Delete => ":x:",
        Action::NoOp => "",
        Action::Use => ":link:",
    }
}

fn md_details(c: &Change) -> String {
    let mut out = String::new();
    match c.action {
        Action::Create => {
            let _ = writeln!(out, "+ {}", c.address);
            let attrs = c.after.as_ref().expect("creates have attributes");
            for (k, v) in attrs {
                let _ = writeln!(
                    out,
                    "+     {k} = {}",
                    shown(Some(v), is_sensitive(c.kind, k, attrs)).replace("```", "'''")
                );
            }
        }
        Action::Delete => {
            let _ = writeln!(out, "- {}", c.address);
        }
        Action::Update | Action::Replace => {
            let _ = writeln!(out, "! {} {}", c.action.symbol(), c.address);
            for a in &c.attributes {
                let _ = writeln!(
                    out,
                    "!     {} = {}{}",
                    a.name,
                    attr_transition(a).replace("```", "'''"),
                    if a.forces_replacement { "  # forces replacement" } else { "" }
                );
            }
        }
        _ => {}
    }
    out
}
