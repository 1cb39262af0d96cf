//! `tessera client …`: OAuth clients, managed offline in the deployment's store.

use clap::{Args, Subcommand};
use serde::Serialize;
use tessera_core::NewClient;
use tessera_core::model::{Actor, Client, ClientWeb, Grant};

use super::client_jose::JoseArgs;
use crate::cli::GlobalArgs;
use crate::commands::{self, admin};
use crate::error::CliError;
use crate::timefmt;

/// Help text of `tessera client`.
pub(crate) const CLIENT_LONG: &str = "\
Manage OAuth clients in the deployment's store. There is no need to stop `tessera serve`: run
these where the server runs (or pass its --data-dir / --database-url) and it sees each change at
once. A confidential client's secret is printed once, when it is created, and stored only as
a digest.";

/// Examples of `tessera client`.
pub(crate) const CLIENT_EXAMPLES: &str = "\
Examples:
  tessera client add web --grant password --grant refresh_token --scope orders:read
  tessera client list
  tessera client rotate-secret c_W59hZwCgdHWzrQLSbwOHzQ
  tessera client remove c_W59hZwCgdHWzrQLSbwOHzQ";

/// `tessera client …`.
#[derive(Debug, Subcommand)]
pub(crate) enum ClientCommand {
    /// Register a client; prints {"client_id": …, "client_secret": …} once.
    #[command(after_help = "Examples:\n  \
        tessera client add web --grant password --grant refresh_token --scope orders:read \
        --audience orders-api\n  \
        tessera client add spa --grant password --grant refresh_token --public\n  \
        tessera client add portal --grant authorization_code --grant refresh_token --scope \
        'openid profile' --redirect-uri https://portal.example.com/callback --public\n  \
        tessera client add batch --grant client_credentials --scope orders:write\n  \
        tessera client add shop --grant authorization_code --scope openid --redirect-uri \
        https://shop.example.com/callback --jwks shop.jwks.json \
        --id-token-encrypted-response-alg ECDH-ES+A256KW\n  \
        tessera client add agent --grant client_credentials --require-dpop\n  \
        tessera client add console --grant authorization_code --scope openid --redirect-uri \
        https://console.example.com/callback --require-second-factor\n  \
        tessera client add orders-gateway --grant token_exchange --audience orders-api\n  \
        tessera client add cli --grant device_code --grant refresh_token --public --scope openid")]
    Add(AddArgs),
    /// List clients.
    #[command(after_help = "Examples:\n  tessera client list\n  tessera client list --json")]
    List(ListArgs),
    /// Give a confidential client a new secret; prints {"client_id": …, "client_secret": …}
    /// once. The old secret stops working at once.
    #[command(after_help = "Example:\n  tessera client rotate-secret c_W59hZwCgdHWzrQLSbwOHzQ")]
    RotateSecret(RemoveArgs),
    /// Remove a client and end its sessions.
    #[command(after_help = "Example:\n  tessera client remove c_W59hZwCgdHWzrQLSbwOHzQ")]
    Remove(RemoveArgs),
}

