// Migration 0012 (audit_seals): a chain sealed by the old sealer, which wrote
// seq, prev_hash and hash into audit_events, still verifies after the chain
// moved to audit_seals, and the events not sealed before the migration are
// sealed after it, continuing each workspace's chain.
//
// A scratch database in the test cluster is migrated up to 0011, then gets
// events sealed the old way - the hashes computed here from the documented
// definition (core/audit_chain.h), independently of the C code - then the
// remaining migrations run and the new binaries take over.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { cpSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { env, sh, sourceDir } from './lib/stack.mjs';
import { jcs, sqlLiteral } from './lib/workspace.mjs';

const dbName = `anx_mig_${process.pid}`;
const url = env.DATABASE_URL.replace(/\/[^/?]+(\?|$)/, `/${dbName}$1`);
const sqlDir = path.join(sourceDir, 'sql');

function q(sql) {
  const r = spawnSync('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-At', '-d', url, '-c', sql], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`psql failed: ${r.stderr}`);
  return r.stdout.trim();
}

function cron(args, dir = sqlDir) {
  return sh(`ANX_SQL_DIR=${dir} DATABASE_URL='${url}' "$ANX_CRON_BIN" ${args}`, { check: false });
}

const CANON =
  `json_build_object('id', id, 'workspace_id', workspace_id,` +
  ` 'created_at', to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),` +
  ` 'actor_type', actor_type, 'actor_id', actor_id, 'event_type', event_type, 'subject_type', subject_type,` +
  ` 'subject_id', subject_id, 'data', data, 'request_id', request_id)`;

/** Seals the first n events in (txid, id) order as the sealer before 0012 did. */
function sealOldWay(n) {
  const rows = JSON.parse(q(`SELECT json_agg(${CANON} ORDER BY txid, id) FROM audit_events`));
  const heads = new Map();
  for (const ev of rows.slice(0, n)) {
    const h = heads.get(ev.workspace_id) || { seq: 0, hash: Buffer.alloc(32) };
    const seq = h.seq + 1;
    const hash = createHash('sha256').update(h.hash).update(jcs({ ...ev, seq }), 'utf8').digest();
    q(
      `UPDATE audit_events SET seq = ${seq}, prev_hash = '\\x${h.hash.toString('hex')}',` +
        ` hash = '\\x${hash.toString('hex')}', sealed_at = now() WHERE id = ${ev.id}`
    );
    heads.set(ev.workspace_id, { seq, hash });
  }
  for (const [ws, h] of heads)
    q(`INSERT INTO audit_chain_heads (workspace_id, seq, hash) VALUES (${sqlLiteral(ws)}, ${h.seq}, '\\x${h.hash.toString('hex')}')`);
}

