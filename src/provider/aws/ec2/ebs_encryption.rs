//! The account's EBS encryption by default in the region: a setting, not a resource, and one
//! that carries no tags. What state records says whose it is: the id is
//! [`TURNED_ON`] when this state turned it on (destroy turns it off), [`WAS_ON`] when it was on
//! already (destroy leaves it on: socform never undoes what it did not do).
//!
//! A run that dies between the enable and saving state leaves it on, and the next apply
//! finds it on and records [`WAS_ON`]: destroy then leaves it on. That errs the safe way
//! (encryption on costs nothing), and the README says so.
//!
//! Listed with one GetEbsEncryptionByDefault, only when state holds the setting.

use super::*;

/// The id of a setting this state turned on.
pub(crate) const TURNED_ON: &str = "turned-on-by-socform";
/// The id of a setting that was on before this state.
pub(crate) const WAS_ON: &str = "on-before-socform";

pub(crate) struct EbsEncryption;

async fn enabled(aws: &AwsProvider) -> Result<bool, ProviderError> {
    let out = aws.ec2.get_ebs_encryption_by_default().send().await.aws()?;
    Ok(out.ebs_encryption_by_default().unwrap_or(false))
}

async fn set(aws: &AwsProvider, on: bool) -> Result<(), ProviderError> {
    if on {
        aws.ec2.enable_ebs_encryption_by_default().send().await.aws().map(|_| ())
    } else {
        aws.ec2.disable_ebs_encryption_by_default().send().await.aws().map(|_| ())
    }
}

#[async_trait]
impl KindApi for EbsEncryption {
    async fn create(&self, aws: &AwsProvider, req: Request<'_>) -> Result<Applied, ProviderError> {
        let v: s::EbsEncryption = spec(req.address, req.attrs)?;
        let id = if enabled(aws).await? {
            WAS_ON
        } else {
            set(aws, v.enabled).await?;
            TURNED_ON
        };
        Ok(applied(id, req.attrs, BTreeMap::new()))
    }

    async fn update(&self, aws: &AwsProvider, c: Change<'_>) -> Result<Applied, ProviderError> {
        let Change { req, id, before } = c;
        let v: s::EbsEncryption = spec(req.address, req.attrs)?;
        if before.get("enabled") != req.attrs.get("enabled") {
            set(aws, v.enabled).await?;
        }
        Ok(applied(id, req.attrs, BTreeMap::new()))
    }

    async fn delete(&self, aws: &AwsProvider, d: Doomed<'_>) -> Result<(), ProviderError> {
        let Doomed { id, .. } = d;
        match id {
            TURNED_ON => set(aws, false).await,
            _ => Ok(()),
        }
    }

    async fn list(&self, aws: &AwsProvider, at: &Listing<'_>) -> Result<Listed, ProviderError> {
        let mut found = Found::new();
        let held: Vec<&Record> = at.state.resources.values().filter(|r| r.kind == Kind::EbsEncryption).collect();
        let marker = at.state.pending.keys().find(|a| a.kind() == Kind::EbsEncryption);
        if held.is_empty() && marker.is_none() && !at.sees_existing(Kind::EbsEncryption) {
            return Ok(Listed::of(Kind::EbsEncryption, found));
        }
        let on = enabled(aws).await?;
        let mut read = Attrs::new();
        read.insert("enabled".into(), json!(on));
        for rec in &held {
            found.insert(rec.id.clone(), (None, live(rec, rec.id.as_str(), read.clone(), BTreeMap::new())));
        }
        let mut listed = Listed::default();
        if held.is_empty() && on {
            match marker {
                // A run that died after turning it on and before saving: the marker, written
                // only for a create planned while it was off, says this state turned it on.
                Some(a) => {
                    let blank = blank(Kind::EbsEncryption);
                    found.insert(TURNED_ON.into(), (Some(a.clone()), live(&blank, TURNED_ON, read, BTreeMap::new())));
                }
                None if at.sees_existing(Kind::EbsEncryption) => {
                    let it = live(&blank(Kind::EbsEncryption), WAS_ON, read, BTreeMap::new());
                    listed.existing.insert(Kind::EbsEncryption, it);
                }
                None => {}
            }
        }
        listed.found.insert(Kind::EbsEncryption, found);
        Ok(listed)
    }

    async fn tag_target(&self, _aws: &AwsProvider, _id: &str) -> Result<Option<TagTarget>, ProviderError> {
        Ok(None)
    }
}
