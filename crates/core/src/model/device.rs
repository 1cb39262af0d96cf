//! The device authorization grant (RFC 8628): a request a device started, waiting for a
//! person to approve it in a browser. The device code is stored only as a SHA-256 digest.

use super::{ClientId, Timestamp, UserId};
use crate::scope::Scope;

/// Where a device authorization stands.
#[derive(Clone, Copy, Debug, Eq, PartialEq)]
pub enum DeviceState {
    /// Waiting for the user.
    Pending,
    /// The user allowed it; the device may redeem it once.
    Approved,
    /// The user refused it.
    Denied,
    /// The device got its tokens.
    Redeemed,
}

impl DeviceState {
    /// The name stored.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Approved => "approved",
            Self::Denied => "denied",
            Self::Redeemed => "redeemed",
        }
    }

    /// Parses a stored name.
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "pending" => Some(Self::Pending),
            "approved" => Some(Self::Approved),
            "denied" => Some(Self::Denied),
            "redeemed" => Some(Self::Redeemed),
            _ => None,
        }
    }
}

/// Who approved a device authorization, and how they had signed in (for the ID token).
#[derive(Clone, Debug, Eq, PartialEq)]
pub struct DeviceApproval {
    /// The user.
    pub user_id: UserId,
    /// When they authenticated.
    pub auth_time: Timestamp,
    /// How (`amr`).
    pub amr: Vec<String>,
    /// The authentication context class reached (`acr`).
    pub acr: Option<String>,
}

/// A device authorization request (RFC 8628 §3.1–3.5).
#[derive(Clone, Debug, Eq, PartialEq)]
#[non_exhaustive]
pub struct DeviceAuthorization {
    /// SHA-256 of the device code (256 random bits), the key the device polls with.
    pub device_code_hash: Vec<u8>,
    /// The code the user types, normalized (`BCDFGHJK`: eight letters without vowels),
    /// unique among live requests.
    pub user_code: String,
    /// The client that asked.
    pub client_id: ClientId,
    /// The scope asked for (checked against the client's).
    pub scope: Scope,
    /// When the device asked.
    pub created_at: Timestamp,
    /// Unusable after this.
    pub expires_at: Timestamp,
    /// The least time between two polls, in seconds (grows by 5 at each `slow_down`).
    pub interval_secs: i64,
    /// The last poll, if any.
    pub last_polled_at: Option<Timestamp>,
    /// Where it stands.
    pub state: DeviceState,
    /// Who approved it (set with [`DeviceState::Approved`], kept after redemption).
    pub approval: Option<DeviceApproval>,
}

impl DeviceAuthorization {
    /// A new pending request.
    #[allow(clippy::too_many_arguments)]
    pub fn pending(
        device_code_hash: Vec<u8>,
        user_code: String,
        client_id: ClientId,
        scope: Scope,
        created_at: Timestamp,
        expires_at: Timestamp,
        interval_secs: i64,
    ) -> Self {
        Self {
            device_code_hash,
            user_code,
            client_id,
            scope,
            created_at,
            expires_at,
            interval_secs,
            last_polled_at: None,
            state: DeviceState::Pending,
            approval: None,
        }
    }
}
