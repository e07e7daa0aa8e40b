// static/openapi.yaml: valid OpenAPI 3.1 (@apidevtools/swagger-parser), served at
// /openapi.yaml, in step with the code (every route of fcgi/routes.c, every error
// code of core/err.c with its status), and true: a tour of every operation checks
// live responses — successes and errors, approval pages, cron, MCP, and the
// webhooks the stack actually sends — against the documented schemas (Ajv, JSON
// Schema 2020-12). The other agent API test files check their responses the same
// way (lib/openapi.mjs).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { randomBytes, randomUUID } from 'node:crypto';
import SwaggerParser from '@apidevtools/swagger-parser';
import { env, psql, sourceDir, waitFor } from './lib/stack.mjs';
import { assertMatchesSpec, loadSpec, schemaErrors, specFile } from './lib/openapi.mjs';
import { call, createWorkspace, sqlLiteral, uniq } from './lib/workspace.mjs';
import { makeWorkspace } from './lib/approvals.mjs';
import { startReceiver } from './lib/hooks.mjs';
import { approvalToken, otpCode, waitForMail } from './lib/mail.mjs';

/** Which (METHOD template status) the tour saw, to check coverage at the end. */
const seen = new Set();
const dashboardSeen = new Set();

async function live(method, urlPath, opts = {}) {
  const res = await call(method, urlPath, opts);
  const where = await assertMatchesSpec(method, urlPath, res);
  seen.add(where.replace(/ → (\d)\d\d$/, (m, d) => ` → ${d}xx`));
  return res;
}

