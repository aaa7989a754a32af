// No drift: the served document, the committed docs/openapi.json and the
// schemas the routes validate with are one and the same; the document has
// named components that every response refers to, servers, a webhooks
// section, open enums, and Redocly CLI finds nothing to say about it.
// Regenerate the committed file with `npm run docs`.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv from 'ajv';
import { buildApp } from '../../src/api/app';
import { buildOpenApi } from '../../src/api/openapi';
import { ROUTES } from '../../src/api/routes';
import { ERROR_CODES } from '../../src/client/codes';
import { renderOpenApi } from '../../src/ops/write-docs';
import { API_SETTINGS, openStore } from '../e2e/harness';

// real processes and servers on a shared 2-core machine: generous, bounded
t.setTimeout(120000);

const committedPath = join(__dirname, '..', '..', 'docs', 'openapi.json');
const version = (require('../../package.json') as { version: string }).version;

t.test('the committed docs/openapi.json is the generated document', async (t) => {
  t.equal(readFileSync(committedPath, 'utf8'), renderOpenApi(), 'docs/openapi.json is stale: run npm run docs');
  t.equal(renderOpenApi(), JSON.stringify(buildOpenApi(version), null, 2) + '\n');
});

type Doc = {
  servers: Array<{ url: string }>;
  paths: Record<
    string,
    Record<string, { responses: Record<string, { content?: Record<string, { schema: Record<string, unknown> }> }> }>
  >;
  webhooks: Record<string, { post: { requestBody: { content: Record<string, { schema: { $ref: string } }> } } }>;
  components: { schemas: Record<string, Record<string, unknown>> };
};

t.test('named components: every response refers to one, every $ref resolves, open enums are extensible', async (t) => {
  const doc = buildOpenApi(version) as unknown as Doc;
  const names = Object.keys(doc.components.schemas);
  t.ok(names.length > 0, 'components.schemas is not empty');
  for (const n of ['Order', 'Refund', 'Error', 'Event', 'WebhookConfig', 'EventPage', 'CamaraPaymentEvent'])
    t.ok(names.includes(n), `${n} is a component`);
  for (const [path, ops] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(ops)) {
      for (const [status, r] of Object.entries(op.responses)) {
        for (const [type, c] of Object.entries(r.content ?? {})) {
          t.match(
            c.schema,
            { $ref: /^#\/components\/schemas\/\w+$/ },
            `${method.toUpperCase()} ${path} ${status} ${type} refers to a component`,
          );
        }
      }
    }
  }
  const refs = JSON.stringify(doc).match(/"\$ref":"[^"]+"/g) ?? [];
  for (const r of new Set(refs)) t.ok(names.includes(r.replace(/^.*\/(\w+)"$/, '$1')), `${r} resolves`);
  t.ok(doc.servers.length > 0, 'servers');
  t.same(
    Object.keys(doc.webhooks).sort(),
    ['camaraPaymentNotification', 'camaraRefundNotification', 'orderEvent'],
    'a webhook for every notification gnpay sends',
  );
  t.equal(
    doc.webhooks.orderEvent!.post.requestBody.content['application/cloudevents+json']!.schema.$ref,
    '#/components/schemas/Event',
  );
  const error = doc.components.schemas.Error as { properties: { code: Record<string, unknown> } };
  t.same(error.properties.code['x-extensible-enum'], Object.keys(ERROR_CODES), 'error codes are an open enum');
  t.notOk('enum' in error.properties.code);
  t.ok(JSON.stringify(doc.components.schemas.Order).includes('x-extensible-enum'), 'order statuses and reasons too');
});

t.test('Redocly CLI lints docs/openapi.json clean (recommended rules, no warning)', async (t) => {
  const cli = require.resolve('@redocly/cli/package.json').replace(/package\.json$/, 'bin/cli.js');
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    REDOCLY_TELEMETRY: 'off',
    REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true',
    NO_COLOR: '1',
  };
  for (const k of Object.keys(env)) if (k.startsWith('NODE_') || k.startsWith('TAP')) delete env[k];
  const r = spawnSync(process.execPath, [cli, 'lint', committedPath, '--format=json'], {
    encoding: 'utf8',
    env,
    timeout: 120_000,
  });
  t.equal(r.status, 0, r.stdout + r.stderr);
  const report = JSON.parse(r.stdout.slice(r.stdout.indexOf('{'))) as {
    totals: { errors: number; warnings: number };
    problems: Array<{ ruleId: string; message: string }>;
  };
  t.same(
    report.totals,
    { errors: 0, warnings: 0, ignored: 0 },
    report.problems.map((p) => `${p.ruleId}: ${p.message}`).join('\n') || 'clean',
  );
});

t.test('the running server serves the same document, and every route of the server is in it', async (t) => {
  const store = openStore(t);
  const app = buildApp({ store, settings: () => API_SETTINGS, version, serveMetrics: true });
  t.teardown(() => app.close());
  await app.listen({ host: '127.0.0.1', port: 0 });
  const port = (app.server.address() as { port: number }).port;
  const served = (await (await fetch(`http://127.0.0.1:${port}/openapi.json`)).json()) as {
    paths: Record<string, Record<string, unknown>>;
  };
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
    if (
      o.type === 'object' &&
      o.additionalProperties !== false &&
      !where.endsWith('.headers') &&
      !where.includes('openapi')
    )
      open.push(where);
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
      if (Number(status) >= 400 && r.auth)
        t.same((s as { required: string[] }).required, ['status', 'code', 'message']);
    }
  }
  t.same(open, [], 'objects allow no unknown properties');
  for (const [code, v] of Object.entries(ERROR_CODES))
    t.match(code, /^[A-Z][A-Z_]*[A-Z]$/, `${code} (${v.status}) is upper snake case`);
});

