//! A bucket policy: listed with its bucket.

use super::*;

pub(crate) struct S3BucketPolicy;

#[async_trait]
impl KindApi for S3BucketPolicy {
    async fn create(&self, aws: &AwsProvider, req: Request<'_>) -> Result<Applied, ProviderError> {
        let a = req.address;
        let v: s::S3BucketPolicy = spec(a, req.attrs)?;
        aws.put_policy(&v).await?;
        Ok(Applied { id: v.bucket.clone(), attributes: req.attrs.clone(), outputs: outputs(&[("bucket", &v.bucket)]) })
    }

    async fn update(&self, aws: &AwsProvider, c: Change<'_>) -> Result<Applied, ProviderError> {
        let Change { req, .. } = c;
        let a = req.address;
        let v: s::S3BucketPolicy = spec(a, req.attrs)?;
        aws.put_policy(&v).await?;
        Ok(c.kept())
    }

    async fn delete(&self, aws: &AwsProvider, d: Doomed<'_>) -> Result<(), ProviderError> {
        let Doomed { id, .. } = d;
        aws.s3.delete_bucket_policy().bucket(id).send().await.aws().map(|_| ())
    }

    async fn list(&self, _aws: &AwsProvider, _at: &Listing<'_>) -> Result<Listed, ProviderError> {
        Ok(Listed::with_host())
    }

    async fn tag_target(&self, _aws: &AwsProvider, _id: &str) -> Result<Option<TagTarget>, ProviderError> {
        Ok(None)
    }
}
