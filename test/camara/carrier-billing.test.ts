// CAMARA Carrier Billing v0.5 beside /v1: two-step prepare -> the subscriber
// validates on the pay page (reserved) -> the SP confirms (succeeded/denied)
// or cancels; one-step only for SPs in one-step mode; lists with page/perPage
// and X-Total-Count; CAMARA error codes; exact decimal amounts; notifications
// to `sink`. Every response and notification is validated against CAMARA's
// own definition (../shared/specs/camara), and its request examples are accepted.
import t, { type Test } from 'tap';
import { buildApp } from '../../src/api/app';
import { toMajorUnits, toMinorUnits } from '../../src/camara/amount';
import { LedgerDriver } from '../../src/payments/drivers/ledger';
import type { Store } from '../../src/store';
import { SinkWorker } from '../../src/camara/sink-worker';
import { API_SETTINGS, FakeClock, httpServer, openStore, sighting, until } from '../e2e/harness';
import { loadSpec, SPECS_ABSENT, type CamaraSpec } from '../helpers/camara-spec';
import { hello } from '../helpers/paypage';

const BASE = '/carrier-billing/v0.5';
const A = '34671999000';
const B = '491709876543';
const NO_LIMITS = { perTransaction: null, perMonth: null };

const spec = loadSpec('carrier-billing');
if (!spec) t.skip(`schema validation: ${SPECS_ABSENT}`, () => {});

function setup(t: Test, limits: { perTransaction: number | null; perMonth: number | null } = NO_LIMITS) {
  const clock = new FakeClock(Date.now());
  const store = openStore(t, { clock: clock.now });
  const sp = store.sps.add({ name: 'Games Ltd' });
  const reader = store.sps.add({ name: 'Reader', scopes: ['msisdn:read'] });
  const oneStep = store.sps.add({ name: 'OneStep', confirmation: 'none' });
  const app = buildApp({ store, settings: () => API_SETTINGS, clock: clock.now, perMsisdnLimits: () => limits });
  t.teardown(() => app.close());
  const as = (key: string, extra: Record<string, string> = {}) => ({ authorization: `Bearer ${key}`, ...extra });
  return { clock, store, sp, reader, oneStep, app, as };
}

/** Validates a response against the operation's response in the definition. `numberHidden`: see docs/camara.md. */
function conforms(
  t: Test,
  path: string,
  method: string,
  r: { statusCode: number; body: string },
  numberHidden = false,
) {
  if (!spec) return;
  const body = r.body === '' ? undefined : JSON.parse(r.body);
  let errors = spec.checkResponse(path, method, r.statusCode, body);
  // AmountTransaction requires phoneNumber; gnpay omits it while the network has not identified the
  // subscriber (three-legged style: the SP did not name one) or when the key may not read numbers
  if (numberHidden)
    errors = errors.filter(
      (e) => !/must have required property 'phoneNumber'/.test(e) && !/must match a schema in anyOf|must pass/.test(e),
    );
  t.same(errors, [], `${method.toUpperCase()} ${path} ${r.statusCode} conforms to CAMARA`);
}

/** The subscriber opens the validationURL on a bound connection and presses Confirm (what the pay page does). */
function subscriberConfirms(store: Store, orderId: string, msisdn: string) {
  const random = msisdn.padStart(64, '0');
  store.bindings.record(hello(random, msisdn));
  const b = store.bindings.get(random)!;
  const o = store.orders.find(orderId)!;
  store.consent.identify(o, { binding: b, userAgent: 'test' });
  return store.consent.confirm(o, { binding: b, userAgent: 'test' }, NO_LIMITS);
}

function runLedger(store: Store) {
  const driver = new LedgerDriver(store.ledger);
  store.payments.processInTransaction('test', 100, (order) => {
    const r = driver.chargeInTransaction({
      idempotencyKey: order.id,
      msisdn: order.msisdn!,
      amount: order.amount,
      currency: order.currency,
      reference: order.reference,
      description: order.description,
    });
    return r.outcome === 'succeeded'
      ? { settlement: { status: 'paid' } }
      : r.outcome === 'declined'
        ? { settlement: { status: 'declined', reason: r.reason } }
        : { retryAt: Date.now() + 1000, lastError: 'x' };
  });
}

