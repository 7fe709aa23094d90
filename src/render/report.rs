//! `socform report`: one self-contained HTML page for the people running a lab. The topology
//! picture (inline SVG), how to reach each host (the recorded outputs), every detection with
//! its chain and its last drill verdict, what the lab costs, when it expires, and what state
//! records of it. No script, no stylesheet or font from elsewhere: it opens with no network.
//!
//! Written through [`super::xml::El`], so every value from the blueprint, state or a drill
//! report is escaped; the only unescaped text is the style sheet below.
//!
//! **Architecture Invariant:** pure: its inputs arrive read.

use crate::cost::Estimate;
use crate::detect::navigator::{DrillSummary, Verdict};
use crate::model::template::{self, Ref};
use crate::model::{spec, Detection, Model};
use crate::render::xml::El;
use crate::state::State;
use crate::topology::Topology;

const STYLE: &str = "body{font-family:Helvetica,Arial,sans-serif;margin:24px;color:#1f2328;max-width:1400px}\
h1{font-size:22px}h2{font-size:17px;margin-top:28px;border-bottom:1px solid #d0d7de;padding-bottom:4px}\
table{border-collapse:collapse;font-size:13px}td,th{border:1px solid #d0d7de;padding:4px 8px;text-align:left;vertical-align:top}\
th{background:#f6f8fa}code{font-family:ui-monospace,Menlo,monospace;font-size:12px}\
.picture{overflow:auto;border:1px solid #d0d7de;padding:8px}.muted{color:#57606a}\
.proven{color:#1a7f37;font-weight:bold}.broken{color:#cf222e;font-weight:bold}.unproven{color:#9a6700}";

/// What the page is made from.
pub struct Report<'a> {
    pub model: &'a Model,
    /// The lab's state, when it has been applied.
    pub state: Option<&'a State>,
    /// A saved `drill --format json`.
    pub drill: Option<&'a DrillSummary>,
    pub cost: &'a Estimate,
}

fn text(name: &'static str, t: impl Into<String>) -> El {
    El::new(name).text(t)
}

fn row(cells: impl IntoIterator<Item = El>) -> El {
    El::new("tr").children(cells)
}

fn cell(t: impl Into<String>) -> El {
    text("td", t)
}

fn code_cell(t: impl Into<String>) -> El {
    El::new("td").child(text("code", t))
}

fn table(head: &[&str], rows: Vec<El>) -> El {
    El::new("table")
        .child(El::new("thead").child(row(head.iter().map(|h| text("th", *h)))))
        .child(El::new("tbody").children(rows))
}

/// The AWS name of the resource a template names (a log group, a topic); the value itself
/// when it names none.
fn name_in(model: &Model, value: &str) -> String {
    let named = template::refs_in(value).find_map(|r| match r {
        Ref::Output(a, _) => Some(model.aws_name(&a).map_or_else(|| a.to_string(), str::to_string)),
        Ref::Global(_) => None,
    });
    named.unwrap_or_else(|| value.to_string())
}

/// log group -> filter -> alarm -> topics, by their AWS names.
fn chain(model: &Model, d: &Detection) -> String {
    let filter = model.get(&d.metric_filter).and_then(|r| spec::from_attrs::<spec::MetricFilter>(&r.attrs).ok());
    let alarm = model.get(&d.alarm).and_then(|r| spec::from_attrs::<spec::Alarm>(&r.attrs).ok());
    let mut parts = vec![];
    if let Some(f) = &filter {
        parts.push(name_in(model, &f.log_group_name));
        parts.push(format!("filter {}", f.filter_name));
    }
    if let Some(a) = &alarm {
        parts.push(format!("alarm {}", a.alarm_name));
        let topics: Vec<String> = a.alarm_actions.iter().map(|t| name_in(model, t)).collect();
        if !topics.is_empty() {
            parts.push(format!("topic {}", topics.join(", ")));
        }
    }
    parts.join(" → ")
}

