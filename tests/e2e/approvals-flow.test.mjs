// Approvals, end to end through the real SMTP sink: the DESIGN.md policy (manager,
// then finance with a quorum of 2 and one-time codes) followed from the emails'
// links; a rejection in stage 1; one-time code rules (required, wrong, brute force
// lock, resend throttle); approval links that a GET never changes; progress seen
// through GET /api/v1/evaluations/{id}; audit events and webhooks for each change.
//
// Everything happens in a workspace of this file's own, with fresh members
// (lib/approvals.mjs), so other suites' policies and mail never interfere.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  approve,
  assertError,
  auditCount,
  auditTypes,
  callApi,
  lit,
  makeWorkspace,
  pageForms,
  postForm,
  reject,
  requestOtp,
  snapshot,
  verifyOtp,
} from './lib/approvals.mjs';
import { startReceiver } from './lib/hooks.mjs';
import { approvalLink, approvalToken, findMail, otpCode, waitForMail } from './lib/mail.mjs';
import { psql, waitFor } from './lib/stack.mjs';

const POLICY = {
  default: 'allow',
  rules: [
    {
      name: 'large-payments',
      when: { action: 'payments.send', amount: { gt: 1000 } },
      effect: 'require_approval',
      approval: {
        stages: [
          { role: 'manager', min_approvals: 1 },
          { role: 'finance', min_approvals: 2, otp: true, assign: 'all' },
        ],
        timeout_seconds: 86400,
        reminder_before_seconds: 3600,
        separation_of_duties: true,
      },
      reason: 'Payments over 1000 need manager and finance sign-off',
    },
  ],
};

let w;
let hooks;

before(async () => {
  w = await makeWorkspace('flow', {
    owner: ['manager', 'finance'],
    manager: ['manager'],
    finance1: ['finance'],
    finance2: ['finance'],
  });
  await w.publish(POLICY);
  hooks = await startReceiver();
});

after(async () => {
  await hooks?.close();
});

/** Starts a payment that needs approval; returns {ev, summary}. */
async function newPayment(label, extra = {}) {
  const summary = w.unique(label);
  const ev = await w.evaluate({
    action: 'payments.send',
    amount: 5000,
    currency: 'USD',
    resource: 'vendor/acme',
    agent_id: 'billing-bot',
    summary,
    ...extra,
  });
  assert.equal(ev.decision, 'approval_required');
  assert.equal(ev.status, 'pending');
  return { ev, summary };
}

/** The one approval request email for user about summary; returns it. */
async function requestMail(user, summary, { count = 1 } = {}) {
  const got = await waitForMail({ to: user.email, subject: `Approval needed: ${summary}` }, { count });
  assert.equal(got.length, count, `${user.email}: ${got.length} approval emails for ${summary}`);
  return got[count - 1];
}

/** Requests a code for token and reads it from the newest OTP email. */
async function freshCode(token, user, summary) {
  const before = findMail({ to: user.email, subject: 'Your AgentNexus approval code', text: summary }).length;
  const r = await requestOtp(token);
  assert.equal(r.status, 202, r.text);
  assert.deepEqual(r.json, { sent: true });
  const got = await waitForMail(
    { to: user.email, subject: 'Your AgentNexus approval code', text: summary },
    { count: before + 1 },
  );
  return otpCode(got[got.length - 1]);
}

/** A six-digit code that is not `code`. */
function wrongCode(code) {
  return String((Number(code) + 1) % 1000000).padStart(6, '0');
}

/** Stage n (0-based) of a GET /api/v1/evaluations/{id} answer. */
function stage(evJson, n) {
  return evJson.approval.stages[n];
}

function approverOf(st, user) {
  return st.approvers.find((a) => a.email === user.email);
}

