//! The security review: which changes broaden access and which weaken monitoring.
//!
//! Input is a list of `(address, before, after)` attribute pairs, `None` for a resource that
//! does not exist on that side, for every resource of either side: pairs that did not change
//! are context (the trail a detection's log group must belong to, the domains alerts already
//! go to). `diff` builds it from two blueprints, `plan` from its changes; the same checks
//! serve both. Each check has a stable id (`broaden.admin-port`).
//!
//! A detection is a chain: trail -> log group -> filter pattern -> metric value -> alarm
//! (statistic, period, evaluation periods, comparison, threshold) -> actions -> topics ->
//! subscriptions. A change to any link that can reduce alerts is a `weaken.*` finding naming
//! the link.

use std::collections::BTreeSet;

use ipnet::IpNet;
use serde_json::Value;

use super::{Concern, Finding};
use crate::address::Address;
use crate::model::spec::user_data_vars;
use crate::model::{Attrs, Kind};

/// Every check id, with what it catches: the README lists these, and a test proves each
/// fires on a change made for it. `lint.SOCnnn` findings (a lint rule the new blueprint
/// breaks and the old did not) come on top.
pub const CHECKS: &[(&str, &str)] = &[
    (
        "broaden.admin-port",
        "SSH (22) or RDP (3389) opened, to anyone or to the internet, by a security group or a network ACL",
    ),
    (
        "broaden.internet",
        "a rule that lets the whole internet in (0.0.0.0/0, ::/0), named once per group with its ports",
    ),
    ("broaden.new-rule", "a new security-group rule (not to the internet)"),
    (
        "broaden.wider-rule",
        "a rule replaced by one with more ports, a larger block, a block elsewhere, IPv6, or another source",
    ),
    (
        "broaden.acl-rule",
        "a network ACL rule that lets more through: an allow added or widened, a deny removed or narrowed",
    ),
    (
        "broaden.acl-subnet",
        "a subnet moved to another network ACL, or back to the VPC's default one (which allows all traffic)",
    ),
    ("broaden.iam-statement", "IAM actions or resources added"),
    ("broaden.iam-wildcard", "IAM wildcards added (`*`, `service:*`, resource `*`)"),
    ("broaden.iam-managed-policy", "a managed policy attached"),
    ("broaden.iam-deny-removed", "an IAM Deny removed"),
    ("broaden.iam-condition-removed", "an IAM Condition removed from, or changed on, an Allow that stays"),
    ("broaden.trust-principal", "a principal allowed to assume a role"),
    ("broaden.public-access-block", "a bucket's public access block turned off"),
    ("broaden.public-bucket-policy", "a bucket policy statement that allows anyone"),
    ("broaden.public-ip", "a host given a public IPv4 address"),
    ("broaden.instance-groups", "a host added to more security groups"),
    ("broaden.imdsv1", "a host that accepts IMDSv1"),
    ("broaden.external-recipient", "an alert recipient outside every domain alerts went to"),
    (
        "broaden.external-endpoint",
        "alerts delivered to an HTTPS endpoint outside the domains alerts went to, or an SQS queue of another account",
    ),
    (
        "broaden.egress-internet",
        "a group lets its hosts send to the whole internet (an `egress:` list removed restores AWS's allow-all)",
    ),
    (
        "broaden.bootstrap-destination",
        "a host's bootstrap variables now name an address outside the lab (an agent sending its telemetry elsewhere)",
    ),
    (
        "broaden.foreign-kms-key",
        "a trail, topic, log group, bucket or secret encrypted with a KMS key of another account",
    ),
    ("broaden.input-not-sensitive", "an input that stops being `sensitive`: its value is then printed in plans"),
    ("weaken.detection-removed", "a detection's metric filter removed"),
    ("weaken.alarm-removed", "an alarm removed"),
    ("weaken.pattern-narrowed", "a filter pattern that drops top-level alternatives (proven to match less)"),
    ("weaken.pattern-changed", "a filter pattern changed in a way not proven to match as much"),
    ("weaken.metric-value", "the value a match adds to the metric changed (`0`: never fires)"),
    ("weaken.alarm-statistic", "an alarm's statistic changed away from Sum"),
    ("weaken.alarm-comparison", "an alarm's comparison made strict or inverted"),
    ("weaken.alarm-metric-mismatch", "an alarm that no longer watches the metric its filter emits"),
    ("weaken.threshold-raised", "an alarm's threshold moved so that more must happen"),
    ("weaken.period-lengthened", "an alarm's period or evaluation periods lengthened"),
    ("weaken.detection-log-group", "a detection moved off the log group the trail writes to"),
    ("weaken.severity-lowered", "a detection's severity lowered"),
    ("weaken.notification-dropped", "an alarm action, topic or subscription removed"),
    ("weaken.trail-removed", "the trail removed"),
    ("weaken.trail-logging-off", "the trail stops logging"),
    ("weaken.trail-single-region", "the trail records one region only"),
    ("weaken.trail-validation-off", "log file validation off"),
    ("weaken.trail-global-off", "global service events (IAM) no longer recorded"),
    ("weaken.trail-cloudwatch-off", "the trail no longer delivers to CloudWatch Logs"),
    ("weaken.retention-shortened", "log retention shortened"),
    ("weaken.log-group-removed", "a log group removed"),
    ("weaken.flow-logs-removed", "VPC flow logs removed"),
    ("weaken.flow-logs-narrowed", "flow logs no longer record ALL traffic"),
    ("weaken.config-rule-removed", "an AWS Config rule removed"),
    ("weaken.config-recorder-off", "the AWS Config recorder removed or stopped"),
    ("weaken.config-recording-narrowed", "the recorder stops recording all supported types, or global ones"),
    ("weaken.trail-sources-excluded", "the trail leaves out the management events of more sources"),
    ("weaken.response-removed", "an automated response (its EventBridge rule) removed"),
    ("weaken.response-disabled", "an automated response's rule disabled"),
    ("weaken.response-narrowed", "a response or findings rule that matches less, or has fewer targets"),
    ("weaken.guardduty-off", "the GuardDuty detector removed or disabled"),
    ("weaken.security-hub-off", "Security Hub disabled, or a standard turned off"),
    ("weaken.dashboard-removed", "the detections' dashboard removed"),
    ("broaden.function-code", "a response function's code changed: it runs with its role's permissions"),
    ("weaken.response-handler", "a response function made to run another handler or runtime"),
    ("weaken.response-timeout", "a response function given less time to finish"),
    (
        "weaken.response-environment",
        "a response function's environment (what it acts on, whom it tells) changed or cut",
    ),
];

/// What the review knows beyond the pairs: the accounts that are the blueprint's own (its
/// `allowed_accounts`, and for a plan the account it runs in; empty: unknown, and a key or
/// queue naming an account is reported for a person to check), and the resources socform
/// writes wholly from its own templates (`Model::fixed`), whose grants are not listed.
#[derive(Clone, Debug, Default)]
pub struct Context {
    pub accounts: BTreeSet<String>,
    pub fixed: BTreeSet<Address>,
}

/// The checks on what a role grants and to whom: left out for a role in `Context::fixed`
/// (a first plan listed the trail's, flow logs' and Config's delivery roles as broadening
/// access, though no blueprint chooses what they hold).
const GRANT_CHECKS: &[&str] = &["broaden.iam-statement", "broaden.iam-managed-policy", "broaden.trust-principal"];

