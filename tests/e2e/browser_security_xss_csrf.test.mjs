// Dashboard security in a real browser (Debian's chromium via playwright-core):
//   - CSRF: every dashboard form route (each POST route of kind ANX_ROUTE_HTML in
//     fcgi/routes.c, read from the source so new routes are covered as they land) is
//     refused with 403 when posted without the token while signed in, and when posted
//     with a valid token from another site (Origin/Sec-Fetch-Site cross-site);
//   - a viewer reaches no admin action (403 with a valid token) and is offered none;
//   - another workspace's ids answer 404 (pages and actions);
//   - XSS: payloads in every user-controlled field (workspace, display and key names,
//     resource, summary, agent id, context keys and values, policy rule names and
//     reasons, approval comments, the allowlist, filters and `next` in the URL, a
//     webhook receiver's response) never execute on any page that shows them: with
//     the page's CSP bypassed (so escaping alone is tested) window.__xss stays
//     undefined, no dialog opens, no element carries an on* attribute or a
//     javascript: URL; the HTML has the payloads escaped, never raw; and with CSP on,
//     no violation is reported.
// Screenshots: tests/artifacts/screenshots/xss-*.png.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { asPerson, flashText, launch, openPage, runTag, shot, signUp, submitForm } from './lib/browser.mjs';
import { waitForMail, approvalLink } from './lib/mail.mjs';
import { baseUrl, psql, sourceDir, waitFor } from './lib/stack.mjs';
import { call, sqlLiteral } from './lib/workspace.mjs';

const run = runTag();
const PASSWORD = 'crimson ferry waits at dawn';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// The payloads. Each sets window.__xss if it ever runs.
const IMG = '<img src=x onerror=window.__xss=1>';
const SCRIPT = '"><script>window.__xss=1</script>';
const TEXTAREA = '</textarea><svg onload=window.__xss=1>';
const SQUOTE = "'><img src=x onerror=window.__xss=1>";
const JSURL = 'javascript:window.__xss=1';
/** What must never appear unescaped in a page's HTML. */
const RAW_MARKERS = ['<img src=x onerror', '<script>window.__xss', '<svg onload', "'><img"];
/** Escaped forms (any of them shows a payload was rendered as text). */
const ESCAPED_MARKERS = [
  '&lt;img src=x onerror=window.__xss=1&gt;',
  '&lt;script&gt;window.__xss=1&lt;/script&gt;',
  '&lt;/textarea&gt;&lt;svg onload=window.__xss=1&gt;',
  '&lt;svg onload=window.__xss=1&gt;',
];

const owner = { name: `Owner ${IMG} ${run}`, email: `bs-owner-${run}@example.test` };
const viewer = { name: `Viewer ${TEXTAREA} ${run}`, email: `bs-viewer-${run}@example.test` };
const outsider = { name: `Outsider ${run}`, email: `bs-outsider-${run}@example.test` };
const wsName = `Acme ${SCRIPT} ${run}`;
const keyLabel = `Bot ${TEXTAREA} ${run}`;

function policyDoc() {
  return {
    default: 'allow',
    rules: [
      {
        name: `deny ${SCRIPT}`.slice(0, 100),
        when: { action: 'db.drop*' },
        effect: 'deny',
        reason: `Never ${IMG} ${TEXTAREA}`,
      },
      {
        name: `pay ${TEXTAREA}`.slice(0, 100),
        when: { action: 'payments.send', amount: { gt: 1000 } },
        effect: 'require_approval',
        approval: { stages: [{ role: 'manager', min_approvals: 1 }], separation_of_duties: false },
        reason: `Approve ${SQUOTE}`,
      },
    ],
  };
}

let browser;
let receiver;
const state = {};

