//! The resolved resource model: what the blueprint asks for, as plain data.
//!
//! A [`Model`] is a list of [`Resource`]s, each an [`Address`], a [`Kind`] and a flat map of
//! attributes ([`Attrs`]) in the form socform sends to AWS. Cross-resource values are
//! *templates* such as `${security_group.web.id}` (see [`template`]); dependencies are derived
//! from them, so the graph can never disagree with the attributes.
//!
//! Each kind has a typed spec in [`spec`] used to build attributes (in the blueprint lowering)
//! and to read them back (in providers), so both sides agree on one shape.
//!
//! **Architecture Invariant:** the model knows nothing of YAML, source spans, AWS SDKs or I/O.
//! It derives serde only for the JSON of state files and saved plans.

pub mod exposure;
pub mod kind;
pub mod spec;
pub mod template;

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use serde_json::Value;

pub use kind::Kind;

use crate::address::Address;

/// Attributes of one resource, keyed by attribute name, in a stable order.
pub type Attrs = BTreeMap<String, Value>;

/// One resource socform manages.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Resource {
    pub address: Address,
    /// Desired attributes; string values may hold `${address.output}` templates.
    pub attrs: Attrs,
    /// Every address this resource needs to exist first: those named in templates plus
    /// explicit `depends_on`. Sorted, without duplicates.
    pub depends_on: BTreeSet<Address>,
}

impl Resource {
    /// Makes a resource whose dependencies are the addresses its attribute templates name.
    pub fn new(address: Address, attrs: Attrs) -> Self {
        let depends_on = template::references(&attrs).into_iter().filter(|a| a != &address).collect();
        Self { address, attrs, depends_on }
    }

    pub fn kind(&self) -> Kind {
        self.address.kind()
    }

    /// The named account it is placed in (`account: NAME`); `None` for the caller's own.
    pub fn account(&self) -> Option<&str> {
        account_of(&self.attrs)
    }
}

/// The attribute that places a resource in a named account of the blueprint's `accounts:`.
/// Only lowering writes it (state records it with the other attributes); providers never see
/// it: [`crate::provider::accounts`] routes on it and takes it off, and [`spec::from_attrs`]
/// ignores it.
pub const ACCOUNT_ATTR: &str = "account";

/// The named account `attrs` place their resource in.
pub fn account_of(attrs: &Attrs) -> Option<&str> {
    attrs.get(ACCOUNT_ATTR).and_then(Value::as_str)
}

/// An account a blueprint spans (`accounts:`), and how socform reaches it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    /// The role assumed in it; `None`: the caller's own credentials.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role_arn: Option<String>,
    /// The external id the role's trust policy asks for (never printed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_name: Option<String>,
    /// The only account ids it may be (empty: the role's own account, or any for the caller).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub allowed_accounts: Vec<String>,
}

impl Account {
    /// The account id the role ARN names.
    pub fn role_account(&self) -> Option<&str> {
        self.role_arn.as_deref().and_then(|a| a.split(':').nth(4)).filter(|id| !id.is_empty())
    }
}

/// Everything a blueprint resolves to.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Model {
    /// The blueprint name: names the state file and the `socform:blueprint` tag.
    pub blueprint: String,
    pub region: String,
    /// The only accounts the blueprint may act on (empty: any).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub allowed_accounts: Vec<String>,
    /// The named accounts the blueprint spans besides the caller's (`accounts:`): resources
    /// placed in one carry [`ACCOUNT_ATTR`].
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub accounts: BTreeMap<String, Account>,
    /// Resources sorted by address.
    pub resources: Vec<Resource>,
    /// Detections, in blueprint order: what `socform test` checks and `coverage` reports.
    #[serde(default)]
    pub detections: Vec<Detection>,
    /// Lint findings the blueprint accepts, each with its reason.
    #[serde(default)]
    pub suppressions: Vec<Suppression>,
    /// The blueprint's inputs with the values used (sensitive ones hidden).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub inputs: Vec<Input>,
    /// What `socform output` prints, templates unresolved.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub outputs: Vec<Output>,
    /// Renames: state recorded at `from` belongs to `to`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub moved: Vec<Moved>,
    /// The blueprint's `lab:` settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lab: Option<Lab>,
    /// Resources socform writes wholly from its own templates (the roles that deliver the
    /// trail, flow logs and Config to their destinations): what they grant is socform's, not
    /// a choice the blueprint makes, so the security review does not list their grants.
    /// Set by lowering only; a blueprint cannot name a resource into it.
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub fixed: BTreeSet<Address>,
    /// Account-level singletons ([`Kind::one_per_account`]) for which one the account already
    /// has, and this state did not make, is used rather than made: read, its outputs given to
    /// what needs it, never changed or deleted (the blueprint's `if_exists: use`, the
    /// default). One left out must be made by this state, and an existing one is an error.
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub uses_existing: BTreeSet<Address>,
    /// Singletons the blueprint sets in place of the one the account has (an IAM password
    /// policy with `if_exists: replace`): planned as a create that shows what it replaces,
    /// and destroy puts the account's own back.
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub replaces_existing: BTreeSet<Address>,
    /// What the blueprint only reads (`lookups:`, Terraform's data sources): each resource
    /// here holds only a `lookup` attribute saying how to find it, is read by
    /// `Provider::look_up` at refresh, and is planned as used, never made, changed or deleted.
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub lookups: BTreeSet<Address>,
}

