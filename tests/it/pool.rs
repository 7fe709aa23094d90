//! A lab per account of a pool (issue 27, its class half): `--accounts POOL.yaml` runs the
//! command once per account, through the account's role, each with its own state; a failed
//! account stops no other. Checked with boto3 inside each member account (moto serves
//! Organizations and AssumeRole into member accounts, each account's resources apart).

use serde_json::Value;

use crate::support::*;

const LAB: &str = "blueprint: class-lab\nregion: us-east-1\nallowed_accounts: [ALLOWED]\nnetwork:\n  vpc: { cidr: 10.9.0.0/16 }\n  subnets:\n    a: { cidr: 10.9.0.0/24, az: us-east-1a }\nlog_groups:\n  app: { retention_days: 7 }\n";

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
    let ids: Vec<String> = serde_json::from_str(&aws_tool(&lab.moto, "us-east-1", &["create-org", "3"])).unwrap();
    let pool = ids
        .iter()
        .enumerate()
        .map(|(i, id)| format!("  - {{ id: \"{id}\", name: student-{i} }}\n"))
        .collect::<String>();
    lab.write("pool.yaml", &format!("accounts:\n{pool}"));
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

    let out = lab.here(&["destroy", "lab.yaml", "--accounts", "pool.yaml", "--auto-approve"]);
    let err = text(&out.stderr);
    assert!(err.contains("destroy: 2 of 3 account(s) ok, 1 failed"), "{err}");
    for id in &ids {
        assert_eq!(vpcs_in(&lab, id), 0, "account {id}");
    }
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
    for id in &ids {
        assert_eq!(vpcs_in(&lab, id), 0, "account {id}");
    }
}
