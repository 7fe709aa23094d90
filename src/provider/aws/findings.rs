//! Managed detectors: the GuardDuty detector and Security Hub with its standards. Each is one
//! per account and region, so a create first asks whether one exists, and takes it over
//! only when its tags prove this state made it.
//!
//! Refresh: ListDetectors and GetDetector (which carries the tags); DescribeHub, and
//! GetEnabledStandards when state records standards; the hub's tags (ListTagsForResource)
//! only to prove a hub state does not know.

use std::collections::{BTreeMap, HashMap};

use serde_json::json;

use super::{blank, live, outputs, owned, spec, user_tags, AwsProvider, Classify, Part, Want};
use crate::address::Address;
use crate::model::spec as s;
use crate::model::{Attrs, Kind};
use crate::provider::{Applied, ProviderError, Request};
use crate::state::State;

impl AwsProvider {
    fn detector_arn(&self, account: &str, id: &str) -> String {
        format!("arn:{}:guardduty:{}:{account}:detector/{id}", crate::model::partition(&self.region), self.region)
    }

    /// The hub's ARN, or `None` when Security Hub is not enabled here.
    async fn hub_arn(&self) -> Result<Option<String>, ProviderError> {
        Ok(self.hub().await?.map(|(arn, _)| arn))
    }

    /// The hub's ARN and when it was enabled (seconds since the epoch; 0 when AWS does not
    /// say), or `None` when Security Hub is not enabled here.
    async fn hub(&self) -> Result<Option<(String, u64)>, ProviderError> {
        match self.securityhub.describe_hub().send().await {
            Ok(out) => Ok(out
                .hub_arn()
                .map(|arn| (arn.to_string(), out.subscribed_at().and_then(crate::model::parse_rfc3339).unwrap_or(0)))),
            // Security Hub answers a call from an account that has not enabled it with
            // InvalidAccessException.
            Err(e)
                if aws_smithy_types::error::metadata::ProvideErrorMetadata::code(&e)
                    == Some("InvalidAccessException") =>
            {
                Ok(None)
            }
            Err(e) => match super::classify(&e) {
                ProviderError::NotFound(_) => Ok(None),
                other => Err(other),
            },
        }
    }

    async fn hub_tags(&self, arn: &str) -> Result<Vec<(String, String)>, ProviderError> {
        let out = self.securityhub.list_tags_for_resource().resource_arn(arn).send().await.aws()?;
        Ok(out.tags().into_iter().flatten().map(|(k, v)| (k.clone(), v.clone())).collect())
    }

    /// The enabled standards: ARN to subscription ARN.
    async fn enabled_standards(&self) -> Result<BTreeMap<String, String>, ProviderError> {
        let mut found = BTreeMap::new();
        let mut pages = self.securityhub.get_enabled_standards().into_paginator().send();
        while let Some(page) = pages.next().await {
            for sub in page.aws()?.standards_subscriptions() {
                let status = sub.standards_status().map(|s| s.as_str()).unwrap_or_default();
                if status == "DELETING" || status == "FAILED" {
                    continue;
                }
                if let (Some(arn), Some(sub_arn)) = (sub.standards_arn(), sub.standards_subscription_arn()) {
                    found.insert(arn.to_string(), sub_arn.to_string());
                }
            }
        }
        Ok(found)
    }

    async fn set_standards(&self, want: &[String], have: &BTreeMap<String, String>) -> Result<(), ProviderError> {
        let enable: Vec<_> = want
            .iter()
            .filter(|a| !have.contains_key(*a))
            .map(|a| aws_sdk_securityhub::types::StandardsSubscriptionRequest::builder().standards_arn(a).build())
            .collect();
        let disable: Vec<String> = have.iter().filter(|(a, _)| !want.contains(a)).map(|(_, sub)| sub.clone()).collect();
        if !enable.is_empty() {
            self.securityhub
                .batch_enable_standards()
                .set_standards_subscription_requests(Some(enable))
                .send()
                .await
                .aws()?;
        }
        if !disable.is_empty() {
            self.securityhub
                .batch_disable_standards()
                .set_standards_subscription_arns(Some(disable))
                .send()
                .await
                .aws()?;
        }
        Ok(())
    }

