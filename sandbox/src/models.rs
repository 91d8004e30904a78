//! The built-in model price table and the cost formula shared by usage and cost estimates.

use crate::error::ApiError;
use crate::wire::{AudioPricing, FlatPricing, Model, ModelPricing, TokenPricing, UsageType};

fn text(input: f64, output: f64, cached: f64) -> Option<TokenPricing> {
    Some(TokenPricing { input_per_million: input, output_per_million: output, cached_input_per_million: cached })
}

fn model(id: &str, provider: &str, name: &str, kind: &str, tier: &str, pricing: ModelPricing) -> Model {
    Model {
        model_id: id.into(),
        provider: provider.into(),
        display_name: name.into(),
        model_type: kind.into(),
        tier: tier.into(),
        pricing,
    }
}

const NO_PRICES: ModelPricing =
    ModelPricing { text: None, embedding: None, audio_stt: None, audio_tts: None, context_window: None };

/// Every model the sandbox knows, with USD prices (per million tokens, or per audio second).
pub fn catalogue() -> Vec<Model> {
    vec![
        model(
            "gpt-4o",
            "openai",
            "GPT-4o",
            "multimodal",
            "flagship",
            ModelPricing { text: text(2.5, 10.0, 1.25), context_window: Some(128_000), ..NO_PRICES },
        ),
        model(
            "gpt-4o-mini",
            "openai",
            "GPT-4o mini",
            "multimodal",
            "efficient",
            ModelPricing { text: text(0.15, 0.6, 0.075), context_window: Some(128_000), ..NO_PRICES },
        ),
        model(
            "claude-3-5-sonnet",
            "anthropic",
            "Claude 3.5 Sonnet",
            "text",
            "flagship",
            ModelPricing { text: text(3.0, 15.0, 0.3), context_window: Some(200_000), ..NO_PRICES },
        ),
        model(
            "claude-3-5-haiku",
            "anthropic",
            "Claude 3.5 Haiku",
            "text",
            "efficient",
            ModelPricing { text: text(0.8, 4.0, 0.08), context_window: Some(200_000), ..NO_PRICES },
        ),
        model(
            "text-embedding-3-small",
            "openai",
            "Text Embedding 3 Small",
            "embedding",
            "efficient",
            ModelPricing {
                embedding: Some(TokenPricing {
                    input_per_million: 0.02,
                    output_per_million: 0.0,
                    cached_input_per_million: 0.0,
                }),
                context_window: Some(8_191),
                ..NO_PRICES
            },
        ),
        model(
            "whisper-1",
            "openai",
            "Whisper",
            "audio",
            "standard",
            ModelPricing { audio_stt: Some(AudioPricing { per_second: 0.0001 }), ..NO_PRICES },
        ),
        model(
            "tts-1",
            "openai",
            "TTS",
            "audio",
            "standard",
            ModelPricing { audio_tts: Some(AudioPricing { per_second: 0.00025 }), ..NO_PRICES },
        ),
    ]
}

/// Looks a model up by id: 404 `model_not_found` when unknown.
pub fn find(model_id: &str) -> Result<Model, ApiError> {
    catalogue()
        .into_iter()
        .find(|m| m.model_id == model_id)
        .ok_or_else(|| ApiError::not_found("model_not_found", format!("no model `{model_id}`")))
}

/// What a call used, as given by a usage record or a cost request.
#[derive(Debug, Clone, Copy, Default)]
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
    pub audio_seconds: Option<f64>,
}

