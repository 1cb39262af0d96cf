// Drives the operator console in a real browser (Debian's Chromium through playwright-core):
// an administrator signs in, creates an account, makes it a password reset link that a second
// browser uses (and then signs in with), ends that browser's session from the console,
// registers a client and changes it, rotates the signing key, adds a webhook, and reads the
// audit trail. On every page it runs axe-core (WCAG 2.1 A and AA) and saves a full-page
// screenshot. The console asks administrators for a second factor: the script is their
// authenticator app, computing the codes from the secret it is given.
//
//     node console-pages.mjs --issuer URL --username NAME --screenshots DIR < secrets.json
//
// secrets.json is {"password": ..., "totp_secret": BASE32} (the administrator's; the secret
// comes on stdin, never on the command line where `ps` shows it). Exit 0 and a JSON report
// on stdout (per page: its title, HTTP status and axe violations; what the console showed;
// the audit trail's rows); 1 and `rejected: ...` on stderr; 2 on bad usage or a missing
// package or browser.

import { existsSync, mkdirSync, readFileSync } from 'node:fs';

import { authenticator } from './authenticator.mjs';
import { loadOrExit, requiredArgs } from './deps.mjs';
import { auditor } from './pages.mjs';

const { chromium } = await loadOrExit('playwright-core');
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';

const args = requiredArgs('console-pages.mjs', ['issuer', 'username', 'screenshots'], '< secrets.json');
if (!existsSync(CHROMIUM)) {
  console.error(`missing ${CHROMIUM}; run: apt-get install chromium`);
  process.exit(2);
}
const secrets = JSON.parse(readFileSync(0, 'utf8'));
mkdirSync(args.screenshots, { recursive: true });
const at = (path) => new URL(path, args.issuer).toString();
const NEW_USER = 'carol';
const NEW_PASSWORD = 'a carefully chosen passphrase';

const audit = auditor(args.screenshots);
const adminApp = secrets.totp_secret ? authenticator(secrets.totp_secret) : null;

/** Clicks `selector` and waits for the page it leads to; its response. */
async function submit(page, selector) {
  const [response] = await Promise.all([page.waitForNavigation(), page.click(selector)]);
  return response;
}

/** Signs in with `password`, then, when the second-factor page follows, with a code of
 * `app`; the last response and whether a code was asked for. */
async function signIn(page, username, password, app = null) {
  await page.goto(at('/ui/login'));
  await page.fill('input[autocomplete="username"]', username);
  await page.fill('input[autocomplete="current-password"]', password);
  let response = await submit(page, 'button[value="sign_in"]');
  const askedForCode = (await page.locator('form[action="/ui/second-factor"]').count()) > 0;
  if (askedForCode && app) {
    await page.fill('input[autocomplete="one-time-code"]', (await app.next()).code);
    response = await submit(page, 'button[value="verify"]');
  }
  return { response, askedForCode };
}

async function run() {
  const report = { pages: [] };
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  try {
    const admin = await (await browser.newContext({ locale: 'en-US' })).newPage();
    let response = await admin.goto(at('/ui/admin'));
    report.unsigned_lands_on = new URL(admin.url()).pathname;
    // The administrator's password leads to the second-factor page; the app's code, on.
    report.admin_asked_for_code = (await signIn(admin, args.username, secrets.password, adminApp)).askedForCode;
    report.admin_signed_in_at = new URL(admin.url()).pathname;
    response = await admin.goto(at('/ui/admin'));
    await audit(admin, 'console-users', response.status(), report);

    // An account, created from the console.
    await admin.fill('#new-username', NEW_USER);
    await admin.fill('#new-password', 'a temporary passphrase');
    await admin.fill('#new-roles', 'staff');
    response = await submit(admin, 'form[action="/ui/admin/users"] button[type="submit"]');
    await audit(admin, 'console-user-created', response.status(), report);
    response = await admin.goto(at(`/ui/admin/users/${NEW_USER}`));
    await audit(admin, 'console-user', response.status(), report);

    // A reset link, used in another browser, which then signs in with the new password.
    response = await submit(admin, `form[action$="/${NEW_USER}/reset"] button`);
    await audit(admin, 'console-reset-link', response.status(), report);
    const link = (await admin.textContent('#reset-link')).trim();
    const owner = await (await browser.newContext({ locale: 'en-US' })).newPage();
    response = await owner.goto(link);
    await audit(owner, 'reset', response.status(), report);
    await owner.fill('input[autocomplete="new-password"]', NEW_PASSWORD);
    response = await submit(owner, 'button[value="set_password"]');
    await audit(owner, 'reset-done', response.status(), report);
    report.owner_asked_for_code = (await signIn(owner, NEW_USER, NEW_PASSWORD)).askedForCode;
    report.owner_signed_in_at = new URL(owner.url()).pathname;

    // The administrator sees that browser and ends its session.
    response = await admin.goto(at(`/ui/admin/users/${NEW_USER}`));
    report.sessions_listed = await admin.locator('form[action$="/sessions"] input[name="session"]').count();
    response = await submit(admin, `form[action$="/${NEW_USER}/sessions"] button`);
    await audit(admin, 'console-session-ended', response.status(), report);
    await owner.goto(at('/ui/account'));
    report.owner_after_end = new URL(owner.url()).pathname;

    // A client: registered (its secret shown once), then changed.
    response = await admin.goto(at('/ui/admin/clients'));
    await audit(admin, 'console-clients', response.status(), report);
    await admin.fill('#client-name', 'Shop backend');
    await admin.check('#grant-client_credentials');
    await admin.fill('#client-scopes', 'orders:read');
    await admin.fill('#client-audiences', 'orders-api');
    response = await submit(admin, 'form[action="/ui/admin/clients"] button[type="submit"]');
    await audit(admin, 'console-client-created', response.status(), report);
    report.client_secret_length = (await admin.textContent('#client-secret')).trim().length;
    await admin.fill('#client-scopes', 'orders:read orders:write');
    response = await submit(admin, 'form[action^="/ui/admin/clients/"]:not([action$="/secret"]):not([action$="/delete"]) button');
    await audit(admin, 'console-client', response.status(), report);
    report.client_scopes = await admin.inputValue('#client-scopes');

    // The signing key, rotated.
    response = await admin.goto(at('/ui/admin/keys'));
    await audit(admin, 'console-keys', response.status(), report);
    response = await submit(admin, 'form[action="/ui/admin/keys/rotate"] button');
    await audit(admin, 'console-keys-rotated', response.status(), report);
    report.key_states = await admin.$$eval('table tbody tr td:nth-child(3)', (cells) => cells.map((c) => c.textContent.trim()));

    // A webhook.
    response = await admin.goto(at('/ui/admin/webhooks'));
    await admin.fill('#webhook-url', 'http://127.0.0.1:9/tessera-events');
    await admin.fill('#webhook-events', 'login_failed login_throttled');
    response = await submit(admin, 'form[action="/ui/admin/webhooks"] button[type="submit"]');
    await audit(admin, 'console-webhooks', response.status(), report);

    // The audit trail: every row, as the table shows it.
    response = await admin.goto(at('/ui/admin/events'));
    await audit(admin, 'console-events', response.status(), report);
    report.trail = await admin.$$eval('table tbody tr', (rows) =>
      rows.map((r) => [...r.querySelectorAll('td')].map((c) => c.textContent.trim())),
    );
    return report;
  } finally {
    await browser.close();
  }
}

try {
  console.log(JSON.stringify(await run()));
} catch (err) {
  console.error(`rejected: ${err?.message ?? err}`);
  process.exit(1);
}
