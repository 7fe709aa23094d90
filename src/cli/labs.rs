//! `socform ls` and `socform reap`: labs found from their tags alone, with no state file.
//!
//! A lab is the set of resources carrying one (`socform:blueprint`, `socform:lineage`) pair.
//! The tagging index names the labs of a region in one paginated call; a refresh with the
//! lab's lineage then finds what really exists of it (the index also lists resources deleted
//! moments ago), every kind through its own service, which is exactly how a run that lost
//! its answers adopts what it made. `reap` turns that into state records whose dependencies
//! come from `Kind::needs`, plans their destruction against an empty model, and runs it with
//! destroy's executor and waiters, keeping state in memory only.

use std::collections::BTreeMap;

use super::*;
use crate::model::{Model, TAG_EXPIRES_AT, TAG_OWNER};
use crate::provider::LabIndex;
use crate::state::Snapshot;

/// One lab, as `ls` prints it (the JSON contract).
#[derive(serde::Serialize, Debug, Clone)]
struct LabRow {
    blueprint: String,
    lab: String,
    region: String,
    resources: usize,
    created_at: Option<String>,
    expires_at: Option<String>,
    owner: Option<String>,
    hourly_usd: f64,
    #[serde(skip)]
    expired: bool,
}

/// Whether a lab's expiry has passed (`never`, absent or unreadable: it has not).
fn is_expired(labels: &BTreeMap<String, String>, now: u64) -> bool {
    labels.get(TAG_EXPIRES_AT).and_then(|t| crate::model::parse_rfc3339(t)).is_some_and(|t| t <= now)
}

/// The regions `ls` and `reap` look in.
fn regions(g: &Global, all: bool) -> Vec<String> {
    if all {
        return crate::blueprint::names::REGIONS.iter().map(|r| r.to_string()).collect();
    }
    let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    vec![g
        .region
        .clone()
        .or_else(|| env("AWS_REGION"))
        .or_else(|| env("AWS_DEFAULT_REGION"))
        .unwrap_or_else(|| "us-east-1".to_string())]
}

