// Shared test helpers (not a test: tap lists it as "no tests found").
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmdirSync, rmSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  FileSink,
  LINKTYPE,
  PcapWriter,
  Scenario,
  expect as carries,
  httpRequest,
  type Pdp,
} from '../../packages/tools/src/gen';
import type { SightingEvent } from '../../src/native/types';
import { Store, type StoreOptions } from '../../src/store';
import type { ConsentLimits } from '../../src/store/consent';

export const TEMPLATE = 'http://pay.example.net/pay?pay_token={token}';
export const ORDER_OPTS = { payUrlTemplate: TEMPLATE, defaultTtlSeconds: 900, maxTtlSeconds: 86400 };

export function tmpDir(t: { teardown(fn: () => void): void }): string {
  const d = mkdtempSync(join(tmpdir(), 'gnpay-test-'));
  t.teardown(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

/** A manual clock for the store. */
export class FakeClock {
  constructor(public t = Date.parse('2025-01-01T00:00:00Z')) {}
  now = (): number => this.t;
  advance(ms: number): void {
    this.t += ms;
  }
}

export function openStore(t: { teardown(fn: () => void): void }, opts: StoreOptions = {}): Store {
  const store = Store.open(join(tmpDir(t), 'gnpay.db'), opts);
  t.teardown(() => store.close());
  return store;
}

let packet = 0;
export function sighting(token: string, msisdn: string | null, extra: Partial<SightingEvent> = {}): SightingEvent {
  packet++;
  return {
    type: 'sighting',
    file: null,
    ts: `2025-01-01T00:00:${String(packet % 60).padStart(2, '0')}.000000Z`,
    packet,
    token,
    carrier: 'query',
    via: 'http',
    msisdn,
    imsi: msisdn ? '262011234567890' : null,
    imei: null,
    apn: 'internet',
    ueIp: '10.1.2.3',
    teid: 1002,
    resolvedBy: msisdn ? 'teid' : null,
    host: 'pay.example.net',
    request: packet,
    dst: '203.0.113.80',
    proto: 'tcp',
    sport: 40000 + (packet % 20000),
    dport: 80,
    communityId: '1:Oth01VeucZ5QF8a68dbmODvW74g=',
    ...extra,
  };
}

/** Polls `fn` until it returns a truthy value or `ms` pass (no timed assertions: only a bound). */
export async function until<T>(fn: () => T | Promise<T>, ms = 10_000, what = 'condition'): Promise<NonNullable<T>> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Every row of every table, as one string: "changes nothing in the database" compares two of these. */
export function dumpDb(store: Store): string {
  const tables = store.db
    .prepare(`SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name`)
    .pluck()
    .all() as string[];
  return JSON.stringify(tables.map((name) => [name, store.db.prepare(`SELECT * FROM "${name}"`).all()]));
}

/** consent limits that decline nothing */
export const NO_LIMITS: ConsentLimits = {
  perTransaction: null,
  perMonth: null,
  amountPerDay: null,
  ordersPerHour: null,
};
export const API_SETTINGS = {
  payUrlTemplate: TEMPLATE,
  defaultTtlSeconds: 900,
  maxTtlSeconds: 86400,
  ordersPerMinute: null as number | null,
};

/** A real HTTP server on 127.0.0.1 (port 0); closed at teardown. */
export async function httpServer(
  t: { teardown(fn: () => unknown): void },
  handler: (req: IncomingMessage, body: string, res: ServerResponse) => unknown,
): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => void handler(req, Buffer.concat(chunks).toString('utf8'), res));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.teardown(() => {
    server.closeAllConnections();
    return new Promise((r) => server.close(r));
  });
  const { port } = server.address() as { port: number };
  return { server, url: `http://127.0.0.1:${port}` };
}

/** The URL of a port on 127.0.0.1 where nothing listens (connections are refused). */
export async function closedPort(): Promise<string> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as { port: number };
  await new Promise((r) => s.close(r));
  return `http://127.0.0.1:${port}`;
}