const prepareBody = (extra: Record<string, unknown> = {}, at: Record<string, unknown> = {}) => ({
  amountTransaction: {
    clientCorrelator: 'req-1',
    referenceCode: 'ref-1',
    paymentAmount: {
      chargingInformation: { amount: 4.99, currency: 'EUR', description: 'Sword of Light' },
      chargingMetaData: { merchantName: 'EA', merchantIdentifier: 'm-1' },
    },
    ...at,
  },
  ...extra,
});

t.test('amounts: decimal major units to minor units exactly, per currency', async (t) => {
  const ok = (v: number, c: string) => {
    const r = toMinorUnits(v, c);
    return r.ok ? r.minor : r.why;
  };
  t.equal(ok(4.99, 'EUR'), 499);
  t.equal(ok(0.3, 'EUR'), 30);
  t.equal(ok(1.005, 'EUR'), 'has more decimal places than EUR has (2)');
  t.equal(ok(100, 'JPY'), 100);
  t.equal(ok(1.5, 'JPY'), 'has more decimal places than JPY has (0)');
  t.equal(ok(1.234, 'KWD'), 1234);
  t.equal(ok(19.9, 'EUR'), 1990);
  t.equal(ok(1e-7, 'EUR'), 'has more decimal places than EUR has (2)');
  t.equal(ok(1e21, 'EUR'), 'is too large');
  t.equal(ok(123456789.12, 'EUR'), 12345678912);
  t.equal(ok(0.01, 'EUR'), 1);
  t.equal(ok(0, 'EUR'), 'must be a positive number');
  for (const [m, c, s] of [
    [499, 'EUR', '4.99'],
    [5, 'EUR', '0.05'],
    [100, 'JPY', '100'],
    [1234, 'KWD', '1.234'],
    [1990, 'EUR', '19.9'],
    [12345678912, 'EUR', '123456789.12'],
  ] as const) {
    t.equal(JSON.stringify(toMajorUnits(m, c)), s, `${m} ${c}`);
  }
  // every cent from 0.01 to 99.99 round-trips
  for (let minor = 1; minor < 10_000; minor++) {
    const major = toMajorUnits(minor, 'EUR');
    const back = toMinorUnits(JSON.parse(JSON.stringify(major)) as number, 'EUR');
    if (!back.ok || back.minor !== minor) t.fail(`${minor} -> ${major} -> ${JSON.stringify(back)}`);
  }
});

