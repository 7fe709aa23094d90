//! An AWS Config managed rule. Listed with one paginated DescribeConfigRules, and the tags of a
//! rule named like this blueprint's that state does not know.

use super::*;

pub(crate) struct ConfigRule;

#[async_trait]
impl KindApi for ConfigRule {
    async fn create(&self, aws: &AwsProvider, req: Request<'_>) -> Result<Applied, ProviderError> {
        let a = req.address;
        let v: s::ConfigRule = spec(a, req.attrs)?;
        // PutConfigRule overwrites a rule of the same name: ask first.
        match aws.config.describe_config_rules().config_rule_names(&v.name).send().await.aws() {
            Ok(out) => {
                let arn = out.config_rules().first().and_then(|r| r.config_rule_arn());
                aws.config_proves(&req, &v.name, arn).await?;
            }
            Err(ProviderError::NotFound(_)) => {}
            Err(e) => return Err(e),
        }
        aws.put_rule(&req, &v).await?;
        Ok(Applied { id: v.name.clone(), attributes: req.attrs.clone(), outputs: outputs(&[("name", &v.name)]) })
    }

    async fn update(&self, aws: &AwsProvider, c: Change<'_>) -> Result<Applied, ProviderError> {
        let Change { req, .. } = c;
        let a = req.address;
        aws.put_rule(&req, &spec(a, req.attrs)?).await?;
        Ok(c.kept())
    }

    async fn delete(&self, aws: &AwsProvider, d: Doomed<'_>) -> Result<(), ProviderError> {
        let Doomed { id, .. } = d;
        aws.config.delete_config_rule().config_rule_name(id).send().await.aws().map(|_| ())
    }

    async fn list(&self, aws: &AwsProvider, at: &Listing<'_>) -> Result<Listed, ProviderError> {
        let mut listed = Listed::default();
        if !config_in_state(at) {
            return Ok(Listed::default());
        }
        let mut found = BTreeMap::new();
        let mut pages = aws.config.describe_config_rules().into_paginator().send();
        while let Some(page) = pages.next().await {
            for r in page.aws()?.config_rules() {
                let name = r.config_rule_name().unwrap_or_default();
                let arn = r.config_rule_arn().unwrap_or_default();
                let Some((rec, address)) = config_owned(aws, at, Kind::ConfigRule, name, arn).await? else {
                    continue;
                };
                let mut read = Attrs::new();
                read.insert("name".into(), json!(name));
                if let Some(src) = r.source().and_then(|s| s.source_identifier()) {
                    read.insert("source_identifier".into(), json!(src));
                }
                let outs = outputs(&[("name", name), ("arn", r.config_rule_arn().unwrap_or_default())]);
                found.insert(name.to_string(), (address, live(&rec, name, read, outs)));
            }
        }
        listed.found.insert(Kind::ConfigRule, found);
        Ok(listed)
    }

    async fn tag_target(&self, aws: &AwsProvider, id: &str) -> Result<Option<TagTarget>, ProviderError> {
        let out = aws.config.describe_config_rules().config_rule_names(id).send().await.aws()?;
        let arn = out.config_rules().first().and_then(|r| r.config_rule_arn()).unwrap_or_default();
        Ok(Some(TagTarget::Config(arn.to_string())))
    }
}
