//! The command line: parses arguments (clap), runs the pipeline, renders results and picks
//! the exit code. This is the only module that prints, and the only one that reads the
//! terminal (colours, progress bars, confirmation).
//!
//! Exit codes: 0 success (with `--detailed-exitcode`: no changes), 1 error, 2 changes present
//! (with `--detailed-exitcode`), 3 reserved for security review findings.

use std::collections::BTreeMap;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{anyhow, bail, Context, Result};
use clap::{Args, Parser, Subcommand, ValueEnum};
use sha2::{Digest, Sha256};

use crate::address::Address;
use crate::blueprint::{self, EnvMode, Loaded};
use crate::diag::{Diagnostic, DiagnosticJson};
use crate::executor::{self, Event, Op};
use crate::graph::Graph;
use crate::model::TAG_CREATED_AT;
use crate::plan::{self, Plan, PlanOptions};
use crate::provider::Provider;
use crate::render::plan as render_plan;
use crate::state::{LocalState, LockInfo, State, StateBackend};

/// Printing that never panics: a closed stdout (`socform plan | head`) or stderr must not
/// kill a run halfway, before it saves state. What cannot be written is dropped.
macro_rules! out {
    ($($t:tt)*) => {{ use std::io::Write as _; let _ = write!(std::io::stdout(), $($t)*); }};
}
macro_rules! outln {
    ($($t:tt)*) => {{ use std::io::Write as _; let _ = writeln!(std::io::stdout(), $($t)*); }};
}
macro_rules! err {
    ($($t:tt)*) => {{ use std::io::Write as _; let _ = write!(std::io::stderr(), $($t)*); }};
}
macro_rules! errln {
    ($($t:tt)*) => {{ use std::io::Write as _; let _ = writeln!(std::io::stderr(), $($t)*); }};
}

// After the printing macros, which it uses.
mod drill;
mod events;
mod labs;
mod pool;
mod progress;
mod sigma;
mod store;

use progress::{Progress, Ui};
use sigma::import_sigma;
use store::{fetch_state, hold, open_store, pick_store, pin_state, remember_blueprint, Store};

#[derive(Parser, Debug)]
#[command(
    name = "socform",
    version,
    about = "Infrastructure as code for cloud security monitoring on AWS",
    max_term_width = 100
)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Args, Debug, Clone)]
#[command(next_help_heading = "Global options")]
pub struct Global {
    /// AWS endpoint to talk to instead of AWS itself (a local emulator, say).
    #[arg(long, global = true, env = "AWS_ENDPOINT_URL", hide_env_values = true, value_name = "URL")]
    pub endpoint_url: Option<String>,
    /// AWS region (overrides the blueprint's and the profile's).
    #[arg(long, global = true, value_name = "REGION")]
    pub region: Option<String>,
    /// AWS profile from the shared config files.
    #[arg(long, global = true, env = "AWS_PROFILE", hide_env_values = true, value_name = "NAME")]
    pub profile: Option<String>,
    /// Make every call as this role (STS AssumeRole with the credentials above): an account
    /// of an organization, say.
    #[arg(long, global = true, env = "SOCFORM_ROLE_ARN", hide_env_values = true, value_name = "ARN")]
    pub role_arn: Option<String>,
    /// The external id the role's trust policy asks for (never printed).
    #[arg(
        long,
        global = true,
        env = "SOCFORM_EXTERNAL_ID",
        hide_env_values = true,
        value_name = "ID",
        requires = "role_arn"
    )]
    pub external_id: Option<String>,
    /// The session name of the assumed role (CloudTrail records it as the caller).
    #[arg(long, global = true, value_name = "NAME", default_value = "socform", requires = "role_arn")]
    pub role_session_name: String,
    /// Run the command once per account of this pool (YAML: `accounts:` with their ids, and
    /// the `role` that reaches each), a lab in each, each with its own state
    /// (`--state` is then a folder: ACCOUNT.json, and what it printed in ACCOUNT.out and
    /// ACCOUNT.log). For plan, apply, destroy, ls and reap.
    #[arg(long, global = true, value_name = "POOL", conflicts_with = "role_arn")]
    pub accounts: Option<PathBuf>,
    /// With --accounts: how many accounts are worked on at once.
    #[arg(long, global = true, default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub parallel_accounts: u16,
    /// State file or s3://BUCKET/KEY (default: state/BLUEPRINT.json in the blueprint's
    /// project: the nearest folder above the blueprint with a `state/` folder).
    #[arg(long, global = true, env = "SOCFORM_STATE", hide_env_values = true, value_name = "FILE")]
    pub state: Option<PathBuf>,
    /// Print only errors.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
    /// Print more: API call counts, timings.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// No colours (also when NO_COLOR is set).
    #[arg(long, global = true)]
    pub no_color: bool,
    /// Set an input of the blueprint; wins over --var-file, SOCFORM_VAR_NAME and the default.
    #[arg(long = "var", global = true, value_name = "NAME=VALUE")]
    pub vars: Vec<String>,
    /// Set inputs from a YAML file of `NAME: value` lines; wins over SOCFORM_VAR_NAME and the
    /// default (a later file wins over an earlier one).
    #[arg(long = "var-file", global = true, value_name = "FILE")]
    pub var_files: Vec<PathBuf>,
    /// One of several labs of a blueprint (one a student, say): the blueprint's name becomes
    /// BLUEPRINT-NAME, and with it the state file, the tags and every name socform derives.
    #[arg(long, global = true, env = "SOCFORM_LAB", hide_env_values = true, value_name = "NAME")]
    pub lab: Option<String>,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Check a blueprint; every problem is reported with its location.
    Validate {
        /// The blueprint file (YAML).
        blueprint: PathBuf,
        /// Output format.
        #[arg(long, value_enum, default_value_t = DiagFormat::Human)]
        format: DiagFormat,
    },
    /// Show what apply would change.
    Plan(PlanArgs),
    /// Make AWS match a blueprint, or carry out a saved plan exactly.
    Apply {
        /// A blueprint, or a plan saved by `plan --out`.
        #[arg(value_name = "BLUEPRINT|PLANFILE")]
        file: PathBuf,
        #[command(flatten)]
        run: RunArgs,
        #[command(flatten)]
        select: Select,
        /// Do not run the preflight checks before the first write (see `socform preflight`).
        #[arg(long)]
        skip_preflight: bool,
    },
    /// Say, before anything is written, what would make an apply fail: permissions (IAM policy
    /// simulation), quotas, singletons the account has, the region. Exit 1 when it would fail.
    Preflight {
        /// The blueprint file (YAML).
        blueprint: PathBuf,
        /// Output format.
        #[arg(long, value_enum, default_value_t = OutputFormat::Human)]
        format: OutputFormat,
    },
    /// Delete everything a blueprint made, and prove nothing is left.
    Destroy {
        /// The blueprint file (YAML).
        blueprint: PathBuf,
        #[command(flatten)]
        run: RunArgs,
    },
    /// Print the dependency graph, or draw the lab (`--view topology`).
    Graph {
        /// The blueprint file (YAML).
        blueprint: PathBuf,
        /// `dependencies`: what needs what, in apply order; `topology`: the VPC, subnets and
        /// hosts, who can reach whom, and the telemetry lane.
        #[arg(long, value_enum, default_value_t = GraphView::Dependencies)]
        view: GraphView,
        /// Output format: text or dot for dependencies (default text); mermaid, dot or svg
        /// for the topology (default mermaid).
        #[arg(long, value_enum)]
        format: Option<GraphFormat>,
    },
    /// Compare two blueprints offline, with a security review (for pull requests).
    /// Exit 0 no changes, 2 changes, 3 changes that broaden access or weaken monitoring.
    Diff {
        /// OLD NEW, or NEW alone with --base.
        #[arg(num_args = 1..=2, required = true)]
        files: Vec<PathBuf>,
        /// Compare NEW with its own version at this git revision.
        #[arg(long, value_name = "GITREF")]
        base: Option<String>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = PlanFormat::Human)]
        format: PlanFormat,
    },
    /// Check a blueprint against security rules; exit 1 on an unsuppressed error or warning.
    Lint {
        /// The blueprint file (YAML).
        blueprint: PathBuf,
        /// Output format.
        #[arg(long, value_enum, default_value_t = LintFormat::Human)]
        format: LintFormat,
    },
    /// Run every detection against its sample events.
    Test {
        /// The blueprint file (YAML).
        blueprint: PathBuf,
        /// Output format.
        #[arg(long, value_enum, default_value_t = DiagFormat::Human)]
        format: DiagFormat,
    },
    /// Evaluate one filter pattern against events (arguments, `--file`, or stdin, one per
    /// line), as CloudWatch Logs' TestMetricFilter would.
    TestFilter {
        #[arg(long)]
        pattern: String,
        /// A file of events, one per line.
        #[arg(long, value_name = "FILE", conflicts_with = "events")]
        file: Option<PathBuf>,
        events: Vec<String>,
    },
    /// Which CIS monitoring controls, ATT&CK techniques and Stratus Red Team attacks the detections cover.
    Coverage {
        /// The blueprint file (YAML).
        blueprint: PathBuf,
        /// Output format (`navigator`: a MITRE ATT&CK Navigator layer, format 4.5).
        #[arg(long, value_enum, default_value_t = CoverageFormat::Human)]
        format: CoverageFormat,
        /// A saved `drill --format json`: the Navigator layer scores each technique proven,
        /// wired but not seen to fire, or broken.
        #[arg(long, value_name = "REPORT.json")]
        drill: Option<PathBuf>,
    },
    /// Write one self-contained HTML page about a lab: its picture, how to reach each host,
    /// every detection with its chain and last drill verdict, its cost, expiry and state.
    Report {
        /// The blueprint file (YAML).
        blueprint: PathBuf,
        /// The page to write.
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
        /// A saved `drill --format json`: each detection's last verdict.
        #[arg(long, value_name = "REPORT.json")]
        drill: Option<PathBuf>,
        /// Call nothing: state must be a local file (an S3 state is an AWS call).
        #[arg(long)]
        offline: bool,
    },
    /// Inspect or repair state.
    State {
        #[command(subcommand)]
        command: StateCommand,
    },
    /// Take over a resource that exists in AWS: read it, record it in state and tag it as
    /// this state's own. Nothing else about it changes; `plan` then shows how it differs
    /// from the blueprint. ID is what `socform state list` shows for that kind (a name, an
    /// id such as `vpc-0abc`, or an ARN; a topic may be given by name).
    Import {
        /// The blueprint's address for it, such as `s3_bucket.trail`.
        address: String,
        /// Its AWS id: a name, an id such as `vpc-0abc`, or an ARN.
        id: String,
        /// The blueprint that declares ADDRESS (its state receives the record).
        blueprint: PathBuf,
        /// Take it over even though another socform state's tags claim it (that state then
        /// no longer manages it; say so to whoever owns it).
        #[arg(long)]
        force: bool,
    },
    /// Print a shell completion script: `socform completions bash > /etc/bash_completion.d/socform`.
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print a plan saved by `plan --out`, in any of plan's formats.
    Show {
        planfile: PathBuf,
        /// Output format.
        #[arg(long, value_enum, default_value_t = PlanFormat::Human)]
        format: PlanFormat,
    },
    /// Print the outputs recorded by the last apply (all, or one by name: its bare value,
    /// for scripts).
    Output {
        /// `[NAME] [BLUEPRINT]`: one output by name, and the blueprint whose state to read
        /// (a lone argument ending in `.yaml` or `.yml` is the blueprint).
        #[arg(num_args = 0..=2, value_name = "NAME|BLUEPRINT")]
        args: Vec<String>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = OutputFormat::Human)]
        format: OutputFormat,
    },
    /// Prove each detection's path after an apply, link by link: trail, log group, metric
    /// filter, alarm, subscriptions; then (unless --wiring-only) send a marked synthetic event
    /// through it and wait for the metric and the alarm. Exit 0 when no link failed, else 1.
    Drill {
        /// The blueprint file (YAML).
        blueprint: PathBuf,
        /// Only these detections (repeatable).
        #[arg(long = "detection", value_name = "NAME")]
        detections: Vec<String>,
        /// Check the wiring only; write nothing to AWS (all an emulator can prove).
        #[arg(long)]
        wiring_only: bool,
        /// Also set each alarm to ALARM and back (SetAlarmState), so its actions send.
        #[arg(long, conflicts_with = "wiring_only")]
        notify: bool,
        /// How long to wait for metrics and alarms, such as `10m` or `90s`.
        #[arg(long, default_value = "10m", value_parser = parse_timeout)]
        timeout: Duration,
        /// Output format.
        #[arg(long, value_enum, default_value_t = PlanFormat::Human)]
        format: PlanFormat,
    },
    /// Convert Sigma rules for AWS CloudTrail (files, or folders of them) into blueprint
    /// detections; rules that cannot be expressed faithfully are refused with the reason.
    /// Exit 1 when none converted.
    ImportSigma {
        #[arg(required = true, value_name = "RULE.yml|DIR")]
        rules: Vec<PathBuf>,
        /// Write the detections here instead of stdout.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
        /// Notification topics (keys of `notifications`) each detection notifies.
        #[arg(long, value_name = "TOPIC")]
        notify: Vec<String>,
        /// `yaml`: the detections; `json`: converted and refused rules, for a report.
        #[arg(long, value_enum, default_value_t = SigmaFormat::Yaml)]
        format: SigmaFormat,
    },
    /// Every lab in the account, from tags alone: blueprint, lab, region, resources, when it
    /// was made, when it expires, whose it is, and what it costs per hour.
    Ls {
        /// Look in every region socform knows (default: --region, else AWS_REGION, else
        /// us-east-1).
        #[arg(long)]
        all_regions: bool,
        /// Output format.
        #[arg(long, value_enum, default_value_t = OutputFormat::Human)]
        format: OutputFormat,
    },
    /// Destroy whole labs from their tags alone, with no state file, in dependency order, and
    /// prove nothing is left. A dry run unless --yes. Names a lab by its blueprint's name (or
    /// file); a lab that has not expired is reaped only when named.
    Reap {
        /// Blueprint names or files whose labs to reap.
        blueprints: Vec<String>,
        /// Only labs whose `socform:expires-at` has passed.
        #[arg(long)]
        expired: bool,
        /// Delete (without it, list what would go and change nothing).
        #[arg(long)]
        yes: bool,
        /// Empty the buckets of labs found without their state (by default reap never
        /// empties one: tags cannot say whether its objects are evidence to keep).
        #[arg(long)]
        empty_buckets: bool,
        #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u16).range(1..=256))]
        parallelism: u16,
    },
    /// Stop a lab's hosts (state knows which); nothing else changes, and plan does not call
    /// a paused host drift. `ls` and `cost` show the paused price.
    Pause { blueprint: PathBuf },
    /// Start the hosts `pause` stopped.
    Resume { blueprint: PathBuf },
    /// What a blueprint costs: per resource and in total, per hour and per month (730 h),
    /// fixed and usage-based lines apart, at on-demand prices shipped with socform.
    Cost {
        /// The blueprint file (YAML).
        blueprint: PathBuf,
        /// Output format.
        #[arg(long, value_enum, default_value_t = PlanFormat::Human)]
        format: PlanFormat,
        /// A usage assumption, such as `log_gb_per_month=20` (repeatable).
        #[arg(long, value_name = "NAME=VALUE")]
        assume: Vec<String>,
    },
    /// Print the JSON Schema of the blueprint format.
    Schema,
}