t.test(
  'two-step: prepare -> the subscriber validates -> the SP confirms -> succeeded, with notifications',
  async (t) => {
    const { app, store, sp, as } = setup(t);
    store.ledger.credit(A, 10_000, { currency: 'EUR' });
    const body = prepareBody({
      sink: 'https://sp.example.com/notify',
      sinkCredential: {
        credentialType: 'ACCESSTOKEN',
        accessToken: 'tok-123',
        accessTokenType: 'bearer',
        accessTokenExpiresUtc: '2030-01-01T00:00:00Z',
      },
    });
    const r = await app.inject({
      method: 'POST',
      url: `${BASE}/payments/prepare`,
      headers: as(sp.apiKey, { 'x-correlator': 'corr-1' }),
      payload: body,
    });
    t.equal(r.statusCode, 201, r.body);
    t.equal(r.headers['x-correlator'], 'corr-1');
    const p = r.json();
    conforms(t, '/payments/prepare', 'post', r, true);
    t.match(p, {
      paymentStatus: 'pending_validation',
      validationInfo: { action: 'open' },
      amountTransaction: {
        clientCorrelator: 'req-1',
        referenceCode: 'ref-1',
        paymentAmount: { chargingInformation: { amount: 4.99, currency: 'EUR' } },
      },
    });
    t.notOk('phoneNumber' in p.amountTransaction, 'no number before the network identifies one');
    const o = store.orders.find(p.paymentId)!;
    t.equal(p.validationInfo.validationURL, o.pay_url, 'the validationURL is the pay page');
    t.equal(o.amount, 499);
    t.equal(r.headers.location, `${BASE}/payments/${p.paymentId}`);

    // the same clientCorrelator and request: the same payment; another request: ALREADY_EXISTS
    const again = await app.inject({
      method: 'POST',
      url: `${BASE}/payments/prepare`,
      headers: as(sp.apiKey),
      payload: body,
    });
    t.equal(again.json().paymentId, p.paymentId);
    const clash = await app.inject({
      method: 'POST',
      url: `${BASE}/payments/prepare`,
      headers: as(sp.apiKey),
      payload: prepareBody({}, { referenceCode: 'other' }),
    });
    t.equal(clash.statusCode, 409);
    t.equal(clash.json().code, 'ALREADY_EXISTS');
    conforms(t, '/payments/prepare', 'post', clash);

    // confirming before the subscriber validated is refused
    const early = await app.inject({
      method: 'POST',
      url: `${BASE}/payments/${p.paymentId}/confirm`,
      headers: as(sp.apiKey),
      payload: {},
    });
    t.equal(early.statusCode, 403);
    conforms(t, '/payments/{paymentId}/confirm', 'post', early);

    t.equal(subscriberConfirms(store, p.paymentId, A).outcome, 'reserved');
    t.equal(store.payments.pendingCount(), 0, 'nothing is charged on a reservation');
    const reserved = await app.inject({
      method: 'GET',
      url: `${BASE}/payments/${p.paymentId}`,
      headers: as(sp.apiKey),
    });
    t.equal(reserved.json().paymentStatus, 'reserved');
    conforms(t, '/payments/{paymentId}', 'get', reserved, true);

    const c = await app.inject({
      method: 'POST',
      url: `${BASE}/payments/${p.paymentId}/confirm`,
      headers: as(sp.apiKey),
      payload: {},
    });
    t.equal(c.statusCode, 202, c.body);
    t.equal(c.body, '');
    t.equal(
      (await app.inject({ method: 'GET', url: `${BASE}/payments/${p.paymentId}`, headers: as(sp.apiKey) })).json()
        .paymentStatus,
      'processing',
    );
    runLedger(store);
    const done = await app.inject({ method: 'GET', url: `${BASE}/payments/${p.paymentId}`, headers: as(sp.apiKey) });
    t.equal(done.json().paymentStatus, 'succeeded');
    t.ok(done.json().paymentDate);
    conforms(t, '/payments/{paymentId}', 'get', done, true);
    t.equal(store.ledger.show(A).balances.EUR, 10_000 - 499);
    const twice = await app.inject({
      method: 'POST',
      url: `${BASE}/payments/${p.paymentId}/confirm`,
      headers: as(sp.apiKey),
      payload: {},
    });
    t.equal(twice.json().code, 'CARRIER_BILLING.PAYMENT_CONFIRMED');
    conforms(t, '/payments/{paymentId}/confirm', 'post', twice);

    // the notifications: pending-validation, reserved, completed; CloudEvents with the sink's token
    const n = store.camara.dueNotifications(10);
    t.same(
      n.map((x) => JSON.parse(x.body).type),
      [
        'org.camaraproject.carrier-billing.v0.payment-pending-validation',
        'org.camaraproject.carrier-billing.v0.payment-reserved',
        'org.camaraproject.carrier-billing.v0.payment-completed',
      ],
    );
    t.ok(n.every((x) => store.secrets.open(x.token!) === 'tok-123' && x.sink === 'https://sp.example.com/notify'));
    // the token is sealed at rest: in no row and no stored request in clear
    for (const [table, column] of [
      ['camara_payments', 'sink_token'],
      ['camara_payments', 'request'],
      ['sink_outbox', 'token'],
    ]) {
      const values = store.db.prepare(`SELECT ${column} FROM ${table}`).pluck().all() as string[];
      t.ok(
        values.every((v) => !v.includes('tok-123')),
        `${table}.${column} holds no clear token`,
      );
    }
    t.ok(
      n.every((x) => x.token!.startsWith('aes256gcm:')),
      'sealed like webhook secrets',
    );
    if (spec) for (const x of n) t.same(spec.check('CloudEvent', JSON.parse(x.body)), [], 'a CloudEvent');
    if (spec) t.same(spec.check('EventPaymentCompleted', JSON.parse(n[2]!.body)), [], 'payment-completed');
  },
);

