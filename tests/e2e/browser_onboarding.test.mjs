// Onboarding in a real browser (Debian's chromium driven by playwright-core), as a
// person does it: sign up, sign out and sign back in with the keyboard only (Tab and
// Enter), create a second workspace, invite a member and accept as them by following
// the link in the invitation email from the SMTP sink's Maildir, create an API key
// that is shown once and works against the agent API, and reset a forgotten password
// from the emailed link. Every page is checked for console errors and Content
// Security Policy violations, and screenshotted into
// tests/artifacts/screenshots/onboarding-*.png.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { acceptInvitation, asPerson, flashText, launch, openPage, runTag, shot, signUp, submitForm, wsOfUrl } from './lib/browser.mjs';
import { waitForMail } from './lib/mail.mjs';
import { call } from './lib/workspace.mjs';

const run = runTag();
const PASSWORD = 'pebble orchard hums softly';
const owner = { name: `Olive Owner ${run}`, email: `bo-owner-${run}@example.test` };
const member = { name: `Mika Member ${run}`, email: `bo-member-${run}@example.test` };
const firstWs = `Onboarding ${run}`;
const secondWs = `Second ${run}`;

let browser;
const state = {};

before(async () => {
  browser = await launch();
});

after(async () => {
  await browser?.close();
});

test('sign up: a new account lands in its first workspace', () =>
  asPerson(browser, owner, async (ownerTab) => {
    const { page } = ownerTab;
    await ownerTab.goto('/signup');
    await shot(page, 'onboarding-signup');
    state.ws1 = await signUp(page, { name: owner.name, email: owner.email, password: PASSWORD, workspace: firstWs });
    assert.equal(new URL(page.url()).pathname, '/dashboard');
    await assert.doesNotReject(page.getByRole('heading', { name: 'Overview' }).waitFor());
    // The sidebar names the workspace and the person.
    assert.match(await page.locator('.ws-menu summary').innerText(), new RegExp(firstWs));
    assert.match(await page.locator('.account').innerText(), new RegExp(owner.name));
    await shot(page, 'onboarding-dashboard-overview');
    ownerTab.assertClean('sign-up and overview');
  }));

test('keyboard: sign out, then complete the login form with Tab and Enter only', () =>
  asPerson(browser, owner, async (ownerTab) => {
    const { page } = ownerTab;
    await ownerTab.goto(`/dashboard?ws=${state.ws1}`);
    await submitForm(page, () => page.locator('#sign-out').click());
    assert.equal(await page.locator('#sign-out').count(), 0, `signed out (at ${page.url()})`);
    await ownerTab.goto('/dashboard');
    assert.equal(new URL(page.url()).pathname, '/login', 'the dashboard asks to sign in again');
    for (let attempt = 0; ; attempt++) {
      await ownerTab.goto('/login');
      // The email field has the focus on arrival (autofocus); Tab moves to the password.
      await assert.doesNotReject(
        page.waitForFunction(() => document.activeElement?.id === 'email', null, { timeout: 5000 }),
        'the email field has the focus on load'
      );
      await page.keyboard.type(owner.email);
      await page.keyboard.press('Tab');
      assert.equal(await page.evaluate(() => document.activeElement?.id), 'password', 'Tab reaches the password');
      await page.keyboard.type(PASSWORD);
      const [res] = await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
      if (res?.status() === 429 && attempt < 10) {
        // nginx throttles the account forms of the dev stack (30 POSTs a minute per IP).
        await new Promise((r) => setTimeout(r, 3000));
        continue;
      }
      break;
    }
    assert.equal(new URL(page.url()).pathname, '/dashboard', `signed in with the keyboard: ${page.url()}`);
    assert.equal(wsOfUrl(page) ?? state.ws1, state.ws1);
    ownerTab.assertClean('keyboard login');
  }));

test('create a workspace from the workspaces page, then switch back', () =>
  asPerson(browser, owner, async (ownerTab) => {
    const { page } = ownerTab;
    await ownerTab.goto('/dashboard/workspaces');
    await page.getByLabel('Name', { exact: true }).fill(secondWs);
    await submitForm(page, () => page.getByRole('button', { name: 'Create workspace' }).click());
    state.ws2 = wsOfUrl(page);
    assert.match(state.ws2 || '', /^[0-9a-f-]{36}$/);
    assert.notEqual(state.ws2, state.ws1);
    assert.match(await flashText(page), new RegExp(secondWs));
    await ownerTab.goto('/dashboard/workspaces');
    const rows = page.locator('#workspaces-table tbody tr');
    assert.equal(await rows.count(), 2, 'both workspaces listed');
    await shot(page, 'onboarding-workspaces');
    // Switch back to the first one with its row's button.
    await submitForm(page, () => page.getByRole('button', { name: `Switch to ${firstWs}` }).click());
    assert.equal(wsOfUrl(page), state.ws1);
    ownerTab.assertClean('workspaces');
  }));

