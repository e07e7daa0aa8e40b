// tests/e2e/lib/browser.mjs — a real browser for the end-to-end tests: Debian's
// chromium driven by playwright-core (no `npx playwright install`: the browser is
// the system one, /usr/bin/chromium, or $ANX_CHROMIUM from the stack's env file).
//
//   import { asPerson, launch, openPage, shot, signUp } from './lib/browser.mjs';
//   const browser = await launch();                 // once per test file (before())
//   const alice = { email, password };              // a person; .storage keeps her cookies
//   test('…', () => asPerson(browser, alice, async (t) => {   // a new context per test
//     await t.goto('/dashboard');                   // relative to ANX_BASE_URL
//     await shot(t.page, 'dashboard-overview');     // tests/artifacts/screenshots/…png
//     t.assertClean('overview');                    // no console error, no CSP violation
//   }));
//   const t = await openPage(browser, { viewport: { width: 390, height: 844 } });  // by hand
//
// Forms are submitted with submitForm(page, () => button.click()), which waits for
// the navigation and rides out nginx's 429 on the account forms (the dev stack
// allows 30 sign-in/sign-up POSTs a minute per IP) and a stack restart (502/503).
//
// Every page of a context reports: console errors (t.consoleErrors), Content
// Security Policy violations (t.cspViolations: from the securitypolicyviolation
// event, reported through the console by an init script, and from Chromium's own
// "Refused to …" console lines), uncaught page errors (t.pageErrors) and dialogs
// (t.dialogs: alert/confirm/prompt; confirm() is accepted unless
// {acceptDialogs: false}, so forms with data-confirm go through).
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { baseUrl, env, sourceDir } from './stack.mjs';

/** Where screenshots go (gitignored: tests/artifacts/). */
export const screenshotDir = path.join(sourceDir, 'tests/artifacts/screenshots');

/** Chromium flags for a headless run as root in a sandbox without network. */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-quic',
  '--no-first-run',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
];

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Launches headless chromium (the system build). */
export async function launch() {
  const { chromium } = await import('playwright-core');
  const executablePath = process.env.ANX_CHROMIUM || env.ANX_CHROMIUM || '/usr/bin/chromium';
  return chromium.launch({ executablePath, args: CHROMIUM_ARGS, timeout: 60000 });
}

const CSP_REPORTER = `
  document.addEventListener('securitypolicyviolation', function (e) {
    console.error('CSP violation: ' + e.violatedDirective + ' blocked ' + (e.blockedURI || 'inline') +
      ' at ' + e.sourceFile + ':' + e.lineNumber);
  });
`;

/** Connection-level failures that mean "the stack is being restarted": retry. */
const RESTARTING = /net::ERR_CONNECTION_(REFUSED|RESET|CLOSED)|net::ERR_EMPTY_RESPONSE|net::ERR_SOCKET_NOT_CONNECTED/;

/**
 * A new browser context and page. opts: {viewport, isMobile, acceptDialogs (default
 * true), javaScriptEnabled, bypassCSP (ignore the page's CSP, to see whether an
 * injected script would run without it), storageState (cookies of another
 * context: `await other.context.storageState()`)}. Returns a handle:
 *   page, context, consoleErrors, cspViolations, pageErrors, dialogs,
 *   goto(path, {status}) — navigates (retrying while the stack restarts: connection
 *     refused, 502/503), asserts the HTTP status when given (default: < 400;
 *     'any': no check), returns the response;
 *   html() — the page's current HTML source as the server sent it for the last
 *     navigation (response body), or page.content() when there was none;
 *   assertClean(where) — asserts no console error, CSP violation or page error
 *     so far, then clears the lists;
 *   close().
 */
