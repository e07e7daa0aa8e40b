// Webhooks, end to end (docs/WEBHOOKS.md): a receiver in this process verifies
// every delivery with the npm `standardwebhooks` reference library and checks
// X-AgentNexus-Signature by hand (lib/receiver.mjs).
//
//  - An approval flow (two stages) delivers approval_required for each stage,
//    then terminal_outcome, while the receiver answers 500 three times per event
//    before 200: every event is retried with growing gaps and delivered once,
//    nothing is lost, and each payload is frozen and shaped like
//    GET /api/v1/evaluations/{id}.
//  - Replays (POST /api/cron/replay-webhook, `agentnexus-cron replay --id`)
//    re-send the same webhook-id and bytes; 410 Gone makes a delivery dead at
//    once, and --failed-since / failed_since bring it back.
//  - A receiver that never answers does not hold up anyone else's deliveries.
//
// Time: the backoff base is 30 s, so instead of waiting the test reads each
// scheduled gap (next_attempt_at - attempted_at) from the database, then makes
// the delivery due at once (UPDATE … next_attempt_at = now(); NOTIFY
// anx_outbox) and lets the stack's `agentnexus-cron deliver --watch` take it.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { approve, assertError, callApi, cron, lit, makeWorkspace } from './lib/approvals.mjs';
import { approvalToken, waitForMail } from './lib/mail.mjs';
import { startReceiver } from './lib/receiver.mjs';
import { env, psql as psqlOnce, waitFor } from './lib/stack.mjs';

/** psql() that waits out a restart of the shared stack's database (up to 30 s). */
function psql(q) {
  const deadline = Date.now() + 30000;
  for (;;) {
    try {
      return psqlOnce(q);
    } catch (e) {
      const down = /could not connect|connection to server|server closed the connection|database system is/.test(e.message);
      if (!down || Date.now() > deadline) throw e;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 250);
    }
  }
}

const POLICY = {
  default: 'allow',
  rules: [
    { name: 'no-drops', when: { action: 'db.drop' }, effect: 'deny', reason: 'Never drop' },
    {
      name: 'two-stage',
      when: { action: 'payments.send' },
      effect: 'require_approval',
      approval: {
        stages: [
          { role: 'manager', min_approvals: 1 },
          { role: 'finance', min_approvals: 1 },
        ],
        timeout_seconds: 3600,
      },
      reason: 'Manager, then finance',
    },
  ],
};

let w;
const receivers = [];

before(async () => {
  w = await makeWorkspace('webhooks', { owner: [], manager: ['manager'], finance: ['finance'] });
  await w.publish(POLICY);
});

after(async () => {
  // Nothing of this file keeps retrying against closed ports on a shared stack.
  psql(`UPDATE webhook_deliveries SET status = 'dead', dead_at = now(), next_attempt_at = NULL,
    lease_until = NULL, lease_token = NULL WHERE workspace_id = ${lit(w.id)} AND status = 'pending'`);
  await Promise.all(receivers.map((r) => r.close()));
});

async function receiver(opts) {
  const r = await startReceiver({ secret: w.webhookSecret, ...opts });
  receivers.push(r);
  return r;
}

const EPOCH = (col) => `extract(epoch FROM ${col})::float8`;

/** The deliveries of an evaluation, oldest first. */
function deliveries(evalId) {
  return JSON.parse(psql(`SELECT coalesce(json_agg(d ORDER BY d.created_at, d.id), '[]') FROM (
    SELECT id, event_type, msg_id, status, attempts, retry_base, replays, payload,
      lease_token IS NOT NULL AS leased, ${EPOCH('next_attempt_at')} AS next_at,
      ${EPOCH('last_attempt_at')} AS last_at, last_status_code, last_error, created_at,
      dead_at IS NOT NULL AS is_dead
    FROM webhook_deliveries WHERE evaluation_id = ${lit(evalId)}) d`));
}