describe('migration 0012 keeps chains sealed before it verifiable', () => {
  let oldDir;
  let ws;
  before(() => {
    sh(`$ANX_PSQL_ADMIN -c 'CREATE DATABASE ${dbName} OWNER ${env.DATABASE_URL.match(/^postgresql:\/\/([^:@]+)/)[1]}'`);
    oldDir = mkdtempSync(path.join(os.tmpdir(), 'anx-sql-'));
    for (const f of readdirSync(sqlDir)) if (/^\d{4}_/.test(f) && f < '0012') cpSync(path.join(sqlDir, f), path.join(oldDir, f));
  });
  after(() => {
    sh(`$ANX_PSQL_ADMIN -c 'DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)'`, { check: false });
    if (oldDir) rmSync(oldDir, { recursive: true, force: true });
  });

  test('sealed before, verified after; the rest is sealed by the new sealer', () => {
    let r = cron('migrate', oldDir);
    assert.equal(r.status, 0, r.stderr);
    const [a, b] = [
      q(`INSERT INTO workspaces (name) VALUES ('A') RETURNING id`),
      q(`INSERT INTO workspaces (name) VALUES ('B') RETURNING id`),
    ];
    const ins = (ws, n, data) =>
      `INSERT INTO audit_events (workspace_id, actor_type, actor_id, event_type, subject_type, subject_id, data, request_id)` +
      ` SELECT ${sqlLiteral(ws)}, 'system', NULL, 'test.event', 'thing', 'x-' || g, ${sqlLiteral(JSON.stringify(data))}::jsonb || jsonb_build_object('g', g), 'rid-' || g` +
      ` FROM generate_series(1, ${n}) g;`;
    // Three transactions (three txids), the workspaces interleaved.
    q(ins(a, 4, { amount: 2500.5, note: 'é “quoted” \u2028', nested: { z: [1, 2], a: null } }));
    q(ins(b, 3, {}) + ins(a, 2, { b: true }));
    q(ins(b, 2, { last: 1 }) + ins(a, 2, {}));
    sealOldWay(10); // 13 events: the last 3 in (txid, id) order stay unsealed

    r = cron('migrate');
    assert.equal(r.status, 0, r.stderr);
    assert.equal(q(`SELECT count(*) FROM audit_seals`), '10');
    assert.deepEqual(
      q(`SELECT indexname FROM pg_indexes WHERE tablename = 'audit_events' ORDER BY 1`).split('\n'),
      ['audit_events_pkey', 'audit_events_txid', 'audit_events_ws_actor', 'audit_events_ws_subject', 'audit_events_ws_time', 'audit_events_ws_type'],
      'audit_events keeps the primary key, the sealer index and the list indexes only'
    );
    assert.equal(q(`SELECT count(*) FROM information_schema.columns WHERE table_name = 'audit_events' AND column_name IN ('seq', 'prev_hash', 'hash', 'sealed_at')`), '0');

    r = cron('verify-audit');
    assert.equal(r.status, 0, `chains sealed before 0012 verify: ${r.stdout}${r.stderr}`);
    assert.match(r.stdout, /verified events: 10\b/);
    assert.match(r.stdout, /unsealed events: 3\b/);

    r = cron('deliver');
    assert.equal(r.status, 0, r.stderr);
    r = cron('verify-audit');
    assert.equal(r.status, 0, `after the new sealer: ${r.stdout}${r.stderr}`);
    assert.match(r.stdout, /verified events: 13\b/);
    assert.match(r.stdout, /unsealed events: 0\b/);
    assert.equal(q(`SELECT string_agg(seq::text, ',' ORDER BY seq) FROM audit_seals WHERE workspace_id = ${sqlLiteral(a)}`), '1,2,3,4,5,6,7,8');
    assert.equal(q(`SELECT seq FROM audit_chain_heads WHERE workspace_id = ${sqlLiteral(b)}`), '5');
    ws = { a, b };
  });

  test('a retention purge deletes old events with their seals and anchors the chain', () => {
    // Age the first three events of A past RETENTION_AUDIT_DAYS (730). Their
    // hashes no longer match, but they are about to go: the anchor keeps the
    // hash of the last purged seal and verification starts after it.
    q(
      `UPDATE audit_events SET created_at = created_at - interval '800 days' WHERE id IN` +
        ` (SELECT event_id FROM audit_seals WHERE workspace_id = ${sqlLiteral(ws.a)} AND seq <= 3)`
    );
    const r = cron('purge');
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /audit_events=3\b/, r.stdout);
    assert.equal(q(`SELECT min(seq) || '-' || max(seq) FROM audit_seals WHERE workspace_id = ${sqlLiteral(ws.a)}`), '4-8');
    assert.equal(q(`SELECT count(*) FROM audit_events WHERE workspace_id = ${sqlLiteral(ws.a)}`), '5');
    assert.equal(q(`SELECT count(*) FROM audit_seals WHERE workspace_id = ${sqlLiteral(ws.b)}`), '5', 'B untouched');
    assert.equal(q(`SELECT seq FROM audit_chain_anchors WHERE workspace_id = ${sqlLiteral(ws.a)}`), '3');
    const v = cron('verify-audit');
    assert.equal(v.status, 0, `verifies from the anchor: ${v.stdout}${v.stderr}`);
    assert.match(v.stdout, /verified events: 10\b/);
  });
});
