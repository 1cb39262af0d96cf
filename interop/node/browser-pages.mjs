// Drives Tessera's sign-in pages in a real browser (Debian's Chromium through playwright-core,
// never a downloaded one): the sign-in page, a wrong password, the consent page, the operator
// console (accounts and audit trail; the user is an admin), the account page, the logout
// confirmation and the signed-out page, the German sign-in page, and an error
// page. On every page it runs axe-core (WCAG 2.1 A and AA) and saves a full-page screenshot.
// The relying party is this script: it builds the authorization request with PKCE and reads
// the code from the redirect to a local receiver on 127.0.0.1.
//
//     node browser-pages.mjs --issuer URL --client-id ID --username NAME \
//         --redirect-uri URI --screenshots DIR < secrets.json
//
// secrets.json is {"password": ...}. Exit 0 and a JSON report on stdout (per page: its title,
// HTTP status and axe violations; whether the flow ended with a code); 1 and `rejected: ...`
// on stderr; 2 on bad usage or a missing package or browser.

import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';

import { loadOrExit, requiredArgs } from './deps.mjs';
import { auditor } from './pages.mjs';

const { chromium } = await loadOrExit('playwright-core');
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';

const NAMES = ['issuer', 'client-id', 'username', 'redirect-uri', 'screenshots'];
const args = requiredArgs('browser-pages.mjs', NAMES, '< secrets.json');
if (!existsSync(CHROMIUM)) {
  console.error(`missing ${CHROMIUM}; run: apt-get install chromium`);
  process.exit(2);
}
const secrets = JSON.parse(readFileSync(0, 'utf8'));
mkdirSync(args.screenshots, { recursive: true });

const b64url = (bytes) => bytes.toString('base64url');

/** The redirect receiver: answers every request with a small page, remembers the queries. */
async function receiver(uri) {
  const url = new URL(uri);
  const hits = [];
  const server = createServer((req, res) => {
    hits.push(new URL(req.url, uri));
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end('<!doctype html><html lang="en"><title>Client</title><main><h1>Client</h1></main></html>');
  });
  await new Promise((resolve) => server.listen(Number(url.port), url.hostname, resolve));
  return { hits, close: () => server.close() };
}

function authorizationUrl(extra = {}) {
  const verifier = b64url(randomBytes(32));
  const challenge = b64url(createHash('sha256').update(verifier).digest());
  const url = new URL('/oauth/authorize', args.issuer);
  const params = {
    response_type: 'code',
    client_id: args['client-id'],
    redirect_uri: args['redirect-uri'],
    scope: 'openid',
    state: b64url(randomBytes(8)),
    nonce: b64url(randomBytes(8)),
    code_challenge: challenge,
    code_challenge_method: 'S256',
    ...extra,
  };
  for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
  return url.toString();
}

const audit = auditor(args.screenshots);

async function run() {
  const report = { pages: [] };
  const rp = await receiver(args['redirect-uri']);
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  try {
    const context = await browser.newContext({ locale: 'en-US', javaScriptEnabled: true });
    const page = await context.newPage();
    let response = await page.goto(authorizationUrl());
    await audit(page, 'login', response.status(), report);

    await page.fill('input[autocomplete="username"]', args.username);
    await page.fill('input[autocomplete="current-password"]', 'not the password');
    response = await Promise.all([page.waitForNavigation(), page.click('button[value="sign_in"]')]).then(([r]) => r);
    await audit(page, 'login-failed', response.status(), report);

    await page.fill('input[autocomplete="current-password"]', secrets.password);
    response = await Promise.all([page.waitForNavigation(), page.click('button[value="sign_in"]')]).then(([r]) => r);
    await audit(page, 'consent', response.status(), report);
    await Promise.all([page.waitForURL((url) => url.toString().startsWith(args['redirect-uri'])), page.click('button[value="allow"]')]);
    const back = new URL(page.url());
    report.code_received = back.searchParams.has('code');
    report.iss_received = back.searchParams.get('iss');

    // The user is an administrator: the operator console's accounts page and audit trail.
    response = await page.goto(new URL('/ui/admin', args.issuer).toString());
    await audit(page, 'admin', response.status(), report);
    response = await page.goto(new URL('/ui/admin/events', args.issuer).toString());
    await audit(page, 'admin-events', response.status(), report);

    response = await page.goto(new URL('/ui/account', args.issuer).toString());
    await audit(page, 'account', response.status(), report);
    response = await Promise.all([page.waitForNavigation(), page.click('button[value="sign_out"]')]).then(([r]) => r);
    await audit(page, 'logged-out', response.status(), report);

    response = await page.goto(authorizationUrl({ ui_locales: 'de' }));
    await audit(page, 'login-de', response.status(), report);
    report.german = (await page.textContent('button[value="sign_in"]'))?.trim();

    response = await page.goto(new URL(`/oauth/logout?client_id=${args['client-id']}`, args.issuer).toString());
    await audit(page, 'logout-nothing-to-end', response.status(), report);

    // Signed in again, a logout request without proof asks first.
    response = await page.goto(authorizationUrl());
    await page.fill('input[autocomplete="username"]', args.username);
    await page.fill('input[autocomplete="current-password"]', secrets.password);
    await Promise.all([page.waitForURL((url) => url.toString().startsWith(args['redirect-uri'])), page.click('button[value="sign_in"]')]);
    response = await page.goto(new URL(`/oauth/logout?client_id=${args['client-id']}`, args.issuer).toString());
    await audit(page, 'logout-confirm', response.status(), report);

    response = await page.goto(new URL('/oauth/authorize?client_id=unknown', args.issuer).toString());
    await audit(page, 'error', response.status(), report);
    return report;
  } finally {
    await browser.close();
    rp.close();
  }
}

try {
  console.log(JSON.stringify(await run()));
} catch (err) {
  console.error(`rejected: ${err?.message ?? err}`);
  process.exit(1);
}
