// Opening the SQLite database: WAL, full fsync on commit, migrations, and an
// integrity check (PRAGMA quick_check) for the daemon, which refuses a damaged
// file instead of serving 500s from it or writing more into it.
import { chmodSync, closeSync, openSync, statSync } from 'node:fs';
import Database from 'better-sqlite3';
import { MIGRATIONS } from './migrations';

/**
 * The database holds MSISDNs and webhook secrets: its files (and the -wal and
 * -shm SQLite creates beside it, with the database file's mode) are readable
 * by their owner only. Creates `file` empty with mode 0600 when it does not
 * exist, and takes group and other bits off one that does (a file made by an
 * older gnpay, or a copy). Best effort for files this user does not own.
 */
export function privateFile(file: string, create = true): void {
  if (file === ':memory:' || file === '') return;
  if (create) {
    try {
      closeSync(openSync(file, 'wx', 0o600));
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') return; // the open that follows reports it
    }
  }
  try {
    const { mode, uid } = statSync(file);
    if ((mode & 0o077) !== 0 && (process.getuid === undefined || uid === process.getuid()))
      chmodSync(file, mode & 0o700);
  } catch {
    /* not ours, or gone: nothing to tighten */
  }
}

export type DB = Database.Database;

export interface OpenOptions {
  /** fsync on every commit (default true): an association survives a power cut, not only a crash */
  fullSync?: boolean;
  busyTimeoutMs?: number;
  /** run PRAGMA quick_check after opening and throw DatabaseDamagedError on any finding (default false) */
  quickCheck?: boolean;
}

/** The database file cannot be used as it is: damaged, newer than this gnpay, read-only, not a database. */
export class DatabaseOpenError extends Error {
  constructor(
    readonly file: string,
    message: string,
    readonly kind: 'damaged' | 'newer' | 'readonly' | 'unreadable',
  ) {
    super(message);
    this.name = 'DatabaseOpenError';
  }
}

export class DatabaseDamagedError extends DatabaseOpenError {
  constructor(
    file: string,
    readonly findings: string[],
  ) {
    super(
      file,
      `database ${file} is damaged (PRAGMA quick_check: ${findings.slice(0, 3).join('; ')}${findings.length > 3 ? `; and ${findings.length - 3} more` : ''}); restore it from a backup: gnpay db restore BACKUP --db ${file}`,
      'damaged',
    );
    this.name = 'DatabaseDamagedError';
  }
}

const CODE_KIND: Record<string, DatabaseOpenError['kind']> = {
  SQLITE_CORRUPT: 'damaged',
  SQLITE_NOTADB: 'damaged',
  SQLITE_READONLY: 'readonly',
  SQLITE_READONLY_DBMOVED: 'readonly',
  SQLITE_READONLY_DIRECTORY: 'readonly',
  SQLITE_READONLY_RECOVERY: 'readonly',
  SQLITE_READONLY_CANTINIT: 'readonly',
  SQLITE_READONLY_CANTLOCK: 'readonly',
  SQLITE_CANTOPEN: 'unreadable',
  SQLITE_IOERR: 'unreadable',
  SQLITE_PERM: 'readonly',
};

/** An error of opening `file` as one line that says what to do (or the error itself when it is not about the file). */
export function describeOpenError(file: string, err: unknown): Error {
  if (err instanceof DatabaseOpenError) return err;
  const code = (err as { code?: string }).code ?? '';
  const kind =
    CODE_KIND[code] ??
    (code.startsWith('SQLITE_READONLY')
      ? 'readonly'
      : code.startsWith('SQLITE_IOERR')
        ? 'unreadable'
        : code.startsWith('SQLITE_CORRUPT')
          ? 'damaged'
          : undefined);
  if (!kind) return err as Error;
  const msg = (err as Error).message;
  const what =
    kind === 'readonly'
      ? `database ${file} is read-only (${msg}): run gnpay as a user that may write it and its directory`
      : kind === 'damaged'
        ? `database ${file} is damaged or not a gnpay database (${msg}); restore it from a backup: gnpay db restore BACKUP --db ${file}`
        : `database ${file} cannot be opened (${msg})`;
  return new DatabaseOpenError(file, what, kind);
}

