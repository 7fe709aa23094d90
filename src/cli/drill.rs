//! `socform drill`: after an apply, proves each detection's path link by link (see
//! [`crate::detect::drill`]), then, unless `--wiring-only`, sends a marked synthetic event
//! through it and waits, bounded, for the metric and the alarm.

use std::collections::{BTreeMap, BTreeSet};
use std::time::SystemTime;

use super::*;
use crate::detect::drill::{self, DetectionDrill, Link, Observed, Report, Status, Target};
use crate::model::{spec, Kind};
use crate::provider::aws::AwsProvider;
use crate::provider::ProviderError;

pub struct DrillArgs {
    pub blueprint: PathBuf,
    pub detections: Vec<String>,
    pub wiring_only: bool,
    pub notify: bool,
    pub timeout: Duration,
    pub format: PlanFormat,
}

/// The trail of `state` that delivers into `group`.
fn trail_into(state: &State, group: &str) -> Option<String> {
    state.resources.values().filter(|r| r.kind == Kind::Trail).find_map(|r| {
        let arn = r.attributes.get("cloud_watch_logs_log_group_arn")?.as_str()?;
        let named = arn.trim_end_matches(":*").rsplit_once(":log-group:")?.1;
        (named == group).then(|| r.attributes.get("name")?.as_str().map(str::to_string)).flatten()
    })
}

/// Each detection's target from state, or the reason it has none.
fn targets(loaded: &Loaded, state: &State, only: &[String]) -> Result<Vec<(String, Result<Target, String>)>> {
    let known: BTreeSet<&str> = loaded.model.detections.iter().map(|d| d.name.as_str()).collect();
    if let Some(bad) = only.iter().find(|n| !known.contains(n.as_str())) {
        bail!(
            "the blueprint has no detection `{bad}`; it has: {}",
            known.iter().copied().collect::<Vec<_>>().join(", ")
        );
    }
    let mut out = vec![];
    for d in &loaded.model.detections {
        if !only.is_empty() && !only.contains(&d.name) {
            continue;
        }
        let record = |a: &Address| {
            state.resources.get(a).ok_or_else(|| format!("{a} is not in state: run `socform apply` first"))
        };
        let t = (|| -> Result<Target, String> {
            let filter: spec::MetricFilter =
                spec::from_attrs(&record(&d.metric_filter)?.attributes).map_err(|e| e.to_string())?;
            let alarm: spec::Alarm = spec::from_attrs(&record(&d.alarm)?.attributes).map_err(|e| e.to_string())?;
            let (samples_match, samples_no_match) = crate::detect::samples(d);
            Ok(Target {
                detection: d.name.clone(),
                trail: trail_into(state, &filter.log_group_name),
                filter,
                alarm,
                samples_match: samples_match.into_iter().map(str::to_string).collect(),
                samples_no_match: samples_no_match.into_iter().map(str::to_string).collect(),
            })
        })();
        out.push((d.name.clone(), t));
    }
    Ok(out)
}

