// Issue 5: the SP API under abuse. Every case gets the right status and code,
// echoes x-correlator, and changes nothing in the database.
import type { InjectOptions } from 'fastify';
import t from 'tap';
import { buildApp } from '../../src/api/app';
import { API_SETTINGS, dumpDb, openStore, sighting } from '../e2e/harness';

// real processes and servers on a shared 2-core machine: generous, bounded
t.setTimeout(120000);

t.test('abuse of the SP API', async (t) => {
  const store = openStore(t);
  const a = store.sps.add({ confirmation: 'none', name: 'a', webhookUrl: 'http://127.0.0.1:19/a' });
  const b = store.sps.add({ confirmation: 'none', name: 'b' });
  const revoked = store.sps.add({ confirmation: 'none', name: 'gone' });
  store.sps.revoke(revoked.sp.id);
  const app = buildApp({ store, settings: () => API_SETTINGS, bodyLimitBytes: 4096 });
  t.teardown(() => app.close());
  const auth = (k: string) => ({ authorization: `Bearer ${k}` });
  const json = { 'content-type': 'application/json' };
  const good = { amount: 100, currency: 'EUR', reference: 'r-1' };
  const oa = (
    await app.inject({
      method: 'POST',
      url: '/v1/orders',
      headers: { ...auth(a.apiKey), 'idempotency-key': 'k-1' },
      payload: good,
    })
  ).json();
  store.associator.process([sighting(oa.token, '491511234567')], { now: Date.now(), sourceId: 's' });
  const ob = (await app.inject({ method: 'POST', url: '/v1/orders', headers: auth(b.apiKey), payload: good })).json();

  const nested = `{"amount":1,"currency":"EUR","reference":"x","description":${'['.repeat(1500)}${']'.repeat(1500)}}`;
  const cases: Array<[string, InjectOptions, number, string]> = [
    ['no key', { method: 'POST', url: '/v1/orders', payload: good }, 401, 'UNAUTHENTICATED'],
    ['no key on reads', { method: 'GET', url: `/v1/orders/${oa.id}` }, 401, 'UNAUTHENTICATED'],
    ['no key on the feed', { method: 'GET', url: '/v1/events' }, 401, 'UNAUTHENTICATED'],
    [
      'not a bearer',
      { method: 'GET', url: '/v1/orders', headers: { authorization: `Basic ${a.apiKey}` } },
      401,
      'UNAUTHENTICATED',
    ],
    [
      'a wrong key',
      {
        method: 'POST',
        url: '/v1/orders',
        headers: auth(a.apiKey.slice(0, -1) + (a.apiKey.endsWith('a') ? 'b' : 'a')),
        payload: good,
      },
      401,
      'UNAUTHENTICATED',
    ],
    [
      'a revoked key',
      { method: 'POST', url: '/v1/orders', headers: auth(revoked.apiKey), payload: good },
      401,
      'UNAUTHENTICATED',
    ],
    [
      'a revoked key reading',
      { method: 'GET', url: '/v1/orders', headers: auth(revoked.apiKey) },
      401,
      'UNAUTHENTICATED',
    ],
    ["another SP's order", { method: 'GET', url: `/v1/orders/${ob.id}`, headers: auth(a.apiKey) }, 404, 'NOT_FOUND'],
    [
      "cancelling another SP's order",
      { method: 'POST', url: `/v1/orders/${ob.id}/cancel`, headers: auth(a.apiKey) },
      404,
      'NOT_FOUND',
    ],
    [
      'an order that does not exist',
      { method: 'GET', url: '/v1/orders/ord_aaaaaaaaaaaaaaaaaaaaaaaaaa', headers: auth(a.apiKey) },
      404,
      'NOT_FOUND',
    ],
    [
      'the idempotency key again with another body',
      {
        method: 'POST',
        url: '/v1/orders',
        headers: { ...auth(a.apiKey), 'idempotency-key': 'k-1' },
        payload: { ...good, amount: 101 },
      },
      409,
      'CONFLICT',
    ],
    [
      'a huge body',
      {
        method: 'POST',
        url: '/v1/orders',
        headers: { ...auth(a.apiKey), ...json },
        payload: JSON.stringify({ ...good, description: 'x'.repeat(100_000) }),
      },
      413,
      'PAYLOAD_TOO_LARGE',
    ],
    [
      'a deeply nested body',
      { method: 'POST', url: '/v1/orders', headers: { ...auth(a.apiKey), ...json }, payload: nested },
      400,
      'INVALID_ARGUMENT',
    ],
    [
      'not JSON',
      {
        method: 'POST',
        url: '/v1/orders',
        headers: { ...auth(a.apiKey), ...json },
        payload: 'amount=100&currency=EUR',
      },
      400,
      'INVALID_ARGUMENT',
    ],
    [
      'truncated JSON',
      { method: 'POST', url: '/v1/orders', headers: { ...auth(a.apiKey), ...json }, payload: '{"amount":100,' },
      400,
      'INVALID_ARGUMENT',
    ],
    [
      'an empty body',
      { method: 'POST', url: '/v1/orders', headers: { ...auth(a.apiKey), ...json }, payload: '' },
      400,
      'INVALID_ARGUMENT',
    ],
    [
      'a JSON array',
      { method: 'POST', url: '/v1/orders', headers: { ...auth(a.apiKey), ...json }, payload: '[]' },
      400,
      'INVALID_ARGUMENT',
    ],
    [
      'another media type',
      {
        method: 'POST',
        url: '/v1/orders',
        headers: { ...auth(a.apiKey), 'content-type': 'text/plain' },
        payload: JSON.stringify(good),
      },
      415,
      'UNSUPPORTED_MEDIA_TYPE',
    ],
    [
      'form encoding',
      {
        method: 'POST',
        url: '/v1/orders',
        headers: { ...auth(a.apiKey), 'content-type': 'application/x-www-form-urlencoded' },
        payload: 'amount=1',
      },
      415,
      'UNSUPPORTED_MEDIA_TYPE',
    ],
    [
      'an unknown property',
      { method: 'POST', url: '/v1/orders', headers: auth(a.apiKey), payload: { ...good, msisdn: '491511234567' } },
      400,
      'INVALID_ARGUMENT',
    ],
    [
      'prototype pollution',
      {
        method: 'POST',
        url: '/v1/orders',
        headers: { ...auth(a.apiKey), ...json },
        payload: '{"amount":1,"currency":"EUR","reference":"x","__proto__":{"admin":true}}',
      },
      400,
      'INVALID_ARGUMENT',
    ],
    [
      'a negative amount',
      { method: 'POST', url: '/v1/orders', headers: auth(a.apiKey), payload: { ...good, amount: -100 } },
      400,
      'INVALID_ARGUMENT',
    ],
    [
      'a zero amount',
      { method: 'POST', url: '/v1/orders', headers: auth(a.apiKey), payload: { ...good, amount: 0 } },
      400,
      'INVALID_ARGUMENT',
    ],
    [
      'a fractional amount',
      { method: 'POST', url: '/v1/orders', headers: auth(a.apiKey), payload: { ...good, amount: 1.5 } },
      400,
      'INVALID_ARGUMENT',
    ],
    [
      'an amount as a string',
      { method: 'POST', url: '/v1/orders', headers: auth(a.apiKey), payload: { ...good, amount: '100' } },
      400,
      'INVALID_ARGUMENT',
    ],
    [
      'an absurd amount',
      { method: 'POST', url: '/v1/orders', headers: auth(a.apiKey), payload: { ...good, amount: 1e300 } },
      400,
      'INVALID_ARGUMENT',
    ],
    [
      'an unknown currency',
      { method: 'POST', url: '/v1/orders', headers: auth(a.apiKey), payload: { ...good, currency: 'XYZ' } },
      400,
      'INVALID_ARGUMENT',
    ],
    [
      'a lower-case currency',
      { method: 'POST', url: '/v1/orders', headers: auth(a.apiKey), payload: { ...good, currency: 'eur' } },
      400,
      'INVALID_ARGUMENT',
    ],
    [
      'no reference',
      { method: 'POST', url: '/v1/orders', headers: auth(a.apiKey), payload: { amount: 1, currency: 'EUR' } },
      400,
      'INVALID_ARGUMENT',
    ],
    [
      'a TTL over the maximum',
      { method: 'POST', url: '/v1/orders', headers: auth(a.apiKey), payload: { ...good, ttlSeconds: 86401 } },
      400,
      'INVALID_ARGUMENT',
    ],
    [
      'a zero TTL',
      { method: 'POST', url: '/v1/orders', headers: auth(a.apiKey), payload: { ...good, ttlSeconds: 0 } },
      400,
      'INVALID_ARGUMENT',
    ],
    [
      'a bad idempotency key',
      {
        method: 'POST',
        url: '/v1/orders',
        headers: { ...auth(a.apiKey), 'idempotency-key': 'x'.repeat(300) },
        payload: good,
      },
      400,
      'INVALID_ARGUMENT',
    ],
    [
      'an unknown query parameter',
      { method: 'GET', url: '/v1/orders?token=abc', headers: auth(a.apiKey) },
      400,
      'INVALID_ARGUMENT',
    ],
    [
      'a bad status filter',
      { method: 'GET', url: '/v1/orders?status=stolen', headers: auth(a.apiKey) },
      400,
      'INVALID_ARGUMENT',
    ],
    ['a bad cursor', { method: 'GET', url: '/v1/events?after=-1', headers: auth(a.apiKey) }, 400, 'INVALID_ARGUMENT'],
    [
      'a huge page',
      { method: 'GET', url: '/v1/events?limit=100000', headers: auth(a.apiKey) },
      400,
      'INVALID_ARGUMENT',
    ],
    [
      'a body on cancel',
      { method: 'POST', url: `/v1/orders/${oa.id}/cancel`, headers: auth(a.apiKey), payload: { force: true } },
      400,
      'INVALID_ARGUMENT',
    ],
    [
      'cancelling an associated order',
      { method: 'POST', url: `/v1/orders/${oa.id}/cancel`, headers: auth(a.apiKey) },
      409,
      'ORDER_NOT_CANCELLABLE',
    ],
    [
      'a long id',
      { method: 'GET', url: `/v1/orders/${'a'.repeat(65)}`, headers: auth(a.apiKey) },
      400,
      'INVALID_ARGUMENT',
    ],
    ['an unknown route', { method: 'GET', url: '/v1/tokens/abc', headers: auth(a.apiKey) }, 404, 'NOT_FOUND'],
    [
      'a bad x-correlator',
      { method: 'GET', url: '/v1/orders', headers: { ...auth(a.apiKey), 'x-correlator': 'a b' } },
      400,
      'INVALID_ARGUMENT',
    ],
  ];

  for (const [name, req, status, code] of cases) {
    const before = dumpDb(store);
    const r = await app.inject({
      ...req,
      headers: { 'x-correlator': `case-${cases.findIndex((c) => c[0] === name)}`, ...(req.headers ?? {}) },
    });
    const got = r.json();
    t.same([r.statusCode, got.status, got.code], [status, status, code], name);
    t.type(got.message, 'string');
    t.same(Object.keys(got).sort(), ['code', 'message', 'status'], `${name}: nothing else in the body`);
    t.ok(r.headers['x-correlator'], `${name}: x-correlator echoed`);
    t.equal(dumpDb(store), before, `${name}: the database is unchanged`);
  }
});