export async function openPage(browser, opts = {}) {
  const context = await browser.newContext({
    baseURL: baseUrl,
    viewport: opts.viewport || { width: 1280, height: 900 },
    javaScriptEnabled: opts.javaScriptEnabled !== false,
    acceptDownloads: true,
    bypassCSP: Boolean(opts.bypassCSP),
    ...(opts.storageState ? { storageState: opts.storageState } : {}),
    ...(opts.isMobile ? { isMobile: true, hasTouch: true, deviceScaleFactor: 2 } : {}),
  });
  context.setDefaultTimeout(15000);
  context.setDefaultNavigationTimeout(30000);
  await context.addInitScript(CSP_REPORTER);
  const h = {
    context,
    page: null,
    consoleErrors: [],
    cspViolations: [],
    pageErrors: [],
    dialogs: [],
    lastResponse: null,
  };
  // Documents the server answered with an error status on purpose (a 422 form, a
  // 403 or 404 page): Chromium logs "Failed to load resource" for them, which is
  // not a fault of the page. A failed stylesheet, script or image still counts.
  const documents = new Set();
  const watch = (page) => {
    page.on('response', (res) => {
      if (res.request().isNavigationRequest()) documents.add(res.url());
    });
    page.on('console', (msg) => {
      const text = msg.text();
      const where = `${page.url()}: ${text}`;
      if (/^CSP violation:|Content Security Policy|Refused to (execute|load|apply|evaluate|connect|frame)/i.test(text)) {
        h.cspViolations.push(where);
      } else if (msg.type() === 'error') {
        if (/^Failed to load resource: the server responded with a status of/.test(text) && documents.has(msg.location()?.url)) {
          return;
        }
        h.consoleErrors.push(where);
      }
    });
    page.on('pageerror', (err) => h.pageErrors.push(`${page.url()}: ${err.message}`));
    page.on('dialog', async (d) => {
      h.dialogs.push({ type: d.type(), message: d.message(), url: page.url() });
      try {
        if (opts.acceptDialogs === false) await d.dismiss();
        else await d.accept();
      } catch {
        // the page went away
      }
    });
  };
  context.on('page', watch);
  h.page = await context.newPage();

  h.goto = async (p, { status, waitUntil = 'load' } = {}) => {
    const deadline = Date.now() + 60000;
    for (;;) {
      let res;
      try {
        res = await h.page.goto(p, { waitUntil });
      } catch (e) {
        if (RESTARTING.test(e.message) && Date.now() < deadline) {
          await sleep(500);
          continue;
        }
        throw e;
      }
      if (res && (res.status() === 502 || res.status() === 503) && status !== res.status() && Date.now() < deadline) {
        await sleep(500);
        continue;
      }
      h.lastResponse = res;
      if (status === 'any') {
        // the caller looks at the status itself
      } else if (status !== undefined) {
        assert.equal(res?.status(), status, `GET ${p}: HTTP ${res?.status()}`);
      } else if (res) {
        assert.ok(res.status() < 400, `GET ${p}: HTTP ${res.status()} ${(await res.text()).slice(0, 300)}`);
      }
      return res;
    }
  };
  h.html = async () => {
    if (h.lastResponse) {
      try {
        return await h.lastResponse.text();
      } catch {
        // a redirect or a page that went away: fall through
      }
    }
    return h.page.content();
  };
  h.assertClean = (where = h.page.url()) => {
    const csp = h.cspViolations.splice(0);
    const errors = h.consoleErrors.splice(0);
    const uncaught = h.pageErrors.splice(0);
    assert.deepEqual(csp, [], `${where}: Content Security Policy violations`);
    assert.deepEqual(errors, [], `${where}: console errors`);
    assert.deepEqual(uncaught, [], `${where}: uncaught page errors`);
  };
  h.close = () => context.close();
  return h;
}

