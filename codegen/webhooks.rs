//! The webhook events of `x-credits-webhooks` (the spec's top-level extension), rendered as
//! Rust for `credits-types` (`OUT_DIR/webhooks.rs`, included by its `webhooks` module): the
//! [`EventType`] of every listed type, and the [`Event`] enum whose variants carry each type's
//! envelope with its `data` already decoded into the resource's generated type.
//!
//! Each entry is checked here, so that a mistake in the spec stops the build with its name.

use std::fmt::Write as _;

use serde_json::Value;

/// The Rust source of the events, or the problems found in `x-credits-webhooks`.
pub fn render(doc: &Value) -> Result<String, Vec<String>> {
    let Some(webhooks) = doc.get("x-credits-webhooks") else { return Ok(render_events(&[])) };
    let mut problems = Vec::new();
    // `credits_types::webhooks::Envelope` is written for exactly these fields: a change here
    // must change it too.
    let required: Vec<&str> = webhooks
        .pointer("/envelope/required")
        .and_then(Value::as_array)
        .map(|fields| fields.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let declared = |field: &str| webhooks.pointer(&format!("/envelope/properties/{field}")).is_some();
    if required != ["id", "type", "createdAt", "data"] || !required.iter().all(|f| declared(f)) {
        problems.push(
            "x-credits-webhooks: `envelope` must declare and require exactly `id`, `type`, `createdAt` and `data` \
             (the fields of credits_types::webhooks::Envelope)"
                .to_owned(),
        );
    }
    let mut events = Vec::new();
    match webhooks.get("events").and_then(Value::as_object) {
        None => problems.push("x-credits-webhooks: `events` must map event types to `{description, data}`".to_owned()),
        Some(map) => {
            for (name, event) in map {
                let valid_name = name.split('.').count() == 2
                    && name
                        .split('.')
                        .all(|part| !part.is_empty() && part.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'));
                if !valid_name {
                    problems.push(format!(
                        "x-credits-webhooks: event type `{name}` is not `resource.action` in lower case"
                    ));
                    continue;
                }
                let description = event.get("description").and_then(Value::as_str).unwrap_or_default();
                if description.is_empty() {
                    problems.push(format!("x-credits-webhooks: event `{name}` has no description"));
                }
                let reference = event.pointer("/data/$ref").and_then(Value::as_str);
                let schema = reference.and_then(|r| r.strip_prefix("#/components/schemas/"));
                match schema {
                    Some(schema) if doc.pointer(&format!("/components/schemas/{schema}")).is_some() => {
                        events.push(Entry {
                            name: name.clone(),
                            variant: variant_name(name),
                            description: description.to_owned(),
                            schema: schema.to_owned(),
                        });
                    }
                    _ => problems.push(format!(
                        "x-credits-webhooks: event `{name}`: `data` must be a `$ref` to a schema under components/schemas"
                    )),
                }
            }
        }
    }
    if problems.is_empty() { Ok(render_events(&events)) } else { Err(problems) }
}

/// Reads one property of an entry, for the `const fn` that answers it.
type Property = fn(&Entry) -> &str;

struct Entry {
    name: String,
    variant: String,
    description: String,
    schema: String,
}

/// `reservation.expired` → `ReservationExpired`.
fn variant_name(name: &str) -> String {
    name.split(['.', '_'])
        .map(|part| {
            let mut chars = part.chars();
            chars.next().map(|c| c.to_ascii_uppercase().to_string() + chars.as_str()).unwrap_or_default()
        })
        .collect()
}

fn doc_line(text: &str) -> String {
    text.replace('\n', " ")
}

fn render_events(events: &[Entry]) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "/// The type of a webhook event, as listed in the spec's `x-credits-webhooks` (INFERRED names).\n\
         ///\n/// A type this version does not list is not an error: [`Event::from_slice`] decodes it as\n\
         /// [`Event::Unknown`].\n\
         #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]\n#[non_exhaustive]\npub enum EventType {{"
    );
    for e in events {
        let _ = writeln!(out, "    /// `{}`: {}\n    {},", e.name, doc_line(&e.description), e.variant);
    }
    let _ = writeln!(out, "}}\n\nimpl EventType {{");
    let _ = writeln!(
        out,
        "    /// Every event type the spec lists, in its order.\n    pub const ALL: &'static [EventType] = &["
    );
    for e in events {
        let _ = writeln!(out, "        EventType::{},", e.variant);
    }
    let _ = writeln!(out, "    ];");
    // One `const fn` per property of the entries, each a `match` over the types.
    let properties: [(&str, &str, Property); 3] = [
        ("The type's name on the wire, e.g. `reservation.expired`.", "as_str", |e| &e.name),
        ("What the event means (the spec's description).", "description", |e| &e.description),
        ("The schema of the event's `data`, by its name under `components/schemas`.", "data_schema", |e| &e.schema),
    ];
    for (doc, method, value) in properties {
        let _ =
            writeln!(out, "\n    /// {doc}\n    pub const fn {method}(self) -> &'static str {{\n        match self {{");
        for e in events {
            let _ = writeln!(out, "            EventType::{} => {:?},", e.variant, value(e));
        }
        if events.is_empty() {
            let _ = writeln!(out, "            _ => \"\",");
        }
        let _ = writeln!(out, "        }}\n    }}");
    }
    let _ = writeln!(out, "}}\n");

    let _ = writeln!(
        out,
        "/// A webhook event, decoded: one variant per type the spec lists, each with its envelope and\n\
         /// its `data` in the resource's type; [`Event::Unknown`] for any other type.\n\
         #[derive(Debug, Clone, PartialEq)]\n#[non_exhaustive]\npub enum Event {{"
    );
    for e in events {
        let _ = writeln!(
            out,
            "    /// `{}`: {}\n    {}(Envelope<crate::types::{}>),",
            e.name,
            doc_line(&e.description),
            e.variant,
            e.schema
        );
    }
    let _ = writeln!(out, "    /// A type this version does not list, kept whole.\n    Unknown(UnknownEvent),\n}}\n");
    let _ = writeln!(
        out,
        "impl Event {{\n    /// Decodes an event from its JSON body: the variant of its `type`, or\n    \
         /// [`Event::Unknown`] for a type the spec does not list. An error means the body is not\n    \
         /// JSON, has no envelope, or its `data` does not fit the type's schema.\n    \
         pub fn from_slice(body: &[u8]) -> Result<Event, serde_json::Error> {{\n        \
         match EventType::from_name(&probe_type(body)?) {{"
    );
    for e in events {
        let _ = writeln!(
            out,
            "            Some(EventType::{v}) => serde_json::from_slice(body).map(Event::{v}),",
            v = e.variant
        );
    }
    let _ = writeln!(out, "            _ => UnknownEvent::from_slice(body).map(Event::Unknown),\n        }}\n    }}\n");
    let _ = writeln!(
        out,
        "    /// The event's type, or `None` for [`Event::Unknown`].\n    pub fn event_type(&self) -> Option<EventType> {{\n        match self {{"
    );
    for e in events {
        let _ = writeln!(out, "            Event::{v}(_) => Some(EventType::{v}),", v = e.variant);
    }
    let _ = writeln!(out, "            Event::Unknown(_) => None,\n        }}\n    }}\n");
    for (method, doc, expr, ty) in [
        ("id", "The event's id (the same on every delivery attempt): deduplicate by it.", "&e.id", "&str"),
        ("type_name", "The event's type as sent, e.g. `reservation.expired`.", "&e.event_type", "&str"),
        ("created_at", "When the change happened.", "e.created_at", "chrono::DateTime<chrono::Utc>"),
    ] {
        let _ = writeln!(out, "    /// {doc}\n    pub fn {method}(&self) -> {ty} {{\n        match self {{");
        for ev in events {
            let _ = writeln!(out, "            Event::{}(e) => {expr},", ev.variant);
        }
        let _ = writeln!(out, "            Event::Unknown(e) => {expr},\n        }}\n    }}\n");
    }
    let _ = writeln!(out, "}}");
    out
}