/// One resource on both sides of a change.
pub struct Pair<'a> {
    pub address: &'a Address,
    pub before: Option<&'a Attrs>,
    pub after: Option<&'a Attrs>,
}

fn s<'a>(a: Option<&'a Attrs>, k: &str) -> Option<&'a str> {
    a?.get(k)?.as_str()
}

fn b(a: Option<&Attrs>, k: &str) -> Option<bool> {
    a?.get(k)?.as_bool()
}

fn n(a: Option<&Attrs>, k: &str) -> Option<f64> {
    a?.get(k)?.as_f64()
}

fn strings(a: Option<&Attrs>, k: &str) -> BTreeSet<String> {
    a.and_then(|a| a.get(k))
        .and_then(Value::as_array)
        .map(|v| v.iter().filter_map(|x| x.as_str().map(str::to_string)).collect())
        .unwrap_or_default()
}

/// Reviews every pair; findings sorted by address then check.
pub fn review(pairs: &[Pair<'_>], cx: &Context) -> Vec<Finding> {
    let mut out = Vec::new();
    let removed_rules: Vec<&Pair<'_>> = pairs
        .iter()
        .filter(|p| p.address.kind() == Kind::SecurityGroupRule && p.before.is_some() && p.after.is_none())
        .collect();
    let changed: Vec<&Pair<'_>> = pairs.iter().filter(|p| p.before != p.after).collect();
    internet(pairs, &changed, &mut out);
    detection_chain(pairs, &changed, &mut out);
    recipients(pairs, &mut out);
    endpoints(pairs, cx, &mut out);
    bootstrap(pairs, &changed, &mut out);
    acl_subnets(pairs, &changed, &mut out);
    for p in changed {
        let mut f = |concern, check: &'static str, message: String| {
            out.push(Finding { concern, check: check.to_string(), address: p.address.clone().into(), message })
        };
        let (bf, af) = (p.before, p.after);
        match p.address.kind() {
            Kind::SecurityGroupRule => {
                if let (None, Some(after)) = (bf, af) {
                    rule_added(after, &removed_rules, &mut f);
                }
            }
            Kind::NetworkAcl => network_acl(bf, af, &mut f),
            Kind::IamRole => iam_role(bf, af, &mut f),
            Kind::S3Bucket
                if af.is_some()
                    && b(af, "block_public_access") == Some(false)
                    && b(bf, "block_public_access") != Some(false) =>
            {
                f(
                    Concern::BroadensAccess,
                    "broaden.public-access-block",
                    "the bucket's public access block is turned off".into(),
                );
            }
            Kind::S3BucketPolicy => {
                let old = public_statements(bf);
                for st in public_statements(af).difference(&old) {
                    f(
                        Concern::BroadensAccess,
                        "broaden.public-bucket-policy",
                        format!("the bucket policy allows anyone (`Principal: *`): {st}"),
                    );
                }
            }
            Kind::Instance => {
                if af.is_some()
                    && b(af, "associate_public_ip") == Some(true)
                    && b(bf, "associate_public_ip") != Some(true)
                {
                    f(Concern::BroadensAccess, "broaden.public-ip", "the host gets a public IPv4 address".into());
                }
                if bf.is_some() && af.is_some() {
                    let new: Vec<String> = strings(af, "security_group_ids")
                        .difference(&strings(bf, "security_group_ids"))
                        .cloned()
                        .collect();
                    if !new.is_empty() {
                        f(
                            Concern::BroadensAccess,
                            "broaden.instance-groups",
                            format!("the host joins security groups {}", new.join(", ")),
                        );
                    }
                }
                if af.is_some() && b(af, "require_imdsv2") == Some(false) && b(bf, "require_imdsv2") != Some(false) {
                    f(
                        Concern::BroadensAccess,
                        "broaden.imdsv1",
                        "the host accepts IMDSv1 (credentials reachable through SSRF)".into(),
                    );
                }
            }
            Kind::Alarm => alarm(bf, af, &mut f),
            Kind::MetricFilter => match (bf, af) {
                (Some(_), None) => f(
                    Concern::WeakensMonitoring,
                    "weaken.detection-removed",
                    "a detection's metric filter is removed".into(),
                ),
                (Some(_), Some(_)) => {
                    use crate::detect::pattern::{compare_patterns, PatternChange};
                    let (old, new) = (s(bf, "filter_pattern").unwrap_or(""), s(af, "filter_pattern").unwrap_or(""));
                    match compare_patterns(old, new) {
                        // Only adds alternatives: matches at least what it did.
                        PatternChange::Same | PatternChange::Widened { .. } => {}
                        PatternChange::Narrowed { removed } => f(
                            Concern::WeakensMonitoring,
                            "weaken.pattern-narrowed",
                            format!(
                                "the filter pattern drops {}: events that matched only there no longer count",
                                removed.iter().map(|r| format!("`{r}`")).collect::<Vec<_>>().join(", ")
                            ),
                        ),
                        PatternChange::Changed => f(
                            Concern::WeakensMonitoring,
                            "weaken.pattern-changed",
                            "the filter pattern changes in a way that may match less: check it still matches what it must".into(),
                        ),
                    }
                    let (ov, nv) = (s(bf, "metric_value").unwrap_or("1"), s(af, "metric_value").unwrap_or("1"));
                    if ov != nv {
                        let why = if nv.trim() == "0" {
                            "every match now adds 0 to the metric: the alarm can never fire".to_string()
                        } else {
                            format!("each match now adds `{nv}` instead of `{ov}`: the alarm may fire later or never")
                        };
                        f(Concern::WeakensMonitoring, "weaken.metric-value", why);
                    }
                }
                _ => {}
            },
            Kind::SnsTopic | Kind::SnsSubscription if bf.is_some() && af.is_none() => {
                f(
                    Concern::WeakensMonitoring,
                    "weaken.notification-dropped",
                    format!("the {} is removed: alerts reach fewer people", p.address.kind().describe()),
                );
            }
            Kind::Trail => trail(bf, af, &mut f),
            Kind::LogGroup => match (bf, af) {
                (Some(_), None) => f(
                    Concern::WeakensMonitoring,
                    "weaken.log-group-removed",
                    "a log group is removed, with its logs".into(),
                ),
                (Some(_), Some(_)) => {
                    let (old, new) = (n(bf, "retention_in_days"), n(af, "retention_in_days"));
                    let shorter = match (old, new) {
                        (None, Some(d)) => Some(format!("from never expiring to {d} days")),
                        (Some(a), Some(d)) if d < a => Some(format!("from {a} to {d} days")),
                        _ => None,
                    };
                    if let Some(m) = shorter {
                        f(
                            Concern::WeakensMonitoring,
                            "weaken.retention-shortened",
                            format!("log retention is shortened {m}"),
                        );
                    }
                }
                _ => {}
            },
            Kind::FlowLog => match (bf, af) {
                (Some(_), None) => {
                    f(Concern::WeakensMonitoring, "weaken.flow-logs-removed", "VPC flow logs are removed".into())
                }
                (Some(_), Some(_)) if s(bf, "traffic_type") == Some("ALL") && s(af, "traffic_type") != Some("ALL") => {
                    f(
                        Concern::WeakensMonitoring,
                        "weaken.flow-logs-narrowed",
                        format!("flow logs record only {} traffic", s(af, "traffic_type").unwrap_or("some")),
                    )
                }
                _ => {}
            },
            Kind::ConfigRule if bf.is_some() && af.is_none() => {
                f(Concern::WeakensMonitoring, "weaken.config-rule-removed", "an AWS Config rule is removed".into());
            }
            Kind::EventRule => event_rule(bf, af, &mut f),
            Kind::GuarddutyDetector if bf.is_some() && (af.is_none() || b(af, "enable") == Some(false)) => {
                f(
                    Concern::WeakensMonitoring,
                    "weaken.guardduty-off",
                    "GuardDuty stops looking for threats (its detector is removed or disabled)".into(),
                );
            }
            Kind::SecurityHub if bf.is_some() => {
                if af.is_none() {
                    f(Concern::WeakensMonitoring, "weaken.security-hub-off", "Security Hub is disabled".into());
                } else {
                    let off: Vec<String> =
                        strings(bf, "standards").difference(&strings(af, "standards")).cloned().collect();
                    if !off.is_empty() {
                        f(
                            Concern::WeakensMonitoring,
                            "weaken.security-hub-off",
                            format!("Security Hub stops checking {}", off.join(", ")),
                        );
                    }
                }
            }
            Kind::Dashboard if bf.is_some() && af.is_none() => {
                f(
                    Concern::WeakensMonitoring,
                    "weaken.dashboard-removed",
                    "the detections' dashboard is removed".into(),
                );
            }
            Kind::LambdaFunction if bf.is_some() && af.is_some() => {
                if s(bf, "code_sha256") != s(af, "code_sha256") {
                    f(
                        Concern::BroadensAccess,
                        "broaden.function-code",
                        format!(
                            "the code of the function in `{}` changed: read it, it runs with its role's permissions",
                            s(af, "source").unwrap_or("?")
                        ),
                    );
                }
                response_function(bf, af, &mut f);
            }
            _ => {}
        }
        // Checks that several kinds share.
        if matches!(p.address.kind(), Kind::Trail | Kind::SnsTopic | Kind::LogGroup | Kind::S3Bucket | Kind::Secret) {
            if let Some(m) = foreign_key(bf, af, cx) {
                f(Concern::BroadensAccess, "broaden.foreign-kms-key", m);
            }
        }
        match p.address.kind() {
            Kind::ConfigRecorder if bf.is_some() && (af.is_none() || b(af, "recording") == Some(false)) => {
                f(
                    Concern::WeakensMonitoring,
                    "weaken.config-recorder-off",
                    "the AWS Config recorder stops recording".into(),
                );
            }
            Kind::ConfigRecorder if bf.is_some() && af.is_some() => {
                for (attr, what) in [
                    ("all_supported", "records only the resource types it lists, not every supported one"),
                    ("include_global_resource_types", "stops recording global resources such as IAM"),
                ] {
                    if b(bf, attr) == Some(true) && b(af, attr) == Some(false) {
                        f(
                            Concern::WeakensMonitoring,
                            "weaken.config-recording-narrowed",
                            format!("the AWS Config recorder {what}"),
                        );
                    }
                }
            }
            _ => {}
        }
    }
    out.retain(|f| {
        !(GRANT_CHECKS.contains(&f.check.as_str())
            && matches!(&f.address, super::Subject::Resource(a) if cx.fixed.contains(a)))
    });
    out.sort();
    out.dedup();
    out
}

