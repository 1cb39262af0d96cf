// Asks for a second factor with openid-client, configured only from discovery: the
// authorization request carries `acr_values=urn:tessera:acr:mfa` (advertised in
// `acr_values_supported`); the user signs in with a password and then a TOTP code (computed
// here, RFC 6238, from the secret `tessera user totp enroll` gave); openid-client redeems the
// code and validates the ID token, whose `acr` and `amr` the report returns.
//
//     node step-up.mjs --issuer URL --client-id ID --username NAME --redirect-uri URI \
//         < secrets.json
//
// secrets.json is {"client_secret": ..., "password": ..., "totp_secret": <base32>}. Exit 0
// and a JSON report on stdout; 1 and `rejected: <error>` on stderr; 2 on bad usage or a
// missing package.

import { readFileSync } from 'node:fs';

import { loadOrExit, requiredArgs } from './deps.mjs';
import { FormBrowser } from './form-browser.mjs';
import { base32, codeAt, currentStep } from './totp.mjs';

const client = await loadOrExit('openid-client');

const MFA = 'urn:tessera:acr:mfa';
const args = requiredArgs('step-up.mjs', ['issuer', 'client-id', 'username', 'redirect-uri'], '< secrets.json');
const secrets = JSON.parse(readFileSync(0, 'utf8'));

async function run() {
  const config = await client.discovery(
    new URL(args.issuer),
    args['client-id'],
    undefined,
    client.ClientSecretBasic(secrets.client_secret),
    { execute: [client.allowInsecureRequests] },
  );
  const supported = config.serverMetadata().acr_values_supported ?? [];
  if (!supported.includes(MFA)) throw new Error(`discovery does not list ${MFA}: ${supported}`);
  const verifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const nonce = client.randomNonce();
  const authorizationUrl = client.buildAuthorizationUrl(config, {
    redirect_uri: args['redirect-uri'],
    scope: 'openid',
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    acr_values: MFA,
    state,
    nonce,
  });
  const browser = new FormBrowser(args.issuer);
  const login = await browser.go(authorizationUrl);
  const asked = await browser.submit(await login.text(), {
    username: args.username,
    password: secrets.password,
  });
  const page = await asked.text();
  const codeField = /<input id="code" name="code" type="text" autocomplete="one-time-code"/.test(page);
  if (asked.status !== 200 || !codeField) {
    throw new Error(`no second-factor page after the password: ${asked.status} ${page.slice(0, 300)}`);
  }
  const code = codeAt(base32(secrets.totp_secret), currentStep());
  const back = await browser.submit(page, { code, action: 'verify' });
  const location = back.headers.get('location');
  if (back.status !== 303 || !location?.startsWith(args['redirect-uri'])) {
    throw new Error(`the code answered ${back.status} ${location ?? (await back.text()).slice(0, 300)}`);
  }
  const tokens = await client.authorizationCodeGrant(config, new URL(location), {
    pkceCodeVerifier: verifier,
    expectedState: state,
    expectedNonce: nonce,
    idTokenExpected: true,
  });
  return { acr_values_supported: supported, id_token_claims: tokens.claims() };
}

try {
  console.log(JSON.stringify(await run()));
} catch (err) {
  console.error(`rejected: ${err?.error ?? ''} ${err?.message ?? err}`);
  process.exit(1);
}
