// Separation of duties, end to end: one person approves at most one stage of an
// evaluation, and the member who created the requesting API key cannot approve
// its requests — unless the policy's approval says "separation_of_duties": false.
// Every refusal is 403 separation_of_duties, audited, and counts nothing.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  approve,
  assertError,
  auditCount,
  auditTypes,
  callApi,
  lit,
  makeWorkspace,
  mintKey,
  postForm,
} from './lib/approvals.mjs';
import { approvalToken, waitForMail } from './lib/mail.mjs';
import { psql } from './lib/stack.mjs';

const STAGES = [
  { role: 'manager', min_approvals: 1 },
  { role: 'finance', min_approvals: 2 },
];

const POLICY = {
  default: 'allow',
  rules: [
    {
      name: 'sod-default',
      when: { action: 'payments.send' },
      effect: 'require_approval',
      // separation_of_duties left out: it is on by default
      approval: { stages: STAGES, timeout_seconds: 3600 },
      reason: 'Two people, two stages',
    },
    {
      name: 'sod-off',
      when: { action: 'payments.batch' },
      effect: 'require_approval',
      approval: { stages: STAGES, timeout_seconds: 3600, separation_of_duties: false },
      reason: 'Same stages, no separation of duties',
    },
  ],
};

let w;
let creatorKey; // an agent key whose created_by is finance1

before(async () => {
  w = await makeWorkspace('sod', {
    owner: ['manager', 'finance'],
    manager: ['manager'],
    finance1: ['finance'],
    finance2: ['finance'],
  });
  await w.publish(POLICY);
  creatorKey = mintKey(w.id, 'agent', 'made by finance1');
  psql(`UPDATE api_keys SET created_by = ${lit(w.users.finance1.id)} WHERE id = ${lit(creatorKey.id)}`);
});

/** Token of the n-th (1-based) approval request email for user about summary. */
async function tokenFor(user, summary, n = 1) {
  const got = await waitForMail({ to: user.email, subject: `Approval needed: ${summary}` }, { count: n });
  return approvalToken(got[n - 1]);
}

async function start(action, key) {
  const summary = w.unique(action);
  const ev = await w.evaluate({ action, amount: 10, summary }, key);
  assert.equal(ev.status, 'pending');
  return { id: ev.evaluation_id, summary };
}

function refusals(id) {
  return psql(`SELECT data->>'stage', data->>'reason', actor_id FROM audit_events
    WHERE subject_id = ${lit(id)} AND event_type = 'approval.refused' ORDER BY id`)
    .split('\n')
    .filter(Boolean);
}

test('the owner approves stage 1 as manager, then their finance link is refused', async () => {
  const { owner, finance1, finance2 } = w.users;
  const { id, summary } = await start('payments.send');
  let r = await approve(await tokenFor(owner, summary));
  assert.equal(r.status, 200, r.text);

  const ownerFinance = await tokenFor(owner, summary, 2);
  assertError(await approve(ownerFinance), 403, 'separation_of_duties');
  // Again, and through the page's form: refused each time, nothing counted.
  const form = await postForm('/api/approval/approve', { token: ownerFinance });
  assert.equal(form.status, 403);
  assert.match(form.text, /Separation of duties/);
  assert.deepEqual(refusals(id), [
    `1|approved another stage of this evaluation|${owner.id}`,
    `1|approved another stage of this evaluation|${owner.id}`,
  ]);
  let got = await w.get(id);
  assert.equal(got.approval.stages[1].approved, 0);
  assert.equal(got.approval.stages[1].approvers.find((a) => a.email === owner.email).status, 'open');

  // The two other finance members reach the quorum.
  r = await approve(await tokenFor(finance1, summary));
  assert.deepEqual(r.json, { decision: 'approved', evaluation_status: 'pending' });
  r = await approve(await tokenFor(finance2, summary));
  assert.deepEqual(r.json, { decision: 'approved', evaluation_status: 'approved' });
  got = await w.get(id);
  assert.equal(got.status, 'approved');
  assertError(await approve(ownerFinance), 409, 'approval_closed');
  assert.equal(auditCount(id, 'evaluation.approved'), 1);
});

test('the member who created the API key cannot approve what it requested', async () => {
  const { manager, owner, finance1, finance2 } = w.users;
  const { id, summary } = await start('payments.send', creatorKey.key);
  assert.equal((await approve(await tokenFor(manager, summary))).status, 200);

  const f1 = await tokenFor(finance1, summary);
  assertError(await approve(f1), 403, 'separation_of_duties');
  assert.deepEqual(refusals(id), [`1|created the API key that requested this action|${finance1.id}`]);
  assert.equal((await w.get(id)).approval.stages[1].approved, 0);

  // The owner did not approve stage 1 here, so they may approve stage 2 (their
  // second email: the first asked them as manager).
  let r = await approve(await tokenFor(owner, summary, 2));
  assert.equal(r.status, 200, r.text);
  r = await approve(await tokenFor(finance2, summary));
  assert.deepEqual(r.json, { decision: 'approved', evaluation_status: 'approved' });
  assertError(await approve(f1), 409, 'approval_closed');
});

test('the key creator is refused in stage 1 too, with the manager role', async () => {
  // finance1 gains the manager role for this test only.
  const { finance1, manager } = w.users;
  psql(`UPDATE workspace_members SET approval_roles = ARRAY['finance','manager']
    WHERE workspace_id = ${lit(w.id)} AND user_id = ${lit(finance1.id)}`);
  let id;
  let summary;
  try {
    ({ id, summary } = await start('payments.send', creatorKey.key));
  } finally {
    psql(`UPDATE workspace_members SET approval_roles = ARRAY['finance']
      WHERE workspace_id = ${lit(w.id)} AND user_id = ${lit(finance1.id)}`);
  }
  const f1 = await tokenFor(finance1, summary);
  assertError(await approve(f1), 403, 'separation_of_duties');
  assert.equal((await w.get(id)).approval.stages[0].status, 'pending');
  // Rejecting is not approving: the creator may still stop their own request.
  const r = await callApi('POST', '/api/approval/reject', { body: { token: f1, comment: 'my agent misbehaved' } });
  assert.equal(r.status, 200, r.text);
  assert.equal((await w.get(id)).status, 'rejected');
  assertError(await approve(await tokenFor(manager, summary)), 409, 'approval_closed');
  assert.deepEqual(auditTypes(id), ['evaluation.created', 'approval.refused', 'approval.rejected', 'evaluation.rejected']);
});

test('"separation_of_duties": false lets one person approve two stages, and the key creator approve', async () => {
  const { owner, finance1 } = w.users;
  const { id, summary } = await start('payments.batch', creatorKey.key);
  let r = await approve(await tokenFor(owner, summary));
  assert.equal(r.status, 200, r.text);
  r = await approve(await tokenFor(owner, summary, 2));
  assert.deepEqual(r.json, { decision: 'approved', evaluation_status: 'pending' });
  r = await approve(await tokenFor(finance1, summary));
  assert.deepEqual(r.json, { decision: 'approved', evaluation_status: 'approved' });
  const got = await w.get(id);
  assert.equal(got.status, 'approved');
  assert.deepEqual(got.approval.stages.map((s) => s.approved), [1, 2]);
  assert.deepEqual(refusals(id), []);
});
