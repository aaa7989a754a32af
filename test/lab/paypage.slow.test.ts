// The pay page on a real Gn (issue 10's proof): osmo-ggsn and sgsnemu in
// network namespaces, gnpay run inside the GGSN namespace capturing gn0 live
// and serving the pay page on 10.204.0.1, headless Chromium (puppeteer-core,
// the system browser) inside each phone's namespace, an attacker's web server
// on the Gi side. The subscriber confirms and pays; then every attack of the
// threat model, each asserted in the database and the ledger. Screenshots of
// each page go to .tap/lab/ (gitignored). Skips, saying why, without root or
// ../shared/lab; always tears the lab down.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import type { Browser, HTTPResponse } from 'puppeteer-core';
import { gpdu, innerTcp, tlsClientHello } from '../../packages/tools/src/gen';
import { selfSignedCert } from '../../src/paypage/cert';
import { Store } from '../../src/store';
import { evidenceText } from '../../src/cli/orders';
import { tmpDir } from '../e2e/harness';
import { findLab, GI_IP, Lab, PAY_IP, ROOT, screenshots, skipReason } from './lab';

t.setTimeout(300_000);

const M1 = '491701234567';
const M2 = '491709876543';
const TEMPLATE = 'https://pay.example.net/pay/{token}';
const reason = skipReason();

