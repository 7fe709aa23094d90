//! Inputs: the values a person applying a blueprint sets without editing it (their IP
//! address, an alert email, an instance size), declared under `inputs:` and referenced as
//! `${input.NAME}` in any value.
//!
//! Resolution happens on the located YAML tree, before lowering: each reference is replaced
//! by the input's value where it is written, so every later check (a CIDR, an instance type,
//! an email) points at the line that uses the input. A reference that is the whole value
//! takes the input's type (a number stays a number, a list a list); one inside a longer text
//! is spliced in as text.
//!
//! Where a value comes from, first match wins: `--var NAME=VALUE` (the last one given),
//! `--var-file FILE` (the last file that sets it), the environment variable
//! `SOCFORM_VAR_NAME`, the declared `default`.
//!
//! A sensitive input is never printed or stored: it cannot be spliced into an attribute
//! (attributes are shown by plans and kept in state), only handed to a secret or SecureString
//! parameter with `from_input: NAME`, which keeps a salted fingerprint like `from_env`.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use ipnet::IpNet;
use serde::Deserialize;

use super::node::{did_you_mean, from_node, Loc, Node, Value};
use super::raw;
use crate::diag::{Diagnostic, SourceFile};

/// Values given on the command line or in the environment.
#[derive(Clone, Debug, Default)]
pub struct Supplied {
    /// `--var NAME=VALUE`, in the order given: a later one wins.
    pub vars: Vec<(String, String)>,
    /// `--var-file` files, each parsed into a mapping, in the order given.
    pub files: Vec<(Arc<SourceFile>, Node)>,
    /// Read `SOCFORM_VAR_NAME` variables (the command line does; tests and the fuzzers do not).
    pub env: bool,
    /// `--lab NAME`: one of several labs of the blueprint. The blueprint's name becomes
    /// `BLUEPRINT-NAME` (its state file, its tags, every name socform derives from it).
    pub lab: Option<String>,
    /// A required input with no value gets a placeholder of its type instead of an error:
    /// for commands that look at the blueprint without acting on AWS (`validate`, `lint`,
    /// `diff`, `graph`, `cost`...), as Terraform's `validate` needs no variables.
    pub placeholders: bool,
}

/// Whether a lab name is valid: lowercase letters, digits and `-`, at most 20.
pub fn lab_name(s: &str) -> Result<(), String> {
    let ok = !s.is_empty()
        && s.len() <= 20
        && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !s.starts_with('-');
    if ok {
        Ok(())
    } else {
        Err(format!("--lab `{s}`: use 1 to 20 lowercase letters, digits and `-`"))
    }
}

impl Supplied {
    /// The command line's values: `--var` and `--var-file` arguments, and the environment.
    pub fn from_args(vars: &[String], files: &[PathBuf]) -> Result<Self, Vec<Diagnostic>> {
        let mut s = Supplied { env: true, ..Default::default() };
        for v in vars {
            match v.split_once('=') {
                Some((name, value)) if !name.trim().is_empty() => {
                    s.vars.push((name.trim().to_string(), value.to_string()))
                }
                // The argument is not repeated: it may be a secret typed in the wrong place.
                _ => {
                    return Err(vec![Diagnostic::error(
                        "a --var argument has no `=` (not repeated here: it may be a secret): write NAME=VALUE, such as `--var admin_cidr=203.0.113.7/32`",
                    )])
                }
            }
        }
        for f in files {
            let text = super::read_text_as(f, "var file")?;
            let source = SourceFile::new(f, text);
            let root = super::parse(&source).map_err(|d| vec![d])?;
            if !matches!(root.value, Value::Map(_)) {
                return Err(vec![Diagnostic::error(
                    "a var file is a mapping of input names to values, such as `admin_cidr: 203.0.113.7/32`",
                )
                .at(&source, root.loc)]);
            }
            s.files.push((source, root));
        }
        Ok(s)
    }
}

