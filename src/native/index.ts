// Typed wrapper over the native addon (build/Release/gnpay.node).
// Inputs are validated here, before they reach C++ (sharp / better-sqlite3 style).
import fs from 'node:fs';
import net from 'node:net';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import type {
  CaptureOptions,
  CaptureSource,
  DecodeEvent,
  EngineLimits,
  StatsEvent,
  SubscriberSelection,
} from './types';

export * from './types';
export * from './errors';
export { ENGINE_LIMITS } from './limits';
import { ENGINE_LIMITS } from './limits';
import { errorCode, NATIVE_ERROR_CODES } from './errors';

interface NativeEngine {
  stats(): Record<string, unknown>;
  tables(): Record<string, number>;
  setCarriers(carriers: string[]): void;
  exportSessions(): Buffer;
  importSessions(buf: Buffer, nowMs: number, maxAgeMs: number): number;
  /** the frame's events as JSONL text */
  processFrame(frame: Buffer, linktype: number, tsNs: number, packet?: number): string;
  close(): void;
}
interface NativeBatch {
  /** the batch's events as JSONL text (docs/events.md), one line each, in capture order */
  json: Buffer;
  count: number;
  fileIndex: number;
  offset: number;
  size: number;
  packets: number;
  end: boolean;
  error: null | { message: string; file: string; offset: number; packet: number };
}
interface NativeStream {
  next(): Promise<NativeBatch | null>;
  /** the caller is done with a batch's json: detached, its memory reused for later batches */
  release(json: Buffer): boolean;
  close(): void;
}
interface NativeReplay extends NativeStream {
  progress(): { fileIndex: number; offset: number; size: number; packets: number; totalBytes: number; finished: boolean; written: number };
}
interface NativeLive extends NativeStream {
  captureStats(): LiveInterfaceStats[];
}
interface Addon {
  Engine: new (opts: object) => NativeEngine;
  Replay: new (engine: NativeEngine, files: string[], opts?: object) => NativeReplay;
  Live: new (engine: NativeEngine, interfaces: string[], opts?: object) => NativeLive;
  anomalyNames(): { name: string; kind: string }[];
  engineLimits(): { name: string; default: number; unit: string; description: string }[];
  libpcapVersion: string;
  defaultLiveFilter: (linktype: number) => string;
  sdNotify: (socketPath: string, state: string) => void;
}

export interface LiveInterfaceStats {
  interface: string;
  packets: number;
  bytes: number;
  kernelReceived: number;
  kernelDropped: number;
  interfaceDropped: number;
  shedBatches: number;
  shedEvents: number;
  error: string | null;
}

let addon: Addon | undefined;

/**
 * Whether a replay should read its files on a thread of its own (the
 * decoding thread then takes frames already read) rather than on the
 * decoding thread itself: only when a core is free for that thread.
 * The decoding thread wants a core, and so does JavaScript when it works on
 * every event (`jsBusy`: the daemon's pipeline, `gnpay decode` output other
 * than the engine's own JSONL). On fewer cores the extra thread only takes
 * time from the other two (docs/benchmarks.md: `gnpay run --read` on two cores).
 */
export function replayReaderThread(jsBusy: boolean, cores = availableParallelism()): boolean {
  return cores >= (jsBusy ? 3 : 2);
}

/** Events from JSONL text (lines of JSON objects, each ending in a newline), in one JSON.parse. */
export function parseEventLines(text: string): DecodeEvent[] {
  if (text.length === 0) return [];
  // a newline never occurs inside a JSON text line (strings escape it): each one separates two objects
  return JSON.parse('[' + text.slice(0, -1).replaceAll('\n', ',') + ']') as DecodeEvent[];
}

/** A batch of events as the engine wrote them: JSONL text, `count` lines. */
export interface EventChunk {
  json: Buffer;
  count: number;
}

/** Loads the addon once. The package root holds build/Release/gnpay.node. */
export function loadAddon(): Addon {
  if (addon) return addon;
  const root = path.resolve(__dirname, '..', '..');
  const candidates = [
    process.env.GNPAY_ADDON,
    path.join(root, 'build', 'Release', 'gnpay.node'),
    path.join(root, 'build', 'Debug', 'gnpay.node'),
  ].filter((p): p is string => typeof p === 'string' && p.length > 0);
  for (const p of candidates) {
    if (fs.existsSync(p)) {
      addon = require(p) as Addon;
      return addon;
    }
  }
  throw new Error(
    `gnpay native addon not found (looked in ${candidates.join(', ')}); build it with "npm run build:native"`,
  );
}

export const CARRIER_KINDS = ['query', 'path', 'host', 'header', 'cookie'] as const;

