// Agent API end to end through nginx: evaluate (allow, deny, approval_required, no
// policy), GET evaluation, receipts, idempotency, API keys (missing, wrong, revoked,
// scope, archived workspace), tenant isolation, policy publish / read / simulate, and
// action_hash recomputed independently (RFC 8785 JCS written in the test).
//
// Every response goes through checkedCall(), which also validates it against
// static/openapi.yaml. Each describe() works in its own workspace (lib/workspace.mjs),
// so policies published by other test files cannot change the outcomes here.
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { headerValues, psql, sh } from './lib/stack.mjs';
import { checkedCall as req } from './lib/openapi.mjs';
import {
  actionHash,
  assertApiError,
  auditEvents,
  createWorkspace,
  jcs,
  mintKey,
  revokeKey,
  sha256hex,
  sqlLiteral,
  uniq,
} from './lib/workspace.mjs';

const POLICY = {
  default: 'allow',
  rules: [
    {
      name: 'no-prod-drops',
      when: { action: 'db.drop*', resource: 'prod/*' },
      effect: 'deny',
      reason: 'Dropping production data is never allowed',
    },
    {
      name: 'big-payments',
      when: { action: 'payments.send', amount: { gt: 1000 } },
      effect: 'require_approval',
      approval: { stages: [{ role: 'manager', min_approvals: 1 }], timeout_seconds: 3600 },
      reason: 'Payments over 1000 need a manager',
    },
  ],
};

const evaluate = (key, body, opts = {}) => req('POST', '/api/v1/evaluate', { key, body, ...opts });
const receipt = (key, body, opts = {}) => req('POST', '/api/v1/receipt', { key, body, ...opts });
const getEval = (key, id) => req('GET', `/api/v1/evaluations/${id}`, { key });

function evalRow(id) {
  return JSON.parse(psql(`SELECT row_to_json(e) FROM evaluations e WHERE id = ${sqlLiteral(id)}`) || 'null');
}

function assertRecent(ts, what) {
  const t = Date.parse(ts);
  assert.ok(Number.isFinite(t), `${what} is a timestamp: ${ts}`);
  assert.ok(Math.abs(Date.now() - t) < 120000, `${what} is recent: ${ts}`);
}

