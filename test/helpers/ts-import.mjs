// tap loads this with --import (package.json "tap".node-arg): .ts files run
// through the CommonJS hook of ts-require.js, also when an ESM loader (tap's
// processinfo) loads the test file itself (ts-hooks.mjs).
import { createRequire, register } from 'node:module';

createRequire(import.meta.url)('./ts-require.js');
register('./ts-hooks.mjs', import.meta.url);
