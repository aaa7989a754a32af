// No drift: the served document, the committed docs/openapi.json and the
// schemas the routes validate with are one and the same.
// Regenerate the committed file with GNPAY_UPDATE_OPENAPI=1 npx tap test/api/openapi.test.ts
import t from 'tap';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv from 'ajv';
import { buildApp } from '../../src/api/app';
import { buildOpenApi } from '../../src/api/openapi';
import { ROUTES } from '../../src/api/routes';
import { ERROR_CODES } from '../../src/client/codes';
import { API_SETTINGS, openStore } from '../e2e/harness';

// real processes and servers on a shared 2-core machine: generous, bounded
t.setTimeout(120000);

const committedPath = join(__dirname, '..', '..', 'docs', 'openapi.json');
const version = (require('../../package.json') as { version: string }).version;

t.test('the committed docs/openapi.json is the generated document', async (t) => {
  const generated = JSON.stringify(buildOpenApi(version), null, 2) + '\n';
  if (process.env.GNPAY_UPDATE_OPENAPI === '1') writeFileSync(committedPath, generated);
  t.equal(readFileSync(committedPath, 'utf8'), generated, 'docs/openapi.json is stale: regenerate it (see the top of this test)');
});

t.test('the running server serves the same document, and every route of the server is in it', async (t) => {
  const store = openStore(t);
  const app = buildApp({ store, settings: () => API_SETTINGS, version, serveMetrics: true });
  t.teardown(() => app.close());
  await app.listen({ host: '127.0.0.1', port: 0 });
  const port = (app.server.address() as { port: number }).port;
  const served = (await (await fetch(`http://127.0.0.1:${port}/openapi.json`)).json()) as { paths: Record<string, Record<string, unknown>> };
  t.same(served, JSON.parse(readFileSync(committedPath, 'utf8')));
  const documented = new Set<string>();
  for (const [path, ops] of Object.entries(served.paths)) {
    for (const m of Object.keys(ops)) documented.add(`${m.toUpperCase()} ${path}`);
  }
  for (const r of ROUTES) {
    t.ok(documented.has(`${r.method} ${r.url.replace(/:([A-Za-z]+)/g, '{$1}')}`), `${r.method} ${r.url} documented`);
    t.ok(app.hasRoute({ method: r.method, url: r.url }), `${r.method} ${r.url} registered`);
  }
  t.equal(documented.size, ROUTES.length);
});

t.test('every route has schemas that close their objects', async (t) => {
  const ajv = new Ajv({ strict: true, formats: { 'date-time': true } });
  const open: string[] = [];
  const walk = (s: unknown, where: string): void => {
    if (!s || typeof s !== 'object') return;
    const o = s as Record<string, unknown>;
    if (o.type === 'object' && o.additionalProperties !== false && !where.endsWith('.headers') && !where.includes('openapi')) open.push(where);
    for (const [k, v] of Object.entries(o)) walk(v, `${where}.${k}`);
  };
  for (const r of ROUTES) {
    t.ok(r.schema.response, `${r.operationId} has response schemas`);
    t.ok(r.schema.querystring, `${r.operationId} has a query schema`);
    for (const [part, s] of Object.entries(r.schema)) {
      if (part !== 'response') ajv.compile(s as object);
      walk(s, `${r.operationId}.${part}`);
    }
    for (const [status, s] of Object.entries(r.schema.response)) {
      if (Number(status) >= 400 && r.auth) t.same((s as { required: string[] }).required, ['status', 'code', 'message']);
    }
  }
  t.same(open, [], 'objects allow no unknown properties');
  for (const [code, v] of Object.entries(ERROR_CODES)) t.match(code, /^[A-Z][A-Z_]*[A-Z]$/, `${code} (${v.status}) is upper snake case`);
});
