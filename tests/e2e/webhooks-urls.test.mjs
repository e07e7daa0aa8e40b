// Which webhook URLs POST /api/v1/evaluate accepts (docs/WEBHOOKS.md "Which URLs
// are accepted"), as seen by an agent: an unsafe webhook_url is refused with
// 422 unsafe_webhook_url and details[0].path "webhook_url", and no evaluation is
// made. The stacks run WEBHOOK_URL_POLICY=permissive (APP_ENV=development), so a
// receiver on 127.0.0.1 is fine, but cloud metadata (link-local addresses and
// metadata host names), unspecified, multicast and reserved addresses are refused
// under both policies. The workspace hostname allowlist
// (workspace_integration_settings.webhook_allowed_hostnames) narrows that, at
// evaluate time and again before every attempt (a replay included).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { callApi, cron, lit, makeWorkspace } from './lib/approvals.mjs';
import { startReceiver } from './lib/receiver.mjs';
import { psql as psqlOnce, waitFor } from './lib/stack.mjs';
import { assertApiError } from './lib/workspace.mjs';

/** psql() that waits out a restart of the shared stack's database (up to 30 s). */
function psql(q) {
  const deadline = Date.now() + 30000;
  for (;;) {
    try {
      return psqlOnce(q);
    } catch (e) {
      const down = /could not connect|connection to server|server closed the connection|database system is/.test(e.message);
      if (!down || Date.now() > deadline) throw e;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 250);
    }
  }
}

let w;
let rx;

before(async () => {
  w = await makeWorkspace('webhook-urls', { owner: [] });
  await w.publish({ default: 'allow', rules: [] });
  rx = await startReceiver({ secret: w.webhookSecret, statuses: [200] });
});

after(async () => {
  psql(`UPDATE webhook_deliveries SET status = 'dead', dead_at = now(), next_attempt_at = NULL,
    lease_until = NULL, lease_token = NULL WHERE workspace_id = ${lit(w.id)} AND status = 'pending'`);
  await rx?.close();
});

function evaluate(webhookUrl) {
  return callApi('POST', '/api/v1/evaluate', {
    headers: { Authorization: `Bearer ${w.agent.key}` },
    body: { action: 'crm.update', summary: w.unique('url'), webhook_url: webhookUrl },
  });
}

function evaluationCount() {
  return Number(psql(`SELECT count(*) FROM evaluations WHERE workspace_id = ${lit(w.id)}`));
}

/** 422 unsafe_webhook_url whose first detail is about webhook_url; returns the problem. */
function assertUnsafe(res, url) {
  const err = assertApiError(res, 422, 'unsafe_webhook_url', ['webhook_url']);
  assert.equal(err.details[0].path, 'webhook_url', `${url}: ${res.text}`);
  return err.details[0].problem;
}

function setAllowlist(hosts) {
  psql(`UPDATE workspace_integration_settings
    SET webhook_allowed_hostnames = ARRAY[${hosts.map(lit).join(',')}]::text[]
    WHERE workspace_id = ${lit(w.id)}`);
}

test('unsafe webhook URLs are refused even under the permissive policy', async () => {
  const before = evaluationCount();
  const cases = [
    // Cloud metadata, in several spellings.
    ['http://169.254.169.254/latest/meta-data/', /link-local address \(169\.254\.169\.254\)/],
    ['http://0xa9.0xfe.0xa9.0xfe/latest/meta-data/', /link-local address \(169\.254\.169\.254\)/],
    ['http://2852039166/', /link-local address \(169\.254\.169\.254\)/],
    ['http://[::ffff:169.254.169.254]/', /link-local/],
    ['http://[fe80::1]/', /link-local/],
    ['http://metadata.google.internal/computeMetadata/v1/', /local or internal host/],
    ['http://metadata/computeMetadata/v1/', /local or internal host/],
    ['http://instance-data.ec2.internal./', /local or internal host/],
    // Unspecified, multicast, reserved.
    ['http://0.0.0.0:8080/', /unspecified address/],
    ['http://[::]/', /unspecified address/],
    ['http://224.0.0.1/', /multicast address/],
    ['http://240.0.0.1/', /reserved address/],
    ['http://255.255.255.255/', /reserved address/],
    ['http://user:secret@127.0.0.1/hook', /user name or password/],
    ['http://127.0.0.1:0/hook', /port/],
  ];
  for (const [url, why] of cases) {
    const res = await evaluate(url);
    const problem = assertUnsafe(res, url);
    assert.match(problem, why, `${url}: ${problem}`);
  }
  // What is not an http(s) URL at all fails input validation first (422 too,
  // same path).
  for (const url of ['ftp://127.0.0.1/hook', 'file:///etc/passwd', '/relative/hook', 'http://127.0.0.1/a b']) {
    const err = assertApiError(await evaluate(url), 422, 'validation_failed', ['webhook_url']);
    assert.equal(err.details[0].path, 'webhook_url');
  }
  assert.equal(evaluationCount(), before, 'no evaluation was made for a refused URL');
});

test('the workspace hostname allowlist refuses other hosts, at evaluate time and before every attempt', async () => {
  const before = evaluationCount();
  setAllowlist(['hooks.example.com']);
  try {
    const problem = assertUnsafe(await evaluate(rx.url), rx.url);
    assert.match(problem, /not on the webhook allowlist/);
    assert.match(assertUnsafe(await evaluate('http://localhost:1/hook'), 'localhost'), /allowlist/);
    assert.equal(evaluationCount(), before);

    // Listed (under permissive the entry without a port covers every port): accepted and delivered.
    setAllowlist(['hooks.example.com', '127.0.0.1']);
    const ok = await evaluate(rx.url);
    assert.equal(ok.status, 200, ok.text);
    const id = ok.json.evaluation_id;
    const [hit] = await rx.waitFor((r) => r.json?.data?.evaluation?.evaluation_id === id, { what: 'the allowlisted delivery' });
    assert.ok(hit.verified);
    const delivery = () => JSON.parse(psql(`SELECT row_to_json(d) FROM (SELECT id, status, attempts, last_error,
      lease_token IS NOT NULL AS leased FROM webhook_deliveries WHERE evaluation_id = ${lit(id)}) d`));
    const d = await waitFor(() => (delivery().status === 'delivered' ? delivery() : null), { what: 'delivered' });

    // The allowlist changes; a replay is checked again before it is sent: the
    // URL is refused without any request, and the delivery is dead.
    setAllowlist(['hooks.example.com']);
    assert.equal(cron(`replay --id ${d.id}`), `replayed=1\n${d.id}\n`);
    const dead = await waitFor(() => {
      const x = delivery();
      return x.attempts === 2 && !x.leased ? x : null;
    }, { what: 'the replayed attempt recorded' });
    assert.equal(dead.status, 'dead');
    assert.match(dead.last_error, /^unsafe_webhook_url: names a host not on the webhook allowlist/);
    assert.equal(rx.about(id).length, 1, 'the refused attempt made no request');
  } finally {
    setAllowlist([]);
  }
});
