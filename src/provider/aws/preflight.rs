//! What `socform preflight` reads: the caller's principal and IAM's policy simulation for it,
//! Service Quotas' applied values, what is in use now, and whether the region is enabled.

use std::collections::BTreeMap;

use super::{AwsProvider, Classify};
use crate::provider::{ProviderError, Usage};

impl AwsProvider {
    /// The caller's ARN as IAM's simulation takes it: an assumed-role session becomes its
    /// role (read with GetRole, for the role's path).
    pub(super) async fn principal_arn(&self) -> Result<String, ProviderError> {
        let me = self.sts.get_caller_identity().send().await.aws()?;
        let arn = me.arn().unwrap_or_default().to_string();
        // arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION
        if let Some(role) = arn.split(":assumed-role/").nth(1).and_then(|r| r.split('/').next()) {
            let got = self.iam.get_role().role_name(role).send().await.aws()?;
            return Ok(got.role().map(|r| r.arn().to_string()).unwrap_or(arn));
        }
        Ok(arn)
    }

    pub(super) async fn simulate_actions(
        &self,
        principal: &str,
        actions: &[String],
    ) -> Result<BTreeMap<String, String>, ProviderError> {
        let mut out = BTreeMap::new();
        // IAM takes at most 100 actions a call... and pages its answer.
        for chunk in actions.chunks(100) {
            let mut marker = None;
            loop {
                let page = self
                    .iam
                    .simulate_principal_policy()
                    .policy_source_arn(principal)
                    .set_action_names(Some(chunk.to_vec()))
                    .set_marker(marker.take())
                    .send()
                    .await
                    .aws()?;
                for r in page.evaluation_results() {
                    out.insert(r.eval_action_name().to_string(), r.eval_decision().as_str().to_string());
                }
                match page.marker() {
                    Some(m) if page.is_truncated() => marker = Some(m.to_string()),
                    _ => break,
                }
            }
        }
        Ok(out)
    }

    pub(super) async fn applied_quota(&self, service: &str, code: &str) -> Result<Option<f64>, ProviderError> {
        match self.quotas.get_service_quota().service_code(service).quota_code(code).send().await {
            Ok(out) => Ok(out.quota().and_then(|q| q.value())),
            Err(e) if e.as_service_error().is_some_and(|s| s.is_no_such_resource_exception()) => Ok(None),
            Err(e) => Err(super::classify(&e)),
        }
    }

    pub(super) async fn usage(&self, what: &Usage) -> Result<u64, ProviderError> {
        Ok(match what {
            Usage::Vpcs => self.ec2.describe_vpcs().send().await.aws()?.vpcs().len() as u64,
            Usage::InternetGateways => {
                self.ec2.describe_internet_gateways().send().await.aws()?.internet_gateways().len() as u64
            }
            Usage::IamRoles => {
                let mut n = 0;
                let mut pages = self.iam.list_roles().into_paginator().send();
                while let Some(page) = pages.next().await {
                    n += page.aws()?.roles().len() as u64;
                }
                n
            }
            // Trails whose home is this region: a multi-region trail of another region
            // counts there.
            Usage::Trails => {
                self.cloudtrail.describe_trails().include_shadow_trails(false).send().await.aws()?.trail_list().len()
                    as u64
            }
            Usage::FiltersOn(group) => {
                let mut n = 0;
                let mut pages = self.logs.describe_metric_filters().log_group_name(group).into_paginator().send();
                while let Some(page) = pages.next().await {
                    n += page.aws()?.metric_filters().len() as u64;
                }
                n
            }
        })
    }

    pub(super) async fn region_opted_in(&self) -> Result<bool, ProviderError> {
        let out = self.ec2.describe_regions().all_regions(true).region_names(&self.region).send().await.aws()?;
        Ok(out
            .regions()
            .iter()
            .find(|r| r.region_name() == Some(self.region.as_str()))
            .and_then(|r| r.opt_in_status())
            .is_none_or(|s| s != "not-opted-in"))
    }
}
