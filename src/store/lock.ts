// One daemon per database: an exclusive lock file next to it holding the pid.
// A lock left by a dead process (SIGKILL, power cut) is taken over.
import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';

export class DatabaseLockedError extends Error {
  constructor(
    readonly file: string,
    readonly pid: number,
  ) {
    super(`database ${file} is in use by another gnpay run (pid ${pid}); stop it first`);
    this.name = 'DatabaseLockedError';
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

export interface DbLock {
  path: string;
  release(): void;
}

export function lockDatabase(dbFile: string): DbLock {
  const path = `${dbFile}.lock`;
  for (let tries = 0; ; tries++) {
    try {
      const fd = openSync(path, 'wx', 0o600);
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      let released = false;
      return {
        path,
        release() {
          if (released) return;
          released = true;
          try {
            if (readFileSync(path, 'utf8').trim() === String(process.pid)) unlinkSync(path);
          } catch {
            /* already gone */
          }
        },
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || tries > 0) throw err;
      const pid = Number(readFileSync(path, 'utf8').trim());
      if (Number.isInteger(pid) && pid > 0 && alive(pid)) throw new DatabaseLockedError(dbFile, pid);
      unlinkSync(path); // stale: its process is gone
    }
  }
}
