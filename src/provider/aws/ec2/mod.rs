//! EC2 and VPC: VPCs, subnets, internet gateways, route tables, network ACLs, security groups
//! and their rules, instances, flow logs.

mod groups;
mod instances;
mod network;

pub(super) mod ebs_encryption;
pub(super) mod flow_log;
pub(super) mod instance;
pub(super) mod internet_gateway;
pub(super) mod network_acl;
pub(super) mod route_table;
pub(super) mod security_group;
pub(super) mod security_group_rule;
pub(super) mod subnet;
pub(super) mod vpc;

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

use async_trait::async_trait;

use super::kinds::{Change, Doomed, Found, KindApi, Listed, Listing, TagTarget};
use super::{blank, live, outputs, owned, spec, user_tags, AwsProvider, Classify, SETTLE};
use crate::address::Address;
use crate::model::spec as s;
use crate::model::{Attrs, Kind};
use crate::provider::{Applied, ProviderError, Request};
use crate::state::Record;

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

/// The state record a listing's resource `id` of `kind` lays its reading over: the one with
/// that id, or the one at the address its tags name.
fn record(at: &Listing<'_>, kind: Kind, addr: &Option<Address>, id: &str) -> Record {
    at.record(kind, id)
        .cloned()
        .or_else(|| addr.as_ref().and_then(|a| at.state.resources.get(a)).cloned())
        .unwrap_or_else(|| blank(kind))
}

/// Records one resource a listing found: its socform tags name its address, and what AWS
/// reports is laid over the state record.
fn put(at: &Listing<'_>, found: &mut Found, kind: Kind, id: &str, tags: &[Tag], mut read: Attrs) {
    let addr = at.owned(ec2_tags(tags));
    read.insert("tags".into(), user_tags(ec2_tags(tags)));
    let r = record(at, kind, &addr, id);
    found.insert(id.to_string(), (addr, live(&r, id, read, outputs(&[("id", id)]))));
}
