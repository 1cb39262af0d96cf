//! An administrator's view of one account's sessions: its signed-in browsers and its
//! refresh-token families, each of which can be ended, or all at once.

use super::Authority;
use crate::error::{AdminError, Entity};
use crate::events::EndReason;
use crate::model::{
    Actor, EventKind, LoginSession, LoginSessionId, NewEvent, Session, SessionId, User,
};
use crate::store::Store;

/// An account and its live sessions.
#[derive(Clone, Debug)]
pub struct UserSessions {
    /// The account.
    pub user: User,
    /// Its signed-in browsers, oldest first.
    pub browsers: Vec<LoginSession>,
    /// Its refresh-token families (password grant, code flow), oldest first.
    pub families: Vec<Session>,
}

impl<S: Store> Authority<S> {
    /// An account with its live browser sessions and refresh-token families.
    ///
    /// # Errors
    /// [`AdminError::NotFound`] for an unknown username.
    pub async fn user_sessions(&self, username: &str) -> Result<UserSessions, AdminError> {
        let user = self.user_named(username).await?;
        let now = self.now();
        let browsers = self.store.login_sessions_of(&user.id, now).await?;
        let families = self.store.sessions_of(&user.id, now).await?;
        Ok(UserSessions {
            user,
            browsers,
            families,
        })
    }

    /// Ends one live session of an account: a browser session (and every refresh family
    /// opened from it, its back-channel notices queued) or one refresh family, named by id.
    ///
    /// # Errors
    /// [`AdminError::NotFound`] for an unknown username, or an id that is no live session
    /// of this account.
    pub async fn end_user_session(
        &self,
        username: &str,
        id: &str,
        by: &Actor,
    ) -> Result<(), AdminError> {
        let user = self.user_named(username).await?;
        let now = self.now();
        let browser = self
            .store
            .login_session_by_id(&LoginSessionId::from(id))
            .await?
            .filter(|s| s.user_id == user.id && s.is_live(now));
        if let Some(session) = browser {
            if self
                .end_browser_session_by(&session, EndReason::Admin, Some(by))
                .await?
            {
                return Ok(());
            }
            return Err(AdminError::NotFound(Entity::Session));
        }
        let family = SessionId::from(id);
        let owned = self
            .store
            .session_by_id(&family)
            .await?
            .is_some_and(|s| s.user_id == user.id);
        if owned && self.store.revoke_session(&family, now).await? {
            let event = NewEvent::new(EventKind::SessionEnded).user(&user.id);
            self.audit(event.by(by).detail(EndReason::Admin.to_string()))
                .await;
            return Ok(());
        }
        Err(AdminError::NotFound(Entity::Session))
    }

    /// Ends every session of an account: its browsers and its refresh families. Returns
    /// how many ended.
    ///
    /// # Errors
    /// [`AdminError::NotFound`] for an unknown username.
    pub async fn end_user_sessions(&self, username: &str, by: &Actor) -> Result<usize, AdminError> {
        let sessions = self.user_sessions(username).await?;
        let mut ended = 0;
        for session in &sessions.browsers {
            if self
                .end_browser_session_by(session, EndReason::Admin, Some(by))
                .await?
            {
                ended += 1;
            }
        }
        let now = self.now();
        for family in &sessions.families {
            // A family opened from a browser session ended with it above.
            if self.store.revoke_session(&family.id, now).await? {
                let event = NewEvent::new(EventKind::SessionEnded).user(&sessions.user.id);
                self.audit(event.by(by).detail(EndReason::Admin.to_string()))
                    .await;
                ended += 1;
            }
        }
        Ok(ended)
    }
}
