// Signs in to the demo web application (examples/demo-web) in Debian's Chromium: the demo
// sends the browser to Tessera, the user signs in, the demo shows who is signed in and the
// orders it fetched from protected-api with the access token; a second client then gets a
// code without a second sign-in (single sign-on); signing out at the demo ends the Tessera
// session; and signing out on Tessera's account page signs the demo out over the back channel.
//
//     node demo-flow.mjs --issuer URL --demo URL --username NAME --second-client-id ID \
//         --second-redirect-uri URI --screenshots DIR < secrets.json
//
// secrets.json is {"password": ...}. Exit 0 and a JSON report on stdout; 1 and
// `rejected: ...` on stderr; 2 on bad usage or a missing package or browser.

import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';

import { loadOrExit, requiredArgs } from './deps.mjs';

const { chromium } = await loadOrExit('playwright-core');
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const NAMES = ['issuer', 'demo', 'username', 'second-client-id', 'second-redirect-uri', 'screenshots'];
const args = requiredArgs('demo-flow.mjs', NAMES, '< secrets.json');
if (!existsSync(CHROMIUM)) {
  console.error(`missing ${CHROMIUM}; run: apt-get install chromium`);
  process.exit(2);
}
const secrets = JSON.parse(readFileSync(0, 'utf8'));
mkdirSync(args.screenshots, { recursive: true });

function secondClientUrl() {
  const verifier = randomBytes(32).toString('base64url');
  const url = new URL('/oauth/authorize', args.issuer);
  const params = {
    response_type: 'code',
    client_id: args['second-client-id'],
    redirect_uri: args['second-redirect-uri'],
    scope: 'openid',
    state: 's2',
    code_challenge: createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256',
  };
  for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
  return url.toString();
}

async function signIn(page) {
  await page.fill('input[autocomplete="username"]', args.username);
  await page.fill('input[autocomplete="current-password"]', secrets.password);
  await Promise.all([page.waitForURL((url) => url.toString().startsWith(args.demo)), page.click('button[value="sign_in"]')]);
}

async function run() {
  const report = {};
  // The second client: a page that only has to exist (a route handler would not see the
  // redirect that brings the code).
  const second = new URL(args['second-redirect-uri']);
  const receiver = createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end('<!doctype html><html lang="en"><title>Second app</title><main><h1>Second app</h1></main></html>');
  });
  await new Promise((resolve) => receiver.listen(Number(second.port), second.hostname, resolve));
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  try {
    const page = await (await browser.newContext({ locale: 'en-US' })).newPage();
    await page.goto(args.demo);
    await page.screenshot({ path: join(args.screenshots, 'demo-signed-out.png'), fullPage: true });
    await Promise.all([page.waitForURL((url) => url.toString().startsWith(args.issuer)), page.click('#sign-in')]);
    report.login_page_at_issuer = page.url().startsWith(`${args.issuer}/oauth/authorize`);
    await signIn(page);
    report.demo_user = (await page.textContent('#user'))?.trim();
    await page.screenshot({ path: join(args.screenshots, 'demo-signed-in.png'), fullPage: true });

    await page.click('a[href="/orders"]');
    report.orders = (await page.textContent('#orders'))?.trim();
    report.api_status = (await page.textContent('p'))?.trim();
    await page.screenshot({ path: join(args.screenshots, 'demo-orders.png'), fullPage: true });

    const secondVisit = await page.goto(secondClientUrl());
    const landed = new URL(page.url());
    report.sso_second_client = landed.toString().startsWith(args['second-redirect-uri']) && landed.searchParams.has('code');
    report.sso_status = secondVisit.status();

    await page.goto(args.demo);
    await Promise.all([page.waitForURL((url) => url.toString().startsWith(args.demo) && !url.pathname.startsWith('/logout')), page.click('button[type="submit"]')]);
    report.after_demo_logout = (await page.textContent('main'))?.includes('You are not signed in');
    await page.goto(secondClientUrl());
    report.issuer_session_ended = page.url().startsWith(`${args.issuer}/oauth/authorize`);

    // Signed in again, then signed out on Tessera's own account page: the demo hears of it.
    await page.goto(args.demo);
    await Promise.all([page.waitForURL((url) => url.toString().startsWith(args.issuer)), page.click('#sign-in')]);
    await signIn(page);
    report.signed_in_again = (await page.textContent('#user'))?.trim() === args.username;
    await page.goto(new URL('/ui/account', args.issuer).toString());
    await Promise.all([page.waitForNavigation(), page.click('button[value="sign_out"]')]);
    let signedOut = false;
    for (let i = 0; i < 50 && !signedOut; i += 1) {
      await page.goto(args.demo);
      signedOut = (await page.textContent('main'))?.includes('You are not signed in');
      if (!signedOut) await page.waitForTimeout(100);
    }
    report.backchannel_signed_demo_out = signedOut;
    return report;
  } finally {
    await browser.close();
    receiver.close();
  }
}

try {
  console.log(JSON.stringify(await run()));
} catch (err) {
  console.error(`rejected: ${err?.message ?? err}`);
  process.exit(1);
}
