//! A lab per account of a pool (issue 27, its class half): `--accounts POOL.yaml` runs the
//! command once per account, through the account's role, each with its own state; a failed
//! account stops no other. Checked with boto3 inside each member account (moto serves
//! Organizations and AssumeRole into member accounts, each account's resources apart).

use serde_json::Value;

use crate::support::*;

const LAB: &str = "blueprint: class-lab\nregion: us-east-1\nallowed_accounts: [ALLOWED]\nnetwork:\n  vpc: { cidr: 10.9.0.0/16 }\n  subnets:\n    a: { cidr: 10.9.0.0/24, az: us-east-1a }\nlog_groups:\n  app: { retention_days: 7 }\n";

/// An organization of `n` member accounts and `pool.yaml` listing them as student-0, ...
fn class(lab: &Lab, n: usize) -> Vec<String> {
    let ids: Vec<String> =
        serde_json::from_str(&aws_tool(&lab.moto, "us-east-1", &["create-org", &n.to_string()])).unwrap();
    let pool = ids
        .iter()
        .enumerate()
        .map(|(i, id)| format!("  - {{ id: \"{id}\", name: student-{i} }}\n"))
        .collect::<String>();
    lab.write("pool.yaml", &format!("accounts:\n{pool}"));
    ids
}

fn vpcs_in(lab: &Lab, account: &str) -> usize {
    aws_tool_in(&lab.moto, account, &["list", "class-lab"]).matches("\"type\": \"vpc\"").count()
}

