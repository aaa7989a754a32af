// Runs the .ts tests and the sources they import: TypeScript's own
// transpiler (transpile only, as tsc would emit under tsconfig.json; types are
// checked by `npm run lint:types`), with the output cached on disk by content
// hash, so that a test process whose files did not change never loads the
// compiler. Loaded with --require by tap (package.json "tap".node-arg).
'use strict';
const crypto = require('node:crypto');
const fs = require('node:fs');
const Module = require('node:module');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..', '..');
const CACHE = path.join(ROOT, 'node_modules', '.cache', 'gnpay-ts');
let ts = null;
let version = null;

function compilerVersion() {
  if (version === null) version = require(path.join(ROOT, 'node_modules', 'typescript', 'package.json')).version;
  return version;
}

function transpile(source, filename) {
  const key = crypto
    .createHash('sha1')
    .update(compilerVersion())
    .update('\0')
    .update(filename)
    .update('\0')
    .update(source)
    .digest('hex');
  const cached = path.join(CACHE, key + '.js');
  try {
    return fs.readFileSync(cached, 'utf8');
  } catch {
    // not cached yet
  }
  ts ??= require('typescript');
  const out = ts.transpileModule(source, {
    fileName: filename,
    compilerOptions: {
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.CommonJS,
      esModuleInterop: true,
      resolveJsonModule: true,
      inlineSourceMap: true,
      inlineSources: true,
    },
  }).outputText;
  try {
    fs.mkdirSync(CACHE, { recursive: true });
    const tmp = `${cached}.${process.pid}`;
    fs.writeFileSync(tmp, out);
    fs.renameSync(tmp, cached);
  } catch {
    // a read-only tree: compile again next time
  }
  return out;
}

Module._extensions['.ts'] = function loadTs(module, filename) {
  module._compile(transpile(fs.readFileSync(filename, 'utf8'), filename), filename);
};
