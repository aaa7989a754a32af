// MSISDN masking and the API views of orders and events (src/store/views.ts).
import t from 'tap';
import { eventView, maskForPage, maskMsisdn, orderView } from '../../src/store/views';

t.test('MSISDN masking and views', async (t) => {
  t.equal(maskMsisdn('4915112345689'), '+49151******89');
  t.equal(maskMsisdn('491511234567'), '+49151*****67');
  t.equal(maskMsisdn('1234567'), '+*****67');
  t.equal(maskMsisdn('1'), '+1');
  const snap = {
    id: 'ord_x',
    sp_id: 'sp_x',
    token: 't',
    pay_url: 'u',
    amount: 1,
    currency: 'EUR',
    reference: 'r',
    description: '',
    status: 'paid' as const,
    reason: null,
    msisdn: '491511234567',
    created_at: 0,
    updated_at: 1000,
    expires_at: 2000,
    identified_at: 400,
    confirmed_at: 500,
    completed_at: 1000,
    return_url: null,
  };
  t.equal(orderView(snap, []).msisdn, '+49151*****67');
  t.match(orderView(snap, []), {
    identifiedAt: '1970-01-01T00:00:00.400Z',
    confirmedAt: '1970-01-01T00:00:00.500Z',
    returnUrl: null,
  });
  // a snapshot written before the consent states (one associated_at: identified and confirmed at once)
  const { identified_at: _i, confirmed_at: _c, return_url: _r, ...old } = snap;
  t.match(orderView({ ...old, associated_at: 500 } as never, []), {
    identifiedAt: '1970-01-01T00:00:00.500Z',
    confirmedAt: '1970-01-01T00:00:00.500Z',
    returnUrl: null,
  });
  t.equal(maskForPage('491701234567'), '+49 170 ***** 67');
  t.equal(maskForPage('12345'), '+*** 45');
  t.equal(orderView(snap, ['msisdn:read']).msisdn, '+491511234567');
  t.equal(orderView({ ...snap, msisdn: null, confirmed_at: null, completed_at: null }, ['msisdn:read']).msisdn, null);
  const ev = eventView(
    {
      seq: 7,
      id: 'e',
      sp_id: 'sp_x',
      order_id: 'ord_x',
      status: 'paid',
      previous_status: 'identified',
      time: 1000,
      snapshot: JSON.stringify(snap),
    },
    [],
    '7',
  );
  t.match(ev, {
    specversion: '1.0',
    type: 'org.gnpay.order.paid',
    subject: 'ord_x',
    cursor: '7',
    time: '1970-01-01T00:00:01.000Z',
    data: { id: 'ord_x', msisdn: '+49151*****67' },
  });
});
