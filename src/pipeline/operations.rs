//! The operations of `openapi.yaml` as `build.rs` read them, with their vendor extensions and
//! the fields the spec declares for them.

/// One operation of the spec.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OperationSpec {
    /// The operation's `operationId`, also the generated method's name.
    pub operation_id: &'static str,
    /// The HTTP method, upper case.
    pub method: &'static str,
    /// The path, e.g. `/v1/reservations/confirm`.
    pub path: &'static str,
    /// `x-credits-retry-safe`: whether repeating the request can never apply it twice.
    pub retry_safe: bool,
    /// `x-credits-facade`: the [`CreditsClient`](crate) methods that wrap this operation
    /// (more than one where the API overloads one path with two operations).
    pub facade_methods: &'static [&'static str],
    /// Whether the operation sends a JSON body.
    pub json_body: bool,
    /// The top-level fields the spec declares for the request body.
    pub body_fields: &'static [&'static str],
    /// The query parameters the spec declares.
    pub query_params: &'static [&'static str],
    /// What the spec declares of the success response's body.
    pub response: &'static Shape,
}

/// What the spec declares of a JSON value: enough to tell declared fields from others.
#[derive(Debug, PartialEq, Eq)]
pub enum Shape {
    /// A scalar, or anything whose inside the spec leaves open.
    Any,
    /// An object with these declared properties (sorted by name); other keys are allowed (and
    /// take the shape `rest`) only when the spec says so (`additionalProperties`).
    Object {
        /// The declared properties and their shapes, sorted by name.
        fields: &'static [(&'static str, &'static Shape)],
        /// The shape of any other key, when the spec allows other keys.
        rest: Option<&'static Shape>,
    },
    /// An array of values of one shape.
    Array(&'static Shape),
}

static ANY: Shape = Shape::Any;

include!(concat!(env!("OUT_DIR"), "/operations.rs"));

/// Looks an operation up by its `operationId`.
pub fn find(operation_id: &str) -> Option<&'static OperationSpec> {
    OPERATIONS.iter().find(|op| op.operation_id == operation_id)
}