fn ports(a: &Attrs) -> (i64, i64) {
    let from = a.get("from_port").and_then(Value::as_i64).unwrap_or(-1);
    let to = a.get("to_port").and_then(Value::as_i64).unwrap_or(-1);
    if from < 0 {
        (0, 65535)
    } else {
        (from, to)
    }
}

fn peer(a: &Attrs) -> String {
    s(Some(a), "cidr_ipv4").or(s(Some(a), "cidr_ipv6")).or(s(Some(a), "peer_group_id")).unwrap_or("?").to_string()
}

fn describe_rule(a: &Attrs) -> String {
    let proto = s(Some(a), "protocol").unwrap_or("?");
    let proto = if proto == "-1" { "all traffic" } else { proto };
    let (lo, hi) = ports(a);
    let ports = if proto == "all traffic" || (lo == 0 && hi == 65535) {
        String::new()
    } else if lo == hi {
        format!("/{lo}")
    } else {
        format!("/{lo}-{hi}")
    };
    let dir = s(Some(a), "direction").unwrap_or("ingress");
    let way = if dir == "egress" { "to" } else { "from" };
    format!("{dir} {proto}{ports} {way} {}", peer(a))
}

/// Whether one block is the internet by itself (`model::exposure`); `internet` also joins
/// a group's rules of the same ports, so that a world split into halves counts.
fn is_internet(cidr: &str) -> bool {
    crate::model::exposure::is_internet([cidr])
}

fn rule_added(after: &Attrs, removed: &[&Pair<'_>], f: &mut impl FnMut(Concern, &'static str, String)) {
    let dir = s(Some(after), "direction").unwrap_or("ingress");
    let proto = s(Some(after), "protocol").unwrap_or("");
    let (lo, hi) = ports(after);
    let peer_now = peer(after);
    if dir == "ingress" && (proto == "tcp" || proto == "-1") {
        for (port, name) in [(22, "SSH"), (3389, "RDP")] {
            if lo <= port && port <= hi {
                let how = if is_internet(&peer_now) { "the whole internet" } else { peer_now.as_str() };
                f(Concern::BroadensAccess, "broaden.admin-port", format!("opens {name} ({port}) to {how}"));
            }
        }
    }
    // A removed rule of the same group, direction and protocol: this one replaces it.
    let replaced = removed.iter().filter_map(|p| p.before).find(|old| {
        s(Some(old), "group_id") == s(Some(after), "group_id")
            && s(Some(old), "direction") == Some(dir)
            && s(Some(old), "protocol") == Some(proto)
    });
    match replaced {
        Some(old) => {
            let (olo, ohi) = ports(old);
            let wider_ports = lo < olo || hi > ohi;
            let (po, pn) = (peer(old), peer_now.clone());
            // Wider when the new peer reaches anyone the old one did not: a larger block,
            // a block elsewhere, IPv4 to IPv6, or another source group.
            let wider_peer = match (po.parse::<IpNet>(), pn.parse::<IpNet>()) {
                (Ok(o), Ok(n)) => !o.contains(&n),
                _ => po != pn,
            };
            if wider_ports || wider_peer {
                f(
                    Concern::BroadensAccess,
                    "broaden.wider-rule",
                    format!("widens {} to {}", describe_rule(old), describe_rule(after)),
                );
            }
        }
        // A new rule open to the internet is named, with its group's other such rules, by
        // `broaden.internet`.
        None if is_internet(&peer_now) => {}
        None => f(Concern::BroadensAccess, "broaden.new-rule", format!("new rule: {}", describe_rule(after))),
    }
}

/// The group a rule belongs to, from its address (`security_group_rule.web:ingress:...`).
fn group_of(rule: &Address) -> Address {
    Address::new(Kind::SecurityGroup, rule.name().split(':').next().unwrap_or(rule.name()))
}

