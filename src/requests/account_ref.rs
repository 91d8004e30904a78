//! [`AccountRef`]: the choice between an account's own id and your external id.

use crate::api::types;
use crate::error::Result;

/// Names exactly one account: by the id Credits gave it (`acc_…`) or by your own user id.
///
/// The API takes `accountId` or `externalId`; this type makes sending both, or neither,
/// impossible.
///
/// ```
/// use credits_sdk::AccountRef;
///
/// let by_id = AccountRef::id("acc_abc123");
/// let by_yours = AccountRef::external("user_456");
/// assert_ne!(by_id, by_yours);
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum AccountRef {
    /// The account's id, e.g. `acc_abc123` (`accountId` on the wire).
    Id(String),
    /// Your own id of the account's user, e.g. `user_456` (`externalId` on the wire).
    External(String),
}

impl AccountRef {
    /// Names the account by the id Credits gave it.
    pub fn id(id: impl Into<String>) -> Self {
        AccountRef::Id(id.into())
    }

    /// Names the account by your own user id.
    pub fn external(external_id: impl Into<String>) -> Self {
        AccountRef::External(external_id.into())
    }

    /// `(accountId, externalId)` for a request, after checking the id is not empty.
    pub(crate) fn into_wire(self) -> Result<(Option<String>, Option<String>)> {
        match self {
            AccountRef::Id(id) => {
                crate::requests::validate::require_non_empty("account id", &id).map(|()| (Some(id), None))
            }
            AccountRef::External(id) => {
                crate::requests::validate::require_non_empty("external id", &id).map(|()| (None, Some(id)))
            }
        }
    }

    /// The account id, if this names one.
    pub fn account_id(&self) -> Option<&str> {
        match self {
            AccountRef::Id(id) => Some(id),
            AccountRef::External(_) => None,
        }
    }

    /// The external id, if this names one.
    pub fn external_id(&self) -> Option<&str> {
        match self {
            AccountRef::External(id) => Some(id),
            AccountRef::Id(_) => None,
        }
    }
}

impl From<&types::Account> for AccountRef {
    fn from(account: &types::Account) -> Self {
        AccountRef::Id(account.id.clone())
    }
}

impl From<&AccountRef> for AccountRef {
    fn from(account: &AccountRef) -> Self {
        account.clone()
    }
}

impl std::fmt::Display for AccountRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AccountRef::Id(id) => write!(f, "account {id}"),
            AccountRef::External(id) => write!(f, "external id {id}"),
        }
    }
}

/// Generated request builders that take `accountId` / `externalId` query parameters.
pub(crate) trait AccountQuery: Sized {
    /// Sets exactly one of the two parameters from `account`.
    fn for_account(self, account: &AccountRef) -> Result<Self>;
}

macro_rules! account_query {
    ($($builder:ident),+) => {$(
        impl AccountQuery for crate::api::builder::$builder<'_> {
            fn for_account(self, account: &AccountRef) -> Result<Self> {
                Ok(match account.clone().into_wire()? {
                    (Some(id), _) => self.account_id(id),
                    (_, Some(id)) => self.external_id(id),
                    (None, None) => self,
                })
            }
        }
    )+};
}

account_query!(GetAccount, GetBalance, GetAccountPlans, ListReservations, ListTransactions, GetUsage);
