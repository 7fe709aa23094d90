//! `--accounts POOL.yaml`: one command, once per account of a pool, a lab in each.
//!
//! A class gets a lab per student, each in an account of its own (accounts are recycled, not
//! closed). Each account's run is this same program run again as a child process, with the
//! pool's role for that account (`--role-arn`) and a state file of its own: a child that
//! fails, hangs up or is killed touches no other account's run, and each run is exactly the
//! single-account command, with every check it makes (the state pinned to its account, the
//! blueprint's `allowed_accounts`). Children run `--parallel-accounts` at a time; each one's
//! output goes to a log beside its state, and the summary says which account failed and why.
//! The first Ctrl-C or SIGTERM starts no new account and is passed on to the running ones,
//! which stop as a single run does.
//!
//! The pool file says where to look, never what to trust: a role ARN must name the account
//! it is listed for (a role in another account would put that account's lab under this
//! one's name), and each account appears once.

use std::collections::BTreeSet;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context, Result};
use serde::Deserialize;

/// A pool of accounts and the role that reaches each.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Pool {
    /// The role to assume in each account, by name (an organization's member accounts
    /// have `OrganizationAccountAccessRole`), unless an account names its own `role_arn`.
    #[serde(default = "default_role")]
    pub role: String,
    /// The environment variable holding the external id the roles' trust policies ask for
    /// (never written in the file, never printed).
    pub external_id_env: Option<String>,
    pub accounts: Vec<Account>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Account {
    /// The 12-digit account id.
    pub id: String,
    /// Who or what it is for (`student-01`): the summary's label.
    pub name: Option<String>,
    /// The role to assume there, if not the pool's `role`.
    pub role_arn: Option<String>,
}

fn default_role() -> String {
    "OrganizationAccountAccessRole".into()
}

/// An account as the summary names it: `student-01 (111111111111)`, or its id.
fn label(id: &str, name: Option<&str>) -> String {
    match name {
        Some(n) => format!("{n} ({id})"),
        None => id.to_string(),
    }
}

impl Pool {
    /// Reads and checks a pool file: ids of 12 digits, each once; names once; a role ARN of
    /// the account it is listed for.
    pub fn load(path: &Path) -> Result<Pool> {
        let text = std::fs::read_to_string(path).with_context(|| format!("reading the pool {}", path.display()))?;
        let pool: Pool =
            serde_saphyr::from_str(&text).map_err(|e| anyhow!("{}: not a pool of accounts: {e}", path.display()))?;
        if pool.accounts.is_empty() {
            bail!("{}: the pool lists no accounts", path.display());
        }
        let (mut ids, mut names) = (BTreeSet::new(), BTreeSet::new());
        for a in &pool.accounts {
            if a.id.len() != 12 || !a.id.bytes().all(|b| b.is_ascii_digit()) {
                bail!("{}: `{}` is not an AWS account id (12 digits)", path.display(), a.id);
            }
            if !ids.insert(&a.id) {
                bail!("{}: account {} is listed twice: one lab per account", path.display(), a.id);
            }
            if let Some(n) = &a.name {
                if !names.insert(n) {
                    bail!("{}: the name `{n}` is given to two accounts", path.display());
                }
            }
            if let Some(arn) = &a.role_arn {
                let account = arn.strip_prefix("arn:").and_then(|r| r.split(':').nth(3));
                if account != Some(a.id.as_str()) || !arn.contains(":role/") {
                    bail!(
                        "{}: account {}: `{arn}` is not a role of that account (a role elsewhere would put another account's lab under this one's name)",
                        path.display(),
                        a.id
                    );
                }
            }
        }
        Ok(pool)
    }

    pub fn role_arn(&self, a: &Account) -> String {
        a.role_arn.clone().unwrap_or_else(|| format!("arn:aws:iam::{}:role/{}", a.id, self.role))
    }
}

/// One account's run, as the summary tells it.
#[derive(Debug)]
pub struct Outcome {
    pub id: String,
    pub name: Option<String>,
    pub code: Option<i32>,
    pub took: Duration,
    pub log: PathBuf,
    /// The run's last error line, for a failed run.
    pub why: Option<String>,
    pub stdout: String,
}

impl Outcome {
    pub fn label(&self) -> String {
        label(&self.id, self.name.as_deref())
    }
}

