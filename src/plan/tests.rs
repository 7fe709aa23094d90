//! Planner tests: each builds a model from a small blueprint, a state, and maybe a live
//! snapshot, and checks the plan.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::json;

use super::*;
use crate::blueprint::{self, LowerOptions};
use crate::diag::SourceFile;
use crate::render::plan as render;
use crate::state::Record;

const LAB: &str = r#"
blueprint: lab
region: us-east-1
network:
  vpc: { cidr: 10.0.0.0/16 }
  subnets:
    a: { cidr: 10.0.0.0/24, az: us-east-1a }
security_groups:
  web:
    ingress: [ { protocol: tcp, ports: 443, from: 0.0.0.0/0 } ]
    egress: []
log_groups:
  app: { retention_days: 30 }
"#;

pub(crate) fn model(text: &str) -> Model {
    let src = SourceFile::new(Path::new("lab.yaml"), text.to_string());
    let env = |a: &Address, _: &str| Some(crate::model::spec::fingerprint("test-lineage", a, "s3cret"));
    let opts = LowerOptions { base_dir: ".".into(), env: Some(&env), ..Default::default() };
    blueprint::parse_and_lower(&src, &opts)
        .unwrap_or_else(|d| panic!("{:#?}", d.iter().map(|d| &d.message).collect::<Vec<_>>()))
}

/// A refresh that finds everything exactly as state recorded it.
fn live_as_recorded(state: &State) -> Snapshot {
    let mut snap = Snapshot { account_id: Some("123456789012".into()), ..Default::default() };
    for (a, r) in &state.resources {
        snap.resources.insert(
            a.clone(),
            Some(LiveResource { id: r.id.clone(), attributes: r.attributes.clone(), outputs: r.outputs.clone() }),
        );
    }
    snap
}

fn addr(s: &str) -> Address {
    Address::parse(s).unwrap()
}

/// State as if `model` had been applied: ids and outputs made up, templates resolved.
pub(crate) fn applied_state(model: &Model) -> State {
    let mut state = State::new(&model.blueprint, &model.region);
    state.serial = 1;
    state.account_id = Some("123456789012".into());
    let p = plan(model, &state, None, PlanOptions::default()).unwrap();
    for c in &p.changes {
        let id = format!("{}-1", c.address);
        state.resources.insert(
            c.address.clone(),
            Record {
                kind: c.kind,
                id: id.clone(),
                attributes: BTreeMap::new(),
                outputs: BTreeMap::new(),
                dependencies: c.depends_on.clone(),
            },
        );
        let mut outputs = BTreeMap::new();
        outputs.insert("id".to_string(), id.clone());
        outputs.insert("arn".to_string(), format!("arn:{id}"));
        state.resources.get_mut(&c.address).unwrap().outputs = outputs;
    }
    // Resolve every template now that all outputs exist.
    struct FromState<'a>(&'a State);
    impl template::Lookup for FromState<'_> {
        fn lookup(&self, r: &template::Ref) -> Option<String> {
            match r {
                template::Ref::Global(g) if g == "account_id" => Some("123456789012".into()),
                template::Ref::Global(g) if g == "region" => Some("us-east-1".into()),
                template::Ref::Global(_) => Some("aws".into()),
                template::Ref::Output(a, o) => {
                    let static_attr = a.kind().static_output(o);
                    let rec = self.0.resources.get(a)?;
                    static_attr
                        .and_then(|s| rec.attributes.get(s))
                        .and_then(|v| v.as_str())
                        .map(str::to_string)
                        .or_else(|| rec.outputs.get(o).cloned())
                }
            }
        }
    }
    // Twice: names come from attributes resolved in the first round.
    for _ in 0..2 {
        for r in &model.resources {
            let (attrs, _) = template::resolve_attrs(&r.attrs, &FromState(&state));
            state.resources.get_mut(&r.address).unwrap().attributes = attrs;
        }
    }
    state
}

