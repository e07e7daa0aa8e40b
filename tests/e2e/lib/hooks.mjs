// tests/e2e/lib/hooks.mjs — a throwaway webhook receiver inside the test
// process: answers 200 to every POST and keeps what it got, so a test can give
// an evaluation a webhook_url and see its events arrive.
//
//   const hooks = await startReceiver();
//   await w.evaluate({ …, webhook_url: hooks.url });
//   await hooks.waitFor((e) => e.type === 'terminal_outcome');
//   await hooks.close();
import http from 'node:http';
import { waitFor } from './stack.mjs';

export async function startReceiver() {
  const events = [];
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      let json = null;
      try {
        json = JSON.parse(text);
      } catch {
        json = null;
      }
      events.push({ headers: req.headers, text, json, type: json?.type, data: json?.data });
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end('{"ok":true}');
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  return {
    url: `http://127.0.0.1:${port}/hook`,
    events,
    /** Events about one evaluation. */
    about(evalId) {
      return events.filter((e) => e.data?.evaluation?.evaluation_id === evalId || e.data?.evaluation?.id === evalId);
    },
    waitFor(pred, what = 'a webhook') {
      return waitFor(() => events.find(pred), { timeout: 15000, what });
    },
    close() {
      server.closeAllConnections?.();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
