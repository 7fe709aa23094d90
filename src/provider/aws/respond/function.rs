//! A Lambda function, its code packaged from the blueprint's folder. Listed with the
//! permissions on it: one paginated ListFunctions, GetPolicy per function whose permissions state
//! records.

use super::*;

pub(crate) struct LambdaFunction;

#[async_trait]
impl KindApi for LambdaFunction {
    async fn create(&self, aws: &AwsProvider, req: Request<'_>) -> Result<Applied, ProviderError> {
        let a = req.address;
        let v: s::LambdaFunction = spec(a, req.attrs)?;
        let zip = decode_zip(a, &v)?;
        let tags: HashMap<String, String> = aws.tags(&req, &v.tags).into_iter().collect();
        let created = aws
            .settle("CreateFunction", SETTLE, || async {
                aws.lambda
                    .create_function()
                    .function_name(&v.function_name)
                    .set_description(v.description.clone())
                    .role(&v.role_arn)
                    .runtime(v.runtime.as_str().into())
                    .handler(&v.handler)
                    .timeout(v.timeout)
                    .memory_size(v.memory_size)
                    .environment(AwsProvider::function_environment(&v))
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
                            classify(&e)
                        }
                    })
            })
            .await;
        let out = match created {
            Ok(out) => out,
            Err(ProviderError::AlreadyExists(_)) => {
                // Ours only if its tags say so (a create whose answer was lost).
                let arn = aws
                    .lambda
                    .get_function()
                    .function_name(&v.function_name)
                    .send()
                    .await
                    .aws()?
                    .configuration()
                    .and_then(|c| c.function_arn().map(str::to_string))
                    .unwrap_or_default();
                let tags = aws.lambda.list_tags().resource(&arn).send().await.aws()?;
                let pairs = tags.tags().into_iter().flatten().map(|(k, v)| (k.clone(), v.clone()));
                if !AwsProvider::proves(&req, pairs) {
                    return Err(AwsProvider::not_ours(&req, &v.function_name));
                }
                return aws.update_with_tags(req, &v.function_name, &Attrs::new()).await.map(|mut applied| {
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

    async fn update(&self, aws: &AwsProvider, c: Change<'_>) -> Result<Applied, ProviderError> {
        let Change { req, id, .. } = c;
        let a = req.address;
        let v: s::LambdaFunction = spec(a, req.attrs)?;
        let config = ["description", "role_arn", "runtime", "handler", "timeout", "memory_size", "environment"];
        if config.iter().any(|k| c.changed(k)) {
            aws.function_settled(id).await?;
            aws.settle("UpdateFunctionConfiguration", SETTLE, || async {
                aws.lambda
                    .update_function_configuration()
                    .function_name(id)
                    .description(v.description.clone().unwrap_or_default())
                    .role(&v.role_arn)
                    .runtime(v.runtime.as_str().into())
                    .handler(&v.handler)
                    .timeout(v.timeout)
                    .memory_size(v.memory_size)
                    .environment(AwsProvider::function_environment(&v))
                    .send()
                    .await
                    .aws()
                    .map(|_| ())
            })
            .await?;
        }
        if c.changed("code_sha256") {
            let zip = decode_zip(a, &v)?;
            aws.function_settled(id).await?;
            aws.lambda
                .update_function_code()
                .function_name(id)
                .zip_file(aws_smithy_types::Blob::new(zip))
                .send()
                .await
                .aws()?;
        }
        let conf = aws.lambda.get_function_configuration().function_name(id).send().await.aws()?;
        let arn = conf.function_arn().unwrap_or_default().to_string();
        Ok(Applied {
            id: id.to_string(),
            attributes: req.attrs.clone(),
            outputs: outputs(&[("name", id), ("arn", &arn)]),
        })
    }

    async fn delete(&self, aws: &AwsProvider, d: Doomed<'_>) -> Result<(), ProviderError> {
        let Doomed { id, .. } = d;
        aws.lambda.delete_function().function_name(id).send().await.aws().map(|_| ())
    }

    async fn list(&self, aws: &AwsProvider, at: &Listing<'_>) -> Result<Listed, ProviderError> {
        let (blueprint, state) = (at.blueprint, at.state);
        let mut listed = Listed::default();
        let prefix = format!("{blueprint}-");
        let mut found = BTreeMap::new();
        let mut pages = aws.lambda.list_functions().into_paginator().send();
        while let Some(page) = pages.next().await {
            for f in page.aws()?.functions() {
                let name = f.function_name().unwrap_or_default();
                let arn = f.function_arn().unwrap_or_default();
                let rec = at.record(Kind::LambdaFunction, name).cloned();
                if rec.is_none() && !name.starts_with(&prefix) {
                    continue;
                }
                // As for rules: tags only to prove a function state does not know.
                let tags: Option<Vec<(String, String)>> = match rec {
                    Some(_) => None,
                    None => Some(
                        aws.lambda
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
        listed.found.insert(Kind::LambdaFunction, found);

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
            let policy = match aws.lambda.get_policy().function_name(function).send().await.aws() {
                Ok(p) => p.policy().and_then(|p| serde_json::from_str::<Value>(p).ok()).unwrap_or(Value::Null),
                Err(ProviderError::NotFound(_)) => continue,
                Err(e) => return Err(e),
            };
            for st in policy.get("Statement").and_then(Value::as_array).into_iter().flatten() {
                let sid = st.get("Sid").and_then(Value::as_str).unwrap_or_default();
                let id = format!("{function}/{sid}");
                let Some(rec) = at.record(Kind::LambdaPermission, &id) else {
                    continue;
                };
                let principal = st.pointer("/Principal/Service").and_then(Value::as_str).unwrap_or_default();
                let source = st.pointer("/Condition/ArnLike/AWS:SourceArn").and_then(Value::as_str).unwrap_or_default();
                let mut read = Attrs::new();
                read.insert("function_name".into(), json!(function));
                read.insert("statement_id".into(), json!(sid));
                read.insert("action".into(), st.get("Action").cloned().unwrap_or(Value::Null));
                read.insert("principal".into(), json!(principal));
                read.insert("source_arn".into(), json!(source));
                found.insert(id.clone(), (None, live(rec, id, read, BTreeMap::new())));
            }
        }
        listed.found.insert(Kind::LambdaPermission, found);
        Ok(listed)
    }

    async fn tag_target(&self, aws: &AwsProvider, id: &str) -> Result<Option<TagTarget>, ProviderError> {
        let conf = aws.lambda.get_function_configuration().function_name(id).send().await.aws()?;
        Ok(Some(TagTarget::Lambda(conf.function_arn().unwrap_or_default().to_string())))
    }
}
