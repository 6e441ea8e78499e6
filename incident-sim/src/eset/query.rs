//! The list parameters of `GET /v2/incidents`: the filter language, `orderBy` and page
//! tokens.

use std::cmp::Ordering;
use std::hash::{DefaultHasher, Hash, Hasher};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::state::{Incident, REASONS, SEVERITIES, STATUSES};

/// A field of the filter language and `orderBy`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Field {
    CreateTime,
    UpdateTime,
    DisplayName,
    AssigneeUuid,
    DeviceUuids,
    Severity,
    Status,
    Tags,
}

impl Field {
    /// `incident.create_time`, `create_time` or `createTime`.
    fn parse(name: &str) -> Option<Field> {
        let name = name.strip_prefix("incident.").unwrap_or(name);
        let snake: String = name
            .chars()
            .flat_map(|c| {
                let lower = c.to_ascii_lowercase();
                (c.is_ascii_uppercase().then_some('_').into_iter()).chain(std::iter::once(lower))
            })
            .collect();
        Some(match snake.as_str() {
            "create_time" => Field::CreateTime,
            "update_time" => Field::UpdateTime,
            "display_name" => Field::DisplayName,
            "assignee_uuid" => Field::AssigneeUuid,
            "device_uuids" => Field::DeviceUuids,
            "severity" => Field::Severity,
            "status" => Field::Status,
            "tags" => Field::Tags,
            _ => return None,
        })
    }
}

#[derive(Clone, Debug, PartialEq)]
enum Value {
    Text(String),
    Ident(String),
    Time(OffsetDateTime),
    List(Vec<Value>),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Op {
    Eq,
    Ne,
    Le,
    Ge,
    Lt,
    Gt,
    In,
    Contains,
    Has,
}

#[derive(Clone, Debug)]
struct Condition {
    field: Field,
    op: Op,
    value: Value,
}

/// A parsed filter: conditions joined by `&&` (or `AND`, which ESET's own Sentinel connector
/// sends).
#[derive(Clone, Debug, Default)]
pub(crate) struct Filter {
    conditions: Vec<Condition>,
}

#[derive(Clone, Debug, PartialEq)]
enum Token {
    Word(String),
    Text(String),
    Op(&'static str),
    Open(char),
    Close(char),
    Comma,
}

fn tokenize(input: &str) -> Result<Vec<Token>, String> {
    let mut out = Vec::new();
    let mut chars = input.chars().peekable();
    while let Some(&c) = chars.peek() {
        match c {
            c if c.is_whitespace() => {
                chars.next();
            }
            '"' | '\'' => {
                let quote = c;
                chars.next();
                let mut text = String::new();
                loop {
                    match chars.next() {
                        None => return Err("unterminated string".into()),
                        Some(c) if c == quote => break,
                        Some('\\') => match chars.next() {
                            Some('n') => text.push('\n'),
                            Some('r') => text.push('\r'),
                            Some('t') => text.push('\t'),
                            Some('u') => {
                                let hex: String = (0..4).filter_map(|_| chars.next()).collect();
                                let code = u32::from_str_radix(&hex, 16)
                                    .ok()
                                    .and_then(char::from_u32)
                                    .ok_or("bad \\u escape")?;
                                text.push(code);
                            }
                            Some(c) => text.push(c),
                            None => return Err("unterminated string".into()),
                        },
                        Some(c) => text.push(c),
                    }
                }
                out.push(Token::Text(text));
            }
            '[' | '(' => {
                chars.next();
                out.push(Token::Open(c));
            }
            ']' | ')' => {
                chars.next();
                out.push(Token::Close(c));
            }
            ',' => {
                chars.next();
                out.push(Token::Comma);
            }
            '=' | '!' | '<' | '>' | '&' => {
                chars.next();
                let next = chars.peek().copied();
                let op = match (c, next) {
                    ('=', Some('=')) => "==",
                    ('!', Some('=')) => "!=",
                    ('<', Some('=')) => "<=",
                    ('>', Some('=')) => ">=",
                    ('&', Some('&')) => "&&",
                    ('<', _) => "<",
                    ('>', _) => ">",
                    _ => return Err(format!("unexpected {c:?}")),
                };
                if op.len() == 2 {
                    chars.next();
                }
                out.push(Token::Op(op));
            }
            c if c.is_alphanumeric() || c == '_' || c == '.' || c == '-' => {
                let mut word = String::new();
                while let Some(&c) = chars.peek() {
                    if c.is_alphanumeric() || c == '_' || c == '.' || c == '-' {
                        word.push(c);
                        chars.next();
                    } else {
                        break;
                    }
                }
                out.push(Token::Word(word));
            }
            c => return Err(format!("unexpected {c:?}")),
        }
    }
    Ok(out)
}

struct Parser {
    tokens: Vec<Token>,
    at: usize,
}

impl Parser {
    fn next(&mut self) -> Option<Token> {
        let t = self.tokens.get(self.at).cloned();
        self.at += 1;
        t
    }

    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.at)
    }

