// Approvals and time: expiry by `agentnexus-cron timeouts`, the one reminder
// before expiry (by POST /api/cron/approval-timeouts) with a fresh link, and
// round-robin assignment that asks one holder at a time and moves on after
// reassign_after_seconds. Time passes by moving timestamps in the database
// (evaluations.expires_at, approval_requests.asked_at), never by sleeping.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  approve,
  assertError,
  auditCount,
  callApi,
  lit,
  makeWorkspace,
  postTimeouts,
  reject,
  runTimeouts,
} from './lib/approvals.mjs';
import { approvalLink, approvalToken, waitForMail } from './lib/mail.mjs';
import { psql } from './lib/stack.mjs';

const one = (role, extra = {}) => ({ stages: [{ role, min_approvals: 1, ...extra }] });

const POLICY = {
  default: 'allow',
  rules: [
    {
      name: 'expiring',
      when: { action: 'ops.expire' },
      effect: 'require_approval',
      approval: { ...one('manager'), timeout_seconds: 3600 },
      reason: 'Needs a manager within the hour',
    },
    {
      name: 'reminded',
      when: { action: 'ops.remind' },
      effect: 'require_approval',
      approval: { ...one('manager'), timeout_seconds: 86400, reminder_before_seconds: 600 },
      reason: 'Needs a manager; reminded 10 minutes before expiry',
    },
    {
      name: 'round-robin',
      when: { action: 'ops.rr' },
      effect: 'require_approval',
      approval: {
        ...one('oncall', { assign: 'round_robin', reassign_after_seconds: 60 }),
        timeout_seconds: 86400,
      },
      reason: 'One on-call person at a time',
    },
    {
      name: 'round-robin-quorum',
      when: { action: 'ops.rr2' },
      effect: 'require_approval',
      approval: {
        stages: [{ role: 'oncall', min_approvals: 2, assign: 'round_robin', reassign_after_seconds: 60 }],
        timeout_seconds: 86400,
      },
      reason: 'Two on-call people, one at a time',
    },
  ],
};

let w;

before(async () => {
  w = await makeWorkspace('timeouts', {
    owner: [],
    manager: ['manager'],
    deputy: ['manager'],
    oncall1: ['oncall'],
    oncall2: ['oncall'],
    oncall3: ['oncall'],
  });
  await w.publish(POLICY);
});

async function start(action) {
  const summary = w.unique(action);
  const ev = await w.evaluate({ action, summary });
  assert.equal(ev.status, 'pending');
  return { id: ev.evaluation_id, summary };
}

const countRows = (sql) => Number(psql(sql));

test('expiry: `agentnexus-cron timeouts` expires an overdue evaluation once; its links die', async () => {
  const { manager, deputy } = w.users;
  const { id, summary } = await start('ops.expire');
  const [mMail] = await waitForMail({ to: manager.email, subject: `Approval needed: ${summary}` });
  await waitForMail({ to: deputy.email, subject: `Approval needed: ${summary}` });

  // Not overdue yet: a run leaves it alone.
  runTimeouts();
  assert.equal((await w.get(id)).status, 'pending');

  psql(`UPDATE evaluations SET expires_at = now() - interval '1 second' WHERE id = ${lit(id)}`);
  // (Counts in the report are global; another runner may have got there first:
  // the state is what matters.)
  runTimeouts();

  const got = await w.get(id);
  assert.equal(got.status, 'expired');
  assert.ok(got.decided_at);
  assert.deepEqual(got.approval.stages.map((s) => s.status), ['expired']);
  assert.deepEqual(got.approval.stages[0].approvers.map((a) => a.status), ['closed', 'closed']);

  // The link shows the closed request and refuses every decision.
  const page = await callApi('GET', approvalLink(mMail));
  assert.equal(page.status, 200);
  assert.match(page.text, /badge-expired/);
  assertError(await approve(approvalToken(mMail)), 409, 'approval_closed');
  assertError(await reject(approvalToken(mMail)), 409, 'approval_closed');

  // Both approvers hear it expired; a second run changes nothing.
  for (const u of [manager, deputy]) {
    const out = await waitForMail({ to: u.email, subject: `Expired: ${summary}` });
    assert.equal(out.length, 1);
    assert.match(out[0].text, /expired and counts as rejected/);
  }
  runTimeouts();
  assert.equal(auditCount(id, 'evaluation.expired'), 1);
  assert.equal(psql(`SELECT actor_type FROM audit_events WHERE subject_id = ${lit(id)}
    AND event_type = 'evaluation.expired'`), 'system');
  assert.equal(countRows(`SELECT count(*) FROM email_outbox WHERE evaluation_id = ${lit(id)} AND kind = 'outcome'`), 2);
});