    pub(super) async fn create_findings(&self, req: Request<'_>) -> Result<Applied, ProviderError> {
        let a = req.address;
        match a.kind() {
            Kind::GuarddutyDetector => {
                let v: s::GuarddutyDetector = spec(a, req.attrs)?;
                let tags: HashMap<String, String> = self.tags(&req, &v.tags).into_iter().collect();
                let existing = self.guardduty.list_detectors().send().await.aws()?;
                if let Some(id) = existing.detector_ids().first() {
                    // One detector per region: someone else's is never taken over.
                    let d = self.guardduty.get_detector().detector_id(id).send().await.aws()?;
                    let pairs = d.tags().into_iter().flatten().map(|(k, v)| (k.clone(), v.clone()));
                    if !Self::proves(&req, pairs) {
                        return Err(Self::not_ours_because(&req, "GuardDuty keeps one per region", id));
                    }
                    return self.update_findings(req, id, &Attrs::new()).await;
                }
                let out = self
                    .guardduty
                    .create_detector()
                    .enable(v.enable)
                    .finding_publishing_frequency(v.finding_publishing_frequency.as_str().into())
                    .set_tags(Some(tags))
                    .send()
                    .await
                    .aws()?;
                let id = out.detector_id().unwrap_or_default().to_string();
                let arn = self.detector_arn(&self.account_id_cached().await?, &id);
                Ok(Applied {
                    id: id.clone(),
                    attributes: req.attrs.clone(),
                    outputs: outputs(&[("id", &id), ("arn", &arn)]),
                })
            }
            Kind::SecurityHub => {
                let v: s::SecurityHub = spec(a, req.attrs)?;
                let tags: HashMap<String, String> = self.tags(&req, &v.tags).into_iter().collect();
                if let Some(arn) = self.hub_arn().await? {
                    let tags = match self.hub_tags(&arn).await {
                        Ok(t) => t,
                        // Tags that cannot be read prove nothing.
                        Err(ProviderError::Unsupported(_) | ProviderError::NotFound(_)) => vec![],
                        Err(e) => return Err(e),
                    };
                    if !Self::proves(&req, tags) {
                        return Err(Self::not_ours_because(&req, "it is enabled once per account and region", &arn));
                    }
                    return self.update_findings(req, &arn, &Attrs::new()).await;
                }
                // The default standards are not wanted: the blueprint names its own.
                self.securityhub
                    .enable_security_hub()
                    .enable_default_standards(false)
                    .set_tags(Some(tags))
                    .send()
                    .await
                    .aws()?;
                let arn = self.hub_arn().await?.unwrap_or_default();
                if !v.standards.is_empty() {
                    self.set_standards(&v.standards, &BTreeMap::new()).await?;
                }
                Ok(Applied { id: arn.clone(), attributes: req.attrs.clone(), outputs: outputs(&[("arn", &arn)]) })
            }
            _ => unreachable!("not a findings kind"),
        }
    }

    pub(super) async fn update_findings(
        &self,
        req: Request<'_>,
        id: &str,
        before: &Attrs,
    ) -> Result<Applied, ProviderError> {
        let a = req.address;
        let changed = |k: &str| before.get(k) != req.attrs.get(k);
        match a.kind() {
            Kind::GuarddutyDetector => {
                let v: s::GuarddutyDetector = spec(a, req.attrs)?;
                if changed("enable") || changed("finding_publishing_frequency") {
                    self.guardduty
                        .update_detector()
                        .detector_id(id)
                        .enable(v.enable)
                        .finding_publishing_frequency(v.finding_publishing_frequency.as_str().into())
                        .send()
                        .await
                        .aws()?;
                }
                let arn = self.detector_arn(&self.account_id_cached().await?, id);
                if changed("tags") {
                    let (gd, arn) = (&self.guardduty, &arn);
                    self.set_tags(
                        &req,
                        before,
                        &v.tags,
                        async |gone| {
                            gd.untag_resource()
                                .resource_arn(arn)
                                .set_tag_keys(Some(gone))
                                .send()
                                .await
                                .aws()
                                .map(|_| ())
                        },
                        async |tags| {
                            gd.tag_resource()
                                .resource_arn(arn)
                                .set_tags(Some(tags.into_iter().collect()))
                                .send()
                                .await
                                .aws()
                                .map(|_| ())
                        },
                    )
                    .await?;
                }
                Ok(Applied {
                    id: id.into(),
                    attributes: req.attrs.clone(),
                    outputs: outputs(&[("id", id), ("arn", &arn)]),
                })
            }
            Kind::SecurityHub => {
                let v: s::SecurityHub = spec(a, req.attrs)?;
                if changed("standards") {
                    let have = self.enabled_standards().await?;
                    self.set_standards(&v.standards, &have).await?;
                }
                if changed("tags") {
                    let sh = &self.securityhub;
                    self.set_tags(
                        &req,
                        before,
                        &v.tags,
                        async |gone| {
                            sh.untag_resource().resource_arn(id).set_tag_keys(Some(gone)).send().await.aws().map(|_| ())
                        },
                        async |tags| {
                            sh.tag_resource()
                                .resource_arn(id)
                                .set_tags(Some(tags.into_iter().collect()))
                                .send()
                                .await
                                .aws()
                                .map(|_| ())
                        },
                    )
                    .await?;
                }
                Ok(Applied { id: id.into(), attributes: req.attrs.clone(), outputs: outputs(&[("arn", id)]) })
            }
            _ => unreachable!("not a findings kind"),
        }
    }

