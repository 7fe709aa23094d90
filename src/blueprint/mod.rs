//! Blueprints: reading a YAML file into a [`Model`], or into every problem it has.
//!
//! `load` reads the file (refusing huge ones before parsing), parses it with serde-saphyr
//! under budgets that stop alias bombs and deep nesting, and hands the located tree to
//! [`lower`], which validates and lowers it.
//!
//! **Architecture Invariant:** this is the only module that knows YAML and source spans.
//! Everything downstream sees a [`Model`].

pub mod inputs;
pub mod lower;
pub mod names;
pub mod node;
pub mod raw;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::diag::{Diagnostic, SourceFile};
use crate::model::Model;
pub use lower::{LowerOptions, FILTERS_PER_LOG_GROUP};
use node::{Loc, Node};

/// Largest blueprint socform reads. Real blueprints are a few kilobytes; the generated
/// 10,000-resource benchmark blueprint is under 2 MiB.
pub const MAX_BYTES: u64 = 8 * 1024 * 1024;

/// A blueprint read from disk, with its text (for diagnostics and fingerprints).
pub struct Loaded {
    pub source: Arc<SourceFile>,
    pub model: Model,
    /// Where each resource is defined.
    pub locations: lower::Locations,
    /// The values of its `from_input` secrets given on the command line, for the provider.
    pub provided: crate::model::spec::Provided,
}

/// How `load` treats values read from the environment.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum EnvMode<'a> {
    /// Read `from_env` values (plan, apply) and keep their fingerprints, salted with the
    /// lineage of the state they are compared with.
    Read { lineage: &'a str },
    /// Do not read them (validate, graph, diff: offline checks).
    Skip,
}

