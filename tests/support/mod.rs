//! Test support: a moto_server of the test's own, on a free port, stopped when dropped, and
//! a latency and fault-injecting proxy in front of it.

#![allow(dead_code)]

pub mod proxy;

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

/// The moto_server binary: `SOCFORM_MOTO_SERVER`, else `.venv/bin/moto_server` (what
/// `scripts/test.sh` installs), else `moto_server` on the PATH.
pub fn moto_binary() -> PathBuf {
    if let Ok(p) = std::env::var("SOCFORM_MOTO_SERVER") {
        return PathBuf::from(p);
    }
    let venv = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(".venv/bin/moto_server");
    if venv.exists() {
        return venv;
    }
    PathBuf::from("moto_server")
}

/// The Python next to moto (it has boto3), for independent checks.
pub fn python() -> PathBuf {
    let moto = moto_binary();
    match moto.parent() {
        Some(dir) if dir.join("python").exists() => dir.join("python"),
        _ => PathBuf::from("python3"),
    }
}

pub struct Moto {
    child: Child,
    pub port: u16,
}

impl Moto {
    /// Starts a server and waits until it answers (at most 30 s).
    pub fn start() -> Moto {
        let port = {
            let l = TcpListener::bind("127.0.0.1:0").expect("a free port");
            l.local_addr().unwrap().port()
        };
        let child = Command::new(moto_binary())
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .env("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                panic!("cannot start {}: {e} (run scripts/test.sh, which installs moto)", moto_binary().display())
            });
        let m = Moto { child, port };
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(30) {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() && m.get("/moto-api/").is_some() {
                return m;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("moto_server did not answer on port {port} within 30 s");
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn get(&self, path: &str) -> Option<String> {
        use std::io::{Read, Write};
        let mut s = std::net::TcpStream::connect(("127.0.0.1", self.port)).ok()?;
        s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
        write!(s, "GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n").ok()?;
        let mut out = String::new();
        s.read_to_string(&mut out).ok()?;
        out.starts_with("HTTP/1.").then_some(out)
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The test credentials, and no profile, config file or instance metadata to fall back on:
/// what every child talking to moto gets ([`aws_env`]), and this process too
/// ([`library_env`]).
const CREDENTIALS: &[(&str, &str)] = &[
    ("AWS_ACCESS_KEY_ID", "testing"),
    ("AWS_SECRET_ACCESS_KEY", "testing"),
    ("AWS_CONFIG_FILE", "/dev/null"),
    ("AWS_SHARED_CREDENTIALS_FILE", "/dev/null"),
    ("AWS_EC2_METADATA_DISABLED", "true"),
];

/// Environment for talking to a moto server and nothing else.
pub fn aws_env(cmd: &mut Command, moto: &Moto) {
    cmd.env("AWS_ENDPOINT_URL", moto.url())
        .envs(CREDENTIALS.iter().copied())
        .env("SOCFORM_DEPENDENCY_WAIT_SECONDS", "4")
        // moto has no Security Hub standards API (BatchEnableStandards answers 404):
        // soc-reference.yaml enables none against it. tests/it/findings.rs proves the standards
        // calls against hand-written AWS answers.
        .env("SOCFORM_VAR_securityhub_standards", "")
        // Nor Logs Insights query definitions: soc-reference.yaml saves none against it;
        // tests/it/findings.rs proves them against hand-written answers.
        .env("SOCFORM_VAR_investigation_queries", "false")
        .env("NO_COLOR", "1")
        .env_remove("AWS_PROFILE");
}

/// The test credentials in this process's environment, for the parts that call the AWS
/// provider from the library (which reads them as the CLI does). Set once: all parts share
/// one process, and the values are the ones every socform child gets from [`aws_env`].
pub fn library_env() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        for (k, v) in CREDENTIALS {
            std::env::set_var(k, v);
        }
    });
}

/// Runs tests/support/aws_tool.py (boto3, independent of socform) and returns its stdout.
pub fn aws_tool(moto: &Moto, region: &str, args: &[&str]) -> String {
    run_aws_tool(moto, region, None, args)
}

/// `aws_tool` in a member account of the organization (through its
/// OrganizationAccountAccessRole).
#[allow(dead_code)]
pub fn aws_tool_in(moto: &Moto, account: &str, args: &[&str]) -> String {
    run_aws_tool(moto, "us-east-1", Some(account), args)
}

fn run_aws_tool(moto: &Moto, region: &str, account: Option<&str>, args: &[&str]) -> String {
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/support/aws_tool.py");
    let mut cmd = Command::new(python());
    cmd.arg(script).arg(moto.url()).arg(region).args(args);
    aws_env(&mut cmd, moto);
    if let Some(a) = account {
        cmd.env("SOCFORM_TOOL_ACCOUNT", a);
    }
    let out = cmd.output().expect("python runs");
    let place = account.map(|a| format!(" in {a}")).unwrap_or_default();
    assert!(out.status.success(), "aws_tool {args:?}{place} failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

/// One moto server and a folder for a blueprint copy and its state: what every
/// integration test of a lab starts from.
pub struct Lab {
    pub moto: Moto,
    pub dir: tempfile::TempDir,
    /// The blueprint of a lab made with [`Lab::with_fixture`], which `cmd` and `run` name.
    pub bp: PathBuf,
}

impl Lab {
    pub fn new() -> Lab {
        Lab { moto: Moto::start(), dir: tempfile::tempdir().unwrap(), bp: PathBuf::new() }
    }

    /// A lab with a copy of a fixture blueprint (and its scripts) as its blueprint.
    pub fn with_fixture(fixture: &str) -> Lab {
        let mut lab = Lab::new();
        lab.bp = PathBuf::from(lab.blueprint(fixture, |s| s));
        lab
    }

    /// socform on the lab's blueprint against `endpoint` (a proxy, or moto itself).
    pub fn cmd(&self, endpoint: &str, args: &[&str]) -> Command {
        let mut c = Command::new(assert_cmd::cargo::cargo_bin("socform"));
        aws_env(&mut c, &self.moto);
        c.env("AWS_ENDPOINT_URL", endpoint).args(args).arg(&self.bp).arg("--state").arg(self.state_path());
        c
    }

    pub fn run(&self, endpoint: &str, args: &[&str]) -> Output {
        self.cmd(endpoint, args).output().unwrap()
    }

    pub fn state_len(&self) -> usize {
        self.state()["resources"].as_object().unwrap().len()
    }

    pub fn lock(&self) -> PathBuf {
        PathBuf::from(format!("{}.lock", self.state_path().display()))
    }

    /// Resources tagged for `every-kind` (boto3) whose ids state does not record, among the
    /// kinds whose boto3 id is socform's physical id.
    pub fn made_but_unrecorded(&self) -> usize {
        let recorded: std::collections::BTreeSet<String> = std::fs::read_to_string(self.state_path())
            .ok()
            .and_then(|t| serde_json::from_str::<Value>(&t).ok())
            .map(|s| {
                s["resources"].as_object().unwrap().values().map(|r| r["id"].as_str().unwrap().to_string()).collect()
            })
            .unwrap_or_default();
        let comparable = [
            "vpc",
            "subnet",
            "internet-gateway",
            "route-table",
            "network-acl",
            "security-group",
            "security-group-rule",
            "vpc-flow-log",
            "instance",
            "role",
            "bucket",
            "log-group",
            "alarm",
            "topic",
        ];
        self.owned("every-kind")
            .iter()
            .filter(|i| comparable.contains(&i["type"].as_str().unwrap()))
            .filter(|i| !recorded.contains(i["id"].as_str().unwrap()))
            .count()
    }

    pub fn state_path(&self) -> std::path::PathBuf {
        self.dir.path().join("state.json")
    }

    pub fn socform(&self, args: &[&str]) -> Output {
        let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("socform"));
        aws_env(&mut cmd, &self.moto);
        cmd.args(args).arg("--state").arg(self.state_path());
        cmd.output().unwrap()
    }

    /// socform run in the lab's folder with no `--state`: each blueprint's state is
    /// `state/NAME.json` there, as for a person at a shell.
    pub fn here(&self, args: &[&str]) -> Output {
        let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("socform"));
        aws_env(&mut cmd, &self.moto);
        cmd.current_dir(self.dir.path()).args(args).output().unwrap()
    }

    /// Runs socform with extra environment (another account's credentials, say).
    pub fn socform_env(&self, args: &[&str], env: &[(&str, &str)]) -> Output {
        let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("socform"));
        aws_env(&mut cmd, &self.moto);
        cmd.envs(env.iter().copied());
        cmd.args(args).arg("--state").arg(self.state_path());
        cmd.output().unwrap()
    }