describe('evaluate and read back', () => {
  let ws;
  before(async () => {
    ws = await createWorkspace('agent-api', { policy: POLICY });
  });

  test('allow: 200 with the documented shape, one row and one audit event with the request id', async () => {
    const body = { action: 'email.send', agent_id: 'mailer-1', resource: 'customers/42', summary: 'Send receipt' };
    const rid = uniq('evalrid');
    const r = await evaluate(ws.agent.key, body, { headers: { 'X-Request-Id': rid } });
    assert.equal(r.status, 200, r.text);
    assert.equal(headerValues(r, 'idempotent-replayed').length, 0, 'a fresh evaluation is not a replay');
    const e = r.json;
    assert.equal(e.decision, 'allow');
    assert.equal(e.status, 'allowed');
    assert.deepEqual(e.policy, { id: ws.policy.id, version: 1 });
    assert.equal(e.matched_rule, null);
    assert.match(e.reason, /default/i);
    assert.equal(e.approval, null);
    assert.equal(e.action_hash, actionHash(body));
    assertRecent(e.created_at, 'created_at');

    const row = evalRow(e.evaluation_id);
    assert.ok(row, 'the evaluation row exists');
    assert.equal(row.workspace_id, ws.id);
    assert.equal(row.api_key_id, ws.agent.id);
    assert.equal(row.status, 'allowed');
    assert.equal(row.action_hash, e.action_hash);
    assert.ok(row.decided_at, 'an immediate decision has decided_at');
    const ev = auditEvents(ws.id).filter((a) => a.subject_id === e.evaluation_id);
    assert.equal(ev.length, 1, 'exactly one audit event for the evaluation');
    assert.equal(ev[0].event_type, 'evaluation.created');
    assert.equal(ev[0].actor_type, 'api_key');
    assert.equal(ev[0].actor_id, ws.agent.id);
    assert.equal(ev[0].data.decision, 'allow');
    assert.equal(ev[0].data.action_hash, e.action_hash);
    const auditRid = psql(
      `SELECT request_id FROM audit_events WHERE subject_id = ${sqlLiteral(e.evaluation_id)}`
    );
    assert.equal(auditRid, rid, 'the audit event carries the request id');
  });

  test('deny: the first matching rule decides', async () => {
    const r = await evaluate(ws.agent.key, { action: 'db.drop_table', resource: 'prod/customers' });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.decision, 'deny');
    assert.equal(r.json.status, 'denied');
    assert.equal(r.json.matched_rule, 'no-prod-drops');
    assert.equal(r.json.reason, 'Dropping production data is never allowed');
    assert.equal(r.json.approval, null);
    // The same action on another resource falls through to the default.
    const ok = await evaluate(ws.agent.key, { action: 'db.drop_table', resource: 'staging/customers' });
    assert.equal(ok.json.decision, 'allow');
  });

  test('approval_required: pending with the stages and expires_at', async () => {
    const r = await evaluate(ws.agent.key, { action: 'payments.send', amount: 5000, currency: 'USD' });
    assert.equal(r.status, 200, r.text);
    const e = r.json;
    assert.equal(e.decision, 'approval_required');
    assert.equal(e.status, 'pending');
    assert.equal(e.matched_rule, 'big-payments');
    assert.deepEqual(e.approval.stages, [
      { index: 0, role: 'manager', required: 1, approved: 0, otp: false, status: 'pending' },
    ]);
    const ttl = Date.parse(e.approval.expires_at) - Date.parse(e.created_at);
    assert.ok(Math.abs(ttl - 3600 * 1000) < 2000, `expires_at is timeout_seconds after created_at (${ttl} ms)`);
    const g = await getEval(ws.agent.key, e.evaluation_id);
    assert.equal(g.status, 200, g.text);
    assert.equal(g.json.status, 'pending');
    assert.equal(g.json.decided_at, null);
    assert.equal(g.json.approval.stages[0].role, 'manager');
  });

  test('GET /api/v1/evaluations/{id}: the evaluate response plus the request fields and receipt', async () => {
    const body = {
      action: 'crm.update',
      agent_id: 'crm-bot',
      resource: 'contacts/7',
      amount: 12.5,
      currency: 'EUR',
      summary: 'Fix a typo',
      context: { ticket: 'T-1', tags: ['a', 'b'], nested: { n: 1 } },
    };
    const r = await evaluate(ws.agent.key, body);
    assert.equal(r.status, 200, r.text);
    const g = await getEval(ws.agent.key, r.json.evaluation_id);
    assert.equal(g.status, 200, g.text);
    for (const k of Object.keys(r.json)) assert.deepEqual(g.json[k], r.json[k], `GET has the same ${k}`);
    for (const k of Object.keys(body)) assert.deepEqual(g.json[k], body[k], `GET echoes ${k}`);
    assert.equal(g.json.webhook_url, null);
    assert.equal(g.json.receipt, null);
    assertRecent(g.json.decided_at, 'decided_at');
    // The admin key of the same workspace reads it too.
    const ga = await getEval(ws.admin.key, r.json.evaluation_id);
    assert.equal(ga.status, 200, ga.text);
  });

  test('GET of an unknown or malformed id is 404 not_found', async () => {
    for (const id of [randomUUID(), 'not-a-uuid', '00000000-0000-0000-0000-00000000000g', "1' OR '1'='1"]) {
      const g = await getEval(ws.agent.key, encodeURIComponent(id));
      assertApiError(g, 404, 'not_found');
    }
  });

  test('a workspace without a published policy denies everything (policy null)', async () => {
    const bare = await createWorkspace('agent-api-nopolicy');
    const r = await evaluate(bare.agent.key, { action: 'email.send' });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.decision, 'deny');
    assert.equal(r.json.status, 'denied');
    assert.equal(r.json.policy, null);
    assert.equal(r.json.matched_rule, null);
    const p = await req('GET', '/api/v1/policy', { key: bare.admin.key });
    assertApiError(p, 404, 'not_found');
  });

  test('an admin key may evaluate too; "bearer" is case-insensitive (RFC 6750)', async () => {
    const r = await evaluate(ws.admin.key, { action: 'email.send' });
    assert.equal(r.status, 200, r.text);
    const l = await req('POST', '/api/v1/evaluate', {
      headers: { authorization: `bearer ${ws.agent.key}` },
      body: { action: 'email.send' },
    });
    assert.equal(l.status, 200, l.text);
  });

  test('a chunked request body (no Content-Length) and HTTPS with HTTP/1.1 are accepted', async () => {
    const http = await import('node:http');
    const { baseUrl } = await import('./lib/stack.mjs');
    const res = await new Promise((resolve, reject) => {
      const r = http.request(new URL('/api/v1/evaluate', baseUrl), {
        method: 'POST',
        headers: { Authorization: `Bearer ${ws.agent.key}`, 'Content-Type': 'application/json' },
      }, (x) => {
        const chunks = [];
        x.on('data', (c) => chunks.push(c));
        x.on('end', () => resolve({ status: x.statusCode, headers: x.headers, text: Buffer.concat(chunks).toString() }));
      });
      r.on('error', reject);
      r.write('{"action":"email.send",');
      r.end('"agent_id":"chunky"}');
    });
    assert.equal(res.status, 200, res.text);
    assert.equal(JSON.parse(res.text).action_hash, actionHash({ action: 'email.send', agent_id: 'chunky' }));
    const s = await req('POST', '/api/v1/evaluate', { key: ws.agent.key, body: { action: 'email.send' }, https: true });
    assert.equal(s.status, 200, s.text);
  });

  test('Content-Type with a charset parameter is accepted', async () => {
    const r = await req('POST', '/api/v1/evaluate', {
      key: ws.agent.key,
      headers: { 'Content-Type': 'application/json; charset=utf-8' },
      body: JSON.stringify({ action: 'email.send' }),
      raw: true,
    });
    assert.equal(r.status, 200, r.text);
  });
});

