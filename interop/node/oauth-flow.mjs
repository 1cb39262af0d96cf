// Runs the password, refresh_token and client_credentials grants against `tessera serve` with
// openid-client, configured only from the issuer's RFC 8414 metadata (discovery), and verifies
// each access token with `jose` (openid-client's JOSE side) against the metadata's jwks_uri.
//
//     node oauth-flow.mjs --issuer URL --client-id ID --username NAME --scope S \
//         --audience AUD --alg ALG < secrets.json
//
// secrets.json is {"client_secret": ..., "password": ...} (secrets never on the command line).
// Exit 0 and a JSON report on stdout (per grant: the verified claims and the response's
// token_type, expires_in, scope and whether it held a refresh token); 1 and
// `rejected: <error>` on stderr; 2 on bad usage or a missing package.

import { readFileSync } from 'node:fs';

import { loadOrExit, requiredArgs } from './deps.mjs';

const client = await loadOrExit('openid-client');
const { createRemoteJWKSet, jwtVerify } = await loadOrExit('jose');

const NAMES = ['issuer', 'client-id', 'username', 'scope', 'audience', 'alg'];
const args = requiredArgs('oauth-flow.mjs', NAMES, '< secrets.json');
const secrets = JSON.parse(readFileSync(0, 'utf8'));

/** Verifies an access token as a resource server would. */
function verifier(jwksUri) {
  const keys = createRemoteJWKSet(new URL(jwksUri));
  return async (token) => {
    const { payload } = await jwtVerify(token, keys, {
      issuer: args.issuer,
      audience: args.audience,
      typ: 'at+jwt',
      algorithms: [args.alg],
      requiredClaims: ['exp', 'iat', 'sub', 'jti'],
    });
    return payload;
  };
}

async function summary(response, verify) {
  return {
    claims: await verify(response.access_token),
    token_type: response.token_type,
    expires_in: response.expires_in,
    scope: response.scope,
    has_refresh_token: 'refresh_token' in response,
  };
}

async function run() {
  // RFC 8414 discovery (/.well-known/oauth-authorization-server); plain http is allowed
  // because every test server listens on 127.0.0.1.
  const config = await client.discovery(
    new URL(args.issuer),
    args['client-id'],
    undefined,
    client.ClientSecretBasic(secrets.client_secret),
    { algorithm: 'oauth2', execute: [client.allowInsecureRequests] },
  );
  const verify = verifier(config.serverMetadata().jwks_uri);
  const password = await client.genericGrantRequest(config, 'password', {
    username: args.username,
    password: secrets.password,
    scope: args.scope,
  });
  const refreshed = await client.refreshTokenGrant(config, password.refresh_token);
  const service = await client.clientCredentialsGrant(config, { scope: args.scope });
  return {
    password: await summary(password, verify),
    refresh_token: await summary(refreshed, verify),
    client_credentials: await summary(service, verify),
  };
}

try {
  process.stdout.write(JSON.stringify(await run()));
} catch (err) {
  console.error(`rejected: ${err.code ?? err.name}: ${err.error ?? ''} ${err.message}`);
  process.exit(1);
}
