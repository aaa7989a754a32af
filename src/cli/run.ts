// gnpay run --db FILE --listen HOST:PORT [--read CAPTURE...] [--config FILE] [--carrier kind:arg]... [--interface IF]... [--filter BPF]
import type { Command } from 'commander';
import { ConfigError, loadConfig, storeOptions, type Config, type ConfigInput } from '../config';
import { defaultConfigFile } from '../config-file';
import { openReplay, closeReplay } from '../daemon/replay-source';
import { carrierError, checkReadable } from '../native';
import type { Daemon } from '../pipeline/daemon';
import type { Store } from '../store';
import {
  CliError,
  collect,
  EXIT_CAPTURE,
  EXIT_FAILURE,
  EXIT_LISTEN,
  EXIT_USAGE,
  ListenError,
  UsageError,
} from './common';
import { VERSION } from '../version';

export interface RunFlags {
  db?: string;
  listen?: string;
  opsListen?: string;
  config?: string;
  read?: string[];
  carrier?: string[];
  interface?: string[];
  filter?: string;
  payUrl?: string;
  payListen?: string;
  payCert?: string;
  payKey?: string;
  payHost?: string[];
  payInsecureHttp?: boolean;
  logLevel?: string;
  exitWhenDone?: boolean;
}

/** The flags as a config overlay (flags override the file). */
export function flagsToConfig(o: RunFlags): ConfigInput {
  const c: Record<string, unknown> = {};
  if (o.db !== undefined) c.db = o.db;
  if (o.listen !== undefined) c.listen = o.listen;
  if (o.opsListen !== undefined) c.opsListen = o.opsListen;
  if (o.carrier !== undefined) c.carriers = o.carrier;
  if (o.payUrl !== undefined) c.payUrlTemplate = o.payUrl;
  const pay: Record<string, unknown> = {};
  if (o.payListen !== undefined) pay.listen = o.payListen;
  if (o.payCert !== undefined || o.payKey !== undefined)
    pay.tls = {
      ...(o.payCert !== undefined ? { cert: o.payCert } : {}),
      ...(o.payKey !== undefined ? { key: o.payKey } : {}),
    };
  if (o.payHost !== undefined) pay.hosts = o.payHost;
  if (o.payInsecureHttp) pay.insecureHttp = true;
  if (Object.keys(pay).length > 0) c.pay = pay;
  const capture: Record<string, unknown> = {};
  if (o.interface !== undefined) capture.interfaces = o.interface;
  if (o.filter !== undefined) capture.filter = o.filter;
  if (Object.keys(capture).length > 0) c.capture = capture;
  if (o.logLevel !== undefined) c.log = { level: o.logLevel };
  return c;
}

/**
 * The configuration of an admin command (sp, orders, ledger, db, sightings,
 * config): --config, else the service's file ($GNPAY_CONFIG, /etc/gnpay/config.yaml,
 * .yml or .json), so that e.g. `sp add` hashes keys with the daemon's pepper.
 */
export function adminConfig(o: { config?: string }, flags: ConfigInput = {}) {
  return configFrom(o.config ?? defaultConfigFile() ?? undefined, flags);
}

export function configFrom(file: string | undefined, flags: ConfigInput) {
  try {
    return loadConfig(file ?? null, flags);
  } catch (err) {
    throw new CliError((err as ConfigError).message, EXIT_USAGE);
  }
}

export async function run(o: RunFlags): Promise<number> {
  for (const c of o.carrier ?? []) {
    const err = carrierError(c);
    if (err) throw new UsageError(err);
  }
  if (o.exitWhenDone && !o.read?.length) throw new UsageError('--exit-when-done needs --read');
  // a capture that cannot be read is refused before the API starts (exit 3, as gnpay decode)
  for (const f of o.read ?? []) {
    try {
      checkReadable(f);
    } catch (err) {
      throw new CliError((err as Error).message, EXIT_CAPTURE);
    }
  }
  const flags = flagsToConfig(o);
  const config = configFrom(o.config, flags);
  if (!config.db) throw new UsageError('a database is required: --db FILE (or "db" in the config file)');
  // the capture files are read and decoded from here on, while the daemon's modules load and it starts
  const replay = o.read?.length ? openReplay(config, o.read) : undefined;
  let daemon: Daemon;
  try {
    const { Daemon } = require('../pipeline/daemon') as typeof import('../pipeline/daemon');
    daemon = await Daemon.start({
      config,
      configFile: o.config ?? null,
      flags,
      read: o.read,
      replay,
      exitWhenDone: o.exitWhenDone,
      signals: true,
      version: VERSION,
    });
  } catch (err) {
    await closeReplay(replay ?? null);
    if (err instanceof ConfigError) throw new CliError(err.message, EXIT_USAGE);
    if (err instanceof ListenError) throw new CliError(err.message, EXIT_LISTEN);
    // the database is locked, the address is in use, ...
    throw new CliError((err as Error).message);
  }
  process.stderr.write(`gnpay: listening on ${daemon.url}\n`);
  if (daemon.payUrl) process.stderr.write(`gnpay: pay page on ${daemon.payUrl}\n`);
  if (daemon.opsUrl) process.stderr.write(`gnpay: operations (/metrics, /healthz, /readyz) on ${daemon.opsUrl}\n`);
  const code = await daemon.done;
  // lingering keep-alive sockets must not hold the process past its end
  setTimeout(() => process.exit(code), 200).unref();
  return code;
}