/// Rules that newly let the whole internet in (0.0.0.0/0, ::/0), named once per group and
/// direction with all their ports, however many rules carry them.
fn internet(all: &[Pair<'_>], changed: &[&Pair<'_>], out: &mut Vec<Finding>) {
    // The blocks each group lets in on the same direction, protocol and ports, before and
    // after: the world written as two /1 halves is the world.
    type Key = (Address, String, String, (i64, i64));
    let key = |p: &Pair<'_>, a: &Attrs| -> Key {
        let dir = s(Some(a), "direction").unwrap_or("ingress").to_string();
        (group_of(p.address), dir, s(Some(a), "protocol").unwrap_or("?").to_string(), ports(a))
    };
    let mut blocks: [std::collections::BTreeMap<Key, Vec<String>>; 2] = Default::default();
    for p in all.iter().filter(|p| p.address.kind() == Kind::SecurityGroupRule) {
        for (i, side) in [p.before, p.after].into_iter().enumerate() {
            if let Some(a) = side {
                blocks[i].entry(key(p, a)).or_default().push(peer(a));
            }
        }
    }
    let open_in = |i: usize, k: &Key| {
        blocks[i].get(k).is_some_and(|b| crate::model::exposure::is_internet(b.iter().map(String::as_str)))
    };
    let mut open: std::collections::BTreeMap<(Address, String), BTreeSet<String>> = Default::default();
    for p in changed.iter().filter(|p| p.address.kind() == Kind::SecurityGroupRule) {
        let Some(after) = p.after else { continue };
        let peer = peer(after);
        let k = key(p, after);
        if !open_in(1, &k) || crate::model::exposure::public_addresses([peer.as_str()]) == (0, 0) {
            continue;
        }
        if p.before.is_some_and(|b| key(p, b) == k) && open_in(0, &k) {
            continue;
        }
        // Already open to the internet before, on these ports or more (all traffic covers
        // every protocol): narrowed, not opened.
        let (g, d, proto, (lo, hi)) = &k;
        let covered = blocks[0].keys().any(|o| {
            o.0 == *g
                && o.1 == *d
                && (o.2 == "-1" || o.2 == *proto)
                && (o.2 == "-1" || (o.3 .0 <= *lo && *hi <= o.3 .1))
                && open_in(0, o)
        });
        if covered {
            continue;
        }
        let dir = s(Some(after), "direction").unwrap_or("ingress").to_string();
        let proto = s(Some(after), "protocol").unwrap_or("?");
        let (lo, hi) = ports(after);
        let what = if proto == "-1" {
            "all traffic".to_string()
        } else if lo == 0 && hi == 65535 {
            format!("{proto}/all ports")
        } else if lo == hi {
            format!("{proto}/{lo}")
        } else {
            format!("{proto}/{lo}-{hi}")
        };
        open.entry((group_of(p.address), dir)).or_default().insert(format!("{what} ({peer})"));
    }
    for ((group, dir), what) in open {
        let what = what.into_iter().collect::<Vec<_>>().join(", ");
        let (check, message) = if dir == "ingress" {
            ("broaden.internet", format!("opens {what} to the whole internet"))
        } else {
            (
                "broaden.egress-internet",
                format!("lets its hosts send {what} to the whole internet: a way out for whatever they hold"),
            )
        };
        out.push(Finding { concern: Concern::BroadensAccess, check: check.into(), address: group.into(), message });
    }
}

/// One direction's entries of a network ACL (empty where it does not exist).
fn acl_entries(a: Option<&Attrs>, dir: &str) -> Vec<crate::model::spec::AclEntry> {
    a.and_then(|a| a.get(dir)).and_then(|v| serde_json::from_value(v.clone()).ok()).unwrap_or_default()
}

fn describe_entry(e: &crate::model::spec::AclEntry, dir: &str) -> String {
    let action = if e.action == crate::model::spec::AclAction::Allow { "allow" } else { "deny" };
    let proto = if e.protocol == "-1" { "all traffic" } else { e.protocol.as_str() };
    let ports = match (e.from_port, e.to_port) {
        (-1, _) => String::new(),
        (a, b) if a == b => format!("/{a}"),
        (a, b) => format!("/{a}-{b}"),
    };
    let way = if dir == "egress" { "to" } else { "from" };
    let peer = e.cidr_ipv4.as_deref().or(e.cidr_ipv6.as_deref()).unwrap_or("?");
    format!("{action} {proto}{ports} {way} {peer}")
}

/// Whether entry `a` matches only traffic entry `b` matches (protocol, ports, block).
fn entry_within(a: &crate::model::spec::AclEntry, b: &crate::model::spec::AclEntry) -> bool {
    let proto = b.protocol == "-1" || a.protocol == b.protocol;
    let ports = b.from_port < 0 || (a.from_port >= b.from_port && a.to_port <= b.to_port && a.from_port >= 0);
    let block =
        |e: &crate::model::spec::AclEntry| e.cidr_ipv4.as_deref().or(e.cidr_ipv6.as_deref())?.parse::<IpNet>().ok();
    let inside = match (block(a), block(b)) {
        (Some(x), Some(y)) => y.contains(&x),
        _ => false,
    };
    proto && ports && inside
}

