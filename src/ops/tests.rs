//! The workflows against [`MemoryProvider`]: no emulator, no process.

use std::collections::BTreeMap;

use super::*;
use crate::provider::memory::MemoryProvider;
use crate::state::Record;

/// The account [`MemoryProvider`]'s credentials belong to.
const ACCOUNT: &str = "123456789012";

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().build().unwrap()
}

/// A state of blueprint `lab` holding what `p` made for the addresses given, the first with
/// the second's dependency.
fn made(p: &MemoryProvider, addresses: &[&str]) -> State {
    let mut state = State::new("lab", "us-east-1");
    state.serial = 3;
    state.account_id = Some(ACCOUNT.into());
    let labels = BTreeMap::new();
    for a in addresses {
        let address = Address::parse(a).unwrap();
        let attrs = Attrs::new();
        let req =
            Request { address: &address, attrs: &attrs, blueprint: "lab", lineage: &state.lineage, labels: &labels };
        let applied = rt().block_on(p.create(req)).unwrap();
        state.resources.insert(
            address.clone(),
            Record {
                kind: address.kind(),
                id: applied.id,
                attributes: applied.attributes,
                outputs: applied.outputs,
                dependencies: vec![],
            },
        );
    }
    state
}

fn model(allowed: &[&str]) -> Model {
    Model {
        blueprint: "lab".into(),
        region: "us-east-1".into(),
        allowed_accounts: allowed.iter().map(|a| a.to_string()).collect(),
        resources: vec![],
        detections: vec![],
        suppressions: vec![],
        inputs: vec![],
        outputs: vec![],
        moved: vec![],
        lab: None,
        fixed: Default::default(),
    }
}

#[test]
fn another_account_is_refused_before_anything_is_read() {
    let p = MemoryProvider::new();
    let mut state = made(&p, &["log_group.app"]);
    state.account_id = Some("999999999999".into());
    let e = rt().block_on(refresh(&p, &model(&[]), &state, &state, false)).unwrap_err();
    assert!(matches!(&e, OpsError::OtherAccount { recorded, .. } if recorded == "999999999999"), "{e}");
    assert_eq!(p.refreshes(), 0, "nothing was read in the wrong account");

    // The blueprint's allowed_accounts, for a state that records none yet.
    state.account_id = None;
    let e = rt().block_on(refresh(&p, &model(&["111111111111"]), &state, &state, false)).unwrap_err();
    assert!(matches!(e, OpsError::NotAllowed { .. }), "{e}");
    assert!(e.to_string().contains("not in the blueprint's allowed_accounts (111111111111)"), "{e}");
    assert_eq!(p.refreshes(), 0);

    let read = rt().block_on(refresh(&p, &model(&[ACCOUNT]), &state, &state, false)).unwrap();
    assert_eq!(read.account, ACCOUNT);
    assert_eq!(p.refreshes(), 1);
}

#[test]
fn a_new_state_is_told_of_another_states_resources_and_a_destroy_is_not() {
    let p = MemoryProvider::new();
    let other = made(&p, &["log_group.app"]);
    let fresh = State::new("lab", "us-east-1");
    let read = rt().block_on(refresh(&p, &model(&[]), &fresh, &fresh, false)).unwrap();
    assert_eq!(read.others.len(), 1);
    assert_eq!(read.others[0].other_lineage.as_deref(), Some(other.lineage.as_str()));
    // Nothing of the other state is adopted.
    assert!(read.snapshot.untracked.is_empty(), "{:?}", read.snapshot.untracked);
    let read = rt().block_on(refresh(&p, &model(&[]), &fresh, &fresh, true)).unwrap();
    assert!(read.others.is_empty(), "a destroy of a new state asks nothing of others");
    // A state already applied is not asked either.
    let read = rt().block_on(refresh(&p, &model(&[]), &other, &other, false)).unwrap();
    assert!(read.others.is_empty());
}

#[test]
fn state_rm_releases_the_resource_and_forgets_it() {
    let p = MemoryProvider::new();
    let mut state = made(&p, &["security_group.web", "security_group_rule.web:ingress"]);
    let group = Address::parse("security_group.web").unwrap();
    let rule = Address::parse("security_group_rule.web:ingress").unwrap();
    state.resources.get_mut(&rule).unwrap().dependencies.push(group.clone());
    let id = state.resources[&group].id.clone();

    let released = rt().block_on(state_rm(&p, &mut state, &group, "state/lab.json")).unwrap();
    assert_eq!(released, Released { id: id.clone(), needed_by: vec![rule.clone()], was_in_aws: true });
    assert!(!state.resources.contains_key(&group));
    // In "AWS": still there, and its lineage is released, so no state adopts or deletes it.
    let stored = p.resources.lock().unwrap()[&id].clone();
    assert_eq!(stored.lineage, format!("{RELEASED_PREFIX}{}", state.lineage));
}

#[test]
fn state_rm_refuses_what_it_cannot_release_and_changes_nothing() {
    let p = MemoryProvider::new();
    let mut state = made(&p, &["metric_filter.root", "log_group.app"]);
    let before = state.clone();
    // A kind without tags: socform could not tell it from one it makes later.
    let e = rt().block_on(state_rm(&p, &mut state, &Address::parse("metric_filter.root").unwrap(), "s")).unwrap_err();
    assert!(matches!(e, OpsError::Untaggable { .. }), "{e}");
    // Not in state.
    let e = rt().block_on(state_rm(&p, &mut state, &Address::parse("log_group.other").unwrap(), "s")).unwrap_err();
    assert!(e.to_string().contains("`log_group.other` is not in state `s`"), "{e}");
    // Another account's credentials.
    state.account_id = Some("999999999999".into());
    let e = rt().block_on(state_rm(&p, &mut state, &Address::parse("log_group.app").unwrap(), "s")).unwrap_err();
    assert!(matches!(e, OpsError::OtherAccount { .. }), "{e}");
    // AWS refusing the tags.
    state.account_id = before.account_id.clone();
    let group = Address::parse("log_group.app").unwrap();
    p.fail(&group, crate::provider::memory::Call::Update, ProviderError::Fatal("AccessDenied".into()), 1);
    let e = rt().block_on(state_rm(&p, &mut state, &group, "s")).unwrap_err();
    assert!(matches!(e, OpsError::Retag { .. }), "{e}");
    assert_eq!(state.resources, before.resources, "a refused state rm keeps every record");
    assert_eq!(p.resources.lock().unwrap().values().filter(|s| s.lineage.starts_with(RELEASED_PREFIX)).count(), 0);
}

#[test]
fn state_rm_of_a_resource_gone_from_aws_only_forgets_it() {
    let p = MemoryProvider::new();
    let mut state = made(&p, &["log_group.app"]);
    let group = Address::parse("log_group.app").unwrap();
    p.remove_out_of_band(&group);
    let released = rt().block_on(state_rm(&p, &mut state, &group, "s")).unwrap();
    assert!(!released.was_in_aws);
    assert!(state.resources.is_empty());
}