test('two stages, quorum 2 with one-time codes: followed from the emails to the final approval', async () => {
  const { owner, manager, finance1, finance2 } = w.users;
  const { ev, summary } = await newPayment('Pay ACME', { webhook_url: hooks.url });
  const id = ev.evaluation_id;

  // The evaluate answer shows the stages, the first pending.
  assert.deepEqual(
    ev.approval.stages.map((s) => [s.index, s.role, s.required, s.approved, s.otp, s.status]),
    [
      [0, 'manager', 1, 0, false, 'pending'],
      [1, 'finance', 2, 0, true, 'waiting'],
    ],
  );
  assert.ok(Date.parse(ev.approval.expires_at) > Date.now() + 86000 * 1000);

  // Stage 1 asks both manager-role holders by email; finance is not asked yet.
  const ownerMail1 = await requestMail(owner, summary);
  const managerMail = await requestMail(manager, summary);
  assert.match(ownerMail1.text, /Stage:\s+1 of 2: manager/);
  assert.doesNotMatch(ownerMail1.text, /one-time code/);
  assert.match(ownerMail1.text, /Amount:\s+5000 USD/);
  assert.equal(findMail({ to: finance1.email, subject: summary }).length, 0);
  const ownerLink1 = approvalLink(ownerMail1);
  assert.ok(ownerLink1.startsWith(`${new URL(ownerLink1).origin}/approve/`));

  let got = await w.get(id);
  assert.equal(got.status, 'pending');
  assert.equal(stage(got, 0).status, 'pending');
  assert.deepEqual(stage(got, 0).approvers.map((a) => [a.email, a.status]).sort(), [
    [manager.email, 'open'],
    [owner.email, 'open'],
  ]);
  assert.equal(stage(got, 1).status, 'waiting');
  assert.deepEqual(stage(got, 1).approvers, []);

  // The owner opens the link (a GET changes nothing) and approves through the
  // page's own form, as a browser would.
  const before1 = snapshot(id);
  const page = await callApi('GET', ownerLink1);
  assert.equal(page.status, 200);
  assert.match(page.headers['content-type'], /^text\/html/);
  assert.match(page.headers['cache-control'] || '', /no-store/);
  assert.ok(page.text.includes(summary), 'the page shows the summary');
  assert.ok(page.text.includes(owner.email), 'the page says who is asked');
  assert.equal(snapshot(id), before1, 'GET /approve/{token} changed nothing');
  const form = pageForms(page.text);
  assert.equal(form.token, approvalToken(ownerMail1));
  assert.deepEqual(form.actions, ['/api/approval/approve', '/api/approval/reject']);
  const posted = await postForm(form.actions[0], { token: form.token, comment: 'ok from the owner' });
  assert.equal(posted.status, 200, posted.text);
  assert.match(posted.text, /Your approval is recorded/);

  got = await w.get(id);
  assert.equal(got.status, 'pending');
  assert.equal(stage(got, 0).status, 'approved');
  assert.equal(stage(got, 0).approved, 1);
  assert.ok(stage(got, 0).completed_at);
  assert.equal(approverOf(stage(got, 0), owner).status, 'approved');
  assert.equal(approverOf(stage(got, 0), owner).via, 'email');
  assert.equal(approverOf(stage(got, 0), owner).comment, 'ok from the owner');
  assert.equal(approverOf(stage(got, 0), manager).status, 'closed');
  assert.equal(stage(got, 1).status, 'pending');
  assert.equal(stage(got, 1).approvers.length, 3);

  // Tokens are single use, and the stage is closed for the other manager.
  assertError(await approve(form.token), 409, 'approval_closed');
  assertError(await approve(approvalToken(managerMail)), 409, 'approval_closed');
  assertError(await reject(approvalToken(managerMail)), 409, 'approval_closed');
  const closedPage = await callApi('GET', approvalLink(managerMail));
  assert.equal(closedPage.status, 200);
  assert.match(closedPage.text, /closed for you/);
  assert.deepEqual(pageForms(closedPage.text).actions, []);

  // Stage 2 asks every finance holder, the owner included.
  const f1Mail = await requestMail(finance1, summary);
  const f2Mail = await requestMail(finance2, summary);
  const ownerMail2 = await requestMail(owner, summary, { count: 2 });
  assert.match(f1Mail.text, /Stage:\s+2 of 2: finance/);
  assert.match(f1Mail.text, /needs a one-time code/);
  const f1 = approvalToken(f1Mail);
  const f2 = approvalToken(f2Mail);
  const o2 = approvalToken(ownerMail2);

  // The OTP stage's page offers a code first, and no decision yet.
  const otpPage = await callApi('GET', approvalLink(f1Mail));
  assert.equal(otpPage.status, 200);
  assert.deepEqual(pageForms(otpPage.text).actions, ['/api/approval/request-otp', '/api/approval/verify-otp']);

  // No decision before the code is verified; no code was sent yet either.
  assertError(await approve(f1), 403, 'otp_required');
  assertError(await verifyOtp(f1, '123456'), 403, 'otp_invalid');
  const code1 = await freshCode(f1, finance1, summary);
  assertError(await verifyOtp(f1, wrongCode(code1)), 403, 'otp_invalid');
  assertError(await approve(f1), 403, 'otp_required');
  const snapBeforeGet = snapshot(id);
  assert.equal((await callApi('GET', approvalLink(f1Mail))).status, 200);
  assert.equal(snapshot(id), snapBeforeGet, 'a GET with a live code changed nothing');
  let r = await verifyOtp(f1, code1);
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(r.json, { verified: true });
  r = await approve(f1, 'finance one agrees');
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(r.json, { decision: 'approved', evaluation_status: 'pending' });

  got = await w.get(id);
  assert.equal(got.status, 'pending');
  assert.equal(stage(got, 1).approved, 1);
  assert.equal(approverOf(stage(got, 1), finance1).comment, 'finance one agrees');

  // The owner approved stage 1: their finance link is refused (separation of
  // duties), even with a verified code, and nothing is counted.
  const codeO = await freshCode(o2, owner, summary);
  assert.equal((await verifyOtp(o2, codeO)).status, 200);
  assertError(await approve(o2), 403, 'separation_of_duties');
  assert.equal(auditCount(id, 'approval.refused'), 1);
  got = await w.get(id);
  assert.equal(stage(got, 1).approved, 1);
  assert.equal(approverOf(stage(got, 1), owner).status, 'open');

  // The second finance approval completes the quorum and the evaluation; this
  // approver uses the page's forms throughout, as a browser would.
  let pg = await callApi('GET', approvalLink(f2Mail));
  let forms = pageForms(pg.text);
  assert.deepEqual(forms.actions, ['/api/approval/request-otp', '/api/approval/verify-otp']);
  const otpBefore = findMail({ to: finance2.email, subject: 'Your AgentNexus approval code' }).length;
  pg = await postForm(forms.actions[0], { token: forms.token });
  assert.equal(pg.status, 200, pg.text);
  assert.match(pg.text, /A one-time code is on its way/);
  const otpMails = await waitForMail({ to: finance2.email, subject: 'Your AgentNexus approval code', text: summary }, { count: otpBefore + 1 });
  const code2 = otpCode(otpMails[otpMails.length - 1]);
  pg = await postForm(forms.actions[1], { token: forms.token, code: wrongCode(code2) });
  assert.equal(pg.status, 403);
  assert.match(pg.text, /That code is wrong/);
  pg = await postForm(forms.actions[1], { token: forms.token, code: code2 });
  assert.equal(pg.status, 200, pg.text);
  assert.match(pg.text, /Code verified/);
  forms = pageForms(pg.text);
  assert.deepEqual(forms.actions, ['/api/approval/approve', '/api/approval/reject']);
  pg = await postForm(forms.actions[0], { token: forms.token, comment: '' });
  assert.equal(pg.status, 200, pg.text);
  assert.match(pg.text, /This was the final approval/);

  got = await w.get(id);
  assert.equal(got.status, 'approved');
  assert.ok(got.decided_at);
  assert.deepEqual(got.approval.stages.map((s) => [s.status, s.approved, s.required]), [
    ['approved', 1, 1],
    ['approved', 2, 2],
  ]);
  assert.equal(approverOf(stage(got, 1), owner).status, 'closed');
  assert.equal(approverOf(stage(got, 1), finance2).status, 'approved');

  // Every link is dead now.
  for (const t of [o2, f1, f2]) {
    assertError(await approve(t), 409, 'approval_closed');
    assertError(await requestOtp(t), 409, 'approval_closed');
  }

  // Everyone asked hears the outcome, once.
  for (const u of [owner, manager, finance1, finance2]) {
    const out = await waitForMail({ to: u.email, subject: `Approved: ${summary}` });
    assert.equal(out.length, 1, u.email);
    assert.ok(out[0].text.includes(id), 'the outcome email names the evaluation');
  }
  assert.equal(psql(`SELECT count(*) FROM email_outbox WHERE evaluation_id = ${lit(id)} AND kind = 'outcome'`), '4');

  // One-time codes are scrubbed from the outbox once sent.
  await waitFor(() => psql(`SELECT count(*) FROM email_outbox WHERE evaluation_id = ${lit(id)}
    AND kind = 'otp' AND status = 'sent'`) === '3', { what: 'the three OTP emails sent' });
  assert.equal(psql(`SELECT count(*) FROM email_outbox WHERE evaluation_id = ${lit(id)}
    AND kind = 'otp' AND text_body NOT LIKE '%redacted%'`), '0');

  // Each change is audited.
  const types = auditTypes(id);
  const count = (t) => types.filter((x) => x === t).length;
  assert.equal(types[0], 'evaluation.created');
  assert.equal(count('approval.approved'), 3, types.join(','));
  assert.equal(count('approval.otp_sent'), 3);
  assert.equal(count('approval.otp_failed'), 2);
  assert.equal(count('approval.otp_verified'), 3);
  assert.equal(count('approval.refused'), 1);
  assert.equal(count('evaluation.approved'), 1);
  assert.equal(types[types.length - 1], 'evaluation.approved');

  // Webhooks were queued with the changes and reach the integrator.
  assert.equal(psql(`SELECT count(*) FROM webhook_deliveries WHERE evaluation_id = ${lit(id)}
    AND event_type = 'terminal_outcome'`), '1');
  assert.ok(Number(psql(`SELECT count(*) FROM webhook_deliveries WHERE evaluation_id = ${lit(id)}
    AND event_type = 'approval_required'`)) >= 1);
  const hook = await hooks.waitFor((e) => e.type === 'terminal_outcome' && e.text.includes(id), 'terminal_outcome');
  assert.equal(hook.data.evaluation.status, 'approved');
});

