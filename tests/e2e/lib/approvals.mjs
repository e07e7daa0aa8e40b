// tests/e2e/lib/approvals.mjs — a private world for approval tests: a workspace
// of its own with fresh members (unique addresses, so reading their mail never
// sees another test's), its own admin and agent keys, its own policy; plus
// shortcuts for the approval endpoints and the database state they change.
//
//   const w = await makeWorkspace('flow', { owner: ['manager', 'finance'], manager: ['manager'] });
//   await w.publish(policy);
//   const ev = await w.evaluate({ action: 'payments.send', amount: 5000, summary: w.unique('Pay') });
//   await approve(token);                       // POST /api/approval/approve
//
// Every helper goes through callApi(), which retries while the stack is being
// restarted by someone else (connection refused/reset before an answer, or
// nginx's 502 while the FastCGI pool is down): none of those reached the app.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { api, env, psql, sh, waitFor } from './stack.mjs';

const RETRYABLE = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ENOENT', 'ETIMEDOUT']);

/** api() that survives a stack restart in progress (up to ~60 s). */
export async function callApi(method, path, opts = {}) {
  const deadline = Date.now() + 60000;
  for (;;) {
    let res;
    try {
      res = await api(method, path, opts);
    } catch (e) {
      if (Date.now() < deadline && (RETRYABLE.has(e.code) || /socket hang up/.test(e.message))) {
        await new Promise((r) => setTimeout(r, 250));
        continue;
      }
      throw e;
    }
    if (res.status === 502 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 250));
      continue;
    }
    return res;
  }
}

/** SQL string literal. */
export function lit(s) {
  return `'${String(s).replace(/'/g, "''")}'`;
}

