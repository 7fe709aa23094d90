//! `socform ls` and `socform reap`: labs found from their tags, with or without a state file.
//!
//! A lab is the set of resources carrying one (`socform:blueprint`, `socform:lineage`) pair.
//! The tagging index names the labs of a region in one paginated call; a refresh with the
//! lab's lineage then finds what really exists of it (the index also lists resources deleted
//! moments ago), every kind through its own service, which is exactly how a run that lost
//! its answers adopts what it made. `reap` turns that into state records whose dependencies
//! come from `Kind::needs`, plans their destruction against an empty model, and runs it with
//! destroy's executor and waiters.
//!
//! Tags say where to look, never what to delete: anyone who may tag a resource can write
//! socform's tags. So a lineage must be a UUID (never the leftover check's wildcard) and a
//! blueprint name a valid one before either is used; a lab's expiry comes from its state
//! when one is found for it (under its lock, with its own records), and from tags only when
//! every resource the index lists agrees on it (`Expiry`); a bucket found by tags alone is
//! never emptied (it may hold evidence kept with `retain_objects`) unless `--empty-buckets`.

use super::store::Store;
use super::*;
use crate::model::{Model, TAG_OWNER};
use crate::ops::labs::{trusted, Expiry};
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
    /// Set when the lab's resources disagree about its socform labels (a tag changed by
    /// hand or forged): why. `reap --expired` keeps such a lab.
    #[serde(skip_serializing_if = "Option::is_none")]
    disputed: Option<String>,
    owner: Option<String>,
    hourly_usd: f64,
    #[serde(skip)]
    expired: bool,
}

