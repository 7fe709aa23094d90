//! Automated response: EventBridge rules with their targets, Lambda functions and the
//! permissions that let a rule invoke them.
//!
//! Refresh: ListRules by the blueprint's name prefix, then ListTargetsByRule per rule
//! (EventBridge has no batched form); one paginated ListFunctions; GetPolicy per function whose
//! permissions state records. Tags are read (ListTagsForResource, ListTags) only for a rule or
//! function state does not know, to prove it this state's own; known ones keep the tags state
//! recorded, as alarms do.

pub(super) mod event_rule;
pub(super) mod function;
pub(super) mod permission;

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use aws_sdk_eventbridge::types::{InputTransformer, RuleState, Target};
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use serde_json::{json, Value};

#[allow(unused_imports)]
use super::classify;
use super::kinds::{Change, Doomed, KindApi, Listed, Listing, TagTarget};
use super::{blank, live, outputs, owned, spec, user_tags, AwsProvider, Classify, SETTLE};
use crate::address::Address;
use crate::model::spec as s;
use crate::model::{Attrs, Kind};
use crate::provider::{Applied, ProviderError, Request};
use async_trait::async_trait;

fn fatal(e: impl std::fmt::Display) -> ProviderError {
    ProviderError::Fatal(e.to_string())
}

fn decode_zip(address: &Address, v: &s::LambdaFunction) -> Result<Vec<u8>, ProviderError> {
    use base64::Engine;
    use sha2::Digest;
    let zip = base64::engine::general_purpose::STANDARD
        .decode(&v.code_zip)
        .map_err(|e| ProviderError::Fatal(format!("{address}: the packaged code is not base64: {e}")))?;
    // What the plan recorded is what is uploaded: the zip must still be the one hashed.
    let sha = base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(&zip));
    if sha != v.code_sha256 {
        return Err(ProviderError::Fatal(format!(
            "{address}: the packaged code does not match its recorded hash ({sha} != {}): plan again",
            v.code_sha256
        )));
    }
    Ok(zip)
}

fn event_tags(tags: Vec<(String, String)>) -> Result<Vec<aws_sdk_eventbridge::types::Tag>, ProviderError> {
    tags.into_iter()
        .map(|(k, v)| aws_sdk_eventbridge::types::Tag::builder().key(k).value(v).build().map_err(fatal))
        .collect()
}

fn targets_of(v: &s::EventRule) -> Result<Vec<Target>, ProviderError> {
    v.targets
        .iter()
        .map(|t| {
            let transformer = match &t.input_template {
                Some(template) => Some(
                    InputTransformer::builder()
                        .set_input_paths_map(Some(t.input_paths.clone().into_iter().collect()))
                        .input_template(template)
                        .build()
                        .map_err(fatal)?,
                ),
                None => None,
            };
            Target::builder()
                .id(&t.id)
                .arn(&t.arn)
                .set_role_arn(t.role_arn.clone())
                .set_input_transformer(transformer)
                .build()
                .map_err(fatal)
        })
        .collect()
}

impl AwsProvider {
    async fn rule_tags(&self, arn: &str) -> Result<Vec<(String, String)>, ProviderError> {
        let out = self.events.list_tags_for_resource().resource_arn(arn).send().await.aws()?;
        Ok(out.tags().iter().map(|t| (t.key().to_string(), t.value().to_string())).collect())
    }

    async fn put_event_rule(&self, req: &Request<'_>, v: &s::EventRule, create: bool) -> Result<String, ProviderError> {
        let mut call = self
            .events
            .put_rule()
            .name(&v.name)
            .event_pattern(v.event_pattern.to_string())
            .state(if v.state == "ENABLED" { RuleState::Enabled } else { RuleState::Disabled })
            .set_description(v.description.clone());
        if create {
            call = call.set_tags(Some(event_tags(self.tags(req, &v.tags))?));
        }
        let out = call.send().await.aws()?;
        Ok(out.rule_arn().unwrap_or_default().to_string())
    }

    async fn put_targets(&self, v: &s::EventRule) -> Result<(), ProviderError> {
        let targets = targets_of(v)?;
        if targets.is_empty() {
            return Ok(());
        }
        let out = self
            .settle("PutTargets", SETTLE, || async {
                self.events.put_targets().rule(&v.name).set_targets(Some(targets.clone())).send().await.aws()
            })
            .await?;
        match out.failed_entries().first() {
            Some(f) => Err(ProviderError::Fatal(format!(
                "EventBridge refused target `{}` of rule `{}`: {}",
                f.target_id().unwrap_or_default(),
                v.name,
                f.error_message().unwrap_or_default()
            ))),
            None => Ok(()),
        }
    }

    /// Waits until a function accepts the next change (Lambda refuses one while the last is
    /// still being applied: `ResourceConflictException`).
    async fn function_settled(&self, name: &str) -> Result<(), ProviderError> {
        let start = std::time::Instant::now();
        loop {
            let c = self.lambda.get_function_configuration().function_name(name).send().await.aws()?;
            let busy = c.state().is_some_and(|s| s.as_str() == "Pending")
                || c.last_update_status().is_some_and(|s| s.as_str() == "InProgress");
            if !busy || start.elapsed() > Duration::from_secs(120) {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_secs(2)).await;
        }
    }

    fn function_environment(v: &s::LambdaFunction) -> aws_sdk_lambda::types::Environment {
        aws_sdk_lambda::types::Environment::builder()
            .set_variables(Some(v.environment.clone().into_iter().collect::<HashMap<_, _>>()))
            .build()
    }
}
