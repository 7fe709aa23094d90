//! A security group. Listed with its rules (one DescribeSecurityGroups, one
//! DescribeSecurityGroupRules).

use super::*;

pub(crate) struct SecurityGroup;

#[async_trait]
impl KindApi for SecurityGroup {
    async fn create(&self, aws: &AwsProvider, req: Request<'_>) -> Result<Applied, ProviderError> {
        let a = req.address;
        let v: s::SecurityGroup = spec(a, req.attrs)?;
        let out = aws
            .ec2
            .create_security_group()
            .group_name(&v.group_name)
            .description(&v.description)
            .vpc_id(&v.vpc_id)
            .tag_specifications(tag_spec(ResourceType::SecurityGroup, &aws.tags(&req, &v.tags)))
            .send()
            .await
            .aws()?;
        let id = out.group_id().unwrap_or_default().to_string();
        // socform manages every rule itself, AWS's default egress rule included.
        let _ = aws
            .ec2
            .revoke_security_group_egress()
            .group_id(&id)
            .ip_permissions(
                IpPermission::builder()
                    .ip_protocol("-1")
                    .ip_ranges(IpRange::builder().cidr_ip("0.0.0.0/0").build())
                    .build(),
            )
            .send()
            .await;
        Ok(applied(&id, req.attrs, outputs(&[("id", &id)])))
    }

    async fn update(&self, _aws: &AwsProvider, c: Change<'_>) -> Result<Applied, ProviderError> {
        let Change { req, id, .. } = c;
        Ok(applied(id, req.attrs, outputs(&[("id", id)])))
    }

    async fn delete(&self, aws: &AwsProvider, d: Doomed<'_>) -> Result<(), ProviderError> {
        let Doomed { address, id, .. } = d;
        aws.delete_patiently(address, id, || async {
            aws.ec2.delete_security_group().group_id(id).send().await.aws().map(|_| ())
        })
        .await
    }

    async fn list(&self, aws: &AwsProvider, at: &Listing<'_>) -> Result<Listed, ProviderError> {
        let (blueprint, state) = (at.blueprint, at.state);
        let mut listed = Listed::default();
        // Security groups
        let mut found = BTreeMap::new();
        let mut pages = aws.ec2.describe_security_groups().into_paginator().send();
        while let Some(page) = pages.next().await {
            for g in page.aws()?.security_groups() {
                let id = g.group_id().unwrap_or_default();
                let mut read = Attrs::new();
                read.insert("group_name".into(), json!(g.group_name().unwrap_or_default()));
                read.insert("description".into(), json!(g.description().unwrap_or_default()));
                read.insert("vpc_id".into(), json!(g.vpc_id().unwrap_or_default()));
                put(at, &mut found, Kind::SecurityGroup, id, g.tags(), read);
            }
        }
        // The groups this state owns, by id, with their address's name: in state, or proven
        // by their tags for an address state does not hold (what refresh will adopt; a second
        // group tagged for one address is a duplicate, and not the owner of rules).
        let mut owned_groups: BTreeMap<String, String> = BTreeMap::new();
        let mut adopted = std::collections::BTreeSet::new();
        for (id, (addr, _)) in &found {
            let known = state.resources.iter().find(|(_, r)| r.kind == Kind::SecurityGroup && &r.id == id);
            match (known, addr) {
                (Some((a, _)), _) => {
                    owned_groups.insert(id.clone(), a.name().to_string());
                }
                (None, Some(a)) if !state.resources.contains_key(a) && adopted.insert(a.clone()) => {
                    owned_groups.insert(id.clone(), a.name().to_string());
                }
                _ => {}
            }
        }
        listed.found.insert(Kind::SecurityGroup, found);

        // Security group rules: every rule of every group, one call.
        let mut found = BTreeMap::new();
        let mut pages = aws.ec2.describe_security_group_rules().into_paginator().send();
        while let Some(page) = pages.next().await {
            for rule in page.aws()?.security_group_rules() {
                let id = rule.security_group_rule_id().unwrap_or_default();
                let addr = owned(blueprint, &state.lineage, ec2_tags(rule.tags()));
                let Some(v) = rule_spec(rule) else { continue };
                let read = s::to_attrs(&v);
                // AWS's own allow-all egress rule (untagged) on a group this state owns:
                // socform revokes it right after CreateSecurityGroup, so it is there only
                // when that step never ran (the create's answer was lost, or the run died).
                // It is planned for deletion like a duplicate: socform manages every rule of
                // its groups, and a blueprint that wants all egress has its own tagged rule.
                let aws_default = addr.is_none()
                    && rule.is_egress() == Some(true)
                    && rule.ip_protocol() == Some("-1")
                    && rule.cidr_ipv4() == Some("0.0.0.0/0")
                    && rule.tags().is_empty();
                if let Some(group) = rule.group_id().and_then(|g| owned_groups.get(g)).filter(|_| aws_default) {
                    let a = Address::new(Kind::SecurityGroupRule, format!("{group}:egress:aws-default"));
                    listed.duplicates.push((
                        a,
                        crate::state::LiveResource {
                            id: id.to_string(),
                            attributes: read,
                            outputs: outputs(&[("id", id)]),
                        },
                    ));
                    continue;
                }
                let r = record(at, Kind::SecurityGroupRule, &addr, id);
                found.insert(id.to_string(), (addr, live(&r, id, read, outputs(&[("id", id)]))));
            }
        }
        listed.found.insert(Kind::SecurityGroupRule, found);
        Ok(listed)
    }

    async fn tag_target(&self, _aws: &AwsProvider, id: &str) -> Result<Option<TagTarget>, ProviderError> {
        Ok(Some(TagTarget::Ec2(vec![id.to_string()])))
    }
}
