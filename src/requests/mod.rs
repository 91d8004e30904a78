//! The pieces facade requests are made of: which account a call is about, shared fields
//! (account and amount, description, metadata, token counts, a date window) written once, and
//! the argument checks that run before any request is built.

mod account_ref;
pub(crate) mod parts;
pub(crate) mod validate;

pub(crate) use account_ref::AccountQuery;
pub use account_ref::AccountRef;
