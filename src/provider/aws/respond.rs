//! Automated response: EventBridge rules with their targets, Lambda functions and the
//! permissions that let a rule invoke them.
//!
//! Refresh: ListRules by the blueprint's name prefix, then ListTargetsByRule per rule
//! (EventBridge has no batched form); one paginated ListFunctions; GetPolicy per function whose
//! permissions state records. Tags are read (ListTagsForResource, ListTags) only for a rule or
//! function state does not know, to prove it this state's own; known ones keep the tags state
//! recorded, as alarms do.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use aws_sdk_eventbridge::types::{InputTransformer, RuleState, Target};
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use serde_json::{json, Value};

use super::{blank, live, outputs, owned, spec, user_tags, AwsProvider, Classify, Part, Want, SETTLE};
use crate::address::Address;
use crate::model::spec as s;
use crate::model::{Attrs, Kind};
use crate::provider::{Applied, ProviderError, Request};
use crate::state::State;

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

    pub(super) async fn create_respond(&self, req: Request<'_>) -> Result<Applied, ProviderError> {
        let a = req.address;
        match a.kind() {
            Kind::EventRule => {
                let v: s::EventRule = spec(a, req.attrs)?;
                // PutRule overwrites a rule of the same name: ask first.
                match self.events.describe_rule().name(&v.name).send().await.aws() {
                    Ok(r) => {
                        let tags = self.rule_tags(r.arn().unwrap_or_default()).await?;
                        if !Self::proves(&req, tags) {
                            return Err(Self::not_ours(&req, &v.name));
                        }
                    }
                    Err(ProviderError::NotFound(_)) => {}
                    Err(e) => return Err(e),
                }
                let arn = self.put_event_rule(&req, &v, true).await?;
                self.put_targets(&v).await?;
                Ok(Applied {
                    id: v.name.clone(),
                    attributes: req.attrs.clone(),
                    outputs: outputs(&[("name", &v.name), ("arn", &arn)]),
                })
            }
            Kind::LambdaFunction => {
                let v: s::LambdaFunction = spec(a, req.attrs)?;
                let zip = decode_zip(a, &v)?;
                let tags: HashMap<String, String> = self.tags(&req, &v.tags).into_iter().collect();
                let created = self
                    .settle("CreateFunction", SETTLE, || async {
                        self.lambda
                            .create_function()
                            .function_name(&v.function_name)
                            .set_description(v.description.clone())
                            .role(&v.role_arn)
                            .runtime(v.runtime.as_str().into())
                            .handler(&v.handler)
                            .timeout(v.timeout)
                            .memory_size(v.memory_size)
                            .environment(Self::function_environment(&v))
                            .code(
                                aws_sdk_lambda::types::FunctionCode::builder()
                                    .zip_file(aws_smithy_types::Blob::new(zip.clone()))
                                    .build(),
                            )
                            .set_tags(Some(tags.clone()))
                            .send()
                            .await
                            .map_err(|e| {
                                // A name taken: CreateFunction says ResourceConflictException.
                                if e.code() == Some("ResourceConflictException") {
                                    ProviderError::AlreadyExists(v.function_name.clone())
                                } else {
                                    super::classify(&e)
                                }
                            })
                    })
                    .await;
                let out = match created {
                    Ok(out) => out,
                    Err(ProviderError::AlreadyExists(_)) => {
                        // Ours only if its tags say so (a create whose answer was lost).
                        let arn = self
                            .lambda
                            .get_function()
                            .function_name(&v.function_name)
                            .send()
                            .await
                            .aws()?
                            .configuration()
                            .and_then(|c| c.function_arn().map(str::to_string))
                            .unwrap_or_default();
                        let tags = self.lambda.list_tags().resource(&arn).send().await.aws()?;
                        let pairs = tags.tags().into_iter().flatten().map(|(k, v)| (k.clone(), v.clone()));
                        if !Self::proves(&req, pairs) {
                            return Err(Self::not_ours(&req, &v.function_name));
                        }
                        return self.update_respond(req, &v.function_name, &Attrs::new()).await.map(|mut applied| {
                            applied.outputs = outputs(&[("name", &v.function_name), ("arn", &arn)]);
                            applied
                        });
                    }
                    Err(e) => return Err(e),
                };
                let arn = out.function_arn().unwrap_or_default().to_string();
                Ok(Applied {
                    id: v.function_name.clone(),
                    attributes: req.attrs.clone(),
                    outputs: outputs(&[("name", &v.function_name), ("arn", &arn)]),
                })
            }
            Kind::LambdaPermission => {
                let v: s::LambdaPermission = spec(a, req.attrs)?;
                self.lambda
                    .add_permission()
                    .function_name(&v.function_name)
                    .statement_id(&v.statement_id)
                    .action(&v.action)
                    .principal(&v.principal)
                    .source_arn(&v.source_arn)
                    .send()
                    .await
                    .map_err(|e| {
                        if e.code() == Some("ResourceConflictException") {
                            ProviderError::AlreadyExists(format!("{}/{}", v.function_name, v.statement_id))
                        } else {
                            super::classify(&e)
                        }
                    })?;
                let id = format!("{}/{}", v.function_name, v.statement_id);
                Ok(Applied { id, attributes: req.attrs.clone(), outputs: BTreeMap::new() })
            }
            _ => unreachable!("not a response kind"),
        }
    }

    pub(super) async fn update_respond(
        &self,
        req: Request<'_>,
        id: &str,
        before: &Attrs,
    ) -> Result<Applied, ProviderError> {
        let a = req.address;
        let changed = |k: &str| before.get(k) != req.attrs.get(k);
        match a.kind() {
            Kind::EventRule => {
                let v: s::EventRule = spec(a, req.attrs)?;
                let arn = self.put_event_rule(&req, &v, false).await?;
                if changed("targets") {
                    let current = self.events.list_targets_by_rule().rule(id).send().await.aws()?;
                    let gone: Vec<String> = current
                        .targets()
                        .iter()
                        .map(|t| t.id().to_string())
                        .filter(|tid| !v.targets.iter().any(|t| &t.id == tid))
                        .collect();
                    if !gone.is_empty() {
                        self.events.remove_targets().rule(id).set_ids(Some(gone)).send().await.aws()?;
                    }
                    self.put_targets(&v).await?;
                }
                if changed("tags") {
                    let (ev, arn) = (&self.events, &arn);
                    self.set_tags(
                        &req,
                        before,
                        &v.tags,
                        async |gone| {
                            ev.untag_resource()
                                .resource_arn(arn)
                                .set_tag_keys(Some(gone))
                                .send()
                                .await
                                .aws()
                                .map(|_| ())
                        },
                        async |tags| {
                            let tags = event_tags(tags)?;
                            ev.tag_resource().resource_arn(arn).set_tags(Some(tags)).send().await.aws().map(|_| ())
                        },
                    )
                    .await?;
                }
                Ok(Applied {
                    id: id.to_string(),
                    attributes: req.attrs.clone(),
                    outputs: outputs(&[("name", id), ("arn", &arn)]),
                })
            }
            Kind::LambdaFunction => {
                let v: s::LambdaFunction = spec(a, req.attrs)?;
                let config = ["description", "role_arn", "runtime", "handler", "timeout", "memory_size", "environment"];
                if config.iter().any(|k| changed(k)) {
                    self.function_settled(id).await?;
                    self.settle("UpdateFunctionConfiguration", SETTLE, || async {
                        self.lambda
                            .update_function_configuration()
                            .function_name(id)
                            .description(v.description.clone().unwrap_or_default())
                            .role(&v.role_arn)
                            .runtime(v.runtime.as_str().into())
                            .handler(&v.handler)
                            .timeout(v.timeout)
                            .memory_size(v.memory_size)
                            .environment(Self::function_environment(&v))
                            .send()
                            .await
                            .aws()
                            .map(|_| ())
                    })
                    .await?;
                }
                if changed("code_sha256") {
                    let zip = decode_zip(a, &v)?;
                    self.function_settled(id).await?;
                    self.lambda
                        .update_function_code()
                        .function_name(id)
                        .zip_file(aws_smithy_types::Blob::new(zip))
                        .send()
                        .await
                        .aws()?;
                }
                let conf = self.lambda.get_function_configuration().function_name(id).send().await.aws()?;
                let arn = conf.function_arn().unwrap_or_default().to_string();
                if changed("tags") {
                    let (lm, arn) = (&self.lambda, &arn);
                    self.set_tags(
                        &req,
                        before,
                        &v.tags,
                        async |gone| {
                            lm.untag_resource().resource(arn).set_tag_keys(Some(gone)).send().await.aws().map(|_| ())
                        },
                        async |tags| {
                            lm.tag_resource()
                                .resource(arn)
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
                    id: id.to_string(),
                    attributes: req.attrs.clone(),
                    outputs: outputs(&[("name", id), ("arn", &arn)]),
                })
            }
            // Every attribute of a permission replaces it.
            _ => Ok(Applied { id: id.to_string(), attributes: req.attrs.clone(), outputs: BTreeMap::new() }),
        }
    }

    pub(super) async fn delete_respond(&self, address: &Address, id: &str, attrs: &Attrs) -> Result<(), ProviderError> {
        match address.kind() {
            Kind::EventRule => {
                // A rule with targets cannot be deleted: take them off first.
                let current = self.events.list_targets_by_rule().rule(id).send().await.aws()?;
                let ids: Vec<String> = current.targets().iter().map(|t| t.id().to_string()).collect();
                if !ids.is_empty() {
                    self.events.remove_targets().rule(id).set_ids(Some(ids)).send().await.aws()?;
                }
                self.events.delete_rule().name(id).send().await.aws().map(|_| ())
            }
            Kind::LambdaFunction => self.lambda.delete_function().function_name(id).send().await.aws().map(|_| ()),
            Kind::LambdaPermission => {
                let function = attrs.get("function_name").and_then(Value::as_str).unwrap_or_default();
                let sid = attrs.get("statement_id").and_then(Value::as_str).unwrap_or_default();
                self.lambda.remove_permission().function_name(function).statement_id(sid).send().await.aws().map(|_| ())
            }
            _ => unreachable!("not a response kind"),
        }
    }

    pub(super) async fn refresh_respond(
        &self,
        blueprint: &str,
        state: &State,
        want: &Want,
    ) -> Result<Part, ProviderError> {
        let mut part = Part::default();
        let prefix = format!("{blueprint}-");
        if want.has(Kind::EventRule) {
            let mut found = BTreeMap::new();
            let mut token = None;
            loop {
                let page = self.events.list_rules().name_prefix(&prefix).set_next_token(token).send().await.aws()?;
                for r in page.rules() {
                    let name = r.name().unwrap_or_default();
                    let arn = r.arn().unwrap_or_default();
                    let rec = state.resources.values().find(|x| x.kind == Kind::EventRule && x.id == name).cloned();
                    // Tags are read to prove a rule state does not know is its own (a crash's
                    // leftover); a known rule keeps the tags state recorded, as alarms do.
                    let tags = match rec {
                        Some(_) => None,
                        None => Some(self.rule_tags(arn).await?),
                    };
                    let addr = tags.as_ref().and_then(|tags| {
                        owned(blueprint, &state.lineage, tags.iter().map(|(k, v)| (k.as_str(), v.as_str())))
                    });
                    if rec.is_none() && addr.is_none() {
                        continue;
                    }
                    let targets = self.events.list_targets_by_rule().rule(name).send().await.aws()?;
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
            part.settle(state, Kind::EventRule, found);
        }
        if want.any(&[Kind::LambdaFunction, Kind::LambdaPermission]) {
            let mut found = BTreeMap::new();
            let mut pages = self.lambda.list_functions().into_paginator().send();
            while let Some(page) = pages.next().await {
                for f in page.aws()?.functions() {
                    let name = f.function_name().unwrap_or_default();
                    let arn = f.function_arn().unwrap_or_default();
                    let rec =
                        state.resources.values().find(|x| x.kind == Kind::LambdaFunction && x.id == name).cloned();
                    if rec.is_none() && !name.starts_with(&prefix) {
                        continue;
                    }
                    // As for rules: tags only to prove a function state does not know.
                    let tags: Option<Vec<(String, String)>> = match rec {
                        Some(_) => None,
                        None => Some(
                            self.lambda
                                .list_tags()
                                .resource(arn)
                                .send()
                                .await
                                .aws()?
                                .tags()
                                .into_iter()
                                .flatten()
                                .map(|(k, v)| (k.clone(), v.clone()))
                                .collect(),
                        ),
                    };
                    let addr = tags.as_ref().and_then(|tags| {
                        owned(blueprint, &state.lineage, tags.iter().map(|(k, v)| (k.as_str(), v.as_str())))
                    });
                    if rec.is_none() && addr.is_none() {
                        continue;
                    }
                    let env: BTreeMap<String, String> = f
                        .environment()
                        .and_then(|e| e.variables())
                        .map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
                        .unwrap_or_default();
                    let mut read = Attrs::new();
                    read.insert("function_name".into(), json!(name));
                    read.insert("description".into(), json!(f.description().filter(|d| !d.is_empty())));
                    read.insert("role_arn".into(), json!(f.role()));
                    read.insert("runtime".into(), json!(f.runtime().map(|r| r.as_str())));
                    read.insert("handler".into(), json!(f.handler()));
                    read.insert("timeout".into(), json!(f.timeout()));
                    read.insert("memory_size".into(), json!(f.memory_size()));
                    read.insert("environment".into(), json!(env));
                    read.insert("code_sha256".into(), json!(f.code_sha256()));
                    if let Some(tags) = &tags {
                        read.insert("tags".into(), user_tags(tags.iter().map(|(k, v)| (k.as_str(), v.as_str()))));
                    }
                    let rec = rec.unwrap_or_else(|| blank(Kind::LambdaFunction));
                    let mut l = live(&rec, name, read, outputs(&[("name", name), ("arn", arn)]));
                    l.attributes.retain(|_, v| !v.is_null());
                    found.insert(name.to_string(), (addr, l));
                }
            }
            part.settle(state, Kind::LambdaFunction, found);

            // Permissions: the policy of each function state has permissions on.
            let mut found = BTreeMap::new();
            let mut functions: Vec<&str> = state
                .resources
                .values()
                .filter(|r| r.kind == Kind::LambdaPermission)
                .filter_map(|r| r.attributes.get("function_name").and_then(Value::as_str))
                .collect();
            functions.sort_unstable();
            functions.dedup();
            for function in functions {
                let policy = match self.lambda.get_policy().function_name(function).send().await.aws() {
                    Ok(p) => p.policy().and_then(|p| serde_json::from_str::<Value>(p).ok()).unwrap_or(Value::Null),
                    Err(ProviderError::NotFound(_)) => continue,
                    Err(e) => return Err(e),
                };
                for st in policy.get("Statement").and_then(Value::as_array).into_iter().flatten() {
                    let sid = st.get("Sid").and_then(Value::as_str).unwrap_or_default();
                    let id = format!("{function}/{sid}");
                    let Some(rec) = state.resources.values().find(|r| r.kind == Kind::LambdaPermission && r.id == id)
                    else {
                        continue;
                    };
                    let principal = st.pointer("/Principal/Service").and_then(Value::as_str).unwrap_or_default();
                    let source =
                        st.pointer("/Condition/ArnLike/AWS:SourceArn").and_then(Value::as_str).unwrap_or_default();
                    let mut read = Attrs::new();
                    read.insert("function_name".into(), json!(function));
                    read.insert("statement_id".into(), json!(sid));
                    read.insert("action".into(), st.get("Action").cloned().unwrap_or(Value::Null));
                    read.insert("principal".into(), json!(principal));
                    read.insert("source_arn".into(), json!(source));
                    found.insert(id.clone(), (None, live(rec, id, read, BTreeMap::new())));
                }
            }
            part.settle(state, Kind::LambdaPermission, found);
        }
        Ok(part)
    }
}
