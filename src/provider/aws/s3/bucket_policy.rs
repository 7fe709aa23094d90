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

    async fn update(
        &self,
        aws: &AwsProvider,
        req: Request<'_>,
        id: &str,
        _before: &Attrs,
    ) -> Result<Applied, ProviderError> {
        let a = req.address;
        let v: s::S3BucketPolicy = spec(a, req.attrs)?;
        aws.put_policy(&v).await?;
        Ok(Applied { id: id.to_string(), attributes: req.attrs.clone(), outputs: BTreeMap::new() })
    }

    async fn delete(
        &self,
        aws: &AwsProvider,
        _address: &Address,
        id: &str,
        _attrs: &Attrs,
    ) -> Result<(), ProviderError> {
        aws.s3.delete_bucket_policy().bucket(id).send().await.aws().map(|_| ())
    }

    async fn list(&self, _aws: &AwsProvider, _at: &Listing<'_>) -> Result<Listed, ProviderError> {
        Ok(Listed::with_host())
    }

    async fn tag_target(&self, aws: &AwsProvider, id: &str) -> Result<Option<TagTarget>, ProviderError> {
        let _ = (aws, id);
        Ok(None)
    }
}
