#!/usr/bin/env bash
# Re-runs the mutations the suite's claims were checked with: each breaks the one line a
# claim rests on, runs the tests that should catch it, and restores the file. A mutation the
# tests do not catch is printed as MISSED and the script exits 1.
#
# usage: scripts/mutants.sh [FILTER]     (only the mutations whose name contains FILTER)
#
# Slow (a build and a test run per mutation, the moto ones about a minute each) and not part
# of scripts/test.sh. It builds into its own target directory: two builds must never share
# one at the same time (see README, "Development").
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/tools.sh
source scripts/tools.sh
ensure_tools
ensure_prowler
export SOCFORM_MOTO_SERVER="${SOCFORM_MOTO_SERVER:-$PWD/.venv/bin/moto_server}"
export CARGO_TARGET_DIR="${SOCFORM_MUTANTS_TARGET:-$HOME/.cache/socform-mutants-target}"
filter="${1:-}"

# name @@ file @@ the exact text to break @@ what it becomes @@ cargo test arguments
mutations=$(cat <<'EOF'
stratus-entry-fires-on-another-technique @@ src/detect/catalog.rs @@ (($.eventName = "CreateUser") || ($.eventName = "CreateAccessKey")) @@ (($.eventName = "CreateUser") || ($.eventName = "CreateRole") || ($.eventName = "CreateAccessKey")) @@ --test it catalog_events::
coverage-only-on-the-trails-log-group @@ src/detect/stratus.rs @@ .filter(|d| d.watches_trail) @@  @@ --test it stratus_coverage
pack-yields-to-an-explicit-use @@ src/blueprint/lower/detections.rs @@ .filter(|e| !used.iter().any(|u| u == e.id)) @@  @@ --test it the_stratus
pack-can-be-turned-off @@ src/blueprint/lower/detections.rs @@ if p.enabled.is_some_and(|e| !e.value) { @@ if false { @@ --test it the_stratus
readme-states-the-stratus-coverage @@ src/detect/catalog.rs @@ ($.eventName = "GetFederationToken") } @@ ($.eventName = "GetFederationTokens") } @@ --test it the_readme
hundred-and-first-filter-refused @@ src/blueprint/lower/detections.rs @@ if *n == FILTERS_PER_LOG_GROUP + 1 { @@ if *n == FILTERS_PER_LOG_GROUP + 2 { @@ --test it hundred
cis-credit-needs-every-event-name @@ src/detect/mod.rs @@ && variants.iter().all(|s| p.matches(s).is_some()) @@  @@ --test it coverage_lists
cis-credit-only-on-the-trail @@ src/detect/mod.rs @@ if !d.watches_trail { @@ if false { @@ --test it hand_written
own-roles-left-out-of-the-review @@ src/review/security.rs @@     out.retain(|f| { @@     out.retain(|f| true || { @@ --test it socforms_own
imported-resource-in-ls @@ src/cli/labs.rs @@ if let Some((_, recorded)) = recorded(g, &lab, region)? { @@ if let Some((_, recorded)) = None::<(u8, State)> { @@ --test it imported
apply-relabels-updated-resources @@ src/cli/mod.rs @@ plan::Action::Create | plan::Action::Replace)) @@ plan::Action::Create | plan::Action::Update | plan::Action::Replace)) @@ --test it imported
filter-adopted-only-by-its-marker @@ src/provider/aws/logs/log_group.rs @@ .filter(|a| state.discovery || state.pending.get(a).is_some_and(|p| p.name == name)) @@  @@ --test it exact_name
alarm-name-taken @@ src/provider/aws/logs/alarm.rs @@ return Err(AwsProvider::not_ours(&req, &v.alarm_name)); @@ {} @@ --test it exact_name
config-rule-name-taken @@ src/provider/aws/config/rule.rs @@ return Err(AwsProvider::not_ours(&req, &v.name)); @@ {} @@ --test it exact_name
leftovers-name-event-rules @@ src/provider/aws/leftovers.rs @@             Kind::EventRule, @@  @@ --test it lost_state
navigator-proven-needs-the-alarm-to-fire @@ src/detect/navigator.rs @@ d.links.iter().any(|l| l.link == "alarm-state" && l.status == Status::Pass) @@ true @@ --lib navigator
navigator-wiring-only-proves-nothing @@ src/detect/navigator.rs @@ !self.wiring_only && @@  @@ --lib navigator
navigator-technique-takes-its-best @@ src/detect/navigator.rs @@ .max().unwrap_or(Verdict::NotDrilled) @@ .min().unwrap_or(Verdict::NotDrilled) @@ --lib navigator
navigator-drill-fired-means-went-to-alarm @@ src/provider/aws/drill.rs @@ s.ends_with("to ALARM") @@ !s.is_empty() @@ --test it the_live_path
topology-internet-is-the-union-into-a-host @@ src/topology.rs @@ (wide(&[cidr]) || open.contains(target.as_str())) @@ wide(&[cidr]) @@ --test it the_internet
topology-internet-edges-are-red @@ src/render/topology.rs @@ let color = if e.internet { "#d00000" } else { "#555555" }; @@ let color = "#555555"; @@ --test it the_internet
topology-public-subnet-by-its-route @@ src/topology.rs @@ route.destination_cidr_block == "0.0.0.0/0" @@ route.destination_cidr_block == "0.0.0.0/1" @@ --test it topology
diagram-a-left-out-change-is-no-neighbour @@ src/review/diff.rs @@ if !all.contains(&r.address) && r.depends_on.iter().any(|d| drawn.contains(d)) { @@ if !drawn.contains(&r.address) && r.depends_on.iter().any(|d| drawn.contains(d)) { @@ --test it the_pull_request
diagram-broadening-marked-red @@ src/render/diff.rs @@ (Concern::BroadensAccess, "broadens") @@ (Concern::BroadensAccess, "weakens") @@ --test it the_pull_request
report-offline-refuses-an-s3-state @@ src/cli/mod.rs @@ if offline && location.starts_with("s3://") { @@ if false { @@ --test it the_report
report-shows-a-broken-detection @@ src/render/report.rs @@ Verdict::Broken => "broken", @@ Verdict::Broken => "unproven", @@ --test it the_report
lock-target-makes-a-second-run-wait @@ scripts/tools.sh @@     if ! flock -n 9; then @@     if false; then @@ --test it a_second_run
mermaid-edge-label-syntax @@ src/render/topology.rs @@ -->|\"{}\"| {}", e.from @@ -->|\"{}\" {}", e.from @@ --test it every_mermaid
drill-names-a-raised-threshold @@ src/detect/drill.rs @@ if a.threshold != want.threshold { @@ if false { @@ --test it a_changed_pattern
benchmarks-ls-calls-are-measured @@ BENCHMARKS.md @@ | `ls` | 140 | @@ | `ls` | 141 | @@ --test it an_expiring
readme-drill-calls-are-measured @@ README.md @@ 41 detections take 8 API calls @@ 41 detections take 7 API calls @@ --test it wiring_passes
crash-marker-refuses-an-older-bucket @@ src/provider/aws/s3/bucket.rs @@ *created + 60 >= p.since as i64 @@ (true || *created + 60 >= p.since as i64) @@ --test it bucket
crash-marker-takes-a-bucket-made-after-it @@ src/provider/aws/s3/bucket.rs @@ *created + 60 >= p.since as i64 @@ (false && *created + 60 >= p.since as i64) @@ --test it bucket
prowler-judges-the-cis-root-pattern @@ src/detect/catalog.rs @@ $.userIdentity.invokedBy NOT EXISTS && $.eventType != "AwsServiceEvent" }"#, @@ $.eventType != "AwsServiceEvent" }"#, @@ --test it prowler
notify-says-a-failed-put-back @@ src/cli/drill.rs @@ Ok(()) => Link::pass( @@ _ => Link::pass( @@ --test it notify
drill-a-deleted-log-group-is-absent @@ src/provider/aws/drill.rs @@ Err(ProviderError::NotFound(_)) => (false, None), @@ Err(ProviderError::NotFound(_)) => (true, None), @@ --test it a_changed_pattern
benchmarks-refresh-calls-are-measured @@ BENCHMARKS.md @@ 44 (ec2 10, s3 6 @@ 44 (ec2 11, s3 6 @@ --test it blueprint_soc_reference
kind-rows-are-snapshotted @@ src/model/kind.rs @@ found_with: Some(SecurityGroup), @@ found_with: None, @@ --lib every_kinds_facts
kind-of-arn-reads-the-rows @@ src/model/kind.rs @@ Some((s, t)) => s == service && t == rtype, @@ Some((s, _)) => s == service, @@ --lib index_types
json-summary-counts-failures @@ src/cli/events.rs @@ failed: outcome.failed.len(), @@ failed: 0, @@ --lib one_of_each
leftovers-name-instances @@ src/provider/aws/leftovers.rs @@             if LISTED_SERVICES.contains(&service) { @@             if LISTED_SERVICES.contains(&service) || resource.starts_with("instance/") { @@ --test it lost_state
a-listing-that-drops-its-kind-is-an-error @@ src/provider/aws/ec2/vpc.rs @@ Ok(Listed::of(Kind::Vpc, found)) @@ { let _ = found; Ok(Listed::default()) } @@ --test it out_of_band
ebs-encryption-on-before-is-left-on @@ src/provider/aws/ec2/ebs_encryption.rs @@             _ => Ok(()), @@             _ => set(aws, false).await, @@ --test it ebs_encryption
ebs-encryption-turned-on-is-turned-off @@ src/provider/aws/ec2/ebs_encryption.rs @@             TURNED_ON => set(aws, false).await, @@             TURNED_ON => Ok(()), @@ --test it ebs_encryption
from-input-secret-reaches-the-provider @@ src/cli/mod.rs @@ Ok(Arc::new(p.with_provided(source.map(|l| l.provided.clone()).unwrap_or_default()))) @@ { let _ = source; Ok(Arc::new(p)) } @@ --test it inputs_reach_aws
state-backend-calls-counted @@ src/provider/aws/s3state.rs @@ .interceptor(counter("state-s3")) @@  @@ --test it apply_plan_and_destroy_through_s3
ops-account-pinned-before-refresh @@ src/ops/mod.rs @@         if r != account { @@         if false && r != account { @@ --lib ops::
ops-state-rm-of-a-gone-resource @@ src/ops/mod.rs @@             Err(ProviderError::NotFound(_)) => false, @@             Err(ProviderError::NotFound(e)) => return Err(OpsError::Account(ProviderError::NotFound(e))), @@ --lib ops::
ops-disputed-expiry-never-passes @@ src/ops/labs.rs @@             None if !lab.disputed.is_empty() => { @@             None if false => { @@ --lib ops::
ops-state-rm-pins-the-account @@ src/ops/mod.rs @@     pinned_account(p, state.account_id.as_deref(), &[]).await?; @@  @@ --lib ops::
ops-import-refuses-a-claimed-resource @@ src/ops/mod.rs @@         Some(l) if !force => { @@         Some(l) if false && !force => { @@ --lib ops::
ops-paused-only-when-every-host-stopped @@ src/ops/mod.rs @@         state.paused = !running && powered.failed() == 0; @@         state.paused = !running; @@ --lib ops::
accounts-unimplemented-call-not-retried @@ src/provider/aws/mod.rs @@                         .retry_classifier(NotImplemented) @@  @@ --test it accounts::a_call
accounts-unimplemented-call-named @@ src/provider/aws/mod.rs @@ context.response_mut().add_extension(called); @@ let _ = called; @@ --test it accounts::a_call
accounts-failed-create-read-back @@ src/executor.rs @@ if let Some(m) = marker.filter(|_| !taken) { @@ if let Some(m) = marker.filter(|_| false) { @@ --test it accounts::a_create
accounts-stale-marker-dropped @@ src/executor.rs @@ state.pending.retain(|a, _| plan.changes.iter().any(|c| &c.address == a && c.adopted)); @@ state.pending.retain(|_, _| true); @@ --lib executor::
accounts-used-record-forgotten @@ src/executor.rs @@ forgotten |= state.resources.remove(&c.address).is_some(); @@ forgotten |= state.resources.contains_key(&c.address); @@ --lib executor::
accounts-unneeded-role-not-made @@ src/plan/mod.rs @@ let unneeded = unneeded(model, &prior, live); @@ let unneeded: BTreeSet<Address> = BTreeSet::new(); @@ --lib plan::
accounts-use-only-where-allowed @@ src/plan/mod.rs @@ .filter(|_| !prior.contains_key(addr) && model.uses_existing.contains(addr)) @@ .filter(|_| !prior.contains_key(addr)) @@ --lib plan::
accounts-singleton-seen @@ src/provider/aws/kinds.rs @@ self.existing.contains(&kind) @@ false @@ --test it accounts::the_reference
accounts-ebs-marker-proves-a-killed-run @@ src/provider/aws/ec2/ebs_encryption.rs @@ found.insert(TURNED_ON.into(), (Some(a.clone()), live(&blank, TURNED_ON, read, BTreeMap::new()))); @@ let _ = (a, blank); @@ --test it resilience::ebs
accounts-if-exists-fail @@ src/blueprint/lower/respond.rs @@ if g.if_exists == raw::IfExists::Use { @@ if true { @@ --test it accounts::if_exists
accounts-lookup-through-the-trail @@ src/provider/aws/lookups.rs @@ Some(group) if !group.is_empty() => Ok(group.to_string()), @@ Some(_) => Ok("org-trail-logs-other".to_string()), @@ --test it blueprints::blueprint_soc_existing
accounts-lookup-not-priced @@ src/cost/mod.rs @@ let own = model.resources.iter().filter(|r| !model.lookups.contains(&r.address)); @@ let own = model.resources.iter(); @@ --test it accounts::a_lookup
preflight-quota-exceeded @@ src/ops/preflight.rs @@ Ok(used) if (used + new) as f64 > limit => r.add( @@ Ok(used) if false => r.add( @@ --test it accounts::preflight_names_a_quota
preflight-apply-stops @@ src/cli/mod.rs @@ errln!("{}", preflight_text(&report, true)); @@ errln!("{}", preflight_text(&report, true)); if true { return execute(g, &plan, state, &store, parallelism, Some(&loaded), ui); } @@ --test it accounts::preflight_names_a_quota
preflight-denied-action @@ src/ops/preflight.rs @@ if decision == "allowed" { @@ if true { @@ --test it accounts::preflight_names_the_actions
preflight-singleton-in-the-way @@ src/ops/preflight.rs @@ if let Some(theirs) = live.and_then(|l| l.existing.get(&c.kind)) { @@ if let Some(theirs) = None::<&crate::state::LiveResource> { @@ --test it accounts::if_exists
accounts-lint-counts-a-looked-up-trail @@ src/review/lint.rs @@ if !has_trail && !watches_a_trail { @@ if !has_trail { @@ --test it accounts::a_lookup
accounts-topic-lookup @@ src/provider/aws/lookups.rs @@ let arn = topic_arn(&self.region, &account, name); @@ let arn = topic_arn(&self.region, &account, &format!("{name}-x")); @@ --test it accounts::a_looked_up_topic
accounts-smoke-destroys-the-lab @@ scripts/aws-smoke.sh @@ run destroy "$blueprint" --auto-approve @@ true @@ --test it accounts::the_aws_smoke
accounts-looked-up-subnet-in-the-vpc @@ src/ops/mod.rs @@                 if of != vpc { @@                 if false && of != vpc { @@ --test it accounts::a_lab_is_placed
accounts-lint-leaves-lookups-alone @@ src/review/lint.rs @@ for r in model.resources.iter().filter(|r| !model.lookups.contains(&r.address)) { @@ for r in model.resources.iter() { @@ --test it accounts::a_lab_is_placed
accounts-crash-left-recorder-is-ours @@ src/provider/aws/config/recorder.rs @@ if name == at.blueprint && our_role { @@ if false { @@ --test it resilience::a_config_recorder
cis-password-policy-put-back-on-destroy @@ src/provider/aws/iam/password_policy.rs @@             Some(theirs) => put(aws, &theirs).await, @@             Some(_) => Ok(()), @@ --test it cis::the_accounts_own
cis-password-policy-marker-carries-the-replaced @@ src/executor.rs @@ let replaces = change.before.clone(); @@ let replaces = None; @@ --test it cis::a_replaced_password
cis-password-policy-used-by-default @@ src/blueprint/lower/account.rs @@                 self.uses_existing.insert(address); @@                 let _ = address; @@ --test it cis::the_accounts_own
cis-password-policy-replace-shows-before @@ src/plan/mod.rs @@ .filter(|_| model.replaces_existing.contains(addr)); @@ .filter(|_| false); @@ --test it cis::the_accounts_own
cis-data-events-narrowed-is-drift @@ src/provider/aws/trail.rs @@ data.extend(d.values().iter().map(|v| if all { v.clone() } else { format!("{v} (only {rw})") })); @@ data.extend(d.values().iter().cloned()); @@ --test it cis::s3_data
cis-access-logging-read-back @@ src/provider/aws/s3/bucket.rs @@ if rec.attributes.contains_key("access_log_bucket") { @@ if false { @@ --test it cis::the_trail_bucket
cis-key-rotation-on @@ src/provider/aws/kms.rs @@ aws.kms.enable_key_rotation().key_id(&id).send().await.aws()?; @@ {} @@ --test it cis::the_trails_own_key
cis-key-policy-for-this-trail-alone @@ src/blueprint/lower/logging.rs @@                     "StringEquals": {"aws:SourceArn": trail_arn}, @@                     "StringEquals": {}, @@ --test it cis::the_trails_own_key
cis-pending-key-is-not-left-behind @@ src/cli/mod.rs @@ let (pending, left): (Vec<_>, Vec<_>) = left.into_iter().partition(|l| l.pending_deletion.is_some()); @@ let (pending, left): (Vec<_>, Vec<_>) = left.into_iter().partition(|_| false); @@ --test it cis::the_trails_own_key
cis-acl-drift-put-back @@ src/provider/aws/ec2/network_acl.rs @@         aws.acl_entries(id, (&ingress, &egress), (&v.ingress, &v.egress)).await?; @@         let _ = (&ingress, &egress); @@ --test it cis::network_acls
cis-acl-subnets-moved-in @@ src/provider/aws/ec2/network_acl.rs @@         aws.move_subnets(&id, &v.subnet_ids).await?; @@         let _ = &v.subnet_ids; @@ --test it cis::network_acls
cis-acl-default-gets-aws-entries-back @@ src/provider/aws/ec2/network_acl.rs @@ cidr_ipv4: Some("0.0.0.0/0".into()), @@ cidr_ipv4: Some("10.0.0.0/8".into()), @@ --test it cis::network_acls
cis-acl-default-never-by-tags @@ src/provider/aws/ec2/network_acl.rs @@                 if default { @@                 if false { @@ --test it cis::network_acls
cis-acl-tagged-at-create @@ src/provider/aws/ec2/network_acl.rs @@             .tag_specifications(tag_spec(ResourceType::NetworkAcl, &aws.tags(&req, &v.tags))) @@  @@ --test it cis::an_acl
cis-acl-only-the-labs-subnets @@ src/provider/aws/ec2/network_acl.rs @@ let held: Vec<String> = subnets_of(acl).into_iter().filter(|s| subnets.contains(&s.as_str())).collect(); @@ let held: Vec<String> = subnets_of(acl); let _ = &subnets; @@ --test it aws::updates_happen
cis-acl-read-in-rule-order @@ src/model/exposure.rs @@             decided.push(block); @@             let _ = block; @@ --test it review::one_line
cis-acl-move-to-a-closed-acl-is-not-broader @@ src/review/security.rs @@             Some(now) if now == was || closed.contains(now) => {} @@             Some(now) if now == was => {} @@ --test it review::one_line
cis-acl-lint-soc025 @@ src/review/lint.rs @@     acls_open(model, &mut add); @@  @@ --test it review::every_lint
cis-kms-refused-tags-read-by-code @@ src/provider/aws/kms.rs @@ Err(e) if e.code() == Some("AccessDeniedException") => return Ok(None), @@ Err(e) if e.code() == Some("AccessDenied") => return Ok(None), @@ --test it cis::a_key_whose
cis-key-lets-logs-use-it-for-the-trails-group @@ src/blueprint/lower/logging.rs @@         if let Some(name) = log_group { @@         if let Some(name) = log_group.filter(|_| false) { @@ --test it cis::the_trails_log_group
pool-role-of-its-own-account @@ src/cli/pool.rs @@ if account != Some(a.id.as_str()) || !arn.contains(":role/") { @@ if false && account.is_none() { @@ --test it pool::
pool-each-account-its-own-state @@ src/cli/pool.rs @@ .arg(dir.join(format!("{}.json", a.id))) @@ .arg(dir.join("lab.json")) @@ --test it pool::a_class
pool-each-account-its-own-role @@ src/cli/pool.rs @@ .arg(pool.role_arn(a)) @@ .arg(pool.role_arn(&pool.accounts[0])) @@ --test it pool::a_class
pool-ctrl-c-passed-on @@ src/cli/pool.rs @@ unsafe { libc::kill(pid, libc::SIGINT) }; @@ let _ = pid; @@ --test it pool::ctrl_c
pool-ctrl-c-starts-no-new-account @@ src/cli/pool.rs @@ let outcome = if stop.load(Ordering::SeqCst) { @@ let outcome = if false { @@ --test it pool::ctrl_c
org-untracked-only-where-placed @@ src/provider/accounts.rs @@ for (a, live) in snap.untracked.into_iter().filter(|(a, _)| belongs(a)) { @@ for (a, live) in snap.untracked { @@ --test it organization::a_forged
org-pinned-to-state @@ src/ops/mod.rs @@ if recorded != actual { @@ if false { @@ --test it organization::an_account
org-pinned-to-role @@ src/ops/mod.rs @@ def.role_account().map(str::to_string).into_iter().collect() @@ Vec::new() @@ --lib a_named_account
org-own-account-rewritten @@ src/blueprint/lower/mod.rs @@ replace_in_strings(v, "${aws.account_id}", &own); @@ let _ = &own; @@ --test it organization::one
org-writer-named @@ src/blueprint/lower/mod.rs @@ replace_in_strings(&mut v, "${aws.account_id}", &own); @@ let _ = &own; @@ --test it organization::one
org-cross-edges @@ src/blueprint/lower/mod.rs @@ (Kind::Trail, Kind::S3Bucket | Kind::S3BucketPolicy) @@ (Kind::Alarm, Kind::SnsTopic) | (Kind::Trail, Kind::S3Bucket | Kind::S3BucketPolicy) @@ --test it validate::account
org-move-replaces @@ src/plan/mod.rs @@ kind.replace_on().contains(&attribute) || attribute == crate::model::ACCOUNT_ATTR @@ kind.replace_on().contains(&attribute) @@ --lib a_move
org-live-stamped @@ src/provider/accounts.rs @@ placed_again(&mut live.attributes, account); @@ let _ = &live; @@ --test it organization::one
org-part-per-account @@ src/provider/accounts.rs @@ sub.resources.retain(|_, rec| account_of(&rec.attributes) == account); @@  @@ --test it organization::one
org2-trail-writes-under-the-organization @@ src/blueprint/lower/logging.rs @@ if t.organization { @@ if false { @@ --test it organization::the_organization
org2-administrator-designated @@ src/provider/aws/findings/organization.rs @@ if admins.is_empty() { @@ if false { @@ --test it organization::the_organization
org2-members-auto-enabled @@ src/provider/aws/findings/organization.rs @@ aws.set_auto_enable(kind, v.detector_id.as_deref(), v.auto_enable).await?; @@ aws.set_auto_enable(kind, v.detector_id.as_deref(), false).await?; @@ --test it organization::the_organization
org2-administrator-undesignated @@ src/provider/aws/findings/organization.rs @@ delete_admin(aws, self.0, d.id).await @@ Ok(()) @@ --test it organization::the_organization
org2-central-administrator-used @@ src/provider/aws/findings/organization.rs @@ listed.existing.insert(kind, live(&blank(kind), &id, read, outs)); @@ let _ = (read, outs); @@ --test it organization::the_central
org2-each-account-asked-its-own @@ src/provider/accounts.rs @@ placed.chain(recorded).filter(|k| kinds.contains(k)).collect() @@ kinds.clone() @@ --test it organization::the_organization
org2-review-says-where @@ src/plan/mod.rs @@ f.message = format!("{} (in account {account})", f.message); @@ let _ = account; @@ --test it organization::one
org2-cost-says-where @@ src/cost/mod.rs @@ rc.account = placed.map(str::to_string); @@ let _ = placed; @@ --test it organization::one
org2-aggregator-all-regions @@ src/provider/aws/config/aggregator.rs @@ .all_aws_regions(v.all_regions) @@ .all_aws_regions(false) @@ --test it organization::the_organization
org2-organization-id-read @@ src/ops/mod.rs @@ snapshot.organization_id = Some(org.id); @@ let _ = org; @@ --test it organization::the_organization
moto-error-page-retried @@ src/provider/aws/mod.rs @@ if known || body.contains("not yet implemented") { @@ if true { @@ --test it resilience::an_emulators
missing-call-fails-at-once @@ src/provider/aws/mod.rs @@ if known || body.contains("not yet implemented") { @@ if body.contains("not yet implemented") { @@ --test it accounts::a_call_the_endpoint
pool-json-is-one-document @@ src/cli/mod.rs @@     if json { @@     if false && json { @@ --test it pool::a_class
EOF
)

backup=$(mktemp)
restore=""
trap 'if [ -n "$restore" ]; then cp "$backup" "$restore"; fi; rm -f "$backup"' EXIT
missed=0
while IFS= read -r line; do
    [ -z "$line" ] && continue
    # Fields are split on ` @@ `, which no line of code here holds.
    mapfile -t f < <(python3 -c 'import sys; print("\n".join(sys.argv[1].split(" @@ ")))' "$line")
    name=${f[0]} file=${f[1]} old=${f[2]} new=${f[3]} args=${f[4]}
    if [ -n "$filter" ] && [[ "$name" != *"$filter"* ]]; then
        continue
    fi
    cp "$file" "$backup"
    restore=$file
    if ! python3 - "$file" "$old" "$new" <<'PY'
import sys
path, old, new = sys.argv[1:4]
text = open(path).read()
if old not in text:
    sys.exit(f"the line to break is not in {path}: {old}")
open(path, "w").write(text.replace(old, new, 1))
PY
    then
        echo "STALE   $name (the code moved: update this script)"
        missed=1
        cp "$backup" "$file"
        restore=""
        continue
    fi
    # shellcheck disable=SC2086 # the test arguments are words
    if cargo test -q $args > /dev/null 2>&1; then
        echo "MISSED  $name: $file still passes 'cargo test $args'"
        missed=1
    else
        echo "caught  $name"
    fi
    cp "$backup" "$file"
    restore=""
done <<< "$mutations"
exit "$missed"
