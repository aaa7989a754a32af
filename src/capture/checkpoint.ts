// The tunnel table's checkpoint in the daemon's database: PDP contexts last
// hours or days, so a restarted daemon must still know who owns which tunnel.
// Saved periodically and on shutdown, restored at start with an age limit.
import type { Database } from 'better-sqlite3';

export interface Checkpoint {
  savedAt: number; // ms since the epoch
  sessions: number;
  data: Buffer;
}

export class CheckpointStore {
  constructor(private readonly db: Database) {}

  save(data: Buffer, sessions: number, now = Date.now()): void {
    this.db
      .prepare(
        `INSERT INTO engine_checkpoint (id, saved_at, sessions, data) VALUES (1, ?, ?, ?)
         ON CONFLICT(id) DO UPDATE SET saved_at = excluded.saved_at, sessions = excluded.sessions, data = excluded.data`,
      )
      .run(now, sessions, data);
  }

  load(): Checkpoint | null {
    const row = this.db.prepare('SELECT saved_at, sessions, data FROM engine_checkpoint WHERE id = 1').get() as
      { saved_at: number; sessions: number; data: Buffer } | undefined;
    return row ? { savedAt: row.saved_at, sessions: row.sessions, data: row.data } : null;
  }
}

/** The engine surface the checkpoint needs (src/native Engine). */
export interface CheckpointEngine {
  exportSessions(): Buffer;
  importSessions(checkpoint: Buffer, nowMs: number, maxAgeMs: number): number;
  tables(): Record<string, number>;
}

/**
 * Restores the checkpoint into the engine: contexts whose last create/update
 * (capture time) is older than maxAgeMs are left out. Returns how many were
 * restored; a damaged checkpoint is reported and ignored (the table then
 * fills again from live GTP-C).
 */
export function restoreCheckpoint(
  store: CheckpointStore,
  engine: CheckpointEngine,
  maxAgeMs: number,
  now = Date.now(),
): { restored: number; savedAt: number | null; error: string | null } {
  const cp = store.load();
  if (!cp) return { restored: 0, savedAt: null, error: null };
  try {
    return { restored: engine.importSessions(cp.data, now, maxAgeMs), savedAt: cp.savedAt, error: null };
  } catch (err) {
    return { restored: 0, savedAt: cp.savedAt, error: (err as Error).message };
  }
}

export function saveCheckpoint(store: CheckpointStore, engine: CheckpointEngine, now = Date.now()): number {
  const data = engine.exportSessions();
  const sessions = engine.tables().sessions ?? 0;
  store.save(data, sessions, now);
  return sessions;
}