describe('the document', () => {
  test('is valid OpenAPI 3.1 (swagger-parser validate)', async () => {
    const api = await SwaggerParser.validate(specFile);
    assert.match(api.openapi, /^3\.1\.\d+$/);
    assert.ok(Object.keys(api.paths).length >= 15);
  });

  test('is served at /openapi.yaml byte for byte', async () => {
    const r = await live('GET', '/openapi.yaml');
    assert.equal(r.status, 200);
    assert.match(r.headers['content-type'], /yaml/);
    assert.ok(r.body.equals(readFileSync(specFile)), 'the served document is static/openapi.yaml');
  });

  test('documents every route of fcgi/routes.c with its method', async () => {
    const { spec } = await loadSpec();
    const src = readFileSync(path.join(sourceDir, 'fcgi/routes.c'), 'utf8');
    const routes = [...src.matchAll(/\{\s*"([A-Z]+)",\s*"([^"]+)"/g)].map((m) => [m[1], m[2]]);
    assert.ok(routes.length >= 14, `routes parsed from routes.c: ${routes.length}`);
    const missing = routes.filter(([method, p]) => !spec.paths[p]?.[method.toLowerCase()]).map((r) => r.join(' '));
    assert.deepEqual(missing, [],
      'routes of fcgi/routes.c missing from static/openapi.yaml (a dashboard page or form: copy an entry of the "Browser dashboard" section)');
  });

  test('documents every error code of core/err.c with its HTTP status', async () => {
    const { spec } = await loadSpec();
    const src = readFileSync(path.join(sourceDir, 'core/err.c'), 'utf8');
    const table = [...src.matchAll(/\{\s*"([a-z_]+)",\s*(\d{3}),\s*"[^"]*"\s*\}/g)]
      .map((m) => [m[1], Number(m[2])])
      .filter(([code]) => code !== 'ok');
    assert.ok(table.length >= 22, 'codes parsed from err.c');
    const codes = spec.components.schemas.ErrorCode;
    for (const [code, status] of table) {
      assert.ok(codes.enum.includes(code), `ErrorCode lists ${code}`);
      assert.equal(codes['x-status'][code], status, `${code} is ${status}`);
      assert.ok(spec.info.description.includes(`| \`${code}\` | ${status} |`), `the error table in info.description has ${code}`);
    }
    for (const code of codes.enum) assert.ok(table.some(([c]) => c === code), `${code} exists in err.c`);
    // The brief's list (DESIGN.md "API contract"), which must never lose a code.
    for (const code of ['unauthorized', 'forbidden', 'not_found', 'method_not_allowed', 'invalid_request', 'validation_failed',
      'unsafe_webhook_url', 'idempotency_key_invalid', 'idempotency_key_reused', 'idempotency_in_progress', 'receipt_conflict',
      'evaluation_not_approved', 'otp_required', 'otp_invalid', 'otp_locked', 'separation_of_duties', 'approval_closed',
      'conflict', 'payload_too_large', 'rate_limited', 'server_error', 'service_unavailable']) {
      assert.ok(codes.enum.includes(code), code);
    }
  });

  test('each error code is reachable from some documented response of its status', async () => {
    const { spec } = await loadSpec();
    const byStatus = new Map();
    const walk = (status, s) => {
      if (!s || typeof s !== 'object') return;
      if (s.$ref) return walk(status, s.$ref.slice(2).split('/').reduce((o, k) => o[k], spec));
      const code = s.properties?.error?.properties?.code;
      for (const c of code?.enum || (code?.const ? [code.const] : [])) {
        if (!byStatus.has(c)) byStatus.set(c, new Set());
        byStatus.get(c).add(Number(status));
      }
      for (const sub of s.allOf || []) walk(status, sub);
      for (const sub of s.oneOf || []) walk(status, sub);
    };
    for (const item of Object.values(spec.paths)) {
      for (const op of Object.values(item)) {
        if (Array.isArray(op)) continue; // path-level parameters
        for (const [status, r0] of Object.entries(op.responses || {})) {
          const r = r0.$ref ? r0.$ref.slice(2).split('/').reduce((o, k) => o[k], spec) : r0;
          walk(status, r.content?.['application/json']?.schema);
        }
      }
    }
    walk(405, spec.components.responses.MethodNotAllowed.content['application/json'].schema);
    for (const [code, status] of Object.entries(spec.components.schemas.ErrorCode['x-status'])) {
      assert.ok(byStatus.get(code)?.has(status), `some operation documents ${code} as ${status}`);
    }
  });

  test('every /api operation documents its server errors; secured ones 401', async () => {
    const { spec } = await loadSpec();
    for (const [p, item] of Object.entries(spec.paths)) {
      if (!p.startsWith('/api/')) continue;
      for (const [m, op] of Object.entries(item)) {
        if (m === 'parameters') continue;
        if (Object.keys(op.responses).every((s) => s === '405')) continue;
        assert.ok(op.responses['500'] && op.responses['503'], `${m} ${p} documents 500 and 503`);
        const secured = (op.security ?? spec.security).length > 0;
        if (secured) assert.ok(op.responses['401'], `${m} ${p} documents 401`);
        assert.ok(op.operationId, `${m} ${p} has an operationId`);
      }
    }
  });

  test('webhooks: approval_required and terminal_outcome with their signature headers', async () => {
    const { spec } = await loadSpec();
    for (const name of ['approval_required', 'terminal_outcome']) {
      const op = spec.webhooks?.[name]?.post;
      assert.ok(op, `webhooks.${name}`);
      const headers = op.parameters.filter((x) => x.in === 'header').map((x) => x.name.toLowerCase());
      for (const h of ['x-agentnexus-signature', 'webhook-id', 'webhook-timestamp', 'webhook-signature']) {
        assert.ok(headers.includes(h), `${name} documents ${h}`);
      }
      assert.equal(op.requestBody.content['application/json'].schema.$ref, '#/components/schemas/WebhookEvent');
    }
  });
});

describe('live responses match the documented schemas', () => {
  let ws;
  before(async () => {
    ws = await createWorkspace('openapi', {
      policy: {
        default: 'allow',
        rules: [
          { name: 'deny-drops', when: { action: 'db.drop*' }, effect: 'deny' },
          { name: 'pay', when: { action: 'payments.send' }, effect: 'require_approval', approval: { stages: [{ role: 'manager' }] } },
        ],
      },
    });
  });

  test('health', async () => {
    assert.equal((await live('GET', '/api/health')).status, 200);
    assert.equal((await live('GET', '/api/health?deep=1')).status, 200);
  });

  test('agent and policy routes: successes and errors', async () => {
    const k = ws.agent.key;
    const a = ws.admin.key;
    const allow = await live('POST', '/api/v1/evaluate', { key: k, body: { action: 'email.send', context: { a: [1, { b: null }] } } });
    assert.equal(allow.status, 200);
    const deny = await live('POST', '/api/v1/evaluate', { key: k, body: { action: 'db.drop_table' } });
    const pend = await live('POST', '/api/v1/evaluate', { key: k, body: { action: 'payments.send', amount: 1, currency: 'EUR' }, idem: uniq('oa') });
    assert.equal(pend.json.status, 'pending');
    for (const e of [allow, deny, pend]) assert.equal((await live('GET', `/api/v1/evaluations/${e.json.evaluation_id}`, { key: k })).status, 200);
    const rb = { evaluation_id: allow.json.evaluation_id, outcome: 'succeeded', details: 'ok', action_hash: allow.json.action_hash };
    assert.equal((await live('POST', '/api/v1/receipt', { key: k, body: rb })).status, 201);
    assert.equal((await live('POST', '/api/v1/receipt', { key: k, body: rb })).status, 200);
    assert.equal((await live('POST', '/api/v1/receipt', { key: k, body: { ...rb, outcome: 'failed' } })).json.error.code, 'receipt_conflict');
    assert.equal((await live('POST', '/api/v1/receipt', { key: k, body: { ...rb, evaluation_id: deny.json.evaluation_id } })).json.error.code, 'evaluation_not_approved');
    const withReceipt = await live('GET', `/api/v1/evaluations/${allow.json.evaluation_id}`, { key: k });
    assert.equal(withReceipt.json.receipt.outcome, 'succeeded');
    assert.equal((await live('GET', `/api/v1/evaluations/${randomUUID()}`, { key: k })).status, 404);
    assert.equal((await live('POST', '/api/v1/receipt', { key: k, body: { evaluation_id: randomUUID(), outcome: 'skipped' } })).status, 404);
    assert.equal((await live('GET', '/api/v1/policy', { key: a })).status, 200);
    const put = await live('PUT', '/api/v1/policy', { key: a, body: { default: 'allow', description: 'x', rules: [{ name: 'n', when: { any: [{ amount: { gte: 1, lt: 2 } }, { not: { 'context.k.j': { exists: true } } }] }, effect: 'allow', reason: 'r' }] } });
    assert.equal(put.status, 201);
    assert.equal((await live('POST', '/api/v1/policy/simulate', { key: a, body: { policy: { default: 'deny' }, limit: 10 } })).status, 200);
    // Errors of each kind.
    const idem = uniq('oa');
    await live('POST', '/api/v1/evaluate', { key: k, body: { action: 'a' }, idem });
    assert.equal((await live('POST', '/api/v1/evaluate', { key: k, body: { action: 'b' }, idem })).json.error.code, 'idempotency_key_reused');
    assert.equal((await live('POST', '/api/v1/evaluate', { key: k, body: { action: 'a' }, idem: 'x'.repeat(200) })).json.error.code, 'idempotency_key_invalid');
    assert.equal((await live('POST', '/api/v1/evaluate', { key: k, body: '{', raw: true, headers: { 'Content-Type': 'application/json' } })).json.error.code, 'invalid_request');
    assert.equal((await live('POST', '/api/v1/evaluate', { key: k, body: { action: 'a', amount: -1 } })).json.error.code, 'validation_failed');
    assert.equal((await live('POST', '/api/v1/evaluate', { key: k, body: { action: 'a', webhook_url: 'http://169.254.169.254/' } })).json.error.code, 'unsafe_webhook_url');
    assert.equal((await live('POST', '/api/v1/evaluate', { key: k, body: `{"action":"a","summary":"${'x'.repeat(1100000)}"}`, raw: true, headers: { 'Content-Type': 'application/json' } })).status, 413);
    assert.equal((await live('POST', '/api/v1/evaluate', { body: { action: 'a' } })).status, 401);
    assert.equal((await live('GET', '/api/v1/policy', { key: k })).status, 403);
    assert.equal((await live('PUT', '/api/v1/policy', { key: a, body: { default: 'x' } })).status, 422);
    assert.equal((await live('POST', '/api/v1/policy/simulate', { key: a, body: { policy: {} } })).status, 422);
    assert.equal((await live('PATCH', '/api/v1/policy', { key: a, body: {} })).status, 405);
    const bare = await createWorkspace('openapi-bare');
    assert.equal((await live('GET', '/api/v1/policy', { key: bare.admin.key })).status, 404);
  });

  test('MCP: initialize, tools/list, tools/call, notifications, errors', async () => {
    const k = ws.agent.key;
    const rpc = (body, opts = {}) => live('POST', '/api/mcp', { key: k, body, ...opts });
    const init = await rpc({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'e2e', version: '1' } } });
    assert.equal(init.status, 200, init.text);
    assert.equal(init.json.result.serverInfo.name, 'agentnexus');
    assert.equal((await rpc({ jsonrpc: '2.0', method: 'notifications/initialized' })).status, 202);
    const list = await rpc({ jsonrpc: '2.0', id: 2, method: 'tools/list' });
    assert.deepEqual(list.json.result.tools.map((t) => t.name).sort(), ['evaluate_action', 'get_evaluation', 'submit_receipt']);
    const ev = await rpc({ jsonrpc: '2.0', id: 3, method: 'tools/call', params: { name: 'evaluate_action', arguments: { action: 'email.send' } } });
    assert.equal(ev.json.result.isError, false, ev.text);
    // The tool result carries the REST evaluate response, which must match its schema.
    assert.equal(await schemaErrors('Evaluation', ev.json.result.structuredContent), null);
    const got = await rpc({ jsonrpc: '2.0', id: 4, method: 'tools/call', params: { name: 'get_evaluation', arguments: { evaluation_id: ev.json.result.structuredContent.evaluation_id } } });
    assert.equal(await schemaErrors('EvaluationDetail', got.json.result.structuredContent), null);
    const rc = await rpc({ jsonrpc: '2.0', id: 5, method: 'tools/call', params: { name: 'submit_receipt', arguments: { evaluation_id: ev.json.result.structuredContent.evaluation_id, outcome: 'succeeded' } } });
    assert.equal(await schemaErrors('Receipt', rc.json.result.structuredContent), null);
    const bad = await rpc({ jsonrpc: '2.0', id: 6, method: 'tools/call', params: { name: 'evaluate_action', arguments: { action: 'A' } } });
    assert.equal(bad.json.result.isError, true);
    assert.equal(await schemaErrors('Error', { ...bad.json.result.structuredContent, request_id: 'x' }), null, 'a refused tool call carries the REST error object');
    assert.equal((await rpc({ jsonrpc: '2.0', id: 7, method: 'nope' })).json.error.code, -32601);
    assert.equal((await rpc('{"jsonrpc":', { raw: true, headers: { 'Content-Type': 'application/json' } })).status, 400);
    assert.equal((await live('POST', '/api/mcp', { body: { jsonrpc: '2.0', id: 1, method: 'ping' } })).status, 401);
    assert.equal((await live('POST', '/api/mcp', { key: k, headers: { Origin: 'https://evil.example' }, body: { jsonrpc: '2.0', id: 1, method: 'ping' } })).status, 403);
    assert.equal((await live('GET', '/api/mcp', { key: k })).status, 405);
  });

  test('cron routes', async () => {
    const auth = { Authorization: `Bearer ${env.CRON_SECRET}` };
    const t = await live('POST', '/api/cron/approval-timeouts', { headers: auth });
    assert.equal(t.status, 200, t.text);
    assert.equal((await live('POST', '/api/cron/approval-timeouts', { headers: { Authorization: 'Bearer wrong' } })).status, 401);
    assert.equal((await live('POST', '/api/cron/replay-webhook', { headers: auth, body: {} })).status, 422);
    assert.equal((await live('POST', '/api/cron/replay-webhook', { headers: auth, body: { delivery_ids: [randomUUID()] } })).status, 200);
    assert.equal((await live('POST', '/api/cron/replay-webhook', { body: { delivery_ids: [randomUUID()] } })).status, 401);
    assert.equal((await live('POST', '/api/cron/replay-webhook', { headers: auth, body: '{', raw: true, headers: { ...auth, 'Content-Type': 'application/json' } })).status, 400);
  });

  describe('approval pages, approval API and webhooks', () => {
    let w;
    let hooks;
    before(async () => {
      w = await makeWorkspace('openapi', { manager: ['manager'], finance1: ['finance'] });
      await w.publish({
        default: 'allow',
        rules: [
          {
            name: 'two-stage',
            when: { action: 'payments.send' },
            effect: 'require_approval',
            approval: { stages: [{ role: 'manager' }, { role: 'finance', otp: true }], timeout_seconds: 3600 },
          },
        ],
      });
      hooks = await startReceiver();
    });
    after(() => hooks?.close());

    test('a two-stage flow with a one-time code, and its webhooks', async () => {
      const summary = w.unique('OpenAPI tour');
      const ev = await live('POST', '/api/v1/evaluate', { key: w.agent.key, body: { action: 'payments.send', amount: 10, currency: 'USD', summary, webhook_url: hooks.url } });
      assert.equal(ev.status, 200, ev.text);
      const id = ev.json.evaluation_id;
      const [m1] = await waitForMail({ to: w.users.manager.email, text: summary });
      const t1 = approvalToken(m1);
      const page = await live('GET', `/approve/${t1}`);
      assert.equal(page.status, 200);
      assert.match(page.headers['content-type'], /^text\/html/);
      assert.equal((await live('GET', `/approve/${randomBytes(16).toString('hex')}`)).status, 404);
      assert.equal((await live('POST', '/api/approval/request-otp', { body: { token: t1 } })).json.error.code, 'invalid_request', 'stage 1 has no one-time code');
      const ok1 = await live('POST', '/api/approval/approve', { body: { token: t1, comment: 'fine' } });
      assert.equal(ok1.status, 200, ok1.text);
      assert.deepEqual(ok1.json, { decision: 'approved', evaluation_status: 'pending' });
      assert.equal((await live('POST', '/api/approval/approve', { body: { token: t1 } })).json.error.code, 'approval_closed');
      const [m2] = await waitForMail({ to: w.users.finance1.email, text: summary });
      const t2 = approvalToken(m2);
      assert.equal((await live('POST', '/api/approval/approve', { body: { token: t2 } })).json.error.code, 'otp_required');
      const sent = await live('POST', '/api/approval/request-otp', { body: { token: t2 } });
      assert.equal(sent.status, 202, sent.text);
      assert.deepEqual(sent.json, { sent: true });
      const [codeMail] = await waitForMail({ to: w.users.finance1.email, text: /code is:/ });
      const code = otpCode(codeMail);
      const wrong = code === '000000' ? '111111' : '000000';
      assert.equal((await live('POST', '/api/approval/verify-otp', { body: { token: t2, code: wrong } })).json.error.code, 'otp_invalid');
      const ver = await live('POST', '/api/approval/verify-otp', { body: { token: t2, code } });
      assert.equal(ver.status, 200, ver.text);
      assert.deepEqual(ver.json, { verified: true });
      const rej = await live('POST', '/api/approval/reject', { body: { token: t2, comment: 'no' } });
      assert.deepEqual(rej.json, { decision: 'rejected', evaluation_status: 'rejected' });
      const g = await live('GET', `/api/v1/evaluations/${id}`, { key: w.agent.key });
      assert.equal(g.json.status, 'rejected');
      assert.ok(g.json.approval.stages[0].approvers.length >= 1);
      // Approval API errors.
      assert.equal((await live('POST', '/api/approval/approve', { body: { token: randomBytes(16).toString('hex') } })).status, 404);
      assert.equal((await live('POST', '/api/approval/approve', { body: { token: 'XYZ' } })).status, 422);
      assert.equal((await live('POST', '/api/approval/verify-otp', { body: { token: t2, code: 'abc' } })).status, 422);
      assert.equal((await live('POST', '/api/approval/reject', { body: '[', raw: true, headers: { 'Content-Type': 'application/json' } })).status, 400);
      // The webhooks the stack sent for it: both event types, documented headers and body.
      await hooks.waitFor((e) => e.type === 'terminal_outcome' && e.data?.evaluation?.evaluation_id === id, 'terminal_outcome');
      const mine = hooks.about(id);
      assert.ok(mine.some((e) => e.type === 'approval_required'), 'approval_required arrived');
      const { spec } = await loadSpec();
      const params = spec.webhooks.approval_required.post.parameters;
      for (const e of mine) {
        assert.equal(await schemaErrors('WebhookEvent', e.json), null, `${e.type} body matches WebhookEvent`);
        assert.equal(e.json.id, e.headers['webhook-id']);
        for (const p of params) {
          const v = e.headers[p.name.toLowerCase()];
          if (p.required) assert.ok(v !== undefined, `${e.type} has ${p.name}`);
          if (v !== undefined && p.schema.pattern) assert.match(v, new RegExp(p.schema.pattern), `${p.name}: ${v}`);
        }
      }
      // A replay through the cron route names the delivery.
      const did = psql(`SELECT id FROM webhook_deliveries WHERE evaluation_id = ${sqlLiteral(id)} ORDER BY created_at LIMIT 1`);
      const rp = await live('POST', '/api/cron/replay-webhook', { headers: { Authorization: `Bearer ${env.CRON_SECRET}` }, body: { delivery_ids: [did] } });
      assert.deepEqual(rp.json, { replayed: 1, ids: [did] });
    });
  });

  test('dashboard pages and forms answer as documented (HTML, redirects, CSRF refusals)', async () => {
    const { spec } = await loadSpec();
    for (const [p, item] of Object.entries(spec.paths)) {
      for (const [m, op] of Object.entries(item)) {
        if (m === 'parameters' || !op.tags?.includes('dashboard')) continue;
        const url = p.replace(/\{[^}]+\}/g, () => randomBytes(16).toString('hex'));
        // No session and no CSRF token: a page renders or redirects to /login, a
        // form post is refused or redirected. Nothing changes.
        const r = m === 'get'
          ? await live('GET', url)
          : await live('POST', url, { body: 'x=1', raw: true, headers: { 'Content-Type': 'application/x-www-form-urlencoded' } });
        // 429: the per-IP limit on account forms, shared with other suites.
        assert.ok([200, 303, 403, 404, 429].includes(r.status), `${m} ${p}: ${r.status}`);
        dashboardSeen.add(`${m} ${p}`);
      }
    }
  });

  test('every documented operation was seen answering 2xx, and the main error statuses were checked', async () => {
    const { spec } = await loadSpec();
    const missing = [];
    for (const [p, item] of Object.entries(spec.paths)) {
      for (const [m, op] of Object.entries(item)) {
        if (m === 'parameters') continue;
        if (op.tags?.includes('dashboard')) {
          if (!dashboardSeen.has(`${m} ${p}`)) missing.push(`${m.toUpperCase()} ${p}`);
          continue;
        }
        const statuses = Object.keys(op.responses);
        const want = statuses.some((s) => s.startsWith('2')) ? '2xx' : statuses[0].replace(/\d\d$/, 'xx');
        if (!seen.has(`${m.toUpperCase()} ${p} → ${want}`)) missing.push(`${m.toUpperCase()} ${p} → ${want}`);
      }
    }
    assert.deepEqual(missing, [], `seen: ${[...seen].sort().join(', ')}`);
    for (const s of ['POST /api/v1/evaluate → 4xx', 'GET /api/v1/evaluations/{id} → 4xx', 'POST /api/v1/receipt → 4xx', 'PUT /api/v1/policy → 4xx', 'POST /api/approval/approve → 4xx', 'POST /api/mcp → 4xx']) {
      assert.ok(seen.has(s), `${s} was checked`);
    }
  });
});
