//! The `--json` event stream of apply and destroy: one object per line on stdout, for CI.
//! This enum is the contract (README, "`--json`"): an event's name is its `event` field, its
//! fields come after it in the order written here, and a test snapshots one of each.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::address::Address;
#[cfg(test)]
use crate::executor::Op;
use crate::executor::{Event, Outcome};

/// One line of the stream.
#[derive(Debug, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub(super) enum JsonEvent<'a> {
    /// First: what is about to be applied.
    Plan {
        blueprint: &'a str,
        region: &'a str,
        account_id: Option<&'a String>,
        destroy: bool,
        summary: &'a crate::plan::Summary,
    },
    /// An operation began.
    Start { address: &'a Address, op: &'static str },
    /// An operation ended well, after `seconds`.
    Finish { address: &'a Address, op: &'static str, seconds: f64 },
    /// An operation failed.
    Failure { address: &'a Address, op: &'static str, error: &'a str },
    /// An operation was not attempted because what it waits for failed.
    Skipped { address: &'a Address, op: &'static str, because: &'a Address },
    /// The blueprint's outputs, after a complete apply.
    Outputs { outputs: &'a BTreeMap<String, String> },
    /// Last: how the run ended.
    Summary { ok: bool, interrupted: bool, done: usize, failed: usize, skipped: usize, not_started: usize },
    /// Destroy's closing check: what remains, each one described.
    Leftovers { remaining: Vec<String> },
}

impl std::fmt::Display for JsonEvent<'_> {
    /// The event as its line of the stream.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&serde_json::to_string(self).expect("events serialize"))
    }
}

impl<'a> JsonEvent<'a> {
    /// The line for an executor event, if it has one (the walk's start and state saves
    /// have none).
    pub(super) fn of(e: &'a Event) -> Option<JsonEvent<'a>> {
        Some(match e {
            Event::Started { address, op } => JsonEvent::Start { address, op: op.as_str() },
            Event::Finished { address, op, elapsed } => {
                JsonEvent::Finish { address, op: op.as_str(), seconds: elapsed.as_secs_f64() }
            }
            Event::Failed { address, op, error, .. } => JsonEvent::Failure { address, op: op.as_str(), error },
            Event::Skipped { address, op, because } => JsonEvent::Skipped { address, op: op.as_str(), because },
            Event::Begin { .. } | Event::Saved { .. } => return None,
        })
    }

    /// The closing summary of a run.
    pub(super) fn summary(outcome: &Outcome) -> JsonEvent<'static> {
        JsonEvent::Summary {
            ok: outcome.ok(),
            interrupted: outcome.interrupted,
            done: outcome.done.len(),
            failed: outcome.failed.len(),
            skipped: outcome.skipped.len(),
            not_started: outcome.not_started.len(),
        }
    }

    /// The summary of a run that had nothing to do.
    pub(super) fn nothing_to_do() -> JsonEvent<'static> {
        JsonEvent::Summary { ok: true, interrupted: false, done: 0, failed: 0, skipped: 0, not_started: 0 }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One of each event, as a line of the stream: the contract, visible in review.
    #[test]
    fn one_of_each_event() {
        let a: Address = "sns_topic.alerts".parse().unwrap();
        let b: Address = "alarm.root".parse().unwrap();
        let summary = crate::plan::Summary::default();
        let account = "123456789012".to_string();
        let outputs: BTreeMap<String, String> = [("topic".to_string(), "arn:aws:sns:us-east-1:1:t".to_string())].into();
        let events = [
            Event::Started { address: a.clone(), op: Op::Create },
            Event::Finished { address: a.clone(), op: Op::Create, elapsed: std::time::Duration::from_millis(250) },
            Event::Failed { address: a.clone(), op: Op::Update, error: "AccessDenied".into(), taken: false },
            Event::Skipped { address: b.clone(), op: Op::Create, because: a.clone() },
            Event::Begin { total: 3 },
            Event::Saved { serial: 2 },
        ];
        let mut lines: Vec<JsonEvent> = vec![JsonEvent::Plan {
            blueprint: "lab",
            region: "us-east-1",
            account_id: Some(&account),
            destroy: false,
            summary: &summary,
        }];
        lines.extend(events.iter().filter_map(JsonEvent::of));
        lines.push(JsonEvent::Outputs { outputs: &outputs });
        let outcome = Outcome {
            done: vec![(a.clone(), Op::Create), (a.clone(), Op::Update)],
            failed: vec![(b.clone(), Op::Create, "AccessDenied".into())],
            skipped: vec![(b.clone(), Op::Update, a.clone())],
            not_started: vec![(b.clone(), Op::Delete); 3],
            interrupted: true,
            ..Outcome::default()
        };
        lines.push(JsonEvent::summary(&outcome));
        lines.push(JsonEvent::nothing_to_do());
        lines.push(JsonEvent::Leftovers { remaining: vec!["sns topic t".into()] });
        let text: Vec<String> = lines.iter().map(JsonEvent::to_string).collect();
        insta::assert_snapshot!(text.join("\n"));
    }
}
