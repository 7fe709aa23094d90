//! `socform test`, `coverage` and `drill` shown: human text and Markdown (their JSON is the
//! structs themselves, serialised).

use std::fmt::Write;

use crate::detect::drill::{Report, Status};
use crate::detect::{Coverage, TestReport};

impl TestReport {
    pub fn human(&self) -> String {
        let mut out = String::new();
        let w = self.detections.iter().map(|d| d.name.len()).max().unwrap_or(9).max(9);
        let c = self.detections.iter().filter_map(|d| d.catalog.as_ref().map(String::len)).max().unwrap_or(7).max(7);
        let _ = writeln!(
            out,
            "{:<w$}  {:<c$}  {:<8}  {:>7}  {:>8}  result",
            "detection", "catalog", "severity", "match", "no-match"
        );
        for d in &self.detections {
            let result = match (&d.error, d.failures.is_empty(), d.match_total + d.no_match_total) {
                (Some(_), _, _) => "ERROR",
                (None, _, 0) => "no samples",
                (None, true, _) => "ok",
                (None, false, _) => "FAIL",
            };
            let _ = writeln!(
                out,
                "{:<w$}  {:<c$}  {:<8}  {:>7}  {:>8}  {result}",
                d.name,
                d.catalog.as_deref().unwrap_or("-"),
                d.severity,
                format!("{}/{}", d.matched, d.match_total),
                format!("{}/{}", d.rejected, d.no_match_total),
            );
            if let Some(e) = &d.error {
                let _ = writeln!(out, "    pattern error: {e}");
            }
            for (expected, event) in &d.failures {
                let why = if *expected { "should match but does not" } else { "should not match but does" };
                let _ = writeln!(out, "    {why}: {event}");
            }
        }
        let _ = write!(out, "\ndetections: {} passed, {} failed", self.passed, self.failed);
        let _ = match self.untested {
            0 => writeln!(out),
            n => writeln!(out, ", {n} untested (no sample events: add `samples:` to prove them)"),
        };
        out
    }
}

impl Coverage {
    pub fn human(&self) -> String {
        let mut out =
            format!("CIS AWS Foundations monitoring controls: {}/{} covered\n", self.covered(), self.cis.len());
        for c in &self.cis {
            let mark = if c.detections.is_empty() { "MISSING" } else { "ok" };
            let _ = writeln!(
                out,
                "  {:<8} {:<7} {}{}",
                c.id,
                mark,
                c.title,
                if c.detections.is_empty() { String::new() } else { format!(" ({})", c.detections.join(", ")) }
            );
        }
        let _ = writeln!(out, "\nMITRE ATT&CK techniques: {}", self.attack.len());
        for (t, ds) in &self.attack {
            let _ = writeln!(out, "  {t:<10} {}", ds.join(", "));
        }
        let _ = writeln!(
            out,
            "\nStratus Red Team AWS techniques: {}/{} seen (judged on their CloudTrail events)",
            self.stratus_covered(),
            self.stratus.len()
        );
        let w = self.stratus.iter().map(|t| t.id.len()).max().unwrap_or(0);
        for t in &self.stratus {
            let (mark, what) = match &t.why_not {
                None => ("ok", t.detections.join(", ")),
                Some(why) => ("MISSING", why.clone()),
            };
            let _ = writeln!(out, "  {:<w$} {mark:<7} {what}", t.id);
        }
        out
    }

    pub fn markdown(&self) -> String {
        let mut out = format!("### socform coverage: `{}`\n\n**CIS monitoring controls: {}/{} covered**\n\n| Control | Title | Detections |\n|---|---|---|\n", self.blueprint, self.covered(), self.cis.len());
        for c in &self.cis {
            let d = if c.detections.is_empty() {
                ":x: missing".to_string()
            } else {
                c.detections.iter().map(|d| format!("`{d}`")).collect::<Vec<_>>().join(", ")
            };
            let _ = writeln!(out, "| {} | {} | {d} |", c.id, c.title);
        }
        let _ = writeln!(
            out,
            "\n**MITRE ATT&CK techniques: {}**\n\n| Technique | Detections |\n|---|---|",
            self.attack.len()
        );
        for (t, ds) in &self.attack {
            let _ = writeln!(
                out,
                "| [{t}]({}) | {} |",
                crate::detect::attack_url(t),
                ds.iter().map(|d| format!("`{d}`")).collect::<Vec<_>>().join(", ")
            );
        }
        let _ = writeln!(
            out,
            "\n**Stratus Red Team AWS techniques: {}/{} seen** (judged on their CloudTrail events)\n\n| Technique | Tactic | Seen by | Evidence |\n|---|---|---|---|",
            self.stratus_covered(),
            self.stratus.len()
        );
        for t in &self.stratus {
            let seen = match &t.why_not {
                None => t.detections.iter().map(|d| format!("`{d}`")).collect::<Vec<_>>().join(", "),
                Some(why) => format!(":x: {}", crate::render::md_escape(why)),
            };
            let _ = writeln!(
                out,
                "| [{}](https://stratus-red-team.cloud/attack-techniques/AWS/{}/) | {} | {seen} | {} |",
                t.id, t.id, t.tactic, t.evidence
            );
        }
        out
    }
}

impl Report {
    /// " (wiring only)" when the drill sent nothing.
    fn scope(&self) -> &'static str {
        if self.wiring_only {
            " (wiring only)"
        } else {
            ""
        }
    }

    pub fn human(&self) -> String {
        let (id, bp, account, region) = (&self.drill_id, &self.blueprint, &self.account, &self.region);
        let mut out = format!("drill {id} of {bp} in account {account}, {region}{}\n", self.scope());
        for d in &self.detections {
            let _ = writeln!(out, "\n{} {}", if d.failed() { "FAIL" } else { "ok  " }, d.name);
            for l in &d.links {
                let mark = match l.status {
                    Status::Pass => "pass",
                    Status::Fail => "FAIL",
                    Status::Skipped => "skip",
                };
                let _ = writeln!(out, "  {mark}  {:<15} {}", l.link, l.detail);
            }
        }
        let (p, f, s) = self.counts();
        let bad = self.detections.iter().filter(|d| d.failed()).count();
        let _ = writeln!(
            out,
            "\n{} detection(s), {bad} with a broken link; links: {p} passed, {f} failed, {s} skipped",
            self.detections.len()
        );
        out
    }

    pub fn markdown(&self) -> String {
        let (p, f, s) = self.counts();
        let (id, bp, account, region) = (&self.drill_id, &self.blueprint, &self.account, &self.region);
        let mut out = format!(
            "### socform drill: `{bp}`\n\nAccount `{account}`, region `{region}`, drill `{id}`{}. Links: {p} passed, {f} failed, {s} skipped.\n\n| Detection | Link | Result | Detail |\n|---|---|---|---|\n",
            self.scope()
        );
        for d in &self.detections {
            for l in &d.links {
                let mark = match l.status {
                    Status::Pass => ":white_check_mark: pass",
                    Status::Fail => ":x: fail",
                    Status::Skipped => ":grey_question: skipped",
                };
                let _ = writeln!(out, "| `{}` | {} | {mark} | {} |", d.name, l.link, super::md_escape(&l.detail));
            }
        }
        out
    }
}