    /// Writes a blueprint into the lab folder.
    pub fn write(&self, name: &str, text: &str) -> String {
        let p = self.dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        p.to_str().unwrap().to_string()
    }

    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.socform(args);
        assert!(out.status.success(), "socform {args:?} failed:\n{}\n{}", text(&out.stdout), text(&out.stderr));
        text(&out.stdout)
    }

    pub fn plan_json(&self, blueprint: &str) -> Value {
        serde_json::from_str(&self.ok(&["plan", blueprint, "--format", "json"])).unwrap()
    }

    pub fn state(&self) -> Value {
        serde_json::from_str(&std::fs::read_to_string(self.state_path()).unwrap()).unwrap()
    }

    pub fn id(&self, address: &str) -> String {
        self.state()["resources"][address]["id"]
            .as_str()
            .unwrap_or_else(|| panic!("{address} not in state"))
            .to_string()
    }

    /// Everything of every kind socform makes, listed by boto3 with no filter: compare it
    /// before and after to see exactly what a command made, changed or left.
    /// boto3's inventory of the account, but for KMS keys pending deletion (AWS deletes none
    /// at once: a destroyed key waits seven days at the least, and is not left behind);
    /// [`Lab::pending_keys`] lists those.
    pub fn inventory(&self) -> std::collections::BTreeSet<String> {
        let all: std::collections::BTreeSet<String> =
            serde_json::from_str(&aws_tool(&self.moto, "us-east-1", &["inventory"])).unwrap();
        all.into_iter().filter(|l| !l.starts_with("kms-key-pending-deletion ")).collect()
    }

    /// The KMS keys pending deletion, by id.
    pub fn pending_keys(&self) -> std::collections::BTreeSet<String> {
        let all: std::collections::BTreeSet<String> =
            serde_json::from_str(&aws_tool(&self.moto, "us-east-1", &["inventory"])).unwrap();
        all.iter().filter_map(|l| l.strip_prefix("kms-key-pending-deletion ")).map(str::to_string).collect()
    }

    pub fn owned(&self, blueprint: &str) -> Vec<Value> {
        serde_json::from_str(&aws_tool(&self.moto, "us-east-1", &["list", blueprint])).unwrap()
    }

    /// The reference SOC (blueprints/soc-reference.yaml: 143 resources with the inputs the
    /// tests set, hosts, a trail, 41 detections, AWS Config, GuardDuty, Security Hub) with its scripts and
    /// response functions, as the lab's blueprint.
    #[allow(dead_code)]
    pub fn reference(&mut self) {
        let original = std::fs::read_to_string("blueprints/soc-reference.yaml").unwrap();
        self.bp = PathBuf::from(self.write("soc-reference.yaml", &original));
        let scripts = self.dir.path().join("scripts");
        std::fs::create_dir_all(&scripts).unwrap();
        for s in std::fs::read_dir("blueprints/scripts").unwrap() {
            let s = s.unwrap().path();
            std::fs::copy(&s, scripts.join(s.file_name().unwrap())).unwrap();
        }
        copy_tree(Path::new("blueprints/responses"), &self.dir.path().join("responses"));
    }

    /// Copies a fixture blueprint (and its scripts) into the lab, optionally edited.
    pub fn blueprint(&self, fixture: &str, edit: impl Fn(String) -> String) -> String {
        let src = Path::new("tests/fixtures").join(fixture);
        let dst = self.dir.path().join(fixture);
        std::fs::write(&dst, edit(std::fs::read_to_string(src).unwrap())).unwrap();
        let scripts = self.dir.path().join("scripts");
        std::fs::create_dir_all(&scripts).unwrap();
        std::fs::copy("tests/fixtures/scripts/hello.sh", scripts.join("hello.sh")).unwrap();
        let echo = self.dir.path().join("responses/echo");
        std::fs::create_dir_all(&echo).unwrap();
        std::fs::copy("tests/fixtures/responses/echo/handler.py", echo.join("handler.py")).unwrap();
        dst.to_str().unwrap().to_string()
    }
}

