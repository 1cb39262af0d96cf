// RFC 6238 time-based one-time passwords (SHA-1, 6 digits, 30 s steps, as every
// authenticator app), computed independently of the server's code, for the scripts that sign
// in with a second factor.

import { createHmac } from 'node:crypto';

/** The length of a step, in seconds. */
export const STEP_SECS = 30;

/** RFC 4648 base32 (spaces and padding ignored, any case) to bytes. */
export function base32(text) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = 0;
  let value = 0;
  const out = [];
  for (const char of text.replace(/[\s=]/g, '').toUpperCase()) {
    const digit = alphabet.indexOf(char);
    if (digit < 0) throw new Error(`not base32: ${char}`);
    value = ((value << 5) | digit) & 0xffff;
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}

/** The step of the current time. */
export function currentStep() {
  return Math.floor(Date.now() / 1000 / STEP_SECS);
}

/** The code of `step` for `secret` (bytes): HOTP (RFC 4226) with the step as counter. */
export function codeAt(secret, step) {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(step));
  const mac = createHmac('sha1', secret).update(counter).digest();
  const offset = mac[mac.length - 1] & 0x0f;
  const number = (mac.readUInt32BE(offset) & 0x7fffffff) % 1_000_000;
  return number.toString().padStart(6, '0');
}
