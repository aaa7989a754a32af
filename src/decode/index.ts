// `gnpay decode`: replay capture files through the engine and write what it
// finds: JSONL (docs/events.md), a readable table, or a statistics summary.
import fs from 'node:fs';
import net from 'node:net';
import type { Writable } from 'node:stream';
import { CaptureFileError, openCapture, replayReaderThread } from '../native';
import { DEFAULT_CARRIERS } from '../pipeline/carriers';
import type { DecodeEvent, EngineLimits, StatsEvent, SubscriberSelection } from '../native/types';
import { ProgressBar } from '../progress';
import { eventFieldTable } from '../ops/event-contract';
import {
  defaultColumns,
  delimitedEvent,
  delimitedRow,
  formatEventRow,
  formatStats,
  pickFields,
  TABLE_HEADER,
} from './format';

export interface DecodeOptions {
  files: string[];
  carriers?: string[];
  /** ClientHellos to these hosts are reported as `hello` events */
  payHosts?: string[];
  format: 'jsonl' | 'table' | 'stats' | 'csv' | 'tsv';
  /** only these event keys, in this order (jsonl, csv, tsv) */
  fields?: string[];
  requests?: boolean;
  limits?: Partial<EngineLimits>;
  /** a BPF expression (tcpdump syntax) frames must match to be decoded */
  filter?: string;
  progress?: boolean; // draw a progress bar on stderr when it is a terminal
  /** only the events of these subscribers are printed (and written with `write`) */
  select?: SubscriberSelection;
  /** a pcapng file: the GTP-C and GTP-U frames of the selected subscribers' tunnels */
  write?: string;
  /**
   * Where the output goes. A chunk of `--jsonl` text written to a stream
   * that hands it to the operating system (this process's stdout or stderr,
   * a file stream, a socket) goes back to the engine once the write called
   * back; any other stream (a PassThrough, a writable that keeps its chunks)
   * may hold the chunk after its callback, and keeps it.
   */
  out: Writable;
}

/** Whether `out` is done with a chunk once it called back: the write reached the operating system. */
function writesThrough(out: Writable): boolean {
  return out === process.stdout || out === process.stderr || out instanceof fs.WriteStream || out instanceof net.Socket;
}

/** Whether an event concerns one of the selected subscribers (by IMSI, MSISDN or UE address). */
export function selects(sel: SubscriberSelection, e: DecodeEvent): boolean {
  if (e.imsi !== null && sel.imsi?.includes(e.imsi)) return true;
  if (e.msisdn !== null && sel.msisdn?.includes(e.msisdn)) return true;
  if (!sel.ueIp?.length) return false;
  const ips = e.type === 'session' ? [e.ueIp, e.ueIpv6] : [e.ueIp];
  return ips.some((a) => a !== null && sel.ueIp!.some((s) => sameAddress(s, a)));
}

function sameAddress(a: string, b: string): boolean {
  if (a === b) return true;
  if (!a.includes(':') || !b.includes(':')) return false;
  try {
    return new URL(`http://[${a}]/`).hostname === new URL(`http://[${b}]/`).hostname;
  } catch {
    return false;
  }
}

export interface DecodeResult {
  stats: StatsEvent;
  events: number;
  error: CaptureFileError | null;
  /** the reader of `out` went away (EPIPE: `gnpay decode … | head`); reading stopped there */
  outputClosed: boolean;
  /** frames written to `write` */
  written: number;
}

/** The reader of the output closed it (EPIPE): decoding stops, quietly. */
class OutputClosed extends Error {}

/**
 * Writes to `out` with backpressure. Once `out` failed with EPIPE every write
 * throws OutputClosed; other stream errors propagate.
 */
class Output {
  private failure: NodeJS.ErrnoException | null = null;
  private waiting: ((err: NodeJS.ErrnoException) => void) | null = null;
  private readonly onError = (err: NodeJS.ErrnoException): void => {
    this.failure ??= err;
    this.waiting?.(err);
  };

  constructor(private readonly out: Writable) {
    out.on('error', this.onError);
  }

  get closed(): boolean {
    return this.failure?.code === 'EPIPE';
  }

  private check(): void {
    if (!this.failure) return;
    if (this.closed) throw new OutputClosed();
    throw this.failure;
  }

  /** `written` runs once `out` is done with `s` (written, or failed). */
  async write(s: string | Buffer, written?: () => void): Promise<void> {
    this.check();
    if (!this.out.write(s, written && (() => written()))) {
      await new Promise<void>((resolve, reject) => {
        this.waiting = reject;
        this.out.once('drain', () => {
          this.waiting = null;
          resolve();
        });
      }).catch(() => undefined);
    }
    this.check();
  }