/** A webhook receiver that always fails with a hostile body (shown as the response excerpt). */
async function hostileReceiver() {
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(500, { 'Content-Type': 'text/html' });
      res.end(`${IMG}${SCRIPT}${TEXTAREA}`);
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${server.address().port}/hook`,
    close: () => {
      server.closeAllConnections?.();
      return new Promise((r) => server.close(r));
    },
  };
}

const one = (sql) => psql(sql).split('\n')[0];

before(async () => {
  browser = await launch();
  await asPerson(browser, owner, (ownerTab) => setUpVictim(ownerTab));

  // A viewer with a hostile name: their own account, made a viewer here.
  await asPerson(browser, viewer, (t) =>
    signUp(t.page, { name: viewer.name, email: viewer.email, password: PASSWORD, workspace: `Viewer home ${run}` })
  );
  state.viewerId = one(`SELECT id FROM users WHERE lower(email) = lower(${sqlLiteral(viewer.email)})`);
  psql(`INSERT INTO workspace_members (workspace_id, user_id, role) VALUES (${sqlLiteral(state.ws)}, ${sqlLiteral(state.viewerId)}, 'viewer')`);

  // Someone from elsewhere, with a workspace of their own.
  await asPerson(browser, outsider, async (t) => {
    state.outsiderWs = await signUp(t.page, { name: outsider.name, email: outsider.email, password: PASSWORD, workspace: `Elsewhere ${run}` });
  });

  // A scratch workspace of the owner's for the CSRF posts (destructive ones included).
  state.scratchName = `Scratch ${run}`;
  state.scratch = one(`INSERT INTO workspaces (name, created_by) VALUES (${sqlLiteral(state.scratchName)}, ${sqlLiteral(state.ownerId)}) RETURNING id`);
  psql(`INSERT INTO workspace_members (workspace_id, user_id, role) VALUES (${sqlLiteral(state.scratch)}, ${sqlLiteral(state.ownerId)}, 'owner')`);
});

/** The owner's hostile workspace, set up through the dashboard as far as it goes. */
async function setUpVictim(ownerTab) {
  const { page } = ownerTab;

  // The owner signs up with a hostile name and workspace name.
  state.ws = await signUp(page, { name: owner.name, email: owner.email, password: PASSWORD, workspace: wsName });
  state.ownerId = one(`SELECT id FROM users WHERE lower(email) = lower(${sqlLiteral(owner.email)})`);

  // Approval role for the owner, through the members page.
  await ownerTab.goto(`/dashboard/members?ws=${state.ws}`);
  await page.getByLabel(`Approval roles of ${owner.email}`).fill('manager');
  await submitForm(page, () => page.getByRole('button', { name: `Save roles of ${owner.email}` }).click());

  // A pending invitation (for the 404 checks).
  const inv = page.locator('#invite-form');
  await inv.getByLabel('Email').fill(`bs-pending-${run}@example.test`);
  await submitForm(page, () => inv.getByRole('button', { name: 'Send invitation' }).click());
  state.invitationId = one(`SELECT id FROM invitations WHERE workspace_id = ${sqlLiteral(state.ws)} LIMIT 1`);

  // A key with a hostile label, through the keys page.
  await ownerTab.goto(`/dashboard/keys?ws=${state.ws}`);
  await page.getByLabel('Label').fill(keyLabel);
  await submitForm(page, () => page.getByRole('button', { name: 'Create key' }).click());
  state.key = (await page.locator('#new-key').innerText()).trim();
  state.keyId = one(`SELECT id FROM api_keys WHERE workspace_id = ${sqlLiteral(state.ws)} ORDER BY created_at DESC LIMIT 1`);

  // A policy with hostile rule names and reasons, typed into the editor.
  await ownerTab.goto(`/dashboard/policies?ws=${state.ws}`);
  await page.getByLabel('Policy document (JSON)').fill(JSON.stringify(policyDoc(), null, 2));
  await submitForm(page, () => page.getByRole('button', { name: 'Publish' }).click());
  assert.match(await flashText(page), /Version 1 is published/, 'the hostile policy is valid and published');
  // A second version, so that the diff page has hostile lines on both sides.
  const v2 = policyDoc();
  v2.rules[0].reason = `Still never ${SQUOTE}`;
  await page.getByLabel('Policy document (JSON)').fill(JSON.stringify(v2, null, 2));
  await submitForm(page, () => page.getByRole('button', { name: 'Publish' }).click());
  assert.match(await flashText(page), /Version 2 is published/);

  // Replays admin-only, through the integrations page (so replay is an admin action).
  await ownerTab.goto(`/dashboard/integrations?ws=${state.ws}`);
  await page.getByLabel('Only owners and admins can replay webhook deliveries').check();
  await submitForm(page, () => page.locator('#replay-form').getByRole('button', { name: 'Save' }).click());

  // Agent traffic with hostile fields.
  receiver = await hostileReceiver();
  const hostile = {
    agent_id: JSURL,
    resource: `${IMG} ${JSURL}`,
    currency: 'EUR',
    context: {
      [IMG]: TEXTAREA,
      link: JSURL,
      nested: { [SCRIPT]: [SQUOTE, IMG] },
    },
  };
  const evaluate = async (body) => {
    const r = await call('POST', '/api/v1/evaluate', { key: state.key, body });
    assert.equal(r.status, 200, r.text);
    return r.json;
  };
  state.e1 = await evaluate({ ...hostile, action: 'payments.send', amount: 5000, summary: `E1 ${SCRIPT} ${run}`, webhook_url: receiver.url });
  state.e2 = await evaluate({ ...hostile, action: 'payments.send', amount: 7000, summary: `E2 ${IMG} ${run}` });
  state.e3 = await evaluate({ ...hostile, action: 'db.drop_table', summary: `E3 ${TEXTAREA} ${run}` });
  assert.deepEqual([state.e1.decision, state.e2.decision, state.e3.decision], ['approval_required', 'approval_required', 'deny']);
  state.requestId = one(`SELECT id FROM approval_requests WHERE evaluation_id = ${sqlLiteral(state.e1.evaluation_id)}`);

  // E2's approval link from the email (the /approve/{token} page).
  const [mail] = await waitForMail({ to: owner.email, text: `E2 ${IMG} ${run}` }, { timeout: 30000 });
  state.approveLink = approvalLink(mail);

  // The webhook to the hostile receiver fails at least once.
  state.deliveryId = await waitFor(
    () => psql(`SELECT d.id FROM webhook_deliveries d JOIN webhook_attempts a ON a.delivery_id = d.id
      WHERE d.evaluation_id = ${sqlLiteral(state.e1.evaluation_id)} LIMIT 1`),
    { timeout: 30000, interval: 250, what: 'a failed delivery attempt' }
  );

  // A compliance export (requested by the hostile display name).
  await ownerTab.goto(`/dashboard/compliance?ws=${state.ws}`);
  await submitForm(page, () => page.getByRole('button', { name: 'Start export' }).click());
  state.exportId = /\/exports\/([0-9a-f-]{36})/.exec(page.url())?.[1];
  assert.ok(state.exportId, `export page: ${page.url()}`);
}

after(async () => {
  await browser?.close();
  await receiver?.close();
});

/** POST a form through a browser context's request API (its cookies), retrying nginx's 429. */
async function post(tab, p, form, headers = {}) {
  for (let attempt = 0; ; attempt++) {
    let res;
    try {
      res = await tab.context.request.post(p, { form, headers, maxRedirects: 0, failOnStatusCode: false });
    } catch (e) {
      if (attempt < 60 && /ECONNREFUSED|ECONNRESET|socket hang up/.test(e.message)) {
        await sleep(500);
        continue;
      }
      throw e;
    }
    if ((res.status() === 429 || res.status() === 502) && attempt < 40) {
      await sleep(2500);
      continue;
    }
    return res;
  }
}

async function get(tab, p) {
  return tab.context.request.get(p, { maxRedirects: 0, failOnStatusCode: false });
}

/** The CSRF token of a signed-in context's pages. */
async function csrfOf(tab, p = '/dashboard/workspaces') {
  await tab.goto(p);
  return tab.page.locator('input[name="csrf"]').first().inputValue();
}

/** POST routes of kind ANX_ROUTE_HTML, from the route table. */
function dashboardPostRoutes() {
  const src = readFileSync(path.join(sourceDir, 'fcgi/routes.c'), 'utf8');
  const routes = [...src.matchAll(/\{\s*"POST"\s*,\s*"([^"]+)"\s*,\s*(\w+)\s*,\s*ANX_ROUTE_HTML/g)].map((m) => ({
    pattern: m[1],
    handler: m[2],
  }));
  assert.ok(routes.length >= 30, `found the dashboard's POST routes in fcgi/routes.c (${routes.length})`);
  return routes;
}