/// The type of an input.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum InputType {
    #[default]
    String,
    Number,
    Bool,
    /// An IPv4 or IPv6 CIDR block, such as `203.0.113.7/32`.
    Cidr,
    /// An email address.
    Email,
    /// An AWS account id: 12 digits (quote it in YAML to keep leading zeros).
    Account,
    /// A list of texts; on the command line, items separated by commas.
    List,
}

impl InputType {
    pub fn as_str(self) -> &'static str {
        match self {
            InputType::String => "string",
            InputType::Number => "number",
            InputType::Bool => "bool",
            InputType::Cidr => "cidr",
            InputType::Email => "email",
            InputType::Account => "account",
            InputType::List => "list",
        }
    }
}

/// An input with its value, after resolution.
#[derive(Clone, Debug)]
pub struct Resolved {
    pub name: String,
    pub decl: raw::Input,
    /// In the input's type: a text, a number, a boolean or a list of texts.
    pub value: serde_json::Value,
    /// `default`, `--var`, `--var-file FILE` or `SOCFORM_VAR_NAME`.
    pub from: String,
    pub loc: Loc,
}

impl Resolved {
    /// The value as text (what `from_input` hands to a secret).
    pub fn text(&self) -> String {
        json_text(&self.value).unwrap_or_else(|| self.value.to_string())
    }

    /// What the model keeps: sensitive values are never kept.
    pub fn to_model(&self) -> crate::model::Input {
        let sensitive = self.decl.sensitive;
        let hide = |v: &serde_json::Value| {
            if sensitive {
                serde_json::Value::String(crate::model::SENSITIVE.into())
            } else {
                v.clone()
            }
        };
        crate::model::Input {
            name: self.name.clone(),
            kind: self.decl.kind.as_str().to_string(),
            description: self.decl.description.clone(),
            default: self.decl.default.as_ref().map(|d| hide(&d.value)),
            value: hide(&self.value),
            sensitive,
            placeholder: self.from == PLACEHOLDER,
        }
    }
}

/// A YAML node as JSON (a var file's values).
fn to_json(v: &Value) -> serde_json::Value {
    match v {
        Value::Null => serde_json::Value::Null,
        Value::Bool(b) => (*b).into(),
        Value::Int(i) => (*i).into(),
        Value::Float(f) => serde_json::Number::from_f64(*f).map(serde_json::Value::Number).unwrap_or_default(),
        Value::Str(s) => s.clone().into(),
        Value::Seq(items) => items.iter().map(|n| to_json(&n.value)).collect(),
        Value::Map(entries) => entries
            .iter()
            .filter_map(|(k, v)| Some((k.as_str()?.to_string(), to_json(&v.value))))
            .collect::<serde_json::Map<_, _>>()
            .into(),
    }
}

/// An input's value as a YAML node at the place that uses it.
fn to_node(v: &serde_json::Value, loc: Loc) -> Node {
    use serde_json::Value as J;
    let value = match v {
        J::Bool(b) => Value::Bool(*b),
        J::Number(n) => n.as_i64().map(Value::Int).unwrap_or_else(|| Value::Float(n.as_f64().unwrap_or_default())),
        J::String(s) => Value::Str(s.clone()),
        J::Array(items) => Value::Seq(items.iter().map(|i| to_node(i, loc)).collect()),
        J::Null | J::Object(_) => Value::Null,
    };
    Node { value, loc }
}

