//! Validation and lowering: from the YAML tree to the [`Model`], with every problem found.
//!
//! Lowering runs in two passes. The first collects the keys of every section, so that a
//! reference may point forwards or backwards. The second reads each entry on its own (an
//! entry with a type error does not hide the problems of the next one), checks values
//! against AWS's rules, resolves references, and emits resources, including the ones socform
//! generates: route tables, the CloudTrail bucket policy and log delivery role, the flow-log
//! role, instance profiles, the AWS Config role, one node per security-group rule.
//!
//! Problems are collected, never thrown: the result is a model or the full list.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::net::Ipv4Addr;
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::Arc;

use ipnet::{IpNet, Ipv4Net};
use serde::Deserialize;
use serde_json::{json, Value};

use super::names;
use super::node::{did_you_mean, from_node, DeError, Loc, Node, Sp};
use super::raw;
use crate::address::Address;
use crate::diag::{Diagnostic, SourceFile};
use crate::model::spec::{self, to_attrs, Direction, SecretValue};
use crate::model::template::output_ref;
use crate::model::{Attrs, Detection, Kind, Model, Resource};

/// Reads one environment variable.
/// Reads the environment variable `variable` for the value of `address` and answers with the
/// value's fingerprint ([`crate::model::spec::fingerprint`]): lowering never holds a secret.
pub type EnvReader<'a> = &'a dyn Fn(&Address, &str) -> Option<String>;

/// Fingerprints a value given to `address` (a `from_input` value), salted as [`EnvReader`]'s.
pub type Fingerprinter<'a> = &'a dyn Fn(&Address, &str) -> String;

/// How lowering reads the outside world.
#[derive(Default)]
pub struct LowerOptions<'a> {
    /// Folder that relative paths in the blueprint (user data scripts) resolve against.
    pub base_dir: PathBuf,
    /// Reads environment variables for `from_env` values. `None` (as in `validate`) checks
    /// the blueprint without reading them.
    pub env: Option<EnvReader<'a>>,
    /// Fingerprints `from_input` values; `None` when `env` is `None`.
    pub fingerprint: Option<Fingerprinter<'a>>,
    /// Values of the blueprint's inputs set from outside (`--var`, `--var-file`, environment).
    pub inputs: super::inputs::Supplied,
}

/// Largest user data AWS accepts, before base64.
const USER_DATA_LIMIT: usize = 16 * 1024;
/// The most rules AWS accepts in one direction of a security group, whatever the quota.
pub const MAX_RULES_PER_DIRECTION: usize = 1000;
/// The most security groups AWS attaches to one network interface, whatever the quota.
pub const MAX_GROUPS_PER_INTERFACE: usize = 16;
/// Longest filter pattern CloudWatch Logs accepts.
pub const PATTERN_LIMIT: usize = 1024;

const TOP_KEYS: &[&str] = &[
    "blueprint",
    "region",
    "allowed_accounts",
    "description",
    "inputs",
    "outputs",
    "moved",
    "lab",
    "tags",
    "network",
    "security_groups",
    "iam",
    "buckets",
    "trail",
    "log_groups",
    "detections",
    "notifications",
    "parameters",
    "secrets",
    "config",
    "hosts",
    "lint",
];
const NETWORK_KEYS: &[&str] = &["vpc", "internet_gateway", "subnets", "flow_logs"];
const IAM_KEYS: &[&str] = &["roles"];
const CONFIG_KEYS: &[&str] = &["recorder", "rules"];

/// Friendly image names and the public SSM parameters that name their current AMI.
pub const IMAGES: &[(&str, &str)] = &[
    ("amazon-linux-2023", "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64"),
    ("amazon-linux-2", "/aws/service/ami-amazon-linux-latest/amzn2-ami-hvm-x86_64-gp2"),
    ("ubuntu-22.04", "/aws/service/canonical/ubuntu/server/22.04/stable/current/amd64/hvm/ebs-gp2/ami-id"),
    ("ubuntu-24.04", "/aws/service/canonical/ubuntu/server/24.04/stable/current/amd64/hvm/ebs-gp3/ami-id"),
    ("windows-2022", "/aws/service/ami-windows-latest/Windows_Server-2022-English-Full-Base"),
    ("windows-2019", "/aws/service/ami-windows-latest/Windows_Server-2019-English-Full-Base"),
];

/// The sections a blueprint reference can point into.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum Section {
    Vpc,
    Subnet,
    SecurityGroup,
    Role,
    Bucket,
    LogGroup,
    Topic,
    Host,
    Secret,
    Parameter,
    Trail,
}

impl Section {
    const ALL: [Section; 11] = [
        Section::Vpc,
        Section::Subnet,
        Section::SecurityGroup,
        Section::Role,
        Section::Bucket,
        Section::LogGroup,
        Section::Topic,
        Section::Host,
        Section::Secret,
        Section::Parameter,
        Section::Trail,
    ];

    /// The prefixes a reference may use; the first is the preferred one.
    fn prefixes(self) -> &'static [&'static str] {
        match self {
            Section::Vpc => &["vpc"],
            Section::Subnet => &["subnet"],
            Section::SecurityGroup => &["sg", "security_group"],
            Section::Role => &["role", "iam_role"],
            Section::Bucket => &["bucket", "s3_bucket"],
            Section::LogGroup => &["log_group"],
            Section::Topic => &["topic", "sns_topic"],
            Section::Host => &["host", "instance"],
            Section::Secret => &["secret"],
            Section::Parameter => &["parameter", "ssm_parameter"],
            Section::Trail => &["trail"],
        }
    }

    fn kind(self) -> Kind {
        match self {
            Section::Vpc => Kind::Vpc,
            Section::Subnet => Kind::Subnet,
            Section::SecurityGroup => Kind::SecurityGroup,
            Section::Role => Kind::IamRole,
            Section::Bucket => Kind::S3Bucket,
            Section::LogGroup => Kind::LogGroup,
            Section::Topic => Kind::SnsTopic,
            Section::Host => Kind::Instance,
            Section::Secret => Kind::Secret,
            Section::Parameter => Kind::SsmParameter,
            Section::Trail => Kind::Trail,
        }
    }

    fn noun(self) -> &'static str {
        match self {
            Section::Vpc => "VPC",
            Section::Subnet => "subnet",
            Section::SecurityGroup => "security group",
            Section::Role => "IAM role",
            Section::Bucket => "bucket",
            Section::LogGroup => "log group",
            Section::Topic => "notification topic",
            Section::Host => "host",
            Section::Secret => "secret",
            Section::Parameter => "parameter",
            Section::Trail => "trail",
        }
    }

    /// Where entries of this section are declared, for help texts.
    fn declared_in(self) -> &'static str {
        match self {
            Section::Vpc => "network.vpc",
            Section::Subnet => "network.subnets",
            Section::SecurityGroup => "security_groups",
            Section::Role => "iam.roles",
            Section::Bucket => "buckets",
            Section::LogGroup => "log_groups",
            Section::Topic => "notifications",
            Section::Host => "hosts",
            Section::Secret => "secrets",
            Section::Parameter => "parameters",
            Section::Trail => "trail",
        }
    }

    /// Outputs a template may use.
    fn outputs(self) -> &'static [&'static str] {
        match self {
            Section::Vpc | Section::Subnet | Section::SecurityGroup => &["id"],
            Section::Host => &["id", "private_ip", "public_ip", "private_dns"],
            Section::Trail => &["arn", "name"],
            _ => &["arn", "name"],
        }
    }

    fn from_prefix(p: &str) -> Option<Section> {
        Section::ALL.into_iter().find(|s| s.prefixes().contains(&p))
    }
}

struct SubnetInfo {
    net: Option<Ipv4Net>,
    public: bool,
}

/// Where each resource is defined in the blueprint (for lint and review output; the model
/// itself knows no source locations).
pub type Locations = BTreeMap<Address, Loc>;

/// Reads one blueprint.
pub fn lower(
    source: &Arc<SourceFile>,
    root: &Node,
    opts: &LowerOptions<'_>,
) -> Result<(Model, Locations), Vec<Diagnostic>> {
    lower_full(source, root, opts).map(|l| (l.model, l.locations))
}

/// A lowered blueprint with what only the caller may see.
pub struct Lowered {
    pub model: Model,
    pub locations: Locations,
    /// Values handed to secrets with `from_input`, by the variable name the secret records
    /// (`SOCFORM_VAR_NAME`): the apply needs them, and no plan or state may hold them.
    pub secret_inputs: BTreeMap<String, String>,
}

/// Reads one blueprint, resolving its inputs first.
pub fn lower_full(source: &Arc<SourceFile>, root: &Node, opts: &LowerOptions<'_>) -> Result<Lowered, Vec<Diagnostic>> {
    let resolved = super::inputs::resolve(source, root, &opts.inputs)?;
    let root = &resolved.root;
    let mut cx = Lower {
        src: source.clone(),
        opts,
        blueprint: String::new(),
        region: String::new(),
        tags: BTreeMap::new(),
        allowed_accounts: Vec::new(),
        diags: Vec::new(),
        resources: BTreeMap::new(),
        aws_names: HashMap::new(),
        declared: HashMap::new(),
        subnets: BTreeMap::new(),
        vpc_net: None,
        roles_with_profile: BTreeSet::new(),
        bucket_policies: BTreeMap::new(),
        trail_log_group: None,
        detections: Vec::new(),
        suppressions: Vec::new(),
        inputs: resolved.inputs,
        secret_inputs: BTreeMap::new(),
        outputs: Vec::new(),
        moved: Vec::new(),
        lab: None,
    };
    cx.run(root);
    if cx.diags.is_empty() {
        let locations = cx.resources.iter().map(|(a, (_, l))| (a.clone(), *l)).collect();
        let mut model = Model {
            blueprint: cx.blueprint,
            region: cx.region,
            allowed_accounts: cx.allowed_accounts,
            resources: cx.resources.into_values().map(|(r, _)| r).collect(),
            detections: cx.detections,
            suppressions: cx.suppressions,
            inputs: cx.inputs.values().map(super::inputs::Resolved::to_model).collect(),
            outputs: cx.outputs,
            moved: cx.moved,
            lab: cx.lab,
        };
        model.sort();
        Ok(Lowered { model, locations, secret_inputs: cx.secret_inputs })
    } else {
        cx.diags.sort_by_key(|d| d.loc.map(|l| (l.line, l.column)).unwrap_or((0, 0)));
        Err(cx.diags)
    }
}

struct Lower<'a> {
    src: Arc<SourceFile>,
    opts: &'a LowerOptions<'a>,
    blueprint: String,
    region: String,
    tags: BTreeMap<String, String>,
    allowed_accounts: Vec<String>,
    diags: Vec<Diagnostic>,
    resources: BTreeMap<Address, (Resource, Loc)>,
    /// AWS names already used, per kind, with where they were given.
    aws_names: HashMap<(Kind, String), Loc>,
    /// Keys of each section (first pass), with their location.
    declared: HashMap<Section, BTreeMap<String, Loc>>,
    subnets: BTreeMap<String, SubnetInfo>,
    vpc_net: Option<Ipv4Net>,
    roles_with_profile: BTreeSet<String>,
    /// Statements of each bucket's policy, gathered from every resource that writes to it.
    bucket_policies: BTreeMap<String, Vec<Value>>,
    trail_log_group: Option<String>,
    detections: Vec<Detection>,
    suppressions: Vec<crate::model::Suppression>,
    inputs: BTreeMap<String, super::inputs::Resolved>,
    secret_inputs: BTreeMap<String, String>,
    outputs: Vec<crate::model::Output>,
    moved: Vec<crate::model::Moved>,
    lab: Option<crate::model::Lab>,
}

