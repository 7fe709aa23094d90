//! "Open to the internet": one meaning for lint (SOC001), the security review and the
//! response function that closes admin ports (`blueprints/responses/close-admin-port`,
//! which carries the same rule in Python).
//!
//! A set of ingress rules is open to the internet when the union of the addresses it lets in
//! covers a large share of the public address space: at least a /8's worth of public IPv4
//! addresses (2^24), or a /16's worth of public IPv6 ones (2^112). Private, shared, loopback,
//! link-local, multicast and reserved ranges count for nothing, so `10.0.0.0/8` is not the
//! internet, while `0.0.0.0/1` + `128.0.0.0/1`, four /2 blocks, `::/1` + `8000::/1` or
//! `2000::/3` all are. Counting the union, not each rule, is what stops a world written as
//! halves from slipping past.

use std::sync::LazyLock;

use ipnet::IpNet;

/// Public IPv4 addresses that make "the internet": a /8's worth.
pub const WIDE_V4: u128 = 1 << 24;
/// Public IPv6 addresses that make "the internet": a /16's worth.
pub const WIDE_V6: u128 = 1 << 112;

/// The admin services a rule must not open to the internet: (name, protocol, port). RDP
/// listens on UDP 3389 too; SSH has no UDP transport.
pub const ADMIN: [(&str, &str, u16); 3] = [("SSH", "tcp", 22), ("RDP", "tcp", 3389), ("RDP", "udp", 3389)];

/// Blocks that are not the public internet (RFC 6890 and friends). IPv4: this network,
/// private, shared, loopback, link-local, IETF, documentation, benchmarking, multicast and
/// reserved. IPv6: reserved (loopback, IPv4-mapped), unique local, link-local, multicast,
/// documentation.
const NOT_PUBLIC: [&str; 18] = [
    "0.0.0.0/8",
    "10.0.0.0/8",
    "100.64.0.0/10",
    "127.0.0.0/8",
    "169.254.0.0/16",
    "172.16.0.0/12",
    "192.0.0.0/24",
    "192.0.2.0/24",
    "192.168.0.0/16",
    "198.18.0.0/15",
    "198.51.100.0/24",
    "203.0.113.0/24",
    "224.0.0.0/3",
    "::/8",
    "fc00::/7",
    "fe80::/10",
    "ff00::/8",
    "2001:db8::/32",
];

/// How many addresses a block holds. ::/0 has 2^128, one more than a u128 holds: sizes
/// saturate, which changes nothing at the thresholds.
fn size(n: &IpNet) -> u128 {
    1u128.checked_shl(u32::from(n.max_prefix_len() - n.prefix_len())).unwrap_or(u128::MAX)
}

/// How many public addresses a set of CIDR blocks reaches, IPv4 and IPv6 apart. Text that
/// is not a CIDR block (a security group id, a prefix list) reaches none.
pub fn public_addresses<'a>(cidrs: impl IntoIterator<Item = &'a str>) -> (u128, u128) {
    let nets: Vec<IpNet> =
        cidrs.into_iter().filter_map(|c| c.trim().parse::<IpNet>().ok()).map(|n| n.trunc()).collect();
    public_in(&nets)
}

/// How many public addresses a set of blocks reaches, IPv4 and IPv6 apart.
fn public_in(nets: &[IpNet]) -> (u128, u128) {
    static EXCLUDED: LazyLock<Vec<IpNet>> =
        LazyLock::new(|| NOT_PUBLIC.iter().map(|b| b.parse().expect("valid block")).collect());
    let (mut v4, mut v6) = (0u128, 0u128);
    // Blocks of one family never contain the other's, and the excluded ones do not overlap.
    for n in IpNet::aggregate(&nets.to_vec()) {
        let mut here = size(&n);
        for x in EXCLUDED.iter() {
            if n.contains(x) {
                here = here.saturating_sub(size(x));
            } else if x.contains(&n) {
                here = 0;
            }
        }
        let total = if matches!(n, IpNet::V4(_)) { &mut v4 } else { &mut v6 };
        *total = total.saturating_add(here);
    }
    (v4, v6)
}

