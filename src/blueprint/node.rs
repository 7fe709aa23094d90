//! A YAML document as a tree of located nodes, and a serde `Deserializer` over it.
//!
//! serde-saphyr parses the text (with budgets against alias bombs, deep nesting and huge
//! documents) into [`Node`]s that remember where they came from. The raw blueprint types are
//! then read from the tree with ordinary `#[derive(Deserialize)]`, but through
//! [`NodeDeserializer`], whose errors carry the location of the innermost node that failed.
//! Because each named entry of a blueprint is read separately, one run reports the first
//! problem of *every* entry rather than stopping at the first problem of the file.
//!
//! [`Sp<T>`] is a value with the location it came from, for errors found after parsing.

use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, DeserializeSeed, IntoDeserializer, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;

pub use crate::diag::Loc;

/// A YAML node with its location.
#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    pub value: Value,
    pub loc: Loc,
}

/// The value of a YAML node.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Seq(Vec<Node>),
    /// Entries in document order; keys are nodes so that they keep their location.
    Map(Vec<(Node, Node)>),
}

impl Value {
    fn describe(&self) -> de::Unexpected<'_> {
        match self {
            Value::Null => de::Unexpected::Unit,
            Value::Bool(b) => de::Unexpected::Bool(*b),
            Value::Int(i) => de::Unexpected::Signed(*i),
            Value::Float(f) => de::Unexpected::Float(*f),
            Value::Str(s) => de::Unexpected::Str(s),
            Value::Seq(_) => de::Unexpected::Seq,
            Value::Map(_) => de::Unexpected::Map,
        }
    }
}

impl Node {
    /// The entry of a mapping node with this key.
    pub fn get(&self, key: &str) -> Option<&Node> {
        match &self.value {
            Value::Map(entries) => {
                entries.iter().find(|(k, _)| matches!(&k.value, Value::Str(s) if s == key)).map(|(_, v)| v)
            }
            _ => None,
        }
    }

    /// The entries of a mapping node, or nothing.
    pub fn entries(&self) -> &[(Node, Node)] {
        match &self.value {
            Value::Map(entries) => entries,
            _ => &[],
        }
    }

    /// The items of a sequence node, or nothing.
    pub fn items(&self) -> &[Node] {
        match &self.value {
            Value::Seq(items) => items,
            _ => &[],
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }
}

fn loc_of(l: &serde_saphyr::Location) -> Loc {
    let span = l.span();
    Loc {
        line: l.line() as u32,
        column: l.column() as u32,
        offset: span.byte_offset().unwrap_or(0) as usize,
        len: span.byte_len().unwrap_or(0) as usize,
    }
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = serde_saphyr::Spanned::<Value>::deserialize(d)?;
        Ok(Node { value: s.value, loc: loc_of(&s.referenced) })
    }
}

impl<'de> Deserialize<'de> for Value {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Value;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("any YAML value")
            }
            fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
                Ok(Value::Bool(v))
            }
            fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
                Ok(Value::Int(v))
            }
            fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
                Ok(i64::try_from(v).map(Value::Int).unwrap_or(Value::Float(v as f64)))
            }
            fn visit_i128<E>(self, v: i128) -> Result<Value, E> {
                Ok(i64::try_from(v).map(Value::Int).unwrap_or(Value::Float(v as f64)))
            }
            fn visit_u128<E>(self, v: u128) -> Result<Value, E> {
                Ok(i64::try_from(v).map(Value::Int).unwrap_or(Value::Float(v as f64)))
            }
            fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
                Ok(Value::Float(v))
            }
            fn visit_str<E>(self, v: &str) -> Result<Value, E> {
                Ok(Value::Str(v.to_string()))
            }
            fn visit_string<E>(self, v: String) -> Result<Value, E> {
                Ok(Value::Str(v))
            }
            fn visit_unit<E>(self) -> Result<Value, E> {
                Ok(Value::Null)
            }
            fn visit_none<E>(self) -> Result<Value, E> {
                Ok(Value::Null)
            }
            fn visit_some<D: de::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
                Value::deserialize(d)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut a: A) -> Result<Value, A::Error> {
                let mut items = Vec::new();
                while let Some(n) = a.next_element::<Node>()? {
                    items.push(n);
                }
                Ok(Value::Seq(items))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut a: A) -> Result<Value, A::Error> {
                let mut entries = Vec::new();
                while let Some(k) = a.next_key::<Node>()? {
                    let v = a.next_value::<Node>()?;
                    entries.push((k, v));
                }
                Ok(Value::Map(entries))
            }
        }
        d.deserialize_any(V)
    }
}