/** Validates a carrier spec ("query:pay_token"); returns an error message or null. */
export function carrierError(spec: string): string | null {
  const i = spec.indexOf(':');
  if (i <= 0) return `carrier "${spec}" must look like kind:argument (kinds: ${CARRIER_KINDS.join(', ')})`;
  const kind = spec.slice(0, i);
  const arg = spec.slice(i + 1);
  if (!(CARRIER_KINDS as readonly string[]).includes(kind))
    return `carrier "${spec}": unknown kind "${kind}" (kinds: ${CARRIER_KINDS.join(', ')})`;
  if (arg.length === 0) return `carrier "${spec}": the argument is empty`;
  if (arg.length > 255) return `carrier "${spec}": the argument is longer than 255 characters`;
  if (!/^[\x21-\x7e]+$/.test(arg)) return `carrier "${spec}": the argument must be printable ASCII without spaces`;
  if (kind === 'host' && !/^\.?[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.?$/.test(arg))
    return `carrier "${spec}": not a DNS name suffix`;
  if (kind === 'path' && !arg.startsWith('/')) return `carrier "${spec}": a path prefix starts with "/"`;
  return null;
}

export function validateCarriers(carriers: string[]): string[] {
  if (carriers.length > 32) throw new TypeError('at most 32 carriers');
  for (const c of carriers) {
    const err = carrierError(c);
    if (err) throw new TypeError(err);
  }
  return carriers;
}

const LIMIT_KEYS: readonly string[] = ENGINE_LIMITS.map((l) => l.name);

export function validateLimits(limits: Partial<EngineLimits> | undefined): Partial<EngineLimits> {
  const out: Partial<EngineLimits> = {};
  if (!limits) return out;
  for (const [k, v] of Object.entries(limits)) {
    if (!LIMIT_KEYS.includes(k)) throw new TypeError(`unknown engine limit "${k}"`);
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v <= 0)
      throw new TypeError(`engine limit ${k} must be a positive integer`);
    out[k as keyof EngineLimits] = v;
  }
  return out;
}

/** Validates a pay host name ("pay.example.net"); returns an error message or null. */
export function payHostError(host: string): string | null {
  if (!/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*\.?$/.test(host) || host.length > 253) return `pay host "${host}" is not a DNS name`;
  return null;
}

export function validatePayHosts(hosts: string[] | undefined): string[] {
  if (!hosts) return [];
  if (hosts.length > 8) throw new TypeError('at most 8 pay hosts');
  for (const h of hosts) {
    const err = payHostError(h);
    if (err) throw new TypeError(err);
  }
  return hosts;
}

export interface EngineOptions {
  carriers: string[];
  /** ClientHellos whose SNI is (under) one of these are reported as `hello` events */
  payHosts?: string[];
  requests?: boolean;
  limits?: Partial<EngineLimits>;
}

/** The decode engine: the tunnel table and every bounded decoder state. */
export class Engine {
  readonly native: NativeEngine;
  private closed = false;

  constructor(opts: EngineOptions) {
    const carriers = validateCarriers(opts.carriers);
    this.native = new (loadAddon().Engine)({
      carriers,
      payHosts: validatePayHosts(opts.payHosts),
      requests: opts.requests === true,
      limits: validateLimits(opts.limits),
    });
  }

  stats(): StatsEvent {
    const s = this.native.stats() as StatsEvent;
    const t = this.native.tables();
    (s.sessions as Record<string, number>).active = t.sessions ?? 0;
    (s.fragments as Record<string, number>).pending = t.fragments ?? 0;
    (s as Record<string, unknown>).tables = t;
    return s;
  }
  tables(): Record<string, number> {
    return this.native.tables();
  }
  setCarriers(carriers: string[]): void {
    this.native.setCarriers(validateCarriers(carriers));
  }
  exportSessions(): Buffer {
    return this.native.exportSessions();
  }
  importSessions(checkpoint: Buffer, nowMs: number, maxAgeMs: number): number {
    if (!Buffer.isBuffer(checkpoint)) throw new TypeError('checkpoint must be a Buffer');
    return this.native.importSessions(checkpoint, nowMs, maxAgeMs);
  }
  /** Decodes one frame (tests, tools). */
  processFrame(frame: Buffer, linktype: number, tsNs: number, packet = 1): DecodeEvent[] {
    return parseEventLines(this.native.processFrame(frame, linktype, tsNs, packet));
  }
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.native.close();
  }
}

/** A capture filter expression that libpcap cannot compile. */
export class CaptureFilterError extends Error {
  readonly code = NATIVE_ERROR_CODES.badFilter;
  constructor(message: string) {
    super(message);
    this.name = 'CaptureFilterError';
  }
}

/** A capture file that could not be read to its end. */
export class CaptureFileError extends Error {
  readonly code = NATIVE_ERROR_CODES.captureFile;
  constructor(
    message: string,
    readonly file: string,
    readonly offset: number,
    readonly packet: number,
  ) {
    super(message);
    this.name = 'CaptureFileError';
  }
}