t.test('two-step: cancel, deny, a number that differs from the identified one', async (t) => {
  const { app, store, sp, reader, as } = setup(t);
  const prepare = async (key: string, at: Record<string, unknown> = {}) =>
    (
      await app.inject({
        method: 'POST',
        url: `${BASE}/payments/prepare`,
        headers: as(key),
        payload: prepareBody({ sink: 'https://sp.example.com/n' }, { clientCorrelator: undefined, ...at }),
      })
    ).json();

  const p1 = await prepare(sp.apiKey);
  const c1 = await app.inject({
    method: 'POST',
    url: `${BASE}/payments/${p1.paymentId}/cancel`,
    headers: as(sp.apiKey),
    payload: {},
  });
  t.equal(c1.statusCode, 202);
  const c1b = await app.inject({
    method: 'POST',
    url: `${BASE}/payments/${p1.paymentId}/cancel`,
    headers: as(sp.apiKey),
    payload: {},
  });
  t.equal(c1b.json().code, 'CARRIER_BILLING.PAYMENT_CANCELLED');
  conforms(t, '/payments/{paymentId}/cancel', 'post', c1b);
  t.equal(store.orders.find(p1.paymentId)!.status, 'cancelled');

  // reserved, then cancelled by the SP: never charged
  const p2 = await prepare(sp.apiKey);
  subscriberConfirms(store, p2.paymentId, A);
  t.equal(
    (
      await app.inject({
        method: 'POST',
        url: `${BASE}/payments/${p2.paymentId}/cancel`,
        headers: as(sp.apiKey),
        payload: {},
      })
    ).statusCode,
    202,
  );
  t.equal(store.payments.pendingCount(), 0);

  // the SP named a number: another identified number is denied
  const p3 = await prepare(reader.apiKey, { phoneNumber: `+${B}` });
  t.equal(p3.amountTransaction.phoneNumber, `+${B}`);
  const r3 = subscriberConfirms(store, p3.paymentId, A);
  t.equal(r3.outcome, 'declined');
  const g3 = await app.inject({ method: 'GET', url: `${BASE}/payments/${p3.paymentId}`, headers: as(reader.apiKey) });
  t.equal(g3.json().paymentStatus, 'denied');
  conforms(t, '/payments/{paymentId}', 'get', g3);
  const c3 = await app.inject({
    method: 'POST',
    url: `${BASE}/payments/${p3.paymentId}/confirm`,
    headers: as(reader.apiKey),
    payload: {},
  });
  t.equal(c3.json().code, 'CARRIER_BILLING.PAYMENT_DENIED');
  conforms(t, '/payments/{paymentId}/confirm', 'post', c3);
  const denied = store.camara
    .dueNotifications(50)
    .map((x) => JSON.parse(x.body))
    .find((e) => e.data.paymentId === p3.paymentId && e.type.endsWith('payment-denied'));
  t.match(denied, { data: { status: 'failed', denialReason: /not the one given/ } });
  if (spec) t.same(spec.check('EventPaymentDenied', denied), []);

  // the same number: reserved; the reader key sees the number
  const p4 = await prepare(reader.apiKey, { phoneNumber: `+${A}` });
  t.equal(subscriberConfirms(store, p4.paymentId, A).outcome, 'reserved');
  const g4 = await app.inject({ method: 'GET', url: `${BASE}/payments/${p4.paymentId}`, headers: as(reader.apiKey) });
  t.equal(g4.json().amountTransaction.phoneNumber, `+${A}`);
  conforms(t, '/payments/{paymentId}', 'get', g4);
  const wrong = await app.inject({
    method: 'POST',
    url: `${BASE}/payments/${p4.paymentId}/confirm`,
    headers: as(reader.apiKey),
    payload: { phoneNumber: `+${B}` },
  });
  t.equal(wrong.json().code, 'CARRIER_BILLING.PAYMENT_DENIED');

  // insufficient balance: the SP's confirm leads to denied
  t.equal(
    (
      await app.inject({
        method: 'POST',
        url: `${BASE}/payments/${p4.paymentId}/confirm`,
        headers: as(reader.apiKey),
        payload: { phoneNumber: `+${A}` },
      })
    ).statusCode,
    202,
  );
  runLedger(store);
  t.equal(
    (await app.inject({ method: 'GET', url: `${BASE}/payments/${p4.paymentId}`, headers: as(reader.apiKey) })).json()
      .paymentStatus,
    'denied',
  );

  // another SP's payment, and a /v1 order, are NOT_FOUND here
  const other = await app.inject({ method: 'GET', url: `${BASE}/payments/${p4.paymentId}`, headers: as(sp.apiKey) });
  t.equal(other.statusCode, 404);
  conforms(t, '/payments/{paymentId}', 'get', other);
});