    fn value(&mut self) -> Result<Value, String> {
        match self.next() {
            Some(Token::Text(t)) => Ok(Value::Text(t)),
            Some(Token::Word(w)) if w == "timestamp" => {
                if self.next() != Some(Token::Open('(')) {
                    return Err("timestamp needs (\"...\")".into());
                }
                let Some(Token::Text(t)) = self.next() else {
                    return Err("timestamp needs a quoted RFC 3339 time".into());
                };
                if self.next() != Some(Token::Close(')')) {
                    return Err("timestamp needs a closing )".into());
                }
                OffsetDateTime::parse(&t, &Rfc3339)
                    .map(Value::Time)
                    .map_err(|_| format!("{t:?} is not an RFC 3339 time"))
            }
            Some(Token::Word(w)) => Ok(Value::Ident(w)),
            Some(Token::Open('[')) => {
                let mut items = Vec::new();
                if self.peek() == Some(&Token::Close(']')) {
                    self.next();
                    return Ok(Value::List(items));
                }
                loop {
                    items.push(self.value()?);
                    match self.next() {
                        Some(Token::Comma) => {}
                        Some(Token::Close(']')) => return Ok(Value::List(items)),
                        _ => return Err("a list needs , or ]".into()),
                    }
                }
            }
            other => Err(format!("expected a value, found {other:?}")),
        }
    }
}

impl Filter {
    /// Parses a filter; the error is the message of the 400 answer.
    pub(crate) fn parse(input: &str) -> Result<Filter, String> {
        let mut p = Parser {
            tokens: tokenize(input)?,
            at: 0,
        };
        let mut conditions = Vec::new();
        if p.tokens.is_empty() {
            return Ok(Filter::default());
        }
        loop {
            let Some(Token::Word(name)) = p.next() else {
                return Err("expected a field".into());
            };
            let field = Field::parse(&name).ok_or_else(|| format!("unknown field {name:?}"))?;
            let op = match p.next() {
                Some(Token::Op("==")) => Op::Eq,
                Some(Token::Op("!=")) => Op::Ne,
                Some(Token::Op("<=")) => Op::Le,
                Some(Token::Op(">=")) => Op::Ge,
                Some(Token::Op("<")) => Op::Lt,
                Some(Token::Op(">")) => Op::Gt,
                Some(Token::Word(w)) if w == "in" => Op::In,
                Some(Token::Word(w)) if w == "contains" => Op::Contains,
                Some(Token::Word(w)) if w == "has" => Op::Has,
                other => return Err(format!("expected an operator, found {other:?}")),
            };
            let value = p.value()?;
            check(field, op, &value)?;
            conditions.push(Condition { field, op, value });
            match p.next() {
                None => break,
                Some(Token::Op("&&")) => {}
                Some(Token::Word(w)) if w == "AND" => {}
                other => return Err(format!("expected && or the end, found {other:?}")),
            }
        }
        Ok(Filter { conditions })
    }

    /// Whether the filter keeps everything.
    pub(crate) fn is_empty(&self) -> bool {
        self.conditions.is_empty()
    }

    pub(crate) fn matches(&self, i: &Incident) -> bool {
        self.conditions.iter().all(|c| c.matches(i))
    }
}

/// What each field accepts; status and severity only `==` and `in`, as documented.
fn check(field: Field, op: Op, value: &Value) -> Result<(), String> {
    let enums: &[&str] = match field {
        Field::Status => &STATUSES,
        Field::Severity => &SEVERITIES,
        _ => &[],
    };
    let is_enum = |v: &Value| matches!(v, Value::Ident(w) if enums.contains(&w.as_str()));
    let ok = match field {
        Field::Status | Field::Severity => match (op, value) {
            (Op::Eq, v) => is_enum(v),
            (Op::In, Value::List(vs)) => !vs.is_empty() && vs.iter().all(is_enum),
            _ => false,
        },
        Field::CreateTime | Field::UpdateTime => {
            matches!(value, Value::Time(_))
                && matches!(op, Op::Eq | Op::Ne | Op::Le | Op::Ge | Op::Lt | Op::Gt)
        }
        Field::DisplayName | Field::AssigneeUuid => match (op, value) {
            (Op::Eq | Op::Ne | Op::Contains, Value::Text(_)) => true,
            (Op::In, Value::List(vs)) => vs.iter().all(|v| matches!(v, Value::Text(_))),
            _ => false,
        },
        Field::DeviceUuids | Field::Tags => matches!((op, value), (Op::Has, Value::Text(_))),
    };
    if ok {
        Ok(())
    } else {
        Err(format!("{field:?} does not accept {op:?} with {value:?}"))
    }
}

