// Identifiers and secrets compared in constant time (src/store/ids.ts).
import t from 'tap';
import { safeEqual } from '../../src/store/ids';

t.test('safeEqual', async (t) => {
  t.equal(safeEqual('abc', 'abc'), true);
  t.equal(safeEqual('abc', 'abd'), false);
  t.equal(safeEqual('abc', 'abcd'), false);
});
