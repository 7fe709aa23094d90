//! `socform diff` shown: human text, JSON, and one pull-request comment.

use std::fmt::Write;

use super::topology::mermaid_text;
use super::{fit_markdown, review_section};
use crate::review::diff::{short, BlueprintDiff, ChangeGraph, ChangeNode};
use crate::review::Concern;

impl BlueprintDiff {
    pub fn json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).expect("diffs serialise");
        s.push('\n');
        s
    }

    pub fn human(&self) -> String {
        let mut out = String::new();
        if !self.has_changes() {
            out.push_str("No changes between the two blueprints.\n");
            return out;
        }
        review_section(&mut out, &self.review, false);
        for i in &self.inputs {
            let _ = writeln!(out, "~ {}", i.line());
        }
        for e in &self.environment {
            let _ = writeln!(out, "$ {}", e.line());
        }
        for c in &self.changes {
            let sign = match c.change {
                "added" => "+",
                "removed" => "-",
                _ => "~",
            };
            let _ = writeln!(out, "{sign} {}", c.address);
            if c.change == "changed" {
                for a in &c.attributes {
                    match &a.text_diff {
                        Some(d) => {
                            let _ = writeln!(out, "    ~ {}:", a.name);
                            for line in d.lines() {
                                let _ = writeln!(out, "        {line}");
                            }
                        }
                        None => {
                            let _ = writeln!(out, "    ~ {} = {} -> {}", a.name, short(&a.before), short(&a.after));
                        }
                    }
                }
            }
        }
        let s = &self.summary;
        let _ = writeln!(
            out,
            "\nDiff: {} added, {} removed, {} changed; {} broaden access, {} weaken monitoring.",
            s.added, s.removed, s.changed, s.broadens_access, s.weakens_monitoring
        );
        if self.cost_monthly_delta != 0.0 {
            let _ = writeln!(
                out,
                "Cost: {} in fixed charges (on-demand prices).",
                crate::cost::signed_month(self.cost_monthly_delta)
            );
        }
        out
    }

    /// One pull-request comment: summary and security review first, details collapsed, at
    /// most 65,000 characters, with a note when something is left out.
    pub fn markdown(&self) -> String {
        let s = &self.summary;
        let mut head = format!("### socform diff: `{}`\n\n", self.new);
        if !self.has_changes() {
            head.push_str("**No changes.**\n");
            return head;
        }
        let _ = writeln!(head, "**{} added, {} removed, {} changed**\n", s.added, s.removed, s.changed);
        if self.cost_monthly_delta != 0.0 {
            let _ = writeln!(
                head,
                ":moneybag: **{}** in fixed charges (on-demand)\n",
                crate::cost::signed_month(self.cost_monthly_delta)
            );
        }
        review_section(&mut head, &self.review, true);
        head.push_str(&change_diagram(&self.graph));
        if !self.inputs.is_empty() {
            head.push_str("\n#### Inputs\n\n");
            for i in &self.inputs {
                let _ = writeln!(head, "- {}", i.line());
            }
        }
        if !self.environment.is_empty() {
            head.push_str("\n#### Read from the environment (on CI: the runner's)\n\n");
            for e in &self.environment {
                let _ = writeln!(head, "- {}", e.line());
            }
        }
        let details: Vec<String> = self
            .changes
            .iter()
            .map(|c| {
                let mut d = format!("<details><summary><code>{}</code> {}</summary>\n\n", c.address, c.change);
                for a in &c.attributes {
                    match &a.text_diff {
                        Some(t) => {
                            let _ = write!(d, "`{}`:\n\n```diff\n{}```\n\n", a.name, t.replace("```", "'''"));
                        }
                        None if c.change == "changed" => {
                            let _ = writeln!(
                                d,
                                "- `{}`: `{}` → `{}`",
                                a.name,
                                short(&a.before).replace('`', "'"),
                                short(&a.after).replace('`', "'")
                            );
                        }
                        None => {}
                    }
                }
                d.push_str("\n</details>\n");
                d
            })
            .collect();
        let build = |k: usize| {
            let mut out = head.clone();
            out.push_str("\n#### Changes\n\n");
            for d in &details[..k] {
                out.push_str(d);
            }
            if k < details.len() {
                let _ = writeln!(out, "\n> :scissors: Truncated: {} more changed resources are not shown. Run `socform diff` for all of them.", details.len() - k);
            }
            out
        };
        fit_markdown(details.len(), build)
    }
}

/// The change as a Mermaid diagram for the pull request: added green, removed red and
/// dashed, changed amber, unchanged neighbours grey; a node with a finding carries the
/// check's id and a thick red (broadens access) or purple (weakens monitoring) border.
/// Bounded by [`crate::review::diff::DIAGRAM_CHANGES`] and `DIAGRAM_CONTEXT`: the rest is
/// counted under it.
fn change_diagram(g: &ChangeGraph) -> String {
    if g.nodes.is_empty() {
        return String::new();
    }
    let mut out = String::from("\n#### The change\n\n```mermaid\nflowchart LR\n");
    for (i, n) in g.nodes.iter().enumerate() {
        let mut label = format!(
            "{} {}",
            match n.change {
                "added" => "+",
                "removed" => "-",
                "changed" => "~",
                _ => "",
            },
            n.address
        );
        for (_, check) in &n.findings {
            label.push_str(&format!("\n⚠ {check}"));
        }
        let label: Vec<String> = label.trim_start().lines().map(mermaid_text).collect();
        let _ = writeln!(out, "  n{i}[\"{}\"]", label.join("<br/>"));
    }
    for (a, b) in &g.edges {
        let _ = writeln!(out, "  n{a} --> n{b}");
    }
    out.push_str("  classDef added fill:#e6ffed,stroke:#2da44e\n  classDef removed fill:#ffebe9,stroke:#cf222e,stroke-dasharray:4 3\n  classDef changed fill:#fff8c5,stroke:#bf8700\n  classDef context fill:#f6f8fa,stroke:#d0d7de,color:#57606a\n  classDef broadens stroke:#d00000,stroke-width:4px\n  classDef weakens stroke:#8250df,stroke-width:4px\n");
    // One `class` line per class, naming the nodes `has` picks.
    let mut class = |class: &str, has: &dyn Fn(&ChangeNode) -> bool| {
        let ids: Vec<String> =
            g.nodes.iter().enumerate().filter(|(_, n)| has(n)).map(|(i, _)| format!("n{i}")).collect();
        if !ids.is_empty() {
            let _ = writeln!(out, "  class {} {class}", ids.join(","));
        }
    };
    for change in ["added", "removed", "changed", "context"] {
        class(change, &|n| n.change == change);
    }
    for (concern, name) in [(Concern::WeakensMonitoring, "weakens"), (Concern::BroadensAccess, "broadens")] {
        class(name, &|n| n.findings.iter().any(|(c, _)| *c == concern));
    }
    out.push_str("```\n");
    match (g.changes_left_out, g.context_left_out) {
        (0, 0) => {}
        (c, x) => {
            let _ = writeln!(
                out,
                "\n> Not drawn: {c} more changed resource{} and {x} unchanged neighbour{} (the list below has every change).",
                if c == 1 { "" } else { "s" },
                if x == 1 { "" } else { "s" }
            );
        }
    }
    out
}
