// tests/e2e/lib/receiver.mjs — a webhook receiver inside the test process, as an
// integrator would write one: it verifies every delivery (the Standard Webhooks
// signature with the npm `standardwebhooks` reference library, and
// X-AgentNexus-Signature by hand with node:crypto, the HMAC key being the
// base64-decoded bytes after "whsec_"), answers from a scripted status
// sequence per webhook-id, and logs every request.
//
//   const rx = await startReceiver({ secret: w.webhookSecret, statuses: [500, 500, 200] });
//   await w.evaluate({ …, webhook_url: rx.url });
//   const [hit] = await rx.waitFor((r) => r.type === 'terminal_outcome' && r.status === 200);
//   rx.setStatuses([200]);          // change the script for ids not seen yet and later attempts
//   await rx.close();
//
// statuses: the Nth request with a given webhook-id gets statuses[N-1], the last
// one repeating. `hang: true` makes a receiver that reads the request and never
// answers (until close()).
import http from 'node:http';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { waitFor as poll } from './stack.mjs';

/** The HMAC key as docs/WEBHOOKS.md defines it. */
export function signingKey(secret) {
  return secret.startsWith('whsec_') ? Buffer.from(secret.slice(6), 'base64') : Buffer.from(secret, 'utf8');
}

/** X-AgentNexus-Signature check: sha256=<hex HMAC-SHA256(key, raw body)>. */
export function verifyXSignature(secret, headers, raw) {
  const want = Buffer.from(`sha256=${createHmac('sha256', signingKey(secret)).update(raw).digest('hex')}`);
  const got = Buffer.from(headers['x-agentnexus-signature'] ?? '');
  return got.length === want.length && timingSafeEqual(got, want);
}

/** Standard Webhooks check with the reference library; returns null or the error message. */
export function verifyStandard(secret, headers, raw) {
  try {
    new Webhook(secret).verify(raw.toString('utf8'), headers);
    return null;
  } catch (e) {
    return e.message || String(e);
  }
}

export async function startReceiver({ secret, statuses = [200], hang = false, body = 'ok' } = {}) {
  if (!secret) throw new Error('startReceiver: a whsec_ secret is required');
  let script = [...statuses];
  const requests = [];
  const seen = new Map(); // webhook-id -> requests so far
  const waiting = new Set(); // hung responses
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      const id = req.headers['webhook-id'] ?? '';
      const attempt = (seen.get(id) ?? 0) + 1;
      seen.set(id, attempt);
      let json = null;
      try {
        json = JSON.parse(raw.toString('utf8'));
      } catch {
        json = null;
      }
      const status = hang ? null : script[Math.min(attempt, script.length) - 1];
      const rec = {
        at: Date.now(),
        method: req.method,
        path: req.url,
        id,
        attempt,
        type: json?.type,
        headers: req.headers,
        raw,
        json,
        status,
        standardError: verifyStandard(secret, req.headers, raw),
        xSignatureOk: verifyXSignature(secret, req.headers, raw),
      };
      rec.verified = rec.standardError === null && rec.xSignatureOk;
      requests.push(rec);
      if (hang) {
        waiting.add(res);
        return;
      }
      res.writeHead(status, { 'Content-Type': 'text/plain' });
      res.end(`${body} ${status}`);
    });
  });
  server.keepAliveTimeout = 30000;
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  return {
    port,
    url: `http://127.0.0.1:${port}/hook`,
    requests,
    /** Requests carrying this webhook-id, in arrival order. */
    byId(id) {
      return requests.filter((r) => r.id === id);
    },
    /** Requests whose payload is about this evaluation. */
    about(evalId) {
      return requests.filter((r) => r.json?.data?.evaluation?.evaluation_id === evalId);
    },
    setStatuses(s) {
      script = [...s];
    },
    /** Waits until `count` requests match pred; returns the matching ones. */
    waitFor(pred, { count = 1, timeout = 15000, what = 'a webhook request' } = {}) {
      return poll(() => {
        const got = requests.filter(pred);
        return got.length >= count ? got : null;
      }, { timeout, interval: 25, what });
    },
    close() {
      for (const res of waiting) res.destroy();
      waiting.clear();
      server.closeAllConnections?.();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