/// An error met while reading raw types from nodes.
#[derive(Clone, Debug, PartialEq)]
pub struct DeError {
    pub message: String,
    pub loc: Option<Loc>,
}

impl DeError {
    fn at(mut self, loc: Loc) -> Self {
        if self.loc.is_none() {
            self.loc = Some(loc);
        }
        self
    }
}

impl fmt::Display for DeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for DeError {}

impl de::Error for DeError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        DeError { message: msg.to_string(), loc: None }
    }

    fn unknown_field(field: &str, expected: &'static [&'static str]) -> Self {
        let mut message = format!("unknown key `{field}`");
        if field.contains(' ') {
            // `{ description: a, b }` reads `b` as a key: the usual cause of a key with spaces.
            message.push_str(" (a comma inside `{ ... }` starts a new key: quote values that contain commas)");
            return DeError { message, loc: None };
        }
        match did_you_mean(field, expected.iter().copied()) {
            Some(best) => message.push_str(&format!(": did you mean `{best}`?")),
            None if expected.is_empty() => message.push_str(": no keys are allowed here"),
            None => message.push_str(&format!(
                ": expected one of {}",
                expected.iter().map(|e| format!("`{e}`")).collect::<Vec<_>>().join(", ")
            )),
        }
        DeError { message, loc: None }
    }

    fn unknown_variant(variant: &str, expected: &'static [&'static str]) -> Self {
        let list = expected.iter().map(|e| format!("`{e}`")).collect::<Vec<_>>().join(", ");
        let message = match did_you_mean(variant, expected.iter().copied()) {
            Some(best) => format!("unknown value `{variant}`: did you mean `{best}`? (one of {list})"),
            None => format!("unknown value `{variant}`: expected one of {list}"),
        };
        DeError { message, loc: None }
    }

    fn missing_field(field: &'static str) -> Self {
        DeError { message: format!("missing key `{field}`"), loc: None }
    }
}

/// The closest candidate to a misspelt word, if any is close enough.
pub fn did_you_mean<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|c| (strsim::jaro_winkler(word, c), c))
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c)
}

/// Reads any `Deserialize` type from a node.
pub fn from_node<'de, T: Deserialize<'de>>(node: &'de Node) -> Result<T, DeError> {
    T::deserialize(NodeDeserializer(node))
}

/// A serde deserializer over a [`Node`].
#[derive(Clone, Copy)]
pub struct NodeDeserializer<'a>(pub &'a Node);

const SP_MARKER: &str = "$socform::Sp";
const SP_FIELDS: &[&str] = &["$loc", "$value"];

impl<'de> NodeDeserializer<'de> {
    fn any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        let node = self.0;
        match &node.value {
            Value::Null => visitor.visit_unit(),
            Value::Bool(b) => visitor.visit_bool(*b),
            Value::Int(i) => visitor.visit_i64(*i),
            Value::Float(f) => visitor.visit_f64(*f),
            Value::Str(s) => visitor.visit_borrowed_str(s),
            Value::Seq(items) => visitor.visit_seq(Seq { items: items.iter() }),
            Value::Map(entries) => visitor.visit_map(Map { entries: entries.iter(), value: None }),
        }
    }
}

macro_rules! forward_to_any {
    ($($name:ident)*) => {
        $(
            fn $name<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
                self.any(visitor).map_err(|e| e.at(self.0.loc))
            }
        )*
    };
}

