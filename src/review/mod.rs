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
    pub address: Address,
    pub message: String,
}