/// A network ACL's change: the admin ports it newly lets the internet reach, read in rule
/// order (`model::exposure`), and each rule that lets more through.
fn network_acl(bf: Option<&Attrs>, af: Option<&Attrs>, f: &mut impl FnMut(Concern, &'static str, String)) {
    use crate::model::spec::AclAction;
    let exposed = |a: Option<&Attrs>| -> BTreeSet<(&'static str, &'static str, u16)> {
        crate::model::exposure::acl_entries_exposure(&acl_entries(a, "ingress"))
            .into_iter()
            .map(|(n, p, port, _)| (n, p, port))
            .collect()
    };
    if af.is_some() {
        for (name, proto, port) in exposed(af).difference(&exposed(bf)) {
            let what = crate::model::exposure::service(name, proto, *port);
            f(Concern::BroadensAccess, "broaden.admin-port", format!("lets the whole internet reach {what}"));
        }
    }
    // A new ACL takes its subnets from the default one, which allows everything: its rules
    // narrow what they had. A removed one sends them back (`acl_subnets`); the VPC's default
    // one, removed from the blueprint, gets AWS's allow-all entries back.
    if af.is_none() && b(bf, "default") == Some(true) {
        let m = "the VPC's default network ACL gets AWS's entries back: all traffic allowed, in and out".to_string();
        f(Concern::BroadensAccess, "broaden.acl-rule", m);
    }
    let (Some(_), Some(_)) = (bf, af) else { return };
    for dir in ["ingress", "egress"] {
        let (old, new) = (acl_entries(bf, dir), acl_entries(af, dir));
        for e in &new {
            let message = match old.iter().find(|o| o.number == e.number) {
                None if e.action == AclAction::Allow => {
                    format!("{dir} rule {} added: {}", e.number, describe_entry(e, dir))
                }
                Some(o)
                    if o != e
                        && e.action == AclAction::Allow
                        && (o.action == AclAction::Deny || !entry_within(e, o)) =>
                {
                    format!(
                        "{dir} rule {} now says {} (was {})",
                        e.number,
                        describe_entry(e, dir),
                        describe_entry(o, dir)
                    )
                }
                Some(o)
                    if o != e && e.action == AclAction::Deny && o.action == AclAction::Deny && !entry_within(o, e) =>
                {
                    format!(
                        "{dir} rule {} denies less: {} (was {})",
                        e.number,
                        describe_entry(e, dir),
                        describe_entry(o, dir)
                    )
                }
                _ => continue,
            };
            f(Concern::BroadensAccess, "broaden.acl-rule", message);
        }
        for o in old.iter().filter(|o| o.action == AclAction::Deny && !new.iter().any(|e| e.number == o.number)) {
            let message = format!("{dir} rule {} removed: {}", o.number, describe_entry(o, dir));
            f(Concern::BroadensAccess, "broaden.acl-rule", message);
        }
    }
}

/// Subnets that change network ACL: sent back to the VPC's default ACL (which allows all
/// traffic, where the blueprint does not set it), or moved from one of the blueprint's ACLs
/// to another, whose rules then apply to them instead.
fn acl_subnets(all: &[Pair<'_>], changed: &[&Pair<'_>], out: &mut Vec<Finding>) {
    if !changed.iter().any(|p| p.address.kind() == Kind::NetworkAcl) {
        return;
    }
    // A model names a subnet by template (`${subnet.a.id}`), a plan by its id.
    let name = |s: &str| match crate::model::template::refs_in(s).next() {
        Some(crate::model::template::Ref::Output(addr, _)) => addr.to_string(),
        _ => s.to_string(),
    };
    let mut side: [std::collections::BTreeMap<String, &Address>; 2] = Default::default();
    // ACLs without an allow entry after the change: moving there lets nothing more through.
    let mut closed: BTreeSet<&Address> = BTreeSet::new();
    for p in all.iter().filter(|p| p.address.kind() == Kind::NetworkAcl) {
        let allows = ["ingress", "egress"]
            .iter()
            .any(|d| acl_entries(p.after, d).iter().any(|e| e.action == crate::model::spec::AclAction::Allow));
        if p.after.is_some() && !allows {
            closed.insert(p.address);
        }
        for (i, attrs) in [p.before, p.after].into_iter().enumerate() {
            for s in strings(attrs, "subnet_ids") {
                side[i].insert(s, p.address);
            }
        }
    }
    let mut found: std::collections::BTreeMap<(&Address, String), Vec<String>> = Default::default();
    for (subnet, was) in &side[0] {
        match side[1].get(subnet) {
            Some(now) if now == was || closed.contains(now) => {}
            Some(now) => found
                .entry((*now, format!("from {was}: this ACL's rules now apply to them")))
                .or_default()
                .push(name(subnet)),
            None => found
                .entry((*was, "back to the VPC's default network ACL, which allows all traffic".into()))
                .or_default()
                .push(name(subnet)),
        }
    }
    for ((address, what), subnets) in found {
        out.push(Finding {
            concern: Concern::BroadensAccess,
            check: "broaden.acl-subnet".into(),
            address: address.clone().into(),
            message: format!("{} moved {what}", subnets.join(", ")),
        });
    }
}

/// The log group a value names: `log_group.NAME` for a template (a model), or the group's
/// name for a resolved name or ARN (a plan).
fn log_group_key(v: &str) -> String {
    if let Some(rest) = v.split("${log_group.").nth(1) {
        return format!("log_group.{}", rest.split('.').next().unwrap_or(""));
    }
    match v.split_once(":log-group:") {
        Some((_, rest)) => rest.trim_end_matches(":*").to_string(),
        None => v.to_string(),
    }
}

/// Links of a detection's chain that span resources: the alarm must watch the metric its
/// filter emits, and the filter must read the log group the trail writes to.
fn detection_chain(all: &[Pair<'_>], changed: &[&Pair<'_>], out: &mut Vec<Finding>) {
    let find = |kind: Kind, name: &str| all.iter().find(|p| p.address.kind() == kind && p.address.name() == name);
    let trail = all.iter().find(|p| p.address.kind() == Kind::Trail);
    let trail_group = |before: bool| {
        trail
            .and_then(|t| s(if before { t.before } else { t.after }, "cloud_watch_logs_log_group_arn"))
            .map(log_group_key)
    };
    let names: BTreeSet<&str> = changed
        .iter()
        .filter(|p| matches!(p.address.kind(), Kind::MetricFilter | Kind::Alarm))
        .map(|p| p.address.name())
        .collect();
    for name in names {
        let (Some(filter), Some(alarm)) = (find(Kind::MetricFilter, name), find(Kind::Alarm, name)) else { continue };
        let watches = |f: Option<&Attrs>, a: Option<&Attrs>| {
            f.is_some()
                && a.is_some()
                && s(f, "metric_namespace") == s(a, "namespace")
                && s(f, "metric_name") == s(a, "metric_name")
        };
        if watches(filter.before, alarm.before)
            && !watches(filter.after, alarm.after)
            && filter.after.is_some()
            && alarm.after.is_some()
        {
            out.push(Finding {
                concern: Concern::WeakensMonitoring,
                check: "weaken.alarm-metric-mismatch".into(),
                address: alarm.address.clone().into(),
                message: format!(
                    "the alarm now watches {}/{}, which its filter does not emit ({}/{}): it can never fire",
                    s(alarm.after, "namespace").unwrap_or("?"),
                    s(alarm.after, "metric_name").unwrap_or("?"),
                    s(filter.after, "metric_namespace").unwrap_or("?"),
                    s(filter.after, "metric_name").unwrap_or("?")
                ),
            });
        }
        if filter.before != filter.after {
            let (old_group, new_group) = (
                s(filter.before, "log_group_name").map(log_group_key),
                s(filter.after, "log_group_name").map(log_group_key),
            );
            let (old_trail, new_trail) = (trail_group(true), trail_group(false));
            if old_group.is_some() && old_group == old_trail && new_group.is_some() && new_group != new_trail {
                out.push(Finding {
                    concern: Concern::WeakensMonitoring,
                    check: "weaken.detection-log-group".into(),
                    address: filter.address.clone().into(),
                    message: format!(
                        "the detection now reads log group `{}`, which the trail does not write to",
                        new_group.unwrap_or_default()
                    ),
                });
            }
        }
    }
}

fn domain(email: &str) -> Option<String> {
    email.rsplit_once('@').map(|(_, d)| d.to_ascii_lowercase())
}

/// Every SNS subscription on one side of the change: `(address, protocol, endpoint)`.
fn subscriptions(all: &[Pair<'_>], before: bool) -> Vec<(Address, String, String)> {
    all.iter()
        .filter(|p| p.address.kind() == Kind::SnsSubscription)
        .filter_map(|p| {
            let a = if before { p.before } else { p.after }?;
            Some((p.address.clone(), s(Some(a), "protocol")?.to_string(), s(Some(a), "endpoint")?.to_string()))
        })
        .collect()
}

/// An alert recipient outside every domain the blueprint already sends alerts to.
fn recipients(all: &[Pair<'_>], out: &mut Vec<Finding>) {
    let emails = |before: bool| -> Vec<(Address, String)> {
        subscriptions(all, before)
            .into_iter()
            .filter(|(_, pr, _)| pr.starts_with("email"))
            .map(|(a, _, e)| (a, e))
            .collect()
    };
    let before = emails(true);
    let known: BTreeSet<String> = before.iter().filter_map(|(_, e)| domain(e)).collect();
    if known.is_empty() {
        return;
    }
    for (address, email) in emails(false) {
        if before.iter().any(|(_, e)| e == &email) {
            continue;
        }
        if domain(&email).is_some_and(|d| !known.contains(&d)) {
            out.push(Finding {
                concern: Concern::BroadensAccess,
                check: "broaden.external-recipient".into(),
                address: address.into(),
                message: format!(
                    "alerts now also go to {email}, outside the domains they went to ({}): alerts carry account and event details",
                    known.iter().cloned().collect::<Vec<_>>().join(", ")
                ),
            });
        }
    }
}

/// The account an ARN names (`arn:aws:kms:us-east-1:111122223333:key/...`); `None` for a
/// key id, an alias, or an ARN whose account is a template (`${aws.account_id}`), all of
/// which AWS resolves in the account the resource is in.
fn arn_account(v: &str) -> Option<&str> {
    let account = v.strip_prefix("arn:")?.split(':').nth(3)?;
    (account.len() == 12 && account.bytes().all(|c| c.is_ascii_digit())).then_some(account)
}

/// Whether an account is not the blueprint's own: `Some(why)` names it, said for a person
/// to check when the blueprint's accounts are unknown.
fn foreign(account: &str, cx: &Context) -> Option<String> {
    if cx.accounts.contains(account) {
        None
    } else if cx.accounts.is_empty() {
        Some(format!(
            "account {account}, and the blueprint names no account of its own (`allowed_accounts`) to check it against"
        ))
    } else {
        Some(format!(
            "account {account}, not the blueprint's ({})",
            cx.accounts.iter().cloned().collect::<Vec<_>>().join(", ")
        ))
    }
}

/// A KMS key that is newly another account's: its owner can read what it protects, or
/// disable the key and stop the trail's delivery.
fn foreign_key(bf: Option<&Attrs>, af: Option<&Attrs>, cx: &Context) -> Option<String> {
    fn key(a: Option<&Attrs>) -> Option<&str> {
        s(a, "kms_key_id").or(s(a, "kms_master_key_id"))
    }
    let new = key(af)?;
    if key(bf) == Some(new) {
        return None;
    }
    let why = foreign(arn_account(new)?, cx)?;
    Some(format!(
        "encrypted with the KMS key `{new}` of {why}: the key's owner can read what it protects, or disable it"
    ))
}

/// A response that stays wired but is made to do less: another handler or runtime, less
/// time, or an environment (the ports it closes, the topic it tells) changed or cut.
fn response_function(bf: Option<&Attrs>, af: Option<&Attrs>, f: &mut impl FnMut(Concern, &'static str, String)) {
    for attr in ["handler", "runtime"] {
        if let (Some(old), Some(new)) = (s(bf, attr), s(af, attr)) {
            if old != new {
                f(
                    Concern::WeakensMonitoring,
                    "weaken.response-handler",
                    format!("the response now runs {attr} `{new}` instead of `{old}`: check it still answers"),
                );
            }
        }
    }
    if let (Some(old), Some(new)) = (n(bf, "timeout"), n(af, "timeout")) {
        if new < old {
            f(
                Concern::WeakensMonitoring,
                "weaken.response-timeout",
                format!("the response has {new} s to finish instead of {old} s: it may stop before it has acted"),
            );
        }
    }
    let env = |a: Option<&Attrs>| -> std::collections::BTreeMap<String, String> {
        a.and_then(|a| a.get("environment"))
            .and_then(Value::as_object)
            .map(|m| m.iter().map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string())).collect())
            .unwrap_or_default()
    };
    let (old, new) = (env(bf), env(af));
    let mut changed = vec![];
    for (k, v) in &old {
        match new.get(k) {
            None => changed.push(format!("`{k}` removed (was `{v}`)")),
            Some(w) if w != v => changed.push(format!("`{k}` `{v}` -> `{w}`")),
            _ => {}
        }
    }
    if !changed.is_empty() {
        f(
            Concern::WeakensMonitoring,
            "weaken.response-environment",
            format!("the response's environment changes: {}; it tells the function what to act on", changed.join(", ")),
        );
    }
}

/// The host of an HTTPS endpoint, lowercased: after any user info, before any port or path.
fn url_host(url: &str) -> Option<String> {
    let rest = url.split_once("://")?.1;
    let authority = rest.split(['/', '?', '#']).next()?;
    let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host = host.split(':').next()?.trim_end_matches('.').to_ascii_lowercase();
    (!host.is_empty()).then_some(host)
}

/// Whether `host` is `domain` or inside it.
fn within(host: &str, domain: &str) -> bool {
    host == domain || host.ends_with(&format!(".{domain}"))
}

/// Alerts sent to an HTTPS endpoint outside every domain alerts went to (e-mail or HTTPS),
/// or to a queue of another account.
fn endpoints(all: &[Pair<'_>], cx: &Context, out: &mut Vec<Finding>) {
    let before = subscriptions(all, true);
    let known: BTreeSet<String> = before
        .iter()
        .filter_map(|(_, proto, e)| if proto.starts_with("email") { domain(e) } else { url_host(e) })
        .collect();
    for (address, proto, endpoint) in subscriptions(all, false) {
        if before.iter().any(|(_, p, e)| p == &proto && e == &endpoint) {
            continue;
        }
        let why = match proto.as_str() {
            "https" | "http" => match url_host(&endpoint) {
                _ if known.is_empty() => None,
                Some(h) if known.iter().any(|d| within(&h, d)) => None,
                Some(h) => Some(format!(
                    "{h}, outside the domains alerts went to ({})",
                    known.iter().cloned().collect::<Vec<_>>().join(", ")
                )),
                None => Some(format!("`{endpoint}`, which names no host")),
            },
            "sqs" => arn_account(&endpoint).and_then(|a| foreign(a, cx)).map(|w| format!("a queue of {w}")),
            _ => None,
        };
        if let Some(why) = why {
            out.push(Finding {
                concern: Concern::BroadensAccess,
                check: "broaden.external-endpoint".into(),
                address: address.into(),
                message: format!("alerts now also go to {why}: alerts carry account and event details"),
            });
        }
    }
}

/// The addresses a value names: IPv4 literals and host names (`collector.example.net`,
/// also inside URLs), with `${...}` references (the lab's own) left out.
fn destinations(value: &str) -> BTreeSet<String> {
    let mut text = value.to_string();
    while let Some(start) = text.find("${") {
        let end = text[start..].find('}').map_or(text.len(), |e| start + e + 1);
        text.replace_range(start..end, " ");
    }
    text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '.' || c == '-'))
        .map(|t| t.trim_matches(['.', '-']))
        .filter(|t| {
            t.parse::<std::net::Ipv4Addr>().is_ok()
                || (t.contains('.')
                    && t.rsplit('.')
                        .next()
                        .is_some_and(|tld| tld.len() >= 2 && tld.chars().all(|c| c.is_ascii_alphabetic())))
        })
        .map(str::to_ascii_lowercase)
        .collect()
}

/// A host's bootstrap now given an address outside the lab: its VPC and subnets, the
/// private DNS (`*.internal`), and the addresses it was given before.
fn bootstrap(all: &[Pair<'_>], changed: &[&Pair<'_>], out: &mut Vec<Finding>) {
    let nets: Vec<IpNet> = all
        .iter()
        .filter(|p| matches!(p.address.kind(), Kind::Vpc | Kind::Subnet))
        .filter_map(|p| s(p.after, "cidr_block")?.parse().ok())
        .collect();
    let inside = |d: &str| {
        d.ends_with(".internal") || d.parse::<std::net::IpAddr>().is_ok_and(|ip| nets.iter().any(|n| n.contains(&ip)))
    };
    for p in changed.iter().filter(|p| p.address.kind() == Kind::Instance) {
        let Some(now) = s(p.after, "user_data") else { continue };
        let was: BTreeSet<String> = s(p.before, "user_data")
            .map(|u| user_data_vars(u).iter().flat_map(|(_, v)| destinations(v)).collect())
            .unwrap_or_default();
        let mut outside = vec![];
        for (name, value) in user_data_vars(now) {
            for d in destinations(&value) {
                if !inside(&d) && !was.contains(&d) {
                    outside.push(format!("`{d}` ({name})"));
                }
            }
        }
        if !outside.is_empty() {
            out.push(Finding {
                concern: Concern::BroadensAccess,
                check: "broaden.bootstrap-destination".into(),
                address: p.address.clone().into(),
                message: format!(
                    "the host's bootstrap now names {}, outside the lab's own addresses: an agent may send its telemetry there",
                    outside.join(", ")
                ),
            });
        }
    }
}

/// `(effect, action, resource)` of every statement of every policy document in `a[k]`.
fn grants(a: Option<&Attrs>, k: &str) -> BTreeSet<(String, String)> {
    let mut out = BTreeSet::new();
    let docs: Vec<&Value> = match a.and_then(|a| a.get(k)) {
        Some(Value::Object(m)) if k == "inline_policies" => m.values().collect(),
        Some(v) => vec![v],
        None => vec![],
    };
    for doc in docs {
        for st in statements(doc) {
            if st.get("Effect").and_then(Value::as_str) != Some("Allow") {
                continue;
            }
            for action in one_or_many(st.get("Action")) {
                for resource in one_or_many(st.get("Resource")) {
                    out.insert((action.clone(), resource.clone()));
                }
            }
        }
    }
    out
}

fn statements(doc: &Value) -> Vec<&serde_json::Map<String, Value>> {
    match doc.get("Statement") {
        Some(Value::Array(v)) => v.iter().filter_map(Value::as_object).collect(),
        Some(Value::Object(o)) => vec![o],
        _ => vec![],
    }
}

fn one_or_many(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(a)) => a.iter().filter_map(|x| x.as_str().map(str::to_string)).collect(),
        Some(other) => vec![other.to_string()],
        None => vec!["*".into()],
    }
}