/** The file `write` names cannot be created. */
export class CaptureWriteError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CaptureWriteError';
  }
}

/** Validates a subscriber selection; returns an error message or null. */
export function selectionError(sel: SubscriberSelection): string | null {
  const imsi = sel.imsi ?? [];
  const msisdn = sel.msisdn ?? [];
  const ueIp = sel.ueIp ?? [];
  if (imsi.length + msisdn.length + ueIp.length === 0) return 'select at least one subscriber (IMSI, MSISDN or UE address)';
  if (imsi.length + msisdn.length + ueIp.length > 1024) return 'at most 1024 subscribers';
  for (const i of imsi) if (!/^[0-9]{5,15}$/.test(i)) return `IMSI "${i}" must be 5 to 15 digits`;
  for (const m of msisdn) if (!/^[0-9]{1,15}$/.test(m)) return `MSISDN "${m}" must be 1 to 15 digits (international format, no +)`;
  for (const a of ueIp) if (net.isIP(a) === 0) return `UE address "${a}" is not an IPv4 or IPv6 address`;
  return null;
}

export interface ReplayProgress {
  fileIndex: number;
  files: number;
  bytesRead: number;
  totalBytes: number;
  packets: number;
  /** frames written to the `write` file so far */
  written: number;
}

/**
 * Throws a CaptureFileError unless this process may read `file`: a regular
 * file (plain, gzip or zstd), a pipe or a device (process substitution,
 * /dev/stdin), or "-" (standard input). Returns its size (0 when not a regular file).
 */
export function checkReadable(file: string): number {
  if (file === '-') return 0;
  let st: fs.Stats;
  try {
    st = fs.statSync(file);
    fs.accessSync(file, fs.constants.R_OK);
  } catch (err) {
    throw new CaptureFileError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, file, 0, 0);
  }
  if (st.isDirectory()) throw new CaptureFileError(`${file} is not a regular file or a pipe (a directory)`, file, 0, 0);
  return st.isFile() ? st.size : 0;
}

class NativeCapture implements CaptureSource {
  private stream: NativeReplay | NativeLive | null = null;
  private readonly files: string[];
  private readonly fileSizes: number[];
  private closed = false;
  private finishedBytes = 0;
  private finalStats: StatsEvent | null = null;
  private finalCaptureStats: LiveInterfaceStats[] | null = null;
  private finalWritten = 0;

  constructor(
    readonly engine: Engine,
    opts: CaptureOptions & { live?: LiveOptions },
    private readonly ownsEngine: boolean,
  ) {
    this.files = opts.files ?? [];
    if (this.files.filter((f) => f === '-').length > 1) throw new TypeError('standard input ("-") can be read once');
    this.fileSizes = this.files.map((f) => checkReadable(f));
    const addonApi = loadAddon();
    if (this.files.length > 0) {
      if (opts.filter !== undefined && (typeof opts.filter !== 'string' || opts.filter.length > 65536 || opts.filter.includes('\0'))) {
        throw new CaptureFilterError('filter must be a BPF expression of at most 65536 characters');
      }
      if (opts.write !== undefined) {
        const err = selectionError(opts.select ?? {});
        if (err) throw new TypeError(err);
        if (typeof opts.write !== 'string' || opts.write.length === 0 || opts.write.includes('\0')) throw new TypeError('write must be a file name');
      }
      try {
        this.stream = new addonApi.Replay(engine.native, this.files, {
          batchEvents: opts.batchEvents ?? 256,
          maxBatches: opts.maxBatches ?? 8,
          filter: opts.filter ?? '',
          hexTeids: opts.hexTeids === true,
          types: opts.types,
          readerThread: opts.readerThread ?? true,
          ...(opts.write !== undefined ? { write: opts.write, select: opts.select } : {}),
        });
      } catch (err) {
        if (errorCode(err) === NATIVE_ERROR_CODES.badFilter) throw new CaptureFilterError((err as Error).message);
        if (errorCode(err) === NATIVE_ERROR_CODES.write) throw new CaptureWriteError((err as Error).message.slice('write: '.length));
        throw err;
      }
    } else if ((opts.interfaces ?? []).length > 0) {
      const l = opts.live ?? {};
      try {
        this.stream = new addonApi.Live(engine.native, opts.interfaces!, {
          bufferBytes: l.bufferBytes,
          snaplen: l.snaplen,
          filter: l.filter,
          flushMs: l.flushMs,
          maxBatches: l.maxBatches,
          types: opts.types,
        });
      } catch (err) {
        // a filter libpcap rejects is a usage error, not a runtime one
        if (errorCode(err) === NATIVE_ERROR_CODES.badFilter) throw new CaptureFilterError((err as Error).message);
        throw err;
      }
    } else {
      throw new TypeError('a capture needs files or interfaces');
    }
  }