/// A lab's lifetime and owner.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lab {
    /// Seconds from an apply to the lab's expiry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_after_secs: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    /// `--lab NAME`: which of several labs of the blueprint this is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// Every tag key socform writes starts with this; a blueprint may not use it.
pub const TAG_PREFIX: &str = "socform:";
/// The tag keys that make every resource socform creates findable again.
pub const TAG_BLUEPRINT: &str = "socform:blueprint";
pub const TAG_ADDRESS: &str = "socform:address";
/// The lineage of the state that made the resource: what proves a resource is this state's
/// own, since blueprint names and addresses can collide (two labs from one blueprint, a
/// hand-made resource tagged to look like ours).
pub const TAG_LINEAGE: &str = "socform:lineage";
/// When the lab was first applied (RFC 3339).
pub const TAG_CREATED_AT: &str = "socform:created-at";
/// Tag naming which of several labs of one blueprint a resource belongs to (`--lab`).
pub const TAG_LAB: &str = "socform:lab";

/// Tag of the RFC 3339 time after which `socform reap --expired` removes a lab.
pub const TAG_EXPIRES_AT: &str = "socform:expires-at";
/// Tag naming whose lab it is.
pub const TAG_OWNER: &str = "socform:owner";

/// The longest duration socform reads (ten years): every time it adds one to stays a
/// time `rfc3339` can write.
pub const MAX_DURATION_SECS: u64 = 10 * 365 * 86_400;

/// A duration written as `8h`, `90m`, `2d`, `1h30m` or `45s`, in seconds.
pub fn parse_duration(s: &str) -> Result<u64, String> {
    let bad = || format!("`{s}` is not a duration such as `8h`, `90m`, `2d`, `1h30m` or `1.5h`");
    // Whole seconds, in thousandths while reading, so that `1.5h` is exact.
    let (mut total, mut number) = (0u128, String::new());
    for c in s.trim().chars() {
        if c.is_ascii_digit() || c == '.' {
            number.push(c);
            continue;
        }
        let unit: u128 = match c.to_ascii_lowercase() {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            'd' => 86_400,
            _ => return Err(bad()),
        };
        let (whole, frac) = number.split_once('.').unwrap_or((&number, ""));
        if whole.is_empty() && frac.is_empty() || frac.len() > 3 || frac.contains('.') {
            return Err(bad());
        }
        let long = || format!("`{s}` is longer than ten years");
        // Digits only by now: a number too large for u128 is simply too long.
        let whole: u128 = if whole.is_empty() { 0 } else { whole.parse().map_err(|_| long())? };
        let frac: u128 = format!("{frac:0<3}").parse().map_err(|_| bad())?;
        total = whole
            .checked_mul(1000)
            .and_then(|w| w.checked_add(frac))
            .and_then(|v| v.checked_mul(unit))
            .and_then(|v| v.checked_add(total))
            .ok_or_else(long)?;
        number.clear();
    }
    if !number.is_empty() || total == 0 {
        return Err(bad());
    }
    if total % 1000 != 0 {
        return Err(format!("`{s}` is not a whole number of seconds"));
    }
    let secs = total / 1000;
    if secs > u128::from(MAX_DURATION_SECS) {
        return Err(format!("`{s}` is longer than ten years"));
    }
    Ok(secs as u64)
}

/// RFC 3339 (UTC, whole seconds) of `unix_seconds`.
pub fn rfc3339(unix_seconds: u64) -> String {
    time::OffsetDateTime::from_unix_timestamp(unix_seconds as i64)
        .ok()
        .and_then(|t| t.format(&time::format_description::well_known::Rfc3339).ok())
        .unwrap_or_default()
}

/// Seconds since the Unix epoch of an RFC 3339 time.
pub fn parse_rfc3339(s: &str) -> Option<u64> {
    time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339)
        .ok()
        .and_then(|t| u64::try_from(t.unix_timestamp()).ok())
}

/// The AWS partition of a region.
pub fn partition(region: &str) -> &'static str {
    if region.starts_with("us-gov-") {
        "aws-us-gov"
    } else if region.starts_with("cn-") {
        "aws-cn"
    } else {
        "aws"
    }
}

/// What every output shows in place of a sensitive value: plans (all formats), diffs,
/// saved plans, state's record of inputs.
pub const SENSITIVE: &str = "(sensitive)";

/// Whether an attribute's value must never be shown.
pub fn is_sensitive(kind: Kind, attr: &str, attrs: &Attrs) -> bool {
    if !kind.sensitive().contains(&attr) {
        return false;
    }
    // A plain SSM String parameter is not secret; a SecureString is.
    if kind == Kind::SsmParameter {
        return attrs.get("parameter_type").and_then(Value::as_str) == Some("SecureString");
    }
    true
}