pub fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Text without whitespace and the diagnostic frame's `│`: a message wrapped by the
/// diagnostic renderer (which also breaks after hyphens) still contains what it said.
#[allow(dead_code)]
pub fn squash(s: &str) -> String {
    s.chars().filter(|c| !c.is_whitespace() && *c != '│').collect()
}

/// Copies a folder and everything in it (the response functions beside a blueprint).
#[allow(dead_code)]
pub fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap().path();
        let target = to.join(e.file_name().unwrap());
        if e.is_dir() {
            copy_tree(&e, &target);
        } else if e.extension().is_none_or(|x| x != "pyc") {
            std::fs::copy(&e, &target).unwrap();
        }
    }
}

/// What `-v` printed after `prefix`: "N API calls (service n, ...)", as (N, "service n, ...").
pub fn api_calls(stderr: &str, prefix: &str) -> (u64, String) {
    let line =
        stderr.lines().find_map(|l| l.strip_prefix(prefix)).unwrap_or_else(|| panic!("no {prefix:?} in {stderr}"));
    let (n, rest) = line.split_once(" API calls (").unwrap_or_else(|| panic!("no call count in {line}"));
    (n.parse().unwrap(), rest.trim_end_matches(')').to_string())
}

/// Debian's Chromium (scripts/tools.sh installs it for the suite): the real browser pages
/// and diagrams are checked in.
#[allow(dead_code)]
pub fn chromium() -> PathBuf {
    let p = PathBuf::from(std::env::var("SOCFORM_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into()));
    assert!(p.exists(), "{} is missing: scripts/test.sh installs it (Debian: apt-get install chromium)", p.display());
    p
}

/// Chromium, headless and cut off from the network as the machine is, with a fresh profile
/// in `dir`; `--enable-logging=stderr` puts the page's console messages on stderr.
#[allow(dead_code)]
pub fn browse(dir: &Path, args: &[&str]) -> Output {
    let profile = tempfile::tempdir_in(dir).unwrap();
    Command::new(chromium())
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--enable-logging=stderr",
            "--v=0",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(args)
        .output()
        .unwrap()
}

/// Parses each `(name, text)` with Mermaid itself (the pinned npm package scripts/tools.sh
/// installs), in Chromium: name -> `ok` or Mermaid's error.
#[allow(dead_code)]
pub fn mermaid_parse(diagrams: &[(String, String)]) -> std::collections::BTreeMap<String, String> {
    let js = PathBuf::from(std::env::var("SOCFORM_MERMAID").unwrap_or_else(|_| {
        format!("{}/.venv/node/node_modules/mermaid/dist/mermaid.min.js", env!("CARGO_MANIFEST_DIR"))
    }));
    assert!(js.exists(), "{} is missing: scripts/test.sh installs it (npm install mermaid)", js.display());
    let dir = tempfile::tempdir().unwrap();
    let texts: serde_json::Map<String, Value> =
        diagrams.iter().map(|(n, t)| (n.clone(), Value::String(t.clone()))).collect();
    // JSON inside a <script>: "</" written as "<\/" (the same string to JSON) ends nothing.
    let data = serde_json::to_string(&texts).unwrap().replace("</", "<\\/");
    let page = format!(
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><script src=\"file://{}\"></script></head><body><pre id=\"out\">pending</pre><script>\nconst texts = {data};\nmermaid.initialize({{startOnLoad: false}});\n(async () => {{ const r = {{}}; for (const [n, t] of Object.entries(texts)) {{ try {{ await mermaid.parse(t); r[n] = 'ok'; }} catch (e) {{ r[n] = 'error: ' + (e.message || e); }} }} document.getElementById('out').textContent = JSON.stringify(r); }})();\n</script></body></html>",
        js.display()
    );
    let file = dir.path().join("check.html");
    std::fs::write(&file, page).unwrap();
    let out = browse(
        dir.path(),
        &[
            "--virtual-time-budget=20000",
            "--allow-file-access-from-files",
            "--dump-dom",
            &format!("file://{}", file.display()),
        ],
    );
    let dom = text(&out.stdout);
    let start = dom.find("<pre id=\"out\">").unwrap_or_else(|| panic!("no result in {dom}\n{}", text(&out.stderr)))
        + "<pre id=\"out\">".len();
    let result = &dom[start..start + dom[start..].find("</pre>").unwrap()];
    let result = result.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", "\"").replace("&amp;", "&");
    serde_json::from_str(&result).unwrap_or_else(|e| panic!("Mermaid did not finish ({e}): {result}"))
}

/// An apply through `proxy`, killed with SIGKILL while the proxy holds the first request
/// containing `needle`: before it reaches AWS (`before`) or after AWS acted on it, its
/// answer not yet given. A kill placed at one call, not left to the clock.
pub fn apply_killed_at(lab: &Lab, proxy: &proxy::Proxy, needle: &'static str, before: bool) {
    proxy.hold(proxy::Hold { needle, times: 1, delay: Duration::from_secs(60), before });
    let mut child = lab
        .cmd(&proxy.url(), &["apply", "--auto-approve", "-q"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while proxy.stats.holding.load(std::sync::atomic::Ordering::SeqCst) == 0 {
        assert!(start.elapsed() < Duration::from_secs(60), "{needle} was never sent");
        std::thread::sleep(Duration::from_millis(10));
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
}

/// Runs the pinned prowler (SOCFORM_PROWLER) against `lab`'s moto with `args` after `aws`,
/// and reads its OCSF findings.
pub fn prowler_findings(lab: &Lab, args: &[&str]) -> Vec<Value> {
    let prowler = std::env::var("SOCFORM_PROWLER")
        .expect("SOCFORM_PROWLER names the prowler command (scripts/test.sh installs prowler and sets it)");
    let out_dir = lab.dir.path().join("prowler");
    let mut cmd = Command::new(&prowler);
    aws_env(&mut cmd, &lab.moto);
    let run = cmd
        .arg("aws")
        .args(args)
        .args(["-f", "us-east-1", "--output-formats", "json-ocsf", "--no-banner", "-o"])
        .arg(&out_dir)
        .env("AWS_DEFAULT_REGION", "us-east-1")
        .output()
        .unwrap_or_else(|e| panic!("cannot run {prowler}: {e}"));
    // prowler exits 3 when a check fails: the findings say which.
    let file = std::fs::read_dir(&out_dir)
        .unwrap_or_else(|e| panic!("prowler wrote nothing ({e}):\n{}\n{}", text(&run.stdout), text(&run.stderr)))
        .map(|e| e.unwrap().path())
        .find(|p| p.to_string_lossy().ends_with(".ocsf.json"))
        .expect("prowler's OCSF findings");
    serde_json::from_str(&std::fs::read_to_string(file).unwrap()).unwrap()
}