/// A lab as its tags alone describe it: every resource a refresh with its lineage finds,
/// as state records whose dependencies come from `Kind::needs`, and the snapshot that
/// found them (duplicates included).
fn state_from_tags(
    rt: &tokio::runtime::Runtime,
    p: &Arc<dyn Provider>,
    lab: &LabIndex,
    region: &str,
) -> Result<(State, Snapshot)> {
    let mut probe = State::new(&lab.blueprint, region);
    probe.lineage = lab.lineage.clone();
    let found = rt
        .block_on(p.refresh(&lab.blueprint, &probe))
        .with_context(|| format!("reading lab `{}` ({})", lab.blueprint, lab.lineage))?;
    let mut state = probe;
    let mut found = found;
    // Kinds whose tags refresh reads only for what state names (SSM parameters: one call
    // each otherwise): the tagging index names them, and a second refresh, with them as
    // state records, says which exist (the index also lists what was deleted moments ago).
    let known: std::collections::BTreeSet<&Address> = found.untracked.keys().collect();
    let missing: Vec<(Address, String)> = lab
        .indexed
        .iter()
        .filter_map(|(a, arn)| Some((a.clone()?, arn)))
        .filter(|(a, _)| !known.contains(a))
        .filter_map(|(a, arn)| id_from_arn(a.kind(), arn).map(|id| (a, id)))
        .collect();
    // The second pass reads everything found as state records: the kinds refresh proves by
    // what owns them (the Config recorder and delivery channel, by this lab's role and
    // bucket) are adopted only then.
    if !found.untracked.is_empty() || !missing.is_empty() {
        let mut second = state.clone();
        // The Config recorder and delivery channel carry no tags; socform names both after
        // the blueprint. They count as the lab's only if they use its role and its bucket.
        let config = [
            (Address::new(crate::model::Kind::ConfigRecorder, "main"), lab.blueprint.clone()),
            (Address::new(crate::model::Kind::ConfigDeliveryChannel, "main"), lab.blueprint.clone()),
        ];
        // What the first pass read (outputs such as a host's root volume size) is kept: refresh
        // merges what it reads over a record's outputs.
        let first = found.untracked.iter().map(|(a, l)| (a.clone(), l.id.clone(), l.outputs.clone()));
        let rest = missing.iter().chain(config.iter()).map(|(a, id)| (a.clone(), id.clone(), Default::default()));
        for (a, id, outputs) in first.chain(rest) {
            second.resources.insert(
                a.clone(),
                crate::state::Record {
                    kind: a.kind(),
                    id,
                    attributes: Default::default(),
                    outputs,
                    dependencies: vec![],
                },
            );
        }
        let more = rt.block_on(p.refresh(&lab.blueprint, &second))?;
        let ids = |k: crate::model::Kind| -> Vec<String> {
            found.untracked.iter().filter(|(a, _)| a.kind() == k).map(|(_, l)| l.id.clone()).collect()
        };
        let (roles, buckets) = (ids(crate::model::Kind::IamRole), ids(crate::model::Kind::S3Bucket));
        let ours = |a: &Address, l: &crate::state::LiveResource| {
            let attr = |k: &str| l.attributes.get(k).and_then(|v| v.as_str()).unwrap_or_default().to_string();
            match a.kind() {
                crate::model::Kind::ConfigRecorder => {
                    roles.iter().any(|r| attr("role_arn").ends_with(&format!("/{r}")))
                }
                crate::model::Kind::ConfigDeliveryChannel => buckets.contains(&attr("s3_bucket_name")),
                _ => true,
            }
        };
        found.untracked = more
            .resources
            .into_iter()
            .filter_map(|(a, l)| Some((a, l?)))
            .filter(|(a, l)| ours(a, l))
            .chain(more.untracked)
            .collect();
        found.duplicates.extend(more.duplicates);
    }
    for (address, live) in &found.untracked {
        state.resources.insert(
            address.clone(),
            crate::state::Record {
                kind: address.kind(),
                id: live.id.clone(),
                attributes: live.attributes.clone(),
                outputs: live.outputs.clone(),
                dependencies: vec![],
            },
        );
    }
    let addresses: Vec<Address> = state.resources.keys().cloned().collect();
    for (a, rec) in state.resources.iter_mut() {
        rec.dependencies = addresses.iter().filter(|b| a.kind().needs().contains(&b.kind())).cloned().collect();
    }
    let snapshot = Snapshot {
        account_id: found.account_id.clone(),
        resources: found.untracked.iter().map(|(a, l)| (a.clone(), Some(l.clone()))).collect(),
        untracked: Default::default(),
        duplicates: found.duplicates.clone(),
    };
    Ok((state, snapshot))
}

/// The id state keeps for a resource the tagging index names by ARN, for the kinds refresh
/// cannot find by their tags alone.
fn id_from_arn(kind: crate::model::Kind, arn: &str) -> Option<String> {
    use crate::model::Kind;
    let resource = arn.splitn(6, ':').nth(5)?;
    match kind {
        // `parameter/a/b` is `/a/b`; `parameter/x` is `x`.
        Kind::SsmParameter => {
            let rest = resource.strip_prefix("parameter/")?;
            Some(if rest.contains('/') { format!("/{rest}") } else { rest.to_string() })
        }
        Kind::Alarm => resource.strip_prefix("alarm:").map(str::to_string),
        _ => None,
    }
}

/// A lab found by its tags: the index entry, its resources as state records, and the
/// snapshot that found them.
type Found = (LabIndex, State, Snapshot);

