// Cursors of the event feed and of order lists are opaque and per SP: their
// values say nothing about other SPs' activity, and another SP cannot use them.
import t from 'tap';
import { buildApp } from '../../src/api/app';
import { API_SETTINGS, openStore, sighting } from '../e2e/harness';

t.test('opaque, per-SP cursors; plain numbers still accepted', async (t) => {
  const store = openStore(t);
  const app = buildApp({ store, settings: () => API_SETTINGS });
  const a = store.sps.add({ confirmation: 'none', name: 'a' });
  const b = store.sps.add({ confirmation: 'none', name: 'b' });
  const as = (k: string) => ({ authorization: `Bearer ${k}`, 'content-type': 'application/json' });
  const create = async (key: string, ref: string) =>
    (
      await app.inject({
        method: 'POST',
        url: '/v1/orders',
        headers: as(key),
        payload: { amount: 1, currency: 'EUR', reference: ref },
      })
    ).json();
  // A's orders interleaved with a burst of B's
  const mine = [];
  for (let i = 0; i < 4; i++) {
    mine.push(await create(a.apiKey, `a${i}`));
    for (let j = 0; j < 1 + i * 3; j++) await create(b.apiKey, `b${i}-${j}`);
  }
  store.associator.process([sighting(mine[0].token, '491511234567')], { now: store.clock(), sourceId: 's' });

  const feed = (await app.inject({ method: 'GET', url: '/v1/events?limit=2', headers: as(a.apiKey) })).json();
  t.equal(feed.events.length, 2);
  for (const e of feed.events) t.match(e.cursor, /^[A-Za-z0-9_-]{22}$/, 'an opaque cursor, not a sequence number');
  t.equal(feed.nextCursor, feed.events[1].cursor);
  const rest = [];
  let after = feed.nextCursor;
  for (;;) {
    const p = (
      await app.inject({ method: 'GET', url: `/v1/events?after=${after}&limit=2`, headers: as(a.apiKey) })
    ).json();
    rest.push(...p.events);
    if (p.events.length === 0) break;
    after = p.nextCursor;
  }
  t.same(
    [...feed.events, ...rest].map(
      (e: { data: { reference: string; status: string } }) => `${e.data.reference}:${e.data.status}`,
    ),
    ['a0:pending', 'a1:pending', 'a2:pending', 'a3:pending', 'a0:identified'],
    "paging with them walks the SP's own feed, in order",
  );
  t.equal(new Set([...feed.events, ...rest].map((e: { cursor: string }) => e.cursor)).size, 5);

  const stolen = await app.inject({ method: 'GET', url: `/v1/events?after=${feed.nextCursor}`, headers: as(b.apiKey) });
  t.equal(stolen.statusCode, 400, "another SP's cursor is refused");
  t.match(stolen.json(), { code: 'INVALID_ARGUMENT', message: /is not a cursor of your events/ });
  const ordersPage = (await app.inject({ method: 'GET', url: '/v1/orders?limit=3', headers: as(a.apiKey) })).json();
  t.match(ordersPage.nextCursor, /^[A-Za-z0-9_-]{22}$/);
  const crossed = await app.inject({
    method: 'GET',
    url: `/v1/events?after=${ordersPage.nextCursor}`,
    headers: as(a.apiKey),
  });
  t.equal(crossed.statusCode, 400, 'an order-list cursor is not an event cursor');
  const next = (
    await app.inject({ method: 'GET', url: `/v1/orders?after=${ordersPage.nextCursor}`, headers: as(a.apiKey) })
  ).json();
  t.same(
    next.orders.map((o: { reference: string }) => o.reference),
    ['a3'],
  );
  t.equal(next.nextCursor, null);
  t.equal(
    (await app.inject({ method: 'GET', url: `/v1/orders?after=${ordersPage.nextCursor}`, headers: as(b.apiKey) }))
      .statusCode,
    400,
  );
  const garbage = await app.inject({
    method: 'GET',
    url: '/v1/events?after=AAAAAAAAAAAAAAAAAAAAAA',
    headers: as(a.apiKey),
  });
  t.equal(garbage.statusCode, 400, 'a made-up cursor is refused');

  // a plain number (a cursor saved from an earlier version) still works: it is a position in the global sequence
  const legacy = (
    await app.inject({ method: 'GET', url: '/v1/events?after=0&limit=100', headers: as(a.apiKey) })
  ).json();
  t.equal(legacy.events.length, 5);
  const lastSeq = store.db.prepare('SELECT MAX(seq) FROM events WHERE sp_id = ?').pluck().get(a.sp.id) as number;
  t.same(
    (await app.inject({ method: 'GET', url: `/v1/events?after=${lastSeq}`, headers: as(a.apiKey) })).json().events,
    [],
  );
  await app.close();
});
