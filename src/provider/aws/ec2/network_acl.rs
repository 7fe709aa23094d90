//! A network ACL with its numbered entries and subnet associations.
//!
//! A subnet is always in exactly one ACL (the VPC's default one until told otherwise), so
//! associating it is replacing its current association, and an ACL is deleted only after
//! its subnets are moved back to the default ACL. A new ACL gets its entries before its
//! subnets: they never pass through an ACL that denies everything. AWS's final rule of
//! each direction (32767, and 32768 for IPv6), which denies what no other matches, can be
//! neither changed nor removed and is left out of what socform reads.
//!
//! Only the lab's own subnets (those state records) are read as an ACL's: another's subnet
//! associated with it is not the lab's to move (and moto keeps a deleted subnet's
//! association, where AWS drops it). Only a delete moves another's subnet, to the VPC's
//! default ACL, as AWS requires before it deletes an ACL.
//!
//! The VPC's default ACL (`default: true`) came with the VPC and goes with it: socform sets
//! its entries and never deletes it (destroy puts AWS's allow-all entries back). It carries
//! no socform tags; only state's record of it proves it the lab's.

use aws_sdk_ec2::types::{IcmpTypeCode, NetworkAclEntry, PortRange, RuleAction};

use super::*;

pub(crate) struct NetworkAcl;

/// The lowest rule number AWS keeps for itself.
const AWS_FINAL_RULE: i32 = 32767;

/// The fields of an entry, set on a CreateNetworkAclEntry or ReplaceNetworkAclEntry call
/// (two builder types with the same setters).
macro_rules! entry_call {
    ($call:expr, $egress:expr, $e:expr) => {{
        let (protocol, ports, icmp) = wire($e);
        $call
            .egress($egress)
            .rule_number($e.number)
            .rule_action(action($e))
            .protocol(protocol)
            .set_port_range(ports)
            .set_icmp_type_code(icmp)
            .set_cidr_block($e.cidr_ipv4.clone())
            .set_ipv6_cidr_block($e.cidr_ipv6.clone())
    }};
}

#[async_trait]
impl KindApi for NetworkAcl {
    async fn create(&self, aws: &AwsProvider, req: Request<'_>) -> Result<Applied, ProviderError> {
        let a = req.address;
        let v: s::NetworkAcl = spec(a, req.attrs)?;
        if v.default {
            let acl = aws.default_network_acl(&v.vpc_id).await?;
            let id = acl.network_acl_id().unwrap_or_default().to_string();
            let (ingress, egress) = entries_of(&acl);
            aws.acl_entries(&id, (&ingress, &egress), (&v.ingress, &v.egress)).await?;
            return Ok(applied(&id, req.attrs, outputs(&[("id", &id)])));
        }
        let out = aws
            .ec2
            .create_network_acl()
            .vpc_id(&v.vpc_id)
            .tag_specifications(tag_spec(ResourceType::NetworkAcl, &aws.tags(&req, &v.tags)))
            .send()
            .await
            .aws()?;
        let id = out.network_acl().and_then(|n| n.network_acl_id()).unwrap_or_default().to_string();
        aws.acl_entries(&id, (&[], &[]), (&v.ingress, &v.egress)).await?;
        aws.move_subnets(&id, &v.subnet_ids).await?;
        Ok(applied(&id, req.attrs, outputs(&[("id", &id)])))
    }

    async fn update(&self, aws: &AwsProvider, c: Change<'_>) -> Result<Applied, ProviderError> {
        let Change { req, id, before } = c;
        let v: s::NetworkAcl = spec(req.address, req.attrs)?;
        // What the ACL holds now, not what state last recorded: entries changed by hand are
        // put back, and an association moved by hand is moved again.
        let live = aws.network_acl(id).await?;
        let (ingress, egress) = entries_of(&live);
        aws.acl_entries(id, (&ingress, &egress), (&v.ingress, &v.egress)).await?;
        if v.default {
            // Its subnets are those the other ACLs leave: they move, not it.
            return Ok(applied(id, req.attrs, outputs(&[("id", id)])));
        }
        aws.move_subnets(id, &v.subnet_ids).await?;
        // The lab's subnets it held, as refresh read them, that it no longer should.
        let held: Vec<String> =
            before.get("subnet_ids").and_then(|v| serde_json::from_value(v.clone()).ok()).unwrap_or_default();
        let leaving: Vec<String> = held.into_iter().filter(|s| !v.subnet_ids.contains(s)).collect();
        if !leaving.is_empty() {
            let default = aws.default_network_acl(&v.vpc_id).await?;
            aws.move_subnets(default.network_acl_id().unwrap_or_default(), &leaving).await?;
        }
        Ok(applied(id, req.attrs, outputs(&[("id", id)])))
    }

