// Bad input to the agent API through nginx, as a table: missing, extra and
// wrong-typed members, huge and deeply nested context, invalid UTF-8, malformed JSON,
// wrong content types, bad Idempotency-Keys, bad receipts, bad policies. Every case
// must be the documented 4xx with the right error code and details[].path — never a
// 500 — and nothing may be stored. SQL and HTML metacharacters are not errors: they
// are stored and returned verbatim.
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { psql, readLog } from './lib/stack.mjs';
import { checkedCall as req } from './lib/openapi.mjs';
import { assertApiError, createWorkspace, sqlLiteral, uniq } from './lib/workspace.mjs';

const JSON_CT = { 'Content-Type': 'application/json' };

/** n levels of {"a": …} around a leaf, as JSON text. */
const nested = (n, leaf = '1') => '{"a":'.repeat(n) + leaf + '}'.repeat(n);

const E = '/api/v1/evaluate';
const R = '/api/v1/receipt';
const P = '/api/v1/policy';
const S = '/api/v1/policy/simulate';

// [name, {path, key ('agent'|'admin'), body (object → JSON; string/Buffer → raw), headers,
//  idem}, status, code, details paths that must be present ([] → details may be empty)]
const CASES = [
  // evaluate: action
  ['action missing', { body: {} }, 422, 'validation_failed', ['action']],
  ['action empty', { body: { action: '' } }, 422, 'validation_failed', ['action']],
  ['action 129 characters', { body: { action: 'a'.repeat(129) } }, 422, 'validation_failed', ['action']],
  ['action with capitals', { body: { action: 'Payments.Send' } }, 422, 'validation_failed', ['action']],
  ['action with a space', { body: { action: 'pay ments' } }, 422, 'validation_failed', ['action']],
  ['action with SQL quote', { body: { action: "x'; DROP TABLE evaluations;--" } }, 422, 'validation_failed', ['action']],
  ['action a number', { body: { action: 42 } }, 422, 'validation_failed', ['action']],
  ['action null', { body: { action: null } }, 422, 'validation_failed', ['action']],
  ['action an array', { body: { action: ['a'] } }, 422, 'validation_failed', ['action']],
  // unknown members
  ['unknown member', { body: { action: 'a', extra: 1 } }, 422, 'validation_failed', ['extra']],
  ['member names are case-sensitive', { body: { action: 'a', Action: 'b' } }, 422, 'validation_failed', ['Action']],
  ['every problem is listed', { body: { action: 'A', foo: 1, amount: '1', context: [] } }, 422, 'validation_failed', ['action', 'foo', 'amount', 'context']],
  // agent_id / resource
  ['agent_id a number', { body: { action: 'a', agent_id: 7 } }, 422, 'validation_failed', ['agent_id']],
  ['agent_id empty', { body: { action: 'a', agent_id: '' } }, 422, 'validation_failed', ['agent_id']],
  ['agent_id 129 characters', { body: { action: 'a', agent_id: 'x'.repeat(129) } }, 422, 'validation_failed', ['agent_id']],
  ['agent_id with a newline', { body: { action: 'a', agent_id: 'a\nb' } }, 422, 'validation_failed', ['agent_id']],
  ['resource an object', { body: { action: 'a', resource: {} } }, 422, 'validation_failed', ['resource']],
  ['resource 513 characters', { body: { action: 'a', resource: 'r'.repeat(513) } }, 422, 'validation_failed', ['resource']],
  ['resource with a control character', { body: { action: 'a', resource: '\u0007bell' } }, 422, 'validation_failed', ['resource']],
  // amount / currency / summary
  ['amount a string', { body: { action: 'a', amount: '10' } }, 422, 'validation_failed', ['amount']],
  ['amount negative', { body: { action: 'a', amount: -0.01 } }, 422, 'validation_failed', ['amount']],
  ['amount above 10^15', { body: { action: 'a', amount: 1e16 } }, 422, 'validation_failed', ['amount']],
  ['amount a boolean', { body: { action: 'a', amount: true } }, 422, 'validation_failed', ['amount']],
  ['amount out of double range', { body: '{"action":"a","amount":1e400}' }, 400, 'invalid_request', ['amount']],
  ['currency lower case', { body: { action: 'a', currency: 'usd' } }, 422, 'validation_failed', ['currency']],
  ['currency two letters', { body: { action: 'a', currency: 'US' } }, 422, 'validation_failed', ['currency']],
  ['currency four letters', { body: { action: 'a', currency: 'USDX' } }, 422, 'validation_failed', ['currency']],
  ['currency a number', { body: { action: 'a', currency: 840 } }, 422, 'validation_failed', ['currency']],
  ['summary 2001 characters', { body: { action: 'a', summary: 's'.repeat(2001) } }, 422, 'validation_failed', ['summary']],
  ['summary an object', { body: { action: 'a', summary: { a: 1 } } }, 422, 'validation_failed', ['summary']],
  // context
  ['context an array', { body: { action: 'a', context: [] } }, 422, 'validation_failed', ['context']],
  ['context a string', { body: { action: 'a', context: 'x' } }, 422, 'validation_failed', ['context']],
  ['context 17 levels deep', { body: `{"action":"a","context":${nested(17)}}` }, 422, 'validation_failed', ['context']],
  ['context over 32 KiB', { body: { action: 'a', context: { s: 'x'.repeat(40000) } } }, 422, 'validation_failed', ['context']],
  ['context with many members over 32 KiB', { body: { action: 'a', context: Object.fromEntries(Array.from({ length: 3000 }, (_, i) => [`k${i}`, i])) } }, 422, 'validation_failed', ['context']],
  ['body nested 40 levels (parser limit)', { body: `{"action":"a","context":${nested(40)}}` }, 400, 'invalid_request', ['']],
  ['context string over 64 KiB', { body: { action: 'a', context: { s: 'x'.repeat(70000) } } }, 400, 'invalid_request', ['context.s']],
  // webhook_url
  ['webhook_url ftp', { body: { action: 'a', webhook_url: 'ftp://example.com/x' } }, 422, 'validation_failed', ['webhook_url']],
  ['webhook_url with a space', { body: { action: 'a', webhook_url: 'https://exa mple.com/' } }, 422, 'validation_failed', ['webhook_url']],
  ['webhook_url a number', { body: { action: 'a', webhook_url: 12 } }, 422, 'validation_failed', ['webhook_url']],
  ['webhook_url to cloud metadata', { body: { action: 'a', webhook_url: 'http://169.254.169.254/latest/meta-data' } }, 422, 'unsafe_webhook_url', ['webhook_url']],
  // not an object
  ['body an array', { body: '[]' }, 422, 'validation_failed', ['']],
  ['body null', { body: 'null' }, 422, 'validation_failed', ['']],
  ['body a string', { body: '"payments.send"' }, 422, 'validation_failed', ['']],
  ['body a number', { body: '42' }, 422, 'validation_failed', ['']],
  // malformed JSON and UTF-8
  ['truncated JSON', { body: '{"action":' }, 400, 'invalid_request', ['']],
  ['trailing garbage', { body: '{"action":"a"} x' }, 400, 'invalid_request', ['']],
  ['single quotes', { body: "{'action':'a'}" }, 400, 'invalid_request', ['']],
  ['NaN', { body: '{"action":"a","amount":NaN}' }, 400, 'invalid_request', ['']],
  ['trailing comma', { body: '{"action":"a",}' }, 400, 'invalid_request', ['']],
  ['duplicate key', { body: '{"action":"a","action":"b"}' }, 400, 'invalid_request', ['']],
  ['invalid UTF-8 byte', { body: Buffer.concat([Buffer.from('{"action":"a","summary":"'), Buffer.from([0xff]), Buffer.from('"}')]) }, 400, 'invalid_request', ['']],
  ['overlong UTF-8', { body: Buffer.concat([Buffer.from('{"action":"a","summary":"'), Buffer.from([0xc0, 0xaf]), Buffer.from('"}')]) }, 400, 'invalid_request', ['']],
  ['UTF-8 encoded surrogate', { body: Buffer.concat([Buffer.from('{"action":"a","summary":"'), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from('"}')]) }, 400, 'invalid_request', ['']],
  ['truncated UTF-8 sequence', { body: Buffer.concat([Buffer.from('{"action":"a","context":{"k":"'), Buffer.from([0xe2, 0x82]), Buffer.from('"}}')]) }, 400, 'invalid_request', ['']],
  ['lone surrogate escape', { body: '{"action":"a","summary":"\\ud800"}' }, 400, 'invalid_request', ['']],
  ['NUL escape', { body: '{"action":"a","summary":"a\\u0000b"}' }, 400, 'invalid_request', ['']],
  ['raw newline inside a string', { body: '{"action":"a","summary":"a\nb"}' }, 400, 'invalid_request', ['']],
  ['empty body', { body: '' }, 400, 'invalid_request', ['']],
  // content type
  ['Content-Type text/plain', { body: '{"action":"a"}', headers: { 'Content-Type': 'text/plain' } }, 400, 'invalid_request', ['headers.content-type']],
  ['no Content-Type', { body: '{"action":"a"}', headers: { 'Content-Type': '' } }, 400, 'invalid_request', ['headers.content-type']],
  ['a form post', { body: 'action=a', headers: { 'Content-Type': 'application/x-www-form-urlencoded' } }, 400, 'invalid_request', ['headers.content-type']],
  ['multipart', { body: '--b\r\n\r\n{"action":"a"}\r\n--b--', headers: { 'Content-Type': 'multipart/form-data; boundary=b' } }, 400, 'invalid_request', ['headers.content-type']],
  ['application/jsonx', { body: '{"action":"a"}', headers: { 'Content-Type': 'application/jsonx' } }, 400, 'invalid_request', ['headers.content-type']],
  // size
  ['body over 1 MiB (nginx)', { body: `{"action":"a","summary":"${'x'.repeat(1100000)}"}` }, 413, 'payload_too_large', []],
  // Idempotency-Key
  ['Idempotency-Key 129 characters', { body: { action: 'a' }, idem: 'k'.repeat(129) }, 400, 'idempotency_key_invalid', ['headers.idempotency-key']],
  ['Idempotency-Key empty', { body: { action: 'a' }, idem: '' }, 400, 'idempotency_key_invalid', ['headers.idempotency-key']],
  ['Idempotency-Key quoted empty', { body: { action: 'a' }, idem: '""' }, 400, 'idempotency_key_invalid', ['headers.idempotency-key']],
  ['Idempotency-Key with an inner quote', { body: { action: 'a' }, idem: 'a"b' }, 400, 'idempotency_key_invalid', ['headers.idempotency-key']],
  ['Idempotency-Key unbalanced quote', { body: { action: 'a' }, idem: '"abc' }, 400, 'idempotency_key_invalid', ['headers.idempotency-key']],
  ['Idempotency-Key non-ASCII', { body: { action: 'a' }, idem: 'caf\u00e9' }, 400, 'idempotency_key_invalid', ['headers.idempotency-key']],
  ['Idempotency-Key with a tab', { body: { action: 'a' }, idem: 'a\tb' }, 400, 'idempotency_key_invalid', ['headers.idempotency-key']],
  ['quoted Idempotency-Key of 129', { body: { action: 'a' }, idem: `"${'k'.repeat(129)}"` }, 400, 'idempotency_key_invalid', ['headers.idempotency-key']],
  // receipt
  ['receipt: empty object', { path: R, body: {} }, 422, 'validation_failed', ['evaluation_id', 'outcome']],
  ['receipt: evaluation_id not a UUID', { path: R, body: { evaluation_id: '123', outcome: 'succeeded' } }, 422, 'validation_failed', ['evaluation_id']],
  ['receipt: evaluation_id a number', { path: R, body: { evaluation_id: 5, outcome: 'succeeded' } }, 422, 'validation_failed', ['evaluation_id']],
  ['receipt: evaluation_id SQL', { path: R, body: { evaluation_id: "' OR 1=1 --                        ", outcome: 'succeeded' } }, 422, 'validation_failed', ['evaluation_id']],
  ['receipt: unknown outcome', { path: R, body: { evaluation_id: randomUUID(), outcome: 'done' } }, 422, 'validation_failed', ['outcome']],
  ['receipt: action_hash upper case', { path: R, body: { evaluation_id: randomUUID(), outcome: 'failed', action_hash: 'A'.repeat(64) } }, 422, 'validation_failed', ['action_hash']],
  ['receipt: action_hash 63 hex', { path: R, body: { evaluation_id: randomUUID(), outcome: 'failed', action_hash: 'a'.repeat(63) } }, 422, 'validation_failed', ['action_hash']],
  ['receipt: details a number', { path: R, body: { evaluation_id: randomUUID(), outcome: 'skipped', details: 5 } }, 422, 'validation_failed', ['details']],
  ['receipt: details over 16 KiB', { path: R, body: { evaluation_id: randomUUID(), outcome: 'skipped', details: { log: 'x'.repeat(17000) } } }, 422, 'validation_failed', ['details']],
  ['receipt: unknown member', { path: R, body: { evaluation_id: randomUUID(), outcome: 'skipped', status: 'ok' } }, 422, 'validation_failed', ['status']],
  ['receipt: text/plain', { path: R, body: '{}', headers: { 'Content-Type': 'text/plain' } }, 400, 'invalid_request', ['headers.content-type']],
  ['receipt: malformed JSON', { path: R, body: '{"evaluation_id":' }, 400, 'invalid_request', ['']],
  // policy
  ['policy: gt takes a number', { path: P, method: 'PUT', key: 'admin', body: { default: 'allow', rules: [{ name: 'r', when: { amount: { gt: '1000' } }, effect: 'deny' }] } }, 422, 'validation_failed', ['rules[0].when.amount.gt']],
  ['policy: rules not an array', { path: P, method: 'PUT', key: 'admin', body: { default: 'allow', rules: {} } }, 422, 'validation_failed', ['rules']],
  ['policy: unknown operator', { path: P, method: 'PUT', key: 'admin', body: { default: 'allow', rules: [{ name: 'r', when: { action: { like: 'x%' } }, effect: 'deny' }] } }, 422, 'validation_failed', ['rules[0].when.action.like']],
  ['policy: bad stage role', { path: P, method: 'PUT', key: 'admin', body: { default: 'deny', rules: [{ name: 'r', effect: 'require_approval', approval: { stages: [{ role: 'fin ance' }] } }] } }, 422, 'validation_failed', ['rules[0].approval.stages[0].role']],
  ['policy: not JSON', { path: P, method: 'PUT', key: 'admin', body: 'default: allow' }, 400, 'invalid_request', ['']],
  ['simulate: policy missing', { path: S, key: 'admin', body: {} }, 422, 'validation_failed', ['policy']],
  ['simulate: limit 0', { path: S, key: 'admin', body: { policy: { default: 'allow' }, limit: 0 } }, 422, 'validation_failed', ['limit']],
  ['simulate: limit a string', { path: S, key: 'admin', body: { policy: { default: 'allow' }, limit: '5' } }, 422, 'validation_failed', ['limit']],
  ['simulate: invalid draft', { path: S, key: 'admin', body: { policy: { default: 'allow', rules: [{ name: 'x', effect: 'nope' }] } } }, 422, 'validation_failed', ['policy.rules[0].effect']],
  // GET evaluation
  ['evaluation id not a UUID', { method: 'GET', path: '/api/v1/evaluations/not-a-uuid' }, 404, 'not_found', []],
  ['evaluation id with SQL', { method: 'GET', path: `/api/v1/evaluations/${encodeURIComponent("1' OR '1'='1")}` }, 404, 'not_found', []],
  ['evaluation id with an encoded newline', { method: 'GET', path: '/api/v1/evaluations/abc%0Adef' }, 404, 'not_found', []],
  // methods
  ['GET on evaluate', { method: 'GET', path: E }, 405, 'method_not_allowed', []],
  ['DELETE on policy', { method: 'DELETE', path: P, key: 'admin' }, 405, 'method_not_allowed', []],
];