if (reason) {
  t.test('the pay page in the Gn lab (real Chromium on a real Gn)', { skip: reason }, async () => {});
} else {
  t.test('the pay page in the Gn lab (real Chromium on a real Gn)', async (t) => {
    const work = tmpDir(t);
    const { dir: shots, shot } = screenshots('');
    const cert = selfSignedCert(work, ['pay.example.net', '*.pay.example.net', 'pay.example.com']);
    const db = join(work, 'gnpay.db');
    const store = Store.open(db);
    t.teardown(() => store.close());
    const shop = store.sps.add({ name: 'Lab Music Shop', returnOrigins: ['https://shop.example.com'] }).sp;
    const oneStep = store.sps.add({ name: 'One-step SP', confirmation: 'none' }).sp;
    store.ledger.credit(M1, 10_000, { currency: 'EUR' });
    store.ledger.credit(M2, 10_000, { currency: 'EUR' });
    const order = (sp = shop.id, amount = 199, extra: { returnUrl?: string } = {}) =>
      store.orders.create(
        sp,
        { amount, currency: 'EUR', reference: `lab-${Math.random()}`, description: 'Album "Lab Tracks"', ...extra },
        {
          payUrlTemplate: TEMPLATE,
          defaultTtlSeconds: 900,
          maxTtlSeconds: 86400,
          returnOrigins: ['https://shop.example.com'],
        },
      ).order;
    const fresh = (id: string) => store.orders.find(id)!;
    const balance = (m: string) => store.ledger.show(m).balances.EUR;
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

    // the attacker's web server on the Gi side: http://attacker.example.com:8081/p?h=<base64url html>, /r?to=<url> (302)
    const attackerJs = join(work, 'attacker.js');
    writeFileSync(
      attackerJs,
      `require('http').createServer((req, res) => {
        const u = new URL(req.url, 'http://x');
        if (u.pathname === '/r') { res.writeHead(302, { Location: u.searchParams.get('to') }); return res.end(); }
        res.writeHead(200, { 'Content-Type': 'text/html' });
        res.end(Buffer.from(u.searchParams.get('h') || '', 'base64url'));
      }).listen(8081, '${GI_IP}', () => console.log('ready'));`,
    );
    const attacker = lab.spawnIn(lab.ns('inet'), process.execPath, [attackerJs]);
    await new Promise<void>((resolve, reject) => {
      attacker.stdout!.once('data', () => resolve());
      attacker.once('exit', (c) => reject(new Error(`attacker server exited ${c}`)));
    });
    const attackUrl = (html: string) =>
      `http://attacker.example.com:8081/p?h=${Buffer.from(`<!doctype html><html><body>${html}</body></html>`).toString('base64url')}`;

    // gnpay: live capture of gn0 and the pay page on the Gi side of the GGSN namespace
    const daemon = lab.spawnIn(lab.ns('ggsn'), process.execPath, [
      join(ROOT, 'dist', 'cli.js'),
      'run',
      '--db',
      db,
      '--listen',
      '127.0.0.1:0',
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
      '--pay-host',
      'pay.example.com',
      '--carrier',
      'query:pay_token',
      '--carrier',
      'host:pay.example.org',
      '--log-level',
      'info',
    ]);
    const daemonLog: string[] = [];
    daemon.stdout!.setEncoding('utf8').on('data', (d: string) => daemonLog.push(...d.split('\n').filter(Boolean)));
    t.teardown(() => writeFileSync(join(shots, 'gnpay.log'), daemonLog.join('\n')));
    let daemonErr = '';
    daemon.stderr!.setEncoding('utf8').on('data', (d) => (daemonErr += d));
    await waitFor(
      'gnpay to serve the pay page',
      () => /pay page on https:\/\/10\.204\.0\.1:443/.test(daemonErr),
      30_000,
    );
    await new Promise((r) => setTimeout(r, 1000)); // the capture threads are up
    const p1 = lab.attach(1, M1, '262017000000001');
    const p2 = lab.attach(2, M2, '262017000000002');
    t.teardown(() => {
      if (daemon.exitCode === null) daemon.kill('SIGTERM');
    });

    const browsers: Browser[] = [];
    t.teardown(async () => {
      for (const b of browsers) await b.close().catch(() => {});
    });
    const phone = async (k: number, o: { js?: boolean } = {}) => {
      const b = await lab.browser(k);
      browsers.push(b);
      const page = await b.newPage();
      if (o.js === false) await page.setJavaScriptEnabled(false);
      return page;
    };

    await t.test(
      'phone 1 opens the payUrl, sees the page (no JavaScript, small screen), presses Confirm and pays',
      async (t) => {
        const o = order(shop.id, 199, { returnUrl: 'https://shop.example.com/orders/1' });
        const page = await phone(1, { js: false });
        await page.setViewport({ width: 360, height: 640, isMobile: true, hasTouch: true });
        const requested: string[] = [];
        page.on('request', (r) => requested.push(r.url()));
        const res = (await page.goto(o.pay_url, { waitUntil: 'load' }))!;
        await shot(page, '01-confirm-page');
        t.equal(res.status(), 200);
        const h = res.headers();
        t.match(h['content-security-policy'], /frame-ancestors 'none'/);
        t.match(h['content-security-policy'], /default-src 'none'/);
        t.equal(h['x-frame-options'], 'DENY');
        t.equal(h['referrer-policy'], 'no-referrer');
        t.equal(h['cache-control'], 'no-store');
        const text = await page.evaluate(() => document.body.innerText);
        t.match(text, /Lab Music Shop/);
        t.match(text, /Album "Lab Tracks"/);
        t.match(text, /€1\.99/);
        t.match(text, /\+49 170 \*{5} 67/, 'the number that pays, masked');
        t.ok(
          requested.every((u) => new URL(u).origin === 'https://pay.example.net'),
          `nothing from another origin: ${requested.join(' ')}`,
        );
        const fits = await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth);
        t.ok(fits, 'no horizontal scrolling at 360 px');
        const box = await (await page.$('button.confirm'))!.boundingBox();
        t.ok(box && box.height >= 44, 'a Confirm target a finger can hit');
        t.equal(fresh(o.id).status, 'identified', 'identified by the network');
        t.equal(fresh(o.id).msisdn, null, 'not revealed before the confirmation');
        t.equal(balance(M1), 10_000, 'nothing charged by opening the page');
        await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.click('button.confirm')]);
        await waitFor('paid', () => fresh(o.id).status === 'paid');
        if (!/Payment done/.test(await page.content())) await page.reload({ waitUntil: 'load' });
        await shot(page, '02-paid');
        t.match(await page.evaluate(() => document.body.innerText), /Payment done/);
        t.equal(
          await page.$eval('a.button', (a) => a.getAttribute('href')),
          'https://shop.example.com/orders/1',
          'back to the SP',
        );
        t.equal(fresh(o.id).msisdn, M1, 'paid by the MSISDN sgsnemu attached with');
        t.equal(balance(M1), 10_000 - 199);
        const ev = store.consent.evidence(o.id)!;
        t.match(ev, {
          mode: 'page',
          msisdn: M1,
          imsi: '262017000000001',
          sni: 'pay.example.net',
          ueIp: p1.LAB_UE_IP,
          gsnSrc: p1.LAB_SGSN_GN_IP,
          gsnDst: '10.201.0.254',
        });
        t.match(ev.userAgent, /Chrome/);
        t.match(evidenceText(ev, 1), /confirmed by +the subscriber, on the pay page/);
      },
    );

    await t.test(
      'the page passes axe-core (no serious or critical violation) and loads nothing from elsewhere',
      async (t) => {
        const axe = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
        const o = order();
        const page = await phone(1);
        const requested: string[] = [];
        page.on('request', (r) => requested.push(r.url()));
        await page.goto(o.pay_url, { waitUntil: 'load' });
        await page.evaluate(axe); // through the debugger: the page's CSP allows no script, rightly
        const r = (await page.evaluate(() =>
          (window as unknown as { axe: { run(): Promise<unknown> } }).axe.run(),
        )) as { violations: { id: string; impact: string }[] };
        const bad = r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
        t.same(
          bad.map((v) => v.id),
          [],
          `axe: ${r.violations.map((v) => `${v.id}(${v.impact})`).join(', ') || 'no violations'}`,
        );
        t.ok(
          requested.every((u) => new URL(u).origin === 'https://pay.example.net'),
          'same origin only',
        );
        t.equal(fresh(o.id).status, 'identified');
      },
    );

    // the attacks: the victim is phone 1, the order is the shop's
    const victim = order(shop.id, 499);
    const payUrl = victim.pay_url;
    const untouched = (t: Test, what: string) => {
      const row = fresh(victim.id);
      t.equal(row.confirmed_at, null, `${what}: not confirmed`);
      t.not(row.status, 'paid', `${what}: not paid`);
      t.equal(balance(M1), 10_000 - 199, `${what}: phone 1's balance unchanged`);
      t.equal(balance(M2), 10_000, `${what}: phone 2's balance unchanged`);
    };
    const vpage = await phone(1);

    await t.test(
      'another origin loads the payUrl in <img>, fetch(no-cors), <link rel=prefetch>, a 302, an <iframe>: nothing charged, the frame does not render',
      async (t) => {
        for (const [name, html] of [
          ['img', `<img src="${payUrl}">`],
          [
            'fetch',
            `<script>fetch(${JSON.stringify(payUrl)}, { mode: 'no-cors', credentials: 'include', method: 'POST', body: 'action=confirm' }).catch(() => {})</script>`,
          ],
          ['prefetch', `<link rel="prefetch" href="${payUrl}">`],
          ['302', `<img src="http://attacker.example.com:8081/r?to=${encodeURIComponent(payUrl)}">`],
          ['iframe', `<iframe src="${payUrl}" width="400" height="600"></iframe>`],
        ] as const) {
          await vpage.goto(attackUrl(html), { waitUntil: 'load' });
          await new Promise((r) => setTimeout(r, 1500));
          await shot(vpage, `10-attack-${name}`);
          if (name === 'iframe') {
            const framed = vpage.frames().filter((f) => f !== vpage.mainFrame());
            t.ok(framed.length >= 1, 'the frame exists');
            for (const f of framed) {
              const content = await f.content().catch(() => '');
              t.notMatch(content, /Confirm payment/, 'the framed pay page does not render');
            }
          }
          untouched(t, name);
        }
        t.equal(fresh(victim.id).status, 'identified', 'the victim was identified (harmless) but nothing else');
        t.equal(fresh(victim.id).msisdn, null, 'and nobody learned the number');
      },
    );

    await t.test(
      'a top-level navigation without a click shows the page; nothing happens without Confirm',
      async (t) => {
        await vpage.goto(attackUrl(`<script>location.href = ${JSON.stringify(payUrl)}</script>`), {
          waitUntil: 'load',
        });
        await vpage.waitForFunction(() => location.host === 'pay.example.net', { timeout: 15_000 });
        await vpage.waitForSelector('button.confirm', { timeout: 15_000 });
        await new Promise((r) => setTimeout(r, 1000));
        await shot(vpage, '11-navigated-no-click');
        untouched(t, 'navigation');
      },
    );

    // phone 2 (the attacker's own phone) gets its own page of the victim's order: a valid token, for its own MSISDN
    const apage = await phone(2);
    await apage.goto(payUrl, { waitUntil: 'load' });
    await shot(apage, '12-phone2-own-page');
    const csrf2 = await apage.$eval('input[name=csrf]', (i) => i.value);
    const csrf1 = await vpage.$eval('input[name=csrf]', (i) => i.value);

    await t.test(
      "a cross-site form POST to Confirm (even with a token from the attacker's own phone) is refused",
      async (t) => {
        t.match(
          await apage.evaluate(() => document.body.innerText),
          /\+49 170 \*{5} 43/,
          "phone 2 sees phone 2's number",
        );
        const statuses: number[] = [];
        const onResponse = (r: HTTPResponse) => {
          if (r.url().startsWith(payUrl) && r.request().method() === 'POST') statuses.push(r.status());
        };
        vpage.on('response', onResponse);
        for (const csrf of [csrf2, csrf1, 'x']) {
          await vpage.goto(
            attackUrl(
              `<form id="f" method="post" action="${payUrl}"><input name="csrf" value="${csrf}"><input name="action" value="confirm"></form><script>document.getElementById('f').submit()</script>`,
            ),
            { waitUntil: 'load' },
          );
          await vpage.waitForFunction(() => location.host === 'pay.example.net', { timeout: 15_000 });
          await new Promise((r) => setTimeout(r, 500));
        }
        vpage.off('response', onResponse);
        await shot(vpage, '13-cross-site-post');
        t.same(statuses, [403, 403, 403], 'each POST refused');
        untouched(t, 'cross-site POST');
      },
    );

    await t.test("phone 2 cannot confirm phone 1's page (its form replayed on phone 2's connection)", async (t) => {
      const statuses: number[] = [];
      apage.on('response', (r) => {
        if (r.request().method() === 'POST') statuses.push(r.status());
      });
      await Promise.all([
        apage.waitForNavigation({ waitUntil: 'load' }),
        apage.evaluate((token) => {
          const f = document.querySelector('form')!;
          (f.querySelector('input[name=csrf]') as HTMLInputElement).value = token;
          (f.querySelector('button.confirm') as HTMLButtonElement).click();
        }, csrf1),
      ]);
      await shot(apage, '14-phone2-replays-phone1');
      t.same(statuses, [403]);
      t.match(await apage.evaluate(() => document.body.innerText), /Nothing was charged/);
      untouched(t, 'second phone');
    });

    await t.test(
      'the attacker fetches the page from the Gi side (off the Gn) and replays its form: unbound, refused',
      async (t) => {
        const cookie = (await vpage.cookies()).map((c) => `${c.name}=${c.value}`).join('; ');
        const script = `
        const https = require('https');
        const agent = new https.Agent({ keepAlive: true, maxSockets: 1, rejectUnauthorized: false, servername: 'pay.example.net' });
        const req = (method, body, headers) => new Promise((res, rej) => {
          const r = https.request({ host: '${PAY_IP}', port: 443, path: ${JSON.stringify(new URL(payUrl).pathname)}, method, agent,
            headers: { Host: 'pay.example.net', ...headers } }, (m) => { let t = ''; m.on('data', (d) => t += d); m.on('end', () => res({ status: m.statusCode, body: t })); });
          r.on('error', rej); r.end(body);
        });
        (async () => {
          const page = await req('GET');
          const post = await req('POST', 'csrf=' + encodeURIComponent(${JSON.stringify(csrf1)}) + '&action=confirm',
            { 'Content-Type': 'application/x-www-form-urlencoded', Cookie: ${JSON.stringify(cookie)}, Origin: 'https://pay.example.net' });
          console.log(JSON.stringify({ page, post }));
          agent.destroy();
        })();`;
        const r = lab.execIn(lab.ns('inet'), process.execPath, ['-e', script]);
        const out = JSON.parse(r.stdout);
        t.match(out.page.body, /Open this link on mobile data/);
        t.notMatch(out.page.body, /Lab Music Shop|4\.99|\*\*\*\*\*/, 'nothing of the order or the subscriber');
        t.equal(out.post.status, 403);
        untouched(t, 'Gi side');
      },
    );

    await t.test('a spoofed inner source address on an unknown tunnel binds nothing', async (t) => {
      // the attacker's own TLS connection (from the Gi side), whose ClientHello random it knows ...
      const client = `
        const tls = require('tls');
        const s = tls.connect({ host: '${PAY_IP}', port: 443, servername: 'pay.example.net', rejectUnauthorized: false });
        s.on('keylog', (line) => { const r = line.toString().split(' ')[1]; if (!global.done) { global.done = 1; console.log(r); } });
        process.stdin.once('data', () => {
          s.write('GET ${new URL(payUrl).pathname} HTTP/1.1\\r\\nHost: pay.example.net\\r\\nConnection: close\\r\\n\\r\\n');
          let t = ''; s.on('data', (d) => t += d); s.on('end', () => { console.log(JSON.stringify(t)); process.exit(0); });
        });`;
      const c = lab.spawnIn(lab.ns('inet'), process.execPath, ['-e', client]);
      let out = '';
      c.stdout!.setEncoding('utf8').on('data', (d) => (out += d));
      await waitFor('the attacker connection', () => /^[0-9a-f]{64}\n/.test(out), 15_000);
      const random = out.slice(0, 64);
      // ... put in a G-PDU on a TEID nobody created, with phone 1's UE address as inner source
      const hello = tlsClientHello({ sni: 'pay.example.net', random: Buffer.from(random, 'hex') });
      const pkt = gpdu(0x7777, innerTcp(p1.LAB_UE_IP!, PAY_IP, 45555, 443, hello, 1000, 1, 0x18));
      const send = `const d = require('dgram').createSocket('udp4'); d.bind(0, '${p1.LAB_SGSN_GN_IP}', () => d.send(Buffer.from('${pkt.toString('hex')}', 'hex'), 2152, '10.201.0.254', () => { d.close(); }));`;
      t.equal(lab.execIn(lab.ns('sgsn'), process.execPath, ['-e', send]).status, 0, 'injected on the Gn');
      await new Promise((r) => setTimeout(r, 1000));
      c.stdin!.write('go\n');
      await waitFor('the attacker page', () => out.split('\n').length > 2, 15_000);
      t.match(out, /Open this link on mobile data/, 'the connection is not bound to the victim');
      t.equal(store.bindings.get(random), null, 'no binding from a UE-address resolution');
      untouched(t, 'spoofed source');
    });

    await t.test(
      'eight tokens in one request and a DNS-only lookup charge nothing (one-step SP); one token on the pay host does',
      async (t) => {
        const eight = Array.from({ length: 8 }, () => order(oneStep.id, 100));
        const offHost = order(oneStep.id, 100);
        const dnsOnly = order(oneStep.id, 100);
        const control = order(oneStep.id, 100);
        const q = eight.map((o) => `pay_token=${o.token}`).join('&');
        await vpage.goto(
          attackUrl(
            `<img src="http://pay.example.com/pixel.gif?${q}">` +
              `<img src="http://ads.example.com/pixel.gif?pay_token=${offHost.token}">` +
              `<link rel="dns-prefetch" href="//${dnsOnly.token}.pay.example.org">` +
              `<script>setTimeout(() => { const i = new Image(); i.src = 'http://pay.example.com/pixel.gif?pay_token=${control.token}'; document.body.appendChild(i); }, 1500)</script>`,
          ),
          { waitUntil: 'load' },
        );
        await waitFor(
          'the control order (one token, on the pay host) to be paid',
          () => fresh(control.id).status === 'paid',
          30_000,
        );
        await shot(vpage, '15-eight-tokens');
        t.equal(
          fresh(control.id).msisdn,
          M1,
          'the rules are not vacuous: a lone token on the pay host charges a one-step SP',
        );
        for (const o of [...eight, offHost, dnsOnly]) t.equal(fresh(o.id).status, 'pending');
        const outcomes = store.db
          .prepare(
            `SELECT token, via, outcome FROM sightings WHERE order_id IN (${[...eight, offHost, dnsOnly].map(() => '?').join(',')})`,
          )
          .all(...[...eight, offHost, dnsOnly].map((o) => o.id)) as { token: string; via: string; outcome: string }[];
        t.ok(
          outcomes.filter((s) => eight.some((o) => o.token === s.token)).length === 8,
          'the probe saw the eight tokens',
        );
        t.ok(
          outcomes.every((s) => s.outcome === 'ignored'),
          `all ignored: ${JSON.stringify(outcomes.map((s) => [s.via, s.outcome]))}`,
        );
        const dns = outcomes.filter((s) => s.token === dnsOnly.token);
        t.ok(
          dns.every((s) => s.via === 'dns'),
          `the DNS-only lookup (${dns.length} seen) never identified`,
        );
        t.equal(balance(M1), 10_000 - 199 - 100);
      },
    );

    await t.test('phone 1 confirms the page it was shown: phone 1 pays, phone 2 nothing', async (t) => {
      await vpage.goto(payUrl, { waitUntil: 'load' });
      await Promise.all([vpage.waitForNavigation({ waitUntil: 'load' }), vpage.click('button.confirm')]);
      await waitFor('paid', () => fresh(victim.id).status === 'paid');
      await shot(vpage, '16-victim-confirms');
      t.equal(fresh(victim.id).msisdn, M1);
      t.equal(balance(M1), 10_000 - 199 - 100 - 499);
      t.equal(balance(M2), 10_000);
      t.equal(store.consent.identifications(victim.id), 2, 'both phones were identified; the confirming one paid');
    });

    t.ok(p2.LAB_UE_IP, `screenshots in ${shots}`);
  });
}
