//! Second factors on two instances of one PostgreSQL database: an authenticator code accepted
//! at one instance is refused at the other within the same window (a step is accepted once
//! per user, wherever), while the next step's code works there; a recovery code spent at one
//! is refused at the other. Also what the other multi tests need to pass the second-factor
//! step: an authenticator app ([`App`]) and the browser's two sign-in steps.

use std::thread;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tessera_core::totp;

use crate::browser::{Browser, hidden};
use crate::helpers::{PASSWORD, Reply, ServerProcess, token};
use crate::{Pair, cli};

/// An authenticator app: the secret, and the last step it gave a code for (the server never
/// takes that step, or an earlier one, again).
pub(crate) struct App {
    secret: Vec<u8>,
    last: Option<u64>,
}

impl App {
    /// The app of an `otpauth://` URI, as `tessera user totp enroll` prints it.
    pub(crate) fn from_uri(uri: &str) -> Self {
        let uri = uri.trim();
        assert!(uri.starts_with("otpauth://totp/"), "{uri}");
        let secret = uri
            .split_once('?')
            .and_then(|(_, query)| query.split('&').find_map(|p| p.strip_prefix("secret=")))
            .unwrap_or_else(|| panic!("no secret in {uri}"));
        Self::from_base32(secret)
    }

    /// The app of a base32 secret (spaces ignored, as the set-up page groups it).
    pub(crate) fn from_base32(text: &str) -> Self {
        let secret = totp::base32_decode(text).unwrap_or_else(|| panic!("not base32: {text}"));
        Self { secret, last: None }
    }

    /// The code of `step` (six digits, zero-padded).
    pub(crate) fn code(&self, step: u64) -> String {
        let value = totp::hotp(&self.secret, step, totp::DIGITS, totp::Hash::Sha1);
        format!("{value:06}")
    }

    /// A code of a step not given out before, and its step: the current step (which stays
    /// in the server's window of one step either side even if the clock ticks meanwhile),
    /// or the one after the last when that was already the current one; when even that is
    /// past the window, it waits for the clock.
    pub(crate) fn next(&mut self) -> (u64, String) {
        loop {
            let now = step_now();
            let step = self.last.map_or(now, |last| now.max(last + 1));
            if step <= now + 1 {
                self.last = Some(step);
                return (step, self.code(step));
            }
            thread::sleep(Duration::from_millis(500));
        }
    }
}

/// The TOTP step of the clock now.
pub(crate) fn step_now() -> u64 {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("after 1970")
        .as_secs();
    secs / 30
}

/// The password step of a browser sign-in at `server`, with the form `server` serves.
pub(crate) fn password(browser: &mut Browser, server: &ServerProcess, user: &str) -> Reply {
    let page = browser.get(&server.url("/ui/login"));
    assert_eq!(page.status, 200, "{}", page.body);
    let mut form = hidden(&page.body);
    form.push(("username".into(), user.into()));
    form.push(("password".into(), PASSWORD.into()));
    post(browser, &server.url("/ui/login"), &form)
}

/// Gives `code` on the second-factor page `page`, posted to `server`.
pub(crate) fn give_code(
    browser: &mut Browser,
    server: &ServerProcess,
    page: &Reply,
    code: &str,
) -> Reply {
    assert!(
        page.body.contains("action=\"/ui/second-factor\""),
        "the second-factor page: {}",
        page.body
    );
    let mut form = hidden(&page.body);
    form.push(("code".into(), code.into()));
    form.push(("action".into(), "verify".into()));
    post(browser, &server.url("/ui/second-factor"), &form)
}

fn post(browser: &mut Browser, url: &str, form: &[(String, String)]) -> Reply {
    let refs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    browser.post(url, &refs)
}

/// Asserts a 303 to `path`.
fn assert_sent_to(reply: &Reply, path: &str) {
    assert_eq!(reply.status, 303, "{}", reply.body);
    assert_eq!(reply.header("location"), Some(path), "{:?}", reply.headers);
}

/// The hidden fields of the form posting to `action` in `html`.
fn form_fields(html: &str, action: &str) -> Vec<(String, String)> {
    let start = html
        .find(&format!("action=\"{action}\""))
        .unwrap_or_else(|| panic!("a form to {action} in {html}"));
    let end = start + html[start..].find("</form>").expect("the form's end");
    hidden(&html[start..end])
}

/// The texts of the `<code>` elements of the recovery-code list in `html`.
fn recovery_codes(html: &str) -> Vec<String> {
    let start = html.find("<ul class=\"codes\"").expect("the code list");
    let end = start + html[start..].find("</ul>").expect("the list's end");
    html[start..end]
        .split("<li><code>")
        .skip(1)
        .map(|item| item[..item.find('<').expect("end")].to_owned())
        .collect()
}

