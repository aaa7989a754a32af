// `gnpay decode`: replay capture files through the engine and write what it
// finds: JSONL (docs/events.md), a readable table, or a statistics summary.
import type { Writable } from 'node:stream';
import { CaptureFileError, DEFAULT_CARRIERS, openCapture } from '../native';
import type { DecodeEvent, EngineLimits, StatsEvent } from '../native/types';
import { ProgressBar } from '../progress';
import { eventFieldTable } from '../ops/event-contract';
import { defaultColumns, delimitedEvent, delimitedRow, formatEventRow, formatStats, pickFields, TABLE_HEADER } from './format';

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
  out: Writable;
}

export interface DecodeResult {
  stats: StatsEvent;
  events: number;
  error: CaptureFileError | null;
}

function write(out: Writable, s: string | Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    if (out.write(s)) resolve();
    else {
      out.once('drain', resolve);
      out.once('error', reject);
    }
  });
}

export async function decode(opts: DecodeOptions): Promise<DecodeResult> {
  const capture = openCapture({
    files: opts.files,
    carriers: opts.carriers && opts.carriers.length > 0 ? opts.carriers : DEFAULT_CARRIERS,
    payHosts: opts.payHosts,
    requests: opts.requests,
    limits: opts.limits,
    filter: opts.filter,
    hexTeids: true,
  });
  const bar = opts.progress ? new ProgressBar(() => capture.progress()).start() : null;
  let events = 0;
  let error: CaptureFileError | null = null;
  try {
    if (opts.format === 'table') await write(opts.out, TABLE_HEADER + '\n');
    try {
      const fields = opts.fields && opts.fields.length > 0 ? opts.fields : null;
      if (opts.format === 'table' || opts.format === 'csv' || opts.format === 'tsv' || (opts.format === 'jsonl' && fields)) {
        const f = opts.format;
        const columns = f === 'csv' || f === 'tsv' ? (fields ?? defaultColumns(eventFieldTable())) : [];
        if (f === 'csv' || f === 'tsv') await write(opts.out, delimitedRow(columns, f) + '\n');
        for await (const batch of capture) {
          let chunk = '';
          for (const e of batch as DecodeEvent[]) {
            chunk +=
              (f === 'table' ? formatEventRow(e) : f === 'jsonl' ? JSON.stringify(pickFields(e, fields!)) : delimitedEvent(e, columns, f)) + '\n';
            events++;
          }
          if (chunk) await write(opts.out, chunk);
        }
      } else {
        // JSONL as the engine wrote it: no JS object is made for an event
        for await (const c of capture.chunks()) {
          events += c.count;
          if (opts.format === 'jsonl') await write(opts.out, c.json);
        }
      }
    } catch (err) {
      if (!(err instanceof CaptureFileError)) throw err;
      error = err;
    }
    bar?.stop();
    const stats = capture.stats();
    // measured, for the bounds tests and operators: what the tables hold and the process peak
    const t = capture.engine.tables();
    (stats as Record<string, unknown>).memory = {
      tableBytes: t.sessionBytes + t.fragmentBytes + t.tcpFlowBytes,
      sessionBytes: t.sessionBytes,
      fragmentBytes: t.fragmentBytes,
      tcpFlowBytes: t.tcpFlowBytes,
      peakRssBytes: process.resourceUsage().maxRSS * 1024,
    };
    if (opts.format === 'jsonl') await write(opts.out, JSON.stringify(stats) + '\n');
    // csv / tsv: the rows are the events only
    else if (opts.format === 'table' || opts.format === 'stats') await write(opts.out, (opts.format === 'table' ? '\n' : '') + formatStats(stats, opts.files));
    return { stats, events, error };
  } finally {
    bar?.stop();
    await capture.close();
  }
}
