// Runs the authorization code flow with PKCE and OpenID Connect against `tessera serve` with
// openid-client, configured only from the issuer's OpenID Connect discovery document. The
// browser part (following redirects, submitting the sign-in form with its hidden fields) is
// done with fetch and a cookie jar, as a browser would; openid-client builds the request,
// checks the response (state, `iss` per RFC 9207), redeems the code with the PKCE verifier
// and validates the ID token (signature, iss, aud, exp, nonce), calls userinfo and refreshes.
// Then RP-initiated logout
// through the discovered end_session_endpoint.
//
//     node code-flow.mjs --issuer URL --client-id ID --username NAME --redirect-uri URI \
//         --post-logout-redirect-uri URI < secrets.json
//
// secrets.json is {"client_secret": ..., "password": ...}. Exit 0 and a JSON report on
// stdout; 1 and `rejected: <error>` on stderr; 2 on bad usage or a missing package.

import { readFileSync } from 'node:fs';

import { loadOrExit, requiredArgs } from './deps.mjs';
import { FormBrowser } from './form-browser.mjs';

const client = await loadOrExit('openid-client');

const NAMES = ['issuer', 'client-id', 'username', 'redirect-uri', 'post-logout-redirect-uri'];
const args = requiredArgs('code-flow.mjs', NAMES, '< secrets.json');
const secrets = JSON.parse(readFileSync(0, 'utf8'));

async function run() {
  const config = await client.discovery(
    new URL(args.issuer),
    args['client-id'],
    undefined,
    client.ClientSecretBasic(secrets.client_secret),
    { execute: [client.allowInsecureRequests] },
  );
  const verifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const nonce = client.randomNonce();
  const authorizationUrl = client.buildAuthorizationUrl(config, {
    redirect_uri: args['redirect-uri'],
    scope: 'openid',
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    nonce,
  });
  const browser = new FormBrowser(args.issuer);
  const page = await browser.go(authorizationUrl);
  if (page.status !== 200) throw new Error(`the authorization endpoint answered ${page.status}`);
  const back = await browser.submit(await page.text(), {
    username: args.username,
    password: secrets.password,
  });
  const location = back.headers.get('location');
  if (back.status !== 303 || !location?.startsWith(args['redirect-uri'])) {
    throw new Error(`signing in answered ${back.status} ${location ?? (await back.text()).slice(0, 300)}`);
  }
  const tokens = await client.authorizationCodeGrant(config, new URL(location), {
    pkceCodeVerifier: verifier,
    expectedState: state,
    expectedNonce: nonce,
    idTokenExpected: true,
  });
  const claims = tokens.claims();
  // openid-client checks that userinfo's sub is the ID token's.
  const userinfo = await client.fetchUserInfo(config, tokens.access_token, claims.sub);
  const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token);
  const logoutUrl = client.buildEndSessionUrl(config, {
    id_token_hint: tokens.id_token,
    post_logout_redirect_uri: args['post-logout-redirect-uri'],
    state: 'bye',
  });
  const out = await browser.go(logoutUrl);
  const again = await browser.go(authorizationUrl);
  return {
    id_token_claims: claims,
    userinfo,
    token_type: tokens.token_type,
    has_refresh_token: typeof tokens.refresh_token === 'string',
    refreshed_has_id_token: typeof refreshed.id_token === 'string',
    logout_status: out.status,
    logout_location: out.headers.get('location'),
    signed_out: again.status === 200 && (await again.text()).includes('action="/ui/login"'),
  };
}

try {
  console.log(JSON.stringify(await run()));
} catch (err) {
  console.error(`rejected: ${err?.error ?? ''} ${err?.message ?? err}`);
  process.exit(1);
}
