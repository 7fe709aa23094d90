//! An EC2 instance profile wrapping a role: listed with the roles.

use super::*;

pub(crate) struct InstanceProfile;

#[async_trait]
impl KindApi for InstanceProfile {
    async fn create(&self, aws: &AwsProvider, req: Request<'_>) -> Result<Applied, ProviderError> {
        let a = req.address;
        let v: s::InstanceProfile = spec(a, req.attrs)?;
        let created = aws
            .iam
            .create_instance_profile()
            .instance_profile_name(&v.name)
            .path(&v.path)
            .set_tags(Some(aws.iam_tag_list(&req, &v.tags)))
            .send()
            .await
            .aws();
        let (arn, has_role) = match created {
            Ok(out) => (out.instance_profile().map(|p| p.arn().to_string()).unwrap_or_default(), false),
            // Made by an earlier run that died before saving it: ours if its tags say so.
            Err(ProviderError::AlreadyExists(_)) => {
                if !aws.profile_is_ours(&v.name, &req).await? {
                    return Err(AwsProvider::not_ours(&req, &v.name));
                }
                let got = aws.iam.get_instance_profile().instance_profile_name(&v.name).send().await.aws()?;
                let p = got.instance_profile();
                let has_role = p.is_some_and(|p| p.roles().iter().any(|r| r.role_name() == v.role_name));
                (p.map(|p| p.arn().to_string()).unwrap_or_default(), has_role)
            }
            Err(e) => return Err(e),
        };
        if !has_role {
            aws.iam
                .add_role_to_instance_profile()
                .instance_profile_name(&v.name)
                .role_name(&v.role_name)
                .send()
                .await
                .aws()?;
        }
        Ok(Applied {
            id: v.name.clone(),
            attributes: req.attrs.clone(),
            outputs: outputs(&[("name", &v.name), ("arn", &arn)]),
        })
    }

    async fn update(&self, aws: &AwsProvider, c: Change<'_>) -> Result<Applied, ProviderError> {
        let Change { req, id, before } = c;
        let a = req.address;
        let v: s::InstanceProfile = spec(a, req.attrs)?;
        if c.changed("role_name") {
            if let Some(old) = before.get("role_name").and_then(|r| r.as_str()) {
                let _ =
                    aws.iam.remove_role_from_instance_profile().instance_profile_name(id).role_name(old).send().await;
            }
            aws.iam
                .add_role_to_instance_profile()
                .instance_profile_name(id)
                .role_name(&v.role_name)
                .send()
                .await
                .aws()?;
        }
        Ok(c.kept())
    }

    async fn delete(&self, aws: &AwsProvider, d: Doomed<'_>) -> Result<(), ProviderError> {
        let Doomed { address, id, attrs } = d;
        if let Some(role) = attrs.get("role_name").and_then(|r| r.as_str()) {
            match aws
                .iam
                .remove_role_from_instance_profile()
                .instance_profile_name(id)
                .role_name(role)
                .send()
                .await
                .aws()
            {
                Ok(_) | Err(ProviderError::NotFound(_)) => {}
                Err(e) => return Err(e),
            }
        }
        aws.delete_patiently(address, id, || async {
            aws.iam.delete_instance_profile().instance_profile_name(id).send().await.aws().map(|_| ())
        })
        .await
    }

    async fn list(&self, _aws: &AwsProvider, _at: &Listing<'_>) -> Result<Listed, ProviderError> {
        Ok(Listed::with_host())
    }

    async fn tag_target(&self, _aws: &AwsProvider, id: &str) -> Result<Option<TagTarget>, ProviderError> {
        Ok(Some(TagTarget::InstanceProfile(id.to_string())))
    }
}
