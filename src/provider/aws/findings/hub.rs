//! Security Hub with its enabled standards (enabled once per account and region). Listed with
//! DescribeHub, and the standards when state says some are enabled.

use super::*;

pub(crate) struct SecurityHub;

#[async_trait]
impl KindApi for SecurityHub {
    async fn create(&self, aws: &AwsProvider, req: Request<'_>) -> Result<Applied, ProviderError> {
        let a = req.address;
        let v: s::SecurityHub = spec(a, req.attrs)?;
        let tags: HashMap<String, String> = aws.tags(&req, &v.tags).into_iter().collect();
        if let Some(arn) = aws.hub_arn().await? {
            let tags = match aws.hub_tags(&arn).await {
                Ok(t) => t,
                // Tags that cannot be read prove nothing.
                Err(ProviderError::Unsupported(_) | ProviderError::NotFound(_)) => vec![],
                Err(e) => return Err(e),
            };
            if !AwsProvider::proves(&req, tags) {
                return Err(AwsProvider::not_ours_because(&req, "it is enabled once per account and region", &arn));
            }
            return aws.update_with_tags(req, &arn, &Attrs::new()).await;
        }
        // The default standards are not wanted: the blueprint names its own.
        aws.securityhub
            .enable_security_hub()
            .enable_default_standards(false)
            .set_tags(Some(tags))
            .send()
            .await
            .aws()?;
        let arn = aws.hub_arn().await?.unwrap_or_default();
        if !v.standards.is_empty() {
            aws.set_standards(&v.standards, &BTreeMap::new()).await?;
        }
        Ok(Applied { id: arn.clone(), attributes: req.attrs.clone(), outputs: outputs(&[("arn", &arn)]) })
    }

    async fn update(&self, aws: &AwsProvider, c: Change<'_>) -> Result<Applied, ProviderError> {
        let Change { req, id, .. } = c;
        let a = req.address;
        let v: s::SecurityHub = spec(a, req.attrs)?;
        if c.changed("standards") {
            let have = aws.enabled_standards().await?;
            aws.set_standards(&v.standards, &have).await?;
        }
        Ok(Applied { id: id.into(), attributes: req.attrs.clone(), outputs: outputs(&[("arn", id)]) })
    }

    async fn delete(&self, aws: &AwsProvider, d: Doomed<'_>) -> Result<(), ProviderError> {
        let Doomed { id, .. } = d;
        match aws.securityhub.disable_security_hub().send().await {
            Ok(_) => Ok(()),
            Err(e)
                if aws_smithy_types::error::metadata::ProvideErrorMetadata::code(&e)
                    == Some("InvalidAccessException") =>
            {
                Err(ProviderError::NotFound(format!("Security Hub is not enabled ({id})")))
            }
            Err(e) => Err(classify(&e)),
        }
    }

    async fn list(&self, aws: &AwsProvider, at: &Listing<'_>) -> Result<Listed, ProviderError> {
        let (blueprint, state) = (at.blueprint, at.state);
        let mut listed = Listed::default();
        let mut found = BTreeMap::new();
        if let Some((arn, since)) = aws.hub().await? {
            // An endpoint that cannot list the hub's tags (moto answers 404 for a hub that
            // DescribeHub just named) proves nothing: the hub state records keeps its
            // recorded tags, and no other is taken for ours.
            let rec = at.record(Kind::SecurityHub, &arn).cloned();
            // Tags only to prove a hub state does not know (a known one keeps its recorded tags).
            let tags = if rec.is_some() {
                None
            } else {
                match aws.hub_tags(&arn).await {
                    Ok(t) => Some(t),
                    Err(ProviderError::Unsupported(_) | ProviderError::NotFound(_)) => None,
                    Err(e) => return Err(e),
                }
            };
            let mut addr = tags
                .as_ref()
                .and_then(|tags| owned(blueprint, &state.lineage, tags.iter().map(|(k, v)| (k.as_str(), v.as_str()))));
            // A run that died between EnableSecurityHub and saving state left a marker:
            // the hub is this state's if it was enabled after the marker (a minute of
            // clock difference allowed), and its tags do not name another state.
            // EnableSecurityHub sets the tags in the same call, which the marker recorded:
            // where AWS cannot say (moto), those are the tags the hub carries.
            let mut marker_tags = None;
            if addr.is_none() && rec.is_none() {
                let foreign = tags.as_ref().is_some_and(|t| t.iter().any(|(k, _)| k == crate::model::TAG_LINEAGE));
                if let Some((a, p)) = state.pending.iter().find(|(a, _)| a.kind() == Kind::SecurityHub) {
                    if !foreign && since + 60 >= p.since {
                        addr = Some(a.clone());
                        marker_tags = p.tags.clone();
                    }
                }
            }
            if rec.is_some() || addr.is_some() {
                let mut read = Attrs::new();
                // Standards are read when state says some are enabled (one more call).
                let recorded = rec
                    .as_ref()
                    .and_then(|r| r.attributes.get("standards"))
                    .and_then(|v| v.as_array())
                    .is_some_and(|a| !a.is_empty());
                if recorded {
                    let standards: Vec<String> = aws.enabled_standards().await?.into_keys().collect();
                    read.insert("standards".into(), json!(standards));
                } else {
                    read.insert("standards".into(), json!([]));
                }
                if let Some(tags) = &tags {
                    read.insert("tags".into(), user_tags(tags.iter().map(|(k, v)| (k.as_str(), v.as_str()))));
                } else if let Some(tags) = &marker_tags {
                    read.insert("tags".into(), json!(tags));
                }
                let rec = rec.unwrap_or_else(|| blank(Kind::SecurityHub));
                found.insert(arn.clone(), (addr, live(&rec, arn.as_str(), read, outputs(&[("arn", &arn)]))));
            } else if at.sees_existing(Kind::SecurityHub) {
                // Someone else's hub: what the blueprint may use. Its standards are its own
                // (not read: socform never changes them).
                let mut read = Attrs::new();
                if let Some(tags) = &tags {
                    read.insert("tags".into(), user_tags(tags.iter().map(|(k, v)| (k.as_str(), v.as_str()))));
                }
                let it = live(&blank(Kind::SecurityHub), arn.as_str(), read, outputs(&[("arn", &arn)]));
                listed.existing.insert(Kind::SecurityHub, it);
            }
        }
        listed.found.insert(Kind::SecurityHub, found);
        Ok(listed)
    }

    async fn tag_target(&self, _aws: &AwsProvider, id: &str) -> Result<Option<TagTarget>, ProviderError> {
        Ok(Some(TagTarget::SecurityHub(id.to_string())))
    }
}
