//! A JSON value that borrows its strings from the event's bytes.
//!
//! `serde_json::Value` owns every key and every string of an event, in a `BTreeMap` per
//! object: an SES event is some eighty allocations, made by a worker and freed again once its
//! few fields are read. This value is read by the same parser (its limits, its errors, its
//! recursion bound) but keeps each key and string as a slice of the event when the text has no
//! escape in it, and each object as a list of members. What the readers ask of it is what they
//! asked of `serde_json::Value`, with the same answers: a member named twice is its last value,
//! keys are listed sorted and once, numbers are `serde_json::Number` and print as it does.

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::Number;

/// One JSON value; strings borrowed from the parsed bytes where they have no escapes.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Value<'a> {
    Null,
    Bool(bool),
    Number(Number),
    String(Cow<'a, str>),
    Array(Vec<Value<'a>>),
    Object(Object<'a>),
}

/// The members of an object, in the order written.
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct Object<'a>(Vec<(Cow<'a, str>, Value<'a>)>);

impl<'a> Object<'a> {
    /// The value of member `key` (its last one, when it is written twice).
    pub(crate) fn get(&self, key: &str) -> Option<&Value<'a>> {
        self.0.iter().rev().find(|(k, _)| k == key).map(|(_, value)| value)
    }

    pub(crate) fn contains_key(&self, key: &str) -> bool {
        self.0.iter().any(|(k, _)| k == key)
    }

    /// The keys, sorted, each once.
    pub(crate) fn keys(&self) -> Vec<&str> {
        let mut keys: Vec<&str> = self.0.iter().map(|(k, _)| k.as_ref()).collect();
        keys.sort_unstable();
        keys.dedup();
        keys
    }

    /// The member whose key sorts first (with its last value).
    pub(crate) fn first(&self) -> Option<(&str, &Value<'a>)> {
        let key = self.0.iter().map(|(k, _)| k.as_ref()).min()?;
        Some((key, self.get(key)?))
    }
}

impl<'a> Value<'a> {
    /// Parses one JSON text, borrowing from it.
    pub(crate) fn parse(bytes: &'a [u8]) -> serde_json::Result<Value<'a>> {
        serde_json::from_slice(bytes)
    }

    /// The member `key` of an object; none for any other value.
    pub(crate) fn get(&self, key: &str) -> Option<&Value<'a>> {
        self.as_object().and_then(|object| object.get(key))
    }

    /// Element `index` of an array; none for any other value.
    pub(crate) fn at(&self, index: usize) -> Option<&Value<'a>> {
        self.as_array().and_then(|array| array.get(index))
    }

    pub(crate) fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(text) => Some(text),
            _ => None,
        }
    }

    pub(crate) fn as_array(&self) -> Option<&[Value<'a>]> {
        match self {
            Value::Array(array) => Some(array),
            _ => None,
        }
    }

    pub(crate) fn as_object(&self) -> Option<&Object<'a>> {
        match self {
            Value::Object(object) => Some(object),
            _ => None,
        }
    }

    pub(crate) fn is_string(&self) -> bool {
        matches!(self, Value::String(_))
    }

    pub(crate) fn is_object(&self) -> bool {
        matches!(self, Value::Object(_))
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Value<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ValueVisitor(PhantomData))
    }
}

struct ValueVisitor<'a>(PhantomData<&'a ()>);

impl<'de: 'a, 'a> Visitor<'de> for ValueVisitor<'a> {
    type Value = Value<'a>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any valid JSON value")
    }

    fn visit_bool<E>(self, value: bool) -> Result<Value<'a>, E> {
        Ok(Value::Bool(value))
    }

    fn visit_i64<E>(self, value: i64) -> Result<Value<'a>, E> {
        Ok(Value::Number(value.into()))
    }

    fn visit_u64<E>(self, value: u64) -> Result<Value<'a>, E> {
        Ok(Value::Number(value.into()))
    }

    fn visit_f64<E>(self, value: f64) -> Result<Value<'a>, E> {
        Ok(Number::from_f64(value).map_or(Value::Null, Value::Number))
    }

    fn visit_borrowed_str<E>(self, value: &'de str) -> Result<Value<'a>, E> {
        Ok(Value::String(Cow::Borrowed(value)))
    }

    fn visit_str<E>(self, value: &str) -> Result<Value<'a>, E> {
        Ok(Value::String(Cow::Owned(value.to_owned())))
    }

    fn visit_string<E>(self, value: String) -> Result<Value<'a>, E> {
        Ok(Value::String(Cow::Owned(value)))
    }

    fn visit_none<E>(self) -> Result<Value<'a>, E> {
        Ok(Value::Null)
    }

    fn visit_unit<E>(self) -> Result<Value<'a>, E> {
        Ok(Value::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value<'a>, D::Error> {
        Deserialize::deserialize(deserializer)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value<'a>, A::Error> {
        let mut array = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(64));
        while let Some(element) = seq.next_element()? {
            array.push(element);
        }
        Ok(Value::Array(array))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value<'a>, A::Error> {
        let mut members = Vec::with_capacity(map.size_hint().unwrap_or(0).min(64));
        while let Some(Key(key)) = map.next_key()? {
            members.push((key, map.next_value()?));
        }
        Ok(Value::Object(Object(members)))
    }
}