/** A concrete path for a route pattern. */
function concrete(pattern) {
  return pattern
    .replace('{token}', 'ab'.repeat(32))
    .replace('{id}', '00000000-0000-4000-8000-000000000000')
    .replace('{version}', '1')
    .replace(/\{[a-z_]+\}/g, 'x');
}

/** Plausible fields for each form, so that only the missing token can be the reason for a 403. */
function fieldsFor(pattern) {
  const today = new Date().toISOString().slice(0, 10);
  const f = {
    '/signup': { email: `bs-csrf-${run}@example.test`, password: PASSWORD, workspace_name: 'csrf' },
    '/login': { email: owner.email, password: PASSWORD },
    '/forgot': { email: owner.email },
    '/reset/{token}': { password: PASSWORD },
    '/reset-password/{token}': { password: PASSWORD },
    '/account/password': { current_password: PASSWORD, password: `${PASSWORD} 2`, new_password: `${PASSWORD} 2` },
    '/dashboard/workspaces/create': { name: `csrf ${run}` },
    '/dashboard/workspaces/rename': { name: `renamed ${run}` },
    '/dashboard/workspaces/delete': { confirm_name: state.scratchName },
    '/dashboard/members/invite': { email: `bs-csrf-invite-${run}@example.test`, role: 'admin' },
    '/dashboard/members/role': { user_id: state.ownerId, role: 'viewer', approval_roles: '' },
    '/dashboard/members/remove': { user_id: state.ownerId },
    '/dashboard/keys/create': { label: `csrf ${run}`, scope: 'admin' },
    '/dashboard/policies/validate': { document: '{"default":"deny","rules":[]}' },
    '/dashboard/policies/simulate': { document: '{"default":"deny","rules":[]}', limit: '100' },
    '/dashboard/policies/publish': { document: '{"default":"deny","rules":[]}' },
    '/dashboard/webhooks/replay-failed': { since: '2000-01-01T00:00' },
    '/dashboard/integrations/allowlist': { allowlist: 'example.com' },
    '/dashboard/integrations/replay': { replay_admin_only: 'on' },
    '/dashboard/compliance/exports': { kind: 'zip', from: today, to: today },
  }[pattern];
  return { ws: state.scratch, ...(f || {}) };
}

