// Writes access tokens and public keys made by the `jose` package into OUT_DIR, in the layout
// interop/README.md describes (the same as interop/python/make_tokens.py).
//
//     node make-tokens.mjs OUT_DIR [ALG ...]     (default: every algorithm)
//
// Exit 0 on success, 2 on bad usage or a missing package.

import { createRequire } from 'node:module';

import { ALGS, claimsFor, write } from './fixtures.mjs';
import { loadOrExit } from './deps.mjs';

const { SignJWT, exportJWK, exportSPKI, generateKeyPair } = await loadOrExit('jose');
const { version } = createRequire(import.meta.url)('jose/package.json');

/** One algorithm's fixture: a fresh key pair (RSA 2048-bit, Ed25519 for EdDSA) and a token. */
async function make(alg) {
  const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true });
  const kid = `jose-${alg.toLowerCase()}`;
  const jwk = { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' };
  const pem = await exportSPKI(publicKey);
  const claims = claimsFor('jose', alg);
  const token = await new SignJWT(claims)
    .setProtectedHeader({ alg, kid, typ: 'at+jwt' })
    .sign(privateKey);
  return { jwk, pem, token, claims };
}

const [outDir, ...requested] = process.argv.slice(2);
const unknown = requested.filter((alg) => !ALGS.includes(alg));
if (!outDir || unknown.length > 0) {
  console.error(`usage: node make-tokens.mjs OUT_DIR [ALG ...] with ALG one of ${ALGS.join(', ')}`);
  process.exit(2);
}
const made = {};
for (const alg of requested.length > 0 ? requested : ALGS) {
  made[alg] = await make(alg);
}
write(outDir, `jose ${version}`, made);