#[test]
fn empty_state_plans_every_resource_for_creation_in_dependency_order() {
    let m = model(LAB);
    let p = plan(&m, &State::new("lab", "us-east-1"), None, PlanOptions::default()).unwrap();
    assert_eq!(p.summary, Summary { create: m.resources.len(), update: 0, replace: 0, delete: 0, adopt: 0, uses: 0 });
    let pos = |a: &str| p.changes.iter().position(|c| c.address == addr(a)).unwrap();
    for c in &p.changes {
        for d in &c.depends_on {
            assert!(
                pos(&d.to_string()) < pos(&c.address.to_string()),
                "{} planned before its dependency {d}",
                c.address
            );
        }
    }
    assert!(pos("vpc.main") < pos("subnet.a"));
    let rule = p.change(&addr("security_group_rule.web:ingress:tcp:443:0.0.0.0/0")).unwrap();
    assert_eq!(rule.after.as_ref().unwrap()["group_id"], json!("${security_group.web.id}"));
}

#[test]
fn a_state_that_matches_plans_nothing() {
    let m = model(LAB);
    let state = applied_state(&m);
    let p = plan(&m, &state, None, PlanOptions::default()).unwrap();
    assert!(!p.has_changes(), "{:#?}", p.changes.iter().filter(|c| c.action.is_change()).collect::<Vec<_>>());
    assert!(p.changes.iter().all(|c| c.action == Action::NoOp));
}

#[test]
fn an_attribute_that_can_change_in_place_plans_an_update() {
    let m = model(LAB);
    let state = applied_state(&m);
    let m2 = model(&LAB.replace("retention_days: 30", "retention_days: 90"));
    let p = plan(&m2, &state, None, PlanOptions::default()).unwrap();
    assert_eq!(p.summary, Summary { create: 0, update: 1, replace: 0, delete: 0, adopt: 0, uses: 0 });
    let c = p.change(&addr("log_group.app")).unwrap();
    assert_eq!(c.action, Action::Update);
    assert_eq!(c.attributes.len(), 1);
    assert_eq!(c.attributes[0].name, "retention_in_days");
    assert_eq!((c.attributes[0].before.clone(), c.attributes[0].after.clone()), (Some(json!(30)), Some(json!(90))));
}

#[test]
fn a_forcing_attribute_replaces_and_the_replacement_reaches_dependents() {
    let m = model(LAB);
    let state = applied_state(&m);
    let m2 = model(&LAB.replace("cidr: 10.0.0.0/16", "cidr: 10.1.0.0/16").replace("10.0.0.0/24", "10.1.0.0/24"));
    let p = plan(&m2, &state, None, PlanOptions::default()).unwrap();
    let vpc = p.change(&addr("vpc.main")).unwrap();
    assert_eq!(vpc.action, Action::Replace);
    assert_eq!(vpc.reasons, ["`cidr_block` forces replacement"]);
    // The subnet's CIDR changed and it names the replaced VPC.
    let subnet = p.change(&addr("subnet.a")).unwrap();
    assert_eq!(subnet.action, Action::Replace);
    // The security group does not change itself, but its VPC is new: it must be replaced.
    let sg = p.change(&addr("security_group.web")).unwrap();
    assert_eq!(sg.action, Action::Replace);
    assert!(sg.reasons.iter().any(|r| r.contains("vpc_id") && r.contains("being replaced")), "{:?}", sg.reasons);
    let vpc_id = sg.attributes.iter().find(|a| a.name == "vpc_id").unwrap();
    assert!(vpc_id.unknown && vpc_id.forces_replacement);
    // The log group does not depend on the VPC.
    assert_eq!(p.change(&addr("log_group.app")).unwrap().action, Action::NoOp);
}

#[test]
fn removed_resources_are_deleted_dependents_first() {
    let m = model(LAB);
    let state = applied_state(&m);
    let m2 = model(&LAB.replace(
        "security_groups:\n  web:\n    ingress: [ { protocol: tcp, ports: 443, from: 0.0.0.0/0 } ]\n    egress: []\n",
        "",
    ));
    let p = plan(&m2, &state, None, PlanOptions::default()).unwrap();
    let deletes: Vec<String> =
        p.changes.iter().filter(|c| c.action == Action::Delete).map(|c| c.address.to_string()).collect();
    assert_eq!(deletes, ["security_group_rule.web:ingress:tcp:443:0.0.0.0/0", "security_group.web"]);
    assert!(p
        .changes
        .iter()
        .filter(|c| c.action == Action::Delete)
        .all(|c| c.reasons == ["no longer in the blueprint"]));
}