describe('action_hash = SHA-256(JCS({action, agent_id, resource, amount, currency, context}))', () => {
  let ws;
  before(async () => {
    ws = await createWorkspace('agent-api-hash', { policy: { default: 'allow' } });
  });

  test('our JCS matches RFC 8785 examples', () => {
    // RFC 8785 §3.2.3 sorting example (UTF-16 code units) and number examples (Appendix B).
    assert.equal(
      jcs({ '\u20ac': 'Euro Sign', '\r': 'Carriage Return', '\ufb33': 'Hebrew Letter Dalet With Dagesh', '1': 'One', '\ud83d\ude00': 'Emoji: Grinning Face', '\u0080': 'Control', '\u00f6': 'Latin Small Letter O With Diaeresis' }),
      '{"\\r":"Carriage Return","1":"One","\u0080":"Control","\u00f6":"Latin Small Letter O With Diaeresis","\u20ac":"Euro Sign","\ud83d\ude00":"Emoji: Grinning Face","\ufb33":"Hebrew Letter Dalet With Dagesh"}'
    );
    assert.equal(jcs([1e21, 1e-7, 0.000001, 1.5e3, -0, 333333333.33333329, 9007199254740992]), '[1e+21,1e-7,0.000001,1500,0,333333333.3333333,9007199254740992]');
    assert.equal(jcs({ b: [true, null, 'x\n"\\\u001f'], a: {} }), '{"a":{},"b":[true,null,"x\\n\\"\\\\\\u001f"]}');
  });

  // [label, raw JSON body as sent, the same input as a JS value for our own hash]
  const cases = [
    ['only action: absent fields are null, absent context is {}', '{"action":"x.y"}', { action: 'x.y' }],
    ['explicit nulls count as absent', '{"action":"x.y","agent_id":null,"resource":null,"amount":null,"currency":null,"context":null}', { action: 'x.y' }],
    ['all fields, integer amount', '{"action":"payments.send","agent_id":"a-1","resource":"vendor/acme","amount":1250,"currency":"USD","context":{"country":"US"}}',
      { action: 'payments.send', agent_id: 'a-1', resource: 'vendor/acme', amount: 1250, currency: 'USD', context: { country: 'US' } }],
    ['amount written as 1.50E+3 and 10.50-style decimals', '{"action":"x.y","amount":1.50E+3,"context":{"a":10.50,"b":0.1,"c":1e-7,"d":1e21,"e":-0.0}}',
      { action: 'x.y', amount: 1500, context: { a: 10.5, b: 0.1, c: 1e-7, d: 1e21, e: 0 } }],
    ['fractional amount', '{"action":"x.y","amount":0.3}', { action: 'x.y', amount: 0.3 }],
    ['context member order is canonical (UTF-16 code units, nested, arrays kept)',
      '{"context":{"z":1,"a":{"y":[3,1,2],"b":null},"\u00e9":"e-acute","\ud83d\ude00":"grin","\ufb01":"fi-ligature","A":true},"action":"x.y"}',
      { action: 'x.y', context: { z: 1, a: { y: [3, 1, 2], b: null }, 'é': 'e-acute', '😀': 'grin', 'ﬁ': 'fi-ligature', A: true } }],
    ['escapes in strings', '{"action":"x.y","agent_id":"\\"q\\" \\\\ \\u00e9 \\ud83d\\ude00 </script>","context":{"s":"tab\\t line\\nbreak \\u001f \\u007f \\u2028"}}',
      { action: 'x.y', agent_id: '"q" \\ é 😀 </script>', context: { s: 'tab\t line\nbreak \u001f \u007f \u2028' } }],
    ['summary and webhook_url are not part of the hash', '{"action":"x.y","summary":"anything","webhook_url":"https://example.com/hook"}', { action: 'x.y' }],
  ];
  for (const [label, raw, value] of cases) {
    test(label, async () => {
      const r = await req('POST', '/api/v1/evaluate', { key: ws.agent.key, body: raw, raw: true, headers: { 'Content-Type': 'application/json' } });
      assert.equal(r.status, 200, r.text);
      assert.equal(r.json.action_hash, actionHash(value), `server hash equals ours for ${raw}`);
      // And the test's hash really is SHA-256 of the canonical text.
      const canon = jcs({
        action: value.action,
        agent_id: value.agent_id ?? null,
        resource: value.resource ?? null,
        amount: value.amount ?? null,
        currency: value.currency ?? null,
        context: value.context ?? {},
      });
      assert.equal(actionHash(value), sha256hex(canon));
    });
  }

  test('the JavaScript recipe in docs/API.md computes the same hashes', async () => {
    const { readFileSync } = await import('node:fs');
    const { sourceDir } = await import('./lib/stack.mjs');
    const md = readFileSync(`${sourceDir}/docs/API.md`, 'utf8');
    const block = /```js\n([\s\S]*?)```/.exec(md);
    assert.ok(block, 'docs/API.md has a js code block');
    const mod = await import(`data:text/javascript,${encodeURIComponent(`${block[1]}\nexport { actionHash };`)}`);
    for (const [, raw, value] of cases) assert.equal(mod.actionHash(JSON.parse(raw)), actionHash(value), raw);
  });

  test('the Python recipe in docs/API.md computes the same hashes', async (t) => {
    const which = sh('command -v python3 || true').trim();
    if (!which) return t.skip('python3 is not installed');
    const { readFileSync } = await import('node:fs');
    const { sourceDir } = await import('./lib/stack.mjs');
    const md = readFileSync(`${sourceDir}/docs/API.md`, 'utf8');
    const block = /```python\n([\s\S]*?)```/.exec(md);
    assert.ok(block, 'docs/API.md has a python code block');
    const inputs = cases.map(([, raw]) => JSON.parse(raw));
    const program = `${block[1]}\nimport json, sys\nfor body in json.loads(sys.stdin.read()):\n    print(action_hash(body))\n`;
    const out = sh(`python3 -c ${"'" + program.replace(/'/g, `'\\''`) + "'"}`, { input: JSON.stringify(inputs) });
    assert.deepEqual(out.trim().split('\n'), cases.map(([, , v]) => actionHash(v)));
  });
});

describe('idempotency', () => {
  let ws;
  let other;
  before(async () => {
    ws = await createWorkspace('agent-api-idem', { policy: POLICY });
    other = await createWorkspace('agent-api-idem-other', { policy: POLICY });
  });

  const rowsWithKey = (wsId, key) =>
    Number(psql(`SELECT count(*) FROM evaluations WHERE workspace_id = ${sqlLiteral(wsId)} AND idempotency_key = ${sqlLiteral(key)}`));

  test('same key + same body → the stored response byte for byte, one evaluation', async () => {
    const key = uniq('idem');
    const body = { action: 'payments.send', amount: 5000, currency: 'USD', context: { invoice: 'INV-1' } };
    const first = await evaluate(ws.agent.key, body, { idem: key });
    assert.equal(first.status, 200, first.text);
    assert.equal(headerValues(first, 'idempotent-replayed').length, 0);
    const again = await evaluate(ws.agent.key, body, { idem: key });
    assert.equal(again.status, 200, again.text);
    assert.ok(again.body.equals(first.body), 'the replay is byte for byte the first response');
    assert.equal(again.headers['idempotent-replayed'], 'true');
    // Quoted and bare spellings are the same key; member order and whitespace do not
    // change the body (it is compared canonically).
    const raw = '{ "context": {"invoice":"INV-1"}, "currency":"USD", "amount": 5000,\n "action":"payments.send" }';
    const quoted = await req('POST', '/api/v1/evaluate', { key: ws.agent.key, idem: `"${key}"`, body: raw, raw: true, headers: { 'Content-Type': 'application/json' } });
    assert.equal(quoted.status, 200, quoted.text);
    assert.ok(quoted.body.equals(first.body), 'a quoted key with an equivalent body replays');
    assert.equal(rowsWithKey(ws.id, key), 1, 'one evaluation for the key');
    // A pending evaluation replays its creation-time response, not the live one.
    assert.equal(JSON.parse(quoted.text).status, 'pending');
  });

  test('same key + different body → 409 idempotency_key_reused, nothing created', async () => {
    const key = uniq('idem');
    const first = await evaluate(ws.agent.key, { action: 'email.send' }, { idem: key });
    assert.equal(first.status, 200, first.text);
    const before = Number(psql(`SELECT count(*) FROM evaluations WHERE workspace_id = ${sqlLiteral(ws.id)}`));
    const r = await evaluate(ws.agent.key, { action: 'email.send', agent_id: 'other' }, { idem: key });
    assertApiError(r, 409, 'idempotency_key_reused');
    const after = Number(psql(`SELECT count(*) FROM evaluations WHERE workspace_id = ${sqlLiteral(ws.id)}`));
    assert.equal(after, before, 'no evaluation was created');
  });

  test('a request that fails validation is not stored: fix it and retry with the same key', async () => {
    const key = uniq('idem');
    const bad = await evaluate(ws.agent.key, { action: 'email.send', amount: -1 }, { idem: key });
    assertApiError(bad, 422, 'validation_failed', ['amount']);
    assert.equal(rowsWithKey(ws.id, key), 0);
    const good = await evaluate(ws.agent.key, { action: 'email.send', amount: 1 }, { idem: key });
    assert.equal(good.status, 200, good.text);
    assert.equal(headerValues(good, 'idempotent-replayed').length, 0, 'the corrected request is fresh');
    const again = await evaluate(ws.agent.key, { action: 'email.send', amount: 1 }, { idem: key });
    assert.ok(again.body.equals(good.body));
    assert.equal(again.headers['idempotent-replayed'], 'true');
  });

  test('keys are per workspace; 128 printable characters are accepted', async () => {
    // Every printable ASCII character but '"' (inner spaces too), 128 in all.
    let key = 'inner space ';
    for (let c = 0x21; c <= 0x7e; c++) if (c !== 0x22) key += String.fromCharCode(c);
    key = (key + uniq('k')).padEnd(128, 'x').slice(0, 128);
    assert.equal(key.length, 128);
    const a = await evaluate(ws.agent.key, { action: 'email.send' }, { idem: key });
    assert.equal(a.status, 200, a.text);
    const b = await evaluate(other.agent.key, { action: 'email.send' }, { idem: key });
    assert.equal(b.status, 200, b.text);
    assert.notEqual(b.json.evaluation_id, a.json.evaluation_id, 'another workspace gets its own evaluation');
    assert.equal(headerValues(b, 'idempotent-replayed').length, 0);
    const c = await evaluate(other.agent.key, { action: 'email.send', agent_id: 'x' }, { idem: key });
    assertApiError(c, 409, 'idempotency_key_reused');
  });

  test('keys are kept at least 24 hours (a retention purge does not drop a 25-hour-old key)', async () => {
    const key = uniq('idem-old');
    const first = await evaluate(ws.agent.key, { action: 'email.send' }, { idem: key });
    assert.equal(first.status, 200, first.text);
    psql(`UPDATE evaluations SET created_at = now() - interval '25 hours' WHERE id = ${sqlLiteral(first.json.evaluation_id)}`);
    sh('"$ANX_CRON_BIN" purge >/dev/null');
    const again = await evaluate(ws.agent.key, { action: 'email.send' }, { idem: key });
    assert.equal(again.status, 200, again.text);
    assert.ok(again.body.equals(first.body), 'still replayed after 25 hours and a purge');
  });
});

describe('receipts', () => {
  let ws;
  before(async () => {
    ws = await createWorkspace('agent-api-receipt', { policy: POLICY });
  });

  async function allowed(body = { action: 'email.send', resource: uniq('r') }) {
    const r = await evaluate(ws.agent.key, body);
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.status, 'allowed');
    return r.json;
  }

  test('first 201, identical replay 200 byte for byte, different 409 receipt_conflict', async () => {
    const e = await allowed();
    const body = { evaluation_id: e.evaluation_id, outcome: 'succeeded', details: { message_id: 'm-1' }, action_hash: e.action_hash };
    const first = await receipt(ws.agent.key, body);
    assert.equal(first.status, 201, first.text);
    assert.equal(first.json.evaluation_id, e.evaluation_id);
    assert.equal(first.json.outcome, 'succeeded');
    assert.equal(first.json.hash_match, true);
    const again = await receipt(ws.agent.key, { action_hash: e.action_hash, details: { message_id: 'm-1' }, outcome: 'succeeded', evaluation_id: e.evaluation_id });
    assert.equal(again.status, 200, again.text);
    assert.ok(again.body.equals(first.body), 'the replay is the stored response');
    const diff = await receipt(ws.agent.key, { ...body, outcome: 'failed' });
    assertApiError(diff, 409, 'receipt_conflict');
    const g = await getEval(ws.agent.key, e.evaluation_id);
    assert.equal(g.json.receipt.outcome, 'succeeded');
    assert.deepEqual(g.json.receipt.details, { message_id: 'm-1' });
    assert.equal(g.json.receipt.hash_match, true);
    const types = auditEvents(ws.id).filter((a) => a.subject_id === e.evaluation_id).map((a) => a.event_type);
    assert.deepEqual(types, ['evaluation.created', 'receipt.recorded'], 'one receipt.recorded, nothing for the replay or the conflict');
  });

  test('an action_hash mismatch is stored and flagged hash_match=false (audit receipt.hash_mismatch)', async () => {
    const e = await allowed({ action: 'payments.send', amount: 10, currency: 'USD' });
    const did = actionHash({ action: 'payments.send', amount: 9999, currency: 'USD' });
    assert.notEqual(did, e.action_hash);
    const r = await receipt(ws.agent.key, { evaluation_id: e.evaluation_id, outcome: 'succeeded', action_hash: did, details: 'paid more than asked' });
    assert.equal(r.status, 201, r.text);
    assert.equal(r.json.hash_match, false);
    assert.equal(r.json.action_hash, did);
    assert.equal(psql(`SELECT hash_match FROM receipts WHERE evaluation_id = ${sqlLiteral(e.evaluation_id)}`), 'f');
    const g = await getEval(ws.agent.key, e.evaluation_id);
    assert.equal(g.json.receipt.hash_match, false);
    assert.equal(g.json.receipt.details, 'paid more than asked');
    const types = auditEvents(ws.id).filter((a) => a.subject_id === e.evaluation_id).map((a) => a.event_type);
    assert.ok(types.includes('receipt.hash_mismatch'), `audit has receipt.hash_mismatch: ${types}`);
  });

  test('without action_hash, hash_match is null', async () => {
    const e = await allowed();
    const r = await receipt(ws.agent.key, { evaluation_id: e.evaluation_id, outcome: 'skipped' });
    assert.equal(r.status, 201, r.text);
    assert.equal(r.json.hash_match, null);
    assert.equal(r.json.action_hash, null);
  });

  for (const [label, body, status] of [
    ['denied', { action: 'db.drop_table', resource: 'prod/x' }, 'denied'],
    ['pending', { action: 'payments.send', amount: 5000, currency: 'USD' }, 'pending'],
  ]) {
    test(`a receipt for a ${label} evaluation → 409 evaluation_not_approved and an audit event receipt.refused`, async () => {
      const r = await evaluate(ws.agent.key, body);
      assert.equal(r.json.status, status, r.text);
      const id = r.json.evaluation_id;
      const x = await receipt(ws.agent.key, { evaluation_id: id, outcome: 'succeeded', action_hash: r.json.action_hash });
      assertApiError(x, 409, 'evaluation_not_approved');
      assert.equal(psql(`SELECT count(*) FROM receipts WHERE evaluation_id = ${sqlLiteral(id)}`), '0', 'no receipt stored');
      const refused = auditEvents(ws.id).filter((a) => a.subject_id === id && a.event_type === 'receipt.refused');
      assert.equal(refused.length, 1, 'one receipt.refused event');
      assert.equal(refused[0].data.evaluation_status, status);
      assert.equal(refused[0].data.outcome, 'succeeded');
      assert.equal(refused[0].actor_id, ws.agent.id);
      // Every attempt is recorded.
      const y = await receipt(ws.agent.key, { evaluation_id: id, outcome: 'failed' });
      assertApiError(y, 409, 'evaluation_not_approved');
      assert.equal(auditEvents(ws.id).filter((a) => a.subject_id === id && a.event_type === 'receipt.refused').length, 2);
    });
  }

  test('a receipt for an approved evaluation is accepted', async () => {
    const r = await evaluate(ws.agent.key, { action: 'payments.send', amount: 5000, currency: 'USD' });
    assert.equal(r.json.status, 'pending');
    // The approval flow is covered by the approval tests; here only the receipt rule.
    psql(`UPDATE evaluations SET status = 'approved', decided_at = now() WHERE id = ${sqlLiteral(r.json.evaluation_id)}`);
    const x = await receipt(ws.agent.key, { evaluation_id: r.json.evaluation_id, outcome: 'succeeded', action_hash: r.json.action_hash });
    assert.equal(x.status, 201, x.text);
    assert.equal(x.json.hash_match, true);
  });

  test('a receipt for an unknown evaluation is 404 not_found', async () => {
    const x = await receipt(ws.agent.key, { evaluation_id: randomUUID(), outcome: 'succeeded' });
    assertApiError(x, 404, 'not_found');
  });
});