t.test('one-step only where the operator allows it; limits; errors in CAMARA form', async (t) => {
  const { app, store, sp, oneStep, as } = setup(t, { perTransaction: 50, perMonth: 300 });
  store.ledger.credit(A, 100_000, { currency: 'EUR' });
  const refused = await app.inject({
    method: 'POST',
    url: `${BASE}/payments`,
    headers: as(sp.apiKey),
    payload: prepareBody({}, { phoneNumber: `+${A}` }),
  });
  t.equal(refused.statusCode, 403);
  t.equal(refused.json().code, 'PERMISSION_DENIED');
  conforms(t, '/payments', 'post', refused);
  const noNumber = await app.inject({
    method: 'POST',
    url: `${BASE}/payments`,
    headers: as(oneStep.apiKey),
    payload: prepareBody(),
  });
  t.equal(noNumber.json().code, 'MISSING_IDENTIFIER');
  conforms(t, '/payments', 'post', noNumber);
  const ok = await app.inject({
    method: 'POST',
    url: `${BASE}/payments`,
    headers: as(oneStep.apiKey),
    payload: prepareBody({}, { phoneNumber: `+${A}` }),
  });
  t.equal(ok.statusCode, 201, ok.body);
  t.equal(ok.json().paymentStatus, 'processing');
  conforms(t, '/payments', 'post', ok);
  runLedger(store);
  t.equal(store.orders.find(ok.json().paymentId)!.status, 'paid');

  const big = await app.inject({
    method: 'POST',
    url: `${BASE}/payments/prepare`,
    headers: as(sp.apiKey),
    payload: prepareBody(
      {},
      { paymentAmount: { chargingInformation: { amount: 50.01, currency: 'EUR', description: 'x' } } },
    ),
  });
  t.equal(big.statusCode, 422);
  t.equal(big.json().code, 'CARRIER_BILLING.UNAUTHORIZED_AMOUNT');
  conforms(t, '/payments/prepare', 'post', big);
  const cents = await app.inject({
    method: 'POST',
    url: `${BASE}/payments/prepare`,
    headers: as(sp.apiKey),
    payload: prepareBody(
      {},
      { paymentAmount: { chargingInformation: { amount: 1.001, currency: 'EUR', description: 'x' } } },
    ),
  });
  t.equal(cents.statusCode, 400);
  t.match(cents.json(), { code: 'INVALID_ARGUMENT', message: /more decimal places/ });
  conforms(t, '/payments/prepare', 'post', cents);
  const cred = await app.inject({
    method: 'POST',
    url: `${BASE}/payments/prepare`,
    headers: as(sp.apiKey),
    payload: prepareBody({
      sink: 'https://x.example/n',
      sinkCredential: { credentialType: 'PLAIN', identifier: 'a', secret: 'b' },
    }),
  });
  t.equal(cred.json().code, 'INVALID_CREDENTIAL');
  conforms(t, '/payments/prepare', 'post', cred);
  const httpSink = await app.inject({
    method: 'POST',
    url: `${BASE}/payments/prepare`,
    headers: as(sp.apiKey),
    payload: prepareBody({ sink: 'http://x.example/n' }),
  });
  t.equal(httpSink.json().code, 'INVALID_ARGUMENT');
  const unauth = await app.inject({ method: 'GET', url: `${BASE}/payments` });
  t.equal(unauth.statusCode, 401);
  conforms(t, '/payments', 'get', unauth);
  const badCorr = await app.inject({
    method: 'GET',
    url: `${BASE}/payments`,
    headers: as(sp.apiKey, { 'x-correlator': 'bad correlator!' }),
  });
  t.equal(badCorr.statusCode, 400);
  const validate = await app.inject({
    method: 'POST',
    url: `${BASE}/payments/ord_x/validate`,
    headers: as(sp.apiKey),
    payload: { authorizationId: 'a', code: '1' },
  });
  t.equal(validate.json().code, 'CARRIER_BILLING.INVALID_AUTHORIZATION_ID');
  conforms(t, '/payments/{paymentId}/validate', 'post', validate);
});

