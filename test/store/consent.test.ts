// The consent rules in the store: the state machine of identification and
// confirmation, evidence in both modes, limits in major units per currency.
import t, { type Test } from 'tap';
import { evidenceText } from '../../src/cli/orders';
import { currencyExponent, toMinor } from '../../src/store/consent';
import { ALLOWED } from '../../src/store/transitions';
import { FakeClock, ORDER_OPTS, openStore, sighting } from '../e2e/harness';
import { hello } from '../helpers/paypage';

const A = '491701234567';
const B = '491709876543';

function setup(t: Test, confirmation: 'page' | 'none' = 'page') {
  const clock = new FakeClock();
  const store = openStore(t, { clock: clock.now });
  const sp = store.sps.add({ name: 'shop', confirmation }).sp;
  const order = (amount = 100, currency = 'EUR', ttlSeconds?: number) =>
    store.orders.create(sp.id, { amount, currency, reference: 'r', ttlSeconds }, ORDER_OPTS).order;
  const bind = (msisdn: string, r = msisdn) => {
    store.bindings.record(hello(r.padStart(64, '0'), msisdn));
    return store.bindings.get(r.padStart(64, '0'))!;
  };
  return { clock, store, sp, order, bind };
}

const limits = { perTransaction: 50, perMonth: 300 };

t.test('the state machine: identification never charges, only an open identified order can be confirmed', async (t) => {
  t.same(ALLOWED.pending, ['identified', 'expired', 'cancelled']);
  t.notOk(ALLOWED.pending.includes('paid'), 'nothing goes from pending to paid');
  const { store, order, bind, sp, clock } = setup(t);
  const o = order();
  const a = bind(A);
  t.same(
    store.consent.confirm(o, { binding: a, userAgent: null }, limits).outcome,
    'not-open',
    'a pending order cannot be confirmed',
  );
  t.equal(store.consent.identify(o, { binding: a, userAgent: 'ua', pageDigest: 'd1' }).status, 'identified');
  t.equal(
    store.consent.identify(o, { binding: a, userAgent: 'ua2' }).status,
    'identified',
    'again: no second transition',
  );
  t.same(
    store.events.forOrder(o.id).map((e) => e.status),
    ['pending', 'identified'],
  );
  const b = bind(B);
  t.equal(
    store.consent.confirm(o, { binding: b, userAgent: null }, limits).outcome,
    'not-identified',
    'B was never shown the page',
  );
  const r = store.consent.confirm(o, { binding: a, userAgent: null }, limits);
  t.equal(r.outcome, 'confirmed');
  t.equal(store.payments.pendingCount(), 1);
  t.throws(() => store.orders.cancel(sp.id, o.id), /only an unconfirmed order can be cancelled/);
  store.consent.identify(o, { binding: b, userAgent: null });
  t.equal(store.consent.confirm(o, { binding: b, userAgent: null }, limits).outcome, 'not-open', 'confirmed once');
  const ev = store.consent.evidence(o.id)!;
  t.match(ev, { mode: 'page', msisdn: A, pageDigest: 'd1', userAgent: 'ua2', teid: 1, sni: 'pay.example.net' });
  t.match(evidenceText(ev, 2), /page digest +sha256:d1[\s\S]*phones identified +2/);
  // an identified order nobody confirmed expires and can be cancelled
  const o2 = order(100, 'EUR', 60);
  store.consent.identify(o2, { binding: a, userAgent: null });
  clock.advance(61_000);
  t.equal(store.orders.expireDue(), 1);
  t.equal(store.orders.find(o2.id)!.status, 'expired');
  const o3 = order();
  store.consent.identify(o3, { binding: a, userAgent: null });
  t.equal(store.orders.cancel(sp.id, o3.id).status, 'cancelled');
  t.equal(
    store.consent.identify(o3, { binding: a, userAgent: null }).status,
    'cancelled',
    'a closed order is not identified again',
  );
});

t.test(
  'one-step SP: a sighting confirms at once, also an order a phone was identified for; its evidence is the sighting',
  async (t) => {
    const { store, order, bind, clock } = setup(t, 'none');
    const o = order();
    store.consent.identify(o, { binding: bind(A), userAgent: null });
    const r = store.associator.process([sighting(o.token, B)], { now: clock.t, sourceId: 's', limits });
    t.same(
      r.map((x) => x.outcome),
      ['associated'],
    );
    const row = store.orders.find(o.id)!;
    t.match(row, { status: 'identified', msisdn: B });
    t.ok(row.confirmed_at);
    const ev = store.consent.evidence(o.id)!;
    t.match(ev, { mode: 'none', msisdn: B, sighting: { carrier: 'query', via: 'http', host: 'pay.example.net' } });
    t.match(evidenceText(ev, 1), /a sighting alone \(the SP is in one-step mode/);
    t.equal(store.consent.evidence('ord_none'), null);
    t.equal(store.sps.oneStep().length, 1);
  },
);

t.test('limits in major units of the currency', async (t) => {
  t.equal(currencyExponent('EUR'), 2);
  t.equal(currencyExponent('JPY'), 0);
  t.equal(currencyExponent('BHD'), 3);
  t.equal(toMinor(50, 'EUR'), 5000);
  t.equal(toMinor(50, 'JPY'), 50);
  const { store, order, bind } = setup(t);
  const a = bind(A);
  const confirm = (amount: number, currency: string) => {
    const o = order(amount, currency);
    store.consent.identify(o, { binding: a, userAgent: null });
    return store.consent.confirm(o, { binding: a, userAgent: null }, limits);
  };
  t.match(
    confirm(51, 'JPY'),
    { outcome: 'declined', reason: 'LIMIT_PER_TRANSACTION' },
    '51 yen is over 50 major units',
  );
  t.equal(confirm(50, 'JPY').outcome, 'confirmed');
  t.equal(confirm(5000, 'EUR').outcome, 'confirmed', 'months are per currency');
  const day = { perTransaction: null, perMonth: null, amountPerDay: 6000, ordersPerHour: null };
  const o = order(2000, 'EUR');
  store.consent.identify(o, { binding: a, userAgent: null });
  t.match(store.consent.confirm(o, { binding: a, userAgent: null }, day), {
    outcome: 'declined',
    reason: 'LIMIT_AMOUNT_PER_DAY',
  });
});
