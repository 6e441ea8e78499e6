//! Records that keep their JSON text, shared by every vendor: a listing is served from text
//! serialized once, so that a page costs the simulator a copy rather than a serialization
//! (benchmarks measure clients against it, and a client must not wait on the server's
//! JSON encoder).
//!
//! The text is dropped by any change to the record: [`Cached`] hands out `&mut` access
//! only through [`DerefMut`], which forgets the text first, so no handler can change a
//! record and leave a stale text behind.

use std::fmt;
use std::ops::{Deref, DerefMut};
use std::sync::OnceLock;

/// A record and its JSON text, made on first use and forgotten whenever the record is
/// borrowed mutably.
///
/// Each `Cached` value keeps one text: every caller of [`text`](Self::text) on a given
/// collection must pass the same serializer (the form its listing sends).
pub(crate) struct Cached<T> {
    value: T,
    text: OnceLock<Box<str>>,
}

impl<T> Cached<T> {
    /// A record without its text yet.
    pub(crate) fn new(value: T) -> Cached<T> {
        Cached {
            value,
            text: OnceLock::new(),
        }
    }

    /// The record's JSON text as `serialize` writes it, serialized on the first call after
    /// a change and kept until the next one.
    pub(crate) fn text(&self, serialize: impl FnOnce(&T) -> String) -> &str {
        self.text
            .get_or_init(|| serialize(&self.value).into_boxed_str())
    }

    /// The text of a record that is its own JSON form (a `serde_json` value or map).
    pub(crate) fn json(&self) -> &str
    where
        T: serde::Serialize,
    {
        // Serializing a JSON value into a string cannot fail.
        self.text(|v| serde_json::to_string(v).unwrap_or_default())
    }

    /// Whether the text is kept (for tests).
    #[cfg(test)]
    pub(crate) fn has_text(&self) -> bool {
        self.text.get().is_some()
    }
}

impl<T> Deref for Cached<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.value
    }
}

impl<T> DerefMut for Cached<T> {
    /// Forgets the text: the caller may change the record.
    fn deref_mut(&mut self) -> &mut T {
        self.text = OnceLock::new();
        &mut self.value
    }
}

impl<T> From<T> for Cached<T> {
    fn from(value: T) -> Cached<T> {
        Cached::new(value)
    }
}

impl<T: Clone> Clone for Cached<T> {
    fn clone(&self) -> Cached<T> {
        Cached {
            value: self.value.clone(),
            text: self.text.clone(),
        }
    }
}

impl<T: fmt::Debug> fmt::Debug for Cached<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.value.fmt(f)
    }
}

impl<T: PartialEq> PartialEq for Cached<T> {
    fn eq(&self, other: &Cached<T>) -> bool {
        self.value == other.value
    }
}

/// A JSON array of texts, e.g. `[{...},{...}]`, written into `out`.
pub(crate) fn push_json_array<'a>(out: &mut String, texts: impl IntoIterator<Item = &'a str>) {
    out.push('[');
    for (i, text) in texts.into_iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(text);
    }
    out.push(']');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_change_forgets_the_text() {
        let mut record = Cached::new(vec![1, 2]);
        let serialize = |v: &Vec<i32>| format!("{v:?}");
        assert!(!record.has_text());
        assert_eq!(record.text(serialize), "[1, 2]");
        assert!(record.has_text());
        // Reading keeps it; the serializer is not called again.
        assert_eq!(record.len(), 2);
        assert_eq!(record.text(|_| unreachable!("kept")), "[1, 2]");
        // Any mutable access forgets it, even before the change is made.
        record.push(3);
        assert!(!record.has_text());
        assert_eq!(record.text(serialize), "[1, 2, 3]");
        let copy = record.clone();
        assert!(copy.has_text());
        assert_eq!(copy, record);
    }

    #[test]
    fn arrays() {
        let mut out = String::new();
        push_json_array(&mut out, ["{\"a\":1}", "2"]);
        assert_eq!(out, "[{\"a\":1},2]");
        out.clear();
        push_json_array(&mut out, []);
        assert_eq!(out, "[]");
    }
}
