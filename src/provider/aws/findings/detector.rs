//! A GuardDuty detector (one per account and region). Listed with ListDetectors and GetDetector
//! per detector.

use super::*;

pub(crate) struct GuarddutyDetector;

#[async_trait]
impl KindApi for GuarddutyDetector {
    async fn create(&self, aws: &AwsProvider, req: Request<'_>) -> Result<Applied, ProviderError> {
        let a = req.address;
        let v: s::GuarddutyDetector = spec(a, req.attrs)?;
        let tags: HashMap<String, String> = aws.tags(&req, &v.tags).into_iter().collect();
        let existing = aws.guardduty.list_detectors().send().await.aws()?;
        if let Some(id) = existing.detector_ids().first() {
            // One detector per region: someone else's is never taken over.
            let d = aws.guardduty.get_detector().detector_id(id).send().await.aws()?;
            let pairs = d.tags().into_iter().flatten().map(|(k, v)| (k.clone(), v.clone()));
            if !AwsProvider::proves(&req, pairs) {
                return Err(AwsProvider::not_ours_because(&req, "GuardDuty keeps one per region", id));
            }
            return aws.update_with_tags(req, id, &Attrs::new()).await;
        }
        let out = aws
            .guardduty
            .create_detector()
            .enable(v.enable)
            .finding_publishing_frequency(v.finding_publishing_frequency.as_str().into())
            .set_tags(Some(tags))
            .send()
            .await
            .aws()?;
        let id = out.detector_id().unwrap_or_default().to_string();
        let arn = aws.detector_arn(&aws.account_id_cached().await?, &id);
        Ok(Applied { id: id.clone(), attributes: req.attrs.clone(), outputs: outputs(&[("id", &id), ("arn", &arn)]) })
    }

    async fn update(&self, aws: &AwsProvider, c: Change<'_>) -> Result<Applied, ProviderError> {
        let Change { req, id, .. } = c;
        let a = req.address;
        let v: s::GuarddutyDetector = spec(a, req.attrs)?;
        if c.changed("enable") || c.changed("finding_publishing_frequency") {
            aws.guardduty
                .update_detector()
                .detector_id(id)
                .enable(v.enable)
                .finding_publishing_frequency(v.finding_publishing_frequency.as_str().into())
                .send()
                .await
                .aws()?;
        }
        let arn = aws.detector_arn(&aws.account_id_cached().await?, id);
        Ok(Applied { id: id.into(), attributes: req.attrs.clone(), outputs: outputs(&[("id", id), ("arn", &arn)]) })
    }

    async fn delete(&self, aws: &AwsProvider, d: Doomed<'_>) -> Result<(), ProviderError> {
        let Doomed { id, .. } = d;
        aws.guardduty.delete_detector().detector_id(id).send().await.aws().map(|_| ())
    }

    async fn list(&self, aws: &AwsProvider, at: &Listing<'_>) -> Result<Listed, ProviderError> {
        let (blueprint, state) = (at.blueprint, at.state);
        let mut listed = Listed::default();
        let mut found = BTreeMap::new();
        let account = aws.account_id_cached().await?;
        for id in aws.guardduty.list_detectors().send().await.aws()?.detector_ids() {
            let d = aws.guardduty.get_detector().detector_id(id).send().await.aws()?;
            let tags: Vec<(String, String)> =
                d.tags().into_iter().flatten().map(|(k, v)| (k.clone(), v.clone())).collect();
            let addr = owned(blueprint, &state.lineage, tags.iter().map(|(k, v)| (k.as_str(), v.as_str())));
            let rec = at.record(Kind::GuarddutyDetector, id).cloned();
            if rec.is_none() && addr.is_none() && !at.sees_existing(Kind::GuarddutyDetector) {
                continue;
            }
            let mut read = Attrs::new();
            read.insert("enable".into(), json!(d.status().map(|s| s.as_str()) == Some("ENABLED")));
            read.insert(
                "finding_publishing_frequency".into(),
                json!(d.finding_publishing_frequency().map(|f| f.as_str()).unwrap_or("SIX_HOURS")),
            );
            read.insert("tags".into(), user_tags(tags.iter().map(|(k, v)| (k.as_str(), v.as_str()))));
            let arn = aws.detector_arn(&account, id);
            let outs = outputs(&[("id", id), ("arn", &arn)]);
            if rec.is_none() && addr.is_none() {
                // Someone else's: what the blueprint may use.
                listed.existing.insert(Kind::GuarddutyDetector, live(&blank(Kind::GuarddutyDetector), id, read, outs));
                continue;
            }
            let rec = rec.unwrap_or_else(|| blank(Kind::GuarddutyDetector));
            found.insert(id.clone(), (addr, live(&rec, id.as_str(), read, outs)));
        }
        listed.found.insert(Kind::GuarddutyDetector, found);
        Ok(listed)
    }

    async fn tag_target(&self, aws: &AwsProvider, id: &str) -> Result<Option<TagTarget>, ProviderError> {
        let account = aws.account_id_cached().await?;
        Ok(Some(TagTarget::GuardDuty(aws.detector_arn(&account, id))))
    }
}
