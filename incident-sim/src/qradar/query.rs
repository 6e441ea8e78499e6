//! The QRadar list-query mini languages: `filter`, `sort`, `fields` and the
//! `Range` header.
//!
//! Everything here is pure and synchronous so it can run under the state lock
//! without awaiting, and every parse error is reported as a value: request data
//! never reaches a panic path.

use std::cmp::Ordering;

use serde_json::{Map, Value};

use crate::cached::Cached;

/// How a filterable field compares.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    /// Integer field; literals are parsed as numbers.
    Num,
    /// Case-sensitive string.
    Str,
    /// String compared without regard to ASCII case (offense `status`, which
    /// some clients send lower-case).
    CiStr,
    /// `true` / `false`.
    Bool,
}

/// One field value of a record, borrowed for the duration of a comparison.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Val<'a> {
    Null,
    Num(i64),
    Str(&'a str),
    Bool(bool),
}

/// A collection element that can be filtered, sorted and serialized.
///
/// Field 0 of the schema must be the id, and every collection handed to
/// [`select`] must already be stored in ascending id order: that lets the
/// common `sort=+id` request skip sorting entirely.
pub(crate) trait Record {
    /// Filterable and sortable scalar fields, by name.
    const SCHEMA: &'static [(&'static str, Kind)];
    /// Value of schema field `field`.
    fn value(&self, field: usize) -> Val<'_>;
    /// The full JSON representation, as the API returns it.
    fn to_json(&self) -> Value;
    /// [`to_json`](Self::to_json) serialized; records that are listed in
    /// large pages keep it (see [`Cached`]).
    fn json_text(&self) -> std::borrow::Cow<'_, str> {
        std::borrow::Cow::Owned(self.to_json().to_string())
    }
}

/// A record that keeps its text until it changes.
impl<R: Record> Record for Cached<R> {
    const SCHEMA: &'static [(&'static str, Kind)] = R::SCHEMA;

    fn value(&self, field: usize) -> Val<'_> {
        (**self).value(field)
    }

    fn to_json(&self) -> Value {
        (**self).to_json()
    }

    fn json_text(&self) -> std::borrow::Cow<'_, str> {
        std::borrow::Cow::Borrowed(self.text(|r| r.to_json().to_string()))
    }
}

/// The JSON array of `records`, each as [`Record::json_text`] gives it.
pub(crate) fn json_array<'a, R: Record + 'a>(
    records: impl ExactSizeIterator<Item = &'a R>,
) -> String {
    let mut body = String::with_capacity(2 + records.len() * 1400);
    body.push('[');
    for (i, r) in records.enumerate() {
        if i > 0 {
            body.push(',');
        }
        body.push_str(&r.json_text());
    }
    body.push(']');
    body
}

fn field_index<R: Record>(name: &str) -> Option<usize> {
    R::SCHEMA.iter().position(|(n, _)| *n == name)
}

