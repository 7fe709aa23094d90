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

mod account;
mod config;
mod detections;
mod hosts;
mod iam;
mod logging;
mod meta;
mod network;
mod respond;
mod store;

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
/// AWS's ceiling on the rules of one direction of a network ACL (the default quota is 20;
/// it can be raised to 40).
const MAX_ACL_RULES_PER_DIRECTION: usize = 40;
/// The most security groups AWS attaches to one network interface, whatever the quota.
pub const MAX_GROUPS_PER_INTERFACE: usize = 16;
/// Longest filter pattern CloudWatch Logs accepts.
pub const PATTERN_LIMIT: usize = 1024;

/// Metric filters with a regex that one log group may have (a CloudWatch Logs quota).
pub const REGEX_FILTERS_PER_LOG_GROUP: usize = 5;
/// Metric filters one log group may have (a CloudWatch Logs quota AWS does not raise).
pub const FILTERS_PER_LOG_GROUP: usize = 100;

const TOP_KEYS: &[&str] = &[
    "blueprint",
    "region",
    "allowed_accounts",
    "accounts",
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
    "responses",
    "findings",
    "account",
    "lookups",
    "dashboard",
    "investigation",
    "lint",
];
const NETWORK_KEYS: &[&str] = &["account", "vpc", "internet_gateway", "subnets", "flow_logs", "acls"];
const IAM_KEYS: &[&str] = &["roles"];
const CONFIG_KEYS: &[&str] = &["account", "recorder", "rules", "aggregator"];

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
        accounts: BTreeMap::new(),
        placing: None,
        diags: Vec::new(),
        resources: BTreeMap::new(),
        aws_names: HashMap::new(),
        declared: HashMap::new(),
        subnets: BTreeMap::new(),
        vpc_net: None,
        roles_with_profile: BTreeSet::new(),
        bucket_policies: BTreeMap::new(),
        topic_publishers: BTreeMap::new(),
        trail_log_group: None,
        regex_filters: BTreeMap::new(),
        filters: BTreeMap::new(),
        fixed: BTreeSet::new(),
        uses_existing: BTreeSet::new(),
        replaces_existing: BTreeSet::new(),
        lookups: BTreeSet::new(),
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
            accounts: cx.accounts,
            resources: cx.resources.into_values().map(|(r, _)| r).collect(),
            detections: cx.detections,
            suppressions: cx.suppressions,
            inputs: cx.inputs.values().map(super::inputs::Resolved::to_model).collect(),
            outputs: cx.outputs,
            moved: cx.moved,
            lab: cx.lab,
            fixed: cx.fixed,
            uses_existing: cx.uses_existing,
            replaces_existing: cx.replaces_existing,
            lookups: cx.lookups,
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
    /// The blueprint's `accounts:`.
    accounts: BTreeMap<String, crate::model::Account>,
    /// The named account (one with a role) what is added now is placed in (`account:`).
    placing: Option<String>,
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
    /// Services other than CloudWatch that publish to each topic (it gets a policy).
    topic_publishers: BTreeMap<String, BTreeSet<String>>,
    trail_log_group: Option<String>,
    /// Detections whose patterns hold a regex, per log group: CloudWatch allows five.
    regex_filters: BTreeMap<String, usize>,
    /// Metric filters per log group so far.
    filters: BTreeMap<String, usize>,
    /// Resources written wholly from socform's templates (`Model::fixed`).
    fixed: BTreeSet<Address>,
    /// Singletons an existing one may stand in for (`Model::uses_existing`).
    uses_existing: BTreeSet<Address>,
    /// Singletons the blueprint sets in place of the account's own (`Model::replaces_existing`).
    replaces_existing: BTreeSet<Address>,
    /// What is only read (`Model::lookups`).
    lookups: BTreeSet<Address>,
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
        let mut attrs = attrs;
        if let Some(account) = &self.placing {
            // `${aws.account_id}` is the account of the resource it is written in.
            let own = crate::model::template::account_ref(account);
            for v in attrs.values_mut() {
                replace_in_strings(v, "${aws.account_id}", &own);
            }
            attrs.insert(crate::model::ACCOUNT_ATTR.into(), Value::String(account.clone()));
        }
        let mut r = Resource::new(address.clone(), attrs);
        r.depends_on.extend(extra_deps.iter().cloned());
        self.resources.insert(address.clone(), (r, loc));
        Some(address)
    }

    // ---- accounts ----------------------------------------------------------------------

    /// Places what is added next in the account `account` names (a key of `accounts`); the
    /// caller's own for `None` or an account without a role.
    fn place(&mut self, account: Option<&Sp<String>>) {
        self.placing = None;
        let Some(a) = account else { return };
        match self.accounts.get(&a.value) {
            Some(def) => self.placing = def.role_arn.is_some().then(|| a.value.clone()),
            None if self.accounts.is_empty() => self.error_help(
                a.loc,
                format!("`account: {}` names an account, and the blueprint has no `accounts:`", a.value),
                "name the accounts the blueprint spans, with the role to reach each: `accounts: { audit: { role_arn: arn:aws:iam::ID:role/NAME } }`",
            ),
            None => {
                let msg = match did_you_mean(&a.value, self.accounts.keys().map(String::as_str)) {
                    Some(best) => format!("`{}` is not a key of `accounts`: did you mean `{best}`?", a.value),
                    None => format!(
                        "`{}` is not a key of `accounts`: they are {}",
                        a.value,
                        self.accounts.keys().map(|k| format!("`{k}`")).collect::<Vec<_>>().join(", ")
                    ),
                };
                self.error(a.loc, msg);
            }
        }
    }

    /// [`Self::place`] from a section's `account:` key.
    fn place_node(&mut self, node: &Node) {
        let account = node.get("account").and_then(|n| self.read::<Sp<String>>(n));
        self.place(account.as_ref());
    }

    /// Places what is added next with `address` (a bucket's policy with the bucket).
    fn place_with(&mut self, address: &Address) {
        self.placing = self.resources.get(address).and_then(|(r, _)| r.account()).map(str::to_string);
    }

    /// `v` with `${aws.account_id}` made explicit for the account of what is being lowered,
    /// for statements written into a resource of another account (a trail's statements in the
    /// policy of a bucket in the log archive account). A blueprint without `accounts:` is
    /// left as it is.
    fn of_this_account(&self, mut v: Value) -> Value {
        if !self.accounts.is_empty() {
            let own = match &self.placing {
                Some(a) => crate::model::template::account_ref(a),
                None => crate::model::template::CALLER_ACCOUNT_REF.to_string(),
            };
            replace_in_strings(&mut v, "${aws.account_id}", &own);
        }
        v
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
                if ["account_id", "caller_account_id", "organization_id", "region", "partition"].contains(&parts[1]) {
                    out.push_str(whole);
                } else {
                    self.error(
                        s.loc,
                        format!("`{whole}`: the globals are `aws.account_id`, `aws.caller_account_id`, `aws.organization_id`, `aws.region` and `aws.partition`"),
                    );
                    ok = false;
                }
                continue;
            }
            if parts.len() == 3 && parts[0] == "account" {
                if parts[2] == "id" && self.accounts.contains_key(parts[1]) {
                    out.push_str(whole);
                } else {
                    let msg = if parts[2] == "id" {
                        format!("`{whole}`: `{}` is not a key of `accounts`", parts[1])
                    } else {
                        format!("`{whole}`: an account has one output, `id`")
                    };
                    self.error(s.loc, msg);
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
            self.place_node(n);
            self.network(n);
        }
        if let Some(n) = root.get("security_groups") {
            for (key, node) in self.map_entries(n, "security groups") {
                self.place_node(node);
                self.security_group(&key, node);
            }
        }
        if let Some(n) = root.get("iam") {
            if self.known_keys(n, IAM_KEYS, "`iam`") {
                if let Some(roles) = n.get("roles") {
                    for (key, node) in self.map_entries(roles, "roles") {
                        if let Some(r) = self.read::<raw::Role>(node) {
                            self.place(r.account.as_ref());
                            self.role(&key, r);
                        }
                    }
                }
            }
        }
        if let Some(n) = root.get("buckets") {
            for (key, node) in self.map_entries(n, "buckets") {
                if let Some(b) = self.read::<raw::Bucket>(node) {
                    self.place(b.account.as_ref());
                    self.bucket(&key, &b, node.loc);
                }
            }
        }
        if let Some(n) = root.get("log_groups") {
            for (key, node) in self.map_entries(n, "log groups") {
                if let Some(lg) = self.read::<raw::LogGroup>(node) {
                    self.place(lg.account.as_ref());
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
                self.place(t.account.as_ref());
                self.trail(t, n.loc);
            }
        }
        if let Some(n) = root.get("notifications") {
            for (key, node) in self.map_entries(n, "notifications") {
                if let Some(t) = self.read::<raw::Notification>(node) {
                    self.place(t.account.as_ref());
                    self.notification(&key, t, node.loc);
                }
            }
        }
        self.placing = None;
        if let Some(n) = root.get("lookups") {
            self.lookups(n);
        }
        if let Some(n) = root.get("detections") {
            self.detections(n);
        }
        if let Some(n) = root.get("parameters") {
            for (key, node) in self.map_entries(n, "parameters") {
                if let Some(p) = self.read::<raw::Parameter>(node) {
                    self.place(p.account.as_ref());
                    self.parameter(&key, p, node.loc);
                }
            }
        }
        if let Some(n) = root.get("secrets") {
            for (key, node) in self.map_entries(n, "secrets") {
                if let Some(s) = self.read::<raw::SecretDef>(node) {
                    self.place(s.account.as_ref());
                    self.secret(&key, s, node.loc);
                }
            }
        }
        if let Some(n) = root.get("config") {
            self.place_node(n);
            self.config(n);
        }
        if let Some(n) = root.get("hosts") {
            for (key, node) in self.map_entries(n, "hosts") {
                if let Some(h) = self.read::<raw::Host>(node) {
                    self.place(h.account.as_ref());
                    self.host(&key, h, node.loc);
                }
            }
        }
        if let Some(n) = root.get("account") {
            self.place_node(n);
            self.account(n);
        }
        if let Some(n) = root.get("responses") {
            for (key, node) in self.map_entries(n, "responses") {
                if let Some(r) = self.read::<raw::Response>(node) {
                    self.place(r.account.as_ref());
                    self.response(&key, r, node.loc);
                }
            }
        }
        self.placing = None;
        if let Some(n) = root.get("findings") {
            self.findings(n);
        }
        self.placing = None;
        self.dashboard(root.get("dashboard"));
        if let Some(n) = root.get("investigation") {
            self.investigation(n);
        }
        self.bucket_policies();
        self.topic_policies();
        self.placing = None;
        self.cross_account_edges();
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
}

impl Lower<'_> {
    /// Every reference between resources of two accounts is one AWS allows across accounts
    /// (a trail writing to a bucket of the log archive account), and every
    /// `${account.NAME.id}` names an account of `accounts:`.
    fn cross_account_edges(&mut self) {
        let mut problems = Vec::new();
        for (r, loc) in self.resources.values() {
            for reference in crate::model::template::references_in_attrs(&r.attrs) {
                if let crate::model::template::Ref::Global(g) = &reference {
                    if let Some(name) = g.strip_prefix("account_id.") {
                        if !self.accounts.contains_key(name) {
                            problems.push((
                                *loc,
                                format!(
                                    "`${{account.{name}.id}}` in `{}`: `{name}` is not a key of `accounts`",
                                    r.address
                                ),
                                None,
                            ));
                        }
                    }
                }
            }
            let here = r.account();
            for dep in &r.depends_on {
                let Some((d, _)) = self.resources.get(dep) else { continue };
                let there = d.account();
                if here == there || crosses_accounts(r.kind(), d.kind()) {
                    continue;
                }
                let name = |a: Option<&str>| a.map_or("the caller's account".to_string(), |a| format!("account `{a}`"));
                problems.push((
                    *loc,
                    format!(
                        "`{}` is in {} and needs `{dep}`, which is in {}: a {} cannot use a {} of another account",
                        r.address,
                        name(here),
                        name(there),
                        r.kind().noun(),
                        d.kind().noun()
                    ),
                    Some("give both the same `account:`".to_string()),
                ));
            }
        }
        for (loc, message, help) in problems {
            match help {
                Some(h) => self.error_help(loc, message, h),
                None => self.error(loc, message),
            }
        }
    }
}

