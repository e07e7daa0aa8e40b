#!/usr/bin/env node
// webhook_receiver.mjs - a webhook receiver for end-to-end tests and the
// delivery benchmark. It answers each delivery with a configurable status
// sequence (per webhook-id: the Nth attempt gets the Nth status, the last
// one repeating), verifies every signature twice (with the standardwebhooks
// package when it is installed, and with node:crypto), and records every
// request.
//
//   node tests/tools/webhook_receiver.mjs --port 27001 \
//       --secret whsec_... [--previous-secret whsec_...] \
//       [--statuses 500,500,200] [--retry-after 5] [--delay-ms 0] \
//       [--log requests.jsonl] [--quiet]
//
// Introspection (same port): GET /_stats -> {requests, unique_ids,
// verified, unverified, x_signature_ok, by_status, first_at, last_at,
// per_second};
// GET /_requests?limit=N -> the last N requests (headers, body, verified,
// answered status, time); POST /_reset clears everything; POST
// /_config {statuses, retry_after, delay_ms} changes behaviour at run time.
// Prints "listening <port>" on stdout once ready, and stats on SIGINT/SIGTERM.

import { createServer } from 'node:http';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { appendFileSync } from 'node:fs';

function parseArgs(argv) {
  const o = { port: Number(process.env.PORT || 0), statuses: [200], retryAfter: null,
    delayMs: 0, secret: process.env.WEBHOOK_SECRET || '', previous: '', log: '', quiet: false };
  for (let i = 2; i < argv.length; i++) {
    const a = argv[i], v = argv[i + 1];
    if (a === '--port') { o.port = Number(v); i++; }
    else if (a === '--statuses') { o.statuses = v.split(',').map(Number); i++; }
    else if (a === '--retry-after') { o.retryAfter = v; i++; }
    else if (a === '--delay-ms') { o.delayMs = Number(v); i++; }
    else if (a === '--secret') { o.secret = v; i++; }
    else if (a === '--previous-secret') { o.previous = v; i++; }
    else if (a === '--log') { o.log = v; i++; }
    else if (a === '--quiet') o.quiet = true;
    else { console.error(`unknown argument ${a}`); process.exit(2); }
  }
  return o;
}

const opt = parseArgs(process.argv);

// Optional independent verifier: the Standard Webhooks reference library.
let Webhook = null;
try { ({ Webhook } = await import('standardwebhooks')); } catch { Webhook = null; }

// The HMAC key as AgentNexus uses it: base64-decoded after "whsec_", else
// the secret's raw bytes.
function keyOf(secret) {
  return secret.startsWith('whsec_') ? Buffer.from(secret.slice(6), 'base64')
    : Buffer.from(secret, 'utf8');
}

// Verifies with node:crypto: some "v1,<base64>" entry of webhook-signature
// (timestamp within 5 minutes), and X-AgentNexus-Signature over the raw
// body. Returns {v1, x} (booleans) or null without a secret.
function verifyManually(secret, headers, body) {
  if (!secret) return null;
  const id = headers['webhook-id'], ts = headers['webhook-timestamp'];
  const sigs = (headers['webhook-signature'] || '').split(' ');
  const key = keyOf(secret);
  const fresh = !!id && /^\d+$/.test(ts || '') && Math.abs(Date.now() / 1000 - Number(ts)) <= 300;
  const want = createHmac('sha256', key).update(`${id}.${ts}.`).update(body).digest();
  const v1 = fresh && sigs.some((s) => {
    if (!s.startsWith('v1,')) return false;
    const got = Buffer.from(s.slice(3), 'base64');
    return got.length === want.length && timingSafeEqual(got, want);
  });
  const hex = 'sha256=' + createHmac('sha256', key).update(body).digest('hex');
  const x = headers['x-agentnexus-signature'] || '';
  const xok = x.length === hex.length && timingSafeEqual(Buffer.from(x), Buffer.from(hex));
  return { v1, x: xok };
}

// Verifies with the reference library (whsec_ secrets only).
function verifyLibrary(secret, headers, body) {
  if (!Webhook || !secret || !secret.startsWith('whsec_')) return null;
  try {
    new Webhook(secret).verify(body.toString('utf8'), headers);
    return true;
  } catch {
    return false;
  }
}

