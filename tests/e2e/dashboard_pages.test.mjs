// Dashboard pages for governing and observing a workspace, driven over HTTP like a
// browser without JavaScript: policies (validate with errors at their paths, publish,
// versions, diff, simulate), evaluations (filters in the URL, keyset pages, detail,
// another workspace's id → 404), the approvals inbox (approve and reject, OTP stage,
// closed requests), the audit log (filters, pages, CSV export with quoting and formula
// neutralisation, chain verification), webhook deliveries (detail, replay one, many and
// all failed since a time; the replay-admin-only switch) and integrator settings (secret
// shown once, allowlist validation). Every POST without a CSRF token is refused (403);
// a viewer reads but cannot publish, replay (when admin-only) or rotate (403); an
// archived workspace is read-only.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { api, env, headerValues, psql, waitFor } from './lib/stack.mjs';
import { mintKey } from './lib/workspace.mjs';
import { findMail, otpCode, waitForMail } from './lib/mail.mjs';
import { startReceiver } from './lib/hooks.mjs';

const run = `${Date.now().toString(36)}${randomBytes(2).toString('hex')}`;
const email = (who) => `dash-${who}-${run}@example.test`;
const PASSWORD = 'amber lantern drifts at noon';
const lit = (s) => `'${String(s).replace(/'/g, "''")}'`;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const RETRYABLE = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT']);

/** api() that waits out a stack restart by someone else (nothing reached the app). */
async function call(method, path, opts) {
  const deadline = Date.now() + 60000;
  for (;;) {
    try {
      const res = await api(method, path, opts);
      if (res.status === 502 && Date.now() < deadline) {
        await sleep(300);
        continue;
      }
      return res;
    } catch (e) {
      if (Date.now() < deadline && (RETRYABLE.has(e.code) || /socket hang up/.test(e.message))) {
        await sleep(300);
        continue;
      }
      throw e;
    }
  }
}

/** A cookie-keeping client that submits forms like a browser without JavaScript. */
class Browser {
  constructor() {
    this.jar = new Map();
  }

  async request(method, path, { form, headers = {} } = {}) {
    const h = { ...headers };
    if (this.jar.size) h.Cookie = [...this.jar].map(([k, v]) => `${k}=${v}`).join('; ');
    const opts = { headers: h };
    if (form !== undefined) {
      h['Content-Type'] = 'application/x-www-form-urlencoded';
      opts.body = (form instanceof URLSearchParams ? form : new URLSearchParams(form)).toString();
      opts.raw = true;
    }
    const res = await call(method, path, opts);
    for (const sc of headerValues(res, 'set-cookie')) {
      const [pair] = sc.split(';');
      const i = pair.indexOf('=');
      if (/;\s*Max-Age=0/i.test(sc)) this.jar.delete(pair.slice(0, i));
      else this.jar.set(pair.slice(0, i), pair.slice(i + 1));
    }
    return res;
  }

  get(path) {
    return this.request('GET', path);
  }

  /** POSTs form fields (with this page's CSRF token and workspace unless given). */
  async submit(pagePath, action, fields = {}) {
    const page = await this.get(pagePath);
    assert.equal(page.status, 200, `${pagePath}: ${page.text.slice(0, 300)}`);
    const csrf = /name="csrf" value="([0-9a-f]{64})"/.exec(page.text)?.[1];
    const ws = /name="ws" value="([0-9a-f-]{36})"/.exec(page.text)?.[1];
    assert.ok(csrf, `${pagePath} carries a CSRF token`);
    return this.request('POST', action, { form: { csrf, ...(ws ? { ws } : {}), ...fields } });
  }

  /** The same POST without any CSRF token (a forged cross-site form). */
  forged(action, fields) {
    return this.request('POST', action, { form: fields });
  }
}

/** Signs up a fresh account with its own workspace; returns {b, ws, email, id}. */
async function signUp(who) {
  const b = new Browser();
  const res = await b.submit('/signup', '/signup', {
    display_name: `Dash ${who}`,
    email: email(who),
    password: PASSWORD,
    workspace_name: `Dash ${who} ${run}`,
  });
  assert.equal(res.status, 303, res.text.slice(0, 400));
  const ws = /[?&]ws=([0-9a-f-]{36})/.exec(res.headers.location || '')?.[1];
  assert.ok(ws, `sign-up redirects into the new workspace: ${res.headers.location}`);
  const id = psql(`SELECT id FROM users WHERE email = ${lit(email(who))}`);
  return { b, ws, email: email(who), id };
}