/// Whether a resource of kind `from` may use one of kind `to` in another account: a trail
/// writes to a bucket anywhere whose policy lets it, and the organization's administrators
/// are designated from the management account for a service on in another, and configured
/// there. Nothing else may (an IAM policy naming another account's resource included, for
/// now: see the note on issue 27).
fn crosses_accounts(from: Kind, to: Kind) -> bool {
    matches!(
        (from, to),
        (Kind::Trail, Kind::S3Bucket | Kind::S3BucketPolicy)
            | (Kind::GuarddutyAdmin, Kind::GuarddutyDetector)
            | (Kind::SecurityhubAdmin, Kind::SecurityHub)
            | (Kind::GuarddutyOrgConfig, Kind::GuarddutyAdmin)
            | (Kind::SecurityhubOrgConfig, Kind::SecurityhubAdmin)
    )
}

/// Replaces `from` with `to` in every string of `v`.
fn replace_in_strings(v: &mut Value, from: &str, to: &str) {
    match v {
        Value::String(s) if s.contains(from) => *s = s.replace(from, to),
        Value::Array(items) => items.iter_mut().for_each(|i| replace_in_strings(i, from, to)),
        Value::Object(map) => map.values_mut().for_each(|i| replace_in_strings(i, from, to)),
        _ => {}
    }
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
