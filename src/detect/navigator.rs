//! `coverage --format navigator`: the blueprint's ATT&CK coverage as a MITRE ATT&CK Navigator
//! layer (layer format 4.5), the form SigmaHQ and Elastic publish their rule coverage in.
//!
//! One technique object per ATT&CK id a detection is tagged with (catalog entries and
//! imported Sigma rules alike). Without a drill report, a technique's score is how many
//! detections see it. With one (`--drill REPORT.json`, a saved `drill --format json`), the
//! score is the best verdict among its detections: 3 proven (the drill's synthetic event
//! took the alarm to ALARM and no link failed), 2 wired but unproven (no link failed, but
//! nothing was seen to fire: a wiring-only drill, or the detection was not drilled), 1
//! broken (a link failed). The comment names every detection with its own verdict, so a
//! broken detection beside a proven one is not hidden.
//!
//! No `tactic` is written: it is optional in the format (the score then applies to the
//! technique under every tactic it belongs to), and a detection's tags name techniques,
//! not the tactic columns ATT&CK files them under; a wrong tactic would hide the technique
//! in the Navigator. SigmaHQ's own layer generator (`sigma2attack`) leaves it out too. The
//! tactic socform's catalog gives a detection is kept as metadata.
//!
//! **Architecture Invariant:** pure: the drill report arrives parsed.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::detect::drill::Status;
use crate::detect::{attack_url, catalog, Coverage};
use crate::model::Model;

/// The layer format version written, and the Navigator version that reads it.
pub const LAYER_VERSION: &str = "4.5";
pub const NAVIGATOR_VERSION: &str = "5.1.0";