/// The state that made `lab`, when the state location for its blueprint holds one with its
/// lineage: the lab's own record. A state that cannot be read is an error, not "no state".
fn recorded(g: &Global, lab: &LabIndex, region: &str) -> Result<Option<(Store, State)>> {
    let store = open_store(g, &lab.blueprint, region)?;
    let state = runtime()?
        .block_on(store.fetch())
        .with_context(|| format!("reading the state of lab `{}` ({})", lab.blueprint, lab.lineage))?;
    Ok(state.filter(|s| s.lineage == lab.lineage && s.blueprint == lab.blueprint && s.serial > 0).map(|s| (store, s)))
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
    probe.discovery = true;
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
    // A bucket that logs into another of the lab's goes first: deleting it (and emptying it)
    // writes access logs into the other, which would then never be empty (found reaping ten
    // reference labs at once).
    let buckets: std::collections::BTreeMap<String, Address> = state
        .resources
        .iter()
        .filter(|(a, _)| a.kind() == crate::model::Kind::S3Bucket)
        .map(|(a, r)| (r.id.clone(), a.clone()))
        .collect();
    for (a, rec) in state.resources.iter_mut() {
        rec.dependencies = addresses.iter().filter(|b| a.kind().needs().contains(&b.kind())).cloned().collect();
        let target = rec.attributes.get("access_log_bucket").and_then(|v| v.as_str()).and_then(|t| buckets.get(t));
        rec.dependencies.extend(target.filter(|t| *t != a).cloned());
    }
    let snapshot = Snapshot {
        account_id: found.account_id.clone(),
        resources: found.untracked.iter().map(|(a, l)| (a.clone(), Some(l.clone()))).collect(),
        untracked: Default::default(),
        duplicates: found.duplicates.clone(),
        existing: Default::default(),
        existing_elsewhere: Default::default(),
        looked_up: Default::default(),
        accounts: Default::default(),
        organization_id: None,
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

/// The labs of one region that still exist, each with its state from tags and the records of
/// its own state when that is here. Resources made by no lineage, or released by
/// `state rm`, belong to no lab.
fn labs_in(g: &Global, region: &str) -> Result<(Arc<dyn Provider>, Vec<Found>)> {
    let p = provider(g, region)?;
    let rt = runtime()?;
    let index = rt.block_on(p.labs()).with_context(|| format!("listing labs in {region}"))?;
    let mut labs = Vec::new();
    // Released resources (`state rm`) and hand-written identities belong to no lab.
    for lab in index.into_iter().filter(trusted) {
        let (mut state, snap) = state_from_tags(rt, &p, &lab, region)?;
        // What live tags found, read as it is now (a paused host, a volume's real size), and
        // what the lab's own state records beyond it, when that state is here: what carries
        // no tags (subscriptions) and what `import` took over under its own name, which tags
        // alone cannot tell from a forgery.
        if let Some((_, recorded)) = recorded(g, &lab, region)? {
            for (a, rec) in recorded.resources {
                state.resources.entry(a).or_insert(rec);
            }
        }
        // Only resources the index still listed after they were deleted: no lab.
        if state.resources.is_empty() && snap.duplicates.is_empty() {
            continue;
        }
        labs.push((lab, state, snap));
    }
    Ok((p, labs))
}

/// The blueprint a lab was made from: a `--lab NAME` lab carries `BLUEPRINT-NAME`.
fn blueprint_of(lab: &LabIndex) -> String {
    if lab.disputed.contains_key(crate::model::TAG_LAB) {
        return lab.blueprint.clone();
    }
    match lab.labels.get(crate::model::TAG_LAB) {
        Some(name) => lab.blueprint.strip_suffix(&format!("-{name}")).unwrap_or(&lab.blueprint).to_string(),
        None => lab.blueprint.clone(),
    }
}

fn row(lab: &LabIndex, state: &State, region: &str, now: u64) -> LabRow {
    let expiry = Expiry::of(lab, None);
    LabRow {
        blueprint: blueprint_of(lab),
        lab: lab.labels.get(crate::model::TAG_LAB).cloned().unwrap_or_else(|| lab.lineage.clone()),
        region: region.to_string(),
        resources: state.resources.len(),
        created_at: lab.labels.get(crate::model::TAG_CREATED_AT).cloned(),
        expires_at: match &expiry {
            Expiry::At(t, _) => Some(t.clone()),
            Expiry::Never | Expiry::Disputed(_) => None,
        },
        disputed: match &expiry {
            Expiry::Disputed(why) => Some(why.clone()),
            _ => None,
        },
        owner: lab.labels.get(TAG_OWNER).cloned(),
        hourly_usd: crate::cost::hourly(state),
        expired: expiry.passed(now),
    }
}

pub(super) fn ls(g: &Global, all_regions: bool, format: OutputFormat, ui: &Ui) -> Result<u8> {
    let now = now_secs();
    let mut rows = Vec::new();
    for region in regions(g, all_regions) {
        let spin = ui.spinner(format!("{region}: reading the tagging index, then each lab's resources"));
        let (p, labs) = labs_in(g, &region)?;
        if let Some(s) = spin {
            s.finish_and_clear();
        }
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
                        match (&r.expires_at, &r.disputed) {
                            (_, Some(_)) => "disputed".to_string(),
                            (Some(e), _) if r.expired => format!("{e} (expired)"),
                            (Some(e), _) => e.clone(),
                            (None, _) => dash(),
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

/// A blueprint named on the command line: a bare name, or a file, whose name, region,
/// allowed accounts and the names it gives the kinds that carry no tags (for the leftover
/// check) all apply.
struct Named {
    name: String,
    by_name: Vec<(Address, String)>,
    /// From a file: its `region:` and `allowed_accounts`.
    region: Option<String>,
    allowed_accounts: Vec<String>,
}

fn named_blueprint(arg: &str, ui: &Ui) -> Result<Named> {
    let path = Path::new(arg);
    if !(arg.ends_with(".yaml") || arg.ends_with(".yml")) || !path.is_file() {
        crate::blueprint::names::blueprint_name(arg).map_err(|m| anyhow!("reap {arg}: {m}, or a blueprint file"))?;
        return Ok(Named { name: arg.to_string(), by_name: vec![], region: None, allowed_accounts: vec![] });
    }
    // A file's settings bind the reap: it must load (its inputs given as for plan).
    let model = blueprint::load(path, EnvMode::Skip, &ui.inputs)
        .map_err(|diags| {
            ui.diagnostics(&diags);
            anyhow!("reap {arg}: the blueprint does not load, so its region and allowed_accounts are unknown: nothing was read or deleted")
        })?
        .model;
    Ok(Named {
        name: model.blueprint.clone(),
        by_name: named_resources(&model),
        region: Some(model.region.clone()),
        allowed_accounts: model.allowed_accounts.clone(),
    })
}

/// Options of `socform reap`.
pub(super) struct ReapArgs<'a> {
    pub names: &'a [String],
    pub expired: bool,
    pub yes: bool,
    pub empty_buckets: bool,
    pub parallelism: usize,
}

pub(super) fn reap(g: &Global, args: ReapArgs<'_>, ui: &Ui) -> Result<u8> {
    if args.names.is_empty() && !args.expired {
        bail!("name the blueprints whose labs to reap, or pass --expired for every expired lab");
    }
    let named: Vec<Named> = args.names.iter().map(|n| named_blueprint(n, ui)).collect::<Result<_>>()?;
    // A named file's region is where its labs are: --region may not say otherwise.
    let mut file_regions: Vec<String> = named.iter().filter_map(|n| n.region.clone()).collect();
    file_regions.sort();
    file_regions.dedup();
    for n in named.iter().filter(|n| n.region.is_some()) {
        check_region_flag(g, n.region.as_deref().unwrap_or_default(), &n.name)?;
    }
    let regions = if file_regions.is_empty() { regions(g, false) } else { file_regions };
    let naming = |lab: &LabIndex| named.iter().find(|n| n.name == lab.blueprint || n.name == blueprint_of(lab));
    let now = now_secs();
    let mut failed = false;
    for region in regions {
        let p = provider(g, &region)?;
        let rt = runtime()?;
        let account = account_of(rt, &p)?;
        for n in named.iter().filter(|n| n.region.as_deref() == Some(region.as_str())) {
            pin_account(&account, None, &n.allowed_accounts)?;
        }
        let spin = ui.spinner(format!("{region}: reading the tagging index"));
        let index = rt.block_on(p.labs()).with_context(|| format!("listing labs in {region}"))?;
        if let Some(s) = spin {
            s.finish_and_clear();
        }
        let verb = if args.yes { "Reaping" } else { "Would reap (dry run: pass --yes to delete)" };
        let mut chosen = Vec::new();
        for lab in index {
            if !trusted(&lab) {
                if !lab.lineage.starts_with(RELEASED_PREFIX) {
                    ui.note(&format!(
                        "  ignored: resources tagged `{}` / `{}`: no socform state has that blueprint name and lineage (tags written by hand)",
                        lab.blueprint, lab.lineage
                    ));
                }
                continue;
            }
            if !named.is_empty() && naming(&lab).is_none() {
                continue;
            }
            let record = match recorded(g, &lab, &region) {
                Ok(r) => r,
                Err(e) => {
                    failed = true;
                    ui.error(&format!("  kept: {} lab {}: {e:#}", lab.blueprint, lab.lineage));
                    continue;
                }
            };
            let expiry = Expiry::of(&lab, record.as_ref().map(|(_, s)| s));
            if args.expired && !expiry.passed(now) {
                let why = match &expiry {
                    Expiry::Disputed(why) => format!(
                        "its expiry is disputed: {why}. A lab's tags can be written by anyone who may tag; reap it by name after checking (`socform reap {} --yes`), or destroy it with its state",
                        lab.blueprint
                    ),
                    other => format!("it has not expired (expires {})", other.shown()),
                };
                ui.note(&format!("  kept: {} lab {}: {why}", lab.blueprint, lab.lineage));
                continue;
            }
            chosen.push((lab, record, expiry));
        }
        ui.note(&format!("{verb} in AWS account {account}, {region}: {} lab(s)", chosen.len()));
        for (lab, record, expiry) in chosen {
            let by_name = naming(&lab).map(|n| n.by_name.clone()).unwrap_or_default();
            let allowed = naming(&lab).map(|n| n.allowed_accounts.clone()).unwrap_or_default();
            let one = Reaping { lab: &lab, expiry: &expiry, region: &region, account: &account, by_name, allowed };
            let ok = match record {
                Some((store, _)) => reap_recorded(&p, rt, &store, &one, &args, ui)?,
                None => reap_from_tags(&p, rt, &one, &args, ui)?,
            };
            failed |= !ok;
        }
        report_calls("reap", &region, &p, ui);
    }
    Ok(if failed { 1 } else { 0 })
}

/// One lab `reap` acts on.
struct Reaping<'a> {
    lab: &'a LabIndex,
    expiry: &'a Expiry,
    region: &'a str,
    account: &'a str,
    /// The untaggable resources a named blueprint file names, for the leftover check.
    by_name: Vec<(Address, String)>,
    /// A named blueprint file's `allowed_accounts`.
    allowed: Vec<String>,
}

/// Reaps a lab whose state was found: destroy with that state, under its lock, its
/// records and its buckets' `retain_objects` as recorded, state written as it goes.
fn reap_recorded(
    p: &Arc<dyn Provider>,
    rt: &'static tokio::runtime::Runtime,
    store: &Store,
    one: &Reaping<'_>,
    args: &ReapArgs<'_>,
    ui: &Ui,
) -> Result<bool> {
    let lab = one.lab;
    let _lock = hold(store, "reap", ui)?;
    // Read again under the lock: the state may have moved since.
    let state = fetch_state(store, &lab.blueprint, one.region)?;
    if state.lineage != lab.lineage {
        bail!("the state of `{}` changed while reap read it: nothing was deleted; run reap again", lab.blueprint);
    }
    pin_account(one.account, state.account_id.as_deref(), &one.allowed)?;
    ui.note(&format!("  lab {} ({}): its state `{}` is the record", lab.blueprint, lab.lineage, store.location()));
    let snap = rt.block_on(p.refresh(&lab.blueprint, &state)).context("reading live state")?;
    run_reap(p, rt, store.as_ref(), state, &snap, one, args, ui)
}

/// Reaps a lab found by its tags alone: its resources as state records, kept in memory.
fn reap_from_tags(
    p: &Arc<dyn Provider>,
    rt: &'static tokio::runtime::Runtime,
    one: &Reaping<'_>,
    args: &ReapArgs<'_>,
    ui: &Ui,
) -> Result<bool> {
    let (mut state, mut snap) = state_from_tags(rt, p, one.lab, one.region)?;
    if state.resources.is_empty() && snap.duplicates.is_empty() {
        return Ok(true);
    }
    if !args.empty_buckets {
        // Tags cannot say whether a bucket's objects are evidence kept with `retain_objects`:
        // what state would have recorded is written into both views the plan reads.
        let keep = |a: &mut crate::model::Attrs| {
            a.insert("force_destroy".into(), serde_json::Value::Bool(false));
        };
        for (a, rec) in state.resources.iter_mut().filter(|(a, _)| a.kind() == crate::model::Kind::S3Bucket) {
            keep(&mut rec.attributes);
            if let Some(Some(live)) = snap.resources.get_mut(a) {
                keep(&mut live.attributes);
            }
        }
        for (_, live) in snap.duplicates.iter_mut().filter(|(a, _)| a.kind() == crate::model::Kind::S3Bucket) {
            keep(&mut live.attributes);
        }
    }
    run_reap(p, rt, &crate::state::MemorySink::default(), state, &snap, one, args, ui)
}

/// The kinds the leftover check finds only by name, as a state has them (a name it could
/// not read back is the one its id holds).
fn untaggable_names(state: &State) -> Vec<(Address, String)> {
    state
        .resources
        .iter()
        .filter(|(a, _)| a.kind().checked_by_name())
        .map(|(a, r)| {
            let name = r.attributes.get(a.kind().name_attr().unwrap_or("name")).and_then(|v| v.as_str());
            (a.clone(), name.unwrap_or(&r.id).to_string())
        })
        .collect()
}

/// Plans a lab's destruction from its records and what refresh found, lists it, and with
/// `--yes` runs it and checks what remains: true when nothing of the lab is left.
#[allow(clippy::too_many_arguments)]
fn run_reap(
    p: &Arc<dyn Provider>,
    rt: &'static tokio::runtime::Runtime,
    sink: &dyn crate::state::StateSink,
    state: State,
    snap: &Snapshot,
    one: &Reaping<'_>,
    args: &ReapArgs<'_>,
    ui: &Ui,
) -> Result<bool> {
    let lab = one.lab;
    let model = Model::empty(&lab.blueprint, one.region);
    let plan = &plan::plan(&model, &state, Some(snap), PlanOptions { destroy: true, ..Default::default() })?;
    let mut by_name = one.by_name.clone();
    by_name.extend(untaggable_names(&state));
    let n = plan.changes.len();
    outln!(
        "lab {} ({}), {n} resource{}, expires {}:",
        lab.blueprint,
        lab.lineage,
        if n == 1 { "" } else { "s" },
        one.expiry.shown()
    );
    for c in &plan.changes {
        outln!("  - {} ({})", c.address, c.id.as_deref().unwrap_or(""));
    }
    if !args.yes {
        return Ok(true);
    }
    let progress = Progress::new(ui);
    let on_event = |e: Event| progress.event(e);
    EXECUTING.store(true, Ordering::SeqCst);
    let (_, outcome) = rt.block_on(executor::execute(
        plan,
        p.clone(),
        state,
        sink,
        executor::Options { parallelism: args.parallelism, stop: Some(&STOP) },
        &on_event,
    ));
    EXECUTING.store(false, Ordering::SeqCst);
    progress.finish();
    if outcome.interrupted {
        ui.error("reap interrupted: what is left still carries its tags; run reap again to finish");
        return Err(anyhow!(Reported(130)));
    }
    let left: Vec<crate::provider::Leftover> = super::not_pending(
        rt.block_on(p.leftovers(&lab.blueprint, &lab.lineage, &by_name))
            .map_err(|e| anyhow!("cannot check what remains: {e}"))?,
        ui,
    )
    .into_iter()
    .filter(|l| l.other_lineage.is_none())
    .collect();
    if left.is_empty() && outcome.ok() {
        ui.note(&format!("lab {} ({}): 0 resources remain.", lab.blueprint, lab.lineage));
        return Ok(true);
    }
    // What reap set out to delete, and what only tags tie to the lab: a resource `import`
    // took over under its own name, once the state that recorded the import is gone, or
    // someone's resource tagged with the lab's identity. Nothing proves the second is the
    // lab's, so reap leaves it, and says so rather than "run reap again".
    let planned: std::collections::BTreeSet<&str> = plan.changes.iter().filter_map(|c| c.id.as_deref()).collect();
    let (tried, unproven): (Vec<_>, Vec<_>) =
        left.iter().partition(|l| planned.iter().any(|id| super::arn_names(&l.id, id)));
    for l in &tried {
        ui.error(&format!("still exists: {l}"));
    }
    for l in &unproven {
        ui.error(&format!(
            "kept: {l}: it carries this lab's tags, but reap did not find it under a name socform gives (an `import`ed resource whose state is gone, or tags written by someone else). Check it, then delete it yourself"
        ));
    }
    if !args.empty_buckets && outcome.failed.iter().any(|(a, _, _)| a.kind() == crate::model::Kind::S3Bucket) {
        ui.error("reap never empties a bucket it found by tags alone: its objects may be evidence kept with `retain_objects`. Check them, then empty it yourself or run reap again with --empty-buckets");
    }
    if tried.is_empty() && outcome.ok() {
        ui.error(&format!(
            "lab {} ({}): reap deleted what it found; {} kept as above",
            lab.blueprint,
            lab.lineage,
            unproven.len()
        ));
    } else {
        ui.error(&format!(
            "lab {} ({}): {} failed, {} remain; run reap again",
            lab.blueprint,
            lab.lineage,
            outcome.failed.len(),
            tried.len()
        ));
    }
    Ok(false)
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
    pin_state(&state, &model.blueprint, model.lab_name(), &model.region)?;
    let p = provider(g, &model.region)?;
    let rt = runtime()?;
    let account =
        rt.block_on(crate::ops::pinned_account(p.as_ref(), state.account_id.as_deref(), &model.allowed_accounts))?;
    let hosts = state.resources.keys().filter(|a| a.kind() == crate::model::Kind::Instance).count();
    if hosts == 0 {
        ui.note(&format!("`{}` has no hosts: nothing to {}.", model.blueprint, if running { "start" } else { "stop" }));
        return Ok(0);
    }
    let verb = if running { "starting" } else { "stopping" };
    ui.note(&format!("{verb} {hosts} host(s) in AWS account {account}, {}...", model.region));
    let powered = rt.block_on(crate::ops::power(p, model, &mut state, running))?;
    for (a, r) in &powered.hosts {
        match r {
            Ok(()) => ui.note(&format!("{a}: {}", if running { "running" } else { "stopped" })),
            Err(e) => ui.error(&format!("{a}: {e}")),
        }
    }
    let failed = powered.failed();
    rt.block_on(crate::state::StateSink::save(store.as_ref(), &mut state))?;
    if failed > 0 {
        bail!("{failed} host(s) could not be {}", if running { "started" } else { "stopped" });
    }
    Ok(0)
}
