// Dashboard accounts, sessions, CSRF, workspaces, members and API keys, driven like a
// browser without JavaScript: sign-up, session cookie flags and server-side storage,
// CSRF refusal on every state-changing form, login throttle with a neutral message,
// session rotation and revocation, password reset and change, workspaces (create,
// rename, archive/restore with keys refused, guarded delete), invitations read from the
// SMTP sink's Maildir, API keys shown once and revoked, a viewer refused on admin
// actions, and another workspace's ids answering 404.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { api, env, headerValues, psql, readMail, waitFor, withDeliverPaused } from './lib/stack.mjs';
import { cron } from './lib/approvals.mjs';

const run = `${Date.now().toString(36)}${randomBytes(2).toString('hex')}`;
const email = (who) => `${who}-${run}@example.test`;
const GOOD_PASSWORD = 'violet tractor sings at dawn';
const production = env.APP_ENV === 'production';
const COOKIE = production ? '__Host-anx_session' : 'anx_session';
const PRE = production ? '__Host-anx_csrf' : 'anx_csrf';

/** A cookie-keeping client that submits forms the way a browser without JS does. */
class Browser {
  constructor() {
    this.jar = new Map();
  }

  cookieHeader() {
    return [...this.jar].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  async request(method, path, { form, headers = {} } = {}) {
    const h = { ...headers };
    if (this.jar.size) h.Cookie = this.cookieHeader();
    const opts = { headers: h };
    if (form !== undefined) {
      h['Content-Type'] = 'application/x-www-form-urlencoded';
      opts.body = new URLSearchParams(form).toString();
      opts.raw = true;
    }
    const res = await api(method, path, opts);
    for (const sc of headerValues(res, 'set-cookie')) {
      const [pair] = sc.split(';');
      const i = pair.indexOf('=');
      const name = pair.slice(0, i);
      const value = pair.slice(i + 1);
      if (/;\s*Max-Age=0/i.test(sc)) this.jar.delete(name);
      else this.jar.set(name, value);
    }
    return res;
  }

  get(path, opts) {
    return this.request('GET', path, opts);
  }

  /** GETs path and returns {res, html, csrf, ws} of its forms. */
  async page(path) {
    const res = await this.get(path);
    return { res, html: res.text, csrf: csrfOf(res.text), ws: wsOf(res.text) };
  }

  /** POSTs fields to action with the CSRF token and workspace of page (GET first). */
  async submit(pagePath, action, fields = {}) {
    const p = await this.page(pagePath);
    assert.ok(p.csrf, `${pagePath} has a CSRF token (status ${p.res.status})`);
    const form = { csrf: p.csrf, ...(p.ws ? { ws: p.ws } : {}), ...fields };
    return this.request('POST', action, { form });
  }

  post(action, form, headers) {
    return this.request('POST', action, { form, headers });
  }

  get session() {
    return this.jar.get(COOKIE);
  }
}

function csrfOf(html) {
  const m = /name="csrf" value="([0-9a-f]{64})"/.exec(html || '');
  return m ? m[1] : null;
}

function wsOf(html) {
  const m = /name="ws" value="([0-9a-f-]{36})"/.exec(html || '');
  return m ? m[1] : null;
}

function location(res) {
  return res.headers.location || '';
}

function wsFromLocation(res) {
  const m = /[?&]ws=([0-9a-f-]{36})/.exec(location(res));
  assert.ok(m, `redirect names a workspace: ${location(res)}`);
  return m[1];
}

/** An HTML page with no inline script or event handler, every value escaped. */
function assertCleanHtml(res, where) {
  assert.match(res.headers['content-type'] || '', /^text\/html/, where);
  for (const m of res.text.matchAll(/<script\b([^>]*)>/gi)) {
    assert.match(m[1], /\bsrc="\/static\//, `${where}: only external scripts from /static`);
  }
  assert.doesNotMatch(res.text, /\son[a-z]+\s*=/i, `${where}: no inline event handlers`);
  assert.doesNotMatch(res.text, /\sstyle\s*=/i, `${where}: no inline styles (CSP style-src 'self')`);
}

/** Pages with a secret in their URL ask for no Referer (the app's header comes first;
 * nginx may append its site-wide default after it). */
function assertNoReferrer(res) {
  assert.match(headerValues(res, 'referrer-policy').join(', '), /^same-origin\b/);
}

function assertErrorPage(res, status, where) {
  assert.equal(res.status, status, `${where}: ${res.text.slice(0, 300)}`);
  assert.match(res.headers['content-type'] || '', /^text\/html/, where);
}

/** Quoted-printable decoding for mail bodies (RFC 2045 §6.7). */
function qp(s) {
  return s.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/g, (_, h) => String.fromCharCode(parseInt(h, 16)));
}

/** Waits for a message to `to` whose decoded body has a link matching re; returns the match. */
async function linkFromMail(to, re) {
  return waitFor(
    () => {
      for (const m of readMail((x) => (x.headers['x-rcptto'] || x.headers.to || '').includes(to)).reverse()) {
        const found = re.exec(qp(m.raw));
        if (found) return found;
      }
      return null;
    },
    { timeout: 20000, interval: 200, what: `an email to ${to}` }
  );
}

async function signUp(who, workspace = `WS ${who} ${run}`) {
  const b = new Browser();
  const res = await b.submit('/signup', '/signup', {
    display_name: `Person ${who}`,
    email: email(who),
    password: GOOD_PASSWORD,
    workspace_name: workspace,
  });
  assert.equal(res.status, 303, res.text.slice(0, 500));
  return { b, ws: wsFromLocation(res), email: email(who) };
}

function sha256hex(s) {
  return createHash('sha256').update(s).digest('hex');
}

function audit(ws, type) {
  return Number(psql(`SELECT count(*) FROM audit_events WHERE workspace_id = '${ws}' AND event_type = '${type}'`));
}

test('sign-up: pre-session cookie, CSRF, password policy, then a hashed session with safe cookie flags', async () => {
  const b = new Browser();
  const page = await b.page('/signup');
  assert.equal(page.res.status, 200);
  assertCleanHtml(page.res, '/signup');
  const pre = headerValues(page.res, 'set-cookie').find((c) => c.startsWith(`${PRE}=`));
  assert.ok(pre, 'the form page sets the pre-session cookie');
  assert.match(pre, /HttpOnly/);
  assert.match(pre, /SameSite=Lax/);
  assert.match(pre, /Path=\//);
  for (const label of ['Your name', 'Work email', 'Password', 'Workspace name']) {
    assert.match(page.html, new RegExp(`<label for="[a-z_]+">${label}`), `labelled field ${label}`);
  }

  const fields = { display_name: 'Sign Up', email: email('signup'), workspace_name: `Acme ${run}` };
  let res = await b.post('/signup', { ...fields, password: GOOD_PASSWORD });
  assertErrorPage(res, 403, 'sign-up without CSRF token');
  assert.equal(psql(`SELECT count(*) FROM users WHERE email = '${email('signup')}'`), '0');

  res = await b.post('/signup', { ...fields, password: 'Password2024!', csrf: page.csrf });
  assert.equal(res.status, 422);
  assert.match(res.text, /too common/);
  res = await b.post('/signup', { ...fields, password: 'short1', csrf: page.csrf });
  assert.equal(res.status, 422);
  assert.match(res.text, /at least 10 characters/);
  assert.match(res.text, /value="Sign Up"/, 'input is kept');
  assert.doesNotMatch(res.text, /short1/, 'the password is never echoed');

  res = await b.post('/signup', { ...fields, password: GOOD_PASSWORD, csrf: page.csrf });
  assert.equal(res.status, 303, res.text.slice(0, 400));
  assert.match(location(res), /^\/dashboard\?ws=[0-9a-f-]{36}$/);
  const sc = headerValues(res, 'set-cookie').find((c) => c.startsWith(`${COOKIE}=`));
  assert.ok(sc, 'session cookie set');
  assert.match(sc, new RegExp(`^${COOKIE}=[0-9a-f]{64};`));
  assert.match(sc, /; HttpOnly/);
  assert.match(sc, /; SameSite=Lax/);
  assert.match(sc, /; Path=\//);
  if (production) assert.match(sc, /; Secure/);
  else assert.doesNotMatch(sc, /Secure/);

  const sid = b.session;
  assert.equal(psql(`SELECT count(*) FROM sessions WHERE id_hash = '\\x${sha256hex(sid)}'::bytea`), '1', 'stored as SHA-256');
  assert.equal(psql(`SELECT count(*) FROM sessions WHERE encode(id_hash, 'hex') = '${sid}'`), '0', 'never in clear');
  assert.match(psql(`SELECT password_hash FROM users WHERE email = '${email('signup')}'`), /^\$argon2id\$/);

  const dash = await b.get(location(res));
  assert.equal(dash.status, 200);
  assertCleanHtml(dash, '/dashboard');
  assert.equal(dash.headers['cache-control'], 'no-store');
  assert.match(dash.text, /Welcome to AgentNexus/);
  assert.match(dash.text, new RegExp(`Acme ${run}`));
  assert.match(dash.text, /aria-current="page">Overview/);
  const again = await b.get('/dashboard');
  assert.doesNotMatch(again.text, /Welcome to AgentNexus/, 'a flash shows once');

  const ws = wsFromLocation(res);
  assert.equal(psql(`SELECT role FROM workspace_members WHERE workspace_id = '${ws}'`), 'owner');
  assert.equal(audit(ws, 'workspace.created'), 1);
  assert.equal(audit(ws, 'member.added'), 1);

  const dup = await new Browser().submit('/signup', '/signup', { ...fields, password: GOOD_PASSWORD });
  assert.equal(dup.status, 422);
  assert.match(dup.text, /already exists/);
});

test('signed-out pages redirect to login with next; GET / routes by session', async () => {
  const anon = new Browser();
  let res = await anon.get('/');
  assert.equal(res.status, 303);
  assert.equal(location(res), '/login');
  res = await anon.get('/dashboard/keys');
  assert.equal(res.status, 303);
  assert.equal(location(res), '/login?next=/dashboard/keys');

  const { b } = await signUp('next');
  res = await b.get('/');
  assert.equal(location(res), '/dashboard');
  await b.submit('/dashboard', '/logout');
  const login = await b.page('/login?next=/dashboard/keys');
  assert.match(login.html, /name="next" value="\/dashboard\/keys"/);
  res = await b.post('/login', { csrf: login.csrf, email: email('next'), password: GOOD_PASSWORD, next: '/dashboard/keys' });
  assert.equal(res.status, 303);
  assert.equal(location(res), '/dashboard/keys');
  await b.submit('/dashboard', '/logout');
  const l2 = await b.page('/login');
  res = await b.post('/login', { csrf: l2.csrf, email: email('next'), password: GOOD_PASSWORD, next: '//evil.example/' });
  assert.equal(location(res), '/dashboard', 'no open redirect');
});

test('logout revokes the session; login rotates it (no fixation)', async () => {
  const { b } = await signUp('rotate');
  const first = b.session;
  let res = await b.post('/logout', {});
  assertErrorPage(res, 403, 'logout without CSRF');
  res = await b.submit('/dashboard', '/logout');
  assert.equal(res.status, 303);
  assert.equal(location(res), '/login?notice=signed_out');
  assert.equal(b.session, undefined, 'cookie deleted');
  assert.notEqual(psql(`SELECT revoked_at IS NOT NULL FROM sessions WHERE id_hash = '\\x${sha256hex(first)}'::bytea`), 'f');

  const replay = new Browser();
  replay.jar.set(COOKIE, first);
  res = await replay.get('/dashboard');
  assert.equal(res.status, 303, 'a revoked session does not work');
  assert.equal(location(res), '/login?next=/dashboard&notice=expired');

  const notice = await b.get('/login?notice=signed_out');
  assert.match(notice.text, /You are signed out/);
  const page = await b.page('/login');
  res = await b.post('/login', { csrf: page.csrf, email: email('rotate'), password: GOOD_PASSWORD });
  assert.equal(res.status, 303);
  const second = b.session;
  assert.match(second, /^[0-9a-f]{64}$/);
  assert.notEqual(second, first);

  // Signing in again with a live session replaces it: the old id stops working.
  const signedIn = await b.page('/login');
  assert.equal(signedIn.res.status, 303, 'the login page sends a signed-in user on');
  const p2 = await b.page('/dashboard');
  res = await b.post('/login', { csrf: p2.csrf, email: email('rotate'), password: GOOD_PASSWORD });
  assert.equal(res.status, 303);
  assert.notEqual(b.session, second);
  const old = new Browser();
  old.jar.set(COOKIE, second);
  assert.equal((await old.get('/dashboard')).status, 303);
  assert.equal((await b.get('/dashboard')).status, 200);
});

test('sessions end after the idle timeout and at their absolute expiry', async () => {
  const { b } = await signUp('expiry');
  const hash = `'\\x${sha256hex(b.session)}'::bytea`;
  assert.equal((await b.get('/dashboard')).status, 200);
  psql(`UPDATE sessions SET last_seen_at = now() - interval '8 hours 1 minute' WHERE id_hash = ${hash}`);
  let res = await b.get('/dashboard');
  assert.equal(res.status, 303, 'idle too long');
  assert.equal(location(res), '/login?next=/dashboard&notice=expired');
  assert.equal(b.session, undefined, 'the dead cookie is cleared');

  const { b: c } = await signUp('expiry2');
  const h2 = `'\\x${sha256hex(c.session)}'::bytea`;
  psql(`UPDATE sessions SET expires_at = now() - interval '1 second' WHERE id_hash = ${h2}`);
  res = await c.get('/dashboard/keys');
  assert.equal(res.status, 303, 'past the absolute expiry');
  // A request refreshes last_seen_at at most once a minute.
  const { b: d } = await signUp('expiry3');
  const h3 = `'\\x${sha256hex(d.session)}'::bytea`;
  psql(`UPDATE sessions SET last_seen_at = now() - interval '2 hours' WHERE id_hash = ${h3}`);
  assert.equal((await d.get('/dashboard')).status, 200);
  assert.equal(psql(`SELECT last_seen_at > now() - interval '1 minute' FROM sessions WHERE id_hash = ${h3}`), 't');
});

test('login throttle per account: neutral message, same for unknown accounts, backoff, then success clears it', async () => {
  await signUp('throttle');
  const b = new Browser();
  const page = await b.page('/login');
  const attempt = (who, password) => b.post('/login', { csrf: page.csrf, email: who, password });

  const wrongKnown = await attempt(email('throttle'), 'not the password at all');
  const wrongUnknown = await attempt(email('nobody'), 'not the password at all');
  assert.equal(wrongKnown.status, 422);
  assert.equal(wrongUnknown.status, 422);
  const msg = (r) => /<div class="flash flash-error" role="alert" id="login-error">([^<]*)</.exec(r.text)?.[1];
  assert.ok(msg(wrongKnown));
  assert.equal(msg(wrongKnown), msg(wrongUnknown), 'the message does not tell whether the account exists');

  for (let i = 0; i < 3; i++) {
    assert.equal((await attempt(email('throttle'), `wrong ${i}`)).status, 422);
    assert.equal((await attempt(email('nobody'), `wrong ${i}`)).status, 422);
  }
  assert.equal((await attempt(email('throttle'), 'wrong 4')).status, 422); // 5th failure: locks
  assert.equal((await attempt(email('nobody'), 'wrong 4')).status, 422);
  const locked = await attempt(email('throttle'), GOOD_PASSWORD);
  const lockedUnknown = await attempt(email('nobody'), GOOD_PASSWORD);
  assert.equal(locked.status, 429, 'even the right password waits out the backoff');
  assert.equal(lockedUnknown.status, 429);
  assert.match(locked.text, /Too many sign-in attempts/);
  assert.ok(Number(locked.headers['retry-after']) > 0);
  assert.equal(
    msg(locked).replace(/\d+/g, 'N'),
    msg(lockedUnknown).replace(/\d+/g, 'N'),
    'the throttle message is the same for unknown accounts'
  );
  assert.equal(b.session, undefined);

  // Once the lock runs out the right password works and clears the count.
  const key = sha256hex(email('throttle'));
  psql(`UPDATE login_throttle SET locked_until = now() - interval '1 second' WHERE account_hash = '\\x${key}'::bytea`);
  const ok = await attempt(email('throttle'), GOOD_PASSWORD);
  assert.equal(ok.status, 303);
  assert.equal(psql(`SELECT count(*) FROM login_throttle WHERE account_hash = '\\x${key}'::bytea`), '0');
});

test('every state-changing form refuses a missing, wrong or cross-site CSRF token (403)', async () => {
  const { b, ws } = await signUp('csrf');
  const keys = await b.submit(`/dashboard/keys?ws=${ws}`, '/dashboard/keys/create', { label: 'csrf probe', scope: 'agent' });
  assert.equal(keys.status, 201);
  const keyId = /data-key="([0-9a-f-]{36})"/.exec(keys.text)[1];
  const me = psql(`SELECT id FROM users WHERE email = '${email('csrf')}'`);
  const page = await b.page(`/dashboard/settings?ws=${ws}`);
  const forms = [
    ['/logout', {}],
    ['/dashboard/workspaces/create', { name: 'CSRF' }],
    ['/dashboard/workspaces/switch', { ws }],
    ['/dashboard/workspaces/rename', { ws, name: 'CSRF' }],
    ['/dashboard/workspaces/archive', { ws }],
    ['/dashboard/workspaces/restore', { ws }],
    ['/dashboard/workspaces/delete', { ws, confirm_name: `WS csrf ${run}` }],
    ['/dashboard/members/invite', { ws, email: 'x@example.test', role: 'viewer' }],
    ['/dashboard/members/role', { ws, user_id: me, role: 'viewer' }],
    ['/dashboard/members/remove', { ws, user_id: me }],
    ['/dashboard/members/cancel-invite', { ws, id: keyId }],
    ['/dashboard/keys/create', { ws, label: 'CSRF', scope: 'admin' }],
    ['/dashboard/keys/revoke', { ws, id: keyId }],
    ['/account/password', { current_password: GOOD_PASSWORD, password: 'x', password_confirm: 'x' }],
    ['/login', { email: email('csrf'), password: GOOD_PASSWORD }],
    ['/signup', { email: email('csrf2'), password: GOOD_PASSWORD }],
    ['/forgot', { email: email('csrf') }],
    [`/reset/${'a'.repeat(64)}`, { password: GOOD_PASSWORD, password_confirm: GOOD_PASSWORD }],
    [`/invite/${'b'.repeat(64)}`, { password: GOOD_PASSWORD }],
  ];
  for (const [action, fields] of forms) {
    let res = await b.post(action, fields);
    assertErrorPage(res, 403, `${action} without a token`);
    assert.match(res.text, /did not come from this site|expired/);
    res = await b.post(action, { ...fields, csrf: 'f'.repeat(64) });
    assertErrorPage(res, 403, `${action} with a wrong token`);
    res = await b.post(action, { ...fields, csrf: page.csrf }, { Origin: 'https://evil.example' });
    assertErrorPage(res, 403, `${action} from another origin`);
    res = await b.post(action, { ...fields, csrf: page.csrf }, { 'Sec-Fetch-Site': 'cross-site' });
    assertErrorPage(res, 403, `${action} cross-site`);
  }
  // Nothing happened.
  assert.equal(psql(`SELECT name || ':' || (archived_at IS NULL) FROM workspaces WHERE id = '${ws}'`), `WS csrf ${run}:true`);
  assert.equal(psql(`SELECT count(*) FROM api_keys WHERE workspace_id = '${ws}' AND revoked_at IS NULL`), '1');
  assert.equal((await b.get('/dashboard')).status, 200, 'still signed in');
  // The header form of the token works for scripts.
  const res = await b.post('/dashboard/workspaces/rename', { ws, name: `Renamed ${run}` }, { 'X-CSRF-Token': page.csrf });
  assert.equal(res.status, 303);
});

test('workspaces: create, switch, rename, archive (read-only, keys refused), restore, guarded delete', async () => {
  const { b, ws: first } = await signUp('ws');
  let res = await b.submit('/dashboard/workspaces', '/dashboard/workspaces/create', { name: '' });
  assert.equal(res.status, 422);
  res = await b.submit('/dashboard/workspaces', '/dashboard/workspaces/create', { name: `<script>alert(1)</script> ${run}` });
  assert.equal(res.status, 303);
  const ws = wsFromLocation(res);
  const list = await b.get('/dashboard/workspaces');
  assertCleanHtml(list, '/dashboard/workspaces');
  assert.match(list.text, /&lt;script&gt;alert\(1\)&lt;\/script&gt;/, 'names are escaped');
  assert.ok(list.text.includes(first) && list.text.includes(ws));

  // Switch back and forth: the session remembers, forms carry the workspace.
  res = await b.submit('/dashboard/workspaces', '/dashboard/workspaces/switch', { ws: first });
  assert.equal(res.status, 303);
  assert.match((await b.get('/dashboard/settings')).text, new RegExp(`value="${first}"`));
  res = await b.get(`/dashboard/settings?ws=${ws}`);
  assert.match(res.text, new RegExp(`<code id="ws-id">${ws}</code>`));

  res = await b.submit(`/dashboard/settings?ws=${ws}`, '/dashboard/workspaces/rename', { name: `Payments ${run}` });
  assert.equal(res.status, 303);
  assert.equal(psql(`SELECT name FROM workspaces WHERE id = '${ws}'`), `Payments ${run}`);
  assert.equal(audit(ws, 'workspace.renamed'), 1);

  const created = await b.submit(`/dashboard/keys?ws=${ws}`, '/dashboard/keys/create', { label: 'archive probe', scope: 'agent' });
  const secret = /<code id="new-key">(anx_[A-Za-z0-9]+)<\/code>/.exec(created.text)[1];
  const evaluate = () =>
    api('POST', '/api/v1/evaluate', { headers: { Authorization: `Bearer ${secret}` }, body: { action: 'payments.send' } });
  assert.notEqual((await evaluate()).status, 403);

  res = await b.submit(`/dashboard/settings?ws=${ws}`, '/dashboard/workspaces/archive');
  assert.equal(res.status, 303);
  assert.equal(audit(ws, 'workspace.archived'), 1);
  const ev = await evaluate();
  assert.equal(ev.status, 403, 'an archived workspace refuses its keys');
  const settings = await b.get(`/dashboard/settings?ws=${ws}`);
  assert.match(settings.text, /This workspace is archived/);
  res = await b.submit(`/dashboard/keys?ws=${ws}`, '/dashboard/keys/create', { label: 'nope', scope: 'agent' });
  assertErrorPage(res, 403, 'key creation in an archived workspace');
  assert.match(res.text, /archived/);
  res = await b.submit(`/dashboard/settings?ws=${ws}`, '/dashboard/workspaces/rename', { name: 'nope' });
  assertErrorPage(res, 403, 'rename while archived');

  res = await b.submit(`/dashboard/settings?ws=${ws}`, '/dashboard/workspaces/restore');
  assert.equal(res.status, 303);
  assert.equal(audit(ws, 'workspace.restored'), 1);
  assert.notEqual((await evaluate()).status, 403);

  res = await b.submit(`/dashboard/settings?ws=${ws}`, '/dashboard/workspaces/delete', { confirm_name: `payments ${run}` });
  assert.equal(res.status, 422, 'the typed name must match exactly');
  assert.match(res.text, /Nothing was deleted/);
  res = await b.submit(`/dashboard/settings?ws=${ws}`, '/dashboard/workspaces/delete', { confirm_name: ` Payments ${run}` });
  assert.equal(res.status, 422);
  assert.equal(psql(`SELECT count(*) FROM workspaces WHERE id = '${ws}'`), '1');
  res = await b.submit(`/dashboard/settings?ws=${ws}`, '/dashboard/workspaces/delete', { confirm_name: `Payments ${run}` });
  assert.equal(res.status, 303);
  assert.equal(location(res), '/dashboard/workspaces');
  assert.equal(psql(`SELECT count(*) FROM workspaces WHERE id = '${ws}'`), '0');
  assert.equal(psql(`SELECT count(*) FROM api_keys WHERE workspace_id = '${ws}'`), '0', 'data cascades');
  assert.equal(psql(`SELECT name FROM workspace_tombstones WHERE workspace_id = '${ws}'`), `Payments ${run}`);
  // evaluations and audit_events have no foreign key (sql/0011): a trigger removes them.
  assert.equal(psql(`SELECT count(*) FROM evaluations WHERE workspace_id = '${ws}'`), '0', 'evaluations removed');
  assert.equal(psql(`SELECT count(*) FROM audit_events WHERE workspace_id = '${ws}'`), '0', 'audit events removed');
  assertErrorPage(await b.get(`/dashboard?ws=${ws}`), 404, 'a deleted workspace');
  assert.equal((await evaluate()).status, 401);

  // A statement that was inserting while the workspace went commits its rows
  // after the trigger ran: `deliver` sweeps them by the tombstone.
  psql(
    `INSERT INTO evaluations (id, workspace_id, created_at, action, reason, decision, status, action_hash)` +
      ` VALUES (gen_random_uuid(), '${ws}', now(), 'late.commit', 'r', 'allow', 'allowed', 'h');` +
      ` INSERT INTO audit_events (workspace_id, actor_type, event_type) VALUES ('${ws}', 'system', 'late.commit')`,
  );
  cron('deliver');
  assert.equal(psql(`SELECT count(*) FROM evaluations WHERE workspace_id = '${ws}'`), '0', 'straggler evaluation swept');
  assert.equal(psql(`SELECT count(*) FROM audit_events WHERE workspace_id = '${ws}'`), '0', 'straggler audit event swept');

  // An audit event whose workspace is gone and has no tombstone (so no sweep
  // removes it) is passed over by the sealer instead of failing every round.
  const ghost = '00000000-0000-4000-8000-00000000dead';
  await withDeliverPaused(() => { // only our deliver seals
    try {
      psql(`INSERT INTO audit_events (workspace_id, actor_type, event_type) VALUES ('${ghost}', 'system', 'ghost')`);
      psql(`INSERT INTO audit_events (workspace_id, actor_type, event_type) VALUES ('${first}', 'system', 'after.ghost')`);
      cron('deliver');
      assert.equal(
        psql(`SELECT count(*) FROM audit_seals s JOIN audit_events e ON e.id = s.event_id WHERE e.event_type = 'after.ghost' AND e.workspace_id = '${first}'`),
        '1',
        'events after it are sealed',
      );
    } finally {
      psql(`DELETE FROM audit_events WHERE workspace_id = '${ghost}'`);
    }
  });
});

test('members: invite by email, accept as a new account, roles, viewer refused, removal', async () => {
  const { b: owner, ws } = await signUp('owner');
  let res = await owner.submit(`/dashboard/members?ws=${ws}`, '/dashboard/members/invite', {
    email: email('viewer'),
    role: 'viewer',
    approval_roles: 'bad role!',
  });
  assert.equal(res.status, 422);
  assert.match(res.text, /letters, digits/);
  res = await owner.submit(`/dashboard/members?ws=${ws}`, '/dashboard/members/invite', {
    email: email('viewer').toUpperCase(),
    role: 'viewer',
    approval_roles: 'manager, finance,manager',
  });
  assert.equal(res.status, 303, res.text.slice(0, 300));
  const members = await owner.get(`/dashboard/members?ws=${ws}`);
  assertCleanHtml(members, '/dashboard/members');
  assert.match(members.text, new RegExp(email('viewer')));
  assert.equal(audit(ws, 'member.invited'), 1);
  assert.equal(psql(`SELECT array_to_string(approval_roles, ',') FROM invitations WHERE workspace_id = '${ws}'`), 'finance,manager');

  const [, token] = await linkFromMail(email('viewer'), /\/invite\/([0-9a-f]{64})/);
  assert.equal(psql(`SELECT count(*) FROM invitations WHERE token_hash = '\\x${sha256hex(token)}'::bytea`), '1');

  const viewer = new Browser();
  const inv = await viewer.page(`/invite/${token}`);
  assert.equal(inv.res.status, 200);
  assertCleanHtml(inv.res, '/invite');
  assertNoReferrer(inv.res);
  assert.match(inv.html, /Create account and join/);
  res = await viewer.post(`/invite/${token}`, { csrf: inv.csrf, display_name: 'Vera Viewer', password: 'qwertyuiop' });
  assert.equal(res.status, 422);
  res = await viewer.post(`/invite/${token}`, { csrf: inv.csrf, display_name: 'Vera Viewer', password: GOOD_PASSWORD });
  assert.equal(res.status, 303, res.text.slice(0, 300));
  assert.equal(wsFromLocation(res), ws);
  assert.equal(psql(`SELECT m.role || ':' || array_to_string(m.approval_roles, ',') FROM workspace_members m JOIN users u ON u.id = m.user_id WHERE u.email = '${email('viewer')}'`), 'viewer:finance,manager');
  assert.equal(audit(ws, 'member.added'), 2);
  assertErrorPage(await new Browser().get(`/invite/${token}`), 404, 'a used invitation');
  assertErrorPage(await new Browser().get(`/invite/${'0'.repeat(64)}`), 404, 'an unknown invitation');

  // A viewer sees, but cannot reach admin actions.
  const vkeys = await viewer.get(`/dashboard/keys?ws=${ws}`);
  assert.equal(vkeys.status, 200);
  assert.doesNotMatch(vkeys.text, /id="create-key-form"/);
  const viewerId = psql(`SELECT id FROM users WHERE email = '${email('viewer')}'`);
  const ownerId = psql(`SELECT id FROM users WHERE email = '${email('owner')}'`);
  for (const [page, action, fields] of [
    [`/dashboard/keys?ws=${ws}`, '/dashboard/keys/create', { label: 'x', scope: 'agent' }],
    [`/dashboard/members?ws=${ws}`, '/dashboard/members/invite', { email: 'y@example.test', role: 'viewer' }],
    [`/dashboard/members?ws=${ws}`, '/dashboard/members/role', { user_id: viewerId, role: 'admin' }],
    [`/dashboard/members?ws=${ws}`, '/dashboard/members/remove', { user_id: ownerId }],
    [`/dashboard/settings?ws=${ws}`, '/dashboard/workspaces/rename', { name: 'x' }],
    [`/dashboard/settings?ws=${ws}`, '/dashboard/workspaces/archive', {}],
    [`/dashboard/settings?ws=${ws}`, '/dashboard/workspaces/delete', { confirm_name: `WS owner ${run}` }],
  ]) {
    const r = await viewer.submit(page, action, fields);
    assertErrorPage(r, 403, `viewer: ${action}`);
    assert.match(r.text, /viewer/);
  }
  assert.equal(psql(`SELECT role FROM workspace_members WHERE user_id = '${viewerId}'`), 'viewer');

  // The owner promotes the viewer to admin: keys become available.
  res = await owner.submit(`/dashboard/members?ws=${ws}`, '/dashboard/members/role', {
    user_id: viewerId,
    role: 'admin',
    approval_roles: 'finance',
  });
  assert.equal(res.status, 303);
  assert.equal(audit(ws, 'member.role_changed'), 1);
  res = await viewer.submit(`/dashboard/keys?ws=${ws}`, '/dashboard/keys/create', { label: 'by admin', scope: 'agent' });
  assert.equal(res.status, 201);
  // An admin cannot touch the owner, nor make owners.
  res = await viewer.submit(`/dashboard/members?ws=${ws}`, '/dashboard/members/role', { user_id: ownerId, role: 'viewer' });
  assertErrorPage(res, 403, 'admin demoting the owner');
  res = await viewer.submit(`/dashboard/members?ws=${ws}`, '/dashboard/members/invite', { email: email('x'), role: 'owner' });
  assertErrorPage(res, 403, 'admin inviting an owner');
  // The last owner cannot step down.
  res = await owner.submit(`/dashboard/members?ws=${ws}`, '/dashboard/members/role', { user_id: ownerId, role: 'admin' });
  assert.equal(res.status, 303);
  assert.match((await owner.get(`/dashboard/members?ws=${ws}`)).text, /at least one owner/);
  assert.equal(psql(`SELECT role FROM workspace_members WHERE user_id = '${ownerId}'`), 'owner');

  // Invite, then cancel: the link dies.
  res = await owner.submit(`/dashboard/members?ws=${ws}`, '/dashboard/members/invite', { email: email('cancelled'), role: 'viewer' });
  assert.equal(res.status, 303);
  const [, token2] = await linkFromMail(email('cancelled'), /\/invite\/([0-9a-f]{64})/);
  const invId = psql(`SELECT id FROM invitations WHERE token_hash = '\\x${sha256hex(token2)}'::bytea`);
  res = await owner.submit(`/dashboard/members?ws=${ws}`, '/dashboard/members/cancel-invite', { id: invId });
  assert.equal(res.status, 303);
  assertErrorPage(await new Browser().get(`/invite/${token2}`), 404, 'a cancelled invitation');

  // Removal.
  res = await owner.submit(`/dashboard/members?ws=${ws}`, '/dashboard/members/remove', { user_id: viewerId });
  assert.equal(res.status, 303);
  assert.equal(audit(ws, 'member.removed'), 1);
  assertErrorPage(await viewer.get(`/dashboard?ws=${ws}`), 404, 'a removed member');
});

test('an existing account accepts an invitation by signing in; a different account is told so', async () => {
  const { b: owner, ws } = await signUp('inviter');
  const { b: guest } = await signUp('guest');
  const { b: other } = await signUp('other');
  let res = await owner.submit(`/dashboard/members?ws=${ws}`, '/dashboard/members/invite', { email: email('guest'), role: 'admin' });
  assert.equal(res.status, 303);
  const [, token] = await linkFromMail(email('guest'), /\/invite\/([0-9a-f]{64})/);

  const anon = await new Browser().page(`/invite/${token}`);
  assert.match(anon.html, /Sign in to accept/);
  const wrong = await other.page(`/invite/${token}`);
  assert.match(wrong.html, /id="wrong-account"/);
  res = await other.post(`/invite/${token}`, { csrf: wrong.csrf });
  assert.equal(res.status, 403);
  const right = await guest.page(`/invite/${token}`);
  assert.match(right.html, /id="accept-form"/);
  res = await guest.post(`/invite/${token}`, { csrf: right.csrf });
  assert.equal(res.status, 303);
  assert.equal(wsFromLocation(res), ws);
  assert.equal((await guest.get(`/dashboard/keys?ws=${ws}`)).status, 200);
});

test('API keys: shown exactly once, listed by prefix, revoked; another workspace is 404', async () => {
  const { b, ws } = await signUp('keys');
  const empty = await b.get(`/dashboard/keys?ws=${ws}`);
  assert.match(empty.text, /No API keys yet/);
  let res = await b.submit(`/dashboard/keys?ws=${ws}`, '/dashboard/keys/create', { label: '', scope: 'agent' });
  assert.equal(res.status, 422);
  res = await b.submit(`/dashboard/keys?ws=${ws}`, '/dashboard/keys/create', { label: 'Billing agent', scope: 'agent' });
  assert.equal(res.status, 201);
  assertCleanHtml(res, 'key created');
  assert.equal(res.headers['cache-control'], 'no-store');
  const secret = /<code id="new-key">(anx_[A-Za-z0-9]{40})<\/code>/.exec(res.text)[1];
  assert.match(res.text, /data-copy="#new-key"/);
  const keyId = /data-key="([0-9a-f-]{36})"/.exec(res.text)[1];
  assert.equal(audit(ws, 'api_key.created'), 1);

  const list = await b.get(`/dashboard/keys?ws=${ws}`);
  assert.ok(!list.text.includes(secret), 'never shown again');
  assert.ok(list.text.includes(`${secret.slice(0, 12)}…`), 'listed by prefix');
  assert.match(list.text, /never/);

  const call = () =>
    api('POST', '/api/v1/evaluate', { headers: { Authorization: `Bearer ${secret}` }, body: { action: 'payments.send' } });
  assert.notEqual((await call()).status, 401);
  assert.match((await b.get(`/dashboard/keys?ws=${ws}`)).text, /UTC<\/td>\s*<td><span class="badge badge-ok">active/, 'last used shows a time');

  // Another account's workspace: its ids are 404.
  const { b: stranger, ws: theirs } = await signUp('stranger');
  assertErrorPage(await stranger.get(`/dashboard/keys?ws=${ws}`), 404, 'GET another workspace');
  assertErrorPage(await stranger.get(`/dashboard?ws=${ws}`), 404, 'overview of another workspace');
  res = await stranger.submit(`/dashboard/keys?ws=${theirs}`, '/dashboard/keys/revoke', { id: keyId });
  assertErrorPage(res, 404, "revoking another workspace's key");
  const sp = await stranger.page(`/dashboard/keys?ws=${theirs}`);
  res = await stranger.post('/dashboard/keys/revoke', { csrf: sp.csrf, ws, id: keyId });
  assertErrorPage(res, 404, 'posting to another workspace');
  assertErrorPage(await stranger.get('/dashboard/members?ws=00000000-0000-4000-8000-000000000000'), 404, 'unknown ws');
  assert.notEqual((await call()).status, 401, 'the key still works');

  res = await b.submit(`/dashboard/keys?ws=${ws}`, '/dashboard/keys/revoke', { id: keyId });
  assert.equal(res.status, 303);
  assert.equal(audit(ws, 'api_key.revoked'), 1);
  assert.equal((await call()).status, 401);
  assert.match((await b.get(`/dashboard/keys?ws=${ws}`)).text, /badge-denied">revoked/);
});

test('password reset by emailed single-use link; neutral for unknown addresses; revokes sessions', async () => {
  const { b: other } = await signUp('reset');
  const b = new Browser();
  const page = await b.page('/forgot');
  const known = await b.post('/forgot', { csrf: page.csrf, email: email('reset') });
  const unknown = await b.post('/forgot', { csrf: page.csrf, email: email('ghost') });
  assert.equal(known.status, 200);
  assert.equal(unknown.status, 200);
  const body = (r) => /<section class="card"[^>]*id="forgot-sent">([\s\S]*?)<\/section>/.exec(r.text)[1].replace(/<strong>[^<]*<\/strong>/, '');
  assert.equal(body(known), body(unknown), 'the answer does not reveal whether the account exists');

  const [, token] = await linkFromMail(email('reset'), /\/reset-password\/([0-9a-f]{64})/);
  assert.equal(psql(`SELECT count(*) FROM password_resets WHERE token_hash = '\\x${sha256hex(token)}'::bytea`), '1');
  const form = await b.page(`/reset-password/${token}`);
  assert.equal(form.res.status, 200);
  assertNoReferrer(form.res);
  assert.match(form.html, new RegExp(email('reset')));
  let res = await b.post(`/reset-password/${token}`, { csrf: form.csrf, password: 'brand new secret phrase', password_confirm: 'brand new secret phrase!' });
  assert.equal(res.status, 422);
  assert.match(res.text, /don(&#39;|')t match/);
  res = await b.post(`/reset-password/${token}`, { csrf: form.csrf, password: '1234567890', password_confirm: '1234567890' });
  assert.equal(res.status, 422);
  res = await b.post(`/reset-password/${token}`, { csrf: form.csrf, password: 'brand new secret phrase', password_confirm: 'brand new secret phrase' });
  assert.equal(res.status, 303);
  assert.equal(location(res), '/dashboard');
  assert.match(b.session, /^[0-9a-f]{64}$/);
  assert.match((await b.get('/dashboard')).text, /Your password is changed/);
  assert.equal((await other.get('/dashboard')).status, 303, 'other sessions were revoked');
  assertErrorPage(await new Browser().get(`/reset-password/${token}`), 404, 'a used reset link');
  assertErrorPage(await new Browser().get(`/reset/${token}`), 404, 'a used reset link (short path)');

  const l = new Browser();
  const lp = await l.page('/login');
  assert.equal((await l.post('/login', { csrf: lp.csrf, email: email('reset'), password: GOOD_PASSWORD })).status, 422);
  assert.equal((await l.post('/login', { csrf: lp.csrf, email: email('reset'), password: 'brand new secret phrase' })).status, 303);
});

test('change password: checks the current one, rotates this session, signs out the others', async () => {
  const { b } = await signUp('change');
  const second = new Browser();
  const lp = await second.page('/login');
  assert.equal((await second.post('/login', { csrf: lp.csrf, email: email('change'), password: GOOD_PASSWORD })).status, 303);
  const before = b.session;

  let res = await b.submit('/account/password', '/account/password', {
    current_password: 'wrong wrong wrong',
    password: 'a completely new phrase',
    password_confirm: 'a completely new phrase',
  });
  assert.equal(res.status, 422);
  assert.match(res.text, /not your current password/);
  res = await b.submit('/account/password', '/account/password', {
    current_password: GOOD_PASSWORD,
    password: GOOD_PASSWORD,
    password_confirm: GOOD_PASSWORD,
  });
  assert.equal(res.status, 422);
  res = await b.submit('/account/password', '/account/password', {
    current_password: GOOD_PASSWORD,
    password: 'a completely new phrase',
    password_confirm: 'a completely new phrase',
  });
  assert.equal(res.status, 303);
  assert.notEqual(b.session, before, 'rotated');
  assert.match((await b.get('/account/password')).text, /Password changed/);
  assert.equal((await second.get('/dashboard')).status, 303, 'the other session is gone');
  const ws = psql(`SELECT m.workspace_id FROM workspace_members m JOIN users u ON u.id = m.user_id WHERE u.email = '${email('change')}'`);
  assert.equal(audit(ws, 'user.password_changed'), 1);
});

test('signed-out pages render cleanly, with labels and no inline script', async () => {
  const b = new Browser();
  for (const path of ['/login', '/signup', '/forgot', `/reset/${'c'.repeat(64)}`, `/invite/${'d'.repeat(64)}`]) {
    const res = await b.get(path);
    assert.ok([200, 404].includes(res.status), `${path}: ${res.status}`);
    assertCleanHtml(res, path);
    assert.match(res.text, /<meta name="viewport"/);
  }
  const { b: u, ws } = await signUp('pages');
  for (const path of ['/dashboard', '/dashboard/workspaces', '/dashboard/settings', '/dashboard/members', '/dashboard/keys', '/account/password']) {
    const res = await u.get(`${path}?ws=${ws}`);
    assert.equal(res.status, 200, path);
    assertCleanHtml(res, path);
    for (const m of res.text.matchAll(/<(?:input|select|textarea) (?![^>]*type="hidden")(?![^>]*\bhidden\b)[^>]*>/g)) {
      const id = /\bid="([^"]+)"/.exec(m[0])?.[1];
      const labelled = /\baria-label="[^"]+"/.test(m[0]) || (id && res.text.includes(`<label for="${id}"`));
      assert.ok(labelled, `${path}: ${m[0]} has a label`);
    }
  }
});
