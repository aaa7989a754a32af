// The pay page's certificate helper (src/paypage/cert.ts) says what is missing.
import t from 'tap';
import { selfSignedCert } from '../../src/paypage/cert';
import { tmpDir } from '../e2e/harness';

t.test('the certificate helper says what is missing', async (t) => {
  const dir = tmpDir(t);
  const old = process.env.PATH;
  process.env.PATH = dir;
  t.teardown(() => (process.env.PATH = old));
  t.throws(
    () => selfSignedCert(dir),
    /cannot make a certificate for pay\.example\.net with openssl \(apt-get install openssl\)/,
  );
});
