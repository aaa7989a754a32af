// Opaque cursors for the SP API. The event feed and order lists are ordered by
// global sequence numbers; as plain numbers, their gaps would show an SP how
// busy the other SPs are. A cursor is the sequence number, the feed and a tag
// of the SP, encrypted as one AES block with a key of this database: 22
// base64url characters that mean nothing outside, and that only the SP they
// were given to can use. Plain digits (the cursors of earlier versions, and
// "0" for the start) are still accepted.
import { createCipheriv, createDecipheriv, createHash } from 'node:crypto';
import type { DB } from './db';
import { DomainError } from './errors';

export type CursorKind = 'events' | 'orders';

const KIND: Record<CursorKind, number> = { events: 0x65, orders: 0x6f };

export const OPAQUE_CURSOR_RE = /^[A-Za-z0-9_-]{22}$/;
const LEGACY_RE = /^[0-9]{1,15}$/;

export class CursorCodec {
  private readonly key: Buffer;

  constructor(db: DB) {
    const row = db.prepare(`SELECT value FROM meta WHERE name = 'cursor_key'`).get() as { value: Buffer } | undefined;
    if (!row) throw new Error('the database has no cursor key (schema too old)');
    this.key = row.value;
  }

  private tag(spId: string): Buffer {
    return createHash('sha256').update(spId).digest().subarray(0, 7);
  }

  encode(kind: CursorKind, spId: string, seq: number): string {
    const block = Buffer.alloc(16);
    block[0] = KIND[kind];
    this.tag(spId).copy(block, 1);
    block.writeBigUInt64BE(BigInt(seq), 8);
    const c = createCipheriv('aes-128-ecb', this.key, null).setAutoPadding(false);
    return Buffer.concat([c.update(block), c.final()]).toString('base64url');
  }

  /** The sequence number of a cursor this SP was given (or a plain number); INVALID_ARGUMENT otherwise. */
  decode(kind: CursorKind, spId: string, cursor: string): number {
    if (LEGACY_RE.test(cursor)) return Number(cursor);
    if (OPAQUE_CURSOR_RE.test(cursor)) {
      const d = createDecipheriv('aes-128-ecb', this.key, null).setAutoPadding(false);
      const block = Buffer.concat([d.update(Buffer.from(cursor, 'base64url')), d.final()]);
      if (block.length === 16 && block[0] === KIND[kind] && block.subarray(1, 8).equals(this.tag(spId))) {
        const seq = block.readBigUInt64BE(8);
        if (seq <= BigInt(Number.MAX_SAFE_INTEGER)) return Number(seq);
      }
    }
    throw new DomainError('INVALID_ARGUMENT', `"${cursor.slice(0, 40)}" is not a cursor of your ${kind}`);
  }
}
