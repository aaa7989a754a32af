// gnpay db backup|restore|check: the database file itself.
import type { Command } from 'commander';
import Database from 'better-sqlite3';
import { checkFindings, DatabaseOpenError, describeOpenError, quickCheck } from '../store/db';
import { backupDatabase, restoreDatabase } from '../store/backup';
import { copyKeyBeside } from '../store/secrets';
import { DatabaseLockedError } from '../store/lock';
import { CliError, EXIT_FAILURE, UsageError } from './common';
import { ADMIN_CONFIG_HELP, adminConfig, print } from './run';

function dbFile(o: { db?: string; config?: string }): string {
  const config = adminConfig(o, o.db !== undefined ? { db: o.db } : {});
  if (!config.db) throw new UsageError('a database is required: --db FILE (or "db" in the config file)');
  return config.db;
}

function openExisting(file: string, readonly = false): Database.Database {
  try {
    const db = new Database(file, { fileMustExist: true, readonly });
    db.pragma('busy_timeout = 5000');
    return db;
  } catch (err) {
    throw new CliError(describeOpenError(file, err).message);
  }
}

function fail(file: string, err: unknown): never {
  if (err instanceof CliError) throw err;
  throw new CliError(describeOpenError(file, err).message);
}

export function registerDb(program: Command): void {
  const db = program.command('db').description('the database file: online backup, restore, integrity check');
  const opts = (c: Command) =>
    c
      .option('--db <file>', 'the SQLite database (default: "db" in the configuration)')
      .option('--config <file>', ADMIN_CONFIG_HELP)
      .option('--json', 'print JSON');
  opts(
    db
      .command('backup')
      .description(
        "copy the database into FILE with SQLite's online backup (safe while gnpay runs), then check the copy",
      )
      .argument('<file>', 'the backup to write (must not exist)'),
  ).action(async (target: string, o: { db?: string; config?: string; json?: boolean }) => {
    const file = dbFile(o);
    const src = openExisting(file);
    try {
      const r = await backupDatabase(src, target);
      // the webhook secrets in the copy are encrypted under <db>.key: it goes with the backup
      const key = copyKeyBeside(file, target);
      const out = { ...r, key };
      print(
        o.json,
        out,
        () =>
          `backup ${r.file}: ${r.pages} pages, ${r.bytes} bytes, schema ${r.schemaVersion}, integrity ok${key ? `; its key ${key}` : ''}`,
      );
    } catch (err) {
      fail(file, err);
    } finally {
      src.close();
    }
  });
  opts(
    db
      .command('restore')
      .description(
        'replace the database with a backup (gnpay run must be stopped; the replaced file is kept beside it)',
      )
      .argument('<backup>', 'a file written by gnpay db backup'),
  ).action((from: string, o: { db?: string; config?: string; json?: boolean }) => {
    const file = dbFile(o);
    try {
      const r = restoreDatabase(from, file);
      // and the key the backup's webhook secrets are encrypted under (the replaced one is kept beside it)
      const key = copyKeyBeside(from, file);
      const out = { ...r, key };
      print(
        o.json,
        out,
        () =>
          `restored ${r.file} from ${from} (schema ${r.schemaVersion}); ${r.movedAside ? `the replaced file is ${r.movedAside}` : 'there was no file before'}${key ? `; its key ${key}` : ''}`,
      );
    } catch (err) {
      if (err instanceof DatabaseLockedError)
        throw new CliError(`${err.message}: a database is restored only while no gnpay run uses it`);
      fail(file, err);
    }
  });
  opts(
    db
      .command('check')
      .description('PRAGMA quick_check (or integrity_check with --full); exit 1 when the file is damaged')
      .option('--full', 'PRAGMA integrity_check: also compares every index with its table (slower)'),
  ).action((o: { db?: string; config?: string; json?: boolean; full?: boolean }) => {
    const file = dbFile(o);
    const conn = openExisting(file, true);
    let findings: string[];
    try {
      if (o.full) {
        findings = checkFindings(
          (conn.pragma('integrity_check(100)') as Array<{ integrity_check: string }>).map((r) => r.integrity_check),
        );
      } else findings = quickCheck(conn, 100);
    } catch (err) {
      const e = describeOpenError(file, err);
      // the check itself tripping over a damaged page is a finding too
      if (!(e instanceof DatabaseOpenError) || e.kind !== 'damaged') throw new CliError(e.message);
      findings = [(err as Error).message];
    } finally {
      conn.close();
    }
    print(o.json, { file, ok: findings.length === 0, findings }, () =>
      findings.length ? [`${file}: damaged`, ...findings.map((f) => `  ${f}`)].join('\n') : `${file}: ok`,
    );
    if (findings.length) process.exitCode = EXIT_FAILURE;
  });
}