impl<'de> de::Deserializer<'de> for NodeDeserializer<'de> {
    type Error = DeError;

    forward_to_any! {
        deserialize_any deserialize_bool deserialize_i8 deserialize_i16 deserialize_i32
        deserialize_i64 deserialize_i128 deserialize_u8 deserialize_u16 deserialize_u32
        deserialize_u64 deserialize_u128 deserialize_f32 deserialize_f64 deserialize_char
        deserialize_bytes deserialize_byte_buf deserialize_unit deserialize_seq deserialize_map
        deserialize_identifier
    }

    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_string(visitor)
    }

    /// Numbers are accepted where text is expected (`name: 2024` is the string "2024");
    /// booleans, lists and maps are not.
    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        let r: Result<V::Value, DeError> = match &self.0.value {
            Value::Int(i) => visitor.visit_string(i.to_string()),
            Value::Float(f) => visitor.visit_string(f.to_string()),
            Value::Str(s) => visitor.visit_borrowed_str(s),
            other => Err(de::Error::invalid_type(other.describe(), &visitor)),
        };
        r.map_err(|e| e.at(self.0.loc))
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self.0.value {
            Value::Null => visitor.visit_none(),
            _ => visitor.visit_some(self),
        }
        .map_err(|e| e.at(self.0.loc))
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(self, _: &'static str, v: V) -> Result<V::Value, DeError> {
        self.deserialize_unit(v)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(self, _: &'static str, v: V) -> Result<V::Value, DeError> {
        v.visit_newtype_struct(self).map_err(|e| e.at(self.0.loc))
    }

    fn deserialize_tuple<V: Visitor<'de>>(self, _: usize, v: V) -> Result<V::Value, DeError> {
        self.deserialize_seq(v)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(self, _: &'static str, _: usize, v: V) -> Result<V::Value, DeError> {
        self.deserialize_seq(v)
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        if name == SP_MARKER {
            return visitor.visit_map(SpAccess { node: self.0, step: 0 });
        }
        let _ = fields;
        match &self.0.value {
            Value::Map(_) => self.any(visitor),
            other => Err(de::Error::invalid_type(other.describe(), &visitor)),
        }
        .map_err(|e| e.at(self.0.loc))
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _: &'static str,
        _: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        let node = self.0;
        match &node.value {
            Value::Str(s) => visitor.visit_enum(s.as_str().into_deserializer()),
            Value::Map(entries) if entries.len() == 1 => {
                visitor.visit_enum(Enum { key: &entries[0].0, value: &entries[0].1 })
            }
            other => Err(de::Error::invalid_type(other.describe(), &visitor)),
        }
        .map_err(|e| e.at(node.loc))
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        visitor.visit_unit()
    }
}

struct Seq<'a> {
    items: std::slice::Iter<'a, Node>,
}

impl<'de> SeqAccess<'de> for Seq<'de> {
    type Error = DeError;
    fn next_element_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<Option<T::Value>, DeError> {
        self.items.next().map(|n| seed.deserialize(NodeDeserializer(n))).transpose()
    }
    fn size_hint(&self) -> Option<usize> {
        Some(self.items.len())
    }
}

struct Map<'a> {
    entries: std::slice::Iter<'a, (Node, Node)>,
    value: Option<&'a Node>,
}

impl<'de> MapAccess<'de> for Map<'de> {
    type Error = DeError;
    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>, DeError> {
        match self.entries.next() {
            None => Ok(None),
            Some((k, v)) => {
                self.value = Some(v);
                seed.deserialize(NodeDeserializer(k)).map(Some)
            }
        }
    }
    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, DeError> {
        let v = self.value.take().expect("next_value after next_key");
        seed.deserialize(NodeDeserializer(v))
    }
}

struct Enum<'a> {
    key: &'a Node,
    value: &'a Node,
}

impl<'de> de::EnumAccess<'de> for Enum<'de> {
    type Error = DeError;
    type Variant = NodeDeserializer<'de>;
    fn variant_seed<V: DeserializeSeed<'de>>(self, seed: V) -> Result<(V::Value, Self::Variant), DeError> {
        let v = seed.deserialize(NodeDeserializer(self.key))?;
        Ok((v, NodeDeserializer(self.value)))
    }
}

impl<'de> de::VariantAccess<'de> for NodeDeserializer<'de> {
    type Error = DeError;
    fn unit_variant(self) -> Result<(), DeError> {
        match self.0.value {
            Value::Null => Ok(()),
            _ => Err(DeError { message: "this value takes no settings".into(), loc: Some(self.0.loc) }),
        }
    }
    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> Result<T::Value, DeError> {
        seed.deserialize(self)
    }
    fn tuple_variant<V: Visitor<'de>>(self, len: usize, v: V) -> Result<V::Value, DeError> {
        de::Deserializer::deserialize_tuple(self, len, v)
    }
    fn struct_variant<V: Visitor<'de>>(self, fields: &'static [&'static str], v: V) -> Result<V::Value, DeError> {
        de::Deserializer::deserialize_struct(self, "", fields, v)
    }
}