  async *[Symbol.asyncIterator](): AsyncIterator<DecodeEvent[]> {
    for await (const c of this.chunks()) {
      const text = c.json.toString('utf8');
      this.release(c);
      yield parseEventLines(text);
    }
  }

  /**
   * Hands a chunk's memory back once nothing will read its `json` again (for
   * a write, once the write completed): the engine writes later batches into
   * it, instead of into fresh memory that only a garbage collection would
   * free. The Buffer is empty afterwards. Optional: a chunk never released
   * is freed when its Buffer is collected.
   */
  release(chunk: EventChunk): void {
    this.stream?.release(chunk.json);
  }

  /**
   * The batches as the engine wrote them (JSONL text), for consumers that
   * pass events on without looking into them (`gnpay decode --jsonl`).
   */
  async *chunks(): AsyncGenerator<EventChunk> {
    const stream = this.stream;
    if (!stream) return;
    for (;;) {
      const b = await stream.next();
      if (!b) return;
      if (b.count > 0) yield { json: b.json, count: b.count };
      if (b.error) {
        throw new CaptureFileError(b.error.message, b.error.file, b.error.offset, b.error.packet);
      }
      if (b.end) return;
    }
  }

  stats(): StatsEvent {
    return this.finalStats ?? this.engine.stats();
  }

  progress(): ReplayProgress {
    const s = this.stream as NativeReplay | null;
    const total = this.fileSizes.reduce((a, b) => a + b, 0);
    if (!s || typeof (s).progress !== 'function')
      return { fileIndex: 0, files: this.files.length, bytesRead: 0, totalBytes: total, packets: 0, written: this.finalWritten };
    const p = s.progress();
    this.finishedBytes = this.fileSizes.slice(0, p.fileIndex).reduce((a, b) => a + b, 0);
    return {
      fileIndex: p.fileIndex,
      files: this.files.length,
      bytesRead: p.finished ? total : this.finishedBytes + p.offset,
      totalBytes: total,
      packets: p.packets,
      written: p.written,
    };
  }

  captureStats(): LiveInterfaceStats[] {
    if (this.finalCaptureStats) return this.finalCaptureStats;
    const s = this.stream as NativeLive | null;
    return s && typeof (s).captureStats === 'function' ? s.captureStats() : [];
  }

  /** Stops the capture threads and frees the engine (when owned); stats stay readable. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.stream?.close();
    this.finalCaptureStats = this.captureStats();
    const s = this.stream as NativeReplay | null;
    if (s && typeof s.progress === 'function') this.finalWritten = s.progress().written;
    this.stream = null;
    this.finalStats = this.engine.stats();
    if (this.ownsEngine) this.engine.close();
  }
}

export interface LiveOptions {
  bufferBytes?: number;
  snaplen?: number;
  filter?: string;
  flushMs?: number;
  /** batches of events that may wait for JavaScript (default 1024); a batch finding the queue full is shed and counted */
  maxBatches?: number;
}

export type Capture = NativeCapture;

/**
 * Opens a capture (files replayed in order, or live interfaces) on an engine
 * of its own, or on `engine` when given (so that the tunnel table survives
 * across captures, e.g. `gnpay run --read a.pcap b.pcap`).
 */
export function openCapture(
  opts: CaptureOptions & { live?: LiveOptions },
  engine?: Engine,
): Capture {
  const own = !engine;
  const eng = engine ?? new Engine({ carriers: opts.carriers, payHosts: opts.payHosts, requests: opts.requests, limits: opts.limits });
  try {
    return new NativeCapture(eng, opts, own);
  } catch (err) {
    if (own) eng.close();
    throw err;
  }
}

/** The engine limits a user may set, with the engine's defaults (native/engine/limits.def). */
export function engineLimits(): { name: string; default: number; unit: string; description: string }[] {
  return loadAddon().engineLimits();
}

export function anomalyNames(): { name: string; kind: string }[] {
  return loadAddon().anomalyNames();
}

/** sd_notify(3): one datagram with `state` to the systemd notification socket `socketPath`; throws when it cannot be sent. */
export function sdNotify(socketPath: string, state: string): void {
  loadAddon().sdNotify(socketPath, state);
}

export function libpcapVersion(): string {
  return loadAddon().libpcapVersion;
}

/**
 * The BPF filter live capture uses on an interface of this link type when none
 * is configured: GTP-C, GTP-U and outer IP fragments, under VLAN tags and MPLS
 * labels on Ethernet.
 */
export function defaultLiveFilter(linktype = 1): string {
  if (!Number.isInteger(linktype) || linktype < 0 || linktype > 0xffff) throw new TypeError('linktype must be a LINKTYPE_* number');
  return loadAddon().defaultLiveFilter(linktype);
}
