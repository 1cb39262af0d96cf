// An authenticator app for the browser walks that sign in more than once with the same
// secret. The server accepts each step once per user, and never a step before the last one
// it accepted, so the app remembers the last step it gave out and waits for the clock rather
// than repeat one. The codes themselves come from totp.mjs (RFC 6238 in node's crypto).

import { setTimeout as sleep } from 'node:timers/promises';

import { STEP_SECS, base32, codeAt, currentStep } from './totp.mjs';

/** A six-digit code that is no code of `secret` (bytes) within two steps of now: the
 * server's window is one step either side; two leaves room for the clock to tick. */
export function wrongCode(secret) {
  const now = currentStep();
  const near = new Set([-2, -1, 0, 1, 2].map((d) => codeAt(secret, now + d)));
  for (let n = 0; ; n += 1) {
    const candidate = String(n).padStart(6, '0');
    if (!near.has(candidate)) return candidate;
  }
}

/** The app of the base32 `secret` (as the set-up page or an otpauth:// URI shows it):
 * `next()` resolves to `{ code, step }` of a step not given out before. */
export function authenticator(secretText) {
  const secret = base32(secretText);
  let last = -Infinity;
  return {
    secret,
    async next() {
      for (;;) {
        const now = currentStep();
        // The current step rather than the one before: a code of `now - 1` falls out of the
        // server's window if the clock ticks while the browser submits it, while `now + 1`
        // is inside the window and only grows safer as time passes.
        const step = Math.max(now, last + 1);
        if (step <= now + 1) {
          last = step;
          return { code: codeAt(secret, step), step };
        }
        await sleep((now + 1) * STEP_SECS * 1000 - Date.now() + 50);
      }
    },
  };
}
