//! EC2 and VPC: VPCs, subnets, internet gateways, route tables, security groups and their
//! rules, instances, flow logs.

mod groups;
mod instances;
mod network;

use groups::{permission, request_of, rule_spec};
use network::{associations_of, routes_of};

use std::collections::BTreeMap;
use std::time::Duration;

use aws_sdk_ec2::client::Waiters;
use aws_sdk_ec2::types::{
    AttributeBooleanValue, BlockDeviceMapping, EbsBlockDevice, Filter, HttpTokensState,
    IamInstanceProfileSpecification, InstanceMetadataOptionsRequest, InstanceNetworkInterfaceSpecification,
    IpPermission, IpRange, Ipv6Range, LogDestinationType, ResourceType, Tag, TagSpecification, UserIdGroupPair,
};
use base64::Engine;
use serde_json::json;
use sha2::{Digest, Sha256};

use super::{
    blank, live, of_kind, outputs, owned, removed_tag_keys, spec, user_tags, AwsProvider, Classify, Part, Want, SETTLE,
};
use crate::address::Address;
use crate::model::spec as s;
use crate::model::{Attrs, Kind};
use crate::provider::{Applied, ProviderError, Request};
use crate::state::State;

fn tag_spec(kind: ResourceType, tags: &[(String, String)]) -> TagSpecification {
    TagSpecification::builder()
        .resource_type(kind)
        .set_tags(Some(tags.iter().map(|(k, v)| Tag::builder().key(k).value(v).build()).collect()))
        .build()
}

fn ec2_tags(tags: &[Tag]) -> impl Iterator<Item = (&str, &str)> {
    tags.iter().map(|t| (t.key().unwrap_or(""), t.value().unwrap_or("")))
}

fn applied(id: &str, attrs: &Attrs, outs: BTreeMap<String, String>) -> Applied {
    Applied { id: id.to_string(), attributes: attrs.clone(), outputs: outs }
}

/// How long to wait for an instance to run or terminate.
const INSTANCE_WAIT: Duration = Duration::from_secs(600);

