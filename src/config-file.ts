// Reading a configuration file: YAML (comments allowed; JSON is valid YAML, so
// existing config.json files read as before), every problem reported at once
// with FILE:LINE:COLUMN and, for an unknown key, the known one it resembles.
// Where the service's file is when none is named: $GNPAY_CONFIG, else the
// first of /etc/gnpay/config.yaml, config.yml, config.json that exists.
import { existsSync, readFileSync } from 'node:fs';
import type { Document, Node } from 'yaml';

export const SERVICE_CONFIG_FILES = ['/etc/gnpay/config.yaml', '/etc/gnpay/config.yml', '/etc/gnpay/config.json'];

/** The config file to read when --config is not given: $GNPAY_CONFIG ("" for none), else the service's, else none. */
export function defaultConfigFile(
  env: NodeJS.ProcessEnv = process.env,
  candidates = SERVICE_CONFIG_FILES,
): string | null {
  if (env.GNPAY_CONFIG !== undefined) return env.GNPAY_CONFIG === '' ? null : env.GNPAY_CONFIG;
  return candidates.find((f) => existsSync(f)) ?? null;
}

/** One thing wrong with a configuration: the key (a dotted path; "" the whole file) and what. */
export interface Problem {
  path: string;
  message: string;
}

/** A parsed config file that can say where each key is. */
export interface ConfigSource {
  file: string;
  value: unknown;
  /** "LINE:COLUMN" of a key (its value's start), of the nearest enclosing key that exists, or null */
  position(path: string): string | null;
  /** YAML syntax errors (empty when the file parsed) */
  syntax: Problem[];
}

function splitPath(path: string): Array<string | number> {
  if (path === '') return [];
  return path
    .replace(/\[(\d+)\]/g, '.$1')
    .split('.')
    .map((p) => (/^\d+$/.test(p) ? Number(p) : p));
}

export function parseConfigText(file: string, text: string): ConfigSource {
  // loaded when there is a file to read: a start with flags only does not load it
  const { isMap, isScalar, LineCounter, parseDocument } = require('yaml') as typeof import('yaml');
  const lines = new LineCounter();
  const doc: Document = parseDocument(text, { lineCounter: lines, prettyErrors: false, strict: true });
  const at = (offset: number) => {
    const p = lines.linePos(offset);
    return `${p.line}:${p.col}`;
  };
  const syntax = doc.errors.map((e) => ({
    path: '',
    message: `${at(e.pos[0])}: ${e.message.replace(/ at line \d+, column \d+:?[\s\S]*$/, '')}`,
  }));
  return {
    file,
    value: syntax.length ? {} : (doc.toJS() ?? {}),
    syntax,
    position(path) {
      const parts = splitPath(path);
      // the deepest existing node on the path: the key's own position when it exists
      for (let n = parts.length; n > 0; n--) {
        const parent = n === 1 ? doc.contents : (doc.getIn(parts.slice(0, n - 1), true) as Node | undefined);
        if (isMap(parent)) {
          const pair = parent.items.find((p) => isScalar(p.key) && p.key.value === parts[n - 1]);
          const key = pair?.key as Node | undefined;
          if (key?.range) return at(key.range[0]);
        }
        const node = doc.getIn(parts.slice(0, n), true) as Node | undefined;
        if (node && (node as { range?: [number, number, number] }).range)
          return at((node as { range: [number, number, number] }).range[0]);
      }
      const root = doc.contents;
      return root?.range ? at(root.range[0]) : '1:1';
    },
  };
}

export function readConfigFile(file: string): ConfigSource | Problem {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    return { path: '', message: `cannot read ${file}: ${(err as NodeJS.ErrnoException).code}` };
  }
  return parseConfigText(file, text);
}

/** Levenshtein distance (small strings: config keys). */
export function editDistance(a: string, b: string): number {
  a = a.toLowerCase();
  b = b.toLowerCase();
  // one row of the distance matrix; every index read below is in 0..b.length
  const prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  const at = (j: number) => prev[j] ?? 0;
  for (let i = 1; i <= a.length; i++) {
    let diag = at(0);
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = at(j);
      prev[j] = Math.min(at(j) + 1, at(j - 1) + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = tmp;
    }
  }
  return at(b.length);
}

/** The known key closest to `name` when it is close enough to be a typo (or a different case). */
export function didYouMean(name: string, known: readonly string[]): string | null {
  let best: string | null = null;
  let bestD = Infinity;
  for (const k of known) {
    const d = k.toLowerCase() === name.toLowerCase() ? 0 : editDistance(name, k);
    if (d < bestD) {
      bestD = d;
      best = k;
    }
  }
  return best !== null && bestD <= Math.max(1, Math.floor(Math.min(name.length, best.length) / 3)) ? best : null;
}
