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
    let mut m = Model::empty("lab", "us-east-1");
    m.allowed_accounts = allowed.iter().map(|a| a.to_string()).collect();
    m
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

/// A model declaring `address` with no attributes.
fn declaring(address: &str) -> Model {
    let mut m = model(&[]);
    m.resources.push(crate::model::Resource::new(Address::parse(address).unwrap(), Attrs::new()));
    m
}

/// Puts a resource into the provider as someone else made it: by hand (`lineage` empty) or
/// by another state.
fn planted(p: &MemoryProvider, address: &str, id: &str, lineage: &str) {
    p.resources.lock().unwrap().insert(
        id.into(),
        crate::provider::memory::Stored {
            blueprint: if lineage.is_empty() { String::new() } else { "lab".into() },
            lineage: lineage.into(),
            address: Address::parse(address).unwrap(),
            id: id.into(),
            attributes: Attrs::new(),
        },
    );
}

#[test]
fn import_takes_a_hand_made_resource_and_tags_it_as_this_states() {
    let p = MemoryProvider::new();
    planted(&p, "log_group.app", "app-logs", "");
    let mut state = State::new("lab", "us-east-1");
    let address = Address::parse("log_group.app").unwrap();
    let imported =
        rt().block_on(import(&p, &declaring("log_group.app"), &mut state, &address, "app-logs", false)).unwrap();
    assert_eq!(imported, Imported { id: "app-logs".into(), taken_from: None, renamed: None });
    assert_eq!(state.resources[&address].id, "app-logs");
    assert_eq!(state.account_id.as_deref(), Some(ACCOUNT));
    assert_eq!(p.resources.lock().unwrap()["app-logs"].lineage, state.lineage, "tagged as this state's own");
}

#[test]
fn import_refuses_another_states_resource_unless_forced_and_what_is_not_there() {
    let p = MemoryProvider::new();
    let other = "6f0c1d2e-1111-4a2b-8c3d-4e5f60718293";
    planted(&p, "log_group.app", "app-logs", other);
    let model = declaring("log_group.app");
    let address = Address::parse("log_group.app").unwrap();
    let mut state = State::new("lab", "us-east-1");

    let e = rt().block_on(import(&p, &model, &mut state, &address, "app-logs", false)).unwrap_err();
    assert!(matches!(&e, OpsError::Claimed { lineage, .. } if lineage == other), "{e}");
    assert!(state.resources.is_empty(), "nothing recorded");
    assert_eq!(p.resources.lock().unwrap()["app-logs"].lineage, other, "nothing tagged");

    let e = rt().block_on(import(&p, &model, &mut state, &address, "no-such-group", false)).unwrap_err();
    assert!(matches!(e, OpsError::NoSuch { .. }), "{e}");
    let e = rt().block_on(import(&p, &model, &mut state, &Address::parse("log_group.x").unwrap(), "app-logs", false));
    assert!(matches!(e, Err(OpsError::NotDeclared { .. })));
    // Another account: refused before anything is read.
    let mut elsewhere = State::new("lab", "us-east-1");
    elsewhere.account_id = Some("999999999999".into());
    let reads = p.refreshes();
    let e = rt().block_on(import(&p, &model, &mut elsewhere, &address, "app-logs", false)).unwrap_err();
    assert!(matches!(e, OpsError::OtherAccount { .. }), "{e}");
    assert_eq!(p.refreshes(), reads);

    // --force takes it over, and says from whom.
    let imported = rt().block_on(import(&p, &model, &mut state, &address, "app-logs", true)).unwrap();
    assert_eq!(imported.taken_from, Some(("lab".to_string(), other.to_string())));
    assert_eq!(p.resources.lock().unwrap()["app-logs"].lineage, state.lineage);
    // And a second import of the same address is refused.
    let e = rt().block_on(import(&p, &model, &mut state, &address, "app-logs", false)).unwrap_err();
    assert!(matches!(e, OpsError::AlreadyInState { .. }), "{e}");
}