#[test]
fn destroy_deletes_everything_in_reverse_dependency_order() {
    let m = model(LAB);
    let state = applied_state(&m);
    let p = plan(&m, &state, None, PlanOptions { destroy: true, ..Default::default() }).unwrap();
    assert_eq!(p.summary.delete, m.resources.len());
    let pos = |a: &str| p.changes.iter().position(|c| c.address == addr(a)).unwrap();
    assert!(pos("subnet.a") < pos("vpc.main"));
    assert!(pos("security_group_rule.web:ingress:tcp:443:0.0.0.0/0") < pos("security_group.web"));
    assert!(pos("security_group.web") < pos("vpc.main"));
}

#[test]
fn live_changes_show_as_drift_and_are_put_back() {
    let m = model(LAB);
    let state = applied_state(&m);
    let mut snap = live_as_recorded(&state);
    // Someone shortened retention and deleted the rule.
    let lg = snap.resources.get_mut(&addr("log_group.app")).unwrap().as_mut().unwrap();
    lg.attributes.insert("retention_in_days".into(), json!(1));
    snap.resources.insert(addr("security_group_rule.web:ingress:tcp:443:0.0.0.0/0"), None);

    let p = plan(&m, &state, Some(&snap), PlanOptions::default()).unwrap();
    assert!(p.refreshed);
    assert_eq!(p.drift.len(), 2, "{:#?}", p.drift);
    let d = p.drift.iter().find(|d| d.address == addr("log_group.app")).unwrap();
    assert_eq!((d.attribute.as_str(), &d.state, &d.live), ("retention_in_days", &json!(30), &json!(1)));
    assert_eq!(p.change(&addr("log_group.app")).unwrap().action, Action::Update);
    let rule = p.change(&addr("security_group_rule.web:ingress:tcp:443:0.0.0.0/0")).unwrap();
    assert_eq!((rule.action, rule.reasons.clone()), (Action::Create, vec!["deleted outside socform".to_string()]));
}

#[test]
fn untracked_resources_found_by_tags_are_adopted_not_created_twice() {
    let m = model(LAB);
    let full = applied_state(&m);
    // A crash after creating the VPC, before saving it.
    let mut state = full.clone();
    let vpc = state.resources.remove(&addr("vpc.main")).unwrap();
    let mut snap = live_as_recorded(&state);
    snap.untracked.insert(
        addr("vpc.main"),
        LiveResource { id: vpc.id.clone(), attributes: vpc.attributes.clone(), outputs: vpc.outputs.clone() },
    );
    let p = plan(&m, &state, Some(&snap), PlanOptions::default()).unwrap();
    let c = p.change(&addr("vpc.main")).unwrap();
    assert_eq!(c.action, Action::NoOp);
    assert!(c.adopted);
    assert_eq!(c.id.as_deref(), Some(vpc.id.as_str()));
    assert_eq!(p.summary.create, 0);
    // Regression: an adoption alone counted as "no changes", so apply returned before
    // recording it, and state stayed one resource short for good.
    assert_eq!(p.summary.adopt, 1);
    assert!(p.has_changes());
    assert!(render::human(&p, false).contains("1 to adopt"), "{}", render::human(&p, false));
    // Regression (issue "Ownership and safety"): an untracked resource the blueprint no
    // longer wants was deleted by a plain apply. Deletion of what is no longer in the
    // blueprint comes from state records only: apply lists it and leaves it alone...
    let m2 = model(&LAB.replace("log_groups:\n  app: { retention_days: 30 }\n", ""));
    let lg = state.resources.remove(&addr("log_group.app")).unwrap();
    snap.resources.remove(&addr("log_group.app"));
    snap.untracked.insert(
        addr("log_group.app"),
        LiveResource { id: lg.id.clone(), attributes: lg.attributes, outputs: lg.outputs },
    );
    let p = plan(&m2, &state, Some(&snap), PlanOptions::default()).unwrap();
    assert!(p.change(&addr("log_group.app")).is_none(), "{:?}", p.change(&addr("log_group.app")));
    assert_eq!(p.untracked, vec![crate::plan::Untracked { address: addr("log_group.app"), id: lg.id.clone() }]);
    assert_eq!(p.summary.delete, 0);
    assert!(render::human(&p, false).contains("log_group.app"), "the plan names it");
    // ...and destroy, which removes everything the state's lineage made, takes it too.
    let p = plan(&m2, &state, Some(&snap), PlanOptions { destroy: true, ..Default::default() }).unwrap();
    let c = p.change(&addr("log_group.app")).unwrap();
    assert_eq!(c.action, Action::Delete);
    assert!(c.adopted);
}