#[derive(Args, Debug)]
pub struct PlanArgs {
    pub blueprint: PathBuf,
    /// Save the plan so that `apply FILE` carries out exactly this.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    #[arg(long, value_enum, default_value_t = PlanFormat::Human)]
    pub format: PlanFormat,
    /// Exit 0 when there are no changes, 2 when there are, 3 when some broaden access or
    /// weaken monitoring.
    #[arg(long)]
    pub detailed_exitcode: bool,
    /// Read live state from AWS first (`--refresh=false` compares with the state file only).
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set, num_args = 0..=1, default_missing_value = "true")]
    pub refresh: bool,
    /// Plan the destruction of everything.
    #[arg(long)]
    pub destroy: bool,
    #[command(flatten)]
    pub select: Select,
}

/// How apply and destroy run.
#[derive(Args, Debug, Clone)]
pub struct RunArgs {
    /// Do not ask for confirmation.
    #[arg(long)]
    pub auto_approve: bool,
    /// Operations in flight at once.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u16).range(1..=256))]
    pub parallelism: u16,
    /// Print one JSON object per line on stdout (plan, start, finish, failure, skipped,
    /// outputs, summary; destroy adds `leftovers`) instead of the human plan and progress,
    /// for CI.
    #[arg(long)]
    pub json: bool,
}

/// Which part of a blueprint a plan or apply covers.
#[derive(Args, Debug, Clone, Default)]
pub struct Select {
    /// Only this resource and what it needs (repeatable); for `plan --destroy`, it and what
    /// needs it.
    #[arg(long, value_name = "ADDRESS")]
    pub target: Vec<String>,
    /// Replace this resource even if nothing forces it (repeatable).
    #[arg(long, value_name = "ADDRESS")]
    pub replace: Vec<String>,
    /// Change nothing in AWS: show what changed outside socform; apply records it in state.
    #[arg(long, conflicts_with_all = ["target", "replace", "expires_in"])]
    pub refresh_only: bool,
    /// The lab expires this long after the apply (`8h`, `90m`, `2d`), whatever the
    /// blueprint's `lab.expires_after` says; `socform reap --expired` removes it after that.
    /// At most 90 days; `never` stops it expiring. Without it, an apply keeps the expiry.
    #[arg(long, value_name = "DURATION")]
    pub expires_in: Option<String>,
}

/// Output formats of `socform output`.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum OutputFormat {
    Human,
    Json,
}

#[derive(Subcommand, Debug)]
pub enum StateCommand {
    /// List the addresses in state.
    List {
        /// The blueprint whose state to read (or use --state).
        blueprint: Option<PathBuf>,
    },
    /// Show one resource's record.
    Show {
        address: String,
        /// The blueprint whose state to read (or use --state).
        blueprint: Option<PathBuf>,
    },
    /// Break a lock left by a run that died. Takes the lock id the error message names.
    Unlock { lock_id: String, blueprint: Option<PathBuf> },
    /// Record a resource under another address (after renaming it in the blueprint), so
    /// that the next plan keeps it instead of replacing it. Nothing changes in AWS; its
    /// `socform:address` tag keeps the old address until its tags next change.
    Mv { from: String, to: String, blueprint: Option<PathBuf> },
    /// Stop managing a resource and leave it in AWS: its record leaves state, and its
    /// `socform:lineage` tag is rewritten to `released-LINEAGE` so that no later run of this
    /// state adopts or deletes it (`destroy` lists it as released, not as left behind).
    Rm {
        address: String,
        /// The blueprint whose state to change (or use --state).
        blueprint: Option<PathBuf>,
    },
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum DiagFormat {
    Human,
    Json,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum SigmaFormat {
    Yaml,
    Json,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum PlanFormat {
    Human,
    Json,
    Markdown,
}

/// Output formats of `socform coverage`.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum CoverageFormat {
    Human,
    Json,
    Markdown,
    /// A MITRE ATT&CK Navigator layer (JSON, layer format 4.5).
    Navigator,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum LintFormat {
    Human,
    Json,
    Sarif,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum GraphFormat {
    Dot,
    Text,
    Mermaid,
    Svg,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum GraphView {
    Dependencies,
    Topology,
}

/// A failure already reported to the user: exit with this code and print nothing more.
#[derive(Debug)]
struct Reported(u8);

impl std::fmt::Display for Reported {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "exit {}", self.0)
    }
}

impl std::error::Error for Reported {}

/// Set by the first SIGINT or SIGTERM while an apply or destroy is executing: the executor
/// starts nothing new and lets what is in flight finish and be saved.
static STOP: AtomicBool = AtomicBool::new(false);
/// Whether an executor is running (a signal at any other time ends the process at once).
static EXECUTING: AtomicBool = AtomicBool::new(false);
/// Gives back the lock this run holds, when the process ends on a signal.
#[allow(clippy::type_complexity)]
static ON_ABORT: std::sync::Mutex<Option<Box<dyn Fn() + Send>>> = std::sync::Mutex::new(None);

/// SIGINT and SIGTERM, on a thread of their own for the life of the process. During an
/// apply or destroy the first one stops gracefully (exit 130 once what is in flight is
/// saved); a second one, or one at any other moment, ends the process at once with 130,
/// after giving back a local lock this run holds.
fn install_signal_handlers() {
    let _ = std::thread::Builder::new().name("signals".into()).spawn(|| {
        let Ok(rt) = tokio::runtime::Builder::new_current_thread().enable_all().build() else { return };
        rt.block_on(async {
            use tokio::signal::unix::{signal, SignalKind};
            let (Ok(mut int), Ok(mut term)) = (signal(SignalKind::interrupt()), signal(SignalKind::terminate()))
            else {
                return;
            };
            loop {
                tokio::select! {
                    _ = int.recv() => {}
                    _ = term.recv() => {}
                }
                if EXECUTING.load(Ordering::SeqCst) && !STOP.swap(true, Ordering::SeqCst) {
                    errln!("\nStopping: no new operation starts; those in flight finish and are saved. Press Ctrl-C again to stop at once.");
                    continue;
                }
                if let Ok(mut f) = ON_ABORT.lock() {
                    if let Some(f) = f.take() {
                        f();
                    }
                }
                errln!("\nInterrupted.");
                std::process::exit(130);
            }
        });
    });
}

/// Terraform writes long options with one dash (`-auto-approve`, `-var x=y`, `-out=p`),
/// which clap reads as bundles of short ones: after a usage error, name the two-dash
/// spelling of each such argument given (`-auto-approve` is `--auto-approve`).
pub fn terraform_flag_hint(args: impl Iterator<Item = String>) -> Option<String> {
    // Only names that are socform's long options: `-qv` stays a bundle of `-q` and `-v`.
    fn longs(c: &clap::Command, out: &mut std::collections::BTreeSet<String>) {
        out.extend(c.get_arguments().filter_map(|a| a.get_long().map(str::to_string)));
        c.get_subcommands().for_each(|s| longs(s, out));
    }
    let mut known = std::collections::BTreeSet::new();
    longs(&<Cli as clap::CommandFactory>::command(), &mut known);
    let mut fixes = vec![];
    for a in args.take_while(|a| a != "--") {
        let Some(rest) = a.strip_prefix('-') else { continue };
        let name = rest.split('=').next().unwrap_or(rest);
        if !rest.starts_with('-') && known.contains(name) {
            fixes.push(format!("`{a}` is `-{a}`"));
        }
    }
    (!fixes.is_empty()).then(|| {
        format!(
            "hint: socform's long options take two dashes, as in most tools other than Terraform: {}",
            fixes.join(", ")
        )
    })
}

/// Entry point for the binary.
pub fn main() -> ExitCode {
    install_signal_handlers();
    // clap exits 2 on a usage error, and 2 means "changes present" to `diff` and `plan
    // --detailed-exitcode`: a CI gate must never read a typo as a reviewable change.
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            if e.use_stderr() {
                if let Some(hint) = terraform_flag_hint(std::env::args().skip(1)) {
                    eprintln!("\n{hint}");
                }
            }
            return ExitCode::from(if e.use_stderr() { 1 } else { 0 });
        }
    };
    let mut ui = Ui::new(&cli.global);
    crate::provider::aws::SHOW_ERROR_CHAINS.store(cli.global.verbose > 0, Ordering::Relaxed);
    if let Some(Err(m)) = cli.global.lab.as_deref().map(blueprint::inputs::lab_name) {
        ui.error(&m);
        return ExitCode::from(1);
    }
    match blueprint::inputs::Supplied::from_args(&cli.global.vars, &cli.global.var_files) {
        Ok(s) => {
            // Commands that only read the blueprint need no input values (a pull request's
            // review has no secrets): a required input gets a placeholder, said in a note.
            let placeholders = matches!(
                cli.command,
                Command::Validate { .. }
                    | Command::Graph { .. }
                    | Command::Diff { .. }
                    | Command::Lint { .. }
                    | Command::Test { .. }
                    | Command::Coverage { .. }
                    | Command::Cost { .. }
                    | Command::Report { .. }
            );
            ui.inputs = blueprint::inputs::Supplied { lab: cli.global.lab.clone(), placeholders, ..s }
        }
        Err(diags) => {
            ui.diagnostics(&diags);
            return ExitCode::from(1);
        }
    }
    match run(cli, &ui) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            if let Some(Reported(code)) = e.downcast_ref::<Reported>() {
                return ExitCode::from(*code);
            }
            ui.error(&format!("{e:#}"));
            ExitCode::from(1)
        }
    }
}

