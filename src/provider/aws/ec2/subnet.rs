//! A VPC subnet.

use super::*;

pub(crate) struct Subnet;

#[async_trait]
impl KindApi for Subnet {
    async fn create(&self, aws: &AwsProvider, req: Request<'_>) -> Result<Applied, ProviderError> {
        let a = req.address;
        let v: s::Subnet = spec(a, req.attrs)?;
        let out = aws
            .settle("CreateSubnet", SETTLE, || async {
                aws.ec2
                    .create_subnet()
                    .vpc_id(&v.vpc_id)
                    .cidr_block(&v.cidr_block)
                    .availability_zone(&v.availability_zone)
                    .tag_specifications(tag_spec(ResourceType::Subnet, &aws.tags(&req, &v.tags)))
                    .send()
                    .await
                    .aws()
            })
            .await?;
        let id = out.subnet().and_then(|s| s.subnet_id()).unwrap_or_default().to_string();
        if v.map_public_ip_on_launch {
            aws.subnet_public(&id, true).await?;
        }
        Ok(applied(&id, req.attrs, outputs(&[("id", &id)])))
    }

    async fn update(&self, aws: &AwsProvider, c: Change<'_>) -> Result<Applied, ProviderError> {
        let Change { req, id, .. } = c;
        let a = req.address;
        let v: s::Subnet = spec(a, req.attrs)?;
        if c.changed("map_public_ip_on_launch") {
            aws.subnet_public(id, v.map_public_ip_on_launch).await?;
        }
        Ok(applied(id, req.attrs, outputs(&[("id", id)])))
    }

    async fn delete(&self, aws: &AwsProvider, d: Doomed<'_>) -> Result<(), ProviderError> {
        let Doomed { address, id, .. } = d;
        aws.delete_patiently(address, id, || async {
            aws.ec2.delete_subnet().subnet_id(id).send().await.aws().map(|_| ())
        })
        .await
    }

    async fn list(&self, aws: &AwsProvider, at: &Listing<'_>) -> Result<Listed, ProviderError> {
        // Subnets
        let mut found = BTreeMap::new();
        let mut pages = aws.ec2.describe_subnets().into_paginator().send();
        while let Some(page) = pages.next().await {
            for sn in page.aws()?.subnets() {
                let id = sn.subnet_id().unwrap_or_default();
                let mut read = Attrs::new();
                read.insert("vpc_id".into(), json!(sn.vpc_id().unwrap_or_default()));
                read.insert("cidr_block".into(), json!(sn.cidr_block().unwrap_or_default()));
                read.insert("availability_zone".into(), json!(sn.availability_zone().unwrap_or_default()));
                read.insert("map_public_ip_on_launch".into(), json!(sn.map_public_ip_on_launch().unwrap_or(false)));
                put(at, &mut found, Kind::Subnet, id, sn.tags(), read);
            }
        }
        Ok(Listed::of(Kind::Subnet, found))
    }

    async fn tag_target(&self, _aws: &AwsProvider, id: &str) -> Result<Option<TagTarget>, ProviderError> {
        Ok(Some(TagTarget::Ec2(vec![id.to_string()])))
    }
}
