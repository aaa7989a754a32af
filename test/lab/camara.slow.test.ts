// CAMARA on a real Gn: osmo-ggsn and sgsnemu in network namespaces, `gnpay
// run` inside the GGSN namespace capturing gn0 live (SP API on 127.0.0.1:8088
// there, the pay listener on 10.204.0.1:443), headless Chromium in the phone's
// namespace as the device. Two-step Carrier Billing (prepare -> the phone
// validates on the validationURL -> reserved -> the SP confirms -> succeeded),
// refunds (partial, over-refund refused, total, unpaid refused) credited back
// in the ledger, and Number Verification (the phone opens /authorize, is
// redirected with a code, the SP gets a token bound to the attached MSISDN;
// a client on the Gi side, off the Gn, is not authenticated by the network).
// Screenshots go to .tap/lab/. Skips, saying why, without root or ../shared/lab.
import { createHash, randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import type { Browser } from 'puppeteer-core';
import { selfSignedCert } from '../../src/paypage/cert';
import { Store } from '../../src/store';
import { tmpDir } from '../e2e/harness';
import { findLab, GI_IP, Lab, PAY_IP, ROOT, screenshots, skipReason } from './lab';

t.setTimeout(300_000);

const M1 = '491701234567';
const TEMPLATE = 'https://pay.example.net/pay/{token}';
const API = 'http://127.0.0.1:8088';
const reason = skipReason();

if (reason) {
  t.test('CAMARA in the Gn lab (real Chromium on a real Gn)', { skip: reason }, async () => {});
} else {
  t.test('CAMARA in the Gn lab (real Chromium on a real Gn)', async (t) => {
    const work = tmpDir(t);
    const { dir: shots, shot } = screenshots('camara-');
    const cert = selfSignedCert(work, ['pay.example.net', '*.pay.example.net']);
    const db = join(work, 'gnpay.db');
    const store = Store.open(db);
    t.teardown(() => store.close());
    const added = store.sps.add({ name: 'Lab Games', returnOrigins: ['https://app.example.com'] });
    const key = added.apiKey;
    store.ledger.credit(M1, 10_000, { currency: 'EUR' });
    const balance = () => store.ledger.show(M1).balances.EUR;
    const waitFor = async (what: string, fn: () => boolean, ms = 20_000) => {
      const end = Date.now() + ms;
      while (!fn()) {
        if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    };

    const lab = new Lab(findLab()!, work);
    t.teardown(() => lab.down());
    lab.up();
    const daemon = lab.spawnIn(lab.ns('ggsn'), process.execPath, [
      join(ROOT, 'dist', 'cli.js'),
      'run',
      '--db',
      db,
      '--listen',
      '127.0.0.1:8088',
      '--interface',
      'gn0',
      '--pay-listen',
      `${PAY_IP}:443`,
      '--pay-cert',
      cert.certFile,
      '--pay-key',
      cert.keyFile,
      '--pay-url',
      TEMPLATE,
      '--log-level',
      'info',
    ]);
    const daemonLog: string[] = [];
    daemon.stdout!.setEncoding('utf8').on('data', (d: string) => daemonLog.push(...d.split('\n').filter(Boolean)));
    let daemonErr = '';
    daemon.stderr!.setEncoding('utf8').on('data', (d) => (daemonErr += d));
    t.teardown(() => writeFileSync(join(shots, 'gnpay.log'), `${daemonLog.join('\n')}\n${daemonErr}`));
    t.teardown(() => {
      if (daemon.exitCode === null) daemon.kill('SIGTERM');
    });
    await waitFor(
      'gnpay to serve the pay page',
      () => /pay page on https:\/\/10\.204\.0\.1:443/.test(daemonErr),
      30_000,
    );
    await new Promise((r) => setTimeout(r, 1000));
    lab.attach(1, M1, '262017000000001');

    /** A request to a listener inside a namespace, made from that namespace (the test's own has no route there). */
    const call = (
      ns: string,
      method: string,
      url: string,
      o: { body?: unknown; auth?: string; form?: Record<string, string> } = {},
    ) => {
      const headers: Record<string, string> = {};
      if (o.auth) headers.authorization = `Bearer ${o.auth}`;
      let body: string | undefined;
      if (o.form) {
        headers['content-type'] = 'application/x-www-form-urlencoded';
        body = new URLSearchParams(o.form).toString();
      } else if (o.body !== undefined) {
        headers['content-type'] = 'application/json';
        body = JSON.stringify(o.body);
      }
      const code = `process.env.NODE_TLS_REJECT_UNAUTHORIZED='0';fetch(${JSON.stringify(url)},{method:${JSON.stringify(method)},headers:${JSON.stringify(headers)},redirect:'manual'${body !== undefined ? `,body:${JSON.stringify(body)}` : ''}}).then(async r=>process.stdout.write(JSON.stringify({status:r.status,location:r.headers.get('location'),body:await r.text()}))).catch(e=>{process.stdout.write(JSON.stringify({status:0,body:String(e)}))})`;
      const r = lab.execIn(ns, process.execPath, ['-e', code], undefined, 30_000);
      const out = JSON.parse(r.stdout || '{"status":0,"body":""}') as {
        status: number;
        location: string | null;
        body: string;
      };
      let json: any = null;
      try {
        json = JSON.parse(out.body);
      } catch {
        /* not JSON */
      }
      return { ...out, json };
    };
    const api = (
      method: string,
      path: string,
      o: { body?: unknown; auth?: string; form?: Record<string, string> } = {},
    ) => call(lab.ns('ggsn'), method, `${API}${path}`, { auth: key, ...o });

    const browsers: Browser[] = [];
    t.teardown(async () => {
      for (const b of browsers) await b.close().catch(() => {});
    });
    const phone = async () => {
      const b = await lab.browser(1);
      browsers.push(b);
      return b.newPage();
    };

    let paymentId = '';
    await t.test(
      'two-step: prepare -> the phone validates on the validationURL -> reserved -> the SP confirms -> succeeded',
      async (t) => {
        const before = balance();
        const p = api('POST', '/carrier-billing/v0.5/payments/prepare', {
          body: {
            amountTransaction: {
              clientCorrelator: 'lab-1',
              referenceCode: 'lab-ref-1',
              paymentAmount: { chargingInformation: { amount: 4.99, currency: 'EUR', description: 'Lab sword' } },
            },
          },
        });
        t.equal(p.status, 201, p.body);
        t.equal(p.json.paymentStatus, 'pending_validation');
        paymentId = p.json.paymentId;
        const page = await phone();
        await page.goto(p.json.validationInfo.validationURL, { waitUntil: 'load' });
        await shot(page, '01-validation-page');
        t.match(await page.evaluate(() => document.body.innerText), /Lab sword/);
        await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.click('button.confirm')]);
        await shot(page, '02-reserved');
        t.match(await page.evaluate(() => document.body.innerText), /Payment confirmed/);
        t.equal(api('GET', `/carrier-billing/v0.5/payments/${paymentId}`).json.paymentStatus, 'reserved');
        t.equal(balance(), before, 'a reservation charges nothing');
        const c = api('POST', `/carrier-billing/v0.5/payments/${paymentId}/confirm`, { body: {} });
        t.equal(c.status, 202, c.body);
        await waitFor('succeeded', () => store.orders.find(paymentId)!.status === 'paid');
        const g = api('GET', `/carrier-billing/v0.5/payments/${paymentId}`);
        t.equal(g.json.paymentStatus, 'succeeded');
        t.equal(store.orders.find(paymentId)!.msisdn, M1, 'paid by the MSISDN sgsnemu attached with');
        t.equal(balance(), before! - 499);
      },
    );

    await t.test('refunds: partial, over-refund refused, total, unpaid refused; credited back', async (t) => {
      const base = `/carrier-billing-refund/v0.3/payments/${paymentId}/refunds`;
      const before = balance();
      const partial = api('POST', base, {
        body: {
          type: 'partial',
          amountTransaction: {
            referenceCode: 'r1',
            refundAmount: { chargingInformation: { amount: 1.5, currency: 'EUR', description: 'part' } },
          },
        },
      });
      t.equal(partial.status, 201, partial.body);
      await waitFor('partial refund', () => store.orders.find(paymentId)!.status === 'partially_refunded');
      t.equal(balance(), before! + 150);
      const over = api('POST', base, {
        body: {
          type: 'partial',
          amountTransaction: {
            referenceCode: 'r2',
            refundAmount: { chargingInformation: { amount: 3.5, currency: 'EUR', description: 'too much' } },
          },
        },
      });
      t.equal(over.status, 422);
      t.equal(over.json.code, 'CARRIER_BILLING_REFUND.UNAUTHORIZED_AMOUNT');
      t.same(api('GET', `${base}/remaining-amount`).json, { amount: 3.49, currency: 'EUR' });
      const total = api('POST', `/v1/orders/${paymentId}/refunds`, { body: {} });
      t.equal(total.json.amount, 349);
      await waitFor('total refund', () => store.orders.find(paymentId)!.status === 'refunded');
      t.equal(balance(), before! + 499);
      const list = api('GET', base);
      t.same(
        list.json.map((r: { refundStatus: string; type: string }) => [r.type, r.refundStatus]),
        [
          ['partial', 'succeeded'],
          ['total', 'succeeded'],
        ],
      );
      const unpaid = api('POST', '/carrier-billing/v0.5/payments/prepare', {
        body: {
          amountTransaction: {
            referenceCode: 'u',
            paymentAmount: { chargingInformation: { amount: 1, currency: 'EUR', description: 'u' } },
          },
        },
      });
      const refused = api('POST', `/carrier-billing-refund/v0.3/payments/${unpaid.json.paymentId}/refunds`, {
        body: { type: 'total', amountTransaction: { referenceCode: 'x', refundAmount: {} } },
      });
      t.equal(refused.json.code, 'CARRIER_BILLING_REFUND.INVALID_PAYMENT_STATUS');
    });

    await t.test(
      'Number Verification: the phone is authenticated by the network; a client off the Gn is not',
      async (t) => {
        const verifier = randomBytes(32).toString('base64url');
        const challenge = createHash('sha256').update(verifier).digest('base64url');
        const redirect = 'https://app.example.com/nv/callback';
        const authorize = `https://pay.example.net/authorize?${new URLSearchParams({ response_type: 'code', client_id: added.sp.id, redirect_uri: redirect, state: 's1', scope: 'openid number-verification:verify number-verification:device-phone-number:read', code_challenge: challenge, code_challenge_method: 'S256' })}`;
        const page = await phone();
        await page.goto(authorize, { waitUntil: 'load' });
        await shot(page, '03-nv-redirected');
        const landed = new URL(page.url());
        t.equal(
          `${landed.origin}${landed.pathname}`,
          redirect,
          'the phone was sent back to the app with no page in between',
        );
        t.equal(landed.searchParams.get('state'), 's1');
        const tok = api('POST', '/oauth2/token', {
          form: {
            grant_type: 'authorization_code',
            code: landed.searchParams.get('code')!,
            redirect_uri: redirect,
            code_verifier: verifier,
          },
        });
        t.equal(tok.status, 200, tok.body);
        const v = api('POST', '/number-verification/v2/verify', {
          auth: tok.json.access_token,
          body: { phoneNumber: `+${M1}` },
        });
        t.same(v.json, { devicePhoneNumberVerified: true });
        const other = api('POST', '/number-verification/v2/verify', {
          auth: tok.json.access_token,
          body: { phoneNumber: '+491709876543' },
        });
        t.same(other.json, { devicePhoneNumberVerified: false });
        t.same(api('GET', '/number-verification/v2/device-phone-number', { auth: tok.json.access_token }).json, {
          devicePhoneNumber: `+${M1}`,
        });

        // a client on the Gi side (not in any tunnel): a code, but no network authentication
        const off = call(lab.ns('inet'), 'GET', authorize.replace('pay.example.net', PAY_IP));
        t.equal(off.status, 302, off.body);
        const code = new URL(off.location!).searchParams.get('code')!;
        const tok2 = api('POST', '/oauth2/token', {
          form: { grant_type: 'authorization_code', code, redirect_uri: redirect, code_verifier: verifier },
        });
        const refused = api('POST', '/number-verification/v2/verify', {
          auth: tok2.json.access_token,
          body: { phoneNumber: `+${M1}` },
        });
        t.equal(refused.status, 403);
        t.equal(refused.json.code, 'NUMBER_VERIFICATION.USER_NOT_AUTHENTICATED_BY_MOBILE_NETWORK');
        t.ok(GI_IP);
      },
    );
  });
}