#[cfg(test)]
mod lab_tests {
    use super::*;

    #[test]
    fn durations_and_expiry_times() {
        assert_eq!(parse_duration("8h"), Ok(28_800));
        assert_eq!(parse_duration("1h30m"), Ok(5_400));
        assert_eq!(parse_duration("2d"), Ok(172_800));
        assert_eq!(parse_duration("3s"), Ok(3));
        // Units in either case, and decimals that come to whole seconds (issue 29).
        assert_eq!(parse_duration("1.5h"), Ok(5_400));
        assert_eq!(parse_duration("8H"), Ok(28_800));
        assert_eq!(parse_duration("0.5d"), Ok(43_200));
        assert_eq!(parse_duration(".5m"), Ok(30));
        for bad in [
            "",
            "8",
            "h",
            "8x",
            "0h",
            "-1h",
            "99999999999999999999d",
            "99999999999999d",
            "1.5s",
            "1..5h",
            ".h",
            "1.2345h",
        ] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        let t = 1_796_000_000;
        assert_eq!(parse_rfc3339(&rfc3339(t)), Some(t));
        assert_eq!(parse_rfc3339("2026-11-29T20:00:00+01:00"), Some(parse_rfc3339("2026-11-29T19:00:00Z").unwrap()));
        assert_eq!(parse_rfc3339("tomorrow"), None);
    }
}

/// An input of the blueprint and the value this model was made with.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Input {
    pub name: String,
    /// `string`, `number`, `bool`, `cidr`, `email` or `list`.
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// `"(sensitive)"` for a sensitive input.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<Value>,
    /// `"(sensitive)"` for a sensitive input.
    pub value: Value,
    #[serde(default)]
    pub sensitive: bool,
    /// No value was set and there is no default: a command that needs none (`validate`,
    /// `lint`, `diff`...) checked the blueprint with a placeholder of the input's type.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub placeholder: bool,
}

/// An output: a text whose templates are resolved from state after apply.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Output {
    pub name: String,
    pub value: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// A resource renamed in the blueprint.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Moved {
    pub from: Address,
    pub to: Address,
}

/// A lint rule waived for one resource, with the reason written down.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Suppression {
    pub rule: String,
    pub resource: Address,
    pub reason: String,
}

/// A detection: a filter pattern with its samples, and the resources it became.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Detection {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The catalog entry it came from, such as `cis/4.3`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub catalog: Option<String>,
    pub pattern: String,
    pub severity: String,
    pub attack: Vec<String>,
    pub samples_match: Vec<String>,
    pub samples_no_match: Vec<String>,
    pub metric_filter: Address,
    pub alarm: Address,
    /// It watches the trail's log group, where CloudTrail's events arrive (what `coverage`
    /// judges on CloudTrail events).
    #[serde(default)]
    pub watches_trail: bool,
}

impl Model {
    /// `--lab NAME`: which lab of the blueprint this is.
    pub fn lab_name(&self) -> Option<&str> {
        self.lab.as_ref().and_then(|l| l.name.as_deref())
    }

    /// A model with no resources: what a lab found by its tags alone is compared with when
    /// it is torn down.
    pub fn empty(blueprint: &str, region: &str) -> Self {
        Model {
            blueprint: blueprint.to_string(),
            region: region.to_string(),
            allowed_accounts: vec![],
            accounts: BTreeMap::new(),
            resources: vec![],
            detections: vec![],
            suppressions: vec![],
            inputs: vec![],
            outputs: vec![],
            moved: vec![],
            lab: None,
            fixed: BTreeSet::new(),
            uses_existing: BTreeSet::new(),
            replaces_existing: BTreeSet::new(),
            lookups: BTreeSet::new(),
        }
    }

    pub fn get(&self, address: &Address) -> Option<&Resource> {
        self.resources.binary_search_by(|r| r.address.cmp(address)).ok().map(|i| &self.resources[i])
    }

    /// The trails the blueprint watches without making them: each lookup of the log group an
    /// existing trail delivers to, with that trail's name.
    pub fn looked_up_trails(&self) -> impl Iterator<Item = (&Resource, &str)> {
        self.resources
            .iter()
            .filter(|r| self.lookups.contains(&r.address))
            .filter_map(|r| Some((r, r.attrs.get("lookup")?.get("trail")?.as_str()?)))
    }

    /// The name AWS knows a resource of the blueprint by ([`Kind::name_attr`]), for kinds the
    /// blueprint names.
    pub fn aws_name(&self, address: &Address) -> Option<&str> {
        self.get(address)?.attrs.get(address.kind().name_attr()?)?.as_str()
    }

    /// Sorts resources by address; lowering calls this once when it is done.
    pub fn sort(&mut self) {
        self.resources.sort_by(|a, b| a.address.cmp(&b.address));
    }
}
