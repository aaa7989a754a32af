// TLS connection bindings: what the probe reports of ClientHellos to the pay
// host(s) (client random -> tunnel-resolved subscriber), and what the pay
// listener looks up for each connection it terminates. Both sides go through
// this table, so a probe and pay front-ends can run as separate processes
// sharing one database. Only ClientHellos resolved by tunnel (TEID) with an
// MSISDN are kept; rows live for `ttlMs` and the table has a hard cap.
// A random reported from two different subscribers binds neither: the row is
// kept with an empty MSISDN (a tombstone), so the listener finds it unbound and
// a later report cannot bind it again.
import type { HelloEvent } from '../native/types';
import type { DB } from './db';
import type { Clock } from './types';

export interface Binding {
  random: string;
  seenAt: number;
  /** capture time of the ClientHello */
  ts: string;
  sni: string;
  msisdn: string;
  imsi: string | null;
  ueIp: string | null;
  teid: number;
  gsnSrc: string | null;
  gsnDst: string | null;
}

export type HelloOutcome = 'bound' | 'unresolved' | 'duplicate' | 'conflict' | 'capped';

interface Row {
  random: string;
  seen_at: number;
  ts: string;
  sni: string;
  msisdn: string;
  imsi: string | null;
  ue_ip: string | null;
  teid: number;
  gsn_src: string | null;
  gsn_dst: string | null;
}

const toBinding = (r: Row): Binding => ({
  random: r.random,
  seenAt: r.seen_at,
  ts: r.ts,
  sni: r.sni,
  msisdn: r.msisdn,
  imsi: r.imsi,
  ueIp: r.ue_ip,
  teid: r.teid,
  gsnSrc: r.gsn_src,
  gsnDst: r.gsn_dst,
});

export interface BindingOptions {
  /** most rows kept (the oldest go first beyond it) */
  maxRows?: number;
}

const CAP_CHECK = 100;

export class BindingStore {
  private readonly insert;
  private readonly byRandom;
  private readonly poison;
  private readonly prune;
  private readonly count;
  private readonly dropOldest;
  private readonly maxRows: number;
  private inserted = 0;
  private listeners = new Set<() => void>();

  constructor(
    db: DB,
    private readonly clock: Clock,
    o: BindingOptions = {},
  ) {
    this.maxRows = o.maxRows ?? 200_000;
    this.insert = db.prepare(
      `INSERT OR IGNORE INTO tls_hellos (random, seen_at, ts, sni, msisdn, imsi, ue_ip, teid, gsn_src, gsn_dst)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.byRandom = db.prepare('SELECT * FROM tls_hellos WHERE random = ?');
    this.poison = db.prepare("UPDATE tls_hellos SET msisdn = '', imsi = NULL WHERE random = ? AND msisdn <> ?");
    this.prune = db.prepare(
      'DELETE FROM tls_hellos WHERE random IN (SELECT random FROM tls_hellos WHERE seen_at < ? ORDER BY seen_at LIMIT ?)',
    );
    this.count = db.prepare('SELECT COUNT(*) FROM tls_hellos').pluck();
    this.dropOldest = db.prepare(
      'DELETE FROM tls_hellos WHERE random IN (SELECT random FROM tls_hellos ORDER BY seen_at LIMIT ?)',
    );
  }

  /**
   * Records the probe's ClientHello reports (call inside a transaction for a
   * batch). Only `resolvedBy: "teid"` with an MSISDN binds: a hello resolved by
   * UE address (spoofable inside an attacker's own tunnel) or not at all is
   * counted and dropped.
   */
  record(h: HelloEvent, now = this.clock()): HelloOutcome {
    if (h.resolvedBy !== 'teid' || h.msisdn === null) return 'unresolved';
    // the cap: checked every CAP_CHECK inserts, so the table holds at most maxRows + CAP_CHECK rows
    if (++this.inserted % CAP_CHECK === 0) {
      const n = this.count.get() as number;
      if (n >= this.maxRows) this.dropOldest.run(n - this.maxRows + Math.max(1, Math.floor(this.maxRows / 100)));
    }
    const msisdn = h.msisdn.startsWith('+') ? h.msisdn.slice(1) : h.msisdn;
    const r = this.insert.run(
      h.random.toLowerCase(),
      now,
      h.ts,
      h.sni.toLowerCase(),
      msisdn,
      h.imsi,
      h.ueIp,
      h.teid,
      h.gsnSrc,
      h.gsnDst,
    );
    if (r.changes === 1) return 'bound';
    // the same random from another subscriber (or one already in conflict): nobody is bound by it
    return this.poison.run(h.random.toLowerCase(), msisdn).changes === 1 || this.get(h.random) === null
      ? 'conflict'
      : 'duplicate';
  }

  /** Tells waiting lookups that new bindings were committed (same process). */
  notify(): void {
    for (const l of [...this.listeners]) l();
  }

  get(random: string): Binding | null {
    const r = this.byRandom.get(random.toLowerCase()) as Row | undefined;
    return r && r.msisdn !== '' ? toBinding(r) : null;
  }

  /**
   * The binding of a client random, waiting up to `timeoutMs` for the probe to
   * report it (it may see the ClientHello a little after the listener does).
   * Polls the store every `pollMs` and whenever this process commits bindings.
   */
  async lookup(random: string, timeoutMs: number, pollMs = 25): Promise<Binding | null> {
    const first = this.get(random);
    if (first || timeoutMs <= 0) return first;
    const deadline = Date.now() + timeoutMs;
    return new Promise((resolve) => {
      let timer: NodeJS.Timeout | null = null;
      const done = (b: Binding | null) => {
        this.listeners.delete(check);
        if (timer) clearTimeout(timer);
        resolve(b);
      };
      const check = () => {
        let b: Binding | null = null;
        try {
          b = this.get(random);
        } catch {
          b = null; // a busy or closing database: treated as not (yet) bound
        }
        if (b) return done(b);
        const left = deadline - Date.now();
        if (left <= 0) return done(null);
        if (timer) clearTimeout(timer);
        timer = setTimeout(check, Math.min(pollMs, left));
      };
      this.listeners.add(check);
      timer = setTimeout(check, Math.min(pollMs, timeoutMs));
    });
  }

  /** Deletes bindings seen before `before`, up to `limit`; returns how many. */
  pruneBefore(before: number, limit = 5000): number {
    return this.prune.run(before, limit).changes;
  }

  size(): number {
    return this.count.get() as number;
  }
}
