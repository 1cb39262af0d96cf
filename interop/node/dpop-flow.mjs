// DPoP (RFC 9449) with openid-client against `tessera serve`, configured only from discovery:
// a client_credentials grant and a password grant with openid-client's DPoP handle (an ES256
// key made here), then /userinfo with the bound user token through the same handle.
//
//     node dpop-flow.mjs --issuer URL --client-id ID --username NAME --scope S < secrets.json
//
// secrets.json is {"client_secret": ..., "password": ...}. Exit 0 and a JSON report on stdout
// (the key's thumbprint, each grant's token_type and the access token's cnf.jkt, what
// /userinfo answered); 1 and `rejected: <error>` on stderr; 2 on bad usage or a missing
// package.

import { readFileSync } from 'node:fs';

import { loadOrExit, requiredArgs } from './deps.mjs';

const client = await loadOrExit('openid-client');
const { calculateJwkThumbprint, decodeJwt, exportJWK } = await loadOrExit('jose');

const NAMES = ['issuer', 'client-id', 'username', 'scope'];
const args = requiredArgs('dpop-flow.mjs', NAMES, '< secrets.json');
const secrets = JSON.parse(readFileSync(0, 'utf8'));

function bound(response) {
  return {
    token_type: response.token_type,
    jkt: decodeJwt(response.access_token).cnf?.jkt ?? null,
  };
}

async function run() {
  const config = await client.discovery(
    new URL(args.issuer),
    args['client-id'],
    undefined,
    client.ClientSecretBasic(secrets.client_secret),
    { algorithm: 'oauth2', execute: [client.allowInsecureRequests] },
  );
  const keyPair = await client.randomDPoPKeyPair('ES256');
  const DPoP = client.getDPoPHandle(config, keyPair);
  const service = await client.clientCredentialsGrant(config, { scope: args.scope }, { DPoP });
  const user = await client.genericGrantRequest(
    config,
    'password',
    { username: args.username, password: secrets.password, scope: args.scope },
    { DPoP },
  );
  const info = await client.fetchUserInfo(config, user.access_token, client.skipSubjectCheck, {
    DPoP,
  });
  return {
    thumbprint: await calculateJwkThumbprint(await exportJWK(keyPair.publicKey)),
    dpop_signing_alg_values_supported: config.serverMetadata().dpop_signing_alg_values_supported,
    client_credentials: bound(service),
    password: bound(user),
    userinfo: info,
  };
}

try {
  process.stdout.write(JSON.stringify(await run()));
} catch (err) {
  console.error(`rejected: ${err.code ?? err.name}: ${err.error ?? ''} ${err.message}`);
  process.exit(1);
}
