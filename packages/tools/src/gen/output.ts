// Where a scenario's capture and predictions go: files or memory.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { type ExpectedEvent } from './model';
import { type ByteSink, FileSink, MemorySink } from './writer';

/** Carrier configuration every generated capture's expectations assume (in this order). */
export const DEFAULT_CARRIERS: readonly string[] = [
  'query:pay_token',
  'path:/pay/',
  'host:pay.example.net',
  'header:X-Pay-Token',
  'cookie:pay_token',
];

export interface GenResult {
  /** capture bytes when written to memory */
  capture?: Buffer;
  events: ExpectedEvent[];
  stats: Record<string, unknown>;
}

/** TEIDs as `gnpay decode` prints them: "0x" + 8 lower-case hex digits (docs/events.md). */
function decodeForm(key: string, value: unknown): unknown {
  return key === 'teid' && typeof value === 'number' ? '0x' + (value >>> 0).toString(16).padStart(8, '0') : value;
}

/** An expected event as `gnpay decode --jsonl` prints it (without `file`, which names the capture as given). */
export function eventLine(e: ExpectedEvent): string {
  return JSON.stringify(e, decodeForm);
}

/** One JSON object per line, keys in contract order, trailing newline. */
export function toJsonl(events: readonly ExpectedEvent[]): string {
  return events.map((e) => eventLine(e) + '\n').join('');
}

export function writeExpectations(base: string, r: GenResult): void {
  fs.writeFileSync(`${base}.expected.jsonl`, toJsonl(r.events));
  fs.writeFileSync(`${base}.expected-stats.json`, JSON.stringify(r.stats, null, 2) + '\n');
}

/** a sink to `file`, or memory when file is undefined */
export function sinkFor(file?: string): ByteSink {
  if (file) fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  return file ? new FileSink(file) : new MemorySink();
}

/** streams events as JSONL to a file (for captures too large to keep events in memory) */
export class JsonlFile {
  private fd: number;
  private buf: string[] = [];
  constructor(file: string) {
    this.fd = fs.openSync(file, 'w');
  }
  push(e: ExpectedEvent): void {
    this.buf.push(eventLine(e) + '\n');
    if (this.buf.length >= 4096) this.flush();
  }
  private flush(): void {
    if (this.buf.length) fs.writeSync(this.fd, this.buf.join(''));
    this.buf = [];
  }
  close(): void {
    this.flush();
    fs.closeSync(this.fd);
  }
}
