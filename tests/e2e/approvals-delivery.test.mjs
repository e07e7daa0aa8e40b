// Approvals under stress: simultaneous final approvals make exactly one
// transition (one audit event, one outcome email each, one terminal webhook), and
// approval email survives the SMTP server being down: it waits in the outbox,
// retrying, and arrives exactly once after the server comes back.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  approve,
  assertError,
  auditCount,
  callApi,
  cron,
  lit,
  makeWorkspace,
} from './lib/approvals.mjs';
import { startReceiver } from './lib/hooks.mjs';
import { approvalLink, approvalToken, findMail, waitForMail } from './lib/mail.mjs';
import { env, envFile, psql, sh, waitFor } from './lib/stack.mjs';

const POLICY = {
  default: 'allow',
  rules: [
    {
      name: 'quorum-2',
      when: { action: 'treasury.quorum' },
      effect: 'require_approval',
      approval: { stages: [{ role: 'finance', min_approvals: 2 }], timeout_seconds: 3600 },
      reason: 'Two of three',
    },
    {
      name: 'any-one',
      when: { action: 'treasury.any' },
      effect: 'require_approval',
      approval: { stages: [{ role: 'finance', min_approvals: 1 }], timeout_seconds: 3600 },
      reason: 'One of three',
    },
    {
      name: 'two-stage',
      when: { action: 'treasury.staged' },
      effect: 'require_approval',
      approval: {
        stages: [{ role: 'manager', min_approvals: 1 }, { role: 'finance', min_approvals: 1 }],
        timeout_seconds: 3600,
      },
      reason: 'Manager, then finance',
    },
  ],
};

let w;
let hooks;

before(async () => {
  w = await makeWorkspace('delivery', {
    owner: [],
    manager: ['manager'],
    fin1: ['finance'],
    fin2: ['finance'],
    fin3: ['finance'],
  });
  await w.publish(POLICY);
  hooks = await startReceiver();
});

after(async () => {
  await hooks?.close();
});

/** Evaluates and returns {id, summary, tokens: {userName: token}} once every
 * asked member's email arrived. */
async function startWithTokens(action, names) {
  const summary = w.unique(action);
  const ev = await w.evaluate({ action, summary, webhook_url: hooks.url });
  const tokens = {};
  for (const n of names) {
    const [m] = await waitForMail({ to: w.users[n].email, subject: `Approval needed: ${summary}` });
    tokens[n] = approvalToken(m);
  }
  return { id: ev.evaluation_id, summary, tokens };
}

/** Sends the approvals at the same moment, each on its own connection. */
function together(tokens) {
  return Promise.all(tokens.map((token) => callApi('POST', '/api/approval/approve', { body: { token }, fresh: true })));
}

/** The checks of "exactly one transition" for an approved evaluation. */
async function assertOneTransition(id, summary, asked, approvals) {
  const got = await w.get(id);
  assert.equal(got.status, 'approved');
  assert.equal(got.approval.stages[0].approved, approvals, 'no approval counted twice');
  assert.equal(auditCount(id, 'evaluation.approved'), 1);
  assert.equal(auditCount(id, 'approval.approved'), approvals);
  assert.equal(psql(`SELECT count(*) FROM email_outbox WHERE evaluation_id = ${lit(id)} AND kind = 'outcome'`), String(asked.length));
  assert.equal(psql(`SELECT count(*) FROM webhook_deliveries WHERE evaluation_id = ${lit(id)}
    AND event_type = 'terminal_outcome'`), '1');
  for (const n of asked) {
    const out = await waitForMail({ to: w.users[n].email, subject: `Approved: ${summary}` });
    assert.equal(out.length, 1, `${n}: one outcome email`);
  }
}

test('two simultaneous final approvals produce one transition', async () => {
  const everyone = ['fin1', 'fin2', 'fin3'];
  // Several evaluations at once, to give the race every chance.
  const runs = await Promise.all([0, 1, 2, 3].map(async (i) => {
    if (i % 2 === 0) {
      // Quorum 2: one approval first, then the last two slots race for one.
      const e = await startWithTokens('treasury.quorum', everyone);
      const first = await approve(e.tokens.fin1);
      assert.deepEqual(first.json, { decision: 'approved', evaluation_status: 'pending' });
      return { ...e, approvals: 2, results: await together([e.tokens.fin2, e.tokens.fin3]) };
    }
    // Quorum 1: all three race.
    const e = await startWithTokens('treasury.any', everyone);
    return { ...e, approvals: 1, results: await together([e.tokens.fin1, e.tokens.fin2, e.tokens.fin3]) };
  }));
  for (const run of runs) {
    const ok = run.results.filter((r) => r.status === 200);
    const closed = run.results.filter((r) => r.status === 409);
    assert.equal(ok.length, 1, run.results.map((r) => r.text).join('\n'));
    assert.deepEqual(ok[0].json, { decision: 'approved', evaluation_status: 'approved' });
    assert.equal(closed.length, run.results.length - 1);
    for (const r of closed) assertError(r, 409, 'approval_closed');
    await assertOneTransition(run.id, run.summary, everyone, run.approvals);
  }
  // The integrator hears one terminal outcome per evaluation.
  for (const run of runs) {
    await hooks.waitFor((e) => e.type === 'terminal_outcome' && e.text.includes(run.id), `terminal_outcome ${run.id}`);
    assert.equal(hooks.events.filter((e) => e.type === 'terminal_outcome' && e.text.includes(run.id)).length, 1);
  }
});