  /** Lets a write that is still in flight report its EPIPE, then stops listening. */
  async finish(): Promise<void> {
    await new Promise<void>((resolve) => setImmediate(resolve));
    this.out.off('error', this.onError);
    // later errors of a stream whose reader left (EPIPE on a flush) are not ours to report
    if (this.failure) this.out.on('error', () => undefined);
  }
}

function selectionSize(sel: SubscriberSelection): number {
  return (sel.imsi?.length ?? 0) + (sel.msisdn?.length ?? 0) + (sel.ueIp?.length ?? 0);
}

export async function decode(opts: DecodeOptions): Promise<DecodeResult> {
  const sel = opts.select && selectionSize(opts.select) > 0 ? opts.select : null;
  const fields = opts.fields && opts.fields.length > 0 ? opts.fields : null;
  // JSONL as the engine wrote it (or only counted): JavaScript makes no object for an event
  const passThrough = !sel && (opts.format === 'stats' || (opts.format === 'jsonl' && !fields));
  const capture = openCapture({
    files: opts.files,
    carriers: opts.carriers && opts.carriers.length > 0 ? opts.carriers : [...DEFAULT_CARRIERS],
    payHosts: opts.payHosts,
    requests: opts.requests,
    limits: opts.limits,
    filter: opts.filter,
    hexTeids: true,
    write: opts.write,
    select: opts.select,
    readerThread: replayReaderThread(!passThrough),
  });
  const bar = opts.progress ? new ProgressBar(() => capture.progress()).start() : null;
  let events = 0;
  let error: CaptureFileError | null = null;
  const output = new Output(opts.out);
  try {
    if (opts.format === 'table') await output.write(TABLE_HEADER + '\n');
    try {
      const f = opts.format;
      if (passThrough) {
        const recycle = writesThrough(opts.out);
        for await (const c of capture.chunks()) {
          events += c.count;
          if (f !== 'jsonl') capture.release(c);
          else if (!recycle) await output.write(c.json);
          else
            await output.write(c.json, () => {
              // the chunk's memory goes back to the engine once written; a
              // release that fails leaves it to the garbage collector
              try {
                capture.release(c);
              } catch {
                /* freed when its Buffer is collected */
              }
            });
        }
      } else {
        const columns = f === 'csv' || f === 'tsv' ? (fields ?? defaultColumns(eventFieldTable())) : [];
        if (f === 'csv' || f === 'tsv') await output.write(delimitedRow(columns, f) + '\n');
        for await (const batch of capture) {
          const shown = sel ? batch.filter((e) => selects(sel, e)) : batch;
          if (f === 'stats') {
            events += shown.length;
            continue;
          }
          let chunk = '';
          for (const e of shown) {
            chunk +=
              (f === 'table'
                ? formatEventRow(e)
                : f === 'jsonl'
                  ? fields
                    ? JSON.stringify(pickFields(e, fields))
                    : JSON.stringify(e)
                  : delimitedEvent(e, columns, f)) + '\n';
            events++;
          }
          if (chunk) await output.write(chunk);
        }
      }
    } catch (err) {
      if (err instanceof OutputClosed)
        return { stats: capture.stats(), events, error: null, outputClosed: true, written: 0 };
      if (!(err instanceof CaptureFileError)) throw err;
      error = err;
    }
    bar?.stop();
    const stats = capture.stats();
    // measured, for the bounds tests and operators: what the tables hold and the process peak
    const t = capture.engine.tables();
    (stats as Record<string, unknown>).memory = {
      tableBytes: (t.sessionBytes ?? 0) + (t.fragmentBytes ?? 0) + (t.tcpFlowBytes ?? 0),
      sessionBytes: t.sessionBytes,
      fragmentBytes: t.fragmentBytes,
      tcpFlowBytes: t.tcpFlowBytes,
      peakRssBytes: process.resourceUsage().maxRSS * 1024,
    };
    try {
      if (opts.format === 'jsonl') await output.write(JSON.stringify(stats) + '\n');
      // csv / tsv: the rows are the events only
      else if (opts.format === 'table' || opts.format === 'stats')
        await output.write((opts.format === 'table' ? '\n' : '') + formatStats(stats, opts.files));
    } catch (err) {
      if (err instanceof OutputClosed) return { stats, events, error, outputClosed: true, written: 0 };
      throw err;
    }
    await capture.close();
    return { stats, events, error, outputClosed: false, written: capture.progress().written };
  } finally {
    bar?.stop();
    await capture.close();
    await output.finish();
  }
}
