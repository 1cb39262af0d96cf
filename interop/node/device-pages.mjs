// Drives the device pages (RFC 8628 §3.3) in a real browser (Debian's Chromium through
// playwright-core): the user opens the verification_uri_complete a device showed (as its QR
// code would), is sent to sign in first, comes back to the code page with the code filled in,
// continues to the confirmation (which application, what for, as whom) and allows it; then,
// on the code page again, mistypes a code and is told so. On every page it runs axe-core
// (WCAG 2.1 A and AA, best practice) and saves a full-page screenshot. The device itself (its
// codes, its polls) is the caller's.
//
//     node device-pages.mjs --issuer URL --username NAME --screenshots DIR < secrets.json
//
// secrets.json is {"password": ..., "verification_uri_complete": ...} (the URI holds the user
// code). Exit 0 and a JSON report on stdout (per page: its title, HTTP status and axe
// violations; what each page showed); 1 and `rejected: ...` on stderr; 2 on bad usage or a
// missing package or browser.

import { existsSync, mkdirSync, readFileSync } from 'node:fs';

import { loadOrExit, requiredArgs } from './deps.mjs';
import { auditor } from './pages.mjs';

const { chromium } = await loadOrExit('playwright-core');
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';

const NAMES = ['issuer', 'username', 'screenshots'];
const args = requiredArgs('device-pages.mjs', NAMES, '< secrets.json');
if (!existsSync(CHROMIUM)) {
  console.error(`missing ${CHROMIUM}; run: apt-get install chromium`);
  process.exit(2);
}
const secrets = JSON.parse(readFileSync(0, 'utf8'));
mkdirSync(args.screenshots, { recursive: true });
const at = (path) => new URL(path, args.issuer).toString();
const where = (page) => {
  const url = new URL(page.url());
  return url.pathname + url.search;
};

const audit = auditor(args.screenshots);

/** Clicks `selector` and waits for the page it leads to; its response. */
async function submit(page, selector) {
  const [response] = await Promise.all([page.waitForNavigation(), page.click(selector)]);
  return response;
}

/** The trimmed text of the first element matching `selector`, or null. */
async function textOf(page, selector) {
  const found = page.locator(selector);
  return (await found.count()) > 0 ? (await found.first().textContent()).trim() : null;
}

/** A well-formed code that is not `code`: one letter changed, as a typo would. */
function mistyped(code) {
  return (code[0] === 'B' ? 'C' : 'B') + code.slice(1);
}

async function run() {
  const report = { pages: [] };
  const complete = new URL(secrets.verification_uri_complete);
  const userCode = complete.searchParams.get('user_code');
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  try {
    const context = await browser.newContext({ locale: 'en-US' });
    const page = await context.newPage();

    // The QR code's link, not signed in: the sign-in page, which will come back.
    let response = await page.goto(complete.toString());
    const first = response.request().redirectedFrom();
    const firstResponse = first ? await first.response() : null;
    report.redirect = firstResponse
      ? { status: firstResponse.status(), location: (await firstResponse.allHeaders()).location }
      : null;
    report.sign_in_at = where(page);
    report.sign_in_next = await page.inputValue('form[action="/ui/login"] input[name="next"]');
    await audit(page, 'device-sign-in', response.status(), report);

    await page.fill('input[autocomplete="username"]', args.username);
    await page.fill('input[autocomplete="current-password"]', secrets.password);
    response = await submit(page, 'button[value="sign_in"]');
    const signIn = response.request().redirectedFrom();
    report.sign_in_status = signIn ? (await signIn.response()).status() : response.status();
    report.code_page_at = where(page);
    report.prefilled = await page.inputValue('#user-code');
    report.code_input = await page.$eval('#user-code', (input) => ({
      type: input.type,
      autocomplete: input.getAttribute('autocomplete'),
      focused: document.activeElement === input,
      label: input.labels[0]?.textContent.trim() ?? null,
    }));
    await audit(page, 'device-code', response.status(), report);

    // The code as it is (no dash: the way the sign-in page brought it back).
    response = await submit(page, 'button[value="continue"]');
    await audit(page, 'device-confirm', response.status(), report);
    report.confirm = {
      lead: await textOf(page, 'h1 + p'),
      scopes: await page.$$eval('ul.scopes li', (items) => items.map((li) => li.textContent.trim())),
      signed_in_as: await textOf(page, 'p.muted'),
      buttons: await page.$$eval('form button', (buttons) => buttons.map((b) => `${b.name}=${b.value}`)),
    };

    response = await submit(page, 'button[value="allow"]');
    await audit(page, 'device-done', response.status(), report);
    report.done = await textOf(page, '[role="status"]');

    // Another code, mistyped: the form again, with the typed code kept and the error read out.
    response = await page.goto(at('/ui/device'));
    report.empty_code_page = { status: response.status(), value: await page.inputValue('#user-code') };
    await page.fill('#user-code', mistyped(userCode));
    response = await submit(page, 'button[value="continue"]');
    await audit(page, 'device-wrong-code', response.status(), report);
    report.wrong = {
      alert: await textOf(page, '[role="alert"]'),
      value: await page.inputValue('#user-code'),
      invalid: await page.getAttribute('#user-code', 'aria-invalid'),
      described_by: await page.getAttribute('#user-code', 'aria-describedby'),
    };
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
