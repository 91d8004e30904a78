//! Models: the built-in price table and cost estimates.

use crate::client::CreditsClient;
use crate::error::{Error, Result};
use crate::open_enum::UsageType;
use crate::types;
use crate::validate;

/// Which models to list: every filter is optional.
///
/// ```
/// use credits_sdk::ModelFilter;
///
/// let flagships = ModelFilter::new().provider("openai").tier("flagship");
/// # let _ = flagships;
/// ```
#[derive(Clone, Debug, Default)]
#[must_use]
pub struct ModelFilter {
    provider: Option<String>,
    tier: Option<String>,
}

impl ModelFilter {
    /// Every model.
    pub fn new() -> Self {
        Self::default()
    }

    /// Only this provider's models, e.g. `openai`.
    pub fn provider(mut self, provider: impl Into<String>) -> Self {
        self.provider = Some(provider.into());
        self
    }

    /// Only this tier's models, e.g. `flagship`.
    pub fn tier(mut self, tier: impl Into<String>) -> Self {
        self.tier = Some(tier.into());
        self
    }
}

/// A model call to price: [`CostQuery::new`] with the model, then the counts.
///
/// ```
/// use credits_sdk::CostQuery;
///
/// let query = CostQuery::new("gpt-4o").tokens(5000, 1000).cached_tokens(2000);
/// # let _ = query;
/// ```
#[derive(Clone, Debug)]
#[must_use]
pub struct CostQuery {
    model_id: String,
    input_tokens: Option<u64>,
    output_tokens: Option<u64>,
    cached_tokens: Option<u64>,
    usage_type: Option<UsageType>,
    audio_seconds: Option<f64>,
}

impl CostQuery {
    /// A call to `model_id`.
    pub fn new(model_id: impl Into<String>) -> Self {
        Self {
            model_id: model_id.into(),
            input_tokens: None,
            output_tokens: None,
            cached_tokens: None,
            usage_type: None,
            audio_seconds: None,
        }
    }

    /// Input and output tokens.
    pub fn tokens(mut self, input: u64, output: u64) -> Self {
        self.input_tokens = Some(input);
        self.output_tokens = Some(output);
        self
    }

    /// Input tokens served from cache.
    pub fn cached_tokens(mut self, cached: u64) -> Self {
        self.cached_tokens = Some(cached);
        self
    }

    /// What is used (default `text`).
    pub fn usage_type(mut self, usage_type: UsageType) -> Self {
        self.usage_type = Some(usage_type);
        self
    }

    /// Seconds of audio, for audio usage types.
    pub fn audio_seconds(mut self, seconds: f64) -> Self {
        self.audio_seconds = Some(seconds);
        self
    }
}

impl CreditsClient {
    /// Lists every model with its prices (`GET /v1/models`).
    ///
    /// ```no_run
    /// # async fn run(client: credits_sdk::CreditsClient) -> credits_sdk::Result<()> {
    /// for model in client.list_models().await? {
    ///     println!("{} {:?}", model.model_id, model.pricing);
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn list_models(&self) -> Result<Vec<types::Model>> {
        self.list_models_filtered(ModelFilter::new()).await
    }

    /// Lists the models of one provider or tier (`GET /v1/models?provider=&tier=`).
    ///
    /// ```no_run
    /// # async fn run(client: credits_sdk::CreditsClient) -> credits_sdk::Result<()> {
    /// use credits_sdk::ModelFilter;
    /// let openai = client.list_models_filtered(ModelFilter::new().provider("openai")).await?;
    /// # Ok(()) }
    /// ```
    pub async fn list_models_filtered(&self, filter: ModelFilter) -> Result<Vec<types::Model>> {
        let mut request = self.api().list_models();
        if let Some(provider) = filter.provider {
            request = request.provider(provider);
        }
        if let Some(tier) = filter.tier {
            request = request.tier(tier);
        }
        Ok(self.call(request.send()).await?.models)
    }

    /// Gets one model and its prices (`GET /v1/models?modelId=`).
    ///
    /// ```no_run
    /// # async fn run(client: credits_sdk::CreditsClient) -> credits_sdk::Result<()> {
    /// let gpt4o = client.get_model("gpt-4o").await?;
    /// println!("{:?}", gpt4o.display_name);
    /// # Ok(()) }
    /// ```
    pub async fn get_model(&self, model_id: impl AsRef<str>) -> Result<types::Model> {
        let model_id = validate::non_empty("model id", model_id.as_ref())?;
        let (response, observed) = self.call_observed(self.api().list_models().model_id(model_id).send()).await;
        let response = response?;
        match response.model {
            Some(model) => Ok(model),
            None => Err(Error::missing_member(observed.status, "model", &response)),
        }
    }

    /// Estimates the USD cost of a model call without recording it (`POST /v1/models/calculate`).
    ///
    /// ```no_run
    /// # async fn run(client: credits_sdk::CreditsClient) -> credits_sdk::Result<()> {
    /// use credits_sdk::CostQuery;
    /// let estimate = client.calculate_cost(CostQuery::new("gpt-4o").tokens(5000, 1000)).await?;
    /// println!("${}", estimate.estimated_cost_usd);
    /// # Ok(()) }
    /// ```
    pub async fn calculate_cost(&self, query: CostQuery) -> Result<types::CalculateCostResponse> {
        let body = types::CalculateCostRequest {
            model_id: validate::non_empty("model id", &query.model_id)?,
            input_tokens: query.input_tokens,
            output_tokens: query.output_tokens,
            cached_tokens: query.cached_tokens,
            usage_type: query.usage_type,
            audio_duration_seconds: query.audio_seconds.map(validate::audio_seconds).transpose()?,
        };
        self.call(self.api().calculate_cost().body(body).send()).await
    }
}
