//! The security review: which changes broaden access and which weaken monitoring.
//!
//! Input is a list of `(address, before, after)` attribute pairs, `None` for a resource that
//! does not exist on that side. `diff` builds it from two blueprints, `plan` from its
//! changes; the same checks serve both. Each check has a stable id (`broaden.admin-port`).

use std::collections::BTreeSet;

use ipnet::IpNet;
use serde_json::Value;

use super::{Concern, Finding};
use crate::address::Address;
use crate::model::{Attrs, Kind};

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
pub fn review(pairs: &[Pair<'_>]) -> Vec<Finding> {
    let mut out = Vec::new();
    let removed_rules: Vec<&Pair<'_>> = pairs
        .iter()
        .filter(|p| p.address.kind() == Kind::SecurityGroupRule && p.before.is_some() && p.after.is_none())
        .collect();
    for p in pairs {
        let mut f = |concern, check: &'static str, message: String| {
            out.push(Finding { concern, check: check.to_string(), address: p.address.clone(), message })
        };
        let (bf, af) = (p.before, p.after);
        match p.address.kind() {
            Kind::SecurityGroupRule => {
                if let (None, Some(after)) = (bf, af) {
                    rule_added(after, &removed_rules, &mut f);
                }
            }
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
                (Some(_), Some(_)) if s(bf, "filter_pattern") != s(af, "filter_pattern") => f(
                    Concern::WeakensMonitoring,
                    "weaken.pattern-changed",
                    "the detection's filter pattern changes: check it still matches what it must".into(),
                ),
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
            Kind::ConfigRecorder if bf.is_some() && (af.is_none() || b(af, "recording") == Some(false)) => {
                f(
                    Concern::WeakensMonitoring,
                    "weaken.config-recorder-off",
                    "the AWS Config recorder stops recording".into(),
                );
            }
            _ => {}
        }
    }
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

fn is_internet(cidr: &str) -> bool {
    cidr == "0.0.0.0/0" || cidr == "::/0"
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
            let wider_peer = match (po.parse::<IpNet>(), pn.parse::<IpNet>()) {
                (Ok(o), Ok(n)) => n.contains(&o) && n != o,
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
        None => f(Concern::BroadensAccess, "broaden.new-rule", format!("new rule: {}", describe_rule(after))),
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
    if s(bf, "cloud_watch_logs_log_group_arn").is_some() && s(af, "cloud_watch_logs_log_group_arn").is_none() {
        f(
            Concern::WeakensMonitoring,
            "weaken.trail-cloudwatch-off",
            "the trail stops delivering to CloudWatch Logs: detections go blind".into(),
        );
    }
}
