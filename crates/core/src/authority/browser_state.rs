//! What a browser carries for us and must give back unchanged: anti-CSRF tokens (a MAC of
//! the browser's own random binding) and sealed state (a pending authorization request,
//! encrypted and bound to the browser that started it). Both come from the master key, so
//! every instance of a deployment accepts what another made.

use tessera_jose::b64;
use zeroize::Zeroizing;

use super::Authority;
use crate::secrets::constant_time_eq;
use crate::store::Store;

/// The longest sealed state accepted, in characters (a pending request is well under it).
const MAX_SEALED_LEN: usize = 16 * 1024;

impl<S: Store> Authority<S> {
    /// A token for `purpose` bound to `binding` (the browser's random cookie value), as
    /// base64url: what a form's hidden anti-CSRF field carries.
    pub fn browser_token(&self, purpose: &str, binding: &str) -> String {
        b64::encode(&self.master.mac(purpose, binding.as_bytes()))
    }

    /// True when `token` is [`Self::browser_token`] of `purpose` and `binding` (compared in
    /// constant time).
    pub fn check_browser_token(&self, purpose: &str, binding: &str, token: &str) -> bool {
        let expected = self.browser_token(purpose, binding);
        constant_time_eq(expected.as_bytes(), token.as_bytes())
    }

    /// Seals `plaintext` for `purpose`, bound to `binding`, as base64url: only this deployment
    /// can read it, and only with the same binding.
    ///
    /// # Errors
    /// [`crate::InternalError`] if sealing fails (the cipher or the random source).
    pub fn seal_browser_state(
        &self,
        purpose: &str,
        binding: &str,
        plaintext: &[u8],
    ) -> Result<String, crate::InternalError> {
        let sealed = self.master.seal(plaintext, &state_aad(purpose, binding))?;
        Ok(b64::encode(&sealed))
    }

    /// Opens what [`Self::seal_browser_state`] made for the same `purpose` and `binding`;
    /// `None` for anything else (tampered, another browser, another deployment, too long).
    pub fn open_browser_state(
        &self,
        purpose: &str,
        binding: &str,
        sealed: &str,
    ) -> Option<Zeroizing<Vec<u8>>> {
        if sealed.len() > MAX_SEALED_LEN {
            return None;
        }
        let bytes = b64::decode(sealed.as_bytes())?;
        self.master.open(&bytes, &state_aad(purpose, binding)).ok()
    }
}

fn state_aad(purpose: &str, binding: &str) -> Vec<u8> {
    [
        b"tessera/browser-state/".as_slice(),
        purpose.as_bytes(),
        b"/",
        binding.as_bytes(),
    ]
    .concat()
}
