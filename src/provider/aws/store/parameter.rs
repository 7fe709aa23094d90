//! An SSM Parameter Store parameter. Listed with DescribeParameters for the names state knows,
//! 50 names a call (values are never read back).

use super::*;

pub(crate) struct SsmParameter;

#[async_trait]
impl KindApi for SsmParameter {
    async fn create(&self, aws: &AwsProvider, req: Request<'_>) -> Result<Applied, ProviderError> {
        let a = req.address;
        let account = aws.account_id_cached().await?;
        let v: s::SsmParameter = spec(a, req.attrs)?;
        let value = aws.value_of(&req, &v.value).await?;
        let tags: Vec<aws_sdk_ssm::types::Tag> = aws
            .tags(&req, &v.tags)
            .into_iter()
            .map(|(k, v)| aws_sdk_ssm::types::Tag::builder().key(k).value(v).build().expect("set"))
            .collect();
        let put = aws
            .ssm
            .put_parameter()
            .name(&v.name)
            .value(value.clone())
            .r#type(v.parameter_type.as_str().into())
            .set_description(v.description.clone())
            .set_tags(Some(tags))
            .send()
            .await
            .aws();
        match put {
            Ok(_) => {}
            // Made by an earlier run that died before saving it: ours if its tags say
            // so, and then written again with this value.
            Err(ProviderError::AlreadyExists(_)) => {
                let tags = aws
                    .ssm
                    .list_tags_for_resource()
                    .resource_type(aws_sdk_ssm::types::ResourceTypeForTagging::Parameter)
                    .resource_id(&v.name)
                    .send()
                    .await
                    .aws()?;
                let pairs = tags.tag_list().iter().map(|t| (t.key().to_string(), t.value().to_string()));
                if !AwsProvider::proves(&req, pairs) {
                    return Err(AwsProvider::not_ours(&req, &v.name));
                }
                aws.ssm
                    .put_parameter()
                    .name(&v.name)
                    .value(value)
                    .r#type(v.parameter_type.as_str().into())
                    .set_description(v.description.clone())
                    .overwrite(true)
                    .send()
                    .await
                    .aws()?;
            }
            Err(e) => return Err(e),
        }
        let arn = format!("arn:aws:ssm:{}:{account}:parameter/{}", aws.region, v.name.trim_start_matches('/'));
        Ok(Applied {
            id: v.name.clone(),
            attributes: req.attrs.clone(),
            outputs: outputs(&[("name", &v.name), ("arn", &arn)]),
        })
    }

    async fn update(&self, aws: &AwsProvider, c: Change<'_>) -> Result<Applied, ProviderError> {
        let Change { req, id, .. } = c;
        let a = req.address;
        let v: s::SsmParameter = spec(a, req.attrs)?;
        if c.changed("value") || c.changed("description") || c.changed("parameter_type") {
            let value = aws.value_of(&req, &v.value).await?;
            aws.ssm
                .put_parameter()
                .name(id)
                .value(value)
                .r#type(v.parameter_type.as_str().into())
                .set_description(v.description.clone())
                .overwrite(true)
                .send()
                .await
                .aws()?;
        }
        Ok(c.kept())
    }

    async fn delete(&self, aws: &AwsProvider, d: Doomed<'_>) -> Result<(), ProviderError> {
        let Doomed { id, .. } = d;
        aws.ssm.delete_parameter().name(id).send().await.aws().map(|_| ())
    }

    async fn list(&self, aws: &AwsProvider, at: &Listing<'_>) -> Result<Listed, ProviderError> {
        let state = at.state;
        let mut listed = Listed::default();
        // Parameters: DescribeParameters for the names state knows, 50 names a call.
        let mut found = BTreeMap::new();
        let names: Vec<String> = of_kind(state, Kind::SsmParameter).iter().map(|(_, r)| r.id.clone()).collect();
        for chunk in names.chunks(50) {
            let filter = aws_sdk_ssm::types::ParameterStringFilter::builder()
                .key("Name")
                .option("Equals")
                .set_values(Some(chunk.to_vec()))
                .build()
                .map_err(|e| ProviderError::Fatal(e.to_string()))?;
            let page = aws.ssm.describe_parameters().parameter_filters(filter).max_results(50).send().await;
            for p in page.aws()?.parameters() {
                let name = p.name().unwrap_or_default();
                let Some(rec) = at.record(Kind::SsmParameter, name) else {
                    continue;
                };
                let mut read = Attrs::new();
                read.insert("name".into(), json!(name));
                read.insert("parameter_type".into(), json!(p.r#type().map(|t| t.as_str())));
                if let Some(d) = p.description() {
                    read.insert("description".into(), json!(d));
                }
                found.insert(name.to_string(), (None, live(rec, name, read, BTreeMap::new())));
            }
        }
        listed.found.insert(Kind::SsmParameter, found);
        Ok(listed)
    }

    async fn tag_target(&self, _aws: &AwsProvider, id: &str) -> Result<Option<TagTarget>, ProviderError> {
        Ok(Some(TagTarget::Ssm(id.to_string())))
    }
}