/// Three member accounts of an organization; the blueprint allows two. The class's apply
/// makes the lab in those two (boto3 finds it there, each with its own state, and nowhere
/// else: not in the management account) and says why the third failed, without touching it;
/// `ls` across the pool lists each account's lab; destroy empties the two and again refuses
/// the third.
#[test]
fn a_class_gets_a_lab_per_account_and_a_refused_account_stops_no_other() {
    let lab = Lab::new();
    let ids = class(&lab, 3);
    let allowed = format!("\"{}\", \"{}\"", ids[0], ids[1]);
    lab.write("lab.yaml", &LAB.replace("ALLOWED", &allowed));
    let management_before = lab.inventory();

    let out = lab.here(&["apply", "lab.yaml", "--accounts", "pool.yaml", "--auto-approve", "--parallel-accounts", "3"]);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains(&format!("ok      student-0 ({})", ids[0])), "{err}");
    assert!(err.contains(&format!("ok      student-1 ({})", ids[1])), "{err}");
    assert!(
        err.contains(&format!("student-2 ({}) failed", ids[2]))
            && err.contains("is not in the blueprint's allowed_accounts"),
        "{err}"
    );
    assert!(err.contains("apply: 2 of 3 account(s) ok, 1 failed"), "{err}");
    for (id, want) in [(&ids[0], 1), (&ids[1], 1), (&ids[2], 0)] {
        assert_eq!(vpcs_in(&lab, id), want, "account {id}");
    }
    assert_eq!(lab.inventory(), management_before, "the management account was changed");
    // Each account's state is its own, pinned to its account.
    for id in &ids[..2] {
        let state: Value = serde_json::from_str(
            &std::fs::read_to_string(lab.dir.path().join(format!("state/lab-accounts/{id}.json"))).unwrap(),
        )
        .unwrap();
        let vpc = state["resources"]["vpc.main"]["id"].as_str().unwrap().to_string();
        assert!(aws_tool_in(&lab.moto, id, &["list", "class-lab"]).contains(&vpc), "{id}");
    }

    let out = lab.here(&["ls", "--accounts", "pool.yaml"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let listed = text(&out.stdout);
    for (i, id) in ids.iter().enumerate().take(2) {
        assert!(listed.contains(&format!("== student-{i} ({id})\nBLUEPRINT")), "{listed}");
    }
    assert_eq!(listed.matches("class-lab").count(), 2, "{listed}");
    // As JSON: one document, each account with its exit code and its run's own JSON.
    let out = lab.here(&["ls", "--accounts", "pool.yaml", "--format", "json"]);
    let doc: Value = serde_json::from_slice(&out.stdout).expect("one JSON document");
    let accounts = doc["accounts"].as_array().unwrap();
    assert_eq!(accounts.len(), 3, "{doc:#}");
    for (i, a) in accounts.iter().enumerate() {
        assert_eq!(a["id"], ids[i].as_str(), "{doc:#}");
        assert_eq!(a["exit_code"], 0, "{doc:#}");
        let labs = a["output"]["labs"].as_array().unwrap_or_else(|| panic!("{doc:#}"));
        assert_eq!(labs.len(), usize::from(i < 2), "{doc:#}");
    }

    // Priced per account: each lab's cost, in one JSON document.
    let out = lab.here(&["cost", "lab.yaml", "--accounts", "pool.yaml", "--format", "json"]);
    let doc: Value = serde_json::from_slice(&out.stdout).expect("one JSON document");
    for a in doc["accounts"].as_array().unwrap() {
        assert_eq!(a["output"]["currency"], "USD", "{doc:#}");
        assert!(a["output"]["resources"].as_array().is_some_and(|r| !r.is_empty()), "{doc:#}");
    }

    // Reaped by name across the pool: both labs to nothing, the third account untouched.
    let out = lab.here(&["reap", "class-lab", "--yes", "--accounts", "pool.yaml"]);
    let err = text(&out.stderr);
    assert!(err.contains("reap: 3 of 3 account(s) ok"), "{err}");
    for id in &ids {
        assert_eq!(vpcs_in(&lab, id), 0, "account {id}");
        assert_eq!(aws_tool_in(&lab.moto, id, &["list", "class-lab"]).trim(), "[]", "account {id}");
    }
    // Destroy then finds nothing left to delete, and still refuses the account it never allowed.
    let out = lab.here(&["destroy", "lab.yaml", "--accounts", "pool.yaml", "--auto-approve"]);
    let err = text(&out.stderr);
    assert!(err.contains("destroy: 2 of 3 account(s) ok, 1 failed"), "{err}");
}

/// The pool file says where to look, never what to trust: a role in another account than
/// the one it is listed for is refused before anything runs; so is a pool without
/// `--auto-approve`.
#[test]
fn a_pool_naming_another_accounts_role_is_refused_before_anything_runs() {
    let lab = Lab::new();
    let ids: Vec<String> = serde_json::from_str(&aws_tool(&lab.moto, "us-east-1", &["create-org", "2"])).unwrap();
    lab.write(
        "pool.yaml",
        &format!(
            "accounts:\n  - {{ id: \"{}\", role_arn: \"arn:aws:iam::{}:role/OrganizationAccountAccessRole\" }}\n",
            ids[0], ids[1]
        ),
    );
    lab.write("lab.yaml", &LAB.replace("allowed_accounts: [ALLOWED]\n", ""));
    let out = lab.here(&["apply", "lab.yaml", "--accounts", "pool.yaml", "--auto-approve"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("is not a role of that account"), "{}", text(&out.stderr));
    let out = lab.here(&["apply", "lab.yaml", "--accounts", "pool.yaml"]);
    assert!(text(&out.stderr).contains("add --auto-approve"), "{}", text(&out.stderr));
    // One saved plan cannot hold a plan per account.
    let out = lab.here(&["plan", "lab.yaml", "--accounts", "pool.yaml", "--out", "p.json"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("a pool makes one per account"), "{}", text(&out.stderr));
    assert!(!lab.dir.path().join("p.json").exists());
    for id in &ids {
        assert_eq!(vpcs_in(&lab, id), 0, "account {id}");
    }
}

/// Ctrl-C in the middle of a class (SIGINT to socform alone, as a terminal's would reach it
/// with its children): no account is started after it, the running one is told and stops as
/// a single apply does (what is in flight finishes and is saved), and the summary says which
/// accounts never started; exit 130. The next apply finishes the class.
#[test]
fn ctrl_c_starts_no_new_account_and_stops_the_running_one_gracefully() {
    use crate::support::proxy::{Faults, Hold, Proxy};
    let lab = Lab::new();
    let ids = class(&lab, 3);
    lab.write("lab.yaml", &LAB.replace("allowed_accounts: [ALLOWED]\n", ""));
    let proxy = Proxy::start(lab.moto.port, std::time::Duration::ZERO, Faults::default(), 1);
    // Held after moto made it, while the run waits for the answer: the VPC exists by then.
    proxy.hold(Hold {
        needle: "Action=CreateSubnet",
        times: 1,
        delay: std::time::Duration::from_secs(4),
        before: false,
    });
    let run_class = |endpoint: &str| {
        let mut c = std::process::Command::new(assert_cmd::cargo::cargo_bin("socform"));
        aws_env(&mut c, &lab.moto);
        c.env("AWS_ENDPOINT_URL", endpoint).current_dir(lab.dir.path()).args([
            "apply",
            "lab.yaml",
            "--accounts",
            "pool.yaml",
            "--auto-approve",
            "--parallel-accounts",
            "1",
        ]);
        c
    };
    let child = run_class(&proxy.url()).stderr(std::process::Stdio::piped()).spawn().unwrap();
    let start = std::time::Instant::now();
    while proxy.stats.holding.load(std::sync::atomic::Ordering::SeqCst) == 0 {
        assert!(start.elapsed() < std::time::Duration::from_secs(60), "CreateSubnet was never sent");
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    let sent = std::process::Command::new("kill").args(["-INT", &child.id().to_string()]).status().unwrap();
    assert!(sent.success());
    let out = child.wait_with_output().unwrap();
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{err}");
    assert!(err.contains(&format!("student-0 ({}) failed", ids[0])) && err.contains("exit 130"), "{err}");
    for (i, id) in ids.iter().enumerate().skip(1) {
        assert!(
            err.contains(&format!("student-{i} ({id}) failed (0.0 s, killed): not started: stopped by a signal")),
            "{err}"
        );
        assert_eq!(vpcs_in(&lab, id), 0, "account {id}");
    }
    // The first account's run saved what it made: its state names the VPC boto3 finds there.
    let state: Value = serde_json::from_str(
        &std::fs::read_to_string(lab.dir.path().join(format!("state/lab-accounts/{}.json", ids[0]))).unwrap(),
    )
    .unwrap();
    let vpc = state["resources"]["vpc.main"]["id"].as_str().expect("the interrupted run saved the VPC").to_string();
    assert!(aws_tool_in(&lab.moto, &ids[0], &["list", "class-lab"]).contains(&vpc));

    let out = run_class(&lab.moto.url()).output().unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    for id in &ids {
        assert_eq!(vpcs_in(&lab, id), 1, "account {id}");
    }
    let out = lab.here(&["destroy", "lab.yaml", "--accounts", "pool.yaml", "--auto-approve"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    for id in &ids {
        assert_eq!(vpcs_in(&lab, id), 0, "account {id}");
    }
}
