// Governance analytics, compliance reports, docs and the dev mailbox, driven over
// HTTP like a browser without JavaScript, in a workspace of this file's own:
//   - /dashboard/analytics draws server-side SVG charts (role="img", <title>
//     tooltips, no script or style) with the same numbers in tables, for 7/30/90 days;
//   - a compliance ZIP export runs as a job in `agentnexus-cron deliver`, its
//     progress polled as JSON, and downloads as a ZIP holding report.md, report.pdf,
//     the four CSV samples and chain_head.txt; the PDF passes pdftotext with the key
//     numbers in it; "PDF only" downloads a PDF; both are audited;
//   - COMPLIANCE_EXPORT_ADMIN_ONLY=1 refuses a viewer (a second FastCGI worker with
//     that setting, reached with cgi-fcgi, shares the stack's database);
//   - /docs lists and renders docs/*.md, unknown names are 404, and raw HTML in a
//     document is not rendered (the second worker serves a hostile docs directory);
//     /privacy and /terms link to /docs/DATA_HANDLING;
//   - /dashboard/mailbox lists the workspace's email with its links (development),
//     and is 404 in production (the second worker, when production settings load).
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { api, env, headerValues, psql, sh, waitFor } from './lib/stack.mjs';
import { mintKey } from './lib/workspace.mjs';

const run = `${Date.now().toString(36)}${randomBytes(2).toString('hex')}`;
const email = (who) => `reports-${who}-${run}@example.test`;
const PASSWORD = 'copper kettles hum at dusk';
const lit = (s) => `'${String(s).replace(/'/g, "''")}'`;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const RETRYABLE = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT']);

/** api() that waits out a stack restart by someone else (nothing reached the app). */
async function call(method, p, opts) {
  const deadline = Date.now() + 60000;
  for (;;) {
    try {
      const res = await api(method, p, opts);
      if (res.status === 502 && Date.now() < deadline) {
        await sleep(300);
        continue;
      }
      return res;
    } catch (e) {
      if (Date.now() < deadline && (RETRYABLE.has(e.code) || /socket hang up/.test(e.message))) {
        await sleep(300);
        continue;
      }
      throw e;
    }
  }
}

/** A cookie-keeping client that submits forms like a browser without JavaScript. */
class Browser {
  constructor() {
    this.jar = new Map();
  }