/// This program's arguments without the pool's own (`--accounts`, `--parallel-accounts`)
/// and without `--state` (each account's run gets its own).
pub fn child_args(args: &[OsString]) -> Vec<OsString> {
    let mut out = Vec::new();
    let mut skip = false;
    for a in args {
        if skip {
            skip = false;
            continue;
        }
        let s = a.to_string_lossy();
        let takes_value = ["--accounts", "--parallel-accounts", "--state"];
        if takes_value.contains(&s.as_ref()) {
            skip = true;
            continue;
        }
        if takes_value.iter().any(|f| s.starts_with(&format!("{f}="))) {
            continue;
        }
        out.push(a.clone());
    }
    out
}

/// Runs `args` once per account of `pool`, `parallel` at a time, each with the account's role
/// and the state file `dir/ACCOUNT.json` (what it prints in `dir/ACCOUNT.out` and
/// `dir/ACCOUNT.log`). Once `stop` is set (the first Ctrl-C or SIGTERM) no account is started,
/// and each running one is sent SIGINT once: it stops as a single run does, saving what is
/// in flight.
pub fn run_all(pool: &Pool, args: &[OsString], dir: &Path, parallel: usize, stop: &AtomicBool) -> Result<Vec<Outcome>> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let exe = std::env::current_exe().context("finding this program to run it per account")?;
    let external_id = match &pool.external_id_env {
        Some(var) => Some(
            std::env::var(var).map_err(|_| anyhow!("the pool's external id is read from ${var}, which is not set"))?,
        ),
        None => None,
    };
    let next = Mutex::new(0usize);
    let outcomes: Mutex<Vec<(usize, Outcome)>> = Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for _ in 0..parallel.clamp(1, pool.accounts.len()) {
            s.spawn(|| loop {
                let i = {
                    let mut n = next.lock().unwrap();
                    let i = *n;
                    *n += 1;
                    i
                };
                let Some(a) = pool.accounts.get(i) else { break };
                let outcome = if stop.load(Ordering::SeqCst) {
                    Outcome {
                        id: a.id.clone(),
                        name: a.name.clone(),
                        code: None,
                        took: Duration::ZERO,
                        log: dir.join(format!("{}.log", a.id)),
                        why: Some("not started: stopped by a signal".into()),
                        stdout: String::new(),
                    }
                } else {
                    run_one(&exe, args, pool, a, dir, external_id.as_deref(), stop)
                };
                outcomes.lock().unwrap().push((i, outcome));
            });
        }
    });
    let mut all = outcomes.into_inner().unwrap();
    all.sort_by_key(|(i, _)| *i);
    Ok(all.into_iter().map(|(_, o)| o).collect())
}

fn run_one(
    exe: &Path,
    args: &[OsString],
    pool: &Pool,
    a: &Account,
    dir: &Path,
    external_id: Option<&str>,
    stop: &AtomicBool,
) -> Outcome {
    let (out_path, log) = (dir.join(format!("{}.out", a.id)), dir.join(format!("{}.log", a.id)));
    let start = Instant::now();
    let failed = |why: String| Outcome {
        id: a.id.clone(),
        name: a.name.clone(),
        code: None,
        took: start.elapsed(),
        log: log.clone(),
        why: Some(why),
        stdout: String::new(),
    };
    let (out_file, log_file) = match (std::fs::File::create(&out_path), std::fs::File::create(&log)) {
        (Ok(o), Ok(l)) => (o, l),
        (Err(e), _) | (_, Err(e)) => return failed(format!("could not write its output in {}: {e}", dir.display())),
    };
    let mut cmd = std::process::Command::new(exe);
    cmd.args(args)
        .arg("--state")
        .arg(dir.join(format!("{}.json", a.id)))
        .arg("--role-arn")
        .arg(pool.role_arn(a))
        .arg("--role-session-name")
        .arg(format!("socform-{}", a.name.as_deref().unwrap_or(&a.id)))
        .env_remove("SOCFORM_ROLE_ARN")
        .env_remove("SOCFORM_EXTERNAL_ID")
        .stdin(std::process::Stdio::null())
        .stdout(out_file)
        .stderr(log_file);
    if let Some(x) = external_id {
        // Through the environment, so that no process listing shows it.
        cmd.env("SOCFORM_EXTERNAL_ID", x);
    }
    let mut child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => return failed(format!("could not run {}: {e}", exe.display())),
    };
    let mut told = false;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break Some(status),
            Ok(None) => {}
            Err(_) => break None,
        }
        if !told && stop.load(Ordering::SeqCst) {
            told = true;
            if let Ok(pid) = i32::try_from(child.id()) {
                // SAFETY: kill(2) with a child's pid and a signal number; no memory is shared.
                unsafe { libc::kill(pid, libc::SIGINT) };
            }
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let took = start.elapsed();
    let code = status.and_then(|s| s.code());
    let stdout = std::fs::read_to_string(&out_path).unwrap_or_default();
    let stderr = std::fs::read_to_string(&log).unwrap_or_default();
    let why = (code != Some(0)).then(|| {
        stderr
            .lines()
            .rev()
            .find(|l| l.trim_start().starts_with("error") || l.contains('×'))
            .or_else(|| stderr.lines().rev().find(|l| !l.trim().is_empty()))
            .unwrap_or("it ended without saying why (killed?)")
            .trim()
            .trim_start_matches("error:")
            .trim()
            .to_string()
    });
    Outcome { id: a.id.clone(), name: a.name.clone(), code, took, log, why, stdout }
}

