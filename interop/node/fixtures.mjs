// The foreign-token fixture layout (interop/README.md): claims, tampering and file writing.
// The same layout as interop/python/fixtures.py, so verifiers load either generator's output.

import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const ALGS = ['RS256', 'PS256', 'ES256', 'ES384', 'EdDSA'];
export const ISSUER = 'https://issuer.interop.test';
export const AUDIENCE = 'interop-api';
export const TYP = 'at+jwt';
// Long enough for a slow test run, short enough to be an ordinary access token.
const LIFETIME_S = 3600;

/** RFC 9068 access-token claims, distinct per library and algorithm. */
export function claimsFor(library, alg) {
  const now = Math.floor(Date.now() / 1000);
  return {
    iss: ISSUER,
    sub: `${library}-${alg.toLowerCase()}-user`,
    aud: AUDIENCE,
    exp: now + LIFETIME_S,
    nbf: now,
    iat: now,
    jti: randomUUID(),
    client_id: 'interop-client',
    scope: 'orders:read orders:write',
  };
}

/** The same header and signature over claims whose `sub` was changed. */
export function tamperPayload(token) {
  const [header, payload, signature] = token.split('.');
  const claims = JSON.parse(Buffer.from(payload, 'base64url'));
  claims.sub = 'intruder';
  const forged = Buffer.from(JSON.stringify(claims)).toString('base64url');
  return `${header}.${forged}.${signature}`;
}

/** One bit of a signature byte flipped, in the decoded bytes (the last base64url character
 * may carry unused bits). */
export function tamperSignature(token) {
  const [header, payload, signature] = token.split('.');
  const raw = Buffer.from(signature, 'base64url');
  raw[Math.floor(raw.length / 2)] ^= 0x01;
  return `${header}.${payload}.${raw.toString('base64url')}`;
}

/** Writes `made` ({alg: {jwk, pem, token, claims}}) in the shared layout. */
export function write(outDir, generator, made) {
  mkdirSync(outDir, { recursive: true });
  const json = (value) => `${JSON.stringify(value, null, 2)}\n`;
  for (const [alg, { jwk, pem, token, claims }] of Object.entries(made)) {
    const folder = join(outDir, alg);
    mkdirSync(folder, { recursive: true });
    writeFileSync(join(folder, 'token.jwt'), `${token}\n`);
    writeFileSync(join(folder, 'tampered-payload.jwt'), `${tamperPayload(token)}\n`);
    writeFileSync(join(folder, 'tampered-signature.jwt'), `${tamperSignature(token)}\n`);
    writeFileSync(join(folder, 'claims.json'), json(claims));
    writeFileSync(join(folder, 'public.pem'), pem);
    writeFileSync(join(folder, 'jwk.json'), json(jwk));
  }
  const keys = Object.values(made).map(({ jwk }) => jwk);
  writeFileSync(join(outDir, 'jwks.json'), json({ keys }));
  const algs = Object.keys(made);
  const manifest = { generator, issuer: ISSUER, audience: AUDIENCE, typ: TYP, algs };
  writeFileSync(join(outDir, 'manifest.json'), json(manifest));
}