test('a rejection in stage 1 ends the evaluation; later stages are never asked', async () => {
  const { owner, manager, finance1, finance2 } = w.users;
  const { ev, summary } = await newPayment('Reject me');
  const id = ev.evaluation_id;
  const mMail = await requestMail(manager, summary);
  const oMail = await requestMail(owner, summary);

  // Stage 1 needs no code: asking for one is a client error.
  assertError(await requestOtp(approvalToken(mMail)), 400, 'invalid_request');
  const r = await reject(approvalToken(mMail), 'not this vendor');
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(r.json, { decision: 'rejected', evaluation_status: 'rejected' });

  const got = await w.get(id);
  assert.equal(got.status, 'rejected');
  assert.ok(got.decided_at);
  assert.deepEqual(got.approval.stages.map((s) => s.status), ['rejected', 'cancelled']);
  assert.equal(approverOf(stage(got, 0), manager).status, 'rejected');
  assert.equal(approverOf(stage(got, 0), manager).comment, 'not this vendor');
  assert.equal(approverOf(stage(got, 0), owner).status, 'closed');
  assert.deepEqual(stage(got, 1).approvers, []);

  // The other link and the used one are closed, for every operation.
  const o = approvalToken(oMail);
  assertError(await approve(o), 409, 'approval_closed');
  assertError(await reject(o), 409, 'approval_closed');
  assertError(await reject(approvalToken(mMail)), 409, 'approval_closed');
  // A form post answers with the page and the reason.
  const form = await postForm('/api/approval/approve', { token: o });
  assert.equal(form.status, 409);
  assert.match(form.text, /already closed/);

  for (const u of [owner, manager]) {
    const out = await waitForMail({ to: u.email, subject: `Rejected: ${summary}` });
    assert.equal(out.length, 1);
    assert.match(out[0].text, new RegExp(`rejected by manager ${w.tag}`));
    assert.match(out[0].text, /Comment: not this vendor/);
  }
  // Finance never heard of it.
  assert.equal(psql(`SELECT count(*) FROM email_outbox WHERE evaluation_id = ${lit(id)}
    AND to_address IN (${lit(finance1.email)}, ${lit(finance2.email)})`), '0');

  const types = auditTypes(id);
  assert.deepEqual(types, ['evaluation.created', 'approval.rejected', 'evaluation.rejected']);
  const data = JSON.parse(psql(`SELECT data FROM audit_events WHERE subject_id = ${lit(id)}
    AND event_type = 'approval.rejected'`));
  assert.equal(data.comment, 'not this vendor');
  assert.equal(data.via, 'email');
});

