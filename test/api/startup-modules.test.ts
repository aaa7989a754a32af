// What a daemon's start loads: the SP API and the operations listener are
// built without loading Ajv or fast-json-stringify (their validators and
// serializers are compiled on first use), and the metrics without
// prom-client's Pushgateway, cluster aggregator or default collectors. Each
// test file runs in a process of its own, so the module cache shows what
// building them loaded.
import t from 'tap';
import { buildApp, buildOpsApp } from '../../src/api/app';
import { createMetrics } from '../../src/metrics';
import { API_SETTINGS, openStore } from '../e2e/harness';

const loaded = (re: RegExp) => Object.keys(require.cache).filter((k) => re.test(k));
// (fastify's own error serializer, precompiled, needs only fast-json-stringify/lib/serializer.js)
const AJV =
  /node_modules\/(ajv\/|fast-json-stringify\/index\.js|@fastify\/(ajv-compiler|fast-json-stringify-compiler)\/)/;

t.test('the listeners are built and ready without Ajv; the first request that needs it loads it', async (t) => {
  t.same(
    loaded(/node_modules\/prom-client\/lib\/(pushgateway|cluster|defaultMetrics)\.js$/),
    [],
    'prom-client: only the metric classes',
  );
  const store = openStore(t);
  const sp = store.sps.add({ name: 'a', confirmation: 'none' });
  const metrics = createMetrics();
  const app = buildApp({ store, settings: () => API_SETTINGS, metrics, version: '9.9.9', serveMetrics: true });
  const ops = buildOpsApp({ store, metrics });
  t.teardown(() => Promise.all([app.close(), ops.close()]));
  await app.ready();
  await ops.ready();
  t.same(loaded(AJV), [], 'nothing of Ajv or fast-json-stringify');
  const r = await ops.inject({ method: 'GET', url: '/healthz' });
  t.equal(r.statusCode, 200, 'the operations listener answers');
  const bad = await app.inject({
    method: 'POST',
    url: '/v1/orders',
    headers: { authorization: `Bearer ${sp.apiKey}`, 'content-type': 'application/json' },
    payload: { amount: 'ten' },
  });
  t.equal(bad.statusCode, 400, 'a body the schema refuses');
  t.equal(bad.json().code, 'INVALID_ARGUMENT');
  t.ok(loaded(AJV).length > 0, 'Ajv loaded by the first validation');
});