/// The labs of one region that still exist and that `wanted` picks from the tagging index,
/// each with its state from tags (the refreshes are made only for those). Resources made by
/// no lineage, or released by `state rm`, belong to no lab.
fn labs_in(
    g: &Global,
    region: &str,
    wanted: impl Fn(&LabIndex) -> bool,
) -> Result<(Arc<dyn Provider>, &'static tokio::runtime::Runtime, Vec<Found>)> {
    let p = provider(g, region)?;
    let rt = runtime()?;
    let index = rt.block_on(p.labs()).with_context(|| format!("listing labs in {region}"))?;
    let mut labs = Vec::new();
    let owned = |l: &LabIndex| !l.lineage.starts_with(RELEASED_PREFIX) && !l.lineage.is_empty();
    for lab in index.into_iter().filter(|l| owned(l) && wanted(l)) {
        let (state, snap) = state_from_tags(rt, &p, &lab, region)?;
        // Only resources the index still listed after they were deleted: no lab.
        if state.resources.is_empty() && snap.duplicates.is_empty() {
            continue;
        }
        labs.push((lab, state, snap));
    }
    Ok((p, rt, labs))
}

/// The blueprint a lab was made from: a `--lab NAME` lab carries `BLUEPRINT-NAME`.
fn blueprint_of(lab: &LabIndex) -> String {
    match lab.labels.get(crate::model::TAG_LAB) {
        Some(name) => lab.blueprint.strip_suffix(&format!("-{name}")).unwrap_or(&lab.blueprint).to_string(),
        None => lab.blueprint.clone(),
    }
}

fn row(lab: &LabIndex, state: &State, region: &str, now: u64) -> LabRow {
    LabRow {
        blueprint: blueprint_of(lab),
        lab: lab.labels.get(crate::model::TAG_LAB).cloned().unwrap_or_else(|| lab.lineage.clone()),
        region: region.to_string(),
        resources: state.resources.len(),
        created_at: lab.labels.get("socform:created-at").cloned(),
        expires_at: lab.labels.get(TAG_EXPIRES_AT).cloned(),
        owner: lab.labels.get(TAG_OWNER).cloned(),
        hourly_usd: crate::cost::hourly(state),
        expired: is_expired(&lab.labels, now),
    }
}

pub(super) fn ls(g: &Global, all_regions: bool, format: OutputFormat, ui: &Ui) -> Result<u8> {
    let now = now_secs();
    let mut rows = Vec::new();
    for region in regions(g, all_regions) {
        let (p, _rt, labs) = labs_in(g, &region, |_| true)?;
        rows.extend(labs.iter().map(|(lab, state, _)| row(lab, state, &region, now)));
        report_calls("ls", &region, &p, ui);
    }
    match format {
        OutputFormat::Json => outln!("{}", serde_json::to_string_pretty(&serde_json::json!({ "labs": rows }))?),
        OutputFormat::Human if rows.is_empty() => ui.note("No labs: nothing carries socform's tags here."),
        OutputFormat::Human => {
            let dash = || "-".to_string();
            let table: Vec<[String; 8]> = rows
                .iter()
                .map(|r| {
                    [
                        r.blueprint.clone(),
                        r.lab.chars().take(8).collect(),
                        r.region.clone(),
                        r.resources.to_string(),
                        r.created_at.clone().unwrap_or_else(dash),
                        match &r.expires_at {
                            Some(e) if r.expired => format!("{e} (expired)"),
                            Some(e) => e.clone(),
                            None => dash(),
                        },
                        r.owner.clone().unwrap_or_else(dash),
                        format!("{:.4}", r.hourly_usd),
                    ]
                })
                .collect();
            let head = ["BLUEPRINT", "LAB", "REGION", "RESOURCES", "CREATED", "EXPIRES", "OWNER", "USD/HOUR"];
            let widths: Vec<usize> =
                (0..8).map(|i| table.iter().map(|r| r[i].len()).chain([head[i].len()]).max().unwrap_or(0)).collect();
            let line = |cells: &[String]| {
                cells.iter().zip(&widths).map(|(c, w)| format!("{c:<w$}")).collect::<Vec<_>>().join("  ")
            };
            outln!("{}", line(&head.map(String::from)).trim_end());
            for r in &table {
                outln!("{}", line(r).trim_end());
            }
        }
    }
    Ok(0)
}

