//! Detections: the filter-pattern engine, the built-in catalog, and the checks behind
//! `socform test`, `socform test-filter` and `socform coverage`.
//!
//! **Architecture Invariant:** pure: no AWS, no I/O. The same engine checks patterns in
//! `validate` and proves samples in `test`.

pub mod catalog;
pub mod drill;
pub mod insights;
pub mod navigator;
pub mod pattern;
pub mod sigma;
pub mod stratus;

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::model::{Detection, Model};

/// How one detection fared against its samples.
#[derive(Debug, Clone, Serialize)]
pub struct DetectionResult {
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub catalog: Option<String>,
    pub severity: String,
    pub matched: usize,
    pub match_total: usize,
    pub rejected: usize,
    pub no_match_total: usize,
    /// Samples that went the wrong way: `(expected to match, event)`.
    pub failures: Vec<(bool, String)>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl DetectionResult {
    pub fn passed(&self) -> bool {
        self.error.is_none() && self.failures.is_empty()
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct TestReport {
    pub format_version: &'static str,
    pub blueprint: String,
    pub detections: Vec<DetectionResult>,
    pub passed: usize,
    pub failed: usize,
    /// Detections with no sample events: nothing was tried, so neither passed nor failed.
    pub untested: usize,
}

/// Runs every detection against its samples, and a catalog entry's own samples too when
/// the blueprint keeps the entry's pattern.
pub fn run_tests(model: &Model) -> TestReport {
    let detections: Vec<DetectionResult> = model.detections.iter().map(test_one).collect();
    let untested = detections.iter().filter(|d| d.error.is_none() && d.match_total + d.no_match_total == 0).count();
    let passed = detections.iter().filter(|d| d.passed()).count() - untested;
    TestReport {
        format_version: "1",
        blueprint: model.blueprint.clone(),
        failed: detections.len() - passed - untested,
        passed,
        untested,
        detections,
    }
}

/// A detection's samples `(match, no_match)`: its own, and its catalog entry's when it keeps
/// the entry's pattern.
pub fn samples(d: &Detection) -> (Vec<&str>, Vec<&str>) {
    let mut match_samples: Vec<&str> = d.samples_match.iter().map(String::as_str).collect();
    let mut no_match_samples: Vec<&str> = d.samples_no_match.iter().map(String::as_str).collect();
    if let Some(entry) = d.catalog.as_deref().and_then(catalog::get) {
        if entry.pattern == d.pattern {
            for s in entry.samples_match {
                if !match_samples.contains(s) {
                    match_samples.push(s);
                }
            }
            for s in entry.samples_no_match {
                if !no_match_samples.contains(s) {
                    no_match_samples.push(s);
                }
            }
        }
    }
    (match_samples, no_match_samples)
}

fn test_one(d: &Detection) -> DetectionResult {
    let (match_samples, no_match_samples) = samples(d);
    let mut r = DetectionResult {
        name: d.name.clone(),
        catalog: d.catalog.clone(),
        severity: d.severity.clone(),
        matched: 0,
        match_total: match_samples.len(),
        rejected: 0,
        no_match_total: no_match_samples.len(),
        failures: vec![],
        error: None,
    };
    let p = match pattern::parse(&d.pattern) {
        Ok(p) => p,
        Err(e) => {
            r.error = Some(e.to_string());
            return r;
        }
    };
    for s in match_samples {
        if p.matches(s).is_some() {
            r.matched += 1;
        } else {
            r.failures.push((true, s.to_string()));
        }
    }
    for s in no_match_samples {
        if p.matches(s).is_none() {
            r.rejected += 1;
        } else {
            r.failures.push((false, s.to_string()));
        }
    }
    r
}

/// The CIS controls and ATT&CK techniques a blueprint's detections cover.
#[derive(Debug, Clone, Serialize)]
pub struct Coverage {
    pub format_version: &'static str,
    pub blueprint: String,
    /// Every CIS monitoring control with the detections that cover it (empty: a gap).
    pub cis: Vec<CisControl>,
    /// Each technique with the detections mapped to it.
    pub attack: BTreeMap<String, Vec<String>>,
    /// Every Stratus Red Team AWS technique, with the detections that fire on its acts.
    pub stratus: Vec<stratus::Seen>,
}

#[derive(Debug, Clone, Serialize)]
pub struct CisControl {
    pub id: &'static str,
    pub title: &'static str,
    pub detections: Vec<String>,
}

/// Whether a detection stands for a catalog entry: it is the entry (`use:`), or it watches
/// the trail's log group and its pattern agrees with every one of the entry's samples (a
/// hand-written root-usage detection written as CIS 4.3 is, one that also fires on AWS
/// acting as root for a service is not).
pub fn stands_for(d: &Detection, e: &catalog::Entry) -> bool {
    if d.catalog.as_deref() == Some(e.id) {
        return true;
    }
    if !d.watches_trail {
        return false;
    }
    let (Ok(p), Ok(entry)) = (pattern::parse(&d.pattern), pattern::parse(e.pattern)) else { return false };
    // The entry's samples name one or two of its events; each event name its pattern lists
    // is tried too, on the first sample (S3 policy changes are also lifecycle and CORS ones).
    static NAMES: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(r#"\$\.eventName\s*=\s*"?([A-Za-z0-9]+)"?"#).expect("a valid regex")
    });
    let first: Option<serde_json::Value> = e.samples_match.first().and_then(|s| serde_json::from_str(s).ok());
    let variants: Vec<String> = match first {
        Some(serde_json::Value::Object(m)) => NAMES
            .captures_iter(e.pattern)
            .map(|c| {
                let mut v = m.clone();
                v.insert("eventName".into(), c[1].into());
                serde_json::Value::Object(v).to_string()
            })
            .filter(|v| entry.matches(v).is_some())
            .collect(),
        _ => vec![],
    };
    e.samples_match.iter().all(|s| p.matches(s).is_some())
        && variants.iter().all(|s| p.matches(s).is_some())
        && e.samples_no_match.iter().all(|s| p.matches(s).is_none())
}

/// A technique's page on attack.mitre.org (`T1562.008` -> `.../techniques/T1562/008/`).
pub fn attack_url(id: &str) -> String {
    format!("https://attack.mitre.org/techniques/{}/", id.replace('.', "/"))
}

pub fn coverage(model: &Model) -> Coverage {
    let cis = catalog::cis()
        .map(|e| CisControl {
            id: e.id,
            title: e.title,
            detections: model.detections.iter().filter(|d| stands_for(d, e)).map(|d| d.name.clone()).collect(),
        })
        .collect();
    let mut attack: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for d in &model.detections {
        for t in &d.attack {
            attack.entry(t.clone()).or_default().insert(d.name.clone());
        }
    }
    Coverage {
        format_version: "1",
        blueprint: model.blueprint.clone(),
        cis,
        attack: attack.into_iter().map(|(k, v)| (k, v.into_iter().collect())).collect(),
        stratus: stratus::coverage(model),
    }
}

impl Coverage {
    pub fn covered(&self) -> usize {
        self.cis.iter().filter(|c| !c.detections.is_empty()).count()
    }

    /// Stratus Red Team techniques seen.
    pub fn stratus_covered(&self) -> usize {
        self.stratus.iter().filter(|t| !t.detections.is_empty()).count()
    }
}

/// TestMetricFilter's answer, computed locally.
#[derive(Debug, Clone, Serialize)]
pub struct FilterTest {
    pub matches: Vec<FilterMatch>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FilterMatch {
    pub event_number: usize,
    pub event_message: String,
    pub extracted_values: BTreeMap<String, String>,
}

pub fn test_filter(p: &pattern::Pattern, events: &[String]) -> FilterTest {
    FilterTest {
        matches: events
            .iter()
            .enumerate()
            .filter_map(|(i, e)| {
                p.matches(e).map(|m| FilterMatch {
                    event_number: i + 1,
                    event_message: e.clone(),
                    extracted_values: m.extracted,
                })
            })
            .collect(),
    }
}
