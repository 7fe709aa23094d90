//! An AWS Config aggregator over the organization's accounts. Listed with one paginated
//! DescribeConfigurationAggregators, and the tags of one named like this blueprint's that
//! state does not know.

use aws_sdk_config::types::OrganizationAggregationSource;

use super::*;

pub(crate) struct ConfigAggregator;

impl AwsProvider {
    async fn put_aggregator(&self, req: &Request<'_>, v: &s::ConfigAggregator) -> Result<(), ProviderError> {
        let source = OrganizationAggregationSource::builder()
            .role_arn(&v.role_arn)
            .all_aws_regions(v.all_regions)
            .set_aws_regions((!v.all_regions).then(|| vec![self.region.clone()]))
            .build()
            .map_err(|e| ProviderError::Fatal(e.to_string()))?;
        let tags: Vec<Tag> =
            self.tags(req, &v.tags).into_iter().map(|(k, v)| Tag::builder().key(k).value(v).build()).collect();
        // A role just made is not yet one Config may assume.
        self.settle("PutConfigurationAggregator", SETTLE, || async {
            self.config
                .put_configuration_aggregator()
                .configuration_aggregator_name(&v.name)
                .organization_aggregation_source(source.clone())
                .set_tags(Some(tags.clone()))
                .send()
                .await
                .aws()
                .map(|_| ())
        })
        .await
    }

    /// The aggregator's ARN, or `None` when there is none of that name.
    pub(in crate::provider::aws) async fn aggregator_arn(&self, name: &str) -> Result<Option<String>, ProviderError> {
        match self.config.describe_configuration_aggregators().configuration_aggregator_names(name).send().await {
            Ok(out) => Ok(out
                .configuration_aggregators()
                .first()
                .and_then(|a| a.configuration_aggregator_arn())
                .map(str::to_string)),
            Err(e) if e.as_service_error().is_some_and(|s| s.is_no_such_configuration_aggregator_exception()) => {
                Ok(None)
            }
            Err(e) => Err(e).aws(),
        }
    }
}

#[async_trait]
impl KindApi for ConfigAggregator {
    async fn create(&self, aws: &AwsProvider, req: Request<'_>) -> Result<Applied, ProviderError> {
        let v: s::ConfigAggregator = spec(req.address, req.attrs)?;
        // PutConfigurationAggregator overwrites one of the same name: ask first.
        let arn = aws.aggregator_arn(&v.name).await?;
        aws.config_proves(&req, &v.name, arn.as_deref()).await?;
        aws.put_aggregator(&req, &v).await?;
        let arn = aws.aggregator_arn(&v.name).await?.unwrap_or_default();
        Ok(Applied {
            id: v.name.clone(),
            attributes: req.attrs.clone(),
            outputs: outputs(&[("name", &v.name), ("arn", &arn)]),
        })
    }

    async fn update(&self, aws: &AwsProvider, c: Change<'_>) -> Result<Applied, ProviderError> {
        let req = c.req;
        aws.put_aggregator(&req, &spec(req.address, req.attrs)?).await?;
        Ok(c.kept())
    }

    async fn delete(&self, aws: &AwsProvider, d: Doomed<'_>) -> Result<(), ProviderError> {
        let Doomed { id, .. } = d;
        aws.config.delete_configuration_aggregator().configuration_aggregator_name(id).send().await.aws().map(|_| ())
    }

    async fn list(&self, aws: &AwsProvider, at: &Listing<'_>) -> Result<Listed, ProviderError> {
        let mut listed = Listed::default();
        if !config_in_state(at) {
            return Ok(listed);
        }
        let mut found = BTreeMap::new();
        let mut pages = aws.config.describe_configuration_aggregators().into_paginator().send();
        while let Some(page) = pages.next().await {
            for g in page.aws()?.configuration_aggregators() {
                let name = g.configuration_aggregator_name().unwrap_or_default();
                let arn = g.configuration_aggregator_arn().unwrap_or_default();
                let Some((rec, address)) = config_owned(aws, at, Kind::ConfigAggregator, name, arn).await? else {
                    continue;
                };
                let source = g.organization_aggregation_source();
                let mut read = Attrs::new();
                read.insert("name".into(), json!(name));
                read.insert("role_arn".into(), json!(source.map(|s| s.role_arn())));
                read.insert("all_regions".into(), json!(source.is_some_and(|s| s.all_aws_regions())));
                found.insert(
                    name.to_string(),
                    (address, live(&rec, name, read, outputs(&[("name", name), ("arn", arn)]))),
                );
            }
        }
        listed.found.insert(Kind::ConfigAggregator, found);
        Ok(listed)
    }

    async fn tag_target(&self, aws: &AwsProvider, id: &str) -> Result<Option<TagTarget>, ProviderError> {
        Ok(Some(TagTarget::Config(aws.aggregator_arn(id).await?.unwrap_or_default())))
    }
}
