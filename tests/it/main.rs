//! The integration tests, one binary: each module is what was one test binary (the CLI end
//! to end, the AWS provider against moto, labs, drills, resilience, review, ...). One binary
//! links the AWS SDK once instead of once per file (BENCHMARKS.md, "One test binary").
//! Run one part with its module path: `cargo test --test it drill::`.

#[path = "../support/mod.rs"]
mod support;

mod accounts;
mod aws;
mod blueprints;
mod catalog_events;
mod cis;
mod cli;
mod drill;
mod findings;
mod fuzz_smoke;
mod labs;
mod organization;
mod pool;
mod remote_state;
mod resilience;
mod review;
mod safety;
mod sigma;
mod validate;
mod workflow;