/** An HTML page inside the shell: no inline script, handler or style; labels for fields. */
function assertPage(res, where, nav) {
  assert.equal(res.status, 200, `${where}: ${res.text.slice(0, 400)}`);
  assert.match(res.headers['content-type'] || '', /^text\/html/, where);
  assert.match(res.headers['cache-control'] || '', /no-store/, `${where}: no-store`);
  for (const m of res.text.matchAll(/<script\b([^>]*)>/gi)) assert.match(m[1], /\bsrc="\/static\//, where);
  assert.doesNotMatch(res.text, /\son[a-z]+\s*=\s*["']/i, `${where}: no inline event handlers`);
  assert.doesNotMatch(res.text, /\sstyle\s*=/i, `${where}: no inline styles`);
  assert.match(res.text, /class="sidebar"/, `${where}: inside the signed-in shell`);
  if (nav) assert.match(res.text, new RegExp(`href="${nav}[^"]*" aria-current="page"`), `${where}: ${nav} is current`);
  // Every visible field has a label.
  for (const m of res.text.matchAll(/<(input|select|textarea)\b([^>]*)>/gi)) {
    if (/type="hidden"/.test(m[2])) continue;
    const id = /\bid="([^"]+)"/.exec(m[2])?.[1];
    assert.ok(id, `${where}: a ${m[1]} without id: ${m[0]}`);
    assert.match(res.text, new RegExp(`<label[^>]*for="${id.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}"`), `${where}: label for #${id}`);
  }
}

function assertStatus(res, status, where) {
  assert.equal(res.status, status, `${where}: ${res.status} ${res.text.slice(0, 300)}`);
}

/** The flash the next page shows (after a redirect). */
async function flashAfter(b, res) {
  assertStatus(res, 303, 'redirect after a POST');
  const next = await b.get(res.headers.location);
  assert.equal(next.status, 200, next.text.slice(0, 300));
  const m = /<div class="flash flash-([a-z]+)" role="status" id="flash">([^<]*)<\/div>/.exec(next.text);
  assert.ok(m, `a flash message on ${res.headers.location}`);
  return { kind: m[1], message: m[2], page: next };
}

/** POST /api/v1/evaluate with an agent key; returns the JSON. */
async function evaluate(key, body, headers = {}) {
  const r = await call('POST', '/api/v1/evaluate', { headers: { Authorization: `Bearer ${key}`, ...headers }, body });
  assert.equal(r.status, 200, `evaluate: ${r.text}`);
  return r.json;
}

function decode(s) {
  return s.replace(/&amp;/g, '&').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>');
}

/** Parses CSV (RFC 4180) into rows of fields. */
function parseCsv(text) {
  const rows = [];
  let row = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\r' && text[i + 1] === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      i++;
    } else field += c;
  }
  if (field || row.length) rows.push([...row, field]);
  return rows;
}

const POLICY = {
  description: 'Dashboard test policy',
  default: 'allow',
  rules: [
    { name: 'no-drops', when: { action: 'db.drop*' }, effect: 'deny', reason: 'Never drop tables' },
    {
      name: 'payments-need-manager',
      when: { action: 'payments.send', amount: { gt: 1000 } },
      effect: 'require_approval',
      approval: { stages: [{ role: 'manager', min_approvals: 1 }], timeout_seconds: 3600 },
      reason: 'Large payments need a manager',
    },
    {
      name: 'wires-need-a-code',
      when: { action: 'payments.wire' },
      effect: 'require_approval',
      approval: { stages: [{ role: 'manager', min_approvals: 1, otp: true }], timeout_seconds: 3600 },
    },
  ],
};

const s = {}; // shared between the tests below, which run in order

test('setup: an owner, a viewer, an agent key, another workspace with an evaluation', async () => {
  s.owner = await signUp('owner');
  s.viewer = await signUp('viewer');
  psql(`INSERT INTO workspace_members (workspace_id, user_id, role) VALUES (${lit(s.owner.ws)}, ${lit(s.viewer.id)}, 'viewer')`);
  psql(`UPDATE workspace_members SET approval_roles = '{manager}' WHERE workspace_id = ${lit(s.owner.ws)} AND user_id = ${lit(s.owner.id)}`);
  s.agent = mintKey(s.owner.ws, 'agent', 'dash e2e agent');
  s.other = await signUp('other');
  const otherKey = mintKey(s.other.ws, 'agent', 'dash e2e other');
  s.otherEval = (await evaluate(otherKey.key, { action: 'files.read' })).evaluation_id;
  const d = await call('GET', `/dashboard/webhooks?ws=${s.owner.ws}`, {});
  assert.equal(d.status, 303, 'signed out: redirected to the login');
  assert.match(d.headers.location, /^\/login\?next=/);
});

test('every page renders inside the shell, with labelled fields and empty states', async () => {
  const { b, ws } = s.owner;
  const pages = [
    ['/dashboard/policies', 'no-policy'],
    ['/dashboard/evaluations', 'no-evaluations'],
    ['/dashboard/approvals', 'inbox-empty'],
    ['/dashboard/audit', null],
    ['/dashboard/webhooks', 'no-deliveries'],
    ['/dashboard/integrations', null],
  ];
  for (const [path, empty] of pages) {
    const res = await b.get(`${path}?ws=${ws}`);
    assertPage(res, path, path);
    if (empty) assert.match(res.text, new RegExp(`id="${empty}"`), `${path}: empty state`);
  }
  // The viewer reads every page too.
  for (const [path] of pages) assertPage(await s.viewer.b.get(`${path}?ws=${ws}`), `viewer ${path}`, path);
});

