// From policy to decision in a real browser (Debian's chromium via playwright-core):
// a new owner gives themself the approval role "manager" on the members page, creates
// an agent key, types an invalid policy into the editor and sees the error at its
// path, fixes it and publishes; an agent evaluates through the API with the new key
// and is told approval_required; the owner asks for a one-time code from the approvals
// inbox, reads it from the email in the SMTP sink, enters it and approves with a
// comment; then sees the evaluation (approved, stages, comment), its audit trail (on
// the detail page and in the audit log filtered to it) and the analytics charts.
// Screenshots: tests/artifacts/screenshots/policy-*.png, approval-*.png, ….
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { asPerson, flashText, launch, runTag, shot, signUp, submitForm } from './lib/browser.mjs';
import { otpCode, waitForMail } from './lib/mail.mjs';
import { call } from './lib/workspace.mjs';

const run = runTag();
const PASSWORD = 'harbor lights blink twice';
const owner = { name: `Paula Policy ${run}`, email: `bp-owner-${run}@example.test` };
const wsName = `Payments ${run}`;
const summary = `Pay ACME invoice ${run}`;
const comment = `Checked the invoice ${run}`;

/** The policy, as a person would type it; `minApprovals` 0 makes it invalid. */
function policyText(minApprovals) {
  return JSON.stringify(
    {
      default: 'allow',
      rules: [
        {
          name: 'no-prod-drops',
          when: { action: 'db.drop*', resource: 'prod/*' },
          effect: 'deny',
          reason: 'Dropping production data is never allowed',
        },
        {
          name: 'large-payments',
          when: { action: 'payments.send', amount: { gt: 1000 } },
          effect: 'require_approval',
          approval: {
            stages: [{ role: 'manager', min_approvals: minApprovals, otp: true }],
            timeout_seconds: 86400,
            separation_of_duties: false,
          },
          reason: 'Payments over 1000 need a manager with a one-time code',
        },
      ],
    },
    null,
    2
  );
}

let browser;
const state = {};

before(async () => {
  browser = await launch();
  await asPerson(browser, owner, async (t) => {
    state.ws = await signUp(t.page, { name: owner.name, email: owner.email, password: PASSWORD, workspace: wsName });
  });
});

after(async () => {
  await browser?.close();
});

test('the owner takes the approval role "manager" on the members page', () =>
  asPerson(browser, owner, async (tab) => {
    const { page } = tab;
    await tab.goto(`/dashboard/members?ws=${state.ws}`);
    await page.getByLabel(`Approval roles of ${owner.email}`).fill('manager');
    await submitForm(page, () => page.getByRole('button', { name: `Save roles of ${owner.email}` }).click());
    assert.match(await flashText(page), /Roles updated/);
    assert.equal(await page.getByLabel(`Approval roles of ${owner.email}`).inputValue(), 'manager');
    tab.assertClean('members');
  }));

test('create an agent key in the dashboard', () =>
  asPerson(browser, owner, async (tab) => {
    const { page } = tab;
    await tab.goto(`/dashboard/keys?ws=${state.ws}`);
    await page.getByLabel('Label').fill(`Payments agent ${run}`);
    await page.getByLabel('Scope').selectOption('agent');
    await submitForm(page, () => page.getByRole('button', { name: 'Create key' }).click());
    state.key = (await page.locator('#new-key').innerText()).trim();
    assert.match(state.key, /^anx_/);
    tab.assertClean('keys');
  }));