/** A short random tag: unique summaries, addresses and labels per run. */
export function tag() {
  return `${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
}

/** Runs `agentnexus-cron ARGS` with the stack's env; returns stdout. */
export function cron(args) {
  return sh(`"$ANX_CRON_BIN" ${args}`);
}

/** Mints an API key for workspace ws: {id, key}. */
export function mintKey(ws, scope, label) {
  const out = cron(`create-key --workspace ${ws} --label ${lit(label)} --scope ${scope} 2>/dev/null`);
  const id = /^id=(\S+)$/m.exec(out)?.[1];
  const key = /^key=(\S+)$/m.exec(out)?.[1];
  assert.ok(id && key, `create-key printed: ${out}`);
  return { id, key };
}

/**
 * A workspace of its own. members: {name: [approval roles]}; each member is a
 * fresh user <name>-<tag>@example.test (dashboard role owner for "owner",
 * else admin). Returns {id, tag, users: {name: {id, email}}, admin, agent
 * (keys), publish(doc), evaluate(body, key?), get(id), unique(text), …}.
 */
export async function makeWorkspace(label, members) {
  const t = tag();
  const users = {};
  for (const [name, roles] of Object.entries(members)) {
    const email = `${name}-${t}@example.test`;
    const id = psql(`INSERT INTO users (email, display_name, password_hash)
      VALUES (${lit(email)}, ${lit(`${name} ${t}`)}, '!no-login') RETURNING id`);
    users[name] = { id, email, roles };
  }
  const ownerId = users.owner?.id;
  const id = psql(`INSERT INTO workspaces (name, created_by) VALUES (${lit(`e2e ${label} ${t}`)},
    ${ownerId ? lit(ownerId) : 'NULL'}) RETURNING id`);
  for (const [name, u] of Object.entries(users)) {
    const roles = `ARRAY[${u.roles.map(lit).join(',')}]::text[]`;
    psql(`INSERT INTO workspace_members (workspace_id, user_id, role, approval_roles)
      VALUES (${lit(id)}, ${lit(u.id)}, ${lit(name === 'owner' ? 'owner' : 'admin')}, ${roles})`);
  }
  // A signing secret, so webhooks to a test receiver go out.
  const webhookSecret = `whsec_${randomBytes(32).toString('base64')}`;
  psql(`INSERT INTO workspace_integration_settings (workspace_id, webhook_secret)
    VALUES (${lit(id)}, ${lit(webhookSecret)})`);
  const admin = mintKey(id, 'admin', `e2e ${label} admin`);
  const agent = mintKey(id, 'agent', `e2e ${label} agent`);
  const w = {
    id,
    tag: t,
    users,
    webhookSecret,
    admin,
    agent,
    /** A string unique to this workspace and call: for summaries. */
    unique(text) {
      w.seq = (w.seq || 0) + 1;
      return `${text} ${t}-${w.seq}`;
    },
    /** PUT /api/v1/policy with the admin key; asserts 200. */
    async publish(doc) {
      const r = await callApi('PUT', '/api/v1/policy', {
        headers: { Authorization: `Bearer ${admin.key}` },
        body: doc,
      });
      assert.ok(r.status === 200 || r.status === 201, `publish policy: ${r.status} ${r.text}`);
      return r.json;
    },
    /** POST /api/v1/evaluate; asserts 200 and returns the JSON. */
    async evaluate(body, key = agent.key) {
      const r = await callApi('POST', '/api/v1/evaluate', {
        headers: { Authorization: `Bearer ${key}` },
        body,
      });
      assert.equal(r.status, 200, `evaluate: ${r.text}`);
      return r.json;
    },
    /** GET /api/v1/evaluations/{id}; asserts 200 and returns the JSON. */
    async get(evalId) {
      const r = await callApi('GET', `/api/v1/evaluations/${evalId}`, {
        headers: { Authorization: `Bearer ${agent.key}` },
      });
      assert.equal(r.status, 200, `get evaluation: ${r.text}`);
      return r.json;
    },
  };
  return w;
}

/** POST /api/approval/<op> with a JSON body; returns the response. */
export function approvalPost(op, body) {
  return callApi('POST', `/api/approval/${op}`, { body });
}
export const approve = (token, comment) => approvalPost('approve', comment ? { token, comment } : { token });
export const reject = (token, comment) => approvalPost('reject', comment ? { token, comment } : { token });
export const requestOtp = (token) => approvalPost('request-otp', { token });
export const verifyOtp = (token, code) => approvalPost('verify-otp', { token, code });

/** Asserts the DESIGN.md error contract with this status and code. */
export function assertError(res, status, code) {
  assert.equal(res.status, status, `expected ${status} ${code}, got ${res.status}: ${res.text}`);
  assert.equal(res.json?.error?.code, code, res.text);
  assert.equal(typeof res.json.error.message, 'string');
  assert.ok(Array.isArray(res.json.error.details));
  assert.equal(typeof res.json.request_id, 'string');
}

/** Event types of the audit events about evaluation id, oldest first. */
export function auditTypes(evalId) {
  const out = psql(`SELECT event_type FROM audit_events WHERE subject_id = ${lit(evalId)} ORDER BY id`);
  return out ? out.split('\n') : [];
}

/** Count of audit events of one type about evaluation id. */
export function auditCount(evalId, type) {
  return Number(psql(`SELECT count(*) FROM audit_events WHERE subject_id = ${lit(evalId)}
    AND event_type = ${lit(type)}`));
}

/**
 * Everything approvals keep about an evaluation, as one string: the row, its
 * stages and requests (OTP state included), audit events, queued mail and
 * webhooks. Two equal snapshots mean nothing changed.
 */
export function snapshot(evalId) {
  const e = lit(evalId);
  return psql(`SELECT concat_ws(' | ',
    (SELECT row_to_json(x)::text FROM (SELECT status, current_stage, decided_at, expires_at, reminded_at
       FROM evaluations WHERE id = ${e}) x),
    (SELECT json_agg(s ORDER BY s.idx)::text FROM approval_stages s WHERE s.evaluation_id = ${e}),
    (SELECT json_agg(r ORDER BY r.id)::text FROM approval_requests r WHERE r.evaluation_id = ${e}),
    (SELECT count(*)::text FROM audit_events WHERE subject_id = ${e}),
    (SELECT count(*)::text FROM email_outbox WHERE evaluation_id = ${e}),
    (SELECT count(*)::text FROM webhook_deliveries WHERE evaluation_id = ${e}))`);
}

/** Runs `agentnexus-cron timeouts`; returns {expired, reminded, reassigned}. */
export function runTimeouts() {
  const out = cron('timeouts');
  const m = /expired=(\d+) reminded=(\d+) reassigned=(\d+)/.exec(out);
  assert.ok(m, `timeouts printed: ${out}`);
  return { expired: Number(m[1]), reminded: Number(m[2]), reassigned: Number(m[3]) };
}

/** POST /api/cron/approval-timeouts with CRON_SECRET; returns the JSON. */
export async function postTimeouts() {
  const r = await callApi('POST', '/api/cron/approval-timeouts', {
    headers: { Authorization: `Bearer ${env.CRON_SECRET}` },
  });
  assert.equal(r.status, 200, r.text);
  return r.json;
}

/** Waits until the evaluation's status (from the API) is `status`. */
export function waitForStatus(w, evalId, status) {
  return waitFor(async () => (await w.get(evalId)).status === status, { what: `evaluation ${evalId} ${status}` });
}

/**
 * What the approval page offers, read from its HTML as a browser would:
 * {token (the hidden input), actions: ['/api/approval/approve', …] (form
 * action and button formaction targets, in page order)}.
 */
export function pageForms(html) {
  const token = /<input type="hidden" name="token" value="([0-9a-f]{32})">/.exec(html)?.[1] ?? null;
  const actions = [...html.matchAll(/\b(?:form)?action="(\/api\/approval\/[a-z-]+)"/g)].map((m) => m[1]);
  return { token, actions };
}

/** Posts the page's form to action as a browser would (urlencoded). */
export function postForm(action, fields) {
  return callApi('POST', action, {
    raw: true,
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields).toString(),
  });
}