function delivery(id) {
  return JSON.parse(psql(`SELECT row_to_json(d) FROM (
    SELECT id, event_type, msg_id, status, attempts, retry_base, replays, payload,
      lease_token IS NOT NULL AS leased, ${EPOCH('next_attempt_at')} AS next_at,
      ${EPOCH('last_attempt_at')} AS last_at, last_status_code, last_error,
      dead_at IS NOT NULL AS is_dead
    FROM webhook_deliveries WHERE id = ${lit(id)}) d`));
}

/** webhook_attempts rows of a delivery, in order. */
function attempts(id) {
  return JSON.parse(psql(`SELECT coalesce(json_agg(a ORDER BY a.attempt, a.at), '[]') FROM (
    SELECT attempt, ${EPOCH('attempted_at')} AS at, status_code, error, response_excerpt
    FROM webhook_attempts WHERE delivery_id = ${lit(id)}) a`));
}

/** Waits until the delivery has recorded `n` attempts and is not in flight. */
function settled(id, n, what) {
  return waitFor(() => {
    const d = delivery(id);
    return d.attempts >= n && !d.leased ? d : null;
  }, { timeout: 10000, interval: 50, what: what ?? `attempt ${n} of delivery ${id} recorded` });
}

/** Makes a pending delivery due now and wakes the worker. */
function makeDue(id) {
  psql(`UPDATE webhook_deliveries SET next_attempt_at = now() WHERE id = ${lit(id)}
    AND status = 'pending' AND lease_token IS NULL; NOTIFY anx_outbox`);
}

/**
 * Follows one delivery through its failed attempts to the end: after each
 * failure, reads the gap the worker scheduled (next_attempt_at - attempted_at of
 * that attempt), then makes it due. Returns {d (final row), gaps: [seconds]}.
 */
async function drive(id) {
  const gaps = [];
  for (let k = 1; k <= 12; k++) {
    const d = await settled(id, k);
    if (d.status !== 'pending') return { d, gaps };
    const a = attempts(id).find((x) => x.attempt === k);
    assert.ok(a, `attempt ${k} is in webhook_attempts`);
    gaps.push(d.next_at - a.at);
    makeDue(id);
  }
  throw new Error(`delivery ${id} still pending after 12 attempts`);
}

/**
 * The n-th scheduled gap (n = 1 after the first failure) lies in the upper half
 * of the nominal 30 s × 2^(n-1) (plus the moment it took to record the attempt),
 * and each gap is longer than the one before. The bands of two neighbours touch
 * at one value (30 s, 60 s, …): the documented jitter can, rarely, schedule that
 * same whole number twice, which is the only tie accepted.
 */
function assertGrowingGaps(gaps, label) {
  gaps.forEach((g, i) => {
    const nominal = 30 * 2 ** i;
    assert.ok(g >= nominal / 2 && g <= nominal + 2, `${label}: gap ${i + 1} is ${g.toFixed(3)} s, expected ${nominal / 2}–${nominal} s`);
    if (i > 0) {
      const prev = gaps[i - 1];
      const tie = Math.floor(prev) === nominal / 2 && Math.floor(g) === nominal / 2;
      assert.ok(g > prev || tie, `${label}: gap ${i + 1} (${g.toFixed(3)} s) is longer than gap ${i} (${prev.toFixed(3)} s)`);
    }
  });
}

