// Every subcommand, by name, loaded on demand: `gnpay decode` never loads the
// HTTP server or the database (start-up time is part of what a
// decode costs). Each entry returns the register function of its module.
/* eslint-disable @typescript-eslint/no-require-imports */
import type { Command } from 'commander';

export type Register = (program: Command) => void;

export const commands: Record<string, () => Register> = {
  decode: () => require('./decode').registerDecode,
  run: () => require('./run').registerRun,
  demo: () => require('./demo').registerDemo,
  sp: () => require('./sp').registerSp,
  orders: () => require('./orders').registerOrders,
  ledger: () => require('./ledger').registerLedger,
  db: () => require('./db').registerDb,
  sightings: () => require('./sightings').registerSightings,
  config: () => require('./config').registerConfig,
  payments: () => require('./payments').registerPayments,
  interfaces: () => require('./interfaces').registerInterfaces,
  'systemd-unit': () => require('./systemd').registerSystemd,
};