fn principals(a: Option<&Attrs>) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    if let Some(doc) = a.and_then(|a| a.get("assume_role_policy")) {
        for st in statements(doc) {
            match st.get("Principal") {
                Some(Value::Object(p)) => {
                    for (kind, v) in p {
                        for who in one_or_many(Some(v)) {
                            out.insert(format!("{kind}:{who}"));
                        }
                    }
                }
                Some(v) => {
                    out.extend(one_or_many(Some(v)));
                }
                None => {}
            }
        }
    }
    out
}

fn iam_role(bf: Option<&Attrs>, af: Option<&Attrs>, f: &mut impl FnMut(Concern, &'static str, String)) {
    if af.is_none() {
        return;
    }
    for arn in strings(af, "managed_policy_arns").difference(&strings(bf, "managed_policy_arns")) {
        f(Concern::BroadensAccess, "broaden.iam-managed-policy", format!("attaches the managed policy {arn}"));
    }
    let new: Vec<(String, String)> =
        grants(af, "inline_policies").difference(&grants(bf, "inline_policies")).cloned().collect();
    if !new.is_empty() {
        let wild: Vec<&(String, String)> =
            new.iter().filter(|(a, r)| a == "*" || a.ends_with(":*") || r == "*").collect();
        if !wild.is_empty() {
            let list: Vec<String> = wild.iter().map(|(a, r)| format!("{a} on {r}")).collect();
            f(Concern::BroadensAccess, "broaden.iam-wildcard", format!("grants wildcards: {}", list.join(", ")));
        }
        let list: Vec<String> = new.iter().map(|(a, r)| format!("{a} on {r}")).collect();
        f(Concern::BroadensAccess, "broaden.iam-statement", format!("grants {}", list.join(", ")));
    }
    for who in principals(af).difference(&principals(bf)) {
        f(Concern::BroadensAccess, "broaden.trust-principal", format!("lets {who} assume the role"));
    }
    // Effective permissions, not lists: a Deny that goes, or a Condition that goes or
    // changes on an Allow that stays, widens what the role can do without a new action.
    let gone: Vec<String> = effect(bf, "Deny")
        .into_keys()
        .filter(|k| !effect(af, "Deny").contains_key(k))
        .map(|(a, r)| format!("{a} on {r}"))
        .collect();
    if !gone.is_empty() {
        f(Concern::BroadensAccess, "broaden.iam-deny-removed", format!("no longer denies {}", gone.join(", ")));
    }
    let (old, new) = (effect(bf, "Allow"), effect(af, "Allow"));
    for (k, old_cond) in &old {
        let Some(new_cond) = new.get(k) else { continue };
        let what = format!("{} on {}", k.0, k.1);
        match (old_cond.is_empty(), new_cond.is_empty()) {
            (false, true) => f(
                Concern::BroadensAccess,
                "broaden.iam-condition-removed",
                format!("allows {what} without the condition it had ({old_cond})"),
            ),
            (false, false) if old_cond != new_cond => f(
                Concern::BroadensAccess,
                "broaden.iam-condition-removed",
                format!("allows {what} under a changed condition ({old_cond} -> {new_cond}): check it is no looser"),
            ),
            _ => {}
        }
    }
}

/// `(action, resource)` -> the statement's condition (`""` without one), for statements of
/// one effect in every inline policy of a role.
fn effect(a: Option<&Attrs>, which: &str) -> std::collections::BTreeMap<(String, String), String> {
    let mut out = std::collections::BTreeMap::new();
    let docs: Vec<&Value> = match a.and_then(|a| a.get("inline_policies")) {
        Some(Value::Object(m)) => m.values().collect(),
        _ => vec![],
    };
    for doc in docs {
        for st in statements(doc) {
            if st.get("Effect").and_then(Value::as_str) != Some(which) {
                continue;
            }
            let cond = st.get("Condition").map(|c| c.to_string()).unwrap_or_default();
            for action in one_or_many(st.get("Action")) {
                for resource in one_or_many(st.get("Resource")) {
                    out.insert((action.clone(), resource.clone()), cond.clone());
                }
            }
        }
    }
    out
}

fn public_statements(a: Option<&Attrs>) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    if let Some(doc) = a.and_then(|a| a.get("policy")) {
        for st in statements(doc) {
            let public = match st.get("Principal") {
                Some(Value::String(p)) => p == "*",
                Some(Value::Object(o)) => o.values().any(|v| one_or_many(Some(v)).iter().any(|x| x == "*")),
                _ => false,
            };
            if public && st.get("Effect").and_then(Value::as_str) == Some("Allow") {
                out.insert(format!(
                    "{} on {}",
                    one_or_many(st.get("Action")).join(", "),
                    one_or_many(st.get("Resource")).join(", ")
                ));
            }
        }
    }
    out
}

