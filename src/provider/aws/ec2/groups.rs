//! EC2: Security groups and their rules: a rule's wire forms, and finding one by its content.

use super::*;

impl AwsProvider {
    pub(super) async fn find_rule(&self, v: &s::SecurityGroupRule) -> Result<Option<String>, ProviderError> {
        let out = self
            .ec2
            .describe_security_group_rules()
            .filters(Filter::builder().name("group-id").values(&v.group_id).build())
            .send()
            .await
            .aws()?;
        Ok(out
            .security_group_rules()
            .iter()
            .find(|r| rule_spec(r).as_ref() == Some(v))
            .and_then(|r| r.security_group_rule_id().map(str::to_string)))
    }
}

pub(super) fn permission(v: &s::SecurityGroupRule) -> IpPermission {
    let mut p = IpPermission::builder().ip_protocol(&v.protocol);
    if v.protocol != "-1" {
        p = p.from_port(v.from_port).to_port(v.to_port);
    }
    if let Some(c) = &v.cidr_ipv4 {
        p = p.ip_ranges(IpRange::builder().cidr_ip(c).set_description(v.description.clone()).build());
    }
    if let Some(c) = &v.cidr_ipv6 {
        p = p.ipv6_ranges(Ipv6Range::builder().cidr_ipv6(c).set_description(v.description.clone()).build());
    }
    if let Some(g) = &v.peer_group_id {
        p = p
            .user_id_group_pairs(UserIdGroupPair::builder().group_id(g).set_description(v.description.clone()).build());
    }
    p.build()
}

pub(super) fn request_of(v: &s::SecurityGroupRule) -> aws_sdk_ec2::types::SecurityGroupRuleRequest {
    aws_sdk_ec2::types::SecurityGroupRuleRequest::builder()
        .ip_protocol(&v.protocol)
        .from_port(v.from_port)
        .to_port(v.to_port)
        .set_cidr_ipv4(v.cidr_ipv4.clone())
        .set_cidr_ipv6(v.cidr_ipv6.clone())
        .set_referenced_group_id(v.peer_group_id.clone())
        .set_description(v.description.clone())
        .build()
}

/// A rule as socform describes it; `None` for rules of kinds socform does not make (prefix
/// lists).
pub(super) fn rule_spec(r: &aws_sdk_ec2::types::SecurityGroupRule) -> Option<s::SecurityGroupRule> {
    let protocol = r.ip_protocol().unwrap_or("-1").to_string();
    let all = protocol == "-1";
    let peer = r.referenced_group_info().and_then(|g| g.group_id()).map(str::to_string);
    if r.prefix_list_id().is_some() {
        return None;
    }
    Some(s::SecurityGroupRule {
        group_id: r.group_id().unwrap_or_default().to_string(),
        direction: if r.is_egress().unwrap_or(false) { s::Direction::Egress } else { s::Direction::Ingress },
        protocol,
        from_port: if all { -1 } else { r.from_port().unwrap_or(-1) },
        to_port: if all { -1 } else { r.to_port().unwrap_or(-1) },
        cidr_ipv4: r.cidr_ipv4().map(str::to_string),
        cidr_ipv6: r.cidr_ipv6().map(str::to_string),
        peer_group_id: peer,
        description: r.description().filter(|d| !d.is_empty()).map(str::to_string),
    })
}
