//! The organization's security services: the delegated administrator of GuardDuty and of
//! Security Hub (designated from the management account), and their organization
//! configuration (members auto-enabled, set from the administrator account).
//!
//! An administrator is one per organization and service: one already designated that state
//! did not make is reported as existing, for the blueprint to use (never changed or
//! undesignated). Ids: the administrator's account id; `organization` for a configuration.

use super::*;

/// The delegated administrator of the service of its kind (`guardduty_admin`,
/// `securityhub_admin`).
pub(crate) struct Admin(pub Kind);
/// The organization configuration of the service of its kind (`guardduty_org_config`,
/// `securityhub_org_config`).
pub(crate) struct OrgConfig(pub Kind);

/// The configuration's id in state: one per administrator account and region.
const ORGANIZATION: &str = "organization";

impl AwsProvider {
    /// The accounts designated administrator of `kind`'s service.
    async fn admins(&self, kind: Kind) -> Result<Vec<String>, ProviderError> {
        Ok(match kind {
            Kind::GuarddutyAdmin => {
                let out = self.guardduty.list_organization_admin_accounts().send().await.aws()?;
                out.admin_accounts().iter().filter_map(|a| a.admin_account_id().map(str::to_string)).collect()
            }
            _ => {
                let out = self.securityhub.list_organization_admin_accounts().send().await.aws()?;
                out.admin_accounts().iter().filter_map(|a| a.account_id().map(str::to_string)).collect()
            }
        })
    }

    async fn auto_enabled(&self, kind: Kind, detector: Option<&str>) -> Result<bool, ProviderError> {
        Ok(match kind {
            Kind::GuarddutyOrgConfig => {
                let out = self
                    .guardduty
                    .describe_organization_configuration()
                    .set_detector_id(detector.map(str::to_string))
                    .send()
                    .await
                    .aws()?;
                out.auto_enable_organization_members().is_some_and(|m| m.as_str() != "NONE")
            }
            _ => self
                .securityhub
                .describe_organization_configuration()
                .send()
                .await
                .aws()?
                .auto_enable()
                .unwrap_or(false),
        })
    }

    async fn set_auto_enable(&self, kind: Kind, detector: Option<&str>, on: bool) -> Result<(), ProviderError> {
        match kind {
            Kind::GuarddutyOrgConfig => {
                let members = if on {
                    aws_sdk_guardduty::types::AutoEnableMembers::All
                } else {
                    aws_sdk_guardduty::types::AutoEnableMembers::None
                };
                self.guardduty
                    .update_organization_configuration()
                    .set_detector_id(detector.map(str::to_string))
                    .auto_enable_organization_members(members)
                    .send()
                    .await
                    .aws()
                    .map(|_| ())
            }
            _ => self.securityhub.update_organization_configuration().auto_enable(on).send().await.aws().map(|_| ()),
        }
    }
}

async fn create_admin(aws: &AwsProvider, kind: Kind, req: Request<'_>) -> Result<Applied, ProviderError> {
    let v: s::OrgAdmin = spec(req.address, req.attrs)?;
    let admins = aws.admins(kind).await?;
    if let Some(other) = admins.iter().find(|a| **a != v.admin_account_id) {
        return Err(ProviderError::Fatal(format!(
            "the organization's {} administrator is account {other}, designated outside this state: socform neither replaces nor undesignates it",
            kind.noun()
        )));
    }
    if admins.is_empty() {
        match kind {
            Kind::GuarddutyAdmin => aws
                .guardduty
                .enable_organization_admin_account()
                .admin_account_id(&v.admin_account_id)
                .send()
                .await
                .aws()
                .map(|_| ())?,
            _ => aws
                .securityhub
                .enable_organization_admin_account()
                .admin_account_id(&v.admin_account_id)
                .send()
                .await
                .aws()
                .map(|_| ())?,
        }
    }
    Ok(Applied {
        id: v.admin_account_id.clone(),
        attributes: req.attrs.clone(),
        outputs: outputs(&[("id", &v.admin_account_id)]),
    })
}

async fn delete_admin(aws: &AwsProvider, kind: Kind, id: &str) -> Result<(), ProviderError> {
    match kind {
        Kind::GuarddutyAdmin => {
            aws.guardduty.disable_organization_admin_account().admin_account_id(id).send().await.aws().map(|_| ())
        }
        _ => aws.securityhub.disable_organization_admin_account().admin_account_id(id).send().await.aws().map(|_| ()),
    }
}

