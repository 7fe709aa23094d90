//! Logs Insights saved queries (query definitions). They carry no tags, so the provider writes
//! one comment line of its own at the top of each query, naming the blueprint, address and
//! lineage that made it, and takes it off again when reading: that line is what proves a saved
//! query is this state's own.
//!
//! Refresh: one paginated DescribeQueryDefinitions by the blueprint's name prefix.

use std::collections::BTreeMap;

use serde_json::json;

use super::kinds::{Change, Doomed, KindApi, Listed, Listing, TagTarget};
use super::{blank, live, marker_pairs, outputs, owned, ownership_marker, spec, AwsProvider, Classify, TAG_BLUEPRINT};
use crate::address::Address;
use crate::model::spec as s;
use crate::model::{Attrs, Kind};
use crate::provider::{Applied, ProviderError, Request};
use async_trait::async_trait;

/// The first words of the marker line.
const MARKER: &str = "# Managed by socform.";

fn with_marker(req: &Request<'_>, query: &str) -> String {
    format!("{MARKER} {}\n{query}", ownership_marker(req))
}

/// The query without the marker line, and the marker's `socform:` pairs.
fn without_marker(query: &str) -> (String, Vec<(String, String)>) {
    match query.split_once('\n') {
        Some((first, rest)) if first.starts_with(MARKER) => (rest.to_string(), marker_pairs(&first[MARKER.len()..])),
        _ => (query.to_string(), vec![]),
    }
}

/// One saved query as DescribeQueryDefinitions reports it.
struct Saved {
    id: String,
    name: String,
    query: String,
    groups: Vec<String>,
}

impl AwsProvider {
    /// The saved queries whose names start with `prefix`.
    async fn saved_queries(&self, prefix: &str) -> Result<Vec<Saved>, ProviderError> {
        let mut out = Vec::new();
        let mut token = None;
        loop {
            let page = self
                .logs
                .describe_query_definitions()
                .query_definition_name_prefix(prefix)
                .set_next_token(token)
                .send()
                .await
                .aws()?;
            for q in page.query_definitions() {
                let mut groups = q.log_group_names().to_vec();
                groups.sort();
                out.push(Saved {
                    id: q.query_definition_id().unwrap_or_default().to_string(),
                    name: q.name().unwrap_or_default().to_string(),
                    query: q.query_string().unwrap_or_default().to_string(),
                    groups,
                });
            }
            token = page.next_token().map(str::to_string);
            if token.is_none() {
                return Ok(out);
            }
        }
    }

    async fn put_query(
        &self,
        req: &Request<'_>,
        v: &s::QueryDefinition,
        id: Option<&str>,
    ) -> Result<String, ProviderError> {
        let out = self
            .logs
            .put_query_definition()
            .name(&v.name)
            .query_string(with_marker(req, &v.query_string))
            .set_log_group_names(Some(v.log_group_names.clone()))
            .set_query_definition_id(id.map(str::to_string))
            .send()
            .await
            .aws()?;
        Ok(out.query_definition_id().unwrap_or_default().to_string())
    }

    async fn create_query(&self, req: Request<'_>) -> Result<Applied, ProviderError> {
        let v: s::QueryDefinition = spec(req.address, req.attrs)?;
        // Names are not unique in Logs Insights; a saved query of this name is this state's
        // own only if its marker says so (a create whose answer was lost: put over it).
        let mut existing = None;
        for q in self.saved_queries(&v.name).await?.into_iter().filter(|q| q.name == v.name) {
            let (_, pairs) = without_marker(&q.query);
            if !Self::proves(&req, pairs) {
                return Err(Self::not_ours(&req, &v.name));
            }
            existing = Some(q.id);
        }
        let id = self.put_query(&req, &v, existing.as_deref()).await?;
        Ok(Applied {
            id: id.clone(),
            attributes: req.attrs.clone(),
            outputs: outputs(&[("id", &id), ("name", &v.name)]),
        })
    }