fn run(cli: Cli, ui: &Ui) -> Result<u8> {
    let g = cli.global;
    if let Some(pool) = &g.accounts {
        return pool_cmd(&g, &cli.command, pool, ui);
    }
    match cli.command {
        Command::Validate { blueprint, format } => validate(&blueprint, format, ui),
        Command::Plan(args) => plan_cmd(&g, args, ui),
        Command::Apply { file, run, select, skip_preflight } => apply_cmd(
            &g,
            &file,
            ApplyOpts { auto_approve: run.auto_approve, parallelism: run.parallelism as usize, skip_preflight },
            &select,
            &ui.with_json(run.json),
        ),
        Command::Preflight { blueprint, format } => preflight_cmd(&g, &blueprint, format, ui),
        Command::Destroy { blueprint, run } => {
            destroy_cmd(&g, &blueprint, run.auto_approve, run.parallelism as usize, &ui.with_json(run.json))
        }
        Command::Graph { blueprint, view, format } => {
            if let (GraphView::Dependencies, Some(f @ (GraphFormat::Mermaid | GraphFormat::Svg)))
            | (GraphView::Topology, Some(f @ GraphFormat::Text)) = (view, format)
            {
                let (v, f) = (view.to_possible_value(), f.to_possible_value());
                let (v, f) = (v.as_ref().map_or("", |v| v.get_name()), f.as_ref().map_or("", |f| f.get_name()));
                bail!("the {v} view has no {f} format: dependencies are text or dot, the topology mermaid, dot or svg");
            }
            let loaded = load(&blueprint, EnvMode::Skip, ui)?;
            let graph = Graph::from_model(&loaded.model).map_err(|e| {
                ui.diagnostics(&[graph_error(&loaded, e)]);
                anyhow!(Reported(1))
            })?;
            let topology = || crate::topology::Topology::from_model(&loaded.model);
            out!(
                "{}",
                match (view, format) {
                    (GraphView::Dependencies, Some(GraphFormat::Dot)) => graph.to_dot(),
                    (GraphView::Dependencies, _) => graph.to_text(),
                    (GraphView::Topology, Some(GraphFormat::Dot)) => topology().to_dot(),
                    (GraphView::Topology, Some(GraphFormat::Svg)) => topology().to_svg(),
                    (GraphView::Topology, _) => topology().to_mermaid(),
                }
            );
            Ok(0)
        }
        Command::Diff { files, base, format } => diff_cmd(&files, base.as_deref(), format, ui),
        Command::Lint { blueprint, format } => {
            let loaded = load(&blueprint, EnvMode::Skip, ui)?;
            let report = crate::review::lint::lint(&loaded.model, &loaded.model.suppressions);
            let file = loaded.source.path.clone();
            let locate = |a: Option<&Address>| {
                a.and_then(|a| loaded.locations.get(a)).map(|l| (l.line, l.column)).unwrap_or((1, 1))
            };
            match format {
                LintFormat::Human => out!("{}", report.human(&file, &locate)),
                LintFormat::Json => out!("{}", report.json()),
                LintFormat::Sarif => out!("{}", report.sarif(&file, &locate)),
            }
            Ok(report.exit_code())
        }
        Command::Test { blueprint, format } => {
            let loaded = load(&blueprint, EnvMode::Skip, ui)?;
            let report = crate::detect::run_tests(&loaded.model);
            match format {
                DiagFormat::Human => out!("{}", report.human()),
                DiagFormat::Json => outln!("{}", serde_json::to_string_pretty(&report)?),
            }
            Ok(if report.failed > 0 { 1 } else { 0 })
        }
        Command::TestFilter { pattern, file, events } => {
            let p = crate::detect::pattern::parse(&pattern).map_err(|e| anyhow!("invalid filter pattern: {e}"))?;
            // A file's path given where an event goes would be tested as the event itself
            // (matching nothing, exit 0): refused, with the way to read it.
            if let Some(path) = events.iter().find(|e| Path::new(e.as_str()).is_file()) {
                bail!("`{path}` is a file, not an event: read its events with `--file {path}` or `< {path}`");
            }
            use std::io::BufRead;
            let events = match (file, events.is_empty()) {
                (Some(f), _) => std::io::BufReader::new(
                    std::fs::File::open(&f).with_context(|| format!("reading {}", f.display()))?,
                )
                .lines()
                .collect::<Result<Vec<_>, _>>()
                .with_context(|| format!("reading {}", f.display()))?,
                (None, true) => std::io::stdin()
                    .lock()
                    .lines()
                    .collect::<Result<Vec<_>, _>>()
                    .context("reading events from stdin")?,
                (None, false) => events,
            };
            outln!("{}", serde_json::to_string_pretty(&crate::detect::test_filter(&p, &events))?);
            Ok(0)
        }
        Command::Coverage { blueprint, format, drill } => coverage_cmd(&blueprint, format, drill.as_deref(), ui),
        Command::Report { blueprint, out, drill, offline } => {
            report_cmd(&g, &blueprint, &out, drill.as_deref(), offline, ui)
        }
        Command::State { command } => state_cmd(&g, command, ui),
        Command::Import { address, id, blueprint, force } => import_cmd(&g, &address, &id, &blueprint, force, ui),
        Command::Completions { shell } => {
            use clap::CommandFactory;
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "socform", &mut script);
            out!("{}", String::from_utf8_lossy(&script));
            Ok(0)
        }
        Command::Show { planfile, format } => match read_saved_plan(&planfile) {
            Some(plan) => {
                print_plan(&plan?, format, ui);
                Ok(0)
            }
            None => bail!("`{}` is not a plan saved by `socform plan --out`", planfile.display()),
        },
        Command::Output { args, format } => output_cmd(&g, &args, format),
        Command::Pause { blueprint } => labs::power(&g, &blueprint, false, ui),
        Command::Resume { blueprint } => labs::power(&g, &blueprint, true, ui),
        Command::Cost { blueprint, format, assume } => {
            let loaded = load(&blueprint, EnvMode::Skip, ui)?;
            let mut a = crate::cost::Assumptions::default();
            for pair in &assume {
                a.set(pair).map_err(|m| anyhow!("--assume {m}"))?;
            }
            if loaded.model.region != crate::cost::PRICES.region {
                ui.warn(&format!(
                    "prices are {}'s: socform ships no table for {} yet",
                    crate::cost::PRICES.region,
                    loaded.model.region
                ));
            }
            // A paused lab (its state says so) costs less while it stays paused.
            let store = open_store(&g, &loaded.model.blueprint, &loaded.model.region)?;
            let paused = matches!(runtime()?.block_on(store.fetch()), Ok(Some(state)) if state.paused);
            let e = crate::cost::of_lab(&loaded.model, &a, paused);
            match format {
                PlanFormat::Human => out!("{}", e.human()),
                PlanFormat::Json => outln!("{}", serde_json::to_string_pretty(&e)?),
                PlanFormat::Markdown => out!("{}", e.markdown()),
            }
            Ok(0)
        }
        Command::Drill { blueprint, detections, wiring_only, notify, timeout, format } => {
            drill::drill(&g, drill::DrillArgs { blueprint, detections, wiring_only, notify, timeout, format }, ui)
        }
        Command::ImportSigma { rules, out, notify, format } => {
            import_sigma(&rules, out.as_deref(), &notify, format, ui)
        }
        Command::Ls { all_regions, format } => labs::ls(&g, all_regions, format, ui),
        Command::Reap { blueprints, expired, yes, empty_buckets, parallelism } => labs::reap(
            &g,
            labs::ReapArgs { names: &blueprints, expired, yes, empty_buckets, parallelism: parallelism as usize },
            ui,
        ),
        Command::Schema => {
            outln!("{}", serde_json::to_string_pretty(&blueprint::schema())?);
            Ok(0)
        }
    }
}

fn report_cmd(g: &Global, blueprint: &Path, out: &Path, drill: Option<&Path>, offline: bool, ui: &Ui) -> Result<u8> {
    let loaded = load(blueprint, EnvMode::Skip, ui)?;
    let drill = drill.map(|f| read_drill_summary(f, &loaded.model.blueprint, ui)).transpose()?;
    // Decided before any store is opened: opening an S3 state already asks STS who we are.
    let location = store::state_path(g, &loaded.model.blueprint).to_string_lossy().to_string();
    if offline && location.starts_with("s3://") {
        bail!("--offline reads a local state file only; the state is at {location} (reading it is an AWS call)");
    }
    let store = open_store(g, &loaded.model.blueprint, &loaded.model.region)?;
    let state = runtime()?.block_on(store.fetch())?;
    let paused = state.as_ref().is_some_and(|s| s.paused);
    let cost = crate::cost::of_lab(&loaded.model, &crate::cost::Assumptions::default(), paused);
    let page = crate::render::report::Report {
        model: &loaded.model,
        state: state.as_ref(),
        drill: drill.as_ref(),
        cost: &cost,
    }
    .html();
    std::fs::write(out, &page).with_context(|| format!("writing {}", out.display()))?;
    ui.note(&format!(
        "wrote {} ({} KB){}",
        out.display(),
        page.len().div_ceil(1024),
        if state.is_none() { ": not applied yet, so no outputs or state in it" } else { "" }
    ));
    Ok(0)
}

