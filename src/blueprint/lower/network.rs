//! Lowering `network:` (the VPC, subnets, internet gateway, route tables, flow logs) and
//! `security_groups:` (one node per rule).

use super::iam::policy_doc;
use super::*;

impl Lower<'_> {
    pub(super) fn network(&mut self, n: &Node) {
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

        if let Some(acls) = n.get("acls") {
            // Each subnet's ACL, for the error when a second one claims it.
            let mut placed: BTreeMap<String, String> = BTreeMap::new();
            // The default ACL holds what the others leave: read them first.
            let (defaults, others): (Vec<_>, Vec<_>) = self
                .map_entries(acls, "network ACLs")
                .into_iter()
                .partition(|(_, node)| node.get("default").and_then(|d| from_node::<bool>(d).ok()) == Some(true));
            for (key, node) in others {
                self.network_acl(&key, node, &vpc_id, &mut placed, None);
            }
            for (i, (key, node)) in defaults.iter().enumerate() {
                if i > 0 {
                    let first = &defaults[0].0.value;
                    self.error(key.loc, format!("a VPC has one default network ACL, and `{first}` is it"));
                    continue;
                }
                let mut rest: Vec<String> = self
                    .subnets
                    .keys()
                    .filter(|s| !placed.contains_key(*s))
                    .map(|s| self.out(Section::Subnet, s, "id"))
                    .collect();
                rest.sort();
                self.network_acl(key, node, &vpc_id, &mut placed, Some(rest));
            }
        }

        if let Some(fl_node) = n.get("flow_logs") {
            if let Some(fl) = self.read::<raw::FlowLogs>(fl_node) {
                self.flow_logs(fl, fl_node.loc, &vpc_id);
            }
        }
    }

    /// One network ACL of `network.acls`: its subnets (each in one ACL at most) and its
    /// numbered entries. `rest`, for the VPC's default ACL: the subnets no other ACL holds.
    fn network_acl(
        &mut self,
        key: &Sp<String>,
        node: &Node,
        vpc_id: &str,
        placed: &mut BTreeMap<String, String>,
        rest: Option<Vec<String>>,
    ) {
        let Some(acl) = self.read::<raw::NetworkAcl>(node) else { return };
        let default = rest.is_some();
        if default {
            if let Some(s) = acl.subnets.first() {
                self.error_help(
                    s.loc,
                    "the default network ACL takes no `subnets`",
                    "it holds every subnet no other ACL names: list subnets in another ACL to take them out of it",
                );
            }
            if !acl.tags.is_empty() {
                self.error(node.loc, "the default network ACL carries no tags: it is the VPC's, and goes with it");
            }
        }
        let mut subnet_ids = Vec::new();
        for s in acl.subnets.iter().filter(|_| !default) {
            let Some(subnet) = self.reference(Section::Subnet, s) else { continue };
            if let Some(other) = placed.insert(subnet.clone(), key.value.clone()) {
                let msg = if other == key.value {
                    format!("subnet `{subnet}` is listed twice")
                } else {
                    format!("subnet `{subnet}` is already in network ACL `{other}`")
                };
                self.error_help(s.loc, msg, "a subnet is associated with one network ACL at a time");
                continue;
            }
            subnet_ids.push(self.out(Section::Subnet, &subnet, "id"));
        }
        subnet_ids.sort();
        let ingress = self.acl_entries(&acl.ingress, Direction::Ingress);
        let egress = self.acl_entries(&acl.egress, Direction::Egress);
        // The default ACL is proven the lab's by its VPC, not by tags, and tags on it would
        // outlive nothing: it goes with the VPC.
        let (subnet_ids, tags) = match rest {
            Some(rest) => (rest, Default::default()),
            None => (subnet_ids, self.tags(&acl.tags, node.loc)),
        };
        let attrs =
            to_attrs(&spec::NetworkAcl { vpc_id: vpc_id.to_string(), default, ingress, egress, subnet_ids, tags });
        self.add(Address::new(Kind::NetworkAcl, key.value.as_str()), attrs, node.loc);
    }

    /// The entries of one direction of an ACL, sorted by number; each mistake is an error at
    /// its line.
    fn acl_entries(&mut self, rules: &[Sp<raw::AclRule>], dir: Direction) -> Vec<spec::AclEntry> {
        let mut out: Vec<spec::AclEntry> = Vec::new();
        let (want, other) = match dir {
            Direction::Ingress => ("from", "to"),
            Direction::Egress => ("to", "from"),
        };
        if rules.len() > MAX_ACL_RULES_PER_DIRECTION {
            if let Some(r) = rules.get(MAX_ACL_RULES_PER_DIRECTION) {
                self.error(
                    r.loc,
                    format!(
                        "{} {} rules: AWS allows at most {MAX_ACL_RULES_PER_DIRECTION} in one direction of a network ACL",
                        rules.len(),
                        dir.as_str()
                    ),
                );
            }
        }
        for rule in rules {
            let r = &rule.value;
            let number = r.number.value;
            if !(1..=32766).contains(&number) {
                self.error_help(
                    r.number.loc,
                    format!("rule number {number} is out of range"),
                    "use 1 to 32766: 32767 is AWS's own final rule, which denies what no other matches",
                );
                continue;
            }
            if out.iter().any(|e| i64::from(e.number) == number) {
                self.error_help(
                    r.number.loc,
                    format!("rule number {number} is used twice in {}", dir.as_str()),
                    "the number orders the rules: each is used once per direction",
                );
                continue;
            }
            let action = match r.action.value.as_str() {
                "allow" => spec::AclAction::Allow,
                "deny" => spec::AclAction::Deny,
                a => {
                    self.error(r.action.loc, format!("action `{a}` is invalid: use `allow` or `deny`"));
                    continue;
                }
            };
            let Some(protocol) = self.protocol(&r.protocol) else { continue };
            let example = "such as `ports: 22` or `ports: \"1024-65535\"` (one port or one range per numbered rule)";
            if !self.ports_fit(rule.loc, r.ports.as_ref().map(|p| p.loc), &protocol, example) {
                continue;
            }
            let (from_port, to_port) = match &r.ports {
                None => (-1, -1),
                Some(p) => match parse_ports(&p.value) {
                    Ok(range) => range,
                    Err(msg) => {
                        self.error(p.loc, msg);
                        continue;
                    }
                },
            };
            let (peer, wrong) = match dir {
                Direction::Ingress => (&r.from, &r.to),
                Direction::Egress => (&r.to, &r.from),
            };
            if let Some(w) = wrong {
                self.error(w.loc, format!("{} rules name their peer with `{want}`, not `{other}`", dir.as_str()));
                continue;
            }
            let Some(peer) = peer else {
                self.error_help(
                    rule.loc,
                    format!("this {} rule has no `{want}`", dir.as_str()),
                    format!("name one CIDR block, such as `{want}: 0.0.0.0/0` or `{want}: 10.0.0.0/16`"),
                );
                continue;
            };
            let not_a_block = (
                "is not a CIDR block",
                "a network ACL rule names one CIDR block, such as `203.0.113.0/24` (not a security group)",
            );
            let Some((cidr_ipv4, cidr_ipv6)) = self.peer_block(peer, not_a_block) else { continue };
            out.push(spec::AclEntry {
                number: number as i32,
                action,
                protocol,
                from_port,
                to_port,
                cidr_ipv4,
                cidr_ipv6,
            });
        }
        out.sort_by_key(|e| e.number);
        out
    }

    /// Parses an IPv4 CIDR, refusing host bits and prefixes outside `min..=max`.
    pub(super) fn cidr(&mut self, s: &Sp<String>, min: u8, max: u8) -> Option<Ipv4Net> {
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

    pub(super) fn flow_logs(&mut self, fl: raw::FlowLogs, loc: Loc, vpc_id: &str) {
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
        let role = self.fixed_role(role_key, "vpc-flow-logs.amazonaws.com", vec![], Some(policy), loc);
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

    /// AWS never accepts more than 1,000 rules in one direction of a group (its quota of 60
    /// can be raised that far, at the cost of groups per interface): more is an error here,
    /// not a failure halfway through an apply. `lint` warns above the default 60 (SOC019).
    pub(super) fn rules_quota(&mut self, node: &Node, direction: &str, n: usize) {
        if n > MAX_RULES_PER_DIRECTION {
            let at = node.get(direction).map(|d| d.loc).unwrap_or(node.loc);
            self.error_help(
                at,
                format!("{n} {direction} rules: AWS allows at most {MAX_RULES_PER_DIRECTION} in one direction of a security group"),
                "each port range and each peer is one rule; split them across groups, or use a prefix list",
            );
        }
    }

    pub(super) fn security_group(&mut self, key: &Sp<String>, node: &Node) {
        let Some(sg) = self.read::<raw::SecurityGroup>(node) else { return };
        if !self.is_declared(Section::Vpc, "main") {
            self.error(
                node.loc,
                "security groups need a VPC: declare `network.vpc`, or look one up with `lookups.vpc`",
            );
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

    pub(super) fn rule(&mut self, group: &Sp<String>, dir: Direction, rule: &Sp<raw::Rule>) {
        let r = &rule.value;
        let Some(protocol) = self.protocol(&r.protocol) else { return };
        // ports
        let mut ranges: Vec<(i32, i32)> = Vec::new();
        let example = "such as `ports: 443`, `ports: [80, 443]` or `ports: \"8000-8100\"`";
        if !self.ports_fit(rule.loc, r.ports.as_ref().map(|p| p.loc), &protocol, example) {
            return;
        }
        match &r.ports {
            None => ranges.push((-1, -1)),
            Some(p) => {
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
                let not_a_block =
                    ("is not a CIDR block or a security group", "write a CIDR (`203.0.113.0/24`), `sg.NAME` or `self`");
                let Some((cidr4, cidr6)) = self.peer_block(&peer_sp, not_a_block) else { continue };
                let label = cidr4.clone().or(cidr6.clone()).unwrap_or_default();
                (label, cidr4, cidr6, None)
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

    /// A rule's peer block, written the way AWS writes it back (`2001:DB8::/32` is
    /// `2001:db8::/32`, so that reading it back never shows a difference): (IPv4, IPv6), one
    /// set. An error at its line for host bits, or `not_a_block` (what it is not, and the
    /// help) for text that is no block.
    fn peer_block(&mut self, peer: &Sp<String>, not_a_block: (&str, &str)) -> Option<(Option<String>, Option<String>)> {
        match IpNet::from_str(&peer.value) {
            Ok(IpNet::V4(n)) if n.network() == n.addr() => Some((Some(n.to_string()), None)),
            Ok(IpNet::V6(n)) if n.network() == n.addr() => Some((None, Some(n.to_string()))),
            Ok(n) => {
                self.error_help(
                    peer.loc,
                    format!("`{}` has host bits set", peer.value),
                    format!("did you mean `{}`?", n.trunc()),
                );
                None
            }
            Err(_) => {
                let (what, help) = not_a_block;
                self.error_help(peer.loc, format!("`{}` {what}", peer.value), help);
                None
            }
        }
    }

    /// Whether a rule's `ports` fit its protocol: tcp and udp need them, the others take none.
    /// An error at the rule's line otherwise.
    fn ports_fit(&mut self, rule: Loc, ports: Option<Loc>, protocol: &str, example: &str) -> bool {
        let takes_ports = protocol == "tcp" || protocol == "udp";
        match (ports, takes_ports) {
            (None, true) => {
                self.error_help(rule, format!("a {protocol} rule needs `ports`"), example);
                false
            }
            (Some(at), false) => {
                let what = if protocol == "-1" { "`all` traffic" } else { "this protocol" };
                self.error(at, format!("`ports` does not apply to {what}: remove it"));
                false
            }
            _ => true,
        }
    }

    /// A rule's protocol in AWS's form (`tcp`, `udp`, `icmp`, `icmpv6`, `-1`, or a number),
    /// or an error at its line.
    fn protocol(&mut self, p: &Sp<raw::Scalar>) -> Option<String> {
        let protocol = match &p.value {
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
        if protocol.is_none() {
            self.error(
                p.loc,
                format!(
                    "protocol `{}` is invalid: use `tcp`, `udp`, `icmp`, `icmpv6`, `all` or a number from 0 to 255",
                    p.value
                ),
            );
        }
        protocol
    }

    // ---- IAM ---------------------------------------------------------------------------
}

pub(super) fn parse_ports(item: &raw::Scalar) -> Result<(i32, i32), String> {
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
