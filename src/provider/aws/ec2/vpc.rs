//! A VPC (DNS support and hostnames are attributes read one VPC at a time).

use super::*;

pub(crate) struct Vpc;

#[async_trait]
impl KindApi for Vpc {
    async fn create(&self, aws: &AwsProvider, req: Request<'_>) -> Result<Applied, ProviderError> {
        let a = req.address;
        let v: s::Vpc = spec(a, req.attrs)?;
        let out = aws
            .ec2
            .create_vpc()
            .cidr_block(&v.cidr_block)
            .tag_specifications(tag_spec(ResourceType::Vpc, &aws.tags(&req, &v.tags)))
            .send()
            .await
            .aws()?;
        let id = out.vpc().and_then(|v| v.vpc_id()).unwrap_or_default().to_string();
        aws.vpc_dns(&id, v.enable_dns_support, v.enable_dns_hostnames).await?;
        Ok(applied(&id, req.attrs, outputs(&[("id", &id)])))
    }

    async fn update(&self, aws: &AwsProvider, c: Change<'_>) -> Result<Applied, ProviderError> {
        let Change { req, id, .. } = c;
        let a = req.address;
        let v: s::Vpc = spec(a, req.attrs)?;
        if c.changed("enable_dns_support") || c.changed("enable_dns_hostnames") {
            aws.vpc_dns(id, v.enable_dns_support, v.enable_dns_hostnames).await?;
        }
        Ok(applied(id, req.attrs, outputs(&[("id", id)])))
    }

    async fn delete(&self, aws: &AwsProvider, d: Doomed<'_>) -> Result<(), ProviderError> {
        let Doomed { address, id, .. } = d;
        aws.delete_patiently(address, id, || async { aws.ec2.delete_vpc().vpc_id(id).send().await.aws().map(|_| ()) })
            .await
    }

    async fn list(&self, aws: &AwsProvider, at: &Listing<'_>) -> Result<Listed, ProviderError> {
        let (blueprint, state) = (at.blueprint, at.state);
        // VPCs
        let mut found = BTreeMap::new();
        let mut pages = aws.ec2.describe_vpcs().into_paginator().send();
        while let Some(page) = pages.next().await {
            for v in page.aws()?.vpcs() {
                let id = v.vpc_id().unwrap_or_default();
                let addr = owned(blueprint, &state.lineage, ec2_tags(v.tags()));
                let in_state = at.record(Kind::Vpc, id).is_some();
                if addr.is_none() && !in_state {
                    continue;
                }
                let (support, hostnames) = aws.vpc_dns_state(id).await?;
                let mut read = Attrs::new();
                read.insert("cidr_block".into(), json!(v.cidr_block().unwrap_or_default()));
                read.insert("enable_dns_support".into(), json!(support));
                read.insert("enable_dns_hostnames".into(), json!(hostnames));
                put(at, &mut found, Kind::Vpc, id, v.tags(), read);
            }
        }
        Ok(Listed::of(Kind::Vpc, found))
    }

    async fn tag_target(&self, _aws: &AwsProvider, id: &str) -> Result<Option<TagTarget>, ProviderError> {
        Ok(Some(TagTarget::Ec2(vec![id.to_string()])))
    }
}
