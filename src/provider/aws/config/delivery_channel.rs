//! The AWS Config delivery channel (one per region). Listed with one DescribeDeliveryChannels.

use super::*;

pub(crate) struct ConfigDeliveryChannel;

#[async_trait]
impl KindApi for ConfigDeliveryChannel {
    async fn create(&self, aws: &AwsProvider, req: Request<'_>) -> Result<Applied, ProviderError> {
        let a = req.address;
        let v: s::ConfigDeliveryChannel = spec(a, req.attrs)?;
        // One delivery channel per region, overwritten by PutDeliveryChannel, no tags:
        // an existing one is ours only with this name and this state's bucket.
        let existing = aws.config.describe_delivery_channels().send().await.aws()?;
        if let Some(c) = existing.delivery_channels().first() {
            let name = c.name().unwrap_or_default();
            if name != v.name || c.s3_bucket_name() != Some(v.s3_bucket_name.as_str()) {
                return Err(AwsProvider::not_ours_because(&req, "AWS Config keeps one per region", name));
            }
        }
        aws.put_channel(&v).await?;
        // A recorder starts only once it has a channel; start the blueprint's (named as the
        // channel is) now. One the account had already is used as it is: never started here.
        let recorders = aws.config.describe_configuration_recorders().send().await.aws()?;
        for r in recorders.configuration_recorders() {
            if let Some(name) = r.name().filter(|n| *n == v.name) {
                aws.config.start_configuration_recorder().configuration_recorder_name(name).send().await.aws()?;
            }
        }
        Ok(Applied { id: v.name.clone(), attributes: req.attrs.clone(), outputs: outputs(&[("name", &v.name)]) })
    }

    async fn update(&self, aws: &AwsProvider, c: Change<'_>) -> Result<Applied, ProviderError> {
        let Change { req, .. } = c;
        let a = req.address;
        aws.put_channel(&spec(a, req.attrs)?).await?;
        Ok(c.kept())
    }

    async fn delete(&self, aws: &AwsProvider, d: Doomed<'_>) -> Result<(), ProviderError> {
        let Doomed { id, .. } = d;
        // AWS refuses to delete the channel while the recorder runs.
        let recorders = aws.config.describe_configuration_recorders().send().await.aws()?;
        for r in recorders.configuration_recorders() {
            if let Some(name) = r.name() {
                let _ = aws.config.stop_configuration_recorder().configuration_recorder_name(name).send().await;
            }
        }
        aws.config.delete_delivery_channel().delivery_channel_name(id).send().await.aws().map(|_| ())
    }

    async fn list(&self, aws: &AwsProvider, at: &Listing<'_>) -> Result<Listed, ProviderError> {
        let mut listed = Listed::default();
        if !config_in_state(at) && !at.sees_existing(Kind::ConfigDeliveryChannel) {
            return Ok(Listed::default());
        }
        let channels = aws.config.describe_delivery_channels().send().await.aws()?;
        let mut found = BTreeMap::new();
        for c in channels.delivery_channels() {
            let name = c.name().unwrap_or_default();
            let rec = at.record(Kind::ConfigDeliveryChannel, name).cloned();
            if rec.is_none() && !at.sees_existing(Kind::ConfigDeliveryChannel) {
                continue;
            }
            let mut read = Attrs::new();
            read.insert("name".into(), json!(name));
            read.insert("s3_bucket_name".into(), json!(c.s3_bucket_name()));
            if let Some(f) = c.config_snapshot_delivery_properties().and_then(|p| p.delivery_frequency()) {
                read.insert("delivery_frequency".into(), json!(f.as_str()));
            }
            match rec {
                Some(rec) => {
                    found.insert(name.to_string(), (None, live(&rec, name, read, outputs(&[("name", name)]))));
                }
                // A channel carries no tags: one state does not record is this state's only when
                // a run that died before saving it made it (the blueprint's name, delivering to
                // a bucket this state made), and someone else's otherwise.
                None => {
                    let it = live(&blank(Kind::ConfigDeliveryChannel), name, read, outputs(&[("name", name)]));
                    let bucket = c.s3_bucket_name().unwrap_or_default();
                    let our_bucket = at.state.resources.values().any(|x| x.kind == Kind::S3Bucket && x.id == bucket);
                    if name == at.blueprint && our_bucket {
                        let address = crate::address::Address::new(Kind::ConfigDeliveryChannel, "main");
                        found.insert(name.to_string(), (Some(address), it));
                    } else {
                        listed.existing.insert(Kind::ConfigDeliveryChannel, it);
                    }
                }
            }
        }
        listed.found.insert(Kind::ConfigDeliveryChannel, found);
        Ok(listed)
    }

    async fn tag_target(&self, _aws: &AwsProvider, _id: &str) -> Result<Option<TagTarget>, ProviderError> {
        Ok(None)
    }
}
