//! An EventBridge rule with its targets. Listed with ListRules by the blueprint's name prefix,
//! then ListTargetsByRule per rule (EventBridge has no batched form).

use super::*;

pub(crate) struct EventRule;

#[async_trait]
impl KindApi for EventRule {
    async fn create(&self, aws: &AwsProvider, req: Request<'_>) -> Result<Applied, ProviderError> {
        let a = req.address;
        let v: s::EventRule = spec(a, req.attrs)?;
        // PutRule overwrites a rule of the same name: ask first.
        match aws.events.describe_rule().name(&v.name).send().await.aws() {
            Ok(r) => {
                let tags = aws.rule_tags(r.arn().unwrap_or_default()).await?;
                if !AwsProvider::proves(&req, tags) {
                    return Err(AwsProvider::not_ours(&req, &v.name));
                }
            }
            Err(ProviderError::NotFound(_)) => {}
            Err(e) => return Err(e),
        }
        let arn = aws.put_event_rule(&req, &v, true).await?;
        aws.put_targets(&v).await?;
        Ok(Applied {
            id: v.name.clone(),
            attributes: req.attrs.clone(),
            outputs: outputs(&[("name", &v.name), ("arn", &arn)]),
        })
    }

    async fn update(&self, aws: &AwsProvider, c: Change<'_>) -> Result<Applied, ProviderError> {
        let Change { req, id, .. } = c;
        let a = req.address;
        let v: s::EventRule = spec(a, req.attrs)?;
        let arn = aws.put_event_rule(&req, &v, false).await?;
        if c.changed("targets") {
            let current = aws.events.list_targets_by_rule().rule(id).send().await.aws()?;
            let gone: Vec<String> = current
                .targets()
                .iter()
                .map(|t| t.id().to_string())
                .filter(|tid| !v.targets.iter().any(|t| &t.id == tid))
                .collect();
            if !gone.is_empty() {
                aws.events.remove_targets().rule(id).set_ids(Some(gone)).send().await.aws()?;
            }
            aws.put_targets(&v).await?;
        }
        Ok(Applied {
            id: id.to_string(),
            attributes: req.attrs.clone(),
            outputs: outputs(&[("name", id), ("arn", &arn)]),
        })
    }

    async fn delete(&self, aws: &AwsProvider, d: Doomed<'_>) -> Result<(), ProviderError> {
        let Doomed { id, .. } = d;
        // A rule with targets cannot be deleted: take them off first.
        let current = aws.events.list_targets_by_rule().rule(id).send().await.aws()?;
        let ids: Vec<String> = current.targets().iter().map(|t| t.id().to_string()).collect();
        if !ids.is_empty() {
            aws.events.remove_targets().rule(id).set_ids(Some(ids)).send().await.aws()?;
        }
        aws.events.delete_rule().name(id).send().await.aws().map(|_| ())
    }

    async fn list(&self, aws: &AwsProvider, at: &Listing<'_>) -> Result<Listed, ProviderError> {
        let (blueprint, state) = (at.blueprint, at.state);
        let mut listed = Listed::default();
        let prefix = format!("{blueprint}-");
        let mut found = BTreeMap::new();
        let mut token = None;
        loop {
            let page = aws.events.list_rules().name_prefix(&prefix).set_next_token(token).send().await.aws()?;
            for r in page.rules() {
                let name = r.name().unwrap_or_default();
                let arn = r.arn().unwrap_or_default();
                let rec = at.record(Kind::EventRule, name).cloned();
                // Tags are read to prove a rule state does not know is its own (a crash's
                // leftover); a known rule keeps the tags state recorded, as alarms do.
                let tags = match rec {
                    Some(_) => None,
                    None => Some(aws.rule_tags(arn).await?),
                };
                let addr = tags.as_ref().and_then(|tags| {
                    owned(blueprint, &state.lineage, tags.iter().map(|(k, v)| (k.as_str(), v.as_str())))
                });
                if rec.is_none() && addr.is_none() {
                    continue;
                }
                let targets = aws.events.list_targets_by_rule().rule(name).send().await.aws()?;
                let mut targets: Vec<s::EventTarget> = targets
                    .targets()
                    .iter()
                    .map(|t| s::EventTarget {
                        id: t.id().to_string(),
                        arn: t.arn().to_string(),
                        role_arn: t.role_arn().map(str::to_string),
                        input_paths: t
                            .input_transformer()
                            .and_then(|x| x.input_paths_map())
                            .map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
                            .unwrap_or_default(),
                        input_template: t.input_transformer().map(|x| x.input_template().to_string()),
                    })
                    .collect();
                targets.sort();
                let pattern: Value =
                    r.event_pattern().and_then(|p| serde_json::from_str(p).ok()).unwrap_or(Value::Null);
                let mut read = Attrs::new();
                read.insert("name".into(), json!(name));
                read.insert("description".into(), json!(r.description()));
                read.insert("event_pattern".into(), pattern);
                read.insert("state".into(), json!(r.state().map(|s| s.as_str()).unwrap_or("ENABLED")));
                read.insert("targets".into(), serde_json::to_value(&targets).expect("targets serialise"));
                if let Some(tags) = &tags {
                    read.insert("tags".into(), user_tags(tags.iter().map(|(k, v)| (k.as_str(), v.as_str()))));
                }
                let rec = rec.unwrap_or_else(|| blank(Kind::EventRule));
                let mut l = live(&rec, name, read, outputs(&[("name", name), ("arn", arn)]));
                l.attributes.retain(|_, v| !v.is_null());
                found.insert(name.to_string(), (addr, l));
            }
            token = page.next_token().map(str::to_string);
            if token.is_none() {
                break;
            }
        }
        listed.found.insert(Kind::EventRule, found);
        Ok(listed)
    }

    async fn tag_target(&self, aws: &AwsProvider, id: &str) -> Result<Option<TagTarget>, ProviderError> {
        let out = aws.events.describe_rule().name(id).send().await.aws()?;
        Ok(Some(TagTarget::Events(out.arn().unwrap_or_default().to_string())))
    }
}
