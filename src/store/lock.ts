// One daemon per database: an exclusive SQLite lock on `<db>.lock`, held for
// the life of the process. SQLite locks with fcntl(2), so the kernel releases
// the lock when the process ends in any way (SIGKILL, OOM, power cut of a
// container): nothing is PID-based, a PID namespace or a reused PID changes
// nothing, and of two daemons started at the same instant exactly one gets it.
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

/** How long a starter waits for a lock step another starter is about to give back. */
const ESCALATION_WAIT_MS = 200;

/**
 * Takes the daemon lock of `dbFile` or throws DatabaseLockedError. It does
 * not wait for a running holder: a refusal comes after ESCALATION_WAIT_MS.
 */
export function lockDatabase(dbFile: string): DbLock {
  const path = `${dbFile}.lock`;
  const pidFile = `${dbFile}.pid`;
  for (let tries = 0; ; tries++) {
    let conn: Database.Database | null = null;
    try {
      privateFile(path);
      conn = new Database(path, { timeout: ESCALATION_WAIT_MS });
      conn.pragma('journal_mode = MEMORY');
      // Two starters of the same instant both take SHARED, then both try to
      // escalate. BEGIN EXCLUSIVE runs in the normal locking mode, where the
      // one that fails to take RESERVED gives back its SHARED lock at once,
      // and the busy timeout lets the other wait for that instead of failing
      // too. (In EXCLUSIVE locking mode the loser would keep SHARED and both
      // would be refused.) Switched inside the transaction, EXCLUSIVE mode
      // keeps the file's exclusive lock after COMMIT until the connection
      // closes.
      conn.exec('BEGIN EXCLUSIVE');
      conn.pragma('locking_mode = EXCLUSIVE');
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
