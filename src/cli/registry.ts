// Every subcommand, by name, loaded on demand: `gnpay decode` never loads the
// HTTP server or the database (start-up time is part of what a
// decode costs). Each entry returns the register function of its module.
import type { Command } from 'commander';

export type Register = (program: Command) => void;

export const commands: Record<string, () => Register> = {
  decode: () => (require('./decode') as typeof import('./decode')).registerDecode,
  run: () => (require('./run') as typeof import('./run')).registerRun,
  demo: () => (require('./demo') as typeof import('./demo')).registerDemo,
  sp: () => (require('./sp') as typeof import('./sp')).registerSp,
  orders: () => (require('./orders') as typeof import('./orders')).registerOrders,
  ledger: () => (require('./ledger') as typeof import('./ledger')).registerLedger,
  db: () => (require('./db') as typeof import('./db')).registerDb,
  sightings: () => (require('./sightings') as typeof import('./sightings')).registerSightings,
  config: () => (require('./config') as typeof import('./config')).registerConfig,
  payments: () => (require('./payments') as typeof import('./payments')).registerPayments,
  interfaces: () => (require('./interfaces') as typeof import('./interfaces')).registerInterfaces,
  'systemd-unit': () => (require('./systemd') as typeof import('./systemd')).registerSystemd,
};
