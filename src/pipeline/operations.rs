//! The operations of `openapi.yaml` as `build.rs` read them, with their vendor extensions.

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
}

/// Every operation of the spec, in path order.
pub const OPERATIONS: &[OperationSpec] = include!(concat!(env!("OUT_DIR"), "/operations.rs"));

/// Looks an operation up by its `operationId`.
pub fn find(operation_id: &str) -> Option<&'static OperationSpec> {
    OPERATIONS.iter().find(|op| op.operation_id == operation_id)
}