/// Whether a set of CIDR blocks, taken together, is the internet.
pub fn is_internet<'a>(cidrs: impl IntoIterator<Item = &'a str>) -> bool {
    let (v4, v6) = public_addresses(cidrs);
    v4 >= WIDE_V4 || v6 >= WIDE_V6
}

/// An ingress rule as this module sees it: protocol (`tcp`, `udp`, `-1` for all, or a
/// number), port range (`-1` for all), and the CIDR block it lets in.
#[derive(Clone, Copy, Debug)]
pub struct Ingress<'a> {
    pub protocol: &'a str,
    pub from: i64,
    pub to: i64,
    pub cidr: &'a str,
}

impl Ingress<'_> {
    /// Whether the rule lets `protocol`/`port` through.
    pub fn covers(&self, protocol: &str, port: u16) -> bool {
        let number = crate::model::spec::protocol_number(protocol);
        let proto = self.protocol == "-1" || self.protocol == protocol || self.protocol == number;
        let port = i64::from(port);
        proto && (self.from < 0 || (self.from <= port && port <= self.to))
    }
}

/// An admin service in words: `SSH (22)`, and the protocol where it is not TCP
/// (`RDP (3389/udp)`).
pub fn service(name: &str, protocol: &str, port: u16) -> String {
    if protocol == "tcp" {
        format!("{name} ({port})")
    } else {
        format!("{name} ({port}/{protocol})")
    }
}

/// The admin services (`ADMIN`) that one security group's ingress rules open to the
/// internet, each with the indexes of the rules that let it in.
pub fn admin_exposure(rules: &[Ingress<'_>]) -> Vec<(&'static str, &'static str, u16, Vec<usize>)> {
    let mut out = Vec::new();
    for (name, proto, port) in ADMIN {
        let through: Vec<usize> = (0..rules.len()).filter(|&i| rules[i].covers(proto, port)).collect();
        if is_internet(through.iter().map(|&i| rules[i].cidr)) {
            // Only the rules that reach public addresses make it so (a /32 admin address
            // beside them does not).
            let wide: Vec<usize> =
                through.into_iter().filter(|&i| public_addresses([rules[i].cidr]) != (0, 0)).collect();
            out.push((name, proto, port, wide));
        }
    }
    out
}

/// One entry of a network ACL's ingress, in the order AWS evaluates them (by number).
#[derive(Clone, Copy, Debug)]
pub struct AclIngress<'a> {
    pub allow: bool,
    pub rule: Ingress<'a>,
}

