// One default carrier for the whole product: what gnpay decode looks for when
// told nothing is what the daemon's default configuration implies.
import t from 'tap';
import { DEFAULTS } from '../../src/config';
import { activeCarriers, DEFAULT_CARRIERS } from '../../src/pipeline/carriers';

t.test("DEFAULT_CARRIERS is the default configuration's carriers", async (t) => {
  t.same([...DEFAULT_CARRIERS], activeCarriers(DEFAULTS));
  t.same([...DEFAULT_CARRIERS], ['query:pay_token']);
});

t.test("the template's carrier comes first, configured ones after, without repeats", async (t) => {
  t.same(
    activeCarriers({ payUrlTemplate: 'https://pay.example.net/p/{token}', carriers: ['query:pay_token', 'path:/p/'] }),
    ['path:/p/', 'query:pay_token'],
  );
});
