//! `socform lint`: a blueprint checked against rules with stable ids.
//!
//! Rules follow the CIS AWS Foundations Benchmark's logging, monitoring and networking
//! controls and common hardening (IAM wildcards, public buckets, IMDSv1). A finding can be
//! suppressed for one resource with a written reason in the blueprint's `lint.suppress`.
//! Output: text, JSON, or SARIF 2.1.0 for code scanning.

use serde::Serialize;
use serde_json::Value;

use crate::address::Address;
use crate::detect::catalog;
use crate::model::{Attrs, Kind, Model, Suppression};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Error,
    Warning,
    Note,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Error => "error",
            Level::Warning => "warning",
            Level::Note => "note",
        }
    }
}

/// A lint rule.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Rule {
    pub id: &'static str,
    pub name: &'static str,
    pub level: Level,
    pub summary: &'static str,
    /// Why it matters and what to do.
    pub help: &'static str,
}

pub const RULES: &[Rule] = &[
    Rule { id: "SOC001", name: "admin-port-open-to-internet", level: Level::Error, summary: "SSH or RDP is open to the whole internet", help: "CIS 5.2/5.3: no security group allows 0.0.0.0/0 or ::/0 to ports 22 or 3389. Reach hosts through SSM Session Manager, or allow a known admin CIDR." },
    Rule { id: "SOC002", name: "iam-wildcard-action", level: Level::Error, summary: "an IAM statement allows every action of a service (or all of them)", help: "Grant the actions the role needs (`s3:GetObject`), not `*` or `s3:*`: a wildcard today is every action AWS adds tomorrow." },
    Rule { id: "SOC003", name: "iam-wildcard-resource", level: Level::Warning, summary: "an IAM statement allows writes on every resource", help: "Scope write actions to the resources they are for (`resources: [bucket.trail/*]`); `*` reaches every resource of the account." },
    Rule { id: "SOC004", name: "bucket-public-access-block-off", level: Level::Error, summary: "a bucket does not block public access", help: "CIS 2.1.4: turn on all four public access block settings (`public_access_block: true`, the default)." },
    Rule { id: "SOC005", name: "trail-bucket-versioning-off", level: Level::Warning, summary: "the trail's bucket keeps no versions", help: "With versioning, a deleted or overwritten log file can be recovered; keep `versioning: true` (the default)." },
    Rule { id: "SOC006", name: "trail-single-region", level: Level::Error, summary: "the trail records one region only", help: "CIS 3.1: an attacker acts in the region you do not watch. Use `multi_region: true` (the default)." },
    Rule { id: "SOC007", name: "trail-log-validation-off", level: Level::Error, summary: "log file validation is off", help: "CIS 3.2: digest files prove logs were not altered. Use `log_file_validation: true` (the default)." },
    Rule { id: "SOC008", name: "trail-not-in-cloudwatch", level: Level::Error, summary: "the trail does not deliver to CloudWatch Logs", help: "CIS 3.4: detections read CloudWatch Logs. Add `trail.cloudwatch_logs`." },
    Rule { id: "SOC009", name: "trail-not-logging", level: Level::Error, summary: "the trail is not logging", help: "A stopped trail records nothing. Keep `logging: true` (the default)." },
    Rule { id: "SOC010", name: "no-vpc-flow-logs", level: Level::Warning, summary: "the VPC has no flow logs", help: "CIS 3.9: record rejected traffic at least (`network.flow_logs`)." },
    Rule { id: "SOC011", name: "public-ip-in-private-subnet", level: Level::Warning, summary: "a host in a private subnet asks for a public address", help: "A private subnet has no route to the internet gateway, so the address is useless, and a mistaken route would expose the host. Drop `public_ip: true` or move the host." },
    Rule { id: "SOC012", name: "missing-cis-monitoring", level: Level::Warning, summary: "a CIS monitoring control has no detection", help: "CIS 4.1-4.15: add `- use: cis/4.N` to `detections`." },
    Rule { id: "SOC013", name: "no-cloudtrail", level: Level::Error, summary: "the blueprint has no CloudTrail trail", help: "CIS 3.1: without a trail there is no audit log and no detection. Add a `trail`." },
    Rule { id: "SOC014", name: "imdsv1-allowed", level: Level::Warning, summary: "a host accepts IMDSv1", help: "IMDSv1 hands instance credentials to any SSRF. Keep `imdsv2: true` (the default)." },
    Rule { id: "SOC015", name: "unencrypted-root-volume", level: Level::Warning, summary: "a host's root volume is not encrypted", help: "Keep `root_volume.encrypted: true` (the default)." },
    Rule { id: "SOC016", name: "detection-notifies-nobody", level: Level::Warning, summary: "a detection's alarm notifies nobody", help: "An alarm without `notify` changes state where nobody looks. Name a topic of `notifications`." },
    Rule { id: "SOC017", name: "egress-open-to-all", level: Level::Note, summary: "a security group allows all outbound traffic", help: "Without `egress`, AWS's default lets everything out. List what the tier needs, or write `egress: []`." },
    Rule { id: "SOC019", name: "above-default-quota", level: Level::Warning, summary: "more security-group rules or groups than AWS allows by default", help: "AWS's default quotas are 60 inbound and 60 outbound rules per security group and 5 groups per network interface: an apply fails halfway unless the account's quota was raised. Split rules across groups, or raise the quota first (Service Quotas)." },
    Rule { id: "SOC020", name: "response-without-trail", level: Level::Error, summary: "a response triggered by API calls has no trail logging those calls", help: "EventBridge sees API calls only through a CloudTrail trail that logs management events: declare a `trail` that logs, and do not leave the call's source out of it (`exclude_sources`)." },
    Rule { id: "SOC021", name: "response-loop", level: Level::Error, summary: "a response function may make the very call that triggers it", help: "Its own call sets the rule off again, and again: take the action out of the function's `statements`, or trigger on other calls." },
    Rule { id: "SOC022", name: "runbook-default-vpc-only", level: Level::Warning, summary: "AWS-DisablePublicAccessForSecurityGroup fails on groups outside the default VPC", help: "The runbook looks for the group in the default VPC only. Use `AWSConfigRemediation-RemoveUnrestrictedSourceIngressRules`, or a function of your own." },
    Rule { id: "SOC023", name: "detection-source-excluded", level: Level::Error, summary: "a detection watches events the trail leaves out", help: "The trail's `exclude_sources` drops that service's management events before any filter sees them: the detection can never fire. Keep the source, or drop the detection." },
    Rule { id: "SOC024", name: "response-one-region", level: Level::Note, summary: "a response to API calls sees one region, and the trail records every region", help: "EventBridge delivers the calls of its own region only: a call in another region is recorded by the trail and answered by nothing. Apply the blueprint (or one holding the response) in each region where these calls matter." },
    Rule { id: "SOC025", name: "acl-admin-port-open-to-internet", level: Level::Error, summary: "a network ACL lets the whole internet reach SSH or RDP", help: "CIS 5.1: deny tcp 22 and 3389 from 0.0.0.0/0 (and ::/0) with rule numbers lower than any allow that covers them, such as the ephemeral range `1024-65535`, which holds 3389." },
    Rule { id: "SOC026", name: "subnet-on-default-acl", level: Level::Note, summary: "a subnet keeps the VPC's default network ACL, which lets everything in", help: "CIS 5.1: put every subnet in a `network.acls` entry that denies the admin ports from the internet (see blueprints/soc-reference.yaml)." },
    Rule { id: "SOC018", name: "log-retention-short", level: Level::Warning, summary: "logs are kept less than 90 days", help: "Investigations often reach back months: keep security logs 90 days or more (365 for the trail)." },
];