test('reminder: sent once, shortly before expiry, with a fresh link that replaces the first', async () => {
  const { manager, deputy } = w.users;
  const { id, summary } = await start('ops.remind');
  const [first] = await waitForMail({ to: manager.email, subject: `Approval needed: ${summary}` });
  await waitForMail({ to: deputy.email, subject: `Approval needed: ${summary}` });

  // The cron route wants the secret.
  const unauth = await callApi('POST', '/api/cron/approval-timeouts');
  assertError(unauth, 401, 'unauthorized');
  const wrong = await callApi('POST', '/api/cron/approval-timeouts', { headers: { Authorization: 'Bearer nope' } });
  assertError(wrong, 401, 'unauthorized');

  // A day away: no reminder yet.
  await postTimeouts();
  assert.equal(psql(`SELECT reminded_at IS NULL FROM evaluations WHERE id = ${lit(id)}`), 't');

  // Five minutes left, inside the 10-minute reminder window.
  psql(`UPDATE evaluations SET expires_at = now() + interval '5 minutes' WHERE id = ${lit(id)}`);
  const rep = await postTimeouts();
  assert.deepEqual(Object.keys(rep).sort(), ['expired', 'reassigned', 'reminded']);
  assert.equal(psql(`SELECT reminded_at IS NOT NULL FROM evaluations WHERE id = ${lit(id)}`), 't');

  const reminders = {};
  for (const u of [manager, deputy]) {
    const got = await waitForMail({ to: u.email, subject: new RegExp(`^Reminder: approval needed within \\d+ minutes: ${summary}$`) });
    assert.equal(got.length, 1);
    assert.match(got[0].text, /expires in [45] minutes/);
    reminders[u.email] = got[0];
  }
  const fresh = approvalToken(reminders[manager.email]);
  assert.notEqual(fresh, approvalToken(first));

  // Once only: later runs send nothing more.
  await postTimeouts();
  runTimeouts();
  assert.equal(countRows(`SELECT count(*) FROM email_outbox WHERE evaluation_id = ${lit(id)} AND kind = 'reminder'`), 2);
  assert.equal(auditCount(id, 'approval.reminded'), 1);

  // The first link was replaced; the reminder's link decides.
  const old = await callApi('GET', approvalLink(first));
  assert.equal(old.status, 404);
  assertError(await approve(approvalToken(first)), 404, 'not_found');
  const page = await callApi('GET', approvalLink(reminders[manager.email]));
  assert.equal(page.status, 200);
  const r = await approve(fresh);
  assert.deepEqual(r.json, { decision: 'approved', evaluation_status: 'approved' });
  assert.equal((await w.get(id)).status, 'approved');
});

