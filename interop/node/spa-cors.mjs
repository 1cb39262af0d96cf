// A single-page application in a real browser (Debian's Chromium through playwright-core):
// a page served from a registered origin calls Tessera's token endpoint and userinfo with
// fetch (the userinfo call needs a CORS preflight, for its Authorization header), and the
// same page served from an origin no client registered is refused by the browser.
//
//     node spa-cors.mjs --issuer URL --client-id ID --username NAME \
//         --allowed-port PORT --other-port PORT < secrets.json
//
// The two ports are where the script serves the page, as http://localhost:PORT. secrets.json
// is {"password": ...}. Exit 0 and a JSON report on stdout (per origin: what each call
// returned, or the browser's error); 2 on bad usage or a missing package or browser.

import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';

import { loadOrExit, requiredArgs } from './deps.mjs';

const { chromium } = await loadOrExit('playwright-core');
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';

const NAMES = ['issuer', 'client-id', 'username', 'allowed-port', 'other-port'];
const args = requiredArgs('spa-cors.mjs', NAMES, '< secrets.json');
if (!existsSync(CHROMIUM)) {
  console.error(`missing ${CHROMIUM}; run: apt-get install chromium`);
  process.exit(2);
}
const secrets = JSON.parse(readFileSync(0, 'utf8'));

/** Serves one small page on localhost:PORT (the application's origin). */
async function origin(port) {
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end('<!doctype html><html lang="en"><title>SPA</title><main><h1>SPA</h1></main></html>');
  });
  await new Promise((resolve) => server.listen(Number(port), 'localhost', resolve));
  return server;
}

/** In the page: a password grant, then userinfo with the access token. */
async function calls({ issuer, clientId, username, password }) {
  const attempt = async (run) => {
    try {
      return await run();
    } catch (err) {
      return { error: `${err.name}: ${err.message}` };
    }
  };
  const token = await attempt(async () => {
    const body = new URLSearchParams({ grant_type: 'password', client_id: clientId, username, password });
    const res = await fetch(`${issuer}/oauth/token`, { method: 'POST', body });
    return { status: res.status, body: await res.json() };
  });
  const access = token.body?.access_token;
  const userinfo = access
    ? await attempt(async () => {
        const res = await fetch(`${issuer}/userinfo`, { headers: { authorization: `Bearer ${access}` } });
        return { status: res.status, body: await res.json() };
      })
    : null;
  const jwks = await attempt(async () => {
    const res = await fetch(`${issuer}/.well-known/jwks.json`);
    return { status: res.status, keys: (await res.json()).keys.length };
  });
  if (token.body) token.body = { token_type: token.body.token_type, has_access_token: !!access };
  return { token, userinfo, jwks };
}

const servers = [await origin(args['allowed-port']), await origin(args['other-port'])];
const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
const report = {};
try {
  for (const [name, port] of [['allowed', args['allowed-port']], ['other', args['other-port']]]) {
    const page = await browser.newPage();
    await page.goto(`http://localhost:${port}/`);
    report[name] = await page.evaluate(calls, {
      issuer: args.issuer,
      clientId: args['client-id'],
      username: args.username,
      password: secrets.password,
    });
    await page.close();
  }
} finally {
  await browser.close();
  for (const server of servers) server.close();
}
console.log(JSON.stringify(report));