describe('bad input → the documented 4xx, never a 500, nothing stored', () => {
  let ws;
  const rids = [];
  before(async () => {
    ws = await createWorkspace('bad-input', { policy: { default: 'allow' } });
  });

  test(`the table has at least 40 cases (${CASES.length})`, () => {
    assert.ok(CASES.length >= 40);
    assert.equal(new Set(CASES.map((c) => c[0])).size, CASES.length, 'case names are unique');
  });

  for (const [name, spec, status, code, paths] of CASES) {
    test(`${name} → ${status} ${code}`, async () => {
      const method = spec.method || 'POST';
      const rid = uniq('bad');
      rids.push(rid);
      const headers = { 'X-Request-Id': rid, ...(typeof spec.body === 'object' && !Buffer.isBuffer(spec.body) ? {} : JSON_CT), ...(spec.headers || {}) };
      if (headers['Content-Type'] === '') delete headers['Content-Type'];
      const raw = typeof spec.body === 'string' || Buffer.isBuffer(spec.body);
      const res = await req(method, spec.path || E, {
        key: spec.key === 'admin' ? ws.admin.key : ws.agent.key,
        body: spec.body,
        raw,
        headers,
        idem: spec.idem,
      });
      assertApiError(res, status, code, paths);
      if (status === 422 || status === 400) {
        assert.ok(res.json.error.details.length > 0, 'details name the problem');
      }
    });
  }

  test('nothing was stored and the policy is unchanged', async () => {
    assert.equal(psql(`SELECT count(*) FROM evaluations WHERE workspace_id = ${sqlLiteral(ws.id)}`), '0');
    assert.equal(psql(`SELECT count(*) FROM receipts WHERE workspace_id = ${sqlLiteral(ws.id)}`), '0');
    assert.equal(psql(`SELECT count(*) FROM policy_versions WHERE workspace_id = ${sqlLiteral(ws.id)}`), '1');
  });

  test('no bad request made the application log an error', () => {
    const mine = new Set(rids);
    const lines = readLog((l) => mine.has(l.request_id));
    const statuses = lines.filter((l) => l.event === 'http_request').map((l) => l.status);
    assert.ok(statuses.length >= CASES.length - 5, `the fcgi log has the requests (${statuses.length})`);
    assert.ok(statuses.every((s) => s >= 400 && s < 500), `every status is 4xx: ${statuses}`);
    const errors = lines.filter((l) => l.level === 'error' || l.level === 'fatal');
    assert.deepEqual(errors, [], 'no error-level log line');
  });
});

