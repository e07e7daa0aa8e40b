// tests/e2e/lib/openapi.mjs — checks live responses against static/openapi.yaml.
//
//   import { assertMatchesSpec } from './lib/openapi.mjs';
//   const res = await api('GET', '/api/health');
//   await assertMatchesSpec('GET', '/api/health', res);
//
// The document is read with @apidevtools/swagger-parser; its components are added
// to Ajv (JSON Schema 2020-12, the dialect of OpenAPI 3.1 schemas) as one schema
// resource, so "#/components/schemas/…" references (recursive ones included)
// resolve as in the document. The operation is found by matching the request path against the
// path templates; the response by its exact status, then "4XX"-style ranges, then
// "default". A status an operation does not declare fails the check, except 405,
// which every route may answer for a method it lacks (MethodNotAllowed).
import assert from 'node:assert/strict';
import path from 'node:path';
import SwaggerParser from '@apidevtools/swagger-parser';
import Ajv2020 from 'ajv/dist/2020.js';
import { sourceDir } from './stack.mjs';

export const specFile = path.join(sourceDir, 'static/openapi.yaml');

let loaded = null;

const BASE = 'https://agentnexus.invalid/openapi.yaml';

/** {spec (as written, with $refs), ajv, routes: [{template, re, item}]}; cached. */
export function loadSpec() {
  if (!loaded) loaded = load();
  return loaded;
}

/** Follows a local "#/…" $ref of the document (for responses, not schemas). */
function deref(spec, obj) {
  while (obj && typeof obj.$ref === 'string') {
    obj = obj.$ref
      .slice(2)
      .split('/')
      .reduce((o, k) => o?.[k.replace(/~1/g, '/').replace(/~0/g, '~')], spec);
  }
  return obj;
}

/** A copy of schema whose "#/…" references point into the components resource. */
function rebase(schema) {
  if (Array.isArray(schema)) return schema.map(rebase);
  if (schema && typeof schema === 'object') {
    const out = {};
    for (const [k, v] of Object.entries(schema)) {
      out[k] = k === '$ref' && typeof v === 'string' && v.startsWith('#/') ? BASE + v : rebase(v);
    }
    return out;
  }
  return schema;
}

async function load() {
  const spec = await SwaggerParser.parse(specFile);
  const ajv = new Ajv2020({ allErrors: true, strict: false, validateFormats: true });
  ajv.addSchema({ $id: BASE, components: spec.components });
  ajv.addFormat('uuid', /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i);
  ajv.addFormat('date-time', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/);
  ajv.addFormat('uri', /^[a-z][a-z0-9+.-]*:\S+$/i);
  const routes = Object.entries(spec.paths).map(([template, item]) => ({
    template,
    item,
    re: new RegExp(`^${template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{[^/}]+\}/g, '[^/]+')}$`),
  }));
  return { spec, ajv, routes, compiled: new Map() };
}

function responseFor(op, status) {
  const r = op.responses || {};
  return r[String(status)] || r[`${String(status)[0]}XX`] || r.default || null;
}

function compile(ajv, compiled, key, schema) {
  let validate = compiled.get(key);
  if (!validate) {
    validate = ajv.compile(rebase(schema));
    compiled.set(key, validate);
  }
  return validate;
}

/**
 * Asserts that res (from api()/call()) is a documented response of `method path`
 * whose JSON body validates against the documented schema. Returns the schema name
 * used (for diagnostics).
 */
export async function assertMatchesSpec(method, urlPath, res) {
  const { spec, ajv, routes, compiled } = await loadSpec();
  const pathname = new URL(urlPath, 'http://x').pathname;
  const route = routes.find((r) => r.re.test(pathname));
  assert.ok(route, `${pathname} is documented in openapi.yaml`);
  const m = method.toLowerCase() === 'head' ? 'get' : method.toLowerCase();
  const op = route.item[m];
  let response;
  let where;
  if (!op) {
    assert.equal(res.status, 405, `${method} ${route.template} is not documented, so it must answer 405`);
    response = deref(spec, spec.components.responses.MethodNotAllowed);
    where = 'components.responses.MethodNotAllowed';
  } else {
    response = deref(spec, responseFor(op, res.status));
    where = `${method} ${route.template} → ${res.status}`;
    assert.ok(response, `${where}: status ${res.status} is documented (body: ${res.text.slice(0, 300)})`);
  }
  const ctype = (res.headers['content-type'] || '').split(';')[0].trim().toLowerCase();
  if (!response.content) {
    assert.equal(res.body.length, 0, `${where}: documented without a body`);
    return where;
  }
  const media = response.content[ctype];
  assert.ok(media, `${where}: content type ${ctype || '(none)'} is documented (${Object.keys(response.content).join(', ')})`);
  if (ctype !== 'application/json') return where;
  assert.ok(res.json !== null || res.text.trim() === 'null', `${where}: the body is JSON: ${res.text.slice(0, 300)}`);
  const validate = compile(ajv, compiled, `${where} ${ctype}`, media.schema);
  if (!validate(res.json)) {
    assert.fail(`${where}: the body does not match openapi.yaml: ${ajv.errorsText(validate.errors, { separator: '; ' })}\nbody: ${res.text.slice(0, 1000)}`);
  }
  return where;
}

/** Validates a value against components.schemas[name]; returns the Ajv errors or null. */
export async function schemaErrors(name, value) {
  const { spec, ajv, compiled } = await loadSpec();
  assert.ok(spec.components.schemas[name], `components.schemas.${name} exists`);
  const validate = compile(ajv, compiled, `#schema ${name}`, { $ref: `#/components/schemas/${name}` });
  return validate(value) ? null : ajv.errorsText(validate.errors, { separator: '; ' });
}

/**
 * call() (lib/workspace.mjs) followed by assertMatchesSpec(): every response a test
 * sees through this helper is checked against the document.
 */
export async function checkedCall(method, urlPath, opts = {}) {
  const { call } = await import('./workspace.mjs');
  const res = await call(method, urlPath, opts);
  await assertMatchesSpec(method, urlPath, res);
  return res;
}
