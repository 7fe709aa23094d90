//! Crash safety, the state lock between concurrent runs, and faults on the wire, against
//! moto through a proxy that adds latency and injects throttling, 503s and dropped
//! connections (tests/support/proxy.rs).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use crate::support::proxy::{Faults, Hold, Injection, Proxy};
use crate::support::{apply_killed_at, aws_tool, squash, text, Lab, Moto};

#[test]
fn apply_killed_at_random_points_ends_with_exactly_a_clean_apply() {
    // The reference: a clean apply on a server of its own.
    let clean = Lab::with_fixture("every-kind.yaml");
    let out = clean.run(&clean.moto.url(), &["apply", "--auto-approve", "-q"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let want = shape(&clean.moto);
    let want_state = clean.state_len();

    // The same apply, killed with SIGKILL again and again, slowed by latency so that the kills
    // land between a create and the save of its state.
    let lab = Lab::with_fixture("every-kind.yaml");
    let baseline = shape(&lab.moto);
    let proxy = Proxy::start(lab.moto.port, Duration::from_millis(25), Faults::default(), 1);
    // The first kill is placed, not chanced: CreateTopic has reached AWS (the topic exists)
    // and its answer is held, so the kill lands between a create and the save of its result.
    apply_killed_at(&lab, &proxy, "Action=CreateTopic", false);
    assert!(lab.made_but_unrecorded() >= 1, "the placed kill left nothing made but unrecorded");
    assert!(lab.inventory().contains("sns-topic every-kind-alerts"), "the held CreateTopic did not take effect");
    assert!(lab.state()["resources"].get("sns_topic.alerts").is_none(), "the killed run saved the topic");
    let mut kills = 1;
    let mut left_locks = 0;
    // Kills after which AWS holds a resource of this state that state does not record: the
    // kill landed between a create and the save of its result.
    let mut mid_create = 1;
    for run in 0..6u64 {
        // No manual unlock between runs: a lock whose holder is provably dead on this host
        // (its pid gone, or reused by a process that started later) is broken, with a notice.
        let was_locked = lab.lock().exists();
        let mut child = lab
            .cmd(&proxy.url(), &["apply", "--auto-approve", "-q"])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        // Killed by progress, not by the clock: once this run has sent enough requests to be
        // just past its refresh (27 to 31 calls, measured with `apply -v`) and into its
        // creates (about 60 calls in all), whatever the machine's speed.
        let start = proxy.stats.requests.load(std::sync::atomic::Ordering::SeqCst);
        let at = start + 34 + 2 * run;
        let began = Instant::now();
        while child.try_wait().unwrap().is_none()
            && proxy.stats.requests.load(std::sync::atomic::Ordering::SeqCst) < at
            && began.elapsed() < Duration::from_secs(60)
        {
            std::thread::sleep(Duration::from_millis(2));
        }
        if child.try_wait().unwrap().is_none() {
            child.kill().unwrap(); // SIGKILL
            kills += 1;
        }
        let out = child.wait_with_output().unwrap();
        if lab.made_but_unrecorded() > 0 {
            mid_create += 1;
        }
        if was_locked {
            left_locks += 1;
            let err = text(&out.stderr);
            assert!(err.contains("broke the lock of `apply`") && err.contains("no longer running"), "{err}");
        }
    }
    assert!(kills >= 3, "only {kills} runs were killed mid-apply: slow the proxy down");
    assert!(left_locks >= 2, "only {left_locks} killed runs left a lock behind for the next to break");
    assert!(mid_create >= 1, "no kill landed between a create and its state save");
    let out = lab.run(&proxy.url(), &["apply", "--auto-approve", "-q"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = lab.run(&lab.moto.url(), &["plan", "--detailed-exitcode"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
    // Judged by boto3's inventory of everything, not by socform's tags: exactly what the
    // clean apply made, and after destroy exactly what was there before.
    assert_eq!(shape(&lab.moto), want, "duplicates or leftovers after {kills} kills");
    assert_eq!(lab.state_len(), want_state, "state does not track exactly what a clean apply does");
    let out = lab.run(&lab.moto.url(), &["destroy", "--auto-approve"]);
    assert!(text(&out.stderr).contains("0 resources remain."), "{}", text(&out.stderr));
    assert_eq!(shape(&lab.moto), baseline, "the destroy after {kills} kills left something behind");
}

/// The S3 crash marker, made deterministic: a bucket's tags come in a second call, so an
/// apply marks the create in state first. Killed after CreateBucket took effect and before
/// PutBucketTagging reached AWS, the run leaves an untagged bucket that only the marker ties
/// to this state; the next apply takes it (made after the marker) and ends exactly where a
/// clean apply does, judged by boto3.
#[test]
fn a_bucket_made_before_a_kill_and_never_tagged_is_taken_by_the_next_apply() {
    let clean = Lab::with_fixture("every-kind.yaml");
    let out = clean.run(&clean.moto.url(), &["apply", "--auto-approve", "-q"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let (want, want_state) = (shape(&clean.moto), clean.state_len());

    let lab = Lab::with_fixture("every-kind.yaml");
    let baseline = shape(&lab.moto);
    let proxy = Proxy::start(lab.moto.port, Duration::ZERO, Faults::default(), 1);
    apply_killed_at(&lab, &proxy, "PUT /every-kind-trail-123456789012/?tagging", true);
    assert!(lab.inventory().contains("s3-bucket every-kind-trail-123456789012"), "CreateBucket did not take effect");
    assert_eq!(tool_tags(&lab, "every-kind-trail-123456789012"), "{}", "the tagging reached AWS");
    let state = lab.state();
    assert!(state["resources"].get("s3_bucket.trail").is_none());
    assert_eq!(state["pending"]["s3_bucket.trail"]["name"], "every-kind-trail-123456789012", "{state}");

    let out = lab.run(&lab.moto.url(), &["apply", "--auto-approve", "-q"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(lab.id("s3_bucket.trail"), "every-kind-trail-123456789012");
    assert!(lab.state().get("pending").is_none_or(|p| p.as_object().is_none_or(|m| m.is_empty())));
    let out = lab.run(&lab.moto.url(), &["plan", "--detailed-exitcode"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
    assert_eq!(shape(&lab.moto), want);
    assert_eq!(lab.state_len(), want_state);
    let out = lab.run(&lab.moto.url(), &["destroy", "--auto-approve", "-q"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(shape(&lab.moto), baseline, "the destroy left something behind");
}

/// EBS encryption by default carries no tags: killed after EnableEbsEncryptionByDefault took
/// effect and before state was saved, the run leaves the setting on and the marker written
/// before the call (written only because the plan found it off). The next apply takes it as
/// this state's, and destroy turns it off again (boto3). Before the marker, the next apply
/// took it for a setting that was on already, and destroy left it on.
#[test]
fn ebs_encryption_turned_on_before_a_kill_is_turned_off_by_destroy() {
    let mut lab = Lab::new();
    lab.bp = lab
        .write(
            "account.yaml",
            "blueprint: account-lab\nregion: us-east-1\naccount:\n  ebs_encryption_by_default: true\n",
        )
        .into();
    let ebs = || aws_tool(&lab.moto, "us-east-1", &["ebs-encryption"]).trim().to_string();
    assert_eq!(ebs(), "off");
    let proxy = Proxy::start(lab.moto.port, Duration::ZERO, Faults::default(), 1);
    apply_killed_at(&lab, &proxy, "Action=EnableEbsEncryptionByDefault", false);
    assert_eq!(ebs(), "on", "the held call did not take effect");
    let state = lab.state();
    assert!(state["resources"].get("ebs_encryption.default").is_none(), "the killed run saved it: {state}");
    assert!(state["pending"].get("ebs_encryption.default").is_some(), "no marker: {state}");

    let out = lab.run(&lab.moto.url(), &["apply", "--auto-approve", "-q"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(lab.id("ebs_encryption.default"), "turned-on-by-socform");
    let out = lab.run(&lab.moto.url(), &["destroy", "--auto-approve", "-q"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(ebs(), "off", "destroy left on the setting the killed run turned on");
}

/// A Config recorder carries no tags: killed after PutConfigurationRecorder took effect and
/// before state was saved, the run leaves a recorder named after the blueprint, recording
/// through the role this state made. The next apply takes it as this state's (not as one the
/// account had, which it would only use and never delete), and destroy removes it (boto3).
#[test]
fn a_config_recorder_made_before_a_kill_is_taken_by_the_next_apply_and_destroyed() {
    let mut lab = Lab::new();
    lab.bp = lab
        .write(
            "cfg.yaml",
            "blueprint: cfg\nregion: us-east-1\nbuckets:\n  snapshots: {}\nconfig:\n  recorder: { bucket: snapshots }\n",
        )
        .into();
    let baseline = shape(&lab.moto);
    let proxy = Proxy::start(lab.moto.port, Duration::ZERO, Faults::default(), 1);
    apply_killed_at(&lab, &proxy, "StarlingDoveService.PutConfigurationRecorder", false);
    assert!(lab.inventory().contains("config-recorder cfg"), "the held call did not take effect");
    assert!(lab.state()["resources"].get("config_recorder.main").is_none(), "the killed run saved it");

    let out = lab.run(&lab.moto.url(), &["apply", "--auto-approve", "-q"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(lab.id("config_recorder.main"), "cfg");
    let out = lab.run(&lab.moto.url(), &["plan", "--detailed-exitcode"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
    let out = lab.run(&lab.moto.url(), &["destroy", "--auto-approve", "-q"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(shape(&lab.moto), baseline, "the destroy left something behind");
}

/// The other way: a bucket made by hand under the name, with evidence in it, before the run
/// that marked its create was killed. The marker says where to look, not what is ours: the
/// bucket is older than the marker, so it is refused, kept with its evidence, and never
/// deleted. (moto stamps a bucket's CreationDate with its own clock, which no client can
/// set: the marker is moved two minutes later instead, which is the same age difference
/// seen from the other end.)
#[test]
fn a_hand_made_bucket_older_than_the_crash_marker_is_never_taken() {
    let lab = Lab::with_fixture("every-kind.yaml");
    let bucket = "every-kind-trail-123456789012";
    aws_tool(&lab.moto, "us-east-1", &["create-bucket", bucket]);
    aws_tool(&lab.moto, "us-east-1", &["put-object", bucket, "evidence.log", "keep me"]);
    let proxy = Proxy::start(lab.moto.port, Duration::ZERO, Faults::default(), 1);
    // The run marks the bucket's create, then is killed before it asks whether the name is
    // taken (HeadBucket), so nothing but the marker is left.
    apply_killed_at(&lab, &proxy, "HEAD /every-kind-trail-123456789012/ ", true);
    let mut state = lab.state();
    let since = state["pending"]["s3_bucket.trail"]["since"].as_u64().expect("the create was marked");
    state["pending"]["s3_bucket.trail"]["since"] = serde_json::json!(since + 120);
    std::fs::write(lab.state_path(), serde_json::to_string(&state).unwrap()).unwrap();

    let out = lab.run(&lab.moto.url(), &["apply", "--auto-approve"]);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        squash(&err).contains(&squash("`every-kind-trail-123456789012` already exists and this state did not make it")),
        "{err}"
    );
    assert!(lab.state()["resources"].get("s3_bucket.trail").is_none(), "the hand-made bucket was taken");
    let out = lab.run(&lab.moto.url(), &["destroy", "--auto-approve", "-q"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(lab.inventory().contains(&format!("s3-bucket {bucket}")), "destroy deleted the hand-made bucket");
    assert_eq!(aws_tool(&lab.moto, "us-east-1", &["get-object", bucket, "evidence.log"]).trim(), "keep me");
}

/// A bucket's tags, read with boto3, as JSON.
fn tool_tags(lab: &Lab, bucket: &str) -> String {
    aws_tool(&lab.moto, "us-east-1", &["bucket-tags", bucket]).trim().to_string()
}

#[test]
fn a_second_apply_on_the_same_state_is_refused_naming_the_first() {
    let lab = Lab::with_fixture("every-kind.yaml");
    let proxy = Proxy::start(lab.moto.port, Duration::from_millis(30), Faults::default(), 1);
    // Its output is not read: kept out of the test's own.
    let mut first = lab
        .cmd(&proxy.url(), &["apply", "--auto-approve", "-q"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let lock = PathBuf::from(format!("{}.lock", lab.state_path().display()));
    let start = Instant::now();
    while !lock.exists() && start.elapsed() < Duration::from_secs(20) {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(lock.exists(), "the first apply never took the lock");
    let out = lab.run(&proxy.url(), &["apply", "--auto-approve"]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(err.contains("is locked by `apply`"), "{err}");
    assert!(err.contains(&format!("pid {}", first.id())), "{err}");
    assert!(err.contains("socform state unlock"), "{err}");
    let done = first.wait().unwrap();
    assert!(done.success());
    assert!(!lock.exists(), "the lock is released at the end");
    lab.run(&lab.moto.url(), &["destroy", "--auto-approve", "-q"]);
}

#[test]
fn faults_on_the_wire_end_in_a_converged_apply_and_a_clean_destroy() {
    let clean = Lab::with_fixture("every-kind.yaml");
    let out = clean.run(&clean.moto.url(), &["apply", "--auto-approve", "-q"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let want = shape(&clean.moto);
    let lab = Lab::with_fixture("every-kind.yaml");
    let baseline = shape(&lab.moto);
    let faults = Faults { throttle: 0.06, unavailable: 0.05, drop: 0.03, drop_after: 0.02 };
    let proxy = Proxy::start(lab.moto.port, Duration::ZERO, faults, 42);
    let direct = lab.moto.url();
    let mut applies = 0;
    loop {
        applies += 1;
        let out = lab.run(&proxy.url(), &["apply", "--auto-approve", "-q"]);
        if out.status.success() {
            // Converged, unless a create of this very apply took effect twice (its answer
            // was lost and the SDK retried): that duplicate goes at the next apply, as the
            // README says, and the plan may show nothing else.
            let plan = lab.run(&direct, &["plan", "--format", "json"]);
            let v: serde_json::Value = serde_json::from_slice(&plan.stdout).unwrap();
            let changes: Vec<&serde_json::Value> =
                v["changes"].as_array().unwrap().iter().filter(|c| c["action"] != "no-op").collect();
            if changes.is_empty() {
                break;
            }
            assert!(
                changes.iter().all(|c| c["action"] == "delete" && c["address"].as_str().unwrap().contains('#')),
                "a successful apply left more than duplicates to delete: {changes:?}"
            );
            assert!(applies < 6, "apply did not converge in 5 runs");
            continue;
        }
        // Stopped: with a clear error, and state records only what exists (a refresh on a
        // clean path finds nothing of state deleted outside socform).
        assert!(text(&out.stderr).contains("error:"), "{}", text(&out.stderr));
        let plan = lab.run(&direct, &["plan", "--format", "json"]);
        let v: serde_json::Value = serde_json::from_slice(&plan.stdout).unwrap();
        assert!(
            v["drift"].as_array().unwrap().iter().all(|d| d["attribute"] != "(resource)"),
            "state records something that does not exist"
        );
        assert!(applies < 6, "apply did not converge in 5 runs");
    }
    let stats = &proxy.stats;
    let injected = stats.throttled.load(std::sync::atomic::Ordering::SeqCst)
        + stats.unavailable.load(std::sync::atomic::Ordering::SeqCst)
        + stats.dropped.load(std::sync::atomic::Ordering::SeqCst);
    assert!(injected >= 5, "only {injected} faults injected");
    let out = lab.run(&direct, &["plan", "--detailed-exitcode"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
    // Judged by boto3's inventory of everything, not by socform's tags or its own count.
    assert_eq!(shape(&lab.moto), want, "the faults left something twice, extra or missing");
    // The destroys go through the same faults, and each one finishes or stops with a clear
    // error and a state that records only what exists.
    destroy_through(&lab, &proxy);
    assert_eq!(shape(&lab.moto), baseline, "the destroys left something behind");
}

/// One attempt per call (`AWS_MAX_ATTEMPTS=1`): the first fault stops the apply, which must
/// say so and leave a state that records only what exists; the next apply, on a clean path,
/// finishes without making anything twice.
#[test]
fn one_attempt_per_call_stops_cleanly_and_the_next_apply_finishes() {
    let lab = Lab::with_fixture("every-kind.yaml");
    let faults = Faults { unavailable: 0.08, drop: 0.04, drop_after: 0.04, ..Faults::default() };
    let proxy = Proxy::start(lab.moto.port, Duration::ZERO, faults, 11);
    let out = lab.cmd(&proxy.url(), &["apply", "--auto-approve", "-q"]).env("AWS_MAX_ATTEMPTS", "1").output().unwrap();
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    // Stopped while reading AWS or while applying: either way with a sentence, never a
    // panic or the SDK's Debug dump.
    assert!(err.contains("error: "), "{err}");
    assert!(!err.contains("panicked") && !err.contains("ServiceError(") && !err.contains("DispatchFailure("), "{err}");
    let direct = lab.moto.url();
    let v: serde_json::Value = serde_json::from_slice(&lab.run(&direct, &["plan", "--format", "json"]).stdout).unwrap();
    assert!(
        v["drift"].as_array().unwrap().iter().all(|d| d["attribute"] != "(resource)"),
        "state records something that does not exist: {}",
        v["drift"]
    );
    let out = lab.run(&direct, &["apply", "--auto-approve", "-q"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let clean = Lab::with_fixture("every-kind.yaml");
    let out = clean.run(&clean.moto.url(), &["apply", "--auto-approve", "-q"]);
    assert!(out.status.success());
    assert_eq!(shape(&lab.moto), shape(&clean.moto), "something was made twice or left over");
    let out = lab.run(&direct, &["destroy", "--auto-approve"]);
    assert!(text(&out.stderr).contains("0 resources remain."), "{}", text(&out.stderr));
}

/// The eventual-consistency retries of CONSISTENCY_RETRIES, proven by injecting the errors AWS
/// gives right after a role, bucket policy or instance profile is made (moto never does).
#[test]
fn propagation_errors_right_after_a_create_are_waited_out() {
    let lab = Lab::with_fixture("every-kind.yaml");
    let proxy = Proxy::start(lab.moto.port, Duration::ZERO, Faults::default(), 1);
    proxy.inject(Injection {
        needle: "CloudTrail_20131101.CreateTrail",
        times: 2,
        status: "400 Bad Request",
        content_type: "application/x-amz-json-1.1",
        body: r#"{"__type":"InvalidCloudWatchLogsRoleArnException","message":"Access denied. Verify in IAM that the role has adequate permissions."}"#,
    });
    proxy.inject(Injection {
        needle: "Action=RunInstances",
        times: 2,
        status: "400 Bad Request",
        content_type: "text/xml",
        body: "<Response><Errors><Error><Code>InvalidParameterValue</Code><Message>Value (every-kind-host) for parameter iamInstanceProfile.name is invalid. Invalid IAM Instance Profile name</Message></Error></Errors><RequestID>proxy</RequestID></Response>",
    });
    let started = Instant::now();
    let out = lab.run(&proxy.url(), &["apply", "--auto-approve", "-q"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(proxy.stats.injected.load(std::sync::atomic::Ordering::SeqCst), 4, "every injected error was met");
    // Two waits of 1 s then 2 s at least, for each of the two calls.
    assert!(started.elapsed() >= Duration::from_secs(3), "retried without waiting");
    let out = lab.run(&lab.moto.url(), &["plan", "--detailed-exitcode"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
    lab.run(&lab.moto.url(), &["destroy", "--auto-approve", "-q"]);
}

/// A create made of several calls that fails halfway (the profile exists, the role is not in
/// it) leaves something state does not know; the next apply must take it over, not fail on
/// "already exists" or make a second one.
#[test]
fn a_create_that_failed_halfway_is_finished_by_the_next_apply() {
    let lab = Lab::with_fixture("every-kind.yaml");
    let baseline = shape(&lab.moto);
    let proxy = Proxy::start(lab.moto.port, Duration::ZERO, Faults::default(), 1);
    proxy.inject(Injection {
        needle: "Action=AddRoleToInstanceProfile",
        times: 1,
        status: "400 Bad Request",
        content_type: "text/xml",
        body: "<ErrorResponse><Error><Type>Sender</Type><Code>InvalidInput</Code><Message>injected by the test proxy</Message></Error><RequestId>proxy</RequestId></ErrorResponse>",
    });
    let out = lab.run(&proxy.url(), &["apply", "--auto-approve", "-q"]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(err.contains("instance_profile.host: create failed: InvalidInput: injected by the test proxy"), "{err}");
    assert!(err.contains("instance.siem: create skipped because instance_profile.host failed"), "{err}");
    let out = lab.run(&proxy.url(), &["apply", "--auto-approve", "-q"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = lab.run(&lab.moto.url(), &["plan", "--detailed-exitcode"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
    assert_eq!(shape(&lab.moto).get("instance-profile"), Some(&1), "a second profile, or none");
    lab.run(&lab.moto.url(), &["destroy", "--auto-approve", "-q"]);
    assert_eq!(shape(&lab.moto), baseline, "the destroy left something behind");
}

/// Regression (issue "Ownership and safety"): Ctrl-C ended the process at once, losing the
/// create in flight and leaving the lock. Now the first SIGINT starts nothing new, lets the
/// call in flight finish, saves it, gives back the lock and exits 130; state then matches
/// what exists, and the next apply finishes the job.
#[test]
fn sigint_mid_apply_finishes_the_call_in_flight_saves_it_and_releases_the_lock() {
    let lab = Lab::with_fixture("every-kind.yaml");
    let proxy = Proxy::start(lab.moto.port, Duration::ZERO, Faults::default(), 1);
    // CreateTopic reaches moto (the topic exists) and its answer is held for 3 s.
    proxy.hold(Hold { needle: "Action=CreateTopic", times: 1, delay: Duration::from_secs(3), before: false });
    let child = lab
        .cmd(&proxy.url(), &["apply", "--auto-approve"])
        .stderr(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while proxy.stats.holding.load(std::sync::atomic::Ordering::SeqCst) == 0 {
        assert!(start.elapsed() < Duration::from_secs(60), "CreateTopic was never sent");
        std::thread::sleep(Duration::from_millis(20));
    }
    // The create is in flight: it has taken effect in AWS, and socform awaits the answer.
    let sent = std::process::Command::new("kill").args(["-INT", &child.id().to_string()]).status().unwrap();
    assert!(sent.success());
    let out = child.wait_with_output().unwrap();
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{err}");
    assert!(err.contains("Stopping: no new operation starts"), "{err}");
    assert!(err.contains("Apply interrupted:") && err.contains("not started"), "{err}");
    assert!(!lab.lock().exists(), "the lock was left behind");

    // The topic whose answer was held exists (boto3) and state has it, by its ARN.
    let state: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(lab.state_path()).unwrap()).unwrap();
    let arn = state["resources"]["sns_topic.alerts"]["id"].as_str().expect("the create in flight was saved");
    assert!(arn.ends_with(":every-kind-alerts"), "{arn}");
    let inventory = aws_tool(&lab.moto, "us-east-1", &["inventory"]);
    assert!(inventory.contains("\"sns-topic every-kind-alerts\""), "{inventory}");
    // And nothing else is out of step: nothing in AWS to adopt, nothing in state that is gone.
    let plan: serde_json::Value =
        serde_json::from_slice(&lab.run(&lab.moto.url(), &["plan", "--format", "json"]).stdout).unwrap();
    let adopted: Vec<&serde_json::Value> =
        plan["changes"].as_array().unwrap().iter().filter(|c| c["reasons"].to_string().contains("adopted")).collect();
    assert!(adopted.is_empty(), "{adopted:?}");
    // One drift is expected when the run stopped between the Config recorder and its
    // delivery channel: AWS starts a recorder only once it has a channel, so it is not yet
    // recording; the next apply starts it. Nothing else may differ.
    let drift: Vec<&serde_json::Value> = plan["drift"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| !(d["address"] == "config_recorder.main" && d["attribute"] == "recording"))
        .collect();
    assert!(drift.is_empty(), "{drift:?}");
    let out = lab.run(&lab.moto.url(), &["apply", "--auto-approve", "-q"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = lab.run(&lab.moto.url(), &["plan", "--detailed-exitcode"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
    let out = lab.run(&lab.moto.url(), &["destroy", "--auto-approve"]);
    assert!(text(&out.stderr).contains("0 resources remain."), "{}", text(&out.stderr));
}

/// Counts of what exists, by type, read with boto3 without trusting any tag. Distinct
/// resources: moto answers a retried PutMetricFilter with a second filter of the same name
/// on the same group (AWS replaces it, the call being idempotent), which is the only way
/// one resource is listed twice.
fn shape(moto: &Moto) -> BTreeMap<String, usize> {
    let list: std::collections::BTreeSet<String> =
        serde_json::from_str(&aws_tool(moto, "us-east-1", &["inventory"])).unwrap();
    let mut counts = BTreeMap::new();
    // EBS encryption by default counts too: it carries no tags, and the marker written before
    // socform turns it on (only when the plan found it off) is what proves a killed run's.
    // A KMS key pending deletion is not left behind (AWS deletes none at once); keys in use
    // count, so a duplicate key would show.
    for item in list.iter().filter(|i| !i.starts_with("kms-key-pending-deletion ")) {
        *counts.entry(item.split(' ').next().unwrap().to_string()).or_insert(0) += 1;
    }
    counts
}

/// The fault that makes duplicates: the call reaches AWS and takes effect, and its answer is
/// lost, so the SDK retries a create that already happened. However often that happens,
/// the applies end with exactly what a clean apply makes (nothing twice, nothing untracked),
/// and the destroys, through the same faults, end with nothing left.
#[test]
fn lost_answers_never_leave_duplicates_or_untracked_resources() {
    let clean = Lab::with_fixture("every-kind.yaml");
    let baseline = shape(&clean.moto);
    let out = clean.run(&clean.moto.url(), &["apply", "--auto-approve", "-q"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let want = shape(&clean.moto);
    let want_state = clean.state_len();

    let lab = Lab::with_fixture("every-kind.yaml");
    let faults = Faults { drop_after: 0.08, ..Faults::default() };
    let proxy = Proxy::start(lab.moto.port, Duration::ZERO, faults, 7);
    // moto answers a retried PutMetricFilter with a second filter of the same name, where
    // AWS replaces it (the call is idempotent), and then deletes only one of the two: losing
    // those answers would test moto, not socform (README, "Compatibility").
    proxy.spare("PutMetricFilter");
    // Converged: an apply succeeds and a plan then has nothing to do. A duplicate made by a
    // retry during an apply is found by the next refresh, so that can take one more apply.
    let mut applies = 0;
    loop {
        applies += 1;
        let out = lab.run(&proxy.url(), &["apply", "--auto-approve", "-q"]);
        if out.status.success() {
            let plan = lab.run(&lab.moto.url(), &["plan", "--detailed-exitcode"]);
            if plan.status.code() == Some(0) {
                break;
            }
            assert!(text(&plan.stdout).contains("took effect twice"), "{}", text(&plan.stdout));
        } else {
            assert!(text(&out.stderr).contains("error:"), "{}", text(&out.stderr));
        }
        assert!(applies < 6, "apply did not converge in 5 runs: {}", text(&out.stderr));
    }
    let lost = proxy.stats.lost.load(std::sync::atomic::Ordering::SeqCst);
    assert!(lost >= 1, "no answer was lost while applying");
    assert_eq!(shape(&lab.moto), want, "after {lost} lost answers, AWS holds something twice or something extra");
    assert_eq!(lab.state_len(), want_state);
    let out = lab.run(&lab.moto.url(), &["plan", "--detailed-exitcode"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));

    destroy_through(&lab, &proxy);
    // How many answers the seeded faults lose depends on how the concurrent calls interleave;
    // counted over the applies and the destroys together, there are calls enough for several.
    let lost = proxy.stats.lost.load(std::sync::atomic::Ordering::SeqCst);
    assert!(lost >= 5, "only {lost} answers were lost: the test did not exercise the fault");
    assert_eq!(shape(&lab.moto), baseline, "the destroy left something behind");
}

/// Destroys through a faulty proxy until a run succeeds (at most five): each run finishes
/// with "0 resources remain." or stops with a clear error and a state that records only what
/// exists.
fn destroy_through(lab: &Lab, proxy: &Proxy) {
    let mut destroys = 0;
    loop {
        destroys += 1;
        let out = lab.run(&proxy.url(), &["destroy", "--auto-approve"]);
        if out.status.success() {
            assert!(text(&out.stderr).contains("0 resources remain."), "{}", text(&out.stderr));
            return;
        }
        assert!(text(&out.stderr).contains("error:"), "{}", text(&out.stderr));
        let plan = lab.run(&lab.moto.url(), &["plan", "--format", "json", "--destroy"]);
        let v: serde_json::Value = serde_json::from_slice(&plan.stdout).unwrap();
        assert!(
            v["drift"].as_array().unwrap().iter().all(|d| d["attribute"] != "(resource)"),
            "after a failed destroy, state records something that does not exist"
        );
        assert!(destroys < 6, "destroy did not finish in 5 runs: {}", text(&out.stderr));
    }
}

/// moto answers an error of its own under load with the same HTML page as a call it lacks
/// (found when the suite ran beside the mutation tests: DescribeAlarms mid-apply was called
/// "not implemented" and the apply failed). A page for a call not known to be missing is
/// retried as the 5xx it is, and the apply completes; a call known to be missing still fails
/// at once (`accounts::a_call_the_endpoint_does_not_implement_fails_at_once_naming_it`).
#[test]
fn an_emulators_own_error_page_is_retried_not_called_unimplemented() {
    let mut lab = Lab::new();
    lab.bp = lab
        .write(
            "alarm.yaml",
            "blueprint: page\nregion: us-east-1\nlog_groups:\n  app: {}\nnotifications:\n  ops: {}\ndetections:\n  - name: errors\n    log_group: app\n    pattern: ERROR\n    notify: [ops]\n    samples: { match: [ERROR here] }\n",
        )
        .into();
    let proxy = Proxy::start(lab.moto.port, Duration::ZERO, Faults::default(), 1);
    proxy.inject(Injection {
        needle: "Action=DescribeAlarms",
        times: 1,
        status: "500 INTERNAL SERVER ERROR",
        content_type: "text/html; charset=utf-8",
        body: "<!doctype html>\n<html lang=en>\n<title>500 Internal Server Error</title>\n<h1>Internal Server Error</h1>\n<p>The server encountered an internal error and was unable to complete your request.</p>\n",
    });
    let out = lab.run(&proxy.url(), &["apply", "--auto-approve"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(proxy.stats.injected.load(std::sync::atomic::Ordering::SeqCst), 1, "the page was never given");
    assert_eq!(lab.state()["resources"].as_object().unwrap().len(), 5, "group, filter, alarm, topic, dashboard");
}
