//! An internet gateway, attached to its VPC.

use super::*;

pub(crate) struct InternetGateway;

#[async_trait]
impl KindApi for InternetGateway {
    async fn create(&self, aws: &AwsProvider, req: Request<'_>) -> Result<Applied, ProviderError> {
        let a = req.address;
        let v: s::InternetGateway = spec(a, req.attrs)?;
        let out = aws
            .ec2
            .create_internet_gateway()
            .tag_specifications(tag_spec(ResourceType::InternetGateway, &aws.tags(&req, &v.tags)))
            .send()
            .await
            .aws()?;
        let id = out.internet_gateway().and_then(|g| g.internet_gateway_id()).unwrap_or_default().to_string();
        aws.ec2.attach_internet_gateway().internet_gateway_id(&id).vpc_id(&v.vpc_id).send().await.aws()?;
        Ok(applied(&id, req.attrs, outputs(&[("id", &id)])))
    }

    async fn update(&self, _aws: &AwsProvider, c: Change<'_>) -> Result<Applied, ProviderError> {
        let Change { req, id, .. } = c;
        Ok(applied(id, req.attrs, outputs(&[("id", id)])))
    }

    async fn delete(&self, aws: &AwsProvider, d: Doomed<'_>) -> Result<(), ProviderError> {
        let Doomed { address, id, attrs } = d;
        if let Some(vpc) = attrs.get("vpc_id").and_then(|v| v.as_str()) {
            match aws.ec2.detach_internet_gateway().internet_gateway_id(id).vpc_id(vpc).send().await.aws() {
                Ok(_) | Err(ProviderError::NotFound(_)) => {}
                Err(ProviderError::Fatal(m)) if m.contains("Gateway.NotAttached") => {}
                Err(e) => return Err(e),
            }
        }
        aws.delete_patiently(address, id, || async {
            aws.ec2.delete_internet_gateway().internet_gateway_id(id).send().await.aws().map(|_| ())
        })
        .await
    }

    async fn list(&self, aws: &AwsProvider, at: &Listing<'_>) -> Result<Listed, ProviderError> {
        // Internet gateways
        let mut found = BTreeMap::new();
        let mut pages = aws.ec2.describe_internet_gateways().into_paginator().send();
        while let Some(page) = pages.next().await {
            for g in page.aws()?.internet_gateways() {
                let id = g.internet_gateway_id().unwrap_or_default();
                let mut read = Attrs::new();
                let vpc = g.attachments().first().and_then(|a| a.vpc_id()).unwrap_or_default();
                read.insert("vpc_id".into(), json!(vpc));
                put(at, &mut found, Kind::InternetGateway, id, g.tags(), read);
            }
        }
        Ok(Listed::of(Kind::InternetGateway, found))
    }

    async fn tag_target(&self, _aws: &AwsProvider, id: &str) -> Result<Option<TagTarget>, ProviderError> {
        Ok(Some(TagTarget::Ec2(vec![id.to_string()])))
    }
}
