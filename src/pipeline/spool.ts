// A durable spool for sightings the database cannot take (disk full, I/O
// errors) during a live capture: a file next to the database, written full of
// zeros when the daemon starts, so that appending to it later allocates no
// new blocks and works on a full disk. Records are written with pwrite and
// fdatasync, in order, each with a checksum and the spool's generation (a drained
// spool starts a new generation, so older records left in the file are never
// read again). The spool is drained into the database, in order, as soon as
// the database takes writes again, and at the next start after a crash;
// processing a sighting twice is harmless (a sighting is recognised by its
// replay identity).
import { createHash } from 'node:crypto';
import { privateFile } from '../store/db';
import { closeSync, fdatasyncSync, fstatSync, ftruncateSync, openSync, readSync, writeSync } from 'node:fs';
import type { SightingEvent } from '../native/types';

const MAGIC = Buffer.from('GNPSPOOL');
const HEADER = 16; // magic (8), generation (4), reserved (4)
const RECORD_HEAD = 12; // length (4), generation (4), checksum of the payload (4)

function checksum(b: Buffer): number {
  return createHash('sha256').update(b).digest().readUInt32BE(0);
}

export interface SpoolRecord {
  /** the source the sightings came from (their replay identity) */
  sourceId: string;
  /** when the sightings arrived (ms): they are associated as of then */
  now: number;
  sightings: SightingEvent[];
}

export class Spool {
  private fd: number;
  private generation = 1;
  private end = HEADER;
  private records = 0;
  readonly size: number;

  private constructor(
    readonly path: string,
    fd: number,
    size: number,
  ) {
    this.fd = fd;
    this.size = size;
  }

  /**
   * Opens (or creates) the spool at `path`, `bytes` long, written full of zeros
   * when new or shorter; the records of a previous process stay readable.
   * Throws when the space cannot be set aside (then there is no spool).
   */
  static open(path: string, bytes: number): Spool {
    privateFile(path); // sightings with MSISDNs: owner only, like the database
    const fd = openSync(path, 'a+');
    closeSync(fd);
    const rw = openSync(path, 'r+');
    try {
      const have = fstatSync(rw).size;
      if (have < bytes) {
        const zeros = Buffer.alloc(1 << 20);
        for (let off = have; off < bytes; off += zeros.length)
          writeSync(rw, zeros, 0, Math.min(zeros.length, bytes - off), off);
        fdatasyncSync(rw);
      } else if (have > bytes) ftruncateSync(rw, bytes);
      const s = new Spool(path, rw, bytes);
      s.readHeader();
      return s;
    } catch (err) {
      closeSync(rw);
      throw err;
    }
  }

  private readHeader(): void {
    const h = Buffer.alloc(HEADER);
    readSync(this.fd, h, 0, HEADER, 0);
    if (h.subarray(0, 8).equals(MAGIC)) {
      this.generation = h.readUInt32BE(8);
    } else {
      this.generation = 1;
      this.writeHeader();
    }
    // where the records of this generation end
    const recs = this.read();
    this.records = recs.length;
    this.end = recs.at(-1)?.next ?? HEADER;
  }

  private writeHeader(): void {
    const h = Buffer.alloc(HEADER);
    MAGIC.copy(h, 0);
    h.writeUInt32BE(this.generation, 8);
    writeSync(this.fd, h, 0, HEADER, 0);
    fdatasyncSync(this.fd);
  }

  /** Records waiting to be drained. */
  get pending(): number {
    return this.records;
  }

  /** Appends a record durably; false when it does not fit (the spool is full). */
  append(r: SpoolRecord): boolean {
    const payload = Buffer.from(JSON.stringify(r), 'utf8');
    if (this.end + RECORD_HEAD + payload.length + 4 > this.size) return false;
    const buf = Buffer.alloc(RECORD_HEAD + payload.length);
    buf.writeUInt32BE(payload.length, 0);
    buf.writeUInt32BE(this.generation, 4);
    buf.writeUInt32BE(checksum(payload), 8);
    payload.copy(buf, RECORD_HEAD);
    writeSync(this.fd, buf, 0, buf.length, this.end);
    fdatasyncSync(this.fd);
    this.end += buf.length;
    this.records++;
    return true;
  }

  /** The records of this generation, in order. */
  read(): Array<SpoolRecord & { next: number }> {
    const out: Array<SpoolRecord & { next: number }> = [];
    let off = HEADER;
    const head = Buffer.alloc(RECORD_HEAD);
    for (;;) {
      if (off + RECORD_HEAD > this.size) break;
      readSync(this.fd, head, 0, RECORD_HEAD, off);
      const len = head.readUInt32BE(0);
      if (len === 0 || head.readUInt32BE(4) !== this.generation || off + RECORD_HEAD + len > this.size) break;
      const payload = Buffer.alloc(len);
      readSync(this.fd, payload, 0, len, off + RECORD_HEAD);
      if (checksum(payload) !== head.readUInt32BE(8)) break;
      let rec: SpoolRecord;
      try {
        rec = JSON.parse(payload.toString('utf8')) as SpoolRecord;
      } catch {
        break;
      }
      off += RECORD_HEAD + len;
      out.push({ ...rec, next: off });
    }
    return out;
  }

  /** Everything was drained into the database: a new generation, empty. */
  reset(): void {
    this.generation = (this.generation % 0xffffffff) + 1;
    this.writeHeader();
    this.end = HEADER;
    this.records = 0;
  }

  close(): void {
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
  }
}
