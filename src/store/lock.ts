// One daemon per database: an exclusive SQLite lock on `<db>.lock`, held for
// the life of the process. SQLite locks with fcntl(2), so the kernel releases
// the lock when the process ends in any way (SIGKILL, OOM, power cut of a
// container): nothing is PID-based, a PID namespace or a reused PID changes
// nothing, and two daemons started at the same instant cannot both get it.
// `<db>.pid` only says who holds it, for the refusal message.
import { readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import Database from 'better-sqlite3';
import { privateFile } from './db';

export class DatabaseLockedError extends Error {
  constructor(
    readonly file: string,
    readonly pid: number | null,
  ) {
    super(`database ${file} is in use by another gnpay run${pid ? ` (pid ${pid})` : ''}; stop it first`);
    this.name = 'DatabaseLockedError';
  }
}

export interface DbLock {
  path: string;
  release(): void;
}

function holder(pidFile: string): number | null {
  try {
    const pid = Number(readFileSync(pidFile, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

function isBusy(err: unknown): boolean {
  const code = (err as { code?: string }).code ?? '';
  return code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED');
}

/** Takes the daemon lock of `dbFile` or throws DatabaseLockedError (never waits). */
export function lockDatabase(dbFile: string): DbLock {
  const path = `${dbFile}.lock`;
  const pidFile = `${dbFile}.pid`;
  for (let tries = 0; ; tries++) {
    let conn: Database.Database | null = null;
    try {
      privateFile(path);
      conn = new Database(path, { timeout: 0 });
      conn.pragma('locking_mode = EXCLUSIVE');
      conn.pragma('journal_mode = MEMORY');
      // the first write of a connection in EXCLUSIVE locking mode takes the
      // file's exclusive lock and keeps it until the connection closes
      conn.exec('BEGIN EXCLUSIVE');
      conn.exec('CREATE TABLE IF NOT EXISTS holder (pid INTEGER NOT NULL, since INTEGER NOT NULL)');
      conn.exec('DELETE FROM holder');
      conn.prepare('INSERT INTO holder (pid, since) VALUES (?, ?)').run(process.pid, Date.now());
      conn.exec('COMMIT');
    } catch (err) {
      conn?.close();
      if (isBusy(err)) throw new DatabaseLockedError(dbFile, holder(pidFile));
      const code = (err as { code?: string }).code ?? '';
      if (code.startsWith('SQLITE_READONLY') || code.startsWith('SQLITE_CANTOPEN') || code === 'SQLITE_PERM') {
        throw new Error(
          `cannot take the daemon lock ${path} (${(err as Error).message}): it must be writable by the user gnpay runs as, like the database`,
        );
      }
      if ((err as { code?: string }).code === 'SQLITE_NOTADB' && tries === 0) {
        // the PID file of an older gnpay: honoured while its process lives, else replaced
        const pid = holder(path);
        if (pid !== null && alive(pid)) throw new DatabaseLockedError(dbFile, pid);
        unlinkSync(path);
        continue;
      }
      throw err;
    }
    try {
      writeFileSync(pidFile, `${process.pid}\n`, { mode: 0o600 });
    } catch {
      /* informational only */
    }
    const held = conn;
    let released = false;
    return {
      path,
      release() {
        if (released) return;
        released = true;
        if (holder(pidFile) === process.pid) {
          try {
            unlinkSync(pidFile);
          } catch {
            /* already gone */
          }
        }
        held.close();
      },
    };
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