#[test]
fn sensitive_values_are_fingerprints_and_never_rendered() {
    let text = format!("{LAB}secrets:\n  db: {{ value: {{ from_env: DB_PASSWORD }} }}\n");
    let m = model(&text);
    let secret = m.get(&addr("secret.db")).unwrap();
    let value = secret.attrs["value"].to_string();
    assert!(!value.contains("s3cret"), "the model holds the value itself: {value}");
    assert!(value.contains("DB_PASSWORD"), "{value}");
    let p = plan(&m, &State::new("lab", "us-east-1"), None, PlanOptions::default()).unwrap();
    for out in [render::human(&p, false), render::json(&p), render::markdown(&p)] {
        assert!(!out.contains("s3cret"));
        assert!(out.contains("(sensitive)"), "{out}");
    }
    let sha = secret.attrs["value"]["from_env"]["sha256"].as_str().unwrap();
    for out in [render::human(&p, false), render::json(&p), render::markdown(&p)] {
        assert!(!out.contains(sha), "fingerprint shown");
    }
}

#[test]
fn planning_is_deterministic() {
    let m = model(LAB);
    let s = State::new("lab", "us-east-1");
    let a = plan(&m, &s, None, PlanOptions::default()).unwrap();
    let b = plan(&m, &s, None, PlanOptions::default()).unwrap();
    assert_eq!(render::json(&a), render::json(&b));
}

/// A plan with every kind of change and some drift, for the renderer snapshots.
fn mixed_plan() -> Plan {
    let text = format!("{LAB}secrets:\n  db: {{ value: {{ from_env: DB_PASSWORD }} }}\n");
    let m = model(&text);
    let state = applied_state(&m);
    let changed = text
        .replace("retention_days: 30", "retention_days: 90")
        .replace("10.0.0.0/24", "10.0.1.0/24")
        .replace("log_groups:", "log_groups:\n  audit: { retention_days: 365 }")
        .replace("security_groups:\n  web:\n    ingress: [ { protocol: tcp, ports: 443, from: 0.0.0.0/0 } ]\n    egress: []\n", "");
    let m2 = model(&changed);
    let mut snap = live_as_recorded(&state);
    let vpc = snap.resources.get_mut(&addr("vpc.main")).unwrap().as_mut().unwrap();
    vpc.attributes.insert("enable_dns_hostnames".into(), json!(false));
    plan(&m2, &state, Some(&snap), PlanOptions::default()).unwrap()
}

#[test]
fn renderers_show_every_kind_of_change() {
    let p = mixed_plan();
    // The subnet is replaced, and the route table that names it with it.
    assert_eq!(p.summary, Summary { create: 1, update: 2, replace: 2, delete: 2, adopt: 0, uses: 0 });
    insta::assert_snapshot!("render_human", render::human(&p, false));
    insta::assert_snapshot!("render_markdown", render::markdown(&p));
    insta::assert_snapshot!("render_json", render::json(&p));
}

#[test]
fn human_rendering_colours_only_when_asked() {
    let p = mixed_plan();
    assert!(!render::human(&p, false).contains('\u{1b}'));
    assert!(render::human(&p, true).contains('\u{1b}'));
}

#[test]
fn markdown_fits_one_comment_and_says_what_it_cut() {
    let mut text = String::from("blueprint: big\nregion: us-east-1\nlog_groups:\n");
    for i in 0..2_000 {
        text.push_str(&format!("  group-with-a-long-name-{i:04}: {{ retention_days: 7, tags: {{ owner: soc, purpose: benchmark-of-markdown-size }} }}\n"));
    }
    let m = model(&text);
    let p = plan(&m, &State::new("big", "us-east-1"), None, PlanOptions::default()).unwrap();
    let md = render::markdown(&p);
    assert!(md.chars().count() <= render::MARKDOWN_LIMIT, "{} characters", md.chars().count());
    assert!(md.contains("Truncated"), "no truncation note");
    assert!(md.starts_with("### socform plan: `big`"));
    assert!(md.contains("**2000 to create, 0 to update, 0 to replace, 0 to delete**"));
    // A small plan is not truncated.
    let small =
        render::markdown(&plan(&model(LAB), &State::new("lab", "us-east-1"), None, PlanOptions::default()).unwrap());
    assert!(!small.contains("Truncated"));
    assert!(small.contains("<details>"));
}

