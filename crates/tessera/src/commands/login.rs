//! `tessera login`: the OAuth 2.0 device authorization grant (RFC 8628) for people at a
//! terminal, and `--print-token` for the scripts they run afterwards.
//!
//! The flow: the issuer's metadata names the endpoints; the device authorization endpoint
//! gives a user code to approve in a browser; the token endpoint is polled until the user
//! has decided; the tokens go to a private file. `--print-token` serves a fresh access
//! token from that file, refreshing it when it has less than a minute left.

mod http;
mod store;

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use clap::Args;
use qrcode::render::unicode::Dense1x2;
use qrcode::{EcLevel, QrCode};
use serde::Deserialize;
use serde_json::Value;
use tessera_guard::FetchPolicy;
use tokio::time::Instant;

use self::http::{Answer, Http, OAuthError, printable};
use self::store::Login;
use crate::commands;
use crate::error::CliError;
use crate::timefmt;

/// Help text of `tessera login`.
pub(crate) const LOGIN_LONG: &str = "\
Signs you in from a terminal with the OAuth 2.0 device authorization grant (RFC 8628): it \
shows a URL and a short code (and a QR code for a phone when stderr is a terminal, or with \
--qr), you open the URL in any browser, sign in there and allow the request, and the tokens \
are stored for later. Your password is typed only into the issuer's own page, never here. \
Check that the page shows the same code before you allow it.

--print-token prints only an access token on stdout, for scripts: the stored one while it has \
at least a minute left, else a new one got with the stored refresh token (the server rotates \
it; the new one is stored). It never starts a login: when there is none for this issuer and \
client, or it has ended, it says to run `tessera login` again (exit 1).

Where the tokens are kept: $XDG_CONFIG_HOME/tessera/tokens.json, else \
~/.config/tessera/tokens.json, or the --token-file FILE given. The directory is created with \
mode 0700; the file is written with mode 0600, through a temporary file that replaces it, so \
a crash never leaves half of it. It is JSON with one entry per issuer and client: \
access_token, refresh_token, id_token, token_type, scope, expires_at (seconds since 1970), \
issuer and client_id. Whoever can read it can act as you: tokens are printed only with \
--print-token.

The client must be public and allowed the device grant, and the refresh_token grant for \
--print-token to renew tokens: tessera client add cli --grant device_code --grant \
refresh_token --public --scope 'openid orders:read'. Without --scope the client's scopes are \
asked for.

Requests go only to https URLs (plain http only to 127.0.0.1, ::1 and localhost), checked \
before anything connects, with 5 s to connect and 10 s to answer. The issuer's metadata \
(/.well-known/openid-configuration) must name the issuer given.

Exit codes: 0 signed in (or a token printed); 1 the request was denied or expired, the server \
refused the client, or there is no usable login; 2 bad usage, an issuer that cannot be \
reached, or a token file that cannot be used.";