/** A payment whose stage 1 the manager approved: finance tokens by user. */
async function atFinanceStage(label) {
  const { manager, finance1, finance2, owner } = w.users;
  const { ev, summary } = await newPayment(label);
  const m = await requestMail(manager, summary);
  assert.equal((await approve(approvalToken(m))).status, 200);
  return {
    id: ev.evaluation_id,
    summary,
    f1: approvalToken(await requestMail(finance1, summary)),
    f2: approvalToken(await requestMail(finance2, summary)),
    o: approvalToken(await requestMail(owner, summary, { count: 2 })),
  };
}

test('one-time code brute force: 5 wrong codes lock the link, even the right code then fails', async () => {
  const { finance1 } = w.users;
  const { id, summary, f1, f2, o } = await atFinanceStage('Brute force');
  const code = await freshCode(f1, finance1, summary);
  const wrong = wrongCode(code);

  for (let i = 1; i <= 4; i++) assertError(await verifyOtp(f1, wrong), 403, 'otp_invalid');
  assertError(await verifyOtp(f1, wrong), 429, 'otp_locked');
  assertError(await verifyOtp(f1, code), 429, 'otp_locked');
  assertError(await requestOtp(f1), 429, 'otp_locked');
  assertError(await approve(f1), 403, 'otp_required');

  const row = psql(`SELECT otp_failures, otp_locked_at IS NOT NULL, otp_verified_at IS NULL, status
    FROM approval_requests WHERE evaluation_id = ${lit(id)} AND user_id = ${lit(finance1.id)}`);
  assert.equal(row, '5|t|t|open');
  const types = auditTypes(id);
  assert.equal(types.filter((t) => t === 'approval.otp_failed').length, 4);
  assert.equal(types.filter((t) => t === 'approval.otp_locked').length, 1);

  // The page says so and offers nothing to do.
  const page = await callApi('GET', `/approve/${f1}`);
  assert.equal(page.status, 200);
  assert.match(page.text, /Too many wrong codes/);
  assert.deepEqual(pageForms(page.text).actions, []);

  // The others' links are unaffected: the evaluation still completes.
  for (const [t, u] of [[f2, w.users.finance2], [o, w.users.owner]]) {
    const c = await freshCode(t, u, summary);
    assert.equal((await verifyOtp(t, c)).status, 200);
    const r = await approve(t);
    assert.equal(r.status, 200, r.text);
  }
  assert.equal((await w.get(id)).status, 'approved');
});

