// Encrypts and decrypts compact JWEs with `jose`, for the JWE interop tests.
//
// Reads one JSON document from stdin and prints one JSON array on stdout:
//   {"mode": "encrypt", "cases": [{"jwk", "alg", "enc", "plaintext"}]} -> [{"jwe"} | {"error"}]
//   {"mode": "decrypt", "cases": [{"jwk", "alg", "enc", "jwe"}]}       -> [{"plaintext"} | {"error"}]
// Every case is run; a failure is reported in its slot. Exit 0 when the document was read,
// 2 on bad usage or a missing package.

import { loadOrExit } from './deps.mjs';

const jose = await loadOrExit('jose');

async function readStdin() {
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  return Buffer.concat(chunks).toString('utf8');
}

async function encrypt(c) {
  const key = await jose.importJWK(c.jwk, c.alg);
  const jwe = await new jose.CompactEncrypt(new TextEncoder().encode(c.plaintext))
    .setProtectedHeader({ alg: c.alg, enc: c.enc })
    .encrypt(key);
  return { jwe };
}

async function decrypt(c) {
  const key = await jose.importJWK(c.jwk, c.alg);
  const { plaintext } = await jose.compactDecrypt(c.jwe, key, {
    keyManagementAlgorithms: [c.alg],
    contentEncryptionAlgorithms: [c.enc],
  });
  return { plaintext: new TextDecoder().decode(plaintext) };
}

let doc;
try {
  doc = JSON.parse(await readStdin());
} catch (err) {
  console.error(`usage: a JSON document with mode and cases on stdin (${err.message})`);
  process.exit(2);
}
const run = { encrypt, decrypt }[doc.mode];
if (!run || !Array.isArray(doc.cases)) {
  console.error('usage: mode must be encrypt or decrypt, with a cases array');
  process.exit(2);
}
const results = [];
for (const c of doc.cases) {
  try {
    results.push(await run(c));
  } catch (err) {
    results.push({ error: `${err.code ?? err.name}: ${err.message}` });
  }
}
process.stdout.write(JSON.stringify(results));
