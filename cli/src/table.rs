//! `--output table`: a response as an aligned text table, read off its JSON shape so that it
//! works for every operation without per-type code.
//!
//! - A response that holds a list of objects (`{accounts: [...]}`, `{items, pagination}`, a
//!   bare array) becomes one row per item and one column per field that is set in at least one
//!   item; the response's other members (pagination) follow as `name: value` lines.
//! - Any other object becomes a two-column `field  value` table.
//!
//! Nested values are shown as compact JSON, cut to [`MAX_CELL`] characters. Control characters
//! from the server are escaped, so a response cannot move the cursor or recolour the terminal.

use std::fmt;

use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};

/// The longest cell, in characters.
pub const MAX_CELL: usize = 48;

/// Renders a response given as JSON text; the text ends with a newline.
pub fn render_json(json: &str) -> Result<String, serde_json::Error> {
    serde_json::from_str::<Json>(json).map(|value| render(&value))
}

/// A JSON value whose objects keep their members in order (the spec's property order), which
/// `serde_json::Value` does not without a crate feature that would change it for the SDK too.
#[derive(Clone, Debug, PartialEq)]
pub enum Json {
    /// `null`.
    Null,
    /// A boolean, number or string, as it is printed in a cell.
    Scalar(String),
    /// An array.
    Array(Vec<Json>),
    /// An object, in order.
    Object(Vec<(String, Json)>),
}

impl Json {
    fn get(&self, name: &str) -> Option<&Json> {
        match self {
            Json::Object(members) => members.iter().find(|(k, _)| k == name).map(|(_, v)| v),
            _ => None,
        }
    }
}

impl fmt::Display for Json {
    /// Compact JSON.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Json::Null => f.write_str("null"),
            Json::Scalar(text) => f.write_str(text),
            Json::Array(items) => {
                f.write_str("[")?;
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(",")?;
                    }
                    write!(f, "{item}")?;
                }
                f.write_str("]")
            }
            Json::Object(members) => {
                f.write_str("{")?;
                for (i, (name, value)) in members.iter().enumerate() {
                    if i > 0 {
                        f.write_str(",")?;
                    }
                    write!(f, "{}:{value}", serde_json::Value::String(name.clone()))?;
                }
                f.write_str("}")
            }
        }
    }
}

impl<'de> Deserialize<'de> for Json {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct JsonVisitor;
        impl<'de> Visitor<'de> for JsonVisitor {
            type Value = Json;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON value")
            }
            fn visit_unit<E>(self) -> Result<Json, E> {
                Ok(Json::Null)
            }
            fn visit_none<E>(self) -> Result<Json, E> {
                Ok(Json::Null)
            }
            fn visit_bool<E>(self, v: bool) -> Result<Json, E> {
                Ok(Json::Scalar(v.to_string()))
            }
            fn visit_i64<E>(self, v: i64) -> Result<Json, E> {
                Ok(Json::Scalar(v.to_string()))
            }
            fn visit_u64<E>(self, v: u64) -> Result<Json, E> {
                Ok(Json::Scalar(v.to_string()))
            }
            fn visit_f64<E>(self, v: f64) -> Result<Json, E> {
                Ok(Json::Scalar(serde_json::Number::from_f64(v).map_or_else(|| v.to_string(), |n| n.to_string())))
            }
            fn visit_str<E>(self, v: &str) -> Result<Json, E> {
                Ok(Json::Scalar(serde_json::Value::String(v.to_owned()).to_string()))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Json, A::Error> {
                let mut items = Vec::new();
                while let Some(item) = seq.next_element()? {
                    items.push(item);
                }
                Ok(Json::Array(items))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Json, A::Error> {
                let mut members = Vec::new();
                while let Some((name, value)) = map.next_entry::<String, Json>()? {
                    members.push((name, value));
                }
                Ok(Json::Object(members))
            }
        }
        deserializer.deserialize_any(JsonVisitor)
    }
}

/// Renders a response; the text ends with a newline.
pub fn render(value: &Json) -> String {
    match value {
        Json::Array(items) => list(items, &[]),
        Json::Object(members) => match list_member(members) {
            Some(name) => {
                let items = match value.get(name) {
                    Some(Json::Array(items)) => items.as_slice(),
                    _ => &[],
                };
                let rest: Vec<(String, Json)> =
                    members.iter().filter(|(k, _)| k != name && k != "success").cloned().collect();
                list(items, &rest)
            }
            None => record(members),
        },
        scalar => format!("{}\n", cell(scalar)),
    }
}

/// The member holding the list to show: the only array, or the first array of objects.
fn list_member(members: &[(String, Json)]) -> Option<&str> {
    let arrays: Vec<(&String, &Vec<Json>)> = members
        .iter()
        .filter_map(|(k, v)| match v {
            Json::Array(items) => Some((k, items)),
            _ => None,
        })
        .collect();
    match arrays.as_slice() {
        [(only, _)] => Some(only.as_str()),
        _ => {
            arrays.iter().find(|(_, items)| items.iter().all(|i| matches!(i, Json::Object(_)))).map(|(k, _)| k.as_str())
        }
    }
}