/// A saved `drill --format json`, read for its verdicts; a drill of another blueprint is
/// said (its detections then count as not drilled).
fn read_drill_summary(f: &Path, blueprint: &str, ui: &Ui) -> Result<crate::detect::navigator::DrillSummary> {
    let text = std::fs::read_to_string(f).with_context(|| format!("reading {}", f.display()))?;
    let r: crate::detect::navigator::DrillSummary = serde_json::from_str(&text)
        .with_context(|| format!("{} is not a report saved by `socform drill --format json`", f.display()))?;
    if r.blueprint != blueprint {
        ui.warn(&format!(
            "{} is a drill of {}, not of {blueprint}: detections it does not name count as not drilled",
            f.display(),
            r.blueprint
        ));
    }
    Ok(r)
}

fn coverage_cmd(blueprint: &Path, format: CoverageFormat, drill: Option<&Path>, ui: &Ui) -> Result<u8> {
    use crate::detect::navigator;
    if drill.is_some() && format != CoverageFormat::Navigator {
        bail!("--drill scores the techniques of a Navigator layer: use it with `--format navigator`");
    }
    let loaded = load(blueprint, EnvMode::Skip, ui)?;
    let report: Option<navigator::DrillSummary> =
        drill.map(|f| read_drill_summary(f, &loaded.model.blueprint, ui)).transpose()?;
    let c = crate::detect::coverage(&loaded.model);
    match format {
        CoverageFormat::Human => out!("{}", c.human()),
        CoverageFormat::Json => outln!("{}", serde_json::to_string_pretty(&c)?),
        CoverageFormat::Markdown => out!("{}", c.markdown()),
        CoverageFormat::Navigator => {
            outln!("{}", serde_json::to_string_pretty(&navigator::layer(&loaded.model, &c, report.as_ref()))?)
        }
    }
    Ok(0)
}

fn diff_cmd(files: &[PathBuf], base: Option<&str>, format: PlanFormat, ui: &Ui) -> Result<u8> {
    let (old, new) = match (base, files) {
        (Some(rev), [new]) => (load_at_revision(rev, new, ui)?, load(new, EnvMode::Skip, ui)?),
        (None, [old, new]) => (load(old, EnvMode::Skip, ui)?, load(new, EnvMode::Skip, ui)?),
        (Some(_), _) => bail!("with --base, name one blueprint: `socform diff --base main blueprints/lab.yaml`"),
        (None, _) => bail!("name two blueprints, OLD and NEW, or one with --base GITREF"),
    };
    let d = crate::review::diff::diff(&old.model, &new.model);
    match format {
        PlanFormat::Human => out!("{}", d.human()),
        PlanFormat::Json => out!("{}", d.json()),
        PlanFormat::Markdown => out!("{}", d.markdown()),
    }
    Ok(d.exit_code())
}

/// A blueprint as it was at a git revision (`git show REV:./FILE`, run beside the file);
/// scripts it names are read from the working tree.
fn load_at_revision(rev: &str, path: &Path, ui: &Ui) -> Result<Loaded> {
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let name = path.file_name().ok_or_else(|| anyhow!("`{}` is not a file", path.display()))?;
    // A revision and nothing else: `--base=--output=FILE` must not become an option of git.
    if rev.starts_with('-') || rev.contains(':') {
        bail!("--base takes a git revision (a branch, tag or commit), not `{rev}`");
    }
    let verified = std::process::Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(["rev-parse", "--verify", "--quiet", "--end-of-options"])
        .arg(format!("{rev}^{{commit}}"))
        .output()
        .context("running git")?;
    if !verified.status.success() {
        bail!("--base `{rev}` is not a commit of the repository holding `{}`", path.display());
    }
    let commit = String::from_utf8_lossy(&verified.stdout).trim().to_string();
    let out = std::process::Command::new("git")
        .arg("-C")
        .arg(dir)
        .arg("show")
        .arg(format!("{commit}:./{}", name.to_string_lossy()))
        .output()
        .context("running git")?;
    if !out.status.success() {
        bail!("cannot read `{}` at `{rev}`: {}", path.display(), String::from_utf8_lossy(&out.stderr).trim());
    }
    let text = String::from_utf8(out.stdout).context("the old blueprint is not UTF-8")?;
    let source = crate::diag::SourceFile::new(Path::new(&format!("{rev}:{}", path.display())), text);
    let opts = blueprint::LowerOptions { base_dir: dir.to_path_buf(), inputs: ui.inputs.clone(), ..Default::default() };
    let root = blueprint::parse(&source).map_err(|d| {
        ui.diagnostics(&[d]);
        anyhow!(Reported(1))
    })?;
    let (model, locations) = blueprint::lower::lower(&source, &root, &opts).map_err(|d| {
        ui.diagnostics(&d);
        anyhow!(Reported(1))
    })?;
    Ok(Loaded { source, model, locations, provided: Default::default() })
}

/// A blueprint that will be compared with AWS: `--region` may not point elsewhere than the
/// blueprint's own region (its resources would be sought, made or left in the wrong place).
fn load_for_aws(g: &Global, path: &Path, env: EnvMode<'_>, ui: &Ui) -> Result<Loaded> {
    let loaded = load(path, env, ui)?;
    check_region_flag(g, &loaded.model.region, &loaded.model.blueprint)?;
    Ok(loaded)
}

fn check_region_flag(g: &Global, region: &str, blueprint: &str) -> Result<()> {
    match &g.region {
        Some(r) if r != region => bail!(
            "--region {r} disagrees with blueprint `{blueprint}`, which is in {region}: nothing was read or changed; drop --region, or change `region:` in the blueprint"
        ),
        _ => Ok(()),
    }
}

/// Loads a blueprint again, now reading its `from_env` values, whose fingerprints are
/// salted with the lineage of the state they will be compared with.
fn load_with_secrets(path: &Path, state: &State, ui: &Ui) -> Result<Loaded> {
    load(path, EnvMode::Read { lineage: &state.lineage }, ui)
}

fn load(path: &Path, env: EnvMode<'_>, ui: &Ui) -> Result<Loaded> {
    remember_blueprint(path);
    let loaded = blueprint::load(path, env, &ui.inputs).map_err(|diags| {
        ui.diagnostics(&diags);
        anyhow!(Reported(1))
    })?;
    note_placeholders(path, &loaded, ui);
    Ok(loaded)
}

/// Says which inputs a command checked with a placeholder, and how to set them.
fn note_placeholders(path: &Path, loaded: &Loaded, ui: &Ui) {
    for i in loaded.model.inputs.iter().filter(|i| i.placeholder) {
        ui.note(&format!(
            "{}: input `{}` has no value: checked with the placeholder {} (set it with --var {}=VALUE)",
            path.display(),
            i.name,
            if i.sensitive { "value".to_string() } else { i.value.to_string() },
            i.name
        ));
    }
}

/// A graph error located in the blueprint: a cycle at its first resource, with the way out.
fn graph_error(l: &Loaded, e: crate::graph::GraphError) -> Diagnostic {
    let mut d = Diagnostic::error(e.to_string());
    if let crate::graph::GraphError::Cycle(c) = &e {
        if let Some(loc) = c.path.first().and_then(|a| l.locations.get(a)) {
            d = d.at(&l.source, *loc).label("the cycle starts here");
        }
        d = d.help("each needs the other to exist first: drop one reference (a host can read another's address from an SSM parameter at boot instead)");
    }
    d
}

fn validate(path: &Path, format: DiagFormat, ui: &Ui) -> Result<u8> {
    let result = blueprint::load(path, EnvMode::Skip, &ui.inputs).and_then(|l| match Graph::from_model(&l.model) {
        Ok(_) => Ok(l),
        Err(e) => Err(vec![graph_error(&l, e)]),
    });
    match (result, format) {
        (Ok(l), DiagFormat::Human) => {
            note_placeholders(path, &l, ui);
            ui.note(&format!("{}: valid ({} resources)", path.display(), l.model.resources.len()));
            Ok(0)
        }
        (Ok(_), DiagFormat::Json) => {
            outln!("{}", serde_json::json!({"format_version": "1", "valid": true, "diagnostics": []}));
            Ok(0)
        }
        (Err(diags), DiagFormat::Human) => {
            ui.diagnostics(&diags);
            Ok(1)
        }
        (Err(diags), DiagFormat::Json) => {
            let list: Vec<DiagnosticJson<'_>> = diags.iter().map(DiagnosticJson::from).collect();
            outln!(
                "{}",
                serde_json::to_string_pretty(
                    &serde_json::json!({"format_version": "1", "valid": false, "diagnostics": list})
                )?
            );
            Ok(1)
        }
    }
}

/// `--accounts POOL`: the command once per account of the pool (see `pool.rs`).
fn pool_cmd(g: &Global, command: &Command, pool: &Path, ui: &Ui) -> Result<u8> {
    // What the command is, its blueprint, and whether its output is JSON (the pool's is then
    // one JSON document).
    let (what, blueprint, json) = match command {
        Command::Plan(args) => ("plan", Some(&args.blueprint), args.format == PlanFormat::Json),
        Command::Apply { file, run, .. } => ("apply", Some(file), run.json),
        Command::Destroy { blueprint, run } => ("destroy", Some(blueprint), run.json),
        Command::Ls { format, .. } => ("ls", None, *format == OutputFormat::Json),
        Command::Reap { .. } => ("reap", None, false),
        Command::Cost { blueprint, format, .. } => ("cost", Some(blueprint), *format == PlanFormat::Json),
        _ => bail!("--accounts works with plan, apply, destroy, ls, reap and cost"),
    };
    // The output of plan, ls and cost is what they are for; apply's, destroy's and reap's
    // (their progress) stays in each account's log.
    let shows_output = matches!(what, "plan" | "ls" | "cost");
    if matches!(command, Command::Plan(args) if args.out.is_some()) {
        bail!("--out saves one plan, and a pool makes one per account: plan without --out, or per account with --role-arn");
    }
    if matches!(command, Command::Apply { run, .. } | Command::Destroy { run, .. } if !run.auto_approve) {
        bail!("--accounts runs {what} in every account of the pool without asking: add --auto-approve");
    }
    let pool_file = pool::Pool::load(pool)?;
    // Each account's state (and log) in one folder: --state, or state/BLUEPRINT-accounts/.
    let dir = match (&g.state, blueprint) {
        (Some(d), _) => d.clone(),
        (None, Some(b)) => {
            let stem = b.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| "lab".into());
            PathBuf::from("state").join(format!("{stem}-accounts"))
        }
        (None, None) => PathBuf::from("state").join("accounts"),
    };
    let args: Vec<std::ffi::OsString> = pool::child_args(&std::env::args_os().skip(1).collect::<Vec<_>>());
    ui.note(&format!(
        "{what} in {} account(s) of {}, {} at a time (state and logs in {})",
        pool_file.accounts.len(),
        pool.display(),
        g.parallel_accounts,
        dir.display()
    ));
    let start = std::time::Instant::now();
    // A signal now stops gracefully (see install_signal_handlers): no account starts, and
    // the running ones are told.
    EXECUTING.store(true, Ordering::SeqCst);
    let outcomes = pool::run_all(&pool_file, &args, &dir, g.parallel_accounts as usize, &STOP);
    EXECUTING.store(false, Ordering::SeqCst);
    let outcomes = outcomes?;
    // `plan --detailed-exitcode` says "changes" with 2.
    let ok = |o: &pool::Outcome| o.code == Some(0) || (what == "plan" && o.code == Some(2));
    let failed = outcomes.iter().filter(|o| !ok(o)).count();
    if json {
        out!("{}\n", pool::json_report(what, &outcomes));
    } else {
        for o in outcomes.iter().filter(|o| shows_output && !o.stdout.is_empty()) {
            out!("== {}\n{}\n", o.label(), o.stdout.trim_end());
        }
    }
    for o in &outcomes {
        let secs = o.took.as_secs_f64();
        if ok(o) {
            ui.note(&format!("ok      {} ({secs:.1} s)", o.label()));
        } else {
            ui.error(&format!(
                "{} failed ({secs:.1} s, {}): {} (log: {})",
                o.label(),
                o.code.map_or("killed".to_string(), |c| format!("exit {c}")),
                o.why.as_deref().unwrap_or(""),
                o.log.display()
            ));
        }
    }
    ui.note(&format!(
        "{what}: {} of {} account(s) ok, {failed} failed, in {:.1} s",
        outcomes.len() - failed,
        outcomes.len(),
        start.elapsed().as_secs_f64()
    ));
    Ok(if STOP.load(Ordering::SeqCst) {
        130
    } else if failed > 0 {
        1
    } else {
        0
    })
}

