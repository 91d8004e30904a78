//! Enums whose set of values the server may grow.
//!
//! The generated types use these in place of closed enums (see `OPEN_ENUMS` in `build.rs`):
//! a value this version of the SDK does not know decodes as `Unknown(value)` instead of
//! failing the whole response, and is sent back unchanged.

use std::borrow::Cow;
use std::convert::Infallible;
use std::fmt;
use std::str::FromStr;

macro_rules! open_enum {
    (
        $(#[$meta:meta])*
        $name:ident {
            $( $(#[$variant_meta:meta])* $variant:ident => $wire:literal, )+
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum $name {
            $( $(#[$variant_meta])* $variant, )+
            /// A value this version of the SDK does not know, kept as sent by the server.
            Unknown(String),
        }

        impl $name {
            /// The values this version of the SDK knows.
            pub const KNOWN: &'static [Self] = &[$(Self::$variant),+];

            /// The value as it appears on the wire.
            pub fn as_str(&self) -> &str {
                match self {
                    $( Self::$variant => $wire, )+
                    Self::Unknown(value) => value,
                }
            }

            /// Whether this is a value this version of the SDK does not know.
            pub fn is_unknown(&self) -> bool {
                matches!(self, Self::Unknown(_))
            }
        }

        impl FromStr for $name {
            type Err = Infallible;

            fn from_str(value: &str) -> Result<Self, Infallible> {
                Ok(match value {
                    $( $wire => Self::$variant, )+
                    other => Self::Unknown(other.to_owned()),
                })
            }
        }

        impl From<&str> for $name {
            fn from(value: &str) -> Self {
                match value.parse() {
                    Ok(parsed) => parsed,
                    Err(never) => match never {},
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.pad(self.as_str())
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let value = Cow::<'de, str>::deserialize(deserializer)?;
                Ok(Self::from(value.as_ref()))
            }
        }

        impl schemars::JsonSchema for $name {
            fn schema_name() -> Cow<'static, str> {
                Cow::Borrowed(stringify!($name))
            }

            fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
                schemars::json_schema!({
                    "type": "string",
                    "description": concat!("Known values: ", $($wire, " "),+, "; others may appear."),
                })
            }
        }
    };
}

open_enum! {
    /// Where a reservation is in its life.
    ReservationStatus {
        /// Credits are held; confirm or cancel it.
        Pending => "pending",
        /// Charged with the actual amount; the rest was released.
        Confirmed => "confirmed",
        /// Released without a charge.
        Cancelled => "cancelled",
        /// Lapsed unconfirmed; its credits were released.
        Expired => "expired",
    }
}

open_enum! {
    /// The direction of a ledger entry.
    TransactionType {
        /// Credits added to the balance.
        Credit => "credit",
        /// Credits taken from the balance.
        Debit => "debit",
    }
}

open_enum! {
    /// The kind of a model.
    ModelType {
        /// Text in, text out.
        Text => "text",
        /// Several input kinds (text, images, audio).
        Multimodal => "multimodal",
        /// Text to vectors.
        Embedding => "embedding",
        /// Speech to text or text to speech.
        Audio => "audio",
    }
}

open_enum! {
    /// What a usage record measures.
    UsageType {
        /// Text tokens.
        Text => "text",
        /// Speech to text, in seconds of audio.
        AudioStt => "audio_stt",
        /// Text to speech, in seconds of audio.
        AudioTts => "audio_tts",
        /// Embedding tokens.
        Embedding => "embedding",
    }
}

open_enum! {
    /// Whose usage a record is.
    UsageContext {
        /// An account's usage, tied to a transaction.
        Customer => "customer",
        /// Your own internal usage.
        System => "system",
    }
}

open_enum! {
    /// When an assigned plan starts granting credits.
    PlanStartMode {
        /// Grant the plan's credits now.
        Immediate => "immediate",
        /// Wait for the next billing period.
        NextPeriod => "next_period",
    }
}

open_enum! {
    /// The machine-readable code of an API error (`error.code` in the body), as
    /// `credits_sdk::Error::code` returns it. The codes are assumed: the public
    /// reference documents none, so a code this list does not know arrives as `Unknown`.
    ErrorCode {
        /// 400: the request is malformed or an argument is out of range.
        InvalidRequest => "invalid_request",
        /// 401: the API key is missing or wrong.
        Unauthorized => "unauthorized",
        /// 402: the account's available credits are fewer than asked for.
        InsufficientCredits => "insufficient_credits",
        /// 404: no account has this id or external id.
        AccountNotFound => "account_not_found",
        /// 404: no reservation has this id.
        ReservationNotFound => "reservation_not_found",
        /// 404: no plan has this id.
        PlanNotFound => "plan_not_found",
        /// 404: no model has this id.
        ModelNotFound => "model_not_found",
        /// 409: another account has this external id.
        DuplicateExternalId => "duplicate_external_id",
        /// 409: the reservation was already confirmed, cancelled or expired.
        ReservationNotPending => "reservation_not_pending",
        /// 409: the reservation expired before it was confirmed.
        ReservationExpired => "reservation_expired",
        /// 409: the plan is archived.
        PlanArchived => "plan_archived",
        /// 413: the request body is too large.
        PayloadTooLarge => "payload_too_large",
        /// 429: too many requests; retried by the pipeline.
        RateLimited => "rate_limited",
    }
}
