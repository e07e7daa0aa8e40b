// tests/e2e/lib/workspace.mjs — isolated workspaces and agent-API helpers for the
// end-to-end tests.
//
// Other test files publish policies in the demo workspace, so a test that depends on
// a policy, on counts of evaluations or on the audit chain makes its own workspace:
//
//   import { createWorkspace, call, jcs, actionHash } from './lib/workspace.mjs';
//   const ws = await createWorkspace('agent-api', { policy: { default: 'allow', rules: [] } });
//   const r = await call('POST', '/api/v1/evaluate', { key: ws.agent.key, body: { action: 'x' } });
//
// A workspace is a row inserted with psql(); its keys are minted with the real
// `agentnexus-cron create-key` (so only their SHA-256 is stored, as in production).
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { api, env, headerValues, psql, sh, waitFor } from './stack.mjs';

/** A random suffix for names and idempotency keys. */
export function uniq(prefix = 'e2e') {
  return `${prefix}-${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
}

/** Quotes a string as an SQL literal (for values the tests make themselves). */
export function sqlLiteral(s) {
  return `'${String(s).replace(/'/g, "''")}'`;
}

function shellQuote(s) {
  return `'${String(s).replace(/'/g, `'\\''`)}'`;
}

/**
 * Mints an API key with `agentnexus-cron create-key`. Returns {id, key, scope}.
 */
export function mintKey(workspaceId, scope = 'agent', label = 'e2e') {
  const out = sh(
    `"$ANX_CRON_BIN" create-key --workspace ${shellQuote(workspaceId)} --label ${shellQuote(label)} --scope ${shellQuote(scope)} 2>/dev/null`
  );
  const kv = Object.fromEntries(
    out
      .trim()
      .split('\n')
      .map((l) => l.split('='))
      .map(([k, ...v]) => [k, v.join('=')])
  );
  assert.match(kv.key || '', /^anx_[A-Za-z0-9]{32,128}$/, `create-key printed a key: ${out}`);
  assert.equal(kv.scope, scope);
  return { id: kv.id, key: kv.key, scope };
}

/** Revokes a key with `agentnexus-cron revoke-key --id`. */
export function revokeKey(id) {
  return sh(`"$ANX_CRON_BIN" revoke-key --id ${shellQuote(id)}`);
}

/**
 * Creates a workspace named "<label> <random>" with an admin and an agent key and,
 * if opts.policy is given, publishes it as version 1 with the admin key.
 * Returns {id, name, admin: {id, key}, agent: {id, key}, policy}.
 */
export async function createWorkspace(label, opts = {}) {
  const name = uniq(`e2e ${label}`).slice(0, 100);
  const id = psql(`INSERT INTO workspaces (name) VALUES (${sqlLiteral(name)}) RETURNING id`).split('\n')[0];
  assert.match(id, /^[0-9a-f-]{36}$/, 'workspace id');
  const ws = {
    id,
    name,
    admin: mintKey(id, 'admin', `${label} admin`.slice(0, 100)),
    agent: mintKey(id, 'agent', `${label} agent`.slice(0, 100)),
    policy: null,
  };
  if (opts.policy) {
    const r = await call('PUT', '/api/v1/policy', { key: ws.admin.key, body: opts.policy });
    assert.equal(r.status, 201, `publish the workspace policy: ${r.text}`);
    ws.policy = r.json;
  }
  return ws;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * One request to the stack (see api() in stack.mjs) with the agent API's habits:
 * opts.key becomes "Authorization: Bearer <key>", opts.idem the Idempotency-Key.
 *
 * Two things are retried so that a busy shared stack does not make a test flaky:
 * nginx's own 429 rate_limited (dev stacks have low limits; the test stack's are
 * generous) and a refused connection (the stack being restarted). Neither reaches
 * the application, so a retry cannot double a side effect.
 */
export async function call(method, path, opts = {}) {
  const headers = { ...(opts.headers || {}) };
  if (opts.key !== undefined) headers.Authorization = `Bearer ${opts.key}`;
  if (opts.idem !== undefined) headers['Idempotency-Key'] = opts.idem;
  const deadline = Date.now() + 60000;
  for (let attempt = 0; ; attempt++) {
    let res;
    try {
      res = await api(method, path, { ...opts, headers });
    } catch (e) {
      if (e.code === 'ECONNREFUSED' && Date.now() < deadline) {
        await sleep(500);
        continue;
      }
      throw e;
    }
    if (res.status === 429 && res.json?.error?.code === 'rate_limited' && !opts.noRetry && Date.now() < deadline) {
      call.rateLimited++;
      await sleep(250 + 250 * Math.min(attempt, 8));
      continue;
    }
    return res;
  }
}
call.rateLimited = 0;

/** POST /api/v1/evaluate with key (and an optional Idempotency-Key). */
export function evaluate(key, body, opts = {}) {
  return call('POST', '/api/v1/evaluate', { key, body, ...opts });
}

/**
 * Asserts the DESIGN.md error contract: status, code, a details array whose paths
 * include every one of `paths` (when given), request_id equal to the x-request-id
 * header. Returns the error object.
 */
export function assertApiError(res, status, code, paths) {
  assert.equal(res.status, status, `expected ${status} ${code}, got ${res.status}: ${res.text}`);
  assert.match(res.headers['content-type'] || '', /^application\/json/, 'error content type');
  assert.ok(res.json && typeof res.json.error === 'object', `JSON error body expected: ${res.text}`);
  const err = res.json.error;
  assert.equal(err.code, code, res.text);
  assert.equal(typeof err.message, 'string');
  assert.ok(err.message.length > 0, 'error.message is not empty');
  assert.ok(Array.isArray(err.details), 'error.details is an array');
  for (const d of err.details) {
    assert.equal(typeof d.path, 'string', `details[].path is a string: ${res.text}`);
    assert.equal(typeof d.problem, 'string', `details[].problem is a string: ${res.text}`);
  }
  if (paths) {
    const got = err.details.map((d) => d.path);
    for (const p of paths) assert.ok(got.includes(p), `details[].path has ${JSON.stringify(p)}: ${res.text}`);
  }
  const ids = headerValues(res, 'x-request-id');
  assert.equal(ids.length, 1, 'one x-request-id');
  assert.equal(res.json.request_id, ids[0], 'request_id equals the x-request-id header');
  return err;
}

// ---------------------------------------------------------------------------
// RFC 8785 JSON Canonicalization Scheme, written independently of the server's
// core/jcs.c: ECMAScript's JSON.stringify already serialises strings and numbers
// exactly as JCS requires (RFC 8785 §3.2.2.2, §3.2.2.3), and Array.prototype.sort
// compares strings by UTF-16 code units, which is the member order of §3.2.3.

/** The RFC 8785 canonical form of a JSON value (undefined members are dropped). */
export function jcs(v) {
  if (v === null || typeof v === 'boolean' || typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new Error('JCS: non-finite number');
    return JSON.stringify(v);
  }
  if (Array.isArray(v)) return `[${v.map(jcs).join(',')}]`;
  if (typeof v === 'object') {
    const keys = Object.keys(v)
      .filter((k) => v[k] !== undefined)
      .sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${jcs(v[k])}`).join(',')}}`;
  }
  throw new Error(`JCS: cannot serialise ${typeof v}`);
}

export function sha256hex(s) {
  return createHash('sha256').update(s, 'utf8').digest('hex');
}

/**
 * action_hash as documented: SHA-256 (hex) of the JCS of {action, agent_id, resource,
 * amount, currency, context}, an absent (or null) field being null and an absent
 * context {}.
 */
export function actionHash(input) {
  const pick = (k) => (input[k] === undefined || input[k] === null ? null : input[k]);
  return sha256hex(
    jcs({
      action: pick('action'),
      agent_id: pick('agent_id'),
      resource: pick('resource'),
      amount: pick('amount'),
      currency: pick('currency'),
      context: input.context === undefined || input.context === null ? {} : input.context,
    })
  );
}

/**
 * Every audit event of a workspace, oldest first: [{id, event_type, subject_id,
 * actor_type, actor_id, seq, hash, data}]; seq and hash come from the event's
 * seal (audit_seals), null while it is not sealed yet.
 */
export function auditEvents(workspaceId) {
  const out = psql(
    `SELECT coalesce(json_agg(json_build_object('id', e.id, 'event_type', e.event_type, 'subject_id', e.subject_id,` +
      ` 'actor_type', e.actor_type, 'actor_id', e.actor_id, 'seq', s.seq, 'hash', encode(s.hash, 'hex'),` +
      ` 'data', e.data) ORDER BY e.id), '[]')` +
      ` FROM audit_events e LEFT JOIN audit_seals s ON s.event_id = e.id WHERE e.workspace_id = ${sqlLiteral(workspaceId)}`
  );
  return JSON.parse(out);
}

/** How many audit events of a workspace have no seal yet. */
export function unsealedCount(workspaceId) {
  return Number(
    psql(
      `SELECT count(*) FROM audit_events e WHERE e.workspace_id = ${sqlLiteral(workspaceId)}` +
        ` AND NOT EXISTS (SELECT 1 FROM audit_seals s WHERE s.event_id = e.id)`
    )
  );
}

/** Waits until the sealer (agentnexus-cron deliver --watch) has sealed every event of a workspace. */
export async function waitSealed(workspaceId, timeout = 20000) {
  await waitFor(() => unsealedCount(workspaceId) === 0, {
    timeout,
    interval: 200,
    what: 'the sealer to chain every audit event of the workspace',
  });
}

/** Runs `agentnexus-cron verify-audit [--workspace ID]`: {status, stdout, stderr}. */
export function verifyAudit(workspaceId) {
  const arg = workspaceId ? ` --workspace ${shellQuote(workspaceId)}` : '';
  return sh(`"$ANX_CRON_BIN" verify-audit${arg}`, { check: false });
}

export { env };