fn alarm(bf: Option<&Attrs>, af: Option<&Attrs>, f: &mut impl FnMut(Concern, &'static str, String)) {
    match (bf, af) {
        (Some(_), None) => f(Concern::WeakensMonitoring, "weaken.alarm-removed", "an alarm is removed".into()),
        (Some(_), Some(_)) => {
            let upward = s(af, "comparison_operator").is_some_and(|c| c.starts_with("GreaterThan"));
            if let (Some(o), Some(nw)) = (n(bf, "threshold"), n(af, "threshold")) {
                if (upward && nw > o) || (!upward && nw < o) {
                    f(
                        Concern::WeakensMonitoring,
                        "weaken.threshold-raised",
                        format!("the alarm's threshold moves from {o} to {nw}: more must happen before it fires"),
                    );
                }
            }
            if let (Some(o), Some(nw)) = (n(bf, "period"), n(af, "period")) {
                if nw > o {
                    f(
                        Concern::WeakensMonitoring,
                        "weaken.period-lengthened",
                        format!("the alarm's period grows from {o} to {nw} seconds"),
                    );
                }
            }
            if let (Some(o), Some(nw)) = (n(bf, "evaluation_periods"), n(af, "evaluation_periods")) {
                if nw > o {
                    f(
                        Concern::WeakensMonitoring,
                        "weaken.period-lengthened",
                        format!("the alarm evaluates {nw} periods instead of {o}"),
                    );
                }
            }
            let (os, ns) = (s(bf, "statistic").unwrap_or("Sum"), s(af, "statistic").unwrap_or("Sum"));
            if os != ns && ns != "Sum" {
                f(
                    Concern::WeakensMonitoring,
                    "weaken.alarm-statistic",
                    format!(
                        "the alarm's statistic changes from {os} to {ns}: matches diluted by the periods' zeros (Average, Minimum) or capped at one (Maximum) may never reach the threshold"
                    ),
                );
            }
            let (oc, nc) = (s(bf, "comparison_operator").unwrap_or(""), s(af, "comparison_operator").unwrap_or(""));
            // Only `>` to `>=` and `<` to `<=` fire sooner; every other change fires later,
            // or the other way round.
            let loosened = matches!(
                (oc, nc),
                ("GreaterThanThreshold", "GreaterThanOrEqualToThreshold")
                    | ("LessThanThreshold", "LessThanOrEqualToThreshold")
            );
            if oc != nc && !loosened {
                f(
                    Concern::WeakensMonitoring,
                    "weaken.alarm-comparison",
                    format!("the alarm's comparison changes from {oc} to {nc}: it fires later, or on the opposite condition"),
                );
            }
            let dropped: Vec<String> =
                strings(bf, "alarm_actions").difference(&strings(af, "alarm_actions")).cloned().collect();
            if !dropped.is_empty() {
                f(
                    Concern::WeakensMonitoring,
                    "weaken.notification-dropped",
                    format!("the alarm no longer notifies {}", dropped.join(", ")),
                );
            }
        }
        _ => {}
    }
}

/// An EventBridge rule of a response or of findings routing: removed, disabled, matching
/// less (a pattern value list that lost items), or reaching fewer targets.
fn event_rule(bf: Option<&Attrs>, af: Option<&Attrs>, f: &mut impl FnMut(Concern, &'static str, String)) {
    let Some(before) = bf else { return };
    let name = before.get("name").and_then(Value::as_str).unwrap_or("?");
    let Some(after) = af else {
        f(
            Concern::WeakensMonitoring,
            "weaken.response-removed",
            format!("the EventBridge rule `{name}` is removed: what it answered goes unanswered"),
        );
        return;
    };
    if s(bf, "state") == Some("ENABLED") && s(af, "state") == Some("DISABLED") {
        f(Concern::WeakensMonitoring, "weaken.response-disabled", format!("the EventBridge rule `{name}` is disabled"));
    }
    // Values a pattern matches, path by path: a path that loses values matches less.
    fn leaves(v: &Value, path: String, out: &mut std::collections::BTreeMap<String, BTreeSet<String>>) {
        match v {
            Value::Object(m) => m.iter().for_each(|(k, v)| leaves(v, format!("{path}/{k}"), out)),
            Value::Array(items) => {
                out.entry(path).or_default().extend(items.iter().map(|i| i.to_string()));
            }
            other => {
                out.entry(path).or_default().insert(other.to_string());
            }
        }
    }
    let (mut old, mut new) = (Default::default(), Default::default());
    leaves(before.get("event_pattern").unwrap_or(&Value::Null), String::new(), &mut old);
    leaves(after.get("event_pattern").unwrap_or(&Value::Null), String::new(), &mut new);
    let mut narrowed = Vec::new();
    for (path, values) in &old {
        match new.get(path) {
            Some(now) if values.is_subset(now) => {}
            Some(now) => narrowed
                .push(format!("{path} drops {}", values.difference(now).cloned().collect::<Vec<_>>().join(", "))),
            None => {}
        }
    }
    for path in new.keys().filter(|p| !old.contains_key(*p)) {
        narrowed.push(format!("{path} is a new condition"));
    }
    if !narrowed.is_empty() {
        f(
            Concern::WeakensMonitoring,
            "weaken.response-narrowed",
            format!("the rule `{name}` matches less: {}", narrowed.join("; ")),
        );
    }
    let ids = |a: &Attrs| -> BTreeSet<String> {
        a.get("targets")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|t| t.get("id").and_then(Value::as_str).map(str::to_string))
            .collect()
    };
    let lost: Vec<String> = ids(before).difference(&ids(after)).cloned().collect();
    if !lost.is_empty() {
        f(
            Concern::WeakensMonitoring,
            "weaken.response-narrowed",
            format!("the rule `{name}` no longer reaches {}", lost.join(", ")),
        );
    }
}

fn trail(bf: Option<&Attrs>, af: Option<&Attrs>, f: &mut impl FnMut(Concern, &'static str, String)) {
    if bf.is_none() {
        return;
    }
    if af.is_none() {
        f(Concern::WeakensMonitoring, "weaken.trail-removed", "the CloudTrail trail is removed".into());
        return;
    }
    for (attr, check, what) in [
        ("logging", "weaken.trail-logging-off", "the trail stops logging"),
        ("is_multi_region_trail", "weaken.trail-single-region", "the trail records one region only"),
        (
            "enable_log_file_validation",
            "weaken.trail-validation-off",
            "log file validation is turned off: tampering goes unseen",
        ),
        (
            "include_global_service_events",
            "weaken.trail-global-off",
            "the trail stops recording global services such as IAM",
        ),
    ] {
        if b(bf, attr) == Some(true) && b(af, attr) == Some(false) {
            f(Concern::WeakensMonitoring, check, what.into());
        }
    }
    let more: Vec<String> = strings(af, "exclude_management_event_sources")
        .difference(&strings(bf, "exclude_management_event_sources"))
        .cloned()
        .collect();
    if !more.is_empty() {
        f(
            Concern::WeakensMonitoring,
            "weaken.trail-sources-excluded",
            format!("the trail leaves out the management events of {}", more.join(", ")),
        );
    }
    if s(bf, "cloud_watch_logs_log_group_arn").is_some() && s(af, "cloud_watch_logs_log_group_arn").is_none() {
        f(
            Concern::WeakensMonitoring,
            "weaken.trail-cloudwatch-off",
            "the trail stops delivering to CloudWatch Logs: detections go blind".into(),
        );
    }
}