// ---- the daemon as a real child process (node dist/cli.js) ----

export const ROOT = join(__dirname, '..', '..');
export const CLI = join(ROOT, 'dist', 'cli.js');

function newestMtime(dir: string): number {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    newest = Math.max(newest, e.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return newest;
}

/** Compiles src/ to dist/ when dist is missing or older than a source (one build at a time across test files). */
export function ensureBuilt(): void {
  const fresh = () => existsSync(CLI) && statSync(CLI).mtimeMs >= newestMtime(join(ROOT, 'src'));
  if (fresh()) return;
  const lock = join(tmpdir(), 'gnpay-build.lock');
  const deadline = Date.now() + 300_000;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      if (Date.now() > deadline) throw new Error('timed out waiting for another test file to build dist/');
      execFileSync('sleep', ['0.5']);
    }
  }
  try {
    if (!fresh()) {
      try {
        execFileSync(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', ROOT], {
          stdio: ['ignore', 'ignore', 'inherit'],
        });
      } catch {
        // a type error elsewhere in the tree still emits dist/ (noEmitOnError is off): go on with what was emitted
        if (!existsSync(CLI)) throw new Error('tsc could not build dist/');
      }
    }
    if (!fresh()) execFileSync('touch', [CLI]);
  } finally {
    rmdirSync(lock);
  }
}

/**
 * Runs the CLI in this process (main() of src/cli.ts) with stdout and stderr
 * captured. The daemon itself runs as a real child process (spawnDaemon).
 */
export async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const { main } = await import('../../src/cli');
  let stdout = '';
  let stderr = '';
  const out = process.stdout.write;
  const err = process.stderr.write;
  process.stdout.write = (c: string | Uint8Array) => ((stdout += String(c)), true);
  process.stderr.write = (c: string | Uint8Array) => ((stderr += String(c)), true);
  let code: number;
  try {
    code = await main(['node', 'gnpay', ...args]);
  } finally {
    process.stdout.write = out;
    process.stderr.write = err;
    process.exitCode = undefined;
  }
  return { code, stdout, stderr };
}

/** The CLI as a real process (node dist/cli.js). */
export function cliProcess(args: string[]): { code: number; stdout: string; stderr: string } {
  ensureBuilt();
  try {
    const stdout = execFileSync(process.execPath, [CLI, ...args], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      env: childEnv(),
    });
    return { code: 0, stdout, stderr: '' };
  } catch (err) {
    const e = err as { status: number; stdout: string; stderr: string };
    return { code: e.status, stdout: e.stdout, stderr: e.stderr };
  }
}

/**
 * The environment of child processes: without the coverage collection of the
 * test runner (the children run dist/, whose coverage would be merged into the
 * sources' as garbage); the in-process tests cover the code.
 */
export function childEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env = { ...process.env, ...extra };
  delete env.NODE_V8_COVERAGE;
  delete env.NODE_OPTIONS;
  for (const k of Object.keys(env)) if (k.startsWith('_TAPJS_PROCESSINFO')) delete env[k];
  return env;
}