  cookie() {
    return [...this.jar].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  async request(method, p, { form, headers = {}, timeout } = {}) {
    const h = { ...headers };
    if (this.jar.size) h.Cookie = this.cookie();
    const opts = { headers: h, timeout };
    if (form !== undefined) {
      h['Content-Type'] = 'application/x-www-form-urlencoded';
      opts.body = new URLSearchParams(form).toString();
      opts.raw = true;
    }
    const res = await call(method, p, opts);
    for (const sc of headerValues(res, 'set-cookie')) {
      const [pair] = sc.split(';');
      const i = pair.indexOf('=');
      if (/;\s*Max-Age=0/i.test(sc)) this.jar.delete(pair.slice(0, i));
      else this.jar.set(pair.slice(0, i), pair.slice(i + 1));
    }
    return res;
  }

  get(p) {
    return this.request('GET', p);
  }

  /** POSTs form fields with the page's CSRF token (and workspace). */
  async submit(pagePath, action, fields = {}) {
    const page = await this.get(pagePath);
    assert.equal(page.status, 200, `${pagePath}: ${page.text.slice(0, 300)}`);
    const csrf = /name="csrf" value="([0-9a-f]{64})"/.exec(page.text)?.[1];
    const ws = /name="ws" value="([0-9a-f-]{36})"/.exec(page.text)?.[1];
    assert.ok(csrf, `${pagePath} carries a CSRF token`);
    return this.request('POST', action, { form: { csrf, ...(ws ? { ws } : {}), ...fields } });
  }
}

async function signUp(who) {
  const b = new Browser();
  const res = await b.submit('/signup', '/signup', {
    display_name: `Reports ${who}`,
    email: email(who),
    password: PASSWORD,
    workspace_name: `Reports ${who} ${run}`,
  });
  assert.equal(res.status, 303, res.text.slice(0, 400));
  const ws = /[?&]ws=([0-9a-f-]{36})/.exec(res.headers.location || '')?.[1];
  assert.ok(ws, `sign-up redirects into the new workspace: ${res.headers.location}`);
  const id = psql(`SELECT id FROM users WHERE email = ${lit(email(who))}`);
  return { b, ws, id };
}

/** A signed-in page: no inline script, handler or style. */
function assertPage(res, where) {
  assert.equal(res.status, 200, `${where}: ${res.text.slice(0, 400)}`);
  assert.match(res.headers['content-type'] || '', /^text\/html/, where);
  for (const m of res.text.matchAll(/<script\b([^>]*)>/gi)) assert.match(m[1], /\bsrc="\/static\//, where);
  assert.doesNotMatch(res.text, /\son[a-z]+\s*=\s*["']/i, `${where}: no inline event handlers`);
  assert.doesNotMatch(res.text, /\sstyle\s*=/i, `${where}: no inline styles`);
}

function unescapeHtml(s) {
  return s.replace(/&amp;/g, '&').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>');
}

// ---------------------------------------------------------------------------
// A second FastCGI worker with other settings, on its own socket, reached with
// cgi-fcgi (libfcgi's CGI-to-FastCGI bridge) — same binary, same database.

function startWorker(extraEnv) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'anx-reports-'));
  const sock = path.join(dir, 'fcgi.sock');
  const pidFile = path.join(dir, 'fcgi.pid');
  const assigns = Object.entries({ ANX_LOG_FILE: path.join(dir, 'fcgi.log'), ...extraEnv })
    .map(([k, v]) => `${k}='${String(v).replace(/'/g, `'\\''`)}'`)
    .join(' ');
  const r = sh(`env ${assigns} spawn-fcgi -s '${sock}' -P '${pidFile}' -- "$ANX_FCGI_BIN" 2>&1`, { check: false });
  if (r.status !== 0 || !existsSync(pidFile)) {
    rmSync(dir, { recursive: true, force: true });
    return { failed: `${r.stdout}${r.stderr}` };
  }
  const pid = Number(readFileSync(pidFile, 'utf8').trim());
  return {
    dir,
    sock,
    pid,
    stop() {
      try {
        process.kill(pid, 'SIGTERM');
      } catch {
        // already gone
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** One request to a side worker: {status, headers, text}. */
function fcgi(worker, method, pathq, { cookie, form } = {}) {
  const [p, q = ''] = pathq.split('?');
  const body = form ? new URLSearchParams(form).toString() : '';
  const reqEnv = {
    PATH: process.env.PATH,
    REQUEST_METHOD: method,
    DOCUMENT_URI: p,
    SCRIPT_NAME: p,
    REQUEST_URI: pathq,
    QUERY_STRING: q,
    REQUEST_ID: `e2e-reports-${randomBytes(6).toString('hex')}`,
    REMOTE_ADDR: '127.0.0.1',
    SERVER_PROTOCOL: 'HTTP/1.1',
    HTTP_HOST: '127.0.0.1',
    CONTENT_LENGTH: String(Buffer.byteLength(body)),
    ...(form ? { CONTENT_TYPE: 'application/x-www-form-urlencoded' } : {}),
    ...(cookie ? { HTTP_COOKIE: cookie } : {}),
  };
  const r = spawnSync('cgi-fcgi', ['-bind', '-connect', worker.sock], { env: reqEnv, input: body, encoding: 'utf8' });
  assert.equal(r.status, 0, `cgi-fcgi: ${r.stderr}`);
  const split = r.stdout.indexOf('\r\n\r\n');
  const head = r.stdout.slice(0, split);
  const headers = {};
  for (const l of head.split('\r\n')) {
    const i = l.indexOf(':');
    if (i > 0) headers[l.slice(0, i).toLowerCase()] = l.slice(i + 1).trim();
  }
  return { status: Number(/^(\d{3})/.exec(headers.status || '200')[1]), headers, text: r.stdout.slice(split + 4) };
}

// ---------------------------------------------------------------------------

const POLICY = {
  default: 'allow',
  rules: [
    { name: 'no-drops', when: { action: 'db.drop*' }, effect: 'deny', reason: 'Never drop tables' },
    {
      name: 'payments-need-manager',
      when: { action: 'payments.send', amount: { gt: 1000 } },
      effect: 'require_approval',
      approval: { stages: [{ role: 'manager', min_approvals: 1 }], timeout_seconds: 3600 },
      reason: 'Large payments need a manager',
    },
  ],
};

let owner;
let viewer;
let ws;
let agent;

before(async () => {
  owner = await signUp('owner');
  ws = owner.ws;
  viewer = await signUp('viewer');
  psql(`INSERT INTO workspace_members (workspace_id, user_id, role, approval_roles)
    VALUES (${lit(ws)}, ${lit(viewer.id)}, 'viewer', '{manager}')`);
  psql(`UPDATE workspace_members SET approval_roles = '{manager}' WHERE workspace_id = ${lit(ws)} AND user_id = ${lit(owner.id)}`);
  const admin = mintKey(ws, 'admin', 'reports admin');
  agent = mintKey(ws, 'agent', 'reports agent');
  const pub = await call('PUT', '/api/v1/policy', { headers: { Authorization: `Bearer ${admin.key}` }, body: POLICY });
  assert.ok([200, 201].includes(pub.status), `publish: ${pub.text}`);
  // 4 allowed, 2 denied, 3 for approval: one approved after 10 minutes, one
  // rejected after an hour, one pending.
  const ev = async (body) => {
    const r = await call('POST', '/api/v1/evaluate', { headers: { Authorization: `Bearer ${agent.key}` }, body });
    assert.equal(r.status, 200, `evaluate: ${r.text}`);
    return r.json;
  };
  for (let i = 0; i < 4; i++) await ev({ action: 'email.send', agent_id: 'mailer' });
  for (let i = 0; i < 2; i++) await ev({ action: 'db.drop_table', agent_id: 'dba', resource: 'prod/users' });
  const pay = [];
  for (let i = 0; i < 3; i++) pay.push(await ev({ action: 'payments.send', agent_id: 'payer', amount: 5000 + i }));
  for (const p of pay) assert.equal(p.decision, 'approval_required');
  // Decide two of them as approvers would, 10 and 30 minutes after they were
  // asked (the rollup triggers see the UPDATEs).
  const decide = (e, status, minutes, who) => {
    psql(`UPDATE evaluations SET status = ${lit(status)}, created_at = now() - interval '${minutes} minutes',
      decided_at = now() WHERE id = ${lit(e.evaluation_id)}`);
    psql(`UPDATE approval_requests SET status = ${lit(status)}, decided_at = now(), via = 'dashboard'
      WHERE evaluation_id = ${lit(e.evaluation_id)} AND user_id = ${lit(who.id)}`);
  };
  decide(pay[0], 'approved', 10, owner);
  decide(pay[1], 'rejected', 30, viewer);
});

test('analytics: SVG charts with their numbers in tables, for every period', async () => {
  for (const range of ['7d', '30d', '90d']) {
    const res = await owner.b.get(`/dashboard/analytics?range=${range}&ws=${ws}`);
    assertPage(res, `analytics ${range}`);
    assert.match(res.text, new RegExp(`href="/dashboard/analytics\\?range=${range}&amp;ws=${ws}" aria-current="page"`));
    const svgs = [...res.text.matchAll(/<svg xmlns="http:\/\/www.w3.org\/2000\/svg"[\s\S]*?<\/svg>/g)].map((m) => m[0]);
    assert.ok(svgs.length >= 5, `${range}: five charts, got ${svgs.length}`);
    for (const svg of svgs) {
      assert.match(svg, /role="img"/);
      const label = /aria-labelledby="([^"]+)"/.exec(svg)?.[1];
      assert.ok(label, 'each chart names its title');
      for (const id of label.split(' ')) assert.match(svg, new RegExp(`id="${id}"`));
      assert.doesNotMatch(svg, /<script|style=|\son[a-z]+=/i);
    }
    // The numbers, as the tables show them.
    assert.match(res.text, /id="kpi-evaluations">9</);
    assert.match(res.text, /id="kpi-denied">2</);
    assert.match(res.text, /id="kpi-approval-rate">50 %</);
    assert.match(res.text, /id="kpi-median">20 min</, 'median of 10 and 30 minutes, exactly');
    for (const t of ['volume-table', 'latency-table', 'rules-table', 'actions-table', 'approvers-table']) {
      assert.match(res.text, new RegExp(`<table class="num" id="${t}">`), `${range}: ${t}`);
    }
    const volume = /<table class="num" id="volume-table">([\s\S]*?)<\/table>/.exec(res.text)[1];
    const sums = [0, 0, 0, 0];
    for (const m of volume.matchAll(/<tr><th scope="row"[^>]*>[^<]+<\/th><td>(\d+)<\/td><td>(\d+)<\/td><td>(\d+)<\/td><td>(\d+)<\/td>/g)) {
      for (let i = 0; i < 4; i++) sums[i] += Number(m[i + 1]);
    }
    assert.deepEqual(sums, [4, 2, 3, 9], 'allow, deny, approval, total over the days');
    const rules = /<table class="num" id="rules-table">([\s\S]*?)<\/table>/.exec(res.text)[1];
    assert.match(rules, /<code>no-drops<\/code><\/th><td>2<\/td><td>0<\/td><td>2<\/td>/);
    assert.match(rules, /<code>payments-need-manager<\/code><\/th><td>0<\/td><td>1<\/td><td>1<\/td>/);
    const approvers = /<table class="num" id="approvers-table">([\s\S]*?)<\/table>/.exec(res.text)[1];
    assert.match(approvers, /Reports viewer<\/th><td>0<\/td><td>1<\/td>/);
    assert.match(approvers, /Reports owner<\/th><td>1<\/td><td>0<\/td>/);
    // A tooltip on the bars.
    assert.match(res.text, /<title>[^<]+ — allow: 4 of 9<\/title>/);
  }
  // An unknown period falls back to 30 days.
  const res = await owner.b.get(`/dashboard/analytics?range=1y&ws=${ws}`);
  assertPage(res, 'analytics 1y');
  assert.match(res.text, /range=30d&amp;ws=[^"]+" aria-current="page"/);
  // A workspace one is not a member of is not reachable.
  const other = await viewer.b.get('/dashboard/analytics?ws=00000000-0000-4000-8000-000000000000');
  assert.equal(other.status, 404);
});

/** Starts an export from the compliance page; returns its id. */
async function startExport(b, fields) {
  const res = await b.submit(`/dashboard/compliance?ws=${ws}`, '/dashboard/compliance/exports', fields);
  assert.equal(res.status, 303, res.text.slice(0, 300));
  const id = /\/dashboard\/compliance\/exports\/([0-9a-f-]{36})\?ws=/.exec(res.headers.location || '')?.[1];
  assert.ok(id, `redirect to the export's page: ${res.headers.location}`);
  return id;
}

/** Polls the JSON status until done; returns the last status. */
async function waitDone(b, id) {
  let last;
  await waitFor(
    async () => {
      const r = await b.get(`/dashboard/compliance/exports/${id}/status?ws=${ws}`);
      assert.equal(r.status, 200, r.text.slice(0, 200));
      assert.match(r.headers['content-type'], /^application\/json/);
      last = r.json;
      assert.equal(last.failed, false, `export failed: ${last.message}`);
      assert.ok(last.percent >= 0 && last.percent <= 100);
      return last.done;
    },
    { timeout: 120000, interval: 300, what: `export ${id} to finish` }
  );
  return last;
}

function tmpFile(name, data) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'anx-export-'));
  const f = path.join(dir, name);
  writeFileSync(f, data);
  return { f, dir };
}

