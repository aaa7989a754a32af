// Identifiers and secrets compared in constant time, and hashed (src/store/ids.ts).
import t from 'tap';
import { createHash } from 'node:crypto';
import { safeEqual, sha256 } from '../../src/store/ids';

t.test('safeEqual', async (t) => {
  t.equal(safeEqual('abc', 'abc'), true);
  t.equal(safeEqual('abc', 'abd'), false);
  t.equal(safeEqual('abc', 'abcd'), false);
});

t.test('sha256: the digest createHash gives, for any text', async (t) => {
  for (const s of ['', 'abc', 'pay_token-0123456789abcdef', 'é€\u{1F600}', 'x'.repeat(10000)]) {
    t.same(sha256(s), createHash('sha256').update(s).digest(), JSON.stringify(s.slice(0, 20)));
  }
  t.equal(
    sha256('abc').toString('hex'),
    'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    'FIPS 180-2 "abc"',
  );
});