/// A blueprint named on the command line: a file (its name, and the names it gives the
/// kinds that carry no tags, so that the leftover check can find them) or a bare name.
fn named_blueprint(arg: &str, ui: &Ui) -> (String, Vec<(Address, String)>) {
    let path = Path::new(arg);
    if !(arg.ends_with(".yaml") || arg.ends_with(".yml")) || !path.is_file() {
        return (arg.to_string(), vec![]);
    }
    match blueprint::load(path, EnvMode::Skip, &ui.inputs) {
        Ok(l) => (l.model.blueprint.clone(), named_resources(&l.model)),
        Err(_) => match blueprint::header(path) {
            Ok((name, _)) => (name, vec![]),
            Err(_) => (arg.to_string(), vec![]),
        },
    }
}

pub(super) fn reap(g: &Global, names: &[String], expired: bool, yes: bool, parallelism: usize, ui: &Ui) -> Result<u8> {
    if names.is_empty() && !expired {
        bail!("name the blueprints whose labs to reap, or pass --expired for every expired lab");
    }
    let named: Vec<(String, Vec<(Address, String)>)> = names.iter().map(|n| named_blueprint(n, ui)).collect();
    // The names a named blueprint gives its untaggable resources, when `lab` is one of its labs.
    let naming = |lab: &LabIndex| named.iter().find(|(n, _)| *n == lab.blueprint || *n == blueprint_of(lab));
    let now = now_secs();
    let mut failed = false;
    for region in regions(g, false) {
        // Only labs reap may act on or must report (named ones it keeps) are read.
        let (p, rt, labs) =
            labs_in(
                g,
                &region,
                |lab| {
                    if named.is_empty() {
                        is_expired(&lab.labels, now)
                    } else {
                        naming(lab).is_some()
                    }
                },
            )?;
        let account = account_of(rt, &p)?;
        let chosen: Vec<&Found> = labs.iter().filter(|(lab, _, _)| !expired || is_expired(&lab.labels, now)).collect();
        let verb = if yes { "Reaping" } else { "Would reap (dry run: pass --yes to delete)" };
        ui.note(&format!("{verb} in AWS account {account}, {region}: {} lab(s)", chosen.len()));
        for (lab, state, snap) in &labs {
            let picked = chosen.iter().any(|(l, _, _)| l == lab);
            if !picked {
                ui.note(&format!(
                    "  kept: {} lab {} has not expired (expires {})",
                    lab.blueprint,
                    lab.lineage,
                    lab.labels.get(TAG_EXPIRES_AT).map(String::as_str).unwrap_or("never")
                ));
                continue;
            }
            let expiry = lab.labels.get(TAG_EXPIRES_AT).map(String::as_str).unwrap_or("no expiry");
            outln!(
                "lab {} ({}), {} resource{}, expires {expiry}:",
                lab.blueprint,
                lab.lineage,
                state.resources.len() + snap.duplicates.len(),
                if state.resources.len() + snap.duplicates.len() == 1 { "" } else { "s" }
            );
            let model = Model::empty(&lab.blueprint, &region);
            let opts = PlanOptions { destroy: true, ..Default::default() };
            let plan = plan::plan(&model, state, Some(snap), opts)?;
            for c in &plan.changes {
                outln!("  - {} ({})", c.address, c.id.as_deref().unwrap_or(""));
            }
            if !yes {
                continue;
            }
            let sink = crate::state::MemorySink::default();
            let progress = Progress::new(ui);
            let on_event = |e: Event| progress.event(e);
            EXECUTING.store(true, Ordering::SeqCst);
            let (_, outcome) = rt.block_on(executor::execute(
                &plan,
                p.clone(),
                state.clone(),
                &sink,
                executor::Options { parallelism, stop: Some(&STOP) },
                &on_event,
            ));
            EXECUTING.store(false, Ordering::SeqCst);
            progress.finish();
            if outcome.interrupted {
                ui.error("reap interrupted: what is left still carries its tags; run reap again to finish");
                return Err(anyhow!(Reported(130)));
            }
            // The truthful check: this lab's resources, and the untaggable ones a named
            // blueprint file gives names to.
            let mut by_name = naming(lab).map(|(_, v)| v.clone()).unwrap_or_default();
            // The kinds the check finds only by name, as this lab had them (a name it could not
            // read back is the one its id holds).
            by_name.extend(state.resources.iter().filter(|(a, _)| checked_by_name(a.kind())).map(|(a, r)| {
                let name = r.attributes.get(a.kind().name_attr().unwrap_or("name")).and_then(|v| v.as_str());
                (a.clone(), name.unwrap_or(&r.id).to_string())
            }));
            let left: Vec<crate::provider::Leftover> = rt
                .block_on(p.leftovers(&lab.blueprint, &lab.lineage, &by_name))
                .map_err(|e| anyhow!("cannot check what remains: {e}"))?
                .into_iter()
                .filter(|l| l.other_lineage.is_none())
                .collect();
            if left.is_empty() && outcome.ok() {
                ui.note(&format!("lab {} ({}): 0 resources remain.", lab.blueprint, lab.lineage));
            } else {
                failed = true;
                for l in &left {
                    ui.error(&format!("still exists: {l}"));
                }
                ui.error(&format!(
                    "lab {} ({}): {} failed, {} remain; run reap again",
                    lab.blueprint,
                    lab.lineage,
                    outcome.failed.len(),
                    left.len()
                ));
            }
        }
        report_calls("reap", &region, &p, ui);
    }
    Ok(if failed { 1 } else { 0 })
}

