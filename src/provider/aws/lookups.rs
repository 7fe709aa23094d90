//! Lookups (`lookups:` in a blueprint, Terraform's data sources): what exists and is only
//! read. A log group by name (one DescribeLogGroups), or the one an existing trail delivers to
//! (one GetTrail first).

use serde_json::{json, Value};

use super::notify::topic_arn;
use super::{outputs, AwsProvider, Classify};
use crate::address::Address;
use crate::model::{Attrs, Kind};
use crate::provider::ProviderError;
use crate::state::LiveResource;

impl AwsProvider {
    pub(super) async fn look_up_resource(
        &self,
        address: &Address,
        attrs: &Attrs,
    ) -> Result<LiveResource, ProviderError> {
        let by = attrs.get("lookup").cloned().unwrap_or(Value::Null);
        match address.kind() {
            Kind::LogGroup => {
                let name = match (by.get("name").and_then(Value::as_str), by.get("trail").and_then(Value::as_str)) {
                    (Some(name), _) => name.to_string(),
                    (None, Some(trail)) => self.trail_log_group(trail).await?,
                    _ => return Err(ProviderError::Fatal(format!("`{address}`: a lookup without `name` or `trail`"))),
                };
                self.log_group_named(&name).await
            }
            Kind::Vpc => {
                let mut req = self.ec2.describe_vpcs();
                if let Some(id) = by.get("id").and_then(Value::as_str) {
                    req = req.vpc_ids(id);
                } else if let Some(name) = by.get("name").and_then(Value::as_str) {
                    req = req.filters(aws_sdk_ec2::types::Filter::builder().name("tag:Name").values(name).build());
                }
                let what =
                    by.get("id").or_else(|| by.get("name")).and_then(Value::as_str).unwrap_or_default().to_string();
                let vpcs = match req.send().await.aws() {
                    Ok(out) => out.vpcs().to_vec(),
                    Err(ProviderError::NotFound(_)) => vec![],
                    Err(e) => return Err(e),
                };
                match vpcs.as_slice() {
                    [v] => {
                        let id = v.vpc_id().unwrap_or_default().to_string();
                        let mut attributes = Attrs::new();
                        attributes.insert("cidr_block".into(), json!(v.cidr_block()));
                        let outputs = outputs(&[("id", &id)]);
                        Ok(LiveResource { id, attributes, outputs })
                    }
                    [] => Err(ProviderError::NotFound(format!("no VPC `{what}` exists in {}", self.region))),
                    _ => Err(ProviderError::Fatal(format!(
                        "{} VPCs are named `{what}` in {}: look it up by `id`",
                        vpcs.len(),
                        self.region
                    ))),
                }
            }
            Kind::Subnet => {
                let id = by.get("id").and_then(Value::as_str).unwrap_or_default();
                let subnets = match self.ec2.describe_subnets().subnet_ids(id).send().await.aws() {
                    Ok(out) => out.subnets().to_vec(),
                    Err(ProviderError::NotFound(_)) => vec![],
                    Err(e) => return Err(e),
                };
                let Some(s) = subnets.first() else {
                    return Err(ProviderError::NotFound(format!("no subnet `{id}` exists in {}", self.region)));
                };
                let mut attributes = Attrs::new();
                attributes.insert("cidr_block".into(), json!(s.cidr_block()));
                attributes.insert("availability_zone".into(), json!(s.availability_zone()));
                attributes.insert("vpc_id".into(), json!(s.vpc_id()));
                Ok(LiveResource { id: id.to_string(), attributes, outputs: outputs(&[("id", id)]) })
            }
            Kind::SnsTopic => {
                let name = by.get("name").and_then(Value::as_str).unwrap_or_default();
                self.topic_named(name).await
            }
            other => Err(ProviderError::Fatal(format!("socform cannot look up a {}", other.noun()))),
        }
    }

    /// The name of the log group trail `name` delivers to.
    async fn trail_log_group(&self, name: &str) -> Result<String, ProviderError> {
        let out = match self.cloudtrail.get_trail().name(name).send().await.aws() {
            Ok(out) => out,
            Err(ProviderError::NotFound(_)) => {
                return Err(ProviderError::NotFound(format!("no trail `{name}` exists in {}", self.region)))
            }
            Err(e) => return Err(e),
        };
        let arn = out.trail().and_then(|t| t.cloud_watch_logs_log_group_arn()).unwrap_or_default();
        // arn:aws:logs:REGION:ACCOUNT:log-group:NAME:*
        match arn.split_once(":log-group:").map(|(_, rest)| rest.trim_end_matches(":*")) {
            Some(group) if !group.is_empty() => Ok(group.to_string()),
            _ => Err(ProviderError::NotFound(format!(
                "the trail `{name}` delivers to no CloudWatch Logs log group, so no detection can watch it"
            ))),
        }
    }

    async fn topic_named(&self, name: &str) -> Result<LiveResource, ProviderError> {
        let account = self.account_id_cached().await?;
        let arn = topic_arn(&self.region, &account, name);
        match self.sns.get_topic_attributes().topic_arn(&arn).send().await.aws() {
            Ok(_) => {}
            Err(ProviderError::NotFound(_)) => {
                return Err(ProviderError::NotFound(format!("no topic `{name}` exists in {}", self.region)))
            }
            Err(e) => return Err(e),
        }
        let mut attributes = Attrs::new();
        attributes.insert("name".into(), json!(name));
        let outputs = outputs(&[("name", name), ("arn", &arn)]);
        Ok(LiveResource { id: arn, attributes, outputs })
    }

    async fn log_group_named(&self, name: &str) -> Result<LiveResource, ProviderError> {
        let out = self.logs.describe_log_groups().log_group_name_prefix(name).send().await.aws()?;
        let Some(g) = out.log_groups().iter().find(|g| g.log_group_name() == Some(name)) else {
            return Err(ProviderError::NotFound(format!("no log group `{name}` exists in {}", self.region)));
        };
        let arn = g.arn().unwrap_or_default().trim_end_matches(":*").to_string();
        let mut attributes = Attrs::new();
        attributes.insert("log_group_name".into(), json!(name));
        if let Some(days) = g.retention_in_days() {
            attributes.insert("retention_in_days".into(), json!(days));
        }
        Ok(LiveResource { id: name.to_string(), attributes, outputs: outputs(&[("name", name), ("arn", &arn)]) })
    }
}
