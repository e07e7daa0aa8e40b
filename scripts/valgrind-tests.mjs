// scripts/valgrind-tests.mjs BUILD_DIR LOG_DIR — runs every ctest test labelled
// "unit" under valgrind (definite and indirect leaks and memory errors fail), as
// many at a time as there are cores. Called by scripts/test; prints one line per
// test and exits 1 if any failed.
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const [buildDir, logDir] = process.argv.slice(2);
if (!buildDir || !logDir) {
  console.error('usage: valgrind-tests.mjs BUILD_DIR LOG_DIR');
  process.exit(2);
}
mkdirSync(logDir, { recursive: true });

const plan = JSON.parse(
  execFileSync('ctest', ['-L', 'unit', '--show-only=json-v1'], { cwd: buildDir, encoding: 'utf8', maxBuffer: 64 << 20 })
);
const tests = (plan.tests || []).filter((t) => Array.isArray(t.command) && t.command.length > 0);
const prop = (t, name) => (t.properties || []).find((p) => p.name === name)?.value;

function run(t) {
  const log = path.join(logDir, `${t.name.replace(/[^A-Za-z0-9._-]/g, '_')}.log`);
  const env = { ...process.env };
  for (const kv of prop(t, 'ENVIRONMENT') || []) {
    const i = kv.indexOf('=');
    if (i > 0) env[kv.slice(0, i)] = kv.slice(i + 1);
  }
  const args = [
    '--quiet',
    '--leak-check=full',
    '--show-leak-kinds=definite,indirect',
    '--errors-for-leak-kinds=definite,indirect',
    '--error-exitcode=1',
    `--log-file=${log}`,
    ...t.command,
  ];
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn('valgrind', args, { cwd: prop(t, 'WORKING_DIRECTORY') || buildDir, env, stdio: 'ignore' });
    child.on('close', (code, signal) => {
      const secs = ((Date.now() - started) / 1000).toFixed(1);
      const ok = code === 0;
      console.log(`${ok ? 'ok  ' : 'FAIL'} ${t.name} (${secs} s)${ok ? '' : ` exit ${code ?? signal}, see ${log}`}`);
      resolve(ok);
    });
  });
}

const queue = [...tests];
let failures = 0;
async function worker() {
  while (queue.length) if (!(await run(queue.shift()))) failures++;
}
await Promise.all(Array.from({ length: Math.max(1, os.cpus().length) }, worker));
console.log(`valgrind: ${tests.length - failures} of ${tests.length} unit test binaries clean`);
process.exit(failures ? 1 : 0);