pub fn drill(g: &Global, args: DrillArgs, ui: &Ui) -> Result<u8> {
    let loaded = load_for_aws(g, &args.blueprint, EnvMode::Skip, ui)?;
    let (name, region) = (loaded.model.blueprint.clone(), loaded.model.region.clone());
    if loaded.model.detections.is_empty() {
        bail!("blueprint `{name}` has no detections to drill");
    }
    let store = open_store(g, &name, &region)?;
    let state = fetch_state(&store, &name, &region)?;
    pin_state(&state, &name, loaded.model.lab_name(), &region)?;
    if state.resources.is_empty() {
        bail!("nothing of `{name}` has been applied (its state is empty): run `socform apply` first, then drill");
    }
    if let Some(url) = &g.endpoint_url {
        check_endpoint(url)?;
    }
    let rt = runtime()?;
    let aws = rt.block_on(AwsProvider::new(&aws_options(g, &region)));
    let account = rt
        .block_on(crate::provider::Provider::account_id(&aws))
        .map_err(|e| anyhow!("cannot tell which AWS account the credentials belong to: {e}"))?;
    pin_account(&account, state.account_id.as_deref(), &loaded.model.allowed_accounts)?;

    let wanted = targets(&loaded, &state, &args.detections)?;
    let ready: Vec<Target> = wanted.iter().filter_map(|(_, t)| t.as_ref().ok().cloned()).collect();
    let observed = rt.block_on(aws.drill_observe(&ready))?;
    let now = now_secs() as i64;
    let mut seen: BTreeMap<String, (Target, Observed)> =
        ready.into_iter().zip(observed).map(|(t, o)| (t.detection.clone(), (t, o))).collect();
    let drill_id = format!(
        "{}{}",
        crate::provider::aws::drill::DRILL_STREAM_PREFIX,
        &uuid::Uuid::new_v4().simple().to_string()[..12]
    );

    let mut detections = vec![];
    for (name, t) in &wanted {
        let links = match t {
            Err(why) => vec![Link::fail("applied", why.clone())],
            Ok(_) => {
                let (t, o) = &seen[name];
                drill::wiring(t, o, now)
            }
        };
        detections.push(DetectionDrill { name: name.clone(), links });
    }
    if !args.wiring_only {
        let live: Vec<usize> = (0..detections.len())
            .filter(|&i| {
                let d = &mut detections[i];
                // A path broken before the alarm cannot carry the event: say so, do not wait.
                let broken = d.links.iter().find(|l| l.status == Status::Fail && l.link != "subscriptions");
                if let Some(b) = broken {
                    let why = format!("not sent: the path is broken at `{}`", b.link);
                    d.links.push(Link::skipped("synthetic-event", why));
                    return false;
                }
                true
            })
            .collect();
        let targets: Vec<(usize, Target, Observed)> = live
            .into_iter()
            .map(|i| {
                let (t, o) = seen.remove(&detections[i].name).expect("observed");
                (i, t, o)
            })
            .collect();
        if !targets.is_empty() {
            ui.note(&format!(
                "drill {drill_id}: writing {} marked event(s) and waiting up to {} s for metrics and alarms",
                targets.len(),
                args.timeout.as_secs()
            ));
        }
        let links = rt.block_on(live_links(&aws, &targets, &drill_id, &args));
        for (i, l) in links {
            detections[i].links.extend(l);
        }
    }
    let report = Report {
        format_version: "1",
        blueprint: name,
        account,
        region,
        drill_id,
        wiring_only: args.wiring_only,
        detections,
    };
    match args.format {
        PlanFormat::Human => out!("{}", report.human()),
        PlanFormat::Json => outln!("{}", serde_json::to_string_pretty(&report)?),
        PlanFormat::Markdown => out!("{}", report.markdown()),
    }
    if ui.verbose > 0 {
        errln!("drill: {}", call_summary(&aws));
    }
    Ok(if report.failed() { 1 } else { 0 })
}