test('compliance: a ZIP export runs in the background and holds the report, PDF and CSV samples', async () => {
  const today = new Date().toISOString().slice(0, 10);
  const from = new Date(Date.now() - 6 * 86400e3).toISOString().slice(0, 10);
  const id = await startExport(owner.b, { kind: 'zip', from, to: today });

  const page = await owner.b.get(`/dashboard/compliance/exports/${id}?ws=${ws}`);
  assertPage(page, 'export page');
  if (/data-status="(queued|running)"/.test(page.text)) {
    assert.match(page.text, new RegExp(`data-poll="/dashboard/compliance/exports/${id}/status\\?ws=${ws}"`));
    assert.match(page.text, /id="refresh"/, 'a Refresh link for browsers without JavaScript');
  }
  const st = await waitDone(owner.b, id);
  assert.equal(st.download_url, `/dashboard/compliance/exports/${id}?ws=${ws}`);

  const done = await owner.b.get(`/dashboard/compliance/exports/${id}?ws=${ws}`);
  assertPage(done, 'finished export page');
  assert.match(done.text, /data-status="done"/);
  const href = unescapeHtml(/<a class="button" href="([^"]+)" id="download"/.exec(done.text)[1]);
  assert.equal(href, `/dashboard/compliance/exports/${id}/download?ws=${ws}`);

  const dl = await owner.b.get(href);
  assert.equal(dl.status, 200);
  assert.equal(dl.headers['content-type'], 'application/zip');
  assert.match(dl.headers['content-disposition'], /^attachment; filename="agentnexus-compliance-reports-owner-[a-z0-9-]+-\d{4}-\d\d-\d\d-to-\d{4}-\d\d-\d\d\.zip"$/);
  assert.match(dl.headers['cache-control'] || '', /no-store/);

  const { f, dir } = tmpFile('export.zip', dl.body);
  try {
    const listing = sh(`unzip -l '${f}'`);
    for (const name of ['report.md', 'report.pdf', 'chain_head.txt', 'evaluations.csv', 'approvals.csv', 'audit_events.csv', 'deliveries.csv']) {
      assert.match(listing, new RegExp(`\\s${name.replace('.', '\\.')}\\n`), `${name} in the ZIP`);
    }
    const md = sh(`unzip -p '${f}' report.md`);
    assert.match(md, /\| All evaluations \| 9 \|/);
    assert.match(md, /\| Denied by policy \| 2 \|/);
    assert.match(md, /Approval rate: \*\*50 %\*\*/);
    assert.match(md, /median \*\*20 min\*\*/);
    assert.match(md, /Verification: \*\*OK\*\*/);
    const evals = sh(`unzip -p '${f}' evaluations.csv`).split('\r\n').filter(Boolean);
    assert.equal(evals[0].split(',')[0], 'evaluation_id');
    assert.equal(evals.length, 1 + 9, 'header and nine evaluations');
    const approvals = sh(`unzip -p '${f}' approvals.csv`);
    assert.match(approvals, new RegExp(email('viewer').replace(/[.]/g, '\\.') + ',rejected,'));
    const audit = sh(`unzip -p '${f}' audit_events.csv`);
    assert.match(audit, /compliance\.export_requested/);
    const chain = sh(`unzip -p '${f}' chain_head.txt`);
    assert.match(chain, /^head_seq: \d+$/m);
    assert.match(chain, /^head_hash: [0-9a-f]{64}$/m);
    assert.match(chain, /^verification: ok$/m);
    // The PDF opens with poppler and carries the key numbers as text.
    sh(`unzip -p '${f}' report.pdf > '${dir}/report.pdf'`);
    const text = sh(`pdftotext -layout '${dir}/report.pdf' -`);
    assert.match(text, /Compliance summary/);
    assert.match(text, /All evaluations\s+9\b/);
    assert.match(text, /Denied by policy\s+2\b/);
    assert.match(text, /Approval rate[^\n]*50 %/);
    assert.match(text, /Median time to decision\s+20 min/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  // Audited: requested (the owner), exported (system), downloaded (the owner).
  const events = psql(`SELECT event_type || ':' || actor_type FROM audit_events WHERE workspace_id = ${lit(ws)}
    AND subject_id = ${lit(id)} ORDER BY id`).split('\n');
  assert.deepEqual(events, ['compliance.export_requested:user', 'compliance.exported:system', 'compliance.downloaded:user']);

  // The list shows it.
  const list = await owner.b.get(`/dashboard/compliance?ws=${ws}`);
  assertPage(list, 'compliance page');
  assert.match(list.text, new RegExp(`data-export="${id}"[\\s\\S]*?badge-ok">ready<`));
});

test('compliance: PDF only, and the period is checked', async () => {
  const today = new Date().toISOString().slice(0, 10);
  const id = await startExport(owner.b, { kind: 'pdf', from: today, to: today });
  await waitDone(owner.b, id);
  const dl = await owner.b.get(`/dashboard/compliance/exports/${id}/download?ws=${ws}`);
  assert.equal(dl.status, 200);
  assert.equal(dl.headers['content-type'], 'application/pdf');
  assert.match(dl.headers['content-disposition'], /^attachment; filename="agentnexus-compliance-[a-z0-9-]+\.pdf"$/);
  assert.equal(dl.body.subarray(0, 5).toString(), '%PDF-');
  const { f, dir } = tmpFile('report.pdf', dl.body);
  try {
    assert.match(sh(`pdftotext '${f}' -`), /Compliance summary/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }

  for (const [fields, field] of [
    [{ kind: 'zip', from: '2026-02-30', to: today }, 'export-from-error'],
    [{ kind: 'zip', from: today, to: '2999-01-01' }, 'export-to-error'],
    [{ kind: 'tar', from: today, to: today }, null],
  ]) {
    const res = await owner.b.submit(`/dashboard/compliance?ws=${ws}`, '/dashboard/compliance/exports', fields);
    assert.equal(res.status, 422, res.text.slice(0, 300));
    if (field) assert.match(res.text, new RegExp(`id="${field}"`));
  }
  // Not another workspace's export, not a malformed id.
  const stranger = await viewer.b.get(`/dashboard/compliance/exports/${id}?ws=${viewer.ws}`);
  assert.equal(stranger.status, 404);
  assert.equal((await owner.b.get(`/dashboard/compliance/exports/not-a-uuid/download?ws=${ws}`)).status, 404);
});

test('compliance: COMPLIANCE_EXPORT_ADMIN_ONLY=1 refuses a viewer, not an owner', async (t) => {
  // Without the setting (the stack's), a viewer may export.
  const open = await viewer.b.get(`/dashboard/compliance?ws=${ws}`);
  assertPage(open, 'compliance page (viewer)');
  if (/id="admin-only"/.test(open.text)) t.diagnostic('the stack itself runs with COMPLIANCE_EXPORT_ADMIN_ONLY=1');
  else assert.match(open.text, /id="export-form"/);

  const w = startWorker({ COMPLIANCE_EXPORT_ADMIN_ONLY: '1' });
  assert.ok(!w.failed, `second worker: ${w.failed}`);
  try {
    const page = fcgi(w, 'GET', `/dashboard/compliance?ws=${ws}`, { cookie: viewer.b.cookie() });
    assert.equal(page.status, 200, page.text.slice(0, 300));
    assert.match(page.text, /id="admin-only"/);
    assert.doesNotMatch(page.text, /id="export-form"/);
    const csrf = /name="csrf" value="([0-9a-f]{64})"/.exec(page.text)[1];
    const today = new Date().toISOString().slice(0, 10);
    const form = { csrf, ws, kind: 'pdf', from: today, to: today };
    const refused = fcgi(w, 'POST', '/dashboard/compliance/exports', { cookie: viewer.b.cookie(), form });
    assert.equal(refused.status, 403, refused.text.slice(0, 300));
    assert.match(refused.text, /COMPLIANCE_EXPORT_ADMIN_ONLY/);
    const last = psql(`SELECT id FROM compliance_exports WHERE workspace_id = ${lit(ws)} ORDER BY created_at DESC LIMIT 1`);
    assert.equal(fcgi(w, 'GET', `/dashboard/compliance/exports/${last}/download?ws=${ws}`, { cookie: viewer.b.cookie() }).status, 403);
    assert.equal(fcgi(w, 'GET', `/dashboard/compliance/exports/${last}/status?ws=${ws}`, { cookie: viewer.b.cookie() }).status, 403);
    // The owner still may.
    const ownerPage = fcgi(w, 'GET', `/dashboard/compliance?ws=${ws}`, { cookie: owner.b.cookie() });
    assert.match(ownerPage.text, /id="export-form"/);
    const ocsrf = /name="csrf" value="([0-9a-f]{64})"/.exec(ownerPage.text)[1];
    const ok = fcgi(w, 'POST', '/dashboard/compliance/exports', { cookie: owner.b.cookie(), form: { ...form, csrf: ocsrf } });
    assert.equal(ok.status, 303, ok.text.slice(0, 300));
    const id = /exports\/([0-9a-f-]{36})/.exec(ok.headers.location)[1];
    await waitDone(owner.b, id);
  } finally {
    w.stop();
  }
});

test('docs: the list, a page, 404 for unknown names; privacy and terms link the inventory', async () => {
  const b = new Browser();
  const index = await b.get('/docs');
  assert.equal(index.status, 200);
  assert.match(index.text, /<a href="\/docs\/DATA_HANDLING"><strong>Data handling<\/strong><\/a>/);
  // Every document of docs/ is listed.
  for (const f of sh(`ls "$ANX_DOCS_DIR"`).split('\n').filter((n) => /^[A-Za-z0-9_-]+\.md$/.test(n))) {
    assert.match(index.text, new RegExp(`href="/docs/${f.slice(0, -3)}"`), `${f} is listed`);
  }
  const page = await b.get('/docs/DATA_HANDLING');
  assert.equal(page.status, 200);
  assert.match(page.text, /<h1 id="data-handling">Data handling<\/h1>/);
  assert.match(page.text, /<table>/, 'GitHub tables are rendered');
  assert.match(page.text, /agentnexus-cron purge/);
  assert.match(page.text, /href="\/docs\/DATA_HANDLING" aria-current="page"/);
  const md = await b.get('/docs/DATA_HANDLING.md');
  assert.equal(md.status, 303);
  assert.equal(md.headers.location, '/docs/DATA_HANDLING');
  for (const bad of ['/docs/NOPE', '/docs/data_handling', '/docs/DATA_HANDLING.txt']) {
    const r = await b.get(bad);
    assert.equal(r.status, 404, bad);
    assert.match(r.headers['content-type'], /^text\/html/);
  }
  // A path that tries to leave docs/ never reaches a file.
  const trav = await b.get('/docs/..%2F..%2Fetc%2Fpasswd');
  assert.ok([400, 404].includes(trav.status), `traversal: ${trav.status}`);
  assert.doesNotMatch(trav.text, /root:/);
  for (const p of ['/privacy', '/terms']) {
    const r = await b.get(p);
    assert.equal(r.status, 200, p);
    assert.match(r.text, /href="\/docs\/DATA_HANDLING"/, `${p} links the data inventory`);
    assert.match(r.text, /not legal advice/);
  }
  const privacy = await b.get('/privacy');
  assert.match(privacy.text, /after <strong>\d+ days<\/strong>|until the workspace is deleted/);
});

test('docs: raw HTML and script links in a document are not rendered', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'anx-docs-'));
  writeFileSync(
    path.join(dir, 'EVIL.md'),
    '# Evil\n\nHello <script>alert(1)</script> <img src=x onerror=alert(2)>\n\n<iframe src="https://example.com"></iframe>\n\n' +
      '[click](javascript:alert(3)) and [fine](OTHER.md)\n\n| a | b |\n|---|---|\n| <b onclick=x>c</b> | `d` |\n'
  );
  writeFileSync(path.join(dir, 'OTHER.md'), '# Other\n\nfine\n');
  const w = startWorker({ ANX_DOCS_DIR: dir });
  try {
    assert.ok(!w.failed, `second worker: ${w.failed}`);
    const r = fcgi(w, 'GET', '/docs/EVIL');
    assert.equal(r.status, 200, r.text.slice(0, 300));
    const article = /<article id="doc"[^>]*>([\s\S]*?)<\/article>/.exec(r.text)[1];
    assert.doesNotMatch(article, /<script|<img|<iframe|onerror|onclick|javascript:/i);
    assert.match(article, /raw HTML omitted/);
    assert.match(article, /<a href="\/docs\/OTHER">fine<\/a>/);
    assert.match(article, /<table>/);
    const index = fcgi(w, 'GET', '/docs');
    assert.match(index.text, /href="\/docs\/EVIL"/);
    assert.match(index.text, /href="\/docs\/OTHER"/);
  } finally {
    w.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('mailbox (development): the workspace mail and its links; 404 in production', async (t) => {
  const subject = `Reports mail ${run}`;
  const link = `${env.ANX_BASE_URL}/approve/${randomBytes(16).toString('hex')}`;
  psql(`INSERT INTO email_outbox (workspace_id, kind, to_address, subject, text_body)
    VALUES (${lit(ws)}, 'generic', ${lit(email('viewer'))}, ${lit(subject)}, ${lit(`Hello,\n\nOpen ${link}.\n\n<b>not html</b>\n`)})`);
  psql(`INSERT INTO email_outbox (workspace_id, kind, to_address, subject, text_body)
    VALUES (NULL, 'password_reset', ${lit(email('owner'))}, ${lit(`Account ${subject}`)}, 'Reset: https://example.test/reset/abc')`);
  psql(`INSERT INTO email_outbox (workspace_id, kind, to_address, subject, text_body)
    VALUES (NULL, 'password_reset', 'someone-else@example.test', ${lit(`Other ${subject}`)}, 'private')`);
  const res = await owner.b.get(`/dashboard/mailbox?ws=${ws}`);
  assertPage(res, 'mailbox');
  assert.match(res.text, new RegExp(`<strong class="mail-subject">${subject}</strong>`));
  assert.match(res.text, new RegExp(`<a href="${link}" rel="noreferrer">`), 'the link is clickable');
  assert.match(res.text, /&lt;b&gt;not html&lt;\/b&gt;/, 'the text body is shown as text');
  assert.match(res.text, new RegExp(`Account ${subject}`), "the user's own account mail");
  assert.doesNotMatch(res.text, new RegExp(`Other ${subject}`), "not other people's account mail");
  assert.match(res.text, /id="nav-mailbox"/);

  // Production: the same request is a 404, before any sign-in is looked at.
  const prod = {
    APP_ENV: 'production',
    APP_URL: 'https://agentnexus.example.com',
    APPROVAL_OTP_SECRET: randomBytes(32).toString('hex'),
    CRON_SECRET: randomBytes(32).toString('hex'),
    INTEGRATION_WEBHOOK_HMAC_SECRET: randomBytes(32).toString('hex'),
    WEBHOOK_URL_POLICY: 'strict',
  };
  const assigns = Object.entries(prod).map(([k, v]) => `${k}='${v}'`).join(' ');
  const check = sh(`env ${assigns} "$ANX_FCGI_BIN" --check-config 2>&1`, { check: false });
  if (check.status !== 0) {
    t.skip(`production settings do not load here: ${check.stdout.trim().slice(0, 200)}`);
    return;
  }
  const w = startWorker(prod);
  assert.ok(!w.failed, `second worker: ${w.failed}`);
  try {
    const r = fcgi(w, 'GET', `/dashboard/mailbox?ws=${ws}`, { cookie: owner.b.cookie() });
    assert.equal(r.status, 404, r.text.slice(0, 200));
    assert.doesNotMatch(r.text, new RegExp(subject));
  } finally {
    w.stop();
  }
});