fn json_text(v: &serde_json::Value) -> Option<String> {
    match v {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Bool(b) => Some(b.to_string()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Input names: letters, digits and `_`, as in an environment variable's name.
fn valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && name.len() <= 64
}

fn how_to_set(name: &str) -> String {
    format!("set it with `--var {name}=VALUE`, in a `--var-file`, or as the environment variable `SOCFORM_VAR_{name}`")
}

/// The inputs of a blueprint and the tree with every `${input.NAME}` replaced.
pub struct Outcome {
    pub root: Node,
    pub inputs: BTreeMap<String, Resolved>,
}

/// Reads `inputs:`, finds each input's value, checks it and substitutes every reference.
pub fn resolve(src: &Arc<SourceFile>, root: &Node, supplied: &Supplied) -> Result<Outcome, Vec<Diagnostic>> {
    let mut diags = Vec::new();
    let mut inputs = BTreeMap::new();
    let decls = root.get("inputs");
    let declared: Vec<&str> =
        decls.map(|d| d.entries().iter().filter_map(|(k, _)| k.as_str()).collect()).unwrap_or_default();

    // Values for names the blueprint does not declare are mistakes, not silence.
    let unknown = |name: &str| -> String {
        let mut m = format!("no input named `{name}` in this blueprint");
        match did_you_mean(name, declared.iter().copied()) {
            Some(best) => m.push_str(&format!(": did you mean `{best}`?")),
            None if declared.is_empty() => m.push_str(" (it declares no `inputs:`)"),
            None => m.push_str(&format!(" (inputs: {})", declared.join(", "))),
        }
        m
    };
    for (name, _) in &supplied.vars {
        if !declared.contains(&name.as_str()) {
            diags.push(Diagnostic::error(format!("--var {name}: {}", unknown(name))));
        }
    }
    for (source, file) in &supplied.files {
        for (k, _) in file.entries() {
            let name = k.as_str().unwrap_or_default();
            if !declared.contains(&name) {
                diags.push(Diagnostic::error(unknown(name)).at(source, k.loc));
            }
        }
    }

    if let Some(decls) = decls {
        if decls.entries().is_empty() && !matches!(decls.value, Value::Map(_)) && decls.value != Value::Null {
            diags.push(Diagnostic::error("`inputs` is a mapping of input names to their settings").at(src, decls.loc));
        }
        for (k, node) in decls.entries() {
            let Some(name) = k.as_str() else {
                diags.push(Diagnostic::error("an input's name is a text").at(src, k.loc));
                continue;
            };
            if !valid_name(name) {
                diags.push(Diagnostic::error(format!("`{name}` is not a valid input name")).at(src, k.loc).help(
                    "letters, digits and `_`, starting with a letter or `_`, as in an environment variable's name",
                ));
                continue;
            }
            let decl: raw::Input = match from_node(node) {
                Ok(d) => d,
                Err(e) => {
                    diags.push(Diagnostic::error(e.message).at(src, e.loc.unwrap_or(node.loc)));
                    continue;
                }
            };
            let pattern = match &decl.pattern {
                Some(p) => match regex::Regex::new(&format!("^(?:{})$", p.value)) {
                    Ok(r) => Some(r),
                    Err(e) => {
                        diags.push(
                            Diagnostic::error(format!("`pattern` is not a regular expression: {e}")).at(src, p.loc),
                        );
                        continue;
                    }
                },
                None => None,
            };
            let check = |v: &serde_json::Value| check_value(&decl, pattern.as_ref(), v);
            if let Some(d) = &decl.default {
                if let Err(m) = convert_json(decl.kind, &d.value).and_then(|v| check(&v)) {
                    diags.push(Diagnostic::error(format!("the default of input `{name}` {m}")).at(src, d.loc));
                    continue;
                }
            }
            // The value, from the first source that has one.
            let env_name = format!("{}{name}", crate::model::spec::INPUT_VARIABLE_PREFIX);
            type Found = (Result<serde_json::Value, String>, String, Option<(Arc<SourceFile>, Loc)>);
            let found: Option<Found> = if let Some((_, v)) = supplied.vars.iter().rev().find(|(n, _)| n == name) {
                Some((convert_text(decl.kind, v), "--var".to_string(), None))
            } else if let Some((source, n)) = supplied.files.iter().rev().find_map(|(s, f)| f.get(name).map(|n| (s, n)))
            {
                Some((
                    convert_json(decl.kind, &to_json(&n.value)),
                    format!("--var-file {}", source.path),
                    Some((source.clone(), n.loc)),
                ))
            } else if let Some(v) = supplied.env.then(|| std::env::var(&env_name).ok()).flatten() {
                Some((convert_text(decl.kind, &v), env_name.clone(), None))
            } else {
                decl.default.as_ref().map(|d| (convert_json(decl.kind, &d.value), "default".to_string(), None))
            };
            let found = found
                .or_else(|| supplied.placeholders.then(|| (Ok(placeholder(&decl)), PLACEHOLDER.to_string(), None)));
            let Some((value, from, at)) = found else {
                diags.push(
                    Diagnostic::error(format!("input `{name}` has no value and no default"))
                        .at(src, k.loc)
                        .help(how_to_set(name)),
                );
                continue;
            };
            // A placeholder stands in for a value nobody set: its form is not the user's.
            let checked = |v: serde_json::Value| if from == PLACEHOLDER { Ok(v) } else { check(&v).map(|_| v) };
            let value = match value.and_then(checked) {
                Ok(v) => v,
                Err(m) => {
                    // A sensitive value is never repeated in a message.
                    let m = if decl.sensitive {
                        "has the wrong form (the value is sensitive and not shown)".into()
                    } else {
                        m
                    };
                    let d = Diagnostic::error(format!("input `{name}` (from {from}) {m}"));
                    // A var file's snippet would show the sensitive value itself: point at the
                    // input's declaration instead.
                    diags.push(match at {
                        Some((s, l)) if !decl.sensitive => d.at(&s, l),
                        _ => d.at(src, k.loc),
                    });
                    continue;
                }
            };
            inputs.insert(name.to_string(), Resolved { name: name.to_string(), decl, value, from, loc: k.loc });
        }
    }
    if !diags.is_empty() {
        return Err(diags);
    }
    let mut root = root.clone();
    if let Value::Map(entries) = &mut root.value {
        for (k, v) in entries.iter_mut() {
            if k.as_str() != Some("inputs") {
                substitute(src, v, &inputs, &mut diags);
            }
            // Another lab of the blueprint: another name, so that everything named after it
            // (state, tags, derived AWS names) is kept apart.
            if let (Some("blueprint"), Some(lab), Value::Str(name)) = (k.as_str(), &supplied.lab, &mut v.value) {
                *name = format!("{name}-{lab}");
            }
        }
    }
    if diags.is_empty() {
        Ok(Outcome { root, inputs })
    } else {
        Err(diags)
    }
}

/// Where a placeholder value "comes from" (`Resolved::from`).
pub const PLACEHOLDER: &str = "placeholder";

/// A value of the input's type for a command that needs none: the first allowed value, or
/// a harmless one (a documentation address block, an `example.com` address).
fn placeholder(decl: &raw::Input) -> serde_json::Value {
    use serde_json::json;
    if let Some(first) = decl.allowed.first() {
        return first.clone();
    }
    match decl.kind {
        InputType::String => json!("placeholder"),
        InputType::Number => json!(1),
        InputType::Bool => json!(false),
        InputType::Cidr => json!("192.0.2.0/24"),
        InputType::Email => json!("placeholder@example.com"),
        InputType::Account => json!("123456789012"),
        InputType::List => json!(["placeholder"]),
    }
}

/// A value written in YAML (a default, a var file's entry) in the input's type.
fn convert_json(kind: InputType, v: &serde_json::Value) -> Result<serde_json::Value, String> {
    use serde_json::Value as J;
    match (v, kind) {
        (J::String(_), InputType::String | InputType::Cidr | InputType::Email | InputType::Account) => Ok(v.clone()),
        (J::Number(n), InputType::String) => Ok(J::String(n.to_string())),
        (J::Number(_), InputType::Number) => Ok(v.clone()),
        (J::String(s), InputType::Number | InputType::List) => convert_text(kind, s),
        (J::Bool(_), InputType::Bool) => Ok(v.clone()),
        (J::Array(items), InputType::List) => items
            .iter()
            .map(|i| json_text(i).map(J::String))
            .collect::<Option<Vec<_>>>()
            .map(J::Array)
            .ok_or_else(|| "is a list of texts, numbers or booleans".to_string()),
        (_, kind) => Err(format!("is not a {}", noun(kind))),
    }
}

fn noun(kind: InputType) -> &'static str {
    match kind {
        InputType::String => "text",
        InputType::Number => "number",
        InputType::Bool => "boolean (`true` or `false`)",
        InputType::Cidr => "CIDR block",
        InputType::Email => "email address",
        InputType::Account => "AWS account id (12 digits, quoted)",
        InputType::List => "list",
    }
}

/// A value given as text (`--var`, the environment) in the input's type.
fn convert_text(kind: InputType, s: &str) -> Result<serde_json::Value, String> {
    use serde_json::Value as J;
    match kind {
        InputType::String | InputType::Cidr | InputType::Email | InputType::Account => Ok(J::String(s.to_string())),
        InputType::Number => {
            let t = s.trim();
            t.parse::<i64>()
                .map(J::from)
                .ok()
                .or_else(|| t.parse::<f64>().ok().and_then(serde_json::Number::from_f64).map(J::Number))
                .ok_or_else(|| format!("`{s}` is not a number"))
        }
        InputType::Bool => match s.trim() {
            "true" => Ok(J::Bool(true)),
            "false" => Ok(J::Bool(false)),
            _ => Err(format!("`{s}` is not `true` or `false`")),
        },
        InputType::List => {
            Ok(J::Array(s.split(',').map(str::trim).filter(|t| !t.is_empty()).map(|t| J::String(t.into())).collect()))
        }
    }
}

fn check_value(decl: &raw::Input, pattern: Option<&regex::Regex>, v: &serde_json::Value) -> Result<(), String> {
    let texts: Vec<String> = match v {
        serde_json::Value::Array(items) => items.iter().filter_map(json_text).collect(),
        other => json_text(other).into_iter().collect(),
    };
    for t in &texts {
        // A value is data: it never becomes a reference to something else.
        if t.contains("${") {
            return Err(format!("`{t}` contains `${{`: an input's value cannot hold a reference"));
        }
        match decl.kind {
            InputType::Cidr if t.parse::<IpNet>().is_err() => {
                return Err(format!("`{t}` is not a CIDR block such as `203.0.113.7/32`"))
            }
            InputType::Email if !is_email(t) => return Err(format!("`{t}` is not an email address")),
            InputType::Account if super::names::account_id(t).is_err() => {
                return Err(format!("`{t}` is not an AWS account id (12 digits)"))
            }
            _ => {}
        }
        if let (Some(p), Some(source)) = (pattern, &decl.pattern) {
            if !p.is_match(t) {
                return Err(format!("`{t}` does not match the pattern `{}`", source.value));
            }
        }
    }
    if !decl.allowed.is_empty() {
        let allowed: Vec<String> = decl.allowed.iter().filter_map(json_text).collect();
        if let Some(t) = texts.iter().find(|t| !allowed.contains(t)) {
            let list = allowed.iter().map(|a| format!("`{a}`")).collect::<Vec<_>>().join(", ");
            return Err(format!("`{t}` is not allowed: it is one of {list}"));
        }
    }
    Ok(())
}

/// The one e-mail check, shared with where the address is used (`names::email`), so that
/// an input never accepts what its use then refuses.
fn is_email(s: &str) -> bool {
    super::names::email(s).is_ok()
}

const PREFIX: &str = "${input.";

/// Replaces the references in one node and everything below it.
fn substitute(
    src: &Arc<SourceFile>,
    node: &mut Node,
    inputs: &BTreeMap<String, Resolved>,
    diags: &mut Vec<Diagnostic>,
) {
    match &mut node.value {
        Value::Seq(items) => {
            for i in items {
                substitute(src, i, inputs, diags);
            }
        }
        Value::Map(entries) => {
            for (_, v) in entries {
                substitute(src, v, inputs, diags);
            }
        }
        Value::Str(s) if s.contains(PREFIX) => {
            let loc = node.loc;
            match splice(s, inputs) {
                Ok(Some(v)) => *node = to_node(&v, loc),
                Ok(None) => {}
                Err((message, help)) => diags.push(Diagnostic::error(message).at(src, loc).help(help)),
            }
        }
        _ => {}
    }
}

type Problem = (String, String);

/// The value of a text with references: the input's own value when the reference is all
/// of it, else the text with each reference spliced in.
fn splice(s: &mut String, inputs: &BTreeMap<String, Resolved>) -> Result<Option<serde_json::Value>, Problem> {
    let mut out = String::new();
    let mut rest = s.as_str();
    while let Some(start) = rest.find(PREFIX) {
        out.push_str(&rest[..start]);
        let Some(end) = rest[start..].find('}') else {
            return Err((format!("`{}` has no closing `}}`", &rest[start..]), "write `${input.NAME}`".into()));
        };
        let name = &rest[start + PREFIX.len()..start + end];
        let input = inputs.get(name).ok_or_else(|| {
            let help = match did_you_mean(name, inputs.keys().map(String::as_str)) {
                Some(best) => format!("did you mean `{best}`?"),
                None if inputs.is_empty() => "declare it under `inputs:`".into(),
                None => format!("inputs: {}", inputs.keys().map(|k| format!("`{k}`")).collect::<Vec<_>>().join(", ")),
            };
            (format!("no input named `{name}`"), help)
        })?;
        if input.decl.sensitive {
            return Err((
                format!(
                    "input `{name}` is sensitive: it cannot be written into a value that plans print and state keeps"
                ),
                format!("hand it to a secret or a SecureString parameter with `value: {{ from_input: {name} }}`"),
            ));
        }
        rest = &rest[start + end + 1..];
        if out.is_empty() && rest.is_empty() && start == 0 {
            // The whole value: it keeps the input's type.
            return Ok(Some(input.value.clone()));
        }
        match json_text(&input.value) {
            Some(t) => out.push_str(&t),
            None => {
                return Err((
                    format!("input `{name}` is a list: it can only be a whole value, not part of a text"),
                    format!("write `${{input.{name}}}` alone as the value"),
                ))
            }
        }
    }
    out.push_str(rest);
    *s = out;
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(yaml: &str, supplied: &Supplied) -> Result<Outcome, Vec<Diagnostic>> {
        let src = SourceFile::new(std::path::Path::new("t.yaml"), yaml.to_string());
        let root = super::super::parse(&src).map_err(|d| vec![d])?;
        resolve(&src, &root, supplied)
    }

    fn messages(r: Result<Outcome, Vec<Diagnostic>>) -> Vec<String> {
        match r {
            Ok(_) => panic!("expected errors"),
            Err(d) => d.into_iter().map(|d| d.message).collect(),
        }
    }

    const BP: &str = "inputs:\n  cidr: { type: cidr, default: 203.0.113.7/32 }\n  size: { default: t3.micro, allowed: [t3.micro, t3.small] }\n  n: { type: number, default: 30 }\n  emails: { type: list, default: [a@example.com] }\nx: ${input.cidr}\ny: \"${input.size}-${input.n}\"\nz: ${input.n}\nw: ${input.emails}\n";

    #[test]
    fn whole_references_keep_their_type_and_partial_ones_splice_text() {
        let o = run(BP, &Supplied::default()).unwrap();
        assert_eq!(o.root.get("x").unwrap().value, Value::Str("203.0.113.7/32".into()));
        assert_eq!(o.root.get("y").unwrap().value, Value::Str("t3.micro-30".into()));
        assert_eq!(o.root.get("z").unwrap().value, Value::Int(30));
        assert_eq!(o.root.get("z").unwrap().loc.line, 8, "the value sits where it is used");
        assert_eq!(o.root.get("w").unwrap().items().len(), 1);
        assert_eq!(o.inputs["cidr"].from, "default");
    }

    #[test]
    fn a_var_beats_a_file_which_beats_the_default() {
        let src = SourceFile::new(std::path::Path::new("v.yaml"), "size: t3.small\nn: 7\n".into());
        let file = super::super::parse(&src).unwrap();
        let s = Supplied {
            vars: vec![("n".into(), "9".into())],
            files: vec![(src, file)],
            env: false,
            lab: None,
            placeholders: false,
        };
        let o = run(BP, &s).unwrap();
        assert_eq!(o.root.get("y").unwrap().value, Value::Str("t3.small-9".into()));
        assert_eq!(o.inputs["size"].from, "--var-file v.yaml");
        assert_eq!(o.inputs["n"].from, "--var");
    }

    #[test]
    fn wrong_values_and_unknown_names_are_errors_saying_where_they_came_from() {
        let s = Supplied {
            vars: vec![
                ("cidr".into(), "10.0.0.0/33".into()),
                ("size".into(), "m5.24xlarge".into()),
                ("sise".into(), "x".into()),
            ],
            ..Default::default()
        };
        let m = messages(run(BP, &s));
        assert!(
            m.iter().any(|m| m.contains("--var sise: no input named `sise`") && m.contains("did you mean `size`")),
            "{m:?}"
        );
        assert!(m.iter().any(|m| m.contains("input `cidr` (from --var) `10.0.0.0/33` is not a CIDR block")), "{m:?}");
        assert!(m.iter().any(|m| m.contains("`m5.24xlarge` is not allowed")), "{m:?}");
        let m = messages(run("inputs:\n  email: { type: email }\nx: ${input.email}\n", &Supplied::default()));
        assert_eq!(m, ["input `email` has no value and no default"]);
        let m = messages(run("inputs: {}\nx: ${input.nope}\n", &Supplied::default()));
        assert_eq!(m, ["no input named `nope`"]);
        let s = Supplied { vars: vec![("size".into(), "${instance.web.id}".into())], ..Default::default() };
        let m = messages(run("inputs:\n  size: {}\nx: ${input.size}\n", &s));
        assert!(m[0].contains("cannot hold a reference"), "{m:?}");
    }

    #[test]
    fn sensitive_inputs_are_never_spliced_or_repeated() {
        let s = Supplied { vars: vec![("pw".into(), "hunter2".into())], ..Default::default() };
        let m = messages(run("inputs:\n  pw: { sensitive: true }\nx: \"a${input.pw}\"\n", &s));
        assert!(m[0].contains("is sensitive"), "{m:?}");
        let m = messages(run("inputs:\n  pw: { sensitive: true, pattern: '[0-9]+' }\n", &s));
        assert!(!m[0].contains("hunter2"), "{m:?}");
        let o = run("inputs:\n  pw: { sensitive: true }\n", &s).unwrap();
        assert_eq!(o.inputs["pw"].to_model().value, "(sensitive)");
    }

    #[test]
    fn lists_from_text_and_types_from_the_command_line() {
        assert_eq!(convert_text(InputType::List, "a, b,,c").unwrap(), serde_json::json!(["a", "b", "c"]));
        assert_eq!(convert_text(InputType::Number, "2.5").unwrap(), serde_json::json!(2.5));
        assert!(convert_text(InputType::Bool, "yes").is_err());
        assert!(is_email("soc@example.com") && !is_email("soc@localhost") && !is_email("a b@example.com"));
        // `x@y.c` once passed the input's check and failed where it was used.
        assert!(!is_email("x@y.c") && !is_email("a..b@example.com"));
        let m = messages(run("inputs:\n  l: { type: list, default: [a] }\nx: \"-${input.l}\"\n", &Supplied::default()));
        assert!(m[0].contains("is a list"), "{m:?}");
    }
}
