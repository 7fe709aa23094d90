//! The decisions of `ls` and `reap` about a lab the tagging index lists: whether its identity
//! could be socform's, and what its expiry is, from its own state when there is one, else from
//! its tags, which count only when every resource agrees.

use crate::model::TAG_EXPIRES_AT;
use crate::provider::LabIndex;
use crate::state::State;

/// What a lab's own record says of its expiry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expiry {
    /// No expiry (none recorded, or `never`).
    Never,
    /// An RFC 3339 time, and the seconds since the Unix epoch it stands for.
    At(String, u64),
    /// No expiry anyone can trust: why.
    Disputed(String),
}

impl Expiry {
    /// From the lab's state when there is one (`recorded`), else from its tags, which count
    /// only when every resource the index lists carries the same socform labels.
    pub fn of(lab: &LabIndex, recorded: Option<&State>) -> Expiry {
        let value = match recorded {
            Some(state) => state.labels.get(TAG_EXPIRES_AT).cloned(),
            None if !lab.disputed.is_empty() => {
                let what: Vec<String> = lab
                    .disputed
                    .iter()
                    .map(|(k, v)| format!("{k}: {}", v.iter().cloned().collect::<Vec<_>>().join(" / ")))
                    .collect();
                return Expiry::Disputed(format!("its resources' tags disagree ({})", what.join("; ")));
            }
            None => lab.labels.get(TAG_EXPIRES_AT).cloned(),
        };
        match value.as_deref() {
            None | Some("never") => Expiry::Never,
            Some(t) => match crate::model::parse_rfc3339(t) {
                Some(secs) => Expiry::At(t.to_string(), secs),
                None => Expiry::Disputed(format!("its expiry `{t}` is not a time")),
            },
        }
    }

    /// Whether it has passed by `now`: never for a lab without one or with a disputed one.
    pub fn passed(&self, now: u64) -> bool {
        matches!(self, Expiry::At(_, t) if *t <= now)
    }

    pub fn shown(&self) -> String {
        match self {
            Expiry::Never => "never".to_string(),
            Expiry::At(t, _) => t.clone(),
            Expiry::Disputed(_) => "disputed".to_string(),
        }
    }
}

/// Whether an index entry's identity could be socform's: a blueprint name socform accepts
/// (it becomes a state file's path) and a lineage that is a UUID. Anything else was written
/// by hand, and names no lab.
pub fn trusted(lab: &LabIndex) -> bool {
    crate::state::is_lineage(&lab.lineage) && crate::blueprint::names::blueprint_name(&lab.blueprint).is_ok()
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, BTreeSet};

    use super::*;

    const LINEAGE: &str = "0b7c5f8e-3c1e-4f55-9a57-1d2f0e6b9a10";

    fn lab(expires: Option<&str>) -> LabIndex {
        LabIndex {
            blueprint: "lab".into(),
            lineage: LINEAGE.into(),
            labels: expires.map(|e| BTreeMap::from([(TAG_EXPIRES_AT.to_string(), e.to_string())])).unwrap_or_default(),
            disputed: BTreeMap::new(),
            indexed: vec![],
        }
    }

    #[test]
    fn an_expiry_is_trusted_only_where_nobody_disputes_it() {
        let t = "2026-12-01T00:00:00Z";
        let secs = crate::model::parse_rfc3339(t).unwrap();
        let e = Expiry::of(&lab(Some(t)), None);
        assert_eq!(e, Expiry::At(t.into(), secs));
        assert!(e.passed(secs) && !e.passed(secs - 1));
        assert_eq!(Expiry::of(&lab(None), None), Expiry::Never);
        assert_eq!(Expiry::of(&lab(Some("never")), None), Expiry::Never);
        assert!(matches!(Expiry::of(&lab(Some("soon")), None), Expiry::Disputed(_)));

        // One forged tag on one resource: the lab's expiry is disputed, and never passes.
        let mut forged = lab(Some(t));
        forged.disputed.insert(TAG_EXPIRES_AT.into(), BTreeSet::from([t.to_string(), "(none)".to_string()]));
        let e = Expiry::of(&forged, None);
        assert!(matches!(&e, Expiry::Disputed(why) if why.contains("disagree")), "{e:?}");
        assert!(!e.passed(u64::MAX), "a disputed expiry is never reaped");

        // The lab's own state is its record: its expiry wins over any tag.
        let mut state = State::new("lab", "us-east-1");
        state.labels.insert(TAG_EXPIRES_AT.into(), "never".into());
        assert_eq!(Expiry::of(&forged, Some(&state)), Expiry::Never);
        assert_eq!(Expiry::of(&lab(Some(t)), Some(&state)), Expiry::Never);
    }

    #[test]
    fn only_an_identity_socform_could_have_written_names_a_lab() {
        assert!(trusted(&lab(None)));
        let mut hand = lab(None);
        hand.lineage = "mine".into();
        assert!(!trusted(&hand), "a lineage that is not a UUID");
        let mut path = lab(None);
        path.blueprint = "../etc".into();
        assert!(!trusted(&path), "a blueprint name that is not one (it would name a file)");
    }
}
