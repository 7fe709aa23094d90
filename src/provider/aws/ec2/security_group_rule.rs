//! One ingress or egress rule of a security group: listed with its group.

use super::*;

pub(crate) struct SecurityGroupRule;

#[async_trait]
impl KindApi for SecurityGroupRule {
    async fn create(&self, aws: &AwsProvider, req: Request<'_>) -> Result<Applied, ProviderError> {
        let a = req.address;
        let v: s::SecurityGroupRule = spec(a, req.attrs)?;
        let perm = permission(&v);
        let tags = tag_spec(ResourceType::SecurityGroupRule, &aws.tags(&req, &BTreeMap::new()));
        let rule_id = aws
            .settle("AuthorizeSecurityGroupRule", SETTLE, || async {
                let ids: Vec<String> = match v.direction {
                    s::Direction::Ingress => aws
                        .ec2
                        .authorize_security_group_ingress()
                        .group_id(&v.group_id)
                        .ip_permissions(perm.clone())
                        .tag_specifications(tags.clone())
                        .send()
                        .await
                        .aws()?
                        .security_group_rules()
                        .iter()
                        .filter_map(|r| r.security_group_rule_id().map(str::to_string))
                        .collect(),
                    s::Direction::Egress => aws
                        .ec2
                        .authorize_security_group_egress()
                        .group_id(&v.group_id)
                        .ip_permissions(perm.clone())
                        .tag_specifications(tags.clone())
                        .send()
                        .await
                        .aws()?
                        .security_group_rules()
                        .iter()
                        .filter_map(|r| r.security_group_rule_id().map(str::to_string))
                        .collect(),
                };
                Ok(ids)
            })
            .await?;
        let id = match rule_id.first() {
            Some(id) => id.clone(),
            None => {
                aws.find_rule(&v).await?.ok_or_else(|| ProviderError::Fatal(format!("{a}: AWS reported no rule id")))?
            }
        };
        Ok(applied(&id, req.attrs, outputs(&[("id", &id)])))
    }

    async fn update(&self, aws: &AwsProvider, c: Change<'_>) -> Result<Applied, ProviderError> {
        let Change { req, id, before } = c;
        let a = req.address;
        let _changed = |k: &str| before.get(k) != req.attrs.get(k);
        let v: s::SecurityGroupRule = spec(a, req.attrs)?;
        aws.ec2
            .modify_security_group_rules()
            .group_id(&v.group_id)
            .security_group_rules(
                aws_sdk_ec2::types::SecurityGroupRuleUpdate::builder()
                    .security_group_rule_id(id)
                    .security_group_rule(request_of(&v))
                    .build(),
            )
            .send()
            .await
            .aws()?;
        Ok(applied(id, req.attrs, outputs(&[("id", id)])))
    }

    async fn delete(&self, aws: &AwsProvider, d: Doomed<'_>) -> Result<(), ProviderError> {
        let Doomed { id, attrs, .. } = d;
        let group = attrs.get("group_id").and_then(|v| v.as_str()).unwrap_or_default();
        let r = if attrs.get("direction") == Some(&json!("egress")) {
            aws.ec2
                .revoke_security_group_egress()
                .group_id(group)
                .security_group_rule_ids(id)
                .send()
                .await
                .aws()
                .map(|_| ())
        } else {
            aws.ec2
                .revoke_security_group_ingress()
                .group_id(group)
                .security_group_rule_ids(id)
                .send()
                .await
                .aws()
                .map(|_| ())
        };
        match r {
            // The group is gone, and its rules with it.
            Err(ProviderError::NotFound(_)) => Ok(()),
            other => other,
        }
    }

    async fn list(&self, _aws: &AwsProvider, _at: &Listing<'_>) -> Result<Listed, ProviderError> {
        Ok(Listed::with_host())
    }

    async fn tag_target(&self, _aws: &AwsProvider, id: &str) -> Result<Option<TagTarget>, ProviderError> {
        Ok(Some(TagTarget::Ec2(vec![id.to_string()])))
    }
}