export function registerRun(program: Command): void {
  program
    .command('run')
    .description('run the daemon: capture -> decode -> associate -> charge -> notify, and the SP API')
    .option('--db <file>', 'the SQLite database (created when missing)')
    .option('--listen <host:port>', 'address of the SP API (default 127.0.0.1:8080)')
    .option(
      '--ops-listen <host:port>',
      'serve /metrics, /healthz and /readyz on this separate address (then /metrics is not on the SP API)',
    )
    .option('--config <file>', 'configuration file, YAML or JSON (flags override it; reloaded on SIGHUP)')
    .option(
      '--read <captures...>',
      'replay captures through the pipeline: pcap or pcapng files, plain, .gz or .zst, named pipes, or - (standard input) (repeatable)',
      (v: string, p: string[] | undefined) => collect(v, p),
    )
    .option('--exit-when-done', 'with --read: exit once every association from the captures is charged and notified')
    .option(
      '-c, --carrier <kind:arg>',
      'extra token carrier (repeatable); the one implied by the pay URL template is always active',
      collect,
    )
    .option('-i, --interface <name>', 'capture live on this interface (repeatable)', collect)
    .option(
      '-f, --filter <expression>',
      'BPF expression (tcpdump syntax) for the capture: replaces the default live filter, and applies to --read files too',
    )
    .option('--pay-url <template>', 'pay URL template, e.g. "http://pay.example.net/pay?pay_token={token}"')
    .option('--pay-listen <host:port>', 'serve the pay page (HTTPS) on this address, e.g. 0.0.0.0:443')
    .option('--pay-cert <file>', "the pay host's certificate chain (PEM)")
    .option('--pay-key <file>', "the pay host's private key (PEM)")
    .option(
      '--pay-host <name>',
      "another name the pay page is served under (repeatable; the pay URL template's host always is one)",
      collect,
    )
    .option(
      '--pay-insecure-http',
      'lab only: serve the pay page over plain HTTP (no connection can be bound, nothing confirmed)',
    )
    .option('--log-level <level>', 'fatal, error, warn, info, debug, trace or silent')
    .addHelpText(
      'after',
      '\nSignals: SIGTERM/SIGINT drain and stop (bounded by shutdown.timeoutMs), SIGHUP reloads the configuration.' +
        '\nExit codes: 0 stopped or done, 1 runtime failure (capture lost, database damaged), 2 bad usage or configuration' +
        ' (a capture filter libpcap rejects), 3 unreadable capture file, 4 a listen address in use or not permitted.',
    )
    .action(async (o: RunFlags) => {
      process.exitCode = await run(o);
    });
}

/** Help of --config for the admin commands. */
export const ADMIN_CONFIG_HELP =
  'configuration file (YAML or JSON; default: $GNPAY_CONFIG, else /etc/gnpay/config.yaml, .yml or .json when it exists)';

/** For the admin commands (sp, orders, ledger, sightings): --db / --config select the database and its secrets. */
export function addDbOptions(cmd: Command): Command {
  return cmd
    .option('--db <file>', 'the SQLite database (default: "db" in the configuration)')
    .option('--config <file>', ADMIN_CONFIG_HELP)
    .option('--json', 'print JSON');
}

export function openStoreFor(o: { db?: string; config?: string }, extra: ConfigInput = {}) {
  const config = adminConfig(o, { ...extra, ...(o.db !== undefined ? { db: o.db } : {}) });
  if (!config.db) throw new UsageError('a database is required: --db FILE (or "db" in the config file)');
  const options = storeOptions(config);
  const { Store } = require('../store') as typeof import('../store');
  const { describeOpenError } = require('../store/db') as typeof import('../store/db');
  try {
    return { config, store: Store.open(config.db, options) };
  } catch (err) {
    // a newer schema, a read-only or damaged file: one line, no stack
    throw new CliError(describeOpenError(config.db, err).message);
  }
}

/** Runs `fn` with an open store and closes it after. */
export async function withStore<T>(
  o: { db?: string; config?: string },
  fn: (store: Store, config: Config) => T | Promise<T>,
  extra: ConfigInput = {},
): Promise<T> {
  const { store, config } = openStoreFor(o, extra);
  const { DomainError } = require('../store') as typeof import('../store');
  const { describeOpenError } = require('../store/db') as typeof import('../store/db');
  try {
    return await fn(store, config);
  } catch (err) {
    if (err instanceof DomainError) throw new CliError(err.message, err.status === 404 ? EXIT_FAILURE : EXIT_USAGE);
    // e.g. a write to a database this user may only read
    const described = describeOpenError(store.db.name, err);
    if (described !== err) throw new CliError(described.message);
    throw err;
  } finally {
    store.close();
  }
}

export function print(json: boolean | undefined, value: unknown, text: () => string): void {
  process.stdout.write(json ? `${JSON.stringify(value, null, 2)}\n` : `${text()}\n`);
}
