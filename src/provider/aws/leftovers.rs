//! The closing check of a teardown: what is left of a blueprint, found without trusting state.
//!
//! No single AWS API sees everything socform makes, so three sources are joined:
//! - the Resource Groups Tagging API: one paginated `GetResources` filtered on the
//!   `socform:blueprint` tag finds every tagged resource of the services it covers, whoever
//!   named it and whichever state made it. It also returns resources deleted moments ago
//!   ("ghosts"), so each hit counts only once its owning service confirms it exists;
//! - the services socform uses that it does not cover everywhere (IAM roles and instance
//!   profiles, CloudTrail trails, the GuardDuty detector, Security Hub, EventBridge rules,
//!   Lambda functions, network ACLs): their own listings, any lineage;
//! - kinds that carry no tags (metric filters, dashboards, saved queries, the Config recorder
//!   and delivery channel) and Config rules: by the names the blueprint gives them. A Lambda permission
//!   goes with its function.
//!
//! It reports; it never adopts or deletes.

use std::collections::{BTreeMap, BTreeSet};

use aws_sdk_resourcegroupstagging::types::{ResourceTagMapping, TagFilter};

use super::{AwsProvider, Classify, ANY_LINEAGE, TAG_ADDRESS, TAG_BLUEPRINT, TAG_LINEAGE};
use crate::address::Address;
use crate::model::Kind;
use crate::provider::{Leftover, ProviderError};
use crate::state::State;

/// Services whose resources the own-listing pass covers; tagging hits of these are skipped
/// so that nothing is counted twice.
const LISTED_SERVICES: &[&str] = &["iam", "cloudtrail", "config", "guardduty", "securityhub"];

impl AwsProvider {
    /// Everything in this region's tagging index tagged `socform:blueprint` (any value, or
    /// `blueprint`'s): one paginated GetResources, a hundred a page.
    async fn tagged(&self, blueprint: Option<&str>) -> Result<Vec<ResourceTagMapping>, ProviderError> {
        let filter = TagFilter::builder().key(TAG_BLUEPRINT).set_values(blueprint.map(|b| vec![b.to_string()])).build();
        let mut found = Vec::new();
        let mut pages =
            self.tagging.get_resources().tag_filters(filter).resources_per_page(100).into_paginator().send();
        while let Some(page) = pages.next().await {
            found.extend(page.aws()?.resource_tag_mapping_list().iter().cloned());
        }
        Ok(found)
    }