impl AwsProvider {
    pub(super) async fn create_ec2(&self, req: Request<'_>) -> Result<Applied, ProviderError> {
        let a = req.address;
        match a.kind() {
            Kind::Vpc => {
                let v: s::Vpc = spec(a, req.attrs)?;
                let out = self
                    .ec2
                    .create_vpc()
                    .cidr_block(&v.cidr_block)
                    .tag_specifications(tag_spec(ResourceType::Vpc, &self.tags(&req, &v.tags)))
                    .send()
                    .await
                    .aws()?;
                let id = out.vpc().and_then(|v| v.vpc_id()).unwrap_or_default().to_string();
                self.vpc_dns(&id, v.enable_dns_support, v.enable_dns_hostnames).await?;
                Ok(applied(&id, req.attrs, outputs(&[("id", &id)])))
            }
            Kind::Subnet => {
                let v: s::Subnet = spec(a, req.attrs)?;
                let out = self
                    .settle("CreateSubnet", SETTLE, || async {
                        self.ec2
                            .create_subnet()
                            .vpc_id(&v.vpc_id)
                            .cidr_block(&v.cidr_block)
                            .availability_zone(&v.availability_zone)
                            .tag_specifications(tag_spec(ResourceType::Subnet, &self.tags(&req, &v.tags)))
                            .send()
                            .await
                            .aws()
                    })
                    .await?;
                let id = out.subnet().and_then(|s| s.subnet_id()).unwrap_or_default().to_string();
                if v.map_public_ip_on_launch {
                    self.subnet_public(&id, true).await?;
                }
                Ok(applied(&id, req.attrs, outputs(&[("id", &id)])))
            }
            Kind::InternetGateway => {
                let v: s::InternetGateway = spec(a, req.attrs)?;
                let out = self
                    .ec2
                    .create_internet_gateway()
                    .tag_specifications(tag_spec(ResourceType::InternetGateway, &self.tags(&req, &v.tags)))
                    .send()
                    .await
                    .aws()?;
                let id = out.internet_gateway().and_then(|g| g.internet_gateway_id()).unwrap_or_default().to_string();
                self.ec2.attach_internet_gateway().internet_gateway_id(&id).vpc_id(&v.vpc_id).send().await.aws()?;
                Ok(applied(&id, req.attrs, outputs(&[("id", &id)])))
            }
            Kind::RouteTable => {
                let v: s::RouteTable = spec(a, req.attrs)?;
                let out = self
                    .ec2
                    .create_route_table()
                    .vpc_id(&v.vpc_id)
                    .tag_specifications(tag_spec(ResourceType::RouteTable, &self.tags(&req, &v.tags)))
                    .send()
                    .await
                    .aws()?;
                let id = out.route_table().and_then(|r| r.route_table_id()).unwrap_or_default().to_string();
                for r in &v.routes {
                    self.add_route(&id, r).await?;
                }
                for subnet in &v.subnet_ids {
                    self.associate(&id, subnet).await?;
                }
                Ok(applied(&id, req.attrs, outputs(&[("id", &id)])))
            }
            Kind::SecurityGroup => {
                let v: s::SecurityGroup = spec(a, req.attrs)?;
                let out = self
                    .ec2
                    .create_security_group()
                    .group_name(&v.group_name)
                    .description(&v.description)
                    .vpc_id(&v.vpc_id)
                    .tag_specifications(tag_spec(ResourceType::SecurityGroup, &self.tags(&req, &v.tags)))
                    .send()
                    .await
                    .aws()?;
                let id = out.group_id().unwrap_or_default().to_string();
                // socform manages every rule itself, AWS's default egress rule included.
                let _ = self
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
            Kind::SecurityGroupRule => {
                let v: s::SecurityGroupRule = spec(a, req.attrs)?;
                let perm = permission(&v);
                let tags = tag_spec(ResourceType::SecurityGroupRule, &self.tags(&req, &BTreeMap::new()));
                let rule_id = self
                    .settle("AuthorizeSecurityGroupRule", SETTLE, || async {
                        let ids: Vec<String> = match v.direction {
                            s::Direction::Ingress => self
                                .ec2
                                .authorize_security_group_ingress()
                                .group_id(&v.group_id)
                                .ip_permissions(perm.clone())
                                .tag_specifications(tags.clone())
                                .send()
                                .await
                                .aws()?
                                .security_group_rules()
                                .iter()
                                .filter_map(|r| r.security_group_rule_id().map(str::to_string))
                                .collect(),
                            s::Direction::Egress => self
                                .ec2
                                .authorize_security_group_egress()
                                .group_id(&v.group_id)
                                .ip_permissions(perm.clone())
                                .tag_specifications(tags.clone())
                                .send()
                                .await
                                .aws()?
                                .security_group_rules()
                                .iter()
                                .filter_map(|r| r.security_group_rule_id().map(str::to_string))
                                .collect(),
                        };
                        Ok(ids)
                    })
                    .await?;
                let id = match rule_id.first() {
                    Some(id) => id.clone(),
                    None => self
                        .find_rule(&v)
                        .await?
                        .ok_or_else(|| ProviderError::Fatal(format!("{a}: AWS reported no rule id")))?,
                };
                Ok(applied(&id, req.attrs, outputs(&[("id", &id)])))
            }
            Kind::Instance => self.run_instance(req).await,
            Kind::FlowLog => {
                let v: s::FlowLog = spec(a, req.attrs)?;
                let out = self
                    .settle("CreateFlowLogs", SETTLE, || async {
                        self.ec2
                            .create_flow_logs()
                            .resource_ids(&v.resource_id)
                            .resource_type(aws_sdk_ec2::types::FlowLogsResourceType::Vpc)
                            .traffic_type(v.traffic_type.as_str().into())
                            .log_destination_type(LogDestinationType::CloudWatchLogs)
                            .log_group_name(&v.log_group_name)
                            .deliver_logs_permission_arn(&v.deliver_logs_permission_arn)
                            .max_aggregation_interval(v.max_aggregation_interval)
                            .tag_specifications(tag_spec(ResourceType::VpcFlowLog, &self.tags(&req, &v.tags)))
                            .send()
                            .await
                            .aws()
                    })
                    .await?;
                if let Some(u) = out.unsuccessful().first() {
                    let m = u.error().and_then(|e| e.message()).unwrap_or("unknown error");
                    return Err(ProviderError::Fatal(format!("CreateFlowLogs: {m}")));
                }
                let id = out.flow_log_ids().first().cloned().unwrap_or_default();
                Ok(applied(&id, req.attrs, outputs(&[("id", &id)])))
            }
            _ => unreachable!("not an EC2 kind"),
        }
    }

    pub(super) async fn update_ec2(
        &self,
        req: Request<'_>,
        id: &str,
        before: &Attrs,
    ) -> Result<Applied, ProviderError> {
        let a = req.address;
        let changed = |k: &str| before.get(k) != req.attrs.get(k);
        let mut outs = outputs(&[("id", id)]);
        match a.kind() {
            Kind::Vpc => {
                let v: s::Vpc = spec(a, req.attrs)?;
                if changed("enable_dns_support") || changed("enable_dns_hostnames") {
                    self.vpc_dns(id, v.enable_dns_support, v.enable_dns_hostnames).await?;
                }
            }
            Kind::Subnet => {
                let v: s::Subnet = spec(a, req.attrs)?;
                if changed("map_public_ip_on_launch") {
                    self.subnet_public(id, v.map_public_ip_on_launch).await?;
                }
            }
            Kind::RouteTable => {
                let v: s::RouteTable = spec(a, req.attrs)?;
                // A re-tag (`socform apply --expires-in`, import, state rm) marks the old
                // tags unknown (null): the routes it had are still the routes it has, and
                // adding them again fails with RouteAlreadyExists.
                let mut known = before.clone();
                if known.get("tags").is_some_and(serde_json::Value::is_null) {
                    known.insert("tags".into(), json!({}));
                }
                let old: s::RouteTable = spec(a, &known).unwrap_or(s::RouteTable {
                    vpc_id: String::new(),
                    routes: vec![],
                    subnet_ids: vec![],
                    tags: Default::default(),
                });
                for r in old.routes.iter().filter(|r| !v.routes.contains(r)) {
                    self.ec2
                        .delete_route()
                        .route_table_id(id)
                        .destination_cidr_block(&r.destination_cidr_block)
                        .send()
                        .await
                        .aws()?;
                }
                for r in v.routes.iter().filter(|r| !old.routes.contains(r)) {
                    self.add_route(id, r).await?;
                }
                let (_, assocs) = self.route_table_state(id).await?;
                for (subnet, assoc) in &assocs {
                    if !v.subnet_ids.contains(subnet) {
                        self.ec2.disassociate_route_table().association_id(assoc).send().await.aws()?;
                    }
                }
                for subnet in v.subnet_ids.iter().filter(|s| !assocs.contains_key(*s)) {
                    self.associate(id, subnet).await?;
                }
            }
            Kind::SecurityGroupRule => {
                let v: s::SecurityGroupRule = spec(a, req.attrs)?;
                self.ec2
                    .modify_security_group_rules()
                    .group_id(&v.group_id)
                    .security_group_rules(
                        aws_sdk_ec2::types::SecurityGroupRuleUpdate::builder()
                            .security_group_rule_id(id)
                            .security_group_rule(request_of(&v))
                            .build(),
                    )
                    .send()
                    .await
                    .aws()?;
            }
            Kind::Instance => {
                let v: s::Instance = spec(a, req.attrs)?;
                if changed("security_group_ids") {
                    self.ec2
                        .modify_instance_attribute()
                        .instance_id(id)
                        .set_groups(Some(v.security_group_ids.clone()))
                        .send()
                        .await
                        .aws()?;
                }
                if changed("require_imdsv2") {
                    self.ec2
                        .modify_instance_metadata_options()
                        .instance_id(id)
                        .http_tokens(if v.require_imdsv2 {
                            HttpTokensState::Required
                        } else {
                            HttpTokensState::Optional
                        })
                        .send()
                        .await
                        .aws()?;
                }
                if changed("iam_instance_profile") {
                    let current = self
                        .ec2
                        .describe_iam_instance_profile_associations()
                        .filters(Filter::builder().name("instance-id").values(id).build())
                        .send()
                        .await
                        .aws()?;
                    let assoc = current
                        .iam_instance_profile_associations()
                        .first()
                        .and_then(|x| x.association_id())
                        .map(str::to_string);
                    match (&v.iam_instance_profile, assoc) {
                        (Some(p), Some(assoc)) => {
                            self.ec2
                                .replace_iam_instance_profile_association()
                                .association_id(assoc)
                                .iam_instance_profile(IamInstanceProfileSpecification::builder().name(p).build())
                                .send()
                                .await
                                .aws()?;
                        }
                        (Some(p), None) => {
                            self.ec2
                                .associate_iam_instance_profile()
                                .instance_id(id)
                                .iam_instance_profile(IamInstanceProfileSpecification::builder().name(p).build())
                                .send()
                                .await
                                .aws()?;
                        }
                        (None, Some(assoc)) => {
                            self.ec2.disassociate_iam_instance_profile().association_id(assoc).send().await.aws()?;
                        }
                        (None, None) => {}
                    }
                }
                outs = BTreeMap::new();
            }
            _ => {}
        }
        if changed("tags") {
            let mut ids = vec![id.to_string()];
            if a.kind() == Kind::Instance {
                // The volumes were tagged with the instance at launch; they follow its tags.
                ids.extend(self.instance_volumes(id).await?);
            }
            self.retag(&ids, &req, before).await?;
        }
        let mut result = applied(id, req.attrs, outs);
        if a.kind() == Kind::Instance {
            // Outputs of an instance do not change on update; keep what refresh reads.
            result.outputs = BTreeMap::new();
        }
        Ok(result)
    }

    pub(super) async fn delete_ec2(&self, address: &Address, id: &str, attrs: &Attrs) -> Result<(), ProviderError> {
        match address.kind() {
            Kind::Vpc => {
                self.delete_patiently(address, id, || async {
                    self.ec2.delete_vpc().vpc_id(id).send().await.aws().map(|_| ())
                })
                .await
            }
            Kind::Subnet => {
                self.delete_patiently(address, id, || async {
                    self.ec2.delete_subnet().subnet_id(id).send().await.aws().map(|_| ())
                })
                .await
            }
            Kind::InternetGateway => {
                if let Some(vpc) = attrs.get("vpc_id").and_then(|v| v.as_str()) {
                    match self.ec2.detach_internet_gateway().internet_gateway_id(id).vpc_id(vpc).send().await.aws() {
                        Ok(_) | Err(ProviderError::NotFound(_)) => {}
                        Err(ProviderError::Fatal(m)) if m.contains("Gateway.NotAttached") => {}
                        Err(e) => return Err(e),
                    }
                }
                self.delete_patiently(address, id, || async {
                    self.ec2.delete_internet_gateway().internet_gateway_id(id).send().await.aws().map(|_| ())
                })
                .await
            }
            Kind::RouteTable => {
                if let Ok((_, assocs)) = self.route_table_state(id).await {
                    for assoc in assocs.values() {
                        self.ec2.disassociate_route_table().association_id(assoc).send().await.aws()?;
                    }
                }
                self.delete_patiently(address, id, || async {
                    self.ec2.delete_route_table().route_table_id(id).send().await.aws().map(|_| ())
                })
                .await
            }
            Kind::SecurityGroup => {
                self.delete_patiently(address, id, || async {
                    self.ec2.delete_security_group().group_id(id).send().await.aws().map(|_| ())
                })
                .await
            }
            Kind::SecurityGroupRule => {
                let group = attrs.get("group_id").and_then(|v| v.as_str()).unwrap_or_default();
                let r = if attrs.get("direction") == Some(&json!("egress")) {
                    self.ec2
                        .revoke_security_group_egress()
                        .group_id(group)
                        .security_group_rule_ids(id)
                        .send()
                        .await
                        .aws()
                        .map(|_| ())
                } else {
                    self.ec2
                        .revoke_security_group_ingress()
                        .group_id(group)
                        .security_group_rule_ids(id)
                        .send()
                        .await
                        .aws()
                        .map(|_| ())
                };
                match r {
                    // The group is gone, and its rules with it.
                    Err(ProviderError::NotFound(_)) => Ok(()),
                    other => other,
                }
            }
            Kind::Instance => {
                self.ec2.terminate_instances().instance_ids(id).send().await.aws()?;
                self.ec2
                    .wait_until_instance_terminated()
                    .instance_ids(id)
                    .wait(INSTANCE_WAIT)
                    .await
                    .map_err(|e| ProviderError::Fatal(format!("{address}: instance {id} did not terminate: {e}")))?;
                Ok(())
            }
            Kind::FlowLog => {
                let out = self.ec2.delete_flow_logs().flow_log_ids(id).send().await.aws()?;
                match out.unsuccessful().first() {
                    Some(u) => Err(ProviderError::Fatal(format!(
                        "DeleteFlowLogs: {}",
                        u.error().and_then(|e| e.message()).unwrap_or("unknown error")
                    ))),
                    None => Ok(()),
                }
            }
            _ => unreachable!("not an EC2 kind"),
        }
    }

    /// One paginated Describe call per kind; VPC attributes need one call per VPC in state.
    pub(super) async fn refresh_ec2(&self, blueprint: &str, state: &State, want: &Want) -> Result<Part, ProviderError> {
        let mut part = Part::default();
        let rec = |kind: Kind, addr: &Option<Address>, id: &str| {
            state
                .resources
                .values()
                .find(|r| r.kind == kind && r.id == id)
                .cloned()
                .or_else(|| addr.as_ref().and_then(|a| state.resources.get(a)).cloned())
                .unwrap_or_else(|| blank(kind))
        };
        // Records one resource a listing found: its socform tags name its address, and what
        // AWS reports is laid over the state record.
        type Found = BTreeMap<String, (Option<Address>, crate::state::LiveResource)>;
        let put = |found: &mut Found, kind: Kind, id: &str, tags: &[Tag], mut read: Attrs| {
            let addr = owned(blueprint, &state.lineage, ec2_tags(tags));
            read.insert("tags".into(), user_tags(ec2_tags(tags)));
            let r = rec(kind, &addr, id);
            found.insert(id.to_string(), (addr, live(&r, id, read, outputs(&[("id", id)]))));
        };

        if want.has(Kind::Vpc) {
            // VPCs
            let mut found = BTreeMap::new();
            let mut pages = self.ec2.describe_vpcs().into_paginator().send();
            while let Some(page) = pages.next().await {
                for v in page.aws()?.vpcs() {
                    let id = v.vpc_id().unwrap_or_default();
                    let addr = owned(blueprint, &state.lineage, ec2_tags(v.tags()));
                    let in_state = of_kind(state, Kind::Vpc).iter().any(|(_, r)| r.id == id);
                    if addr.is_none() && !in_state {
                        continue;
                    }
                    let (support, hostnames) = self.vpc_dns_state(id).await?;
                    let mut read = Attrs::new();
                    read.insert("cidr_block".into(), json!(v.cidr_block().unwrap_or_default()));
                    read.insert("enable_dns_support".into(), json!(support));
                    read.insert("enable_dns_hostnames".into(), json!(hostnames));
                    put(&mut found, Kind::Vpc, id, v.tags(), read);
                }
            }
            part.settle(state, Kind::Vpc, found);
        }

        if want.has(Kind::Subnet) {
            // Subnets
            let mut found = BTreeMap::new();
            let mut pages = self.ec2.describe_subnets().into_paginator().send();
            while let Some(page) = pages.next().await {
                for sn in page.aws()?.subnets() {
                    let id = sn.subnet_id().unwrap_or_default();
                    let mut read = Attrs::new();
                    read.insert("vpc_id".into(), json!(sn.vpc_id().unwrap_or_default()));
                    read.insert("cidr_block".into(), json!(sn.cidr_block().unwrap_or_default()));
                    read.insert("availability_zone".into(), json!(sn.availability_zone().unwrap_or_default()));
                    read.insert("map_public_ip_on_launch".into(), json!(sn.map_public_ip_on_launch().unwrap_or(false)));
                    put(&mut found, Kind::Subnet, id, sn.tags(), read);
                }
            }
            part.settle(state, Kind::Subnet, found);
        }

        if want.has(Kind::InternetGateway) {
            // Internet gateways
            let mut found = BTreeMap::new();
            let mut pages = self.ec2.describe_internet_gateways().into_paginator().send();
            while let Some(page) = pages.next().await {
                for g in page.aws()?.internet_gateways() {
                    let id = g.internet_gateway_id().unwrap_or_default();
                    let mut read = Attrs::new();
                    let vpc = g.attachments().first().and_then(|a| a.vpc_id()).unwrap_or_default();
                    read.insert("vpc_id".into(), json!(vpc));
                    put(&mut found, Kind::InternetGateway, id, g.tags(), read);
                }
            }
            part.settle(state, Kind::InternetGateway, found);
        }

        if want.has(Kind::RouteTable) {
            // Route tables
            let mut found = BTreeMap::new();
            let mut pages = self.ec2.describe_route_tables().into_paginator().send();
            while let Some(page) = pages.next().await {
                for rt in page.aws()?.route_tables() {
                    let id = rt.route_table_id().unwrap_or_default();
                    let mut read = Attrs::new();
                    read.insert("vpc_id".into(), json!(rt.vpc_id().unwrap_or_default()));
                    read.insert("routes".into(), serde_json::to_value(routes_of(rt)).expect("routes serialise"));
                    let subnets: Vec<String> = associations_of(rt).into_keys().collect();
                    read.insert("subnet_ids".into(), json!(subnets));
                    put(&mut found, Kind::RouteTable, id, rt.tags(), read);
                }
            }
            part.settle(state, Kind::RouteTable, found);
        }

        if want.has(Kind::SecurityGroup) {
            // Security groups
            let mut found = BTreeMap::new();
            let mut pages = self.ec2.describe_security_groups().into_paginator().send();
            while let Some(page) = pages.next().await {
                for g in page.aws()?.security_groups() {
                    let id = g.group_id().unwrap_or_default();
                    let mut read = Attrs::new();
                    read.insert("group_name".into(), json!(g.group_name().unwrap_or_default()));
                    read.insert("description".into(), json!(g.description().unwrap_or_default()));
                    read.insert("vpc_id".into(), json!(g.vpc_id().unwrap_or_default()));
                    put(&mut found, Kind::SecurityGroup, id, g.tags(), read);
                }
            }
            part.settle(state, Kind::SecurityGroup, found);
            // The groups this state owns (in state, or adopted by their tags), by id.
            let owned_groups: BTreeMap<String, String> = part
                .resources
                .iter()
                .filter(|(a, _)| a.kind() == Kind::SecurityGroup)
                .filter_map(|(a, l)| l.as_ref().map(|l| (l.id.clone(), a.name().to_string())))
                .chain(
                    part.untracked
                        .iter()
                        .filter(|(a, _)| a.kind() == Kind::SecurityGroup)
                        .map(|(a, l)| (l.id.clone(), a.name().to_string())),
                )
                .collect();

            // Security group rules: every rule of every group, one call.
            let mut found = BTreeMap::new();
            let mut pages = self.ec2.describe_security_group_rules().into_paginator().send();
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
                        part.duplicates.push((
                            a,
                            crate::state::LiveResource {
                                id: id.to_string(),
                                attributes: read,
                                outputs: outputs(&[("id", id)]),
                            },
                        ));
                        continue;
                    }
                    let r = rec(Kind::SecurityGroupRule, &addr, id);
                    found.insert(id.to_string(), (addr, live(&r, id, read, outputs(&[("id", id)]))));
                }
            }
            part.settle(state, Kind::SecurityGroupRule, found);
        }

        if want.has(Kind::Instance) {
            // Instances (terminated ones are gone)
            let mut root_volumes: BTreeMap<String, String> = BTreeMap::new();
            let mut found = BTreeMap::new();
            let mut pages = self
                .ec2
                .describe_instances()
                .filters(
                    Filter::builder()
                        .name("instance-state-name")
                        .values("pending")
                        .values("running")
                        .values("stopping")
                        .values("stopped")
                        .build(),
                )
                .into_paginator()
                .send();
            while let Some(page) = pages.next().await {
                for i in page.aws()?.reservations().iter().flat_map(|r| r.instances()) {
                    let id = i.instance_id().unwrap_or_default();
                    let addr = owned(blueprint, &state.lineage, ec2_tags(i.tags()));
                    let mut read = Attrs::new();
                    read.insert(
                        "instance_type".into(),
                        json!(i.instance_type().map(|t| t.as_str()).unwrap_or_default()),
                    );
                    read.insert("subnet_id".into(), json!(i.subnet_id().unwrap_or_default()));
                    // Groups of an instance launched with a network interface are on the interface.
                    let mut groups: Vec<&str> = i.security_groups().iter().filter_map(|g| g.group_id()).collect();
                    if groups.is_empty() {
                        groups = i
                            .network_interfaces()
                            .iter()
                            .flat_map(|n| n.groups())
                            .filter_map(|g| g.group_id())
                            .collect();
                    }
                    groups.sort();
                    groups.dedup();
                    read.insert("security_group_ids".into(), json!(groups));
                    let profile = i
                        .iam_instance_profile()
                        .and_then(|p| p.arn())
                        .and_then(|arn| arn.rsplit('/').next())
                        .map(str::to_string);
                    read.insert("iam_instance_profile".into(), json!(profile));
                    if let Some(tokens) = i.metadata_options().and_then(|m| m.http_tokens()) {
                        read.insert("require_imdsv2".into(), json!(*tokens == HttpTokensState::Required));
                    }
                    read.insert("tags".into(), user_tags(ec2_tags(i.tags())));
                    let outs = outputs(&[
                        ("id", id),
                        ("private_ip", i.private_ip_address().unwrap_or_default()),
                        ("public_ip", i.public_ip_address().unwrap_or_default()),
                        ("private_dns", i.private_dns_name().unwrap_or_default()),
                        ("ami", i.image_id().unwrap_or_default()),
                        // Not an attribute (a paused lab is not drift): what cost and ls read.
                        ("state", i.state().and_then(|s| s.name()).map(|n| n.as_str()).unwrap_or_default()),
                    ]);
                    let r = rec(Kind::Instance, &addr, id);
                    let mut l = live(&r, id, read, outs);
                    if l.attributes.get("iam_instance_profile") == Some(&serde_json::Value::Null) {
                        l.attributes.remove("iam_instance_profile");
                    }
                    // The root volume's size is read only for a host state does not know (found by
                    // its tags: what ls prices), as an output: an attribute would be drift where
                    // the blueprint leaves the size to the image.
                    let known = state.resources.values().any(|r| r.kind == Kind::Instance && r.id == id);
                    if !known && addr.is_some() {
                        let root = i.root_device_name().unwrap_or_default();
                        if let Some(v) = i
                            .block_device_mappings()
                            .iter()
                            .find(|m| m.device_name() == Some(root))
                            .and_then(|m| m.ebs())
                            .and_then(|e| e.volume_id())
                        {
                            root_volumes.insert(v.to_string(), id.to_string());
                        }
                    }
                    found.insert(id.to_string(), (addr, l));
                }
            }
            if !root_volumes.is_empty() {
                let ids: Vec<String> = root_volumes.keys().cloned().collect();
                let out = self.ec2.describe_volumes().set_volume_ids(Some(ids)).send().await.aws()?;
                for v in out.volumes() {
                    let instance = v.volume_id().and_then(|vid| root_volumes.get(vid));
                    if let (Some(instance), Some(size)) = (instance, v.size()) {
                        if let Some((_, l)) = found.get_mut(instance) {
                            l.outputs.insert("root_volume_gb".into(), size.to_string());
                        }
                    }
                }
            }
            part.settle(state, Kind::Instance, found);
        }

        if want.has(Kind::FlowLog) {
            // Flow logs
            let mut found = BTreeMap::new();
            let mut pages = self.ec2.describe_flow_logs().into_paginator().send();
            while let Some(page) = pages.next().await {
                for f in page.aws()?.flow_logs() {
                    let id = f.flow_log_id().unwrap_or_default();
                    let mut read = Attrs::new();
                    read.insert("resource_id".into(), json!(f.resource_id().unwrap_or_default()));
                    read.insert("traffic_type".into(), json!(f.traffic_type().map(|t| t.as_str()).unwrap_or_default()));
                    read.insert("log_group_name".into(), json!(f.log_group_name().unwrap_or_default()));
                    read.insert(
                        "deliver_logs_permission_arn".into(),
                        json!(f.deliver_logs_permission_arn().unwrap_or_default()),
                    );
                    if let Some(m) = f.max_aggregation_interval() {
                        read.insert("max_aggregation_interval".into(), json!(m));
                    }
                    put(&mut found, Kind::FlowLog, id, f.tags(), read);
                }
            }
            part.settle(state, Kind::FlowLog, found);
        }
        Ok(part)
    }
}
