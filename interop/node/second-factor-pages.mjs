// Drives the second-factor pages in a real browser (Debian's Chromium through playwright-core):
// a user signs in with a password, sets up an authenticator app on the account page (a
// wrong first code, then the right one, computed here from the secret the page shows), reads
// the recovery codes, signs out, and signs in again with a code (a wrong one first). A second
// browser then tries the code just used (refused) and signs in with a recovery code; a third
// tries that recovery code again (refused). An administrator without an app is sent from the
// console to set one up; once it is, the console asks their password-only session for a code
// (step-up). On every page it runs axe-core (WCAG 2.1 A and AA) and saves a
// full-page screenshot.
//
//     node second-factor-pages.mjs --issuer URL --username NAME --admin NAME \
//         --screenshots DIR < secrets.json
//
// secrets.json is {"password": ...} (both accounts'). Exit 0 and a JSON report on stdout (per
// page: its title, HTTP status and axe violations; what each step showed); 1 and
// `rejected: ...` on stderr; 2 on bad usage or a missing package or browser.

import { existsSync, mkdirSync, readFileSync } from 'node:fs';

import { authenticator, wrongCode } from './authenticator.mjs';
import { loadOrExit, requiredArgs } from './deps.mjs';
import { auditor } from './pages.mjs';

const { chromium } = await loadOrExit('playwright-core');
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';

const NAMES = ['issuer', 'username', 'admin', 'screenshots'];
const args = requiredArgs('second-factor-pages.mjs', NAMES, '< secrets.json');
if (!existsSync(CHROMIUM)) {
  console.error(`missing ${CHROMIUM}; run: apt-get install chromium`);
  process.exit(2);
}
const secrets = JSON.parse(readFileSync(0, 'utf8'));
mkdirSync(args.screenshots, { recursive: true });
const at = (path) => new URL(path, args.issuer).toString();
const pathOf = (page) => new URL(page.url()).pathname;

const audit = auditor(args.screenshots);

/** Clicks `selector` and waits for the page it leads to; its response. */
async function submit(page, selector) {
  const [response] = await Promise.all([page.waitForNavigation(), page.click(selector)]);
  return response;
}

/** The password step; the response of the page it lands on. */
async function signIn(page, username) {
  await page.goto(at('/ui/login'));
  await page.fill('input[autocomplete="username"]', username);
  await page.fill('input[autocomplete="current-password"]', secrets.password);
  return submit(page, 'button[value="sign_in"]');
}

/** Types `code` into the second-factor page and verifies it; the response. */
async function giveCode(page, code) {
  await page.fill('input[name="code"]', code);
  return submit(page, 'button[value="verify"]');
}

/** The fields of the page's forms that a person sees and can type into (what a password
 * manager or the phone's keyboard would offer to fill). */
async function visibleInputs(page) {
  return page.$$eval('input', (inputs) =>
    inputs
      .filter((i) => i.type !== 'hidden' && i.getClientRects().length > 0)
      .map((i) => ({ name: i.name, type: i.type, autocomplete: i.getAttribute('autocomplete') })),
  );
}

/** What the page's `role=alert` says, if anything. */
async function alertText(page) {
  const alert = page.locator('[role="alert"]');
  return (await alert.count()) > 0 ? (await alert.first().textContent()).trim() : null;
}

/** The account page's own sign-out button. */
async function signOut(page) {
  await page.goto(at('/ui/account'));
  return submit(page, 'button[value="sign_out"]');
}