/// The admin services (`ADMIN`) a network ACL's ingress entries, sorted by number, let the
/// internet reach, each with the indexes of the allow entries that let it in. The first entry
/// that matches a packet decides: an allow counts only for the addresses no earlier entry
/// for that service decided, so `deny tcp/22 from 0.0.0.0/0` before `allow all from
/// 0.0.0.0/0` closes SSH, and the same two the other way round do not.
pub fn acl_admin_exposure(entries: &[AclIngress<'_>]) -> Vec<(&'static str, &'static str, u16, Vec<usize>)> {
    let mut out = Vec::new();
    for (name, proto, port) in ADMIN {
        let mut decided: Vec<IpNet> = Vec::new();
        let mut allowed: Vec<IpNet> = Vec::new();
        let mut through = Vec::new();
        for (i, e) in entries.iter().enumerate() {
            let Some(block) = e.rule.cidr.trim().parse::<IpNet>().ok().map(|n| n.trunc()) else { continue };
            if !e.rule.covers(proto, port) {
                continue;
            }
            let fresh = subtract(block, &decided);
            if e.allow && public_in(&fresh) != (0, 0) {
                allowed.extend(fresh);
                through.push(i);
            }
            decided.push(block);
        }
        let (v4, v6) = public_in(&allowed);
        if v4 >= WIDE_V4 || v6 >= WIDE_V6 {
            out.push((name, proto, port, through));
        }
    }
    out
}

/// [`acl_admin_exposure`] of a network ACL's ingress entries as the model holds them (sorted
/// by number): the indexes are into `entries`.
pub fn acl_entries_exposure(
    entries: &[crate::model::spec::AclEntry],
) -> Vec<(&'static str, &'static str, u16, Vec<usize>)> {
    let rules: Vec<AclIngress<'_>> = entries
        .iter()
        .map(|e| AclIngress {
            allow: e.action == crate::model::spec::AclAction::Allow,
            // An entry without a block (none is written so) matches nothing.
            rule: Ingress {
                protocol: &e.protocol,
                from: e.from_port.into(),
                to: e.to_port.into(),
                cidr: e.cidr_ipv4.as_deref().or(e.cidr_ipv6.as_deref()).unwrap_or(""),
            },
        })
        .collect();
    acl_admin_exposure(&rules)
}

/// `block` less every block of `taken`: the blocks covering what is left.
fn subtract(block: IpNet, taken: &[IpNet]) -> Vec<IpNet> {
    // Inclusive address ranges of one family, as u128.
    let range = |n: &IpNet| -> (u128, u128) {
        match n {
            IpNet::V4(n) => (u32::from(n.network()).into(), u32::from(n.broadcast()).into()),
            IpNet::V6(n) => (u128::from(n.network()), u128::from(n.broadcast())),
        }
    };
    let v6 = matches!(block, IpNet::V6(_));
    let mut left = vec![range(&block)];
    for t in taken.iter().filter(|t| matches!(t, IpNet::V6(_)) == v6) {
        let (ts, te) = range(t);
        left = left
            .into_iter()
            .flat_map(|(s, e)| {
                if te < s || ts > e {
                    return vec![(s, e)];
                }
                let mut parts = Vec::new();
                if ts > s {
                    parts.push((s, ts - 1));
                }
                if te < e {
                    parts.push((te + 1, e));
                }
                parts
            })
            .collect();
    }
    left.into_iter()
        .flat_map(|(s, e)| -> Vec<IpNet> {
            if v6 {
                ipnet::Ipv6Subnets::new(s.into(), e.into(), 0).map(IpNet::V6).collect()
            } else {
                let (s, e) = (s as u32, e as u32);
                ipnet::Ipv4Subnets::new(s.into(), e.into(), 0).map(IpNet::V4).collect()
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_world_in_any_number_of_pieces_is_the_internet() {
        for world in [
            &["0.0.0.0/0"][..],
            &["::/0"],
            &["0.0.0.0/1", "128.0.0.0/1"],
            &["0.0.0.0/2", "64.0.0.0/2", "128.0.0.0/2", "192.0.0.0/2"],
            &["::/1", "8000::/1"],
            &["2000::/3"],
            &["3.0.0.0/8"],
            &["208.236.235.254/0"],
            &["2600::/16"],
        ] {
            assert!(is_internet(world.iter().copied()), "{world:?}");
        }
    }

    #[test]
    fn private_ranges_single_addresses_and_small_blocks_are_not() {
        for not in [
            &["10.0.0.0/8"][..],
            &["172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10"],
            &["203.0.113.7/32"],
            &["198.51.100.0/24", "8.8.8.0/24"],
            &["fc00::/7"],
            &["2001:db8::/32"],
            &["sg-0123456789"],
            &["3.0.0.0/9"],
        ] {
            assert!(!is_internet(not.iter().copied()), "{not:?}");
        }
        // Half a /8 twice is a /8.
        assert!(is_internet(["3.0.0.0/9", "3.128.0.0/9"]));
    }

    /// The Wazuh seed's response carries the same rule in Python: the same blocks.
    #[test]
    fn the_response_function_excludes_the_same_blocks() {
        let python = include_str!("../../blueprints/responses/close-admin-port/handler.py");
        for block in NOT_PUBLIC {
            assert!(python.contains(&format!("\"{block}\",")), "handler.py lacks {block}");
        }
        assert_eq!(python.matches("\",\n").count(), NOT_PUBLIC.len(), "handler.py lists other blocks");
    }

    #[test]
    fn an_acl_is_read_in_order_and_a_deny_first_closes_what_an_allow_after_opens() {
        let entry = |allow, protocol, from, to, cidr| AclIngress { allow, rule: Ingress { protocol, from, to, cidr } };
        let exposed = |entries: &[AclIngress<'_>]| -> Vec<(&str, &str, Vec<usize>)> {
            acl_admin_exposure(entries).into_iter().map(|(n, p, _, t)| (n, p, t)).collect()
        };
        // The reference lab's: admin ports denied before the ephemeral range is allowed.
        let reference = [
            entry(false, "tcp", 22, 22, "0.0.0.0/0"),
            entry(false, "tcp", 3389, 3389, "0.0.0.0/0"),
            entry(true, "-1", -1, -1, "10.60.0.0/16"),
            entry(true, "tcp", 1024, 65535, "0.0.0.0/0"),
        ];
        assert!(exposed(&reference).is_empty());
        // The ephemeral range holds 3389: without the deny, RDP is open through it.
        assert_eq!(exposed(&[reference[0], reference[3]]), [("RDP", "tcp", vec![1])]);
        // An allow before the deny decides first.
        assert_eq!(exposed(&[entry(true, "-1", -1, -1, "0.0.0.0/0"), reference[0]]).len(), 3);
        // A deny of half the world leaves the other half, which is still the internet...
        let half = [entry(false, "tcp", 22, 22, "0.0.0.0/1"), entry(true, "tcp", 0, 65535, "0.0.0.0/0")];
        assert_eq!(exposed(&half), [("SSH", "tcp", vec![1]), ("RDP", "tcp", vec![1])]);
        // ...and a world allowed in halves is the world.
        let halves = [entry(true, "tcp", 22, 22, "0.0.0.0/1"), entry(true, "6", 20, 30, "128.0.0.0/1")];
        assert_eq!(exposed(&halves), [("SSH", "tcp", vec![0, 1])]);
        // A deny of the whole world for another protocol closes nothing; a private block opens nothing.
        let other = [entry(false, "udp", 22, 22, "0.0.0.0/0"), entry(true, "tcp", 22, 22, "0.0.0.0/0")];
        assert_eq!(exposed(&other), [("SSH", "tcp", vec![1])]);
        assert!(exposed(&[entry(true, "-1", -1, -1, "10.0.0.0/8")]).is_empty());
        // IPv6 is judged the same way.
        assert_eq!(exposed(&[entry(true, "tcp", 3389, 3389, "::/0")]), [("RDP", "tcp", vec![0])]);
        assert!(exposed(&[entry(false, "-1", -1, -1, "::/0"), entry(true, "tcp", 3389, 3389, "::/0")]).is_empty());
    }

    #[test]
    fn rdp_over_udp_is_an_admin_port_and_ssh_over_udp_is_not() {
        let rule = |protocol, from, to, cidr| Ingress { protocol, from, to, cidr };
        let exposed = |rules: &[Ingress<'_>]| -> Vec<(&str, &str)> {
            admin_exposure(rules).into_iter().map(|(n, p, _, _)| (n, p)).collect()
        };
        assert_eq!(exposed(&[rule("udp", 3389, 3389, "0.0.0.0/0")]), [("RDP", "udp")]);
        assert!(exposed(&[rule("udp", 22, 22, "0.0.0.0/0")]).is_empty());
        assert_eq!(exposed(&[rule("-1", -1, -1, "::/0")]).len(), 3);
        let halves = [
            rule("tcp", 22, 22, "0.0.0.0/1"),
            rule("tcp", 20, 30, "128.0.0.0/1"),
            rule("tcp", 22, 22, "203.0.113.7/32"),
        ];
        assert_eq!(admin_exposure(&halves), vec![("SSH", "tcp", 22, vec![0, 1])]);
        assert!(exposed(&[rule("tcp", 443, 443, "0.0.0.0/0"), rule("tcp", 22, 22, "10.0.0.0/8")]).is_empty());
    }
}
