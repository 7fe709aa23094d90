//! Resource addresses: the one canonical name of every resource socform manages.
//!
//! An address is `kind.name` (`security_group.web`, `subnet.public-a`). It is the key of
//! state records, the label of plan rows, graph nodes, errors and log lines, and the value of
//! the `socform:address` tag on everything socform creates. Addresses are immutable values;
//! their string form round-trips through [`Address::parse`].

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::model::Kind;

/// A resource address: a kind and a name unique within that kind.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Address {
    kind: Kind,
    name: String,
}

impl Address {
    /// Makes an address. The name may hold any character but must not be empty.
    pub fn new(kind: Kind, name: impl Into<String>) -> Self {
        let name = name.into();
        debug_assert!(!name.is_empty(), "address names are never empty");
        Self { kind, name }
    }

    pub fn kind(&self) -> Kind {
        self.kind
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// Parses `kind.name`. The kind is everything before the first dot.
    pub fn parse(s: &str) -> Result<Self, AddressError> {
        let (kind, name) =
            s.split_once('.').ok_or_else(|| AddressError(format!("`{s}` is not an address: expected `kind.name`")))?;
        let kind = Kind::from_str(kind)
            .map_err(|_| AddressError(format!("`{s}` is not an address: `{kind}` is not a resource kind")))?;
        if name.is_empty() {
            return Err(AddressError(format!("`{s}` is not an address: the name is empty")));
        }
        Ok(Self::new(kind, name))
    }
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.kind, self.name)
    }
}

impl FromStr for Address {
    type Err = AddressError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl Serialize for Address {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Address {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Address::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// A string that is not a well-formed address.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct AddressError(String);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn address_round_trips_through_its_string_form() {
        for s in ["vpc.main", "security_group_rule.web:ingress:tcp:443:0.0.0.0/0", "subnet.public-a"] {
            assert_eq!(Address::parse(s).unwrap().to_string(), s);
        }
    }

    #[test]
    fn address_parse_rejects_unknown_kinds_and_empty_names() {
        assert!(Address::parse("bogus.x").is_err());
        assert!(Address::parse("vpc.").is_err());
        assert!(Address::parse("vpc").is_err());
    }
}
