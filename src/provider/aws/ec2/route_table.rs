//! A route table with its routes and subnet associations.

use super::*;

pub(crate) struct RouteTable;

#[async_trait]
impl KindApi for RouteTable {
    async fn create(&self, aws: &AwsProvider, req: Request<'_>) -> Result<Applied, ProviderError> {
        let a = req.address;
        let v: s::RouteTable = spec(a, req.attrs)?;
        let out = aws
            .ec2
            .create_route_table()
            .vpc_id(&v.vpc_id)
            .tag_specifications(tag_spec(ResourceType::RouteTable, &aws.tags(&req, &v.tags)))
            .send()
            .await
            .aws()?;
        let id = out.route_table().and_then(|r| r.route_table_id()).unwrap_or_default().to_string();
        for r in &v.routes {
            aws.add_route(&id, r).await?;
        }
        for subnet in &v.subnet_ids {
            aws.associate(&id, subnet).await?;
        }
        Ok(applied(&id, req.attrs, outputs(&[("id", &id)])))
    }

    async fn update(&self, aws: &AwsProvider, c: Change<'_>) -> Result<Applied, ProviderError> {
        let Change { req, id, before } = c;
        let a = req.address;
        let _changed = |k: &str| before.get(k) != req.attrs.get(k);
        let v: s::RouteTable = spec(a, req.attrs)?;
        // A re-tag (`socform apply --expires-in`, import, state rm) marks the old
        // tags unknown (null): the routes it had are still the routes it has, and
        // adding them again fails with RouteAlreadyExists.
        let mut known = before.clone();
        if known.get("tags").is_some_and(serde_json::Value::is_null) {
            known.insert("tags".into(), json!({}));
        }
        let old: s::RouteTable = spec(a, &known).unwrap_or(s::RouteTable {
            vpc_id: String::new(),
            routes: vec![],
            subnet_ids: vec![],
            tags: Default::default(),
        });
        for r in old.routes.iter().filter(|r| !v.routes.contains(r)) {
            aws.ec2
                .delete_route()
                .route_table_id(id)
                .destination_cidr_block(&r.destination_cidr_block)
                .send()
                .await
                .aws()?;
        }
        for r in v.routes.iter().filter(|r| !old.routes.contains(r)) {
            aws.add_route(id, r).await?;
        }
        let (_, assocs) = aws.route_table_state(id).await?;
        for (subnet, assoc) in &assocs {
            if !v.subnet_ids.contains(subnet) {
                aws.ec2.disassociate_route_table().association_id(assoc).send().await.aws()?;
            }
        }
        for subnet in v.subnet_ids.iter().filter(|s| !assocs.contains_key(*s)) {
            aws.associate(id, subnet).await?;
        }
        Ok(applied(id, req.attrs, outputs(&[("id", id)])))
    }

    async fn delete(&self, aws: &AwsProvider, d: Doomed<'_>) -> Result<(), ProviderError> {
        let Doomed { address, id, .. } = d;
        if let Ok((_, assocs)) = aws.route_table_state(id).await {
            for assoc in assocs.values() {
                aws.ec2.disassociate_route_table().association_id(assoc).send().await.aws()?;
            }
        }
        aws.delete_patiently(address, id, || async {
            aws.ec2.delete_route_table().route_table_id(id).send().await.aws().map(|_| ())
        })
        .await
    }

    async fn list(&self, aws: &AwsProvider, at: &Listing<'_>) -> Result<Listed, ProviderError> {
        // Route tables
        let mut found = BTreeMap::new();
        let mut pages = aws.ec2.describe_route_tables().into_paginator().send();
        while let Some(page) = pages.next().await {
            for rt in page.aws()?.route_tables() {
                let id = rt.route_table_id().unwrap_or_default();
                let mut read = Attrs::new();
                read.insert("vpc_id".into(), json!(rt.vpc_id().unwrap_or_default()));
                read.insert("routes".into(), serde_json::to_value(routes_of(rt)).expect("routes serialise"));
                let subnets: Vec<String> = associations_of(rt).into_keys().collect();
                read.insert("subnet_ids".into(), json!(subnets));
                put(at, &mut found, Kind::RouteTable, id, rt.tags(), read);
            }
        }
        Ok(Listed::of(Kind::RouteTable, found))
    }

    async fn tag_target(&self, _aws: &AwsProvider, id: &str) -> Result<Option<TagTarget>, ProviderError> {
        Ok(Some(TagTarget::Ec2(vec![id.to_string()])))
    }
}