/// The live part: one marked event per detection, then polling until each metric has its
/// datapoint and each alarm has gone to ALARM, or the timeout. Ctrl-C stops the wait; the
/// drill's log streams are deleted in every case.
async fn live_links(
    aws: &AwsProvider,
    targets: &[(usize, Target, Observed)],
    drill_id: &str,
    args: &DrillArgs,
) -> Vec<(usize, Vec<Link>)> {
    // Ctrl-C now stops the wait instead of the process, so the streams are always deleted.
    EXECUTING.store(true, Ordering::SeqCst);
    let started = SystemTime::now();
    let stamp = crate::model::rfc3339(now_secs());
    let mut out: BTreeMap<usize, Vec<Link>> = BTreeMap::new();
    let mut streams = BTreeSet::new();
    // (index, target, alarm state before, datapoint seen, alarm fired)
    let mut waiting = vec![];
    // An earlier drill killed before its cleanup (a second Ctrl-C, SIGKILL) left its marked
    // events behind: they go first, whatever happens to this one.
    let groups: BTreeSet<&String> = targets.iter().map(|(_, t, _)| &t.filter.log_group_name).collect();
    for group in groups {
        for stale in aws.drill_stale_streams(group).await.unwrap_or_default() {
            let _ = aws.drill_delete_stream(group, &stale).await;
        }
    }
    for (i, t, o) in targets {
        let links = out.entry(*i).or_default();
        let Some(event) = drill::synthetic_event(t, drill_id, &stamp) else {
            links.push(Link::skipped("synthetic-event", "the detection has no match sample that is a JSON object"));
            continue;
        };
        let group = &t.filter.log_group_name;
        streams.insert(group.clone());
        match aws.drill_write_event(group, drill_id, &event).await {
            Ok(()) => {
                links.push(Link::pass("synthetic-event", format!("wrote to {group}/{drill_id}: {event}")));
                let before = o.alarm.as_ref().map(|a| a.state.clone()).unwrap_or_default();
                waiting.push((*i, t, before, None::<f64>, false));
            }
            Err(e) => links.push(Link::fail("synthetic-event", format!("PutLogEvents into {group} failed: {e}"))),
        }
    }
    /// Whether the alarm link needs no more asking: it fired, it was in ALARM before the
    /// event, or the endpoint keeps no alarm history.
    fn alarm_settled(errors: &BTreeMap<(usize, &str), ProviderError>, i: usize, before: &str, fired: bool) -> bool {
        fired || before == "ALARM" || matches!(errors.get(&(i, "alarm-state")), Some(ProviderError::Unsupported(_)))
    }
    let deadline = std::time::Instant::now() + args.timeout;
    // The last error of each (detection, link); an endpoint without the API is said once.
    let mut errors: BTreeMap<(usize, &str), ProviderError> = BTreeMap::new();
    loop {
        for (i, t, before, datapoint, fired) in waiting.iter_mut() {
            if datapoint.is_none() {
                match aws.drill_datapoint(&t.filter.metric_namespace, &t.filter.metric_name, started).await {
                    Ok(v) => *datapoint = v,
                    Err(e) => {
                        errors.insert((*i, "datapoint"), e);
                    }
                }
            }
            if !alarm_settled(&errors, *i, before, *fired) {
                match aws.drill_alarm_fired(&t.alarm.alarm_name, started).await {
                    Ok(f) => *fired = f,
                    Err(e) => {
                        errors.insert((*i, "alarm-state"), e);
                    }
                }
            }
        }
        let done = waiting.iter().all(|(i, _, before, d, f)| d.is_some() && alarm_settled(&errors, *i, before, *f));
        if done || std::time::Instant::now() >= deadline || STOP.load(Ordering::SeqCst) {
            break;
        }
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        tokio::time::sleep(left.min(Duration::from_secs(10))).await;
    }
    let stopped = STOP.load(Ordering::SeqCst);
    let waited = started.elapsed().unwrap_or_default().as_secs();
    for (i, t, before, datapoint, fired) in &waiting {
        let links = out.entry(*i).or_default();
        let error = |link| errors.get(&(*i, link)).map(|e| format!(" (last error: {e})")).unwrap_or_default();
        let why_not = if stopped { "the drill was interrupted".to_string() } else { format!("none within {waited} s") };
        links.push(match datapoint {
            Some(v) => Link::pass(
                "datapoint",
                format!("{}/{} = {v} after the event", t.filter.metric_namespace, t.filter.metric_name),
            ),
            None => Link::fail(
                "datapoint",
                format!(
                    "no datapoint in {}/{}: {why_not}{} (the filter did not count the event)",
                    t.filter.metric_namespace,
                    t.filter.metric_name,
                    error("datapoint")
                ),
            ),
        });
        links.push(if let Some(ProviderError::Unsupported(m)) = errors.get(&(*i, "alarm-state")) {
            Link::skipped(
                "alarm-state",
                format!("the endpoint does not report alarm history (DescribeAlarmHistory: {m})"),
            )
        } else if before == "ALARM" {
            Link::skipped("alarm-state", format!("{} was already in ALARM; no transition to see", t.alarm.alarm_name))
        } else if *fired {
            Link::pass("alarm-state", format!("{} went to ALARM", t.alarm.alarm_name))
        } else {
            Link::fail(
                "alarm-state",
                format!("{} did not go to ALARM: {why_not}{}", t.alarm.alarm_name, error("alarm-state")),
            )
        });
        if args.notify && !stopped {
            links.push(notify(aws, &t.alarm.alarm_name, &t.alarm.alarm_actions, drill_id).await);
        }
    }
    for group in &streams {
        let _ = aws.drill_delete_stream(group, drill_id).await;
    }
    EXECUTING.store(false, Ordering::SeqCst);
    out.into_iter().collect()
}

/// `--notify`: the alarm set to ALARM so that its actions run, then put back exactly as it
/// was found (state and reason), read right before. An alarm in ALARM now may be a real
/// incident: it is left alone, its state and reason untouched.
async fn notify(aws: &AwsProvider, alarm: &str, actions: &[String], drill_id: &str) -> Link {
    let found = match aws.drill_alarm_now(alarm).await {
        Ok(Some(found)) => found,
        Ok(None) => return Link::fail("notify", format!("{alarm} does not exist")),
        Err(e) => return Link::fail("notify", format!("DescribeAlarms on {alarm}: {e}")),
    };
    let (state, reason) = found;
    if state == "ALARM" {
        return Link::skipped(
            "notify",
            format!("{alarm} is in ALARM now (a real incident?): left alone, its state and reason untouched"),
        );
    }
    let exercise = format!("socform drill {drill_id}: exercising the alarm's actions");
    if let Err(e) = aws.drill_set_alarm_state(alarm, "ALARM", &exercise).await {
        return Link::fail("notify", format!("SetAlarmState on {alarm}: {e}"));
    }
    // AWS keeps a reason of at most 1,023 characters, which is what it gave.
    let back = if reason.is_empty() { format!("socform drill {drill_id}: put back") } else { reason };
    match aws.drill_set_alarm_state(alarm, &state, &back).await {
        Ok(()) => Link::pass(
            "notify",
            format!(
                "set {alarm} to ALARM, which makes AWS run its actions ({}), and put it back to {state} with the reason it had; check that the message arrived",
                actions.join(", ")
            ),
        ),
        Err(e) => Link::fail("notify", format!("{alarm} is left in ALARM: putting it back to {state} failed: {e}")),
    }
}
