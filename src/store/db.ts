// Opening the SQLite database: WAL, full fsync on commit, migrations.
import Database from 'better-sqlite3';
import { MIGRATIONS } from './migrations';

export type DB = Database.Database;

export interface OpenOptions {
  /** fsync on every commit (default true): an association survives a power cut, not only a crash */
  fullSync?: boolean;
  busyTimeoutMs?: number;
}

export function openDatabase(file: string, opts: OpenOptions = {}): DB {
  const db = new Database(file);
  try {
    db.pragma('journal_mode = WAL');
    db.pragma(`synchronous = ${opts.fullSync === false ? 'NORMAL' : 'FULL'}`);
    db.pragma(`busy_timeout = ${opts.busyTimeoutMs ?? 5000}`);
    db.pragma('foreign_keys = ON');
    migrate(db);
  } catch (err) {
    db.close();
    throw err;
  }
  return db;
}

export function schemaVersion(db: DB): number {
  db.exec('CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)');
  const row = db.prepare('SELECT version FROM schema_version').get() as { version: number } | undefined;
  return row ? row.version : 0;
}

/** Applies the missing migrations, all in one transaction (a half-migrated database never exists). */
export function migrate(db: DB, migrations: string[] = MIGRATIONS): number {
  const apply = db.transaction(() => {
    const current = schemaVersion(db);
    if (current > migrations.length) {
      throw new Error(`database schema version ${current} is newer than this gnpay (${migrations.length}); upgrade gnpay`);
    }
    for (let v = current; v < migrations.length; v++) db.exec(migrations[v]);
    db.prepare('DELETE FROM schema_version').run();
    db.prepare('INSERT INTO schema_version (version) VALUES (?)').run(migrations.length);
    return migrations.length;
  });
  return apply.immediate();
}