const CSRF_MESSAGE = /did not come from this site|expired/;

test('CSRF: every dashboard form is refused without its token, and from another site with it', () =>
  asPerson(browser, owner, async (ownerTab) => {
    const routes = dashboardPostRoutes();
    const token = await csrfOf(ownerTab, `/dashboard/settings?ws=${state.scratch}`);
    const failures = [];
    for (const { pattern, handler } of routes) {
      const p = concrete(pattern);
      const fields = fieldsFor(pattern);
      const noToken = await post(ownerTab, p, fields);
      if (noToken.status() !== 403 || !CSRF_MESSAGE.test(await noToken.text())) {
        failures.push(`${pattern} (${handler}) without a token: HTTP ${noToken.status()}`);
      }
      const crossSite = await post(ownerTab, p, { ...fields, csrf: token }, {
        Origin: 'http://evil.example',
        'Sec-Fetch-Site': 'cross-site',
      });
      if (crossSite.status() !== 403) failures.push(`${pattern} (${handler}) from another site: HTTP ${crossSite.status()}`);
    }
    assert.deepEqual(failures, [], 'forms accepted without CSRF protection');

    // Nothing happened to the scratch workspace or the owner's session.
    assert.equal(one(`SELECT name || ' ' || (archived_at IS NULL) FROM workspaces WHERE id = ${sqlLiteral(state.scratch)}`), `${state.scratchName} true`);
    assert.equal(one(`SELECT role FROM workspace_members WHERE workspace_id = ${sqlLiteral(state.ws)} AND user_id = ${sqlLiteral(state.ownerId)}`), 'owner');
    assert.equal(psql(`SELECT count(*) FROM api_keys WHERE workspace_id = ${sqlLiteral(state.scratch)}`), '0');
    const still = await get(ownerTab, `/dashboard?ws=${state.ws}`);
    assert.equal(still.status(), 200, 'still signed in');

    // The same request with the token, from this site, goes through (control).
    const ok = await post(ownerTab, '/dashboard/workspaces/switch', { ws: state.ws, csrf: token }, { Origin: baseUrl, 'Sec-Fetch-Site': 'same-origin' });
    assert.equal(ok.status(), 303, 'a same-site post with the token is accepted');
  }));

