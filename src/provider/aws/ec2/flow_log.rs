//! A VPC flow log.

use super::*;

pub(crate) struct FlowLog;

#[async_trait]
impl KindApi for FlowLog {
    async fn create(&self, aws: &AwsProvider, req: Request<'_>) -> Result<Applied, ProviderError> {
        let a = req.address;
        let v: s::FlowLog = spec(a, req.attrs)?;
        let out = aws
            .settle("CreateFlowLogs", SETTLE, || async {
                aws.ec2
                    .create_flow_logs()
                    .resource_ids(&v.resource_id)
                    .resource_type(aws_sdk_ec2::types::FlowLogsResourceType::Vpc)
                    .traffic_type(v.traffic_type.as_str().into())
                    .log_destination_type(LogDestinationType::CloudWatchLogs)
                    .log_group_name(&v.log_group_name)
                    .deliver_logs_permission_arn(&v.deliver_logs_permission_arn)
                    .max_aggregation_interval(v.max_aggregation_interval)
                    .tag_specifications(tag_spec(ResourceType::VpcFlowLog, &aws.tags(&req, &v.tags)))
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

    async fn update(&self, _aws: &AwsProvider, c: Change<'_>) -> Result<Applied, ProviderError> {
        let Change { req, id, .. } = c;
        Ok(applied(id, req.attrs, outputs(&[("id", id)])))
    }

    async fn delete(&self, aws: &AwsProvider, d: Doomed<'_>) -> Result<(), ProviderError> {
        let Doomed { id, .. } = d;
        let out = aws.ec2.delete_flow_logs().flow_log_ids(id).send().await.aws()?;
        match out.unsuccessful().first() {
            Some(u) => Err(ProviderError::Fatal(format!(
                "DeleteFlowLogs: {}",
                u.error().and_then(|e| e.message()).unwrap_or("unknown error")
            ))),
            None => Ok(()),
        }
    }

    async fn list(&self, aws: &AwsProvider, at: &Listing<'_>) -> Result<Listed, ProviderError> {
        let mut listed = Listed::default();
        // Flow logs
        let mut found = BTreeMap::new();
        let mut pages = aws.ec2.describe_flow_logs().into_paginator().send();
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
                put(at, &mut found, Kind::FlowLog, id, f.tags(), read);
            }
        }
        listed.found.insert(Kind::FlowLog, found);
        Ok(listed)
    }

    async fn tag_target(&self, _aws: &AwsProvider, id: &str) -> Result<Option<TagTarget>, ProviderError> {
        Ok(Some(TagTarget::Ec2(vec![id.to_string()])))
    }
}