test('the same link used twice at once counts once', async () => {
  const e = await startWithTokens('treasury.quorum', ['fin1', 'fin2', 'fin3']);
  const results = await together([e.tokens.fin1, e.tokens.fin1, e.tokens.fin1]);
  assert.deepEqual(results.map((r) => r.status).sort(), [200, 409, 409]);
  const got = await w.get(e.id);
  assert.equal(got.status, 'pending');
  assert.equal(got.approval.stages[0].approved, 1);
  assert.equal(auditCount(e.id, 'approval.approved'), 1);
});

function stackCtl(cmd) {
  sh(`"${env.ANX_STACK_CTL}" --env "${envFile}" ${cmd}`);
}

test('SMTP sink down during an approval: the next stage\'s email waits, retries, and arrives once when it is back', async () => {
  const { manager, fin1, fin2, fin3 } = w.users;
  const { id, summary, tokens } = await startWithTokens('treasury.staged', ['manager']);
  const finance = [fin1, fin2, fin3];
  const rows = () => psql(`SELECT to_address || '|' || status || '|' || attempts || '|' ||
      (last_error IS NOT NULL) || '|' || (lease_until IS NULL)
    FROM email_outbox WHERE evaluation_id = ${lit(id)} AND kind = 'approval_request'
    AND to_address <> ${lit(manager.email)} ORDER BY to_address`).split('\n').filter(Boolean);

  stackCtl('smtp-stop');
  try {
    // The manager approves while mail cannot go out: the decision does not
    // wait for SMTP, and stage 2's emails are queued.
    const r = await approve(tokens.manager);
    assert.deepEqual(r.json, { decision: 'approved', evaluation_status: 'pending' });
    assert.equal((await w.get(id)).approval.stages[1].status, 'pending');

    // deliver --watch tries at once, fails, and schedules a retry.
    await waitFor(() => {
      const now = rows();
      return now.length === 3 && now.every((l) => /\|pending\|[1-9]\d*\|true\|true$/.test(l));
    }, { timeout: 15000, what: `failed attempts recorded (outbox: ${rows().join(', ')})` });
    const errors = psql(`SELECT DISTINCT last_error FROM email_outbox WHERE evaluation_id = ${lit(id)}
      AND kind = 'approval_request' AND status = 'pending'`);
    assert.ok(errors.length > 0);
    assert.equal(psql(`SELECT bool_and(next_attempt_at > now()) FROM email_outbox
      WHERE evaluation_id = ${lit(id)} AND kind = 'approval_request' AND status = 'pending'`), 't',
    'a retry is scheduled in the future');
    for (const u of finance) assert.equal(findMail({ to: u.email, subject: summary }).length, 0);
  } finally {
    stackCtl('smtp-start');
  }

  // Back: make the retry due now instead of waiting for the backoff.
  psql(`UPDATE email_outbox SET next_attempt_at = now() WHERE evaluation_id = ${lit(id)}
    AND status = 'pending' AND lease_until IS NULL; NOTIFY anx_outbox`);
  const mails = {};
  for (const u of finance) {
    [mails[u.email]] = await waitForMail({ to: u.email, subject: `Approval needed: ${summary}` });
  }
  await waitFor(() => psql(`SELECT count(*) FROM email_outbox WHERE evaluation_id = ${lit(id)}
    AND kind = 'approval_request' AND status = 'sent'`) === '4', { what: 'all four approval emails marked sent' });
  // A crontab-style drain on top finds nothing more to send.
  cron('deliver');
  for (const u of finance) {
    assert.equal(findMail({ to: u.email, subject: `Approval needed: ${summary}` }).length, 1, `${u.email}: exactly once`);
  }
  assert.ok(Number(psql(`SELECT min(attempts) FROM email_outbox WHERE evaluation_id = ${lit(id)}
    AND kind = 'approval_request' AND to_address <> ${lit(manager.email)}`)) >= 2);

  // The delayed link works.
  const page = await callApi('GET', approvalLink(mails[fin2.email]));
  assert.equal(page.status, 200);
  const r = await approve(approvalToken(mails[fin2.email]));
  assert.deepEqual(r.json, { decision: 'approved', evaluation_status: 'approved' });
});