test('a viewer is refused every admin action (403) and offered none', () =>
  asPerson(browser, viewer, async (viewerTab) => {
    const token = await csrfOf(viewerTab, `/dashboard?ws=${state.ws}`);
    const actions = [
      ['/dashboard/keys/create', { label: 'viewer key', scope: 'admin' }],
      ['/dashboard/keys/revoke', { id: state.keyId }],
      ['/dashboard/members/invite', { email: `bs-by-viewer-${run}@example.test`, role: 'admin' }],
      ['/dashboard/members/role', { user_id: state.viewerId, role: 'owner', approval_roles: 'manager' }],
      ['/dashboard/members/role', { user_id: state.ownerId, role: 'viewer' }],
      ['/dashboard/members/remove', { user_id: state.ownerId }],
      ['/dashboard/members/cancel-invite', { id: state.invitationId }],
      ['/dashboard/policies/validate', { document: '{"default":"deny","rules":[]}' }],
      ['/dashboard/policies/simulate', { document: '{"default":"deny","rules":[]}', limit: '100' }],
      ['/dashboard/policies/publish', { document: '{"default":"deny","rules":[]}' }],
      ['/dashboard/workspaces/rename', { name: 'taken over' }],
      ['/dashboard/workspaces/archive', {}],
      ['/dashboard/workspaces/restore', {}],
      ['/dashboard/workspaces/delete', { confirm_name: wsName }],
      ['/dashboard/integrations/rotate', {}],
      ['/dashboard/integrations/allowlist', { allowlist: 'evil.example' }],
      ['/dashboard/integrations/replay', {}],
      ['/dashboard/webhooks/replay', { id: state.deliveryId }],
      ['/dashboard/webhooks/replay-failed', { since: '2000-01-01T00:00' }],
    ];
    const failures = [];
    for (const [p, fields] of actions) {
      const res = await post(viewerTab, p, { ws: state.ws, csrf: token, ...fields });
      if (res.status() !== 403) failures.push(`${p} ${JSON.stringify(fields)}: HTTP ${res.status()}`);
    }
    assert.deepEqual(failures, [], 'admin actions a viewer reached');
    // Nothing changed.
    assert.equal(one(`SELECT count(*) FROM policy_versions WHERE workspace_id = ${sqlLiteral(state.ws)}`), '2');
    assert.equal(one(`SELECT (archived_at IS NULL)::text FROM workspaces WHERE id = ${sqlLiteral(state.ws)}`), 'true');
    assert.equal(one(`SELECT revoked_at IS NULL FROM api_keys WHERE id = ${sqlLiteral(state.keyId)}`), 't');
    assert.equal(one(`SELECT role FROM workspace_members WHERE workspace_id = ${sqlLiteral(state.ws)} AND user_id = ${sqlLiteral(state.viewerId)}`), 'viewer');

    // The pages offer a viewer no admin form.
    const { page } = viewerTab;
    const noForm = [
      [`/dashboard/keys?ws=${state.ws}`, '#create-key-form, form[action="/dashboard/keys/revoke"]'],
      [`/dashboard/members?ws=${state.ws}`, '#invite-form, form[action="/dashboard/members/role"]'],
      [`/dashboard/policies?ws=${state.ws}`, '#policy-form'],
      [`/dashboard/settings?ws=${state.ws}`, '#rename-form, #archive-form, #delete-form'],
      [`/dashboard/integrations?ws=${state.ws}`, '#allowlist-form, #replay-form, form[action="/dashboard/integrations/rotate"]'],
      [`/dashboard/webhooks?ws=${state.ws}`, '#replay-failed-form, #replay-selected'],
    ];
    for (const [p, sel] of noForm) {
      await viewerTab.goto(p);
      assert.equal(await page.locator(sel).count(), 0, `${p} offers a viewer no ${sel}`);
    }
    await shot(page, 'security-viewer-webhooks');
    viewerTab.assertClean('viewer pages');
  }));