t.test("the SP kit's types (packages/client) are checked against the document", async (t) => {
  const doc = buildOpenApi(version) as unknown as Doc;
  const schemas = doc.components.schemas as Record<
    string,
    { properties: Record<string, Record<string, unknown>>; required?: string[] }
  >;
  const kit = readFileSync(join(__dirname, '..', '..', 'packages', 'client', 'src', 'types.ts'), 'utf8');
  const codes = readFileSync(join(__dirname, '..', '..', 'packages', 'client', 'src', 'codes.ts'), 'utf8');
  /** The properties of `export interface NAME { ... }` in the kit, with whether each is optional. */
  const fields = (name: string) => {
    const body = new RegExp(`export interface ${name} \\{\\n([\\s\\S]*?)\\n\\}`).exec(kit)?.[1] ?? '';
    return Object.fromEntries([...body.matchAll(/^ {2}(\w+)(\??):/gm)].map((m) => [m[1], m[2] === '?']));
  };
  for (const [iface, schema] of [
    ['Order', 'Order'],
    ['Refund', 'Refund'],
    ['RefundList', 'RefundList'],
    ['OrderList', 'OrderList'],
    ['OrderEvent', 'Event'],
    ['EventPage', 'EventPage'],
    ['CreateOrderInput', 'CreateOrderRequest'],
    ['ApiErrorBody', 'Error'],
    ['WebhookSettings', 'WebhookSettings'],
  ]) {
    const f = fields(iface!);
    t.same(
      Object.keys(f).sort(),
      Object.keys(schemas[schema!]!.properties).sort(),
      `${iface} has the properties of ${schema}`,
    );
    const optional = Object.keys(f)
      .filter((k) => f[k])
      .sort();
    t.same(
      optional,
      Object.keys(schemas[schema!]!.properties)
        .filter((k) => !(schemas[schema!]!.required ?? []).includes(k))
        .sort(),
      `${iface}: the optional ones are the ones ${schema} does not require`,
    );
  }
  const { ORDER_STATUSES, ORDER_REASONS } = await import('../../src/client/types');
  t.same(schemas.Order!.properties.status!['x-extensible-enum'], [...ORDER_STATUSES], 'the statuses');
  t.same(schemas.Order!.properties.reason!['x-extensible-enum'], [...ORDER_REASONS], 'the reasons');
  for (const code of schemas.Error!.properties.code!['x-extensible-enum'] as string[])
    t.match(codes, new RegExp(`^  ${code}: \\{`, 'm'), `${code} in the kit's codes`);
});
