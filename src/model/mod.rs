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
}

impl Model {
    pub fn get(&self, address: &Address) -> Option<&Resource> {
        self.resources.binary_search_by(|r| r.address.cmp(address)).ok().map(|i| &self.resources[i])
    }

    /// Sorts resources by address; lowering calls this once when it is done.
    pub fn sort(&mut self) {
        self.resources.sort_by(|a, b| a.address.cmp(&b.address));
    }
}