test("another workspace's ids are 404", () =>
  asPerson(browser, outsider, async (outsiderTab) => {
    const token = await csrfOf(outsiderTab, `/dashboard?ws=${state.outsiderWs}`);
    const A = state.outsiderWs;
    const e1 = state.e1.evaluation_id;
    const pages = [
      `/dashboard?ws=${state.ws}`,
      `/dashboard/evaluations?ws=${state.ws}`,
      `/dashboard/evaluations/${e1}?ws=${A}`,
      `/dashboard/evaluations/${e1}`,
      `/dashboard/evaluations/${e1}?ws=${state.ws}`,
      `/dashboard/webhooks/${state.deliveryId}?ws=${A}`,
      `/dashboard/compliance/exports/${state.exportId}?ws=${A}`,
      `/dashboard/compliance/exports/${state.exportId}/status?ws=${A}`,
      `/dashboard/compliance/exports/${state.exportId}/download?ws=${A}`,
      `/dashboard/audit?ws=${state.ws}`,
    ];
    const failures = [];
    for (const p of pages) {
      const res = await get(outsiderTab, p);
      if (res.status() !== 404) failures.push(`GET ${p}: HTTP ${res.status()}`);
    }
    const actions = [
      ['/dashboard/keys/revoke', { ws: A, id: state.keyId }],
      ['/dashboard/approvals/decide', { ws: A, request_id: state.requestId, decision: 'approve' }],
      ['/dashboard/approvals/request-otp', { ws: A, request_id: state.requestId }],
      ['/dashboard/webhooks/replay', { ws: A, id: state.deliveryId }],
      ['/dashboard/members/cancel-invite', { ws: A, id: state.invitationId }],
      ['/dashboard/members/remove', { ws: A, user_id: state.ownerId }],
      ['/dashboard/members/role', { ws: A, user_id: state.ownerId, role: 'viewer' }],
      ['/dashboard/workspaces/archive', { ws: state.ws }],
      ['/dashboard/workspaces/delete', { ws: state.ws, confirm_name: wsName }],
      ['/dashboard/keys/create', { ws: state.ws, label: 'intruder', scope: 'admin' }],
    ];
    for (const [p, fields] of actions) {
      const res = await post(outsiderTab, p, { csrf: token, ...fields });
      if (res.status() !== 404) failures.push(`POST ${p} ${JSON.stringify(fields)}: HTTP ${res.status()}`);
    }
    const api = await call('GET', `/api/v1/evaluations/${e1}`, { key: state.key.replace(/.$/, (c) => (c === 'a' ? 'b' : 'a')) });
    assert.equal(api.status, 401, 'a wrong key is unauthorized');
    assert.deepEqual(failures, [], "another workspace's ids that did not answer 404");
    // Nothing changed.
    assert.equal(one(`SELECT revoked_at IS NULL FROM api_keys WHERE id = ${sqlLiteral(state.keyId)}`), 't');
    assert.equal(one(`SELECT status FROM approval_requests WHERE id = ${sqlLiteral(state.requestId)}`), 'open');
    assert.equal(one(`SELECT count(*) FROM invitations WHERE id = ${sqlLiteral(state.invitationId)} AND revoked_at IS NULL`), '1');
  }));

/**
 * Visits p in two contexts of the same session: one with CSP bypassed (does any
 * injected script run? window.__xss, dialogs, on* attributes, javascript: URLs) and
 * the normal one (no CSP violation). Asserts the HTML has no raw payload and, unless
 * expectEscaped is false, shows at least one escaped payload. Returns the HTML.
 */
async function visitHostile(tabs, name, p, { expectEscaped = true, status, mustContain = [] } = {}) {
  const { open, csp } = tabs;
  const res = await open.goto(p, status === undefined ? {} : { status });
  await open.page.waitForLoadState('load');
  const html = await res.text();
  const facts = await open.page.evaluate(() => {
    const onAttrs = [];
    const jsUrls = [];
    for (const el of document.querySelectorAll('*')) {
      for (const a of el.attributes) {
        if (/^on/i.test(a.name)) onAttrs.push(`<${el.tagName.toLowerCase()} ${a.name}>`);
        if (/^(href|src|action|formaction|xlink:href|data)$/i.test(a.name) && /^\s*javascript:/i.test(a.value)) {
          jsUrls.push(`<${el.tagName.toLowerCase()} ${a.name}="${a.value}">`);
        }
      }
    }
    return { xss: window.__xss, onAttrs, jsUrls };
  });
  assert.equal(facts.xss, undefined, `${name}: an injected script ran (window.__xss set)`);
  assert.deepEqual(open.dialogs, [], `${name}: a dialog opened`);
  assert.deepEqual(facts.onAttrs, [], `${name}: elements with event-handler attributes`);
  assert.deepEqual(facts.jsUrls, [], `${name}: javascript: URLs in links or forms`);
  for (const m of RAW_MARKERS) assert.ok(!html.includes(m), `${name}: raw payload ${JSON.stringify(m)} in the HTML`);
  if (expectEscaped) {
    assert.ok(ESCAPED_MARKERS.some((m) => html.includes(m)), `${name}: a payload shown escaped in the HTML`);
  }
  for (const m of mustContain) assert.ok(html.includes(m), `${name}: ${JSON.stringify(m)} in the HTML`);
  await shot(open.page, `xss-${name}`);
  open.assertClean(`${name} (CSP bypassed)`);

  await csp.goto(p, status === undefined ? {} : { status });
  await csp.page.waitForLoadState('load');
  assert.deepEqual(csp.dialogs, [], `${name}: a dialog opened (CSP on)`);
  csp.assertClean(`${name} (CSP on)`);
  return html;
}

