//! An SNS subscription: listed with its topic.

use super::*;

pub(crate) struct SnsSubscription;

#[async_trait]
impl KindApi for SnsSubscription {
    async fn create(&self, aws: &AwsProvider, req: Request<'_>) -> Result<Applied, ProviderError> {
        let a = req.address;
        let v: s::SnsSubscription = spec(a, req.attrs)?;
        let out = aws
            .sns
            .subscribe()
            .topic_arn(&v.topic_arn)
            .protocol(&v.protocol)
            .endpoint(&v.endpoint)
            .return_subscription_arn(true)
            .send()
            .await
            .aws()?;
        let arn = out.subscription_arn().unwrap_or_default().to_string();
        Ok(Applied { id: arn.clone(), attributes: req.attrs.clone(), outputs: outputs(&[("arn", &arn)]) })
    }

    async fn update(&self, _aws: &AwsProvider, c: Change<'_>) -> Result<Applied, ProviderError> {
        Ok(c.kept())
    }

    async fn delete(&self, aws: &AwsProvider, d: Doomed<'_>) -> Result<(), ProviderError> {
        let Doomed { id, .. } = d;
        if !id.starts_with("arn:") {
            // A pending email subscription has no ARN yet; SNS drops it with the topic.
            return Ok(());
        }
        aws.sns.unsubscribe().subscription_arn(id).send().await.aws().map(|_| ())
    }

    async fn list(&self, _aws: &AwsProvider, _at: &Listing<'_>) -> Result<Listed, ProviderError> {
        Ok(Listed::with_host())
    }

    async fn tag_target(&self, _aws: &AwsProvider, _id: &str) -> Result<Option<TagTarget>, ProviderError> {
        Ok(None)
    }
}