impl Lower<'_> {
    // ---- diagnostics -------------------------------------------------------------------

    fn error(&mut self, loc: Loc, message: impl Into<String>) {
        let d = Diagnostic::error(message).at(&self.src, loc);
        self.diags.push(d);
    }

    fn error_help(&mut self, loc: Loc, message: impl Into<String>, help: impl Into<String>) {
        let d = Diagnostic::error(message).at(&self.src, loc).help(help);
        self.diags.push(d);
    }

    fn de_error(&mut self, e: DeError, fallback: Loc) {
        let loc = e.loc.unwrap_or(fallback);
        // serde's word for a value that fits none of a field's forms names a Rust type; say
        // what the forms are instead.
        match e.message.strip_prefix("data did not match any variant of untagged enum ") {
            Some(name) => {
                let forms = match name.trim() {
                    "UserData" => "a file path (`user_data: scripts/boot.sh`) or `{ file: scripts/boot.sh, vars: { NAME: value } }`",
                    "OneOrMany" => "one value or a list of values",
                    "Scalar" => "a number or a text such as `8000-8100`",
                    "TrailBucket" => "the name of an entry of `buckets`, or a bucket's settings such as `{ versioning: true }`",
                    _ => "see `socform schema`",
                };
                self.error_help(loc, "this value has none of the accepted forms", format!("write {forms}"));
            }
            None => self.error(loc, e.message),
        }
    }

    fn check(&mut self, loc: Loc, r: Result<(), String>) -> bool {
        match r {
            Ok(()) => true,
            Err(m) => {
                self.error(loc, m);
                false
            }
        }
    }

    /// Reads one entry; a failure is recorded and yields `None`.
    fn read<'n, T: Deserialize<'n>>(&mut self, node: &'n Node) -> Option<T> {
        match from_node(node) {
            Ok(v) => Some(v),
            Err(e) => {
                self.de_error(e, node.loc);
                None
            }
        }
    }

    /// The entries of a mapping section, checking each key.
    fn map_entries<'n>(&mut self, node: &'n Node, what: &str) -> Vec<(Sp<String>, &'n Node)> {
        match &node.value {
            super::node::Value::Map(entries) => {
                let mut out = Vec::new();
                for (k, v) in entries {
                    let Some(key) = k.as_str() else {
                        self.error(k.loc, format!("{what} are named by text keys"));
                        continue;
                    };
                    if self.check(k.loc, names::key(key)) {
                        out.push((Sp::new(key.to_string(), k.loc), v));
                    }
                }
                out
            }
            super::node::Value::Null => Vec::new(),
            _ => {
                self.error(node.loc, format!("{what} must be a mapping of names to definitions"));
                Vec::new()
            }
        }
    }

    /// Checks the keys of a hand-read mapping against the allowed ones.
    fn known_keys(&mut self, node: &Node, allowed: &[&str], what: &str) -> bool {
        match &node.value {
            super::node::Value::Map(entries) => {
                for (k, _) in entries {
                    let key = k.as_str().unwrap_or("");
                    if !allowed.contains(&key) {
                        let msg = match did_you_mean(key, allowed.iter().copied()) {
                            Some(best) => format!("unknown key `{key}` in {what}: did you mean `{best}`?"),
                            None => format!(
                                "unknown key `{key}` in {what}: expected one of {}",
                                allowed.iter().map(|a| format!("`{a}`")).collect::<Vec<_>>().join(", ")
                            ),
                        };
                        self.error(k.loc, msg);
                    }
                }
                true
            }
            super::node::Value::Null => false,
            _ => {
                self.error(node.loc, format!("{what} must be a mapping"));
                false
            }
        }
    }

    // ---- resources ---------------------------------------------------------------------

    fn add(&mut self, address: Address, attrs: Attrs, loc: Loc) -> Option<Address> {
        self.add_with(address, attrs, loc, &[])
    }

    fn add_with(&mut self, address: Address, attrs: Attrs, loc: Loc, extra_deps: &[Address]) -> Option<Address> {
        if let Some((_, first)) = self.resources.get(&address) {
            let first = *first;
            self.error_help(
                loc,
                format!("`{address}` is defined twice"),
                format!("the first definition is at line {}; rename one of them", first.line),
            );
            return None;
        }
        let mut r = Resource::new(address.clone(), attrs);
        r.depends_on.extend(extra_deps.iter().cloned());
        self.resources.insert(address.clone(), (r, loc));
        Some(address)
    }

    /// Records an AWS name; a second resource of the same kind with the same name is an error.
    fn claim_name(&mut self, kind: Kind, name: &str, loc: Loc) {
        match self.aws_names.get(&(kind, name.to_string())) {
            Some(first) => {
                let first = *first;
                self.error_help(
                    loc,
                    format!("two {kind} resources are named `{name}` in AWS"),
                    format!("the other one is at line {}; give one of them another `name`", first.line),
                );
            }
            None => {
                self.aws_names.insert((kind, name.to_string()), loc);
            }
        }
    }

    fn default_name(&self, key: &str) -> String {
        format!("{}-{}", self.blueprint, key)
    }

    fn tags(&mut self, own: &raw::Tags, loc: Loc) -> spec::Tags {
        for k in own.keys() {
            self.check(loc, names::tag_key(k));
        }
        let mut t = self.tags.clone();
        t.extend(own.iter().map(|(k, v)| (k.clone(), v.clone())));
        t
    }

    // ---- references --------------------------------------------------------------------

    fn declare(&mut self, section: Section, key: &str, loc: Loc) {
        let entries = self.declared.entry(section).or_default();
        entries.entry(key.to_string()).or_insert(loc);
    }

    fn is_declared(&self, section: Section, key: &str) -> bool {
        self.declared.get(&section).is_some_and(|m| m.contains_key(key))
    }

    /// Resolves a reference written as `NAME` or `PREFIX.NAME` to the key of an entry of
    /// `section`. Reports a dangling or wrongly-typed reference.
    fn reference(&mut self, section: Section, r: &Sp<String>) -> Option<String> {
        let text = r.value.as_str();
        let key = match text.split_once('.') {
            Some((prefix, rest)) => match Section::from_prefix(prefix) {
                Some(s) if s == section => rest,
                Some(other) => {
                    self.error(
                        r.loc,
                        format!("`{text}` names a {}, but a {} is expected here", other.noun(), section.noun()),
                    );
                    return None;
                }
                None => text,
            },
            None => text,
        };
        if self.is_declared(section, key) {
            return Some(key.to_string());
        }
        let candidates: Vec<String> =
            self.declared.get(&section).map(|m| m.keys().cloned().collect()).unwrap_or_default();
        let mut msg = format!("no {} named `{key}`", section.noun());
        if let Some(other) = Section::ALL.into_iter().find(|s| *s != section && self.is_declared(*s, key)) {
            msg.push_str(&format!(" (`{key}` is a {})", other.noun()));
        }
        let help = match did_you_mean(key, candidates.iter().map(String::as_str)) {
            Some(best) => format!("did you mean `{best}`?"),
            None if candidates.is_empty() => format!("declare it under `{}`", section.declared_in()),
            None => format!(
                "{}s declared under `{}`: {}",
                section.noun(),
                section.declared_in(),
                candidates.iter().map(|c| format!("`{c}`")).collect::<Vec<_>>().join(", ")
            ),
        };
        self.error_help(r.loc, msg, help);
        None
    }

    fn out(&self, section: Section, key: &str, output: &str) -> String {
        output_ref(&Address::new(section.kind(), key), output)
    }

    /// Translates user templates (`${host.web.private_ip}`) in free text into socform's
    /// (`${instance.web.private_ip}`), checking each one.
    fn user_templates(&mut self, s: &Sp<String>) -> Option<String> {
        let mut ok = true;
        let mut out = String::new();
        let mut rest = s.value.as_str();
        while let Some(start) = rest.find("${") {
            out.push_str(&rest[..start]);
            let Some(end) = rest[start..].find('}') else {
                out.push_str(&rest[start..]);
                rest = "";
                break;
            };
            let inner = &rest[start + 2..start + end];
            let whole = &rest[start..start + end + 1];
            rest = &rest[start + end + 1..];
            let parts: Vec<&str> = inner.split('.').collect();
            if parts.len() == 2 && parts[0] == "aws" {
                if ["account_id", "region", "partition"].contains(&parts[1]) {
                    out.push_str(whole);
                } else {
                    self.error(
                        s.loc,
                        format!("`{whole}`: the globals are `aws.account_id`, `aws.region` and `aws.partition`"),
                    );
                    ok = false;
                }
                continue;
            }
            let section = (parts.len() == 3).then(|| Section::from_prefix(parts[0])).flatten();
            let Some(section) = section else {
                // Not a socform template (a shell variable, say): kept as written.
                out.push_str(whole);
                continue;
            };
            let key = parts[1];
            if self.reference(section, &Sp::new(format!("{}.{key}", section.prefixes()[0]), s.loc)).is_none() {
                ok = false;
                continue;
            }
            if !section.outputs().contains(&parts[2]) {
                self.error(
                    s.loc,
                    format!(
                        "`{whole}`: a {} has no output `{}`; it has {}",
                        section.noun(),
                        parts[2],
                        section.outputs().iter().map(|o| format!("`{o}`")).collect::<Vec<_>>().join(", ")
                    ),
                );
                ok = false;
                continue;
            }
            out.push_str(&self.out(section, key, parts[2]));
        }
        out.push_str(rest);
        ok.then_some(out)
    }

    // ---- passes ------------------------------------------------------------------------

    fn run(&mut self, root: &Node) {
        if !matches!(root.value, super::node::Value::Map(_)) {
            self.error(root.loc, "a blueprint is a mapping with at least `blueprint:` and `region:`");
            return;
        }
        self.known_keys(root, TOP_KEYS, "the blueprint");
        self.header(root);
        self.first_pass(root);

        if let Some(n) = root.get("network") {
            self.network(n);
        }
        if let Some(n) = root.get("security_groups") {
            for (key, node) in self.map_entries(n, "security groups") {
                self.security_group(&key, node);
            }
        }
        if let Some(n) = root.get("iam") {
            if self.known_keys(n, IAM_KEYS, "`iam`") {
                if let Some(roles) = n.get("roles") {
                    for (key, node) in self.map_entries(roles, "roles") {
                        if let Some(r) = self.read::<raw::Role>(node) {
                            self.role(&key, r);
                        }
                    }
                }
            }
        }
        if let Some(n) = root.get("buckets") {
            for (key, node) in self.map_entries(n, "buckets") {
                if let Some(b) = self.read::<raw::Bucket>(node) {
                    self.bucket(&key, &b, node.loc);
                }
            }
        }
        if let Some(n) = root.get("log_groups") {
            for (key, node) in self.map_entries(n, "log groups") {
                if let Some(lg) = self.read::<raw::LogGroup>(node) {
                    self.log_group(
                        &key,
                        lg.name.as_ref(),
                        lg.retention_days.as_ref(),
                        lg.kms_key.clone(),
                        &lg.tags,
                        node.loc,
                    );
                }
            }
        }
        if let Some(n) = root.get("trail") {
            if let Some(t) = self.read::<raw::Trail>(n) {
                self.trail(t, n.loc);
            }
        }
        if let Some(n) = root.get("notifications") {
            for (key, node) in self.map_entries(n, "notifications") {
                if let Some(t) = self.read::<raw::Notification>(node) {
                    self.notification(&key, t, node.loc);
                }
            }
        }
        if let Some(n) = root.get("detections") {
            self.detections(n);
        }
        if let Some(n) = root.get("parameters") {
            for (key, node) in self.map_entries(n, "parameters") {
                if let Some(p) = self.read::<raw::Parameter>(node) {
                    self.parameter(&key, p, node.loc);
                }
            }
        }
        if let Some(n) = root.get("secrets") {
            for (key, node) in self.map_entries(n, "secrets") {
                if let Some(s) = self.read::<raw::SecretDef>(node) {
                    self.secret(&key, s, node.loc);
                }
            }
        }
        if let Some(n) = root.get("config") {
            self.config(n);
        }
        if let Some(n) = root.get("hosts") {
            for (key, node) in self.map_entries(n, "hosts") {
                if let Some(h) = self.read::<raw::Host>(node) {
                    self.host(&key, h, node.loc);
                }
            }
        }
        self.bucket_policies();
        if let Some(n) = root.get("lint") {
            self.lint(n);
        }
        self.outputs(root.get("outputs"));
        if let Some(n) = root.get("moved") {
            self.moved(n);
        }
        if let Some(n) = root.get("lab") {
            self.lab(n);
        }
        if let Some(name) = &self.opts.inputs.lab {
            self.lab.get_or_insert_with(Default::default).name = Some(name.clone());
        }
    }

    fn lab(&mut self, n: &Node) {
        let Some(l) = self.read::<raw::LabSettings>(n) else { return };
        let mut lab = crate::model::Lab::default();
        if let Some(e) = &l.expires_after {
            match crate::model::parse_duration(e) {
                Ok(secs) if (60..=90 * 86_400).contains(&secs) => lab.expires_after_secs = Some(secs),
                Ok(_) => self.error(e.loc, "`expires_after` is 1 minute to 90 days"),
                Err(m) => self.error(e.loc, m),
            }
        }
        if let Some(o) = &l.owner {
            if self.check(o.loc, names::tag_value(o)) {
                lab.owner = Some(o.value.clone());
            }
        }
        self.lab = Some(lab);
    }

    /// Declared outputs, and the useful ones every blueprint gets unless it names its own
    /// so: how to open a shell on each host, each topic's ARN, the alarms console.
    fn outputs(&mut self, n: Option<&Node>) {
        let mut declared = BTreeSet::new();
        for (key, node) in n.map(|n| self.map_entries(n, "outputs")).unwrap_or_default() {
            let Some(o) = self.read::<raw::Output>(node) else { continue };
            if !key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
                self.error(key.loc, format!("`{}` is not a valid output name: letters, digits and `_`", key.value));
                continue;
            }
            if let Some(value) = self.user_templates(&o.value) {
                declared.insert(key.value.clone());
                self.outputs.push(crate::model::Output { name: key.value, value, description: o.description });
            }
        }
        let region = self.region.clone();
        let mut defaults = Vec::new();
        for (a, _) in self.resources.values() {
            let (kind, name) = (a.address.kind(), a.address.name());
            // Output names are identifiers: `wazuh-manager` gives `connect_wazuh_manager`.
            let id = name.replace(['-', '.', '/'], "_");
            match kind {
                Kind::Instance => defaults.push(crate::model::Output {
                    name: format!("connect_{id}"),
                    value: format!("aws ssm start-session --target {} --region {region}", output_ref(&a.address, "id")),
                    description: Some(format!(
                        "a shell on host `{name}` through SSM Session Manager (no SSH, no open port)"
                    )),
                }),
                Kind::SnsTopic => defaults.push(crate::model::Output {
                    name: format!("topic_{id}"),
                    value: output_ref(&a.address, "arn"),
                    description: Some(format!("the ARN of notification topic `{name}`")),
                }),
                _ => {}
            }
        }
        if self.resources.values().any(|(r, _)| r.kind() == Kind::Alarm) {
            defaults.push(crate::model::Output {
                name: "alarms_url".into(),
                value: format!("https://{region}.console.aws.amazon.com/cloudwatch/home?region={region}#alarmsV2:"),
                description: Some("the CloudWatch alarms of this account and region".into()),
            });
        }
        for d in defaults {
            if !declared.contains(&d.name) && d.name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
                self.outputs.push(d);
            }
        }
        self.outputs.sort_by(|a, b| a.name.cmp(&b.name));
    }

    /// `moved:` entries: the old address must be gone from the blueprint and the new one in it.
    fn moved(&mut self, n: &Node) {
        let Some(list) = self.read::<Vec<raw::Moved>>(n) else { return };
        let mut seen = BTreeSet::new();
        for m in list {
            let (from, to) = match (Address::parse(&m.from), Address::parse(&m.to)) {
                (Ok(f), Ok(t)) => (f, t),
                (Err(e), _) => {
                    self.error_help(
                        m.from.loc,
                        e.to_string(),
                        "write an address as `socform state list` shows it, such as `instance.siem`",
                    );
                    continue;
                }
                (_, Err(e)) => {
                    self.error_help(
                        m.to.loc,
                        e.to_string(),
                        "write an address as `socform graph` shows it, such as `instance.wazuh`",
                    );
                    continue;
                }
            };
            if from.kind() != to.kind() {
                self.error(
                    m.to.loc,
                    format!(
                        "`{from}` is a {} and `{to}` a {}: a resource keeps its kind",
                        from.kind().noun(),
                        to.kind().noun()
                    ),
                );
                continue;
            }
            if !self.resources.contains_key(&to) {
                self.error(m.to.loc, format!("`{to}` is not a resource of this blueprint (see `socform graph`)"));
                continue;
            }
            if self.resources.contains_key(&from) {
                self.error(
                    m.from.loc,
                    format!("`{from}` is still in the blueprint: a move's old address must be gone from it"),
                );
                continue;
            }
            if !seen.insert(from.clone()) {
                self.error(m.from.loc, format!("`{from}` is moved twice"));
                continue;
            }
            self.moved.push(crate::model::Moved { from, to });
        }
    }

    fn lint(&mut self, n: &Node) {
        let Some(l) = self.read::<raw::Lint>(n) else { return };
        for sup in l.suppress {
            if crate::review::lint::rule(&sup.rule).is_none() {
                let ids: Vec<&str> = crate::review::lint::RULES.iter().map(|r| r.id).collect();
                self.error_help(
                    sup.rule.loc,
                    format!("`{}` is not a lint rule", sup.rule.value),
                    format!("rules: {}", ids.join(", ")),
                );
                continue;
            }
            if sup.reason.trim().len() < 3 {
                self.error(sup.reason.loc, "a suppression needs a written reason");
                continue;
            }
            let resource = match Address::parse(&sup.resource) {
                Ok(a) if self.resources.contains_key(&a) => a,
                Ok(a) => {
                    self.error(
                        sup.resource.loc,
                        format!("`{a}` is not a resource of this blueprint (see `socform graph`)"),
                    );
                    continue;
                }
                Err(e) => {
                    self.error(sup.resource.loc, e.to_string());
                    continue;
                }
            };
            self.suppressions.push(crate::model::Suppression {
                rule: sup.rule.value,
                resource,
                reason: sup.reason.value,
            });
        }
    }

    fn header(&mut self, root: &Node) {
        match root.get("blueprint") {
            Some(n) => {
                if let Some(name) = self.read::<Sp<String>>(n) {
                    self.check(name.loc, names::blueprint_name(&name));
                    self.blueprint = name.value;
                }
            }
            None => self.error(root.loc, "missing key `blueprint`: every blueprint has a name"),
        }
        match root.get("region") {
            Some(n) => {
                if let Some(region) = self.read::<Sp<String>>(n) {
                    if !self.check(region.loc, names::region(&region)) {
                        if let Some(best) = did_you_mean(&region, names::REGIONS.iter().copied()) {
                            if let Some(d) = self.diags.last_mut() {
                                d.help = Some(format!("did you mean `{best}`?"));
                            }
                        }
                    }
                    self.region = region.value;
                }
            }
            None => self.error(root.loc, "missing key `region`, such as `region: us-east-1`"),
        }
        if let Some(n) = root.get("tags") {
            if let Some(tags) = self.read::<raw::Tags>(n) {
                for k in tags.keys() {
                    self.check(n.loc, names::tag_key(k));
                }
                self.tags = tags;
            }
        }
        if let Some(n) = root.get("description") {
            self.read::<String>(n);
        }
        if let Some(n) = root.get("allowed_accounts") {
            if let Some(list) = self.read::<Vec<Sp<String>>>(n) {
                if list.is_empty() {
                    self.error(n.loc, "`allowed_accounts` is empty: name at least one account id, or leave it out");
                }
                for a in list {
                    if a.value.len() != 12 || !a.value.bytes().all(|b| b.is_ascii_digit()) {
                        self.error_help(
                            a.loc,
                            format!("`{}` is not an AWS account id", a.value),
                            "an account id is 12 digits; quote it so YAML keeps its leading zeros: \"012345678901\"",
                        );
                    } else {
                        self.allowed_accounts.push(a.value);
                    }
                }
            }
        }
    }

    /// Collects the keys of every section so that references resolve in any order.
    fn first_pass(&mut self, root: &Node) {
        let mut sections: Vec<(Section, &Node)> = Vec::new();
        if let Some(net) = root.get("network") {
            if let Some(v) = net.get("vpc") {
                sections.push((Section::Vpc, v));
                self.declare(Section::Vpc, "main", v.loc);
            }
            if let Some(s) = net.get("subnets") {
                for (k, _) in s.entries() {
                    if let Some(key) = k.as_str() {
                        self.declare(Section::Subnet, key, k.loc);
                    }
                }
            }
            if let Some(fl) = net.get("flow_logs") {
                if let Some(lg) = fl.get("log_group").and_then(Node::as_str) {
                    self.declare(Section::LogGroup, lg, fl.loc);
                }
            }
        }
        for (name, section) in [
            ("security_groups", Section::SecurityGroup),
            ("buckets", Section::Bucket),
            ("log_groups", Section::LogGroup),
            ("notifications", Section::Topic),
            ("hosts", Section::Host),
            ("secrets", Section::Secret),
            ("parameters", Section::Parameter),
        ] {
            if let Some(n) = root.get(name) {
                for (k, _) in n.entries() {
                    if let Some(key) = k.as_str() {
                        self.declare(section, key, k.loc);
                    }
                }
            }
        }
        if let Some(roles) = root.get("iam").and_then(|i| i.get("roles")) {
            for (k, v) in roles.entries() {
                if let Some(key) = k.as_str() {
                    self.declare(Section::Role, key, k.loc);
                    let explicit = v.get("instance_profile").map(|n| matches!(n.value, super::node::Value::Bool(true)));
                    let ec2 = v.get("assumed_by").is_some_and(|a| {
                        a.as_str() == Some("ec2.amazonaws.com")
                            || a.items().iter().any(|i| i.as_str() == Some("ec2.amazonaws.com"))
                    });
                    if explicit.unwrap_or(ec2) {
                        self.roles_with_profile.insert(key.to_string());
                    }
                }
            }
        }
        if let Some(trail) = root.get("trail") {
            self.declare(Section::Trail, "main", trail.loc);
            if let Some(b) = trail.get("bucket") {
                if matches!(b.value, super::node::Value::Map(_)) {
                    self.declare(Section::Bucket, "trail", b.loc);
                }
            }
            if let Some(lg) = trail.get("cloudwatch_logs").and_then(|c| c.get("log_group")).and_then(Node::as_str) {
                self.declare(Section::LogGroup, lg, trail.loc);
                self.trail_log_group = Some(lg.to_string());
            }
        }
        let _ = sections;
    }

    // ---- network -----------------------------------------------------------------------

    fn network(&mut self, n: &Node) {
        if !self.known_keys(n, NETWORK_KEYS, "`network`") {
            return;
        }
        let Some(vpc_node) = n.get("vpc") else {
            self.error(n.loc, "missing key `vpc` in `network`: such as `vpc: { cidr: 10.0.0.0/16 }`");
            return;
        };
        let vpc_addr = Address::new(Kind::Vpc, "main");
        if let Some(vpc) = self.read::<raw::Vpc>(vpc_node) {
            self.vpc_net = self.cidr(&vpc.cidr, 16, 28);
            let tags = self.tags(&vpc.tags, vpc_node.loc);
            let attrs = to_attrs(&spec::Vpc {
                cidr_block: vpc.cidr.value.clone(),
                enable_dns_support: vpc.dns,
                enable_dns_hostnames: vpc.dns,
                tags,
            });
            self.add(vpc_addr.clone(), attrs, vpc_node.loc);
        }
        let vpc_id = output_ref(&vpc_addr, "id");

        // subnets
        let mut nets: Vec<(Ipv4Net, String, Loc)> = Vec::new();
        let mut any_public = false;
        let mut public_ids = Vec::new();
        let mut private_ids = Vec::new();
        if let Some(subnets) = n.get("subnets") {
            for (key, node) in self.map_entries(subnets, "subnets") {
                let Some(s) = self.read::<raw::Subnet>(node) else { continue };
                let net = self.cidr(&s.cidr, 16, 28);
                if let (Some(net), Some(vpc)) = (net, self.vpc_net) {
                    if !vpc.contains(&net) {
                        self.error_help(
                            s.cidr.loc,
                            format!("subnet `{}` ({net}) is outside the VPC ({vpc})", key.value),
                            "a subnet's CIDR must lie inside the VPC's",
                        );
                    }
                }
                if let Some(net) = net {
                    nets.push((net, key.value.clone(), s.cidr.loc));
                }
                self.check(s.az.loc, names::availability_zone(&s.az, &self.region));
                any_public |= s.public;
                let addr = Address::new(Kind::Subnet, key.value.as_str());
                let id = output_ref(&addr, "id");
                if s.public {
                    public_ids.push(id)
                } else {
                    private_ids.push(id)
                }
                self.subnets.insert(key.value.clone(), SubnetInfo { net, public: s.public });
                let tags = self.tags(&s.tags, node.loc);
                let attrs = to_attrs(&spec::Subnet {
                    vpc_id: vpc_id.clone(),
                    cidr_block: s.cidr.value.clone(),
                    availability_zone: s.az.value.clone(),
                    map_public_ip_on_launch: s.public,
                    tags,
                });
                self.add(addr, attrs, node.loc);
            }
        }
        // Overlaps: sorted by network address, each subnet can only overlap its neighbours
        // that start before the previous one ends.
        nets.sort_by_key(|(net, _, _)| (u32::from(net.network()), net.prefix_len()));
        let mut widest: Option<(Ipv4Net, String)> = None;
        for (net, key, loc) in &nets {
            if let Some((prev, prev_key)) = &widest {
                if u32::from(net.network()) <= u32::from(prev.broadcast()) {
                    let msg = format!("subnet `{key}` ({net}) overlaps subnet `{prev_key}` ({prev})");
                    self.error_help(*loc, msg, "subnets of one VPC must not share addresses");
                }
            }
            if widest.as_ref().is_none_or(|(p, _)| u32::from(net.broadcast()) > u32::from(p.broadcast())) {
                widest = Some((*net, key.clone()));
            }
        }

        // gateway and routes
        let igw_node = n.get("internet_gateway");
        let igw = match igw_node {
            Some(node) => self.read::<bool>(node).unwrap_or(any_public),
            None => any_public,
        };
        if any_public && !igw {
            self.error(
                igw_node.map(|n| n.loc).unwrap_or(n.loc),
                "public subnets need an internet gateway: remove `internet_gateway: false` or make the subnets private",
            );
        }
        let tags = self.tags.clone();
        if igw {
            let addr = Address::new(Kind::InternetGateway, "main");
            let attrs = to_attrs(&spec::InternetGateway { vpc_id: vpc_id.clone(), tags: tags.clone() });
            self.add(addr, attrs, igw_node.map(|n| n.loc).unwrap_or(n.loc));
        }
        public_ids.sort();
        private_ids.sort();
        if !public_ids.is_empty() && igw {
            let routes = vec![spec::Route {
                destination_cidr_block: "0.0.0.0/0".into(),
                gateway_id: output_ref(&Address::new(Kind::InternetGateway, "main"), "id"),
            }];
            let attrs = to_attrs(&spec::RouteTable {
                vpc_id: vpc_id.clone(),
                routes,
                subnet_ids: public_ids,
                tags: tags.clone(),
            });
            self.add(Address::new(Kind::RouteTable, "public"), attrs, n.loc);
        }
        if !private_ids.is_empty() {
            let attrs =
                to_attrs(&spec::RouteTable { vpc_id: vpc_id.clone(), routes: vec![], subnet_ids: private_ids, tags });
            self.add(Address::new(Kind::RouteTable, "private"), attrs, n.loc);
        }

        if let Some(fl_node) = n.get("flow_logs") {
            if let Some(fl) = self.read::<raw::FlowLogs>(fl_node) {
                self.flow_logs(fl, fl_node.loc, &vpc_id);
            }
        }
    }

    /// Parses an IPv4 CIDR, refusing host bits and prefixes outside `min..=max`.
    fn cidr(&mut self, s: &Sp<String>, min: u8, max: u8) -> Option<Ipv4Net> {
        match Ipv4Net::from_str(&s.value) {
            Err(_) => {
                self.error_help(s.loc, format!("`{}` is not an IPv4 CIDR block", s.value), "write it as `10.0.0.0/16`");
                None
            }
            Ok(net) if net.network() != net.addr() => {
                self.error_help(
                    s.loc,
                    format!("`{}` has host bits set", s.value),
                    format!("did you mean `{}`?", net.trunc()),
                );
                None
            }
            Ok(net) if !(min..=max).contains(&net.prefix_len()) => {
                self.error(s.loc, format!("`{}`: the prefix length must be between /{min} and /{max}", s.value));
                None
            }
            Ok(net) => Some(net),
        }
    }

    fn flow_logs(&mut self, fl: raw::FlowLogs, loc: Loc, vpc_id: &str) {
        if !["ALL", "ACCEPT", "REJECT"].contains(&fl.traffic.as_str()) {
            self.error(
                fl.traffic.loc,
                format!("traffic `{}` is invalid: use `ALL`, `ACCEPT` or `REJECT`", fl.traffic.value),
            );
        }
        if ![60, 600].contains(&fl.aggregation_seconds.value) {
            self.error(fl.aggregation_seconds.loc, "aggregation_seconds must be 60 or 600");
        }
        let key = fl.log_group.value.clone();
        if !self.check(fl.log_group.loc, names::key(&key)) {
            return;
        }
        let lg = self.log_group(&key, None, fl.retention_days.as_ref(), None, &BTreeMap::new(), fl.log_group.loc);
        let role_key = "flow-logs";
        let lg_arn = self.out(Section::LogGroup, &key, "arn");
        let policy = policy_doc(vec![json!({
            "Effect": "Allow",
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogGroups", "logs:DescribeLogStreams"],
            "Resource": [lg_arn.clone(), format!("{lg_arn}:*")],
        })]);
        let role = self.generated_role(role_key, "vpc-flow-logs.amazonaws.com", vec![], Some(policy), loc);
        let (Some(lg), Some(role)) = (lg, role) else { return };
        let tags = self.tags.clone();
        let attrs = to_attrs(&spec::FlowLog {
            resource_id: vpc_id.to_string(),
            traffic_type: fl.traffic.value.clone(),
            log_group_name: output_ref(&lg, "name"),
            deliver_logs_permission_arn: output_ref(&role, "arn"),
            max_aggregation_interval: fl.aggregation_seconds.value as i32,
            tags,
        });
        self.add(Address::new(Kind::FlowLog, "vpc"), attrs, loc);
    }

    /// A role socform needs for a service (flow logs, CloudTrail, Config).
    fn generated_role(
        &mut self,
        key: &str,
        service: &str,
        managed: Vec<String>,
        inline: Option<Value>,
        loc: Loc,
    ) -> Option<Address> {
        let name = self.default_name(key);
        self.claim_name(Kind::IamRole, &name, loc);
        let mut inline_policies = BTreeMap::new();
        if let Some(p) = inline {
            inline_policies.insert("socform".to_string(), p);
        }
        let tags = self.tags.clone();
        let attrs = to_attrs(&spec::IamRole {
            role_name: name,
            path: "/".into(),
            description: Some(format!("Generated by socform for {service}")),
            assume_role_policy: trust_policy(&[service.to_string()]),
            managed_policy_arns: managed,
            inline_policies,
            tags,
        });
        self.add(Address::new(Kind::IamRole, key), attrs, loc)
    }

    // ---- security groups ---------------------------------------------------------------

    /// AWS never accepts more than 1,000 rules in one direction of a group (its quota of 60
    /// can be raised that far, at the cost of groups per interface): more is an error here,
    /// not a failure halfway through an apply. `lint` warns above the default 60 (SOC019).
    fn rules_quota(&mut self, node: &Node, direction: &str, n: usize) {
        if n > MAX_RULES_PER_DIRECTION {
            let at = node.get(direction).map(|d| d.loc).unwrap_or(node.loc);
            self.error_help(
                at,
                format!("{n} {direction} rules: AWS allows at most {MAX_RULES_PER_DIRECTION} in one direction of a security group"),
                "each port range and each peer is one rule; split them across groups, or use a prefix list",
            );
        }
    }

    fn security_group(&mut self, key: &Sp<String>, node: &Node) {
        let Some(sg) = self.read::<raw::SecurityGroup>(node) else { return };
        if !self.is_declared(Section::Vpc, "main") {
            self.error(node.loc, "security groups need a VPC: declare `network.vpc`");
            return;
        }
        let name = match &sg.name {
            Some(n) => n.clone(),
            None => Sp::new(self.default_name(key), key.loc),
        };
        self.check(name.loc, names::security_group(&name));
        // Group names are unique per VPC; one blueprint has one VPC.
        self.claim_name(Kind::SecurityGroup, &name, name.loc);
        let description = sg
            .description
            .as_ref()
            .map(|d| d.value.clone())
            .unwrap_or_else(|| format!("{} (socform blueprint {})", key.value, self.blueprint));
        if description.len() > 255 {
            let loc = sg.description.as_ref().map(|d| d.loc).unwrap_or(node.loc);
            self.error(loc, "a security group description is at most 255 characters");
        }
        let tags = self.tags(&sg.tags, node.loc);
        let addr = Address::new(Kind::SecurityGroup, key.value.as_str());
        let attrs = to_attrs(&spec::SecurityGroup {
            group_name: name.value.clone(),
            description,
            vpc_id: output_ref(&Address::new(Kind::Vpc, "main"), "id"),
            tags,
        });
        self.add(addr, attrs, node.loc);

        // `rule` adds rule resources and nothing else: what it adds is what the map grows by.
        let start = self.resources.len();
        for rule in &sg.ingress {
            self.rule(key, Direction::Ingress, rule);
        }
        let after_ingress = self.resources.len();
        self.rules_quota(node, "ingress", after_ingress - start);
        match &sg.egress {
            Some(rules) => {
                for rule in rules {
                    self.rule(key, Direction::Egress, rule);
                }
                let n = self.resources.len() - after_ingress;
                self.rules_quota(node, "egress", n);
            }
            None => {
                // AWS's default egress rule, made explicit so that state matches what exists.
                let group_id = output_ref(&Address::new(Kind::SecurityGroup, key.value.as_str()), "id");
                let attrs = to_attrs(&spec::SecurityGroupRule {
                    group_id,
                    direction: Direction::Egress,
                    protocol: "-1".into(),
                    from_port: -1,
                    to_port: -1,
                    cidr_ipv4: Some("0.0.0.0/0".into()),
                    cidr_ipv6: None,
                    peer_group_id: None,
                    description: None,
                });
                let name = format!("{}:egress:all:all:0.0.0.0/0", key.value);
                self.add(Address::new(Kind::SecurityGroupRule, name), attrs, node.loc);
            }
        }
    }

    fn rule(&mut self, group: &Sp<String>, dir: Direction, rule: &Sp<raw::Rule>) {
        let r = &rule.value;
        // protocol
        let protocol = match &r.protocol.value {
            raw::Scalar::Str(s) => match s.to_ascii_lowercase().as_str() {
                "tcp" => Some("tcp".to_string()),
                "udp" => Some("udp".to_string()),
                "icmp" => Some("icmp".to_string()),
                "icmpv6" => Some("icmpv6".to_string()),
                "all" | "-1" => Some("-1".to_string()),
                _ => None,
            },
            raw::Scalar::Int(6) => Some("tcp".into()),
            raw::Scalar::Int(17) => Some("udp".into()),
            raw::Scalar::Int(1) => Some("icmp".into()),
            raw::Scalar::Int(58) => Some("icmpv6".into()),
            raw::Scalar::Int(-1) => Some("-1".into()),
            raw::Scalar::Int(n) if (0..=255).contains(n) => Some(n.to_string()),
            raw::Scalar::Int(_) => None,
        };
        let Some(protocol) = protocol else {
            self.error(
                r.protocol.loc,
                format!(
                    "protocol `{}` is invalid: use `tcp`, `udp`, `icmp`, `icmpv6`, `all` or a number from 0 to 255",
                    r.protocol.value
                ),
            );
            return;
        };
        // ports
        let mut ranges: Vec<(i32, i32)> = Vec::new();
        let takes_ports = protocol == "tcp" || protocol == "udp";
        match (&r.ports, takes_ports) {
            (None, true) => {
                self.error_help(
                    rule.loc,
                    format!("a {protocol} rule needs `ports`"),
                    "such as `ports: 443`, `ports: [80, 443]` or `ports: \"8000-8100\"`",
                );
                return;
            }
            (Some(p), false) => {
                let what = if protocol == "-1" { "`all` traffic" } else { "this protocol" };
                self.error(p.loc, format!("`ports` does not apply to {what}: remove it"));
                return;
            }
            (None, false) => ranges.push((-1, -1)),
            (Some(p), true) => {
                for item in p.value.as_slice() {
                    match parse_ports(item) {
                        Ok(range) => ranges.push(range),
                        Err(msg) => {
                            self.error(p.loc, msg);
                            return;
                        }
                    }
                }
            }
        }
        // peers
        let (peers, wrong) = match dir {
            Direction::Ingress => (&r.from, &r.to),
            Direction::Egress => (&r.to, &r.from),
        };
        let (want, other) = match dir {
            Direction::Ingress => ("from", "to"),
            Direction::Egress => ("to", "from"),
        };
        if let Some(w) = wrong {
            self.error(w.loc, format!("{} rules name their peers with `{want}`, not `{other}`", dir.as_str()));
            return;
        }
        let Some(peers) = peers else {
            self.error_help(
                rule.loc,
                format!("this {} rule has no `{want}`", dir.as_str()),
                format!("name a CIDR (`{want}: 10.0.0.0/16`), a group (`{want}: sg.web`) or `self`"),
            );
            return;
        };
        let group_id = output_ref(&Address::new(Kind::SecurityGroup, group.value.as_str()), "id");
        for peer in peers.value.as_slice() {
            let peer_sp = Sp::new(peer.clone(), peers.loc);
            let (label, cidr4, cidr6, peer_group) = if peer == "self" {
                (format!("sg.{}", group.value), None, None, Some(group_id.clone()))
            } else if peer.starts_with("sg.") || peer.starts_with("security_group.") {
                let Some(key) = self.reference(Section::SecurityGroup, &peer_sp) else { continue };
                let id = output_ref(&Address::new(Kind::SecurityGroup, key.as_str()), "id");
                (format!("sg.{key}"), None, None, Some(id))
            } else {
                match IpNet::from_str(peer) {
                    // Written the way AWS writes them back (`2001:DB8::/32` is `2001:db8::/32`),
                    // so that reading them back never shows a difference.
                    Ok(IpNet::V4(n)) if n.network() == n.addr() => (n.to_string(), Some(n.to_string()), None, None),
                    Ok(IpNet::V6(n)) if n.network() == n.addr() => (n.to_string(), None, Some(n.to_string()), None),
                    Ok(n) => {
                        self.error_help(
                            peers.loc,
                            format!("`{peer}` has host bits set"),
                            format!("did you mean `{}`?", n.trunc()),
                        );
                        continue;
                    }
                    Err(_) => {
                        self.error_help(
                            peers.loc,
                            format!("`{peer}` is not a CIDR block or a security group"),
                            "write a CIDR (`203.0.113.0/24`), `sg.NAME` or `self`",
                        );
                        continue;
                    }
                }
            };
            for (from, to) in &ranges {
                let ports = match (from, to) {
                    (-1, _) => "all".to_string(),
                    (a, b) if a == b => a.to_string(),
                    (a, b) => format!("{a}-{b}"),
                };
                let proto_label = if protocol == "-1" { "all" } else { protocol.as_str() };
                let name = format!("{}:{}:{proto_label}:{ports}:{label}", group.value, dir.as_str());
                let attrs = to_attrs(&spec::SecurityGroupRule {
                    group_id: group_id.clone(),
                    direction: dir,
                    protocol: protocol.clone(),
                    from_port: *from,
                    to_port: *to,
                    cidr_ipv4: cidr4.clone(),
                    cidr_ipv6: cidr6.clone(),
                    peer_group_id: peer_group.clone(),
                    description: r.description.clone(),
                });
                let addr = Address::new(Kind::SecurityGroupRule, name);
                if self.resources.contains_key(&addr) {
                    self.error(rule.loc, format!("this rule repeats `{addr}`"));
                    continue;
                }
                self.add(addr, attrs, rule.loc);
            }
        }
    }

    // ---- IAM ---------------------------------------------------------------------------

    fn role(&mut self, key: &Sp<String>, r: raw::Role) {
        let name = r.name.clone().unwrap_or_else(|| Sp::new(self.default_name(key), key.loc));
        self.check(name.loc, names::role(&name));
        self.claim_name(Kind::IamRole, &name, name.loc);
        let services: Vec<String> = r.assumed_by.value.as_slice().to_vec();
        if services.is_empty() {
            self.error(r.assumed_by.loc, "`assumed_by` names at least one service, such as `ec2.amazonaws.com`");
        }
        for s in &services {
            if !s.ends_with(".amazonaws.com") || s.contains(' ') {
                self.error(
                    r.assumed_by.loc,
                    format!("`{s}` is not an AWS service principal: use a name such as `ec2.amazonaws.com`"),
                );
            }
        }
        let mut managed: Vec<String> = Vec::new();
        for p in &r.managed_policies {
            if p.starts_with("arn:") {
                managed.push(p.value.clone());
            } else if p.chars().all(|c| c.is_ascii_alphanumeric() || "+=,.@-_/".contains(c)) && !p.is_empty() {
                managed.push(format!("arn:aws:iam::aws:policy/{}", p.value));
            } else {
                self.error(p.loc, format!("`{}` is not a managed policy name or ARN", p.value));
            }
        }
        managed.sort();
        managed.dedup();
        let mut statements = Vec::new();
        for st in &r.statements {
            if let Some(s) = self.statement(st) {
                statements.push(s);
            }
        }
        let mut inline_policies = BTreeMap::new();
        if !statements.is_empty() {
            inline_policies.insert("socform".to_string(), policy_doc(statements));
        }
        let tags = self.tags(&r.tags, key.loc);
        let addr = Address::new(Kind::IamRole, key.value.as_str());
        let attrs = to_attrs(&spec::IamRole {
            role_name: name.value.clone(),
            path: "/".into(),
            description: r.description.clone(),
            assume_role_policy: trust_policy(&services),
            managed_policy_arns: managed,
            inline_policies,
            tags: tags.clone(),
        });
        self.add(addr.clone(), attrs, key.loc);
        if self.roles_with_profile.contains(&key.value) {
            self.claim_name(Kind::InstanceProfile, &name, name.loc);
            let attrs = to_attrs(&spec::InstanceProfile {
                name: name.value.clone(),
                path: "/".into(),
                role_name: output_ref(&addr, "name"),
                tags,
            });
            self.add(Address::new(Kind::InstanceProfile, key.value.as_str()), attrs, key.loc);
        }
    }

    fn statement(&mut self, st: &Sp<raw::Statement>) -> Option<Value> {
        let s = &st.value;
        let (effect, actions) = match (&s.allow, &s.deny) {
            (Some(a), None) => ("Allow", a),
            (None, Some(d)) => ("Deny", d),
            _ => {
                self.error(st.loc, "a statement has exactly one of `allow` and `deny`");
                return None;
            }
        };
        let mut ok = true;
        if actions.is_empty() {
            self.error(actions.loc, "a statement names at least one action");
            ok = false;
        }
        for a in actions.iter() {
            ok &= self.check(actions.loc, names::iam_action(a));
        }
        let mut resources = Vec::new();
        for r in s.resources.value.as_slice() {
            match self.policy_resource(&Sp::new(r.clone(), s.resources.loc)) {
                Some(v) => resources.push(v),
                None => ok = false,
            }
        }
        if !ok {
            return None;
        }
        let mut stmt = serde_json::Map::new();
        if let Some(sid) = &s.sid {
            stmt.insert("Sid".into(), json!(sid));
        }
        stmt.insert("Effect".into(), json!(effect));
        stmt.insert("Action".into(), json!(actions.value));
        stmt.insert("Resource".into(), json!(resources));
        if let Some(c) = &s.condition {
            let cond: BTreeMap<&String, BTreeMap<&String, Value>> =
                c.iter().map(|(op, m)| (op, m.iter().map(|(k, v)| (k, json!(v.as_slice()))).collect())).collect();
            stmt.insert("Condition".into(), json!(cond));
        }
        Some(Value::Object(stmt))
    }

    /// `*`, an ARN, or a socform reference (`bucket.trail`, `bucket.trail/*`).
    fn policy_resource(&mut self, r: &Sp<String>) -> Option<String> {
        let text = r.value.as_str();
        if text == "*" || text.starts_with("arn:") {
            return Some(text.to_string());
        }
        let (head, suffix) = match text.find('/') {
            Some(i) => (&text[..i], &text[i..]),
            None => (text, ""),
        };
        let Some((prefix, _)) = head.split_once('.') else {
            self.error_help(
                r.loc,
                format!("`{text}` is not a resource"),
                "use an ARN, `*`, or a reference such as `bucket.trail/*`",
            );
            return None;
        };
        let Some(section) = Section::from_prefix(prefix) else {
            self.error_help(
                r.loc,
                format!("`{text}` is not a resource"),
                "use an ARN, `*`, or a reference such as `bucket.trail/*`",
            );
            return None;
        };
        if !section.outputs().contains(&"arn") {
            self.error(r.loc, format!("a {} has no ARN to put in a policy", section.noun()));
            return None;
        }
        let key = self.reference(section, &Sp::new(head.to_string(), r.loc))?;
        Some(format!("{}{suffix}", self.out(section, &key, "arn")))
    }

    // ---- storage and logging -----------------------------------------------------------

    fn bucket(&mut self, key: &str, b: &raw::Bucket, loc: Loc) -> Option<Address> {
        let name =
            b.name.clone().unwrap_or_else(|| Sp::new(format!("{}-{key}-${{aws.account_id}}", self.blueprint), loc));
        self.check(name.loc, names::bucket(&name));
        self.claim_name(Kind::S3Bucket, &name, name.loc);
        if !["AES256", "aws:kms"].contains(&b.encryption.as_str()) {
            self.error(
                b.encryption.loc,
                format!("encryption `{}` is invalid: use `AES256` or `aws:kms`", b.encryption.value),
            );
        }
        if b.kms_key.is_some() && b.encryption.as_str() != "aws:kms" {
            self.error(b.encryption.loc, "`kms_key` needs `encryption: aws:kms`");
        }
        let tags = self.tags(&b.tags, loc);
        let attrs = to_attrs(&spec::S3Bucket {
            bucket: name.value.clone(),
            versioning: b.versioning,
            encryption: b.encryption.value.clone(),
            kms_key_id: b.kms_key.clone(),
            block_public_access: b.public_access_block,
            force_destroy: !b.retain_objects,
            tags,
        });
        // Every socform bucket refuses plain HTTP.
        let arn = self.out(Section::Bucket, key, "arn");
        self.bucket_policies.entry(key.to_string()).or_default().push(json!({
            "Sid": "DenyInsecureTransport",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": [arn.clone(), format!("{arn}/*")],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        }));
        self.add(Address::new(Kind::S3Bucket, key), attrs, loc)
    }

    fn bucket_policies(&mut self) {
        let policies = std::mem::take(&mut self.bucket_policies);
        for (key, statements) in policies {
            let bucket = Address::new(Kind::S3Bucket, key.as_str());
            let Some((_, loc)) = self.resources.get(&bucket) else { continue };
            let loc = *loc;
            let attrs =
                to_attrs(&spec::S3BucketPolicy { bucket: output_ref(&bucket, "name"), policy: policy_doc(statements) });
            self.add(Address::new(Kind::S3BucketPolicy, key.as_str()), attrs, loc);
        }
    }

    fn log_group(
        &mut self,
        key: &str,
        name: Option<&Sp<String>>,
        retention: Option<&Sp<i64>>,
        kms_key: Option<String>,
        own_tags: &raw::Tags,
        loc: Loc,
    ) -> Option<Address> {
        let name = name.cloned().unwrap_or_else(|| Sp::new(self.default_name(key), loc));
        self.check(name.loc, names::log_group(&name));
        self.claim_name(Kind::LogGroup, &name, name.loc);
        if let Some(r) = retention {
            if !names::RETENTION_DAYS.contains(&r.value) {
                let near = names::RETENTION_DAYS.iter().min_by_key(|d| (*d - r.value).abs()).copied().unwrap_or(30);
                self.error_help(
                    r.loc,
                    format!("CloudWatch Logs cannot keep logs for {} days", r.value),
                    format!("the nearest accepted value is {near}; accepted: 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653"),
                );
            }
        }
        let tags = self.tags(own_tags, loc);
        let attrs = to_attrs(&spec::LogGroup {
            log_group_name: name.value.clone(),
            retention_in_days: retention.map(|r| r.value as i32),
            kms_key_id: kms_key,
            tags,
        });
        self.add(Address::new(Kind::LogGroup, key), attrs, loc)
    }

    fn trail(&mut self, t: raw::Trail, loc: Loc) {
        let name = t.name.clone().unwrap_or_else(|| Sp::new(self.blueprint.clone(), loc));
        self.check(name.loc, names::trail(&name));
        let bucket_key = match &t.bucket.value {
            raw::TrailBucket::Named(n) => {
                let Some(k) = self.reference(Section::Bucket, &Sp::new(n.clone(), t.bucket.loc)) else { return };
                k
            }
            raw::TrailBucket::Inline(b) => {
                if self.resources.contains_key(&Address::new(Kind::S3Bucket, "trail")) {
                    self.error(
                        t.bucket.loc,
                        "`buckets.trail` exists already: name it here (`bucket: trail`) instead of defining another",
                    );
                    return;
                }
                self.bucket("trail", b, t.bucket.loc);
                "trail".to_string()
            }
        };
        let bucket = Address::new(Kind::S3Bucket, bucket_key.as_str());
        let bucket_arn = output_ref(&bucket, "arn");
        let trail_arn =
            format!("arn:${{aws.partition}}:cloudtrail:{}:${{aws.account_id}}:trail/{}", self.region, name.value);
        let prefix = t.key_prefix.as_ref().map(|p| format!("{p}/")).unwrap_or_default();
        let policy = self.bucket_policies.entry(bucket_key.clone()).or_default();
        policy.push(json!({
            "Sid": "AWSCloudTrailAclCheck",
            "Effect": "Allow",
            "Principal": {"Service": "cloudtrail.amazonaws.com"},
            "Action": "s3:GetBucketAcl",
            "Resource": bucket_arn,
            "Condition": {"StringEquals": {"aws:SourceArn": trail_arn}},
        }));
        policy.push(json!({
            "Sid": "AWSCloudTrailWrite",
            "Effect": "Allow",
            "Principal": {"Service": "cloudtrail.amazonaws.com"},
            "Action": "s3:PutObject",
            "Resource": format!("{bucket_arn}/{prefix}AWSLogs/${{aws.account_id}}/*"),
            "Condition": {"StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control", "aws:SourceArn": trail_arn}},
        }));

        let mut deps = vec![Address::new(Kind::S3BucketPolicy, bucket_key.as_str())];
        let (mut lg_arn, mut role_arn) = (None, None);
        if let Some(cw) = &t.cloudwatch_logs {
            let key = cw.log_group.value.clone();
            if self.check(cw.log_group.loc, names::key(&key)) {
                if let Some(lg) = self.log_group(&key, None, cw.retention_days.as_ref(), None, &BTreeMap::new(), cw.loc)
                {
                    let arn = output_ref(&lg, "arn");
                    let policy = policy_doc(vec![json!({
                        "Effect": "Allow",
                        "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                        "Resource": format!("{arn}:log-stream:*"),
                    })]);
                    if let Some(role) =
                        self.generated_role("cloudtrail-logs", "cloudtrail.amazonaws.com", vec![], Some(policy), cw.loc)
                    {
                        role_arn = Some(output_ref(&role, "arn"));
                        deps.push(role);
                    }
                    lg_arn = Some(format!("{arn}:*"));
                }
            }
        }
        self.claim_name(Kind::Trail, &name, name.loc);
        let tags = self.tags(&t.tags, loc);
        let attrs = to_attrs(&spec::Trail {
            name: name.value.clone(),
            s3_bucket_name: output_ref(&bucket, "name"),
            s3_key_prefix: t.key_prefix.clone(),
            is_multi_region_trail: t.multi_region,
            enable_log_file_validation: t.log_file_validation,
            include_global_service_events: t.global_service_events,
            cloud_watch_logs_log_group_arn: lg_arn,
            cloud_watch_logs_role_arn: role_arn,
            kms_key_id: t.kms_key.clone(),
            logging: t.logging,
            tags,
        });
        self.add_with(Address::new(Kind::Trail, "main"), attrs, loc, &deps);
    }

    // ---- notifications and detections --------------------------------------------------

    fn notification(&mut self, key: &Sp<String>, n: raw::Notification, loc: Loc) {
        let name = n.name.clone().unwrap_or_else(|| Sp::new(self.default_name(key), key.loc));
        self.check(name.loc, names::topic(&name));
        self.claim_name(Kind::SnsTopic, &name, name.loc);
        let tags = self.tags(&n.tags, loc);
        let topic = Address::new(Kind::SnsTopic, key.value.as_str());
        let attrs = to_attrs(&spec::SnsTopic { name: name.value.clone(), kms_master_key_id: n.kms_key.clone(), tags });
        self.add(topic.clone(), attrs, loc);
        let arn = output_ref(&topic, "arn");
        let subscribe = |cx: &mut Self, protocol: &str, endpoint: &Sp<String>| {
            let attrs = to_attrs(&spec::SnsSubscription {
                topic_arn: arn.clone(),
                protocol: protocol.into(),
                endpoint: endpoint.value.clone(),
            });
            let addr = Address::new(Kind::SnsSubscription, format!("{}:{protocol}:{}", key.value, endpoint.value));
            if cx.resources.contains_key(&addr) {
                cx.error(endpoint.loc, format!("`{}` is subscribed twice", endpoint.value));
            } else {
                cx.add(addr, attrs, endpoint.loc);
            }
        };
        for e in &n.email {
            if self.check(e.loc, names::email(e)) {
                subscribe(self, "email", e);
            }
        }
        for e in &n.https {
            if e.starts_with("https://") && e.len() > 8 && !e.contains(' ') {
                subscribe(self, "https", e);
            } else {
                self.error(e.loc, format!("`{}` is not an https:// URL", e.value));
            }
        }
        for e in &n.sqs {
            if e.starts_with("arn:") && e.contains(":sqs:") {
                subscribe(self, "sqs", e);
            } else {
                self.error(e.loc, format!("`{}` is not an SQS queue ARN", e.value));
            }
        }
    }

    fn detections(&mut self, n: &Node) {
        let items = match &n.value {
            super::node::Value::Seq(items) => items.as_slice(),
            super::node::Value::Null => &[],
            _ => {
                self.error(n.loc, "`detections` is a list: `- name: ...`");
                return;
            }
        };
        let mut seen: HashMap<String, Loc> = HashMap::new();
        for item in items {
            let Some(mut d) = self.read::<raw::Detection>(item) else { continue };
            let mut catalog = None;
            if let Some(u) = d.use_.clone() {
                let Some(entry) = crate::detect::catalog::get(&u) else {
                    let ids: Vec<&str> = crate::detect::catalog::CATALOG.iter().map(|e| e.id).collect();
                    let help = match did_you_mean(&u, ids.iter().copied()) {
                        Some(best) => format!("did you mean `{best}`?"),
                        None => format!("the catalog has {}", ids.join(", ")),
                    };
                    self.error_help(u.loc, format!("`{}` is not in the detection catalog", u.value), help);
                    continue;
                };
                merge_catalog(&mut d, entry, u.loc);
                catalog = Some(entry.id);
            }
            let Some(name) = d.name.clone() else {
                self.error(item.loc, "a detection needs a `name` (or `use` of a catalog entry)");
                continue;
            };
            if !self.check(name.loc, names::key(&name)) {
                continue;
            }
            if let Some(first) = seen.get(&name.value) {
                let first = *first;
                self.error_help(
                    name.loc,
                    format!("detection `{}` is defined twice", name.value),
                    format!("the first is at line {}", first.line),
                );
                continue;
            }
            seen.insert(name.value.clone(), name.loc);
            self.detection(&name, d, item.loc, catalog);
        }
    }

    fn detection(&mut self, name: &Sp<String>, d: raw::Detection, loc: Loc, catalog: Option<&str>) {
        let Some(pattern) = d.pattern.clone() else {
            self.error(loc, format!("detection `{}` needs a `pattern`", name.value));
            return;
        };
        if let Err(e) = crate::detect::pattern::parse(&pattern) {
            let at = self.column_in(&pattern, e.column);
            self.error(at, format!("invalid filter pattern: {}", e.message));
        }

        if pattern.chars().count() > PATTERN_LIMIT {
            self.error(
                pattern.loc,
                format!(
                    "the filter pattern is {} characters long: CloudWatch Logs accepts at most {PATTERN_LIMIT}",
                    pattern.chars().count()
                ),
            );
        }
        let log_group = match &d.log_group {
            Some(lg) => self.reference(Section::LogGroup, lg),
            None => match &self.trail_log_group {
                Some(lg) => Some(lg.clone()),
                None => {
                    self.error_help(
                        loc,
                        format!("detection `{}` has no log group to watch", name.value),
                        "set `log_group`, or send the trail to CloudWatch Logs with `trail.cloudwatch_logs`",
                    );
                    None
                }
            },
        };
        let severity = d.severity.clone().map(|s| s.value.clone()).unwrap_or_else(|| "medium".into());
        if let Some(s) = &d.severity {
            if !["critical", "high", "medium", "low", "info"].contains(&s.as_str()) {
                self.error(
                    s.loc,
                    format!("severity `{}` is invalid: use `critical`, `high`, `medium`, `low` or `info`", s.value),
                );
            }
        }
        let mut attack = Vec::new();
        for a in d.attack.iter().flatten() {
            if self.check(a.loc, names::attack_id(a)) {
                attack.push(a.value.clone());
            }
        }
        let mut actions = Vec::new();
        for t in d.notify.iter().flatten() {
            if let Some(key) = self.reference(Section::Topic, t) {
                actions.push(self.out(Section::Topic, &key, "arn"));
            }
        }
        actions.sort();
        actions.dedup();
        let th = d.threshold.as_ref();
        let count = th.and_then(|t| t.count.clone());
        if let Some(c) = &count {
            if !c.value.is_finite() {
                self.error(c.loc, "the threshold count is a finite number");
            }
        }
        let count = count.map(|c| c.value).unwrap_or(1.0);
        if d.metric.as_ref().and_then(|m| m.default_value).is_some_and(|v| !v.is_finite()) {
            self.error(loc, "`metric.default_value` is a finite number");
        }
        // Every number is checked before it is multiplied or narrowed: CloudWatch takes
        // 32-bit periods, and a week is the longest an alarm may look back.
        const WEEK: i64 = 7 * 24 * 3600;
        let period = th.and_then(|t| t.period.clone());
        if let Some(p) = &period {
            if !(p.value == 10 || p.value == 30 || (p.value >= 60 && p.value % 60 == 0)) || p.value > WEEK {
                self.error(
                    p.loc,
                    format!("period {} is invalid: use 10, 30 or a multiple of 60 seconds, at most a week", p.value),
                );
            }
        }
        let evals = th.and_then(|t| t.evaluation_periods.clone());
        if let Some(e) = &evals {
            if e.value < 1 {
                self.error(e.loc, "evaluation_periods is at least 1");
            } else {
                let p = period.as_ref().map(|p| p.value).unwrap_or(300);
                let limit = if p < 60 { 24 * 3600 } else { WEEK };
                if e.value.checked_mul(p).is_none_or(|total| total > limit) {
                    self.error(
                        e.loc,
                        format!(
                            "evaluation_periods times period may not exceed {}",
                            if p < 60 { "one day for periods under a minute" } else { "one week" }
                        ),
                    );
                }
            }
        }
        let statistic = th.and_then(|t| t.statistic.clone());
        if let Some(s) = &statistic {
            if !["Sum", "Average", "Maximum", "Minimum", "SampleCount"].contains(&s.as_str()) {
                self.error(
                    s.loc,
                    format!(
                        "statistic `{}` is invalid: use `Sum`, `Average`, `Maximum`, `Minimum` or `SampleCount`",
                        s.value
                    ),
                );
            }
        }
        let comparison = th.and_then(|t| t.comparison.clone());
        let operator = match comparison.as_ref().map(|c| c.value.as_str()).unwrap_or(">=") {
            ">=" => "GreaterThanOrEqualToThreshold",
            ">" => "GreaterThanThreshold",
            "<" => "LessThanThreshold",
            "<=" => "LessThanOrEqualToThreshold",
            other => {
                let loc = comparison.as_ref().map(|c| c.loc).unwrap_or(loc);
                self.error(loc, format!("comparison `{other}` is invalid: use `>=`, `>`, `<` or `<=`"));
                "GreaterThanOrEqualToThreshold"
            }
        };
        let Some(log_group) = log_group else { return };
        let metric = d.metric.as_ref();
        let namespace =
            metric.and_then(|m| m.namespace.clone()).unwrap_or_else(|| format!("socform/{}", self.blueprint));
        let metric_name = metric.and_then(|m| m.name.clone()).unwrap_or_else(|| name.value.clone());
        let filter = Address::new(Kind::MetricFilter, name.value.as_str());
        let attrs = to_attrs(&spec::MetricFilter {
            log_group_name: self.out(Section::LogGroup, &log_group, "name"),
            filter_name: self.default_name(name),
            filter_pattern: pattern.value.clone(),
            metric_namespace: namespace.clone(),
            metric_name: metric_name.clone(),
            metric_value: metric.and_then(|m| m.value.clone()).unwrap_or_else(|| "1".into()),
            default_value: Some(metric.and_then(|m| m.default_value).unwrap_or(0.0)),
        });
        self.add(filter.clone(), attrs, loc);
        let alarm_name = self.default_name(name);
        self.check(name.loc, names::alarm(&alarm_name));
        self.claim_name(Kind::Alarm, &alarm_name, name.loc);
        let description =
            d.description.clone().or_else(|| Some(format!("socform detection {} ({severity})", name.value)));
        let tags = self.tags(&BTreeMap::new(), loc);
        let attrs = to_attrs(&spec::Alarm {
            alarm_name,
            alarm_description: description,
            namespace,
            metric_name,
            statistic: statistic.map(|s| s.value).unwrap_or_else(|| "Sum".into()),
            period: period.map(|p| p.value as i32).unwrap_or(300),
            evaluation_periods: evals.map(|e| e.value as i32).unwrap_or(1),
            datapoints_to_alarm: None,
            threshold: count,
            comparison_operator: operator.into(),
            treat_missing_data: "notBreaching".into(),
            alarm_actions: actions,
            ok_actions: vec![],
            tags,
        });
        let alarm = Address::new(Kind::Alarm, name.value.as_str());
        // The alarm watches the metric the filter publishes.
        self.add_with(alarm.clone(), attrs, loc, std::slice::from_ref(&filter));
        let samples = d.samples.unwrap_or_default();
        self.detections.push(Detection {
            name: name.value.clone(),
            description: d.description,
            catalog: catalog.map(str::to_string),
            pattern: pattern.value,
            severity,
            attack,
            samples_match: samples.matches.into_iter().map(|s| s.value).collect(),
            samples_no_match: samples.no_match.into_iter().map(|s| s.value).collect(),
            metric_filter: filter,
            alarm,
        });
    }

    /// The location of a 1-based character column inside a scalar (past its opening quote).
    fn column_in(&self, s: &Sp<String>, column: usize) -> Loc {
        let text = self.src.text();
        let mut loc = s.loc;
        let quoted = text.get(loc.offset..).is_some_and(|t| t.starts_with('\'') || t.starts_with('"'));
        let plain = text.get(loc.offset..).is_some_and(|t| t.starts_with(s.value.as_str()));
        if quoted || plain {
            let skip = usize::from(quoted);
            let byte: usize = s.value.chars().take(column.saturating_sub(1)).map(char::len_utf8).sum();
            loc.offset += skip + byte;
            loc.column += (skip + column.saturating_sub(1)) as u32;
            loc.len = 1;
        }
        loc
    }

    // ---- parameters and secrets --------------------------------------------------------

    fn value_source(&mut self, address: &Address, src: &Sp<raw::ValueSource>) -> Option<SecretValue> {
        if let Some(name) = &src.from_input {
            if src.from_env.is_some() || src.generate.is_some() {
                self.error(src.loc, "a secret value has exactly one of `from_env`, `from_input` and `generate`");
                return None;
            }
            let Some(input) = self.inputs.get(name.as_str()) else {
                let help = match did_you_mean(name, self.inputs.keys().map(String::as_str)) {
                    Some(best) => format!("did you mean `{best}`?"),
                    None => "declare it under `inputs:`, with `sensitive: true`".into(),
                };
                self.error_help(name.loc, format!("no input named `{}`", name.value), help);
                return None;
            };
            let (variable, value) = (format!("SOCFORM_VAR_{}", name.value), input.text());
            let sha256 = match self.opts.fingerprint {
                Some(f) => f(address, &value),
                None => "not read by validate".to_string(),
            };
            self.secret_inputs.insert(variable.clone(), value);
            return Some(SecretValue::FromEnv { variable, sha256 });
        }
        match (&src.from_env, &src.generate) {
            (Some(var), None) => {
                let sha256 = match self.opts.env {
                    None => "not read by validate".to_string(),
                    Some(env) => match env(address, var) {
                        Some(fingerprint) => fingerprint,
                        None => {
                            self.error_help(
                                var.loc,
                                format!("environment variable `{}` is not set", var.value),
                                format!("`{address}` reads its value from it; export it before running socform"),
                            );
                            return None;
                        }
                    },
                };
                Some(SecretValue::FromEnv { variable: var.value.clone(), sha256 })
            }
            (None, Some(g)) => {
                if !(8..=4096).contains(&g.length.value) {
                    self.error(g.length.loc, "a generated value is 8 to 4096 characters long");
                }
                Some(SecretValue::Generated { length: g.length.value, exclude_punctuation: g.exclude_punctuation })
            }
            _ => {
                self.error_help(
                    src.loc,
                    "a secret value has exactly one of `from_env`, `from_input` and `generate`",
                    "values are never written in a blueprint in clear",
                );
                None
            }
        }
    }

    fn parameter(&mut self, key: &Sp<String>, p: raw::Parameter, loc: Loc) {
        self.check(p.name.loc, names::parameter(&p.name));
        self.claim_name(Kind::SsmParameter, &p.name, p.name.loc);
        let address = Address::new(Kind::SsmParameter, key.value.as_str());
        if !["String", "StringList", "SecureString"].contains(&p.type_.as_str()) {
            self.error(
                p.type_.loc,
                format!("type `{}` is invalid: use `String`, `StringList` or `SecureString`", p.type_.value),
            );
            return;
        }
        let value = match (&p.value, &p.secret, p.type_.as_str()) {
            (Some(v), None, "SecureString") => {
                self.error_help(
                    v.loc,
                    "a SecureString's value is never written in the blueprint",
                    "use `secret: { from_env: VAR }` or `secret: { generate: {} }`",
                );
                return;
            }
            (Some(v), None, _) => match self.user_templates(v) {
                Some(value) => SecretValue::Literal { value },
                None => return,
            },
            (None, Some(s), "SecureString") => match self.value_source(&address, s) {
                Some(v) => v,
                None => return,
            },
            (None, Some(s), _) => {
                self.error(s.loc, "`secret` is for `type: SecureString`; a plain parameter has a `value`");
                return;
            }
            _ => {
                self.error(loc, "a parameter has exactly one of `value` and `secret`");
                return;
            }
        };
        let tags = self.tags(&p.tags, loc);
        let attrs = to_attrs(&spec::SsmParameter {
            name: p.name.value.clone(),
            parameter_type: p.type_.value.clone(),
            description: p.description.clone(),
            value,
            tags,
        });
        self.add(address, attrs, loc);
    }

    fn secret(&mut self, key: &Sp<String>, s: raw::SecretDef, loc: Loc) {
        let name = s.name.clone().unwrap_or_else(|| Sp::new(self.default_name(key), key.loc));
        self.check(name.loc, names::secret(&name));
        self.claim_name(Kind::Secret, &name, name.loc);
        let w = s.recovery_window_days.value;
        if w != 0 && !(7..=30).contains(&w) {
            self.error(s.recovery_window_days.loc, "recovery_window_days is 0 (delete at once) or 7 to 30");
        }
        let address = Address::new(Kind::Secret, key.value.as_str());
        let Some(value) = self.value_source(&address, &s.value) else { return };
        let tags = self.tags(&s.tags, loc);
        let attrs = to_attrs(&spec::Secret {
            name: name.value.clone(),
            description: s.description.clone(),
            kms_key_id: s.kms_key.clone(),
            value,
            recovery_window_days: w,
            tags,
        });
        self.add(address, attrs, loc);
    }

    // ---- AWS Config --------------------------------------------------------------------

    fn config(&mut self, n: &Node) {
        if !self.known_keys(n, CONFIG_KEYS, "`config`") {
            return;
        }
        let mut recorder_name = None;
        if let Some(rn) = n.get("recorder") {
            if let Some(r) = self.read::<Sp<raw::Recorder>>(rn) {
                recorder_name = self.recorder(r);
            }
        }
        if let Some(rules) = n.get("rules") {
            for (key, node) in self.map_entries(rules, "config rules") {
                let Some(rule) = self.read::<raw::ConfigRule>(node) else { continue };
                let name = rule.name.clone().unwrap_or_else(|| Sp::new(self.default_name(&key), key.loc));
                self.check(name.loc, names::config_rule(&name));
                self.claim_name(Kind::ConfigRule, &name, name.loc);
                if !rule.identifier.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
                    || rule.identifier.is_empty()
                {
                    self.error_help(
                        rule.identifier.loc,
                        format!("`{}` is not an AWS managed rule identifier", rule.identifier.value),
                        "identifiers are upper case, such as `S3_BUCKET_PUBLIC_READ_PROHIBITED` or `INCOMING_SSH_DISABLED`",
                    );
                }
                let mut resource_types = rule.resource_types.clone();
                resource_types.sort();
                let tags = self.tags(&rule.tags, node.loc);
                let attrs = to_attrs(&spec::ConfigRule {
                    name: name.value.clone(),
                    description: rule.description.clone(),
                    source_identifier: rule.identifier.value.clone(),
                    input_parameters: rule.parameters.clone(),
                    resource_types,
                    recorder: recorder_name.clone(),
                    tags,
                });
                self.add(Address::new(Kind::ConfigRule, key.value.as_str()), attrs, node.loc);
            }
        }
    }

    fn recorder(&mut self, r: Sp<raw::Recorder>) -> Option<String> {
        let loc = r.loc;
        let bucket_key = match &r.bucket {
            Some(b) => self.reference(Section::Bucket, b)?,
            None => {
                let trail_bucket = self.resources.get(&Address::new(Kind::Trail, "main")).and_then(|(t, _)| {
                    t.depends_on.iter().find(|a| a.kind() == Kind::S3BucketPolicy).map(|a| a.name().to_string())
                });
                match trail_bucket {
                    Some(k) => k,
                    None => {
                        self.error(
                            loc,
                            "the recorder needs a bucket: set `bucket`, or declare a `trail` whose bucket it shares",
                        );
                        return None;
                    }
                }
            }
        };
        let freqs = ["One_Hour", "Three_Hours", "Six_Hours", "Twelve_Hours", "TwentyFour_Hours"];
        if !freqs.contains(&r.delivery_frequency.as_str()) {
            self.error(
                r.delivery_frequency.loc,
                format!(
                    "delivery_frequency `{}` is invalid: use one of {}",
                    r.delivery_frequency.value,
                    freqs.join(", ")
                ),
            );
        }
        let topic = match &r.notify {
            Some(t) => {
                let key = self.reference(Section::Topic, t)?;
                Some(self.out(Section::Topic, &key, "arn"))
            }
            None => None,
        };
        let bucket = Address::new(Kind::S3Bucket, bucket_key.as_str());
        let bucket_arn = output_ref(&bucket, "arn");
        let statements = self.bucket_policies.entry(bucket_key.clone()).or_default();
        statements.push(json!({
            "Sid": "AWSConfigBucketPermissionsCheck",
            "Effect": "Allow",
            "Principal": {"Service": "config.amazonaws.com"},
            "Action": ["s3:GetBucketAcl", "s3:ListBucket"],
            "Resource": bucket_arn,
            "Condition": {"StringEquals": {"AWS:SourceAccount": "${aws.account_id}"}},
        }));
        statements.push(json!({
            "Sid": "AWSConfigBucketDelivery",
            "Effect": "Allow",
            "Principal": {"Service": "config.amazonaws.com"},
            "Action": "s3:PutObject",
            "Resource": format!("{bucket_arn}/AWSLogs/${{aws.account_id}}/Config/*"),
            "Condition": {"StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control", "AWS:SourceAccount": "${aws.account_id}"}},
        }));
        let role = self.generated_role(
            "config-recorder",
            "config.amazonaws.com",
            vec!["arn:aws:iam::aws:policy/service-role/AWS_ConfigRole".into()],
            None,
            loc,
        )?;
        let name = self.blueprint.clone();
        let recorder = Address::new(Kind::ConfigRecorder, "main");
        let attrs = to_attrs(&spec::ConfigRecorder {
            name: name.clone(),
            role_arn: output_ref(&role, "arn"),
            all_supported: r.all_supported,
            include_global_resource_types: r.include_global,
            recording: true,
        });
        self.add(recorder.clone(), attrs, loc);
        let attrs = to_attrs(&spec::ConfigDeliveryChannel {
            name: name.clone(),
            s3_bucket_name: output_ref(&bucket, "name"),
            s3_key_prefix: None,
            sns_topic_arn: topic,
            delivery_frequency: r.delivery_frequency.value.clone(),
        });
        // AWS wants the recorder before the channel, and the bucket policy before either.
        let deps = [recorder.clone(), Address::new(Kind::S3BucketPolicy, bucket_key.as_str())];
        self.add_with(Address::new(Kind::ConfigDeliveryChannel, "main"), attrs, loc, &deps);
        Some(output_ref(&recorder, "name"))
    }

    // ---- hosts -------------------------------------------------------------------------

    fn host(&mut self, key: &Sp<String>, h: raw::Host, loc: Loc) {
        let subnet = self.reference(Section::Subnet, &h.subnet);
        let mut groups = Vec::new();
        for g in &h.security_groups {
            if let Some(k) = self.reference(Section::SecurityGroup, g) {
                groups.push(self.out(Section::SecurityGroup, &k, "id"));
            }
        }
        groups.sort();
        groups.dedup();
        if groups.len() > MAX_GROUPS_PER_INTERFACE {
            let at = h.security_groups.first().map(|g| g.loc).unwrap_or(loc);
            self.error(
                at,
                format!(
                    "{} security groups: AWS attaches at most {MAX_GROUPS_PER_INTERFACE} to one network interface (5 by default)",
                    groups.len()
                ),
            );
        }
        let profile = match &h.role {
            Some(r) => match self.reference(Section::Role, r) {
                Some(k) if self.roles_with_profile.contains(&k) => {
                    Some(output_ref(&Address::new(Kind::InstanceProfile, k.as_str()), "name"))
                }
                Some(k) => {
                    self.error_help(
                        r.loc,
                        format!("role `{k}` has no instance profile, so a host cannot use it"),
                        format!("let EC2 assume it (`assumed_by: ec2.amazonaws.com`) or set `instance_profile: true` on `iam.roles.{k}`"),
                    );
                    None
                }
                None => None,
            },
            None => None,
        };
        static TYPE: std::sync::LazyLock<regex::Regex> =
            std::sync::LazyLock::new(|| regex::Regex::new(r"^[a-z][a-z0-9-]*\.[a-z0-9]+$").unwrap());
        if !TYPE.is_match(&h.instance_type) {
            self.error(
                h.instance_type.loc,
                format!("`{}` is not an instance type, such as `t3.medium`", h.instance_type.value),
            );
        }
        let image = self.image(&h.image);
        let public = subnet.as_ref().and_then(|s| self.subnets.get(s)).map(|s| s.public).unwrap_or(false);
        let associate_public_ip = h.public_ip.unwrap_or(public);
        if let (Some(ip), Some(s)) = (&h.private_ip, subnet.as_ref()) {
            match Ipv4Addr::from_str(ip) {
                Err(_) => self.error(ip.loc, format!("`{}` is not an IPv4 address", ip.value)),
                Ok(addr) => {
                    if let Some(net) = self.subnets.get(s).and_then(|s| s.net) {
                        let first = u32::from(net.network());
                        let a = u32::from(addr);
                        if !net.contains(&addr) {
                            self.error(ip.loc, format!("{addr} is not in subnet `{s}` ({net})"));
                        } else if a < first + 4 || addr == net.broadcast() {
                            self.error(ip.loc, format!("{addr} is reserved by AWS: the first four addresses and the last one of a subnet are"));
                        }
                    }
                }
            }
        }
        let user_data = h.user_data.as_ref().and_then(|u| self.user_data(u));
        let (size, encrypted) = match &h.root_volume {
            Some(v) => {
                if let Some(s) = &v.size_gb {
                    if !(1..=16384).contains(&s.value) {
                        self.error(s.loc, "a root volume is 1 to 16384 GiB");
                    }
                }
                (v.size_gb.as_ref().map(|s| s.value as i32), v.encrypted)
            }
            None => (None, true),
        };
        let (Some(subnet), Some(image)) = (subnet, image) else { return };
        let mut tags = self.tags(&h.tags, loc);
        tags.entry("Name".into()).or_insert_with(|| format!("{}-{}", self.blueprint, key.value));
        let attrs = to_attrs(&spec::Instance {
            image,
            instance_type: h.instance_type.value.clone(),
            subnet_id: self.out(Section::Subnet, &subnet, "id"),
            security_group_ids: groups,
            iam_instance_profile: profile,
            user_data,
            root_volume_size_gb: size,
            root_volume_encrypted: encrypted,
            associate_public_ip,
            private_ip: h.private_ip.as_ref().map(|p| p.value.clone()),
            require_imdsv2: h.imdsv2,
            tags,
        });
        self.add(Address::new(Kind::Instance, key.value.as_str()), attrs, loc);
    }

    fn image(&mut self, image: &Sp<String>) -> Option<String> {
        let s = image.as_str();
        if let Some((_, path)) = IMAGES.iter().find(|(name, _)| *name == s) {
            return Some(format!("ssm:{path}"));
        }
        if s.starts_with("ssm:/") {
            return Some(s.to_string());
        }
        let hex = s.strip_prefix("ami-").unwrap_or("");
        if (8..=17).contains(&hex.len()) && hex.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()) {
            return Some(s.to_string());
        }
        let names: Vec<&str> = IMAGES.iter().map(|(n, _)| *n).collect();
        let help = match did_you_mean(s, names.iter().copied()) {
            Some(best) => format!("did you mean `{best}`?"),
            None => format!("use an AMI id (`ami-0abc...`), `ssm:/path`, or one of {}", names.join(", ")),
        };
        self.error_help(image.loc, format!("`{s}` is not an image"), help);
        None
    }

    /// Reads a file a blueprint names: a relative path inside the blueprint's folder tree
    /// (symbolic links followed, then checked), a regular file, at most `limit` bytes. A
    /// blueprint under review must not be able to pull other files into a plan or a pull
    /// request comment (`../../secret.txt`, `/proc/self/environ`, a link to `~/.aws`), nor
    /// exhaust memory (`/dev/zero`).
    fn confined_read(&self, file: &str, limit: u64) -> Result<Vec<u8>, (String, String)> {
        let base = &self.opts.base_dir;
        let inside = format!("paths are relative to the blueprint's folder ({}) and stay inside it", base.display());
        let rel = std::path::Path::new(file);
        if rel.is_absolute()
            || rel.components().any(|c| !matches!(c, std::path::Component::Normal(_) | std::path::Component::CurDir))
        {
            return Err((
                format!("`{file}` is outside the blueprint's folder: absolute paths and `..` are refused"),
                inside,
            ));
        }
        let root = base
            .canonicalize()
            .map_err(|e| (format!("cannot read the blueprint's folder `{}`: {e}", base.display()), inside.clone()))?;
        let real = base.join(rel).canonicalize().map_err(|e| (format!("cannot read `{file}`: {e}"), inside.clone()))?;
        if !real.starts_with(&root) {
            return Err((
                format!(
                    "`{file}` leads outside the blueprint's folder (to `{}`) through a symbolic link",
                    real.display()
                ),
                inside,
            ));
        }
        match super::read_capped(&real, limit) {
            Ok(bytes) => Ok(bytes),
            Err(super::ReadError::TooBig) => Err((
                format!("`{file}` is larger than {limit} bytes"),
                "EC2 accepts at most 16 KiB of user data".into(),
            )),
            Err(super::ReadError::NotAFile) => Err((format!("`{file}` is not a regular file"), inside)),
            Err(super::ReadError::Io(e)) => Err((format!("cannot read `{file}`: {e}"), inside)),
        }
    }

    /// Reads the script and exports its variables right after the `#!` line.
    fn user_data(&mut self, u: &Sp<raw::UserData>) -> Option<String> {
        let (file, vars) = match &u.value {
            raw::UserData::File(f) => (f, None),
            raw::UserData::WithVars { file, vars } => (file, Some(vars)),
        };
        let script = match self.confined_read(file, USER_DATA_LIMIT as u64) {
            Ok(bytes) => match String::from_utf8(bytes) {
                Ok(s) => s,
                Err(_) => {
                    self.error(u.loc, format!("user data `{file}` is not UTF-8 text"));
                    return None;
                }
            },
            Err((message, help)) => {
                self.error_help(u.loc, message, help);
                return None;
            }
        };
        // EC2 runs a script that opens with `<powershell>` in PowerShell (Windows hosts).
        let powershell = script.trim_start().starts_with("<powershell>");
        let mut exports = String::new();
        for (k, v) in vars.into_iter().flatten() {
            let ok_name = k.chars().next().is_some_and(|c| c.is_ascii_uppercase() || c == '_')
                && k.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
            if !ok_name {
                self.error(u.loc, format!("variable `{k}` is invalid: use upper case letters, digits and `_`"));
                continue;
            }
            let v = self.user_templates(&Sp::new(v.clone(), u.loc))?;
            if powershell {
                exports.push_str(&format!("$env:{k} = '{}'\n", v.replace('\'', "''")));
            } else {
                exports.push_str(&format!("export {k}='{}'\n", v.replace('\'', r"'\''")));
            }
        }
        let composed = if exports.is_empty() {
            script
        } else {
            let header = "# socform: variables\n";
            match script.split_once('\n') {
                Some((first, rest)) if first.starts_with("#!") || first.trim() == "<powershell>" => {
                    format!("{first}\n{header}{exports}{rest}")
                }
                _ => format!("{header}{exports}{script}"),
            }
        };
        if composed.len() > USER_DATA_LIMIT {
            self.error(u.loc, format!("user data is {} bytes: EC2 accepts at most {USER_DATA_LIMIT}", composed.len()));
            return None;
        }
        Some(composed)
    }
}

/// Fills what a detection leaves out from its catalog entry.
fn merge_catalog(d: &mut raw::Detection, e: &crate::detect::catalog::Entry, at: Loc) {
    let sp = |v: &str| Sp::new(v.to_string(), at);
    d.name.get_or_insert_with(|| sp(e.name));
    d.pattern.get_or_insert_with(|| sp(e.pattern));
    d.severity.get_or_insert_with(|| sp(e.severity));
    d.description.get_or_insert_with(|| format!("{} ({})", e.title, e.id));
    d.attack.get_or_insert_with(|| e.attack.iter().map(|a| sp(a)).collect());
    let t = d.threshold.get_or_insert_with(raw::Threshold::default);
    t.count.get_or_insert(Sp::new(e.count, at));
    t.period.get_or_insert(Sp::new(e.period, at));
    d.samples.get_or_insert_with(|| raw::Samples {
        matches: e.samples_match.iter().map(|s| sp(s)).collect(),
        no_match: e.samples_no_match.iter().map(|s| sp(s)).collect(),
    });
}

fn parse_ports(item: &raw::Scalar) -> Result<(i32, i32), String> {
    let check = |p: i64| -> Result<i32, String> {
        if (0..=65535).contains(&p) {
            Ok(p as i32)
        } else {
            Err(format!("port {p} is out of range: ports are 0 to 65535"))
        }
    };
    match item {
        raw::Scalar::Int(p) => check(*p).map(|p| (p, p)),
        raw::Scalar::Str(s) => {
            let bad = || format!("`{s}` is not a port or a range such as `8000-8100`");
            let (a, b) = match s.split_once('-') {
                Some((a, b)) => (a.trim(), b.trim()),
                None => (s.trim(), s.trim()),
            };
            let a: i64 = a.parse().map_err(|_| bad())?;
            let b: i64 = b.parse().map_err(|_| bad())?;
            let (a, b) = (check(a)?, check(b)?);
            if a > b {
                return Err(format!("`{s}`: a range goes from the lower port to the higher"));
            }
            Ok((a, b))
        }
    }
}

fn policy_doc(statements: Vec<Value>) -> Value {
    json!({"Version": "2012-10-17", "Statement": statements})
}

fn trust_policy(services: &[String]) -> Value {
    let principal = if services.len() == 1 { json!(services[0]) } else { json!(services) };
    policy_doc(vec![json!({
        "Effect": "Allow",
        "Principal": {"Service": principal},
        "Action": "sts:AssumeRole",
    })])
}

#[cfg(test)]
mod tests {
    /// The sections lowering accepts and the ones the JSON Schema describes are written
    /// twice (here and in `raw::Blueprint`): they must never drift apart.
    #[test]
    fn top_keys_are_the_schema_properties() {
        let schema = crate::blueprint::schema();
        let mut from_schema: Vec<&str> =
            schema["properties"].as_object().expect("the schema has properties").keys().map(String::as_str).collect();
        let mut here = super::TOP_KEYS.to_vec();
        from_schema.sort_unstable();
        here.sort_unstable();
        assert_eq!(here, from_schema);
    }
}