test('XSS: hostile values in every user-controlled field never execute, on every page that shows them', async () => {
  const state2 = owner.storage;
  const tabs = {
    open: await openPage(browser, { bypassCSP: true, storageState: state2, acceptDialogs: false }),
    csp: await openPage(browser, { storageState: state2, acceptDialogs: false }),
  };
  try {
    const q = `?ws=${state.ws}`;
    const e = (x) => `/dashboard/evaluations/${x.evaluation_id}${q}`;
    const escapedIn = (s) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');

    // The inbox before deciding (summaries, rules, reasons, resource, agent).
    await visitHostile(tabs, 'approvals-open', `/dashboard/approvals${q}`, { mustContain: [escapedIn(`E1 ${SCRIPT}`)] });
    // Approve E1 from the inbox with a hostile comment (through the page, CSP on).
    const { page } = tabs.csp;
    await tabs.csp.goto(`/dashboard/approvals${q}`);
    const card = page.locator(`#req-${state.requestId}`);
    await card.getByLabel('Comment').fill(`ok ${IMG} ${SCRIPT} ${TEXTAREA}`);
    await submitForm(page, () => card.getByRole('button', { name: 'Approve' }).click());
    assert.match(await flashText(page), /You approved/);
    tabs.csp.assertClean('inbox approve');

    // The approval link page, before and after approving with a hostile comment.
    await visitHostile(tabs, 'approve-page', state.approveLink, { mustContain: [escapedIn(`E2 ${IMG}`)] });
    await tabs.csp.goto(state.approveLink);
    await page.getByLabel('Comment').fill(`fine ${TEXTAREA} ${SQUOTE}`);
    await submitForm(page, () => page.getByRole('button', { name: 'Approve' }).click());
    assert.match(await page.locator('main').innerText(), /Approved|approval is recorded/);
    tabs.csp.assertClean('approve page approve');
    await visitHostile(tabs, 'approve-page-decided', state.approveLink, { mustContain: [escapedIn(`fine ${TEXTAREA}`)] });

    await visitHostile(tabs, 'approvals-decided', `/dashboard/approvals${q}`, { mustContain: [escapedIn(`ok ${IMG}`)] });
    await visitHostile(tabs, 'overview', `/dashboard${q}`, { mustContain: [escapedIn(owner.name)] });
    await visitHostile(tabs, 'evaluations', `/dashboard/evaluations${q}`, { mustContain: [escapedIn(`E3 ${TEXTAREA}`)] });
    await visitHostile(tabs, 'evaluation-e1', e(state.e1), { mustContain: [escapedIn(`ok ${IMG}`), escapedIn(`E1 ${SCRIPT}`)] });
    await visitHostile(tabs, 'evaluation-e2', e(state.e2), { mustContain: [escapedIn(`fine ${TEXTAREA}`)] });
    await visitHostile(tabs, 'evaluation-e3', e(state.e3));
    // The "all from this agent" link of a javascript: agent id stays on this site.
    const agentLink = await tabs.open.page.getByRole('link', { name: 'all from this agent' }).getAttribute('href');
    assert.ok(agentLink.startsWith('/dashboard/evaluations'), agentLink);
    await visitHostile(tabs, 'audit', `/dashboard/audit${q}`);
    await visitHostile(tabs, 'audit-e1', `/dashboard/audit${q}&subject=${state.e1.evaluation_id}`);
    await visitHostile(tabs, 'webhooks', `/dashboard/webhooks${q}`);
    await visitHostile(tabs, 'webhook-detail', `/dashboard/webhooks/${state.deliveryId}${q}`, { mustContain: ['&lt;img src=x onerror'] });
    await visitHostile(tabs, 'policies', `/dashboard/policies${q}`, { mustContain: [escapedIn(TEXTAREA)] });
    await visitHostile(tabs, 'policy-v1', `/dashboard/policies/versions/1${q}`);
    await visitHostile(tabs, 'policy-diff', `/dashboard/policies/diff${q}&from=1&to=2`);
    await visitHostile(tabs, 'policy-from-v1', `/dashboard/policies${q}&version=1`);
    await visitHostile(tabs, 'members', `/dashboard/members${q}`, { mustContain: [escapedIn(owner.name), escapedIn(viewer.name)] });
    await visitHostile(tabs, 'keys', `/dashboard/keys${q}`, { mustContain: [escapedIn(keyLabel)] });
    // Rule names and approvers' names are in the charts' SVG and their tables.
    const analytics = await visitHostile(tabs, 'analytics', `/dashboard/analytics${q}`, {
      mustContain: [escapedIn(policyDoc().rules[0].name), escapedIn(owner.name)],
    });
    assert.ok(/<svg[^>]*role="img"/.test(analytics), 'analytics draws its charts');
    await visitHostile(tabs, 'mailbox', `/dashboard/mailbox${q}`);
    await visitHostile(tabs, 'settings', `/dashboard/settings${q}`, { mustContain: [escapedIn(wsName)] });
    await visitHostile(tabs, 'workspaces', `/dashboard/workspaces`);
    await visitHostile(tabs, 'integrations', `/dashboard/integrations${q}`);
    await visitHostile(tabs, 'compliance', `/dashboard/compliance${q}`);
    await visitHostile(tabs, 'compliance-export', `/dashboard/compliance/exports/${state.exportId}${q}`);

    // Reflected: filters and parameters in the URL come back escaped.
    const enc = encodeURIComponent;
    // (A filter that is not understood may answer 400 with the form and its errors.)
    await visitHostile(tabs, 'evaluations-filters',
      `/dashboard/evaluations${q}&action=${enc(SCRIPT)}&agent=${enc(IMG)}&rule=${enc(TEXTAREA)}&from=${enc(SQUOTE)}`,
      { status: 'any' });
    await visitHostile(tabs, 'audit-filters',
      `/dashboard/audit${q}&type=${enc(SCRIPT)}&actor=${enc(IMG)}&subject=${enc(TEXTAREA)}&to=${enc(SQUOTE)}`,
      { status: 'any' });
    await visitHostile(tabs, 'webhooks-filter', `/dashboard/webhooks${q}&status=${enc(SCRIPT)}`, { status: 'any' });
    await visitHostile(tabs, 'policies-template', `/dashboard/policies${q}&template=${enc(SCRIPT)}`, {
      status: 'any',
      expectEscaped: false,
    });
    await visitHostile(tabs, 'docs-unknown', `/docs/${enc(IMG)}`, { status: 404, expectEscaped: false });
    await visitHostile(tabs, 'evaluation-bad-id', `/dashboard/evaluations/${enc(SCRIPT)}${q}`, { status: 404, expectEscaped: false });

    // A hostile allowlist comes back in its textarea, escaped.
    await tabs.csp.goto(`/dashboard/integrations${q}`);
    await tabs.csp.page.getByLabel('Allowed hosts, one per line').fill(`${TEXTAREA}\n${IMG}\n${JSURL}`);
    const [resp] = await Promise.all([
      tabs.csp.page.waitForNavigation(),
      tabs.csp.page.getByRole('button', { name: 'Save allowlist' }).click(),
    ]);
    const html = await resp.text();
    for (const m of RAW_MARKERS) assert.ok(!html.includes(m), `allowlist errors: raw ${m}`);
    assert.ok(html.includes('&lt;/textarea&gt;'), 'the allowlist comes back escaped');
    assert.equal(await tabs.csp.page.evaluate(() => window.__xss), undefined);
    tabs.csp.assertClean('allowlist with errors');
  } finally {
    await tabs.open.close();
    await tabs.csp.close();
  }
});