test('publish a policy after fixing the validation error shown at its path', () =>
  asPerson(browser, owner, async (tab) => {
    const { page } = tab;
    await tab.goto(`/dashboard/policies?ws=${state.ws}`);
    await assert.doesNotReject(page.locator('#no-policy').waitFor(), 'no policy yet');
    const editor = page.getByLabel('Policy document (JSON)');

    // An invalid draft: Validate shows the problem at its path, nothing is published.
    await editor.fill(policyText(0));
    await submitForm(page, () => page.getByRole('button', { name: 'Validate' }).click());
    const errors = page.locator('#draft-errors');
    await assert.doesNotReject(errors.waitFor());
    const errText = await errors.innerText();
    assert.match(errText, /rules\[1\]\.approval\.stages\[0\]\.min_approvals/, errText);
    assert.match(errText, /between 1 and 20/, errText);
    assert.equal(await editor.getAttribute('aria-invalid'), 'true');
    assert.match(await page.locator('#validation-failed').innerText(), /problems/);
    // The draft comes back exactly as typed.
    assert.equal(await editor.inputValue(), policyText(0));
    await shot(page, 'policy-validation-error');

    // Publishing it anyway is refused the same way.
    await submitForm(page, () => page.getByRole('button', { name: 'Publish' }).click());
    assert.match(await page.locator('#draft-errors').innerText(), /min_approvals/);
    assert.equal(await page.locator('#current').count(), 0, 'still nothing published');

    // Fix it in the editor: Validate says it is fine, Publish makes version 1.
    await page.getByLabel('Policy document (JSON)').fill(policyText(1));
    await submitForm(page, () => page.getByRole('button', { name: 'Validate' }).click());
    assert.match(await page.locator('#validation-ok').innerText(), /valid: 2 rules/);
    await submitForm(page, () => page.getByRole('button', { name: 'Publish' }).click());
    assert.match(await flashText(page), /Version 1 is published with 2 rules/);
    assert.match(await page.locator('#current-title').innerText(), /version 1/);
    assert.match(await page.locator('#versions').innerText(), /v1/);
    await shot(page, 'policy-published');
    tab.assertClean('policies');
  }));

test('an agent evaluates through the API with the new key: approval required', async () => {
  const r = await call('POST', '/api/v1/evaluate', {
    key: state.key,
    body: {
      action: 'payments.send',
      amount: 5000,
      currency: 'EUR',
      agent_id: `billing-bot-${run}`,
      resource: 'vendors/acme',
      summary,
      context: { invoice: `INV-${run}`, country: 'DE' },
    },
  });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.decision, 'approval_required', r.text);
  assert.equal(r.json.status, 'pending');
  assert.equal(r.json.matched_rule, 'large-payments');
  assert.equal(r.json.policy.version, 1);
  assert.deepEqual(
    r.json.approval.stages.map((s) => [s.role, s.otp]),
    [['manager', true]]
  );
  state.evalId = r.json.evaluation_id;
  // A small one is allowed by the default, for the charts.
  const small = await call('POST', '/api/v1/evaluate', { key: state.key, body: { action: 'payments.send', amount: 20 } });
  assert.equal(small.json?.decision, 'allow', small.text);
  const drop = await call('POST', '/api/v1/evaluate', { key: state.key, body: { action: 'db.drop_table', resource: 'prod/users' } });
  assert.equal(drop.json?.decision, 'deny', drop.text);
});

test('approve from the inbox with a one-time code read from the email', () =>
  asPerson(browser, owner, async (tab) => {
    const { page } = tab;
    await tab.goto(`/dashboard/approvals?ws=${state.ws}`);
    const card = page.locator('li.request', { hasText: summary });
    await assert.doesNotReject(card.waitFor(), 'the request is in the inbox');
    assert.match(await card.innerText(), /one-time code/);
    assert.match(await card.innerText(), /large-payments/);
    // Approving is not offered before the code is verified.
    assert.equal(await card.getByRole('button', { name: 'Approve' }).count(), 0);
    await shot(page, 'approval-inbox-needs-code');

    await submitForm(page, () => card.getByRole('button', { name: 'Email me a code' }).click());
    assert.match(await flashText(page), /6-digit code/);
    const [mail] = await waitForMail({ to: owner.email, subject: /approval code/i, text: summary }, { timeout: 30000 });
    const code = otpCode(mail);

    const card2 = page.locator('li.request', { hasText: summary });
    await card2.getByLabel('6-digit code').fill(code);
    await submitForm(page, () => card2.getByRole('button', { name: 'Verify code' }).click());
    assert.match(await flashText(page), /Code accepted/);

    const card3 = page.locator('li.request', { hasText: summary });
    await card3.getByLabel('Comment').fill(comment);
    await shot(page, 'approval-inbox-code-verified');
    await submitForm(page, () => card3.getByRole('button', { name: 'Approve' }).click());
    assert.match(await flashText(page), /You approved .*last approval needed/);
    assert.equal(await page.locator('li.request', { hasText: summary }).count(), 0, 'no longer waiting');
    const decided = page.locator('#decided-table tbody tr', { hasText: summary });
    assert.match(await decided.innerText(), /approve/);
    assert.match(await decided.innerText(), new RegExp(comment));
    await shot(page, 'approval-inbox-decided');
    tab.assertClean('approvals inbox');

    const r = await call('GET', `/api/v1/evaluations/${state.evalId}`, { key: state.key });
    assert.equal(r.json?.status, 'approved', r.text);
  }));