/// Hands a node's location and then the node itself to [`Sp`]'s visitor.
struct SpAccess<'a> {
    node: &'a Node,
    step: u8,
}

impl<'de> MapAccess<'de> for SpAccess<'de> {
    type Error = DeError;
    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>, DeError> {
        let key = match self.step {
            0 => SP_FIELDS[0],
            1 => SP_FIELDS[1],
            _ => return Ok(None),
        };
        seed.deserialize(key.into_deserializer()).map(Some)
    }
    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, DeError> {
        self.step += 1;
        if self.step == 1 {
            let l = self.node.loc;
            let packed = [l.line as u64, l.column as u64, l.offset as u64, l.len as u64];
            seed.deserialize(de::value::SeqDeserializer::new(packed.into_iter()))
        } else {
            seed.deserialize(NodeDeserializer(self.node))
        }
    }
}

/// A value with the location of the YAML node it was read from.
#[derive(Clone, Debug)]
pub struct Sp<T> {
    pub value: T,
    pub loc: Loc,
}

impl<T> Sp<T> {
    pub fn new(value: T, loc: Loc) -> Self {
        Self { value, loc }
    }
}

impl<T: PartialEq> PartialEq for Sp<T> {
    fn eq(&self, other: &Self) -> bool {
        self.value == other.value
    }
}

impl<T> std::ops::Deref for Sp<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.value
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Sp<T> {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for V<T> {
            type Value = Sp<T>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a located value")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut a: A) -> Result<Sp<T>, A::Error> {
                let _: Option<String> = a.next_key()?;
                let [line, column, offset, len]: [u64; 4] = a.next_value()?;
                let _: Option<String> = a.next_key()?;
                let value = a.next_value()?;
                let loc = Loc { line: line as u32, column: column as u32, offset: offset as usize, len: len as usize };
                Ok(Sp { value, loc })
            }
        }
        d.deserialize_struct(SP_MARKER, SP_FIELDS, V(PhantomData))
    }
}

impl<T: schemars::JsonSchema> schemars::JsonSchema for Sp<T> {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        T::schema_name()
    }
    fn schema_id() -> std::borrow::Cow<'static, str> {
        T::schema_id()
    }
    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        T::json_schema(generator)
    }
    fn inline_schema() -> bool {
        T::inline_schema()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn parse(text: &str) -> Node {
        serde_saphyr::from_str(text).unwrap()
    }

    #[derive(Deserialize, Debug)]
    #[serde(deny_unknown_fields)]
    struct Rule {
        port: Sp<u16>,
        #[serde(default)]
        #[allow(dead_code)]
        from: Option<String>,
    }

    #[test]
    fn nodes_remember_line_and_column() {
        let n = parse("a:\n  b: [1, two]\n");
        let b = n.get("a").unwrap().get("b").unwrap();
        assert_eq!((b.loc.line, b.loc.column), (2, 6));
        assert_eq!((b.items()[1].loc.line, b.items()[1].loc.column), (2, 10));
    }

    #[test]
    fn errors_point_at_the_innermost_node() {
        let n = parse("rules:\n  - port: 80\n  - port: eighty\n");
        let err = from_node::<BTreeMap<String, Vec<Rule>>>(&n).unwrap_err();
        assert!(err.message.contains("expected u16"), "{}", err.message);
        assert_eq!(err.loc.map(|l| (l.line, l.column)), Some((3, 11)));
    }

    #[test]
    fn unknown_keys_suggest_the_closest_one() {
        let n = parse("port: 80\nfrom_: x\n");
        let err = from_node::<Rule>(&n).unwrap_err();
        assert_eq!(err.message, "unknown key `from_`: did you mean `from`?");
        assert_eq!(err.loc.map(|l| (l.line, l.column)), Some((2, 1)));
    }

    #[test]
    fn spanned_values_keep_their_location() {
        let n = parse("\n\nport: 8080\n");
        let r: Rule = from_node(&n).unwrap();
        assert_eq!(*r.port, 8080);
        assert_eq!((r.port.loc.line, r.port.loc.column), (3, 7));
    }
}
