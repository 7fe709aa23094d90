//! socform: infrastructure as code for cloud security monitoring on AWS.
//!
//! The pipeline: a YAML blueprint ([`blueprint`]) is validated and lowered to a [`model`],
//! arranged in a dependency [`graph`], compared with [`state`] and the live snapshot a
//! [`provider`] reads, giving a [`plan`] that the [`executor`] carries out; [`render`] shows
//! plans, diffs and reports to people and machines. See ARCHITECTURE.md for the map.

pub mod address;
pub mod blueprint;
#[cfg(feature = "aws")]
pub mod cli;
pub mod cost;
pub mod detect;
pub mod diag;
pub mod executor;
pub mod graph;
pub mod model;
pub mod ops;
pub mod plan;
pub mod provider;
pub mod render;
pub mod review;
pub mod state;
pub mod topology;