impl Condition {
    fn matches(&self, i: &Incident) -> bool {
        let text = |v: &Value| match v {
            Value::Text(t) | Value::Ident(t) => t.clone(),
            _ => String::new(),
        };
        match self.field {
            Field::CreateTime | Field::UpdateTime => {
                let at = if self.field == Field::CreateTime {
                    i.create_time
                } else {
                    i.update_time
                };
                let Value::Time(t) = &self.value else {
                    return false;
                };
                let ord = at.cmp(t);
                match self.op {
                    Op::Eq => ord == Ordering::Equal,
                    Op::Ne => ord != Ordering::Equal,
                    Op::Le => ord != Ordering::Greater,
                    Op::Ge => ord != Ordering::Less,
                    Op::Lt => ord == Ordering::Less,
                    Op::Gt => ord == Ordering::Greater,
                    _ => false,
                }
            }
            Field::Status | Field::Severity => {
                let have = if self.field == Field::Status {
                    i.status
                } else {
                    i.severity
                };
                match &self.value {
                    Value::List(vs) => vs.iter().any(|v| text(v) == have),
                    v => text(v) == have,
                }
            }
            Field::DisplayName | Field::AssigneeUuid => {
                let have = if self.field == Field::DisplayName {
                    &i.display_name
                } else {
                    &i.assignee
                };
                match (self.op, &self.value) {
                    (Op::Eq, v) => *have == text(v),
                    (Op::Ne, v) => *have != text(v),
                    (Op::Contains, v) => have.to_lowercase().contains(&text(v).to_lowercase()),
                    (Op::In, Value::List(vs)) => vs.iter().any(|v| *have == text(v)),
                    _ => false,
                }
            }
            Field::DeviceUuids | Field::Tags => {
                let have = if self.field == Field::Tags {
                    &i.tags
                } else {
                    &i.devices
                };
                have.contains(&text(&self.value))
            }
        }
    }
}

/// `orderBy`: comma-separated fields, each with an optional ` desc`; ties by uuid. The
/// default is `create_time desc`.
#[derive(Clone, Debug)]
pub(crate) struct Order {
    keys: Vec<(Field, bool)>,
}

impl Order {
    pub(crate) fn parse(input: Option<&str>) -> Result<Order, String> {
        let Some(input) = input.filter(|s| !s.trim().is_empty()) else {
            return Ok(Order {
                keys: vec![(Field::CreateTime, true)],
            });
        };
        let mut keys = Vec::new();
        for part in input.split(',') {
            let mut words = part.split_whitespace();
            let name = words.next().ok_or("an empty orderBy field")?;
            let field = Field::parse(name).ok_or_else(|| format!("cannot order by {name:?}"))?;
            if matches!(field, Field::DeviceUuids | Field::Tags) {
                return Err(format!("cannot order by {name:?}"));
            }
            let desc = match words.next() {
                None => false,
                Some(w) if w.eq_ignore_ascii_case("desc") => true,
                Some(w) if w.eq_ignore_ascii_case("asc") => false,
                Some(w) => return Err(format!("unexpected {w:?} in orderBy")),
            };
            if words.next().is_some() {
                return Err(format!("unexpected words in orderBy {part:?}"));
            }
            keys.push((field, desc));
        }
        Ok(Order { keys })
    }

    /// `Some(descending)` when the order is by creation time alone, the order incidents are
    /// stored in: a walk needs no sort then.
    pub(crate) fn creation_order(&self) -> Option<bool> {
        match self.keys.as_slice() {
            [(Field::CreateTime, desc)] => Some(*desc),
            _ => None,
        }
    }

    pub(crate) fn compare(&self, a: &Incident, b: &Incident) -> Ordering {
        let rank = |list: &[&str], v: &str| list.iter().position(|x| *x == v).unwrap_or(0);
        for (field, desc) in &self.keys {
            let ord = match field {
                Field::CreateTime => a.create_time.cmp(&b.create_time),
                Field::UpdateTime => a.update_time.cmp(&b.update_time),
                Field::DisplayName => a.display_name.cmp(&b.display_name),
                Field::AssigneeUuid => a.assignee.cmp(&b.assignee),
                Field::Severity => {
                    rank(&SEVERITIES, a.severity).cmp(&rank(&SEVERITIES, b.severity))
                }
                Field::Status => rank(&STATUSES, a.status).cmp(&rank(&STATUSES, b.status)),
                Field::DeviceUuids | Field::Tags => Ordering::Equal,
            };
            let ord = if *desc { ord.reverse() } else { ord };
            if ord != Ordering::Equal {
                return ord;
            }
        }
        a.uuid.cmp(&b.uuid)
    }
}

