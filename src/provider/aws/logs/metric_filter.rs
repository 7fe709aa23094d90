//! A CloudWatch Logs metric filter: listed with its log group (filters carry no tags).

use super::*;

pub(crate) struct MetricFilter;

#[async_trait]
impl KindApi for MetricFilter {
    async fn create(&self, aws: &AwsProvider, req: Request<'_>) -> Result<Applied, ProviderError> {
        let a = req.address;
        let v: s::MetricFilter = spec(a, req.attrs)?;
        // PutMetricFilter overwrites a filter of the same name. Filters carry no tags, so
        // one that exists cannot be proven ours here (refresh adopts the ones on log
        // groups this state owns): refuse it.
        let existing = aws
            .logs
            .describe_metric_filters()
            .log_group_name(&v.log_group_name)
            .filter_name_prefix(&v.filter_name)
            .send()
            .await
            .aws();
        match existing {
            Ok(out) if out.metric_filters().iter().any(|f| f.filter_name() == Some(v.filter_name.as_str())) => {
                return Err(AwsProvider::not_ours(&req, &v.filter_name));
            }
            Ok(_) | Err(ProviderError::NotFound(_)) => {}
            Err(e) => return Err(e),
        }
        aws.put_filter(&v).await?;
        let id = format!("{}:{}", v.log_group_name, v.filter_name);
        Ok(Applied { id, attributes: req.attrs.clone(), outputs: outputs(&[("name", &v.filter_name)]) })
    }

    async fn update(&self, aws: &AwsProvider, c: Change<'_>) -> Result<Applied, ProviderError> {
        let Change { req, .. } = c;
        let a = req.address;
        // PutMetricFilter replaces a filter of the same name on AWS; moto adds a second
        // one instead. Deleting first is right on both (the gap is one call long).
        let v: s::MetricFilter = spec(a, req.attrs)?;
        match aws
            .logs
            .delete_metric_filter()
            .log_group_name(&v.log_group_name)
            .filter_name(&v.filter_name)
            .send()
            .await
            .aws()
        {
            Ok(_) | Err(ProviderError::NotFound(_)) => {}
            Err(e) => return Err(e),
        }
        aws.put_filter(&v).await?;
        Ok(c.kept())
    }

    async fn delete(&self, aws: &AwsProvider, d: Doomed<'_>) -> Result<(), ProviderError> {
        let Doomed { attrs, .. } = d;
        let group = attrs.get("log_group_name").and_then(|v| v.as_str()).unwrap_or_default();
        let name = attrs.get("filter_name").and_then(|v| v.as_str()).unwrap_or_default();
        aws.logs.delete_metric_filter().log_group_name(group).filter_name(name).send().await.aws().map(|_| ())
    }

    async fn list(&self, _aws: &AwsProvider, _at: &Listing<'_>) -> Result<Listed, ProviderError> {
        Ok(Listed::with_host())
    }

    async fn tag_target(&self, _aws: &AwsProvider, _id: &str) -> Result<Option<TagTarget>, ProviderError> {
        Ok(None)
    }
}