/// `-v`: the API calls a command made in one region, by service.
fn report_calls(what: &str, region: &str, p: &Arc<dyn Provider>, ui: &Ui) {
    if ui.verbose > 0 {
        errln!("{what} {region}: {}", call_summary(p.as_ref()));
    }
}

/// `pause` (running: false) and `resume`: stop or start every host state records, under
/// the state's lock, and record it.
pub(super) fn power(g: &Global, blueprint: &Path, running: bool, ui: &Ui) -> Result<u8> {
    let loaded = load_for_aws(g, blueprint, EnvMode::Skip, ui)?;
    let model = &loaded.model;
    let store = open_store(g, &model.blueprint, &model.region)?;
    let _lock = hold(&store, if running { "resume" } else { "pause" }, ui)?;
    let mut state = fetch_state(&store, &model.blueprint, &model.region)?;
    if state.serial == 0 {
        bail!("no state for `{}`: apply it first", model.blueprint);
    }
    pin_state(&state, &model.blueprint, &model.region)?;
    let p = provider(g, &model.region)?;
    let rt = runtime()?;
    let account = account_of(rt, &p)?;
    pin_account(&account, state.account_id.as_deref(), &model.allowed_accounts)?;
    let hosts: Vec<(Address, String)> = state
        .resources
        .iter()
        .filter(|(a, _)| a.kind() == crate::model::Kind::Instance)
        .map(|(a, r)| (a.clone(), r.id.clone()))
        .collect();
    if hosts.is_empty() {
        ui.note(&format!("`{}` has no hosts: nothing to {}.", model.blueprint, if running { "start" } else { "stop" }));
        return Ok(0);
    }
    let verb = if running { "starting" } else { "stopping" };
    ui.note(&format!("{} {} host(s) in AWS account {account}, {}...", verb, hosts.len(), model.region));
    let results = rt.block_on(async {
        let mut set = tokio::task::JoinSet::new();
        for (a, id) in hosts.iter().cloned() {
            let p = p.clone();
            set.spawn(async move {
                let r = p.set_running(&a, &id, running).await;
                (a, r)
            });
        }
        let mut out = Vec::new();
        while let Some(r) = set.join_next().await {
            if let Ok(r) = r {
                out.push(r);
            }
        }
        out
    });
    let mut failed = 0;
    for (a, r) in &results {
        match r {
            Ok(()) => ui.note(&format!("{a}: {}", if running { "running" } else { "stopped" })),
            Err(e) => {
                failed += 1;
                ui.error(&format!("{a}: {e}"));
            }
        }
    }
    state.paused = !running && failed == 0;
    rt.block_on(crate::state::StateSink::save(store.as_ref(), &mut state))?;
    if failed > 0 {
        bail!("{failed} host(s) could not be {}", if running { "started" } else { "stopped" });
    }
    Ok(0)
}
