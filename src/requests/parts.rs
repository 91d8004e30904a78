//! Fields that several requests share, each written once: the account and amount of a
//! movement of credits, a description, metadata, token counts and a date window. Request
//! types hold these parts and get their setters from the macros below.

use chrono::{DateTime, Utc};

use crate::error::{Error, Result};
use crate::requests::AccountRef;
use crate::requests::validate::{self, Metadata};
use crate::values::{Amount, InvalidAmount, UsageType};

/// The account a movement of credits is about, and how much.
#[derive(Clone, Debug)]
pub(crate) struct AccountAmount {
    pub(crate) account: AccountRef,
    amount: std::result::Result<Amount, InvalidAmount>,
}

impl AccountAmount {
    pub(crate) fn new(account: impl Into<AccountRef>, amount: impl TryInto<Amount, Error = InvalidAmount>) -> Self {
        Self { account: account.into(), amount: amount.try_into() }
    }

    /// The checked amount.
    pub(crate) fn amount(&self) -> Result<Amount> {
        validate::amount("amount", &self.amount)
    }

    /// `(accountId, externalId, amount)` as the API takes them, checked.
    pub(crate) fn into_wire(self) -> Result<(Option<String>, Option<String>, Amount)> {
        let amount = self.amount()?;
        let (account_id, external_id) = self.account.into_wire()?;
        Ok((account_id, external_id, amount))
    }
}

/// Metadata kept as given until the request is built, so that a value that is not a JSON
/// object is reported by the call that sends it.
#[derive(Clone, Debug, Default)]
pub(crate) struct PendingMetadata(Option<std::result::Result<Metadata, String>>);

impl PendingMetadata {
    pub(crate) fn set(&mut self, value: impl serde::Serialize) {
        self.0 = Some(validate::metadata(value).map_err(|e| match e {
            Error::InvalidInput(message) => message,
            other => other.to_string(),
        }));
    }

    /// Adds the SDK's own `tags` (a key already set by the caller is refused: the SDK owns it).
    pub(crate) fn tag(&mut self, tags: &[(&str, &str)]) -> Result<()> {
        let mut map = self.get()?.unwrap_or_default();
        for (key, value) in tags {
            if map.contains_key(*key) {
                return Err(Error::invalid(format!("the metadata key `{key}` is reserved for the SDK's own tag")));
            }
            map.insert((*key).to_owned(), serde_json::Value::String((*value).to_owned()));
        }
        self.0 = Some(Ok(map));
        Ok(())
    }

    pub(crate) fn get(&self) -> Result<Option<Metadata>> {
        match &self.0 {
            None => Ok(None),
            Some(Ok(map)) => Ok(Some(map.clone())),
            Some(Err(message)) => Err(Error::InvalidInput(message.clone())),
        }
    }
}

/// What a model was used for: the usage type, token counts and audio seconds, shared by
/// recording usage and estimating its cost.
#[derive(Clone, Debug, Default)]
pub(crate) struct TokenCounts {
    pub(crate) usage_type: Option<UsageType>,
    pub(crate) input: Option<u64>,
    pub(crate) output: Option<u64>,
    pub(crate) cached: Option<u64>,
    pub(crate) audio_seconds: Option<f64>,
}

impl TokenCounts {
    /// Seconds of audio, checked.
    pub(crate) fn audio_seconds(&self) -> Result<Option<f64>> {
        self.audio_seconds.map(validate::audio_seconds).transpose()
    }
}

/// A window of time, both ends optional.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct DateWindow {
    pub(crate) start: Option<DateTime<Utc>>,
    pub(crate) end: Option<DateTime<Utc>>,
}

/// `description(..)`: sets `self.description`.
macro_rules! description_setter {
    ($doc:literal) => {
        #[doc = $doc]
        pub fn description(mut self, description: impl Into<String>) -> Self {
            self.description = Some(description.into());
            self
        }
    };
}

/// `metadata(..)`: sets `self.metadata`, a [`PendingMetadata`].
macro_rules! metadata_setter {
    () => {
        /// Any value that serializes to a JSON object, e.g. `serde_json::json!({"k": "v"})`.
        pub fn metadata(mut self, metadata: impl serde::Serialize) -> Self {
            self.metadata.set(metadata);
            self
        }
    };
}

/// `usage_type`, `tokens`, `cached_tokens`, `audio_seconds`: set `self.counts`, a
/// [`TokenCounts`].
macro_rules! token_setters {
    () => {
        /// What the model was used for; `text` when not set.
        pub fn usage_type(mut self, usage_type: crate::values::UsageType) -> Self {
            self.counts.usage_type = Some(usage_type);
            self
        }

        /// Input and output tokens.
        pub fn tokens(mut self, input: u64, output: u64) -> Self {
            self.counts.input = Some(input);
            self.counts.output = Some(output);
            self
        }

        /// Input tokens served from the provider's cache.
        pub fn cached_tokens(mut self, cached: u64) -> Self {
            self.counts.cached = Some(cached);
            self
        }

        /// Seconds of audio, for `audio_stt` and `audio_tts` (finite, not negative).
        pub fn audio_seconds(mut self, seconds: f64) -> Self {
            self.counts.audio_seconds = Some(seconds);
            self
        }
    };
}

/// `between(start, end)`: sets `self.window`, a [`DateWindow`].
macro_rules! window_setter {
    () => {
        /// Only what happened from `start` to `end` (inclusive).
        pub fn between(mut self, start: chrono::DateTime<chrono::Utc>, end: chrono::DateTime<chrono::Utc>) -> Self {
            self.window = crate::requests::parts::DateWindow { start: Some(start), end: Some(end) };
            self
        }
    };
}

pub(crate) use {description_setter, metadata_setter, token_setters, window_setter};