/// A priced call: its usage type, cost and the flat prices used.
#[derive(Debug, Clone)]
pub struct Cost {
    /// The usage type priced.
    pub usage_type: UsageType,
    /// USD.
    pub usd: f64,
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

/// Rounds away float noise (0.0075 + 0.01 gives 0.0175, not 0.017499999999999998).
fn tidy(usd: f64) -> f64 {
    if usd.abs() < 1e6 { (usd * 1e12).round() / 1e12 } else { usd }
}

/// Prices `usage` with `model`: uncached input at `inputPerMillion`, output at
/// `outputPerMillion`, cached input free; audio at `perSecond`. 400 `invalid_request` when
/// the model has no price for the usage type, cached tokens exceed input tokens, or an
/// audio type comes without `audioDurationSeconds`.
pub fn cost(model: &Model, usage: Usage) -> Result<Cost, ApiError> {
    let usage_type = usage.usage_type.unwrap_or_else(|| natural_type(&model.pricing));
    let no_price = || ApiError::invalid(format!("model `{}` has no {:?} pricing", model.model_id, usage_type));
    let tokens = |prices: Option<TokenPricing>| -> Result<Cost, ApiError> {
        let prices = prices.ok_or_else(no_price)?;
        if usage.cached_tokens > usage.input_tokens {
            return Err(ApiError::invalid("cachedTokens must not exceed inputTokens"));
        }
        let uncached = (usage.input_tokens - usage.cached_tokens) as f64;
        let usd =
            uncached * prices.input_per_million / 1e6 + usage.output_tokens as f64 * prices.output_per_million / 1e6;
        Ok(Cost {
            usage_type,
            usd: tidy(usd),
            pricing: FlatPricing {
                input_per_million: Some(prices.input_per_million),
                output_per_million: Some(prices.output_per_million),
                cached_input_per_million: Some(prices.cached_input_per_million),
                per_second: None,
            },
        })
    };
    let audio = |prices: Option<AudioPricing>| -> Result<Cost, ApiError> {
        let prices = prices.ok_or_else(no_price)?;
        let seconds =
            usage.audio_seconds.ok_or_else(|| ApiError::invalid("audioDurationSeconds is required for audio usage"))?;
        let usd = seconds * prices.per_second;
        if !usd.is_finite() {
            return Err(ApiError::invalid("audioDurationSeconds is too large"));
        }
        Ok(Cost {
            usage_type,
            usd: tidy(usd),
            pricing: FlatPricing { per_second: Some(prices.per_second), ..FlatPricing::default() },
        })
    };
    match usage_type {
        UsageType::Text => tokens(model.pricing.text),
        UsageType::Embedding => tokens(model.pricing.embedding),
        UsageType::AudioStt => audio(model.pricing.audio_stt),
        UsageType::AudioTts => audio(model.pricing.audio_tts),
    }
}

/// Validates token counts and audio seconds of a request (int64 range, finite, >= 0).
pub fn usage_from_request(
    usage_type: Option<UsageType>,
    input: Option<u64>,
    output: Option<u64>,
    cached: Option<u64>,
    audio_seconds: Option<f64>,
) -> Result<Usage, ApiError> {
    for (name, value) in [("inputTokens", input), ("outputTokens", output), ("cachedTokens", cached)] {
        if value.is_some_and(|v| v > i64::MAX as u64) {
            return Err(ApiError::invalid(format!("`{name}` is out of range")));
        }
    }
    if let Some(seconds) = audio_seconds
        && !(seconds.is_finite() && seconds >= 0.0)
    {
        return Err(ApiError::invalid("`audioDurationSeconds` must be a number >= 0"));
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

    #[test]
    fn documented_gpt_4o_example_costs_0_0175() {
        let model = find("gpt-4o").unwrap();
        let usage = Usage { input_tokens: 5000, output_tokens: 1000, cached_tokens: 2000, ..Usage::default() };
        assert_eq!(cost(&model, usage).unwrap().usd, 0.0175);
    }

    #[test]
    fn audio_is_priced_per_second() {
        let model = find("whisper-1").unwrap();
        let usage = Usage { audio_seconds: Some(60.0), ..Usage::default() };
        let cost = cost(&model, usage).unwrap();
        assert_eq!(cost.usage_type, UsageType::AudioStt);
        assert!((cost.usd - 0.006).abs() < 1e-12);
    }
}