/// Arguments of `client add`.
#[derive(Debug, Args)]
pub(crate) struct AddArgs {
    /// A display name.
    #[arg(value_name = "NAME")]
    name: String,
    /// A grant the client may use: authorization_code, refresh_token, client_credentials,
    /// password, token_exchange (RFC 8693) or device_code (RFC 8628; their URNs are accepted
    /// too) (repeat).
    #[arg(long = "grant", value_name = "GRANT", required = true, value_parser = parse_grant)]
    grants: Vec<Grant>,
    /// A scope the client may request (repeat, or give several separated by spaces).
    #[arg(long = "scope", value_name = "SCOPE")]
    scopes: Vec<String>,
    /// An audience of its access tokens; the first is the default (repeat).
    #[arg(long = "audience", value_name = "AUDIENCE")]
    audiences: Vec<String>,
    /// A public client (no secret), such as a single-page or mobile app.
    #[arg(long)]
    public: bool,
    /// Where the authorization code flow may send the browser back, matched exactly (the
    /// port of a loopback http URI, on 127.0.0.1, ::1 or localhost, may differ, for native
    /// apps); needed by --grant authorization_code (repeat).
    #[arg(long = "redirect-uri", value_name = "URI")]
    redirect_uris: Vec<String>,
    /// Where logout may send the browser afterwards, matched exactly (repeat).
    #[arg(long = "post-logout-redirect-uri", value_name = "URI")]
    post_logout_redirect_uris: Vec<String>,
    /// The client's OpenID Connect back-channel logout receiver: told (a POSTed logout
    /// token) when a browser session it took part in ends.
    #[arg(long = "backchannel-logout-uri", value_name = "URI")]
    backchannel_logout_uri: Option<String>,
    /// A first-party application: users are not asked for consent.
    #[arg(long)]
    first_party: bool,
    /// A browser origin allowed to call the token, revocation, userinfo and JWKS endpoints
    /// (CORS), such as `https://app.example.com` (repeat).
    #[arg(long = "allowed-origin", value_name = "ORIGIN")]
    allowed_origins: Vec<String>,
    /// Every token request of the client must carry a DPoP proof (RFC 9449), so that its
    /// access tokens are always bound to its key; without one the answer is
    /// `invalid_dpop_proof`.
    #[arg(long)]
    require_dpop: bool,
    /// Users signing in to the client must give a second factor (those without one are sent
    /// to set one up), and its ID tokens' acr is `urn:tessera:acr:mfa`. Not with --grant
    /// password, which cannot ask for one.
    #[arg(long)]
    require_second_factor: bool,

    /// Its keys and the encryption of its ID tokens and userinfo answers (boxed: the other
    /// commands are small).
    #[command(flatten)]
    jose: Box<JoseArgs>,
}

/// Arguments of `client list`.
#[derive(Debug, Args)]
pub(crate) struct ListArgs {
    /// Print a JSON array instead of a table.
    #[arg(long)]
    json: bool,
}

/// Arguments of `client remove`.
#[derive(Debug, Args)]
pub(crate) struct RemoveArgs {
    /// The client_id.
    #[arg(value_name = "ID")]
    id: String,
}

/// Runs a `client` command.
///
/// # Errors
/// Exit 1 for an unknown client; exit 2 for bad input or configuration.
pub(crate) fn run(global: &GlobalArgs, command: &ClientCommand) -> Result<(), CliError> {
    match command {
        ClientCommand::Add(args) => add(global, args),
        ClientCommand::List(args) => list(global, args),
        ClientCommand::RotateSecret(args) => rotate_secret(global, &args.id),
        ClientCommand::Remove(args) => remove(global, &args.id),
    }
}

fn parse_grant(name: &str) -> Result<Grant, String> {
    Grant::parse(name).ok_or_else(|| {
        format!(
            "unknown grant {name:?}; use authorization_code, refresh_token, client_credentials, \
             password, token_exchange or device_code"
        )
    })
}

/// What `client add` prints, once.
#[derive(Serialize)]
struct Created<'a> {
    client_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    client_secret: Option<&'a str>,
}

fn add(global: &GlobalArgs, args: &AddArgs) -> Result<(), CliError> {
    let scopes: Vec<String> = args
        .scopes
        .iter()
        .flat_map(|s| s.split_whitespace())
        .map(str::to_owned)
        .collect();
    let new = NewClient::new(args.name.as_str(), &args.grants)
        .with_scopes(&scopes)
        .with_audiences(&args.audiences)
        .public(args.public)
        .with_web(ClientWeb {
            redirect_uris: args.redirect_uris.clone(),
            post_logout_redirect_uris: args.post_logout_redirect_uris.clone(),
            backchannel_logout_uri: args.backchannel_logout_uri.clone(),
            first_party: args.first_party,
            allowed_origins: args.allowed_origins.clone(),

            jose: args.jose.settings()?,
            require_dpop: args.require_dpop,
            require_second_factor: args.require_second_factor,
        });
    let (client, secret) = admin::with_deployment(global, |d| async move {
        d.authority()
            .register_client(&new, &Actor::Operator)
            .await
            .map_err(CliError::from)
    })?;
    let secret = secret.map(zeroize::Zeroizing::new);
    let created = Created {
        client_id: &client.id,
        client_secret: secret.as_ref().map(|s| s.as_str()),
    };
    commands::print(&admin::json(&created)?)?;
    if secret.is_some() {
        eprintln!("note: store the client_secret now; it is not shown again");
    }
    Ok(())
}