describe('API keys', () => {
  let ws;
  before(async () => {
    ws = await createWorkspace('agent-api-keys', { policy: POLICY });
  });

  test('missing, unknown, malformed or non-Bearer credentials → 401 unauthorized on every route', async () => {
    const creds = [
      undefined,
      `Bearer anx_${'A'.repeat(40)}`,
      'Bearer anx_short',
      `Bearer ${ws.agent.key}x!`,
      'Bearer ',
      `Basic ${Buffer.from(`x:${ws.agent.key}`).toString('base64')}`,
      ws.agent.key,
    ];
    const routes = [
      ['POST', '/api/v1/evaluate', { action: 'email.send' }],
      ['GET', `/api/v1/evaluations/${randomUUID()}`],
      ['POST', '/api/v1/receipt', { evaluation_id: randomUUID(), outcome: 'succeeded' }],
      ['GET', '/api/v1/policy'],
      ['PUT', '/api/v1/policy', POLICY],
      ['POST', '/api/v1/policy/simulate', { policy: POLICY }],
    ];
    for (const [method, path, body] of routes) {
      for (const auth of creds) {
        const headers = auth === undefined ? {} : { Authorization: auth };
        const r = await req(method, path, { headers, body });
        assertApiError(r, 401, 'unauthorized');
      }
    }
  });

  test('an agent key on an admin route → 403 forbidden', async () => {
    for (const [method, path, body] of [
      ['GET', '/api/v1/policy'],
      ['PUT', '/api/v1/policy', POLICY],
      ['POST', '/api/v1/policy/simulate', { policy: POLICY }],
    ]) {
      const r = await req(method, path, { key: ws.agent.key, body });
      assertApiError(r, 403, 'forbidden');
    }
    const p = await req('GET', '/api/v1/policy', { key: ws.admin.key });
    assert.equal(p.json.version, 1, 'the forbidden PUT published nothing');
  });

  test('revocation takes effect on the next request (same connection)', async () => {
    const k = mintKey(ws.id, 'agent', 'to revoke');
    const ok = await evaluate(k.key, { action: 'email.send' });
    assert.equal(ok.status, 200, ok.text);
    const out = revokeKey(k.id);
    assert.match(out, /revoked/);
    const r = await evaluate(k.key, { action: 'email.send' });
    assertApiError(r, 401, 'unauthorized');
    const g = await getEval(k.key, ok.json.evaluation_id);
    assertApiError(g, 401, 'unauthorized');
    // Other keys of the workspace keep working.
    const other = await evaluate(ws.agent.key, { action: 'email.send' });
    assert.equal(other.status, 200, other.text);
    const types = auditEvents(ws.id).filter((a) => a.subject_id === k.id).map((a) => a.event_type);
    assert.deepEqual(types, ['api_key.created', 'api_key.revoked']);
  });

  test('a key cached by the workers still honours a new policy, revocation and archiving at once', async () => {
    // Each FastCGI worker caches the keys it verified (core/auth.c); the
    // evaluation statement confirms them. Warm every worker of the pool.
    const cw = await createWorkspace('agent-api-key-cache', { policy: { default: 'allow', rules: [] } });
    const count = () => Number(psql(`SELECT count(*) FROM evaluations WHERE workspace_id = ${sqlLiteral(cw.id)}`));
    for (let i = 0; i < 16; i++) {
      const r = await evaluate(cw.agent.key, { action: 'email.send' });
      assert.equal(r.json.decision, 'allow', r.text);
    }
    const p = await req('PUT', '/api/v1/policy', { key: cw.admin.key, body: { default: 'deny', rules: [] } });
    assert.equal(p.status, 201, p.text);
    for (let i = 0; i < 8; i++) {
      const r = await evaluate(cw.agent.key, { action: 'email.send' });
      assert.equal(r.status, 200, r.text);
      assert.equal(r.json.decision, 'deny', 'decided by the policy published since the key was cached');
      assert.equal(r.json.policy.version, 2);
    }
    assert.equal(count(), 24);

    psql(`UPDATE workspaces SET archived_at = now() WHERE id = ${sqlLiteral(cw.id)}`);
    for (let i = 0; i < 8; i++) assertApiError(await evaluate(cw.agent.key, { action: 'email.send' }), 403, 'forbidden');
    psql(`UPDATE workspaces SET archived_at = NULL WHERE id = ${sqlLiteral(cw.id)}`);
    for (let i = 0; i < 8; i++) assert.equal((await evaluate(cw.agent.key, { action: 'email.send' })).status, 200);
    assert.equal(count(), 32);

    assert.match(revokeKey(cw.agent.id), /revoked/);
    for (let i = 0; i < 8; i++) {
      assertApiError(await evaluate(cw.agent.key, { action: 'email.send' }), 401, 'unauthorized');
      // A request that would fail validation is refused for its key first.
      assertApiError(await evaluate(cw.agent.key, { action: 42 }), 401, 'unauthorized');
      assertApiError(
        await evaluate(cw.agent.key, { action: 'email.send' }, { headers: { 'Idempotency-Key': 'k'.repeat(200) } }),
        401,
        'unauthorized',
      );
    }
    assert.equal(count(), 32, 'refused requests wrote nothing');
  });

  test('keys of an archived workspace → 403 forbidden; restored → accepted again', async () => {
    const arch = await createWorkspace('agent-api-archived', { policy: POLICY });
    const before = await evaluate(arch.agent.key, { action: 'email.send' });
    assert.equal(before.status, 200, before.text);
    psql(`UPDATE workspaces SET archived_at = now() WHERE id = ${sqlLiteral(arch.id)}`);
    try {
      const r = await evaluate(arch.agent.key, { action: 'email.send' });
      assertApiError(r, 403, 'forbidden');
      const g = await getEval(arch.agent.key, before.json.evaluation_id);
      assertApiError(g, 403, 'forbidden');
      const p = await req('GET', '/api/v1/policy', { key: arch.admin.key });
      assertApiError(p, 403, 'forbidden');
    } finally {
      psql(`UPDATE workspaces SET archived_at = NULL WHERE id = ${sqlLiteral(arch.id)}`);
    }
    const after = await evaluate(arch.agent.key, { action: 'email.send' });
    assert.equal(after.status, 200, after.text);
  });

  test('only the SHA-256 of a key is stored', () => {
    const stored = psql(`SELECT encode(key_hash, 'hex') FROM api_keys WHERE id = ${sqlLiteral(ws.agent.id)}`);
    assert.equal(stored, sha256hex(ws.agent.key));
    const leaked = psql(
      `SELECT count(*) FROM api_keys WHERE workspace_id = ${sqlLiteral(ws.id)} AND (prefix = ${sqlLiteral(ws.agent.key)} OR label = ${sqlLiteral(ws.agent.key)})`
    );
    assert.equal(leaked, '0');
  });
});

