//! Review: what a reviewer of a blueprint change needs, without running anything.
//!
//! - [`security`] classifies a set of before/after pairs (from `diff` of two blueprints, or
//!   from a plan) into findings that **broaden access** or **weaken monitoring**;
//! - [`diff`] compares two blueprints resource by resource, with unified text diffs for
//!   policies, user data and patterns;
//! - [`lint`] checks one blueprint against rules with stable ids, suppressible per resource
//!   with a written reason, rendered as text, JSON or SARIF 2.1.0.
//!
//! **Architecture Invariant:** pure: models in, findings out. Source locations come from the
//! blueprint loader's side table, never from the model.

pub mod diff;
pub mod lint;
pub mod security;

use serde::{Deserialize, Serialize};

use crate::address::Address;

/// Which way a security finding cuts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Concern {
    BroadensAccess,
    WeakensMonitoring,
}

impl Concern {
    pub fn as_str(self) -> &'static str {
        match self {
            Concern::BroadensAccess => "broadens access",
            Concern::WeakensMonitoring => "weakens monitoring",
        }
    }
}

/// One change a security reviewer must look at.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Finding {
    pub concern: Concern,
    /// Stable id of the check, such as `broaden.admin-port`.
    pub check: String,
    /// What it is about: a resource (`security_group.web`) or an input (`input.db_password`).
    pub address: Subject,
    pub message: String,
}

/// What a finding is about. An input is no resource, and its address (`input.NAME`) can
/// never be one: `input` is no resource kind.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Subject {
    Resource(Address),
    Input(String),
}

impl From<Address> for Subject {
    fn from(a: Address) -> Self {
        Subject::Resource(a)
    }
}

impl PartialEq<Address> for Subject {
    fn eq(&self, other: &Address) -> bool {
        matches!(self, Subject::Resource(a) if a == other)
    }
}

impl std::fmt::Display for Subject {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Subject::Resource(a) => a.fmt(f),
            Subject::Input(name) => write!(f, "input.{name}"),
        }
    }
}

impl Serialize for Subject {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Subject {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        match s.strip_prefix("input.") {
            Some(name) if !name.is_empty() => Ok(Subject::Input(name.to_string())),
            _ => Address::parse(&s).map(Subject::Resource).map_err(serde::de::Error::custom),
        }
    }
}