fn aws_options(g: &Global, region: &str) -> crate::provider::aws::AwsOptions {
    let wait = std::env::var("SOCFORM_DEPENDENCY_WAIT_SECONDS").ok().and_then(|s| s.parse().ok()).unwrap_or(300);
    crate::provider::aws::AwsOptions {
        region: g.region.clone().unwrap_or_else(|| region.to_string()),
        profile: g.profile.clone(),
        endpoint_url: g.endpoint_url.clone(),
        dependency_wait: Duration::from_secs(wait),
        assume: g.role_arn.as_ref().map(|role_arn| crate::provider::aws::AssumeRole {
            role_arn: role_arn.clone(),
            external_id: g.external_id.clone(),
            session_name: g.role_session_name.clone(),
        }),
    }
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// An endpoint given by URL (an emulator, a VPC endpoint) must answer a TCP connection within
/// two seconds: a refused connection is said at once instead of after the SDK's retries.
fn check_endpoint(url: &str) -> Result<()> {
    use std::net::ToSocketAddrs;
    let (scheme, rest) = url.split_once("://").unwrap_or(("https", url));
    let authority = rest.split('/').next().unwrap_or(rest);
    let has_port = authority.rsplit_once(':').is_some_and(|(_, p)| p.chars().all(|c| c.is_ascii_digit()))
        && !authority.ends_with(']');
    let target = if has_port {
        authority.to_string()
    } else {
        format!("{authority}:{}", if scheme == "http" { 80 } else { 443 })
    };
    let addrs: Vec<_> = match target.to_socket_addrs() {
        Ok(a) => a.collect(),
        Err(e) => bail!("cannot reach the endpoint {url}: {e}"),
    };
    let mut last = None;
    for a in &addrs {
        match std::net::TcpStream::connect_timeout(a, Duration::from_secs(2)) {
            Ok(_) => return Ok(()),
            Err(e) => last = Some(e),
        }
    }
    match last {
        Some(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => {
            bail!("cannot reach the endpoint {url}: connection refused (is the emulator or endpoint running?)")
        }
        Some(e) => bail!("cannot reach the endpoint {url}: {e}"),
        None => bail!("cannot reach the endpoint {url}: it resolves to no address"),
    }
}

/// The provider for the AWS account the global options point at.
fn provider(g: &Global, region: &str) -> Result<Arc<dyn Provider>> {
    provider_for(g, region, None)
}

/// [`provider`], given the `from_input` secret values of the blueprint it applies.
fn provider_for(g: &Global, region: &str, source: Option<&Loaded>) -> Result<Arc<dyn Provider>> {
    if let Some(url) = &g.endpoint_url {
        check_endpoint(url)?;
    }
    let p = runtime()?.block_on(crate::provider::aws::AwsProvider::new(&aws_options(g, region)));
    Ok(Arc::new(p.with_provided(source.map(|l| l.provided.clone()).unwrap_or_default())))
}

/// The provider for a blueprint: [`provider_for`], or for one that spans accounts
/// (`accounts:`) a router over a provider per account, each reached with its role from the
/// caller's credentials. `placed` says where the blueprint places each address.
fn provider_spanning(
    g: &Global,
    region: &str,
    source: Option<&Loaded>,
    accounts: &BTreeMap<String, crate::model::Account>,
    placed: BTreeMap<Address, Option<String>>,
) -> Result<Arc<dyn Provider>> {
    let caller = provider_for(g, region, source)?;
    if accounts.is_empty() {
        return Ok(caller);
    }
    let rt = runtime()?;
    let mut named: BTreeMap<String, Arc<dyn Provider>> = BTreeMap::new();
    let mut aliases = std::collections::BTreeSet::new();
    for (name, def) in accounts {
        let Some(role_arn) = &def.role_arn else {
            aliases.insert(name.clone());
            continue;
        };
        let mut opts = aws_options(g, region);
        opts.assume = Some(crate::provider::aws::AssumeRole {
            role_arn: role_arn.clone(),
            external_id: def.external_id.clone(),
            session_name: def.session_name.clone().unwrap_or_else(|| g.role_session_name.clone()),
        });
        let p = rt.block_on(crate::provider::aws::AwsProvider::new(&opts));
        let p = p.with_provided(source.map(|l| l.provided.clone()).unwrap_or_default());
        named.insert(name.clone(), Arc::new(p));
    }
    Ok(Arc::new(crate::provider::accounts::Accounts::new(caller, named, aliases, placed)))
}

/// [`provider_spanning`] for a model.
fn model_provider(g: &Global, model: &crate::model::Model, source: Option<&Loaded>) -> Result<Arc<dyn Provider>> {
    let placed = crate::provider::accounts::placement(model);
    provider_spanning(g, &model.region, source, &model.accounts, placed)
}

/// The account the credentials belong to (STS), or an error that says so.
fn account_of(rt: &tokio::runtime::Runtime, p: &Arc<dyn Provider>) -> Result<String> {
    rt.block_on(p.account_id()).map_err(|e| anyhow!("cannot tell which AWS account the credentials belong to: {e}"))
}

/// [`crate::ops::pin_account`], for the commands that still pin in `cli/`.
fn pin_account(account: &str, recorded: Option<&str>, allowed: &[String]) -> Result<()> {
    Ok(crate::ops::pin_account(account, recorded, allowed)?)
}

/// Makes a plan for a loaded blueprint.
fn make_plan(
    g: &Global,
    loaded: &Loaded,
    state: &State,
    refresh: bool,
    opts: PlanOptions,
    ui: &Ui,
) -> Result<(Plan, Option<crate::state::Snapshot>)> {
    let model = &loaded.model;
    let destroy = opts.destroy;
    pin_state(state, &model.blueprint, model.lab_name(), &model.region)?;
    check_addresses(model, state, &opts)?;
    if opts.refresh_only && !refresh {
        bail!("--refresh-only reads AWS: it cannot be combined with --refresh=false");
    }
    // Renames first, so that live state is read under the addresses the blueprint uses.
    let (renamed, _) = plan::apply_moves(state, &model.moved);
    let snapshot = if refresh {
        let p = model_provider(g, model, None)?;
        let read = runtime()?.block_on(crate::ops::refresh(p.as_ref(), model, state, &renamed, destroy))?;
        let others = read.others;
        if !others.is_empty() {
            ui.warn(&format!(
                "{} resource{} tagged for blueprint `{}` by another state exist (a lost state file, or another lab of this blueprint); this state will neither adopt nor delete them, and names they hold are refused. Take one over with `socform import ADDRESS ID`, or use the state that made them:",
                others.len(),
                if others.len() == 1 { "" } else { "s" },
                model.blueprint
            ));
            for o in others.iter().take(10) {
                ui.warn(&format!("  {o}"));
            }
            if others.len() > 10 {
                ui.warn(&format!("  ... and {} more", others.len() - 10));
            }
        }
        let snap = read.snapshot;
        if ui.verbose > 0 {
            errln!("refresh: {}", call_summary(p.as_ref()));
        }
        Some(snap)
    } else {
        None
    };
    let mut plan = plan::plan(&loaded.model, state, snapshot.as_ref(), opts)?;
    plan.provenance = plan::Provenance {
        lineage: state.lineage.clone(),
        allowed_accounts: model.allowed_accounts.clone(),
        accounts: model.accounts.clone(),
        state_lineage: (state.serial > 0).then(|| state.lineage.clone()),
        state_serial: state.serial,
        blueprint_sha256: sha256_hex(loaded.source.text().as_bytes()),
        blueprint_path: loaded.source.path.clone(),
    };
    Ok((plan, snapshot))
}

/// `--target` and `--replace` name resources of the blueprint (or, for a target, of state).
fn check_addresses(model: &crate::model::Model, state: &State, opts: &PlanOptions) -> Result<()> {
    let known = |a: &Address| model.get(a).is_some() || state.resources.contains_key(a);
    for (flag, list) in [("--target", &opts.targets), ("--replace", &opts.replace)] {
        for a in list.iter() {
            if !known(a) {
                let names: Vec<String> = model.resources.iter().map(|r| r.address.to_string()).collect();
                let hint = match crate::blueprint::node::did_you_mean(&a.to_string(), names.iter().map(String::as_str))
                {
                    Some(best) => format!("did you mean `{best}`?"),
                    None => "`socform graph BLUEPRINT` lists the addresses".into(),
                };
                bail!("{flag} {a}: no such resource in blueprint `{}` or its state; {hint}", model.blueprint);
            }
        }
    }
    for a in &opts.replace {
        if !state.resources.contains_key(a) {
            bail!("--replace {a}: it does not exist yet, so there is nothing to replace (plan creates it)");
        }
    }
    Ok(())
}

/// The lab's `socform:` tags for an apply starting now: the expiry (`--expires-in`, else the
/// blueprint's `lab.expires_after`), the owner, and when the lab was first made.
fn lab_labels(
    model: &crate::model::Model,
    state: &State,
    expires_in: Option<&str>,
) -> Result<std::collections::BTreeMap<String, String>> {
    use crate::model::{TAG_EXPIRES_AT, TAG_OWNER};
    let now = now_secs();
    let mut labels = std::collections::BTreeMap::new();
    let expiry = match expires_in {
        // Said on purpose: the lab stops expiring.
        Some("never") => Some("never".to_string()),
        Some(e) => Some(crate::model::rfc3339(now + parse_expires_in(e)?)),
        // An apply that does not say keeps the expiry the lab has: a lab that silently
        // stopped expiring would never be reaped, and keep costing money.
        None => match model.lab.as_ref().and_then(|l| l.expires_after_secs) {
            Some(secs) => Some(crate::model::rfc3339(now + secs)),
            None => state.labels.get(TAG_EXPIRES_AT).cloned(),
        },
    };
    if let Some(at) = expiry {
        labels.insert(TAG_EXPIRES_AT.to_string(), at);
    }
    if let Some(owner) = model.lab.as_ref().and_then(|l| l.owner.clone()) {
        labels.insert(TAG_OWNER.to_string(), owner);
    }
    if let Some(name) = model.lab.as_ref().and_then(|l| l.name.clone()) {
        labels.insert(crate::model::TAG_LAB.to_string(), name);
    }
    if !labels.is_empty() {
        let created = state.labels.get(TAG_CREATED_AT).cloned().unwrap_or_else(|| crate::model::rfc3339(now));
        labels.insert(TAG_CREATED_AT.to_string(), created);
    }
    Ok(labels)
}

/// `--expires-in`: a duration of at most 90 days (the bound of `lab.expires_after`), or
/// `never`.
fn parse_expires_in(s: &str) -> Result<u64> {
    let secs = crate::model::parse_duration(s).map_err(|m| anyhow!("--expires-in: {m}, or `never`"))?;
    if secs > MAX_EXPIRY_SECS {
        bail!(
            "--expires-in {s}: a lab lives at most 90 days from an apply; renew it with another apply, or say `never`"
        );
    }
    Ok(secs)
}

/// The longest `--expires-in`: 90 days, as for `lab.expires_after`.
const MAX_EXPIRY_SECS: u64 = 90 * 86_400;

fn plan_options(select: &Select, destroy: bool) -> Result<PlanOptions> {
    let parse =
        |l: &[String]| l.iter().map(|a| Address::parse(a).map_err(|e| anyhow!("{e}"))).collect::<Result<Vec<_>>>();
    Ok(PlanOptions {
        destroy,
        targets: parse(&select.target)?,
        replace: parse(&select.replace)?,
        refresh_only: select.refresh_only,
    })
}

/// The one async runtime of the process, made on first use. One runtime for everything, so
/// that an SDK client (and its connection pool) is never used from a runtime other than the
/// one that built it.
/// Seconds since the Unix epoch (0 if the clock is before it).
fn now_secs() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

/// `--timeout`: a duration such as `90s`, `10m` or `1h`.
fn parse_timeout(s: &str) -> std::result::Result<Duration, String> {
    crate::model::parse_duration(s).map(Duration::from_secs)
}

fn runtime() -> Result<&'static tokio::runtime::Runtime> {
    static RUNTIME: std::sync::OnceLock<std::io::Result<tokio::runtime::Runtime>> = std::sync::OnceLock::new();
    RUNTIME
        .get_or_init(|| {
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(4)
                .thread_stack_size(16 * 1024 * 1024)
                .enable_all()
                .build()
        })
        .as_ref()
        .map_err(|e| anyhow!("starting the async runtime: {e}"))
}

fn print_plan(plan: &Plan, format: PlanFormat, ui: &Ui) {
    if ui.json {
        ui.event(events::JsonEvent::Plan {
            blueprint: &plan.blueprint,
            region: &plan.region,
            account_id: plan.globals.get("account_id"),
            destroy: plan.destroy,
            summary: &plan.summary,
        });
        return;
    }
    match format {
        PlanFormat::Human => out!("{}", render_plan::human(plan, ui.color_out)),
        PlanFormat::Json => out!("{}", render_plan::json(plan)),
        PlanFormat::Markdown => out!("{}", render_plan::markdown(plan)),
    }
}

/// A saved plan: the plan and a marker saying what it is.
#[derive(serde::Serialize, serde::Deserialize)]
struct SavedPlan {
    socform_saved_plan: u32,
    plan: Plan,
}

fn plan_cmd(g: &Global, args: PlanArgs, ui: &Ui) -> Result<u8> {
    let loaded = load_for_aws(g, &args.blueprint, EnvMode::Skip, ui)?;
    let store = open_store(g, &loaded.model.blueprint, &loaded.model.region)?;
    let state = fetch_state(&store, &loaded.model.blueprint, &loaded.model.region)?;
    let loaded = load_with_secrets(&args.blueprint, &state, ui)?;
    if args.select.refresh_only && (args.destroy || args.out.is_some()) {
        bail!("--refresh-only shows what changed outside socform: it cannot be combined with --destroy or --out (run `socform apply --refresh-only` to record it)");
    }
    let opts = plan_options(&args.select, args.destroy)?;
    let (mut plan, _) = make_plan(g, &loaded, &state, args.refresh, opts, ui)?;
    if !plan.destroy && !plan.refresh_only {
        plan.labels = lab_labels(&loaded.model, &state, args.select.expires_in.as_deref())?;
    }
    print_plan(&plan, args.format, ui);
    if let Some(out) = &args.out {
        let saved = SavedPlan { socform_saved_plan: 1, plan: plan.clone() };
        let text = serde_json::to_vec_pretty(&saved)?;
        crate::state::write_private_atomic(out, &text).with_context(|| format!("writing plan `{}`", out.display()))?;
        ui.note(&format!(
            "Saved the plan to {}. Run `socform apply {}` to carry out exactly this.",
            out.display(),
            out.display()
        ));
    }
    Ok(match (args.detailed_exitcode, plan.has_changes(), plan.review.is_empty()) {
        (true, true, false) => 3,
        (true, true, true) => 2,
        _ => 0,
    })
}

fn read_saved_plan(path: &Path) -> Option<Result<Plan>> {
    let text = std::fs::read(path).ok()?;
    let probe: serde_json::Value = serde_json::from_slice(&text).ok()?;
    probe.get("socform_saved_plan")?;
    Some(
        serde_json::from_value::<SavedPlan>(probe)
            .map(|s| s.plan)
            .with_context(|| format!("`{}` is a saved plan socform cannot read", path.display())),
    )
}

/// How an apply runs.
struct ApplyOpts {
    auto_approve: bool,
    parallelism: usize,
    skip_preflight: bool,
}

fn preflight_cmd(g: &Global, blueprint: &Path, format: OutputFormat, ui: &Ui) -> Result<u8> {
    let loaded = load_for_aws(g, blueprint, EnvMode::Skip, ui)?;
    let store = open_store(g, &loaded.model.blueprint, &loaded.model.region)?;
    let state = fetch_state(&store, &loaded.model.blueprint, &loaded.model.region)?;
    let loaded = load_with_secrets(blueprint, &state, ui)?;
    let (plan, snapshot) = make_plan(g, &loaded, &state, true, PlanOptions::default(), ui)?;
    let p = provider(g, &plan.region)?;
    let report = runtime()?.block_on(crate::ops::preflight::check(p.as_ref(), &loaded.model, &plan, snapshot.as_ref()));
    match format {
        OutputFormat::Json => out!("{}", serde_json::to_string_pretty(&report)?),
        OutputFormat::Human => out!("{}", preflight_text(&report, false)),
    }
    Ok(if report.fails() { 1 } else { 0 })
}

/// A preflight report in words: every finding, or (`errors_only`) what would fail.
fn preflight_text(report: &crate::ops::preflight::Report, errors_only: bool) -> String {
    use crate::ops::preflight::Severity;
    use std::fmt::Write;
    let mut s = String::new();
    for f in report.findings.iter().filter(|f| !errors_only || f.severity == Severity::Error) {
        let mark = match f.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Ok => "ok",
        };
        let _ = writeln!(s, "{mark:<7} {:<11} {}", f.check, f.message);
        if !f.fix.is_empty() {
            let _ = writeln!(s, "{:<19} fix: {}", "", f.fix);
        }
    }
    let errors = report.findings.iter().filter(|f| f.severity == Severity::Error).count();
    let _ = writeln!(
        s,
        "{}",
        if errors == 0 {
            "Preflight: nothing found that would make the apply fail.".to_string()
        } else {
            format!("Preflight: {errors} problem{} would make the apply fail.", if errors == 1 { "" } else { "s" })
        }
    );
    s
}