    async fn update_query(&self, req: Request<'_>, id: &str) -> Result<Applied, ProviderError> {
        let v: s::QueryDefinition = spec(req.address, req.attrs)?;
        self.put_query(&req, &v, Some(id)).await?;
        Ok(Applied {
            id: id.to_string(),
            attributes: req.attrs.clone(),
            outputs: outputs(&[("id", id), ("name", &v.name)]),
        })
    }

    async fn delete_query(&self, _address: &Address, id: &str) -> Result<(), ProviderError> {
        self.logs.delete_query_definition().query_definition_id(id).send().await.aws().map(|_| ())
    }

    /// The saved queries named like `blueprint`'s whose marker names `blueprint` (any
    /// lineage): (name, id), from one listing.
    pub(super) async fn queries_of(&self, blueprint: &str) -> Result<Vec<(String, String)>, ProviderError> {
        Ok(self
            .saved_queries(&format!("{blueprint}/"))
            .await?
            .into_iter()
            .filter(|q| without_marker(&q.query).1.iter().any(|(k, v)| k == TAG_BLUEPRINT && v == blueprint))
            .map(|q| (q.name, q.id))
            .collect())
    }

    async fn refresh_queries(&self, at: &Listing<'_>) -> Result<Listed, ProviderError> {
        let (blueprint, state) = (at.blueprint, at.state);
        // An endpoint without saved queries (moto) can hold none of them, socform's included:
        // when state records none either, there is nothing to find.
        let listed = match self.saved_queries(&format!("{blueprint}/")).await {
            Err(ProviderError::Unsupported(_))
                if !state.resources.keys().any(|a| a.kind() == Kind::QueryDefinition) =>
            {
                return Ok(Listed::default())
            }
            other => other?,
        };
        let mut found = BTreeMap::new();
        for q in listed {
            let (query, pairs) = without_marker(&q.query);
            let rec = at.record(Kind::QueryDefinition, &q.id).cloned();
            let addr = owned(blueprint, &state.lineage, pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())));
            if rec.is_none() && addr.is_none() {
                continue;
            }
            let mut read = Attrs::new();
            read.insert("name".into(), json!(q.name));
            read.insert("query_string".into(), json!(query));
            read.insert("log_group_names".into(), json!(q.groups));
            let rec = rec.unwrap_or_else(|| blank(Kind::QueryDefinition));
            let outs = outputs(&[("id", &q.id), ("name", &q.name)]);
            found.insert(q.id.clone(), (addr, live(&rec, q.id.as_str(), read, outs)));
        }
        Ok(Listed::of(Kind::QueryDefinition, found))
    }
}

pub(crate) struct QueryDefinition;

#[async_trait]
impl KindApi for QueryDefinition {
    async fn create(&self, aws: &AwsProvider, req: Request<'_>) -> Result<Applied, ProviderError> {
        aws.create_query(req).await
    }

    async fn update(&self, aws: &AwsProvider, c: Change<'_>) -> Result<Applied, ProviderError> {
        aws.update_query(c.req, c.id).await
    }

    async fn delete(&self, aws: &AwsProvider, d: Doomed<'_>) -> Result<(), ProviderError> {
        aws.delete_query(d.address, d.id).await
    }

    async fn list(&self, aws: &AwsProvider, at: &Listing<'_>) -> Result<Listed, ProviderError> {
        aws.refresh_queries(at).await
    }

    async fn tag_target(&self, _aws: &AwsProvider, _id: &str) -> Result<Option<TagTarget>, ProviderError> {
        // Saved queries carry no tags: the marker line proves them ours.
        Ok(None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_marker_line_goes_on_and_comes_off() {
        let address = Address::parse("query_definition.root-usage").unwrap();
        let attrs = Attrs::new();
        let labels = BTreeMap::new();
        let req = Request { address: &address, attrs: &attrs, blueprint: "lab", lineage: "l-1", labels: &labels };
        let query = "fields @timestamp\n| filter eventName = \"ConsoleLogin\"";
        let (read, pairs) = without_marker(&with_marker(&req, query));
        assert_eq!(read, query);
        assert_eq!(owned("lab", "l-1", pairs.iter().map(|(k, v)| (k.as_str(), v.as_str()))), Some(address));
        assert!(without_marker(query).1.is_empty(), "a query without the marker proves nothing");
    }
}
