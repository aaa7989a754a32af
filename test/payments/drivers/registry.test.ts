import t from 'tap';
import { loadConfig } from '../../../src/config';
import { ConfigSchema } from '../../../src/config-schema';
import {
  createDriver,
  driverDefinition,
  driverNames,
  driverProblems,
  registerDriver,
} from '../../../src/payments/drivers';
import { HttpDriver } from '../../../src/payments/drivers/http';
import { LedgerDriver } from '../../../src/payments/drivers/ledger';
import { openStore } from '../../e2e/harness';

t.test('every driver file registers itself; the schema lists the registry', async (t) => {
  t.same(driverNames(), ['ledger', 'http'], 'ledger first: the default');
  const payments = (
    ConfigSchema.properties as unknown as Record<
      string,
      { properties: Record<string, { enum?: string[]; description?: string }> }
    >
  ).payments;
  t.same(payments!.properties.driver!.enum, driverNames());
  t.match(payments!.properties.driver!.description, /^ledger: .*; http: /);
  t.throws(
    () =>
      registerDriver({
        name: 'ledger',
        description: 'again',
        create: () => {
          throw new Error('no');
        },
      }),
    /registered twice/,
  );
  t.throws(() => driverDefinition('nope'), /unknown payment driver "nope" \(known: ledger, http\)/);
});

t.test('the driver made from the configuration', async (t) => {
  const store = openStore(t);
  const readSecret = (inline: string | null) => inline;
  const ledger = loadConfig(null, {}).payments;
  t.type(createDriver({ store, payments: ledger, version: '1', readSecret }), LedgerDriver);
  const http = loadConfig(null, {
    payments: { driver: 'http', http: { url: 'http://127.0.0.1:9/', secret: 'k' } },
  }).payments;
  t.type(createDriver({ store, payments: http, version: '1', readSecret }), HttpDriver);
});

t.test('what a driver requires of the configuration, checked only when it is selected', async (t) => {
  const base = loadConfig(null, {}).payments;
  t.same(driverProblems(base), []);
  t.same(
    driverProblems({ ...base, driver: 'http' }).map((p) => p.path),
    ['payments.http.url', 'payments.http.secret'],
  );
  t.throws(
    () => loadConfig(null, { payments: { driver: 'http' } }),
    /payments\.http\.url is required when payments\.driver is "http"/,
  );
  t.throws(() => loadConfig(null, { payments: { driver: 'paypal' } }), /payments\.driver/);
});