test('XSS: a javascript: `next` after sign-in stays on this site', async () => {
  const t = await openPage(browser, { bypassCSP: true });
  try {
    const res = await t.goto(`/login?next=${encodeURIComponent(JSURL)}`);
    assert.equal(res.status(), 200);
    await t.page.getByLabel('Email').fill(viewer.email);
    await t.page.getByLabel('Password').fill(PASSWORD);
    await submitForm(t.page, () => t.page.getByRole('button', { name: 'Sign in' }).click());
    assert.equal(new URL(t.page.url()).origin, new URL(baseUrl).origin);
    assert.equal(new URL(t.page.url()).pathname, '/dashboard');
    assert.equal(await t.page.evaluate(() => window.__xss), undefined);
    assert.deepEqual(t.dialogs, []);
    // And a sign-in page asked for with a hostile next shows it escaped.
    const t2 = await openPage(browser, { bypassCSP: true });
    try {
      const r2 = await t2.goto(`/login?next=${encodeURIComponent(`/x${SCRIPT}`)}`);
      const h2 = await r2.text();
      for (const m of RAW_MARKERS) assert.ok(!h2.includes(m), `login next: raw ${m}`);
      assert.equal(await t2.page.evaluate(() => window.__xss), undefined);
    } finally {
      await t2.close();
    }
  } finally {
    await t.close();
  }
});