let state;
function reset() {
  state = { requests: [], attempts: new Map(), byStatus: {}, verified: 0, unverified: 0,
    xSignature: 0, total: 0, firstAt: 0, lastAt: 0 };
}
reset();

function stats() {
  const span = (state.lastAt - state.firstAt) / 1000;
  return { requests: state.total, unique_ids: state.attempts.size, verified: state.verified,
    unverified: state.unverified, x_signature_ok: state.xSignature, by_status: state.byStatus,
    first_at: state.firstAt ? new Date(state.firstAt).toISOString() : null,
    last_at: state.lastAt ? new Date(state.lastAt).toISOString() : null,
    per_second: span > 0 ? Math.round((state.total - 1) / span) : null };
}

function json(res, code, obj) {
  res.writeHead(code, { 'content-type': 'application/json' });
  res.end(JSON.stringify(obj));
}

const server = createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const body = Buffer.concat(chunks);
    const url = new URL(req.url, 'http://receiver');
    if (url.pathname === '/_stats') return json(res, 200, stats());
    if (url.pathname === '/_requests') {
      const n = Number(url.searchParams.get('limit') || 100);
      return json(res, 200, state.requests.slice(-n));
    }
    if (url.pathname === '/_reset' && req.method === 'POST') { reset(); return json(res, 200, {}); }
    if (url.pathname === '/_config' && req.method === 'POST') {
      const c = JSON.parse(body.toString('utf8') || '{}');
      if (Array.isArray(c.statuses)) opt.statuses = c.statuses.map(Number);
      if ('retry_after' in c) opt.retryAfter = c.retry_after;
      if ('delay_ms' in c) opt.delayMs = Number(c.delay_ms);
      return json(res, 200, { statuses: opt.statuses, retry_after: opt.retryAfter,
        delay_ms: opt.delayMs });
    }

    const id = req.headers['webhook-id'] || '';
    const n = (state.attempts.get(id) || 0) + 1;
    state.attempts.set(id, n);
    const status = opt.statuses[Math.min(n, opt.statuses.length) - 1];
    const manual = verifyManually(opt.secret, req.headers, body);
    const manualOld = opt.previous ? verifyManually(opt.previous, req.headers, body) : null;
    const library = verifyLibrary(opt.secret, req.headers, body);
    // Verified: the Standard Webhooks signature checks out (by hand and,
    // when installed, by the reference library). X-AgentNexus-Signature is
    // counted separately: during a rotation it carries the new key only.
    const ok = (manual === null || manual.v1) && library !== false;
    if (manual && manual.x) state.xSignature++;
    const now = Date.now();
    if (!state.firstAt) state.firstAt = now;
    state.lastAt = now;
    state.total++;
    if (ok) state.verified++; else state.unverified++;
    state.byStatus[status] = (state.byStatus[status] || 0) + 1;
    const rec = { at: new Date(now).toISOString(), method: req.method, path: url.pathname,
      id, attempt: n, headers: req.headers, body: body.toString('utf8'), status,
      verified: { manual, library, previous_secret: manualOld } };
    state.requests.push(rec);
    if (state.requests.length > 10000) state.requests.shift();
    if (opt.log) appendFileSync(opt.log, JSON.stringify(rec) + '\n');
    if (!opt.quiet) {
      console.log(`${rec.at} ${id} attempt=${n} -> ${status} verified=${ok}` +
        (manualOld !== null ? ` old_secret=${manualOld}` : ''));
    }
    const headers = { 'content-type': 'text/plain' };
    if (opt.retryAfter !== null && (status === 429 || status === 503)) {
      headers['retry-after'] = String(opt.retryAfter);
    }
    const answer = () => { res.writeHead(status, headers); res.end(`status ${status}\n`); };
    if (opt.delayMs > 0) setTimeout(answer, opt.delayMs); else answer();
  });
});

server.keepAliveTimeout = 30000;
server.listen(opt.port, '127.0.0.1', () => {
  console.log(`listening ${server.address().port}`);
});

for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    console.log(JSON.stringify(stats()));
    process.exit(0);
  });
}