pub fn rule(id: &str) -> Option<&'static Rule> {
    RULES.iter().find(|r| r.id == id)
}

#[derive(Debug, Clone, Serialize)]
pub struct LintFinding {
    pub rule: &'static str,
    pub level: Level,
    /// The resource at fault; `None` for the blueprint as a whole.
    pub address: Option<Address>,
    pub message: String,
    /// The written reason, when suppressed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub suppressed: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct LintReport {
    pub format_version: &'static str,
    pub blueprint: String,
    pub findings: Vec<LintFinding>,
}

fn s<'a>(a: &'a Attrs, k: &str) -> Option<&'a str> {
    a.get(k)?.as_str()
}

fn b(a: &Attrs, k: &str) -> Option<bool> {
    a.get(k)?.as_bool()
}

/// The address a template string like `${subnet.a.id}` names.
fn named(v: Option<&str>) -> Option<Address> {
    let t = v?.strip_prefix("${")?.strip_suffix('}')?;
    let (addr, _) = t.rsplit_once('.')?;
    Address::parse(addr).ok()
}

/// SOC001: each group whose ingress rules, taken together, open SSH or RDP to the internet
/// (`model::exposure`: the world written as two /1 halves is still the world), reported on
/// every rule that lets it in.
fn admin_ports_open(model: &Model, add: &mut impl FnMut(&'static str, Option<&Address>, String)) {
    use crate::model::exposure::{admin_exposure, Ingress};
    let mut groups: std::collections::BTreeMap<&str, Vec<(&Address, Ingress<'_>)>> = Default::default();
    for r in model.resources.iter().filter(|r| r.address.kind() == Kind::SecurityGroupRule) {
        let a = &r.attrs;
        if s(a, "direction") != Some("ingress") {
            continue;
        }
        let Some(cidr) = s(a, "cidr_ipv4").or(s(a, "cidr_ipv6")) else { continue };
        let port = |k: &str| a.get(k).and_then(Value::as_i64).unwrap_or(-1);
        let rule =
            Ingress { protocol: s(a, "protocol").unwrap_or(""), from: port("from_port"), to: port("to_port"), cidr };
        groups.entry(s(a, "group_id").unwrap_or("")).or_default().push((&r.address, rule));
    }
    for rules in groups.values() {
        let ingress: Vec<Ingress<'_>> = rules.iter().map(|(_, r)| *r).collect();
        // Per rule: the services it opens, and (first seen) the other blocks it opens them with.
        let mut said: std::collections::BTreeMap<usize, (Vec<String>, Option<String>)> = Default::default();
        for (name, proto, port, through) in admin_exposure(&ingress) {
            let what = crate::model::exposure::service(name, proto, port);
            for i in &through {
                let (services, with) = said.entry(*i).or_default();
                services.push(what.clone());
                if through.len() > 1 && with.is_none() {
                    let others: Vec<&str> = through.iter().filter(|j| *j != i).map(|&j| ingress[j].cidr).collect();
                    *with = Some(others.join(", "));
                }
            }
        }
        for (i, (services, with)) in said {
            let (addr, rule) = &rules[i];
            let what = if rule.protocol == "-1" {
                "all traffic (SSH and RDP included)".to_string()
            } else {
                services.join(" and ")
            };
            let joined = with.map(|w| format!(" (with {w}: together the whole internet)")).unwrap_or_default();
            add("SOC001", Some(*addr), format!("{what} is open to the whole internet{joined}"));
        }
    }
}

/// SOC025: each network ACL whose ingress entries, read in order, let the internet reach SSH
/// or RDP; SOC026: each subnet the blueprint's ACLs leave on the VPC's default ACL, when the
/// blueprint makes its own VPC.
fn acls_open(model: &Model, add: &mut impl FnMut(&'static str, Option<&Address>, String)) {
    use crate::model::spec::NetworkAcl;
    let mut covered: std::collections::BTreeSet<Address> = Default::default();
    for r in model.resources.iter().filter(|r| r.address.kind() == Kind::NetworkAcl) {
        let Ok(acl) = crate::model::spec::from_attrs::<NetworkAcl>(&r.attrs) else { continue };
        covered.extend(acl.subnet_ids.iter().filter_map(|s| named(Some(s))));
        for (name, proto, port, through) in crate::model::exposure::acl_entries_exposure(&acl.ingress) {
            let numbers: Vec<String> = through.iter().map(|&i| acl.ingress[i].number.to_string()).collect();
            let what = crate::model::exposure::service(name, proto, port);
            let rules = if numbers.len() == 1 { "rule" } else { "rules" };
            add(
                "SOC025",
                Some(&r.address),
                format!("{what} is open to the whole internet ({rules} {})", numbers.join(", ")),
            );
        }
    }
    if model.lookups.iter().any(|a| a.kind() == Kind::Vpc) {
        return;
    }
    for r in model.resources.iter().filter(|r| {
        r.address.kind() == Kind::Subnet && !covered.contains(&r.address) && !model.lookups.contains(&r.address)
    }) {
        add(
            "SOC026",
            Some(&r.address),
            "the subnet keeps the VPC's default network ACL, which allows all traffic".into(),
        );
    }
}

pub fn lint(model: &Model, suppressions: &[Suppression]) -> LintReport {
    let mut out: Vec<LintFinding> = Vec::new();
    let mut add = |rule: &'static str, address: Option<&Address>, message: String| {
        let r = self::rule(rule).expect("rule ids are listed");
        out.push(LintFinding { rule, level: r.level, address: address.cloned(), message, suppressed: None });
    };
    admin_ports_open(model, &mut add);
    acls_open(model, &mut add);
    let mut has_trail = false;
    // What the blueprint only looks up is someone else's: its settings are not the blueprint's
    // to lint.
    for r in model.resources.iter().filter(|r| !model.lookups.contains(&r.address)) {
        let a = &r.attrs;
        let addr = &r.address;
        match addr.kind() {
            // SOC001 is decided per group, over all its ingress rules together (below).
            Kind::SecurityGroupRule if s(a, "direction") == Some("ingress") => {}
            Kind::SecurityGroupRule if s(a, "protocol") == Some("-1") && s(a, "cidr_ipv4") == Some("0.0.0.0/0") => {
                add("SOC017", Some(addr), "all outbound traffic is allowed".into());
            }
            Kind::IamRole => {
                if let Some(Value::Object(policies)) = a.get("inline_policies") {
                    for doc in policies.values() {
                        for st in doc.get("Statement").and_then(Value::as_array).into_iter().flatten() {
                            if st.get("Effect").and_then(Value::as_str) != Some("Allow") {
                                continue;
                            }
                            let list = |k: &str| -> Vec<String> {
                                match st.get(k) {
                                    Some(Value::String(x)) => vec![x.clone()],
                                    Some(Value::Array(v)) => {
                                        v.iter().filter_map(|x| x.as_str().map(str::to_string)).collect()
                                    }
                                    _ => vec![],
                                }
                            };
                            let (actions, resources) = (list("Action"), list("Resource"));
                            for act in actions.iter().filter(|x| *x == "*" || x.ends_with(":*")) {
                                add("SOC002", Some(addr), format!("allows `{act}`"));
                            }
                            let read_only = |x: &String| {
                                let verb = x.split(':').nth(1).unwrap_or("");
                                ["Get", "List", "Describe", "Head", "Filter"].iter().any(|p| verb.starts_with(p))
                            };
                            if resources.iter().any(|x| x == "*") && actions.iter().any(|x| !read_only(x)) {
                                add("SOC003", Some(addr), format!("allows {} on every resource", actions.join(", ")));
                            }
                        }
                    }
                }
            }
            Kind::S3Bucket if b(a, "block_public_access") == Some(false) => {
                add("SOC004", Some(addr), "public access is not blocked".into());
            }
            Kind::Trail => {
                has_trail = true;
                if b(a, "is_multi_region_trail") == Some(false) {
                    add("SOC006", Some(addr), "the trail records one region only".into());
                }
                if b(a, "enable_log_file_validation") == Some(false) {
                    add("SOC007", Some(addr), "log file validation is off".into());
                }
                if a.get("cloud_watch_logs_log_group_arn").is_none() {
                    add("SOC008", Some(addr), "the trail does not deliver to CloudWatch Logs".into());
                }
                if b(a, "logging") == Some(false) {
                    add("SOC009", Some(addr), "the trail is not logging".into());
                }
                if let Some(bucket) = named(s(a, "s3_bucket_name")) {
                    if model.get(&bucket).is_some_and(|r| b(&r.attrs, "versioning") == Some(false)) {
                        add("SOC005", Some(&bucket), "the trail's bucket keeps no versions".into());
                    }
                }
            }
            Kind::Vpc => {
                let id = format!("${{{addr}.id}}");
                let logged = model
                    .resources
                    .iter()
                    .any(|x| x.kind() == Kind::FlowLog && s(&x.attrs, "resource_id") == Some(id.as_str()));
                if !logged {
                    add("SOC010", Some(addr), "the VPC has no flow logs".into());
                }
            }
            Kind::Instance => {
                if b(a, "associate_public_ip") == Some(true) {
                    if let Some(subnet) = named(s(a, "subnet_id")).and_then(|sn| model.get(&sn)) {
                        if b(&subnet.attrs, "map_public_ip_on_launch") == Some(false) {
                            add(
                                "SOC011",
                                Some(addr),
                                format!("asks for a public address in private subnet `{}`", subnet.address.name()),
                            );
                        }
                    }
                }
                if b(a, "require_imdsv2") == Some(false) {
                    add("SOC014", Some(addr), "IMDSv1 is allowed".into());
                }
                if b(a, "root_volume_encrypted") == Some(false) {
                    add("SOC015", Some(addr), "the root volume is not encrypted".into());
                }
            }
            Kind::Alarm if a.get("alarm_actions").and_then(Value::as_array).is_none_or(|v| v.is_empty()) => {
                add("SOC016", Some(addr), "the alarm notifies nobody".into());
            }
            Kind::LogGroup => {
                if let Some(d) = a.get("retention_in_days").and_then(Value::as_i64) {
                    if d < 90 {
                        add("SOC018", Some(addr), format!("logs are kept {d} days"));
                    }
                }
            }
            _ => {}
        }
    }
    // A trail the account has, looked up for its log group (`lookups.log_groups.*.trail`), is
    // a trail: the blueprint watches it instead of making a second one.
    let watches_a_trail = model.looked_up_trails().next().is_some();
    if !has_trail && !watches_a_trail {
        add("SOC013", None, "the blueprint has no CloudTrail trail".into());
    }
    responses(model, &mut add);
    let excluded: Vec<String> = model
        .resources
        .iter()
        .filter(|r| r.kind() == Kind::Trail)
        .filter_map(|t| t.attrs.get("exclude_management_event_sources").and_then(Value::as_array))
        .flatten()
        .filter_map(|v| v.as_str().map(str::to_string))
        .collect();
    for d in &model.detections {
        if let Some(src) = excluded.iter().find(|src| d.pattern.contains(src.as_str())) {
            add(
                "SOC023",
                Some(&d.metric_filter),
                format!("it watches `{src}`, whose management events the trail leaves out"),
            );
        }
    }
    // Default quotas (validation refuses what no quota allows).
    let mut per_direction: std::collections::BTreeMap<(&str, &str), usize> = Default::default();
    for r in model.resources.iter().filter(|r| r.kind() == Kind::SecurityGroupRule) {
        let mut parts = r.address.name().split(':');
        if let (Some(group), Some(direction)) = (parts.next(), parts.next()) {
            *per_direction.entry((group, direction)).or_default() += 1;
        }
    }
    for ((group, direction), n) in per_direction {
        if n > 60 {
            add(
                "SOC019",
                Some(&Address::new(Kind::SecurityGroup, group)),
                format!("{n} {direction} rules: the default quota is 60 per direction"),
            );
        }
    }
    for r in model.resources.iter().filter(|r| r.kind() == Kind::Instance) {
        let n = r.attrs.get("security_group_ids").and_then(Value::as_array).map_or(0, Vec::len);
        if n > 5 {
            add(
                "SOC019",
                Some(&r.address),
                format!("{n} security groups: the default quota is 5 per network interface"),
            );
        }
    }
    // One finding for all the controls missing (fifteen lines at 1:1 buried everything else),
    // crediting a hand-written detection that agrees with a control's samples.
    let missing: Vec<&str> = catalog::cis()
        .filter(|e| !model.detections.iter().any(|d| crate::detect::stands_for(d, e)))
        .map(|e| e.id)
        .collect();
    match missing.as_slice() {
        [] => {}
        [one] => {
            let title = catalog::get(one).map_or("", |e| e.title);
            add("SOC012", None, format!("{one} ({title}) has no detection: add `- use: {one}`"));
        }
        many => add(
            "SOC012",
            None,
            format!(
                "{} of {} CIS monitoring controls have no detection ({}): add `- use: cis/4.N` for each (`socform coverage` lists them)",
                many.len(),
                catalog::cis().count(),
                many.join(", ")
            ),
        ),
    }
    // Suppressions: per rule and resource (a rule of a group also answers to the group).
    for f in &mut out {
        let Some(addr) = &f.address else { continue };
        let owner = match addr.kind() {
            Kind::SecurityGroupRule => addr.name().split(':').next().map(|g| Address::new(Kind::SecurityGroup, g)),
            _ => None,
        };
        if let Some(sup) = suppressions
            .iter()
            .find(|s| s.rule == f.rule && (&s.resource == addr || Some(&s.resource) == owner.as_ref()))
        {
            f.suppressed = Some(sup.reason.clone());
        }
    }
    out.sort_by(|x, y| (x.rule, &x.address).cmp(&(y.rule, &y.address)));
    LintReport { format_version: "1", blueprint: model.blueprint.clone(), findings: out }
}

/// Whether the IAM action pattern `pattern` (`ec2:Authorize*`, `ec2:*`, `*`; `?` is one
/// character) covers `action`, ignoring case as IAM does.
///
/// Both come from a blueprint, which may be a pull request's: the match is the greedy one
/// that returns to the last `*` only (at most |pattern| x |action| steps). The recursive
/// match it replaces tried every split at every `*`, and `ec2:*A*A*...*Z` against a long
/// event name kept `lint` busy for minutes (issue 29).
fn covers(pattern: &str, action: &str) -> bool {
    let (p, a) = (pattern.to_ascii_lowercase().into_bytes(), action.to_ascii_lowercase().into_bytes());
    let (mut i, mut j) = (0, 0);
    // Where the last `*` was, and how much of the action it has taken so far.
    let mut star: Option<(usize, usize)> = None;
    while j < a.len() {
        if p.get(i) == Some(&b'*') {
            star = Some((i, j));
            i += 1;
        } else if p.get(i).is_some_and(|&c| c == b'?' || c == a[j]) {
            i += 1;
            j += 1;
        } else if let Some((si, sj)) = star {
            // The last `*` takes one character more; the rest is matched again after it.
            star = Some((si, sj + 1));
            i = si + 1;
            j = sj + 1;
        } else {
            return false;
        }
    }
    p[i..].iter().all(|&c| c == b'*')
}

/// SOC020-SOC022 and SOC024: the responses' anchors and reach.
fn responses(model: &Model, add: &mut impl FnMut(&'static str, Option<&Address>, String)) {
    let trail = model.resources.iter().find(|r| r.kind() == Kind::Trail);
    let find = |addr: Option<Address>| addr.and_then(|a| model.resources.iter().find(|r| r.address == a));
    let has_vpc = model.resources.iter().any(|r| r.kind() == Kind::Vpc);
    for rule in model.resources.iter().filter(|r| r.kind() == Kind::EventRule) {
        let pattern = rule.attrs.get("event_pattern");
        let detail_type = pattern.and_then(|p| p.pointer("/detail-type/0")).and_then(Value::as_str);
        let source = pattern.and_then(|p| p.pointer("/detail/eventSource/0")).and_then(Value::as_str);
        let names: Vec<&str> = pattern
            .and_then(|p| p.pointer("/detail/eventName"))
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        if detail_type == Some("AWS API Call via CloudTrail")
            && trail.is_some_and(|t| t.attrs.get("is_multi_region_trail") == Some(&Value::Bool(true)))
        {
            add(
                "SOC024",
                Some(&rule.address),
                format!("it answers calls made in {} only; the trail records every region", model.region),
            );
        }
        if detail_type == Some("AWS API Call via CloudTrail") {
            let why = match trail {
                None => Some("the blueprint has no trail".to_string()),
                Some(t) if t.attrs.get("logging") == Some(&Value::Bool(false)) => {
                    Some("the trail is not logging".into())
                }
                Some(t) => source
                    .filter(|src| {
                        t.attrs
                            .get("exclude_management_event_sources")
                            .and_then(Value::as_array)
                            .is_some_and(|l| l.iter().any(|x| x.as_str() == Some(*src)))
                    })
                    .map(|src| format!("the trail leaves out `{src}`")),
            };
            if let Some(why) = why {
                add(
                    "SOC020",
                    Some(&rule.address),
                    format!("it answers API calls of `{}`, but {why}", source.unwrap_or("?")),
                );
            }
        }
        for t in rule.attrs.get("targets").and_then(Value::as_array).into_iter().flatten() {
            let arn = t.get("arn").and_then(Value::as_str);
            if arn.is_some_and(|a| a.contains("automation-definition/AWS-DisablePublicAccessForSecurityGroup:"))
                && has_vpc
            {
                add(
                    "SOC022",
                    Some(&rule.address),
                    "the blueprint's groups are in its own VPC, where this runbook fails".into(),
                );
            }
            let Some(function) = find(named(arn)) else { continue };
            let Some(role) = find(named(function.attrs.get("role_arn").and_then(Value::as_str))) else { continue };
            let service = source.and_then(|s| s.strip_suffix(".amazonaws.com")).unwrap_or_default();
            let allowed: Vec<String> = role
                .attrs
                .get("inline_policies")
                .and_then(Value::as_object)
                .into_iter()
                .flat_map(|m| m.values())
                .flat_map(|doc| doc.get("Statement").and_then(Value::as_array).cloned().unwrap_or_default())
                .filter(|st| st.get("Effect").and_then(Value::as_str) == Some("Allow"))
                .flat_map(|st| match st.get("Action") {
                    Some(Value::String(a)) => vec![a.clone()],
                    Some(Value::Array(a)) => a.iter().filter_map(|x| x.as_str().map(str::to_string)).collect(),
                    _ => vec![],
                })
                .collect();
            for name in &names {
                let action = format!("{service}:{name}");
                if let Some(p) = allowed.iter().find(|p| covers(p, &action)) {
                    add(
                        "SOC021",
                        Some(&function.address),
                        format!("it may call `{action}` (allowed by `{p}`), the call that triggers it"),
                    );
                }
            }
        }
    }
}

/// Where a finding points in the blueprint file.
pub type Locator<'a> = &'a dyn Fn(Option<&Address>) -> (u32, u32);

impl LintReport {
    pub fn active(&self) -> impl Iterator<Item = &LintFinding> {
        self.findings.iter().filter(|f| f.suppressed.is_none())
    }

    /// 1 when an unsuppressed error or warning remains, else 0.
    pub fn exit_code(&self) -> u8 {
        u8::from(self.active().any(|f| f.level != Level::Note))
    }
}

#[cfg(test)]
mod covers_tests {
    #[test]
    fn iam_action_wildcards() {
        for (p, a) in [
            ("ec2:*", "ec2:RevokeSecurityGroupIngress"),
            ("*", "s3:GetObject"),
            ("EC2:authorize*", "ec2:AuthorizeSecurityGroupIngress"),
            ("ec2:Re?okeSecurityGroupIngress", "ec2:RevokeSecurityGroupIngress"),
        ] {
            assert!(super::covers(p, a), "{p} {a}");
        }
        for (p, a) in [
            ("ec2:Describe*", "ec2:AuthorizeSecurityGroupIngress"),
            ("s3:*", "ec2:RunInstances"),
            ("ec2:Revoke", "ec2:RevokeSecurityGroupIngress"),
        ] {
            assert!(!super::covers(p, a), "{p} {a}");
        }
    }
}

#[cfg(test)]
mod glob_tests {
    use super::covers;

    #[test]
    fn iam_action_patterns_match_as_iam_does() {
        for (pattern, action, want) in [
            ("*", "ec2:AuthorizeSecurityGroupIngress", true),
            ("ec2:*", "ec2:AuthorizeSecurityGroupIngress", true),
            ("EC2:authorize*", "ec2:AuthorizeSecurityGroupIngress", true),
            ("ec2:*Ingress", "ec2:AuthorizeSecurityGroupIngress", true),
            ("ec2:*Egress", "ec2:AuthorizeSecurityGroupIngress", false),
            ("ec2:Authorize?ecurity*", "ec2:AuthorizeSecurityGroupIngress", true),
            ("ec2:?", "ec2:", false),
            ("ec2:**", "ec2:", true),
            ("s3:*", "ec2:RunInstances", false),
            ("ec2:*a*b", "ec2:xaxbxab", true),
            ("ec2:*a*b", "ec2:xaxbxa", false),
            ("", "", true),
            ("", "a", false),
        ] {
            assert_eq!(covers(pattern, action), want, "{pattern} ~ {action}");
        }
    }

    /// Issue 29: a 15-line blueprint stalled `lint` (and the pull-request workflow) with this
    /// pattern. The match is now quadratic at worst; an exponential one would not end here.
    #[test]
    fn a_pathological_pattern_ends() {
        let pattern = format!("ec2:{}Z", "*A".repeat(40));
        let action = format!("ec2:{}", "A".repeat(200));
        assert!(!covers(&pattern, &action));
        assert!(covers(&pattern, &format!("{action}z")));
    }
}
