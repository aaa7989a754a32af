// .githooks/commit-msg: the commit message rules (docs/DEVELOPING.md), run by
// git itself in a scratch repository that uses the hook.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';

const HOOKS = path.resolve(__dirname, '..', '..', '.githooks');

t.test('a subject over 72 characters or without a blank line after it is refused', (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gnpay-hook-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const git = (...args: string[]) =>
    spawnSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.net', ...args], {
      cwd: dir,
      encoding: 'utf8',
    });
  t.equal(git('init', '-q').status, 0);
  t.equal(git('config', 'core.hooksPath', HOOKS).status, 0);
  const commit = (msg: string) => git('commit', '-q', '--allow-empty', '-m', msg);

  const ok72 = 'x'.repeat(72);
  t.equal(commit(`${ok72}\n\nwhy`).status, 0, '72 characters pass');
  t.equal(commit('short subject').status, 0, 'a subject alone passes');
  const long = commit(`${'y'.repeat(73)}\n\nwhy`);
  t.equal(long.status, 1, '73 characters are refused');
  t.match(long.stderr, /the subject is 73 characters; at most 72/);
  const glued = commit('subject\nbody glued to it');
  t.equal(glued.status, 1, 'no blank line after the subject is refused');
  t.match(glued.stderr, /blank line/);
  t.equal(git('rev-list', '--count', 'HEAD').stdout.trim(), '2', 'only the good commits were made');
  t.end();
});
