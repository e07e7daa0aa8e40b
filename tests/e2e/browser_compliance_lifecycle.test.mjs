// A workspace's main pages and its end of life in a real browser (Debian's chromium
// via playwright-core), in a workspace of this file's own with some traffic (a policy,
// allowed, denied and pending evaluations, a webhook delivery):
//   - every main page loads without console errors or Content Security Policy
//     violations, and on a phone (390×844) none scrolls sideways; screenshots of
//     each (desktop and phone) go to tests/artifacts/screenshots/;
//   - a compliance ZIP is exported from the dashboard and downloaded: it holds
//     report.md, report.pdf (which pdftotext from poppler-utils reads), the four CSV
//     samples and chain_head.txt, with this workspace's numbers;
//   - the workspace is archived (its API key is refused, the pages say so) and
//     restored (the key works again);
//   - the guarded delete refuses a wrong name and deletes with the right one.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { inflateRawSync } from 'node:zlib';
import { asPerson, flashText, launch, openPage, runTag, shot, signUp, submitForm } from './lib/browser.mjs';
import { psql } from './lib/stack.mjs';
import { call, mintKey, sqlLiteral } from './lib/workspace.mjs';
import { startReceiver } from './lib/hooks.mjs';

const run = runTag();
const PASSWORD = 'granite swallows circle home';
const owner = { name: `Lena Lifecycle ${run}`, email: `bl-owner-${run}@example.test` };
const wsName = `Lifecycle ${run}`;

let browser;
let hooks;
let tmp;
const state = {};

before(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'anx-browser-'));
  browser = await launch();
  await asPerson(browser, owner, async (t) => {
    state.ws = await signUp(t.page, { name: owner.name, email: owner.email, password: PASSWORD, workspace: wsName });
  });
  // Some traffic, made quickly through the API: the pages below are about showing it.
  psql(`UPDATE workspace_members SET approval_roles = ARRAY['manager']::text[]
    WHERE workspace_id = ${sqlLiteral(state.ws)}`);
  state.admin = mintKey(state.ws, 'admin', `lifecycle admin ${run}`);
  state.agent = mintKey(state.ws, 'agent', `lifecycle agent ${run}`);
  const pub = await call('PUT', '/api/v1/policy', {
    key: state.admin.key,
    body: {
      default: 'allow',
      rules: [
        { name: 'no-prod-drops', when: { action: 'db.drop*', resource: 'prod/*' }, effect: 'deny', reason: 'Never in production' },
        {
          name: 'large-payments',
          when: { action: 'payments.send', amount: { gt: 1000 } },
          effect: 'require_approval',
          approval: { stages: [{ role: 'manager', min_approvals: 1 }] },
          reason: 'A manager signs off large payments',
        },
      ],
    },
  });
  assert.equal(pub.status, 201, pub.text);
  hooks = await startReceiver();
  const evals = [
    { action: 'payments.send', amount: 25, currency: 'EUR', agent_id: 'billing-bot', summary: `Small refund ${run}` },
    { action: 'db.drop_table', resource: 'prod/users', agent_id: 'ops-bot', summary: `Drop users ${run}` },
    {
      action: 'payments.send',
      amount: 125000,
      currency: 'EUR',
      agent_id: 'billing-bot',
      resource: 'vendors/a-vendor-with-a-rather-long-name-that-could-overflow-a-phone-screen',
      summary: `Pay the quarterly licence of a vendor whose name is long ${run}`,
      context: { invoice: `INV-${run}`, cost_center: 'R&D/platform/infrastructure/long-path-segment' },
      webhook_url: hooks.url,
    },
  ];
  state.evals = [];
  for (const body of evals) {
    const r = await call('POST', '/api/v1/evaluate', { key: state.agent.key, body });
    assert.equal(r.status, 200, r.text);
    state.evals.push(r.json);
  }
  assert.deepEqual(state.evals.map((e) => e.decision), ['allow', 'deny', 'approval_required']);
  await hooks.waitFor((e) => e.type === 'approval_required', 'the approval_required webhook');
});