/// A client as `client list --json` shows it.
#[derive(Serialize)]
struct ClientRow<'a> {
    client_id: &'a str,
    name: &'a str,
    public: bool,
    grants: Vec<&'static str>,
    scopes: &'a [String],
    audiences: &'a [String],
    created_at: i64,
    /// Browser settings, when it has any.
    #[serde(flatten, skip_serializing_if = "no_web")]
    web: &'a ClientWeb,
}

/// True for a client without browser settings.
fn no_web(web: &&ClientWeb) -> bool {
    **web == ClientWeb::default()
}

fn list(global: &GlobalArgs, args: &ListArgs) -> Result<(), CliError> {
    let clients = admin::with_deployment(global, |d| async move {
        d.authority().list_clients().await.map_err(CliError::from)
    })?;
    if args.json {
        let rows: Vec<ClientRow<'_>> = clients.iter().map(row).collect();
        return commands::print(&admin::json(&rows)?);
    }
    let dash = |items: &[String]| {
        if items.is_empty() {
            "-".to_owned()
        } else {
            items.join(",")
        }
    };
    let rows: Vec<Vec<String>> = clients
        .iter()
        .map(|c| {
            vec![
                c.id.to_string(),
                c.name.clone(),
                if c.is_public() {
                    "public"
                } else {
                    "confidential"
                }
                .into(),
                row(c).grants.join(","),
                dash(&c.scopes),
                dash(&c.audiences),
                timefmt::utc(c.created_at.secs()),
                if c.web.require_second_factor {
                    "required"
                } else {
                    "-"
                }
                .into(),
                if c.web.require_dpop { "required" } else { "-" }.into(),
            ]
        })
        .collect();
    let header = [
        "CLIENT_ID",
        "NAME",
        "TYPE",
        "GRANTS",
        "SCOPES",
        "AUDIENCES",
        "CREATED",
        "MFA",
        "DPOP",
    ];
    commands::print(&admin::table(&header, &rows))
}

fn row(client: &Client) -> ClientRow<'_> {
    ClientRow {
        client_id: &client.id,
        name: &client.name,
        public: client.is_public(),
        grants: client.grants.iter().map(|g| g.short_name()).collect(),
        scopes: &client.scopes,
        audiences: &client.audiences,
        created_at: client.created_at.secs(),
        web: &client.web,
    }
}

fn rotate_secret(global: &GlobalArgs, id: &str) -> Result<(), CliError> {
    let secret = admin::with_deployment(global, |d| async move {
        d.authority()
            .rotate_client_secret(id, &Actor::Operator)
            .await
            .map_err(|err| {
                CliError::from(err)
                    .context(&format!("client {id}"))
                    .with_hint("`tessera client list` shows the client ids")
            })
    })?;
    let created = Created {
        client_id: id,
        client_secret: Some(&secret),
    };
    commands::print(&admin::json(&created)?)
}

fn remove(global: &GlobalArgs, id: &str) -> Result<(), CliError> {
    admin::with_deployment(global, |d| async move {
        d.authority()
            .delete_client(id, &Actor::Operator)
            .await
            .map_err(|err| {
                CliError::from(err)
                    .context(&format!("client {id}"))
                    .with_hint("`tessera client list` shows the client ids")
            })
    })?;
    commands::print(&format!("removed client {id} and ended its sessions"))
}