export interface ChildDaemon {
  child: ChildProcess;
  url: string;
  /** the operations listener's URL (with --ops-listen), else null */
  opsUrl: string | null;
  logs: Array<Record<string, unknown>>;
  stderr: string[];
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts `gnpay run ARGS` and waits for its "gnpay: listening on URL" line on stderr. */
export async function spawnDaemon(
  t: { teardown(fn: () => unknown): void },
  args: string[],
  opts: { env?: NodeJS.ProcessEnv; waitForUrl?: boolean; wrap?: string[] } = {},
): Promise<ChildDaemon> {
  ensureBuilt();
  // `wrap`: a command that execs the daemon (e.g. setpriv dropping privileges)
  const argv = [...(opts.wrap ?? []), process.execPath, CLI, 'run', ...args];
  const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'], env: childEnv(opts.env) });
  const logs: Array<Record<string, unknown>> = [];
  const stderr: string[] = [];
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) =>
    child.once('exit', (code, signal) => r({ code, signal })),
  );
  t.teardown(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exited;
    }
  });
  let buf = '';
  let resolveUrl: (u: string) => void;
  const urlP = new Promise<string>((r) => (resolveUrl = r));
  child.stdout.on('data', (d: Buffer) => {
    buf += d.toString('utf8');
    let i: number;
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      try {
        const rec = JSON.parse(line) as Record<string, unknown>;
        logs.push(rec);
      } catch {
        logs.push({ raw: line });
      }
    }
  });
  child.stderr.on('data', (d: Buffer) => {
    const s = d.toString('utf8');
    stderr.push(s);
    const m = /gnpay: listening on (\S+)/.exec(stderr.join(''));
    if (m) resolveUrl(m[1]!);
  });
  const ops = () => /gnpay: operations \(\S+, \S+, \S+\) on (\S+)/.exec(stderr.join(''))?.[1] ?? null;
  if (opts.waitForUrl === false)
    return {
      child,
      url: '',
      get opsUrl() {
        return ops();
      },
      logs,
      stderr,
      exited,
    };
  const url = await Promise.race([
    urlP,
    exited.then((e) => {
      throw new Error(`gnpay run exited (${e.code ?? e.signal}) before listening: ${stderr.join('')}`);
    }),
  ]);
  // the operations line follows the listening line
  if (args.includes('--ops-listen')) await until(ops, 10_000, 'the operations URL');
  return { child, url, opsUrl: ops(), logs, stderr, exited };
}

// ---- captures made by our fixture generator (src/gen) ----

export interface PhoneRequest {
  /** index of the subscriber (created on first use), or 'unattached' for a phone whose tunnel gnpay never saw set up */
  who: number | 'unattached';
  token: string;
}

export const msisdnOf = (i: number) => `4917${String(1_000_000 + i).padStart(8, '0')}`;
export const imsiOf = (i: number) => `26202${String(1_000_000_000 + i)}`;

/**
 * A capture where subscribers' phones open pay URLs (query carrier
 * pay_token, as TEMPLATE): each subscriber attaches (GTPv1 Create PDP
 * Context) before its first request.
 */
export function phoneCapture(
  file: string,
  requests: PhoneRequest[],
  seed = 7,
  startSec = Math.floor(Date.now() / 1000),
): void {
  const w = new PcapWriter(new FileSink(file), { linktype: LINKTYPE.ETHERNET });
  const s = new Scenario(w, { seed, startSec, stepNs: 100_000 });
  const pdps = new Map<number, Pdp>();
  const ip = (i: number) => `10.${((i + 1) >> 16) & 255}.${((i + 1) >> 8) & 255}.${(i + 1) & 255}`;
  for (const r of requests) {
    let path;
    if (r.who === 'unattached') {
      path = { ran: '192.0.2.99', core: '198.51.100.99', teidUp: 0x7777, teidDown: 0x8888, ueIp: '10.250.0.1' };
    } else {
      let pdp = pdps.get(r.who);
      if (!pdp) {
        pdp = s.createPdp({
          imsi: imsiOf(r.who),
          msisdn: msisdnOf(r.who),
          imei: null,
          apn: 'internet',
          ueIp: ip(r.who),
          sgsnC: '192.0.2.10',
          sgsnU: '192.0.2.11',
          ggsnC: '198.51.100.1',
          ggsnU: '198.51.100.2',
        })!;
        pdps.set(r.who, pdp);
      }
      path = s.pdpPath(pdp);
    }
    const f = s.tcp(path, { server: '203.0.113.80', dport: 80 });
    f.request(httpRequest({ target: `/pay?pay_token=${r.token}`, host: 'pay.example.net' }), [
      carries(r.token, 'query'),
    ]);
    f.close();
  }
  w.close();
}
