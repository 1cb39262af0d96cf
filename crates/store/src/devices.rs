//! Device authorization requests (RFC 8628), shared by both backends: the column list of a
//! request, the decoding of its row, and how long the purge keeps one past its expiry.

use tessera_core::StoreError;
use tessera_core::model::{DeviceApproval, DeviceAuthorization, DeviceState, Timestamp};

use crate::codec::{decode_list, parse_scope};

/// The columns every `SELECT` (or `RETURNING`) of a request names, in this order.
pub(crate) const COLUMNS: &str = "device_code_hash, user_code, client_id, scope, created_at, \
     expires_at, interval_secs, last_polled_at, state, user_id, auth_time, amr, acr";

/// How long a request is kept past its expiry (seconds), as the purge keeps it: a device
/// that polls a little late still hears `expired_token` rather than `invalid_grant`.
pub(crate) const KEPT_SECS: i64 = 3_600;

/// A `device_authorizations` row as read, in the order of [`COLUMNS`].
pub(crate) struct Row {
    pub device_code_hash: Vec<u8>,
    pub user_code: String,
    pub client_id: String,
    pub scope: String,
    pub created_at: i64,
    pub expires_at: i64,
    pub interval_secs: i64,
    pub last_polled_at: Option<i64>,
    pub state: String,
    pub user_id: Option<String>,
    pub auth_time: Option<i64>,
    pub amr: String,
    pub acr: Option<String>,
}

impl Row {
    /// The request, or [`StoreError::Corrupt`] for an unknown state, a malformed scope or
    /// `amr`, or an approval without its user or time.
    pub(crate) fn decode(self) -> Result<DeviceAuthorization, StoreError> {
        let state = DeviceState::parse(&self.state)
            .ok_or_else(|| StoreError::corrupt(format!("unknown device state {:?}", self.state)))?;
        let approval = match (self.user_id, self.auth_time) {
            (Some(user_id), Some(auth_time)) => Some(DeviceApproval {
                user_id: user_id.into(),
                auth_time: Timestamp::from_secs(auth_time),
                amr: decode_list(&self.amr, "device_authorizations.amr")?,
                acr: self.acr,
            }),
            (None, None) => None,
            _ => {
                return Err(StoreError::corrupt(
                    "device_authorizations: an approval without its user or time",
                ));
            }
        };
        let mut request = DeviceAuthorization::pending(
            self.device_code_hash,
            self.user_code,
            self.client_id.into(),
            parse_scope(&self.scope)?,
            Timestamp::from_secs(self.created_at),
            Timestamp::from_secs(self.expires_at),
            self.interval_secs,
        );
        request.last_polled_at = self.last_polled_at.map(Timestamp::from_secs);
        request.state = state;
        request.approval = approval;
        Ok(request)
    }
}

/// The state a decision moves a pending request to: approved with an approval, denied
/// without.
pub(crate) fn decided(approval: Option<&DeviceApproval>) -> DeviceState {
    if approval.is_some() {
        DeviceState::Approved
    } else {
        DeviceState::Denied
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row() -> Row {
        Row {
            device_code_hash: vec![1; 32],
            user_code: "BCDFGHJK".into(),
            client_id: "c1".into(),
            scope: "openid orders:read".into(),
            created_at: 10,
            expires_at: 610,
            interval_secs: 5,
            last_polled_at: Some(20),
            state: "approved".into(),
            user_id: Some("u1".into()),
            auth_time: Some(15),
            amr: r#"["pwd","otp"]"#.into(),
            acr: Some("2".into()),
        }
    }

    #[test]
    fn rows_decode_with_their_approval() {
        let request = row().decode().expect("decodes");
        assert_eq!(request.state, DeviceState::Approved);
        assert_eq!(request.last_polled_at, Some(Timestamp::from_secs(20)));
        assert_eq!(request.scope.to_string(), "openid orders:read");
        let approval = request.approval.expect("approved");
        assert_eq!(approval.user_id.as_str(), "u1");
        assert_eq!(approval.amr, ["pwd", "otp"]);
        assert_eq!(approval.acr.as_deref(), Some("2"));
    }

    #[test]
    fn bad_rows_are_corrupt() {
        let unknown = Row {
            state: "lost".into(),
            ..row()
        };
        let half = Row {
            auth_time: None,
            ..row()
        };
        let amr = Row {
            amr: "pwd".into(),
            ..row()
        };
        for bad in [unknown, half, amr] {
            assert!(matches!(bad.decode(), Err(StoreError::Corrupt(_))));
        }
    }
}
