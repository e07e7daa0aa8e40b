// Foundation: the stack itself — health, the error contract for unknown routes and
// nginx's own errors, request ids end to end, security headers, HTTPS, PostgreSQL
// going away and coming back, and multiwatch replacing a killed worker.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import {
  api,
  env,
  fcgiWorkerPids,
  headerValues,
  newRequestId,
  pgStart,
  pgStop,
  sourceDir,
  waitFor,
  waitForLog,
} from './lib/stack.mjs';

/** Exactly one x-request-id, returned. */
function oneRequestId(res) {
  const ids = headerValues(res, 'x-request-id');
  assert.equal(ids.length, 1, `expected exactly one x-request-id, got ${JSON.stringify(ids)}`);
  assert.match(ids[0], /^[A-Za-z0-9._-]{8,64}$/);
  return ids[0];
}

/** The DESIGN.md error contract, with request_id equal to the header. */
function assertError(res, status, code) {
  assert.equal(res.status, status, res.text);
  assert.match(res.headers['content-type'] || '', /^application\/json/);
  assert.ok(res.json, `JSON body expected, got: ${res.text}`);
  assert.equal(typeof res.json.error, 'object');
  assert.equal(res.json.error.code, code);
  assert.equal(typeof res.json.error.message, 'string');
  assert.ok(Array.isArray(res.json.error.details), 'error.details is an array');
  assert.equal(res.json.request_id, oneRequestId(res));
}

function assertSecurityHeaders(res, where) {
  const h = res.headers;
  assert.equal(h['x-content-type-options'], 'nosniff', where);
  assert.equal(h['x-frame-options'], 'DENY', where);
  assert.ok(h['referrer-policy'], `${where}: Referrer-Policy`);
  assert.ok(h['permissions-policy'], `${where}: Permissions-Policy`);
  const csp = h['content-security-policy'];
  assert.ok(csp, `${where}: enforced Content-Security-Policy`);
  assert.equal(h['content-security-policy-report-only'], undefined, `${where}: CSP is enforced, not report-only`);
  for (const directive of [
    "script-src 'self'",
    "style-src 'self'",
    "object-src 'none'",
    "frame-ancestors 'none'",
    "base-uri 'self'",
    "form-action 'self'",
  ]) {
    assert.ok(csp.split(';').map((s) => s.trim()).includes(directive), `${where}: CSP has ${directive}: ${csp}`);
  }
}

test('GET /api/health → 200 {"status":"ok"} with x-request-id', async () => {
  const res = await api('GET', '/api/health');
  assert.equal(res.status, 200, res.text);
  assert.match(res.headers['content-type'] || '', /^application\/json/);
  assert.equal(res.json?.status, 'ok');
  oneRequestId(res);
});

test('GET /api/health?deep=1 → 200 while PostgreSQL is up', async () => {
  const res = await api('GET', '/api/health?deep=1');
  assert.equal(res.status, 200, res.text);
  assert.equal(res.json?.status, 'ok');
  oneRequestId(res);
});

test('PostgreSQL down → deep health 503 service_unavailable, shallow 200; back up → 200, same workers', async () => {
  const before = fcgiWorkerPids();
  assert.ok(before.length > 0, 'FastCGI workers are running');
  pgStop();
  try {
    const deep = await api('GET', '/api/health?deep=1');
    assertError(deep, 503, 'service_unavailable');
    const shallow = await api('GET', '/api/health');
    assert.equal(shallow.status, 200, shallow.text);
    assert.equal(shallow.json?.status, 'ok');
  } finally {
    pgStart();
  }
  // Every worker reconnects on its own: within a few seconds, a run of deep checks
  // (on new connections, so they spread over the workers) all succeed.
  const run = 2 * before.length;
  let streak = 0;
  await waitFor(
    async () => {
      const res = await api('GET', '/api/health?deep=1', { fresh: true });
      streak = res.status === 200 ? streak + 1 : 0;
      return streak >= run;
    },
    { timeout: 10000, interval: 50, what: `${run} deep health checks in a row after PostgreSQL restarted` }
  );
  assert.deepEqual(fcgiWorkerPids(), before, 'no worker was restarted');
});

test('unknown /api/ route → 404 not_found in the error contract', async () => {
  const res = await api('GET', '/api/v1/this-route-does-not-exist');
  assertError(res, 404, 'not_found');
});

