//! CloudWatch dashboards. They carry no tags, so the provider writes one text widget of its
//! own into each body, naming the blueprint, address and lineage that made it, and takes it
//! off again when reading: that widget is what proves a dashboard is this state's own.
//!
//! Refresh: ListDashboards by the blueprint's name prefix, then GetDashboard per dashboard
//! (the listing has no bodies).

use std::collections::BTreeMap;

use serde_json::{json, Value};

use super::kinds::{Change, Doomed, KindApi, Listed, Listing, TagTarget};
use super::{blank, live, marker_pairs, outputs, owned, ownership_marker, spec, AwsProvider, Classify, TAG_BLUEPRINT};
use crate::address::Address;
use crate::model::spec as s;
use crate::model::{Attrs, Kind};
use crate::provider::{Applied, ProviderError, Request};
use async_trait::async_trait;

/// The first words of the marker widget's text.
const MARKER: &str = "Managed by socform.";

/// The body as written to AWS: the blueprint's widgets and the marker.
fn with_marker(req: &Request<'_>, body: &Value) -> String {
    let mut body = body.clone();
    let marker = json!({
        "type": "text", "width": 24, "height": 1,
        "properties": {"markdown": format!("{MARKER} {}", ownership_marker(req))},
    });
    if let Some(widgets) = body.get_mut("widgets").and_then(Value::as_array_mut) {
        widgets.push(marker);
    }
    body.to_string()
}

/// The body as read, without the marker, and the marker's `socform:` pairs.
fn without_marker(body: &str) -> (Value, Vec<(String, String)>) {
    let mut body: Value = serde_json::from_str(body).unwrap_or(Value::Null);
    let mut pairs = Vec::new();
    if let Some(widgets) = body.get_mut("widgets").and_then(Value::as_array_mut) {
        widgets.retain(|w| {
            let text = w.pointer("/properties/markdown").and_then(Value::as_str).unwrap_or_default();
            match text.strip_prefix(MARKER) {
                Some(rest) if w.get("type").and_then(Value::as_str) == Some("text") => {
                    pairs = marker_pairs(rest);
                    false
                }
                _ => true,
            }
        });
    }
    (body, pairs)
}

impl AwsProvider {
    async fn put_dashboard(&self, req: &Request<'_>, v: &s::Dashboard) -> Result<(), ProviderError> {
        let out = self
            .cloudwatch
            .put_dashboard()
            .dashboard_name(&v.dashboard_name)
            .dashboard_body(with_marker(req, &v.body))
            .send()
            .await
            .aws()?;
        // Validation messages are errors of the body (a widget AWS cannot draw).
        if let Some(m) = out.dashboard_validation_messages().first() {
            return Err(ProviderError::Fatal(format!(
                "CloudWatch refused dashboard `{}`: {} ({})",
                v.dashboard_name,
                m.message().unwrap_or_default(),
                m.data_path().unwrap_or_default()
            )));
        }
        Ok(())
    }

    /// The dashboard's body and its marker's pairs; `None` when there is no such dashboard.
    async fn read_dashboard(&self, name: &str) -> Result<Option<(Value, Vec<(String, String)>)>, ProviderError> {
        match self.cloudwatch.get_dashboard().dashboard_name(name).send().await.aws() {
            Ok(out) => Ok(Some(without_marker(out.dashboard_body().unwrap_or_default()))),
            Err(ProviderError::NotFound(_)) => Ok(None),
            Err(e) => Err(e),
        }
    }

    async fn create_dashboard(&self, req: Request<'_>) -> Result<Applied, ProviderError> {
        let v: s::Dashboard = spec(req.address, req.attrs)?;
        // PutDashboard overwrites: a dashboard of that name must carry this state's marker.
        if let Some((_, pairs)) = self.read_dashboard(&v.dashboard_name).await? {
            if !Self::proves(&req, pairs) {
                return Err(Self::not_ours(&req, &v.dashboard_name));
            }
        }
        self.put_dashboard(&req, &v).await?;
        let arn = format!(
            "arn:{}:cloudwatch::{}:dashboard/{}",
            crate::model::partition(&self.region),
            self.account_id_cached().await?,
            v.dashboard_name
        );
        Ok(Applied {
            id: v.dashboard_name.clone(),
            attributes: req.attrs.clone(),
            outputs: outputs(&[("name", &v.dashboard_name), ("arn", &arn)]),
        })
    }

    async fn update_dashboard(&self, c: Change<'_>) -> Result<Applied, ProviderError> {
        let req = c.req;
        let v: s::Dashboard = spec(req.address, req.attrs)?;
        self.put_dashboard(&req, &v).await?;
        Ok(c.kept())
    }

