//! Models: the built-in price table (as the spec's generated `Model`) and the cost formula
//! shared by usage records and cost estimates.

use std::sync::LazyLock;

use credits_types::types::{AudioPricing, FlatPricing, Model, ModelPricing, TokenPricing};
use credits_types::{ModelType, UsageType, Usd};
use rust_decimal::Decimal;

use crate::error::ApiError;
use crate::money;
use crate::spec::wire;

/// A price in USD: `usd(25, 1)` is 2.5.
fn usd(mantissa: i64, scale: u32) -> Usd {
    Usd::from_decimal(Decimal::new(mantissa, scale))
}

/// Token prices per million: input, output and cached input.
fn text(input: Usd, output: Usd, cached: Usd) -> Result<Option<TokenPricing>, ApiError> {
    wire!(TokenPricing {
        input_per_million: Some(input),
        output_per_million: Some(output),
        cached_input_per_million: Some(cached),
    })
    .map(Some)
}

/// A price per audio second.
fn per_second(price: Usd) -> Result<Option<AudioPricing>, ApiError> {
    wire!(AudioPricing { per_second: Some(price) }).map(Some)
}

fn model(
    id: &str,
    provider: &str,
    name: &str,
    kind: ModelType,
    tier: &str,
    pricing: ModelPricing,
) -> Result<Model, ApiError> {
    wire!(Model {
        model_id: id.to_string(),
        provider: Some(provider.to_string()),
        display_name: Some(name.to_string()),
        model_type: Some(kind),
        tier: Some(tier.to_string()),
        pricing: Some(pricing),
    })
}

/// Every model the sandbox knows, with USD prices (per million tokens, or per audio second).
/// Prices a model lacks are left out (`None`). Built once, on first use: every cost request
/// and usage record looks its model up here.
pub fn catalogue() -> Result<&'static [Model], ApiError> {
    static CATALOGUE: LazyLock<Result<Vec<Model>, ApiError>> = LazyLock::new(build_catalogue);
    CATALOGUE.as_deref().map_err(Clone::clone)
}

fn build_catalogue() -> Result<Vec<Model>, ApiError> {
    Ok(vec![
        model(
            "gpt-4o",
            "openai",
            "GPT-4o",
            ModelType::Multimodal,
            "flagship",
            wire!(ModelPricing { text: text(usd(25, 1), usd(10, 0), usd(125, 2))?, context_window: Some(128_000) })?,
        )?,
        model(
            "gpt-4o-mini",
            "openai",
            "GPT-4o mini",
            ModelType::Multimodal,
            "efficient",
            wire!(ModelPricing { text: text(usd(15, 2), usd(6, 1), usd(75, 3))?, context_window: Some(128_000) })?,
        )?,
        model(
            "claude-3-5-sonnet",
            "anthropic",
            "Claude 3.5 Sonnet",
            ModelType::Text,
            "flagship",
            wire!(ModelPricing { text: text(usd(3, 0), usd(15, 0), usd(3, 1))?, context_window: Some(200_000) })?,
        )?,
        model(
            "claude-3-5-haiku",
            "anthropic",
            "Claude 3.5 Haiku",
            ModelType::Text,
            "efficient",
            wire!(ModelPricing { text: text(usd(8, 1), usd(4, 0), usd(8, 2))?, context_window: Some(200_000) })?,
        )?,
        model(
            "text-embedding-3-small",
            "openai",
            "Text Embedding 3 Small",
            ModelType::Embedding,
            "efficient",
            wire!(ModelPricing { embedding: text(usd(2, 2), usd(0, 0), usd(0, 0))?, context_window: Some(8_191) })?,
        )?,
        model(
            "whisper-1",
            "openai",
            "Whisper",
            ModelType::Audio,
            "standard",
            wire!(ModelPricing { audio_stt: per_second(usd(1, 4))? })?,
        )?,
        model(
            "tts-1",
            "openai",
            "TTS",
            ModelType::Audio,
            "standard",
            wire!(ModelPricing { audio_tts: per_second(usd(25, 5))? })?,
        )?,
    ])
}

/// Looks a model up by id: 404 `model_not_found` when unknown.
pub fn find(model_id: &str) -> Result<Model, ApiError> {
    catalogue()?
        .iter()
        .find(|m| m.model_id == model_id)
        .cloned()
        .ok_or_else(|| ApiError::not_found("model_not_found", format!("no model `{model_id}`")))
}

/// What a call used, as given by a usage record or a cost request.
#[derive(Debug, Clone, Default)]
pub struct Usage {
    /// Requested usage type; `None` picks the model's own kind.
    pub usage_type: Option<UsageType>,
    /// Input tokens, cached ones included.
    pub input_tokens: u64,
    /// Output tokens.
    pub output_tokens: u64,
    /// Cached input tokens (a part of `input_tokens`).
    pub cached_tokens: u64,
    /// Seconds of audio.
    pub audio_seconds: Option<Decimal>,
}

/// A priced call: its usage type, cost and the flat prices used.
#[derive(Debug, Clone)]
pub struct Cost {
    /// The usage type priced.
    pub usage_type: UsageType,
    /// USD, exact.
    pub usd: Decimal,
    /// The prices used.
    pub pricing: FlatPricing,
}

/// The usage type a model is priced by when the caller does not say.
fn natural_type(pricing: &ModelPricing) -> UsageType {
    if pricing.text.is_some() {
        UsageType::Text
    } else if pricing.embedding.is_some() {
        UsageType::Embedding
    } else if pricing.audio_stt.is_some() {
        UsageType::AudioStt
    } else {
        UsageType::AudioTts
    }
}