t.test('tokens: never revealed to anyone but their SP, and no route looks them up', async (t) => {
  const store = openStore(t);
  const a = store.sps.add({ confirmation: 'none', name: 'a' });
  const b = store.sps.add({ confirmation: 'none', name: 'b' });
  const app = buildApp({ store, settings: () => API_SETTINGS });
  t.teardown(() => app.close());
  const o = (
    await app.inject({
      method: 'POST',
      url: '/v1/orders',
      headers: { authorization: `Bearer ${a.apiKey}` },
      payload: { amount: 1, currency: 'EUR', reference: 'r' },
    })
  ).json();
  for (const url of ['/v1/orders', '/v1/events', `/v1/orders?reference=r`]) {
    const r = await app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${b.apiKey}` } });
    t.notOk(r.body.includes(o.token), `${url} does not show another SP's token`);
  }
  const doc = JSON.stringify((await app.inject({ method: 'GET', url: '/openapi.json' })).json());
  t.notOk(/token=|\{token\}/.test(doc), 'no route takes a token');
  // the same 404 body for an existing order of another SP and for a made-up id
  const other = await app.inject({
    method: 'GET',
    url: `/v1/orders/${o.id}`,
    headers: { authorization: `Bearer ${b.apiKey}` },
  });
  const none = await app.inject({
    method: 'GET',
    url: `/v1/orders/ord_${'a'.repeat(26)}`,
    headers: { authorization: `Bearer ${b.apiKey}` },
  });
  t.same(other.json().code, none.json().code);
  t.equal(other.json().message.replace(o.id, 'X'), none.json().message.replace(`ord_${'a'.repeat(26)}`, 'X'));
});