#[test]
fn pause_stops_every_host_and_says_paused_only_when_all_stopped() {
    let p = std::sync::Arc::new(MemoryProvider::new());
    let mut state = made(&p, &["instance.siem", "instance.web", "log_group.app"]);
    let m = model(&[]);
    let siem = Address::parse("instance.siem").unwrap();

    let powered = rt().block_on(power(p.clone(), &m, &mut state, false)).unwrap();
    assert_eq!(powered.hosts.len(), 2, "hosts only");
    assert_eq!(powered.failed(), 0);
    assert!(state.paused);
    assert!(p.running.lock().unwrap().values().all(|r| !r), "every host stopped");

    // One host that will not start: the others start, the lab is not paused, the failure
    // is reported by address.
    p.fail(&siem, crate::provider::memory::Call::Power, ProviderError::Fatal("InsufficientInstanceCapacity".into()), 1);
    let powered = rt().block_on(power(p.clone(), &m, &mut state, true)).unwrap();
    assert_eq!(powered.failed(), 1);
    assert!(matches!(&powered.hosts[0], (a, Err(_)) if *a == siem), "{:?}", powered.hosts);
    assert!(!state.paused);
    let web = &state.resources[&Address::parse("instance.web").unwrap()].id;
    assert!(p.running.lock().unwrap()[web], "the other host started");

    // A pause that fails on one host leaves the lab not paused.
    p.fail(&siem, crate::provider::memory::Call::Power, ProviderError::Fatal("IncorrectInstanceState".into()), 1);
    let powered = rt().block_on(power(p.clone(), &m, &mut state, false)).unwrap();
    assert_eq!(powered.failed(), 1);
    assert!(!state.paused, "a lab with a host still running is not paused");
}

/// A preflight check the provider cannot make (MemoryProvider has no principal, no policy
/// simulation and no usage counts) is a warning that says so, never a pass, and alone does
/// not fail the apply.
#[test]
fn a_preflight_check_that_cannot_be_made_is_a_warning_never_a_pass() {
    use crate::ops::preflight::{check, Severity};
    let p = MemoryProvider::new();
    let model =
        crate::plan::tests::model("blueprint: lab\nregion: us-east-1\nnetwork:\n  vpc: { cidr: 10.0.0.0/16 }\n");
    let state = State::new("lab", "us-east-1");
    let plan = crate::plan::plan(&model, &state, None, crate::plan::PlanOptions::default()).unwrap();
    let report = rt().block_on(check(&p, &model, &plan, None));
    let of = |c: &str| report.findings.iter().filter(|f| f.check == c).map(|f| f.severity).collect::<Vec<_>>();
    assert_eq!(of("permissions"), [Severity::Warning], "{report:#?}");
    assert_eq!(of("quota"), [Severity::Warning], "{report:#?}");
    assert!(!report.fails(), "{report:#?}");
    // Every kind says the actions it calls.
    for k in Kind::ALL {
        assert!(!crate::ops::preflight::actions(*k).is_empty(), "{k:?}");
    }
}

/// A blueprint's named account is pinned to the account its role ARN names: a role whose
/// session lands in another account is refused before anything is read in either; state
/// with a resource in an account the blueprint no longer names cannot be read, and says so.
#[test]
fn a_named_account_must_be_the_one_its_role_names() {
    use std::sync::Arc;
    let caller = Arc::new(MemoryProvider::new());
    let audit = Arc::new(MemoryProvider::new());
    let router = |placed: BTreeMap<Address, Option<String>>| {
        let named: BTreeMap<String, Arc<dyn Provider>> =
            [("audit".to_string(), audit.clone() as Arc<dyn Provider>)].into();
        crate::provider::accounts::Accounts::new(caller.clone(), named, Default::default(), placed)
    };
    let mut m = model(&[]);
    let role =
        |id: &str| crate::model::Account { role_arn: Some(format!("arn:aws:iam::{id}:role/r")), ..Default::default() };
    m.accounts.insert("audit".into(), role("111111111111"));
    let state = State::new("lab", "us-east-1");
    let e = rt().block_on(refresh(&router(BTreeMap::new()), &m, &state, &state, false)).unwrap_err();
    assert!(
        e.to_string().contains(
            "account `audit` of the blueprint's `accounts:` is 123456789012, which it does not allow (111111111111)"
        ),
        "{e}"
    );
    assert_eq!((caller.refreshes(), audit.refreshes()), (0, 0), "nothing was read");

    m.accounts.insert("audit".into(), role(ACCOUNT));
    let read = rt().block_on(refresh(&router(BTreeMap::new()), &m, &state, &state, false)).unwrap();
    assert_eq!(read.snapshot.accounts.get("audit").map(String::as_str), Some(ACCOUNT));
    assert_eq!((caller.refreshes(), audit.refreshes()), (1, 1), "each account read once");

    // A resource state records in an account the blueprint dropped.
    let mut state = made(&caller, &["log_group.app"]);
    state
        .resources
        .get_mut(&Address::parse("log_group.app").unwrap())
        .unwrap()
        .attributes
        .insert(crate::model::ACCOUNT_ATTR.into(), serde_json::Value::String("old".into()));
    let e = rt().block_on(refresh(&router(BTreeMap::new()), &m, &state, &state, false)).unwrap_err();
    assert!(e.to_string().contains("account `old` is not among the blueprint's `accounts:`"), "{e}");
}