t.test(
  'a one-step SP that prepares: a sighting only reserves; the number it asked for is kept; conflicts',
  async (t) => {
    const { app, store, oneStep, as, clock } = setup(t);
    store.ledger.credit(A, 100_000, { currency: 'EUR' });
    store.ledger.credit(B, 100_000, { currency: 'EUR' });
    const prepare = async (at: Record<string, unknown> = {}) => {
      const r = await app.inject({
        method: 'POST',
        url: `${BASE}/payments/prepare`,
        headers: as(oneStep.apiKey),
        payload: prepareBody({}, { clientCorrelator: undefined, ...at }),
      });
      t.equal(r.statusCode, 201, r.body);
      const id = r.json().paymentId as string;
      const token = new URL(r.json().validationInfo.validationURL).searchParams.get('pay_token')!;
      return { id, token };
    };
    const sees = (token: string, msisdn: string) =>
      store.associator.process([sighting(token, msisdn)], { now: clock.now(), sourceId: 'gn', limits: NO_LIMITS })[0]!
        .outcome;
    const queued = (id: string) =>
      store.db.prepare('SELECT COUNT(*) FROM payment_outbox WHERE order_id = ?').pluck().get(id);
    const status = async (id: string) =>
      (await app.inject({ method: 'GET', url: `${BASE}/payments/${id}`, headers: as(oneStep.apiKey) })).json()
        .paymentStatus;

    // the subscriber's request is seen in its tunnel: reserved, nothing charged until the SP confirms
    const p1 = await prepare();
    t.equal(sees(p1.token, A), 'associated');
    t.equal(await status(p1.id), 'reserved');
    t.equal(queued(p1.id), 0, 'no charge queued');
    runLedger(store);
    t.equal(store.orders.find(p1.id)!.status, 'identified', 'nothing charged');
    const sp = (id: string, action: 'confirm' | 'cancel') =>
      app.inject({ method: 'POST', url: `${BASE}/payments/${id}/${action}`, headers: as(oneStep.apiKey), payload: {} });
    const c1 = await sp(p1.id, 'confirm');
    t.equal(c1.statusCode, 202, c1.body);
    runLedger(store);
    t.equal(store.orders.find(p1.id)!.status, 'paid', 'charged once the SP confirmed');

    // reserved, then cancelled by the SP: never charged
    const p2 = await prepare();
    t.equal(sees(p2.token, A), 'associated');
    const x2 = await sp(p2.id, 'cancel');
    t.equal(x2.statusCode, 202, x2.body);
    runLedger(store);
    t.equal(store.orders.find(p2.id)!.status, 'cancelled');
    t.equal(queued(p2.id), 0);

    // the SP named a number; the network says another subscriber sent the token: declined, as on the pay page
    const p3 = await prepare({ phoneNumber: `+${A}` });
    t.equal(sees(p3.token, B), 'declined');
    t.match(store.orders.find(p3.id)!, { status: 'declined', reason: 'PHONE_NUMBER_MISMATCH' });
    t.equal(queued(p3.id), 0);

    // reserved for one subscriber, then the token is seen in another's tunnel: a conflict, never charged
    const p4 = await prepare();
    t.equal(sees(p4.token, A), 'associated');
    t.equal(sees(p4.token, B), 'conflict');
    t.match(store.orders.find(p4.id)!, { status: 'conflict', reason: 'TOKEN_CONFLICT' });
    t.equal((await sp(p4.id, 'confirm')).statusCode, 403, 'the SP cannot capture it');
    runLedger(store);
    t.equal(queued(p4.id), 0);
    t.equal(store.ledger.show(A).balances.EUR, 100_000 - 499, 'charged once: the order its SP confirmed');
    t.equal(store.ledger.show(B).balances.EUR, 100_000, 'the other subscriber is not charged');
  },
);

