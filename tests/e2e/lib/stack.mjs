// tests/e2e/lib/stack.mjs — what every end-to-end test imports to reach the running
// stack that scripts/test (or `scripts/stack start`) started.
//
// The stack is described by a shell-syntax env file: $ANX_TEST_ENV, else
// $ANX_SOURCE_DIR/var/test/stack.env. It holds the URLs, demo keys and password,
// secrets, DATABASE_URL, log and Maildir paths (see scripts/lib.sh anx_write_env).
//
//   import { env, api, readLog, waitForLog, sh, pgStop, pgStart, fcgiWorkerPids } from './lib/stack.mjs';
//   const r = await api('GET', '/api/health');   // {status, headers, rawHeaders, text, json}
//
// Plain node: works on Node 18.15+ (no dependencies).
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import http from 'node:http';
import https from 'node:https';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));

/** The checkout (ctest passes ANX_SOURCE_DIR; else derived from this file). */
export const sourceDir = process.env.ANX_SOURCE_DIR || path.resolve(here, '../../..');

/** The env file describing the stack under test. */
export const envFile = process.env.ANX_TEST_ENV || path.join(sourceDir, 'var/test/stack.env');

/**
 * Parses KEY=VALUE lines in the subset of shell syntax scripts/lib.sh writes:
 * bare words, '…' (with '\'' escapes) and "…"; comments and blank lines ignored.
 */
export function parseEnvFile(text) {
  const out = {};
  for (const line of text.split('\n')) {
    const m = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    if (!m) continue;
    let rest = m[2];
    let value = '';
    while (rest.length > 0) {
      if (rest[0] === "'") {
        const end = rest.indexOf("'", 1);
        value += rest.slice(1, end < 0 ? undefined : end);
        rest = end < 0 ? '' : rest.slice(end + 1);
      } else if (rest[0] === '"') {
        const end = rest.indexOf('"', 1);
        value += rest.slice(1, end < 0 ? undefined : end);
        rest = end < 0 ? '' : rest.slice(end + 1);
      } else if (rest[0] === '\\' && rest.length > 1) {
        value += rest[1];
        rest = rest.slice(2);
      } else if (/\s/.test(rest[0])) {
        break; // an unquoted blank ends the value (e.g. a trailing comment)
      } else {
        value += rest[0];
        rest = rest.slice(1);
      }
    }
    out[m[1]] = value;
  }
  return out;
}

function loadEnv() {
  if (!existsSync(envFile)) {
    throw new Error(
      `no running test stack: ${envFile} is missing. Run scripts/test, or start one with ` +
        '`scripts/stack start` (and stop it with `scripts/stack stop`).'
    );
  }
  return parseEnvFile(readFileSync(envFile, 'utf8'));
}

/** Everything the env file holds (ANX_BASE_URL, ANX_AGENT_KEY, DATABASE_URL, …). */
export const env = loadEnv();
export const baseUrl = env.ANX_BASE_URL;
export const httpsUrl = env.ANX_HTTPS_URL;

const agents = {
  http: new http.Agent({ keepAlive: true }),
  https: new https.Agent({ keepAlive: true, rejectUnauthorized: false }), // self-signed
};

/**
 * One HTTP request to the stack.
 *   method, pathOrUrl: '/api/health' (relative to ANX_BASE_URL, or ANX_HTTPS_URL with
 *     {https: true}) or an absolute URL.
 *   opts.headers: extra request headers.
 *   opts.body: an object is sent as JSON; with opts.raw the body (string or Buffer) is
 *     sent as is.
 *   opts.fresh: use a new connection (no keep-alive).
 *   opts.timeout: ms (default 15000).
 * Resolves to {status, headers (lower-case names; repeated values joined), rawHeaders,
 * body (Buffer), text, json (parsed when the body is JSON, else null)}. Use
 * headerValues(res, name) to see every copy of a header.
 */
export function api(method, pathOrUrl, opts = {}) {
  const url = new URL(pathOrUrl, opts.https ? httpsUrl : baseUrl);
  const isHttps = url.protocol === 'https:';
  const headers = { ...(opts.headers || {}) };
  let payload = null;
  if (opts.body !== undefined) {
    if (opts.raw) {
      payload = Buffer.isBuffer(opts.body) ? opts.body : Buffer.from(String(opts.body));
    } else {
      payload = Buffer.from(JSON.stringify(opts.body));
      if (!Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) {
        headers['Content-Type'] = 'application/json';
      }
    }
    headers['Content-Length'] = String(payload.length);
  }
  const mod = isHttps ? https : http;
  const agent = opts.fresh
    ? new mod.Agent({ keepAlive: false, rejectUnauthorized: false })
    : agents[isHttps ? 'https' : 'http'];
  return new Promise((resolve, reject) => {
    let settled = false;
    const req = mod.request(url, { method, headers, agent, timeout: opts.timeout ?? 15000 }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('error', (e) => {
        if (!settled) {
          settled = true;
          reject(e);
        }
      });
      res.on('end', () => {
        if (settled) return;
        settled = true;
        const body = Buffer.concat(chunks);
        const text = body.toString('utf8');
        let json = null;
        try {
          json = JSON.parse(text);
        } catch {
          json = null;
        }
        resolve({ status: res.statusCode, headers: res.headers, rawHeaders: res.rawHeaders, body, text, json });
      });
    });
    req.on('timeout', () => req.destroy(new Error(`timeout: ${method} ${url}`)));
    // A server may answer (413) and close before the whole body is written: a write
    // error after the response started is not the request's failure.
    req.on('error', (e) => {
      if (!settled && !req.res) {
        settled = true;
        reject(e);
      }
    });
    if (payload) req.end(payload);
    else req.end();
  });
}