describe('tenant isolation', () => {
  let a;
  let b;
  let allowedA;
  let pendingA;
  before(async () => {
    a = await createWorkspace('agent-api-tenant-a', { policy: POLICY });
    b = await createWorkspace('agent-api-tenant-b', { policy: { default: 'deny' } });
    allowedA = (await evaluate(a.agent.key, { action: 'email.send' })).json;
    pendingA = (await evaluate(a.agent.key, { action: 'payments.send', amount: 5000 })).json;
  });

  test("another workspace's evaluation id → 404 on GET and receipt, with agent and admin keys", async () => {
    for (const key of [b.agent.key, b.admin.key]) {
      for (const e of [allowedA, pendingA]) {
        assertApiError(await getEval(key, e.evaluation_id), 404, 'not_found');
        const r = await receipt(key, { evaluation_id: e.evaluation_id, outcome: 'succeeded', action_hash: e.action_hash });
        assertApiError(r, 404, 'not_found');
      }
    }
    assert.equal(psql(`SELECT count(*) FROM receipts WHERE evaluation_id IN (${sqlLiteral(allowedA.evaluation_id)}, ${sqlLiteral(pendingA.evaluation_id)})`), '0');
    assert.equal(auditEvents(b.id).filter((x) => x.event_type.startsWith('receipt.')).length, 0, 'nothing audited in B');
    assert.equal(auditEvents(a.id).filter((x) => x.event_type.startsWith('receipt.')).length, 0, 'nothing audited in A');
    // The owner still sees it.
    assert.equal((await getEval(a.agent.key, allowedA.evaluation_id)).status, 200);
  });

  test("another workspace's evaluation id → not_found through MCP tools too", async () => {
    const rpc = (key, name, args) =>
      req('POST', '/api/mcp', { key, body: { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name, arguments: args } } });
    for (const [name, args] of [
      ['get_evaluation', { evaluation_id: allowedA.evaluation_id }],
      ['submit_receipt', { evaluation_id: allowedA.evaluation_id, outcome: 'succeeded' }],
    ]) {
      const r = await rpc(b.agent.key, name, args);
      assert.equal(r.status, 200, r.text);
      assert.equal(r.json.result?.isError, true, `${name} is refused: ${r.text}`);
      assert.equal(r.json.result.structuredContent?.error?.code, 'not_found', r.text);
    }
    const own = await rpc(a.agent.key, 'get_evaluation', { evaluation_id: allowedA.evaluation_id });
    assert.equal(own.json.result?.isError, false, own.text);
    assert.equal(own.json.result.structuredContent.evaluation_id, allowedA.evaluation_id);
  });

  test('policies, decisions and simulations stay in their workspace', async () => {
    const pa = await req('GET', '/api/v1/policy', { key: a.admin.key });
    const pb = await req('GET', '/api/v1/policy', { key: b.admin.key });
    assert.notEqual(pa.json.id, pb.json.id);
    assert.equal(pb.json.document.default, 'deny');
    const r = await evaluate(b.agent.key, { action: 'email.send' });
    assert.equal(r.json.decision, 'deny', "B's own policy decides");
    const s = await req('POST', '/api/v1/policy/simulate', { key: b.admin.key, body: { policy: { default: 'allow' } } });
    assert.equal(s.status, 200, s.text);
    const ids = s.json.changed.map((c) => c.evaluation_id);
    assert.ok(!ids.includes(allowedA.evaluation_id) && !ids.includes(pendingA.evaluation_id), "A's evaluations are not simulated in B");
    assert.equal(s.json.evaluated, 1);
  });
});

