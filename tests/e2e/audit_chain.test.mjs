// The audit hash chain: events written by the agent API are sealed into a per-
// workspace chain (audit_seals), and `agentnexus-cron verify-audit` detects an
// event altered or removed, a seal altered or removed, and a truncated tail
// directly in SQL, naming the first broken event (exit 1). Every tampering is
// undone (or its workspace removed) so the global chain of the stack stays
// verifiable for other tests. The sealer chains events committed out of txid
// order without gaps, and a deleted workspace takes its seals with it.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { env, psql, waitFor } from './lib/stack.mjs';
import { auditEvents, call, createWorkspace, jcs, sqlLiteral, verifyAudit, waitSealed } from './lib/workspace.mjs';

async function makeHistory(ws) {
  for (let i = 0; i < 4; i++) {
    const e = await call('POST', '/api/v1/evaluate', { key: ws.agent.key, body: { action: 'email.send', resource: `r/${i}` } });
    assert.equal(e.status, 200, e.text);
    const r = await call('POST', '/api/v1/receipt', { key: ws.agent.key, body: { evaluation_id: e.json.evaluation_id, outcome: 'succeeded' } });
    assert.equal(r.status, 201, r.text);
  }
  await waitSealed(ws.id);
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

/** The seals of a workspace in chain order: [{seq, event_id, prev, hash}]. */
function seals(wsId) {
  return JSON.parse(
    psql(
      `SELECT coalesce(json_agg(json_build_object('seq', seq, 'event_id', event_id, 'prev', encode(prev_hash, 'hex'),` +
        ` 'hash', encode(hash, 'hex')) ORDER BY seq), '[]') FROM audit_seals WHERE workspace_id = ${sqlLiteral(wsId)}`
    )
  );
}

/**
 * The chain recomputed here, independently of core/audit_chain.c, from the
 * definition in core/audit_chain.h: hash = SHA-256(prev_hash || JCS(event)).
 */
function recomputeChain(wsId) {
  const rows = JSON.parse(
    psql(
      `SELECT coalesce(json_agg(json_build_object('seq', s.seq, 'event', json_build_object('id', e.id,` +
        ` 'workspace_id', e.workspace_id, 'seq', s.seq,` +
        ` 'created_at', to_char(e.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),` +
        ` 'actor_type', e.actor_type, 'actor_id', e.actor_id, 'event_type', e.event_type,` +
        ` 'subject_type', e.subject_type, 'subject_id', e.subject_id, 'data', e.data, 'request_id', e.request_id))` +
        ` ORDER BY s.seq), '[]') FROM audit_seals s JOIN audit_events e ON e.id = s.event_id` +
        ` WHERE s.workspace_id = ${sqlLiteral(wsId)}`
    )
  );
  let prev = Buffer.alloc(32);
  return rows.map((r) => {
    const hash = createHash('sha256').update(prev).update(jcs(r.event), 'utf8').digest();
    const out = { seq: r.seq, prev: prev.toString('hex'), hash: hash.toString('hex') };
    prev = hash;
    return out;
  });
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
    assert.match(v.stdout, /unsealed events: 0\b/);
  });

  test('the seals are the documented hash chain, seq 1..N', () => {
    const got = seals(ws.id);
    assert.deepEqual(
      got.map((s) => s.seq),
      events.map((_, i) => i + 1)
    );
    assert.deepEqual(
      got.map(({ seq, prev, hash }) => ({ seq, prev, hash })),
      recomputeChain(ws.id)
    );
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

  test('altering an event together with its seal\'s hash is still detected', () => {
    const victim = events[Math.floor(events.length / 2)];
    const saved = JSON.parse(
      psql(
        `SELECT json_build_object('data', e.data, 'hash', encode(s.hash, 'hex')) FROM audit_events e` +
          ` JOIN audit_seals s ON s.event_id = e.id WHERE e.id = ${victim.id}`
      )
    );
    // An attacker without the full chain can at best replace the stored hash.
    psql(`UPDATE audit_events SET data = jsonb_set(data, '{outcome}', '"failed"') WHERE id = ${victim.id}`);
    psql(`UPDATE audit_seals SET hash = sha256(hash) WHERE event_id = ${victim.id}`);
    try {
      assertBroken(ws, undefined, /does not match/);
    } finally {
      psql(`UPDATE audit_events SET data = ${sqlLiteral(JSON.stringify(saved.data))}::jsonb WHERE id = ${victim.id}`);
      psql(`UPDATE audit_seals SET hash = decode(${sqlLiteral(saved.hash)}, 'hex') WHERE event_id = ${victim.id}`);
    }
    assertOk(ws);
  });

  for (const [what, column, why] of [
    ['hash', 'hash', /hash does not match the event's content/],
    ['prev_hash', 'prev_hash', /prev_hash does not match/],
  ]) {
    test(`altering the ${what} of a seal is detected and names its event`, () => {
      const victim = events[Math.floor(events.length / 2)];
      const saved = psql(`SELECT encode(${column}, 'hex') FROM audit_seals WHERE event_id = ${victim.id}`);
      psql(`UPDATE audit_seals SET ${column} = sha256(${column}) WHERE event_id = ${victim.id}`);
      try {
        assertBroken(ws, victim.id, why);
      } finally {
        psql(`UPDATE audit_seals SET ${column} = decode(${sqlLiteral(saved)}, 'hex') WHERE event_id = ${victim.id}`);
      }
      assertOk(ws);
    });
  }

  test('an event slipped in behind the sealer (an old txid) is reported: it would never be sealed', () => {
    const id = psql(
      `INSERT INTO audit_events (workspace_id, txid, actor_type, event_type) VALUES (${sqlLiteral(ws.id)}, '3', 'system', 'forged.event') RETURNING id`
    );
    try {
      const v = assertBroken(ws, id, /behind the sealer's position/);
      assert.match(v.stdout, /unsealed events: 1\b/);
    } finally {
      psql(`DELETE FROM audit_events WHERE id = ${id}`);
    }
    assertOk(ws);
  });
});

describe('verify-audit detects deleted events and seals', () => {
  const doomed = [];
  after(() => {
    // These chains stay broken: remove their workspaces so the installation-wide
    // chain verifies for the tests that follow.
    for (const id of doomed) psql(`DELETE FROM workspaces WHERE id = ${sqlLiteral(id)}`);
  });

  async function history(label) {
    const ws = await createWorkspace(label, { policy: { default: 'allow' } });
    doomed.push(ws.id);
    return { ws, events: await makeHistory(ws) };
  }

  test('a deleted middle event is named: its seal remains', async () => {
    const { ws, events } = await history('audit-chain-del-event');
    const i = Math.floor(events.length / 2);
    psql(`DELETE FROM audit_events WHERE id = ${events[i].id}`);
    assertBroken(ws, events[i].id, /the sealed event was deleted/);
  });

  test('a deleted middle seal is a sequence gap at the next event', async () => {
    const { ws, events } = await history('audit-chain-del-seal');
    const i = Math.floor(events.length / 2);
    psql(`DELETE FROM audit_seals WHERE event_id = ${events[i].id}`);
    assertBroken(ws, events[i + 1].id, /sequence gap/);
  });

  test('a deleted middle event together with its seal is a sequence gap', async () => {
    const { ws, events } = await history('audit-chain-del-both');
    const i = Math.floor(events.length / 2);
    psql(`DELETE FROM audit_seals WHERE event_id = ${events[i].id}; DELETE FROM audit_events WHERE id = ${events[i].id}`);
    assertBroken(ws, events[i + 1].id, /sequence gap/);
  });

  test('deleting the newest event is named', async () => {
    const { ws, events } = await history('audit-chain-del-last');
    psql(`DELETE FROM audit_events WHERE id = ${events.at(-1).id}`);
    assertBroken(ws, events.at(-1).id, /the sealed event was deleted/);
  });

  test('deleting the newest events with their seals is caught by the chain head', async () => {
    const { ws, events } = await history('audit-chain-tail');
    const last = events.at(-1);
    psql(`DELETE FROM audit_seals WHERE event_id = ${last.id}; DELETE FROM audit_events WHERE id = ${last.id}`);
    assertBroken(ws, undefined, /recorded head is seq/);
  });
});

/** Runs one psql session in the background; resolves with its output and exit time. */
function psqlAsync(sql) {
  return new Promise((resolve, reject) => {
    const p = spawn('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-At', '-d', env.DATABASE_URL, '-c', sql]);
    let out = '';
    let err = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (err += d));
    p.on('error', reject);
    p.on('close', (code) => (code === 0 ? resolve({ out: out.trim(), at: Date.now() }) : reject(new Error(`psql failed: ${err}`))));
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

describe('the sealer', () => {
  test('events committed out of txid order by 8 parallel writers are sealed 1..N in (txid, id) order', async () => {
    const ws = await createWorkspace('audit-chain-order', { policy: { default: 'allow' } });
    await waitSealed(ws.id);
    const before = auditEvents(ws.id).length;
    // Writer k takes its txid k-th and commits (8 - k)-th: the later a writer
    // started, the sooner its events become visible, so the sealer sees them
    // before the events of transactions with smaller txids.
    const writers = [];
    let done = 0;
    for (let k = 0; k < 8; k++) {
      const hold = 1.0 + (7 - k) * 0.4;
      writers.push(
        psqlAsync(
          `BEGIN; SELECT pg_current_xact_id(); SELECT pg_sleep(${hold});` +
            ` INSERT INTO audit_events (workspace_id, actor_type, event_type, data)` +
            ` SELECT ${sqlLiteral(ws.id)}, 'system', 'test.writer', jsonb_build_object('writer', ${k}, 'n', g)` +
            ` FROM generate_series(1, 5) g; COMMIT;`
        ).then((r) => {
          done++;
          return { k, txid: BigInt(r.out.split('\n')[0]), at: r.at };
        })
      );
      await sleep(100);
    }
    // While writer 0 still holds the oldest transaction open, the events of
    // the writers that committed are counted as not sealed yet.
    await waitFor(() => psql(`SELECT count(*) FROM audit_events WHERE workspace_id = ${sqlLiteral(ws.id)} AND event_type = 'test.writer'`) !== '0', {
      timeout: 15000,
      what: 'a writer to commit',
    });
    const mid = verifyAudit(ws.id);
    assert.equal(mid.status, 0, `verify-audit while writers run: ${mid.stdout}${mid.stderr}`);
    const unsealedMid = Number(/unsealed events: (\d+)/.exec(mid.stdout)[1]);
    if (done === 0) assert.ok(unsealedMid >= 5, `committed events behind an open transaction wait (${mid.stdout})`);

    const res = await Promise.all(writers);
    const byTxid = [...res].sort((a, b) => (a.txid < b.txid ? -1 : 1));
    const byCommit = [...res].sort((a, b) => a.at - b.at);
    assert.notDeepEqual(
      byTxid.map((r) => r.k),
      byCommit.map((r) => r.k),
      'the writers committed out of txid order'
    );
    await waitSealed(ws.id);
    const events = auditEvents(ws.id);
    assert.equal(events.length, before + 40);
    const chain = JSON.parse(
      psql(
        `SELECT json_agg(json_build_object('seq', s.seq, 'txid', e.txid::text, 'id', e.id) ORDER BY s.seq)` +
          ` FROM audit_seals s JOIN audit_events e ON e.id = s.event_id WHERE s.workspace_id = ${sqlLiteral(ws.id)}`
      )
    );
    assert.deepEqual(
      chain.map((c) => c.seq),
      Array.from({ length: events.length }, (_, i) => i + 1),
      'seq is 1..N without gaps or repeats'
    );
    for (let i = 1; i < chain.length; i++) {
      const [a, b] = [chain[i - 1], chain[i]];
      assert.ok(BigInt(a.txid) < BigInt(b.txid) || (a.txid === b.txid && a.id < b.id), `seq ${b.seq} follows seq ${a.seq} in (txid, id) order`);
    }
    assert.equal(Number(psql(`SELECT seq FROM audit_chain_heads WHERE workspace_id = ${sqlLiteral(ws.id)}`)), events.length);
    const v = assertOk(ws);
    assert.match(v.stdout, new RegExp(`verified events: ${events.length}\\b`));
    assert.match(v.stdout, /unsealed events: 0\b/);
  });

  test('deleting a workspace deletes its seals and leaves the others', async () => {
    const a = await createWorkspace('audit-chain-drop', { policy: { default: 'allow' } });
    const b = await createWorkspace('audit-chain-keep', { policy: { default: 'allow' } });
    await makeHistory(a);
    await makeHistory(b);
    const count = (id) => Number(psql(`SELECT count(*) FROM audit_seals WHERE workspace_id = ${sqlLiteral(id)}`));
    const keep = count(b.id);
    assert.ok(count(a.id) > 0 && keep > 0);
    psql(`DELETE FROM workspaces WHERE id = ${sqlLiteral(a.id)}`);
    assert.equal(count(a.id), 0, 'the deleted workspace has no seals left');
    assert.equal(count(b.id), keep, 'the other workspace keeps its seals');
    assertOk(b);
  });
});