t.test('list: page, perPage, X-Total-Count, filters, order', async (t) => {
  const { app, store, sp, as, clock } = setup(t);
  const ids: string[] = [];
  for (let i = 0; i < 7; i++) {
    clock.advance(1000);
    const r = await app.inject({
      method: 'POST',
      url: `${BASE}/payments/prepare`,
      headers: as(sp.apiKey),
      payload: prepareBody({}, { clientCorrelator: `c${i}`, referenceCode: `r${i}` }),
    });
    ids.push(r.json().paymentId);
  }
  subscriberConfirms(store, ids[2]!, A);
  const l = await app.inject({
    method: 'GET',
    url: `${BASE}/payments?page=2&perPage=3&order=asc`,
    headers: as(sp.apiKey),
  });
  t.equal(l.statusCode, 200);
  t.equal(l.headers['x-total-count'], '7');
  t.equal(l.headers['content-last-key'], '6');
  t.same(
    l.json().map((p: { paymentId: string }) => p.paymentId),
    ids.slice(3, 6),
  );
  conforms(t, '/payments', 'get', l, true);
  const desc = await app.inject({ method: 'GET', url: `${BASE}/payments`, headers: as(sp.apiKey) });
  t.equal(desc.json()[0].paymentId, ids[6], 'newest first by default');
  t.equal(desc.json().length, 7);
  const reserved = await app.inject({
    method: 'GET',
    url: `${BASE}/payments?paymentStatus=reserved`,
    headers: as(sp.apiKey),
  });
  t.same(
    reserved.json().map((p: { paymentId: string }) => p.paymentId),
    [ids[2]],
  );
  t.equal(reserved.headers['x-total-count'], '1');
  const beyond = await app.inject({ method: 'GET', url: `${BASE}/payments?page=9`, headers: as(sp.apiKey) });
  t.equal(beyond.json().code, 'OUT_OF_RANGE');
  conforms(t, '/payments', 'get', beyond);
  const range = await app.inject({
    method: 'GET',
    url: `${BASE}/payments?paymentCreationDate.gte=2030-01-02T00:00:00Z&paymentCreationDate.lte=2030-01-01T00:00:00Z`,
    headers: as(sp.apiKey),
  });
  t.equal(range.json().code, 'CARRIER_BILLING.INVALID_DATE_RANGE');
  conforms(t, '/payments', 'get', range);
  const merchant = await app.inject({
    method: 'GET',
    url: `${BASE}/payments?merchantIdentifier=m-1&perPage=2`,
    headers: as(sp.apiKey),
  });
  t.equal(merchant.headers['x-total-count'], '7');
  const none = await app.inject({
    method: 'GET',
    url: `${BASE}/payments?merchantIdentifier=nobody`,
    headers: as(sp.apiKey),
  });
  t.same(none.json(), []);
});

t.test("every request example in CAMARA's definition is accepted", { skip: spec ? false : SPECS_ABSENT }, async (t) => {
  const s = spec as CamaraSpec;
  const { app, store, sp, oneStep, as } = setup(t);
  store.ledger.credit('34671999000', 1_000_000, { currency: 'EUR' });
  const prepare = s.example('BodyAmountReservationTransactionForReserveInput') as Record<string, any>;
  t.ok(prepare.amountTransaction.paymentAmount.chargingInformation, 'the example has a charging information');
  // the definition gives no example values for the credential's fields (gnpay supports ACCESSTOKEN, bearer)
  prepare.sinkCredential = {
    credentialType: 'ACCESSTOKEN',
    accessToken: 'x',
    accessTokenExpiresUtc: '2030-01-01T00:00:00Z',
    accessTokenType: 'bearer',
  };
  const r = await app.inject({
    method: 'POST',
    url: `${BASE}/payments/prepare`,
    headers: as(sp.apiKey),
    payload: prepare,
  });
  t.equal(r.statusCode, 201, r.body);
  conforms(t, '/payments/prepare', 'post', r);
  const create = s.example('CreatePayment') as Record<string, any>;
  delete create.sinkCredential;
  const c = await app.inject({ method: 'POST', url: `${BASE}/payments`, headers: as(oneStep.apiKey), payload: create });
  t.equal(c.statusCode, 201, c.body);
  conforms(t, '/payments', 'post', c);
  const phone = s.example('PhoneNumber');
  subscriberConfirms(store, r.json().paymentId, '34671999000');
  const confirm = await app.inject({
    method: 'POST',
    url: `${BASE}/payments/${r.json().paymentId}/confirm`,
    headers: as(sp.apiKey),
    payload: phone as object,
  });
  t.equal(confirm.statusCode, 202, confirm.body);
  const r2 = await app.inject({
    method: 'POST',
    url: `${BASE}/payments/prepare`,
    headers: as(sp.apiKey),
    payload: { ...prepare, amountTransaction: { ...prepare.amountTransaction, clientCorrelator: 'another' } },
  });
  const cancel = await app.inject({
    method: 'POST',
    url: `${BASE}/payments/${r2.json().paymentId}/cancel`,
    headers: as(sp.apiKey),
    payload: phone as object,
  });
  t.equal(cancel.statusCode, 202, cancel.body);
});