/** The checks every delivery request passes. */
function assertWellFormed(r, type) {
  assert.equal(r.method, 'POST');
  assert.equal(r.path, '/hook');
  assert.equal(r.standardError, null, `standardwebhooks verified ${r.id}: ${r.standardError}`);
  assert.ok(r.xSignatureOk, `X-AgentNexus-Signature verified for ${r.id}`);
  assert.match(r.headers['webhook-id'], /^msg_[A-Za-z0-9]{24}$/);
  assert.match(r.headers['webhook-signature'], /^v1,[A-Za-z0-9+/]{43}=$/);
  assert.match(r.headers['x-agentnexus-signature'], /^sha256=[0-9a-f]{64}$/);
  assert.ok(Math.abs(Number(r.headers['webhook-timestamp']) - Date.now() / 1000) < 30, 'webhook-timestamp is now');
  assert.equal(r.headers['x-agentnexus-event'], type);
  assert.match(r.headers['content-type'], /^application\/json/);
  assert.equal(r.headers['user-agent'], 'AgentNexus-Webhooks/1.0');
  // {id, type, created_at, data: {evaluation}}; id is the webhook-id.
  assert.deepEqual(Object.keys(r.json).sort(), ['created_at', 'data', 'id', 'type']);
  assert.equal(r.json.id, r.id);
  assert.equal(r.json.type, type);
  assert.match(r.json.created_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
  assert.deepEqual(Object.keys(r.json.data), ['evaluation']);
}

/** data.evaluation has exactly the fields of GET /api/v1/evaluations/{id}. */
function assertSameShape(evaluation, got) {
  assert.deepEqual(Object.keys(evaluation).sort(), Object.keys(got).sort(), 'the fields of GET /api/v1/evaluations/{id}');
  for (const k of ['evaluation_id', 'decision', 'policy', 'matched_rule', 'reason', 'action_hash', 'created_at', 'action', 'amount', 'currency', 'summary', 'context', 'webhook_url']) {
    assert.deepEqual(evaluation[k], got[k], `data.evaluation.${k}`);
  }
}

let flow; // the approval flow's evaluation, reused by the replay tests

test('approval flow: approval_required per stage, then terminal_outcome; 500s are retried with growing gaps and nothing is lost', async (t) => {
  const rx = await receiver({ statuses: [500, 500, 500, 200] });
  const summary = w.unique('Pay ACME');
  const ev = await w.evaluate({ action: 'payments.send', amount: 5000, currency: 'USD', summary, webhook_url: rx.url });
  assert.equal(ev.status, 'pending');
  const id = ev.evaluation_id;

  // Stage 1 pending: one approval_required, failing three times, then delivered.
  let [d0] = await waitFor(() => {
    const ds = deliveries(id);
    return ds.length ? ds : null;
  }, { what: 'the approval_required delivery' });
  assert.equal(d0.event_type, 'approval_required');
  const r0 = await drive(d0.id);
  assert.equal(r0.d.status, 'delivered');
  assert.equal(r0.d.attempts, 4);
  assertGrowingGaps(r0.gaps, 'stage 1 approval_required');

  // The manager approves from the email: stage 2 becomes pending.
  const [m1] = await waitForMail({ to: w.users.manager.email, subject: `Approval needed: ${summary}` });
  const a1 = await approve(approvalToken(m1));
  assert.equal(a1.status, 200, a1.text);
  assert.deepEqual(a1.json, { decision: 'approved', evaluation_status: 'pending' });
  const d1 = await waitFor(() => deliveries(id)[1], { what: 'the second approval_required' });
  assert.equal(d1.event_type, 'approval_required');
  const r1 = await drive(d1.id);
  assert.equal(r1.d.status, 'delivered');
  assertGrowingGaps(r1.gaps, 'stage 2 approval_required');

  // Finance approves: the evaluation is approved and terminal_outcome follows.
  const [m2] = await waitForMail({ to: w.users.finance.email, subject: `Approval needed: ${summary}` });
  const a2 = await approve(approvalToken(m2));
  assert.equal(a2.status, 200, a2.text);
  assert.deepEqual(a2.json, { decision: 'approved', evaluation_status: 'approved' });
  const d2 = await waitFor(() => deliveries(id)[2], { what: 'terminal_outcome' });
  assert.equal(d2.event_type, 'terminal_outcome');
  const r2 = await drive(d2.id);
  assert.equal(r2.d.status, 'delivered');
  assertGrowingGaps(r2.gaps, 'terminal_outcome');
  for (const [label, r] of [['stage 1', r0], ['stage 2', r1], ['outcome', r2]]) {
    t.diagnostic(`${label}: scheduled gaps ${r.gaps.map((g) => `${g.toFixed(3)} s`).join(', ')}`);
  }

  // Nothing lost, nothing extra: three events, each delivered, each webhook-id
  // seen four times (500, 500, 500, 200) with the same bytes every time.
  const all = deliveries(id);
  assert.deepEqual(all.map((d) => [d.event_type, d.status, d.attempts]), [
    ['approval_required', 'delivered', 4],
    ['approval_required', 'delivered', 4],
    ['terminal_outcome', 'delivered', 4],
  ]);
  assert.equal(new Set(all.map((d) => d.msg_id)).size, 3);
  for (const d of all) {
    const hits = rx.byId(d.msg_id);
    assert.deepEqual(hits.map((h) => h.status), [500, 500, 500, 200], `${d.event_type} ${d.msg_id}`);
    for (const h of hits) assertWellFormed(h, d.event_type);
    assert.ok(hits.every((h) => h.raw.equals(hits[0].raw)), 'every retry sends the same bytes');
    assert.equal(hits[0].raw.toString('utf8'), d.payload, 'the body is the frozen payload');
    const ts = hits.map((h) => Number(h.headers['webhook-timestamp']));
    assert.ok(ts.every((t, i) => i === 0 || t >= ts[i - 1]), 'each attempt is signed afresh');
    assert.deepEqual(attempts(d.id).map((a) => [a.attempt, a.status_code, a.error]), [
      [1, 500, 'HTTP 500'],
      [2, 500, 'HTTP 500'],
      [3, 500, 'HTTP 500'],
      [4, 200, null],
    ]);
    assert.match(attempts(d.id)[0].response_excerpt, /^ok 500/, 'the response body is kept');
  }
  assert.equal(rx.about(id).length, 12, 'no request the database does not know of');

  // In order: stage 1, stage 2, outcome; each frozen as it was at that moment.
  const firsts = all.map((d) => rx.byId(d.msg_id)[0]);
  assert.ok(firsts[0].at < firsts[1].at && firsts[1].at < firsts[2].at);
  const [e0, e1, e2] = firsts.map((h) => h.json.data.evaluation);
  assert.deepEqual([e0.status, e0.approval.stages.map((s) => s.status)], ['pending', ['pending', 'waiting']]);
  assert.deepEqual([e1.status, e1.approval.stages.map((s) => s.status)], ['pending', ['approved', 'pending']]);
  assert.deepEqual([e2.status, e2.approval.stages.map((s) => s.status)], ['approved', ['approved', 'approved']]);
  const got = await w.get(id);
  assert.equal(got.status, 'approved');
  assertSameShape(e0, got);
  assertSameShape(e1, got);
  assert.deepEqual(e2, got, 'terminal_outcome carries the evaluation exactly as GET shows it');
  flow = { id, rx, terminal: all[2], firstRaw: rx.byId(all[2].msg_id)[0].raw };
});

test('allow and deny: one terminal_outcome at once, data.evaluation equal to GET /api/v1/evaluations/{id}', async () => {
  const rx = await receiver({ statuses: [200] });
  for (const [body, status] of [
    [{ action: 'crm.update', resource: 'customers/42', agent_id: 'bot-1', summary: w.unique('Update'), context: { ticket: 'T-1', n: [1, 2] } }, 'allowed'],
    [{ action: 'db.drop', resource: 'prod/users', summary: w.unique('Drop') }, 'denied'],
  ]) {
    const ev = await w.evaluate({ ...body, webhook_url: rx.url });
    assert.equal(ev.status, status);
    const [hit] = await rx.waitFor((r) => r.json?.data?.evaluation?.evaluation_id === ev.evaluation_id, { what: `${status} terminal_outcome` });
    assertWellFormed(hit, 'terminal_outcome');
    assert.equal(hit.status, 200);
    const got = await w.get(ev.evaluation_id);
    assert.deepEqual(hit.json.data.evaluation, got);
    for (const k of Object.keys(ev)) assert.deepEqual(hit.json.data.evaluation[k], ev[k], `evaluate's ${k}`);
    const ds = await waitFor(() => {
      const x = deliveries(ev.evaluation_id);
      return x.length === 1 && x[0].status === 'delivered' ? x : null;
    }, { what: 'one delivered delivery' });
    assert.deepEqual(ds.map((d) => [d.event_type, d.attempts, d.msg_id]), [['terminal_outcome', 1, hit.id]]);
  }
});

test('replay over HTTP (Bearer CRON_SECRET) and with agentnexus-cron replay re-sends the same webhook-id and bytes', async () => {
  assert.ok(flow, 'the approval flow test ran');
  const { rx, terminal } = flow;
  const path = '/api/cron/replay-webhook';
  const body = { delivery_ids: [terminal.id] };

  // The secret is required.
  assertError(await callApi('POST', path, { body }), 401, 'unauthorized');
  assertError(await callApi('POST', path, { body, headers: { Authorization: 'Bearer not-the-secret' } }), 401, 'unauthorized');
  assertError(await callApi('POST', path, { body, headers: { Authorization: `Basic ${env.CRON_SECRET}` } }), 401, 'unauthorized');
  const auth = { Authorization: `Bearer ${env.CRON_SECRET}` };
  // Exactly one of delivery_ids / failed_since, well formed.
  assertError(await callApi('POST', path, { body: {}, headers: auth }), 422, 'validation_failed');
  assertError(await callApi('POST', path, { body: { delivery_ids: ['nope'] }, headers: auth }), 422, 'validation_failed');
  assertError(await callApi('POST', path, { body: { ...body, failed_since: '2026-01-01T00:00:00Z' }, headers: auth }), 422, 'validation_failed');
  assert.equal(delivery(terminal.id).replays, 0, 'refused calls replayed nothing');

  // HTTP replay: due at once, same webhook-id and payload, signed afresh.
  const r = await callApi('POST', path, { body, headers: auth });
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(r.json, { replayed: 1, ids: [terminal.id] });
  const [h5] = await rx.waitFor((x) => x.id === terminal.msg_id && x.attempt === 5, { what: 'the HTTP replay' });
  assertWellFormed(h5, 'terminal_outcome');
  assert.equal(h5.status, 200);
  assert.ok(h5.raw.equals(flow.firstRaw), 'a replay sends the same bytes');
  let d = await settled(terminal.id, 5);
  assert.deepEqual([d.status, d.attempts, d.retry_base, d.replays], ['delivered', 5, 4, 1]);

  // The shell: prints replayed=N and the ids.
  const out = cron(`replay --id ${terminal.id}`);
  assert.equal(out, `replayed=1\n${terminal.id}\n`);
  const [h6] = await rx.waitFor((x) => x.id === terminal.msg_id && x.attempt === 6, { what: 'the cron replay' });
  assertWellFormed(h6, 'terminal_outcome');
  assert.ok(h6.raw.equals(flow.firstRaw));
  d = await settled(terminal.id, 6);
  assert.deepEqual([d.status, d.attempts, d.replays], ['delivered', 6, 2]);
  assert.equal(rx.byId(terminal.msg_id).length, 6, 'each replay is one more request, no more');

  // Each replay is audited, with who asked.
  const audited = psql(`SELECT string_agg(actor_id, ',' ORDER BY id) FROM audit_events
    WHERE event_type = 'webhook.replayed' AND subject_id = ${lit(terminal.id)}`);
  assert.equal(audited, 'cron_api,cron');
});

test('410 Gone makes a delivery dead at once; failed_since replays bring it back with the same webhook-id', async () => {
  const rx = await receiver({ statuses: [410, 410, 200] });
  const since = psql(`SELECT to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`);
  const ev = await w.evaluate({ action: 'crm.update', summary: w.unique('Gone'), webhook_url: rx.url });
  const [d0] = await waitFor(() => deliveries(ev.evaluation_id)[0]?.attempts >= 1 && deliveries(ev.evaluation_id), { what: 'a delivery' });
  let d = await settled(d0.id, 1);
  assert.deepEqual([d.status, d.attempts, d.is_dead, d.next_at, d.last_status_code], ['dead', 1, true, null, 410]);
  assert.match(d.last_error, /410/);
  assert.equal(psql(`SELECT count(*) FROM audit_events WHERE event_type = 'webhook.dead' AND subject_id = ${lit(d0.id)}`), '1');
  assert.equal(rx.byId(d0.msg_id).length, 1, 'no retry after 410');

  // HTTP, failed_since for this workspace: the dead delivery is sent again (410 again).
  const r = await callApi('POST', '/api/cron/replay-webhook', {
    headers: { Authorization: `Bearer ${env.CRON_SECRET}` },
    body: { failed_since: since, workspace_id: w.id },
  });
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(r.json, { replayed: 1, ids: [d0.id] });
  d = await settled(d0.id, 2);
  assert.deepEqual([d.status, d.attempts, d.last_status_code], ['dead', 2, 410]);

  // The shell, --failed-since: this time the receiver takes it.
  const out = cron(`replay --failed-since ${since} --workspace ${w.id}`);
  assert.equal(out, `replayed=1\n${d0.id}\n`);
  d = await settled(d0.id, 3);
  assert.deepEqual([d.status, d.attempts, d.is_dead, d.replays], ['delivered', 3, false, 2]);
  const hits = rx.byId(d0.msg_id);
  assert.deepEqual(hits.map((h) => h.status), [410, 410, 200]);
  for (const h of hits) assertWellFormed(h, 'terminal_outcome');
  assert.ok(hits.every((h) => h.raw.equals(hits[0].raw)));
  // Delivered deliveries are not "failed": nothing left to replay.
  assert.equal(cron(`replay --failed-since ${since} --workspace ${w.id}`), 'replayed=0\n');
});

test('a receiver that never answers does not block other deliveries', async () => {
  const silent = await receiver({ hang: true });
  const rx = await receiver({ statuses: [200] });
  const stuck = [];
  for (let i = 0; i < 3; i++) {
    stuck.push((await w.evaluate({ action: 'crm.update', summary: w.unique('Silent'), webhook_url: silent.url })).evaluation_id);
  }
  // All three are on the wire, waiting for an answer that does not come.
  await silent.waitFor(() => true, { count: 3, what: 'three requests at the silent receiver' });

  const t0 = Date.now();
  const ev = await w.evaluate({ action: 'crm.update', summary: w.unique('Prompt'), webhook_url: rx.url });
  const [hit] = await rx.waitFor((r) => r.json?.data?.evaluation?.evaluation_id === ev.evaluation_id, { timeout: 8000, what: 'the prompt delivery' });
  assertWellFormed(hit, 'terminal_outcome');
  const d = await settled(deliveries(ev.evaluation_id)[0].id, 1);
  assert.equal(d.status, 'delivered');
  // Well inside the 15 s a silent receiver may hold its own delivery.
  const took = Date.now() - t0;
  assert.ok(took < 5000, `delivered in ${took} ms while three requests hang`);

  // …and the silent ones are still in flight (leased, no attempt recorded yet):
  // the prompt delivery overtook them rather than waiting for their timeout.
  for (const e of stuck) {
    const [s] = deliveries(e);
    assert.deepEqual([s.status, s.attempts, s.leased], ['pending', 0, true], `silent delivery for ${e}`);
  }
});
