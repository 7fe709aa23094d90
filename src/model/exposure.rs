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

use std::net::{Ipv4Addr, Ipv6Addr};

use ipnet::{IpNet, Ipv4Net, Ipv6Net};

/// Public IPv4 addresses that make "the internet": a /8's worth.
pub const WIDE_V4: u128 = 1 << 24;
/// Public IPv6 addresses that make "the internet": a /16's worth.
pub const WIDE_V6: u128 = 1 << 112;

/// The admin services a rule must not open to the internet: (name, protocol, port). RDP
/// listens on UDP 3389 too; SSH has no UDP transport.
pub const ADMIN: [(&str, &str, u16); 3] = [("SSH", "tcp", 22), ("RDP", "tcp", 3389), ("RDP", "udp", 3389)];

/// IPv4 blocks that are not the public internet (RFC 6890 and friends).
const NOT_PUBLIC_V4: [(Ipv4Addr, u8); 13] = [
    (Ipv4Addr::new(0, 0, 0, 0), 8),
    (Ipv4Addr::new(10, 0, 0, 0), 8),
    (Ipv4Addr::new(100, 64, 0, 0), 10),
    (Ipv4Addr::new(127, 0, 0, 0), 8),
    (Ipv4Addr::new(169, 254, 0, 0), 16),
    (Ipv4Addr::new(172, 16, 0, 0), 12),
    (Ipv4Addr::new(192, 0, 0, 0), 24),
    (Ipv4Addr::new(192, 0, 2, 0), 24),
    (Ipv4Addr::new(192, 168, 0, 0), 16),
    (Ipv4Addr::new(198, 18, 0, 0), 15),
    (Ipv4Addr::new(198, 51, 100, 0), 24),
    (Ipv4Addr::new(203, 0, 113, 0), 24),
    (Ipv4Addr::new(224, 0, 0, 0), 3),
];

/// IPv6 blocks that are not the public internet: reserved (loopback, IPv4-mapped), unique
/// local, link-local, multicast, documentation.
const NOT_PUBLIC_V6: [(Ipv6Addr, u8); 5] = [
    (Ipv6Addr::new(0, 0, 0, 0, 0, 0, 0, 0), 8),
    (Ipv6Addr::new(0xfc00, 0, 0, 0, 0, 0, 0, 0), 7),
    (Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 0), 10),
    (Ipv6Addr::new(0xff00, 0, 0, 0, 0, 0, 0, 0), 8),
    (Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 0), 32),
];

/// How many public addresses a set of CIDR blocks reaches, IPv4 and IPv6 apart. Text that
/// is not a CIDR block (a security group id, a prefix list) reaches none.
pub fn public_addresses<'a>(cidrs: impl IntoIterator<Item = &'a str>) -> (u128, u128) {
    let (mut v4, mut v6) = (Vec::new(), Vec::new());
    for c in cidrs {
        match c.trim().parse::<IpNet>() {
            Ok(IpNet::V4(n)) => v4.push(n.trunc()),
            Ok(IpNet::V6(n)) => v6.push(n.trunc()),
            Err(_) => {}
        }
    }
    let size4 = |n: &Ipv4Net| 1u128 << (32 - n.prefix_len());
    let size6 = |n: &Ipv6Net| 1u128.checked_shl(128 - u32::from(n.prefix_len())).unwrap_or(u128::MAX);
    let mut public4 = 0u128;
    for n in Ipv4Net::aggregate(&v4) {
        let mut here = size4(&n);
        for (addr, len) in NOT_PUBLIC_V4 {
            let x = Ipv4Net::new(addr, len).expect("valid block");
            if n.contains(&x) {
                here -= size4(&x);
            } else if x.contains(&n) {
                here = 0;
            }
        }
        public4 += here;
    }
    // ::/0 has 2^128 addresses, one more than a u128 holds: sizes saturate, which changes
    // nothing at the thresholds.
    let mut public6 = 0u128;
    for n in Ipv6Net::aggregate(&v6) {
        let mut here = size6(&n);
        for (addr, len) in NOT_PUBLIC_V6 {
            let x = Ipv6Net::new(addr, len).expect("valid block");
            if n.contains(&x) {
                here = here.saturating_sub(size6(&x));
            } else if x.contains(&n) {
                here = 0;
            }
        }
        public6 = public6.saturating_add(here);
    }
    (public4, public6)
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
        let number = match protocol {
            "tcp" => "6",
            "udp" => "17",
            other => other,
        };
        let proto = self.protocol == "-1" || self.protocol == protocol || self.protocol == number;
        let port = i64::from(port);
        proto && (self.from < 0 || (self.from <= port && port <= self.to))
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
