//! Models: the built-in price table and cost estimates.

use crate::api::types;
use crate::client::CreditsClient;
use crate::error::{Error, Result};
use crate::requests::parts::{TokenCounts, token_setters};
use crate::requests::validate;

/// Which models to list: every filter is optional.
///
/// ```
/// use credits_sdk::ListModels;
///
/// let flagships = ListModels::new().provider("openai").tier("flagship");
/// # let _ = flagships;
/// ```
#[derive(Clone, Debug, Default)]
#[must_use]
pub struct ListModels {
    provider: Option<String>,
    tier: Option<String>,
}

impl ListModels {
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

/// A model call to price: [`CalculateCost::new`] with the model, then the counts.
///
/// ```
/// use credits_sdk::CalculateCost;
///
/// let query = CalculateCost::new("gpt-4o").tokens(5000, 1000).cached_tokens(2000);
/// # let _ = query;
/// ```
#[derive(Clone, Debug)]
#[must_use]
pub struct CalculateCost {
    model_id: String,
    counts: TokenCounts,
}

impl CalculateCost {
    /// An estimate for `model_id`; add what was used with the setters.
    pub fn new(model_id: impl Into<String>) -> Self {
        Self { model_id: model_id.into(), counts: TokenCounts::default() }
    }

    token_setters!();
}

impl CreditsClient {
    /// Lists the models with their prices (`GET /v1/models`), all of them with
    /// `ListModels::new()`, or those of one provider or tier.
    ///
    /// ```no_run
    /// # async fn run(client: credits_sdk::CreditsClient) -> credits_sdk::Result<()> {
    /// use credits_sdk::ListModels;
    /// for model in client.list_models(ListModels::new()).await? {
    ///     println!("{} {:?}", model.model_id, model.pricing);
    /// }
    /// let openai = client.list_models(ListModels::new().provider("openai")).await?;
    /// # Ok(()) }
    /// ```
    pub async fn list_models(&self, filter: ListModels) -> Result<Vec<types::Model>> {
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
    /// use credits_sdk::CalculateCost;
    /// let estimate = client.calculate_cost(CalculateCost::new("gpt-4o").tokens(5000, 1000)).await?;
    /// println!("${}", estimate.estimated_cost_usd);
    /// # Ok(()) }
    /// ```
    pub async fn calculate_cost(&self, query: CalculateCost) -> Result<types::CalculateCostResponse> {
        let body = types::CalculateCostRequest {
            model_id: validate::non_empty("model id", &query.model_id)?,
            audio_duration_seconds: query.counts.audio_seconds()?,
            input_tokens: query.counts.input,
            output_tokens: query.counts.output,
            cached_tokens: query.counts.cached,
            usage_type: query.counts.usage_type,
        };
        self.call(self.api().calculate_cost().body(body).send()).await
    }
}