test('policies: validate shows errors at their paths and keeps the text; publish, versions, diff, simulate', async () => {
  const { b, ws } = s.owner;
  const page = `/dashboard/policies?ws=${ws}`;
  const bad = JSON.stringify({ default: 'sometimes', rules: [{ name: 'x', effect: 'explode', surprise: 1 }] }, null, 2);

  let res = await b.submit(page, '/dashboard/policies/validate', { document: bad });
  assertStatus(res, 422, 'invalid draft');
  assert.match(res.text, /id="draft-errors"/);
  for (const path of ['default', 'rules[0].effect', 'rules[0].surprise']) {
    assert.match(res.text, new RegExp(`<code>${path.replace(/[[\]]/g, '\\$&')}</code>: `), `error at ${path}`);
  }
  assert.ok(decode(res.text).includes(bad), 'the draft comes back as typed');

  res = await b.submit(page, '/dashboard/policies/validate', { document: '{\n  "default": allow\n}' });
  assertStatus(res, 422, 'not JSON');
  assert.match(res.text, /line 2, column/);

  res = await b.submit(page, '/dashboard/policies/validate', { document: JSON.stringify(POLICY) });
  assertStatus(res, 200, 'valid draft');
  assert.match(res.text, /id="validation-ok">The draft is valid: 3 rules/);
  assert.equal(psql(`SELECT count(*) FROM policy_versions WHERE workspace_id = ${lit(ws)}`), '0', 'validate publishes nothing');

  // CSRF-less and viewer publishes are refused and change nothing.
  assertStatus(await b.forged('/dashboard/policies/publish', { ws, document: JSON.stringify(POLICY) }), 403, 'publish without CSRF');
  assertStatus(await s.viewer.b.submit(page, '/dashboard/policies/publish', { document: JSON.stringify(POLICY) }), 403, 'viewer publish');
  assert.equal(psql(`SELECT count(*) FROM policy_versions WHERE workspace_id = ${lit(ws)}`), '0');

  res = await b.submit(page, '/dashboard/policies/publish', { document: JSON.stringify(POLICY) });
  let f = await flashAfter(b, res);
  assert.equal(f.kind, 'success');
  assert.match(f.message, /Version 1 is published with 3 rules/);
  assert.match(f.page.text, /id="current-title">Current policy <span class="badge badge-ok">version 1/);
  assert.equal(psql(`SELECT count(*) FROM audit_events WHERE workspace_id = ${lit(ws)} AND event_type = 'policy.published' AND actor_id = ${lit(s.owner.id)}`), '1');

  const v2 = structuredClone(POLICY);
  v2.rules[1].when.amount.gt = 5000;
  res = await b.submit(page, '/dashboard/policies/publish', { document: JSON.stringify(v2) });
  f = await flashAfter(b, res);
  assert.match(f.message, /Version 2 is published/);

  res = await b.get(`/dashboard/policies/versions/1?ws=${ws}`);
  assertPage(res, 'version 1', '/dashboard/policies');
  assert.match(decode(res.text), /"default": "allow"/);
  res = await b.get(`/dashboard/policies/diff?ws=${ws}&from=1&to=2`);
  assertPage(res, 'diff', '/dashboard/policies');
  assert.match(decode(res.text), /<span class="del">[^\n]*"gt": 1000/);
  assert.match(decode(res.text), /<span class="add">[^\n]*"gt": 5000/);
  assert.match(res.text, /\+1<\/span> <span class="del-count">−1</);
  assertStatus(await b.get(`/dashboard/policies/versions/9?ws=${ws}`), 404, 'unknown version');
  assertStatus(await b.get(`/dashboard/policies/versions/1?ws=${s.other.ws}`), 404, 'a workspace the owner is not in');

  // A template loads into the editor; a past version too.
  res = await b.get(`/dashboard/policies?ws=${ws}&template=payments-approval`);
  assert.match(res.text, /Started from the template <strong>Payments approval<\/strong>/);
  res = await b.get(`/dashboard/policies?ws=${ws}&version=1`);
  assert.match(res.text, /A copy of version 1/);

  // Simulate: a draft that denies everything changes the evaluations made so far.
  await evaluate(s.agent.key, { action: 'files.read', summary: 'before simulate' });
  res = await b.submit(page, '/dashboard/policies/simulate', { document: '{"default": "deny"}', limit: '100' });
  assertStatus(res, 200, 'simulate');
  assert.match(res.text, /id="sim-verdict"><strong>\d+<\/strong> of \d+ evaluations would be decided differently/);
  assert.match(res.text, /id="sim-changed"/);
  assertStatus(await s.viewer.b.submit(page, '/dashboard/policies/simulate', { document: '{"default": "deny"}' }), 403, 'viewer simulate');
});

