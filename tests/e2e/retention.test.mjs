// Retention purge of evaluations (`agentnexus-cron purge`): terminal
// evaluations older than RETENTION_EVALUATIONS_DAYS go, found per workspace
// through the list index (core/retention.c); pending ones and younger ones stay;
// --dry-run counts without deleting.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { psql, sh } from './lib/stack.mjs';
import { createWorkspace, sqlLiteral } from './lib/workspace.mjs';

const insertEval = (ws, status, age) => {
  const decision = { allowed: 'allow', denied: 'deny' }[status] ?? 'approval_required';
  return psql(
    `INSERT INTO evaluations (id, workspace_id, created_at, action, reason, decision, status, action_hash)` +
      ` VALUES (gen_random_uuid(), ${sqlLiteral(ws)}, now() - interval ${sqlLiteral(age)}, 'retention.test', 'r',` +
      ` ${sqlLiteral(decision)}, ${sqlLiteral(status)}, 'h') RETURNING id`,
  );
};

test('purge removes old terminal evaluations of every workspace, keeps pending and recent ones', async () => {
  const a = await createWorkspace('retention-a');
  const b = await createWorkspace('retention-b');
  const gone = [
    insertEval(a.id, 'allowed', '400 days'),
    insertEval(a.id, 'denied', '366 days'),
    insertEval(a.id, 'approved', '500 days'),
    insertEval(b.id, 'expired', '400 days'),
  ];
  const kept = [
    insertEval(a.id, 'pending', '400 days'),
    insertEval(a.id, 'allowed', '364 days'),
    insertEval(b.id, 'denied', '1 day'),
  ];
  const ids = (list) => list.map(sqlLiteral).join(', ');
  const left = (list) => Number(psql(`SELECT count(*) FROM evaluations WHERE id IN (${ids(list)})`));

  const dry = sh('RETENTION_EVALUATIONS_DAYS=365 "$ANX_CRON_BIN" purge --dry-run');
  const would = Number(/would purge evaluations=(\d+)/.exec(dry)?.[1]);
  assert.ok(would >= gone.length, `the dry run counts at least ours: ${dry}`);
  assert.equal(left(gone), gone.length, 'a dry run deletes nothing');

  const out = sh('RETENTION_EVALUATIONS_DAYS=365 "$ANX_CRON_BIN" purge');
  assert.match(out, /purged evaluations=\d+/);
  assert.equal(left(gone), 0, 'old allowed, denied, approved and expired evaluations are gone');
  assert.equal(left(kept), kept.length, 'pending and younger evaluations stay');
  const again = sh('RETENTION_EVALUATIONS_DAYS=365 "$ANX_CRON_BIN" purge --dry-run');
  assert.match(again, /would purge evaluations=0 /, 'nothing old is left anywhere');
});
