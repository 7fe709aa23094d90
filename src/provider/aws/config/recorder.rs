//! The AWS Config configuration recorder (one per region). Listed with one
//! DescribeConfigurationRecorders and one status call.

use super::*;

pub(crate) struct ConfigRecorder;

#[async_trait]
impl KindApi for ConfigRecorder {
    async fn create(&self, aws: &AwsProvider, req: Request<'_>) -> Result<Applied, ProviderError> {
        let a = req.address;
        let v: s::ConfigRecorder = spec(a, req.attrs)?;
        // AWS Config keeps one recorder per region and PutConfigurationRecorder
        // overwrites it. Recorders carry no tags: one that exists is this state's own
        // only if it has this name and records through the role this state made.
        let existing = aws.config.describe_configuration_recorders().send().await.aws()?;
        if let Some(r) = existing.configuration_recorders().first() {
            let name = r.name().unwrap_or_default();
            if name != v.name || r.role_arn() != Some(v.role_arn.as_str()) {
                return Err(AwsProvider::not_ours_because(&req, "AWS Config keeps one per region", name));
            }
        }
        aws.put_recorder(&v).await?;
        Ok(Applied { id: v.name.clone(), attributes: req.attrs.clone(), outputs: outputs(&[("name", &v.name)]) })
    }

    async fn update(&self, aws: &AwsProvider, c: Change<'_>) -> Result<Applied, ProviderError> {
        let Change { req, id, .. } = c;
        let a = req.address;
        let v: s::ConfigRecorder = spec(a, req.attrs)?;
        aws.put_recorder(&v).await?;
        if v.recording {
            match aws.config.start_configuration_recorder().configuration_recorder_name(id).send().await {
                Ok(_) => {}
                // A recorder records only once it has a delivery channel, and creating
                // the channel starts it (a run that died between the two leaves this).
                Err(e) if e.code() == Some("NoAvailableDeliveryChannelException") => {}
                Err(e) => return Err(classify(&e)),
            }
        } else {
            aws.config.stop_configuration_recorder().configuration_recorder_name(id).send().await.aws()?;
        }
        Ok(c.kept())
    }

    async fn delete(&self, aws: &AwsProvider, d: Doomed<'_>) -> Result<(), ProviderError> {
        let Doomed { id, .. } = d;
        let _ = aws.config.stop_configuration_recorder().configuration_recorder_name(id).send().await;
        aws.config.delete_configuration_recorder().configuration_recorder_name(id).send().await.aws().map(|_| ())
    }

    async fn list(&self, aws: &AwsProvider, at: &Listing<'_>) -> Result<Listed, ProviderError> {
        let mut listed = Listed::default();
        if !config_in_state(at) && !at.sees_existing(Kind::ConfigRecorder) {
            return Ok(Listed::default());
        }
        let recorders = aws.config.describe_configuration_recorders().send().await.aws()?;
        let status = aws.config.describe_configuration_recorder_status().send().await.aws()?;
        let mut found = BTreeMap::new();
        for r in recorders.configuration_recorders() {
            let name = r.name().unwrap_or_default();
            let rec = at.record(Kind::ConfigRecorder, name).cloned();
            if rec.is_none() && !at.sees_existing(Kind::ConfigRecorder) {
                continue;
            }
            let group = r.recording_group();
            let recording =
                status.configuration_recorders_status().iter().any(|s| s.name() == Some(name) && s.recording());
            let mut read = Attrs::new();
            read.insert("name".into(), json!(name));
            read.insert("role_arn".into(), json!(r.role_arn()));
            read.insert("all_supported".into(), json!(group.map(|g| g.all_supported()).unwrap_or(false)));
            read.insert(
                "include_global_resource_types".into(),
                json!(group.map(|g| g.include_global_resource_types()).unwrap_or(false)),
            );
            read.insert("recording".into(), json!(recording));
            match rec {
                Some(rec) => {
                    found.insert(name.to_string(), (None, live(&rec, name, read, outputs(&[("name", name)]))));
                }
                // Recorders carry no tags: one state does not record is this state's only when
                // a run that died before saving it made it (the blueprint's name, recording
                // through a role this state made, as the create would take it over), and
                // someone else's otherwise.
                None => {
                    let it = live(&blank(Kind::ConfigRecorder), name, read, outputs(&[("name", name)]));
                    let role = r.role_arn().unwrap_or_default();
                    let our_role = at
                        .state
                        .resources
                        .values()
                        .any(|x| x.kind == Kind::IamRole && x.outputs.get("arn").map(String::as_str) == Some(role));
                    if name == at.blueprint && our_role {
                        found.insert(
                            name.to_string(),
                            (Some(crate::address::Address::new(Kind::ConfigRecorder, "main")), it),
                        );
                    } else {
                        listed.existing.insert(Kind::ConfigRecorder, it);
                    }
                }
            }
        }
        listed.found.insert(Kind::ConfigRecorder, found);
        Ok(listed)
    }

    async fn tag_target(&self, _aws: &AwsProvider, _id: &str) -> Result<Option<TagTarget>, ProviderError> {
        Ok(None)
    }
}