/// Examples of `tessera login`.
pub(crate) const LOGIN_EXAMPLES: &str = "\
Examples:
  tessera login --issuer https://auth.example.com --client-id c_W59hZwCgdHWzrQLSbwOHzQ
  tessera login --issuer https://auth.example.com --client-id c_W59h… --scope orders:read
  tessera login --issuer http://127.0.0.1:8080 --client-id c_W59h… --token-file dev-tokens.json
  token=$(tessera login --issuer https://auth.example.com --client-id c_W59h… --print-token)
  curl -H \"Authorization: Bearer $token\" https://api.example.com/orders";

/// An access token with less time left than this is refreshed by `--print-token`, so that
/// a script does not send one that expires on the way.
const MIN_LEFT_SECS: i64 = 60;
/// The poll interval when the server names none (RFC 8628 §3.2).
const DEFAULT_INTERVAL_SECS: u64 = 5;
/// What `slow_down` adds to the interval (RFC 8628 §3.5).
const SLOW_DOWN_SECS: u64 = 5;
/// The longest interval honoured, whatever the server asks.
const MAX_INTERVAL_SECS: u64 = 60;
/// How long to wait when the server names no `expires_in` (it must; ten minutes is usual).
const DEFAULT_WAIT_SECS: u64 = 600;
/// The longest wait for the user, whatever `expires_in` says: the loop always ends.
const MAX_WAIT_SECS: u64 = 1800;
/// Polls in a row that may fail in transport (a server restart, a flaky network) before
/// the login gives up.
const MAX_TRANSIENT_FAILURES: u32 = 3;

/// Arguments of `tessera login`.
#[derive(Debug, Args)]
pub(crate) struct LoginArgs {
    /// The issuer's URL, as in its tokens' iss claim (https; plain http only to a loopback host)
    #[arg(long, value_name = "URL")]
    issuer: String,
    /// The public client to sign in with (registered with --grant device_code)
    #[arg(long = "client-id", value_name = "ID")]
    client_id: String,
    /// Print only a fresh access token on stdout (the stored one, refreshed when it has
    /// less than a minute left); never starts a login
    #[arg(long)]
    print_token: bool,
    /// The scopes to ask for, separated by spaces [default: the client's scopes]
    #[arg(long, value_name = "SCOPE", conflicts_with = "print_token")]
    scope: Option<String>,
    /// Draw the QR code even when stderr is not a terminal
    #[arg(long, conflicts_with = "print_token")]
    qr: bool,
    /// The token file [default: $XDG_CONFIG_HOME/tessera/tokens.json, else
    /// ~/.config/tessera/tokens.json]
    #[arg(long, value_name = "FILE")]
    token_file: Option<PathBuf>,
}

/// The issuer as given, checked against the fetch policy.
struct Issuer {
    /// Without a trailing slash.
    url: String,
    /// Its metadata document's URL.
    metadata: String,
}

impl Issuer {
    /// Checks `--issuer` before anything connects.
    fn new(given: &str) -> Result<Self, CliError> {
        let url = given.trim_end_matches('/').to_owned();
        let metadata = format!("{url}/.well-known/openid-configuration");
        FetchPolicy::new()
            .check(&metadata)
            .map_err(|err| http::refused(given, &err))?;
        if url.contains(['?', '#']) {
            return Err(CliError::usage(format!(
                "--issuer {given:?} has a query or fragment; an issuer has neither (RFC 8414)"
            ))
            .with_hint("use the issuer's URL as its tokens' iss claim shows it"));
        }
        Ok(Self { url, metadata })
    }
}

/// What the issuer's metadata says.
struct Endpoints {
    /// The issuer as the metadata names it.
    issuer: String,
    /// The token endpoint.
    token: String,
    /// The device authorization endpoint, when the issuer serves the device grant.
    device: Option<String>,
}

/// The answer of the device authorization endpoint (RFC 8628 §3.2).
#[derive(Deserialize)]
struct DeviceStart {
    device_code: String,
    user_code: String,
    verification_uri: String,
    #[serde(default)]
    verification_uri_complete: Option<String>,
    #[serde(default)]
    expires_in: Option<i64>,
    #[serde(default)]
    interval: Option<i64>,
}

/// A token endpoint's success answer (RFC 6749 §5.1).
#[derive(Deserialize)]
struct TokenAnswer {
    access_token: String,
    #[serde(default)]
    token_type: Option<String>,
    #[serde(default)]
    expires_in: Option<i64>,
    #[serde(default)]
    refresh_token: Option<String>,
    #[serde(default)]
    scope: Option<String>,
    #[serde(default)]
    id_token: Option<String>,
}

/// Runs `tessera login`.
///
/// # Errors
/// Exit 1 when the request is denied or expires, the server refuses the client, or (with
/// `--print-token`) there is no usable login; exit 2 for a URL the policy refuses (before
/// anything connects), an issuer that cannot be used, or a token file that cannot be.
pub(crate) fn run(args: &LoginArgs) -> Result<(), CliError> {
    let issuer = Issuer::new(&args.issuer)?;
    let path = match &args.token_file {
        Some(path) => path.clone(),
        None => store::default_path()?,
    };
    // One request at a time: a runtime on this thread is enough.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|err| CliError::usage(format!("cannot start the runtime: {err}")))?;
    runtime.block_on(async {
        let http = Http::new()?;
        if args.print_token {
            print_token(&http, &issuer, args, &path).await
        } else {
            login(&http, &issuer, args, &path).await
        }
    })
}

/// The device flow, then the tokens stored.
async fn login(
    http: &Http,
    issuer: &Issuer,
    args: &LoginArgs,
    path: &Path,
) -> Result<(), CliError> {
    // Before the user goes to the browser: there must be somewhere to put the tokens.
    store::prepare_dir(path)?;
    let endpoints = discover(http, issuer).await?;
    let Some(device_url) = endpoints.device.as_deref() else {
        return Err(CliError::usage(format!(
            "{} does not offer the device grant: its metadata names no \
             device_authorization_endpoint",
            issuer.url
        ))
        .with_hint("tessera login needs an issuer that serves RFC 8628 (Tessera does)"));
    };
    let mut form = vec![("client_id", args.client_id.as_str())];
    if let Some(scope) = &args.scope {
        form.push(("scope", scope.as_str()));
    }
    let start: DeviceStart = match http.post_form(device_url, &form).await {
        Ok(Answer::Success(json)) => parse(device_url, json)?,
        Ok(Answer::Refused(refused)) => return Err(device_refused(&refused, args)),
        Ok(Answer::Status { status, .. }) => {
            return Err(http::failed(
                device_url,
                &tessera_guard::FetchError::Status(status),
            ));
        }
        Err(err) => return Err(http::failed(device_url, &err)),
    };
    show_code(&start, args.qr || std::io::stderr().is_terminal());
    let answer = poll(http, &endpoints.token, &args.client_id, &start, issuer).await?;
    let login = stored(&endpoints.issuer, &args.client_id, answer, None);
    let scope = login.scope.clone();
    let _lock = store::lock(path)?;
    let mut tokens = store::load(path)?;
    tokens.upsert(login);
    store::save(path, &tokens)?;
    let granted = scope
        .map(|s| format!(" (scope: {})", printable(&s)))
        .unwrap_or_default();
    eprintln!(
        "Signed in{granted}. The tokens are in {}; for an access token run:\n  \
         tessera login --issuer {} --client-id {} --print-token",
        path.display(),
        issuer.url,
        args.client_id
    );
    Ok(())
}

/// Prints the stored access token, refreshed first when it has less than a minute left.
async fn print_token(
    http: &Http,
    issuer: &Issuer,
    args: &LoginArgs,
    path: &Path,
) -> Result<(), CliError> {
    let client_id = args.client_id.as_str();
    if !path.exists() {
        return Err(no_login(issuer, client_id, path));
    }
    // Held across the refresh: another process waits and then finds the new token, instead
    // of refreshing with the same refresh token (a replay that ends the login).
    let _lock = store::lock(path)?;
    let mut tokens = store::load(path)?;
    let Some(login) = tokens.find(&issuer.url, client_id).cloned() else {
        return Err(no_login(issuer, client_id, path));
    };
    let now = unix_now();
    if login.expires_at.is_some_and(|at| at - now >= MIN_LEFT_SECS) {
        return commands::print(&login.access_token);
    }
    let Some(refresh_token) = login.refresh_token.as_deref() else {
        return Err(CliError::rejected(
            "the stored access token has expired and there is no refresh token to renew it",
        )
        .with_code("login_required")
        .with_hint(format!(
            "{}; give the client the refresh_token grant to avoid this",
            run_login(issuer, client_id)
        )));
    };
    let endpoints = discover(http, issuer).await?;
    let form = [
        ("grant_type", "refresh_token"),
        ("refresh_token", refresh_token),
        ("client_id", client_id),
    ];
    let url = endpoints.token.as_str();
    let answer: TokenAnswer = match http.post_form(url, &form).await {
        Ok(Answer::Success(json)) => parse(url, json)?,
        Ok(Answer::Refused(refused)) if refused.error == "invalid_grant" => {
            let why = refused.description.as_deref().map(printable);
            let why = why.map(|why| format!(" ({why})")).unwrap_or_default();
            return Err(CliError::rejected(format!(
                "the stored login has ended: the server refused its refresh token{why}"
            ))
            .with_code("invalid_grant")
            .with_hint(run_login(issuer, client_id)));
        }
        Ok(Answer::Refused(refused)) => {
            return Err(CliError::rejected(format!(
                "the server refused to renew the access token: {refused}"
            ))
            .with_hint(run_login(issuer, client_id)));
        }
        Ok(Answer::Status { status, .. }) => {
            return Err(http::failed(
                url,
                &tessera_guard::FetchError::Status(status),
            ));
        }
        Err(err) => return Err(http::failed(url, &err)),
    };
    let renewed = stored(&login.issuer, client_id, answer, Some(&login));
    let access_token = renewed.access_token.clone();
    tokens.upsert(renewed);
    store::save(path, &tokens)?;
    commands::print(&access_token)
}

/// GETs the issuer's metadata and checks that it names this issuer.
async fn discover(http: &Http, issuer: &Issuer) -> Result<Endpoints, CliError> {
    let url = issuer.metadata.as_str();
    let doc = http
        .get_json(url)
        .await
        .map_err(|err| http::failed(url, &err))?;
    let text = |name: &str| doc.get(name).and_then(Value::as_str).map(str::to_owned);
    let named = text("issuer").unwrap_or_default();
    if !store::same_issuer(&named, &issuer.url) {
        return Err(CliError::usage(format!(
            "the metadata at {url} names the issuer {:?}, not {}",
            printable(&named),
            issuer.url
        ))
        .with_hint("pass the issuer's own URL as --issuer (its tokens' iss claim)"));
    }
    let Some(token) = text("token_endpoint") else {
        return Err(CliError::usage(format!(
            "the metadata at {url} names no token_endpoint"
        )));
    };
    Ok(Endpoints {
        issuer: named,
        token,
        device: text("device_authorization_endpoint"),
    })
}

/// Reads a success answer as `T`.
fn parse<T: for<'de> Deserialize<'de>>(url: &str, json: Value) -> Result<T, CliError> {
    serde_json::from_value(json)
        .map_err(|err| http::failed(url, &tessera_guard::FetchError::Body(err.to_string())))
}

/// The code and where to enter it, on stderr (stdout stays for `--print-token`).
fn show_code(start: &DeviceStart, qr: bool) {
    let mut err = std::io::stderr().lock();
    let _ = writeln!(
        err,
        "Open {} and enter the code {}",
        printable(&start.verification_uri),
        printable(&start.user_code)
    );
    let complete = start.verification_uri_complete.as_deref().map(printable);
    if let (true, Some(complete)) = (qr, complete)
        && let Some(drawn) = qr_code(&complete, colours())
    {
        let _ = writeln!(err, "or scan this to open {complete}:\n{drawn}");
    }
    let _ = err.flush();
}

/// True when the QR code may be drawn in explicit black on white (a terminal that has not
/// asked for no colour, <https://no-color.org>).
fn colours() -> bool {
    std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

/// `url` as a QR code in Unicode half blocks (two modules a character cell). With
/// `colours` it is drawn black on white, which scans on dark and light terminals alike;
/// without, the blocks are the light modules, which suits the usual light-on-dark terminal.
fn qr_code(url: &str, colours: bool) -> Option<String> {
    let code = QrCode::with_error_correction_level(url.as_bytes(), EcLevel::L).ok()?;
    let mut renderer = code.render::<Dense1x2>();
    renderer.quiet_zone(true);
    if !colours {
        renderer
            .dark_color(Dense1x2::Light)
            .light_color(Dense1x2::Dark);
        return Some(renderer.build());
    }
    let drawn = renderer
        .dark_color(Dense1x2::Dark)
        .light_color(Dense1x2::Light)
        .build();
    let lines: Vec<String> = drawn
        .lines()
        .map(|line| format!("\x1b[30;107m{line}\x1b[0m"))
        .collect();
    Some(lines.join("\n"))
}

/// Polls the token endpoint until the user decides, the code expires, or the server says
/// something else (RFC 8628 §3.4–3.5).
async fn poll(
    http: &Http,
    token_url: &str,
    client_id: &str,
    start: &DeviceStart,
    issuer: &Issuer,
) -> Result<TokenAnswer, CliError> {
    let wait_secs = start
        .expires_in
        .and_then(|secs| u64::try_from(secs).ok())
        .unwrap_or(DEFAULT_WAIT_SECS)
        .clamp(1, MAX_WAIT_SECS);
    let deadline = Instant::now() + Duration::from_secs(wait_secs);
    let mut interval = start
        .interval
        .and_then(|secs| u64::try_from(secs).ok())
        .unwrap_or(DEFAULT_INTERVAL_SECS)
        .clamp(1, MAX_INTERVAL_SECS);
    let form = [
        ("grant_type", "urn:ietf:params:oauth:grant-type:device_code"),
        ("device_code", start.device_code.as_str()),
        ("client_id", client_id),
    ];
    let mut progress = Progress::new(deadline);
    let mut transient = 0;
    let mut next_wait = interval;
    loop {
        // First the interval: nobody has approved anything yet, and the server counts the
        // time between two polls.
        if !progress.wait(Duration::from_secs(next_wait)).await {
            progress.done();
            return Err(expired(issuer, client_id));
        }
        next_wait = interval;
        let answer = http.post_form(token_url, &form).await;
        match answer {
            Ok(Answer::Success(json)) => {
                progress.done();
                return parse(token_url, json);
            }
            Ok(Answer::Refused(refused)) => {
                transient = 0;
                match refused.error.as_str() {
                    "authorization_pending" => {}
                    "slow_down" => {
                        interval = (interval + SLOW_DOWN_SECS).min(MAX_INTERVAL_SECS);
                        next_wait = interval;
                    }
                    other => {
                        progress.done();
                        return Err(poll_refused(other, &refused, issuer, client_id));
                    }
                }
            }
            // Throttled or briefly unavailable: wait as asked (within bounds), then again.
            Ok(Answer::Status {
                status: status @ (429 | 500..=599),
                retry_after,
            }) => {
                transient += 1;
                if transient > MAX_TRANSIENT_FAILURES {
                    progress.done();
                    let err = tessera_guard::FetchError::Status(status);
                    return Err(http::failed(token_url, &err));
                }
                next_wait = retry_after
                    .unwrap_or(interval)
                    .clamp(interval, MAX_INTERVAL_SECS);
            }
            Ok(Answer::Status { status, .. }) => {
                progress.done();
                let err = tessera_guard::FetchError::Status(status);
                return Err(http::failed(token_url, &err));
            }
            Err(err) if http::is_transient(&err) && transient < MAX_TRANSIENT_FAILURES => {
                transient += 1;
            }
            Err(err) => {
                progress.done();
                return Err(http::failed(token_url, &err));
            }
        }
    }
}

/// The token endpoint's final refusal of a device code.
fn poll_refused(code: &str, refused: &OAuthError, issuer: &Issuer, client_id: &str) -> CliError {
    match code {
        "expired_token" => expired(issuer, client_id),
        "access_denied" => CliError::rejected("the request was denied in the browser")
            .with_code("access_denied")
            .with_hint(format!("to ask again, {}", run_login(issuer, client_id))),
        _ => CliError::rejected(format!("the token endpoint refused the login: {refused}"))
            .with_hint(run_login(issuer, client_id)),
    }
}

/// The code expired before anyone approved it.
fn expired(issuer: &Issuer, client_id: &str) -> CliError {
    CliError::rejected("the code expired before the request was approved")
        .with_code("expired_token")
        .with_hint(format!("{} again", run_login(issuer, client_id)))
}

/// The device authorization endpoint's refusal, with what to do about the usual causes.
fn device_refused(refused: &OAuthError, args: &LoginArgs) -> CliError {
    let hint = match refused.error.as_str() {
        "invalid_client" => {
            "check --client-id (tessera client list shows the clients); tessera login signs in \
             with a public client (tessera client add NAME --grant device_code --public)"
        }
        "unauthorized_client" => {
            "the client needs the device grant: register one with tessera client add NAME \
             --grant device_code --grant refresh_token --public"
        }
        "invalid_scope" => "ask only for scopes the client has (or leave out --scope)",
        _ => "check --issuer and --client-id",
    };
    CliError::rejected(format!(
        "the issuer refused to start a login for client {}: {refused}",
        args.client_id
    ))
    .with_hint(hint)
}

/// No login stored for this issuer and client.
fn no_login(issuer: &Issuer, client_id: &str, path: &Path) -> CliError {
    CliError::rejected(format!(
        "no stored login for client {client_id} at {} in {}",
        issuer.url,
        path.display()
    ))
    .with_code("login_required")
    .with_hint(run_login(issuer, client_id))
}

/// The command that signs in again.
fn run_login(issuer: &Issuer, client_id: &str) -> String {
    format!(
        "run `tessera login --issuer {} --client-id {client_id}`",
        issuer.url
    )
}

/// The entry to store from a token answer; `old` is the login being refreshed, whose
/// refresh token, scope and ID token stay when the answer leaves them out (RFC 6749 §5.1
/// and §6, OpenID Connect Core §12.2).
fn stored(issuer: &str, client_id: &str, answer: TokenAnswer, old: Option<&Login>) -> Login {
    let now = unix_now();
    let old_field = |field: fn(&Login) -> &Option<String>| old.and_then(|o| field(o).clone());
    Login {
        issuer: issuer.to_owned(),
        client_id: client_id.to_owned(),
        token_type: answer.token_type.unwrap_or_else(|| "Bearer".to_owned()),
        access_token: answer.access_token,
        expires_at: answer
            .expires_in
            .map(|secs| now.saturating_add(secs.max(0))),
        refresh_token: answer
            .refresh_token
            .or_else(|| old_field(|o| &o.refresh_token)),
        scope: answer.scope.or_else(|| old_field(|o| &o.scope)),
        id_token: answer.id_token.or_else(|| old_field(|o| &o.id_token)),
    }
}

/// Seconds since the Unix epoch, by this host's clock.
fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// The waiting line on stderr: at a terminal, rewritten every second with the time left;
/// elsewhere (a log), written once.
struct Progress {
    deadline: Instant,
    live: bool,
    shown: bool,
}

impl Progress {
    fn new(deadline: Instant) -> Self {
        Self {
            deadline,
            live: std::io::stderr().is_terminal(),
            shown: false,
        }
    }

    /// Waits `pause`, or until the deadline if that comes first; false when the deadline
    /// came first (the code has expired).
    async fn wait(&mut self, pause: Duration) -> bool {
        let until = Instant::now() + pause;
        let stop = until.min(self.deadline);
        loop {
            let now = Instant::now();
            self.show(now);
            if now >= stop {
                return until <= self.deadline;
            }
            let step = if self.live {
                Duration::from_secs(1)
            } else {
                stop - now
            };
            tokio::time::sleep(step.min(stop - now)).await;
        }
    }

    fn show(&mut self, now: Instant) {
        let secs = self.deadline.saturating_duration_since(now).as_secs();
        // Whole minutes rounded up: 599 s left reads "10 min", as the server's lifetime.
        let secs = if secs >= 60 {
            secs.div_ceil(60) * 60
        } else {
            secs
        };
        let left = timefmt::span(secs);
        if self.live {
            eprint!("\rWaiting for the request to be allowed in the browser ({left} left)…\x1b[K");
        } else if !self.shown {
            eprintln!(
                "Waiting for the request to be allowed in the browser (the code expires in {left})…"
            );
        }
        self.shown = true;
    }

    /// Ends the rewritten line.
    fn done(&self) {
        if self.live && self.shown {
            eprintln!();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(json: &Value) -> TokenAnswer {
        serde_json::from_value(json.clone()).expect("token answer")
    }

    #[test]
    fn refreshes_keep_what_the_answer_leaves_out() {
        let first = stored(
            "https://a.test",
            "c1",
            answer(&serde_json::json!({
                "access_token": "a1", "token_type": "Bearer", "expires_in": 900,
                "refresh_token": "r1", "scope": "openid orders:read", "id_token": "i1"
            })),
            None,
        );
        let left = first.expires_at.expect("expiry") - unix_now();
        assert!((899..=900).contains(&left), "{left}");
        let second = stored(
            "https://a.test",
            "c1",
            answer(&serde_json::json!({"access_token": "a2", "expires_in": 60})),
            Some(&first),
        );
        assert_eq!(second.access_token, "a2");
        assert_eq!(second.refresh_token.as_deref(), Some("r1"));
        assert_eq!(second.scope.as_deref(), Some("openid orders:read"));
        assert_eq!(second.id_token.as_deref(), Some("i1"));
        assert_eq!(second.token_type, "Bearer");
    }

    #[test]
    fn issuers_are_checked_before_anything_connects() {
        for (given, message) in [
            (
                "http://auth.example.com",
                "refusing plain http for auth.example.com",
            ),
            ("ftp://127.0.0.1", "unsupported URL scheme \"ftp\""),
            ("auth.example.com", "is not a valid URL"),
            ("https://a.test/?x=1", "has a query or fragment"),
        ] {
            let err = Issuer::new(given).err().map(|e| e.to_string());
            let err = err.unwrap_or_else(|| panic!("{given} accepted"));
            assert!(err.contains(message), "{given}: {err}");
        }
        let issuer = Issuer::new("http://127.0.0.1:8080/").expect("loopback http");
        assert_eq!(issuer.url, "http://127.0.0.1:8080");
        assert_eq!(
            issuer.metadata,
            "http://127.0.0.1:8080/.well-known/openid-configuration"
        );
    }

    #[test]
    fn the_qr_code_is_drawn_in_half_blocks() {
        let url = "http://127.0.0.1:8080/ui/device?user_code=BCDF-GHJK";
        let plain = qr_code(url, false).expect("drawn");
        assert!(plain.contains('\u{2580}') || plain.contains('\u{2584}'));
        assert!(!plain.contains('\x1b'));
        let lines: Vec<&str> = plain.lines().collect();
        let width = lines[0].chars().count();
        assert!(lines.iter().all(|line| line.chars().count() == width));
        // Two modules a line: about half as many lines as columns.
        assert!(
            lines.len() * 2 >= width && lines.len() * 2 <= width + 2,
            "{plain}"
        );
        let coloured = qr_code(url, true).expect("drawn");
        assert!(
            coloured
                .lines()
                .all(|line| line.starts_with("\x1b[30;107m"))
        );
    }

    #[test]
    fn refusals_are_one_line_with_what_to_do() {
        let issuer = Issuer::new("http://127.0.0.1:8080").expect("issuer");
        let denied = OAuthError {
            error: "access_denied".into(),
            description: Some("the user denied the request".into()),
        };
        let err = poll_refused("access_denied", &denied, &issuer, "c1");
        assert_eq!(err.exit_code(), std::process::ExitCode::from(1));
        assert!(
            err.to_string()
                .starts_with("error: the request was denied in the browser (access_denied)"),
            "{err}"
        );
        let err = poll_refused("expired_token", &denied, &issuer, "c1").to_string();
        assert!(
            err.contains(
                "hint: run `tessera login --issuer http://127.0.0.1:8080 --client-id c1` again"
            ),
            "{err}"
        );
        let odd = OAuthError {
            error: "invalid_client".into(),
            description: Some("client authentication failed".into()),
        };
        let err = poll_refused("invalid_client", &odd, &issuer, "c1").to_string();
        assert!(
            err.contains("refused the login: invalid_client (client authentication failed)"),
            "{err}"
        );
    }
}
