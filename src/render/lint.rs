//! `socform lint` shown: human text, JSON, and SARIF 2.1.0 for code scanning.

use std::collections::BTreeMap;
use std::fmt::Write;

use serde_json::{json, Value};

use crate::review::lint::{rule, LintReport, Locator, RULES};

impl LintReport {
    pub fn human(&self, file: &str, locate: Locator<'_>) -> String {
        let mut out = String::new();
        for f in self.active() {
            let (line, col) = locate(f.address.as_ref());
            let at = f.address.as_ref().map(|a| format!(" {a}:")).unwrap_or_default();
            let _ = writeln!(
                out,
                "{file}:{line}:{col}: {} {} ({}){at} {}",
                f.level.as_str(),
                f.rule,
                rule(f.rule).map(|r| r.name).unwrap_or(""),
                f.message
            );
        }
        let active = self.active().count();
        let suppressed = self.findings.len() - active;
        let _ = writeln!(out, "{active} finding{}, {suppressed} suppressed", if active == 1 { "" } else { "s" });
        out
    }

    pub fn json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).expect("reports serialise");
        s.push('\n');
        s
    }

    /// SARIF 2.1.0, as GitHub code scanning reads it.
    pub fn sarif(&self, file: &str, locate: Locator<'_>) -> String {
        let rules: Vec<Value> = RULES
            .iter()
            .map(|r| {
                json!({
                    "id": r.id,
                    "name": r.name,
                    "shortDescription": {"text": r.summary},
                    "fullDescription": {"text": r.help},
                    "help": {"text": r.help},
                    "defaultConfiguration": {"level": r.level.as_str()},
                })
            })
            .collect();
        let index: BTreeMap<&str, usize> = RULES.iter().enumerate().map(|(i, r)| (r.id, i)).collect();
        let results: Vec<Value> = self
            .findings
            .iter()
            .map(|f| {
                let (line, col) = locate(f.address.as_ref());
                let mut r = json!({
                    "ruleId": f.rule,
                    "ruleIndex": index[f.rule],
                    "level": f.level.as_str(),
                    "message": {"text": match &f.address { Some(a) => format!("{a}: {}", f.message), None => f.message.clone() }},
                    "locations": [{"physicalLocation": {
                        "artifactLocation": {"uri": file},
                        "region": {"startLine": line, "startColumn": col}
                    }}],
                    "partialFingerprints": {"socform/v1": format!("{}:{}", f.rule, f.address.as_ref().map(|a| a.to_string()).unwrap_or_default())},
                });
                if let Some(reason) = &f.suppressed {
                    r["suppressions"] = json!([{"kind": "inSource", "justification": reason}]);
                }
                r
            })
            .collect();
        let doc = json!({
            "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
            "version": "2.1.0",
            "runs": [{
                "tool": {"driver": {
                    "name": "socform",
                    "version": env!("CARGO_PKG_VERSION"),
                    "rules": rules,
                }},
                "results": results,
            }],
        });
        let mut s = serde_json::to_string_pretty(&doc).expect("sarif serialises");
        s.push('\n');
        s
    }
}
