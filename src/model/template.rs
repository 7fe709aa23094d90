//! Templates: how one resource's attribute names another resource's output.
//!
//! A template is `${kind.name.output}` (`${security_group.web.id}`) or a global,
//! `${aws.account_id}`, `${aws.region}`, `${aws.partition}`; in a blueprint that spans
//! accounts also `${account.NAME.id}` (a named account's id) and `${aws.caller_account_id}`
//! (the account of the credentials socform runs with, which `${aws.account_id}` is for a
//! resource placed in no named account). `${aws.organization_id}` is the caller's AWS
//! organization (`o-...`). Text such as a shell's
//! `${HOME}` or `${VAR:-x}` is not a template: only a known kind followed by a name and an
//! output is. Templates are resolved by whoever knows the outputs: the planner from state
//! (leaving unknown ones in place, shown as "known after apply"), the executor from the
//! outputs of resources it has just applied.

use std::collections::BTreeSet;
use std::str::FromStr;
use std::sync::LazyLock;

use regex::Regex;
use serde_json::Value;

use super::{Attrs, Kind};
use crate::address::Address;

static TEMPLATE: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\$\{([^}\s]+)\}").unwrap());

/// A reference found inside a template.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Ref {
    /// `${kind.name.output}`
    Output(Address, String),
    /// `${aws.NAME}`; `${account.NAME.id}` is the global `account_id.NAME`.
    Global(String),
}

/// The global holding the id of the account a blueprint names `name` (`accounts:`).
pub fn account_global(name: &str) -> String {
    format!("account_id.{name}")
}

/// The template text for the id of the account a blueprint names `name`.
pub fn account_ref(name: &str) -> String {
    format!("${{account.{name}.id}}")
}

/// The template text for the id of the caller's own account, which never changes with the
/// placement of the resource it is written in.
pub const CALLER_ACCOUNT_REF: &str = "${aws.caller_account_id}";

/// Parses the inside of `${...}`; `None` when it is not a socform template.
pub fn parse_ref(inner: &str) -> Option<Ref> {
    if let Some(global) = inner.strip_prefix("aws.") {
        return match global {
            "account_id" | "region" | "partition" | "organization_id" => Some(Ref::Global(global.to_string())),
            "caller_account_id" => Some(Ref::Global("account_id".to_string())),
            _ => None,
        };
    }
    if let Some(name) = inner.strip_prefix("account.").and_then(|r| r.strip_suffix(".id")) {
        let ok = !name.is_empty()
            && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-');
        return ok.then(|| Ref::Global(account_global(name)));
    }
    let (kind, rest) = inner.split_once('.')?;
    let kind = Kind::from_str(kind).ok()?;
    let (name, output) = rest.rsplit_once('.')?;
    if name.is_empty() || output.is_empty() || !output.bytes().all(|b| b.is_ascii_lowercase() || b == b'_') {
        return None;
    }
    Some(Ref::Output(Address::new(kind, name), output.to_string()))
}

/// The template text for an output of a resource.
pub fn output_ref(address: &Address, output: &str) -> String {
    format!("${{{address}.{output}}}")
}

/// Every reference in a string.
pub fn refs_in(s: &str) -> impl Iterator<Item = Ref> + '_ {
    TEMPLATE.captures_iter(s).filter_map(|c| parse_ref(&c[1]))
}

fn walk_strings<'a>(v: &'a Value, f: &mut impl FnMut(&'a str)) {
    match v {
        Value::String(s) => f(s),
        Value::Array(items) => items.iter().for_each(|i| walk_strings(i, f)),
        Value::Object(map) => map.values().for_each(|i| walk_strings(i, f)),
        _ => {}
    }
}

/// Every `(address, output)` a value's templates name.
pub fn output_refs(v: &Value) -> Vec<(Address, String)> {
    let mut out = Vec::new();
    walk_strings(v, &mut |s| {
        for r in refs_in(s) {
            if let Ref::Output(a, o) = r {
                out.push((a, o));
            }
        }
    });
    out
}

/// Every reference (outputs and globals) anywhere in the attributes.
pub fn references_in_attrs(attrs: &Attrs) -> BTreeSet<Ref> {
    let mut out = BTreeSet::new();
    for v in attrs.values() {
        walk_strings(v, &mut |s| out.extend(refs_in(s)));
    }
    out
}

