// Concurrency through nginx: 50 parallel evaluates with one Idempotency-Key create
// exactly one evaluation (every caller gets the same bytes), for the single-statement
// allow path and for the transactional approval path; 8 parallel writers (evaluate,
// receipts, refused receipts, policy publishes) leave an audit chain that
// `agentnexus-cron verify-audit` accepts, with every event sealed exactly once.
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { headerValues, psql } from './lib/stack.mjs';
import { assertMatchesSpec } from './lib/openapi.mjs';
import { auditEvents, call, createWorkspace, mintKey, sqlLiteral, uniq, verifyAudit, waitSealed } from './lib/workspace.mjs';

const POLICY = {
  default: 'allow',
  rules: [
    { name: 'no-prod-drops', when: { action: 'db.drop*', resource: 'prod/*' }, effect: 'deny' },
    {
      name: 'big-payments',
      when: { action: 'payments.send', amount: { gt: 1000 } },
      effect: 'require_approval',
      approval: { stages: [{ role: 'manager' }, { role: 'finance', min_approvals: 2 }], timeout_seconds: 3600 },
    },
  ],
};

/**
 * One evaluate on its own connection; idempotency_in_progress (the twin's transaction
 * is still open) is retried as documented, after its Retry-After.
 */
async function evaluateOnce(key, body, idem) {
  for (let i = 0; ; i++) {
    const res = await call('POST', '/api/v1/evaluate', { key, body, idem, fresh: true });
    if (res.status === 409 && res.json?.error?.code === 'idempotency_in_progress' && i < 20) {
      assert.equal(res.headers['retry-after'], '1');
      await new Promise((r) => setTimeout(r, 200));
      continue;
    }
    return res;
  }
}

describe('50 parallel evaluates with one Idempotency-Key', () => {
  let ws;
  before(async () => {
    ws = await createWorkspace('concurrency-idem', { policy: POLICY });
  });

  for (const [label, body, status] of [
    ['allow path (one statement)', { action: 'email.send', resource: 'customers/1', context: { n: 1 } }, 'allowed'],
    ['approval path (transaction with stages)', { action: 'payments.send', amount: 5000, currency: 'USD' }, 'pending'],
  ]) {
    test(`${label}: one evaluation, 50 identical answers`, async () => {
      const key = uniq('par');
      const results = await Promise.all(Array.from({ length: 50 }, () => evaluateOnce(ws.agent.key, body, key)));
      for (const r of results) {
        assert.equal(r.status, 200, r.text);
        await assertMatchesSpec('POST', '/api/v1/evaluate', r);
      }
      const first = results[0].body;
      assert.ok(results.every((r) => r.body.equals(first)), 'every caller got the same bytes');
      const fresh = results.filter((r) => headerValues(r, 'idempotent-replayed').length === 0);
      assert.equal(fresh.length, 1, 'exactly one response created the evaluation; the others are replays');
      const id = JSON.parse(first.toString()).evaluation_id;
      assert.equal(JSON.parse(first.toString()).status, status);
      assert.equal(
        psql(`SELECT count(*) FROM evaluations WHERE workspace_id = ${sqlLiteral(ws.id)} AND idempotency_key = ${sqlLiteral(key)}`),
        '1'
      );
      assert.equal(psql(`SELECT id FROM evaluations WHERE workspace_id = ${sqlLiteral(ws.id)} AND idempotency_key = ${sqlLiteral(key)}`), id);
      const created = auditEvents(ws.id).filter((e) => e.subject_id === id && e.event_type === 'evaluation.created');
      assert.equal(created.length, 1, 'one audit event');
      if (status === 'pending') {
        assert.equal(psql(`SELECT count(*) FROM approval_stages WHERE evaluation_id = ${sqlLiteral(id)}`), '2', 'the stages were created once');
      }
    });
  }
});