    async fn delete_dashboard(&self, _address: &Address, id: &str) -> Result<(), ProviderError> {
        self.cloudwatch.delete_dashboards().dashboard_names(id).send().await.aws().map(|_| ())
    }

    /// Whether the dashboard `name` exists and its marker names `blueprint` (any lineage).
    pub(super) async fn dashboard_of(&self, name: &str, blueprint: &str) -> Result<bool, ProviderError> {
        Ok(self
            .read_dashboard(name)
            .await?
            .is_some_and(|(_, pairs)| pairs.iter().any(|(k, v)| k == TAG_BLUEPRINT && v == blueprint)))
    }

    /// Names of the dashboards whose names start with `prefix` (one paginated listing).
    pub(super) async fn dashboard_names(&self, prefix: &str) -> Result<Vec<String>, ProviderError> {
        let mut names = Vec::new();
        let mut token = None;
        loop {
            let page = self
                .cloudwatch
                .list_dashboards()
                .dashboard_name_prefix(prefix)
                .set_next_token(token)
                .send()
                .await
                .aws()?;
            names.extend(page.dashboard_entries().iter().filter_map(|d| d.dashboard_name().map(str::to_string)));
            token = page.next_token().map(str::to_string);
            if token.is_none() {
                return Ok(names);
            }
        }
    }

    async fn refresh_dashboards(&self, at: &Listing<'_>) -> Result<Listed, ProviderError> {
        let (blueprint, state) = (at.blueprint, at.state);
        let mut names = self.dashboard_names(&format!("{blueprint}-")).await?;
        // Dashboards state knows under another name (a `name:` of the blueprint's own).
        names.extend(state.resources.values().filter(|r| r.kind == Kind::Dashboard).map(|r| r.id.clone()));
        names.sort();
        names.dedup();
        let mut found = BTreeMap::new();
        for name in names {
            let Some((body, pairs)) = self.read_dashboard(&name).await? else { continue };
            let rec = at.record(Kind::Dashboard, &name).cloned();
            let addr = owned(blueprint, &state.lineage, pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())));
            if rec.is_none() && addr.is_none() {
                continue;
            }
            let mut read = Attrs::new();
            read.insert("dashboard_name".into(), json!(name));
            read.insert("body".into(), body);
            let rec = rec.unwrap_or_else(|| blank(Kind::Dashboard));
            found.insert(name.clone(), (addr, live(&rec, name.as_str(), read, outputs(&[("name", &name)]))));
        }
        Ok(Listed::of(Kind::Dashboard, found))
    }
}

pub(crate) struct Dashboard;

#[async_trait]
impl KindApi for Dashboard {
    async fn create(&self, aws: &AwsProvider, req: Request<'_>) -> Result<Applied, ProviderError> {
        aws.create_dashboard(req).await
    }

    async fn update(&self, aws: &AwsProvider, c: Change<'_>) -> Result<Applied, ProviderError> {
        aws.update_dashboard(c).await
    }

    async fn delete(&self, aws: &AwsProvider, d: Doomed<'_>) -> Result<(), ProviderError> {
        aws.delete_dashboard(d.address, d.id).await
    }

    async fn list(&self, aws: &AwsProvider, at: &Listing<'_>) -> Result<Listed, ProviderError> {
        aws.refresh_dashboards(at).await
    }

    async fn tag_target(&self, _aws: &AwsProvider, _id: &str) -> Result<Option<TagTarget>, ProviderError> {
        // Dashboards carry no tags: the marker widget in the body proves them ours.
        Ok(None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_marker_goes_on_and_comes_off() {
        let address = Address::parse("dashboard.detections").unwrap();
        let attrs = Attrs::new();
        let labels = BTreeMap::new();
        let req = Request { address: &address, attrs: &attrs, blueprint: "lab", lineage: "l-1", labels: &labels };
        let body =
            json!({"widgets": [{"type": "text", "width": 24, "height": 2, "properties": {"markdown": "# lab"}}]});
        let written = with_marker(&req, &body);
        let (read, pairs) = without_marker(&written);
        assert_eq!(read, body);
        assert_eq!(owned("lab", "l-1", pairs.iter().map(|(k, v)| (k.as_str(), v.as_str()))), Some(address));
        assert_eq!(owned("lab", "l-2", pairs.iter().map(|(k, v)| (k.as_str(), v.as_str()))), None);
        let (_, none) = without_marker(&body.to_string());
        assert!(none.is_empty(), "a dashboard without the marker proves nothing");
    }
}