describe('SQL and HTML metacharacters are stored and returned verbatim', () => {
  let ws;
  before(async () => {
    ws = await createWorkspace('metachars', { policy: { default: 'allow' } });
  });

  const nasty = {
    action: 'sql.inject:test_1-2',
    agent_id: "robert'); DROP TABLE evaluations;--",
    resource: '<script>alert("x")</script>&amp;<img src=x onerror=alert(1)>',
    currency: 'USD',
    amount: 0,
    summary: "' OR 1=1 -- \\ % _ $1 ${x} {{x}} <b>bold</b> \u00e9\u2603\ud83d\ude00",
    context: {
      q: "'; DELETE FROM audit_events; --",
      '<img src=x onerror=alert(1)>': '"quoted" \\backslash\\',
      'a.b': { '$where': '1 == 1', '%s%n': ['\u2028', '\u2029'] },
      "'": "\"",
    },
  };

  test('evaluate, GET and the database keep every byte', async () => {
    const r = await req('POST', '/api/v1/evaluate', { key: ws.agent.key, body: nasty });
    assert.equal(r.status, 200, r.text);
    assert.match(r.headers['content-type'], /^application\/json/);
    const g = await req('GET', `/api/v1/evaluations/${r.json.evaluation_id}`, { key: ws.agent.key });
    assert.equal(g.status, 200, g.text);
    for (const k of Object.keys(nasty)) assert.deepEqual(g.json[k], nasty[k], `GET returns ${k} verbatim`);
    const row = JSON.parse(
      psql(`SELECT json_build_object('agent_id', agent_id, 'resource', resource, 'summary', summary, 'context', context) FROM evaluations WHERE id = ${sqlLiteral(r.json.evaluation_id)}`)
    );
    assert.equal(row.agent_id, nasty.agent_id);
    assert.equal(row.resource, nasty.resource);
    assert.equal(row.summary, nasty.summary);
    assert.deepEqual(row.context, nasty.context);
    assert.equal(psql("SELECT to_regclass('evaluations') IS NOT NULL"), 't', 'the table is still there');
    // A receipt with metacharacters in details, too.
    const rc = await req('POST', '/api/v1/receipt', {
      key: ws.agent.key,
      body: { evaluation_id: r.json.evaluation_id, outcome: 'succeeded', details: { note: nasty.summary, html: nasty.resource } },
    });
    assert.equal(rc.status, 201, rc.text);
    const g2 = await req('GET', `/api/v1/evaluations/${r.json.evaluation_id}`, { key: ws.agent.key });
    assert.deepEqual(g2.json.receipt.details, { note: nasty.summary, html: nasty.resource });
  });
});
