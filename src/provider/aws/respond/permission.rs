//! A permission for a service to invoke a Lambda function: listed with its function.

use super::*;

pub(crate) struct LambdaPermission;

#[async_trait]
impl KindApi for LambdaPermission {
    async fn create(&self, aws: &AwsProvider, req: Request<'_>) -> Result<Applied, ProviderError> {
        let a = req.address;
        let v: s::LambdaPermission = spec(a, req.attrs)?;
        aws.lambda
            .add_permission()
            .function_name(&v.function_name)
            .statement_id(&v.statement_id)
            .action(&v.action)
            .principal(&v.principal)
            .source_arn(&v.source_arn)
            .send()
            .await
            .map_err(|e| {
                if e.code() == Some("ResourceConflictException") {
                    ProviderError::AlreadyExists(format!("{}/{}", v.function_name, v.statement_id))
                } else {
                    classify(&e)
                }
            })?;
        let id = format!("{}/{}", v.function_name, v.statement_id);
        Ok(Applied { id, attributes: req.attrs.clone(), outputs: BTreeMap::new() })
    }

    async fn update(&self, _aws: &AwsProvider, c: Change<'_>) -> Result<Applied, ProviderError> {
        // Every attribute of a permission replaces it.
        Ok(c.kept())
    }

    async fn delete(&self, aws: &AwsProvider, d: Doomed<'_>) -> Result<(), ProviderError> {
        let Doomed { attrs, .. } = d;
        let function = attrs.get("function_name").and_then(Value::as_str).unwrap_or_default();
        let sid = attrs.get("statement_id").and_then(Value::as_str).unwrap_or_default();
        aws.lambda.remove_permission().function_name(function).statement_id(sid).send().await.aws().map(|_| ())
    }

    async fn list(&self, _aws: &AwsProvider, _at: &Listing<'_>) -> Result<Listed, ProviderError> {
        Ok(Listed::with_host())
    }

    async fn tag_target(&self, _aws: &AwsProvider, _id: &str) -> Result<Option<TagTarget>, ProviderError> {
        Ok(None)
    }
}
