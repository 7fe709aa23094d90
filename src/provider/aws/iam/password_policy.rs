//! The account's IAM password policy: a setting, not a resource, and one that carries no
//! tags. What state records says whose it is:
//! - [`SET`]: the account had none; this state set it, and destroy deletes it;
//! - [`REPLACED`]`:{json}`: the blueprint said `if_exists: replace` and this state replaced
//!   the account's own policy, which the id carries; destroy puts that policy back.
//!
//! A policy the account has that this state did not set is reported as existing (the
//! planner uses it, or replaces it where the blueprint says so). A run that dies between the
//! update and saving state leaves the marker, which carries what the create replaced (the
//! plan read it): the next refresh records the policy with that, so destroy still restores
//! exactly what was there.
//!
//! Listed with one GetAccountPasswordPolicy, only when state holds the policy, a marker says
//! a create was under way, or the blueprint has one.

use std::collections::BTreeMap;

use aws_sdk_iam::types::PasswordPolicy as AwsPolicy;

use super::*;
use crate::provider::aws::kinds::Found;
use crate::state::Record;

/// The id of a policy this state set where the account had none.
pub(crate) const SET: &str = "set-by-socform";
/// The id prefix of a policy this state set in place of the account's own (which follows).
pub(crate) const REPLACED: &str = "replaced-by-socform:";
/// The id of the account's own policy, which this state did not set.
const THEIRS: &str = "account-password-policy";

fn settings(p: &AwsPolicy) -> s::PasswordPolicy {
    s::PasswordPolicy {
        minimum_length: p.minimum_password_length().unwrap_or(0),
        require_symbols: p.require_symbols(),
        require_numbers: p.require_numbers(),
        require_uppercase: p.require_uppercase_characters(),
        require_lowercase: p.require_lowercase_characters(),
        allow_users_to_change: p.allow_users_to_change_password(),
        max_age_days: p.max_password_age().unwrap_or(0),
        reuse_prevention: p.password_reuse_prevention().unwrap_or(0),
        hard_expiry: p.hard_expiry().unwrap_or(false),
    }
}

/// The account's policy, if it has one.
async fn current(aws: &AwsProvider) -> Result<Option<s::PasswordPolicy>, ProviderError> {
    match aws.iam.get_account_password_policy().send().await.aws() {
        Ok(out) => Ok(out.password_policy().map(settings)),
        Err(ProviderError::NotFound(_)) => Ok(None),
        Err(e) => Err(e),
    }
}

async fn put(aws: &AwsProvider, v: &s::PasswordPolicy) -> Result<(), ProviderError> {
    // AWS takes 0 for "no expiry" and "no reuse rule" only by leaving the field out.
    aws.iam
        .update_account_password_policy()
        .minimum_password_length(v.minimum_length)
        .require_symbols(v.require_symbols)
        .require_numbers(v.require_numbers)
        .require_uppercase_characters(v.require_uppercase)
        .require_lowercase_characters(v.require_lowercase)
        .allow_users_to_change_password(v.allow_users_to_change)
        .set_max_password_age((v.max_age_days > 0).then_some(v.max_age_days))
        .set_password_reuse_prevention((v.reuse_prevention > 0).then_some(v.reuse_prevention))
        .hard_expiry(v.hard_expiry)
        .send()
        .await
        .aws()
        .map(|_| ())
}

/// The id of a policy set in place of `theirs`.
fn replaced_id(theirs: &s::PasswordPolicy) -> String {
    format!("{REPLACED}{}", serde_json::to_string(theirs).expect("a policy serialises"))
}

/// The policy a [`REPLACED`] id carries.
fn replaced_of(id: &str) -> Option<s::PasswordPolicy> {
    serde_json::from_str(id.strip_prefix(REPLACED)?).ok()
}

pub(crate) struct IamPasswordPolicy;

#[async_trait]
impl KindApi for IamPasswordPolicy {
    async fn create(&self, aws: &AwsProvider, req: Request<'_>) -> Result<Applied, ProviderError> {
        let v: s::PasswordPolicy = spec(req.address, req.attrs)?;
        // The plan planned a create, not a use: the blueprint said `replace` (or the account
        // had none when it planned). Whatever is there now is what destroy puts back.
        let id = match current(aws).await? {
            Some(theirs) => replaced_id(&theirs),
            None => SET.to_string(),
        };
        put(aws, &v).await?;
        Ok(Applied { id, attributes: req.attrs.clone(), outputs: BTreeMap::new() })
    }

    async fn update(&self, aws: &AwsProvider, c: Change<'_>) -> Result<Applied, ProviderError> {
        let v: s::PasswordPolicy = spec(c.req.address, c.req.attrs)?;
        put(aws, &v).await?;
        Ok(c.kept())
    }

    async fn delete(&self, aws: &AwsProvider, d: Doomed<'_>) -> Result<(), ProviderError> {
        if d.id == SET {
            return match aws.iam.delete_account_password_policy().send().await.aws() {
                Ok(_) | Err(ProviderError::NotFound(_)) => Ok(()),
                Err(e) => Err(e),
            };
        }
        match replaced_of(d.id) {
            Some(theirs) => put(aws, &theirs).await,
            // Not this state's to delete (an id this version does not know).
            None => Ok(()),
        }
    }

    async fn list(&self, aws: &AwsProvider, at: &Listing<'_>) -> Result<Listed, ProviderError> {
        let kind = Kind::IamPasswordPolicy;
        let mut found = Found::new();
        let held: Vec<&Record> = at.state.resources.values().filter(|r| r.kind == kind).collect();
        let marker = at.state.pending.iter().find(|(a, _)| a.kind() == kind);
        if held.is_empty() && marker.is_none() && !at.sees_existing(kind) {
            return Ok(Listed::of(kind, found));
        }
        let Some(policy) = current(aws).await? else {
            return Ok(Listed::of(kind, found));
        };
        let read = s::to_attrs(&policy);
        for rec in &held {
            found.insert(rec.id.clone(), (None, live(rec, rec.id.as_str(), read.clone(), BTreeMap::new())));
        }
        let mut listed = Listed::default();
        if held.is_empty() {
            match marker {
                // A run that died after setting it and before saving: the marker says what
                // the create replaced (nothing, or the account's own policy as the plan read it).
                Some((a, pending)) => {
                    let theirs = pending.replaces.as_ref().and_then(|r| spec::<s::PasswordPolicy>(a, r).ok());
                    let id = match theirs {
                        Some(theirs) => replaced_id(&theirs),
                        None => SET.to_string(),
                    };
                    found.insert(id.clone(), (Some(a.clone()), live(&blank(kind), id, read, BTreeMap::new())));
                }
                None if at.sees_existing(kind) => {
                    listed.existing.insert(kind, live(&blank(kind), THEIRS, read, BTreeMap::new()));
                }
                None => {}
            }
        }
        listed.found.insert(kind, found);
        Ok(listed)
    }

    async fn tag_target(&self, _aws: &AwsProvider, _id: &str) -> Result<Option<TagTarget>, ProviderError> {
        Ok(None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_replaced_policy_round_trips_through_its_id() {
        let theirs = s::PasswordPolicy {
            minimum_length: 8,
            require_symbols: true,
            require_numbers: false,
            require_uppercase: false,
            require_lowercase: true,
            allow_users_to_change: true,
            max_age_days: 90,
            reuse_prevention: 5,
            hard_expiry: false,
        };
        let id = replaced_id(&theirs);
        assert!(id.starts_with(REPLACED), "{id}");
        assert_eq!(replaced_of(&id), Some(theirs));
        assert_eq!(replaced_of(SET), None);
    }
}