/// Regression: a resource deleted outside socform and no longer wanted (or destroyed) kept
/// its state record forever, so destroy left a non-empty state.
#[test]
fn a_resource_gone_from_aws_and_unwanted_leaves_state() {
    let m = model(LAB);
    let state = applied_state(&m);
    let mut snap = live_as_recorded(&state);
    snap.resources.insert(addr("log_group.app"), None);
    let p = plan(&m, &state, Some(&snap), PlanOptions { destroy: true, ..Default::default() }).unwrap();
    let c = p.change(&addr("log_group.app")).expect("the record is planned away");
    assert_eq!(c.action, Action::Delete);
    assert!(c.reasons.iter().any(|r| r.contains("already deleted outside socform")), "{:?}", c.reasons);
    assert_eq!(p.summary.delete, m.resources.len());
}

#[test]
fn user_data_variables_are_exported_for_bash_and_set_for_powershell() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.sh"), "#!/bin/bash\necho \"$PEER\"\n").unwrap();
    std::fs::write(dir.path().join("w.ps1"), "<powershell>\nWrite-Output $env:PEER\n</powershell>\n").unwrap();
    let text = "blueprint: ud\nregion: us-east-1\nnetwork:\n  vpc: { cidr: 10.0.0.0/16 }\n  subnets: { a: { cidr: 10.0.0.0/24, az: us-east-1a } }\nhosts:\n  lin: { subnet: a, instance_type: t3.micro, image: ami-0123456789abcdef0, user_data: { file: a.sh, vars: { PEER: \"it's ${host.win.private_ip}\" } } }\n  win: { subnet: a, instance_type: t3.micro, image: ami-0123456789abcdef0, user_data: { file: w.ps1, vars: { PEER: \"it's\" } } }\n";
    let src = SourceFile::new(&dir.path().join("ud.yaml"), text.to_string());
    let m =
        blueprint::parse_and_lower(&src, &LowerOptions { base_dir: dir.path().into(), ..Default::default() }).unwrap();
    let lin = m.get(&addr("instance.lin")).unwrap().attrs["user_data"].as_str().unwrap().to_string();
    assert_eq!(
        lin,
        "#!/bin/bash\n# socform: variables\nexport PEER='it'\\''s ${instance.win.private_ip}'\necho \"$PEER\"\n"
    );
    let win = m.get(&addr("instance.win")).unwrap().attrs["user_data"].as_str().unwrap().to_string();
    assert_eq!(win, "<powershell>\n# socform: variables\n$env:PEER = 'it''s'\nWrite-Output $env:PEER\n</powershell>\n");
}

#[test]
fn ipv6_peers_are_written_as_aws_writes_them_back() {
    let text = LAB.replace("from: 0.0.0.0/0", "from: \"2001:DB8:0::/32\"");
    let m = model(&text);
    let rule = m.get(&addr("security_group_rule.web:ingress:tcp:443:2001:db8::/32")).expect("canonical address");
    assert_eq!(rule.attrs["cidr_ipv6"], json!("2001:db8::/32"));
}

/// Regression (found by the lost-answer fault): a create whose answer was lost and that the
/// SDK retried made a second internet gateway carrying this state's tags; refresh ignored it
/// because state already had the address. It is planned for deletion now, under an address
/// of its own, leaving the record of the one state tracks alone.
#[test]
fn a_duplicate_made_by_a_retried_create_is_deleted_and_the_tracked_one_kept() {
    let m = model(LAB);
    let state = applied_state(&m);
    let mut snap = live_as_recorded(&state);
    let vpc = &state.resources[&addr("vpc.main")];
    snap.duplicates.push((
        addr("vpc.main"),
        LiveResource { id: "vpc-dup".into(), attributes: vpc.attributes.clone(), outputs: Default::default() },
    ));
    let p = plan(&m, &state, Some(&snap), PlanOptions::default()).unwrap();
    let dup = p.change(&addr("vpc.main#vpc-dup")).expect("the duplicate is planned");
    assert_eq!(dup.action, Action::Delete);
    assert_eq!(dup.id.as_deref(), Some("vpc-dup"));
    assert!(dup.reasons[0].contains("took effect twice"), "{:?}", dup.reasons);
    assert_eq!(p.change(&addr("vpc.main")).unwrap().action, Action::NoOp, "the tracked one stays");
    assert_eq!(p.summary.delete, 1);
}