/// A page token: the offset of the next item, bound to the query it belongs to (AIP-158:
/// a token used with other parameters is refused). Standard base64, so that tokens carry
/// `+`, `/` and `=`, which clients must percent-encode.
pub(crate) fn page_token(offset: usize, query: &str) -> String {
    let mut raw = vec![0xfb, 0xef];
    raw.extend_from_slice(format!("{offset}:{:016x}", fingerprint(query)).as_bytes());
    BASE64.encode(raw)
}

/// The offset a token stands for, if it is one of ours for this query.
pub(crate) fn read_page_token(token: &str, query: &str) -> Result<usize, String> {
    let raw = BASE64
        .decode(token.trim())
        .map_err(|_| "the page token is not one this server issued".to_owned())?;
    let text = raw
        .strip_prefix(&[0xfb, 0xef])
        .and_then(|r| std::str::from_utf8(r).ok())
        .ok_or("the page token is not one this server issued")?;
    let (offset, print) = text
        .split_once(':')
        .ok_or("the page token is not one this server issued")?;
    if print != format!("{:016x}", fingerprint(query)) {
        return Err("the page token belongs to another filter or order".into());
    }
    offset
        .parse()
        .map_err(|_| "the page token is not one this server issued".into())
}

fn fingerprint(query: &str) -> u64 {
    let mut h = DefaultHasher::new();
    query.hash(&mut h);
    h.finish()
}

/// Whether `reason` is a closure reason a close accepts.
pub(crate) fn is_reason(reason: &str) -> bool {
    REASONS.contains(&reason)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eset::state::State;

    #[test]
    fn the_documented_language() {
        let s = State::seeded(40, 3);
        let all = |f: &str| {
            let f = Filter::parse(f).unwrap();
            s.incidents.iter().filter(|i| f.matches(i)).count()
        };
        let open = s
            .incidents
            .iter()
            .filter(|i| i.status == "INCIDENT_STATUS_OPEN")
            .count();
        assert_eq!(all("incident.status == INCIDENT_STATUS_OPEN"), open);
        assert_eq!(all("status in [INCIDENT_STATUS_OPEN]"), open);
        assert_eq!(
            all(
                "incident.severity in [INCIDENT_SEVERITY_LEVEL_LOW,INCIDENT_SEVERITY_LEVEL_MEDIUM,INCIDENT_SEVERITY_LEVEL_HIGH]"
            ),
            40
        );
        assert_eq!(
            all(
                "incident.create_time >= timestamp(\"2000-01-01T00:00:00Z\") AND createTime < timestamp(\"2100-01-01T00:00:00Z\")"
            ),
            40
        );
        assert_eq!(all(""), 40);
        let name = &s.incidents[0].display_name;
        assert!(all(&format!("incident.display_name == \"{name}\"")) >= 1);
        assert!(all("incident.display_name contains \"on\"") >= 1);
        let tag_count = s
            .incidents
            .iter()
            .filter(|i| i.tags.contains(&"vip".to_string()))
            .count();
        assert_eq!(all("incident.tags has \"vip\""), tag_count);
        for bad in [
            "incident.status != INCIDENT_STATUS_OPEN",
            "incident.status == \"INCIDENT_STATUS_OPEN\"",
            "incident.status == OPEN",
            "incident.color == \"red\"",
            "incident.create_time >= \"2025\"",
            "incident.tags == \"vip\"",
            "incident.display_name == \"x",
            "incident.status in []",
            "incident.status == INCIDENT_STATUS_OPEN ||",
        ] {
            assert!(Filter::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn tokens_are_bound_to_their_query() {
        let t = page_token(25, "q1");
        assert!(
            t.starts_with("+++") || t.contains('+') || t.contains('/'),
            "{t}"
        );
        assert_eq!(read_page_token(&t, "q1"), Ok(25));
        assert!(read_page_token(&t, "q2").is_err());
        assert!(read_page_token("nonsense", "q1").is_err());
        assert!(Order::parse(Some("create_time desc, display_name")).is_ok());
        assert!(Order::parse(Some("tags")).is_err());
        assert!(Order::parse(Some("create_time sideways")).is_err());
    }
}
