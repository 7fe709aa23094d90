//! SNS topics and subscriptions. Refresh: one paginated ListTopics, one ListSubscriptions,
//! the tags of topics named like this blueprint's that state does not know (to prove them
//! its own), and the policy of each topic whose policy socform set.

pub(super) mod subscription;
pub(super) mod topic;

use std::collections::BTreeMap;

use aws_sdk_sns::types::Tag;
use serde_json::json;

#[allow(unused_imports)]
use super::classify;
use super::kinds::{Change, Doomed, KindApi, Listed, Listing, TagTarget};
use super::{blank, live, outputs, owned, spec, user_tags, AwsProvider, Classify};
use crate::model::spec as s;
use crate::model::{Attrs, Kind};
use crate::provider::{Applied, ProviderError, Request};
use async_trait::async_trait;

/// A topic's ARN from its name: what CreateTopic answers, known before asking.
pub(super) fn topic_arn(region: &str, account: &str, name: &str) -> String {
    format!("arn:{}:sns:{region}:{account}:{name}", crate::model::partition(region))
}

/// The policy a topic has when no service but the account itself may use it.
fn owner_only_policy(arn: &str) -> serde_json::Value {
    let account = arn.split(':').nth(4).unwrap_or_default();
    let partition = arn.split(':').nth(1).unwrap_or("aws");
    json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "AccountOwner",
            "Effect": "Allow",
            "Principal": {"AWS": format!("arn:{partition}:iam::{account}:root")},
            "Action": [
                "SNS:GetTopicAttributes", "SNS:SetTopicAttributes", "SNS:AddPermission",
                "SNS:RemovePermission", "SNS:DeleteTopic", "SNS:Subscribe",
                "SNS:ListSubscriptionsByTopic", "SNS:Publish"
            ],
            "Resource": arn,
        }],
    })
}
