// Analytics stay exact while the audit sealer counts new evaluations
// (sql/0013): before sealing (the analytics_unsealed view), after it
// (analytics_daily), with a decision and a moved created_at in between
// (the UPDATE trigger's deltas), never counted twice. The ground truth is
// the evaluations table itself.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { psql, waitFor, withDeliverPaused } from './lib/stack.mjs';
import { createWorkspace, evaluate, sqlLiteral } from './lib/workspace.mjs';

const POLICY = {
  default: 'allow',
  rules: [
    { name: 'no-drops', when: { action: 'db.drop' }, effect: 'deny', reason: 'No drops' },
    {
      name: 'big-payments',
      when: { action: 'payments.send', amount: { gt: 1000 } },
      effect: 'require_approval',
      approval: { stages: [{ role: 'manager' }], timeout_seconds: 3600 },
    },
  ],
};

const counted = (ws) =>
  psql(
    `SELECT coalesce(string_agg(k || '=' || n, ' ' ORDER BY k), '') FROM (` +
      ` SELECT day || '/' || decision || '/' || status || '/' || action || '/' || matched_rule AS k, sum(n) AS n FROM (` +
      `  SELECT day, decision, status, action, matched_rule, n FROM analytics_daily WHERE workspace_id = ${sqlLiteral(ws)}` +
      `  UNION ALL SELECT day, decision, status, action, matched_rule, n FROM analytics_deltas WHERE workspace_id = ${sqlLiteral(ws)}` +
      `  UNION ALL SELECT day, decision, status, action, matched_rule, n FROM analytics_unsealed WHERE workspace_id = ${sqlLiteral(ws)}` +
      ` ) x GROUP BY 1 HAVING sum(n) <> 0) y`,
  );
const truth = (ws) =>
  psql(
    `SELECT coalesce(string_agg(k || '=' || n, ' ' ORDER BY k), '') FROM (` +
      ` SELECT (created_at AT TIME ZONE 'UTC')::date || '/' || decision || '/' || status || '/' || action || '/'` +
      `  || coalesce(matched_rule, '') AS k, count(*) AS n FROM evaluations WHERE workspace_id = ${sqlLiteral(ws)} GROUP BY 1) y`,
  );
const unsealed = (ws) => Number(psql(`SELECT count(*) FROM analytics_unsealed WHERE workspace_id = ${sqlLiteral(ws)}`));

test('new evaluations count once: unsealed, sealed, decided and moved in between', async () => {
  const ws = await createWorkspace('analytics-exact', { policy: POLICY });
  // The sealer holds still while the evaluations are made and changed.
  await withDeliverPaused(async () => {
    for (let i = 0; i < 3; i++) assert.equal((await evaluate(ws.agent.key, { action: 'email.send' })).status, 200);
    assert.equal((await evaluate(ws.agent.key, { action: 'db.drop' })).json.decision, 'deny');
    const pending = (await evaluate(ws.agent.key, { action: 'payments.send', amount: 5000 })).json;
    assert.equal(pending.decision, 'approval_required');
    assert.equal(unsealed(ws.id), 5, 'nothing is sealed yet');
    assert.equal(counted(ws.id), truth(ws.id), 'exact before sealing');
    // Decided, and moved two days back, before its event is sealed.
    psql(
      `UPDATE evaluations SET status = 'approved', decided_at = now(), created_at = created_at - interval '2 days'` +
        ` WHERE id = ${sqlLiteral(pending.evaluation_id)}`,
    );
    assert.equal(counted(ws.id), truth(ws.id), 'exact after a change to an unsealed evaluation');
  });
  await waitFor(() => unsealed(ws.id) === 0, { what: 'the sealer' });
  assert.equal(counted(ws.id), truth(ws.id), 'exact after sealing, nothing counted twice');
  const daily = psql(`SELECT coalesce(sum(n), 0) FROM analytics_daily WHERE workspace_id = ${sqlLiteral(ws.id)}`);
  assert.ok(Number(daily) >= 5, `the sealer wrote the rollup: ${daily}`);
  // Later evaluations are counted the same way.
  assert.equal((await evaluate(ws.agent.key, { action: 'email.send' })).status, 200);
  assert.equal(counted(ws.id), truth(ws.id));
  await waitFor(() => unsealed(ws.id) === 0, { what: 'the sealer' });
  assert.equal(counted(ws.id), truth(ws.id));
});