/** Saves a full-page screenshot as tests/artifacts/screenshots/<name>.png; returns the path. */
export async function shot(page, name) {
  mkdirSync(screenshotDir, { recursive: true });
  const file = path.join(screenshotDir, `${name.replace(/[^A-Za-z0-9_.-]+/g, '-')}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

/**
 * Submits a form by running `act` (which clicks or presses Enter) and waits for the
 * navigation it causes. When nginx throttles the account forms (429 on the dev
 * stack: 30 POSTs a minute per IP) or the stack is restarting (502/503), goes back
 * and runs `redo` (default: act again after `refill`) until it gets through.
 * Returns the final navigation's response.
 */
export async function submitForm(page, act, { refill, timeout = 90000 } = {}) {
  const deadline = Date.now() + timeout;
  for (let attempt = 0; ; attempt++) {
    const startUrl = page.url();
    const [res] = await Promise.all([
      page.waitForNavigation({ waitUntil: 'load' }).catch((e) => ({ error: e })),
      act(),
    ]);
    const st = res && typeof res.status === 'function' ? res.status() : 0;
    if ((st === 429 || st === 502 || st === 503) && Date.now() < deadline) {
      await sleep(Math.min(2000 * (attempt + 1), 8000));
      await page.goto(startUrl);
      if (refill) await refill();
      continue;
    }
    if (res && res.error) throw res.error;
    return res;
  }
}

/** Signs in through the login form (labels, then the Sign in button). */
export async function signIn(page, email, password) {
  await page.goto('/login');
  const fill = async () => {
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill(password);
  };
  await fill();
  const res = await submitForm(page, () => page.getByRole('button', { name: 'Sign in' }).click(), { refill: fill });
  assert.ok(!/\/login/.test(new URL(page.url()).pathname), `signed in as ${email} (at ${page.url()}, HTTP ${res?.status?.()})`);
  return res;
}

/** Signs out with the sidebar's button. */
export async function signOut(page) {
  await submitForm(page, () => page.locator('#sign-out').click());
}

/** The workspace id from the current URL's ?ws= (or null). */
export function wsOfUrl(page) {
  return new URL(page.url()).searchParams.get('ws');
}

/**
 * The page's server-rendered flash message text (role=status/alert #flash), or ''.
 */
export async function flashText(page) {
  const f = page.locator('#flash');
  return (await f.count()) ? (await f.first().innerText()).trim() : '';
}

/** A random suffix for this run's emails and names (reruns on one stack never clash). */
export function runTag() {
  return `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
}

/**
 * Signs up through /signup (labels as a person reads them) and returns the new
 * workspace's id (from the redirect to /dashboard?ws=…).
 */
export async function signUp(page, { name, email, password, workspace }) {
  await page.goto('/signup');
  const fill = async () => {
    if (name !== undefined) await page.getByLabel('Your name').fill(name);
    await page.getByLabel('Work email').fill(email);
    await page.getByLabel('Password').fill(password);
    await page.getByLabel('Workspace name').fill(workspace);
  };
  await fill();
  await submitForm(page, () => page.getByRole('button', { name: 'Create account' }).click(), { refill: fill });
  const ws = wsOfUrl(page);
  assert.match(ws || '', /^[0-9a-f-]{36}$/, `signed up and landed in a workspace: ${page.url()}`);
  return ws;
}

/**
 * Accepts an invitation as a new account from its link (the invitation page's
 * sign-up form) and returns the workspace id it lands in.
 */
export async function acceptInvitation(page, link, { name, password }) {
  const res = await page.goto(link);
  assert.equal(res.status(), 200, `invitation page ${link}`);
  const fill = async () => {
    if (name !== undefined) await page.getByLabel('Your name').fill(name);
    await page.getByLabel('Choose a password').fill(password);
  };
  await fill();
  const after = await submitForm(page, () => page.getByRole('button', { name: 'Create account and join' }).click(), {
    refill: fill,
  });
  const ws = wsOfUrl(page);
  if (!/^[0-9a-f-]{36}$/.test(ws || '')) {
    const text = (await page.locator('main').innerText().catch(() => '')).replace(/\s+/g, ' ').slice(0, 400);
    assert.fail(`accepting the invitation did not land in a workspace: HTTP ${after?.status?.()} at ${page.url()}: ${text}`);
  }
  return ws;
}

/**
 * Runs fn(handle) in a new browser context signed in as `who` (an object whose
 * `storage` holds the cookies of an earlier context, or nothing for a fresh visitor),
 * then keeps the context's cookies in who.storage for the next test and closes it:
 * one context per test, one continuing session per person.
 */
export async function asPerson(browser, who, fn, opts = {}) {
  const t = await openPage(browser, { ...opts, storageState: who.storage });
  try {
    return await fn(t);
  } finally {
    try {
      who.storage = await t.context.storageState();
    } catch {
      // the context is gone already
    }
    await t.close();
  }
}