#[test]
fn a_target_plans_only_itself_and_what_it_needs() {
    let m = model(LAB);
    let opts = PlanOptions { targets: vec![addr("subnet.a")], ..Default::default() };
    let p = plan(&m, &State::new("lab", "us-east-1"), None, opts).unwrap();
    let planned: Vec<String> = p.changes.iter().map(|c| c.address.to_string()).collect();
    assert_eq!(planned, ["vpc.main", "subnet.a"]);
    assert_eq!(p.summary.create, 2);

    // Destroying a target takes what needs it along, dependents first.
    let state = applied_state(&m);
    let opts = PlanOptions { destroy: true, targets: vec![addr("security_group.web")], ..Default::default() };
    let p = plan(&m, &state, None, opts).unwrap();
    let planned: Vec<String> = p.changes.iter().map(|c| c.address.to_string()).collect();
    assert_eq!(planned, ["security_group_rule.web:ingress:tcp:443:0.0.0.0/0", "security_group.web"]);
}

#[test]
fn replace_on_request_replaces_what_names_it_too() {
    let m = model(LAB);
    let state = applied_state(&m);
    let opts = PlanOptions { replace: vec![addr("security_group.web")], ..Default::default() };
    let p = plan(&m, &state, Some(&live_as_recorded(&state)), opts).unwrap();
    let sg = p.change(&addr("security_group.web")).unwrap();
    assert_eq!(sg.action, Action::Replace);
    assert!(sg.reasons.iter().any(|r| r.contains("--replace")), "{:?}", sg.reasons);
    let rule = p.change(&addr("security_group_rule.web:ingress:tcp:443:0.0.0.0/0")).unwrap();
    assert_eq!(rule.action, Action::Replace, "the rule names the group's id");
    assert_eq!(p.change(&addr("log_group.app")).unwrap().action, Action::NoOp);
}

#[test]
fn a_rename_with_moved_keeps_the_resource() {
    let m = model(LAB);
    let state = applied_state(&m);
    let renamed = model(&format!(
        "{}\nmoved:\n  - {{ from: log_group.app, to: log_group.application }}\n",
        LAB.replace("  app: { retention_days: 30 }", "  application: { name: lab-app, retention_days: 30 }")
    ));
    let p = plan(&renamed, &state, None, PlanOptions::default()).unwrap();
    assert_eq!(p.summary.total(), 0, "{:#?}", p.changes.iter().filter(|c| c.action.is_change()).collect::<Vec<_>>());
    assert_eq!(p.moved, [crate::model::Moved { from: addr("log_group.app"), to: addr("log_group.application") }]);
    assert!(p.has_changes(), "the rename itself is recorded by apply");
    // Without `moved:`, the same rename is a delete and a create.
    let bare =
        model(&LAB.replace("  app: { retention_days: 30 }", "  application: { name: lab-app, retention_days: 30 }"));
    let p = plan(&bare, &state, None, PlanOptions::default()).unwrap();
    assert_eq!((p.summary.create, p.summary.delete), (1, 1));
}

#[test]
fn refresh_only_plans_no_change_and_accepting_it_records_what_aws_has() {
    let m = model(LAB);
    let state = applied_state(&m);
    let mut snap = live_as_recorded(&state);
    let lg = addr("log_group.app");
    if let Some(Some(l)) = snap.resources.get_mut(&lg) {
        l.attributes.insert("retention_days".into(), json!(7));
    }
    snap.resources.insert(addr("subnet.a"), None);
    let opts = PlanOptions { refresh_only: true, ..Default::default() };
    let p = plan(&m, &state, Some(&snap), opts).unwrap();
    assert!(p.changes.is_empty() && p.summary.total() == 0);
    assert_eq!(p.drift.len(), 2, "{:?}", p.drift);
    let after = accept_drift(&state, Some(&snap), &p);
    assert_eq!(after.resources[&lg].attributes["retention_days"], json!(7));
    assert!(!after.resources.contains_key(&addr("subnet.a")));
    assert_eq!(after.resources.len(), state.resources.len() - 1);
}

const SINGLETONS: &str = r#"
blueprint: lab
region: us-east-1
buckets:
  snapshots: {}