impl Report<'_> {
    pub fn html(&self) -> String {
        let m = self.model;
        let mut body = El::new("body").child(text("h1", format!("socform lab: {}", m.blueprint)));
        let mut facts = vec![format!("region {}", m.region)];
        match self.state {
            Some(s) => {
                if let Some(a) = &s.account_id {
                    facts.push(format!("account {a}"));
                }
                facts.push(format!("state serial {}, {} resources", s.serial, s.resources.len()));
                if s.paused {
                    facts.push("paused: its hosts are stopped".into());
                }
            }
            None => facts.push("not applied: no state".into()),
        }
        body.push(El::new("p").attr("class", "muted").text(facts.join(" · ")));

        // The lab's labels: owner, creation, expiry, as the last apply tagged them.
        if let Some(s) = self.state.filter(|s| !s.labels.is_empty()) {
            body.push(text("h2", "Lab"));
            body.push(table(
                &["label", "value"],
                s.labels.iter().map(|(k, v)| row([code_cell(k.clone()), cell(v.clone())])).collect(),
            ));
        }

        body.push(text("h2", "Topology"));
        body.push(El::new("div").attr("class", "picture").child(Topology::from_model(m).svg_element()));

        body.push(text("h2", "Reaching the hosts"));
        match self.state.map(|s| &s.outputs).filter(|o| !o.is_empty()) {
            Some(outputs) => body.push(table(
                &["output", "value"],
                outputs.iter().map(|(k, v)| row([code_cell(k.clone()), code_cell(v.clone())])).collect(),
            )),
            None => body.push(
                El::new("p")
                    .attr("class", "muted")
                    .text("No outputs recorded: they are written by a complete `socform apply`."),
            ),
        }

        body.push(text("h2", format!("Detections ({})", m.detections.len())));
        if let Some(d) = self.drill {
            let scope =
                if d.wiring_only { " (wiring only: nothing was sent, so nothing was seen to fire)" } else { "" };
            body.push(
                El::new("p").attr("class", "muted").text(format!("Verdicts from a drill of {}{scope}.", d.blueprint)),
            );
        }
        let rows = m
            .detections
            .iter()
            .map(|d| {
                let verdict = match self.drill.map(|r| r.verdict(&d.name)) {
                    None => El::new("td").attr("class", "muted").text("no drill given"),
                    Some(v) => {
                        let class = match v {
                            Verdict::Proven => "proven",
                            Verdict::Broken => "broken",
                            Verdict::WiredUnproven | Verdict::NotDrilled => "unproven",
                        };
                        El::new("td").attr("class", class).text(v.words())
                    }
                };
                row([
                    text("td", d.name.clone()),
                    cell(d.severity.clone()),
                    cell(chain(m, d)),
                    cell(d.attack.join(", ")),
                    verdict,
                ])
            })
            .collect();
        body.push(table(&["detection", "severity", "chain", "ATT&CK", "last drill"], rows));

        body.push(text("h2", "Cost"));
        let c = self.cost;
        let mut cost = format!(
            "${:.4} an hour, ${:.2} a month (${:.2} fixed, ${:.2} usage), on-demand, {} prices of {}.",
            c.hourly, c.monthly, c.fixed_monthly, c.usage_monthly, c.prices_source, c.prices_as_of
        );
        if let Some(p) = c.paused_monthly {
            cost.push_str(&format!(" While paused: ${p:.2} a month."));
        }
        body.push(text("p", cost));

        if let Some(s) = self.state {
            body.push(text("h2", "What state records"));
            body.push(table(
                &["address", "id"],
                s.resources.iter().map(|(a, r)| row([code_cell(a.to_string()), code_cell(r.id.clone())])).collect(),
            ));
        }
        let html = El::new("html")
            .attr("lang", "en")
            .child(
                El::new("head")
                    .child(El::new("meta").attr("charset", "utf-8"))
                    .child(text("title", format!("socform lab: {}", m.blueprint)))
                    .child(El::new("style").raw(STYLE)),
            )
            .child(body);
        html.to_html()
    }
}