    async fn delete(&self, aws: &AwsProvider, d: Doomed<'_>) -> Result<(), ProviderError> {
        let Doomed { address, id, attrs } = d;
        if attrs.get("default").and_then(serde_json::Value::as_bool) == Some(true) {
            // Never deleted: AWS's own entries are put back.
            return match aws.network_acl(id).await {
                Ok(live) => {
                    let (ingress, egress) = entries_of(&live);
                    let aws_own = [s::AclEntry {
                        number: 100,
                        action: s::AclAction::Allow,
                        protocol: "-1".into(),
                        from_port: -1,
                        to_port: -1,
                        cidr_ipv4: Some("0.0.0.0/0".into()),
                        cidr_ipv6: None,
                    }];
                    aws.acl_entries(id, (&ingress, &egress), (&aws_own, &aws_own)).await
                }
                // Gone with its VPC.
                Err(ProviderError::NotFound(_)) => Ok(()),
                Err(e) => Err(e),
            };
        }
        if let Ok(live) = aws.network_acl(id).await {
            let subnets = subnets_of(&live);
            if !subnets.is_empty() {
                let default = aws.default_network_acl(live.vpc_id().unwrap_or_default()).await?;
                aws.move_subnets(default.network_acl_id().unwrap_or_default(), &subnets).await?;
            }
        }
        aws.delete_patiently(address, id, || async {
            aws.ec2.delete_network_acl().network_acl_id(id).send().await.aws().map(|_| ())
        })
        .await
    }

    async fn list(&self, aws: &AwsProvider, at: &Listing<'_>) -> Result<Listed, ProviderError> {
        let mut found = BTreeMap::new();
        let subnets: Vec<&str> =
            at.state.resources.values().filter(|r| r.kind == Kind::Subnet).map(|r| r.id.as_str()).collect();
        let mut pages = aws.ec2.describe_network_acls().into_paginator().send();
        while let Some(page) = pages.next().await {
            for acl in page.aws()?.network_acls() {
                let default = acl.is_default().unwrap_or(false);
                let id = acl.network_acl_id().unwrap_or_default();
                let (ingress, egress) = entries_of(acl);
                let mut read = Attrs::new();
                read.insert("vpc_id".into(), json!(acl.vpc_id().unwrap_or_default()));
                read.insert("default".into(), json!(default));
                read.insert("ingress".into(), serde_json::to_value(ingress).expect("entries serialise"));
                read.insert("egress".into(), serde_json::to_value(egress).expect("entries serialise"));
                let held: Vec<String> = subnets_of(acl).into_iter().filter(|s| subnets.contains(&s.as_str())).collect();
                read.insert("subnet_ids".into(), json!(held));
                if default {
                    // A VPC's default ACL comes with the VPC: tags never make it the lab's
                    // (`put` would read them as proof); state's record of it does, or nothing
                    // (a create cut short is made again: it only sets entries).
                    let Some(r) = at.record(Kind::NetworkAcl, id) else { continue };
                    read.insert("tags".into(), user_tags(ec2_tags(acl.tags())));
                    found.insert(id.to_string(), (None, live(r, id, read, outputs(&[("id", id)]))));
                    continue;
                }
                put(at, &mut found, Kind::NetworkAcl, id, acl.tags(), read);
            }
        }
        Ok(Listed::of(Kind::NetworkAcl, found))
    }

    async fn tag_target(&self, aws: &AwsProvider, id: &str) -> Result<Option<TagTarget>, ProviderError> {
        // The default ACL is never tagged (see the module's comment).
        let default = aws.network_acl(id).await?.is_default().unwrap_or(false);
        Ok((!default).then(|| TagTarget::Ec2(vec![id.to_string()])))
    }
}

impl AwsProvider {
    async fn network_acl(&self, id: &str) -> Result<aws_sdk_ec2::types::NetworkAcl, ProviderError> {
        let out = self.ec2.describe_network_acls().network_acl_ids(id).send().await.aws()?;
        out.network_acls().first().cloned().ok_or_else(|| ProviderError::NotFound(id.to_string()))
    }

    /// The VPC's default ACL: where a subnet goes when it leaves one of socform's.
    async fn default_network_acl(&self, vpc_id: &str) -> Result<aws_sdk_ec2::types::NetworkAcl, ProviderError> {
        let out = self
            .ec2
            .describe_network_acls()
            .filters(Filter::builder().name("vpc-id").values(vpc_id).build())
            .filters(Filter::builder().name("default").values("true").build())
            .send()
            .await
            .aws()?;
        out.network_acls()
            .iter()
            .find(|n| n.is_default().unwrap_or(false) && n.vpc_id() == Some(vpc_id))
            .cloned()
            .ok_or_else(|| ProviderError::NotFound(format!("the default network ACL of {vpc_id}")))
    }