findings:
  guardduty: { publishing_frequency: FIFTEEN_MINUTES }
config:
  recorder: { bucket: snapshots }
  rules:
    restricted-ssh: { identifier: INCOMING_SSH_DISABLED }
"#;

fn existing(id: &str, attrs: serde_json::Value, outputs: &[(&str, &str)]) -> LiveResource {
    LiveResource {
        id: id.into(),
        attributes: serde_json::from_value(attrs).unwrap(),
        outputs: outputs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
    }
}

/// Singletons the account has (and state does not) are used: nothing is made or changed for
/// them, what needs them gets their outputs, the role only a used recorder needed is not made,
/// and destroy plans nothing for them.
#[test]
fn singletons_the_account_has_are_used_not_made() {
    let m = model(SINGLETONS);
    let state = State::new("lab", "us-east-1");
    let mut live = Snapshot { account_id: Some("123456789012".into()), ..Default::default() };
    live.existing.insert(
        Kind::GuarddutyDetector,
        existing("d-1", json!({"enable": true, "finding_publishing_frequency": "SIX_HOURS"}), &[("id", "d-1")]),
    );
    live.existing.insert(Kind::ConfigRecorder, existing("central", json!({"name": "central"}), &[("name", "central")]));
    live.existing
        .insert(Kind::ConfigDeliveryChannel, existing("central", json!({"name": "central"}), &[("name", "central")]));
    let p = plan(&m, &state, Some(&live), PlanOptions::default()).unwrap();
    let action = |a: &str| p.change(&addr(a)).map(|c| c.action);
    assert_eq!(action("guardduty_detector.main"), Some(Action::Use));
    assert_eq!(action("config_recorder.main"), Some(Action::Use));
    assert_eq!(action("config_delivery_channel.main"), Some(Action::Use));
    assert_eq!(action("iam_role.config-recorder"), None, "a role made for a recorder it does not own");
    assert_eq!(p.summary.uses, 3);
    let rule = p.change(&addr("config_rule.restricted-ssh")).unwrap();
    assert_eq!((rule.action, &rule.after.as_ref().unwrap()["recorder"]), (Action::Create, &json!("central")));
    let detector = p.change(&addr("guardduty_detector.main")).unwrap();
    assert!(
        detector.reasons.iter().any(|r| r.contains("`finding_publishing_frequency` stays \"SIX_HOURS\"")),
        "{:?}",
        detector.reasons
    );
    // Only what the blueprint allows: without `if_exists: use`, the detector is planned for
    // creation (and the create refuses the account's).
    let mut own = m.clone();
    own.uses_existing.remove(&addr("guardduty_detector.main"));
    let p = plan(&own, &state, Some(&live), PlanOptions::default()).unwrap();
    assert_eq!(p.change(&addr("guardduty_detector.main")).map(|c| c.action), Some(Action::Create));
    // Destroy: nothing of theirs.
    let opts = PlanOptions { destroy: true, ..Default::default() };
    let p = plan(&m, &state, Some(&live), opts).unwrap();
    assert!(p.changes.is_empty(), "{:#?}", p.changes);
}

/// A resource moved to another account of `accounts:` is a replacement (made there, deleted
/// here), said with its reason.
#[test]
fn a_move_to_another_account_is_a_replacement() {
    let text = |account: &str| {
        format!(
            "blueprint: lab\nregion: us-east-1\naccounts:\n  a: {{ role_arn: \"arn:aws:iam::111111111111:role/r\" }}\n  b: {{ role_arn: \"arn:aws:iam::222222222222:role/r\" }}\nlog_groups:\n  app: {{ account: {account} }}\n"
        )
    };
    let before = model(&text("a"));
    let state = applied_state(&before);
    let p = plan(&model(&text("a")), &state, Some(&live_as_recorded(&state)), PlanOptions::default()).unwrap();
    assert!(p.changes.iter().all(|c| c.action == Action::NoOp), "{:?}", p.changes);
    let p = plan(&model(&text("b")), &state, Some(&live_as_recorded(&state)), PlanOptions::default()).unwrap();
    let c = p.changes.iter().find(|c| c.address == addr("log_group.app")).unwrap();
    assert_eq!(c.action, Action::Replace);
    assert_eq!(c.reasons, vec!["`account` forces replacement".to_string()]);
}