test('invite a member and accept as them from the invitation email', () =>
  asPerson(browser, owner, async (ownerTab) => {
    const { page } = ownerTab;
    await ownerTab.goto(`/dashboard/members?ws=${state.ws1}`);
    const form = page.locator('#invite-form');
    await form.getByLabel('Email').fill(member.email);
    await form.getByLabel('Dashboard role').selectOption('admin');
    await form.getByLabel('Approval roles').fill('manager, finance');
    await submitForm(page, () => form.getByRole('button', { name: 'Send invitation' }).click());
    assert.match(await flashText(page), new RegExp(`Invitation sent to ${member.email.replace(/\./g, '\\.')}`));
    assert.match(await page.locator('#invitations-table').innerText(), new RegExp(member.email.replace(/\./g, '\\.')));
    await shot(page, 'onboarding-members-invited');

    // The invitation arrives at the SMTP sink; its link is what the member clicks.
    const [mail] = await waitForMail({ to: member.email, subject: /invited you|You are invited/ }, { timeout: 30000 });
    const link = /(https?:\/\/\S+\/invite\/[A-Za-z0-9_-]+)/.exec(mail.text)?.[1];
    assert.ok(link, `invitation link in the email:\n${mail.text}`);
    assert.match(mail.text, new RegExp(firstWs));

    const memberTab = await openPage(browser);
    try {
      await memberTab.goto(link);
      await assert.doesNotReject(memberTab.page.getByRole('heading', { name: `Join ${firstWs}` }).waitFor());
      await shot(memberTab.page, 'onboarding-invite-accept');
      const ws = await acceptInvitation(memberTab.page, link, { name: member.name, password: PASSWORD });
      assert.equal(ws, state.ws1, 'the member lands in the inviting workspace');
      assert.match(await flashText(memberTab.page), /Welcome|joined/i);
      // The member sees the workspace's members, themselves among them.
      await memberTab.goto(`/dashboard/members?ws=${state.ws1}`);
      const me = memberTab.page.locator('#members-table tr', { hasText: member.email });
      assert.match(await me.innerText(), /you/);
      memberTab.assertClean('invitation accepted');
    } finally {
      await memberTab.close();
    }

    // The owner's members page now lists them, with the roles of the invitation.
    await ownerTab.goto(`/dashboard/members?ws=${state.ws1}`);
    const row = page.locator('#members-table tbody tr', { hasText: member.email });
    await assert.doesNotReject(row.waitFor());
    assert.equal(await row.getByRole('combobox').inputValue(), 'admin');
    const roles = (await row.getByRole('textbox').inputValue()).split(/\s*,\s*/).sort();
    assert.deepEqual(roles, ['finance', 'manager']);
    assert.equal(await page.locator('#invitations-table').count(), 0, 'no invitation left pending');
    await shot(page, 'onboarding-members');
    ownerTab.assertClean('members');
  }));

test('create an API key: shown once, then only its prefix; it works on the agent API', () =>
  asPerson(browser, owner, async (ownerTab) => {
    const { page } = ownerTab;
    const label = `Billing agent ${run}`;
    await ownerTab.goto(`/dashboard/keys?ws=${state.ws1}`);
    await page.getByLabel('Label').fill(label);
    await page.getByLabel('Scope').selectOption('agent');
    await submitForm(page, () => page.getByRole('button', { name: 'Create key' }).click());
    const key = (await page.locator('#new-key').innerText()).trim();
    assert.match(key, /^anx_[A-Za-z0-9]{32,128}$/, 'the new key is shown');
    assert.match(await page.locator('#new-key-card').innerText(), /only time it is shown/);
    await shot(page, 'onboarding-keys-new-key');

    // Shown once: the keys page never shows it again, only a prefix.
    const res = await ownerTab.goto(`/dashboard/keys?ws=${state.ws1}`);
    const html = await res.text();
    assert.ok(!html.includes(key), 'the secret is not on the page any more');
    assert.equal(await page.locator('#new-key').count(), 0);
    const row = page.locator('#keys-table tbody tr', { hasText: label });
    assert.match(await row.innerText(), /agent/);
    assert.match(await row.locator('code').innerText(), /^anx_/);
    assert.ok(key.startsWith((await row.locator('code').innerText()).replace(/…$/, '')), 'prefix of the key');

    // It works: an evaluation with it is answered (no policy yet: denied by default).
    const r = await call('POST', '/api/v1/evaluate', { key, body: { action: 'payments.send', amount: 12, summary: `first ${run}` } });
    assert.equal(r.status, 200, r.text);
    assert.ok(['allow', 'deny', 'approval_required'].includes(r.json.decision), r.text);
    ownerTab.assertClean('keys');
  }));

test('forgot password: the link from the email sets a new one, which signs in', async () => {
  const t = await openPage(browser);
  const newPassword = `${PASSWORD} again`;
  try {
    await t.goto('/forgot');
    await t.page.getByLabel('Email').fill(owner.email);
    await submitForm(t.page, () => t.page.getByRole('button', { name: 'Email me a link' }).click());
    await assert.doesNotReject(t.page.getByRole('heading', { name: 'Check your inbox' }).waitFor());
    const [mail] = await waitForMail({ to: owner.email, text: /\/reset-password\// }, { timeout: 30000 });
    const link = /(https?:\/\/\S+\/reset-password\/[A-Za-z0-9_-]+)/.exec(mail.text)?.[1];
    assert.ok(link, `reset link in the email:\n${mail.text}`);

    await t.goto(link);
    await t.page.getByLabel('New password', { exact: true }).fill(newPassword);
    await t.page.getByLabel('Repeat the new password').fill(newPassword);
    const res = await submitForm(t.page, () => t.page.getByRole('button', { name: 'Set new password' }).click());
    const text = (await t.page.locator('main').innerText()).replace(/\s+/g, ' ').slice(0, 300);
    assert.equal(new URL(t.page.url()).pathname, '/dashboard', `the new password is set and signs in: HTTP ${res?.status()} at ${t.page.url()}: ${text}`);
    t.assertClean('password reset');
  } finally {
    await t.close();
  }
});