test('evaluations: filters in the URL, keyset pages of 50, detail, another workspace → 404', async () => {
  const { b, ws } = s.owner;
  s.evals = [];
  for (let i = 0; i < 56; i++) {
    const action = i % 4 === 0 ? 'db.drop_table' : 'files.read';
    const r = await evaluate(s.agent.key, { action, agent_id: i % 2 ? 'odd-agent' : 'even-agent', summary: `dash row ${i} ${run}` });
    s.evals.push(r);
  }
  let res = await b.get(`/dashboard/evaluations?ws=${ws}`);
  assertPage(res, 'evaluations', '/dashboard/evaluations');
  const rows = (html) => [...html.matchAll(/<tr data-id="([0-9a-f-]{36})">/g)].map((m) => m[1]);
  const first = rows(res.text);
  assert.equal(first.length, 50, 'a page holds 50');
  assert.equal(first[0], s.evals.at(-1).evaluation_id, 'newest first');
  const older = /href="([^"]*after=[^"]+)" id="older"/.exec(res.text)?.[1];
  assert.ok(older, 'an Older link with a cursor');
  assert.doesNotMatch(older, /offset|page=/i, 'keyset, not offset');
  res = await b.get(decode(older));
  assertStatus(res, 200, 'older page');
  const second = rows(res.text);
  const total = Number(psql(`SELECT count(*) FROM evaluations WHERE workspace_id = ${lit(ws)}`));
  assert.equal(second.length, Math.min(50, total - 50), 'the rest is on the next page');
  assert.equal(first.filter((id) => second.includes(id)).length, 0, 'no row on both pages');
  assert.match(res.text, /← Newest/);

  // Filters are in the URL and combine.
  res = await b.get(`/dashboard/evaluations?ws=${ws}&status=denied&agent=even-agent`);
  assertStatus(res, 200, 'filtered');
  const denied = rows(res.text);
  assert.equal(denied.length, s.evals.filter((e, i) => e.status === 'denied' && i % 2 === 0).length);
  assert.doesNotMatch(res.text, /badge badge-allowed">allowed/);
  assert.match(res.text, /<option value="denied" selected>/, 'the filter form keeps the choice');
  assert.match(res.text, /value="even-agent"/);
  res = await b.get(`/dashboard/evaluations?ws=${ws}&action=files.read&decision=deny`);
  assert.equal(rows(res.text).length, 0);
  assert.match(res.text, /id="no-evaluations"[\s\S]*No evaluations match these filters/);
  // A decision alone: allow and deny read the status index, approval_required
  // its partial index (sql/0011); each lists exactly its own, newest first.
  for (const decision of ['allow', 'deny', 'approval_required']) {
    res = await b.get(`/dashboard/evaluations?ws=${ws}&decision=${decision}`);
    assertStatus(res, 200, `decision=${decision}`);
    const want = psql(
      `SELECT coalesce(string_agg(id::text, ' ' ORDER BY created_at DESC, id DESC), '') FROM (SELECT id, created_at FROM evaluations` +
        ` WHERE workspace_id = ${lit(ws)} AND decision = ${lit(decision)} ORDER BY created_at DESC, id DESC LIMIT 50) x`,
    );
    assert.deepEqual(rows(res.text), want ? want.split(' ') : [], `decision=${decision}`);
  }
  assert.ok(Number(psql(`SELECT count(*) FROM evaluations WHERE workspace_id = ${lit(ws)} AND decision = 'deny'`)) > 0);
  res = await b.get(`/dashboard/evaluations?ws=${ws}&to=2001-01-01`);
  assert.equal(rows(res.text).length, 0, 'date range');
  const today = new Date().toISOString().slice(0, 10);
  res = await b.get(`/dashboard/evaluations?ws=${ws}&from=${today}&to=${today}&action=db.drop_table`);
  assert.equal(rows(res.text).length, 14);
  res = await b.get(`/dashboard/evaluations?ws=${ws}&status=maybe&after=garbage`);
  assertStatus(res, 400, 'bad filter values');
  assert.match(res.text, /id="filter-errors"/);
  assert.equal(rows(res.text).length, 50, 'the valid part still lists');

  // Detail, and the workspace boundary.
  const one = s.evals[0];
  res = await b.get(`/dashboard/evaluations/${one.evaluation_id}?ws=${ws}`);
  assertPage(res, 'evaluation detail', '/dashboard/evaluations');
  assert.match(res.text, new RegExp(`id="eval-id">${one.evaluation_id}<`));
  assert.match(res.text, /id="no-receipt"/);
  assert.match(res.text, /id="audit-events"[\s\S]*evaluation\.created/);
  assertStatus(await b.get(`/dashboard/evaluations/${s.otherEval}?ws=${ws}`), 404, "another workspace's evaluation");
  assertStatus(await b.get(`/dashboard/evaluations/${s.otherEval}`), 404, 'in the session workspace too');
  assertStatus(await b.get(`/dashboard/evaluations/00000000-0000-4000-8000-000000000000?ws=${ws}`), 404, 'unknown id');
  assertStatus(await b.get(`/dashboard/evaluations/not-a-uuid?ws=${ws}`), 404, 'malformed id');

  // A receipt with a different action hash shows as a mismatch.
  const allowed = s.evals.find((e) => e.status === 'allowed');
  const r = await call('POST', '/api/v1/receipt', {
    headers: { Authorization: `Bearer ${s.agent.key}` },
    body: { evaluation_id: allowed.evaluation_id, outcome: 'succeeded', action_hash: '0'.repeat(64) },
  });
  assert.equal(r.status, 201, r.text);
  res = await b.get(`/dashboard/evaluations/${allowed.evaluation_id}?ws=${ws}`);
  assert.match(res.text, /id="hash-state">mismatch</);
});

test('approvals inbox: approve and reject with the email-link rules, OTP stage, closed requests', async () => {
  const { b, ws } = s.owner;
  const inbox = `/dashboard/approvals?ws=${ws}`;
  const pay = await evaluate(s.agent.key, { action: 'payments.send', amount: 9000, currency: 'EUR', summary: `Pay Acme ${run}` });
  const pay2 = await evaluate(s.agent.key, { action: 'payments.send', amount: 7000, currency: 'EUR', summary: `Pay Beta ${run}` });
  assert.equal(pay.status, 'pending');
  let res = await b.get(inbox);
  assertPage(res, 'inbox', '/dashboard/approvals');
  const reqOf = (evalId) => psql(`SELECT id FROM approval_requests WHERE evaluation_id = ${lit(evalId)} AND user_id = ${lit(s.owner.id)}`);
  const req = reqOf(pay.evaluation_id);
  assert.match(res.text, new RegExp(`id="req-${req}"`));
  assert.match(res.text, new RegExp(`Pay Acme ${run}`));
  assert.match(res.text, /9000 EUR/);

  assertStatus(await b.forged('/dashboard/approvals/decide', { ws, request_id: req, decision: 'approve' }), 403, 'decide without CSRF');
  assertStatus(await b.submit(inbox, '/dashboard/approvals/decide', { request_id: '00000000-0000-4000-8000-000000000000', decision: 'approve' }), 404, 'unknown request');
  // The viewer is not asked: the owner's request is not theirs.
  assertStatus(await s.viewer.b.submit(inbox, '/dashboard/approvals/decide', { request_id: req, decision: 'approve' }), 404, "someone else's request");

  res = await b.submit(inbox, '/dashboard/approvals/decide', { request_id: req, decision: 'approve', comment: 'Looks right' });
  let f = await flashAfter(b, res);
  assert.equal(f.kind, 'success');
  assert.match(f.message, /You approved “Pay Acme/);
  assert.equal(psql(`SELECT status FROM evaluations WHERE id = ${lit(pay.evaluation_id)}`), 'approved');
  assert.equal(psql(`SELECT via || ' ' || comment FROM approval_requests WHERE id = ${lit(req)}`), 'dashboard Looks right');
  assert.match(f.page.text, /id="decided-table"[\s\S]*Pay Acme/);

  res = await b.submit(inbox, '/dashboard/approvals/decide', { request_id: req, decision: 'reject' });
  f = await flashAfter(b, res);
  assert.equal(f.kind, 'error');
  assert.match(f.message, /already closed/);

  res = await b.submit(inbox, '/dashboard/approvals/decide', { request_id: reqOf(pay2.evaluation_id), decision: 'reject' });
  f = await flashAfter(b, res);
  assert.match(f.message, /You rejected/);
  assert.equal(psql(`SELECT status FROM evaluations WHERE id = ${lit(pay2.evaluation_id)}`), 'rejected');

  // An OTP stage: no decision before the code, then email me a code, enter it, approve.
  const wire = await evaluate(s.agent.key, { action: 'payments.wire', amount: 10, currency: 'EUR', summary: `Wire ${run}` });
  const wreq = reqOf(wire.evaluation_id);
  res = await b.get(inbox);
  assert.match(res.text, new RegExp(`id="req-${wreq}"[\\s\\S]*?Email me a code`));
  res = await b.submit(inbox, '/dashboard/approvals/decide', { request_id: wreq, decision: 'approve' });
  f = await flashAfter(b, res);
  assert.match(f.message, /needs a one-time code/);
  res = await b.submit(inbox, '/dashboard/approvals/verify-otp', { request_id: wreq, code: '000000' });
  f = await flashAfter(b, res);
  assert.equal(f.kind, 'error');
  const before = findMail({ to: s.owner.email, subject: /approval code/ }).length;
  res = await b.submit(inbox, '/dashboard/approvals/request-otp', { request_id: wreq });
  f = await flashAfter(b, res);
  assert.match(f.message, /6-digit code/);
  const mails = await waitForMail({ to: s.owner.email, subject: /approval code/ }, { count: before + 1, timeout: 30000 });
  res = await b.submit(inbox, '/dashboard/approvals/verify-otp', { request_id: wreq, code: otpCode(mails.at(-1)) });
  f = await flashAfter(b, res);
  assert.match(f.message, /Code accepted/);
  res = await b.submit(inbox, '/dashboard/approvals/decide', { request_id: wreq, decision: 'approve' });
  f = await flashAfter(b, res);
  assert.match(f.message, /You approved/);
  assert.equal(psql(`SELECT status FROM evaluations WHERE id = ${lit(wire.evaluation_id)}`), 'approved');
});

test('audit log: filters and pages in the URL, CSV export quoted and formula-safe, chain verification', async () => {
  const { b, ws } = s.owner;
  // An event whose request id starts like a formula (nginx accepts client request ids).
  const rid = `-formula-${run}`;
  await evaluate(s.agent.key, { action: 'files.read', summary: 'formula probe' }, { 'X-Request-Id': rid });
  let res = await b.get(`/dashboard/audit?ws=${ws}`);
  assertPage(res, 'audit', '/dashboard/audit');
  const rows = (html) => [...html.matchAll(/<tr data-id="(\d+)">/g)].map((m) => m[1]);
  assert.equal(rows(res.text).length, 50);
  const older = /href="([^"]*after=[^"]+)" id="older"/.exec(res.text)?.[1];
  assert.ok(older, 'Older link');
  const page2 = await b.get(decode(older));
  assert.equal(rows(page2.text).filter((id) => rows(res.text).includes(id)).length, 0);

  res = await b.get(`/dashboard/audit?ws=${ws}&type=policy.published`);
  assert.equal(rows(res.text).length, 2);
  res = await b.get(`/dashboard/audit?ws=${ws}&actor=${encodeURIComponent(s.owner.email.toUpperCase())}&type=policy.published`);
  assert.equal(rows(res.text).length, 2, 'actor by email, case-insensitive');
  res = await b.get(`/dashboard/audit?ws=${ws}&subject=${s.evals[0].evaluation_id}`);
  assert.equal(rows(res.text).length, 1);
  res = await b.get(`/dashboard/audit?ws=${ws}&from=2030-01-02&to=2030-01-01`);
  assertStatus(res, 400, 'to before from');

  // CSV: the filtered set, quoted per RFC 4180, formulas neutralised.
  res = await b.get(`/dashboard/audit/export.csv?ws=${ws}&type=policy.published`);
  assertStatus(res, 200, 'export');
  assert.match(res.headers['content-type'], /^text\/csv; charset=utf-8/);
  assert.match(res.headers['content-disposition'], /^attachment; filename="audit-log-\d{8}-\d{6}\.csv"$/);
  let csv = parseCsv(res.text);
  assert.deepEqual(csv[0], ['id', 'seq', 'created_at', 'event_type', 'actor_type', 'actor_id', 'actor', 'subject_type', 'subject_id', 'request_id', 'data', 'hash']);
  assert.equal(csv.length, 3, 'header and the two publishes');
  assert.ok(csv.slice(1).every((r) => r[3] === 'policy.published' && r.length === 12));
  assert.match(res.text, /"\{""rules"": 3, ""version"": \d\}"/, 'JSON data quoted with doubled quotes');
  res = await b.get(`/dashboard/audit/export.csv?ws=${ws}&subject=`);
  csv = parseCsv(res.text);
  assert.equal(csv.length - 1, Number(psql(`SELECT count(*) FROM audit_events WHERE workspace_id = ${lit(ws)}`)), 'every event');
  const probe = csv.find((r) => r[9].includes(rid));
  assert.ok(probe, 'the probe event is exported');
  assert.equal(probe[9], `'${rid}`, 'a cell starting with - is prefixed with a quote');
  // Once sealed, every row carries its seal's seq and hash (audit_seals).
  await waitFor(
    () => psql(`SELECT count(*) FROM audit_events e WHERE e.workspace_id = ${lit(ws)} AND NOT EXISTS (SELECT 1 FROM audit_seals x WHERE x.event_id = e.id)`) === '0',
    { timeout: 20000, interval: 200, what: 'the sealer' }
  );
  csv = parseCsv((await b.get(`/dashboard/audit/export.csv?ws=${ws}`)).text);
  const sealed = new Map(
    psql(`SELECT event_id || ' ' || seq || ' ' || encode(hash, 'hex') FROM audit_seals WHERE workspace_id = ${lit(ws)}`)
      .split('\n')
      .map((l) => l.split(' '))
      .map(([id, seq, hash]) => [id, [seq, hash]])
  );
  assert.ok(csv.length > 1 && csv.slice(1).every((r) => sealed.has(r[0]) && sealed.get(r[0])[0] === r[1] && sealed.get(r[0])[1] === r[11]), 'seq and hash of every row come from its seal');
  assertStatus(await b.get(`/dashboard/audit/export.csv?ws=${ws}&from=nope`), 400, 'bad export filter');

  // Verify now: stores and shows the result (the sealer may still be behind).
  assertStatus(await b.forged('/dashboard/audit/verify', { ws }), 403, 'verify without CSRF');
  res = await s.viewer.b.submit(`/dashboard/audit?ws=${ws}`, '/dashboard/audit/verify');
  const f = await flashAfter(s.viewer.b, res);
  assert.equal(f.kind, 'success', f.message);
  assert.match(f.page.text, /id="chain-state">verified</);
  assert.equal(psql(`SELECT broken FROM audit_verifications WHERE workspace_id = ${lit(ws)}`), 'f');
});

test('webhook deliveries: list, status filter, detail with attempts, replay one, many and all failed', async () => {
  const { b, ws } = s.owner;
  const hooks = await startReceiver();
  try {
    const ok = await evaluate(s.agent.key, { action: 'files.read', summary: 'hook ok', webhook_url: hooks.url });
    const bad = await evaluate(s.agent.key, { action: 'files.read', summary: 'hook bad', webhook_url: 'http://127.0.0.1:9/dead' });
    const okId = () => psql(`SELECT id FROM webhook_deliveries WHERE evaluation_id = ${lit(ok.evaluation_id)}`);
    const badId = () => psql(`SELECT id FROM webhook_deliveries WHERE evaluation_id = ${lit(bad.evaluation_id)}`);
    await waitFor(() => psql(`SELECT status FROM webhook_deliveries WHERE evaluation_id = ${lit(ok.evaluation_id)}`) === 'delivered', { timeout: 30000, what: 'a delivery' });
    await waitFor(() => Number(psql(`SELECT attempts FROM webhook_deliveries WHERE evaluation_id = ${lit(bad.evaluation_id)}`) || 0) >= 1, { timeout: 30000, what: 'a failed attempt' });

    let res = await b.get(`/dashboard/webhooks?ws=${ws}`);
    assertPage(res, 'webhooks', '/dashboard/webhooks');
    assert.match(res.text, new RegExp(`data-id="${okId()}"`));
    assert.match(res.text, new RegExp(`data-id="${badId()}"`));
    res = await b.get(`/dashboard/webhooks?ws=${ws}&status=delivered`);
    assert.match(res.text, new RegExp(`data-id="${okId()}"`));
    assert.doesNotMatch(res.text, new RegExp(`data-id="${badId()}"`));
    assertStatus(await b.get(`/dashboard/webhooks?ws=${ws}&status=bogus`), 400, 'bad status filter');

    res = await b.get(`/dashboard/webhooks/${badId()}?ws=${ws}`);
    assertPage(res, 'delivery detail', '/dashboard/webhooks');
    assert.match(res.text, /class="attempt attempt-failed"/);
    assert.match(res.text, /id="payload"/);
    assertStatus(await s.other.b.get(`/dashboard/webhooks/${okId()}`), 404, "another workspace's delivery");

    assertStatus(await b.forged('/dashboard/webhooks/replay', { ws, id: okId() }), 403, 'replay without CSRF');
    res = await b.submit(`/dashboard/webhooks?ws=${ws}`, '/dashboard/webhooks/replay', { id: okId() });
    let f = await flashAfter(b, res);
    assert.match(f.message, /1 delivery is queued again/);
    await waitFor(() => psql(`SELECT status || replays FROM webhook_deliveries WHERE id = ${lit(okId())}`) === 'delivered1', { timeout: 30000, what: 'the replay delivered' });
    assert.equal(psql(`SELECT count(*) FROM audit_events WHERE workspace_id = ${lit(ws)} AND event_type = 'webhook.replayed' AND actor_id = ${lit(s.owner.id)}`), '1');

    // Many at once (checkboxes send id=…&id=…).
    const page = await b.get(`/dashboard/webhooks?ws=${ws}`);
    const csrf = /name="csrf" value="([0-9a-f]{64})"/.exec(page.text)[1];
    const form = new URLSearchParams([['csrf', csrf], ['ws', ws], ['id', okId()], ['id', badId()]]);
    res = await b.request('POST', '/dashboard/webhooks/replay', { form });
    f = await flashAfter(b, res);
    assert.match(f.message, /2 deliveries are queued again/);

    // Every failed delivery since a time.
    const since = new Date(Date.now() - 3600e3).toISOString().slice(0, 16);
    await waitFor(() => Number(psql(`SELECT attempts - retry_base FROM webhook_deliveries WHERE id = ${lit(badId())}`)) >= 1, { timeout: 30000, what: 'another failed attempt' });
    res = await b.submit(`/dashboard/webhooks?ws=${ws}`, '/dashboard/webhooks/replay-failed', { since });
    f = await flashAfter(b, res);
    assert.match(f.message, /queued again/);

    // replay_admin_only: members may replay until an owner makes it admin-only.
    res = await b.submit(`/dashboard/integrations?ws=${ws}`, '/dashboard/integrations/replay', { replay_admin_only: 'on' });
    f = await flashAfter(b, res);
    assert.match(f.message, /Only owners and admins/);
    assert.equal(psql(`SELECT replay_admin_only FROM workspace_integration_settings WHERE workspace_id = ${lit(ws)}`), 't');
    res = await s.viewer.b.get(`/dashboard/webhooks?ws=${ws}`);
    assert.doesNotMatch(res.text, /id="replay-selected"/, 'the viewer sees no replay buttons');
    assertStatus(await s.viewer.b.submit(`/dashboard/webhooks?ws=${ws}`, '/dashboard/webhooks/replay', { id: okId() }), 403, 'viewer replay');
    assertStatus(await s.viewer.b.submit(`/dashboard/webhooks?ws=${ws}`, '/dashboard/webhooks/replay-failed', { since }), 403, 'viewer replay failed');
    assertStatus(await s.viewer.b.submit(`/dashboard/integrations?ws=${ws}`, '/dashboard/integrations/replay', {}), 403, 'viewer changes the switch');
  } finally {
    await hooks.close();
  }
});

test('integrations: the secret is shown once after rotate, allowlist validated, viewer refused', async () => {
  const { b, ws } = s.owner;
  const page = `/dashboard/integrations?ws=${ws}`;
  const secretBefore = psql(`SELECT webhook_secret FROM workspace_integration_settings WHERE workspace_id = ${lit(ws)}`);
  let res = await b.get(page);
  assertPage(res, 'integrations', '/dashboard/integrations');
  assert.ok(!res.text.includes(secretBefore), 'the secret is never on the page');
  assert.match(res.text, /id="secret-fingerprint">sha256:[0-9a-f]{16}</);

  assertStatus(await b.forged('/dashboard/integrations/rotate', { ws }), 403, 'rotate without CSRF');
  assertStatus(await s.viewer.b.submit(page, '/dashboard/integrations/rotate'), 403, 'viewer rotate');
  res = await b.submit(page, '/dashboard/integrations/rotate');
  assertStatus(res, 201, 'rotate');
  const shown = /id="new-secret">(whsec_[A-Za-z0-9+/=]+)</.exec(res.text)?.[1];
  assert.ok(shown, 'the new secret is shown');
  const row = psql(`SELECT webhook_secret || ' ' || previous_webhook_secret || ' ' || round(extract(epoch FROM previous_secret_expires_at - now()) / 3600) FROM workspace_integration_settings WHERE workspace_id = ${lit(ws)}`).split(' ');
  assert.equal(row[0], shown);
  assert.equal(row[1], secretBefore, 'the previous secret is kept');
  assert.equal(row[2], '24', 'for 24 hours');
  res = await b.get(page);
  assert.ok(!res.text.includes(shown), 'and never shown again');
  assert.match(res.text, /Previous secret<\/dt><dd>still signs until/);
  assert.equal(psql(`SELECT count(*) FROM audit_events WHERE workspace_id = ${lit(ws)} AND event_type = 'webhook_secret.rotated' AND actor_id = ${lit(s.owner.id)}`), '1');

  res = await b.submit(page, '/dashboard/integrations/allowlist', { allowlist: 'hooks.example.com\nhttps://bad.example/x\n*' });
  assertStatus(res, 422, 'invalid allowlist');
  assert.match(res.text, /line 2: “https:\/\/bad.example\/x”/);
  assert.match(res.text, /line 3: /);
  assert.match(res.text, /hooks.example.com\nhttps:\/\/bad.example\/x/, 'the text is kept');
  res = await b.submit(page, '/dashboard/integrations/allowlist', { allowlist: '# ours\nHooks.Example.com\n*.example.org:8443\nhooks.example.com\n' });
  const f = await flashAfter(b, res);
  assert.match(f.message, /one of 2 hosts/);
  assert.equal(psql(`SELECT array_to_string(webhook_allowed_hostnames, ' ') FROM workspace_integration_settings WHERE workspace_id = ${lit(ws)}`), 'hooks.example.com *.example.org:8443');
  assert.equal(psql(`SELECT count(*) FROM audit_events WHERE workspace_id = ${lit(ws)} AND event_type = 'webhook_allowlist.updated'`), '1');
  assertStatus(await s.viewer.b.submit(page, '/dashboard/integrations/allowlist', { allowlist: '' }), 403, 'viewer allowlist');
  res = await s.viewer.b.get(page);
  assert.match(res.text, /id="allowlist-view"><li><code>hooks.example.com<\/code>/);
  assert.doesNotMatch(res.text, /id="rotate"/);
  // Back to empty so later evaluations may use any host.
  await flashAfter(b, await b.submit(page, '/dashboard/integrations/allowlist', { allowlist: '' }));
});

test('an archived workspace is read-only: pages render, changes are refused', async () => {
  const { b, ws } = s.owner;
  psql(`UPDATE workspaces SET archived_at = now() WHERE id = ${lit(ws)}`);
  try {
    for (const p of ['/dashboard/policies', '/dashboard/evaluations', '/dashboard/approvals', '/dashboard/audit', '/dashboard/webhooks', '/dashboard/integrations']) {
      const res = await b.get(`${p}?ws=${ws}`);
      assertStatus(res, 200, `archived ${p}`);
    }
    const doc = JSON.stringify(POLICY);
    assertStatus(await b.submit(`/dashboard/policies?ws=${ws}`, '/dashboard/policies/publish', { document: doc }), 403, 'publish');
    assertStatus(await b.submit(`/dashboard/integrations?ws=${ws}`, '/dashboard/integrations/rotate'), 403, 'rotate');
    assertStatus(await b.submit(`/dashboard/webhooks?ws=${ws}`, '/dashboard/webhooks/replay', { id: '00000000-0000-4000-8000-000000000000' }), 403, 'replay');
  } finally {
    psql(`UPDATE workspaces SET archived_at = NULL WHERE id = ${lit(ws)}`);
  }
});

test('env sanity: the stack under test is reachable', () => {
  assert.ok(env.ANX_BASE_URL);
});