#[derive(Debug, Clone, Serialize)]
pub struct Layer {
    pub name: String,
    pub versions: Versions,
    pub domain: &'static str,
    pub description: String,
    pub sorting: u8,
    pub layout: LayerLayout,
    #[serde(rename = "hideDisabled")]
    pub hide_disabled: bool,
    pub techniques: Vec<LayerTechnique>,
    pub gradient: Gradient,
    #[serde(rename = "legendItems")]
    pub legend_items: Vec<LegendItem>,
    #[serde(rename = "showTacticRowBackground")]
    pub show_tactic_row_background: bool,
    #[serde(rename = "selectTechniquesAcrossTactics")]
    pub select_techniques_across_tactics: bool,
    #[serde(rename = "selectSubtechniquesWithParent")]
    pub select_subtechniques_with_parent: bool,
    pub metadata: Vec<Metadata>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Versions {
    pub layer: &'static str,
    pub navigator: &'static str,
}

#[derive(Debug, Clone, Serialize)]
pub struct LayerLayout {
    pub layout: &'static str,
    #[serde(rename = "showID")]
    pub show_id: bool,
    #[serde(rename = "showName")]
    pub show_name: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct LayerTechnique {
    #[serde(rename = "techniqueID")]
    pub technique_id: String,
    pub score: u32,
    pub comment: String,
    pub enabled: bool,
    #[serde(rename = "showSubtechniques")]
    pub show_subtechniques: bool,
    pub metadata: Vec<Metadata>,
    pub links: Vec<LinkItem>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Metadata {
    pub name: String,
    pub value: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct LinkItem {
    pub label: String,
    pub url: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Gradient {
    pub colors: Vec<&'static str>,
    #[serde(rename = "minValue")]
    pub min_value: u32,
    #[serde(rename = "maxValue")]
    pub max_value: u32,
}

#[derive(Debug, Clone, Serialize)]
pub struct LegendItem {
    pub label: &'static str,
    pub color: &'static str,
}

/// What a saved `drill --format json` says of each detection: only the fields read here, so
/// a report from an older or newer socform still loads.
#[derive(Debug, Clone, Deserialize)]
pub struct DrillSummary {
    pub blueprint: String,
    pub wiring_only: bool,
    pub detections: Vec<DrilledDetection>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct DrilledDetection {
    pub name: String,
    pub links: Vec<DrilledLink>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct DrilledLink {
    pub link: String,
    pub status: Status,
}

/// A detection's verdict in a drill, worst first (a technique takes its best).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Verdict {
    Broken,
    NotDrilled,
    WiredUnproven,
    Proven,
}

impl Verdict {
    pub fn score(self) -> u32 {
        match self {
            Verdict::Broken => 1,
            Verdict::NotDrilled | Verdict::WiredUnproven => 2,
            Verdict::Proven => 3,
        }
    }

    pub fn words(self) -> &'static str {
        match self {
            Verdict::Broken => "broken",
            Verdict::NotDrilled => "not drilled",
            Verdict::WiredUnproven => "wired, not seen to fire",
            Verdict::Proven => "proven",
        }
    }
}

impl DrillSummary {
    /// The verdict on detection `name`: proven only when the drill saw its alarm go to
    /// ALARM (`alarm-state` passed) and no link failed.
    pub fn verdict(&self, name: &str) -> Verdict {
        let Some(d) = self.detections.iter().find(|d| d.name == name) else { return Verdict::NotDrilled };
        if d.links.iter().any(|l| l.status == Status::Fail) {
            Verdict::Broken
        } else if !self.wiring_only && d.links.iter().any(|l| l.link == "alarm-state" && l.status == Status::Pass) {
            Verdict::Proven
        } else {
            Verdict::WiredUnproven
        }
    }
}

/// A technique's score and comment from the detections that see it: how many, or with a
/// drill, the best of their verdicts (the technique is seen if one of them is proven), each
/// detection's own verdict in the comment.
fn score(detections: &[String], drill: Option<&DrillSummary>) -> (u32, String) {
    match drill {
        None => (u32::try_from(detections.len()).unwrap_or(u32::MAX), format!("seen by {}", detections.join(", "))),
        Some(report) => {
            let verdicts: Vec<(&String, Verdict)> = detections.iter().map(|d| (d, report.verdict(d))).collect();
            let best = verdicts.iter().map(|(_, v)| *v).max().unwrap_or(Verdict::NotDrilled);
            let each = verdicts.iter().map(|(d, v)| format!("{d}: {}", v.words())).collect::<Vec<_>>();
            (best.score(), format!("{}; {}", best.words(), each.join("; ")))
        }
    }
}

/// The layer of `coverage`'s ATT&CK techniques, scored by count or by `drill`'s verdicts.
pub fn layer(model: &Model, coverage: &Coverage, drill: Option<&DrillSummary>) -> Layer {
    let tactic_of: BTreeMap<&str, &str> = model
        .detections
        .iter()
        .filter_map(|d| d.catalog.as_deref().and_then(catalog::get).map(|e| (d.name.as_str(), e.tactic)))
        .collect();
    let techniques: Vec<LayerTechnique> = coverage
        .attack
        .iter()
        .map(|(id, detections)| {
            let (score, comment) = score(detections, drill);
            let mut metadata: Vec<Metadata> =
                detections.iter().map(|d| Metadata { name: "detection".into(), value: d.clone() }).collect();
            let mut tactics: Vec<&str> = detections.iter().filter_map(|d| tactic_of.get(d.as_str()).copied()).collect();
            tactics.sort_unstable();
            tactics.dedup();
            metadata.extend(tactics.into_iter().map(|t| Metadata { name: "socform tactic".into(), value: t.into() }));
            LayerTechnique {
                technique_id: id.clone(),
                score,
                comment,
                enabled: true,
                show_subtechniques: false,
                metadata,
                links: vec![LinkItem { label: format!("ATT&CK {id}"), url: attack_url(id) }],
            }
        })
        .collect();
    let (gradient, legend_items) = match drill {
        None => (
            Gradient {
                colors: vec!["#ffffff", "#66b1ff"],
                min_value: 0,
                max_value: techniques.iter().map(|t| t.score).max().unwrap_or(1).max(1),
            },
            vec![],
        ),
        Some(_) => (
            Gradient { colors: vec!["#ff6666", "#ffe766", "#8ec843"], min_value: 1, max_value: 3 },
            vec![
                LegendItem { label: "broken: a link of the drill failed", color: "#ff6666" },
                LegendItem { label: "wired, not seen to fire (or not drilled)", color: "#ffe766" },
                LegendItem { label: "proven: the drill saw the alarm fire", color: "#8ec843" },
            ],
        ),
    };
    let mut metadata = vec![Metadata { name: "blueprint".into(), value: model.blueprint.clone() }];
    if let Some(report) = drill {
        metadata.push(Metadata { name: "drill of".into(), value: report.blueprint.clone() });
        if report.wiring_only {
            metadata.push(Metadata { name: "drill".into(), value: "wiring only: nothing was seen to fire".into() });
        }
    }
    Layer {
        name: format!("socform: {}", model.blueprint),
        versions: Versions { layer: LAYER_VERSION, navigator: NAVIGATOR_VERSION },
        domain: "enterprise-attack",
        description: match drill {
            None => "ATT&CK techniques the blueprint's detections are tagged with; score: how many detections".into(),
            Some(_) => "ATT&CK techniques the blueprint's detections are tagged with; score: 3 proven by the drill, 2 wired but not seen to fire, 1 broken".into(),
        },
        sorting: 3,
        layout: LayerLayout { layout: "side", show_id: true, show_name: true },
        hide_disabled: false,
        techniques,
        gradient,
        legend_items,
        show_tactic_row_background: false,
        select_techniques_across_tactics: true,
        select_subtechniques_with_parent: false,
        metadata,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(wiring_only: bool, detections: &[(&str, &[(&str, Status)])]) -> DrillSummary {
        DrillSummary {
            blueprint: "lab".into(),
            wiring_only,
            detections: detections
                .iter()
                .map(|(name, links)| DrilledDetection {
                    name: name.to_string(),
                    links: links
                        .iter()
                        .map(|(link, status)| DrilledLink { link: link.to_string(), status: *status })
                        .collect(),
                })
                .collect(),
        }
    }

    use Status::{Fail, Pass, Skipped};
    const FIRED: &[(&str, Status)] = &[("metric-filter", Pass), ("datapoint", Pass), ("alarm-state", Pass)];
    const COUNTED: &[(&str, Status)] = &[("metric-filter", Pass), ("datapoint", Pass), ("alarm-state", Skipped)];
    const BROKEN: &[(&str, Status)] = &[("metric-filter", Fail), ("alarm-state", Pass)];

    #[test]
    fn a_detection_is_proven_only_by_its_alarm_firing_with_no_link_broken() {
        let r = report(false, &[("a", FIRED), ("b", COUNTED), ("c", BROKEN)]);
        assert_eq!(r.verdict("a"), Verdict::Proven);
        assert_eq!(r.verdict("b"), Verdict::WiredUnproven, "a datapoint alone proves no alarm");
        assert_eq!(r.verdict("c"), Verdict::Broken, "a failed link outweighs a pass");
        assert_eq!(r.verdict("d"), Verdict::NotDrilled);
        // A wiring-only report proves nothing, whatever its links say.
        assert_eq!(report(true, &[("a", FIRED)]).verdict("a"), Verdict::WiredUnproven);
    }

    #[test]
    fn a_technique_takes_its_best_detection_and_names_every_one() {
        let names = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let r = report(false, &[("a", FIRED), ("c", BROKEN)]);
        assert_eq!(score(&names(&["c", "a"]), Some(&r)), (3, "proven; c: broken; a: proven".to_string()));
        assert_eq!(score(&names(&["c"]), Some(&r)), (1, "broken; c: broken".to_string()));
        assert_eq!(score(&names(&["c", "x"]), Some(&r)), (2, "not drilled; c: broken; x: not drilled".to_string()));
        assert_eq!(score(&names(&["c", "a"]), None), (2, "seen by c, a".to_string()));
    }
}