t.test(
  'notifications reach the sink: CloudEvents, Bearer from sinkCredential, retried, given up on 410, destination policy',
  async (t) => {
    const { app, store, sp, as, clock } = setup(t);
    const got: Array<{ auth: string | undefined; type: string | undefined; body: Record<string, any> }> = [];
    let fail = 1;
    const srv = await httpServer(t, (req, body, res) => {
      if (req.url === '/gone') return void res.writeHead(410).end();
      if (fail-- > 0) return void res.writeHead(503).end();
      got.push({ auth: req.headers.authorization, type: req.headers['content-type'], body: JSON.parse(body) });
      res.writeHead(204).end();
    });
    const r = await app.inject({
      method: 'POST',
      url: `${BASE}/payments/prepare`,
      headers: as(sp.apiKey),
      payload: prepareBody({
        sink: 'https://sp.example.com/n',
        sinkCredential: {
          credentialType: 'ACCESSTOKEN',
          accessToken: 'tok-9',
          accessTokenType: 'bearer',
          accessTokenExpiresUtc: '2030-01-01T00:00:00Z',
        },
      }),
    });
    // the sink of the test is a plain-HTTP loopback server (the API accepts https sinks only)
    store.db.prepare('UPDATE sink_outbox SET sink = ?').run(`${srv.url}/n`);
    const refused = new SinkWorker(store, {
      timeoutMs: 2000,
      maxAttempts: 3,
      backoff: { baseMs: 1, maxMs: 2 },
      pollMs: 20,
    });
    refused.start();
    await new Promise((res) => setTimeout(res, 300));
    await refused.stop();
    t.same(got, [], 'loopback is refused by the destination policy');
    store.db.prepare('UPDATE sink_outbox SET attempts = 0, done_at = NULL, next_attempt_at = 0').run();
    // each round: the worker runs over what is queued, with its sink pointed at the test's server
    const round = async (path: string, done: () => boolean) => {
      store.db.prepare('UPDATE sink_outbox SET sink = ? WHERE done_at IS NULL').run(`${srv.url}${path}`);
      const w = new SinkWorker(store, {
        timeoutMs: 2000,
        maxAttempts: 5,
        backoff: { baseMs: 1, maxMs: 1 },
        allowDestinations: ['127.0.0.1/32'],
        pollMs: 20,
      });
      w.start();
      try {
        await until(() => {
          clock.advance(5); // the backoff runs on the store's clock
          return done();
        });
      } finally {
        await w.stop();
      }
    };
    await round('/n', () => got.length === 1);
    t.equal(got[0]!.auth, 'Bearer tok-9');
    t.equal(got[0]!.type, 'application/cloudevents+json');
    t.match(got[0]!.body, {
      type: 'org.camaraproject.carrier-billing.v0.payment-pending-validation',
      data: { paymentId: r.json().paymentId },
    });
    subscriberConfirms(store, r.json().paymentId, A);
    await round('/n', () => got.length === 2);
    t.equal(got[1]!.body.type, 'org.camaraproject.carrier-billing.v0.payment-reserved');
    if (spec) for (const g of got) t.same(spec.check('CloudEvent', g.body), []);
    // a sink that is gone: given up at once
    await app.inject({
      method: 'POST',
      url: `${BASE}/payments/${r.json().paymentId}/cancel`,
      headers: as(sp.apiKey),
      payload: {},
    });
    await round(
      '/gone',
      () => !!store.db.prepare('SELECT 1 FROM sink_outbox WHERE last_error LIKE ?').pluck().get('given up%'),
    );
    t.match(
      store.db.prepare('SELECT last_error FROM sink_outbox ORDER BY id DESC LIMIT 1').pluck().get(),
      /given up: HTTP 410/,
    );
  },
);