export function openDatabase(file: string, opts: OpenOptions = {}): DB {
  let db: DB;
  privateFile(file);
  for (const ext of ['-wal', '-shm']) privateFile(file + ext, false);
  try {
    db = new Database(file);
  } catch (err) {
    throw describeOpenError(file, err);
  }
  try {
    db.pragma('journal_mode = WAL');
    db.pragma(`synchronous = ${opts.fullSync === false ? 'NORMAL' : 'FULL'}`);
    db.pragma(`busy_timeout = ${opts.busyTimeoutMs ?? 5000}`);
    db.pragma('foreign_keys = ON');
    if (opts.quickCheck) {
      const findings = quickCheck(db);
      if (findings.length) throw new DatabaseDamagedError(file, findings);
    }
    migrate(db);
  } catch (err) {
    db.close();
    if (err instanceof SchemaTooNewError)
      throw new DatabaseOpenError(file, `database ${file}: ${err.message}`, 'newer');
    throw describeOpenError(file, err);
  }
  return db;
}

const STORAGE =
  /^(SQLITE_(FULL|IOERR|BUSY|LOCKED|READONLY|CANTOPEN|NOMEM|PROTOCOL|CORRUPT|NOTADB|PERM)|ENOSPC|EIO|EDQUOT|EROFS)/;

/** An error of the storage (the database file, the disk: full, failing, locked, read-only) rather than of what was being written. */
export function isStorageError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && STORAGE.test(code);
}

/**
 * Runs `fn` in a transaction committed without fsync (synchronous = NORMAL:
 * consistent after a crash, but a power cut may lose it until the next
 * ordinary commit, which syncs the log with everything before it). Only for
 * bookkeeping whose loss is harmless, such as a webhook marked delivered
 * (delivered again then: at least once); never for money or an association.
 */
export function commitLazily<T>(db: DB, fn: () => T): T {
  const before = db.pragma('synchronous', { simple: true }) as number;
  if (before <= 1) return db.transaction(fn).immediate();
  db.pragma('synchronous = NORMAL');
  try {
    return db.transaction(fn).immediate();
  } finally {
    db.pragma(`synchronous = ${before}`);
  }
}

/** PRAGMA quick_check: the problems found (empty when the file is sound). */
export function quickCheck(db: DB, maxFindings = 20): string[] {
  const rows = db.pragma(`quick_check(${maxFindings})`, { simple: false }) as Array<{ quick_check: string }>;
  return checkFindings(rows.map((r) => r.quick_check));
}

/** The rows of quick_check / integrity_check as one finding a line ("ok" alone: none). */
export function checkFindings(rows: string[]): string[] {
  if (rows.length === 1 && rows[0] === 'ok') return [];
  return rows
    .flatMap((r) => r.split('\n'))
    .map((l) => l.trim())
    .filter((l) => l && !/^\*\*\* in database \w+ \*\*\*$/.test(l));
}

export class SchemaTooNewError extends Error {
  constructor(
    readonly version: number,
    readonly known: number,
  ) {
    super(`schema version ${version} is newer than this gnpay (${known}); upgrade gnpay`);
    this.name = 'SchemaTooNewError';
  }
}

function hasVersionTable(db: DB): boolean {
  return db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'`).get() !== undefined;
}

export function schemaVersion(db: DB): number {
  if (!hasVersionTable(db)) return 0;
  const row = db.prepare('SELECT version FROM schema_version').get() as { version: number } | undefined;
  return row ? row.version : 0;
}

/**
 * Applies the missing migrations, all in one transaction (a half-migrated
 * database never exists). A database that is up to date is only read, so the
 * admin commands can read a database they may not write.
 */
export function migrate(db: DB, migrations: string[] = MIGRATIONS): number {
  const seen = schemaVersion(db);
  if (seen > migrations.length) throw new SchemaTooNewError(seen, migrations.length);
  if (seen === migrations.length) return seen;
  const apply = db.transaction(() => {
    db.exec('CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)');
    const current = schemaVersion(db);
    if (current > migrations.length) throw new SchemaTooNewError(current, migrations.length);
    for (const migration of migrations.slice(current)) db.exec(migration);
    db.prepare('DELETE FROM schema_version').run();
    db.prepare('INSERT INTO schema_version (version) VALUES (?)').run(migrations.length);
    return migrations.length;
  });
  return apply.immediate();
}
