// tests/e2e/lib/mail.mjs — reading what the stack's SMTP sink stored, the way a
// person's mail client would: MIME parts decoded (quoted-printable, base64,
// RFC 2047 subjects), then the approval link or the one-time code picked out of
// the text part.
//
//   import { waitForMail, approvalToken, otpCode } from './lib/mail.mjs';
//   const [m] = await waitForMail({ to: 'a@example.test', subject: 'Pay ACME' });
//   const token = approvalToken(m);             // from http://…/approve/<token>
//
// Plain node, no dependencies. Builds on readMail() from stack.mjs.
import { readMail, waitFor } from './stack.mjs';

/** Decodes a quoted-printable body (RFC 2045 §6.7) to a UTF-8 string. */
export function decodeQuotedPrintable(s) {
  const soft = s.replace(/=\r?\n/g, '');
  const bytes = [];
  for (let i = 0; i < soft.length; i++) {
    const c = soft[i];
    if (c === '=' && /^[0-9A-Fa-f]{2}$/.test(soft.slice(i + 1, i + 3))) {
      bytes.push(parseInt(soft.slice(i + 1, i + 3), 16));
      i += 2;
    } else {
      for (const b of Buffer.from(c, 'utf8')) bytes.push(b);
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

/** Decodes RFC 2047 encoded-words ("=?UTF-8?B?…?=" / "?Q?") in a header value. */
export function decodeHeader(v) {
  if (!v) return v;
  return v
    .replace(/\?=\s+=\?/g, '?==?') // whitespace between adjacent encoded-words is dropped
    .replace(/=\?([^?]+)\?([BbQq])\?([^?]*)\?=/g, (_, _charset, enc, data) => {
      if (enc.toUpperCase() === 'B') return Buffer.from(data, 'base64').toString('utf8');
      return decodeQuotedPrintable(data.replace(/_/g, ' '));
    });
}

function splitHead(raw) {
  const at = raw.search(/\r?\n\r?\n/);
  const head = at < 0 ? raw : raw.slice(0, at);
  const body = at < 0 ? '' : raw.slice(at).replace(/^\r?\n\r?\n/, '');
  const headers = {};
  for (const l of head.replace(/\r?\n[ \t]+/g, ' ').split(/\r?\n/)) {
    const i = l.indexOf(':');
    if (i > 0) headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
  }
  return { headers, body };
}

function decodePart(headers, body) {
  const cte = (headers['content-transfer-encoding'] || '').toLowerCase();
  if (cte === 'quoted-printable') return decodeQuotedPrintable(body);
  if (cte === 'base64') return Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
  return body;
}

/**
 * One stored message, decoded: {file, to (envelope recipient, lower case),
 * subject (decoded), headers, text (text/plain part), html (text/html part or
 * '')}.
 */
export function parseMessage(m) {
  const headers = m.headers;
  const ctype = headers['content-type'] || 'text/plain';
  let text = '';
  let html = '';
  const bm = /boundary="?([^";]+)"?/i.exec(ctype);
  if (/^multipart\//i.test(ctype) && bm) {
    const parts = m.body.split(new RegExp(`\\r?\\n?--${bm[1].replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?:--)?\\r?\\n?`));
    for (const part of parts) {
      const p = splitHead(part);
      const pt = (p.headers['content-type'] || '').toLowerCase();
      if (pt.startsWith('text/plain')) text = decodePart(p.headers, p.body);
      else if (pt.startsWith('text/html')) html = decodePart(p.headers, p.body);
    }
  } else if (/^text\/html/i.test(ctype)) {
    html = decodePart(headers, m.body);
  } else {
    text = decodePart(headers, m.body);
  }
  return {
    file: m.file,
    to: (headers['x-rcptto'] || headers.to || '').toLowerCase(),
    subject: decodeHeader(headers.subject || ''),
    headers,
    text,
    html,
  };
}

/**
 * Maildir names from Python's mailbox module are "<secs>.M<usecs>P<pid>Q<n>.<host>"
 * with usecs not zero-padded, so name order is not arrival order within a second:
 * this key is.
 */
function arrivalKey(file) {
  const m = /^(\d+)\.M(\d+)P(\d+)Q(\d+)/.exec(file);
  return m ? [Number(m[1]), Number(m[2]), Number(m[4])] : [Infinity, 0, 0];
}

function byArrival(a, b) {
  const x = arrivalKey(a.file);
  const y = arrivalKey(b.file);
  return x[0] - y[0] || x[1] - y[1] || x[2] - y[2] || (a.file < b.file ? -1 : a.file > b.file ? 1 : 0);
}

/**
 * Decoded messages matching every given criterion: to (exact recipient,
 * case-insensitive), subject / text (substring or RegExp), where (a function).
 * In order of arrival, oldest first.
 */
export function findMail({ to, subject, text, where } = {}) {
  const want = to ? to.toLowerCase() : null;
  const match = (value, crit) => (crit instanceof RegExp ? crit.test(value) : value.includes(crit));
  return readMail((m) => !want || (m.headers['x-rcptto'] || '').toLowerCase() === want)
    .map(parseMessage)
    .filter((m) => (!want || m.to === want)
      && (subject === undefined || match(m.subject, subject))
      && (text === undefined || match(m.text, text))
      && (!where || where(m)))
    .sort(byArrival);
}

/**
 * Waits until at least `count` (default 1) messages match the criteria of
 * findMail and returns them all.
 */
export function waitForMail(criteria, { count = 1, timeout = 15000 } = {}) {
  return waitFor(() => {
    const got = findMail(criteria);
    return got.length >= count ? got : null;
  }, { timeout, interval: 100, what: `${count} mail(s) matching ${JSON.stringify(criteria, (k, v) => (v instanceof RegExp ? String(v) : v))}` });
}

/** The approval link in a message's text part (absolute URL), or throws. */
export function approvalLink(m) {
  const r = /(https?:\/\/\S+\/approve\/[0-9a-f]{32})\b/.exec(m.text);
  if (!r) throw new Error(`no approval link in ${m.file}:\n${m.text}`);
  // The HTML part links to the same place.
  if (m.html && !m.html.includes(r[1])) throw new Error(`HTML part of ${m.file} lacks ${r[1]}`);
  return r[1];
}

/** The 32-hex token of a message's approval link. */
export function approvalToken(m) {
  return approvalLink(m).slice(-32);
}

/** The six-digit code of an OTP message, or throws. */
export function otpCode(m) {
  const r = /code is:\s+(\d{6})\b/.exec(m.text);
  if (!r) throw new Error(`no one-time code in ${m.file}:\n${m.text}`);
  return r[1];
}
