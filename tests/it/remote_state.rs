//! Team state in S3 (`--state s3://bucket/key`), against moto: applies and plans through it,
//! the lock is an object created with If-None-Match and names its holder, a stale writer is
//! refused by If-Match, the previous version is kept as a backup.

use std::process::{Command, Output};

use crate::support::{aws_env, aws_tool, Moto};
use socform::provider::aws::s3state::S3State;
use socform::provider::aws::AwsOptions;
use socform::state::StateSink;
use socform::state::{State, StateBackend};

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

const BLUEPRINT: &str = "blueprint: team\nregion: us-east-1\nnetwork:\n  vpc: { cidr: 10.90.0.0/16 }\nlog_groups:\n  app: { retention_days: 90 }\n";

fn socform(moto: &Moto, args: &[&str]) -> Output {
    let mut c = Command::new(assert_cmd::cargo::cargo_bin("socform"));
    aws_env(&mut c, moto);
    c.args(args).output().unwrap()
}

/// A moto with the `team-state` bucket, and the team blueprint applied with its state there.
fn applied_team() -> (Moto, tempfile::TempDir, &'static str) {
    let moto = Moto::start();
    aws_tool(&moto, "us-east-1", &["create-bucket", "team-state"]);
    let dir = tempfile::tempdir().unwrap();
    let bp = dir.path().join("team.yaml");
    std::fs::write(&bp, BLUEPRINT).unwrap();
    let url = "s3://team-state/envs/team.json";
    let out = socform(&moto, &["apply", bp.to_str().unwrap(), "--state", url, "--auto-approve", "-q"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    (moto, dir, url)
}

#[test]
fn apply_plan_and_destroy_through_s3_state_with_its_lock() {
    let (moto, dir, url) = applied_team();
    let bp = dir.path().join("team.yaml");
    let bp = bp.to_str().unwrap();
    let stored: serde_json::Value =
        serde_json::from_str(&aws_tool(&moto, "us-east-1", &["get-object", "team-state", "envs/team.json"])).unwrap();
    assert!(stored["resources"].get("vpc.main").is_some(), "{stored}");
    assert!(stored["serial"].as_u64().unwrap() >= 2);
    assert_eq!(
        aws_tool(&moto, "us-east-1", &["get-object", "team-state", "envs/team.json.lock"]).trim(),
        "(absent)",
        "the lock is released"
    );
    // The previous version is kept, and it is the one just before: serial minus one.
    let backup: serde_json::Value =
        serde_json::from_str(&aws_tool(&moto, "us-east-1", &["get-object", "team-state", "envs/team.json.backup"]))
            .expect("the previous version is kept");
    assert_eq!(backup["serial"].as_u64().unwrap() + 1, stored["serial"].as_u64().unwrap(), "{backup}");
    assert_eq!(backup["lineage"], stored["lineage"]);
    // Both are encrypted at rest with SSE-S3, as the README says (asked of S3, not socform).
    for key in ["envs/team.json", "envs/team.json.backup"] {
        assert_eq!(aws_tool(&moto, "us-east-1", &["object-encryption", "team-state", key]).trim(), "AES256", "{key}");
    }
    assert!(
        !dir.path().join("state").exists() && !std::path::Path::new("state/team.json").exists(),
        "nothing written locally"
    );

    let out = socform(&moto, &["plan", bp, "--state", url, "--detailed-exitcode"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
    let out = socform(&moto, &["state", "list", "--state", url]);
    assert!(text(&out.stdout).contains("vpc.main\tvpc-"), "{}", text(&out.stdout));

    // Someone else holds the lock.
    let lock = r#"{"id":"team-lock-1","operation":"apply","who":"bob","host":"laptop","pid":77,"created":"2026-11-21T09:00:00Z"}"#;
    aws_tool(&moto, "us-east-1", &["put-text", "team-state", "envs/team.json.lock", lock]);
    let out = socform(&moto, &["apply", bp, "--state", url, "--auto-approve"]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(err.contains("s3://team-state/envs/team.json` is locked by `apply` (bob, pid 77 on laptop"), "{err}");
    assert!(err.contains("socform state unlock team-lock-1"), "{err}");
    let out = socform(&moto, &["state", "unlock", "wrong", "--state", url]);
    assert_eq!(out.status.code(), Some(1));
    let out = socform(&moto, &["state", "unlock", "team-lock-1", "--state", url]);
    assert!(out.status.success(), "{}", text(&out.stderr));

    let out = socform(&moto, &["destroy", bp, "--state", url, "--auto-approve", "-v"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let err = text(&out.stderr);
    assert!(err.contains("0 resources remain."));
    // `-v` counts the state backend's calls as it counts the provider's: at least the lock
    // taken, the state read, written and backed up, and the lock given back.
    let state_calls: u64 = err
        .lines()
        .find_map(|l| l.trim().strip_prefix("state-s3: ")?.strip_suffix(" API calls")?.parse().ok())
        .unwrap_or_else(|| panic!("no count of the state backend's calls: {err}"));
    assert!(state_calls >= 5, "{state_calls} calls: {err}");
    let stored: serde_json::Value =
        serde_json::from_str(&aws_tool(&moto, "us-east-1", &["get-object", "team-state", "envs/team.json"])).unwrap();
    assert!(stored["resources"].as_object().unwrap().is_empty());
}

#[test]
fn a_writer_working_from_stale_state_is_refused_and_only_one_run_gets_the_lock() {
    let moto = Moto::start();
    aws_tool(&moto, "us-east-1", &["create-bucket", "race-state"]);
    crate::support::library_env();
    let opts = AwsOptions {
        region: "us-east-1".into(),
        profile: None,
        endpoint_url: Some(moto.url()),
        dependency_wait: Default::default(),
        assume: None,
    };
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let url = "s3://race-state/lab.json";
        let a = S3State::new(url, &opts).await.unwrap();
        let b = S3State::new(url, &opts).await.unwrap();
        // Both see no state; A writes first; B's first write must not clobber it.
        assert!(a.fetch().await.unwrap().is_none());
        assert!(b.fetch().await.unwrap().is_none());
        let mut s = State::new("lab", "us-east-1");
        a.save(&mut s).await.unwrap();
        let mut stale = State::new("lab", "us-east-1");
        let err = b.save(&mut stale).await.unwrap_err().to_string();
        assert!(err.contains("changed since this run read it"), "{err}");
        // B reads again and can then write; A, now behind, is refused.
        let mut fresh = b.fetch().await.unwrap().unwrap();
        assert_eq!(fresh.lineage, s.lineage);
        b.save(&mut fresh).await.unwrap();
        let err = a.save(&mut s).await.unwrap_err().to_string();
        assert!(err.contains("changed since this run read it"), "{err}");

        // The lock: many contenders at once, exactly one wins.
        let mut handles = Vec::new();
        for _ in 0..8 {
            let s = S3State::new(url, &opts).await.unwrap();
            handles.push(tokio::spawn(async move { s.acquire("apply").await.is_ok() }));
        }
        let mut winners = 0;
        for h in handles {
            winners += usize::from(h.await.unwrap());
        }
        assert_eq!(winners, 1);
    });
}

/// S3's answer when asked to slow down, to the next three reads of an object.
fn slow_down_three_times() -> crate::support::proxy::Injection {
    crate::support::proxy::Injection {
    needle: "x-id=GetObject",
    times: 3,
    status: "503 Slow Down",
    content_type: "application/xml",
    body: "<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message><RequestId>proxy</RequestId></Error>",
}
}

/// The S3 state backend shares the provider's SDK configuration, retry settings included:
/// three throttled reads of the state object in a row (more than the SDK's default of three
/// attempts allows) are retried through, as every provider call is.
#[test]
fn state_reads_are_retried_like_every_other_call() {
    use crate::support::proxy::{Faults, Proxy};
    let (moto, dir, url) = applied_team();
    let bp = dir.path().join("team.yaml");
    let bp = bp.to_str().unwrap();

    let proxy = Proxy::start(moto.port, std::time::Duration::ZERO, Faults::default(), 1);
    proxy.inject(slow_down_three_times());
    let mut c = Command::new(assert_cmd::cargo::cargo_bin("socform"));
    aws_env(&mut c, &moto);
    let out = c
        .env("AWS_ENDPOINT_URL", proxy.url())
        .args(["plan", bp, "--state", url, "--detailed-exitcode"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(
        proxy.stats.injected.load(std::sync::atomic::Ordering::SeqCst),
        3,
        "the state object was throttled three times"
    );
    // And the setting is the one socform documents: with AWS_MAX_ATTEMPTS=3, three throttles
    // are one too many, and the run stops with the error.
    proxy.inject(slow_down_three_times());
    let mut c = Command::new(assert_cmd::cargo::cargo_bin("socform"));
    aws_env(&mut c, &moto);
    let out = c
        .env("AWS_ENDPOINT_URL", proxy.url())
        .env("AWS_MAX_ATTEMPTS", "3")
        .args(["plan", bp, "--state", url])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("SlowDown") || text(&out.stderr).contains("reduce your request rate"),
        "{}",
        text(&out.stderr)
    );
    let out = socform(&moto, &["destroy", bp, "--state", url, "--auto-approve", "-q"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
}

/// Issue 23: S3 state did not pin the bucket's owner (a bucket of that name in another
/// account, deleted and taken by someone else or a typo, would receive state and locks), and
/// an empty lock object gave advice (`state unlock unknown`) that did not work. moto ignores
/// ExpectedBucketOwner, so the proxy answers as S3 does for a bucket of another account
/// (403 AccessDenied, written by hand from the S3 API reference) whenever a request carries
/// the owner this test expects: the header is on the wire, and the refusal stops the run.
#[test]
fn the_state_bucket_owner_is_pinned_and_a_lock_naming_no_holder_can_be_broken() {
    use crate::support::proxy::{Faults, Injection, Proxy};
    let (moto, dir, url) = applied_team();
    let bp = dir.path().join("team.yaml");
    let bp = bp.to_str().unwrap();
    let proxy = Proxy::start(moto.port, std::time::Duration::ZERO, Faults::default(), 1);
    let through = |owner: Option<&str>, args: &[&str]| {
        let mut c = Command::new(assert_cmd::cargo::cargo_bin("socform"));
        aws_env(&mut c, &moto);
        c.env("AWS_ENDPOINT_URL", proxy.url()).env("AWS_MAX_ATTEMPTS", "1");
        if let Some(o) = owner {
            c.env("SOCFORM_STATE_BUCKET_OWNER", o);
        }
        c.args(args).output().unwrap()
    };
    let denied = |needle: &'static str| Injection {
        needle,
        times: 100,
        status: "403 Forbidden",
        content_type: "application/xml",
        body: "<Error><Code>AccessDenied</Code><Message>Access Denied</Message><RequestId>proxy</RequestId></Error>",
    };
    // The credentials' own account by default...
    proxy.inject(denied("x-amz-expected-bucket-owner: 123456789012"));
    let out = through(None, &["plan", bp, "--state", url]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("Access Denied"), "{}", text(&out.stderr));
    assert!(proxy.stats.injected.load(std::sync::atomic::Ordering::SeqCst) >= 1);
    proxy.clear();
    // ... or the one named, which must be an account id.
    proxy.inject(denied("x-amz-expected-bucket-owner: 111111111111"));
    let out = through(Some("111111111111"), &["plan", bp, "--state", url]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("Access Denied"), "{}", text(&out.stderr));
    let out = through(Some("team"), &["plan", bp, "--state", url]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("SOCFORM_STATE_BUCKET_OWNER `team` is not an AWS account id"),
        "{}",
        text(&out.stderr)
    );
    proxy.clear();
    let out = through(None, &["plan", bp, "--state", url, "--detailed-exitcode"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));

    // A lock object that names no holder: the advice given is advice that works.
    aws_tool(&moto, "us-east-1", &["put-text", "team-state", "envs/team.json.lock", ""]);
    let out = socform(&moto, &["apply", bp, "--state", url, "--auto-approve"]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(err.contains("the lock names no holder") && err.contains("`socform state unlock unknown`"), "{err}");
    let out = socform(&moto, &["state", "unlock", "unknown", "--state", url]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(aws_tool(&moto, "us-east-1", &["get-object", "team-state", "envs/team.json.lock"]).trim(), "(absent)");
    let out = socform(&moto, &["destroy", bp, "--state", url, "--auto-approve", "-q"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
}