test('round robin: one holder at a time, moved on after reassign_after_seconds by `timeouts`', async () => {
  const holders = [w.users.oncall1, w.users.oncall2, w.users.oncall3];
  const { id, summary } = await start('ops.rr');
  const requests = () => psql(`SELECT u.email || ':' || r.status FROM approval_requests r
    JOIN users u ON u.id = r.user_id WHERE r.evaluation_id = ${lit(id)} ORDER BY r.asked_at, r.id`)
    .split('\n').filter(Boolean);
  const mailFor = async (email) => (await waitForMail({ to: email, subject: `Approval needed: ${summary}` }))[0];

  // One holder asked, by one email.
  let rows = requests();
  assert.equal(rows.length, 1, rows.join());
  const firstEmail = rows[0].split(':')[0];
  assert.ok(holders.some((h) => h.email === firstEmail));
  const firstMail = await mailFor(firstEmail);
  assert.equal(countRows(`SELECT count(*) FROM email_outbox WHERE evaluation_id = ${lit(id)}`), 1);
  let got = await w.get(id);
  assert.equal(got.approval.stages[0].assign, 'round_robin');
  assert.equal(got.approval.stages[0].approvers.length, 1);

  // Not yet due: nothing moves.
  runTimeouts();
  assert.equal(requests().length, 1);

  // A minute passes: the next holder is asked, the first link is closed.
  const age = () => psql(`UPDATE approval_requests SET asked_at = now() - interval '61 seconds'
    WHERE evaluation_id = ${lit(id)} AND status = 'open'`);
  age();
  runTimeouts();
  rows = requests();
  assert.equal(rows.length, 2, rows.join());
  assert.equal(rows[0], `${firstEmail}:reassigned`);
  const secondEmail = rows[1].split(':')[0];
  assert.notEqual(secondEmail, firstEmail);
  assert.equal(rows[1], `${secondEmail}:open`);
  await mailFor(secondEmail);
  assertError(await approve(approvalToken(firstMail)), 409, 'approval_closed');

  // And the third.
  age();
  runTimeouts();
  rows = requests();
  assert.equal(rows.length, 3, rows.join());
  const thirdEmail = rows[2].split(':')[0];
  assert.deepEqual(new Set([firstEmail, secondEmail, thirdEmail]), new Set(holders.map((h) => h.email)));
  const thirdMail = await mailFor(thirdEmail);

  // Everyone has been asked: the last one keeps it.
  age();
  runTimeouts();
  rows = requests();
  assert.equal(rows.length, 3);
  assert.equal(rows[2], `${thirdEmail}:open`);
  assert.equal(auditCount(id, 'approval.reassigned'), 2);

  got = await w.get(id);
  assert.deepEqual(got.approval.stages[0].approvers.map((a) => a.status), ['reassigned', 'reassigned', 'open']);
  const r = await approve(approvalToken(thirdMail));
  assert.deepEqual(r.json, { decision: 'approved', evaluation_status: 'approved' });
});

test('round robin with a quorum of 2 asks the next holder as soon as the first approves', async () => {
  const { id, summary } = await start('ops.rr2');
  const open = () => psql(`SELECT u.email FROM approval_requests r JOIN users u ON u.id = r.user_id
    WHERE r.evaluation_id = ${lit(id)} AND r.status = 'open'`).split('\n').filter(Boolean);
  const [first] = open();
  assert.ok(first);
  const [m1] = await waitForMail({ to: first, subject: `Approval needed: ${summary}` });
  let r = await approve(approvalToken(m1));
  assert.deepEqual(r.json, { decision: 'approved', evaluation_status: 'pending' });

  // No waiting for reassign_after_seconds: the next holder is asked at once.
  const [second] = open();
  assert.ok(second && second !== first, `next holder asked: ${second}`);
  const [m2] = await waitForMail({ to: second, subject: `Approval needed: ${summary}` });
  r = await approve(approvalToken(m2));
  assert.deepEqual(r.json, { decision: 'approved', evaluation_status: 'approved' });
  const got = await w.get(id);
  assert.deepEqual(got.approval.stages[0].approvers.map((a) => a.status), ['approved', 'approved']);
});

test('round robin spreads new requests over the holders', async () => {
  const asked = new Set();
  for (let i = 0; i < 3; i++) {
    const { id } = await start('ops.rr');
    asked.add(psql(`SELECT user_id FROM approval_requests WHERE evaluation_id = ${lit(id)}`));
  }
  assert.equal(asked.size, 3, 'three evaluations in a row ask three different holders');
});

test('reassign_after_seconds below 60 is refused when publishing', async () => {
  const r = await callApi('PUT', '/api/v1/policy', {
    headers: { Authorization: `Bearer ${w.admin.key}` },
    body: {
      default: 'allow',
      rules: [
        {
          name: 'too-fast',
          when: { action: 'x' },
          effect: 'require_approval',
          approval: { ...one('oncall', { assign: 'round_robin', reassign_after_seconds: 30 }), timeout_seconds: 3600 },
          reason: 'r',
        },
      ],
    },
  });
  assertError(r, 422, 'validation_failed');
  assert.ok(r.json.error.details.some((d) => /reassign_after_seconds/.test(d.path)), r.text);
});
