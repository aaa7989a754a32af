// Backup, restore and integrity checks of the database file.
//   backup:  SQLite's online backup API from a live database (a running daemon
//            goes on writing: WAL readers see one consistent snapshot), into a
//            temporary file that is checked, fsynced and renamed into place.
//   restore: the daemon lock is taken (no daemon may run), the backup checked,
//            the current file and its -wal/-shm moved aside (a WAL of the old
//            file must never be replayed into the restored one), the copy
//            fsynced and renamed into place.
//   check:   PRAGMA quick_check in a worker thread on a connection of its own,
//            so that a scheduled check never blocks the daemon's event loop.
import { closeSync, copyFileSync, existsSync, fsyncSync, openSync, renameSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { Worker } from 'node:worker_threads';
import Database from 'better-sqlite3';
import {
  checkFindings,
  DatabaseDamagedError,
  describeOpenError,
  openDatabase,
  privateFile,
  quickCheck,
  schemaVersion,
} from './db';
import { lockDatabase } from './lock';
import { MIGRATIONS } from './migrations';

export interface BackupResult {
  file: string;
  pages: number;
  bytes: number;
  schemaVersion: number;
}

function fsyncPath(path: string): void {
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Checks a standalone database file (a backup): quick_check and a schema this gnpay knows. */
export function checkFile(file: string): { pages: number; schemaVersion: number } {
  let db: Database.Database;
  try {
    db = new Database(file, { readonly: true, fileMustExist: true });
  } catch (err) {
    throw describeOpenError(file, err);
  }
  try {
    const findings = quickCheck(db);
    if (findings.length) throw new DatabaseDamagedError(file, findings);
    const version = schemaVersion(db);
    if (version === 0) throw new Error(`${file} is not a gnpay database (no schema version)`);
    if (version > MIGRATIONS.length)
      throw new Error(
        `${file} has schema version ${version}, newer than this gnpay (${MIGRATIONS.length}); upgrade gnpay`,
      );
    return { pages: db.pragma('page_count', { simple: true }) as number, schemaVersion: version };
  } catch (err) {
    throw describeOpenError(file, err);
  } finally {
    db.close();
  }
}

/** Copies the live database `db` into `target` (which must not exist). */
export async function backupDatabase(db: Database.Database, target: string): Promise<BackupResult> {
  if (existsSync(target)) throw new Error(`${target} exists; give a new file name`);
  const tmp = `${target}.partial-${process.pid}`;
  rmSync(tmp, { force: true });
  try {
    privateFile(tmp); // a backup holds what the database holds: owner only
    // every page in one step: one read snapshot, never restarted by the daemon's writes
    const r = await db.backup(tmp, { progress: () => 1 << 30 });
    // a standalone file: rollback journal, so that reading it never creates -wal/-shm files beside it
    const copy = new Database(tmp);
    copy.pragma('journal_mode = DELETE');
    copy.close();
    const info = checkFile(tmp);
    fsyncPath(tmp);
    renameSync(tmp, target);
    fsyncPath(dirname(target));
    const { size } = await import('node:fs').then((fs) => fs.statSync(target));
    return { file: target, pages: r.totalPages, bytes: size, schemaVersion: info.schemaVersion };
  } finally {
    for (const f of [tmp, `${tmp}-wal`, `${tmp}-shm`, `${tmp}-journal`]) rmSync(f, { force: true });
  }
}

export interface RestoreResult {
  file: string;
  /** where the file it replaced was moved (null when there was none) */
  movedAside: string | null;
  schemaVersion: number;
}

/** Replaces database `dbFile` with the backup `from` (refused while a daemon runs on it). */
export function restoreDatabase(from: string, dbFile: string, now = Date.now()): RestoreResult {
  checkFile(from);
  const lock = lockDatabase(dbFile);
  try {
    const tmp = `${dbFile}.restoring-${process.pid}`;
    copyFileSync(from, tmp);
    privateFile(tmp, false);
    fsyncPath(tmp);
    let movedAside: string | null = null;
    if (existsSync(dbFile)) {
      movedAside = `${dbFile}.replaced-${new Date(now).toISOString().replace(/[:.]/g, '-')}`;
      renameSync(dbFile, movedAside);
      for (const ext of ['-wal', '-shm']) if (existsSync(dbFile + ext)) renameSync(dbFile + ext, movedAside + ext);
    } else {
      for (const ext of ['-wal', '-shm']) rmSync(dbFile + ext, { force: true });
    }
    renameSync(tmp, dbFile);
    fsyncPath(dirname(dbFile));
    // migrations a newer gnpay needs, and the check of the file as the daemon opens it
    const db = openDatabase(dbFile, { quickCheck: true });
    const version = schemaVersion(db);
    db.close();
    return { file: dbFile, movedAside, schemaVersion: version };
  } finally {
    lock.release();
  }
}

const CHECK_WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.module);
let db;
try {
  db = new Database(workerData.file, { readonly: true, fileMustExist: true });
  const rows = db.pragma('quick_check(' + workerData.max + ')');
  const out = rows.map((r) => r.quick_check);
  parentPort.postMessage({ findings: out });
} catch (err) {
  parentPort.postMessage({ findings: [String(err && err.message || err)], error: true, code: err && err.code });
} finally {
  if (db) db.close();
}
`;

/** PRAGMA quick_check of `file` in a worker thread: the problems found (empty when sound). */
export function quickCheckInWorker(
  file: string,
  maxFindings = 20,
): Promise<{ findings: string[]; error?: boolean; code?: string }> {
  return new Promise((resolve, reject) => {
    const w = new Worker(CHECK_WORKER, {
      eval: true,
      workerData: { file, max: maxFindings, module: require.resolve('better-sqlite3') },
    });
    w.once('message', (m: { findings: string[]; error?: boolean; code?: string }) =>
      resolve(m.error ? m : { findings: checkFindings(m.findings) }),
    );
    w.once('error', reject);
    w.once('exit', (code) =>
      code !== 0 ? reject(new Error(`integrity check worker exited with ${code}`)) : undefined,
    );
  });
}
