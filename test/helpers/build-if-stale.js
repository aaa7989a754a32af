// npm test's pretest: compiles src/ to dist/ (what the tests' child processes
// run) only when dist/ is missing or older than a source, so a test run on
// an unchanged tree starts at once. The native addon is never rebuilt here
// (npm run build:native).
'use strict';
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..', '..');

function newest(p) {
  const st = fs.statSync(p);
  if (!st.isDirectory()) return st.mtimeMs;
  let m = 0;
  for (const e of fs.readdirSync(p)) m = Math.max(m, newest(path.join(p, e)));
  return m;
}

const built = path.join(ROOT, 'dist', 'cli.js');
const sources = Math.max(newest(path.join(ROOT, 'src')), newest(path.join(ROOT, 'tsconfig.json')));
if (!fs.existsSync(built) || fs.statSync(built).mtimeMs < sources) {
  execFileSync(process.execPath, [path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', ROOT], {
    stdio: 'inherit',
  });
  fs.utimesSync(built, new Date(), new Date());
}