after(async () => {
  await browser?.close();
  await hooks?.close();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

/** The main pages of the dashboard, signed in: [screenshot name, path]. */
function mainPages() {
  const q = `?ws=${state.ws}`;
  return [
    ['overview', `/dashboard${q}`],
    ['evaluations', `/dashboard/evaluations${q}`],
    ['evaluation-detail', `/dashboard/evaluations/${state.evals[2].evaluation_id}${q}`],
    ['approvals', `/dashboard/approvals${q}`],
    ['policies', `/dashboard/policies${q}`],
    ['policy-version', `/dashboard/policies/versions/1${q}`],
    ['audit', `/dashboard/audit${q}`],
    ['webhooks', `/dashboard/webhooks${q}`],
    ['integrations', `/dashboard/integrations${q}`],
    ['analytics', `/dashboard/analytics${q}`],
    ['compliance', `/dashboard/compliance${q}`],
    ['keys', `/dashboard/keys${q}`],
    ['members', `/dashboard/members${q}`],
    ['settings', `/dashboard/settings${q}`],
    ['workspaces', `/dashboard/workspaces`],
    ['mailbox', `/dashboard/mailbox${q}`],
    ['password', `/account/password`],
    ['docs', `/docs`],
  ];
}

const PUBLIC_PAGES = [
  ['login', '/login'],
  ['signup', '/signup'],
  ['forgot', '/forgot'],
  ['privacy', '/privacy'],
  ['terms', '/terms'],
];

/**
 * The files of a ZIP archive: Map name → Buffer (stored or deflated entries; read
 * from the central directory, as unzip does, without needing unzip installed).
 */
function readZip(buf) {
  let end = -1;
  for (let i = buf.length - 22; i >= Math.max(0, buf.length - 22 - 0xffff); i--) {
    if (buf.readUInt32LE(i) === 0x06054b50) {
      end = i;
      break;
    }
  }
  assert.ok(end >= 0, 'the ZIP has an end-of-central-directory record');
  const count = buf.readUInt16LE(end + 10);
  let p = buf.readUInt32LE(end + 16);
  const files = new Map();
  for (let k = 0; k < count; k++) {
    assert.equal(buf.readUInt32LE(p), 0x02014b50, 'a central directory entry');
    const method = buf.readUInt16LE(p + 10);
    const csize = buf.readUInt32LE(p + 20);
    const size = buf.readUInt32LE(p + 24);
    const nameLen = buf.readUInt16LE(p + 28);
    const extraLen = buf.readUInt16LE(p + 30);
    const commentLen = buf.readUInt16LE(p + 32);
    const local = buf.readUInt32LE(p + 42);
    const name = buf.toString('utf8', p + 46, p + 46 + nameLen);
    assert.equal(buf.readUInt32LE(local), 0x04034b50, `${name}: a local header`);
    const start = local + 30 + buf.readUInt16LE(local + 26) + buf.readUInt16LE(local + 28);
    const raw = buf.subarray(start, start + csize);
    assert.ok(method === 0 || method === 8, `${name}: stored or deflated (method ${method})`);
    const data = method === 0 ? Buffer.from(raw) : inflateRawSync(raw);
    assert.equal(data.length, size, `${name}: its recorded size`);
    files.set(name, data);
    p += 46 + nameLen + extraLen + commentLen;
  }
  return files;
}

/** Document width beyond the viewport, or 0. */
async function overflow(page) {
  return page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
}

test('main pages: no console errors or CSP violations (desktop)', () =>
  asPerson(browser, owner, async (tab) => {
    // The webhook delivery page, once the delivery exists.
    const delivery = psql(`SELECT id FROM webhook_deliveries WHERE evaluation_id = ${sqlLiteral(state.evals[2].evaluation_id)} LIMIT 1`);
    const pages = mainPages();
    if (delivery) pages.push(['webhook-detail', `/dashboard/webhooks/${delivery}?ws=${state.ws}`]);
    for (const [name, p] of pages) {
      await tab.goto(p);
      await shot(tab.page, `page-${name}`);
      tab.assertClean(`${name} (${p})`);
    }
    const anon = await openPage(browser);
    try {
      for (const [name, p] of PUBLIC_PAGES) {
        await anon.goto(p);
        await shot(anon.page, `page-${name}`);
        anon.assertClean(`${name} (${p})`);
      }
    } finally {
      await anon.close();
    }
  }));

test('phone layout (390×844): no page scrolls sideways', async () => {
  const phone = await openPage(browser, {
    viewport: { width: 390, height: 844 },
    isMobile: true,
    storageState: owner.storage,
  });
  const anon = await openPage(browser, { viewport: { width: 390, height: 844 }, isMobile: true });
  try {
    const wide = [];
    for (const [t, list] of [
      [phone, mainPages()],
      [anon, PUBLIC_PAGES],
    ]) {
      for (const [name, p] of list) {
        await t.goto(p);
        const sw = await t.page.evaluate(() => document.documentElement.scrollWidth);
        if (sw > 390) wide.push(`${name} (${p}): scrollWidth ${sw}`);
        await shot(t.page, `phone-${name}`);
        t.assertClean(`phone ${name}`);
      }
    }
    assert.deepEqual(wide, [], 'pages wider than a 390 px phone screen');
    // The sidebar's navigation is reachable on a phone too.
    await phone.goto(`/dashboard?ws=${state.ws}`);
    assert.ok(await phone.page.getByRole('link', { name: 'Evaluations' }).first().isVisible());
    assert.equal(await overflow(phone.page), 0);
  } finally {
    await phone.close();
    await anon.close();
  }
});

test('phone layout: long unbroken names and summaries wrap instead of widening the page', async () => {
  // Names people really use can be one long token (a hostname, a ticket id, a
  // snake_case service name): a second workspace of the owner's, a member and an
  // evaluation with such values.
  const long = (prefix) => `${prefix}_${run}_`.padEnd(100, 'x');
  const wsLong = psql(`INSERT INTO workspaces (name) VALUES (${sqlLiteral(long('payments_production_eu_west_1'))}) RETURNING id`).split('\n')[0];
  const ownerId = psql(`SELECT id FROM users WHERE lower(email) = lower(${sqlLiteral(owner.email)})`);
  const memberId = psql(`INSERT INTO users (email, display_name, password_hash)
    VALUES (${sqlLiteral(`bl-long-${run}@example.test`)}, ${sqlLiteral(long('Maximilian_Alexander_von_Longname'))}, '!no-login') RETURNING id`).split('\n')[0];
  psql(`INSERT INTO workspace_members (workspace_id, user_id, role, approval_roles) VALUES
    (${sqlLiteral(wsLong)}, ${sqlLiteral(ownerId)}, 'owner', ARRAY['manager']),
    (${sqlLiteral(wsLong)}, ${sqlLiteral(memberId)}, 'admin', '{}')`);
  const agent = mintKey(wsLong, 'agent', long('billing_agent_key'));
  const r = await call('POST', '/api/v1/evaluate', {
    key: agent.key,
    body: {
      action: 'payments.send',
      amount: 10,
      agent_id: long('billing_agent_instance'),
      resource: long('s3://bucket/very/deep/path/to/an/object'),
      summary: long('Refund_order'),
      context: { [long('key')]: long('value') },
    },
  });
  assert.equal(r.status, 200, r.text);
  const phone = await openPage(browser, { viewport: { width: 390, height: 844 }, isMobile: true, storageState: owner.storage });
  try {
    const q = `?ws=${wsLong}`;
    const wide = [];
    for (const [name, p] of [
      ['overview', `/dashboard${q}`],
      ['members', `/dashboard/members${q}`],
      ['keys', `/dashboard/keys${q}`],
      ['evaluations', `/dashboard/evaluations${q}`],
      ['evaluation-detail', `/dashboard/evaluations/${r.json.evaluation_id}${q}`],
      ['settings', `/dashboard/settings${q}`],
      ['workspaces', `/dashboard/workspaces${q}`],
    ]) {
      await phone.goto(p);
      const sw = await phone.page.evaluate(() => document.documentElement.scrollWidth);
      if (sw > 390) {
        wide.push(`${name} (${p}): scrollWidth ${sw}`);
        await shot(phone.page, `phone-long-names-${name}`);
      }
    }
    assert.deepEqual(wide, [], 'pages a long unbroken name makes wider than a 390 px phone');
  } finally {
    await phone.close();
  }
});

test('export a compliance ZIP from the dashboard and check its files', () =>
  asPerson(browser, owner, async (tab) => {
    const { page } = tab;
    await tab.goto(`/dashboard/compliance?ws=${state.ws}`);
    await page.getByRole('radio', { name: /^ZIP/ }).check();
    // The period defaults to something sensible; make sure today is in it.
    const today = new Date().toISOString().slice(0, 10);
    await page.getByLabel('Last day').fill(today);
    const from = await page.getByLabel('First day').inputValue();
    assert.match(from, /^\d{4}-\d{2}-\d{2}$/);
    assert.ok(from <= today);

    const downloaded = page.waitForEvent('download', { timeout: 90000 });
    await submitForm(page, () => page.getByRole('button', { name: 'Start export' }).click());
    assert.match(new URL(page.url()).pathname, /^\/dashboard\/compliance\/exports\/[0-9a-f-]{36}$/);
    await shot(page, 'compliance-export-progress');
    // The page polls and starts the download by itself when the file is ready; if the
    // export finished before the page loaded, it shows the link instead.
    let download = await Promise.race([
      downloaded,
      page.locator('#download').waitFor({ timeout: 90000 }).then(() => 'link'),
    ]);
    if (download === 'link') {
      await shot(page, 'compliance-export-ready');
      [download] = await Promise.all([page.waitForEvent('download'), page.locator('#download').click()]);
    }
    assert.match(download.suggestedFilename(), /\.zip$/);
    const zip = path.join(tmp, 'export.zip');
    await download.saveAs(zip);

    const zipped = readZip(readFileSync(zip));
    const names = [...zipped.keys()].map((f) => path.basename(f)).sort();
    const file = (n) => {
      const key = [...zipped.keys()].find((k) => path.basename(k) === n);
      assert.ok(key, `${n} in the ZIP: ${names.join(', ')}`);
      return zipped.get(key);
    };
    for (const want of ['report.md', 'report.pdf', 'evaluations.csv', 'approvals.csv', 'audit_events.csv', 'deliveries.csv', 'chain_head.txt']) {
      assert.ok(names.includes(want), `${want} in the ZIP: ${names.join(', ')}`);
    }

    const pdfFile = path.join(tmp, 'report.pdf');
    writeFileSync(pdfFile, file('report.pdf'));
    assert.equal(file('report.pdf').subarray(0, 5).toString('latin1'), '%PDF-');
    const pdf = spawnSync('pdftotext', ['-layout', pdfFile, '-'], { encoding: 'utf8' });
    assert.equal(pdf.status, 0, `pdftotext opens the PDF: ${pdf.stderr}`);
    assert.match(pdf.stdout, new RegExp(wsName), 'the PDF names the workspace');
    assert.match(pdf.stdout, /[Cc]ompliance|[Rr]eport/);
    assert.match(pdf.stdout, /\b3\b/, 'three evaluations in the period');

    assert.match(file('report.md').toString('utf8'), new RegExp(wsName));
    const evCsv = file('evaluations.csv').toString('utf8').trim().split(/\r?\n/);
    assert.equal(evCsv.length, 1 + 3, `a header and three evaluations:\n${evCsv.join('\n')}`);
    for (const e of state.evals) assert.ok(evCsv.some((l) => l.includes(e.evaluation_id)), `${e.evaluation_id} in evaluations.csv`);
    const approvals = file('approvals.csv').toString('utf8').trim().split(/\r?\n/);
    assert.ok(approvals.length >= 2, `the approval request is sampled:\n${approvals.join('\n')}`);
    const audit = file('audit_events.csv').toString('utf8').trim().split(/\r?\n/);
    assert.ok(audit.length > 3, 'audit events sampled');
    const deliveries = file('deliveries.csv').toString('utf8').trim().split(/\r?\n/);
    assert.ok(deliveries.length >= 2, 'the webhook delivery is sampled');
    assert.ok(file('chain_head.txt').toString('utf8').trim().length > 0, 'chain head');

    // The export is listed on the compliance page as ready.
    await tab.goto(`/dashboard/compliance?ws=${state.ws}`);
    assert.match(await page.locator('#exports-table').innerText(), /ready/);
    await shot(page, 'compliance');
    tab.assertClean('compliance');
  }));

test('archive the workspace (its key is refused), then restore it', () =>
  asPerson(browser, owner, async (tab) => {
    const { page } = tab;
    const evaluate = () => call('POST', '/api/v1/evaluate', { key: state.agent.key, body: { action: 'payments.send', amount: 5 } });
    assert.equal((await evaluate()).status, 200);

    await tab.goto(`/dashboard/settings?ws=${state.ws}`);
    tab.dialogs.length = 0;
    await submitForm(page, () => page.getByRole('button', { name: 'Archive workspace' }).click());
    assert.equal(tab.dialogs.length, 1, 'a confirmation was asked');
    assert.match(tab.dialogs[0].message, new RegExp(`Archive ${wsName}`));
    assert.match(await page.locator('main').innerText(), /This workspace is archived/);
    assert.ok(await page.getByRole('button', { name: 'Restore workspace' }).isVisible());
    await shot(page, 'settings-archived');
    const refused = await evaluate();
    assert.ok(refused.status === 401 || refused.status === 403, `an archived workspace's key is refused: ${refused.status} ${refused.text}`);
    // Read-only: the keys page offers no form.
    await tab.goto(`/dashboard/keys?ws=${state.ws}`);
    assert.equal(await page.locator('#create-key-form').count(), 0);

    await tab.goto(`/dashboard/settings?ws=${state.ws}`);
    await submitForm(page, () => page.getByRole('button', { name: 'Restore workspace' }).click());
    assert.doesNotMatch(await page.locator('main').innerText(), /This workspace is archived/);
    assert.ok(await page.getByRole('button', { name: 'Archive workspace' }).isVisible());
    assert.equal((await evaluate()).status, 200, 'the key works again');
    tab.assertClean('archive and restore');
  }));

test('guarded delete: a wrong name is refused, the right one deletes', () =>
  asPerson(browser, owner, async (tab) => {
    const { page } = tab;
    await tab.goto(`/dashboard/settings?ws=${state.ws}`);
    const confirmField = () => page.getByLabel(/to confirm/);
    await confirmField().fill(`${wsName} (not quite)`);
    await submitForm(page, () => page.getByRole('button', { name: 'Delete workspace forever' }).click());
    const err = page.locator('#confirm_name-error');
    await assert.doesNotReject(err.waitFor(), 'the wrong name is pointed out');
    assert.equal(await confirmField().getAttribute('aria-invalid'), 'true');
    await shot(page, 'settings-delete-refused');
    assert.equal(psql(`SELECT count(*) FROM workspaces WHERE id = ${sqlLiteral(state.ws)}`), '1', 'still there');

    tab.dialogs.length = 0;
    await confirmField().fill(wsName);
    await submitForm(page, () => page.getByRole('button', { name: 'Delete workspace forever' }).click());
    assert.equal(tab.dialogs.length, 1, 'a last confirmation was asked');
    assert.equal(new URL(page.url()).pathname, '/dashboard/workspaces');
    assert.match(await flashText(page), /deleted/);
    assert.equal(psql(`SELECT count(*) FROM workspaces WHERE id = ${sqlLiteral(state.ws)}`), '0', 'gone');
    await shot(page, 'workspaces-after-delete');
    await tab.goto(`/dashboard?ws=${state.ws}`, { status: 404 });
    const r = await call('POST', '/api/v1/evaluate', { key: state.agent.key, body: { action: 'payments.send', amount: 5 } });
    assert.equal(r.status, 401, 'its keys are gone');
    tab.assertClean('delete');
  }));