    /// The kinds of everything tagged for `blueprint` in this region's tagging index (one
    /// paginated call). The index misses what it does not cover (IAM, CloudTrail, Config,
    /// security-group rules on moto) and what was made seconds ago, which is why it only adds
    /// to what the blueprint and state already want.
    ///
    /// Only the resource types of `kinds` are asked for (the kinds the caller does not want
    /// yet): what it wants already would come back for nothing, page after page.
    pub(super) async fn indexed_kinds(&self, blueprint: &str, kinds: &[Kind]) -> Result<BTreeSet<Kind>, ProviderError> {
        let types: Vec<String> = kinds.iter().filter_map(|k| k.index_type()).map(str::to_string).collect();
        if types.is_empty() {
            return Ok(BTreeSet::new());
        }
        let filter = TagFilter::builder().key(TAG_BLUEPRINT).values(blueprint).build();
        let mut found = BTreeSet::new();
        let mut pages = self
            .tagging
            .get_resources()
            .tag_filters(filter)
            .set_resource_type_filters(Some(types))
            .resources_per_page(100)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            found.extend(page.aws()?.resource_tag_mapping_list().iter().filter_map(|m| kind_of_arn(m.resource_arn()?)));
        }
        Ok(found)
    }

    /// Every (blueprint, lineage) in the tagging index of this region, with the `socform:`
    /// labels its resources agree on and those they dispute.
    pub(super) async fn lab_index(&self) -> Result<Vec<crate::provider::LabIndex>, ProviderError> {
        // Per (blueprint, lineage): the lab, and each of its resources' `socform:` labels.
        type Labels = BTreeMap<String, String>;
        let mut labs: BTreeMap<(String, String), (crate::provider::LabIndex, Vec<Labels>)> = BTreeMap::new();
        for m in &self.tagged(None).await? {
            let tags: BTreeMap<&str, &str> = m.tags().iter().map(|t| (t.key(), t.value())).collect();
            let (Some(bp), Some(lineage)) = (tags.get(TAG_BLUEPRINT), tags.get(TAG_LINEAGE)) else { continue };
            let (lab, seen) = labs.entry((bp.to_string(), lineage.to_string())).or_insert_with(|| {
                let lab = crate::provider::LabIndex {
                    blueprint: bp.to_string(),
                    lineage: lineage.to_string(),
                    labels: BTreeMap::new(),
                    disputed: BTreeMap::new(),
                    indexed: Vec::new(),
                };
                (lab, Vec::new())
            });
            let address = tags.get(TAG_ADDRESS).and_then(|a| Address::parse(a).ok());
            lab.indexed.push((address, m.resource_arn().unwrap_or_default().to_string()));
            seen.push(
                tags.iter()
                    .filter(|(k, _)| {
                        k.starts_with(crate::model::TAG_PREFIX)
                            && ![TAG_BLUEPRINT, TAG_LINEAGE, TAG_ADDRESS].contains(k)
                    })
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
            );
        }
        Ok(labs
            .into_values()
            .map(|(mut lab, seen)| {
                (lab.labels, lab.disputed) = agreed_labels(&seen);
                lab
            })
            .collect())
    }

    pub(super) async fn find_leftovers(
        &self,
        blueprint: &str,
        lineage: &str,
        named: &[(Address, String)],
    ) -> Result<Vec<Leftover>, ProviderError> {
        // Keyed by (what, id): sorted, and a resource listed twice by one source is reported
        // once. The sources never overlap (the tagging pass skips what the listings cover).
        let mut found: BTreeMap<(String, String), Leftover> = BTreeMap::new();
        let mut keep = |l: Leftover| {
            found.insert((l.what.clone(), l.id.clone()), l);
        };

        // 1. Everything tagged for the blueprint, confirmed by its service.
        for m in &self.tagged(Some(blueprint)).await? {
            let arn = m.resource_arn().unwrap_or_default();
            let tag = |k: &str| m.tags().iter().find(|t| t.key() == k).map(|t| t.value().to_string());
            if tag(TAG_BLUEPRINT).as_deref() != Some(blueprint) {
                continue;
            }
            let Some((service, resource)) = split_arn(arn) else { continue };
            if LISTED_SERVICES.contains(&service) || (service == "ec2" && resource.starts_with("network-acl/")) {
                continue;
            }
            let Some((what, pending_deletion)) = self.confirm(service, resource, arn).await? else { continue };
            // No lineage tag at all: tagged to look like this blueprint's, by hand or by
            // a socform from before lineage tags.
            let other_lineage = match tag(TAG_LINEAGE) {
                Some(l) => (l != lineage).then_some(l),
                None => Some(String::new()),
            };
            let address = tag(TAG_ADDRESS).and_then(|a| Address::parse(&a).ok());
            keep(Leftover { address, what, id: arn.to_string(), other_lineage, pending_deletion });
        }

        // 2. IAM, CloudTrail, GuardDuty, Security Hub, EventBridge and Lambda, through their
        //    own listings (any lineage).
        let any = State { lineage: ANY_LINEAGE.into(), ..State::new(blueprint, &self.region) };
        // EventBridge rules too: the tagging index does not always list them (moto's does not),
        // and a lost state's destroy reported none of them (issue 24). Network ACLs likewise
        // (moto's index has none; EC2's listing is one call).
        let own_listings = [
            Kind::NetworkAcl,
            Kind::IamRole,
            Kind::Trail,
            Kind::GuarddutyDetector,
            Kind::SecurityHub,
            Kind::EventRule,
            Kind::LambdaFunction,
        ];
        let listed =
            self.refresh_with(blueprint, &any, &super::Want::closed(own_listings.into_iter().collect())).await?;
        let mut add = |address: &Address, id: &str| {
            keep(Leftover {
                address: Some(address.clone()),
                what: address.kind().noun(),
                id: id.into(),
                other_lineage: None,
                pending_deletion: None,
            })
        };
        for (address, live) in &listed.untracked {
            add(address, &live.id);
        }

        // 3. By name: metric filters, the Config recorder, delivery channel and rules.
        let wanted = |kind: Kind| -> BTreeMap<&str, &Address> {
            named.iter().filter(|(a, _)| a.kind() == kind).map(|(a, n)| (n.as_str(), a)).collect()
        };
        let filters = wanted(Kind::MetricFilter);
        if !filters.is_empty() {
            let mut pages = self.logs.describe_metric_filters().into_paginator().send();
            while let Some(page) = pages.next().await {
                for f in page.aws()?.metric_filters() {
                    if let Some(a) = f.filter_name().and_then(|n| filters.get(n)) {
                        add(
                            a,
                            &format!(
                                "{}:{}",
                                f.log_group_name().unwrap_or_default(),
                                f.filter_name().unwrap_or_default()
                            ),
                        );
                    }
                }
            }
        }
        // Dashboards by name, but only those whose marker names this blueprint: one made by
        // hand under the same name is not socform's to report.
        let dashboards = wanted(Kind::Dashboard);
        for (name, a) in &dashboards {
            if self.dashboard_of(name, blueprint).await? {
                add(a, name);
            }
        }
        let queries = wanted(Kind::QueryDefinition);
        if !queries.is_empty() {
            for (name, id) in self.queries_of(blueprint).await? {
                if let Some(a) = queries.get(name.as_str()) {
                    add(a, &id);
                }
            }
        }
        let recorders = wanted(Kind::ConfigRecorder);
        let channels = wanted(Kind::ConfigDeliveryChannel);
        let rules = wanted(Kind::ConfigRule);
        if !recorders.is_empty() || !channels.is_empty() {
            for r in self.config.describe_configuration_recorders().send().await.aws()?.configuration_recorders() {
                if let Some(a) = r.name().and_then(|n| recorders.get(n)) {
                    add(a, r.name().unwrap_or_default());
                }
            }
            for c in self.config.describe_delivery_channels().send().await.aws()?.delivery_channels() {
                if let Some(a) = c.name().and_then(|n| channels.get(n)) {
                    add(a, c.name().unwrap_or_default());
                }
            }
        }
        for (name, a) in &wanted(Kind::ConfigAggregator) {
            if self.aggregator_arn(name).await?.is_some() {
                add(a, name);
            }
        }
        if !rules.is_empty() {
            let names: Vec<String> = rules.keys().map(|n| n.to_string()).collect();
            for chunk in names.chunks(25) {
                match self.config.describe_config_rules().set_config_rule_names(Some(chunk.to_vec())).send().await.aws()
                {
                    Ok(out) => {
                        for r in out.config_rules() {
                            if let Some(a) = r.config_rule_name().and_then(|n| rules.get(n)) {
                                add(a, r.config_rule_name().unwrap_or_default());
                            }
                        }
                    }
                    // Asked by name, Config answers NoSuchConfigRule when any one is gone:
                    // ask for each then.
                    Err(ProviderError::NotFound(_)) => {
                        for n in chunk {
                            match self.config.describe_config_rules().config_rule_names(n).send().await.aws() {
                                Ok(out) if !out.config_rules().is_empty() => add(rules[n.as_str()], n),
                                Ok(_) | Err(ProviderError::NotFound(_)) => {}
                                Err(e) => return Err(e),
                            }
                        }
                    }
                    Err(e) => return Err(e),
                }
            }
        }
        Ok(found.into_values().collect())
    }

    /// Whether the resource an ARN names exists, as its owning service sees it, and what it
    /// is in words, with the day AWS deletes it for a KMS key scheduled for deletion. `None`
    /// when it is gone (or scheduled for deletion, for secrets).
    async fn confirm(
        &self,
        service: &str,
        resource: &str,
        arn: &str,
    ) -> Result<Option<(String, Option<String>)>, ProviderError> {
        let (rtype, id) = resource.split_once(['/', ':']).unwrap_or(("", resource));
        let gone = |r: Result<bool, ProviderError>| match r {
            Ok(b) => Ok(b),
            Err(ProviderError::NotFound(_)) => Ok(false),
            Err(e) => Err(e),
        };
        let mut pending = None;
        let exists = match service {
            "kms" if rtype == "key" => match self.kms.describe_key().key_id(id).send().await.aws() {
                Ok(out) => {
                    let meta = out.key_metadata();
                    if meta.and_then(|m| m.key_state()) == Some(&aws_sdk_kms::types::KeyState::PendingDeletion) {
                        pending = Some(
                            meta.and_then(|m| m.deletion_date())
                                .and_then(|d| d.fmt(aws_smithy_types::date_time::Format::DateTime).ok())
                                .unwrap_or_else(|| "a day AWS did not say".into()),
                        );
                    }
                    true
                }
                Err(ProviderError::NotFound(_)) => false,
                Err(e) => return Err(e),
            },
            "s3" if !resource.contains('/') => match self.s3.head_bucket().bucket(resource).send().await {
                Ok(_) => true,
                Err(e) if e.raw_response().is_some_and(|r| r.status().as_u16() == 404) => false,
                Err(e) => return Err(super::classify(&e)),
            },
            "sns" => gone(self.sns.get_topic_attributes().topic_arn(arn).send().await.aws().map(|_| true))?,
            "logs" if rtype == "log-group" => {
                let name = id.trim_end_matches(":*");
                let out = self.logs.describe_log_groups().log_group_name_prefix(name).send().await.aws();
                gone(out.map(|o| o.log_groups().iter().any(|g| g.log_group_name() == Some(name))))?
            }
            "cloudwatch" if rtype == "alarm" => {
                let out = self.cloudwatch.describe_alarms().alarm_names(id).send().await.aws();
                gone(out.map(|o| !o.metric_alarms().is_empty()))?
            }
            "ssm" if rtype == "parameter" => {
                // `parameter/a/b` is the parameter `/a/b`, `parameter/x` is `x`.
                let filter = aws_sdk_ssm::types::ParameterStringFilter::builder()
                    .key("Name")
                    .option("Equals")
                    .values(id)
                    .values(format!("/{id}"))
                    .build()
                    .map_err(|e| ProviderError::Fatal(e.to_string()))?;
                let out = self.ssm.describe_parameters().parameter_filters(filter).send().await.aws();
                gone(out.map(|o| !o.parameters().is_empty()))?
            }
            "secretsmanager" => {
                let out = self.secrets.describe_secret().secret_id(arn).send().await.aws();
                // A secret scheduled for deletion is on its way out: AWS deletes it when its
                // recovery window ends, and it can still be restored until then.
                gone(out.map(|o| o.deleted_date().is_none()))?
            }
            "ec2" => gone(self.ec2_exists(rtype, id).await)?,
            "events" if rtype == "rule" => gone(self.events.describe_rule().name(id).send().await.aws().map(|_| true))?,
            "lambda" if rtype == "function" => {
                gone(self.lambda.get_function_configuration().function_name(id).send().await.aws().map(|_| true))?
            }
            // A service socform does not make resources in: report it as the index has it.
            _ => true,
        };
        Ok(exists.then(|| {
            let what = match rtype {
                "" => format!("{service} {}", if service == "s3" { "bucket" } else { "resource" }),
                t => format!("{service} {t}"),
            };
            (what, pending)
        }))
    }

    /// Whether an EC2 resource exists (instances: and is not terminated).
    async fn ec2_exists(&self, rtype: &str, id: &str) -> Result<bool, ProviderError> {
        let e = &self.ec2;
        Ok(match rtype {
            "vpc" => !e.describe_vpcs().vpc_ids(id).send().await.aws()?.vpcs().is_empty(),
            "subnet" => !e.describe_subnets().subnet_ids(id).send().await.aws()?.subnets().is_empty(),
            "security-group" => {
                !e.describe_security_groups().group_ids(id).send().await.aws()?.security_groups().is_empty()
            }
            "security-group-rule" => !e
                .describe_security_group_rules()
                .security_group_rule_ids(id)
                .send()
                .await
                .aws()?
                .security_group_rules()
                .is_empty(),
            "internet-gateway" => !e
                .describe_internet_gateways()
                .internet_gateway_ids(id)
                .send()
                .await
                .aws()?
                .internet_gateways()
                .is_empty(),
            "route-table" => {
                !e.describe_route_tables().route_table_ids(id).send().await.aws()?.route_tables().is_empty()
            }
            "volume" => !e.describe_volumes().volume_ids(id).send().await.aws()?.volumes().is_empty(),
            "vpc-flow-log" => !e.describe_flow_logs().flow_log_ids(id).send().await.aws()?.flow_logs().is_empty(),
            "instance" => e.describe_instances().instance_ids(id).send().await.aws()?.reservations().iter().any(|r| {
                r.instances().iter().any(|i| {
                    !matches!(
                        i.state().and_then(|s| s.name()).map(|n| n.as_str()),
                        Some("terminated" | "shutting-down")
                    )
                })
            }),
            // Another EC2 type socform does not make: trust the index.
            _ => true,
        })
    }
}