#[test]
#[ignore = "needs PostgreSQL server binaries (initdb)"]
fn an_authenticator_code_is_accepted_once_across_instances() {
    let pair = Pair::start("factors_totp");
    let uri = cli(
        &pair.dirs.0,
        &pair.env,
        &["user", "totp", "enroll", "alice"],
        "",
    );
    let mut app = App::from_uri(&uri);
    // The password grant no longer signs alice in, at either instance.
    let grant = [
        ("grant_type", "password"),
        ("username", "alice"),
        ("password", PASSWORD),
    ];
    for server in [&pair.a, &pair.b] {
        let refused = token(server, &pair.client, &grant);
        assert_eq!(refused.status, 400, "{}", refused.body);
        assert_eq!(refused.error(), "invalid_grant");
    }

    // Two browsers, one at each instance, past the password.
    let mut at_a = Browser::new();
    let mut at_b = Browser::new();
    let page_a = password(&mut at_a, &pair.a, "alice");
    assert_eq!(page_a.status, 200, "{}", page_a.body);
    let page_b = password(&mut at_b, &pair.b, "alice");
    assert_eq!(page_b.status, 200, "{}", page_b.body);

    // A takes this step's code; B refuses it while it is still inside the window.
    let (step, code) = app.next();
    assert_sent_to(
        &give_code(&mut at_a, &pair.a, &page_a, &code),
        "/ui/account",
    );
    let refused = give_code(&mut at_b, &pair.b, &page_b, &code);
    assert!(
        step_now() <= step + 1,
        "the window moved on meanwhile; the refusal proves nothing"
    );
    assert_eq!(refused.status, 401, "{}", refused.body);
    assert!(refused.body.contains("role=\"alert\""), "{}", refused.body);

    // The next step's code works at B at once, on the page that refused.
    let (next_step, next_code) = app.next();
    assert_eq!(next_step, step + 1);
    assert_sent_to(
        &give_code(&mut at_b, &pair.b, &refused, &next_code),
        "/ui/account",
    );
    let account = at_b.get(&pair.b.url("/ui/account"));
    assert_eq!(account.status, 200, "{}", account.body);
    // The browser signed in at A is signed in at B too: one database.
    assert_eq!(at_a.get(&pair.b.url("/ui/account")).status, 200);
}

#[test]
#[ignore = "needs PostgreSQL server binaries (initdb)"]
fn a_recovery_code_spent_at_one_instance_is_refused_at_the_other() {
    let pair = Pair::start("factors_recovery");

    // alice sets up her app on the account page at A: the secret from the page, a first
    // code, and the recovery codes.
    let mut owner = Browser::new();
    assert_sent_to(&password(&mut owner, &pair.a, "alice"), "/ui/account");
    let account = owner.get(&pair.a.url("/ui/account"));
    assert_eq!(account.status, 200, "{}", account.body);
    let mut form = form_fields(&account.body, "/ui/account/totp");
    form.push(("action".into(), "set_up_totp".into()));
    let setup = post(&mut owner, &pair.a.url("/ui/account/totp"), &form);
    assert_eq!(setup.status, 200, "{}", setup.body);
    let marker = "id=\"totp-secret\">";
    let from = setup.body.find(marker).expect("the secret") + marker.len();
    let secret = &setup.body[from..from + setup.body[from..].find('<').expect("end")];
    let mut app = App::from_base32(secret);
    let (confirm_step, code) = app.next();
    let mut form = form_fields(&setup.body, "/ui/account/totp/confirm");
    form.extend([("code".into(), code), ("action".into(), "confirm".into())]);
    let confirmed = post(&mut owner, &pair.a.url("/ui/account/totp/confirm"), &form);
    assert_eq!(confirmed.status, 200, "{}", confirmed.body);
    let codes = recovery_codes(&confirmed.body);
    assert_eq!(codes.len(), 10, "{}", confirmed.body);

    // The first recovery code signs alice in at A.
    let mut first = Browser::new();
    let page = password(&mut first, &pair.a, "alice");
    assert_eq!(page.status, 200, "{}", page.body);
    assert_sent_to(
        &give_code(&mut first, &pair.a, &page, &codes[0]),
        "/ui/account",
    );

    // At B: neither the code that confirmed the app at A nor the spent recovery code.
    let mut second = Browser::new();
    let page = password(&mut second, &pair.b, "alice");
    assert_eq!(page.status, 200, "{}", page.body);
    let refused = give_code(&mut second, &pair.b, &page, &app.code(confirm_step));
    assert_eq!(refused.status, 401, "the confirming step was used at A");
    let refused = give_code(&mut second, &pair.b, &refused, &codes[0]);
    assert_eq!(refused.status, 401, "spent at A: {}", refused.body);
    // Another of the codes still works at B, once.
    assert_sent_to(
        &give_code(&mut second, &pair.b, &refused, &codes[1]),
        "/ui/account",
    );
    let mut third = Browser::new();
    let page = password(&mut third, &pair.a, "alice");
    let refused = give_code(&mut third, &pair.a, &page, &codes[1]);
    assert_eq!(refused.status, 401, "spent at B: {}", refused.body);
}