async function run() {
  const report = { pages: [] };
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  const fresh = async () => (await browser.newContext({ locale: 'en-US' })).newPage();
  try {
    // A password alone signs in a user without an app; the account page offers one.
    const page = await fresh();
    let response = await signIn(page, args.username);
    report.password_lands_on = pathOf(page);
    await audit(page, 'mfa-account', response.status(), report);

    // Setting it up: the QR code and the secret in text; a wrong first code, then a right one.
    response = await submit(page, 'button[value="set_up_totp"]');
    await audit(page, 'mfa-setup', response.status(), report);
    const secretText = (await page.textContent('#totp-secret')).trim();
    report.secret_grouped = /^([A-Z2-7]{4} )*[A-Z2-7]{1,4}$/.test(secretText);
    report.qr = await page.$eval('.qr svg', (svg) => {
      const box = svg.getBoundingClientRect();
      return { width: Math.round(box.width), height: Math.round(box.height), shapes: svg.querySelectorAll('path, rect').length };
    });
    const app = authenticator(secretText);
    await page.fill('input[name="code"]', wrongCode(app.secret));
    response = await submit(page, 'button[value="confirm"]');
    await audit(page, 'mfa-setup-wrong', response.status(), report);
    report.setup_error = await alertText(page);
    // The same set-up goes on: the page shows the same secret again.
    report.same_secret_after_error = (await page.textContent('#totp-secret')).trim() === secretText;
    await page.fill('input[name="code"]', (await app.next()).code);
    response = await submit(page, 'button[value="confirm"]');
    await audit(page, 'mfa-recovery-codes', response.status(), report);
    const recovery = await page.$$eval('ul.codes li code', (codes) => codes.map((c) => c.textContent.trim()));
    report.recovery_codes = recovery.length;
    report.recovery_codes_well_formed = recovery.every((c) => /^[a-z2-9]{5}-[a-z2-9]{5}$/.test(c));
    report.recovery_codes_distinct = new Set(recovery).size;

    response = await signOut(page);
    report.signed_out_status = response.status();

    // Signed in again: the password leads to the second-factor page.
    response = await signIn(page, args.username);
    await audit(page, 'mfa-second-factor', response.status(), report);
    report.second_factor_path = pathOf(page);
    report.second_factor_inputs = await visibleInputs(page);
    report.password_inputs = await page.locator('input[type="password"]').count();
    report.second_factor_hidden = await page.$$eval('form[action="/ui/second-factor"] input[type="hidden"]', (inputs) =>
      inputs.map((i) => i.name),
    );
    response = await giveCode(page, wrongCode(app.secret));
    await audit(page, 'mfa-second-factor-wrong', response.status(), report);
    report.wrong_code_error = await alertText(page);
    const used = await app.next();
    response = await giveCode(page, used.code);
    report.code_status = response.status();
    report.code_lands_on = pathOf(page);
    await audit(page, 'mfa-account-protected', response.status(), report);
    // The account page now says the app is set up, and how many recovery codes are left.
    report.factor_summary = (await page.textContent('#second-factor + p')).trim();

    // Another browser, the code just used: refused (a step is accepted once). A recovery code
    // then signs it in.
    const other = await fresh();
    await signIn(other, args.username);
    response = await giveCode(other, used.code);
    report.reused_code_status = response.status();
    report.reused_code_error = await alertText(other);
    response = await giveCode(other, recovery[0]);
    report.recovery_status = response.status();
    report.recovery_lands_on = pathOf(other);

    // A recovery code works once.
    const third = await fresh();
    await signIn(third, args.username);
    response = await giveCode(third, recovery[0]);
    report.reused_recovery_status = response.status();

    // An administrator without an app: the console asks them to set one up first.
    const admin = await fresh();
    await signIn(admin, args.admin);
    report.admin_password_lands_on = pathOf(admin);
    response = await admin.goto(at('/ui/admin'));
    await audit(admin, 'mfa-console-needs-factor', response.status(), report);
    report.setup_link = await admin.locator('main a[href="/ui/account#second-factor"]').count();

    // They set one up there; their session was opened with a password alone, so the console
    // now asks for a code (step-up) and then shows itself.
    await Promise.all([admin.waitForNavigation(), admin.click('main a[href="/ui/account#second-factor"]')]);
    await submit(admin, 'button[value="set_up_totp"]');
    const adminApp = authenticator((await admin.textContent('#totp-secret')).trim());
    await admin.fill('input[name="code"]', (await adminApp.next()).code);
    await submit(admin, 'button[value="confirm"]');
    response = await admin.goto(at('/ui/admin'));
    await audit(admin, 'mfa-console-step-up', response.status(), report);
    report.step_up_next = await admin.inputValue('form[action="/ui/second-factor"] input[name="next"]');
    response = await giveCode(admin, (await adminApp.next()).code);
    report.step_up_status = response.status();
    report.step_up_lands_on = pathOf(admin);
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
