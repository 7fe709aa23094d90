//! Detections: the filter-pattern engine, the built-in catalog, and the checks behind
//! `socform test`, `socform test-filter` and `socform coverage`.
//!
//! **Architecture Invariant:** pure: no AWS, no I/O. The same engine checks patterns in
//! `validate` and proves samples in `test`.

pub mod catalog;
pub mod pattern;