fn apply_cmd(g: &Global, target: &Path, opts: ApplyOpts, select: &Select, ui: &Ui) -> Result<u8> {
    let ApplyOpts { auto_approve, parallelism, skip_preflight } = opts;
    if let Some(saved) = read_saved_plan(target) {
        let plan = saved?;
        remember_blueprint(target);
        if !g.vars.is_empty() || !g.var_files.is_empty() {
            bail!("a saved plan is applied with the inputs it was made with: drop --var and --var-file (or make a new plan with them)");
        }
        if !select.target.is_empty() || !select.replace.is_empty() || select.refresh_only || select.expires_in.is_some()
        {
            bail!("a saved plan is applied exactly as it was made: give --target, --replace or --refresh-only to `socform plan`");
        }
        check_region_flag(g, &plan.region, &plan.blueprint)?;
        let store = open_store(g, &plan.blueprint, &plan.region)?;
        let _lock = hold(&store, "apply", ui)?;
        let mut state = fetch_state(&store, &plan.blueprint, &plan.region)?;
        pin_state(&state, &plan.blueprint, plan.labels.get(crate::model::TAG_LAB).map(String::as_str), &plan.region)?;
        check_saved_plan(&plan, &state)?;
        if state.serial == 0 && !plan.provenance.lineage.is_empty() {
            // No state yet: write it with the lineage the plan was made for.
            state.lineage = plan.provenance.lineage.clone();
        }
        // A saved plan was reviewed already: it is applied without asking again.
        return execute(g, &plan, state, &store, parallelism, None, ui);
    }
    let loaded = load_for_aws(g, target, EnvMode::Skip, ui)?;
    let store = open_store(g, &loaded.model.blueprint, &loaded.model.region)?;
    let _lock = hold(&store, "apply", ui)?;
    let state = fetch_state(&store, &loaded.model.blueprint, &loaded.model.region)?;
    let loaded = load_with_secrets(target, &state, ui)?;
    let (mut plan, snapshot) = make_plan(g, &loaded, &state, true, plan_options(select, false)?, ui)?;
    if !plan.refresh_only {
        plan.labels = lab_labels(&loaded.model, &state, select.expires_in.as_deref())?;
    }
    // `-q` prints only errors: an approved run's plan is not one (one asking for approval
    // shows it, as the person must see what they approve).
    if !(ui.quiet && auto_approve) {
        print_plan(&plan, PlanFormat::Human, ui);
    }
    if plan.refresh_only {
        if !plan.has_changes() {
            return Ok(0);
        }
        confirm(auto_approve, &format!("record these changes made outside socform in state {}", where_(&plan)))?;
        let mut state = plan::accept_drift(&state, snapshot.as_ref(), &plan);
        runtime()?.block_on(crate::state::StateSink::save(store.as_ref(), &mut state))?;
        ui.note(&format!(
            "State updated: {} change{} made outside socform recorded; nothing in AWS changed.",
            plan.drift.len(),
            if plan.drift.len() == 1 { "" } else { "s" }
        ));
        return Ok(0);
    }
    if !plan.has_changes() {
        // Nothing to change, but outputs may be new or changed (a new `outputs:` entry).
        // With nothing to change, the lab's expiry is renewed only when asked for.
        let mut plan = plan;
        let p = if select.expires_in.is_some() && plan.labels != state.labels {
            confirm(auto_approve, &format!("renew the lab's expiry on every resource {}", where_(&plan)))?;
            Some(provider(g, &plan.region)?)
        } else {
            plan.labels = state.labels.clone();
            None
        };
        let outputs = record_outputs(&plan, state, store.as_ref(), runtime()?, p.as_ref())?;
        if !outputs.is_empty() {
            ui.event(events::JsonEvent::Outputs { outputs: &outputs });
        }
        ui.event(events::JsonEvent::nothing_to_do());
        print_outputs(&outputs, ui);
        return Ok(0);
    }
    // What would make the apply fail halfway, before the first write (and before asking).
    if !skip_preflight {
        let p = provider(g, &plan.region)?;
        let report =
            runtime()?.block_on(crate::ops::preflight::check(p.as_ref(), &loaded.model, &plan, snapshot.as_ref()));
        if report.fails() {
            errln!("{}", preflight_text(&report, true));
            bail!(
                "the apply would fail (preflight, above): nothing was changed; fix it, or apply with --skip-preflight"
            );
        }
    }
    confirm(auto_approve, &format!("apply these changes {}", where_(&plan)))?;
    execute(g, &plan, state, &store, parallelism, Some(&loaded), ui)
}

