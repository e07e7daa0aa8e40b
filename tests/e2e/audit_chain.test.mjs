// The audit hash chain: events written by the agent API are sealed into a per-
// workspace chain, and `agentnexus-cron verify-audit` detects a row altered,
// removed or truncated directly in SQL, naming the first broken event (exit 1).
// Every tampering is undone (or its workspace removed) so the global chain of the
// stack stays verifiable for other tests.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { psql, waitFor } from './lib/stack.mjs';
import { auditEvents, call, createWorkspace, sqlLiteral, verifyAudit } from './lib/workspace.mjs';

async function makeHistory(ws) {
  for (let i = 0; i < 4; i++) {
    const e = await call('POST', '/api/v1/evaluate', { key: ws.agent.key, body: { action: 'email.send', resource: `r/${i}` } });
    assert.equal(e.status, 200, e.text);
    const r = await call('POST', '/api/v1/receipt', { key: ws.agent.key, body: { evaluation_id: e.json.evaluation_id, outcome: 'succeeded' } });
    assert.equal(r.status, 201, r.text);
  }
  await waitFor(
    () => psql(`SELECT count(*) FROM audit_events WHERE workspace_id = ${sqlLiteral(ws.id)} AND hash IS NULL`) === '0',
    { timeout: 20000, interval: 200, what: 'the sealer to chain the events' }
  );
  const events = auditEvents(ws.id).sort((a, b) => a.seq - b.seq);
  assert.ok(events.length >= 10, `enough events (${events.length})`);
  return events;
}

function assertOk(ws) {
  const v = verifyAudit(ws.id);
  assert.equal(v.status, 0, `verify-audit is clean: ${v.stdout}${v.stderr}`);
  assert.match(v.stdout, /chain: ok/);
  return v;
}

function assertBroken(ws, id, why) {
  const v = verifyAudit(ws.id);
  assert.equal(v.status, 1, `verify-audit fails: ${v.stdout}${v.stderr}`);
  assert.match(v.stdout, /^BROKEN: /m);
  if (id !== undefined) assert.match(v.stdout, new RegExp(`event id ${id}\\b`), v.stdout);
  if (why) assert.match(v.stdout, why, v.stdout);
  return v;
}

describe('verify-audit detects rows altered directly in SQL', () => {
  let ws;
  let events;
  before(async () => {
    ws = await createWorkspace('audit-chain', { policy: { default: 'allow' } });
    events = await makeHistory(ws);
  });

  test('an untouched chain verifies', () => {
    const v = assertOk(ws);
    assert.match(v.stdout, new RegExp(`verified events: ${events.length}\\b`));
  });

  // [what, column, SQL expression for the new value]
  for (const [what, column, value] of [
    ['the data of an event', 'data', `jsonb_set(data, '{decision}', '"deny"')`],
    ['the type of an event', 'event_type', `'evaluation.deleted'`],
    ['the actor of an event', 'actor_id', `'someone-else'`],
    ['the time of an event', 'created_at', `created_at - interval '1 hour'`],
  ]) {
    test(`altering ${what} is detected and names the event; undoing it verifies again`, () => {
      const victim = events[Math.floor(events.length / 2)];
      const saved = psql(`SELECT ${column}::text FROM audit_events WHERE id = ${victim.id}`);
      psql(`UPDATE audit_events SET ${column} = ${value} WHERE id = ${victim.id}`);
      try {
        assertBroken(ws, victim.id, /hash does not match/);
        // The whole-installation walk sees it too.
        assert.equal(verifyAudit().status, 1, 'verify-audit without --workspace fails too');
      } finally {
        psql(`UPDATE audit_events SET ${column} = ${sqlLiteral(saved)}::${column === 'created_at' ? 'timestamptz' : column === 'data' ? 'jsonb' : 'text'} WHERE id = ${victim.id}`);
      }
      assertOk(ws);
    });
  }

  test('altering an event together with its stored hash is still detected', () => {
    const i = Math.floor(events.length / 2);
    const victim = events[i];
    const saved = JSON.parse(psql(`SELECT json_build_object('data', data, 'hash', encode(hash, 'hex')) FROM audit_events WHERE id = ${victim.id}`));
    // An attacker without the full chain can at best replace the stored hash.
    psql(`UPDATE audit_events SET data = jsonb_set(data, '{outcome}', '"failed"'), hash = sha256(hash) WHERE id = ${victim.id}`);
    try {
      assertBroken(ws, undefined, /does not match/);
    } finally {
      psql(`UPDATE audit_events SET data = ${sqlLiteral(JSON.stringify(saved.data))}::jsonb, hash = decode(${sqlLiteral(saved.hash)}, 'hex') WHERE id = ${victim.id}`);
    }
    assertOk(ws);
  });
});

describe('verify-audit detects deleted events', () => {
  const doomed = [];
  after(() => {
    // These chains stay broken: remove their workspaces so the installation-wide
    // chain verifies for the tests that follow.
    for (const id of doomed) psql(`DELETE FROM workspaces WHERE id = ${sqlLiteral(id)}`);
  });

  test('a deleted middle event is a sequence gap at the next event', async () => {
    const ws = await createWorkspace('audit-chain-gap', { policy: { default: 'allow' } });
    doomed.push(ws.id);
    const events = await makeHistory(ws);
    const i = Math.floor(events.length / 2);
    psql(`DELETE FROM audit_events WHERE id = ${events[i].id}`);
    assertBroken(ws, events[i + 1].id, /sequence gap/);
  });

  test('deleting the newest events is caught by the chain head', async () => {
    const ws = await createWorkspace('audit-chain-tail', { policy: { default: 'allow' } });
    doomed.push(ws.id);
    const events = await makeHistory(ws);
    const last = events.at(-1);
    psql(`DELETE FROM audit_events WHERE id = ${last.id}`);
    assertBroken(ws, undefined, /recorded head is seq/);
  });
});
