//! Rendering: every report socform prints to people (human text, Markdown for pull
//! requests) and to machines (JSON contracts, SARIF), in one place, with shared helpers: one
//! mask for sensitive values ([`crate::model::SENSITIVE`]), one Markdown size limit and
//! fitter, one security-review section.
//!
//! The types rendered live with the logic that makes them (`plan::Plan`,
//! `review::diff::BlueprintDiff`, `review::lint::LintReport`, `detect::TestReport`,
//! `detect::Coverage`, `detect::drill::Report`); their renderers are `impl` blocks and
//! functions here, so the layers below never import a renderer.

pub mod detect;
pub mod diff;
pub mod lint;
pub mod plan;
pub mod report;
pub mod topology;
pub mod xml;

use std::fmt::Write;

use crate::review::{Concern, Finding};

/// Text made safe for one cell of a Markdown table.
pub(crate) fn md_escape(s: &str) -> String {
    s.replace('|', "\\|").replace('<', "&lt;").replace('>', "&gt;")
}

/// Largest Markdown socform writes: GitHub refuses comments over 65,536 characters.
pub const MARKDOWN_LIMIT: usize = 65_000;

/// The one Markdown fitter: `build(k)` renders the comment with the first `k` of `n` optional
/// parts (and says what it left out); this returns the largest that fits in
/// [`MARKDOWN_LIMIT`], or `build(0)` when none does. Binary search: `build` is called
/// O(log n) times.
pub fn fit_markdown(n: usize, build: impl Fn(usize) -> String) -> String {
    let fits = |s: &str| s.chars().count() <= MARKDOWN_LIMIT;
    let full = build(n);
    if fits(&full) {
        return full;
    }
    let (mut lo, mut hi) = (0usize, n);
    while lo < hi {
        let mid = (lo + hi).div_ceil(2);
        if fits(&build(mid)) {
            lo = mid
        } else {
            hi = mid - 1
        }
    }
    build(lo)
}

/// "1 change broadens access", "3 changes weaken monitoring".
fn counted(n: usize, concern: Concern) -> String {
    let what = match (concern, n) {
        (Concern::BroadensAccess, 1) => "change broadens access",
        (Concern::BroadensAccess, _) => "changes broaden access",
        (Concern::WeakensMonitoring, 1) => "change weakens monitoring",
        (Concern::WeakensMonitoring, _) => "changes weaken monitoring",
    };
    format!("{n} {what}")
}

/// The security review, first thing a reviewer reads.
pub fn review_section(out: &mut String, review: &[Finding], markdown: bool) {
    if review.is_empty() {
        if markdown {
            out.push_str(":white_check_mark: **Security review:** nothing broadens access or weakens monitoring.\n");
        } else {
            out.push_str("Security review: nothing broadens access or weakens monitoring.\n\n");
        }
        return;
    }
    for (concern, icon) in [(Concern::BroadensAccess, ":unlock:"), (Concern::WeakensMonitoring, ":see_no_evil:")] {
        let items: Vec<&Finding> = review.iter().filter(|f| f.concern == concern).collect();
        if items.is_empty() {
            continue;
        }
        if markdown {
            let _ = writeln!(out, "{icon} **{}** (needs a security review)\n", counted(items.len(), concern));
            for f in items {
                let _ = writeln!(out, "- `{}`: {} <sub>`{}`</sub>", f.address, f.message.replace('`', "'"), f.check);
            }
            out.push('\n');
        } else {
            let _ = writeln!(out, "Security review: {}:", counted(items.len(), concern));
            for f in items {
                let _ = writeln!(out, "  ! {}: {} [{}]", f.address, f.message, f.check);
            }
            out.push('\n');
        }
    }
}

#[cfg(test)]
mod tests;