async fn list_admin(aws: &AwsProvider, kind: Kind, at: &Listing<'_>) -> Result<Listed, ProviderError> {
    let mut listed = Listed::default();
    let recorded = at.state.resources.values().any(|r| r.kind == kind);
    if !recorded && !at.sees_existing(kind) {
        return Ok(listed);
    }
    let mut found = BTreeMap::new();
    for id in aws.admins(kind).await? {
        let mut read = Attrs::new();
        read.insert("admin_account_id".into(), json!(id));
        let outs = outputs(&[("id", &id)]);
        match at.record(kind, &id).cloned() {
            Some(rec) => {
                found.insert(id.clone(), (None, live(&rec, &id, read, outs)));
            }
            None => {
                listed.existing.insert(kind, live(&blank(kind), &id, read, outs));
            }
        }
    }
    listed.found.insert(kind, found);
    Ok(listed)
}

async fn create_config(aws: &AwsProvider, kind: Kind, req: Request<'_>) -> Result<Applied, ProviderError> {
    let v: s::OrgConfig = spec(req.address, req.attrs)?;
    if aws.auto_enabled(kind, v.detector_id.as_deref()).await? {
        return Err(ProviderError::Fatal(format!(
            "the organization's {} already enables new member accounts, set outside this state: socform neither takes it over nor turns it off; leave `auto_enable` out",
            kind.noun()
        )));
    }
    aws.set_auto_enable(kind, v.detector_id.as_deref(), v.auto_enable).await?;
    Ok(Applied { id: ORGANIZATION.into(), attributes: req.attrs.clone(), outputs: BTreeMap::new() })
}

async fn list_config(aws: &AwsProvider, kind: Kind, at: &Listing<'_>) -> Result<Listed, ProviderError> {
    let mut listed = Listed::default();
    let Some(rec) = at.record(kind, ORGANIZATION).cloned() else { return Ok(listed) };
    let detector = rec.attributes.get("detector_id").and_then(|d| d.as_str()).map(str::to_string);
    let mut read = Attrs::new();
    read.insert("auto_enable".into(), json!(aws.auto_enabled(kind, detector.as_deref()).await?));
    if let Some(d) = &detector {
        read.insert("detector_id".into(), json!(d));
    }
    let found = BTreeMap::from([(ORGANIZATION.to_string(), (None, live(&rec, ORGANIZATION, read, BTreeMap::new())))]);
    listed.found.insert(kind, found);
    Ok(listed)
}

#[async_trait]
impl KindApi for Admin {
    async fn create(&self, aws: &AwsProvider, req: Request<'_>) -> Result<Applied, ProviderError> {
        create_admin(aws, self.0, req).await
    }
    async fn update(&self, _aws: &AwsProvider, c: Change<'_>) -> Result<Applied, ProviderError> {
        Ok(c.kept())
    }
    async fn delete(&self, aws: &AwsProvider, d: Doomed<'_>) -> Result<(), ProviderError> {
        delete_admin(aws, self.0, d.id).await
    }
    async fn list(&self, aws: &AwsProvider, at: &Listing<'_>) -> Result<Listed, ProviderError> {
        list_admin(aws, self.0, at).await
    }
    async fn tag_target(&self, _aws: &AwsProvider, _id: &str) -> Result<Option<TagTarget>, ProviderError> {
        Ok(None)
    }
}

#[async_trait]
impl KindApi for OrgConfig {
    async fn create(&self, aws: &AwsProvider, req: Request<'_>) -> Result<Applied, ProviderError> {
        create_config(aws, self.0, req).await
    }
    async fn update(&self, aws: &AwsProvider, c: Change<'_>) -> Result<Applied, ProviderError> {
        let v: s::OrgConfig = spec(c.req.address, c.req.attrs)?;
        aws.set_auto_enable(self.0, v.detector_id.as_deref(), v.auto_enable).await?;
        Ok(c.kept())
    }
    async fn delete(&self, aws: &AwsProvider, d: Doomed<'_>) -> Result<(), ProviderError> {
        let detector = d.attrs.get("detector_id").and_then(|v| v.as_str());
        aws.set_auto_enable(self.0, detector, false).await
    }
    async fn list(&self, aws: &AwsProvider, at: &Listing<'_>) -> Result<Listed, ProviderError> {
        list_config(aws, self.0, at).await
    }
    async fn tag_target(&self, _aws: &AwsProvider, _id: &str) -> Result<Option<TagTarget>, ProviderError> {
        Ok(None)
    }
}