/// Reads, parses, validates and lowers a blueprint file, with its inputs set from
/// `inputs` (`--var`, `--var-file`, the environment) or their defaults.
pub fn load(path: &Path, env: EnvMode<'_>, inputs: &inputs::Supplied) -> Result<Loaded, Vec<Diagnostic>> {
    let text = read_text(path)?;
    let source = SourceFile::new(path, text);
    let base_dir = path
        .parent()
        .map(Path::to_path_buf)
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or_else(|| PathBuf::from("."));
    let read_env = |address: &crate::address::Address, name: &str| {
        let lineage = match env {
            EnvMode::Read { lineage } => lineage,
            EnvMode::Skip => return None,
        };
        std::env::var(name).ok().map(|v| crate::model::spec::fingerprint(lineage, address, &v))
    };
    let fingerprint = |address: &crate::address::Address, value: &str| match env {
        EnvMode::Read { lineage } => crate::model::spec::fingerprint(lineage, address, value),
        EnvMode::Skip => "not read".to_string(),
    };
    let reads = matches!(env, EnvMode::Read { .. });
    let opts = LowerOptions {
        base_dir,
        env: reads.then_some(&read_env as lower::EnvReader<'_>),
        fingerprint: reads.then_some(&fingerprint as lower::Fingerprinter<'_>),
        inputs: inputs.clone(),
    };
    let root = parse(&source).map_err(|d| vec![d])?;
    let lowered = lower::lower_full(&source, &root, &opts)?;
    // The apply reads `from_input` values where it reads `from_env` ones: the provider is
    // given them with the blueprint.
    let provided = crate::model::spec::Provided::new(lowered.secret_inputs);
    Ok(Loaded { source, model: lowered.model, locations: lowered.locations, provided })
}

/// A blueprint's name and region, read without checking or lowering the rest (to find its
/// state when its inputs are not at hand).
pub fn header(path: &Path) -> Result<(String, String), Vec<Diagnostic>> {
    let source = SourceFile::new(path, read_text(path)?);
    let root = parse(&source).map_err(|d| vec![d])?;
    let field = |k: &str| root.get(k).and_then(Node::as_str).map(str::to_string);
    match (field("blueprint"), field("region")) {
        // The name becomes a state file's path: checked here, where it is read.
        (Some(b), Some(r)) => match (names::blueprint_name(&b), names::region(&r)) {
            (Ok(()), Ok(())) => Ok((b, r)),
            (Err(m), _) | (_, Err(m)) => Err(vec![Diagnostic::error(format!("`{}`: {m}", path.display()))]),
        },
        _ => Err(vec![Diagnostic::error(format!("`{}` has no `blueprint:` and `region:`", path.display()))]),
    }
}

fn read_text(path: &Path) -> Result<String, Vec<Diagnostic>> {
    read_text_as(path, "blueprint")
}

/// A YAML file socform reads, called what it is (`blueprint`, `var file`) in its errors.
pub(crate) fn read_text_as(path: &Path, what: &str) -> Result<String, Vec<Diagnostic>> {
    let fail = |m: String| vec![Diagnostic::error(m)];
    let bytes = match read_capped(path, MAX_BYTES) {
        Ok(b) => b,
        Err(ReadError::TooBig) => {
            return Err(fail(format!(
                "{what} `{}` is too large: socform reads files of at most {} MiB",
                path.display(),
                MAX_BYTES / (1024 * 1024)
            )))
        }
        Err(ReadError::NotAFile) => {
            return Err(fail(format!("{what} `{}` is not a regular file", path.display())));
        }
        Err(ReadError::Io(e)) => return Err(fail(format!("cannot read {what} `{}`: {e}", path.display()))),
    };
    String::from_utf8(bytes).map_err(|e| fail(format!("{what} `{}` is not UTF-8: {e}", path.display())))
}

/// Why a file a blueprint needs could not be read.
#[derive(Debug)]
pub enum ReadError {
    /// Larger than the limit (counted while reading: devices and `/proc` files report 0).
    TooBig,
    /// A device, a fifo, a folder: never read.
    NotAFile,
    Io(std::io::Error),
}

/// Reads a regular file of at most `limit` bytes, counting as it reads so that a file whose
/// size the file system does not report (`/proc`) or that grows cannot exhaust memory.
pub fn read_capped(path: &Path, limit: u64) -> Result<Vec<u8>, ReadError> {
    use std::io::Read;
    // Asked before opening: opening a FIFO for reading waits for a writer, forever.
    if !std::fs::metadata(path).map_err(ReadError::Io)?.is_file() {
        return Err(ReadError::NotAFile);
    }
    let f = std::fs::File::open(path).map_err(ReadError::Io)?;
    let meta = f.metadata().map_err(ReadError::Io)?;
    if !meta.is_file() {
        return Err(ReadError::NotAFile);
    }
    if meta.len() > limit {
        return Err(ReadError::TooBig);
    }
    let mut bytes = Vec::new();
    f.take(limit + 1).read_to_end(&mut bytes).map_err(ReadError::Io)?;
    if bytes.len() as u64 > limit {
        return Err(ReadError::TooBig);
    }
    Ok(bytes)
}

/// The YAML budget: generous for real blueprints, tight enough that hostile input is refused
/// in milliseconds with bounded memory.
fn options() -> serde_saphyr::Options {
    let mut budget = serde_saphyr::Budget::default();
    budget.max_depth = 32;
    budget.max_nodes = 1_000_000;
    budget.max_aliases = 1_000;
    budget.max_anchors = 1_000;
    budget.max_documents = 1;
    budget.max_total_scalar_bytes = MAX_BYTES as usize;
    budget.max_reader_input_bytes = Some(MAX_BYTES as usize);
    // Aliases may expand to at most 10,000 events in all: plenty for shared tag maps, and
    // the end of "billion laughs" after a few milliseconds.
    let mut aliases = serde_saphyr::options::AliasLimits::default();
    aliases.max_total_replayed_events = 10_000;
    aliases.max_replay_stack_depth = 8;
    aliases.max_alias_expansions_per_anchor = 100;
    serde_saphyr::options! {
        budget: Some(budget),
        alias_limits: aliases,
        strict_booleans: true,
        with_snippet: false,
    }
}

/// Parses text into located nodes, or one located diagnostic.
pub fn parse(source: &Arc<SourceFile>) -> Result<Node, Diagnostic> {
    let text = source.text();
    match serde_saphyr::from_str_with_options::<Option<Node>>(text, options()) {
        Ok(Some(node)) => Ok(node),
        Ok(None) => Err(Diagnostic::error("the blueprint is empty: it needs at least `blueprint:` and `region:`")
            .at(source, Loc { line: 1, column: 1, offset: 0, len: 0 })),
        Err(e) => {
            let message = yaml_message(&e);
            let d = Diagnostic::error(message);
            Err(match e.location() {
                Some(l) => {
                    let (line, column) = (l.line() as u32, l.column() as u32);
                    let offset =
                        l.span().byte_offset().map(|o| o as usize).unwrap_or_else(|| offset_of(text, line, column));
                    let loc = Loc { line, column, offset: offset.min(text.len()), len: 1 };
                    d.at(source, loc)
                }
                None => d.at(source, Loc { line: 1, column: 1, offset: 0, len: 0 }),
            })
        }
    }
}

/// The byte offset of a 1-based line and character column.
fn offset_of(text: &str, line: u32, column: u32) -> usize {
    let start: usize = text.split_inclusive('\n').take(line.saturating_sub(1) as usize).map(str::len).sum();
    let rest = &text[start.min(text.len())..];
    start + rest.char_indices().nth(column.saturating_sub(1) as usize).map(|(i, _)| i).unwrap_or(rest.len())
}

fn yaml_message(e: &serde_saphyr::Error) -> String {
    let text = e.to_string();
    // serde-saphyr appends " at line X, column Y"; the snippet says that already.
    let first = text.lines().next().unwrap_or(&text).trim();
    let trimmed = match first.find(" at line ") {
        Some(i) => &first[..i],
        None => first,
    };
    format!("invalid YAML: {trimmed}")
}

/// Parses and lowers text already read.
pub fn parse_and_lower(source: &Arc<SourceFile>, opts: &LowerOptions<'_>) -> Result<Model, Vec<Diagnostic>> {
    let root = parse(source).map_err(|d| vec![d])?;
    lower::lower(source, &root, opts).map(|(m, _)| m)
}

/// The JSON Schema of the blueprint format. A whole-value input reference
/// (`"${input.NAME}"`) is accepted wherever a value of another type is, as socform accepts it.
pub fn schema() -> serde_json::Value {
    let mut schema = serde_json::to_value(schemars::schema_for!(raw::Blueprint)).expect("schemas serialise");
    for key in ["properties", "$defs"] {
        if let Some(serde_json::Value::Object(m)) = schema.get_mut(key) {
            for (name, sub) in m.iter_mut() {
                // The top-level header and `inputs` itself are read before inputs are.
                if !(key == "properties" && ["blueprint", "region", "inputs"].contains(&name.as_str())) {
                    accept_input_references(sub);
                }
            }
        }
    }
    schema["$defs"]["InputReference"] = serde_json::json!({
        "description": "A blueprint input as the whole value, such as `${input.admin_cidr}`",
        "type": "string",
        "pattern": "^\\$\\{input\\.[A-Za-z_][A-Za-z0-9_]*\\}$"
    });
    schema
}

/// Lets every non-text value below `schema` be an input reference too.
fn accept_input_references(schema: &mut serde_json::Value) {
    use serde_json::Value;
    let Value::Object(m) = schema else { return };
    for key in ["properties", "additionalProperties", "items"] {
        match m.get_mut(key) {
            Some(Value::Object(props)) if key == "properties" => {
                for sub in props.values_mut() {
                    wrap(sub);
                }
            }
            Some(sub @ Value::Object(_)) => wrap(sub),
            _ => {}
        }
    }
    for key in ["anyOf", "oneOf", "allOf"] {
        if let Some(Value::Array(list)) = m.get_mut(key) {
            for sub in list {
                accept_input_references(sub);
            }
        }
    }

    fn wrap(sub: &mut Value) {
        accept_input_references(sub);
        let text_only = sub.get("type").and_then(Value::as_str) == Some("string") && sub.get("enum").is_none();
        if !text_only {
            let inner = sub.take();
            *sub = serde_json::json!({ "anyOf": [inner, { "$ref": "#/$defs/InputReference" }] });
        }
    }
}