/// An object's key, borrowed when it has no escapes (serde's own `Cow<str>` always copies).
struct Key<'a>(Cow<'a, str>);

impl<'de: 'a, 'a> Deserialize<'de> for Key<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyVisitor<'a>(PhantomData<&'a ()>);

        impl<'de: 'a, 'a> Visitor<'de> for KeyVisitor<'a> {
            type Value = Key<'a>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string key")
            }

            fn visit_borrowed_str<E>(self, value: &'de str) -> Result<Key<'a>, E> {
                Ok(Key(Cow::Borrowed(value)))
            }

            fn visit_str<E>(self, value: &str) -> Result<Key<'a>, E> {
                Ok(Key(Cow::Owned(value.to_owned())))
            }

            fn visit_string<E>(self, value: String) -> Result<Key<'a>, E> {
                Ok(Key(Cow::Owned(value)))
            }
        }

        deserializer.deserialize_str(KeyVisitor(PhantomData))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every kind of value, escapes, duplicate keys and deep nesting read as `serde_json`
    /// reads them.
    #[test]
    fn reads_what_serde_json_reads() {
        let text = br#"{"b":[1,-2,3.5,1e300,true,null,"x\"y",{"k":"v"}],"a":"\u00e9t\u00e9","a":"last","z\n":{},"n":18446744073709551615}"#;
        let ours = Value::parse(text).expect("parses");
        let theirs: serde_json::Value = serde_json::from_slice(text).expect("parses");
        let object = ours.as_object().expect("object");
        assert_eq!(object.keys(), ["a", "b", "n", "z\n"]);
        assert_eq!(ours.get("a").and_then(Value::as_str), Some("last"));
        let array = ours.get("b").and_then(Value::as_array).expect("array");
        let expected = theirs["b"].as_array().expect("array");
        assert_eq!(array.len(), expected.len());
        for (mine, want) in array.iter().zip(expected) {
            match (mine, want) {
                (Value::Number(a), serde_json::Value::Number(b)) => {
                    assert_eq!(a.to_string(), b.to_string());
                }
                (Value::String(a), serde_json::Value::String(b)) => assert_eq!(a, b),
                (Value::Bool(a), serde_json::Value::Bool(b)) => assert_eq!(a, b),
                (Value::Null, serde_json::Value::Null) => {}
                (Value::Object(a), serde_json::Value::Object(b)) => {
                    assert_eq!(a.get("k").and_then(Value::as_str), b["k"].as_str());
                }
                (mine, want) => panic!("{mine:?} read where serde_json reads {want:?}"),
            }
        }
        assert_eq!(ours.get("n").map(|n| matches!(n, Value::Number(_))), Some(true));
        assert_eq!(ours.get("b").and_then(|b| b.at(6)).and_then(Value::as_str), Some("x\"y"));
        assert_eq!(object.first().map(|(k, _)| k), Some("a"));
        // A string without escapes is a slice of the text; one with escapes is decoded.
        assert!(matches!(
            ours.get("b").and_then(|b| b.at(7)).and_then(|o| o.get("k")),
            Some(Value::String(Cow::Borrowed("v")))
        ));
    }

    #[test]
    fn refuses_what_serde_json_refuses() {
        for bad in [&b"{\"a\":}"[..], b"[1,2", b"{\"a\" 1}", b"nul", b"{1:2}"] {
            assert!(Value::parse(bad).is_err(), "{}", String::from_utf8_lossy(bad));
        }
        // serde_json's recursion limit holds here too: a deep nest is an error, not a crash.
        let deep = "[".repeat(100_000);
        assert!(Value::parse(deep.as_bytes()).is_err());
    }
}