describe('8 parallel writers keep the audit chain verifiable', () => {
  const WRITERS = 8;
  const ROUNDS = 12;
  let ws;
  let keys;
  before(async () => {
    ws = await createWorkspace('concurrency-audit', { policy: POLICY });
    keys = Array.from({ length: WRITERS }, (_, i) => mintKey(ws.id, 'agent', `writer ${i}`));
  });

  async function writer(i) {
    const counts = { evaluations: 0, receipts: 0, refused: 0, published: 0 };
    for (let n = 0; n < ROUNDS; n++) {
      const deny = n % 4 === 3;
      const body = deny
        ? { action: 'db.drop_table', resource: `prod/w${i}-${n}` }
        : { action: 'email.send', agent_id: `writer-${i}`, resource: `r/${n}` };
      const e = await call('POST', '/api/v1/evaluate', { key: keys[i].key, body });
      assert.equal(e.status, 200, e.text);
      counts.evaluations++;
      const r = await call('POST', '/api/v1/receipt', {
        key: keys[i].key,
        body: { evaluation_id: e.json.evaluation_id, outcome: 'succeeded', action_hash: e.json.action_hash },
      });
      if (deny) {
        assert.equal(r.status, 409, r.text);
        counts.refused++;
      } else {
        assert.equal(r.status, 201, r.text);
        counts.receipts++;
      }
      if (i === 0 && n % 4 === 0) {
        const p = await call('PUT', '/api/v1/policy', { key: ws.admin.key, body: POLICY });
        assert.equal(p.status, 201, p.text);
        counts.published++;
      }
    }
    return counts;
  }

  test('every event is sealed once, in one gapless chain that verify-audit accepts', async () => {
    const before = auditEvents(ws.id).length;
    const all = await Promise.all(keys.map((_, i) => writer(i)));
    const sum = (k) => all.reduce((a, c) => a + c[k], 0);
    // Wait for the sealer (agentnexus-cron deliver --watch) to chain everything.
    await waitSealed(ws.id);
    const events = auditEvents(ws.id);
    const byType = (t) => events.filter((e) => e.event_type === t).length;
    assert.equal(byType('evaluation.created'), sum('evaluations'));
    assert.equal(byType('receipt.recorded'), sum('receipts'));
    assert.equal(byType('receipt.refused'), sum('refused'));
    assert.equal(byType('policy.published'), sum('published') + 1);
    assert.equal(events.length, before + sum('evaluations') + sum('receipts') + sum('refused') + sum('published'));
    const seqs = events.map((e) => Number(e.seq)).sort((a, b) => a - b);
    assert.deepEqual(seqs, Array.from({ length: seqs.length }, (_, i) => i + 1), 'seq is 1..N without gaps or repeats');
    const head = psql(`SELECT seq FROM audit_chain_heads WHERE workspace_id = ${sqlLiteral(ws.id)}`);
    assert.equal(Number(head), seqs.length, 'the chain head is the last event');
    const v = verifyAudit(ws.id);
    assert.equal(v.status, 0, `verify-audit: ${v.stdout}${v.stderr}`);
    assert.match(v.stdout, /chain: ok/);
    assert.match(v.stdout, new RegExp(`verified events: ${seqs.length}\\b`));
  });
});

describe('the request id of a concurrent request reaches its audit event', () => {
  test('each of 20 parallel evaluations carries its own X-Request-Id', async () => {
    const ws = await createWorkspace('concurrency-rid', { policy: { default: 'allow' } });
    const rids = Array.from({ length: 20 }, () => uniq('rid'));
    const results = await Promise.all(
      rids.map((rid) => call('POST', '/api/v1/evaluate', { key: ws.agent.key, headers: { 'X-Request-Id': rid }, body: { action: 'email.send' } }))
    );
    for (const [i, r] of results.entries()) {
      assert.equal(r.status, 200, r.text);
      assert.equal(r.headers['x-request-id'], rids[i]);
      assert.equal(psql(`SELECT request_id FROM audit_events WHERE subject_id = ${sqlLiteral(r.json.evaluation_id)}`), rids[i]);
    }
  });
});