/// The kind of resource an ARN from the tagging index names, where socform makes that kind
/// (each kind's row says how its ARNs read: [`Kind::of_arn`]).
fn kind_of_arn(arn: &str) -> Option<Kind> {
    let (service, resource) = split_arn(arn)?;
    Kind::of_arn(service, resource)
}

/// `arn:partition:service:region:account:resource` -> (service, resource).
fn split_arn(arn: &str) -> Option<(&str, &str)> {
    let mut parts = arn.splitn(6, ':');
    let (_, _, service, _, _, resource) =
        (parts.next()?, parts.next()?, parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    Some((service, resource))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_index_types_asked_for_are_the_kinds_read_back() {
        for kind in Kind::ALL.iter().copied() {
            let Some(t) = kind.index_type() else { continue };
            let arn = match t.split_once(':') {
                Some((service, rtype)) => format!("arn:aws:{service}:us-east-1:123456789012:{rtype}/x-1"),
                None => format!("arn:aws:{t}:::x-1"),
            };
            assert_eq!(kind_of_arn(&arn), Some(kind), "{kind}: {arn}");
        }
    }

    #[test]
    fn arns_split_into_service_and_resource() {
        assert_eq!(split_arn("arn:aws:s3:::soc-trail"), Some(("s3", "soc-trail")));
        assert_eq!(split_arn("arn:aws:ec2:us-east-1:123456789012:vpc/vpc-1"), Some(("ec2", "vpc/vpc-1")));
        assert_eq!(
            split_arn("arn:aws:logs:us-east-1:123456789012:log-group:soc-ct:*"),
            Some(("logs", "log-group:soc-ct:*"))
        );
        assert_eq!(split_arn("not-an-arn"), None);
    }
}

/// The labels every one of a lab's resources carries with one value, and for the rest every
/// value seen (`(none)` where a resource lacks it).
pub(crate) fn agreed_labels(
    resources: &[BTreeMap<String, String>],
) -> (BTreeMap<String, String>, BTreeMap<String, BTreeSet<String>>) {
    let keys: BTreeSet<&String> = resources.iter().flat_map(|r| r.keys()).collect();
    let (mut agreed, mut disputed) = (BTreeMap::new(), BTreeMap::new());
    for k in keys {
        let values: BTreeSet<String> =
            resources.iter().map(|r| r.get(k).cloned().unwrap_or_else(|| "(none)".to_string())).collect();
        if values.len() == 1 && resources.iter().all(|r| r.contains_key(k)) {
            agreed.insert(k.clone(), values.into_iter().next().unwrap_or_default());
        } else {
            disputed.insert(k.clone(), values);
        }
    }
    (agreed, disputed)
}

#[cfg(test)]
mod lab_label_tests {
    use super::*;

    fn res(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn a_label_one_resource_lacks_or_changes_is_disputed_not_the_latest() {
        let lab = [res(&[("socform:expires-at", "2099-01-01T00:00:00Z")]), res(&[])];
        let (agreed, disputed) = agreed_labels(&lab);
        assert!(agreed.is_empty());
        assert_eq!(disputed["socform:expires-at"].len(), 2);
        // A forged past expiry on one bait beside a lab that never expires.
        let lab = [
            res(&[("socform:owner", "a")]),
            res(&[("socform:owner", "a"), ("socform:expires-at", "2000-01-01T00:00:00Z")]),
        ];
        let (agreed, disputed) = agreed_labels(&lab);
        assert_eq!(agreed, res(&[("socform:owner", "a")]));
        assert!(disputed.contains_key("socform:expires-at"));
        let lab = [
            res(&[("socform:expires-at", "2000-01-01T00:00:00Z")]),
            res(&[("socform:expires-at", "2000-01-01T00:00:00Z")]),
        ];
        let (agreed, disputed) = agreed_labels(&lab);
        assert_eq!(agreed["socform:expires-at"], "2000-01-01T00:00:00Z");
        assert!(disputed.is_empty());
    }
}