test('a valid client X-Request-Id is echoed and logged by the worker', async () => {
  const rid = newRequestId('foundation');
  const res = await api('GET', '/api/health', { headers: { 'X-Request-Id': rid } });
  assert.equal(res.status, 200);
  assert.equal(oneRequestId(res), rid);
  const lines = await waitForLog((l) => l.request_id === rid, { timeout: 5000 });
  assert.ok(lines.length >= 1);

  const notFound = await api('GET', '/api/nope', { headers: { 'X-Request-Id': rid } });
  assert.equal(notFound.json?.request_id, rid);
});

test('an invalid client X-Request-Id is replaced by a generated one', async () => {
  for (const bad of ['short', 'has spaces in it', 'x'.repeat(65), 'semi;colon-1234']) {
    const res = await api('GET', '/api/health', { headers: { 'X-Request-Id': bad } });
    const id = oneRequestId(res);
    assert.notEqual(id, bad);
    assert.match(id, /^[0-9a-f]{32}$/);
  }
});

test('a body over the API limit → 413 payload_too_large (from nginx) with x-request-id', async () => {
  const body = JSON.stringify({ action: 'payments.send', pad: 'x'.repeat(1536 * 1024) });
  const res = await api('POST', '/api/v1/evaluate', {
    raw: true,
    body,
    fresh: true,
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${env.ANX_AGENT_KEY}` },
  });
  assertError(res, 413, 'payload_too_large');
});

test('every response carries exactly one x-request-id: API, 404, static file, nginx 413, HTML', async (t) => {
  const responses = [
    await api('GET', '/api/health'),
    await api('GET', '/api/does-not-exist'),
    await api('GET', '/static/definitely-missing-file.js'),
    await api('POST', '/api/v1/receipt', { raw: true, body: 'y'.repeat(1100 * 1024), fresh: true }),
    await api('GET', '/'),
  ];
  // A real static file, when the repository has one.
  const staticDir = path.join(sourceDir, 'static');
  const file = existsSync(staticDir)
    ? readdirSync(staticDir).find((f) => statSync(path.join(staticDir, f)).isFile())
    : undefined;
  if (file) {
    const url = file === 'openapi.yaml' ? '/openapi.yaml' : `/static/${file}`;
    const res = await api('GET', url);
    assert.equal(res.status, 200, `${url}: ${res.status}`);
    assert.ok(res.headers['cache-control'], `${url} has Cache-Control`);
    responses.push(res);
  } else {
    t.diagnostic('static/ is empty: no real static file to check');
  }
  for (const res of responses) oneRequestId(res);
});

test('security headers and an enforced CSP on HTML and API responses', async () => {
  assertSecurityHeaders(await api('GET', '/api/health'), '/api/health');
  assertSecurityHeaders(await api('GET', '/api/nope'), '/api/nope (404)');
  const html = await api('GET', '/login');
  assertSecurityHeaders(html, '/login');
  assertSecurityHeaders(await api('GET', '/'), '/');
});

test('HTTPS answers too (self-signed certificate)', async () => {
  const res = await api('GET', '/api/health', { https: true });
  assert.equal(res.status, 200, res.text);
  assert.equal(res.json?.status, 'ok');
  oneRequestId(res);
  assert.ok(res.headers['strict-transport-security'], 'HSTS header on HTTPS');
  assertSecurityHeaders(res, 'https /api/health');
});

test('a worker killed with SIGKILL is replaced and the next 20 requests succeed', async () => {
  const before = fcgiWorkerPids();
  assert.ok(before.length > 0, 'FastCGI workers are running');
  const victim = before[0];
  process.kill(victim, 'SIGKILL');
  const after = await waitFor(
    () => {
      const now = fcgiWorkerPids();
      return now.length === before.length && !now.includes(victim) ? now : null;
    },
    { timeout: 5000, what: 'multiwatch to replace the killed worker' }
  );
  assert.equal(after.length, before.length);
  for (let i = 0; i < 20; i++) {
    const res = await api('GET', '/api/health');
    assert.equal(res.status, 200, `request ${i + 1}: ${res.status} ${res.text}`);
  }
});

test('malformed JSON → 400 invalid_request with the request id', async () => {
  for (const body of ['{"action":', '{action: 1}', '[1,2,', '{"a":1}}']) {
    const r = await api('POST', '/api/v1/evaluate', {
      raw: true,
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${env.ANX_AGENT_KEY}` },
      body,
    });
    assert.equal(r.status, 400, `${body} → ${r.status} ${r.text}`);
    assert.equal(r.json.error.code, 'invalid_request');
    assert.equal(r.json.request_id, r.headers['x-request-id']);
    assert.ok(r.json.error.details.length >= 1);
  }
});
