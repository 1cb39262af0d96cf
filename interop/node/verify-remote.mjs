// Verifies an access token from `tessera serve` as a Node resource server would: the `jose`
// package, createRemoteJWKSet on the jwks_uri that the issuer's discovery document names,
// then jwtVerify with issuer, audience, typ and a pinned algorithm.
//
//     node verify-remote.mjs --issuer URL --audience AUD --alg ALG < token
//
// The token comes on stdin (never on the command line, where `ps` would show it). Exit 0 and
// the verified claims as JSON on stdout; 1 and `rejected: <code>: <message>` on stderr; 2 on
// bad usage or a missing package.

import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

import { loadOrExit } from './deps.mjs';

const { createRemoteJWKSet, jwtVerify } = await loadOrExit('jose');
const TIMEOUT_MS = 10_000;

/** The issuer's metadata, refusing one that names another issuer (RFC 8414 §3.3). */
async function discover(issuer) {
  const url = `${issuer}/.well-known/openid-configuration`;
  const response = await fetch(url, { signal: AbortSignal.timeout(TIMEOUT_MS) });
  const metadata = await response.json();
  if (metadata.issuer !== issuer) {
    throw new Error(`discovery names issuer ${JSON.stringify(metadata.issuer)}`);
  }
  return metadata;
}

const { values } = parseArgs({
  options: { issuer: { type: 'string' }, audience: { type: 'string' }, alg: { type: 'string' } },
});
if (!values.issuer || !values.audience || !values.alg) {
  console.error('usage: node verify-remote.mjs --issuer URL --audience AUD --alg ALG < token');
  process.exit(2);
}
const token = readFileSync(0, 'utf8').trim();
const metadata = await discover(values.issuer);
const keys = createRemoteJWKSet(new URL(metadata.jwks_uri), { timeoutDuration: TIMEOUT_MS });
try {
  const { payload } = await jwtVerify(token, keys, {
    issuer: values.issuer,
    audience: values.audience,
    typ: 'at+jwt',
    algorithms: [values.alg],
    requiredClaims: ['exp', 'iat', 'sub', 'jti'],
  });
  process.stdout.write(JSON.stringify(payload));
} catch (err) {
  console.error(`rejected: ${err.code ?? err.name}: ${err.message}`);
  process.exit(1);
}
