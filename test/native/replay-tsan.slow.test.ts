// The replay's reader and decoding threads under ThreadSanitizer (clang):
// `make -C native tsan` replays every fixture with frames handed over one at
// a time and in chunks, and stops one replay while its reader is ahead.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import t from 'tap';
import { ROOT } from '../helpers/cli';
import { hasClang } from '../helpers/native-suite';

t.test('replay threads under TSan', { skip: hasClang() ? false : 'clang++ is not installed' }, (t) => {
  const r = spawnSync('make', ['-s', '-C', path.join(ROOT, 'native'), 'tsan'], { encoding: 'utf8', maxBuffer: 64 << 20 });
  t.equal(r.status, 0, `make tsan exits 0${r.status ? ': ' + (r.stderr + r.stdout).slice(-4000) : ''}`);
  t.match(r.stdout, /captures replayed, 0 differences/);
  t.notMatch(r.stderr, /ThreadSanitizer/, 'no data race reported');
  t.end();
});