    pub(super) async fn delete_findings(
        &self,
        address: &Address,
        id: &str,
        _attrs: &Attrs,
    ) -> Result<(), ProviderError> {
        match address.kind() {
            Kind::GuarddutyDetector => self.guardduty.delete_detector().detector_id(id).send().await.aws().map(|_| ()),
            Kind::SecurityHub => match self.securityhub.disable_security_hub().send().await {
                Ok(_) => Ok(()),
                Err(e)
                    if aws_smithy_types::error::metadata::ProvideErrorMetadata::code(&e)
                        == Some("InvalidAccessException") =>
                {
                    Err(ProviderError::NotFound(format!("Security Hub is not enabled ({id})")))
                }
                Err(e) => Err(super::classify(&e)),
            },
            _ => unreachable!("not a findings kind"),
        }
    }

    pub(super) async fn refresh_findings(
        &self,
        blueprint: &str,
        state: &State,
        want: &Want,
    ) -> Result<Part, ProviderError> {
        let mut part = Part::default();
        if want.has(Kind::GuarddutyDetector) {
            let mut found = BTreeMap::new();
            let account = self.account_id_cached().await?;
            for id in self.guardduty.list_detectors().send().await.aws()?.detector_ids() {
                let d = self.guardduty.get_detector().detector_id(id).send().await.aws()?;
                let tags: Vec<(String, String)> =
                    d.tags().into_iter().flatten().map(|(k, v)| (k.clone(), v.clone())).collect();
                let addr = owned(blueprint, &state.lineage, tags.iter().map(|(k, v)| (k.as_str(), v.as_str())));
                let rec = state.resources.values().find(|r| r.kind == Kind::GuarddutyDetector && &r.id == id).cloned();
                if rec.is_none() && addr.is_none() {
                    continue;
                }
                let mut read = Attrs::new();
                read.insert("enable".into(), json!(d.status().map(|s| s.as_str()) == Some("ENABLED")));
                read.insert(
                    "finding_publishing_frequency".into(),
                    json!(d.finding_publishing_frequency().map(|f| f.as_str()).unwrap_or("SIX_HOURS")),
                );
                read.insert("tags".into(), user_tags(tags.iter().map(|(k, v)| (k.as_str(), v.as_str()))));
                let rec = rec.unwrap_or_else(|| blank(Kind::GuarddutyDetector));
                let arn = self.detector_arn(&account, id);
                found.insert(id.clone(), (addr, live(&rec, id.as_str(), read, outputs(&[("id", id), ("arn", &arn)]))));
            }
            part.settle(state, Kind::GuarddutyDetector, found);
        }
        if want.has(Kind::SecurityHub) {
            let mut found = BTreeMap::new();
            if let Some((arn, since)) = self.hub().await? {
                // An endpoint that cannot list the hub's tags (moto answers 404 for a hub that
                // DescribeHub just named) proves nothing: the hub state records keeps its
                // recorded tags, and no other is taken for ours.
                let rec = state.resources.values().find(|r| r.kind == Kind::SecurityHub && r.id == arn).cloned();
                // Tags only to prove a hub state does not know (a known one keeps its recorded tags).
                let tags = if rec.is_some() {
                    None
                } else {
                    match self.hub_tags(&arn).await {
                        Ok(t) => Some(t),
                        Err(ProviderError::Unsupported(_) | ProviderError::NotFound(_)) => None,
                        Err(e) => return Err(e),
                    }
                };
                let mut addr = tags.as_ref().and_then(|tags| {
                    owned(blueprint, &state.lineage, tags.iter().map(|(k, v)| (k.as_str(), v.as_str())))
                });
                // A run that died between EnableSecurityHub and saving state left a marker:
                // the hub is this state's if it was enabled after the marker (a minute of
                // clock difference allowed), and its tags do not name another state.
                // EnableSecurityHub sets the tags in the same call, which the marker recorded:
                // where AWS cannot say (moto), those are the tags the hub carries.
                let mut marker_tags = None;
                if addr.is_none() && rec.is_none() {
                    let foreign = tags.as_ref().is_some_and(|t| t.iter().any(|(k, _)| k == super::TAG_LINEAGE));
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
                        let standards: Vec<String> = self.enabled_standards().await?.into_keys().collect();
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
                }
            }
            part.settle(state, Kind::SecurityHub, found);
        }
        Ok(part)
    }
}