/** Every value of header `name` (case-insensitive) in the order received. */
export function headerValues(res, name) {
  const want = name.toLowerCase();
  const out = [];
  for (let i = 0; i + 1 < res.rawHeaders.length; i += 2) {
    if (res.rawHeaders[i].toLowerCase() === want) out.push(res.rawHeaders[i + 1]);
  }
  return out;
}

/** Polls fn (sync or async) until it returns a truthy value; returns that value. */
export async function waitFor(fn, { timeout = 10000, interval = 100, what = 'condition' } = {}) {
  const deadline = Date.now() + timeout;
  let last;
  for (;;) {
    try {
      last = await fn();
      if (last) return last;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeout} ms waiting for ${what}` + (last instanceof Error ? `: ${last.message}` : ''));
    }
    await new Promise((r) => setTimeout(r, interval));
  }
}

function readJsonLines(file) {
  if (!file || !existsSync(file)) return [];
  const out = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    try {
      out.push(JSON.parse(line));
    } catch {
      // a line being written right now, or not JSON: skip
    }
  }
  return out;
}

/** Lines of the FastCGI JSON log (ANX_FCGI_LOG), parsed, that pass filterFn. */
export function readLog(filterFn = () => true) {
  return readJsonLines(env.ANX_FCGI_LOG).filter(filterFn);
}

/** Lines of the cron JSON log (ANX_CRON_LOG). */
export function readCronLog(filterFn = () => true) {
  return readJsonLines(env.ANX_CRON_LOG).filter(filterFn);
}

/** Lines of nginx's JSON access log. */
export function readAccessLog(filterFn = () => true) {
  return readJsonLines(env.ANX_NGINX_ACCESS_LOG).filter(filterFn);
}

/** Waits until readLog(filterFn) is non-empty; returns the matching lines. */
export function waitForLog(filterFn, opts = {}) {
  return waitFor(() => {
    const lines = readLog(filterFn);
    return lines.length ? lines : null;
  }, { what: 'a matching fcgi log line', ...opts });
}

/**
 * Runs a bash command with the stack's env in the environment. Returns stdout;
 * throws (with stderr) on a non-zero exit unless {check: false}, which returns
 * {status, stdout, stderr} instead.
 */
export function sh(cmd, { check = true, input } = {}) {
  const r = spawnSync('bash', ['-c', cmd], {
    encoding: 'utf8',
    input,
    env: { ...process.env, ...env },
    maxBuffer: 64 * 1024 * 1024,
  });
  if (!check) return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  if (r.status !== 0) {
    throw new Error(`command failed (${r.status ?? r.signal}): ${cmd}\n${r.stderr}`);
  }
  return r.stdout;
}

/** Runs SQL as the app role; returns psql's unaligned, tuples-only output. */
export function psql(sql) {
  const r = spawnSync('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-At', '-d', env.DATABASE_URL, '-c', sql], {
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`psql failed: ${r.stderr}`);
  return r.stdout.trim();
}

function stackCtl(cmd) {
  return sh(`"${env.ANX_STACK_CTL}" --env "${envFile}" ${cmd}`);
}

/** Stops the stack's PostgreSQL (fast shutdown); pgStart() brings it back. */
export function pgStop() {
  stackCtl('pg-stop');
}
export function pgStart() {
  stackCtl('pg-start');
}

function ppidOf(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (rest[0] === 'Z') return -1;
    return Number(rest[1]);
  } catch {
    return -1;
  }
}

/** The multiwatch pid of the FastCGI pool. */
export function fcgiSupervisorPid() {
  return Number(readFileSync(env.ANX_FCGI_PIDFILE, 'utf8').trim());
}

/**
 * Runs fn (sync or async) with the stack's `agentnexus-cron deliver --watch`
 * stopped (SIGSTOP), so nothing is sealed, folded or delivered behind the
 * test's back; it is resumed afterwards, whatever fn did.
 */
export async function withDeliverPaused(fn) {
  const pid = Number(readFileSync(`${env.ANX_RUN_DIR}/cron.pid`, 'utf8').trim());
  process.kill(pid, 'SIGSTOP');
  try {
    return await fn();
  } finally {
    process.kill(pid, 'SIGCONT');
  }
}

/** Pids of the live agentnexus-fcgi workers (children of multiwatch), sorted. */
export function fcgiWorkerPids() {
  const parent = fcgiSupervisorPid();
  return readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .map(Number)
    .filter((pid) => ppidOf(pid) === parent)
    .sort((a, b) => a - b);
}

/**
 * Messages the SMTP sink stored (ANX_MAILDIR/new), oldest first:
 * [{file, headers: {lower-case name: value}, body, raw}]. X-RcptTo and X-MailFrom
 * hold the envelope.
 */
export function readMail(filterFn = () => true) {
  const dir = path.join(env.ANX_MAILDIR, 'new');
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .sort()
    .map((file) => {
      const raw = readFileSync(path.join(dir, file), 'utf8');
      const split = raw.search(/\r?\n\r?\n/);
      const head = split < 0 ? raw : raw.slice(0, split);
      const body = split < 0 ? '' : raw.slice(split).replace(/^\r?\n\r?\n/, '');
      const headers = {};
      for (const l of head.replace(/\r?\n[ \t]+/g, ' ').split(/\r?\n/)) {
        const i = l.indexOf(':');
        if (i > 0) headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
      }
      return { file, headers, body, raw };
    })
    .filter(filterFn);
}

/** A request id of the form nginx accepts from clients (8–64 of [A-Za-z0-9._-]). */
export function newRequestId(prefix = 'e2e') {
  return `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`;
}