test('one-time code resend is throttled; a resent code replaces the first', async () => {
  const { finance2 } = w.users;
  const { id, summary, f2 } = await atFinanceStage('Resend');
  const first = await freshCode(f2, finance2, summary);
  assertError(await requestOtp(f2), 429, 'rate_limited');
  assertError(await requestOtp(f2), 429, 'rate_limited');
  assert.equal(psql(`SELECT otp_sends FROM approval_requests WHERE evaluation_id = ${lit(id)}
    AND user_id = ${lit(finance2.id)}`), '1');

  // Half a minute later (moved in the database instead of waited for).
  psql(`UPDATE approval_requests SET otp_sent_at = now() - interval '31 seconds'
    WHERE evaluation_id = ${lit(id)} AND user_id = ${lit(finance2.id)}`);
  const second = await freshCode(f2, finance2, summary);
  if (second !== first) assertError(await verifyOtp(f2, first), 403, 'otp_invalid');
  const r = await verifyOtp(f2, second);
  assert.equal(r.status, 200, r.text);
  // Verified: no more codes are needed or sent.
  assertError(await requestOtp(f2), 400, 'invalid_request');
  assert.equal((await approve(f2)).status, 200);
});

test('GET /approve/{token} never changes anything, however often it is fetched', async () => {
  const { owner, manager } = w.users;
  const { ev, summary } = await newPayment('Prefetch');
  const id = ev.evaluation_id;
  const link = approvalLink(await requestMail(manager, summary));
  await requestMail(owner, summary);
  const before = snapshot(id);
  for (let i = 0; i < 5; i++) {
    const page = await callApi('GET', link, { fresh: i % 2 === 1 });
    assert.equal(page.status, 200);
    // The page asks for no Referer (the URL holds the token). nginx appends
    // its site-wide policy to the same header: see the report.
    assert.match(page.headers['referrer-policy'] || '', /^same-origin\b/);
  }
  assert.equal(snapshot(id), before);
  assert.equal(psql(`SELECT count(*) FROM email_outbox WHERE evaluation_id = ${lit(id)}`), '2');

  // The link still works afterwards.
  const r = await approve(link.slice(-32));
  assert.equal(r.status, 200, r.text);
  assert.notEqual(snapshot(id), before);
});

test('unknown and malformed tokens', async () => {
  const unknown = 'f'.repeat(32);
  const page = await callApi('GET', `/approve/${unknown}`);
  assert.equal(page.status, 404);
  assert.match(page.text, /not valid/);
  assertError(await approve(unknown), 404, 'not_found');
  assertError(await requestOtp(unknown), 404, 'not_found');
  assertError(await verifyOtp(unknown, '123456'), 404, 'not_found');
  assertError(await approve('ABC'), 422, 'validation_failed');
  assertError(await verifyOtp(unknown, '12a456'), 422, 'validation_failed');
  assertError(await callApi('POST', '/api/approval/approve', { body: { token: unknown, extra: 1 } }), 422, 'validation_failed');
});