/// Refuses a saved plan made against other state or another version of the blueprint.
fn check_saved_plan(plan: &Plan, state: &State) -> Result<()> {
    let p = &plan.provenance;
    let current_lineage = (state.serial > 0).then(|| state.lineage.clone());
    if p.state_lineage != current_lineage || p.state_serial != state.serial {
        bail!(
            "the saved plan is stale: it was made against state serial {} and the state is now at serial {}; make a new plan",
            p.state_serial,
            state.serial
        );
    }
    if let Ok(text) = std::fs::read(&p.blueprint_path) {
        if sha256_hex(&text) != p.blueprint_sha256 {
            bail!("the saved plan is stale: `{}` changed since the plan was made; make a new plan", p.blueprint_path);
        }
    }
    Ok(())
}

/// "in AWS account N, REGION", for confirmation prompts.
fn where_(plan: &Plan) -> String {
    match plan.globals.get("account_id") {
        Some(a) => format!("in AWS account {a}, {}", plan.region),
        None => format!("in {}", plan.region),
    }
}

fn confirm(auto_approve: bool, what: &str) -> Result<()> {
    if auto_approve {
        return Ok(());
    }
    if !std::io::stdin().is_terminal() {
        bail!("refusing to {what} without confirmation: standard input is not a terminal (pass --auto-approve)");
    }
    err!("\nDo you want to {what}? Only `yes` is accepted: ");
    std::io::stderr().flush().ok();
    let mut answer = String::new();
    std::io::stdin().read_line(&mut answer)?;
    if answer.trim() != "yes" {
        bail!("cancelled: nothing was changed");
    }
    Ok(())
}

fn execute(
    g: &Global,
    plan: &Plan,
    state: State,
    store: &Store,
    parallelism: usize,
    source: Option<&Loaded>,
    ui: &Ui,
) -> Result<u8> {
    let sink: &dyn crate::state::StateSink = store.as_ref();
    let placed = crate::provider::accounts::plan_placement(plan);
    let provider = provider_spanning(g, &plan.region, source, &plan.provenance.accounts, placed)?;
    let rt = runtime()?;
    // The account is checked again right before the first write: the plan's, the state's
    // and the blueprint's allowed ones must all agree with the credentials in use.
    let account = account_of(rt, &provider)?;
    pin_account(&account, state.account_id.as_deref(), &plan.provenance.allowed_accounts)?;
    if let Some(planned) = plan.globals.get("account_id") {
        if planned != &account {
            bail!(
                "the plan was made for AWS account {planned}, and the credentials are for account {account}: nothing was changed"
            );
        }
    }
    // And each named account of `accounts:`: its role must reach the account the plan was
    // made for, and state recorded.
    if !plan.provenance.accounts.is_empty() {
        let ids = rt.block_on(provider.accounts()).map_err(|e| anyhow!("{e}: nothing was changed"))?;
        for (name, id) in &ids {
            let planned = plan.globals.get(&crate::model::template::account_global(name));
            let recorded = state.accounts.get(name);
            for (what, expected) in [("the plan was made for", planned), ("state records", recorded)] {
                if let Some(expected) = expected.filter(|e| *e != id) {
                    bail!("account `{name}` of the blueprint's `accounts:`: {what} {expected}, and its role reaches {id}: nothing was changed");
                }
            }
        }
    }
    // A new or emptied state records which lab it is before its first write (see
    // `pin_state`, which lets an empty state be taken over).
    let mut state = state;
    if state.resources.is_empty() && state.pending.is_empty() {
        state.lab = plan.labels.get(crate::model::TAG_LAB).cloned();
    }
    // Renames are recorded first: every operation below uses the new addresses.
    let (mut state, moved) = plan::apply_moves(&state, &plan.moved);
    if !moved.is_empty() {
        state.account_id.get_or_insert(account.clone());
        rt.block_on(sink.save(&mut state)).context("recording the renames in state")?;
        for m in &moved {
            ui.note(&format!("{}: now recorded as {}", m.from, m.to));
        }
    }
    let progress = Progress::new(ui);
    let on_event = |e: Event| progress.event(e);
    EXECUTING.store(true, Ordering::SeqCst);
    let (final_state, outcome) = rt.block_on(executor::execute(
        plan,
        provider.clone(),
        state,
        sink,
        executor::Options { parallelism, stop: Some(&STOP) },
        &on_event,
    ));
    EXECUTING.store(false, Ordering::SeqCst);
    progress.finish();
    if ui.verbose > 0 {
        for (service, n) in provider.call_counts().into_iter().chain(store.call_counts()) {
            errln!("  {service}: {n} API calls");
        }
    }
    // Names taken by something socform did not make: point at the blueprint's entry.
    for (address, message) in &outcome.conflicts {
        // The import hint names the blueprint this run applied, as `import` needs it.
        let message = match source {
            Some(l) => message.replace(" BLUEPRINT`", &format!(" {}`", l.source.path)),
            None => message.clone(),
        };
        let mut d = Diagnostic::error(format!("{address}: {message}")).label("this resource's name is taken").help(
            "socform never adopts or deletes what this state did not make; `socform import` takes it over explicitly",
        );
        if let Some(l) = source {
            if let Some(loc) = l.locations.get(address) {
                d = d.at(&l.source, *loc);
            }
        }
        err!("{}", d.render(ui.color_err));
    }
    if let Some(e) = &outcome.state_error {
        bail!("state could not be saved: {e}; resources made meanwhile carry socform tags and are adopted by the next run");
    }
    let verb = if plan.destroy { "Destroy" } else { "Apply" };
    let outputs = if outcome.ok() && !outcome.interrupted {
        record_outputs(plan, final_state, sink, rt, Some(&provider))?
    } else {
        Default::default()
    };
    if !outputs.is_empty() {
        ui.event(events::JsonEvent::Outputs { outputs: &outputs });
    }
    ui.event(events::JsonEvent::summary(&outcome));
    if outcome.interrupted {
        ui.error(&format!(
            "{verb} interrupted: {} done and saved, {} failed, {} not started. State records what exists; run the command again to finish.",
            outcome.done.len(),
            outcome.failed.len(),
            outcome.not_started.len() + outcome.skipped.len()
        ));
        return Err(anyhow!(Reported(130)));
    }
    if outcome.ok() {
        let count = |op: Op| outcome.done.iter().filter(|(_, o)| *o == op).count();
        let adopted = match count(Op::Adopt) {
            0 => String::new(),
            n => format!(", {n} adopted"),
        };
        if plan.destroy {
            ui.note(&format!("{verb} complete: {} destroyed.", count(Op::Delete)));
        } else {
            ui.note(&format!(
                "{verb} complete: {} added, {} changed, {} destroyed{adopted}.",
                count(Op::Create),
                count(Op::Update),
                count(Op::Delete)
            ));
        }
        // The lab's expiry, said again where the run ends (the plan said it at the top).
        if !plan.destroy {
            match plan.labels.get(crate::model::TAG_EXPIRES_AT).map(String::as_str) {
                Some("never") | None => {}
                Some(at) => {
                    ui.note(&format!("The lab expires at {at}: `socform reap --expired` removes it after that."))
                }
            }
        }
        print_outputs(&outputs, ui);
        Ok(0)
    } else {
        ui.error(&format!(
            "{verb} incomplete: {} done, {} failed, {} skipped because of a failure. State records what exists; {}",
            outcome.done.len(),
            outcome.failed.len(),
            outcome.skipped.len(),
            if outcome.lasting == 0 {
                "run the command again to finish (what failed was throttling or AWS catching up)"
            } else {
                "what failed will fail again until it is dealt with (above): fix it, then run the command again"
            }
        ));
        Err(anyhow!(Reported(1)))
    }
}

/// Resolves the blueprint's outputs from state after a complete apply and records them in
/// state for `socform output`; a destroy clears them.
fn record_outputs(
    plan: &Plan,
    mut state: State,
    sink: &dyn crate::state::StateSink,
    rt: &tokio::runtime::Runtime,
    provider: Option<&Arc<dyn Provider>>,
) -> Result<std::collections::BTreeMap<String, String>> {
    // The lab's tags go on every resource, the ones this apply did not touch too: an apply
    // renews the expiry of the whole lab.
    if !plan.destroy && !plan.labels.is_empty() && plan.labels != state.labels {
        let p = match provider {
            Some(p) => p.clone(),
            None => return Err(anyhow!("internal: labels to write without a provider")),
        };
        // Made by this apply, with the labels. An update writes only what changed: a log
        // group taken over by `import` then given a retention kept its tags without the
        // lab's expiry, and the lab's expiry was disputed, so never reaped (issue 29).
        let touched: std::collections::BTreeSet<&Address> = plan
            .changes
            .iter()
            .filter(|c| matches!(c.action, plan::Action::Create | plan::Action::Replace))
            .map(|c| &c.address)
            .collect();
        for (address, rec) in state.resources.iter().filter(|(a, _)| a.kind().taggable() && !touched.contains(a)) {
            rt.block_on(crate::ops::retag(
                p.as_ref(),
                address,
                &rec.id,
                &rec.attributes,
                &plan.blueprint,
                &state.lineage,
                &plan.labels,
            ))
            .map_err(|e| anyhow!("renewing the lab's expiry: tagging {address}: {e}"))?;
        }
        state.labels = plan.labels.clone();
        rt.block_on(sink.save(&mut state)).context("recording the lab's tags in state")?;
    }
    let globals = plan::state_globals(&plan.region, &state);
    let values: std::collections::BTreeMap<String, String> = if plan.destroy {
        Default::default()
    } else {
        plan.outputs
            .iter()
            .filter_map(|o| {
                let attrs = [("v".to_string(), serde_json::Value::String(o.value.clone()))].into_iter().collect();
                let (resolved, unknown) = crate::model::template::resolve_attrs(
                    &attrs,
                    &executor::Outputs { state: &state, globals: &globals },
                );
                let v = resolved.get("v")?.as_str()?.to_string();
                (unknown.is_empty() && !v.contains("${")).then(|| (o.name.clone(), v))
            })
            .collect()
    };
    if values != state.outputs {
        state.outputs = values.clone();
        rt.block_on(sink.save(&mut state)).context("recording outputs in state")?;
    }
    Ok(values)
}

fn print_outputs(values: &std::collections::BTreeMap<String, String>, ui: &Ui) {
    if values.is_empty() || ui.quiet || ui.json {
        return;
    }
    errln!("\nOutputs:");
    let width = values.keys().map(String::len).max().unwrap_or(0);
    for (k, v) in values {
        errln!("  {k:<width$} = {v}");
    }
}