fn list(items: &[Json], rest: &[(String, Json)]) -> String {
    let mut columns: Vec<&str> = Vec::new();
    for item in items {
        if let Json::Object(fields) = item {
            for (name, value) in fields {
                if *value != Json::Null && !columns.contains(&name.as_str()) {
                    columns.push(name);
                }
            }
        }
    }
    // `id` first and timestamps last; the rest in the order the fields come (alphabetical
    // for the generated types).
    columns.sort_by_key(|c| match *c {
        "id" => 0,
        c if c.ends_with("At") => 2,
        _ => 1,
    });
    let mut out = if items.is_empty() {
        "(none)\n".to_owned()
    } else if columns.is_empty() {
        aligned(&["value"], items.iter().map(|item| vec![cell(item)]).collect())
    } else {
        let rows = items
            .iter()
            .map(|item| columns.iter().map(|c| item.get(c).map_or_else(String::new, cell)).collect())
            .collect();
        aligned(&columns, rows)
    };
    for (name, value) in rest {
        out.push_str(&format!("{name}: {}\n", escaped(&value.to_string(), usize::MAX)));
    }
    out
}

/// `field value` rows; nested objects are spread out as `outer.inner` rows.
fn record(members: &[(String, Json)]) -> String {
    fn rows(prefix: &str, members: &[(String, Json)], out: &mut Vec<Vec<String>>) {
        for (name, value) in members {
            let name = if prefix.is_empty() { name.clone() } else { format!("{prefix}.{name}") };
            match value {
                Json::Null => {}
                Json::Object(inner) if !inner.is_empty() => rows(&name, inner, out),
                other => out.push(vec![name, cell(other)]),
            }
        }
    }
    let mut out = Vec::new();
    let members: Vec<(String, Json)> = members.iter().filter(|(k, _)| k != "success").cloned().collect();
    rows("", &members, &mut out);
    aligned(&["field", "value"], out)
}

/// A cell's text: strings without their quotes, other values as compact JSON; escaped and
/// cut.
fn cell(value: &Json) -> String {
    let text = match value {
        Json::Null => String::new(),
        Json::Scalar(text) => match serde_json::from_str::<String>(text) {
            Ok(string) => string,
            Err(_) => text.clone(),
        },
        other => other.to_string(),
    };
    escaped(&text, MAX_CELL)
}

/// `text` with control characters escaped, cut to `max` characters.
fn escaped(text: &str, max: usize) -> String {
    let mut out = String::new();
    for (count, c) in text.chars().enumerate() {
        if count == max {
            out.push('…');
            break;
        }
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

fn aligned(header: &[&str], rows: Vec<Vec<String>>) -> String {
    let width = |s: &str| s.chars().count();
    let mut widths: Vec<usize> = header.iter().map(|h| width(h)).collect();
    for row in &rows {
        for (w, c) in widths.iter_mut().zip(row) {
            *w = (*w).max(width(c));
        }
    }
    let line = |cells: &[String]| {
        let mut line = String::new();
        for ((c, w), i) in cells.iter().zip(&widths).zip(0..) {
            line.push_str(c);
            if i + 1 < cells.len() {
                line.push_str(&" ".repeat(w - width(c) + 2));
            }
        }
        line.truncate(line.trim_end().len());
        line.push('\n');
        line
    };
    let mut out = line(&header.iter().map(|h| (*h).to_owned()).collect::<Vec<_>>());
    out.push_str(&line(&widths.iter().map(|w| "-".repeat(*w)).collect::<Vec<_>>()));
    for row in &rows {
        out.push_str(&line(row));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(json: &str) -> String {
        render_json(json).unwrap()
    }

    #[test]
    fn a_list_member_becomes_rows_in_field_order_and_the_rest_follows() {
        let text = table(
            r#"{
                "items": [
                    {"id": "txn_1", "type": "credit", "amount": 500, "description": null},
                    {"id": "txn_2", "type": "debit", "amount": 42.5, "description": "chat\n\u001b[31mred"}
                ],
                "pagination": {"limit": 50, "offset": 0, "totalCount": 2, "hasMore": false}
            }"#,
        );
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "id     type    amount  description");
        assert_eq!(lines[1], "-----  ------  ------  -------------------");
        assert_eq!(lines[2], "txn_1  credit  500");
        assert_eq!(lines[3], "txn_2  debit   42.5    chat\\n\\u{1b}[31mred");
        assert_eq!(lines[4], r#"pagination: {"limit":50,"offset":0,"totalCount":2,"hasMore":false}"#);
    }

    #[test]
    fn an_object_becomes_fields_and_an_empty_list_says_so() {
        let text = table(r#"{"accountId": "acc_1", "balance": 1000, "externalId": null}"#);
        assert_eq!(text, "field      value\n---------  -----\naccountId  acc_1\nbalance    1000\n");
        assert_eq!(table(r#"{"success": true, "accounts": []}"#), "(none)\n");
        let nested = table(r#"{"success": true, "summary": {"totalCostUsd": 0.5, "byContext": {"system": 0.5}}}"#);
        assert_eq!(nested.lines().nth(2), Some("summary.totalCostUsd      0.5"));
        assert_eq!(nested.lines().nth(3), Some("summary.byContext.system  0.5"));
        let long = format!("[\"{}\"]", "x".repeat(100));
        assert!(table(&long).lines().nth(2).is_some_and(|l| l.chars().count() == MAX_CELL + 1));
    }
}