/// A pool's JSON output, written by serde_json: each account with its exit code and what its
/// run printed, read as JSON (one document, or one per line for `--json` event streams), or
/// as text where it is not JSON.
pub fn json_report(command: &str, outcomes: &[Outcome]) -> String {
    let accounts: Vec<serde_json::Value> = outcomes
        .iter()
        .map(|o| {
            let text = o.stdout.trim();
            let output = serde_json::from_str::<serde_json::Value>(text).ok().or_else(|| {
                let lines: Option<Vec<serde_json::Value>> =
                    text.lines().filter(|l| !l.trim().is_empty()).map(|l| serde_json::from_str(l).ok()).collect();
                lines.filter(|l| !l.is_empty()).map(serde_json::Value::Array)
            });
            serde_json::json!({
                "id": o.id,
                "name": o.name,
                "exit_code": o.code,
                "seconds": (o.took.as_secs_f64() * 10.0).round() / 10.0,
                "error": o.why,
                "output": output.unwrap_or_else(|| serde_json::Value::String(o.stdout.clone())),
            })
        })
        .collect();
    serde_json::to_string_pretty(
        &serde_json::json!({ "format_version": "1", "command": command, "accounts": accounts }),
    )
    .expect("JSON values serialise")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pool(text: &str) -> Result<Pool> {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("pool.yaml");
        std::fs::write(&p, text).unwrap();
        Pool::load(&p)
    }

    #[test]
    fn a_pool_names_each_account_once_with_a_role_of_its_own_account() {
        let ok = pool("accounts:\n  - { id: \"111111111111\", name: s1 }\n  - { id: \"222222222222\", role_arn: \"arn:aws:iam::222222222222:role/Lab\" }\n").unwrap();
        assert_eq!(ok.role_arn(&ok.accounts[0]), "arn:aws:iam::111111111111:role/OrganizationAccountAccessRole");
        assert_eq!(ok.role_arn(&ok.accounts[1]), "arn:aws:iam::222222222222:role/Lab");
        for (text, says) in [
            ("accounts: []\n", "lists no accounts"),
            ("accounts:\n  - { id: \"12345\" }\n", "is not an AWS account id"),
            ("accounts:\n  - { id: \"111111111111\" }\n  - { id: \"111111111111\" }\n", "listed twice"),
            (
                "accounts:\n  - { id: \"111111111111\", name: a }\n  - { id: \"222222222222\", name: a }\n",
                "given to two accounts",
            ),
            (
                "accounts:\n  - { id: \"111111111111\", role_arn: \"arn:aws:iam::999999999999:role/Lab\" }\n",
                "is not a role of that account",
            ),
            ("accounts:\n  - { id: \"111111111111\", rol: x }\n", "not a pool of accounts"),
        ] {
            let err = pool(text).unwrap_err().to_string();
            assert!(err.contains(says), "{text}: {err}");
        }
    }

    #[test]
    fn the_pools_own_flags_and_the_state_are_left_out_of_each_accounts_run() {
        let args: Vec<OsString> = [
            "apply",
            "lab.yaml",
            "--accounts",
            "p.yaml",
            "--parallel-accounts=3",
            "--state",
            "s.json",
            "--auto-approve",
        ]
        .iter()
        .map(OsString::from)
        .collect();
        let got: Vec<String> = child_args(&args).iter().map(|a| a.to_string_lossy().into_owned()).collect();
        assert_eq!(got, ["apply", "lab.yaml", "--auto-approve"]);
    }
}