/// 400 for a cost that a `Decimal` cannot hold exactly. Unreachable with the documented input
/// limits and the built-in prices; kept so that no path can round.
fn too_large() -> ApiError {
    ApiError::invalid("the cost of this usage is too large to compute exactly")
}

/// A catalogue price as a decimal (an absent one is free).
fn price(value: Option<Usd>) -> Decimal {
    value.map_or(Decimal::ZERO, Usd::to_decimal)
}

/// Prices `usage` with `model`, in exact decimal arithmetic: uncached input at
/// `inputPerMillion`, output at `outputPerMillion`, cached input free; audio at `perSecond`.
/// 400 `invalid_request` when the model has no price for the usage type, cached tokens exceed
/// input tokens, or an audio type comes without `audioDurationSeconds`.
pub fn cost(model: &Model, usage: &Usage) -> Result<Cost, ApiError> {
    let pricing = model.pricing.clone().unwrap_or_default();
    let usage_type = usage.usage_type.clone().unwrap_or_else(|| natural_type(&pricing));
    let no_price = || ApiError::invalid(format!("model `{}` has no {usage_type} pricing", model.model_id));
    let tokens = |prices: Option<TokenPricing>| -> Result<Cost, ApiError> {
        let prices = prices.ok_or_else(no_price)?;
        if usage.cached_tokens > usage.input_tokens {
            return Err(ApiError::invalid("cachedTokens must not exceed inputTokens"));
        }
        let uncached = Decimal::from(usage.input_tokens - usage.cached_tokens);
        let output = Decimal::from(usage.output_tokens);
        let per_million = |count: Decimal, price: Decimal| money::mul(count, price).and_then(|x| money::shift(x, 6));
        let usd = per_million(uncached, price(prices.input_per_million))
            .zip(per_million(output, price(prices.output_per_million)))
            .and_then(|(input, output)| money::add(input, output))
            .ok_or_else(too_large)?;
        Ok(Cost {
            usage_type: usage_type.clone(),
            usd,
            pricing: wire!(FlatPricing {
                input_per_million: prices.input_per_million,
                output_per_million: prices.output_per_million,
                cached_input_per_million: prices.cached_input_per_million,
            })?,
        })
    };
    let audio = |prices: Option<AudioPricing>| -> Result<Cost, ApiError> {
        let prices = prices.ok_or_else(no_price)?;
        let seconds =
            usage.audio_seconds.ok_or_else(|| ApiError::invalid("audioDurationSeconds is required for audio usage"))?;
        let usd = money::mul(seconds, price(prices.per_second)).ok_or_else(too_large)?;
        Ok(Cost { usage_type: usage_type.clone(), usd, pricing: wire!(FlatPricing { per_second: prices.per_second })? })
    };
    match &usage_type {
        UsageType::Text => tokens(pricing.text),
        UsageType::Embedding => tokens(pricing.embedding),
        UsageType::AudioStt => audio(pricing.audio_stt),
        UsageType::AudioTts => audio(pricing.audio_tts),
        other => Err(ApiError::invalid(format!("`usageType` has an unknown value `{other}`"))),
    }
}

/// Validates token counts (int64 range) of a request; `audio_seconds` was read exactly and
/// checked (0 to 2^53 − 1, at most [`money::MAX_SECONDS_PLACES`] decimal places) from the
/// request's text.
pub fn usage_from_request(
    usage_type: Option<UsageType>,
    input: Option<u64>,
    output: Option<u64>,
    cached: Option<u64>,
    audio_seconds: Option<Decimal>,
) -> Result<Usage, ApiError> {
    for (name, value) in [("inputTokens", input), ("outputTokens", output), ("cachedTokens", cached)] {
        if value.is_some_and(|v| v > i64::MAX as u64) {
            return Err(ApiError::invalid(format!("`{name}` is out of range")));
        }
    }
    if let Some(kind) = usage_type.as_ref().filter(|kind| kind.is_unknown()) {
        return Err(ApiError::invalid(format!("`usageType` has an unknown value `{kind}`")));
    }
    Ok(Usage {
        usage_type,
        input_tokens: input.unwrap_or(0),
        output_tokens: output.unwrap_or(0),
        cached_tokens: cached.unwrap_or(0),
        audio_seconds,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(text: &str) -> Decimal {
        Decimal::from_str_exact(text).unwrap()
    }

    #[test]
    fn documented_gpt_4o_example_costs_exactly_0_0175() {
        let model = find("gpt-4o").unwrap();
        let usage = Usage { input_tokens: 5000, output_tokens: 1000, cached_tokens: 2000, ..Usage::default() };
        assert_eq!(cost(&model, &usage).unwrap().usd, d("0.0175"));
    }

    #[test]
    fn audio_is_priced_per_second_exactly() {
        let model = find("whisper-1").unwrap();
        let usage = Usage { audio_seconds: Some(d("60")), ..Usage::default() };
        let cost = cost(&model, &usage).unwrap();
        assert_eq!(cost.usage_type, UsageType::AudioStt);
        assert_eq!(cost.usd, d("0.006"));
    }

    #[test]
    fn the_largest_inputs_still_cost_exactly() {
        for model in catalogue().unwrap() {
            let usage = Usage {
                input_tokens: i64::MAX as u64,
                output_tokens: i64::MAX as u64,
                cached_tokens: 1,
                audio_seconds: Some(d("999999999.999999")),
                ..Usage::default()
            };
            assert!(cost(model, &usage).is_ok(), "{}", model.model_id);
        }
    }
}
