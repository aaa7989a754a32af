// The event contract from its one table, native/engine/event_fields.def (the
// C++ JSON writer expands the same table): the TypeScript types
// (src/native/event-types.ts) and the field tables of docs/events.md.
// `npm run docs` rewrites both; test/ops/docs.test.ts fails when either is stale.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');

export interface EventField {
  key: string;
  writer: string;
  tsType: string;
  doc: string;
}

/** The blocks of event_fields.def: session, tunnel, sighting, hello, request. */
export function eventFieldTable(text = readFileSync(join(ROOT, 'native', 'engine', 'event_fields.def'), 'utf8')): Record<string, EventField[]> {
  const out: Record<string, EventField[]> = {};
  let block: EventField[] | null = null;
  for (const line of text.split('\n')) {
    const def = /^#define GNPAY_([A-Z]+)_FIELDS\(F\)/.exec(line);
    if (def) {
      block = out[(def[1] ?? '').toLowerCase()] = [];
      continue;
    }
    const [, key, writer, tsType, doc] = /^\s*F\((\w+), (\w+), "((?:[^"\\]|\\.)*)", "((?:[^"\\]|\\.)*)"\)/.exec(line) ?? [];
    if (key && writer && tsType !== undefined && doc !== undefined && block) block.push({ key, writer, tsType, doc: doc.replace(/\\"/g, '"') });
  }
  return out;
}

const INTERFACES: [string, string, string][] = [
  ['tunnel', 'Tunnel', 'A tunnel endpoint of a session.'],
  ['session', 'SessionEvent', 'A GTP-C procedure accepted by a response: a context created, changed or removed.'],
  ['sighting', 'SightingEvent', 'A token seen in what a UE sent uplink.'],
  ['hello', 'HelloEvent', 'A TLS ClientHello to a pay host (EngineOptions.payHosts).'],
  ['request', 'RequestEvent', 'An uplink HTTP request head, DNS query or TLS ClientHello (EngineOptions.requests).'],
];

export function renderEventTypes(table = eventFieldTable()): string {
  let s =
    '// Generated from native/engine/event_fields.def by `npm run docs`: do not edit.\n' +
    '// The decode events as they reach JavaScript (docs/events.md is the contract).\n' +
    "import type { Carrier, ResolvedBy, Teid, Via } from './types';\n";
  for (const [block, name, doc] of INTERFACES) {
    s += `\n/** ${doc} */\nexport interface ${name} {\n`;
    for (const f of table[block] ?? []) {
      const optional = / \| undefined$/.test(f.tsType);
      s += `  /** ${f.doc} */\n  ${f.key}${optional ? '?' : ''}: ${f.tsType.replace(/ \| undefined$/, '')};\n`;
    }
    s += '}\n';
  }
  return s;
}

function fieldTable(fields: EventField[]): string {
  const rows = fields.map((f) => `| \`${f.key}\` | \`${f.tsType.replace(/\|/g, '\\|')}\` | ${f.doc} |`);
  return ['| field | type | meaning |', '|---|---|---|', ...rows].join('\n');
}

/** docs/events.md with each `<!-- fields:X -->` … `<!-- /fields:X -->` section rewritten. */
export function renderEventsDoc(table = eventFieldTable(), current = readFileSync(join(ROOT, 'docs', 'events.md'), 'utf8')): string {
  return current.replace(/<!-- fields:(\w+) -->\n[\s\S]*?<!-- \/fields:\1 -->/g, (_m, block: string) => {
    const fields = table[block];
    if (!fields) throw new Error(`docs/events.md names an unknown field block "${block}"`);
    return `<!-- fields:${block} -->\n${fieldTable(fields)}\n<!-- /fields:${block} -->`;
  });
}

// ---------------------------------------------------------------- engine limits (native/engine/limits.def)

export interface EngineLimitDef {
  name: string;
  unit: 'count' | 'bytes' | 's';
  description: string;
}

export function engineLimitTable(text = readFileSync(join(ROOT, 'native', 'engine', 'limits.def'), 'utf8')): EngineLimitDef[] {
  const out: EngineLimitDef[] = [];
  for (const line of text.split('\n')) {
    const [, name, unit, description] = /^\s*L\((\w+), [\w.]+, (count|bytes|s), "((?:[^"\\]|\\.)*)"\)/.exec(line) ?? [];
    if (name && unit && description !== undefined) out.push({ name, unit: unit as EngineLimitDef['unit'], description });
  }
  return out;
}

export function renderEngineLimits(table = engineLimitTable()): string {
  let s =
    '// Generated from native/engine/limits.def by `npm run docs`: do not edit.\n' +
    '// The engine limits a user may set (defaults: the addon\'s engineLimits()).\n\n' +
    'export const ENGINE_LIMITS = [\n';
  for (const l of table) s += `  { name: '${l.name}', unit: '${l.unit}', description: ${JSON.stringify(l.description)} },\n`;
  s += '] as const;\n\n/** Bounds of the engine\'s tables. */\nexport interface EngineLimits {\n';
  for (const l of table) s += `  /** ${l.description}${l.unit === 's' ? ' (seconds)' : ''} */\n  ${l.name}: number;\n`;
  s += '}\n';
  return s;
}
