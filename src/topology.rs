//! The lab as a system, not as an evaluation order: what `graph --view topology` draws.
//!
//! From the model alone (no AWS): the VPC and its subnets (public when their route table
//! sends `0.0.0.0/0` to an internet gateway), the hosts inside them, and who can reach whom:
//! each ingress rule of a security group becomes an edge into every host of that group, from
//! every host of the peer group or from the address block it names. A block that is the
//! internet by [`crate::model::exposure`]'s one meaning (a /8's worth of public addresses or
//! more) is the `internet` node, and its edges are marked. Beside the network runs the
//! telemetry lane: trail -> log group -> detections (grouped by the topics they notify) ->
//! topics, and the finding services -> EventBridge rules -> their targets.
//!
//! Ingress only: a rule that lets traffic in is what makes a host reachable, and that is the
//! question a picture of a SOC lab answers. Egress rules are in `plan` and the review.
//!
//! **Architecture Invariant:** pure: no I/O, no AWS. Everything is sorted, so the same
//! blueprint gives the same picture byte for byte.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use crate::address::Address;
use crate::model::spec::{self, Direction};
use crate::model::template::{self, Ref};
use crate::model::{exposure, Kind, Model, Resource};

/// A node of the picture. `id` is safe in every output format (letters, digits, `_`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    pub id: String,
    /// The first line of its label (a name).
    pub name: String,
    /// Further lines (what it is, its block, its role).
    pub detail: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subnet {
    pub node: Node,
    pub public: bool,
    pub hosts: Vec<Node>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Vpc {
    pub node: Node,
    pub subnets: Vec<Subnet>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edge {
    pub from: String,
    pub to: String,
    pub label: String,
    /// From the internet: drawn red.
    pub internet: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Topology {
    pub blueprint: String,
    pub region: String,
    pub vpcs: Vec<Vpc>,
    /// Address blocks that rules let in, the internet among them.
    pub sources: Vec<Node>,
    /// Who can reach whom (security-group ingress), merged per pair.
    pub edges: Vec<Edge>,
    /// The telemetry lane's nodes, in the order an event travels.
    pub lane: Vec<Node>,
    pub lane_edges: Vec<Edge>,
}

/// The one node id of an address: its kind and name with every other character as `_`,
/// and a counter where two names would meet.
fn node_id(prefix: &str, name: &str, taken: &mut BTreeSet<String>) -> String {
    let clean: String = name.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '_' }).collect();
    let base = format!("{prefix}_{clean}");
    let mut id = base.clone();
    let mut n = 2;
    while !taken.insert(id.clone()) {
        id = format!("{base}_{n}");
        n += 1;
    }
    id
}

/// The addresses a string value names through templates.
fn named(v: &str) -> Vec<Address> {
    template::refs_in(v)
        .filter_map(|r| match r {
            Ref::Output(a, _) => Some(a),
            Ref::Global(_) => None,
        })
        .collect()
}

fn first_named(v: &str, kind: Kind) -> Option<Address> {
    named(v).into_iter().find(|a| a.kind() == kind)
}

fn spec_of<T: serde::de::DeserializeOwned>(r: &Resource) -> Option<T> {
    spec::from_attrs(&r.attrs).ok()
}

/// A rule's protocol in words and its port range: `("tcp", 22, 22)`; `("all traffic", 0, 0)`.
fn ports(rule: &spec::SecurityGroupRule) -> (String, i32, i32) {
    let p = match rule.protocol.as_str() {
        "-1" | "all" => return ("all traffic".into(), 0, 0),
        other => spec::protocol_name(other),
    };
    match (p, rule.from_port, rule.to_port) {
        ("icmp" | "icmpv6", _, _) | (_, -1, _) => (p.to_string(), 0, 0),
        (_, 0, 65535) => (format!("{p} all ports"), 0, 0),
        (_, f, t) => (p.to_string(), f, t),
    }
}

/// The ports of every rule between one pair, by protocol and in numeric order:
/// "tcp 80, 443; udp 3389", "all traffic".
fn ports_label(ports: &BTreeSet<(String, i32, i32)>) -> String {
    if ports.iter().any(|(p, _, _)| p == "all traffic") {
        return "all traffic".into();
    }
    let mut by_protocol: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for (p, f, t) in ports {
        let list = by_protocol.entry(p.as_str()).or_default();
        match (f, t) {
            (0, 0) => {}
            (f, t) if f == t => list.push(f.to_string()),
            (f, t) => list.push(format!("{f}-{t}")),
        }
    }
    by_protocol
        .into_iter()
        .map(|(p, list)| if list.is_empty() { p.to_string() } else { format!("{p} {}", list.join(", ")) })
        .collect::<Vec<_>>()
        .join("; ")
}

impl Topology {
    pub fn from_model(model: &Model) -> Topology {
        let mut taken = BTreeSet::new();
        let by_kind = |k: Kind| model.resources.iter().filter(move |r| r.kind() == k);
        // Subnets that route 0.0.0.0/0 to an internet gateway.
        let mut public: BTreeSet<Address> = BTreeSet::new();
        for r in by_kind(Kind::RouteTable) {
            let Some(t) = spec_of::<spec::RouteTable>(r) else { continue };
            let to_internet = t.routes.iter().any(|route| {
                route.destination_cidr_block == "0.0.0.0/0"
                    && first_named(&route.gateway_id, Kind::InternetGateway).is_some()
            });
            if to_internet {
                public.extend(t.subnet_ids.iter().filter_map(|s| first_named(s, Kind::Subnet)));
            }
        }
        // Hosts by subnet, and the groups each host is in.
        let mut hosts_in: BTreeMap<Address, Vec<Node>> = BTreeMap::new();
        let mut members: BTreeMap<Address, Vec<String>> = BTreeMap::new();
        for r in by_kind(Kind::Instance) {
            let Some(h) = spec_of::<spec::Instance>(r) else { continue };
            let id = node_id("host", r.address.name(), &mut taken);
            let mut detail = vec![h.instance_type.clone()];
            if let Some(role) = h.iam_instance_profile.as_deref().and_then(|p| first_named(p, Kind::InstanceProfile)) {
                detail.push(format!("role {}", role.name()));
            }
            if h.associate_public_ip {
                detail.push("public IP".into());
            }
            for g in h.security_group_ids.iter().filter_map(|g| first_named(g, Kind::SecurityGroup)) {
                members.entry(g).or_default().push(id.clone());
            }
            let node = Node { id, name: r.address.name().to_string(), detail };
            match first_named(&h.subnet_id, Kind::Subnet) {
                Some(s) => hosts_in.entry(s).or_default().push(node),
                None => hosts_in.entry(r.address.clone()).or_default().push(node),
            }
        }
        // The network ACL each subnet is in, where the blueprint puts it in one.
        let mut acl_of: BTreeMap<Address, String> = BTreeMap::new();
        for r in by_kind(Kind::NetworkAcl) {
            let Some(acl) = spec_of::<spec::NetworkAcl>(r) else { continue };
            for s in acl.subnet_ids.iter().filter_map(|s| first_named(s, Kind::Subnet)) {
                acl_of.insert(s, r.address.name().to_string());
            }
        }
        let mut subnets_of: BTreeMap<Option<Address>, Vec<Subnet>> = BTreeMap::new();
        for r in by_kind(Kind::Subnet) {
            let Some(s) = spec_of::<spec::Subnet>(r) else { continue };
            let is_public = public.contains(&r.address);
            let mut detail =
                vec![format!("{} {}", if is_public { "public" } else { "private" }, s.cidr_block), s.availability_zone];
            if let Some(acl) = acl_of.get(&r.address) {
                detail.push(format!("network ACL {acl}"));
            }
            let node = Node {
                id: node_id("subnet", r.address.name(), &mut taken),
                name: r.address.name().to_string(),
                detail,
            };
            subnets_of.entry(first_named(&s.vpc_id, Kind::Vpc)).or_default().push(Subnet {
                node,
                public: is_public,
                hosts: hosts_in.remove(&r.address).unwrap_or_default(),
            });
        }
        let vpcs = by_kind(Kind::Vpc)
            .filter_map(|r| {
                let v = spec_of::<spec::Vpc>(r)?;
                Some(Vpc {
                    node: Node {
                        id: node_id("vpc", r.address.name(), &mut taken),
                        name: format!("VPC {}", r.address.name()),
                        detail: vec![v.cidr_block],
                    },
                    subnets: subnets_of.remove(&Some(r.address.clone())).unwrap_or_default(),
                })
            })
            .collect();

        // Who can reach whom. The ingress rules of every group a host is in apply together,
        // so whether a host is open to the internet is judged on the union of the blocks
        // they let in (two /1 halves are the internet as surely as 0.0.0.0/0 is); a block
        // with public addresses in such a union is drawn as the internet.
        let rules: Vec<(Address, spec::SecurityGroupRule)> = by_kind(Kind::SecurityGroupRule)
            .filter_map(spec_of::<spec::SecurityGroupRule>)
            .filter(|rule| rule.direction == Direction::Ingress)
            .filter_map(|rule| Some((first_named(&rule.group_id, Kind::SecurityGroup)?, rule)))
            .collect();
        let mut blocks_into: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        for (group, rule) in &rules {
            for host in members.get(group).into_iter().flatten() {
                blocks_into
                    .entry(host)
                    .or_default()
                    .extend(rule.cidr_ipv4.iter().chain(&rule.cidr_ipv6).map(String::as_str));
            }
        }
        let wide = |cidrs: &[&str]| {
            let (v4, v6) = exposure::public_addresses(cidrs.iter().copied());
            v4 >= exposure::WIDE_V4 || v6 >= exposure::WIDE_V6
        };
        let open: BTreeSet<&str> = blocks_into.iter().filter(|(_, c)| wide(c)).map(|(h, _)| *h).collect();
        let mut sources: BTreeMap<String, Node> = BTreeMap::new();
        // (from, to) -> (protocol and port ranges, from the internet).
        type Pairs = BTreeMap<(String, String), (BTreeSet<(String, i32, i32)>, bool)>;
        let mut pairs: Pairs = BTreeMap::new();
        for (group, rule) in &rules {
            let Some(targets) = members.get(group) else { continue };
            for target in targets {
                let mut from: Vec<(String, bool)> = vec![];
                if let Some(peer) = rule.peer_group_id.as_deref().and_then(|p| first_named(p, Kind::SecurityGroup)) {
                    from.extend(members.get(&peer).into_iter().flatten().map(|h| (h.clone(), false)));
                }
                for cidr in rule.cidr_ipv4.iter().chain(rule.cidr_ipv6.iter()) {
                    let public = exposure::public_addresses([cidr.as_str()]) != (0, 0);
                    let internet = public && (wide(&[cidr]) || open.contains(target.as_str()));
                    let key = if internet { "internet".to_string() } else { cidr.clone() };
                    let node = sources.entry(key.clone()).or_insert_with(|| Node {
                        id: if internet { "internet".into() } else { node_id("net", &key, &mut taken) },
                        name: key.clone(),
                        detail: if internet { vec![] } else { vec!["address block".into()] },
                    });
                    if internet && !node.detail.contains(cidr) {
                        node.detail.push(cidr.clone());
                    }
                    from.push((node.id.clone(), internet));
                }
                for (source, internet) in from {
                    if &source == target {
                        continue;
                    }
                    let e = pairs.entry((source, target.clone())).or_default();
                    e.0.insert(ports(rule));
                    e.1 |= internet;
                }
            }
        }
        for n in sources.values_mut() {
            n.detail.sort();
        }
        let edges = pairs
            .into_iter()
            .map(|((from, to), (labels, internet))| Edge { from, to, label: ports_label(&labels), internet })
            .collect();
        let mut sources: Vec<Node> = sources.into_values().collect();
        sources.sort_by_key(|n| n.id != "internet");

        let (lane, lane_edges) = lane(model, &mut taken);
        Topology {
            blueprint: model.blueprint.clone(),
            region: model.region.clone(),
            vpcs,
            sources,
            edges,
            lane,
            lane_edges,
        }
    }

    /// Every host, wherever it is.
    pub fn hosts(&self) -> impl Iterator<Item = &Node> {
        self.vpcs.iter().flat_map(|v| v.subnets.iter().flat_map(|s| s.hosts.iter()))
    }
}

/// The telemetry lane: trail -> log group -> detections by topic -> topic; finding
/// services -> EventBridge rules -> targets.
fn lane(model: &Model, taken: &mut BTreeSet<String>) -> (Vec<Node>, Vec<Edge>) {
    let mut nodes: Vec<Node> = vec![];
    let mut edges: Vec<Edge> = vec![];
    let mut ids: BTreeMap<Address, String> = BTreeMap::new();
    let edge = |from: &str, to: &str, label: &str| Edge {
        from: from.to_string(),
        to: to.to_string(),
        label: label.to_string(),
        internet: false,
    };
    // The node of an address, made on first use.
    let mut node_for = |a: &Address,
                        name: String,
                        detail: Vec<String>,
                        nodes: &mut Vec<Node>,
                        taken: &mut BTreeSet<String>|
     -> String {
        if let Some(id) = ids.get(a) {
            return id.clone();
        }
        let id = node_id(a.kind().as_str(), a.name(), taken);
        nodes.push(Node { id: id.clone(), name, detail });
        ids.insert(a.clone(), id.clone());
        id
    };
    let aws_name = |a: &Address| model.aws_name(a).unwrap_or(a.name()).to_string();
    let mut trails: Vec<String> = vec![];
    for r in model.resources.iter().filter(|r| r.kind() == Kind::Trail) {
        let Some(t) = spec_of::<spec::Trail>(r) else { continue };
        let trail = node_for(&r.address, format!("trail {}", t.name), vec!["CloudTrail".into()], &mut nodes, taken);
        trails.push(trail.clone());
        if let Some(g) = t.cloud_watch_logs_log_group_arn.as_deref().and_then(|g| first_named(g, Kind::LogGroup)) {
            let group = node_for(&g, aws_name(&g), vec!["log group".into()], &mut nodes, taken);
            edges.push(edge(&trail, &group, "management events"));
        }
    }
    // Detections, grouped by their log group and the topics their alarm notifies.
    let mut groups: BTreeMap<(Address, Vec<Address>), Vec<&str>> = BTreeMap::new();
    for d in &model.detections {
        let Some(filter) = model.get(&d.metric_filter).and_then(spec_of::<spec::MetricFilter>) else { continue };
        let Some(alarm) = model.get(&d.alarm).and_then(spec_of::<spec::Alarm>) else { continue };
        let Some(group) = first_named(&filter.log_group_name, Kind::LogGroup) else { continue };
        let topics: Vec<Address> = alarm
            .alarm_actions
            .iter()
            .filter_map(|a| first_named(a, Kind::SnsTopic))
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        groups.entry((group, topics)).or_default().push(&d.name);
    }
    for (n, ((group, topics), names)) in groups.iter().enumerate() {
        let g = node_for(group, aws_name(group), vec!["log group".into()], &mut nodes, taken);
        let id = node_id("detections", &n.to_string(), taken);
        let count = names.len();
        nodes.push(Node {
            id: id.clone(),
            name: format!("{count} detection{}", if count == 1 { "" } else { "s" }),
            detail: vec!["metric filters and alarms".into()],
        });
        edges.push(edge(&g, &id, ""));
        for t in topics {
            let topic = node_for(t, format!("topic {}", aws_name(t)), vec!["SNS".into()], &mut nodes, taken);
            edges.push(edge(&id, &topic, "alarm"));
        }
    }
    // Finding services and the rules that route what they find.
    let services: [(&str, Kind, &str); 3] = [
        ("aws.guardduty", Kind::GuarddutyDetector, "GuardDuty"),
        ("aws.securityhub", Kind::SecurityHub, "Security Hub"),
        ("aws.config", Kind::ConfigRecorder, "AWS Config"),
    ];
    for r in model.resources.iter().filter(|r| r.kind() == Kind::EventRule) {
        let Some(rule) = spec_of::<spec::EventRule>(r) else { continue };
        let sources: Vec<String> = match &rule.event_pattern["source"] {
            Value::Array(a) => a.iter().filter_map(|s| s.as_str().map(str::to_string)).collect(),
            Value::String(s) => vec![s.clone()],
            _ => vec![],
        };
        let id = node_for(&r.address, format!("rule {}", rule.name), vec!["EventBridge".into()], &mut nodes, taken);
        // A rule on API calls hears them from the trail.
        let api_calls = match &rule.event_pattern["detail-type"] {
            Value::Array(a) => a.iter().any(|d| d == "AWS API Call via CloudTrail"),
            v => v == "AWS API Call via CloudTrail",
        };
        if api_calls {
            for from in &trails {
                edges.push(edge(from, &id, "API calls"));
            }
        }
        for s in &sources {
            let from = match services.iter().find(|(src, _, _)| src == s) {
                Some((_, kind, title)) => match model.resources.iter().find(|x| x.kind() == *kind) {
                    Some(svc) => node_for(&svc.address, title.to_string(), vec![], &mut nodes, taken),
                    None => continue,
                },
                None => continue,
            };
            edges.push(edge(&from, &id, "findings"));
        }
        for t in &rule.targets {
            for a in named(&t.arn) {
                let target = match a.kind() {
                    Kind::SnsTopic => {
                        node_for(&a, format!("topic {}", aws_name(&a)), vec!["SNS".into()], &mut nodes, taken)
                    }
                    Kind::LambdaFunction => {
                        node_for(&a, format!("function {}", a.name()), vec!["Lambda".into()], &mut nodes, taken)
                    }
                    _ => node_for(&a, a.name().to_string(), vec![a.kind().as_str().into()], &mut nodes, taken),
                };
                edges.push(edge(&id, &target, ""));
            }
        }
    }
    edges.sort_by(|a, b| (&a.from, &a.to).cmp(&(&b.from, &b.to)));
    edges.dedup();
    (nodes, edges)
}