    /// Moves each subnet to ACL `to` (replacing its one association), where it is not there
    /// already: one DescribeNetworkAcls for them all, then a call per subnet that moves. A
    /// subnet made seconds ago may not show its association yet: waited out.
    async fn move_subnets(&self, to: &str, subnets: &[String]) -> Result<(), ProviderError> {
        if subnets.is_empty() {
            return Ok(());
        }
        self.settle("ReplaceNetworkAclAssociation", SETTLE, || async {
            let out = self
                .ec2
                .describe_network_acls()
                .filters(Filter::builder().name("association.subnet-id").set_values(Some(subnets.to_vec())).build())
                .send()
                .await
                .aws()?;
            // Subnet -> (its ACL, the association's id).
            let current: BTreeMap<&str, (&str, &str)> = out
                .network_acls()
                .iter()
                .flat_map(|n| {
                    n.associations().iter().filter_map(move |a| {
                        Some((a.subnet_id()?, (n.network_acl_id()?, a.network_acl_association_id()?)))
                    })
                })
                .collect();
            for subnet in subnets {
                let Some((acl, association)) = current.get(subnet.as_str()) else {
                    return Err(ProviderError::NotYetConsistent(format!(
                        "subnet {subnet} shows no network ACL association yet"
                    )));
                };
                if *acl != to {
                    self.ec2
                        .replace_network_acl_association()
                        .association_id(*association)
                        .network_acl_id(to)
                        .send()
                        .await
                        .aws()?;
                }
            }
            Ok(())
        })
        .await
    }

    /// Makes ACL `id`'s entries `want` from `have` (ingress, egress): changed numbers are
    /// replaced in place and new ones created before any is deleted, so that no moment lets
    /// in more than either side does.
    async fn acl_entries(
        &self,
        id: &str,
        have: (&[s::AclEntry], &[s::AclEntry]),
        want: (&[s::AclEntry], &[s::AclEntry]),
    ) -> Result<(), ProviderError> {
        for (egress, have, want) in [(false, have.0, want.0), (true, have.1, want.1)] {
            for e in want {
                match have.iter().find(|h| h.number == e.number) {
                    Some(h) if h == e => {}
                    Some(_) => {
                        let call = self.ec2.replace_network_acl_entry().network_acl_id(id);
                        entry_call!(call, egress, e).send().await.aws()?;
                    }
                    None => {
                        self.settle("CreateNetworkAclEntry", SETTLE, || async {
                            let call = self.ec2.create_network_acl_entry().network_acl_id(id);
                            entry_call!(call, egress, e).send().await.aws().map(|_| ())
                        })
                        .await?;
                    }
                }
            }
            for h in have.iter().filter(|h| !want.iter().any(|e| e.number == h.number)) {
                self.ec2
                    .delete_network_acl_entry()
                    .network_acl_id(id)
                    .egress(egress)
                    .rule_number(h.number)
                    .send()
                    .await
                    .aws()?;
            }
        }
        Ok(())
    }
}

fn action(e: &s::AclEntry) -> RuleAction {
    match e.action {
        s::AclAction::Allow => RuleAction::Allow,
        s::AclAction::Deny => RuleAction::Deny,
    }
}

/// The protocol number, port range and ICMP type and code the API takes for an entry.
fn wire(e: &s::AclEntry) -> (String, Option<PortRange>, Option<IcmpTypeCode>) {
    let number = s::protocol_number(&e.protocol);
    let ports = (e.from_port >= 0).then(|| PortRange::builder().from(e.from_port).to(e.to_port).build());
    // AWS requires a type and code for ICMP entries: every type, every code.
    let icmp = matches!(number, "1" | "58").then(|| IcmpTypeCode::builder().r#type(-1).code(-1).build());
    (number.to_string(), ports, icmp)
}

/// An entry as AWS reports it, written as the blueprint writes it.
fn entry_of(e: &NetworkAclEntry) -> Option<s::AclEntry> {
    let number = e.rule_number()?;
    if number >= AWS_FINAL_RULE {
        return None;
    }
    let protocol = s::protocol_name(e.protocol().unwrap_or("-1")).to_string();
    let takes_ports = protocol == "tcp" || protocol == "udp";
    let (from_port, to_port) = match e.port_range() {
        Some(p) if takes_ports => (p.from().unwrap_or(-1), p.to().unwrap_or(-1)),
        _ => (-1, -1),
    };
    Some(s::AclEntry {
        number,
        action: if e.rule_action() == Some(&RuleAction::Deny) { s::AclAction::Deny } else { s::AclAction::Allow },
        protocol,
        from_port,
        to_port,
        cidr_ipv4: e.cidr_block().map(str::to_string),
        cidr_ipv6: e.ipv6_cidr_block().map(str::to_string),
    })
}

/// An ACL's entries (ingress, egress), sorted by number, AWS's final rules left out.
fn entries_of(acl: &aws_sdk_ec2::types::NetworkAcl) -> (Vec<s::AclEntry>, Vec<s::AclEntry>) {
    let (mut ingress, mut egress) = (Vec::new(), Vec::new());
    for e in acl.entries() {
        if let Some(entry) = entry_of(e) {
            if e.egress().unwrap_or(false) {
                egress.push(entry);
            } else {
                ingress.push(entry);
            }
        }
    }
    ingress.sort_by_key(|e| e.number);
    egress.sort_by_key(|e| e.number);
    (ingress, egress)
}

/// The subnets an ACL applies to, sorted.
fn subnets_of(acl: &aws_sdk_ec2::types::NetworkAcl) -> Vec<String> {
    let mut v: Vec<String> = acl.associations().iter().filter_map(|a| a.subnet_id().map(str::to_string)).collect();
    v.sort();
    v
}