/// Every resource address named by a template anywhere in the attributes.
pub fn references(attrs: &Attrs) -> BTreeSet<Address> {
    let mut out = BTreeSet::new();
    for v in attrs.values() {
        walk_strings(v, &mut |s| {
            for r in refs_in(s) {
                if let Ref::Output(a, _) = r {
                    out.insert(a);
                }
            }
        });
    }
    out
}

/// Where template values come from.
pub trait Lookup {
    /// The value of a resource output or a global, or `None` while it is not known.
    fn lookup(&self, r: &Ref) -> Option<String>;
}

/// Replaces every template whose value is known. Returns the new value and the references
/// that stayed unresolved (their text is left in place).
pub fn resolve(v: &Value, lookup: &dyn Lookup) -> (Value, Vec<Ref>) {
    let mut unknown = Vec::new();
    let out = resolve_inner(v, lookup, &mut unknown);
    (out, unknown)
}

fn resolve_inner(v: &Value, lookup: &dyn Lookup, unknown: &mut Vec<Ref>) -> Value {
    match v {
        Value::String(s) => Value::String(resolve_str(s, lookup, unknown)),
        Value::Array(items) => Value::Array(items.iter().map(|i| resolve_inner(i, lookup, unknown)).collect()),
        Value::Object(map) => {
            Value::Object(map.iter().map(|(k, i)| (k.clone(), resolve_inner(i, lookup, unknown))).collect())
        }
        other => other.clone(),
    }
}

fn resolve_str(s: &str, lookup: &dyn Lookup, unknown: &mut Vec<Ref>) -> String {
    if !s.contains("${") {
        return s.to_string();
    }
    TEMPLATE
        .replace_all(s, |c: &regex::Captures<'_>| match parse_ref(&c[1]) {
            None => c[0].to_string(),
            Some(r) => match lookup.lookup(&r) {
                Some(v) => v,
                None => {
                    unknown.push(r);
                    c[0].to_string()
                }
            },
        })
        .into_owned()
}

/// Resolves every attribute; the second value lists the attributes left with unknowns.
pub fn resolve_attrs(attrs: &Attrs, lookup: &dyn Lookup) -> (Attrs, BTreeSet<String>) {
    let mut unknown_attrs = BTreeSet::new();
    let resolved = attrs
        .iter()
        .map(|(k, v)| {
            let (v, unknown) = resolve(v, lookup);
            if !unknown.is_empty() {
                unknown_attrs.insert(k.clone());
            }
            (k.clone(), v)
        })
        .collect();
    (resolved, unknown_attrs)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    struct Fixed;
    impl Lookup for Fixed {
        fn lookup(&self, r: &Ref) -> Option<String> {
            match r {
                Ref::Global(g) if g == "account_id" => Some("123456789012".into()),
                Ref::Output(a, o) if a.to_string() == "vpc.main" && o == "id" => Some("vpc-1".into()),
                _ => None,
            }
        }
    }

    #[test]
    fn shell_variables_are_not_templates() {
        assert_eq!(refs_in("echo ${HOME} ${VAR:-x} ${a.b}").count(), 0);
        assert_eq!(refs_in("${subnet.public-a.id}").count(), 1);
    }

    #[test]
    fn resolve_replaces_known_values_and_reports_unknown_ones() {
        let v = json!({"a": "${vpc.main.id}", "b": ["arn:aws:iam::${aws.account_id}:root", "${subnet.x.id}"]});
        let (out, unknown) = resolve(&v, &Fixed);
        assert_eq!(out, json!({"a": "vpc-1", "b": ["arn:aws:iam::123456789012:root", "${subnet.x.id}"]}));
        assert_eq!(unknown, vec![Ref::Output(Address::parse("subnet.x").unwrap(), "id".into())]);
    }

    #[test]
    fn references_collects_addresses_from_nested_values() {
        let mut attrs = Attrs::new();
        attrs.insert("policy".into(), json!({"Resource": ["${s3_bucket.trail.arn}/*"]}));
        attrs.insert("vpc".into(), json!("${vpc.main.id}"));
        let refs: Vec<String> = references(&attrs).iter().map(|a| a.to_string()).collect();
        assert_eq!(refs, ["vpc.main", "s3_bucket.trail"]);
    }
}