fn output_cmd(g: &Global, args: &[String], format: OutputFormat) -> Result<u8> {
    let is_blueprint = |a: &str| a.ends_with(".yaml") || a.ends_with(".yml");
    let (name, blueprint) = match args {
        [] => (None, None),
        [one] if is_blueprint(one) => (None, Some(PathBuf::from(one))),
        [one] => (Some(one.clone()), None),
        [name, bp] => (Some(name.clone()), Some(PathBuf::from(bp))),
        _ => bail!("usage: socform output [NAME] [BLUEPRINT]"),
    };
    let store = pick_store(g, blueprint)?;
    let state = runtime()?
        .block_on(store.fetch())?
        .ok_or_else(|| anyhow!("no state at `{}`: apply the blueprint first", store.location()))?;
    if state.outputs.is_empty() {
        bail!("no outputs in `{}`: they are recorded by a complete `socform apply`", store.location());
    }
    match (name, format) {
        (Some(n), f) => {
            let Some(v) = state.outputs.get(&n) else {
                let names: Vec<&str> = state.outputs.keys().map(String::as_str).collect();
                let hint = crate::blueprint::node::did_you_mean(&n, names.iter().copied())
                    .map(|b| format!("did you mean `{b}`?"))
                    .unwrap_or_else(|| format!("outputs: {}", names.join(", ")));
                bail!("no output named `{n}`; {hint}");
            };
            match f {
                OutputFormat::Human => outln!("{v}"),
                OutputFormat::Json => outln!("{}", serde_json::Value::String(v.clone())),
            }
        }
        (None, OutputFormat::Json) => outln!("{}", serde_json::to_string_pretty(&state.outputs)?),
        (None, OutputFormat::Human) => {
            let width = state.outputs.keys().map(String::len).max().unwrap_or(0);
            for (k, v) in &state.outputs {
                outln!("{k:<width$} = {v}");
            }
        }
    }
    Ok(0)
}

fn destroy_cmd(g: &Global, blueprint: &Path, auto_approve: bool, parallelism: usize, ui: &Ui) -> Result<u8> {
    let loaded = load_for_aws(g, blueprint, EnvMode::Skip, ui)?;
    let store = open_store(g, &loaded.model.blueprint, &loaded.model.region)?;
    let _lock = hold(&store, "destroy", ui)?;
    let state = fetch_state(&store, &loaded.model.blueprint, &loaded.model.region)?;
    let lineage = state.lineage.clone();
    let (plan, _) = make_plan(g, &loaded, &state, true, PlanOptions { destroy: true, ..Default::default() }, ui)?;
    if !(ui.quiet && auto_approve) {
        print_plan(&plan, PlanFormat::Human, ui);
    }
    let code = if plan.has_changes() {
        confirm(auto_approve, &format!("destroy all of these resources {}", where_(&plan)))?;
        match execute(g, &plan, state, &store, parallelism, Some(&loaded), ui) {
            Ok(c) => c,
            // Say what is left even when the destroy stopped early.
            Err(e) => {
                if !STOP.load(Ordering::SeqCst) {
                    let _ = report_leftovers(g, &loaded, &lineage, ui);
                }
                return Err(e);
            }
        }
    } else {
        0
    };
    report_leftovers(g, &loaded, &lineage, ui)?;
    Ok(code)
}

use crate::ops::named_resources;

/// `-v`: "N API calls (service n, ...)", the calls a provider has made so far.
fn call_summary(p: &dyn Provider) -> String {
    let counts = p.call_counts();
    let total: u64 = counts.values().sum();
    let list: Vec<String> = counts.iter().map(|(s, n)| format!("{s} {n}")).collect();
    format!("{total} API calls ({})", list.join(", "))
}

/// What remains but KMS keys scheduled for deletion, which are noted: AWS deletes no key at
/// once, and one pending deletion cannot be used, so it is not left behind.
fn not_pending(left: Vec<crate::provider::Leftover>, ui: &Ui) -> Vec<crate::provider::Leftover> {
    let (pending, left): (Vec<_>, Vec<_>) = left.into_iter().partition(|l| l.pending_deletion.is_some());
    for p in &pending {
        ui.note(&format!(
            "pending deletion (AWS deletes it on {}; it can no longer be used): {p}",
            p.pending_deletion.as_deref().unwrap_or_default()
        ));
    }
    left
}

/// The closing check of a teardown: prints "0 resources remain." only when nothing tagged
/// for the blueprint (by this state or any other) and nothing it names is left; else lists
/// each one and fails.
fn report_leftovers(g: &Global, loaded: &Loaded, lineage: &str, ui: &Ui) -> Result<()> {
    let model = &loaded.model;
    let named = named_resources(model);
    let p = model_provider(g, model, None)?;
    let left = runtime()?
        .block_on(p.leftovers(&model.blueprint, lineage, &named))
        .map_err(|e| anyhow!("cannot check what remains: {e}"))?;
    let left = not_pending(left, ui);
    ui.event(events::JsonEvent::Leftovers { remaining: left.iter().map(|l| l.to_string()).collect() });
    let (released, left): (Vec<_>, Vec<_>) = left.into_iter().partition(|l| {
        l.other_lineage.as_deref().is_some_and(|o| o.strip_prefix(RELEASED_PREFIX).is_some_and(|r| r == lineage))
    });
    for r in &released {
        ui.note(&format!("kept, as `socform state rm` asked: {r}"));
    }
    if left.is_empty() {
        ui.note(&format!(
            "0 resources remain{}.",
            if released.is_empty() {
                String::new()
            } else {
                format!(" besides {} released from state", released.len())
            }
        ));
        return Ok(());
    }
    for l in &left {
        ui.error(&format!("still exists: {l}"));
    }
    bail!(
        "{} resource{} remain{} after destroy",
        left.len(),
        if left.len() == 1 { "" } else { "s" },
        if left.len() == 1 { "s" } else { "" }
    )
}

fn import_cmd(g: &Global, address: &str, id: &str, path: &Path, force: bool, ui: &Ui) -> Result<u8> {
    let address = Address::parse(address)?;
    let loaded = load_for_aws(g, path, EnvMode::Skip, ui)?;
    let model = &loaded.model;
    let store = open_store(g, &model.blueprint, &model.region)?;
    let _lock = hold(&store, "import", ui)?;
    let mut state = fetch_state(&store, &model.blueprint, &model.region)?;
    pin_state(&state, &model.blueprint, model.lab_name(), &model.region)?;
    let loaded = load_with_secrets(path, &state, ui)?;
    let model = &loaded.model;
    let p = provider(g, &model.region)?;
    let rt = runtime()?;
    let imported = rt.block_on(crate::ops::import(p.as_ref(), model, &mut state, &address, id, force))?;
    if let Some((blueprint, lineage)) = &imported.taken_from {
        ui.warn(&format!(
            "taking `{}` over from another socform state (blueprint `{blueprint}`, state lineage {lineage}): that state no longer manages it",
            imported.id
        ));
    }
    if let Some((have, want)) = &imported.renamed {
        ui.warn(&format!(
            "`{}` is named `{have}`, and the blueprint names {address} `{want}`: the next apply replaces it (deletes it and makes `{want}`)",
            imported.id
        ));
    }
    rt.block_on(crate::state::StateSink::save(store.as_ref(), &mut state))?;
    ui.note(&format!(
        "Imported {address} ({}): this state now manages it, and `socform destroy` will delete it. Run `socform plan {}` to see how it differs from the blueprint.",
        imported.id,
        path.display()
    ));
    Ok(0)
}

use crate::ops::arn_names;

pub use crate::ops::RELEASED_PREFIX;

fn state_rm(g: &Global, address: &str, blueprint: Option<PathBuf>, ui: &Ui) -> Result<u8> {
    let address = Address::parse(address)?;
    let store = pick_store(g, blueprint)?;
    let _lock = hold(&store, "state rm", ui)?;
    let mut state = runtime()?.block_on(store.fetch())?.ok_or_else(|| anyhow!("no state at `{}`", store.location()))?;
    crate::ops::check_state_rm(&state, &address, &store.location())?;
    check_region_flag(g, &state.region, &state.blueprint)?;
    let p = provider(g, &state.region)?;
    let released = match runtime()?.block_on(crate::ops::state_rm(p.as_ref(), &mut state, &address, &store.location()))
    {
        Ok(r) => r,
        Err(e @ crate::ops::OpsError::Retag { .. }) => return Err(anyhow!(e).context("nothing was removed from state")),
        Err(e) => return Err(e.into()),
    };
    for dependent in &released.needed_by {
        ui.warn(&format!(
            "{dependent} needs {address}: destroy will no longer wait for it, and will not delete {address}"
        ));
    }
    runtime()?.block_on(crate::state::StateSink::save(store.as_ref(), &mut state))?;
    errln!(
        "Removed {address} ({}) from `{}`: it stays in AWS, and socform no longer manages it.",
        released.id,
        store.location()
    );
    Ok(0)
}

fn state_cmd(g: &Global, cmd: StateCommand, ui: &Ui) -> Result<u8> {
    let pick = |blueprint: Option<PathBuf>| pick_store(g, blueprint);
    let read = |store: &Store| -> Result<State> {
        runtime()?.block_on(store.fetch())?.ok_or_else(|| anyhow!("no state at `{}`", store.location()))
    };
    match cmd {
        StateCommand::List { blueprint } => {
            let store = pick(blueprint)?;
            let state = read(&store)?;
            for (addr, rec) in &state.resources {
                outln!("{addr}\t{}", rec.id);
            }
            Ok(0)
        }
        StateCommand::Show { address, blueprint } => {
            let addr = Address::parse(&address)?;
            let store = pick(blueprint)?;
            let state = read(&store)?;
            let rec =
                state.resources.get(&addr).ok_or_else(|| anyhow!("`{addr}` is not in state `{}`", store.location()))?;
            let mut shown = rec.clone();
            for (k, v) in shown.attributes.iter_mut() {
                if crate::model::is_sensitive(addr.kind(), k, &rec.attributes) {
                    *v = serde_json::Value::String(crate::model::SENSITIVE.into());
                }
            }
            outln!("{}", serde_json::to_string_pretty(&serde_json::json!({"address": addr, "record": shown}))?);
            Ok(0)
        }
        StateCommand::Mv { from, to, blueprint } => {
            let (from, to) = (Address::parse(&from)?, Address::parse(&to)?);
            if from.kind() != to.kind() {
                bail!(
                    "`{from}` is a {} and `{to}` a {}: a resource keeps its kind",
                    from.kind().noun(),
                    to.kind().noun()
                );
            }
            let store = pick(blueprint)?;
            let _lock = hold(&store, "state mv", ui)?;
            let state = read(&store)?;
            if state.resources.contains_key(&to) {
                bail!("`{to}` is in state already: nothing was moved");
            }
            if !state.resources.contains_key(&from) {
                bail!("`{from}` is not in state `{}`", store.location());
            }
            // What needed it needs it under its new address (destroy order rests on this).
            let (mut state, _) =
                plan::apply_moves(&state, &[crate::model::Moved { from: from.clone(), to: to.clone() }]);
            runtime()?.block_on(crate::state::StateSink::save(store.as_ref(), &mut state))?;
            errln!("Moved {from} to {to} in `{}`.", store.location());
            Ok(0)
        }
        StateCommand::Rm { address, blueprint } => state_rm(g, &address, blueprint, ui),
        StateCommand::Unlock { lock_id, blueprint } => {
            let store = pick(blueprint)?;
            let holder = runtime()?.block_on(store.break_lock(&lock_id))?;
            errln!("Unlocked `{}`: the lock of {} was removed.", store.location(), holder);
            Ok(0)
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_command_line_definition_is_consistent() {
        use clap::CommandFactory;
        super::Cli::command().debug_assert();
    }
}
