// Builds a native doctest binary with make and reports it to tap, one
// assertion per test case (the junit reporter's output parsed).
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import type { Test } from 'tap';
import { ROOT } from './cli';

const NATIVE = path.join(ROOT, 'native');

function decodeXml(s: string): string {
  return s
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

export function hasClang(): boolean {
  return spawnSync('clang++', ['--version']).status === 0;
}

export function runNativeSuite(t: Test, target: 'test-bin' | 'asan-bin', binary: string, env: NodeJS.ProcessEnv): void {
  const build = spawnSync('make', ['-s', '-C', NATIVE, target], { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (!t.equal(build.status, 0, `make ${target} builds`)) {
    t.comment(build.stderr.slice(-4000));
    return;
  }
  const run = spawnSync(path.join(ROOT, 'build-native', binary), ['--reporters=junit', '--no-colors'], {
    cwd: NATIVE,
    encoding: 'utf8',
    env: { ...process.env, ...env },
    maxBuffer: 256 << 20,
  });
  const xml = run.stdout;
  const cases = [...xml.matchAll(/<testcase\b[^>]*\bname="([^"]*)"[^>]*?(\/>|>([\s\S]*?)<\/testcase>)/g)];
  t.ok(cases.length > 0, `${binary} reported its test cases`);
  for (const c of cases) {
    const body = c[3] ?? '';
    const failed = /<failure|<error/.test(body);
    t.notOk(failed, decodeXml(c[1]!), failed ? { diagnostic: true, detail: decodeXml(body).slice(0, 2000) } : {});
  }
  t.equal(run.status, 0, `${binary} exits 0${run.status ? ': ' + run.stderr.slice(-3000) : ''}`);
}