describe('policy: publish, read, simulate', () => {
  let ws;
  before(async () => {
    ws = await createWorkspace('agent-api-policy', { policy: { default: 'allow' } });
  });

  test('GET returns the published document; PUT makes a new version, +1 each time', async () => {
    const g1 = await req('GET', '/api/v1/policy', { key: ws.admin.key });
    assert.equal(g1.status, 200, g1.text);
    assert.equal(g1.json.version, 1);
    assert.deepEqual(g1.json.document, { default: 'allow' });
    const p2 = await req('PUT', '/api/v1/policy', { key: ws.admin.key, body: POLICY });
    assert.equal(p2.status, 201, p2.text);
    assert.equal(p2.json.version, 2);
    assert.deepEqual(p2.json.document, POLICY);
    const g2 = await req('GET', '/api/v1/policy', { key: ws.admin.key });
    assert.deepEqual(g2.json, p2.json);
    const e = await evaluate(ws.agent.key, { action: 'db.drop_table', resource: 'prod/x' });
    assert.deepEqual(e.json.policy, { id: p2.json.id, version: 2 }, 'the new version decides at once');
    assert.equal(e.json.decision, 'deny');
    const p3 = await req('PUT', '/api/v1/policy', { key: ws.admin.key, body: { default: 'deny', rules: [] } });
    assert.equal(p3.json.version, 3);
    assert.notEqual(p3.json.id, p2.json.id);
    // Versions are immutable rows; the old one is still there unchanged.
    assert.equal(psql(`SELECT count(*) FROM policy_versions WHERE workspace_id = ${sqlLiteral(ws.id)}`), '3');
    const published = auditEvents(ws.id).filter((x) => x.event_type === 'policy.published').map((x) => x.data.version);
    assert.deepEqual(published, [1, 2, 3]);
  });

  test('an invalid document → 422 validation_failed naming every problem; no version is made', async () => {
    const before = (await req('GET', '/api/v1/policy', { key: ws.admin.key })).json.version;
    const bad = {
      default: 'allow',
      colour: 'blue',
      rules: [
        { name: 'r0', when: { amount: { gt: '1000' } }, effect: 'deny' },
        { name: 'r1', when: { action: 'x' }, effect: 'maybe' },
        { name: 'r2', when: { action: 'y' }, effect: 'require_approval' },
        { name: 'r3', when: { 'context.country': { in: [] } }, effect: 'deny' },
      ],
    };
    const r = await req('PUT', '/api/v1/policy', { key: ws.admin.key, body: bad });
    assertApiError(r, 422, 'validation_failed', ['rules[0].when.amount.gt', 'rules[1].effect', 'rules[2].approval', 'colour']);
    const after = (await req('GET', '/api/v1/policy', { key: ws.admin.key })).json.version;
    assert.equal(after, before);
    for (const [doc, path] of [
      [{ rules: [] }, 'default'],
      [{ default: 'maybe' }, 'default'],
      [[], ''],
      [{ default: 'allow', rules: [{ name: 'x', effect: 'require_approval', approval: { stages: [{ role: 'manager', min_approvals: 0 }] } }] }, 'rules[0].approval.stages[0].min_approvals'],
    ]) {
      const x = await req('PUT', '/api/v1/policy', { key: ws.admin.key, body: doc });
      assertApiError(x, 422, 'validation_failed', [path]);
    }
  });

  test('simulate replays recent evaluations through a draft and counts old → new', async () => {
    const sim = await createWorkspace('agent-api-simulate', { policy: { default: 'allow' } });
    const inputs = [
      ...Array.from({ length: 3 }, (_, i) => ({ action: 'email.send', resource: `c/${i}` })),
      ...Array.from({ length: 2 }, (_, i) => ({ action: 'db.drop_table', resource: `prod/t${i}` })),
      { action: 'payments.send', amount: 5000, currency: 'USD' },
    ];
    const made = [];
    for (const body of inputs) {
      const r = await evaluate(sim.agent.key, body);
      assert.equal(r.json.decision, 'allow', r.text);
      made.push(r.json);
    }
    const s = await req('POST', '/api/v1/policy/simulate', { key: sim.admin.key, body: { policy: POLICY } });
    assert.equal(s.status, 200, s.text);
    assert.equal(s.json.evaluated, 6);
    const counts = Object.fromEntries(s.json.summary.map((x) => [`${x.from}->${x.to}`, x.count]));
    assert.deepEqual(counts, { 'allow->allow': 3, 'allow->deny': 2, 'allow->approval_required': 1 });
    assert.equal(s.json.changed_total, 3);
    assert.equal(s.json.changed.length, 3);
    for (const c of s.json.changed) {
      assert.ok(made.some((m) => m.evaluation_id === c.evaluation_id));
      assert.deepEqual(c.before, { decision: 'allow', matched_rule: null });
      assert.ok(['no-prod-drops', 'big-payments'].includes(c.after.matched_rule));
    }
    const lim = await req('POST', '/api/v1/policy/simulate', { key: sim.admin.key, body: { policy: POLICY, limit: 2 } });
    assert.equal(lim.json.evaluated, 2, 'limit takes the most recent N');
    // The two most recent: the second prod drop (→ deny) and the payment (→ approval).
    assert.equal(lim.json.changed_total, 2);
    assert.deepEqual(lim.json.changed.map((c) => c.evaluation_id).sort(), made.slice(-2).map((m) => m.evaluation_id).sort());
    // Simulating publishes nothing.
    const g = await req('GET', '/api/v1/policy', { key: sim.admin.key });
    assert.equal(g.json.version, 1);
    const bad = await req('POST', '/api/v1/policy/simulate', { key: sim.admin.key, body: { policy: { default: 'allow', rules: [{ name: 'x', effect: 'nope' }] } } });
    assertApiError(bad, 422, 'validation_failed', ['policy.rules[0].effect']);
  });
});