// ---------------------------------------------------------------------------
// filter
// ---------------------------------------------------------------------------

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum CmpOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl CmpOp {
    fn holds(self, ord: Ordering) -> bool {
        match self {
            CmpOp::Eq => ord == Ordering::Equal,
            CmpOp::Ne => ord != Ordering::Equal,
            CmpOp::Lt => ord == Ordering::Less,
            CmpOp::Le => ord != Ordering::Greater,
            CmpOp::Gt => ord == Ordering::Greater,
            CmpOp::Ge => ord != Ordering::Less,
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
enum Tok {
    LParen,
    RParen,
    Comma,
    Op(CmpOp),
    /// Unquoted run of characters: field names, keywords, numbers, bare values.
    Word(String),
    Quoted(String),
}

#[derive(Clone, Debug)]
struct Spanned {
    tok: Tok,
    pos: usize,
}

fn lex(src: &str) -> Result<Vec<Spanned>, String> {
    let chars: Vec<(usize, char)> = src.char_indices().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(&(pos, c)) = chars.get(i) {
        let next = chars.get(i + 1).map(|&(_, c)| c);
        let single = |tok| Spanned { tok, pos };
        match c {
            c if c.is_whitespace() => i += 1,
            '(' => {
                out.push(single(Tok::LParen));
                i += 1;
            }
            ')' => {
                out.push(single(Tok::RParen));
                i += 1;
            }
            ',' => {
                out.push(single(Tok::Comma));
                i += 1;
            }
            '=' => {
                out.push(single(Tok::Op(CmpOp::Eq)));
                i += 1;
            }
            '!' | '^' => {
                if next != Some('=') {
                    return Err(format!("unexpected character '{c}' at position {pos}"));
                }
                out.push(single(Tok::Op(CmpOp::Ne)));
                i += 2;
            }
            '<' => {
                let (op, len) = match next {
                    Some('=') => (CmpOp::Le, 2),
                    Some('>') => (CmpOp::Ne, 2),
                    _ => (CmpOp::Lt, 1),
                };
                out.push(single(Tok::Op(op)));
                i += len;
            }
            '>' => {
                let (op, len) = match next {
                    Some('=') => (CmpOp::Ge, 2),
                    _ => (CmpOp::Gt, 1),
                };
                out.push(single(Tok::Op(op)));
                i += len;
            }
            '\'' | '"' => {
                // A doubled quote inside a quoted string stands for one quote.
                let quote = c;
                let mut text = String::new();
                let mut j = i + 1;
                loop {
                    match chars.get(j) {
                        None => {
                            return Err(format!("unterminated string starting at position {pos}"));
                        }
                        Some(&(_, ch)) if ch == quote => {
                            if chars.get(j + 1).map(|&(_, c)| c) == Some(quote) {
                                text.push(quote);
                                j += 2;
                            } else {
                                j += 1;
                                break;
                            }
                        }
                        Some(&(_, ch)) => {
                            text.push(ch);
                            j += 1;
                        }
                    }
                }
                out.push(single(Tok::Quoted(text)));
                i = j;
            }
            _ => {
                let mut text = String::new();
                let mut j = i;
                while let Some(&(_, ch)) = chars.get(j) {
                    if ch.is_whitespace() || "()=!<>,'\"^".contains(ch) {
                        break;
                    }
                    text.push(ch);
                    j += 1;
                }
                out.push(single(Tok::Word(text)));
                i = j;
            }
        }
    }
    Ok(out)
}

/// A literal already converted to the type of the field it is compared with.
#[derive(Clone, Debug)]
enum Lit {
    Null,
    Num(f64),
    Str(String),
    Bool(bool),
}

#[derive(Clone, Debug)]
enum Expr {
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
    Not(Box<Expr>),
    Cmp {
        field: usize,
        ci: bool,
        op: CmpOp,
        lit: Lit,
    },
    IsNull {
        field: usize,
        negate: bool,
    },
    In {
        field: usize,
        ci: bool,
        lits: Vec<Lit>,
        negate: bool,
    },
    Between {
        field: usize,
        ci: bool,
        lo: Lit,
        hi: Lit,
        negate: bool,
    },
}

/// A compiled `filter` expression for records of type `R`.
#[derive(Debug)]
pub(crate) struct Filter<R> {
    expr: Expr,
    _record: std::marker::PhantomData<fn(&R)>,
}

/// Nesting limit for parentheses and `not`, so a hostile filter cannot
/// overflow the stack of a server task.
const MAX_DEPTH: usize = 64;

struct Parser<'t, R> {
    toks: &'t [Spanned],
    at: usize,
    end: usize,
    _record: std::marker::PhantomData<fn(&R)>,
}

fn is_kw(tok: Option<&Tok>, kw: &str) -> bool {
    matches!(tok, Some(Tok::Word(w)) if w.eq_ignore_ascii_case(kw))
}

impl<R: Record> Parser<'_, R> {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.at).map(|s| &s.tok)
    }

    fn pos(&self) -> usize {
        self.toks.get(self.at).map_or(self.end, |s| s.pos)
    }

    fn err<T>(&self, what: &str) -> Result<T, String> {
        match self.peek() {
            Some(tok) => Err(format!(
                "{what} at position {}, found {}",
                self.pos(),
                describe(tok)
            )),
            None => Err(format!("{what} at end of filter")),
        }
    }

    fn eat_kw(&mut self, kw: &str) -> bool {
        if is_kw(self.peek(), kw) {
            self.at += 1;
            true
        } else {
            false
        }
    }

    fn or(&mut self, depth: usize) -> Result<Expr, String> {
        let mut left = self.and(depth)?;
        while self.eat_kw("or") {
            let right = self.and(depth)?;
            left = Expr::Or(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn and(&mut self, depth: usize) -> Result<Expr, String> {
        let mut left = self.unary(depth)?;
        while self.eat_kw("and") {
            let right = self.unary(depth)?;
            left = Expr::And(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn unary(&mut self, depth: usize) -> Result<Expr, String> {
        if depth >= MAX_DEPTH {
            return self.err("filter is nested too deeply");
        }
        if self.eat_kw("not") {
            return Ok(Expr::Not(Box::new(self.unary(depth + 1)?)));
        }
        if self.peek() == Some(&Tok::LParen) {
            self.at += 1;
            let inner = self.or(depth + 1)?;
            if self.peek() != Some(&Tok::RParen) {
                return self.err("expected ')'");
            }
            self.at += 1;
            return Ok(inner);
        }
        self.predicate()
    }

    fn predicate(&mut self) -> Result<Expr, String> {
        let name = match self.peek() {
            Some(Tok::Word(w)) => w.clone(),
            _ => return self.err("expected a field name"),
        };
        let Some(field) = field_index::<R>(&name) else {
            return Err(format!("'{name}' is not a filterable field"));
        };
        let kind = R::SCHEMA[field].1;
        let ci = kind == Kind::CiStr;
        self.at += 1;

        if let Some(Tok::Op(op)) = self.peek() {
            let op = *op;
            self.at += 1;
            let lit = self.literal(&name, kind)?;
            return Ok(Expr::Cmp { field, ci, op, lit });
        }
        if self.eat_kw("is") {
            let negate = self.eat_kw("not");
            if !self.eat_kw("null") {
                return self.err("expected 'null'");
            }
            return Ok(Expr::IsNull { field, negate });
        }
        let negate = self.eat_kw("not");
        if self.eat_kw("in") {
            if self.peek() != Some(&Tok::LParen) {
                return self.err("expected '(' after 'in'");
            }
            self.at += 1;
            let mut lits = vec![self.literal(&name, kind)?];
            loop {
                match self.peek() {
                    Some(Tok::Comma) => {
                        self.at += 1;
                        lits.push(self.literal(&name, kind)?);
                    }
                    Some(Tok::RParen) => {
                        self.at += 1;
                        break;
                    }
                    _ => return self.err("expected ',' or ')' in value list"),
                }
            }
            return Ok(Expr::In {
                field,
                ci,
                lits,
                negate,
            });
        }
        if self.eat_kw("between") {
            let lo = self.literal(&name, kind)?;
            if !self.eat_kw("and") {
                return self.err("expected 'and' in 'between'");
            }
            let hi = self.literal(&name, kind)?;
            return Ok(Expr::Between {
                field,
                ci,
                lo,
                hi,
                negate,
            });
        }
        self.err(&format!("expected an operator after '{name}'"))
    }

    fn literal(&mut self, field: &str, kind: Kind) -> Result<Lit, String> {
        let (text, quoted) = match self.peek() {
            Some(Tok::Word(w)) => (w.clone(), false),
            Some(Tok::Quoted(q)) => (q.clone(), true),
            _ => return self.err("expected a value"),
        };
        let pos = self.pos();
        self.at += 1;
        if !quoted && text.eq_ignore_ascii_case("null") {
            return Ok(Lit::Null);
        }
        match kind {
            Kind::Num => match text.trim().parse::<f64>() {
                Ok(n) if n.is_finite() => Ok(Lit::Num(n)),
                _ => Err(format!(
                    "field '{field}' is numeric but the value '{text}' at position {pos} is not a number"
                )),
            },
            Kind::Bool => {
                if text.eq_ignore_ascii_case("true") {
                    Ok(Lit::Bool(true))
                } else if text.eq_ignore_ascii_case("false") {
                    Ok(Lit::Bool(false))
                } else {
                    Err(format!(
                        "field '{field}' is boolean but the value '{text}' at position {pos} is not true or false"
                    ))
                }
            }
            Kind::Str | Kind::CiStr => Ok(Lit::Str(text)),
        }
    }
}

fn describe(tok: &Tok) -> String {
    match tok {
        Tok::LParen => "'('".into(),
        Tok::RParen => "')'".into(),
        Tok::Comma => "','".into(),
        Tok::Op(op) => format!("operator {op:?}"),
        Tok::Word(w) => format!("'{w}'"),
        Tok::Quoted(q) => format!("string '{q}'"),
    }
}

impl<R: Record> Filter<R> {
    /// Parses a QRadar filter expression; `Err` carries a message for the
    /// 422 body.
    pub(crate) fn parse(src: &str) -> Result<Self, String> {
        let toks = lex(src)?;
        if toks.is_empty() {
            return Err("filter is empty".into());
        }
        let mut p = Parser::<R> {
            toks: &toks,
            at: 0,
            end: src.len(),
            _record: std::marker::PhantomData,
        };
        let expr = p.or(0)?;
        if p.at != toks.len() {
            return p.err("unexpected input");
        }
        Ok(Filter {
            expr,
            _record: std::marker::PhantomData,
        })
    }

    /// SQL semantics: only a definite `true` matches, so any comparison
    /// involving null (including `!=`) excludes the record.
    pub(crate) fn matches(&self, r: &R) -> bool {
        eval(&self.expr, r) == Some(true)
    }
}

fn cmp_val(v: Val<'_>, lit: &Lit, ci: bool) -> Option<Ordering> {
    match (v, lit) {
        (Val::Num(a), Lit::Num(b)) => (a as f64).partial_cmp(b),
        (Val::Str(a), Lit::Str(b)) => Some(if ci {
            a.bytes()
                .map(|c| c.to_ascii_lowercase())
                .cmp(b.bytes().map(|c| c.to_ascii_lowercase()))
        } else {
            a.cmp(b.as_str())
        }),
        (Val::Bool(a), Lit::Bool(b)) => Some(a.cmp(b)),
        _ => None,
    }
}

/// Three-valued evaluation: `None` is SQL's UNKNOWN.
fn eval<R: Record>(e: &Expr, r: &R) -> Option<bool> {
    match e {
        Expr::And(a, b) => match (eval(a, r), eval(b, r)) {
            (Some(false), _) | (_, Some(false)) => Some(false),
            (Some(true), Some(true)) => Some(true),
            _ => None,
        },
        Expr::Or(a, b) => match (eval(a, r), eval(b, r)) {
            (Some(true), _) | (_, Some(true)) => Some(true),
            (Some(false), Some(false)) => Some(false),
            _ => None,
        },
        Expr::Not(a) => eval(a, r).map(|b| !b),
        Expr::Cmp { field, ci, op, lit } => {
            cmp_val(r.value(*field), lit, *ci).map(|ord| op.holds(ord))
        }
        Expr::IsNull { field, negate } => Some(matches!(r.value(*field), Val::Null) != *negate),
        Expr::In {
            field,
            ci,
            lits,
            negate,
        } => {
            let v = r.value(*field);
            let mut unknown = false;
            for lit in lits {
                match cmp_val(v, lit, *ci) {
                    Some(Ordering::Equal) => return Some(!*negate),
                    Some(_) => {}
                    None => unknown = true,
                }
            }
            if unknown { None } else { Some(*negate) }
        }
        Expr::Between {
            field,
            ci,
            lo,
            hi,
            negate,
        } => {
            let v = r.value(*field);
            let above = cmp_val(v, lo, *ci)? != Ordering::Less;
            let below = cmp_val(v, hi, *ci)? != Ordering::Greater;
            Some((above && below) != *negate)
        }
    }
}

// ---------------------------------------------------------------------------
// sort
// ---------------------------------------------------------------------------

/// Parsed `sort` parameter: schema field indices with a descending flag.
#[derive(Clone, Debug, Default)]
pub(crate) struct Sort {
    keys: Vec<(usize, bool)>,
}

impl Sort {
    /// Parses `+field`, `-field` or `field`, comma separated. A `+` that
    /// arrived unencoded in the query string decodes to a space, which is
    /// why leading whitespace also means ascending. `allowed` restricts the
    /// sortable fields (None = every schema field).
    pub(crate) fn parse<R: Record>(src: &str, allowed: Option<&[&str]>) -> Result<Self, String> {
        let mut keys = Vec::new();
        for part in src.split(',') {
            let part = part.trim();
            if part.is_empty() {
                continue;
            }
            let (desc, name) = match part.as_bytes()[0] {
                b'-' => (true, part[1..].trim()),
                b'+' => (false, part[1..].trim()),
                _ => (false, part),
            };
            let sortable = allowed.is_none_or(|list| list.contains(&name));
            match field_index::<R>(name) {
                Some(i) if sortable => keys.push((i, desc)),
                _ => return Err(format!("'{name}' is not a sortable field")),
            }
        }
        Ok(Sort { keys })
    }
}

/// Ordering of two field values; null sorts after every value (ascending).
fn cmp_vals(a: Val<'_>, b: Val<'_>) -> Ordering {
    match (a, b) {
        (Val::Null, Val::Null) => Ordering::Equal,
        (Val::Null, _) => Ordering::Greater,
        (_, Val::Null) => Ordering::Less,
        (Val::Num(x), Val::Num(y)) => x.cmp(&y),
        (Val::Str(x), Val::Str(y)) => x.cmp(y),
        (Val::Bool(x), Val::Bool(y)) => x.cmp(&y),
        _ => Ordering::Equal,
    }
}

/// Filters and sorts an id-ordered collection, returning references only.
pub(crate) fn select<'a, R: Record>(
    items: impl Iterator<Item = &'a R>,
    filter: Option<&Filter<R>>,
    sort: &Sort,
) -> Vec<&'a R> {
    let mut out: Vec<&R> = match filter {
        Some(f) => items.filter(|r| f.matches(r)).collect(),
        None => items.collect(),
    };
    match sort.keys.as_slice() {
        [] | [(0, false)] => {}
        [(0, true)] => out.reverse(),
        keys => out.sort_by(|a, b| {
            keys.iter()
                .map(|&(f, desc)| {
                    let ord = cmp_vals(a.value(f), b.value(f));
                    if desc { ord.reverse() } else { ord }
                })
                .find(|o| o.is_ne())
                .unwrap_or(Ordering::Equal)
        }),
    }
    out
}

// ---------------------------------------------------------------------------
// fields
// ---------------------------------------------------------------------------

/// One entry of a `fields` selection, with optional nested selection.
#[derive(Clone, Debug)]
pub(crate) struct FieldSel {
    name: String,
    sub: Option<Vec<FieldSel>>,
}

/// Parses `a,b(c,d),e`. Returns `Ok(None)` for an empty selection.
pub(crate) fn parse_fields(src: &str) -> Result<Option<Vec<FieldSel>>, String> {
    if src.trim().is_empty() {
        return Ok(None);
    }
    let chars: Vec<char> = src.chars().collect();
    let mut at = 0;
    let list = fields_list(&chars, &mut at, 0)?;
    if at != chars.len() {
        return Err(format!("unbalanced ')' at position {at} in fields"));
    }
    Ok(Some(list))
}

fn fields_list(chars: &[char], at: &mut usize, depth: usize) -> Result<Vec<FieldSel>, String> {
    if depth > 16 {
        return Err("fields selection is nested too deeply".into());
    }
    let mut out = Vec::new();
    loop {
        let mut name = String::new();
        while let Some(&c) = chars.get(*at) {
            if matches!(c, ',' | '(' | ')') {
                break;
            }
            name.push(c);
            *at += 1;
        }
        let name = name.trim().to_owned();
        let mut sub = None;
        if chars.get(*at) == Some(&'(') {
            if name.is_empty() {
                return Err(format!(
                    "'(' without a field name at position {at} in fields"
                ));
            }
            *at += 1;
            sub = Some(fields_list(chars, at, depth + 1)?);
            if chars.get(*at) != Some(&')') {
                return Err("missing ')' in fields".into());
            }
            *at += 1;
            while chars.get(*at).is_some_and(|c| c.is_whitespace()) {
                *at += 1;
            }
        }
        if !name.is_empty() {
            out.push(FieldSel { name, sub });
        }
        match chars.get(*at) {
            Some(',') => *at += 1,
            _ => return Ok(out),
        }
    }
}

/// Keeps only the selected keys; arrays are projected element-wise.
pub(crate) fn project(v: Value, sel: &[FieldSel]) -> Value {
    match v {
        Value::Object(mut map) => {
            let mut out = Map::new();
            for s in sel {
                if let Some(inner) = map.remove(&s.name) {
                    let inner = match &s.sub {
                        Some(sub) => project(inner, sub),
                        None => inner,
                    };
                    out.insert(s.name.clone(), inner);
                }
            }
            Value::Object(out)
        }
        Value::Array(items) => Value::Array(items.into_iter().map(|i| project(i, sel)).collect()),
        other => other,
    }
}

// ---------------------------------------------------------------------------
// Range
// ---------------------------------------------------------------------------

/// A `Range: items=x-y` request (zero-based, inclusive).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct ItemRange {
    pub(crate) first: u64,
    pub(crate) last: u64,
}

/// Parses the `Range` header value.
pub(crate) fn parse_range(src: &str) -> Result<ItemRange, String> {
    let bad = || format!("Range header '{src}' is invalid; expected 'items=x-y' with x <= y");
    let rest = src.trim();
    let rest = rest
        .get(..6)
        .filter(|p| p.eq_ignore_ascii_case("items="))
        .and_then(|_| rest.get(6..))
        .ok_or_else(bad)?;
    let (a, b) = rest.split_once('-').ok_or_else(bad)?;
    let digits = |s: &str| {
        let s = s.trim();
        if s.is_empty() || !s.bytes().all(|c| c.is_ascii_digit()) {
            None
        } else {
            s.parse::<u64>().ok()
        }
    };
    let first = digits(a).ok_or_else(bad)?;
    let last = digits(b).ok_or_else(bad)?;
    if last < first {
        return Err(bad());
    }
    Ok(ItemRange { first, last })
}

/// The slice of a result list to return and the `Content-Range` value.
pub(crate) fn page_bounds(
    total: usize,
    range: Option<ItemRange>,
) -> (std::ops::Range<usize>, String) {
    let total64 = total as u64;
    let (first, last) = match range {
        Some(r) => (r.first, r.last),
        None => (0, u64::MAX),
    };
    if first >= total64 {
        return (0..0, format!("items */{total}"));
    }
    let last = last.min(total64 - 1);
    // Both bounds are below `total`, which is a usize.
    let (s, e) = (first as usize, last as usize);
    (s..e + 1, format!("items {s}-{e}/{total}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    struct Row {
        id: i64,
        status: &'static str,
        owner: Option<&'static str>,
        sev: i64,
        flag: bool,
    }

    impl Record for Row {
        const SCHEMA: &'static [(&'static str, Kind)] = &[
            ("id", Kind::Num),
            ("status", Kind::CiStr),
            ("owner", Kind::Str),
            ("severity", Kind::Num),
            ("flag", Kind::Bool),
        ];
        fn value(&self, field: usize) -> Val<'_> {
            match field {
                0 => Val::Num(self.id),
                1 => Val::Str(self.status),
                2 => self.owner.map_or(Val::Null, Val::Str),
                3 => Val::Num(self.sev),
                4 => Val::Bool(self.flag),
                _ => Val::Null,
            }
        }
        fn to_json(&self) -> Value {
            json!({"id": self.id})
        }
    }

    fn rows() -> Vec<Row> {
        vec![
            Row {
                id: 1,
                status: "OPEN",
                owner: None,
                sev: 3,
                flag: false,
            },
            Row {
                id: 2,
                status: "CLOSED",
                owner: Some("admin"),
                sev: 7,
                flag: true,
            },
            Row {
                id: 3,
                status: "OPEN",
                owner: Some("analyst1"),
                sev: 9,
                flag: false,
            },
            Row {
                id: 4,
                status: "HIDDEN",
                owner: None,
                sev: 5,
                flag: true,
            },
        ]
    }

    fn ids(f: &str) -> Vec<i64> {
        let filter = Filter::<Row>::parse(f).unwrap_or_else(|e| panic!("{f}: {e}"));
        rows()
            .iter()
            .filter(|r| filter.matches(r))
            .map(|r| r.id)
            .collect()
    }

    #[test]
    fn filter_semantics() {
        assert_eq!(ids("status=OPEN"), vec![1, 3]);
        assert_eq!(ids("status = 'open'"), vec![1, 3]);
        assert_eq!(ids("status <> \"open\""), vec![2, 4]);
        assert_eq!(ids("status ^= OPEN"), vec![2, 4]);
        assert_eq!(ids("severity>=5 AND status=open"), vec![3]);
        assert_eq!(ids("owner is null"), vec![1, 4]);
        assert_eq!(ids("owner IS NOT NULL"), vec![2, 3]);
        assert_eq!(ids("owner = null"), Vec::<i64>::new());
        assert_eq!(ids("owner != 'admin'"), vec![3]);
        assert_eq!(ids("not owner = 'admin'"), vec![3]);
        assert_eq!(ids("id in (1, 3,4)"), vec![1, 3, 4]);
        assert_eq!(ids("id not in (1,3)"), vec![2, 4]);
        assert_eq!(ids("severity between 5 and 7"), vec![2, 4]);
        assert_eq!(ids("severity not between 5 and 7"), vec![1, 3]);
        assert_eq!(ids("id=1 or id=2 and severity>100"), vec![1]);
        assert_eq!(ids("(id=1 or id=2) and severity>5"), vec![2]);
        assert_eq!(ids("flag=true"), vec![2, 4]);
        assert_eq!(ids("severity > 4.5"), vec![2, 3, 4]);
        assert_eq!(ids("id > -1 and owner = 'it''s'"), Vec::<i64>::new());
    }

    #[test]
    fn filter_errors() {
        for bad in [
            "",
            "nope=1",
            "status",
            "status=",
            "id = abc",
            "(id=1",
            "id=1)",
            "id=1 and",
            "flag=maybe",
            "id in 1,2",
            "id in (1,",
            "status='open",
            "id ! 3",
            "owner is 3",
            "id between 1 or 2",
        ] {
            assert!(Filter::<Row>::parse(bad).is_err(), "{bad:?} should fail");
        }
        let deep = format!("{}id=1{}", "(".repeat(10_000), ")".repeat(10_000));
        assert!(Filter::<Row>::parse(&deep).is_err());
        let nots = format!("{}id=1", "not ".repeat(10_000));
        assert!(Filter::<Row>::parse(&nots).is_err());
    }

    #[test]
    fn sorting() {
        let data = rows();
        let order = |s: &str| {
            let sort = Sort::parse::<Row>(s, None).unwrap();
            select(data.iter(), None, &sort)
                .iter()
                .map(|r| r.id)
                .collect::<Vec<_>>()
        };
        assert_eq!(order("+id"), vec![1, 2, 3, 4]);
        assert_eq!(order(" id"), vec![1, 2, 3, 4]);
        assert_eq!(order("-id"), vec![4, 3, 2, 1]);
        assert_eq!(order("-severity"), vec![3, 2, 4, 1]);
        assert_eq!(order("owner"), vec![2, 3, 1, 4]);
        assert_eq!(order("status,-id"), vec![2, 4, 3, 1]);
        assert!(Sort::parse::<Row>("bogus", None).is_err());
        assert!(Sort::parse::<Row>("severity", Some(&["id"])).is_err());
    }

    #[test]
    fn fields_projection() {
        let sel = parse_fields("id, rules(id),log_sources(id,name)")
            .unwrap()
            .unwrap();
        let v = json!({"id": 1, "x": 2, "rules": [{"id": 5, "type": "CRE_RULE"}],
                       "log_sources": [{"id": 1, "name": "n", "type_id": 3}]});
        assert_eq!(
            project(v, &sel),
            json!({"id": 1, "rules": [{"id": 5}], "log_sources": [{"id": 1, "name": "n"}]})
        );
        assert!(parse_fields("").unwrap().is_none());
        assert!(parse_fields("rules(id").is_err());
        assert!(parse_fields("id)").is_err());
        assert!(parse_fields("(id)").is_err());
    }

    #[test]
    fn ranges() {
        assert_eq!(
            parse_range("items=0-49"),
            Ok(ItemRange { first: 0, last: 49 })
        );
        for bad in [
            "items=5-1",
            "items=-3",
            "items=a-b",
            "bytes=0-1",
            "items=0-",
            "items=+1-2",
            "é",
        ] {
            assert!(parse_range(bad).is_err(), "{bad}");
        }
        assert_eq!(page_bounds(5, None), (0..5, "items 0-4/5".into()));
        assert_eq!(
            page_bounds(12, Some(ItemRange { first: 0, last: 99 })),
            (0..12, "items 0-11/12".into())
        );
        assert_eq!(
            page_bounds(3, Some(ItemRange { first: 3, last: 5 })),
            (0..0, "items */3".into())
        );
        assert_eq!(page_bounds(0, None), (0..0, "items */0".into()));
        let huge = ItemRange {
            first: 1,
            last: u64::MAX,
        };
        assert_eq!(page_bounds(3, Some(huge)), (1..3, "items 1-2/3".into()));
    }
}