test('the evaluation, its stages and its audit trail', () =>
  asPerson(browser, owner, async (tab) => {
    const { page } = tab;
    await tab.goto(`/dashboard/evaluations?ws=${state.ws}`);
    const row = page.locator('#evaluations-table tbody tr', { hasText: summary });
    assert.match(await row.innerText(), /approved/);
    await shot(page, 'evaluations-list');
    await Promise.all([page.waitForNavigation(), row.getByRole('link').first().click()]);
    assert.equal(new URL(page.url()).pathname, `/dashboard/evaluations/${state.evalId}`);
    assert.equal(await page.locator('#eval-status').innerText(), 'approved');
    assert.equal(await page.locator('#eval-id').innerText(), state.evalId);
    const stages = await page.locator('#stages').innerText();
    assert.match(stages, /manager/);
    assert.match(stages, new RegExp(owner.email.replace(/\./g, '\\.')));
    assert.match(stages, new RegExp(comment));
    const audit = await page.locator('#audit-events').innerText();
    assert.ok(audit.split('\n').length >= 3, `several audit events about it:\n${audit}`);
    assert.match(audit, /evaluat/i);
    assert.match(audit, /approv/i);
    await shot(page, 'evaluation-detail');

    await Promise.all([page.waitForNavigation(), page.getByRole('link', { name: 'open in the audit log' }).click()]);
    assert.equal(new URL(page.url()).pathname, '/dashboard/audit');
    assert.equal(new URL(page.url()).searchParams.get('subject'), state.evalId);
    const events = page.locator('#audit-table tbody tr');
    assert.ok((await events.count()) >= 3, 'the audit log lists the events about it');
    assert.match(await page.locator('#audit-table').innerText(), /approv/i);
    await shot(page, 'audit-log-evaluation');

    await tab.goto(`/dashboard/audit?ws=${state.ws}`);
    assert.match(await page.locator('#audit-table').innerText(), /policy/i, 'the publish is audited too');
    await shot(page, 'audit-log');
    tab.assertClean('evaluation and audit');
  }));

test('analytics draws its charts with this workspace\'s numbers', () =>
  asPerson(browser, owner, async (tab) => {
    const { page } = tab;
    await tab.goto(`/dashboard/analytics?ws=${state.ws}`);
    assert.equal(await page.locator('#kpi-evaluations').innerText(), '3');
    assert.equal(await page.locator('#kpi-denied').innerText(), '1');
    const volume = page.locator('#volume svg[role="img"]');
    await assert.doesNotReject(volume.waitFor({ state: 'visible' }), 'the volume chart is drawn');
    const box = await volume.boundingBox();
    assert.ok(box && box.width > 100 && box.height > 50, `a chart of some size: ${JSON.stringify(box)}`);
    assert.ok((await volume.locator('rect').count()) > 0, 'bars');
    await assert.doesNotReject(page.locator('#latency svg[role="img"]').waitFor(), 'time to decision is charted');
    assert.match(await page.locator('#rules-table').innerText(), /no-prod-drops/);
    await shot(page, 'analytics');
    // The other periods render too.
    for (const label of ['7 days', '90 days']) {
      await Promise.all([page.waitForNavigation(), page.getByRole('link', { name: label }).click()]);
      await assert.doesNotReject(page.locator('#volume svg').waitFor());
    }
    tab.assertClean('analytics');
  }));
